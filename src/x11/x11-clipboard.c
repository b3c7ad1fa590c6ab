/* SPDX-License-Identifier: MIT */
/*
 * x11-clipboard: the X selections and the viewers' clipboard (ICCCM §2).
 *
 * From X to viewers: XFixes tells us whenever CLIPBOARD or PRIMARY gets a
 * new owner; we ask the owner for UTF8_STRING (STRING as a fallback),
 * receive it whole or incrementally (INCR), and hand the text to the
 * server, which offers it to every viewer in the form each understands.
 *
 * From viewers to X: when a viewer sets its clipboard, a hidden window of
 * ours takes ownership of the selections and answers SelectionRequests for
 * TARGETS, TIMESTAMP, UTF8_STRING, TEXT, STRING (Latin-1) and the MIME
 * text types, with INCR for text larger than one chunk. Changes of owner
 * to ourselves are ignored, so nothing is echoed back.
 *
 * Text is bounded by the clipboard limit in both directions. One transfer
 * from X runs at a time; a newer owner replaces an older pending one.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>

#include "buf.h"
#include "log.h"
#include "utf8.h"
#include "x11-clipboard.h"

/* Data above this size goes by INCR, in chunks of this size. */
#define X11_CLIP_CHUNK (64u << 10)
/* A transfer that makes no progress for this long is abandoned. */
#define X11_CLIP_TIMEOUT_MS 5000
/* Incremental transfers to X clients at once. */
#define X11_CLIP_MAX_OUT 8

enum x11_clip_atom {
	ATOM_CLIPBOARD,
	ATOM_UTF8_STRING,
	ATOM_TEXT,
	ATOM_TARGETS,
	ATOM_TIMESTAMP,
	ATOM_INCR,
	ATOM_MIME_UTF8,
	ATOM_MIME_PLAIN,
	ATOM_PROPERTY,		/* where owners put what we ask for */
	ATOM_STAMP,		/* appended to for a server timestamp */
	ATOM_COUNT,
};

static const char *const atom_names[ATOM_COUNT] = {
	"CLIPBOARD", "UTF8_STRING", "TEXT", "TARGETS", "TIMESTAMP", "INCR",
	"text/plain;charset=utf-8", "text/plain", "XRFB_SELECTION",
	"XRFB_TIMESTAMP",
};

/* One selection we exchange. */
struct x11_clip_sel {
	Atom atom;
	bool owned;		/* by our window */
	Time owned_time;
	bool pending;		/* a new owner waits to be read */
	Time pending_time;
};

/* Text being read from a selection owner. */
struct x11_clip_in {
	bool active;
	struct x11_clip_sel *sel;
	Atom target;
	bool incr;
	struct buf data;
	Atom type;
	struct xrfb_timer *timeout;
};

/* Text being written to a requestor in INCR chunks. */
struct x11_clip_out {
	struct x11_clipboard *xc;
	Window requestor;	/* None: slot free */
	Atom property, type;
	uint8_t *data;
	size_t len, off;
	bool done;		/* the final empty chunk is written */
	struct xrfb_timer *timeout;
};

struct x11_clipboard {
	struct xrfb_loop *loop;
	struct x11_display *d;
	struct xrfb_server *server;
	Display *dpy;
	Window win;
	int event_base;
	uint32_t max;
	Atom atoms[ATOM_COUNT];
	struct x11_clip_sel sels[2];
	unsigned nsels;
	char *text;		/* what viewers set, UTF-8 */
	size_t len;
	struct x11_clip_in in;
	struct x11_clip_out out[X11_CLIP_MAX_OUT];
};

/* ---- text conversions ----------------------------------------------------- */


/* ---- from X to viewers ------------------------------------------------------- */

static struct x11_clip_sel *sel_of(struct x11_clipboard *xc, Atom atom)
{
	for (unsigned i = 0; i < xc->nsels; i++)
		if (xc->sels[i].atom == atom)
			return &xc->sels[i];
	return NULL;
}

static void start_next(struct x11_clipboard *xc);

