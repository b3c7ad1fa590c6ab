/* SPDX-License-Identifier: MIT */
/*
 * sec-vncauth: VNC Authentication responses against known vectors, the
 * vncpasswd file format against files written by TigerVNC, and the
 * challenge source.
 *
 * The response vectors were computed outside this project with two
 * independent DES implementations: OpenSSL's (`openssl enc -des-ecb
 * -nopad` with every key byte bit-reversed) and libvncserver's d3des
 * (rfbEncryptBytes); both agree. The empty password is a DES weak key,
 * which libvncserver's libgcrypt backend refuses, so that one is from
 * OpenSSL alone.
 *
 * tests/data/vncpasswd-* were written with TigerVNC's `vncpasswd -f`
 * from "secret", "password123" (kept to its first 8 characters) and the
 * Latin-1 bytes e9 74 e9 ff 31 32.
 */
#include "config.h"

#include <string.h>

#include "sec-vncauth.h"
#include "unit.h"

#ifndef TEST_DATA_DIR
#error "TEST_DATA_DIR must name tests/data"
#endif

struct vector {
	const char *password;
	uint8_t challenge[16];
	uint8_t response[16];
};

#define CH_UP { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, \
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f }
#define CH_DOWN { 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, \
		  0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00 }

static const struct vector vectors[] = {
	{ "secret", CH_UP,
	  { 0xee, 0x22, 0x53, 0x9f, 0x33, 0xa5, 0x98, 0x3e, 0xc1, 0x2f, 0x9c,
	    0x2e, 0xdb, 0xc9, 0x95, 0xdd } },
	{ "secret", CH_DOWN,
	  { 0x1d, 0xef, 0x17, 0x6f, 0x71, 0x83, 0x19, 0x6b, 0xa3, 0xf3, 0x4c,
	    0x8e, 0xb0, 0xa5, 0x92, 0x98 } },
	{ "", CH_UP,
	  { 0x49, 0x1e, 0x89, 0x0d, 0xe9, 0xac, 0xe9, 0x32, 0x83, 0x8a, 0x49,
	    0x79, 0x2f, 0x22, 0x13, 0xf3 } },
	{ "", CH_DOWN,
	  { 0x70, 0xb9, 0xc3, 0x95, 0x68, 0x5e, 0x7d, 0x89, 0x2e, 0x68, 0x0d,
	    0xcd, 0x8d, 0xb2, 0x7f, 0x52 } },
	/* Only the first 8 bytes of a password count. */
	{ "password123456", CH_UP,
	  { 0xb8, 0x66, 0x92, 0x41, 0x25, 0xc8, 0xee, 0xbb, 0x9d, 0xeb, 0xc1,
	    0xdb, 0x61, 0xc5, 0x38, 0xe2 } },
	{ "password", CH_DOWN,
	  { 0x08, 0x6c, 0x5f, 0xea, 0xe2, 0x1b, 0xeb, 0x59, 0x73, 0x8c, 0xfb,
	    0x96, 0x21, 0x67, 0x89, 0x19 } },
	/* High bits: the bit reversal of every key byte matters. */
	{ "\xff\x80" "abc", CH_UP,
	  { 0x76, 0x8b, 0x4a, 0x3e, 0x45, 0x2a, 0xaf, 0x6d, 0x43, 0xd3, 0xef,
	    0x28, 0x9d, 0xae, 0x34, 0x40 } },
	{ "\xff\x80" "abc", CH_DOWN,
	  { 0x83, 0x8b, 0x19, 0x3f, 0x4c, 0x0f, 0xaf, 0x4e, 0x7f, 0x65, 0x30,
	    0x41, 0x7d, 0x94, 0xc0, 0x1f } },
	{ "\x01\x02\x04\x08\x10\x20\x40\x80\xff", CH_UP,
	  { 0x2d, 0x30, 0xc1, 0x9c, 0xd8, 0x2a, 0xcc, 0x74, 0x41, 0xdd, 0x95,
	    0xbd, 0xf5, 0x65, 0x84, 0x1b } },
	{ "\x01\x02\x04\x08\x10\x20\x40\x80", CH_DOWN,
	  { 0x96, 0xb6, 0x4a, 0xa3, 0xac, 0xee, 0x9c, 0x46, 0xf7, 0xd9, 0x7e,
	    0x54, 0x01, 0xd2, 0x00, 0xce } },
};
#define NVECTORS ((int)(sizeof(vectors) / sizeof(vectors[0])))

START_TEST(test_response)
{
	const struct vector *v = &vectors[_i];
	uint8_t resp[16];
	char a[64], b[64];

	memset(resp, 0, sizeof(resp));
	vncauth_response(v->password, v->challenge, resp);
	ck_assert_msg(memcmp(resp, v->response, 16) == 0,
		      "vector %d: got [%s] want [%s]", _i,
		      unit_hex(a, sizeof(a), resp, 16),
		      unit_hex(b, sizeof(b), v->response, 16));
	ck_assert(vncauth_check(v->password, v->challenge, v->response));
}
END_TEST

