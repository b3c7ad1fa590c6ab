/* SPDX-License-Identifier: MIT */
/* xrfb run: CMD in the private X server, its status as ours. */
#ifndef XRFB_RUN_H
#define XRFB_RUN_H

#include "app.h"

/* Exit statuses of `xrfb run` besides CMD's own (documented in
 * xrfb --help, run --help and the man page). */
#define RUN_EXIT_X_START 122	/* the X server could not start */
#define RUN_EXIT_X_LOST 123	/* the X server ended during the run */
#define RUN_EXIT_SETUP 125	/* anything else before CMD started */

/* Take over SIGINT, SIGTERM and SIGHUP (passed on to CMD). */
struct run *run_new(struct app *app);
void run_free(struct run *r);
/* Start CMD (app->opt.run_argv) as app->session. 0, or the exit status
 * to end with when it could not start (126, 127). */
int run_start(struct run *r);
/* CMD ended with @status: stop with it, unless the X server went first. */
void run_cmd_exited(struct run *r, int status);
/* End CMD as SIGTERM would (the control's "stop"). */
void run_stop(struct run *r);

#endif
