/* SPDX-License-Identifier: MIT */
/*
 * The seed recorder of fuzz-tls (built from fuzz-tls.c with
 * TLS_SEED_RECORDER, which includes this file): a viewer made of GnuTLS's
 * real client runs whole sessions against the fuzz target's server (same
 * fixed randomness, same certificate) and each session's bytes from the
 * viewer are written as one seed, in the target's input format.
 *
 *   tls-seed DIR    writes DIR/<name> for every session below
 *   tls-seed --listen CFG FILE
 *                   serves the configuration byte CFG (decimal) to one
 *                   viewer on 127.0.0.1 (the port is printed) and writes
 *                   what the viewer sent to FILE: how the RSA-AES seeds
 *                   were recorded from tests/tools/ra2-client.py.
 */
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <poll.h>

#include "sec-vncauth.h"

struct rec {
	int fd;
	uint8_t cfg;
	uint8_t data[FUZZ_MAX_INPUT];
	size_t len;
	gnutls_session_t tls;
};

static void rec_fail(const char *what)
{
	fprintf(stderr, "tls-seed: %s\n", what);
	exit(1);
}

/* One segment: recorded, then written whole. */
static void rec_write(struct rec *r, const void *d, size_t n)
{
	const uint8_t *p = d;

	if (r->len + 2 + n > sizeof(r->data) || n > 0xffff)
		rec_fail("session too long");
	r->data[r->len++] = (uint8_t)(n >> 8);
	r->data[r->len++] = (uint8_t)n;
	memcpy(r->data + r->len, d, n);
	r->len += n;
	while (n) {
		ssize_t k = write(r->fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			rec_fail("write");
		p += k;
		n -= (size_t)k;
	}
}

static void rec_read(struct rec *r, void *d, size_t n)
{
	uint8_t *p = d;

	while (n) {
		ssize_t k = r->tls ? gnutls_record_recv(r->tls, p, n)
				   : read(r->fd, p, n);

		if (k < 0 && (errno == EINTR || k == GNUTLS_E_AGAIN ||
			      k == GNUTLS_E_INTERRUPTED))
			continue;
		if (k <= 0)
			rec_fail("read");
		p += k;
		n -= (size_t)k;
	}
}

static void rec_send(struct rec *r, const void *d, size_t n)
{
	if (gnutls_record_send(r->tls, d, n) != (ssize_t)n)
		rec_fail("gnutls_record_send");
}

static ssize_t rec_push(gnutls_transport_ptr_t arg, const void *d, size_t n)
{
	rec_write(arg, d, n);
	return (ssize_t)n;
}

static ssize_t rec_pull(gnutls_transport_ptr_t arg, void *d, size_t n)
{
	struct rec *r = arg;

	return read(r->fd, d, n);
}

struct session {
	const char *name;
	uint8_t cfg;
	uint32_t subtype;
	const char *user, *password;	/* Plain, VNC (password only) */
	const char *priority;		/* the viewer's */
	bool refused;			/* a wrong password */
};

/* The viewer: VeNCrypt, TLS, the inner authentication, then a few
 * messages inside TLS, and close_notify. */
static void viewer(struct rec *r, const struct session *se)
{
	gnutls_anon_client_credentials_t anon = NULL;
	gnutls_certificate_credentials_t cert = NULL;
	uint8_t b[64], n;
	uint32_t result;
	int ret;

	rec_read(r, b, 12);
	rec_write(r, "RFB 003.008\n", 12);
	rec_read(r, &n, 1);
	rec_read(r, b, n);
	rec_write(r, "\x13", 1);
	rec_read(r, b, 2);
	rec_write(r, "\x00\x02", 2);
	rec_read(r, b, 2);		/* ack, count */
	n = b[1];
	for (unsigned i = 0; i < n; i++)
		rec_read(r, b + 2, 4);
	put_u32(b, se->subtype);
	rec_write(r, b, 4);
	rec_read(r, b, 1);
	if (b[0] != 1)
		rec_fail("subtype refused");

	if (gnutls_init(&r->tls, GNUTLS_CLIENT) < 0 ||
	    gnutls_priority_set_direct(r->tls, se->priority, NULL) < 0)
		rec_fail("gnutls_init");
	if (se->cfg & TLS_HARNESS_X509) {
		gnutls_certificate_allocate_credentials(&cert);
		gnutls_credentials_set(r->tls, GNUTLS_CRD_CERTIFICATE, cert);
	} else {
		gnutls_anon_allocate_client_credentials(&anon);
		gnutls_credentials_set(r->tls, GNUTLS_CRD_ANON, anon);
	}
	gnutls_transport_set_ptr(r->tls, r);
	gnutls_transport_set_push_function(r->tls, rec_push);
	gnutls_transport_set_pull_function(r->tls, rec_pull);
	do
		ret = gnutls_handshake(r->tls);
	while (ret < 0 && !gnutls_error_is_fatal(ret));
	if (ret < 0)
		rec_fail(gnutls_strerror(ret));

	switch (se->subtype) {
	case XRFB_SEC_TLS_VNC:
	case XRFB_SEC_X509_VNC: {
		uint8_t challenge[VNCAUTH_CHALLENGE_LEN];
		uint8_t response[VNCAUTH_CHALLENGE_LEN];

		rec_read(r, challenge, sizeof(challenge));
		vncauth_response(se->password, challenge, response);
		rec_send(r, response, sizeof(response));
		break;
	}
	case XRFB_SEC_TLS_PLAIN:
	case XRFB_SEC_X509_PLAIN: {
		size_t ul = strlen(se->user), pl = strlen(se->password);

		put_u32(b, (uint32_t)ul);
		put_u32(b + 4, (uint32_t)pl);
		memcpy(b + 8, se->user, ul);
		memcpy(b + 8 + ul, se->password, pl);
		rec_send(r, b, 8 + ul + pl);
		break;
	}
	default:
		break;
	}
	/* A refusal is delayed (throttling): no waiting for it. */
	result = 1;
	if (!se->refused) {
		rec_read(r, b, 4);
		result = get_u32(b);
	}
	if (!result) {
		static const uint8_t messages[] = {
			1,	/* ClientInit: shared */
		};
		static const uint8_t after_init[] = {
			/* SetEncodings: ZRLE, Raw, CopyRect, DesktopSize,
			 * ExtendedDesktopSize, extended clipboard */
			2, 0, 0, 6, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 1,
			0xff, 0xff, 0xff, 0x21, 0xff, 0xff, 0xfe, 0xcc,
			0xc0, 0xa1, 0xe5, 0xce,
			/* FramebufferUpdateRequest, whole */
			3, 0, 0, 0, 0, 0, 0, 32, 0, 16,
			/* KeyEvent 'a' down and up */
			4, 1, 0, 0, 0, 0, 0, 0x61, 4, 0, 0, 0, 0, 0, 0, 0x61,
			/* PointerEvent */
			5, 1, 0, 3, 0, 4,
			/* ClientCutText "hi" */
			6, 0, 0, 0, 0, 0, 0, 2, 'h', 'i',
			/* an incremental request */
			3, 1, 0, 0, 0, 0, 0, 32, 0, 16,
		};
		uint32_t name_len;

		rec_send(r, messages, sizeof(messages));
		rec_read(r, b, 24);
		name_len = get_u32(b + 20);
		while (name_len) {
			uint32_t k = name_len < sizeof(b) ? name_len
							  : sizeof(b);

			rec_read(r, b, k);
			name_len -= k;
		}
		rec_send(r, after_init, sizeof(after_init));
		/* The first update's header: the server took it all. */
		rec_read(r, b, 4);
	}
	gnutls_bye(r->tls, GNUTLS_SHUT_WR);
	gnutls_deinit(r->tls);
	r->tls = NULL;
	if (anon)
		gnutls_anon_free_client_credentials(anon);
	if (cert)
		gnutls_certificate_free_credentials(cert);
}

struct serve {
	uint8_t cfg;
	int fd;
};

/* The server's thread, randomness fixed as in the fuzz target. */
static void *serve(void *arg)
{
	struct serve *sv = arg;
	struct harness h;

	fix_randomness();
	harness_open(&h, sv->cfg, sv->fd, -1, false);
	h.final = true;
	run(&h);
	harness_close(&h);
	return NULL;
}

static void save(const struct rec *r, const char *path)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(r->data, 1, r->len, f) != r->len || fclose(f))
		rec_fail(path);
}

