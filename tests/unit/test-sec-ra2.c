/* SPDX-License-Identifier: MIT */
/*
 * RSA-AES: the record layer against vectors made with another AES-EAX
 * implementation (PyCryptodome), fed whole, split at every byte and
 * tampered at every byte; the password check; the key file; and the
 * whole exchange of each type with a real server on a socketpair, the
 * viewer's side written here with nettle, its bytes sent whole and one
 * at a time (nothing may come back before a message is complete).
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nettle/bignum.h>
#include <nettle/sha1.h>
#include <nettle/sha2.h>

#include "client.h"
#include "ra2-key.h"
#include "sec-ra2.h"
#include "server.h"
#include "tpeer.h"
#include "unit.h"

/* ---- records --------------------------------------------------------------- */

struct kat {
	size_t key_len;
	unsigned count;		/* records before this one */
	const char *plain;
	const char *record;
	size_t record_len;
};

static const struct kat kats[] = {
	{ 16, 0, "hello",
	  "\x00\x05\x10\xf9\x2a\x33\xa7\x21\xcc\xbc\x27\x2b\xcb\x96\x04\x05"
	  "\x54\xd7\x16\x43\x98\x0f\x50", 23 },
	{ 16, 1, "RFB record",
	  "\x00\x0a\xb2\x42\xd2\xc1\xfd\xb7\xaf\xf0\xd0\x21\x72\x60\x85\xb7"
	  "\x80\x48\x09\xa1\x5a\x3b\xe0\xd9\x7b\xfe\xf7\x30", 28 },
	{ 32, 0, "hello",
	  "\x00\x05\xbd\x38\x89\xc9\xcb\x2b\x3a\xe1\x9f\x79\xaa\x12\x05\xe4"
	  "\x9d\xc0\x39\xd6\x7a\x8b\xc6", 23 },
	{ 32, 1, "RFB record",
	  "\x00\x0a\x73\x02\xf6\x33\x85\x3a\x4b\x8e\xe7\xe2\x30\xe3\x92\xf9"
	  "\x1a\xa8\x52\x92\xaf\x8b\xb3\xee\x51\xec\xca\x2b", 28 },
};
#define NKATS (int)(sizeof(kats) / sizeof(kats[0]))

static void key_0_to_n(uint8_t *key, size_t n)
{
	for (size_t i = 0; i < n; i++)
		key[i] = (uint8_t)i;
}

START_TEST(test_kat)
{
	const struct kat *k = &kats[_i];
	struct ra2_cipher tx, rx;
	uint8_t key[32], out[64], skip[64];
	struct buf plain = BUF_INIT, junk = BUF_INIT;
	size_t n = strlen(k->plain);

	key_0_to_n(key, k->key_len);
	ra2_cipher_init(&tx, key, k->key_len);
	ra2_cipher_init(&rx, key, k->key_len);
	/* Earlier records move both counters on. */
	for (unsigned i = 0; i < k->count; i++) {
		ra2_seal(&tx, (const uint8_t *)"x", 1, skip);
		ck_assert_int_eq(ra2_open(&rx, skip, 1 + RA2_RECORD_OVERHEAD,
					  &junk),
				 1 + RA2_RECORD_OVERHEAD);
	}
	ra2_seal(&tx, (const uint8_t *)k->plain, n, out);
	ck_assert_mem_eq(out, k->record, k->record_len);
	ck_assert_int_eq(ra2_open(&rx, (const uint8_t *)k->record,
				  k->record_len, &plain),
			 (ssize_t)k->record_len);
	ck_assert_uint_eq(plain.len, n);
	ck_assert_mem_eq(plain.data, k->plain, n);
	buf_fini(&plain);
	buf_fini(&junk);
}
END_TEST

/* Three records of 1, 17 and 300 bytes in a row. */
static size_t three_records(uint8_t *stream, uint8_t *plain, size_t *plen)
{
	static const size_t sizes[] = { 1, 17, 300 };
	struct ra2_cipher tx;
	uint8_t key[16];
	size_t off = 0, p = 0;

	key_0_to_n(key, sizeof(key));
	ra2_cipher_init(&tx, key, sizeof(key));
	for (size_t i = 0; i < 3; i++) {
		for (size_t j = 0; j < sizes[i]; j++)
			plain[p + j] = (uint8_t)(p + j * 7);
		ra2_seal(&tx, plain + p, sizes[i], stream + off);
		p += sizes[i];
		off += sizes[i] + RA2_RECORD_OVERHEAD;
	}
	*plen = p;
	return off;
}

