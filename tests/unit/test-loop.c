/* SPDX-License-Identifier: MIT */
/*
 * loop: timer order and cancellation, prepare hooks, fd watches (and
 * watches freed while their events are pending), posting from another
 * thread, signals, driving the loop from an outside poll() with its fd,
 * timeout and dispatch, and routing log messages. Orders are checked,
 * never durations.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loop.h"
#include "unit.h"
#include "xrfb.h"

#define MAX_LOG 512

struct log {
	struct xrfb_loop *loop;
	int n;
	int v[MAX_LOG];
	int stop_after;		/* stop the loop once n reaches this */
};

static void log_add(struct log *l, int v)
{
	ck_assert_int_lt(l->n, MAX_LOG);
	l->v[l->n++] = v;
	if (l->stop_after && l->n == l->stop_after)
		xrfb_loop_stop(l->loop, 0);
}

struct tev {
	struct log *log;
	int id;
	struct xrfb_timer *other;	/* to cancel when fired */
	struct xrfb_timer **self;
};

static void on_timer(void *arg)
{
	struct tev *t = arg;

	if (t->self)
		*t->self = NULL;
	if (t->other)
		xrfb_timer_cancel(t->other);
	log_add(t->log, t->id);
}

static void on_stop(void *arg)
{
	xrfb_loop_stop(arg, 7);
}

/* Timers fire by due time, and in the order added when due together. */
START_TEST(test_timer_order)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct log log = { loop, 0, { 0 }, 8 };
	struct tev t[8];
	static const struct {
		unsigned delay;
		int id;
	} add[] = { { 180, 7 }, { 0, 0 }, { 120, 6 }, { 0, 1 }, { 60, 4 },
		    { 0, 2 }, { 60, 5 }, { 0, 3 } };

	ck_assert_ptr_nonnull(loop);
	for (int i = 0; i < 8; i++) {
		t[i] = (struct tev){ &log, add[i].id, NULL, NULL };
		ck_assert_ptr_nonnull(xrfb_loop_add_timer(loop, add[i].delay,
							  on_timer, &t[i]));
	}
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	ck_assert_int_eq(log.n, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(log.v[i], i);
	xrfb_loop_free(loop);
}
END_TEST

/* Many timers due at once, some cancelled before, some by other timers
 * while the batch runs: exactly the others fire, in the order added. */
START_TEST(test_timer_cancel)
{
	enum { N = 300 };
	struct xrfb_loop *loop = xrfb_loop_new();
	struct log log = { loop, 0, { 0 }, 0 };
	struct xrfb_timer *tm[N];
	struct tev t[N];
	bool cancelled[N] = { false };
	struct unit_rng rng;
	int expect = 0;

	unit_rng_seed(&rng, 11);
	for (int i = 0; i < N; i++) {
		t[i] = (struct tev){ &log, i, NULL, &tm[i] };
		tm[i] = xrfb_loop_add_timer(loop, 0, on_timer, &t[i]);
	}
	/* Cancel a random third up front (heap removal from anywhere). */
	for (int i = 0; i < N; i++)
		if (unit_rng_below(&rng, 3) == 0) {
			xrfb_timer_cancel(tm[i]);
			tm[i] = NULL;
			cancelled[i] = true;
		}
	/* Some timers cancel a later one when they fire. */
	for (int i = 0; i + 5 < N; i += 7)
		if (!cancelled[i] && !cancelled[i + 5]) {
			t[i].other = tm[i + 5];
			cancelled[i + 5] = true;
		}
	for (int i = 0; i < N; i++)
		expect += !cancelled[i];
	xrfb_timer_cancel(NULL);
	xrfb_loop_add_timer(loop, 100, on_stop, loop);
	ck_assert_int_eq(xrfb_loop_run(loop), 7);
	ck_assert_int_eq(log.n, expect);
	for (int i = 0, k = 0; i < N; i++)
		if (!cancelled[i])
			ck_assert_int_eq(log.v[k++], i);
	xrfb_loop_free(loop);
}
END_TEST

/* Random delays, random cancellations: every surviving timer fires once
 * and none fires before one that was due earlier by a clear margin. */
