/* SPDX-License-Identifier: MIT */
/*
 * fair.c: a viewer's share of the CPU budget and its full-refresh token
 * bucket. Time runs for real (on the loop's clock); no bound in a test
 * depends on how fast the machine is, only on what must wait.
 */
#include "config.h"

#include <string.h>

#include "fair.h"
#include "unit.h"

struct probe {
	struct xrfb_loop *loop;
	unsigned kicks, refreshes;
	region_t due;
	uint64_t due_ms;
};

static void on_kick(void *arg)
{
	struct probe *p = arg;

	p->kicks++;
	xrfb_loop_stop(p->loop, 0);
}

static void on_refresh(void *arg, const region_t *area)
{
	struct probe *p = arg;

	p->refreshes++;
	p->due_ms = xrfb_now_ms();
	pixman_region32_union(&p->due, &p->due, (region_t *)area);
	xrfb_loop_stop(p->loop, 0);
}

static void probe_start(struct probe *p, struct fair *f)
{
	memset(p, 0, sizeof(*p));
	p->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(p->loop);
	pixman_region32_init(&p->due);
	fair_init(f, p->loop, on_kick, on_refresh, p);
}

static void probe_stop(struct probe *p, struct fair *f)
{
	fair_fini(f);
	pixman_region32_fini(&p->due);
	xrfb_loop_free(p->loop);
}

/* A client that spends more than its share waits until the share has
 * earned it back; one that spends nothing never waits. */
START_TEST(test_cpu_share)
{
	struct fair f, g;
	struct probe p;
	uint64_t t0;

	probe_start(&p, &f);
	fair_init(&g, p.loop, on_kick, on_refresh, &p);
	t0 = xrfb_now_ms();
	ck_assert(!fair_held(&f, t0, 25));
	/* 350 ms against the 250 ms saved up: 100 ms over, earned back at
	 * 25 % in 400 ms */
	fair_charge(&f, 350 * 1000);
	/* (asked as of t0: a machine slow enough to pass 400 ms between two
	 * lines would have earned it back already) */
	ck_assert(fair_held(&f, t0, 25));
	ck_assert(!fair_held(&g, t0, 25));
	/* the server captures nothing for a client known to wait */
	ck_assert(fair_waiting(&f));
	ck_assert(!fair_waiting(&g));
	ck_assert_int_eq(xrfb_loop_run(p.loop), 0);
	ck_assert_uint_eq(p.kicks, 1);
	ck_assert(!fair_waiting(&f));
	ck_assert_uint_ge(xrfb_now_ms() - t0, 400);
	ck_assert(!fair_held(&f, xrfb_now_ms(), 25));
	/* no budget: nothing waits */
	fair_charge(&f, 10 * 1000 * 1000);
	ck_assert(!fair_held(&f, xrfb_now_ms(), 0));
	fair_fini(&g);
	probe_stop(&p, &f);
}
END_TEST

/* What was saved at a large share (a budget yielding to an idle
 * machine) shrinks with the share: back at the floor, a client does not
 * spend the burst of the larger one. */
START_TEST(test_share_shrinks)
{
	struct fair f;
	struct probe p;
	uint64_t t;

	probe_start(&p, &f);
	t = xrfb_now_ms();
	ck_assert(!fair_held(&f, t, 150));
	/* 250 ms saved at 150 % are 41 ms at 25 % */
	ck_assert(!fair_held(&f, t, 25));
	fair_charge(&f, 40 * 1000);
	ck_assert(!fair_held(&f, t, 25));
	fair_charge(&f, 10 * 1000);
	ck_assert(fair_held(&f, t, 25));
	probe_stop(&p, &f);
}
END_TEST

/* Two full refreshes at once, then they wait for a token, merged. */
START_TEST(test_refresh_tokens)
{
	struct rect a = { 0, 0, 10, 10 }, b = { 20, 0, 10, 10 };
	struct fair f;
	struct probe p;
	uint64_t t0;

	probe_start(&p, &f);
	t0 = xrfb_now_ms();
	for (int i = 0; i < FAIR_REFRESH_BURST; i++)
		ck_assert(fair_full_request(&f, &a));
	ck_assert(!fair_full_request(&f, &a));
	ck_assert(!fair_full_request(&f, &b));
	ck_assert_int_eq(xrfb_loop_run(p.loop), 0);
	ck_assert_uint_eq(p.refreshes, 1);
	ck_assert_uint_ge(p.due_ms - t0, FAIR_REFRESH_MS);
	ck_assert_int_eq(pixman_region32_n_rects(&p.due), 2);
	/* the token went to the merged refreshes: the next one waits */
	ck_assert(!fair_full_request(&f, &a));
	probe_stop(&p, &f);
}
END_TEST

static Suite *fair_suite(void)
{
	Suite *s = suite_create("fair");
	TCase *tc = unit_tcase(s, "fair");

	tcase_add_test(tc, test_cpu_share);
	tcase_add_test(tc, test_share_shrinks);
	tcase_add_test(tc, test_refresh_tokens);
	return s;
}

UNIT_MAIN(fair_suite)
