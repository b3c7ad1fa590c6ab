/* SPDX-License-Identifier: MIT */
/*
 * The web stage of a connection. On an RFB listener with detection on, a
 * new connection waits a moment for its first bytes: "GET " makes it
 * HTTP, anything else (or silence) makes it an RFB client at once. An
 * HTTP connection gets static files from the web root, or is upgraded to
 * a WebSocket and then becomes an RFB client on the framed stream. When
 * the server has a certificate, a first byte 0x16 (a TLS handshake
 * record) on either kind of listener makes it HTTPS: TLS first, then the
 * same HTTP and WebSocket inside it. See doc/protocol.md, "WebSocket".
 * This file owns connections only until that hand-over; it never sees
 * RFB bytes and does no parsing itself (http.c and websocket.c do).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "http.h"
#include "log.h"
#include "stream.h"
#include "throttle.h"
#include "tls.h"
#include "web.h"
#include "websocket.h"

/* A request head must be complete this long after the last response (or
 * the connection's start); an idle kept-alive connection is closed then. */
#define WEB_REQUEST_TIMEOUT_MS 30000
/* Stop reading pipelined requests while this much waits to be sent. */
#define WEB_QUEUE_MAX (1u << 20)
/* Largest file served. */
#define WEB_FILE_MAX (64u << 20)

/* Browsers open connections ahead of need and leave them silent until a
 * request comes along (Chromium drops unused ones after 10 to 20 s). On
 * an RFB listener such a connection would be greeted as RFB, and the
 * request later sent on it would fail. So for a while after an address
 * made HTTP requests, a silent connection from it waits longer before it
 * counts as RFB (doc/protocol.md, "WebSocket"). */
#define WEB_BROWSER_WAIT_MS 25000
#define WEB_BROWSER_MEMORY_MS 60000
#define WEB_BROWSERS 16

struct web_browser {
	char addr[64];			/* the peer without its port */
	uint64_t last_ms;		/* its last HTTP request */
};

struct web {
	struct xrfb_loop *loop;
	struct web_ops ops;
	void *arg;
	struct web_conn *conns;		/* connections in the web stage */
	unsigned detect_ms;
	char *root;			/* NULL: no files served */
	char **origins;			/* also allowed, beside our own pages */
	unsigned n_origins;
	char *view_token;		/* NULL: none */
	struct web_browser browsers[WEB_BROWSERS];
	uint64_t *cpu_sink;		/* web_set_cpu_sink() */
};

struct web_conn {
	struct web *web;
	struct web_conn *prev, *next;
	struct stream *stream;
	char peer[64];
	bool http;			/* decided: HTTP, not RFB */
	bool sniffed;			/* the first byte was looked at */
	bool tls_wait;			/* TLS handshake under way */
	bool tls;			/* HTTPS */
	bool closing;			/* a last response is on its way */
	bool paused;			/* reading stopped until drained */
	bool waited_long;		/* silent from a browser's address */
	struct xrfb_timer *timer;
	struct http_parser *parser;
};

static bool is_recent_browser(struct web *s, const char *peer);
static unsigned web_tls_timeout(struct web *s);
static void restart_timer(struct web_conn *w, unsigned ms);

static void web_conn_free(struct web_conn *w, bool with_stream)
{
	struct web *s = w->web;

	if (w->prev)
		w->prev->next = w->next;
	else
		s->conns = w->next;
	if (w->next)
		w->next->prev = w->prev;
	xrfb_timer_cancel(w->timer);
	if (with_stream)
		stream_free(w->stream);
	free(w->parser);
	free(w);
}

/* The connection is an RFB client from here on (framed or not). */
static void become_client(struct web_conn *w, bool view_token)
{
	struct web *s = w->web;
	struct stream *st = w->stream;
	char peer[sizeof(w->peer)];

	memcpy(peer, w->peer, sizeof(peer));
	web_conn_free(w, false);
	s->ops.handoff(s->arg, st, peer, view_token);
}

