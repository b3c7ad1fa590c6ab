/* SPDX-License-Identifier: MIT */
/*
 * x11-randr: the desktop layout. Viewers that understand
 * ExtendedDesktopSize get one screen per RandR monitor (RandR 1.5; one per
 * active CRTC with RandR 1.2), each with an id that stays the same while
 * the monitor exists. RandR events and root size changes mark the layout
 * stale; it is read again once the events of a loop iteration are
 * handled. The framebuffer size itself follows the root window in
 * x11-damage.
 *
 * A viewer's SetDesktopSize is carried out here. On a virtual display
 * (Xvfb) that means: a mode of each requested size is found or created
 * and added to an output, the screen is resized, and each screen gets an
 * output, or, beyond the outputs there are, a RandR 1.5 monitor of its
 * own. On a real display the same happens only with --allow-resize, and
 * then only with modes the outputs already have: we never invent timings
 * for a physical monitor. An Xvfb cannot grow past the size it was
 * started with; such requests are answered "out of resources".
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/extensions/Xrandr.h>

#include "buf.h"
#include "log.h"
#include "x11-randr.h"

/* Screens of one layout we handle (RFB allows 255). */
#define X11_RANDR_MAX_SCREENS 64
/* Modes and monitors we create carry this prefix, so we can find and
 * remove them again. */
#define X11_RANDR_PREFIX "xrfb-"
/* Physical size of what we create, for DPI-aware programs. */
#define X11_RANDR_DPI 96

struct x11_randr_id {
	Atom key;		/* monitor name (or CRTC id without 1.5) */
	uint32_t id;
	uint32_t flags;
	bool seen;
};

struct x11_randr {
	struct xrfb_loop *loop;
	struct x11_display *d;
	struct xrfb_server *server;
	Display *dpy;
	Window root;
	int event_base;
	bool monitors;		/* RandR 1.5 */
	bool allowed;		/* SetDesktopSize may change the display */
	bool is_virtual;	/* we may create modes */
	struct x11_randr_id ids[X11_RANDR_MAX_SCREENS];
	unsigned nids;
	uint32_t next_id;
	struct xrfb_timer *update;
};

/* One screen of a layout, as read from X. */
struct x11_randr_mon {
	Atom key;
	int x, y, w, h;
};

static int mm_of(int px)
{
	return (px * 254 + X11_RANDR_DPI * 5) / (X11_RANDR_DPI * 10);
}

static bool id_in_use(const struct x11_randr *rr, uint32_t id)
{
	for (unsigned i = 0; i < rr->nids; i++)
		if (rr->ids[i].id == id)
			return true;
	return false;
}

static struct x11_randr_id *id_entry(struct x11_randr *rr, Atom key)
{
	for (unsigned i = 0; i < rr->nids; i++)
		if (rr->ids[i].key == key)
			return &rr->ids[i];
	return NULL;
}

/* The entry of @key, given a fresh id if it has none. */
static struct x11_randr_id *id_for(struct x11_randr *rr, Atom key)
{
	struct x11_randr_id *e = id_entry(rr, key);

	if (e || rr->nids == X11_RANDR_MAX_SCREENS)
		return e;
	do {
		if (++rr->next_id == 0)
			rr->next_id = 1;
	} while (id_in_use(rr, rr->next_id));
	e = &rr->ids[rr->nids++];
	*e = (struct x11_randr_id){ .key = key, .id = rr->next_id };
	return e;
}

/* Forget the ids of monitors that are gone. */
static void drop_unseen(struct x11_randr *rr)
{
	unsigned i = 0;

	while (i < rr->nids) {
		if (rr->ids[i].seen) {
			rr->ids[i++].seen = false;
			continue;
		}
		rr->ids[i] = rr->ids[--rr->nids];
	}
}