/* Open what is complete of @d[0..@len) into @out; bytes used or -errno. */
static ssize_t open_all(struct ra2_cipher *rx, const uint8_t *d, size_t len,
			struct buf *out)
{
	size_t off = 0;

	while (off < len) {
		ssize_t k = ra2_open(rx, d + off, len - off, out);

		if (k <= 0)
			return k < 0 ? k : (ssize_t)off;
		off += (size_t)k;
	}
	return (ssize_t)off;
}

START_TEST(test_split_every_byte)
{
	uint8_t stream[400], plain[400], key[16];
	size_t plen, len = three_records(stream, plain, &plen);

	key_0_to_n(key, sizeof(key));
	for (size_t cut = 0; cut <= len; cut++) {
		struct ra2_cipher rx;
		struct buf out = BUF_INIT, pending = BUF_INIT;
		ssize_t used;

		ra2_cipher_init(&rx, key, sizeof(key));
		buf_append(&pending, stream, cut);
		used = open_all(&rx, pending.data, pending.len, &out);
		ck_assert_int_ge(used, 0);
		buf_consume(&pending, (size_t)used);
		buf_append(&pending, stream + cut, len - cut);
		used = open_all(&rx, pending.data, pending.len, &out);
		ck_assert_int_eq(used, (ssize_t)pending.len);
		ck_assert_uint_eq(out.len, plen);
		ck_assert_mem_eq(out.data, plain, plen);
		buf_fini(&out);
		buf_fini(&pending);
	}
}
END_TEST

START_TEST(test_tamper_every_byte)
{
	uint8_t stream[400], plain[400], key[16];
	size_t plen, len = three_records(stream, plain, &plen);

	key_0_to_n(key, sizeof(key));
	for (size_t i = 0; i < len; i++) {
		struct ra2_cipher rx;
		struct buf out = BUF_INIT;
		ssize_t used;

		stream[i] ^= 0x20;
		ra2_cipher_init(&rx, key, sizeof(key));
		used = open_all(&rx, stream, len, &out);
		/* Either refused, or (a length made longer) still waiting;
		 * what came out is always a true prefix, never all of it. */
		ck_assert(used == -EBADMSG || (used >= 0 && (size_t)used < len));
		ck_assert_uint_lt(out.len, plen);
		/* memcmp() must not see the NULL of an empty buffer */
		if (out.len)
			ck_assert_mem_eq(out.data, plain, out.len);
		stream[i] ^= 0x20;
		buf_fini(&out);
	}
}
END_TEST

START_TEST(test_replay_and_empty)
{
	struct ra2_cipher tx, rx;
	uint8_t key[32], rec[64], empty[RA2_RECORD_OVERHEAD];
	struct buf out = BUF_INIT;

	key_0_to_n(key, sizeof(key));
	ra2_cipher_init(&tx, key, 32);
	ra2_cipher_init(&rx, key, 32);
	ra2_seal(&tx, (const uint8_t *)"abc", 3, rec);
	ck_assert_int_eq(ra2_open(&rx, rec, 3 + RA2_RECORD_OVERHEAD, &out),
			 3 + RA2_RECORD_OVERHEAD);
	/* The same record again has the wrong nonce. */
	ck_assert_int_eq(ra2_open(&rx, rec, 3 + RA2_RECORD_OVERHEAD, &out),
			 -EBADMSG);
	ra2_seal(&tx, NULL, 0, empty);
	ck_assert_int_eq(ra2_open(&rx, empty, sizeof(empty), &out), -EBADMSG);
	/* Incomplete: wait. */
	ck_assert_int_eq(ra2_open(&rx, rec, 1, &out), 0);
	ck_assert_int_eq(ra2_open(&rx, rec, 3 + RA2_RECORD_OVERHEAD - 1, &out),
			 0);
	ck_assert_uint_eq(out.len, 3);
	buf_fini(&out);
}
END_TEST

START_TEST(test_seal_all_splits)
{
	size_t len = 2 * RA2_RECORD_MAX + 5;
	uint8_t *d = malloc(len), key[16];
	struct ra2_cipher tx, rx;
	struct rcbuf *r;
	struct buf out = BUF_INIT;

	for (size_t i = 0; i < len; i++)
		d[i] = (uint8_t)(i * 13);
	key_0_to_n(key, sizeof(key));
	ra2_cipher_init(&tx, key, 16);
	ra2_cipher_init(&rx, key, 16);
	r = ra2_seal_all(&tx, d, len);
	ck_assert_uint_eq(r->len, len + 3 * RA2_RECORD_OVERHEAD);
	ck_assert_uint_eq(get_u16(r->data), RA2_RECORD_MAX);
	ck_assert_int_eq(open_all(&rx, r->data, r->len, &out), (ssize_t)r->len);
	ck_assert_uint_eq(out.len, len);
	ck_assert_mem_eq(out.data, d, len);
	rcbuf_unref(r);
	buf_fini(&out);
	free(d);
}
END_TEST

