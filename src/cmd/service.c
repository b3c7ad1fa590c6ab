/* SPDX-License-Identifier: MIT */
/*
 * service: the sockets a service manager hands the program. systemd
 * socket activation passes listening sockets as fds 3.. with LISTEN_FDS
 * and LISTEN_PID; inetd (or systemd with Accept=yes) passes one
 * connection as standard input and output. With libsystemd its
 * sd_listen_fds() is used; without it the same protocol is read here: it
 * is small and documented by systemd (sd_listen_fds(3)). Readiness is
 * notify.c's.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "options.h"
#include "service.h"

#ifdef HAVE_SYSTEMD
int service_listen_fds(void)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		log_warn("socket activation: %s", strerror(-n));
		return 0;
	}
	return n;
}
#else
int service_listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long n;

	if (!pid || !fds)
		return 0;
	/* Meant for us, and only us: a child that inherited the variables
	 * from a parent that was activated must not take the fds. */
	n = strtol(pid, &end, 10);
	if (*end || n != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	if (*end || n <= 0 || n > 256)
		return 0;
	for (int fd = SERVICE_LISTEN_FDS_START;
	     fd < SERVICE_LISTEN_FDS_START + n; fd++)
		if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
			log_warn("socket activation: fd %d: %s", fd,
				 strerror(errno));
			return 0;
		}
	return (int)n;
}
#endif

bool service_fd_is_local(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	return ss.ss_family == AF_UNIX ||
	       options_addr_is_loopback((struct sockaddr *)&ss);
}

void service_fd_name(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN] = "?";

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(out, size, "fd %d", fd);
		return;
	}
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)&ss;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(out, size, "%s:%u", host, ntohs(in->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)&ss;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(out, size, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		const struct sockaddr_un *un = (const void *)&ss;

		snprintf(out, size, "unix:%s",
			 un->sun_path[0] ? un->sun_path : "(abstract)");
	} else {
		snprintf(out, size, "fd %d", fd);
	}
}

/* Point @fd at /dev/null. */
static void to_dev_null(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null < 0)
		return;
	if (null != fd) {
		dup2(null, fd);
		close(null);
	}
}

static bool same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int service_take_stdin(void)
{
	struct stat st;
	int fd;

	if (fstat(0, &st) < 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	if (same_file(2, fd))
		to_dev_null(2);
	if (same_file(1, fd))
		to_dev_null(1);
	to_dev_null(0);
	return fd;
}
