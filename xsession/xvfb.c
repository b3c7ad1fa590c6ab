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
 *
 * Xvfb's own messages come through a pipe into our log: its errors as
 * warnings, the rest (the keymap compiler's chatter, -displayfd's notes
 * on taken displays) at debug level. The last telling line explains a
 * failure to start.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "guard.h"
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
/* Longest line of Xvfb's output we keep whole; longer ones are cut. */
#define XVFB_LINE_MAX 512

struct xvfb {
	pid_t pid;
	bool exited;
	int status;
	char display[16];
	char *dir;
	char *auth_file;
	uint8_t cookie[XVFB_COOKIE_LEN];
	bool verbose;
	/* Xvfb's stderr, read line by line into the log. */
	int log_fd;
	struct xrfb_watch *log_watch;
	char line[XVFB_LINE_MAX];
	size_t line_len;
	bool after_fatal;
	char last[XVFB_LINE_MAX], fatal[XVFB_LINE_MAX];
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

/* One line of Xvfb's output: into the log, and remembered when it may
 * explain a failure (the line after "Fatal server error:", else the last
 * one that is not about a taken display). */
static void on_line(struct xvfb *x, char *line)
{
	char esc[XVFB_LINE_MAX * 4];
	bool error = strstr(line, "(EE)") || strstr(line, "Fatal server");
	bool noise = !strncmp(line, "_XSERVTrans", 11);

	log_escape(esc, sizeof(esc), line, strlen(line));
	if (error || x->verbose)
		log_write(error ? XRFB_LOG_WARN : XRFB_LOG_INFO, __FILE__,
			  __LINE__, "Xvfb: %s", esc);
	else
		log_debug("Xvfb: %s", esc);
	clean_line(line);
	if (!*line || noise)
		return;
	if (x->after_fatal && !*x->fatal)
		snprintf(x->fatal, sizeof(x->fatal), "%s", line);
	if (strstr(line, "Fatal server error"))
		x->after_fatal = true;
	snprintf(x->last, sizeof(x->last), "%s", line);
}

/* Read what Xvfb wrote; true at the end of its output. */
static bool read_log(struct xvfb *x)
{
	char buf[4096];
	ssize_t n, i;

	for (;;) {
		n = read(x->log_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno != EAGAIN;
		if (n == 0) {
			if (x->line_len) {
				x->line[x->line_len] = '\0';
				x->line_len = 0;
				on_line(x, x->line);
			}
			return true;
		}
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' ||
			    x->line_len == sizeof(x->line) - 1) {
				x->line[x->line_len] = '\0';
				x->line_len = 0;
				on_line(x, x->line);
				if (buf[i] == '\n')
					continue;
			}
			x->line[x->line_len++] = buf[i];
		}
	}
}

static void close_log(struct xvfb *x)
{
	if (x->log_watch)
		xrfb_watch_free(x->log_watch);
	x->log_watch = NULL;
	if (x->log_fd >= 0)
		close(x->log_fd);
	x->log_fd = -1;
}

static void on_log(void *arg, int fd, uint32_t events)
{
	struct xvfb *x = arg;

	if (read_log(x))
		close_log(x);
}

static void explain_failure(struct xvfb *x, const char *what)
{
	if (x->log_fd >= 0)
		read_log(x);
	fprintf(stderr, "xrfb: Xvfb %s%s%s\n", what,
		*x->fatal || *x->last ? ": " : "",
		*x->fatal ? x->fatal : x->last);
}

