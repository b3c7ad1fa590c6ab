/* SPDX-License-Identifier: MIT */
/*
 * pixfmt: PIXEL_FORMAT parsing and checking, and translation from the
 * server's XRGB8888 into every class of client format. Expected wire bytes
 * come from a per-pixel reference written here from the format definition
 * (RFC 6143 §7.4: value = sum of channel << shift, serialised in the
 * format's byte order), never from the tables under test.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "pixfmt.h"
#include "unit.h"

struct fmt {
	const char *name;
	unsigned bpp, depth, be, tc;
	unsigned max[3], shift[3];
};

/* Every class of format a client may ask for. */
static const struct fmt formats[] = {
	{ "32 LE xrgb (server)", 32, 24, 0, 1, { 255, 255, 255 }, { 16, 8, 0 } },
	{ "32 BE xrgb", 32, 24, 1, 1, { 255, 255, 255 }, { 16, 8, 0 } },
	{ "32 LE rgbx noVNC", 32, 24, 0, 1, { 255, 255, 255 }, { 0, 8, 16 } },
	{ "32 BE rgbx", 32, 24, 1, 1, { 255, 255, 255 }, { 0, 8, 16 } },
	{ "32 LE r24 g16 b8", 32, 24, 0, 1, { 255, 255, 255 }, { 24, 16, 8 } },
	{ "32 BE r24 g16 b8", 32, 24, 1, 1, { 255, 255, 255 }, { 24, 16, 8 } },
	{ "32 LE r8 g16 b24", 32, 24, 0, 1, { 255, 255, 255 }, { 8, 16, 24 } },
	{ "32 LE depth 32", 32, 32, 0, 1, { 255, 255, 255 }, { 16, 8, 0 } },
	{ "32 LE 10-bit", 32, 30, 0, 1, { 1023, 1023, 1023 }, { 20, 10, 0 } },
	{ "32 BE 10-bit bgr", 32, 30, 1, 1, { 1023, 1023, 1023 }, { 0, 10, 20 } },
	{ "32 LE 16/8/8", 32, 32, 0, 1, { 65535, 255, 255 }, { 16, 8, 0 } },
	{ "32 LE 1-bit", 32, 3, 0, 1, { 1, 1, 1 }, { 31, 15, 0 } },
	{ "16 LE 565", 16, 16, 0, 1, { 31, 63, 31 }, { 11, 5, 0 } },
	{ "16 BE 565", 16, 16, 1, 1, { 31, 63, 31 }, { 11, 5, 0 } },
	{ "16 LE 555", 16, 15, 0, 1, { 31, 31, 31 }, { 10, 5, 0 } },
	{ "16 BE 555", 16, 15, 1, 1, { 31, 31, 31 }, { 10, 5, 0 } },
	{ "16 LE bgr565", 16, 16, 0, 1, { 31, 63, 31 }, { 0, 5, 11 } },
	{ "16 BE 444", 16, 12, 1, 1, { 15, 15, 15 }, { 8, 4, 0 } },
	{ "8 BGR233", 8, 8, 0, 1, { 7, 7, 3 }, { 0, 3, 6 } },
	{ "8 RGB332", 8, 8, 0, 1, { 7, 7, 3 }, { 5, 2, 0 } },
	{ "8 noVNC 222", 8, 6, 0, 1, { 3, 3, 3 }, { 0, 2, 4 } },
	{ "8 BE flag 332", 8, 8, 1, 1, { 7, 7, 3 }, { 5, 2, 0 } },
	{ "8 colour map", 8, 8, 0, 0, { 0, 0, 0 }, { 0, 0, 0 } },
};
#define NFORMATS ((int)(sizeof(formats) / sizeof(formats[0])))

static void fmt_wire(const struct fmt *f, uint8_t w[16])
{
	memset(w, 0, 16);
	w[0] = (uint8_t)f->bpp;
	w[1] = (uint8_t)f->depth;
	w[2] = (uint8_t)f->be;
	w[3] = (uint8_t)f->tc;
	for (int i = 0; i < 3; i++) {
		w[4 + 2 * i] = (uint8_t)(f->max[i] >> 8);
		w[5 + 2 * i] = (uint8_t)f->max[i];
		w[10 + i] = (uint8_t)f->shift[i];
	}
}

static void fmt_pf(const struct fmt *f, struct pixfmt *pf)
{
	uint8_t w[16];

	fmt_wire(f, w);
	pixfmt_read(pf, w);
}

static int bits_of(unsigned max)
{
	int n = 0;

	while (max >> n)
		n++;
	return n;
}

