/* SPDX-License-Identifier: MIT */
/*
 * Round trips of the Tight and TightPNG encoders: encode with
 * encoders/tight*.c, decode with libvncclient (what real viewers use; Tight
 * only) and with the spec decoder in tests/decoders/tightpng.c, and compare
 * with the framebuffer translated into the client's format: exactly for
 * lossless modes, by PSNR for JPEG. Covers every pixel format a client can
 * ask for, image classes from solid to photo, sizes from 1x1 to 1920x1080
 * and across the 2048-pixel limit, and sequences of updates on one
 * connection (persistent zlib streams, level changes, reset bits).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <check.h>
#include <rfb/rfbclient.h>
#include <turbojpeg.h>

#include "encoder.h"
#include "pixfmt.h"
#include "rfb-proto.h"
#include "tight-common.h"
#include "tightpng.h"

/* What a rectangle may cost beyond its header and Raw pixels: in Tight a
 * control byte, a 3-byte length, a zlib header, a sync flush and a
 * stored block's header, with room to spare; in TightPNG a PNG's
 * signature and chunks around the same. */
#define TIGHT_OVER_RAW 32
#define TIGHTPNG_OVER_RAW 128

/* ---- pixel formats ------------------------------------------------------- */

/* libvncclient 0.9.14 gets some formats wrong on a little-endian host:
 * 3-byte TPIXELs for big-endian 32 bpp formats (it stores host-order
 * pixels), JPEG for big-endian 16 bpp ones (same) and JPEG for 32 bpp
 * formats with the colour in the high bytes. The spec decoder still
 * checks those formats; libvncclient only checks the rest. */
enum lvc_use {
	LVC_ALL,
	LVC_NOT_JPEG,
	LVC_NONE,
};

struct fmt {
	const char *name;
	struct pixfmt pf;
	enum lvc_use lvc;
};

static const struct fmt fmts[] = {
	{ "32LE-888", { 32, 24, 0, 1, 255, 255, 255, 16, 8, 0 }, LVC_ALL },
	{ "32BE-888", { 32, 24, 1, 1, 255, 255, 255, 16, 8, 0 }, LVC_NONE },
	{ "32LE-rgbx", { 32, 24, 0, 1, 255, 255, 255, 0, 8, 16 }, LVC_ALL },
	{ "32BE-bgr", { 32, 24, 1, 1, 255, 255, 255, 0, 8, 16 }, LVC_NONE },
	{ "32LE-d32", { 32, 32, 0, 1, 255, 255, 255, 16, 8, 0 }, LVC_ALL },
	{ "32LE-hi", { 32, 24, 0, 1, 255, 255, 255, 24, 16, 8 }, LVC_NOT_JPEG },
	{ "32BE-d32", { 32, 32, 1, 1, 255, 255, 255, 16, 8, 0 }, LVC_ALL },
	{ "16LE-565", { 16, 16, 0, 1, 31, 63, 31, 11, 5, 0 }, LVC_ALL },
	{ "16LE-555", { 16, 15, 0, 1, 31, 31, 31, 10, 5, 0 }, LVC_ALL },
	{ "16BE-565", { 16, 16, 1, 1, 31, 63, 31, 11, 5, 0 }, LVC_NOT_JPEG },
	{ "8-bgr233", { 8, 8, 0, 1, 7, 7, 3, 0, 3, 6 }, LVC_ALL },
	{ "8-cmap", { 8, 8, 0, 0, 0, 0, 0, 0, 0, 0 }, LVC_ALL },
};
#define NFMTS (int)(sizeof(fmts) / sizeof(fmts[0]))

static const struct fmt *fmt_by_name(const char *name)
{
	for (int i = 0; i < NFMTS; i++)
		if (!strcmp(fmts[i].name, name))
			return &fmts[i];
	ck_abort_msg("no format %s", name);
	return NULL;
}

/* ---- images -------------------------------------------------------------- */

enum img_class {
	IMG_SOLID,
	IMG_TEXT,
	IMG_UI16,
	IMG_GRADIENT,
	IMG_NOISE,
	IMG_PHOTO,
	IMG_COUNT,
};

static const char *const class_names[IMG_COUNT] = {
	"solid", "text", "ui16", "gradient", "noise", "photo",
};

/* Lowest PSNR accepted where JPEG was used, at QualityLevel 6. White
 * noise is JPEG's worst case (about 24 dB at quality 79); a decoder or
 * colour-order error lands far below 20 dB. */
static const double class_min_psnr[IMG_COUNT] = {
	30, 30, 30, 30, 20, 30,
};

static uint32_t rng_state;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static uint32_t clamp_rgb(double r, double g, double b)
{
	int ri = r < 0 ? 0 : r > 255 ? 255 : (int)r;
	int gi = g < 0 ? 0 : g > 255 ? 255 : (int)g;
	int bi = b < 0 ? 0 : b > 255 ? 255 : (int)b;

	return (uint32_t)(ri << 16 | gi << 8 | bi);
}

