/* SPDX-License-Identifier: MIT */
/*
 * RSA-AES (doc/protocol.md, "RSA-AES"). The server sends its public key,
 * reads the client's, sends a random encrypted to the client's key and
 * reads one encrypted to its own. Each direction's AES key is a hash of
 * both randoms (SHA-1 cut to 16 bytes, or SHA-256), and from then on the
 * exchange goes in AES-EAX records: each side proves it saw both public
 * keys with a hash of them, the server names the subtype (1: user name
 * and password, checked by the embedder's account check on a thread of
 * its own (account.c), when it has one; 2: the password alone) and the
 * client sends user name and password. RA2 and RA2_256
 * then keep the records under the whole session (a stream filter, from
 * the SecurityResult on); RA2ne and RA2ne_256 go on in the clear.
 *
 * Every message is parsed from what has arrived, so input split
 * anywhere is the same as input whole; records are bounded by their
 * 16-bit length and the decrypted handshake messages by their sizes.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nettle/bignum.h>
#include <nettle/memops.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "account.h"
#include "conn.h"
#include "log.h"
#include "ra2-key.h"
#include "rfb-proto.h"
#include "sec-ra2.h"
#include "server-state.h"
#include "stream.h"

/* Subtypes: user name and password (1, offered when the server checks
 * accounts), or the password alone (2). */
#define RA2_SUBTYPE_USER_PASS 1
#define RA2_SUBTYPE_PASS 2
/* U8 length + user name, U8 length + password. */
#define RA2_CREDENTIALS_MAX (1 + 255 + 1 + 255)

/* ---- records ----------------------------------------------------------- */

void ra2_cipher_init(struct ra2_cipher *c, const uint8_t *key, size_t key_len)
{
	memset(c, 0, sizeof(*c));
	if (key_len == 32) {
		aes256_set_encrypt_key(&c->aes.aes256, key);
		c->encrypt = (nettle_cipher_func *)aes256_encrypt;
	} else {
		aes128_set_encrypt_key(&c->aes.aes128, key);
		c->encrypt = (nettle_cipher_func *)aes128_encrypt;
	}
	eax_set_key(&c->eax_key, &c->aes, c->encrypt);
}

/* The next record's nonce: the count goes up by one, little-endian. */
static void nonce_step(struct ra2_cipher *c)
{
	for (size_t i = 0; i < sizeof(c->nonce); i++)
		if (++c->nonce[i])
			break;
}

static void eax_start(struct ra2_cipher *c, struct eax_ctx *eax,
		      const uint8_t hdr[RA2_RECORD_HDR])
{
	eax_set_nonce(eax, &c->eax_key, &c->aes, c->encrypt,
		      sizeof(c->nonce), c->nonce);
	/* The length is the associated data. */
	eax_update(eax, &c->eax_key, &c->aes, c->encrypt, RA2_RECORD_HDR,
		   hdr);
}

void ra2_seal(struct ra2_cipher *c, const uint8_t *d, size_t len,
	      uint8_t *out)
{
	struct eax_ctx eax;

	put_u16(out, (uint16_t)len);
	eax_start(c, &eax, out);
	eax_encrypt(&eax, &c->eax_key, &c->aes, c->encrypt, len,
		    out + RA2_RECORD_HDR, d);
	eax_digest(&eax, &c->eax_key, &c->aes, c->encrypt, RA2_MAC_LEN,
		   out + RA2_RECORD_HDR + len);
	nonce_step(c);
}

struct rcbuf *ra2_seal_all(struct ra2_cipher *c, const uint8_t *d,
			   size_t len)
{
	size_t records = (len + RA2_RECORD_MAX - 1) / RA2_RECORD_MAX;
	size_t total = len + records * RA2_RECORD_OVERHEAD;
	uint8_t *out = malloc(total ? total : 1), *p = out;

	if (!out)
		return NULL;
	while (len) {
		size_t n = len < RA2_RECORD_MAX ? len : RA2_RECORD_MAX;

		ra2_seal(c, d, n, p);
		d += n;
		len -= n;
		p += n + RA2_RECORD_OVERHEAD;
	}
	return rcbuf_new(out, total);
}

ssize_t ra2_open(struct ra2_cipher *c, const uint8_t *d, size_t len,
		 struct buf *out)
{
	struct eax_ctx eax;
	uint8_t mac[RA2_MAC_LEN];
	size_t n, start = out->len;
	uint8_t *p;

