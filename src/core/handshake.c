/* SPDX-License-Identifier: MIT */
/*
 * The RFB 3.3/3.7/3.8 handshake (RFC 6143 §7.1-7.3): ProtocolVersion,
 * the security types of sec_types[] (the server offers those of its
 * list, in its order, whose offered() says yes), SecurityResult,
 * ClientInit and ServerInit. A
 * refusal is answered in the form the version allows, then the
 * connection closes; a failed authentication is answered late, to slow
 * guessing. Knows nothing of messages after the handshake.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "handshake.h"
#include "log.h"
#include "rfb-parse.h"
#include "rfb-proto.h"
#include "sec-ra2.h"
#include "sec-vencrypt.h"
#include "sec-vncauth.h"
#include "sec.h"
#include "server-state.h"
#include "conn.h"
#include "stream.h"
#include "throttle.h"
#include "web.h"

/* Connections still in their handshake, in all and from one address,
 * beyond which a new one is closed at once. */
#define HANDSHAKE_MAX_PENDING 128
#define HANDSHAKE_MAX_PENDING_PER_ADDR 16

/* Delay before a failed authentication is answered, to slow guessing. */
#define HANDSHAKE_AUTH_FAIL_DELAY_MS 100

static const char rfb_version_msg[] = "RFB 003.008\n";

static bool none_offered(const struct xrfb_server *s)
{
	return true;	/* when the server's list has it */
}

static int none_start(struct conn *conn, void **state)
{
	return SEC_OK;
}

static const struct sec_ops sec_none_ops = {
	.offered = none_offered,
	.start = none_start,
};

/* The security types; the server's list (security.c) orders them. */
static const struct sec_type sec_types[] = {
	{ RFB_SEC_RA2_256, "RA2_256", &sec_ra2_256_ops },
	{ RFB_SEC_RA2, "RA2", &sec_ra2_ops },
	{ RFB_SEC_RA2NE_256, "RA2ne_256", &sec_ra2ne_256_ops },
	{ RFB_SEC_RA2NE, "RA2ne", &sec_ra2ne_ops },
	{ RFB_SEC_NONE, "None", &sec_none_ops },
	{ RFB_SEC_VNC_AUTH, "VncAuth", &sec_vncauth_ops },
	{ RFB_SEC_VENCRYPT, "VeNCrypt", &sec_vencrypt_ops },
};
#define N_SEC_TYPES (sizeof(sec_types) / sizeof(sec_types[0]))

static void on_sec_done(void *arg, int result);

static void on_timeout(void *arg)
{
	struct handshake *hs = arg;

	hs->timeout = NULL;
	if (hs->conn->handshake_untimed || hs->state == HANDSHAKE_DONE)
		return;
	conn_close(hs->conn, "no complete handshake within %u ms",
		   hs->conn->server->handshake_timeout_ms);
}

bool handshake_too_many(const struct xrfb_server *s, const struct conn *conn,
			const char *addr)
{
	unsigned same = 0;
	unsigned total = web_tls_pending(s->web, addr, &same);
	char a[sizeof(((struct handshake *)0)->addr)];

	for (const struct conn *o = s->conns; o; o = o->next) {
		if (o == conn || o->ready || o->closed || o->handshake_untimed)
			continue;
		total++;
		throttle_addr(o->peer, a, sizeof(a));
		if (!strcmp(a, addr))
			same++;
	}
	return total >= HANDSHAKE_MAX_PENDING ||
	       same >= HANDSHAKE_MAX_PENDING_PER_ADDR;
}

void handshake_init(struct handshake *hs, struct conn *conn)
{
	unsigned ms = conn->server->handshake_timeout_ms;

	memset(hs, 0, sizeof(*hs));
	hs->conn = conn;
	conn->sec_done = on_sec_done;
	conn->sec_done_arg = hs;
	throttle_addr(conn->peer, hs->addr, sizeof(hs->addr));
	if (handshake_too_many(conn->server, conn, hs->addr)) {
		conn_close(conn, "too many connections waiting to "
				 "authenticate");
		return;
	}
	if (ms)
		hs->timeout = xrfb_loop_add_timer(conn->server->loop, ms,
						  on_timeout, hs);
	hs->state = HANDSHAKE_VERSION;
	conn_send(conn, rfb_version_msg, RFB_VERSION_LEN);
}

void handshake_fini(struct handshake *hs)
{
	xrfb_timer_cancel(hs->fail_timer);
	hs->fail_timer = NULL;
	xrfb_timer_cancel(hs->timeout);
	hs->timeout = NULL;
	if (hs->sec_state && hs->sec->ops->free_state)
		hs->sec->ops->free_state(hs->sec_state);
	hs->sec_state = NULL;
}

bool handshake_done(const struct handshake *hs)
{
	return hs->state == HANDSHAKE_DONE;
}

static void send_u32(struct handshake *hs, uint32_t v)
{
	uint8_t b[4];

	put_u32(b, v);
	conn_send(hs->conn, b, 4);
}

