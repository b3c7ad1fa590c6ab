/* SPDX-License-Identifier: MIT */
/* The program's security set-up: which types, TLS, certificates. */
#ifndef XRFB_SEC_SETUP_H
#define XRFB_SEC_SETUP_H

#include <stdbool.h>
#include <stdint.h>

#include "options.h"
#include "pam.h"
#include "xrfb.h"

#define SEC_SETUP_MAX (OPTIONS_MAX_SECURITY + 4)

/* What was set up, for sec_setup_announce(). */
struct sec_setup {
	uint32_t types[SEC_SETUP_MAX];
	unsigned n;
	bool made_cert;
	char cert[4096];
	char fingerprint[128];	/* "" without X509 */
	bool made_rsa_key;
	char rsa_key[4096];	/* "" without RSA-AES */
	char rsa_fingerprint[24];
	struct pam_auth pam;
};

/* Give @s its security types from @o (or the defaults), its TLS priority
 * and certificate (--tls-cert, or one made in the state directory), and
 * the RSA-AES key (--rsa-key, or one made there). 0, or -errno after
 * printing why. */
int sec_setup(struct sec_setup *ss, struct xrfb_server *s,
	      const struct options *o, bool have_password);
/* Say on stderr which types are on and the certificate's fingerprint. */
void sec_setup_announce(const struct sec_setup *ss);

#endif
