/* SPDX-License-Identifier: MIT */
/*
 * control: the control socket, a Unix stream socket (mode 0600) that
 * `xrfb ctl` talks to. Each request is a line holding one JSON object
 * (parsed by ctl-proto.c) and gets one line back, {"ok":true,...} or
 * {"ok":false,"error":"..."}. A connection that sends {"cmd":"events"}
 * then receives one JSON object per line for each event, starting with
 * {"event":"subscribed"}.
 *
 * A peer costs only its own connection: requests are bounded by the
 * parser, at most CONTROL_MAX_CONNS connections are kept, and one whose
 * unread output passes CONTROL_MAX_OUT is closed. Connections are closed
 * by marking them; the before-sleep hook frees them, so no handler ever
 * runs on a freed connection.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "control.h"
#include "ctl-proto.h"
#include "guard.h"
#include "json.h"
#include "log.h"
#include "ready.h"
#include "record.h"
#include "screenshot.h"
#include "x11-display.h"

#define CONTROL_MAX_CONNS 32
#define CONTROL_MAX_OUT (1u << 20)
#define CONTROL_MAX_VIEWERS 256
/* How long control_free() tries to hand over what is queued. */
#define CONTROL_FLUSH_MS 500
/* What a connection may send while its "connect" awaits its outcome. */
#define CONTROL_PENDING_MAX (4 * CTL_PROTO_LINE_MAX)
/* The default port of a listening viewer (connect HOST without :PORT). */
#define CONTROL_VIEWER_PORT 5500

struct control_conn {
	struct control *ctl;
	int fd;
	struct xrfb_watch *watch;
	struct buf in, out;
	bool events;
	bool dead;
	struct xrfb_reverse *connecting;	/* "connect" awaiting its outcome */
	struct control_conn *next;
};

struct control_viewer {
	struct xrfb_client *client;
	unsigned id;
	char address[80];
	bool view_only;
};

struct control {
	struct app *app;
	int fd;
	struct xrfb_watch *watch;
	char *path;
	dev_t dev;		/* the socket file we made, so that we */
	ino_t ino;		/* remove ours only, never a successor's */
	struct control_conn *conns;
	unsigned n_conns;
	bool have_dead;
	struct control_viewer viewers[CONTROL_MAX_VIEWERS];
	unsigned n_viewers;
	uint16_t width, height;
};

/* ---- output --------------------------------------------------------------- */

static void conn_close(struct control_conn *cn)
{
	if (cn->dead)
		return;
	cn->dead = true;
	cn->ctl->have_dead = true;
	xrfb_watch_free(cn->watch);
	cn->watch = NULL;
	close(cn->fd);
	cn->fd = -1;
}

static void conn_flush(struct control_conn *cn)
{
	ssize_t n;

	while (cn->out.len) {
		n = send(cn->fd, cn->out.data, cn->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(cn);
			return;
		}
		buf_consume(&cn->out, (size_t)n);
	}
	xrfb_watch_set_events(cn->watch, XRFB_EV_IN |
				(cn->out.len ? XRFB_EV_OUT : 0));
}

/* Queue one line (the JSON text in @b, without its newline). */
static void conn_send(struct control_conn *cn, const struct buf *b)
{
	if (cn->dead)
		return;
	if (cn->out.len + b->len + 1 > CONTROL_MAX_OUT) {
		log_warn("control: a connection does not read; closing it");
		conn_close(cn);
		return;
	}
	if (buf_append(&cn->out, b->data, b->len) < 0 ||
	    buf_append(&cn->out, "\n", 1) < 0) {
		conn_close(cn);
		return;
	}
	conn_flush(cn);
}

static void send_error(struct control_conn *cn, const char *why)
{
	struct buf b = BUF_INIT;

	json_raw(&b, "{");
	json_kv_bool(&b, "ok", false);
	json_kv_str(&b, "error", why);
	json_raw(&b, "}");
	conn_send(cn, &b);
	buf_fini(&b);
}

static void send_ok(struct control_conn *cn)
{
	struct buf b = BUF_INIT;

	json_raw(&b, "{\"ok\":true}");
	conn_send(cn, &b);
	buf_fini(&b);
}

/* ---- events ---------------------------------------------------------------- */

static void event_start(struct buf *b, const char *name)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	json_raw(b, "{");
	json_kv_str(b, "event", name);
	json_kv_int(b, "time_ms", (long long)ts.tv_sec * 1000 +
					  ts.tv_nsec / 1000000);
}

