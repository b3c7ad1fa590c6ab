/* SPDX-License-Identifier: MIT */
/*
 * server: a peer can only ever cost its own connection. Two viewers on
 * real sockets: one misbehaves (garbage, oversize messages, a bad pixel
 * format, or simply stops reading) and the other keeps getting correct
 * updates, checked pixel for pixel against the server's framebuffer.
 * Also the client list and counts, broadcasts, clipboard sharing, and
 * freeing a server with clients in every state.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "client.h"
#include "rfb-proto.h"
#include "server.h"
#include "stream.h"
#include "tpeer.h"
#include "unit.h"

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	uint16_t port;
	struct unit_rng rng;
	int ready, gone;
	struct xrfb_client *clients[8];
	char cut[64];
	size_t cut_len;
};

static void on_ready(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;

	if (e->ready < 8)
		e->clients[e->ready] = c;
	e->ready++;
}

static void on_gone(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;

	e->gone++;
}

static void on_cut(void *arg, struct xrfb_client *c, const char *text,
		   size_t len)
{
	struct env *e = arg;

	ck_assert_uint_lt(len, sizeof(e->cut));
	memcpy(e->cut, text, len);
	e->cut_len = len;
}

static void env_start(struct env *e, int w, int h)
{
	memset(e, 0, sizeof(*e));
	e->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(e->loop);
	e->s = xrfb_server_new(e->loop, (uint16_t)w, (uint16_t)h);
	ck_assert_ptr_nonnull(e->s);
	xrfb_server_on_cut_text(e->s, on_cut, e);
	xrfb_server_on_client_ready(e->s, on_ready, e);
	xrfb_server_on_client_gone(e->s, on_gone, e);
	ck_assert_int_eq(xrfb_server_listen(e->s, "127.0.0.1", 0), 0);
	e->port = xrfb_server_port(e->s);
	unit_rng_seed(&e->rng, 2);
}

static void env_stop(struct env *e)
{
	xrfb_server_free(e->s);
	xrfb_loop_free(e->loop);
}

static void paint_rect(struct env *e, int x, int y, int w, int h)
{
	uint32_t *img = malloc((size_t)w * h * 4);

	ck_assert_ptr_nonnull(img);
	for (int i = 0; i < w * h; i++)
		img[i] = unit_rng_next(&e->rng) & 0xffffff;
	xrfb_server_update(e->s, img, (size_t)w * 4, x, y, w, h);
	free(img);
}

static void assert_model(struct tpeer *p, struct env *e, const char *when)
{
	int x = -1, y = -1;

	ck_assert_msg(tpeer_model_matches(p, e->s, &x, &y),
		      "%s: viewer differs from the server at %d,%d", when, x,
		      y);
}

static void connect_raw(struct env *e, struct tpeer *p, int rcvbuf)
{
	static const int32_t raw[] = { RFB_ENC_RAW };

	tpeer_open_tcp(p, e->loop, e->port, rcvbuf);
	tpeer_handshake(p, 8, NULL, true);
	tpeer_set_encodings(p, raw, 1);
}

/* One round: the server's pixels change, the viewer asks and receives
 * an update that makes its picture equal the server's. */
static void good_round(struct env *e, struct tpeer *p, int x, int y, int w,
		       int h)
{
	struct tpeer_msg m;

	paint_rect(e, x, y, w, h);
	tpeer_request(p, true, 0, 0, p->width, p->height);
	tpeer_next_update(p, &m);
	ck_assert_uint_ge(m.nrects, 1);
	ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_RAW), m.nrects);
	tpeer_msg_fini(&m);
	assert_model(p, e, "good viewer");
}

static bool at_eof(void *arg)
{
	struct tpeer *p = arg;

	return p->eof;
}

struct garbage_case {
	const char *name;
	uint8_t bytes[24];
	size_t len;
	bool before_handshake;	/* sent instead of a ProtocolVersion */
};

/* Cut text over the limit is not among them: it is skipped and its
 * viewer stays (test-client, test_cut_text_over_limit). */
