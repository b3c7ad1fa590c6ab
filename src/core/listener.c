/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets. Accepts every pending connection per readiness event
 * and backs off for a second when out of file descriptors (as tmux does),
 * so a flood of connections cannot spin the loop.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "listener.h"
#include "log.h"

struct listener {
	struct xrfb_loop *loop;
	int fd;
	struct xrfb_watch *watch;
	struct xrfb_timer *backoff;
	listener_accept_fn fn;
	void *arg;
	uint16_t port;
	char name[80];
};

void sockaddr_format(const struct sockaddr *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, size, "%s:%u", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, size, "[%s]:%u", host, port);
	} else {
		snprintf(out, size, "unix");
	}
}

static void on_backoff_end(void *arg)
{
	struct listener *l = arg;

	l->backoff = NULL;
	xrfb_watch_set_events(l->watch, XRFB_EV_IN);
}

static void on_accept(void *arg, int fd, uint32_t events)
{
	struct listener *l = arg;

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len,
				  SOCK_NONBLOCK | SOCK_CLOEXEC);
		int one = 1;

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				log_ratelimited(XRFB_LOG_WARN, 10,
						"out of file descriptors, not accepting for 1s");
				xrfb_watch_set_events(l->watch, 0);
				l->backoff = xrfb_loop_add_timer(
					l->loop, 1000, on_backoff_end, l);
			} else if (errno != EAGAIN && errno != EINTR &&
				   errno != ECONNABORTED) {
				log_warn("accept: %s", strerror(errno));
			}
			return;
		}
		setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		l->fn(l->arg, cfd, (struct sockaddr *)&ss, len);
	}
}

struct listener *listener_new(struct xrfb_loop *loop, const char *addr,
			      uint16_t port, listener_accept_fn fn, void *arg,
			      int *err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct listener *l;
	char portstr[8];
	int fd = -1, one = 1, rc;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	rc = getaddrinfo(addr ? addr : "127.0.0.1", portstr, &hints, &res);
	if (rc != 0) {
		*err = -EADDRNOTAVAIL;
		return NULL;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		goto err_errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0)
		goto err_errno;
	freeaddrinfo(res);
	res = NULL;

	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->fd = fd;
	l->fn = fn;
	l->arg = arg;
	sockaddr_format((struct sockaddr *)&ss, l->name, sizeof(l->name));
	l->port = ntohs(ss.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&ss)->sin6_port
				: ((struct sockaddr_in *)&ss)->sin_port);
	l->watch = xrfb_loop_watch_fd(loop, fd, XRFB_EV_IN, on_accept, l);
	if (!l->watch) {
		*err = -ENOMEM;
		close(fd);
		free(l);
		return NULL;
	}
	return l;

err_errno:
	*err = -errno;
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	return NULL;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	xrfb_timer_cancel(l->backoff);
	xrfb_watch_free(l->watch);
	close(l->fd);
	free(l);
}

uint16_t listener_port(const struct listener *l)
{
	return l->port;
}

const char *listener_name(const struct listener *l)
{
	return l->name;
}

int tcp_connect(const char *host, uint16_t port, int *out)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	char portstr[8];
	int fd = -1, err = -EHOSTUNREACH, one = 1;

	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0)
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
			    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 ||
		    errno == EINPROGRESS)
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	*out = fd;
	return 0;
}