/* Close the object in @b and send it to every subscriber. */
static void event_send(struct control *ctl, struct buf *b)
{
	struct control_conn *cn;

	json_raw(b, "}");
	for (cn = ctl->conns; cn; cn = cn->next)
		if (cn->events)
			conn_send(cn, b);
	buf_fini(b);
}

static void viewer_json(struct control *ctl, struct buf *b,
			const struct control_viewer *v)
{
	json_kv_int(b, "id", v->id);
	json_kv_str(b, "address", v->address);
	/* VNC authentication knows no user names. */
	json_key(b, "user");
	json_raw(b, "null");
	json_kv_bool(b, "view_only", v->view_only);
}

void control_viewer_ready(struct control *ctl, struct xrfb_client *c)
{
	struct control_viewer *v;
	struct buf b = BUF_INIT;

	if (!ctl || ctl->n_viewers == CONTROL_MAX_VIEWERS)
		return;
	v = &ctl->viewers[ctl->n_viewers++];
	v->client = c;
	v->id = xrfb_client_id(c);
	snprintf(v->address, sizeof(v->address), "%s", xrfb_client_peer(c));
	v->view_only = xrfb_client_view_only(c);
	event_start(&b, "viewer-connected");
	viewer_json(ctl, &b, v);
	event_send(ctl, &b);
}

void control_viewer_gone(struct control *ctl, struct xrfb_client *c)
{
	struct buf b = BUF_INIT;
	unsigned i;

	if (!ctl)
		return;
	for (i = 0; i < ctl->n_viewers; i++)
		if (ctl->viewers[i].client == c)
			break;
	if (i == ctl->n_viewers)
		return;
	event_start(&b, "viewer-disconnected");
	viewer_json(ctl, &b, &ctl->viewers[i]);
	event_send(ctl, &b);
	memmove(&ctl->viewers[i], &ctl->viewers[i + 1],
		(ctl->n_viewers - i - 1) * sizeof(ctl->viewers[0]));
	ctl->n_viewers--;
}

void control_clipboard(struct control *ctl, size_t len)
{
	struct buf b = BUF_INIT;

	if (!ctl)
		return;
	event_start(&b, "clipboard");
	json_kv_str(&b, "from", "viewer");
	json_kv_int(&b, "length", (long long)len);
	event_send(ctl, &b);
}

void control_session_exited(struct control *ctl, int status)
{
	struct buf b = BUF_INIT;

	if (!ctl)
		return;
	event_start(&b, "session-exited");
	json_kv_int(&b, "status", status);
	event_send(ctl, &b);
}

void control_x_lost(struct control *ctl)
{
	struct buf b = BUF_INIT;

	if (!ctl)
		return;
	event_start(&b, "x-lost");
	event_send(ctl, &b);
}

void control_x_back(struct control *ctl, const char *display, int width,
		    int height)
{
	struct buf b = BUF_INIT;

	if (!ctl)
		return;
	event_start(&b, "x-back");
	json_kv_str(&b, "display", display);
	json_kv_int(&b, "width", width);
	json_kv_int(&b, "height", height);
	event_send(ctl, &b);
}

void control_recording(struct control *ctl, bool started, const char *path)
{
	struct buf b = BUF_INIT;

	if (!ctl || !path)
		return;
	event_start(&b, started ? "recording-started" : "recording-stopped");
	json_kv_str(&b, "file", path);
	event_send(ctl, &b);
}

void control_screenshot(struct control *ctl, const char *path)
{
	struct buf b = BUF_INIT;

	if (!ctl)
		return;
	event_start(&b, "screenshot");
	json_kv_str(&b, "file", path);
	event_send(ctl, &b);
}

/* The framebuffer's size changed since last time: say so. */
static void check_resize(struct control *ctl)
{
	uint16_t w = xrfb_server_width(ctl->app->server);
	uint16_t h = xrfb_server_height(ctl->app->server);
	struct buf b = BUF_INIT;

	if (w == ctl->width && h == ctl->height)
		return;
	ctl->width = w;
	ctl->height = h;
	event_start(&b, "resize");
	json_kv_int(&b, "width", w);
	json_kv_int(&b, "height", h);
	event_send(ctl, &b);
}

/* ---- requests -------------------------------------------------------------- */

