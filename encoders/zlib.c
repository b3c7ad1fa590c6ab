/* SPDX-License-Identifier: MIT */
/*
 * Zlib encoding (rfbproto §zlib): Raw pixels through one persistent
 * deflate stream per connection, a sync flush per rectangle. Large
 * rectangles are cut into bands of at least two rows and about 32 K pixels
 * (as libvncserver's zlib.c does, keeping clients' buffers small); tiny
 * ones go out as Raw. Never sends a zero-area rectangle. With encoder
 * threads the bands of a large rectangle are deflated in parallel runs
 * (zstream_deflate_rects): the same bands, one stream.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "encpool.h"
#include "pixbuf.h"
#include "rfb-proto.h"
#include "zstream.h"

#define ZLIB_BAND_PIXELS (128 * 256)
#define ZLIB_MIN_BYTES 17	/* below this, Raw is smaller */
#define ZLIB_DEFAULT_LEVEL 5

struct zlib_enc {
	struct encoder base;
	struct zstream z;
	uint32_t *px;		/* one band as values */
	uint8_t *raw;		/* one band on the wire */
	size_t cap;		/* pixels */
	/* The parallel path: every band's end in raw, and its output. */
	size_t *ends;
	struct buf *outs;
	size_t nbands;
};

static struct encoder *zlib_new(const struct encoder_ops *ops)
{
	struct zlib_enc *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	zstream_init(&s->z, MAX_MEM_LEVEL);
	return &s->base;
}

static void zlib_free(struct encoder *e)
{
	struct zlib_enc *s = (struct zlib_enc *)e;

	if (!s)
		return;
	zstream_fini(&s->z);
	free(s->px);
	free(s->raw);
	for (size_t i = 0; i < s->nbands; i++)
		buf_fini(&s->outs[i]);
	free(s->outs);
	free(s->ends);
	free(s);
}

static int zlib_band(struct zlib_enc *s, const struct enc_params *p,
		     const struct pixbuf_fmt *pf, int level,
		     const struct enc_frame *f, const struct rect *r,
		     struct buf *out)
{
	size_t n = (size_t)r->w * (size_t)r->h, len, at;
	uint8_t *end;
	int ret;

	if (n * (size_t)pf->bytes < ZLIB_MIN_BYTES)
		return enc_put_raw(p, f, r, out);
	pixbuf_fetch(p->pc, 0, f->pixels + (size_t)r->y * f->stride + r->x,
		     f->stride, r->w, r->h, s->px, (size_t)r->w);
	end = pixbuf_put_n(s->raw, s->px, n, pf->kind);
	len = (size_t)(end - s->raw);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_ZLIB) < 0 ||
	    buf_reserve(out, 4) < 0)
		return -ENOMEM;
	at = out->len;
	buf_put_u32(out, 0);
	ret = zstream_deflate(&s->z, level, s->raw, len, Z_SYNC_FLUSH, out);
	if (ret < 0)
		return ret;
	put_u32(out->data + at, (uint32_t)(out->len - at - 4));
	return 1;
}

/* Room for @px pixels in px and raw. */
static int zlib_reserve(struct zlib_enc *s, size_t px)
{
	uint32_t *npx;
	uint8_t *raw;

	if (px <= s->cap)
		return 0;
	npx = realloc(s->px, px * sizeof(*npx));
	if (!npx)
		return -ENOMEM;
	s->px = npx;
	raw = realloc(s->raw, px * 4);
	if (!raw)
		return -ENOMEM;
	s->raw = raw;
	s->cap = px;
	return 0;
}

/* All bands of @r at once, deflated in parallel runs. */
static int zlib_parallel(struct zlib_enc *s, const struct enc_params *p,
			 const struct pixbuf_fmt *pf, int level,
			 const struct enc_frame *f, const struct rect *r,
			 int lines, struct buf *out)
{
	size_t n = (size_t)((r->h + lines - 1) / lines);
	size_t row = (size_t)r->w * (size_t)pf->bytes;
	int ret;

	if (zlib_reserve(s, (size_t)r->w * (size_t)r->h) < 0)
		return -ENOMEM;
	if (n > s->nbands) {
		size_t *ends = realloc(s->ends, n * sizeof(*ends));
		struct buf *outs;

		if (!ends)
			return -ENOMEM;
		s->ends = ends;
		outs = realloc(s->outs, n * sizeof(*outs));
		if (!outs)
			return -ENOMEM;
		memset(outs + s->nbands, 0, (n - s->nbands) * sizeof(*outs));
		s->outs = outs;
		s->nbands = n;
	}
	pixbuf_fetch(p->pc, 0, f->pixels + (size_t)r->y * f->stride + r->x,
		     f->stride, r->w, r->h, s->px, (size_t)r->w);
	pixbuf_put_n(s->raw, s->px, (size_t)r->w * (size_t)r->h, pf->kind);
	for (size_t i = 0; i < n; i++) {
		int end = (int)(i + 1) * lines;

		s->ends[i] = (size_t)(end < r->h ? end : r->h) * row;
		s->outs[i].len = 0;
	}
	ret = zstream_deflate_rects(&s->z, level, s->raw, s->ends, n, s->outs);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < n; i++) {
		int y = (int)i * lines;
		int h = r->h - y < lines ? r->h - y : lines;

		if (enc_put_header(out, r->x, r->y + y, r->w, h,
				   RFB_ENC_ZLIB) < 0 ||
		    buf_reserve(out, 4 + s->outs[i].len) < 0)
			return -ENOMEM;
		buf_put_u32(out, (uint32_t)s->outs[i].len);
		buf_put_mem(out, s->outs[i].data, s->outs[i].len);
	}
	return (int)n;
}

static int zlib_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	struct zlib_enc *s = (struct zlib_enc *)e;
	int level = zstream_level(p->compress, ZLIB_DEFAULT_LEVEL);
	int lines, count = 0;
	struct pixbuf_fmt pf;
	size_t need;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	lines = ZLIB_BAND_PIXELS / r->w;
	if (lines < 2)
		lines = 2;
	if (lines > r->h)
		lines = r->h;
	pixbuf_fmt_pixel(&pf, p->pc);
	if (lines < r->h && encpool_split(r->w, r->h))
		return zlib_parallel(s, p, &pf, level, f, r, lines, out);
	need = (size_t)lines * (size_t)r->w;
	if (zlib_reserve(s, need) < 0)
		return -ENOMEM;
	for (int y = r->y; y < r->y + r->h; y += lines) {
		struct rect band = { r->x, y, r->w, lines };
		int ret;

		if (band.h > r->y + r->h - y)
			band.h = r->y + r->h - y;
		ret = zlib_band(s, p, &pf, level, f, &band, out);
		if (ret < 0)
			return ret;
		count += ret;
	}
	return count;
}

const struct encoder_ops encoder_zlib = {
	.type = RFB_ENC_ZLIB,
	.name = "zlib",
	.new_state = zlib_new,
	.free_state = zlib_free,
	.encode = zlib_encode,
};
