/* SPDX-License-Identifier: MIT */
/*
 * Security set-up of the program. Defaults: with a password, the
 * encrypted VeNCrypt types first (X509Vnc, TLSVnc) and VNC authentication
 * last for viewers without VeNCrypt; with PAM accounts, X509Plain and
 * TLSPlain before those; without either, None (on loopback only, see
 * options.c). --require-encryption drops every type that leaves the
 * session in the clear. The X509 types use --tls-cert/--tls-key, or a
 * self-signed certificate made once in the state directory
 * ($XDG_STATE_HOME/xrfb, ~/.local/state/xrfb, or /var/lib/xrfb for root),
 * whose SHA-256 fingerprint is printed so a user can check it in the
 * viewer. With a password or PAM accounts the RSA-AES types come first
 * (with PAM they ask for a user name and password); their key is
 * --rsa-key or rsa-key.pem in the state directory, made once, and its
 * fingerprint is printed as TigerVNC's viewer shows it.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sec-setup.h"

/* mkdir -p with mode 0700 for what is made. */
static int make_dirs(const char *path)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int state_dir(char *out, size_t size)
{
	const char *xdg = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");
	int n;

	if (xdg && *xdg == '/')
		n = snprintf(out, size, "%s/xrfb", xdg);
	else if (getuid() != 0 && home && *home == '/')
		n = snprintf(out, size, "%s/.local/state/xrfb", home);
	else
		n = snprintf(out, size, "/var/lib/xrfb");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return make_dirs(out);
}

/* The certificate of the X509 types: given, or made in the state dir. */
static int setup_cert(struct sec_setup *ss, struct xrfb_server *s,
		      const struct options *o)
{
	char dir[4000], cert[4096], key[4096];
	const char *c = o->tls_cert, *k = o->tls_key;
	int r;

	if (!c) {
		r = state_dir(dir, sizeof(dir));
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot make the state directory "
				"%s: %s\n", dir, strerror(-r));
			return r;
		}
		snprintf(cert, sizeof(cert), "%s/tls-cert.pem", dir);
		snprintf(key, sizeof(key), "%s/tls-key.pem", dir);
		r = xrfb_tls_make_cert(cert, key);
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot make a TLS certificate "
				"in %s: %s\n", dir, strerror(-r));
			return r;
		}
		ss->made_cert = r > 0;
		c = cert;
		k = key;
	}
	r = xrfb_server_set_tls_cert(s, c, k, ss->fingerprint,
				     sizeof(ss->fingerprint));
	if (r < 0) {
		fprintf(stderr, "xrfb: cannot use the TLS certificate %s and "
			"key %s\n", c, k);
		return r;
	}
	snprintf(ss->cert, sizeof(ss->cert), "%s", c);
	return 0;
}

static bool is_x509(uint32_t t)
{
	return t == XRFB_SEC_X509_NONE || t == XRFB_SEC_X509_VNC ||
	       t == XRFB_SEC_X509_PLAIN;
}

static bool is_ra2(uint32_t t)
{
	return t == XRFB_SEC_RA2 || t == XRFB_SEC_RA2NE ||
	       t == XRFB_SEC_RA2_256 || t == XRFB_SEC_RA2NE_256;
}

/* The RSA-AES key: given, or made in the state dir. A default key that
 * cannot be made leaves the types out (1); a given one must work. */
static int setup_rsa_key(struct sec_setup *ss, struct xrfb_server *s,
			 const struct options *o)
{
	char dir[4000];
	int r;

	if (o->rsa_key) {
		snprintf(ss->rsa_key, sizeof(ss->rsa_key), "%s", o->rsa_key);
	} else {
		r = state_dir(dir, sizeof(dir));
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot make the state directory "
				"%s: %s; RSA-AES types are off\n", dir,
				strerror(-r));
			ss->rsa_key[0] = '\0';
			return 1;
		}
		snprintf(ss->rsa_key, sizeof(ss->rsa_key), "%s/rsa-key.pem",
			 dir);
	}
	r = xrfb_server_set_rsa_key(s, ss->rsa_key, !o->rsa_key,
				    ss->rsa_fingerprint,
				    sizeof(ss->rsa_fingerprint));
	if (r < 0) {
		fprintf(stderr, "xrfb: cannot use the RSA key %s: %s\n",
			ss->rsa_key,
			r == -EINVAL ? "not an RSA private key in PEM"
				     : strerror(-r));
		ss->rsa_key[0] = '\0';
		if (o->rsa_key)
			return r;
		fprintf(stderr, "xrfb: RSA-AES types are off\n");
		return 1;
	}
	ss->made_rsa_key = r > 0;
	return 0;
}

