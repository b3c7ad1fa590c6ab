/* SPDX-License-Identifier: MIT */
/*
 * ZlibHex encoding (rfbproto §zlibhex): Hextile whose tiles may be
 * deflated. Raw tiles go through the first persistent stream (ZlibRaw bit,
 * 0x20, all other bits clear); other tiles whose body is long enough to
 * gain go through the second stream (Zlib bit, 0x40, plus the usual
 * Hextile bits, which describe the inflated body). Each compressed tile is
 * a U16 length and ends with a sync flush. Both streams live as long as
 * the connection.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "encoder.h"
#include "hextile-tile.h"
#include "rfb-proto.h"
#include "zstream.h"

/* Bodies shorter than this are sent plain: a sync flush alone costs about
 * six bytes plus the two of the length. */
#define ZLIBHEX_MIN_BODY 40
#define ZLIBHEX_DEFAULT_LEVEL 5

struct zlibhex {
	struct encoder base;
	struct hextile_tile tile;
	struct zstream zraw, zenc;
	uint32_t px[HEXTILE_SIZE * HEXTILE_SIZE];
	uint8_t tmp[HEXTILE_TILE_MAX];
};

static struct encoder *zlibhex_new(const struct encoder_ops *ops)
{
	struct zlibhex *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	zstream_init(&s->zraw, MAX_MEM_LEVEL);
	zstream_init(&s->zenc, 8);
	return &s->base;
}

static void zlibhex_free(struct encoder *e)
{
	struct zlibhex *s = (struct zlibhex *)e;

	if (!s)
		return;
	zstream_fini(&s->zraw);
	zstream_fini(&s->zenc);
	free(s);
}

/* Append mask, U16 length and the deflated @len bytes at @in. */
static int put_deflated(struct zstream *z, int level, uint8_t mask,
			const uint8_t *in, size_t len, struct buf *out)
{
	size_t at;
	int r;

	if (buf_reserve(out, 3) < 0)
		return -ENOMEM;
	buf_put_u8(out, mask);
	at = out->len;
	buf_put_u16(out, 0);
	r = zstream_deflate(z, level, in, len, Z_SYNC_FLUSH, out);
	if (r < 0)
		return r;
	if (out->len - at - 2 > UINT16_MAX)
		return -EIO;
	put_u16(out->data + at, (uint16_t)(out->len - at - 2));
	return 0;
}

static int zlibhex_encode(struct encoder *e, const struct enc_params *p,
			  const struct enc_frame *f, const struct rect *r,
			  struct buf *out)
{
	struct zlibhex *s = (struct zlibhex *)e;
	int level = zstream_level(p->compress, ZLIBHEX_DEFAULT_LEVEL);
	struct pixbuf_fmt pf;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	pixbuf_fmt_pixel(&pf, p->pc);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_ZLIBHEX) < 0)
		return -ENOMEM;
	hextile_tile_start(&s->tile);
	for (int y = r->y; y < r->y + r->h; y += HEXTILE_SIZE) {
		int th = r->y + r->h - y < HEXTILE_SIZE ? r->y + r->h - y
							: HEXTILE_SIZE;

		for (int x = r->x; x < r->x + r->w; x += HEXTILE_SIZE) {
			int tw = r->x + r->w - x < HEXTILE_SIZE
					 ? r->x + r->w - x
					 : HEXTILE_SIZE;
			int len, ret = 0;

			pixbuf_fetch(p->pc, 0,
				     f->pixels + (size_t)y * f->stride + x,
				     f->stride, tw, th, s->px, (size_t)tw);
			len = hextile_tile_encode(&s->tile, s->px, tw, th, &pf,
						  s->tmp);
			if (s->tmp[0] == HEXTILE_RAW)
				ret = put_deflated(&s->zraw, level,
						   HEXTILE_ZLIB_RAW, s->tmp + 1,
						   (size_t)len - 1, out);
			else if (len - 1 >= ZLIBHEX_MIN_BODY)
				ret = put_deflated(&s->zenc, level,
						   s->tmp[0] | HEXTILE_ZLIB,
						   s->tmp + 1, (size_t)len - 1,
						   out);
			else if (buf_append(out, s->tmp, (size_t)len) < 0)
				ret = -ENOMEM;
			if (ret < 0)
				return ret;
		}
	}
	return 1;
}

const struct encoder_ops encoder_zlibhex = {
	.type = RFB_ENC_ZLIBHEX,
	.name = "zlibhex",
	.new_state = zlibhex_new,
	.free_state = zlibhex_free,
	.encode = zlibhex_encode,
};
