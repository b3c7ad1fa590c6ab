/* SPDX-License-Identifier: MIT */
/* The session run in a virtual display, and starting child processes. */
#ifndef XRFB_SESSION_H
#define XRFB_SESSION_H

#include <stdbool.h>
#include <sys/types.h>

struct session;

/* Run @cmd with /bin/sh -c in its own process group, with the current
 * environment (DISPLAY and XAUTHORITY set by the caller); NULL on
 * failure (the reason is printed). */
struct session *session_start(const char *cmd);
/* What session_start_argv() gives as the status of a command that could
 * not be started, as a shell does: not found, or found but not run. */
#define SESSION_STATUS_NOT_FOUND 127
#define SESSION_STATUS_NOT_RUN 126

/* Run the program @argv[0] (searched in PATH) with @argv in its own
 * process group, as session_start() does. NULL on failure (the reason is
 * printed), with *status set to SESSION_STATUS_NOT_FOUND or _NOT_RUN. A
 * program that cannot be executed after all exits with 126 or 127. */
struct session *session_start_argv(char *const argv[], int *status);
/* The process id of the session's leader (= its process group). */
pid_t session_pid(const struct session *s);
/* Send @signo to the session's process group. */
void session_signal(struct session *s, int signo);
/* The default session: a window manager and a terminal found in PATH
 * (malloc'ed), or NULL if there is neither. */
char *session_default_command(void);
/* Check without blocking whether the session has ended; if so, return
 * true and set *status to its exit status (128+N if killed by signal N). */
bool session_reap(struct session *s, int *status);
/* End the session's process group (SIGTERM, then SIGKILL) and wait. */
void session_stop(struct session *s);
/* Free the session (stop it first). */
void session_free(struct session *s);

/* Start @path with @argv in a new process session, all signals reset,
 * stdin from /dev/null and stderr to @stderr_fd (-1: ours); @keep_fd
 * (or -1) stays open in the child, every other descriptor above 2 is
 * closed. Returns the pid or -errno. */
pid_t session_spawn(const char *path, char *const argv[], int keep_fd,
		    int stderr_fd);
/* Close every descriptor from @first up except @keep (or -1). */
void session_close_fds(int first, int keep);
/* The full path of program @name found in PATH (malloc'ed), or NULL. */
char *session_which(const char *name);
/* Wait up to @timeout_ms for @pid; true if it ended (*wstatus set). */
bool session_wait_pid(pid_t pid, int timeout_ms, int *wstatus);
/* A wait status as an exit status: the code, or 128+N for signal N. */
int session_exit_status(int wstatus);

#endif
