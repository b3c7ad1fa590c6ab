/* SPDX-License-Identifier: MIT */
/*
 * record: the served framebuffer as a recording. Every RECORD_INTERVAL_MS
 * the screen is captured into the server's copy; the tiles that differ
 * from the last recorded frame go into one FramebufferUpdate block of the
 * FBS file (fbs.c), written at once, so a recording that is cut short
 * still plays up to its last block. A quiet screen writes nothing.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fbs.h"
#include "log.h"
#include "record.h"
#include "x11-display.h"

#define RECORD_INTERVAL_MS 100
#define RECORD_TILE 64

struct record {
	struct app *app;
	struct fbs_writer w;
	char *path;
	struct xrfb_timer *timer;
	uint32_t *prev;		/* the last recorded frame */
	uint16_t width, height;
	bool failed;
};

static bool tile_differs(const struct record *r, const uint32_t *cur,
			 size_t stride, int x, int y, int w, int h)
{
	const uint32_t *a, *b;
	int j;

	for (j = 0; j < h; j++) {
		a = (const uint32_t *)((const uint8_t *)cur +
				       (size_t)(y + j) * stride) + x;
		b = r->prev + (size_t)(y + j) * r->width + x;
		if (memcmp(a, b, (size_t)w * 4))
			return true;
	}
	return false;
}

static void remember(struct record *r, const uint32_t *cur, size_t stride,
		     int x, int y, int w, int h)
{
	int j;

	for (j = 0; j < h; j++)
		memcpy(r->prev + (size_t)(y + j) * r->width + x,
		       (const uint8_t *)cur + (size_t)(y + j) * stride +
			       (size_t)x * 4,
		       (size_t)w * 4);
}

/* Write what changed since the last block (everything after a resize);
 * with @last, a block even if nothing changed. */
static int record_changes(struct record *r, bool last)
{
	struct xrfb_server *s = r->app->server;
	uint16_t width = xrfb_server_width(s), height = xrfb_server_height(s);
	const uint32_t *cur;
	size_t stride;
	int x, y, run, th, err;

	cur = xrfb_server_pixels(s, &stride);
	fbs_writer_begin(&r->w);
	if (width != r->width || height != r->height || !r->prev) {
		free(r->prev);
		r->prev = xcalloc((size_t)width * height, 4);
		r->width = width;
		r->height = height;
		fbs_writer_resize(&r->w, width, height);
		err = fbs_writer_rect(&r->w, cur, stride, 0, 0, width, height);
		if (err)
			return err;
		remember(r, cur, stride, 0, 0, width, height);
		return fbs_writer_end(&r->w, last);
	}
	for (y = 0; y < height; y += RECORD_TILE) {
		th = height - y < RECORD_TILE ? height - y : RECORD_TILE;
		/* Runs of changed tiles in a row of tiles: one rectangle. */
		for (x = 0; x < width;) {
			if (!tile_differs(r, cur, stride, x, y,
					  width - x < RECORD_TILE ? width - x
								  : RECORD_TILE,
					  th)) {
				x += RECORD_TILE;
				continue;
			}
			run = x;
			while (run < width &&
			       tile_differs(r, cur, stride, run, y,
					    width - run < RECORD_TILE
						    ? width - run
						    : RECORD_TILE,
					    th))
				run += RECORD_TILE;
			if (run > width)
				run = width;
			err = fbs_writer_rect(&r->w,
					      (const uint32_t *)((const uint8_t *)
						      cur + (size_t)y * stride) +
						      x,
					      stride, (uint16_t)x, (uint16_t)y,
					      (uint16_t)(run - x), (uint16_t)th);
			if (err)
				return err;
			remember(r, cur, stride, x, y, run - x, th);
			x = run;
		}
	}
	return fbs_writer_end(&r->w, last);
}

static void capture_and_record(struct record *r, bool last)
{
	int err;

	if (r->failed)
		return;
	app_capture_now(r->app);
	err = record_changes(r, last);
	if (err) {
		log_error("recording into %s failed: %s; recording stopped",
			  r->path, strerror(-err));
		r->failed = true;
	}
}

static void on_timer(void *arg)
{
	struct record *r = arg;

	r->timer = NULL;
	capture_and_record(r, false);
	if (!r->failed)
		r->timer = xrfb_loop_add_timer(r->app->loop, RECORD_INTERVAL_MS,
					       on_timer, r);
}

struct record *record_start(struct app *app, const char *path)
{
	struct record *r = xcalloc(1, sizeof(*r));
	const char *name = x11_display_name(app->display);
	int err;

