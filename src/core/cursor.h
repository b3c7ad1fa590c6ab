/* SPDX-License-Identifier: MIT */
/*
 * The cursor: its image and position, the Cursor (-239), XCursor (-240)
 * and PointerPos (-232) pseudo-rectangles, and drawing it into pixels for
 * clients that cannot show a cursor of their own.
 */
#ifndef XRFB_CURSOR_H
#define XRFB_CURSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "fb.h"
#include "pixfmt.h"
#include "region.h"

/* TigerVNC's viewer refuses larger cursors. */
#define CURSOR_MAX_SIZE 256

struct cursor {
	uint32_t *argb;		/* w*h, 0xAARRGGBB, not premultiplied */
	int w, h, hx, hy;
	unsigned serial;	/* bumped on every shape change */
	int x, y;		/* pointer position */
	unsigned pos_serial;	/* bumped on every move */
};

void cursor_init(struct cursor *cur);
void cursor_fini(struct cursor *cur);
/* Replace the image; -EINVAL if larger than CURSOR_MAX_SIZE. */
int cursor_set(struct cursor *cur, const uint32_t *argb, int w, int h,
	       int hx, int hy);
/* The area the cursor covers at its position; false if none. */
bool cursor_box(const struct cursor *cur, const struct fb *fb,
		struct rect *box);
/* Append the shape as a Cursor (rich) or XCursor pseudo-rectangle. */
int cursor_put_shape(const struct cursor *cur, const struct pixconv *pc,
		     bool rich, struct buf *out);
/* Append a PointerPos pseudo-rectangle. */
int cursor_put_pos(const struct cursor *cur, struct buf *out);
/* Draw the cursor into @fb, keeping the pixels it covers in @under
 * (room for CURSOR_MAX_SIZE x CURSOR_MAX_SIZE) for cursor_undraw(), and
 * its clipped box in @box; false, with nothing drawn, if it shows none.
 * For encoding what the screen shows without a copy of the screen: the
 * caller puts the pixels back before anything else reads @fb. */
bool cursor_draw(const struct cursor *cur, struct fb *fb, uint32_t *under,
		 struct rect *box);
void cursor_undraw(struct fb *fb, const uint32_t *under,
		   const struct rect *box);

#endif
