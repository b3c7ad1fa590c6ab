/* SPDX-License-Identifier: MIT */
/*
 * notify: the service manager's notification protocol without libsystemd.
 * $NOTIFY_SOCKET names a Unix datagram socket, by path or, starting with
 * '@', in the abstract namespace; each notification is one datagram of
 * newline-separated VAR=value assignments (sd_notify(3)).
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len;

void notify_init(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	size_t n;

	notify_len = 0;
	if (!path || !*path)
		return;
	n = strlen(path);
	if ((path[0] != '/' && path[0] != '@') ||
	    n >= sizeof(notify_addr.sun_path)) {
		log_warn("NOTIFY_SOCKET is not a socket path; ignored");
	} else {
		memset(&notify_addr, 0, sizeof(notify_addr));
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, n);
		if (path[0] == '@')
			notify_addr.sun_path[0] = '\0';
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
					 n + (path[0] == '/'));
	}
	unsetenv("NOTIFY_SOCKET");
}

int notify_send(const char *state)
{
	ssize_t n;
	int fd, err = 0;

	if (!notify_len)
		return 0;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (const struct sockaddr *)&notify_addr, notify_len);
	if (n < 0) {
		err = -errno;
		log_warn("cannot notify the service manager: %s",
			 strerror(errno));
	}
	close(fd);
	return err;
}
