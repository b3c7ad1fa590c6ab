/* SPDX-License-Identifier: MIT */
/*
 * reverse: connections the server makes itself, to a viewer listening
 * for them ("vncviewer -listen") or to an UltraVNC repeater in mode II,
 * which pairs us with a viewer that gives the same ID (doc/protocol.md,
 * "Reverse connections and repeaters"). Once connected, the socket is an
 * ordinary client: the server still speaks first, with the same security
 * types as for listening. This file owns the attempts, the repeater's ID
 * block and the retry timer with its capped, doubling backoff; it learns
 * that a connection ended when the server frees its client.
 *
 * Every outcome reaches the owner's callback from the loop, last thing in
 * each handler, so the callback may free the reverse connection.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "dial.h"
#include "log.h"
#include "reverse.h"
#include "server.h"

struct xrfb_reverse {
	struct xrfb_server *server;
	struct xrfb_reverse *prev, *next;
	char *host;
	uint16_t port;
	char name[96];		/* "host:port" for logs */
	char *repeater_id;	/* NULL: direct */
	uint8_t block[REVERSE_REPEATER_BLOCK];
	unsigned retry_max_ms;	/* 0: one attempt */
	unsigned delay_ms;	/* the next wait before a retry */
	bool server_owned;	/* xrfb_server_connect(): freed when done */
	xrfb_reverse_fn fn;
	void *arg;
	struct dial *dial;
	struct xrfb_timer *timer;
	struct xrfb_client *client;
};

int reverse_repeater_block(const char *id,
			   uint8_t block[REVERSE_REPEATER_BLOCK])
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > REVERSE_REPEATER_ID_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (id[i] <= ' ' || id[i] > '~')
			return -EINVAL;
	memset(block, 0, REVERSE_REPEATER_BLOCK);
	memcpy(block, "ID:", 3);
	memcpy(block + 3, id, n);
	return 0;
}

static const char *reverse_strerror(int err)
{
	return err == -ENXIO ? "host name not found" : strerror(-err);
}

static const char *kind(const struct xrfb_reverse *r)
{
	return r->repeater_id ? "repeater" : "viewer";
}

static void notify(struct xrfb_reverse *r, enum xrfb_reverse_event ev,
		   int err)
{
	if (r->fn)
		r->fn(r->arg, r, ev, err);
}

static void start_attempt(struct xrfb_reverse *r);

static void on_retry_timer(void *arg)
{
	struct xrfb_reverse *r = arg;

	r->timer = NULL;
	start_attempt(r);
}

/* Plan the next attempt after the current wait and double the wait.
 * Returns that wait in ms, or 0 for a single-attempt connection, which
 * is now done. */
static unsigned plan_retry(struct xrfb_reverse *r)
{
	unsigned delay = r->delay_ms;

	if (!r->retry_max_ms)
		return 0;
	r->timer = xrfb_loop_add_timer(r->server->loop, delay,
				       on_retry_timer, r);
	r->delay_ms = delay >= r->retry_max_ms / 2 ? r->retry_max_ms
						   : delay * 2;
	return delay;
}

/* A single attempt is over: report @ev, then one that the server made
 * on its own account frees itself. The callback may have freed @r (a
 * handle of the embedder's, never the server's own): nothing of it is
 * read after the report. */
static void report_last(struct xrfb_reverse *r, unsigned retry_ms,
			enum xrfb_reverse_event ev, int err)
{
	bool free_it = !retry_ms && r->server_owned;

	notify(r, ev, err);
	if (free_it)
		xrfb_reverse_free(r);
}

static void on_client_released(void *arg, struct xrfb_client *c)
{
	struct xrfb_reverse *r = arg;
	unsigned retry_ms;

	r->client = NULL;
	/* A session that got past the handshake ended normally: start
	 * over from the shortest wait. */
	if (c->conn.ready)
		r->delay_ms = REVERSE_RETRY_MIN_MS;
	retry_ms = plan_retry(r);
	if (retry_ms)
		log_info("%s %s: connection ended; connecting again in %u s",
			 kind(r), r->name, retry_ms / 1000);
	report_last(r, retry_ms, XRFB_REVERSE_CLOSED, 0);
}

static int send_repeater_block(struct xrfb_reverse *r, int fd)
{
	ssize_t n;

	/* A fresh socket takes 250 bytes at once: one write, before the
	 * client's greeting, as repeaters expect. */
	n = send(fd, r->block, sizeof(r->block), MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(r->block))
		return 0;
	return n < 0 ? -errno : -EIO;
}

