/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for RSA-AES's parsers: the record layer and the key file.
 * Byte 0 picks the mode, byte 1 a piece size (0: all at once):
 *   0: the rest is a peer's record stream, opened with a fixed key in
 *      pieces: nothing may be consumed beyond what was given, a refused
 *      record ends it, and what came out is never more than was sent;
 *   1: the rest is plaintext, sealed into records with a fixed key, with
 *      one bit flipped where byte 2 says (or none, if past the end): the
 *      records must open to the same bytes without a flip, and never to
 *      other bytes with one;
 *   2: the rest is a key file (PEM), which is parsed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fuzz-check.h"
#include "ra2-key.h"
#include "sec-ra2.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_INPUT (256u << 10)

static const uint8_t fuzz_key[32] = "0123456789abcdef0123456789abcdef";

/* Open in pieces of @piece; returns bytes consumed, or -errno. */
static ssize_t open_pieces(struct ra2_cipher *rx, const uint8_t *d,
			   size_t len, size_t piece, struct buf *out)
{
	struct buf pending = BUF_INIT;
	size_t given = 0, used = 0;
	ssize_t r = 0;

	while (given < len) {
		size_t n = len - given < piece ? len - given : piece;

		CHECK(buf_append(&pending, d + given, n) == 0);
		given += n;
		for (;;) {
			ssize_t k = ra2_open(rx, pending.data, pending.len,
					     out);

			if (k < 0) {
				r = k;
				goto out;
			}
			if (k == 0)
				break;
			CHECK((size_t)k <= pending.len);
			CHECK((size_t)k > RA2_RECORD_OVERHEAD);
			buf_consume(&pending, (size_t)k);
			used += (size_t)k;
		}
	}
	r = (ssize_t)used;
out:
	buf_fini(&pending);
	return r;
}

static void records(const uint8_t *d, size_t len, size_t piece,
		    size_t key_len)
{
	struct ra2_cipher rx;
	struct buf out = BUF_INIT;
	ssize_t r;

	ra2_cipher_init(&rx, fuzz_key, key_len);
	r = open_pieces(&rx, d, len, piece, &out);
	CHECK(r == -EBADMSG || (r >= 0 && (size_t)r <= len));
	CHECK(out.len <= len);
	buf_fini(&out);
}

static void round_trip(const uint8_t *d, size_t len, size_t piece,
		       size_t flip, size_t key_len)
{
	struct ra2_cipher tx, rx;
	struct buf out = BUF_INIT;
	struct rcbuf *sealed;
	ssize_t r;

	ra2_cipher_init(&tx, fuzz_key, key_len);
	ra2_cipher_init(&rx, fuzz_key, key_len);
	sealed = ra2_seal_all(&tx, d, len);
	CHECK(sealed);
	if (flip < sealed->len * 8)
		sealed->data[flip / 8] ^= (uint8_t)(1u << (flip % 8));
	r = open_pieces(&rx, sealed->data, sealed->len, piece, &out);
	if (flip >= sealed->len * 8) {
		CHECK(r == (ssize_t)sealed->len);
		CHECK(out.len == len);
	} else {
		/* Refused, or a length made longer still waits. */
		CHECK(r == -EBADMSG || (r >= 0 && (size_t)r < sealed->len));
		CHECK(out.len < len || len == 0);
	}
	CHECK(out.len <= len && (!out.len || !memcmp(out.data, d, out.len)));
	rcbuf_unref(sealed);
	buf_fini(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ra2_key *k = NULL;
	size_t piece, key_len;

	if (size < 3 || size > FUZZ_MAX_INPUT)
		return 0;
	piece = data[1] ? data[1] : size;
	key_len = data[0] & 0x80 ? 32 : 16;
	switch (data[0] & 3) {
	case 0:
		records(data + 2, size - 2, piece, key_len);
		break;
	case 1:
		round_trip(data + 3, size - 3, piece, (size_t)data[2] * 13,
			   key_len);
		break;
	case 2:
		if (ra2_key_parse((const char *)data + 2, size - 2, &k) == 0) {
			char f[RA2_FINGERPRINT_LEN];

			ra2_key_fingerprint(k, f);
			CHECK(k->msg_len >= 4 + 2 * RA2_KEY_BITS_MIN / 8);
		}
		ra2_key_free(k);
		break;
	default:
		break;
	}
	return 0;
}
