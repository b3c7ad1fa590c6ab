/* SPDX-License-Identifier: MIT */
/*
 * fbs: recordings written by the writer, read back block by block and
 * decoded, give the frames that went in: whole, fed byte by byte and cut
 * in two at every byte; a file cut short ends at its last whole block;
 * malformed streams are refused with a reason, never read past.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fbs.h"
#include "unit.h"

#define W 48
#define H 40

static uint32_t frame[2][W * H];

static void make_frames(void)
{
	struct unit_rng rng;
	int i;

	unit_rng_seed(&rng, 7);
	for (i = 0; i < W * H; i++) {
		frame[0][i] = unit_rng_next(&rng) & 0xffffff;
		frame[1][i] = frame[0][i];
	}
	/* the second frame differs in a block */
	for (i = 0; i < W * H; i++)
		if (i % W >= 10 && i % W < 30 && i / W >= 5 && i / W < 20)
			frame[1][i] = 0x123456 + (uint32_t)i;
}

/* Write a recording of both frames; its path goes to @path. */
static void write_recording(char *path, size_t size)
{
	struct fbs_writer w;
	int fd;

	snprintf(path, size, "/tmp/test-fbs-%ld-XXXXXX", (long)getpid());
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(fbs_writer_open(&w, path, W, H, "test"), 0);
	fbs_writer_begin(&w);
	ck_assert_int_eq(fbs_writer_rect(&w, frame[0], W * 4, 0, 0, W, H), 0);
	ck_assert_int_eq(fbs_writer_end(&w, false), 0);
	fbs_writer_begin(&w);
	ck_assert_int_eq(fbs_writer_rect(&w, frame[1] + 5 * W + 10, W * 4, 10,
					 5, 20, 15), 0);
	ck_assert_int_eq(fbs_writer_end(&w, false), 0);
	/* an empty update writes nothing, unless it marks the end */
	fbs_writer_begin(&w);
	ck_assert_int_eq(fbs_writer_end(&w, false), 0);
	fbs_writer_begin(&w);
	ck_assert_int_eq(fbs_writer_end(&w, true), 0);
	fbs_writer_close(&w);
}

/* The whole stream of the recording at @path, and its block count. */
static void read_stream(const char *path, struct buf *stream, int *blocks)
{
	struct fbs_reader r;
	struct buf b = BUF_INIT;
	uint32_t ms, last = 0;
	int n;

	ck_assert_int_eq(fbs_reader_open(&r, path), 0);
	*blocks = 0;
	while ((n = fbs_reader_next(&r, &b, &ms)) > 0) {
		ck_assert_uint_ge(ms, last);
		last = ms;
		ck_assert_int_eq(buf_append(stream, b.data, b.len), 0);
		(*blocks)++;
	}
	ck_assert_int_eq(n, 0);
	fbs_reader_close(&r);
	buf_fini(&b);
}

static void check_frame(const struct fbs_decoder *d, int which)
{
	ck_assert_ptr_nonnull(d->fb);
	ck_assert_uint_eq(d->width, W);
	ck_assert_uint_eq(d->height, H);
	ck_assert(memcmp(d->fb, frame[which], sizeof(frame[which])) == 0);
}

START_TEST(test_round_trip)
{
	struct buf stream = BUF_INIT;
	struct fbs_decoder d;
	char path[64];
	size_t i, cut;
	int blocks;

	make_frames();
	write_recording(path, sizeof(path));
	read_stream(path, &stream, &blocks);
	ck_assert_int_eq(blocks, 4);

	fbs_decoder_init(&d);
	ck_assert_int_eq(fbs_decoder_feed(&d, stream.data, stream.len), 0);
	check_frame(&d, 1);
	fbs_decoder_fini(&d);

	fbs_decoder_init(&d);
	for (i = 0; i < stream.len; i++)
		ck_assert_int_eq(fbs_decoder_feed(&d, stream.data + i, 1), 0);
	check_frame(&d, 1);
	fbs_decoder_fini(&d);

	for (cut = 0; cut <= stream.len; cut += 7) {
		fbs_decoder_init(&d);
		ck_assert_int_eq(fbs_decoder_feed(&d, stream.data, cut), 0);
		ck_assert_int_eq(fbs_decoder_feed(&d, stream.data + cut,
						  stream.len - cut), 0);
		check_frame(&d, 1);
		fbs_decoder_fini(&d);
	}
	unlink(path);
	buf_fini(&stream);
}
END_TEST

