/* SPDX-License-Identifier: MIT */
/*
 * The server's RSA key pair of the RSA-AES security types: read from a
 * PEM file (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY"), or made
 * and written as PKCS#1 PEM with mode 0600. Its fingerprint is the one
 * TigerVNC's viewer shows (doc/protocol.md, "RSA-AES").
 */
#ifndef XRFB_RA2_KEY_H
#define XRFB_RA2_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <nettle/rsa.h>

#define RA2_KEY_BITS_MIN 1024
#define RA2_KEY_BITS_MAX 8192
/* "xx-xx-xx-xx-xx-xx-xx-xx" and its NUL. */
#define RA2_FINGERPRINT_LEN 24

struct ra2_key {
	struct rsa_public_key pub;
	struct rsa_private_key priv;
	/* The public key as sent: U32 bits, modulus, exponent. */
	uint8_t *msg;
	size_t msg_len;
};

/* Read @path; -ENOENT if it does not exist, -EINVAL if it is no RSA key
 * we can use. */
int ra2_key_load(const char *path, struct ra2_key **out);
/* Read the PEM text @pem of @len bytes. */
int ra2_key_parse(const char *pem, size_t len, struct ra2_key **out);
/* A new key pair of @bits bits. */
int ra2_key_generate(unsigned bits, struct ra2_key **out);
/* Write @k to @path as PKCS#1 PEM, mode 0600; never replaces a file. */
int ra2_key_save(const struct ra2_key *k, const char *path);
/* The first 8 bytes of SHA-1 of the key as sent, "xx-xx-...". */
void ra2_key_fingerprint(const struct ra2_key *k,
			 char out[RA2_FINGERPRINT_LEN]);
void ra2_key_free(struct ra2_key *k);

/* Serialise a public key as the protocol sends it (malloc'd). */
uint8_t *ra2_pubkey_msg(const struct rsa_public_key *pub, size_t *len);
/* nettle_random_func from getrandom(); aborts if the kernel has none. */
void ra2_random(void *ctx, size_t len, uint8_t *dst);

#endif
