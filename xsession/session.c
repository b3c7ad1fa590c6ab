/* SPDX-License-Identifier: MIT */
/*
 * session: the desktop session run inside a virtual display, and the
 * plumbing for starting child processes (also used for Xvfb).
 *
 * Children start in their own process session, so a ^C on our terminal
 * reaches only us and we end them in order; they get every signal reset
 * to its default and unblocked (the loop blocks the ones it handles),
 * and no descriptor of ours except the one they are given. Reaping is
 * by pid with WNOHANG, driven by the loop's SIGCHLD handler.
 *
 * Every child gets SIGTERM from the kernel when we die (PR_SET_PDEATHSIG),
 * however we die; what a child started in turn is left to the guard
 * (xsession/guard.c), which ends whole process groups.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "session.h"

/* The default desktop's background colour. */
#define SESSION_BACKGROUND "#36587a"
/* How long an ended child gets between SIGTERM and SIGKILL. */
#define SESSION_STOP_TIMEOUT_MS 3000

extern char **environ;

/* A quiet session's last words: how much of the end of its output is
 * read back. */
#define SESSION_TAIL 512

struct session {
	pid_t pid;
	bool exited;
	int status;
	int err_fd;		/* a quiet session's output, or -1 */
};

void session_close_fds(int first, int keep)
{
	int fd, max;

	if (keep >= first) {
		if (keep > first)
			close_range((unsigned)first, (unsigned)keep - 1, 0);
		first = keep + 1;
	}
	if (close_range((unsigned)first, ~0u, 0) == 0)
		return;
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (fd = first; fd < max; fd++)
		close(fd);
}

/* session_spawn(), and with @keep_stdin our stdin stays the child's. */
static pid_t spawn(const char *path, char *const argv[], int keep_fd,
		   int out_fd, bool keep_stdin)
{
	static const int reset[] = { SIGPIPE, SIGCHLD, SIGINT,	SIGTERM,
				     SIGHUP,  SIGQUIT, SIGUSR1, SIGUSR2,
				     SIGALRM };
	struct sigaction sa;
	sigset_t none;
	pid_t pid, parent = getpid();
	int null_fd;
	size_t i;

	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(null_fd);
		return -errno;
	}
	if (pid > 0) {
		close(null_fd);
		return pid;
	}

	/* The child: only async-signal-safe calls until exec. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (i = 0; i < sizeof(reset) / sizeof(reset[0]); i++)
		sigaction(reset[i], &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Die with us; if we are already gone, do not start at all. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(127);
	setsid();
	if (!keep_stdin)
		dup2(null_fd, STDIN_FILENO);
	if (out_fd == SESSION_OUT_NULL)
		out_fd = null_fd;
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
	if (keep_fd >= 0)
		fcntl(keep_fd, F_SETFD, 0);
	session_close_fds(3, keep_fd);
	execve(path, argv, environ);
	/* As a shell reports it: 127 not found, 126 found but not run. */
	_exit(errno == ENOENT || errno == ENOTDIR ? 127 : 126);
}

pid_t session_spawn(const char *path, char *const argv[], int keep_fd,
		    int out_fd)
{
	return spawn(path, argv, keep_fd, out_fd, false);
}

static bool is_program(const char *path)
{
	struct stat st;

	return access(path, X_OK) == 0 && stat(path, &st) == 0 &&
	       S_ISREG(st.st_mode);
}

char *session_which(const char *name)
{
	const char *path = getenv("PATH"), *p, *end;
	char buf[PATH_MAX];
	size_t len;
	int n;

	if (strchr(name, '/'))
		return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p = end + 1) {
		end = strchr(p, ':');
		len = end ? (size_t)(end - p) : strlen(p);
		/* An empty entry means the current directory. */
		n = snprintf(buf, sizeof(buf), "%.*s/%s", len ? (int)len : 1,
			     len ? p : ".", name);
		if (n > 0 && (size_t)n < sizeof(buf) && is_program(buf))
			return xstrdup(buf);
		if (!end)
			return NULL;
	}
}

