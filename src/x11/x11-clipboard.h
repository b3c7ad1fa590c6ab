/* SPDX-License-Identifier: MIT */
/* The X selections (CLIPBOARD, PRIMARY) exchanged with viewers. */
#ifndef XRFB_X11_CLIPBOARD_H
#define XRFB_X11_CLIPBOARD_H

#include <stddef.h>
#include <stdint.h>

#include "x11-display.h"
#include "xrfb.h"

/* Which selections to exchange (bits). */
#define X11_CLIPBOARD_CLIPBOARD 0x1u
#define X11_CLIPBOARD_PRIMARY 0x2u

struct x11_clipboard;

/* Send the text of new owners of the @which selections of @d to @s's
 * viewers, and serve viewers' text to X clients; text is at most @max
 * bytes either way. NULL without XFixes (the reason is logged). */
struct x11_clipboard *x11_clipboard_new(struct xrfb_loop *loop,
					struct x11_display *d,
					struct xrfb_server *s, unsigned which,
					uint32_t max);
/* Give up our selections, end transfers and free. */
void x11_clipboard_free(struct x11_clipboard *xc);
/* A viewer set @text (UTF-8, LF line ends): own the selections and serve
 * it to X clients that paste. */
void x11_clipboard_set_text(struct x11_clipboard *xc, const char *text,
			    size_t len);

#endif