/* Draw class @c into the w x h block at @px (rows @stride apart). */
static void draw(uint32_t *px, size_t stride, int w, int h,
		 enum img_class c, uint32_t seed)
{
	static const uint32_t ui[16] = {
		0xffffff, 0xf0f0f0, 0xd4d0c8, 0x808080, 0x404040, 0x000000,
		0x0a246a, 0xa6caf0, 0x3a6ea5, 0xff0000, 0x00a000, 0xffff00,
		0x800080, 0x008080, 0xc0c0c0, 0x316ac5,
	};
	uint32_t fg = 0x101010, bg = 0xfafafa;

	rng_state = seed * 2654435761u + 12345;
	if (!rng_state)
		rng_state = 1;
	for (int y = 0; y < h; y++) {
		uint32_t *row = px + (size_t)y * stride;

		for (int x = 0; x < w; x++) {
			switch (c) {
			case IMG_SOLID:
				row[x] = 0x336699;
				break;
			case IMG_TEXT: {
				/* 8x14 glyph cells, strokes from a hash. */
				unsigned cell = (unsigned)(x / 8 + (y / 14) * 977);
				unsigned gx = (unsigned)x % 8, gy = (unsigned)y % 14;
				unsigned hsh = (cell * 2654435761u) >> 7;
				bool on = gy >= 2 && gy < 12 && gx >= 1 && gx < 7 &&
					  (((hsh >> (gy % 8)) & 1) ||
					   (gx == (hsh & 7) % 6 + 1));

				row[x] = on ? fg : bg;
				break;
			}
			case IMG_UI16: {
				unsigned bx = (unsigned)x / 37, by = (unsigned)y / 23;
				unsigned k = (bx * 7 + by * 13) % 16;

				if ((unsigned)x % 37 == 0 || (unsigned)y % 23 == 0)
					k = 4;
				row[x] = ui[k];
				break;
			}
			case IMG_GRADIENT:
				row[x] = clamp_rgb(x * 255.0 / (w + 1),
						   y * 255.0 / (h + 1),
						   (x + y) * 127.0 / (w + h + 1));
				break;
			case IMG_NOISE:
				row[x] = rnd() & 0xffffff;
				break;
			case IMG_PHOTO: {
				double fx = x * 0.013, fy = y * 0.017;
				double l = 120 + 60 * sin(fx + 2 * sin(fy)) +
					   30 * cos(fy * 2.3 + fx * 0.7);
				double n = (double)(rnd() % 13) - 6;

				row[x] = clamp_rgb(l + 40 * sin(fy) + n,
						   l * 0.9 + 25 * cos(fx * 1.7) + n,
						   l * 0.7 + 50 * sin(fx + fy) + n);
				break;
			}
			default:
				break;
			}
		}
	}
}

/* ---- expected output ----------------------------------------------------- */

static uint32_t to_client(const struct pixconv *pc, uint32_t xrgb)
{
	return pixconv_pixel(pc, xrgb);
}

static uint32_t dec_rgb(void *arg, unsigned r, unsigned g, unsigned b)
{
	return to_client(arg, r << 16 | g << 8 | b);
}

/* PSNR over 8-bit channels of two client-value images. */
static double psnr_values(const struct pixfmt *pf, const uint32_t *a,
			  const uint32_t *b, size_t n)
{
	double se = 0;

	for (size_t i = 0; i < n; i++) {
		uint32_t x = pixfmt_to_xrgb(pf, a[i]), y = pixfmt_to_xrgb(pf, b[i]);

		for (int s = 0; s <= 16; s += 8) {
			int d = (int)((x >> s) & 255) - (int)((y >> s) & 255);

			se += d * d;
		}
	}
	if (se == 0)
		return INFINITY;
	return 10 * log10(255.0 * 255.0 * 3 * n / se);
}

/* ---- libvncclient as decoder --------------------------------------------- */

struct lvc {
	rfbClient *cl;
	int fds[2];
	struct pixfmt pf;
	int w, h;
};

struct lvc_feed {
	int fd;
	const uint8_t *data;
	size_t len;
};

static void lvc_log(const char *fmt, ...)
{
}

static struct lvc *lvc_new(const struct pixfmt *pf, int w, int h)
{
	struct lvc *l = calloc(1, sizeof(*l));
	rfbClient *cl;

	ck_assert_ptr_nonnull(l);
	rfbClientLog = lvc_log;
	cl = rfbGetClient(8, 3, 4);
	ck_assert_ptr_nonnull(cl);
	cl->format.bitsPerPixel = pf->bpp;
	cl->format.depth = pf->depth;
	cl->format.bigEndian = pf->big_endian;
	cl->format.trueColour = pf->true_colour;
	cl->format.redMax = pf->red_max;
	cl->format.greenMax = pf->green_max;
	cl->format.blueMax = pf->blue_max;
	cl->format.redShift = pf->red_shift;
	cl->format.greenShift = pf->green_shift;
	cl->format.blueShift = pf->blue_shift;
	cl->width = w;
	cl->height = h;
	cl->frameBuffer = calloc((size_t)w * h, pf->bpp / 8);
	ck_assert_ptr_nonnull(cl->frameBuffer);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, l->fds), 0);
	cl->sock = l->fds[0];
	l->cl = cl;
	l->pf = *pf;
	l->w = w;
	l->h = h;
	return l;
}

