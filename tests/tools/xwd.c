/* SPDX-License-Identifier: MIT */
/*
 * XWD decoding for the test tools. The header and colour entries are
 * big-endian on disk; the pixel data keeps the X server's image byte order,
 * which the header records. Only ZPixmap is supported: that is what xwd
 * writes for the root window of any depth >= 8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xwd.h"

#define XWD_HEADER_WORDS 25
#define XWD_FILE_VERSION 7
#define XWD_ZPIXMAP 2
#define XWD_COLOR_LEN 12
#define XWD_TRUE_COLOR 4
#define XWD_DIRECT_COLOR 5

struct xwd_header {
	uint32_t header_size;
	uint32_t file_version;
	uint32_t pixmap_format;
	uint32_t pixmap_depth;
	uint32_t pixmap_width;
	uint32_t pixmap_height;
	uint32_t xoffset;
	uint32_t byte_order;
	uint32_t bitmap_unit;
	uint32_t bitmap_bit_order;
	uint32_t bitmap_pad;
	uint32_t bits_per_pixel;
	uint32_t bytes_per_line;
	uint32_t visual_class;
	uint32_t red_mask;
	uint32_t green_mask;
	uint32_t blue_mask;
	uint32_t bits_per_rgb;
	uint32_t colormap_entries;
	uint32_t ncolors;
	uint32_t window_width;
	uint32_t window_height;
	uint32_t window_x;
	uint32_t window_y;
	uint32_t window_bdrwidth;
};

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void parse_header(const uint8_t *data, struct xwd_header *h)
{
	uint32_t *w = (uint32_t *)h;
	int i;

	for (i = 0; i < XWD_HEADER_WORDS; i++)
		w[i] = get_be32(data + 4 * i);
}

int xwd_detect(const uint8_t *data, size_t len)
{
	return len >= 4 * XWD_HEADER_WORDS &&
	       get_be32(data + 4) == XWD_FILE_VERSION &&
	       get_be32(data) >= 4 * XWD_HEADER_WORDS;
}

struct channel {
	uint32_t mask;
	unsigned shift;
	unsigned bits;
};

static void channel_init(struct channel *c, uint32_t mask)
{
	c->mask = mask;
	c->shift = 0;
	c->bits = 0;
	if (!mask)
		return;
	while (!(mask & 1)) {
		mask >>= 1;
		c->shift++;
	}
	while (mask & 1) {
		mask >>= 1;
		c->bits++;
	}
}

static uint8_t channel_get(const struct channel *c, uint32_t pixel)
{
	uint32_t v = (pixel & c->mask) >> c->shift;

	if (c->bits >= 8)
		return (uint8_t)(v >> (c->bits - 8));
	return image_expand(v, c->bits);
}

static uint32_t read_pixel(const uint8_t *p, unsigned bpp, int msb_first)
{
	unsigned n = bpp / 8, i;
	uint32_t v = 0;

	if (msb_first) {
		for (i = 0; i < n; i++)
			v = v << 8 | p[i];
	} else {
		for (i = n; i > 0; i--)
			v = v << 8 | p[i - 1];
	}
	return v;
}

/* A pseudo-colour pixel: find its entry in the dumped colour map. */
static uint32_t lookup_colour(const uint8_t *cmap, uint32_t ncolors,
			      uint32_t pixel)
{
	uint32_t i;
	const uint8_t *e;

	/* xwd writes entries in pixel order, so try the direct index first */
	if (pixel < ncolors && get_be32(cmap + pixel * XWD_COLOR_LEN) == pixel)
		e = cmap + pixel * XWD_COLOR_LEN;
	else {
		e = NULL;
		for (i = 0; i < ncolors; i++) {
			if (get_be32(cmap + i * XWD_COLOR_LEN) == pixel) {
				e = cmap + i * XWD_COLOR_LEN;
				break;
			}
		}
		if (!e)
			return 0;
	}
	return (uint32_t)e[4] << 16 | (uint32_t)e[6] << 8 | e[8];
}

struct image *xwd_parse(const uint8_t *data, size_t len, char *err,
			size_t errlen)
{
	struct xwd_header h;
	struct channel ch[3];
	const uint8_t *cmap, *pix;
	struct image *img;
	size_t need;
	int x, y, true_colour;

	if (!xwd_detect(data, len)) {
		snprintf(err, errlen, "not an XWD version 7 file");
		return NULL;
	}
	parse_header(data, &h);
	if (h.pixmap_format != XWD_ZPIXMAP) {
		snprintf(err, errlen, "XWD pixmap format %u is not ZPixmap",
			 h.pixmap_format);
		return NULL;
	}
	if (h.bits_per_pixel != 8 && h.bits_per_pixel != 16 &&
	    h.bits_per_pixel != 24 && h.bits_per_pixel != 32) {
		snprintf(err, errlen, "XWD: %u bits per pixel not supported",
			 h.bits_per_pixel);
		return NULL;
	}
	if (h.pixmap_width == 0 || h.pixmap_height == 0 ||
	    h.pixmap_width > 32768 || h.pixmap_height > 32768 ||
	    h.bytes_per_line < h.pixmap_width * (h.bits_per_pixel / 8)) {
		snprintf(err, errlen, "XWD: bad geometry %ux%u, %u bytes/line",
			 h.pixmap_width, h.pixmap_height, h.bytes_per_line);
		return NULL;
	}
	need = (size_t)h.header_size + (size_t)h.ncolors * XWD_COLOR_LEN +
	       (size_t)h.bytes_per_line * h.pixmap_height;
	if (h.ncolors > 65536 || len < need) {
		snprintf(err, errlen, "XWD: truncated (%zu of %zu bytes)", len,
			 need);
		return NULL;
	}
	cmap = data + h.header_size;
	pix = cmap + (size_t)h.ncolors * XWD_COLOR_LEN;
	true_colour = h.visual_class == XWD_TRUE_COLOR ||
		      h.visual_class == XWD_DIRECT_COLOR;
	if (true_colour && (!h.red_mask || !h.green_mask || !h.blue_mask)) {
		snprintf(err, errlen, "XWD: true colour without masks");
		return NULL;
	}

	img = image_new((int)h.pixmap_width, (int)h.pixmap_height);
	if (!img) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	channel_init(&ch[0], h.red_mask);
	channel_init(&ch[1], h.green_mask);
	channel_init(&ch[2], h.blue_mask);
	if (true_colour) {
		for (x = 0; x < 3; x++)
			img->bits[x] = ch[x].bits < 8 ? ch[x].bits : 8;
	}

	for (y = 0; y < img->height; y++) {
		const uint8_t *row = pix + (size_t)y * h.bytes_per_line;
		uint32_t *out = img->px + (size_t)y * img->width;

		for (x = 0; x < img->width; x++) {
			const uint8_t *src = row + x * (h.bits_per_pixel / 8);
			uint32_t p = read_pixel(src, h.bits_per_pixel,
						h.byte_order != 0);

			if (!true_colour) {
				out[x] = lookup_colour(cmap, h.ncolors, p);
				continue;
			}
			out[x] = (uint32_t)channel_get(&ch[0], p) << 16 |
				 (uint32_t)channel_get(&ch[1], p) << 8 |
				 channel_get(&ch[2], p);
		}
	}
	return img;
}