static const struct garbage_case garbage[] = {
	{ "unknown type", { 7, 1, 2, 3 }, 4, false },
	{ "type 253", { 253, 0, 0, 0 }, 4, false },
	{ "SetEncodings 40000", { 2, 0, 0x9c, 0x40 }, 4, false },
	{ "fence 200", { 248, 0, 0, 0, 0, 0, 0, 0, 200 }, 9, false },
	{ "SetPixelFormat 24 bpp", { 0, 0, 0, 0, 24, 24, 0, 1, 0, 255, 0, 255,
				     0, 255, 16, 8, 0 }, 20, false },
	{ "QEMU subtype 9", { 255, 9 }, 2, false },
	{ "HTTP request", "GET / HTTP/1.1\r\n\r\n", 18, true },
	{ "zeros", { 0 }, 24, true },
};
#define NGARBAGE ((int)(sizeof(garbage) / sizeof(garbage[0])))

START_TEST(test_bad_client_isolated)
{
	const struct garbage_case *g = &garbage[_i];
	struct env e;
	struct tpeer good, bad;

	env_start(&e, 96, 64);
	paint_rect(&e, 0, 0, 96, 64);
	connect_raw(&e, &good, 0);
	tpeer_request(&good, false, 0, 0, 96, 64);
	{
		struct tpeer_msg m;

		tpeer_next_update(&good, &m);
		tpeer_msg_fini(&m);
	}
	assert_model(&good, &e, "first update");

	tpeer_open_tcp(&bad, e.loop, e.port, 0);
	if (g->before_handshake) {
		tpeer_expect(&bad, "RFB 003.008\n", 12);
	} else {
		tpeer_handshake(&bad, 8, NULL, true);
		ck_assert_uint_eq(xrfb_server_client_count(e.s), 2);
	}
	tpeer_send(&bad, g->bytes, g->len);
	/* The bad viewer is dropped (a refused version gets its reason
	 * first)... */
	ck_assert(test_run_until(e.loop, at_eof, &bad));
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 1);
	ck_assert_int_eq(e.gone, g->before_handshake ? 0 : 1);
	/* ...and the good one goes on, several times over. */
	good_round(&e, &good, 10, 10, 30, 20);
	good_round(&e, &good, 0, 0, 96, 64);
	good_round(&e, &good, 95, 63, 1, 1);
	tpeer_close(&bad);
	tpeer_close(&good);
	env_stop(&e);
}
END_TEST

/* A viewer that stops reading: its queue stops growing at the budget,
 * and the other viewer is served all the while. */
START_TEST(test_stalled_client)
{
	enum { W = 256, H = 256, ROUNDS = 24 };
	const size_t frame = 4 + 12 + (size_t)W * H * 4;
	struct env e;
	struct tpeer good, slow;
	struct xrfb_client *slow_c;
	struct tpeer_msg m;
	int x, y;

	env_start(&e, W, H);
	connect_raw(&e, &slow, 4096);
	connect_raw(&e, &good, 0);
	ck_assert_int_eq(e.ready, 2);
	slow_c = e.clients[0];
	/* A slow link: the kernel buffers next to nothing either side. */
	{
		int small = 4096;

		ck_assert_int_eq(setsockopt(stream_fd(slow_c->conn.stream),
					    SOL_SOCKET, SO_SNDBUF, &small,
					    sizeof(small)), 0);
	}
	tpeer_set_reading(&slow, false);

	for (int i = 0; i < ROUNDS; i++) {
		/* Every pixel changes: a full frame per update. */
		paint_rect(&e, 0, 0, W, H);
		tpeer_request(&slow, true, 0, 0, W, H);
		tpeer_request(&good, true, 0, 0, W, H);
		tpeer_next_update(&good, &m);
		ck_assert_uint_eq(tpeer_count_enc(&m, RFB_ENC_RAW), m.nrects);
		tpeer_msg_fini(&m);
		assert_model(&good, &e, "good viewer beside a stalled one");
		/* Never more than the budget plus the update that crossed
		 * it (and a few small messages). */
		ck_assert_uint_le(stream_queued(slow_c->conn.stream),
				  CONN_SEND_BUDGET + frame + 1024);
	}
	/* ROUNDS full frames were far more than the budget: the stalled
	 * viewer was skipped, not queued for. */
	ck_assert_uint_le(slow_c->sched.bytes_sent,
			  CONN_SEND_BUDGET + frame + (256u << 10));
	ck_assert_uint_lt(slow_c->sched.bytes_sent, (size_t)ROUNDS * frame / 2);
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 2);

	/* It reads again: what it gets is a valid stream of updates, and
	 * once it has caught up its picture is the server's. */
	tpeer_set_reading(&slow, true);
	for (int i = 0; i < ROUNDS + 2; i++) {
		tpeer_next_update(&slow, &m);
		tpeer_msg_fini(&m);
		if (stream_queued(slow_c->conn.stream) == 0 && slow.in_len == 0 &&
		    tpeer_model_matches(&slow, e.s, &x, &y))
			break;
		tpeer_request(&slow, true, 0, 0, W, H);
	}
	assert_model(&slow, &e, "stalled viewer after catching up");
	tpeer_close(&slow);
	tpeer_close(&good);
	env_stop(&e);
}
END_TEST

