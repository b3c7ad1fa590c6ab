/* SPDX-License-Identifier: MIT */
/*
 * webm: recordings as video a browser or a CI artifact viewer shows
 * inline. Frames are encoded to VP8 with libvpx (lossy, in I420) and put
 * into a WebM file, the Matroska subset browsers play: an EBML header
 * with the DocType "webm", then a Segment holding Info (milliseconds as
 * the time unit, the duration), Tracks (one VP8 video track) and
 * Clusters of SimpleBlocks, a new Cluster at every key frame. Elements
 * are written with 8-byte sizes, which every reader takes; the Segment is
 * built in memory and written once its size is known.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_VPX
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>
#endif

#include "buf.h"
#include "webm.h"

#ifdef HAVE_VPX

/* Matroska element IDs (with their length marker bits) */
#define EBML_HEADER 0x1A45DFA3u
#define EBML_VERSION 0x4286u
#define EBML_READ_VERSION 0x42F7u
#define EBML_MAX_ID_LENGTH 0x42F2u
#define EBML_MAX_SIZE_LENGTH 0x42F3u
#define EBML_DOC_TYPE 0x4282u
#define EBML_DOC_TYPE_VERSION 0x4287u
#define EBML_DOC_TYPE_READ_VERSION 0x4285u
#define MKV_SEGMENT 0x18538067u
#define MKV_INFO 0x1549A966u
#define MKV_TIMECODE_SCALE 0x2AD7B1u
#define MKV_DURATION 0x4489u
#define MKV_MUXING_APP 0x4D80u
#define MKV_WRITING_APP 0x5741u
#define MKV_TRACKS 0x1654AE6Bu
#define MKV_TRACK_ENTRY 0xAEu
#define MKV_TRACK_NUMBER 0xD7u
#define MKV_TRACK_UID 0x73C5u
#define MKV_TRACK_TYPE 0x83u
#define MKV_CODEC_ID 0x86u
#define MKV_VIDEO 0xE0u
#define MKV_PIXEL_WIDTH 0xB0u
#define MKV_PIXEL_HEIGHT 0xBAu
#define MKV_CLUSTER 0x1F43B675u
#define MKV_TIMECODE 0xE7u
#define MKV_SIMPLE_BLOCK 0xA3u
/* A SimpleBlock's time is 16 bits relative to its Cluster. */
#define WEBM_CLUSTER_MAX_MS 30000

struct webm {
	char *path;
	unsigned width, height;
	vpx_codec_ctx_t codec;
	vpx_image_t img;
	struct buf clusters;	/* the Segment's Clusters so far */
	struct buf cluster;	/* the open Cluster's body */
	uint64_t cluster_ms;
	bool have_cluster;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0)
		abort();
}

static void put_id(struct buf *b, uint32_t id)
{
	uint8_t x[4];
	int n = id > 0xFFFFFF ? 4 : id > 0xFFFF ? 3 : id > 0xFF ? 2 : 1;

	for (int i = 0; i < n; i++)
		x[i] = (uint8_t)(id >> (8 * (n - 1 - i)));
	put(b, x, (size_t)n);
}

/* A size as an 8-byte EBML variable-length integer. */
static void put_size(struct buf *b, uint64_t size)
{
	uint8_t x[8];

	x[0] = 0x01;
	for (int i = 1; i < 8; i++)
		x[i] = (uint8_t)(size >> (8 * (7 - i)));
	put(b, x, 8);
}

static void el_bytes(struct buf *b, uint32_t id, const void *p, size_t n)
{
	put_id(b, id);
	put_size(b, n);
	put(b, p, n);
}