START_TEST(test_timer_heap)
{
	enum { N = 200 };
	struct xrfb_loop *loop = xrfb_loop_new();
	struct log log = { loop, 0, { 0 }, 0 };
	struct xrfb_timer *tm[N];
	struct tev t[N];
	unsigned delay[N];
	bool alive[N];
	int fired[N] = { 0 }, expect = 0;
	struct unit_rng rng;

	unit_rng_seed(&rng, 12);
	for (int i = 0; i < N; i++) {
		delay[i] = unit_rng_below(&rng, 4) * 40;
		t[i] = (struct tev){ &log, i, NULL, &tm[i] };
		tm[i] = xrfb_loop_add_timer(loop, delay[i], on_timer, &t[i]);
		alive[i] = true;
		if (i > 3 && unit_rng_below(&rng, 4) == 0) {
			int j = (int)unit_rng_below(&rng, (uint32_t)i);

			if (alive[j]) {
				xrfb_timer_cancel(tm[j]);
				alive[j] = false;
			}
		}
	}
	for (int i = 0; i < N; i++)
		expect += alive[i];
	log.stop_after = expect;
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	ck_assert_int_eq(log.n, expect);
	for (int k = 0; k < log.n; k++) {
		int id = log.v[k];

		ck_assert(alive[id]);
		ck_assert_int_eq(fired[id]++, 0);
		/* Same delay: order added; all timers were added within
		 * far less than the 40 ms step between delays. */
		if (k > 0)
			ck_assert_msg(delay[log.v[k - 1]] < delay[id] ||
					      (delay[log.v[k - 1]] ==
						       delay[id] &&
					       log.v[k - 1] < id),
				      "timer %d (%u ms) after %d (%u ms)", id,
				      delay[id], log.v[k - 1],
				      delay[log.v[k - 1]]);
	}
	xrfb_loop_free(loop);
}
END_TEST

static void on_rearm(void *arg)
{
	struct tev *t = arg;

	log_add(t->log, t->id);
	if (t->id < 5) {
		t->id++;
		xrfb_loop_add_timer(t->log->loop, 0, on_rearm, t);
	}
}

/* A timer adding a timer from its callback. */
START_TEST(test_timer_rearm)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct log log = { loop, 0, { 0 }, 6 };
	struct tev t = { &log, 0, NULL, NULL };

	xrfb_loop_add_timer(loop, 0, on_rearm, &t);
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(log.v[i], i);
	xrfb_loop_free(loop);
}
END_TEST

/* Freeing a loop with timers still pending frees them. */
START_TEST(test_free_pending)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct log log = { loop, 0, { 0 }, 0 };
	struct tev t = { &log, 0, NULL, NULL };

	for (int i = 0; i < 40; i++)
		xrfb_loop_add_timer(loop, 100000 + (unsigned)i, on_timer, &t);
	xrfb_loop_free(loop);
	ck_assert_int_eq(log.n, 0);
}
END_TEST

/* ---- prepare hooks ------------------------------------------------------------ */

struct hook {
	struct log *log;
	int id;
	int runs;
	struct hook *remove;	/* remove this hook on the first run */
	bool add_late;		/* add hook 99 on the first run */
};

static void on_late(void *arg)
{
	struct hook *h = arg;

	h->runs++;
}

static struct hook late_hook;

static void on_prepare(void *arg)
{
	struct hook *h = arg;

	h->runs++;
	log_add(h->log, h->id);
	if (h->runs == 1 && h->remove)
		xrfb_loop_remove_prepare(h->log->loop, on_prepare, h->remove);
	if (h->runs == 1 && h->add_late)
		xrfb_loop_add_prepare(h->log->loop, on_late, &late_hook);
	if (h->runs == 3)
		xrfb_loop_stop(h->log->loop, 0);
}

static void on_tick(void *arg)
{
	struct xrfb_loop *loop = arg;

	/* Keep the loop iterating without blocking. */
	xrfb_loop_add_timer(loop, 0, on_tick, loop);
}

