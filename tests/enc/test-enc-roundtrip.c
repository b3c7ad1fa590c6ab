/* SPDX-License-Identifier: MIT */
/*
 * Encoder round trips: every encoder x pixel format x image class x size
 * is encoded by our encoders and decoded by an independent decoder
 * (libvncclient through a fake server, or a spec decoder from
 * tests/decoders/), then compared pixel for pixel (or by PSNR where the
 * encoding is lossy). Each (encoder, format, decoder) runs as one
 * connection carrying a sequence of updates, some with several
 * rectangles, while the compression level changes, so persistent zlib
 * streams are exercised as a real session would.
 *
 * To add an encoder, add a line to `encoders[]` below. Usage:
 *   test-enc-roundtrip [-v] [-q] [encoder-name...]
 * -q drops the full-frame size (quick run while developing).
 */
#include "config.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "enc-decoder.h"
#include "enc-images.h"
#include "encoder.h"
#include "worker.h"
#include "rfb-proto.h"

#define FB_W 1920
#define FB_H 1080

/* A decoder run: which decoder and, for lossy encodings, which quality
 * the client asks for; QUALITY_NONE: the client says 5 but the server acts
 * as if no QualityLevel had been sent). */
#define QUALITY_NONE -2
#define QUALITY_END -100

struct enc_case {
	const char *name;
	int32_t type;
	const char *client_encodings;	/* libvncclient encodings string */
	const struct enc_decoder_ops *const *decoders;
	const int *qualities;	/* client qualities, end with QUALITY_END */
	/* Minimum PSNR (dB) for a w x h rect of @cls at the server's
	 * parameters @p, or 0 when it must be exact. NULL: always exact. */
	double (*min_psnr)(const struct enc_params *p, enum img_class cls,
			   int w, int h);
};

static const struct enc_decoder_ops *const by_lvc[] = {
	&enc_decoder_libvncclient, NULL
};
static const struct enc_decoder_ops *const by_lvc_spec[] = {
	&enc_decoder_libvncclient, &enc_decoder_spec, NULL
};
static const struct enc_decoder_ops *const by_spec[] = {
	&enc_decoder_spec, NULL
};

/* ZYWRLE: lossy at quality 0..8 (level 3, 2, 1), lossless otherwise. */
static const int zywrle_qualities[] = { 0, 2, 3, 5, 6, 8, 9, QUALITY_NONE,
					QUALITY_END };

/* Thresholds sit about 2 dB under what libvncserver's own ZYWRLE
 * analysis (which ours matches bit for bit) achieves on these images;
 * a decoder that inverts the wavelet wrongly lands far below. Rects
 * smaller than a tile get a floor only: a 2 x 3 gradient is the worst
 * case of a 2 x 2 Haar step. */
static double zywrle_min_psnr(const struct enc_params *p, enum img_class c,
			      int w, int h)
{
	static const double by_level[4][IMG_NCLASSES] = {
		/* solid text ui gradient noise photo */
		{ 0, 0, 0, 0, 0, 0 },
		{ 0, 0, 18, 23, 9.5, 26.5 },
		{ 0, 0, 18, 17, 9, 24 },
		{ 0, 0, 18.5, 16, 8.5, 20 },
	};
	int q = p->quality, level;

	if (p->pc->bytes == 1 || q < 0 || q > 8)
		return 0;
	level = q < 3 ? 3 : q < 6 ? 2 : 1;
	if (!by_level[level][c])
		return 0;
	return w < 16 || h < 16 ? 8 : by_level[level][c];
}

/* Tight: lossless without a quality level; with one, JPEG for rects of
 * 512 pixels or more with more colours than a palette takes (solid, text
 * and 16-colour UI stay exact). TightPNG is checked in test-enc-tight
 * (libvncclient has no decoder for it). */
static const int tight_qualities[] = { QUALITY_NONE, 1, 6, 9, QUALITY_END };

static double tight_min_psnr(const struct enc_params *p, enum img_class c,
			     int w, int h)
{
	if (p->quality < 0 || c == IMG_SOLID || c == IMG_TEXT || c == IMG_UI)
		return 0;
	/* JPEG at quality 29 (level 1) .. 100 (level 9); white noise is its
	 * worst case. */
	if (c == IMG_NOISE)
		return p->quality >= 9 ? 30 : 10;
	return p->quality >= 6 ? 30 : 24;
}