START_TEST(test_password)
{
	const uint8_t *g = (const uint8_t *)"secret12-and-more";

	ck_assert(ra2_password_matches("secret12-and-more", g, 17));
	ck_assert(!ra2_password_matches("secret12-and-more", g, 8));
	ck_assert(!ra2_password_matches("secret12", g, 17));
	ck_assert(!ra2_password_matches("secret13-and-more", g, 17));
	ck_assert(!ra2_password_matches("secret12-and-morf", g, 17));
	ck_assert(!ra2_password_matches("x", g, 0));
	ck_assert(ra2_password_matches("", g, 0));
}
END_TEST

/* ---- the key file ------------------------------------------------------------ */

static char *tmp_path(char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	sprintf(p, "%s/%s", dir, name);
	return p;
}

START_TEST(test_key_file)
{
	char dir[] = "/tmp/test-sec-ra2.XXXXXX";
	struct ra2_key *k, *l;
	char f1[RA2_FINGERPRINT_LEN], f2[RA2_FINGERPRINT_LEN];
	char *path, *bad;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = tmp_path(dir, "key.pem");
	bad = tmp_path(dir, "bad.pem");
	ck_assert_int_eq(ra2_key_generate(1024, &k), 0);
	ck_assert_int_eq(ra2_key_save(k, path), 0);
	ck_assert_int_eq(ra2_key_save(k, path), -EEXIST);
	ck_assert_int_eq(ra2_key_load(path, &l), 0);
	ra2_key_fingerprint(k, f1);
	ra2_key_fingerprint(l, f2);
	ck_assert_str_eq(f1, f2);
	ck_assert_uint_eq(strlen(f1), 23);
	ck_assert_uint_eq(l->msg_len, 4 + 2 * 128);
	ck_assert_mem_eq(l->msg, k->msg, k->msg_len);
	ra2_key_free(l);
	ck_assert_int_eq(ra2_key_load(bad, &l), -ENOENT);
	fp = fopen(bad, "w");
	fputs("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n"
	      "-----END RSA PRIVATE KEY-----\n", fp);
	fclose(fp);
	ck_assert_int_eq(ra2_key_load(bad, &l), -EINVAL);
	ck_assert_int_eq(ra2_key_generate(512, &l), -EINVAL);
	ra2_key_free(k);
	unlink(path);
	unlink(bad);
	rmdir(dir);
	free(path);
	free(bad);
}
END_TEST

/* ---- the exchange with a server ---------------------------------------------- */

struct hs_case {
	uint8_t type;
	size_t key_len;
	bool all_encrypted;
	bool bytewise;
	const char *password;	/* what the viewer gives */
	/* With accounts (subtype 1): the user name the viewer gives. */
	const char *user;
	/* A NUL in place of the user name's second byte: no check is
	 * asked, the viewer is closed without a SecurityResult. */
	bool nul;
};

static const struct hs_case hs_cases[] = {
	{ 5, 16, true, false, "pass word", NULL, false },
	{ 6, 16, false, false, "pass word", NULL, false },
	{ 129, 32, true, false, "pass word", NULL, false },
	{ 130, 32, false, false, "pass word", NULL, false },
	{ 5, 16, true, true, "pass word", NULL, false },
	{ 130, 32, false, true, "pass word", NULL, false },
	{ 129, 32, true, false, "pass wore", NULL, false },
	{ 6, 16, false, false, "pass", NULL, false },
	{ 129, 32, true, false, "watch only", NULL, false },	/* the view-only one */
	/* Accounts: anna types, vera watches, the rest is refused. */
	{ 129, 32, true, false, "anna's", "anna", false },
	{ 6, 16, false, true, "anna's", "anna", false },
	{ 5, 16, true, false, "vera's", "vera", false },
	{ 130, 32, false, false, "anna's", "vera", false },
	{ 5, 16, true, false, "pass word", "", false },
	{ 129, 32, true, false, "anna's", "anna", true },
	{ 6, 16, false, false, "anna's", "anna", true },
};
#define NHS (int)(sizeof(hs_cases) / sizeof(hs_cases[0]))

