/* SPDX-License-Identifier: MIT */
/*
 * x11-display: the one connection to the X server. It opens the display,
 * watches the connection on the loop and drains Xlib's event queue both
 * when the socket is readable and before every sleep: Xlib reads events
 * into its queue during any round trip, so a quiet socket does not mean an
 * empty queue. Events go to the handlers the other x11-* modules register.
 *
 * It also owns Xlib's process-wide error handlers. An X error is logged (or
 * caught by a trap around a call that may fail) and never ends the process;
 * a lost connection is reported through a callback instead of Xlib's exit().
 * Nothing here knows about RFB: only the loop of the public API is used.
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "buf.h"
#include "log.h"
#include "x11-display.h"

#define X11_DISPLAY_MAX_HANDLERS 8

struct x11_handler {
	x11_event_fn fn;
	void *arg;
};

struct x11_display {
	struct xrfb_loop *loop;
	Display *dpy;
	char *name;
	int screen;
	Window root;
	Visual *visual;
	int depth;
	int width, height;
	bool local;
	bool lost;
	struct xrfb_watch *watch;
	x11_lost_fn on_lost;
	void *lost_arg;
	struct x11_handler handlers[X11_DISPLAY_MAX_HANDLERS];
	unsigned n_handlers;
};

/* Xlib's error handler is global, so the trap state is too (there is one
 * connection per process). */
static int trap_depth;
static int trapped_error;
static uint64_t error_log_ms;
static unsigned errors_suppressed;

static int on_x_error(Display *dpy, XErrorEvent *ev)
{
	char text[128];
	uint64_t now;

	if (trap_depth > 0) {
		if (!trapped_error)
			trapped_error = ev->error_code;
		return 0;
	}
	/* A window going away under us causes errors that are nobody's
	 * fault; never let them end the process, and do not flood. */
	now = xrfb_now_ms();
	if (error_log_ms && now - error_log_ms < 1000) {
		errors_suppressed++;
		return 0;
	}
	error_log_ms = now;
	XGetErrorText(dpy, ev->error_code, text, sizeof(text));
	log_warn("X error: %s (request %u.%u, resource 0x%lx)%s", text,
		 (unsigned)ev->request_code, (unsigned)ev->minor_code,
		 (unsigned long)ev->resourceid,
		 errors_suppressed ? " (more suppressed)" : "");
	errors_suppressed = 0;
	return 0;
}

/* Xlib's default prints a paragraph and exits; the exit handler below
 * reports the loss instead. */
static int on_x_io_error(Display *dpy)
{
	return 0;
}

static void on_x_io_exit(Display *dpy, void *arg)
{
	struct x11_display *d = arg;

	if (d->lost)
		return;
	d->lost = true;
	log_debug("%s: connection to %s lost", __func__, d->name);
	if (d->on_lost)
		d->on_lost(d->lost_arg);
}

static void dispatch(struct x11_display *d, XEvent *ev)
{
	unsigned i;

	if (ev->type == ConfigureNotify &&
	    ev->xconfigure.window == d->root) {
		d->width = ev->xconfigure.width;
		d->height = ev->xconfigure.height;
	}
	for (i = 0; i < d->n_handlers; i++)
		if (d->handlers[i].fn(d->handlers[i].arg, ev))
			return;
}

void x11_display_drain(struct x11_display *d)
{
	XEvent ev;

	while (!d->lost && XPending(d->dpy) > 0) {
		XNextEvent(d->dpy, &ev);
		dispatch(d, &ev);
	}
}

static void on_readable(void *arg, int fd, uint32_t events)
{
	x11_display_drain(arg);
}

static void on_prepare(void *arg)
{
	struct x11_display *d = arg;

	x11_display_drain(d);
	/* The socket stays readable (EOF) once the server is gone; stop
	 * watching it here, outside the fd callback. */
	if (d->lost && d->watch) {
		xrfb_watch_free(d->watch);
		d->watch = NULL;
	}
}

static bool is_loopback(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
	const uint8_t *a;

	if (ss->ss_family == AF_INET)
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	if (ss->ss_family != AF_INET6)
		return false;
	if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
		return true;
	a = sin6->sin6_addr.s6_addr;
	return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && a[12] == 127;
}

/* MIT-SHM needs the X server on this machine: a Unix socket, or TCP to a
 * loopback address. */
static bool connection_is_local(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_UNIX)
		return true;
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	return is_loopback(&ss);
}

