/* SPDX-License-Identifier: MIT */
/* The connection to the X server, its event dispatch and error traps. */
#ifndef XRFB_X11_DISPLAY_H
#define XRFB_X11_DISPLAY_H

#include <stdbool.h>

#include <X11/Xlib.h>

#include "xrfb.h"

struct x11_display;

/* Handle one event; return true if it was yours. */
typedef bool (*x11_event_fn)(void *arg, XEvent *ev);
/* The connection to the X server is gone (server died or closed it). */
typedef void (*x11_lost_fn)(void *arg);

/* Open display @name (NULL: $DISPLAY) and watch it on @loop; NULL if the
 * display cannot be opened (the reason is logged). */
struct x11_display *x11_display_new(struct xrfb_loop *loop, const char *name,
				    x11_lost_fn on_lost, void *arg);
/* The same for a display that may not be there (yet): one that cannot
 * be opened is NULL without a word in the log. */
struct x11_display *x11_display_try(struct xrfb_loop *loop, const char *name,
				    x11_lost_fn on_lost, void *arg);
/* Close the connection and free the display. */
void x11_display_free(struct x11_display *d);
/* The Xlib display (only for the x11-* modules). */
Display *x11_display_dpy(const struct x11_display *d);
/* The display name actually opened, e.g. ":1". */
const char *x11_display_name(const struct x11_display *d);
/* Screen number, root window and its current size. */
int x11_display_screen(const struct x11_display *d);
Window x11_display_root(const struct x11_display *d);
int x11_display_width(const struct x11_display *d);
int x11_display_height(const struct x11_display *d);
/* The default visual and depth of the screen. */
Visual *x11_display_visual(const struct x11_display *d);
int x11_display_depth(const struct x11_display *d);
/* True if the server runs on this machine (MIT-SHM may work). */
bool x11_display_is_local(const struct x11_display *d);
/* True once the connection is lost; every X call is then pointless. */
bool x11_display_is_lost(const struct x11_display *d);
/* Pass every event to @fn (in the order handlers were added). */
int x11_display_add_handler(struct x11_display *d, x11_event_fn fn,
			    void *arg);
/* Remove a handler added with the same @fn and @arg. */
void x11_display_remove_handler(struct x11_display *d, x11_event_fn fn,
				void *arg);
/* Dispatch every event Xlib has read or can read without blocking, and
 * flush requests we queued. */
void x11_display_drain(struct x11_display *d);
/* Catch X errors instead of logging them, until x11_display_untrap(). */
void x11_display_trap(struct x11_display *d);
/* Sync, stop trapping and return the first error code caught (0: none). */
int x11_display_untrap(struct x11_display *d);

#endif
