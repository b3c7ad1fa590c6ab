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
 *
 * The same trick lets a second engine continue the stream: a large
 * rectangle may go to ISA-L's igzip, which deflates 4 to 7 times faster
 * than zlib. On most pixel data it also compresses better (see
 * FAST_BUF_LEN), but its matcher misses many of the 3-byte matches smooth
 * 24-bit gradients and repeated glyphs are made of. So each candidate
 * rectangle is sampled first: a few slices are compressed by both, and
 * igzip continues the stream only if its output is no larger.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef HAVE_ISAL
#include <isa-l/igzip_lib.h>
#endif

#include "encpool.h"
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
	free(z->fast);
	free(z->fast_buf);
	z->fast = NULL;
	z->fast_buf = NULL;
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
	/* An empty piece (a bare flush) may come with no buffer at all,
	 * and memcpy() takes no NULL pointer, not even for 0 bytes. */
	if (!len)
		return;
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

/* Make zlib continue the stream after another engine wrote to it. */
static int zlib_restart(struct zstream *z)
{
	if (deflateReset(&z->zs) != Z_OK)
		return -EIO;
	if (z->history_len &&
	    deflateSetDictionary(&z->zs, z->history, (uInt)z->history_len) !=
		    Z_OK)
		return -EIO;
	return 0;
}

/* A run of rectangles for one thread: rectangles first .. last - 1, each
 * deflated into outs[i] by one deflater of the run's own. */
struct run {
	const struct zstream *z;
	int level;
	const uint8_t *in;
	const size_t *ends;
	size_t first, last;
	struct buf *outs;
	int err;
};

static void compress_run(void *arg, size_t index, unsigned thread)
{
	struct run *rn = (struct run *)arg + index;
	size_t at = rn->first ? rn->ends[rn->first - 1] : 0, dict_len;
	const uint8_t *dict;
	z_stream zs;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, rn->level, Z_DEFLATED, -MAX_WBITS,
			 rn->z->mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
		rn->err = -ENOMEM;
		return;
	}
	/* Primed with the plaintext just before the run. */
	if (at == 0) {
		dict = rn->z->history;
		dict_len = rn->z->history_len;
	} else {
		dict_len = at < ZSTREAM_WINDOW ? at : ZSTREAM_WINDOW;
		dict = rn->in + at - dict_len;
	}
	if (dict_len && deflateSetDictionary(&zs, dict, (uInt)dict_len) != Z_OK)
		rn->err = -EIO;
	for (size_t i = rn->first; i < rn->last && !rn->err; i++) {
		struct buf *o = &rn->outs[i];
		size_t len = rn->ends[i] - at;
		int r;

		if (buf_reserve(o, deflateBound(&zs, len) + 16) < 0) {
			rn->err = -ENOMEM;
			break;
		}
		zs.next_in = (Bytef *)(uintptr_t)(rn->in + at);
		zs.avail_in = (uInt)len;
		zs.next_out = o->data + o->len;
		zs.avail_out = (uInt)(o->cap - o->len);
		r = deflate(&zs, Z_SYNC_FLUSH);
		/* deflateBound() leaves room for the flush: an output that
		 * filled it may have been cut short */
		if ((r != Z_OK && r != Z_BUF_ERROR) || zs.avail_in ||
		    !zs.avail_out)
			rn->err = -EIO;
		o->len = (size_t)(zs.next_out - o->data);
		at = rn->ends[i];
	}
	deflateEnd(&zs);
}

static const struct encpool_ops compress_ops = { .prepare = compress_run };

/* Deflate rectangles 0 .. n - 1 of @in (see zstream_deflate_rects) in
 * @runs runs on the worker pool; zlib then continues after them. */
static int run_parallel(struct zstream *z, int level, const uint8_t *in,
			const size_t *ends, size_t n, size_t runs,
			struct buf *outs)
{
	struct run rs[ZSTREAM_MAX_PIECES];
	size_t total = ends[n - 1];