struct env {
	struct xrfb_loop *loop;
	struct xrfb_server *s;
	struct tpeer p;
	int sv[2];
	char dir[32];
	char *key_path;
};

static void env_start(struct env *e)
{
	struct ra2_key *k;

	e->loop = xrfb_loop_new();
	e->s = xrfb_server_new(e->loop, 16, 8);
	ck_assert_int_eq(xrfb_server_set_password(e->s, "pass word"), 0);
	ck_assert_int_eq(xrfb_server_set_view_password(e->s, "watch only"), 0);
	strcpy(e->dir, "/tmp/test-sec-ra2.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	e->key_path = tmp_path(e->dir, "key.pem");
	/* 1024 bits: quick to make; the server takes what it is given. */
	ck_assert_int_eq(ra2_key_generate(1024, &k), 0);
	ck_assert_int_eq(ra2_key_save(k, e->key_path), 0);
	ra2_key_free(k);
	ck_assert_int_eq(xrfb_server_set_rsa_key(e->s, e->key_path, false,
						 NULL, 0),
			 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
						     SOCK_CLOEXEC,
				    0, e->sv),
			 0);
	ck_assert_ptr_nonnull(client_new(e->s, e->sv[0], "socketpair"));
	tpeer_open_fd(&e->p, e->loop, e->sv[1]);
}

static void env_stop(struct env *e)
{
	tpeer_close(&e->p);
	xrfb_server_free(e->s);
	xrfb_loop_free(e->loop);
	unlink(e->key_path);
	rmdir(e->dir);
	free(e->key_path);
}

static bool server_read_all(void *arg)
{
	int *fd = arg, n = -1;

	ck_assert_int_eq(ioctl(*fd, FIONREAD, &n), 0);
	return n == 0;
}

/* Send whole, or one byte at a time with nothing coming back before the
 * last one. */
static void send_to(struct env *e, bool bytewise, const void *data, size_t len)
{
	const uint8_t *d = data;

	if (!bytewise) {
		tpeer_send(&e->p, d, len);
		tpeer_flush(&e->p);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		size_t before = e->p.received + e->p.in_len;
		int n = 0;

		tpeer_send(&e->p, d + i, 1);
		tpeer_flush(&e->p);
		ck_assert(test_run_until(e->loop, server_read_all, &e->sv[0]));
		ck_assert_int_eq(ioctl(e->p.fd, FIONREAD, &n), 0);
		if (i + 1 < len)
			ck_assert_msg(n == 0 && e->p.received + e->p.in_len ==
						before,
				      "answer after %zu of %zu bytes", i + 1,
				      len);
	}
}

/* The next record's plaintext (appended to @out). */
static void read_record(struct env *e, struct ra2_cipher *rx, struct buf *out)
{
	size_t n;

	ck_assert(tpeer_wait(&e->p, 2));
	n = get_u16(e->p.in);
	ck_assert(tpeer_wait(&e->p, n + RA2_RECORD_OVERHEAD));
	ck_assert_int_eq(ra2_open(rx, e->p.in, n + RA2_RECORD_OVERHEAD, out),
			 (ssize_t)(n + RA2_RECORD_OVERHEAD));
	tpeer_consume(&e->p, n + RA2_RECORD_OVERHEAD);
}

static void send_record(struct env *e, bool bytewise, struct ra2_cipher *tx,
			const void *d, size_t len)
{
	uint8_t out[600];

	ra2_seal(tx, d, len, out);
	send_to(e, bytewise, out, len + RA2_RECORD_OVERHEAD);
}

static void hash2(size_t key_len, const uint8_t *a, size_t alen,
		  const uint8_t *b, size_t blen, uint8_t *out, size_t outlen)
{
	if (key_len == 32) {
		struct sha256_ctx h;

		sha256_init(&h);
		sha256_update(&h, alen, a);
		sha256_update(&h, blen, b);
		sha256_digest(&h, outlen, out);
	} else {
		struct sha1_ctx h;

		sha1_init(&h);
		sha1_update(&h, alen, a);
		sha1_update(&h, blen, b);
		sha1_digest(&h, outlen, out);
	}
}

static pthread_t loop_thread;
static int n_checks;	/* on the loop thread, after a join */