static void on_dialled(void *arg, int fd, int err)
{
	struct xrfb_reverse *r = arg;
	char peer[sizeof(r->name) + 16];
	unsigned retry_ms;

	r->dial = NULL;
	if (fd >= 0 && r->repeater_id)
		err = send_repeater_block(r, fd);
	if (fd >= 0 && !err) {
		snprintf(peer, sizeof(peer), "%s%s", r->name,
			 r->repeater_id ? " (repeater)" : " (reverse)");
		r->client = client_new(r->server, fd, peer);
		if (r->client) {
			/* A repeater holds us until a viewer comes. */
			r->client->conn.handshake_untimed = r->repeater_id != NULL;
			r->client->release_fn = on_client_released;
			r->client->release_arg = r;
			if (r->repeater_id)
				log_info("repeater %s: connected, waiting "
					 "for a viewer with ID %s", r->name,
					 r->repeater_id);
			notify(r, XRFB_REVERSE_CONNECTED, 0);
			return;
		}
		err = -ENOMEM;
	}
	if (fd >= 0)
		close(fd);
	retry_ms = plan_retry(r);
	if (retry_ms)
		log_warn("cannot connect to %s %s: %s; trying again in %u s",
			 kind(r), r->name, reverse_strerror(err),
			 retry_ms / 1000);
	else
		log_warn("cannot connect to %s %s: %s", kind(r), r->name,
			 reverse_strerror(err));
	report_last(r, retry_ms, XRFB_REVERSE_FAILED, err);
}

/* Server teardown: pending attempts stop; clients already connected are
 * left to the server. */
static void free_all(struct xrfb_server *s)
{
	while (s->reverses)
		xrfb_reverse_free(s->reverses);
}

static void start_attempt(struct xrfb_reverse *r)
{
	log_debug("%s: connecting to %s", __func__, r->name);
	r->dial = dial_start(r->server->loop, r->host, r->port, on_dialled, r);
	if (!r->dial)
		on_dialled(r, -1, -ENOMEM);
}

struct xrfb_reverse *xrfb_server_reverse(struct xrfb_server *s,
					 const char *host, uint16_t port,
					 const char *repeater_id)
{
	struct xrfb_reverse *r;

	if (!host || !*host) {
		errno = EINVAL;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		goto err_nomem;
	if (repeater_id && reverse_repeater_block(repeater_id, r->block) < 0) {
		free(r);
		errno = EINVAL;
		return NULL;
	}
	r->server = s;
	r->host = strdup(host);
	r->repeater_id = repeater_id ? strdup(repeater_id) : NULL;
	if (!r->host || (repeater_id && !r->repeater_id))
		goto err_free;
	r->port = port ? port : REVERSE_DEFAULT_PORT;
	snprintf(r->name, sizeof(r->name),
		 strchr(r->host, ':') ? "[%s]:%u" : "%s:%u", r->host,
		 (unsigned)r->port);
	r->delay_ms = REVERSE_RETRY_MIN_MS;
	/* The first attempt starts from the loop too. */
	r->timer = xrfb_loop_add_timer(s->loop, 0, on_retry_timer, r);
	if (!r->timer)
		goto err_free;
	s->free_reverses = free_all;
	r->next = s->reverses;
	if (s->reverses)
		s->reverses->prev = r;
	s->reverses = r;
	return r;

err_free:
	free(r->repeater_id);
	free(r->host);
	free(r);
err_nomem:
	errno = ENOMEM;
	return NULL;
}

void xrfb_reverse_set_retry(struct xrfb_reverse *r, unsigned max_ms)
{
	r->retry_max_ms = max_ms && max_ms < REVERSE_RETRY_MIN_MS
				  ? REVERSE_RETRY_MIN_MS : max_ms;
}

void xrfb_reverse_on_event(struct xrfb_reverse *r, xrfb_reverse_fn fn,
			   void *arg)
{
	r->fn = fn;
	r->arg = arg;
}

void xrfb_reverse_free(struct xrfb_reverse *r)
{
	struct xrfb_server *s;

	if (!r)
		return;
	s = r->server;
	if (r->prev)
		r->prev->next = r->next;
	else
		s->reverses = r->next;
	if (r->next)
		r->next->prev = r->prev;
	dial_cancel(r->dial);
	xrfb_timer_cancel(r->timer);
	if (r->client) {
		r->client->release_fn = NULL;
		r->client->release_arg = NULL;
	}
	free(r->repeater_id);
	free(r->host);
	free(r);
}

struct xrfb_client *xrfb_reverse_client(const struct xrfb_reverse *r)
{
	return r->client;
}


int xrfb_server_connect(struct xrfb_server *s, const char *host,
			uint16_t port)
{
	struct xrfb_reverse *r = xrfb_server_reverse(s, host, port, NULL);

	if (!r)
		return -errno;
	r->server_owned = true;
	return 0;
}
