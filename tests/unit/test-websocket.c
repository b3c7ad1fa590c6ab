/* SPDX-License-Identifier: MIT */
/*
 * websocket: the frame parser fed a conversation whole, split at every
 * byte and one byte at a time (the same data and events each way), the
 * malformed frames it must refuse with the right close code, base64
 * connections, long lengths, the server's frame headers, and the
 * handshake's accept key and subprotocol choice.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "unit.h"
#include "websocket.h"

static const uint8_t mask_a[4] = { 0x37, 0xfa, 0x21, 0x3d };

/* Append a masked client frame; @fin false leaves the FIN bit clear. */
static void frame(struct buf *b, uint8_t opcode, bool fin, const void *data,
		  size_t len)
{
	uint8_t hdr[WS_HEADER_MAX];
	size_t n = ws_frame_header(hdr, opcode, len, mask_a);
	uint8_t *p;

	if (!fin)
		hdr[0] &= 0x7f;
	ck_assert_int_eq(buf_append(b, hdr, n), 0);
	p = buf_extend(b, len);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++)
		p[i] = ((const uint8_t *)data)[i] ^ mask_a[i & 3];
}

/* What the parser made of some input. */
struct result {
	struct buf data;
	char events[256];
	int err;
	uint16_t code;
};

static void result_fini(struct result *r)
{
	buf_fini(&r->data);
}

static void note_event(struct result *r, struct ws_parser *p,
		       enum ws_event ev)
{
	char e[160];

	switch (ev) {
	case WS_EV_PING:
		snprintf(e, sizeof(e), "ping(%.*s) ", (int)p->ctrl_len,
			 (const char *)p->ctrl);
		break;
	case WS_EV_PONG:
		snprintf(e, sizeof(e), "pong(%.*s) ", (int)p->ctrl_len,
			 (const char *)p->ctrl);
		break;
	case WS_EV_CLOSE:
		snprintf(e, sizeof(e), "close(%u) ", p->close_code);
		break;
	default:
		return;
	}
	ck_assert_uint_lt(strlen(r->events) + strlen(e), sizeof(r->events));
	strcat(r->events, e);
}

/* Feed @in in pieces of @chunk bytes (0: whole), and the piece boundaries
 * in @cut (if not 0) first. */
static void feed(struct result *r, bool base64, const uint8_t *in,
		 size_t len, size_t chunk, size_t cut)
{
	struct ws_parser p;
	size_t off = 0;

	memset(r, 0, sizeof(*r));
	ws_parser_init(&p, base64);
	while (off < len) {
		size_t n = chunk ? chunk : len - off;
		enum ws_event ev;
		ssize_t k;

		if (cut && off < cut)
			n = cut - off;
		if (n > len - off)
			n = len - off;
		/* keep calling while the parser stops at events */
		while (n) {
			uint8_t *exact = malloc(n);

			memcpy(exact, in + off, n);
			k = ws_parse(&p, exact, n, &r->data, &ev);
			free(exact);
			if (k < 0) {
				r->err = (int)k;
				r->code = p.close_code;
				ck_assert_ptr_nonnull(p.error);
				return;
			}
			ck_assert_uint_le((size_t)k, n);
			if (ev == WS_EV_NONE)
				ck_assert_uint_eq((size_t)k, n);
			note_event(r, &p, ev);
			off += (size_t)k;
			n -= (size_t)k;
		}
	}
}

/* A conversation: data in pieces, control frames in between. */
static void conversation(struct buf *b)
{
	static uint8_t big[70000];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 3);
	frame(b, WS_OP_BINARY, true, "RFB 003.008\n", 12);
	frame(b, WS_OP_PING, true, "hi", 2);
	frame(b, WS_OP_BINARY, false, "ab", 2);
	frame(b, WS_OP_PING, true, "", 0);
	frame(b, WS_OP_CONT, false, "", 0);
	frame(b, WS_OP_PONG, true, "x", 1);
	frame(b, WS_OP_CONT, true, "cd", 2);
	frame(b, WS_OP_BINARY, true, big, 300);
	frame(b, WS_OP_BINARY, true, big, sizeof(big));
	frame(b, WS_OP_BINARY, true, "", 0);
	frame(b, WS_OP_CLOSE, true, "\x03\xe8" "bye", 5);
}