static const struct enc_case encoders[] = {
	{ "raw", RFB_ENC_RAW, "raw", by_lvc_spec, NULL, NULL },
	{ "rre", RFB_ENC_RRE, "rre", by_lvc, NULL, NULL },
	{ "corre", RFB_ENC_CORRE, "corre", by_lvc, NULL, NULL },
	{ "hextile", RFB_ENC_HEXTILE, "hextile", by_lvc_spec, NULL, NULL },
	{ "zlib", RFB_ENC_ZLIB, "zlib", by_lvc, NULL, NULL },
	{ "zlibhex", RFB_ENC_ZLIBHEX, "zlibhex", by_spec, NULL, NULL },
	{ "trle", RFB_ENC_TRLE, "trle", by_lvc_spec, NULL, NULL },
	{ "zrle", RFB_ENC_ZRLE, "zrle", by_lvc_spec, NULL, NULL },
	{ "zywrle", RFB_ENC_ZYWRLE, "zywrle", by_lvc_spec, zywrle_qualities,
	  zywrle_min_psnr },
	{ "tight", RFB_ENC_TIGHT, "tight", by_lvc, tight_qualities,
	  tight_min_psnr },
};

struct fmt_case {
	const char *name;
	struct pixfmt pf;
	bool full;		/* include the full-frame size */
};

static const struct fmt_case formats[] = {
	{ "32le", { 32, 24, 0, 1, 255, 255, 255, 16, 8, 0 }, true },
	{ "32be", { 32, 24, 1, 1, 255, 255, 255, 16, 8, 0 }, false },
	{ "32le-rgbx", { 32, 24, 0, 1, 255, 255, 255, 0, 8, 16 }, false },
	{ "32le-hi", { 32, 24, 0, 1, 255, 255, 255, 24, 16, 8 }, false },
	{ "32be-hi", { 32, 24, 1, 1, 255, 255, 255, 24, 16, 8 }, false },
	{ "16le-565", { 16, 16, 0, 1, 31, 63, 31, 11, 5, 0 }, true },
	{ "16be-565", { 16, 16, 1, 1, 31, 63, 31, 11, 5, 0 }, false },
	{ "16le-555", { 16, 15, 0, 1, 31, 31, 31, 10, 5, 0 }, false },
	{ "16be-555", { 16, 15, 1, 1, 31, 31, 31, 10, 5, 0 }, false },
	{ "8-bgr233", { 8, 8, 0, 1, 7, 7, 3, 0, 3, 6 }, true },
	{ "8-cmap", { 8, 8, 0, 0, 0, 0, 0, 0, 0, 0 }, false },
};

static const struct {
	int w, h;
} sizes[] = {
	{ 1, 1 },     { 2, 3 },	    { 15, 16 },	  { 16, 16 },	{ 17, 13 },
	{ 31, 33 },   { 48, 48 },   { 63, 65 },	  { 64, 64 },	{ 65, 63 },
	{ 127, 129 }, { 129, 127 }, { 255, 257 }, { 300, 200 }, { FB_W, FB_H },
};

#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static bool verbose, quick;
static uint32_t *full_cache[IMG_NCLASSES];	/* full-frame images */
/* Every run draws the same sequence of images: keep them, by update and
 * rectangle (drawing is a large part of the run time otherwise). */
#define MAX_UPDATES 128
static uint32_t *rect_cache[MAX_UPDATES][2];