	r->app = app;
	r->path = xstrdup(path);
	err = fbs_writer_open(&r->w, path, xrfb_server_width(app->server),
			      xrfb_server_height(app->server), name);
	if (err) {
		log_error("cannot record into %s: %s", path, strerror(-err));
		free(r->path);
		free(r);
		return NULL;
	}
	capture_and_record(r, false);
	r->timer = xrfb_loop_add_timer(app->loop, RECORD_INTERVAL_MS, on_timer,
				       r);
	log_info("recording into %s", path);
	return r;
}

void record_stop(struct record *r)
{
	if (!r)
		return;
	if (r->timer)
		xrfb_timer_cancel(r->timer);
	/* The last block marks the end, changes or not. */
	capture_and_record(r, true);
	fbs_writer_close(&r->w);
	log_info("recording %s ended", r->path);
	free(r->prev);
	free(r->path);
	free(r);
}

const char *record_path(const struct record *r)
{
	return r ? r->path : NULL;
}

/* Write the frame @d shows, whole, as a block at @ms. */
static int write_whole(struct fbs_writer *w, const struct fbs_decoder *d,
		       uint32_t ms)
{
	int err;

	fbs_writer_begin(w);
	fbs_writer_resize(w, d->width, d->height);
	err = fbs_writer_rect(w, d->fb, (size_t)d->width * 4, 0, 0, d->width,
			      d->height);
	return err ? err : fbs_writer_end_at(w, true, ms);
}

/* Write what changed in @d since its damage was last taken, at @ms. */
static int write_damage(struct fbs_writer *w, struct fbs_decoder *d,
			uint32_t ms, bool always)
{
	int err = 0;

	if (d->resized)
		return write_whole(w, d, ms);
	fbs_writer_begin(w);
	if (d->dx0 < d->dx1)
		err = fbs_writer_rect(w, d->fb + (size_t)d->dy0 * d->width +
					      d->dx0,
				      (size_t)d->width * 4, (uint16_t)d->dx0,
				      (uint16_t)d->dy0,
				      (uint16_t)(d->dx1 - d->dx0),
				      (uint16_t)(d->dy1 - d->dy0));
	return err ? err : fbs_writer_end_at(w, always, ms);
}

static void take_damage(struct fbs_decoder *d)
{
	d->resized = false;
	d->dx0 = d->dx1 = 0;
}

/* The time of the last block of @path; 0 or -errno. */
static int last_time(const char *path, uint32_t *last)
{
	struct fbs_reader rd;
	struct buf b = BUF_INIT;
	uint32_t ms;
	int r;

	r = fbs_reader_open(&rd, path);
	if (r < 0)
		return r;
	*last = 0;
	while ((r = fbs_reader_next(&rd, &b, &ms)) > 0)
		*last = ms;
	fbs_reader_close(&rd);
	buf_fini(&b);
	return r;
}

int record_trim(const char *path, unsigned seconds)
{
	struct fbs_writer w = { .fd = -1 };
	struct fbs_reader rd;
	struct fbs_decoder d;
	struct buf b = BUF_INIT;
	uint32_t last, cut, ms;
	size_t n = strlen(path) + 16;
	char *tmp;
	int r;

	r = last_time(path, &last);
	if (r < 0)
		return r;
	if (last <= seconds * 1000u)
		return 0;	/* nothing to cut */
	cut = last - seconds * 1000u;
	r = fbs_reader_open(&rd, path);
	if (r < 0)
		return r;
	tmp = xmalloc(n);
	snprintf(tmp, n, "%s.trim", path);
	fbs_decoder_init(&d);
	while ((r = fbs_reader_next(&rd, &b, &ms)) > 0) {
		/* The screen as it was at the cut, whole, is the start. */
		if (ms >= cut && w.fd < 0) {
			if (!d.fb) {
				r = -EPROTO;
				break;
			}
			r = fbs_writer_open(&w, tmp, d.width, d.height,
					    "xrfb");
			if (!r)
				r = write_whole(&w, &d, 0);
			if (r)
				break;
			take_damage(&d);
		}
		if (fbs_decoder_feed(&d, b.data, b.len) < 0) {
			r = -EPROTO;
			break;
		}
		if (ms >= cut) {
			/* the last block marks the end, as recorded */
			r = write_damage(&w, &d, ms - cut, ms == last);
			if (r)
				break;
		}
		take_damage(&d);
	}
	if (w.fd >= 0)
		fbs_writer_close(&w);
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	fbs_decoder_fini(&d);
	fbs_reader_close(&rd);
	buf_fini(&b);
	free(tmp);
	return r;
}
