/* SPDX-License-Identifier: MIT */
/*
 * Shared bits of the unit suites: the main() every suite uses (fork mode,
 * so a crash fails one test and not the run), a deterministic PRNG so
 * every run sees the same "random" data, and a hex formatter for failure
 * messages.
 */
#ifndef XRFB_TEST_UNIT_H
#define XRFB_TEST_UNIT_H

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Generous per-test limit: tests wait for bytes, never for time, and this
 * only turns a hang into a failure (ASan builds are slow). */
#define UNIT_TIMEOUT_S 120

/* Fork mode on unless CK_FORK says otherwise (CK_FORK=no is useful to run
 * a suite under a debugger or to get one leak report for the whole run). */
#define UNIT_MAIN(suite_fn)                                                 \
	int main(void)                                                      \
	{                                                                   \
		SRunner *sr = srunner_create(suite_fn());                   \
		int failed;                                                 \
                                                                            \
		srunner_set_fork_status(sr, getenv("CK_FORK")               \
						    ? CK_FORK_GETENV        \
						    : CK_FORK);             \
		srunner_run_all(sr, CK_NORMAL);                             \
		failed = srunner_ntests_failed(sr);                         \
		srunner_free(sr);                                           \
		return failed ? EXIT_FAILURE : EXIT_SUCCESS;                \
	}

static inline TCase *unit_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, UNIT_TIMEOUT_S);
	suite_add_tcase(s, tc);
	return tc;
}

/* xorshift64*: fixed seeds keep every run identical. */
struct unit_rng {
	uint64_t s;
};

static inline void unit_rng_seed(struct unit_rng *r, uint64_t seed)
{
	r->s = seed * 0x9E3779B97F4A7C15ull + 1;
}

static inline uint32_t unit_rng_next(struct unit_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return (uint32_t)((r->s * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Uniform in [0, n). */
static inline uint32_t unit_rng_below(struct unit_rng *r, uint32_t n)
{
	return n ? unit_rng_next(r) % n : 0;
}

/* "01 02 ff" into @out (cut to fit); returns @out. */
static inline char *unit_hex(char *out, size_t size, const void *data,
			     size_t len)
{
	const uint8_t *d = data;
	size_t o = 0;

	if (!size)
		return out;
	out[0] = '\0';
	for (size_t i = 0; i < len && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02x",
				      i ? " " : "", d[i]);
	return out;
}

#endif
