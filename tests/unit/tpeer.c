/* SPDX-License-Identifier: MIT */
/*
 * The scripted viewer used by the socket-level unit suites. Everything
 * here that interprets server bytes is written from the spec, on purpose
 * independent of the server's own parsers and pixel translation: the
 * point is to catch the server saying something a viewer would not read.
 * It owns its socket and buffers, and a watch on the test's loop.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>

#include "sec-vncauth.h"
#include "tpeer.h"
#include "unit.h"

#define TPEER_READ_CHUNK 65536

/* ---- small helpers -------------------------------------------------------- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void wr16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void grow(uint8_t **buf, size_t *cap, size_t need)
{
	size_t c = *cap ? *cap : 4096;

	if (need <= *cap)
		return;
	while (c < need)
		c *= 2;
	*buf = realloc(*buf, c);
	ck_assert_ptr_nonnull(*buf);
	*cap = c;
}

static bool host_big_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 0;
}

/* ---- running the loop --------------------------------------------------- */

struct run_ctx {
	struct xrfb_loop *loop;
	bool (*cond)(void *arg);
	void *arg;
	bool timed_out;
	struct xrfb_timer *deadline;
};

static void on_run_prepare(void *arg)
{
	struct run_ctx *ctx = arg;

	if (ctx->cond(ctx->arg))
		xrfb_loop_stop(ctx->loop, 0);
}

static void on_run_deadline(void *arg)
{
	struct run_ctx *ctx = arg;

	ctx->deadline = NULL;
	ctx->timed_out = true;
	xrfb_loop_stop(ctx->loop, -ETIMEDOUT);
}

bool test_run_until(struct xrfb_loop *loop, bool (*cond)(void *arg),
		    void *arg)
{
	struct run_ctx ctx = { loop, cond, arg, false, NULL };

	if (cond(arg))
		return true;
	ctx.deadline = xrfb_loop_add_timer(loop, TPEER_DEADLINE_MS,
					   on_run_deadline, &ctx);
	xrfb_loop_add_prepare(loop, on_run_prepare, &ctx);
	xrfb_loop_run(loop);
	xrfb_loop_remove_prepare(loop, on_run_prepare, &ctx);
	xrfb_timer_cancel(ctx.deadline);
	return cond(arg);
}

/* ---- socket I/O ----------------------------------------------------------- */

static void on_peer_io(void *arg, int fd, uint32_t events);

static void update_watch(struct tpeer *p)
{
	uint32_t ev = 0;

	if (p->reading && !p->eof)
		ev |= XRFB_EV_IN;
	if (p->out_len && !p->error)
		ev |= XRFB_EV_OUT;
	if (!ev) {
		/* epoll reports HUP/ERR even with no events asked for: drop
		 * the watch rather than spin on them. */
		xrfb_watch_free(p->watch);
		p->watch = NULL;
		return;
	}
	if (!p->watch) {
		p->watch = xrfb_loop_watch_fd(p->loop, p->fd, ev, on_peer_io,
					      p);
		ck_assert_ptr_nonnull(p->watch);
	} else {
		xrfb_watch_set_events(p->watch, ev);
	}
}

static void write_some(struct tpeer *p)
{
	while (p->out_len && !p->error) {
		ssize_t n = send(p->fd, p->out, p->out_len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				p->error = errno;
			break;
		}
		memmove(p->out, p->out + n, p->out_len - (size_t)n);
		p->out_len -= (size_t)n;
	}
}

static void read_some(struct tpeer *p)
{
	for (int i = 0; i < 16 && !p->eof; i++) {
		ssize_t n;

		grow(&p->in, &p->in_cap, p->in_len + TPEER_READ_CHUNK);
		n = read(p->fd, p->in + p->in_len, TPEER_READ_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				p->error = errno;
				p->eof = true;
			}
			return;
		}
		if (n == 0) {
			p->eof = true;
			return;
		}
		p->in_len += (size_t)n;
		p->received += (size_t)n;
	}
}

