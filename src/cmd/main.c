/* SPDX-License-Identifier: MIT */
/*
 * main: wiring only. Options, then (with --create) Xvfb, then the X
 * display, the server and its listeners, capture, damage tracking and
 * input, then the session; then the loop runs until a signal, the end of
 * the session or the loss of the display. Everything else lives in the
 * modules; nothing here talks X or RFB itself.
 *
 * `xrfb run` (run.c) is the same wiring with CMD as the session, and
 * `xrfb ctl` (ctl.c) is a client of the control socket (control.c).
 *
 * Exit status: 0, or 1 for a run-time error, 2 for a bad command line,
 * 128+N when stopped by signal N, or the session's own status; `run` has
 * statuses of its own for failures (run.h).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "app.h"
#include "buf.h"
#include "control.h"
#include "ctl.h"
#include "guard.h"
#include "log.h"
#include "notify.h"
#include "options.h"
#include "play.h"
#include "ready.h"
#include "record.h"
#include "run.h"
#include "service.h"
#include "sec-setup.h"
#include "session.h"
#include "x11-capture.h"
#include "x11-clipboard.h"
#include "x11-cursor.h"
#include "x11-damage.h"
#include "x11-display.h"
#include "x11-input.h"
#include "x11-mapwait.h"
#include "x11-randr.h"
#include "x11-xkb.h"
#include "xrfb.h"
#include "xvfb.h"

/* Default interval of --poll (and polling without XDamage). */
#define MAIN_POLL_MS 50
/* How long a dying Xvfb may take to be reaped after the display went. */
#define MAIN_XVFB_GRACE_MS 1000
/* How often --reattach tries to open a lost display again. */
#define MAIN_REATTACH_MS 500

void app_stop(struct app *app, int status)
{
	if (app->stopping)
		return;
	app->stopping = true;
	app->status = status;
	xrfb_loop_stop(app->loop, status);
}

void app_request_stop(struct app *app)
{
	if (app->run)
		run_stop(app->run);
	else
		app_stop(app, 0);
}

bool app_capture_now(struct app *app)
{
	if (!app->damage || !app->display ||
	    x11_display_is_lost(app->display))
		return false;
	x11_damage_capture_now(app->damage, true);
	return !x11_display_is_lost(app->display);
}

static void on_key(void *arg, struct xrfb_client *c, bool down,
		   uint32_t keysym)
{
	struct app *app = arg;

	if (app->input)
		x11_input_key(app->input, xrfb_client_id(c), down, keysym);
	if (app->damage)
		x11_damage_input(app->damage);
}

static void on_pointer(void *arg, struct xrfb_client *c, uint16_t x,
		       uint16_t y, uint32_t buttons)
{
	struct app *app = arg;

	if (app->input)
		x11_input_pointer(app->input, xrfb_client_id(c), x, y,
				  buttons);
	x11_cursor_moved(app->cursor, x, y);
	if (app->damage)
		x11_damage_input(app->damage);
}

static void on_key_code(void *arg, struct xrfb_client *c, bool down,
			uint32_t keysym, uint32_t xt_scancode)
{
	struct app *app = arg;
	KeyCode kc = x11_xkb_keycode(app->xkb, xt_scancode);

	if (!app->input)
		return;
	/* The key itself, so the desktop's layout decides what it types;
	 * the viewer's keysym only when the key is unknown here. */
	if (kc)
		x11_input_keycode(app->input, xrfb_client_id(c), down, kc);
	else if (keysym)
		x11_input_key(app->input, xrfb_client_id(c), down, keysym);
}

static void on_cut_text(void *arg, struct xrfb_client *c, const char *text,
			size_t len)
{
	struct app *app = arg;

	control_clipboard(app->control, len);
	if (app->clipboard)
		x11_clipboard_set_text(app->clipboard, text, len);
	else
		log_debug("%s: client %u: %zu bytes of clipboard text not "
			  "given to X", __func__, xrfb_client_id(c), len);
}

static enum xrfb_resize_status on_resize(void *arg, struct xrfb_client *c,
					 uint16_t width, uint16_t height,
					 const struct xrfb_screen *screens,
					 unsigned nscreens)
{
	struct app *app = arg;

	return x11_randr_resize(app->randr, width, height, screens,
				nscreens);
}

static void on_client_ready(void *arg, struct xrfb_client *c)
{
	struct app *app = arg;

	/* Its first request is answered from the server's copy: bring that
	 * up to date now. The first client after a quiet spell gets a fresh
	 * full capture, in case anything escaped damage tracking. */
	if (app->damage)
		x11_damage_capture_now(app->damage, app->clients == 0);
	app->clients++;
	x11_cursor_set_active(app->cursor, true);
	control_viewer_ready(app->control, c);
}

