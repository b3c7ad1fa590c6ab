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
static int hextile_rows(struct hextile_band *b, const struct enc_params *p,
			const struct pixbuf_fmt *pf, const struct enc_frame *f,
			const struct rect *r, int y0, int h, struct buf *out)
{
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

struct hextile_job {
	struct hextile *s;
	const struct enc_params *p;
	const struct pixbuf_fmt *pf;
	const struct enc_frame *f;
	const struct rect *r;
	int band;
};

static void hextile_band_run(void *arg, size_t i)
{
	const struct hextile_job *j = arg;
	struct hextile_band *b = enc_band_at(&j->s->bands, i);
	int y, h = enc_band_rows(j->r->h, j->band, i, &y);

	b->base.out.len = 0;
	b->base.ret = hextile_rows(b, j->p, j->pf, j->f, j->r, j->r->y + y, h,
				   &b->base.out);
}

static int hextile_encode(struct encoder *e, const struct enc_params *p,
			  const struct enc_frame *f, const struct rect *r,
			  struct buf *out)
{
	struct hextile *s = (struct hextile *)e;
	struct pixbuf_fmt pf;
	int band, ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	pixbuf_fmt_pixel(&pf, p->pc);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_HEXTILE) < 0)
		return -ENOMEM;
	band = enc_bands(r->w, r->h, HEXTILE_SIZE);
	if (band) {
		/* Bands of tile rows on all encoder threads, in order. */
		struct hextile_job j = { s, p, &pf, f, r, band };

		ret = enc_bandset_run(&s->bands,
				      (size_t)((r->h + band - 1) / band),
				      hextile_band_run, &j, out);
	} else
		ret = hextile_rows(&s->one, p, &pf, f, r, r->y, r->h, out);
	return ret < 0 ? ret : 1;
}

const struct encoder_ops encoder_hextile = {
	.type = RFB_ENC_HEXTILE,
	.name = "hextile",
	.new_state = hextile_new,
	.free_state = hextile_free,
	.encode = hextile_encode,
};