static void lvc_free(struct lvc *l)
{
	free(l->cl->frameBuffer);
	l->cl->frameBuffer = NULL;
	/* rfbClientCleanup() of 0.9.14 forgets its JPEG decompressor. */
	if (l->cl->tjhnd)
		tjDestroy(l->cl->tjhnd);
	l->cl->tjhnd = NULL;
	rfbClientCleanup(l->cl);	/* closes fds[0] */
	close(l->fds[1]);
	free(l);
}

static void *lvc_writer(void *arg)
{
	struct lvc_feed *f = arg;

	while (f->len) {
		ssize_t n = send(f->fd, f->data, f->len, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		f->data += n;
		f->len -= (size_t)n;
	}
	return NULL;
}

/* Feed a FramebufferUpdate of @nrects rects to libvncclient. */
static bool lvc_decode(struct lvc *l, const struct buf *rects, int nrects)
{
	uint8_t hdr[4] = { 0, 0, (uint8_t)(nrects >> 8), (uint8_t)nrects };
	struct lvc_feed hf = { l->fds[1], hdr, 4 };
	struct lvc_feed f = { l->fds[1], rects->data, rects->len };
	pthread_t th;
	bool ok;
	char junk[256];

	ck_assert_int_le(nrects, 65534);
	lvc_writer(&hf);
	ck_assert_int_eq(pthread_create(&th, NULL, lvc_writer, &f), 0);
	ok = HandleRFBServerMessage(l->cl);
	if (!ok)
		shutdown(l->fds[0], SHUT_RDWR);
	pthread_join(th, NULL);
	/* Drain the update requests libvncclient may have sent back. */
	while (recv(l->fds[1], junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
	return ok && f.len == 0;
}

/* The decoded framebuffer as client pixel values. */
static void lvc_values(const struct lvc *l, uint32_t *v)
{
	const uint8_t *p = (const uint8_t *)l->cl->frameBuffer;
	int b = l->pf.bpp / 8;

	for (size_t i = 0; i < (size_t)l->w * l->h; i++, p += b)
		v[i] = pixfmt_get(&l->pf, p);
}

/* ---- one connection under test ------------------------------------------- */

struct conn {
	const struct encoder_ops *ops;
	struct encoder *enc;
	struct pixconv pc;
	struct pixfmt wire;	/* the format as the client sent it */
	struct enc_params p;
	int w, h;
	uint32_t *fb;		/* server framebuffer */
	uint32_t *want;		/* expected client values */
	uint32_t *got;		/* decoded by the spec decoder */
	uint32_t *got_lvc;	/* decoded by libvncclient */
	struct tdec *dec;
	struct tdec_opts dopt;
	struct lvc *lvc;	/* NULL for TightPNG */
	struct buf out;
	size_t total_bytes;
	bool lvc_jpeg;		/* libvncclient's JPEG output is checked */
	char desc[96];		/* names the case in failure messages */
};

static void conn_init(struct conn *c, const struct encoder_ops *ops,
		      const struct fmt *fm, int w, int h)
{
	const struct pixfmt *pf = &fm->pf;

	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->enc = ops->new_state(ops);
	ck_assert_ptr_nonnull(c->enc);
	c->wire = *pf;
	pixconv_init(&c->pc, pf);
	c->p.pc = &c->pc;
	c->p.quality = c->p.fine_quality = c->p.subsampling = -1;
	c->p.compress = -1;
	c->w = w;
	c->h = h;
	c->fb = calloc((size_t)w * h, 4);
	c->want = calloc((size_t)w * h, 4);
	c->got = calloc((size_t)w * h, 4);
	c->got_lvc = calloc((size_t)w * h, 4);
	ck_assert(c->fb && c->want && c->got && c->got_lvc);
	c->dec = tdec_new();
	ck_assert_ptr_nonnull(c->dec);
	c->dopt.png = ops->type == RFB_ENC_TIGHT_PNG;
	c->dopt.rgb = dec_rgb;
	c->dopt.rgb_arg = &c->pc;
	if (!c->dopt.png && fm->lvc != LVC_NONE)
		c->lvc = lvc_new(pf, w, h);
	c->lvc_jpeg = fm->lvc == LVC_ALL;
}

static void conn_fini(struct conn *c)
{
	c->ops->free_state(c->enc);
	free(c->fb);
	free(c->want);
	free(c->got);
	free(c->got_lvc);
	tdec_free(c->dec);
	if (c->lvc)
		lvc_free(c->lvc);
	buf_fini(&c->out);
}

/* Encode @r of the current framebuffer as one update and decode it with
 * both decoders; checks the per-rect size bound. Returns the rect count. */
static int conn_update(struct conn *c, const struct rect *r)
{
	struct enc_frame f = { c->fb, (size_t)c->w, c->w, c->h };
	size_t raw_bytes = (size_t)r->w * r->h * c->pc.bytes;
	size_t over = c->ops == &encoder_tightpng ? TIGHTPNG_OVER_RAW
						  : TIGHT_OVER_RAW;
	long used;
	int n;

	c->out.len = 0;
	n = c->ops->encode(c->enc, &c->p, &f, r, &c->out);
	ck_assert_msg(n > 0, "%s: encode returned %d", c->desc, n);
	c->total_bytes += c->out.len;
	/* Never much more than Raw (which Tight never falls back to): the
	 * header, a control byte, a length, a zlib header and flush, and
	 * deflate's block overhead on data it cannot compress. */
	ck_assert_msg(c->out.len <= (size_t)n * (RFB_RECT_HDR_LEN + over) +
					     raw_bytes + raw_bytes / 64,
		      "%s: %zu bytes for %d rects of %dx%d", c->desc, c->out.len,
		      n, r->w, r->h);
	c->dopt.nozlib = c->p.flags & ENC_F_TIGHT_NOZLIB;
	used = tdec_update(c->dec, &c->dopt, &c->wire, c->out.data, c->out.len,
			   n, c->got, c->w, c->h);
	ck_assert_msg(used >= 0, "%s: spec decoder: %s", c->desc,
		      tdec_error(c->dec));
	ck_assert_msg((size_t)used == c->out.len, "%s: %ld of %zu bytes decoded",
		      c->desc, used, c->out.len);
	if (c->lvc) {
		ck_assert_msg(lvc_decode(c->lvc, &c->out, n),
			      "%s: libvncclient failed to decode", c->desc);
		lvc_values(c->lvc, c->got_lvc);
	}
	/* Expected: the region translated, the rest unchanged. */
	for (int y = r->y; y < r->y + r->h; y++)
		for (int x = r->x; x < r->x + r->w; x++)
			c->want[(size_t)y * c->w + x] =
				to_client(&c->pc, c->fb[(size_t)y * c->w + x]);
	return n;
}

/* Index of the first pixel where @a and @b differ, or -1. (Check's
 * assertions log every call: never assert per pixel.) */
static long first_diff(const uint32_t *a, const uint32_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

/* Once started, a zlib stream is never reset: noVNC's inflater keeps no
 * history across rectangles after a reset, and would then fail on data
 * that refers to earlier rectangles. */
static void conn_expect_no_resets(struct conn *c)
{
	ck_assert_msg(tdec_stats(c->dec)->resets == 0,
		      "%s: %ld zlib stream resets sent", c->desc,
		      tdec_stats(c->dec)->resets);
}

static void conn_expect_exact(struct conn *c)
{
	size_t n = (size_t)c->w * c->h;
	long i = first_diff(c->got, c->want, n);

	ck_assert_msg(i < 0, "%s: spec decoder: pixel %ld,%ld is %08x, want %08x",
		      c->desc, i % c->w, i / c->w, c->got[i < 0 ? 0 : i],
		      c->want[i < 0 ? 0 : i]);
	if (!c->lvc)
		return;
	i = first_diff(c->got_lvc, c->want, n);
	ck_assert_msg(i < 0,
		      "%s: libvncclient: pixel %ld,%ld is %08x, want %08x",
		      c->desc, i % c->w, i / c->w, c->got_lvc[i < 0 ? 0 : i],
		      c->want[i < 0 ? 0 : i]);
}

static void conn_expect_psnr(struct conn *c, double min)
{
	size_t n = (size_t)c->w * c->h;
	double p = psnr_values(&c->pc.pf, c->got, c->want, n);

	ck_assert_msg(p >= min, "%s: spec decoder: PSNR %.2f dB < %.1f",
		      c->desc, p, min);
	if (c->lvc && c->lvc_jpeg) {
		p = psnr_values(&c->pc.pf, c->got_lvc, c->want, n);
		ck_assert_msg(p >= min, "%s: libvncclient: PSNR %.2f dB < %.1f",
			      c->desc, p, min);
	}
}

/* ---- the matrix ---------------------------------------------------------- */

enum mode {
	MODE_DEFAULT,		/* no hints */
	MODE_CL0_NOZLIB,	/* CompressLevel 0 with -317 */
	MODE_CL0,		/* CompressLevel 0 without -317: stored zlib */
	MODE_CL9,
	MODE_JPEG6,		/* QualityLevel 6 */
	MODE_COUNT,
};

static const char *const mode_names[MODE_COUNT] = {
	"default", "cl0-nozlib", "cl0", "cl9", "jpeg-q6",
};

static const struct {
	int w, h;
} sizes[] = {
	{ 1, 1 }, { 7, 3 }, { 33, 17 }, { 131, 97 }, { 301, 219 },
	{ 2048, 40 }, { 2049, 35 }, { 1920, 1080 },
};
#define NSIZES (int)(sizeof(sizes) / sizeof(sizes[0]))

struct mcase {
	uint8_t fmt, cls, size, mode;
};

static struct mcase *mcases;
static int nmcases;

static void build_matrix(void)
{
	mcases = calloc((size_t)NFMTS * IMG_COUNT * NSIZES * MODE_COUNT,
			sizeof(*mcases));
	for (int f = 0; f < NFMTS; f++)
		for (int c = 0; c < IMG_COUNT; c++)
			for (int s = 0; s < NSIZES; s++)
				for (int m = 0; m < MODE_COUNT; m++) {
					/* Full frames: lossless for all, JPEG
					 * where it is used; smaller sizes
					 * cover the other modes. */
					if (sizes[s].w == 1920 &&
					    m != MODE_DEFAULT &&
					    (m != MODE_JPEG6 ||
					     (c != IMG_PHOTO &&
					      c != IMG_GRADIENT)))
						continue;
					mcases[nmcases++] = (struct mcase){
						(uint8_t)f, (uint8_t)c,
						(uint8_t)s, (uint8_t)m
					};
				}
}

static void set_mode(struct conn *c, enum mode m)
{
	switch (m) {
	case MODE_CL0_NOZLIB:
		c->p.compress = 0;
		c->p.flags |= ENC_F_TIGHT_NOZLIB;
		break;
	case MODE_CL0:
		c->p.compress = 0;
		break;
	case MODE_CL9:
		c->p.compress = 9;
		break;
	case MODE_JPEG6:
		c->p.quality = 6;
		break;
	default:
		break;
	}
}

static void run_case(const struct encoder_ops *ops, const struct mcase *mc)
{
	const struct fmt *fm = &fmts[mc->fmt];
	int w = sizes[mc->size].w, h = sizes[mc->size].h;
	struct conn c;
	struct rect r = { 0, 0, w, h };
	bool lossy;

	conn_init(&c, ops, fm, w, h);
	snprintf(c.desc, sizeof(c.desc), "%s %s %s %dx%d %s", ops->name,
		 fm->name, class_names[mc->cls], w, h, mode_names[mc->mode]);
	set_mode(&c, mc->mode);
	draw(c.fb, (size_t)w, w, h, mc->cls, mc->size * 31 + mc->cls);
	conn_update(&c, &r);
	/* JPEG is only for true-colour clients of 16/32 bpp. */
	if (c.pc.bytes == 1 || c.pc.colour_map)
		ck_assert_int_eq(tdec_stats(c.dec)->jpeg, 0);
	lossy = tdec_stats(c.dec)->jpeg > 0;
	if (lossy)
		conn_expect_psnr(&c, class_min_psnr[mc->cls]);
	else
		conn_expect_exact(&c);
	if (mc->mode != MODE_CL0_NOZLIB)
		ck_assert_int_eq(tdec_stats(c.dec)->nozlib, 0);
	conn_fini(&c);
}

START_TEST(test_tight_matrix)
{
	run_case(&encoder_tight, &mcases[_i]);
}
END_TEST

START_TEST(test_tightpng_matrix)
{
	const struct mcase *mc = &mcases[_i];

	/* -317 means nothing to TightPNG; every other mode applies. */
	if (mc->mode == MODE_CL0_NOZLIB)
		return;
	run_case(&encoder_tightpng, mc);
}
END_TEST

/* ---- sequences on one connection ----------------------------------------- */

/* Random rectangles of random classes, with the compression level, the
 * JPEG quality and -317 changing between updates: both decoders keep
 * their zlib streams across updates, so any desynchronisation (a stream
 * used without the client seeing it, a missed reset) shows up. */
static void run_sequence(const struct encoder_ops *ops, int fmt_index,
			 bool jpeg)
{
	const struct fmt *fm = &fmts[fmt_index];
	const int w = 640, h = 480;
	struct conn c;
	uint32_t seed = 7;

	conn_init(&c, ops, fm, w, h);
	snprintf(c.desc, sizeof(c.desc), "%s %s sequence%s", ops->name,
		 fm->name, jpeg ? " with JPEG" : "");
	draw(c.fb, (size_t)w, w, h, IMG_UI16, 1);
	conn_update(&c, &(struct rect){ 0, 0, w, h });
	conn_expect_exact(&c);
	for (int i = 0; i < 60; i++) {
		struct rect r;
		enum img_class cls;

		rng_state = ++seed * 747796405u;
		r.w = (int)(rnd() % 300) + 1;
		r.h = (int)(rnd() % 200) + 1;
		r.x = (int)(rnd() % (unsigned)(w - r.w + 1));
		r.y = (int)(rnd() % (unsigned)(h - r.h + 1));
		cls = (enum img_class)(rnd() % IMG_COUNT);
		c.p.compress = (int)(rnd() % 11) - 1;
		c.p.flags = rnd() % 3 == 0 ? ENC_F_TIGHT_NOZLIB : 0;
		c.p.quality = jpeg && rnd() % 2 ? (int)(rnd() % 10) : -1;
		draw(c.fb + (size_t)r.y * w + r.x, (size_t)w, r.w, r.h, cls,
		     seed);
		conn_update(&c, &r);
		if (!jpeg)
			conn_expect_exact(&c);
	}
	if (jpeg) {
		/* Lossless pieces accumulate exactly; JPEG ones closely. */
		conn_expect_psnr(&c, 20.0);
		/* A final lossless full update must restore everything. */
		c.p.quality = -1;
		conn_update(&c, &(struct rect){ 0, 0, w, h });
		conn_expect_exact(&c);
	}
	conn_expect_no_resets(&c);
	conn_fini(&c);
}

START_TEST(test_tight_sequence)
{
	run_sequence(&encoder_tight, _i % NFMTS, _i >= NFMTS);
}
END_TEST

/* Whole lossless frames large enough to be planned (their full-colour
 * pieces filtered ahead, and those that go out with Huffman codes alone
 * deflated ahead, each from a fresh stream) between small updates that
 * continue the same streams with LZ77: photo, noise and gradient frames
 * make both methods chosen, and every frame must decode exactly with one
 * decoder state. */
static void run_large_sequence(int fmt_index)
{
	static const enum img_class frame_cls[] = {
		IMG_PHOTO, IMG_NOISE, IMG_PHOTO, IMG_UI16, IMG_NOISE,
		IMG_GRADIENT, IMG_PHOTO, IMG_NOISE, IMG_PHOTO, IMG_NOISE,
	};
	const struct fmt *fm = &fmts[fmt_index];
	const int w = 640, h = 480;	/* >= ENCPOOL_MIN_PIXELS */
	struct conn c;
	uint32_t seed = 11;

	conn_init(&c, &encoder_tight, fm, w, h);
	snprintf(c.desc, sizeof(c.desc), "tight %s large frames", fm->name);
	for (size_t i = 0; i < sizeof(frame_cls) / sizeof(frame_cls[0]);
	     i++) {
		struct rect r;

		rng_state = ++seed * 747796405u;
		c.p.compress = i % 4 == 3 ? (int)(rnd() % 10) : -1;
		c.p.flags = i % 5 == 4 ? ENC_F_TIGHT_NOZLIB : 0;
		draw(c.fb, (size_t)w, w, h, frame_cls[i], seed);
		conn_update(&c, &(struct rect){ 0, 0, w, h });
		conn_expect_exact(&c);
		r.w = (int)(rnd() % 200) + 40;
		r.h = (int)(rnd() % 150) + 40;
		r.x = (int)(rnd() % (unsigned)(w - r.w + 1));
		r.y = (int)(rnd() % (unsigned)(h - r.h + 1));
		draw(c.fb + (size_t)r.y * w + r.x, (size_t)w, r.w, r.h,
		     i % 2 ? IMG_PHOTO : IMG_GRADIENT, seed + 1);
		conn_update(&c, &r);
		conn_expect_exact(&c);
	}
	conn_expect_no_resets(&c);
	conn_fini(&c);
}

START_TEST(test_tight_large_sequence)
{
	run_large_sequence(_i);
}
END_TEST

START_TEST(test_tightpng_sequence)
{
	run_sequence(&encoder_tightpng, _i % NFMTS, _i >= NFMTS);
}
END_TEST

/* ---- properties of the output -------------------------------------------- */

/* Walk the rect headers of Tight output (no data parsing needed for the
 * checks below: the spec decoder already verified the framing). */
/* Small rectangles whose bytes follow from the spec by hand (filtered
 * data under 12 bytes goes out as it is, no zlib). */
START_TEST(test_tight_golden)
{
	static const uint32_t a = 0x102030, b = 0x405060, k = 0x708090;
	static const struct {
		const char *fmt;
		int w, h;
		uint32_t px[8];
		size_t n;
		uint8_t bytes[32];
	} cases[] = {
		/* 1x1 at (2,3) of a 24-bit client: fill, TPIXEL R, G, B */
		{ "32LE-888", 1, 1, { 0x123456 }, 16,
		  { 0, 2, 0, 3, 0, 1, 0, 1, 0, 0, 0, 7,
		    0x80, 0x12, 0x34, 0x56 } },
		/* 2x1 in 16 bpp big endian: a 2-byte PIXEL, 565; a 1x1
		 * fill is a byte longer than Raw, and still a fill */
		{ "16BE-565", 2, 1, { 0x123456, 0x123456 }, 15,
		  { 0, 2, 0, 3, 0, 2, 0, 1, 0, 0, 0, 7,
		    0x80, 0x11, 0xaa } },
		{ "16BE-565", 1, 1, { 0x123456 }, 15,
		  { 0, 2, 0, 3, 0, 1, 0, 1, 0, 0, 0, 7,
		    0x80, 0x11, 0xaa } },
		/* 4x2 of two colours: stream 1 + filter, palette of 2, one
		 * bit per pixel (MSB first), each row a whole byte */
		{ "32LE-888", 4, 2, { a, b, a, b, b, b, a, a }, 23,
		  { 0, 2, 0, 3, 0, 4, 0, 2, 0, 0, 0, 7,
		    0x50, 0x01, 0x01, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
		    0x50, 0xc0 } },
		/* 4x2 of three colours: stream 2 + filter, palette of 3, one
		 * byte per pixel */
		{ "32LE-888", 4, 2, { a, b, k, a, a, a, b, k }, 32,
		  { 0, 2, 0, 3, 0, 4, 0, 2, 0, 0, 0, 7,
		    0x60, 0x01, 0x02, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60,
		    0x70, 0x80, 0x90, 0, 1, 2, 0, 0, 0, 1, 2 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn c;
		int w = cases[i].w, h = cases[i].h;

		conn_init(&c, &encoder_tight, fmt_by_name(cases[i].fmt), 8, 8);
		snprintf(c.desc, sizeof(c.desc), "golden %zu", i);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				c.fb[(3 + y) * 8 + 2 + x] = cases[i].px[y * w + x];
		ck_assert_int_eq(conn_update(&c, &(struct rect){ 2, 3, w, h }),
				 1);
		ck_assert_uint_eq(c.out.len, cases[i].n);
		ck_assert_mem_eq(c.out.data, cases[i].bytes, cases[i].n);
		conn_expect_exact(&c);
		conn_fini(&c);
	}
}
END_TEST

START_TEST(test_tight_compact_len)
{
	/* doc/protocol.md, "Tight": 10000 = 90 4E. */
	struct buf b = BUF_INIT;
	static const struct {
		size_t len;
		uint8_t bytes[3];
		size_t n;
	} cases[] = {
		{ 1, { 0x01 }, 1 },
		{ 127, { 0x7f }, 1 },
		{ 128, { 0x80, 0x01 }, 2 },
		{ 10000, { 0x90, 0x4e }, 2 },
		{ 16383, { 0xff, 0x7f }, 2 },
		{ 16384, { 0x80, 0x80, 0x01 }, 3 },
		{ 4194303, { 0xff, 0xff, 0xff }, 3 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b.len = 0;
		ck_assert_int_eq(buf_reserve(&b, 3), 0);
		tight_put_compact_len(&b, cases[i].len);
		ck_assert_uint_eq(b.len, cases[i].n);
		ck_assert_mem_eq(b.data, cases[i].bytes, cases[i].n);
	}
	buf_fini(&b);
}
END_TEST

/* Large solid areas come out as fill rects, split at the limits. */
START_TEST(test_tight_solid_areas)
{
	struct conn c;
	const int w = 1920, h = 1080;

	conn_init(&c, &encoder_tight, &fmts[0], w, h);
	for (size_t i = 0; i < (size_t)w * h; i++)
		c.fb[i] = 0x204060;
	/* A text window in the middle of a solid desktop. */
	draw(c.fb + 300 * w + 500, w, 700, 400, IMG_TEXT, 3);
	conn_update(&c, &(struct rect){ 0, 0, w, h });
	conn_expect_exact(&c);
	ck_assert_int_ge(tdec_stats(c.dec)->fill, 4);
	/* The whole desktop is solid but for 700x400 pixels of text: the
	 * update must be far smaller than the text alone uncompressed. */
	ck_assert_uint_lt(c.out.len, 700 * 400 / 8);
	conn_fini(&c);
}
END_TEST

/* Each image class takes the subencoding meant for it. */
START_TEST(test_tight_subencodings)
{
	static const struct {
		const char *fmt;
		enum img_class cls;
		int compress;
		long fill, mono, indexed, copy, gradient, raw;
	} cases[] = {
		/* fmt cls cl fill mono idx copy grad raw */
		{ "32LE-888", IMG_SOLID, -1, 1, 0, 0, 0, 0, 0 },
		{ "32LE-888", IMG_TEXT, -1, 0, 1, 0, 0, 0, 0 },
		{ "32LE-888", IMG_UI16, -1, 0, 0, 1, 0, 0, 0 },
		{ "32LE-888", IMG_PHOTO, -1, 0, 0, 0, 0, 1, 0 },
		{ "32LE-888", IMG_PHOTO, 0, 0, 0, 0, 1, 0, 0 },
		{ "32LE-888", IMG_NOISE, -1, 0, 0, 0, 1, 0, 0 },
		{ "32LE-d32", IMG_PHOTO, -1, 0, 0, 0, 0, 1, 0 },
		{ "32BE-d32", IMG_PHOTO, -1, 0, 0, 0, 1, 0, 0 },
		{ "16LE-565", IMG_PHOTO, -1, 0, 0, 0, 0, 1, 0 },
		{ "16BE-565", IMG_PHOTO, -1, 0, 0, 0, 1, 0, 0 },
		{ "16LE-565", IMG_NOISE, -1, 0, 0, 0, 1, 0, 0 },
		{ "8-bgr233", IMG_PHOTO, -1, 0, 0, 0, 1, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn c;
		const struct tdec_stats *st;

		conn_init(&c, &encoder_tight, fmt_by_name(cases[i].fmt), 200,
			  150);
		snprintf(c.desc, sizeof(c.desc), "case %zu", i);
		c.p.compress = cases[i].compress;
		draw(c.fb, 200, 200, 150, cases[i].cls, 11);
		conn_update(&c, &(struct rect){ 0, 0, 200, 150 });
		conn_expect_exact(&c);
		st = tdec_stats(c.dec);
		ck_assert_msg(st->fill == cases[i].fill &&
				      st->mono == cases[i].mono &&
				      st->indexed == cases[i].indexed &&
				      st->copy == cases[i].copy &&
				      st->gradient == cases[i].gradient &&
				      st->raw == cases[i].raw,
			      "case %zu: fill %ld mono %ld idx %ld copy %ld "
			      "grad %ld raw %ld",
			      i, st->fill, st->mono, st->indexed, st->copy,
			      st->gradient, st->raw);
		conn_fini(&c);
	}
}
END_TEST

/* JPEG needs a quality hint, and fine quality / subsampling alone do. */
START_TEST(test_tight_jpeg_hints)
{
	static const struct {
		int q, fq, ss;
		bool jpeg;
	} cases[] = {
		{ -1, -1, -1, false },
		{ 6, -1, -1, true },
		{ -1, 80, -1, true },
		{ -1, -1, RFB_SUBSAMP_GRAY, true },
		{ 3, 95, RFB_SUBSAMP_1X, true },
		{ 9, -1, RFB_SUBSAMP_16X, true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn c;

		conn_init(&c, &encoder_tight, &fmts[0], 256, 256);
		c.p.quality = cases[i].q;
		c.p.fine_quality = cases[i].fq;
		c.p.subsampling = cases[i].ss;
		draw(c.fb, 256, 256, 256, IMG_PHOTO, 5);
		conn_update(&c, &(struct rect){ 0, 0, 256, 256 });
		ck_assert_int_eq(tdec_stats(c.dec)->jpeg > 0, cases[i].jpeg);
		if (cases[i].ss == RFB_SUBSAMP_GRAY) {
			/* Grey JPEG: every decoded pixel has r = g = b. */
			size_t colour = 0;

			for (size_t k = 0; k < 256 * 256; k++) {
				uint32_t v = c.got[k];

				colour += (v >> 16 & 255) != (v & 255) ||
					  (v >> 8 & 255) != (v & 255);
			}
			ck_assert_uint_eq(colour, 0);
		} else {
			conn_expect_psnr(&c, 30.0);
		}
		conn_fini(&c);
	}
}
END_TEST

/* Fine quality overrides the level: 100 beats 1 by a wide margin. */
START_TEST(test_tight_fine_quality)
{
	size_t len[2];
	double p[2];

	for (int i = 0; i < 2; i++) {
		struct conn c;

		conn_init(&c, &encoder_tight, &fmts[0], 320, 240);
		c.p.quality = 5;
		c.p.fine_quality = i ? 100 : 1;
		draw(c.fb, 320, 320, 240, IMG_PHOTO, 9);
		conn_update(&c, &(struct rect){ 0, 0, 320, 240 });
		len[i] = c.out.len;
		p[i] = psnr_values(&c.pc.pf, c.got, c.want, 320 * 240);
		conn_fini(&c);
	}
	ck_assert_uint_gt(len[1], 2 * len[0]);
	ck_assert(p[1] > p[0] + 10);
}
END_TEST

static Suite *tight_suite(void)
{
	Suite *s = suite_create("enc-tight");
	TCase *tc;

	build_matrix();

	tc = tcase_create("properties");
	tcase_add_test(tc, test_tight_golden);
	tcase_add_test(tc, test_tight_compact_len);
	tcase_add_test(tc, test_tight_solid_areas);
	tcase_add_test(tc, test_tight_subencodings);
#ifdef HAVE_JPEG
	tcase_add_test(tc, test_tight_jpeg_hints);
	tcase_add_test(tc, test_tight_fine_quality);
#endif
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("tight-matrix");
	tcase_add_loop_test(tc, test_tight_matrix, 0, nmcases);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("tight-sequence");
	tcase_add_loop_test(tc, test_tight_sequence, 0, 2 * NFMTS);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("tight-large-sequence");
	tcase_add_loop_test(tc, test_tight_large_sequence, 0, NFMTS);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

#ifdef HAVE_PNG
	tc = tcase_create("tightpng-matrix");
	tcase_add_loop_test(tc, test_tightpng_matrix, 0, nmcases);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);

	tc = tcase_create("tightpng-sequence");
	tcase_add_loop_test(tc, test_tightpng_sequence, 0, 2 * NFMTS);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
#endif
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tight_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
