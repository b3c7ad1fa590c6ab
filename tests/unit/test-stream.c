/* SPDX-License-Identifier: MIT */
/*
 * stream: the payload queue over a real socketpair. Bytes arrive complete
 * and in order whatever the payload sizes (empty ones, more than one
 * writev's worth, megabytes against a slow reader); a payload shared by
 * two streams is freed once; close-after-flush delivers everything before
 * the close; errors are reported once, from the loop.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "stream.h"
#include "tpeer.h"
#include "unit.h"

struct sctx {
	struct xrfb_loop *loop;
	struct stream *st;
	uint8_t *got;
	size_t got_len, got_cap;
	int reads, errors, drains;
	int err;
	size_t consume_max;	/* consume at most this much per read */
};

static void on_read(void *arg, struct stream *st)
{
	struct sctx *c = arg;
	struct buf *in = stream_input(st);
	size_t n = in->len;

	if (c->consume_max && n > c->consume_max)
		n = c->consume_max;
	if (c->got_len + n > c->got_cap) {
		c->got_cap = (c->got_len + n) * 2;
		c->got = realloc(c->got, c->got_cap);
		ck_assert_ptr_nonnull(c->got);
	}
	memcpy(c->got + c->got_len, in->data, n);
	c->got_len += n;
	buf_consume(in, n);
	c->reads++;
}

static void on_error(void *arg, struct stream *st, int err)
{
	struct sctx *c = arg;

	c->errors++;
	c->err = err;
}

static void on_drain(void *arg, struct stream *st)
{
	struct sctx *c = arg;

	c->drains++;
}

static void setup(struct sctx *c, struct tpeer *p, struct xrfb_loop **loop)
{
	int sv[2];

	*loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(*loop);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						     SOCK_CLOEXEC,
				    0, sv),
			 0);
	memset(c, 0, sizeof(*c));
	c->loop = *loop;
	c->st = stream_new(*loop, sv[0], on_read, on_error, c);
	ck_assert_ptr_nonnull(c->st);
	stream_set_drain_fn(c->st, on_drain);
	ck_assert_int_eq(stream_fd(c->st), sv[0]);
	tpeer_open_fd(p, *loop, sv[1]);
}

static void teardown(struct sctx *c, struct tpeer *p, struct xrfb_loop *loop)
{
	stream_free(c->st);
	tpeer_close(p);
	xrfb_loop_free(loop);
	free(c->got);
}

static struct rcbuf *pattern(size_t len, unsigned seed)
{
	uint8_t *d = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(d);
	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 131 + seed);
	return rcbuf_new(d, len);
}

/* Payloads of every size class, queued before any flush. */
START_TEST(test_order)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;
	struct unit_rng rng;
	uint8_t *want = NULL;
	size_t want_len = 0;

	setup(&c, &p, &loop);
	unit_rng_seed(&rng, 21);
	/* 200 payloads: more than one writev (64 iovecs) and than the
	 * queue's first allocation (16), with empty ones mixed in. */
	for (int i = 0; i < 200; i++) {
		size_t len = i % 9 == 0 ? 0 : unit_rng_below(&rng, 5000);
		struct rcbuf *r = pattern(len, (unsigned)i);

		want = realloc(want, want_len + len + 1);
		memcpy(want + want_len, r->data, len);
		want_len += len;
		ck_assert_int_eq(stream_send(c.st, r), 0);
	}
	ck_assert_uint_eq(stream_queued(c.st), want_len);
	stream_flush(c.st);
	ck_assert(tpeer_wait(&p, want_len));
	ck_assert_uint_eq(p.in_len, want_len);
	ck_assert_mem_eq(p.in, want, want_len);
	ck_assert_uint_eq(stream_queued(c.st), 0);
	ck_assert_int_ge(c.drains, 1);
	ck_assert_int_eq(c.errors, 0);
	free(want);
	teardown(&c, &p, loop);
}
END_TEST

/* Megabytes against a reader that stops: the queue holds them, nothing
 * blocks, and everything arrives once the reader resumes. */
