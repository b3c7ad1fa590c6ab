/* SPDX-License-Identifier: MIT */
/*
 * x11-damage: decides what to capture and when. XDamage (raw rectangles on
 * the root window) tells what changed; the rectangles of one loop
 * iteration are merged into one region, which is captured before the loop
 * sleeps, and only while some client waits for an update. Until then the
 * region keeps growing. Without XDamage (or with --poll) the whole screen
 * is read periodically instead and the server's comparison with its copy
 * finds what changed.
 *
 * The rectangles are hints: correctness comes from the server comparing
 * pixels. This file also follows changes of the root window size.
 */
#include "config.h"

#include <stdlib.h>

#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>

#include "buf.h"
#include "log.h"
#include "region.h"
#include "x11-damage.h"

/* Past this many rectangles the pending region is reduced to its bounding
 * box: region operations stay cheap under a flood of tiny damage. */
#define X11_DAMAGE_MAX_RECTS 256

struct x11_damage {
	struct x11_display *d;
	struct x11_capture *cap;
	struct xrfb_server *server;
	struct xrfb_loop *loop;
	Display *dpy;
	bool polling;
	unsigned poll_ms;
	int event_base;
	Damage damage;
	region_t pending;
	bool in_flush;
	bool force;		/* capture before the next sleep anyway */
	struct xrfb_timer *wake;
	struct xrfb_timer *poll;
};

static void add_rect(struct x11_damage *dm, int x, int y, int w, int h)
{
	pixman_box32_t ext;

	pixman_region32_union_rect(&dm->pending, &dm->pending, x, y,
				   (unsigned)w, (unsigned)h);
	if (pixman_region32_n_rects(&dm->pending) > X11_DAMAGE_MAX_RECTS) {
		ext = *pixman_region32_extents(&dm->pending);
		pixman_region32_fini(&dm->pending);
		pixman_region32_init_rect(&dm->pending, ext.x1, ext.y1,
					  (unsigned)(ext.x2 - ext.x1),
					  (unsigned)(ext.y2 - ext.y1));
	}
}

static void add_all(struct x11_damage *dm)
{
	add_rect(dm, 0, 0, x11_display_width(dm->d),
		 x11_display_height(dm->d));
}

static void on_wake(void *arg)
{
	struct x11_damage *dm = arg;

	dm->wake = NULL;
}

/* Pending damage must not wait for an unrelated wake-up while a client
 * waits: make sure the loop comes round once more. */
static void want_wake(struct x11_damage *dm)
{
	if (dm->wake || dm->in_flush ||
	    (!dm->force && !xrfb_server_wants_update(dm->server)))
		return;
	dm->wake = xrfb_loop_add_timer(dm->loop, 0, on_wake, dm);
}

static void capture(struct x11_damage *dm)
{
	region_t r;

	if (!pixman_region32_not_empty(&dm->pending) ||
	    x11_display_is_lost(dm->d))
		return;
	pixman_region32_init(&r);
	pixman_region32_copy(&r, &dm->pending);
	pixman_region32_clear(&dm->pending);
	dm->in_flush = true;
	x11_capture_grab_region(dm->cap, &r);
	/* Events read during the capture's round trips. */
	x11_display_drain(dm->d);
	dm->in_flush = false;
	pixman_region32_fini(&r);
	if (pixman_region32_not_empty(&dm->pending))
		want_wake(dm);
}

void x11_damage_capture_now(struct x11_damage *dm, bool whole_screen)
{
	if (whole_screen || dm->polling) {
		pixman_region32_clear(&dm->pending);
		add_all(dm);
	}
	capture(dm);
}

static void on_prepare(void *arg)
{
	struct x11_damage *dm = arg;

	x11_display_drain(dm->d);
	if (dm->force || xrfb_server_wants_update(dm->server)) {
		dm->force = false;
		capture(dm);
	}
}

