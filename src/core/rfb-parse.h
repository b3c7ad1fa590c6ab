/* SPDX-License-Identifier: MIT */
/*
 * Incremental parsing of client-to-server messages (RFC 6143 §7.5 and the
 * community extensions). Pure functions over bytes: no allocation, no I/O.
 */
#ifndef XRFB_RFB_PARSE_H
#define XRFB_RFB_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pixfmt.h"

/* What the connection has enabled; it changes how some messages parse. */
struct rfb_parse_opts {
	bool ext_mouse_buttons;	/* -316 confirmed: pointer bit 7 is a marker */
	bool ext_clipboard;	/* 0xC0A1E5CE listed: cut text length is S32 */
	uint32_t cut_text_max;	/* longest cut text accepted */
};

struct rfb_msg {
	uint8_t type;
	union {
		struct pixfmt pixel_format;
		struct {
			uint16_t count;
			const uint8_t *list;	/* count x S32, big-endian */
		} encodings;
		struct {
			bool incremental;
			uint16_t x, y, w, h;
		} update_request;
		struct {
			bool down;
			uint32_t keysym;
		} key;
		struct {
			uint32_t buttons;	/* bit n = button n+1 */
			uint16_t x, y;
		} pointer;
		struct {
			int32_t length;		/* as sent (S32 if extended) */
			const uint8_t *data;
			uint32_t data_len;
		} cut_text;
		struct {
			bool enable;
			uint16_t x, y, w, h;
		} continuous;
		struct {
			uint32_t flags;
			uint8_t len;
			const uint8_t *payload;
		} fence;
		struct {
			uint16_t w, h;
			uint8_t nscreens;
			const uint8_t *screens;	/* nscreens x 16 bytes */
		} desktop_size;
		struct {
			uint8_t subtype;
			bool down;
			uint32_t keysym, keycode;
		} qemu_key;
	};
};

/* Parse one message at @data. Returns the bytes it used (> 0), 0 if more
 * bytes are needed, or -EPROTO (malformed or unknown type) / -EMSGSIZE
 * (longer than allowed); *why is then a printable reason. Pointers in @msg
 * point into @data. */
ssize_t rfb_parse_client_msg(const uint8_t *data, size_t len,
			     const struct rfb_parse_opts *opts,
			     struct rfb_msg *msg, const char **why);

/* Parse the 12-byte ProtocolVersion: returns the minor version the
 * session uses (3, 7 or 8), or -EPROTO. */
int rfb_parse_version(const uint8_t data[12]);

#endif
