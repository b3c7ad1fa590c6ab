/* SPDX-License-Identifier: MIT */
/*
 * x11-cursor: the X cursor as viewers should see it. XFixes reports every
 * change of the cursor image (XFixesSelectCursorInput); the image, which
 * X keeps as premultiplied ARGB, is converted to straight ARGB and given
 * to the server, which sends it as a cursor shape or draws it into the
 * pixels of viewers without shape support. Screen captures never contain
 * the cursor, so there is nothing to take out of them.
 *
 * The pointer position is read with XQueryPointer on a short timer, and
 * only while viewers are connected: an idle server makes no requests. A
 * client's own pointer events are passed on at once, so its cursor does
 * not lag behind by a poll interval.
 *
 * Nothing here knows about RFB beyond the public server API.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>

#include "buf.h"
#include "log.h"
#include "x11-cursor.h"

/* How often the pointer position is read while viewers are connected. */
#define X11_CURSOR_POLL_MS 33
/* While the pointer is still, the poll backs off, doubling up to this. */
#define X11_CURSOR_POLL_MAX_MS 1000
/* Viewers refuse larger cursors (TigerVNC); larger ones are cropped
 * around their hotspot. */
#define X11_CURSOR_MAX 256
/* While X gives no image, it is asked for again after this long,
 * doubling up to the maximum, for as long as viewers are connected. */
#define X11_CURSOR_RETRY_MS 20
#define X11_CURSOR_RETRY_MAX_MS 500
/* At most this many short-lived connections look for a refused image
 * (see get_image_elsewhere()). */
#define X11_CURSOR_SLOT_TRIES 16

struct x11_cursor {
	unsigned poll_ms;	/* current pointer poll interval */
	struct xrfb_loop *loop;
	struct x11_display *d;
	struct xrfb_server *server;
	Display *dpy;
	int event_base;
	unsigned long serial;	/* of the image the server has */
	bool have_image;
	/* That image (straight ARGB), for x11_cursor_draw(). */
	uint32_t *argb;
	int w, h, hx, hy;
	bool active;
	int x, y;		/* last position given to the server */
	struct xrfb_timer *poll;
	struct xrfb_timer *retry;
	unsigned retry_ms;	/* the next retry's delay; 0: an image */
	bool stale;		/* changed since the last fetch */
};

static uint8_t unpremultiply(unsigned c, unsigned a)
{
	unsigned v = (c * 255 + a / 2) / a;

	return (uint8_t)(v > 255 ? 255 : v);
}

/* XFixes pixels are premultiplied 0xAARRGGBB in unsigned longs (64 bits
 * on LP64); the server wants straight alpha in 32-bit words. */
static uint32_t straight_argb(unsigned long px)
{
	unsigned a = (unsigned)(px >> 24) & 255;
	unsigned r = (unsigned)(px >> 16) & 255;
	unsigned g = (unsigned)(px >> 8) & 255;
	unsigned b = (unsigned)px & 255;

	if (a == 0)
		return 0;
	if (a == 255)
		return (uint32_t)(px & 0xffffffffu);
	return (uint32_t)a << 24 | (uint32_t)unpremultiply(r, a) << 16 |
	       (uint32_t)unpremultiply(g, a) << 8 | unpremultiply(b, a);
}

/* The first of @size cells to keep of @len so that @hot stays inside. */
static int crop_start(int len, int hot, int size)
{
	int start;

	if (len <= size)
		return 0;
	start = hot - size / 2;
	if (start < 0)
		start = 0;
	if (start > len - size)
		start = len - size;
	return start;
}

/* Tell the server where the pointer is; false if it has not moved. */
static bool set_position(struct x11_cursor *xc, int x, int y)
{
	if (x < 0)
		x = 0;
	if (y < 0)
		y = 0;
	if (x > 65535)
		x = 65535;
	if (y > 65535)
		y = 65535;
	if (x == xc->x && y == xc->y)
		return false;
	xc->x = x;
	xc->y = y;
	xrfb_server_set_pointer_pos(xc->server, (uint16_t)x, (uint16_t)y);
	return true;
}

static void on_poll(void *arg);