static void resize(struct x11_damage *dm, int width, int height)
{
	int r;

	if (width == xrfb_server_width(dm->server) &&
	    height == xrfb_server_height(dm->server))
		return;
	log_info("display %s resized to %dx%d", x11_display_name(dm->d),
		 width, height);
	x11_capture_resize(dm->cap, width, height);
	r = xrfb_server_resize(dm->server, (uint16_t)width, (uint16_t)height);
	if (r < 0)
		log_warn("cannot resize the framebuffer to %dx%d: %d", width,
			 height, r);
	/* Clients ask for the whole new framebuffer: have it ready before
	 * the next sleep, wanted or not. */
	pixman_region32_clear(&dm->pending);
	add_all(dm);
	dm->force = true;
	want_wake(dm);
}

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_damage *dm = arg;
	XDamageNotifyEvent *de;

	if (ev->type == ConfigureNotify &&
	    ev->xconfigure.window == x11_display_root(dm->d)) {
		resize(dm, ev->xconfigure.width, ev->xconfigure.height);
		return false;
	}
	if (dm->polling || ev->type != dm->event_base + XDamageNotify)
		return false;
	de = (XDamageNotifyEvent *)ev;
	add_rect(dm, de->area.x, de->area.y, de->area.width, de->area.height);
	want_wake(dm);
	return true;
}

static void on_poll(void *arg)
{
	struct x11_damage *dm = arg;

	dm->poll = xrfb_loop_add_timer(dm->loop, dm->poll_ms, on_poll, dm);
	if (xrfb_server_wants_update(dm->server))
		add_all(dm);
}

static int damage_init(struct x11_damage *dm)
{
	int error_base, major, minor;

	if (!XDamageQueryExtension(dm->dpy, &dm->event_base, &error_base) ||
	    !XDamageQueryVersion(dm->dpy, &major, &minor))
		return -1;
	x11_display_trap(dm->d);
	dm->damage = XDamageCreate(dm->dpy, x11_display_root(dm->d),
				   XDamageReportRawRectangles);
	if (x11_display_untrap(dm->d) != 0) {
		dm->damage = 0;
		return -1;
	}
	log_debug("%s: XDamage %d.%d", __func__, major, minor);
	return 0;
}

struct x11_damage *x11_damage_new(struct xrfb_loop *loop,
				  struct x11_display *d,
				  struct x11_capture *cap,
				  struct xrfb_server *s, bool poll,
				  unsigned poll_ms)
{
	struct x11_damage *dm;

	dm = xcalloc(1, sizeof(*dm));
	dm->d = d;
	dm->cap = cap;
	dm->server = s;
	dm->loop = loop;
	dm->dpy = x11_display_dpy(d);
	dm->poll_ms = poll_ms ? poll_ms : 50;
	pixman_region32_init(&dm->pending);

	if (poll) {
		dm->polling = true;
		log_info("damage: polling the screen every %u ms (--poll)",
			 dm->poll_ms);
	} else if (damage_init(dm) < 0) {
		dm->polling = true;
		log_info("damage: XDamage not available, polling the screen "
			 "every %u ms", dm->poll_ms);
	} else {
		log_info("damage: XDamage");
	}
	if (x11_display_add_handler(d, on_event, dm) < 0)
		goto err_free;
	if (xrfb_loop_add_prepare(loop, on_prepare, dm) < 0)
		goto err_remove_handler;
	if (dm->polling) {
		dm->poll = xrfb_loop_add_timer(loop, dm->poll_ms, on_poll, dm);
		if (!dm->poll)
			goto err_remove_prepare;
	}
	/* Everything is new to the server's (black) copy. */
	x11_damage_capture_now(dm, true);
	return dm;

err_remove_prepare:
	xrfb_loop_remove_prepare(loop, on_prepare, dm);
err_remove_handler:
	x11_display_remove_handler(d, on_event, dm);
err_free:
	if (dm->damage)
		XDamageDestroy(dm->dpy, dm->damage);
	pixman_region32_fini(&dm->pending);
	free(dm);
	return NULL;
}

void x11_damage_free(struct x11_damage *dm)
{
	if (!dm)
		return;
	if (dm->poll)
		xrfb_timer_cancel(dm->poll);
	if (dm->wake)
		xrfb_timer_cancel(dm->wake);
	xrfb_loop_remove_prepare(dm->loop, on_prepare, dm);
	x11_display_remove_handler(dm->d, on_event, dm);
	if (dm->damage && !x11_display_is_lost(dm->d))
		XDamageDestroy(dm->dpy, dm->damage);
	pixman_region32_fini(&dm->pending);
	free(dm);
}

bool x11_damage_is_polling(const struct x11_damage *dm)
{
	return dm->polling;
}
