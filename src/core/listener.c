/* SPDX-License-Identifier: MIT */
/*
 * Listening sockets: TCP on IPv4/IPv6, Unix sockets with file permissions,
 * and sockets made by someone else (systemd socket activation). Accepts
 * every pending connection per readiness event and backs off for a second
 * when out of file descriptors (as tmux does), so a flood of connections
 * cannot spin the loop.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
	/* A Unix socket we created: removed on free if it is still ours. */
	char *path;
	dev_t dev;
	ino_t ino;
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
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)sa;
		snprintf(out, size, "unix:%s",
			 un->sun_path[0] ? un->sun_path : "");
	} else {
		snprintf(out, size, "family %u", (unsigned)sa->sa_family);
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
		if (ss.ss_family == AF_UNIX) {
			/* Unix clients are unnamed: name them by the
			 * socket they came through. */
			len = sizeof(ss);
			getsockname(fd, (struct sockaddr *)&ss, &len);
		} else {
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
				   sizeof(one));
		}
		l->fn(l->arg, cfd, (struct sockaddr *)&ss, len);
	}
}

/* The listener around a bound, listening, non-blocking socket @fd
 * (consumed, also on failure). */
static struct listener *listener_wrap(struct xrfb_loop *loop, int fd,
				      listener_accept_fn fn, void *arg,
				      int *err)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	struct listener *l;

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) < 0) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->fd = fd;
	l->fn = fn;
	l->arg = arg;
	sockaddr_format((struct sockaddr *)&ss, l->name, sizeof(l->name));
	if (ss.ss_family == AF_INET6)
		l->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	else if (ss.ss_family == AF_INET)
		l->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	l->watch = xrfb_loop_watch_fd(loop, fd, XRFB_EV_IN, on_accept, l);
	if (!l->watch) {
		*err = -ENOMEM;
		close(fd);
		free(l);
		return NULL;
	}
	return l;
}

struct listener *listener_new(struct xrfb_loop *loop, const char *addr,
			      uint16_t port, listener_accept_fn fn, void *arg,
			      int *err)
{
	struct addrinfo hints = { 0 }, *res = NULL;
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
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 64) < 0)
		goto err_errno;
	freeaddrinfo(res);
	return listener_wrap(loop, fd, fn, arg, err);

err_errno:
	*err = -errno;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	return NULL;
}

/* Is a server listening on the Unix socket @sun? A socket file nobody
 * listens on (left by a process that died) refuses connections. */
static int unix_socket_live(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	r = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	r = r == 0 ? 1 : errno == ECONNREFUSED ? 0 : -errno;
	close(fd);
	return r;
}

struct listener *listener_new_unix(struct xrfb_loop *loop, const char *path,
				   unsigned mode, listener_accept_fn fn,
				   void *arg, int *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct listener *l;
	struct stat st;
	mode_t old_mask;
	int fd, r;

	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		*err = *path ? -ENAMETOOLONG : -EINVAL;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			*err = -EEXIST;
			return NULL;
		}
		r = unix_socket_live(&sun);
		if (r != 0) {
			*err = r > 0 ? -EADDRINUSE : r;
			return NULL;
		}
		log_info("replacing the stale socket %s", path);
		if (unlink(path) < 0 && errno != ENOENT) {
			*err = -errno;
			return NULL;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = -errno;
		return NULL;
	}
	/* The file is born with the umask's permissions: make them no
	 * wider than @mode from the start, then set @mode exactly. */
	old_mask = umask(~mode & 0777);
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_mask);
	if (r < 0)
		goto err_errno;
	if (chmod(path, mode & 07777) < 0 || listen(fd, 64) < 0 ||
	    stat(path, &st) < 0)
		goto err_unlink;
	l = listener_wrap(loop, fd, fn, arg, err);
	if (!l) {
		unlink(path);
		return NULL;
	}
	l->path = xstrdup(path);
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	snprintf(l->name, sizeof(l->name), "unix:%s", path);
	return l;

err_unlink:
	*err = -errno;
	unlink(path);
	close(fd);
	return NULL;
err_errno:
	*err = -errno;
	close(fd);
	return NULL;
}

struct listener *listener_adopt(struct xrfb_loop *loop, int fd,
				listener_accept_fn fn, void *arg, int *err)
{
	int type = 0, listening = 0, flags;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) {
		*err = errno == ENOTSOCK ? -ENOTSOCK : -errno;
		goto err_close;
	}
	len = sizeof(listening);
	if (type != SOCK_STREAM ||
	    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    !listening) {
		*err = -EINVAL;
		goto err_close;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
		*err = -errno;
		goto err_close;
	}
	return listener_wrap(loop, fd, fn, arg, err);

err_close:
	close(fd);
	return NULL;
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	xrfb_timer_cancel(l->backoff);
	xrfb_watch_free(l->watch);
	close(l->fd);
	if (l->path) {
		struct stat st;

		/* Only our own file: another server may have replaced it. */
		if (stat(l->path, &st) == 0 && st.st_dev == l->dev &&
		    st.st_ino == l->ino)
			unlink(l->path);
		free(l->path);
	}
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