static void in_end(struct x11_clipboard *xc)
{
	struct x11_clip_in *in = &xc->in;

	if (in->timeout)
		xrfb_timer_cancel(in->timeout);
	in->timeout = NULL;
	buf_fini(&in->data);
	in->active = false;
	in->incr = false;
	if (!x11_display_is_lost(xc->d))
		XDeleteProperty(xc->dpy, xc->win, xc->atoms[ATOM_PROPERTY]);
}

static void on_in_timeout(void *arg)
{
	struct x11_clipboard *xc = arg;

	xc->in.timeout = NULL;
	log_info("clipboard: the selection owner stopped answering");
	in_end(xc);
	start_next(xc);
}

static void in_touch(struct x11_clipboard *xc)
{
	if (xc->in.timeout)
		xrfb_timer_cancel(xc->in.timeout);
	xc->in.timeout = xrfb_loop_add_timer(xc->loop, X11_CLIP_TIMEOUT_MS,
					     on_in_timeout, xc);
}

static void request(struct x11_clipboard *xc, struct x11_clip_sel *sel,
		    Atom target, Time t)
{
	struct x11_clip_in *in = &xc->in;

	in->active = true;
	in->sel = sel;
	in->target = target;
	in->incr = false;
	in->type = None;
	XDeleteProperty(xc->dpy, xc->win, xc->atoms[ATOM_PROPERTY]);
	XConvertSelection(xc->dpy, sel->atom, target, xc->atoms[ATOM_PROPERTY],
			  xc->win, t);
	XFlush(xc->dpy);
	in_touch(xc);
}

/* Read the next selection whose owner changed, if no transfer runs. */
static void start_next(struct x11_clipboard *xc)
{
	for (unsigned i = 0; i < xc->nsels && !xc->in.active; i++) {
		struct x11_clip_sel *sel = &xc->sels[i];

		if (!sel->pending)
			continue;
		sel->pending = false;
		request(xc, sel, xc->atoms[ATOM_UTF8_STRING],
			sel->pending_time);
	}
}

/* The whole text has arrived: offer it to the viewers. */
static void in_finish(struct x11_clipboard *xc)
{
	struct x11_clip_in *in = &xc->in;
	uint8_t *text = in->data.data, *conv = NULL;
	size_t len = in->data.len;
	char esc[48];
	int r;

	/* Some owners end their text with a NUL. */
	while (len && text[len - 1] == '\0')
		len--;
	/* STRING is Latin-1; UTF-8 that is not valid is taken as such too,
	 * rather than sending viewers broken text. */
	if (in->type != xc->atoms[ATOM_UTF8_STRING] ||
	    !utf8_valid(text, len)) {
		conv = (uint8_t *)latin1_to_utf8(text, len, &len);
		text = conv;
	}
	if (!text) {
		log_warn("clipboard: no memory to convert the selection");
	} else if (len > xc->max) {
		log_info("clipboard: %zu bytes from X are over the %u-byte "
			 "limit, not sent", len, xc->max);
	} else {
		log_debug("clipboard: %zu bytes from the X selection: \"%s\"",
			  len, log_escape(esc, sizeof(esc), (char *)text,
					  len < 32 ? len : 32));
		r = xrfb_server_send_cut_text(xc->server, (char *)text, len);
		if (r < 0)
			log_info("clipboard: text from X not sent: %d", r);
	}
	free(conv);
	in_end(xc);
	start_next(xc);
}

/* Append the value of our property (deleting it, which asks an INCR
 * sender for more); false once the transfer is over or failed. */
static bool read_chunk(struct x11_clipboard *xc, bool *empty)
{
	struct x11_clip_in *in = &xc->in;
	unsigned long nitems = 0, after = 0;
	unsigned char *data = NULL;
	Atom type = None;
	int format = 0;
	long room;

	*empty = false;
	room = (long)((xc->max - (in->data.len < xc->max ? in->data.len
							   : xc->max)) /
		      4 + 1);
	if (XGetWindowProperty(xc->dpy, xc->win, xc->atoms[ATOM_PROPERTY], 0,
			       room, True, AnyPropertyType, &type, &format,
			       &nitems, &after, &data) != Success) {
		log_info("clipboard: cannot read the selection");
		return false;
	}
	if (type == xc->atoms[ATOM_INCR]) {
		/* Deleting the property told the owner to start. */
		log_debug("%s: receiving the selection by INCR", __func__);
		in->incr = true;
		XFree(data);
		in_touch(xc);
		return true;
	}
	if (type == None || format != 8 ||
	    in->data.len + nitems > xc->max || after) {
		if (type != None && format == 8)
			log_info("clipboard: the selection is over the "
				 "%u-byte limit, not sent", xc->max);
		else
			log_info("clipboard: the selection is not text");
		XFree(data);
		return false;
	}
	if (in->type == None)
		in->type = type;
	*empty = nitems == 0;
	if (nitems && buf_append(&in->data, data, nitems) < 0) {
		XFree(data);
		return false;
	}
	XFree(data);
	in_touch(xc);
	return true;
}

