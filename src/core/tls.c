/* SPDX-License-Identifier: MIT */
/*
 * TLS sessions (GnuTLS) as a stream layer: non-blocking handshake,
 * records read until GnuTLS holds nothing more (stream.c drains
 * gnutls_record_check_pending, which epoll cannot see), writes from the
 * stream's own queue. Anonymous sessions (the TLS* VeNCrypt subtypes) use
 * the system priority plus the anonymous key exchanges, as TigerVNC does
 * (gtk-vnc offers ANON-DH only); X509 sessions use the certificate set
 * with tls_ctx_set_cert(). Nothing here knows RFB.
 */
#include "config.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "log.h"
#include "tls.h"

#define TLS_ANON_KX "+ANON-ECDH:+ANON-DH"

struct tls_ctx {
	gnutls_anon_server_credentials_t anon;
	gnutls_certificate_credentials_t cert;	/* NULL: no X509 */
	gnutls_priority_t prio_anon, prio_x509;
};

struct tls_session {
	gnutls_session_t session;
	char who[64];
	int fd;
	/* The start of the client's handshake, read before TLS was known
	 * (tls_accept): handed to GnuTLS before the socket. */
	uint8_t *pre;
	size_t pre_len, pre_off;
};

static int set_priorities(struct tls_ctx *t, const char *priority)
{
	gnutls_priority_t anon = NULL, x509 = NULL;
	const char *where = NULL;
	char *s = NULL;
	int r;

	if (!priority) {
		r = gnutls_priority_init2(&anon, TLS_ANON_KX, &where,
					  GNUTLS_PRIORITY_INIT_DEF_APPEND);
		if (r == 0)
			r = gnutls_priority_init(&x509, NULL, &where);
	} else {
		s = xmalloc(strlen(priority) + sizeof(TLS_ANON_KX) + 1);
		sprintf(s, "%s:%s", priority, TLS_ANON_KX);
		r = gnutls_priority_init(&anon, s, &where);
		if (r == 0)
			r = gnutls_priority_init(&x509, priority, &where);
	}
	if (r < 0) {
		/* @where may point into @s: freed only after this */
		log_error("TLS priority \"%s\": %s at \"%s\"",
			  priority ? priority : "(system)", gnutls_strerror(r),
			  where ? where : "");
		free(s);
		if (anon)
			gnutls_priority_deinit(anon);
		return -EINVAL;
	}
	free(s);
	if (t->prio_anon)
		gnutls_priority_deinit(t->prio_anon);
	if (t->prio_x509)
		gnutls_priority_deinit(t->prio_x509);
	t->prio_anon = anon;
	t->prio_x509 = x509;
	return 0;
}

struct tls_ctx *tls_ctx_new(void)
{
	struct tls_ctx *t = xcalloc(1, sizeof(*t));
	int r;

	r = gnutls_anon_allocate_server_credentials(&t->anon);
	if (r < 0)
		goto err_free;
	/* RFC 7919 groups: nothing to generate at start-up. */
	r = gnutls_anon_set_server_known_dh_params(t->anon,
						   GNUTLS_SEC_PARAM_MEDIUM);
	if (r < 0)
		goto err_free;
	if (set_priorities(t, NULL) < 0)
		goto err_free;
	return t;

err_free:
	if (r < 0)
		log_error("TLS: %s", gnutls_strerror(r));
	tls_ctx_free(t);
	return NULL;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	if (t->anon)
		gnutls_anon_free_server_credentials(t->anon);
	if (t->cert)
		gnutls_certificate_free_credentials(t->cert);
	if (t->prio_anon)
		gnutls_priority_deinit(t->prio_anon);
	if (t->prio_x509)
		gnutls_priority_deinit(t->prio_x509);
	free(t);
}

int tls_ctx_set_priority(struct tls_ctx *t, const char *priority)
{
	return set_priorities(t, priority);
}