/* Combinations a decoder cannot check, and why (NULL: none). */
static const char *skip_reason(const struct enc_case *ec,
			       const struct fmt_case *fc,
			       const struct enc_decoder_ops *dec, int quality)
{
	const struct pixfmt *pf = &fc->pf;
	uint32_t used = (uint32_t)pf->red_max << pf->red_shift |
			(uint32_t)pf->green_max << pf->green_shift |
			(uint32_t)pf->blue_max << pf->blue_shift;
	bool ls_only = pf->true_colour && used < (1u << 24) && (used & 0xff);
	bool zrle = ec->type == RFB_ENC_ZRLE || ec->type == RFB_ENC_TRLE ||
		    ec->type == RFB_ENC_ZYWRLE;

	if (dec == &enc_decoder_libvncclient && zrle && pf->bpp == 32 &&
	    pf->big_endian && ls_only)
		return "libvncclient 0.9.14 misplaces 3-byte CPIXELs of "
		       "big-endian formats whose colour is in the low bytes "
		       "(HandleZRLE24Down shifts the wrong way)";
	if (dec == &enc_decoder_libvncclient && ec->type == RFB_ENC_TIGHT &&
	    pf->bpp == 32 && pf->big_endian && pf->depth == 24)
		return "libvncclient 0.9.14 stores 3-byte Tight TPIXELs in "
		       "host order (RGB24_TO_PIXEL32), wrong for big-endian "
		       "formats";
	if (dec == &enc_decoder_libvncclient && ec->type == RFB_ENC_TIGHT &&
	    pf->bpp == 16 && pf->big_endian && quality >= 0)
		return "libvncclient 0.9.14 converts Tight JPEG to 16 bpp "
		       "pixels in host order";
	if (dec == &enc_decoder_libvncclient && ec->type == RFB_ENC_TIGHT &&
	    pf->bpp == 32 && quality >= 0 && pf->green_shift != 8)
		return "libvncclient 0.9.14 decodes Tight JPEG only into "
		       "formats with the colour in the low three bytes";
	if (ec->type == RFB_ENC_ZYWRLE && quality >= 0 && quality <= 8) {
		bool wavelet = !pf->big_endian && pf->true_colour &&
			       ((pf->bpp == 32 && ls_only) ||
				(pf->bpp == 16 && pf->green_max == 63));

		if (wavelet && dec == &enc_decoder_spec)
			return "the spec decoder has no inverse wavelet";
		if (!wavelet && quality != 0)
			return "no wavelet in this format: same as q=0";
	}
	return NULL;
}
static uint32_t *frame;		/* the server framebuffer, FB_W x FB_H */

static uint32_t colour_mask(const struct pixfmt *pf)
{
	if (!pf->true_colour)
		return 0xff;
	return (uint32_t)pf->red_max << pf->red_shift |
	       (uint32_t)pf->green_max << pf->green_shift |
	       (uint32_t)pf->blue_max << pf->blue_shift;
}

/* Compare the rect; returns the PSNR (INFINITY when exact). */
static double compare(const struct pixconv *pc, const uint8_t *fb,
		      const struct rect *r, long *bad, int *bx, int *by,
		      uint32_t *want, uint32_t *got)
{
	const struct pixfmt *pf = &pc->pf;
	uint32_t mask = colour_mask(pf);
	int bpp = pf->bpp / 8;
	double se = 0;

	*bad = 0;
	for (int y = r->y; y < r->y + r->h; y++)
		for (int x = r->x; x < r->x + r->w; x++) {
			uint32_t e = pixconv_pixel(pc,
						   frame[(size_t)y * FB_W + x]) &
				     mask;
			uint32_t g = pixfmt_get(pf, fb + ((size_t)y * FB_W + x) *
							     (size_t)bpp) &
				     mask;

			if (e == g)
				continue;
			if (!*bad) {
				*bx = x;
				*by = y;
				*want = e;
				*got = g;
			}
			(*bad)++;
			e = pixfmt_to_xrgb(pf, e);
			g = pixfmt_to_xrgb(pf, g);
			for (int s = 0; s < 24; s += 8) {
				int d = (int)(e >> s & 255) - (int)(g >> s & 255);

				se += d * d;
			}
		}
	if (!*bad)
		return INFINITY;
	se /= 3.0 * r->w * r->h;
	return 10 * log10(255.0 * 255.0 / se);
}

struct run_stats {
	int updates;
	size_t bytes, raw_bytes;
	double min_psnr;
};

__attribute__((format(printf, 5, 6)))
static int fail(const struct enc_case *ec, const struct fmt_case *fc,
		const struct enc_decoder_ops *dec, int q, const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s %s %s q=%d: ", ec->name, fc->name, dec->name, q);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return -1;
}

/* Draw an image into the frame (update @u, rectangle @k). Images are
 * made once and copied afterwards. */
