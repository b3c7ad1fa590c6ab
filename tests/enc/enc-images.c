/* SPDX-License-Identifier: MIT */
/*
 * Deterministic test images (see enc-images.h). Everything derives from
 * integer hashes of coordinates and seeds, so no state and no libm.
 */
#include "enc-images.h"

static uint32_t hash32(uint32_t x)
{
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

static uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
	return hash32(a * 0x9e3779b9U ^ hash32(b * 0x85ebca6bU ^ hash32(c)));
}

static inline uint32_t rgb(int r, int g, int b)
{
	r = r < 0 ? 0 : r > 255 ? 255 : r;
	g = g < 0 ? 0 : g > 255 ? 255 : g;
	b = b < 0 ? 0 : b > 255 ? 255 : b;
	return (uint32_t)r << 16 | (uint32_t)g << 8 | (uint32_t)b;
}

const char *img_class_name(enum img_class c)
{
	static const char *const n[] = { "solid", "text",  "ui",
					 "gradient", "noise", "photo" };

	return c < IMG_NCLASSES ? n[c] : "?";
}

const char *img_corpus_name(enum img_corpus c)
{
	static const char *const n[] = { "desktop",  "web",	 "photo",
					 "gradient", "terminal", "video" };

	return c < CORPUS_N ? n[c] : "?";
}

static void fill(uint32_t *fb, size_t stride, int x, int y, int w, int h,
		 uint32_t c)
{
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			fb[(size_t)(y + j) * stride + x + i] = c;
}

/* Clip a rectangle to the region [rx, rx+rw) x [ry, ry+rh) and fill it. */
static void fill_clip(uint32_t *fb, size_t stride, int rx, int ry, int rw,
		      int rh, int x, int y, int w, int h, uint32_t c)
{
	int x1 = x + w, y1 = y + h;

	if (x < rx)
		x = rx;
	if (y < ry)
		y = ry;
	if (x1 > rx + rw)
		x1 = rx + rw;
	if (y1 > ry + rh)
		y1 = ry + rh;
	if (x < x1 && y < y1)
		fill(fb, stride, x, y, x1 - x, y1 - y, c);
}

/* A glyph-like 6 x 9 bitmap in a cw x ch cell at (x, y), clipped. */
static void glyph(uint32_t *fb, size_t stride, int rx, int ry, int rw, int rh,
		  int x, int y, uint32_t code, uint32_t fg)
{
	for (int j = 0; j < 9; j++) {
		uint32_t bits = hash3(code, (uint32_t)j, 77);

		/* A stem on the left most rows makes it look like type. */
		if (code % 3 == 0)
			bits |= 1;
		for (int i = 0; i < 6; i++) {
			int px = x + i, py = y + j;

			if (!(bits >> i & 1) || (bits >> (8 + i) & 1))
				continue;
			if (px < rx || py < ry || px >= rx + rw ||
			    py >= ry + rh)
				continue;
			fb[(size_t)py * stride + px] = fg;
		}
	}
}

static void text_lines(uint32_t *fb, size_t stride, int rx, int ry, int rw,
		       int rh, int x, int y, int w, int h, uint32_t seed,
		       const uint32_t *fgs, int nfg, int cw, int ch)
{
	for (int ly = y + 2; ly + ch <= y + h; ly += ch) {
		int len = (int)(hash3(seed, (uint32_t)ly, 1) % (uint32_t)(w / cw + 1));

		for (int cx = 0; cx < len; cx++) {
			uint32_t code = hash3(seed, (uint32_t)ly, (uint32_t)cx);

			if (code % 7 == 0)	/* a space */
				continue;
			glyph(fb, stride, rx, ry, rw, rh, x + 2 + cx * cw, ly,
			      code, fgs[code % (uint32_t)nfg]);
		}
	}
}

/* Smooth value noise in 0..255: bilinear over a lattice of @cell pixels. */
static int vnoise(uint32_t seed, int x, int y, int cell)
{
	int gx = x / cell, gy = y / cell, fx = x % cell, fy = y % cell;
	int v00 = (int)(hash3(seed, (uint32_t)gx, (uint32_t)gy) & 255);
	int v10 = (int)(hash3(seed, (uint32_t)gx + 1, (uint32_t)gy) & 255);
	int v01 = (int)(hash3(seed, (uint32_t)gx, (uint32_t)gy + 1) & 255);
	int v11 = (int)(hash3(seed, (uint32_t)gx + 1, (uint32_t)gy + 1) & 255);
	int a = v00 * (cell - fx) + v10 * fx;
	int b = v01 * (cell - fx) + v11 * fx;

	return (a * (cell - fy) + b * fy) / (cell * cell);
}

