/* SPDX-License-Identifier: MIT */
/*
 * TightPNG (-260; rfbproto.rst §Tight PNG Encoding; doc/protocol.md,
 * "TightPNG"): the Tight machinery of tight.c restricted to fill, JPEG and PNG (0xA);
 * basic compression is never sent (noVNC rejects it). PNG images are
 * written with libpng into memory: indexed when the rectangle has at most
 * 256 colours, else 8-bit RGB read straight from the framebuffer. PNGs
 * always carry the server's true-colour pixels, also for 8-bpp clients,
 * which should never be offered TightPNG. Built only with HAVE_PNG.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "rfb-proto.h"
#include "tight-common.h"

struct tight_png {
	png_bytep *rows;	/* row pointers, up to the area limit */
	struct buf *out;	/* where the write callback appends */
	int err;
};

void tight_png_free(struct tight_png *pw)
{
	free(pw->rows);
	free(pw);
}

int tight_png_init(struct tight_state *t)
{
	t->pngw = calloc(1, sizeof(*t->pngw));
	if (!t->pngw)
		return -ENOMEM;
	t->pngw->rows = malloc(TIGHT_MAX_AREA * sizeof(png_bytep));
	return t->pngw->rows ? 0 : -ENOMEM;
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

static void tightpng_free(struct encoder *e)
{
	struct tight_state *t = (struct tight_state *)e;

	tight_state_fini(t);
	free(t);
}

static void tightpng_write(png_structp png, png_bytep data, size_t len)
{
	struct tight_png *pw = png_get_io_ptr(png);

	if (buf_append(pw->out, data, len) < 0) {
		pw->err = -ENOMEM;
		png_error(png, "out of memory");
	}
}

static void tightpng_flush(png_structp png)
{
}

static void tightpng_error(png_structp png, png_const_charp msg)
{
	png_longjmp(png, 1);
}

static void tightpng_warning(png_structp png, png_const_charp msg)
{
}

int tight_png_compress(struct tight_state *t, const uint32_t *src,
		       size_t stride, int w, int h, const uint32_t *pal,
		       int npal, const uint8_t *idx, int level,
		       struct buf *out)
{
	struct tight_png *pw = t->pngw;
	png_structp png;
	png_infop info = NULL;
	png_color colours[256];
	const uint16_t one = 1;
	size_t at;
	int depth;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
				      tightpng_error, tightpng_warning);
	if (!png)
		return -ENOMEM;
	info = png_create_info_struct(png);
	if (!info) {
		png_destroy_write_struct(&png, NULL);
		return -ENOMEM;
	}
	if (buf_reserve(out, 3) < 0) {
		png_destroy_write_struct(&png, &info);
		return -ENOMEM;
	}
	at = out->len;
	out->len += 3;
	pw->out = out;
	pw->err = -EIO;
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return pw->err;
	}
	png_set_write_fn(png, pw, tightpng_write, tightpng_flush);
	png_set_compression_level(png, level);
	if (npal > 0) {
		depth = npal <= 2 ? 1 : npal <= 4 ? 2 : npal <= 16 ? 4 : 8;
		png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth,
			     PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
			     PNG_COMPRESSION_TYPE_DEFAULT,
			     PNG_FILTER_TYPE_DEFAULT);
		for (int i = 0; i < npal; i++) {
			colours[i].red = (png_byte)(pal[i] >> 16);
			colours[i].green = (png_byte)(pal[i] >> 8);
			colours[i].blue = (png_byte)pal[i];
		}
		png_set_PLTE(png, info, colours, npal);
		png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
		png_write_info(png, info);
		png_set_packing(png);
		for (int y = 0; y < h; y++)
			pw->rows[y] = (png_bytep)idx + (size_t)y * w;
	} else {
		png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8,
			     PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
			     PNG_COMPRESSION_TYPE_DEFAULT,
			     PNG_FILTER_TYPE_DEFAULT);
		/* libvncserver's choice: filters only from level 5 on. */
		png_set_filter(png, PNG_FILTER_TYPE_BASE,
			       level >= 5 ? PNG_ALL_FILTERS : PNG_FILTER_SUB);
		png_write_info(png, info);
		/* Read XRGB8888 rows in place: drop the X byte, and on
		 * little endian take the bytes B, G, R. */
		if (*(const uint8_t *)&one) {
			png_set_filler(png, 0, PNG_FILLER_AFTER);
			png_set_bgr(png);
		} else {
			png_set_filler(png, 0, PNG_FILLER_BEFORE);
		}
		for (int y = 0; y < h; y++)
			pw->rows[y] = (png_bytep)(src + (size_t)y * stride);
	}
	png_write_image(png, pw->rows);
	png_write_end(png, NULL);
	png_destroy_write_struct(&png, &info);

	{
		size_t len = out->len - at - 3, n = tight_compact_len_size(len);

		if (len > 4194303)
			return -EMSGSIZE;
		out->len = at;
		tight_put_compact_len(out, len);
		if (n < 3)
			memmove(out->data + at + n, out->data + at + 3, len);
		out->len = at + n + len;
	}
	return 0;
}

const struct encoder_ops encoder_tightpng = {
	.type = RFB_ENC_TIGHT_PNG,
	.name = "tightpng",
	.new_state = tightpng_new,
	.free_state = tightpng_free,
	.encode = tight_encode,
};
