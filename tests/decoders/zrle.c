/* SPDX-License-Identifier: MIT */
/*
 * ZRLE/TRLE decoder from the spec, for tests (see zrle.h). CPIXEL: when the
 * format is true colour, 32 bpp, depth <= 24 and the colour bits fit in
 * the three least or most significant bytes, a CPIXEL is those three bytes
 * of the pixel as it is on the wire; when both fit, the least significant
 * for little-endian and the most significant for big-endian formats (the
 * convention of the libvncserver and TigerVNC decoders).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zrle.h"

struct zrle_dec {
	z_stream zs;
	bool ready;
	uint8_t *buf;
	size_t cap;
};

struct cur {
	const uint8_t *p;
	size_t len, pos;
};

struct fmt {
	int bpp;		/* bytes per pixel on the wire */
	int cpx;		/* bytes per CPIXEL */
	int offset;		/* where a 3-byte CPIXEL goes in the pixel */
};

struct zrle_dec *zrle_dec_new(void)
{
	return calloc(1, sizeof(struct zrle_dec));
}

void zrle_dec_free(struct zrle_dec *d)
{
	if (!d)
		return;
	if (d->ready)
		inflateEnd(&d->zs);
	free(d->buf);
	free(d);
}

__attribute__((format(printf, 3, 4)))
static long fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static void fmt_init(struct fmt *f, const struct pixfmt *pf)
{
	uint64_t used = (uint64_t)pf->red_max << pf->red_shift |
			(uint64_t)pf->green_max << pf->green_shift |
			(uint64_t)pf->blue_max << pf->blue_shift;
	bool ls = used < (1u << 24), ms = (used & 0xff) == 0;

	f->bpp = pf->bpp / 8;
	f->cpx = f->bpp;
	f->offset = 0;
	if (!pf->true_colour || pf->bpp != 32 || pf->depth > 24 || (!ls && !ms))
		return;
	f->cpx = 3;
	/* Wire bytes 0-2 hold the LS bytes of a little-endian pixel and the
	 * MS bytes of a big-endian one. */
	if (pf->big_endian)
		f->offset = ms ? 0 : 1;
	else
		f->offset = ls ? 0 : 1;
}

/* Read a CPIXEL as a wire-order pixel into @px. */
static bool get_cpixel(struct cur *c, const struct fmt *f, uint8_t px[4])
{
	if (c->len - c->pos < (size_t)f->cpx)
		return false;
	memset(px, 0, 4);
	memcpy(px + (f->cpx == 3 ? f->offset : 0), c->p + c->pos,
	       (size_t)f->cpx);
	c->pos += (size_t)f->cpx;
	return true;
}

static bool get_u8(struct cur *c, unsigned *v)
{
	if (c->pos >= c->len)
		return false;
	*v = c->p[c->pos++];
	return true;
}

static bool get_runlen(struct cur *c, long *run)
{
	unsigned b;

	*run = 1;
	do {
		if (!get_u8(c, &b))
			return false;
		*run += b;
	} while (b == 255);
	return true;
}

static inline void put(uint8_t *fb, size_t stride, const struct fmt *f,
		       int x, int y, const uint8_t px[4])
{
	memcpy(fb + (size_t)y * stride + (size_t)x * f->bpp, px,
	       (size_t)f->bpp);
}

struct tile_state {
	uint8_t pal[128][4];
	int size;		/* 0: no palette to reuse (TRLE) */
};

