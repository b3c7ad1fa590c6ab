/* SPDX-License-Identifier: MIT */
/*
 * cpu-budget.c: the parsers of /proc/stat's "cpu" line, of
 * /proc/pressure/cpu's "some" line and of a task's schedstat, fed whole,
 * split at every byte and malformed, and the policy that turns two
 * samples into a limit, on made-up machines (idle, loaded, half loaded,
 * waiting for the process itself, without counters).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cpu-budget.h"
#include "unit.h"

/* What the kernel writes (6.x; older ones have fewer fields). */
static const char stat_text[] =
	"cpu  1652461 72616 426058 187870 1608 0 1639 5161 0 0\n"
	"cpu0 825003 39707 209668 95255 861 0 622 2557 0 0\n";
static const char psi_text[] =
	"some avg10=4.70 avg60=0.99 avg300=6.47 total=9025008271\n"
	"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";

START_TEST(test_stat_whole)
{
	uint64_t busy = 0, idle = 0;
	size_t line = strchr(stat_text, '\n') - stat_text + 1;

	ck_assert_int_eq(cpu_budget_parse_stat(stat_text, strlen(stat_text),
					       &busy, &idle), (ssize_t)line);
	ck_assert_uint_eq(idle, 187870 + 1608);
	ck_assert_uint_eq(busy, 1652461 + 72616 + 426058 + 0 + 1639 + 5161);
	/* a kernel of 2.6.0 wrote four fields; doubled blanks are fine */
	ck_assert_int_eq(cpu_budget_parse_stat("cpu  10  20 30 40\n", 18,
					       &busy, &idle), 18);
	ck_assert_uint_eq(busy, 60);
	ck_assert_uint_eq(idle, 40);
	ck_assert_int_eq(cpu_budget_parse_stat("cpu 1 2 3 4 \n", 13, &busy,
					       &idle), 13);
	ck_assert_uint_eq(idle, 4);
}
END_TEST

/* Every prefix short of the newline needs more, and changes nothing. */
START_TEST(test_stat_split)
{
	size_t line = strchr(stat_text, '\n') - stat_text + 1;

	for (size_t k = 0; k < line; k++) {
		uint64_t busy = 7, idle = 7;

		ck_assert_int_eq(cpu_budget_parse_stat(stat_text, k, &busy,
						       &idle), 0);
		ck_assert_uint_eq(busy, 7);
		ck_assert_uint_eq(idle, 7);
	}
}
END_TEST

static const char *const bad_stat[] = {
	"cpu0 1 2 3 4\n",		/* one CPU's line, not the sum */
	"intr 1 2 3 4\n",
	"cpu 1 2 3\n",			/* too few fields */
	"cpu\n",
	"cpu 1 2 x 4\n",
	"cpu 1 2 -3 4\n",
	"cpu 1\t2 3 4\n",
	"cpu 99999999999999999999 2 3 4\n",	/* past 64 bits */
	"cpu 1 2 3 4\r\n",
};

START_TEST(test_stat_malformed)
{
	const char *t = bad_stat[_i];
	uint64_t busy = 7, idle = 7;

	ck_assert_int_eq(cpu_budget_parse_stat(t, strlen(t), &busy, &idle),
			 -EPROTO);
	ck_assert_uint_eq(busy, 7);
	ck_assert_uint_eq(idle, 7);
}
END_TEST

/* A line without end: more than the kernel ever writes is an error, not
 * a wait for more. */
START_TEST(test_line_too_long)
{
	char buf[CPU_BUDGET_LINE_MAX + 8];
	uint64_t a, b;

	memset(buf, '1', sizeof(buf));
	memcpy(buf, "cpu ", 4);
	ck_assert_int_eq(cpu_budget_parse_stat(buf, CPU_BUDGET_LINE_MAX - 1,
					       &a, &b), 0);
	ck_assert_int_eq(cpu_budget_parse_stat(buf, sizeof(buf), &a, &b),
			 -EPROTO);
	memcpy(buf, "some total=", 11);
	ck_assert_int_eq(cpu_budget_parse_psi(buf, sizeof(buf), &a), -EPROTO);
}
END_TEST

START_TEST(test_psi_whole)
{
	uint64_t some = 0;
	size_t line = strchr(psi_text, '\n') - psi_text + 1;

	ck_assert_int_eq(cpu_budget_parse_psi(psi_text, strlen(psi_text),
					      &some), (ssize_t)line);
	ck_assert_uint_eq(some, 9025008271u);
	/* the total alone, or before the averages */
	ck_assert_int_eq(cpu_budget_parse_psi("some total=5\n", 13, &some),
			 13);
	ck_assert_uint_eq(some, 5);
	ck_assert_int_eq(cpu_budget_parse_psi("some total=6 avg10=1.00\n", 24,
					      &some), 24);
	ck_assert_uint_eq(some, 6);
}
END_TEST