static void on_peer_io(void *arg, int fd, uint32_t events)
{
	struct tpeer *p = arg;

	if (events & XRFB_EV_OUT)
		write_some(p);
	if (p->reading && (events & (XRFB_EV_IN | XRFB_EV_HUP | XRFB_EV_ERR)))
		read_some(p);
	update_watch(p);
}

static void tpeer_init(struct tpeer *p, struct xrfb_loop *loop, int fd)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->fd = fd;
	p->reading = true;
	ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
			 0);
	update_watch(p);
}

void tpeer_open_tcp(struct tpeer *p, struct xrfb_loop *loop, uint16_t port,
		    int rcvbuf)
{
	struct sockaddr_in sa = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	if (rcvbuf > 0)
		ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF,
					    &rcvbuf, sizeof(rcvbuf)), 0);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Blocking connect: the kernel completes it from the listen
	 * backlog without the server's loop running. */
	ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
		      "connect to port %u: %s", port, strerror(errno));
	tpeer_init(p, loop, fd);
}

void tpeer_open_fd(struct tpeer *p, struct xrfb_loop *loop, int fd)
{
	tpeer_init(p, loop, fd);
}

void tpeer_close(struct tpeer *p)
{
	xrfb_watch_free(p->watch);
	p->watch = NULL;
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	free(p->in);
	free(p->out);
	free(p->fb);
	p->in = p->out = NULL;
	p->fb = NULL;
}

void tpeer_set_reading(struct tpeer *p, bool reading)
{
	p->reading = reading;
	update_watch(p);
}

void tpeer_send(struct tpeer *p, const void *data, size_t len)
{
	grow(&p->out, &p->out_cap, p->out_len + len);
	memcpy(p->out + p->out_len, data, len);
	p->out_len += len;
	write_some(p);
	update_watch(p);
}

static bool flushed(void *arg)
{
	struct tpeer *p = arg;

	return !p->out_len || p->error;
}

void tpeer_flush(struct tpeer *p)
{
	ck_assert_msg(test_run_until(p->loop, flushed, p),
		      "peer could not write %zu bytes", p->out_len);
}

struct wait_ctx {
	struct tpeer *p;
	size_t n;
};

static bool have_bytes(void *arg)
{
	struct wait_ctx *w = arg;

	return w->p->in_len >= w->n || w->p->eof;
}

bool tpeer_wait(struct tpeer *p, size_t n)
{
	struct wait_ctx w = { p, n };

	test_run_until(p->loop, have_bytes, &w);
	return p->in_len >= n;
}

void tpeer_consume(struct tpeer *p, size_t n)
{
	ck_assert_uint_le(n, p->in_len);
	memmove(p->in, p->in + n, p->in_len - n);
	p->in_len -= n;
}

void tpeer_expect(struct tpeer *p, const void *bytes, size_t n)
{
	char want[200], got[200];

	if (!tpeer_wait(p, n))
		ck_abort_msg("expected %zu bytes [%s], got %zu [%s]%s", n,
			     unit_hex(want, sizeof(want), bytes, n), p->in_len,
			     unit_hex(got, sizeof(got), p->in, p->in_len),
			     p->eof ? " and EOF" : " and nothing more");
	ck_assert_msg(memcmp(p->in, bytes, n) == 0,
		      "expected [%s], got [%s]",
		      unit_hex(want, sizeof(want), bytes, n),
		      unit_hex(got, sizeof(got), p->in, n));
	tpeer_consume(p, n);
}

static bool at_eof(void *arg)
{
	struct tpeer *p = arg;

	return p->eof;
}

void tpeer_expect_eof(struct tpeer *p)
{
	char got[200];

	ck_assert_msg(test_run_until(p->loop, at_eof, p),
		      "server did not close the connection");
	ck_assert_msg(p->in_len == 0, "unexpected bytes before close: [%s]",
		      unit_hex(got, sizeof(got), p->in, p->in_len));
}

