/* SPDX-License-Identifier: MIT */
/*
 * A Tight / TightPNG decoder written from the specification, for encoder
 * round trips (libvncclient decodes Tight but not TightPNG). It checks what
 * clients check and a little more: rectangle limits (2048 wide, 65536
 * pixels, fill included), compact lengths that are not zero and match the
 * zlib data exactly, control bytes valid for the encoding and options,
 * palettes of 2..256 colours, gradient only at 16/32 bpp, JPEG and PNG
 * images of the rectangle's size. JPEG through TurboJPEG, PNG through
 * libpng's simplified API.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include "tightpng.h"

#define TDEC_MAX_WIDTH 2048
#define TDEC_MAX_AREA 65536

struct tdec {
	z_stream zs[4];
	bool active[4];
	tjhandle tj;
	struct tdec_stats st;
	char err[256];
	uint8_t *buf;		/* inflated data */
	uint8_t *img;		/* decoded RGB */
};

/* Input cursor. */
struct tdec_in {
	const uint8_t *p;
	size_t left;
};

static int __attribute__((format(printf, 2, 3)))
tdec_fail(struct tdec *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

struct tdec *tdec_new(void)
{
	struct tdec *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->buf = malloc(TDEC_MAX_AREA * 4 + 16);
	d->img = malloc(TDEC_MAX_AREA * 3 + 16);
	if (!d->buf || !d->img) {
		tdec_free(d);
		return NULL;
	}
	return d;
}

void tdec_free(struct tdec *d)
{
	if (!d)
		return;
	for (int i = 0; i < 4; i++)
		if (d->active[i])
			inflateEnd(&d->zs[i]);
	if (d->tj)
		tjDestroy(d->tj);
	free(d->buf);
	free(d->img);
	free(d);
}

const struct tdec_stats *tdec_stats(const struct tdec *d)
{
	return &d->st;
}

const char *tdec_error(const struct tdec *d)
{
	return d->err;
}

static const uint8_t *tdec_take(struct tdec_in *in, size_t n)
{
	const uint8_t *p = in->p;

	if (in->left < n)
		return NULL;
	in->p += n;
	in->left -= n;
	return p;
}

static bool tdec_is888(const struct pixfmt *pf)
{
	return pf->true_colour && pf->bpp == 32 && pf->depth == 24 &&
	       pf->red_max == 255 && pf->green_max == 255 &&
	       pf->blue_max == 255 && pf->red_shift % 8 == 0 &&
	       pf->green_shift % 8 == 0 && pf->blue_shift % 8 == 0;
}

/* Read one TPIXEL as a client pixel value. */
static int tdec_tpixel(struct tdec *d, struct tdec_in *in,
		       const struct pixfmt *pf, uint32_t *v)
{
	const uint8_t *p;

	if (tdec_is888(pf)) {
		p = tdec_take(in, 3);
		if (!p)
			return tdec_fail(d, "truncated TPIXEL");
		*v = (uint32_t)p[0] << pf->red_shift |
		     (uint32_t)p[1] << pf->green_shift |
		     (uint32_t)p[2] << pf->blue_shift;
		return 0;
	}
	p = tdec_take(in, pf->bpp / 8);
	if (!p)
		return tdec_fail(d, "truncated TPIXEL");
	*v = pixfmt_get(pf, p);
	return 0;
}

static int tdec_compact_len(struct tdec *d, struct tdec_in *in, size_t *len)
{
	const uint8_t *p;
	size_t v;

	if (!(p = tdec_take(in, 1)))
		return tdec_fail(d, "truncated compact length");
	v = p[0] & 0x7f;
	if (p[0] & 0x80) {
		if (!(p = tdec_take(in, 1)))
			return tdec_fail(d, "truncated compact length");
		v |= (size_t)(p[0] & 0x7f) << 7;
		if (p[0] & 0x80) {
			if (!(p = tdec_take(in, 1)))
				return tdec_fail(d, "truncated compact length");
			v |= (size_t)p[0] << 14;
		}
	}
	if (v == 0)
		return tdec_fail(d, "compact length 0 (libvncclient rejects)");
	*len = v;
	return 0;
}

/* Get @n filtered bytes into d->buf: plain when short, else compact length
 * and zlib data of stream @sid (or plain data with @nozlib). */
static int tdec_data(struct tdec *d, struct tdec_in *in, int sid,
		     bool nozlib, size_t n)
{
	const uint8_t *p;
	size_t clen;
	z_stream *zs = &d->zs[sid];
	int ret;

	if (n < 12) {
		if (!(p = tdec_take(in, n)))
			return tdec_fail(d, "truncated short data");
		memcpy(d->buf, p, n);
		return 0;
	}
	if (tdec_compact_len(d, in, &clen) < 0)
		return -1;
	if (!(p = tdec_take(in, clen)))
		return tdec_fail(d, "truncated data (%zu bytes)", clen);
	if (nozlib) {
		if (clen != n)
			return tdec_fail(d, "no-zlib length %zu, want %zu",
					 clen, n);
		memcpy(d->buf, p, n);
		return 0;
	}
	if (!d->active[sid]) {
		memset(zs, 0, sizeof(*zs));
		if (inflateInit(zs) != Z_OK)
			return tdec_fail(d, "inflateInit");
		d->active[sid] = true;
	}
	zs->next_in = (Bytef *)p;
	zs->avail_in = (uInt)clen;
	zs->next_out = d->buf;
	zs->avail_out = (uInt)n;
	ret = inflate(zs, Z_SYNC_FLUSH);
	if (ret != Z_OK)
		return tdec_fail(d, "inflate stream %d: %d %s", sid, ret,
				 zs->msg ? zs->msg : "");
	if (zs->avail_out != 0)
		return tdec_fail(d, "stream %d: %u of %zu bytes missing", sid,
				 zs->avail_out, n);
	if (zs->avail_in != 0) {
		/* Only an empty sync-flush block may remain. */
		uint8_t extra[16];

		zs->next_out = extra;
		zs->avail_out = sizeof(extra);
		ret = inflate(zs, Z_SYNC_FLUSH);
		if ((ret != Z_OK && ret != Z_BUF_ERROR) ||
		    zs->avail_out != sizeof(extra) || zs->avail_in != 0)
			return tdec_fail(d, "stream %d: extra data", sid);
	}
	return 0;
}

/* Convert filtered TPIXELs in d->buf to client pixels. */
static void tdec_copy(struct tdec *d, const struct pixfmt *pf, int w, int h,
		      uint32_t *dst, size_t stride)
{
	const uint8_t *s = d->buf;
	bool p888 = tdec_is888(pf);

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t v;

			if (p888) {
				v = (uint32_t)s[0] << pf->red_shift |
				    (uint32_t)s[1] << pf->green_shift |
				    (uint32_t)s[2] << pf->blue_shift;
				s += 3;
			} else {
				v = pixfmt_get(pf, s);
				s += pf->bpp / 8;
			}
			dst[(size_t)y * stride + x] = v;
		}
}

