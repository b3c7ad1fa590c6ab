/* SPDX-License-Identifier: MIT */
/*
 * CoRRE encoding (rfbproto §CoRRE): RRE with 8-bit subrectangle
 * coordinates, so the rectangle is cut into pieces of at most
 * CORRE_PIECE x CORRE_PIECE pixels, each sent as its own CoRRE rectangle,
 * or as Raw when CoRRE would not be smaller. Stateless apart from scratch
 * buffers. The pieces are independent, so a large rectangle's rows of
 * pieces are encoded on all encoder threads and joined in order: the
 * output is the same as on one thread.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "pixbuf.h"
#include "rfb-proto.h"
#include "subrect.h"

/* Piece size; must stay <= 255. libvncserver uses 48. */
#define CORRE_PIECE 48
#define CORRE_MAX_SUB (CORRE_PIECE * CORRE_PIECE)

/* Scratch space for one band of rows of pieces. */
struct corre_band {
	struct enc_band base;	/* on the parallel path */
	uint32_t px[CORRE_PIECE * CORRE_PIECE];
	struct palette pal;
	struct subrect sr[CORRE_MAX_SUB];
};

struct corre {
	struct encoder base;
	struct corre_band one;		/* the single-thread path */
	struct enc_bandset bands;	/* large rects on several threads */
};

static struct encoder *corre_new(const struct encoder_ops *ops)
{
	struct corre *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	s->bands.size = sizeof(struct corre_band);
	return &s->base;
}

static void corre_free(struct encoder *e)
{
	struct corre *s = (struct corre *)e;

	if (!s)
		return;
	enc_bandset_fini(&s->bands);
	free(s);
}

static int corre_piece(struct corre_band *s, const struct enc_params *p,
		       const struct pixbuf_fmt *pf, const struct enc_frame *f,
		       const struct rect *r, struct buf *out)
{
	size_t n = (size_t)r->w * (size_t)r->h;
	size_t raw = n * (size_t)pf->bytes;
	long pos = 0, budget, runs;
	uint32_t bg;
	uint8_t *d;
	int k;

	if (raw <= 4 + (size_t)pf->bytes)
		return enc_put_raw(p, f, r, out);
	pixbuf_fetch(p->pc, 0, f->pixels + (size_t)r->y * f->stride + r->x,
		     f->stride, r->w, r->h, s->px, (size_t)r->w);
	bg = subrect_background(&s->pal, s->px, r->w, r->w, r->h, &runs);
	budget = (long)((raw - 4 - (size_t)pf->bytes) /
			((size_t)pf->bytes + 4));
	/* Many runs: count the subrects that are certainly needed, and
	 * skip the search when they are too many. */
	if (runs > budget &&
	    subrect_corners(s->px, r->w, r->w, r->h, bg) > budget)
		return enc_put_raw(p, f, r, out);
	k = subrect_find(s->px, r->w, r->w, r->h, bg, s->sr, (int)budget,
			 &pos);
	if (pos < (long)n)
		return enc_put_raw(p, f, r, out);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_CORRE) < 0 ||
	    buf_reserve(out, 4 + (size_t)pf->bytes +
				     (size_t)k * ((size_t)pf->bytes + 4)) < 0)
		return -ENOMEM;
	buf_put_u32(out, (uint32_t)k);
	d = pixbuf_put(out->data + out->len, bg, pf->kind);
	for (int i = 0; i < k; i++) {
		d = pixbuf_put(d, s->sr[i].colour, pf->kind);
		d[0] = (uint8_t)s->sr[i].x;
		d[1] = (uint8_t)s->sr[i].y;
		d[2] = (uint8_t)s->sr[i].w;
		d[3] = (uint8_t)s->sr[i].h;
		d += 4;
	}
	out->len = (size_t)(d - out->data);
	return 1;
}

/* The pieces of rows y0 .. y0 + h of @r; returns the rectangles written
 * or -errno. */
static int corre_rows(const void *ctx, void *band, const struct enc_params *p,
		      const struct enc_frame *f, const struct rect *r, int y0,
		      int h, struct buf *out)
{
	const struct pixbuf_fmt *pf = ctx;
	struct corre_band *b = band;
	int count = 0;

	for (int y = y0; y < y0 + h; y += CORRE_PIECE) {
		for (int x = r->x; x < r->x + r->w; x += CORRE_PIECE) {
			struct rect piece = { x, y, CORRE_PIECE, CORRE_PIECE };
			int ret;

			if (piece.w > r->x + r->w - x)
				piece.w = r->x + r->w - x;
			if (piece.h > y0 + h - y)
				piece.h = y0 + h - y;
			ret = corre_piece(b, p, pf, f, &piece, out);
			if (ret < 0)
				return ret;
			count += ret;
		}
	}
	return count;
}

static int corre_encode(struct encoder *e, const struct enc_params *p,
			const struct enc_frame *f, const struct rect *r,
			struct buf *out)
{
	struct corre *s = (struct corre *)e;
	struct pixbuf_fmt pf;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	pixbuf_fmt_pixel(&pf, p->pc);
	return enc_rows_run(&s->bands, &s->one, CORRE_PIECE, corre_rows, &pf,
			    p, f, r, out);
}

const struct encoder_ops encoder_corre = {
	.type = RFB_ENC_CORRE,
	.name = "corre",
	.new_state = corre_new,
	.free_state = corre_free,
	.encode = corre_encode,
};
