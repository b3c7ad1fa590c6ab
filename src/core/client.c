/* SPDX-License-Identifier: MIT */
/*
 * A viewer connection: reads its bytes, hands them to the handshake
 * until it is done, then parses client messages (RFC 6143 §7.5) and
 * dispatches each to the concern that owns it: pixel format, encodings
 * and update requests to sched, fences and continuous updates to flow,
 * cut text to the clipboard, input and desktop size requests to the
 * embedder. Anything malformed closes this client with a logged reason
 * and touches nothing else.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "client.h"
#include "log.h"
#include "rfb-proto.h"
#include "server-state.h"
#include "stream.h"

void xrfb_client_close(struct xrfb_client *c)
{
	conn_close(&c->conn, "closed by the server");
}

unsigned xrfb_client_id(const struct xrfb_client *c)
{
	return c->conn.id;
}

const char *xrfb_client_peer(const struct xrfb_client *c)
{
	return c->conn.peer;
}

bool xrfb_client_view_only(const struct xrfb_client *c)
{
	return conn_view_only(&c->conn);
}

/* The handshake is done: the client joins (alone, if it asked for
 * exclusive access and the policy lets it). */
static void on_handshake_done(struct xrfb_client *c)
{
	struct xrfb_server *s = c->conn.server;

	if (!c->hs.shared) {
		for (struct xrfb_client *o = s->clients; o; o = o->next)
			if (o != c && !o->conn.closed)
				conn_close(&o->conn,
					"client %u asked for exclusive access",
					c->conn.id);
	}
	c->conn.ready = true;
	s->nclients_ready++;
	log_info("client %u (%s): connected (RFB 3.%d, %s)", c->conn.id,
		 c->conn.peer, c->hs.minor,
		 c->hs.shared ? "shared" : "exclusive");
	if (s->cb.client_ready)
		s->cb.client_ready(s->cb.client_ready_arg, c);
}

static void on_set_pixel_format(struct xrfb_client *c, const struct pixfmt *pf)
{
	const char *why;
	char desc[96];

	if (pixfmt_check(pf, &why) < 0) {
		conn_close(&c->conn, "SetPixelFormat: %s", why);
		return;
	}
	pixfmt_describe(pf, desc, sizeof(desc));
	log_debug("client %u: pixel format %s", c->conn.id, desc);
	sched_set_pixel_format(&c->sched, pf);
}

/* Each SetEncodings replaces everything before it (§7.5.2): every
 * concern forgets its part of the last list, takes what it knows of the
 * new one, then acts on the change. */
static void on_set_encodings(struct xrfb_client *c, uint16_t count,
			     const uint8_t *list)
{
	sched_encodings_reset(&c->sched);
	flow_encodings_reset(&c->flow);
	clipboard_encodings_reset(&c->clip);
	for (unsigned i = 0; i < count; i++) {
		int32_t e = (int32_t)get_u32(list + 4 * i);

		if (!sched_encoding(&c->sched, e) &&
		    !flow_encoding(&c->flow, e))
			clipboard_encoding(&c->clip, e);
	}
	flow_encodings_done(&c->flow);
	clipboard_encodings_done(&c->clip);
	sched_encodings_done(&c->sched);
	log_debug("client %u: SetEncodings, %u entries, using %s%s", c->conn.id,
		  count, sched_encoding_name(&c->sched),
		  sched_uses_copyrect(&c->sched) ? " + copyrect" : "");
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
	struct xrfb_server *s = c->conn.server;
	struct xrfb_screen sc[SERVER_MAX_SCREENS];
	unsigned n = m->desktop_size.nscreens;
	unsigned queued = sched_desktop_size_replies(&c->sched);
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
	log_info("client %u: asks for a %ux%u desktop (%u screens)", c->conn.id,
		 m->desktop_size.w, m->desktop_size.h, n);
	if (!layout_valid(m->desktop_size.w, m->desktop_size.h, sc, n)) {
		status = XRFB_RESIZE_INVALID;
	} else if (!s->cb.resize || c->conn.view_token) {
		/* A watcher by the view token changes nothing. */
		status = XRFB_RESIZE_PROHIBITED;
	} else {
		s->resizing_client = c;
		status = s->cb.resize(s->cb.resize_arg, c, m->desktop_size.w,
				      m->desktop_size.h, sc, n);
		s->resizing_client = NULL;
	}
	/* A resize done inside the callback already queued this client's
	 * reason-1 answer; otherwise answer now. */
	if (status != XRFB_RESIZE_OK ||
	    sched_desktop_size_replies(&c->sched) == queued)
		sched_desktop_size_reply(&c->sched, status);
}