/* The list: explicit, or the defaults. */
static unsigned choose(const struct options *o, bool have_password,
		       uint32_t *types)
{
	unsigned n = 0;

	if (o->n_security) {
		memcpy(types, o->security, o->n_security * sizeof(*types));
		return o->n_security;
	}
	if (have_password || o->pam_service) {
		types[n++] = XRFB_SEC_RA2_256;
		types[n++] = XRFB_SEC_RA2;
		types[n++] = XRFB_SEC_RA2NE_256;
		types[n++] = XRFB_SEC_RA2NE;
	}
#if HAVE_GNUTLS
	if (o->pam_service) {
		types[n++] = XRFB_SEC_X509_PLAIN;
		types[n++] = XRFB_SEC_TLS_PLAIN;
	}
	if (have_password) {
		types[n++] = XRFB_SEC_X509_VNC;
		types[n++] = XRFB_SEC_TLS_VNC;
	}
#endif
	if (have_password)
		types[n++] = XRFB_SEC_VNC_AUTH;
	if (!n)
		types[n++] = o->pam_service ? XRFB_SEC_PLAIN : XRFB_SEC_NONE;
	return n;
}

static void print_types(const char *what, const uint32_t *types, unsigned n,
			bool clear)
{
	bool any = false;

	for (unsigned i = 0; i < n; i++) {
		if (clear == xrfb_security_encrypts(types[i]))
			continue;
		fprintf(stderr, "%s%s", any ? ", " : what,
			xrfb_security_name(types[i]));
		any = true;
	}
	if (any)
		fputc('\n', stderr);
}

int sec_setup(struct sec_setup *ss, struct xrfb_server *s,
	      const struct options *o, bool have_password)
{
	uint32_t *types = ss->types;
	unsigned n = choose(o, have_password, types), m = 0;
	bool x509 = false, ra2 = false;
	int r;

	for (unsigned i = 0; i < n; i++) {
		if (o->require_encryption &&
		    !xrfb_security_encrypts(types[i]))
			continue;
		types[m++] = types[i];
		x509 = x509 || is_x509(types[i]);
		ra2 = ra2 || is_ra2(types[i]);
	}
	n = m;
	/* RSA-AES checks the password or the account: without either it
	 * is never offered. */
	if (ra2 && (have_password || o->pam_service)) {
		r = setup_rsa_key(ss, s, o);
		if (r < 0)
			return r;
		for (unsigned i = m = 0; r > 0 && i < n; i++)
			if (!is_ra2(types[i]))
				types[m++] = types[i];
		n = r > 0 ? m : n;
	}
	if (!n) {
		fprintf(stderr, "xrfb: --require-encryption leaves no "
			"security type\n");
		return -EINVAL;
	}
	if (o->tls_priority &&
	    xrfb_server_set_tls_priority(s, o->tls_priority) < 0) {
		fprintf(stderr, "xrfb: bad --tls-priority '%s'\n",
			o->tls_priority);
		return -EINVAL;
	}
	/* A certificate also serves HTTPS and WSS on the web listeners. */
	if (x509 || o->tls_cert || o->https) {
		r = setup_cert(ss, s, o);
		if (r < 0)
			return r;
	}
	if (o->handshake_timeout >= 0)
		xrfb_server_set_handshake_timeout(s,
			(unsigned)o->handshake_timeout * 1000);
	/* For tests: the first refusal of a guessing address, in ms. */
	if (getenv("XRFB_AUTH_BAN_MS"))
		xrfb_server_set_auth_ban(s, (unsigned)strtoul(
			getenv("XRFB_AUTH_BAN_MS"), NULL, 10));
#if HAVE_PAM
	if (o->pam_service) {
		ss->pam.service = o->pam_service;
		ss->pam.users = o->users;
		ss->pam.view_users = o->view_users;
		xrfb_server_set_plain_check(s, pam_auth_check, &ss->pam);
	}
#endif
	r = xrfb_server_set_security(s, types, n);
	if (r < 0) {
		fprintf(stderr, "xrfb: cannot offer these security types: "
			"%s\n", r == -ENOTSUP ? "built without GnuTLS"
					      : strerror(-r));
		return r;
	}
	ss->n = n;
	return 0;
}

void sec_setup_announce(const struct sec_setup *ss)
{
	print_types("xrfb: security types (encrypted): ", ss->types, ss->n,
		    false);
	print_types("xrfb: security types in the clear: ", ss->types, ss->n,
		    true);
	if (ss->made_cert)
		fprintf(stderr, "xrfb: made a self-signed TLS certificate\n");
	if (ss->rsa_key[0]) {
		fprintf(stderr, "xrfb: %s RSA-AES key %s\n",
			ss->made_rsa_key ? "made the" : "the", ss->rsa_key);
		fprintf(stderr, "xrfb: its fingerprint (as TigerVNC shows "
			"it): %s\n", ss->rsa_fingerprint);
	}
	if (ss->fingerprint[0]) {
		fprintf(stderr, "xrfb: TLS certificate %s\n", ss->cert);
		fprintf(stderr, "xrfb: its SHA-256 fingerprint: %s\n",
			ss->fingerprint);
	}
}
