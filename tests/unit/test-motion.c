/* SPDX-License-Identifier: MIT */
/*
 * motion.c: which tiles are moving, which lossy ones are due for their
 * lossless refresh, and what a client holds lossy after copies and
 * updates. Time is given explicitly: nothing here waits.
 */
#include "config.h"

#include "motion.h"
#include "unit.h"

#define W 256
#define H 128
#define DELAY 200

static void add(region_t *r, int x, int y, int w, int h)
{
	pixman_region32_union_rect(r, r, x, y, (unsigned)w, (unsigned)h);
}

/* Whether @r is exactly the rectangle x, y, w, h. */
static bool is_rect(region_t *r, int x, int y, int w, int h)
{
	region_t want;
	bool eq;

	pixman_region32_init_rect(&want, x, y, (unsigned)w, (unsigned)h);
	eq = pixman_region32_equal(r, &want);
	pixman_region32_fini(&want);
	return eq;
}

/* @n changes of @area, @gap ms apart, the last at @end. */
static void changes(struct motion *m, region_t *area, int n, uint64_t gap,
		    uint64_t end)
{
	for (int i = n - 1; i >= 0; i--)
		motion_damage(m, area, W, H, end - (uint64_t)i * gap);
}

START_TEST(test_moving_after_frames_in_a_row)
{
	struct motion m;
	region_t video, all, out;

	motion_init(&m, DELAY);
	pixman_region32_init(&video);
	pixman_region32_init(&all);
	pixman_region32_init(&out);
	/* not on a tile boundary: the tiles it meets move */
	add(&video, 40, 40, 50, 30);
	add(&all, 0, 0, W, H);

	/* nothing changed yet: nothing moves */
	motion_moving(&m, &all, 1000, &out);
	ck_assert(!pixman_region32_not_empty(&out));
	/* two frames are not enough */
	changes(&m, &video, MOTION_MIN_FRAMES - 1, 40, 1000);
	motion_moving(&m, &all, 1000, &out);
	ck_assert(!pixman_region32_not_empty(&out));
	/* the same frame's boxes count once */
	motion_damage(&m, &video, W, H, 1000);
	motion_moving(&m, &all, 1000, &out);
	ck_assert(!pixman_region32_not_empty(&out));
	/* the third: tiles 32..96 x 32..96 move, clipped to what is asked */
	motion_damage(&m, &video, W, H, 1040);
	motion_moving(&m, &all, 1040, &out);
	ck_assert(is_rect(&out, 32, 32, 64, 64));
	motion_moving(&m, &video, 1040, &out);
	ck_assert(is_rect(&out, 40, 40, 50, 30));
	/* still for the delay: no longer moving */
	motion_moving(&m, &all, 1040 + DELAY - 1, &out);
	ck_assert(is_rect(&out, 32, 32, 64, 64));
	motion_moving(&m, &all, 1040 + DELAY, &out);
	ck_assert(!pixman_region32_not_empty(&out));

	pixman_region32_fini(&out);
	pixman_region32_fini(&all);
	pixman_region32_fini(&video);
	motion_fini(&m);
}
END_TEST

/* Changes further apart than the delay are a slow update, never motion:
 * a clock, a blinking cursor, someone typing. */
START_TEST(test_slow_changes_stay_lossless)
{
	struct motion m;
	region_t text, out;

	motion_init(&m, DELAY);
	pixman_region32_init(&text);
	pixman_region32_init(&out);
	add(&text, 0, 0, 8, 16);
	changes(&m, &text, 20, DELAY, 10000);
	motion_moving(&m, &text, 10000, &out);
	ck_assert(!pixman_region32_not_empty(&out));
	pixman_region32_fini(&out);
	pixman_region32_fini(&text);
	motion_fini(&m);
}
END_TEST

START_TEST(test_off_is_lossy_everywhere)
{
	struct motion m;
	region_t area, out;

	motion_init(&m, 0);
	pixman_region32_init(&area);
	pixman_region32_init(&out);
	add(&area, 10, 10, 20, 20);
	motion_damage(&m, &area, W, H, 5);
	ck_assert_ptr_null(m.tiles);
	motion_moving(&m, &area, 5, &out);
	ck_assert(is_rect(&out, 10, 10, 20, 20));
	pixman_region32_fini(&out);
	pixman_region32_fini(&area);
	motion_fini(&m);
}
END_TEST

