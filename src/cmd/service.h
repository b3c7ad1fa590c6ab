/* SPDX-License-Identifier: MIT */
/*
 * Running under a service manager: sockets passed by systemd (socket
 * activation) and inetd's one connection on standard input.
 */
#ifndef XRFB_SERVICE_H
#define XRFB_SERVICE_H

#include <stdbool.h>

/* The first fd systemd passes (SD_LISTEN_FDS_START). */
#define SERVICE_LISTEN_FDS_START 3

/* How many sockets systemd passed this process (fds 3, 4, ...), 0 if none;
 * the variables are removed so children do not see them. */
int service_listen_fds(void);
/* True if @fd is a Unix socket or is bound to a loopback address. */
bool service_fd_is_local(int fd);
/* Describe a passed socket's address ("127.0.0.1:5900", "unix:PATH")
 * into @out. */
void service_fd_name(int fd, char *out, size_t size);
/* inetd: take the connection on standard input, returning a new fd for
 * it, and point fds 0 and 1 (and 2 if it is the same connection) at
 * /dev/null, so nothing printed can reach the viewer. -errno if standard
 * input is not a socket. */
int service_take_stdin(void);

#endif