/* Refuse the connection in the form the version allows, then close. */
static void fail_handshake(struct handshake *hs, const char *reason)
{
	struct conn *conn = hs->conn;
	size_t n = strlen(reason);

	if (hs->minor >= 7)
		conn_send(conn, "\0", 1);	/* zero security types */
	else
		send_u32(hs, RFB_SEC_INVALID);
	send_u32(hs, (uint32_t)n);
	conn_send(conn, reason, n);
	log_info("client %u (%s): refused: %s", conn->id, conn->peer, reason);
	/* Freed once the stream has flushed and reported its close. */
	conn_linger(conn);
	stream_close_after_flush(conn->stream);
}

/* The type @id if the server offers it. A viewer that brought the view
 * token to its WebSocket upgrade proved itself there: it is offered None
 * alone, whatever the server's list. */
static const struct sec_type *offered_type(const struct handshake *hs,
					   uint8_t id)
{
	const struct xrfb_server *s = hs->conn->server;
	bool token = hs->conn->view_token;

	if (token ? id != RFB_SEC_NONE : !memchr(s->sec_top, id, s->n_sec_top))
		return NULL;
	for (size_t i = 0; i < N_SEC_TYPES; i++)
		if (sec_types[i].id == id &&
		    (token || sec_types[i].ops->offered(s)))
			return &sec_types[i];
	return NULL;
}

static void on_auth_fail_timer(void *arg)
{
	struct handshake *hs = arg;
	static const char reason[] = "Authentication failed";
	uint8_t msg[8 + sizeof(reason) - 1];
	size_t n = 4;

	hs->fail_timer = NULL;
	/* The client is already marked closed, so conn_send() would
	 * drop the answer: queue it on the stream itself. */
	put_u32(msg, RFB_SEC_RESULT_FAILED);
	if (hs->minor >= 8) {
		put_u32(msg + 4, sizeof(reason) - 1);
		memcpy(msg + 8, reason, sizeof(reason) - 1);
		n = sizeof(msg);
	}
	stream_send_copy(hs->conn->stream, msg, n);
	stream_close_after_flush(hs->conn->stream);
}

/* The security type's exchange ended with @result. */
static ssize_t sec_finish(struct handshake *hs, enum sec_result result,
			  ssize_t consumed)
{
	struct conn *conn = hs->conn;
	uint64_t ban;

	switch (result) {
	case SEC_CONTINUE:
		hs->state = HANDSHAKE_SECURITY;
		return consumed;
	case SEC_OK:
		if (hs->sec->id != RFB_SEC_NONE)
			throttle_succeeded(&conn->server->throttle, hs->addr);
		/* 3.8 sends SecurityResult even after None (§7.1.3). */
		if (hs->sec->id != RFB_SEC_NONE || hs->minor >= 8)
			send_u32(hs, RFB_SEC_RESULT_OK);
		hs->state = HANDSHAKE_CLIENT_INIT;
		return consumed;
	case SEC_FAILED:
	default:
		ban = throttle_failed(&conn->server->throttle, hs->addr,
				      xrfb_now_ms());
		if (ban)
			log_warn("client %u (%s): authentication failed; "
				 "%s refused for %llu s", conn->id,
				 conn->peer, hs->addr,
				 (unsigned long long)(ban + 999) / 1000);
		else
			log_warn("client %u (%s): authentication failed",
				 conn->id, conn->peer);
		/* Answer late; the stream's close then frees the client. */
		stream_pause_read(conn->stream, true);
		conn_linger(conn);
		hs->fail_timer = xrfb_loop_add_timer(
			conn->server->loop, HANDSHAKE_AUTH_FAIL_DELAY_MS,
			on_auth_fail_timer, hs);
		return -EACCES;
	}
}

/* A result that came after a TLS handshake rather than with bytes. */
static void on_sec_done(void *arg, int result)
{
	struct handshake *hs = arg;

	if (hs->state == HANDSHAKE_SECURITY && !hs->conn->closed) {
		sec_finish(hs, (enum sec_result)result, 0);
		conn_flush(hs->conn);
	}
}

void handshake_after_read(struct handshake *hs)
{
	if (hs->state == HANDSHAKE_SECURITY && hs->sec->ops->after_read &&
	    !hs->conn->closed)
		hs->sec->ops->after_read(hs->conn, hs->sec_state);
}

static ssize_t start_sec(struct handshake *hs, const struct sec_type *t,
			 ssize_t consumed)
{
	int rc;

	hs->sec = t;
	rc = t->ops->start(hs->conn, &hs->sec_state);
	if (rc < 0) {
		conn_close(hs->conn, "security type %s: %s", t->name,
			      strerror(-rc));
		return rc;
	}
	return sec_finish(hs, (enum sec_result)rc, consumed);
}

