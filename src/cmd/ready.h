/* SPDX-License-Identifier: MIT */
/* The ready record: one JSON object saying where everything is. */
#ifndef XRFB_READY_H
#define XRFB_READY_H

#include "app.h"
#include "buf.h"

/* The browser's URL on @hostport ("127.0.0.1:5900", "[::1]:5900"):
 * noVNC's page, view-only through the view token if there is one. */
void ready_web_url(const struct app *app, const char *hostport, char *out,
		   size_t size);
/* Append the ready record of @app, whose control socket is @control (or
 * NULL): one JSON object, no newline. */
void ready_record(struct app *app, const char *control, struct buf *b);
/* Write the record to --ready-fd (then closed) and --ready-file (to a
 * temporary file renamed into place). 0 or -errno (logged). */
int ready_write(struct app *app, const char *control);

#endif
