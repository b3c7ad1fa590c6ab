/* SPDX-License-Identifier: MIT */
/*
 * x11-damage: decides what to capture and when.
 *
 * XDamage (raw rectangles on the root window) tells what changed. The
 * rectangles of one loop iteration are merged into one region, which is
 * captured before the loop sleeps, and only while some client waits for
 * an update; until then the region keeps growing. The rectangles are
 * hints: the server compares pixels, so over-reported damage costs a
 * memcmp and nothing on the wire. Damage is tracked only while a client is
 * connected; the first client after a quiet spell gets a full capture.
 *
 * Damage checks itself: now and then (soon after a client connects, then
 * ever more rarely, and at most every few seconds while damage arrives) a
 * few one-pixel rows and columns of the screen are read and compared with
 * the server's copy. A difference that no reported damage covers means
 * XDamage misses changes (some GPU drivers and compositors do): from then
 * on the screen is polled instead.
 *
 * Polling (without XDamage, after a failed check, or with --poll) reads
 * the whole screen, only while a client waits for an update, at an
 * interval that shrinks to the minimum while changes are found or input
 * arrives and grows while the screen is still.
 *
 * With nothing to do nothing runs: no timer fires on an idle desktop
 * except the self-check's, whose interval doubles up to half a minute.
 * This file also follows changes of the root window size.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>

#include "buf.h"
#include "log.h"
#include "region.h"
#include "x11-damage.h"

/* Past this many rectangles the pending region is reduced to its bounding
 * box: region operations stay cheap under a flood of tiny damage. */
#define X11_DAMAGE_MAX_RECTS 256
/* Self-check: first check after tracking starts, the longest pause
 * between checks on a quiet screen, the shortest while damage arrives. */
#define X11_DAMAGE_CHECK_FIRST_MS 1000
#define X11_DAMAGE_CHECK_MAX_MS 32000
#define X11_DAMAGE_CHECK_BUSY_MS 2000
/* Rows and columns read per check. */
#define X11_DAMAGE_CHECK_ROWS 4
#define X11_DAMAGE_CHECK_COLS 4
/* The longest polling interval on a still screen. */
#define X11_DAMAGE_POLL_MAX_MS 1000

enum x11_damage_mode {
	X11_DAMAGE_MODE_DAMAGE,
	X11_DAMAGE_MODE_POLL_FORCED,	/* --poll */
	X11_DAMAGE_MODE_POLL_MISSING,	/* no XDamage */
	X11_DAMAGE_MODE_POLL_UNRELIABLE,	/* XDamage missed changes */
};

struct x11_damage {
	struct x11_display *d;
	struct x11_capture *cap;
	struct xrfb_server *server;
	struct xrfb_loop *loop;
	Display *dpy;
	enum x11_damage_mode mode;
	int event_base;
	Damage damage;		/* set while tracking */
	region_t pending;
	bool in_flush;
	bool force;		/* capture before the next sleep anyway */
	struct xrfb_timer *wake;

	/* polling */
	unsigned poll_min_ms;
	unsigned poll_ms;	/* current interval */
	uint64_t last_poll;
	uint64_t poll_due;	/* when the armed poll timer fires */
	struct xrfb_timer *poll;

	/* self-check */
	unsigned check_ms;	/* next quiet interval */
	uint64_t last_check;
	uint32_t rng;
	uint32_t *strip;
	size_t strip_len;
	struct xrfb_timer *check;
};

static bool is_polling(const struct x11_damage *dm)
{
	return dm->mode != X11_DAMAGE_MODE_DAMAGE;
}

