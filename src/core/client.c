/* SPDX-License-Identifier: MIT */
/*
 * A viewer connection: the RFB 3.3/3.7/3.8 handshake (RFC 6143 §7.1-7.3),
 * security None and VNC Authentication, and dispatch of client messages
 * (§7.5). Anything malformed closes this client with a logged reason and
 * touches nothing else. Update building lives in sched.c.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "log.h"
#include "rfb-proto.h"
#include "server.h"
#include "stream.h"

/* Delay before a failed authentication is answered, to slow guessing. */
#define CLIENT_AUTH_FAIL_DELAY_MS 100

static const char rfb_version_msg[] = "RFB 003.008\n";

bool client_is_normal(const struct xrfb_client *c)
{
	return c->state == CLIENT_STATE_NORMAL;
}

int client_send(struct xrfb_client *c, const void *data, size_t len)
{
	if (c->state == CLIENT_STATE_CLOSED)
		return -EPIPE;
	return stream_send_copy(c->stream, data, len);
}

static void client_flush(struct xrfb_client *c)
{
	if (c->state != CLIENT_STATE_CLOSED)
		stream_flush(c->stream);
}

void client_check_queue(struct xrfb_client *c)
{
	if (c->state != CLIENT_STATE_CLOSED &&
	    stream_queued(c->stream) > CLIENT_QUEUE_HARD_MAX)
		client_close_reason(c, "not reading: %zu bytes queued",
				    stream_queued(c->stream));
}

void client_close_reason(struct xrfb_client *c, const char *fmt, ...)
{
	struct xrfb_server *s = c->server;
	char msg[256];
	va_list ap;

	if (c->state == CLIENT_STATE_CLOSED)
		return;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
		log_info("client %u (%s): closing: %s", c->id, c->peer, msg);
	} else {
		log_info("client %u (%s): disconnected", c->id, c->peer);
	}
	if (c->ready_reported) {
		s->nclients_ready--;
		if (s->cb.client_gone)
			s->cb.client_gone(s->cb.client_gone_arg, c);
	}
	c->state = CLIENT_STATE_CLOSED;
	stream_pause_read(c->stream, true);
	xrfb_timer_cancel(c->pace_timer);
	c->pace_timer = NULL;
	xrfb_timer_cancel(c->more_timer);
	c->more_timer = NULL;
	s->have_dead = true;
	server_kick(s);
}

void xrfb_client_close(struct xrfb_client *c)
{
	client_close_reason(c, "closed by the server");
}

unsigned xrfb_client_id(const struct xrfb_client *c)
{
	return c->id;
}

const char *xrfb_client_peer(const struct xrfb_client *c)
{
	return c->peer;
}

/* ---- handshake ------------------------------------------------------------ */

static void send_u32(struct xrfb_client *c, uint32_t v)
{
	uint8_t b[4];

	put_u32(b, v);
	client_send(c, b, 4);
}

/* Refuse the connection in the form the version allows, then close. */
static void fail_handshake(struct xrfb_client *c, const char *reason)
{
	size_t n = strlen(reason);

	if (c->minor >= 7)
		client_send(c, "\0", 1);	/* zero security types */
	else
		send_u32(c, RFB_SEC_INVALID);
	send_u32(c, (uint32_t)n);
	client_send(c, reason, n);
	log_info("client %u (%s): refused: %s", c->id, c->peer, reason);
	/* Freed once the stream has flushed and reported its close. */
	c->state = CLIENT_STATE_CLOSED;
	c->linger = true;
	stream_close_after_flush(c->stream);
}

static uint8_t security_type(const struct xrfb_client *c)
{
	return c->server->password ? RFB_SEC_VNC_AUTH : RFB_SEC_NONE;
}

static void start_vncauth(struct xrfb_client *c)
{
	if (vncauth_challenge(c->challenge) < 0) {
		client_close_reason(c, "no random bytes for the challenge");
		return;
	}
	client_send(c, c->challenge, sizeof(c->challenge));
	c->state = CLIENT_STATE_VNCAUTH;
}