/* The accounts of the subtype 1 cases; checked off the loop thread. */
static bool check_account(void *arg, const char *user, const char *password,
			  bool *view_only)
{
	ck_assert(!pthread_equal(pthread_self(), loop_thread));
	n_checks++;
	*view_only = !strcmp(user, "vera");
	return (!strcmp(user, "anna") && !strcmp(password, "anna's")) ||
	       (!strcmp(user, "vera") && !strcmp(password, "vera's"));
}

START_TEST(test_handshake)
{
	const struct hs_case *c = &hs_cases[_i];
	bool right = c->user ? (!strcmp(c->user, "anna") &&
				!strcmp(c->password, "anna's")) ||
				       (!strcmp(c->user, "vera") &&
					!strcmp(c->password, "vera's"))
			     : !strcmp(c->password, "pass word") ||
				       !strcmp(c->password, "watch only");
	size_t ulen = c->user ? strlen(c->user) : 0;
	size_t hlen = c->key_len == 32 ? 32 : 20, size, cmsg_len;
	struct rsa_public_key spub;
	struct ra2_key *ck;
	struct ra2_cipher tx, rx;
	struct buf plain = BUF_INIT;
	uint8_t smsg[4 + 2 * 1024], *cmsg, sr[32], cr[32], key[32], h[32];
	/* Five types: RSA-AES first, VNC authentication last. */
	static const uint8_t type_list[6] = { 5, 129, 5, 130, 6, 2 };
	uint8_t ct[1024], creds[300];
	size_t got = sizeof(sr), plen = strlen(c->password);
	uint32_t bits, result;
	struct env e;
	mpz_t x;

	env_start(&e);
	loop_thread = pthread_self();
	n_checks = 0;
	if (c->user)
		xrfb_server_set_plain_check(e.s, check_account, NULL);
	tpeer_expect(&e.p, "RFB 003.008\n", 12);
	send_to(&e, c->bytewise, "RFB 003.008\n", 12);
	tpeer_expect(&e.p, type_list, 6);
	send_to(&e, c->bytewise, &c->type, 1);

	/* The server's key. */
	ck_assert(tpeer_wait(&e.p, 4));
	bits = get_u32(e.p.in);
	ck_assert_uint_eq(bits, 1024);
	size = bits / 8;
	ck_assert(tpeer_wait(&e.p, 4 + 2 * size));
	memcpy(smsg, e.p.in, 4 + 2 * size);
	tpeer_consume(&e.p, 4 + 2 * size);
	rsa_public_key_init(&spub);
	nettle_mpz_set_str_256_u(spub.n, size, smsg + 4);
	nettle_mpz_set_str_256_u(spub.e, size, smsg + 4 + size);
	ck_assert(rsa_public_key_prepare(&spub));

	/* Ours. */
	ck_assert_int_eq(ra2_key_generate(1024, &ck), 0);
	cmsg = ck->msg;
	cmsg_len = ck->msg_len;
	send_to(&e, c->bytewise, cmsg, cmsg_len);

	/* The randoms. */
	ck_assert(tpeer_wait(&e.p, 2));
	ck_assert_uint_eq(get_u16(e.p.in), 128);
	ck_assert(tpeer_wait(&e.p, 2 + 128));
	nettle_mpz_init_set_str_256_u(x, 128, e.p.in + 2);
	ck_assert(rsa_decrypt(&ck->priv, &got, sr, x));
	ck_assert_uint_eq(got, c->key_len);
	tpeer_consume(&e.p, 2 + 128);
	for (size_t i = 0; i < c->key_len; i++)
		cr[i] = (uint8_t)(i * 31 + 1);
	ck_assert(rsa_encrypt(&spub, NULL, ra2_random, c->key_len, cr, x));
	put_u16(ct, 128);
	nettle_mpz_get_str_256(128, ct + 2, x);
	mpz_clear(x);
	send_to(&e, c->bytewise, ct, 2 + 128);

	hash2(c->key_len, sr, c->key_len, cr, c->key_len, key, c->key_len);
	ra2_cipher_init(&tx, key, c->key_len);
	hash2(c->key_len, cr, c->key_len, sr, c->key_len, key, c->key_len);
	ra2_cipher_init(&rx, key, c->key_len);

	/* The hashes, the subtype, the credentials. */
	read_record(&e, &rx, &plain);
	hash2(c->key_len, smsg, 4 + 2 * size, cmsg, cmsg_len, h, hlen);
	ck_assert_uint_eq(plain.len, hlen);
	ck_assert_mem_eq(plain.data, h, hlen);
	buf_consume(&plain, plain.len);
	hash2(c->key_len, cmsg, cmsg_len, smsg, 4 + 2 * size, h, hlen);
	send_record(&e, c->bytewise, &tx, h, hlen);
	read_record(&e, &rx, &plain);
	ck_assert_uint_eq(plain.len, 1);
	ck_assert_uint_eq(plain.data[0], c->user ? 1 : 2);
	buf_consume(&plain, 1);
	creds[0] = (uint8_t)ulen;
	if (ulen)
		memcpy(creds + 1, c->user, ulen);
	creds[1 + ulen] = (uint8_t)plen;
	memcpy(creds + 2 + ulen, c->password, plen);
	if (c->nul)
		creds[2] = '\0';
	send_record(&e, c->bytewise, &tx, creds, 2 + ulen + plen);
	if (c->nul) {
		tpeer_expect_eof(&e.p);
		ck_assert_int_eq(n_checks, 0);
		goto out;
	}

	/* SecurityResult: in a record for RA2 and RA2_256. */
	if (c->all_encrypted) {
		read_record(&e, &rx, &plain);
		ck_assert_uint_ge(plain.len, 4);
		result = get_u32(plain.data);
	} else {
		result = tpeer_take_u32(&e.p);
	}
	if (!right) {
		ck_assert_uint_eq(result, 1);
		goto out;
	}
	ck_assert_uint_eq(result, 0);
	ck_assert(xrfb_client_view_only(e.s->clients) ==
		  (c->user ? !strcmp(c->user, "vera")
			   : !strcmp(c->password, "watch only")));
	if (c->all_encrypted) {
		buf_consume(&plain, 4);
		send_record(&e, c->bytewise, &tx, "\x01", 1);
		while (plain.len < 24 + 4)
			read_record(&e, &rx, &plain);
		ck_assert_uint_eq(get_u16(plain.data), 16);
		ck_assert_uint_eq(get_u16(plain.data + 2), 8);
	} else {
		send_to(&e, c->bytewise, "\x01", 1);
		ck_assert(tpeer_wait(&e.p, 24));
		ck_assert_uint_eq(get_u16(e.p.in), 16);
		ck_assert_uint_eq(get_u16(e.p.in + 2), 8);
	}
out:
	rsa_public_key_clear(&spub);
	ra2_key_free(ck);
	buf_fini(&plain);
	env_stop(&e);
}
END_TEST

