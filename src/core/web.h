/* SPDX-License-Identifier: MIT */
/*
 * A connection before it is an RFB client: telling RFB, HTTP and TLS
 * (HTTPS, WSS) apart by the first bytes, serving static files, and
 * upgrading to WebSocket, after which the connection becomes an RFB
 * client on a framed stream.
 */
#ifndef XRFB_WEB_H
#define XRFB_WEB_H

#include <stdbool.h>

#include "stream.h"
#include "xrfb.h"

struct tls_ctx;
struct web;

/* Default wait for a client's first bytes on an RFB listener (ms). */
#define WEB_DETECT_DEFAULT_MS 200

/* What an accepted connection may be. */
enum web_mode {
	WEB_MODE_DETECT,	/* RFB, HTTP or HTTPS, by its first bytes */
	WEB_MODE_HTTP,		/* HTTP or HTTPS (a WebSocket listener) */
};

/* What the web side asks of the server it serves. */
struct web_ops {
	/* The connection speaks RFB from now on (its stream is framed if
	 * it came through a WebSocket): the callee owns @st. @view_token:
	 * the upgrade carried the view token (a view-only viewer that needs
	 * no password). */
	void (*handoff)(void *arg, struct stream *st, const char *peer,
			bool view_token);
	/* True if the server listens on TCP port @port. */
	bool (*has_port)(void *arg, unsigned port);
	/* True if RFB clients must authenticate. */
	bool (*password_required)(void *arg);
	/* The TLS context that serves HTTPS and WSS (one with a
	 * certificate), or NULL: a first byte 0x16 is not TLS then. */
	struct tls_ctx *(*tls)(void *arg);
	/* Whether a connection from @peer may start a TLS handshake now:
	 * it counts under the limits of connections that have not yet
	 * authenticated. */
	bool (*may_handshake)(void *arg, const char *peer);
	/* How long that handshake may take (ms; 0: no limit of its own). */
	unsigned (*handshake_timeout_ms)(void *arg);
};

struct web *web_new(struct xrfb_loop *loop, const struct web_ops *ops,
		    void *arg);
/* Close every connection still in the web stage and free the rest. */
void web_free(struct web *w);
/* Where the CPU time spent on the input of connections in the web stage
 * is added (stream_set_cpu_sink()); NULL: not counted. */
void web_set_cpu_sink(struct web *w, uint64_t *sink);
/* Wait for a first "GET " on RFB listeners this long (0: RFB only). */
void web_set_detect(struct web *w, unsigned ms);
unsigned web_detect_ms(const struct web *w);
/* The directory files are served from (NULL: none); -errno if @dir is
 * not a readable directory. */
int web_set_root(struct web *w, const char *dir);
/* Allow WebSocket upgrades from pages of @origin too. */
int web_add_origin(struct web *w, const char *origin);
/* The view token (see xrfb_server_set_view_token()); NULL: none. */
int web_set_view_token(struct web *w, const char *token);
/* Connections in a TLS handshake, in all (the return value) and from
 * the address @addr (as throttle_addr() gives it) in *@same. */
unsigned web_tls_pending(const struct web *w, const char *addr,
			 unsigned *same);
/* Take over the accepted socket @fd; -errno if it cannot (fd closed). */
int web_accept(struct web *w, int fd, const char *peer, enum web_mode mode);

#endif