/* The current layout: RandR 1.5 monitors, else active CRTCs. */
static int read_layout(struct x11_randr *rr, struct x11_randr_mon *mon,
		       int max)
{
	XRRScreenResources *res;
	int n = 0, i;

	if (rr->monitors) {
		XRRMonitorInfo *m = XRRGetMonitors(rr->dpy, rr->root, True, &i);

		for (int k = 0; m && k < i && n < max; k++)
			mon[n++] = (struct x11_randr_mon){
				m[k].name, m[k].x, m[k].y, m[k].width,
				m[k].height };
		if (m)
			XRRFreeMonitors(m);
		return n;
	}
	res = XRRGetScreenResourcesCurrent(rr->dpy, rr->root);
	if (!res)
		return 0;
	for (i = 0; i < res->ncrtc && n < max; i++) {
		XRRCrtcInfo *ci = XRRGetCrtcInfo(rr->dpy, res, res->crtcs[i]);

		if (ci && ci->mode != None && ci->noutput > 0)
			mon[n++] = (struct x11_randr_mon){
				(Atom)res->crtcs[i], ci->x, ci->y,
				(int)ci->width, (int)ci->height };
		if (ci)
			XRRFreeCrtcInfo(ci);
	}
	XRRFreeScreenResources(res);
	return n;
}

/* Clip @m to the framebuffer; false if nothing is left. */
static bool clip(const struct x11_randr *rr, struct x11_randr_mon *m)
{
	int fw = xrfb_server_width(rr->server);
	int fh = xrfb_server_height(rr->server);

	if (m->x < 0) {
		m->w += m->x;
		m->x = 0;
	}
	if (m->y < 0) {
		m->h += m->y;
		m->y = 0;
	}
	if (m->x + m->w > fw)
		m->w = fw - m->x;
	if (m->y + m->h > fh)
		m->h = fh - m->y;
	return m->w > 0 && m->h > 0;
}

/* Tell the server the layout as X has it now. */
static void update_screens(struct x11_randr *rr)
{
	struct x11_randr_mon mon[X11_RANDR_MAX_SCREENS];
	struct xrfb_screen sc[X11_RANDR_MAX_SCREENS];
	unsigned m = 0;
	int n, i, r;

	n = read_layout(rr, mon, X11_RANDR_MAX_SCREENS);
	for (i = 0; i < n; i++) {
		struct x11_randr_id *e;

		if (!clip(rr, &mon[i]))
			continue;
		e = id_for(rr, mon[i].key);
		if (!e)
			continue;
		e->seen = true;
		sc[m++] = (struct xrfb_screen){
			.id = e->id,
			.x = (uint16_t)mon[i].x,
			.y = (uint16_t)mon[i].y,
			.width = (uint16_t)mon[i].w,
			.height = (uint16_t)mon[i].h,
			.flags = e->flags,
		};
	}
	drop_unseen(rr);
	if (m == 0) {
		/* No monitor (all outputs off): the whole framebuffer. */
		sc[0] = (struct xrfb_screen){
			.id = 1,
			.width = xrfb_server_width(rr->server),
			.height = xrfb_server_height(rr->server),
		};
		m = 1;
	}
	r = xrfb_server_set_screens(rr->server, sc, m);
	if (r < 0)
		log_warn("cannot set the screen layout (%u screens): %s", m,
			 strerror(-r));
	else
		log_debug("%s: %u screens, first %ux%u+%u+%u id %u", __func__,
			  m, sc[0].width, sc[0].height, sc[0].x, sc[0].y,
			  sc[0].id);
}

static void on_update(void *arg)
{
	struct x11_randr *rr = arg;

	rr->update = NULL;
	if (x11_display_is_lost(rr->d))
		return;
	update_screens(rr);
	/* Events read during our round trips wait in Xlib's queue. */
	x11_display_drain(rr->d);
}

static void want_update(struct x11_randr *rr)
{
	if (!rr->update)
		rr->update = xrfb_loop_add_timer(rr->loop, 0, on_update, rr);
}

static bool on_event(void *arg, XEvent *ev)
{
	struct x11_randr *rr = arg;

	if (ev->type == ConfigureNotify && ev->xconfigure.window == rr->root) {
		want_update(rr);
		return false;
	}
	if (ev->type == rr->event_base + RRScreenChangeNotify) {
		XRRUpdateConfiguration(ev);
		want_update(rr);
		return true;
	}
	if (ev->type == rr->event_base + RRNotify) {
		want_update(rr);
		return true;
	}
	return false;
}

