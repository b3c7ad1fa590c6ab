/* SPDX-License-Identifier: MIT */
/*
 * Internal interface of Tight and TightPNG (tight.c): their per-connection
 * state and constants, for tight.c and its tests. The JPEG and PNG back
 * ends have their own headers (tight-jpeg.h, tight-png.h) and know
 * nothing of this one.
 */
#ifndef XRFB_TIGHT_COMMON_H
#define XRFB_TIGHT_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include <zlib.h>

#include "encoder.h"

/* Limits on every Tight rectangle (doc/protocol.md, "Tight"). */
#define TIGHT_MAX_WIDTH 2048
#define TIGHT_MAX_AREA 65536
/* Filtered data shorter than this goes out without zlib and length. */
#define TIGHT_MIN_TO_COMPRESS 12

/* Compression-control nibbles (high half of the control byte). */
#define TIGHT_CTL_FILL 0x08
#define TIGHT_CTL_JPEG 0x09
#define TIGHT_CTL_PNG 0x0A		/* TightPNG only */
#define TIGHT_CTL_NOZLIB 0x0A		/* Tight with -317 only */
#define TIGHT_CTL_EXPLICIT_FILTER 0x04

#define TIGHT_FILTER_COPY 0
#define TIGHT_FILTER_PALETTE 1
#define TIGHT_FILTER_GRADIENT 2

/* The conventional use of the four zlib streams (LVS and TigerVNC). */
enum tight_stream {
	TIGHT_STREAM_FULL = 0,
	TIGHT_STREAM_MONO = 1,
	TIGHT_STREAM_INDEXED = 2,
	TIGHT_STREAM_GRADIENT = 3,
};

/* Slots of the palette hash: a power of two well above 256 entries. */
#define TIGHT_HASH_SIZE 1024

struct tight_jpeg;
struct tight_png;
struct tight_op;

/* Per-connection state of Tight and TightPNG. */
struct tight_state {
	struct encoder base;
	bool png;			/* TightPNG: fill, JPEG and PNG only */

	z_stream zs[4];
	bool zs_active[4];		/* deflateInit done */
	bool zs_started[4];		/* zlib header sent since (re)start */
	bool zs_dirty[4];		/* bytes sent that deflate did not see */
	int zs_level[4];
	int zs_strategy[4];

	/* Trial deflaters of tight.c's tight_pick() (LZ77, Huffman) and
	 * their output. */
	z_stream trial[2];
	bool trial_active[2];
	uint8_t *trial_out;

	/* Palette analysis: open-addressed hash of pixel -> index, valid
	 * where stamp == gen, so nothing is cleared between rectangles. */
	uint32_t gen;
	uint32_t hkey[TIGHT_HASH_SIZE];
	uint32_t hstamp[TIGHT_HASH_SIZE];
	uint8_t hidx[TIGHT_HASH_SIZE];
	uint32_t pal[256];		/* palette, in analysed pixel values */
	int npal;

	/* Scratch, sized for one maximal rectangle. */
	uint8_t *idx;			/* TIGHT_MAX_AREA indices */
	uint8_t *data;			/* TIGHT_MAX_AREA * 4 filtered bytes */
	uint32_t *cpix;			/* TIGHT_MAX_AREA client pixel values */
	uint8_t *rows;			/* gradient rows: 2 * 3 * max width */

	struct tight_jpeg *jpeg;	/* created on first use */
	struct tight_png *pngw;		/* created on first use */

	/* Large rectangles with JPEG or PNG on several threads (tight.c):
	 * the rectangles planned, and one state per encoder thread for the
	 * analysis and compression that touch no zlib stream. */
	struct tight_op *ops;
	size_t nops;
	struct tight_state *clones;
	unsigned nclones;
};

/* Set up/tear down @t (zeroed by the caller); @png selects TightPNG. */
int tight_state_init(struct tight_state *t, const struct encoder_ops *ops,
		     bool png);
void tight_state_fini(struct tight_state *t);
/* The encode() of both Tight and TightPNG. */
int tight_encode(struct encoder *e, const struct enc_params *p,
		 const struct enc_frame *f, const struct rect *r,
		 struct buf *out);
/* Append a compact length (1 to 3 bytes); @len < 2^22. */
void tight_put_compact_len(struct buf *out, size_t len);
/* Bytes a compact length of @len takes. */
static inline size_t tight_compact_len_size(size_t len)
{
	return len < 128 ? 1 : len < 16384 ? 2 : 3;
}

#endif