/* Read the display number Xvfb writes to -displayfd when it is ready. */
static int read_display(struct xvfb *x, int fd, char *out, size_t size)
{
	char buf[32];
	size_t len = 0;
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN },
				 { .fd = x->log_fd, .events = POLLIN } };
	uint64_t deadline = xrfb_now_ms() + XVFB_START_TIMEOUT_MS, now;
	ssize_t n;
	int r;

	for (;;) {
		now = xrfb_now_ms();
		if (now >= deadline)
			return -ETIMEDOUT;
		pfd[1].fd = x->log_fd;
		r = poll(pfd, 2, (int)(deadline - now));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		if (pfd[1].revents && read_log(x)) {
			close(x->log_fd);
			x->log_fd = -1;
		}
		if (!pfd[0].revents)
			continue;
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

struct xvfb *xvfb_start(int width, int height, int depth, bool verbose,
			struct guard *guard)
{
	char fd_arg[16], screen_arg[64], hostname[256];
	char *argv[16], *path;
	struct xvfb *x;
	int pipefd[2], logpipe[2], r, wstatus, argc = 0;
	pid_t pid;

	path = session_which("Xvfb");
	if (!path) {
		fprintf(stderr, "xrfb: Xvfb is not in PATH (Debian package "
			"xvfb)\n");
		return NULL;
	}
	x = xcalloc(1, sizeof(*x));
	x->verbose = verbose;
	x->log_fd = -1;
	x->dir = make_dir();
	if (!x->dir) {
		fprintf(stderr, "xrfb: cannot create a private directory: "
			"%s\n", strerror(errno));
		goto err_free;
	}
	x->auth_file = path_in(x->dir, "Xauthority");
	if (guard) {
		guard_remove_dir(guard, x->dir);
		guard_remove_file(guard, x->auth_file);
	}
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
	if (pipe2(logpipe, O_CLOEXEC | O_NONBLOCK) < 0) {
		fprintf(stderr, "xrfb: pipe: %s\n", strerror(errno));
		goto err_remove;
	}
	x->log_fd = logpipe[0];
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		fprintf(stderr, "xrfb: pipe: %s\n", strerror(errno));
		close(logpipe[1]);
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

	pid = session_spawn(path, argv, pipefd[1], logpipe[1]);
	close(pipefd[1]);
	close(logpipe[1]);
	if (pid < 0) {
		fprintf(stderr, "xrfb: cannot start Xvfb: %s\n",
			strerror((int)-pid));
		goto err_close_pipe;
	}
	x->pid = pid;
	if (guard)
		guard_kill_pid(guard, pid);
	r = read_display(x, pipefd[0], x->display, sizeof(x->display));
	if (r < 0) {
		if (r == -ETIMEDOUT)
			kill(pid, SIGKILL);
		session_wait_pid(pid, XVFB_STOP_TIMEOUT_MS, &wstatus);
		explain_failure(x, r == -ETIMEDOUT ? "did not start in time"
						   : "failed to start");
		goto err_close_pipe;
	}
	close(pipefd[0]);
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
	close_log(x);
err_remove:
	unlink(x->auth_file);
	rmdir(x->dir);
err_free:
	free(x->auth_file);
	free(x->dir);
	free(x);
	free(path);
	return NULL;
}

int xvfb_watch_log(struct xvfb *x, struct xrfb_loop *loop)
{
	if (x->log_fd < 0 || x->log_watch)
		return 0;
	x->log_watch = xrfb_loop_watch_fd(loop, x->log_fd, XRFB_EV_IN, on_log,
					  x);
	return x->log_watch ? 0 : -ENOMEM;
}

pid_t xvfb_pid(const struct xvfb *x)
{
	return x->pid;
}

const char *xvfb_dir(const struct xvfb *x)
{
	return x->dir;
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
	if (x->log_fd >= 0 && read_log(x))
		close_log(x);
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

/* An Xvfb that was killed leaves its socket (and lock file) behind;
 * remove them once it is reaped: the lock if it still names it, the
 * socket if nobody answers there (another server may have taken the
 * display number since). */
static void remove_leftovers(const struct xvfb *x)
{
	const char *num = x->display + 1;
	struct sockaddr_un sa;
	char path[64], text[32];
	ssize_t n;
	int fd, r;

	snprintf(path, sizeof(path), "/tmp/.X%s-lock", num);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
		if (strtol(text, NULL, 10) != (long)x->pid)
			return;
		unlink(path);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/.X11-unix/X%s", num);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r < 0 && errno == ECONNREFUSED) {
		unlink(sa.sun_path);
		log_debug("%s: removed the socket of %s", __func__,
			  x->display);
	}
}

void xvfb_free(struct xvfb *x)
{
	if (!x)
		return;
	if (x->exited && x->display[0])
		remove_leftovers(x);
	/* Its last words, if it has ended: the pipe is at its end. */
	if (x->exited && x->log_fd >= 0)
		read_log(x);
	close_log(x);
	unlink(x->auth_file);
	rmdir(x->dir);
	free(x->auth_file);
	free(x->dir);
	free(x);
}