/* Inject the pointer motion held back, if any. */
static void pointer_flush(struct xrfb_client *c)
{
	struct xrfb_server *s = c->conn.server;

	if (!c->pointer_pending)
		return;
	c->pointer_pending = false;
	c->pointer_injected = c->pointer_buttons;
	if (conn_is_normal(&c->conn))
		s->cb.pointer(s->cb.pointer_arg, c, c->pointer_x, c->pointer_y,
			      c->pointer_buttons);
}

/* A PointerEvent: pure motion (the buttons as they were) replaces the
 * motion held back; an event that presses or releases a button is
 * never merged with another, so it happens where it was sent. The last
 * one is injected when the input at hand is handled (pointer_flush()). */
static void pointer_event(struct xrfb_client *c, uint16_t x, uint16_t y,
			  uint32_t buttons)
{
	struct xrfb_server *s = c->conn.server;

	if (conn_view_only(&c->conn) || !s->cb.pointer)
		return;
	if (x >= s->fb.width)
		x = (uint16_t)(s->fb.width - 1);
	if (y >= s->fb.height)
		y = (uint16_t)(s->fb.height - 1);
	if (c->pointer_pending && (c->pointer_buttons != buttons ||
				   c->pointer_buttons != c->pointer_injected))
		pointer_flush(c);
	sched_pointer(&c->sched, x, y);
	c->pointer_pending = true;
	c->pointer_x = x;
	c->pointer_y = y;
	c->pointer_buttons = buttons;
}

static void handle_msg(struct xrfb_client *c, const struct rfb_msg *m)
{
	struct xrfb_server *s = c->conn.server;

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
		sched_request(&c->sched, m->update_request.incremental,
			      m->update_request.x, m->update_request.y,
			      m->update_request.w, m->update_request.h);
		break;
	case RFB_MSG_KEY_EVENT:
		if (!conn_view_only(&c->conn) && s->cb.key)
			s->cb.key(s->cb.key_arg, c, m->key.down, m->key.keysym);
		break;
	case RFB_MSG_POINTER_EVENT:
		pointer_event(c, m->pointer.x, m->pointer.y,
			      m->pointer.buttons);
		break;
	case RFB_MSG_CLIENT_CUT_TEXT:
		clipboard_on_cut_text(&c->clip, m->cut_text.length,
				      m->cut_text.data, m->cut_text.data_len);
		break;
	case RFB_MSG_ENABLE_CONTINUOUS_UPDATES:
		flow_on_enable_cu(&c->flow, m);
		break;
	case RFB_MSG_CLIENT_FENCE:
		flow_on_fence(&c->flow, m);
		break;
	case RFB_MSG_QEMU:
		if (!sched_qemu_key_confirmed(&c->sched)) {
			conn_close(&c->conn, "QEMU key event before it was "
					       "confirmed");
			break;
		}
		if (conn_view_only(&c->conn))
			break;
		if (s->cb.key_code)
			s->cb.key_code(s->cb.key_code_arg, c, m->qemu_key.down,
				       m->qemu_key.keysym, m->qemu_key.keycode);
		else if (s->cb.key && m->qemu_key.keysym)
			s->cb.key(s->cb.key_arg, c, m->qemu_key.down,
				  m->qemu_key.keysym);
		break;
	case RFB_MSG_SET_DESKTOP_SIZE:
		if (!sched_wants_ext_desktop_size(&c->sched)) {
			conn_close(&c->conn, "SetDesktopSize without "
					       "ExtendedDesktopSize");
			break;
		}
		on_set_desktop_size(c, m);
		break;
	default:
		/* Extensions this client was never offered: RFB cannot
		 * skip a message, so the connection cannot go on. */
		conn_close(&c->conn, "message type %u was not negotiated",
				    m->type);
		break;
	}
}

/* Skip what is left of a message over the limit (at most @len bytes
 * now). */
static ssize_t skip_input(struct xrfb_client *c, size_t len)
{
	size_t n = len < c->skip_left ? len : (size_t)c->skip_left;

	c->skip_left -= n;
	return (ssize_t)n;
}

/* Cut text longer than a client may set is skipped as it arrives, never
 * buffered whole, and the client stays (as TigerVNC does). Its length
 * was checked by the parser: a header is there. */
static ssize_t skip_cut_text(struct xrfb_client *c, const uint8_t *d,
			     size_t len)
{
	int32_t n = (int32_t)get_u32(d + 4);
	uint64_t body = c->parse.ext_clipboard && n < 0 ? -(int64_t)n
						       : (uint32_t)n;

	log_warn("client %u: cut text of %llu bytes over the %u-byte limit, "
		 "skipped", c->conn.id, (unsigned long long)body,
		 clipboard_viewer_max(c->conn.server));
	c->skip_left = RFB_CUT_TEXT_HDR_LEN + body;
	return skip_input(c, len);
}

