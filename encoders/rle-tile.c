/* SPDX-License-Identifier: MIT */
/*
 * ZRLE/TRLE tiles: one pass over the tile counts runs and builds the
 * palette (hashing only at run starts), then the exact size of every
 * subencoding decides. Writing is specialised per subencoding; CPIXELs go
 * out through pixbuf. TRLE palette reuse follows what libvncclient (the
 * only TRLE decoder) accepts: 127/129 only right after a tile that sent or
 * reused a palette, and 127 only for palettes of at most 16 colours.
 */
#include "config.h"

#include <errno.h>

#include "rle-tile.h"

/* Subencoding bytes. */
#define SUB_RAW 0
#define SUB_SOLID 1
#define SUB_REUSE_PACKED 127
#define SUB_PLAIN 128
#define SUB_REUSE_PALETTE 129

void rle_tile_init(struct rle_tile *t, const struct pixconv *pc)
{
	pixbuf_fmt_cpixel(&t->cpx, pc);
	t->cur = 0;
	t->prev_valid = false;
}

static inline int packed_bits(int colours)
{
	return colours <= 2 ? 1 : colours <= 4 ? 2 : 4;
}

static inline size_t packed_len(int colours, int tw, int th)
{
	int bits = packed_bits(colours);

	return (size_t)th * (size_t)((tw * bits + 7) / 8);
}

enum rle_mode rle_tile_choose(struct rle_tile *t, uint32_t *px, int tw,
			      int th, unsigned flags, int raw_shift)
{
	struct palette *pal = &t->pal[t->cur];
	const struct palette *prev = &t->pal[t->cur ^ 1];
	size_t n = (size_t)tw * (size_t)th, cpx = (size_t)t->cpx.bytes;
	size_t plain_len = 0, palette_len = 0, best, cost;
	enum rle_mode mode;
	bool pal_ok = true;
	int runs = 0;
	size_t i = 0;

	px[n] = ~px[n - 1];	/* sentinel: ends the last run */
	/* Palette RLE allows 127 colours, but past about 126 plain RLE
	 * deflates better (the colours recur across tiles, indices do not);
	 * libvncserver's encoder stops at 126 too. */
	palette_reset(pal, 126);
	while (i < n) {
		uint32_t c = px[i];
		size_t j = i + 1, len, lenbytes;

		while (px[j] == c)
			j++;
		len = j - i;
		lenbytes = (len - 1) / 255 + 1;
		runs++;
		plain_len += lenbytes;
		palette_len += len <= 2 ? len : 1 + lenbytes;
		if (pal_ok && palette_add(pal, c, (uint32_t)len) < 0)
			pal_ok = false;
		i = j;
	}
	t->runs = runs;
	t->plain_len = plain_len;
	t->palette_len = palette_len;
	if (pal_ok && pal->size == 1)
		return RLE_SOLID;
	/* The most common colour first: the background of text gets the
	 * same index in every tile, so the same glyphs pack to the same
	 * bytes and deflate finds them again (9 % fewer bytes for a
	 * scrolling terminal). Above 16 colours the order matters less and
	 * the sort would cost more. */
	if (pal_ok && pal->size <= 16)
		palette_sort_by_count(pal);

	mode = RLE_RAW;
	best = flags & RLE_TILE_NO_RAW ? SIZE_MAX : (n * cpx) >> raw_shift;
	cost = (size_t)runs * cpx + plain_len;
	if (cost < best) {
		best = cost;
		mode = RLE_PLAIN;
	}
	if (!pal_ok)
		return mode;
	cost = (size_t)pal->size * cpx + palette_len;
	if (cost < best) {
		best = cost;
		mode = RLE_PALETTE;
	}
	if (pal->size <= 16) {
		cost = (size_t)pal->size * cpx + packed_len(pal->size, tw, th);
		if (cost < best) {
			best = cost;
			mode = RLE_PACKED;
		}
	}
	if ((flags & RLE_TILE_REUSE) && t->prev_valid &&
	    palette_is_subset(pal, prev)) {
		if (palette_len < best) {
			best = palette_len;
			mode = RLE_REUSE_PALETTE;
		}
		if (prev->size <= 16 &&
		    packed_len(prev->size, tw, th) < best) {
			best = packed_len(prev->size, tw, th);
			mode = RLE_REUSE_PACKED;
		}
	}
	return mode;
}

