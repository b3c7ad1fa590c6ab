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
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "client.h"
#include "clipboard.h"
#include "log.h"
#include "rfb-proto.h"
#include "server.h"
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

void clipboard_client_init(struct clip_client *cc)
{
	memset(cc, 0, sizeof(*cc));
}

void clipboard_server_fini(struct clip_server *cs)
{
	free(cs->text);
	cs->text = NULL;
	cs->len = 0;
}

/* ServerCutText carrying an extended message (negative length). */
static void send_extended(struct xrfb_client *c, uint32_t flags,
			  const uint8_t *payload, size_t len)
{
	uint8_t *msg = malloc(12 + len);

	if (!msg) {
		client_close_reason(c, "out of memory for the clipboard");
		return;
	}
	msg[0] = RFB_MSG_SERVER_CUT_TEXT;
	msg[1] = msg[2] = msg[3] = 0;
	put_u32(msg + 4, (uint32_t)-(int32_t)(4 + len));
	put_u32(msg + 8, flags);
	if (len)
		memcpy(msg + 12, payload, len);
	stream_send(c->stream, rcbuf_new(msg, 12 + len));
}

static void send_caps(struct xrfb_client *c)
{
	uint8_t size[4];

	/* Text only, size 0: every transfer goes through notify and
	 * request, which all extended clients implement. */
	put_u32(size, 0);
	send_extended(c, CLIP_CAPS | CLIP_TEXT | CLIP_REQUEST | CLIP_PEEK |
				 CLIP_NOTIFY | CLIP_PROVIDE,
		      size, sizeof(size));
}

void clipboard_set_encodings(struct xrfb_client *c, bool extended)
{
	c->clip.extended = extended;
	if (extended) {
		/* Caps go out after every SetEncodings that lists the
		 * extension (doc/protocol.md, "Extended clipboard"). */
		c->parse.ext_clipboard = true;
		send_caps(c);
	} else {
		c->parse.ext_clipboard = false;
	}
}

static void send_classic(struct xrfb_client *c, const char *text, size_t len)
{
	uint8_t *msg = malloc(8 + len);
	size_t n;

	if (!msg) {
		client_close_reason(c, "out of memory for the clipboard");
		return;
	}
	n = utf8_to_latin1(text, len, msg + 8);
	msg[0] = RFB_MSG_SERVER_CUT_TEXT;
	msg[1] = msg[2] = msg[3] = 0;
	put_u32(msg + 4, (uint32_t)n);
	stream_send(c->stream, rcbuf_new(msg, 8 + n));
}

/* Provide our text: U32 size + text with CRLF and NUL, deflated. */
static void send_provide(struct xrfb_client *c)
{
	struct clip_server *cs = &c->server->clip;
	struct buf plain = BUF_INIT;
	uLongf zlen;
	uint8_t *z;
	size_t lfs = 0;

	for (size_t i = 0; i < cs->len; i++)
		lfs += cs->text[i] == '\n';
	if (buf_reserve(&plain, 4 + cs->len + lfs + 1) < 0)
		goto err;
	buf_put_u32(&plain, (uint32_t)(cs->len + lfs + 1));
	for (size_t i = 0; i < cs->len; i++) {
		if (cs->text[i] == '\n')
			buf_put_u8(&plain, '\r');
		buf_put_u8(&plain, (uint8_t)cs->text[i]);
	}
	buf_put_u8(&plain, 0);
	zlen = compressBound(plain.len);
	z = malloc(zlen);
	if (!z || compress2(z, &zlen, plain.data, plain.len,
			    Z_DEFAULT_COMPRESSION) != Z_OK) {
		free(z);
		goto err;
	}
	send_extended(c, CLIP_PROVIDE | CLIP_TEXT, z, zlen);
	free(z);
	buf_fini(&plain);
	return;
err:
	buf_fini(&plain);
	client_close_reason(c, "out of memory for the clipboard");
}

/* Offer the server's text to one client in the form it understands. */
static void offer(struct xrfb_client *c)
{
	struct clip_server *cs = &c->server->clip;

	if (!cs->text)
		return;
	if (!c->clip.extended) {
		send_classic(c, cs->text, cs->len);
		return;
	}
	/* A client that sent no caps is assumed to take notify (SPEC). */
	if (!c->clip.caps || (c->clip.caps & CLIP_NOTIFY))
		send_extended(c, CLIP_NOTIFY | CLIP_TEXT, NULL, 0);
	else if ((c->clip.caps & CLIP_PROVIDE) && cs->len < c->clip.text_max)
		send_provide(c);
}

int clipboard_set(struct xrfb_server *s, struct xrfb_client *from,
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
	free(s->clip.text);
	s->clip.text = copy;
	s->clip.len = len;
	for (struct xrfb_client *c = s->clients; c; c = c->next) {
		if (c == from || !client_is_normal(c))
			continue;
		offer(c);
		stream_flush(c->stream);
		client_check_queue(c);
	}
	return 0;
}

/* A client's text reached us (UTF-8 or converted Latin-1). */
static void text_from_client(struct xrfb_client *c, const char *text,
			     size_t len)
{
	struct xrfb_server *s = c->server;
	char esc[48];

	log_debug("client %u: clipboard, %zu bytes: \"%s\"", c->id, len,
		  log_escape(esc, sizeof(esc), text, len < 32 ? len : 32));
	if (s->view_only)
		return;
	if (clipboard_set(s, c, text, len) < 0)
		return;
	/* The stored copy is NUL-terminated, whatever the wire form. */
	if (s->cb.cut_text)
		s->cb.cut_text(s->cb_arg, c, s->clip.text, s->clip.len);
}

