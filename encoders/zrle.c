/* SPDX-License-Identifier: MIT */
/*
 * ZRLE encoding (RFC 6143 §7.7.6): the rectangle in 64 x 64 tiles (see
 * rle-tile.c), deflated through one persistent stream per connection with
 * a sync flush per rectangle. Tiles are deflated in batches as they are
 * produced so the uncompressed data stays in cache; with encoder threads,
 * a large rectangle's tiles are made in bands on all of them, deflated as
 * they come while that is small, in one call (which parallelises too)
 * once it is large. Also provides the rectangle loop
 * ZYWRLE builds on.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rfb-proto.h"
#include "worker.h"
#include "zrle.h"

/* Deflate once this much uncompressed tile data is pending. */
#define ZRLE_BATCH (64 * 1024)
/* libvncserver's ZRLE always uses zlib's default level. */
#define ZRLE_DEFAULT_LEVEL 6

struct encoder *zrle_state_new(const struct encoder_ops *ops)
{
	struct zrle *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	zstream_init(&s->z, 8);
	return &s->base;
}

void zrle_state_free(struct encoder *e)
{
	struct zrle *s = (struct zrle *)e;

	if (!s)
		return;
	zstream_fini(&s->z);
	buf_fini(&s->one.raw);
	for (size_t i = 0; i < s->nbands; i++)
		buf_fini(&s->bands[i].raw);
	free(s->bands);
	free(s);
}

