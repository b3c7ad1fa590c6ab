/* SPDX-License-Identifier: MIT */
/*
 * client: the handshake and message dispatch of one connection, checked
 * byte for byte from the viewer's side of a real socket (TCP through the
 * server's own listener, or a socketpair handed to client_new()). Every
 * protocol version a viewer may answer with, security None and VNC
 * Authentication with right and wrong passwords, wrong security choices,
 * ServerInit, the whole exchange fed one byte at a time, shared-flag
 * policies, input callbacks, pixel formats on the wire, and messages the
 * server never offered.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "client.h"
#include "rfb-proto.h"
#include "sec-vncauth.h"
#include "server.h"
#include "tpeer.h"
#include "unit.h"

#define MAX_EVENTS 64

struct events {
	int ready, gone;
	struct xrfb_client *last_ready, *last_gone;
	int nkeys;
	struct {
		bool down;
		uint32_t sym;
	} keys[MAX_EVENTS];
	int nptr;
	struct {
		uint16_t x, y;
		uint32_t buttons;
	} ptr[MAX_EVENTS];
	int ncut;
	char cut[256];
	size_t cut_len;
	int ncodes;
	struct {
		bool down;
		uint32_t sym, code;
	} codes[MAX_EVENTS];
	struct xrfb_server *s;
	int nresize;
	uint16_t resize_w, resize_h;
	unsigned resize_n;
	struct xrfb_screen resize_sc[4];
};

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	uint16_t port;
	struct events ev;
};

static void on_key(void *arg, struct xrfb_client *c, bool down, uint32_t sym)
{
	struct events *e = arg;

	ck_assert_int_lt(e->nkeys, MAX_EVENTS);
	e->keys[e->nkeys].down = down;
	e->keys[e->nkeys++].sym = sym;
}

static void on_pointer(void *arg, struct xrfb_client *c, uint16_t x,
		       uint16_t y, uint32_t buttons)
{
	struct events *e = arg;

	ck_assert_int_lt(e->nptr, MAX_EVENTS);
	e->ptr[e->nptr].x = x;
	e->ptr[e->nptr].y = y;
	e->ptr[e->nptr++].buttons = buttons;
}

static void on_cut(void *arg, struct xrfb_client *c, const char *text,
		   size_t len)
{
	struct events *e = arg;

	ck_assert_uint_lt(len, sizeof(e->cut));
	e->ncut++;
	memcpy(e->cut, text, len);
	e->cut_len = len;
}

static void on_ready(void *arg, struct xrfb_client *c)
{
	struct events *e = arg;

	e->ready++;
	e->last_ready = c;
}

static void on_gone(void *arg, struct xrfb_client *c)
{
	struct events *e = arg;

	e->gone++;
	e->last_gone = c;
}

static void on_key_code(void *arg, struct xrfb_client *c, bool down,
			uint32_t sym, uint32_t code)
{
	struct events *e = arg;

	ck_assert_int_lt(e->ncodes, MAX_EVENTS);
	e->codes[e->ncodes].down = down;
	e->codes[e->ncodes].sym = sym;
	e->codes[e->ncodes++].code = code;
}

/* Layouts up to 500x500 are carried out at once; larger ones refused. */
static enum xrfb_resize_status on_resize(void *arg, struct xrfb_client *c,
					 uint16_t w, uint16_t h,
					 const struct xrfb_screen *sc,
					 unsigned n)
{
	struct events *e = arg;

	e->nresize++;
	e->resize_w = w;
	e->resize_h = h;
	e->resize_n = n;
	memcpy(e->resize_sc, sc, (n < 4 ? n : 4) * sizeof(*sc));
	if (w > 500 || h > 500)
		return XRFB_RESIZE_NO_RESOURCES;
	ck_assert_int_eq(xrfb_server_resize(e->s, w, h), 0);
	ck_assert_int_eq(xrfb_server_set_screens(e->s, sc, n), 0);
	return XRFB_RESIZE_OK;
}

static void set_events(struct xrfb_server *s, struct events *ev)
{
	xrfb_server_on_key(s, on_key, ev);
	xrfb_server_on_pointer(s, on_pointer, ev);
	xrfb_server_on_cut_text(s, on_cut, ev);
	xrfb_server_on_key_code(s, on_key_code, ev);
	xrfb_server_on_resize_request(s, on_resize, ev);
	xrfb_server_on_client_ready(s, on_ready, ev);
	xrfb_server_on_client_gone(s, on_gone, ev);
}

/* Without the optional events: QEMU keys go to the key event, layouts
 * are refused. */
static void set_basic_events(struct xrfb_server *s)
{
	xrfb_server_on_cut_text(s, NULL, NULL);
	xrfb_server_on_key_code(s, NULL, NULL);
	xrfb_server_on_resize_request(s, NULL, NULL);
}

static void env_start(struct env *e, int w, int h, const char *password)
{
	memset(e, 0, sizeof(*e));
	e->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(e->loop);
	e->s = xrfb_server_new(e->loop, (uint16_t)w, (uint16_t)h);
	ck_assert_ptr_nonnull(e->s);
	set_events(e->s, &e->ev);
	e->ev.s = e->s;
	ck_assert_int_eq(xrfb_server_set_password(e->s, password), 0);
	ck_assert_int_eq(xrfb_server_listen(e->s, "127.0.0.1", 0), 0);
	e->port = xrfb_server_port(e->s);
	ck_assert_uint_ne(e->port, 0);
}

static void env_stop(struct env *e)
{
	xrfb_server_free(e->s);
	xrfb_loop_free(e->loop);
}

/* A pattern so that every pixel differs from its neighbours. */
static void paint(struct env *e, uint32_t seed)
{
	int w = xrfb_server_width(e->s), h = xrfb_server_height(e->s);
	uint32_t *img = malloc((size_t)w * h * 4);

	ck_assert_ptr_nonnull(img);
	for (int i = 0; i < w * h; i++)
		img[i] = ((uint32_t)i * 2654435761u + seed) & 0xffffff;
	xrfb_server_update(e->s, img, (size_t)w * 4, 0, 0, w, h);
	free(img);
}

/* ---- ProtocolVersion ------------------------------------------------------- */

struct version_case {
	const char *text;
	int minor;		/* what the server must take it as; 0: refuse */
};

static const struct version_case versions[] = {
	{ "RFB 003.003\n", 3 }, { "RFB 003.007\n", 7 },
	{ "RFB 003.008\n", 8 }, { "RFB 003.005\n", 3 },
	{ "RFB 003.004\n", 3 }, { "RFB 003.006\n", 3 },
	{ "RFB 003.014\n", 8 }, { "RFB 003.016\n", 8 },
	{ "RFB 003.889\n", 8 }, { "RFB 004.000\n", 8 },
	{ "RFB 004.001\n", 8 }, { "RFB 005.000\n", 8 },
	{ "RFB 002.000\n", 0 }, { "RFB 003.00x\n", 0 },
	{ "HTTP/1.1 200", 0 },  { "RFB 003.008\r", 0 },
	{ "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\x00", 0 },
};
#define NVERSIONS ((int)(sizeof(versions) / sizeof(versions[0])))

