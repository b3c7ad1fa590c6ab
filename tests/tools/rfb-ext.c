/* SPDX-License-Identifier: MIT */
/*
 * rfb-ext: an RFB 3.8 client written from the specification (rfbproto.rst)
 * for the extensions libvncclient 0.9.14 lacks or hides: the Extended
 * Clipboard (caps, notify, request, provide), QEMU Extended Key Events and
 * LED state, ExtendedMouseButtons, SetDesktopSize with any layout and the
 * ExtendedDesktopSize answers, DesktopName, Fence and ContinuousUpdates.
 * It asks for Raw pixels only and keeps a framebuffer, so it can also
 * check pixels (a cursor drawn in by the server, say).
 *
 *   rfb-ext [--encodings LIST] [--cu] [--timeout-ms N] HOST:PORT
 *
 * LIST is comma separated: raw cursor xcursor pointerpos desktopsize eds
 * lastrect name qemukey qemuled extmouse fence cu extclip (default: all of
 * them). With --cu, continuous updates are enabled as soon as the server
 * confirms them; otherwise an incremental request follows every update.
 *
 * Commands come one per line on stdin; each is answered with one line
 * starting with "ok" or "fail" (see run_command below). Security None
 * only. Exit: 0 ok, 1 a command failed, 2 usage, 3 connection problem.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <zlib.h>
#include "tool-util.h"

#define EXT_DEFAULT_TIMEOUT_MS 30000
#define EXT_MAX_TEXT (64u << 20)

enum {
	ENC_RAW = 0,
	ENC_DESKTOP_SIZE = -223,
	ENC_LAST_RECT = -224,
	ENC_POINTER_POS = -232,
	ENC_CURSOR = -239,
	ENC_XCURSOR = -240,
	ENC_QEMU_KEY = -258,
	ENC_QEMU_LED = -261,
	ENC_DESKTOP_NAME = -307,
	ENC_EDS = -308,
	ENC_FENCE = -312,
	ENC_CU = -313,
	ENC_EXT_MOUSE = -316,
	ENC_EXT_CLIP = (int32_t)0xC0A1E5CE,
};

#define CLIP_TEXT 0x00000001u
#define CLIP_CAPS 0x01000000u
#define CLIP_REQUEST 0x02000000u
#define CLIP_PEEK 0x04000000u
#define CLIP_NOTIFY 0x08000000u
#define CLIP_PROVIDE 0x10000000u

static const struct {
	const char *name;
	int32_t enc;
} enc_names[] = {
	{ "raw", ENC_RAW },		{ "cursor", ENC_CURSOR },
	{ "xcursor", ENC_XCURSOR },	{ "pointerpos", ENC_POINTER_POS },
	{ "desktopsize", ENC_DESKTOP_SIZE }, { "eds", ENC_EDS },
	{ "lastrect", ENC_LAST_RECT },	{ "name", ENC_DESKTOP_NAME },
	{ "qemukey", ENC_QEMU_KEY },	{ "qemuled", ENC_QEMU_LED },
	{ "extmouse", ENC_EXT_MOUSE },	{ "fence", ENC_FENCE },
	{ "cu", ENC_CU },		{ "extclip", ENC_EXT_CLIP },
};

struct ext {
	int fd;
	int timeout_ms;
	bool want_cu;
	int32_t encs[32];
	int nencs;

	int width, height;
	uint32_t *fb;		/* 0x00RRGGBB */
	unsigned long updates;
	bool cu_on;
	bool qemu_key_ok, ext_mouse_ok;
	int led;		/* -1: never sent */
	char *name;
	unsigned long bells;
	/* last ExtendedDesktopSize */
	bool eds_seen;
	unsigned long eds_count;
	int eds_reason, eds_status, eds_w, eds_h, eds_n;
	uint32_t eds_id[16];
	int eds_x[16], eds_y[16], eds_sw[16], eds_sh[16];
	char eds_log[2048];	/* "REASON/STATUS/WxH " for each */
	/* cursor */
	bool cursor_seen;
	int cur_w, cur_h, cur_hx, cur_hy;
	uint64_t cur_sig;
	int pos_x, pos_y;
	bool pos_seen;
	/* clipboard */
	uint32_t server_caps;
	bool sent_caps;
	uint8_t *clip;		/* last text received (extended) */
	size_t clip_len;
	unsigned long clip_count;
	uint8_t *cut;		/* last classic cut text, as UTF-8 */
	size_t cut_len;
	unsigned long cut_count;
	uint8_t *offer;		/* text we offered, waiting for a request */
	size_t offer_len;
	unsigned long provided;
	unsigned long fences;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static int send_all(struct ext *e, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n) {
		ssize_t r = send(e->fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_all(struct ext *e, void *data, size_t n)
{
	uint8_t *p = data;
	uint64_t end = now_ms() + (uint64_t)e->timeout_ms;

	while (n) {
		struct pollfd pfd = { .fd = e->fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		ssize_t r;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		r = recv(e->fd, p, n, 0);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int skip(struct ext *e, size_t n)
{
	uint8_t buf[4096];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		if (read_all(e, buf, k))
			return -1;
		n -= k;
	}
	return 0;
}

/* ---- sending ---------------------------------------------------------------- */

static int send_request(struct ext *e, bool incremental, int x, int y, int w,
			int h)
{
	uint8_t m[10] = { 3, incremental };

	put16(m + 2, (uint16_t)x);
	put16(m + 4, (uint16_t)y);
	put16(m + 6, (uint16_t)w);
	put16(m + 8, (uint16_t)h);
	return send_all(e, m, sizeof(m));
}

static int send_cu(struct ext *e, bool on)
{
	uint8_t m[10] = { 150, on };

	put16(m + 6, (uint16_t)e->width);
	put16(m + 8, (uint16_t)e->height);
	return send_all(e, m, sizeof(m));
}

static int send_ext_clip(struct ext *e, uint32_t flags, const uint8_t *payload,
			 size_t len)
{
	uint8_t *m = malloc(12 + len);
	int r;

	if (!m)
		return -1;
	m[0] = 6;
	m[1] = m[2] = m[3] = 0;
	put32(m + 4, (uint32_t)-(int32_t)(4 + len));
	put32(m + 8, flags);
	if (len)
		memcpy(m + 12, payload, len);
	r = send_all(e, m, 12 + len);
	free(m);
	return r;
}

/* provide: a fresh zlib stream with U32 size + text (CRLF, NUL). */
static int send_provide(struct ext *e)
{
	size_t lfs = 0, n = 0, i;
	uint8_t *plain, *z;
	uLongf zlen;
	int r;

	for (i = 0; i < e->offer_len; i++)
		lfs += e->offer[i] == '\n';
	plain = malloc(4 + e->offer_len + lfs + 1);
	if (!plain)
		return -1;
	put32(plain, (uint32_t)(e->offer_len + lfs + 1));
	n = 4;
	for (i = 0; i < e->offer_len; i++) {
		if (e->offer[i] == '\n')
			plain[n++] = '\r';
		plain[n++] = e->offer[i];
	}
	plain[n++] = 0;
	zlen = compressBound(n);
	z = malloc(zlen);
	if (!z || compress(z, &zlen, plain, n) != Z_OK) {
		free(plain);
		free(z);
		return -1;
	}
	r = send_ext_clip(e, CLIP_PROVIDE | CLIP_TEXT, z, zlen);
	free(plain);
	free(z);
	e->provided++;
	return r;
}

/* ---- receiving ---------------------------------------------------------------- */

static void resize_fb(struct ext *e, int w, int h)
{
	uint32_t *fb = calloc((size_t)(w ? w : 1) * (size_t)(h ? h : 1), 4);

	if (!fb)
		return;
	free(e->fb);
	e->fb = fb;
	e->width = w;
	e->height = h;
}

static int read_raw(struct ext *e, int x, int y, int w, int h)
{
	size_t row = (size_t)w * 4;
	uint8_t *buf = malloc(row ? row : 1);

	if (!buf)
		return -1;
	if (x + w > e->width || y + h > e->height) {
		fprintf(stderr, "rfb-ext: rect %dx%d+%d+%d outside %dx%d\n",
			w, h, x, y, e->width, e->height);
		free(buf);
		return -1;
	}
	for (int r = 0; r < h; r++) {
		if (read_all(e, buf, row)) {
			free(buf);
			return -1;
		}
		for (int c = 0; c < w; c++) {
			const uint8_t *p = buf + 4 * c;

			e->fb[(size_t)(y + r) * e->width + x + c] =
				(uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 |
				p[0];
		}
	}
	free(buf);
	return 0;
}

/*
 * The cursor's signature: for each pixel "-" if invisible, else its
 * RRGGBB, hashed; the same as the xdesk tool computes from an X cursor.
 */
static int read_cursor(struct ext *e, int hx, int hy, int w, int h,
		       bool rich)
{
	size_t mb = (size_t)(w + 7) / 8 * h, len;
	uint8_t *d;
	uint64_t sig = TOOL_FNV1A_INIT;

	len = rich ? (size_t)w * h * 4 + mb : (w && h ? 6 + 2 * mb : 0);
	d = malloc(len ? len : 1);
	if (!d || (len && read_all(e, d, len))) {
		free(d);
		return -1;
	}
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			size_t bit = (size_t)y * ((w + 7) / 8) + x / 8;
			uint8_t m = (uint8_t)(0x80 >> (x % 8));
			char px[8];
			bool vis;
			uint32_t rgb;

			if (rich) {
				const uint8_t *p = d + ((size_t)y * w + x) * 4;

				vis = d[(size_t)w * h * 4 + bit] & m;
				rgb = (uint32_t)p[2] << 16 |
				      (uint32_t)p[1] << 8 | p[0];
			} else {
				const uint8_t *c = d;

				vis = d[6 + mb + bit] & m;
				if (!(d[6 + bit] & m))
					c = d + 3;
				rgb = (uint32_t)c[0] << 16 |
				      (uint32_t)c[1] << 8 | c[2];
			}
			if (vis)
				snprintf(px, sizeof(px), "%06x", rgb);
			else
				snprintf(px, sizeof(px), "-");
			sig = tool_fnv1a(sig, px, strlen(px));
		}
	free(d);
	e->cursor_seen = true;
	e->cur_w = w;
	e->cur_h = h;
	e->cur_hx = hx;
	e->cur_hy = hy;
	e->cur_sig = sig;
	return 0;
}

static int read_eds(struct ext *e, int reason, int status, int w, int h)
{
	uint8_t hdr[4], s[16];

	if (read_all(e, hdr, 4))
		return -1;
	e->eds_n = hdr[0];
	for (int i = 0; i < hdr[0]; i++) {
		if (read_all(e, s, 16))
			return -1;
		if (i < 16) {
			e->eds_id[i] = be32(s);
			e->eds_x[i] = be16(s + 4);
			e->eds_y[i] = be16(s + 6);
			e->eds_sw[i] = be16(s + 8);
			e->eds_sh[i] = be16(s + 10);
		}
	}
	e->eds_seen = true;
	e->eds_count++;
	e->eds_reason = reason;
	e->eds_status = status;
	e->eds_w = w;
	e->eds_h = h;
	if (strlen(e->eds_log) < sizeof(e->eds_log) - 32)
		snprintf(e->eds_log + strlen(e->eds_log), 32, "%s%d/%d/%dx%d",
			 e->eds_log[0] ? " " : "", reason, status, w, h);
	/* A failed request's size fields mean nothing. */
	if (status == 0 && (w != e->width || h != e->height))
		resize_fb(e, w, h);
	return 0;
}

static int read_update(struct ext *e)
{
	uint8_t hdr[3], r[12], b[4];
	unsigned n;

	if (read_all(e, hdr, 3))
		return -1;
	n = be16(hdr + 1);
	for (unsigned i = 0; i < n; i++) {
		int x, y, w, h;
		int32_t enc;

		if (read_all(e, r, 12))
			return -1;
		x = be16(r);
		y = be16(r + 2);
		w = be16(r + 4);
		h = be16(r + 6);
		enc = (int32_t)be32(r + 8);
		switch (enc) {
		case ENC_RAW:
			if (read_raw(e, x, y, w, h))
				return -1;
			break;
		case ENC_LAST_RECT:
			i = n;
			break;
		case ENC_CURSOR:
		case ENC_XCURSOR:
			if (read_cursor(e, x, y, w, h, enc == ENC_CURSOR))
				return -1;
			break;
		case ENC_POINTER_POS:
			e->pos_x = x;
			e->pos_y = y;
			e->pos_seen = true;
			break;
		case ENC_DESKTOP_SIZE:
			resize_fb(e, w, h);
			break;
		case ENC_EDS:
			if (read_eds(e, x, y, w, h))
				return -1;
			break;
		case ENC_QEMU_KEY:
			e->qemu_key_ok = true;
			break;
		case ENC_EXT_MOUSE:
			e->ext_mouse_ok = true;
			break;
		case ENC_QEMU_LED:
			if (read_all(e, b, 1))
				return -1;
			e->led = b[0];
			break;
		case ENC_DESKTOP_NAME: {
			uint32_t len;

			if (read_all(e, b, 4))
				return -1;
			len = be32(b);
			if (len > 4096)
				return -1;
			free(e->name);
			e->name = calloc(1, len + 1);
			if (!e->name || read_all(e, e->name, len))
				return -1;
			break;
		}
		default:
			fprintf(stderr, "rfb-ext: unexpected encoding %d\n",
				enc);
			return -1;
		}
	}
	e->updates++;
	if (!e->cu_on)
		return send_request(e, true, 0, 0, e->width, e->height);
	return 0;
}

/* Inflate a provide message and keep its text (NUL and CRLF removed). */
static int on_provide(struct ext *e, const uint8_t *d, size_t len)
{
	z_stream zs;
	uint8_t *plain = malloc(EXT_MAX_TEXT + 8);
	size_t n, size, o = 0;
	int rc;

	if (!plain)
		return -1;
	memset(&zs, 0, sizeof(zs));
	inflateInit(&zs);
	zs.next_in = (Bytef *)d;
	zs.avail_in = (uInt)len;
	zs.next_out = plain;
	zs.avail_out = EXT_MAX_TEXT + 8;
	rc = inflate(&zs, Z_SYNC_FLUSH);
	n = zs.total_out;
	inflateEnd(&zs);
	if ((rc != Z_OK && rc != Z_STREAM_END) || n < 4 ||
	    be32(plain) > n - 4) {
		fprintf(stderr, "rfb-ext: bad provide (zlib %d, %zu bytes)\n",
			rc, n);
		free(plain);
		return -1;
	}
	size = be32(plain);
	free(e->clip);
	e->clip = malloc(size + 1);
	for (size_t i = 0; i < size; i++) {
		uint8_t c = plain[4 + i];

		if (c == 0)
			break;
		if (c == '\r' && i + 1 < size && plain[5 + i] == '\n')
			continue;
		e->clip[o++] = c;
	}
	e->clip_len = o;
	e->clip_count++;
	free(plain);
	return 0;
}

static int read_cut_text(struct ext *e)
{
	uint8_t hdr[7], *d;
	int32_t len;
	size_t n;
	int r = 0;

	if (read_all(e, hdr, 7))
		return -1;
	len = (int32_t)be32(hdr + 3);
	n = len < 0 ? (size_t)-(int64_t)len : (size_t)len;
	if (n > EXT_MAX_TEXT)
		return -1;
	d = malloc(n ? n : 1);
	if (!d || read_all(e, d, n)) {
		free(d);
		return -1;
	}
	if (len >= 0) {
		/* classic: Latin-1, kept as UTF-8 */
		free(e->cut);
		e->cut = malloc(2 * n + 1);
		e->cut_len = 0;
		for (size_t i = 0; i < n; i++) {
			if (d[i] < 0x80) {
				e->cut[e->cut_len++] = d[i];
			} else {
				e->cut[e->cut_len++] = (uint8_t)(0xc0 | d[i] >> 6);
				e->cut[e->cut_len++] =
					(uint8_t)(0x80 | (d[i] & 0x3f));
			}
		}
		e->cut_count++;
	} else if (n >= 4) {
		uint32_t flags = be32(d);

		if (flags & CLIP_CAPS) {
			e->server_caps = flags;
			if (!e->sent_caps) {
				uint8_t size[4] = { 0 };

				put32(size, 0);
				r = send_ext_clip(e, CLIP_CAPS | CLIP_TEXT |
						  CLIP_REQUEST | CLIP_PEEK |
						  CLIP_NOTIFY | CLIP_PROVIDE,
						  size, 4);
				e->sent_caps = true;
			}
		} else if (flags & CLIP_NOTIFY) {
			if (flags & CLIP_TEXT)
				r = send_ext_clip(e, CLIP_REQUEST | CLIP_TEXT,
						  NULL, 0);
		} else if (flags & CLIP_REQUEST) {
			if (e->offer)
				r = send_provide(e);
		} else if (flags & CLIP_PROVIDE) {
			r = on_provide(e, d + 4, n - 4);
		}
	}
	free(d);
	return r;
}

static int read_fence(struct ext *e)
{
	uint8_t hdr[8], payload[64], m[9 + 64];
	uint32_t flags;

	if (read_all(e, hdr, 8) || hdr[7] > 64 ||
	    read_all(e, payload, hdr[7]))
		return -1;
	flags = be32(hdr + 3);
	e->fences++;
	if (!(flags & 0x80000000u))
		return 0;
	m[0] = 248;
	m[1] = m[2] = m[3] = 0;
	put32(m + 4, flags & 7u);
	m[8] = hdr[7];
	memcpy(m + 9, payload, hdr[7]);
	return send_all(e, m, 9 + (size_t)hdr[7]);
}

/* Read and handle one server message. */
static int pump_one(struct ext *e)
{
	uint8_t type;

	if (read_all(e, &type, 1))
		return -1;
	switch (type) {
	case 0:
		return read_update(e);
	case 2:
		e->bells++;
		return 0;
	case 3:
		return read_cut_text(e);
	case 150:
		if (e->want_cu && !e->cu_on) {
			e->cu_on = true;
			return send_cu(e, true);
		}
		return 0;
	case 248:
		return read_fence(e);
	default:
		fprintf(stderr, "rfb-ext: unexpected message type %u\n", type);
		return -1;
	}
}

/* Handle messages until @done(e, arg) or the timeout; 0 when done. */
static int pump_until(struct ext *e, bool (*done)(struct ext *, void *),
		      void *arg, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (!done(e, arg)) {
		struct pollfd pfd = { .fd = e->fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		if (pump_one(e))
			return -ECONNRESET;
	}
	return 0;
}

/* ---- connecting ------------------------------------------------------------------ */

static int handshake(struct ext *e)
{
	uint8_t v[12], n, types[255], res[4], init[24], pf[20] = { 0 };
	uint8_t se[4 + 4 * 32];
	bool none = false;

	if (read_all(e, v, 12) || send_all(e, "RFB 003.008\n", 12) ||
	    read_all(e, &n, 1) || n == 0 || read_all(e, types, n))
		return -1;
	for (int i = 0; i < n; i++)
		none |= types[i] == 1;
	if (!none || send_all(e, "\1", 1) || read_all(e, res, 4) ||
	    be32(res) != 0 || send_all(e, "\1", 1) || read_all(e, init, 24))
		return -1;
	resize_fb(e, be16(init), be16(init + 2));
	if (skip(e, be32(init + 20)))
		return -1;
	/* 32 bpp, depth 24, little endian, true colour, 0x00RRGGBB */
	pf[0] = 0;
	pf[4] = 32;
	pf[5] = 24;
	pf[6] = 0;
	pf[7] = 1;
	put16(pf + 8, 255);
	put16(pf + 10, 255);
	put16(pf + 12, 255);
	pf[14] = 16;
	pf[15] = 8;
	pf[16] = 0;
	se[0] = 2;
	se[1] = 0;
	put16(se + 2, (uint16_t)e->nencs);
	for (int i = 0; i < e->nencs; i++)
		put32(se + 4 + 4 * i, (uint32_t)e->encs[i]);
	if (send_all(e, pf, 20) || send_all(e, se, 4 + 4 * (size_t)e->nencs))
		return -1;
	return send_request(e, false, 0, 0, e->width, e->height);
}

/* ---- commands ------------------------------------------------------------------- */

static bool done_updates(struct ext *e, void *arg)
{
	return e->updates >= *(unsigned long *)arg;
}

struct size_want {
	int w, h;
};

static bool done_size(struct ext *e, void *arg)
{
	struct size_want *s = arg;

	return e->width == s->w && e->height == s->h;
}

struct eds_want {
	unsigned long after;
	int reason, status;
};

static bool done_eds(struct ext *e, void *arg)
{
	struct eds_want *w = arg;

	return e->eds_count > w->after && e->eds_reason == w->reason &&
	       e->eds_status == w->status;
}

struct bytes_want {
	const uint8_t *data;
	size_t len;
	bool classic;
};

static bool done_text(struct ext *e, void *arg)
{
	struct bytes_want *b = arg;
	const uint8_t *have = b->classic ? e->cut : e->clip;
	size_t len = b->classic ? e->cut_len : e->clip_len;

	return have && len == b->len && !memcmp(have, b->data, len);
}

static bool done_led(struct ext *e, void *arg)
{
	return e->led == *(int *)arg;
}

static bool done_bells(struct ext *e, void *arg)
{
	return e->bells >= *(unsigned long *)arg;
}

static bool done_name(struct ext *e, void *arg)
{
	return e->name && !strcmp(e->name, arg);
}

static bool done_cursor(struct ext *e, void *arg)
{
	char sig[64];

	if (!e->cursor_seen)
		return false;
	snprintf(sig, sizeof(sig), "%dx%d+%d+%d:%016llx", e->cur_w, e->cur_h,
		 e->cur_hx, e->cur_hy, (unsigned long long)e->cur_sig);
	return !strcmp(sig, arg);
}

static bool done_pos(struct ext *e, void *arg)
{
	int *p = arg;

	return e->pos_seen && e->pos_x == p[0] && e->pos_y == p[1];
}

static bool done_pixel(struct ext *e, void *arg)
{
	int *p = arg;

	return p[0] < e->width && p[1] < e->height &&
	       e->fb[(size_t)p[1] * e->width + p[0]] == (uint32_t)p[2];
}

static bool done_never(struct ext *e, void *arg)
{
	return false;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *d = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0) {
		d = malloc((size_t)n + 1);
		if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
			free(d);
			d = NULL;
		}
		*len = (size_t)n;
	}
	fclose(f);
	return d;
}

static void describe_text(const char *what, const uint8_t *d, size_t len,
			  const uint8_t *want, size_t want_len)
{
	size_t i = 0;

	while (d && i < len && i < want_len && d[i] == want[i])
		i++;
	out("fail %s: have %zu bytes, want %zu, first difference at %zu\n",
	    what, d ? len : 0, want_len, i);
}

static int cmd_wait(struct ext *e, const char *what,
		    bool (*done)(struct ext *, void *), void *arg, int timeout)
{
	int r = pump_until(e, done, arg, timeout);

	if (r == -ECONNRESET) {
		out("fail %s: connection closed\n", what);
		return 3;
	}
	if (r) {
		out("fail %s: timed out after %d ms\n", what, timeout);
		return 1;
	}
	return 0;
}

static int send_qemu_key(struct ext *e, bool down, uint32_t keysym,
			 uint32_t code)
{
	uint8_t m[12] = { 255, 0 };

	put16(m + 2, down);
	put32(m + 4, keysym);
	put32(m + 8, code);
	return send_all(e, m, sizeof(m));
}

static int send_pointer(struct ext *e, int x, int y, unsigned mask)
{
	uint8_t m[7] = { 5 };
	size_t n = 6;

	/* With ExtendedMouseButtons, bit 7 marks a 7th byte holding
	 * buttons 8 and 9. */
	if (e->ext_mouse_ok && mask > 0x7f) {
		m[1] = (uint8_t)((mask & 0x7f) | 0x80);
		m[6] = (uint8_t)(mask >> 7);
		n = 7;
	} else {
		m[1] = (uint8_t)mask;
	}
	put16(m + 2, (uint16_t)x);
	put16(m + 4, (uint16_t)y);
	return send_all(e, m, n);
}

static int send_resize(struct ext *e, char **args, int nargs)
{
	uint8_t m[8 + 16 * 16] = { 251 };
	int w, h, n;

	if (nargs < 2 || (nargs - 2) % 5 || (nargs - 2) / 5 > 16)
		return -1;
	w = atoi(args[0]);
	h = atoi(args[1]);
	n = (nargs - 2) / 5;
	put16(m + 2, (uint16_t)w);
	put16(m + 4, (uint16_t)h);
	if (n == 0) {
		/* one screen covering it all, with the id the server uses */
		m[6] = 1;
		put32(m + 8, e->eds_n ? e->eds_id[0] : 1);
		put16(m + 16, (uint16_t)w);
		put16(m + 18, (uint16_t)h);
		n = 1;
	} else {
		m[6] = (uint8_t)n;
		for (int i = 0; i < n; i++) {
			uint8_t *s = m + 8 + 16 * i;

			put32(s, (uint32_t)strtoul(args[2 + 5 * i], NULL, 0));
			put16(s + 4, (uint16_t)atoi(args[3 + 5 * i]));
			put16(s + 6, (uint16_t)atoi(args[4 + 5 * i]));
			put16(s + 8, (uint16_t)atoi(args[5 + 5 * i]));
			put16(s + 10, (uint16_t)atoi(args[6 + 5 * i]));
		}
	}
	return send_all(e, m, 8 + 16 * (size_t)n);
}

static void print_eds(struct ext *e)
{
	if (!e->eds_seen) {
		out("fail eds: none received\n");
		return;
	}
	printf("ok eds reason %d status %d size %dx%d screens %d", e->eds_reason,
	       e->eds_status, e->eds_w, e->eds_h, e->eds_n);
	for (int i = 0; i < e->eds_n && i < 16; i++)
		printf(" %u:%dx%d+%d+%d", e->eds_id[i], e->eds_sw[i],
		       e->eds_sh[i], e->eds_x[i], e->eds_y[i]);
	out("\n");
}

/*
 * Commands:
 *   sync                      a full 1x1 request answered: all before it done
 *   size | wait-size W H
 *   resize W H [ID X Y W H]...  SetDesktopSize (default: one screen)
 *   eds                       the last ExtendedDesktopSize
 *   mark-eds                  how many have come (N)
 *   eds-log | clear-eds-log   REASON/STATUS/WxH of each since the clear
 *   wait-eds REASON STATUS N  until one after the N-th has them
 *   clip-offer FILE           announce FILE's text (notify), provide it
 *                             when the server asks
 *   wait-clip FILE            until the server provided exactly FILE
 *   cut FILE                  classic ClientCutText with FILE's bytes
 *   wait-cut FILE             until classic cut text equals FILE (UTF-8)
 *   caps                      the server's clipboard caps
 *   xkey CODE down|up [KEYSYM]   QEMU Extended Key Event (XT scancode)
 *   key KEYSYM down|up        KeyEvent
 *   pointer X Y MASK          PointerEvent (MASK up to 0x1ff)
 *   led | wait-led N
 *   bells | wait-bells N
 *   name | wait-name NAME
 *   cursor | wait-cursor SIG  WxH+HX+HY:HASH
 *   pos | wait-pos X Y
 *   pixel X Y | wait-pixel X Y RRGGBB
 *   confirmed                 which input extensions the server confirmed
 *   sleep MS | stats | quit
 */
static int run_command(struct ext *e, char *line)
{
	char *argv[96], *save = NULL, *t;
	int argc = 0, a[3];
	unsigned long ul;
	int r;

	for (t = strtok_r(line, " ", &save); t && argc < 96;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (!argc)
		return 0;
#define ARGS(n)                                                        \
	do {                                                           \
		if (argc < (n) + 1) {                                  \
			out("fail usage: %s\n", argv[0]);              \
			return 2;                                      \
		}                                                      \
	} while (0)
	if (!strcmp(argv[0], "sync")) {
		ul = e->updates + 1;
		if (send_request(e, false, 0, 0, 1, 1))
			goto closed;
		if ((r = cmd_wait(e, "sync", done_updates, &ul, e->timeout_ms)))
			return r;
		out("ok sync\n");
		return 0;
	}
	if (!strcmp(argv[0], "size")) {
		out("ok size %dx%d\n", e->width, e->height);
		return 0;
	}
	if (!strcmp(argv[0], "wait-size")) {
		struct size_want s;

		ARGS(2);
		s.w = atoi(argv[1]);
		s.h = atoi(argv[2]);
		if ((r = cmd_wait(e, "wait-size", done_size, &s,
				  e->timeout_ms)))
			return r;
		out("ok size %dx%d\n", e->width, e->height);
		return 0;
	}
	if (!strcmp(argv[0], "resize")) {
		ARGS(2);
		if (send_resize(e, argv + 1, argc - 1)) {
			out("fail usage: resize W H [ID X Y W H]...\n");
			return 2;
		}
		out("ok resize\n");
		return 0;
	}
	if (!strcmp(argv[0], "eds")) {
		print_eds(e);
		return 0;
	}
	if (!strcmp(argv[0], "eds-log")) {
		out("ok eds-log %s\n", e->eds_log);
		return 0;
	}
	if (!strcmp(argv[0], "clear-eds-log")) {
		e->eds_log[0] = '\0';
		out("ok clear-eds-log\n");
		return 0;
	}
	if (!strcmp(argv[0], "mark-eds")) {
		out("ok mark-eds %lu\n", e->eds_count);
		return 0;
	}
	if (!strcmp(argv[0], "wait-eds")) {
		struct eds_want w;

		ARGS(3);
		w.after = strtoul(argv[3], NULL, 10);
		w.reason = atoi(argv[1]);
		w.status = atoi(argv[2]);
		if ((r = cmd_wait(e, "wait-eds", done_eds, &w, e->timeout_ms)))
			return r;
		print_eds(e);
		return 0;
	}
	if (!strcmp(argv[0], "clip-offer") || !strcmp(argv[0], "cut")) {
		size_t len;
		uint8_t *d;

		ARGS(1);
		d = read_file(argv[1], &len);
		if (!d) {
			out("fail %s: cannot read %s\n", argv[0], argv[1]);
			return 2;
		}
		if (!strcmp(argv[0], "cut")) {
			uint8_t hdr[8] = { 6 };

			put32(hdr + 4, (uint32_t)len);
			r = send_all(e, hdr, 8) || send_all(e, d, len);
			free(d);
		} else {
			free(e->offer);
			e->offer = d;
			e->offer_len = len;
			r = send_ext_clip(e, CLIP_NOTIFY | CLIP_TEXT, NULL, 0);
		}
		if (r)
			goto closed;
		out("ok %s %zu bytes\n", argv[0], len);
		return 0;
	}
	if (!strcmp(argv[0], "wait-clip") || !strcmp(argv[0], "wait-cut")) {
		struct bytes_want b;
		size_t len;
		uint8_t *d;

		ARGS(1);
		d = read_file(argv[1], &len);
		if (!d) {
			out("fail %s: cannot read %s\n", argv[0], argv[1]);
			return 2;
		}
		b.data = d;
		b.len = len;
		b.classic = !strcmp(argv[0], "wait-cut");
		r = pump_until(e, done_text, &b, e->timeout_ms);
		if (r == -ECONNRESET) {
			free(d);
			goto closed;
		}
		if (r) {
			describe_text(argv[0], b.classic ? e->cut : e->clip,
				      b.classic ? e->cut_len : e->clip_len, d,
				      len);
			free(d);
			return 1;
		}
		free(d);
		out("ok %s %zu bytes\n", argv[0], len);
		return 0;
	}
	if (!strcmp(argv[0], "caps")) {
		out("ok caps 0x%08x\n", e->server_caps);
		return 0;
	}
	if (!strcmp(argv[0], "xkey")) {
		ARGS(2);
		if (!e->qemu_key_ok) {
			out("fail xkey: the server did not confirm QEMU key "
			    "events\n");
			return 1;
		}
		if (send_qemu_key(e, !strcmp(argv[2], "down"),
				  argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0)
					   : 0,
				  (uint32_t)strtoul(argv[1], NULL, 0)))
			goto closed;
		out("ok xkey\n");
		return 0;
	}
	if (!strcmp(argv[0], "key")) {
		uint8_t m[8] = { 4 };

		ARGS(2);
		m[1] = !strcmp(argv[2], "down");
		put32(m + 4, (uint32_t)strtoul(argv[1], NULL, 0));
		if (send_all(e, m, 8))
			goto closed;
		out("ok key\n");
		return 0;
	}
	if (!strcmp(argv[0], "pointer")) {
		ARGS(3);
		if (send_pointer(e, atoi(argv[1]), atoi(argv[2]),
				 (unsigned)strtoul(argv[3], NULL, 0)))
			goto closed;
		out("ok pointer\n");
		return 0;
	}
	if (!strcmp(argv[0], "led")) {
		out("ok led %d\n", e->led);
		return 0;
	}
	if (!strcmp(argv[0], "wait-led")) {
		ARGS(1);
		a[0] = atoi(argv[1]);
		if ((r = cmd_wait(e, "wait-led", done_led, a, e->timeout_ms)))
			return r;
		out("ok led %d\n", e->led);
		return 0;
	}
	if (!strcmp(argv[0], "bells")) {
		out("ok bells %lu\n", e->bells);
		return 0;
	}
	if (!strcmp(argv[0], "wait-bells")) {
		ARGS(1);
		ul = strtoul(argv[1], NULL, 10);
		if ((r = cmd_wait(e, "wait-bells", done_bells, &ul,
				  e->timeout_ms)))
			return r;
		out("ok bells %lu\n", e->bells);
		return 0;
	}
	if (!strcmp(argv[0], "name")) {
		out("ok name %s\n", e->name ? e->name : "");
		return 0;
	}
	if (!strcmp(argv[0], "wait-name")) {
		ARGS(1);
		if ((r = cmd_wait(e, "wait-name", done_name, argv[1],
				  e->timeout_ms)))
			return r;
		out("ok name %s\n", e->name);
		return 0;
	}
	if (!strcmp(argv[0], "cursor") || !strcmp(argv[0], "wait-cursor")) {
		if (argv[0][0] == 'w') {
			ARGS(1);
			if ((r = cmd_wait(e, "wait-cursor", done_cursor,
					  argv[1], e->timeout_ms))) {
				out("fail cursor is %dx%d+%d+%d:%016llx\n",
				    e->cur_w, e->cur_h, e->cur_hx, e->cur_hy,
				    (unsigned long long)e->cur_sig);
				return r;
			}
		}
		if (!e->cursor_seen) {
			out("fail cursor: none received\n");
			return 1;
		}
		out("ok cursor %dx%d+%d+%d:%016llx\n", e->cur_w, e->cur_h,
		    e->cur_hx, e->cur_hy, (unsigned long long)e->cur_sig);
		return 0;
	}
	if (!strcmp(argv[0], "pos")) {
		out("ok pos %d %d\n", e->pos_x, e->pos_y);
		return 0;
	}
	if (!strcmp(argv[0], "wait-pos")) {
		ARGS(2);
		a[0] = atoi(argv[1]);
		a[1] = atoi(argv[2]);
		if ((r = cmd_wait(e, "wait-pos", done_pos, a, e->timeout_ms)))
			return r;
		out("ok pos %d %d\n", e->pos_x, e->pos_y);
		return 0;
	}
	if (!strcmp(argv[0], "pixel") || !strcmp(argv[0], "wait-pixel")) {
		ARGS(2);
		a[0] = atoi(argv[1]);
		a[1] = atoi(argv[2]);
		if (argv[0][0] == 'w') {
			ARGS(3);
			a[2] = (int)strtoul(argv[3], NULL, 16);
			if ((r = cmd_wait(e, "wait-pixel", done_pixel, a,
					  e->timeout_ms))) {
				if (a[0] < e->width && a[1] < e->height)
					out("fail pixel is %06x\n",
					    e->fb[(size_t)a[1] * e->width +
						  a[0]]);
				return r;
			}
		}
		if (a[0] < 0 || a[1] < 0 || a[0] >= e->width ||
		    a[1] >= e->height) {
			out("fail pixel outside %dx%d\n", e->width, e->height);
			return 1;
		}
		out("ok pixel %06x\n", e->fb[(size_t)a[1] * e->width + a[0]]);
		return 0;
	}
	if (!strcmp(argv[0], "confirmed")) {
		out("ok confirmed qemukey %d extmouse %d cu %d\n",
		    e->qemu_key_ok, e->ext_mouse_ok, e->cu_on);
		return 0;
	}
	if (!strcmp(argv[0], "sleep")) {
		ARGS(1);
		if (pump_until(e, done_never, NULL, atoi(argv[1])) ==
		    -ECONNRESET)
			goto closed;
		out("ok sleep\n");
		return 0;
	}
	if (!strcmp(argv[0], "stats")) {
		out("ok stats updates %lu bells %lu clip %lu cut %lu provided "
		    "%lu fences %lu eds %lu\n",
		    e->updates, e->bells, e->clip_count, e->cut_count,
		    e->provided, e->fences, e->eds_count);
		return 0;
	}
	if (!strcmp(argv[0], "quit")) {
		out("ok quit\n");
		return -1;
	}
	out("fail unknown command %s\n", argv[0]);
	return 2;
closed:
	out("fail %s: connection closed\n", argv[0]);
	return 3;
#undef ARGS
}

static int run(struct ext *e)
{
	struct tool_lines in = { .have = 0 };
	char line[sizeof(in.buf)];
	int status = 0;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = e->fd, .events = POLLIN },
		};

		while (tool_line_take(&in, line)) {
			int r = run_command(e, line);

			if (r < 0)
				return status;
			if (r == 3)
				return 3;
			if (r)
				status = 1;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 3;
		}
		if (pfd[1].revents && pump_one(e)) {
			fprintf(stderr, "rfb-ext: connection closed\n");
			return 3;
		}
		if (pfd[0].revents && !tool_lines_read(&in, 0))
			return status;
	}
}