static void draw(enum img_class c, uint32_t seed, const struct rect *r,
		 int u, int k)
{
	size_t n = (size_t)FB_W * FB_H;

	if (r->w != FB_W || r->h != FB_H) {
		uint32_t **cache = u < MAX_UPDATES ? &rect_cache[u][k] : NULL;
		uint32_t *row = frame + (size_t)r->y * FB_W + r->x;

		if (cache && !*cache) {
			*cache = malloc((size_t)r->w * r->h * sizeof(*row));
			if (*cache)
				img_draw(c, seed, *cache, (size_t)r->w, 0, 0,
					 r->w, r->h);
		}
		if (!cache || !*cache) {
			img_draw(c, seed, frame, FB_W, r->x, r->y, r->w, r->h);
			return;
		}
		for (int j = 0; j < r->h; j++)
			memcpy(row + (size_t)j * FB_W,
			       *cache + (size_t)j * r->w,
			       (size_t)r->w * sizeof(*row));
		return;
	}
	if (!full_cache[c]) {
		full_cache[c] = malloc(n * sizeof(*frame));
		if (!full_cache[c]) {
			img_draw(c, 1, frame, FB_W, 0, 0, FB_W, FB_H);
			return;
		}
		img_draw(c, 1, full_cache[c], FB_W, 0, 0, FB_W, FB_H);
	}
	memcpy(frame, full_cache[c], n * sizeof(*frame));
}

/* One connection: the whole sequence of updates. */
static int run(const struct enc_case *ec, const struct fmt_case *fc,
	       const struct enc_decoder_ops *dec, int quality, bool full,
	       struct run_stats *st)
{
	const struct encoder_ops *ops = encoder_find(ec->type);
	struct pixconv pc;
	struct encoder *e;
	struct enc_decoder *d;
	struct buf out = BUF_INIT;
	int client_q = quality == QUALITY_NONE ? 5 : quality;
	int ret = -1, n = 0;
	uint32_t seed = 1;

	memset(st, 0, sizeof(*st));
	st->min_psnr = INFINITY;
	if (!ops)
		return fail(ec, fc, dec, quality, "encoder not built");
	pixconv_init(&pc, &fc->pf);
	e = ops->new_state(ops);
	d = dec->open(&fc->pf, FB_W, FB_H, ec->client_encodings, client_q,
		      -1);
	if (!e || !d) {
		fail(ec, fc, dec, quality, "cannot start (%s)",
		     d ? "" : dec->name);
		goto out;
	}
	for (size_t si = 0; si < NSIZES; si++) {
		int w = sizes[si].w, h = sizes[si].h;

		if (w == FB_W && !full)
			continue;
		for (int c = 0; c < IMG_NCLASSES; c++, n++) {
			/* Every third update carries a second rectangle. */
			int nr = n % 3 == 2 && w * 2 <= FB_W ? 2 : 1;
			struct rect rs[2];
			struct enc_params p = { .pc = &pc,
						.fine_quality = -1,
						.subsampling = -1 };
			int total = 0, q, cl;

			/* Move the levels around now and then: the client
			 * sends SetEncodings, the server follows. */
			if (n % 5 == 4 && dec->set_levels(d, client_q,
							   (n / 5) % 10) < 0) {
				fail(ec, fc, dec, quality,
				     "SetEncodings failed: %s", dec->log(d));
				goto out;
			}
			dec->levels(d, &q, &cl);
			p.quality = quality == QUALITY_NONE ? -1 : q;
			/* Decoders do not care about the compression level,
			 * and libvncclient only sends it for some encodings:
			 * cycle through all levels and "none" regardless. */
			p.compress = n % 11 - 1;
			out.len = 0;
			for (int k = 0; k < nr; k++) {
				struct rect *r = &rs[k];
				int ret2;

				seed = seed * 1103515245u + 12345u;
				r->w = w;
				r->h = h;
				r->x = k * (FB_W / 2) +
				       (int)(seed % (uint32_t)(FB_W / nr - w + 1));
				r->y = (int)((seed >> 11) % (uint32_t)(FB_H - h + 1));
				draw((enum img_class)((c + k) % IMG_NCLASSES),
				     seed, r, n, k);
				ret2 = ops->encode(e, &p,
						   &(struct enc_frame){
							   frame, FB_W, FB_W,
							   FB_H },
						   r, &out);
				if (ret2 <= 0) {
					fail(ec, fc, dec, quality,
					     "encode %dx%d: %d", w, h, ret2);
					goto out;
				}
				total += ret2;
				st->raw_bytes += (size_t)w * h * pc.bytes + 12;
			}
			if (dec->update(d, out.data, out.len, total) < 0) {
				fail(ec, fc, dec, quality,
				     "decoder rejected %dx%d %s (%zu bytes): %s",
				     w, h, img_class_name((enum img_class)c),
				     out.len, dec->log(d));
				goto out;
			}
			st->updates++;
			st->bytes += out.len;
			for (int k = 0; k < nr; k++) {
				enum img_class cls =
					(enum img_class)((c + k) % IMG_NCLASSES);
				double need = ec->min_psnr
						      ? ec->min_psnr(&p, cls, w,
								     h)
						      : 0;
				long bad;
				int bx = 0, by = 0;
				uint32_t want = 0, got = 0;
				double psnr = compare(&pc, dec->fb(d), &rs[k],
						      &bad, &bx, &by, &want,
						      &got);

				if (psnr < st->min_psnr)
					st->min_psnr = psnr;
				if (bad && (need == 0 || psnr < need)) {
					fail(ec, fc, dec, quality,
					     "%dx%d %s at %d,%d: %ld pixels differ, first at %d,%d want %#x got %#x, PSNR %.1f (need %s%.1f) compress %d",
					     w, h, img_class_name(cls), rs[k].x,
					     rs[k].y, bad, bx, by, want, got,
					     psnr, need ? "" : "exact, ",
					     need, p.compress);
					goto out;
				}
				if (verbose && bad)
					printf("  %s %dx%d PSNR %.1f\n",
					       img_class_name(cls), w, h, psnr);
			}
		}
	}
	ret = 0;
out:
	buf_fini(&out);
	if (d)
		dec->close(d);
	if (e)
		ops->free_state(e);
	return ret;
}