uint32_t tpeer_take_u32(struct tpeer *p)
{
	uint32_t v;

	ck_assert_msg(tpeer_wait(p, 4), "no U32 from the server");
	v = rd32(p->in);
	tpeer_consume(p, 4);
	return v;
}

/* ---- handshake ---------------------------------------------------------- */

void tpeer_pf_parse(struct tpeer_pf *pf, const uint8_t w[16])
{
	pf->bpp = w[0];
	pf->big_endian = w[2] != 0;
	pf->true_colour = w[3] != 0;
	for (int i = 0; i < 3; i++) {
		pf->max[i] = rd16(w + 4 + 2 * i);
		pf->shift[i] = w[10 + i];
	}
}

void tpeer_read_server_init(struct tpeer *p)
{
	/* The server's natural format: XRGB8888 in host order. */
	const uint8_t server_pf[16] = { 32, 24, host_big_endian(), 1, 0, 255,
					0, 255, 0, 255, 16, 8, 0, 0, 0, 0 };
	uint32_t name_len;
	char hex[100];

	ck_assert_msg(tpeer_wait(p, 24), "no ServerInit (%zu bytes%s)",
		      p->in_len, p->eof ? ", EOF" : "");
	p->width = rd16(p->in);
	p->height = rd16(p->in + 2);
	memcpy(p->server_pf, p->in + 4, 16);
	ck_assert_msg(memcmp(p->server_pf, server_pf, 16) == 0,
		      "ServerInit pixel format [%s]",
		      unit_hex(hex, sizeof(hex), p->server_pf, 16));
	name_len = rd32(p->in + 20);
	ck_assert_uint_lt(name_len, sizeof(p->name));
	ck_assert_msg(tpeer_wait(p, 24 + name_len), "ServerInit name cut");
	memcpy(p->name, p->in + 24, name_len);
	p->name[name_len] = '\0';
	tpeer_consume(p, 24 + name_len);
	tpeer_pf_parse(&p->pf, p->server_pf);
	free(p->fb);
	p->fb = calloc((size_t)p->width * (size_t)p->height + 1,
		       sizeof(uint32_t));
	ck_assert_ptr_nonnull(p->fb);
}

void tpeer_handshake(struct tpeer *p, int minor, const char *password,
		     bool shared)
{
	char version[13];

	snprintf(version, sizeof(version), "RFB 003.%03d\n", minor);
	tpeer_handshake_as(p, version, minor, password, shared);
}

void tpeer_handshake_as(struct tpeer *p, const char *version, int minor,
			const char *password, bool shared)
{
	uint8_t type = password ? 2 : 1, b;

	tpeer_expect(p, "RFB 003.008\n", 12);
	tpeer_send(p, version, 12);
	p->minor = minor;
	if (minor == 3) {
		ck_assert_uint_eq(tpeer_take_u32(p), type);
	} else {
		const uint8_t list[2] = { 1, type };

		tpeer_expect(p, list, 2);
		tpeer_send(p, &type, 1);
	}
	if (password) {
		uint8_t resp[16];

		ck_assert(tpeer_wait(p, 16));
		vncauth_response(password, p->in, resp);
		tpeer_consume(p, 16);
		tpeer_send(p, resp, 16);
		ck_assert_uint_eq(tpeer_take_u32(p), 0);
	} else if (minor >= 8) {
		ck_assert_uint_eq(tpeer_take_u32(p), 0);
	}
	b = shared;
	tpeer_send(p, &b, 1);
	tpeer_read_server_init(p);
}

/* ---- client messages ------------------------------------------------------ */

void tpeer_set_encodings(struct tpeer *p, const int32_t *enc, int n)
{
	uint8_t *m = calloc(1, 4 + 4 * (size_t)n);

	ck_assert_ptr_nonnull(m);
	m[0] = 2;
	wr16(m + 2, (unsigned)n);
	for (int i = 0; i < n; i++)
		wr32(m + 4 + 4 * i, (uint32_t)enc[i]);
	tpeer_send(p, m, 4 + 4 * (size_t)n);
	free(m);
}

