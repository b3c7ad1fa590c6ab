/* SPDX-License-Identifier: MIT */
/*
 * TLS for the VeNCrypt subtypes and for HTTPS/WSS (GnuTLS): the
 * server's credentials and priorities, a TLS session as a stream layer,
 * and the self-signed certificate used when none is configured.
 */
#ifndef XRFB_TLS_H
#define XRFB_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "stream.h"

/* "AB:CD:..." of a SHA-256 digest, with its NUL. */
#define TLS_FINGERPRINT_LEN (32 * 3)

struct tls_ctx;

/* Anonymous credentials and the default priorities; NULL on failure. */
struct tls_ctx *tls_ctx_new(void);
void tls_ctx_free(struct tls_ctx *t);
/* Replace the system priority string (anonymous sessions still add the
 * anonymous key exchanges). -EINVAL if GnuTLS rejects it. */
int tls_ctx_set_priority(struct tls_ctx *t, const char *priority);
/* Serve X509 sessions with this certificate chain and key (PEM files);
 * @fpr gets the SHA-256 fingerprint of the first certificate. */
int tls_ctx_set_cert(struct tls_ctx *t, const char *cert, const char *key,
		     char fpr[TLS_FINGERPRINT_LEN]);
bool tls_ctx_has_cert(const struct tls_ctx *t);
/* Run a server TLS session over @s (see stream_start_layer); @who names
 * the peer in log lines. */
int tls_start(struct tls_ctx *t, struct stream *s, bool x509,
	      const char *who, stream_layer_ready_fn on_ready, void *arg);
/* The same with X509, on a stream whose buffered input is the start of
 * the client's TLS handshake (read to tell TLS from other protocols):
 * it goes to TLS first, and the input buffer is left empty. */
int tls_accept(struct tls_ctx *t, struct stream *s, const char *who,
	       stream_layer_ready_fn on_ready, void *arg);

/* Write a new self-signed certificate and key (PEM, mode 0600) unless
 * both files exist already. 1 if made, 0 if they existed, or -errno. */
int tls_cert_make(const char *cert, const char *key);

#endif