/* Gradient filter (spec): each channel predicted from left, up and
 * up-left in the range [0, max]; outside samples are 0. */
static void tdec_gradient(struct tdec *d, const struct pixfmt *pf, int w,
			  int h, uint32_t *dst, size_t stride)
{
	const uint8_t *s = d->buf;
	bool p888 = tdec_is888(pf);
	unsigned max[3] = { pf->red_max, pf->green_max, pf->blue_max };
	unsigned sh[3] = { pf->red_shift, pf->green_shift, pf->blue_shift };
	int *prev = calloc((size_t)(w + 1) * 3, sizeof(int));
	int *cur = calloc((size_t)(w + 1) * 3, sizeof(int));

	if (!prev || !cur)
		abort();
	for (int y = 0; y < h; y++) {
		/* cur/prev[(x + 1) * 3 + c]: index 0 is the outside column */
		for (int x = 0; x < w; x++) {
			unsigned res[3];
			uint32_t v = 0;

			if (p888) {
				res[0] = s[0];
				res[1] = s[1];
				res[2] = s[2];
				s += 3;
			} else {
				uint32_t pv = pixfmt_get(pf, s);

				s += pf->bpp / 8;
				for (int c = 0; c < 3; c++)
					res[c] = (pv >> sh[c]) & max[c];
			}
			for (int c = 0; c < 3; c++) {
				int e = cur[x * 3 + c] + prev[(x + 1) * 3 + c] -
					prev[x * 3 + c];

				e = e < 0 ? 0 : e > (int)max[c] ? (int)max[c] : e;
				cur[(x + 1) * 3 + c] =
					(int)((res[c] + (unsigned)e) & max[c]);
				v |= (uint32_t)cur[(x + 1) * 3 + c] << sh[c];
			}
			dst[(size_t)y * stride + x] = v;
		}
		memcpy(prev, cur, (size_t)(w + 1) * 3 * sizeof(int));
	}
	free(prev);
	free(cur);
}

