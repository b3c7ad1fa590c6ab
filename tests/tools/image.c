/* SPDX-License-Identifier: MIT */
/*
 * Images for the test tools: loading (xwd or PPM, by content), writing PPM,
 * and exact comparison at the precision both images carry. Nothing here
 * knows about RFB or X connections.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"
#include "xwd.h"

struct image *image_new(int width, int height)
{
	struct image *img;

	if (width <= 0 || height <= 0)
		return NULL;
	img = calloc(1, sizeof(*img));
	if (!img)
		return NULL;
	img->px = calloc((size_t)width * height, sizeof(uint32_t));
	if (!img->px) {
		free(img);
		return NULL;
	}
	img->width = width;
	img->height = height;
	img->bits[0] = img->bits[1] = img->bits[2] = 8;
	return img;
}

void image_free(struct image *img)
{
	if (!img)
		return;
	free(img->px);
	free(img);
}

uint8_t image_expand(unsigned v, unsigned bits)
{
	unsigned out = 0, have = 0;

	if (bits == 0)
		return 0;
	if (bits >= 8)
		return (uint8_t)(v >> (bits - 8));
	v &= (1u << bits) - 1;
	while (have < 8) {
		out = out << bits | v;
		have += bits;
	}
	return (uint8_t)(out >> (have - 8));
}

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	uint8_t *buf = NULL, *nbuf;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				free(buf);
				buf = NULL;
				errno = ENOMEM;
				break;
			}
			buf = nbuf;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
				errno = EIO;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

/* Skip whitespace and comments of a PNM header, then read a number. */
static int ppm_number(const uint8_t *d, size_t len, size_t *pos, long *out)
{
	long v = 0;
	int digits = 0;

	while (*pos < len) {
		if (d[*pos] == '#') {
			while (*pos < len && d[*pos] != '\n')
				(*pos)++;
		} else if (d[*pos] == ' ' || d[*pos] == '\t' ||
			   d[*pos] == '\n' || d[*pos] == '\r') {
			(*pos)++;
		} else {
			break;
		}
	}
	while (*pos < len && d[*pos] >= '0' && d[*pos] <= '9') {
		v = v * 10 + (d[*pos] - '0');
		if (v > 1000000)
			return -1;
		(*pos)++;
		digits++;
	}
	*out = v;
	return digits ? 0 : -1;
}

struct image *image_from_ppm(const uint8_t *d, size_t len, char *err,
			     size_t errlen)
{
	struct image *img;
	size_t pos = 2, i, n;
	long w, h, maxval;

	if (len < 2 || d[0] != 'P' || d[1] != '6') {
		snprintf(err, errlen, "not a binary PPM (P6)");
		return NULL;
	}
	if (ppm_number(d, len, &pos, &w) || ppm_number(d, len, &pos, &h) ||
	    ppm_number(d, len, &pos, &maxval) || pos >= len) {
		snprintf(err, errlen, "bad PPM header");
		return NULL;
	}
	pos++;	/* the single whitespace after maxval */
	if (maxval != 255 || w <= 0 || h <= 0 || w > 32768 || h > 32768) {
		snprintf(err, errlen, "PPM %ldx%ld maxval %ld not supported",
			 w, h, maxval);
		return NULL;
	}
	n = (size_t)w * h;
	if (len - pos < n * 3) {
		snprintf(err, errlen, "PPM truncated");
		return NULL;
	}
	img = image_new((int)w, (int)h);
	if (!img) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (i = 0; i < n; i++, pos += 3)
		img->px[i] = (uint32_t)d[pos] << 16 |
			     (uint32_t)d[pos + 1] << 8 | d[pos + 2];
	return img;
}

struct image *image_load(const char *path)
{
	struct image *img;
	uint8_t *data;
	size_t len;
	char err[256];

	data = read_all(path, &len);
	if (!data) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return NULL;
	}
	if (xwd_detect(data, len))
		img = xwd_parse(data, len, err, sizeof(err));
	else
		img = image_from_ppm(data, len, err, sizeof(err));
	free(data);
	if (!img)
		fprintf(stderr, "%s: %s\n", path, err);
	return img;
}

