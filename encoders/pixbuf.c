/* SPDX-License-Identifier: MIT */
/*
 * Pixel values for encoders: translation of framebuffer blocks into client
 * pixel values and bulk serialisation of values as PIXELs or CPIXELs. The
 * loops are specialised per wire layout; nothing here knows an encoding.
 */
#include "config.h"

#include "pixbuf.h"
#include "vec.h"

static enum pixbuf_kind kind_for(int bytes, bool big_endian)
{
	switch (bytes) {
	case 1:
		return PIXBUF_U8;
	case 2:
		return big_endian ? PIXBUF_U16BE : PIXBUF_U16LE;
	case 3:
		return big_endian ? PIXBUF_U24BE : PIXBUF_U24LE;
	default:
		return big_endian ? PIXBUF_U32BE : PIXBUF_U32LE;
	}
}

void pixbuf_fmt_pixel(struct pixbuf_fmt *f, const struct pixconv *pc)
{
	f->bytes = pc->bytes;
	f->kind = kind_for(pc->bytes, pc->pf.big_endian);
	f->shift = 0;
}

void pixbuf_fmt_cpixel(struct pixbuf_fmt *f, const struct pixconv *pc)
{
	const struct pixfmt *pf = &pc->pf;
	uint64_t used;
	bool ls, ms;

	pixbuf_fmt_pixel(f, pc);
	if (pc->colour_map || pf->bpp != 32 || pf->depth > 24)
		return;
	used = (uint64_t)pf->red_max << pf->red_shift |
	       (uint64_t)pf->green_max << pf->green_shift |
	       (uint64_t)pf->blue_max << pf->blue_shift;
	ls = used < (1u << 24);
	ms = (used & 0xff) == 0;
	if (!ls && !ms)
		return;
	f->bytes = 3;
	f->kind = kind_for(3, pf->big_endian);
	/* Both fit: LS for little-endian, MS for big-endian. */
	if (ls && ms)
		f->shift = pf->big_endian ? 8 : 0;
	else
		f->shift = ms ? 8 : 0;
}

void pixbuf_fetch(const struct pixconv *pc, int shift, const uint32_t *src,
		  size_t src_stride, int w, int h, uint32_t *dst,
		  size_t dst_stride)
{
	const uint32_t *rt = pc->rtab, *gt = pc->gtab, *bt = pc->btab;
	int x, y;

	if (pc->identity && !shift) {
		const vec_u32 mask = vec_splat(0x00ffffffu);

		for (y = 0; y < h; y++, src += src_stride, dst += dst_stride) {
			for (x = 0; x + VEC_LANES <= w; x += VEC_LANES)
				vec_store(dst + x, vec_load(src + x) & mask);
			for (; x < w; x++)
				dst[x] = src[x] & 0x00ffffffu;
		}
		return;
	}
	for (y = 0; y < h; y++, src += src_stride, dst += dst_stride)
		for (x = 0; x < w; x++) {
			uint32_t p = src[x];

			dst[x] = (rt[(p >> 16) & 0xff] | gt[(p >> 8) & 0xff] |
				  bt[p & 0xff]) >> shift;
		}
}

uint8_t *pixbuf_put_n(uint8_t *d, const uint32_t *v, size_t n,
		      enum pixbuf_kind k)
{
	size_t i;

	switch (k) {
	case PIXBUF_U8:
		for (i = 0; i < n; i++)
			d[i] = (uint8_t)v[i];
		return d + n;
	case PIXBUF_U16LE:
		for (i = 0; i < n; i++) {
			d[2 * i] = (uint8_t)v[i];
			d[2 * i + 1] = (uint8_t)(v[i] >> 8);
		}
		return d + 2 * n;
	case PIXBUF_U16BE:
		for (i = 0; i < n; i++) {
			d[2 * i] = (uint8_t)(v[i] >> 8);
			d[2 * i + 1] = (uint8_t)v[i];
		}
		return d + 2 * n;
	case PIXBUF_U24LE:
		for (i = 0; i < n; i++) {
			d[3 * i] = (uint8_t)v[i];
			d[3 * i + 1] = (uint8_t)(v[i] >> 8);
			d[3 * i + 2] = (uint8_t)(v[i] >> 16);
		}
		return d + 3 * n;
	case PIXBUF_U24BE:
		for (i = 0; i < n; i++) {
			d[3 * i] = (uint8_t)(v[i] >> 16);
			d[3 * i + 1] = (uint8_t)(v[i] >> 8);
			d[3 * i + 2] = (uint8_t)v[i];
		}
		return d + 3 * n;
	case PIXBUF_U32LE:
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		memcpy(d, v, 4 * n);
#else
		for (i = 0; i < n; i++) {
			uint32_t x = __builtin_bswap32(v[i]);
			memcpy(d + 4 * i, &x, 4);
		}
#endif
		return d + 4 * n;
	default:
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		memcpy(d, v, 4 * n);
#else
		for (i = 0; i < n; i++) {
			uint32_t x = __builtin_bswap32(v[i]);
			memcpy(d + 4 * i, &x, 4);
		}
#endif
		return d + 4 * n;
	}
}
