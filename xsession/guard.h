/* SPDX-License-Identifier: MIT */
/* A helper process that cleans up after us if we are killed. */
#ifndef XRFB_GUARD_H
#define XRFB_GUARD_H

#include <sys/types.h>

struct guard;

/* Fork the guard. Call before any thread is started. NULL on failure
 * (logged); everything below accepts NULL and then does nothing. */
struct guard *guard_start(void);
/* If we die before guard_free(): end process @pid (SIGTERM, then
 * SIGKILL)... */
void guard_kill_pid(struct guard *g, pid_t pid);
/* ... or the whole process group @pgid ... */
void guard_kill_group(struct guard *g, pid_t pgid);
/* ... and then remove the file (or socket) @path ... */
void guard_remove_file(struct guard *g, const char *path);
/* ... and the empty directory @path (after the files, newest first). */
void guard_remove_dir(struct guard *g, const char *path);
/* Forget @pid or group @pid: it has been reaped (its number may be
 * reused) or ended by us. */
void guard_forget(struct guard *g, pid_t pid);
/* Everything has been cleaned up: let the guard go without doing
 * anything, and free. */
void guard_free(struct guard *g);

#endif
