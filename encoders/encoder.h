/* SPDX-License-Identifier: MIT */
/*
 * The encoder interface: one file per encoding under encoders/, each
 * exporting a `const struct encoder_ops` that the registry (encoder.c)
 * lists. Encoders see only pixels, a pixel format and their own state: no
 * sockets, no clients, no X. Per-connection state (zlib streams) lives in
 * the struct encoder an encoder allocates, kept for the connection's life.
 */
#ifndef XRFB_ENCODER_H
#define XRFB_ENCODER_H

#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "pixfmt.h"
#include "region.h"

/* What to encode from: the server framebuffer (XRGB8888, host order). */
struct enc_frame {
	const uint32_t *pixels;
	size_t stride;		/* in pixels */
	int width, height;
};

enum enc_flags {
	ENC_F_LASTRECT = 1u << 0,	/* client accepts LastRect */
	ENC_F_TIGHT_NOZLIB = 1u << 1,	/* client listed -317 */
	/* This rectangle goes lossless even though the client allows lossy
	 * (it is not moving: doc/protocol.md, "Lossless refresh"). */
	ENC_F_LOSSLESS = 1u << 2,
	/* Start the picture afresh: a video encoding sends a key frame. */
	ENC_F_KEYFRAME = 1u << 3,
};

struct enc_params {
	const struct pixconv *pc;	/* the client's pixel format */
	int quality;		/* QualityLevel 0..9, -1 if none sent */
	int fine_quality;	/* fine quality 0..100, -1 if none sent */
	int subsampling;	/* RFB_SUBSAMP_*, -1 if none sent */
	int compress;		/* CompressLevel 0..9, -1 if none sent */
	unsigned flags;		/* enum enc_flags */
	/* Called (if set) between whole rectangles of a large rectangle
	 * split into many, on the calling thread, with @out as it is: the
	 * caller may send what @out holds and empty it. Returns 0 or
	 * -errno, which the encoder returns. */
	int (*between)(void *arg, struct buf *out);
	void *between_arg;
};

struct encoder_ops;

/* Base of every encoder's per-connection state; embed it first. */
struct encoder {
	const struct encoder_ops *ops;
};

struct encoder_ops {
	int32_t type;		/* RFB_ENC_* */
	const char *name;
	/* May go lossy where enc_may_be_lossy() and then honours
	 * ENC_F_LOSSLESS. */
	bool lossy;
	/* Per-connection state (NULL on ENOMEM). */
	struct encoder *(*new_state)(const struct encoder_ops *ops);
	void (*free_state)(struct encoder *e);
	/* Append rectangle(s) covering @r (inside the frame), headers
	 * included, to @out. Returns the number of rectangles written or a
	 * negative errno. A failure after touching a compression stream
	 * leaves the stream unusable: the caller closes the connection. */
	int (*encode)(struct encoder *e, const struct enc_params *p,
		      const struct enc_frame *f, const struct rect *r,
		      struct buf *out);
};

/* The encoder for @type, or NULL if not built in. */
const struct encoder_ops *encoder_find(int32_t type);
/* All built-in encoders, NULL-terminated. */
extern const struct encoder_ops *const encoder_list[];

/* Shared helpers for encoders. Splitting work across the encoder
 * threads is encpool.h's. */
/* Whether the client's settings let an encoding with lossy set go lossy
 * (JPEG): it sent a quality hint and takes true colour of 16 or 32 bpp
 * (doc/protocol.md, "Tight"). */
static inline bool enc_may_be_lossy(const struct enc_params *p)
{
	return (p->quality >= 0 || p->fine_quality >= 0 ||
		p->subsampling >= 0) &&
	       !p->pc->colour_map && p->pc->pf.true_colour &&
	       p->pc->bytes >= 2;
}

/* The output of one band of a rectangle encoded on several threads; the
 * first member of an encoder's per-band state. */
struct enc_band {
	struct buf out;
	int ret;		/* rectangles written, or -errno */
};

/* An encoder's per-band states, @size bytes each, kept between updates. */
struct enc_bandset {
	void *bands;
	size_t n, size;
};

/* Band @i of @set (its struct enc_band comes first). */
static inline void *enc_band_at(const struct enc_bandset *set, size_t i)
{
	return (char *)set->bands + i * set->size;
}

/* How many bands of @band rows cover @h rows. */
static inline size_t enc_band_count(int h, int band)
{
	return (size_t)((h + band - 1) / band);
}

/* Rows y .. y + return value of a rectangle of @h rows cut into bands of
 * @band rows, for band @i. */
static inline int enc_band_rows(int h, int band, size_t i, int *y)
{
	*y = (int)i * band;
	return h - *y < band ? h - *y : band;
}

void enc_bandset_fini(struct enc_bandset *set);

/* Encodes rows y0 .. y0 + h (frame rows) of @r with the scratch state
 * @band (an encoder's per-band state, its struct enc_band first), appending
 * to @out; returns the rectangles written or -errno. */
typedef int enc_rows_fn(const void *ctx, void *band,
			const struct enc_params *p, const struct enc_frame *f,
			const struct rect *r, int y0, int h, struct buf *out);
/* Encode all of @r with @rows: on the encoder threads in bands of a
 * multiple of @unit rows, each with its own state from @set, joined in
 * order, when encpool_bands() says it pays; else in one call with the state
 * @one straight into @out. Returns the sum of the counts, or -errno. */
int enc_rows_run(struct enc_bandset *set, void *one, int unit,
		 enc_rows_fn *rows, const void *ctx, const struct enc_params *p,
		 const struct enc_frame *f, const struct rect *r,
		 struct buf *out);
/* Append a 12-byte rectangle header (reserves space). -ENOMEM on failure. */
int enc_put_header(struct buf *out, int x, int y, int w, int h, int32_t enc);
/* Append @r as Raw (header included). */
int enc_put_raw(const struct enc_params *p, const struct enc_frame *f,
		const struct rect *r, struct buf *out);

extern const struct encoder_ops encoder_raw;
extern const struct encoder_ops encoder_rre;
extern const struct encoder_ops encoder_corre;
extern const struct encoder_ops encoder_hextile;
extern const struct encoder_ops encoder_zlib;
extern const struct encoder_ops encoder_zlibhex;
extern const struct encoder_ops encoder_tight;
extern const struct encoder_ops encoder_tightpng;
extern const struct encoder_ops encoder_trle;
extern const struct encoder_ops encoder_zrle;
extern const struct encoder_ops encoder_zywrle;
/* Not in encoder_list: the scheduler uses it for moving areas only. */
extern const struct encoder_ops encoder_h264;

#endif
