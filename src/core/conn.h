/* SPDX-License-Identifier: MIT */
/*
 * What every concern of one connection shares: who it is, its stream,
 * and whether it is open. The concerns (handshake, sched, flow,
 * clipboard) each keep their own state and reach the connection only
 * through this; client.c composes them into struct xrfb_client.
 */
#ifndef XRFB_CONN_H
#define XRFB_CONN_H

#include <stdbool.h>
#include <stddef.h>

struct stream;
struct xrfb_client;
struct xrfb_server;

struct conn {
	struct xrfb_server *server;
	struct conn *prev, *next;	/* the server's list */
	struct xrfb_client *client;	/* the whole, as callbacks name it */
	unsigned id;
	char peer[64];
	struct stream *stream;
	bool ready;		/* handshake done, the embedder told */
	bool closed;
	bool linger;		/* closed, but flushing a last reply */
	bool view_only;		/* authenticated as a viewer only */
	/* No handshake timeout: an outgoing repeater connection waits for
	 * its viewer as long as it takes. */
	bool handshake_untimed;
	/* The handshake's ear for a security result that comes later than
	 * the bytes that caused it, after a TLS handshake (an enum
	 * sec_result). */
	void (*sec_done)(void *arg, int result);
	void *sec_done_arg;
	/* Came in with the view token: no password, and no input. */
	bool view_token;
};

/* Bytes queued beyond which a client gets no new update until it drains. */
#define CONN_SEND_BUDGET (1u << 20)
/* Bytes queued to all clients together beyond which only a client whose
 * queue is empty gets new output: the per-client budget sits inside
 * this total. */
#define CONN_QUEUE_TOTAL (64u << 20)

/* A client that lets this much pile up (replies to its own messages,
 * bells, clipboard) without reading is closed. */
#define CONN_QUEUE_HARD_MAX (64u << 20)

/* Set up @conn for client @c of @s on @st (taken over) and put it on
 * the server's list / take it off. */
void conn_init(struct conn *conn, struct xrfb_server *s,
	       struct xrfb_client *c, struct stream *st, const char *peer);
void conn_fini(struct conn *conn);
/* Whether the client may be given new output now (an update, clipboard
 * text): its own queue is under CONN_SEND_BUDGET and all queues together
 * under CONN_QUEUE_TOTAL, or its queue is empty. */
bool conn_has_room(const struct conn *conn);
/* Send a copy of @data; -EPIPE once closed. */
int conn_send(struct conn *conn, const void *data, size_t len);
/* Start writing what is queued, unless closed. */
void conn_flush(struct conn *conn);
/* Close the client if it stopped reading while replies pile up. */
void conn_check_queue(struct conn *conn);
/* Close with a logged reason (NULL: normal close) and tell the embedder
 * if it knew the client. Idempotent. The server frees it later. */
void conn_close(struct conn *conn, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Mark closed without telling anyone (a refused handshake): the stream's
 * own close frees the client once the last reply is out. */
void conn_linger(struct conn *conn);
/* True if the client's input is to be ignored: the server is view-only
 * or the client came with the view token. */
bool conn_view_only(const struct conn *conn);
/* True once the handshake is done, until closed. */
bool conn_is_normal(const struct conn *conn);

#endif