/* Any single changed bit of the response, or another password, fails. */
START_TEST(test_check_rejects)
{
	const struct vector *v = &vectors[_i];
	uint8_t resp[16];

	for (int bit = 0; bit < 128; bit++) {
		memcpy(resp, v->response, 16);
		resp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		ck_assert(!vncauth_check(v->password, v->challenge, resp));
	}
	ck_assert(!vncauth_check("secreT", vectors[0].challenge,
				 vectors[0].response));
	ck_assert(!vncauth_check("secret1", vectors[0].challenge,
				 vectors[0].response));
	/* "secret" and "secret\0..." are the same key; "secre" is not. */
	ck_assert(!vncauth_check("secre", vectors[0].challenge,
				 vectors[0].response));
	/* The response depends on the challenge. */
	ck_assert(!vncauth_check("secret", vectors[1].challenge,
				 vectors[0].response));
}
END_TEST

/* Passwords agreeing in their first 8 bytes are the same password. */
START_TEST(test_truncation)
{
	const uint8_t ch[16] = CH_DOWN;
	uint8_t a[16], b[16];

	vncauth_response("password", ch, a);
	vncauth_response("password123", ch, b);
	ck_assert_mem_eq(a, b, 16);
	vncauth_response("passwor", ch, b);
	ck_assert(memcmp(a, b, 16) != 0);
	ck_assert(vncauth_check("password-longer", ch, a));
	/* NULL is the empty password. */
	vncauth_response(NULL, vectors[2].challenge, b);
	ck_assert_mem_eq(b, vectors[2].response, 16);
}
END_TEST

struct passwd_file {
	const char *file;
	const char *password;	/* as vncpasswd stored it (8 bytes max) */
};

static const struct passwd_file files[] = {
	{ "vncpasswd-secret", "secret" },
	{ "vncpasswd-password123", "password" },
	{ "vncpasswd-latin1", "\xe9t\xe9\xff" "12" },
};
#define NFILES ((int)(sizeof(files) / sizeof(files[0])))

static void read_file(const char *name, uint8_t out[8])
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", TEST_DATA_DIR, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert_uint_eq(fread(out, 1, 8, f), 8);
	ck_assert_int_eq(fgetc(f), EOF);
	fclose(f);
}

START_TEST(test_passwd_file)
{
	const struct passwd_file *pf = &files[_i];
	uint8_t golden[8], ours[8];
	char plain[9], a[40], b[40];

	read_file(pf->file, golden);
	vncauth_obfuscate(pf->password, ours);
	ck_assert_msg(memcmp(ours, golden, 8) == 0, "%s: [%s] want [%s]",
		      pf->file, unit_hex(a, sizeof(a), ours, 8),
		      unit_hex(b, sizeof(b), golden, 8));
	memset(plain, 'x', sizeof(plain));
	vncauth_unobfuscate(golden, plain);
	ck_assert_str_eq(plain, pf->password);
	/* The 9th character and beyond are not stored. */
	if (strlen(pf->password) == 8) {
		char longer[32];

		snprintf(longer, sizeof(longer), "%s123", pf->password);
		vncauth_obfuscate(longer, ours);
		ck_assert_mem_eq(ours, golden, 8);
	}
}
END_TEST

START_TEST(test_obfuscate_round_trip)
{
	struct unit_rng rng;

	unit_rng_seed(&rng, 8);
	for (int i = 0; i < 1000; i++) {
		char pw[9], back[9];
		uint8_t enc[8];
		size_t n = unit_rng_below(&rng, 9);

		for (size_t k = 0; k < n; k++)
			pw[k] = (char)(1 + unit_rng_below(&rng, 255));
		pw[n] = '\0';
		vncauth_obfuscate(pw, enc);
		vncauth_unobfuscate(enc, back);
		ck_assert_str_eq(back, pw);
	}
}
END_TEST

START_TEST(test_challenge)
{
	uint8_t a[VNCAUTH_CHALLENGE_LEN], b[VNCAUTH_CHALLENGE_LEN];

	ck_assert_int_eq(vncauth_challenge(a), 0);
	ck_assert_int_eq(vncauth_challenge(b), 0);
	/* 2^-128: two equal challenges mean the source is broken. */
	ck_assert(memcmp(a, b, sizeof(a)) != 0);
}
END_TEST

static Suite *vncauth_suite(void)
{
	Suite *s = suite_create("sec-vncauth");
	TCase *tc;

	tc = unit_tcase(s, "response");
	tcase_add_loop_test(tc, test_response, 0, NVECTORS);
	tcase_add_loop_test(tc, test_check_rejects, 0, NVECTORS);
	tcase_add_test(tc, test_truncation);
	tcase_add_test(tc, test_challenge);

	tc = unit_tcase(s, "vncpasswd");
	tcase_add_loop_test(tc, test_passwd_file, 0, NFILES);
	tcase_add_test(tc, test_obfuscate_round_trip);
	return s;
}

UNIT_MAIN(vncauth_suite)