static void on_client_gone(void *arg, struct xrfb_client *c)
{
	struct app *app = arg;

	if (app->clients)
		app->clients--;
	if (!app->clients)
		x11_cursor_set_active(app->cursor, false);
	if (app->input)
		x11_input_forget(app->input, xrfb_client_id(c));
	control_viewer_gone(app->control, c);
}

/* The default desktop's window manager ended: the desktop goes on
 * without one, and one line says why (it has no terminal of its own). */
static void wm_ended(struct app *app, int status)
{
	char why[256];

	if (app->stopping)
		return;
	session_last_words(app->wm, why, sizeof(why));
	fprintf(stderr, "xrfb: the window manager %s %s with status %d%s%s\n",
		app->wm_name,
		status == SESSION_STATUS_NOT_FOUND ? "could not start"
						   : "ended",
		status, why[0] ? ": " : "", why);
	if (!app->session)
		app_stop(app, status); /* it was the whole session */
}

static void session_ended(struct app *app, int status)
{
	if (status == 0 || app->stopping) {
		log_info("the session ended with status %d", status);
	} else {
		/* The shell's own message, if any, is on the line above. */
		fprintf(stderr, "xrfb: the session %s with status %d%s: %s\n",
			status == SESSION_STATUS_NOT_FOUND ||
					status == SESSION_STATUS_NOT_RUN
				? "could not start"
				: "ended",
			status,
			status == SESSION_STATUS_NOT_FOUND ? " (not found)"
			: status == SESSION_STATUS_NOT_RUN ? " (not executable)"
							   : "",
			app->session_cmd);
	}
	app_stop(app, status);
}

static void on_sigchld(void *arg, int signo)
{
	struct app *app = arg;
	int status;

	if (app->xvfb && xvfb_wait(app->xvfb, 0, &status)) {
		guard_forget(app->guard, xvfb_pid(app->xvfb));
		if (!app->stopping) {
			fprintf(stderr, "xrfb: Xvfb %s exited unexpectedly "
				"(status %d)\n", xvfb_display(app->xvfb),
				status);
			control_x_lost(app->control);
		}
		app_stop(app, app->status_x_lost);
	}
	if (app->wm && session_reap(app->wm, &status))
		wm_ended(app, status);
	if (app->session && session_reap(app->session, &status)) {
		control_session_exited(app->control, status);
		if (app->run)
			run_cmd_exited(app->run, status);
		else
			session_ended(app, status);
	}
}

static void on_x_retry(void *arg);

static void on_display_lost(void *arg)
{
	struct app *app = arg;
	int status;

	if (app->stopping)
		return;
	if (app->xvfb &&
	    xvfb_wait(app->xvfb, MAIN_XVFB_GRACE_MS, &status)) {
		fprintf(stderr, "xrfb: Xvfb %s exited unexpectedly (status "
			"%d)\n", xvfb_display(app->xvfb), status);
	} else {
		fprintf(stderr, "xrfb: lost the connection to X display %s%s\n",
			x11_display_name(app->display),
			app->opt.reattach ? ": waiting for it to come back"
					  : "");
	}
	control_x_lost(app->control);
	if (!app->opt.reattach) {
		app_stop(app, app->status_x_lost);
		return;
	}
	/* Xlib is in the middle of a call: the rest happens outside it. */
	app->x_lost_ms = xrfb_now_ms();
	if (!app->x_retry)
		app->x_retry = xrfb_loop_add_timer(app->loop, 0, on_x_retry,
						   app);
}

/* Without `run` (which passes them on to its command), SIGINT, SIGTERM
 * and SIGHUP stop the program with status 128 + the signal. */
static void on_stop_signal(void *arg, int signo)
{
	struct app *app = arg;

	log_info("signal %d received, stopping", signo);
	xrfb_loop_stop(app->loop, 128 + signo);
}

static void print_security(const struct app *app)
{
	sec_setup_announce(&app->sec);
	if (app->password)
		fprintf(stderr, "xrfb: clients must give the password from "
			"%s\n", app->opt.password_file);
	if (app->view_password)
		fprintf(stderr, "xrfb: its second password lets clients "
			"watch only\n");
	if (!options_open_to_all(&app->opt))
		return;
	if (app->opt.no_auth)
		fprintf(stderr, "xrfb: --no-auth: no password; anyone who "
			"can reach the port can %s the display\n",
			app->opt.view_only ? "see" : "control");
	else if (app->opt.n_security)
		fprintf(stderr, "xrfb: a type without a credential (None, "
			"TLSNone, X509None) is on: listening on loopback only "
			"(--no-auth for other hosts)\n");
	else
		fprintf(stderr, "xrfb: no password set: listening on "
			"loopback only (use --password-file, or --no-auth "
			"for other hosts)\n");
}