START_TEST(test_version)
{
	const struct version_case *v = &versions[_i];
	struct env e;
	struct tpeer p;

	env_start(&e, 64, 32, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	if (v->minor) {
		tpeer_handshake_as(&p, v->text, v->minor, NULL, true);
		ck_assert_int_eq(p.width, 64);
		ck_assert_int_eq(p.height, 32);
		ck_assert_int_eq(e.ev.ready, 1);
		ck_assert_uint_eq(xrfb_server_client_count(e.s), 1);
	} else {
		uint32_t n;

		tpeer_expect(&p, "RFB 003.008\n", 12);
		tpeer_send(&p, v->text, 12);
		/* The 3.3 failure form: type 0 (invalid), a reason. */
		ck_assert_uint_eq(tpeer_take_u32(&p), 0);
		n = tpeer_take_u32(&p);
		ck_assert_uint_gt(n, 0);
		ck_assert_uint_lt(n, 200);
		ck_assert(tpeer_wait(&p, n));
		for (uint32_t i = 0; i < n; i++)
			ck_assert(p.in[i] >= 0x20 && p.in[i] < 0x7f);
		tpeer_consume(&p, n);
		tpeer_expect_eof(&p);
		ck_assert_int_eq(e.ev.ready, 0);
		ck_assert_uint_eq(xrfb_server_client_count(e.s), 0);
	}
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- security types ------------------------------------------------------------ */

struct sec_case {
	int minor;
	const char *server_pw;	/* NULL: security None */
	const char *client_pw;	/* what the viewer answers with */
	bool ok;
};

static const struct sec_case secs[] = {
	{ 3, NULL, NULL, true },
	{ 7, NULL, NULL, true },
	{ 8, NULL, NULL, true },
	{ 3, "s3cret!", "s3cret!", true },
	{ 7, "s3cret!", "s3cret!", true },
	{ 8, "s3cret!", "s3cret!", true },
	{ 8, "longpassword", "longpass", true },	/* 8 bytes count */
	{ 3, "s3cret!", "wrong", false },
	{ 7, "s3cret!", "wrong", false },
	{ 8, "s3cret!", "wrong", false },
	{ 8, "s3cret!", "s3cret", false },
	{ 8, "s3cret!", "", false },
};
#define NSECS ((int)(sizeof(secs) / sizeof(secs[0])))

START_TEST(test_security)
{
	const struct sec_case *c = &secs[_i];
	uint8_t type = c->server_pw ? RFB_SEC_VNC_AUTH : RFB_SEC_NONE;
	char version[13];
	struct env e;
	struct tpeer p;

	env_start(&e, 40, 30, c->server_pw);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	if (c->ok) {
		tpeer_handshake(&p, c->minor, c->client_pw, false);
		ck_assert_int_eq(e.ev.ready, 1);
		goto out;
	}
	snprintf(version, sizeof(version), "RFB 003.%03d\n", c->minor);
	tpeer_expect(&p, "RFB 003.008\n", 12);
	tpeer_send(&p, version, 12);
	if (c->minor == 3) {
		ck_assert_uint_eq(tpeer_take_u32(&p), type);
	} else {
		const uint8_t list[2] = { 1, type };

		tpeer_expect(&p, list, 2);
		tpeer_send(&p, &type, 1);
	}
	{
		uint8_t resp[17];

		ck_assert(tpeer_wait(&p, 16));
		vncauth_response(c->client_pw, p.in, resp);
		tpeer_consume(&p, 16);
		/* A ClientInit right behind must be ignored. */
		resp[16] = 1;
		tpeer_send(&p, resp, 17);
	}
	ck_assert_uint_eq(tpeer_take_u32(&p), RFB_SEC_RESULT_FAILED);
	if (c->minor >= 8) {
		/* Only 3.8 carries a reason (RFC 6143 §7.1.3). */
		uint32_t n = tpeer_take_u32(&p);

		ck_assert_uint_gt(n, 0);
		ck_assert_uint_lt(n, 200);
		ck_assert(tpeer_wait(&p, n));
		for (uint32_t i = 0; i < n; i++)
			ck_assert(p.in[i] >= 0x20 && p.in[i] < 0x7f);
		tpeer_consume(&p, n);
	}
	tpeer_expect_eof(&p);
	ck_assert_int_eq(e.ev.ready, 0);
	ck_assert_int_eq(e.ev.gone, 0);
out:
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

struct choice_case {
	int minor;
	const char *server_pw;
	uint8_t choice;
};

static const struct choice_case choices[] = {
	{ 7, NULL, 2 },	     { 8, NULL, 2 },	  { 8, NULL, 0 },
	{ 8, NULL, 16 },     { 7, "pw", 1 },	  { 8, "pw", 1 },
	{ 8, "pw", 0 },	     { 8, "pw", 19 },	  { 8, "pw", 255 },
};
#define NCHOICES ((int)(sizeof(choices) / sizeof(choices[0])))

/* A type the server did not offer is answered with SecurityResult
 * "failed", with a reason in 3.8 (RFC 6143 §7.1.3), then the server
 * closes the connection. */
START_TEST(test_security_choice)
{
	static const uint8_t failed[] = { 0, 0, 0, 1 };
	static const char reason[] = "\0\0\0\x19Security type not offered";
	const struct choice_case *c = &choices[_i];
	uint8_t list[2] = { 1, c->server_pw ? 2 : 1 };
	char version[13];
	struct env e;
	struct tpeer p;

	env_start(&e, 40, 30, c->server_pw);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	snprintf(version, sizeof(version), "RFB 003.%03d\n", c->minor);
	tpeer_expect(&p, "RFB 003.008\n", 12);
	tpeer_send(&p, version, 12);
	tpeer_expect(&p, list, 2);
	tpeer_send(&p, &c->choice, 1);
	tpeer_expect(&p, failed, sizeof(failed));
	if (c->minor == 8)
		tpeer_expect(&p, reason, sizeof(reason) - 1);
	tpeer_expect_eof(&p);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- ServerInit ------------------------------------------------------------------- */

START_TEST(test_server_init)
{
	const char *name = "T\xc3\xabst desk \xe2\x98\x83";
	struct env e;
	struct tpeer p, q;

	env_start(&e, 321, 123, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	/* Every field checked by tpeer_read_server_init(); the rest: */
	ck_assert_int_eq(p.width, 321);
	ck_assert_int_eq(p.height, 123);
	ck_assert_str_eq(p.name, "xrfb");

	ck_assert_int_eq(xrfb_server_set_desktop_name(e.s, name), 0);
	tpeer_open_tcp(&q, e.loop, e.port, 0);
	tpeer_handshake(&q, 3, NULL, true);
	ck_assert_str_eq(q.name, name);
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 2);
	ck_assert_int_eq(e.ev.ready, 2);
	tpeer_close(&p);
	tpeer_close(&q);
	env_stop(&e);
}
END_TEST

/* ---- one byte at a time ------------------------------------------------------------ */

struct drain_ctx {
	int server_fd;
};

static bool server_read_all(void *arg)
{
	struct drain_ctx *d = arg;
	int n = -1;

	ck_assert_int_eq(ioctl(d->server_fd, FIONREAD, &n), 0);
	return n == 0;
}

static size_t server_output(struct tpeer *p)
{
	int n = 0;

	ck_assert_int_eq(ioctl(p->fd, FIONREAD, &n), 0);
	return p->received + (size_t)n;
}

/* Feed @len bytes one at a time, letting the server read each: nothing
 * may come back before the last one. */
static void send_bytewise(struct tpeer *p, int server_fd, const void *data,
			  size_t len)
{
	const uint8_t *d = data;
	struct drain_ctx dc = { server_fd };

	for (size_t i = 0; i < len; i++) {
		size_t before = server_output(p);

		tpeer_send(p, d + i, 1);
		tpeer_flush(p);
		ck_assert(test_run_until(p->loop, server_read_all, &dc));
		if (i + 1 < len)
			ck_assert_msg(server_output(p) == before,
				      "server answered after %zu of %zu bytes",
				      i + 1, len);
	}
}

struct bytewise_case {
	int minor;
	const char *password;
};

static const struct bytewise_case bytewise[] = {
	{ 3, NULL }, { 7, NULL }, { 8, NULL },
	{ 3, "pw" }, { 7, "pw" }, { 8, "pw" },
};

START_TEST(test_bytewise)
{
	const struct bytewise_case *c = &bytewise[_i];
	uint8_t type = c->password ? 2 : 1;
	const uint8_t fbur[10] = { 3, 0, 0, 0, 0, 0, 0, 12, 0, 7 };
	uint8_t setenc[12] = { 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t key[8] = { 4, 1, 0, 0, 0, 0, 0xff, 0x0d };
	char version[13];
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	int sv[2], x, y;

	env_start(&e, 12, 7, c->password);
	paint(&e, 5);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						     SOCK_CLOEXEC,
				    0, sv),
			 0);
	ck_assert_ptr_nonnull(client_new(e.s, sv[0], "socketpair"));
	tpeer_open_fd(&p, e.loop, sv[1]);

	tpeer_expect(&p, "RFB 003.008\n", 12);
	snprintf(version, sizeof(version), "RFB 003.%03d\n", c->minor);
	send_bytewise(&p, sv[0], version, 12);
	if (c->minor == 3) {
		ck_assert_uint_eq(tpeer_take_u32(&p), type);
	} else {
		const uint8_t list[2] = { 1, type };

		tpeer_expect(&p, list, 2);
		send_bytewise(&p, sv[0], &type, 1);
	}
	if (c->password) {
		uint8_t resp[16];

		ck_assert(tpeer_wait(&p, 16));
		vncauth_response(c->password, p.in, resp);
		tpeer_consume(&p, 16);
		send_bytewise(&p, sv[0], resp, 16);
	}
	if (c->password || c->minor == 8)
		ck_assert_uint_eq(tpeer_take_u32(&p), 0);
	send_bytewise(&p, sv[0], "\1", 1);
	tpeer_read_server_init(&p);
	ck_assert_int_eq(e.ev.ready, 1);

	send_bytewise(&p, sv[0], setenc, sizeof(setenc));
	send_bytewise(&p, sv[0], key, sizeof(key));
	ck_assert_int_eq(e.ev.nkeys, 1);
	ck_assert(e.ev.keys[0].down);
	ck_assert_uint_eq(e.ev.keys[0].sym, 0xff0d);
	send_bytewise(&p, sv[0], fbur, sizeof(fbur));
	tpeer_next_update(&p, &m);
	ck_assert(tpeer_model_matches(&p, e.s, &x, &y));
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Everything up to the first update in one write (as noVNC sends its
 * post-ServerInit burst): answered in order. */
START_TEST(test_pipelined)
{
	uint8_t burst[12 + 1 + 1 + 20 + 8 + 10] = "RFB 003.008\n";
	uint8_t *b = burst + 12;
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	struct tpeer_pf rgbx = { 32, false, true, { 255, 255, 255 },
				 { 0, 8, 16 } };
	int x, y;

	env_start(&e, 20, 10, NULL);
	paint(&e, 9);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	*b++ = 1;		/* security None */
	*b++ = 1;		/* shared */
	*b++ = 0;		/* SetPixelFormat: noVNC's RGBX */
	b += 3;
	memcpy(b, (const uint8_t[16]){ 32, 24, 0, 1, 0, 255, 0, 255, 0, 255,
				       0, 8, 16 },
	       16);
	b += 16;
	memcpy(b, (const uint8_t[8]){ 2, 0, 0, 1, 0, 0, 0, 0 }, 8);
	b += 8;
	memcpy(b, (const uint8_t[10]){ 3, 0, 0, 0, 0, 0, 0, 20, 0, 10 }, 10);
	tpeer_send(&p, burst, sizeof(burst));
	tpeer_expect(&p, "RFB 003.008\n", 12);
	tpeer_expect(&p, "\1\1", 2);
	tpeer_expect(&p, "\0\0\0\0", 4);
	tpeer_read_server_init(&p);
	p.pf = rgbx;
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(m.nrects, 1);
	ck_assert_int_eq(m.rects[0].enc, RFB_ENC_RAW);
	/* R G B x on the wire. */
	{
		size_t stride;
		const uint32_t *px = xrfb_server_pixels(e.s, &stride);
		const uint8_t *d = m.data + m.rects[0].data_off;

		ck_assert_uint_eq(d[0], (px[0] >> 16) & 255);
		ck_assert_uint_eq(d[1], (px[0] >> 8) & 255);
		ck_assert_uint_eq(d[2], px[0] & 255);
		ck_assert_uint_eq(d[3], 0);
	}
	ck_assert(tpeer_model_matches(&p, e.s, &x, &y));
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Dropping the connection at every stage frees the client. */
START_TEST(test_early_close)
{
	struct env e;
	static const int stages = 5;

	env_start(&e, 16, 16, _i % 2 ? "pw" : NULL);
	for (int stage = 0; stage < stages; stage++) {
		struct tpeer p;

		tpeer_open_tcp(&p, e.loop, e.port, 0);
		tpeer_expect(&p, "RFB 003.008\n", 12);
		if (stage >= 1)
			tpeer_send(&p, "RFB 003.008\n", 12);
		if (stage >= 2) {
			tpeer_expect(&p, _i % 2 ? "\1\2" : "\1\1", 2);
			tpeer_send(&p, _i % 2 ? "\2" : "\1", 1);
		}
		if (stage >= 3)
			tpeer_send(&p, "partial", 7);
		tpeer_flush(&p);
		tpeer_close(&p);
	}
	/* The server goes on serving new viewers; whatever it has not
	 * reaped yet is freed with it (ASan checks for leaks). */
	{
		struct tpeer probe;

		tpeer_open_tcp(&probe, e.loop, e.port, 0);
		tpeer_handshake(&probe, 8, _i % 2 ? "pw" : NULL, true);
		tpeer_close(&probe);
	}
	env_stop(&e);
}
END_TEST

/* ---- shared flag ----------------------------------------------------------------- */

static void expect_bell(struct tpeer *p)
{
	tpeer_expect(p, "\2", 1);
}

START_TEST(test_shared_policy)
{
	static const enum xrfb_shared_policy policies[] = {
		XRFB_SHARED_ALLOW, XRFB_SHARED_ALWAYS, XRFB_SHARED_NEVER
	};
	enum xrfb_shared_policy pol = policies[_i];
	struct env e;
	struct tpeer a, b, c;

	env_start(&e, 16, 16, NULL);
	xrfb_server_set_shared_policy(e.s, pol);
	tpeer_open_tcp(&a, e.loop, e.port, 0);
	tpeer_handshake(&a, 8, NULL, true);
	tpeer_open_tcp(&b, e.loop, e.port, 0);
	tpeer_handshake(&b, 8, NULL, true);
	if (pol == XRFB_SHARED_NEVER) {
		/* Even a shared request is exclusive. */
		tpeer_expect_eof(&a);
		xrfb_server_bell(e.s);
		expect_bell(&b);
		ck_assert_int_eq(e.ev.gone, 1);
		goto out;
	}
	/* Both shared: both stay. */
	xrfb_server_bell(e.s);
	expect_bell(&a);
	expect_bell(&b);
	tpeer_open_tcp(&c, e.loop, e.port, 0);
	tpeer_handshake(&c, 7, NULL, false);
	if (pol == XRFB_SHARED_ALLOW) {
		/* An exclusive client disconnects the others. */
		tpeer_expect_eof(&a);
		tpeer_expect_eof(&b);
		ck_assert_int_eq(e.ev.gone, 2);
		ck_assert_uint_eq(xrfb_server_client_count(e.s), 1);
	} else {
		xrfb_server_bell(e.s);
		expect_bell(&a);
		expect_bell(&b);
		ck_assert_int_eq(e.ev.gone, 0);
		ck_assert_uint_eq(xrfb_server_client_count(e.s), 3);
	}
	xrfb_server_bell(e.s);
	expect_bell(&c);
	tpeer_close(&c);
out:
	tpeer_close(&a);
	tpeer_close(&b);
	env_stop(&e);
}
END_TEST

/* ---- input ------------------------------------------------------------------------ */

/* Messages are handled in order, so once the update requested after
 * them has arrived, they have all been handled. */
static void sync_with_update(struct env *e, struct tpeer *p)
{
	struct tpeer_msg m;

	paint(e, (uint32_t)p->received);
	tpeer_request(p, false, 0, 0, 1, 1);
	tpeer_next_update(p, &m);
	tpeer_msg_fini(&m);
}

START_TEST(test_input)
{
	const uint8_t msgs[] = {
		4, 1, 0, 0, 0, 0, 0x00, 0x61,		/* 'a' down */
		4, 0, 0, 0, 0, 0, 0x00, 0x61,		/* 'a' up */
		4, 1, 0, 0, 0x01, 0x00, 0x20, 0xac,	/* U+20AC */
		5, 0x01, 0, 10, 0, 20,			/* left at 10,20 */
		5, 0x80, 0x12, 0x34, 0x12, 0x34,	/* off screen, btn 8 */
		5, 0x18, 0, 99, 0, 49,			/* wheel bits */
		6, 0, 0, 0, 0, 0, 0, 4, 'c', 'a', 'f', 0xe9,
		6, 0, 0, 0, 0, 0, 0, 0,
	};
	struct env e;
	struct tpeer p;

	env_start(&e, 100, 50, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_send(&p, msgs, sizeof(msgs));
	sync_with_update(&e, &p);

	ck_assert_int_eq(e.ev.nkeys, 3);
	ck_assert(e.ev.keys[0].down);
	ck_assert_uint_eq(e.ev.keys[0].sym, 0x61);
	ck_assert(!e.ev.keys[1].down);
	ck_assert_uint_eq(e.ev.keys[2].sym, 0x10020ac);
	ck_assert_int_eq(e.ev.nptr, 3);
	ck_assert_uint_eq(e.ev.ptr[0].x, 10);
	ck_assert_uint_eq(e.ev.ptr[0].y, 20);
	ck_assert_uint_eq(e.ev.ptr[0].buttons, 1);
	/* Clamped to the framebuffer. */
	ck_assert_uint_eq(e.ev.ptr[1].x, 99);
	ck_assert_uint_eq(e.ev.ptr[1].y, 49);
	ck_assert_uint_eq(e.ev.ptr[1].buttons, 0x80);
	ck_assert_uint_eq(e.ev.ptr[2].buttons, 0x18);
	/* Latin-1 in, UTF-8 out; the empty text too. */
	ck_assert_int_eq(e.ev.ncut, 2);
	ck_assert_uint_eq(e.ev.cut_len, 0);

	tpeer_send(&p, msgs + 42, 12);
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.ncut, 3);
	ck_assert_uint_eq(e.ev.cut_len, 5);
	ck_assert_mem_eq(e.ev.cut, "caf\xc3\xa9", 5);

	/* View-only: nothing reaches the embedder. */
	xrfb_server_set_view_only(e.s, true);
	tpeer_send(&p, msgs, sizeof(msgs));
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.nkeys, 3);
	ck_assert_int_eq(e.ev.nptr, 3);
	ck_assert_int_eq(e.ev.ncut, 3);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* The view-only password lets a client in whose input goes nowhere; the
 * password still lets one in that types; another password is refused. */
START_TEST(test_view_password)
{
	const uint8_t key[] = { 4, 1, 0, 0, 0, 0, 0x00, 0x61 };
	struct env e;
	struct tpeer p;

	env_start(&e, 40, 30, "full-pw");
	ck_assert_int_eq(xrfb_server_set_view_password(e.s, "watch"), 0);

	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, "watch", true);
	ck_assert(xrfb_client_view_only(e.ev.last_ready));
	tpeer_send(&p, key, sizeof(key));
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.nkeys, 0);
	tpeer_close(&p);

	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, "full-pw", true);
	ck_assert(!xrfb_client_view_only(e.ev.last_ready));
	tpeer_send(&p, key, sizeof(key));
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.nkeys, 1);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Pointer motion with the same buttons collapses to the latest position
 * before it is injected; a button change injects what came before it. */
START_TEST(test_pointer_coalesced)
{
	enum { NMOTION = 2000 };
	uint8_t *msgs = malloc(6 * (NMOTION + 2)), *m;
	struct env e;
	struct tpeer p;

	ck_assert_ptr_nonnull(msgs);
	env_start(&e, 100, 50, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	for (int i = 0; i < NMOTION + 2; i++) {
		m = msgs + 6 * i;
		m[0] = 5;
		m[1] = i == NMOTION ? 1 : 0;	/* a press, then a release */
		put_u16(m + 2, (uint16_t)(i % 90));
		put_u16(m + 4, (uint16_t)(i % 40));
	}
	tpeer_send(&p, msgs, 6 * (NMOTION + 2));
	sync_with_update(&e, &p);
	/* one motion per pass at most (CLIENT_MSGS_PER_PASS), then the
	 * press and the release where they were sent */
	ck_assert_int_ge(e.ev.nptr, 3);
	ck_assert_int_le(e.ev.nptr, NMOTION / CLIENT_MSGS_PER_PASS + 3);
	ck_assert_uint_eq(e.ev.ptr[e.ev.nptr - 3].x, (NMOTION - 1) % 90);
	ck_assert_uint_eq(e.ev.ptr[e.ev.nptr - 3].buttons, 0);
	ck_assert_uint_eq(e.ev.ptr[e.ev.nptr - 2].x, NMOTION % 90);
	ck_assert_uint_eq(e.ev.ptr[e.ev.nptr - 2].buttons, 1);
	ck_assert_uint_eq(e.ev.ptr[e.ev.nptr - 1].x, (NMOTION + 1) % 90);
	ck_assert_uint_eq(e.ev.ptr[e.ev.nptr - 1].buttons, 0);

	/* Clicks in a row: each press and release where it was sent. */
	e.ev.nptr = 0;
	for (int i = 0; i < 6; i++) {
		m = msgs + 6 * i;
		m[0] = 5;
		m[1] = i % 2;
		put_u16(m + 2, (uint16_t)(10 + i / 2));
		put_u16(m + 4, 7);
	}
	tpeer_send(&p, msgs, 6 * 6);
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.nptr, 6);
	for (int i = 0; i < 6; i++) {
		ck_assert_uint_eq(e.ev.ptr[i].x, 10 + i / 2);
		ck_assert_uint_eq(e.ev.ptr[i].buttons, (unsigned)(i % 2));
	}
	tpeer_close(&p);
	env_stop(&e);
	free(msgs);
}
END_TEST

/* Cut text longer than a client may set is skipped, split or not, and
 * the client goes on. */
START_TEST(test_cut_text_over_limit)
{
	enum { BIG = 5000 };
	uint8_t *msg = calloc(1, 8 + BIG);
	static const uint8_t small[] = { 6, 0, 0, 0, 0, 0, 0, 2, 'o', 'k' };
	struct env e;
	struct tpeer p;

	ck_assert_ptr_nonnull(msg);
	msg[0] = 6;
	put_u32(msg + 4, BIG);
	memset(msg + 8, 'x', BIG);
	env_start(&e, 100, 50, NULL);
	xrfb_server_set_clipboard_limits(e.s, 1000, 1000);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_send(&p, msg, 8 + BIG);
	tpeer_send(&p, small, sizeof(small));
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.ncut, 1);
	ck_assert_mem_eq(e.ev.cut, "ok", 2);
	/* the same in pieces across reads */
	for (size_t at = 0; at < 8 + BIG; at += 777) {
		tpeer_send(&p, msg + at, 8 + BIG - at < 777 ? 8 + BIG - at : 777);
		tpeer_flush(&p);
	}
	tpeer_send(&p, small, sizeof(small));
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.ncut, 2);
	ck_assert_int_eq(e.ev.gone, 0);
	tpeer_close(&p);
	env_stop(&e);
	free(msg);
}
END_TEST

