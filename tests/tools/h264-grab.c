/* SPDX-License-Identifier: MIT */
/*
 * h264-grab: an RFB viewer written from the specification that asks for
 * H.264 (encoding 50) and decodes it with FFmpeg's libavcodec, for the
 * tests. It takes 32 bpp pixels (Raw), draws H.264 rectangles into its
 * framebuffer, keeps one decoder per rectangle geometry as the community
 * specification says (dropping them on the reset flags), and counts what
 * it got. Driven line by line on stdin like vnc-grab; its first line
 * reports the first complete update.
 *
 *   h264-grab [--no-h264] [--quality 0-9] [--timeout-ms N] [--commands -]
 *             HOST:PORT
 * Commands (answers "ok ..." or "fail ..."):
 *   sync              wait for an update asked for after this command
 *   wait-h264 N       wait until N H.264 rectangles came in all
 *   full              send a non-incremental update request
 *   stats             counts: h264 rectangles, key frames, payload bytes,
 *                     errors (a first picture that is not a key frame,
 *                     an undecodable one), updates, raw rectangles
 *   psnr REF          PSNR of the last H.264 picture against the same
 *                     rectangle of REF (xwd or PPM), and the rectangle
 *   match REF         wait until the framebuffer equals REF exactly
 *   save FILE         the framebuffer as a binary PPM
 *   quit
 */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>

#include "image.h"
#include "tool-util.h"

#define MAX_CONTEXTS 8

struct ctx {
	int x, y, w, h;		/* w == 0: free */
	AVCodecContext *av;
	bool got_key;
	uint64_t last_used;
};

struct grab {
	int fd;
	int timeout_ms;
	bool h264;
	int quality;		/* -1: no QualityLevel sent */
	int width, height;
	uint32_t *fb;		/* 0x00RRGGBB */
	struct ctx ctx[MAX_CONTEXTS];
	uint64_t tick;
	AVPacket *pkt;
	AVFrame *frame;
	/* the last H.264 picture and where it went */
	uint32_t *last;
	int lx, ly, lw, lh;
	/* counts */
	unsigned long updates, h264_rects, keys, raw_rects, bad_first,
		bad_decode, resets;
	unsigned long long h264_bytes;
};

static void die(const char *what)
{
	out("fail %s\n", what);
	exit(1);
}

static void read_all(struct grab *g, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = read(g->fd, b, n);

		if (r <= 0)
			die(r ? "read error or timeout" : "server closed");
		b += r;
		n -= (size_t)r;
	}
}

static void write_all(struct grab *g, const void *p, size_t n)
{
	if (write(g->fd, p, n) != (ssize_t)n)
		die("write error");
}

