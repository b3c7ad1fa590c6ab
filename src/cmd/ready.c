/* SPDX-License-Identifier: MIT */
/*
 * ready: the ready record, one JSON object written once the X server,
 * the listeners and the session (or CMD) are up, for programs that start
 * xrfb and need to know where to connect:
 *
 *   {"display":":5","pid":1234,"listen":[{"address":"127.0.0.1",
 *    "port":40000}],"unix":[],"url":null,"view_token":null,
 *    "password_file":null,"control":"/run/user/1000/xrfb/5.sock", ...}
 *
 * With the web client on a TCP port, "url" is noVNC's page; with a view
 * token (run makes one) it is the view-only URL that needs no password.
 *
 * A file is written under a temporary name and renamed, so a reader that
 * sees the file sees all of it; a descriptor gets the record and a
 * newline and is closed, so a reader can read to the end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "log.h"
#include "ready.h"
#include "session.h"
#include "x11-display.h"
#include "xvfb.h"

void ready_web_url(const struct app *app, const char *hostport, char *out,
		   size_t size)
{
	/* noVNC's page takes the WebSocket's path in "path" and opens
	 * ws://HOST:PORT/PATH: the token rides in that path's query. */
	if (app->view_token[0])
		snprintf(out, size,
			 "http://%s/vnc.html?autoconnect=1&view_only=1&"
			 "resize=scale&path=websockify%%3Ftoken%%3D%s",
			 hostport, app->view_token);
	else
		snprintf(out, size, "http://%s/vnc.html", hostport);
}

void ready_record(struct app *app, const char *control, struct buf *b)
{
	unsigned i, n;

	json_raw(b, "{");
	json_kv_str(b, "display", x11_display_name(app->display));
	json_kv_int(b, "pid", (long long)getpid());
	json_key(b, "listen");
	json_raw(b, "[");
	for (i = 0; i < app->n_bound; i++) {
		if (i)
			json_raw(b, ",");
		json_raw(b, "{");
		json_kv_str(b, "address", app->bound[i]);
		json_kv_int(b, "port", app->port);
		json_raw(b, "}");
	}
	json_raw(b, "]");
	json_key(b, "unix");
	json_raw(b, "[");
	for (i = 0, n = 0; i < app->n_other; i++) {
		if (strncmp(app->other[i], "unix:", 5) != 0)
			continue;
		if (n++)
			json_raw(b, ",");
		json_str(b, app->other[i] + 5);
	}
	json_raw(b, "]");
	json_key(b, "url");
	if (app->web_root && app->n_bound &&
	    (app->opt.websocket_detect_ms || app->ws_port)) {
		const char *a = app->bound[0];
		bool v6 = strchr(a, ':') != NULL;
		char hostport[128], url[512];

		snprintf(hostport, sizeof(hostport), "%s%s%s:%u",
			 v6 ? "[" : "", a, v6 ? "]" : "",
			 (unsigned)(app->opt.websocket_detect_ms ? app->port
								 : app->ws_port));
		ready_web_url(app, hostport, url, sizeof(url));
		json_str(b, url);
	} else {
		json_raw(b, "null");
	}
	json_key(b, "view_token");
	if (app->view_token[0])
		json_str(b, app->view_token);
	else
		json_raw(b, "null");
	json_kv_str(b, "password_file", app->opt.password_file);
	json_kv_str(b, "control", control);
	json_kv_int(b, "width", xrfb_server_width(app->server));
	json_kv_int(b, "height", xrfb_server_height(app->server));
	if (app->xvfb) {
		json_kv_str(b, "xauthority", xvfb_auth_file(app->xvfb));
		json_kv_int(b, "xvfb_pid", (long long)xvfb_pid(app->xvfb));
	}
	if (app->session)
		json_kv_int(b, app->run ? "cmd_pid" : "session_pid",
			    (long long)session_pid(app->session));
	json_raw(b, "}");
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_file(const char *path, const struct buf *b)
{
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	int fd, r;

	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, b->data, b->len);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
out:
	free(tmp);
	return r;
}

int ready_write(struct app *app, const char *control)
{
	struct buf b = BUF_INIT;
	int r = 0, e;

	ready_record(app, control, &b);
	json_raw(&b, "\n");
	if (app->opt.ready_fd >= 0) {
		e = write_all(app->opt.ready_fd, b.data, b.len);
		if (e < 0) {
			log_error("cannot write the ready record to fd %d: %s",
				  app->opt.ready_fd, strerror(-e));
			r = e;
		}
		close(app->opt.ready_fd);
		app->opt.ready_fd = -1;
	}
	if (app->opt.ready_file) {
		e = write_file(app->opt.ready_file, &b);
		if (e < 0) {
			log_error("cannot write the ready record to %s: %s",
				  app->opt.ready_file, strerror(-e));
			r = e;
		}
	}
	buf_fini(&b);
	return r;
}