static void cmd_status(struct control_conn *cn)
{
	struct app *app = cn->ctl->app;
	struct buf rec = BUF_INIT, b = BUF_INIT;

	ready_record(app, cn->ctl->path, &rec);
	/* The ready record's fields, after "ok", and the viewer count. */
	json_raw(&b, "{\"ok\":true,");
	buf_append(&b, rec.data + 1, rec.len - 2);
	json_kv_int(&b, "viewers", cn->ctl->n_viewers);
	/* the display is gone (with --reattach, for now) */
	json_kv_bool(&b, "x_lost", x11_display_is_lost(app->display));
	json_raw(&b, "}");
	conn_send(cn, &b);
	buf_fini(&rec);
	buf_fini(&b);
}

static void cmd_clients(struct control_conn *cn)
{
	struct control *ctl = cn->ctl;
	struct buf b = BUF_INIT;
	unsigned i;

	json_raw(&b, "{\"ok\":true,\"clients\":[");
	for (i = 0; i < ctl->n_viewers; i++) {
		json_raw(&b, i ? ",{" : "{");
		viewer_json(ctl, &b, &ctl->viewers[i]);
		json_raw(&b, "}");
	}
	json_raw(&b, "]}");
	conn_send(cn, &b);
	buf_fini(&b);
}

static void cmd_disconnect(struct control_conn *cn,
			   const struct ctl_proto_request *req)
{
	const struct ctl_proto_field *f = ctl_proto_get(req, "id");
	struct control *ctl = cn->ctl;
	unsigned i;

	if (!f || f->type != CTL_PROTO_INT) {
		send_error(cn, "disconnect needs \"id\", a number");
		return;
	}
	for (i = 0; i < ctl->n_viewers; i++) {
		if (ctl->viewers[i].id == f->num) {
			xrfb_client_close(ctl->viewers[i].client);
			send_ok(cn);
			return;
		}
	}
	send_error(cn, "no viewer with this id");
}

/* "HOST", "HOST:PORT", "[V6]" or "[V6]:PORT" into @host and *port. */
static int split_target(const char *target, char *host, size_t size,
			uint16_t *port)
{
	const char *colon, *end;
	unsigned long v;
	size_t n;

	*port = CONTROL_VIEWER_PORT;
	if (target[0] == '[') {
		end = strchr(target, ']');
		if (!end)
			return -EINVAL;
		n = (size_t)(end - target - 1);
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return -EINVAL;
		target++;
	} else {
		colon = strrchr(target, ':');
		if (colon && strchr(target, ':') != colon)
			return -EINVAL;	/* a bare IPv6 literal: brackets */
		n = colon ? (size_t)(colon - target) : strlen(target);
	}
	if (!n || n >= size)
		return -EINVAL;
	memcpy(host, target, n);
	host[n] = '\0';
	if (colon) {
		char *e;

		v = strtoul(colon + 1, &e, 10);
		if (!colon[1] || *e || !v || v > 65535)
			return -EINVAL;
		*port = (uint16_t)v;
	}
	return 0;
}

/* A connection out whose requester has gone: it only has to be freed once
 * it has an outcome (a connection made stays up as a client). */
static void on_orphan_connect(void *arg, struct xrfb_reverse *r,
			      enum xrfb_reverse_event ev, int err)
{
	(void)arg;
	(void)ev;
	(void)err;
	xrfb_reverse_free(r);
}

static void conn_process(struct control_conn *cn);

/* The outcome of a "connect": the answer, then the requests that came
 * after it. */
static void on_connect_event(void *arg, struct xrfb_reverse *r,
			     enum xrfb_reverse_event ev, int err)
{
	struct control_conn *cn = arg;
	char why[300];

	cn->connecting = NULL;
	xrfb_reverse_free(r);
	if (ev == XRFB_REVERSE_CONNECTED) {
		send_ok(cn);
	} else {
		snprintf(why, sizeof(why), "cannot connect: %s",
			 err == -ENXIO ? "host name not found"
				       : err ? strerror(-err)
					     : "connection closed");
		send_error(cn, why);
	}
	conn_process(cn);
}

/* Answered once the connection is made or has failed, so that `xrfb ctl
 * connect` says which. */
static void cmd_connect(struct control_conn *cn,
			const struct ctl_proto_request *req)
{
	const char *target = ctl_proto_str(req, "target");
	struct xrfb_reverse *r;
	char host[256], why[300];
	uint16_t port;

	if (!target || split_target(target, host, sizeof(host), &port) < 0) {
		send_error(cn, "connect needs \"target\": HOST[:PORT]");
		return;
	}
	r = xrfb_server_reverse(cn->ctl->app->server, host, port, NULL);
	if (!r) {
		snprintf(why, sizeof(why), "cannot connect to %s: %s", target,
			 strerror(errno));
		send_error(cn, why);
		return;
	}
	xrfb_reverse_on_event(r, on_connect_event, cn);
	cn->connecting = r;
}