void tpeer_set_pixel_format(struct tpeer *p, const struct tpeer_pf *pf,
			    int depth)
{
	uint8_t m[20] = { 0 };

	m[4] = (uint8_t)pf->bpp;
	m[5] = (uint8_t)depth;
	m[6] = pf->big_endian;
	m[7] = pf->true_colour;
	for (int i = 0; i < 3; i++) {
		wr16(m + 8 + 2 * i, pf->max[i]);
		m[14 + i] = (uint8_t)pf->shift[i];
	}
	tpeer_send(p, m, sizeof(m));
	p->pf = *pf;
}

void tpeer_request(struct tpeer *p, bool incremental, int x, int y, int w,
		   int h)
{
	uint8_t m[10] = { 3, incremental };

	wr16(m + 2, (unsigned)x);
	wr16(m + 4, (unsigned)y);
	wr16(m + 6, (unsigned)w);
	wr16(m + 8, (unsigned)h);
	tpeer_send(p, m, sizeof(m));
}

/* ---- server messages -------------------------------------------------------- */

uint32_t tpeer_pf_decode(const struct tpeer_pf *pf,
			 const uint16_t (*map)[3], const uint8_t *b)
{
	uint32_t v = 0, out = 0;
	int bytes = pf->bpp / 8;

	for (int i = 0; i < bytes; i++) {
		int k = pf->big_endian || bytes == 1 ? i : bytes - 1 - i;
		v = v << 8 | b[k];
	}
	if (!pf->true_colour)
		return (uint32_t)(map[v & 255][0] >> 8) << 16 |
		       (uint32_t)(map[v & 255][1] >> 8) << 8 |
		       (uint32_t)(map[v & 255][2] >> 8);
	for (int c = 0; c < 3; c++) {
		uint32_t max = pf->max[c], ch = (v >> pf->shift[c]) & max;
		out = out << 8 | (max ? (ch * 255 + max / 2) / max : 0);
	}
	return out;
}

static void add_rect(struct tpeer_msg *m, const struct tpeer_rect *r)
{
	m->rects = realloc(m->rects, (m->nrects + 1) * sizeof(*m->rects));
	ck_assert_ptr_nonnull(m->rects);
	m->rects[m->nrects++] = *r;
}

static void resize_model(struct tpeer *p, int w, int h)
{
	ck_assert_int_gt(w, 0);
	ck_assert_int_gt(h, 0);
	free(p->fb);
	p->width = w;
	p->height = h;
	p->fb = calloc((size_t)w * (size_t)h, sizeof(uint32_t));
	ck_assert_ptr_nonnull(p->fb);
}

static void check_inside(const struct tpeer *p, int x, int y, int w, int h,
			 const char *what)
{
	ck_assert_msg(w > 0 && h > 0 && x + w <= p->width &&
			      y + h <= p->height,
		      "%s %dx%d at %d,%d outside the %dx%d framebuffer", what,
		      w, h, x, y, p->width, p->height);
}

static void apply_raw(struct tpeer *p, const struct tpeer_rect *r,
		      const uint8_t *d)
{
	int bytes = p->pf.bpp / 8;

	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++, d += bytes)
			p->fb[(size_t)(r->y + y) * (size_t)p->width + r->x +
			      x] = tpeer_pf_decode(&p->pf, p->cmap, d);
}

static void apply_copy(struct tpeer *p, const struct tpeer_rect *r)
{
	size_t n = (size_t)r->w * (size_t)r->h, i = 0;
	uint32_t *tmp = malloc(n * sizeof(*tmp));

	/* Copy through a temporary: the result of one CopyRect is defined
	 * as if read completely before being written. */
	ck_assert_ptr_nonnull(tmp);
	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++)
			tmp[i++] = p->fb[(size_t)(r->src_y + y) * p->width +
					 r->src_x + x];
	i = 0;
	for (int y = 0; y < r->h; y++)
		for (int x = 0; x < r->w; x++)
			p->fb[(size_t)(r->y + y) * p->width + r->x + x] =
				tmp[i++];
	free(tmp);
}

