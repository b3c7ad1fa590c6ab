/* SPDX-License-Identifier: MIT */
/*
 * fbs: recordings in the FBS 001.001 format of rfbproxy and the TightVNC
 * players. A file is the text "FBS 001.001\n" and then blocks, each a
 * 32-bit big-endian length, that many bytes of what an RFB server sent
 * (padded with zeros to a multiple of 4), and a 32-bit big-endian time
 * in milliseconds since the recording started.
 *
 * What we write is the server's side of an RFB 3.3 session: the version,
 * security type None, a ServerInit with 32-bit true-colour pixels, then
 * one FramebufferUpdate per block, its rectangles in the Zlib encoding
 * (one zlib stream for the whole file, flushed at each rectangle) and a
 * DesktopSize pseudo-rectangle when the screen changes size. Each block
 * goes out with one write(2), so a recording cut short by a kill is
 * complete up to its last whole block.
 *
 * The decoder takes that subset of RFB (Raw as well), in any blocking,
 * and bounds everything a file controls: sizes, lengths, rectangles.
 * See doc/protocol.md, "Recordings".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fbs.h"
#include "xrfb.h"

#define FBS_MAGIC "FBS 001.001\n"
#define FBS_MAGIC_LEN 12
#define FBS_RFB_VERSION "RFB 003.003\n"
#define FBS_ENC_RAW 0
#define FBS_ENC_ZLIB 6
#define FBS_ENC_DESKTOP_SIZE (-223)
#define FBS_MAX_NAME 4096
#define FBS_MAX_CUT_TEXT (16u << 20)

static void fail_alloc(void)
{
	abort();
}

static void put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		fail_alloc();
}

static void put_be16(struct buf *b, uint16_t v)
{
	uint8_t x[2];

	put_u16(x, v);
	put(b, x, 2);
}

static void put_be32(struct buf *b, uint32_t v)
{
	uint8_t x[4];

	put_u32(x, v);
	put(b, x, 4);
}

static int write_all(int fd, const struct iovec *iov, int n)
{
	struct iovec v[4];
	ssize_t done;
	int i;

	memcpy(v, iov, sizeof(*iov) * (size_t)n);
	for (i = 0; i < n;) {
		done = writev(fd, v + i, n - i);
		if (done < 0 && errno == EINTR)
			continue;
		if (done < 0)
			return -errno;
		while (i < n && (size_t)done >= v[i].iov_len) {
			done -= (ssize_t)v[i].iov_len;
			i++;
		}
		if (i < n) {
			v[i].iov_base = (uint8_t *)v[i].iov_base + done;
			v[i].iov_len -= (size_t)done;
		}
	}
	return 0;
}

/* One block: length, data, padding, time @ms. */
static int write_block(struct fbs_writer *w, const struct buf *data,
		       uint32_t ms_since_start)
{
	static const uint8_t zeros[4];
	uint8_t len[4], ms[4];
	struct iovec iov[4];

	put_u32(len, (uint32_t)data->len);
	put_u32(ms, ms_since_start);
	iov[0].iov_base = len;
	iov[0].iov_len = 4;
	iov[1].iov_base = data->data;
	iov[1].iov_len = data->len;
	iov[2].iov_base = (void *)zeros;
	iov[2].iov_len = (4 - data->len % 4) % 4;
	iov[3].iov_base = ms;
	iov[3].iov_len = 4;
	return write_all(w->fd, iov, 4);
}

int fbs_writer_open(struct fbs_writer *w, const char *path, uint16_t width,
		    uint16_t height, const char *name)
{
	struct buf b = BUF_INIT;
	struct iovec iov;
	size_t n = strlen(name);
	int r;

	memset(w, 0, sizeof(*w));
	if (deflateInit(&w->z, 1) != Z_OK)
		return -ENOMEM;
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		r = -errno;
		deflateEnd(&w->z);
		return r;
	}
	w->start_ms = xrfb_now_ms();
	iov.iov_base = (void *)FBS_MAGIC;
	iov.iov_len = FBS_MAGIC_LEN;
	r = write_all(w->fd, &iov, 1);
	/* RFB 3.3: version, security None, ServerInit. */
	put(&b, FBS_RFB_VERSION, 12);
	put_be32(&b, 1);
	put_be16(&b, width);
	put_be16(&b, height);
	{
		/* 32 bpp, depth 24, little endian, true colour, 8 bits a
		 * channel at 16, 8, 0 (doc/protocol.md, "Pixel formats") */
		static const uint8_t fmt[16] = { 32, 24, 0, 1, 0, 255, 0, 255,
						 0, 255, 16, 8, 0, 0, 0, 0 };
		put(&b, fmt, sizeof(fmt));
	}
	if (n > FBS_MAX_NAME)
		n = FBS_MAX_NAME;
	put_be32(&b, (uint32_t)n);
	put(&b, name, n);
	if (!r)
		r = write_block(w, &b, 0);
	buf_fini(&b);
	if (r) {
		fbs_writer_close(w);
		unlink(path);
	}
	return r;
}

