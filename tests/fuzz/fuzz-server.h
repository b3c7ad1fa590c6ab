/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets that drive a whole server share: a real server
 * with one viewer on a socketpair (client_new() on the server's end), the
 * viewer's end drained by the loop, the loop run until the server has
 * settled (all input read, or the connection closed), and a bound on loop
 * passes that turns a spin into a crash. Each target defines FUZZ_NAME.
 */
#ifndef XRFB_FUZZ_SERVER_H
#define XRFB_FUZZ_SERVER_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "account.h"
#include "client.h"
#include "server.h"
#include "stream.h"

/* Far more loop passes than any input can need: more means a spin. */
#define FUZZ_MAX_PASSES 100000

struct harness {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	int fd;			/* the viewer's end */
	struct xrfb_watch *w;
	unsigned long passes;
	bool final;		/* input finished: wait for the close */
};

static void die(const char *what)
{
	fprintf(stderr, FUZZ_NAME ": %s\n", what);
	abort();
}

/* The viewer's end reads and drops whatever the server says. */
static void on_viewer(void *arg, int fd, uint32_t events)
{
	struct harness *h = arg;
	uint8_t buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		xrfb_watch_free(h->w);
		h->w = NULL;
	}
}

static bool settled(struct harness *h)
{
	struct xrfb_client *c = h->s->clients;
	int n = 0;

	if (!c)
		return true;
	if (h->final)
		/* Closed for good, except a refusal whose answer is
		 * deliberately delayed (it is freed with the server). */
		return c->conn.closed && c->conn.linger && c->hs.fail_timer;
	if (c->conn.closed)
		return true;
	/* A user name and password being checked (on a thread). */
	if (account_busy(h->s))
		return false;
	if (ioctl(stream_fd(c->conn.stream), FIONREAD, &n) < 0)
		die("FIONREAD");
	return n == 0 && !h->s->kick;
}

static void on_prepare(void *arg)
{
	struct harness *h = arg;

	if (++h->passes > FUZZ_MAX_PASSES)
		die("the loop does not settle");
	if (settled(h))
		xrfb_loop_stop(h->loop, 0);
}

static void run(struct harness *h)
{
	xrfb_loop_run(h->loop);
}

/* Write @len bytes, letting the server read whenever the socket is full. */
static void feed(struct harness *h, const uint8_t *d, size_t len)
{
	while (len) {
		ssize_t n = write(h->fd, d, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return;	/* the server closed */
			if (!h->s->clients || h->s->clients->conn.closed)
				return;
			run(h);
			continue;
		}
		d += n;
		len -= (size_t)n;
	}
}

#endif
