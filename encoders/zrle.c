/* SPDX-License-Identifier: MIT */
/*
 * ZRLE encoding (RFC 6143 §7.7.6): the rectangle in 64 x 64 tiles (see
 * rle-tile.c), deflated through one persistent stream per connection with
 * a sync flush per rectangle. Tiles are deflated in batches as they are
 * produced so the uncompressed data stays in cache. Also provides the
 * rectangle loop ZYWRLE builds on.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "rfb-proto.h"
#include "worker.h"
#include "zrle.h"

/* Deflate once this much uncompressed tile data is pending. */
#define ZRLE_BATCH (64 * 1024)
/* libvncserver's ZRLE always uses zlib's default level. */
#define ZRLE_DEFAULT_LEVEL 6

struct encoder *zrle_state_new(const struct encoder_ops *ops)
{
	struct zrle *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	zstream_init(&s->z, 8);
	return &s->base;
}

void zrle_state_free(struct encoder *e)
{
	struct zrle *s = (struct zrle *)e;

	if (!s)
		return;
	zstream_fini(&s->z);
	buf_fini(&s->raw);
	free(s);
}

int zrle_encode_rect(struct zrle *s, int32_t type, zrle_tile_fn fn,
		     const struct enc_params *p, const struct enc_frame *f,
		     const struct rect *r, struct buf *out)
{
	int level = zstream_level(p->compress, ZRLE_DEFAULT_LEVEL);
	size_t at;
	int ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;	/* nothing to send, not even a header */
	rle_tile_init(&s->tile, p->pc);
	if (enc_put_header(out, r->x, r->y, r->w, r->h, type) < 0 ||
	    buf_reserve(out, 4) < 0)
		return -ENOMEM;
	at = out->len;
	buf_put_u32(out, 0);
	s->raw.len = 0;
	for (int y = r->y; y < r->y + r->h; y += ZRLE_TILE) {
		int th = r->y + r->h - y < ZRLE_TILE ? r->y + r->h - y
						     : ZRLE_TILE;

		for (int x = r->x; x < r->x + r->w; x += ZRLE_TILE) {
			int tw = r->x + r->w - x < ZRLE_TILE ? r->x + r->w - x
							     : ZRLE_TILE;

			pixbuf_fetch(p->pc, s->tile.cpx.shift,
				     f->pixels + (size_t)y * f->stride + x,
				     f->stride, tw, th, s->px, (size_t)tw);
			ret = fn(s, s->px, tw, th, &s->raw);
			if (ret < 0)
				return ret;
		}
		/* With encoder threads the whole plaintext goes to one final
		 * call, which deflates large inputs in parallel pieces. */
		if (s->raw.len >= ZRLE_BATCH && worker_threads() == 1) {
			ret = zstream_deflate(&s->z, level, s->raw.data,
					      s->raw.len, Z_NO_FLUSH, out);
			if (ret < 0)
				return ret;
			s->raw.len = 0;
		}
	}
	ret = zstream_deflate(&s->z, level, s->raw.data, s->raw.len,
			      Z_SYNC_FLUSH, out);
	if (ret < 0)
		return ret;
	put_u32(out->data + at, (uint32_t)(out->len - at - 4));
	return 1;
}

static int zrle_tile(struct zrle *s, uint32_t *px, int tw, int th,
		     struct buf *raw)
{
	return rle_tile_encode(&s->tile, px, tw, th, 0, raw);
}

static int zrle_encode(struct encoder *e, const struct enc_params *p,
		       const struct enc_frame *f, const struct rect *r,
		       struct buf *out)
{
	return zrle_encode_rect((struct zrle *)e, RFB_ENC_ZRLE, zrle_tile, p,
				f, r, out);
}

const struct encoder_ops encoder_zrle = {
	.type = RFB_ENC_ZRLE,
	.name = "zrle",
	.new_state = zrle_state_new,
	.free_state = zrle_state_free,
	.encode = zrle_encode,
};