static void on_selection_notify(struct x11_clipboard *xc,
				const XSelectionEvent *ev)
{
	struct x11_clip_in *in = &xc->in;
	bool empty;

	if (!in->active || ev->selection != in->sel->atom ||
	    ev->target != in->target)
		return;
	if (ev->property == None) {
		/* No UTF8_STRING: older programs may still have STRING. */
		if (in->target == xc->atoms[ATOM_UTF8_STRING]) {
			request(xc, in->sel, XA_STRING, ev->time);
			return;
		}
		log_debug("%s: the owner has no text", __func__);
		in_end(xc);
		start_next(xc);
		return;
	}
	if (!read_chunk(xc, &empty)) {
		in_end(xc);
		start_next(xc);
		return;
	}
	if (!in->incr)
		in_finish(xc);
}

static void on_incr_chunk(struct x11_clipboard *xc)
{
	bool empty;

	if (!read_chunk(xc, &empty)) {
		/* The owner goes on sending; it finds nobody listening
		 * once the property stays put. */
		in_end(xc);
		start_next(xc);
		return;
	}
	if (empty)
		in_finish(xc);
}

static void on_owner_change(struct x11_clipboard *xc,
			    const XFixesSelectionNotifyEvent *ev)
{
	struct x11_clip_sel *sel = sel_of(xc, ev->selection);

	if (!sel || ev->owner == None || ev->owner == xc->win)
		return;
	sel->pending = true;
	sel->pending_time = ev->selection_timestamp;
	/* A newer owner of the selection being read replaces it. */
	if (xc->in.active && xc->in.sel == sel)
		in_end(xc);
	start_next(xc);
}

/* ---- from viewers to X ------------------------------------------------------- */

static struct x11_clip_out *out_find(struct x11_clipboard *xc, Window w,
				     Atom property)
{
	for (unsigned i = 0; i < X11_CLIP_MAX_OUT; i++)
		if (xc->out[i].requestor == w && w != None &&
		    xc->out[i].property == property)
			return &xc->out[i];
	return NULL;
}

static void out_end(struct x11_clip_out *o)
{
	struct x11_clipboard *xc = o->xc;
	bool other = false;

	if (o->timeout)
		xrfb_timer_cancel(o->timeout);
	/* Stop hearing of the requestor's properties, unless another
	 * transfer to the same window still runs. */
	for (unsigned i = 0; i < X11_CLIP_MAX_OUT; i++)
		if (&xc->out[i] != o && xc->out[i].requestor == o->requestor)
			other = true;
	if (!other && !x11_display_is_lost(xc->d))
		XSelectInput(xc->dpy, o->requestor, NoEventMask);
	free(o->data);
	memset(o, 0, sizeof(*o));
	o->xc = xc;
}

static void on_out_timeout(void *arg)
{
	struct x11_clip_out *o = arg;

	o->timeout = NULL;
	log_info("clipboard: window 0x%lx stopped reading the selection",
		 (unsigned long)o->requestor);
	out_end(o);
}

/* The requestor took the last chunk: write the next one. */
static void out_next(struct x11_clip_out *o)
{
	struct x11_clipboard *xc = o->xc;
	size_t n = o->len - o->off;

	if (o->done) {
		out_end(o);
		return;
	}
	if (n > X11_CLIP_CHUNK)
		n = X11_CLIP_CHUNK;
	/* The final chunk is empty. */
	XChangeProperty(xc->dpy, o->requestor, o->property, o->type, 8,
			PropModeReplace, o->data + o->off, (int)n);
	o->off += n;
	o->done = n == 0;
	XFlush(xc->dpy);
	xrfb_timer_cancel(o->timeout);
	o->timeout = xrfb_loop_add_timer(xc->loop, X11_CLIP_TIMEOUT_MS,
					 on_out_timeout, o);
}

