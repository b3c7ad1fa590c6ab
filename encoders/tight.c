/* SPDX-License-Identifier: MIT */
/*
 * Tight encoding (rfbproto.rst §Tight Encoding; doc/protocol.md, "Tight"),
 * and TightPNG (-260; rfbproto.rst §Tight PNG Encoding; doc/protocol.md,
 * "TightPNG"), the same machinery restricted to fill, JPEG and PNG (0xA):
 * basic compression is never sent (noVNC rejects it), and PNGs always
 * carry the server's true-colour pixels, also for 8-bpp clients, which
 * should never be offered TightPNG. The machinery: the search for large solid areas
 * (sent as fill rectangles, as TurboVNC and TigerVNC do), the split into
 * rectangles of at most 2048 pixels wide and 65536 pixels in area, palette
 * analysis, the mono / indexed / full-colour (copy or gradient filter)
 * subencodings over the four persistent zlib streams, JPEG through
 * tight-jpeg.c and PNG through tight-png.c (which call nothing of this
 * file). A JPEG that would come out bigger than Raw is sent lossless
 * instead; Tight never falls back to Raw, which some viewers decode
 * wrongly (doc/protocol.md, "Tight"), TightPNG only for clients of fewer
 * than 32 bits a pixel. This file owns the zlib streams of a
 * connection; it knows nothing of sockets or clients.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "encpool.h"
#include "rfb-proto.h"
#include "tight-common.h"
#include "tight-jpeg.h"
#include "tight-png.h"

/* Per compression level (CompressLevel 0..9): zlib levels of the streams,
 * how many colours may still go indexed when JPEG is on (TigerVNC and
 * libvncserver use 24 below level 2 and 96 from there), and whether the
 * gradient filter is tried for full-colour data. Level 0 means no zlib
 * (0xA/0xE) for clients that listed -317, stored blocks otherwise.
 * The levels grow like TigerVNC's but stay low: on filtered pixel data
 * zlib levels above 2, and on palette indices above 7, cost several times
 * the time for a few per cent (measured on bench/bench-enc's corpus), and
 * the gradient filter gains more than any level does. */
struct tight_conf {
	uint8_t mono_level, idx_level, full_level, grad_level;
	uint16_t jpeg_max_colours;
	bool gradient;
};

static const struct tight_conf tight_conf[10] = {
	/* mono idx full grad jpeg-colours gradient */
	{ 0, 0, 0, 0, 24, false },	/* 0 */
	{ 1, 1, 1, 1, 24, true },	/* 1 */
	{ 3, 3, 1, 1, 96, true },	/* 2 */
	{ 4, 4, 1, 1, 96, true },	/* 3 */
	{ 4, 4, 1, 1, 96, true },	/* 4 */
	{ 5, 5, 1, 2, 96, true },	/* 5 */
	{ 5, 5, 2, 2, 96, true },	/* 6 */
	{ 6, 6, 2, 2, 96, true },	/* 7 */
	{ 6, 6, 2, 2, 96, true },	/* 8 */
	{ 7, 7, 2, 2, 96, true },	/* 9 */
};

/* Level used when the client sent no CompressLevel (TigerVNC's default). */
#define TIGHT_DEFAULT_COMPRESS 2

/* Solid-area search: tile size, the smallest solid area worth sending on
 * its own, and the smallest rectangle worth searching. */
#define TIGHT_SOLID_TILE 16
#define TIGHT_SOLID_MIN_AREA 2048
#define TIGHT_SPLIT_MIN_AREA 4096

/* A JPEG costs about 600 bytes of tables: smaller full-colour rectangles
 * go lossless even with JPEG on. */
#define TIGHT_JPEG_MIN_AREA 512

/* The gradient filter is used on full-colour rectangles of this area or
 * more whose mean absolute prediction error is below this. */
#define TIGHT_GRADIENT_MIN_AREA 1024
#define TIGHT_GRADIENT_MAX_ERROR 24

/* Full-colour data is deflated with LZ77 (the level of tight_conf) or
 * with Huffman codes alone (Z_HUFFMAN_ONLY), whichever makes the smaller
 * output of a TIGHT_PICK_SAMPLE-byte sample from the middle of the data,
 * Huffman also when LZ77 saves less than 1/TIGHT_PICK_SLACK of it; from
 * CompressLevel 7 up, which asks for the fewest bytes, always LZ77. On
 * photos, video and noise, where repeated strings are
 * rare, LZ77 spends most of its time looking for them, and its short
 * matches cost more bits than the literals they replace; on gradients,
 * desktops and text it wins by far. The sample costs a few per cent of
 * deflating the whole; data shorter than two samples goes LZ77. */
#define TIGHT_PICK_SAMPLE 4096
#define TIGHT_PICK_SLACK 32

/* Large updates are planned first (tight_parallel()): then full-colour
 * pieces of at least this area that go out with Huffman codes alone are
 * compressed ahead on any encoder thread. Huffman codes refer to no
 * earlier bytes, so a piece compressed by a fresh deflater continues
 * the client's stream as well as one from the stream's own; the
 * server's deflater, which did not see those bytes, is reset before it
 * next uses LZ77 (as after stored blocks). */
#define TIGHT_AHEAD_MIN_AREA 4096

/* One row of R, G, B bytes, with the slack tight_rgb_row() needs. */
#define TIGHT_ROW_BYTES (3 * TIGHT_MAX_WIDTH + 16)

/* Everything one encode() call needs. */
struct tight_ctx {
	struct tight_state *t;
	const struct enc_params *p;
	const struct pixconv *pc;
	const struct enc_frame *f;
	const struct tight_conf *conf;
	struct buf *out;
	int32_t enc;
	int cl;			/* compression level 0..9 */
	int tp;			/* bytes per TPIXEL */
	bool is888;		/* TPIXEL is 3 bytes R, G, B */
	bool nozlib;		/* 0xA/0xE allowed */
	bool jpeg;		/* JPEG allowed */
#ifdef HAVE_JPEG
	struct tight_jpeg_params jp;
#endif
	int count;		/* rectangles written */
	bool planning;		/* only record rectangles in t->ops */
};

/* A rectangle of a large update encoded on several threads: planned in
 * order, then written in that order, while JPEG and PNG rectangles (which
 * touch no zlib stream) and full-colour ones deflated with Huffman codes
 * alone (TIGHT_AHEAD_MIN_AREA) are analysed and compressed on any
 * thread. */
enum tight_op_kind {
	TIGHT_OP_FILL_AREA,	/* a solid area, as tight_fill_area() */
	TIGHT_OP_SUBRECT,	/* one rectangle within the limits */
};

enum tight_op_result {
	TIGHT_RES_NONE,		/* write it as tight_subrect() would */
	TIGHT_RES_FILL,		/* one colour: colour, client */
	TIGHT_RES_BYTES,	/* control byte and data in buf */
	TIGHT_RES_PALETTE,	/* npal colours in pal, indices in buf */
	TIGHT_RES_FULL,		/* full colour: deflate data in buf */
	TIGHT_RES_FILTERED,	/* full colour: filtered bytes in buf */
};

struct tight_op {
	int x, y, w, h;
	enum tight_op_kind kind;
	bool pre;		/* compressed ahead by whichever thread */
	enum tight_op_result res;
	bool res_jpeg;		/* the bytes are a JPEG */
	bool grad;		/* TIGHT_RES_FULL/FILTERED: gradient filter */
	bool client;		/* colour is a client pixel value */
	uint32_t colour;	/* fill colour */
	int npal;
	uint32_t pal[256];
	int ret;
	struct buf buf;
};

/* ---- state --------------------------------------------------------------- */