/* Length of the update at @d if complete (0 if not), rectangles decoded
 * into @m. Nothing is applied here. */
static size_t update_len(const struct tpeer *p, const uint8_t *d, size_t len,
			 struct tpeer_msg *m)
{
	size_t off = 4;
	unsigned n;
	int bytes = p->pf.bpp / 8;

	if (len < 4)
		return 0;
	n = rd16(d + 2);
	m->nrects = 0;
	for (unsigned i = 0; i < n; i++) {
		struct tpeer_rect r = { 0 };
		size_t need;

		if (len < off + 12)
			return 0;
		r.x = rd16(d + off);
		r.y = rd16(d + off + 2);
		r.w = rd16(d + off + 4);
		r.h = rd16(d + off + 6);
		r.enc = (int32_t)rd32(d + off + 8);
		off += 12;
		switch (r.enc) {
		case 0:
			need = (size_t)r.w * (size_t)r.h * (size_t)bytes;
			break;
		case 1:
			need = 4;
			if (len >= off + 4) {
				r.src_x = rd16(d + off);
				r.src_y = rd16(d + off + 2);
			}
			break;
		case 6:		/* Zlib, ZRLE: a length, then data this */
		case 16:	/* viewer counts but does not decode */
			if (len < off + 4)
				return 0;
			need = 4 + rd32(d + off);
			break;
		case 50:	/* H.264: a length, flags, then data */
			if (len < off + 8)
				return 0;
			need = 8 + rd32(d + off);
			break;
		case -223:	/* DesktopSize */
		case -224:	/* LastRect */
		case -232:	/* PointerPos */
		case -258:	/* QEMU Extended Key Event confirmation */
		case -316:	/* ExtendedMouseButtons confirmation */
			need = 0;
			break;
		case -261:	/* QEMU LED state */
			need = 1;
			break;
		case -239:	/* Cursor: pixels, then a bitmask */
			need = (size_t)r.w * r.h * bytes +
			       (size_t)((r.w + 7) / 8) * r.h;
			break;
		case -240:	/* XCursor: two colours, two bitmasks */
			need = r.w && r.h ? 6 + 2 * (size_t)((r.w + 7) / 8) * r.h
					  : 0;
			break;
		case -308:	/* ExtendedDesktopSize */
			if (len < off + 4)
				return 0;
			need = 4 + 16 * (size_t)d[off];
			break;
		case -307:	/* DesktopName */
			if (len < off + 4)
				return 0;
			need = 4 + rd32(d + off);
			break;
		default:
			ck_abort_msg("update rect with encoding %d, which this "
				     "viewer did not ask for", r.enc);
			return 0;
		}
		if (len < off + need)
			return 0;
		r.data_off = off;
		r.data_len = need;
		off += need;
		add_rect(m, &r);
		if (r.enc == -224)
			break;
	}
	return off;
}

static size_t msg_len(const struct tpeer *p, const uint8_t *d, size_t len,
		      struct tpeer_msg *m)
{
	if (len < 1)
		return 0;
	switch (d[0]) {
	case 0:
		return update_len(p, d, len, m);
	case 1:
		return len >= 6 && len >= 6 + 6 * (size_t)rd16(d + 4)
			       ? 6 + 6 * (size_t)rd16(d + 4)
			       : 0;
	case 2:
		return 1;
	case 3: {
		/* Extended Clipboard: a negative S32 length. */
		int32_t n = len >= 8 ? (int32_t)rd32(d + 4) : 0;
		size_t body = n < 0 ? (size_t)-(int64_t)n : (size_t)n;

		return len >= 8 && len >= 8 + body ? 8 + body : 0;
	}
	case 150:	/* EndOfContinuousUpdates */
		return 1;
	case 248:	/* ServerFence */
		return len >= 9 && len >= 9 + (size_t)d[8] ? 9 + (size_t)d[8]
							   : 0;
	default:
		ck_abort_msg("unknown server message type %u", d[0]);
		return 0;
	}
}

