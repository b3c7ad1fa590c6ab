/* SPDX-License-Identifier: MIT */
/*
 * tls: a real GnuTLS client (on a thread, blocking) against a stream
 * carried by the TLS layer on the loop. Anonymous and X509 sessions (the
 * certificate tls_cert_make() writes, trusted as its own CA and valid for
 * "localhost"); a megabyte each way in records of every size; reads
 * paused and resumed mid-transfer; bytes in the clear before the layer
 * refused; a peer that speaks no TLS costs only its stream; and
 * tls_accept(), whose first bytes were read before TLS was known, with
 * the ClientHello split after 1, 5 and 100 bytes or read whole.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "stream.h"
#include "tls.h"
#include "tpeer.h"
#include "unit.h"

#define ECHO_BYTES (1u << 20)

struct srv {
	struct xrfb_loop *loop;
	struct tls_ctx *tls;
	struct stream *st;
	bool ready, error;
	int err;
	size_t echoed;
	bool pause_once;	/* pause after the first read, resume later */
	struct xrfb_timer *resume;
	/* tls_accept(): started from the first read, as the web stage
	 * does; the client waits at the gate until then. */
	bool accept;
	size_t split;
	int gate;
};

struct cli {
	int fd;
	const char *ca;		/* NULL: anonymous */
	size_t sent, received;
	bool ok;
	unsigned verify_status;
	char fail[128];
	/* Write only the first @split bytes at first, and the rest once
	 * *@gate is set (0: no split). */
	size_t split;
	int *gate;
	int pushes;
};

/* The client's writes: the first one cut at c->split, the next one only
 * after the server took those bytes in. */
static ssize_t split_push(gnutls_transport_ptr_t p, const void *buf,
			  size_t len)
{
	struct cli *c = p;

	if (c->pushes++ == 0 && c->split && len > c->split)
		len = c->split;
	else if (c->pushes == 2 && c->split)
		for (int i = 0; i < 10000 && !__atomic_load_n(c->gate,
							      __ATOMIC_ACQUIRE);
		     i++)
			usleep(1000);
	return send(c->fd, buf, len, MSG_NOSIGNAL);
}

static ssize_t fd_pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct cli *c = p;

	return recv(c->fd, buf, len, 0);
}

static void on_resume(void *arg)
{
	struct srv *s = arg;

	s->resume = NULL;
	stream_pause_read(s->st, false);
}

static void on_read(void *arg, struct stream *st)
{
	struct srv *s = arg;
	struct buf *in = stream_input(st);

	ck_assert(s->ready);
	ck_assert_int_eq(stream_send_copy(st, in->data, in->len), 0);
	s->echoed += in->len;
	buf_consume(in, in->len);
	stream_flush(st);
	if (s->pause_once) {
		/* Whatever GnuTLS or the socket holds must come after the
		 * resume. */
		s->pause_once = false;
		stream_pause_read(st, true);
		s->resume = xrfb_loop_add_timer(s->loop, 50, on_resume, s);
	}
}

static void on_error(void *arg, struct stream *st, int err);
static void on_ready(void *arg);

/* The first bytes, read in the clear: the ClientHello's start, for
 * tls_accept(). */
static void on_first_read(void *arg, struct stream *st)
{
	struct srv *s = arg;

	ck_assert(!s->split || stream_input(st)->len == s->split);
	stream_set_owner(st, on_read, on_error, NULL, s);
	ck_assert_int_eq(tls_accept(s->tls, st, "test", on_ready, s), 0);
	ck_assert_uint_eq(stream_input(st)->len, 0);
	__atomic_store_n(&s->gate, 1, __ATOMIC_RELEASE);
}

static void on_error(void *arg, struct stream *st, int err)
{
	struct srv *s = arg;

	s->error = true;
	s->err = err;
}

static void on_ready(void *arg)
{
	struct srv *s = arg;

	s->ready = true;
}

/* The client: handshake, then write and read ECHO_BYTES concurrently in
 * records of growing sizes (one thread: write a piece, read back what has
 * come, until all is back). */