static int tdec_image(struct tdec *d, const struct tdec_opts *o, int w,
		      int h, uint32_t *dst, size_t stride)
{
	const uint8_t *s = d->img;

	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++, s += 3)
			dst[(size_t)y * stride + x] =
				o->rgb(o->rgb_arg, s[0], s[1], s[2]);
	return 0;
}

static int tdec_jpeg(struct tdec *d, const struct tdec_opts *o,
		     struct tdec_in *in, int w, int h, uint32_t *dst,
		     size_t stride)
{
	const uint8_t *p;
	size_t len;
	int jw, jh, sub, cs;

	if (tdec_compact_len(d, in, &len) < 0)
		return -1;
	if (!(p = tdec_take(in, len)))
		return tdec_fail(d, "truncated JPEG");
	if (!d->tj && !(d->tj = tjInitDecompress()))
		return tdec_fail(d, "tjInitDecompress");
	if (tjDecompressHeader3(d->tj, p, len, &jw, &jh, &sub, &cs) != 0)
		return tdec_fail(d, "JPEG header: %s", tjGetErrorStr());
	if (jw != w || jh != h)
		return tdec_fail(d, "JPEG %dx%d in a %dx%d rect", jw, jh, w, h);
	if (tjDecompress2(d->tj, p, len, d->img, w, w * 3, h, TJPF_RGB, 0))
		return tdec_fail(d, "JPEG: %s", tjGetErrorStr());
	d->st.jpeg++;
	return tdec_image(d, o, w, h, dst, stride);
}

static int tdec_png(struct tdec *d, const struct tdec_opts *o,
		    struct tdec_in *in, int w, int h, uint32_t *dst,
		    size_t stride)
{
	png_image img;
	const uint8_t *p;
	size_t len;

	if (tdec_compact_len(d, in, &len) < 0)
		return -1;
	if (!(p = tdec_take(in, len)))
		return tdec_fail(d, "truncated PNG");
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, p, len))
		return tdec_fail(d, "PNG: %s", img.message);
	if ((int)img.width != w || (int)img.height != h) {
		png_image_free(&img);
		return tdec_fail(d, "PNG %ux%u in a %dx%d rect", img.width,
				 img.height, w, h);
	}
	img.format = PNG_FORMAT_RGB;
	if (!png_image_finish_read(&img, NULL, d->img, w * 3, NULL))
		return tdec_fail(d, "PNG: %s", img.message);
	d->st.png++;
	return tdec_image(d, o, w, h, dst, stride);
}