static bool two_gone(void *arg)
{
	struct events *ev = arg;

	return ev->gone >= 2;
}

START_TEST(test_client_close)
{
	struct env e;
	struct tpeer a, b;
	struct xrfb_client *ca;

	env_start(&e, 16, 16, NULL);
	tpeer_open_tcp(&a, e.loop, e.port, 0);
	tpeer_handshake(&a, 8, NULL, true);
	ca = e.ev.last_ready;
	ck_assert_ptr_nonnull(ca);
	ck_assert_uint_eq(xrfb_client_id(ca), 1);
	ck_assert_msg(strncmp(xrfb_client_peer(ca), "127.0.0.1:", 10) == 0,
		      "peer \"%s\"", xrfb_client_peer(ca));
	tpeer_open_tcp(&b, e.loop, e.port, 0);
	tpeer_handshake(&b, 8, NULL, true);
	ck_assert_uint_eq(xrfb_client_id(e.ev.last_ready), 2);

	xrfb_client_close(ca);
	ck_assert_int_eq(e.ev.gone, 1);
	ck_assert_ptr_eq(e.ev.last_gone, ca);
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 1);
	/* Idempotent. */
	xrfb_client_close(ca);
	ck_assert_int_eq(e.ev.gone, 1);
	tpeer_expect_eof(&a);

	/* The viewer hanging up is reported too. */
	tpeer_close(&b);
	ck_assert(test_run_until(e.loop, two_gone, &e.ev));
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 0);
	tpeer_close(&a);
	env_stop(&e);
}
END_TEST