static int cert_fingerprint(const char *path, char fpr[TLS_FINGERPRINT_LEN])
{
	gnutls_datum_t pem = { NULL, 0 };
	gnutls_x509_crt_t crt;
	uint8_t digest[32];
	size_t size = sizeof(digest);
	int r;

	r = gnutls_load_file(path, &pem);
	if (r < 0)
		return r;
	r = gnutls_x509_crt_init(&crt);
	if (r < 0)
		goto out_free;
	r = gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM);
	if (r == 0)
		r = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256,
						    digest, &size);
	gnutls_x509_crt_deinit(crt);
	if (r == 0) {
		for (size_t i = 0; i < size; i++)
			sprintf(fpr + 3 * i, "%02X%s", digest[i],
				i + 1 < size ? ":" : "");
	}
out_free:
	gnutls_free(pem.data);
	return r;
}

int tls_ctx_set_cert(struct tls_ctx *t, const char *cert, const char *key,
		     char fpr[TLS_FINGERPRINT_LEN])
{
	gnutls_certificate_credentials_t cred;
	int r;

	r = gnutls_certificate_allocate_credentials(&cred);
	if (r < 0)
		goto err;
	r = gnutls_certificate_set_x509_key_file(cred, cert, key,
						 GNUTLS_X509_FMT_PEM);
	if (r < 0)
		goto err_free;
	r = gnutls_certificate_set_known_dh_params(cred,
						   GNUTLS_SEC_PARAM_MEDIUM);
	if (r < 0)
		goto err_free;
	r = cert_fingerprint(cert, fpr);
	if (r < 0)
		goto err_free;
	if (t->cert)
		gnutls_certificate_free_credentials(t->cert);
	t->cert = cred;
	return 0;

err_free:
	gnutls_certificate_free_credentials(cred);
err:
	log_error("TLS certificate %s, key %s: %s", cert, key,
		  gnutls_strerror(r));
	return -EINVAL;
}

bool tls_ctx_has_cert(const struct tls_ctx *t)
{
	return t->cert != NULL;
}

/* ---- the stream layer ---------------------------------------------------- */

static int layer_handshake(void *ctx)
{
	struct tls_session *ts = ctx;
	int r = gnutls_handshake(ts->session);
	char *desc;

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED ||
	    (r < 0 && !gnutls_error_is_fatal(r)))
		return -EAGAIN;
	if (r < 0) {
		log_info("%s: TLS handshake failed: %s", ts->who,
			 gnutls_strerror(r));
		return -EPROTO;
	}
	desc = gnutls_session_get_desc(ts->session);
	log_info("%s: TLS %s", ts->who, desc ? desc : "");
	gnutls_free(desc);
	return 0;
}

static ssize_t layer_recv(void *ctx, void *buf, size_t len)
{
	struct tls_session *ts = ctx;
	ssize_t r = gnutls_record_recv(ts->session, buf, len);

	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	if (r == GNUTLS_E_REHANDSHAKE) {
		/* No renegotiation: nothing needs it. */
		log_info("%s: refusing a TLS renegotiation", ts->who);
		return -EPROTO;
	}
	if (!gnutls_error_is_fatal((int)r))
		return -EAGAIN;
	log_info("%s: TLS: %s", ts->who, gnutls_strerror((int)r));
	return -EPROTO;
}

static ssize_t layer_send(void *ctx, const void *buf, size_t len)
{
	struct tls_session *ts = ctx;
	ssize_t r = gnutls_record_send(ts->session, buf, len);

	if (r >= 0)
		return r;
	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
		return -EAGAIN;
	log_debug("%s: TLS send: %s", ts->who, gnutls_strerror((int)r));
	return -EPIPE;
}

static size_t layer_pending(void *ctx)
{
	struct tls_session *ts = ctx;

	return gnutls_record_check_pending(ts->session) +
	       (ts->pre_len - ts->pre_off);
}

static bool layer_wants_write(void *ctx)
{
	struct tls_session *ts = ctx;

	return gnutls_record_get_direction(ts->session) == 1;
}