static int tdec_tight(struct tdec *d, const struct tdec_opts *o,
		      const struct pixfmt *pf, struct tdec_in *in, int w,
		      int h, uint32_t *dst, size_t stride)
{
	const uint8_t *p;
	unsigned ctl, method;
	int bytes = pf->bpp / 8, tp = tdec_is888(pf) ? 3 : pf->bpp / 8;
	bool nozlib = false;
	int filter = 0, ncol = 0;
	uint32_t pal[256], v;

	if (w > TDEC_MAX_WIDTH || (long)w * h > TDEC_MAX_AREA)
		return tdec_fail(d, "rect %dx%d over the Tight limits", w, h);
	if (!(p = tdec_take(in, 1)))
		return tdec_fail(d, "truncated control byte");
	ctl = p[0];
	for (int i = 0; i < 4; i++)
		if (ctl & (1u << i)) {
			d->st.resets++;
			if (d->active[i]) {
				inflateEnd(&d->zs[i]);
				d->active[i] = false;
			}
		}
	method = ctl >> 4;
	if (method == 0x8) {
		if (tdec_tpixel(d, in, pf, &v) < 0)
			return -1;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				dst[(size_t)y * stride + x] = v;
		d->st.fill++;
		return 0;
	}
	if (method == 0x9) {
		if (bytes < 2 || !pf->true_colour)
			return tdec_fail(d, "JPEG to a %d bpp client", pf->bpp);
		return tdec_jpeg(d, o, in, w, h, dst, stride);
	}
	if (o->png) {
		if (method == 0xA)
			return tdec_png(d, o, in, w, h, dst, stride);
		return tdec_fail(d, "control 0x%02x in TightPNG", ctl);
	}
	if (method == 0xA || method == 0xE) {
		if (!o->nozlib)
			return tdec_fail(d, "no-zlib control 0x%02x without -317",
					 ctl);
		nozlib = true;
		d->st.nozlib++;
		method &= ~0xAu;
	} else if (method > 0x7) {
		return tdec_fail(d, "invalid control byte 0x%02x", ctl);
	}
	if (method & 0x4) {
		if (!(p = tdec_take(in, 1)))
			return tdec_fail(d, "truncated filter id");
		filter = p[0];
	}
	switch (filter) {
	case 0:
		if (tdec_data(d, in, method & 3, nozlib,
			      (size_t)w * h * tp) < 0)
			return -1;
		tdec_copy(d, pf, w, h, dst, stride);
		d->st.copy++;
		return 0;
	case 1:
		if (!(p = tdec_take(in, 1)))
			return tdec_fail(d, "truncated palette size");
		ncol = p[0] + 1;
		if (ncol < 2)
			return tdec_fail(d, "palette of 1 colour");
		for (int i = 0; i < ncol; i++)
			if (tdec_tpixel(d, in, pf, &pal[i]) < 0)
				return -1;
		if (ncol == 2) {
			size_t row = ((size_t)w + 7) / 8;

			if (tdec_data(d, in, method & 3, nozlib, row * h) < 0)
				return -1;
			for (int y = 0; y < h; y++)
				for (int x = 0; x < w; x++) {
					unsigned b = d->buf[y * row + x / 8] >>
						     (7 - x % 8) & 1;

					dst[(size_t)y * stride + x] = pal[b];
				}
			d->st.mono++;
			return 0;
		}
		if (tdec_data(d, in, method & 3, nozlib, (size_t)w * h) < 0)
			return -1;
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				unsigned i = d->buf[(size_t)y * w + x];

				if ((int)i >= ncol)
					return tdec_fail(d, "index %u of %d", i,
							 ncol);
				dst[(size_t)y * stride + x] = pal[i];
			}
		d->st.indexed++;
		return 0;
	case 2:
		if (bytes < 2)
			return tdec_fail(d, "gradient at %d bpp", pf->bpp);
		if (tdec_data(d, in, method & 3, nozlib,
			      (size_t)w * h * tp) < 0)
			return -1;
		tdec_gradient(d, pf, w, h, dst, stride);
		d->st.gradient++;
		return 0;
	default:
		return tdec_fail(d, "unknown filter %d", filter);
	}
}

long tdec_update(struct tdec *d, const struct tdec_opts *o,
		 const struct pixfmt *pf, const uint8_t *data, size_t len,
		 int nrects, uint32_t *fb, int fb_w, int fb_h)
{
	struct tdec_in in = { data, len };

	for (int i = 0; i < nrects; i++) {
		const uint8_t *h = tdec_take(&in, 12);
		int x, y, w, hh;
		int32_t enc;
		uint32_t *dst;

		if (!h)
			return tdec_fail(d, "truncated rect header %d", i);
		x = h[0] << 8 | h[1];
		y = h[2] << 8 | h[3];
		w = h[4] << 8 | h[5];
		hh = h[6] << 8 | h[7];
		enc = (int32_t)((uint32_t)h[8] << 24 | (uint32_t)h[9] << 16 |
				(uint32_t)h[10] << 8 | h[11]);
		if (w == 0 || hh == 0)
			return tdec_fail(d, "empty rect %d", i);
		if (x + w > fb_w || y + hh > fb_h)
			return tdec_fail(d, "rect %d,%d %dx%d outside %dx%d", x,
					 y, w, hh, fb_w, fb_h);
		dst = fb + (size_t)y * fb_w + x;
		if (enc == 0) {
			size_t n = (size_t)w * hh * (pf->bpp / 8);
			const uint8_t *p = tdec_take(&in, n);

			if (!p)
				return tdec_fail(d, "truncated raw rect");
			for (int yy = 0; yy < hh; yy++)
				for (int xx = 0; xx < w; xx++, p += pf->bpp / 8)
					dst[(size_t)yy * fb_w + xx] =
						pixfmt_get(pf, p);
			d->st.raw++;
			continue;
		}
		if (enc != (o->png ? -260 : 7))
			return tdec_fail(d, "rect encoding %d", (int)enc);
		if (tdec_tight(d, o, pf, &in, w, hh, dst, (size_t)fb_w) < 0)
			return -1;
	}
	return (long)(len - in.left);
}
