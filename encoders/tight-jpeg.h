/* SPDX-License-Identifier: MIT */
/*
 * The JPEG back end of Tight and TightPNG (tight-jpeg.c, only with
 * HAVE_JPEG). tight.c calls it; it calls nothing of tight.c.
 */
#ifndef XRFB_TIGHT_JPEG_H
#define XRFB_TIGHT_JPEG_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct tight_jpeg;

/* How to compress (see tight_jpeg_params()). */
struct tight_jpeg_params {
	int quality;		/* 1..100 */
	int subsamp;		/* TJSAMP_* */
};

struct tight_jpeg *tight_jpeg_new(void);
void tight_jpeg_free(struct tight_jpeg *j);
/* Append the JFIF of the w x h block at @src (XRGB8888 rows @stride
 * pixels apart) to @out. -ENOMEM or -EIO. */
int tight_jpeg_compress(struct tight_jpeg *j,
			const struct tight_jpeg_params *jp,
			const uint32_t *src, size_t stride, int w, int h,
			struct buf *out);
/* Map QualityLevel / fine quality / subsampling (-1 = not sent) to
 * TurboJPEG settings. */
void tight_jpeg_params(struct tight_jpeg_params *jp, int quality,
		       int fine_quality, int subsampling);

#endif
