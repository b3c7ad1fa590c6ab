/* SPDX-License-Identifier: MIT */
/*
 * record: the served framebuffer as a recording. Every RECORD_INTERVAL_MS
 * the screen is captured into the server's copy; the tiles that differ
 * from the last recorded frame go into one FramebufferUpdate block of the
 * FBS file (fbs.c), written at once, so a recording that is cut short
 * still plays up to its last block. A quiet screen writes nothing.
 *
 * With a window (--record-last N) the recording is a ring on disk instead:
 * parts FILE.partK, each an FBS file of its own that starts with the whole
 * screen (a key frame), a new one every max(N/4, 1) seconds; a part is
 * removed as soon as the next one starts N seconds or more before now. So
 * the ring always holds the last N seconds, and at most N plus one part's
 * length, in at most RECORD_MAX_PARTS files; memory holds one frame.
 * When recording ends, record_stop() writes FILE from the ring: the
 * screen as it was N seconds before the end, whole, then what followed,
 * re-encoded into one stream; or only removes the parts.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fbs.h"
#include "log.h"
#include "record.h"
#include "x11-display.h"

#define RECORD_INTERVAL_MS 100
#define RECORD_TILE 64
/* The ring: a part lasts a quarter of the window, at least this long. */
#define RECORD_PART_MIN_MS 1000
#define RECORD_PART_SHARE 4
/* Parts a window needs at most: RECORD_PART_SHARE, and the current one. */
#define RECORD_MAX_PARTS (RECORD_PART_SHARE + 1)

struct record_part {
	uint64_t start_ms;	/* of its writer (xrfb_now_ms()) */
	unsigned seq;		/* its file is PATH.partSEQ */
};

/* The last frame written into a recording: what changes is written. */
struct record_frame {
	uint32_t *px;		/* width * height; NULL: none yet */
	uint16_t width, height;
};

struct record {
	struct app *app;
	struct fbs_writer w;
	char *path;
	struct xrfb_timer *timer;
	struct record_frame frame;
	bool failed;
	/* The ring (window_ms > 0): parts[nparts - 1] is being written. */
	uint32_t window_ms, part_ms;
	struct record_part parts[RECORD_MAX_PARTS];
	unsigned nparts, next_seq;
};

static bool tile_differs(const struct record_frame *f, const uint32_t *cur,
			 size_t stride, int x, int y, int w, int h)
{
	const uint32_t *a, *b;
	int j;

	for (j = 0; j < h; j++) {
		a = (const uint32_t *)((const uint8_t *)cur +
				       (size_t)(y + j) * stride) + x;
		b = f->px + (size_t)(y + j) * f->width + x;
		if (memcmp(a, b, (size_t)w * 4))
			return true;
	}
	return false;
}

static void remember(struct record_frame *f, const uint32_t *cur,
		     size_t stride, int x, int y, int w, int h)
{
	int j;

	for (j = 0; j < h; j++)
		memcpy(f->px + (size_t)(y + j) * f->width + x,
		       (const uint8_t *)cur + (size_t)(y + j) * stride +
			       (size_t)x * 4,
		       (size_t)w * 4);
}

/* Add to the update @w is building what of @cur (@width x @height, rows
 * @stride bytes apart) differs from @f, and take it into @f: runs of
 * changed tiles in a row of tiles, each one rectangle; the whole screen
 * and its size the first time and after a resize. */
static int write_changes(struct fbs_writer *w, struct record_frame *f,
			 const uint32_t *cur, size_t stride, uint16_t width,
			 uint16_t height)
{
	int x, y, run, th, err;

	if (width != f->width || height != f->height || !f->px) {
		free(f->px);
		f->px = xcalloc((size_t)width * height, 4);
		f->width = width;
		f->height = height;
		fbs_writer_resize(w, width, height);
		err = fbs_writer_rect(w, cur, stride, 0, 0, width, height);
		if (!err)
			remember(f, cur, stride, 0, 0, width, height);
		return err;
	}
	for (y = 0; y < height; y += RECORD_TILE) {
		th = height - y < RECORD_TILE ? height - y : RECORD_TILE;
		for (x = 0; x < width;) {
			if (!tile_differs(f, cur, stride, x, y,
					  width - x < RECORD_TILE ? width - x
								  : RECORD_TILE,
					  th)) {
				x += RECORD_TILE;
				continue;
			}
			run = x;
			while (run < width &&
			       tile_differs(f, cur, stride, run, y,
					    width - run < RECORD_TILE
						    ? width - run
						    : RECORD_TILE,
					    th))
				run += RECORD_TILE;
			if (run > width)
				run = width;
			err = fbs_writer_rect(w,
					      (const uint32_t *)((const uint8_t *)
						      cur + (size_t)y * stride) +
						      x,
					      stride, (uint16_t)x, (uint16_t)y,
					      (uint16_t)(run - x), (uint16_t)th);
			if (err)
				return err;
			remember(f, cur, stride, x, y, run - x, th);
			x = run;
		}
	}
	return 0;
}

