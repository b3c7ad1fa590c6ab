/* SPDX-License-Identifier: MIT */
/*
 * RRE encoding (RFC 6143 §7.7.3): a background pixel and a list of
 * single-coloured subrectangles with 16-bit coordinates. Stateless apart
 * from scratch buffers. When RRE would not be smaller than Raw, the
 * rectangle goes out as Raw instead (as libvncserver's rre.c does), so an
 * RRE client never receives more than Raw would cost.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "pixbuf.h"
#include "rfb-proto.h"
#include "subrect.h"

#define RRE_CHUNK 1024		/* subrects found per search call */

struct rre {
	struct encoder base;
	uint32_t *px;		/* the rectangle as pixel values */
	size_t cap;
	struct palette pal;
	struct subrect sr[RRE_CHUNK];
};

static struct encoder *rre_new(const struct encoder_ops *ops)
{
	struct rre *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	return &s->base;
}

static void rre_free(struct encoder *e)
{
	struct rre *s = (struct rre *)e;

	if (!s)
		return;
	free(s->px);
	free(s);
}

static int rre_encode(struct encoder *e, const struct enc_params *p,
		      const struct enc_frame *f, const struct rect *r,
		      struct buf *out)
{
	struct rre *s = (struct rre *)e;
	struct pixbuf_fmt pf;
	size_t n = (size_t)r->w * (size_t)r->h, raw, start, count_at;
	long pos = 0, total = 0, budget, runs;
	uint32_t bg;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	pixbuf_fmt_pixel(&pf, p->pc);
	raw = n * (size_t)pf.bytes;
	if (raw <= 4 + (size_t)pf.bytes)
		return enc_put_raw(p, f, r, out);
	if (n > s->cap) {
		uint32_t *px = realloc(s->px, n * sizeof(*px));

		if (!px)
			return -ENOMEM;
		s->px = px;
		s->cap = n;
	}
	pixbuf_fetch(p->pc, 0, f->pixels + (size_t)r->y * f->stride + r->x,
		     f->stride, r->w, r->h, s->px, (size_t)r->w);
	bg = subrect_background(&s->pal, s->px, r->w, r->w, r->h, &runs);
	/* Subrects that keep the data no larger than Raw's. */
	budget = (long)((raw - 4 - (size_t)pf.bytes) / ((size_t)pf.bytes + 8));
	/* Many runs: count the subrects that are certainly needed, and
	 * skip the search when they are too many. */
	if (runs > budget &&
	    subrect_corners(s->px, r->w, r->w, r->h, bg) > budget)
		return enc_put_raw(p, f, r, out);

	start = out->len;
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_RRE) < 0 ||
	    buf_reserve(out, 4 + (size_t)pf.bytes) < 0)
		return -ENOMEM;
	count_at = out->len;
	buf_put_u32(out, 0);
	out->len = (size_t)(pixbuf_put(out->data + out->len, bg, pf.kind) -
			    out->data);
	while (pos < (long)n) {
		long room = budget - total;
		int k = subrect_find(s->px, r->w, r->w, r->h, bg, s->sr,
				     room < RRE_CHUNK ? (int)room : RRE_CHUNK,
				     &pos);
		uint8_t *d;

		if (pos < (long)n && total + k >= budget) {
			out->len = start;
			return enc_put_raw(p, f, r, out);
		}
		if (buf_reserve(out, (size_t)k * ((size_t)pf.bytes + 8)) < 0)
			return -ENOMEM;
		d = out->data + out->len;
		for (int i = 0; i < k; i++) {
			d = pixbuf_put(d, s->sr[i].colour, pf.kind);
			put_u16(d, s->sr[i].x);
			put_u16(d + 2, s->sr[i].y);
			put_u16(d + 4, s->sr[i].w);
			put_u16(d + 6, s->sr[i].h);
			d += 8;
		}
		out->len = (size_t)(d - out->data);
		total += k;
	}
	put_u32(out->data + count_at, (uint32_t)total);
	return 1;
}

const struct encoder_ops encoder_rre = {
	.type = RFB_ENC_RRE,
	.name = "rre",
	.new_state = rre_new,
	.free_state = rre_free,
	.encode = rre_encode,
};
