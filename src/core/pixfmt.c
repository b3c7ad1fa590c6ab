/* SPDX-License-Identifier: MIT */
/*
 * Pixel formats: parsing and checking PIXEL_FORMAT (RFC 6143 §7.4), and
 * translation of XRGB8888 into any client format through three 256-entry
 * tables, one per channel, holding each channel value already scaled and
 * shifted. Colour-map clients get BGR233 (doc/protocol.md, "Colour-map
 * clients").
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pixfmt.h"

static int host_is_big_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 0;
}

void pixfmt_server(struct pixfmt *pf)
{
	memset(pf, 0, sizeof(*pf));
	pf->bpp = 32;
	pf->depth = 24;
	pf->big_endian = host_is_big_endian();
	pf->true_colour = 1;
	pf->red_max = pf->green_max = pf->blue_max = 255;
	pf->red_shift = 16;
	pf->green_shift = 8;
	pf->blue_shift = 0;
}

void pixfmt_read(struct pixfmt *pf, const uint8_t w[16])
{
	pf->bpp = w[0];
	pf->depth = w[1];
	pf->big_endian = w[2] != 0;
	pf->true_colour = w[3] != 0;
	pf->red_max = (uint16_t)(w[4] << 8 | w[5]);
	pf->green_max = (uint16_t)(w[6] << 8 | w[7]);
	pf->blue_max = (uint16_t)(w[8] << 8 | w[9]);
	pf->red_shift = w[10];
	pf->green_shift = w[11];
	pf->blue_shift = w[12];
}

void pixfmt_write(const struct pixfmt *pf, uint8_t w[16])
{
	memset(w, 0, 16);
	w[0] = pf->bpp;
	w[1] = pf->depth;
	w[2] = pf->big_endian;
	w[3] = pf->true_colour;
	w[4] = pf->red_max >> 8;
	w[5] = (uint8_t)pf->red_max;
	w[6] = pf->green_max >> 8;
	w[7] = (uint8_t)pf->green_max;
	w[8] = pf->blue_max >> 8;
	w[9] = (uint8_t)pf->blue_max;
	w[10] = pf->red_shift;
	w[11] = pf->green_shift;
	w[12] = pf->blue_shift;
}

/* Number of bits of max = 2^n - 1, or -1 if max is not of that form. */
static int max_bits(unsigned max)
{
	int n = 0;

	while (max & 1) {
		max >>= 1;
		n++;
	}
	return max ? -1 : n;
}

static void bgr233(struct pixfmt *pf)
{
	pf->bpp = 8;
	pf->depth = 8;
	pf->big_endian = 0;
	pf->true_colour = 1;
	pf->red_max = 7;
	pf->green_max = 7;
	pf->blue_max = 3;
	pf->red_shift = 0;
	pf->green_shift = 3;
	pf->blue_shift = 6;
}

int pixfmt_check(const struct pixfmt *pf, const char **why)
{
	const unsigned maxes[3] = { pf->red_max, pf->green_max, pf->blue_max };
	const unsigned shifts[3] = { pf->red_shift, pf->green_shift,
				     pf->blue_shift };
	uint64_t used = 0;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (pf->bpp != 8 && pf->bpp != 16 && pf->bpp != 32) {
		*why = "bits-per-pixel must be 8, 16 or 32";
		return -EINVAL;
	}
	if (!pf->true_colour) {
		if (pf->bpp != 8) {
			*why = "colour-map formats must be 8 bits per pixel";
			return -EINVAL;
		}
		return 0;
	}
	for (int i = 0; i < 3; i++) {
		int n = max_bits(maxes[i]);
		uint64_t mask;

		if (n <= 0 || n > 16) {
			*why = "a colour maximum is not 2^n-1 with 1 <= n <= 16";
			return -EINVAL;
		}
		if (shifts[i] + (unsigned)n > pf->bpp) {
			*why = "a colour channel does not fit in the pixel";
			return -EINVAL;
		}
		mask = (uint64_t)maxes[i] << shifts[i];
		if (used & mask) {
			*why = "colour channels overlap";
			return -EINVAL;
		}
		used |= mask;
	}
	return 0;
}

void pixfmt_describe(const struct pixfmt *pf, char *out, size_t size)
{
	if (!pf->true_colour) {
		snprintf(out, size, "%ubpp colour map", pf->bpp);
		return;
	}
	snprintf(out, size,
		 "%ubpp depth %u %s max %u/%u/%u shift %u/%u/%u", pf->bpp,
		 pf->depth, pf->big_endian ? "BE" : "LE", pf->red_max,
		 pf->green_max, pf->blue_max, pf->red_shift, pf->green_shift,
		 pf->blue_shift);
}

/* Scale an 8-bit channel value to n bits: drop low bits when narrowing,
 * replicate the top bits when widening. */
static uint32_t scale8(unsigned c, int n)
{
	if (n <= 8)
		return c >> (8 - n);
	return (uint32_t)(c << (n - 8)) | (c >> (16 - n));
}

