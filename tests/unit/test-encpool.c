/* SPDX-License-Identifier: MIT */
/*
 * encpool: the one way encoders run work on the encoder threads. Items
 * are consumed in order, each exactly once, after it was prepared;
 * items marked ahead are prepared exactly once, by one thread index at a
 * time, others never; ENCPOOL_STOP leaves the rest prepared for the
 * caller; an error stops consuming; fork-join without consume(). Each
 * with 1, 2, 3 and 8 threads, for 0 .. 300 items, with items that take
 * uneven time so threads really overtake each other. Also the one
 * decision of whether a rectangle is split. And what it is for: the
 * encoders that promise it write the same bytes with 1, 2 and 3 threads,
 * over a sequence of large updates on one connection (persistent zlib
 * streams).
 */
#include "config.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "../enc/enc-images.h"
#include "buf.h"
#include "encoder.h"
#include "encpool.h"
#include "pixfmt.h"
#include "unit.h"
#include "worker.h"

#define MAX_ITEMS 300
#define MAX_THREADS 8

struct rec {
	size_t n;
	unsigned threads;		/* thread indexes are below this */
	unsigned ahead_every;		/* item i is ahead if i % this == 0 */
	size_t stop_at, fail_at;	/* SIZE_MAX: never */
	atomic_int prepared[MAX_ITEMS];
	atomic_int busy[MAX_THREADS];	/* a prepare() runs on this index */
	atomic_int overlap;		/* one index ran two at once */
	atomic_int bad_thread;
	size_t consumed[MAX_ITEMS];
	size_t nconsumed;
	int consumed_unprepared;
	uint64_t sink[MAX_THREADS];
};

static bool rec_ahead(void *arg, size_t i)
{
	const struct rec *r = arg;

	return i % r->ahead_every == 0;
}

static void rec_prepare(void *arg, size_t i, unsigned thread)
{
	struct rec *r = arg;
	uint64_t x = i + 1;

	if (thread >= r->threads) {
		atomic_store(&r->bad_thread, 1);
		return;
	}
	if (atomic_fetch_add(&r->busy[thread], 1) != 0)
		atomic_store(&r->overlap, 1);
	/* Uneven work, so that later items finish before earlier ones. */
	for (unsigned k = 0; k < (unsigned)((i * 7919) % 5000); k++)
		x = x * 6364136223846793005ull + 1442695040888963407ull;
	r->sink[thread] += x;
	atomic_fetch_add(&r->prepared[i], 1);
	atomic_fetch_sub(&r->busy[thread], 1);
}

static int rec_consume(void *arg, size_t i)
{
	struct rec *r = arg;

	if (i == r->fail_at)
		return -EIO;
	if (i == r->stop_at)
		return ENCPOOL_STOP;
	if (rec_ahead(r, i) && atomic_load(&r->prepared[i]) != 1)
		r->consumed_unprepared++;
	r->consumed[r->nconsumed++] = i;
	return 0;
}

static const struct encpool_ops pipeline = {
	.prepare = rec_prepare,
	.ahead = rec_ahead,
	.consume = rec_consume,
};

static const struct encpool_ops fork_join = { .prepare = rec_prepare };

static const unsigned threads[] = { 1, 2, 3, MAX_THREADS };
/* Where consume() stops or fails, of 64 items. */
static const size_t stops[] = { 0, 1, 5, 31, 63 };
#define NSTOPS (sizeof(stops) / sizeof(stops[0]))
static const size_t counts[] = { 0, 1, 2, 7, 64, MAX_ITEMS };
#define NTHREADS (sizeof(threads) / sizeof(threads[0]))
#define NCOUNTS (sizeof(counts) / sizeof(counts[0]))

static void rec_init(struct rec *r, size_t n, unsigned ahead_every)
{
	memset(r, 0, sizeof(*r));
	r->threads = encpool_threads();
	r->n = n;
	r->ahead_every = ahead_every;
	r->stop_at = r->fail_at = SIZE_MAX;
}

/* Every ahead item prepared once, every other item never. */
static void assert_prepared(const struct rec *r)
{
	for (size_t i = 0; i < r->n; i++)
		ck_assert_int_eq(atomic_load(&r->prepared[i]),
				 i % r->ahead_every == 0 ? 1 : 0);
	ck_assert_int_eq(atomic_load(&r->overlap), 0);
	ck_assert_int_eq(atomic_load(&r->bad_thread), 0);
}