	if (len < RA2_RECORD_HDR)
		return 0;
	n = get_u16(d);
	/* An empty record carries nothing; no peer sends one. */
	if (!n)
		return -EBADMSG;
	if (len < n + RA2_RECORD_OVERHEAD)
		return 0;
	p = buf_extend(out, n);
	if (!p)
		return -ENOMEM;
	eax_start(c, &eax, d);
	eax_decrypt(&eax, &c->eax_key, &c->aes, c->encrypt, n, p,
		    d + RA2_RECORD_HDR);
	eax_digest(&eax, &c->eax_key, &c->aes, c->encrypt, RA2_MAC_LEN, mac);
	if (!memeql_sec(mac, d + RA2_RECORD_HDR + n, RA2_MAC_LEN)) {
		/* Nothing of a forged record reaches the owner. */
		memset(p, 0, n);
		out->len = start;
		return -EBADMSG;
	}
	nonce_step(c);
	return (ssize_t)(n + RA2_RECORD_OVERHEAD);
}

bool ra2_password_matches(const char *want, const uint8_t *given,
			  size_t given_len)
{
	size_t want_len = strlen(want);
	uint8_t diff = 0;

	if (want_len > 255 || given_len > 255)
		return false;
	/* Always the same 255 steps: the time says nothing of either. */
	for (size_t i = 0; i < 255; i++) {
		uint8_t a = i < want_len ? (uint8_t)want[i] : 0;
		uint8_t b = i < given_len ? given[i] : 0;

		diff |= (uint8_t)(a ^ b);
	}
	return (diff | (uint8_t)(want_len != given_len)) == 0;
}

/* ---- the session filter (RA2, RA2_256) ----------------------------------- */

struct ra2_filter {
	struct ra2_cipher rx, tx;
};

static ssize_t filter_decode(void *ctx, const uint8_t *d, size_t len,
			     struct buf *out)
{
	struct ra2_filter *f = ctx;

	return ra2_open(&f->rx, d, len, out);
}

static struct rcbuf *filter_encode(void *ctx, struct rcbuf *payload)
{
	struct ra2_filter *f = ctx;
	struct rcbuf *r = ra2_seal_all(&f->tx, payload->data, payload->len);

	rcbuf_unref(payload);
	return r;
}

static void filter_free(void *ctx)
{
	if (ctx)
		explicit_bzero(ctx, sizeof(struct ra2_filter));
	free(ctx);
}

static const struct stream_filter_ops ra2_filter_ops = {
	.decode = filter_decode,
	.encode = filter_encode,
	.free = filter_free,
};

/* ---- the exchange ---------------------------------------------------------- */

struct ra2_variant {
	const char *name;
	size_t key_len;		/* randoms, AES keys and hashes: 16 or 32 */
	size_t hash_len;	/* SHA-1 or SHA-256 */
	bool all_encrypted;	/* records for the whole session */
};

enum ra2_step {
	RA2_CLIENT_KEY,
	RA2_CLIENT_RANDOM,
	RA2_CLIENT_HASH,
	RA2_CREDENTIALS,
	RA2_CHECKING,		/* an account check runs (account.c) */
	RA2_DONE,
};

struct ra2 {
	struct conn *conn;
	const struct ra2_variant *v;
	const struct ra2_key *key;	/* the server's */
	enum ra2_step step;
	struct rsa_public_key client_pub;
	uint8_t *client_msg;		/* the client's key as sent */
	size_t client_msg_len;
	uint8_t server_random[32], client_random[32];
	struct ra2_cipher rx, tx;
	struct buf plain;		/* decrypted, not yet parsed */
	uint8_t subtype;		/* RA2_SUBTYPE_* */
	struct account_check *check;	/* in RA2_CHECKING */
	char user[96];			/* its user name, escaped */
};

static const struct ra2_variant ra2_128 = { "RA2", 16, SHA1_DIGEST_SIZE,
					    true };
static const struct ra2_variant ra2ne_128 = { "RA2ne", 16, SHA1_DIGEST_SIZE,
					      false };
static const struct ra2_variant ra2_256 = { "RA2_256", 32, SHA256_DIGEST_SIZE,
					    true };
