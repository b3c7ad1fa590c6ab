/* SPDX-License-Identifier: MIT */
/* Decides what to capture and when: XDamage rectangles, or polling. */
#ifndef XRFB_X11_DAMAGE_H
#define XRFB_X11_DAMAGE_H

#include <stdbool.h>

#include "x11-capture.h"
#include "x11-display.h"
#include "xrfb.h"

struct x11_damage;

/* Track changes of @d's screen and capture them with @cap whenever @s
 * wants an update. With @poll (or without XDamage, or when XDamage proves
 * to miss changes) the screen is polled instead, at most every @poll_ms
 * milliseconds. */
struct x11_damage *x11_damage_new(struct xrfb_loop *loop,
				  struct x11_display *d,
				  struct x11_capture *cap,
				  struct xrfb_server *s, bool poll,
				  unsigned poll_ms);
/* Stop tracking and free. */
void x11_damage_free(struct x11_damage *dm);
/* Capture what is pending (or, with @whole_screen, everything) right now,
 * whether or not a client waits: for a new client, whose first request
 * is answered from the server's copy. */
void x11_damage_capture_now(struct x11_damage *dm, bool whole_screen);
/* A client sent input: while polling, look at the screen again soon. */
void x11_damage_input(struct x11_damage *dm);

#endif