/* An 8-bit channel at n bits: the top bits when narrowing; when widening,
 * the 8-bit pattern repeated from the top down (so 255 is all ones). */
static uint32_t ref_channel(unsigned c8, unsigned max)
{
	int n = bits_of(max);
	uint32_t v = 0;

	if (n <= 8)
		return c8 >> (8 - n);
	for (int i = 0; i < n; i++)
		v = v << 1 | ((c8 >> (7 - i % 8)) & 1);
	return v;
}

/* The wire bytes of one XRGB8888 pixel; returns the byte count. */
static int ref_pixel(const struct fmt *f, uint32_t xrgb, uint8_t *out)
{
	const unsigned c[3] = { (xrgb >> 16) & 255, (xrgb >> 8) & 255,
				xrgb & 255 };
	int bytes = (int)f->bpp / 8;
	uint32_t v = 0;

	if (!f->tc) {
		/* Colour map: the BGR233 index (doc/protocol.md, "Colour-map
		 * clients"). */
		out[0] = (uint8_t)((c[0] >> 5) | (c[1] >> 5) << 3 |
				   (c[2] >> 6) << 6);
		return 1;
	}
	for (int i = 0; i < 3; i++)
		v |= ref_channel(c[i], f->max[i]) << f->shift[i];
	for (int i = 0; i < bytes; i++) {
		int sh = f->be ? 8 * (bytes - 1 - i) : 8 * i;
		out[i] = (uint8_t)(v >> sh);
	}
	return bytes;
}

/* Pixels that reach every table entry and the extremes, then noise. */
static uint32_t test_pixel(struct unit_rng *rng, int i)
{
	if (i < 256)
		return (uint32_t)i << 16;
	if (i < 512)
		return (uint32_t)(i - 256) << 8;
	if (i < 768)
		return (uint32_t)(i - 512);
	if (i < 1024)
		return (uint32_t)(i - 768) * 0x010101u;
	/* The X byte must be ignored. */
	return unit_rng_next(rng);
}

START_TEST(test_translate)
{
	const struct fmt *f = &formats[_i];
	static const int sizes[][2] = { { 1, 1 },   { 3, 2 },  { 17, 5 },
					{ 64, 3 },  { 33, 33 }, { 1, 40 },
					{ 1031, 2 } };
	struct pixfmt pf;
	struct pixconv pc;
	struct unit_rng rng;
	const char *why = NULL;

	fmt_pf(f, &pf);
	ck_assert_msg(pixfmt_check(&pf, &why) == 0, "%s rejected: %s", f->name,
		      why);
	pixconv_init(&pc, &pf);
	ck_assert_uint_eq(pc.bytes, f->bpp / 8);
	ck_assert(pc.colour_map == !f->tc);
	unit_rng_seed(&rng, (uint64_t)_i + 1);

	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int w = sizes[s][0], h = sizes[s][1], bytes = pc.bytes;
		size_t src_stride = (size_t)w + 3;	/* pixels */
		size_t dst_stride = (size_t)w * bytes + 5;	/* bytes */
		uint32_t *src = malloc(src_stride * h * sizeof(*src));
		uint8_t *dst = malloc(dst_stride * h + 7);
		int k = 0;

		ck_assert_ptr_nonnull(src);
		ck_assert_ptr_nonnull(dst);
		for (size_t i = 0; i < src_stride * h; i++)
			src[i] = test_pixel(&rng, k++);
		memset(dst, 0xa5, dst_stride * h + 7);
		pixconv_translate(&pc, dst, dst_stride, src, src_stride, w, h);

		for (int y = 0; y < h; y++) {
			const uint8_t *row = dst + (size_t)y * dst_stride;

			for (int x = 0; x < w; x++) {
				uint32_t p = src[(size_t)y * src_stride + x];
				uint8_t want[4];
				int n = ref_pixel(f, p, want);
				char a[20], b[20];

				if (pc.identity) {
					/* A plain copy: the unused X byte
					 * goes out as it is (test_identity). */
					uint32_t xb = p & 0xff000000u;
					uint8_t xw[4];

					memcpy(xw, &xb, 4);
					for (int j = 0; j < 4; j++)
						want[j] |= xw[j];
				}
				ck_assert_msg(memcmp(row + x * n, want, n) ==
						      0,
					      "%s: pixel %06x at %d,%d (%dx%d):"
					      " want [%s] got [%s]",
					      f->name, p & 0xffffff, x, y, w, h,
					      unit_hex(a, sizeof(a), want, n),
					      unit_hex(b, sizeof(b),
						       row + x * n, n));
			}
			/* Nothing written past the row. */
			for (size_t i = (size_t)w * bytes; i < dst_stride;
			     i++)
				ck_assert_uint_eq(row[i], 0xa5);
		}
		for (int i = 0; i < 7; i++)
			ck_assert_uint_eq(dst[dst_stride * h + i], 0xa5);
		free(src);
		free(dst);
	}
}
END_TEST