START_TEST(test_prepare)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct log log = { loop, 0, { 0 }, 0 };
	struct hook a = { &log, 1, 0, NULL, true };
	struct hook b = { &log, 2, 0, NULL, false };
	struct hook c = { &log, 3, 0, NULL, false };

	a.remove = &c;
	late_hook = (struct hook){ &log, 99, 0, NULL, false };
	ck_assert_int_eq(xrfb_loop_add_prepare(loop, on_prepare, &a), 0);
	ck_assert_int_eq(xrfb_loop_add_prepare(loop, on_prepare, &b), 0);
	ck_assert_int_eq(xrfb_loop_add_prepare(loop, on_prepare, &c), 0);
	xrfb_loop_add_timer(loop, 0, on_tick, loop);
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	/* Every pass runs the hooks in the order added; c was removed by a
	 * during the first pass before its turn; the hook added during the
	 * first pass runs from the second on. a stops the loop in the third
	 * pass, which still completes before the loop returns. */
	ck_assert_int_eq(log.n, 6);
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(log.v[i], 1 + i % 2);
	ck_assert_int_eq(c.runs, 0);
	ck_assert_int_eq(late_hook.runs, 2);

	/* Removing from outside the loop. */
	xrfb_loop_remove_prepare(loop, on_prepare, &a);
	xrfb_loop_remove_prepare(loop, on_prepare, &b);
	xrfb_loop_remove_prepare(loop, on_late, &late_hook);
	xrfb_loop_remove_prepare(loop, on_late, &late_hook);
	xrfb_loop_add_timer(loop, 0, on_stop, loop);
	ck_assert_int_eq(xrfb_loop_run(loop), 7);
	ck_assert_int_eq(a.runs, 3);
	ck_assert_int_eq(late_hook.runs, 2);
	xrfb_loop_free(loop);
}
END_TEST

/* ---- fd watches ------------------------------------------------------------------ */

struct wctx {
	struct xrfb_loop *loop;
	struct xrfb_watch *w, *victim;
	int fd;
	int in, out, victim_calls;
	uint32_t last;
	char got[16];
};

static void on_victim(void *arg, int fd, uint32_t events)
{
	struct wctx *c = arg;

	c->victim_calls++;
}

static void on_fd(void *arg, int fd, uint32_t events)
{
	struct wctx *c = arg;

	ck_assert_int_eq(fd, c->fd);
	c->last = events;
	if (events & XRFB_EV_IN) {
		ssize_t n = read(fd, c->got + c->in, sizeof(c->got) - 1 -
						     (size_t)c->in);

		ck_assert_int_gt(n, 0);
		c->in += (int)n;
		/* Switch to waiting for writability. */
		xrfb_watch_set_events(c->w, XRFB_EV_OUT);
	} else if (events & XRFB_EV_OUT) {
		c->out++;
		ck_assert_int_eq(write(fd, "pong", 4), 4);
		/* The other watch has an event pending in this batch:
		 * it must not be called once freed. */
		if (c->victim) {
			xrfb_watch_free(c->victim);
			c->victim = NULL;
		}
		xrfb_watch_free(c->w);
		c->w = NULL;
		xrfb_loop_stop(c->loop, 0);
	}
}

