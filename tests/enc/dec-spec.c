/* SPDX-License-Identifier: MIT */
/*
 * The spec decoders of tests/decoders/ behind the enc_decoder interface:
 * updates are parsed here (rect headers; Raw, Hextile and ZlibHex
 * rectangles; Raw, Hextile, ZlibHex, TRLE, ZRLE, and ZYWRLE when sent
 * without wavelet tiles) and decoded into a framebuffer in the client's
 * format.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../decoders/zlibhex.h"
#include "../decoders/zrle.h"
#include "enc-decoder.h"

struct enc_decoder {
	struct zlibhex_dec *zh;
	struct zrle_dec *zr;
	struct pixfmt pf;
	int bpp;
	int fb_w, fb_h;
	int quality, compress;
	uint8_t *fb;
	char log[256];
};

static struct enc_decoder *spec_open(const struct pixfmt *pf, int fb_w,
				     int fb_h, const char *encodings,
				     int quality, int compress)
{
	struct enc_decoder *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->pf = *pf;
	d->bpp = pf->bpp / 8;
	d->fb_w = fb_w;
	d->fb_h = fb_h;
	d->quality = quality;
	d->compress = compress;
	d->fb = calloc((size_t)fb_w * fb_h, (size_t)d->bpp);
	d->zh = zlibhex_dec_new();
	d->zr = zrle_dec_new();
	if (!d->fb || !d->zh || !d->zr) {
		zlibhex_dec_free(d->zh);
		zrle_dec_free(d->zr);
		free(d->fb);
		free(d);
		return NULL;
	}
	return d;
}

static int spec_update(struct enc_decoder *d, const uint8_t *p, size_t len,
		       int nrects)
{
	size_t pos = 0, stride = (size_t)d->fb_w * d->bpp;

	for (int i = 0; i < nrects; i++) {
		int x, y, w, h;
		int32_t enc;
		long n;

		if (len - pos < 12) {
			snprintf(d->log, sizeof(d->log), "short header");
			return -1;
		}
		x = p[pos] << 8 | p[pos + 1];
		y = p[pos + 2] << 8 | p[pos + 3];
		w = p[pos + 4] << 8 | p[pos + 5];
		h = p[pos + 6] << 8 | p[pos + 7];
		enc = (int32_t)((uint32_t)p[pos + 8] << 24 |
				(uint32_t)p[pos + 9] << 16 |
				(uint32_t)p[pos + 10] << 8 | p[pos + 11]);
		pos += 12;
		if (x + w > d->fb_w || y + h > d->fb_h || !w || !h) {
			snprintf(d->log, sizeof(d->log), "bad rect %dx%d+%d+%d",
				 w, h, x, y);
			return -1;
		}
		switch (enc) {
		case 0: {
			size_t row = (size_t)w * d->bpp;

			if (len - pos < row * (size_t)h) {
				snprintf(d->log, sizeof(d->log), "short raw");
				return -1;
			}
			for (int j = 0; j < h; j++)
				memcpy(d->fb + (size_t)(y + j) * stride +
					       (size_t)x * d->bpp,
				       p + pos + row * (size_t)j, row);
			pos += row * (size_t)h;
			break;
		}
		case 5:
		case 8:
			n = zlibhex_dec_rect(d->zh, enc == 8, d->bpp, p + pos,
					     len - pos, d->fb, stride, x, y, w,
					     h, d->log, sizeof(d->log));
			if (n < 0)
				return -1;
			pos += (size_t)n;
			break;
		case 15:
		case 16:
		case 17:	/* ZYWRLE without wavelet tiles is ZRLE */
			n = zrle_dec_rect(d->zr, enc == 15, &d->pf, p + pos,
					  len - pos, d->fb, stride, x, y, w, h,
					  d->log, sizeof(d->log));
			if (n < 0)
				return -1;
			pos += (size_t)n;
			break;
		default:
			snprintf(d->log, sizeof(d->log), "encoding %d", enc);
			return -1;
		}
	}
	if (pos != len) {
		snprintf(d->log, sizeof(d->log), "%zu trailing bytes",
			 len - pos);
		return -1;
	}
	return 0;
}

static int spec_set_levels(struct enc_decoder *d, int quality, int compress)
{
	d->quality = quality;
	d->compress = compress;
	return 0;
}

static void spec_levels(struct enc_decoder *d, int *quality, int *compress)
{
	*quality = d->quality;
	*compress = d->compress;
}

static const uint8_t *spec_fb(struct enc_decoder *d)
{
	return d->fb;
}

static const char *spec_log(struct enc_decoder *d)
{
	return d->log;
}

static void spec_close(struct enc_decoder *d)
{
	if (!d)
		return;
	zlibhex_dec_free(d->zh);
	zrle_dec_free(d->zr);
	free(d->fb);
	free(d);
}

const struct enc_decoder_ops enc_decoder_spec = {
	.name = "spec",
	.open = spec_open,
	.update = spec_update,
	.set_levels = spec_set_levels,
	.levels = spec_levels,
	.fb = spec_fb,
	.log = spec_log,
	.close = spec_close,
};
