/* SPDX-License-Identifier: MIT */
/*
 * web, through the public API: an RFB listener with detection tells a
 * client that speaks first and one that waits from HTTP; a WebSocket
 * listener upgrades, carries RFB in frames (answering a Ping, and a
 * Close with its code) and serves files from the web root, refusing a
 * path out of it; a server freed with connections still in the web
 * stage frees them, and tells its WebSocket clients with a Close.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tpeer.h"
#include "unit.h"

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	uint16_t port;		/* RFB, with detection */
	uint16_t ws_port;	/* WebSocket only */
};

static void env_start(struct env *e, unsigned detect_ms)
{
	memset(e, 0, sizeof(*e));
	e->loop = xrfb_loop_new();
	ck_assert_ptr_nonnull(e->loop);
	e->s = xrfb_server_new(e->loop, 32, 24);
	ck_assert_ptr_nonnull(e->s);
	xrfb_server_set_websocket_detect(e->s, detect_ms);
	ck_assert_int_eq(xrfb_server_set_web_root(e->s, TEST_DATA_DIR), 0);
	ck_assert_int_eq(xrfb_server_listen(e->s, "127.0.0.1", 0), 0);
	e->port = xrfb_server_port(e->s);
	ck_assert_int_eq(xrfb_server_listen_websocket(e->s, "127.0.0.1", 0),
			 0);
	e->ws_port = xrfb_server_port(e->s);
}

static void env_stop(struct env *e)
{
	xrfb_server_free(e->s);
	xrfb_loop_free(e->loop);
}

static const char greeting[] = "RFB 003.008\n";

