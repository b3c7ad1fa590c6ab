/* SPDX-License-Identifier: MIT */
/*
 * Cursor shapes and positions (rfbproto.rst "Cursor Pseudo-encoding",
 * "X Cursor Pseudo-encoding", "PointerPos"), and software cursor
 * composition for clients that draw none themselves. Knows nothing of
 * where the image comes from.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "encoder.h"
#include "rfb-proto.h"

void cursor_init(struct cursor *cur)
{
	memset(cur, 0, sizeof(*cur));
	cur->serial = 1;
	cur->pos_serial = 1;
}

void cursor_fini(struct cursor *cur)
{
	free(cur->argb);
	cur->argb = NULL;
}

int cursor_set(struct cursor *cur, const uint32_t *argb, int w, int h,
	       int hx, int hy)
{
	uint32_t *copy = NULL;

	if (w < 0 || h < 0 || w > CURSOR_MAX_SIZE || h > CURSOR_MAX_SIZE)
		return -EINVAL;
	if (w && h) {
		copy = malloc((size_t)w * (size_t)h * 4);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, argb, (size_t)w * (size_t)h * 4);
	} else {
		w = h = 0;
	}
	free(cur->argb);
	cur->argb = copy;
	cur->w = w;
	cur->h = h;
	cur->hx = hx < w ? hx : (w ? w - 1 : 0);
	cur->hy = hy < h ? hy : (h ? h - 1 : 0);
	cur->serial++;
	return 0;
}

bool cursor_box(const struct cursor *cur, const struct fb *fb,
		struct rect *box)
{
	if (!cur->w || !cur->h)
		return false;
	box->x = cur->x - cur->hx;
	box->y = cur->y - cur->hy;
	box->w = cur->w;
	box->h = cur->h;
	return fb_clip(fb, box);
}

static bool visible(uint32_t argb)
{
	return (argb >> 24) >= 128;
}

static int mask_bytes(int w, int h)
{
	return (w + 7) / 8 * h;
}

int cursor_put_shape(const struct cursor *cur, const struct pixconv *pc,
		     bool rich, struct buf *out)
{
	int w = cur->w, h = cur->h, mb = mask_bytes(w, h);
	size_t size;
	uint8_t *p, *mask;

	if (enc_put_header(out, cur->hx, cur->hy, w, h,
			   rich ? RFB_ENC_CURSOR : RFB_ENC_XCURSOR) < 0)
		return -ENOMEM;
	if (!w || !h)
		return 1;
	size = rich ? (size_t)w * h * pc->bytes + (size_t)mb : 6 + 2u * mb;
	p = buf_extend(out, size);
	if (!p)
		return -ENOMEM;
	memset(p, 0, size);
	if (rich) {
		mask = p + (size_t)w * h * pc->bytes;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				uint32_t a = cur->argb[y * w + x];

				p += pixconv_put(pc, p, pixconv_pixel(pc, a));
				if (visible(a))
					mask[y * ((w + 7) / 8) + x / 8] |=
						(uint8_t)(0x80 >> (x % 8));
			}
	} else {
		/* Two colours: dark pixels are the primary (bitmap 1),
		 * light ones the secondary, as X cursors are drawn. */
		uint8_t *bitmap = p + 6;
		unsigned sum[2][3] = { { 0 } }, cnt[2] = { 0 };

		mask = bitmap + mb;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				uint32_t a = cur->argb[y * w + x];
				unsigned r = (a >> 16) & 255, g = (a >> 8) & 255,
					 b = a & 255;
				int dark = (r * 3 + g * 6 + b) < 1280;
				int bit = y * ((w + 7) / 8) + x / 8;

				if (!visible(a))
					continue;
				mask[bit] |= (uint8_t)(0x80 >> (x % 8));
				if (dark)
					bitmap[bit] |= (uint8_t)(0x80 >> (x % 8));
				sum[!dark][0] += r;
				sum[!dark][1] += g;
				sum[!dark][2] += b;
				cnt[!dark]++;
			}
		for (int i = 0; i < 2; i++)
			for (int k = 0; k < 3; k++)
				p[3 * i + k] = (uint8_t)(cnt[i] ? sum[i][k] / cnt[i]
								: (i ? 255 : 0));
	}
	return 1;
}

int cursor_put_pos(const struct cursor *cur, struct buf *out)
{
	if (enc_put_header(out, cur->x, cur->y, 0, 0, RFB_ENC_POINTER_POS) < 0)
		return -ENOMEM;
	return 1;
}

static uint32_t blend(uint32_t bg, uint32_t fg)
{
	unsigned a = fg >> 24, na = 255 - a;
	unsigned r = (((fg >> 16) & 255) * a + ((bg >> 16) & 255) * na + 127) / 255;
	unsigned g = (((fg >> 8) & 255) * a + ((bg >> 8) & 255) * na + 127) / 255;
	unsigned b = ((fg & 255) * a + (bg & 255) * na + 127) / 255;

	return r << 16 | g << 8 | b;
}

bool cursor_draw(const struct cursor *cur, struct fb *fb, uint32_t *under,
		 struct rect *box)
{
	if (!cursor_box(cur, fb, box))
		return false;
	for (int y = box->y; y < box->y + box->h; y++) {
		const uint32_t *src = cur->argb +
			(size_t)(y - (cur->y - cur->hy)) * cur->w;
		uint32_t *d = fb->pixels + (size_t)y * fb->stride;

		memcpy(under + (size_t)(y - box->y) * box->w, d + box->x,
		       (size_t)box->w * 4);
		for (int x = box->x; x < box->x + box->w; x++) {
			uint32_t a = src[x - (cur->x - cur->hx)];

			if (a >> 24)
				d[x] = blend(d[x], a);
		}
	}
	return true;
}

void cursor_undraw(struct fb *fb, const uint32_t *under,
		   const struct rect *box)
{
	for (int y = box->y; y < box->y + box->h; y++)
		memcpy(fb->pixels + (size_t)y * fb->stride + box->x,
		       under + (size_t)(y - box->y) * box->w,
		       (size_t)box->w * 4);
}
