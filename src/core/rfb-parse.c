/* SPDX-License-Identifier: MIT */
/*
 * Client message parser. Every message type has a fixed length or a
 * length field checked against a maximum before anything waits for the
 * body, so a peer cannot make us buffer without bound. Unknown types are
 * errors: RFB has no framing to skip them (doc/protocol.md, "Conventions").
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "buf.h"
#include "rfb-parse.h"
#include "rfb-proto.h"

int rfb_parse_version(const uint8_t d[12])
{
	int major = 0, minor = 0;

	if (memcmp(d, "RFB ", 4) != 0 || d[7] != '.' || d[11] != '\n')
		return -EPROTO;
	for (int i = 4; i < 7; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -EPROTO;
		major = major * 10 + (d[i] - '0');
	}
	for (int i = 8; i < 11; i++) {
		if (d[i] < '0' || d[i] > '9')
			return -EPROTO;
		minor = minor * 10 + (d[i] - '0');
	}
	/* RealVNC 4.x/5.x and Intel AMT answer 4.x/5.0: treat as 3.8. */
	if (major >= 4)
		return 8;
	if (major != 3)
		return -EPROTO;
	/* Unofficial minors: < 7 is 3.3 (3.4/3.5/3.6 from UltraVNC and
	 * buggy clients), 7 is 3.7, anything above is 3.8 (3.14, 3.16,
	 * Apple's 3.889), as TigerVNC does (doc/protocol.md, "Protocol
	 * version"). */
	if (minor < 7)
		return 3;
	return minor == 7 ? 7 : 8;
}

static ssize_t need(size_t len, size_t want)
{
	return len >= want ? (ssize_t)want : 0;
}

ssize_t rfb_parse_client_msg(const uint8_t *d, size_t len,
			     const struct rfb_parse_opts *opts,
			     struct rfb_msg *m, const char **why)
{
	const char *dummy;
	size_t total;
	ssize_t n;