static void el_uint(struct buf *b, uint32_t id, uint64_t v)
{
	uint8_t x[8];
	int n = 1;

	while (n < 8 && v >> (8 * n))
		n++;
	for (int i = 0; i < n; i++)
		x[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	el_bytes(b, id, x, (size_t)n);
}

static void el_string(struct buf *b, uint32_t id, const char *s)
{
	el_bytes(b, id, s, strlen(s));
}

static void el_float(struct buf *b, uint32_t id, double v)
{
	uint64_t bits;
	uint8_t x[8];

	memcpy(&bits, &v, 8);
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(bits >> (8 * (7 - i)));
	el_bytes(b, id, x, 8);
}

static void el_master(struct buf *b, uint32_t id, const struct buf *body)
{
	el_bytes(b, id, body->data, body->len);
}

static void close_cluster(struct webm *m)
{
	if (!m->have_cluster)
		return;
	el_master(&m->clusters, MKV_CLUSTER, &m->cluster);
	m->cluster.len = 0;
	m->have_cluster = false;
}

static void add_block(struct webm *m, const vpx_codec_cx_pkt_t *pkt)
{
	uint64_t ms = (uint64_t)pkt->data.frame.pts;
	bool key = pkt->data.frame.flags & VPX_FRAME_IS_KEY;
	uint8_t head[4];
	int64_t rel;

	if (m->have_cluster &&
	    (key || ms - m->cluster_ms > WEBM_CLUSTER_MAX_MS))
		close_cluster(m);
	if (!m->have_cluster) {
		m->cluster_ms = ms;
		m->have_cluster = true;
		el_uint(&m->cluster, MKV_TIMECODE, ms);
	}
	rel = (int64_t)(ms - m->cluster_ms);
	head[0] = 0x81;			/* track 1 */
	head[1] = (uint8_t)(rel >> 8);
	head[2] = (uint8_t)rel;
	head[3] = key ? 0x80 : 0x00;
	put_id(&m->cluster, MKV_SIMPLE_BLOCK);
	put_size(&m->cluster, 4 + pkt->data.frame.sz);
	put(&m->cluster, head, 4);
	put(&m->cluster, pkt->data.frame.buf, pkt->data.frame.sz);
}

static int encode(struct webm *m, vpx_image_t *img, uint64_t ms,
		  uint64_t duration_ms)
{
	const vpx_codec_cx_pkt_t *pkt;
	vpx_codec_iter_t iter = NULL;

	if (vpx_codec_encode(&m->codec, img, (vpx_codec_pts_t)ms,
			     duration_ms ? (unsigned long)duration_ms : 1, 0,
			     VPX_DL_GOOD_QUALITY) != VPX_CODEC_OK)
		return -EIO;
	while ((pkt = vpx_codec_get_cx_data(&m->codec, &iter)))
		if (pkt->kind == VPX_CODEC_CX_FRAME_PKT)
			add_block(m, pkt);
	return 0;
}

struct webm *webm_open(const char *path, unsigned width, unsigned height,
		       int *err)
{
	vpx_codec_enc_cfg_t cfg;
	struct webm *m;

	if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg, 0)) {
		*err = -EINVAL;
		return NULL;
	}
	cfg.g_w = width;
	cfg.g_h = height;
	cfg.g_timebase.num = 1;
	cfg.g_timebase.den = 1000;	/* milliseconds */
	cfg.g_lag_in_frames = 0;
	cfg.rc_end_usage = VPX_CQ;
	/* Screens are mostly still and full of sharp edges: a high ceiling
	 * for the frames that change, which are few. */
	cfg.rc_target_bitrate = width * height / 50 + 1000;
	cfg.rc_min_quantizer = 0;
	cfg.rc_max_quantizer = 40;
	cfg.kf_max_dist = 300;
	m = xcalloc(1, sizeof(*m));
	if (vpx_codec_enc_init(&m->codec, vpx_codec_vp8_cx(), &cfg, 0)) {
		free(m);
		*err = -EINVAL;
		return NULL;
	}
	vpx_codec_control(&m->codec, VP8E_SET_CQ_LEVEL, 4);
	if (!vpx_img_alloc(&m->img, VPX_IMG_FMT_I420, width, height, 16)) {
		vpx_codec_destroy(&m->codec);
		free(m);
		*err = -ENOMEM;
		return NULL;
	}
	m->path = xstrdup(path);
	m->width = width;
	m->height = height;
	return m;
}

/* XRGB8888 to I420 (BT.601, studio range), chroma of 2x2 blocks. */
static void to_i420(struct webm *m, const uint32_t *pixels, size_t stride)
{
	vpx_image_t *img = &m->img;
	unsigned x, y, w = m->width, h = m->height;
	const uint32_t *row;
	uint8_t *py;
	int r, g, b;

	for (y = 0; y < h; y++) {
		row = (const uint32_t *)((const uint8_t *)pixels + y * stride);
		py = img->planes[0] + (size_t)y * img->stride[0];
		for (x = 0; x < w; x++) {
			r = (int)(row[x] >> 16 & 255);
			g = (int)(row[x] >> 8 & 255);
			b = (int)(row[x] & 255);
			py[x] = (uint8_t)(((66 * r + 129 * g + 25 * b + 128) >>
					   8) + 16);
		}
	}
	for (y = 0; y < (h + 1) / 2; y++) {
		for (x = 0; x < (w + 1) / 2; x++) {
			unsigned x1 = 2 * x + 1 < w ? 2 * x + 1 : 2 * x;
			unsigned y1 = 2 * y + 1 < h ? 2 * y + 1 : 2 * y;
			const uint32_t *r0 = (const uint32_t *)
				((const uint8_t *)pixels + 2 * y * stride);
			const uint32_t *r1 = (const uint32_t *)
				((const uint8_t *)pixels + y1 * stride);
			uint32_t px[4] = { r0[2 * x], r0[x1], r1[2 * x],
					   r1[x1] };

			r = g = b = 0;
			for (int i = 0; i < 4; i++) {
				r += (int)(px[i] >> 16 & 255);
				g += (int)(px[i] >> 8 & 255);
				b += (int)(px[i] & 255);
			}
			r /= 4, g /= 4, b /= 4;
			img->planes[1][(size_t)y * img->stride[1] + x] =
				(uint8_t)(((-38 * r - 74 * g + 112 * b + 128) >>
					   8) + 128);
			img->planes[2][(size_t)y * img->stride[2] + x] =
				(uint8_t)(((112 * r - 94 * g - 18 * b + 128) >>
					   8) + 128);
		}
	}
}