static void fill_table(uint32_t tab[256], unsigned max, unsigned shift)
{
	int n = max_bits(max);

	for (unsigned c = 0; c < 256; c++)
		tab[c] = scale8(c, n) << shift;
}

void pixconv_init(struct pixconv *pc, const struct pixfmt *pf)
{
	struct pixfmt server;

	memset(pc, 0, sizeof(*pc));
	pc->pf = *pf;
	if (!pf->true_colour) {
		pc->colour_map = true;
		bgr233(&pc->pf);
	}
	pc->bytes = pc->pf.bpp / 8;
	pc->swap = pc->bytes > 1 &&
		   (pc->pf.big_endian != 0) != host_is_big_endian();
	if (pc->bytes == 1)
		pc->pf.big_endian = 0;
	fill_table(pc->rtab, pc->pf.red_max, pc->pf.red_shift);
	fill_table(pc->gtab, pc->pf.green_max, pc->pf.green_shift);
	fill_table(pc->btab, pc->pf.blue_max, pc->pf.blue_shift);
	pixfmt_server(&server);
	pc->identity = !pc->colour_map && pc->pf.bpp == 32 && !pc->swap &&
		       pc->pf.red_max == 255 && pc->pf.green_max == 255 &&
		       pc->pf.blue_max == 255 && pc->pf.red_shift == 16 &&
		       pc->pf.green_shift == 8 && pc->pf.blue_shift == 0;
}

void pixconv_colour_map(uint16_t rgb[256][3])
{
	for (unsigned i = 0; i < 256; i++) {
		rgb[i][0] = (uint16_t)((i & 7) * 65535 / 7);
		rgb[i][1] = (uint16_t)(((i >> 3) & 7) * 65535 / 7);
		rgb[i][2] = (uint16_t)(((i >> 6) & 3) * 65535 / 3);
	}
}

static inline uint32_t conv(const struct pixconv *pc, uint32_t p)
{
	return pc->rtab[(p >> 16) & 0xff] | pc->gtab[(p >> 8) & 0xff] |
	       pc->btab[p & 0xff];
}

void pixconv_translate(const struct pixconv *pc, uint8_t *dst,
		       size_t dst_stride, const uint32_t *src,
		       size_t src_stride, int w, int h)
{
	int x, y;

	if (pc->identity) {
		/* Whole rows back to back (a full-width band): one call, which
		 * lets the C library pick its large-copy strategy. */
		if (dst_stride == (size_t)w * 4 && src_stride == (size_t)w) {
			memcpy(dst, src, (size_t)w * h * 4);
			return;
		}
		for (y = 0; y < h; y++)
			memcpy(dst + (size_t)y * dst_stride,
			       src + (size_t)y * src_stride, (size_t)w * 4);
		return;
	}
	for (y = 0; y < h; y++, dst += dst_stride, src += src_stride) {
		switch (pc->bytes) {
		case 1:
			for (x = 0; x < w; x++)
				dst[x] = (uint8_t)conv(pc, src[x]);
			break;
		case 2:
			if (pc->swap)
				for (x = 0; x < w; x++) {
					uint16_t v = (uint16_t)conv(pc, src[x]);
					v = __builtin_bswap16(v);
					memcpy(dst + 2 * x, &v, 2);
				}
			else
				for (x = 0; x < w; x++) {
					uint16_t v = (uint16_t)conv(pc, src[x]);
					memcpy(dst + 2 * x, &v, 2);
				}
			break;
		default:
			if (pc->swap)
				for (x = 0; x < w; x++) {
					uint32_t v = __builtin_bswap32(
						conv(pc, src[x]));
					memcpy(dst + 4 * x, &v, 4);
				}
			else
				for (x = 0; x < w; x++) {
					uint32_t v = conv(pc, src[x]);
					memcpy(dst + 4 * x, &v, 4);
				}
			break;
		}
	}
}

uint32_t pixfmt_get(const struct pixfmt *pf, const uint8_t *p)
{
	switch (pf->bpp) {
	case 8:
		return p[0];
	case 16:
		return pf->big_endian ? (uint32_t)(p[0] << 8 | p[1])
				      : (uint32_t)(p[1] << 8 | p[0]);
	default:
		return pf->big_endian
			       ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
					 (uint32_t)p[2] << 8 | p[3]
			       : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
					 (uint32_t)p[1] << 8 | p[0];
	}
}

static uint32_t to8(uint32_t v, unsigned max)
{
	return max ? (v * 255 + max / 2) / max : 0;
}

uint32_t pixfmt_to_xrgb(const struct pixfmt *pf, uint32_t v)
{
	struct pixfmt tmp;

	if (!pf->true_colour) {
		bgr233(&tmp);
		pf = &tmp;
	}
	return to8((v >> pf->red_shift) & pf->red_max, pf->red_max) << 16 |
	       to8((v >> pf->green_shift) & pf->green_max, pf->green_max) << 8 |
	       to8((v >> pf->blue_shift) & pf->blue_max, pf->blue_max);
}