static void on_timeout(void *arg)
{
	struct web_conn *w = arg;

	w->timer = NULL;
	if (w->tls_wait) {
		log_info("%s: no TLS handshake within %u ms, closing",
			 w->peer, web_tls_timeout(w->web));
		web_conn_free(w, true);
		return;
	}
	if (!w->http) {
		/* A browser's address since this connection came? */
		if (!w->waited_long && w->web->detect_ms < WEB_BROWSER_WAIT_MS &&
		    is_recent_browser(w->web, w->peer)) {
			w->waited_long = true;
			restart_timer(w, WEB_BROWSER_WAIT_MS);
			return;
		}
		/* Silence: an RFB client waiting for our greeting. */
		become_client(w, false);
		return;
	}
	/* Mostly a browser's idle kept-alive connection. */
	log_debug("%s: no complete HTTP request in %u s, closing", w->peer,
		  WEB_REQUEST_TIMEOUT_MS / 1000);
	web_conn_free(w, true);
}

static void restart_timer(struct web_conn *w, unsigned ms)
{
	xrfb_timer_cancel(w->timer);
	w->timer = xrfb_loop_add_timer(w->web->loop, ms, on_timeout, w);
}

/* Queue a response: status line, @headers (each ending in CRLF), the
 * standard ones, and @body (consumed; NULL for none) unless @head_only. */
static void respond(struct web_conn *w, int status, const char *headers,
		    const char *type, struct rcbuf *body, bool head_only,
		    bool keep)
{
	char head[1024];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 %d %s\r\n"
		     "Server: xrfb\r\n"
		     "Content-Type: %s\r\n"
		     "Content-Length: %zu\r\n"
		     "Cache-Control: no-cache\r\n"
		     "X-Content-Type-Options: nosniff\r\n"
		     "Connection: %s\r\n"
		     "%s\r\n",
		     status, http_reason(status), type,
		     body ? body->len : (size_t)0, keep ? "keep-alive" : "close",
		     headers ? headers : "");
	stream_send_copy(w->stream, head,
			 (size_t)n < sizeof(head) ? (size_t)n : sizeof(head) - 1);
	if (body && !head_only)
		stream_send(w->stream, body);
	else if (body)
		rcbuf_unref(body);
	if (!keep) {
		w->closing = true;
		stream_pause_read(w->stream, true);
		stream_close_after_flush(w->stream);
	} else {
		stream_flush(w->stream);
	}
}

/* A refusal: a short text body, and the connection closes. */
static void respond_error(struct web_conn *w, int status, const char *headers,
			  const char *why)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%d %s: %s\n", status,
			 http_reason(status), why);

	/* Pages look for files that may not be there (favicon.ico). */
	if (status == 404)
		log_debug("%s: HTTP %d: %s", w->peer, status, why);
	else
		log_info("%s: HTTP %d: %s", w->peer, status, why);
	respond(w, status, headers, "text/plain; charset=utf-8",
		rcbuf_copy(body, (size_t)n < sizeof(body) ? (size_t)n
							  : sizeof(body) - 1),
		false, false);
}

/* ---- origins ---------------------------------------------------------------- */

/* Split "host[:port]" or "[v6]:port" into @host and *port (0: none). */
static bool split_authority(const char *a, char *host, size_t size,
			    unsigned *port)
{
	const char *end, *colon;
	size_t n;

	if (a[0] == '[') {
		end = strchr(a, ']');
		if (!end)
			return false;
		a++;
		colon = end[1] == ':' ? end + 1 : NULL;
		if (end[1] && !colon)
			return false;
	} else {
		colon = strchr(a, ':');
		end = colon ? colon : a + strlen(a);
	}
	n = (size_t)(end - a);
	if (n == 0 || n >= size)
		return false;
	memcpy(host, a, n);
	host[n] = '\0';
	*port = 0;
	if (colon) {
		char *e;
		unsigned long v = strtoul(colon + 1, &e, 10);

		if (!colon[1] || *e || v == 0 || v > 65535)
			return false;
		*port = (unsigned)v;
	}
	return true;
}

