/* SPDX-License-Identifier: MIT */
/*
 * dial: connect out without blocking the loop. getaddrinfo() may take
 * seconds (DNS), so a name that is not a literal address is resolved on
 * a detached thread that reports through an eventfd the loop watches;
 * the lookup is reference counted, so a dial cancelled meanwhile only
 * drops its reference and the thread frees what it finds. Then each
 * address is tried in turn with a non-blocking connect(), bounded by a
 * timeout, until one answers. The callback always runs from the loop,
 * never from inside dial_start().
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "dial.h"
#include "log.h"

/* How long one address may take to answer before the next is tried. */
#define DIAL_CONNECT_TIMEOUT_MS 15000

/* Shared by the loop and the resolver thread. */
struct dial_lookup {
	atomic_uint refs;
	int efd;
	char *host;
	char port[8];
	struct addrinfo *res;
	int gai_err;
};

struct dial {
	struct xrfb_loop *loop;
	dial_done_fn fn;
	void *arg;
	char *host;
	uint16_t port;
	struct dial_lookup *lookup;
	struct xrfb_watch *watch;
	struct xrfb_timer *timer;
	struct addrinfo *res, *next;
	int fd;
	int err;		/* of the last address tried */
};

static void lookup_unref(struct dial_lookup *l)
{
	if (atomic_fetch_sub(&l->refs, 1) != 1)
		return;
	if (l->res)
		freeaddrinfo(l->res);
	close(l->efd);
	free(l->host);
	free(l);
}

static void *lookup_thread(void *arg)
{
	struct dial_lookup *l = arg;
	struct addrinfo hints = { 0 };
	uint64_t one = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	l->gai_err = getaddrinfo(l->host, l->port, &hints, &l->res);
	if (write(l->efd, &one, sizeof(one)) < 0)
		log_error("resolver: cannot report to the loop: %s",
			  strerror(errno));
	lookup_unref(l);
	return NULL;
}

static int gai_errno(int gai_err)
{
	switch (gai_err) {
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_MEMORY:
		return -ENOMEM;
	case EAI_SYSTEM:
		return errno ? -errno : -EIO;
	default:
		/* EAI_NONAME, EAI_NODATA, EAI_FAIL, ...: see dial_strerror */
		return -ENXIO;
	}
}

static void finish(struct dial *d, int fd, int err)
{
	dial_done_fn fn = d->fn;
	void *arg = d->arg;

	d->fd = -1;
	dial_cancel(d);
	fn(arg, fd, err);
}

static void try_next(struct dial *d);

static void on_connect_result(struct dial *d, int err)
{
	int fd = d->fd, one = 1;

	xrfb_watch_free(d->watch);
	d->watch = NULL;
	xrfb_timer_cancel(d->timer);
	d->timer = NULL;
	if (err == 0) {
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		finish(d, fd, 0);
		return;
	}
	close(fd);
	d->fd = -1;
	d->err = err;
	try_next(d);
}

static void on_writable(void *arg, int fd, uint32_t events)
{
	struct dial *d = arg;
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	on_connect_result(d, soerr ? -soerr : 0);
}

static void on_connect_timeout(void *arg)
{
	struct dial *d = arg;

	d->timer = NULL;
	on_connect_result(d, -ETIMEDOUT);
}

static void on_no_address_left(void *arg)
{
	struct dial *d = arg;

	d->timer = NULL;
	finish(d, -1, d->err);
}

/* Start connecting to the next address; when none is left, report the
 * last error (from a timer: this may run inside dial_start()). */
static void try_next(struct dial *d)
{
	while (d->next) {
		struct addrinfo *ai = d->next;
		int fd;

		d->next = ai->ai_next;
		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			d->err = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
		    errno != EINPROGRESS) {
			d->err = -errno;
			close(fd);
			continue;
		}
		/* Connected or in progress: writable either way. */
		d->fd = fd;
		d->watch = xrfb_loop_watch_fd(d->loop, fd, XRFB_EV_OUT,
					      on_writable, d);
		d->timer = xrfb_loop_add_timer(d->loop,
					       DIAL_CONNECT_TIMEOUT_MS,
					       on_connect_timeout, d);
		if (d->watch && d->timer)
			return;
		d->err = -ENOMEM;
		xrfb_watch_free(d->watch);
		d->watch = NULL;
		xrfb_timer_cancel(d->timer);
		d->timer = NULL;
		close(fd);
		d->fd = -1;
	}
	d->timer = xrfb_loop_add_timer(d->loop, 0, on_no_address_left, d);
}

static void on_resolved(void *arg, int fd, uint32_t events)
{
	struct dial *d = arg;
	struct dial_lookup *l = d->lookup;
	uint64_t n;

	if (read(fd, &n, sizeof(n)) < 0 && errno == EAGAIN)
		return;
	xrfb_watch_free(d->watch);
	d->watch = NULL;
	d->lookup = NULL;
	if (l->gai_err) {
		log_debug("%s: %s: %s", __func__, l->host,
			  gai_strerror(l->gai_err));
		d->err = gai_errno(l->gai_err);
	} else {
		d->res = l->res;
		l->res = NULL;
		d->next = d->res;
	}
	lookup_unref(l);
	try_next(d);
}

/* Resolve @d->host on a thread; the result arrives in on_resolved(). */
static int start_lookup(struct dial *d)
{
	struct dial_lookup *l = calloc(1, sizeof(*l));
	pthread_attr_t attr;
	pthread_t tid;
	int err;

	if (!l)
		return -ENOMEM;
	l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	l->host = strdup(d->host);
	snprintf(l->port, sizeof(l->port), "%u", d->port);
	if (l->efd < 0 || !l->host) {
		err = l->efd < 0 ? -errno : -ENOMEM;
		goto err_free;
	}
	d->watch = xrfb_loop_watch_fd(d->loop, l->efd, XRFB_EV_IN,
				      on_resolved, d);
	if (!d->watch) {
		err = -ENOMEM;
		goto err_free;
	}
	atomic_init(&l->refs, 2);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = -pthread_create(&tid, &attr, lookup_thread, l);
	pthread_attr_destroy(&attr);
	if (err < 0)
		goto err_unwatch;
	d->lookup = l;
	return 0;

err_unwatch:
	xrfb_watch_free(d->watch);
	d->watch = NULL;
err_free:
	if (l->efd >= 0)
		close(l->efd);
	free(l->host);
	free(l);
	return err;
}

struct dial *dial_start(struct xrfb_loop *loop, const char *host,
			uint16_t port, dial_done_fn fn, void *arg)
{
	struct addrinfo hints = { 0 };
	struct dial *d = calloc(1, sizeof(*d));
	char portstr[8];

	if (!d)
		return NULL;
	d->loop = loop;
	d->fn = fn;
	d->arg = arg;
	d->fd = -1;
	d->err = -EHOSTUNREACH;
	d->port = port;
	d->host = strdup(host);
	if (!d->host)
		goto err_free;
	/* A literal address needs no thread. */
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &d->res) == 0) {
		d->next = d->res;
		try_next(d);
		return d;
	}
	d->res = NULL;
	if (start_lookup(d) < 0)
		goto err_free;
	return d;

err_free:
	free(d->host);
	free(d);
	return NULL;
}

void dial_cancel(struct dial *d)
{
	if (!d)
		return;
	xrfb_watch_free(d->watch);
	xrfb_timer_cancel(d->timer);
	if (d->lookup)
		lookup_unref(d->lookup);
	if (d->fd >= 0)
		close(d->fd);
	if (d->res)
		freeaddrinfo(d->res);
	free(d->host);
	free(d);
}
