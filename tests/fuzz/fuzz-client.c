/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for one connection's state machine: the handshake and the
 * normal phase, fed as bytes through a real socketpair into a real server
 * (client_new() on one end), with the server's own events (pixels, moves,
 * resizes, bell, clipboard, cursor, LEDs, name, screens) interleaved.
 * Nothing may crash, leak or spin; whatever the bytes, the loop settles.
 *
 * Input: byte 0 configures the server (bit 0: VNC auth with password
 * "pw"; bit 1: view-only; bit 2: exclusive-only sharing; bit 3: server
 * events between chunks; bit 4: move detection off; bits 5-6: security
 * types, see security_lists[]: VeNCrypt with Plain (user "u", password
 * "pw"), None and VncAuth inside, or with TLS subtypes, whose handshake
 * then meets the fuzzer's bytes), byte 1 is the chunk
 * size the rest is written in (0: all at once). With bit 3 the first byte
 * of each chunk also selects a server event.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define FUZZ_NAME "fuzz-client"
#include "fuzz-server.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT 16384
/* ---- the embedder's side ------------------------------------------------------ */

static void cb_key(void *arg, struct xrfb_client *c, bool down, uint32_t sym)
{
}

static void cb_pointer(void *arg, struct xrfb_client *c, uint16_t x,
		       uint16_t y, uint32_t buttons)
{
	struct harness *h = arg;

	if (x >= xrfb_server_width(h->s) || y >= xrfb_server_height(h->s))
		die("pointer outside the framebuffer");
}

/* Strict UTF-8: no overlongs, surrogates or code points past U+10FFFF.
 * Written apart from src/core/utf8.c on purpose: an oracle that shared the
 * server's check would share its mistakes. */
static bool is_utf8(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int n;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 1, cp = p[i] & 0x1f;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 2, cp = p[i] & 0x0f;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 3, cp = p[i] & 0x07;
		else
			return false;
		if (i + (size_t)n >= len)
			return false;
		for (int k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += (size_t)n + 1;
	}
	return true;
}

/* xrfb.h: "text as UTF-8". */
static void cb_cut(void *arg, struct xrfb_client *c, const char *text,
		   size_t len)
{
	if (!is_utf8((const uint8_t *)text, len))
		die("cut text is not UTF-8");
}

static void cb_key_code(void *arg, struct xrfb_client *c, bool down,
			uint32_t keysym, uint32_t code)
{
}

static enum xrfb_resize_status cb_resize(void *arg, struct xrfb_client *c,
					 uint16_t w, uint16_t h,
					 const struct xrfb_screen *sc,
					 unsigned n)
{
	struct harness *hs = arg;

	if (w > 96 || h > 96)
		return XRFB_RESIZE_NO_RESOURCES;
	if (xrfb_server_resize(hs->s, w, h) < 0)
		return XRFB_RESIZE_INVALID;
	if (xrfb_server_set_screens(hs->s, sc, n) < 0)
		return XRFB_RESIZE_INVALID;
	return XRFB_RESIZE_OK;
}

static bool cb_plain(void *arg, const char *user, const char *password,
		     bool *view_only)
{
	*view_only = user[0] == 'v';
	return (!strcmp(user, "u") || !strcmp(user, "v")) &&
	       !strcmp(password, "pw");
}

/* By bits 5-6 of the configuration byte (0: the default list). */
static const uint32_t security_lists[4][4] = {
	{ 0 },
	{ XRFB_SEC_PLAIN, XRFB_SEC_NONE, XRFB_SEC_VNC_AUTH },
	{ XRFB_SEC_TLS_NONE, XRFB_SEC_TLS_VNC, XRFB_SEC_TLS_PLAIN },
	{ XRFB_SEC_TLS_PLAIN, XRFB_SEC_PLAIN, XRFB_SEC_VNC_AUTH },
};

static void set_security(struct harness *h, unsigned which)
{
	const uint32_t *list = security_lists[which];
	unsigned n = 0;
	int r;

	while (n < 4 && list[n])
		n++;
	if (!n)
		return;
	xrfb_server_set_password(h->s, "pw");
	xrfb_server_set_plain_check(h->s, cb_plain, h);
	r = xrfb_server_set_security(h->s, list, n);
	if (r < 0 && r != -ENOTSUP)	/* -ENOTSUP: built without TLS */
		die("xrfb_server_set_security");
}

static void server_event(struct harness *h, const uint8_t *d, size_t len)
{
	uint8_t b[8] = { 0 };
	int w = xrfb_server_width(h->s), ht = xrfb_server_height(h->s);

	memcpy(b, d, len < sizeof(b) ? len : sizeof(b));
	switch (b[0] % 10) {
	case 0: {
		int x = b[1] % w, y = b[2] % ht;
		int rw = 1 + b[3] % w, rh = 1 + b[4] % ht;
		uint32_t *px = malloc((size_t)rw * rh * 4);

		if (!px)
			die("malloc");
		for (int i = 0; i < rw * rh; i++)
			px[i] = (uint32_t)(i * (b[5] + 1)) * 0x010307u;
		/* Partly outside on purpose now and then. */
		xrfb_server_update(h->s, px, (size_t)rw * 4, x - (b[6] & 3),
				   y, rw, rh);
		free(px);
		break;
	}
	case 1:
		xrfb_server_copy_rect(h->s, b[1] % w, b[2] % ht, b[3] % w,
				      b[4] % ht, 1 + b[5] % w, 1 + b[6] % ht);
		break;
	case 2: {
		static const uint16_t sizes[][2] = { { 48, 32 }, { 40, 40 },
						     { 17, 9 } };
		const uint16_t *sz = sizes[b[1] % 3];

		xrfb_server_resize(h->s, sz[0], sz[1]);
		break;
	}
	case 3:
		xrfb_server_bell(h->s);
		break;
	case 4:
		xrfb_server_send_cut_text(h->s, (const char *)d,
					  len < 24 ? len : 24);
		break;
	case 5: {
		uint32_t argb[9];

		for (int i = 0; i < 9; i++)
			argb[i] = (i & 1) ? 0xff000000u | b[2] : 0;
		xrfb_server_set_cursor(h->s, b[1] & 1 ? argb : NULL,
				       b[1] & 1 ? 3 : 0, b[1] & 1 ? 3 : 0,
				       b[3] % 3, b[4] % 3);
		break;
	}
	case 6:
		xrfb_server_set_pointer_pos(h->s, b[1], b[2]);
		break;
	case 7:
		xrfb_server_set_led_state(h->s, b[1] & 7);
		break;
	case 8:
		xrfb_server_set_desktop_name(h->s, b[1] & 1 ? "desk" : "");
		break;
	default: {
		struct xrfb_screen sc[2] = {
			{ 1, 0, 0, (uint16_t)(w / 2 ? w / 2 : 1), (uint16_t)ht,
			  0 },
			{ 7, (uint16_t)(w / 2), 0, (uint16_t)(w - w / 2),
			  (uint16_t)ht, 0 },
		};

		xrfb_server_set_screens(h->s, sc, w > 1 ? 2 : 1);
		break;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct harness h = { 0 };
	uint8_t cfg;
	size_t chunk;
	int sv[2];

	if (size < 2 || size > FUZZ_MAX_INPUT)
		return 0;
	cfg = data[0];
	chunk = data[1] ? data[1] : size;
	data += 2;
	size -= 2;

	h.loop = xrfb_loop_new();
	if (!h.loop)
		die("xrfb_loop_new");
	if (!getenv("FUZZ_LOG"))
		xrfb_loop_set_log(h.loop, XRFB_LOG_ERROR, NULL, NULL);
	h.s = xrfb_server_new(h.loop, 48, 32);
	if (!h.s)
		die("xrfb_server_new");
	xrfb_server_on_key(h.s, cb_key, &h);
	xrfb_server_on_pointer(h.s, cb_pointer, &h);
	xrfb_server_on_cut_text(h.s, cb_cut, &h);
	xrfb_server_on_key_code(h.s, cb_key_code, &h);
	xrfb_server_on_resize_request(h.s, cb_resize, &h);
	if (cfg & 1)
		xrfb_server_set_password(h.s, "pw");
	xrfb_server_set_view_only(h.s, cfg & 2);
	if (cfg & 4)
		xrfb_server_set_shared_policy(h.s, XRFB_SHARED_NEVER);
	if (cfg & 16)
		xrfb_server_set_move_detection(h.s, false);
	set_security(&h, (cfg >> 5) & 3);
	xrfb_server_set_clipboard_max(h.s, 4096);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		die("socketpair");
	if (!client_new(h.s, sv[0], "fuzz"))
		die("client_new");
	h.fd = sv[1];
	h.w = xrfb_loop_watch_fd(h.loop, h.fd, XRFB_EV_IN, on_viewer, &h);
	xrfb_loop_add_prepare(h.loop, on_prepare, &h);
	run(&h);

	for (size_t off = 0; off < size; off += chunk) {
		size_t n = size - off < chunk ? size - off : chunk;

		if (cfg & 8)
			server_event(&h, data + off, n);
		feed(&h, data + off, n);
		run(&h);
	}
	/* The viewer hangs up: the server must let go of everything. */
	shutdown(h.fd, SHUT_WR);
	h.final = true;
	run(&h);

	xrfb_server_free(h.s);
	xrfb_loop_remove_prepare(h.loop, on_prepare, &h);
	xrfb_watch_free(h.w);
	xrfb_loop_free(h.loop);
	close(h.fd);
	return 0;
}