/* A malformed client key closes the connection. */
struct bad_case {
	const char *what;
	const uint8_t *bytes;
	size_t len;
};

START_TEST(test_bad_client_key)
{
	static const uint8_t small[4] = { 0, 0, 2, 0 };	/* 512 bits */
	static const uint8_t huge[4] = { 0, 1, 0, 0 };	/* 65536 bits */
	uint8_t zero[4 + 256] = { 0, 0, 4, 0 };		/* n = 0 */
	const struct bad_case cases[] = {
		{ "small key", small, 4 },
		{ "huge key", huge, 4 },
		{ "zero modulus", zero, sizeof(zero) },
	};
	const struct bad_case *c = &cases[_i];
	struct env e;

	env_start(&e);
	tpeer_expect(&e.p, "RFB 003.008\n", 12);
	send_to(&e, false, "RFB 003.008\n", 12);
	ck_assert(tpeer_wait(&e.p, 6));
	tpeer_consume(&e.p, 6);
	send_to(&e, false, "\x05", 1);
	ck_assert(tpeer_wait(&e.p, 4 + 256));
	tpeer_consume(&e.p, 4 + 256);
	send_to(&e, false, c->bytes, c->len);
	tpeer_expect_eof(&e.p);
	env_stop(&e);
}
END_TEST

static Suite *ra2_suite(void)
{
	Suite *s = suite_create("sec-ra2");
	TCase *tc = unit_tcase(s, "records");

	tcase_add_loop_test(tc, test_kat, 0, NKATS);
	tcase_add_test(tc, test_split_every_byte);
	tcase_add_test(tc, test_tamper_every_byte);
	tcase_add_test(tc, test_replay_and_empty);
	tcase_add_test(tc, test_seal_all_splits);
	tcase_add_test(tc, test_password);
	tc = unit_tcase(s, "key");
	tcase_add_test(tc, test_key_file);
	tc = unit_tcase(s, "exchange");
	tcase_add_loop_test(tc, test_handshake, 0, NHS);
	tcase_add_loop_test(tc, test_bad_client_key, 0, 3);
	return s;
}

UNIT_MAIN(ra2_suite)
