/* SPDX-License-Identifier: MIT */
/*
 * The clipboard between the desktop and viewers. Classic clients get
 * Latin-1 (characters outside it become '?', the only choice the classic
 * message leaves). Extended clients get UTF-8 through notify/request/
 * provide, with CRLF line ends and a terminating NUL on the wire, each
 * provide compressed as a fresh zlib stream. Text one client sets is
 * offered to the others by the server itself.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "clipboard.h"
#include "log.h"
#include "rfb-proto.h"
#include "conn.h"
#include "server-state.h"
#include "stream.h"
#include "utf8.h"

#define CLIP_TEXT 0x00000001u
#define CLIP_RTF 0x00000002u
#define CLIP_HTML 0x00000004u
#define CLIP_DIB 0x00000008u
#define CLIP_FILES 0x00000010u
#define CLIP_FORMATS 0x0000ffffu
#define CLIP_CAPS 0x01000000u
#define CLIP_REQUEST 0x02000000u
#define CLIP_PEEK 0x04000000u
#define CLIP_NOTIFY 0x08000000u
#define CLIP_PROVIDE 0x10000000u
#define CLIP_ACTIONS 0xff000000u

void clipboard_server_init(struct clip_server *cs)
{
	memset(cs, 0, sizeof(*cs));
	cs->viewer_max = CLIP_VIEWER_MAX_DEFAULT;
	cs->classic_max = CLIP_CLASSIC_MAX_DEFAULT;
}

void clipboard_client_init(struct clip_client *cc, struct conn *conn)
{
	struct clip_server *cs = &conn->server->clip;

	memset(cc, 0, sizeof(*cc));
	cc->conn = conn;
	cc->offered = cs->serial;
	cc->next = cs->clients;
	if (cs->clients)
		cs->clients->prev = cc;
	cs->clients = cc;
}

void clipboard_client_fini(struct clip_client *cc)
{
	struct clip_server *cs = &cc->conn->server->clip;

	if (cc->prev)
		cc->prev->next = cc->next;
	else
		cs->clients = cc->next;
	if (cc->next)
		cc->next->prev = cc->prev;
	cc->prev = cc->next = NULL;
}

static void drop_messages(struct clip_server *cs)
{
	rcbuf_unref(cs->provide);
	rcbuf_unref(cs->classic);
	cs->provide = cs->classic = NULL;
}

void clipboard_server_fini(struct clip_server *cs)
{
	drop_messages(cs);
	free(cs->text);
	cs->text = NULL;
	cs->len = 0;
}

/* ServerCutText carrying an extended message (negative length), in a
 * new buffer; NULL if out of memory. */
static struct rcbuf *extended_msg(uint32_t flags, const uint8_t *payload,
				  size_t len)
{
	uint8_t *msg = malloc(12 + len);

	if (!msg)
		return NULL;
	msg[0] = RFB_MSG_SERVER_CUT_TEXT;
	msg[1] = msg[2] = msg[3] = 0;
	put_u32(msg + 4, (uint32_t)-(int32_t)(4 + len));
	put_u32(msg + 8, flags);
	if (len)
		memcpy(msg + 12, payload, len);
	return rcbuf_new(msg, 12 + len);
}

static void send_extended(struct clip_client *cc, uint32_t flags)
{
	uint8_t msg[12];

	msg[0] = RFB_MSG_SERVER_CUT_TEXT;
	msg[1] = msg[2] = msg[3] = 0;
	put_u32(msg + 4, (uint32_t)-4);
	put_u32(msg + 8, flags);
	conn_send(cc->conn, msg, sizeof(msg));
}

static void send_caps(struct clip_client *cc)
{
	uint8_t size[4];

	/* Text only, size 0: every transfer goes through notify and
	 * request, which all extended clients implement. */
	put_u32(size, 0);
	stream_send(cc->conn->stream,
		    extended_msg(CLIP_CAPS | CLIP_TEXT | CLIP_REQUEST |
					 CLIP_PEEK | CLIP_NOTIFY | CLIP_PROVIDE,
				 size, sizeof(size)));
}

void clipboard_encodings_reset(struct clip_client *cc)
{
	cc->extended = false;
}

bool clipboard_encoding(struct clip_client *cc, int32_t encoding)
{
	if (encoding != RFB_ENC_EXT_CLIPBOARD)
		return false;
	cc->extended = true;
	return true;
}