/* Put @data on the requestor's property, whole or by INCR (taking over
 * @data). False if it could not be done. */
static bool serve_text(struct x11_clipboard *xc, const XSelectionRequestEvent *ev,
		       Atom property, Atom type, uint8_t *data, size_t len)
{
	struct x11_clip_out *o = NULL;
	long total = (long)len;

	if (len <= X11_CLIP_CHUNK) {
		XChangeProperty(xc->dpy, ev->requestor, property, type, 8,
				PropModeReplace, data, (int)len);
		free(data);
		return true;
	}
	for (unsigned i = 0; i < X11_CLIP_MAX_OUT && !o; i++)
		if (xc->out[i].requestor == None)
			o = &xc->out[i];
	if (!o || out_find(xc, ev->requestor, property)) {
		log_info("clipboard: too many transfers to X at once");
		free(data);
		return false;
	}
	o->requestor = ev->requestor;
	o->property = property;
	o->type = type;
	o->data = data;
	o->len = len;
	o->off = 0;
	o->done = false;
	/* ICCCM §2.7.2: announce the size with INCR, then one chunk each
	 * time the requestor deletes the property. */
	log_debug("%s: sending %zu bytes to 0x%lx by INCR", __func__, len,
		  (unsigned long)ev->requestor);
	XSelectInput(xc->dpy, ev->requestor, PropertyChangeMask);
	XChangeProperty(xc->dpy, ev->requestor, property, xc->atoms[ATOM_INCR],
			32, PropModeReplace, (unsigned char *)&total, 1);
	o->timeout = xrfb_loop_add_timer(xc->loop, X11_CLIP_TIMEOUT_MS,
					 on_out_timeout, o);
	return true;
}

static void on_selection_request(struct x11_clipboard *xc,
				 const XSelectionRequestEvent *ev)
{
	struct x11_clip_sel *sel = sel_of(xc, ev->selection);
	Atom property = ev->property != None ? ev->property : ev->target;
	Atom target = ev->target;
	XSelectionEvent reply;
	bool ok = false;

	memset(&reply, 0, sizeof(reply));
	reply.type = SelectionNotify;
	reply.display = xc->dpy;
	reply.requestor = ev->requestor;
	reply.selection = ev->selection;
	reply.target = target;
	reply.time = ev->time;

	if (!sel || !sel->owned || !xc->text) {
		/* Not ours (any more): refuse. */
	} else if (target == xc->atoms[ATOM_TARGETS]) {
		Atom targets[] = {
			xc->atoms[ATOM_TARGETS], xc->atoms[ATOM_TIMESTAMP],
			xc->atoms[ATOM_UTF8_STRING], xc->atoms[ATOM_MIME_UTF8],
			xc->atoms[ATOM_TEXT], XA_STRING,
			xc->atoms[ATOM_MIME_PLAIN],
		};

		XChangeProperty(xc->dpy, ev->requestor, property, XA_ATOM, 32,
				PropModeReplace, (unsigned char *)targets,
				(int)(sizeof(targets) / sizeof(targets[0])));
		ok = true;
	} else if (target == xc->atoms[ATOM_TIMESTAMP]) {
		long t = (long)sel->owned_time;

		XChangeProperty(xc->dpy, ev->requestor, property, XA_INTEGER,
				32, PropModeReplace, (unsigned char *)&t, 1);
		ok = true;
	} else if (target == xc->atoms[ATOM_UTF8_STRING] ||
		   target == xc->atoms[ATOM_TEXT] ||
		   target == xc->atoms[ATOM_MIME_UTF8]) {
		uint8_t *copy = xmalloc(xc->len + 1);
		Atom type = target == xc->atoms[ATOM_MIME_UTF8]
				    ? target
				    : xc->atoms[ATOM_UTF8_STRING];

		memcpy(copy, xc->text, xc->len);
		ok = serve_text(xc, ev, property, type, copy, xc->len);
	} else if (target == XA_STRING ||
		   target == xc->atoms[ATOM_MIME_PLAIN]) {
		uint8_t *l1 = xmalloc(xc->len + 1);
		size_t n = utf8_to_latin1(xc->text, xc->len, l1);

		ok = serve_text(xc, ev, property, target, l1, n);
	}
	reply.property = ok ? property : None;
	XSendEvent(xc->dpy, ev->requestor, False, NoEventMask,
		   (XEvent *)&reply);
	XFlush(xc->dpy);
}