/* Names a page of ours can have: address literals and localhost, never
 * a name whose owner could point it at us (DNS rebinding). */
static bool is_literal_host(const char *host)
{
	uint8_t a[16];

	return strcasecmp(host, "localhost") == 0 ||
	       inet_pton(AF_INET, host, a) == 1 ||
	       inet_pton(AF_INET6, host, a) == 1;
}

/* A browser names the page that opens a WebSocket in Origin; any page
 * can try to reach 127.0.0.1, so without a password only our own pages
 * (and origins the operator listed) may. */
static bool origin_allowed(const struct web_conn *w,
			   const struct http_request *r)
{
	const struct web *s = w->web;
	const char *origin = http_header(r, "Origin");
	const char *host = http_header(r, "Host");
	char oh[256], hh[256];
	unsigned op, hp, scheme_port;
	size_t skip;

	if (!origin)
		return true;	/* not a browser */
	if (http_header_count(r, "Origin") > 1)
		return false;
	if (s->ops.password_required(s->arg))
		return true;
	for (unsigned i = 0; i < s->n_origins; i++)
		if (strcasecmp(origin, s->origins[i]) == 0)
			return true;
	/* Our listeners serve pages over HTTP, and over HTTPS too when
	 * there is a certificate. */
	if (strncasecmp(origin, "http://", 7) == 0) {
		skip = 7;
		scheme_port = 80;
	} else if (strncasecmp(origin, "https://", 8) == 0 &&
		   s->ops.tls(s->arg)) {
		skip = 8;
		scheme_port = 443;
	} else {
		return false;
	}
	if (!host || !split_authority(origin + skip, oh, sizeof(oh), &op) ||
	    !split_authority(host, hh, sizeof(hh), &hp))
		return false;
	return strcasecmp(oh, hh) == 0 && is_literal_host(hh) &&
	       s->ops.has_port(s->arg, op ? op : scheme_port);
}

/* ---- the view token ------------------------------------------------------- */

/* Compare without an early exit, so the time taken tells nothing of
 * how much of a guess was right. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < lb; i++)
		d |= (unsigned char)(a[i % (la ? la : 1)] ^ b[i]);
	return d == 0 && la == lb;
}

/* What the upgrade's "token" parameter says: 1 the view token, 0 no
 * token, -1 a wrong one (refused). */
static int check_view_token(struct web_conn *w, const struct http_request *r)
{
	char tok[160];
	int n = http_query_param(r->target, "token", tok, sizeof(tok));

	if (n == -ENOENT)
		return 0;
	if (n < 0 || !w->web->view_token ||
	    !same_secret(tok, w->web->view_token))
		return -1;
	return 1;
}

