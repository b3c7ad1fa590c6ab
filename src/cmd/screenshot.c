/* SPDX-License-Identifier: MIT */
/*
 * screenshot: the served framebuffer (what viewers see, without the
 * cursor) as an 8-bit RGB PNG, written with libpng. The screen is
 * captured first, so the file shows the screen of the moment even when
 * no viewer asked for updates.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HAVE_PNG
#include <png.h>
#endif

#include "buf.h"
#include "log.h"
#include "screenshot.h"
#include "x11-cursor.h"
#include "x11-display.h"

#ifdef HAVE_PNG
/* Write @w x @h XRGB8888 pixels to @f. */
static int write_png(FILE *f, const uint32_t *pixels, size_t stride,
		     unsigned w, unsigned h)
{
	png_structp png;
	png_infop info;
	uint8_t *volatile row = NULL;
	const uint32_t *src;
	unsigned x, y;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL,
				      NULL);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		free(row);
		png_destroy_write_struct(&png, &info);
		return -EIO;
	}
	png_init_io(png, f);
	/* Screens compress well at a low level; speed matters more. */
	png_set_compression_level(png, 3);
	png_set_IHDR(png, info, w, h, 8, PNG_COLOR_TYPE_RGB,
		     PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	row = xmalloc((size_t)w * 3);
	for (y = 0; y < h; y++) {
		src = (const uint32_t *)((const uint8_t *)pixels + y * stride);
		for (x = 0; x < w; x++) {
			row[3 * x] = (uint8_t)(src[x] >> 16);
			row[3 * x + 1] = (uint8_t)(src[x] >> 8);
			row[3 * x + 2] = (uint8_t)src[x];
		}
		png_write_row(png, row);
	}
	png_write_end(png, NULL);
	free(row);
	png_destroy_write_struct(&png, &info);
	return 0;
}
#endif

int screenshot_write_png(const char *path, const uint32_t *pixels,
			 size_t stride, unsigned width, unsigned height)
{
#ifdef HAVE_PNG
	size_t n = strlen(path) + 32;
	char *tmp = xmalloc(n);
	FILE *f;
	int r;

	snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
	f = fopen(tmp, "wbe");
	if (!f) {
		r = -errno;
		free(tmp);
		return r;
	}
	r = write_png(f, pixels, stride, width, height);
	if (fclose(f) != 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
#else
	(void)path;
	(void)pixels;
	(void)stride;
	(void)width;
	(void)height;
	return -ENOTSUP;
#endif
}

int screenshot_write(struct app *app, const char *path, bool cursor)
{
	uint16_t w = xrfb_server_width(app->server);
	uint16_t h = xrfb_server_height(app->server);
	const uint32_t *pixels;
	uint32_t *copy = NULL;
	bool alive;
	size_t stride;
	int r;

	alive = app_capture_now(app);
	if (!alive)
		log_warn("screenshot: the display is gone; writing the last "
			 "screen seen");
	pixels = xrfb_server_pixels(app->server, &stride);
	if (cursor && alive && app->cursor) {
		/* The served pixels never hold the cursor: a copy does. */
		copy = xmalloc((size_t)w * h * 4);
		for (unsigned y = 0; y < h; y++)
			memcpy(copy + (size_t)y * w,
			       (const uint8_t *)pixels + y * stride,
			       (size_t)w * 4);
		if (x11_cursor_draw(app->cursor, copy, (size_t)w * 4, w, h) < 0)
			log_debug("%s: no visible cursor to draw", __func__);
		pixels = copy;
		stride = (size_t)w * 4;
	}
	r = screenshot_write_png(path, pixels, stride, w, h);
	free(copy);
	if (!r)
		log_info("screenshot written to %s", path);
	return r;
}

int screenshot_on_failure(struct app *app, const char *dir, char *path,
			  size_t size)
{
	const char *dpy = x11_display_name(app->display);
	int r;

	if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
		r = -errno;
		log_error("cannot create %s: %s", dir, strerror(errno));
		return r;
	}
	snprintf(path, size, "%s/xrfb-%s-%ld.png", dir,
		 dpy[0] == ':' ? dpy + 1 : dpy, (long)getpid());
	r = screenshot_write(app, path, false);
	if (r < 0)
		log_error("cannot write the screenshot %s: %s", path,
			  strerror(-r));
	else
		log_warn("the command failed: its screen is in %s", path);
	return r;
}
