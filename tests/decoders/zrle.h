/* SPDX-License-Identifier: MIT */
/*
 * A ZRLE and TRLE decoder written from RFC 6143 §7.7.5-6 and rfbproto.rst,
 * for tests: an independent check of our tile encoder, and the decoder for
 * pixel formats where libvncclient 0.9.14 is wrong (big-endian 32 bpp with
 * the colour in the low three bytes). Strict: unused subencodings, runs
 * past the end of a tile, TRLE palette reuse without a previous palette
 * tile, and leftover data are errors. ZYWRLE data decodes as ZRLE when no
 * tile is sent raw, which is how our encoder sends it losslessly.
 */
#ifndef TEST_DECODER_ZRLE_H
#define TEST_DECODER_ZRLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pixfmt.h"

struct zrle_dec;

struct zrle_dec *zrle_dec_new(void);
void zrle_dec_free(struct zrle_dec *d);
/* Decode one rectangle's data at @p (@len bytes available) into @fb
 * (pixels in format @pf, wire byte order, rows @stride bytes apart) at
 * (x, y, w, h). @trle: TRLE (no zlib, 16 x 16 tiles) instead of ZRLE.
 * Returns the bytes consumed or -1 with a reason in @err. */
long zrle_dec_rect(struct zrle_dec *d, bool trle, const struct pixfmt *pf,
		   const uint8_t *p, size_t len, uint8_t *fb, size_t stride,
		   int x, int y, int w, int h, char *err, size_t errlen);

#endif