static void *client_main(void *arg)
{
	struct cli *c = arg;
	gnutls_session_t ses;
	gnutls_anon_client_credentials_t anon = NULL;
	gnutls_certificate_credentials_t xc = NULL;
	uint8_t *out = malloc(ECHO_BYTES), *in = malloc(ECHO_BYTES);
	size_t piece = 1;
	int r;

	for (size_t i = 0; i < ECHO_BYTES; i++)
		out[i] = (uint8_t)(i * 7 + (i >> 9));
	gnutls_init(&ses, GNUTLS_CLIENT);
	if (c->ca) {
		gnutls_certificate_allocate_credentials(&xc);
		gnutls_certificate_set_x509_trust_file(xc, c->ca,
						       GNUTLS_X509_FMT_PEM);
		gnutls_credentials_set(ses, GNUTLS_CRD_CERTIFICATE, xc);
		gnutls_server_name_set(ses, GNUTLS_NAME_DNS, "localhost", 9);
		gnutls_set_default_priority(ses);
	} else {
		gnutls_anon_allocate_client_credentials(&anon);
		gnutls_credentials_set(ses, GNUTLS_CRD_ANON, anon);
		gnutls_priority_set_direct(ses, "NORMAL:+ANON-DH", NULL);
	}
	gnutls_transport_set_ptr(ses, c);
	gnutls_transport_set_push_function(ses, split_push);
	gnutls_transport_set_pull_function(ses, fd_pull);
	do
		r = gnutls_handshake(ses);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0) {
		snprintf(c->fail, sizeof(c->fail), "handshake: %s",
			 gnutls_strerror(r));
		goto out;
	}
	if (c->ca)
		gnutls_certificate_verify_peers3(ses, "localhost",
						 &c->verify_status);
	while (c->received < ECHO_BYTES) {
		if (c->sent < ECHO_BYTES) {
			size_t n = ECHO_BYTES - c->sent;

			if (n > piece)
				n = piece;
			piece = piece * 3 + 1;
			if (piece > 40000)
				piece = 1;
			r = (int)gnutls_record_send(ses, out + c->sent, n);
			if (r < 0) {
				snprintf(c->fail, sizeof(c->fail), "send: %s",
					 gnutls_strerror(r));
				goto out;
			}
			c->sent += (size_t)r;
			/* Let the echo catch up now and then. */
			if (c->sent - c->received < 200000)
				continue;
		}
		r = (int)gnutls_record_recv(ses, in + c->received,
					    ECHO_BYTES - c->received);
		if (r <= 0) {
			snprintf(c->fail, sizeof(c->fail), "recv: %s",
				 r ? gnutls_strerror(r) : "EOF");
			goto out;
		}
		c->received += (size_t)r;
	}
	c->ok = memcmp(in, out, ECHO_BYTES) == 0;
	if (!c->ok)
		snprintf(c->fail, sizeof(c->fail), "echo differs");
	gnutls_bye(ses, GNUTLS_SHUT_WR);
out:
	gnutls_deinit(ses);
	if (anon)
		gnutls_anon_free_client_credentials(anon);
	if (xc)
		gnutls_certificate_free_credentials(xc);
	shutdown(c->fd, SHUT_RDWR);
	free(out);
	free(in);
	return NULL;
}

static bool srv_done(void *arg)
{
	struct srv *s = arg;

	return s->error;
}

static void run_echo(const char *cert, const char *key, bool pause_once,
		     bool accept, size_t split)
{
	struct srv s;
	struct cli c;
	pthread_t th;
	int sv[2];

	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	s.loop = xrfb_loop_new();
	s.tls = tls_ctx_new();
	ck_assert_ptr_nonnull(s.tls);
	if (cert) {
		char fpr[TLS_FINGERPRINT_LEN];

		ck_assert_int_eq(tls_ctx_set_cert(s.tls, cert, key, fpr), 0);
		ck_assert_uint_eq(strlen(fpr), 95);
		c.ca = cert;
	}
	s.pause_once = pause_once;
	s.accept = accept;
	s.split = split;
	c.split = split;
	c.gate = &s.gate;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
				    sv),
			 0);
	ck_assert_int_eq(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	s.st = stream_new(s.loop, sv[0], accept ? on_first_read : on_read,
			  on_error, &s);
	if (!accept)
		ck_assert_int_eq(tls_start(s.tls, s.st, cert != NULL, "test",
					   on_ready, &s),
				 0);
	c.fd = sv[1];
	ck_assert_int_eq(pthread_create(&th, NULL, client_main, &c), 0);
	ck_assert(test_run_until(s.loop, srv_done, &s));
	pthread_join(th, NULL);
	ck_assert_msg(c.ok, "client: %s", c.fail);
	ck_assert(s.ready);
	ck_assert_uint_eq(s.echoed, ECHO_BYTES);
	ck_assert_uint_eq(c.verify_status, 0);
	xrfb_timer_cancel(s.resume);
	stream_free(s.st);
	close(sv[1]);
	tls_ctx_free(s.tls);
	xrfb_loop_free(s.loop);
}

