/* SPDX-License-Identifier: MIT */
/* The control socket: requests of `xrfb ctl` and the event stream. */
#ifndef XRFB_CONTROL_H
#define XRFB_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "app.h"

/* Serve the control socket of @app (--control, or the default path for
 * its display). NULL on failure (one line about it is printed). */
struct control *control_new(struct app *app);
/* Send what is still queued (briefly), close every connection, remove
 * the socket. NULL is ignored, as by every function below. */
void control_free(struct control *ctl);
/* The socket's path, or NULL without a control socket. */
const char *control_path(const struct control *ctl);
/* The private directory (mode 0700) of our sockets in @dir:
 * $XDG_RUNTIME_DIR/xrfb, or /tmp/xrfb-UID; with @create, it is made.
 * 0 or -errno (-EPERM: it exists but is not ours alone). */
int control_runtime_dir(char *dir, size_t size, bool create);
/* The default path for @display: $XDG_RUNTIME_DIR/xrfb/N.sock (or
 * /tmp/xrfb-UID/N.sock) for ":N"; with @create, the directory is made.
 * 0 or -errno. */
int control_default_path(const char *display, char *out, size_t size,
			 bool create);

/* Events, sent to every `ctl events` connection. */
void control_viewer_ready(struct control *ctl, struct xrfb_client *c);
void control_viewer_gone(struct control *ctl, struct xrfb_client *c);
void control_clipboard(struct control *ctl, size_t len);
void control_session_exited(struct control *ctl, int status);
void control_x_lost(struct control *ctl);
/* The display is back (--reattach), @width x @height. */
void control_x_back(struct control *ctl, const char *display, int width,
		    int height);
/* The server is about to be freed, and with it the connections out that
 * "connect" requests still wait for. */
void control_server_ending(struct control *ctl);
void control_screenshot(struct control *ctl, const char *path);
/* A recording into @path started or stopped (NULL @path: none). */
void control_recording(struct control *ctl, bool started, const char *path);

#endif
