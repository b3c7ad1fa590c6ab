/* SPDX-License-Identifier: MIT */
/* WebM files of VP8 video (libvpx), for exporting recordings. */
#ifndef XRFB_WEBM_H
#define XRFB_WEBM_H

#include <stddef.h>
#include <stdint.h>

struct webm;

/* Start a WebM file at @path of @width x @height video. NULL with *err
 * set (-ENOTSUP: built without libvpx). */
struct webm *webm_open(const char *path, unsigned width, unsigned height,
		       int *err);
/* Add a frame of XRGB8888 @pixels (rows @stride bytes apart) shown from
 * @ms to @ms + @duration_ms. 0 or -errno. */
int webm_frame(struct webm *m, const uint32_t *pixels, size_t stride,
	       uint64_t ms, uint64_t duration_ms);
/* Finish and write the file (its duration: @end_ms); free. 0 or -errno
 * (the file is removed on failure). */
int webm_close(struct webm *m, uint64_t end_ms);

#endif
