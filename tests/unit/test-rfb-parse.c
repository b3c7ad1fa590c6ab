/* SPDX-License-Identifier: MIT */
/*
 * rfb-parse: every client message parsed whole, cut at every byte (the
 * parser must ask for more until the message is complete, then take
 * exactly its length with the same fields), followed by other bytes, and
 * malformed (unknown types, oversize lengths, bad extension fields), which
 * must fail with a negative errno and a reason as soon as the header
 * shows the problem, never by waiting for the body. Also ProtocolVersion.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "rfb-parse.h"
#include "rfb-proto.h"
#include "unit.h"

#define MAX_MSG 8192

struct msg_case {
	const char *name;
	uint8_t bytes[96];
	size_t len;
	struct rfb_parse_opts opts;
	void (*check)(const struct rfb_msg *m, const uint8_t *d);
};

static const struct rfb_parse_opts plain = { false, false, RFB_CUT_TEXT_MAX };

static void chk_pf_32(const struct rfb_msg *m, const uint8_t *d)
{
	const struct pixfmt *pf = &m->pixel_format;

	ck_assert_uint_eq(pf->bpp, 32);
	ck_assert_uint_eq(pf->depth, 24);
	ck_assert_uint_eq(pf->big_endian, 0);
	ck_assert_uint_eq(pf->true_colour, 1);
	ck_assert_uint_eq(pf->red_max, 255);
	ck_assert_uint_eq(pf->green_max, 255);
	ck_assert_uint_eq(pf->blue_max, 255);
	ck_assert_uint_eq(pf->red_shift, 0);
	ck_assert_uint_eq(pf->green_shift, 8);
	ck_assert_uint_eq(pf->blue_shift, 16);
}

static void chk_pf_16(const struct rfb_msg *m, const uint8_t *d)
{
	const struct pixfmt *pf = &m->pixel_format;

	ck_assert_uint_eq(pf->bpp, 16);
	ck_assert_uint_eq(pf->depth, 16);
	ck_assert_uint_eq(pf->big_endian, 1);
	ck_assert_uint_eq(pf->true_colour, 1);
	ck_assert_uint_eq(pf->red_max, 31);
	ck_assert_uint_eq(pf->green_max, 63);
	ck_assert_uint_eq(pf->blue_max, 31);
	ck_assert_uint_eq(pf->red_shift, 11);
	ck_assert_uint_eq(pf->green_shift, 5);
	ck_assert_uint_eq(pf->blue_shift, 0);
}

static void chk_enc_0(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->encodings.count, 0);
}

static void chk_enc_3(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->encodings.count, 3);
	ck_assert_ptr_eq(m->encodings.list, d + 4);
}

static void chk_fbur_inc(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert(m->update_request.incremental);
	ck_assert_uint_eq(m->update_request.x, 1);
	ck_assert_uint_eq(m->update_request.y, 2);
	ck_assert_uint_eq(m->update_request.w, 3);
	ck_assert_uint_eq(m->update_request.h, 4);
}

static void chk_fbur_full(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert(!m->update_request.incremental);
	ck_assert_uint_eq(m->update_request.x, 0xfffe);
	ck_assert_uint_eq(m->update_request.y, 0x8001);
	ck_assert_uint_eq(m->update_request.w, 0xffff);
	ck_assert_uint_eq(m->update_request.h, 0x0100);
}

static void chk_key_down(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert(m->key.down);
	ck_assert_uint_eq(m->key.keysym, 0xff0d);
}

static void chk_key_up(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert(!m->key.down);
	ck_assert_uint_eq(m->key.keysym, 0xfffffffe);
}

static void chk_ptr(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->pointer.buttons, 5);
	ck_assert_uint_eq(m->pointer.x, 0x102);
	ck_assert_uint_eq(m->pointer.y, 0x304);
}

static void chk_ptr_b8(const struct rfb_msg *m, const uint8_t *d)
{
	/* Until ExtendedMouseButtons is on, bit 7 is just button 8. */
	ck_assert_uint_eq(m->pointer.buttons, 0x81);
	ck_assert_uint_eq(m->pointer.x, 1);
	ck_assert_uint_eq(m->pointer.y, 2);
}

static void chk_ptr_ext(const struct rfb_msg *m, const uint8_t *d)
{
	/* (ext << 7) | (mask & 0x7f): buttons 1, 8 and 9. */
	ck_assert_uint_eq(m->pointer.buttons, 0x181);
	ck_assert_uint_eq(m->pointer.x, 1);
	ck_assert_uint_eq(m->pointer.y, 2);
}

