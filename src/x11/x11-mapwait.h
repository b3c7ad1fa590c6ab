/* SPDX-License-Identifier: MIT */
/* Waiting for the first top-level window to be mapped on a display. */
#ifndef XRFB_X11_MAPWAIT_H
#define XRFB_X11_MAPWAIT_H

#include <stdbool.h>

#include "x11-display.h"
#include "xrfb.h"

struct x11_mapwait;

/* Called once: @mapped is true for a window, false after the timeout. */
typedef void (*x11_mapwait_fn)(void *arg, bool mapped);

/* Call @fn once a window that is not override-redirect is mapped as a
 * child of the root window of @d, or after @timeout_ms; NULL if the
 * display cannot be watched (then @fn is never called). */
struct x11_mapwait *x11_mapwait_new(struct xrfb_loop *loop,
				    struct x11_display *d,
				    unsigned timeout_ms, x11_mapwait_fn fn,
				    void *arg);
/* Stop waiting (if still waiting) and free. */
void x11_mapwait_free(struct x11_mapwait *w);

#endif
