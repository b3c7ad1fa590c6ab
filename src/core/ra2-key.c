/* SPDX-License-Identifier: MIT */
/*
 * The server key of the RSA-AES types (doc/protocol.md, "RSA-AES"):
 * PEM in and out, PKCS#1 and PKCS#8 read, PKCS#1 written, key pairs made
 * by nettle with the kernel's random bytes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/asn1.h>
#include <nettle/base64.h>
#include <nettle/bignum.h>
#include <nettle/sha1.h>

#include "buf.h"
#include "ra2-key.h"
#include "server-state.h"

/* Largest key file read. */
#define RA2_KEY_FILE_MAX (64u << 10)

static const char pem_pkcs1[] = "-----BEGIN RSA PRIVATE KEY-----";
static const char pem_pkcs8[] = "-----BEGIN PRIVATE KEY-----";

void ra2_random(void *ctx, size_t len, uint8_t *dst)
{
	(void)ctx;
	while (len) {
		ssize_t n = getrandom(dst, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* nettle's callback cannot fail; no key without it. */
			abort();
		}
		dst += n;
		len -= (size_t)n;
	}
}

uint8_t *ra2_pubkey_msg(const struct rsa_public_key *pub, size_t *len)
{
	size_t n = pub->size;
	uint8_t *m;

	if (nettle_mpz_sizeinbase_256_u(pub->e) > n)
		return NULL;
	m = malloc(4 + 2 * n);
	if (!m)
		return NULL;
	put_u32(m, (uint32_t)(n * 8));
	nettle_mpz_get_str_256(n, m + 4, pub->n);
	nettle_mpz_get_str_256(n, m + 4 + n, pub->e);
	*len = 4 + 2 * n;
	return m;
}

static struct ra2_key *key_new(void)
{
	struct ra2_key *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	rsa_public_key_init(&k->pub);
	rsa_private_key_init(&k->priv);
	return k;
}

void ra2_key_free(struct ra2_key *k)
{
	if (!k)
		return;
	rsa_public_key_clear(&k->pub);
	rsa_private_key_clear(&k->priv);
	free(k->msg);
	free(k);
}

/* Checks the size and makes the message once the numbers are in. */
static int key_finish(struct ra2_key *k)
{
	if (!rsa_public_key_prepare(&k->pub) ||
	    !rsa_private_key_prepare(&k->priv))
		return -EINVAL;
	if (k->pub.size * 8 < RA2_KEY_BITS_MIN ||
	    k->pub.size * 8 > RA2_KEY_BITS_MAX)
		return -EINVAL;
	k->msg = ra2_pubkey_msg(&k->pub, &k->msg_len);
	return k->msg ? 0 : -EINVAL;
}

/* The PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo. */
static int pkcs8_unwrap(const uint8_t *d, size_t len, const uint8_t **key,
			size_t *key_len)
{
	struct asn1_der_iterator i;

	if (asn1_der_iterator_first(&i, len, d) != ASN1_ITERATOR_CONSTRUCTED ||
	    i.type != ASN1_SEQUENCE ||
	    asn1_der_decode_constructed_last(&i) != ASN1_ITERATOR_PRIMITIVE ||
	    i.type != ASN1_INTEGER ||
	    asn1_der_iterator_next(&i) != ASN1_ITERATOR_CONSTRUCTED ||
	    i.type != ASN1_SEQUENCE ||
	    asn1_der_iterator_next(&i) != ASN1_ITERATOR_PRIMITIVE ||
	    i.type != ASN1_OCTETSTRING)
		return -EINVAL;
	*key = i.data;
	*key_len = i.length;
	return 0;
}

