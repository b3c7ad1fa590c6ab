/* SPDX-License-Identifier: MIT */
/*
 * zstream: one persistent deflate stream that zlib, parallel pieces and
 * the fast engine take turns to continue, rectangle by rectangle or several
 * at once. Whatever the mix, one client
 * inflater must get back every rectangle exactly, and references into
 * data written by another engine must resolve.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "worker.h"
#include "zstream.h"

#define BIG (300u * 1024)

enum kind { SMALL_TEXT, BIG_NOISE, BIG_SMOOTH, REPEAT, NKINDS };

/* Input of @kind into @p (at least BIG bytes); returns its length.
 * REPEAT copies the tail of the previous input, so a match must reach
 * back into what the other engine wrote. */
static size_t make_input(struct unit_rng *rng, enum kind kind, uint8_t *p,
			 const uint8_t *prev, size_t prev_len)
{
	size_t n;

	switch (kind) {
	case SMALL_TEXT:
		n = 1 + unit_rng_below(rng, 20000);
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)"abcd  efgh\n"[unit_rng_below(rng, 11)];
		return n;
	case BIG_NOISE:
		/* Like a video frame's 24-bit pixels: smooth waves under
		 * noisy low bits. */
		n = BIG + unit_rng_below(rng, 4096);
		for (size_t i = 0; i < n; i++) {
			size_t x = i / 3 % 640, y = i / 3 / 640;
			size_t v = (i % 3 == 0 ? x / 3 + y / 7
					       : i % 3 == 1 ? y / 2 : (x + y) / 4);

			p[i] = (uint8_t)((v & 255) ^ unit_rng_below(rng, 16));
		}
		return n;
	case BIG_SMOOTH:
		/* 24-bit gradient pixels: the content zlib codes better. */
		n = BIG - BIG % 3;
		for (size_t i = 0; i < n; i += 3) {
			size_t x = i / 3 % 640, y = i / 3 / 640;

			p[i] = (uint8_t)(x * 255 / 639);
			p[i + 1] = (uint8_t)(y * 2);
			p[i + 2] = (uint8_t)((x + y) / 4);
		}
		return n;
	default:
		if (!prev_len) {
			p[0] = 'x';
			return 1;
		}
		n = prev_len < 16384 ? prev_len : 16384;
		memcpy(p, prev + prev_len - n, n);
		return n;
	}
}

/* @force: now and then impose an engine for the next large rectangles,
 * as a sample's verdict would, so every engine meets every other. */
static void run_sequence(unsigned seed, int rects, bool force)
{
	struct unit_rng rng;
	struct zstream z;
	struct buf out = BUF_INIT;
	z_stream inf;
	uint8_t *in = malloc(BIG + 8192), *prev = malloc(BIG + 8192);
	uint8_t *dec = malloc(BIG + 8192);
	size_t prev_len = 0, consumed = 0;
	bool used[2] = { false, false };

	ck_assert(in && prev && dec);
	unit_rng_seed(&rng, seed);
	zstream_init(&z, 8);
	memset(&inf, 0, sizeof(inf));
	ck_assert_int_eq(inflateInit(&inf), Z_OK);
	for (int r = 0; r < rects; r++) {
		enum kind kind = (enum kind)unit_rng_below(&rng, NKINDS);
		int level = (int)unit_rng_below(&rng, 10);
		size_t len = make_input(&rng, kind, in, prev, prev_len);
		size_t split = unit_rng_below(&rng, 4) ? len
						       : unit_rng_below(&rng,
								(uint32_t)len);
		int ret;

		if (force && !unit_rng_below(&rng, 4)) {
#ifdef HAVE_ISAL
			z.pick = (enum zstream_engine)unit_rng_below(&rng, 2);
#else
			z.pick = ZSTREAM_ZLIB;
#endif
			z.reuse = (1 + unit_rng_below(&rng, 3)) * BIG;
		}
		/* A rectangle, sometimes fed in two calls, sometimes cut
		 * into several rectangles deflated at once. */
		if (split == len && !unit_rng_below(&rng, 3)) {
			size_t n = 1 + unit_rng_below(&rng, 5), ends[5];
			struct buf outs[5];

			for (size_t i = 0; i < n; i++) {
				ends[i] = len * (i + 1) / n;
				outs[i] = (struct buf)BUF_INIT;
			}
			ret = zstream_deflate_rects(&z, level, in, ends, n,
						    outs);
			for (size_t i = 0; i < n; i++) {
				ck_assert_int_eq(buf_append(&out, outs[i].data,
							    outs[i].len),
						 0);
				buf_fini(&outs[i]);
			}
		} else if (split < len) {
			ck_assert_int_eq(zstream_deflate(&z, level, in, split,
							 Z_NO_FLUSH, &out),
					 0);
			ret = zstream_deflate(&z, level, in + split,
					      len - split, Z_SYNC_FLUSH, &out);
		} else {
			ret = zstream_deflate(&z, level, in, len, Z_SYNC_FLUSH,
					      &out);
		}
		ck_assert_int_eq(ret, 0);
		used[z.engine] = true;
		/* The client inflates what arrived, as one stream. */
		inf.next_in = out.data + consumed;
		inf.avail_in = (uInt)(out.len - consumed);
		inf.next_out = dec;
		inf.avail_out = (uInt)(BIG + 8192);
		ret = inflate(&inf, Z_SYNC_FLUSH);
		ck_assert_msg(ret == Z_OK, "rect %d (kind %d, level %d): %s",
			      r, kind, level, inf.msg ? inf.msg : "?");
		ck_assert_uint_eq(inf.avail_in, 0);
		ck_assert_uint_eq((size_t)(inf.next_out - dec), len);
		ck_assert_msg(memcmp(dec, in, len) == 0,
			      "rect %d (kind %d, level %d) differs", r, kind,
			      level);
		consumed = out.len;
		memcpy(prev, in, len);
		prev_len = len;
	}
	ck_assert(used[ZSTREAM_ZLIB]);
#ifdef HAVE_ISAL
	if (force)
		ck_assert_msg(used[ZSTREAM_FAST], "ISA-L was never used");
#endif
	inflateEnd(&inf);
	zstream_fini(&z);
	buf_fini(&out);
	free(in);
	free(prev);
	free(dec);
}