/* The pointer moves: poll it closely again, from now. */
static void follow_closely(struct x11_cursor *xc)
{
	if (!xc->active || xc->poll_ms == X11_CURSOR_POLL_MS)
		return;
	xc->poll_ms = X11_CURSOR_POLL_MS;
	xrfb_timer_cancel(xc->poll);
	xc->poll = xrfb_loop_add_timer(xc->loop, X11_CURSOR_POLL_MS, on_poll,
				       xc);
}

static void fetch_image(struct x11_cursor *xc);

static void on_retry(void *arg)
{
	struct x11_cursor *xc = arg;

	xc->retry = NULL;
	if (x11_display_is_lost(xc->d))
		return;
	fetch_image(xc);
	x11_display_drain(xc->d);
}

static void forget_image(struct x11_cursor *xc)
{
	xc->have_image = false;
	free(xc->argb);
	xc->argb = NULL;
}

/* Ask @dpy (ours or another connection) for the cursor image; *err is
 * the X error it caused, or 0. */
static XFixesCursorImage *get_image(struct x11_cursor *xc, Display *dpy,
				    int *err)
{
	XFixesCursorImage *img;

	x11_display_trap(xc->d);
	img = XFixesGetCursorImage(dpy);
	if (dpy != xc->dpy)
		XSync(dpy, False);
	*err = x11_display_untrap(xc->d);
	return img;
}

/* Whether a request that got no reply was refused with BadAccess: Xlib
 * never passes BadAccess (nor BadAlloc) on a request with a reply to the
 * error handler, it just returns failure, so "no error" means that. */
static bool is_refused(int err)
{
	return err == 0 || err == BadAccess;
}

/*
 * Why X refuses the image: XFixesGetCursorImage is checked like any
 * access to the current cursor as a resource, and the SECURITY
 * extension (in Xvfb and Xorg) answers BadAccess to every client when
 * the client whose XID the cursor has is gone, unless the one asking
 * has taken over that client's slot. A root cursor is mostly set by a
 * program that then exits (xsetroot -cursor_name, a session's setup
 * script), so from then on nobody gets its image, animated frames
 * included; a short-lived client such as xdesk or xprop often does,
 * by luck of the slot. New connections take the lowest free slots: a
 * few opened at once reach the departed client's slot when few slots
 * below it are free. Only done when the image was refused.
 */
static XFixesCursorImage *get_image_elsewhere(struct x11_cursor *xc)
{
	Display *extra[X11_CURSOR_SLOT_TRIES];
	XFixesCursorImage *img = NULL;
	int n, i, err = BadAccess;

	for (n = 0; n < X11_CURSOR_SLOT_TRIES && !img && is_refused(err);
	     n++) {
		extra[n] = XOpenDisplay(DisplayString(xc->dpy));
		if (!extra[n])
			break;
		img = get_image(xc, extra[n], &err);
	}
	for (i = 0; i < n; i++)
		XCloseDisplay(extra[i]);
	log_debug("%s: %s after %d connection(s)", __func__,
		  img ? "an image" : "no image", n);
	return img;
}