START_TEST(test_slow_reader)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;
	const size_t big = 6u << 20;
	struct rcbuf *r;

	setup(&c, &p, &loop);
	tpeer_set_reading(&p, false);
	r = pattern(big, 7);
	ck_assert_int_eq(stream_send(c.st, rcbuf_ref(r)), 0);
	ck_assert_int_eq(stream_send_copy(c.st, "tail", 4), 0);
	stream_flush(c.st);
	/* The socket cannot take 6 MiB at once. */
	ck_assert_uint_gt(stream_queued(c.st), 0);
	ck_assert_int_eq(c.drains, 0);
	tpeer_set_reading(&p, true);
	ck_assert(tpeer_wait(&p, big + 4));
	ck_assert_mem_eq(p.in, r->data, big);
	ck_assert_mem_eq(p.in + big, "tail", 4);
	ck_assert_uint_eq(stream_queued(c.st), 0);
	ck_assert_int_eq(c.drains, 1);
	ck_assert_int_eq(r->ref, 1);
	rcbuf_unref(r);
	teardown(&c, &p, loop);
}
END_TEST

/* One payload on two streams: both get it; it is freed after both. */
START_TEST(test_shared_payload)
{
	struct xrfb_loop *loop;
	struct sctx c1, c2;
	struct tpeer p1, p2;
	struct rcbuf *r;
	int sv[2];

	setup(&c1, &p1, &loop);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				    sv), 0);
	memset(&c2, 0, sizeof(c2));
	c2.loop = loop;
	c2.st = stream_new(loop, sv[0], on_read, on_error, &c2);
	tpeer_open_fd(&p2, loop, sv[1]);

	r = pattern(300000, 3);
	ck_assert_int_eq(stream_send(c1.st, rcbuf_ref(r)), 0);
	ck_assert_int_eq(stream_send(c2.st, rcbuf_ref(r)), 0);
	ck_assert_int_eq(r->ref, 3);
	stream_flush(c1.st);
	stream_flush(c2.st);
	ck_assert(tpeer_wait(&p1, 300000));
	ck_assert(tpeer_wait(&p2, 300000));
	ck_assert_mem_eq(p1.in, r->data, 300000);
	ck_assert_mem_eq(p2.in, r->data, 300000);
	ck_assert_int_eq(r->ref, 1);
	rcbuf_unref(r);
	stream_free(c2.st);
	tpeer_close(&p2);
	teardown(&c1, &p1, loop);
}
END_TEST

static bool got_bytes(void *arg)
{
	struct sctx *c = arg;

	return c->got_len > 0 || c->errors;
}

static bool got_eleven(void *arg)
{
	struct sctx *c = arg;

	return c->got_len >= 11 || c->errors;
}

static bool got_error(void *arg)
{
	struct sctx *c = arg;

	return c->errors > 0;
}

static void on_flag_timer(void *arg)
{
	*(bool *)arg = true;
}

static bool flag_set(void *arg)
{
	return *(bool *)arg;
}

/* Input: what the owner leaves unconsumed stays for the next call;
 * pausing stops delivery; the peer's close is one on_error(0). */
START_TEST(test_input)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;

	setup(&c, &p, &loop);
	c.consume_max = 3;
	tpeer_send(&p, "0123456789", 10);
	ck_assert(test_run_until(loop, got_bytes, &c));
	ck_assert_uint_eq(c.got_len, 3);
	/* The rest waits in the input buffer for the next bytes. */
	ck_assert_uint_eq(stream_input(c.st)->len, 7);
	c.consume_max = 0;
	tpeer_send(&p, "!", 1);
	ck_assert(test_run_until(loop, got_eleven, &c));
	ck_assert_mem_eq(c.got, "0123456789!", 11);

	stream_pause_read(c.st, true);
	tpeer_send(&p, "abc", 3);
	tpeer_flush(&p);
	/* Nothing is delivered while paused, however long the loop runs
	 * (here: until a timer set after the write fires). */
	{
		bool fired = false;

		xrfb_loop_add_timer(loop, 50, on_flag_timer, &fired);
		ck_assert(test_run_until(loop, flag_set, &fired));
	}
	ck_assert_uint_eq(c.got_len, 11);
	stream_pause_read(c.st, false);
	tpeer_close(&p);
	ck_assert(test_run_until(loop, got_error, &c));
	ck_assert_uint_eq(c.got_len, 14);
	ck_assert_mem_eq(c.got + 11, "abc", 3);
	ck_assert_int_eq(c.errors, 1);
	ck_assert_int_eq(c.err, 0);
	/* After the error: sends are refused and consumed. */
	ck_assert_int_eq(stream_send_copy(c.st, "x", 1), -EPIPE);
	ck_assert_int_eq(stream_send(c.st, NULL), -ENOMEM);
	stream_free(c.st);
	xrfb_loop_free(loop);
	free(c.got);
}
END_TEST