	/* Runs of about equal size, cut at rectangle boundaries. */
	for (size_t k = 0, i = 0; k < runs; k++) {
		size_t goal = total / runs * (k + 1), first = i;

		while (i < n && (k + 1 == runs || ends[i] <= goal ||
				 i == first))
			i++;
		rs[k] = (struct run){ .z = z, .level = level, .in = in,
				      .ends = ends, .first = first, .last = i,
				      .outs = outs };
	}
	if (encpool_run(&compress_ops, rs, runs) < 0)
		return -ENOMEM;
	for (size_t k = 0; k < runs; k++)
		if (rs[k].err)
			return rs[k].err;
	/* zlib continues after the last rectangle (at its own level until
	 * the next rectangle sets one). */
	remember(z, in, total);
	z->engine = ZSTREAM_ZLIB;
	return zlib_restart(z);
}

/* Compress a large input on the worker pool, in pieces that continue
 * one stream. Only at a rectangle boundary (z->idle). */
static int deflate_parallel(struct zstream *z, const uint8_t *in, size_t len,
			    struct buf *out)
{
	size_t ends[ZSTREAM_MAX_PIECES], n = len / ZSTREAM_PIECE_MIN;
	struct buf outs[ZSTREAM_MAX_PIECES];
	int r;

	/* One piece a thread: every boundary costs a few hundred bytes. */
	if (n > (size_t)encpool_threads())
		n = (size_t)encpool_threads();
	if (n > ZSTREAM_MAX_PIECES)
		n = ZSTREAM_MAX_PIECES;
	for (size_t i = 0; i < n; i++) {
		ends[i] = i + 1 == n ? len : len / n * (i + 1);
		outs[i] = (struct buf)BUF_INIT;
	}
	r = run_parallel(z, z->level, in, ends, n, n, outs);
	for (size_t i = 0; i < n; i++) {
		if (!r && buf_append(out, outs[i].data, outs[i].len) < 0)
			r = -ENOMEM;
		buf_fini(&outs[i]);
	}
	return r;
}

#ifdef HAVE_ISAL
/* igzip's fastest level, with room for 2048 tokens: the buffer holds one
 * deflate block, and blocks that short give each stretch of pixels its
 * own Huffman codes. On ZRLE data of desktops, web pages, photos and
 * video that makes igzip's output 1-4 % smaller than zlib's at level 3
 * (and at 6), at a quarter of its time; with its default 64 Ki tokens it
 * was 2-14 % larger. */
#define FAST_ISAL_LEVEL 1
#define FAST_BUF_LEN (ISAL_DEF_LVL1_REQ + ISAL_DEF_LVL1_TOKEN_SIZE * 2 * IGZIP_K)

static int fast_open(struct zstream *z)
{
	if (!z->fast) {
		z->fast = malloc(sizeof(*z->fast));
		z->fast_buf = malloc(FAST_BUF_LEN);
		if (!z->fast || !z->fast_buf) {
			free(z->fast);
			free(z->fast_buf);
			z->fast = NULL;
			z->fast_buf = NULL;
			return -ENOMEM;
		}
	}
	isal_deflate_init(z->fast);
	z->fast->level = FAST_ISAL_LEVEL;
	z->fast->level_buf = z->fast_buf;
	z->fast->level_buf_size = FAST_BUF_LEN;
	z->fast->gzip_flag = IGZIP_DEFLATE;
	z->fast->end_of_stream = 0;
	return 0;
}

/* Compressed size of @len bytes at @in on their own; 0 on failure. */
static size_t sample_fast(struct zstream *z, const uint8_t *in, size_t len,
			  uint8_t *tmp, size_t room)
{
	if (fast_open(z) < 0)
		return 0;
	z->fast->flush = SYNC_FLUSH;
	z->fast->next_in = (uint8_t *)(uintptr_t)in;
	z->fast->avail_in = (uint32_t)len;
	z->fast->next_out = tmp;
	z->fast->avail_out = (uint32_t)room;
	if (isal_deflate(z->fast) != COMP_OK || z->fast->avail_in ||
	    !z->fast->avail_out)
		return 0;
	return room - z->fast->avail_out;
}

