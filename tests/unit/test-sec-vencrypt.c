/* SPDX-License-Identifier: MIT */
/*
 * sec-vencrypt and sec-plain: the VeNCrypt 0.2 negotiation and the Plain
 * credentials, parsed from whole messages, from every split of them into
 * two reads and from single bytes, and from malformed ones: another
 * version (answered 0xFF), a subtype that was not offered, VeNCrypt
 * itself, bytes after the choice, oversize or NUL-holding credentials.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "rfb-proto.h"
#include "sec-plain.h"
#include "sec-vencrypt.h"
#include "unit.h"

static const uint32_t offered[] = {
	RFB_VENCRYPT_X509_VNC, RFB_VENCRYPT_TLS_VNC, RFB_SEC_VNC_AUTH,
	RFB_VENCRYPT_PLAIN, RFB_SEC_NONE,
};
#define NOFFERED (sizeof(offered) / sizeof(offered[0]))

/* The server's answer to version 0.2: ack 0, the count, the list. */
static size_t expected_list(uint8_t *out)
{
	out[0] = 0;
	out[1] = NOFFERED;
	for (size_t i = 0; i < NOFFERED; i++)
		put_u32(out + 2 + 4 * i, offered[i]);
	return 2 + 4 * NOFFERED;
}

/* Feed @msg as a client would: in pieces cut at @cuts, each piece added
 * to what is left unparsed; parse whatever is complete. Returns the last
 * parser result. */
static ssize_t feed(struct sec_vencrypt *v, const uint8_t *msg, size_t len,
		    const size_t *cuts, size_t ncuts, struct buf *out,
		    const char **why)
{
	uint8_t pending[64];
	size_t have = 0, pos = 0;
	ssize_t n = 0;

	for (size_t c = 0; c <= ncuts; c++) {
		size_t end = c < ncuts ? cuts[c] : len;

		memcpy(pending + have, msg + pos, end - pos);
		have += end - pos;
		pos = end;
		while (have) {
			n = sec_vencrypt_input(v, pending, have, out, why);
			if (n <= 0)
				break;
			memmove(pending, pending + n, have - (size_t)n);
			have -= (size_t)n;
		}
		if (n < 0)
			return n;
	}
	ck_assert_uint_eq(have, 0);
	return n;
}

static void check_choice(uint32_t subtype, const size_t *cuts, size_t ncuts)
{
	struct sec_vencrypt v;
	struct buf out = BUF_INIT;
	uint8_t msg[6] = { 0, 2 }, want[2 + 4 * NOFFERED + 1];
	const char *why = NULL;
	size_t wlen;

	sec_vencrypt_init(&v, offered, NOFFERED, &out);
	ck_assert_uint_eq(out.len, 2);
	ck_assert(out.data[0] == 0 && out.data[1] == 2);
	buf_consume(&out, out.len);
	put_u32(msg + 2, subtype);
	ck_assert_int_gt(feed(&v, msg, sizeof(msg), cuts, ncuts, &out, &why),
			 0);
	ck_assert_uint_eq(v.chosen, subtype);
	wlen = expected_list(want);
	if (sec_is_tls(subtype))
		want[wlen++] = 1;	/* the TLS subtypes' ack */
	ck_assert_uint_eq(out.len, wlen);
	ck_assert(memcmp(out.data, want, wlen) == 0);
	buf_fini(&out);
}

START_TEST(test_choice_whole)
{
	check_choice(offered[_i], NULL, 0);
}
END_TEST

/* Every split into two reads, and byte by byte. */
START_TEST(test_choice_split)
{
	size_t bytes[5] = { 1, 2, 3, 4, 5 };

	for (size_t cut = 1; cut < 6; cut++)
		check_choice(offered[_i], &cut, 1);
	check_choice(offered[_i], bytes, 5);
}
END_TEST

static const struct {
	uint8_t major, minor;
} bad_versions[] = { { 0, 0 }, { 0, 1 }, { 0, 3 }, { 1, 2 }, { 255, 255 } };