static void chk_ptr_ext_low(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->pointer.buttons, 0x7f);
	ck_assert_uint_eq(m->pointer.x, 0xffff);
	ck_assert_uint_eq(m->pointer.y, 0);
}

static void chk_cut(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_int_eq(m->cut_text.length, 5);
	ck_assert_uint_eq(m->cut_text.data_len, 5);
	ck_assert_ptr_eq(m->cut_text.data, d + 8);
	ck_assert_mem_eq(m->cut_text.data, "h\xe9llo", 5);
}

static void chk_cut_empty(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_int_eq(m->cut_text.length, 0);
	ck_assert_uint_eq(m->cut_text.data_len, 0);
}

static void chk_cut_ext(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_int_eq(m->cut_text.length, -8);
	ck_assert_uint_eq(m->cut_text.data_len, 8);
	ck_assert_ptr_eq(m->cut_text.data, d + 8);
}

static void chk_cu(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert(m->continuous.enable);
	ck_assert_uint_eq(m->continuous.x, 0);
	ck_assert_uint_eq(m->continuous.y, 16);
	ck_assert_uint_eq(m->continuous.w, 1600);
	ck_assert_uint_eq(m->continuous.h, 1200);
}

static void chk_fence(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->fence.flags, 0x80000007);
	ck_assert_uint_eq(m->fence.len, 3);
	ck_assert_ptr_eq(m->fence.payload, d + 9);
	ck_assert_mem_eq(m->fence.payload, "abc", 3);
}

static void chk_fence_empty(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->fence.flags, 1);
	ck_assert_uint_eq(m->fence.len, 0);
}

static void chk_sds(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->desktop_size.w, 1024);
	ck_assert_uint_eq(m->desktop_size.h, 768);
	ck_assert_uint_eq(m->desktop_size.nscreens, 2);
	ck_assert_ptr_eq(m->desktop_size.screens, d + 8);
}

static void chk_sds_none(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->desktop_size.w, 640);
	ck_assert_uint_eq(m->desktop_size.h, 480);
	ck_assert_uint_eq(m->desktop_size.nscreens, 0);
}

static void chk_qemu(const struct rfb_msg *m, const uint8_t *d)
{
	ck_assert_uint_eq(m->qemu_key.subtype, 0);
	ck_assert(m->qemu_key.down);
	ck_assert_uint_eq(m->qemu_key.keysym, 0xffe1);
	ck_assert_uint_eq(m->qemu_key.keycode, 0x2a);
}

#define SCREEN(id) 0, 0, 0, id, 0, 0, 0, 0, 4, 0, 3, 0, 0, 0, 0, 0