/* --websocket-port: on every address the RFB port is bound to. */
static int listen_websocket(struct app *app)
{
	uint16_t port;
	int r;

	if (app->opt.websocket_port < 0)
		return 0;
	port = (uint16_t)app->opt.websocket_port;
	for (unsigned i = 0; i < app->n_bound; i++) {
		r = xrfb_server_listen_websocket(app->server, app->bound[i],
						 port);
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot listen on %s port %u: "
				"%s\n", app->bound[i], (unsigned)port,
				strerror(-r));
			return r;
		}
		port = xrfb_server_port(app->server);
	}
	app->ws_port = port;
	return 0;
}

/* Why a Unix socket cannot be made, for the error line. */
static const char *unix_error(int r)
{
	return r == -EADDRINUSE ? "a server is listening there"
	       : r == -EEXIST	? "the file exists and is not a socket"
				: strerror(-r);
}

/* --websocket-unix: a WebSocket-only Unix socket. */
static int listen_websocket_unix(struct app *app)
{
	const char *path = app->opt.websocket_unix;
	int r;

	if (!path)
		return 0;
	r = xrfb_server_listen_websocket_unix(app->server, path,
					      app->opt.unix_mode);
	if (r < 0)
		fprintf(stderr, "xrfb: cannot listen on unix:%s: %s\n", path,
			unix_error(r));
	return r;
}

static int listen_unix(struct app *app, const char *path)
{
	int r = xrfb_server_listen_unix(app->server, path,
					app->opt.unix_mode);

	if (r < 0) {
		fprintf(stderr, "xrfb: cannot listen on unix:%s: %s\n", path,
			unix_error(r));
		return r;
	}
	snprintf(app->other[app->n_other++], sizeof(app->other[0]),
		 "unix:%s", path);
	return 0;
}

/* Serve the sockets systemd passed, if any; 1 if there were some. */
static int listen_activated(struct app *app)
{
	int n = service_listen_fds(), r;

	for (int i = 0; i < n; i++) {
		int fd = SERVICE_LISTEN_FDS_START + i;
		char name[96];

		service_fd_name(fd, name, sizeof(name));
		if (!app->password && !app->opt.no_auth &&
		    !service_fd_is_local(fd)) {
			fprintf(stderr, "xrfb: the socket passed as fd %d "
				"(%s) is not a loopback address: use "
				"--password-file, or --no-auth to serve it "
				"without a password\n", fd, name);
			return -EACCES;
		}
		r = xrfb_server_listen_fd(app->server, fd);
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot serve the socket passed "
				"as fd %d (%s): %s\n", fd, name,
				r == -EINVAL ? "not a listening stream socket"
					     : strerror(-r));
			return r;
		}
		if (app->n_other < OPTIONS_MAX_LISTEN)
			snprintf(app->other[app->n_other++],
				 sizeof(app->other[0]), "%s (fd %d)", name,
				 fd);
	}
	return n > 0;
}

/* Bind every listening address, first of all, so that a taken port is
 * one line and an exit before any Xvfb or session is started. */
/* run's own socket, $XDG_RUNTIME_DIR/xrfb/run-PID.sock: viewers on this
 * machine reach the run there without any port. */
static int listen_run_socket(struct app *app)
{
	char dir[4000], path[4096];
	int r;

	r = control_runtime_dir(dir, sizeof(dir), true);
	if (r < 0) {
		fprintf(stderr, "xrfb: no private directory for the socket: "
			"%s\n", strerror(-r));
		return r;
	}
	snprintf(path, sizeof(path), "%s/run-%ld.sock", dir, (long)getpid());
	guard_remove_file(app->guard, path);
	return listen_unix(app, path);
}

static int listen_all(struct app *app)
{
	static const char *const loopback[] = { "127.0.0.1", "::1" };
	static const char *const any[] = { "0.0.0.0", "::" };
	const char *const *addrs = app->opt.listen;
	unsigned n = app->opt.n_listen, i;
	uint16_t port = (uint16_t)app->opt.port;
	int r, first_err = 0;

	if (app->opt.inetd)
		return 0;
	r = listen_websocket_unix(app);
	if (r < 0)
		return r;
	r = listen_activated(app);
	if (r < 0)
		return r;
	/* Activated sockets replace the defaults, not --listen. */
	if (r > 0 && !app->opt.listen_explicit)
		return 0;
	if (app->opt.run && !app->opt.listen_explicit) {
		/* A Unix socket, and TCP only when a port is asked for. */
		r = listen_run_socket(app);
		if (r < 0 || !app->opt.port_explicit)
			return r;
	}
	if (!app->opt.listen_explicit) {
		/* run serves this machine only unless told otherwise. */
		addrs = (!options_open_to_all(&app->opt) || app->opt.no_auth) &&
				!app->opt.run
				? any
				: loopback;
		n = 2;
	}
	for (i = 0; i < n; i++) {
		if (!strncmp(addrs[i], "unix:", 5)) {
			r = listen_unix(app, addrs[i] + 5);
			if (r < 0)
				return r;
			continue;
		}
		r = xrfb_server_listen(app->server, addrs[i], port);
		if (r < 0) {
			/* A default IPv6 address may simply not exist. */
			if (!app->opt.listen_explicit &&
			    strchr(addrs[i], ':') && app->n_bound) {
				log_info("not listening on %s: %s", addrs[i],
					 strerror(-r));
				continue;
			}
			fprintf(stderr, "xrfb: cannot listen on %s port %u: "
				"%s\n", addrs[i], (unsigned)port,
				strerror(-r));
			if (!first_err)
				first_err = r;
			if (app->opt.listen_explicit || !app->n_bound)
				return r;
			continue;
		}
		/* With port 0 the first listener picks; the rest follow. */
		port = xrfb_server_port(app->server);
		app->bound[app->n_bound++] = addrs[i];
	}
	app->port = port;
	if (!app->n_bound && !app->n_other)
		return first_err ? first_err : -EADDRNOTAVAIL;
	return listen_websocket(app);
}

