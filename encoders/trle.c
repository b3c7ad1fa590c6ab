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
static int trle_rows(const void *ctx, void *band, const struct enc_params *p,
		     const struct enc_frame *f, const struct rect *r, int y0,
		     int h, struct buf *out)
{
	struct trle_band *b = band;

	(void)ctx;
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

static int trle_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	struct trle *s = (struct trle *)e;
	int ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_TRLE) < 0)
		return -ENOMEM;
	/* Large: bands of tile rows on all encoder threads, in order. */
	ret = enc_rows_run(&s->bands, &s->one, TRLE_TILE, trle_rows, NULL, p,
			   f, r, out);
	return ret < 0 ? ret : 1;
}

const struct encoder_ops encoder_trle = {
	.type = RFB_ENC_TRLE,
	.name = "trle",
	.new_state = trle_new,
	.free_state = trle_free,
	.encode = trle_encode,
};