START_TEST(test_watch)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct wctx c = { .loop = loop };
	int sv[2], sv2[2];
	char buf[8];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv2), 0);
	c.fd = sv[0];
	c.w = xrfb_loop_watch_fd(loop, sv[0], XRFB_EV_IN, on_fd, &c);
	ck_assert_ptr_nonnull(c.w);
	/* Always writable: an event in every batch. */
	c.victim = xrfb_loop_watch_fd(loop, sv2[0], XRFB_EV_OUT, on_victim,
				      &c);
	ck_assert_ptr_nonnull(c.victim);
	ck_assert_int_eq(write(sv[1], "ping", 4), 4);
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	ck_assert_int_eq(c.in, 4);
	ck_assert_mem_eq(c.got, "ping", 4);
	ck_assert_int_eq(c.out, 1);
	ck_assert_int_eq(read(sv[1], buf, sizeof(buf)), 4);
	ck_assert_mem_eq(buf, "pong", 4);
	/* The victim ran while it was alive: at most in the passes before
	 * the OUT event, never after being freed (ASan would also see a
	 * use after free). */
	ck_assert_int_le(c.victim_calls, 2);
	{
		int before = c.victim_calls;

		xrfb_loop_add_timer(loop, 0, on_stop, loop);
		xrfb_loop_run(loop);
		ck_assert_int_eq(c.victim_calls, before);
	}
	/* Watching the same fd twice is refused. */
	{
		struct xrfb_watch *w1 = xrfb_loop_watch_fd(loop, sv2[1],
							   XRFB_EV_IN,
							   on_victim, &c);
		ck_assert_ptr_nonnull(w1);
		ck_assert_ptr_null(xrfb_loop_watch_fd(loop, sv2[1], XRFB_EV_IN,
						      on_victim, &c));
		xrfb_watch_free(w1);
	}
	xrfb_watch_free(NULL);
	xrfb_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
	close(sv2[0]);
	close(sv2[1]);
}
END_TEST

static void on_hup(void *arg, int fd, uint32_t events)
{
	struct wctx *c = arg;

	c->last = events;
	xrfb_watch_free(c->w);
	c->w = NULL;
	xrfb_loop_stop(c->loop, 0);
}

/* A peer closing shows as IN (read returns 0) and/or HUP. */
START_TEST(test_watch_hup)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct wctx c = { .loop = loop };
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	c.w = xrfb_loop_watch_fd(loop, sv[0], XRFB_EV_IN, on_hup, &c);
	close(sv[1]);
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	ck_assert(c.last & (XRFB_EV_IN | XRFB_EV_HUP));
	xrfb_loop_free(loop);
	close(sv[0]);
}
END_TEST

/* ---- posting from other threads ------------------------------------------------ */

enum { POST_THREADS = 4, POST_EACH = 250 };

struct post_ctx {
	struct xrfb_loop *loop;
	pthread_t self;
	int seen[POST_THREADS];		/* next index expected per thread */
	int total;
	bool wrong_thread, out_of_order;
};

struct post_item {
	struct post_ctx *ctx;
	int thread, index;
};

static struct post_item items[POST_THREADS][POST_EACH];

static void on_posted(void *arg)
{
	struct post_item *it = arg;
	struct post_ctx *c = it->ctx;

	if (!pthread_equal(pthread_self(), c->self))
		c->wrong_thread = true;
	if (c->seen[it->thread] != it->index)
		c->out_of_order = true;
	c->seen[it->thread] = it->index + 1;
	if (++c->total == POST_THREADS * POST_EACH)
		xrfb_loop_stop(c->loop, 0);
}

static void *poster(void *arg)
{
	struct post_item *row = arg;

	for (int i = 0; i < POST_EACH; i++)
		if (loop_post(row[i].ctx->loop, on_posted, &row[i]) < 0)
			return (void *)1;
	return NULL;
}

START_TEST(test_post)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct post_ctx c = { .loop = loop, .self = pthread_self() };
	pthread_t th[POST_THREADS];

	for (int t = 0; t < POST_THREADS; t++)
		for (int i = 0; i < POST_EACH; i++)
			items[t][i] = (struct post_item){ &c, t, i };
	for (int t = 0; t < POST_THREADS; t++)
		ck_assert_int_eq(pthread_create(&th[t], NULL, poster, items[t]),
				 0);
	ck_assert_int_eq(xrfb_loop_run(loop), 0);
	for (int t = 0; t < POST_THREADS; t++) {
		void *ret;

		pthread_join(th[t], &ret);
		ck_assert_ptr_null(ret);
	}
	ck_assert_int_eq(c.total, POST_THREADS * POST_EACH);
	ck_assert(!c.wrong_thread);
	ck_assert(!c.out_of_order);
	xrfb_loop_free(loop);
}
END_TEST