/* A viewer gone without a word (reset, not close) is dropped quietly. */
START_TEST(test_vanished_client)
{
	struct env e;
	struct tpeer good, gone;

	env_start(&e, 64, 64);
	connect_raw(&e, &good, 0);
	connect_raw(&e, &gone, 0);
	{
		/* Linger 0: the close sends a reset. */
		struct linger lg = { 1, 0 };

		ck_assert_int_eq(setsockopt(gone.fd, SOL_SOCKET, SO_LINGER,
					    &lg, sizeof(lg)), 0);
	}
	tpeer_request(&gone, false, 0, 0, 64, 64);
	tpeer_flush(&gone);
	tpeer_close(&gone);
	good_round(&e, &good, 0, 0, 64, 64);
	good_round(&e, &good, 5, 5, 5, 5);
	tpeer_close(&good);
	env_stop(&e);
}
END_TEST

static bool all_gone(void *arg)
{
	struct env *e = arg;

	return e->gone == e->ready;
}

static bool wants_update(void *arg)
{
	return xrfb_server_wants_update(arg);
}

START_TEST(test_counts)
{
	enum { N = 8 };
	struct env e;
	struct tpeer p[N];

	env_start(&e, 32, 32);
	ck_assert(!xrfb_server_wants_update(e.s));
	for (int i = 0; i < N; i++) {
		tpeer_open_tcp(&p[i], e.loop, e.port, 0);
		static const int minors[3] = { 3, 7, 8 };

		tpeer_handshake(&p[i], minors[i % 3], NULL, true);
		ck_assert_uint_eq(xrfb_server_client_count(e.s),
				  (unsigned)i + 1);
	}
	for (int i = 0; i < N; i++)
		ck_assert_uint_eq(xrfb_client_id(e.clients[i]),
				  (unsigned)i + 1);
	ck_assert(!xrfb_server_wants_update(e.s));
	/* An incremental request with nothing changed: someone waits. */
	tpeer_request(&p[3], true, 0, 0, 32, 32);
	ck_assert(test_run_until(e.loop, wants_update, e.s));
	/* A full one is answered and then waits no more. */
	{
		struct tpeer_msg m;

		tpeer_request(&p[4], false, 0, 0, 1, 1);
		tpeer_next_update(&p[4], &m);
		tpeer_msg_fini(&m);
	}
	ck_assert(xrfb_server_wants_update(e.s));
	ck_assert(sched_wants_update(&e.clients[3]->sched));
	ck_assert(!sched_wants_update(&e.clients[4]->sched));
	for (int i = 0; i < N; i++)
		tpeer_close(&p[i]);
	ck_assert(test_run_until(e.loop, all_gone, &e));
	ck_assert_uint_eq(xrfb_server_client_count(e.s), 0);
	ck_assert(!xrfb_server_wants_update(e.s));
	env_stop(&e);
}
END_TEST