static void expect_conversation(const struct result *r)
{
	static const char events[] = "ping(hi) ping() pong(x) close(1000) ";

	ck_assert_int_eq(r->err, 0);
	ck_assert_str_eq(r->events, events);
	ck_assert_uint_eq(r->data.len, 12 + 4 + 300 + 70000);
	ck_assert(memcmp(r->data.data, "RFB 003.008\nabcd", 16) == 0);
	for (size_t i = 0; i < 300; i++)
		ck_assert_uint_eq(r->data.data[16 + i], (uint8_t)(i * 7 + 3));
	for (size_t i = 0; i < 70000; i++)
		if (r->data.data[316 + i] != (uint8_t)(i * 7 + 3))
			ck_abort_msg("byte %zu of the long frame", i);
}

START_TEST(test_whole)
{
	struct buf b = BUF_INIT;
	struct result r;

	conversation(&b);
	feed(&r, false, b.data, b.len, 0, 0);
	expect_conversation(&r);
	result_fini(&r);
	buf_fini(&b);
}
END_TEST

START_TEST(test_split_everywhere)
{
	struct buf b = BUF_INIT;
	struct result r;

	conversation(&b);
	/* Every split in the first 400 bytes (all the headers and short
	 * frames, the long one's header), then a sample further on. */
	for (size_t cut = 1; cut < b.len; cut += cut < 400 ? 1 : 997) {
		feed(&r, false, b.data, b.len, 0, cut);
		expect_conversation(&r);
		result_fini(&r);
	}
	feed(&r, false, b.data, b.len, 1, 0);
	expect_conversation(&r);
	result_fini(&r);
	feed(&r, false, b.data, b.len, 13, 0);
	expect_conversation(&r);
	result_fini(&r);
	buf_fini(&b);
}
END_TEST

START_TEST(test_base64)
{
	struct buf b = BUF_INIT;
	struct result r;

	frame(&b, WS_OP_TEXT, true, "aGVsbG8=", 8);
	frame(&b, WS_OP_TEXT, false, "IHdv", 4);
	frame(&b, WS_OP_PING, true, "p", 1);
	frame(&b, WS_OP_CONT, true, "cmxk", 4);
	frame(&b, WS_OP_TEXT, true, "IQ==", 4);
	for (size_t chunk = 0; chunk < 8; chunk++) {
		feed(&r, true, b.data, b.len, chunk, 0);
		ck_assert_int_eq(r.err, 0);
		ck_assert_str_eq(r.events, "ping(p) ");
		ck_assert_uint_eq(r.data.len, 12);
		ck_assert(memcmp(r.data.data, "hello world!", 12) == 0);
		result_fini(&r);
	}
	buf_fini(&b);
}
END_TEST

struct bad_case {
	const char *name;
	bool base64;
	const uint8_t *bytes;	/* raw, or NULL to build from the frame */
	size_t len;
	uint8_t opcode;
	bool fin;
	const char *payload;
	size_t plen;
	uint16_t code;
};

#define RAW(x) (const uint8_t *)(x), sizeof(x) - 1