static ssize_t on_version(struct xrfb_client *c, const uint8_t *d, size_t len)
{
	uint8_t type = security_type(c);
	char esc[64];
	int minor;

	if (len < RFB_VERSION_LEN)
		return 0;
	minor = rfb_parse_version(d);
	if (minor < 0) {
		/* Answered in the 3.3 form, which every client reads. */
		log_info("client %u (%s): bad ProtocolVersion \"%s\"", c->id,
			 c->peer, log_escape(esc, sizeof(esc), (const char *)d,
					     RFB_VERSION_LEN));
		fail_handshake(c, "unsupported protocol version");
		return -EPROTO;
	}
	c->minor = minor;
	log_debug("client %u: RFB 3.%d", c->id, minor);
	if (minor == 3) {
		/* RFC 6143 §7.1.2: in 3.3 the server picks the type. */
		send_u32(c, type);
		if (type == RFB_SEC_NONE)
			c->state = CLIENT_STATE_CLIENT_INIT;
		else
			start_vncauth(c);
	} else {
		uint8_t msg[2] = { 1, type };
		client_send(c, msg, sizeof(msg));
		c->state = CLIENT_STATE_SECURITY_TYPE;
	}
	return RFB_VERSION_LEN;
}

/* A type that was not offered: SecurityResult "failed", with a reason
 * from 3.8 on (RFC 6143 §7.1.3), then close once it is sent. */
static void refuse_security_type(struct xrfb_client *c, uint8_t type)
{
	static const char reason[] = "Security type not offered";

	log_info("client %u (%s): chose security type %u, not offered",
		 c->id, c->peer, type);
	send_u32(c, RFB_SEC_RESULT_FAILED);
	if (c->minor >= 8) {
		send_u32(c, sizeof(reason) - 1);
		client_send(c, reason, sizeof(reason) - 1);
	}
	c->state = CLIENT_STATE_CLOSED;
	c->linger = true;
	stream_pause_read(c->stream, true);
	stream_close_after_flush(c->stream);
}

static ssize_t on_security_type(struct xrfb_client *c, const uint8_t *d,
				size_t len)
{
	if (len < 1)
		return 0;
	if (d[0] != security_type(c)) {
		refuse_security_type(c, d[0]);
		return -EPROTO;
	}
	if (d[0] == RFB_SEC_NONE) {
		/* 3.8 sends SecurityResult even after None (§7.1.3). */
		if (c->minor >= 8)
			send_u32(c, RFB_SEC_RESULT_OK);
		c->state = CLIENT_STATE_CLIENT_INIT;
	} else {
		start_vncauth(c);
	}
	return 1;
}

static void on_auth_fail_timer(void *arg)
{
	struct xrfb_client *c = arg;
	static const char reason[] = "Authentication failed";
	uint8_t msg[8 + sizeof(reason) - 1];
	size_t n = 4;

	c->pace_timer = NULL;
	/* The client is already marked closed, so client_send() would drop
	 * the answer: queue it on the stream itself. */
	put_u32(msg, RFB_SEC_RESULT_FAILED);
	if (c->minor >= 8) {
		put_u32(msg + 4, sizeof(reason) - 1);
		memcpy(msg + 8, reason, sizeof(reason) - 1);
		n = sizeof(msg);
	}
	stream_send_copy(c->stream, msg, n);
	stream_close_after_flush(c->stream);
}

static ssize_t on_vncauth(struct xrfb_client *c, const uint8_t *d, size_t len)
{
	if (len < VNCAUTH_CHALLENGE_LEN)
		return 0;
	if (!vncauth_check(c->server->password, c->challenge, d)) {
		log_warn("client %u (%s): authentication failed", c->id,
			 c->peer);
		/* Answer late; the stream's close then frees the client. */
		stream_pause_read(c->stream, true);
		c->state = CLIENT_STATE_CLOSED;
		c->linger = true;
		c->pace_timer = xrfb_loop_add_timer(c->server->loop,
						    CLIENT_AUTH_FAIL_DELAY_MS,
						    on_auth_fail_timer, c);
		return -EACCES;
	}
	send_u32(c, RFB_SEC_RESULT_OK);
	c->state = CLIENT_STATE_CLIENT_INIT;
	return VNCAUTH_CHALLENGE_LEN;
}

