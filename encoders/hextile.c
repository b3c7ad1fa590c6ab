/* SPDX-License-Identifier: MIT */
/*
 * Hextile encoding (RFC 6143 §7.7.4): the rectangle in 16 x 16 tiles, each
 * solid, background plus subrects, or Raw (tiles in hextile-tile.c).
 * Stateless between rectangles: colours carry over only within one.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "hextile-tile.h"
#include "rfb-proto.h"

struct hextile {
	struct encoder base;
	struct hextile_tile tile;
	uint32_t px[HEXTILE_SIZE * HEXTILE_SIZE];
};

static struct encoder *hextile_new(const struct encoder_ops *ops)
{
	struct hextile *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	return &s->base;
}

static void hextile_free(struct encoder *e)
{
	free(e);
}

static int hextile_encode(struct encoder *e, const struct enc_params *p,
			  const struct enc_frame *f, const struct rect *r,
			  struct buf *out)
{
	struct hextile *s = (struct hextile *)e;
	struct pixbuf_fmt pf;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	pixbuf_fmt_pixel(&pf, p->pc);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_HEXTILE) < 0)
		return -ENOMEM;
	hextile_tile_start(&s->tile);
	for (int y = r->y; y < r->y + r->h; y += HEXTILE_SIZE) {
		int th = r->y + r->h - y < HEXTILE_SIZE ? r->y + r->h - y
							: HEXTILE_SIZE;

		/* One row of tiles at a time keeps reallocations rare. */
		if (buf_reserve(out, (size_t)((r->w + HEXTILE_SIZE - 1) /
					      HEXTILE_SIZE) *
					     HEXTILE_TILE_MAX) < 0)
			return -ENOMEM;
		for (int x = r->x; x < r->x + r->w; x += HEXTILE_SIZE) {
			int tw = r->x + r->w - x < HEXTILE_SIZE
					 ? r->x + r->w - x
					 : HEXTILE_SIZE;

			pixbuf_fetch(p->pc, 0,
				     f->pixels + (size_t)y * f->stride + x,
				     f->stride, tw, th, s->px, (size_t)tw);
			out->len += (size_t)hextile_tile_encode(
				&s->tile, s->px, tw, th, &pf,
				out->data + out->len);
		}
	}
	return 1;
}

const struct encoder_ops encoder_hextile = {
	.type = RFB_ENC_HEXTILE,
	.name = "hextile",
	.new_state = hextile_new,
	.free_state = hextile_free,
	.encode = hextile_encode,
};
