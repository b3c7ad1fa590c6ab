/* SPDX-License-Identifier: MIT */
/* The program's state, shared by main.c (the wiring), run.c, control.c
 * and ready.c. Each module owns the fields it is named after. */
#ifndef XRFB_APP_H
#define XRFB_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "sec-setup.h"
#include "xrfb.h"

struct app {
	struct options opt;
	struct xrfb_loop *loop;
	struct guard *guard;
	struct xvfb *xvfb;
	struct session *session;
	char *session_cmd;
	/* The default desktop's window manager, beside its terminal,
	 * started once the terminal's window is mapped. */
	struct session *wm;
	const char *wm_name;
	char *wm_cmd;
	struct x11_mapwait *wm_wait;
	struct x11_display *display;
	struct xrfb_server *server;
	struct sec_setup sec;
	struct x11_capture *capture;
	struct x11_damage *damage;
	struct x11_input *input;
	struct x11_cursor *cursor;
	struct x11_randr *randr;
	struct x11_xkb *xkb;
	struct x11_clipboard *clipboard;
	struct run *run;
	struct control *control;
	struct record *record;
	/* --reattach: the display was lost at x_lost_ms; its modules are
	 * freed (app->display stays, lost, until another is open) and
	 * x_retry tries to open it again. */
	struct xrfb_timer *x_retry;
	uint64_t x_lost_ms;
	char *password;
	char *view_password;	/* the password file's second one */
	unsigned clients;
	bool stopping;
	int status;
	/* Exit statuses for failures: 1, or run's own (see run.h). */
	int status_setup, status_x_start, status_x_lost;
	/* Bound before anything else starts; announced once ready. */
	const char *bound[OPTIONS_MAX_LISTEN];
	unsigned n_bound;
	uint16_t port;
	uint16_t ws_port;		/* 0: no WebSocket listener */
	const char *web_root;		/* NULL: no files served */
	char view_token[132];		/* "": none */
	/* Unix sockets and sockets from systemd, announced as they are. */
	char other[OPTIONS_MAX_LISTEN][128];
	unsigned n_other;
	int inetd_fd;		/* --inetd: the one connection */
};

/* Stop the loop with @status (the first call wins). */
void app_stop(struct app *app, int status);
/* End as asked from outside (the control's "stop"): with run, end CMD
 * as SIGTERM would; otherwise stop with status 0. */
void app_request_stop(struct app *app);
/* Bring the server's copy of the screen up to date now (for
 * screenshots); false if the display is gone. */
bool app_capture_now(struct app *app);

#endif