/* Bell and server cut text reach every viewer past the handshake. */
START_TEST(test_broadcast)
{
	struct env e;
	struct tpeer a, b, early;
	struct tpeer_msg m;

	env_start(&e, 16, 16);
	connect_raw(&e, &a, 0);
	connect_raw(&e, &b, 0);
	tpeer_open_tcp(&early, e.loop, e.port, 0);
	tpeer_expect(&early, "RFB 003.008\n", 12);

	xrfb_server_bell(e.s);
	/* Latin-1 for classic viewers; what Latin-1 lacks becomes '?'. */
	ck_assert_int_eq(xrfb_server_send_cut_text(e.s,
						   "na\xc3\xafve \xe2\x82\xac",
						   10), 0);
	for (int i = 0; i < 2; i++) {
		struct tpeer *p = i ? &b : &a;

		tpeer_next_msg(p, &m);
		ck_assert_uint_eq(m.type, RFB_MSG_BELL);
		ck_assert_uint_eq(m.len, 1);
		tpeer_msg_fini(&m);
		tpeer_next_msg(p, &m);
		ck_assert_uint_eq(m.type, RFB_MSG_SERVER_CUT_TEXT);
		ck_assert_uint_eq(m.len, 8 + 7);
		ck_assert_mem_eq(m.data + 8, "na\xefve ?", 7);
		tpeer_msg_fini(&m);
	}
	/* A viewer's clipboard goes to the embedder and the others, not
	 * back to itself: its next message is the bell after it. */
	tpeer_send(&a, (const uint8_t[]){ 6, 0, 0, 0, 0, 0, 0, 3, 'a', 'b',
					  'c' },
		   11);
	tpeer_next_msg(&b, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_SERVER_CUT_TEXT);
	ck_assert_mem_eq(m.data + 4, "\0\0\0\3abc", 7);
	tpeer_msg_fini(&m);
	ck_assert_uint_eq(e.cut_len, 3);
	ck_assert_mem_eq(e.cut, "abc", 3);
	xrfb_server_bell(e.s);
	tpeer_next_msg(&a, &m);
	ck_assert_uint_eq(m.type, RFB_MSG_BELL);
	tpeer_msg_fini(&m);
	/* Nothing reached the viewer still in the handshake. */
	tpeer_send(&early, "RFB 003.008\n", 12);
	tpeer_expect(&early, "\1\1", 2);
	ck_assert_uint_eq(early.in_len, 0);
	tpeer_close(&a);
	tpeer_close(&b);
	tpeer_close(&early);
	env_stop(&e);
}
END_TEST

/* Freeing the server with viewers in every state closes them all. */
START_TEST(test_free_with_clients)
{
	struct env e;
	struct tpeer p[5];

	env_start(&e, 64, 64);
	ck_assert_int_eq(xrfb_server_set_password(e.s, NULL), 0);
	tpeer_open_tcp(&p[0], e.loop, e.port, 0);
	tpeer_expect(&p[0], "RFB 003.008\n", 12);
	tpeer_open_tcp(&p[1], e.loop, e.port, 0);
	tpeer_expect(&p[1], "RFB 003.008\n", 12);
	tpeer_send(&p[1], "RFB 003.008\n", 12);
	tpeer_expect(&p[1], "\1\1", 2);
	connect_raw(&e, &p[2], 0);
	connect_raw(&e, &p[3], 4096);
	/* One with a large update queued and unread. */
	tpeer_set_reading(&p[3], false);
	paint_rect(&e, 0, 0, 64, 64);
	tpeer_request(&p[3], false, 0, 0, 64, 64);
	tpeer_request(&p[2], false, 0, 0, 64, 64);
	{
		struct tpeer_msg m;

		tpeer_next_update(&p[2], &m);
		tpeer_msg_fini(&m);
	}
	/* One refused, whose reason may still be on its way. */
	tpeer_open_tcp(&p[4], e.loop, e.port, 0);
	tpeer_expect(&p[4], "RFB 003.008\n", 12);
	tpeer_send(&p[4], "RFB 009.000\n", 12);
	tpeer_flush(&p[4]);

	xrfb_server_free(e.s);
	e.s = NULL;
	ck_assert_int_eq(e.gone, 2);
	for (int i = 0; i < 5; i++) {
		tpeer_set_reading(&p[i], true);
		ck_assert(test_run_until(e.loop, at_eof, &p[i]));
		tpeer_close(&p[i]);
	}
	xrfb_loop_free(e.loop);
}
END_TEST

START_TEST(test_api_misc)
{
	struct env e;
	struct xrfb_server *s2;

	env_start(&e, 30, 20);
	ck_assert_uint_eq(xrfb_server_width(e.s), 30);
	ck_assert_uint_eq(xrfb_server_height(e.s), 20);
	ck_assert_ptr_nonnull(xrfb_version());
	ck_assert_int_eq(xrfb_log_parse_level("debug"), XRFB_LOG_DEBUG);
	ck_assert_int_eq(xrfb_log_parse_level("loud"), -EINVAL);
	/* A second server cannot take the same port. */
	s2 = xrfb_server_new(e.loop, 10, 10);
	ck_assert_int_lt(xrfb_server_listen(s2, "127.0.0.1", e.port), 0);
	ck_assert_int_eq(xrfb_server_listen(s2, "127.0.0.1", 0), 0);
	ck_assert_uint_ne(xrfb_server_port(s2), e.port);
	xrfb_server_free(s2);
	xrfb_server_free(NULL);
	env_stop(&e);
}
END_TEST