struct msg_ctx {
	struct tpeer *p;
	struct tpeer_msg *m;
	size_t len;
};

static bool have_msg(void *arg)
{
	struct msg_ctx *c = arg;

	c->len = msg_len(c->p, c->p->in, c->p->in_len, c->m);
	return c->len > 0 || c->p->eof;
}

static void apply_update(struct tpeer *p, struct tpeer_msg *m)
{
	for (unsigned i = 0; i < m->nrects; i++) {
		struct tpeer_rect *r = &m->rects[i];
		const uint8_t *d = m->data + r->data_off;

		switch (r->enc) {
		case 0:
			check_inside(p, r->x, r->y, r->w, r->h, "Raw rect");
			apply_raw(p, r, d);
			break;
		case 1:
			check_inside(p, r->x, r->y, r->w, r->h, "CopyRect");
			check_inside(p, r->src_x, r->src_y, r->w, r->h,
				     "CopyRect source");
			apply_copy(p, r);
			break;
		case -223:
			/* A size change is never mixed with pixel data. */
			ck_assert_uint_eq(m->nrects, 1);
			resize_model(p, r->w, r->h);
			break;
		case -308:
			ck_assert_uint_eq(m->nrects, 1);
			ck_assert_uint_ge(d[0], 1);
			if (r->x != 1)	/* not a refused client request */
				resize_model(p, r->w, r->h);
			break;
		default:
			break;
		}
	}
}

void tpeer_next_msg(struct tpeer *p, struct tpeer_msg *m)
{
	struct msg_ctx c = { p, m, 0 };
	char got[200];

	memset(m, 0, sizeof(*m));
	test_run_until(p->loop, have_msg, &c);
	if (!c.len)
		ck_abort_msg("no complete server message: %zu bytes [%s]%s",
			     p->in_len, unit_hex(got, sizeof(got), p->in,
						 p->in_len),
			     p->eof ? " then EOF" : "");
	m->type = p->in[0];
	m->len = c.len;
	m->data = malloc(c.len);
	ck_assert_ptr_nonnull(m->data);
	memcpy(m->data, p->in, c.len);
	tpeer_consume(p, c.len);
	if (m->type == 0) {
		apply_update(p, m);
	} else if (m->type == 1) {
		unsigned first = rd16(m->data + 2), n = rd16(m->data + 4);

		ck_assert_uint_le(first + n, 256);
		for (unsigned i = 0; i < n; i++)
			for (int c3 = 0; c3 < 3; c3++)
				p->cmap[first + i][c3] =
					rd16(m->data + 6 + 6 * i + 2 * c3);
		p->colour_map_seen = true;
	}
}

void tpeer_next_update(struct tpeer *p, struct tpeer_msg *m)
{
	tpeer_next_msg(p, m);
	ck_assert_msg(m->type == 0, "expected FramebufferUpdate, got type %u",
		      m->type);
}

void tpeer_msg_fini(struct tpeer_msg *m)
{
	free(m->data);
	free(m->rects);
	memset(m, 0, sizeof(*m));
}

unsigned tpeer_count_enc(const struct tpeer_msg *m, int32_t enc)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->nrects; i++)
		n += m->rects[i].enc == enc;
	return n;
}

bool tpeer_model_matches(const struct tpeer *p, const struct xrfb_server *s,
			 int *x, int *y)
{
	size_t stride;
	const uint32_t *px = xrfb_server_pixels(s, &stride);

	ck_assert_int_eq(p->width, xrfb_server_width(s));
	ck_assert_int_eq(p->height, xrfb_server_height(s));
	for (int j = 0; j < p->height; j++) {
		const uint32_t *row =
			(const uint32_t *)((const uint8_t *)px + j * stride);
		for (int i = 0; i < p->width; i++)
			if ((row[i] & 0xffffff) !=
			    p->fb[(size_t)j * p->width + i]) {
				*x = i;
				*y = j;
				return false;
			}
	}
	return true;
}
