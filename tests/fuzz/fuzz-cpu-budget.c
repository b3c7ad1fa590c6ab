/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the parsers of /proc/stat's "cpu" line,
 * /proc/pressure/cpu's "some" line and a task's schedstat. The first
 * input byte picks where the rest is cut; the parsers see the part
 * before the cut, then all of it. A complete line is judged the same whatever follows it, a part
 * of a line never wrongly fails or succeeds, the length returned ends at
 * the line's newline, and nothing is written on failure.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "cpu-budget.h"
#include "fuzz-check.h"

typedef ssize_t (*parse_fn)(const char *p, size_t len, uint64_t *a,
			    uint64_t *b);

static ssize_t stat2(const char *p, size_t len, uint64_t *a, uint64_t *b)
{
	return cpu_budget_parse_stat(p, len, a, b);
}

static ssize_t psi2(const char *p, size_t len, uint64_t *a, uint64_t *b)
{
	*b = 7;
	return cpu_budget_parse_psi(p, len, a);
}

static ssize_t schedstat2(const char *p, size_t len, uint64_t *a,
			  uint64_t *b)
{
	*b = 7;
	return cpu_budget_parse_schedstat(p, len, a);
}

/* An exact-size copy, so that a read past the end is caught. */
static ssize_t run(parse_fn fn, const char *in, size_t len, uint64_t *a,
		   uint64_t *b)
{
	char *exact = malloc(len ? len : 1);
	ssize_t n;

	CHECK(exact);
	memcpy(exact, in, len);
	*a = *b = 7;
	n = fn(exact, len, a, b);
	if (n <= 0)
		CHECK(*a == 7 && *b == 7);
	else
		CHECK((size_t)n <= len && exact[n - 1] == '\n' &&
		      !memchr(exact, '\n', (size_t)n - 1));
	free(exact);
	return n;
}

static void check(parse_fn fn, const char *in, size_t len, size_t cut)
{
	uint64_t a, b, pa, pb;
	ssize_t whole = run(fn, in, len, &a, &b);
	ssize_t part = run(fn, in, cut, &pa, &pb);

	CHECK(whole >= 0 || whole == -EPROTO);
	if (part > 0)
		CHECK(part == whole && pa == a && pb == b);
	else if (part < 0)
		CHECK(part == -EPROTO && whole == -EPROTO);
	else
		CHECK(cut < len || whole == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut;

	if (size < 1)
		return 0;
	cut = data[0] % size;
	data++;
	size--;
	if (cut > size)
		cut = size;
	check(stat2, (const char *)data, size, cut);
	check(psi2, (const char *)data, size, cut);
	check(schedstat2, (const char *)data, size, cut);
	return 0;
}