static const struct ra2_variant ra2ne_256 = { "RA2ne_256", 32,
					      SHA256_DIGEST_SIZE, false };

/* H(@a || @b), cut to @out_len (<= the hash's size). */
static void hash2(const struct ra2_variant *v, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen, uint8_t *out, size_t out_len)
{
	if (v->hash_len == SHA256_DIGEST_SIZE) {
		struct sha256_ctx h;

		sha256_init(&h);
		sha256_update(&h, alen, a);
		sha256_update(&h, blen, b);
		sha256_digest(&h, out_len, out);
	} else {
		struct sha1_ctx h;

		sha1_init(&h);
		sha1_update(&h, alen, a);
		sha1_update(&h, blen, b);
		sha1_digest(&h, out_len, out);
	}
}

static void ra2_free(void *state)
{
	struct ra2 *st = state;

	if (!st)
		return;
	account_check_cancel(st->check);
	rsa_public_key_clear(&st->client_pub);
	free(st->client_msg);
	if (st->plain.data)
		explicit_bzero(st->plain.data, st->plain.cap);
	buf_fini(&st->plain);
	explicit_bzero(st, sizeof(*st));
	free(st);
}

/* A record of the exchange out. */
static void send_record(struct conn *conn, struct ra2 *st, const uint8_t *d,
			size_t len)
{
	uint8_t out[64 + RA2_RECORD_OVERHEAD];

	ra2_seal(&st->tx, d, len, out);
	conn_send(conn, out, len + RA2_RECORD_OVERHEAD);
}

static bool ra2_offered(const struct xrfb_server *s)
{
	return (s->password || s->plain_check) && s->ra2_key;
}

static int ra2_start(struct conn *conn, void **state,
		     const struct ra2_variant *v)
{
	struct ra2 *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->conn = conn;
	st->v = v;
	st->key = conn->server->ra2_key;
	st->subtype = conn->server->plain_check ? RA2_SUBTYPE_USER_PASS
						 : RA2_SUBTYPE_PASS;
	rsa_public_key_init(&st->client_pub);
	*state = st;
	conn_send(conn, st->key->msg, st->key->msg_len);
	return SEC_CONTINUE;
}

static ssize_t refuse(struct conn *conn, struct ra2 *st, const char *why)
{
	conn_close(conn, "%s: %s", st->v->name, why);
	return -EPROTO;
}

/* The client's public key; the server's random goes out under it. */
static ssize_t on_client_key(struct conn *conn, struct ra2 *st,
			     const uint8_t *d, size_t len)
{
	uint32_t bits;
	size_t size, n;
	uint8_t *out;
	mpz_t x;
	int ok;

	if (len < 4)
		return 0;
	bits = get_u32(d);
	if (bits < RA2_KEY_BITS_MIN || bits > RA2_KEY_BITS_MAX)
		return refuse(conn, st, "client key size out of range");
	size = (bits + 7) / 8;
	n = 4 + 2 * size;
	if (len < n)
		return 0;
	nettle_mpz_set_str_256_u(st->client_pub.n, size, d + 4);
	nettle_mpz_set_str_256_u(st->client_pub.e, size, d + 4 + size);
	if (!rsa_public_key_prepare(&st->client_pub) ||
	    st->client_pub.size < RA2_KEY_BITS_MIN / 8)
		return refuse(conn, st, "client key is invalid");
	st->client_msg = malloc(n);
	out = malloc(2 + st->client_pub.size);
	if (!st->client_msg || !out) {
		free(out);
		return -ENOMEM;
	}
	memcpy(st->client_msg, d, n);
	st->client_msg_len = n;

	ra2_random(NULL, st->v->key_len, st->server_random);
	mpz_init(x);
	ok = rsa_encrypt(&st->client_pub, NULL, ra2_random, st->v->key_len,
			 st->server_random, x);
	if (ok) {
		put_u16(out, (uint16_t)st->client_pub.size);
		nettle_mpz_get_str_256(st->client_pub.size, out + 2, x);
		conn_send(conn, out, 2 + st->client_pub.size);
	}
	mpz_clear(x);
	free(out);
	if (!ok)
		return refuse(conn, st, "cannot encrypt to the client key");
	st->step = RA2_CLIENT_RANDOM;
	return (ssize_t)n;
}