static uint32_t photo_px(uint32_t seed, int x, int y, int grain)
{
	int g = grain ? (int)(hash3(seed, (uint32_t)x, (uint32_t)y) % (uint32_t)(2 * grain + 1)) - grain : 0;
	int r = (vnoise(seed, x, y, 64) * 3 + vnoise(seed + 1, x, y, 13)) / 4;
	int gr = (vnoise(seed + 2, x, y, 64) * 3 + vnoise(seed + 3, x, y, 11)) / 4;
	int b = (vnoise(seed + 4, x, y, 64) * 3 + vnoise(seed + 5, x, y, 17)) / 4;

	return rgb(r + g, gr + g, b + g);
}

static const uint32_t ui16[16] = {
	0x000000, 0x800000, 0x008000, 0x808000, 0x000080, 0x800080,
	0x008080, 0xc0c0c0, 0x808080, 0xff0000, 0x00ff00, 0xffff00,
	0x0000ff, 0xff00ff, 0x00ffff, 0xffffff,
};

void img_draw(enum img_class c, uint32_t seed, uint32_t *fb, size_t stride,
	      int x, int y, int w, int h)
{
	switch (c) {
	case IMG_SOLID:
		fill(fb, stride, x, y, w, h, hash32(seed) & 0xffffff);
		break;
	case IMG_TEXT: {
		uint32_t bg = seed & 1 ? 0xffffff : 0xf0f0e0;
		uint32_t fg = seed & 2 ? 0x000000 : 0x202060;

		fill(fb, stride, x, y, w, h, bg);
		text_lines(fb, stride, x, y, w, h, x, y, w, h, seed, &fg, 1, 7,
			   12);
		break;
	}
	case IMG_UI: {
		int n = 3 + (w * h) / 400;

		fill(fb, stride, x, y, w, h, ui16[7]);
		for (int i = 0; i < n && i < 200; i++) {
			uint32_t k = hash3(seed, (uint32_t)i, 2);
			int rx = x + (int)(k % (uint32_t)w) - 4;
			int ry = y + (int)((k >> 8) % (uint32_t)h) - 4;
			int rw = 2 + (int)((k >> 16) % (uint32_t)(w / 2 + 8));
			int rh = 2 + (int)((k >> 24) % (uint32_t)(h / 3 + 6));

			fill_clip(fb, stride, x, y, w, h, rx, ry, rw, rh,
				  ui16[k % 16]);
			/* Bevel lines around panels. */
			fill_clip(fb, stride, x, y, w, h, rx, ry, rw, 1,
				  ui16[15]);
			fill_clip(fb, stride, x, y, w, h, rx, ry + rh - 1, rw,
				  1, ui16[8]);
		}
		text_lines(fb, stride, x, y, w, h, x, y, w, h / 2, seed,
			   ui16, 16, 7, 12);
		break;
	}
	case IMG_GRADIENT:
		for (int j = 0; j < h; j++)
			for (int i = 0; i < w; i++)
				fb[(size_t)(y + j) * stride + x + i] =
					rgb(i * 255 / (w > 1 ? w - 1 : 1),
					    j * 255 / (h > 1 ? h - 1 : 1),
					    (i + j) * 255 /
						    (w + h > 2 ? w + h - 2 : 1));
		break;
	case IMG_NOISE:
		for (int j = 0; j < h; j++)
			for (int i = 0; i < w; i++)
				fb[(size_t)(y + j) * stride + x + i] =
					hash3(seed, (uint32_t)i, (uint32_t)j) &
					0xffffff;
		break;
	case IMG_PHOTO:
	default:
		for (int j = 0; j < h; j++)
			for (int i = 0; i < w; i++)
				fb[(size_t)(y + j) * stride + x + i] =
					photo_px(seed, i, j, 3);
		break;
	}
}

static void window(uint32_t *fb, size_t stride, int W, int H, int x, int y,
		   int w, int h, uint32_t seed, int kind)
{
	uint32_t title = kind & 1 ? 0x3465a4 : 0x2e3436;
	uint32_t fgs[4] = { 0x000000, 0x204a87, 0xa40000, 0x4e9a06 };

	fill_clip(fb, stride, 0, 0, W, H, x - 1, y - 1, w + 2, h + 2, 0x555753);
	fill_clip(fb, stride, 0, 0, W, H, x, y, w, 24, title);
	fill_clip(fb, stride, 0, 0, W, H, x, y + 24, w, h - 24, 0xffffff);
	text_lines(fb, stride, x, y, w, 24, x + 4, y + 6, w / 2, 14, seed,
		   (const uint32_t[]){ 0xeeeeec }, 1, 7, 12);
	for (int i = 0; i < 3; i++)
		fill_clip(fb, stride, 0, 0, W, H, x + w - 22 - 20 * i, y + 4,
			  16, 16, 0xd3d7cf);
	if (kind == 2) {
		/* A picture inside the window. */
		for (int j = y + 40; j < y + h - 10 && j < H; j++)
			for (int i = x + 10; i < x + w - 10 && i < W; i++)
				fb[(size_t)j * stride + i] =
					photo_px(seed, i, j, 2);
		return;
	}
	text_lines(fb, stride, x, y + 24, w, h - 24, x + 4, y + 28, w - 8,
		   h - 32, seed, fgs, kind == 3 ? 4 : 1, 7, 14);
}