static void add_rect(struct x11_damage *dm, int x, int y, int w, int h)
{
	pixman_box32_t ext;

	pixman_region32_union_rect(&dm->pending, &dm->pending, x, y,
				   (unsigned)w, (unsigned)h);
	if (pixman_region32_n_rects(&dm->pending) > X11_DAMAGE_MAX_RECTS) {
		ext = *pixman_region32_extents(&dm->pending);
		pixman_region32_reset(&dm->pending, &ext);
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

/* ---- tracking: an XDamage object while a client is connected ---------- */

static void start_polling(struct x11_damage *dm, enum x11_damage_mode mode);

static void on_check_timer(void *arg);

static void arm_check(struct x11_damage *dm, unsigned ms)
{
	if (dm->check)
		xrfb_timer_cancel(dm->check);
	dm->check = xrfb_loop_add_timer(dm->loop, ms, on_check_timer, dm);
}

static int track_start(struct x11_damage *dm)
{
	if (dm->damage || is_polling(dm) || x11_display_is_lost(dm->d))
		return 0;
	x11_display_trap(dm->d);
	dm->damage = XDamageCreate(dm->dpy, x11_display_root(dm->d),
				   XDamageReportRawRectangles);
	if (x11_display_untrap(dm->d) != 0) {
		dm->damage = 0;
		log_warn("damage: cannot create an XDamage object; polling "
			 "the screen every %u to %u ms", dm->poll_min_ms,
			 X11_DAMAGE_POLL_MAX_MS);
		start_polling(dm, X11_DAMAGE_MODE_POLL_MISSING);
		return -1;
	}
	/* Whatever happened while nobody watched is new. */
	pixman_region32_clear(&dm->pending);
	add_all(dm);
	dm->check_ms = X11_DAMAGE_CHECK_FIRST_MS;
	arm_check(dm, dm->check_ms);
	log_debug("%s: tracking damage", __func__);
	return 0;
}

static void track_stop(struct x11_damage *dm)
{
	if (dm->check) {
		xrfb_timer_cancel(dm->check);
		dm->check = NULL;
	}
	if (!dm->damage)
		return;
	if (!x11_display_is_lost(dm->d))
		XDamageDestroy(dm->dpy, dm->damage);
	dm->damage = 0;
	pixman_region32_clear(&dm->pending);
	log_debug("%s: no client, damage not tracked", __func__);
}

/* ---- polling ------------------------------------------------------------ */

static void on_poll(void *arg);

static void arm_poll(struct x11_damage *dm, uint64_t now)
{
	uint64_t due = dm->last_poll + dm->poll_ms;

	if (due < now)
		due = now;
	if (dm->poll) {
		if (dm->poll_due <= due)
			return;
		xrfb_timer_cancel(dm->poll);
	}
	dm->poll_due = due;
	dm->poll = xrfb_loop_add_timer(dm->loop, due - now, on_poll, dm);
}

static void on_poll(void *arg)
{
	struct x11_damage *dm = arg;
	region_t changed;

	dm->poll = NULL;
	/* The next request re-arms the timer (on_prepare). */
	if (!xrfb_server_wants_update(dm->server) ||
	    x11_display_is_lost(dm->d))
		return;
	pixman_region32_init(&changed);
	dm->in_flush = true;
	x11_capture_scan(dm->cap, &changed);
	x11_display_drain(dm->d);
	dm->in_flush = false;
	dm->last_poll = xrfb_now_ms();
	if (pixman_region32_not_empty(&changed)) {
		dm->poll_ms = dm->poll_min_ms;
	} else {
		dm->poll_ms *= 2;
		if (dm->poll_ms > X11_DAMAGE_POLL_MAX_MS)
			dm->poll_ms = X11_DAMAGE_POLL_MAX_MS;
		if (dm->poll_ms < dm->poll_min_ms)
			dm->poll_ms = dm->poll_min_ms;
	}
	pixman_region32_fini(&changed);
}

static void start_polling(struct x11_damage *dm, enum x11_damage_mode mode)
{
	track_stop(dm);
	dm->mode = mode;
	dm->poll_ms = dm->poll_min_ms;
	dm->last_poll = 0;
	pixman_region32_clear(&dm->pending);
	add_all(dm);
}

/* ---- the self-check ------------------------------------------------------ */

static uint32_t next_random(struct x11_damage *dm)
{
	/* xorshift32: spreads the samples, nothing more is asked of it */
	dm->rng ^= dm->rng << 13;
	dm->rng ^= dm->rng >> 17;
	dm->rng ^= dm->rng << 5;
	return dm->rng;
}

struct strip {
	int x, y, w, h;		/* 1 pixel high (a row) or wide (a column) */
};

/*
 * Compare @st, read into dm->strip, with the server's copy. Returns the
 * first differing run that no pending damage covers, in @miss.
 */
static bool strip_missed(struct x11_damage *dm, const struct strip *st,
			 struct rect *miss)
{
	size_t stride;
	const uint32_t *fb = xrfb_server_pixels(dm->server, &stride);
	int n = st->w > st->h ? st->w : st->h, i = 0;

	stride /= sizeof(uint32_t);
	while (i < n) {
		int j;
		pixman_box32_t box;

		for (; i < n; i++) {
			int x = st->x + (st->w > 1 ? i : 0);
			int y = st->y + (st->h > 1 ? i : 0);

			if (dm->strip[i] != fb[(size_t)y * stride + x])
				break;
		}
		if (i == n)
			break;
		for (j = i; j < n; j++) {
			int x = st->x + (st->w > 1 ? j : 0);
			int y = st->y + (st->h > 1 ? j : 0);

			if (dm->strip[j] == fb[(size_t)y * stride + x])
				break;
		}
		box.x1 = st->x + (st->w > 1 ? i : 0);
		box.y1 = st->y + (st->h > 1 ? i : 0);
		box.x2 = st->w > 1 ? st->x + j : st->x + 1;
		box.y2 = st->h > 1 ? st->y + j : st->y + 1;
		if (pixman_region32_contains_rectangle(&dm->pending, &box) !=
		    PIXMAN_REGION_IN) {
			*miss = rect_from_box(&box);
			return true;
		}
		i = j;
	}
	return false;
}

/* Whether tracking still runs on a screen of this size, in X and in the
 * server alike. */
static bool geometry_ok(struct x11_damage *dm, int width, int height)
{
	return dm->damage && width == x11_display_width(dm->d) &&
	       height == x11_display_height(dm->d) &&
	       width == xrfb_server_width(dm->server) &&
	       height == xrfb_server_height(dm->server);
}

enum strip_result { STRIP_CLEAN, STRIP_MISSED, STRIP_ABORT };

/* Read @st and look for a change no damage reported. Every read is a
 * round trip, so the damage events of everything drawn before it are
 * queued by then: drain them first. STRIP_ABORT: the read failed, or
 * the events resized the screen or ended tracking. */
static enum strip_result check_strip(struct x11_damage *dm,
				     const struct strip *st, int width,
				     int height, struct rect *miss)
{
	if (x11_capture_read(dm->cap, st->x, st->y, st->w, st->h, dm->strip,
			     (st->w > 1 ? (size_t)st->w : 1) * 4) < 0)
		return STRIP_ABORT;
	x11_display_drain(dm->d);
	if (!geometry_ok(dm, width, height))
		return STRIP_ABORT;
	return strip_missed(dm, st, miss) ? STRIP_MISSED : STRIP_CLEAN;
}

static void check(struct x11_damage *dm)
{
	int width = x11_display_width(dm->d);
	int height = x11_display_height(dm->d);
	struct strip st[X11_DAMAGE_CHECK_ROWS + X11_DAMAGE_CHECK_COLS];
	enum strip_result res = STRIP_CLEAN;
	struct rect miss;
	size_t need = (size_t)(width > height ? width : height);
	int i, n = 0;

	dm->last_check = xrfb_now_ms();
	if (x11_display_is_lost(dm->d) || !geometry_ok(dm, width, height))
		return;
	if (dm->strip_len < need) {
		free(dm->strip);
		dm->strip = xmalloc(need * sizeof(*dm->strip));
		dm->strip_len = need;
	}
	for (i = 0; i < X11_DAMAGE_CHECK_ROWS; i++)
		st[n++] = (struct strip){ 0, (int)(next_random(dm) %
					  (uint32_t)height), width, 1 };
	for (i = 0; i < X11_DAMAGE_CHECK_COLS; i++)
		st[n++] = (struct strip){ (int)(next_random(dm) %
					  (uint32_t)width), 0, 1, height };
	dm->in_flush = true;
	/* Seen twice, the second time after a full round trip: the
	 * difference is real and nothing reported it. A resize or the end
	 * of tracking stops the check: the strips were cut for the old
	 * screen. */
	for (i = 0; i < n && res == STRIP_CLEAN; i++) {
		res = check_strip(dm, &st[i], width, height, &miss);
		if (res == STRIP_MISSED) {
			XSync(dm->dpy, False);
			res = check_strip(dm, &st[i], width, height, &miss);
		}
	}
	dm->in_flush = false;
	if (res != STRIP_MISSED)
		return;
	log_warn("damage: XDamage did not report a change at %dx%d+%d+%d; "
		 "polling the screen from now on", miss.w, miss.h, miss.x,
		 miss.y);
	start_polling(dm, X11_DAMAGE_MODE_POLL_UNRELIABLE);
}

static void on_check_timer(void *arg)
{
	struct x11_damage *dm = arg;

	dm->check = NULL;
	check(dm);
	if (!dm->damage)
		return;
	dm->check_ms *= 2;
	if (dm->check_ms > X11_DAMAGE_CHECK_MAX_MS)
		dm->check_ms = X11_DAMAGE_CHECK_MAX_MS;
	arm_check(dm, dm->check_ms);
}

/* ---- capturing ------------------------------------------------------------ */

static void capture(struct x11_damage *dm)
{
	region_t r;

	if (!pixman_region32_not_empty(&dm->pending) ||
	    x11_display_is_lost(dm->d))
		return;
	/* The screen is read as it is now, so the damage must cover every
	 * change made until now, not only the events read so far: a window
	 * dragged in many steps damages the place it left and the place it
	 * went in separate events, and with only part of them the move is
	 * not found (its destination is not in the damage), while the next
	 * capture finds its source already overwritten. After a round trip
	 * every earlier change has its event in the queue. */
	XSync(dm->dpy, False);
	x11_display_drain(dm->d);
	if (x11_display_is_lost(dm->d))
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
	/* While damage arrives, check it now and then. */
	if (dm->damage &&
	    xrfb_now_ms() - dm->last_check >= X11_DAMAGE_CHECK_BUSY_MS)
		check(dm);
	if (pixman_region32_not_empty(&dm->pending))
		want_wake(dm);
}

void x11_damage_capture_now(struct x11_damage *dm, bool whole_screen)
{
	/* A new client: from now on changes must be tracked. */
	track_start(dm);
	if (whole_screen || is_polling(dm)) {
		pixman_region32_clear(&dm->pending);
		add_all(dm);
	}
	capture(dm);
}

void x11_damage_input(struct x11_damage *dm)
{
	if (!is_polling(dm))
		return;
	/* Input usually changes the screen: look again soon. */
	dm->poll_ms = dm->poll_min_ms;
	if (dm->poll)
		arm_poll(dm, xrfb_now_ms());
}

static void on_prepare(void *arg)
{
	struct x11_damage *dm = arg;

	/* x11-display's own prepare hook, added before this one, has just
	 * dispatched every event Xlib could read. */
	if (!is_polling(dm)) {
		if (xrfb_server_client_count(dm->server) == 0)
			track_stop(dm);
		else if (!dm->damage && track_start(dm) == 0 && dm->damage)
			dm->force = true;
	}
	if (dm->force || xrfb_server_wants_update(dm->server)) {
		dm->force = false;
		capture(dm);
	}
	if (is_polling(dm) && !dm->poll &&
	    xrfb_server_wants_update(dm->server))
		arm_poll(dm, xrfb_now_ms());
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
	if (!dm->event_base || ev->type != dm->event_base + XDamageNotify)
		return false;
	/* Late events of a damage object already destroyed add nothing. */
	if (!dm->damage)
		return true;
	de = (XDamageNotifyEvent *)ev;
	add_rect(dm, de->area.x, de->area.y, de->area.width, de->area.height);
	want_wake(dm);
	return true;
}

static bool has_damage_ext(struct x11_damage *dm)
{
	int error_base, major, minor;

	if (!XDamageQueryExtension(dm->dpy, &dm->event_base, &error_base) ||
	    !XDamageQueryVersion(dm->dpy, &major, &minor)) {
		dm->event_base = 0;
		return false;
	}
	log_debug("%s: XDamage %d.%d", __func__, major, minor);
	return true;
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
	dm->poll_min_ms = poll_ms ? poll_ms : 50;
	dm->poll_ms = dm->poll_min_ms;
	dm->rng = (uint32_t)xrfb_now_ms() | 1;
	pixman_region32_init(&dm->pending);

	if (poll) {
		dm->mode = X11_DAMAGE_MODE_POLL_FORCED;
		log_info("damage: polling the screen (--poll), every %u to "
			 "%u ms", dm->poll_min_ms, X11_DAMAGE_POLL_MAX_MS);
	} else if (!has_damage_ext(dm)) {
		dm->mode = X11_DAMAGE_MODE_POLL_MISSING;
		log_info("damage: XDamage not available, polling the screen "
			 "every %u to %u ms", dm->poll_min_ms,
			 X11_DAMAGE_POLL_MAX_MS);
	} else {
		dm->mode = X11_DAMAGE_MODE_DAMAGE;
		log_info("damage: XDamage, self-checked");
	}
	if (x11_display_add_handler(d, on_event, dm) < 0)
		goto err_free;
	if (xrfb_loop_add_prepare(loop, on_prepare, dm) < 0)
		goto err_remove_handler;
	/* Everything is new to the server's (black) copy. */
	x11_damage_capture_now(dm, true);
	return dm;

err_remove_handler:
	x11_display_remove_handler(d, on_event, dm);
err_free:
	pixman_region32_fini(&dm->pending);
	free(dm);
	return NULL;
}

void x11_damage_free(struct x11_damage *dm)
{
	if (!dm)
		return;
	track_stop(dm);
	if (dm->poll)
		xrfb_timer_cancel(dm->poll);
	if (dm->wake)
		xrfb_timer_cancel(dm->wake);
	xrfb_loop_remove_prepare(dm->loop, on_prepare, dm);
	x11_display_remove_handler(dm->d, on_event, dm);
	pixman_region32_fini(&dm->pending);
	free(dm->strip);
	free(dm);
}