START_TEST(test_cut_short)
{
	struct buf whole = BUF_INIT, part = BUF_INIT;
	struct fbs_decoder d;
	char path[64];
	off_t size;
	FILE *f;
	int blocks;

	make_frames();
	write_recording(path, sizeof(path));
	read_stream(path, &whole, &blocks);
	f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = ftello(f);
	fclose(f);
	/* Cut inside the second frame's block (the empty last block is 12
	 * bytes): it and what follows are dropped, the first frame stays. */
	ck_assert_int_eq(truncate(path, size - 12 - 10), 0);
	read_stream(path, &part, &blocks);
	ck_assert_int_eq(blocks, 2);
	fbs_decoder_init(&d);
	ck_assert_int_eq(fbs_decoder_feed(&d, part.data, part.len), 0);
	check_frame(&d, 0);
	fbs_decoder_fini(&d);
	unlink(path);
	buf_fini(&whole);
	buf_fini(&part);
}
END_TEST

/* Byte @at of the stream set to @value must be refused. */
static const struct {
	size_t at;
	uint8_t value;
	const char *what;
} bad[] = {
	{ 4, '4', "RFB version" },
	{ 15, 2, "security type" },
	{ 20, 16, "bits per pixel" },
	{ 23, 0, "true colour" },
	{ 16, 0xff, "width" },	/* 0xff30: beyond the largest side */
	{ 44, 9, "message type" },
	{ 48, 0xff, "rectangle x" },
	{ 52, 0xff, "rectangle width" },
	{ 56, 0x7f, "encoding" },
	{ 60, 0x7f, "zlib length" },
	{ 64, 0x00, "zlib data" },
};

START_TEST(test_malformed)
{
	struct buf stream = BUF_INIT;
	struct fbs_decoder d;
	char path[64];
	int blocks, r;

	make_frames();
	write_recording(path, sizeof(path));
	read_stream(path, &stream, &blocks);
	/* Version (12), security (4), ServerInit (24 and the name "test",
	 * 4): the first FramebufferUpdate starts at byte 44, its first
	 * rectangle at 48, the Zlib length at 60 and the data at 64. */
	ck_assert_uint_eq(stream.data[44], 0);
	ck_assert_uint_eq(get_u32(stream.data + 56), 6);
	stream.data[bad[_i].at] = bad[_i].value;
	fbs_decoder_init(&d);
	r = fbs_decoder_feed(&d, stream.data, stream.len);
	ck_assert_msg(r == -EPROTO, "%s accepted", bad[_i].what);
	ck_assert_ptr_nonnull(d.error);
	/* and stays refused */
	ck_assert_int_eq(fbs_decoder_feed(&d, stream.data, 1), -EPROTO);
	fbs_decoder_fini(&d);
	unlink(path);
	buf_fini(&stream);
}
END_TEST

START_TEST(test_not_fbs)
{
	struct fbs_reader r;
	char path[] = "/tmp/test-fbs-junk-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "FBS 002.000\n", 12), 12);
	close(fd);
	ck_assert_int_eq(fbs_reader_open(&r, path), -EPROTO);
	unlink(path);
}
END_TEST

static Suite *fbs_suite(void)
{
	Suite *s = suite_create("fbs");
	TCase *tc = unit_tcase(s, "recordings");

	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_cut_short);
	tcase_add_loop_test(tc, test_malformed, 0,
			    (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_not_fbs);
	return s;
}

UNIT_MAIN(fbs_suite)
