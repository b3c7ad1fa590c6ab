/* SPDX-License-Identifier: MIT */
/*
 * Raw encoding (RFC 6143 §7.7.1): the pixels, translated, row by row.
 * Stateless; every client can decode it.
 */
#include "config.h"

#include <stdlib.h>

#include "encoder.h"
#include "rfb-proto.h"

static struct encoder *raw_new(const struct encoder_ops *ops)
{
	struct encoder *e = malloc(sizeof(*e));

	if (e)
		e->ops = ops;
	return e;
}

static void raw_free(struct encoder *e)
{
	free(e);
}

static int raw_encode(struct encoder *e, const struct enc_params *p,
		      const struct enc_frame *f, const struct rect *r,
		      struct buf *out)
{
	return enc_put_raw(p, f, r, out);
}

const struct encoder_ops encoder_raw = {
	.type = RFB_ENC_RAW,
	.name = "raw",
	.new_state = raw_new,
	.free_state = raw_free,
	.encode = raw_encode,
};
