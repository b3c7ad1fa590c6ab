/* SPDX-License-Identifier: MIT */
/*
 * VeNCrypt (security type 19), version 0.2 (rfbproto.rst, "VeNCrypt";
 * doc/protocol.md, "VeNCrypt"): the server offers 0.2, the client answers
 * with the version it takes (anything but 0.2 is refused with 0xFF), the
 * server acks with 0 and lists its subtypes as U32s (the plain types None
 * and VncAuth among them, as TigerVNC does), the client picks one. For
 * the TLS and X509 subtypes the server acks with 1 and the TLS handshake
 * follows. Any byte the client sent in the clear after choosing a TLS
 * subtype is refused, so nothing injected before the handshake can pass
 * as coming through TLS (the STARTTLS injection of other protocols). The
 * inner authentication (None, VNC, Plain) then runs inside TLS, and the
 * handshake sends SecurityResult. Plain credentials are checked on a
 * thread of their own (account.c); the handshake resumes when the
 * answer comes, and a client that speaks before it is closed. The
 * negotiation itself is a parser that knows no connection
 * (sec_vencrypt_input), tested on its own.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <stdio.h>
#include <stdlib.h>

#include "account.h"
#include "conn.h"
#include "log.h"
#include "rfb-proto.h"
#include "sec-plain.h"
#include "sec-vencrypt.h"
#include "sec-vncauth.h"
#include "server-state.h"
#include "stream.h"
#if HAVE_GNUTLS
#include "tls.h"
#endif

static const struct {
	uint32_t type;
	const char *name;
} sec_names[] = {
	{ RFB_SEC_NONE, "None" },
	{ RFB_SEC_VNC_AUTH, "VncAuth" },
	{ RFB_SEC_RA2, "RA2" },
	{ RFB_SEC_RA2NE, "RA2ne" },
	{ RFB_SEC_RA2_256, "RA2_256" },
	{ RFB_SEC_RA2NE_256, "RA2ne_256" },
	{ RFB_VENCRYPT_PLAIN, "Plain" },
	{ RFB_VENCRYPT_TLS_NONE, "TLSNone" },
	{ RFB_VENCRYPT_TLS_VNC, "TLSVnc" },
	{ RFB_VENCRYPT_TLS_PLAIN, "TLSPlain" },
	{ RFB_VENCRYPT_X509_NONE, "X509None" },
	{ RFB_VENCRYPT_X509_VNC, "X509Vnc" },
	{ RFB_VENCRYPT_X509_PLAIN, "X509Plain" },
};

const char *sec_type_name(uint32_t type)
{
	for (size_t i = 0; i < sizeof(sec_names) / sizeof(sec_names[0]); i++)
		if (sec_names[i].type == type)
			return sec_names[i].name;
	return NULL;
}

uint32_t sec_type_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(sec_names) / sizeof(sec_names[0]); i++)
		if (!strcasecmp(sec_names[i].name, name))
			return sec_names[i].type;
	return 0;
}

bool sec_is_tls(uint32_t type)
{
	return type >= RFB_VENCRYPT_TLS_NONE &&
	       type <= RFB_VENCRYPT_X509_PLAIN;
}

bool sec_is_x509(uint32_t type)
{
	return type >= RFB_VENCRYPT_X509_NONE &&
	       type <= RFB_VENCRYPT_X509_PLAIN;
}

uint32_t sec_inner(uint32_t type)
{
	switch (type) {
	case RFB_VENCRYPT_TLS_NONE:
	case RFB_VENCRYPT_X509_NONE:
		return RFB_SEC_NONE;
	case RFB_VENCRYPT_TLS_VNC:
	case RFB_VENCRYPT_X509_VNC:
		return RFB_SEC_VNC_AUTH;
	case RFB_VENCRYPT_TLS_PLAIN:
	case RFB_VENCRYPT_X509_PLAIN:
		return RFB_VENCRYPT_PLAIN;
	default:
		return type;
	}
}

/* ---- the negotiation ------------------------------------------------------ */

void sec_vencrypt_init(struct sec_vencrypt *v, const uint32_t *types,
		       unsigned ntypes, struct buf *out)
{
	memset(v, 0, sizeof(*v));
	v->types = types;
	v->ntypes = ntypes;
	if (buf_reserve(out, 2) < 0)
		return;
	buf_put_u8(out, 0);
	buf_put_u8(out, 2);
}