/* Posted before the loop runs, and left unrun when the loop is freed. */
START_TEST(test_post_before_and_after)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct post_ctx c = { .loop = loop, .self = pthread_self() };
	struct post_item it = { &c, 0, 0 };

	ck_assert_int_eq(loop_post(loop, on_posted, &it), 0);
	xrfb_loop_add_timer(loop, 200, on_stop, loop);
	/* Stops on the timer: the post ran on the loop thread first. */
	ck_assert_int_eq(xrfb_loop_run(loop), 7);
	ck_assert_int_eq(c.total, 1);
	ck_assert_int_eq(loop_post(loop, on_posted, &it), 0);
	xrfb_loop_free(loop);
	ck_assert_int_eq(c.total, 1);
}
END_TEST

/* ---- signals ------------------------------------------------------------------------ */

static int got_signal;

static void on_usr1(void *arg, int signo)
{
	got_signal = signo;
	xrfb_loop_stop(arg, 42);
}

START_TEST(test_signals)
{
	struct xrfb_loop *loop = xrfb_loop_new();

	ck_assert_int_eq(xrfb_loop_on_signal(loop, SIGUSR1, on_usr1, loop), 0);
	ck_assert_int_eq(kill(getpid(), SIGUSR1), 0);
	ck_assert_int_eq(xrfb_loop_run(loop), 42);
	ck_assert_int_eq(got_signal, SIGUSR1);
	ck_assert_int_eq(xrfb_loop_on_signal(loop, 0, on_usr1, loop), -EINVAL);
	ck_assert_int_eq(xrfb_loop_on_signal(loop, 1000, on_usr1, loop),
			 -EINVAL);
	xrfb_loop_free(loop);
}
END_TEST

START_TEST(test_now)
{
	uint64_t a = xrfb_now_ms(), b = xrfb_now_ms();

	ck_assert_uint_ge(b, a);
	ck_assert_uint_gt(a, 0);
}
END_TEST

static void on_count(void *arg)
{
	(*(int *)arg)++;
}

static void on_readable(void *arg, int fd, uint32_t events)
{
	char c;

	ck_assert(events & XRFB_EV_IN);
	ck_assert_int_eq(read(fd, &c, 1), 1);
	(*(int *)arg)++;
}

/* An embedder's own loop: poll() the loop's fd with its timeout, then
 * dispatch without waiting. */
START_TEST(test_dispatch)
{
	struct xrfb_loop *loop = xrfb_loop_new();
	struct pollfd pfd = { .events = POLLIN };
	int timers = 0, reads = 0, prepares = 0, sv[2];
	struct xrfb_watch *w;

	ck_assert_ptr_nonnull(loop);
	pfd.fd = xrfb_loop_fd(loop);
	ck_assert_int_ge(pfd.fd, 0);
	ck_assert_int_eq(xrfb_loop_timeout(loop), -1);
	ck_assert_int_eq(xrfb_loop_add_prepare(loop, on_count, &prepares), 0);
	/* Nothing to do: dispatch returns at once, the hooks ran. */
	ck_assert_int_eq(xrfb_loop_dispatch(loop, 0), 0);
	ck_assert_int_eq(prepares, 1);
	/* A due timer makes the timeout 0 and runs in the next dispatch. */
	xrfb_loop_add_timer(loop, 0, on_count, &timers);
	ck_assert_int_eq(xrfb_loop_timeout(loop), 0);
	ck_assert_int_eq(xrfb_loop_dispatch(loop, 0), 0);
	ck_assert_int_eq(timers, 1);
	ck_assert_int_eq(prepares, 2);
	/* A far timer gives a positive timeout. */
	xrfb_loop_add_timer(loop, 100000, on_count, &timers);
	ck_assert_int_gt(xrfb_loop_timeout(loop), 0);
	/* A readable watched fd makes the loop's fd readable. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	w = xrfb_loop_watch_fd(loop, sv[0], XRFB_EV_IN, on_readable, &reads);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(poll(&pfd, 1, 0), 0);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert_int_eq(xrfb_loop_dispatch(loop, 0), 0);
	ck_assert_int_eq(reads, 1);
	ck_assert_int_eq(timers, 1);
	/* A blocking dispatch returns once something happened. */
	ck_assert_int_eq(write(sv[1], "y", 1), 1);
	ck_assert_int_eq(xrfb_loop_dispatch(loop, -1), 0);
	ck_assert_int_eq(reads, 2);
	xrfb_watch_free(w);
	xrfb_loop_remove_prepare(loop, on_count, &prepares);
	close(sv[0]);
	close(sv[1]);
	xrfb_loop_free(loop);
}
END_TEST

