/* SPDX-License-Identifier: MIT */
/*
 * Pixel values for encoders. Encoders first translate a block of the
 * server framebuffer into client pixel values (host-order uint32_t, one
 * per pixel: pixbuf_fetch), analyse those (runs, palettes, subrects) and
 * finally serialise the values they keep as PIXELs or ZRLE CPIXELs
 * (pixbuf_put / pixbuf_put_n), so no per-pixel format decisions remain in
 * the hot loops.
 */
#ifndef XRFB_PIXBUF_H
#define XRFB_PIXBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pixfmt.h"

/* How a value goes on the wire. */
enum pixbuf_kind {
	PIXBUF_U8,
	PIXBUF_U16LE,
	PIXBUF_U16BE,
	PIXBUF_U24LE,	/* low 3 bytes of the value, least significant first */
	PIXBUF_U24BE,	/* low 3 bytes of the value, most significant first */
	PIXBUF_U32LE,
	PIXBUF_U32BE,
};

struct pixbuf_fmt {
	enum pixbuf_kind kind;
	int bytes;		/* on the wire, per value */
	int shift;		/* a value is the client pixel >> shift */
};

/* Values written as plain PIXELs of the client's format. */
void pixbuf_fmt_pixel(struct pixbuf_fmt *f, const struct pixconv *pc);
/* Values written as ZRLE/TRLE CPIXELs (RFC 6143 §7.7.6): 3 bytes when
 * true colour, 32 bpp, depth <= 24 and the colour bits fit in the least or
 * most significant 3 bytes. When both fit, little-endian formats use the
 * least and big-endian ones the most significant bytes, as the libvncserver
 * and TigerVNC decoders do. For the most significant bytes the values are
 * fetched shifted right by 8, so they always fit in 24 bits. */
void pixbuf_fmt_cpixel(struct pixbuf_fmt *f, const struct pixconv *pc);

/* Translate a w x h block of XRGB8888 pixels (@src rows @src_stride pixels
 * apart) into values (client pixel >> @shift) at @dst, rows @dst_stride
 * values apart. Padding bits of the server pixels never leak into values. */
void pixbuf_fetch(const struct pixconv *pc, int shift, const uint32_t *src,
		  size_t src_stride, int w, int h, uint32_t *dst,
		  size_t dst_stride);

/* Write one value; returns the position after it. */
static inline uint8_t *pixbuf_put(uint8_t *d, uint32_t v, enum pixbuf_kind k)
{
	switch (k) {
	case PIXBUF_U8:
		*d = (uint8_t)v;
		return d + 1;
	case PIXBUF_U16LE:
		d[0] = (uint8_t)v;
		d[1] = (uint8_t)(v >> 8);
		return d + 2;
	case PIXBUF_U16BE:
		d[0] = (uint8_t)(v >> 8);
		d[1] = (uint8_t)v;
		return d + 2;
	case PIXBUF_U24LE:
		d[0] = (uint8_t)v;
		d[1] = (uint8_t)(v >> 8);
		d[2] = (uint8_t)(v >> 16);
		return d + 3;
	case PIXBUF_U24BE:
		d[0] = (uint8_t)(v >> 16);
		d[1] = (uint8_t)(v >> 8);
		d[2] = (uint8_t)v;
		return d + 3;
	case PIXBUF_U32LE:
		d[0] = (uint8_t)v;
		d[1] = (uint8_t)(v >> 8);
		d[2] = (uint8_t)(v >> 16);
		d[3] = (uint8_t)(v >> 24);
		return d + 4;
	default:
		d[0] = (uint8_t)(v >> 24);
		d[1] = (uint8_t)(v >> 16);
		d[2] = (uint8_t)(v >> 8);
		d[3] = (uint8_t)v;
		return d + 4;
	}
}

/* Write @n values; returns the position after them. */
uint8_t *pixbuf_put_n(uint8_t *d, const uint32_t *v, size_t n,
		      enum pixbuf_kind k);

#endif