void fbs_writer_begin(struct fbs_writer *w)
{
	w->msg.len = 0;
	put(&w->msg, "\0\0", 2);
	w->nrects_at = w->msg.len;
	put_be16(&w->msg, 0);
	w->nrects = 0;
}

static void rect_header(struct fbs_writer *w, uint16_t x, uint16_t y,
			uint16_t width, uint16_t height, int32_t enc)
{
	put_be16(&w->msg, x);
	put_be16(&w->msg, y);
	put_be16(&w->msg, width);
	put_be16(&w->msg, height);
	put_be32(&w->msg, (uint32_t)enc);
	w->nrects++;
}

int fbs_writer_rect(struct fbs_writer *w, const uint32_t *pixels,
		    size_t stride, uint16_t x, uint16_t y, uint16_t width,
		    uint16_t height)
{
	uint8_t *row, out[16384];
	const uint32_t *src;
	size_t len_at, start;
	unsigned i, j;
	int flush, zr;

	rect_header(w, x, y, width, height, FBS_ENC_ZLIB);
	len_at = w->msg.len;
	put_be32(&w->msg, 0);
	start = w->msg.len;
	row = xmalloc((size_t)width * 4);
	for (j = 0; j < height; j++) {
		src = (const uint32_t *)((const uint8_t *)pixels + j * stride);
		for (i = 0; i < width; i++) {
			row[4 * i] = (uint8_t)src[i];
			row[4 * i + 1] = (uint8_t)(src[i] >> 8);
			row[4 * i + 2] = (uint8_t)(src[i] >> 16);
			row[4 * i + 3] = 0;
		}
		w->z.next_in = row;
		w->z.avail_in = width * 4u;
		flush = j + 1 == height ? Z_SYNC_FLUSH : Z_NO_FLUSH;
		do {
			w->z.next_out = out;
			w->z.avail_out = sizeof(out);
			zr = deflate(&w->z, flush);
			if (zr == Z_STREAM_ERROR) {
				free(row);
				return -EIO;
			}
			put(&w->msg, out, sizeof(out) - w->z.avail_out);
		} while (w->z.avail_out == 0 || w->z.avail_in);
	}
	free(row);
	put_u32(w->msg.data + len_at, (uint32_t)(w->msg.len - start));
	return 0;
}

void fbs_writer_resize(struct fbs_writer *w, uint16_t width,
		       uint16_t height)
{
	rect_header(w, 0, 0, width, height, FBS_ENC_DESKTOP_SIZE);
}

int fbs_writer_end_at(struct fbs_writer *w, bool always, uint32_t ms)
{
	if (!w->nrects && !always)
		return 0;
	put_u16(w->msg.data + w->nrects_at, w->nrects);
	return write_block(w, &w->msg, ms);
}

int fbs_writer_end(struct fbs_writer *w, bool always)
{
	return fbs_writer_end_at(w, always,
				 (uint32_t)(xrfb_now_ms() - w->start_ms));
}

void fbs_writer_close(struct fbs_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	deflateEnd(&w->z);
	buf_fini(&w->msg);
}

/* ---- reading ---------------------------------------------------------------- */

int fbs_reader_open(struct fbs_reader *r, const char *path)
{
	char magic[FBS_MAGIC_LEN];

	r->f = fopen(path, "rbe");
	if (!r->f)
		return -errno;
	if (fread(magic, 1, sizeof(magic), r->f) != sizeof(magic) ||
	    memcmp(magic, FBS_MAGIC, sizeof(magic)) != 0) {
		fclose(r->f);
		r->f = NULL;
		return -EPROTO;
	}
	return 0;
}

int fbs_reader_next(struct fbs_reader *r, struct buf *data, uint32_t *ms)
{
	uint8_t x[4];
	uint32_t len, padded;
	uint8_t *p;

	data->len = 0;
	if (fread(x, 1, 4, r->f) != 4)
		return 0;
	len = get_u32(x);
	if (len > FBS_MAX_BLOCK)
		return -EMSGSIZE;
	padded = (len + 3) & ~3u;
	p = buf_extend(data, padded);
	if (!p)
		return -ENOMEM;
	if (fread(p, 1, padded, r->f) != padded || fread(x, 1, 4, r->f) != 4)
		return 0;	/* cut short: the end */
	data->len = len;
	*ms = get_u32(x);
	return 1;
}

int fbs_reader_rewind(struct fbs_reader *r)
{
	return fseek(r->f, FBS_MAGIC_LEN, SEEK_SET) == 0 ? 0 : -errno;
}