/* The inline single-pixel helpers agree with the reference too. */
START_TEST(test_pixel_put)
{
	const struct fmt *f = &formats[_i];
	struct pixfmt pf;
	struct pixconv pc;
	struct unit_rng rng;

	fmt_pf(f, &pf);
	pixconv_init(&pc, &pf);
	unit_rng_seed(&rng, 77);
	for (int i = 0; i < 2000; i++) {
		uint32_t p = test_pixel(&rng, i);
		uint8_t want[4], got[4] = { 0 };
		int n = ref_pixel(f, p, want);

		ck_assert_uint_eq(pixconv_put(&pc, got, pixconv_pixel(&pc, p)),
				  (unsigned)n);
		ck_assert_msg(memcmp(got, want, n) == 0, "%s: pixel %06x",
			      f->name, p);
	}
}
END_TEST

/* Reading the wire bytes back gives the channels at full 8 bits when the
 * format has 8-bit channels, and the reduced value scaled by rounding
 * otherwise. */
START_TEST(test_get_to_xrgb)
{
	const struct fmt *f = &formats[_i];
	struct pixfmt pf;
	struct pixconv pc;
	struct unit_rng rng;

	fmt_pf(f, &pf);
	pixconv_init(&pc, &pf);
	unit_rng_seed(&rng, 99);
	for (int i = 0; i < 2000; i++) {
		uint32_t p = test_pixel(&rng, i) & 0xffffff, want = 0;
		uint8_t b[4];
		uint32_t v;

		ref_pixel(f, p, b);
		v = pixfmt_get(&pf, b);
		for (int c = 0; c < 3; c++) {
			unsigned c8 = (p >> (16 - 8 * c)) & 255;
			unsigned max = f->tc ? f->max[c] : (c == 2 ? 3 : 7);
			unsigned q = f->tc ? ref_channel(c8, max)
					   : c8 >> (c == 2 ? 6 : 5);

			want = want << 8 | (q * 255 + max / 2) / max;
		}
		ck_assert_msg(pixfmt_to_xrgb(&pf, v) == want,
			      "%s: %06x -> %06x, want %06x", f->name, p,
			      pixfmt_to_xrgb(&pf, v), want);
		if (f->tc && f->max[0] == 255 && f->max[1] == 255 &&
		    f->max[2] == 255)
			ck_assert_uint_eq(pixfmt_to_xrgb(&pf, v), p);
	}
}
END_TEST

START_TEST(test_identity)
{
	struct pixfmt pf, server;
	struct pixconv pc;
	const uint16_t one = 1;
	bool le = *(const uint8_t *)&one == 1;
	uint32_t src[6] = { 0xff123456, 0x00abcdef, 0x01020304, 0, ~0u, 5 };
	uint8_t dst[24];

	pixfmt_server(&server);
	ck_assert_int_eq(pixfmt_check(&server, NULL), 0);
	ck_assert_uint_eq(server.bpp, 32);
	ck_assert_uint_eq(server.depth, 24);
	ck_assert_uint_eq(server.big_endian, !le);
	pixconv_init(&pc, &server);
	ck_assert(pc.identity);
	ck_assert(!pc.swap);
	pixconv_translate(&pc, dst, 12, src, 3, 3, 2);
	/* A plain copy, X byte included: clients ignore it. */
	ck_assert_mem_eq(dst, src, sizeof(dst));

	/* Byte-swapped server layout is not the identity. */
	fmt_pf(&formats[le ? 1 : 0], &pf);
	pixconv_init(&pc, &pf);
	ck_assert(!pc.identity);
	ck_assert(pc.swap);
	fmt_pf(&formats[2], &pf);
	pixconv_init(&pc, &pf);
	ck_assert(!pc.identity);
}
END_TEST

