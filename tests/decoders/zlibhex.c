/* SPDX-License-Identifier: MIT */
/*
 * ZlibHex/Hextile decoder from the spec, for tests (see zlibhex.h).
 * Subencoding bits: 1 Raw, 2 BackgroundSpecified, 4 ForegroundSpecified,
 * 8 AnySubrects, 16 SubrectsColoured, 32 ZlibRaw, 64 Zlib. Raw wins over
 * everything; ZlibRaw cancels the other bits and inflates (first stream)
 * to the Raw data; with Zlib, a U16 length of deflate data (second stream)
 * inflates to the tile body the low five bits describe.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "zlibhex.h"

#define TILE 16
#define BODY_MAX (2 * 4 + 1 + 255 * (4 + 2))

struct zlibhex_dec {
	z_stream zs[2];		/* 0: raw tiles, 1: encoded tiles */
	bool ready[2];
};

struct zlibhex_dec *zlibhex_dec_new(void)
{
	return calloc(1, sizeof(struct zlibhex_dec));
}

void zlibhex_dec_free(struct zlibhex_dec *d)
{
	if (!d)
		return;
	for (int i = 0; i < 2; i++)
		if (d->ready[i])
			inflateEnd(&d->zs[i]);
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

/* Inflate exactly @in_len bytes; the output must fit in @cap. Returns the
 * output length or -1. */
static long inflate_tile(struct zlibhex_dec *d, int s, const uint8_t *in,
			 size_t in_len, uint8_t *out, size_t cap)
{
	z_stream *z = &d->zs[s];
	int r;

	if (!d->ready[s]) {
		if (inflateInit(z) != Z_OK)
			return -1;
		d->ready[s] = true;
	}
	z->next_in = (Bytef *)(uintptr_t)in;
	z->avail_in = (uInt)in_len;
	z->next_out = out;
	z->avail_out = (uInt)cap;
	r = inflate(z, Z_SYNC_FLUSH);
	if ((r != Z_OK && r != Z_BUF_ERROR) || z->avail_in)
		return -1;
	return (long)(cap - z->avail_out);
}

static void fill(uint8_t *fb, size_t stride, int bpp, int x, int y, int w,
		 int h, const uint8_t *px)
{
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++)
			memcpy(fb + (size_t)(y + j) * stride +
				       (size_t)(x + i) * bpp,
			       px, (size_t)bpp);
}

long zlibhex_dec_rect(struct zlibhex_dec *d, bool zlib, int bpp,
		      const uint8_t *p, size_t len, uint8_t *fb,
		      size_t stride, int x, int y, int w, int h, char *err,
		      size_t errlen)
{
	uint8_t bg[4], fg[4], body[BODY_MAX], raw[TILE * TILE * 4];
	bool bg_ok = false, fg_ok = false;
	size_t pos = 0;

	for (int ty = y; ty < y + h; ty += TILE) {
		int th = y + h - ty < TILE ? y + h - ty : TILE;

		for (int tx = x; tx < x + w; tx += TILE) {
			int tw = x + w - tx < TILE ? x + w - tx : TILE;
			size_t rawlen = (size_t)(tw * th * bpp), blen, bp = 0;
			const uint8_t *b;
			uint8_t mask;

			if (pos >= len)
				return fail(err, errlen, "short data");
			mask = p[pos++];
			if (!zlib && (mask & 0xe0))
				return fail(err, errlen,
					    "mask %#x in Hextile", mask);
			if (mask & 0x80)
				return fail(err, errlen, "mask %#x", mask);
			if (mask & 1) {
				if (len - pos < rawlen)
					return fail(err, errlen, "short raw");
				b = p + pos;
				pos += rawlen;
				goto raw_tile;
			}
			if (mask & 0x20) {
				size_t zl;

				if (len - pos < 2)
					return fail(err, errlen, "short");
				zl = (size_t)(p[pos] << 8 | p[pos + 1]);
				pos += 2;
				if (len - pos < zl ||
				    inflate_tile(d, 0, p + pos, zl, raw,
						 sizeof(raw)) != (long)rawlen)
					return fail(err, errlen,
						    "bad ZlibRaw tile");
				pos += zl;
				b = raw;
				goto raw_tile;
			}
			if (mask & 0x40) {
				size_t zl;
				long n;

				if (len - pos < 2)
					return fail(err, errlen, "short");
				zl = (size_t)(p[pos] << 8 | p[pos + 1]);
				pos += 2;
				if (len - pos < zl)
					return fail(err, errlen, "short zlib");
				n = inflate_tile(d, 1, p + pos, zl, body,
						 sizeof(body));
				if (n < 0)
					return fail(err, errlen,
						    "bad Zlib tile");
				pos += zl;
				b = body;
				blen = (size_t)n;
			} else {
				b = p + pos;
				blen = len - pos;
			}
			if (mask & 2) {
				if (blen - bp < (size_t)bpp)
					return fail(err, errlen, "short bg");
				memcpy(bg, b + bp, (size_t)bpp);
				bp += (size_t)bpp;
				bg_ok = true;
			}
			if (!bg_ok)
				return fail(err, errlen,
					    "tile at %d,%d: no valid background",
					    tx, ty);
			if (mask & 4) {
				if (mask & 16)
					return fail(err, errlen,
						    "fg with coloured subrects");
				if (blen - bp < (size_t)bpp)
					return fail(err, errlen, "short fg");
				memcpy(fg, b + bp, (size_t)bpp);
				bp += (size_t)bpp;
				fg_ok = true;
			}
			fill(fb, stride, bpp, tx, ty, tw, th, bg);
			if (mask & 8) {
				int n;

				if (blen - bp < 1)
					return fail(err, errlen, "short count");
				n = b[bp++];
				if (!(mask & 16) && !fg_ok)
					return fail(err, errlen,
						    "tile at %d,%d: no valid foreground",
						    tx, ty);
				for (int i = 0; i < n; i++) {
					const uint8_t *c = fg;
					int sx, sy, sw, sh;

					if (mask & 16) {
						if (blen - bp < (size_t)bpp)
							return fail(err, errlen,
								    "short");
						c = b + bp;
						bp += (size_t)bpp;
					}
					if (blen - bp < 2)
						return fail(err, errlen, "short");
					sx = b[bp] >> 4;
					sy = b[bp] & 15;
					sw = (b[bp + 1] >> 4) + 1;
					sh = (b[bp + 1] & 15) + 1;
					bp += 2;
					if (sx + sw > tw || sy + sh > th)
						return fail(err, errlen,
							    "subrect %d,%d %dx%d outside %dx%d tile",
							    sx, sy, sw, sh, tw,
							    th);
					fill(fb, stride, bpp, tx + sx, ty + sy,
					     sw, sh, c);
				}
				if (mask & 16)
					fg_ok = false;
			}
			if (mask & 0x40) {
				if (bp != blen)
					return fail(err, errlen,
						    "zlib body has %zu spare bytes",
						    blen - bp);
			} else {
				pos += bp;
			}
			continue;
raw_tile:
			for (int j = 0; j < th; j++)
				memcpy(fb + (size_t)(ty + j) * stride +
					       (size_t)tx * bpp,
				       b + (size_t)j * tw * bpp,
				       (size_t)(tw * bpp));
			bg_ok = fg_ok = false;
		}
	}
	return (long)pos;
}
