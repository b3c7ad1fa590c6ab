/* SPDX-License-Identifier: MIT */
/*
 * One connected viewer, composed of its concerns: the connection
 * (conn.h), the handshake (handshake.h), update scheduling (sched.h),
 * flow control (flow.h) and the clipboard (clipboard.h). client.c
 * dispatches the messages of a connection that finished its handshake to
 * them. Clients die in two phases: conn_close() marks, unlinks from
 * I/O and tells the embedder; the server frees the struct in its next
 * pass, when nothing is on the stack that refers to it.
 */
#ifndef XRFB_CLIENT_H
#define XRFB_CLIENT_H

#include <stdbool.h>

#include "clipboard.h"
#include "conn.h"
#include "flow.h"
#include "handshake.h"
#include "rfb-parse.h"
#include "sched.h"
#include "xrfb.h"

/* Messages handled in one pass over a client's input; the rest waits
 * for the next loop iteration, so one client cannot hold the loop. */
#define CLIENT_MSGS_PER_PASS 256

struct xrfb_client {
	struct conn conn;
	struct xrfb_client *prev, *next;	/* the server's list */
	struct handshake hs;
	struct rfb_parse_opts parse;
	struct sched sched;
	struct flow flow;
	struct clip_client clip;
	/* Pointer motion not yet injected: consecutive events with the
	 * same buttons collapse to the latest position. */
	bool pointer_pending;
	uint16_t pointer_x, pointer_y;
	uint32_t pointer_buttons;
	uint32_t pointer_injected;	/* the buttons last injected */
	/* Input left unparsed by a pass that reached its message limit. */
	struct xrfb_timer *more_timer;
	/* Bytes of a cut text over the limit still to be skipped. */
	uint64_t skip_left;
	/* Told when the struct is freed: reverse connections and adopted
	 * sockets (see server_release_client()). */
	void (*release_fn)(void *arg, struct xrfb_client *c);
	void *release_arg;
	void *user_data;		/* xrfb_client_set_data() */
};

/* Take over a connected socket and start the handshake. */
struct xrfb_client *client_new(struct xrfb_server *s, int fd,
			       const char *peer);
/* The same on a stream that is already set up (it is taken over);
 * @view_token: it came in with the view token (no password, no input). */
struct xrfb_client *client_new_stream(struct xrfb_server *s,
				      struct stream *st, const char *peer,
				      bool view_token);
/* Free a closed client (server only). */
void client_free(struct xrfb_client *c);

#endif
