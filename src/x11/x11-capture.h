/* SPDX-License-Identifier: MIT */
/* Reads pixels of the root window (MIT-SHM or XGetImage) into the server. */
#ifndef XRFB_X11_CAPTURE_H
#define XRFB_X11_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "region.h"
#include "x11-display.h"
#include "xrfb.h"

struct x11_capture;

/* Capture from @d's root window into @s; NULL if the visual cannot be
 * read at all (the reason is logged). */
struct x11_capture *x11_capture_new(struct x11_display *d,
				    struct xrfb_server *s);
/* Release the shared memory and free the capture. */
void x11_capture_free(struct x11_capture *c);
/* Read one rectangle of the screen and push it to the server. */
int x11_capture_grab(struct x11_capture *c, int x, int y, int w, int h);
/* Read every rectangle of @r (clipped to the screen) and push them all
 * with one xrfb_server_update_many(), so moves between them are found. */
int x11_capture_grab_region(struct x11_capture *c, region_t *r);
/* Read a rectangle (inside the screen) as XRGB8888 into @dst, rows
 * @stride bytes apart, without pushing it anywhere. */
int x11_capture_read(struct x11_capture *c, int x, int y, int w, int h,
		     uint32_t *dst, size_t stride);
/* Read the whole screen, push the tiles that differ from the server's
 * copy and add them to @changed. */
int x11_capture_scan(struct x11_capture *c, region_t *changed);
/* Follow a new root window size (re-creates the shared memory). */
int x11_capture_resize(struct x11_capture *c, int width, int height);

#endif
