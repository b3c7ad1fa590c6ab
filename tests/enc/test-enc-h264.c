/* SPDX-License-Identifier: MIT */
/*
 * The H.264 encoder (encoding 50) on its own: the rectangle header, the
 * length and flags words, key frames where they are due (a new context,
 * ENC_F_KEYFRAME) and only there, ResetAllContexts with each new
 * geometry, odd sizes cut to an even picture plus Raw strips, and
 * pictures that FFmpeg's libavcodec decodes close to the source.
 */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libavcodec/avcodec.h>

#include "buf.h"
#include "encoder.h"
#include "pixfmt.h"
#include "rfb-proto.h"

#define FW 256
#define FH 160
/* Far above what a misplaced or miscoloured picture scores (< 15 dB);
 * the quality itself is the integration test's (tests/integration/
 * h264.sh). */
#define MIN_PSNR 25.0

struct rect_out {
	int x, y, w, h;
	int32_t enc;
	const uint8_t *data;	/* after the header (and, for H.264, the
				 * length and flags) */
	uint32_t len, flags;
};

struct t {
	struct pixconv pc;
	struct enc_params p;
	struct encoder *e;
	uint32_t fb[FW * FH];
	struct enc_frame f;
	struct buf out;
	struct rect_out r[4];
	int n;
	AVCodecContext *av;
	AVFrame *frame;
	AVPacket *pkt;
};

/* A smooth scene panned by @k pixels, with a fixed fine texture. */
static void paint(struct t *t, int k)
{
	for (int y = 0; y < FH; y++)
		for (int x = 0; x < FW; x++) {
			int sx = x + 2 * k, sy = y + k;
			uint32_t r = (uint32_t)(sx * 255 / (FW * 2)) & 255;
			uint32_t g = (uint32_t)(sy * 255 / (FH * 2)) & 255;
			uint32_t b = (uint32_t)(((sx + sy) & 63) * 3);
			uint32_t tex = (uint32_t)((sx * 7 + sy * 13) & 3);

			t->fb[y * FW + x] = (r + tex) << 16 | (g + tex) << 8 |
					    (b + tex);
		}
}

static void t_init(struct t *t)
{
	struct pixfmt pf;
	const AVCodec *codec = avcodec_find_decoder(AV_CODEC_ID_H264);

	memset(t, 0, sizeof(*t));
	pixfmt_server(&pf);
	pixconv_init(&t->pc, &pf);
	t->p.pc = &t->pc;
	t->p.quality = t->p.fine_quality = t->p.subsampling = -1;
	t->p.compress = -1;
	t->e = encoder_h264.new_state(&encoder_h264);
	ck_assert_ptr_nonnull(t->e);
	t->f = (struct enc_frame){ t->fb, FW, FW, FH };
	ck_assert_ptr_nonnull(codec);
	t->av = avcodec_alloc_context3(codec);
	ck_assert_ptr_nonnull(t->av);
	t->av->flags |= AV_CODEC_FLAG_LOW_DELAY;
	t->av->thread_count = 1;
	ck_assert_int_ge(avcodec_open2(t->av, codec, NULL), 0);
	t->frame = av_frame_alloc();
	t->pkt = av_packet_alloc();
	ck_assert(t->frame && t->pkt);
}

