/* SPDX-License-Identifier: MIT */
/*
 * The self-signed certificate of the X509 VeNCrypt subtypes when none is
 * configured: an ECDSA P-256 key and a certificate naming this host,
 * localhost, 127.0.0.1 and ::1, valid for ten years, written once with
 * mode 0600 and reused after. Viewers trust it by its fingerprint, or by
 * being given the certificate as their CA (it is its own issuer).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "tls.h"

#define TLS_CERT_DAYS (10 * 365)

/* Write @d to @path through a temporary file, so a reader never sees
 * half of it; mode 0600. */
static int write_file(const char *path, const gnutls_datum_t *d)
{
	char tmp[4096];
	int fd, r = 0;
	size_t off = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (off < d->size) {
		ssize_t w = write(fd, d->data + off, d->size - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		unlink(tmp);
	return r;
}

static int add_names(gnutls_x509_crt_t crt)
{
	static const char *const dns[] = { "localhost" };
	uint8_t v4[4], v6[16];
	char host[256];
	int r;

	if (gethostname(host, sizeof(host) - 1) == 0 && host[0]) {
		host[sizeof(host) - 1] = '\0';
		r = gnutls_x509_crt_set_dn_by_oid(crt,
			GNUTLS_OID_X520_COMMON_NAME, 0, host, strlen(host));
		if (r == 0)
			r = gnutls_x509_crt_set_subject_alt_name(crt,
				GNUTLS_SAN_DNSNAME, host, strlen(host),
				GNUTLS_FSAN_APPEND);
	} else {
		r = gnutls_x509_crt_set_dn_by_oid(crt,
			GNUTLS_OID_X520_COMMON_NAME, 0, dns[0],
			strlen(dns[0]));
	}
	if (r == 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_DNSNAME, dns[0], strlen(dns[0]),
			GNUTLS_FSAN_APPEND);
	inet_pton(AF_INET, "127.0.0.1", v4);
	inet_pton(AF_INET6, "::1", v6);
	if (r == 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_IPADDRESS, v4, sizeof(v4),
			GNUTLS_FSAN_APPEND);
	if (r == 0)
		r = gnutls_x509_crt_set_subject_alt_name(crt,
			GNUTLS_SAN_IPADDRESS, v6, sizeof(v6),
			GNUTLS_FSAN_APPEND);
	return r;
}

static int build(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	uint8_t serial[16];
	time_t now = time(NULL);
	int r;

	if (getrandom(serial, sizeof(serial), 0) != (ssize_t)sizeof(serial))
		return GNUTLS_E_RANDOM_FAILED;
	serial[0] &= 0x7f;	/* a positive INTEGER */
	serial[0] |= 0x01;
	r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
		GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
	if (r == 0)
		r = gnutls_x509_crt_set_version(crt, 3);
	if (r == 0)
		r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
	if (r == 0)
		r = gnutls_x509_crt_set_activation_time(crt, now - 3600);
	if (r == 0)
		r = gnutls_x509_crt_set_expiration_time(crt,
			now + (time_t)TLS_CERT_DAYS * 86400);
	if (r == 0)
		r = gnutls_x509_crt_set_key(crt, key);
	if (r == 0)
		r = add_names(crt);
	/* Its own issuer: a viewer given it as CA verifies it directly. */
	if (r == 0)
		r = gnutls_x509_crt_set_basic_constraints(crt, 1, 0);
	if (r == 0)
		r = gnutls_x509_crt_set_key_usage(crt,
			GNUTLS_KEY_DIGITAL_SIGNATURE |
			GNUTLS_KEY_KEY_CERT_SIGN);
	if (r == 0)
		r = gnutls_x509_crt_set_key_purpose_oid(crt,
			GNUTLS_KP_TLS_WWW_SERVER, 0);
	if (r == 0) {
		uint8_t id[64];
		size_t n = sizeof(id);

		r = gnutls_x509_crt_get_key_id(crt, 0, id, &n);
		if (r == 0)
			r = gnutls_x509_crt_set_subject_key_id(crt, id, n);
	}
	if (r == 0)
		r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
	return r;
}

int tls_cert_make(const char *cert, const char *key)
{
	gnutls_x509_crt_t crt = NULL;
	gnutls_x509_privkey_t pk = NULL;
	gnutls_datum_t cert_pem = { NULL, 0 }, key_pem = { NULL, 0 };
	bool have_cert = access(cert, F_OK) == 0;
	bool have_key = access(key, F_OK) == 0;
	int r;

	if (have_cert && have_key)
		return 0;
	if (have_cert != have_key) {
		log_error("TLS: %s exists but %s does not; remove it to get a "
			  "new certificate", have_cert ? cert : key,
			  have_cert ? key : cert);
		return -EEXIST;
	}
	r = gnutls_x509_crt_init(&crt);
	if (r == 0)
		r = gnutls_x509_privkey_init(&pk);
	if (r == 0)
		r = build(crt, pk);
	if (r == 0)
		r = gnutls_x509_privkey_export2(pk, GNUTLS_X509_FMT_PEM,
						&key_pem);
	if (r == 0)
		r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM,
					    &cert_pem);
	if (r < 0) {
		log_error("TLS: cannot make a certificate: %s",
			  gnutls_strerror(r));
		r = -EIO;
		goto out;
	}
	/* The key first: a certificate alone is never left behind. */
	r = write_file(key, &key_pem);
	if (r < 0) {
		log_error("TLS: cannot write %s: %s", key, strerror(-r));
		goto out;
	}
	r = write_file(cert, &cert_pem);
	if (r < 0) {
		log_error("TLS: cannot write %s: %s", cert, strerror(-r));
		unlink(key);
		goto out;
	}
	r = 1;
out:
	if (key_pem.data)
		gnutls_memset(key_pem.data, 0, key_pem.size);
	gnutls_free(key_pem.data);
	gnutls_free(cert_pem.data);
	if (pk)
		gnutls_x509_privkey_deinit(pk);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	return r;
}
