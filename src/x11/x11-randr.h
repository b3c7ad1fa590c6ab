/* SPDX-License-Identifier: MIT */
/* RandR: the monitor layout for viewers, and resizing for SetDesktopSize. */
#ifndef XRFB_X11_RANDR_H
#define XRFB_X11_RANDR_H

#include <stdbool.h>

#include "x11-display.h"
#include "xrfb.h"

struct x11_randr;

/* Report @d's monitors to @s as screens and follow their changes. With
 * @allow_resize viewers may resize any display; without it only a
 * virtual one (Xvfb, or @virtual_display when we started it ourselves).
 * NULL without RandR 1.2 (the reason is logged): the server then keeps
 * one screen and refuses SetDesktopSize. */
struct x11_randr *x11_randr_new(struct xrfb_loop *loop, struct x11_display *d,
				struct xrfb_server *s, bool allow_resize,
				bool virtual_display);
/* Stop following (our virtual monitors stay, as the layout asked) and
 * free. */
void x11_randr_free(struct x11_randr *rr);
/* Carry out a viewer's SetDesktopSize: resize the screen, set one output
 * (or RandR 1.5 monitor) per screen, and update the server's framebuffer
 * and layout before returning, so the requester's answer has them. */
enum xrfb_resize_status x11_randr_resize(struct x11_randr *rr,
					 uint16_t width, uint16_t height,
					 const struct xrfb_screen *screens,
					 unsigned n);

#endif
