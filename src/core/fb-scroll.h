/* SPDX-License-Identifier: MIT */
/*
 * Move detection: finds blocks of new content that equal the current
 * framebuffer at an offset (scrolled text, dragged windows), so they can
 * be sent as CopyRect. Works on pixels alone, for every toolkit.
 */
#ifndef XRFB_FB_SCROLL_H
#define XRFB_FB_SCROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fb.h"
#include "region.h"

/* New pixels for one rectangle: @pixels is the pixel at (r.x, r.y). */
struct fb_src {
	const uint8_t *pixels;
	size_t stride;		/* bytes */
	struct rect r;		/* inside the framebuffer */
};

/* Find the offset (dx, dy) under which most of the changed new content
 * equals @fb's current content, and the destination tiles where it does,
 * pixel for pixel. Returns false if no move is worth a CopyRect. */
bool fb_scroll_detect(const struct fb *fb, const struct fb_src *src,
		      unsigned n, int *dx, int *dy, region_t *dst);

#endif