/* ---- SetDesktopSize ------------------------------------------------------ */

/* One output and what it is to show. */
struct x11_randr_plan {
	RROutput output;
	RRCrtc crtc;
	RRMode mode;
	int x, y;
};

static const XRRModeInfo *mode_info(const XRRScreenResources *res,
				    RRMode mode)
{
	for (int i = 0; i < res->nmode; i++)
		if (res->modes[i].id == mode)
			return &res->modes[i];
	return NULL;
}

static bool mode_is(const XRRModeInfo *mi, int w, int h)
{
	return mi && (int)mi->width == w && (int)mi->height == h &&
	       !(mi->modeFlags & RR_Interlace);
}

/* A mode of @w x @h for @oi: one it has, else (on a virtual display) one
 * that exists or that we create, added to the output. None if there is
 * none. */
static RRMode find_mode(struct x11_randr *rr, XRRScreenResources *res,
			RROutput output, XRROutputInfo *oi, int w, int h)
{
	char name[64];
	XRRModeInfo *mi;
	RRMode mode;
	int i;

	for (i = 0; i < oi->nmode; i++)
		if (mode_is(mode_info(res, oi->modes[i]), w, h))
			return oi->modes[i];
	if (!rr->is_virtual)
		return None;
	snprintf(name, sizeof(name), X11_RANDR_PREFIX "%dx%d", w, h);
	for (i = 0; i < res->nmode; i++)
		if (mode_is(&res->modes[i], w, h)) {
			XRRAddOutputMode(rr->dpy, output, res->modes[i].id);
			return res->modes[i].id;
		}
	mi = XRRAllocModeInfo(name, (int)strlen(name));
	if (!mi)
		return None;
	mi->width = (unsigned)w;
	mi->height = (unsigned)h;
	mi->hSyncStart = mi->hSyncEnd = mi->hTotal = (unsigned)w;
	mi->vSyncStart = mi->vSyncEnd = mi->vTotal = (unsigned)h;
	/* 60 Hz, so that tools show a sensible rate. */
	mi->dotClock = (unsigned long)w * (unsigned long)h * 60;
	mode = XRRCreateMode(rr->dpy, rr->root, mi);
	XRRFreeModeInfo(mi);
	if (mode != None)
		XRRAddOutputMode(rr->dpy, output, mode);
	log_debug("%s: created mode %s", __func__, name);
	return mode;
}

static bool crtc_taken(const struct x11_randr_plan *plan, unsigned n,
		       RRCrtc crtc)
{
	for (unsigned i = 0; i < n; i++)
		if (plan[i].crtc == crtc)
			return true;
	return false;
}

/* Connected outputs that can be lit, the primary one first. */
static unsigned usable_outputs(struct x11_randr *rr, XRRScreenResources *res,
			       RROutput *out, XRROutputInfo **info,
			       unsigned max)
{
	RROutput primary = XRRGetOutputPrimary(rr->dpy, rr->root);
	unsigned n = 0;

	for (int i = 0; i < res->noutput && n < max; i++) {
		XRROutputInfo *oi = XRRGetOutputInfo(rr->dpy, res,
						     res->outputs[i]);

		if (!oi)
			continue;
		if (oi->connection == RR_Disconnected || oi->ncrtc == 0) {
			XRRFreeOutputInfo(oi);
			continue;
		}
		if (res->outputs[i] == primary && n > 0) {
			out[n] = out[0];
			info[n] = info[0];
			out[0] = res->outputs[i];
			info[0] = oi;
		} else {
			out[n] = res->outputs[i];
			info[n] = oi;
		}
		n++;
	}
	return n;
}