/* The ready lines, one per listener, once everything is set up. With
 * run, stdout is CMD's: they are log lines then. */
static void announce(struct app *app, const char *display_name)
{
	char addr[300];

	if (!app->run)
		print_security(app);
	for (unsigned i = 0; i < app->n_bound; i++) {
		const char *a = app->bound[i];
		const char *l = strchr(a, ':') ? "[" : "";
		const char *r = *l ? "]" : "";

		snprintf(addr, sizeof(addr), "%s%s%s:%u", l, a, r,
			 (unsigned)app->port);
		if (app->run)
			log_info("serving %s on %s", display_name, addr);
		else
			printf("xrfb: serving %s on %s\n", display_name, addr);
		if (app->ws_port) {
			snprintf(addr, sizeof(addr), "%s%s%s:%u", l, a, r,
				 (unsigned)app->ws_port);
			if (app->run)
				log_info("WebSocket on %s", addr);
			else
				printf("xrfb: WebSocket on %s\n", addr);
		}
		if (app->web_root && (app->opt.websocket_detect_ms ||
				      app->ws_port)) {
			snprintf(addr, sizeof(addr), "%s%s%s:%u", l, a, r,
				 (unsigned)(app->opt.websocket_detect_ms
						    ? app->port
						    : app->ws_port));
			if (app->run)
				log_info("web client in %s at http://%s/",
					 app->web_root, addr);
			else
				printf("xrfb: web client in %s at "
				       "http://%s/\n", app->web_root, addr);
			/* A certificate: the same ports speak HTTPS. */
			if (app->sec.fingerprint[0] && app->run)
				log_info("web client also at https://%s/",
					 addr);
			else if (app->sec.fingerprint[0])
				printf("xrfb: web client also at "
				       "https://%s/\n", addr);
			if (app->view_token[0]) {
				char url[512];

				/* With run, on stderr at any log level: the
				 * line a CI log is read for. */
				ready_web_url(app, addr, url, sizeof(url));
				fprintf(app->run ? stderr : stdout,
					"xrfb: watch (view-only) at %s\n",
					url);
			}
		}
	}
	if (app->opt.websocket_unix) {
		if (app->run)
			log_info("WebSocket on unix:%s",
				 app->opt.websocket_unix);
		else
			printf("xrfb: WebSocket on unix:%s\n",
			       app->opt.websocket_unix);
	}
	for (unsigned i = 0; i < app->n_other; i++) {
		if (app->run)
			log_info("serving %s on %s", display_name,
				 app->other[i]);
		else
			printf("xrfb: serving %s on %s\n", display_name,
			       app->other[i]);
	}
	fflush(stdout);
}

/* The view token: --view-token's, or with run a random one (128 bits),
 * valid for this run only: a CI log that shows the URL gives a way in
 * for as long as the job runs, then none. */
static int setup_view_token(struct app *app)
{
	const struct options *o = &app->opt;
	uint8_t rnd[16];
	int r;

	if (o->view_token) {
		snprintf(app->view_token, sizeof(app->view_token), "%s",
			 o->view_token);
	} else if (o->run && !o->no_view_token) {
		if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
			fprintf(stderr, "xrfb: no random bytes for the view "
				"token: %s\n", strerror(errno));
			return -EIO;
		}
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(app->view_token + 2 * i, 3, "%02x", rnd[i]);
	} else {
		return 0;
	}
	r = xrfb_server_set_view_token(app->server, app->view_token);
	if (r < 0) {
		fprintf(stderr, "xrfb: --view-token: %s\n", strerror(-r));
		return r;
	}
	return 0;
}