/* Inflate a provide payload (a fresh zlib stream) into @out, refusing to
 * grow past @max bytes. */
static int inflate_bounded(const uint8_t *in, size_t len, size_t max,
			   struct buf *out)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)len;
	do {
		if (out->len >= max) {
			inflateEnd(&zs);
			return -EMSGSIZE;
		}
		if (buf_reserve(out, 65536) < 0) {
			inflateEnd(&zs);
			return -ENOMEM;
		}
		zs.next_out = out->data + out->len;
		zs.avail_out = (uInt)(max - out->len < 65536 ? max - out->len
							     : 65536);
		rc = inflate(&zs, Z_SYNC_FLUSH);
		out->len = (size_t)(zs.next_out - out->data);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			inflateEnd(&zs);
			return -EPROTO;
		}
		/* Senders may end with Z_SYNC_FLUSH instead of Z_FINISH:
		 * all input used and no more output means done. */
	} while (rc != Z_STREAM_END && (zs.avail_in || !zs.avail_out));
	inflateEnd(&zs);
	return 0;
}

static void on_provide(struct xrfb_client *c, uint32_t flags,
		       const uint8_t *data, size_t len)
{
	struct xrfb_server *s = c->server;
	struct buf plain = BUF_INIT;
	size_t off = 0, tlen, o = 0;
	uint32_t size;
	uint8_t *t;
	int err;

	if (!(flags & CLIP_TEXT))
		return;
	/* Only text is asked for, and it is the lowest format bit, so it
	 * comes first; the rest is never inflated. */
	err = inflate_bounded(data, len, (size_t)s->cut_text_max + 5, &plain);
	if (err == -EMSGSIZE) {
		log_warn("client %u: clipboard text over the %u-byte limit, "
			 "ignored", c->id, s->cut_text_max);
		goto out;
	}
	if (err < 0) {
		client_close_reason(c, "extended clipboard: bad zlib data");
		goto out;
	}
	if (plain.len < 4) {
		client_close_reason(c, "extended clipboard: provide too short");
		goto out;
	}
	size = get_u32(plain.data);
	off = 4;
	if (size > plain.len - off) {
		if (size > s->cut_text_max)
			log_warn("client %u: clipboard text over the limit, "
				 "ignored", c->id);
		else
			client_close_reason(c, "extended clipboard: text "
					       "size past the data");
		goto out;
	}
	t = plain.data + off;
	tlen = size;
	/* Strip the NUL (and anything after it), then CRLF -> LF. */
	for (size_t i = 0; i < tlen; i++)
		if (!t[i]) {
			tlen = i;
			break;
		}
	if (!utf8_valid(t, tlen)) {
		log_warn("client %u: clipboard text is not valid UTF-8, "
			 "ignored", c->id);
		goto out;
	}
	for (size_t i = 0; i < tlen; i++)
		if (!(t[i] == '\r' && i + 1 < tlen && t[i + 1] == '\n'))
			t[o++] = t[i];
	text_from_client(c, (const char *)t, o);
out:
	buf_fini(&plain);
}

static void on_extended(struct xrfb_client *c, const uint8_t *data,
			uint32_t len)
{
	uint32_t flags = get_u32(data), actions = flags & CLIP_ACTIONS;

	data += 4;
	len -= 4;
	if (flags & CLIP_CAPS) {
		/* One U32 size per format bit, in ascending order. */
		unsigned n = 0;

		c->clip.caps = flags;
		c->clip.text_max = 0;
		for (int bit = 0; bit < 16; bit++) {
			if (!(flags & (1u << bit)))
				continue;
			if (len < 4 * (n + 1)) {
				client_close_reason(c, "extended clipboard: "
						       "caps too short");
				return;
			}
			if (bit == 0)
				c->clip.text_max = get_u32(data + 4 * n);
			n++;
		}
		return;
	}
	/* Exactly one action besides caps (noVNC compares with ===). */
	switch (actions) {
	case CLIP_REQUEST:
		if ((flags & CLIP_TEXT) && c->server->clip.text)
			send_provide(c);
		break;
	case CLIP_PEEK:
		send_extended(c, CLIP_NOTIFY |
				 (c->server->clip.text ? CLIP_TEXT : 0), NULL, 0);
		break;
	case CLIP_NOTIFY:
		/* The client has new text: ask for it. */
		if (flags & CLIP_TEXT)
			send_extended(c, CLIP_REQUEST | CLIP_TEXT, NULL, 0);
		break;
	case CLIP_PROVIDE:
		on_provide(c, flags, data, len);
		break;
	default:
		client_close_reason(c, "extended clipboard: flags 0x%08x "
				       "name no single action", flags);
		break;
	}
}

void clipboard_on_cut_text(struct xrfb_client *c, int32_t len,
			   const uint8_t *data, uint32_t data_len)
{
	size_t n;
	char *text;

	if (c->clip.extended && len < 0) {
		on_extended(c, data, data_len);
		return;
	}
	text = latin1_to_utf8(data, data_len, &n);
	if (!text) {
		client_close_reason(c, "out of memory for cut text");
		return;
	}
	text_from_client(c, text, n);
	free(text);
}
