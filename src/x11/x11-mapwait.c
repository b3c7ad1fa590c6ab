/* SPDX-License-Identifier: MIT */
/*
 * x11-mapwait: tell when the first top-level window appears on a display.
 * The default desktop starts its terminal first and its window manager
 * only once the terminal's window is mapped: a window manager adopts the
 * windows it finds mapped, but one whose map request arrives while the
 * window manager is still starting may be lost (openbox loses it now and
 * then), leaving the terminal invisible for good.
 *
 * SubstructureNotify on the root window is added to the events this
 * connection already selects there, and taken away again when done.
 */
#include "config.h"

#include <stdlib.h>

#include <X11/Xlib.h>

#include "buf.h"
#include "log.h"
#include "x11-mapwait.h"

struct x11_mapwait {
	struct xrfb_loop *loop;
	struct x11_display *d;
	Display *dpy;
	Window root;
	long old_mask;		/* what this connection selected on root */
	x11_mapwait_fn fn;
	void *arg;
	struct xrfb_timer *timer;
	bool waiting;
	bool mapped;
};

static bool on_event(void *arg, XEvent *ev);

/* Stop watching: the handler goes, root's event mask is as it was. */
static void stop_watching(struct x11_mapwait *w)
{
	if (!w->waiting)
		return;
	w->waiting = false;
	x11_display_remove_handler(w->d, on_event, w);
	if (!x11_display_is_lost(w->d))
		XSelectInput(w->dpy, w->root, w->old_mask);
}

/* Runs from the loop, never from inside the event dispatch, so the
 * handler can be removed and the callback may do anything. */
static void on_done(void *arg)
{
	struct x11_mapwait *w = arg;

	w->timer = NULL;
	stop_watching(w);
	w->fn(w->arg, w->mapped);
}

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_mapwait *w = arg;

	if (ev->type != MapNotify || ev->xmap.event != w->root ||
	    ev->xmap.override_redirect || !w->waiting || w->mapped)
		return false;
	log_debug("%s: window 0x%lx mapped", __func__, ev->xmap.window);
	w->mapped = true;
	xrfb_timer_cancel(w->timer);
	w->timer = xrfb_loop_add_timer(w->loop, 0, on_done, w);
	/* Others may want the event too. */
	return false;
}

struct x11_mapwait *x11_mapwait_new(struct xrfb_loop *loop,
				    struct x11_display *d,
				    unsigned timeout_ms, x11_mapwait_fn fn,
				    void *arg)
{
	struct x11_mapwait *w;
	XWindowAttributes wa;

	w = xcalloc(1, sizeof(*w));
	w->loop = loop;
	w->d = d;
	w->dpy = x11_display_dpy(d);
	w->root = x11_display_root(d);
	w->fn = fn;
	w->arg = arg;
	if (!XGetWindowAttributes(w->dpy, w->root, &wa) ||
	    x11_display_add_handler(d, on_event, w) < 0) {
		free(w);
		return NULL;
	}
	w->old_mask = wa.your_event_mask;
	XSelectInput(w->dpy, w->root, w->old_mask | SubstructureNotifyMask);
	XFlush(w->dpy);
	w->waiting = true;
	w->timer = xrfb_loop_add_timer(loop, timeout_ms, on_done, w);
	return w;
}

void x11_mapwait_free(struct x11_mapwait *w)
{
	if (!w)
		return;
	if (w->timer)
		xrfb_timer_cancel(w->timer);
	stop_watching(w);
	free(w);
}