/* ---- pixel formats end to end ------------------------------------------------------ */

START_TEST(test_colour_map_client)
{
	struct tpeer_pf map = { 8, false, false, { 0, 0, 0 }, { 0, 0, 0 } };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	size_t stride;
	const uint32_t *px;

	env_start(&e, 16, 8, NULL);
	paint(&e, 1);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_set_pixel_format(&p, &map, 8);
	/* SetColourMapEntries first, unasked: BGR233, 256 entries. */
	tpeer_next_msg(&p, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_SET_COLOUR_MAP_ENTRIES);
	ck_assert_uint_eq(m.len, 6 + 6 * 256);
	ck_assert_uint_eq(m.data[1], 0);
	ck_assert_uint_eq(m.data[2] << 8 | m.data[3], 0);
	ck_assert_uint_eq(m.data[4] << 8 | m.data[5], 256);
	for (int i = 0; i < 256; i++) {
		const uint8_t *ent = m.data + 6 + 6 * i;

		ck_assert_uint_eq(ent[0] << 8 | ent[1], (i & 7) * 65535 / 7);
		ck_assert_uint_eq(ent[2] << 8 | ent[3],
				  ((i >> 3) & 7) * 65535 / 7);
		ck_assert_uint_eq(ent[4] << 8 | ent[5], (i >> 6) * 65535 / 3);
	}
	tpeer_msg_fini(&m);
	tpeer_request(&p, false, 0, 0, 16, 8);
	tpeer_next_update(&p, &m);
	px = xrfb_server_pixels(e.s, &stride);
	for (unsigned r = 0; r < m.nrects; r++) {
		const struct tpeer_rect *rc = &m.rects[r];
		const uint8_t *d = m.data + rc->data_off;

		ck_assert_int_eq(rc->enc, RFB_ENC_RAW);
		for (int y = 0; y < rc->h; y++)
			for (int x = 0; x < rc->w; x++) {
				uint32_t c = px[(rc->y + y) * (stride / 4) +
						rc->x + x];
				uint8_t idx = (uint8_t)(((c >> 21) & 7) |
							((c >> 13) & 7) << 3 |
							((c >> 6) & 3) << 6);

				ck_assert_uint_eq(*d++, idx);
			}
	}
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_pixel_format_565be)
{
	struct tpeer_pf f = { 16, true, true, { 31, 63, 31 }, { 11, 5, 0 } };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	size_t stride;
	const uint32_t *px;

	env_start(&e, 9, 5, NULL);
	paint(&e, 2);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_set_pixel_format(&p, &f, 16);
	tpeer_request(&p, false, 0, 0, 9, 5);
	tpeer_next_update(&p, &m);
	px = xrfb_server_pixels(e.s, &stride);
	ck_assert_uint_eq(m.nrects, 1);
	for (int i = 0; i < 45; i++) {
		uint32_t c = px[(i / 9) * (stride / 4) + i % 9];
		unsigned v = ((c >> 19) & 31) << 11 | ((c >> 10) & 63) << 5 |
			     ((c >> 3) & 31);
		const uint8_t *d = m.data + m.rects[0].data_off + 2 * i;

		ck_assert_uint_eq(d[0], v >> 8);
		ck_assert_uint_eq(d[1], v & 255);
	}
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- refused messages --------------------------------------------------------------- */

struct refused_case {
	const char *name;
	uint8_t bytes[20];
	size_t len;
};

static const struct refused_case refused[] = {
	{ "unknown type 7", { 7, 0, 0, 0 }, 4 },
	{ "unknown type 127", { 127 }, 1 },
	{ "SetPixelFormat 24 bpp", { 0, 0, 0, 0, 24, 24, 0, 1, 0, 255, 0, 255,
				     0, 255, 16, 8, 0 }, 20 },
	{ "SetPixelFormat overlap", { 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255,
				      0, 255, 0, 0, 0 }, 20 },
	{ "SetEncodings 2000", { 2, 0, 0x07, 0xd0 }, 4 },
	{ "EnableContinuousUpdates", { 150, 1, 0, 0, 0, 0, 0, 1, 0, 1 }, 10 },
	{ "ClientFence", { 248, 0, 0, 0, 0, 0, 0, 0, 0 }, 9 },
	{ "xvp", { 250, 0, 1, 2 }, 4 },
	{ "SetDesktopSize", { 251, 0, 0, 10, 0, 10, 0, 0 }, 8 },
	{ "QEMU key", { 255, 0, 0, 1, 0, 0, 0, 0x61, 0, 0, 0, 30 }, 12 },
	{ "QEMU audio", { 255, 1, 0, 0 }, 4 },
	{ "fence 100", { 248, 0, 0, 0, 0, 0, 0, 0, 100 }, 9 },
};
#define NREFUSED ((int)(sizeof(refused) / sizeof(refused[0])))

START_TEST(test_refused)
{
	const struct refused_case *c = &refused[_i];
	struct env e;
	struct tpeer p;

	env_start(&e, 16, 16, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_send(&p, c->bytes, c->len);
	tpeer_expect_eof(&p);
	ck_assert_int_eq(e.ev.gone, 1);
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 0);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

struct accept_ctx {
	int lfd, fd;
};

static bool has_accepted(void *arg)
{
	struct accept_ctx *a = arg;

	if (a->fd < 0)
		a->fd = accept4(a->lfd, NULL, NULL, SOCK_CLOEXEC);
	return a->fd >= 0;
}

/* A reverse connection speaks the same handshake. The connection is
 * made from the loop, so the loop runs until it arrives. */
START_TEST(test_reverse)
{
	struct env e;
	struct tpeer p;
	struct sockaddr_in sa = { 0 };
	socklen_t len = sizeof(sa);
	struct accept_ctx a = { -1, -1 };
	int lfd, fd;

	env_start(&e, 8, 8, NULL);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&sa, &len), 0);
	ck_assert_int_eq(xrfb_server_connect(e.s, "127.0.0.1",
					     ntohs(sa.sin_port)),
			 0);
	a.lfd = lfd;
	ck_assert(test_run_until(e.loop, has_accepted, &a));
	fd = a.fd;
	close(lfd);
	tpeer_open_fd(&p, e.loop, fd);
	tpeer_handshake(&p, 8, NULL, true);
	ck_assert_int_eq(p.width, 8);
	ck_assert_int_eq(e.ev.ready, 1);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* ---- extensions ---------------------------------------------------------------- */

/* The next message that is not one of the server's fence pings. */
static void next_non_ping(struct tpeer *p, struct tpeer_msg *m)
{
	for (;;) {
		tpeer_next_msg(p, m);
		if (m->type != RFB_MSG_SERVER_FENCE || !(m->data[4] & 0x80))
			return;
		tpeer_msg_fini(m);
	}
}

START_TEST(test_ext_mouse_buttons)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_EXT_MOUSE_BUTTONS };
	const uint8_t before[] = { 5, 0x81, 0, 1, 0, 2 };
	const uint8_t after[] = { 5, 0x81, 0, 3, 0, 4, 0x03,
				  5, 0x02, 0, 5, 0, 6 };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 20, 20, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_set_encodings(&p, enc, 2);
	/* Until the confirmation went out, bit 7 is button 8. */
	tpeer_send(&p, before, sizeof(before));
	tpeer_request(&p, false, 0, 0, 1, 1);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_EXT_MOUSE_BUTTONS), 1);
	tpeer_msg_fini(&m);
	ck_assert_int_eq(e.ev.nptr, 1);
	ck_assert_uint_eq(e.ev.ptr[0].buttons, 0x81);
	/* Now it marks a 7th byte: buttons 8 and 9 there. */
	tpeer_send(&p, after, sizeof(after));
	tpeer_set_encodings(&p, enc, 2);
	sync_with_update(&e, &p);
	ck_assert_int_eq(e.ev.nptr, 3);
	ck_assert_uint_eq(e.ev.ptr[1].buttons, 0x181);
	ck_assert_uint_eq(e.ev.ptr[1].x, 3);
	ck_assert_uint_eq(e.ev.ptr[1].y, 4);
	ck_assert_uint_eq(e.ev.ptr[2].buttons, 0x02);
	ck_assert_uint_eq(e.ev.ptr[2].x, 5);
	/* Confirmed once per connection (the SetEncodings above asked
	 * again): the last update had no second confirmation. */
	tpeer_request(&p, false, 0, 0, 1, 1);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_EXT_MOUSE_BUTTONS), 0);
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_qemu_key)
{
	static const int32_t enc[] = { RFB_ENC_QEMU_EXT_KEY, RFB_ENC_RAW };
	const uint8_t keys[] = { 255, 0, 0, 1, 0, 0, 0xff, 0xe1, 0, 0, 0, 0x2a,
				 255, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x2a };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	env_start(&e, 20, 20, NULL);
	if (_i)
		set_basic_events(e.s);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_set_encodings(&p, enc, 2);
	tpeer_request(&p, false, 0, 0, 1, 1);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_QEMU_EXT_KEY), 1);
	tpeer_msg_fini(&m);
	tpeer_send(&p, keys, sizeof(keys));
	sync_with_update(&e, &p);
	if (!_i) {
		ck_assert_int_eq(e.ev.ncodes, 2);
		ck_assert(e.ev.codes[0].down);
		ck_assert_uint_eq(e.ev.codes[0].sym, 0xffe1);
		ck_assert_uint_eq(e.ev.codes[0].code, 0x2a);
		ck_assert(!e.ev.codes[1].down);
		ck_assert_uint_eq(e.ev.codes[1].sym, 0);
		ck_assert_int_eq(e.ev.nkeys, 0);
	} else {
		/* key() gets those with a keysym. */
		ck_assert_int_eq(e.ev.ncodes, 0);
		ck_assert_int_eq(e.ev.nkeys, 1);
		ck_assert_uint_eq(e.ev.keys[0].sym, 0xffe1);
	}
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