static ssize_t on_normal(struct xrfb_client *c, const uint8_t *d, size_t len)
{
	struct rfb_msg m;
	const char *why = "";
	ssize_t n;

	/* What the concerns allow the parser, as of this message. */
	c->parse.cut_text_max = clipboard_viewer_max(c->conn.server);
	c->parse.ext_clipboard = clipboard_is_extended(&c->clip);
	c->parse.ext_mouse_buttons = sched_ext_mouse_confirmed(&c->sched);
	n = rfb_parse_client_msg(d, len, &c->parse, &m, &why);
	if (n == -EMSGSIZE && d[0] == RFB_MSG_CLIENT_CUT_TEXT)
		return skip_cut_text(c, d, len);
	if (n < 0) {
		conn_close(&c->conn, "message type %u: %s", d[0], why);
		return n;
	}
	if (n > 0) {
		handle_msg(c, &m);
		flow_after_message(&c->flow);
		/* Before the next message adds to it. */
		conn_check_queue(&c->conn);
	}
	return n;
}

static void on_more(void *arg);

/* Handle the input at hand, at most CLIENT_MSGS_PER_PASS messages; what
 * is left waits for the next loop iteration, and reading stops until it
 * is handled (the socket keeps the rest). */
static void parse_input(struct xrfb_client *c)
{
	struct buf *in = stream_input(c->conn.stream);
	size_t off = 0;
	unsigned msgs = 0;

	while (off < in->len && !c->conn.closed) {
		const uint8_t *d = in->data + off;
		size_t len = in->len - off;
		ssize_t n;

		if (c->conn.ready) {
			n = c->skip_left ? skip_input(c, len)
					 : on_normal(c, d, len);
		} else {
			n = handshake_on_read(&c->hs, d, len);
			if (n > 0 && handshake_done(&c->hs))
				on_handshake_done(c);
		}
		if (n <= 0)
			break;
		off += (size_t)n;
		if (++msgs == CLIENT_MSGS_PER_PASS)
			break;
	}
	buf_consume(in, off);
	handshake_after_read(&c->hs);
	pointer_flush(c);
	if (c->conn.closed)
		return;
	if (msgs == CLIENT_MSGS_PER_PASS && in->len) {
		stream_pause_read(c->conn.stream, true);
		if (!c->more_timer)
			c->more_timer = xrfb_loop_add_timer(
				c->conn.server->loop, 0, on_more, c);
	} else {
		stream_pause_read(c->conn.stream, false);
	}
	conn_flush(&c->conn);
	conn_check_queue(&c->conn);
	if (conn_is_normal(&c->conn))
		server_state_kick(c->conn.server);
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

	if (!c->conn.closed)
		conn_close(&c->conn, err ? "connection error: %s"
					  : "connection closed by peer%s",
			      err ? strerror(-err) : "");
	c->conn.linger = false;
	c->conn.server->have_dead = true;
	server_state_kick(c->conn.server);
}

static void on_stream_drain(void *arg, struct stream *st)
{
	struct xrfb_client *c = arg;

	server_state_kick(c->conn.server);
}

struct xrfb_client *client_new(struct xrfb_server *s, int fd,
			       const char *peer)
{
	struct stream *st = stream_new(s->loop, fd, on_read, on_stream_error,
				       NULL);

	return st ? client_new_stream(s, st, peer, false) : NULL;
}

struct xrfb_client *client_new_stream(struct xrfb_server *s,
				      struct stream *st, const char *peer,
				      bool view_token)
{
	struct xrfb_client *c = xcalloc(1, sizeof(*c));

	conn_init(&c->conn, s, c, st, peer);
	c->conn.view_token = view_token;
	stream_set_owner(st, on_read, on_stream_error, on_stream_drain, c);
	stream_set_cpu_sink(st, &s->cpu_input_us);
	flow_init(&c->flow, &c->conn);
	clipboard_client_init(&c->clip, &c->conn);
	sched_init(&c->sched, &c->conn, &c->flow);
	c->next = s->clients;
	if (s->clients)
		s->clients->prev = c;
	s->clients = c;
	log_info("client %u (%s): connection%s", c->conn.id, c->conn.peer,
		 view_token ? " with the view token (view-only)" : "");
	handshake_init(&c->hs, &c->conn);
	conn_flush(&c->conn);
	/* A client that spoke first (its version, before ours) is heard. */
	stream_replay_input(st);
	return c;
}

void client_free(struct xrfb_client *c)
{
	struct xrfb_server *s = c->conn.server;

	if (c->prev)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	xrfb_timer_cancel(c->more_timer);
	handshake_fini(&c->hs);
	sched_fini(&c->sched);
	clipboard_client_fini(&c->clip);
	conn_fini(&c->conn);
	free(c);
}
