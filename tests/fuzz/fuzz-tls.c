/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the server side of VeNCrypt and the TLS stream layer
 * (src/core/tls.c), and of the RSA-AES types: a real server (client_new()
 * on one end of a socketpair) offers the TLS or the X509 subtypes with a
 * fixed certificate (tests/fuzz/tls-cert.pem, tls-key.pem), or RA2_256,
 * RA2, RA2ne_256 and RA2ne with a fixed key (tests/fuzz/ra2-key.pem; all
 * three are test data), and the fuzzer's bytes are the viewer: the RFB
 * version, the security type, the VeNCrypt version and subtype, the TLS
 * handshake or the RSA-AES exchange, the inner authentication and the RFB
 * messages inside. Nothing may crash, leak or spin.
 *
 * Each input runs in a thread of its own in which getrandom() and the
 * wall clock are fixed: GnuTLS seeds its generator per thread from them,
 * and the VNC challenge comes from getrandom(), so the server says the
 * same bytes for the same input. A viewer's side recorded once (see
 * tls-seed.c) therefore replays as a whole session, handshake included,
 * and the fuzzer mutates from there.
 *
 * Input: byte 0 configures the server (bit 0: the X509 subtypes, else the
 * anonymous ones; bit 1: TLS 1.2 only; bit 2: the RSA-AES types instead);
 * then segments, each a 16-bit big-endian length and that many bytes (the
 * last may be short), written one at a time with the server settling in
 * between, as a viewer writes after reading the server's answer.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define FUZZ_NAME "fuzz-tls"
#include "fuzz-server.h"

#define FUZZ_MAX_INPUT 65536

#define TLS_HARNESS_X509 0x01	/* configuration byte */
#define TLS_HARNESS_TLS12 0x02
#define TLS_HARNESS_RA2 0x04
#define TLS_HARNESS_PASSWORD "pw"

/* ---- a fixed source of randomness and time, per thread ------------------ */

static __thread bool fixed;
static __thread uint64_t fixed_state;

ssize_t getrandom(void *buf, size_t len, unsigned int flags);
int clock_gettime(clockid_t id, struct timespec *ts);

/* Interposes on the C library's getrandom() for the whole program; other
 * threads (and the harness before it fixes its own) get the kernel's. */
ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	uint8_t *p = buf;

	if (!fixed)
		return syscall(SYS_getrandom, buf, len, flags);
	for (size_t i = 0; i < len; i++) {
		/* splitmix64: any fixed sequence does */
		uint64_t z = (fixed_state += 0x9e3779b97f4a7c15u);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
		p[i] = (uint8_t)(z ^ (z >> 31));
	}
	return (ssize_t)len;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	if (!fixed || id != CLOCK_REALTIME)
		return (int)syscall(SYS_clock_gettime, id, ts);
	ts->tv_sec = 1767225600;	/* 2026-01-01 */
	ts->tv_nsec = 0;
	return 0;
}

static void fix_randomness(void)
{
	fixed = true;
	fixed_state = 0;
}

/* ---- the server --------------------------------------------------------- */

static bool cb_plain(void *arg, const char *user, const char *password,
		     bool *view_only)
{
	*view_only = user[0] == 'v';
	return (!strcmp(user, "u") || !strcmp(user, "v")) &&
	       !strcmp(password, TLS_HARNESS_PASSWORD);
}

static void cb_key(void *arg, struct xrfb_client *c, bool down, uint32_t sym)
{
}

static void cb_cut(void *arg, struct xrfb_client *c, const char *text,
		   size_t len)
{
}

static const uint32_t anon_types[] = {
	XRFB_SEC_TLS_NONE, XRFB_SEC_TLS_VNC, XRFB_SEC_TLS_PLAIN,
};
static const uint32_t x509_types[] = {
	XRFB_SEC_X509_NONE, XRFB_SEC_X509_VNC, XRFB_SEC_X509_PLAIN,
};
static const uint32_t ra2_types[] = {
	XRFB_SEC_RA2_256, XRFB_SEC_RA2, XRFB_SEC_RA2NE_256, XRFB_SEC_RA2NE,
};

