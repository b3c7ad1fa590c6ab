/* SPDX-License-Identifier: MIT */
/*
 * The shared part of one connection: sending, closing, and the queue
 * limit. Closing marks and unlinks from I/O only; the server frees the
 * client in its next pass, when nothing on the stack refers to it.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "server-state.h"
#include "conn.h"
#include "stream.h"

void conn_init(struct conn *conn, struct xrfb_server *s,
	       struct xrfb_client *c, struct stream *st, const char *peer)
{
	memset(conn, 0, sizeof(*conn));
	conn->server = s;
	conn->client = c;
	conn->id = ++s->next_client_id;
	snprintf(conn->peer, sizeof(conn->peer), "%s", peer);
	conn->stream = st;
	conn->next = s->conns;
	if (s->conns)
		s->conns->prev = conn;
	s->conns = conn;
}

void conn_fini(struct conn *conn)
{
	struct xrfb_server *s = conn->server;

	if (conn->prev)
		conn->prev->next = conn->next;
	else
		s->conns = conn->next;
	if (conn->next)
		conn->next->prev = conn->prev;
	conn->prev = conn->next = NULL;
	stream_free(conn->stream);
	conn->stream = NULL;
}

bool conn_has_room(const struct conn *conn)
{
	size_t mine = stream_queued(conn->stream), total = 0;

	if (mine == 0)
		return true;
	if (mine >= CONN_SEND_BUDGET)
		return false;
	for (const struct conn *o = conn->server->conns; o; o = o->next)
		total += stream_queued(o->stream);
	return total < CONN_QUEUE_TOTAL;
}

int conn_send(struct conn *conn, const void *data, size_t len)
{
	if (conn->closed)
		return -EPIPE;
	return stream_send_copy(conn->stream, data, len);
}

void conn_flush(struct conn *conn)
{
	if (!conn->closed)
		stream_flush(conn->stream);
}

void conn_check_queue(struct conn *conn)
{
	if (!conn->closed && stream_queued(conn->stream) > CONN_QUEUE_HARD_MAX)
		conn_close(conn, "not reading: %zu bytes queued",
			      stream_queued(conn->stream));
}

void conn_close(struct conn *conn, const char *fmt, ...)
{
	struct xrfb_server *s = conn->server;
	char msg[256];
	va_list ap;

	if (conn->closed)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_info("client %u (%s): closing: %s", conn->id, conn->peer,
			 msg);
	} else {
		log_info("client %u (%s): disconnected", conn->id, conn->peer);
	}
	if (conn->ready) {
		s->nclients_ready--;
		if (s->cb.client_gone)
			s->cb.client_gone(s->cb.client_gone_arg, conn->client);
	}
	conn->closed = true;
	stream_pause_read(conn->stream, true);
	s->have_dead = true;
	server_state_kick(s);
}

void conn_linger(struct conn *conn)
{
	conn->closed = true;
	conn->linger = true;
}

bool conn_view_only(const struct conn *conn)
{
	return conn->server->view_only || conn->view_only ||
	       conn->view_token;
}

bool conn_is_normal(const struct conn *conn)
{
	return conn->ready && !conn->closed;
}