static void check_layout(const struct tpeer_msg *m, int reason, int status,
			 int w, int h, const struct xrfb_screen *sc,
			 unsigned n)
{
	const struct tpeer_rect *r;
	const uint8_t *d;

	ck_assert_uint_eq(m->nrects, 1);
	r = &m->rects[0];
	ck_assert_int_eq(r->enc, RFB_ENC_EXT_DESKTOP_SIZE);
	ck_assert_int_eq(r->x, reason);
	ck_assert_int_eq(r->y, status);
	ck_assert_int_eq(r->w, w);
	ck_assert_int_eq(r->h, h);
	d = m->data + r->data_off;
	ck_assert_uint_eq(d[0], n);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *s = d + 4 + 16 * i;

		ck_assert_uint_eq((uint32_t)s[0] << 24 | s[1] << 16 |
					  s[2] << 8 | s[3],
				  sc[i].id);
		ck_assert_uint_eq(s[4] << 8 | s[5], sc[i].x);
		ck_assert_uint_eq(s[6] << 8 | s[7], sc[i].y);
		ck_assert_uint_eq(s[8] << 8 | s[9], sc[i].width);
		ck_assert_uint_eq(s[10] << 8 | s[11], sc[i].height);
	}
}

static void send_sds(struct tpeer *p, int w, int h,
		     const struct xrfb_screen *sc, unsigned n)
{
	uint8_t msg[8 + 16 * 4] = { 251, 0, (uint8_t)(w >> 8), (uint8_t)w,
				    (uint8_t)(h >> 8), (uint8_t)h,
				    (uint8_t)n, 0 };

	for (unsigned i = 0; i < n; i++) {
		uint8_t *s = msg + 8 + 16 * i;

		s[0] = (uint8_t)(sc[i].id >> 24);
		s[1] = (uint8_t)(sc[i].id >> 16);
		s[2] = (uint8_t)(sc[i].id >> 8);
		s[3] = (uint8_t)sc[i].id;
		s[4] = (uint8_t)(sc[i].x >> 8);
		s[5] = (uint8_t)sc[i].x;
		s[6] = (uint8_t)(sc[i].y >> 8);
		s[7] = (uint8_t)sc[i].y;
		s[8] = (uint8_t)(sc[i].width >> 8);
		s[9] = (uint8_t)sc[i].width;
		s[10] = (uint8_t)(sc[i].height >> 8);
		s[11] = (uint8_t)sc[i].height;
	}
	tpeer_send(p, msg, 8 + 16 * (size_t)n);
}