/* Pass one TCP viewer's bytes to the server, recording them. */
static void listen_one(uint8_t cfg, const char *path)
{
	static struct rec r;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	struct serve sv = { cfg, -1 };
	uint8_t b[65536];
	pthread_t t;
	int fds[2], l, c;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0 ||
	    fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)
		rec_fail("socketpair");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(l, 1) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &alen) < 0)
		rec_fail("listen");
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	c = accept(l, NULL, NULL);
	if (c < 0)
		rec_fail("accept");
	r.fd = fds[1];
	r.data[r.len++] = cfg;
	sv.fd = fds[0];
	if (pthread_create(&t, NULL, serve, &sv) != 0)
		rec_fail("pthread_create");
	for (;;) {
		struct pollfd p[2] = { { c, POLLIN, 0 }, { r.fd, POLLIN, 0 } };
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			rec_fail("poll");
		if (p[0].revents) {
			n = read(c, b, sizeof(b));
			if (n <= 0)
				break;
			rec_write(&r, b, (size_t)n);
		}
		if (p[1].revents) {
			n = read(r.fd, b, sizeof(b));
			if (n <= 0 || write(c, b, (size_t)n) != n)
				break;
		}
	}
	close(c);
	close(l);
	close(r.fd);
	pthread_join(t, NULL);
	save(&r, path);
}

