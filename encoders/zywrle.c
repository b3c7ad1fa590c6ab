/* SPDX-License-Identifier: MIT */
/*
 * ZYWRLE encoding (libvncserver's zrle.c and zywrletemplate.c define it;
 * doc/protocol.md, "ZYWRLE"): ZRLE, except that a tile which would go raw
 * is run through a lossy Haar-type wavelet and sent as subencoding 0 followed by
 * a complete ZRLE tile of coefficients. The decoder derives the wavelet
 * level from the QualityLevel it sent, so the level is never on the wire:
 *   server (libvncserver): no quality -> 1, q < 3 -> 3, q < 6 -> 2, else 1
 *   libvncclient:          3 - q / 3 (q = 9 -> 0), no quality -> its q 5
 * They agree for q = 0..8. Where they do not (q = 9, no quality sent) and
 * for pixel formats libvncclient's inverse transform misreads (anything
 * but little-endian 32 bpp with the colour in the low three bytes, or
 * little-endian 565), this encoder uses no wavelet and never emits
 * subencoding 0 either, so every decoder, whatever level it assumes,
 * decodes the tiles losslessly. At 8 bpp it is plain ZRLE, as in
 * libvncserver and libvncclient.
 *
 * The coefficient layout (YUV by the reversible colour transform, in-place
 * interleaved Haar with piecewise-linear lifting, sub-bands sent finest
 * first, unaligned edge pixels last) mirrors libvncclient's
 * zywrleSynthesize, which is what decoders run.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rfb-proto.h"
#include "zrle.h"

enum zywrle_kind {
	ZYWRLE_NONE,		/* lossless: no wavelet, no raw tiles */
	ZYWRLE_32,		/* LE 32 bpp: bytes 0, 1, 2 are B, G, R */
	ZYWRLE_16,		/* LE 565 */
};

struct zywrle {
	struct zrle zrle;	/* first: the rectangle loop's state */
	enum zywrle_kind kind;
	int8_t quant[4][256];	/* dequantised coefficient per input */
};

/*
 * Non-linear quantisation of coefficients, as (quantise, dequantise):
 * y = sign(x) * round(sqrt(q / Q) * 2^(bi-1)) * 2^(8-bi), where
 * q = min(round((|x| / 128)^2 * Q), Q - 1), Q = 2^(bo-1), bi = 5.
 * Table 0 drops the band, 1..3 keep bo = 5, 4, 2 bits.
 */
static void quant_init(int8_t t[256], int bo)
{
	int Q = bo ? 1 << (bo - 1) : 0;

	for (int u = 0; u < 256; u++) {
		int x = (int8_t)u, a = x < 0 ? -x : x, q, s, m;

		if (!Q || x == -128) {
			t[u] = 0;
			continue;
		}
		q = (a * a * Q + 8192) / 16384;
		if (q > Q - 1)
			q = Q - 1;
		s = 256 * q / Q;	/* (16 * sqrt(q / Q))^2 */
		for (m = 0; (m + 1) * (m + 1) <= s; m++)
			;
		if (m * m + m + 1 <= s)	/* round to nearest */
			m++;
		t[u] = (int8_t)(x < 0 ? -m * 8 : m * 8);
	}
}

/* Which table filters channel k (U, Y, V) of the high bands at wavelet
 * step l, for each level. */
static const uint8_t zywrle_param[3][3][3] = {
	{ { 0, 2, 0 }, { 0, 0, 0 }, { 0, 0, 0 } },
	{ { 0, 3, 0 }, { 1, 1, 1 }, { 0, 0, 0 } },
	{ { 0, 3, 0 }, { 2, 2, 2 }, { 1, 1, 1 } },
};

static struct encoder *zywrle_new(const struct encoder_ops *ops)
{
	struct zywrle *s = calloc(1, sizeof(*s));
	static const int bo[4] = { 0, 5, 4, 2 };

	if (!s)
		return NULL;
	s->zrle.base.ops = ops;
	zstream_init(&s->zrle.z, 8);
	for (int i = 0; i < 4; i++)
		quant_init(s->quant[i], bo[i]);
	return &s->zrle.base;
}

/* Piecewise-linear Haar step on one pair, in place; its own inverse.
 * Both branches are computed and selected, as the signs are random. */