/* A client that sends its version before it has read ours. */
START_TEST(test_rfb_speaks_first)
{
	struct env e;
	struct tpeer p;

	/* detection long enough that only the client's bytes can end it */
	env_start(&e, 60000);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_send(&p, greeting, 12);
	tpeer_expect(&p, greeting, 12);
	tpeer_expect(&p, "\x01\x01", 2);
	tpeer_send(&p, "\x01", 1);
	tpeer_expect(&p, "\0\0\0\0", 4);
	tpeer_send(&p, "\x01", 1);
	tpeer_wait(&p, 24);
	tpeer_read_server_init(&p);
	ck_assert_int_eq(p.width, 32);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* A client that waits for the greeting gets it after the silence. */
START_TEST(test_rfb_waits)
{
	struct env e;
	struct tpeer p;

	env_start(&e, 1);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_handshake(&p, 8, NULL, true);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Read an HTTP response head; returns its status. */
static int read_head(struct tpeer *p, char *head, size_t size)
{
	char *end;
	size_t n;
	int status = -1;

	/* memmem() must not see the NULL of an empty buffer */
	while (!p->in_len || !(end = memmem(p->in, p->in_len, "\r\n\r\n", 4)))
		ck_assert_msg(tpeer_wait(p, p->in_len + 1),
			      "no response head");
	n = (size_t)(end + 4 - (char *)p->in);
	ck_assert_uint_lt(n, size);
	memcpy(head, p->in, n);
	head[n] = '\0';
	tpeer_consume(p, n);
	sscanf(head, "HTTP/1.1 %d", &status);
	return status;
}

static const uint8_t mask[4] = { 1, 2, 3, 4 };

static void send_frame(struct tpeer *p, uint8_t opcode, const void *data,
		       uint8_t len)
{
	uint8_t f[6 + 125];

	f[0] = 0x80 | opcode;
	f[1] = 0x80 | len;
	memcpy(f + 2, mask, 4);
	for (unsigned i = 0; i < len; i++)
		f[6 + i] = ((const uint8_t *)data)[i] ^ mask[i & 3];
	tpeer_send(p, f, 6u + len);
}

static void upgrade(struct tpeer *p, uint16_t port, const char *extra)
{
	char req[512], head[1024];

	snprintf(req, sizeof(req),
		 "GET /any/path HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
		 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
		 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		 "Sec-WebSocket-Version: 13\r\n%s\r\n", port, extra);
	tpeer_send(p, req, strlen(req));
	ck_assert_int_eq(read_head(p, head, sizeof(head)), 101);
	ck_assert_ptr_nonnull(strstr(head, "Sec-WebSocket-Accept: "
					   "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
}

START_TEST(test_websocket_rfb)
{
	struct env e;
	struct tpeer p;
	char origin[64];
	uint16_t port;

	/* the WebSocket listener, then the RFB one; the page came from
	 * the RFB port */
	for (int i = 0; i < 2; i++) {
		env_start(&e, 60000);
		port = i ? e.port : e.ws_port;
		tpeer_open_tcp(&p, e.loop, port, 0);
		snprintf(origin, sizeof(origin),
			 "Origin: http://127.0.0.1:%u\r\n", e.port);
		upgrade(&p, port, origin);
		tpeer_expect(&p, "\x82\x0c" "RFB 003.008\n", 14);
		/* the version in two frames, a Ping between them */
		send_frame(&p, 2, "RFB 003", 7);
		send_frame(&p, 9, "hi", 2);
		send_frame(&p, 2, ".008\n", 5);
		tpeer_expect(&p, "\x8a\x02" "hi", 4);
		tpeer_expect(&p, "\x82\x02\x01\x01", 4);
		send_frame(&p, 8, "\x0f\xa0", 2);	/* Close 4000 */
		tpeer_expect(&p, "\x88\x02\x0f\xa0", 4);
		tpeer_expect_eof(&p);
		tpeer_close(&p);
		env_stop(&e);
	}
}
END_TEST

/* A WebSocket client of a server that goes away is told so. */
START_TEST(test_server_goes)
{
	struct env e;
	struct tpeer p;

	env_start(&e, 60000);
	tpeer_open_tcp(&p, e.loop, e.ws_port, 0);
	upgrade(&p, e.ws_port, "");
	tpeer_expect(&p, "\x82\x0c" "RFB 003.008\n", 14);
	xrfb_server_free(e.s);
	tpeer_expect(&p, "\x88\x02\x03\xe8", 4);
	tpeer_expect_eof(&p);
	tpeer_close(&p);
	xrfb_loop_free(e.loop);
}
END_TEST

/* Without a password, a page from elsewhere may not open a WebSocket. */
START_TEST(test_foreign_origin)
{
	struct env e;
	struct tpeer p;
	char head[1024];
	static const char req[] =
		"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Upgrade: websocket\r\nConnection: Upgrade\r\n"
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
		"Sec-WebSocket-Version: 13\r\n"
		"Origin: http://example.com\r\n\r\n";

	env_start(&e, 60000);
	tpeer_open_tcp(&p, e.loop, e.ws_port, 0);
	tpeer_send(&p, req, sizeof(req) - 1);
	ck_assert_int_eq(read_head(&p, head, sizeof(head)), 403);
	tpeer_close(&p);
	/* with a password the RFB authentication guards the desktop */
	ck_assert_int_eq(xrfb_server_set_password(e.s, "secret"), 0);
	tpeer_open_tcp(&p, e.loop, e.ws_port, 0);
	tpeer_send(&p, req, sizeof(req) - 1);
	ck_assert_int_eq(read_head(&p, head, sizeof(head)), 101);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

START_TEST(test_files)
{
	struct env e;
	struct tpeer p;
	char head[1024];
	static const char req[] =
		"GET /vncpasswd-secret HTTP/1.1\r\nHost: x\r\n\r\n"
		"HEAD /vncpasswd-secret HTTP/1.1\r\nHost: x\r\n\r\n"
		"GET /../Makefile.am HTTP/1.1\r\nHost: x\r\n\r\n";
	FILE *f = fopen(TEST_DATA_DIR "/vncpasswd-secret", "rb");
	uint8_t file[64];
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(file, 1, sizeof(file), f);
	fclose(f);
	env_start(&e, 60000);
	tpeer_open_tcp(&p, e.loop, e.port, 0);
	tpeer_send(&p, req, sizeof(req) - 1);
	ck_assert_int_eq(read_head(&p, head, sizeof(head)), 200);
	tpeer_expect(&p, file, n);
	ck_assert_int_eq(read_head(&p, head, sizeof(head)), 200);
	ck_assert_int_eq(read_head(&p, head, sizeof(head)), 400);
	ck_assert_ptr_nonnull(strstr(head, "Connection: close\r\n"));
	tpeer_expect(&p, "400 Bad Request: bad path\n", 26);
	tpeer_expect_eof(&p);
	tpeer_close(&p);
	env_stop(&e);
}
END_TEST

/* Connections still undecided or mid-request when the server goes. */
START_TEST(test_free_pending)
{
	struct env e;
	struct tpeer p[3];

	env_start(&e, 60000);
	tpeer_open_tcp(&p[0], e.loop, e.port, 0);
	tpeer_send(&p[0], "GE", 2);
	tpeer_open_tcp(&p[1], e.loop, e.port, 0);
	tpeer_send(&p[1], "GET / HTTP/1.1\r\n", 16);
	tpeer_open_tcp(&p[2], e.loop, e.ws_port, 0);
	tpeer_send(&p[2], "GET / HTTP/1.1\r\n", 16);
	for (int i = 0; i < 3; i++)
		tpeer_flush(&p[i]);
	xrfb_server_free(e.s);
	for (int i = 0; i < 3; i++)
		tpeer_close(&p[i]);
	xrfb_loop_free(e.loop);
}
END_TEST

static Suite *web_suite(void)
{
	Suite *s = suite_create("web");
	TCase *tc = unit_tcase(s, "web");

	tcase_add_test(tc, test_rfb_speaks_first);
	tcase_add_test(tc, test_rfb_waits);
	tcase_add_test(tc, test_websocket_rfb);
	tcase_add_test(tc, test_server_goes);
	tcase_add_test(tc, test_foreign_origin);
	tcase_add_test(tc, test_files);
	tcase_add_test(tc, test_free_pending);
	return s;
}

UNIT_MAIN(web_suite)
