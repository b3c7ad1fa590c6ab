/* SPDX-License-Identifier: MIT */
/* Listeners (TCP, Unix, adopted), accepting non-blocking sockets. */
#ifndef XRFB_LISTENER_H
#define XRFB_LISTENER_H

#include <stdint.h>
#include <sys/socket.h>

#include "xrfb.h"

struct listener;

/* A new connection: @fd is non-blocking and close-on-exec; the callee owns it. */
typedef void (*listener_accept_fn)(void *arg, int fd,
				   const struct sockaddr *peer,
				   socklen_t peer_len);

/* Bind and listen on @addr:@port (addr NULL = 127.0.0.1 and ::1 are
 * separate listeners: call once per address). -errno on failure, with
 * *why set to a printable reason. */
struct listener *listener_new(struct xrfb_loop *loop, const char *addr,
			      uint16_t port, listener_accept_fn fn, void *arg,
			      int *err);
/* Listen on a Unix socket at @path with permissions @mode; a stale socket
 * file is replaced, a live one is -EADDRINUSE, anything else -EEXIST. The
 * file is removed by listener_free(). */
struct listener *listener_new_unix(struct xrfb_loop *loop, const char *path,
				   unsigned mode, listener_accept_fn fn,
				   void *arg, int *err);
/* Accept on @fd, a listening stream socket from elsewhere (consumed, also
 * on failure): -ENOTSOCK, or -EINVAL if it is not listening. */
struct listener *listener_adopt(struct xrfb_loop *loop, int fd,
				listener_accept_fn fn, void *arg, int *err);
void listener_free(struct listener *l);
uint16_t listener_port(const struct listener *l);
/* "ADDR:PORT" as bound ("[::1]:5900" for IPv6, "unix:PATH"). */
const char *listener_name(const struct listener *l);

/* Format a socket address as "ADDR:PORT" (or "unix:PATH") into @out. */
void sockaddr_format(const struct sockaddr *sa, char *out, size_t size);

#endif