/* Make the fast engine continue the stream. */
static int fast_restart(struct zstream *z)
{
	if (fast_open(z) < 0)
		return -ENOMEM;
	if (z->history_len &&
	    isal_deflate_set_dict(z->fast, z->history,
				  (uint32_t)z->history_len) != COMP_OK)
		return -EIO;
	return 0;
}

static int fast_run(struct zstream *z, const uint8_t *in, size_t len,
		    int flush, struct buf *out)
{
	struct isal_zstream *s = z->fast;
	size_t hint = len / 2 + 64;

	s->next_in = (uint8_t *)(uintptr_t)in;
	s->avail_in = (uint32_t)len;
	s->flush = flush == Z_NO_FLUSH ? NO_FLUSH : SYNC_FLUSH;
	do {
		size_t room = hint > ZSTREAM_CHUNK ? ZSTREAM_CHUNK : hint;

		if (buf_reserve(out, room) < 0)
			return -ENOMEM;
		room = out->cap - out->len;
		if (room > UINT32_MAX)
			room = UINT32_MAX;
		s->next_out = out->data + out->len;
		s->avail_out = (uint32_t)room;
		if (isal_deflate(s) != COMP_OK)
			return -EIO;
		out->len = (size_t)(s->next_out - out->data);
		hint = room * 2;
	} while (s->avail_in > 0 || s->avail_out == 0);
	return 0;
}
#else
static size_t sample_fast(struct zstream *z, const uint8_t *in, size_t len,
			  uint8_t *tmp, size_t room)
{
	(void)z, (void)in, (void)len, (void)tmp, (void)room;
	return 0;
}

static int fast_restart(struct zstream *z)
{
	(void)z;
	return -EIO;
}

static int fast_run(struct zstream *z, const uint8_t *in, size_t len,
		    int flush, struct buf *out)
{
	(void)z, (void)in, (void)len, (void)flush, (void)out;
	return -EIO;
}
#endif

/* The sample: this many slices of this size, spread over the input. The
 * verdict holds for this much more input of the stream (the bands of one
 * frame are much alike). */
#define SAMPLE_SLICES 4
#define SAMPLE_SLICE (16u * 1024)
#define SAMPLE_REUSE (1024u * 1024)

static size_t sample_zlib(z_stream *zs, const uint8_t *in, size_t len,
			  uint8_t *tmp, size_t room)
{
	if (deflateReset(zs) != Z_OK)
		return 0;
	zs->next_in = (Bytef *)(uintptr_t)in;
	zs->avail_in = (uInt)len;
	zs->next_out = tmp;
	zs->avail_out = (uInt)room;
	if (deflate(zs, Z_SYNC_FLUSH) != Z_OK || zs->avail_in)
		return 0;
	return room - zs->avail_out;
}

/* The engine for a rectangle whose first input is @len bytes at @in:
 * igzip if its sample comes out no larger than zlib's at @level. */
static enum zstream_engine pick_engine(struct zstream *z, int level,
				       const uint8_t *in, size_t len)
{
	uint8_t tmp[2 * SAMPLE_SLICE + 256];
	size_t step = len / SAMPLE_SLICES, slow = 0, fast = 0;
	z_stream zs;
	bool ok = true;

#ifndef HAVE_ISAL
	return ZSTREAM_ZLIB;
#endif
	if (level < 1 || len < ZSTREAM_FAST_MIN)
		return ZSTREAM_ZLIB;
	if (z->reuse >= len) {
		z->reuse -= len;
		return z->pick;
	}
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, level, Z_DEFLATED, -MAX_WBITS, z->mem_level,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return ZSTREAM_ZLIB;
	for (size_t i = 0; i < SAMPLE_SLICES && ok; i++) {
		const uint8_t *slice = in + i * step;
		size_t s = sample_zlib(&zs, slice, SAMPLE_SLICE, tmp,
				       sizeof(tmp));
		size_t f = sample_fast(z, slice, SAMPLE_SLICE, tmp,
				       sizeof(tmp));

		ok = s && f;
		slow += s;
		fast += f;
	}
	deflateEnd(&zs);
	z->pick = ok && fast <= slow ? ZSTREAM_FAST : ZSTREAM_ZLIB;
	z->reuse = len < SAMPLE_REUSE ? SAMPLE_REUSE - len : 0;
	return z->pick;
}

