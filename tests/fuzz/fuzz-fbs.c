/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the decoder of recordings (the server's side of an RFB
 * 3.3 session, as in an FBS file). The first byte picks where the input
 * is cut in two, so the decoder sees its stream in pieces as it does
 * when blocks end anywhere. Besides "no crash, no read out of bounds" it
 * checks that a refusal carries a reason and sticks, and that the damaged
 * box stays inside the framebuffer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fbs.h"
#include "fuzz-check.h"

static int feed_copy(struct fbs_decoder *d, const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	CHECK(copy);
	memcpy(copy, p, len);
	r = fbs_decoder_feed(d, copy, len);
	free(copy);
	return r;
}

static void check(const struct fbs_decoder *d, int r)
{
	if (r < 0) {
		CHECK(r == -EPROTO);
		CHECK(d->error);
		return;
	}
	if (d->fb && d->dx0 < d->dx1) {
		CHECK(d->dx0 >= 0 && d->dy0 >= 0);
		CHECK(d->dx1 <= d->width && d->dy1 <= d->height);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fbs_decoder d;
	size_t cut;
	int r;

	if (!size)
		return 0;
	cut = (size_t)data[0] * (size - 1) / 255;
	data++, size--;
	fbs_decoder_init(&d);
	r = feed_copy(&d, data, cut);
	check(&d, r);
	if (r == 0) {
		r = feed_copy(&d, data + cut, size - cut);
		check(&d, r);
	}
	if (r < 0)
		CHECK(feed_copy(&d, data, size) == -EPROTO);
	fbs_decoder_fini(&d);
	return 0;
}