void fbs_reader_close(struct fbs_reader *r)
{
	if (r->f)
		fclose(r->f);
	r->f = NULL;
}

/* ---- decoding ------------------------------------------------------------- */

enum {
	DEC_VERSION,
	DEC_SECURITY,
	DEC_INIT,
	DEC_MESSAGE,
	DEC_RECT,
	DEC_FAILED,
};

void fbs_decoder_init(struct fbs_decoder *d)
{
	memset(d, 0, sizeof(*d));
	d->state = DEC_VERSION;
}

void fbs_decoder_fini(struct fbs_decoder *d)
{
	if (d->z_init)
		inflateEnd(&d->z);
	free(d->fb);
	buf_fini(&d->in);
	memset(d, 0, sizeof(*d));
}

void fbs_decoder_new_stream(struct fbs_decoder *d)
{
	if (d->z_init)
		inflateEnd(&d->z);
	d->z_init = false;
}

static int dec_fail(struct fbs_decoder *d, const char *why)
{
	d->state = DEC_FAILED;
	d->error = why;
	return -EPROTO;
}

static int dec_resize(struct fbs_decoder *d, uint32_t w, uint32_t h)
{
	uint32_t *fb;

	if (!w || !h || w > FBS_MAX_SIDE || h > FBS_MAX_SIDE)
		return dec_fail(d, "bad framebuffer size");
	fb = calloc((size_t)w * h, 4);
	if (!fb)
		return dec_fail(d, "no memory for the framebuffer");
	free(d->fb);
	d->fb = fb;
	d->width = (uint16_t)w;
	d->height = (uint16_t)h;
	d->resized = true;
	d->dx0 = d->dy0 = 0;
	d->dx1 = (int)w;
	d->dy1 = (int)h;
	return 0;
}

static void damage(struct fbs_decoder *d, int x, int y, int w, int h)
{
	if (d->dx0 >= d->dx1) {
		d->dx0 = x, d->dy0 = y, d->dx1 = x + w, d->dy1 = y + h;
		return;
	}
	if (x < d->dx0)
		d->dx0 = x;
	if (y < d->dy0)
		d->dy0 = y;
	if (x + w > d->dx1)
		d->dx1 = x + w;
	if (y + h > d->dy1)
		d->dy1 = y + h;
}

static void put_pixels(struct fbs_decoder *d, const uint8_t *p, int x, int y,
		       int w, int h)
{
	uint32_t v, *dst;
	int i, j;

	for (j = 0; j < h; j++) {
		dst = d->fb + (size_t)(y + j) * d->width + x;
		for (i = 0; i < w; i++, p += 4) {
			v = d->big_endian ? get_u32(p)
					  : (uint32_t)p[0] | (uint32_t)p[1] << 8 |
						    (uint32_t)p[2] << 16 |
						    (uint32_t)p[3] << 24;
			dst[i] = ((v >> d->shift[0]) & 255) << 16 |
				 ((v >> d->shift[1]) & 255) << 8 |
				 ((v >> d->shift[2]) & 255);
		}
	}
	damage(d, x, y, w, h);
}

/* A Zlib rectangle: @p holds @len bytes of the stream. */
static int dec_zlib(struct fbs_decoder *d, const uint8_t *p, uint32_t len,
		    int x, int y, int w, int h)
{
	size_t need = (size_t)w * h * 4;
	uint8_t *out;
	int zr;

	if (!d->z_init) {
		if (inflateInit(&d->z) != Z_OK)
			return dec_fail(d, "zlib");
		d->z_init = true;
	}
	out = malloc(need ? need : 1);
	if (!out)
		return dec_fail(d, "no memory");
	d->z.next_in = (uint8_t *)p;
	d->z.avail_in = len;
	d->z.next_out = out;
	d->z.avail_out = (uInt)need;
	zr = inflate(&d->z, Z_SYNC_FLUSH);
	/* The rest of the input (the flush's empty block) must be taken
	 * too, or the next rectangle would start in the middle of it. */
	while ((zr == Z_OK || zr == Z_BUF_ERROR) && !d->z.avail_out &&
	       d->z.avail_in) {
		uint8_t extra;

		d->z.next_out = &extra;
		d->z.avail_out = 1;
		zr = inflate(&d->z, Z_SYNC_FLUSH);
		if (!d->z.avail_out)
			zr = Z_DATA_ERROR;	/* more pixels than the rect */
		else
			d->z.avail_out = 0;
	}
	if ((zr != Z_OK && zr != Z_BUF_ERROR && zr != Z_STREAM_END) ||
	    d->z.avail_out || d->z.avail_in) {
		free(out);
		return dec_fail(d, "bad zlib data");
	}
	put_pixels(d, out, x, y, w, h);
	free(out);
	return 0;
}

