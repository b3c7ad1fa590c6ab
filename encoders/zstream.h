/* SPDX-License-Identifier: MIT */
/*
 * Persistent deflate streams for the zlib-based encodings (Zlib, ZlibHex,
 * ZRLE, ZYWRLE, Tight). One stream lives as long as its connection; each
 * rectangle (or ZlibHex tile) ends with Z_SYNC_FLUSH so the client can
 * decode it at once, and the stream is never reset (doc/protocol.md,
 * "Persistent zlib streams").
 */
#ifndef XRFB_ZSTREAM_H
#define XRFB_ZSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "buf.h"

/* Deflate's window: what a new compressor needs to continue a stream. */
#define ZSTREAM_WINDOW 32768
/* A rectangle's input at least this large is deflated in parallel pieces
 * when the worker pool has threads. */
#define ZSTREAM_PARALLEL_MIN (512u * 1024)
/* A rectangle whose first input is at least this large may go to the
 * faster engine (at zlib levels 1-9). */
#define ZSTREAM_FAST_MIN (128u * 1024)

struct isal_zstream;

/* Who continues the stream for the current rectangle. */
enum zstream_engine {
	ZSTREAM_ZLIB,		/* zlib at the client's level */
	ZSTREAM_FAST,		/* ISA-L igzip */
};

struct zstream {
	z_stream zs;
	/* The fast engine's stream and its level buffer, allocated on first
	 * use; NULL without ISA-L or until then. */
	struct isal_zstream *fast;
	uint8_t *fast_buf;
	/* The last plaintext fed (up to ZSTREAM_WINDOW bytes), so that a
	 * large input can be compressed in parallel pieces that continue the
	 * same stream (each piece primed with the plaintext before it). */
	uint8_t history[ZSTREAM_WINDOW];
	size_t history_len;
	bool ready;		/* deflateInit done */
	bool idle;		/* nothing pending since the last sync flush */
	enum zstream_engine engine;	/* for the current rectangle */
	enum zstream_engine pick;	/* the last sample's verdict */
	size_t reuse;		/* input bytes left that reuse it */
	int level;		/* current zlib level */
	int mem_level;		/* zlib memLevel, 1..9 */
};

/* Prepare an unused stream (allocates nothing yet). @mem_level is zlib's
 * memLevel: 9 compresses raw pixels best, 8 (zlib's default) ZRLE data. */
void zstream_init(struct zstream *z, int mem_level);
/* Release the stream's memory. */
void zstream_fini(struct zstream *z);
/* Compress @len bytes at @in, appending the output to @out. @flush is
 * Z_NO_FLUSH (more of the same rectangle follows) or Z_SYNC_FLUSH (end of
 * the rectangle or tile). @level (0..9) takes effect at the start of a
 * rectangle; a large rectangle may be deflated by a faster engine (see
 * zstream.c), still one stream.
 * Returns 0, -ENOMEM, or -EIO if zlib fails; after an error the stream
 * is unusable (the connection must be closed). */
int zstream_deflate(struct zstream *z, int level, const void *in, size_t len,
		    int flush, struct buf *out);
/* Compress @n consecutive rectangles of one input: rectangle i is bytes
 * ends[i - 1] .. ends[i] of @in (from 0 for the first). Each ends with a
 * sync flush, and rectangle i's bytes are appended to outs[i]. With
 * encoder threads, runs of rectangles are deflated in parallel, each run
 * primed with the 32 KiB before it; the result is one stream, as from n
 * calls of zstream_deflate(). Only at a rectangle boundary. Returns as
 * zstream_deflate(). */
int zstream_deflate_rects(struct zstream *z, int level, const void *in,
			  const size_t *ends, size_t n, struct buf *outs);
/* The zlib level for CompressLevel @compress (-1 = none sent). */
static inline int zstream_level(int compress, int dflt)
{
	return compress < 0 || compress > 9 ? dflt : compress;
}

#endif
