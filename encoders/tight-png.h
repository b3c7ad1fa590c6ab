/* SPDX-License-Identifier: MIT */
/*
 * The PNG back end of TightPNG (tight-png.c, only with HAVE_PNG).
 * tight.c calls it; it calls nothing of tight.c.
 */
#ifndef XRFB_TIGHT_PNG_H
#define XRFB_TIGHT_PNG_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct tight_png;

/* A writer for images of up to @max_rows rows. NULL if out of memory. */
struct tight_png *tight_png_new(size_t max_rows);
void tight_png_free(struct tight_png *pw);
/* Append the PNG of the w x h block at @src (XRGB8888 rows @stride
 * pixels apart) to @out. With @npal > 0, @pal (XRGB8888) and @idx (one
 * index per pixel) describe the block as an indexed image. @level is
 * the zlib level 0..9. -ENOMEM or -EIO. */
int tight_png_compress(struct tight_png *pw, const uint32_t *src,
		       size_t stride, int w, int h, const uint32_t *pal,
		       int npal, const uint8_t *idx, int level,
		       struct buf *out);

#endif
