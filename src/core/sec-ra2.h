/* SPDX-License-Identifier: MIT */
/*
 * The RSA-AES security types RA2 (5), RA2ne (6), RA2_256 (129) and
 * RA2ne_256 (130) (doc/protocol.md, "RSA-AES"): an RSA key exchange,
 * then AES-EAX records; RA2 and RA2_256 keep the records for the whole
 * session, as a stream filter under the client.
 */
#ifndef XRFB_SEC_RA2_H
#define XRFB_SEC_RA2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <nettle/aes.h>
#include <nettle/eax.h>

#include "buf.h"
#include "sec.h"

/* Largest plaintext of one record, and what each record adds. */
#define RA2_RECORD_MAX 65535
#define RA2_RECORD_HDR 2
#define RA2_MAC_LEN 16
#define RA2_RECORD_OVERHEAD (RA2_RECORD_HDR + RA2_MAC_LEN)

extern const struct sec_ops sec_ra2_ops;	/* RA2 */
extern const struct sec_ops sec_ra2ne_ops;	/* RA2ne */
extern const struct sec_ops sec_ra2_256_ops;	/* RA2_256 */
extern const struct sec_ops sec_ra2ne_256_ops;	/* RA2ne_256 */

/* One direction of the record layer: AES-128 or -256 in EAX mode, the
 * nonce a 16-byte little-endian count of the records so far. */
struct ra2_cipher {
	union {
		struct aes128_ctx aes128;
		struct aes256_ctx aes256;
	} aes;
	nettle_cipher_func *encrypt;
	struct eax_key eax_key;
	uint8_t nonce[16];
};

/* @key_len is 16 or 32. */
void ra2_cipher_init(struct ra2_cipher *c, const uint8_t *key, size_t key_len);
/* One record of @len (<= RA2_RECORD_MAX) bytes into @out, which has
 * room for len + RA2_RECORD_OVERHEAD. */
void ra2_seal(struct ra2_cipher *c, const uint8_t *d, size_t len,
	      uint8_t *out);
/* The records of @len bytes at @d, one after another, into a new
 * payload. */
struct rcbuf *ra2_seal_all(struct ra2_cipher *c, const uint8_t *d,
			   size_t len);
/* One record from @d: its size (> 0) with the plaintext appended to
 * @out, 0 while it is incomplete, -EBADMSG if it fails authentication
 * (or is empty), -ENOMEM. */
ssize_t ra2_open(struct ra2_cipher *c, const uint8_t *d, size_t len,
		 struct buf *out);

/* Constant-time comparison of a password given with the configured one;
 * the time depends on neither's content, only on @given_len. */
bool ra2_password_matches(const char *want, const uint8_t *given,
			  size_t given_len);

#endif
