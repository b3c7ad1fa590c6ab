/* SPDX-License-Identifier: MIT */
/*
 * RFC 6455 on the server side, without I/O: a parser of the frames a
 * client sends (bytes in, payload bytes and control events out), the
 * header of the frames the server sends, and the handshake's key
 * arithmetic. See doc/protocol.md, "WebSocket".
 */
#ifndef XRFB_WEBSOCKET_H
#define XRFB_WEBSOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nettle/base64.h>

#include "buf.h"

/* A frame header is 2 bytes, plus 2 or 8 of length, plus 4 of mask. */
#define WS_HEADER_MAX 14
/* Control frames carry at most this much (RFC 6455 §5.5). */
#define WS_CONTROL_MAX 125
/* Sec-WebSocket-Accept: base64 of a SHA-1 digest, 28 characters. */
#define WS_ACCEPT_LEN 28

enum ws_opcode {
	WS_OP_CONT = 0x0,
	WS_OP_TEXT = 0x1,
	WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8,
	WS_OP_PING = 0x9,
	WS_OP_PONG = 0xa,
};

/* Close status codes (RFC 6455 §7.4.1). */
enum ws_close_code {
	WS_CLOSE_NORMAL = 1000,
	WS_CLOSE_GOING_AWAY = 1001,
	WS_CLOSE_PROTOCOL = 1002,
	WS_CLOSE_UNSUPPORTED = 1003,
	WS_CLOSE_NO_STATUS = 1005,	/* never sent: "no code in the Close" */
	WS_CLOSE_BAD_DATA = 1007,
	WS_CLOSE_POLICY = 1008,
	WS_CLOSE_TOO_BIG = 1009,
	WS_CLOSE_INTERNAL = 1011,
};

/* What the data of a connection is carried in: binary frames (with the
 * "binary" subprotocol or none), or base64 text (the "base64" one). */
enum ws_subproto {
	WS_PROTO_NONE,		/* binary frames, no subprotocol named */
	WS_PROTO_BINARY,	/* binary frames, "binary" echoed */
	WS_PROTO_BASE64,	/* base64 in text frames, "base64" echoed */
};

enum ws_event {
	WS_EV_NONE,
	WS_EV_PING,		/* answer with a Pong of ctrl[0..ctrl_len) */
	WS_EV_PONG,		/* nothing to do */
	WS_EV_CLOSE,		/* close_code (1005: none) and reason */
};

struct ws_parser {
	bool base64;			/* data is base64 in text frames */
	bool failed;
	bool closed;			/* a Close frame was received */

	/* The header being read. */
	uint8_t hdr[WS_HEADER_MAX];
	unsigned hlen;

	/* The frame whose payload is being read. */
	bool in_payload;
	uint8_t opcode;
	bool fin;
	uint64_t left;
	uint8_t mask[4];
	unsigned mpos;

	/* A data message whose continuation frames are due. */
	bool in_message;
	struct base64_decode_ctx b64;

	/* The payload of the last control frame. */
	uint8_t ctrl[WS_CONTROL_MAX];
	unsigned ctrl_len;

	/* After WS_EV_CLOSE: what the peer said. After an error: the code
	 * to close with and why (for the log). */
	uint16_t close_code;
	const char *error;
};

void ws_parser_init(struct ws_parser *p, bool base64);
/* Parse client frames in @in: data payload (unmasked, base64 decoded)
 * is appended to @out. Stops after a control frame and reports it in
 * *ev. Returns the bytes consumed (all of @in unless an event stopped
 * it), or -EPROTO / -ENOMEM with p->close_code and p->error set. */
ssize_t ws_parse(struct ws_parser *p, const uint8_t *in, size_t len,
		 struct buf *out, enum ws_event *ev);

/* Write the header of a final frame of @len payload bytes into @hdr:
 * @mask NULL for the server's frames, 4 bytes for a client's. Returns
 * its length, 2 to 14. */
size_t ws_frame_header(uint8_t *hdr, uint8_t opcode, uint64_t len,
		       const uint8_t *mask);
/* The payload of a Close frame: the code, then the reason (cut to fit
 * a control frame). Returns its length. */
size_t ws_close_payload(uint8_t *out, uint16_t code, const char *reason);

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: -EINVAL unless @key
 * is base64 of 16 bytes (24 characters). @out gets 28 characters and
 * a NUL. */
int ws_accept_key(const char *key, char *out);
/* The subprotocol to use for what a client offered (each flag: it was
 * in Sec-WebSocket-Protocol; @offered_any: the header was there with
 * any token). -EPROTONOSUPPORT if nothing offered is spoken. */
int ws_choose_subproto(bool offered_any, bool binary, bool base64,
		       enum ws_subproto *out);
/* Its name for Sec-WebSocket-Protocol, NULL for WS_PROTO_NONE. */
const char *ws_subproto_name(enum ws_subproto p);

#endif
