/* SPDX-License-Identifier: MIT */
/* PNG screenshots of the served framebuffer. */
#ifndef XRFB_SCREENSHOT_H
#define XRFB_SCREENSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"

/* Bring the framebuffer up to date with the screen and write it to @path
 * as a PNG (through a temporary file renamed into place), with the
 * cursor drawn in if @cursor. 0 or -errno (-ENOTSUP without libpng). */
int screenshot_write(struct app *app, const char *path, bool cursor);
/* Write @width x @height XRGB8888 @pixels (rows @stride bytes apart) to
 * @path as a PNG, through a temporary file renamed into place. */
int screenshot_write_png(const char *path, const uint32_t *pixels,
			 size_t stride, unsigned width, unsigned height);
/* The screenshot of a failed CMD, in @dir (created if missing), its path
 * put in @path and logged. 0 or -errno (logged). */
int screenshot_on_failure(struct app *app, const char *dir, char *path,
			  size_t size);

#endif
