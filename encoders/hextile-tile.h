/* SPDX-License-Identifier: MIT */
/*
 * One Hextile tile (RFC 6143 §7.7.4), shared by Hextile and ZlibHex:
 * background/foreground carry-over within a rectangle, solid, mono and
 * coloured subrect tiles, and Raw whenever that is not larger.
 */
#ifndef XRFB_HEXTILE_TILE_H
#define XRFB_HEXTILE_TILE_H

#include <stdbool.h>
#include <stdint.h>

#include "palette.h"
#include "pixbuf.h"

enum hextile_mask {
	HEXTILE_RAW = 1,
	HEXTILE_BG = 2,
	HEXTILE_FG = 4,
	HEXTILE_ANY_SUBRECTS = 8,
	HEXTILE_COLOURED = 16,
	HEXTILE_ZLIB_RAW = 32,	/* ZlibHex only */
	HEXTILE_ZLIB = 64,	/* ZlibHex only */
};

#define HEXTILE_SIZE 16
/* Largest encoded tile: the mask and 16 x 16 four-byte pixels. */
#define HEXTILE_TILE_MAX (1 + HEXTILE_SIZE * HEXTILE_SIZE * 4)

struct hextile_tile {
	bool bg_valid, fg_valid;	/* carried over from the last tile */
	uint32_t bg, fg;
	struct palette pal;
};

/* Start a new rectangle: nothing carries over into its first tile. */
void hextile_tile_start(struct hextile_tile *t);
/* Encode the tw x th tile @px (values, contiguous rows) into @dst (room for
 * HEXTILE_TILE_MAX bytes): the mask byte, then the tile's data. Returns the
 * length. A Raw tile is dst[0] == HEXTILE_RAW followed by the pixels.
 * Updates the carry-over state as a decoder would. */
int hextile_tile_encode(struct hextile_tile *t, const uint32_t *px, int tw,
			int th, const struct pixbuf_fmt *pf, uint8_t *dst);
/* Forget carried-over colours, as after a Raw tile (ZlibHex's ZlibRaw
 * tiles have the same effect). */
static inline void hextile_tile_invalidate(struct hextile_tile *t)
{
	t->bg_valid = t->fg_valid = false;
}

#endif