static void cmd_screenshot(struct control_conn *cn,
			   const struct ctl_proto_request *req)
{
	const char *file = ctl_proto_str(req, "file");
	const struct ctl_proto_field *cursor = ctl_proto_get(req, "cursor");
	struct app *app = cn->ctl->app;
	struct buf b = BUF_INIT;
	char why[300];
	int r;

	if (!file || !*file) {
		send_error(cn, "screenshot needs \"file\"");
		return;
	}
	r = screenshot_write(app, file,
			     cursor && cursor->type == CTL_PROTO_BOOL &&
				     cursor->b);
	if (r < 0) {
		snprintf(why, sizeof(why), "cannot write the screenshot: %s",
			 strerror(-r));
		send_error(cn, why);
		return;
	}
	control_screenshot(cn->ctl, file);
	json_raw(&b, "{");
	json_kv_bool(&b, "ok", true);
	json_kv_str(&b, "file", file);
	json_kv_int(&b, "width", xrfb_server_width(app->server));
	json_kv_int(&b, "height", xrfb_server_height(app->server));
	json_raw(&b, "}");
	conn_send(cn, &b);
	buf_fini(&b);
}

static void cmd_record(struct control_conn *cn,
		       const struct ctl_proto_request *req)
{
	const char *action = ctl_proto_str(req, "action");
	const char *file = ctl_proto_str(req, "file");
	struct app *app = cn->ctl->app;

	if (action && !strcmp(action, "start")) {
		if (app->record) {
			send_error(cn, "already recording");
			return;
		}
		if (!file || !*file) {
			send_error(cn, "record start needs \"file\"");
			return;
		}
		app->record = record_start(app, file, 0);
		if (!app->record) {
			send_error(cn, "cannot record into this file");
			return;
		}
		send_ok(cn);
		control_recording(cn->ctl, true, file);
	} else if (action && !strcmp(action, "stop")) {
		if (!app->record) {
			send_error(cn, "not recording");
			return;
		}
		control_recording(cn->ctl, false, record_path(app->record));
		record_stop(app->record, true);
		app->record = NULL;
		send_ok(cn);
	} else {
		send_error(cn, "record needs \"action\": start or stop");
	}
}

static void cmd_events(struct control_conn *cn)
{
	struct app *app = cn->ctl->app;
	struct buf b = BUF_INIT;

	cn->events = true;
	event_start(&b, "subscribed");
	json_kv_str(&b, "display", x11_display_name(app->display));
	json_raw(&b, "}");
	conn_send(cn, &b);
	buf_fini(&b);
}

static void cmd_stop(struct control_conn *cn)
{
	struct app *app = cn->ctl->app;

	send_ok(cn);
	app_request_stop(app);
}

static void handle(struct control_conn *cn,
		   const struct ctl_proto_request *req)
{
	const char *cmd = ctl_proto_str(req, "cmd");

	if (req->error) {
		send_error(cn, req->error);
		return;
	}
	if (!cmd) {
		send_error(cn, "no \"cmd\"");
		return;
	}
	log_debug("control: %s", cmd);
	if (!strcmp(cmd, "status"))
		cmd_status(cn);
	else if (!strcmp(cmd, "clients"))
		cmd_clients(cn);
	else if (!strcmp(cmd, "disconnect"))
		cmd_disconnect(cn, req);
	else if (!strcmp(cmd, "connect"))
		cmd_connect(cn, req);
	else if (!strcmp(cmd, "screenshot"))
		cmd_screenshot(cn, req);
	else if (!strcmp(cmd, "events"))
		cmd_events(cn);
	else if (!strcmp(cmd, "stop"))
		cmd_stop(cn);
	else if (!strcmp(cmd, "record"))
		cmd_record(cn, req);
	else
		send_error(cn, "unknown command");
}

/* Read and forget what the peer has sent already (a little of it at
 * most): closing a socket with unread data would reset the connection,
 * and the peer would lose the answer queued before. */