static void send_server_init(struct xrfb_client *c)
{
	struct xrfb_server *s = c->server;
	const char *name = s->desktop_name ? s->desktop_name : "xrfb";
	size_t n = strlen(name);
	uint8_t hdr[24];

	put_u16(hdr, (uint16_t)s->fb.width);
	put_u16(hdr + 2, (uint16_t)s->fb.height);
	pixfmt_write(&s->format, hdr + 4);
	put_u32(hdr + 20, (uint32_t)n);
	client_send(c, hdr, sizeof(hdr));
	client_send(c, name, n);
}

static ssize_t on_client_init(struct xrfb_client *c, const uint8_t *d,
			      size_t len)
{
	struct xrfb_server *s = c->server;
	bool shared;

	if (len < 1)
		return 0;
	switch (s->shared_policy) {
	case XRFB_SHARED_ALWAYS:
		shared = true;
		break;
	case XRFB_SHARED_NEVER:
		shared = false;
		break;
	default:
		shared = d[0] != 0;
		break;
	}
	if (!shared) {
		for (struct xrfb_client *o = s->clients; o; o = o->next)
			if (o != c && o->state != CLIENT_STATE_CLOSED)
				client_close_reason(o,
					"client %u asked for exclusive access",
					c->id);
	}
	send_server_init(c);
	c->state = CLIENT_STATE_NORMAL;
	c->ready_reported = true;
	s->nclients_ready++;
	log_info("client %u (%s): connected (RFB 3.%d, %s)", c->id, c->peer,
		 c->minor, shared ? "shared" : "exclusive");
	if (s->cb.client_ready)
		s->cb.client_ready(s->cb.client_ready_arg, c);
	return 1;
}

/* ---- normal messages --------------------------------------------------------- */

static void on_set_pixel_format(struct xrfb_client *c, const struct pixfmt *pf)
{
	const char *why;
	char desc[96];

	if (pixfmt_check(pf, &why) < 0) {
		client_close_reason(c, "SetPixelFormat: %s", why);
		return;
	}
	pixconv_init(&c->pc, pf);
	pixfmt_describe(pf, desc, sizeof(desc));
	log_debug("client %u: pixel format %s", c->id, desc);
	if (c->pc.colour_map) {
		/* Colour-map clients get BGR233 and its map, before any
		 * update in the new format (doc/protocol.md, "Colour-map
		 * clients"). */
		uint16_t map[256][3];
		uint8_t *msg = xmalloc(6 + 6 * 256);

		pixconv_colour_map(map);
		msg[0] = RFB_MSG_SET_COLOUR_MAP_ENTRIES;
		msg[1] = 0;
		put_u16(msg + 2, 0);
		put_u16(msg + 4, 256);
		for (int i = 0; i < 256; i++) {
			put_u16(msg + 6 + 6 * i, map[i][0]);
			put_u16(msg + 8 + 6 * i, map[i][1]);
			put_u16(msg + 10 + 6 * i, map[i][2]);
		}
		stream_send(c->stream, rcbuf_new(msg, 6 + 6 * 256));
	}
}

static int encoder_slot(int32_t type)
{
	for (int i = 0; encoder_list[i] && i < CLIENT_MAX_ENCODERS; i++)
		if (encoder_list[i]->type == type)
			return i;
	return -1;
}

