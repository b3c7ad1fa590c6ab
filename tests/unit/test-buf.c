/* SPDX-License-Identifier: MIT */
/*
 * buf: growable buffers, big-endian helpers and refcounted payloads.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "unit.h"

START_TEST(test_append_consume)
{
	struct buf b = BUF_INIT;
	uint8_t model[70000];
	size_t len = 0;
	struct unit_rng rng;

	unit_rng_seed(&rng, 3);
	for (int i = 0; i < 2000; i++) {
		size_t n = unit_rng_below(&rng, 300);
		uint8_t tmp[300];

		if (unit_rng_below(&rng, 3) && len + n <= sizeof(model)) {
			for (size_t k = 0; k < n; k++)
				tmp[k] = (uint8_t)unit_rng_next(&rng);
			ck_assert_int_eq(buf_append(&b, tmp, n), 0);
			memcpy(model + len, tmp, n);
			len += n;
		} else {
			n = unit_rng_below(&rng, (uint32_t)len + 10);
			buf_consume(&b, n);
			if (n >= len)
				len = 0;
			else {
				memmove(model, model + n, len - n);
				len -= n;
			}
		}
		ck_assert_uint_eq(b.len, len);
		ck_assert_uint_ge(b.cap, b.len);
		if (len)
			ck_assert_mem_eq(b.data, model, len);
	}
	buf_fini(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	ck_assert_uint_eq(b.cap, 0);
}
END_TEST

START_TEST(test_put_helpers)
{
	struct buf b = BUF_INIT;
	const uint8_t want[] = { 0xab, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef,
				 'x', 'y' };
	uint8_t *p;
	uint8_t raw[6];

	ck_assert_int_eq(buf_reserve(&b, 9), 0);
	buf_put_u8(&b, 0xab);
	buf_put_u16(&b, 0x1234);
	buf_put_u32(&b, 0xdeadbeef);
	buf_put_mem(&b, "xy", 2);
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_mem_eq(b.data, want, sizeof(want));
	ck_assert_uint_eq(get_u16(b.data + 1), 0x1234);
	ck_assert_uint_eq(get_u32(b.data + 3), 0xdeadbeef);

	p = buf_extend(&b, 3);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_eq(p, b.data + sizeof(want));
	ck_assert_uint_eq(b.len, sizeof(want) + 3);

	put_u16(raw, 0xfffe);
	put_u32(raw + 2, 0x80000001);
	ck_assert_uint_eq(raw[0], 0xff);
	ck_assert_uint_eq(raw[1], 0xfe);
	ck_assert_uint_eq(raw[2], 0x80);
	ck_assert_uint_eq(raw[5], 0x01);
	ck_assert_uint_eq(get_u32(raw + 2), 0x80000001);
	buf_fini(&b);
}
END_TEST

START_TEST(test_reserve_overflow)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(buf_append(&b, "abc", 3), 0);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX), -ENOMEM);
	ck_assert_int_eq(buf_reserve(&b, SIZE_MAX - 2), -ENOMEM);
	ck_assert_ptr_null(buf_extend(&b, SIZE_MAX - 1));
	/* Unchanged after the failures. */
	ck_assert_uint_eq(b.len, 3);
	ck_assert_mem_eq(b.data, "abc", 3);
	ck_assert_int_eq(buf_append(&b, NULL, 0), 0);
	buf_fini(&b);
}
END_TEST

START_TEST(test_steal)
{
	struct buf b = BUF_INIT;
	size_t len;
	uint8_t *p;

	buf_append(&b, "hello", 5);
	p = buf_steal(&b, &len);
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(p, "hello", 5);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(b.len, 0);
	free(p);
}
END_TEST

START_TEST(test_rcbuf)
{
	struct buf b = BUF_INIT;
	struct rcbuf *r, *c;
	uint8_t *m = malloc(4);

	memcpy(m, "abcd", 4);
	r = rcbuf_new(m, 4);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(r->ref, 1);
	ck_assert_ptr_eq(rcbuf_ref(r), r);
	ck_assert_int_eq(r->ref, 2);
	rcbuf_unref(r);
	ck_assert_int_eq(r->ref, 1);
	ck_assert_mem_eq(r->data, "abcd", 4);
	rcbuf_unref(r);

	c = rcbuf_copy("xyz", 3);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->len, 3);
	ck_assert_mem_eq(c->data, "xyz", 3);
	rcbuf_unref(c);
	c = rcbuf_copy("", 0);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_eq(c->len, 0);
	rcbuf_unref(c);

	buf_append(&b, "payload", 7);
	c = rcbuf_from_buf(&b);
	ck_assert_ptr_null(b.data);
	ck_assert_uint_eq(c->len, 7);
	ck_assert_mem_eq(c->data, "payload", 7);
	rcbuf_unref(c);
	rcbuf_unref(NULL);
}
END_TEST

START_TEST(test_xalloc)
{
	char *s = xstrdup("copy me");
	uint8_t *z = xcalloc(16, 4);
	void *p = xmalloc(0);

	ck_assert_str_eq(s, "copy me");
	for (int i = 0; i < 64; i++)
		ck_assert_uint_eq(z[i], 0);
	z = xrealloc(z, 4096);
	z[4095] = 1;
	free(z);
	free(s);
	free(p);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");
	TCase *tc = unit_tcase(s, "buf");

	tcase_add_test(tc, test_append_consume);
	tcase_add_test(tc, test_put_helpers);
	tcase_add_test(tc, test_reserve_overflow);
	tcase_add_test(tc, test_steal);
	tcase_add_test(tc, test_rcbuf);
	tcase_add_test(tc, test_xalloc);
	return s;
}

UNIT_MAIN(buf_suite)
