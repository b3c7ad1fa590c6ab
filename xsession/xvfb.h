/* SPDX-License-Identifier: MIT */
/* A private virtual X server (Xvfb) on a free display. */
#ifndef XRFB_XVFB_H
#define XRFB_XVFB_H

#include <stdbool.h>
#include <sys/types.h>

#include "xrfb.h"

struct xvfb;
struct guard;

/* Start Xvfb with one @width x @height x @depth screen on a free display
 * (-displayfd), Unix socket only, with a private authorization file in a
 * private directory. Waits until it accepts connections. Its messages go
 * to the log (its errors as warnings; with @verbose all as info). With a
 * @guard, Xvfb and the files are also ended and removed by the guard.
 * NULL on failure (one line about it is printed). */
struct xvfb *xvfb_start(int width, int height, int depth, bool verbose,
			struct guard *guard);
/* Keep reading Xvfb's messages into the log on @loop. */
int xvfb_watch_log(struct xvfb *x, struct xrfb_loop *loop);
/* Xvfb's process id. */
pid_t xvfb_pid(const struct xvfb *x);
/* The private directory (mode 0700) that holds the authorization file;
 * removed by xvfb_free(), so anything else put there must go first. */
const char *xvfb_dir(const struct xvfb *x);
/* The display name, e.g. ":1". */
const char *xvfb_display(const struct xvfb *x);
/* The authorization file for clients (set XAUTHORITY to it). */
const char *xvfb_auth_file(const struct xvfb *x);
/* Wait up to @timeout_ms (0: just check) for Xvfb to end; if it ended,
 * return true and set *status to its exit status (128+N: signal N). */
bool xvfb_wait(struct xvfb *x, int timeout_ms, int *status);
/* End Xvfb (SIGTERM, then SIGKILL) and wait for it. */
void xvfb_stop(struct xvfb *x);
/* Remove the authorization file and free (stop it first). */
void xvfb_free(struct xvfb *x);

#endif