int session_exit_status(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}

bool session_wait_pid(pid_t pid, int timeout_ms, int *wstatus)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, wstatus, WNOHANG);
		if (r == pid)
			return true;
		if (r < 0 && errno != EINTR) {
			/* Not our child (any more): nothing to wait for. */
			*wstatus = 0;
			return true;
		}
		if (waited >= timeout_ms)
			return false;
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

/* An unnamed temporary file for a quiet session's output. */
static int open_err_file(void)
{
	const char *dir = getenv("TMPDIR");
	char path[PATH_MAX];
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0)
		return fd;
	if (snprintf(path, sizeof(path), "%s/xrfb-session.XXXXXX", dir) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	unlink(path);
	return fd;
}

struct session *session_start(const char *cmd, bool quiet)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	struct session *s;
	int err_fd = -1;
	pid_t pid;

	if (quiet) {
		err_fd = open_err_file();
		if (err_fd < 0)
			log_warn("no file for the output of '%s' (%s): it is "
				 "dropped", cmd, strerror(-err_fd));
	}
	pid = session_spawn("/bin/sh", argv, -1,
			    quiet && err_fd < 0 ? SESSION_OUT_NULL
						: err_fd);
	if (pid < 0) {
		fprintf(stderr, "xrfb: cannot start '%s': %s\n", cmd,
			strerror((int)-pid));
		if (err_fd >= 0)
			close(err_fd);
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->pid = pid;
	s->err_fd = err_fd;
	log_info("started (pid %d): %s", (int)pid, cmd);
	return s;
}

struct session *session_start_argv(char *const argv[], int *status)
{
	struct session *s;
	char *path;
	pid_t pid;