/* Remove the monitors we defined for screens beyond the outputs. */
static void delete_our_monitors(struct x11_randr *rr)
{
	XRRMonitorInfo *m;
	int n;

	m = XRRGetMonitors(rr->dpy, rr->root, False, &n);
	for (int i = 0; m && i < n; i++) {
		char *name = XGetAtomName(rr->dpy, m[i].name);

		if (name && !strncmp(name, X11_RANDR_PREFIX,
				     strlen(X11_RANDR_PREFIX)))
			XRRDeleteMonitor(rr->dpy, rr->root, m[i].name);
		if (name)
			XFree(name);
	}
	if (m)
		XRRFreeMonitors(m);
}

static void add_monitor(struct x11_randr *rr, const struct xrfb_screen *sc)
{
	XRRMonitorInfo *m = XRRAllocateMonitor(rr->dpy, 0);
	char name[64];

	if (!m)
		return;
	snprintf(name, sizeof(name), X11_RANDR_PREFIX "%u", sc->id);
	m->name = XInternAtom(rr->dpy, name, False);
	m->x = sc->x;
	m->y = sc->y;
	m->width = sc->width;
	m->height = sc->height;
	m->mwidth = mm_of(sc->width);
	m->mheight = mm_of(sc->height);
	XRRSetMonitor(rr->dpy, rr->root, m);
	XRRFreeMonitors(m);
}

/* Destroy the modes we created that no output uses any more. */
static void drop_unused_modes(struct x11_randr *rr)
{
	XRRScreenResources *res;
	size_t plen = strlen(X11_RANDR_PREFIX);

	res = XRRGetScreenResourcesCurrent(rr->dpy, rr->root);
	if (!res)
		return;
	for (int i = 0; i < res->nmode; i++) {
		const XRRModeInfo *mi = &res->modes[i];
		bool used = false;

		if (!mi->name || strncmp(mi->name, X11_RANDR_PREFIX, plen))
			continue;
		for (int c = 0; c < res->ncrtc && !used; c++) {
			XRRCrtcInfo *ci = XRRGetCrtcInfo(rr->dpy, res,
							 res->crtcs[c]);

			used = ci && ci->mode == mi->id;
			if (ci)
				XRRFreeCrtcInfo(ci);
		}
		if (used)
			continue;
		for (int o = 0; o < res->noutput; o++) {
			XRROutputInfo *oi = XRRGetOutputInfo(rr->dpy, res,
							     res->outputs[o]);

			for (int k = 0; oi && k < oi->nmode; k++)
				if (oi->modes[k] == mi->id)
					XRRDeleteOutputMode(rr->dpy,
							    res->outputs[o],
							    mi->id);
			if (oi)
				XRRFreeOutputInfo(oi);
		}
		XRRDestroyMode(rr->dpy, mi->id);
	}
	XRRFreeScreenResources(res);
}