START_TEST(test_still_and_next_due)
{
	struct motion m;
	region_t a, b, held, due;
	uint64_t next;

	motion_init(&m, DELAY);
	pixman_region32_init(&a);
	pixman_region32_init(&b);
	pixman_region32_init(&held);
	pixman_region32_init(&due);
	add(&a, 0, 0, 32, 32);
	add(&b, 64, 0, 32, 32);
	changes(&m, &a, 3, 30, 1000);
	changes(&m, &b, 3, 30, 1100);
	pixman_region32_union(&held, &a, &b);

	/* a is due at 1200, b at 1300 */
	next = motion_still(&m, &held, 1150, &due);
	ck_assert(!pixman_region32_not_empty(&due));
	ck_assert_uint_eq(next, 1000 + DELAY);
	next = motion_still(&m, &held, 1200, &due);
	ck_assert(pixman_region32_equal(&due, &a));
	ck_assert_uint_eq(next, 1100 + DELAY);
	next = motion_still(&m, &held, 1300, &due);
	ck_assert(pixman_region32_equal(&due, &held));
	ck_assert_uint_eq(next, 0);
	/* a change meanwhile puts a tile's refresh off */
	motion_damage(&m, &b, W, H, 1250);
	next = motion_still(&m, &held, 1300, &due);
	ck_assert(pixman_region32_equal(&due, &a));
	ck_assert_uint_eq(next, 1250 + DELAY);
	/* nothing held: nothing due, no timer */
	pixman_region32_clear(&held);
	ck_assert_uint_eq(motion_still(&m, &held, 5000, &due), 0);
	ck_assert(!pixman_region32_not_empty(&due));

	pixman_region32_fini(&due);
	pixman_region32_fini(&held);
	pixman_region32_fini(&b);
	pixman_region32_fini(&a);
	motion_fini(&m);
}
END_TEST

/* After a resize (or a new delay) the tiles are forgotten: what was held
 * lossy is all due. */
START_TEST(test_reset_forgets)
{
	struct motion m;
	region_t a, due;

	motion_init(&m, DELAY);
	pixman_region32_init(&a);
	pixman_region32_init(&due);
	add(&a, 0, 0, 64, 64);
	changes(&m, &a, 3, 10, 100);
	motion_reset(&m);
	motion_moving(&m, &a, 100, &due);
	ck_assert(!pixman_region32_not_empty(&due));
	ck_assert_uint_eq(motion_still(&m, &a, 100, &due), 0);
	ck_assert(pixman_region32_equal(&due, &a));
	pixman_region32_fini(&due);
	pixman_region32_fini(&a);
	motion_fini(&m);
}
END_TEST

START_TEST(test_held_bookkeeping)
{
	region_t held, exact, lossy, dst;

	pixman_region32_init(&held);
	pixman_region32_init(&exact);
	pixman_region32_init(&lossy);
	pixman_region32_init(&dst);

	/* sent lossy, then part of it lossless */
	add(&lossy, 0, 0, 100, 100);
	motion_held_sent(&held, &exact, &lossy);
	ck_assert(is_rect(&held, 0, 0, 100, 100));
	pixman_region32_clear(&lossy);
	add(&exact, 50, 0, 50, 100);
	motion_held_sent(&held, &exact, &lossy);
	ck_assert(is_rect(&held, 0, 0, 50, 100));

	/* a lossy area copied 200 to the right: both places are lossy */
	add(&dst, 200, 0, 50, 100);
	motion_held_copy(&held, &dst, 200, 0);
	ck_assert_int_eq(pixman_region32_n_rects(&held), 2);
	ck_assert(pixman_region32_contains_point(&held, 220, 50, NULL));
	ck_assert(pixman_region32_contains_point(&held, 10, 50, NULL));
	/* exact pixels copied over a lossy area make it exact */
	pixman_region32_clear(&dst);
	add(&dst, 0, 0, 50, 100);
	motion_held_copy(&held, &dst, 0, 300);
	ck_assert(is_rect(&held, 200, 0, 50, 100));
	/* lossless and lossy in one update: lossy is sent last and wins */
	pixman_region32_clear(&exact);
	pixman_region32_clear(&lossy);
	add(&exact, 200, 0, 50, 100);
	add(&lossy, 200, 0, 10, 10);
	motion_held_sent(&held, &exact, &lossy);
	ck_assert(is_rect(&held, 200, 0, 10, 10));

	pixman_region32_fini(&dst);
	pixman_region32_fini(&lossy);
	pixman_region32_fini(&exact);
	pixman_region32_fini(&held);
}
END_TEST

static Suite *motion_suite(void)
{
	Suite *s = suite_create("motion");
	TCase *tc = unit_tcase(s, "motion");

	tcase_add_test(tc, test_moving_after_frames_in_a_row);
	tcase_add_test(tc, test_slow_changes_stay_lossless);
	tcase_add_test(tc, test_off_is_lossy_everywhere);
	tcase_add_test(tc, test_still_and_next_due);
	tcase_add_test(tc, test_reset_forgets);
	tcase_add_test(tc, test_held_bookkeeping);
	return s;
}

UNIT_MAIN(motion_suite)