static uint32_t rd32(struct grab *g)
{
	uint8_t b[4];

	read_all(g, b, 4);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static uint16_t rd16(struct grab *g)
{
	uint8_t b[2];

	read_all(g, b, 2);
	return (uint16_t)(b[0] << 8 | b[1]);
}

static void skip(struct grab *g, size_t n)
{
	uint8_t b[4096];

	while (n) {
		size_t k = n < sizeof(b) ? n : sizeof(b);

		read_all(g, b, k);
		n -= k;
	}
}

static void request(struct grab *g, bool incremental)
{
	uint8_t m[10] = { 3, incremental, 0, 0, 0, 0,
			  (uint8_t)(g->width >> 8), (uint8_t)g->width,
			  (uint8_t)(g->height >> 8), (uint8_t)g->height };

	write_all(g, m, sizeof(m));
}

static void resize(struct grab *g, int w, int h)
{
	free(g->fb);
	g->width = w;
	g->height = h;
	g->fb = calloc((size_t)w * h + 1, 4);
	if (!g->fb)
		die("out of memory");
}

static void handshake(struct grab *g)
{
	uint8_t v[12], n, types[255], init[24];
	uint8_t pf[20] = { 0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255,
			   16, 8, 0, 0, 0, 0 };
	int32_t encs[5];
	uint8_t se[4 + sizeof(encs)];
	int ne = 0;
	uint32_t len;

	read_all(g, v, 12);
	write_all(g, "RFB 003.008\n", 12);
	read_all(g, &n, 1);
	if (!n)
		die("no security types");
	read_all(g, types, n);
	if (!memchr(types, 1, n))
		die("no None security");
	write_all(g, (uint8_t[]){ 1 }, 1);
	if (rd32(g))
		die("security failed");
	write_all(g, (uint8_t[]){ 1 }, 1);
	read_all(g, init, 24);
	len = (uint32_t)init[20] << 24 | (uint32_t)init[21] << 16 |
	      (uint32_t)init[22] << 8 | init[23];
	skip(g, len);
	resize(g, init[0] << 8 | init[1], init[2] << 8 | init[3]);
	write_all(g, pf, sizeof(pf));
	if (g->h264)
		encs[ne++] = 50;
	encs[ne++] = 0;		/* Raw */
	encs[ne++] = -223;	/* DesktopSize */
	encs[ne++] = -239;	/* Cursor: not drawn into the pixels */
	if (g->quality >= 0)
		encs[ne++] = -32 + g->quality;
	se[0] = 2;
	se[1] = 0;
	se[2] = 0;
	se[3] = (uint8_t)ne;
	for (int i = 0; i < ne; i++) {
		uint32_t e = (uint32_t)encs[i];

		se[4 + 4 * i] = (uint8_t)(e >> 24);
		se[5 + 4 * i] = (uint8_t)(e >> 16);
		se[6 + 4 * i] = (uint8_t)(e >> 8);
		se[7 + 4 * i] = (uint8_t)e;
	}
	write_all(g, se, 4 + 4 * (size_t)ne);
	request(g, false);
}

static void ctx_drop(struct ctx *c)
{
	avcodec_free_context(&c->av);
	c->w = 0;
}

static struct ctx *ctx_get(struct grab *g, int x, int y, int w, int h)
{
	struct ctx *c, *oldest = &g->ctx[0];
	const AVCodec *codec;

	for (int i = 0; i < MAX_CONTEXTS; i++) {
		c = &g->ctx[i];
		if (c->w && c->x == x && c->y == y && c->w == w && c->h == h)
			return c;
		if (!c->w || (oldest->w && c->last_used < oldest->last_used))
			oldest = c;
	}
	c = oldest;
	if (c->w)
		ctx_drop(c);
	codec = avcodec_find_decoder(AV_CODEC_ID_H264);
	if (!codec)
		die("libavcodec has no H.264 decoder");
	c->av = avcodec_alloc_context3(codec);
	if (!c->av)
		die("out of memory");
	c->av->flags |= AV_CODEC_FLAG_LOW_DELAY;
	c->av->thread_count = 1;
	if (avcodec_open2(c->av, codec, NULL) < 0)
		die("cannot open the H.264 decoder");
	c->x = x;
	c->y = y;
	c->w = w;
	c->h = h;
	c->got_key = false;
	return c;
}

/* Whether the Annex B stream @p has an IDR slice (NAL type 5). */
static bool has_idr(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++)
		if (p[i] == 0 && p[i + 1] == 0 && p[i + 2] == 1 &&
		    (p[i + 3] & 0x1f) == 5)
			return true;
	return false;
}