static struct x11_display *display_open(struct xrfb_loop *loop,
					const char *name, x11_lost_fn on_lost,
					void *arg, bool quiet)
{
	struct x11_display *d;
	XWindowAttributes wa;

	if (!name)
		name = getenv("DISPLAY");
	if (!name || !*name) {
		log_error("no X display: set DISPLAY, or use --display or "
			  "--create");
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->loop = loop;
	d->on_lost = on_lost;
	d->lost_arg = arg;
	d->dpy = XOpenDisplay(name);
	if (!d->dpy) {
		if (!quiet)
			log_error("cannot open X display %s (is it running, "
				  "and may we connect? check DISPLAY and "
				  "XAUTHORITY)", name);
		goto err_free;
	}
	XSetErrorHandler(on_x_error);
	XSetIOErrorHandler(on_x_io_error);
	XSetIOErrorExitHandler(d->dpy, on_x_io_exit, d);
	d->name = xstrdup(DisplayString(d->dpy));
	d->screen = DefaultScreen(d->dpy);
	d->root = RootWindow(d->dpy, d->screen);
	d->visual = DefaultVisual(d->dpy, d->screen);
	d->depth = DefaultDepth(d->dpy, d->screen);
	if (!XGetWindowAttributes(d->dpy, d->root, &wa)) {
		log_error("cannot read the root window of %s", d->name);
		goto err_close;
	}
	d->width = wa.width;
	d->height = wa.height;
	d->local = connection_is_local(ConnectionNumber(d->dpy));
	/* Size changes of the root window (RandR) arrive as ConfigureNotify. */
	XSelectInput(d->dpy, d->root, StructureNotifyMask);

	d->watch = xrfb_loop_watch_fd(loop, ConnectionNumber(d->dpy),
				      XRFB_EV_IN, on_readable, d);
	if (!d->watch) {
		log_error("cannot watch the X connection");
		goto err_close;
	}
	if (xrfb_loop_add_prepare(loop, on_prepare, d) < 0) {
		log_error("cannot hook the X connection into the loop");
		goto err_unwatch;
	}
	log_info("display %s: %dx%d, depth %d, %s connection", d->name,
		 d->width, d->height, d->depth, d->local ? "local" : "remote");
	return d;

err_unwatch:
	xrfb_watch_free(d->watch);
err_close:
	XCloseDisplay(d->dpy);
	free(d->name);
err_free:
	free(d);
	return NULL;
}

struct x11_display *x11_display_new(struct xrfb_loop *loop, const char *name,
				    x11_lost_fn on_lost, void *arg)
{
	return display_open(loop, name, on_lost, arg, false);
}

struct x11_display *x11_display_try(struct xrfb_loop *loop, const char *name,
				    x11_lost_fn on_lost, void *arg)
{
	return display_open(loop, name, on_lost, arg, true);
}

void x11_display_free(struct x11_display *d)
{
	if (!d)
		return;
	xrfb_loop_remove_prepare(d->loop, on_prepare, d);
	if (d->watch)
		xrfb_watch_free(d->watch);
	XCloseDisplay(d->dpy);
	free(d->name);
	free(d);
}

Display *x11_display_dpy(const struct x11_display *d)
{
	return d->dpy;
}

const char *x11_display_name(const struct x11_display *d)
{
	return d->name;
}

int x11_display_screen(const struct x11_display *d)
{
	return d->screen;
}

Window x11_display_root(const struct x11_display *d)
{
	return d->root;
}

int x11_display_width(const struct x11_display *d)
{
	return d->width;
}

int x11_display_height(const struct x11_display *d)
{
	return d->height;
}

Visual *x11_display_visual(const struct x11_display *d)
{
	return d->visual;
}

int x11_display_depth(const struct x11_display *d)
{
	return d->depth;
}

bool x11_display_is_local(const struct x11_display *d)
{
	return d->local;
}

bool x11_display_is_lost(const struct x11_display *d)
{
	return d->lost;
}

int x11_display_add_handler(struct x11_display *d, x11_event_fn fn,
			    void *arg)
{
	if (d->n_handlers == X11_DISPLAY_MAX_HANDLERS)
		return -ENOSPC;
	d->handlers[d->n_handlers].fn = fn;
	d->handlers[d->n_handlers].arg = arg;
	d->n_handlers++;
	return 0;
}

void x11_display_remove_handler(struct x11_display *d, x11_event_fn fn,
				void *arg)
{
	unsigned i;

	for (i = 0; i < d->n_handlers; i++) {
		if (d->handlers[i].fn != fn || d->handlers[i].arg != arg)
			continue;
		memmove(&d->handlers[i], &d->handlers[i + 1],
			(d->n_handlers - i - 1) * sizeof(d->handlers[0]));
		d->n_handlers--;
		return;
	}
}

void x11_display_trap(struct x11_display *d)
{
	if (trap_depth == 0) {
		/* Errors of earlier requests belong to nobody's trap. */
		if (!d->lost)
			XSync(d->dpy, False);
		trapped_error = 0;
	}
	trap_depth++;
}

int x11_display_untrap(struct x11_display *d)
{
	int err;

	if (!d->lost)
		XSync(d->dpy, False);
	err = trapped_error;
	if (d->lost && !err)
		err = BadImplementation;
	if (--trap_depth == 0)
		trapped_error = 0;
	return err;
}