START_TEST(test_one_thread)
{
	run_sequence(1, 120, false);
}
END_TEST

START_TEST(test_forced)
{
	run_sequence(3, 200, true);
}
END_TEST

START_TEST(test_pool)
{
	/* Parallel pieces take turns with the fast engine too. */
	ck_assert_int_eq(worker_init(2), 0);
	run_sequence(2, 120, true);
	worker_fini();
}
END_TEST

/* A rectangle fed as a small piece, then a large rest with the sync
 * flush (ZRLE's first bands, then the others): the rest starts afresh,
 * in parallel pieces, and the client still inflates one stream. */
START_TEST(test_large_after_small)
{
	struct unit_rng rng;
	struct zstream z;
	struct buf out = BUF_INIT;
	size_t small = 5000, len = 4 * BIG, got = 0;
	uint8_t *in = malloc(len + 8192), *dec = malloc(len);
	z_stream inf;

	ck_assert(in && dec);
	memset(in, 0, len);
	ck_assert_int_eq(worker_init(2), 0);
	unit_rng_seed(&rng, 7);
	for (size_t at = 0; at < len; at += BIG)
		make_input(&rng, at ? BIG_NOISE : SMALL_TEXT, in + at, NULL, 0);
	zstream_init(&z, 8);
	memset(&inf, 0, sizeof(inf));
	ck_assert_int_eq(inflateInit(&inf), Z_OK);
	for (int level = 1; level <= 9; level += 4) {
		ck_assert_int_eq(zstream_deflate(&z, level, in, small,
						 Z_NO_FLUSH, &out), 0);
		ck_assert_int_eq(zstream_deflate(&z, level, in + small,
						 len - small, Z_SYNC_FLUSH,
						 &out), 0);
		ck_assert(z.idle);
		inf.next_in = out.data + got;
		inf.avail_in = (uInt)(out.len - got);
		inf.next_out = dec;
		inf.avail_out = (uInt)len;
		ck_assert_int_eq(inflate(&inf, Z_SYNC_FLUSH), Z_OK);
		ck_assert_uint_eq(inf.avail_in, 0);
		ck_assert_uint_eq((size_t)(inf.next_out - dec), len);
		ck_assert(memcmp(dec, in, len) == 0);
		got = out.len;
	}
	inflateEnd(&inf);
	zstream_fini(&z);
	worker_fini();
	buf_fini(&out);
	free(in);
	free(dec);
}
END_TEST

#ifdef HAVE_ISAL
/* ZRLE ends a rectangle with an empty flush whose buffer may be NULL,
 * while the fast engine is running: that must not reach memcpy()
 * (undefined behaviour, which the sanitizer build turns into a crash). */
START_TEST(test_empty_flush_fast)
{
	struct unit_rng rng;
	struct zstream z;
	struct buf out = BUF_INIT;
	uint8_t *in = malloc(BIG + 8192), *dec = malloc(BIG + 8192);
	z_stream inf;
	size_t len;

	ck_assert(in && dec);
	unit_rng_seed(&rng, 3);
	len = make_input(&rng, BIG_NOISE, in, NULL, 0);
	zstream_init(&z, 8);
	z.pick = ZSTREAM_FAST;
	z.reuse = 4 * BIG;
	ck_assert_int_eq(zstream_deflate(&z, 6, in, len, Z_NO_FLUSH, &out), 0);
	ck_assert_int_eq(z.engine, ZSTREAM_FAST);
	ck_assert_int_eq(zstream_deflate(&z, 6, NULL, 0, Z_SYNC_FLUSH, &out),
			 0);
	memset(&inf, 0, sizeof(inf));
	ck_assert_int_eq(inflateInit(&inf), Z_OK);
	inf.next_in = out.data;
	inf.avail_in = (uInt)out.len;
	inf.next_out = dec;
	inf.avail_out = (uInt)len;
	ck_assert_int_eq(inflate(&inf, Z_SYNC_FLUSH), Z_OK);
	ck_assert_uint_eq((size_t)(inf.next_out - dec), len);
	ck_assert(memcmp(dec, in, len) == 0);
	inflateEnd(&inf);
	zstream_fini(&z);
	buf_fini(&out);
	free(in);
	free(dec);
}
END_TEST
#endif

static Suite *zstream_suite(void)
{
	Suite *s = suite_create("zstream");
	TCase *tc = unit_tcase(s, "engines");

	tcase_add_test(tc, test_one_thread);
	tcase_add_test(tc, test_forced);
	tcase_add_test(tc, test_pool);
	tcase_add_test(tc, test_large_after_small);
#ifdef HAVE_ISAL
	tcase_add_test(tc, test_empty_flush_fast);
#endif
	return s;
}

UNIT_MAIN(zstream_suite)
