/* SPDX-License-Identifier: MIT */
/* Recording the served screen into an FBS file. */
#ifndef XRFB_RECORD_H
#define XRFB_RECORD_H

#include "app.h"

/* Start recording @app's screen into @path (FBS 001.001, see fbs.c):
 * the whole screen now, then what changed, a block at most every
 * RECORD_INTERVAL_MS. With @window_s, only the last @window_s seconds
 * are kept, in a ring of files @path.partN until the end (record.c).
 * NULL on failure (logged). */
struct record *record_start(struct app *app, const char *path,
			    unsigned window_s);
/* Record the last changes and free. With @keep, the recording is left
 * at its path (a ring written into it); without, removed. */
void record_stop(struct record *r, bool keep);
/* The file being written. */
const char *record_path(const struct record *r);

#endif
