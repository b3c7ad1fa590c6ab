/* SPDX-License-Identifier: MIT */
/*
 * utf8: what counts as well-formed UTF-8, and the Latin-1 conversions of
 * clipboard text, malformed input included: each byte that starts no
 * well-formed character becomes one '?', and nothing past @len is read.
 */
#include "config.h"

#include <string.h>

#include "unit.h"
#include "utf8.h"

struct utf8_case {
	const char *in;
	size_t len;
	bool valid;
	const char *latin1;	/* what utf8_to_latin1() makes of it */
};

#define S(x) x, sizeof(x) - 1

static const struct utf8_case cases[] = {
	{ S(""), true, "" },
	{ S("plain ASCII"), true, "plain ASCII" },
	{ S("caf\xc3\xa9"), true, "caf\xe9" },
	{ S("\xc2\x80\xc3\xbf"), true, "\x80\xff" },
	{ S("euro \xe2\x82\xac!"), true, "euro ?!" },
	{ S("\xf0\x9f\x98\x80x"), true, "?x" },
	{ S("\xf4\x8f\xbf\xbf"), true, "?" },
	/* overlong forms */
	{ S("\xc0\xaf"), false, "??" },
	{ S("\xc1\xbf"), false, "??" },
	{ S("\xe0\x80\xaf"), false, "???" },
	{ S("\xf0\x80\x80\xaf"), false, "????" },
	/* surrogates, beyond U+10FFFF, bytes that never start one */
	{ S("\xed\xa0\x80"), false, "???" },
	{ S("\xf4\x90\x80\x80"), false, "????" },
	{ S("\xf5\x80\x80\x80"), false, "????" },
	{ S("\xff"), false, "?" },
	{ S("a\x80z"), false, "a?z" },
	/* cut short, at the end and before more text */
	{ S("\xe4"), false, "?" },
	{ S("\xe2\x82"), false, "??" },
	{ S("\xe4" "A"), false, "?A" },
	{ S("\xc3" "\xc3\xa9"), false, "?\xe9" },
};
#define NCASES ((int)(sizeof(cases) / sizeof(cases[0])))

START_TEST(test_case)
{
	const struct utf8_case *c = &cases[_i];
	/* a copy with no room after it: valgrind and ASan see overreads */
	uint8_t *in = malloc(c->len ? c->len : 1);
	uint8_t *out = malloc(c->len ? c->len : 1);
	size_t n;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	memcpy(in, c->in, c->len);
	ck_assert_msg(utf8_valid(in, c->len) == c->valid, "case %d", _i);
	n = utf8_to_latin1((const char *)in, c->len, out);
	ck_assert_uint_eq(n, strlen(c->latin1));
	ck_assert_msg(memcmp(out, c->latin1, n) == 0, "case %d", _i);
	free(in);
	free(out);
}
END_TEST

/* Every Latin-1 byte survives the trip to UTF-8 and back. */
START_TEST(test_latin1_round_trip)
{
	uint8_t all[256], back[512];
	size_t len, n;
	char *u;

	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	u = latin1_to_utf8(all, sizeof(all), &len);
	ck_assert_ptr_nonnull(u);
	ck_assert_uint_eq(len, 128 + 2 * 128);
	ck_assert_uint_eq((unsigned char)u[len], 0);
	ck_assert(utf8_valid((const uint8_t *)u, len));
	n = utf8_to_latin1(u, len, back);
	ck_assert_uint_eq(n, sizeof(all));
	ck_assert(memcmp(back, all, sizeof(all)) == 0);
	free(u);
}
END_TEST

static Suite *utf8_suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = unit_tcase(s, "conversions");

	tcase_add_loop_test(tc, test_case, 0, NCASES);
	tcase_add_test(tc, test_latin1_round_trip);
	return s;
}

UNIT_MAIN(utf8_suite)
