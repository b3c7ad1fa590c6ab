/* SPDX-License-Identifier: MIT */
/*
 * The PNG back end of TightPNG (tight.c): images written with libpng into
 * memory, indexed when the rectangle has at most 256 colours, else 8-bit
 * RGB read straight from the framebuffer. Built only with HAVE_PNG.
 */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

#include "buf.h"
#include "tight-png.h"

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

struct tight_png *tight_png_new(size_t max_rows)
{
	struct tight_png *pw = calloc(1, sizeof(*pw));

	if (!pw)
		return NULL;
	pw->rows = malloc(max_rows * sizeof(png_bytep));
	if (!pw->rows) {
		free(pw);
		return NULL;
	}
	return pw;
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

int tight_png_compress(struct tight_png *pw, const uint32_t *src,
		       size_t stride, int w, int h, const uint32_t *pal,
		       int npal, const uint8_t *idx, int level,
		       struct buf *out)
{
	png_structp png;
	png_infop info = NULL;
	png_color colours[256];
	const uint16_t one = 1;
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
	return 0;
}
