/* SPDX-License-Identifier: MIT */
/*
 * ctl-proto: the control socket's request lines. Valid requests parse to
 * their fields whole and split at every byte (every prefix asks for more,
 * the whole line is taken with its newline), several lines in one buffer
 * parse one by one, malformed lines are an error for that line only, and
 * a line longer than the limit is refused without waiting for its end.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "ctl-proto.h"
#include "unit.h"

#define S(x) x, sizeof(x) - 1

/* Parse @len bytes from a buffer of exactly that size (ASan sees any
 * read beyond it). */
static int parse_exact(const char *in, size_t len,
		       struct ctl_proto_request *req)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, in, len);
	r = ctl_proto_parse(copy, len, req);
	free(copy);
	return r;
}

struct good_case {
	const char *in;
	size_t len;
	const char *cmd;
	const char *key2;	/* a second field to check, or NULL */
	enum ctl_proto_type type2;
	const char *str2;
	long long num2;
};

static const struct good_case good[] = {
	{ S("{\"cmd\":\"status\"}\n"), "status", NULL, 0, NULL, 0 },
	{ S("  { \"cmd\" : \"clients\" }  \r\n"), "clients", NULL, 0, NULL,
	  0 },
	{ S("{\"cmd\":\"disconnect\",\"id\":42}\n"), "disconnect", "id",
	  CTL_PROTO_INT, NULL, 42 },
	{ S("{\"id\":-7,\"cmd\":\"x\"}\n"), "x", "id", CTL_PROTO_INT, NULL,
	  -7 },
	{ S("{\"cmd\":\"screenshot\",\"file\":\"/tmp/a b\\\"c\\\\.png\"}\n"),
	  "screenshot", "file", CTL_PROTO_STR, "/tmp/a b\"c\\.png", 0 },
	{ S("{\"cmd\":\"s\",\"f\":\"\\u00e9\\ud83d\\ude00\\/\\n\\t\"}\n"), "s",
	  "f", CTL_PROTO_STR, "\xc3\xa9\xf0\x9f\x98\x80/\n\t", 0 },
	{ S("{\"cmd\":\"s\",\"f\":\"caf\xc3\xa9\"}\n"), "s", "f",
	  CTL_PROTO_STR, "caf\xc3\xa9", 0 },
	{ S("{\"cmd\":\"s\",\"b\":true}\n"), "s", "b", CTL_PROTO_BOOL, NULL,
	  1 },
	{ S("{\"cmd\":\"s\",\"b\":false}\n"), "s", "b", CTL_PROTO_BOOL, NULL,
	  0 },
	{ S("{\"cmd\":\"s\",\"n\":null}\n"), "s", "n", CTL_PROTO_NULL, NULL,
	  0 },
	{ S("{\"cmd\":\"s\",\"n\":0}\n"), "s", "n", CTL_PROTO_INT, NULL, 0 },
	{ S("{\"cmd\":\"s\",\"n\":999999999999999999}\n"), "s", "n",
	  CTL_PROTO_INT, NULL, 999999999999999999ll },
	{ S("{}\n"), NULL, NULL, 0, NULL, 0 },
};
#define NGOOD ((int)(sizeof(good) / sizeof(good[0])))

static void check_good(const struct good_case *c,
		       const struct ctl_proto_request *req)
{
	const struct ctl_proto_field *f;

	ck_assert_msg(!req->error, "%s: %s", c->in, req->error);
	if (c->cmd)
		ck_assert_str_eq(ctl_proto_str(req, "cmd"), c->cmd);
	else
		ck_assert_uint_eq(req->n, 0);
	if (!c->key2)
		return;
	f = ctl_proto_get(req, c->key2);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->type, c->type2);
	if (c->type2 == CTL_PROTO_STR)
		ck_assert_str_eq(f->str, c->str2);
	else if (c->type2 == CTL_PROTO_INT)
		ck_assert(f->num == c->num2);
	else if (c->type2 == CTL_PROTO_BOOL)
		ck_assert_int_eq(f->b, (int)c->num2);
}

START_TEST(test_good_whole)
{
	const struct good_case *c = &good[_i];
	struct ctl_proto_request req;

	ck_assert_int_eq(parse_exact(c->in, c->len, &req), (int)c->len);
	check_good(c, &req);
}
END_TEST

START_TEST(test_good_split)
{
	const struct good_case *c = &good[_i];
	struct ctl_proto_request req;
	size_t cut;

	/* A line arriving byte by byte: nothing until its newline. */
	for (cut = 0; cut < c->len; cut++)
		ck_assert_int_eq(parse_exact(c->in, cut, &req), 0);
	ck_assert_int_eq(parse_exact(c->in, c->len, &req), (int)c->len);
	check_good(c, &req);
}
END_TEST

START_TEST(test_several_lines)
{
	static const char in[] = "{\"cmd\":\"a\"}\n{\"cmd\":\"bb\",\"id\":1}\n"
				 "nonsense\n{\"cmd\":\"c\"}\n{\"cmd\":";
	struct ctl_proto_request req;
	const char *p = in;
	size_t left = sizeof(in) - 1;
	int r;

	r = parse_exact(p, left, &req);
	ck_assert_int_eq(r, 12);
	ck_assert_str_eq(ctl_proto_str(&req, "cmd"), "a");
	p += r, left -= (size_t)r;
	r = parse_exact(p, left, &req);
	ck_assert_int_eq(r, 20);
	ck_assert_str_eq(ctl_proto_str(&req, "cmd"), "bb");
	p += r, left -= (size_t)r;
	r = parse_exact(p, left, &req);
	ck_assert_int_eq(r, 9);
	ck_assert_ptr_nonnull(req.error);
	p += r, left -= (size_t)r;
	r = parse_exact(p, left, &req);
	ck_assert_int_eq(r, 12);
	ck_assert_ptr_null(req.error);
	ck_assert_str_eq(ctl_proto_str(&req, "cmd"), "c");
	p += r, left -= (size_t)r;
	ck_assert_int_eq(parse_exact(p, left, &req), 0);
}
END_TEST

