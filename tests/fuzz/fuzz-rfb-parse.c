/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the client message parser. The first input byte picks
 * the connection options (ExtendedMouseButtons, Extended Clipboard, a
 * small clipboard limit); the rest is parsed as a stream of client
 * messages, the way a connection does. Besides "no crash, no read out of
 * bounds" it checks the parser's contract on every message: the length
 * it takes is within the input, every prefix of the message asks for
 * more, parsing the exact bytes again gives the same answer, pointers in
 * the message stay inside it, and errors carry a reason. Prefixes are
 * parsed from buffers of exactly their size so ASan sees any over-read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "rfb-parse.h"
#include "rfb-proto.h"

static ssize_t parse_copy(const uint8_t *d, size_t len,
			  const struct rfb_parse_opts *o, struct rfb_msg *m,
			  const char **why)
{
	uint8_t *copy = malloc(len ? len : 1);
	ssize_t n;

	CHECK(copy);
	memcpy(copy, d, len);
	n = rfb_parse_client_msg(copy, len, o, m, why);
	free(copy);
	return n;
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *d, size_t len)
{
	return p >= d && p + n <= d + len;
}

/* Pointers into the message lie inside it and end where it ends. */
static void check_msg(const struct rfb_msg *m, const uint8_t *d, size_t n)
{
	switch (m->type) {
	case RFB_MSG_SET_ENCODINGS:
		CHECK(m->encodings.count <= RFB_SET_ENCODINGS_MAX);
		CHECK(n == 4 + 4u * m->encodings.count);
		if (m->encodings.count)
			CHECK(inside(m->encodings.list,
				     4u * m->encodings.count, d, n));
		break;
	case RFB_MSG_CLIENT_CUT_TEXT:
		CHECK(n == 8 + (size_t)m->cut_text.data_len);
		CHECK(inside(m->cut_text.data, m->cut_text.data_len, d, n));
		break;
	case RFB_MSG_CLIENT_FENCE:
		CHECK(m->fence.len <= RFB_FENCE_PAYLOAD_MAX);
		CHECK(n == 9 + (size_t)m->fence.len);
		CHECK(inside(m->fence.payload, m->fence.len, d, n));
		break;
	case RFB_MSG_SET_DESKTOP_SIZE:
		CHECK(n == 8 + 16 * (size_t)m->desktop_size.nscreens);
		break;
	case RFB_MSG_POINTER_EVENT:
		CHECK(n == 6 || n == 7);
		CHECK(m->pointer.buttons < (1u << 9));
		break;
	case RFB_MSG_QEMU:
		CHECK(n == RFB_QEMU_KEY_EVENT_LEN);
		CHECK(m->qemu_key.subtype == 0);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rfb_parse_opts o;
	size_t off = 0;

	if (size < 1)
		return 0;
	o.ext_mouse_buttons = data[0] & 1;
	o.ext_clipboard = (data[0] & 2) != 0;
	o.cut_text_max = data[0] & 4 ? 100 : RFB_CUT_TEXT_MAX;
	data++;
	size--;

	if (size >= RFB_VERSION_LEN) {
		int v = rfb_parse_version(data);

		CHECK(v == 3 || v == 7 || v == 8 || v < 0);
	}

	while (off < size) {
		const uint8_t *d = data + off;
		size_t len = size - off;
		struct rfb_msg m, m2;
		const char *why = NULL;
		uint8_t *copy = malloc(len);
		ssize_t n;

		/* Parsed from an exact-size copy that stays alive while the
		 * message's pointers are checked. */
		CHECK(copy);
		memcpy(copy, d, len);
		n = rfb_parse_client_msg(copy, len, &o, &m, &why);
		if (n > 0)
			check_msg(&m, copy, (size_t)n);
		free(copy);

		if (n < 0) {
			CHECK(why && *why);
			/* The same without a reason pointer. */
			CHECK(parse_copy(d, len, &o, &m2, NULL) == n);
			break;
		}
		if (n == 0)
			break;
		CHECK((size_t)n <= len);
		CHECK(m.type == d[0]);
		/* The exact bytes parse the same. */
		CHECK(parse_copy(d, (size_t)n, &o, &m2, &why) == n);
		CHECK(m2.type == m.type);
		/* Every prefix asks for more (all of them for short
		 * messages, a sample for long ones). */
		for (size_t k = 0; k < (size_t)n; k++) {
			if (n > 64 && k > 8 && k + 8 < (size_t)n && k % 97)
				continue;
			CHECK(parse_copy(d, k, &o, &m2, &why) == 0);
		}
		off += (size_t)n;
	}
	return 0;
}