static const struct msg_case msgs[] = {
	{ "SetPixelFormat 32", { 0, 1, 2, 3, 32, 24, 0, 1, 0, 255, 0, 255, 0,
				 255, 0, 8, 16, 9, 9, 9 }, 20, { 0 }, chk_pf_32 },
	{ "SetPixelFormat 16 BE", { 0, 0, 0, 0, 16, 16, 1, 1, 0, 31, 0, 63, 0,
				    31, 11, 5, 0, 0, 0, 0 }, 20, { 0 },
	  chk_pf_16 },
	{ "SetEncodings none", { 2, 0, 0, 0 }, 4, { 0 }, chk_enc_0 },
	{ "SetEncodings 3", { 2, 0, 0, 3, 0, 0, 0, 16, 0xff, 0xff, 0xff, 0x21,
			      0xc0, 0xa1, 0xe5, 0xce }, 16, { 0 }, chk_enc_3 },
	{ "FBUpdateRequest inc", { 3, 1, 0, 1, 0, 2, 0, 3, 0, 4 }, 10, { 0 },
	  chk_fbur_inc },
	{ "FBUpdateRequest full", { 3, 0, 0xff, 0xfe, 0x80, 1, 0xff, 0xff, 1,
				    0 }, 10, { 0 }, chk_fbur_full },
	{ "KeyEvent down", { 4, 1, 0, 0, 0, 0, 0xff, 0x0d }, 8, { 0 },
	  chk_key_down },
	{ "KeyEvent up", { 4, 0, 7, 7, 0xff, 0xff, 0xff, 0xfe }, 8, { 0 },
	  chk_key_up },
	{ "PointerEvent", { 5, 5, 1, 2, 3, 4 }, 6, { 0 }, chk_ptr },
	{ "PointerEvent bit 7", { 5, 0x81, 0, 1, 0, 2 }, 6, { 0 }, chk_ptr_b8 },
	{ "PointerEvent ext", { 5, 0x81, 0, 1, 0, 2, 3 }, 7, { true, 0, 0 },
	  chk_ptr_ext },
	{ "PointerEvent ext, no marker", { 5, 0x7f, 0xff, 0xff, 0, 0 }, 6,
	  { true, 0, 0 }, chk_ptr_ext_low },
	{ "ClientCutText", { 6, 0, 0, 0, 0, 0, 0, 5, 'h', 0xe9, 'l', 'l', 'o' },
	  13, { 0 }, chk_cut },
	{ "ClientCutText empty", { 6, 0, 0, 0, 0, 0, 0, 0 }, 8, { 0 },
	  chk_cut_empty },
	{ "ClientCutText extended", { 6, 0, 0, 0, 0xff, 0xff, 0xff, 0xf8, 0, 0,
				      0, 1, 0x10, 0x20, 0x30, 0x40 }, 16,
	  { false, true, 0 }, chk_cut_ext },
	{ "ClientCutText ext, classic", { 6, 0, 0, 0, 0, 0, 0, 5, 'h', 0xe9,
					  'l', 'l', 'o' }, 13,
	  { false, true, 0 }, chk_cut },
	{ "EnableContinuousUpdates", { 150, 1, 0, 0, 0, 16, 6, 0x40, 4, 0xb0 },
	  10, { 0 }, chk_cu },
	{ "ClientFence", { 248, 0, 0, 0, 0x80, 0, 0, 7, 3, 'a', 'b', 'c' }, 12,
	  { 0 }, chk_fence },
	{ "ClientFence empty", { 248, 0, 0, 0, 0, 0, 0, 1, 0 }, 9, { 0 },
	  chk_fence_empty },
	{ "SetDesktopSize", { 251, 0, 4, 0, 3, 0, 2, 0, SCREEN(1), SCREEN(2) },
	  40, { 0 }, chk_sds },
	{ "SetDesktopSize empty", { 251, 0, 2, 0x80, 1, 0xe0, 0, 0 }, 8, { 0 },
	  chk_sds_none },
	{ "QEMU extended key", { 255, 0, 0, 1, 0, 0, 0xff, 0xe1, 0, 0, 0,
				 0x2a }, 12, { 0 }, chk_qemu },
};
#define NMSGS ((int)(sizeof(msgs) / sizeof(msgs[0])))

static struct rfb_parse_opts case_opts(const struct msg_case *c)
{
	struct rfb_parse_opts o = c->opts;

	if (!o.cut_text_max)
		o.cut_text_max = RFB_CUT_TEXT_MAX;
	return o;
}

/* Parse @len bytes from a buffer of exactly that size, so a read past
 * the end is caught by ASan. */
static ssize_t parse_exact(const uint8_t *data, size_t len,
			   const struct rfb_parse_opts *o, struct rfb_msg *m,
			   const char **why, uint8_t **copy)
{
	*copy = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(*copy);
	memcpy(*copy, data, len);
	return rfb_parse_client_msg(*copy, len, o, m, why);
}

START_TEST(test_whole)
{
	const struct msg_case *c = &msgs[_i];
	struct rfb_parse_opts o = case_opts(c);
	struct rfb_msg m;
	const char *why = NULL;
	uint8_t *copy;
	ssize_t n;

	n = parse_exact(c->bytes, c->len, &o, &m, &why, &copy);
	ck_assert_msg(n == (ssize_t)c->len, "%s: parsed %zd of %zu (%s)",
		      c->name, n, c->len, why ? why : "");
	ck_assert_uint_eq(m.type, c->bytes[0]);
	c->check(&m, copy);
	free(copy);
}
END_TEST

START_TEST(test_split)
{
	const struct msg_case *c = &msgs[_i];
	struct rfb_parse_opts o = case_opts(c);

	for (size_t k = 0; k < c->len; k++) {
		struct rfb_msg m;
		const char *why = NULL;
		uint8_t *copy;
		ssize_t n = parse_exact(c->bytes, k, &o, &m, &why, &copy);

		ck_assert_msg(n == 0, "%s: %zu of %zu bytes gave %zd (%s)",
			      c->name, k, c->len, n, why ? why : "");
		free(copy);
	}
}
END_TEST

