/* SPDX-License-Identifier: MIT */
/* Regions are pixman's 32-bit regions; this header only names them. */
#ifndef XRFB_REGION_H
#define XRFB_REGION_H

#include <pixman.h>

struct rect {
	int x, y, w, h;
};

typedef pixman_region32_t region_t;

static inline struct rect rect_from_box(const pixman_box32_t *b)
{
	struct rect r = { b->x1, b->y1, b->x2 - b->x1, b->y2 - b->y1 };
	return r;
}

#endif