START_TEST(test_bad_version)
{
	struct sec_vencrypt v;
	struct buf out = BUF_INIT;
	uint8_t msg[2] = { bad_versions[_i].major, bad_versions[_i].minor };
	const char *why = NULL;

	sec_vencrypt_init(&v, offered, NOFFERED, &out);
	buf_consume(&out, out.len);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg, 1, &out, &why), 0);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg, 2, &out, &why),
			 -EPROTO);
	ck_assert_ptr_nonnull(why);
	/* Non-zero means failure; the list is never sent. */
	ck_assert_uint_eq(out.len, 1);
	ck_assert_uint_eq(out.data[0], 0xff);
	ck_assert_uint_eq(v.chosen, 0);
	buf_fini(&out);
}
END_TEST

static const uint32_t bad_subtypes[] = {
	0, RFB_SEC_VENCRYPT, RFB_VENCRYPT_TLS_NONE, RFB_VENCRYPT_X509_PLAIN,
	263, 0x80000000u, 0xffffffffu, 0x00000102u << 8,
};

START_TEST(test_bad_subtype)
{
	struct sec_vencrypt v;
	struct buf out = BUF_INIT;
	uint8_t msg[6] = { 0, 2 };
	const char *why = NULL;

	sec_vencrypt_init(&v, offered, NOFFERED, &out);
	buf_consume(&out, out.len);
	put_u32(msg + 2, bad_subtypes[_i]);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg, 6, &out, &why), 2);
	buf_consume(&out, out.len);
	for (size_t n = 0; n < 4; n++)
		ck_assert_int_eq(sec_vencrypt_input(&v, msg + 2, n, &out,
						    &why),
				 0);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg + 2, 4, &out, &why),
			 -EPROTO);
	ck_assert_ptr_nonnull(why);
	ck_assert_uint_eq(v.chosen, 0);
	ck_assert_uint_eq(out.len, 0);
	buf_fini(&out);
}
END_TEST

/* VeNCrypt itself may never be chosen inside VeNCrypt, even if listed. */
START_TEST(test_no_loop)
{
	static const uint32_t with_self[] = { RFB_SEC_VENCRYPT,
					      RFB_SEC_NONE };
	struct sec_vencrypt v;
	struct buf out = BUF_INIT;
	uint8_t msg[6] = { 0, 2, 0, 0, 0, RFB_SEC_VENCRYPT };
	const char *why = NULL;

	sec_vencrypt_init(&v, with_self, 2, &out);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg, 6, &out, &why), 2);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg + 2, 4, &out, &why),
			 -EPROTO);
	buf_fini(&out);
}
END_TEST

START_TEST(test_after_choice)
{
	struct sec_vencrypt v;
	struct buf out = BUF_INIT;
	uint8_t msg[7] = { 0, 2, 0, 0, 0, RFB_SEC_NONE, 0x16 };
	const char *why = NULL;

	sec_vencrypt_init(&v, offered, NOFFERED, &out);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg, 7, &out, &why), 2);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg + 2, 5, &out, &why), 4);
	ck_assert_uint_eq(v.chosen, RFB_SEC_NONE);
	ck_assert_int_eq(sec_vencrypt_input(&v, msg + 6, 1, &out, &why),
			 -EPROTO);
	buf_fini(&out);
}
END_TEST

START_TEST(test_names)
{
	static const uint32_t all[] = { 1, 2, 256, 257, 258, 259, 260,
					261, 262 };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		const char *name = sec_type_name(all[i]);

		ck_assert_ptr_nonnull(name);
		ck_assert_uint_eq(sec_type_from_name(name), all[i]);
		ck_assert_uint_eq(sec_is_tls(all[i]), all[i] >= 257);
		ck_assert_uint_eq(sec_is_x509(all[i]), all[i] >= 260);
	}
	ck_assert_uint_eq(sec_type_from_name("x509vnc"),
			  RFB_VENCRYPT_X509_VNC);
	ck_assert_uint_eq(sec_type_from_name("VeNCrypt"), 0);
	ck_assert_uint_eq(sec_type_from_name(""), 0);
	ck_assert_ptr_null(sec_type_name(19));
	ck_assert_uint_eq(sec_inner(RFB_VENCRYPT_X509_PLAIN),
			  RFB_VENCRYPT_PLAIN);
	ck_assert_uint_eq(sec_inner(RFB_VENCRYPT_TLS_VNC), RFB_SEC_VNC_AUTH);
	ck_assert_uint_eq(sec_inner(RFB_VENCRYPT_X509_NONE), RFB_SEC_NONE);
}
END_TEST