static Bool is_stamp_event(Display *dpy, XEvent *ev, XPointer arg)
{
	struct x11_clipboard *xc = (struct x11_clipboard *)arg;

	return ev->type == PropertyNotify && ev->xproperty.window == xc->win &&
	       ev->xproperty.atom == xc->atoms[ATOM_STAMP];
}

/* The X server's current time, for XSetSelectionOwner (ICCCM §2.1 asks
 * for a real timestamp, not CurrentTime): append nothing to a property
 * of ours and read the time off the PropertyNotify. */
static Time server_time(struct x11_clipboard *xc)
{
	XEvent ev;

	XChangeProperty(xc->dpy, xc->win, xc->atoms[ATOM_STAMP], XA_STRING, 8,
			PropModeAppend, NULL, 0);
	/* The event is queued before the server answers the sync; a lost
	 * connection never blocks us here. */
	XSync(xc->dpy, False);
	if (x11_display_is_lost(xc->d) ||
	    !XCheckIfEvent(xc->dpy, &ev, is_stamp_event, (XPointer)xc))
		return CurrentTime;
	return ev.xproperty.time;
}

void x11_clipboard_set_text(struct x11_clipboard *xc, const char *text,
			    size_t len)
{
	Time t;

	if (!xc || x11_display_is_lost(xc->d))
		return;
	if (len > xc->max) {
		log_info("clipboard: %zu bytes from a viewer are over the "
			 "%u-byte limit", len, xc->max);
		return;
	}
	free(xc->text);
	xc->text = xmalloc(len + 1);
	memcpy(xc->text, text, len);
	xc->text[len] = '\0';
	xc->len = len;
	t = server_time(xc);
	for (unsigned i = 0; i < xc->nsels; i++) {
		struct x11_clip_sel *sel = &xc->sels[i];

		XSetSelectionOwner(xc->dpy, sel->atom, xc->win, t);
		sel->owned = XGetSelectionOwner(xc->dpy, sel->atom) == xc->win;
		sel->owned_time = t;
		sel->pending = false;
		if (!sel->owned)
			log_info("clipboard: could not own the selection");
	}
	/* What we were reading from X is older than this. */
	if (xc->in.active)
		in_end(xc);
	log_debug("%s: %zu bytes from a viewer", __func__, len);
}

static void on_selection_clear(struct x11_clipboard *xc,
			       const XSelectionClearEvent *ev)
{
	struct x11_clip_sel *sel = sel_of(xc, ev->selection);
	bool any = false;

	if (!sel)
		return;
	sel->owned = false;
	for (unsigned i = 0; i < xc->nsels; i++)
		any |= xc->sels[i].owned;
	if (!any) {
		free(xc->text);
		xc->text = NULL;
		xc->len = 0;
	}
}

/* ---- events and setup ----------------------------------------------------------- */

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_clipboard *xc = arg;
	struct x11_clip_out *o;

	switch (ev->type) {
	case SelectionRequest:
		if (ev->xselectionrequest.owner != xc->win)
			return false;
		on_selection_request(xc, &ev->xselectionrequest);
		return true;
	case SelectionClear:
		if (ev->xselectionclear.window != xc->win)
			return false;
		on_selection_clear(xc, &ev->xselectionclear);
		return true;
	case SelectionNotify:
		if (ev->xselection.requestor != xc->win)
			return false;
		on_selection_notify(xc, &ev->xselection);
		return true;
	case PropertyNotify:
		if (ev->xproperty.window == xc->win) {
			if (ev->xproperty.atom == xc->atoms[ATOM_PROPERTY] &&
			    ev->xproperty.state == PropertyNewValue &&
			    xc->in.active && xc->in.incr)
				on_incr_chunk(xc);
			return true;
		}
		o = out_find(xc, ev->xproperty.window, ev->xproperty.atom);
		if (!o)
			return false;
		if (ev->xproperty.state == PropertyDelete)
			out_next(o);
		return true;
	default:
		if (ev->type == xc->event_base + XFixesSelectionNotify) {
			on_owner_change(xc, (XFixesSelectionNotifyEvent *)ev);
			return true;
		}
		return false;
	}
}

