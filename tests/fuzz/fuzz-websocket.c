/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the WebSocket frame parser. The first input byte picks
 * base64 mode (bit 0) and a piece size (the other bits); the rest is what
 * a client sends. It is parsed whole and again in pieces of that size:
 * both must give the same payload bytes, the same control events and the
 * same verdict, consume no more than they were given, and an error must
 * carry a close code we may send and a reason.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz-check.h"
#include "websocket.h"

struct outcome {
	struct buf data;
	struct buf events;	/* type, length, payload of each event */
	ssize_t err;
	uint16_t code;
};

static void run(struct outcome *o, bool base64, const uint8_t *in,
		size_t len, size_t piece)
{
	struct ws_parser p;
	size_t off = 0;

	memset(o, 0, sizeof(*o));
	ws_parser_init(&p, base64);
	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;
		uint8_t *exact = malloc(n);
		enum ws_event ev;
		ssize_t k;

		CHECK(exact);
		memcpy(exact, in + off, n);
		k = ws_parse(&p, exact, n, &o->data, &ev);
		free(exact);
		if (k < 0) {
			o->err = k;
			o->code = p.close_code;
			CHECK(p.error && *p.error);
			CHECK(p.close_code >= 1000 && p.close_code <= 1011 &&
			      p.close_code != 1005);
			return;
		}
		CHECK((size_t)k <= n);
		CHECK(ev != WS_EV_NONE || (size_t)k == n);
		if (ev != WS_EV_NONE) {
			uint8_t e[2] = { (uint8_t)ev, (uint8_t)p.ctrl_len };

			CHECK(p.ctrl_len <= WS_CONTROL_MAX);
			CHECK(buf_append(&o->events, e, 2) == 0);
			CHECK(buf_append(&o->events, p.ctrl, p.ctrl_len) == 0);
			if (ev == WS_EV_CLOSE) {
				CHECK(buf_append(&o->events, &p.close_code,
						 2) == 0);
				CHECK(p.closed);
			}
		}
		off += (size_t)k;
	}
}

static void fini(struct outcome *o)
{
	buf_fini(&o->data);
	buf_fini(&o->events);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, pieces;
	bool base64;
	size_t piece;

	if (size < 1)
		return 0;
	base64 = data[0] & 1;
	piece = (data[0] >> 1) + 1;
	data++;
	size--;

	run(&whole, base64, data, size, size ? size : 1);
	run(&pieces, base64, data, size, piece);
	CHECK(whole.err == pieces.err);
	CHECK(whole.code == pieces.code);
	CHECK(whole.events.len == pieces.events.len);
	CHECK(!whole.events.len || memcmp(whole.events.data,
					  pieces.events.data,
					  whole.events.len) == 0);
	/* Payload never grows: unmasking keeps its size, base64 shrinks. */
	CHECK(whole.data.len <= size);
	if (!whole.err) {
		CHECK(whole.data.len == pieces.data.len);
		CHECK(!whole.data.len || memcmp(whole.data.data,
						pieces.data.data,
						whole.data.len) == 0);
	}
	fini(&whole);
	fini(&pieces);
	return 0;
}