int webm_frame(struct webm *m, const uint32_t *pixels, size_t stride,
	       uint64_t ms, uint64_t duration_ms)
{
	to_i420(m, pixels, stride);
	return encode(m, &m->img, ms, duration_ms);
}

static int write_file(struct webm *m, uint64_t end_ms)
{
	struct buf file = BUF_INIT, head = BUF_INIT, seg = BUF_INIT,
		   body = BUF_INIT, video = BUF_INIT, entry = BUF_INIT;
	size_t off = 0;
	ssize_t n;
	int fd, r = 0;

	el_uint(&head, EBML_VERSION, 1);
	el_uint(&head, EBML_READ_VERSION, 1);
	el_uint(&head, EBML_MAX_ID_LENGTH, 4);
	el_uint(&head, EBML_MAX_SIZE_LENGTH, 8);
	el_string(&head, EBML_DOC_TYPE, "webm");
	el_uint(&head, EBML_DOC_TYPE_VERSION, 2);
	el_uint(&head, EBML_DOC_TYPE_READ_VERSION, 2);
	el_master(&file, EBML_HEADER, &head);

	el_uint(&body, MKV_TIMECODE_SCALE, 1000000);	/* 1 ms */
	el_float(&body, MKV_DURATION, (double)end_ms);
	el_string(&body, MKV_MUXING_APP, "xrfb");
	el_string(&body, MKV_WRITING_APP, "xrfb");
	el_master(&seg, MKV_INFO, &body);

	el_uint(&video, MKV_PIXEL_WIDTH, m->width);
	el_uint(&video, MKV_PIXEL_HEIGHT, m->height);
	el_uint(&entry, MKV_TRACK_NUMBER, 1);
	el_uint(&entry, MKV_TRACK_UID, 1);
	el_uint(&entry, MKV_TRACK_TYPE, 1);		/* video */
	el_string(&entry, MKV_CODEC_ID, "V_VP8");
	el_master(&entry, MKV_VIDEO, &video);
	body.len = 0;
	el_master(&body, MKV_TRACK_ENTRY, &entry);
	el_master(&seg, MKV_TRACKS, &body);
	put(&seg, m->clusters.data, m->clusters.len);
	el_master(&file, MKV_SEGMENT, &seg);

	fd = open(m->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		r = -errno;
	while (!r && off < file.len) {
		n = write(fd, file.data + off, file.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		else
			off += (size_t)n;
	}
	if (fd >= 0 && close(fd) < 0 && !r)
		r = -errno;
	if (r)
		unlink(m->path);
	buf_fini(&file);
	buf_fini(&head);
	buf_fini(&seg);
	buf_fini(&body);
	buf_fini(&video);
	buf_fini(&entry);
	return r;
}

int webm_close(struct webm *m, uint64_t end_ms)
{
	int r;

	/* What the encoder still holds. */
	r = encode(m, NULL, end_ms, 1);
	close_cluster(m);
	if (!r)
		r = write_file(m, end_ms);
	vpx_img_free(&m->img);
	vpx_codec_destroy(&m->codec);
	buf_fini(&m->clusters);
	buf_fini(&m->cluster);
	free(m->path);
	free(m);
	return r;
}

#else

struct webm *webm_open(const char *path, unsigned width, unsigned height,
		       int *err)
{
	(void)path;
	(void)width;
	(void)height;
	*err = -ENOTSUP;
	return NULL;
}

int webm_frame(struct webm *m, const uint32_t *pixels, size_t stride,
	       uint64_t ms, uint64_t duration_ms)
{
	(void)m;
	(void)pixels;
	(void)stride;
	(void)ms;
	(void)duration_ms;
	return -ENOTSUP;
}

int webm_close(struct webm *m, uint64_t end_ms)
{
	(void)m;
	(void)end_ms;
	return -ENOTSUP;
}

#endif
