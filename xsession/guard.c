/* SPDX-License-Identifier: MIT */
/*
 * guard: a small process forked at start that cleans up after us when we
 * die without doing it ourselves (SIGKILL, a crash, an OOM kill). We tell
 * it over a pipe what to end and what to remove; it reads until the pipe
 * closes, which the kernel does however we die. If the last thing it got
 * was "done", it leaves quietly; otherwise it ends the processes and
 * process groups it was told about (SIGTERM, then SIGKILL) and removes
 * the files and directories.
 *
 * The guard is in a process group of its own and ignores the usual
 * termination signals, so a ^C or a kill of our group does not take it
 * down before it did its work. It never execs: forked before any thread
 * exists, it runs only plain system calls on static memory.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "guard.h"
#include "log.h"
#include "session.h"

#define GUARD_MAX_ITEMS 32
/* How long ended processes get between SIGTERM and SIGKILL. */
#define GUARD_STOP_MS 3000

struct guard {
	int fd;
};

/* What the guard process keeps; lives in the child only. */
struct guard_item {
	char kind;		/* 'k' pid, 'g' group, 'f' file, 'd' dir */
	pid_t pid;
	char path[PATH_MAX];
	bool done;
};

static struct guard_item items[GUARD_MAX_ITEMS];
static unsigned n_items;
static bool dismissed;

static void guard_do(const char *line)
{
	struct guard_item *it;
	long pid;
	unsigned i;

	if (line[0] == 'x') {
		dismissed = true;
		return;
	}
	if (!line[0] || line[1] != ' ')
		return;
	if (line[0] == '-') {
		pid = strtol(line + 2, NULL, 10);
		for (i = 0; i < n_items; i++)
			if (items[i].pid == pid)
				items[i].done = true;
		return;
	}
	if (n_items == GUARD_MAX_ITEMS)
		return;
	it = &items[n_items++];
	memset(it, 0, sizeof(*it));
	it->kind = line[0];
	if (it->kind == 'k' || it->kind == 'g') {
		it->pid = (pid_t)strtol(line + 2, NULL, 10);
	} else if (strlen(line + 2) < sizeof(it->path)) {
		strcpy(it->path, line + 2);
	} else {
		n_items--;
	}
}

static void guard_signal(int signo)
{
	unsigned i;

	for (i = 0; i < n_items; i++) {
		if (items[i].done || items[i].pid <= 0)
			continue;
		if (items[i].kind == 'k')
			kill(items[i].pid, signo);
		else if (items[i].kind == 'g')
			kill(-items[i].pid, signo);
	}
}

/* True if @pid has ended but is not reaped yet (its parent was us). */
static bool is_zombie(pid_t pid)
{
	char path[64], stat[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (n <= 0)
		return false;
	stat[n] = '\0';
	/* "pid (comm) S ...": the state follows the last ')'. */
	p = strrchr(stat, ')');
	return p && p[1] == ' ' && p[2] == 'Z';
}

static bool guard_anyone_left(void)
{
	unsigned i;
	pid_t p;

	for (i = 0; i < n_items; i++) {
		if (items[i].done || items[i].pid <= 0)
			continue;
		p = items[i].kind == 'g' ? -items[i].pid : items[i].pid;
		if ((items[i].kind == 'k' || items[i].kind == 'g') &&
		    kill(p, 0) == 0 &&
		    !(items[i].kind == 'k' && is_zombie(items[i].pid)))
			return true;
	}
	return false;
}

static void guard_clean_up(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int waited;
	unsigned i;

	/* Files first, while our Xvfb still holds its display: paths named
	 * after the display number (the control socket) are still ours then,
	 * and not yet those of another run that gets the number next. */
	for (i = n_items; i-- > 0;)
		if (items[i].kind == 'f')
			unlink(items[i].path);
	guard_signal(SIGTERM);
	for (waited = 0; waited < GUARD_STOP_MS && guard_anyone_left();
	     waited += 20)
		nanosleep(&ts, NULL);
	guard_signal(SIGKILL);
	for (i = n_items; i-- > 0;)
		if (items[i].kind == 'd')
			rmdir(items[i].path);
}

static void guard_main(int fd)
{
	static char buf[PATH_MAX + 16];
	size_t len = 0;
	ssize_t n;
	char *nl;
	int null_fd;

	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	setpgid(0, 0);
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0) {
		dup2(null_fd, STDIN_FILENO);
		dup2(null_fd, STDOUT_FILENO);
		dup2(null_fd, STDERR_FILENO);
	}
	session_close_fds(3, fd);
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			guard_do(buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == sizeof(buf) - 1)
			len = 0;	/* cannot happen: lines are bounded */
	}
	if (!dismissed)
		guard_clean_up();
	_exit(0);
}

struct guard *guard_start(void)
{
	struct guard *g;
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		log_warn("no guard process: pipe: %s", strerror(errno));
		return NULL;
	}
	pid = fork();
	if (pid < 0) {
		log_warn("no guard process: fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	if (pid == 0) {
		close(fds[1]);
		guard_main(fds[0]);
	}
	close(fds[0]);
	g = xcalloc(1, sizeof(*g));
	g->fd = fds[1];
	log_debug("%s: guard process %d", __func__, (int)pid);
	return g;
}

static void guard_send(struct guard *g, char kind, const char *arg)
{
	char line[PATH_MAX + 8];
	int n;

	if (!g)
		return;
	n = snprintf(line, sizeof(line), "%c %s\n", kind, arg);
	if (n < 0 || (size_t)n >= sizeof(line) || strchr(arg, '\n'))
		return;
	/* One write of less than PIPE_BUF bytes is atomic; the guard
	 * reads on, so it never blocks for long. */
	while (write(g->fd, line, (size_t)n) < 0 && errno == EINTR)
		;
}

static void guard_send_pid(struct guard *g, char kind, pid_t pid)
{
	char num[24];

	snprintf(num, sizeof(num), "%ld", (long)pid);
	guard_send(g, kind, num);
}

void guard_kill_pid(struct guard *g, pid_t pid)
{
	guard_send_pid(g, 'k', pid);
}

void guard_kill_group(struct guard *g, pid_t pgid)
{
	guard_send_pid(g, 'g', pgid);
}

void guard_remove_file(struct guard *g, const char *path)
{
	guard_send(g, 'f', path);
}

void guard_remove_dir(struct guard *g, const char *path)
{
	guard_send(g, 'd', path);
}

void guard_forget(struct guard *g, pid_t pid)
{
	guard_send_pid(g, '-', pid);
}

void guard_free(struct guard *g)
{
	if (!g)
		return;
	guard_send(g, 'x', "");
	close(g->fd);
	free(g);
}
