/* SPDX-License-Identifier: MIT */
/*
 * A small Tight / TightPNG decoder written from the specification
 * (rfbproto.rst §Tight Encoding, §Tight PNG Encoding), strict where the
 * specification or real clients are: it rejects what some client would
 * reject, so encoder tests fail on it. Decodes into client pixel values.
 */
#ifndef TEST_DECODER_TIGHTPNG_H
#define TEST_DECODER_TIGHTPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pixfmt.h"

struct tdec;

/* Converts a decoded 8-bit R, G, B (JPEG, PNG) to a client pixel value. */
typedef uint32_t (*tdec_rgb_fn)(void *arg, unsigned r, unsigned g,
				unsigned b);

struct tdec_opts {
	bool png;		/* TightPNG: 0xA is PNG, basic is invalid */
	bool nozlib;		/* Tight: 0xA/0xE allowed (-317) */
	tdec_rgb_fn rgb;
	void *rgb_arg;
};

/* Counters of what was decoded, by subencoding. */
struct tdec_stats {
	long fill, mono, indexed, copy, gradient, jpeg, png, nozlib, raw;
	long resets;		/* reset bits seen */
};

/* Decoder state of one connection (four inflate streams). */
struct tdec *tdec_new(void);
void tdec_free(struct tdec *d);
const struct tdec_stats *tdec_stats(const struct tdec *d);
/* The last error message. */
const char *tdec_error(const struct tdec *d);

/* Decode @nrects rectangles (12-byte headers included) from @in into
 * @fb (fb_w x fb_h client pixel values). Encodings Tight (7), TightPNG
 * (-260) and Raw (0) are accepted. Returns the bytes consumed, or -1 with
 * tdec_error() set. */
long tdec_update(struct tdec *d, const struct tdec_opts *o,
		 const struct pixfmt *pf, const uint8_t *in, size_t len,
		 int nrects, uint32_t *fb, int fb_w, int fb_h);

#endif