static int parse_encodings(struct ext *e, const char *list)
{
	char buf[512], *t, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	e->nencs = 0;
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(enc_names) / sizeof(enc_names[0]); i++)
			if (!strcmp(t, enc_names[i].name))
				break;
		if (i == sizeof(enc_names) / sizeof(enc_names[0]) ||
		    e->nencs == 32)
			return -1;
		e->encs[e->nencs++] = enc_names[i].enc;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct ext e;
	const char *addr = NULL;
	int i;

	memset(&e, 0, sizeof(e));
	e.timeout_ms = EXT_DEFAULT_TIMEOUT_MS;
	e.led = -1;
	parse_encodings(&e, "raw,cursor,xcursor,pointerpos,eds,desktopsize,"
			    "lastrect,name,qemukey,qemuled,extmouse,fence,cu,"
			    "extclip");
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--encodings") && i + 1 < argc) {
			if (parse_encodings(&e, argv[++i])) {
				fprintf(stderr, "rfb-ext: bad encodings\n");
				return 2;
			}
		} else if (!strcmp(argv[i], "--cu")) {
			e.want_cu = true;
		} else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc) {
			e.timeout_ms = atoi(argv[++i]);
		} else if (argv[i][0] != '-' && !addr) {
			addr = argv[i];
		} else {
			fprintf(stderr, "usage: rfb-ext [--encodings LIST] "
					"[--cu] [--timeout-ms N] HOST:PORT\n");
			return 2;
		}
	}
	if (!addr)
		return 2;
	e.fd = tool_connect_to(addr);
	if (e.fd < 0 || handshake(&e)) {
		fprintf(stderr, "rfb-ext: cannot connect to %s\n", addr);
		return 3;
	}
	/* the first update answers the first request */
	{
		unsigned long one = 1;

		if (pump_until(&e, done_updates, &one, e.timeout_ms)) {
			out("fail no first update\n");
			return 3;
		}
	}
	out("ok connected %dx%d\n", e.width, e.height);
	return run(&e);
}