static const struct bad_case bad_cases[] = {
	{ "unmasked", false, RAW("\x82\x02" "ab"), 0, 0, NULL, 0, 1002 },
	{ "reserved bit", false, RAW("\xc2\x80" "abcd"), 0, 0, NULL, 0, 1002 },
	{ "opcode 3", false, RAW("\x83\x80" "abcd"), 0, 0, NULL, 0, 1002 },
	{ "opcode 11", false, RAW("\x8b\x80" "abcd"), 0, 0, NULL, 0, 1002 },
	{ "fragmented ping", false, NULL, 0, WS_OP_PING, false, "x", 1, 1002 },
	{ "long ping", false, RAW("\x89\xfe\x00\x7e" "abcd"), 0, 0, NULL, 0,
	  1002 },
	{ "16-bit length < 126", false, RAW("\x82\xfe\x00\x7d" "abcd"), 0, 0,
	  NULL, 0, 1002 },
	{ "64-bit length < 65536", false,
	  RAW("\x82\xff\x00\x00\x00\x00\x00\x00\xff\xff" "abcd"), 0, 0, NULL, 0,
	  1002 },
	{ "64-bit length top bit", false,
	  RAW("\x82\xff\x80\x00\x00\x00\x00\x00\x00\x00" "abcd"), 0, 0, NULL, 0,
	  1002 },
	{ "lone continuation", false, NULL, 0, WS_OP_CONT, true, "x", 1, 1002 },
	{ "text on binary", false, NULL, 0, WS_OP_TEXT, true, "x", 1, 1003 },
	{ "binary on base64", true, NULL, 0, WS_OP_BINARY, true, "x", 1, 1003 },
	{ "bad base64", true, NULL, 0, WS_OP_TEXT, true, "a*==", 4, 1007 },
	{ "base64 cut short", true, NULL, 0, WS_OP_TEXT, true, "aGVsb", 5, 1007 },
	{ "close, one byte", false, NULL, 0, WS_OP_CLOSE, true, "\x03", 1, 1002 },
	{ "close 1005", false, NULL, 0, WS_OP_CLOSE, true, "\x03\xed", 2, 1002 },
	{ "close 999", false, NULL, 0, WS_OP_CLOSE, true, "\x03\xe7", 2, 1002 },
	{ "close 5000", false, NULL, 0, WS_OP_CLOSE, true, "\x13\x88", 2, 1002 },
	{ "close reason not UTF-8", false, NULL, 0, WS_OP_CLOSE, true,
	  "\x03\xe8\xc0\xaf", 4, 1007 },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct buf b = BUF_INIT;
	struct result r;

	if (c->bytes)
		buf_append(&b, c->bytes, c->len);
	else
		frame(&b, c->opcode, c->fin, c->payload, c->plen);
	for (size_t chunk = 0; chunk < 3; chunk++) {
		feed(&r, c->base64, b.data, b.len, chunk, 0);
		ck_assert_msg(r.err == -EPROTO, "%s: %d", c->name, r.err);
		ck_assert_msg(r.code == c->code, "%s: code %u, not %u", c->name,
			      r.code, c->code);
		result_fini(&r);
	}
	buf_fini(&b);
}
END_TEST

/* Sequences that are wrong only as a whole. */
START_TEST(test_bad_sequences)
{
	struct buf b = BUF_INIT;
	struct result r;

	frame(&b, WS_OP_BINARY, false, "a", 1);
	frame(&b, WS_OP_BINARY, true, "b", 1);
	feed(&r, false, b.data, b.len, 0, 0);
	ck_assert_int_eq(r.err, -EPROTO);
	ck_assert_uint_eq(r.code, 1002);
	result_fini(&r);
	b.len = 0;

	frame(&b, WS_OP_CLOSE, true, "", 0);
	frame(&b, WS_OP_BINARY, true, "b", 1);
	feed(&r, false, b.data, b.len, 0, 0);
	ck_assert_str_eq(r.events, "close(1005) ");
	ck_assert_int_eq(r.err, -EPROTO);
	result_fini(&r);
	buf_fini(&b);
}
END_TEST

/* After an error the parser stays failed. */
START_TEST(test_stays_failed)
{
	struct ws_parser p;
	struct buf out = BUF_INIT, b = BUF_INIT;
	enum ws_event ev;

	ws_parser_init(&p, false);
	ck_assert_int_eq(ws_parse(&p, (const uint8_t *)"\x82\x01", 2, &out,
				  &ev), -EPROTO);
	frame(&b, WS_OP_BINARY, true, "ok", 2);
	ck_assert_int_eq(ws_parse(&p, b.data, b.len, &out, &ev), -EPROTO);
	ck_assert_uint_eq(out.len, 0);
	buf_fini(&b);
}
END_TEST

