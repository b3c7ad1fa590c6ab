/* SPDX-License-Identifier: MIT */
/*
 * Persistent deflate streams: lazy initialisation, compression level
 * changes between rectangles (deflateParams) and output straight into the
 * caller's buffer. Knows nothing of pixels or encodings.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "zstream.h"

/* Output space offered to deflate per call. */
#define ZSTREAM_CHUNK (256u * 1024)

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

int zstream_deflate(struct zstream *z, int level, const void *in, size_t len,
		    int flush, struct buf *out)
{
	int r;

	if (!z->ready) {
		memset(&z->zs, 0, sizeof(z->zs));
		if (deflateInit2(&z->zs, level, Z_DEFLATED, MAX_WBITS,
				 z->mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		z->ready = true;
		z->level = level;
	} else if (level != z->level && z->idle) {
		r = set_level(z, level, out);
		if (r < 0)
			return r;
	}
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