static void layer_bye(void *ctx)
{
	struct tls_session *ts = ctx;

	/* Non-blocking: the close_notify goes out if the socket takes it. */
	gnutls_bye(ts->session, GNUTLS_SHUT_WR);
}

static void layer_free(void *ctx)
{
	struct tls_session *ts = ctx;

	gnutls_deinit(ts->session);
	free(ts->pre);
	free(ts);
}

static const struct stream_layer_ops tls_layer_ops = {
	.handshake = layer_handshake,
	.recv = layer_recv,
	.send = layer_send,
	.pending = layer_pending,
	.wants_write = layer_wants_write,
	.bye = layer_bye,
	.free = layer_free,
};

/* The transport of a session whose first bytes were read already:
 * those first, then the socket. */
static ssize_t pull_pre(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct tls_session *ts = p;
	size_t left = ts->pre_len - ts->pre_off;
	ssize_t n;

	if (left) {
		if (len > left)
			len = left;
		memcpy(buf, ts->pre + ts->pre_off, len);
		ts->pre_off += len;
		return (ssize_t)len;
	}
	n = recv(ts->fd, buf, len, 0);
	if (n < 0)
		gnutls_transport_set_errno(ts->session, errno);
	return n;
}

/* Sessions here never wait: "maybe", and the pull answers EAGAIN. */
static int pull_timeout_pre(gnutls_transport_ptr_t p, unsigned ms)
{
	return 1;
}

static ssize_t push_fd(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct tls_session *ts = p;
	ssize_t n = send(ts->fd, buf, len, MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(ts->session, errno);
	return n;
}

static int start(struct tls_ctx *t, struct stream *s, bool x509,
		 const char *who, struct buf *pre,
		 stream_layer_ready_fn on_ready, void *arg)
{
	struct tls_session *ts;
	int r;

	if (x509 && !t->cert)
		return -ENOTSUP;
	ts = xcalloc(1, sizeof(*ts));
	snprintf(ts->who, sizeof(ts->who), "%s", who);
	ts->fd = stream_fd(s);
	r = gnutls_init(&ts->session, GNUTLS_SERVER | GNUTLS_NONBLOCK |
					      GNUTLS_NO_SIGNAL);
	if (r < 0) {
		free(ts);
		goto err;
	}
	r = gnutls_priority_set(ts->session,
				x509 ? t->prio_x509 : t->prio_anon);
	if (r == 0)
		r = x509 ? gnutls_credentials_set(ts->session,
						  GNUTLS_CRD_CERTIFICATE,
						  t->cert)
			 : gnutls_credentials_set(ts->session, GNUTLS_CRD_ANON,
						  t->anon);
	if (r < 0) {
		layer_free(ts);
		goto err;
	}
	if (pre && pre->len) {
		ts->pre = xmalloc(pre->len);
		memcpy(ts->pre, pre->data, pre->len);
		ts->pre_len = pre->len;
		buf_consume(pre, pre->len);
		gnutls_transport_set_ptr(ts->session, ts);
		gnutls_transport_set_pull_function(ts->session, pull_pre);
		gnutls_transport_set_pull_timeout_function(ts->session,
							   pull_timeout_pre);
		gnutls_transport_set_push_function(ts->session, push_fd);
	} else {
		gnutls_transport_set_int(ts->session, ts->fd);
	}
	return stream_start_layer(s, &tls_layer_ops, ts, on_ready, arg);

err:
	log_warn("%s: TLS: %s", who, gnutls_strerror(r));
	return -EPROTO;
}

int tls_start(struct tls_ctx *t, struct stream *s, bool x509,
	      const char *who, stream_layer_ready_fn on_ready, void *arg)
{
	return start(t, s, x509, who, NULL, on_ready, arg);
}

int tls_accept(struct tls_ctx *t, struct stream *s, const char *who,
	       stream_layer_ready_fn on_ready, void *arg)
{
	return start(t, s, true, who, stream_input(s), on_ready, arg);
}