int ra2_key_parse(const char *pem, size_t len, struct ra2_key **out)
{
	struct base64_decode_ctx b64;
	const char *begin, *end;
	bool pkcs8 = false;
	size_t der_len = 0, key_len;
	const uint8_t *key;
	uint8_t *der = NULL;
	struct ra2_key *k = NULL;
	char *text;
	int r = -EINVAL;

	/* NUL-terminated for strstr. */
	text = malloc(len + 1);
	if (!text)
		return -ENOMEM;
	memcpy(text, pem, len);
	text[len] = '\0';
	begin = strstr(text, pem_pkcs1);
	if (begin) {
		begin += sizeof(pem_pkcs1) - 1;
	} else if ((begin = strstr(text, pem_pkcs8))) {
		begin += sizeof(pem_pkcs8) - 1;
		pkcs8 = true;
	} else {
		goto out;
	}
	end = strstr(begin, "-----END ");
	if (!end)
		goto out;
	der = malloc(BASE64_DECODE_LENGTH((size_t)(end - begin)) + 1);
	if (!der) {
		r = -ENOMEM;
		goto out;
	}
	base64_decode_init(&b64);
	if (!base64_decode_update(&b64, &der_len, der, (size_t)(end - begin),
				  begin) ||
	    !base64_decode_final(&b64))
		goto out;
	key = der;
	key_len = der_len;
	if (pkcs8 && pkcs8_unwrap(der, der_len, &key, &key_len) < 0)
		goto out;
	k = key_new();
	if (!k) {
		r = -ENOMEM;
		goto out;
	}
	if (!rsa_keypair_from_der(&k->pub, &k->priv, RA2_KEY_BITS_MAX,
				  key_len, key))
		goto out;
	r = key_finish(k);
	if (r == 0) {
		*out = k;
		k = NULL;
	}
out:
	ra2_key_free(k);
	free(der);
	free(text);
	return r;
}

int ra2_key_load(const char *path, struct ra2_key **out)
{
	char *text = malloc(RA2_KEY_FILE_MAX);
	size_t got = 0;
	int fd, r;

	if (!text)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(text);
		return r;
	}
	for (;;) {
		ssize_t n = read(fd, text + got, RA2_KEY_FILE_MAX - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == RA2_KEY_FILE_MAX) {
			r = -EFBIG;
			goto out;
		}
	}
	r = ra2_key_parse(text, got, out);
out:
	close(fd);
	explicit_bzero(text, got);
	free(text);
	return r;
}

int ra2_key_generate(unsigned bits, struct ra2_key **out)
{
	struct ra2_key *k;
	int r;

	if (bits < RA2_KEY_BITS_MIN || bits > RA2_KEY_BITS_MAX)
		return -EINVAL;
	k = key_new();
	if (!k)
		return -ENOMEM;
	mpz_set_ui(k->pub.e, 65537);
	if (!rsa_generate_keypair(&k->pub, &k->priv, NULL, ra2_random, NULL,
				  NULL, bits, 0)) {
		ra2_key_free(k);
		return -EINVAL;
	}
	r = key_finish(k);
	if (r < 0) {
		ra2_key_free(k);
		return r;
	}
	*out = k;
	return 0;
}

/* ---- DER and PEM out ---------------------------------------------------- */

static void der_len(struct buf *b, size_t n)
{
	if (n < 0x80) {
		buf_put_u8(b, (uint8_t)n);
	} else if (n < 0x100) {
		buf_put_u8(b, 0x81);
		buf_put_u8(b, (uint8_t)n);
	} else {
		buf_put_u8(b, 0x82);
		buf_put_u16(b, (uint16_t)n);
	}
}

/* A non-negative INTEGER: a leading zero only where the sign bit would
 * be set, as DER wants. */
static void der_mpz(struct buf *b, const mpz_t v)
{
	size_t n = nettle_mpz_sizeinbase_256_u(v), skip;
	uint8_t *tmp = xmalloc(n + 1);

	tmp[0] = 0;
	nettle_mpz_get_str_256(n, tmp + 1, v);
	skip = tmp[1] & 0x80 ? 0 : 1;
	buf_put_u8(b, 0x02);
	der_len(b, n + 1 - skip);
	buf_put_mem(b, tmp + skip, n + 1 - skip);
	explicit_bzero(tmp, n + 1);
	free(tmp);
}

