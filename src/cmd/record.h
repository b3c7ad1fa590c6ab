/* SPDX-License-Identifier: MIT */
/* Recording the served screen into an FBS file. */
#ifndef XRFB_RECORD_H
#define XRFB_RECORD_H

#include "app.h"

/* Start recording @app's screen into @path (FBS 001.001, see fbs.c):
 * the whole screen now, then what changed, a block at most every
 * RECORD_INTERVAL_MS. NULL on failure (logged). */
struct record *record_start(struct app *app, const char *path);
/* Record the last changes, close the file and free. */
void record_stop(struct record *r);
/* Keep only the last @seconds of the recording at @path (the screen as
 * it was then, whole, and what followed, times counted from there). 0 or
 * -errno; the file is left as it was on failure. */
int record_trim(const char *path, unsigned seconds);
/* The file being written. */
const char *record_path(const struct record *r);

#endif