static void on_set_encodings(struct xrfb_client *c, uint16_t count,
			     const uint8_t *list)
{
	bool have_preferred = false, drew_cursor = client_draws_cursor(c);
	bool fence = false, cu = false, ext_clip = false;
	struct rect box;

	/* Each SetEncodings replaces everything before it (§7.5.2). */
	c->preferred = RFB_ENC_RAW;
	c->use_copyrect = false;
	c->want_desktop_size = c->want_ext_desktop_size = false;
	c->want_last_rect = c->want_desktop_name = false;
	c->want_cursor = c->want_xcursor = c->want_pointer_pos = false;
	c->want_qemu_key = c->want_qemu_led = c->want_ext_mouse = false;
	c->quality = c->fine_quality = c->subsampling = c->compress = -1;
	c->enc_flags = 0;

	for (unsigned i = 0; i < count; i++) {
		int32_t e = (int32_t)get_u32(list + 4 * i);

		if (e == RFB_ENC_COPYRECT)
			c->use_copyrect = true;
		else if (e >= RFB_ENC_QUALITY_0 && e <= RFB_ENC_QUALITY_9)
			c->quality = e - RFB_ENC_QUALITY_0;
		else if (e >= RFB_ENC_COMPRESS_0 && e <= RFB_ENC_COMPRESS_9)
			c->compress = e - RFB_ENC_COMPRESS_0;
		else if (e >= RFB_ENC_FINE_QUALITY_0 &&
			 e <= RFB_ENC_FINE_QUALITY_100)
			c->fine_quality = e - RFB_ENC_FINE_QUALITY_0;
		else if (e >= RFB_ENC_SUBSAMP_1X && e <= RFB_ENC_SUBSAMP_16X)
			c->subsampling = e - RFB_ENC_SUBSAMP_1X;
		else if (e == RFB_ENC_DESKTOP_SIZE)
			c->want_desktop_size = true;
		else if (e == RFB_ENC_EXT_DESKTOP_SIZE)
			c->want_ext_desktop_size = true;
		else if (e == RFB_ENC_LAST_RECT)
			c->want_last_rect = true;
		else if (e == RFB_ENC_DESKTOP_NAME)
			c->want_desktop_name = true;
		else if (e == RFB_ENC_TIGHT_NOZLIB)
			c->enc_flags |= ENC_F_TIGHT_NOZLIB;
		else if (e == RFB_ENC_CURSOR)
			c->want_cursor = true;
		else if (e == RFB_ENC_XCURSOR)
			c->want_xcursor = true;
		else if (e == RFB_ENC_POINTER_POS)
			c->want_pointer_pos = true;
		else if (e == RFB_ENC_QEMU_EXT_KEY)
			c->want_qemu_key = true;
		else if (e == RFB_ENC_QEMU_LED)
			c->want_qemu_led = true;
		else if (e == RFB_ENC_EXT_MOUSE_BUTTONS)
			c->want_ext_mouse = true;
		else if (e == RFB_ENC_FENCE)
			fence = true;
		else if (e == RFB_ENC_CONTINUOUS_UPDATES)
			cu = true;
		else if (e == RFB_ENC_EXT_CLIPBOARD)
			ext_clip = true;
		else if (!have_preferred && encoder_find(e) &&
			 !(e == RFB_ENC_TIGHT_PNG && c->pc.bytes == 1)) {
			/* The first listed encoding we implement wins. */
			c->preferred = e;
			have_preferred = true;
		}
	}
	if (c->want_last_rect)
		c->enc_flags |= ENC_F_LASTRECT;
	/* Confirmations go out once per connection (doc/protocol.md,
	 * "Confirmations on repeated SetEncodings"). */
	if (c->want_qemu_key && !c->confirmed_qemu_key)
		c->confirm_qemu_key = true;
	if (c->want_ext_mouse && !c->confirmed_ext_mouse)
		c->confirm_ext_mouse = true;
	flow_set_encodings(c, fence, cu);
	clipboard_set_encodings(c, ext_clip);
	/* A client that starts showing shapes gets the current one; one
	 * that stops gets the cursor drawn into its pixels. */
	c->cursor_serial = 0;
	c->led_serial = 0;
	if (drew_cursor != client_draws_cursor(c) &&
	    cursor_box(&c->server->cursor, &c->server->fb, &box))
		sched_cursor_damage(c, &box);
	log_debug("client %u: SetEncodings, %u entries, using %s%s", c->id,
		  count, encoder_find(c->preferred)->name,
		  c->use_copyrect ? " + copyrect" : "");
}