ssize_t sec_vencrypt_input(struct sec_vencrypt *v, const uint8_t *d,
			   size_t len, struct buf *out, const char **why)
{
	uint32_t t;

	if (buf_reserve(out, 2 + 4 * (size_t)v->ntypes) < 0) {
		*why = "out of memory";
		return -ENOMEM;
	}
	if (v->chosen) {
		*why = "VeNCrypt: bytes after the negotiation";
		return -EPROTO;
	}
	if (!v->have_version) {
		if (len < 2)
			return 0;
		if (d[0] != 0 || d[1] != 2) {
			/* 0.0 (cannot), 0.1 (obsolete) or nonsense. */
			buf_put_u8(out, 0xff);
			*why = "VeNCrypt: the client does not speak version "
			       "0.2";
			return -EPROTO;
		}
		v->have_version = true;
		buf_put_u8(out, 0);
		buf_put_u8(out, (uint8_t)v->ntypes);
		for (unsigned i = 0; i < v->ntypes; i++)
			buf_put_u32(out, v->types[i]);
		return 2;
	}
	if (len < 4)
		return 0;
	t = get_u32(d);
	for (unsigned i = 0; i < v->ntypes; i++) {
		if (v->types[i] == t && t != RFB_SEC_VENCRYPT) {
			v->chosen = t;
			if (sec_is_tls(t))
				buf_put_u8(out, 1);
			return 4;
		}
	}
	*why = "VeNCrypt: the client chose a subtype that was not offered";
	return -EPROTO;
}

/* ---- the security type ------------------------------------------------------ */

struct vencrypt_state {
	struct conn *conn;
	struct sec_vencrypt v;
	const struct sec_ops *inner;	/* VNC authentication inside */
	void *inner_state;
	bool plain;		/* waiting for Plain credentials */
	struct account_check *check;	/* checking them */
	char user[96];		/* their user name, escaped for the log */
	bool tls_pending;	/* start TLS once the input is consumed */
	bool tls_wait;		/* TLS handshake under way */
};

static bool vencrypt_offered(const struct xrfb_server *s)
{
	return s->n_sec_sub > 0;
}

static void vencrypt_free(void *state)
{
	struct vencrypt_state *vs = state;

	account_check_cancel(vs->check);
	if (vs->inner_state && vs->inner->free_state)
		vs->inner->free_state(vs->inner_state);
	free(vs);
}

static int vencrypt_start(struct conn *conn, void **state)
{
	struct vencrypt_state *vs = calloc(1, sizeof(*vs));
	struct xrfb_server *s = conn->server;
	struct buf out = BUF_INIT;

	if (!vs)
		return -ENOMEM;
	vs->conn = conn;
	*state = vs;
	sec_vencrypt_init(&vs->v, s->sec_sub, s->n_sec_sub, &out);
	conn_send(conn, out.data, out.len);
	buf_fini(&out);
	return SEC_CONTINUE;
}

/* The authentication inside: None is done, VncAuth sends its challenge,
 * Plain waits for the credentials. */
static int run_inner(struct vencrypt_state *vs, uint32_t type)
{
	switch (sec_inner(type)) {
	case RFB_SEC_NONE:
		return SEC_OK;
	case RFB_SEC_VNC_AUTH:
		vs->inner = &sec_vncauth_ops;
		return vs->inner->start(vs->conn, &vs->inner_state);
	case RFB_VENCRYPT_PLAIN:
		vs->plain = true;
		return SEC_CONTINUE;
	default:
		return -EPROTO;
	}
}

#if HAVE_GNUTLS
static void on_tls_ready(void *arg)
{
	struct vencrypt_state *vs = arg;
	int r;

	vs->tls_wait = false;
	r = run_inner(vs, vs->v.chosen);
	if (r < 0) {
		conn_close(vs->conn, "VeNCrypt: %s", strerror(-r));
		return;
	}
	if (r != SEC_CONTINUE)
		vs->conn->sec_done(vs->conn->sec_done_arg, r);
	conn_flush(vs->conn);
}
#endif

static void vencrypt_after_read(struct conn *conn, void *state)
{
	struct vencrypt_state *vs = state;
	char who[96];
	int r = -ENOTSUP;

	if (!vs->tls_pending)
		return;
	vs->tls_pending = false;
	vs->tls_wait = true;
	snprintf(who, sizeof(who), "client %u (%s)", conn->id, conn->peer);
#if HAVE_GNUTLS
	r = tls_start(conn->server->tls, conn->stream,
		      sec_is_x509(vs->v.chosen), who, on_tls_ready, vs);
#endif
	if (r < 0)
		conn_close(conn, "cannot start TLS: %s", strerror(-r));
}