static inline void harr(int8_t *p0, int8_t *p1)
{
	int x0 = *p0, x1 = *p1;
	/* Signs differ: x1 += x0, then x0 -= x1 unless x1 changed sign. */
	int a1 = x1 + x0, a0 = ((a1 ^ x1) & 0x80) ? x0 : x0 - a1;
	/* Same sign: x0 -= x1, then x1 += x0 unless x0 changed sign. */
	int b0 = x0 - x1, b1 = ((b0 ^ x0) & 0x80) ? x1 : x1 + b0;
	int differ = (x0 ^ x1) & 0x80;

	*p0 = (int8_t)(differ ? a1 : b1);
	*p1 = (int8_t)(differ ? a0 : b0);
}

/* One wavelet step l over a w x h plane (row stride w). */
static void wavelet_step(int8_t *c, int w, int h, int l)
{
	int d = 1 << l, s = 2 << l;

	for (int y = 0; y < h; y += d) {
		int8_t *row = c + (size_t)y * w;

		for (int x = 0; x + d < w; x += s)
			harr(row + x, row + x + d);
	}
	for (int x = 0; x < w; x += d)
		for (int y = 0; y + d < h; y += s)
			harr(c + (size_t)y * w + x, c + (size_t)(y + d) * w + x);
}

/* Quantise the high bands of step l through table @q (NULL: zero them). */
static void filter_step(int8_t *c, const int8_t *q, int w, int h, int l)
{
	int d = 1 << l, st = 2 << l;

	for (int r = 1; r < 4; r++) {
		int ox = r & 1 ? d : 0, oy = r & 2 ? d : 0;

		for (int y = oy; y < h; y += st) {
			int8_t *row = c + (size_t)y * w;

			if (q)
				for (int x = ox; x < w; x += st)
					row[x] = q[(uint8_t)row[x]];
			else
				for (int x = ox; x < w; x += st)
					row[x] = 0;
		}
	}
}

static inline void load_rgb(enum zywrle_kind k, uint32_t v, int *r, int *g,
			    int *b)
{
	if (k == ZYWRLE_32) {
		*r = (v >> 16) & 0xff;
		*g = (v >> 8) & 0xff;
		*b = v & 0xff;
	} else {
		*r = (v >> 8) & 0xf8;
		*g = (v >> 3) & 0xfc;
		*b = (v << 3) & 0xf8;
	}
}

static inline uint32_t save_rgb(enum zywrle_kind k, int r, int g, int b)
{
	if (k == ZYWRLE_32)
		return (uint32_t)(uint8_t)b | (uint32_t)(uint8_t)g << 8 |
		       (uint32_t)(uint8_t)r << 16;
	r &= 0xf8;
	g &= 0xfc;
	b &= 0xf8;
	return (uint32_t)(((b >> 3) | (g << 3)) & 0xff) |
	       (uint32_t)(r | (g >> 5)) << 8;
}