static void fetch_image(struct x11_cursor *xc)
{
	static const uint32_t clear = 0;
	XFixesCursorImage *img;
	uint32_t *argb;
	int w, h, x0, y0, hx, hy, row, col, xerr;

	xc->stale = false;
	img = get_image(xc, xc->dpy, &xerr);
	if (!img && is_refused(xerr))
		img = get_image_elsewhere(xc);
	if (!img) {
		/* Still none (or X has none: Xvfb before any cursor was
		 * shown). Never keep the old image (viewers without cursor
		 * shapes would see it drawn in for good): hide it, and ask
		 * again, less and less often but for as long as viewers
		 * are connected, so the next image there is reaches them.
		 * Hidden as one clear pixel, not as no cursor: viewers
		 * take a 0x0 shape as "no change" (libvncclient does). */
		log_debug("%s: no cursor image (X error %d)", __func__, xerr);
		if (xc->have_image &&
		    xrfb_server_set_cursor(xc->server, &clear, 1, 1, 0, 0) == 0)
			forget_image(xc);
		if (!xc->retry_ms)
			xc->retry_ms = X11_CURSOR_RETRY_MS;
		if (!xc->retry && xc->active) {
			xc->retry = xrfb_loop_add_timer(xc->loop, xc->retry_ms,
							on_retry, xc);
			xc->retry_ms = xc->retry_ms * 2 < X11_CURSOR_RETRY_MAX_MS
					       ? xc->retry_ms * 2
					       : X11_CURSOR_RETRY_MAX_MS;
		}
		return;
	}
	xc->retry_ms = 0;
	if (xc->retry) {
		xrfb_timer_cancel(xc->retry);
		xc->retry = NULL;
	}
	if (set_position(xc, img->x, img->y))
		follow_closely(xc);
	if (xc->have_image && img->cursor_serial == xc->serial)
		goto out;
	w = img->width < X11_CURSOR_MAX ? img->width : X11_CURSOR_MAX;
	h = img->height < X11_CURSOR_MAX ? img->height : X11_CURSOR_MAX;
	x0 = crop_start(img->width, img->xhot, w);
	y0 = crop_start(img->height, img->yhot, h);
	hx = img->xhot - x0;
	hy = img->yhot - y0;
	if (hx < 0 || hx >= w)
		hx = hx < 0 ? 0 : w - 1;
	if (hy < 0 || hy >= h)
		hy = hy < 0 ? 0 : h - 1;
	argb = xmalloc((size_t)(w ? w : 1) * (size_t)(h ? h : 1) * 4);
	for (row = 0; row < h; row++)
		for (col = 0; col < w; col++)
			argb[row * w + col] = straight_argb(
				img->pixels[(size_t)(row + y0) * img->width +
					    (size_t)(col + x0)]);
	if (xrfb_server_set_cursor(xc->server, argb, (uint16_t)w,
				   (uint16_t)h, (uint16_t)(w ? hx : 0),
				   (uint16_t)(h ? hy : 0)) == 0) {
		forget_image(xc);
		xc->serial = img->cursor_serial;
		xc->have_image = true;
		xc->argb = argb;
		xc->w = w;
		xc->h = h;
		xc->hx = hx;
		xc->hy = hy;
		argb = NULL;
		log_debug("%s: cursor %lu, %dx%d, hotspot %d,%d", __func__,
			  img->cursor_serial, w, h, hx, hy);
	}
	free(argb);
out:
	XFree(img);
}

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_cursor *xc = arg;
	XFixesCursorNotifyEvent *ce;

	if (ev->type != xc->event_base + XFixesCursorNotify)
		return false;
	ce = (XFixesCursorNotifyEvent *)ev;
	if (!xc->active || xc->retry) {
		/* Nobody needs it now (it is fetched when a viewer comes
		 * or a screenshot wants it), or a retry is due soon: the
		 * frames of an animation X refuses would otherwise cost
		 * round trips and connections each. */
		xc->stale = true;
		return true;
	}
	if (!xc->have_image || ce->cursor_serial != xc->serial)
		fetch_image(xc);
	return true;
}

static void on_poll(void *arg)
{
	struct x11_cursor *xc = arg;
	Window root, child;
	int rx, ry, wx, wy;
	unsigned mask;
	bool moved = false;

	xc->poll = NULL;
	if (x11_display_is_lost(xc->d))
		return;
	if (XQueryPointer(xc->dpy, x11_display_root(xc->d), &root, &child,
			  &rx, &ry, &wx, &wy, &mask))
		moved = set_position(xc, rx, ry);
	/* Fast while the pointer moves; backing off while it is still, so
	 * an idle desktop with a viewer costs next to nothing. */
	if (moved)
		xc->poll_ms = X11_CURSOR_POLL_MS;
	else if (xc->poll_ms < X11_CURSOR_POLL_MAX_MS)
		xc->poll_ms = xc->poll_ms * 2 < X11_CURSOR_POLL_MAX_MS
				      ? xc->poll_ms * 2 : X11_CURSOR_POLL_MAX_MS;
	/* Events read during the round trip wait in Xlib's queue. */
	x11_display_drain(xc->d);
	if (xc->active)
		xc->poll = xrfb_loop_add_timer(xc->loop, xc->poll_ms,
					       on_poll, xc);
}

