/* SPDX-License-Identifier: MIT */
/*
 * The RFB handshake of one connection (RFC 6143 §7.1-7.3): versions
 * 3.3/3.7/3.8, the security types of a table (sec.h), ClientInit and
 * ServerInit. When it is done the dispatcher (client.c) takes over.
 */
#ifndef XRFB_HANDSHAKE_H
#define XRFB_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sec_type;
struct xrfb_server;
struct conn;
struct xrfb_timer;

enum handshake_state {
	HANDSHAKE_VERSION,		/* waiting for ProtocolVersion */
	HANDSHAKE_SECURITY_TYPE,	/* 3.7/3.8: waiting for the choice */
	HANDSHAKE_SECURITY,		/* the chosen type's exchange */
	HANDSHAKE_CLIENT_INIT,		/* waiting for ClientInit */
	HANDSHAKE_DONE,
};

struct handshake {
	struct conn *conn;
	enum handshake_state state;
	int minor;			/* 3, 7 or 8 */
	const struct sec_type *sec;	/* the type chosen */
	void *sec_state;
	/* A late "authentication failed". */
	struct xrfb_timer *fail_timer;
	struct xrfb_timer *timeout;	/* the whole handshake's */
	bool shared;	/* ClientInit's answer, as the policy decides */
	char addr[64];	/* the peer's address, for throttle.c */
};

/* Whether too many connections (RFB handshakes other than @conn, which
 * may be NULL, and TLS handshakes of the web stage) wait to
 * authenticate, in all or from @addr (as throttle_addr() gives it). */
bool handshake_too_many(const struct xrfb_server *s, const struct conn *conn,
			const char *addr);
/* Send the server's ProtocolVersion. */
void handshake_init(struct handshake *hs, struct conn *conn);
void handshake_fini(struct handshake *hs);
/* Bytes from the client before the handshake is done: bytes consumed
 * (> 0), 0 to wait for more, or -errno (the client is closed or being
 * refused). */
ssize_t handshake_on_read(struct handshake *hs, const uint8_t *d, size_t len);
/* The bytes handshake_on_read() consumed are gone from the input. */
void handshake_after_read(struct handshake *hs);
/* True once ServerInit went out: then hs->shared tells if the client
 * asked to share the desktop. */
bool handshake_done(const struct handshake *hs);

#endif
