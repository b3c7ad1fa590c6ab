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
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "encpool.h"
#include "rfb-proto.h"
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

/* A large rectangle's bands of one tile row, made on all encoder
 * threads (encpool.h) and deflated in order as they come. */
struct zrle_job {
	struct zrle *s;
	zrle_tile_fn fn;
	const struct enc_params *p;
	const struct enc_frame *f;
	const struct rect *r;
	struct buf *out;
	int level;
	size_t nbands;
	size_t total;			/* plaintext seen so far */
};

static void zrle_band_make(void *arg, size_t i, unsigned thread)
{
	struct zrle_job *j = arg;
	struct zrle_band *b = &j->s->bands[i];
	int y = (int)i * ZRLE_TILE;
	int h = j->r->h - y < ZRLE_TILE ? j->r->h - y : ZRLE_TILE;

	rle_tile_init(&b->tile, j->p->pc);
	b->raw.len = 0;
	b->ret = zrle_rows(j->s, b, j->fn, j->p, j->f, j->r, j->r->y + y, h);
}

/* Deflate band @i as it comes, so the deflate runs alongside the tiles,
 * until the plaintext looks large enough for zstream_deflate() to
 * parallelise by itself: the caller then deflates the rest in one call,
 * which zstream_deflate() starts afresh (engine choice, parallel pieces)
 * even after bands deflated here. */
static int zrle_band_deflate(void *arg, size_t i)
{
	struct zrle_job *j = arg;
	struct zrle_band *b = &j->s->bands[i];
	int ret;

	if (b->ret < 0)
		return b->ret;
	j->total += b->raw.len;
	if (j->total * j->nbands / (i + 1) >= 2 * ZSTREAM_PARALLEL_MIN)
		return ENCPOOL_STOP;
	ret = zstream_deflate(&j->s->z, j->level, b->raw.data, b->raw.len,
			      Z_NO_FLUSH, j->out);
	return ret < 0 ? ret : 0;
}

static const struct encpool_ops zrle_band_ops = {
	.prepare = zrle_band_make,
	.consume = zrle_band_deflate,
};

/* The tiles of a large rectangle, in bands of one tile row; what was not
 * deflated yet is joined in order into s->one.raw. ZRLE tiles carry
 * nothing over from the tile before, so the plaintext is that of one
 * pass. */
static int zrle_parallel(struct zrle *s, zrle_tile_fn fn,
			 const struct enc_params *p, const struct enc_frame *f,
			 const struct rect *r, int level, struct buf *out)
{
	size_t n = (size_t)((r->h + ZRLE_TILE - 1) / ZRLE_TILE);
	struct zrle_job j = { .s = s, .fn = fn, .p = p, .f = f, .r = r,
			      .out = out, .level = level, .nbands = n };
	ssize_t deflated;

	if (n > s->nbands) {
		struct zrle_band *nb = realloc(s->bands, n * sizeof(*nb));

		if (!nb)
			return -ENOMEM;
		memset(nb + s->nbands, 0, (n - s->nbands) * sizeof(*nb));
		s->bands = nb;
		s->nbands = n;
	}
	deflated = encpool_run(&zrle_band_ops, &j, n);
	if (deflated < 0)
		return (int)deflated;
	for (size_t i = (size_t)deflated; i < n; i++) {
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
	band = encpool_bands(r->w, r->h, ZRLE_TILE);
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
		if (b->raw.len >= ZRLE_BATCH && encpool_threads() == 1) {
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