START_TEST(test_colour_map)
{
	uint16_t map[256][3];
	struct pixfmt pf;
	struct pixconv pc;

	pixconv_colour_map(map);
	for (int i = 0; i < 256; i++) {
		/* BGR233: red in bits 0-2, green 3-5, blue 6-7, each
		 * spread over 0..65535. */
		ck_assert_uint_eq(map[i][0], (i & 7) * 65535 / 7);
		ck_assert_uint_eq(map[i][1], ((i >> 3) & 7) * 65535 / 7);
		ck_assert_uint_eq(map[i][2], (i >> 6) * 65535 / 3);
	}
	ck_assert_uint_eq(map[255][0], 65535);
	ck_assert_uint_eq(map[255][2], 65535);

	/* A colour-map client is served BGR233 whatever else it sent. */
	fmt_pf(&formats[NFORMATS - 1], &pf);
	pf.red_max = 1;
	pf.red_shift = 5;
	ck_assert_int_eq(pixfmt_check(&pf, NULL), 0);
	pixconv_init(&pc, &pf);
	ck_assert(pc.colour_map);
	ck_assert_uint_eq(pc.pf.true_colour, 1);
	ck_assert_uint_eq(pc.pf.red_max, 7);
	ck_assert_uint_eq(pc.pf.green_max, 7);
	ck_assert_uint_eq(pc.pf.blue_max, 3);
	ck_assert_uint_eq(pc.pf.red_shift, 0);
	ck_assert_uint_eq(pc.pf.green_shift, 3);
	ck_assert_uint_eq(pc.pf.blue_shift, 6);
	/* The index of a colour points at the map entry of that colour. */
	for (uint32_t c = 0; c < 0x1000000; c += 0x010203) {
		unsigned idx = (uint8_t)pixconv_pixel(&pc, c);
		ck_assert_uint_eq(map[idx][0] >> 13, ((c >> 16) & 255) >> 5);
		ck_assert_uint_eq(map[idx][1] >> 13, ((c >> 8) & 255) >> 5);
		ck_assert_uint_eq(map[idx][2] >> 14, (c & 255) >> 6);
	}
}
END_TEST

START_TEST(test_check_accept)
{
	struct pixfmt pf;
	const char *why = "untouched";

	fmt_pf(&formats[_i], &pf);
	ck_assert_int_eq(pixfmt_check(&pf, &why), 0);
	ck_assert_int_eq(pixfmt_check(&pf, NULL), 0);
}
END_TEST

struct reject {
	struct fmt f;
	const char *reason;	/* a word the reason must contain */
};

static const struct reject rejects[] = {
	{ { "24 bpp", 24, 24, 0, 1, { 255, 255, 255 }, { 16, 8, 0 } },
	  "bits-per-pixel" },
	{ { "0 bpp", 0, 0, 0, 1, { 1, 1, 1 }, { 0, 1, 2 } }, "bits-per-pixel" },
	{ { "1 bpp map", 1, 1, 0, 0, { 0, 0, 0 }, { 0, 0, 0 } },
	  "bits-per-pixel" },
	{ { "12 bpp", 12, 12, 0, 1, { 15, 15, 15 }, { 8, 4, 0 } },
	  "bits-per-pixel" },
	{ { "16 bpp map", 16, 16, 0, 0, { 0, 0, 0 }, { 0, 0, 0 } },
	  "colour-map" },
	{ { "32 bpp map", 32, 24, 0, 0, { 255, 255, 255 }, { 16, 8, 0 } },
	  "colour-map" },
	{ { "max 0", 32, 24, 0, 1, { 0, 255, 255 }, { 16, 8, 0 } }, "maximum" },
	{ { "max 6", 32, 24, 0, 1, { 255, 6, 255 }, { 16, 8, 0 } }, "maximum" },
	{ { "max 0x8000", 32, 24, 0, 1, { 255, 255, 0x8000 }, { 16, 8, 0 } },
	  "maximum" },
	{ { "max 0xfffe", 32, 24, 0, 1, { 0xfffe, 255, 255 }, { 16, 8, 0 } },
	  "maximum" },
	{ { "8 bpp shift out", 8, 8, 0, 1, { 7, 7, 3 }, { 6, 3, 0 } }, "fit" },
	{ { "16 bpp 8-bit at 10", 16, 16, 0, 1, { 31, 255, 31 }, { 11, 10, 0 } },
	  "fit" },
	{ { "shift 255", 32, 24, 0, 1, { 255, 255, 255 }, { 255, 8, 0 } },
	  "fit" },
	{ { "shift 32", 32, 24, 0, 1, { 1, 255, 255 }, { 32, 8, 0 } }, "fit" },
	{ { "10-bit at 24", 32, 30, 0, 1, { 1023, 1023, 1023 }, { 24, 10, 0 } },
	  "fit" },
	{ { "same shift", 32, 24, 0, 1, { 255, 255, 255 }, { 0, 0, 16 } },
	  "overlap" },
	{ { "565 overlap", 16, 16, 0, 1, { 31, 63, 31 }, { 11, 4, 0 } },
	  "overlap" },
	{ { "3 x 16 bits", 32, 32, 0, 1, { 65535, 65535, 65535 }, { 0, 16, 8 } },
	  "overlap" },
};
#define NREJECTS ((int)(sizeof(rejects) / sizeof(rejects[0])))