void clipboard_encodings_done(struct clip_client *cc)
{
	/* Caps go out after every SetEncodings that lists the extension
	 * (doc/protocol.md, "Extended clipboard"). */
	if (cc->extended)
		send_caps(cc);
}

bool clipboard_is_extended(const struct clip_client *cc)
{
	return cc->extended;
}

/* The text's length on the wire of the extended clipboard: CRLF line
 * ends and a terminating NUL. */
static size_t wire_len(const struct clip_server *cs)
{
	size_t lfs = 0;

	for (size_t i = 0; i < cs->len; i++)
		lfs += cs->text[i] == '\n';
	return cs->len + lfs + 1;
}

/* The classic message, in Latin-1, built once per change. */
static struct rcbuf *classic_msg(struct clip_server *cs)
{
	uint8_t *msg;
	size_t n;

	if (cs->classic)
		return cs->classic;
	msg = malloc(8 + cs->len);
	if (!msg)
		return NULL;
	n = utf8_to_latin1(cs->text, cs->len, msg + 8);
	msg[0] = RFB_MSG_SERVER_CUT_TEXT;
	msg[1] = msg[2] = msg[3] = 0;
	put_u32(msg + 4, (uint32_t)n);
	cs->classic = rcbuf_new(msg, 8 + n);
	return cs->classic;
}

/* The Provide message: U32 size + text with CRLF and NUL, deflated as a
 * fresh zlib stream. Built once per change, however many clients ask:
 * compressing a large text costs the loop far more than queueing a
 * shared buffer. */
static struct rcbuf *provide_msg(struct clip_server *cs)
{
	struct buf plain = BUF_INIT;
	uLongf zlen;
	uint8_t *z = NULL;

	if (cs->provide)
		return cs->provide;
	if (buf_reserve(&plain, 4 + wire_len(cs)) < 0)
		goto out;
	buf_put_u32(&plain, (uint32_t)wire_len(cs));
	for (size_t i = 0; i < cs->len; i++) {
		if (cs->text[i] == '\n')
			buf_put_u8(&plain, '\r');
		buf_put_u8(&plain, (uint8_t)cs->text[i]);
	}
	buf_put_u8(&plain, 0);
	zlen = compressBound(plain.len);
	z = malloc(zlen);
	if (!z || compress2(z, &zlen, plain.data, plain.len,
			    Z_DEFAULT_COMPRESSION) != Z_OK)
		goto out;
	cs->provide = extended_msg(CLIP_PROVIDE | CLIP_TEXT, z, zlen);
	log_debug("clipboard provide built: %zu bytes compressed to %lu",
		  plain.len, (unsigned long)zlen);
out:
	free(z);
	buf_fini(&plain);
	return cs->provide;
}

/* Queue a shared message on @cc's stream; false if out of memory. */
static bool send_shared(struct clip_client *cc, struct rcbuf *msg)
{
	if (!msg) {
		conn_close(cc->conn, "out of memory for the clipboard");
		return false;
	}
	stream_send(cc->conn->stream, rcbuf_ref(msg));
	return true;
}

/* Whether @cc may receive the server's text at all: a classic viewer up
 * to the classic limit, an extended one up to the text size its caps
 * announced (0: no limit stated). One line is logged per clipboard
 * change that some client does not get. */
static bool fits(struct clip_client *cc)
{
	struct clip_server *cs = &cc->conn->server->clip;
	size_t len, max;

	if (!cc->extended) {
		len = cs->len;
		max = cs->classic_max;
	} else {
		len = wire_len(cs);
		max = cc->text_max ? cc->text_max : SIZE_MAX;
	}
	if (len <= max)
		return true;
	if (cs->skip_logged != cs->serial) {
		cs->skip_logged = cs->serial;
		log_info("client %u: clipboard text of %zu bytes not sent, "
			 "over its limit of %zu (and to any other client "
			 "with that limit)", cc->conn->id, len, max);
	}
	return false;
}

/* Offer the server's text to one client in the form it understands. */
static void offer(struct clip_client *cc)
{
	struct clip_server *cs = &cc->conn->server->clip;

	cc->offered = cs->serial;
	if (!cs->text || !fits(cc))
		return;
	if (!cc->extended) {
		send_shared(cc, classic_msg(cs));
		return;
	}
	/* A client that sent no caps is assumed to take notify (SPEC). */
	if (!cc->caps || (cc->caps & CLIP_NOTIFY))
		send_extended(cc, CLIP_NOTIFY | CLIP_TEXT);
	else if ((cc->caps & CLIP_PROVIDE) && cs->len < cc->text_max)
		send_shared(cc, provide_msg(cs));
}