START_TEST(test_anon_echo)
{
	run_echo(NULL, NULL, false, false, 0);
}
END_TEST

START_TEST(test_anon_paused)
{
	run_echo(NULL, NULL, true, false, 0);
}
END_TEST

/* A certificate made once, reused, mode 0600; X509 sessions verify. */
START_TEST(test_x509_echo)
{
	char dir[] = "/tmp/xrfb-test-tls.XXXXXX", cert[64], key[64];
	struct stat st;
	struct stat again;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	ck_assert_int_eq(tls_cert_make(cert, key), 1);
	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(stat(cert, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(tls_cert_make(cert, key), 0);
	ck_assert_int_eq(stat(cert, &again), 0);
	ck_assert_uint_eq(again.st_ino, st.st_ino);
	run_echo(cert, key, false, false, 0);
	/* Started from bytes read already, split or whole. */
	run_echo(cert, key, false, true, 1);
	run_echo(cert, key, false, true, 5);
	run_echo(cert, key, true, true, 100);
	run_echo(cert, key, false, true, 0);
	/* A key without its certificate is not silently replaced. */
	unlink(cert);
	ck_assert_int_eq(tls_cert_make(cert, key), -EEXIST);
	unlink(key);
	rmdir(dir);
}
END_TEST

static void on_plain_read(void *arg, struct stream *st)
{
	struct srv *s = arg;

	/* Clear bytes are here: no layer may start on top of them. */
	ck_assert_int_eq(tls_start(s->tls, st, false, "test", on_ready, s),
			 -EPROTO);
	s->error = true;
}

/* A server stream on a non-blocking socketpair; returns the peer's fd. */
static int open_srv(struct srv *s, stream_read_fn on_read_fn)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->loop = xrfb_loop_new();
	s->tls = tls_ctx_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						     SOCK_CLOEXEC,
				    0, sv),
			 0);
	s->st = stream_new(s->loop, sv[0], on_read_fn, on_error, s);
	return sv[1];
}

static void close_srv(struct srv *s, int peer)
{
	stream_free(s->st);
	close(peer);
	tls_ctx_free(s->tls);
	xrfb_loop_free(s->loop);
}

START_TEST(test_clear_bytes_refused)
{
	struct srv s;
	int peer = open_srv(&s, on_plain_read);

	ck_assert_int_eq(write(peer, "\x16\x03\x01", 3), 3);
	ck_assert(test_run_until(s.loop, srv_done, &s));
	ck_assert(!stream_has_layer(s.st));
	close_srv(&s, peer);
}
END_TEST

/* A peer that sends no TLS: the stream fails, nothing else. */
START_TEST(test_garbage_handshake)
{
	static const char junk[] = "RFB 003.008\nGET / HTTP/1.0\r\n\r\n";
	struct srv s;
	int peer = open_srv(&s, on_read);

	ck_assert_int_eq(tls_start(s.tls, s.st, false, "test", on_ready, &s), 0);
	ck_assert_int_eq(write(peer, junk, sizeof(junk)), sizeof(junk));
	ck_assert(test_run_until(s.loop, srv_done, &s));
	ck_assert(!s.ready);
	ck_assert_int_lt(s.err, 0);
	close_srv(&s, peer);
}
END_TEST

START_TEST(test_bad_priority)
{
	struct tls_ctx *t = tls_ctx_new();

	ck_assert_int_eq(tls_ctx_set_priority(t, "NORMAL:+NO-SUCH-THING"),
			 -EINVAL);
	ck_assert_int_eq(tls_ctx_set_priority(t, "NORMAL:-VERS-TLS1.3"), 0);
	tls_ctx_free(t);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("tls");
	TCase *tc = unit_tcase(s, "tls");

	tcase_add_test(tc, test_anon_echo);
	tcase_add_test(tc, test_anon_paused);
	tcase_add_test(tc, test_x509_echo);
	tcase_add_test(tc, test_clear_bytes_refused);
	tcase_add_test(tc, test_garbage_handshake);
	tcase_add_test(tc, test_bad_priority);
	return s;
}

UNIT_MAIN(tls_suite)
