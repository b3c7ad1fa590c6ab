/* SPDX-License-Identifier: MIT */
/*
 * One ZRLE or TRLE tile (RFC 6143 §7.7.5, §7.7.6): raw, solid, packed
 * palette, plain RLE or palette RLE, whichever is smallest by an exact
 * count of the bytes each would take; for TRLE also the two subencodings
 * that reuse the previous tile's palette. Shared by ZRLE (64 x 64 tiles,
 * deflated), TRLE (16 x 16, not deflated) and ZYWRLE.
 */
#ifndef XRFB_RLE_TILE_H
#define XRFB_RLE_TILE_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "palette.h"
#include "pixbuf.h"

#define RLE_TILE_MAX 64
/* Pixel buffers handed to this module need one spare value at the end. */
#define RLE_TILE_PIXELS (RLE_TILE_MAX * RLE_TILE_MAX + 1)
/* Most bytes one tile can take: subencoding byte, a 127 colour palette and
 * a 4-byte pixel plus one run-length byte per pixel. */
#define RLE_TILE_BYTES(n) (1 + 127 * 4 + 5 * (size_t)(n))

enum rle_mode {
	RLE_RAW,
	RLE_SOLID,
	RLE_PACKED,		/* 2..16 colours, 1/2/4 bits per pixel */
	RLE_PLAIN,		/* runs of CPIXEL + length */
	RLE_PALETTE,		/* palette RLE, 2..127 colours */
	RLE_REUSE_PACKED,	/* TRLE 127: packed, previous palette */
	RLE_REUSE_PALETTE,	/* TRLE 129: palette RLE, previous palette */
};

enum rle_tile_flags {
	RLE_TILE_REUSE = 1 << 0,	/* TRLE: may reuse the last palette */
	RLE_TILE_NO_RAW = 1 << 1,	/* never choose raw (ZYWRLE) */
};

struct rle_tile {
	struct pixbuf_fmt cpx;		/* how CPIXELs are written */
	struct palette pal[2];		/* this tile's, the decoder's last */
	int cur;			/* which of pal[] is this tile's */
	bool prev_valid;		/* pal[cur ^ 1] is the decoder's */
	/* Results of the last rle_tile_choose(). */
	int runs;
	size_t plain_len, palette_len;
};

/* Set the CPIXEL layout for client format @pc. */
void rle_tile_init(struct rle_tile *t, const struct pixconv *pc);
/* A new rectangle starts: no palette to reuse. */
static inline void rle_tile_start(struct rle_tile *t)
{
	t->prev_valid = false;
}
/* Analyse the tw x th tile @px (values as fetched with t->cpx.shift;
 * px[tw * th] is scratch) and pick the smallest mode. @raw_shift divides
 * the estimated cost of raw by 2^raw_shift (ZYWRLE biases towards raw
 * tiles, which it transforms). */
enum rle_mode rle_tile_choose(struct rle_tile *t, uint32_t *px, int tw,
			      int th, unsigned flags, int raw_shift);
/* Append the tile in mode @m, as chosen for the same @px just before.
 * Reserves what it needs; -ENOMEM on failure. */
int rle_tile_write(struct rle_tile *t, const uint32_t *px, int tw, int th,
		   enum rle_mode m, struct buf *out);
/* Choose and write. */
static inline int rle_tile_encode(struct rle_tile *t, uint32_t *px, int tw,
				  int th, unsigned flags, struct buf *out)
{
	return rle_tile_write(t, px, tw, th,
			      rle_tile_choose(t, px, tw, th, flags, 0), out);
}

#endif