static bool selected(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return true;
	for (int i = first; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int first = 1, failed = 0, runs = 0;
	struct timespec t0, t1;

	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-v"))
			verbose = true;
		else if (!strcmp(argv[first], "-q"))
			quick = true;
		first++;
	}
	/* Two encoder threads, as on the smallest machine: large inputs
	 * are then deflated in parallel pieces (encoders/zstream.c). */
	worker_init(2);
	frame = calloc((size_t)FB_W * FB_H, sizeof(*frame));
	if (!frame)
		return 99;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (size_t i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++) {
		const struct enc_case *ec = &encoders[i];
		static const int no_quality[] = { -1, QUALITY_END };
		const int *qs = ec->qualities ? ec->qualities : no_quality;

		if (!selected(ec->name, argc, argv, first))
			continue;
		for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]);
		     f++) {
			for (int di = 0; ec->decoders[di]; di++) {
				for (int qi = 0; qs[qi] != QUALITY_END; qi++) {
					int q = qs[qi];
					struct run_stats st;
					const char *why = skip_reason(
						ec, &formats[f],
						ec->decoders[di], q);

					if (why) {
						if (verbose)
							printf("skip %s %s %s q=%d: %s\n",
							       ec->name,
							       formats[f].name,
							       ec->decoders[di]->name,
							       q, why);
						continue;
					}
					/* The full frame once per format and
					 * wavelet level: it takes most time. */
					bool full = !quick && formats[f].full &&
						    di == 0 &&
						    (q == -1 || q == 0 ||
						     q == 3 || q == 6);

					runs++;
					if (run(ec, &formats[f],
						ec->decoders[di], q, full,
						&st) < 0) {
						failed++;
						continue;
					}
					printf("ok   %-8s %-9s %-12s q=%-2d %4d updates %9zu bytes (%5.1f%% of raw)",
					       ec->name, formats[f].name,
					       ec->decoders[di]->name, q,
					       st.updates, st.bytes,
					       100.0 * st.bytes / st.raw_bytes);
					if (isfinite(st.min_psnr))
						printf(" min PSNR %.1f",
						       st.min_psnr);
					printf("\n");
				}
			}
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%d of %d runs failed (%.1f s)\n", failed, runs,
	       (double)(t1.tv_sec - t0.tv_sec) +
		       (t1.tv_nsec - t0.tv_nsec) / 1e9);
	for (int c = 0; c < IMG_NCLASSES; c++)
		free(full_cache[c]);
	for (int u = 0; u < MAX_UPDATES; u++)
		for (int k = 0; k < 2; k++)
			free(rect_cache[u][k]);
	free(frame);
	return failed ? 1 : 0;
}