/* The WebSocket and web settings report what is wrong with them. */
START_TEST(test_api_web)
{
	struct env e;

	env_start(&e, 30, 20);
	ck_assert_int_eq(xrfb_server_set_web_root(e.s, "/nonexistent/dir"),
			 -ENOENT);
	ck_assert_int_eq(xrfb_server_set_web_root(e.s, TEST_DATA_DIR
						  "/vncpasswd-secret"),
			 -ENOTDIR);
	ck_assert_int_eq(xrfb_server_set_web_root(e.s, TEST_DATA_DIR "/"), 0);
	ck_assert_int_eq(xrfb_server_set_web_root(e.s, NULL), 0);
	ck_assert_int_eq(xrfb_server_add_websocket_origin(e.s, "example.com"),
			 -EINVAL);
	ck_assert_int_eq(xrfb_server_add_websocket_origin(e.s, NULL), -EINVAL);
	ck_assert_int_eq(xrfb_server_add_websocket_origin(
				 e.s, "https://example.com/"), 0);
	xrfb_server_set_websocket_detect(e.s, 100);
	ck_assert_int_eq(xrfb_server_listen_websocket(e.s, "127.0.0.1", 0), 0);
	ck_assert_uint_ne(xrfb_server_port(e.s), e.port);
	ck_assert_int_lt(xrfb_server_listen_websocket(e.s, "127.0.0.1",
						      e.port), 0);
	env_stop(&e);
}
END_TEST

/* Calls that can fail say so; nothing is changed by a refused call. */
START_TEST(test_api_errors)
{
	struct env e;
	uint32_t px[4] = { 0 };

	env_start(&e, 30, 20);
	ck_assert_ptr_null(xrfb_server_new(e.loop, 0, 10));
	ck_assert_ptr_null(xrfb_server_new(NULL, 10, 10));
	ck_assert_int_eq(xrfb_server_update(e.s, px, 8, 0, 0, -1, 2), -EINVAL);
	ck_assert_int_eq(xrfb_server_update(e.s, NULL, 8, 0, 0, 2, 2), -EINVAL);
	ck_assert_int_eq(xrfb_server_update_many(e.s, NULL, 1), -EINVAL);
	/* Outside the framebuffer is clipped away, not an error. */
	ck_assert_int_eq(xrfb_server_update(e.s, px, 8, 100, 100, 2, 2), 0);
	ck_assert_int_eq(xrfb_server_update(e.s, px, 8, 0, 0, 2, 2), 0);
	ck_assert_int_eq(xrfb_server_copy_rect(e.s, 0, 0, 1, 1, -2, 2),
			 -EINVAL);
	ck_assert_int_eq(xrfb_server_copy_rect(e.s, 0, 0, 1, 1, 2, 2), 0);
	ck_assert_int_eq(xrfb_server_set_shared_policy(e.s, 7), -EINVAL);
	ck_assert_int_eq(xrfb_server_set_shared_policy(e.s,
						       XRFB_SHARED_NEVER), 0);
	ck_assert_int_eq(xrfb_server_set_encoder_threads(e.s, 65), -EINVAL);
	ck_assert_int_eq(xrfb_server_set_desktop_name(e.s, NULL), -EINVAL);
	ck_assert_int_eq(xrfb_server_resize(e.s, 0, 5), -EINVAL);
	ck_assert_uint_eq(xrfb_server_width(e.s), 30);
	ck_assert_int_eq(xrfb_server_bell(e.s), 0);
	env_stop(&e);
}
END_TEST

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void update_round(struct env *e, struct xrfb_server *s,
			 struct tpeer *p)
{
	struct tpeer_msg m;
	uint32_t img[64];
	int x = -1, y = -1;

	for (int i = 0; i < 64; i++)
		img[i] = unit_rng_next(&e->rng) & 0xffffff;
	ck_assert_int_eq(xrfb_server_update(s, img, 32, 0, 0, 8, 8), 0);
	tpeer_request(p, true, 0, 0, p->width, p->height);
	tpeer_next_update(p, &m);
	tpeer_msg_fini(&m);
	ck_assert_msg(tpeer_model_matches(p, s, &x, &y), "differs at %d,%d", x,
		      y);
}