static const struct {
	const char *in;
	size_t len;
} bad[] = {
	{ S("\n") },
	{ S("[]\n") },
	{ S("\"cmd\"\n") },
	{ S("{\n") },
	{ S("{\"cmd\"}\n") },
	{ S("{\"cmd\":}\n") },
	{ S("{\"cmd\":\"a\",}\n") },
	{ S("{\"cmd\":\"a\"}}\n") },
	{ S("{\"cmd\":\"a\"} x\n") },
	{ S("{\"cmd\":\"a\" \"b\":1}\n") },
	{ S("{cmd:\"a\"}\n") },
	{ S("{'cmd':'a'}\n") },
	{ S("{\"cmd\":\"a\",\"cmd\":\"b\"}\n") },
	{ S("{\"a\":{\"b\":1}}\n") },
	{ S("{\"a\":[1]}\n") },
	{ S("{\"a\":1.5}\n") },
	{ S("{\"a\":1e3}\n") },
	{ S("{\"a\":01}\n") },
	{ S("{\"a\":-}\n") },
	{ S("{\"a\":+1}\n") },
	{ S("{\"a\":9999999999999999999}\n") },
	{ S("{\"a\":tru}\n") },
	{ S("{\"a\":nul}\n") },
	{ S("{\"a\":\"x\\q\"}\n") },
	{ S("{\"a\":\"\\u12\"}\n") },
	{ S("{\"a\":\"\\u0000\"}\n") },
	{ S("{\"a\":\"\\ud800\"}\n") },
	{ S("{\"a\":\"\\udc00\"}\n") },
	{ S("{\"a\":\"\\ud800\\u0041\"}\n") },
	{ S("{\"a\":\"tab\there\"}\n") },
	{ S("{\"a\":\"\xc3\"}\n") },
	{ S("{\"a\":\"\xed\xa0\x80\"}\n") },
	{ S("{\"a\":\"\xff\"}\n") },
	{ S("{\"a\":\"unterminated}\n") },
	{ S("{\"a\":\"x\0y\"}\n") },
	{ S("{\"a_key_longer_than_thirty_two_bytes\":1}\n") },
	{ S("{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,"
	    "\"h\":8,\"i\":9}\n") },
};
#define NBAD ((int)(sizeof(bad) / sizeof(bad[0])))

START_TEST(test_bad)
{
	struct ctl_proto_request req;
	size_t cut;

	/* Every prefix waits for the newline; the line is then taken whole,
	 * as an error for that line alone. */
	for (cut = 0; cut < bad[_i].len; cut++)
		ck_assert_int_eq(parse_exact(bad[_i].in, cut, &req), 0);
	ck_assert_int_eq(parse_exact(bad[_i].in, bad[_i].len, &req),
			 (int)bad[_i].len);
	ck_assert_msg(req.error != NULL, "accepted: %s", bad[_i].in);
}
END_TEST

START_TEST(test_too_long)
{
	struct ctl_proto_request req;
	size_t n = CTL_PROTO_LINE_MAX + 10;
	char *in = malloc(n);

	ck_assert_ptr_nonnull(in);
	/* The longest line taken: its newline at the last allowed byte. */
	memset(in, ' ', n);
	memcpy(in, "{\"cmd\":\"a\"}", 11);
	in[CTL_PROTO_LINE_MAX - 1] = '\n';
	ck_assert_int_eq(parse_exact(in, n, &req), CTL_PROTO_LINE_MAX);
	ck_assert_ptr_null(req.error);
	/* One byte more: refused as soon as the limit is reached. */
	in[CTL_PROTO_LINE_MAX - 1] = ' ';
	ck_assert_int_eq(parse_exact(in, CTL_PROTO_LINE_MAX - 1, &req), 0);
	ck_assert_int_eq(parse_exact(in, CTL_PROTO_LINE_MAX, &req),
			 -EMSGSIZE);
	in[CTL_PROTO_LINE_MAX] = '\n';
	ck_assert_int_eq(parse_exact(in, n, &req), -EMSGSIZE);
	free(in);
}
END_TEST

START_TEST(test_long_string)
{
	struct ctl_proto_request req;
	size_t n = CTL_PROTO_LINE_MAX, i;
	char *in = malloc(n);

	/* A string filling the whole line still fits the request. */
	ck_assert_ptr_nonnull(in);
	memcpy(in, "{\"f\":\"", 6);
	for (i = 6; i < n - 3; i++)
		in[i] = 'x';
	memcpy(in + n - 3, "\"}\n", 3);
	ck_assert_int_eq(parse_exact(in, n, &req), (int)n);
	ck_assert_ptr_null(req.error);
	ck_assert_uint_eq(strlen(ctl_proto_str(&req, "f")), n - 9);
	free(in);
}
END_TEST

static Suite *ctl_proto_suite(void)
{
	Suite *s = suite_create("ctl-proto");
	TCase *tc = unit_tcase(s, "requests");

	tcase_add_loop_test(tc, test_good_whole, 0, NGOOD);
	tcase_add_loop_test(tc, test_good_split, 0, NGOOD);
	tcase_add_test(tc, test_several_lines);
	tcase_add_loop_test(tc, test_bad, 0, NBAD);
	tcase_add_test(tc, test_too_long);
	tcase_add_test(tc, test_long_string);
	return s;
}

UNIT_MAIN(ctl_proto_suite)
