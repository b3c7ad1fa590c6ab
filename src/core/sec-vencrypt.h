/* SPDX-License-Identifier: MIT */
/*
 * The VeNCrypt security type (19), version 0.2 (rfbproto.rst,
 * "VeNCrypt"): the version and subtype negotiation as a parser, and
 * what each type and subtype is.
 */
#ifndef XRFB_SEC_VENCRYPT_H
#define XRFB_SEC_VENCRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "sec.h"

struct sec_vencrypt {
	bool have_version;
	const uint32_t *types;
	unsigned ntypes;
	uint32_t chosen;	/* 0 until the client has chosen */
};

/* Start a negotiation offering @types (the server's list, VeNCrypt
 * itself left out); appends the server's opening to @out. */
void sec_vencrypt_init(struct sec_vencrypt *v, const uint32_t *types,
		       unsigned ntypes, struct buf *out);
/* Parse the client's next message: bytes consumed (> 0), 0 for more, or
 * -EPROTO with the answer to send before closing in @out and a reason in
 * *why. Once v->chosen is set, the negotiation is over (the TLS subtypes'
 * ack is in @out). */
ssize_t sec_vencrypt_input(struct sec_vencrypt *v, const uint8_t *d,
			   size_t len, struct buf *out, const char **why);

/* Subtype properties. */
bool sec_is_tls(uint32_t type);		/* TLS* or X509* */
bool sec_is_x509(uint32_t type);
/* The authentication inside: RFB_SEC_NONE, RFB_SEC_VNC_AUTH or
 * RFB_VENCRYPT_PLAIN. */
uint32_t sec_inner(uint32_t type);
/* The security type, for the handshake's table (sec.h). */
extern const struct sec_ops sec_vencrypt_ops;

/* TigerVNC's name of a type ("X509Vnc"), or NULL. */
const char *sec_type_name(uint32_t type);
/* The type with that name (case-insensitive), or 0. */
uint32_t sec_type_from_name(const char *name);

#endif