static bool peer_eof(void *arg)
{
	struct tpeer *p = arg;

	return p->eof;
}

/* close_after_flush: every queued byte, then EOF, then on_error(0). */
START_TEST(test_close_after_flush)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;
	struct rcbuf *r;

	setup(&c, &p, &loop);
	tpeer_set_reading(&p, false);
	r = pattern(2u << 20, 9);
	stream_send(c.st, rcbuf_ref(r));
	stream_close_after_flush(c.st);
	/* Closing: nothing more may be queued. */
	ck_assert_int_eq(stream_send_copy(c.st, "late", 4), -EPIPE);
	ck_assert_int_eq(c.errors, 0);
	tpeer_set_reading(&p, true);
	ck_assert(test_run_until(loop, peer_eof, &p));
	ck_assert_uint_eq(p.in_len, 2u << 20);
	ck_assert_mem_eq(p.in, r->data, 2u << 20);
	ck_assert(test_run_until(loop, got_error, &c));
	ck_assert_int_eq(c.errors, 1);
	ck_assert_int_eq(c.err, 0);
	rcbuf_unref(r);
	teardown(&c, &p, loop);
}
END_TEST

/* Writing to a closed peer: an error, reported once, from the loop. */
START_TEST(test_write_error)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;

	setup(&c, &p, &loop);
	stream_pause_read(c.st, true);
	tpeer_close(&p);
	for (int i = 0; i < 20 && !c.errors; i++) {
		stream_send(c.st, pattern(100000, 1));
		stream_flush(c.st);
		/* Never from inside the call. */
		ck_assert_int_eq(c.errors, 0);
	}
	ck_assert(test_run_until(loop, got_error, &c));
	ck_assert_int_eq(c.errors, 1);
	ck_assert(c.err == -EPIPE || c.err == -ECONNRESET);
	stream_free(c.st);
	xrfb_loop_free(loop);
	free(c.got);
}
END_TEST

/* Freeing a stream with a reported error pending and data queued. */
START_TEST(test_free_pending)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;

	setup(&c, &p, &loop);
	tpeer_set_reading(&p, false);
	for (int i = 0; i < 50; i++)
		stream_send(c.st, pattern(100000, (unsigned)i));
	stream_flush(c.st);
	stream_close_after_flush(c.st);
	teardown(&c, &p, loop);
}
END_TEST

/* The thread's CPU time in microseconds. */
static uint64_t thread_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* A reader whose parsing costs 20 ms of CPU for each read. */
static void on_read_busy(void *arg, struct stream *st)
{
	uint64_t until = thread_us() + 20000;
	volatile unsigned spin = 0;

	while (thread_us() < until)
		spin++;
	on_read(arg, st);
}

/* The CPU time spent on input, the owner's parsing included, goes to
 * the sink; sending does not. */
START_TEST(test_cpu_sink)
{
	struct xrfb_loop *loop;
	struct sctx c;
	struct tpeer p;
	uint64_t sink = 0, before;

	setup(&c, &p, &loop);
	stream_set_cpu_sink(c.st, &sink);
	stream_set_owner(c.st, on_read_busy, on_error, on_drain, &c);
	before = thread_us();
	tpeer_send(&p, "0123456789", 10);
	ck_assert(test_run_until(loop, got_bytes, &c));
	ck_assert_int_eq(c.reads, 1);
	ck_assert_uint_ge(sink, 20000);
	ck_assert_uint_le(sink, thread_us() - before);
	/* 6 MiB sent against a slow reader: the sending is not counted */
	sink = 0;
	tpeer_set_reading(&p, false);
	ck_assert_int_eq(stream_send(c.st, pattern(6u << 20, 1)), 0);
	stream_flush(c.st);
	tpeer_set_reading(&p, true);
	ck_assert(tpeer_wait(&p, 6u << 20));
	ck_assert_int_eq(c.reads, 1);
	ck_assert_uint_eq(sink, 0);
	teardown(&c, &p, loop);
}
END_TEST

static Suite *stream_suite(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = unit_tcase(s, "stream");

	tcase_add_test(tc, test_order);
	tcase_add_test(tc, test_slow_reader);
	tcase_add_test(tc, test_shared_payload);
	tcase_add_test(tc, test_input);
	tcase_add_test(tc, test_cpu_sink);
	tcase_add_test(tc, test_close_after_flush);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_free_pending);
	return s;
}

UNIT_MAIN(stream_suite)