static void conn_drop_input(struct control_conn *cn)
{
	uint8_t sink[4096];
	int i;

	for (i = 0; i < 16; i++)
		if (recv(cn->fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
}

static void on_conn(void *arg, int fd, uint32_t events)
{
	struct control_conn *cn = arg;
	uint8_t *room;
	ssize_t n;

	if (events & XRFB_EV_OUT)
		conn_flush(cn);
	if (cn->dead || !(events & (XRFB_EV_IN | XRFB_EV_HUP | XRFB_EV_ERR)))
		return;
	if (cn->connecting && cn->in.len >= CONTROL_PENDING_MAX) {
		send_error(cn, "too many requests while a connect is pending");
		conn_drop_input(cn);
		conn_close(cn);
		return;
	}
	room = buf_extend(&cn->in, CTL_PROTO_LINE_MAX);
	if (!room) {
		conn_close(cn);
		return;
	}
	cn->in.len -= CTL_PROTO_LINE_MAX;
	n = recv(fd, room, CTL_PROTO_LINE_MAX, 0);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		conn_close(cn);
		return;
	}
	cn->in.len += (size_t)n;
	conn_process(cn);
}

/* Answer the requests read so far, in order: a request that waits for
 * its outcome (connect) holds back those behind it. */
static void conn_process(struct control_conn *cn)
{
	struct ctl_proto_request *req;
	int used;

	req = xmalloc(sizeof(*req));
	while (!cn->dead && !cn->connecting &&
	       (used = ctl_proto_parse(cn->in.data, cn->in.len, req)) != 0) {
		if (used < 0) {
			send_error(cn, "request line too long");
			conn_drop_input(cn);
			conn_close(cn);
			break;
		}
		handle(cn, req);
		buf_consume(&cn->in, (size_t)used);
	}
	free(req);
}

/* ---- the socket ------------------------------------------------------------ */

static void on_accept(void *arg, int fd, uint32_t events)
{
	struct control *ctl = arg;
	struct control_conn *cn;
	int cfd;

	cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	if (ctl->n_conns >= CONTROL_MAX_CONNS) {
		log_warn("control: too many connections; refusing one");
		close(cfd);
		return;
	}
	cn = xcalloc(1, sizeof(*cn));
	cn->ctl = ctl;
	cn->fd = cfd;
	cn->watch = xrfb_loop_watch_fd(ctl->app->loop, cfd, XRFB_EV_IN,
				       on_conn, cn);
	if (!cn->watch) {
		close(cfd);
		free(cn);
		return;
	}
	cn->next = ctl->conns;
	ctl->conns = cn;
	ctl->n_conns++;
}

static void conn_free(struct control_conn *cn)
{
	if (!cn->dead)
		conn_close(cn);
	if (cn->connecting)
		xrfb_reverse_on_event(cn->connecting, on_orphan_connect, NULL);
	buf_fini(&cn->in);
	buf_fini(&cn->out);
	free(cn);
}

static void on_prepare(void *arg)
{
	struct control *ctl = arg;
	struct control_conn **pp = &ctl->conns, *cn;

	check_resize(ctl);
	if (!ctl->have_dead)
		return;
	ctl->have_dead = false;
	while ((cn = *pp)) {
		if (cn->dead) {
			*pp = cn->next;
			ctl->n_conns--;
			conn_free(cn);
		} else {
			pp = &cn->next;
		}
	}
}

/* Make @dir (mode 0700) unless it exists as our own private directory. */
static int private_dir(const char *dir, bool create)
{
	struct stat st;

	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(dir, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
	    (st.st_mode & 077))
		return -EPERM;
	return 0;
}

int control_runtime_dir(char *dir, size_t size, bool create)
{
	const char *base = getenv("XDG_RUNTIME_DIR");

	if (base && *base && access(base, W_OK | X_OK) == 0)
		snprintf(dir, size, "%s/xrfb", base);
	else
		snprintf(dir, size, "/tmp/xrfb-%ld", (long)getuid());
	return private_dir(dir, create);
}

int control_default_path(const char *display, char *out, size_t size,
			 bool create)
{
	const char *num;
	char dir[4096];
	size_t n;
	int r;

	if (!display || !*display)
		return -EINVAL;
	r = control_runtime_dir(dir, sizeof(dir), create);
	if (r < 0)
		return r;
	/* ":5.0" is "5"; "host:5" stays "host:5". */
	num = display[0] == ':' ? display + 1 : display;
	n = strcspn(num, ".");
	if (strchr(num, ':'))
		n = strlen(num);
	if ((size_t)snprintf(out, size, "%s/%.*s.sock", dir, (int)n, num) >=
	    size)
		return -ENAMETOOLONG;
	return 0;
}

/* A socket file at @path: refuse if something answers there, remove it
 * if it is a leftover. With @display_ours (we started the X server, so
 * its display number was free), a socket named after it that still
 * answers belongs to an xrfb whose X server has just gone, one that is on
 * its way out: the name is ours now, and we take it over. */
static int clear_stale(const char *path, const struct sockaddr_un *sa,
		       bool display_ours)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0 && !display_ours)
		return -EADDRINUSE;
	if (r == 0)
		log_info("control socket %s: taking it over from an xrfb whose "
			 "X server has gone", path);
	return unlink(path) < 0 ? -errno : 0;
}

