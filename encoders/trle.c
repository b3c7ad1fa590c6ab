/* SPDX-License-Identifier: MIT */
/*
 * TRLE encoding (RFC 6143 §7.7.5): ZRLE's tiles at 16 x 16, not deflated,
 * plus the subencodings 127 and 129 that reuse the previous tile's
 * palette (see rle-tile.c). Stateless between rectangles.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "rfb-proto.h"
#include "rle-tile.h"

#define TRLE_TILE 16

struct trle {
	struct encoder base;
	struct rle_tile tile;
	uint32_t px[TRLE_TILE * TRLE_TILE + 1];
};

static struct encoder *trle_new(const struct encoder_ops *ops)
{
	struct trle *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	return &s->base;
}

static void trle_free(struct encoder *e)
{
	free(e);
}

static int trle_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	struct trle *s = (struct trle *)e;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	rle_tile_init(&s->tile, p->pc);
	rle_tile_start(&s->tile);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_TRLE) < 0)
		return -ENOMEM;
	for (int y = r->y; y < r->y + r->h; y += TRLE_TILE) {
		int th = r->y + r->h - y < TRLE_TILE ? r->y + r->h - y
						     : TRLE_TILE;

		for (int x = r->x; x < r->x + r->w; x += TRLE_TILE) {
			int tw = r->x + r->w - x < TRLE_TILE ? r->x + r->w - x
							     : TRLE_TILE;
			int ret;

			pixbuf_fetch(p->pc, s->tile.cpx.shift,
				     f->pixels + (size_t)y * f->stride + x,
				     f->stride, tw, th, s->px, (size_t)tw);
			ret = rle_tile_encode(&s->tile, s->px, tw, th,
					      RLE_TILE_REUSE, out);
			if (ret < 0)
				return ret;
		}
	}
	return 1;
}

const struct encoder_ops encoder_trle = {
	.type = RFB_ENC_TRLE,
	.name = "trle",
	.new_state = trle_new,
	.free_state = trle_free,
	.encode = trle_encode,
};