	/* A path is tried as it is: exec tells "not found" from "not run". */
	path = strchr(argv[0], '/') ? xstrdup(argv[0]) : session_which(argv[0]);
	if (!path) {
		fprintf(stderr, "xrfb: %s: command not found\n", argv[0]);
		*status = SESSION_STATUS_NOT_FOUND;
		return NULL;
	}
	/* CMD is ours as a shell's command is: our stdin, stdout, stderr. */
	pid = spawn(path, argv, -1, -1, true);
	free(path);
	if (pid < 0) {
		fprintf(stderr, "xrfb: cannot start %s: %s\n", argv[0],
			strerror((int)-pid));
		*status = SESSION_STATUS_NOT_RUN;
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->pid = pid;
	s->err_fd = -1;
	log_info("command started (pid %d): %s", (int)pid, argv[0]);
	return s;
}

pid_t session_pid(const struct session *s)
{
	return s->pid;
}

void session_signal(struct session *s, int signo)
{
	/* The whole group: CMD may be a shell script whose children do the
	 * work. The leader may be gone while the group lives on. */
	if (kill(-s->pid, signo) < 0 && errno == ESRCH && !s->exited)
		kill(s->pid, signo);
}

void session_last_words(struct session *s, char *buf, size_t size)
{
	char tail[SESSION_TAIL + 1];
	off_t end;
	ssize_t n;
	char *p, *line;

	buf[0] = '\0';
	if (s->err_fd < 0 || size == 0)
		return;
	end = lseek(s->err_fd, 0, SEEK_END);
	if (end <= 0)
		return;
	n = pread(s->err_fd, tail, SESSION_TAIL,
		  end > SESSION_TAIL ? end - SESSION_TAIL : 0);
	if (n <= 0)
		return;
	tail[n] = '\0';
	/* The last line with something in it. */
	while (n > 0 && (tail[n - 1] == '\n' || tail[n - 1] == '\r' ||
			 tail[n - 1] == ' '))
		tail[--n] = '\0';
	p = memrchr(tail, '\n', (size_t)n);
	line = p ? p + 1 : tail;
	log_escape(buf, size, line, strlen(line));
}

bool session_reap(struct session *s, int *status)
{
	int wstatus;
	pid_t r;

	if (s->exited)
		return false;
	r = waitpid(s->pid, &wstatus, WNOHANG);
	if (r != s->pid)
		return false;
	s->exited = true;
	s->status = session_exit_status(wstatus);
	*status = s->status;
	return true;
}

/* Wait up to @timeout_ms until the leader is reaped and nobody is left
 * in its process group. */
static bool wait_gone(struct session *s, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int waited = 0, wstatus;

	for (;;) {
		if (!s->exited &&
		    waitpid(s->pid, &wstatus, WNOHANG) == s->pid) {
			s->exited = true;
			s->status = session_exit_status(wstatus);
		}
		if (s->exited && kill(-s->pid, 0) < 0 && errno == ESRCH)
			return true;
		if (waited >= timeout_ms)
			return false;
		nanosleep(&ts, NULL);
		waited += 10;
	}
}

void session_stop(struct session *s)
{
	/* The whole group: the leader may be gone while others live on (a
	 * window manager started with &), and one of them holding a server
	 * grab would block every X client, us included. */
	kill(-s->pid, SIGTERM);
	kill(-s->pid, SIGHUP);
	if (wait_gone(s, SESSION_STOP_TIMEOUT_MS))
		return;
	log_warn("session (process group %d) did not end, killing it",
		 (int)s->pid);
	kill(-s->pid, SIGKILL);
	wait_gone(s, SESSION_STOP_TIMEOUT_MS);
}

void session_free(struct session *s)
{
	if (s->err_fd >= 0)
		close(s->err_fd);
	free(s);
}

/* The first of @names found in PATH, or NULL. */
static const char *first_in_path(const char *const *names, size_t n)
{
	char *path;
	size_t i;

	for (i = 0; i < n; i++) {
		path = session_which(names[i]);
		if (path) {
			free(path);
			return names[i];
		}
	}
	return NULL;
}

void session_default_desktop(struct session_desktop *d)
{
	static const char *const wms[] = { "openbox", "icewm", "jwm",
					   "fluxbox", "xfwm4",	"twm" };
	static const char *const terms[] = { "xterm", "x-terminal-emulator",
					     "urxvt", "xfce4-terminal" };
	const char *term, *run_wm;
	char cmd[512];

	memset(d, 0, sizeof(*d));
	d->wm = first_in_path(wms, sizeof(wms) / sizeof(wms[0]));
	term = first_in_path(terms, sizeof(terms) / sizeof(terms[0]));
	if (d->wm) {
		run_wm = d->wm;
		if (!strcmp(d->wm, "twm")) {
			/* twm places new windows interactively, grabbing
			 * the server meanwhile: every other client, us
			 * and our XTest input included, would wait for a
			 * click that cannot come. Its default fonts are
			 * aliases that few systems have; "fixed" is built
			 * into every X server. */
			run_wm = "printf 'RandomPlacement\\nNoGrabServer\\n"
				  "TitleFont \"fixed\"\\nMenuFont \"fixed\"\\n"
				  "IconFont \"fixed\"\\nResizeFont \"fixed\"\\n"
				  "IconManagerFont \"fixed\"\\n' | "
				  "twm -f /dev/stdin";
		}
		/* A background that is not plain black, so that a viewer
		 * shows at once that the desktop is there. */
		snprintf(cmd, sizeof(cmd),
			 "xsetroot -solid '" SESSION_BACKGROUND "'; %s%s",
			 run_wm == d->wm ? "exec " : "", run_wm);
		d->wm_cmd = xstrdup(cmd);
	}
	if (term) {
		snprintf(cmd, sizeof(cmd), "exec %s", term);
		d->term_cmd = xstrdup(cmd);
	}
}

void session_desktop_fini(struct session_desktop *d)
{
	free(d->wm_cmd);
	free(d->term_cmd);
	memset(d, 0, sizeof(*d));
}