/* Replace the tw x th tile @px by its coefficients (see the top). */
static void zywrle_analyze(const struct zywrle *s, uint32_t *px, int tw,
			   int th, int level)
{
	/* coefficient planes (U, Y, V) and the unaligned edges */
	int8_t c[3][ZRLE_TILE * ZRLE_TILE];
	uint32_t edge[ZRLE_TILE * ZRLE_TILE];
	int w = tw & ~((1 << level) - 1), h = th & ~((1 << level) - 1);
	int ymask = s->kind == ZYWRLE_16 ? ~3 : ~0;
	int uvmask = s->kind == ZYWRLE_16 ? ~7 : ~0;
	size_t ne = 0, o = 0;
	int x, y, l;

	if (!w || !h)
		return;
	/* Unaligned edges, in the order the decoder puts them back. */
	for (y = 0; y < h; y++)
		for (x = w; x < tw; x++)
			edge[ne++] = px[(size_t)y * tw + x];
	for (y = h; y < th; y++)
		for (x = 0; x < w; x++)
			edge[ne++] = px[(size_t)y * tw + x];
	for (y = h; y < th; y++)
		for (x = w; x < tw; x++)
			edge[ne++] = px[(size_t)y * tw + x];
	/* Reversible colour transform, made lossy to fit 8 bits. */
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			int r, g, b, Y, U, V;
			size_t i = (size_t)y * w + x;

			load_rgb(s->kind, px[(size_t)y * tw + x], &r, &g, &b);
			Y = ((r + (g << 1) + b) >> 2) - 128;
			U = (b - g) >> 1;
			V = (r - g) >> 1;
			Y &= ymask;
			U &= uvmask;
			V &= uvmask;
			if (Y == -128)
				Y += ~ymask + 1;
			if (U == -128)
				U += ~uvmask + 1;
			if (V == -128)
				V += ~uvmask + 1;
			c[0][i] = (int8_t)U;
			c[1][i] = (int8_t)Y;
			c[2][i] = (int8_t)V;
		}
	for (l = 0; l < level; l++)
		for (int k = 0; k < 3; k++) {
			int t = zywrle_param[level - 1][l][k];

			wavelet_step(c[k], w, h, l);
			filter_step(c[k], t ? s->quant[t] : NULL, w, h, l);
		}
	/* Sub-bands finest first (Hxy, Hy, Hx), the last level's L too. */
	for (l = 0; l < level; l++) {
		int d = 1 << l, st = 2 << l;

		for (int r = 3; r >= 0; r--) {
			int ox = r & 1 ? d : 0, oy = r & 2 ? d : 0;

			if (r == 0 && l != level - 1)
				break;
			for (y = oy; y < h; y += st)
				for (x = ox; x < w; x += st) {
					size_t i = (size_t)y * w + x;

					px[o++] = save_rgb(s->kind, c[2][i],
							   c[1][i],
							   c[0][i]);
				}
		}
	}
	memcpy(px + o, edge, ne * sizeof(*px));
}

static int zywrle_tile(const struct zrle *z, struct zrle_band *b,
		       uint32_t *px, int tw, int th, struct buf *raw)
{
	const struct zywrle *s = (const struct zywrle *)z;
	enum rle_mode m;
	int ret;

	m = rle_tile_choose(&b->tile, px, tw, th, z->flags, z->level);
	if (m != RLE_RAW || !z->level)
		return rle_tile_write(&b->tile, px, tw, th, m, raw);
	zywrle_analyze(s, px, tw, th, z->level);
	if (buf_reserve(raw, 1) < 0)
		return -ENOMEM;
	buf_put_u8(raw, 0);
	/* The nested tile is plain ZRLE: the decoder decodes it at level 0
	 * before the inverse transform. */
	m = rle_tile_choose(&b->tile, px, tw, th, 0, 0);
	ret = rle_tile_write(&b->tile, px, tw, th, m, raw);
	return ret;
}

static enum zywrle_kind kind_for(const struct pixconv *pc)
{
	const struct pixfmt *pf = &pc->pf;

	if (pc->colour_map || pf->big_endian)
		return ZYWRLE_NONE;
	if (pf->bpp == 32 &&
	    ((uint64_t)pf->red_max << pf->red_shift |
	     (uint64_t)pf->green_max << pf->green_shift |
	     (uint64_t)pf->blue_max << pf->blue_shift) < (1u << 24))
		return ZYWRLE_32;
	if (pf->bpp == 16 && pf->red_max == 31 && pf->green_max == 63 &&
	    pf->blue_max == 31 && pf->red_shift == 11 &&
	    pf->green_shift == 5 && pf->blue_shift == 0)
		return ZYWRLE_16;
	return ZYWRLE_NONE;
}

static int zywrle_encode(struct encoder *e, const struct enc_params *p,
			 const struct enc_frame *f, const struct rect *r,
			 struct buf *out)
{
	struct zywrle *s = (struct zywrle *)e;
	int q = p->quality;

	s->zrle.flags = 0;
	s->zrle.level = 0;
	if (p->pc->bytes != 1) {
		s->kind = kind_for(p->pc);
		if (s->kind == ZYWRLE_NONE || q < 0 || q > 8)
			s->zrle.flags = RLE_TILE_NO_RAW;
		else
			s->zrle.level = q < 3 ? 3 : q < 6 ? 2 : 1;
	}
	return zrle_encode_rect(&s->zrle, RFB_ENC_ZYWRLE, zywrle_tile, p, f,
				r, out);
}

const struct encoder_ops encoder_zywrle = {
	.type = RFB_ENC_ZYWRLE,
	.name = "zywrle",
	.new_state = zywrle_new,
	.free_state = zrle_state_free,
	.encode = zywrle_encode,
};