static ssize_t on_version(struct handshake *hs, const uint8_t *d, size_t len)
{
	struct conn *conn = hs->conn;
	const struct xrfb_server *s = conn->server;
	uint8_t types[1 + SEC_MAX_TYPES];
	size_t ntypes = 0;
	char esc[64];
	int minor;

	if (len < RFB_VERSION_LEN)
		return 0;
	minor = rfb_parse_version(d);
	if (minor < 0) {
		/* Answered in the 3.3 form, which every client reads. */
		log_info("client %u (%s): bad ProtocolVersion \"%s\"", conn->id,
			 conn->peer,
			 log_escape(esc, sizeof(esc), (const char *)d,
				    RFB_VERSION_LEN));
		fail_handshake(hs, "unsupported protocol version");
		return -EPROTO;
	}
	hs->minor = minor;
	log_debug("client %u: RFB 3.%d", conn->id, minor);
	if (throttle_blocked(&s->throttle, hs->addr, xrfb_now_ms())) {
		/* The reason TigerVNC gives; one log line per attempt. */
		fail_handshake(hs, "Too many security failures");
		return -EPROTO;
	}
	if (conn->view_token)
		types[1 + ntypes++] = RFB_SEC_NONE;
	for (size_t i = 0; i < s->n_sec_top && !conn->view_token; i++)
		if (offered_type(hs, s->sec_top[i]))
			types[1 + ntypes++] = s->sec_top[i];
	if (!ntypes) {
		fail_handshake(hs, "no security type is configured");
		return -EPROTO;
	}
	if (minor == 3) {
		/* RFC 6143 §7.1.2: in 3.3 the server picks the type, None or
		 * VNC authentication only. */
		for (size_t i = 1; i <= ntypes; i++) {
			if (types[i] != RFB_SEC_NONE &&
			    types[i] != RFB_SEC_VNC_AUTH)
				continue;
			send_u32(hs, types[i]);
			return start_sec(hs, offered_type(hs, types[i]),
					 RFB_VERSION_LEN);
		}
		fail_handshake(hs, "No supported security type for 3.3 "
				   "client");
		return -EPROTO;
	}
	types[0] = (uint8_t)ntypes;
	conn_send(conn, types, 1 + ntypes);
	hs->state = HANDSHAKE_SECURITY_TYPE;
	return RFB_VERSION_LEN;
}

/* A type that was not offered: SecurityResult "failed", with a reason
 * from 3.8 on (RFC 6143 §7.1.3), then close once it is sent. */
static void refuse_security_type(struct handshake *hs, uint8_t type)
{
	static const char reason[] = "Security type not offered";
	struct conn *conn = hs->conn;

	log_info("client %u (%s): chose security type %u, not offered",
		 conn->id, conn->peer, type);
	send_u32(hs, RFB_SEC_RESULT_FAILED);
	if (hs->minor >= 8) {
		send_u32(hs, sizeof(reason) - 1);
		conn_send(conn, reason, sizeof(reason) - 1);
	}
	conn_linger(conn);
	stream_pause_read(conn->stream, true);
	stream_close_after_flush(conn->stream);
}

static ssize_t on_security_type(struct handshake *hs, const uint8_t *d,
				size_t len)
{
	const struct sec_type *t;

	if (len < 1)
		return 0;
	t = offered_type(hs, d[0]);
	if (!t) {
		refuse_security_type(hs, d[0]);
		return -EPROTO;
	}
	return start_sec(hs, t, 1);
}

static ssize_t on_security(struct handshake *hs, const uint8_t *d, size_t len)
{
	enum sec_result result = SEC_CONTINUE;
	ssize_t n = hs->sec->ops->on_read(hs->conn, hs->sec_state, d, len,
					  &result);

	if (n <= 0)
		return n;
	return sec_finish(hs, result, n);
}

static void send_server_init(struct handshake *hs)
{
	const struct xrfb_server *s = hs->conn->server;
	const char *name = s->desktop_name ? s->desktop_name : "xrfb";
	size_t n = strlen(name);
	uint8_t hdr[24];

	put_u16(hdr, (uint16_t)s->fb.width);
	put_u16(hdr + 2, (uint16_t)s->fb.height);
	pixfmt_write(&s->format, hdr + 4);
	put_u32(hdr + 20, (uint32_t)n);
	conn_send(hs->conn, hdr, sizeof(hdr));
	conn_send(hs->conn, name, n);
}

static ssize_t on_client_init(struct handshake *hs, const uint8_t *d,
			      size_t len)
{
	const struct xrfb_server *s = hs->conn->server;

	if (len < 1)
		return 0;
	switch (s->shared_policy) {
	case XRFB_SHARED_ALWAYS:
		hs->shared = true;
		break;
	case XRFB_SHARED_NEVER:
		hs->shared = false;
		break;
	default:
		hs->shared = d[0] != 0;
		break;
	}
	send_server_init(hs);
	hs->state = HANDSHAKE_DONE;
	xrfb_timer_cancel(hs->timeout);
	hs->timeout = NULL;
	return 1;
}

ssize_t handshake_on_read(struct handshake *hs, const uint8_t *d, size_t len)
{
	switch (hs->state) {
	case HANDSHAKE_VERSION:
		return on_version(hs, d, len);
	case HANDSHAKE_SECURITY_TYPE:
		return on_security_type(hs, d, len);
	case HANDSHAKE_SECURITY:
		return on_security(hs, d, len);
	case HANDSHAKE_CLIENT_INIT:
		return on_client_init(hs, d, len);
	default:
		return -EPROTO;
	}
}