START_TEST(test_psi_split)
{
	size_t line = strchr(psi_text, '\n') - psi_text + 1;

	for (size_t k = 0; k < line; k++) {
		uint64_t some = 7;

		ck_assert_int_eq(cpu_budget_parse_psi(psi_text, k, &some), 0);
		ck_assert_uint_eq(some, 7);
	}
}
END_TEST

static const char *const bad_psi[] = {
	"full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	"some avg10=4.70 avg60=0.99 avg300=6.47\n",	/* no total */
	"some\n",
	"some total=\n",
	"some total=1x\n",
	"some total=-1\n",
	"some total=1 total=2\n",
	"some avg10= total=1\n",
	"some =1 total=1\n",
	"some  total=1\n",
	"some avg10=4.70,total=1\n",
	"some total=1 \n",
	"some total=99999999999999999999\n",
	"something total=1\n",
	"some AVG10=1.0 total=1\n",
};

START_TEST(test_psi_malformed)
{
	const char *t = bad_psi[_i];
	uint64_t some = 7;

	ck_assert_int_eq(cpu_budget_parse_psi(t, strlen(t), &some), -EPROTO);
}
END_TEST

START_TEST(test_schedstat)
{
	static const char t[] = "821585 81500 2\n";
	uint64_t wait = 7;

	ck_assert_int_eq(cpu_budget_parse_schedstat(t, strlen(t), &wait),
			 (ssize_t)strlen(t));
	ck_assert_uint_eq(wait, 81500);
	for (size_t k = 0; k + 1 < strlen(t); k++) {
		wait = 7;
		ck_assert_int_eq(cpu_budget_parse_schedstat(t, k, &wait), 0);
		ck_assert_uint_eq(wait, 7);
	}
}
END_TEST

static const char *const bad_schedstat[] = {
	"1 2\n", "1 2 3 4\n", "1  2 3\n", " 1 2 3\n", "1 2 3 \n", "1 x 3\n",
	"1 2 99999999999999999999\n", "\n", "1\t2 3\n",
};

START_TEST(test_schedstat_malformed)
{
	const char *t = bad_schedstat[_i];
	uint64_t wait = 7;

	ck_assert_int_eq(cpu_budget_parse_schedstat(t, strlen(t), &wait),
			 -EPROTO);
	ck_assert_uint_eq(wait, 7);
}
END_TEST

/* ---- the policy --------------------------------------------------------- */

/* A window of one second on two CPUs (100 ticks each): the process used
 * @used % of a core, the machine left @idle % of a core (of 200) idle,
 * and some task waited @stall % of the time. */
static void window(struct cpu_sample *a, struct cpu_sample *b, unsigned used,
		   unsigned idle, unsigned stall)
{
	memset(a, 0, sizeof(*a));
	a->wall_us = 5000000;
	a->self_us = 1000000;
	a->busy = 10000;
	a->idle = 20000;
	a->stall_us = 3000000;
	a->has_stat = a->has_stall = true;
	*b = *a;
	b->wall_us += 1000000;
	b->self_us += used * 10000u;
	b->idle += idle;
	b->busy += 200 - idle;
	b->stall_us += stall * 10000u;
}

struct policy_case {
	const char *what;
	unsigned used, idle, stall;
	unsigned floor, want;
	unsigned self_wait;	/* our threads' waits, % of the window */
};

static const struct policy_case policy_cases[] = {
	/* nothing else runs: all the machine, less what we keep free
	 * (capped at every core) */
	{ "idle machine, we use nothing", 0, 200, 0, 50, 190, 0 },
	{ "idle machine, we use one core", 100, 100, 0, 50, 190, 0 },
	{ "we use all of it, nobody waits", 200, 0, 0, 50, 190, 0 },
	/* one busy loop per core: nothing idle, someone always waits */
	{ "loaded machine", 50, 0, 100, 50, 50, 0 },
	{ "loaded machine, we are over", 120, 0, 100, 50, 50, 0 },
	/* one busy loop on two cores: we may have what it leaves */
	{ "half loaded", 50, 50, 0, 50, 90, 0 },
	{ "half loaded, some waiting", 50, 50, 30, 50, 60, 0 },
	/* others wait although cores are idle now and then */
	{ "bursty others", 80, 40, 60, 50, 50, 0 },
	{ "floor above the machine", 0, 200, 0, 300, 300, 0 },
	{ "no floor", 0, 0, 100, 0, 0, 0 },
	/* the waiting was our own threads' (busy on every core) */
	{ "we wait for ourselves", 150, 20, 60, 50, 160, 60 },
	{ "we wait, others too", 150, 20, 60, 50, 120, 20 },
	{ "our waits summed over threads", 150, 20, 60, 50, 160, 130 },
	/* loaded: nothing idle, whoever waited */
	{ "loaded, we wait", 50, 0, 100, 50, 50, 100 },
};