/* Validate a requested layout as TigerVNC's ScreenSet::validate does. */
static bool layout_valid(uint16_t w, uint16_t h, const struct xrfb_screen *sc,
			 unsigned n)
{
	if (!w || !h || n == 0)
		return false;
	for (unsigned i = 0; i < n; i++) {
		if (!sc[i].width || !sc[i].height ||
		    sc[i].x + sc[i].width > w || sc[i].y + sc[i].height > h)
			return false;
		for (unsigned j = 0; j < i; j++)
			if (sc[i].id == sc[j].id)
				return false;
	}
	return true;
}

static void on_set_desktop_size(struct xrfb_client *c, const struct rfb_msg *m)
{
	struct xrfb_server *s = c->server;
	struct xrfb_screen sc[SERVER_MAX_SCREENS];
	unsigned n = m->desktop_size.nscreens;
	unsigned queued = c->eds_replies_queued;
	int status;

	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = m->desktop_size.screens + RFB_SCREEN_LEN * i;

		sc[i].id = get_u32(p);
		sc[i].x = get_u16(p + 4);
		sc[i].y = get_u16(p + 6);
		sc[i].width = get_u16(p + 8);
		sc[i].height = get_u16(p + 10);
		sc[i].flags = get_u32(p + 12);
	}
	log_info("client %u: asks for a %ux%u desktop (%u screens)", c->id,
		 m->desktop_size.w, m->desktop_size.h, n);
	if (!layout_valid(m->desktop_size.w, m->desktop_size.h, sc, n)) {
		status = XRFB_RESIZE_INVALID;
	} else if (!s->cb.resize) {
		status = XRFB_RESIZE_PROHIBITED;
	} else {
		s->resizing_client = c;
		status = s->cb.resize(s->cb.resize_arg, c, m->desktop_size.w,
				      m->desktop_size.h, sc, n);
		s->resizing_client = NULL;
	}
	/* A resize done inside the callback already queued this client's
	 * reason-1 answer; otherwise answer now. */
	if (status != XRFB_RESIZE_OK || c->eds_replies_queued == queued)
		sched_desktop_size_reply(c, status);
}

/* Inject the pointer motion held back, if any. */
static void pointer_flush(struct xrfb_client *c)
{
	struct xrfb_server *s = c->server;

	if (!c->pointer_pending)
		return;
	c->pointer_pending = false;
	if (c->state == CLIENT_STATE_NORMAL)
		s->cb.pointer(s->cb.pointer_arg, c, c->pointer_x, c->pointer_y,
			      c->pointer_buttons);
}

/* A PointerEvent: motion with the buttons as they were replaces the
 * motion held back; anything else injects that first. The last one is
 * injected when the input at hand is handled (pointer_flush()). */
static void pointer_event(struct xrfb_client *c, uint16_t x, uint16_t y,
			  uint32_t buttons)
{
	struct xrfb_server *s = c->server;

	if (s->view_only || !s->cb.pointer)
		return;
	if (x >= s->fb.width)
		x = (uint16_t)(s->fb.width - 1);
	if (y >= s->fb.height)
		y = (uint16_t)(s->fb.height - 1);
	if (c->pointer_pending && c->pointer_buttons != buttons)
		pointer_flush(c);
	c->last_x = x;
	c->last_y = y;
	c->pointer_pending = true;
	c->pointer_x = x;
	c->pointer_y = y;
	c->pointer_buttons = buttons;
}