int image_write_ppm(const struct image *img, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "wb") : stdout;
	uint8_t *row;
	int x, y, ret = 0;

	if (!f)
		return -errno;
	row = malloc((size_t)img->width * 3);
	if (!row) {
		ret = -ENOMEM;
		goto out_close;
	}
	fprintf(f, "P6\n%d %d\n255\n", img->width, img->height);
	for (y = 0; y < img->height; y++) {
		const uint32_t *p = img->px + (size_t)y * img->width;

		for (x = 0; x < img->width; x++) {
			row[3 * x] = (uint8_t)(p[x] >> 16);
			row[3 * x + 1] = (uint8_t)(p[x] >> 8);
			row[3 * x + 2] = (uint8_t)p[x];
		}
		if (fwrite(row, 3, (size_t)img->width, f) !=
		    (size_t)img->width) {
			ret = -EIO;
			break;
		}
	}
	free(row);
out_close:
	if (f != stdout) {
		if (fclose(f) && !ret)
			ret = -errno;
	} else if (fflush(f) && !ret) {
		ret = -errno;
	}
	return ret;
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;

	return m < c ? m : c;
}

int image_compare(const struct image *a, const struct image *b,
		  const uint8_t *bits_limit, int tolerance,
		  struct image_diff *d)
{
	unsigned bits[3];
	double sq = 0;
	long n;
	int x, y, c;

	memset(d, 0, sizeof(*d));
	d->bbox_x0 = d->bbox_y0 = -1;
	if (a->width != b->width || a->height != b->height)
		return -1;
	for (c = 0; c < 3; c++)
		bits[c] = min3(a->bits[c], b->bits[c],
			       bits_limit ? bits_limit[c] : 8);

	for (y = 0; y < a->height; y++) {
		for (x = 0; x < a->width; x++) {
			size_t i = (size_t)y * a->width + x;
			uint32_t pa = a->px[i], pb = b->px[i];
			int differ = 0;

			for (c = 0; c < 3; c++) {
				int sh = 16 - 8 * c;
				int ca = (pa >> sh) & 0xff;
				int cb = (pb >> sh) & 0xff;
				int delta = abs(ca - cb);
				int drop = 8 - (int)bits[c];

				sq += (double)delta * delta;
				if (delta > d->max_delta)
					d->max_delta = delta;
				if ((ca >> drop) == (cb >> drop))
					continue;
				if (delta <= tolerance)
					continue;
				differ = 1;
			}
			if (!differ)
				continue;
			if (d->count == 0) {
				d->bbox_x0 = d->bbox_x1 = x;
				d->bbox_y0 = d->bbox_y1 = y;
			}
			if (x < d->bbox_x0)
				d->bbox_x0 = x;
			if (x > d->bbox_x1)
				d->bbox_x1 = x;
			d->bbox_y1 = y;
			if (d->nfirst < 8) {
				d->first_x[d->nfirst] = x;
				d->first_y[d->nfirst] = y;
				d->first_a[d->nfirst] = pa & 0xffffff;
				d->first_b[d->nfirst] = pb & 0xffffff;
				d->nfirst++;
			}
			d->count++;
		}
	}
	n = (long)a->width * a->height * 3;
	d->psnr = sq == 0 ? INFINITY :
			    10 * log10(255.0 * 255.0 / (sq / (double)n));
	return d->count ? 1 : 0;
}

void image_diff_print(FILE *f, const struct image_diff *d)
{
	int i;

	if (!d->count) {
		fprintf(f,
			"images match (max channel delta %d, PSNR %.2f dB)\n",
			d->max_delta, d->psnr);
		return;
	}
	fprintf(f,
		"%ld pixels differ in %dx%d+%d+%d (max channel delta %d, "
		"PSNR %.2f dB); first:",
		d->count, d->bbox_x1 - d->bbox_x0 + 1,
		d->bbox_y1 - d->bbox_y0 + 1, d->bbox_x0, d->bbox_y0,
		d->max_delta, d->psnr);
	for (i = 0; i < d->nfirst; i++)
		fprintf(f, " (%d,%d) #%06x/#%06x", d->first_x[i],
			d->first_y[i], (unsigned)d->first_a[i],
			(unsigned)d->first_b[i]);
	fprintf(f, "\n");
}
