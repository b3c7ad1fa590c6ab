/* SPDX-License-Identifier: MIT */
/* A private virtual X server (Xvfb) on a free display. */
#ifndef XRFB_XVFB_H
#define XRFB_XVFB_H

#include <stdbool.h>

struct xvfb;

/* Start Xvfb with one @width x @height x @depth screen on a free display
 * (-displayfd), Unix socket only, with a private authorization file.
 * Waits until it accepts connections. With @verbose its messages go to
 * our stderr. NULL on failure (one line about it is printed). */
struct xvfb *xvfb_start(int width, int height, int depth, bool verbose);
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
