/* SPDX-License-Identifier: MIT */
/*
 * ZRLE's rectangle loop, shared with ZYWRLE (the same stream and tiles,
 * with a different treatment of tiles that would go raw).
 */
#ifndef XRFB_ZRLE_H
#define XRFB_ZRLE_H

#include "encoder.h"
#include "rle-tile.h"
#include "zstream.h"

#define ZRLE_TILE 64

struct zrle;
/* Encode one tile of values @px (tw x th; px[tw * th] is scratch),
 * appending the uncompressed tile to @raw. */
typedef int (*zrle_tile_fn)(struct zrle *s, uint32_t *px, int tw, int th,
			    struct buf *raw);

struct zrle {
	struct encoder base;
	struct zstream z;
	struct rle_tile tile;
	struct buf raw;			/* tiles not yet deflated */
	uint32_t px[RLE_TILE_PIXELS];
	/* ZYWRLE only. */
	int level;			/* wavelet level for this rectangle */
	unsigned flags;			/* rle_tile_flags for this rect */
	uint32_t coef[RLE_TILE_PIXELS];
	int work[ZRLE_TILE * ZRLE_TILE];
};

/* Per-connection state (also ZYWRLE's). */
struct encoder *zrle_state_new(const struct encoder_ops *ops);
void zrle_state_free(struct encoder *e);
/* Append @r as one rectangle of @type, tiles encoded by @fn. */
int zrle_encode_rect(struct zrle *s, int32_t type, zrle_tile_fn fn,
		     const struct enc_params *p, const struct enc_frame *f,
		     const struct rect *r, struct buf *out);

#endif