START_TEST(test_policy)
{
	const struct policy_case *c = &policy_cases[_i];
	struct cpu_sample a, b;

	window(&a, &b, c->used, c->idle, c->stall);
	a.has_self_wait = b.has_self_wait = true;
	b.self_wait_us = a.self_wait_us + c->self_wait * 10000u;
	ck_assert_msg(cpu_budget_limit(&a, &b, c->floor, 2) == c->want,
		      "%s: %u, not %u", c->what,
		      cpu_budget_limit(&a, &b, c->floor, 2), c->want);
}
END_TEST

/* Counters that are missing or make no sense leave the floor. */
START_TEST(test_policy_missing)
{
	struct cpu_sample a, b;

	window(&a, &b, 0, 200, 0);
	b.has_stat = false;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	window(&a, &b, 0, 200, 0);
	a.has_stat = false;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	/* no PSI: the idle time alone decides */
	window(&a, &b, 50, 50, 100);
	b.has_stall = false;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 90);
	/* counters that went back, no time, no ticks */
	window(&a, &b, 0, 200, 0);
	b.idle = a.idle - 1;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	window(&a, &b, 0, 200, 0);
	b.busy = a.busy - 1;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	window(&a, &b, 0, 200, 0);
	b.self_us = a.self_us - 1;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	window(&a, &b, 0, 200, 0);
	b.wall_us = a.wall_us;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	window(&a, &b, 0, 0, 0);
	b.busy = a.busy;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 50);
	/* our own waits unknown, or their counter went back: all the
	 * waiting counts as others' */
	window(&a, &b, 50, 50, 30);
	a.has_self_wait = true;
	b.has_self_wait = false;
	b.self_wait_us = 300000;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 60);
	window(&a, &b, 50, 50, 30);
	a.has_self_wait = b.has_self_wait = true;
	a.self_wait_us = 300000;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 60);
	/* a stall counter that went back counts as no stall */
	window(&a, &b, 50, 50, 0);
	b.stall_us = a.stall_us - 1;
	ck_assert_uint_eq(cpu_budget_limit(&a, &b, 50, 2), 90);
}
END_TEST

/* The machine's own counters parse, whatever they say. */
START_TEST(test_read_here)
{
	struct cpu_sample s;

	cpu_budget_read(&s, 1, 2);
	ck_assert_uint_eq(s.wall_us, 1);
	ck_assert_uint_eq(s.self_us, 2);
	ck_assert(s.has_stat);
	ck_assert_uint_gt(s.busy + s.idle, 0);
	ck_assert(s.has_self_wait);
}
END_TEST

static Suite *cpu_budget_suite(void)
{
	Suite *s = suite_create("cpu-budget");
	TCase *tc = unit_tcase(s, "cpu-budget");

	tcase_add_test(tc, test_stat_whole);
	tcase_add_test(tc, test_stat_split);
	tcase_add_loop_test(tc, test_stat_malformed, 0,
			    (int)(sizeof(bad_stat) / sizeof(bad_stat[0])));
	tcase_add_test(tc, test_line_too_long);
	tcase_add_test(tc, test_psi_whole);
	tcase_add_test(tc, test_psi_split);
	tcase_add_test(tc, test_schedstat);
	tcase_add_loop_test(tc, test_schedstat_malformed, 0,
			    (int)(sizeof(bad_schedstat) /
				  sizeof(bad_schedstat[0])));
	tcase_add_loop_test(tc, test_psi_malformed, 0,
			    (int)(sizeof(bad_psi) / sizeof(bad_psi[0])));
	tcase_add_loop_test(tc, test_policy, 0,
			    (int)(sizeof(policy_cases) /
				  sizeof(policy_cases[0])));
	tcase_add_test(tc, test_policy_missing);
	tcase_add_test(tc, test_read_here);
	return s;
}

UNIT_MAIN(cpu_budget_suite)