static int open_socket(struct control *ctl)
{
	struct sockaddr_un sa;
	struct stat st;
	mode_t old;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(ctl->path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, ctl->path, strlen(ctl->path));
	r = clear_stale(ctl->path, &sa,
			ctl->app->opt.create && !ctl->app->opt.control_path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* Nobody else may connect, not even for a moment. */
	old = umask(0177);
	r = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || chmod(ctl->path, 0600) < 0 || lstat(ctl->path, &st) < 0 ||
	    listen(fd, 16) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	ctl->fd = fd;
	ctl->dev = st.st_dev;
	ctl->ino = st.st_ino;
	return 0;
}

struct control *control_new(struct app *app)
{
	const char *display = x11_display_name(app->display);
	struct control *ctl;
	char path[4096];
	int r;

	if (app->opt.control_path) {
		snprintf(path, sizeof(path), "%s", app->opt.control_path);
	} else {
		r = control_default_path(display, path, sizeof(path), true);
		if (r < 0) {
			fprintf(stderr, "xrfb: no private directory for the "
				"control socket: %s\n", strerror(-r));
			return NULL;
		}
	}
	ctl = xcalloc(1, sizeof(*ctl));
	ctl->app = app;
	ctl->fd = -1;
	ctl->path = xstrdup(path);
	ctl->width = xrfb_server_width(app->server);
	ctl->height = xrfb_server_height(app->server);
	r = open_socket(ctl);
	if (r < 0) {
		fprintf(stderr, "xrfb: cannot serve the control socket %s: "
			"%s\n", path, r == -EADDRINUSE
				? "another xrfb serves it"
				: strerror(-r));
		goto err_free;
	}
	guard_remove_file(app->guard, ctl->path);
	ctl->watch = xrfb_loop_watch_fd(app->loop, ctl->fd, XRFB_EV_IN,
					on_accept, ctl);
	if (!ctl->watch ||
	    xrfb_loop_add_prepare(app->loop, on_prepare, ctl) < 0) {
		fprintf(stderr, "xrfb: cannot watch the control socket\n");
		goto err_close;
	}
	log_info("control socket %s", ctl->path);
	return ctl;

err_close:
	if (ctl->watch)
		xrfb_watch_free(ctl->watch);
	close(ctl->fd);
	unlink(ctl->path);
err_free:
	free(ctl->path);
	free(ctl);
	return NULL;
}

const char *control_path(const struct control *ctl)
{
	return ctl ? ctl->path : NULL;
}

/* Hand over what is queued, waiting a little for slow readers. */
static void flush_all(struct control *ctl)
{
	uint64_t deadline = xrfb_now_ms() + CONTROL_FLUSH_MS;
	struct control_conn *cn;
	struct pollfd pfd;
	uint64_t now;

	for (cn = ctl->conns; cn; cn = cn->next) {
		while (!cn->dead && cn->out.len &&
		       (now = xrfb_now_ms()) < deadline) {
			pfd.fd = cn->fd;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
				break;
			conn_flush(cn);
		}
	}
}

void control_server_ending(struct control *ctl)
{
	struct control_conn *cn;

	if (!ctl)
		return;
	for (cn = ctl->conns; cn; cn = cn->next)
		cn->connecting = NULL;
}

void control_free(struct control *ctl)
{
	struct control_conn *cn;
	struct stat st;

	if (!ctl)
		return;
	flush_all(ctl);
	while ((cn = ctl->conns)) {
		ctl->conns = cn->next;
		conn_free(cn);
	}
	xrfb_loop_remove_prepare(ctl->app->loop, on_prepare, ctl);
	xrfb_watch_free(ctl->watch);
	close(ctl->fd);
	if (lstat(ctl->path, &st) == 0 && st.st_dev == ctl->dev &&
	    st.st_ino == ctl->ino)
		unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}
