/* SPDX-License-Identifier: MIT */
/*
 * throttle: five failures are free, then refusals that double up to the
 * cap; a success forgets; addresses are kept apart, parsed from peer
 * names, and a flood of addresses reuses the oldest entries.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "throttle.h"
#include "unit.h"

START_TEST(test_refusals_double)
{
	static struct throttle t;
	uint64_t now = 1000, ban;

	throttle_init(&t);
	for (int i = 1; i < THROTTLE_FREE_FAILURES; i++) {
		ck_assert_uint_eq(throttle_failed(&t, "10.0.0.1", now), 0);
		ck_assert_uint_eq(throttle_blocked(&t, "10.0.0.1", now), 0);
	}
	ban = throttle_failed(&t, "10.0.0.1", now);
	ck_assert_uint_eq(ban, THROTTLE_BASE_MS);
	ck_assert_uint_eq(throttle_blocked(&t, "10.0.0.1", now + 1),
			  THROTTLE_BASE_MS - 1);
	/* Another address is not touched. */
	ck_assert_uint_eq(throttle_blocked(&t, "10.0.0.2", now), 0);
	now += THROTTLE_BASE_MS;
	ck_assert_uint_eq(throttle_blocked(&t, "10.0.0.1", now), 0);
	for (uint64_t want = 2 * THROTTLE_BASE_MS; want < THROTTLE_MAX_MS;
	     want *= 2) {
		ck_assert_uint_eq(throttle_failed(&t, "10.0.0.1", now), want);
		now += want;
	}
	ck_assert_uint_eq(throttle_failed(&t, "10.0.0.1", now),
			  THROTTLE_MAX_MS);
	ck_assert_uint_eq(throttle_failed(&t, "10.0.0.1", now),
			  THROTTLE_MAX_MS);
	throttle_succeeded(&t, "10.0.0.1");
	ck_assert_uint_eq(throttle_blocked(&t, "10.0.0.1", now), 0);
	ck_assert_uint_eq(throttle_failed(&t, "10.0.0.1", now), 0);
}
END_TEST

START_TEST(test_addr)
{
	char a[THROTTLE_ADDR_MAX];

	throttle_addr("127.0.0.1:5678", a, sizeof(a));
	ck_assert_str_eq(a, "127.0.0.1");
	throttle_addr("[::1]:5900", a, sizeof(a));
	ck_assert_str_eq(a, "::1");
	throttle_addr("unix", a, sizeof(a));
	ck_assert_str_eq(a, "unix");
	throttle_addr("", a, sizeof(a));
	ck_assert_str_eq(a, "");
}
END_TEST

/* More addresses than slots: memory stays fixed, the newest are kept. */
START_TEST(test_flood)
{
	static struct throttle t;
	char addr[32];

	throttle_init(&t);
	for (unsigned i = 0; i < 3 * THROTTLE_SLOTS; i++) {
		snprintf(addr, sizeof(addr), "10.1.%u.%u", i / 256, i % 256);
		for (int k = 0; k < THROTTLE_FREE_FAILURES; k++)
			throttle_failed(&t, addr, 1000 + i);
	}
	ck_assert_uint_gt(throttle_blocked(&t, addr, 1000 + 3 * THROTTLE_SLOTS),
			  0);
	ck_assert_uint_eq(throttle_blocked(&t, "10.1.0.0", 1001), 0);
}
END_TEST

static Suite *throttle_suite(void)
{
	Suite *s = suite_create("throttle");
	TCase *tc = unit_tcase(s, "throttle");

	tcase_add_test(tc, test_refusals_double);
	tcase_add_test(tc, test_addr);
	tcase_add_test(tc, test_flood);
	return s;
}

UNIT_MAIN(throttle_suite)