static void record(const char *dir, const struct session *se)
{
	static struct rec r;
	struct serve sv = { se->cfg, -1 };
	char path[4096];
	pthread_t t;
	int fds[2];

	memset(&r, 0, sizeof(r));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		rec_fail("socketpair");
	if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)
		rec_fail("fcntl");
	sv.fd = fds[0];
	r.fd = fds[1];
	r.data[r.len++] = se->cfg;
	if (pthread_create(&t, NULL, serve, &sv) != 0)
		rec_fail("pthread_create");
	viewer(&r, se);
	close(r.fd);
	pthread_join(t, NULL);
	snprintf(path, sizeof(path), "%s/%s", dir, se->name);
	save(&r, path);
}

#define ANON "NORMAL:+ANON-ECDH:+ANON-DH"

int main(int argc, char **argv)
{
	static const struct session sessions[] = {
		{ "tls-none", 0, XRFB_SEC_TLS_NONE, NULL, NULL, ANON, false },
		{ "tls-vnc", 0, XRFB_SEC_TLS_VNC, NULL, "pw", ANON, false },
		{ "tls-vnc-wrong", 0, XRFB_SEC_TLS_VNC, NULL, "no", ANON,
		  true },
		{ "tls-plain", 0, XRFB_SEC_TLS_PLAIN, "u", "pw", ANON, false },
		{ "tls-plain-wrong", 0, XRFB_SEC_TLS_PLAIN, "u", "no", ANON,
		  true },
		{ "tls-plain-dh", 0, XRFB_SEC_TLS_PLAIN, "v", "pw",
		  "NORMAL:-KX-ALL:+ANON-DH", false },
		{ "x509-none", 1, XRFB_SEC_X509_NONE, NULL, NULL, "NORMAL",
		  false },
		{ "x509-vnc", 1, XRFB_SEC_X509_VNC, NULL, "pw", "NORMAL", false },
		{ "x509-plain", 1, XRFB_SEC_X509_PLAIN, "u", "pw", "NORMAL",
		  false },
		{ "x509-plain-tls12", 3, XRFB_SEC_X509_PLAIN, "u", "pw",
		  "NORMAL:-VERS-TLS1.3", false },
		{ "x509-none-chacha", 1, XRFB_SEC_X509_NONE, NULL, NULL,
		  "NORMAL:-CIPHER-ALL:+CHACHA20-POLY1305", false },
	};

	if (argc == 4 && !strcmp(argv[1], "--listen")) {
		listen_one((uint8_t)atoi(argv[2]), argv[3]);
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR | --listen CFG FILE\n",
			argv[0]);
		return 2;
	}
	for (size_t i = 0; i < sizeof(sessions) / sizeof(sessions[0]); i++)
		record(argv[1], &sessions[i]);
	return 0;
}
