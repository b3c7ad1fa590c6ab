/* SPDX-License-Identifier: MIT */
/* XKB state for viewers: the bell, keyboard LEDs, scancodes to keycodes. */
#ifndef XRFB_X11_XKB_H
#define XRFB_X11_XKB_H

#include <stdbool.h>
#include <stdint.h>

#include <X11/Xlib.h>

#include "x11-display.h"
#include "xrfb.h"

struct x11_xkb;

/* Pass @d's bell and LED changes on to @s; NULL without XKB (the reason
 * is logged). */
struct x11_xkb *x11_xkb_new(struct x11_display *d, struct xrfb_server *s);
/* Stop listening and free. */
void x11_xkb_free(struct x11_xkb *xk);
/* The X keycode of the key with XT scancode @xt (QEMU numbering: E0 xx
 * is xx | 0x80), or 0 if this display's keycodes are not known. */
KeyCode x11_xkb_keycode(struct x11_xkb *xk, uint32_t xt);

#endif
