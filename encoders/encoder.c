/* SPDX-License-Identifier: MIT */
/*
 * The registry of built-in encoders and helpers every encoder shares.
 * Optional encoders (JPEG, PNG) are simply absent when not built.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "encoder.h"
#include "rfb-proto.h"
#include "worker.h"

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

/* Raw translation of a large rectangle, in bands of rows. */
struct enc_raw_job {
	const struct pixconv *pc;
	uint8_t *dst;
	size_t row;
	const uint32_t *src;
	size_t stride;
	int w, h, band;
};

static void enc_raw_band(void *arg, size_t i)
{
	const struct enc_raw_job *j = arg;
	int y = (int)i * j->band;
	int h = j->h - y < j->band ? j->h - y : j->band;

	pixconv_translate(j->pc, j->dst + (size_t)y * j->row, j->row,
			  j->src + (size_t)y * j->stride, j->stride, j->w, h);
}

int enc_bands(int w, int h, int unit)
{
	unsigned n = worker_threads();
	int units = (h + unit - 1) / unit, per;

	if (n < 2 || (int64_t)w * h < ENC_PARALLEL_MIN_PIXELS || units < 2)
		return 0;
	/* A few bands per thread even out unequal costs. */
	per = (units + 4 * (int)n - 1) / (4 * (int)n);
	return per * unit;
}

int enc_bandset_run(struct enc_bandset *set, size_t n,
		    void (*task)(void *arg, size_t i), void *arg,
		    struct buf *out)
{
	int count = 0;

	if (n > set->n) {
		char *nb = realloc(set->bands, n * set->size);

		if (!nb)
			return -ENOMEM;
		memset(nb + set->n * set->size, 0, (n - set->n) * set->size);
		set->bands = nb;
		set->n = n;
	}
	worker_run(n, task, arg);
	for (size_t i = 0; i < n; i++) {
		struct enc_band *b = enc_band_at(set, i);

		if (b->ret < 0)
			return b->ret;
		if (buf_append(out, b->out.data, b->out.len) < 0)
			return -ENOMEM;
		count += b->ret;
	}
	return count;
}

void enc_bandset_fini(struct enc_bandset *set)
{
	for (size_t i = 0; i < set->n; i++)
		buf_fini(&((struct enc_band *)enc_band_at(set, i))->out);
	free(set->bands);
	set->bands = NULL;
	set->n = 0;
}

int enc_put_raw(const struct enc_params *p, const struct enc_frame *f,
		const struct rect *r, struct buf *out)
{
	size_t row = (size_t)r->w * p->pc->bytes;
	struct enc_raw_job j;
	uint8_t *dst;

	if (enc_put_header(out, r->x, r->y, r->w, r->h, RFB_ENC_RAW) < 0)
		return -ENOMEM;
	dst = buf_extend(out, row * (size_t)r->h);
	if (!dst)
		return -ENOMEM;
	j = (struct enc_raw_job){ p->pc, dst, row,
				  f->pixels + (size_t)r->y * f->stride + r->x,
				  f->stride, r->w, r->h,
				  enc_bands(r->w, r->h, 1) };
	if (j.band) {
		worker_run((size_t)((r->h + j.band - 1) / j.band),
			   enc_raw_band, &j);
		return 1;
	}
	pixconv_translate(p->pc, dst, row, j.src, f->stride, r->w, r->h);
	return 1;
}