/* ---- Plain ------------------------------------------------------------------ */

static size_t plain_msg(uint8_t *m, const char *user, size_t ulen,
			const char *pass, size_t plen)
{
	put_u32(m, (uint32_t)ulen);
	put_u32(m + 4, (uint32_t)plen);
	memcpy(m + 8, user, ulen);
	memcpy(m + 8 + ulen, pass, plen);
	return 8 + ulen + plen;
}

static const struct {
	const char *user, *pass;
} creds[] = { { "alice", "wonderland" }, { "", "" }, { "bob", "" },
	      { "émile", "pässwörd" } };

START_TEST(test_plain_split)
{
	static struct plain_creds pc;
	uint8_t m[64];
	size_t len = plain_msg(m, creds[_i].user, strlen(creds[_i].user),
			       creds[_i].pass, strlen(creds[_i].pass));

	/* Every prefix is "more", the whole message is the message. */
	for (size_t n = 0; n < len; n++)
		ck_assert_int_eq(sec_plain_parse(m, n, &pc), 0);
	ck_assert_int_eq(sec_plain_parse(m, len, &pc), (ssize_t)len);
	ck_assert_str_eq(pc.user, creds[_i].user);
	ck_assert_str_eq(pc.password, creds[_i].pass);
	/* Trailing bytes are the next message's, not this one's. */
	m[len] = 0xaa;
	ck_assert_int_eq(sec_plain_parse(m, len + 1, &pc), (ssize_t)len);
	sec_plain_clear(&pc);
	ck_assert_str_eq(pc.password, "");
}
END_TEST

START_TEST(test_plain_malformed)
{
	static struct plain_creds pc;
	uint8_t m[64];
	size_t len;

	/* Oversize lengths are refused from the 8-byte header alone. */
	put_u32(m, RFB_PLAIN_MAX_FIELD + 1);
	put_u32(m + 4, 1);
	ck_assert_int_eq(sec_plain_parse(m, 8, &pc), -EMSGSIZE);
	put_u32(m, 1);
	put_u32(m + 4, 0xffffffffu);
	ck_assert_int_eq(sec_plain_parse(m, 8, &pc), -EMSGSIZE);
	/* The limit itself is fine: it waits for the bytes. */
	put_u32(m, RFB_PLAIN_MAX_FIELD);
	put_u32(m + 4, RFB_PLAIN_MAX_FIELD);
	ck_assert_int_eq(sec_plain_parse(m, 8, &pc), 0);
	len = plain_msg(m, "a\0b", 3, "pw", 2);
	ck_assert_int_eq(sec_plain_parse(m, len, &pc), -EINVAL);
	len = plain_msg(m, "ab", 2, "p\0w", 3);
	ck_assert_int_eq(sec_plain_parse(m, len, &pc), -EINVAL);
}
END_TEST

static Suite *vencrypt_suite(void)
{
	Suite *s = suite_create("sec-vencrypt");
	TCase *tc;

	tc = unit_tcase(s, "negotiation");
	tcase_add_loop_test(tc, test_choice_whole, 0, NOFFERED);
	tcase_add_loop_test(tc, test_choice_split, 0, NOFFERED);
	tcase_add_loop_test(tc, test_bad_version, 0,
			    sizeof(bad_versions) / sizeof(bad_versions[0]));
	tcase_add_loop_test(tc, test_bad_subtype, 0,
			    sizeof(bad_subtypes) / sizeof(bad_subtypes[0]));
	tcase_add_test(tc, test_no_loop);
	tcase_add_test(tc, test_after_choice);
	tcase_add_test(tc, test_names);

	tc = unit_tcase(s, "plain");
	tcase_add_loop_test(tc, test_plain_split, 0,
			    sizeof(creds) / sizeof(creds[0]));
	tcase_add_test(tc, test_plain_malformed);
	return s;
}

UNIT_MAIN(vencrypt_suite)