/* Bytes of the next message behind this one do not change anything. */
START_TEST(test_followed)
{
	const struct msg_case *c = &msgs[_i];
	struct rfb_parse_opts o = case_opts(c);
	struct unit_rng rng;
	uint8_t buf[256];

	unit_rng_seed(&rng, (uint64_t)_i);
	for (int t = 0; t < 50; t++) {
		size_t extra = 1 + unit_rng_below(&rng, 100);
		struct rfb_msg m;
		const char *why = NULL;
		ssize_t n;

		memcpy(buf, c->bytes, c->len);
		for (size_t i = 0; i < extra; i++)
			buf[c->len + i] = (uint8_t)unit_rng_next(&rng);
		n = rfb_parse_client_msg(buf, c->len + extra, &o, &m, &why);
		ck_assert_msg(n == (ssize_t)c->len, "%s: %zd", c->name, n);
		c->check(&m, buf);
	}
}
END_TEST

/* A stream of every message, delivered in random chunks and parsed the
 * way a connection does: the same messages in the same order. */
START_TEST(test_stream)
{
	static uint8_t stream[16384], rx[16384];
	size_t lens[4 * NMSGS], total = 0, nmsg = 0, rx_len = 0, fed = 0,
	       next = 0;
	struct unit_rng rng;

	unit_rng_seed(&rng, 1234);
	for (int r = 0; r < 4; r++)
		for (int i = 0; i < NMSGS; i++) {
			/* Only messages that parse the same way with the
			 * plain options. */
			if (msgs[i].opts.ext_mouse_buttons ||
			    msgs[i].opts.ext_clipboard)
				continue;
			memcpy(stream + total, msgs[i].bytes, msgs[i].len);
			total += msgs[i].len;
			lens[nmsg++] = (size_t)i;
		}
	while (next < nmsg) {
		size_t chunk = 1 + unit_rng_below(&rng, 24);
		size_t off = 0;

		if (chunk > total - fed)
			chunk = total - fed;
		memcpy(rx + rx_len, stream + fed, chunk);
		rx_len += chunk;
		fed += chunk;
		for (;;) {
			struct rfb_msg m;
			const char *why = NULL;
			ssize_t n = rfb_parse_client_msg(rx + off, rx_len - off,
							 &plain, &m, &why);
			const struct msg_case *c;

			ck_assert_msg(n >= 0, "stream error: %s", why);
			if (n == 0)
				break;
			ck_assert_uint_lt(next, nmsg);
			c = &msgs[lens[next++]];
			ck_assert_msg(n == (ssize_t)c->len, "%s: %zd", c->name,
				      n);
			c->check(&m, rx + off);
			off += (size_t)n;
		}
		memmove(rx, rx + off, rx_len - off);
		rx_len -= off;
		ck_assert(fed < total || next == nmsg);
	}
	ck_assert_uint_eq(rx_len, 0);
}
END_TEST

START_TEST(test_set_encodings_max)
{
	size_t len = 4 + 4 * RFB_SET_ENCODINGS_MAX;
	uint8_t *d = calloc(1, len);
	struct rfb_msg m;
	const char *why = NULL;

	ck_assert_ptr_nonnull(d);
	d[0] = RFB_MSG_SET_ENCODINGS;
	d[2] = RFB_SET_ENCODINGS_MAX >> 8;
	d[3] = RFB_SET_ENCODINGS_MAX & 0xff;
	ck_assert_int_eq(rfb_parse_client_msg(d, len - 1, &plain, &m, &why), 0);
	ck_assert_int_eq(rfb_parse_client_msg(d, len, &plain, &m, &why),
			 (ssize_t)len);
	ck_assert_uint_eq(m.encodings.count, RFB_SET_ENCODINGS_MAX);
	free(d);
}
END_TEST

