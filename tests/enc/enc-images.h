/* SPDX-License-Identifier: MIT */
/*
 * Deterministic test images for encoder tests and benchmarks: small image
 * classes drawn into a region of an XRGB8888 frame, and full desktop-like
 * frames for the benchmark corpus. Same seed, same pixels, everywhere.
 */
#ifndef TEST_ENC_IMAGES_H
#define TEST_ENC_IMAGES_H

#include <stddef.h>
#include <stdint.h>

enum img_class {
	IMG_SOLID,
	IMG_TEXT,		/* two colours, glyph-like */
	IMG_UI,			/* 16 colours: panels, lines, text */
	IMG_GRADIENT,
	IMG_NOISE,
	IMG_PHOTO,		/* smooth with fine grain */
	IMG_NCLASSES
};

enum img_corpus {
	CORPUS_DESKTOP,		/* wallpaper, windows, text, icons */
	CORPUS_WEB,		/* white page, text, header, pictures */
	CORPUS_PHOTO,
	CORPUS_GRADIENT,
	CORPUS_TERMINAL,	/* coloured monospace on black */
	CORPUS_VIDEO,		/* busy natural-looking frame */
	CORPUS_N
};

const char *img_class_name(enum img_class c);
const char *img_corpus_name(enum img_corpus c);

/* Draw class @c into the w x h region at (x, y) of @fb (rows @stride
 * pixels apart). */
void img_draw(enum img_class c, uint32_t seed, uint32_t *fb, size_t stride,
	      int x, int y, int w, int h);
/* Fill a whole w x h frame with corpus image @c. */
void img_corpus(enum img_corpus c, uint32_t *fb, size_t stride, int w,
		int h);

#endif