/* Append the tiles of rows y0 .. y0 + h of @r to b->raw. */
static int zrle_rows(const struct zrle *s, struct zrle_band *b,
		     zrle_tile_fn fn, const struct enc_params *p,
		     const struct enc_frame *f, const struct rect *r, int y0,
		     int h)
{
	for (int y = y0; y < y0 + h; y += ZRLE_TILE) {
		int th = y0 + h - y < ZRLE_TILE ? y0 + h - y : ZRLE_TILE;

		for (int x = r->x; x < r->x + r->w; x += ZRLE_TILE) {
			int tw = r->x + r->w - x < ZRLE_TILE ? r->x + r->w - x
							     : ZRLE_TILE;
			int ret;

			pixbuf_fetch(p->pc, b->tile.cpx.shift,
				     f->pixels + (size_t)y * f->stride + x,
				     f->stride, tw, th, b->px, (size_t)tw);
			ret = fn(s, b, b->px, tw, th, &b->raw);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

enum zrle_band_state {
	ZRLE_BAND_PENDING,
	ZRLE_BAND_CLAIMED,
	ZRLE_BAND_DONE,
};

struct zrle_job {
	struct zrle *s;
	zrle_tile_fn fn;
	const struct enc_params *p;
	const struct enc_frame *f;
	const struct rect *r;
	struct buf *out;
	int level;
	size_t nbands;
	atomic_size_t next;		/* next band a helper looks at */
	pthread_mutex_t lock;
	pthread_cond_t done;		/* a band became ZRLE_BAND_DONE */
	size_t deflated;		/* bands task 0 has deflated */
	int ret;			/* task 0's error */
};

static bool zrle_claim(struct zrle_band *b)
{
	int expect = ZRLE_BAND_PENDING;

	return atomic_compare_exchange_strong(&b->state, &expect,
					      ZRLE_BAND_CLAIMED);
}

static void zrle_band_make(struct zrle_job *j, size_t i)
{
	struct zrle_band *b = &j->s->bands[i];
	int y = (int)i * ZRLE_TILE;
	int h = j->r->h - y < ZRLE_TILE ? j->r->h - y : ZRLE_TILE;

	rle_tile_init(&b->tile, j->p->pc);
	b->raw.len = 0;
	b->ret = zrle_rows(j->s, b, j->fn, j->p, j->f, j->r, j->r->y + y, h);
	pthread_mutex_lock(&j->lock);
	atomic_store(&b->state, ZRLE_BAND_DONE);
	pthread_cond_broadcast(&j->done);
	pthread_mutex_unlock(&j->lock);
}

/* Make the next band nobody has taken. False when none is left. */
static bool zrle_help(struct zrle_job *j)
{
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);

		if (i >= j->nbands)
			return false;
		if (zrle_claim(&j->s->bands[i])) {
			zrle_band_make(j, i);
			return true;
		}
	}
}

/* Task 0 deflates the bands in order as they are made, making any that
 * nobody has taken and helping ahead while it waits, so the deflate runs
 * alongside the tiles. It stops once the plaintext looks large enough for
 * zstream_deflate() to parallelise by itself: the caller then deflates
 * the rest in one call, which zstream_deflate() starts afresh (engine
 * choice, parallel pieces) even after bands deflated here. The other
 * tasks make bands ahead. */
static void zrle_task(void *arg, size_t t)
{
	struct zrle_job *j = arg;
	size_t total = 0;

	if (t > 0) {
		while (zrle_help(j))
			;
		return;
	}
	for (size_t i = 0; i < j->nbands; i++) {
		struct zrle_band *b = &j->s->bands[i];

		if (zrle_claim(b))
			zrle_band_make(j, i);
		while (atomic_load(&b->state) != ZRLE_BAND_DONE) {
			if (zrle_help(j))
				continue;
			pthread_mutex_lock(&j->lock);
			while (atomic_load(&b->state) != ZRLE_BAND_DONE)
				pthread_cond_wait(&j->done, &j->lock);
			pthread_mutex_unlock(&j->lock);
		}
		if (b->ret < 0) {
			j->ret = b->ret;
			break;
		}
		total += b->raw.len;
		if (total * j->nbands / (i + 1) >= 2 * ZSTREAM_PARALLEL_MIN)
			break;
		j->ret = zstream_deflate(&j->s->z, j->level, b->raw.data,
					 b->raw.len, Z_NO_FLUSH, j->out);
		if (j->ret < 0)
			break;
		j->deflated = i + 1;
	}
	while (zrle_help(j))
		;
}

/* The tiles of a large rectangle, in bands of one tile row made on all
 * encoder threads; what task 0 has not deflated yet is joined in order
 * into s->one.raw. ZRLE tiles carry nothing over from the tile before, so
 * the plaintext is that of one pass. */
static int zrle_parallel(struct zrle *s, zrle_tile_fn fn,
			 const struct enc_params *p, const struct enc_frame *f,
			 const struct rect *r, int level, struct buf *out)
{
	size_t n = (size_t)((r->h + ZRLE_TILE - 1) / ZRLE_TILE);
	struct zrle_job j = { .s = s, .fn = fn, .p = p, .f = f, .r = r,
			      .out = out, .level = level, .nbands = n };

	if (n > s->nbands) {
		struct zrle_band *nb = realloc(s->bands, n * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		memset(nb + s->nbands, 0, (n - s->nbands) * sizeof(*nb));
		s->bands = nb;
		s->nbands = n;
	}
	for (size_t i = 0; i < n; i++)
		atomic_store(&s->bands[i].state, ZRLE_BAND_PENDING);
	atomic_init(&j.next, 0);
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.done, NULL);
	worker_run(worker_threads(), zrle_task, &j);
	pthread_cond_destroy(&j.done);
	pthread_mutex_destroy(&j.lock);
	if (j.ret < 0)
		return j.ret;
	for (size_t i = j.deflated; i < n; i++) {
		if (s->bands[i].ret < 0)
			return s->bands[i].ret;
		if (buf_append(&s->one.raw, s->bands[i].raw.data,
			       s->bands[i].raw.len) < 0)
			return -ENOMEM;
	}
	return 0;
}

int zrle_encode_rect(struct zrle *s, int32_t type, zrle_tile_fn fn,
		     const struct enc_params *p, const struct enc_frame *f,
		     const struct rect *r, struct buf *out)
{
	int level = zstream_level(p->compress, ZRLE_DEFAULT_LEVEL);
	struct zrle_band *b = &s->one;
	size_t at;
	int band, ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	rle_tile_init(&b->tile, p->pc);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, type) < 0 ||
	    buf_reserve(out, 4) < 0)
		return -ENOMEM;
	at = out->len;
	buf_put_u32(out, 0);
	b->raw.len = 0;
	band = enc_bands(r->w, r->h, ZRLE_TILE);
	if (band) {
		ret = zrle_parallel(s, fn, p, f, r, level, out);
		if (ret < 0)
			return ret;
	}
	for (int y = r->y; !band && y < r->y + r->h; y += ZRLE_TILE) {
		int th = r->y + r->h - y < ZRLE_TILE ? r->y + r->h - y
						     : ZRLE_TILE;

		ret = zrle_rows(s, b, fn, p, f, r, y, th);
		if (ret < 0)
			return ret;
		/* With encoder threads the whole plaintext goes to one final
		 * call, which deflates large inputs in parallel pieces. */
		if (b->raw.len >= ZRLE_BATCH && worker_threads() == 1) {
			ret = zstream_deflate(&s->z, level, b->raw.data,
					      b->raw.len, Z_NO_FLUSH, out);
			if (ret < 0)
				return ret;
			b->raw.len = 0;
		}
	}
	ret = zstream_deflate(&s->z, level, b->raw.data, b->raw.len,
			      Z_SYNC_FLUSH, out);
	if (ret < 0)
		return ret;
	put_u32(out->data + at, (uint32_t)(out->len - at - 4));
	return 1;
}

static int zrle_tile(const struct zrle *s, struct zrle_band *b,
		     uint32_t *px, int tw, int th, struct buf *raw)
{
	return rle_tile_encode(&b->tile, px, tw, th, 0, raw);
}

static int zrle_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	return zrle_encode_rect((struct zrle *)e, RFB_ENC_ZRLE, zrle_tile, p,
				f, r, out);
}

const struct encoder_ops encoder_zrle = {
	.type = RFB_ENC_ZRLE,
	.name = "zrle",
	.new_state = zrle_state_new,
	.free_state = zrle_state_free,
	.encode = zrle_encode,
};
