/* SPDX-License-Identifier: MIT */
/*
 * Hextile encoding (RFC 6143 §7.7.4): the rectangle in 16 x 16 tiles, each
 * solid, background plus subrects, or Raw (tiles in hextile-tile.c).
 * Stateless between rectangles: colours carry over only within one. Large
 * rectangles are encoded in bands of tile rows on all encoder threads,
 * each band starting without carried-over colours (a few bytes more).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "hextile-tile.h"
#include "rfb-proto.h"

/* What one band of tile rows needs of its own. */
struct hextile_band {
	struct enc_band base;	/* on the parallel path */
	struct hextile_tile tile;
	uint32_t px[HEXTILE_SIZE * HEXTILE_SIZE];
};

struct hextile {
	struct encoder base;
	struct hextile_band one;	/* the single-thread path */
	struct enc_bandset bands;	/* large rects on several threads */
};

static struct encoder *hextile_new(const struct encoder_ops *ops)
{
	struct hextile *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	s->bands.size = sizeof(struct hextile_band);
	return &s->base;
}

static void hextile_free(struct encoder *e)
{
	struct hextile *s = (struct hextile *)e;

	if (!s)
		return;
	enc_bandset_fini(&s->bands);
	free(s);
}

/* Append rows y .. y + h of @r as tiles, colours carried over from the
 * band's previous tile only: a band starts afresh, so it decodes the same
 * wherever it follows. */
static int hextile_rows(const void *ctx, void *band,
			const struct enc_params *p, const struct enc_frame *f,
			const struct rect *r, int y0, int h, struct buf *out)
{
	const struct pixbuf_fmt *pf = ctx;
	struct hextile_band *b = band;

	hextile_tile_start(&b->tile);
	for (int y = y0; y < y0 + h; y += HEXTILE_SIZE) {
		int th = y0 + h - y < HEXTILE_SIZE ? y0 + h - y : HEXTILE_SIZE;

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
				     f->stride, tw, th, b->px, (size_t)tw);
			out->len += (size_t)hextile_tile_encode(
				&b->tile, b->px, tw, th, pf,
				out->data + out->len);
		}
	}
	return 0;
}

static int hextile_encode(struct encoder *e, const struct enc_params *p,
			  const struct enc_frame *f, const struct rect *r,
			  struct buf *out)
{
	struct hextile *s = (struct hextile *)e;
	struct pixbuf_fmt pf;
	int ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	pixbuf_fmt_pixel(&pf, p->pc);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_HEXTILE) < 0)
		return -ENOMEM;
	/* Large: bands of tile rows on all encoder threads, in order. */
	ret = enc_rows_run(&s->bands, &s->one, HEXTILE_SIZE, hextile_rows, &pf,
			   p, f, r, out);
	return ret < 0 ? ret : 1;
}

const struct encoder_ops encoder_hextile = {
	.type = RFB_ENC_HEXTILE,
	.name = "hextile",
	.new_state = hextile_new,
	.free_state = hextile_free,
	.encode = hextile_encode,
};