/* Serve one viewer on @server_fd; @viewer_fd is the other end, drained
 * by the loop if @drain. */
static void harness_open(struct harness *h, uint8_t cfg, int server_fd,
			 int viewer_fd, bool drain)
{
	char fpr[128];
	int r;

	memset(h, 0, sizeof(*h));
	h->loop = xrfb_loop_new();
	if (!h->loop)
		die("xrfb_loop_new");
	if (!getenv("FUZZ_LOG"))
		xrfb_loop_set_log(h->loop, XRFB_LOG_ERROR, NULL, NULL);
	h->s = xrfb_server_new(h->loop, 32, 16);
	if (!h->s)
		die("xrfb_server_new");
	xrfb_server_on_key(h->s, cb_key, h);
	xrfb_server_on_cut_text(h->s, cb_cut, h);
	xrfb_server_set_password(h->s, TLS_HARNESS_PASSWORD);
	xrfb_server_set_plain_check(h->s, cb_plain, h);
	/* Not the system's priority: the recorded seeds must not depend on
	 * a machine's configuration. */
	if (xrfb_server_set_tls_priority(h->s, cfg & TLS_HARNESS_TLS12 ?
					 "NORMAL:-VERS-TLS1.3" : "NORMAL") < 0)
		die("xrfb_server_set_tls_priority");
	if (xrfb_server_set_tls_cert(h->s, FUZZ_TLS_DIR "/tls-cert.pem",
				     FUZZ_TLS_DIR "/tls-key.pem", fpr,
				     sizeof(fpr)) < 0)
		die("xrfb_server_set_tls_cert");
	if (cfg & TLS_HARNESS_RA2) {
		if (xrfb_server_set_rsa_key(h->s, FUZZ_TLS_DIR "/ra2-key.pem",
					    false, NULL, 0) < 0)
			die("xrfb_server_set_rsa_key");
		r = xrfb_server_set_security(h->s, ra2_types, 4);
	} else {
		r = xrfb_server_set_security(h->s, cfg & TLS_HARNESS_X509 ?
					     x509_types : anon_types, 3);
	}
	if (r < 0)
		die("xrfb_server_set_security");
	if (!client_new(h->s, server_fd, "fuzz"))
		die("client_new");
	h->fd = viewer_fd;
	if (drain)
		h->w = xrfb_loop_watch_fd(h->loop, h->fd, XRFB_EV_IN,
					  on_viewer, h);
	xrfb_loop_add_prepare(h->loop, on_prepare, h);
}

static void harness_close(struct harness *h)
{
	xrfb_server_free(h->s);
	xrfb_loop_remove_prepare(h->loop, on_prepare, h);
	xrfb_watch_free(h->w);
	xrfb_loop_free(h->loop);
	close(h->fd);
}

struct input {
	const uint8_t *data;
	size_t size;
};

static void *run_input(void *arg)
{
	const struct input *in = arg;
	const uint8_t *d = in->data + 1;
	size_t left = in->size - 1;
	struct harness h;
	int sv[2];

	fix_randomness();
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0,
		       sv) < 0)
		die("socketpair");
	harness_open(&h, in->data[0], sv[0], sv[1], true);
	run(&h);
	while (left) {
		size_t n = left < 2 ? left : (size_t)(d[0] << 8 | d[1]);

		if (left >= 2) {
			d += 2;
			left -= 2;
		}
		if (n > left)
			n = left;
		feed(&h, d, n);
		run(&h);
		d += n;
		left -= n;
	}
	/* The viewer hangs up: the server must let go of everything. */
	shutdown(h.fd, SHUT_WR);
	h.final = true;
	run(&h);
	harness_close(&h);
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	pthread_t t;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	/* A fresh thread: GnuTLS's generator starts again from the
	 * fixed seed. */
	if (pthread_create(&t, NULL, run_input, &in) != 0)
		die("pthread_create");
	pthread_join(t, NULL);
	return 0;
}

#ifdef TLS_SEED_RECORDER
#include "tls-seed.c"
#endif