static uint8_t clamp8(int v)
{
	return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* A decoded I420 picture (BT.601, limited range) into the framebuffer. */
static void draw_yuv(struct grab *g, const AVFrame *f, int x0, int y0)
{
	for (int y = 0; y < f->height; y++)
		for (int x = 0; x < f->width; x++) {
			int Y = f->data[0][y * f->linesize[0] + x] - 16;
			int U = f->data[1][y / 2 * f->linesize[1] + x / 2] -
				128;
			int V = f->data[2][y / 2 * f->linesize[2] + x / 2] -
				128;
			int r = (298 * Y + 409 * V + 128) >> 8;
			int gg = (298 * Y - 100 * U - 208 * V + 128) >> 8;
			int b = (298 * Y + 516 * U + 128) >> 8;

			g->fb[(size_t)(y0 + y) * g->width + x0 + x] =
				(uint32_t)clamp8(r) << 16 |
				(uint32_t)clamp8(gg) << 8 | clamp8(b);
		}
}

static void keep_last(struct grab *g, int x, int y, int w, int h)
{
	free(g->last);
	g->last = malloc((size_t)w * h * 4);
	if (!g->last)
		die("out of memory");
	for (int r = 0; r < h; r++)
		memcpy(g->last + (size_t)r * w,
		       g->fb + (size_t)(y + r) * g->width + x, (size_t)w * 4);
	g->lx = x;
	g->ly = y;
	g->lw = w;
	g->lh = h;
}

static void h264_rect(struct grab *g, int x, int y, int w, int h)
{
	uint32_t len = rd32(g), flags = rd32(g);
	uint8_t *data;
	struct ctx *c;
	bool key;
	int ret;

	if (len > 64u << 20)
		die("H.264 rectangle too long");
	if (flags & 2) {
		for (int i = 0; i < MAX_CONTEXTS; i++)
			if (g->ctx[i].w)
				ctx_drop(&g->ctx[i]);
		g->resets++;
	} else if (flags & 1) {
		c = ctx_get(g, x, y, w, h);
		ctx_drop(c);
		g->resets++;
	}
	data = calloc(1, len + AV_INPUT_BUFFER_PADDING_SIZE);
	if (!data)
		die("out of memory");
	read_all(g, data, len);
	c = ctx_get(g, x, y, w, h);
	c->last_used = ++g->tick;
	g->h264_rects++;
	g->h264_bytes += len;
	key = has_idr(data, len);
	g->keys += key;
	if (!len) {
		free(data);
		return;
	}
	if (!c->got_key && !key) {
		g->bad_first++;
		free(data);
		return;
	}
	c->got_key = true;
	g->pkt->data = data;
	g->pkt->size = (int)len;
	ret = avcodec_send_packet(c->av, g->pkt);
	if (ret >= 0)
		ret = avcodec_receive_frame(c->av, g->frame);
	if (ret < 0 || g->frame->width != w || g->frame->height != h ||
	    g->frame->format != AV_PIX_FMT_YUV420P) {
		g->bad_decode++;
	} else {
		draw_yuv(g, g->frame, x, y);
		keep_last(g, x, y, w, h);
	}
	av_frame_unref(g->frame);
	free(data);
}

static void raw_rect(struct grab *g, int x, int y, int w, int h)
{
	for (int r = 0; r < h; r++) {
		uint8_t *row = (uint8_t *)(g->fb + (size_t)(y + r) * g->width +
					   x);

		read_all(g, row, (size_t)w * 4);
		for (int i = 0; i < w; i++) {
			uint8_t *p = row + 4 * i;

			((uint32_t *)row)[i] = (uint32_t)p[2] << 16 |
					       (uint32_t)p[1] << 8 | p[0];
		}
	}
	g->raw_rects++;
}

static void update(struct grab *g)
{
	uint8_t pad;
	unsigned n;

	read_all(g, &pad, 1);
	n = rd16(g);
	for (unsigned i = 0; i < n; i++) {
		int x = rd16(g), y = rd16(g), w = rd16(g), h = rd16(g);
		int32_t e = (int32_t)rd32(g);

		if (e != -223 && e != -224 && e != -239 &&
		    (x + w > g->width || y + h > g->height))
			die("rectangle outside the framebuffer");
		switch (e) {
		case 0:
			raw_rect(g, x, y, w, h);
			break;
		case 50:
			h264_rect(g, x, y, w, h);
			break;
		case -239:
			skip(g, (size_t)w * h * 4 + (size_t)(w + 7) / 8 * h);
			break;
		case -223:
			resize(g, w, h);
			break;
		case -224:
			i = n;
			break;
		default:
			die("unexpected encoding");
		}
	}
	g->updates++;
	request(g, true);
}

static void message(struct grab *g)
{
	uint8_t type, b[3];

	read_all(g, &type, 1);
	switch (type) {
	case 0:
		update(g);
		break;
	case 2:
		break;
	case 3:
		read_all(g, b, 3);
		skip(g, rd32(g));
		break;
	default:
		die("unexpected server message");
	}
}

/* Read messages until @done(g, arg) or the timeout. */
static bool pump(struct grab *g, bool (*done)(struct grab *, unsigned long),
		 unsigned long arg)
{
	uint64_t end = now_ms() + (uint64_t)g->timeout_ms;

	while (!done(g, arg)) {
		struct pollfd p = { g->fd, POLLIN, 0 };
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return done(g, arg);
		message(g);
	}
	return true;
}

static bool updates_reach(struct grab *g, unsigned long n)
{
	return g->updates >= n;
}

static bool h264_reach(struct grab *g, unsigned long n)
{
	return g->h264_rects >= n;
}

static void cmd_psnr(struct grab *g, const char *path)
{
	struct image *ref = image_load(path);
	double se = 0;

	if (!ref) {
		out("fail cannot load %s\n", path);
		return;
	}
	if (!g->last || ref->width != g->width || ref->height != g->height) {
		out("fail no H.264 picture, or sizes differ\n");
		image_free(ref);
		return;
	}
	for (int y = 0; y < g->lh; y++)
		for (int x = 0; x < g->lw; x++) {
			uint32_t a = g->last[(size_t)y * g->lw + x];
			uint32_t b = ref->px[(size_t)(g->ly + y) * ref->width +
					     g->lx + x];

			for (int s = 0; s < 24; s += 8) {
				double d = (double)((a >> s) & 0xff) -
					   (double)((b >> s) & 0xff);

				se += d * d;
			}
		}
	se /= 3.0 * g->lw * g->lh;
	out("ok psnr %.2f in %dx%d+%d+%d\n",
	    se ? 10 * log10(255.0 * 255.0 / se) : 99.0, g->lw, g->lh, g->lx,
	    g->ly);
	image_free(ref);
}

static const struct image *match_ref;

static bool fb_matches(struct grab *g, unsigned long unused)
{
	const struct image *ref = match_ref;

	(void)unused;
	if (ref->width != g->width || ref->height != g->height)
		return false;
	for (size_t i = 0; i < (size_t)g->width * g->height; i++)
		if ((g->fb[i] & 0xffffff) != (ref->px[i] & 0xffffff))
			return false;
	return true;
}

static void cmd_match(struct grab *g, const char *path)
{
	struct image *ref = image_load(path);
	long differ = 0;

	if (!ref) {
		out("fail cannot load %s\n", path);
		return;
	}
	match_ref = ref;
	if (pump(g, fb_matches, 0)) {
		out("ok match\n");
	} else {
		for (size_t i = 0; ref->width == g->width &&
				   ref->height == g->height &&
				   i < (size_t)g->width * g->height; i++)
			differ += (g->fb[i] & 0xffffff) !=
				  (ref->px[i] & 0xffffff);
		out("fail %ld pixels differ (size %dx%d, reference %dx%d)\n",
		    differ, g->width, g->height, ref->width, ref->height);
	}
	image_free(ref);
}

static void cmd_save(struct grab *g, const char *path)
{
	struct image *img = image_new(g->width, g->height);

	if (!img) {
		out("fail out of memory\n");
		return;
	}
	memcpy(img->px, g->fb, (size_t)g->width * g->height * 4);
	if (image_write_ppm(img, path) < 0)
		out("fail cannot write %s\n", path);
	else
		out("ok saved %dx%d\n", g->width, g->height);
	image_free(img);
}

/* One command; false to quit. */
static bool command(struct grab *g, char *line)
{
	char *arg = strchr(line, ' ');

	if (arg)
		*arg++ = '\0';
	if (!strcmp(line, "quit")) {
		out("ok bye\n");
		return false;
	} else if (!strcmp(line, "sync")) {
		/* The one in flight may predate the command: one more. */
		if (pump(g, updates_reach, g->updates + 2))
			out("ok %lu updates\n", g->updates);
		else
			out("fail no update\n");
	} else if (!strcmp(line, "wait-h264") && arg) {
		if (pump(g, h264_reach, strtoul(arg, NULL, 10)))
			out("ok %lu h264\n", g->h264_rects);
		else
			out("fail only %lu H.264 rectangles\n", g->h264_rects);
	} else if (!strcmp(line, "full")) {
		request(g, false);
		out("ok\n");
	} else if (!strcmp(line, "stats")) {
		out("ok h264 %lu keys %lu bytes %llu resets %lu bad_first %lu "
		    "bad_decode %lu updates %lu raw %lu\n",
		    g->h264_rects, g->keys, g->h264_bytes, g->resets,
		    g->bad_first, g->bad_decode, g->updates, g->raw_rects);
	} else if (!strcmp(line, "psnr") && arg) {
		cmd_psnr(g, arg);
	} else if (!strcmp(line, "match") && arg) {
		cmd_match(g, arg);
	} else if (!strcmp(line, "save") && arg) {
		cmd_save(g, arg);
	} else {
		out("fail unknown command %s\n", line);
	}
	return true;
}

int main(int argc, char **argv)
{
	struct grab g = { .fd = -1, .timeout_ms = 10000, .h264 = true,
			  .quality = -1 };
	struct tool_lines lines = { .have = 0 };
	char line[sizeof(lines)];
	const char *addr = NULL;
	struct timeval tv;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--no-h264"))
			g.h264 = false;
		else if (!strcmp(argv[i], "--quality") && i + 1 < argc)
			g.quality = atoi(argv[++i]) % 10;
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			g.timeout_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--commands") && i + 1 < argc)
			i++;	/* always stdin */
		else
			addr = argv[i];
	}
	if (!addr) {
		fprintf(stderr, "usage: h264-grab [--no-h264] [--quality 0-9] "
				"[--timeout-ms N] [--commands -] HOST:PORT\n");
		return 2;
	}
	g.fd = tool_connect_to(addr);
	if (g.fd < 0)
		die("cannot connect");
	tv.tv_sec = g.timeout_ms / 1000;
	tv.tv_usec = g.timeout_ms % 1000 * 1000;
	setsockopt(g.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	g.pkt = av_packet_alloc();
	g.frame = av_frame_alloc();
	if (!g.pkt || !g.frame)
		die("out of memory");
	handshake(&g);
	if (!pump(&g, updates_reach, 1))
		die("no first update");
	out("ok first update %dx%d h264 %lu\n", g.width, g.height,
	    g.h264_rects);
	for (;;) {
		struct pollfd p[2] = { { 0, POLLIN, 0 }, { g.fd, POLLIN, 0 } };

		while (tool_line_take(&lines, line))
			if (!command(&g, line))
				goto done;
		if (poll(p, 2, -1) < 0)
			die("poll");
		if (p[0].revents && !tool_lines_read(&lines, 0))
			break;
		if (p[1].revents)
			message(&g);
	}
done:
	for (int i = 0; i < MAX_CONTEXTS; i++)
		if (g.ctx[i].w)
			ctx_drop(&g.ctx[i]);
	av_packet_free(&g.pkt);
	av_frame_free(&g.frame);
	free(g.fb);
	free(g.last);
	close(g.fd);
	return 0;
}