/* The account check's answer: the handshake goes on from here. */
static void on_plain_checked(void *arg, bool ok, bool view_only)
{
	struct vencrypt_state *vs = arg;
	struct conn *conn = vs->conn;

	vs->check = NULL;
	if (conn->closed)
		return;	/* account.c counted a wrong password */
	account_log(conn, vs->user, ok, view_only);
	conn->view_only = conn->view_only || view_only;
	conn->sec_done(conn->sec_done_arg, ok ? SEC_OK : SEC_FAILED);
}

/* The credentials: checked on a thread of their own (account.c), since
 * PAM may take seconds; the answer comes to on_plain_checked. */
static ssize_t on_plain(struct vencrypt_state *vs, const uint8_t *d,
			size_t len, enum sec_result *result)
{
	struct conn *conn = vs->conn;
	struct xrfb_server *s = conn->server;
	struct plain_creds *pc;
	ssize_t n;

	if (vs->check) {
		/* The client must wait for SecurityResult. */
		conn_close(conn, "Plain: input before the result");
		return -EPROTO;
	}
	pc = malloc(sizeof(*pc));
	if (!pc)
		return -ENOMEM;
	n = sec_plain_parse(d, len, pc);
	if (n <= 0) {
		free(pc);
		if (n < 0)
			conn_close(conn, "Plain: %s",
				   n == -EMSGSIZE ? "credentials too long"
						  : "NUL in the credentials");
		return n;
	}
	log_escape(vs->user, sizeof(vs->user), pc->user, strlen(pc->user));
	if (s->plain_check)
		vs->check = account_check_start(conn, pc->user, pc->password,
						on_plain_checked, vs);
	sec_plain_clear(pc);
	free(pc);
	if (!s->plain_check) {
		log_info("client %u (%s): user \"%s\" refused: no accounts",
			 conn->id, conn->peer, vs->user);
		*result = SEC_FAILED;
		return n;
	}
	if (!vs->check) {
		conn_close(conn, "Plain: cannot check the password");
		return -ENOMEM;
	}
	*result = SEC_CONTINUE;
	return n;
}

/* Refuse: the answer in @out goes out, then the connection closes. */
static void refuse(struct conn *conn, struct buf *out, const char *why)
{
	if (out->len)
		conn_send(conn, out->data, out->len);
	log_info("client %u (%s): refused: %s", conn->id, conn->peer, why);
	conn_linger(conn);
	stream_close_after_flush(conn->stream);
}

static ssize_t vencrypt_on_read(struct conn *conn, void *state,
				const uint8_t *d, size_t len,
				enum sec_result *result)
{
	struct vencrypt_state *vs = state;
	struct buf out = BUF_INIT;
	const char *why = "";
	ssize_t n;
	int r;

	if (vs->inner)
		return vs->inner->on_read(conn, vs->inner_state, d, len,
					  result);
	if (vs->plain)
		return on_plain(vs, d, len, result);
	if (vs->tls_pending || vs->tls_wait) {
		conn_close(conn, "VeNCrypt: data in the clear before the TLS "
				 "handshake");
		return -EPROTO;
	}
	n = sec_vencrypt_input(&vs->v, d, len, &out, &why);
	if (n < 0) {
		refuse(conn, &out, why);
	} else if (n > 0 && vs->v.chosen) {
		const char *name = sec_type_name(vs->v.chosen);

		log_info("client %u (%s): VeNCrypt subtype %s", conn->id,
			 conn->peer, name ? name : "?");
		conn_send(conn, out.data, out.len);
		if (sec_is_tls(vs->v.chosen)) {
			if ((size_t)n < len) {
				conn_close(conn, "VeNCrypt: data in the clear "
						 "before the TLS handshake");
				n = -EPROTO;
			} else {
				vs->tls_pending = true;
				*result = SEC_CONTINUE;
			}
		} else {
			r = run_inner(vs, vs->v.chosen);
			if (r < 0) {
				conn_close(conn, "VeNCrypt: %s", strerror(-r));
				n = r;
			} else {
				*result = (enum sec_result)r;
			}
		}
	} else if (out.len) {
		conn_send(conn, out.data, out.len);
	}
	buf_fini(&out);
	return n;
}

const struct sec_ops sec_vencrypt_ops = {
	.offered = vencrypt_offered,
	.start = vencrypt_start,
	.on_read = vencrypt_on_read,
	.free_state = vencrypt_free,
	.after_read = vencrypt_after_read,
};