void img_corpus(enum img_corpus c, uint32_t *fb, size_t stride, int w, int h)
{
	switch (c) {
	case CORPUS_DESKTOP:
		for (int j = 0; j < h; j++)
			for (int i = 0; i < w; i++)
				fb[(size_t)j * stride + i] =
					rgb(40 + j * 60 / h, 60 + i * 40 / w,
					    110 + j * 80 / h);
		/* Icons down the left. */
		for (int k = 0; k < 8; k++)
			for (int j = 0; j < 48; j++)
				for (int i = 0; i < 48; i++)
					fb[(size_t)(20 + k * 90 + j) * stride +
					   20 + i] = ui16[(k + (i / 12) +
							   (j / 12)) % 16];
		window(fb, stride, w, h, 120, 60, 900, 620, 11, 3);
		window(fb, stride, w, h, 700, 300, 820, 560, 12, 2);
		window(fb, stride, w, h, 1150, 90, 700, 450, 13, 1);
		fill(fb, stride, 0, h - 32, w, 32, 0x2e3436);
		text_lines(fb, stride, 0, h - 32, w, 32, 8, h - 28, 600, 24,
			   99, (const uint32_t[]){ 0xffffff }, 1, 7, 12);
		break;
	case CORPUS_WEB: {
		uint32_t fgs[3] = { 0x222222, 0x1a0dab, 0x555555 };

		fill(fb, stride, 0, 0, w, h, 0xffffff);
		fill(fb, stride, 0, 0, w, 64, 0x3b5998);
		text_lines(fb, stride, 0, 0, w, 64, 40, 20, 500, 30, 5,
			   (const uint32_t[]){ 0xffffff }, 1, 8, 14);
		fill(fb, stride, 0, 64, 260, h - 64, 0xf5f6f7);
		text_lines(fb, stride, 0, 64, 260, h - 64, 10, 80, 240,
			   h - 100, 6, fgs + 1, 1, 7, 18);
		text_lines(fb, stride, 300, 64, 1000, h - 64, 300, 90, 900,
			   h - 120, 7, fgs, 3, 7, 16);
		for (int k = 0; k < 3; k++)
			for (int j = 0; j < 220; j++)
				for (int i = 0; i < 300; i++)
					fb[(size_t)(120 + k * 300 + j) *
						   stride +
					   1400 + i] = photo_px(20 + (uint32_t)k,
								i, j, 2);
		for (int k = 0; k < 5; k++)
			fill(fb, stride, 320 + k * 160, h - 80, 140, 36,
			     k & 1 ? 0x4caf50 : 0xe0e0e0);
		break;
	}
	case CORPUS_PHOTO:
		for (int j = 0; j < h; j++)
			for (int i = 0; i < w; i++)
				fb[(size_t)j * stride + i] =
					photo_px(31, i, j, 3);
		break;
	case CORPUS_GRADIENT:
		img_draw(IMG_GRADIENT, 0, fb, stride, 0, 0, w, h);
		break;
	case CORPUS_TERMINAL: {
		uint32_t fgs[6] = { 0xd3d7cf, 0xd3d7cf, 0x8ae234,
				    0x729fcf, 0xfce94f, 0xef2929 };

		fill(fb, stride, 0, 0, w, h, 0x000000);
		text_lines(fb, stride, 0, 0, w, h, 0, 0, w, h, 8, fgs, 6, 8,
			   16);
		break;
	}
	case CORPUS_VIDEO:
	default:
		for (int j = 0; j < h; j++)
			for (int i = 0; i < w; i++) {
				uint32_t p = photo_px(41, i, j, 6);
				int edge = vnoise(43, i, j, 5) > 200 ? 60 : 0;

				fb[(size_t)j * stride + i] =
					rgb((int)(p >> 16 & 255) - edge,
					    (int)(p >> 8 & 255) - edge,
					    (int)(p & 255) - edge / 2);
			}
		break;
	}
}
