/* SPDX-License-Identifier: MIT */
/*
 * TRLE encoding (RFC 6143 §7.7.5): ZRLE's tiles at 16 x 16, not deflated,
 * plus the subencodings 127 and 129 that reuse the previous tile's
 * palette (see rle-tile.c). Stateless between rectangles. Large
 * rectangles are encoded in bands of tile rows on all encoder threads,
 * each band starting with no palette to reuse (a few bytes more).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "rfb-proto.h"
#include "rle-tile.h"

#define TRLE_TILE 16

/* What one band of tile rows needs of its own. */
struct trle_band {
	struct enc_band base;	/* on the parallel path */
	struct rle_tile tile;
	uint32_t px[TRLE_TILE * TRLE_TILE + 1];
};

struct trle {
	struct encoder base;
	struct trle_band one;		/* the single-thread path */
	struct enc_bandset bands;	/* large rects on several threads */
};

static struct encoder *trle_new(const struct encoder_ops *ops)
{
	struct trle *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	s->bands.size = sizeof(struct trle_band);
	return &s->base;
}

static void trle_free(struct encoder *e)
{
	struct trle *s = (struct trle *)e;

	if (!s)
		return;
	enc_bandset_fini(&s->bands);
	free(s);
}

/* Append the tiles of rows y0 .. y0 + h of @r; a band reuses only its own
 * palettes, so it decodes the same wherever it follows. */
static int trle_rows(struct trle_band *b, const struct enc_params *p,
		     const struct enc_frame *f, const struct rect *r, int y0,
		     int h, struct buf *out)
{
	rle_tile_init(&b->tile, p->pc);
	rle_tile_start(&b->tile);
	for (int y = y0; y < y0 + h; y += TRLE_TILE) {
		int th = y0 + h - y < TRLE_TILE ? y0 + h - y : TRLE_TILE;

		for (int x = r->x; x < r->x + r->w; x += TRLE_TILE) {
			int tw = r->x + r->w - x < TRLE_TILE ? r->x + r->w - x
							     : TRLE_TILE;
			int ret;

			pixbuf_fetch(p->pc, b->tile.cpx.shift,
				     f->pixels + (size_t)y * f->stride + x,
				     f->stride, tw, th, b->px, (size_t)tw);
			ret = rle_tile_encode(&b->tile, b->px, tw, th,
					      RLE_TILE_REUSE, out);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

struct trle_job {
	struct trle *s;
	const struct enc_params *p;
	const struct enc_frame *f;
	const struct rect *r;
	int band;
};

static void trle_band_run(void *arg, size_t i)
{
	const struct trle_job *j = arg;
	struct trle_band *b = enc_band_at(&j->s->bands, i);
	int y, h = enc_band_rows(j->r->h, j->band, i, &y);

	b->base.out.len = 0;
	b->base.ret = trle_rows(b, j->p, j->f, j->r, j->r->y + y, h,
				&b->base.out);
}

static int trle_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	struct trle *s = (struct trle *)e;
	int band, ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_TRLE) < 0)
		return -ENOMEM;
	band = enc_bands(r->w, r->h, TRLE_TILE);
	if (band) {
		/* Bands of tile rows on all encoder threads, in order. */
		struct trle_job j = { s, p, f, r, band };

		ret = enc_bandset_run(&s->bands,
				      (size_t)((r->h + band - 1) / band),
				      trle_band_run, &j, out);
	} else
		ret = trle_rows(&s->one, p, f, r, r->y, r->h, out);
	return ret < 0 ? ret : 1;
}

const struct encoder_ops encoder_trle = {
	.type = RFB_ENC_TRLE,
	.name = "trle",
	.new_state = trle_new,
	.free_state = trle_free,
	.encode = trle_encode,
};
