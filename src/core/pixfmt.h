/* SPDX-License-Identifier: MIT */
/*
 * Pixel formats on the wire (RFC 6143 §7.4) and table-driven translation
 * from the server's XRGB8888 framebuffer into any format a client asks for.
 * Colour-map clients are served BGR233 with a fixed 256-entry colour map,
 * as every mainstream server does (doc/protocol.md, "Colour-map clients").
 */
#ifndef XRFB_PIXFMT_H
#define XRFB_PIXFMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pixfmt {
	uint8_t bpp;
	uint8_t depth;
	uint8_t big_endian;
	uint8_t true_colour;
	uint16_t red_max, green_max, blue_max;
	uint8_t red_shift, green_shift, blue_shift;
};

/* A client's format plus everything needed to produce it. */
struct pixconv {
	struct pixfmt pf;	/* effective format (colour map -> BGR233) */
	bool colour_map;	/* the client asked for a colour-map format */
	uint8_t bytes;		/* bytes per pixel: 1, 2 or 4 */
	bool swap;		/* wire byte order differs from the host's */
	bool identity;		/* same as the server format: plain copy */
	/* Contribution of each 8-bit channel value to the pixel value,
	 * already shifted, in host order. */
	uint32_t rtab[256], gtab[256], btab[256];
};

/* The server's own format: 32 bpp, depth 24, host order, r16 g8 b0. */
void pixfmt_server(struct pixfmt *pf);
/* Decode/encode the 16-byte PIXEL_FORMAT. */
void pixfmt_read(struct pixfmt *pf, const uint8_t wire[16]);
void pixfmt_write(const struct pixfmt *pf, uint8_t wire[16]);
/* 0 if a client may use @pf, else -EINVAL and *why says what is wrong. */
int pixfmt_check(const struct pixfmt *pf, const char **why);
/* Printable description ("32bpp depth 24 LE rgb max 255/255/255 ..."). */
void pixfmt_describe(const struct pixfmt *pf, char *out, size_t size);

/* Prepare translation into @pf (which must have passed pixfmt_check). */
void pixconv_init(struct pixconv *pc, const struct pixfmt *pf);
/* The 256 colours of the BGR233 map as 16-bit r,g,b triplets. */
void pixconv_colour_map(uint16_t rgb[256][3]);

/* Pixel value (host order) for one XRGB8888 pixel. */
static inline uint32_t pixconv_pixel(const struct pixconv *pc, uint32_t xrgb)
{
	return pc->rtab[(xrgb >> 16) & 0xff] | pc->gtab[(xrgb >> 8) & 0xff] |
	       pc->btab[xrgb & 0xff];
}

/* Write one pixel value in the client's byte order; returns bytes used. */
static inline size_t pixconv_put(const struct pixconv *pc, uint8_t *dst,
				 uint32_t v)
{
	switch (pc->bytes) {
	case 1:
		dst[0] = (uint8_t)v;
		return 1;
	case 2:
		if (pc->pf.big_endian) {
			dst[0] = v >> 8;
			dst[1] = v;
		} else {
			dst[0] = v;
			dst[1] = v >> 8;
		}
		return 2;
	default:
		if (pc->pf.big_endian) {
			dst[0] = v >> 24;
			dst[1] = v >> 16;
			dst[2] = v >> 8;
			dst[3] = v;
		} else {
			dst[0] = v;
			dst[1] = v >> 8;
			dst[2] = v >> 16;
			dst[3] = v >> 24;
		}
		return 4;
	}
}

/* Translate a w x h block: @src rows are @src_stride pixels apart, @dst
 * rows @dst_stride bytes apart. */
void pixconv_translate(const struct pixconv *pc, uint8_t *dst,
		       size_t dst_stride, const uint32_t *src,
		       size_t src_stride, int w, int h);

/* Read one pixel of format @pf from @p (for decoders and tests). */
uint32_t pixfmt_get(const struct pixfmt *pf, const uint8_t *p);
/* Convert a pixel value of @pf to XRGB8888, each channel scaled to 8 bits
 * the same way pixconv_init() scales down (so round trips are exact for
 * channels of 8 bits). Colour-map formats use the BGR233 map. */
uint32_t pixfmt_to_xrgb(const struct pixfmt *pf, uint32_t v);

#endif