struct sds_case {
	const char *name;
	int w, h;
	struct xrfb_screen sc[2];
	unsigned n;
	bool basic;		/* no resize callback */
	int status;
};

static const struct sds_case sds_cases[] = {
	{ "one screen", 100, 60, { { 5, 0, 0, 100, 60, 0 } }, 1, false, 0 },
	{ "two screens", 120, 50,
	  { { 1, 0, 0, 60, 50, 0 }, { 2, 60, 0, 60, 50, 0 } }, 2, false, 0 },
	{ "too big", 800, 600, { { 1, 0, 0, 800, 600, 0 } }, 1, false, 2 },
	{ "no callback", 100, 60, { { 1, 0, 0, 100, 60, 0 } }, 1, true, 1 },
	{ "screen outside", 100, 60, { { 1, 50, 0, 100, 60, 0 } }, 1, false,
	  3 },
	{ "no screens", 100, 60, { { 0 } }, 0, false, 3 },
	{ "same ids", 120, 50,
	  { { 3, 0, 0, 60, 50, 0 }, { 3, 60, 0, 60, 50, 0 } }, 2, false, 3 },
	{ "zero size", 0, 60, { { 1, 0, 0, 10, 60, 0 } }, 1, false, 3 },
};
#define NSDS ((int)(sizeof(sds_cases) / sizeof(sds_cases[0])))