	if (!why)
		why = &dummy;
	if (len < 1)
		return 0;
	memset(m, 0, sizeof(*m));
	m->type = d[0];
	switch (d[0]) {
	case RFB_MSG_SET_PIXEL_FORMAT:
		if ((n = need(len, RFB_SET_PIXEL_FORMAT_LEN)) <= 0)
			return n;
		pixfmt_read(&m->pixel_format, d + 4);
		return n;

	case RFB_MSG_SET_ENCODINGS:
		if (len < RFB_SET_ENCODINGS_HDR_LEN)
			return 0;
		m->encodings.count = get_u16(d + 2);
		if (m->encodings.count > RFB_SET_ENCODINGS_MAX) {
			*why = "SetEncodings lists too many encodings";
			return -EMSGSIZE;
		}
		total = RFB_SET_ENCODINGS_HDR_LEN + 4u * m->encodings.count;
		if (len < total)
			return 0;
		m->encodings.list = d + RFB_SET_ENCODINGS_HDR_LEN;
		return (ssize_t)total;

	case RFB_MSG_FB_UPDATE_REQUEST:
		if ((n = need(len, RFB_FB_UPDATE_REQUEST_LEN)) <= 0)
			return n;
		m->update_request.incremental = d[1] != 0;
		m->update_request.x = get_u16(d + 2);
		m->update_request.y = get_u16(d + 4);
		m->update_request.w = get_u16(d + 6);
		m->update_request.h = get_u16(d + 8);
		return n;

	case RFB_MSG_KEY_EVENT:
		if ((n = need(len, RFB_KEY_EVENT_LEN)) <= 0)
			return n;
		m->key.down = d[1] != 0;
		m->key.keysym = get_u32(d + 4);
		return n;

	case RFB_MSG_POINTER_EVENT:
		/* With ExtendedMouseButtons confirmed, bit 7 marks a 7th
		 * byte holding buttons 8 and 9 (doc/protocol.md, "Client
		 * messages"). */
		total = RFB_POINTER_EVENT_LEN;
		if (opts->ext_mouse_buttons && len >= 2 && (d[1] & 0x80))
			total++;
		if ((n = need(len, total)) <= 0)
			return n;
		m->pointer.buttons = d[1];
		if (total > RFB_POINTER_EVENT_LEN)
			m->pointer.buttons =
				(d[1] & 0x7fu) | (uint32_t)(d[6] & 3) << 7;
		m->pointer.x = get_u16(d + 2);
		m->pointer.y = get_u16(d + 4);
		return n;

	case RFB_MSG_CLIENT_CUT_TEXT: {
		uint32_t raw, body;

		if (len < RFB_CUT_TEXT_HDR_LEN)
			return 0;
		raw = get_u32(d + 4);
		m->cut_text.length = (int32_t)raw;
		if (opts->ext_clipboard && m->cut_text.length < 0) {
			if (raw == 0x80000000u) {
				*why = "extended clipboard length out of range";
				return -EPROTO;
			}
			body = (uint32_t)-m->cut_text.length;
			if (body < 4) {
				*why = "extended clipboard message without flags";
				return -EPROTO;
			}
		} else {
			body = raw;
		}
		if (body > opts->cut_text_max) {
			*why = "cut text longer than the clipboard limit";
			return -EMSGSIZE;
		}
		total = RFB_CUT_TEXT_HDR_LEN + (size_t)body;
		if (len < total)
			return 0;
		m->cut_text.data = d + RFB_CUT_TEXT_HDR_LEN;
		m->cut_text.data_len = body;
		return (ssize_t)total;
	}

	case RFB_MSG_ENABLE_CONTINUOUS_UPDATES:
		if ((n = need(len, RFB_ENABLE_CU_LEN)) <= 0)
			return n;
		m->continuous.enable = d[1] != 0;
		m->continuous.x = get_u16(d + 2);
		m->continuous.y = get_u16(d + 4);
		m->continuous.w = get_u16(d + 6);
		m->continuous.h = get_u16(d + 8);
		return n;

	case RFB_MSG_CLIENT_FENCE:
		if (len < RFB_FENCE_HDR_LEN)
			return 0;
		m->fence.flags = get_u32(d + 4);
		m->fence.len = d[8];
		if (m->fence.len > RFB_FENCE_PAYLOAD_MAX) {
			*why = "fence payload longer than 64 bytes";
			return -EMSGSIZE;
		}
		total = RFB_FENCE_HDR_LEN + m->fence.len;
		if (len < total)
			return 0;
		m->fence.payload = d + RFB_FENCE_HDR_LEN;
		return (ssize_t)total;

	case RFB_MSG_SET_DESKTOP_SIZE:
		if (len < RFB_SET_DESKTOP_SIZE_HDR_LEN)
			return 0;
		m->desktop_size.w = get_u16(d + 2);
		m->desktop_size.h = get_u16(d + 4);
		m->desktop_size.nscreens = d[6];
		total = RFB_SET_DESKTOP_SIZE_HDR_LEN +
			(size_t)RFB_SCREEN_LEN * d[6];
		if (len < total)
			return 0;
		m->desktop_size.screens = d + RFB_SET_DESKTOP_SIZE_HDR_LEN;
		return (ssize_t)total;

	case RFB_MSG_QEMU:
		if (len < 2)
			return 0;
		if (d[1] != 0) {
			*why = "unsupported QEMU client message";
			return -EPROTO;
		}
		if ((n = need(len, RFB_QEMU_KEY_EVENT_LEN)) <= 0)
			return n;
		m->qemu_key.subtype = 0;
		m->qemu_key.down = get_u16(d + 2) != 0;
		m->qemu_key.keysym = get_u32(d + 4);
		m->qemu_key.keycode = get_u32(d + 8);
		return n;

	default:
		*why = "unknown message type";
		return -EPROTO;
	}
}