START_TEST(test_check_reject)
{
	const struct reject *r = &rejects[_i];
	struct pixfmt pf;
	const char *why = NULL;

	fmt_pf(&r->f, &pf);
	ck_assert_msg(pixfmt_check(&pf, &why) == -EINVAL, "%s accepted",
		      r->f.name);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, r->reason), "%s: reason \"%s\" lacks \"%s\"",
		      r->f.name, why, r->reason);
	ck_assert_int_eq(pixfmt_check(&pf, NULL), -EINVAL);
}
END_TEST

START_TEST(test_read_write)
{
	struct unit_rng rng;

	unit_rng_seed(&rng, 5);
	for (int i = 0; i < 10000; i++) {
		uint8_t w[16], norm[16], out[16];
		struct pixfmt pf, pf2;

		for (int k = 0; k < 16; k++)
			w[k] = (uint8_t)unit_rng_next(&rng);
		if (i & 1)
			w[2] = w[3] = (uint8_t)(i & 2);
		/* What survives: flags become 0/1, padding is zero. */
		memcpy(norm, w, 16);
		norm[2] = w[2] != 0;
		norm[3] = w[3] != 0;
		norm[13] = norm[14] = norm[15] = 0;

		/* Zeroed so that the structs compare with memcmp. */
		memset(&pf, 0, sizeof(pf));
		memset(&pf2, 0, sizeof(pf2));
		pixfmt_read(&pf, w);
		ck_assert_uint_eq(pf.bpp, w[0]);
		ck_assert_uint_eq(pf.depth, w[1]);
		ck_assert_uint_eq(pf.red_max, w[4] << 8 | w[5]);
		ck_assert_uint_eq(pf.green_max, w[6] << 8 | w[7]);
		ck_assert_uint_eq(pf.blue_max, w[8] << 8 | w[9]);
		ck_assert_uint_eq(pf.red_shift, w[10]);
		ck_assert_uint_eq(pf.green_shift, w[11]);
		ck_assert_uint_eq(pf.blue_shift, w[12]);
		memset(out, 0xee, sizeof(out));
		pixfmt_write(&pf, out);
		ck_assert_mem_eq(out, norm, 16);
		pixfmt_read(&pf2, out);
		ck_assert_mem_eq(&pf, &pf2, sizeof(pf));
	}
}
END_TEST

START_TEST(test_describe)
{
	struct pixfmt pf;
	char big[128], small[8];

	fmt_pf(&formats[12], &pf);
	pixfmt_describe(&pf, big, sizeof(big));
	ck_assert_msg(strstr(big, "16bpp") && strstr(big, "31/63/31") &&
			      strstr(big, "11/5/0"),
		      "description \"%s\"", big);
	memset(small, 'x', sizeof(small));
	pixfmt_describe(&pf, small, sizeof(small));
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	fmt_pf(&formats[NFORMATS - 1], &pf);
	pixfmt_describe(&pf, big, sizeof(big));
	ck_assert_msg(strstr(big, "colour map"), "description \"%s\"", big);
}
END_TEST

static Suite *pixfmt_suite(void)
{
	Suite *s = suite_create("pixfmt");
	TCase *tc;

	tc = unit_tcase(s, "translate");
	tcase_add_loop_test(tc, test_translate, 0, NFORMATS);
	tcase_add_loop_test(tc, test_pixel_put, 0, NFORMATS);
	tcase_add_loop_test(tc, test_get_to_xrgb, 0, NFORMATS);
	tcase_add_test(tc, test_identity);
	tcase_add_test(tc, test_colour_map);

	tc = unit_tcase(s, "check");
	tcase_add_loop_test(tc, test_check_accept, 0, NFORMATS);
	tcase_add_loop_test(tc, test_check_reject, 0, NREJECTS);

	tc = unit_tcase(s, "wire");
	tcase_add_test(tc, test_read_write);
	tcase_add_test(tc, test_describe);
	return s;
}

UNIT_MAIN(pixfmt_suite)