START_TEST(test_set_desktop_size)
{
	static const int32_t eds[] = { RFB_ENC_RAW, RFB_ENC_EXT_DESKTOP_SIZE };
	static const int32_t ds[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_SIZE };
	const struct sds_case *sc = &sds_cases[_i];
	const struct xrfb_screen one = { 1, 0, 0, 40, 30, 0 };
	struct env e;
	struct tpeer a, b, c;
	struct tpeer_msg m;

	env_start(&e, 40, 30, NULL);
	if (sc->basic)
		set_basic_events(e.s);
	tpeer_open_tcp(&a, e.loop, e.port, 0);
	tpeer_handshake(&a, 8, NULL, true);
	tpeer_set_encodings(&a, eds, 2);
	tpeer_open_tcp(&b, e.loop, e.port, 0);
	tpeer_handshake(&b, 8, NULL, true);
	tpeer_set_encodings(&b, eds, 2);
	tpeer_open_tcp(&c, e.loop, e.port, 0);
	tpeer_handshake(&c, 8, NULL, true);
	tpeer_set_encodings(&c, ds, 2);

	send_sds(&a, sc->w, sc->h, sc->sc, sc->n);
	tpeer_request(&a, true, 0, 0, 40, 30);
	tpeer_next_update(&a, &m);
	if (sc->status) {
		/* Refused: the answer carries the status and the layout
		 * as it stays. */
		check_layout(&m, 1, sc->status, 40, 30, &one, 1);
		tpeer_msg_fini(&m);
		ck_assert_int_eq(xrfb_server_width(e.s), 40);
		goto out;
	}
	check_layout(&m, 1, 0, sc->w, sc->h, sc->sc, sc->n);
	tpeer_msg_fini(&m);
	ck_assert_int_eq(e.ev.nresize, 1);
	ck_assert_uint_eq(e.ev.resize_w, sc->w);
	ck_assert_uint_eq(e.ev.resize_n, sc->n);
	ck_assert_uint_eq(e.ev.resize_sc[0].id, sc->sc[0].id);
	ck_assert_int_eq(xrfb_server_width(e.s), sc->w);
	/* The others: reason 2 (another client), or a DesktopSize. */
	tpeer_request(&b, true, 0, 0, 40, 30);
	tpeer_next_update(&b, &m);
	check_layout(&m, 2, 0, sc->w, sc->h, sc->sc, sc->n);
	tpeer_msg_fini(&m);
	tpeer_request(&c, true, 0, 0, 40, 30);
	tpeer_next_update(&c, &m);
	ck_assert_uint_eq(m.nrects, 1);
	ck_assert_int_eq(m.rects[0].enc, RFB_ENC_DESKTOP_SIZE);
	ck_assert_int_eq(m.rects[0].w, sc->w);
	tpeer_msg_fini(&m);
out:
	tpeer_close(&a);
	tpeer_close(&b);
	tpeer_close(&c);
	env_stop(&e);
}
END_TEST

static void expect_fence(struct tpeer *p, uint32_t flags, const void *payload,
			 uint8_t len)
{
	struct tpeer_msg m;

	next_non_ping(p, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_SERVER_FENCE);
	ck_assert_uint_eq((uint32_t)m.data[4] << 24 | m.data[5] << 16 |
				  m.data[6] << 8 | m.data[7],
			  flags);
	ck_assert_uint_eq(m.data[8], len);
	ck_assert_mem_eq(m.data + 9, payload, len);
	tpeer_msg_fini(&m);
}

/* A 20x20 server and a viewer that lists Raw and Fence, past the fence
 * request that announces support. */