int ra2_key_save(const struct ra2_key *k, const char *path)
{
	static const char head[] = "-----BEGIN RSA PRIVATE KEY-----\n";
	static const char tail[] = "-----END RSA PRIVATE KEY-----\n";
	struct buf body = { 0 }, der = { 0 }, pem = { 0 };
	const mpz_srcptr nums[] = { k->pub.n, k->pub.e, k->priv.d, k->priv.p,
				    k->priv.q, k->priv.a, k->priv.b,
				    k->priv.c };
	size_t b64_len = 0;
	char *b64 = NULL;
	int fd, r = 0;

	/* Eight numbers of at most the modulus' size, with headers. */
	if (buf_reserve(&body, 8 * (k->pub.size + 8) + 8) < 0) {
		r = -ENOMEM;
		goto out;
	}
	buf_put_mem(&body, "\x02\x01\x00", 3);	/* version 0 */
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		der_mpz(&body, nums[i]);
	if (buf_reserve(&der, body.len + 8) < 0) {
		r = -ENOMEM;
		goto out;
	}
	buf_put_u8(&der, 0x30);
	der_len(&der, body.len);
	buf_put_mem(&der, body.data, body.len);
	b64_len = BASE64_ENCODE_RAW_LENGTH(der.len);
	b64 = malloc(b64_len);
	if (!b64 || buf_reserve(&pem, b64_len + b64_len / 64 + 128) < 0) {
		r = -ENOMEM;
		goto out;
	}
	base64_encode_raw(b64, der.len, der.data);
	buf_put_mem(&pem, head, sizeof(head) - 1);
	for (size_t off = 0; off < b64_len; off += 64) {
		buf_put_mem(&pem, b64 + off, b64_len - off < 64 ? b64_len - off
								 : 64);
		buf_put_u8(&pem, '\n');
	}
	buf_put_mem(&pem, tail, sizeof(tail) - 1);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	for (size_t off = 0; off < pem.len;) {
		ssize_t n = write(fd, pem.data + off, pem.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 && r == 0)
		r = -errno;
	if (r < 0)
		unlink(path);
out:
	if (b64)
		explicit_bzero(b64, b64_len);
	free(b64);
	explicit_bzero(body.data, body.len);
	explicit_bzero(der.data, der.len);
	explicit_bzero(pem.data, pem.len);
	buf_fini(&body);
	buf_fini(&der);
	buf_fini(&pem);
	return r;
}

void ra2_key_fingerprint(const struct ra2_key *k,
			 char out[RA2_FINGERPRINT_LEN])
{
	struct sha1_ctx ctx;
	uint8_t f[8];

	sha1_init(&ctx);
	sha1_update(&ctx, k->msg_len, k->msg);
	sha1_digest(&ctx, sizeof(f), f);
	snprintf(out, RA2_FINGERPRINT_LEN,
		 "%02x-%02x-%02x-%02x-%02x-%02x-%02x-%02x", f[0], f[1], f[2],
		 f[3], f[4], f[5], f[6], f[7]);
}

/* ---- the server's key ------------------------------------------------------ */

int xrfb_server_set_rsa_key(struct xrfb_server *s, const char *path,
			    bool create, char *fingerprint, size_t size)
{
	struct ra2_key *k = NULL;
	bool made = false;
	int r;

	r = ra2_key_load(path, &k);
	if (r == -ENOENT && create) {
		r = ra2_key_generate(2048, &k);
		if (r == 0) {
			r = ra2_key_save(k, path);
			made = r == 0;
			if (r < 0) {
				ra2_key_free(k);
				k = NULL;
			}
		}
	}
	if (r < 0)
		return r;
	if (fingerprint && size) {
		char f[RA2_FINGERPRINT_LEN];

		ra2_key_fingerprint(k, f);
		snprintf(fingerprint, size, "%s", f);
	}
	ra2_key_free(s->ra2_key);
	s->ra2_key = k;
	security_update(s);
	return made;
}