int web_set_view_token(struct web *s, const char *token)
{
	size_t n = token ? strlen(token) : 0;
	char *t = NULL;

	if (token) {
		if (n < 16 || n > 128 ||
		    strspn(token, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789_-") != n)
			return -EINVAL;
		t = strdup(token);
		if (!t)
			return -ENOMEM;
	}
	free(s->view_token);
	s->view_token = t;
	return 0;
}

/* ---- requests --------------------------------------------------------------- */

static void upgrade(struct web_conn *w, const struct http_request *r)
{
	const char *key = http_header(r, "Sec-WebSocket-Key");
	const char *version = http_header(r, "Sec-WebSocket-Version");
	const char *offer = http_header(r, "Sec-WebSocket-Protocol");
	char accept[WS_ACCEPT_LEN + 1], head[512], esc[96];
	enum ws_subproto proto;
	const char *name;
	int n, token;

	if (strcmp(r->method, "GET") != 0 || r->minor != 1 ||
	    !http_has_token(r, "Connection", "upgrade")) {
		respond_error(w, 400, NULL, "not a WebSocket upgrade");
		return;
	}
	if (!version || strcmp(version, "13") != 0) {
		respond_error(w, 426, "Sec-WebSocket-Version: 13\r\n",
			      "WebSocket version 13 only");
		return;
	}
	if (!key || http_header_count(r, "Sec-WebSocket-Key") != 1 ||
	    ws_accept_key(key, accept) < 0) {
		respond_error(w, 400, NULL, "bad Sec-WebSocket-Key");
		return;
	}
	if (ws_choose_subproto(offer && *offer,
			       http_has_token(r, "Sec-WebSocket-Protocol",
					      "binary"),
			       http_has_token(r, "Sec-WebSocket-Protocol",
					      "base64"),
			       &proto) < 0) {
		respond_error(w, 400, NULL,
			      "no offered subprotocol is spoken here "
			      "(binary, base64 or none)");
		return;
	}
	if (!origin_allowed(w, r)) {
		log_escape(esc, sizeof(esc), http_header(r, "Origin"),
			   strlen(http_header(r, "Origin")));
		log_warn("%s: WebSocket from origin %s refused "
			 "(see --websocket-origin)", w->peer, esc);
		respond_error(w, 403, NULL, "origin not allowed");
		return;
	}
	token = check_view_token(w, r);
	if (token < 0) {
		log_warn("%s: WebSocket with a wrong view token refused",
			 w->peer);
		respond_error(w, 403, NULL, "wrong token");
		return;
	}
	name = ws_subproto_name(proto);
	n = snprintf(head, sizeof(head),
		     "HTTP/1.1 101 Switching Protocols\r\n"
		     "Upgrade: websocket\r\n"
		     "Connection: Upgrade\r\n"
		     "Sec-WebSocket-Accept: %s\r\n"
		     "%s%s%s"
		     "\r\n",
		     accept, name ? "Sec-WebSocket-Protocol: " : "",
		     name ? name : "", name ? "\r\n" : "");
	stream_send_copy(w->stream, head, (size_t)n);
	if (stream_set_websocket(w->stream, proto) < 0) {
		web_conn_free(w, true);
		return;
	}
	/* The target is logged without its query: it may hold the token. */
	log_info("%s: WebSocket on %s, %s frames%s%s", w->peer,
		 log_escape(esc, sizeof(esc), r->target,
			    strcspn(r->target, "?#")),
		 proto == WS_PROTO_BASE64 ? "base64" : "binary",
		 w->tls ? ", over TLS" : "",
		 token ? ", view token: view-only" : "");
	become_client(w, token > 0);
}

/* Open @rel (a checked request path) under the web root. */
static int open_file(const struct web *s, const char *rel,
		     struct stat *st)
{
	char full[HTTP_PATH_MAX + 4096];
	int fd;

	if ((size_t)snprintf(full, sizeof(full), "%s%s", s->root, rel) >=
	    sizeof(full))
		return -ENAMETOOLONG;
	fd = open(full, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		close(fd);
		return -ENOENT;
	}
	return fd;
}

/* Read a whole (small, local) file. The loop waits for the disk here;
 * web clients are a few hundred kilobytes of static files. */
static struct rcbuf *read_file(int fd, size_t size)
{
	uint8_t *data = malloc(size ? size : 1);
	size_t got = 0;

	if (!data)
		return NULL;
	while (got < size) {
		ssize_t k = read(fd, data + got, size - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			free(data);
			return NULL;
		}
		got += (size_t)k;
	}
	return rcbuf_new(data, size);
}

static void serve_file(struct web_conn *w, const struct http_request *r,
		       bool keep)
{
	const struct web *s = w->web;
	bool head_only = strcmp(r->method, "HEAD") == 0;
	char path[HTTP_PATH_MAX + 16], esc[96];
	struct rcbuf *body;
	struct stat st;
	int fd, err;

	if (!s->root) {
		respond_error(w, 404, NULL, "no web client is served here");
		return;
	}
	err = http_target_path(r->target, path, HTTP_PATH_MAX);
	if (err < 0) {
		respond_error(w, 400, NULL, "bad path");
		return;
	}
	if (path[strlen(path) - 1] == '/')
		strcat(path, "index.html");
	fd = open_file(s, path, &st);
	if (fd == -ENOENT && strcmp(path, "/index.html") == 0 &&
	    (fd = open_file(s, "/vnc.html", &st)) >= 0) {
		/* Debian's noVNC has no index: send the browser to it. */
		close(fd);
		respond(w, 302, "Location: /vnc.html\r\n",
			"text/plain; charset=utf-8", NULL, head_only, keep);
		return;
	}
	log_escape(esc, sizeof(esc), path, strlen(path));
	if (fd < 0) {
		log_debug("%s: %s %s: %s", w->peer, r->method, esc,
			  strerror(-fd));
		respond_error(w, fd == -EACCES ? 403 : 404, NULL,
			      fd == -EACCES ? "not readable" : "no such file");
		return;
	}
	if ((uint64_t)st.st_size > WEB_FILE_MAX) {
		close(fd);
		respond_error(w, 403, NULL, "file too large");
		return;
	}
	body = read_file(fd, (size_t)st.st_size);
	close(fd);
	if (!body) {
		respond_error(w, 500, NULL, "cannot read the file");
		return;
	}
	log_debug("%s: %s %s: 200, %zu bytes", w->peer, r->method, esc,
		  body->len);
	respond(w, 200, NULL, http_content_type(path), body, head_only, keep);
}

/* Parse and answer what is in the input. Returns false once the
 * connection is no longer this file's (upgraded) or is closing. */
static bool process(struct web_conn *w)
{
	struct buf *in = stream_input(w->stream);

	while (in->len && !w->closing) {
		struct http_parser *p = w->parser;
		const struct http_request *r = &p->req;
		ssize_t k = http_parse(p, (const char *)in->data, in->len);
		bool keep;

		if (k < 0) {
			respond_error(w, p->status, NULL, p->error);
			return false;
		}
		buf_consume(in, (size_t)k);
		if (!p->done)
			return true;
		if (http_has_token(r, "Upgrade", "websocket")) {
			upgrade(w, r);
			return false;
		}
		keep = r->minor == 1 && !http_has_token(r, "Connection",
							"close");
		serve_file(w, r, keep);
		if (!keep)
			return false;
		http_parser_init(p);
		restart_timer(w, WEB_REQUEST_TIMEOUT_MS);
		if (stream_queued(w->stream) > WEB_QUEUE_MAX) {
			w->paused = true;
			stream_pause_read(w->stream, true);
			return true;
		}
	}
	return !w->closing;
}

/* "ADDR:PORT" or "[V6]:PORT" without the port. */
static void peer_addr(const char *peer, char *out, size_t size)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);

	if (n >= size)
		n = size - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

static struct web_browser *find_browser(struct web *s, const char *addr)
{
	for (int i = 0; i < WEB_BROWSERS; i++)
		if (s->browsers[i].last_ms &&
		    strcmp(s->browsers[i].addr, addr) == 0)
			return &s->browsers[i];
	return NULL;
}

/* @peer made an HTTP request: remember it (in place of the oldest). */
static void note_browser(struct web *s, const char *peer)
{
	struct web_browser *b;
	char addr[64];

	peer_addr(peer, addr, sizeof(addr));
	b = find_browser(s, addr);
	if (!b) {
		b = &s->browsers[0];
		for (int i = 1; i < WEB_BROWSERS; i++)
			if (s->browsers[i].last_ms < b->last_ms)
				b = &s->browsers[i];
		snprintf(b->addr, sizeof(b->addr), "%s", addr);
	}
	b->last_ms = xrfb_now_ms();
}

static bool is_recent_browser(struct web *s, const char *peer)
{
	struct web_browser *b;
	char addr[64];

	peer_addr(peer, addr, sizeof(addr));
	b = find_browser(s, addr);
	return b && xrfb_now_ms() - b->last_ms < WEB_BROWSER_MEMORY_MS;
}

/* ---- HTTPS ------------------------------------------------------------------ */

static unsigned web_tls_timeout(struct web *s)
{
	unsigned ms = s->ops.handshake_timeout_ms(s->arg);

	return ms ? ms : WEB_REQUEST_TIMEOUT_MS;
}

unsigned web_tls_pending(const struct web *s, const char *addr,
			 unsigned *same)
{
	unsigned total = 0;
	char a[64];

	*same = 0;
	for (const struct web_conn *w = s->conns; w; w = w->next) {
		if (!w->tls_wait)
			continue;
		total++;
		throttle_addr(w->peer, a, sizeof(a));
		if (!strcmp(a, addr))
			(*same)++;
	}
	return total;
}

static void on_tls_ready(void *arg)
{
	struct web_conn *w = arg;

	w->tls_wait = false;
	w->tls = true;
	note_browser(w->web, w->peer);
	restart_timer(w, WEB_REQUEST_TIMEOUT_MS);
}

/* A TLS client: HTTPS from here on. False if @w is gone. */
static bool start_tls(struct web_conn *w, struct tls_ctx *t)
{
	struct web *s = w->web;

	w->http = true;
	w->sniffed = true;
	if (!s->ops.may_handshake(s->arg, w->peer)) {
		log_info("%s: too many connections waiting to authenticate, "
			 "closing", w->peer);
		web_conn_free(w, true);
		return false;
	}
#if HAVE_GNUTLS
	/* Set first: a fast client may finish the handshake within
	 * tls_accept(), and on_tls_ready() then comes before it returns. */
	w->tls_wait = true;
	restart_timer(w, web_tls_timeout(s));
	log_debug("%s: TLS handshake", w->peer);
	if (tls_accept(t, w->stream, w->peer, on_tls_ready, w) < 0) {
		web_conn_free(w, true);
		return false;
	}
	return true;
#else
	(void)t;
	web_conn_free(w, true);
	return false;
#endif
}

/* ---- telling the protocols apart --------------------------------------------- */

/* The first bytes decide (doc/protocol.md, "WebSocket"): on an RFB
 * listener, a GET or HEAD is HTTP, a TLS record HTTPS, anything else
 * RFB; on a WebSocket listener, a TLS record is HTTPS and anything else
 * HTTP. Returns true if the connection is HTTP now (its input, if any,
 * is a request's); false if it is undecided, or was handed over as RFB
 * or is in its TLS handshake (then it is no longer to be read here), or
 * is gone. */
static bool detect(struct web_conn *w)
{
	struct buf *in = stream_input(w->stream);
	struct tls_ctx *t = w->web->ops.tls(w->web->arg);

	switch (http_sniff(in->data, in->len, t != NULL)) {
	case HTTP_SNIFF_MORE:
		/* On a WebSocket listener, the parser waits as well. */
		if (!w->http)
			return false;
		break;
	case HTTP_SNIFF_TLS:
		start_tls(w, t);
		return false;
	case HTTP_SNIFF_HTTP:
		break;
	case HTTP_SNIFF_OTHER:
		if (!w->http) {
			become_client(w, false);
			return false;
		}
		break;	/* the parser refuses it */
	}
	if (!w->http) {
		w->http = true;
		note_browser(w->web, w->peer);
		restart_timer(w, WEB_REQUEST_TIMEOUT_MS);
	}
	w->sniffed = true;
	return true;
}

static void on_read(void *arg, struct stream *st)
{
	struct web_conn *w = arg;

	if (w->closing || w->tls_wait)
		return;
	if (!w->sniffed && !detect(w))
		return;
	if (!w->parser) {
		w->parser = malloc(sizeof(*w->parser));
		if (!w->parser) {
			web_conn_free(w, true);
			return;
		}
		http_parser_init(w->parser);
	}
	process(w);
}

static void on_drain(void *arg, struct stream *st)
{
	struct web_conn *w = arg;

	if (!w->paused || w->closing)
		return;
	w->paused = false;
	stream_pause_read(st, false);
	process(w);
}

static void on_error(void *arg, struct stream *st, int err)
{
	struct web_conn *w = arg;

	if (err && !w->closing)
		log_debug("%s: %s", w->peer, strerror(-err));
	web_conn_free(w, true);
}

int web_accept(struct web *s, int fd, const char *peer, enum web_mode mode)
{
	struct web_conn *w = xcalloc(1, sizeof(*w));

	w->web = s;
	w->http = mode == WEB_MODE_HTTP;
	snprintf(w->peer, sizeof(w->peer), "%s", peer);
	w->stream = stream_new(s->loop, fd, on_read, on_error, w);
	if (!w->stream) {
		free(w);
		close(fd);
		return -ENOMEM;
	}
	stream_set_drain_fn(w->stream, on_drain);
	stream_set_cpu_sink(w->stream, s->cpu_sink);
	w->next = s->conns;
	if (s->conns)
		s->conns->prev = w;
	s->conns = w;
	if (w->http) {
		restart_timer(w, WEB_REQUEST_TIMEOUT_MS);
		log_debug("%s: connection on a WebSocket listener", peer);
	} else if (s->detect_ms < WEB_BROWSER_WAIT_MS &&
		   is_recent_browser(s, peer)) {
		w->waited_long = true;
		restart_timer(w, WEB_BROWSER_WAIT_MS);
		log_debug("%s: connection, RFB or HTTP? (a browser's address: "
			  "waiting %u s)", peer, WEB_BROWSER_WAIT_MS / 1000);
	} else {
		restart_timer(w, s->detect_ms);
		log_debug("%s: connection, RFB or HTTP?", peer);
	}
	return 0;
}

/* ---- the web side of a server --------------------------------------------- */

struct web *web_new(struct xrfb_loop *loop, const struct web_ops *ops,
		    void *arg)
{
	struct web *s = xcalloc(1, sizeof(*s));

	s->loop = loop;
	s->ops = *ops;
	s->arg = arg;
	return s;
}

void web_free(struct web *s)
{
	if (!s)
		return;
	while (s->conns)
		web_conn_free(s->conns, true);
	free(s->root);
	for (unsigned i = 0; i < s->n_origins; i++)
		free(s->origins[i]);
	free(s->origins);
	free(s->view_token);
	free(s);
}

void web_set_cpu_sink(struct web *s, uint64_t *sink)
{
	s->cpu_sink = sink;
}

void web_set_detect(struct web *s, unsigned ms)
{
	s->detect_ms = ms;
}

unsigned web_detect_ms(const struct web *s)
{
	return s->detect_ms;
}

int web_set_root(struct web *s, const char *dir)
{
	struct stat st;
	char *root = NULL;
	size_t n;

	if (dir) {
		if (stat(dir, &st) < 0)
			return -errno;
		if (!S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (access(dir, R_OK | X_OK) < 0)
			return -errno;
		root = strdup(dir);
		if (!root)
			return -ENOMEM;
		/* request paths start with '/' */
		for (n = strlen(root); n > 0 && root[n - 1] == '/'; n--)
			root[n - 1] = '\0';
	}
	free(s->root);
	s->root = root;
	return 0;
}

int web_add_origin(struct web *s, const char *origin)
{
	char **list;
	char *o;
	size_t n;

	if (!origin || !strstr(origin, "://"))
		return -EINVAL;		/* "scheme://host[:port]" */
	o = strdup(origin);
	if (!o)
		return -ENOMEM;
	/* A trailing '/' is not part of an Origin. */
	n = strlen(o);
	if (o[n - 1] == '/')
		o[n - 1] = '\0';
	list = realloc(s->origins, (s->n_origins + 1) * sizeof(*list));
	if (!list) {
		free(o);
		return -ENOMEM;
	}
	list[s->n_origins++] = o;
	s->origins = list;
	return 0;
}
