/* SPDX-License-Identifier: MIT */
/*
 * What a security type implements (RFC 6143 §7.1.2, §7.2). The handshake
 * (handshake.c) offers the types of its table whose offered() says yes,
 * runs the one the client chose, and sends SecurityResult; a type only
 * runs its own exchange. Adding a type is one file (sec-<name>.c and its
 * header) plus a line in that table.
 */
#ifndef XRFB_SEC_H
#define XRFB_SEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct conn;
struct xrfb_server;

/* Security types a server may list (plain types and VeNCrypt subtypes). */
#define SEC_MAX_TYPES 16

enum sec_result {
	SEC_CONTINUE,		/* the exchange goes on */
	SEC_OK,			/* authenticated */
	SEC_FAILED,		/* refused: the handshake answers late */
};

struct sec_ops {
	/* Whether the server's settings offer this type. */
	bool (*offered)(const struct xrfb_server *s);
	/* The client chose the type: send what opens the exchange and keep
	 * per-connection state in *@state (freed with free_state). Returns
	 * an enum sec_result or -errno (the client is then closed). */
	int (*start)(struct conn *conn, void **state);
	/* Bytes of the exchange: bytes consumed (> 0) with *@result set,
	 * 0 to wait for more, or -errno. */
	ssize_t (*on_read)(struct conn *conn, void *state, const uint8_t *d,
			   size_t len, enum sec_result *result);
	void (*free_state)(void *state);
	/* Optional: the bytes on_read consumed are gone from the input, so
	 * the type may put a layer (TLS) on the stream. A result that comes
	 * later goes to conn->sec_done. */
	void (*after_read)(struct conn *conn, void *state);
};

struct sec_type {
	uint8_t id;		/* RFB_SEC_* */
	const char *name;
	const struct sec_ops *ops;
};

#endif
