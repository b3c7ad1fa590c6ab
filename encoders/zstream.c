/* SPDX-License-Identifier: MIT */
/*
 * Persistent deflate streams: lazy initialisation, compression level
 * changes between rectangles (deflateParams) and output straight into the
 * caller's buffer. Knows nothing of pixels or encodings.
 *
 * The stream is raw deflate behind a zlib header written by hand, so that
 * a large rectangle can be compressed on several threads as pigz does:
 * the input is cut into pieces, each piece is compressed by its own
 * deflater primed (deflateSetDictionary) with the 32 KiB of plaintext
 * before it and ended with a sync flush, and the pieces are appended in
 * order. The client's single inflater sees one continuous stream; the
 * persistent deflater is then reset and primed with the input's tail.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "worker.h"
#include "zstream.h"

/* Output space offered to deflate per call. */
#define ZSTREAM_CHUNK (256u * 1024)
/* Inputs at least this large are compressed in parallel pieces, each at
 * least ZSTREAM_PIECE_MIN long. */
#define ZSTREAM_PIECE_MIN (128u * 1024)
#define ZSTREAM_MAX_PIECES 16

void zstream_init(struct zstream *z, int mem_level)
{
	memset(z, 0, sizeof(*z));
	z->idle = true;
	z->mem_level = mem_level;
}

void zstream_fini(struct zstream *z)
{
	if (z->ready)
		deflateEnd(&z->zs);
	z->ready = false;
}

static int run(struct zstream *z, int flush, size_t hint, struct buf *out)
{
	int r;

	do {
		size_t room = hint < 64 ? 64 : hint;

		if (room > ZSTREAM_CHUNK)
			room = ZSTREAM_CHUNK;
		if (buf_reserve(out, room) < 0)
			return -ENOMEM;
		room = out->cap - out->len;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		z->zs.next_out = out->data + out->len;
		z->zs.avail_out = (uInt)room;
		r = deflate(&z->zs, flush);
		out->len = (size_t)(z->zs.next_out - out->data);
		if (r != Z_OK && r != Z_BUF_ERROR)
			return -EIO;
		hint = room * 2;
	} while (z->zs.avail_in > 0 || z->zs.avail_out == 0);
	return 0;
}

static int set_level(struct zstream *z, int level, struct buf *out)
{
	int r;

	if (buf_reserve(out, 64) < 0)
		return -ENOMEM;
	z->zs.next_in = NULL;
	z->zs.avail_in = 0;
	z->zs.next_out = out->data + out->len;
	z->zs.avail_out = (uInt)(out->cap - out->len);
	/* Called only right after a sync flush: nothing is pending, so
	 * zlib has nothing to emit and simply switches. */
	r = deflateParams(&z->zs, level, Z_DEFAULT_STRATEGY);
	out->len = (size_t)(z->zs.next_out - out->data);
	if (r != Z_OK)
		return -EIO;
	z->level = level;
	return 0;
}

static void remember(struct zstream *z, const uint8_t *in, size_t len)
{
	if (len >= ZSTREAM_WINDOW) {
		memcpy(z->history, in + len - ZSTREAM_WINDOW, ZSTREAM_WINDOW);
		z->history_len = ZSTREAM_WINDOW;
		return;
	}
	if (z->history_len + len > ZSTREAM_WINDOW) {
		size_t drop = z->history_len + len - ZSTREAM_WINDOW;

		memmove(z->history, z->history + drop, z->history_len - drop);
		z->history_len -= drop;
	}
	memcpy(z->history + z->history_len, in, len);
	z->history_len += len;
}

struct piece {
	const struct zstream *z;
	int level;
	const uint8_t *in;	/* the whole input */
	size_t start, len;	/* this piece */
	struct buf out;
	int err;
};