/* Write what changed since the last block (everything after a resize);
 * with @last, a block even if nothing changed. */
static int record_changes(struct record *r, bool last)
{
	struct xrfb_server *s = r->app->server;
	const uint32_t *cur;
	size_t stride;
	int err;

	cur = xrfb_server_pixels(s, &stride);
	fbs_writer_begin(&r->w);
	err = write_changes(&r->w, &r->frame, cur, stride,
			    xrfb_server_width(s), xrfb_server_height(s));
	return err ? err : fbs_writer_end(&r->w, last);
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

static void part_path(const struct record *r, unsigned seq, char *out,
		      size_t size)
{
	snprintf(out, size, "%s.part%u", r->path, seq);
}

/* Start the next part of the ring: a file of its own, a fresh zlib
 * stream, and the whole screen as its first block. */
static int ring_open_part(struct record *r)
{
	const char *name = x11_display_is_lost(r->app->display)
				   ? "xrfb"
				   : x11_display_name(r->app->display);
	struct record_part *p;
	char path[4200];
	int err;

	part_path(r, r->next_seq, path, sizeof(path));
	err = fbs_writer_open(&r->w, path, xrfb_server_width(r->app->server),
			      xrfb_server_height(r->app->server), name);
	if (err) {
		log_error("cannot record into %s: %s", path, strerror(-err));
		return err;
	}
	p = &r->parts[r->nparts++];
	p->start_ms = r->w.start_ms;
	p->seq = r->next_seq++;
	free(r->frame.px);
	r->frame.px = NULL;	/* the next block is a key frame */
	return 0;
}

static void ring_drop_oldest(struct record *r)
{
	char path[4200];

	part_path(r, r->parts[0].seq, path, sizeof(path));
	if (unlink(path) < 0 && errno != ENOENT)
		log_warn("cannot remove %s: %s", path, strerror(errno));
	r->nparts--;
	memmove(&r->parts[0], &r->parts[1], r->nparts * sizeof(r->parts[0]));
}

/* Time for a new part: close this one, open the next, and drop the
 * parts the window no longer needs (the next part starts far enough
 * back to cover it). */
static int ring_rotate(struct record *r)
{
	uint64_t now = xrfb_now_ms();

	if (now - r->parts[r->nparts - 1].start_ms < r->part_ms)
		return 0;
	fbs_writer_close(&r->w);
	while (r->nparts >= RECORD_MAX_PARTS ||
	       (r->nparts >= 2 &&
		r->parts[1].start_ms + r->window_ms <= now))
		ring_drop_oldest(r);
	return ring_open_part(r);
}

static void on_timer(void *arg)
{
	struct record *r = arg;

	r->timer = NULL;
	if (r->window_ms && !r->failed && ring_rotate(r) < 0)
		r->failed = true;
	capture_and_record(r, false);
	if (!r->failed)
		r->timer = xrfb_loop_add_timer(r->app->loop, RECORD_INTERVAL_MS,
					       on_timer, r);
}

struct record *record_start(struct app *app, const char *path,
			    unsigned window_s)
{
	struct record *r = xcalloc(1, sizeof(*r));
	const char *name = x11_display_name(app->display);
	int err;

	r->app = app;
	r->path = xstrdup(path);
	r->window_ms = window_s * 1000u;
	if (r->window_ms) {
		r->part_ms = r->window_ms / RECORD_PART_SHARE;
		if (r->part_ms < RECORD_PART_MIN_MS)
			r->part_ms = RECORD_PART_MIN_MS;
		err = ring_open_part(r);
	} else {
		err = fbs_writer_open(&r->w, path,
				      xrfb_server_width(app->server),
				      xrfb_server_height(app->server), name);
		if (err)
			log_error("cannot record into %s: %s", path,
				  strerror(-err));
	}
	if (err) {
		free(r->path);
		free(r);
		return NULL;
	}
	capture_and_record(r, false);
	r->timer = xrfb_loop_add_timer(app->loop, RECORD_INTERVAL_MS, on_timer,
				       r);
	if (r->window_ms)
		log_info("recording the last %u s into %s (a ring of parts "
			 "%s.partN meanwhile)", window_s, path, path);
	else
		log_info("recording into %s", path);
	return r;
}

const char *record_path(const struct record *r)
{
	return r ? r->path : NULL;
}

/* ---- the ring into one file ------------------------------------------------ */

struct ring_out {
	struct fbs_writer w;
	struct record_frame frame;	/* the last frame written */
	bool shown;		/* the decoder has had a frame */
};

/* Write the frame @d shows as a block at @ms, as much as changed. */
static int ring_write_block(struct ring_out *o, const struct fbs_decoder *d,
			    uint32_t ms, bool always)
{
	int err;

	fbs_writer_begin(&o->w);
	err = write_changes(&o->w, &o->frame, d->fb, (size_t)d->width * 4,
			    d->width, d->height);
	return err ? err : fbs_writer_end_at(&o->w, always, ms);
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

/* Feed block @b (at @t ms since the first part started) to @d, writing
 * into @o (the file @out, opened when first needed) what falls at or
 * after @cut; the first block at or after it is preceded by the screen
 * as it was at @cut. @last: the recording's last block, written even if
 * nothing changed. */
static int ring_copy_block(struct ring_out *o, struct fbs_decoder *d,
			   const struct buf *b, uint64_t t, uint64_t cut,
			   bool last, const char *out)
{
	int err;

	if (t >= cut && o->w.fd < 0 && o->shown) {
		err = fbs_writer_open(&o->w, out, d->width, d->height, "xrfb");
		if (!err)
			err = ring_write_block(o, d, 0, true);
		if (err)
			return err;
	}
	if (fbs_decoder_feed(d, b->data, b->len) < 0)
		return -EPROTO;
	o->shown = true;
	if (t < cut)
		return 0;
	if (o->w.fd < 0) {
		err = fbs_writer_open(&o->w, out, d->width, d->height, "xrfb");
		if (err)
			return err;
	}
	return ring_write_block(o, d, (uint32_t)(t - cut), last);
}

/* Feed part @i of the ring through ring_copy_block(). @end: the time of
 * the last block of the last part. */
static int ring_copy_part(struct record *r, unsigned i, struct fbs_decoder *d,
			  struct ring_out *o, const char *out, uint64_t cut,
			  uint64_t end)
{
	uint64_t base = r->parts[i].start_ms - r->parts[0].start_ms, t;
	struct fbs_reader rd;
	struct buf b = BUF_INIT;
	unsigned n = 0;
	char path[4200];
	uint32_t ms;
	int err;

	part_path(r, r->parts[i].seq, path, sizeof(path));
	err = fbs_reader_open(&rd, path);
	if (err < 0)
		return err;
	while ((err = fbs_reader_next(&rd, &b, &ms)) > 0) {
		t = base + ms;
		if (n++ == 0) {
			/* The handshake: the first part's makes the screen,
			 * the others' is the same again with a new zlib
			 * stream. */
			if (i > 0) {
				fbs_decoder_new_stream(d);
			} else if (fbs_decoder_feed(d, b.data, b.len) < 0) {
				err = -EPROTO;
				break;
			}
			continue;
		}
		err = ring_copy_block(o, d, &b, t, cut,
				      t == end && i + 1 == r->nparts, out);
		if (err)
			break;
	}
	fbs_reader_close(&rd);
	buf_fini(&b);
	return err;
}

/* Write the last window_ms of the ring into r->path (through a temporary
 * file renamed into place). 0 or -errno. */
static int ring_write(struct record *r)
{
	struct ring_out o = { .w = { .fd = -1 } };
	struct fbs_decoder d;
	uint64_t end, cut;
	uint32_t last;
	size_t n = strlen(r->path) + 16;
	char *tmp, path[4200];
	int err = 0;

	part_path(r, r->parts[r->nparts - 1].seq, path, sizeof(path));
	err = last_time(path, &last);
	if (err < 0)
		return err;
	end = r->parts[r->nparts - 1].start_ms - r->parts[0].start_ms + last;
	cut = end > r->window_ms ? end - r->window_ms : 0;
	tmp = xmalloc(n);
	snprintf(tmp, n, "%s.tmp", r->path);
	fbs_decoder_init(&d);
	for (unsigned i = 0; i < r->nparts && !err; i++)
		err = ring_copy_part(r, i, &d, &o, tmp, cut, end);
	if (o.w.fd >= 0)
		fbs_writer_close(&o.w);
	else if (!err)
		err = -ENODATA;
	free(o.frame.px);
	if (!err && rename(tmp, r->path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	fbs_decoder_fini(&d);
	free(tmp);
	return err;
}

void record_stop(struct record *r, bool keep)
{
	int err = 0;

	if (!r)
		return;
	if (r->timer)
		xrfb_timer_cancel(r->timer);
	/* The last block marks the end, changes or not. */
	capture_and_record(r, true);
	fbs_writer_close(&r->w);
	if (r->window_ms && keep) {
		err = ring_write(r);
		if (err)
			log_error("cannot write %s from the parts of its ring: "
				  "%s; the parts are kept", r->path,
				  strerror(-err));
	}
	if (r->window_ms && !err)
		while (r->nparts)
			ring_drop_oldest(r);
	if (!keep && !r->window_ms && unlink(r->path) < 0)
		log_warn("cannot remove %s: %s", r->path, strerror(errno));
	if (keep)
		log_info("recording %s ended", r->path);
	else
		log_info("recording %s ended and not kept", r->path);
	free(r->frame.px);
	free(r->path);
	free(r);
}