struct x11_clipboard *x11_clipboard_new(struct xrfb_loop *loop,
					struct x11_display *d,
					struct xrfb_server *s, unsigned which,
					uint32_t max)
{
	struct x11_clipboard *xc;
	Window root = x11_display_root(d);
	int error_base, major = 0, minor = 0;
	unsigned i;

	xc = xcalloc(1, sizeof(*xc));
	xc->loop = loop;
	xc->d = d;
	xc->server = s;
	xc->dpy = x11_display_dpy(d);
	xc->max = max;
	for (i = 0; i < X11_CLIP_MAX_OUT; i++)
		xc->out[i].xc = xc;
	if (!XFixesQueryExtension(xc->dpy, &xc->event_base, &error_base) ||
	    !XFixesQueryVersion(xc->dpy, &major, &minor) || major < 1) {
		log_warn("the X server has no XFixes: the clipboard is not "
			 "shared");
		free(xc);
		return NULL;
	}
	XInternAtoms(xc->dpy, (char **)atom_names, ATOM_COUNT, False,
		     xc->atoms);
	if (which & X11_CLIPBOARD_CLIPBOARD)
		xc->sels[xc->nsels++].atom = xc->atoms[ATOM_CLIPBOARD];
	if (which & X11_CLIPBOARD_PRIMARY)
		xc->sels[xc->nsels++].atom = XA_PRIMARY;
	xc->win = XCreateSimpleWindow(xc->dpy, root, -10, -10, 1, 1, 0, 0, 0);
	XSelectInput(xc->dpy, xc->win, PropertyChangeMask);
	XStoreName(xc->dpy, xc->win, "xrfb clipboard");
	if (x11_display_add_handler(d, on_event, xc) < 0) {
		XDestroyWindow(xc->dpy, xc->win);
		free(xc);
		return NULL;
	}
	for (i = 0; i < xc->nsels; i++)
		XFixesSelectSelectionInput(xc->dpy, root, xc->sels[i].atom,
					   XFixesSetSelectionOwnerNotifyMask);
	/* What is on the clipboard already (CLIPBOARD rather than PRIMARY)
	 * is what viewers get first. */
	for (i = 0; i < xc->nsels; i++) {
		if (XGetSelectionOwner(xc->dpy, xc->sels[i].atom) == None)
			continue;
		xc->sels[i].pending = true;
		xc->sels[i].pending_time = CurrentTime;
		break;
	}
	start_next(xc);
	log_info("clipboard: sharing %s%s%s with viewers (at most %u bytes)",
		 which & X11_CLIPBOARD_CLIPBOARD ? "CLIPBOARD" : "",
		 which == (X11_CLIPBOARD_CLIPBOARD | X11_CLIPBOARD_PRIMARY)
			 ? " and "
			 : "",
		 which & X11_CLIPBOARD_PRIMARY ? "PRIMARY" : "", max);
	return xc;
}

void x11_clipboard_free(struct x11_clipboard *xc)
{
	if (!xc)
		return;
	if (xc->in.active || xc->in.timeout)
		in_end(xc);
	for (unsigned i = 0; i < X11_CLIP_MAX_OUT; i++)
		if (xc->out[i].requestor != None)
			out_end(&xc->out[i]);
	x11_display_remove_handler(xc->d, on_event, xc);
	if (!x11_display_is_lost(xc->d)) {
		for (unsigned i = 0; i < xc->nsels; i++)
			XFixesSelectSelectionInput(xc->dpy,
						   x11_display_root(xc->d),
						   xc->sels[i].atom, 0);
		/* Destroying the window gives up its selections. */
		XDestroyWindow(xc->dpy, xc->win);
		XFlush(xc->dpy);
	}
	free(xc->text);
	free(xc);
}