static void start_fence_peer(struct env *e, struct tpeer *p)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_FENCE };
	struct tpeer_msg m;

	env_start(e, 20, 20, NULL);
	tpeer_open_tcp(p, e->loop, e->port, 0);
	tpeer_handshake(p, 8, NULL, true);
	tpeer_set_encodings(p, enc, 2);
	/* Support is announced with a fence request of the server's. */
	tpeer_next_msg(p, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_SERVER_FENCE);
	ck_assert_uint_ne(m.data[4] & 0x80, 0);
	ck_assert_uint_le(m.data[8], 64);
	tpeer_msg_fini(&m);
}

START_TEST(test_fence)
{
	const uint8_t block[] = { 248, 0, 0, 0, 0x80, 0, 0, 3, 3, 'a', 'b', 'c' };
	const uint8_t sync[] = { 248, 0, 0, 0, 0x80, 0, 0, 4, 2, 's', 'n',
				 4, 1, 0, 0, 0, 0, 0, 0x41 };
	const uint8_t odd[] = { 248, 0, 0, 0, 0x80, 0, 0, 0xf0, 1, 'u' };
	struct env e;
	struct tpeer p;

	start_fence_peer(&e, &p);
	/* Requests come back with the request bit cleared. */
	tpeer_send(&p, block, sizeof(block));
	expect_fence(&p, 3, "abc", 3);
	/* SyncNext: answered once the message after it is handled. */
	tpeer_send(&p, sync, sizeof(sync));
	expect_fence(&p, 4, "sn", 2);
	ck_assert_int_eq(e.ev.nkeys, 1);
	ck_assert_uint_eq(e.ev.keys[0].sym, 0x41);
	/* Flags the server does not know are not echoed. */
	tpeer_send(&p, odd, sizeof(odd));
	expect_fence(&p, 0, "u", 1);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* The fence request that measures an update's round trip follows the
 * update: a viewer answers it once it has read the update. */
START_TEST(test_ping_follows_update)
{
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;

	start_fence_peer(&e, &p);
	for (int i = 0; i < 2; i++) {
		tpeer_request(&p, i > 0, 0, 0, 20, 20);
		if (i > 0)
			paint(&e, 0x123456);
		tpeer_next_msg(&p, &m);
		ck_assert_uint_eq(m.type, RFB_MSG_FB_UPDATE);
		tpeer_msg_fini(&m);
		tpeer_next_msg(&p, &m);
		ck_assert_uint_eq(m.type, RFB_MSG_SERVER_FENCE);
		ck_assert_uint_ne(m.data[4] & 0x80, 0);
		ck_assert_uint_eq(m.data[8], 8);
		ck_assert_mem_eq(m.data + 9, "xrfb", 4);
		tpeer_msg_fini(&m);
	}
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_continuous_updates)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_FENCE,
				       RFB_ENC_CONTINUOUS_UPDATES };
	const uint8_t on[] = { 150, 1, 0, 0, 0, 0, 0, 32, 0, 16 };
	const uint8_t off[] = { 150, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	int x, y;

	env_start(&e, 32, 16, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_set_encodings(&p, enc, 3);
	/* EndOfContinuousUpdates confirms the extension. */
	next_non_ping(&p, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_END_OF_CONTINUOUS_UPDATES);
	tpeer_msg_fini(&m);
	tpeer_request(&p, false, 0, 0, 32, 16);
	next_non_ping(&p, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_FB_UPDATE);
	tpeer_msg_fini(&m);
	tpeer_send(&p, on, sizeof(on));
	/* Changes now come without requests. */
	for (int i = 0; i < 3; i++) {
		paint(&e, (uint32_t)i * 77);
		next_non_ping(&p, &m);
		ck_assert_uint_eq(m.type, RFB_MSG_FB_UPDATE);
		tpeer_msg_fini(&m);
		ck_assert(tpeer_model_matches(&p, e.s, &x, &y));
	}
	tpeer_send(&p, off, sizeof(off));
	next_non_ping(&p, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_END_OF_CONTINUOUS_UPDATES);
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_desktop_name_and_leds)
{
	static const int32_t enc[] = { RFB_ENC_RAW, RFB_ENC_DESKTOP_NAME,
				       RFB_ENC_QEMU_LED };
	struct env e;
	struct tpeer p;
	struct tpeer_msg m;
	const struct tpeer_rect *r;

	env_start(&e, 20, 20, NULL);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_set_encodings(&p, enc, 3);
	tpeer_request(&p, false, 0, 0, 1, 1);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_DESKTOP_NAME), 1);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_QEMU_LED), 1);
	tpeer_msg_fini(&m);

	ck_assert_int_eq(xrfb_server_set_desktop_name(e.s, "renamed"), 0);
	xrfb_server_set_led_state(e.s, XRFB_LED_CAPS_LOCK | XRFB_LED_NUM_LOCK);
	tpeer_request(&p, true, 0, 0, 20, 20);
	tpeer_next_update(&p, &m);
	ck_assert_uint_eq(m.nrects, 2);
	for (unsigned i = 0; i < m.nrects; i++) {
		const uint8_t *d;

		r = &m.rects[i];
		d = m.data + r->data_off;
		if (r->enc == RFB_ENC_DESKTOP_NAME) {
			ck_assert_uint_eq(r->data_len, 4 + 7);
			ck_assert_mem_eq(d, "\0\0\0\7renamed", 11);
		} else {
			ck_assert_int_eq(r->enc, RFB_ENC_QEMU_LED);
			ck_assert_uint_eq(d[0], 6);
		}
	}
	tpeer_msg_fini(&m);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

static Suite *client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = unit_tcase(s, "handshake");
	tcase_add_loop_test(tc, test_version, 0, NVERSIONS);
	tcase_add_loop_test(tc, test_security, 0, NSECS);
	tcase_add_loop_test(tc, test_security_choice, 0, NCHOICES);
	tcase_add_test(tc, test_view_password);
	tcase_add_test(tc, test_server_init);
	tcase_add_loop_test(tc, test_bytewise, 0,
			    (int)(sizeof(bytewise) / sizeof(bytewise[0])));
	tcase_add_test(tc, test_pipelined);
	tcase_add_loop_test(tc, test_early_close, 0, 2);
	tcase_add_test(tc, test_reverse);

	tc = unit_tcase(s, "session");
	tcase_add_loop_test(tc, test_shared_policy, 0, 3);
	tcase_add_test(tc, test_input);
	tcase_add_test(tc, test_pointer_coalesced);
	tcase_add_test(tc, test_cut_text_over_limit);
	tcase_add_test(tc, test_client_close);
	tcase_add_test(tc, test_colour_map_client);
	tcase_add_test(tc, test_pixel_format_565be);
	tcase_add_loop_test(tc, test_refused, 0, NREFUSED);

	tc = unit_tcase(s, "extensions");
	tcase_add_test(tc, test_ext_mouse_buttons);
	tcase_add_loop_test(tc, test_qemu_key, 0, 2);
	tcase_add_loop_test(tc, test_set_desktop_size, 0, NSDS);
	tcase_add_test(tc, test_fence);
	tcase_add_test(tc, test_ping_follows_update);
	tcase_add_test(tc, test_continuous_updates);
	tcase_add_test(tc, test_desktop_name_and_leds);
	return s;
}

UNIT_MAIN(client_suite)