/* WebSocket on the RFB port and the web client's files. */
static int setup_web(struct app *app)
{
	const struct options *o = &app->opt;
	const char *root = o->web;
	int r;

	xrfb_server_set_websocket_detect(app->server, o->websocket_detect_ms);
	if (!o->web_explicit && access(OPTIONS_DEFAULT_WEB "/vnc.html",
				       R_OK) == 0)
		root = OPTIONS_DEFAULT_WEB;
	if (root) {
		r = xrfb_server_set_web_root(app->server, root);
		if (r < 0) {
			fprintf(stderr, "xrfb: --web %s: %s\n", root,
				strerror(-r));
			return r;
		}
		app->web_root = root;
	}
	r = setup_view_token(app);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < o->n_origins; i++) {
		r = xrfb_server_add_websocket_origin(app->server,
						     o->origins[i]);
		if (r < 0) {
			fprintf(stderr, "xrfb: --websocket-origin %s: %s\n",
				o->origins[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

/* --connect and --repeater: the library connects, retries and logs. */
static int connect_out(struct app *app)
{
	const struct options *o = &app->opt;

	for (unsigned i = 0; i < o->n_connect; i++) {
		const struct options_connect *oc = &o->connect[i];
		struct xrfb_reverse *r = xrfb_server_reverse(
			app->server, oc->host, oc->port, oc->repeater_id);

		if (!r) {
			fprintf(stderr, "xrfb: cannot connect to %s: %s\n",
				oc->host, strerror(errno));
			return -errno;
		}
		/* A repeater keeps the desktop reachable: always again. */
		if (o->connect_retry)
			xrfb_reverse_set_retry(r, o->connect_retry * 1000);
		else if (oc->repeater_id)
			xrfb_reverse_set_retry(
				r, OPTIONS_DEFAULT_REPEATER_RETRY * 1000);
	}
	return 0;
}

static void on_inetd_gone(void *arg, struct xrfb_client *c)
{
	struct app *app = arg;

	log_info("the connection on standard input ended");
	app_stop(app, 0);
}

/* --inetd: serve the connection taken from standard input. */
static int serve_inetd(struct app *app)
{
	int fd = app->inetd_fd;

	app->inetd_fd = -1;
	if (!xrfb_server_adopt(app->server, fd, "inetd", on_inetd_gone,
			       app)) {
		fprintf(stderr, "xrfb: cannot serve standard input\n");
		return -ENOMEM;
	}
	return 0;
}

/* The server, before the display exists: its size comes later. */
static int setup_server(struct app *app)
{
	const struct options *o = &app->opt;

	app->server = xrfb_server_new(app->loop, 1, 1);
	if (!app->server) {
		fprintf(stderr, "xrfb: cannot create the server\n");
		return -ENOMEM;
	}
	xrfb_server_on_key(app->server, on_key, app);
	xrfb_server_on_key_code(app->server, on_key_code, app);
	xrfb_server_on_pointer(app->server, on_pointer, app);
	xrfb_server_on_cut_text(app->server, on_cut_text, app);
	xrfb_server_on_resize_request(app->server, on_resize, app);
	xrfb_server_on_client_ready(app->server, on_client_ready, app);
	xrfb_server_on_client_gone(app->server, on_client_gone, app);
	if (app->password &&
	    xrfb_server_set_password(app->server, app->password) < 0) {
		fprintf(stderr, "xrfb: cannot set the password\n");
		return -EINVAL;
	}
	if (app->view_password &&
	    xrfb_server_set_view_password(app->server, app->view_password) <
		    0) {
		fprintf(stderr, "xrfb: cannot set the view-only password\n");
		return -EINVAL;
	}
	if (sec_setup(&app->sec, app->server, o, app->password != NULL) < 0)
		return -EINVAL;
	xrfb_server_set_shared_policy(app->server, o->shared_policy);
	xrfb_server_set_view_only(app->server, o->view_only);
	xrfb_server_set_max_fps(app->server, o->max_fps);
	xrfb_server_set_lossless_refresh(app->server, o->lossless_refresh);
	xrfb_server_set_cpu_yield(app->server, !o->max_cpu_hard);
	if (o->max_cpu >= 0) {
		xrfb_server_set_max_cpu(app->server, (unsigned)o->max_cpu);
	} else {
		long cores = sysconf(_SC_NPROCESSORS_ONLN);

		xrfb_server_set_max_cpu(app->server,
			(unsigned)(cores > 0 ? cores : 1) *
				OPTIONS_DEFAULT_CPU_SHARE);
	}
	xrfb_server_set_clipboard_max(app->server, o->clipboard_max);
	xrfb_server_set_clipboard_limits(app->server, o->viewer_clipboard_max,
					 o->classic_clipboard_max);
	return setup_web(app);
}

/* Size and name from the display. */
static int setup_desktop(struct app *app)
{
	const struct options *o = &app->opt;
	int width = x11_display_width(app->display);
	int height = x11_display_height(app->display);
	const char *dpy_name = x11_display_name(app->display);
	char name[512], host[256];

	if (width > 65535 || height > 65535) {
		fprintf(stderr, "xrfb: the screen (%dx%d) is larger than RFB "
			"allows\n", width, height);
		return -EINVAL;
	}
	if (xrfb_server_resize(app->server, (uint16_t)width,
			       (uint16_t)height) < 0) {
		fprintf(stderr, "xrfb: no memory for a %dx%d framebuffer\n",
			width, height);
		return -ENOMEM;
	}
	if (o->desktop_name) {
		snprintf(name, sizeof(name), "%s", o->desktop_name);
	} else {
		if (gethostname(host, sizeof(host)) != 0)
			snprintf(host, sizeof(host), "xrfb");
		host[sizeof(host) - 1] = '\0';
		if (dpy_name[0] == ':')
			snprintf(name, sizeof(name), "%s%s", host, dpy_name);
		else
			snprintf(name, sizeof(name), "%s", dpy_name);
	}
	xrfb_server_set_desktop_name(app->server, name);
	return 0;
}

static int setup_x11(struct app *app)
{
	unsigned poll_ms = MAIN_POLL_MS;

	app->capture = x11_capture_new(app->display, app->server);
	if (!app->capture) {
		fprintf(stderr, "xrfb: cannot read the screen of %s\n",
			x11_display_name(app->display));
		return -ENOTSUP;
	}
	if (app->opt.max_fps && 1000 / app->opt.max_fps > poll_ms)
		poll_ms = 1000 / app->opt.max_fps;
	app->damage = x11_damage_new(app->loop, app->display, app->capture,
				     app->server, app->opt.poll, poll_ms);
	if (!app->damage) {
		fprintf(stderr, "xrfb: cannot track changes of the screen\n");
		return -ENOMEM;
	}
	if (!app->opt.view_only)
		app->input = x11_input_new(app->loop, app->display);
	/* Each of these only adds to what viewers get: the server goes on
	 * without it, as x11_*_new() logged. */
	app->cursor = x11_cursor_new(app->loop, app->display, app->server);
	app->randr = x11_randr_new(app->loop, app->display, app->server,
				   app->opt.allow_resize, app->opt.create);
	app->xkb = x11_xkb_new(app->display, app->server);
	if (app->opt.clipboard)
		app->clipboard = x11_clipboard_new(
			app->loop, app->display, app->server,
			(app->opt.clipboard & OPTIONS_CLIP_CLIPBOARD
				 ? X11_CLIPBOARD_CLIPBOARD
				 : 0) |
				(app->opt.clipboard & OPTIONS_CLIP_PRIMARY
					 ? X11_CLIPBOARD_PRIMARY
					 : 0),
			app->opt.clipboard_max);
	return 0;
}

/* Free everything that talks to the display (not the display itself:
 * a lost one still has its name). */
static void detach_x(struct app *app)
{
	x11_input_free(app->input);
	app->input = NULL;
	x11_clipboard_free(app->clipboard);
	app->clipboard = NULL;
	x11_xkb_free(app->xkb);
	app->xkb = NULL;
	x11_randr_free(app->randr);
	app->randr = NULL;
	x11_cursor_free(app->cursor);
	app->cursor = NULL;
	x11_damage_free(app->damage);
	app->damage = NULL;
	x11_capture_free(app->capture);
	app->capture = NULL;
}

/* --reattach: the display is gone. Viewers keep the last frame (their
 * input goes nowhere) while the display is tried again every
 * MAIN_REATTACH_MS; once it opens, everything is set up on it as at the
 * start, and viewers get its screen (resized if need be). */
static void on_x_retry(void *arg)
{
	struct app *app = arg;
	unsigned limit = app->opt.reattach_s;
	struct x11_display *d;
	char name[256];

	app->x_retry = NULL;
	detach_x(app);
	snprintf(name, sizeof(name), "%s", x11_display_name(app->display));
	d = x11_display_try(app->loop, name, on_display_lost, app);
	if (!d) {
		if (limit &&
		    xrfb_now_ms() - app->x_lost_ms >= limit * 1000ull) {
			fprintf(stderr, "xrfb: X display %s did not come back "
				"within %u s\n", name, limit);
			app_stop(app, app->status_x_lost);
			return;
		}
		app->x_retry = xrfb_loop_add_timer(app->loop, MAIN_REATTACH_MS,
						   on_x_retry, app);
		return;
	}
	x11_display_free(app->display);
	app->display = d;
	if (setup_desktop(app) < 0 || setup_x11(app) < 0) {
		fprintf(stderr, "xrfb: cannot serve X display %s again\n",
			name);
		app_stop(app, app->status_x_lost);
		return;
	}
	fprintf(stderr, "xrfb: X display %s is back (%dx%d): serving it "
		"again\n", x11_display_name(d), x11_display_width(d),
		x11_display_height(d));
	x11_cursor_set_active(app->cursor, app->clients > 0);
	x11_damage_capture_now(app->damage, true);
	control_x_back(app->control, x11_display_name(d),
		       x11_display_width(d), x11_display_height(d));
}

/* How long the default desktop's window manager waits for the
 * terminal's window before it starts anyway. */
#define MAIN_WM_WAIT_MS 5000

static void start_wm(struct app *app)
{
	/* On failure, session_start() has said why. */
	app->wm = session_start(app->wm_cmd, true);
	if (app->wm)
		guard_kill_group(app->guard, session_pid(app->wm));
}

static void on_terminal_mapped(void *arg, bool mapped)
{
	struct app *app = arg;

	if (app->stopping)
		return;
	if (!mapped)
		log_warn("the terminal showed no window: starting the window "
			 "manager anyway");
	start_wm(app);
}

/* The default desktop: the terminal as the session, then the window
 * manager in a process group of its own (its output kept for when it
 * fails) once the terminal's window is mapped (see x11-mapwait.c). */
static int start_default_desktop(struct app *app)
{
	struct session_desktop d;
	int r = 0;

	session_default_desktop(&d);
	if (!d.wm_cmd && !d.term_cmd) {
		log_warn("no window manager or terminal found: the desktop "
			 "stays empty (use --session)");
		return 0;
	}
	if (!d.wm_cmd)
		log_warn("no window manager found: windows of the default "
			 "session cannot be moved (use --session)");
	app->wm_name = d.wm;
	app->wm_cmd = d.wm_cmd;
	d.wm_cmd = NULL;
	if (d.term_cmd) {
		app->session_cmd = xstrdup(d.term_cmd);
		app->session = session_start(d.term_cmd, false);
		if (app->session)
			guard_kill_group(app->guard,
					 session_pid(app->session));
		else
			r = -ECHILD;
	}
	if (r == 0 && app->wm_cmd) {
		if (app->session)
			app->wm_wait = x11_mapwait_new(app->loop,
						       app->display,
						       MAIN_WM_WAIT_MS,
						       on_terminal_mapped, app);
		if (!app->wm_wait)
			start_wm(app);
	}
	session_desktop_fini(&d);
	return r;
}

static int start_session(struct app *app)
{
	if (!app->opt.session)
		return start_default_desktop(app);
	app->session_cmd = xstrdup(app->opt.session);
	app->session = session_start(app->opt.session, false);
	if (!app->session)
		return -ECHILD;
	guard_kill_group(app->guard, session_pid(app->session));
	return 0;
}

/* Start Xvfb (--create, run); DISPLAY and XAUTHORITY are then its own. */
static int start_xvfb(struct app *app)
{
	/* Before any child exists, so no exit goes unnoticed. */
	if (xrfb_loop_on_signal(app->loop, SIGCHLD, on_sigchld, app) < 0) {
		fprintf(stderr, "xrfb: cannot handle SIGCHLD\n");
		return -ENOMEM;
	}
	app->xvfb = xvfb_start(app->opt.width, app->opt.height,
			       app->opt.depth,
			       app->opt.log_level >= XRFB_LOG_DEBUG,
			       app->guard);
	if (!app->xvfb)
		return -ECHILD;
	xvfb_watch_log(app->xvfb, app->loop);
	setenv("DISPLAY", xvfb_display(app->xvfb), 1);
	setenv("XAUTHORITY", xvfb_auth_file(app->xvfb), 1);
	return 0;
}

/* What there is to say once everything is up: the ready lines, the
 * ready record, the service manager. */
static void tell_ready(struct app *app)
{
	char status[256];

	if (app->opt.ready_fd >= 0 || app->opt.ready_file)
		ready_write(app, control_path(app->control));
	snprintf(status, sizeof(status), "READY=1\nSTATUS=serving %s%s%s",
		 x11_display_name(app->display),
		 app->run ? ", running " : "",
		 app->run ? app->opt.run_argv[0] : "");
	notify_send(status);
}

/* Stop recording; --record-on-failure keeps its recording only if the
 * run failed (@status). */
static void stop_recording(struct app *app, int status)
{
	const char *path = record_path(app->record);
	bool keep;

	if (!app->record)
		return;
	keep = status != 0 || !app->opt.record_on_failure ||
	       strcmp(path, app->opt.record) != 0;
	control_recording(app->control, false, path);
	if (!keep)
		log_info("the command succeeded: %s not kept", path);
	record_stop(app->record, keep);
	app->record = NULL;
}

static void cleanup(struct app *app, int status)
{
	/* The last frame first, while the display is there. */
	stop_recording(app, status);
	if (app->session) {
		session_stop(app->session);
		guard_forget(app->guard, session_pid(app->session));
		session_free(app->session);
	}
	x11_mapwait_free(app->wm_wait);
	if (app->wm) {
		session_stop(app->wm);
		guard_forget(app->guard, session_pid(app->wm));
		session_free(app->wm);
	}
	free(app->wm_cmd);
	free(app->session_cmd);
	/* First: closing its clients calls on_client_gone(), which still
	 * releases their keys through the input module. */
	control_server_ending(app->control);
	if (app->server)
		xrfb_server_free(app->server);
	app->server = NULL;
	control_free(app->control);
	app->control = NULL;
	run_free(app->run);
	if (app->x_retry)
		xrfb_timer_cancel(app->x_retry);
	detach_x(app);
	x11_display_free(app->display);
	if (app->xvfb) {
		xvfb_stop(app->xvfb);
		guard_forget(app->guard, xvfb_pid(app->xvfb));
		xvfb_free(app->xvfb);
	}
	/* Last: everything it would have removed is gone. */
	guard_free(app->guard);
	if (app->loop)
		xrfb_loop_free(app->loop);
	if (app->inetd_fd >= 0)
		close(app->inetd_fd);
	free(app->password);
	free(app->view_password);
	options_fini(&app->opt);
}

static int serve(struct app *app)
{
	const char *display_name = app->opt.display;
	int r;

	app->loop = xrfb_loop_new();
	if (!app->loop ||
	    xrfb_loop_set_log(app->loop, app->opt.log_level, NULL, NULL) < 0 ||
	    xrfb_loop_on_signal(app->loop, SIGINT, on_stop_signal, app) < 0 ||
	    xrfb_loop_on_signal(app->loop, SIGTERM, on_stop_signal, app) < 0 ||
	    xrfb_loop_on_signal(app->loop, SIGHUP, on_stop_signal, app) < 0) {
		fprintf(stderr, "xrfb: cannot create the event loop\n");
		return app->status_setup;
	}
	if (app->opt.run) {
		app->run = run_new(app);
		if (!app->run)
			return app->status_setup;
	}
	if (setup_server(app) < 0 || listen_all(app) < 0)
		return app->status_setup;
	if (app->opt.create) {
		if (start_xvfb(app) < 0)
			return app->status_x_start;
		display_name = xvfb_display(app->xvfb);
	}
	app->display = x11_display_new(app->loop, display_name, on_display_lost,
				       app);
	if (!app->display)
		return app->opt.create ? app->status_x_start : 1;
	if (setup_desktop(app) < 0 || setup_x11(app) < 0)
		return app->status_setup;
	if (app->opt.control) {
		app->control = control_new(app);
		if (!app->control)
			return app->status_setup;
	}
	if (app->opt.inetd) {
		if (serve_inetd(app) < 0)
			return app->status_setup;
	} else {
		announce(app, x11_display_name(app->display));
	}
	if (connect_out(app) < 0)
		return app->status_setup;
	if (app->opt.record) {
		app->record = record_start(app, app->opt.record,
					   app->opt.record_last_s);
		if (!app->record)
			return app->status_setup;
	}
	if (app->run) {
		r = run_start(app->run);
		if (r)
			return r;
	} else if (app->opt.create && start_session(app) < 0) {
		return app->status_setup;
	}
	tell_ready(app);
	/* The display may have gone while we were setting up. */
	return xrfb_loop_run(app->loop);
}

int main(int argc, char **argv)
{
	struct app app;
	int r, status;

	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "play"))
		return play_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "export"))
		return export_main(argc - 1, argv + 1);
	memset(&app, 0, sizeof(app));
	app.inetd_fd = -1;
	r = options_parse(&app.opt, argc, argv);
	if (r != 0) {
		options_fini(&app.opt);
		return r > 0 ? 0 : 2;
	}
	if (app.opt.inetd) {
		/* Before anything is printed: stdout may be the viewer. */
		app.inetd_fd = service_take_stdin();
		if (app.inetd_fd < 0) {
			fprintf(stderr, "xrfb: --inetd: standard input is "
				"not a socket\n");
			options_fini(&app.opt);
			return 2;
		}
	}
	/* Until the loop exists and takes over. */
	log_set_default_level(app.opt.log_level);
	notify_init();
	app.status_setup = app.status_x_start = app.status_x_lost = 1;
	if (app.opt.run) {
		app.status_setup = RUN_EXIT_SETUP;
		app.status_x_start = RUN_EXIT_X_START;
		app.status_x_lost = RUN_EXIT_X_LOST;
	}
	if (app.opt.password_file &&
	    options_read_password(app.opt.password_file, &app.password,
				  &app.view_password) < 0) {
		options_fini(&app.opt);
		return app.status_setup;
	}
	/* Before the encoder threads start: it is forked. */
	if (app.opt.create)
		app.guard = guard_start();
	status = serve(&app);
	cleanup(&app, status);
	return status;
}
