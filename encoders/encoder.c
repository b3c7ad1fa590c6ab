/* SPDX-License-Identifier: MIT */
/*
 * The registry of built-in encoders and helpers every encoder shares.
 * Optional encoders (JPEG, PNG) are simply absent when not built.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>

#include "encoder.h"
#include "rfb-proto.h"

const struct encoder_ops *const encoder_list[] = {
	&encoder_raw,
	&encoder_rre,
	&encoder_corre,
	&encoder_hextile,
	&encoder_zlib,
	&encoder_zlibhex,
	&encoder_trle,
	&encoder_zrle,
	&encoder_zywrle,
	&encoder_tight,
#ifdef HAVE_PNG
	&encoder_tightpng,
#endif
	NULL,
};

const struct encoder_ops *encoder_find(int32_t type)
{
	for (size_t i = 0; encoder_list[i]; i++)
		if (encoder_list[i]->type == type)
			return encoder_list[i];
	return NULL;
}

int enc_put_header(struct buf *out, int x, int y, int w, int h, int32_t enc)
{
	if (buf_reserve(out, RFB_RECT_HDR_LEN) < 0)
		return -ENOMEM;
	buf_put_u16(out, (uint16_t)x);
	buf_put_u16(out, (uint16_t)y);
	buf_put_u16(out, (uint16_t)w);
	buf_put_u16(out, (uint16_t)h);
	buf_put_u32(out, (uint32_t)enc);
	return 0;
}

int enc_put_raw(const struct enc_params *p, const struct enc_frame *f,
		const struct rect *r, struct buf *out)
{
	size_t row = (size_t)r->w * p->pc->bytes;
	uint8_t *dst;

	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_RAW) < 0)
		return -ENOMEM;
	dst = buf_extend(out, row * (size_t)r->h);
	if (!dst)
		return -ENOMEM;
	pixconv_translate(p->pc, dst, row,
			  f->pixels + (size_t)r->y * f->stride + r->x,
			  f->stride, r->w, r->h);
	return 1;
}
