/* SPDX-License-Identifier: MIT */
/* The X cursor (XFixes) and pointer position, handed to the server. */
#ifndef XRFB_X11_CURSOR_H
#define XRFB_X11_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x11-display.h"
#include "xrfb.h"

struct x11_cursor;

/* Follow the cursor image of @d's screen and give it to @s; NULL without
 * XFixes 2 (the reason is logged; the server then shows no cursor). */
struct x11_cursor *x11_cursor_new(struct xrfb_loop *loop,
				  struct x11_display *d,
				  struct xrfb_server *s);
/* Stop following and free. */
void x11_cursor_free(struct x11_cursor *xc);
/* Poll the pointer position while @active (clients are connected). */
void x11_cursor_set_active(struct x11_cursor *xc, bool active);
/* A client moved the pointer to (@x, @y) itself. */
void x11_cursor_moved(struct x11_cursor *xc, int x, int y);
/* Draw the cursor as it is now, where it is now, onto @width x @height
 * XRGB8888 @pixels (rows @stride bytes apart), as the screen shows it.
 * 0, or -ENOENT when there is no visible cursor. */
int x11_cursor_draw(struct x11_cursor *xc, uint32_t *pixels, size_t stride,
		    int width, int height);

#endif
