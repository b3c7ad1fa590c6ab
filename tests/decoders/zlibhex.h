/* SPDX-License-Identifier: MIT */
/*
 * A ZlibHex (and plain Hextile) decoder written from rfbproto.rst
 * (§Hextile, §zlibhex), for tests: no common viewer decodes ZlibHex. It is
 * strict where the spec says "must": a tile that relies on a background or
 * foreground that is not valid (first tile, after Raw/ZlibRaw, foreground
 * after coloured subrects) is an error, as is a subrect leaving its tile.
 */
#ifndef TEST_DECODER_ZLIBHEX_H
#define TEST_DECODER_ZLIBHEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct zlibhex_dec;

/* A decoder with its two inflate streams (they persist across rects). */
struct zlibhex_dec *zlibhex_dec_new(void);
void zlibhex_dec_free(struct zlibhex_dec *d);
/* Decode one rectangle's data at @p (@len bytes available) into @fb
 * (pixels of @bpp bytes, copied as they are; rows @stride bytes apart) at
 * (x, y, w, h). @zlib false: plain Hextile (the ZlibHex bits are errors).
 * Returns the bytes consumed, or -1 with a reason in @err. */
long zlibhex_dec_rect(struct zlibhex_dec *d, bool zlib, int bpp,
		      const uint8_t *p, size_t len, uint8_t *fb,
		      size_t stride, int x, int y, int w, int h, char *err,
		      size_t errlen);

#endif