/* At the start of a rectangle: hand the stream to engine @to at @level. */
static int switch_engine(struct zstream *z, enum zstream_engine to,
			 int level, struct buf *out)
{
	int r;

	if (to == ZSTREAM_FAST) {
		z->engine = to;
		return fast_restart(z);
	}
	if (z->engine == ZSTREAM_FAST) {
		r = zlib_restart(z);
		if (r < 0)
			return r;
	}
	z->engine = to;
	if (level != z->level)
		return set_level(z, level, out);
	return 0;
}

/* The first use of a stream: its deflater and the zlib header. */
static int start(struct zstream *z, int level, struct buf *out)
{
	static const uint8_t zlib_header[2] = { 0x78, 0x01 };

	memset(&z->zs, 0, sizeof(z->zs));
	/* Raw deflate, so pieces can be appended (see the top). */
	if (deflateInit2(&z->zs, level, Z_DEFLATED, -MAX_WBITS, z->mem_level,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	/* ready from here on, so zstream_fini() ends the deflater */
	z->ready = true;
	if (buf_append(out, zlib_header, sizeof(zlib_header)) < 0)
		return -ENOMEM;
	z->level = level;
	z->engine = ZSTREAM_ZLIB;
	z->history_len = 0;
	return 0;
}

int zstream_deflate_rects(struct zstream *z, int level, const void *in,
			  const size_t *ends, size_t n, struct buf *outs)
{
	const uint8_t *p = in;
	size_t runs = encpool_threads(), total = n ? ends[n - 1] : 0;
	int r;

	if (!z->ready && n && (r = start(z, level, &outs[0])) < 0)
		return r;
	if (runs > n)
		runs = n;
	if (runs > ZSTREAM_MAX_PIECES)
		runs = ZSTREAM_MAX_PIECES;
	if (runs < 2 || !z->idle || total > UINT32_MAX) {
		for (size_t i = 0; i < n; i++) {
			size_t at = i ? ends[i - 1] : 0;

			r = zstream_deflate(z, level, p + at, ends[i] - at,
					    Z_SYNC_FLUSH, &outs[i]);
			if (r < 0)
				return r;
		}
		return 0;
	}
	return run_parallel(z, level, p, ends, n, runs, outs);
}

int zstream_deflate(struct zstream *z, int level, const void *in, size_t len,
		    int flush, struct buf *out)
{
	int r;

	if (!z->ready) {
		r = start(z, level, out);
		if (r < 0)
			return r;
	}
	/* A large input that ends a rectangle after smaller ones (ZRLE's
	 * first bands, say): what is pending ends with a sync flush first,
	 * so that the large input starts afresh, with an engine chosen for
	 * it and in parallel pieces. The flush costs an empty stored block,
	 * which a decoder takes anywhere. */
	if (!z->idle && flush == Z_SYNC_FLUSH && len >= ZSTREAM_PARALLEL_MIN &&
	    encpool_threads() > 1) {
		r = zstream_deflate(z, level, in, 0, Z_SYNC_FLUSH, out);
		if (r < 0)
			return r;
	}
	if (z->idle) {
		r = switch_engine(z, pick_engine(z, level, in, len), level,
				  out);
		if (r < 0)
			return r;
	}
	if (z->engine == ZSTREAM_FAST) {
		remember(z, in, len);
		for (const uint8_t *p = in; len > 0 || flush != Z_NO_FLUSH;) {
			size_t n = len > (1u << 30) ? (1u << 30) : len;
			int f = n == len ? flush : Z_NO_FLUSH;

			r = fast_run(z, p, n, f, out);
			if (r < 0)
				return r;
			p += n;
			len -= n;
			if (f != Z_NO_FLUSH)
				break;
		}
		z->idle = flush != Z_NO_FLUSH;
		return 0;
	}
	if (z->idle && flush == Z_SYNC_FLUSH && len >= ZSTREAM_PARALLEL_MIN &&
	    encpool_threads() > 1)
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
