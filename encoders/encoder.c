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
#include "encpool.h"
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

/* Raw translation of a large rectangle, in bands of rows. */
struct enc_raw_job {
	const struct pixconv *pc;
	uint8_t *dst;
	size_t row;
	const uint32_t *src;
	size_t stride;
	int w, h, band;
};

static void enc_raw_band(void *arg, size_t i, unsigned thread)
{
	const struct enc_raw_job *j = arg;
	int y, h = enc_band_rows(j->h, j->band, i, &y);

	pixconv_translate(j->pc, j->dst + (size_t)y * j->row, j->row,
			  j->src + (size_t)y * j->stride, j->stride, j->w, h);
}

/* The bands of enc_rows_run(): each made into its own state on any
 * thread, appended to @out in order. */
struct enc_rows_job {
	struct enc_bandset *set;
	enc_rows_fn *rows;
	const void *ctx;
	const struct enc_params *p;
	const struct enc_frame *f;
	const struct rect *r;
	int band;
	struct buf *out;
	int count;
};

static void enc_rows_band(void *arg, size_t i, unsigned thread)
{
	const struct enc_rows_job *j = arg;
	struct enc_band *b = enc_band_at(j->set, i);
	int y, h = enc_band_rows(j->r->h, j->band, i, &y);

	b->out.len = 0;
	b->ret = j->rows(j->ctx, b, j->p, j->f, j->r, j->r->y + y, h, &b->out);
}

static int enc_rows_append(void *arg, size_t i)
{
	struct enc_rows_job *j = arg;
	struct enc_band *b = enc_band_at(j->set, i);

	if (b->ret < 0)
		return b->ret;
	if (buf_append(j->out, b->out.data, b->out.len) < 0)
		return -ENOMEM;
	j->count += b->ret;
	return 0;
}

static const struct encpool_ops enc_rows_ops = {
	.prepare = enc_rows_band,
	.consume = enc_rows_append,
};

/* Make sure @set has @n band states (new ones zeroed). */
static int enc_bandset_grow(struct enc_bandset *set, size_t n)
{
	char *nb;

	if (n <= set->n)
		return 0;
	nb = realloc(set->bands, n * set->size);
	if (!nb)
		return -ENOMEM;
	memset(nb + set->n * set->size, 0, (n - set->n) * set->size);
	set->bands = nb;
	set->n = n;
	return 0;
}

int enc_rows_run(struct enc_bandset *set, void *one, int unit,
		 enc_rows_fn *rows, const void *ctx, const struct enc_params *p,
		 const struct enc_frame *f, const struct rect *r,
		 struct buf *out)
{
	int band = encpool_bands(r->w, r->h, unit);
	struct enc_rows_job j = { set, rows, ctx, p, f, r, band, out, 0 };
	size_t n;
	ssize_t ret;

	if (!band)
		return rows(ctx, one, p, f, r, r->y, r->h, out);
	n = enc_band_count(r->h, band);
	if (enc_bandset_grow(set, n) < 0)
		return -ENOMEM;
	ret = encpool_run(&enc_rows_ops, &j, n);
	return ret < 0 ? (int)ret : j.count;
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
				  encpool_bands(r->w, r->h, 1) };
	if (j.band) {
		static const struct encpool_ops ops = { .prepare = enc_raw_band };

		if (encpool_run(&ops, &j, enc_band_count(r->h, j.band)) < 0)
			return -ENOMEM;
		return 1;
	}
	pixconv_translate(p->pc, dst, row, j.src, f->stride, r->w, r->h);
	return 1;
}