/* The client's random: the keys, then the server's hash. */
static ssize_t on_client_random(struct conn *conn, struct ra2 *st,
				const uint8_t *d, size_t len)
{
	const struct ra2_variant *v = st->v;
	uint8_t key[32], hash[32];
	size_t n, got = sizeof(st->client_random);
	mpz_t x;
	int ok;

	if (len < 2)
		return 0;
	n = get_u16(d);
	if (n != st->key->pub.size)
		return refuse(conn, st, "random does not match the key size");
	if (len < 2 + n)
		return 0;
	nettle_mpz_init_set_str_256_u(x, n, d + 2);
	ok = rsa_decrypt_tr(&st->key->pub, &st->key->priv, NULL, ra2_random,
			    &got, st->client_random, x);
	mpz_clear(x);
	if (!ok || got != v->key_len)
		return refuse(conn, st, "cannot decrypt the client random");

	/* Read with H(server || client), write with H(client || server). */
	hash2(v, st->server_random, v->key_len, st->client_random, v->key_len,
	      key, v->key_len);
	ra2_cipher_init(&st->rx, key, v->key_len);
	hash2(v, st->client_random, v->key_len, st->server_random, v->key_len,
	      key, v->key_len);
	ra2_cipher_init(&st->tx, key, v->key_len);
	explicit_bzero(key, sizeof(key));
	explicit_bzero(st->server_random, sizeof(st->server_random));
	explicit_bzero(st->client_random, sizeof(st->client_random));

	hash2(v, st->key->msg, st->key->msg_len, st->client_msg,
	      st->client_msg_len, hash, v->hash_len);
	send_record(conn, st, hash, v->hash_len);
	st->step = RA2_CLIENT_HASH;
	return (ssize_t)(2 + n);
}

/* Subtype 2: whether the password is right, or the view-only one (the
 * client may then only watch). */
static bool check_password(struct conn *conn, const uint8_t *pass,
			   size_t pass_len)
{
	const struct xrfb_server *s = conn->server;
	bool full = s->password &&
		    ra2_password_matches(s->password, pass, pass_len);
	bool view = s->password_view &&
		    ra2_password_matches(s->password_view, pass, pass_len);

	if (!full && view)
		conn->view_only = true;
	return full || view;
}

/* The result is known: from the SecurityResult on, RA2 and RA2_256 put
 * everything in records. 0, or -errno with the client closed. */
