/* SPDX-License-Identifier: MIT */
/* The session run in a virtual display, and starting child processes. */
#ifndef XRFB_SESSION_H
#define XRFB_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct session;

/* The default desktop: a window manager (the first found in PATH of a
 * few light ones) that also sets a background, and a terminal. */
struct session_desktop {
	const char *wm;	/* the window manager's name, or NULL */
	char *wm_cmd;	/* its shell command, or NULL */
	char *term_cmd; /* the terminal's shell command, or NULL */
};

/* Run @cmd with /bin/sh -c in its own process group, with the current
 * environment (DISPLAY and XAUTHORITY set by the caller); NULL on
 * failure (the reason is printed). A @quiet one's output goes to an
 * unnamed file of its own instead of ours (session_last_words()). */
struct session *session_start(const char *cmd, bool quiet);
/* The last line a quiet session wrote, escaped, into @buf (empty if
 * none). */
void session_last_words(struct session *s, char *buf, size_t size);
/* Fill @d with the default desktop's commands (what is not found is
 * NULL); session_desktop_fini() frees them. */
void session_default_desktop(struct session_desktop *d);
void session_desktop_fini(struct session_desktop *d);
/* What session_start_argv() gives as the status of a command that could
 * not be started, as a shell does: not found, or found but not run. */
#define SESSION_STATUS_NOT_FOUND 127
#define SESSION_STATUS_NOT_RUN 126

/* Run the program @argv[0] (searched in PATH) with @argv in its own
 * process group, as session_start() does, but with our stdin. NULL on failure (the reason is
 * printed), with *status set to SESSION_STATUS_NOT_FOUND or _NOT_RUN. A
 * program that cannot be executed after all exits with 126 or 127. */
struct session *session_start_argv(char *const argv[], int *status);
/* The process id of the session's leader (= its process group). */
pid_t session_pid(const struct session *s);
/* Send @signo to the session's process group. */
void session_signal(struct session *s, int signo);
/* Check without blocking whether the session has ended; if so, return
 * true and set *status to its exit status (128+N if killed by signal N). */
bool session_reap(struct session *s, int *status);
/* End the session's process group (SIGTERM, then SIGKILL) and wait. */
void session_stop(struct session *s);
/* Free the session (stop it first). */
void session_free(struct session *s);

/* session_spawn()'s @out_fd for /dev/null. */
#define SESSION_OUT_NULL (-2)

/* Start @path with @argv in a new process session, all signals reset,
 * stdin from /dev/null, stdout and stderr to @out_fd (-1: ours,
 * SESSION_OUT_NULL: none); @keep_fd
 * (or -1) stays open in the child, every other descriptor above 2 is
 * closed. Returns the pid or -errno. */
pid_t session_spawn(const char *path, char *const argv[], int keep_fd,
		    int out_fd);
/* Close every descriptor from @first up except @keep (or -1). */
void session_close_fds(int first, int keep);
/* The full path of program @name found in PATH (malloc'ed), or NULL. */
char *session_which(const char *name);
/* Wait up to @timeout_ms for @pid; true if it ended (*wstatus set). */
bool session_wait_pid(pid_t pid, int timeout_ms, int *wstatus);
/* A wait status as an exit status: the code, or 128+N for signal N. */
int session_exit_status(int wstatus);

#endif