int tight_state_init(struct tight_state *t, const struct encoder_ops *ops,
		     bool png)
{
	t->base.ops = ops;
	t->png = png;
	t->idx = malloc(TIGHT_MAX_AREA);
	t->data = malloc((size_t)TIGHT_MAX_AREA * 4);
	t->cpix = malloc((size_t)TIGHT_MAX_AREA * sizeof(uint32_t));
	t->rows = malloc(2 * TIGHT_ROW_BYTES);
	if (!t->idx || !t->data || !t->cpix || !t->rows) {
		tight_state_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void tight_state_fini(struct tight_state *t)
{
	for (int i = 0; i < 4; i++)
		if (t->zs_active[i])
			deflateEnd(&t->zs[i]);
	for (int i = 0; i < 2; i++)
		if (t->trial_active[i])
			deflateEnd(&t->trial[i]);
	free(t->trial_out);
#ifdef HAVE_JPEG
	if (t->jpeg)
		tight_jpeg_free(t->jpeg);
#endif
#ifdef HAVE_PNG
	if (t->pngw)
		tight_png_free(t->pngw);
#endif
	for (unsigned i = 0; i < t->nclones; i++)
		tight_state_fini(&t->clones[i]);
	free(t->clones);
	for (size_t i = 0; i < t->nops; i++)
		buf_fini(&t->ops[i].buf);
	free(t->ops);
	free(t->idx);
	free(t->data);
	free(t->cpix);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

static struct encoder *tight_new(const struct encoder_ops *ops)
{
	struct tight_state *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (tight_state_init(t, ops, false) < 0) {
		free(t);
		return NULL;
	}
	return &t->base;
}

static void tight_free(struct encoder *e)
{
	struct tight_state *t = (struct tight_state *)e;

	tight_state_fini(t);
	free(t);
}

#ifdef HAVE_PNG
/* Give @t its PNG writer. -ENOMEM. */
static int tight_png_init(struct tight_state *t)
{
	t->pngw = tight_png_new(TIGHT_MAX_AREA);
	return t->pngw ? 0 : -ENOMEM;
}

static struct encoder *tightpng_new(const struct encoder_ops *ops)
{
	struct tight_state *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (tight_state_init(t, ops, true) < 0) {
		free(t);
		return NULL;
	}
	if (tight_png_init(t) < 0) {
		tight_state_fini(t);
		free(t);
		return NULL;
	}
	return &t->base;
}
#endif

/* ---- small helpers ------------------------------------------------------- */

void tight_put_compact_len(struct buf *out, size_t len)
{
	if (len < 128) {
		buf_put_u8(out, (uint8_t)len);
	} else if (len < 16384) {
		buf_put_u8(out, (uint8_t)(len | 0x80));
		buf_put_u8(out, (uint8_t)(len >> 7));
	} else {
		buf_put_u8(out, (uint8_t)(len | 0x80));
		buf_put_u8(out, (uint8_t)((len >> 7) | 0x80));
		buf_put_u8(out, (uint8_t)(len >> 14));
	}
}

/* Write the compact length of the @len bytes that start 3 bytes after
 * @at (where 3 bytes were set aside) and close the gap. */
static void tight_fix_compact_len(struct buf *out, size_t at, size_t len)
{
	size_t n = tight_compact_len_size(len), save = out->len;

	out->len = at;
	tight_put_compact_len(out, len);
	if (n < 3)
		memmove(out->data + at + n, out->data + at + 3, len);
	out->len = save - (3 - n);
}

/* TigerVNC's PixelFormat::is888(): only then is a TPIXEL 3 bytes. */
static bool tight_is888(const struct pixconv *pc)
{
	const struct pixfmt *pf = &pc->pf;

	return !pc->colour_map && pf->true_colour && pf->bpp == 32 &&
	       pf->depth == 24 && pf->red_max == 255 &&
	       pf->green_max == 255 && pf->blue_max == 255 &&
	       pf->red_shift % 8 == 0 && pf->green_shift % 8 == 0 &&
	       pf->blue_shift % 8 == 0;
}

/* Append the TPIXEL of server pixel @xrgb (@client: @xrgb is already a
 * client pixel value). */
static void tight_put_tpixel(const struct tight_ctx *c, uint32_t v,
			     bool client)
{
	struct buf *out = c->out;

	if (c->is888) {
		buf_put_u8(out, (uint8_t)(v >> 16));
		buf_put_u8(out, (uint8_t)(v >> 8));
		buf_put_u8(out, (uint8_t)v);
		return;
	}
	if (!client)
		v = pixconv_pixel(c->pc, v);
	out->len += pixconv_put(c->pc, out->data + out->len, v);
}

/* Append the compression-control byte for @method (high nibble). */
static int tight_put_ctl(struct tight_ctx *c, unsigned method)
{
	if (buf_reserve(c->out, 1) < 0)
		return -ENOMEM;
	buf_put_u8(c->out, (uint8_t)(method << 4));
	return 0;
}

/* ---- zlib ---------------------------------------------------------------- */

/*
 * Each stream is a raw deflate stream behind a zlib header we write
 * ourselves (78 01) when the client starts it: the client inflates a zlib
 * stream that never ends, so the Adler-32 zlib would keep is never read
 * and need not be computed. At level 0 we write stored blocks directly,
 * which is all deflate would do but several times faster, and pieces
 * compressed ahead come from deflaters of their own; our deflater then
 * has not seen all the client has. In each case our deflater forgets its
 * history (deflateReset() of the raw
 * stream) before it is used again: it then refers to nothing at all
 * before its next block, which every inflater takes. The client is never
 * asked to reset a stream (doc/protocol.md, "Tight"): noVNC's inflater
 * keeps no history across rectangles after a reset, so references to
 * earlier rectangles would fail there.
 */
static const uint8_t tight_zlib_header[2] = { 0x78, 0x01 };

/* Before a rect that deflates @len bytes on stream @sid at @level: our
 * deflater forgets what it no longer shares with the client. */
static void tight_stream_prepare(struct tight_ctx *c, int sid, int level,
				 bool nozlib, size_t len)
{
	struct tight_state *t = c->t;

	if (len < TIGHT_MIN_TO_COMPRESS || nozlib || level == 0 ||
	    !t->zs_dirty[sid])
		return;
	if (t->zs_active[sid])
		deflateReset(&t->zs[sid]);
	t->zs_dirty[sid] = false;
}

/* Stored blocks of at most 65535 bytes: BFINAL 0, BTYPE 00, LEN, NLEN. */
static int tight_stored(struct tight_ctx *c, int sid, const uint8_t *data,
			size_t len)
{
	struct tight_state *t = c->t;
	struct buf *out = c->out;
	size_t nblocks = (len + 65534) / 65535, total;

	total = len + 5 * nblocks + (t->zs_started[sid] ? 0 : 2);
	if (buf_reserve(out, 3 + total) < 0)
		return -ENOMEM;
	tight_put_compact_len(out, total);
	if (!t->zs_started[sid]) {
		buf_put_mem(out, tight_zlib_header, 2);
		t->zs_started[sid] = true;
	}
	while (len) {
		size_t n = len > 65535 ? 65535 : len;

		buf_put_u8(out, 0);
		buf_put_u8(out, (uint8_t)n);
		buf_put_u8(out, (uint8_t)(n >> 8));
		buf_put_u8(out, (uint8_t)~n);
		buf_put_u8(out, (uint8_t)(~n >> 8));
		buf_put_mem(out, data, n);
		data += n;
		len -= n;
	}
	t->zs_dirty[sid] = true;
	return 0;
}

/* Append @len filtered bytes: as they are if short, else compact length
 * and either the bytes (no-zlib control byte) or their zlib data on
 * stream @sid, ending in a sync flush. */
static int tight_compress_as(struct tight_ctx *c, int sid, int level,
			     int strategy, bool nozlib, const uint8_t *data,
			     size_t len)
{
	struct tight_state *t = c->t;
	struct buf *out = c->out;
	z_stream *zs = &t->zs[sid];
	size_t at, bound, done;
	int ret;

	if (len < TIGHT_MIN_TO_COMPRESS)
		return buf_append(out, data, len);
	if (nozlib) {
		if (buf_reserve(out, 3 + len) < 0)
			return -ENOMEM;
		tight_put_compact_len(out, len);
		buf_put_mem(out, data, len);
		return 0;
	}
	if (level == 0)
		return tight_stored(c, sid, data, len);
	if (!t->zs_active[sid]) {
		memset(zs, 0, sizeof(*zs));
		if (deflateInit2(zs, level, Z_DEFLATED, -MAX_WBITS,
				 MAX_MEM_LEVEL, strategy) != Z_OK)
			return -ENOMEM;
		t->zs_active[sid] = true;
		t->zs_level[sid] = level;
		t->zs_strategy[sid] = strategy;
	}
	/* Room for the output of one Z_SYNC_FLUSH call, flush marker
	 * included; the loop below copes if zlib ever needs more. */
	bound = deflateBound(zs, (uLong)len) + 16;
	if (buf_reserve(out, 5 + bound) < 0)
		return -ENOMEM;
	at = out->len;
	out->len += 3;
	done = 0;
	if (!t->zs_started[sid]) {
		buf_put_mem(out, tight_zlib_header, 2);
		t->zs_started[sid] = true;
		done = 2;
	}
	zs->next_out = out->data + out->len;
	zs->avail_out = (uInt)bound;
	if (t->zs_level[sid] != level || t->zs_strategy[sid] != strategy) {
		/* Nothing is pending after the last sync flush, so this only
		 * switches parameters; Z_BUF_ERROR just says so. */
		ret = deflateParams(zs, level, strategy);
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return -EIO;
		t->zs_level[sid] = level;
		t->zs_strategy[sid] = strategy;
	}
	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	for (;;) {
		ret = deflate(zs, Z_SYNC_FLUSH);
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return -EIO;
		done += bound - zs->avail_out;
		if (zs->avail_out != 0 && zs->avail_in == 0)
			break;
		out->len = at + 3 + done;
		bound = 4096 + zs->avail_in;
		if (buf_reserve(out, bound) < 0)
			return -ENOMEM;
		zs->next_out = out->data + out->len;
		zs->avail_out = (uInt)bound;
	}
	out->len = at + 3 + done;
	tight_fix_compact_len(out, at, done);
	return 0;
}

static int tight_compress(struct tight_ctx *c, int sid, int level,
			  bool nozlib, const uint8_t *data, size_t len)
{
	return tight_compress_as(c, sid, level, Z_DEFAULT_STRATEGY, nozlib,
				 data, len);
}

/* ---- palette analysis ---------------------------------------------------- */

/* Collect the distinct values of a w x h block (rows @stride apart) into
 * t->pal and one index per pixel into t->idx: the pixels themselves, or
 * with @pc their client pixel values (several server colours may become
 * one client colour). Returns the number of colours, or 0 as soon as
 * there are more than @maxc. */
static inline __attribute__((always_inline)) int
tight_analyse_impl(struct tight_state *t, const struct pixconv *pc,
		   const uint32_t *src, size_t stride, int w, int h, int maxc)
{
	uint8_t *ip = t->idx;
	uint32_t gen, prev;
	unsigned cur = 0;
	int n = 0;

	gen = ++t->gen;
	if (gen == 0) {
		memset(t->hstamp, 0, sizeof(t->hstamp));
		gen = t->gen = 1;
	}
	prev = ~src[0];
	for (int y = 0; y < h; y++, src += stride) {
		for (int x = 0; x < w; x++) {
			uint32_t p = src[x], v;
			unsigned s;

			if (p == prev) {
				*ip++ = (uint8_t)cur;
				continue;
			}
			prev = p;
			v = pc ? pixconv_pixel(pc, p) : p;
			s = (v * 2654435761u) >> 22;
			while (t->hstamp[s] == gen && t->hkey[s] != v)
				s = (s + 1) & (TIGHT_HASH_SIZE - 1);
			if (t->hstamp[s] != gen) {
				if (n == maxc)
					return 0;
				t->hstamp[s] = gen;
				t->hkey[s] = v;
				t->hidx[s] = (uint8_t)n;
				t->pal[n++] = v;
			}
			cur = t->hidx[s];
			*ip++ = (uint8_t)cur;
		}
	}
	t->npal = n;
	return n;
}

static int tight_analyse(struct tight_state *t, const uint32_t *src,
			 size_t stride, int w, int h, int maxc)
{
	return tight_analyse_impl(t, NULL, src, stride, w, h, maxc);
}

static int tight_analyse_client(struct tight_state *t,
				const struct pixconv *pc, const uint32_t *src,
				size_t stride, int w, int h, int maxc)
{
	return tight_analyse_impl(t, pc, src, stride, w, h, maxc);
}

/* Client pixel values of a block, for formats whose TPIXEL is not 888:
 * several server colours may become one client colour. */
static void tight_client_values(const struct tight_ctx *c,
				const uint32_t *src, int w, int h)
{
	const struct pixconv *pc = c->pc;
	uint32_t *d = c->t->cpix;

	for (int y = 0; y < h; y++, src += c->f->stride)
		for (int x = 0; x < w; x++)
			*d++ = pixconv_pixel(pc, src[x]);
}

#ifdef HAVE_PNG
/* Client pixel values @v (in place) back to XRGB8888, each channel
 * widened by bit replication: what the client will show, for TightPNG
 * images of clients with fewer bits per channel. */
static void tight_expand_values(const struct tight_ctx *c, uint32_t *v,
				size_t n)
{
	const struct pixfmt *pf = &c->pc->pf;
	const unsigned max[3] = { pf->red_max, pf->green_max, pf->blue_max };
	const unsigned sh[3] = { pf->red_shift, pf->green_shift,
				 pf->blue_shift };
	uint8_t tab[3][256];
	int bits[3];

	for (int i = 0; i < 3; i++) {
		bits[i] = 0;
		while (bits[i] < 16 && (max[i] >> bits[i]))
			bits[i]++;
		if (bits[i] > 8)
			continue;
		for (unsigned x = 0; x <= max[i]; x++) {
			unsigned e = 0;

			for (int b = 8; b > 0; b -= bits[i])
				e |= b >= bits[i] ? x << (b - bits[i])
						  : x >> (bits[i] - b);
			tab[i][x] = (uint8_t)e;
		}
	}
	for (size_t k = 0; k < n; k++) {
		uint32_t p = v[k], out = 0;

		for (int i = 0; i < 3; i++) {
			unsigned ch = (p >> sh[i]) & max[i];

			ch = bits[i] <= 8 ? tab[i][ch] : ch >> (bits[i] - 8);
			out |= (uint32_t)ch << (16 - 8 * i);
		}
		v[k] = out;
	}
}
#endif

/* ---- subencodings -------------------------------------------------------- */

static int tight_put_fill(struct tight_ctx *c, uint32_t v, bool client)
{
	if (tight_put_ctl(c, TIGHT_CTL_FILL) < 0 || buf_reserve(c->out, 4) < 0)
		return -ENOMEM;
	tight_put_tpixel(c, v, client);
	return 0;
}

/* Palette filter: 2 colours as 1 bit per pixel (rows padded to bytes),
 * 3..256 as one byte per pixel, from t->idx. */
static int tight_put_palette(struct tight_ctx *c, int w, int h, bool client)
{
	struct tight_state *t = c->t;
	const uint8_t *data = t->idx;
	bool mono = t->npal == 2;
	int sid = mono ? TIGHT_STREAM_MONO : TIGHT_STREAM_INDEXED;
	int level = mono ? c->conf->mono_level : c->conf->idx_level;
	bool nozlib = c->nozlib && level == 0;
	size_t len = mono ? (size_t)h * ((w + 7) / 8) : (size_t)w * h;

	tight_stream_prepare(c, sid, level, nozlib, len);
	if (tight_put_ctl(c, (nozlib ? TIGHT_CTL_NOZLIB : (unsigned)sid) |
				     TIGHT_CTL_EXPLICIT_FILTER) < 0 ||
	    buf_reserve(c->out, 2 + (size_t)t->npal * 4) < 0)
		return -ENOMEM;
	buf_put_u8(c->out, TIGHT_FILTER_PALETTE);
	buf_put_u8(c->out, (uint8_t)(t->npal - 1));
	for (int i = 0; i < t->npal; i++)
		tight_put_tpixel(c, t->pal[i], client);
	if (mono) {
		const uint8_t *s = t->idx;
		uint8_t *d = t->data;

		for (int y = 0; y < h; y++) {
			int x = 0;

			for (; x + 8 <= w; x += 8, s += 8)
				*d++ = (uint8_t)(s[0] << 7 | s[1] << 6 |
						 s[2] << 5 | s[3] << 4 |
						 s[4] << 3 | s[5] << 2 |
						 s[6] << 1 | s[7]);
			if (x < w) {
				unsigned b = 0;

				for (int i = 0; x < w; x++, i++)
					b |= (unsigned)*s++ << (7 - i);
				*d++ = (uint8_t)b;
			}
		}
		data = t->data;
	}
	return tight_compress(c, sid, level, nozlib, data, len);
}

/* XRGB8888 pixels to R, G, B bytes. Each pixel is one 4-byte store, the
 * fourth byte overwritten by the next pixel: @d needs a byte of slack. */
static void tight_rgb_row(const uint32_t *restrict src, int w,
			  uint8_t *restrict d)
{
	const uint16_t one = 1;
	const bool le = *(const uint8_t *)&one;

	for (int x = 0; x < w; x++) {
		/* R, G, B, 0 in memory order. */
		uint32_t v = src[x] << 8;

		if (le)
			v = __builtin_bswap32(v);
		memcpy(d + 3 * x, &v, 4);
	}
}

/* |r| of a residual byte taken as signed. */
static inline unsigned tight_abs8(uint8_t r)
{
	return r < 128 ? r : 256u - r;
}

/* One row of the gradient filter over R, G, B bytes: each byte minus its
 * prediction left + up - upleft, clamped to 0..255, with samples outside
 * the rectangle counting as 0. Returns the sum of |residual|. */
static uint64_t tight_gradient_row(const uint8_t *restrict cur,
				   const uint8_t *restrict prev, int n,
				   uint8_t *restrict d)
{
	uint64_t sum = 0;
	int i;

	for (i = 0; i < 3 && i < n; i++) {
		d[i] = (uint8_t)(cur[i] - prev[i]);
		sum += tight_abs8(d[i]);
	}
#if defined(__SSE2__) && defined(__x86_64__)
	{
		const __m128i zero = _mm_setzero_si128();
		__m128i acc = zero;

		for (; i + 16 <= n; i += 16) {
			__m128i a = _mm_loadu_si128((const void *)(cur + i - 3));
			__m128i b = _mm_loadu_si128((const void *)(prev + i));
			__m128i c = _mm_loadu_si128((const void *)(prev + i - 3));
			__m128i x = _mm_loadu_si128((const void *)(cur + i));
			__m128i lo, hi, r;

			lo = _mm_sub_epi16(_mm_add_epi16(_mm_unpacklo_epi8(a, zero),
							 _mm_unpacklo_epi8(b, zero)),
					   _mm_unpacklo_epi8(c, zero));
			hi = _mm_sub_epi16(_mm_add_epi16(_mm_unpackhi_epi8(a, zero),
							 _mm_unpackhi_epi8(b, zero)),
					   _mm_unpackhi_epi8(c, zero));
			/* packus clamps to 0..255: exactly the prediction */
			r = _mm_sub_epi8(x, _mm_packus_epi16(lo, hi));
			_mm_storeu_si128((void *)(d + i), r);
			r = _mm_min_epu8(r, _mm_sub_epi8(zero, r));
			acc = _mm_add_epi64(acc, _mm_sad_epu8(r, zero));
		}
		sum += (uint64_t)_mm_cvtsi128_si64(acc) +
		       (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc));
	}
#endif
	for (; i < n; i++) {
		int p = cur[i - 3] + prev[i] - prev[i - 3];

		p = p < 0 ? 0 : p > 255 ? 255 : p;
		d[i] = (uint8_t)(cur[i] - p);
		sum += tight_abs8(d[i]);
	}
	return sum;
}

/* Gradient filter for 888 TPIXELs into @d; returns the sum of the
 * absolute residuals. */
static uint64_t tight_filter_gradient(struct tight_state *t,
				      const uint32_t *src, size_t stride,
				      int w, int h, uint8_t *d)
{
	uint8_t *prev = t->rows, *cur = t->rows + TIGHT_ROW_BYTES, *tmp;
	int n = 3 * w;
	uint64_t sum = 0;

	memset(prev, 0, (size_t)n);
	for (int y = 0; y < h; y++, src += stride, d += n) {
		tight_rgb_row(src, w, cur);
		sum += tight_gradient_row(cur, prev, n, d);
		tmp = prev;
		prev = cur;
		cur = tmp;
	}
	return sum;
}

/* The gradient filter in other true-colour formats of 16 or 32 bpp:
 * channel by channel in the range 0..max (rfbproto, libvncclient), from
 * the client pixel values in t->cpix, written in the client's byte order.
 * Returns the sum of |residual| scaled to 8-bit channels. */
static uint64_t tight_filter_gradient_pf(const struct tight_ctx *c, int w,
					 int h, uint8_t *d)
{
	const struct pixfmt *pf = &c->pc->pf;
	const unsigned max[3] = { pf->red_max, pf->green_max, pf->blue_max };
	const unsigned sh[3] = { pf->red_shift, pf->green_shift,
				 pf->blue_shift };
	const uint32_t *v = c->t->cpix;
	int scale[3];
	uint64_t sum = 0;

	for (int i = 0; i < 3; i++) {
		int bits = 0;

		while (bits < 16 && (max[i] >> bits))
			bits++;
		scale[i] = 8 - bits;
	}
	for (int y = 0; y < h; y++) {
		const uint32_t *row = v + (size_t)y * w;
		const uint32_t *up = y ? row - w : NULL;

		for (int x = 0; x < w; x++) {
			uint32_t out = 0;

			for (int i = 0; i < 3; i++) {
				int cur = (int)((row[x] >> sh[i]) & max[i]);
				int l = x ? (int)((row[x - 1] >> sh[i]) & max[i]) : 0;
				int u = up ? (int)((up[x] >> sh[i]) & max[i]) : 0;
				int ul = x && up ? (int)((up[x - 1] >> sh[i]) &
							 max[i])
						 : 0;
				int p = l + u - ul;
				unsigned r, a;

				p = p < 0 ? 0 : p > (int)max[i] ? (int)max[i] : p;
				r = (unsigned)(cur - p) & max[i];
				out |= r << sh[i];
				a = r <= max[i] / 2 ? r : max[i] + 1 - r;
				sum += scale[i] >= 0 ? (uint64_t)a << scale[i]
						     : a >> -scale[i];
			}
			d += pixconv_put(c->pc, d, out);
		}
	}
	return sum;
}

/* Deflate @len bytes with trial deflater @k of @t (fresh, at @level,
 * with @strategy); returns the output size, or SIZE_MAX on failure. */
static size_t tight_trial(struct tight_state *t, int k, int level,
			  int strategy, const uint8_t *data, size_t len)
{
	z_stream *zs = &t->trial[k];
	const size_t room = 2 * TIGHT_PICK_SAMPLE + 64;

	if (!t->trial_out) {
		t->trial_out = malloc(room);
		if (!t->trial_out)
			return SIZE_MAX;
	}
	if (!t->trial_active[k]) {
		memset(zs, 0, sizeof(*zs));
		if (deflateInit2(zs, level, Z_DEFLATED, -MAX_WBITS,
				 MAX_MEM_LEVEL, strategy) != Z_OK)
			return SIZE_MAX;
		t->trial_active[k] = true;
	} else if (deflateReset(zs) != Z_OK ||
		   deflateParams(zs, level, strategy) != Z_OK) {
		return SIZE_MAX;
	}
	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	zs->next_out = t->trial_out;
	zs->avail_out = (uInt)room;
	if (deflate(zs, Z_SYNC_FLUSH) != Z_OK || zs->avail_in)
		return SIZE_MAX;
	return room - zs->avail_out;
}

/* The zlib strategy for @len filtered bytes at @data, to be deflated at
 * @level: see TIGHT_PICK_SAMPLE. Depends on the data alone (not on the
 * thread, nor on what came before). */
static int tight_pick(struct tight_state *t, const struct tight_ctx *c,
		      const uint8_t *data, size_t len, int level)
{
	const uint8_t *sample = data + (len - TIGHT_PICK_SAMPLE) / 2;
	size_t lz, huff;

	if (len < 2 * TIGHT_PICK_SAMPLE || c->cl >= 7)
		return Z_DEFAULT_STRATEGY;
	lz = tight_trial(t, 0, level, Z_DEFAULT_STRATEGY, sample,
			 TIGHT_PICK_SAMPLE);
	huff = tight_trial(t, 1, level, Z_HUFFMAN_ONLY, sample,
			   TIGHT_PICK_SAMPLE);
	if (lz == SIZE_MAX || huff == SIZE_MAX)
		return Z_DEFAULT_STRATEGY;
	return huff <= lz + lz / TIGHT_PICK_SLACK ? Z_HUFFMAN_ONLY
						   : Z_DEFAULT_STRATEGY;
}

/* The filtered bytes of full-colour pixels into t->data: the copy filter,
 * or the gradient filter where the image is smooth enough for it to pay.
 * Returns their length; *@grad says which filter. */
static size_t tight_full_filter(const struct tight_ctx *c,
				struct tight_state *t, const uint32_t *src,
				int w, int h, bool *grad)
{
	size_t stride = c->f->stride, n = (size_t)w * h, len = n * c->tp;
	bool have_cpix = false;

	*grad = false;
	/* Not to clients that allow JPEG, even where this rectangle may not
	 * be lossy: noVNC before 1.4, which always asks for JPEG, rejects
	 * the gradient filter. */
	if (c->conf->gradient && !enc_may_be_lossy(c->p) && w > 1 &&
	    n >= TIGHT_GRADIENT_MIN_AREA &&
	    (c->is888 || (c->tp >= 2 && !c->pc->swap))) {
		struct tight_ctx wc = *c;
		uint64_t err;

		wc.t = t;
		if (c->is888) {
			err = tight_filter_gradient(t, src, stride, w, h,
						    t->data);
		} else {
			tight_client_values(&wc, src, w, h);
			have_cpix = true;
			err = tight_filter_gradient_pf(&wc, w, h, t->data);
		}
		*grad = err < (uint64_t)TIGHT_GRADIENT_MAX_ERROR * n * 3;
	}
	if (*grad)
		return len;
	if (c->is888) {
		for (int y = 0; y < h; y++, src += stride)
			tight_rgb_row(src, w, t->data + (size_t)y * w * 3);
	} else if (have_cpix) {
		uint8_t *d = t->data;

		for (size_t i = 0; i < n; i++)
			d += pixconv_put(c->pc, d, t->cpix[i]);
	} else {
		pixconv_translate(c->pc, t->data, (size_t)w * c->tp, src,
				  stride, w, h);
	}
	return len;
}

/* The control byte (and filter byte) of full-colour data on @sid. */
static int tight_put_full_ctl(struct tight_ctx *c, int sid, bool grad,
			      bool nozlib)
{
	unsigned ctl = nozlib ? TIGHT_CTL_NOZLIB : (unsigned)sid;

	if (!grad)
		return tight_put_ctl(c, ctl);
	if (tight_put_ctl(c, ctl | TIGHT_CTL_EXPLICIT_FILTER) < 0 ||
	    buf_reserve(c->out, 1) < 0)
		return -ENOMEM;
	buf_put_u8(c->out, TIGHT_FILTER_GRADIENT);
	return 0;
}

/* Full colour, basic compression (tight_full_filter()). Gradient is used
 * where the decoders agree on it: 888 TPIXELs, and other 16/32 bpp
 * formats in the server's byte order (libvncclient predicts pixels in
 * its host order; TigerVNC predicts 16 bpp channels scaled to 8 bits, but
 * its viewer never asks for 16 bpp). */
static int tight_put_full(struct tight_ctx *c, const uint32_t *src, int w,
			  int h)
{
	struct tight_state *t = c->t;
	size_t len;
	int sid, level, strategy;
	bool grad, nozlib;

	len = tight_full_filter(c, t, src, w, h, &grad);
	sid = grad ? TIGHT_STREAM_GRADIENT : TIGHT_STREAM_FULL;
	level = grad ? c->conf->grad_level : c->conf->full_level;
	nozlib = c->nozlib && level == 0;
	tight_stream_prepare(c, sid, level, nozlib, len);
	if (tight_put_full_ctl(c, sid, grad, nozlib) < 0)
		return -ENOMEM;
	if (nozlib || level == 0 || len < TIGHT_MIN_TO_COMPRESS)
		return tight_compress(c, sid, level, nozlib, t->data, len);
	strategy = tight_pick(t, c, t->data, len, level);
	return tight_compress_as(c, sid, level, strategy, false, t->data, len);
}

#if defined(HAVE_JPEG) || defined(HAVE_PNG)
/* Room for the compact length of an image a back end appends after it;
 * returns where it starts. */
static int tight_image_begin(struct buf *out, size_t *at)
{
	if (buf_reserve(out, 3) < 0)
		return -ENOMEM;
	*at = out->len;
	out->len += 3;
	return 0;
}

/* The back end returned @err; on success write the image's length. */
static int tight_image_end(struct buf *out, size_t at, int err)
{
	size_t len = out->len - at - 3;

	if (err < 0)
		return err;
	if (len > 4194303)
		return -EMSGSIZE;
	tight_fix_compact_len(out, at, len);
	return 0;
}
#endif

#ifdef HAVE_JPEG
static int tight_put_jpeg(struct tight_ctx *c, const uint32_t *src, int w,
			  int h)
{
	size_t at;

	if (tight_put_ctl(c, TIGHT_CTL_JPEG) < 0 ||
	    tight_image_begin(c->out, &at) < 0)
		return -ENOMEM;
	return tight_image_end(c->out, at,
			       tight_jpeg_compress(c->t->jpeg, &c->jp, src,
						   c->f->stride, w, h,
						   c->out));
}
#endif

#ifdef HAVE_PNG
/* PNG of the rectangle: indexed with a palette, else RGB. For clients
 * with fewer bits per channel the image shows the pixels reduced to them:
 * smaller, and exactly what the client would see. */
static int tight_put_png(struct tight_ctx *c, const uint32_t *src, int w,
			 int h, int ncolours, bool client)
{
	struct tight_state *t = c->t;
	const uint32_t *img = src, *pal = t->pal;
	size_t stride = c->f->stride, at;
	uint32_t xpal[256];

	if (ncolours == 0 && !c->is888) {
		tight_client_values(c, src, w, h);
		tight_expand_values(c, t->cpix, (size_t)w * h);
		img = t->cpix;
		stride = (size_t)w;
	}
	if (ncolours > 0 && client) {
		memcpy(xpal, t->pal, (size_t)ncolours * sizeof(*xpal));
		tight_expand_values(c, xpal, (size_t)ncolours);
		pal = xpal;
	}
	if (tight_put_ctl(c, TIGHT_CTL_PNG) < 0 ||
	    tight_image_begin(c->out, &at) < 0)
		return -ENOMEM;
	return tight_image_end(c->out, at,
			       tight_png_compress(t->pngw, img, stride, w, h,
						  pal, ncolours, t->idx,
						  c->cl, c->out));
}
#endif

/* ---- one rectangle within the limits ------------------------------------- */

/* Most colours worth an indexed palette for a lossless rectangle of @n
 * pixels: beyond that, w*h indices plus the palette outweigh the pixels. */
static int tight_max_colours(const struct tight_ctx *c, int n)
{
	int m;

	if (c->tp == 1)
		return 2;
	m = (int)((int64_t)n * (c->tp - 1) / c->tp);
	return m > 256 ? 256 : m < 2 ? 2 : m;
}

/*
 * TightPNG's PNGs hold 24-bit pixels: for a client of 8 or 16 bits a
 * pixel, a rectangle written from @start that came out bigger than Raw
 * goes Raw instead (PNG, fill and JPEG touch no zlib stream of ours).
 * Never for 32-bit clients: noVNC's Raw decoder before 1.4 leaves their
 * pixels transparent (doc/protocol.md, "Tight").
 */
static int tight_png_or_raw(struct tight_ctx *c, size_t start,
			    const struct rect *r)
{
	size_t raw = (size_t)r->w * r->h * c->pc->bytes;

	if (!c->t->png || c->pc->bytes >= 4 ||
	    c->out->len - start - RFB_RECT_HDR_LEN <= raw)
		return 0;
	c->out->len = start;
	return enc_put_raw(c->p, c->f, r, c->out);
}

/* Encode one rectangle within the limits; @pre, if not NULL, holds its
 * palette analysis, made on another thread. */
static int tight_subrect(struct tight_ctx *c, int x, int y, int w, int h,
			 bool no_jpeg, const struct tight_op *pre)
{
	struct tight_state *t = c->t;
	const uint32_t *src = c->f->pixels + (size_t)y * c->f->stride + x;
	size_t start = c->out->len, raw = (size_t)w * h * c->pc->bytes;
	int n = w * h, nc, maxc, ret;
	bool jpeg = false, client = false;

#ifdef HAVE_JPEG
	if (c->jpeg && !no_jpeg && n >= TIGHT_JPEG_MIN_AREA) {
		if (!t->jpeg)
			t->jpeg = tight_jpeg_new();
		jpeg = t->jpeg != NULL;
	}
#endif
again:
	client = false;
	if (jpeg)
		maxc = c->conf->jpeg_max_colours;
	else if (t->png)
		maxc = 256;
	else
		maxc = tight_max_colours(c, n);
	if (pre) {
		nc = t->npal = pre->npal;
		client = pre->client;
		memcpy(t->pal, pre->pal, (size_t)nc * sizeof(*t->pal));
		memcpy(t->idx, pre->buf.data, (size_t)n);
	} else {
		nc = tight_analyse(t, src, c->f->stride, w, h, maxc);
	}
	if (nc == 0 && !c->is888) {
		nc = tight_analyse_client(t, c->pc, src, c->f->stride, w, h,
					  maxc);
		client = true;
	}
	/* A palette does not pay on tiny rectangles: compare the sizes
	 * before compression. */
	if (nc >= 2 && !t->png) {
		size_t pal = 3 + (size_t)nc * c->tp +
			     (nc == 2 ? (size_t)h * ((w + 7) / 8) : (size_t)n);

		if (pal > 1 + (size_t)n * c->tp)
			nc = 0;
	}

	ret = enc_put_header(c->out, x, y, w, h, c->enc);
	if (ret < 0)
		return ret;
	if (nc == 1)
		ret = tight_put_fill(c, t->pal[0], client);
#ifdef HAVE_JPEG
	else if (nc == 0 && jpeg)
		ret = tight_put_jpeg(c, src, w, h);
#endif
#ifdef HAVE_PNG
	else if (t->png)
		ret = tight_put_png(c, src, w, h, nc, client);
#endif
	else if (nc >= 2)
		ret = tight_put_palette(c, w, h, client);
	else
		ret = tight_put_full(c, src, w, h);
	if (ret < 0)
		return ret;

	/* A JPEG bigger than Raw is sent lossless (it touched no stream).
	 * Tight never goes Raw: a tiny rectangle may cost a few bytes more. */
	if (jpeg && nc == 0 && c->out->len - start - RFB_RECT_HDR_LEN > raw) {
		c->out->len = start;
		jpeg = false;
		goto again;
	}
	ret = tight_png_or_raw(c, start, &(struct rect){ x, y, w, h });
	if (ret < 0)
		return ret;
	c->count++;
	return 0;
}

/* ---- splitting ----------------------------------------------------------- */

/* Record a rectangle to write later (planning). */
static int tight_plan(struct tight_ctx *c, enum tight_op_kind kind, int x,
		      int y, int w, int h, uint32_t colour)
{
	struct tight_state *t = c->t;
	struct tight_op *op;

	if ((size_t)c->count == t->nops) {
		size_t n = t->nops ? 2 * t->nops : 64;
		struct tight_op *ops = realloc(t->ops, n * sizeof(*ops));

		if (!ops)
			return -ENOMEM;
		memset(ops + t->nops, 0, (n - t->nops) * sizeof(*ops));
		t->ops = ops;
		t->nops = n;
	}
	op = &t->ops[c->count++];
	op->x = x;
	op->y = y;
	op->w = w;
	op->h = h;
	op->kind = kind;
	op->colour = colour;
	op->pre = kind == TIGHT_OP_SUBRECT &&
		  ((c->jpeg && (int64_t)w * h >= TIGHT_JPEG_MIN_AREA) ||
		   t->png);
	if (kind == TIGHT_OP_SUBRECT && !c->jpeg && !t->png &&
	    (int64_t)w * h >= TIGHT_AHEAD_MIN_AREA &&
	    c->conf->full_level > 0 && c->conf->grad_level > 0)
		op->pre = true;
	return 0;
}

/* Rows per piece of a rectangle @w wide (<= TIGHT_MAX_WIDTH): as many as
 * the area limit allows, rounded down to whole JPEG MCU rows. */
static int tight_piece_rows(int w)
{
	int rows = TIGHT_MAX_AREA / w;

	return rows >= 16 ? rows & ~15 : rows;
}

/* Encode a rectangle as pieces within the limits, no solid search. */
static int tight_simple(struct tight_ctx *c, int x, int y, int w, int h)
{
	int pw = w > TIGHT_MAX_WIDTH ? TIGHT_MAX_WIDTH : w;
	int rows = tight_piece_rows(pw);

	for (int dy = 0; dy < h; dy += rows)
		for (int dx = 0; dx < w; dx += pw) {
			int rw = w - dx < pw ? w - dx : pw;
			int rh = h - dy < rows ? h - dy : rows;
			int ret = c->planning
					  ? tight_plan(c, TIGHT_OP_SUBRECT,
						       x + dx, y + dy, rw, rh,
						       0)
					  : tight_subrect(c, x + dx, y + dy,
							  rw, rh, false, NULL);

			if (ret < 0)
				return ret;
		}
	return 0;
}

/* A solid area as fill rectangles within the limits. */
static int tight_fill_area(struct tight_ctx *c, int x, int y, int w, int h,
			   uint32_t colour)
{
	int pw = w > TIGHT_MAX_WIDTH ? TIGHT_MAX_WIDTH : w;
	int rows = TIGHT_MAX_AREA / pw;

	if (c->planning)
		return tight_plan(c, TIGHT_OP_FILL_AREA, x, y, w, h, colour);
	for (int dy = 0; dy < h; dy += rows)
		for (int dx = 0; dx < w; dx += pw) {
			int rw = w - dx < pw ? w - dx : pw;
			int rh = h - dy < rows ? h - dy : rows;
			int ret;

			ret = enc_put_header(c->out, x + dx, y + dy, rw, rh,
					     c->enc);
			if (ret < 0)
				return ret;
			ret = tight_put_fill(c, colour, false);
			if (ret < 0)
				return ret;
			c->count++;
		}
	return 0;
}

/* Is every pixel of the block @colour? */
static bool tight_block_is(const struct enc_frame *f, int x, int y, int w,
			   int h, uint32_t colour)
{
	const uint32_t *row = f->pixels + (size_t)y * f->stride + x;

	for (int j = 0; j < h; j++, row += f->stride)
		for (int i = 0; i < w; i++)
			if (row[i] != colour)
				return false;
	return true;
}

/* The largest solid area of @colour anchored at (x, y) found by growing
 * tile rows downwards, each no wider than the one above (TurboVNC). */
static void tight_best_solid(const struct enc_frame *f, int x, int y, int w,
			     int h, uint32_t colour, int *wb, int *hb)
{
	int wprev = w, bw = 0, bh = 0;

	for (int dy = y; dy < y + h; dy += TIGHT_SOLID_TILE) {
		int dh = y + h - dy < TIGHT_SOLID_TILE ? y + h - dy
						       : TIGHT_SOLID_TILE;
		int dx = x;

		while (dx < x + wprev) {
			int dw = x + wprev - dx < TIGHT_SOLID_TILE
					 ? x + wprev - dx
					 : TIGHT_SOLID_TILE;

			if (!tight_block_is(f, dx, dy, dw, dh, colour))
				break;
			dx += dw;
		}
		if (dx == x)
			break;
		wprev = dx - x;
		if ((int64_t)wprev * (dy + dh - y) > (int64_t)bw * bh) {
			bw = wprev;
			bh = dy + dh - y;
		}
	}
	*wb = bw;
	*hb = bh;
}

/* Grow a solid area row by row and column by column within the bounds. */
static void tight_extend_solid(const struct enc_frame *f, int x, int y,
			       int w, int h, uint32_t colour, int *xb, int *yb,
			       int *wb, int *hb)
{
	int cx, cy;

	for (cy = *yb - 1;
	     cy >= y && tight_block_is(f, *xb, cy, *wb, 1, colour); cy--)
		;
	*hb += *yb - (cy + 1);
	*yb = cy + 1;
	for (cy = *yb + *hb;
	     cy < y + h && tight_block_is(f, *xb, cy, *wb, 1, colour); cy++)
		;
	*hb = cy - *yb;
	for (cx = *xb - 1;
	     cx >= x && tight_block_is(f, cx, *yb, 1, *hb, colour); cx--)
		;
	*wb += *xb - (cx + 1);
	*xb = cx + 1;
	for (cx = *xb + *wb;
	     cx < x + w && tight_block_is(f, cx, *yb, 1, *hb, colour); cx++)
		;
	*wb = cx - *xb;
}

/* Encode a rectangle, sending large solid areas in it as fill rectangles
 * and the rest around them recursively (TurboVNC's algorithm). */
static int tight_area(struct tight_ctx *c, int x, int y, int w, int h)
{
	const struct enc_frame *f = c->f;
	int max_rows, ret;

again:
	if (w <= 0 || h <= 0)
		return 0;
	if ((int64_t)w * h < TIGHT_SPLIT_MIN_AREA)
		return tight_simple(c, x, y, w, h);
	max_rows = tight_piece_rows(w > TIGHT_MAX_WIDTH ? TIGHT_MAX_WIDTH : w);
	for (int dy = y; dy < y + h; dy += TIGHT_SOLID_TILE) {
		int dh;

		/* Rows above dy hold no solid area worth sending: send them
		 * once they fill a piece. */
		if (dy - y >= max_rows) {
			ret = tight_simple(c, x, y, w, max_rows);
			if (ret < 0)
				return ret;
			y += max_rows;
			h -= max_rows;
		}
		dh = y + h - dy < TIGHT_SOLID_TILE ? y + h - dy
						   : TIGHT_SOLID_TILE;
		for (int dx = x; dx < x + w; dx += TIGHT_SOLID_TILE) {
			int dw = x + w - dx < TIGHT_SOLID_TILE
					 ? x + w - dx
					 : TIGHT_SOLID_TILE;
			uint32_t colour = f->pixels[(size_t)dy * f->stride + dx];
			int xb, yb, wb, hb;

			if (!tight_block_is(f, dx, dy, dw, dh, colour))
				continue;
			tight_best_solid(f, dx, dy, x + w - dx, y + h - dy,
					 colour, &wb, &hb);
			if ((int64_t)wb * hb != (int64_t)w * h &&
			    (int64_t)wb * hb < TIGHT_SOLID_MIN_AREA)
				continue;
			xb = dx;
			yb = dy;
			tight_extend_solid(f, x, y, w, h, colour, &xb, &yb,
					   &wb, &hb);
			if (yb > y) {
				ret = tight_simple(c, x, y, w, yb - y);
				if (ret < 0)
					return ret;
			}
			if (xb > x) {
				ret = tight_area(c, x, yb, xb - x, hb);
				if (ret < 0)
					return ret;
			}
			ret = tight_fill_area(c, xb, yb, wb, hb, colour);
			if (ret < 0)
				return ret;
			if (xb + wb < x + w) {
				ret = tight_area(c, xb + wb, yb,
						 x + w - xb - wb, hb);
				if (ret < 0)
					return ret;
			}
			h = y + h - (yb + hb);
			y = yb + hb;
			goto again;
		}
	}
	return tight_simple(c, x, y, w, h);
}

/* ---- several threads ----------------------------------------------------- */

struct tight_par {
	struct tight_ctx *c;		/* the writer's */
	struct tight_ctx base;		/* read-only copy for helpers */
};

/* Deflate @len bytes at @data with Huffman codes alone, from a fresh
 * stream ending in a sync flush, into @out (TIGHT_AHEAD_MIN_AREA). */
static int tight_huffman(struct tight_state *s, const uint8_t *data,
			 size_t len, struct buf *out)
{
	z_stream *zs = &s->zs[0];
	size_t bound;
	int ret;

	if (!s->zs_active[0]) {
		memset(zs, 0, sizeof(*zs));
		/* any level but 0 (stored blocks) deflates Huffman-only */
		if (deflateInit2(zs, 1, Z_DEFLATED, -MAX_WBITS, MAX_MEM_LEVEL,
				 Z_HUFFMAN_ONLY) != Z_OK)
			return -ENOMEM;
		s->zs_active[0] = true;
	} else if (deflateReset(zs) != Z_OK) {
		return -EIO;
	}
	zs->next_in = (Bytef *)data;
	zs->avail_in = (uInt)len;
	bound = deflateBound(zs, (uLong)len) + 16;
	for (;;) {
		if (buf_reserve(out, bound) < 0)
			return -ENOMEM;
		zs->next_out = out->data + out->len;
		zs->avail_out = (uInt)bound;
		ret = deflate(zs, Z_SYNC_FLUSH);
		if (ret != Z_OK && ret != Z_BUF_ERROR)
			return -EIO;
		out->len += bound - zs->avail_out;
		if (zs->avail_out != 0 && zs->avail_in == 0)
			return 0;
		bound = 4096 + zs->avail_in;
	}
}

/* A lossless full-colour piece, filtered and, where Huffman codes alone
 * do (tight_pick()), compressed into op->buf; else its filtered bytes,
 * for the writer to deflate on the stream. */
static void tight_pre_full(const struct tight_ctx *base, struct tight_state *s,
			   struct tight_op *op, const uint32_t *src)
{
	bool grad;
	size_t len = tight_full_filter(base, s, src, op->w, op->h, &grad);
	int level = grad ? base->conf->grad_level : base->conf->full_level;

	if (level == 0 || len < TIGHT_MIN_TO_COMPRESS)
		return;
	op->grad = grad;
	if (tight_pick(s, base, s->data, len, level) != Z_HUFFMAN_ONLY) {
		op->res = TIGHT_RES_FILTERED;
		op->ret = buf_append(&op->buf, s->data, len);
		return;
	}
	op->res = TIGHT_RES_FULL;
	op->ret = tight_huffman(s, s->data, len, &op->buf);
}

/* Analyse @op on @s (this thread's state) and, if it goes out as JPEG or
 * PNG, compress it into op->buf: what tight_subrect() would do before it
 * touches the output. A palette is kept for tight_subrect(). */
static void tight_pre(const struct tight_ctx *base, struct tight_state *s,
		      struct tight_op *op)
{
	struct tight_ctx wc = *base;
	size_t stride = base->f->stride;
	const uint32_t *src = base->f->pixels + (size_t)op->y * stride + op->x;
	int n = op->w * op->h, nc, maxc;
	bool jpeg = false;

	wc.t = s;
	wc.out = &op->buf;
	op->buf.len = 0;
	op->res = TIGHT_RES_NONE;
	op->client = false;
	op->ret = 0;
#ifdef HAVE_JPEG
	if (base->jpeg && n >= TIGHT_JPEG_MIN_AREA) {
		if (!s->jpeg)
			s->jpeg = tight_jpeg_new();
		jpeg = s->jpeg != NULL;
	}
#endif
	if (jpeg)
		maxc = base->conf->jpeg_max_colours;
	else if (s->png)
		maxc = 256;
	else
		maxc = tight_max_colours(base, n);
	nc = tight_analyse(s, src, stride, op->w, op->h, maxc);
	if (nc == 0 && !base->is888) {
		nc = tight_analyse_client(s, base->pc, src, stride, op->w,
					  op->h, maxc);
		op->client = true;
	}
	if (nc == 1) {
		op->res = TIGHT_RES_FILL;
		op->colour = s->pal[0];
		return;
	}
#ifdef HAVE_JPEG
	if (nc == 0 && jpeg) {
		op->res = TIGHT_RES_BYTES;
		op->res_jpeg = true;
		op->ret = tight_put_jpeg(&wc, src, op->w, op->h);
		return;
	}
#endif
#ifdef HAVE_PNG
	if (s->png) {
		op->res = TIGHT_RES_BYTES;
		op->res_jpeg = false;
		op->ret = tight_put_png(&wc, src, op->w, op->h, nc,
					op->client);
		return;
	}
#endif
	if (nc >= 2) {
		op->res = TIGHT_RES_PALETTE;
		op->npal = nc;
		memcpy(op->pal, s->pal, (size_t)nc * sizeof(*op->pal));
		op->ret = buf_append(&op->buf, s->idx, (size_t)n);
		return;
	}
	if (nc == 0 && !jpeg && !s->png)
		tight_pre_full(base, s, op, src);
}

/* The control byte and data of a full-colour piece deflated ahead, on
 * the stream of its filter: the zlib header first if the stream starts
 * here; the server's own deflater must then forget the stream. */
static int tight_put_ahead(struct tight_ctx *c, struct tight_op *op)
{
	struct tight_state *t = c->t;
	int sid = op->grad ? TIGHT_STREAM_GRADIENT : TIGHT_STREAM_FULL;
	bool hdr;
	size_t total;

	if (tight_put_full_ctl(c, sid, op->grad, false) < 0)
		return -ENOMEM;
	hdr = !t->zs_started[sid];
	total = op->buf.len + (hdr ? 2 : 0);
	if (buf_reserve(c->out, 3 + total) < 0)
		return -ENOMEM;
	tight_put_compact_len(c->out, total);
	if (hdr)
		buf_put_mem(c->out, tight_zlib_header, 2);
	buf_put_mem(c->out, op->buf.data, op->buf.len);
	t->zs_started[sid] = true;
	t->zs_dirty[sid] = true;
	return 0;
}

/* A full-colour piece filtered ahead, deflated with LZ77 on the stream
 * of its filter, as tight_put_full() does. */
static int tight_put_filtered(struct tight_ctx *c, struct tight_op *op)
{
	int sid = op->grad ? TIGHT_STREAM_GRADIENT : TIGHT_STREAM_FULL;
	int level = op->grad ? c->conf->grad_level : c->conf->full_level;

	tight_stream_prepare(c, sid, level, false, op->buf.len);
	if (tight_put_full_ctl(c, sid, op->grad, false) < 0)
		return -ENOMEM;
	return tight_compress_as(c, sid, level, Z_DEFAULT_STRATEGY, false,
				 op->buf.data, op->buf.len);
}

/* Write a rectangle tight_pre() prepared, as tight_subrect() would. */
static int tight_put_pre(struct tight_ctx *c, struct tight_op *op)
{
	struct buf *out = c->out;
	size_t start = out->len, raw = (size_t)op->w * op->h * c->pc->bytes;
	int ret;

	if (op->ret < 0)
		return op->ret;
	if (op->res == TIGHT_RES_NONE)
		return tight_subrect(c, op->x, op->y, op->w, op->h, false,
				     NULL);
	if (op->res == TIGHT_RES_PALETTE)
		return tight_subrect(c, op->x, op->y, op->w, op->h, false, op);
	ret = enc_put_header(out, op->x, op->y, op->w, op->h, c->enc);
	if (ret < 0)
		return ret;
	if (op->res == TIGHT_RES_FILL) {
		ret = tight_put_fill(c, op->colour, op->client);
		if (ret < 0)
			return ret;
	} else if (op->res == TIGHT_RES_FULL ||
		   op->res == TIGHT_RES_FILTERED) {
		ret = op->res == TIGHT_RES_FULL ? tight_put_ahead(c, op)
						 : tight_put_filtered(c, op);
		if (ret < 0)
			return ret;
	} else {
		if (buf_reserve(out, op->buf.len) < 0)
			return -ENOMEM;
		buf_put_u8(out, op->buf.data[0]);
		buf_put_mem(out, op->buf.data + 1, op->buf.len - 1);
	}
	if (op->res_jpeg && out->len - start - RFB_RECT_HDR_LEN > raw) {
		out->len = start;
		return tight_subrect(c, op->x, op->y, op->w, op->h, true,
				     NULL);
	}
	ret = tight_png_or_raw(c, start,
			       &(struct rect){ op->x, op->y, op->w, op->h });
	if (ret < 0)
		return ret;
	c->count++;
	return 0;
}

/* The ops of tight_parallel() on the encoder threads (encpool.h): those
 * marked pre are analysed and compressed ahead on any thread, each with
 * its own state; the writer writes them all in order. */
static bool tight_par_ahead(void *arg, size_t k)
{
	const struct tight_par *j = arg;

	return j->base.t->ops[k].pre;
}

static void tight_par_prepare(void *arg, size_t k, unsigned thread)
{
	struct tight_par *j = arg;
	struct tight_state *t = j->base.t;

	tight_pre(&j->base, &t->clones[thread], &t->ops[k]);
}

static int tight_par_write(void *arg, size_t k)
{
	struct tight_par *j = arg;
	struct tight_op *op = &j->base.t->ops[k];
	int ret;

	if (op->kind == TIGHT_OP_FILL_AREA)
		ret = tight_fill_area(j->c, op->x, op->y, op->w, op->h,
				      op->colour);
	else if (!op->pre)
		ret = tight_subrect(j->c, op->x, op->y, op->w, op->h, false,
				    NULL);
	else
		ret = tight_put_pre(j->c, op);
	if (ret >= 0 && j->c->p->between)
		ret = j->c->p->between(j->c->p->between_arg, j->c->out);
	return ret < 0 ? ret : 0;
}

static const struct encpool_ops tight_par_ops = {
	.prepare = tight_par_prepare,
	.ahead = tight_par_ahead,
	.consume = tight_par_write,
};

/* One state per encoder thread for tight_pre(). */
static int tight_clones(struct tight_state *t, unsigned n)
{
	struct tight_state *cl;

	if (t->nclones >= n)
		return 0;
	cl = realloc(t->clones, n * sizeof(*cl));
	if (!cl)
		return -ENOMEM;
	t->clones = cl;
	for (; t->nclones < n; t->nclones++) {
		struct tight_state *s = &cl[t->nclones];

		memset(s, 0, sizeof(*s));
		if (tight_state_init(s, t->base.ops, t->png) < 0)
			return -ENOMEM;
#ifdef HAVE_PNG
		if (t->png && tight_png_init(s) < 0) {
			tight_state_fini(s);
			return -ENOMEM;
		}
#endif
	}
	return 0;
}

/* Plan the whole rectangle, then write it while the JPEG and PNG pieces,
 * and full-colour pieces deflated with Huffman codes alone, are
 * compressed on all encoder threads. Same bytes as one thread. */
static int tight_parallel(struct tight_ctx *c, const struct rect *r)
{
	unsigned n = encpool_threads();
	struct tight_par j;
	ssize_t done;
	int ret;

	ret = tight_clones(c->t, n);
	if (ret < 0)
		return ret;
	c->planning = true;
	c->count = 0;
	ret = tight_area(c, r->x, r->y, r->w, r->h);
	c->planning = false;
	if (ret < 0)
		return ret;
	j.c = c;
	j.base = *c;
	c->count = 0;
	done = encpool_run(&tight_par_ops, &j, (size_t)j.base.count);
	/* Each JPEG piece reserved its worst case: do not keep that. */
	for (size_t i = 0; i < (size_t)j.base.count; i++)
		buf_fini(&c->t->ops[i].buf);
	return done < 0 ? (int)done : 0;
}

/* ---- entry point --------------------------------------------------------- */

int tight_encode(struct encoder *e, const struct enc_params *p,
		 const struct enc_frame *f, const struct rect *r,
		 struct buf *out)
{
	struct tight_state *t = (struct tight_state *)e;
	struct tight_ctx c = { 0 };
	int ret;

	if (r->w <= 0 || r->h <= 0)
		return 0;
	c.t = t;
	c.p = p;
	c.pc = p->pc;
	c.f = f;
	c.out = out;
	c.enc = t->png ? RFB_ENC_TIGHT_PNG : RFB_ENC_TIGHT;
	c.cl = p->compress >= 0 && p->compress <= 9 ? p->compress
						    : TIGHT_DEFAULT_COMPRESS;
	c.conf = &tight_conf[c.cl];
	c.is888 = tight_is888(p->pc);
	c.tp = c.is888 ? 3 : p->pc->bytes;
	c.nozlib = !t->png && (p->flags & ENC_F_TIGHT_NOZLIB);
#ifdef HAVE_JPEG
	c.jpeg = enc_may_be_lossy(p) && !(p->flags & ENC_F_LOSSLESS);
	if (c.jpeg)
		tight_jpeg_params(&c.jp, p->quality, p->fine_quality,
				  p->subsampling);
#endif
	/* Planned also with one thread: the same bytes whatever the
	 * number of threads. */
	if ((int64_t)r->w * r->h >= ENCPOOL_MIN_PIXELS)
		ret = tight_parallel(&c, r);
	else
		ret = tight_area(&c, r->x, r->y, r->w, r->h);
	if (ret < 0)
		return ret;
	return c.count;
}

const struct encoder_ops encoder_tight = {
	.type = RFB_ENC_TIGHT,
	.name = "tight",
#ifdef HAVE_JPEG
	.lossy = true,
#endif
	.new_state = tight_new,
	.free_state = tight_free,
	.encode = tight_encode,
};

#ifdef HAVE_PNG
const struct encoder_ops encoder_tightpng = {
	.type = RFB_ENC_TIGHT_PNG,
	.name = "tightpng",
#ifdef HAVE_JPEG
	.lossy = true,
#endif
	.new_state = tightpng_new,
	.free_state = tight_free,
	.encode = tight_encode,
};
#endif
