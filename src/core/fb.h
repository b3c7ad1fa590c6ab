/* SPDX-License-Identifier: MIT */
/*
 * The server's framebuffer (XRGB8888) and its refinement of reported
 * damage: new pixels are compared tile by tile with what the framebuffer
 * holds, and only tiles that really differ are copied and reported.
 */
#ifndef XRFB_FB_H
#define XRFB_FB_H

#include <stddef.h>
#include <stdint.h>

#include "region.h"

#define FB_TILE 32

struct fb {
	uint32_t *pixels;
	int width, height;
	size_t stride;		/* in pixels */
};

int fb_init(struct fb *fb, int width, int height);
void fb_fini(struct fb *fb);
/* Resize, keeping the overlapping top-left area; new areas are black. */
int fb_resize(struct fb *fb, int width, int height);
/* Copy the changed tiles of @src (rows @stride bytes apart, pixel at
 * (@x,@y) first) into @fb and add them to @changed. Clipped to @fb. */
void fb_update(struct fb *fb, const void *src, size_t stride, int x, int y,
	       int w, int h, region_t *changed);
/* Move a w x h block from (sx,sy) to (dx,dy); both must lie inside. */
void fb_copy(struct fb *fb, int sx, int sy, int dx, int dy, int w, int h);
/* Clip a rectangle to the framebuffer; false if nothing is left. */
int fb_clip(const struct fb *fb, struct rect *r);

#endif