struct logged {
	int n;
	enum xrfb_log_level level;
	char file[32];
	char msg[128];
};

static void on_log(void *arg, enum xrfb_log_level level, const char *file,
		   int line, const char *msg)
{
	struct logged *l = arg;

	ck_assert_int_gt(line, 0);
	l->n++;
	l->level = level;
	snprintf(l->file, sizeof(l->file), "%s", file);
	snprintf(l->msg, sizeof(l->msg), "%s", msg);
}

/* Messages of code run on a loop go to the loop's callback, up to its
 * level; a second loop has its own. */
START_TEST(test_log_callback)
{
	struct xrfb_loop *a = xrfb_loop_new(), *b;
	struct logged la = { 0 }, lb = { 0 };
	int sv[2];
	struct xrfb_watch *w;

	ck_assert_int_eq(xrfb_loop_set_log(a, XRFB_LOG_WARN, on_log, &la), 0);
	ck_assert_int_eq(xrfb_loop_set_log(a, 99, on_log, &la), -EINVAL);
	/* Watching a bad fd logs an error from the loop's own code. */
	ck_assert_ptr_null(xrfb_loop_watch_fd(a, -1, XRFB_EV_IN, on_readable,
					      NULL));
	ck_assert_int_eq(la.n, 1);
	ck_assert_int_eq(la.level, XRFB_LOG_ERROR);
	ck_assert_str_eq(la.file, "loop.c");
	ck_assert_ptr_nonnull(strstr(la.msg, "epoll_ctl"));
	b = xrfb_loop_new();
	ck_assert_int_eq(xrfb_loop_set_log(b, XRFB_LOG_ERROR, on_log, &lb), 0);
	ck_assert_ptr_null(xrfb_loop_watch_fd(b, -1, XRFB_EV_IN, on_readable,
					      NULL));
	ck_assert_int_eq(lb.n, 1);
	ck_assert_int_eq(la.n, 1);
	/* Dispatching loop a makes its sink the thread's again. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	w = xrfb_loop_watch_fd(a, sv[0], XRFB_EV_IN, on_readable, &la.n);
	ck_assert_int_eq(write(sv[1], "x", 1), 1);
	ck_assert_int_eq(xrfb_loop_dispatch(a, -1), 0);
	ck_assert_int_eq(la.n, 2);	/* the read, counted by on_readable */
	ck_assert_ptr_null(xrfb_loop_watch_fd(a, -1, XRFB_EV_IN, on_readable,
					      NULL));
	ck_assert_int_eq(la.n, 3);
	ck_assert_int_eq(lb.n, 1);
	xrfb_watch_free(w);
	close(sv[0]);
	close(sv[1]);
	xrfb_loop_free(b);
	xrfb_loop_free(a);
}
END_TEST

static Suite *loop_suite(void)
{
	Suite *s = suite_create("loop");
	TCase *tc;

	tc = unit_tcase(s, "timers");
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_cancel);
	tcase_add_test(tc, test_timer_heap);
	tcase_add_test(tc, test_timer_rearm);
	tcase_add_test(tc, test_free_pending);
	tcase_add_test(tc, test_now);

	tc = unit_tcase(s, "hooks");
	tcase_add_test(tc, test_prepare);
	tcase_add_test(tc, test_watch);
	tcase_add_test(tc, test_watch_hup);

	tc = unit_tcase(s, "threads");
	tcase_add_test(tc, test_post);
	tcase_add_test(tc, test_post_before_and_after);
	tcase_add_test(tc, test_signals);

	tc = unit_tcase(s, "embedding");
	tcase_add_test(tc, test_dispatch);
	tcase_add_test(tc, test_log_callback);
	return s;
}

UNIT_MAIN(loop_suite)
