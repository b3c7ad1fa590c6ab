/* SPDX-License-Identifier: MIT */
/* Regions are pixman's 32-bit regions; this header only names them. */
#ifndef XRFB_REGION_H
#define XRFB_REGION_H

#include <stdbool.h>

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

/* Whether @reg and the rectangle @r have a pixel in common. */
static inline bool region_meets(const region_t *reg, const struct rect *r)
{
	pixman_box32_t b = { r->x, r->y, r->x + r->w, r->y + r->h };

	return pixman_region32_contains_rectangle((region_t *)reg, &b) !=
	       PIXMAN_REGION_OUT;
}

/* Add the box @b to @reg. */
static inline void region_add_box(region_t *reg, const pixman_box32_t *b)
{
	pixman_region32_union_rect(reg, reg, b->x1, b->y1,
				   (unsigned)(b->x2 - b->x1),
				   (unsigned)(b->y2 - b->y1));
}

#endif
