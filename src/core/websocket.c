/* SPDX-License-Identifier: MIT */
/*
 * WebSocket framing (RFC 6455 §5) for the server side of a connection,
 * and the arithmetic of its opening handshake (§4.2.2). Pure functions
 * and one parser state per connection: no I/O, no allocation beyond the
 * output buffer, so a test or a fuzzer can feed it bytes in any pieces.
 * What a client may send, and what we answer, is in doc/protocol.md,
 * "WebSocket".
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <nettle/base64.h>
#include <nettle/sha1.h>

#include "utf8.h"
#include "websocket.h"

/* RFC 6455 §1.3: appended to the client's key before hashing. */
static const char ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

void ws_parser_init(struct ws_parser *p, bool base64)
{
	memset(p, 0, sizeof(*p));
	p->base64 = base64;
	base64_decode_init(&p->b64);
}

static ssize_t fail(struct ws_parser *p, uint16_t code, const char *why)
{
	p->failed = true;
	p->close_code = code;
	p->error = why;
	return code == WS_CLOSE_INTERNAL ? -ENOMEM : -EPROTO;
}

/* Bytes the header in p->hdr will have, once its first two are in. */
static unsigned header_size(const struct ws_parser *p)
{
	unsigned n = 2, len7 = p->hdr[1] & 0x7f;

	if (len7 == 126)
		n += 2;
	else if (len7 == 127)
		n += 8;
	return n + ((p->hdr[1] & 0x80) ? 4 : 0);
}

/* The header is complete: check it against what a client may send. */
static ssize_t start_frame(struct ws_parser *p)
{
	uint8_t b0 = p->hdr[0], len7 = p->hdr[1] & 0x7f;
	const uint8_t *ext = p->hdr + 2;
	bool control;

	p->fin = b0 & 0x80;
	p->opcode = b0 & 0x0f;
	control = p->opcode & 0x8;
	/* No extension was negotiated, so no reserved bit may be set. */
	if (b0 & 0x70)
		return fail(p, WS_CLOSE_PROTOCOL, "reserved bits set");
	if (p->opcode > WS_OP_BINARY && !control)
		return fail(p, WS_CLOSE_PROTOCOL, "unknown data opcode");
	if (p->opcode > WS_OP_PONG)
		return fail(p, WS_CLOSE_PROTOCOL, "unknown control opcode");
	if (len7 == 126) {
		p->left = (uint64_t)ext[0] << 8 | ext[1];
		if (p->left < 126)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "length not in its shortest form");
		ext += 2;
	} else if (len7 == 127) {
		p->left = 0;
		for (int i = 0; i < 8; i++)
			p->left = p->left << 8 | ext[i];
		if (p->left >> 63)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "length has its top bit set");
		if (p->left <= 0xffff)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "length not in its shortest form");
		ext += 8;
	} else {
		p->left = len7;
	}
	memcpy(p->mask, ext, 4);
	p->mpos = 0;
	if (control) {
		if (!p->fin)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "fragmented control frame");
		if (p->left > WS_CONTROL_MAX)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "control frame longer than 125 bytes");
		p->ctrl_len = 0;
	} else if (p->opcode == WS_OP_CONT) {
		if (!p->in_message)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "continuation outside a message");
	} else {
		if (p->in_message)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "new message inside a fragmented one");
		if (p->opcode == WS_OP_TEXT && !p->base64)
			return fail(p, WS_CLOSE_UNSUPPORTED,
				    "text frame on a binary connection");
		if (p->opcode == WS_OP_BINARY && p->base64)
			return fail(p, WS_CLOSE_UNSUPPORTED,
				    "binary frame on a base64 connection");
		p->in_message = true;
	}
	p->in_payload = true;
	return 0;
}

static bool close_code_valid(uint16_t code)
{
	/* §7.4.1-2: 1004-1006 and 1015 are never sent; 1012-1014 are
	 * registered since; 3000-4999 belong to applications. */
	if (code >= 1000 && code <= 1014)
		return code != 1004 && code != 1005 && code != 1006;
	return code >= 3000 && code <= 4999;
}

/* The payload of a frame has been read. */
static ssize_t end_frame(struct ws_parser *p, enum ws_event *ev)
{
	p->in_payload = false;
	p->hlen = 0;
	switch (p->opcode) {
	case WS_OP_PING:
		*ev = WS_EV_PING;
		return 0;
	case WS_OP_PONG:
		*ev = WS_EV_PONG;
		return 0;
	case WS_OP_CLOSE:
		p->closed = true;
		p->error = NULL;
		if (p->ctrl_len == 0) {
			p->close_code = WS_CLOSE_NO_STATUS;
		} else if (p->ctrl_len == 1) {
			return fail(p, WS_CLOSE_PROTOCOL,
				    "Close with a one-byte payload");
		} else {
			p->close_code = (uint16_t)(p->ctrl[0] << 8 | p->ctrl[1]);
			if (!close_code_valid(p->close_code))
				return fail(p, WS_CLOSE_PROTOCOL,
					    "Close with an invalid code");
			if (!utf8_valid(p->ctrl + 2, p->ctrl_len - 2))
				return fail(p, WS_CLOSE_BAD_DATA,
					    "Close reason is not UTF-8");
		}
		*ev = WS_EV_CLOSE;
		return 0;
	default:
		break;
	}
	if (!p->fin)
		return 0;
	p->in_message = false;
	if (p->base64) {
		if (!base64_decode_final(&p->b64))
			return fail(p, WS_CLOSE_BAD_DATA,
				    "base64 message ends mid-group");
		base64_decode_init(&p->b64);
	}
	return 0;
}