/* Each server has its own encoder threads, started by its first update
 * and restarted when the number changes. */
START_TEST(test_encoder_threads)
{
	struct env e;
	struct xrfb_server *s2;
	struct tpeer a, b;
	int base;

	env_start(&e, 32, 32);
	s2 = xrfb_server_new(e.loop, 32, 32);
	ck_assert_int_eq(xrfb_server_listen(s2, "127.0.0.1", 0), 0);
	ck_assert_int_eq(xrfb_server_set_encoder_threads(e.s, 3), 0);
	ck_assert_int_eq(xrfb_server_set_encoder_threads(s2, 1), 0);
	base = thread_count();
	connect_raw(&e, &a, 0);
	update_round(&e, e.s, &a);
	ck_assert_int_eq(thread_count(), base + 2);
	tpeer_open_tcp(&b, e.loop, xrfb_server_port(s2), 0);
	tpeer_handshake(&b, 8, NULL, true);
	update_round(&e, s2, &b);
	ck_assert_int_eq(thread_count(), base + 2);
	ck_assert_int_eq(xrfb_server_set_encoder_threads(e.s, 2), 0);
	ck_assert_int_eq(thread_count(), base);
	update_round(&e, e.s, &a);
	ck_assert_int_eq(thread_count(), base + 1);
	tpeer_close(&a);
	tpeer_close(&b);
	xrfb_server_free(s2);
	env_stop(&e);
	ck_assert_int_eq(thread_count(), base);
}
END_TEST

static void on_ready_data(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;

	ck_assert_ptr_eq(xrfb_client_server(c), e->s);
	ck_assert_ptr_null(xrfb_client_data(c));
	xrfb_client_set_data(c, &e->clients[e->ready]);
	e->clients[e->ready++] = c;
}

static void on_gone_data(void *arg, struct xrfb_client *c)
{
	struct env *e = arg;
	struct xrfb_client **slot = xrfb_client_data(c);

	ck_assert_ptr_eq(*slot, c);
	*slot = NULL;
	e->gone++;
}

static bool one_gone(void *arg)
{
	return ((struct env *)arg)->gone == 1;
}

/* Each event has its own setter and argument; a client carries the
 * embedder's pointer from ready to gone. */
START_TEST(test_events_and_data)
{
	struct env e;
	struct tpeer p[2];

	env_start(&e, 16, 16);
	xrfb_server_on_client_ready(e.s, on_ready_data, &e);
	xrfb_server_on_client_gone(e.s, on_gone_data, &e);
	for (int i = 0; i < 2; i++) {
		tpeer_open_tcp(&p[i], e.loop, e.port, 0);
		tpeer_handshake(&p[i], 8, NULL, true);
	}
	ck_assert_int_eq(e.ready, 2);
	tpeer_close(&p[0]);
	ck_assert(test_run_until(e.loop, one_gone, &e));
	ck_assert_ptr_null(e.clients[0]);
	ck_assert_ptr_nonnull(e.clients[1]);
	/* Turned off, the event is no longer delivered. */
	xrfb_server_on_client_gone(e.s, NULL, NULL);
	xrfb_client_close(e.clients[1]);
	ck_assert_int_eq(e.gone, 1);
	tpeer_close(&p[1]);
	env_stop(&e);
}
END_TEST

static Suite *server_suite(void)
{
	Suite *s = suite_create("server");
	TCase *tc;

	tc = unit_tcase(s, "isolation");
	tcase_add_loop_test(tc, test_bad_client_isolated, 0, NGARBAGE);
	tcase_add_test(tc, test_stalled_client);
	tcase_add_test(tc, test_vanished_client);

	tc = unit_tcase(s, "server");
	tcase_add_test(tc, test_counts);
	tcase_add_test(tc, test_broadcast);
	tcase_add_test(tc, test_free_with_clients);
	tcase_add_test(tc, test_api_misc);
	tcase_add_test(tc, test_api_web);
	tcase_add_test(tc, test_api_errors);
	tcase_add_test(tc, test_encoder_threads);
	tcase_add_test(tc, test_events_and_data);
	return s;
}

UNIT_MAIN(server_suite)