static void handle_msg(struct xrfb_client *c, const struct rfb_msg *m)
{
	struct xrfb_server *s = c->server;

	/* Whatever follows a pointer event sees it done first. */
	if (m->type != RFB_MSG_POINTER_EVENT)
		pointer_flush(c);
	switch (m->type) {
	case RFB_MSG_SET_PIXEL_FORMAT:
		on_set_pixel_format(c, &m->pixel_format);
		break;
	case RFB_MSG_SET_ENCODINGS:
		on_set_encodings(c, m->encodings.count, m->encodings.list);
		break;
	case RFB_MSG_FB_UPDATE_REQUEST:
		sched_request(c, m->update_request.incremental,
			      m->update_request.x, m->update_request.y,
			      m->update_request.w, m->update_request.h);
		break;
	case RFB_MSG_KEY_EVENT:
		if (!s->view_only && s->cb.key)
			s->cb.key(s->cb.key_arg, c, m->key.down, m->key.keysym);
		break;
	case RFB_MSG_POINTER_EVENT:
		pointer_event(c, m->pointer.x, m->pointer.y,
			      m->pointer.buttons);
		break;
	case RFB_MSG_CLIENT_CUT_TEXT:
		clipboard_on_cut_text(c, m->cut_text.length, m->cut_text.data,
				      m->cut_text.data_len);
		break;
	case RFB_MSG_ENABLE_CONTINUOUS_UPDATES:
		flow_on_enable_cu(c, m);
		break;
	case RFB_MSG_CLIENT_FENCE:
		flow_on_fence(c, m);
		break;
	case RFB_MSG_QEMU:
		if (!c->confirmed_qemu_key) {
			client_close_reason(c, "QEMU key event before it was "
					       "confirmed");
			break;
		}
		if (s->view_only)
			break;
		if (s->cb.key_code)
			s->cb.key_code(s->cb.key_code_arg, c, m->qemu_key.down,
				       m->qemu_key.keysym, m->qemu_key.keycode);
		else if (s->cb.key && m->qemu_key.keysym)
			s->cb.key(s->cb.key_arg, c, m->qemu_key.down,
				  m->qemu_key.keysym);
		break;
	case RFB_MSG_SET_DESKTOP_SIZE:
		if (!c->want_ext_desktop_size) {
			client_close_reason(c, "SetDesktopSize without "
					       "ExtendedDesktopSize");
			break;
		}
		on_set_desktop_size(c, m);
		break;
	default:
		/* Extensions this client was never offered: RFB cannot
		 * skip a message, so the connection cannot go on. */
		client_close_reason(c, "message type %u was not negotiated",
				    m->type);
		break;
	}
}

static ssize_t on_normal(struct xrfb_client *c, const uint8_t *d, size_t len)
{
	struct rfb_msg m;
	const char *why = "";
	ssize_t n;

	c->parse.cut_text_max = c->server->cut_text_max;
	n = rfb_parse_client_msg(d, len, &c->parse, &m, &why);
	if (n < 0) {
		client_close_reason(c, "message type %u: %s", d[0], why);
		return n;
	}
	if (n > 0) {
		handle_msg(c, &m);
		flow_after_message(c);
		/* Before the next message adds to it. */
		client_check_queue(c);
	}
	return n;
}

static void on_more(void *arg);

/* Handle the input at hand, at most CLIENT_MSGS_PER_PASS messages; what
 * is left waits for the next loop iteration, and reading stops until it
 * is handled (the socket keeps the rest). */