/* Unmask @n payload bytes of the current frame from @in. */
static ssize_t take_payload(struct ws_parser *p, const uint8_t *in, size_t n,
			    struct buf *out)
{
	uint8_t *dst;
	size_t dn;

	if (p->opcode & 0x8) {
		dst = p->ctrl + p->ctrl_len;
		p->ctrl_len += (unsigned)n;
	} else {
		if (buf_reserve(out, n) < 0)
			return fail(p, WS_CLOSE_INTERNAL, "out of memory");
		dst = out->data + out->len;
	}
	for (size_t i = 0; i < n; i++) {
		dst[i] = in[i] ^ p->mask[p->mpos];
		p->mpos = (p->mpos + 1) & 3;
	}
	if (p->opcode & 0x8)
		return 0;
	if (!p->base64) {
		out->len += n;
		return 0;
	}
	/* Decoded in place: base64 never grows when decoded. */
	dn = n;
	if (!base64_decode_update(&p->b64, &dn, dst, n, (const char *)dst))
		return fail(p, WS_CLOSE_BAD_DATA, "bad base64 data");
	out->len += dn;
	return 0;
}

ssize_t ws_parse(struct ws_parser *p, const uint8_t *in, size_t len,
		 struct buf *out, enum ws_event *ev)
{
	size_t off = 0;
	ssize_t err;

	*ev = WS_EV_NONE;
	if (p->failed)
		return -EPROTO;
	while (off < len) {
		if (p->closed)
			return fail(p, WS_CLOSE_PROTOCOL,
				    "data after the Close frame");
		if (!p->in_payload) {
			p->hdr[p->hlen++] = in[off++];
			if (p->hlen == 2 && !(p->hdr[1] & 0x80))
				return fail(p, WS_CLOSE_PROTOCOL,
					    "unmasked client frame");
			if (p->hlen < 2 || p->hlen < header_size(p))
				continue;
			err = start_frame(p);
			if (err < 0)
				return err;
		} else {
			size_t n = len - off;

			if (n > p->left)
				n = (size_t)p->left;
			err = take_payload(p, in + off, n, out);
			if (err < 0)
				return err;
			off += n;
			p->left -= n;
		}
		if (p->in_payload && p->left == 0) {
			err = end_frame(p, ev);
			if (err < 0)
				return err;
			if (*ev != WS_EV_NONE)
				break;
		}
	}
	return (ssize_t)off;
}

size_t ws_frame_header(uint8_t *hdr, uint8_t opcode, uint64_t len,
		       const uint8_t *mask)
{
	size_t n = 2;

	hdr[0] = 0x80 | (opcode & 0x0f);
	if (len < 126) {
		hdr[1] = (uint8_t)len;
	} else if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (uint8_t)(len >> 8);
		hdr[3] = (uint8_t)len;
		n = 4;
	} else {
		hdr[1] = 127;
		for (int i = 0; i < 8; i++)
			hdr[2 + i] = (uint8_t)(len >> (56 - 8 * i));
		n = 10;
	}
	if (mask) {
		hdr[1] |= 0x80;
		memcpy(hdr + n, mask, 4);
		n += 4;
	}
	return n;
}

size_t ws_close_payload(uint8_t *out, uint16_t code, const char *reason)
{
	size_t n = reason ? strlen(reason) : 0;

	if (n > WS_CONTROL_MAX - 2)
		n = WS_CONTROL_MAX - 2;
	out[0] = (uint8_t)(code >> 8);
	out[1] = (uint8_t)code;
	if (n)
		memcpy(out + 2, reason, n);
	return 2 + n;
}

int ws_accept_key(const char *key, char *out)
{
	struct base64_decode_ctx b64;
	struct sha1_ctx sha;
	uint8_t raw[24], digest[SHA1_DIGEST_SIZE];
	size_t n = sizeof(raw);

	/* §4.2.1: the key is 16 random bytes in base64, 24 characters. */
	if (strlen(key) != 24)
		return -EINVAL;
	base64_decode_init(&b64);
	if (!base64_decode_update(&b64, &n, raw, 24, key) ||
	    !base64_decode_final(&b64) || n != 16)
		return -EINVAL;
	sha1_init(&sha);
	sha1_update(&sha, 24, (const uint8_t *)key);
	sha1_update(&sha, sizeof(ws_guid) - 1, (const uint8_t *)ws_guid);
	sha1_digest(&sha, sizeof(digest), digest);
	base64_encode_raw((char *)out, sizeof(digest), digest);
	out[WS_ACCEPT_LEN] = '\0';
	return 0;
}

int ws_choose_subproto(bool offered_any, bool binary, bool base64,
		       enum ws_subproto *out)
{
	/* noVNC offers nothing and gets binary frames and no header;
	 * "binary" is echoed when offered; base64 is for the old clients
	 * that can only ask for it. */
	if (!offered_any)
		*out = WS_PROTO_NONE;
	else if (binary)
		*out = WS_PROTO_BINARY;
	else if (base64)
		*out = WS_PROTO_BASE64;
	else
		return -EPROTONOSUPPORT;
	return 0;
}

const char *ws_subproto_name(enum ws_subproto p)
{
	switch (p) {
	case WS_PROTO_BINARY:
		return "binary";
	case WS_PROTO_BASE64:
		return "base64";
	default:
		return NULL;
	}
}