static void compress_piece(void *arg, size_t index)
{
	struct piece *p = (struct piece *)arg + index;
	const uint8_t *dict;
	size_t dict_len;
	z_stream zs;
	int r;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, p->level, Z_DEFLATED, -MAX_WBITS,
			 p->z->mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
		p->err = -ENOMEM;
		return;
	}
	/* Prime with the plaintext just before this piece. */
	if (p->start == 0) {
		dict = p->z->history;
		dict_len = p->z->history_len;
	} else {
		dict_len = p->start < ZSTREAM_WINDOW ? p->start : ZSTREAM_WINDOW;
		dict = p->in + p->start - dict_len;
	}
	if (dict_len && deflateSetDictionary(&zs, dict, (uInt)dict_len) != Z_OK)
		p->err = -EIO;
	if (!p->err && buf_reserve(&p->out, deflateBound(&zs, p->len) + 16) < 0)
		p->err = -ENOMEM;
	if (!p->err) {
		zs.next_in = (Bytef *)(uintptr_t)(p->in + p->start);
		zs.avail_in = (uInt)p->len;
		zs.next_out = p->out.data;
		zs.avail_out = (uInt)(p->out.cap);
		r = deflate(&zs, Z_SYNC_FLUSH);
		if ((r != Z_OK && r != Z_BUF_ERROR) || zs.avail_in)
			p->err = -EIO;
		p->out.len = (size_t)(zs.next_out - p->out.data);
	}
	deflateEnd(&zs);
}

/* Compress a large input on the worker pool; the persistent deflater
 * then continues after it. Only at a rectangle boundary (z->idle). */
static int deflate_parallel(struct zstream *z, const uint8_t *in, size_t len,
			    struct buf *out)
{
	struct piece pieces[ZSTREAM_MAX_PIECES];
	size_t n = len / ZSTREAM_PIECE_MIN, each, total = 0;
	int err = 0;

	if (n > 2 * (size_t)worker_threads())
		n = 2 * (size_t)worker_threads();
	if (n > ZSTREAM_MAX_PIECES)
		n = ZSTREAM_MAX_PIECES;
	each = len / n;
	for (size_t i = 0; i < n; i++) {
		pieces[i] = (struct piece){
			.z = z, .level = z->level, .in = in,
			.start = i * each,
			.len = i + 1 == n ? len - i * each : each,
		};
	}
	worker_run(n, compress_piece, pieces);
	for (size_t i = 0; i < n; i++) {
		if (pieces[i].err && !err)
			err = pieces[i].err;
		total += pieces[i].out.len;
	}
	if (!err && buf_reserve(out, total) < 0)
		err = -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		if (!err)
			buf_put_mem(out, pieces[i].out.data, pieces[i].out.len);
		buf_fini(&pieces[i].out);
	}
	if (err)
		return err;
	remember(z, in, len);
	if (deflateReset(&z->zs) != Z_OK ||
	    deflateSetDictionary(&z->zs, z->history, (uInt)z->history_len) !=
		    Z_OK)
		return -EIO;
	return 0;
}

int zstream_deflate(struct zstream *z, int level, const void *in, size_t len,
		    int flush, struct buf *out)
{
	static const uint8_t zlib_header[2] = { 0x78, 0x01 };
	int r;

	if (!z->ready) {
		memset(&z->zs, 0, sizeof(z->zs));
		/* Raw deflate, so pieces can be appended (see the top). */
		if (deflateInit2(&z->zs, level, Z_DEFLATED, -MAX_WBITS,
				 z->mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		if (buf_append(out, zlib_header, sizeof(zlib_header)) < 0)
			return -ENOMEM;
		z->ready = true;
		z->level = level;
		z->history_len = 0;
	} else if (level != z->level && z->idle) {
		r = set_level(z, level, out);
		if (r < 0)
			return r;
	}
	if (z->idle && flush == Z_SYNC_FLUSH && len >= ZSTREAM_PARALLEL_MIN &&
	    worker_threads() > 1)
		return deflate_parallel(z, in, len, out);
	remember(z, in, len);
	z->zs.next_in = (Bytef *)(uintptr_t)in;
	z->zs.avail_in = 0;
	/* uInt is 32 bits: feed huge inputs in pieces. */
	while (len > 0 || flush != Z_NO_FLUSH) {
		size_t n = len > (1u << 30) ? (1u << 30) : len;
		int f = n == len ? flush : Z_NO_FLUSH;

		z->zs.avail_in = (uInt)n;
		r = run(z, f, f == Z_NO_FLUSH ? n / 2 : n / 2 + 64, out);
		if (r < 0)
			return r;
		len -= n;
		if (f != Z_NO_FLUSH)
			break;
	}
	z->idle = flush != Z_NO_FLUSH;
	return 0;
}