/* One step on the buffered input: bytes used, 0 for more, or -EPROTO. */
static long dec_step(struct fbs_decoder *d, const uint8_t *p, size_t len)
{
	uint32_t n, x, y, w, h;
	int32_t enc;
	size_t need;

	switch (d->state) {
	case DEC_VERSION:
		if (len < 12)
			return 0;
		if (memcmp(p, FBS_RFB_VERSION, 12) != 0)
			return dec_fail(d, "not RFB 3.3");
		d->state = DEC_SECURITY;
		return 12;
	case DEC_SECURITY:
		if (len < 4)
			return 0;
		if (get_u32(p) != 1)
			return dec_fail(d, "security other than None");
		d->state = DEC_INIT;
		return 4;
	case DEC_INIT:
		if (len < 24)
			return 0;
		n = get_u32(p + 20);
		if (n > FBS_MAX_NAME)
			return dec_fail(d, "desktop name too long");
		if (len < 24 + n)
			return 0;
		/* 32 bpp true colour with 8-bit channels only */
		if (p[4] != 32 || !p[7] || get_u16(p + 8) != 255 ||
		    get_u16(p + 10) != 255 || get_u16(p + 12) != 255 ||
		    p[14] > 24 || p[15] > 24 || p[16] > 24)
			return dec_fail(d, "pixel format not supported");
		d->big_endian = p[6] != 0;
		memcpy(d->shift, p + 14, 3);
		if (dec_resize(d, get_u16(p), get_u16(p + 2)) < 0)
			return -EPROTO;
		d->state = DEC_MESSAGE;
		return 24 + (long)n;
	case DEC_MESSAGE:
		if (!len)
			return 0;
		switch (p[0]) {
		case 0:		/* FramebufferUpdate */
			if (len < 4)
				return 0;
			d->rects_left = get_u16(p + 2);
			if (d->rects_left)
				d->state = DEC_RECT;
			return 4;
		case 2:		/* Bell */
			return 1;
		case 3:		/* ServerCutText: skipped */
			if (len < 8)
				return 0;
			n = get_u32(p + 4);
			if (n > FBS_MAX_CUT_TEXT)
				return dec_fail(d, "cut text too long");
			return len < 8 + n ? 0 : 8 + (long)n;
		default:
			return dec_fail(d, "unknown message");
		}
	case DEC_RECT:
		if (len < 12)
			return 0;
		x = get_u16(p);
		y = get_u16(p + 2);
		w = get_u16(p + 4);
		h = get_u16(p + 6);
		enc = (int32_t)get_u32(p + 8);
		if (enc == FBS_ENC_DESKTOP_SIZE) {
			if (dec_resize(d, w, h) < 0)
				return -EPROTO;
			need = 12;
		} else {
			if (x + w > d->width || y + h > d->height)
				return dec_fail(d, "rectangle outside the "
						   "framebuffer");
			if (enc == FBS_ENC_RAW) {
				need = 12 + (size_t)w * h * 4;
				if (len < need)
					return 0;
				put_pixels(d, p + 12, (int)x, (int)y, (int)w,
					   (int)h);
			} else if (enc == FBS_ENC_ZLIB) {
				if (len < 16)
					return 0;
				n = get_u32(p + 12);
				if (n > FBS_MAX_BLOCK)
					return dec_fail(d, "zlib data too long");
				need = 16 + (size_t)n;
				if (len < need)
					return 0;
				if (dec_zlib(d, p + 16, n, (int)x, (int)y,
					     (int)w, (int)h) < 0)
					return -EPROTO;
			} else {
				return dec_fail(d, "encoding not supported");
			}
		}
		if (--d->rects_left == 0)
			d->state = DEC_MESSAGE;
		return (long)need;
	default:
		return -EPROTO;
	}
}

int fbs_decoder_feed(struct fbs_decoder *d, const uint8_t *p, size_t len)
{
	static const uint8_t none[1];
	size_t off = 0;
	long n;

	if (d->state == DEC_FAILED)
		return -EPROTO;
	if (buf_append(&d->in, p, len) < 0)
		return dec_fail(d, "no memory");
	for (;;) {
		/* An empty buffer may have no storage: no offset from NULL. */
		n = dec_step(d, d->in.data ? d->in.data + off : none,
			     d->in.len - off);
		if (n < 0)
			return -EPROTO;
		if (n == 0)
			break;
		off += (size_t)n;
	}
	buf_consume(&d->in, off);
	/* What a message may still need is bounded by the checks above; a
	 * stream that goes on and on without completing one is not ours. */
	if (d->in.len > FBS_MAX_BLOCK + (size_t)FBS_MAX_SIDE * FBS_MAX_SIDE * 4)
		return dec_fail(d, "message too long");
	return 0;
}