static int finish(struct conn *conn, struct ra2 *st)
{
	struct ra2_filter *f;

	st->step = RA2_DONE;
	if (!st->v->all_encrypted)
		return 0;
	f = malloc(sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->rx = st->rx;
	f->tx = st->tx;
	if (stream_set_filter(conn->stream, &ra2_filter_ops, f) < 0)
		return (int)refuse(conn, st, "stream already filtered");
	return 0;
}

/* Subtype 1: the account check's answer. */
static void on_checked(void *arg, bool ok, bool view_only)
{
	struct ra2 *st = arg;
	struct conn *conn = st->conn;
	int r;

	st->check = NULL;
	if (conn->closed)
		return;	/* account.c counted a wrong password */
	account_log(conn, st->user, ok, view_only);
	conn->view_only = conn->view_only || view_only;
	r = finish(conn, st);
	if (r < 0) {
		if (!conn->closed)
			conn_close(conn, "%s: %s", st->v->name, strerror(-r));
		return;
	}
	conn->sec_done(conn->sec_done_arg, ok ? SEC_OK : SEC_FAILED);
}

/* Subtype 1: hand user name and password to an account check. 0, or
 * -errno with the client closed. */
static int start_check(struct conn *conn, struct ra2 *st, const uint8_t *user,
		       size_t ulen, const uint8_t *pass, size_t plen)
{
	char u[256], p[256];

	if (memchr(user, 0, ulen) || memchr(pass, 0, plen))
		return (int)refuse(conn, st, "NUL in the credentials");
	memcpy(u, user, ulen);
	u[ulen] = '\0';
	memcpy(p, pass, plen);
	p[plen] = '\0';
	log_escape(st->user, sizeof(st->user), u, ulen);
	st->check = account_check_start(conn, u, p, on_checked, st);
	explicit_bzero(p, sizeof(p));
	if (!st->check)
		return (int)refuse(conn, st, "cannot check the password");
	st->step = RA2_CHECKING;
	return 0;
}

/* The decrypted messages: the client's hash, then the credentials.
 * Returns 1 when authentication is decided (*@ok), 2 when an account
 * check decides it later, 0 for more input, or -errno. */
static int parse_plain(struct conn *conn, struct ra2 *st, bool more_input,
		       bool *ok)
{
	const struct ra2_variant *v = st->v;
	struct buf *p = &st->plain;
	uint8_t want[32];
	size_t ulen, plen;
	int r;

	if (st->step == RA2_CLIENT_HASH) {
		if (p->len < v->hash_len)
			return 0;
		hash2(v, st->client_msg, st->client_msg_len, st->key->msg,
		      st->key->msg_len, want, v->hash_len);
		if (!memeql_sec(want, p->data, v->hash_len))
			return (int)refuse(conn, st, "client hash is wrong");
		buf_consume(p, v->hash_len);
		send_record(conn, st, &st->subtype, 1);
		st->step = RA2_CREDENTIALS;
	}
	if (p->len < 1)
		return 0;
	ulen = p->data[0];
	if (p->len < 2 + ulen)
		return 0;
	plen = p->data[1 + ulen];
	if (p->len < 2 + ulen + plen)
		return 0;
	/* The client waits for SecurityResult before it says more. */
	if (p->len > 2 + ulen + plen || more_input)
		return (int)refuse(conn, st, "input after the credentials");
	if (st->subtype == RA2_SUBTYPE_USER_PASS) {
		r = start_check(conn, st, p->data + 1, ulen,
				p->data + 2 + ulen, plen);
		return r < 0 ? r : 2;
	}
	*ok = check_password(conn, p->data + 2 + ulen, plen);
	return 1;
}

static ssize_t on_record(struct conn *conn, struct ra2 *st, const uint8_t *d,
			 size_t len, enum sec_result *result)
{
	ssize_t k = ra2_open(&st->rx, d, len, &st->plain);
	bool ok = false;
	int r;

	if (k == 0)
		return 0;
	if (k < 0)
		return k == -ENOMEM ? k : refuse(conn, st, "bad record");
	if (st->plain.len > RA2_CREDENTIALS_MAX)
		return refuse(conn, st, "message too long");
	r = parse_plain(conn, st, (size_t)k < len, &ok);
	if (r <= 0)
		return r < 0 ? r : k;
	explicit_bzero(st->plain.data, st->plain.len);
	buf_consume(&st->plain, st->plain.len);
	if (r == 2)
		return k;	/* on_checked goes on */
	r = finish(conn, st);
	if (r < 0)
		return r;
	*result = ok ? SEC_OK : SEC_FAILED;
	return k;
}

static ssize_t ra2_on_read(struct conn *conn, void *state, const uint8_t *d,
			   size_t len, enum sec_result *result)
{
	struct ra2 *st = state;
	ssize_t n;

	*result = SEC_CONTINUE;	/* until the credentials decide */
	switch (st->step) {
	case RA2_CLIENT_KEY:
		n = on_client_key(conn, st, d, len);
		break;
	case RA2_CLIENT_RANDOM:
		n = on_client_random(conn, st, d, len);
		break;
	case RA2_CLIENT_HASH:
	case RA2_CREDENTIALS:
		n = on_record(conn, st, d, len, result);
		break;
	case RA2_CHECKING:
		/* The client must wait for SecurityResult. */
		n = refuse(conn, st, "input before the result");
		break;
	default:
		n = -EPROTO;
		break;
	}
	/* Out of memory, say: the client goes too. */
	if (n < 0 && !conn->closed)
		conn_close(conn, "%s: %s", st->v->name, strerror((int)-n));
	return n;
}

#define RA2_OPS(ops, variant)                                                \
	static int ops##_start(struct conn *conn, void **state)              \
	{                                                                    \
		return ra2_start(conn, state, &(variant));                   \
	}                                                                    \
	const struct sec_ops ops = {                                         \
		.offered = ra2_offered,                                      \
		.start = ops##_start,                                        \
		.on_read = ra2_on_read,                                      \
		.free_state = ra2_free,                                      \
	}

RA2_OPS(sec_ra2_ops, ra2_128);
RA2_OPS(sec_ra2ne_ops, ra2ne_128);
RA2_OPS(sec_ra2_256_ops, ra2_256);
RA2_OPS(sec_ra2ne_256_ops, ra2ne_256);