/* Room for more in @cc's queue: a client that does not read gets
 * nothing new, so what it is owed stays a flag, not a queued copy. */
void clipboard_run(struct clip_client *cc)
{
	struct clip_server *cs = &cc->conn->server->clip;

	if (!conn_is_normal(cc->conn))
		return;
	if (cc->offered != cs->serial && conn_has_room(cc->conn))
		offer(cc);
	if (cc->owe_notify && conn_has_room(cc->conn)) {
		cc->owe_notify = false;
		send_extended(cc, CLIP_NOTIFY |
				 (cs->text && fits(cc) ? CLIP_TEXT : 0));
	}
	if (cc->owe_request && conn_has_room(cc->conn)) {
		cc->owe_request = false;
		send_extended(cc, CLIP_REQUEST | CLIP_TEXT);
	}
	if (cc->owe_provide && conn_has_room(cc->conn)) {
		cc->owe_provide = false;
		if (cs->text && fits(cc))
			send_shared(cc, provide_msg(cs));
	}
}

int clipboard_set(struct xrfb_server *s, struct clip_client *from,
		  const char *text, size_t len)
{
	char *copy;

	if (len > s->cut_text_max)
		return -EMSGSIZE;
	copy = malloc(len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	drop_messages(&s->clip);
	free(s->clip.text);
	s->clip.text = copy;
	s->clip.len = len;
	if (++s->clip.serial == 0)
		s->clip.serial = 1;
	/* Offered to every other client as its queue has room; the one
	 * that set it already has it. */
	if (from)
		from->offered = s->clip.serial;
	for (struct clip_client *cc = s->clip.clients; cc; cc = cc->next) {
		if (!conn_is_normal(cc->conn))
			continue;
		clipboard_run(cc);
		stream_flush(cc->conn->stream);
	}
	return 0;
}

/* The longest text a client may set: its own limit within the store's. */
uint32_t clipboard_viewer_max(const struct xrfb_server *s)
{
	return s->clip.viewer_max < s->cut_text_max ? s->clip.viewer_max
						    : s->cut_text_max;
}

/* A client's text reached us (UTF-8 or converted Latin-1). */
static void text_from_client(struct clip_client *cc, const char *text,
			     size_t len)
{
	struct xrfb_server *s = cc->conn->server;
	char esc[48];

	log_debug("client %u: clipboard, %zu bytes: \"%s\"", cc->conn->id,
		  len, log_escape(esc, sizeof(esc), text, len < 32 ? len : 32));
	if (conn_view_only(cc->conn))
		return;
	if (len > clipboard_viewer_max(s)) {
		log_warn("client %u: clipboard text of %zu bytes over the "
			 "%u-byte limit, ignored", cc->conn->id, len,
			 clipboard_viewer_max(s));
		return;
	}
	if (clipboard_set(s, cc, text, len) < 0)
		return;
	/* The stored copy is NUL-terminated, whatever the wire form. */
	if (s->cb.cut_text)
		s->cb.cut_text(s->cb.cut_text_arg, cc->conn->client,
			       s->clip.text, s->clip.len);
}

/* Inflate more of a provide payload into @out until it holds @want
 * bytes, the stream ends or the input is used up; never further, so a
 * small message cannot make us produce more than we asked for. */
static int inflate_to(z_stream *zs, struct buf *out, size_t want)
{
	int rc;

	if (want > out->len && buf_reserve(out, want - out->len) < 0)
		return -ENOMEM;
	while (out->len < want) {
		zs->next_out = out->data + out->len;
		zs->avail_out = (uInt)(want - out->len);
		rc = inflate(zs, Z_SYNC_FLUSH);
		out->len = (size_t)(zs->next_out - out->data);
		/* Senders may end with Z_SYNC_FLUSH instead of Z_FINISH:
		 * no progress with all input used means the end. */
		if (rc == Z_STREAM_END || rc == Z_BUF_ERROR)
			break;
		if (rc != Z_OK)
			return -EPROTO;
	}
	return 0;
}

/* The text of a provide: its size first, judged before the text itself
 * is inflated (doc/protocol.md, "Extended clipboard"). Returns 0 with
 * the text in @plain after a 4-byte size, -EMSGSIZE for text over the
 * limit, -EPROTO for a payload that does not hold what it says. */
static int inflate_text(const uint8_t *in, size_t len, uint32_t max,
			struct buf *plain)
{
	z_stream zs;
	uint32_t size = 0;
	int err;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	err = inflate_to(&zs, plain, 4);
	if (!err && plain->len < 4)
		err = -EPROTO;
	if (!err) {
		size = get_u32(plain->data);
		if (size > max)
			err = -EMSGSIZE;
		else
			err = inflate_to(&zs, plain, 4 + (size_t)size);
	}
	if (!err && plain->len < 4 + (size_t)size)
		err = -EPROTO;
	inflateEnd(&zs);
	return err;
}

static void on_provide(struct clip_client *cc, uint32_t flags,
		       const uint8_t *data, size_t len)
{
	struct xrfb_server *s = cc->conn->server;
	struct buf plain = BUF_INIT;
	size_t tlen, o = 0;
	uint8_t *t;
	int err;

	if (!(flags & CLIP_TEXT))
		return;
	/* Only text is asked for, and it is the lowest format bit, so it
	 * comes first; the rest is never inflated. */
	err = inflate_text(data, len, clipboard_viewer_max(s), &plain);
	if (err == -EMSGSIZE) {
		log_warn("client %u: clipboard text over the %u-byte limit, "
			 "ignored", cc->conn->id, clipboard_viewer_max(s));
		goto out;
	}
	if (err < 0) {
		conn_close(cc->conn, "extended clipboard: %s",
				    err == -ENOMEM ? "out of memory"
						   : "bad provide data");
		goto out;
	}
	t = plain.data + 4;
	tlen = plain.len - 4;
	/* Strip the NUL (and anything after it), then CRLF -> LF. */
	for (size_t i = 0; i < tlen; i++)
		if (!t[i]) {
			tlen = i;
			break;
		}
	if (!utf8_valid(t, tlen)) {
		log_warn("client %u: clipboard text is not valid UTF-8, "
			 "ignored", cc->conn->id);
		goto out;
	}
	for (size_t i = 0; i < tlen; i++)
		if (!(t[i] == '\r' && i + 1 < tlen && t[i + 1] == '\n'))
			t[o++] = t[i];
	text_from_client(cc, (const char *)t, o);
out:
	buf_fini(&plain);
}

static void on_extended(struct clip_client *cc, const uint8_t *data,
			uint32_t len)
{
	uint32_t flags = get_u32(data), actions = flags & CLIP_ACTIONS;

	data += 4;
	len -= 4;
	if (flags & CLIP_CAPS) {
		/* One U32 size per format bit, in ascending order. */
		unsigned n = 0;

		cc->caps = flags;
		cc->text_max = 0;
		for (int bit = 0; bit < 16; bit++) {
			if (!(flags & (1u << bit)))
				continue;
			if (len < 4 * (n + 1)) {
				conn_close(cc->conn, "extended clipboard: "
						       "caps too short");
				return;
			}
			if (bit == 0)
				cc->text_max = get_u32(data + 4 * n);
			n++;
		}
		return;
	}
	/* Exactly one action besides caps (noVNC compares with ===). */
	switch (actions) {
	/* Answers are owed, not queued at once: a burst of requests from
	 * a client that does not read costs one answer, sent when its
	 * queue has room. */
	case CLIP_REQUEST:
		if (flags & CLIP_TEXT)
			cc->owe_provide = true;
		break;
	case CLIP_PEEK:
		cc->owe_notify = true;
		break;
	case CLIP_NOTIFY:
		/* The client has new text: ask for it. */
		if (flags & CLIP_TEXT)
			cc->owe_request = true;
		break;
	case CLIP_PROVIDE:
		on_provide(cc, flags, data, len);
		break;
	default:
		conn_close(cc->conn, "extended clipboard: flags 0x%08x "
				       "name no single action", flags);
		return;
	}
	clipboard_run(cc);
}

void clipboard_on_cut_text(struct clip_client *cc, int32_t len,
			   const uint8_t *data, uint32_t data_len)
{
	size_t n;
	char *text;

	if (cc->extended && len < 0) {
		on_extended(cc, data, data_len);
		return;
	}
	text = latin1_to_utf8(data, data_len, &n);
	if (!text) {
		conn_close(cc->conn, "out of memory for cut text");
		return;
	}
	text_from_client(cc, text, n);
	free(text);
}