static inline uint8_t *put_runlen(uint8_t *d, size_t len)
{
	len--;
	while (len >= 255) {
		*d++ = 255;
		len -= 255;
	}
	*d++ = (uint8_t)len;
	return d;
}

static uint8_t *write_packed(const struct palette *pal, const uint32_t *px,
			     int tw, int th, uint8_t *d)
{
	int bits = packed_bits(pal->size);
	uint32_t last = px[0];
	unsigned idx = (unsigned)palette_find(pal, last);

	for (int y = 0; y < th; y++) {
		unsigned acc = 0;
		int nb = 0;

		for (int x = 0; x < tw; x++) {
			uint32_t c = *px++;

			if (c != last) {
				last = c;
				idx = (unsigned)palette_find(pal, c);
			}
			acc = acc << bits | idx;
			nb += bits;
			if (nb == 8) {
				*d++ = (uint8_t)acc;
				acc = 0;
				nb = 0;
			}
		}
		if (nb)
			*d++ = (uint8_t)(acc << (8 - nb));
	}
	return d;
}

static uint8_t *write_palette_rle(const struct palette *pal,
				  const uint32_t *px, size_t n, uint8_t *d)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = px[i];
		size_t j = i + 1;
		uint8_t idx;

		while (j < n && px[j] == c)
			j++;
		idx = (uint8_t)palette_find(pal, c);
		if (j - i <= 2) {
			*d++ = idx;
			if (j - i == 2)
				*d++ = idx;
		} else {
			*d++ = idx | 0x80;
			d = put_runlen(d, j - i);
		}
		i = j;
	}
	return d;
}

static uint8_t *write_plain_rle(const struct pixbuf_fmt *cpx,
				const uint32_t *px, size_t n, uint8_t *d)
{
	size_t i = 0;

	while (i < n) {
		uint32_t c = px[i];
		size_t j = i + 1;

		while (j < n && px[j] == c)
			j++;
		d = pixbuf_put(d, c, cpx->kind);
		d = put_runlen(d, j - i);
		i = j;
	}
	return d;
}

int rle_tile_write(struct rle_tile *t, const uint32_t *px, int tw, int th,
		   enum rle_mode m, struct buf *out)
{
	const struct palette *pal = &t->pal[t->cur];
	const struct palette *prev = &t->pal[t->cur ^ 1];
	size_t n = (size_t)tw * (size_t)th;
	uint8_t *d;

	if (buf_reserve(out, RLE_TILE_BYTES(n)) < 0)
		return -ENOMEM;
	d = out->data + out->len;
	switch (m) {
	case RLE_RAW:
		*d++ = SUB_RAW;
		d = pixbuf_put_n(d, px, n, t->cpx.kind);
		break;
	case RLE_SOLID:
		*d++ = SUB_SOLID;
		d = pixbuf_put(d, px[0], t->cpx.kind);
		break;
	case RLE_PACKED:
		*d++ = (uint8_t)pal->size;
		d = pixbuf_put_n(d, pal->colour, (size_t)pal->size,
				 t->cpx.kind);
		d = write_packed(pal, px, tw, th, d);
		break;
	case RLE_PLAIN:
		*d++ = SUB_PLAIN;
		d = write_plain_rle(&t->cpx, px, n, d);
		break;
	case RLE_PALETTE:
		*d++ = (uint8_t)(128 + pal->size);
		d = pixbuf_put_n(d, pal->colour, (size_t)pal->size,
				 t->cpx.kind);
		d = write_palette_rle(pal, px, n, d);
		break;
	case RLE_REUSE_PACKED:
		*d++ = SUB_REUSE_PACKED;
		d = write_packed(prev, px, tw, th, d);
		break;
	case RLE_REUSE_PALETTE:
		*d++ = SUB_REUSE_PALETTE;
		d = write_palette_rle(prev, px, n, d);
		break;
	}
	out->len = (size_t)(d - out->data);
	/* What a TRLE decoder now holds as "the previous palette". */
	if (m == RLE_PACKED || m == RLE_PALETTE) {
		t->cur ^= 1;
		t->prev_valid = true;
	} else if (m != RLE_REUSE_PACKED && m != RLE_REUSE_PALETTE) {
		t->prev_valid = false;
	}
	return 0;
}