/* _i: threads x counts x (all ahead, every third ahead) */
START_TEST(test_in_order)
{
	unsigned t = threads[_i % NTHREADS];
	size_t n = counts[_i / NTHREADS % NCOUNTS];
	unsigned every = _i / (NTHREADS * NCOUNTS) ? 3 : 1;
	static struct rec r;

	ck_assert_int_eq(worker_init(t), 0);
	ck_assert_uint_eq(encpool_threads(), t);
	rec_init(&r, n, every);
	ck_assert_int_eq(encpool_run(&pipeline, &r, n), (ssize_t)n);
	ck_assert_uint_eq(r.nconsumed, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(r.consumed[i], i);
	ck_assert_int_eq(r.consumed_unprepared, 0);
	assert_prepared(&r);
	worker_fini();
}
END_TEST

/* ENCPOOL_STOP at item stops[_i] of 64: the items before it consumed,
 * all still prepared. */
START_TEST(test_stop)
{
	static struct rec r;
	size_t at = stops[_i];

	for (size_t k = 0; k < NTHREADS; k++) {
		ck_assert_int_eq(worker_init(threads[k]), 0);
		rec_init(&r, 64, 1);
		r.stop_at = at;
		ck_assert_int_eq(encpool_run(&pipeline, &r, 64), (ssize_t)at);
		ck_assert_uint_eq(r.nconsumed, at);
		assert_prepared(&r);
		worker_fini();
	}
}
END_TEST

/* An error from consume() at item stops[_i] of 64 is the result;
 * nothing after it is consumed, and the run ends (no thread left
 * waiting). */
START_TEST(test_error)
{
	static struct rec r;
	size_t at = stops[_i];

	for (size_t k = 0; k < NTHREADS; k++) {
		ck_assert_int_eq(worker_init(threads[k]), 0);
		rec_init(&r, 64, 2);
		r.fail_at = at;
		ck_assert_int_eq(encpool_run(&pipeline, &r, 64), -EIO);
		ck_assert_uint_eq(r.nconsumed, at);
		ck_assert_int_eq(r.consumed_unprepared, 0);
		worker_fini();
	}
}
END_TEST

/* Without consume(): every item prepared once, on any thread. */
START_TEST(test_fork_join)
{
	unsigned t = threads[_i % NTHREADS];
	size_t n = counts[_i / NTHREADS];
	static struct rec r;

	ck_assert_int_eq(worker_init(t), 0);
	rec_init(&r, n, 1);
	ck_assert_int_eq(encpool_run(&fork_join, &r, n), (ssize_t)n);
	ck_assert_uint_eq(r.nconsumed, 0);
	assert_prepared(&r);
	worker_fini();
}
END_TEST

/* Runs one after another on the same pool, as an encoder's updates do. */
START_TEST(test_repeated)
{
	static struct rec r;

	ck_assert_int_eq(worker_init(3), 0);
	for (int k = 0; k < 200; k++) {
		size_t n = (size_t)(k % 40);

		rec_init(&r, n, (unsigned)(k % 4) + 1);
		ck_assert_int_eq(encpool_run(&pipeline, &r, n), (ssize_t)n);
		ck_assert_uint_eq(r.nconsumed, n);
		assert_prepared(&r);
	}
	worker_fini();
}
END_TEST

/* The one decision: never split with one thread or below the pixel
 * threshold; bands are whole units and at least two. */
START_TEST(test_split)
{
	ck_assert_int_eq(worker_init(1), 0);
	ck_assert(!encpool_split(4096, 4096));
	ck_assert_int_eq(encpool_bands(4096, 4096, 16), 0);
	worker_fini();
	ck_assert_int_eq(worker_init(2), 0);
	ck_assert(!encpool_split(511, 511));
	ck_assert(encpool_split(512, 512));
	ck_assert_int_eq(encpool_bands(511, 511, 16), 0);
	/* one unit of rows: nothing to split */
	ck_assert_int_eq(encpool_bands(ENCPOOL_MIN_PIXELS, 1, 64), 0);
	for (int unit = 1; unit <= 64; unit *= 4) {
		int b = encpool_bands(1920, 1080, unit);

		ck_assert_int_gt(b, 0);
		ck_assert_int_eq(b % unit, 0);
		ck_assert_int_lt(b, 1080);
	}
	worker_fini();
}
END_TEST

#define FRAME_W 1280
#define FRAME_H 720

/* A desktop, a photo and a terminal frame, made once before the tests
 * fork (making them costs more than encoding them). */
#define NFRAMES 3
static uint32_t *frames[NFRAMES];

static void make_frames(void)
{
	static const enum img_corpus kinds[NFRAMES] = {
		CORPUS_DESKTOP, CORPUS_PHOTO, CORPUS_TERMINAL
	};

	for (int i = 0; i < NFRAMES; i++) {
		frames[i] = malloc((size_t)FRAME_W * FRAME_H * 4);
		if (!frames[i])
			abort();
		img_corpus(kinds[i], frames[i], FRAME_W, FRAME_W, FRAME_H);
	}
}

static void free_frames(void)
{
	for (int i = 0; i < NFRAMES; i++)
		free(frames[i]);
}

/* The bytes encoder @ops writes for the frames in a row on one
 * connection, with @nthreads encoder threads. */
static void encode_sequence(const struct encoder_ops *ops, int quality,
			    int compress, unsigned nthreads, struct buf *out)
{
	static const struct pixfmt fmt32 = { 32, 24, 0, 1, 255, 255, 255,
					     16, 8, 0 };
	struct pixconv pc;
	struct enc_params p = { &pc, quality, -1, -1, compress,
				ENC_F_LASTRECT };
	struct rect r = { 0, 0, FRAME_W, FRAME_H };
	struct encoder *e;

	ck_assert_int_eq(worker_init(nthreads), 0);
	pixconv_init(&pc, &fmt32);
	e = ops->new_state(ops);
	ck_assert_ptr_nonnull(e);
	for (int i = 0; i < NFRAMES; i++) {
		struct enc_frame f = { frames[i], FRAME_W, FRAME_W, FRAME_H };

		ck_assert_int_ge(ops->encode(e, &p, &f, &r, out), 0);
	}
	ops->free_state(e);
	worker_fini();
}

/* Encoders whose bytes depend on the threads by design (the decoded
 * pixels do not; test-enc-roundtrip decodes them with two threads):
 * hextile's bands each start without the colours carried from the tile
 * before, and deflate streams take large inputs in parallel pieces
 * (zstream.c), which zlib, ZRLE and ZYWRLE feed differently with
 * threads. */
static bool bytes_vary(const char *name)
{
	static const char *const vary[] = { "hextile", "zlib", "zrle",
					    "zywrle" };

	for (size_t i = 0; i < sizeof(vary) / sizeof(vary[0]); i++)
		if (!strcmp(name, vary[i]))
			return true;
	return false;
}

/* _i: encoder x (default settings, CompressLevel 1 + QualityLevel 6) */
START_TEST(test_same_bytes)
{
	size_t n = 0;
	const struct encoder_ops *ops;
	struct buf one = BUF_INIT;
	int quality = _i % 2 ? 6 : -1, compress = _i % 2 ? 1 : -1;

	while (encoder_list[n])
		n++;
	if ((size_t)_i / 2 >= n)
		return;
	ops = encoder_list[_i / 2];
	if (bytes_vary(ops->name))
		return;
	encode_sequence(ops, quality, compress, 1, &one);
	for (unsigned t = 2; t <= 3; t++) {
		struct buf more = BUF_INIT;

		encode_sequence(ops, quality, compress, t, &more);
		ck_assert_msg(one.len == more.len &&
				      memcmp(one.data, more.data, one.len) == 0,
			      "%s q=%d: %zu bytes with 1 thread, %zu with %u",
			      ops->name, quality, one.len, more.len, t);
		buf_fini(&more);
	}
	buf_fini(&one);
}
END_TEST

static Suite *encpool_suite(void)
{
	Suite *s = suite_create("encpool");
	TCase *tc = unit_tcase(s, "encpool");

	tcase_add_loop_test(tc, test_in_order, 0, (int)(2 * NTHREADS * NCOUNTS));
	tcase_add_loop_test(tc, test_stop, 0, (int)NSTOPS);
	tcase_add_loop_test(tc, test_error, 0, (int)NSTOPS);
	tcase_add_loop_test(tc, test_fork_join, 0, (int)(NTHREADS * NCOUNTS));
	tcase_add_test(tc, test_repeated);
	tcase_add_test(tc, test_split);
	tc = unit_tcase(s, "same bytes");
	tcase_add_unchecked_fixture(tc, make_frames, free_frames);
	/* Two cases per encoder, for every encoder there may be. */
	tcase_add_loop_test(tc, test_same_bytes, 0, 2 * 16);
	return s;
}

UNIT_MAIN(encpool_suite)
