/* SPDX-License-Identifier: MIT */
/*
 * The framebuffer and damage refinement. Damage from a pixel source is a
 * hint: every tile it touches is compared with the stored pixels, row by
 * row, and only tiles that differ are copied and reported, so
 * over-reported damage costs a memcmp and nothing on the wire. Tiles that
 * changed side by side are reported together, over the rows changed in
 * any of them, which keeps the region in few rectangles.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fb.h"

int fb_init(struct fb *fb, int width, int height)
{
	size_t n = (size_t)(width > 0 ? width : 1) * (size_t)(height > 0 ? height : 1);

	fb->pixels = calloc(n, sizeof(uint32_t));
	if (!fb->pixels)
		return -ENOMEM;
	fb->width = width;
	fb->height = height;
	fb->stride = (size_t)width;
	return 0;
}

void fb_fini(struct fb *fb)
{
	free(fb->pixels);
	fb->pixels = NULL;
}

int fb_resize(struct fb *fb, int width, int height)
{
	struct fb n;
	int cw, ch;

	if (fb_init(&n, width, height) < 0)
		return -ENOMEM;
	cw = width < fb->width ? width : fb->width;
	ch = height < fb->height ? height : fb->height;
	for (int y = 0; y < ch; y++)
		memcpy(n.pixels + (size_t)y * n.stride,
		       fb->pixels + (size_t)y * fb->stride,
		       (size_t)cw * sizeof(uint32_t));
	fb_fini(fb);
	*fb = n;
	return 0;
}

int fb_clip(const struct fb *fb, struct rect *r)
{
	int x2 = r->x + r->w, y2 = r->y + r->h;

	if (r->x < 0)
		r->x = 0;
	if (r->y < 0)
		r->y = 0;
	if (x2 > fb->width)
		x2 = fb->width;
	if (y2 > fb->height)
		y2 = fb->height;
	r->w = x2 - r->x;
	r->h = y2 - r->y;
	return r->w > 0 && r->h > 0;
}

void fb_update(struct fb *fb, const void *src, size_t stride, int x, int y,
	       int w, int h, region_t *changed)
{
	struct rect r = { x, y, w, h };
	const uint8_t *base;

	if (!fb_clip(fb, &r))
		return;
	/* Pixel of the clipped origin within the caller's buffer. */
	base = (const uint8_t *)src + (size_t)(r.y - y) * stride +
	       (size_t)(r.x - x) * 4;

	for (int ty = r.y - r.y % FB_TILE; ty < r.y + r.h; ty += FB_TILE) {
		int y0 = ty > r.y ? ty : r.y;
		int y1 = ty + FB_TILE < r.y + r.h ? ty + FB_TILE : r.y + r.h;
		/* A run of changed tiles side by side is reported as one
		 * rectangle spanning the rows changed in any of them: a
		 * line of text is one rectangle, not one per tile. */
		int run_x = -1, run_x1 = 0, run_first = 0, run_last = 0;

		for (int tx = r.x - r.x % FB_TILE; tx < r.x + r.w;
		     tx += FB_TILE) {
			int x0 = tx > r.x ? tx : r.x;
			int x1 = tx + FB_TILE < r.x + r.w ? tx + FB_TILE
							  : r.x + r.w;
			size_t bytes = (size_t)(x1 - x0) * 4;
			int row, first = -1, last = -1;

			for (row = y0; row < y1; row++) {
				const uint8_t *s = base +
					(size_t)(row - r.y) * stride +
					(size_t)(x0 - r.x) * 4;
				uint32_t *d = fb->pixels +
					(size_t)row * fb->stride + x0;

				if (memcmp(d, s, bytes) != 0) {
					memcpy(d, s, bytes);
					if (first < 0)
						first = row;
					last = row;
				}
			}
			if (first >= 0 && run_x >= 0) {
				run_x1 = x1;
				if (first < run_first)
					run_first = first;
				if (last > run_last)
					run_last = last;
				continue;
			}
			if (run_x >= 0)
				pixman_region32_union_rect(changed, changed,
					run_x, run_first,
					(unsigned)(run_x1 - run_x),
					(unsigned)(run_last - run_first + 1));
			run_x = first >= 0 ? x0 : -1;
			run_x1 = x1;
			run_first = first;
			run_last = last;
		}
		if (run_x >= 0)
			pixman_region32_union_rect(changed, changed, run_x,
				run_first, (unsigned)(run_x1 - run_x),
				(unsigned)(run_last - run_first + 1));
	}
}

void fb_copy(struct fb *fb, int sx, int sy, int dx, int dy, int w, int h)
{
	size_t bytes = (size_t)w * 4;

	if (dy > sy) {
		for (int row = h - 1; row >= 0; row--)
			memmove(fb->pixels + (size_t)(dy + row) * fb->stride + dx,
				fb->pixels + (size_t)(sy + row) * fb->stride + sx,
				bytes);
	} else {
		for (int row = 0; row < h; row++)
			memmove(fb->pixels + (size_t)(dy + row) * fb->stride + dx,
				fb->pixels + (size_t)(sy + row) * fb->stride + sx,
				bytes);
	}
}