static void t_fini(struct t *t)
{
	encoder_h264.free_state(t->e);
	buf_fini(&t->out);
	avcodec_free_context(&t->av);
	av_frame_free(&t->frame);
	av_packet_free(&t->pkt);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Encode @r and split the output into rectangles (t->r, t->n). */
static void encode(struct t *t, int x, int y, int w, int h, unsigned flags)
{
	struct rect r = { x, y, w, h };
	const uint8_t *p, *end;
	int n;

	t->out.len = 0;
	t->p.flags = flags;
	n = encoder_h264.encode(t->e, &t->p, &t->f, &r, &t->out);
	ck_assert_int_ge(n, 1);
	ck_assert_int_le(n, 3);
	p = t->out.data;
	end = p + t->out.len;
	for (t->n = 0; t->n < n; t->n++) {
		struct rect_out *o = &t->r[t->n];

		ck_assert(end - p >= RFB_RECT_HDR_LEN);
		o->x = p[0] << 8 | p[1];
		o->y = p[2] << 8 | p[3];
		o->w = p[4] << 8 | p[5];
		o->h = p[6] << 8 | p[7];
		o->enc = (int32_t)rd32(p + 8);
		p += RFB_RECT_HDR_LEN;
		if (o->enc == RFB_ENC_H264) {
			ck_assert(end - p >= RFB_H264_HDR_LEN);
			o->len = rd32(p);
			o->flags = rd32(p + 4);
			p += RFB_H264_HDR_LEN;
		} else {
			ck_assert_int_eq(o->enc, RFB_ENC_RAW);
			o->len = (uint32_t)(o->w * o->h * 4);
		}
		ck_assert((size_t)(end - p) >= o->len);
		o->data = p;
		p += o->len;
	}
	ck_assert(p == end);
}

/* The NAL unit types of an Annex B stream, as a bit set. */
static unsigned nal_types(const uint8_t *p, uint32_t n)
{
	unsigned set = 0;

	ck_assert(n >= 4 && p[0] == 0 && p[1] == 0 &&
		  (p[2] == 1 || (p[2] == 0 && p[3] == 1)));
	for (uint32_t i = 0; i + 3 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1)
			set |= 1u << (p[i + 3] & 0x1f);
	return set;
}

static bool is_key(const struct rect_out *o)
{
	unsigned set = nal_types(o->data, o->len);

	/* A key frame carries its parameter sets: SPS 7, PPS 8, IDR 5. */
	return (set & (1u << 5)) && (set & (1u << 7)) && (set & (1u << 8));
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* Decode the H.264 rectangle @o and return its PSNR against the frame. */
static double decode_psnr(struct t *t, const struct rect_out *o)
{
	uint8_t *data = calloc(1, o->len + AV_INPUT_BUFFER_PADDING_SIZE);
	const AVFrame *f = t->frame;
	double se = 0;

	ck_assert_ptr_nonnull(data);
	memcpy(data, o->data, o->len);
	t->pkt->data = data;
	t->pkt->size = (int)o->len;
	ck_assert_int_ge(avcodec_send_packet(t->av, t->pkt), 0);
	ck_assert_int_ge(avcodec_receive_frame(t->av, t->frame), 0);
	ck_assert_int_eq(f->width, o->w);
	ck_assert_int_eq(f->height, o->h);
	for (int y = 0; y < o->h; y++)
		for (int x = 0; x < o->w; x++) {
			int Y = f->data[0][y * f->linesize[0] + x] - 16;
			int U = f->data[1][y / 2 * f->linesize[1] + x / 2] -
				128;
			int V = f->data[2][y / 2 * f->linesize[2] + x / 2] -
				128;
			int rgb[3] = {
				clamp8((298 * Y + 409 * V + 128) >> 8),
				clamp8((298 * Y - 100 * U - 208 * V + 128) >>
				       8),
				clamp8((298 * Y + 516 * U + 128) >> 8),
			};
			uint32_t s = t->fb[(o->y + y) * FW + o->x + x];

			for (int c = 0; c < 3; c++) {
				double d = rgb[c] - (int)(s >> (16 - 8 * c) &
							  0xff);

				se += d * d;
			}
		}
	av_frame_unref(t->frame);
	free(data);
	se /= 3.0 * o->w * o->h;
	return se ? 10 * log10(255.0 * 255.0 / se) : 99;
}

START_TEST(test_h264_stream)
{
	struct t t;
	size_t first = 0, later = 0;

	t_init(&t);
	for (int k = 0; k < 8; k++) {
		paint(&t, k);
		encode(&t, 16, 8, 192, 128, 0);
		ck_assert_int_eq(t.n, 1);
		ck_assert_int_eq(t.r[0].enc, RFB_ENC_H264);
		ck_assert_int_eq(t.r[0].x, 16);
		ck_assert_int_eq(t.r[0].y, 8);
		ck_assert_int_eq(t.r[0].w, 192);
		ck_assert_int_eq(t.r[0].h, 128);
		/* The first picture starts a context: the viewer drops
		 * the others, and it is a key frame; then P frames. */
		ck_assert_uint_eq(t.r[0].flags,
				  k ? 0 : RFB_H264_RESET_ALL_CONTEXTS);
		ck_assert(is_key(&t.r[0]) == !k);
		ck_assert_double_ge(decode_psnr(&t, &t.r[0]), MIN_PSNR);
		if (k)
			later += t.r[0].len;
		else
			first = t.r[0].len;
	}
	/* A panned picture costs less than a key frame. */
	ck_assert_uint_lt(later / 7, first);
	t_fini(&t);
}
END_TEST

START_TEST(test_h264_keyframe_on_demand)
{
	struct t t;

	t_init(&t);
	paint(&t, 0);
	encode(&t, 0, 0, 128, 96, 0);
	ck_assert(is_key(&t.r[0]));
	decode_psnr(&t, &t.r[0]);
	paint(&t, 1);
	encode(&t, 0, 0, 128, 96, 0);
	ck_assert(!is_key(&t.r[0]));
	decode_psnr(&t, &t.r[0]);
	paint(&t, 2);
	encode(&t, 0, 0, 128, 96, ENC_F_KEYFRAME);
	/* Same context: a key frame, no reset. */
	ck_assert(is_key(&t.r[0]));
	ck_assert_uint_eq(t.r[0].flags, 0);
	ck_assert_double_ge(decode_psnr(&t, &t.r[0]), MIN_PSNR);
	paint(&t, 3);
	encode(&t, 0, 0, 128, 96, 0);
	ck_assert(!is_key(&t.r[0]));
	t_fini(&t);
}
END_TEST

START_TEST(test_h264_new_geometry)
{
	struct t t;

	t_init(&t);
	paint(&t, 0);
	encode(&t, 0, 0, 128, 96, 0);
	encode(&t, 0, 0, 128, 96, 0);
	ck_assert(!is_key(&t.r[0]));
	/* Moved, resized, or another quality: a new context. */
	encode(&t, 32, 0, 128, 96, 0);
	ck_assert_uint_eq(t.r[0].flags, RFB_H264_RESET_ALL_CONTEXTS);
	ck_assert(is_key(&t.r[0]));
	encode(&t, 32, 0, 160, 96, 0);
	ck_assert_uint_eq(t.r[0].flags, RFB_H264_RESET_ALL_CONTEXTS);
	ck_assert(is_key(&t.r[0]));
	t.p.quality = 9;
	encode(&t, 32, 0, 160, 96, 0);
	ck_assert_uint_eq(t.r[0].flags, RFB_H264_RESET_ALL_CONTEXTS);
	ck_assert(is_key(&t.r[0]));
	encode(&t, 32, 0, 160, 96, 0);
	ck_assert_uint_eq(t.r[0].flags, 0);
	t_fini(&t);
}
END_TEST

/* Raw rectangle @o holds the frame's pixels exactly. */
static void check_raw(const struct t *t, const struct rect_out *o)
{
	ck_assert_int_eq(o->enc, RFB_ENC_RAW);
	for (int y = 0; y < o->h; y++)
		ck_assert_mem_eq(o->data + (size_t)y * o->w * 4,
				 &t->fb[(o->y + y) * FW + o->x],
				 (size_t)o->w * 4);
}

START_TEST(test_h264_odd_sizes)
{
	struct t t;

	t_init(&t);
	paint(&t, 0);
	/* Odd width and height: the even picture, then the last column
	 * and the last row as Raw. */
	encode(&t, 3, 5, 101, 77, 0);
	ck_assert_int_eq(t.n, 3);
	ck_assert_int_eq(t.r[0].enc, RFB_ENC_H264);
	ck_assert_int_eq(t.r[0].x, 3);
	ck_assert_int_eq(t.r[0].y, 5);
	ck_assert_int_eq(t.r[0].w, 100);
	ck_assert_int_eq(t.r[0].h, 76);
	ck_assert_double_ge(decode_psnr(&t, &t.r[0]), MIN_PSNR);
	ck_assert_int_eq(t.r[1].x, 103);
	ck_assert_int_eq(t.r[1].y, 5);
	ck_assert_int_eq(t.r[1].w, 1);
	ck_assert_int_eq(t.r[1].h, 77);
	check_raw(&t, &t.r[1]);
	ck_assert_int_eq(t.r[2].x, 3);
	ck_assert_int_eq(t.r[2].y, 81);
	ck_assert_int_eq(t.r[2].w, 100);
	ck_assert_int_eq(t.r[2].h, 1);
	check_raw(&t, &t.r[2]);
	/* Only the height odd. */
	encode(&t, 4, 4, 64, 33, 0);
	ck_assert_int_eq(t.n, 2);
	ck_assert_int_eq(t.r[0].h, 32);
	ck_assert_int_eq(t.r[1].h, 1);
	ck_assert_int_eq(t.r[1].w, 64);
	check_raw(&t, &t.r[1]);
	/* Too small for a picture: Raw. */
	encode(&t, 0, 0, 15, 40, 0);
	ck_assert_int_eq(t.n, 1);
	check_raw(&t, &t.r[0]);
	t_fini(&t);
}
END_TEST

static Suite *h264_suite(void)
{
	Suite *s = suite_create("enc-h264");
	TCase *tc = tcase_create("h264");

	tcase_add_test(tc, test_h264_stream);
	tcase_add_test(tc, test_h264_keyframe_on_demand);
	tcase_add_test(tc, test_h264_new_geometry);
	tcase_add_test(tc, test_h264_odd_sizes);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(h264_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