START_TEST(test_frame_header)
{
	static const struct {
		uint64_t len;
		size_t n;
		const char *hex;
	} cases[] = {
		{ 0, 2, "82 00" },
		{ 125, 2, "82 7d" },
		{ 126, 4, "82 7e 00 7e" },
		{ 65535, 4, "82 7e ff ff" },
		{ 65536, 10, "82 7f 00 00 00 00 00 01 00 00" },
		{ 0x123456789aull, 10, "82 7f 00 00 00 12 34 56 78 9a" },
	};
	uint8_t hdr[WS_HEADER_MAX];
	char hex[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = ws_frame_header(hdr, WS_OP_BINARY, cases[i].len,
					   NULL);

		ck_assert_uint_eq(n, cases[i].n);
		ck_assert_str_eq(unit_hex(hex, sizeof(hex), hdr, n),
				 cases[i].hex);
		ck_assert_uint_eq(ws_frame_header(hdr, WS_OP_BINARY,
						  cases[i].len, mask_a),
				  cases[i].n + 4);
		ck_assert_uint_eq(hdr[1] & 0x80, 0x80);
	}
	ck_assert_uint_eq(ws_frame_header(hdr, WS_OP_CLOSE, 2, NULL), 2);
	ck_assert_uint_eq(hdr[0], 0x88);
}
END_TEST

START_TEST(test_close_payload)
{
	uint8_t out[WS_CONTROL_MAX];
	char longer[300];

	ck_assert_uint_eq(ws_close_payload(out, 1002, "bad"), 5);
	ck_assert(memcmp(out, "\x03\xea" "bad", 5) == 0);
	ck_assert_uint_eq(ws_close_payload(out, 1000, NULL), 2);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	ck_assert_uint_eq(ws_close_payload(out, 1000, longer), WS_CONTROL_MAX);
}
END_TEST

START_TEST(test_accept_key)
{
	char out[WS_ACCEPT_LEN + 1];

	/* the example of RFC 6455 §1.3 */
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out), 0);
	ck_assert_str_eq(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	ck_assert_int_eq(ws_accept_key("", out), -EINVAL);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=", out),
			 -EINVAL);
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZQ*=", out),
			 -EINVAL);
	/* 24 characters, but 17 bytes */
	ck_assert_int_eq(ws_accept_key("dGhlIHNhbXBsZSBub25jZXh4", out),
			 -EINVAL);
}
END_TEST

START_TEST(test_subproto)
{
	enum ws_subproto p;

	ck_assert_int_eq(ws_choose_subproto(false, false, false, &p), 0);
	ck_assert_int_eq(p, WS_PROTO_NONE);
	ck_assert_ptr_null(ws_subproto_name(p));
	ck_assert_int_eq(ws_choose_subproto(true, true, true, &p), 0);
	ck_assert_int_eq(p, WS_PROTO_BINARY);
	ck_assert_str_eq(ws_subproto_name(p), "binary");
	ck_assert_int_eq(ws_choose_subproto(true, false, true, &p), 0);
	ck_assert_int_eq(p, WS_PROTO_BASE64);
	ck_assert_str_eq(ws_subproto_name(p), "base64");
	ck_assert_int_eq(ws_choose_subproto(true, false, false, &p),
			 -EPROTONOSUPPORT);
}
END_TEST

static Suite *websocket_suite(void)
{
	Suite *s = suite_create("websocket");
	TCase *tc = unit_tcase(s, "parse");

	tcase_add_test(tc, test_whole);
	tcase_add_test(tc, test_split_everywhere);
	tcase_add_test(tc, test_base64);
	tcase_add_loop_test(tc, test_bad, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_bad_sequences);
	tcase_add_test(tc, test_stays_failed);
	tc = unit_tcase(s, "frames and handshake");
	tcase_add_test(tc, test_frame_header);
	tcase_add_test(tc, test_close_payload);
	tcase_add_test(tc, test_accept_key);
	tcase_add_test(tc, test_subproto);
	return s;
}

UNIT_MAIN(websocket_suite)