/* Make X show @n screens on a @w x @h screen. */
static enum xrfb_resize_status apply(struct x11_randr *rr,
				     XRRScreenResources *res, int w, int h,
				     const struct xrfb_screen *sc, unsigned n)
{
	RROutput outs[X11_RANDR_MAX_SCREENS];
	XRROutputInfo *info[X11_RANDR_MAX_SCREENS];
	struct x11_randr_plan plan[X11_RANDR_MAX_SCREENS];
	enum xrfb_resize_status status = XRFB_RESIZE_OK;
	unsigned nout, k, i;
	int c;

	nout = usable_outputs(rr, res, outs, info, X11_RANDR_MAX_SCREENS);
	k = n < nout ? n : nout;
	if (n > nout && !rr->monitors) {
		log_info("%u screens asked for, but only %u outputs and no "
			 "RandR 1.5 monitors", n, nout);
		status = XRFB_RESIZE_INVALID;
		goto out;
	}
	/* Every screen with an output gets a mode and a CRTC first: if one
	 * cannot, nothing changes. */
	for (i = 0; i < k; i++) {
		RRCrtc crtc = info[i]->crtc;

		if (crtc == None || crtc_taken(plan, i, crtc)) {
			crtc = None;
			for (c = 0; c < info[i]->ncrtc; c++)
				if (!crtc_taken(plan, i, info[i]->crtcs[c])) {
					crtc = info[i]->crtcs[c];
					break;
				}
		}
		plan[i] = (struct x11_randr_plan){
			.output = outs[i], .crtc = crtc,
			.mode = find_mode(rr, res, outs[i], info[i],
					  sc[i].width, sc[i].height),
			.x = sc[i].x, .y = sc[i].y,
		};
		if (plan[i].crtc == None || plan[i].mode == None) {
			log_info("output %s: no %s for %ux%u", info[i]->name,
				 plan[i].crtc == None ? "CRTC" : "mode",
				 sc[i].width, sc[i].height);
			status = XRFB_RESIZE_INVALID;
			goto out;
		}
	}

	XGrabServer(rr->dpy);
	/* CRTCs that change, or that would stick out of the new screen,
	 * are turned off before the screen is resized. */
	for (c = 0; c < res->ncrtc; c++) {
		XRRCrtcInfo *ci = XRRGetCrtcInfo(rr->dpy, res, res->crtcs[c]);
		bool keep = false;

		if (!ci)
			continue;
		for (i = 0; i < k; i++)
			if (plan[i].crtc == res->crtcs[c] &&
			    ci->mode == plan[i].mode && ci->x == plan[i].x &&
			    ci->y == plan[i].y && ci->noutput == 1 &&
			    ci->outputs[0] == plan[i].output)
				keep = true;
		if (ci->mode != None && !keep)
			XRRSetCrtcConfig(rr->dpy, res, res->crtcs[c],
					 CurrentTime, 0, 0, None, RR_Rotate_0,
					 NULL, 0);
		XRRFreeCrtcInfo(ci);
	}
	if (w != x11_display_width(rr->d) || h != x11_display_height(rr->d))
		XRRSetScreenSize(rr->dpy, rr->root, w, h, mm_of(w), mm_of(h));
	for (i = 0; i < k; i++)
		XRRSetCrtcConfig(rr->dpy, res, plan[i].crtc, CurrentTime,
				 plan[i].x, plan[i].y, plan[i].mode,
				 RR_Rotate_0, &plan[i].output, 1);
	if (rr->monitors) {
		delete_our_monitors(rr);
		for (i = k; i < n; i++)
			add_monitor(rr, &sc[i]);
	}
	XUngrabServer(rr->dpy);
out:
	for (i = 0; i < nout; i++)
		XRRFreeOutputInfo(info[i]);
	return status;
}

/* After a layout a viewer asked for: its screens keep the ids and flags
 * it gave them (matched by position and size). */
static void adopt_ids(struct x11_randr *rr, const struct xrfb_screen *sc,
		      unsigned n)
{
	struct x11_randr_mon mon[X11_RANDR_MAX_SCREENS];
	bool taken[X11_RANDR_MAX_SCREENS] = { false };
	int nm = read_layout(rr, mon, X11_RANDR_MAX_SCREENS);

	rr->nids = 0;
	for (unsigned i = 0; i < n; i++) {
		for (int k = 0; k < nm; k++) {
			if (taken[k] || mon[k].x != sc[i].x ||
			    mon[k].y != sc[i].y || mon[k].w != sc[i].width ||
			    mon[k].h != sc[i].height ||
			    id_in_use(rr, sc[i].id))
				continue;
			taken[k] = true;
			rr->ids[rr->nids++] = (struct x11_randr_id){
				.key = mon[k].key, .id = sc[i].id,
				.flags = sc[i].flags,
			};
			break;
		}
	}
}