static long tile(struct cur *c, bool trle, const struct fmt *f,
		 struct tile_state *ts, uint8_t *fb, size_t stride, int tx,
		 int ty, int tw, int th, char *err, size_t errlen)
{
	unsigned sub, psize = 0;
	bool rle, reuse = false;
	uint8_t px[4];
	long n = (long)tw * th;

	if (!get_u8(c, &sub))
		return fail(err, errlen, "short tile");
	rle = sub & 128;
	if (sub == 0) {
		for (int j = 0; j < th; j++)
			for (int i = 0; i < tw; i++) {
				if (!get_cpixel(c, f, px))
					return fail(err, errlen, "short raw");
				put(fb, stride, f, tx + i, ty + j, px);
			}
		ts->size = 0;
		return 0;
	}
	if (sub == 1) {
		if (!get_cpixel(c, f, px))
			return fail(err, errlen, "short solid");
		for (int j = 0; j < th; j++)
			for (int i = 0; i < tw; i++)
				put(fb, stride, f, tx + i, ty + j, px);
		ts->size = 0;
		return 0;
	}
	if (sub == 128) {
		long i = 0;

		while (i < n) {
			long run;

			if (!get_cpixel(c, f, px) || !get_runlen(c, &run))
				return fail(err, errlen, "short plain RLE");
			if (run > n - i)
				return fail(err, errlen, "run past tile");
			for (; run > 0; run--, i++)
				put(fb, stride, f, tx + (int)(i % tw),
				    ty + (int)(i / tw), px);
		}
		ts->size = 0;
		return 0;
	}
	if (trle && (sub == 127 || sub == 129)) {
		if (!ts->size || (sub == 127 && ts->size > 16))
			return fail(err, errlen,
				    "subencoding %u without a usable palette",
				    sub);
		reuse = true;
		psize = (unsigned)ts->size;
	} else if ((sub > 16 && sub < 128) || sub == 129) {
		return fail(err, errlen, "subencoding %u", sub);
	} else {
		psize = sub & 127;
		for (unsigned k = 0; k < psize; k++)
			if (!get_cpixel(c, f, ts->pal[k]))
				return fail(err, errlen, "short palette");
		ts->size = (int)psize;
	}
	if (!rle && !(reuse && sub == 129)) {
		int bits = psize <= 2 ? 1 : psize <= 4 ? 2 : 4;

		for (int j = 0; j < th; j++) {
			unsigned byte = 0;
			int left = 0;

			for (int i = 0; i < tw; i++) {
				unsigned idx;

				if (!left) {
					if (!get_u8(c, &byte))
						return fail(err, errlen,
							    "short packed");
					left = 8;
				}
				left -= bits;
				idx = byte >> left & ((1u << bits) - 1);
				if (idx >= psize)
					return fail(err, errlen, "index %u", idx);
				put(fb, stride, f, tx + i, ty + j, ts->pal[idx]);
			}
		}
		return 0;
	}
	for (long i = 0; i < n;) {
		unsigned b;
		long run = 1;

		if (!get_u8(c, &b))
			return fail(err, errlen, "short palette RLE");
		if ((b & 127) >= psize)
			return fail(err, errlen, "index %u of %u", b & 127,
				    psize);
		if ((b & 128) && !get_runlen(c, &run))
			return fail(err, errlen, "short run");
		if (run > n - i)
			return fail(err, errlen, "run past tile");
		for (; run > 0; run--, i++)
			put(fb, stride, f, tx + (int)(i % tw), ty + (int)(i / tw),
			    ts->pal[b & 127]);
	}
	return 0;
}

static long inflate_all(struct zrle_dec *d, const uint8_t *in, size_t len,
			size_t bound, char *err, size_t errlen)
{
	int r;

	if (!d->ready) {
		if (inflateInit(&d->zs) != Z_OK)
			return fail(err, errlen, "inflateInit");
		d->ready = true;
	}
	if (d->cap < bound) {
		uint8_t *b = realloc(d->buf, bound);

		if (!b)
			return fail(err, errlen, "out of memory");
		d->buf = b;
		d->cap = bound;
	}
	d->zs.next_in = (Bytef *)(uintptr_t)in;
	d->zs.avail_in = (uInt)len;
	d->zs.next_out = d->buf;
	d->zs.avail_out = (uInt)d->cap;
	r = inflate(&d->zs, Z_SYNC_FLUSH);
	if ((r != Z_OK && r != Z_BUF_ERROR) || d->zs.avail_in)
		return fail(err, errlen, "inflate: %d", r);
	return (long)(d->cap - d->zs.avail_out);
}

long zrle_dec_rect(struct zrle_dec *d, bool trle, const struct pixfmt *pf,
		   const uint8_t *p, size_t len, uint8_t *fb, size_t stride,
		   int x, int y, int w, int h, char *err, size_t errlen)
{
	int ts_size = trle ? 16 : 64;
	struct tile_state st = { .size = 0 };
	struct cur c = { p, len, 0 };
	struct fmt f;
	size_t used = 0;

	fmt_init(&f, pf);
	if (!trle) {
		size_t zlen, tiles = (size_t)((w + 63) / 64) * ((h + 63) / 64);
		long n;

		if (len < 4)
			return fail(err, errlen, "short length");
		zlen = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
		       (size_t)p[2] << 8 | p[3];
		if (len - 4 < zlen)
			return fail(err, errlen, "short zlib data");
		n = inflate_all(d, p + 4, zlen,
				tiles * (1 + 127 * 4) + (size_t)w * h * 5 + 1,
				err, errlen);
		if (n < 0)
			return -1;
		c.p = d->buf;
		c.len = (size_t)n;
		used = 4 + zlen;
	}
	for (int ty = y; ty < y + h; ty += ts_size) {
		int th = y + h - ty < ts_size ? y + h - ty : ts_size;

		for (int tx = x; tx < x + w; tx += ts_size) {
			int tw = x + w - tx < ts_size ? x + w - tx : ts_size;

			if (tile(&c, trle, &f, &st, fb, stride, tx, ty, tw, th,
				 err, errlen) < 0)
				return -1;
		}
	}
	if (trle)
		return (long)c.pos;
	if (c.pos != c.len)
		return fail(err, errlen, "%zu bytes after the last tile",
			    c.len - c.pos);
	return (long)used;
}
