/* SPDX-License-Identifier: MIT */
/*
 * xvfb: a private virtual X server. Xvfb picks a free display itself and
 * tells its number through -displayfd once it accepts connections, so
 * there is no race with other servers and no guessing of lock files.
 *
 * Access control: a fresh 128-bit MIT-MAGIC-COOKIE-1 in a private
 * authorization file (mode 0600 in a directory of its own), given to
 * Xvfb with -auth and to clients through XAUTHORITY. The file is written
 * here in the Xauthority format rather than with xauth(1): the display
 * number is only known after Xvfb started, and a FamilyWild entry that
 * matches any display lets Xvfb read the cookie at start. A second,
 * ordinary entry for the display is added once its number is known, for
 * clients that do not understand wildcard entries. Xvfb listens on its
 * Unix socket only (-nolisten tcp).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "session.h"
#include "xrfb.h"
#include "xvfb.h"

/* How long Xvfb may take until it accepts connections. */
#define XVFB_START_TIMEOUT_MS 30000
#define XVFB_STOP_TIMEOUT_MS 3000
#define XVFB_COOKIE_LEN 16
#define XVFB_FAMILY_LOCAL 256
#define XVFB_FAMILY_WILD 65535

struct xvfb {
	pid_t pid;
	bool exited;
	int status;
	char display[16];
	char *dir;
	char *auth_file;
	char *log_file;
	uint8_t cookie[XVFB_COOKIE_LEN];
};

static int put_field(FILE *f, const void *data, size_t len)
{
	uint8_t be[2] = { (uint8_t)(len >> 8), (uint8_t)len };

	if (fwrite(be, 1, 2, f) != 2)
		return -EIO;
	if (len && fwrite(data, 1, len, f) != len)
		return -EIO;
	return 0;
}

/* Append one MIT-MAGIC-COOKIE-1 entry in Xauthority format (as libXau's
 * XauWriteAuth: big-endian 16-bit family, then length-prefixed address,
 * display number, auth name and data). */
static int write_auth_entry(const struct xvfb *x, uint16_t family,
			    const char *address, const char *number)
{
	static const char name[] = "MIT-MAGIC-COOKIE-1";
	uint8_t fam[2] = { (uint8_t)(family >> 8), (uint8_t)family };
	FILE *f;
	int fd, r = 0;

	fd = open(x->auth_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "ab");
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	if (fwrite(fam, 1, 2, f) != 2 ||
	    put_field(f, address, strlen(address)) < 0 ||
	    put_field(f, number, strlen(number)) < 0 ||
	    put_field(f, name, sizeof(name) - 1) < 0 ||
	    put_field(f, x->cookie, sizeof(x->cookie)) < 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	return r;
}

static char *make_dir(void)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char path[4096];

	if (!base || !*base || access(base, W_OK | X_OK) != 0)
		base = getenv("TMPDIR");
	if (!base || !*base || access(base, W_OK | X_OK) != 0)
		base = "/tmp";
	if (snprintf(path, sizeof(path), "%s/xrfb.XXXXXX", base) >=
	    (int)sizeof(path))
		return NULL;
	if (!mkdtemp(path))
		return NULL;
	return xstrdup(path);
}

static char *path_in(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = xmalloc(n);

	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

/* Drop the X server's "(EE) " markers and surrounding blanks. */
static void clean_line(char *line)
{
	char *p;
	size_t n;

	while ((p = strstr(line, "(EE)")))
		memmove(p, p + 4, strlen(p + 4) + 1);
	n = strspn(line, " \t");
	memmove(line, line + n, strlen(line + n) + 1);
	n = strlen(line);
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		line[--n] = '\0';
}

/* The most telling line Xvfb wrote: the one after "Fatal server error:",
 * else the last non-empty one. */
static void explain_failure(const struct xvfb *x, const char *what)
{
	char line[512], last[512] = "", fatal[512] = "";
	bool after_fatal = false;
	FILE *f;
	size_t n;

	f = x->log_file ? fopen(x->log_file, "r") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\r\n")] = '\0';
		clean_line(line);
		n = strlen(line);
		if (!n)
			continue;
		if (after_fatal && !*fatal)
			snprintf(fatal, sizeof(fatal), "%s", line);
		if (strstr(line, "Fatal server error"))
			after_fatal = true;
		snprintf(last, sizeof(last), "%s", line);
	}
	if (f)
		fclose(f);
	fprintf(stderr, "xrfb: Xvfb %s%s%s\n", what,
		*fatal || *last ? ": " : "", *fatal ? fatal : last);
}

/* Read the display number Xvfb writes to -displayfd when it is ready. */
static int read_display(int fd, char *out, size_t size)
{
	char buf[32];
	size_t len = 0;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint64_t deadline = xrfb_now_ms() + XVFB_START_TIMEOUT_MS, now;
	ssize_t n;
	int r;

	for (;;) {
		now = xrfb_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		len += (size_t)n;
		buf[len] = '\0';
		if (strchr(buf, '\n') || len == sizeof(buf) - 1)
			break;
	}
	buf[strcspn(buf, "\n")] = '\0';
	if (!*buf || strlen(buf) > 9 ||
	    strspn(buf, "0123456789") != strlen(buf))
		return -EPROTO;
	snprintf(out, size, ":%.9s", buf);
	return 0;
}