/* The longest SetDesktopSize (255 screens), fence and cut text. */
START_TEST(test_long_bodies)
{
	struct rfb_parse_opts small = { false, false, 100 };
	size_t len = 8 + 16 * 255;
	uint8_t *d = calloc(1, len + 8);
	struct rfb_msg m;
	const char *why = NULL;

	ck_assert_ptr_nonnull(d);
	d[0] = RFB_MSG_SET_DESKTOP_SIZE;
	d[6] = 255;
	ck_assert_int_eq(rfb_parse_client_msg(d, len - 1, &plain, &m, &why), 0);
	ck_assert_int_eq(rfb_parse_client_msg(d, len, &plain, &m, &why),
			 (ssize_t)len);
	ck_assert_uint_eq(m.desktop_size.nscreens, 255);

	/* A fence with the longest payload allowed. */
	memset(d, 0, len);
	d[0] = RFB_MSG_CLIENT_FENCE;
	d[8] = RFB_FENCE_PAYLOAD_MAX;
	ck_assert_int_eq(rfb_parse_client_msg(d, 9 + 63, &plain, &m, &why), 0);
	ck_assert_int_eq(rfb_parse_client_msg(d, 9 + 64, &plain, &m, &why),
			 9 + 64);
	ck_assert_uint_eq(m.fence.len, 64);

	memset(d, 0, len);
	d[0] = RFB_MSG_CLIENT_CUT_TEXT;
	d[7] = 100;
	ck_assert_int_eq(rfb_parse_client_msg(d, 107, &small, &m, &why), 0);
	ck_assert_int_eq(rfb_parse_client_msg(d, 108, &small, &m, &why), 108);
	/* Extended form at the limit: -100. */
	d[4] = d[5] = d[6] = 0xff;
	d[7] = 0x9c;
	small.ext_clipboard = true;
	ck_assert_int_eq(rfb_parse_client_msg(d, 108, &small, &m, &why), 108);
	ck_assert_int_eq(m.cut_text.length, -100);
	free(d);
}
END_TEST

struct bad_case {
	const char *name;
	uint8_t bytes[16];
	size_t len;		/* the error must show with this many bytes */
	struct rfb_parse_opts opts;
	int err;
	const char *reason;	/* a word the reason must contain */
};