static void parse_input(struct xrfb_client *c)
{
	struct buf *in = stream_input(c->stream);
	size_t off = 0;
	unsigned msgs = 0;

	while (off < in->len && c->state != CLIENT_STATE_CLOSED) {
		const uint8_t *d = in->data + off;
		size_t len = in->len - off;
		ssize_t n;

		switch (c->state) {
		case CLIENT_STATE_VERSION:
			n = on_version(c, d, len);
			break;
		case CLIENT_STATE_SECURITY_TYPE:
			n = on_security_type(c, d, len);
			break;
		case CLIENT_STATE_VNCAUTH:
			n = on_vncauth(c, d, len);
			break;
		case CLIENT_STATE_CLIENT_INIT:
			n = on_client_init(c, d, len);
			break;
		case CLIENT_STATE_NORMAL:
			n = on_normal(c, d, len);
			break;
		default:
			n = -EPROTO;
			break;
		}
		if (n <= 0)
			break;
		off += (size_t)n;
		if (++msgs == CLIENT_MSGS_PER_PASS)
			break;
	}
	buf_consume(in, off);
	pointer_flush(c);
	if (c->state == CLIENT_STATE_CLOSED)
		return;
	if (msgs == CLIENT_MSGS_PER_PASS && in->len) {
		stream_pause_read(c->stream, true);
		if (!c->more_timer)
			c->more_timer = xrfb_loop_add_timer(c->server->loop, 0,
							    on_more, c);
	} else {
		stream_pause_read(c->stream, false);
	}
	client_flush(c);
	client_check_queue(c);
	if (c->state == CLIENT_STATE_NORMAL)
		server_kick(c->server);
}

static void on_more(void *arg)
{
	struct xrfb_client *c = arg;

	c->more_timer = NULL;
	parse_input(c);
}

static void on_read(void *arg, struct stream *st)
{
	struct xrfb_client *c = arg;

	parse_input(c);
}

static void on_stream_error(void *arg, struct stream *st, int err)
{
	struct xrfb_client *c = arg;

	if (c->state != CLIENT_STATE_CLOSED)
		client_close_reason(c, err ? "connection error: %s"
					   : "connection closed by peer%s",
				    err ? strerror(-err) : "");
	c->linger = false;
	c->server->have_dead = true;
	server_kick(c->server);
}

static void on_stream_drain(void *arg, struct stream *st)
{
	struct xrfb_client *c = arg;

	server_kick(c->server);
}

struct xrfb_client *client_new(struct xrfb_server *s, int fd,
			       const char *peer)
{
	struct stream *st = stream_new(s->loop, fd, on_read, on_stream_error,
				       NULL);

	return st ? client_new_stream(s, st, peer) : NULL;
}

struct xrfb_client *client_new_stream(struct xrfb_server *s,
				      struct stream *st, const char *peer)
{
	struct xrfb_client *c = xcalloc(1, sizeof(*c));

	c->server = s;
	c->id = ++s->next_client_id;
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	c->stream = st;
	stream_set_owner(st, on_read, on_stream_error, on_stream_drain, c);
	c->state = CLIENT_STATE_VERSION;
	c->preferred = RFB_ENC_RAW;
	c->quality = c->fine_quality = c->subsampling = c->compress = -1;
	pixconv_init(&c->pc, &s->format);
	flow_init(&c->flow);
	clipboard_client_init(&c->clip, &s->clip);
	sched_client_init(c);
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	log_info("client %u (%s): connection", c->id, c->peer);
	client_send(c, rfb_version_msg, RFB_VERSION_LEN);
	client_flush(c);
	/* A client that spoke first (its version, before ours) is heard. */
	stream_replay_input(st);
	return c;
}

void client_free(struct xrfb_client *c)
{
	struct xrfb_server *s = c->server;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	xrfb_timer_cancel(c->pace_timer);
	xrfb_timer_cancel(c->more_timer);
	for (int i = 0; i < CLIENT_MAX_ENCODERS; i++)
		if (c->encoders[i])
			c->encoders[i]->ops->free_state(c->encoders[i]);
	sched_client_fini(c);
	stream_free(c->stream);
	free(c);
}

struct encoder *client_encoder(struct xrfb_client *c, int32_t type)
{
	int slot = encoder_slot(type);
	const struct encoder_ops *ops;

	if (slot < 0)
		return NULL;
	if (!c->encoders[slot]) {
		ops = encoder_list[slot];
		c->encoders[slot] = ops->new_state(ops);
	}
	return c->encoders[slot];
}