enum xrfb_resize_status x11_randr_resize(struct x11_randr *rr,
					 uint16_t width, uint16_t height,
					 const struct xrfb_screen *screens,
					 unsigned n)
{
	enum xrfb_resize_status status;
	XRRScreenResources *res;
	int minw, minh, maxw, maxh, err;

	if (!rr || !rr->allowed) {
		log_info("SetDesktopSize %ux%u refused: %s", width, height,
			 rr ? "a real display (use --allow-resize)"
			    : "no RandR");
		return XRFB_RESIZE_PROHIBITED;
	}
	if (n > X11_RANDR_MAX_SCREENS)
		return XRFB_RESIZE_INVALID;
	if (!XRRGetScreenSizeRange(rr->dpy, rr->root, &minw, &minh, &maxw,
				   &maxh))
		return XRFB_RESIZE_PROHIBITED;
	if (width < minw || height < minh || width > maxw || height > maxh) {
		log_info("SetDesktopSize %ux%u refused: the display allows "
			 "%dx%d to %dx%d", width, height, minw, minh, maxw,
			 maxh);
		return XRFB_RESIZE_NO_RESOURCES;
	}
	res = XRRGetScreenResourcesCurrent(rr->dpy, rr->root);
	if (!res)
		return XRFB_RESIZE_NO_RESOURCES;
	x11_display_trap(rr->d);
	status = apply(rr, res, width, height, screens, n);
	err = x11_display_untrap(rr->d);
	XRRFreeScreenResources(res);
	if (err) {
		log_warn("SetDesktopSize %ux%u: X error %d", width, height,
			 err);
		status = XRFB_RESIZE_NO_RESOURCES;
	}
	if (status == XRFB_RESIZE_OK) {
		log_info("display %s set to %ux%u with %u screen%s",
			 x11_display_name(rr->d), width, height, n,
			 n == 1 ? "" : "s");
		if (rr->is_virtual) {
			x11_display_trap(rr->d);
			drop_unused_modes(rr);
			x11_display_untrap(rr->d);
		}
		adopt_ids(rr, screens, n);
	}
	/* The root window's ConfigureNotify is in Xlib's queue by now (the
	 * untrap synced): dispatching it resizes the framebuffer while the
	 * requester's answer is still open. Then the layout. */
	x11_display_drain(rr->d);
	update_screens(rr);
	return status;
}

/* Xvfb has one output, called "screen". */
static bool looks_virtual(struct x11_randr *rr)
{
	XRRScreenResources *res;
	XRROutputInfo *oi;
	bool v = false;

	res = XRRGetScreenResourcesCurrent(rr->dpy, rr->root);
	if (!res)
		return false;
	if (res->noutput == 1) {
		oi = XRRGetOutputInfo(rr->dpy, res, res->outputs[0]);
		v = oi && !strcmp(oi->name, "screen");
		if (oi)
			XRRFreeOutputInfo(oi);
	}
	XRRFreeScreenResources(res);
	return v;
}

struct x11_randr *x11_randr_new(struct xrfb_loop *loop, struct x11_display *d,
				struct xrfb_server *s, bool allow_resize,
				bool virtual_display)
{
	struct x11_randr *rr;
	int error_base, major = 0, minor = 0;

	rr = xcalloc(1, sizeof(*rr));
	rr->loop = loop;
	rr->d = d;
	rr->server = s;
	rr->dpy = x11_display_dpy(d);
	rr->root = x11_display_root(d);
	if (!XRRQueryExtension(rr->dpy, &rr->event_base, &error_base) ||
	    !XRRQueryVersion(rr->dpy, &major, &minor) ||
	    (major == 1 && minor < 2)) {
		log_info("no RandR 1.2: one screen, and viewers cannot resize "
			 "the desktop");
		free(rr);
		return NULL;
	}
	rr->monitors = major > 1 || minor >= 5;
	rr->is_virtual = virtual_display || looks_virtual(rr);
	rr->allowed = allow_resize || rr->is_virtual;
	if (x11_display_add_handler(d, on_event, rr) < 0) {
		free(rr);
		return NULL;
	}
	XRRSelectInput(rr->dpy, rr->root,
		       RRScreenChangeNotifyMask | RRCrtcChangeNotifyMask |
			       RROutputChangeNotifyMask);
	update_screens(rr);
	log_info("RandR %d.%d%s: viewers %s resize the desktop", major, minor,
		 rr->is_virtual ? ", virtual display" : "",
		 rr->allowed ? "may" : "may not");
	return rr;
}

void x11_randr_free(struct x11_randr *rr)
{
	if (!rr)
		return;
	if (rr->update)
		xrfb_timer_cancel(rr->update);
	if (!x11_display_is_lost(rr->d))
		XRRSelectInput(rr->dpy, rr->root, 0);
	x11_display_remove_handler(rr->d, on_event, rr);
	free(rr);
}