static const struct bad_case bads[] = {
	{ "type 1", { 1 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 7", { 7, 0, 0, 0 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 9", { 9 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 127", { 127 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 128", { 128 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 149", { 149 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 249", { 249 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 250 (xvp, never offered)", { 250, 0, 1, 2 }, 1, { 0 },
	  -EPROTO, "unknown" },
	{ "type 252", { 252, 0, 0, 1 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 253", { 253 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "type 254", { 254 }, 1, { 0 }, -EPROTO, "unknown" },
	{ "SetEncodings 1025", { 2, 0, 4, 1 }, 4, { 0 }, -EMSGSIZE,
	  "encodings" },
	{ "SetEncodings 65535", { 2, 0, 0xff, 0xff }, 4, { 0 }, -EMSGSIZE,
	  "encodings" },
	{ "cut text over limit", { 6, 0, 0, 0, 0, 0, 0, 101 }, 8,
	  { false, false, 100 }, -EMSGSIZE, "limit" },
	{ "cut text 4 GiB", { 6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, 8, { 0 },
	  -EMSGSIZE, "limit" },
	{ "cut text negative, not extended", { 6, 0, 0, 0, 0xff, 0xff, 0xff,
					       0xf8 }, 8, { 0 },
	  -EMSGSIZE, "limit" },
	{ "ext clipboard -1", { 6, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, 8,
	  { false, true, 0 }, -EPROTO, "flags" },
	{ "ext clipboard -3", { 6, 0, 0, 0, 0xff, 0xff, 0xff, 0xfd }, 8,
	  { false, true, 0 }, -EPROTO, "flags" },
	{ "ext clipboard INT_MIN", { 6, 0, 0, 0, 0x80, 0, 0, 0 }, 8,
	  { false, true, 0 }, -EPROTO, "range" },
	{ "ext clipboard over limit", { 6, 0, 0, 0, 0xff, 0xff, 0xff, 0x9b },
	  8, { false, true, 100 }, -EMSGSIZE, "limit" },
	{ "fence 65", { 248, 0, 0, 0, 0, 0, 0, 0, 65 }, 9, { 0 }, -EMSGSIZE,
	  "fence" },
	{ "fence 255", { 248, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 255 }, 9, { 0 },
	  -EMSGSIZE, "fence" },
	{ "QEMU subtype 1", { 255, 1, 0, 0 }, 2, { 0 }, -EPROTO, "QEMU" },
	{ "QEMU subtype 255", { 255, 255 }, 2, { 0 }, -EPROTO, "QEMU" },
};
#define NBADS ((int)(sizeof(bads) / sizeof(bads[0])))

START_TEST(test_malformed)
{
	const struct bad_case *c = &bads[_i];
	struct rfb_parse_opts o = c->opts;

	if (!o.cut_text_max)
		o.cut_text_max = RFB_CUT_TEXT_MAX;
	/* Shorter: still waiting (the header is not complete). */
	for (size_t k = 0; k < c->len; k++) {
		struct rfb_msg m;
		const char *why = NULL;
		uint8_t *copy;

		ck_assert_int_eq(parse_exact(c->bytes, k, &o, &m, &why, &copy),
				 0);
		free(copy);
	}
	/* From the header on, and whatever follows: the error. */
	for (size_t k = c->len; k <= sizeof(c->bytes); k++) {
		struct rfb_msg m;
		const char *why = NULL;
		uint8_t *copy;
		ssize_t n = parse_exact(c->bytes, k, &o, &m, &why, &copy);

		ck_assert_msg(n == c->err, "%s with %zu bytes: %zd, want %d",
			      c->name, k, n, c->err);
		ck_assert_ptr_nonnull(why);
		ck_assert_msg(strstr(why, c->reason),
			      "%s: reason \"%s\" lacks \"%s\"", c->name, why,
			      c->reason);
		free(copy);
	}
	/* No reason pointer is fine too. */
	{
		struct rfb_msg m;

		ck_assert_int_eq(rfb_parse_client_msg(c->bytes, sizeof(c->bytes),
						      &o, &m, NULL),
				 c->err);
	}
}
END_TEST

/* Every message type byte: either a known message or an error, never a
 * "need more" with the whole header present. */
START_TEST(test_all_types)
{
	for (int t = 0; t < 256; t++) {
		uint8_t d[MAX_MSG] = { (uint8_t)t };
		struct rfb_msg m;
		const char *why = NULL;
		ssize_t n = rfb_parse_client_msg(d, sizeof(d), &plain, &m, &why);

		switch (t) {
		case 0: case 2: case 3: case 4: case 5: case 6: case 150:
		case 248: case 251: case 255:
			ck_assert_msg(n > 0, "type %d: %zd", t, n);
			break;
		default:
			ck_assert_msg(n == -EPROTO && why, "type %d: %zd", t, n);
		}
	}
}
END_TEST

struct version_case {
	const char *text;
	int minor;
};

static const struct version_case versions[] = {
	{ "RFB 003.003\n", 3 }, { "RFB 003.007\n", 7 },
	{ "RFB 003.008\n", 8 }, { "RFB 003.005\n", 3 },
	{ "RFB 003.004\n", 3 }, { "RFB 003.006\n", 3 },
	{ "RFB 003.000\n", 3 }, { "RFB 003.014\n", 8 },
	{ "RFB 003.016\n", 8 }, { "RFB 003.889\n", 8 },
	{ "RFB 003.999\n", 8 }, { "RFB 004.000\n", 8 },
	{ "RFB 004.001\n", 8 }, { "RFB 005.000\n", 8 },
	{ "RFB 002.999\n", -EPROTO }, { "RFB 000.000\n", -EPROTO },
	{ "RFB 003.008\r", -EPROTO }, { "rfb 003.008\n", -EPROTO },
	{ "RFB 003,008\n", -EPROTO }, { "RFB 03.008\n\n", -EPROTO },
	{ "RFB 0x3.008\n", -EPROTO }, { "RFB 003.00a\n", -EPROTO },
	{ "RFB -03.008\n", -EPROTO }, { "GET / HTTP/1", -EPROTO },
	{ "\0\0\0\0\0\0\0\0\0\0\0\0", -EPROTO },
	{ "RFB 003.008 ", -EPROTO },
};
#define NVERSIONS ((int)(sizeof(versions) / sizeof(versions[0])))

START_TEST(test_version)
{
	const struct version_case *v = &versions[_i];
	uint8_t d[12];

	memcpy(d, v->text, 12);
	ck_assert_msg(rfb_parse_version(d) == v->minor, "\"%.11s\": %d, want %d",
		      v->text, rfb_parse_version(d), v->minor);
}
END_TEST

static Suite *rfb_parse_suite(void)
{
	Suite *s = suite_create("rfb-parse");
	TCase *tc;

	tc = unit_tcase(s, "messages");
	tcase_add_loop_test(tc, test_whole, 0, NMSGS);
	tcase_add_loop_test(tc, test_split, 0, NMSGS);
	tcase_add_loop_test(tc, test_followed, 0, NMSGS);
	tcase_add_test(tc, test_stream);
	tcase_add_test(tc, test_set_encodings_max);
	tcase_add_test(tc, test_long_bodies);

	tc = unit_tcase(s, "malformed");
	tcase_add_loop_test(tc, test_malformed, 0, NBADS);
	tcase_add_test(tc, test_all_types);

	tc = unit_tcase(s, "version");
	tcase_add_loop_test(tc, test_version, 0, NVERSIONS);
	return s;
}

UNIT_MAIN(rfb_parse_suite)
