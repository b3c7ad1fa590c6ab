/* SPDX-License-Identifier: MIT */
/*
 * run: `xrfb run -- CMD`. CMD runs in the private X server in a process
 * group of its own; SIGINT, SIGTERM and SIGHUP sent to us are passed on
 * to that group, and we end when CMD ends, with its exit status. A CMD
 * that ignores the signal is killed after a grace period. If the X server
 * dies first, the status says so (RUN_EXIT_X_LOST) whatever CMD did after
 * losing its display. With --screenshot-on-failure, a failed CMD leaves a
 * PNG of the screen as it was when CMD ended.
 *
 * The process handling itself (spawning, groups, the guard that cleans up
 * if we are killed) is in xsession/; this file only decides.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "control.h"
#include "guard.h"
#include "log.h"
#include "run.h"
#include "screenshot.h"
#include "session.h"
#include "x11-display.h"
#include "xvfb.h"

/* How long CMD may take to end after a signal was passed on. */
#define RUN_KILL_GRACE_MS 10000

struct run {
	struct app *app;
	struct xrfb_timer *kill_timer;
	int signal;		/* the first signal passed on, or 0 */
};

static void on_kill_timer(void *arg)
{
	struct run *r = arg;

	r->kill_timer = NULL;
	if (!r->app->session)
		return;
	log_warn("the command did not end %d s after signal %d: killing it",
		 RUN_KILL_GRACE_MS / 1000, r->signal);
	session_signal(r->app->session, SIGKILL);
}

static void pass_on(struct run *r, int signo)
{
	struct app *app = r->app;

	if (!app->session) {
		app_stop(app, 128 + signo);
		return;
	}
	log_info("passing signal %d on to the command", signo);
	session_signal(app->session, signo);
	if (!r->signal) {
		r->signal = signo;
		r->kill_timer = xrfb_loop_add_timer(app->loop, RUN_KILL_GRACE_MS,
						    on_kill_timer, r);
	}
}

static void on_signal(void *arg, int signo)
{
	pass_on(arg, signo);
}

struct run *run_new(struct app *app)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
	struct run *r = xcalloc(1, sizeof(*r));
	size_t i;

	r->app = app;
	for (i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		if (xrfb_loop_on_signal(app->loop, signals[i], on_signal, r) <
		    0) {
			fprintf(stderr, "xrfb: cannot handle signal %d\n",
				signals[i]);
			free(r);
			return NULL;
		}
	}
	return r;
}

void run_free(struct run *r)
{
	if (!r)
		return;
	if (r->kill_timer)
		xrfb_timer_cancel(r->kill_timer);
	free(r);
}

int run_start(struct run *r)
{
	struct app *app = r->app;
	int status = RUN_EXIT_SETUP;

	app->session = session_start_argv(app->opt.run_argv, &status);
	if (!app->session)
		return status;
	guard_kill_group(app->guard, session_pid(app->session));
	return 0;
}

/* True if the X server is still there: a round trip that must succeed. */
static bool x_alive(struct app *app)
{
	int status;

	if (app->xvfb && xvfb_wait(app->xvfb, 0, &status))
		return false;
	if (!app->display || x11_display_is_lost(app->display))
		return false;
	x11_display_trap(app->display);
	x11_display_untrap(app->display);
	return !x11_display_is_lost(app->display);
}

void run_cmd_exited(struct run *r, int status)
{
	struct app *app = r->app;
	char path[4096];

	log_info("the command ended with status %d", status);
	/* A CMD that lost its display ends too, often before we notice
	 * the X server's end: ask X before taking CMD's word. */
	if (!x_alive(app)) {
		app_stop(app, app->status_x_lost);
		return;
	}
	if (status != 0 && app->opt.screenshot_on_failure &&
	    screenshot_on_failure(app, app->opt.screenshot_on_failure, path,
				  sizeof(path)) == 0)
		control_screenshot(app->control, path);
	app_stop(app, status);
}

void run_stop(struct run *r)
{
	pass_on(r, SIGTERM);
}
