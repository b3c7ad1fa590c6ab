/* SPDX-License-Identifier: MIT */
/* FBS 001.001 recordings: a writer, a reader and a decoder. */
#ifndef XRFB_FBS_H
#define XRFB_FBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <zlib.h>

#include "buf.h"

/* Largest framebuffer side and block we accept when reading. */
#define FBS_MAX_SIDE 8192
#define FBS_MAX_BLOCK (64u << 20)

/* ---- writing -------------------------------------------------------------- */

struct fbs_writer {
	int fd;
	uint64_t start_ms;
	z_stream z;
	struct buf msg;		/* the FramebufferUpdate being built */
	uint16_t nrects;
	size_t nrects_at;	/* where its rectangle count goes */
};

/* Create @path and write the header and the synthetic RFB 3.3 handshake
 * and ServerInit (@w x @h, 32 bits per pixel, @name) at time 0. 0 or
 * -errno. */
int fbs_writer_open(struct fbs_writer *w, const char *path, uint16_t width,
		    uint16_t height, const char *name);
/* Start a FramebufferUpdate. */
void fbs_writer_begin(struct fbs_writer *w);
/* Add the rectangle at (@x, @y) of XRGB8888 pixels (Zlib encoding);
 * @pixels points at its first pixel, rows @stride bytes apart. */
int fbs_writer_rect(struct fbs_writer *w, const uint32_t *pixels,
		    size_t stride, uint16_t x, uint16_t y, uint16_t width,
		    uint16_t height);
/* Add a new framebuffer size (the DesktopSize pseudo-rectangle). */
void fbs_writer_resize(struct fbs_writer *w, uint16_t width,
		       uint16_t height);
/* Write the update as one block stamped with the time since the start;
 * it is on disk (as far as write(2) goes) when this returns. An update
 * without rectangles is written only if @always (to mark the end). */
int fbs_writer_end(struct fbs_writer *w, bool always);
/* The same, stamped @ms (a recording made from another). */
int fbs_writer_end_at(struct fbs_writer *w, bool always, uint32_t ms);
void fbs_writer_close(struct fbs_writer *w);

/* ---- reading ---------------------------------------------------------------- */

struct fbs_reader {
	FILE *f;
};

/* Open @path and check its header. 0 or -errno (-EPROTO: not FBS). */
int fbs_reader_open(struct fbs_reader *r, const char *path);
/* The next block: its data (appended to @data, which is emptied first)
 * and timestamp. 1 for a block, 0 at the end (also of a file cut short
 * inside a block), -errno on a malformed block. */
int fbs_reader_next(struct fbs_reader *r, struct buf *data, uint32_t *ms);
/* Back to the first block. */
int fbs_reader_rewind(struct fbs_reader *r);
void fbs_reader_close(struct fbs_reader *r);

/* ---- decoding the server's side of RFB 3.3 ---------------------------- */

struct fbs_decoder {
	int state;
	struct buf in;
	uint32_t *fb;		/* XRGB8888, width * height */
	uint16_t width, height;
	bool resized;		/* since fbs_decoder_take_damage() */
	int dx0, dy0, dx1, dy1;	/* the damaged box, empty if dx0 >= dx1 */
	uint16_t rects_left;
	bool big_endian;	/* of the recorded pixels */
	uint8_t shift[3];	/* red, green, blue */
	z_stream z;
	bool z_init;
	const char *error;
};

void fbs_decoder_init(struct fbs_decoder *d);
void fbs_decoder_fini(struct fbs_decoder *d);
/* Feed @len bytes of the stream. 0, or -EPROTO with d->error set (a
 * stream this decoder does not take: other than RFB 3.3 with security
 * None, 32 bits per pixel true colour, Raw, Zlib and DesktopSize). */
int fbs_decoder_feed(struct fbs_decoder *d, const uint8_t *p, size_t len);
/* What follows is another recording of the same screen, past its
 * handshake (which the caller skips): a new zlib stream, the same
 * framebuffer. */
void fbs_decoder_new_stream(struct fbs_decoder *d);

#endif