void x11_cursor_set_active(struct x11_cursor *xc, bool active)
{
	if (!xc || active == xc->active)
		return;
	xc->active = active;
	xc->poll_ms = X11_CURSOR_POLL_MS;
	if (active && !xc->poll) {
		xc->poll = xrfb_loop_add_timer(xc->loop, 0, on_poll, xc);
	} else if (!active && xc->poll) {
		xrfb_timer_cancel(xc->poll);
		xc->poll = NULL;
	}
	if (!active && xc->retry) {
		/* An idle server makes no requests. */
		xrfb_timer_cancel(xc->retry);
		xc->retry = NULL;
	} else if (active && (xc->retry_ms || xc->stale) && !xc->retry) {
		/* Still no image, or changed meanwhile: look now. */
		xc->retry_ms = X11_CURSOR_RETRY_MS;
		xc->retry = xrfb_loop_add_timer(xc->loop, 0, on_retry, xc);
	}
}

void x11_cursor_moved(struct x11_cursor *xc, int x, int y)
{
	if (!xc)
		return;
	set_position(xc, x, y);
	/* A viewer moves the pointer: follow it closely again. */
	follow_closely(xc);
}

struct x11_cursor *x11_cursor_new(struct xrfb_loop *loop,
				  struct x11_display *d,
				  struct xrfb_server *s)
{
	struct x11_cursor *xc;
	int error_base, major = 0, minor = 0;

	xc = xcalloc(1, sizeof(*xc));
	xc->loop = loop;
	xc->d = d;
	xc->server = s;
	xc->dpy = x11_display_dpy(d);
	xc->x = xc->y = -1;
	if (!XFixesQueryExtension(xc->dpy, &xc->event_base, &error_base) ||
	    !XFixesQueryVersion(xc->dpy, &major, &minor) || major < 2) {
		log_warn("the X server has no XFixes 2: viewers see no "
			 "cursor");
		free(xc);
		return NULL;
	}
	if (x11_display_add_handler(d, on_event, xc) < 0) {
		free(xc);
		return NULL;
	}
	XFixesSelectCursorInput(xc->dpy, x11_display_root(d),
				XFixesDisplayCursorNotifyMask);
	fetch_image(xc);
	log_debug("%s: XFixes %d.%d", __func__, major, minor);
	return xc;
}

void x11_cursor_free(struct x11_cursor *xc)
{
	if (!xc)
		return;
	if (xc->poll)
		xrfb_timer_cancel(xc->poll);
	if (xc->retry)
		xrfb_timer_cancel(xc->retry);
	if (!x11_display_is_lost(xc->d))
		XFixesSelectCursorInput(xc->dpy, x11_display_root(xc->d), 0);
	x11_display_remove_handler(xc->d, on_event, xc);
	forget_image(xc);
	free(xc);
}

/* Blend straight ARGB @src over XRGB @dst, a channel at a time. */
static uint32_t over(uint32_t dst, uint32_t src)
{
	unsigned a = src >> 24, c, d;
	uint32_t result = 0;
	int shift;

	for (shift = 0; shift <= 16; shift += 8) {
		c = (src >> shift) & 255;
		d = (dst >> shift) & 255;
		result |= (uint32_t)((c * a + d * (255 - a) + 127) / 255)
			  << shift;
	}
	return result;
}

int x11_cursor_draw(struct x11_cursor *xc, uint32_t *pixels, size_t stride,
		    int width, int height)
{
	Window root, child;
	int px, py, wx, wy, x0, y0, x, y;
	unsigned mask;
	uint32_t *row;

	/* The image viewers are given (X may have none to give right now,
	 * as after the client that set it went away), where the pointer
	 * is now. The round trip brings in any news of a new image, which
	 * the drain hands to on_event() before it is used. */
	if (x11_display_is_lost(xc->d) ||
	    !XQueryPointer(xc->dpy, x11_display_root(xc->d), &root, &child,
			   &px, &py, &wx, &wy, &mask))
		return -ENOENT;
	x11_display_drain(xc->d);
	if (xc->stale)
		fetch_image(xc);
	if (!xc->have_image || !xc->argb)
		return -ENOENT;
	x0 = px - xc->hx;
	y0 = py - xc->hy;
	for (y = 0; y < xc->h; y++) {
		if (y0 + y < 0 || y0 + y >= height)
			continue;
		row = (uint32_t *)((uint8_t *)pixels +
				   (size_t)(y0 + y) * stride);
		for (x = 0; x < xc->w; x++)
			if (x0 + x >= 0 && x0 + x < width)
				row[x0 + x] = over(row[x0 + x],
						   xc->argb[y * xc->w + x]);
	}
	return 0;
}