struct xvfb *xvfb_start(int width, int height, int depth, bool verbose)
{
	char fd_arg[16], screen_arg[64], hostname[256];
	char *argv[16], *path;
	struct xvfb *x;
	int pipefd[2], log_fd = -1, r, wstatus, argc = 0;
	pid_t pid;

	path = session_which("Xvfb");
	if (!path) {
		fprintf(stderr, "xrfb: --create needs Xvfb, which is not in "
			"PATH (Debian package xvfb)\n");
		return NULL;
	}
	x = xcalloc(1, sizeof(*x));
	x->dir = make_dir();
	if (!x->dir) {
		fprintf(stderr, "xrfb: cannot create a private directory: "
			"%s\n", strerror(errno));
		goto err_free;
	}
	x->auth_file = path_in(x->dir, "Xauthority");
	x->log_file = path_in(x->dir, "Xvfb.log");
	if (getrandom(x->cookie, sizeof(x->cookie), 0) !=
	    (ssize_t)sizeof(x->cookie)) {
		fprintf(stderr, "xrfb: cannot get random bytes: %s\n",
			strerror(errno));
		goto err_remove;
	}
	r = write_auth_entry(x, XVFB_FAMILY_WILD, "", "");
	if (r < 0) {
		fprintf(stderr, "xrfb: cannot write %s: %s\n", x->auth_file,
			strerror(-r));
		goto err_remove;
	}
	if (!verbose) {
		log_fd = open(x->log_file,
			      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (log_fd < 0) {
			fprintf(stderr, "xrfb: cannot create %s: %s\n",
				x->log_file, strerror(errno));
			goto err_remove;
		}
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "xrfb: pipe: %s\n", strerror(errno));
		goto err_close_log;
	}

	snprintf(fd_arg, sizeof(fd_arg), "%d", pipefd[1]);
	snprintf(screen_arg, sizeof(screen_arg), "%dx%dx%d", width, height,
		 depth);
	argv[argc++] = "Xvfb";
	argv[argc++] = "-displayfd";
	argv[argc++] = fd_arg;
	argv[argc++] = "-screen";
	argv[argc++] = "0";
	argv[argc++] = screen_arg;
	argv[argc++] = "-nolisten";
	argv[argc++] = "tcp";
	argv[argc++] = "-auth";
	argv[argc++] = x->auth_file;
	argv[argc] = NULL;

	pid = session_spawn(path, argv, pipefd[1], log_fd);
	close(pipefd[1]);
	if (pid < 0) {
		fprintf(stderr, "xrfb: cannot start Xvfb: %s\n",
			strerror((int)-pid));
		goto err_close_pipe;
	}
	x->pid = pid;
	r = read_display(pipefd[0], x->display, sizeof(x->display));
	if (r < 0) {
		if (r == -ETIMEDOUT) {
			explain_failure(x, "did not start in time");
			kill(pid, SIGKILL);
		} else {
			explain_failure(x, "failed to start");
		}
		session_wait_pid(pid, XVFB_STOP_TIMEOUT_MS, &wstatus);
		goto err_close_pipe;
	}
	close(pipefd[0]);
	if (log_fd >= 0)
		close(log_fd);
	free(path);

	/* The ordinary entry for this display (hostname/unix:N). */
	if (gethostname(hostname, sizeof(hostname)) == 0) {
		hostname[sizeof(hostname) - 1] = '\0';
		write_auth_entry(x, XVFB_FAMILY_LOCAL, hostname,
				 x->display + 1);
	}
	log_info("Xvfb %s started (pid %d, %dx%dx%d)", x->display, (int)pid,
		 width, height, depth);
	return x;

err_close_pipe:
	close(pipefd[0]);
err_close_log:
	if (log_fd >= 0)
		close(log_fd);
err_remove:
	unlink(x->auth_file);
	unlink(x->log_file);
	rmdir(x->dir);
err_free:
	free(x->auth_file);
	free(x->log_file);
	free(x->dir);
	free(x);
	free(path);
	return NULL;
}

const char *xvfb_display(const struct xvfb *x)
{
	return x->display;
}

const char *xvfb_auth_file(const struct xvfb *x)
{
	return x->auth_file;
}

bool xvfb_wait(struct xvfb *x, int timeout_ms, int *status)
{
	int wstatus;

	if (x->exited)
		return false;
	if (!session_wait_pid(x->pid, timeout_ms, &wstatus))
		return false;
	x->exited = true;
	x->status = session_exit_status(wstatus);
	*status = x->status;
	return true;
}

void xvfb_stop(struct xvfb *x)
{
	int wstatus;

	if (x->exited)
		return;
	kill(x->pid, SIGTERM);
	if (!session_wait_pid(x->pid, XVFB_STOP_TIMEOUT_MS, &wstatus)) {
		log_warn("Xvfb (pid %d) did not end, killing it", (int)x->pid);
		kill(x->pid, SIGKILL);
		session_wait_pid(x->pid, XVFB_STOP_TIMEOUT_MS, &wstatus);
	}
	x->exited = true;
	x->status = session_exit_status(wstatus);
}

void xvfb_free(struct xvfb *x)
{
	if (!x)
		return;
	unlink(x->auth_file);
	unlink(x->log_file);
	rmdir(x->dir);
	free(x->auth_file);
	free(x->log_file);
	free(x->dir);
	free(x);
}
