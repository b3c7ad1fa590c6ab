/* SPDX-License-Identifier: MIT */
/*
 * Encoder benchmark: a fixed corpus of 1920 x 1080 frames (desktop, web
 * page, photo, gradient, terminal, video-like; generated deterministically
 * by tests/enc/enc-images.c) encoded by each of our encoders and, where it
 * has one, by libvncserver's encoder at the same settings. libvncserver
 * runs as it does in a server: an rfbScreenInfo holding the frame and an
 * rfbClientRec on one end of a socketpair, drained by a thread; its bytes
 * are counted on the wire. Prints MPixel/s and bytes per frame, ours and
 * libvncserver's, with ratios. Client format: 32 bpp depth 24 little-endian
 * (the common case) unless -16 is given (565; libvncserver then gets our
 * translation tables, as its rounding makes different pixels).
 *
 * To add an encoder, add a row to `codecs[]`.
 *   bench-enc [-r MIN_REPS] [-t MIN_SECONDS] [-16] [-n] [-f FRAME]
 *             [row-name-prefix...]
 * -n: ours only; -f: only the named corpus frame (the only one made).
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>

#include <rfb/rfb.h>

#include "../tests/enc/enc-images.h"
#include "encoder.h"
#include "worker.h"
#include "rfb-proto.h"

#define W 1920
#define H 1080

/* Ask libvncserver's encoder for rect (x, y, w, h) after setting its
 * client's parameters. */
typedef rfbBool (*lvs_send_fn)(rfbClientPtr cl, int x, int y, int w, int h);

static rfbBool lvs_hextile(rfbClientPtr cl, int x, int y, int w, int h)
{
	return rfbSendRectEncodingHextile(cl, x, y, w, h);
}

/* libvncserver's Tight takes JPEG settings from turboQualityLevel and
 * turboSubsampLevel, which its rfbserver.c derives from the client's
 * QualityLevel with these tables; and it searches for solid areas only
 * when the client has LastRect (ours always does). */
static const int lvs_turbo_qual[10] = { 15, 29, 41, 42, 62, 77, 79, 86, 92,
					100 };
static const int lvs_turbo_subsamp[10] = { 1, 1, 1, 2, 2, 2, 0, 0, 0, 0 };

static void lvs_tight_setup(rfbClientPtr cl)
{
	int q = cl->tightQualityLevel;

	cl->enableLastRectEncoding = TRUE;
	cl->turboQualityLevel = q >= 0 && q <= 9 ? lvs_turbo_qual[q] : -1;
	cl->turboSubsampLevel = q >= 0 && q <= 9 ? lvs_turbo_subsamp[q] : 0;
}

static rfbBool lvs_tight(rfbClientPtr cl, int x, int y, int w, int h)
{
	lvs_tight_setup(cl);
	return rfbSendRectEncodingTight(cl, x, y, w, h);
}

/* rfb.h declares it only where libvncserver's own build had libpng. */
rfbBool rfbSendRectEncodingTightPng(rfbClientPtr cl, int x, int y, int w,
				    int h);

static rfbBool lvs_tightpng(rfbClientPtr cl, int x, int y, int w, int h)
{
	lvs_tight_setup(cl);
	return rfbSendRectEncodingTightPng(cl, x, y, w, h);
}

struct bench_codec {
	const char *name;	/* row label */
	int32_t type;		/* our encoder (RFB_ENC_*) */
	int compress;		/* CompressLevel, -1: none sent */
	int quality;		/* QualityLevel, -1: none sent */
	lvs_send_fn lvs;	/* libvncserver's, NULL if it has none */
	int lvs_encoding;	/* its cl->preferredEncoding */
	/* What libvncserver uses for "compress" when it differs. */
	const char *note;
};

static const struct bench_codec codecs[] = {
	{ "raw", RFB_ENC_RAW, -1, -1, rfbSendRectEncodingRaw, 0, NULL },
	{ "rre", RFB_ENC_RRE, -1, -1, rfbSendRectEncodingRRE, 2, NULL },
	{ "corre", RFB_ENC_CORRE, -1, -1, rfbSendRectEncodingCoRRE, 4, NULL },
	{ "hextile", RFB_ENC_HEXTILE, -1, -1, lvs_hextile, 5, NULL },
	{ "zlib-1", RFB_ENC_ZLIB, 1, -1, rfbSendRectEncodingZlib, 6, NULL },
	{ "zlib-def", RFB_ENC_ZLIB, -1, -1, rfbSendRectEncodingZlib, 6,
	  "level 5 both" },
	{ "zlib-9", RFB_ENC_ZLIB, 9, -1, rfbSendRectEncodingZlib, 6, NULL },
	{ "zlibhex-1", RFB_ENC_ZLIBHEX, 1, -1, NULL, 8, NULL },
	{ "zlibhex-def", RFB_ENC_ZLIBHEX, -1, -1, NULL, 8, NULL },
	{ "trle", RFB_ENC_TRLE, -1, -1, NULL, 15, NULL },
	{ "zrle-1", RFB_ENC_ZRLE, 1, -1, rfbSendRectEncodingZRLE, 16,
	  "lvs: always level 6" },
	{ "zrle-def", RFB_ENC_ZRLE, -1, -1, rfbSendRectEncodingZRLE, 16,
	  "level 6 both" },
	{ "zrle-9", RFB_ENC_ZRLE, 9, -1, rfbSendRectEncodingZRLE, 16,
	  "lvs: always level 6" },
	{ "zywrle-q0", RFB_ENC_ZYWRLE, -1, 0, rfbSendRectEncodingZRLE, 17,
	  "wavelet level 3" },
	{ "zywrle-q3", RFB_ENC_ZYWRLE, -1, 3, rfbSendRectEncodingZRLE, 17,
	  "wavelet level 2" },
	{ "zywrle-q6", RFB_ENC_ZYWRLE, -1, 6, rfbSendRectEncodingZRLE, 17,
	  "wavelet level 1" },
	{ "tight-0", RFB_ENC_TIGHT, 0, -1, lvs_tight, 7, NULL },
	{ "tight-1", RFB_ENC_TIGHT, 1, -1, lvs_tight, 7, NULL },
	{ "tight-def", RFB_ENC_TIGHT, -1, -1, lvs_tight, 7,
	  "ours: level 2, lvs: 6" },
	{ "tight-6", RFB_ENC_TIGHT, 6, -1, lvs_tight, 7, NULL },
	{ "tight-9", RFB_ENC_TIGHT, 9, -1, lvs_tight, 7, NULL },
	{ "tight-q2", RFB_ENC_TIGHT, -1, 2, lvs_tight, 7,
	  "JPEG quality 41 4:2:0" },
	{ "tight-q6", RFB_ENC_TIGHT, -1, 6, lvs_tight, 7,
	  "JPEG quality 79 4:4:4" },
	{ "tight-q8", RFB_ENC_TIGHT, -1, 8, lvs_tight, 7,
	  "JPEG quality 92 4:4:4" },
	{ "tight-q9", RFB_ENC_TIGHT, -1, 9, lvs_tight, 7,
	  "JPEG quality 100 4:4:4" },
	{ "tight-1-q6", RFB_ENC_TIGHT, 1, 6, lvs_tight, 7, NULL },
	{ "tightpng-def", RFB_ENC_TIGHT_PNG, -1, -1, lvs_tightpng, -260,
	  "ours: level 2, lvs: 6" },
	{ "tightpng-q6", RFB_ENC_TIGHT_PNG, -1, 6, lvs_tightpng, -260,
	  NULL },
};

#define NCODECS (sizeof(codecs) / sizeof(codecs[0]))

/* --- libvncserver side ------------------------------------------------- */

struct lvs {
	rfbScreenInfoPtr screen;
	rfbClientPtr cl;
	int fd;			/* the client's end, drained */
	pthread_t drain;
	pthread_mutex_t lock;
	unsigned long long drained;
	bool stop;
};

static void *drain_main(void *arg)
{
	struct lvs *l = arg;
	static char buf[1 << 16];

	for (;;) {
		struct pollfd p = { .fd = l->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			break;
		/* Read and count under the lock: once the sender's queue is
		 * empty, taking the lock means every byte is counted. */
		pthread_mutex_lock(&l->lock);
		n = recv(l->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0)
			l->drained += (unsigned long long)n;
		pthread_mutex_unlock(&l->lock);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			break;
	}
	return NULL;
}

/* Bytes received by the drain so far, once the sender's queue is empty. */
static unsigned long long lvs_drained(struct lvs *l)
{
	unsigned long long n;
	int q;

	for (;;) {
		if (ioctl(l->cl->sock, SIOCOUTQ, &q) < 0 || q == 0)
			break;
		usleep(50);
	}
	pthread_mutex_lock(&l->lock);
	n = l->drained;
	pthread_mutex_unlock(&l->lock);
	return n;
}

static int lvs_open(struct lvs *l, uint32_t *frame, bool bpp16,
		    const struct pixconv *pc)
{
	int argc = 1, sv[2];
	char *argv[] = { "bench-enc", NULL };

	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	rfbLogEnable(0);
	l->screen = rfbGetScreen(&argc, argv, W, H, 8, 3, 4);
	if (!l->screen)
		return -1;
	l->screen->frameBuffer = (char *)frame;
	/* Our frames are XRGB8888 (red at bit 16); libvncserver's default
	 * server format has red at bit 0. */
	l->screen->serverFormat.redShift = 16;
	l->screen->serverFormat.greenShift = 8;
	l->screen->serverFormat.blueShift = 0;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	l->fd = sv[1];
	if (pthread_create(&l->drain, NULL, drain_main, l))
		return -1;
	l->cl = rfbNewClient(l->screen, sv[0]);
	if (!l->cl)
		return -1;
	l->cl->state = RFB_NORMAL;
	if (bpp16) {
		l->cl->format.bitsPerPixel = 16;
		l->cl->format.depth = 16;
		l->cl->format.redMax = 31;
		l->cl->format.greenMax = 63;
		l->cl->format.blueMax = 31;
		l->cl->format.redShift = 11;
		l->cl->format.greenShift = 5;
		l->cl->format.blueShift = 0;
	}
	if (!rfbSetTranslateFunction(l->cl))
		return -1;
	if (pc && bpp16) {
		/* libvncserver rounds channels ((c * max + 127) / 255), we
		 * drop low bits: give it our tables (red, green, blue, 256
		 * entries each) so both encoders see the same pixels. */
		uint16_t *t = (uint16_t *)l->cl->translateLookupTable;

		for (int i = 0; i < 256; i++) {
			t[i] = (uint16_t)pc->rtab[i];
			t[256 + i] = (uint16_t)pc->gtab[i];
			t[512 + i] = (uint16_t)pc->btab[i];
		}
	}
	return 0;
}

static void lvs_close(struct lvs *l)
{
	if (l->cl) {
		rfbCloseClient(l->cl);
		rfbClientConnectionGone(l->cl);
	}
	if (l->fd > 0) {
		shutdown(l->fd, SHUT_RDWR);
		pthread_join(l->drain, NULL);
		close(l->fd);
	}
	if (l->screen) {
		l->screen->frameBuffer = NULL;
		rfbScreenCleanup(l->screen);
	}
}

/* --- measuring --------------------------------------------------------- */

static int min_reps = 3;
static double min_secs = 0.3;

/* CPU time of this thread: the machine may be busy with other work, and
 * libvncserver's waits for the socket drain are not encoding time. With
 * -j N (N > 1) our encoders also use the worker pool, whose threads this
 * clock would not see: wall-clock time is measured instead, for both. */
static clockid_t clock_id = CLOCK_THREAD_CPUTIME_ID;

static double now(void)
{
	struct timespec t;

	clock_gettime(clock_id, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

struct result {
	double secs;		/* per frame */
	double bytes;		/* per frame */
	bool ok;
};

static struct result run_ours(struct encoder *e, const struct encoder_ops *ops,
			      const struct enc_params *p, uint32_t *frame,
			      struct buf *out)
{
	struct enc_frame f = { frame, W, W, H };
	struct rect r = { 0, 0, W, H };
	struct result res = { 0, 0, true };
	double t0 = now(), bytes = 0;
	int reps = 0;

	do {
		out->len = 0;
		if (ops->encode(e, p, &f, &r, out) <= 0) {
			res.ok = false;
			return res;
		}
		bytes += (double)out->len;
		reps++;
	} while (reps < min_reps || now() - t0 < min_secs);
	res.secs = (now() - t0) / reps;
	res.bytes = bytes / reps;
	return res;
}

static struct result run_lvs(struct lvs *l, const struct bench_codec *c)
{
	struct result res = { 0, 0, true };
	unsigned long long b0 = lvs_drained(l);
	double t0 = now(), t = 0;
	int reps = 0;

	l->cl->preferredEncoding = c->lvs_encoding;
	l->cl->zlibCompressLevel = c->compress < 0 ? 5 : (uint32_t)c->compress;
	l->cl->tightCompressLevel = c->compress < 0 ? 6 : c->compress;
	l->cl->tightQualityLevel = c->quality;
	do {
		double s = now();

		if (!c->lvs(l->cl, 0, 0, W, H) || !rfbSendUpdateBuf(l->cl)) {
			res.ok = false;
			return res;
		}
		t += now() - s;
		reps++;
	} while (reps < min_reps || now() - t0 < min_secs);
	res.secs = t / reps;
	res.bytes = (double)(lvs_drained(l) - b0) / reps;
	return res;
}

static bool selected(const char *name, int argc, char **argv, int first)
{
	if (first >= argc)
		return true;
	for (int i = first; i < argc; i++)
		if (!strncmp(name, argv[i], strlen(argv[i])))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static const struct pixfmt fmt32 = { 32, 24, 0, 1, 255, 255, 255,
					     16, 8,  0 };
	static const struct pixfmt fmt16 = { 16, 16, 0, 1, 31, 63, 31,
					     11, 5,  0 };
	uint32_t *frames[CORPUS_N], *frame;
	struct buf out = BUF_INIT;
	struct pixconv pc;
	bool bpp16 = false, no_lvs = false;
	unsigned threads = 1;
	const char *only_frame = NULL;
	int first = 1;

	while (first < argc && argv[first][0] == '-') {
		if (!strcmp(argv[first], "-r") && first + 1 < argc)
			min_reps = atoi(argv[++first]);
		else if (!strcmp(argv[first], "-t") && first + 1 < argc)
			min_secs = atof(argv[++first]);
		else if (!strcmp(argv[first], "-16"))
			bpp16 = true;
		else if (!strcmp(argv[first], "-n"))
			no_lvs = true;
		else if (!strcmp(argv[first], "-f") && first + 1 < argc)
			only_frame = argv[++first];
		else if (!strcmp(argv[first], "-j") && first + 1 < argc)
			threads = (unsigned)atoi(argv[++first]);
		first++;
	}
	if (threads > 1) {
		worker_init(threads);
		clock_id = CLOCK_MONOTONIC;
	}
	pixconv_init(&pc, bpp16 ? &fmt16 : &fmt32);
	frame = malloc((size_t)W * H * 4);
	if (!frame)
		return 1;
	for (int i = 0; i < CORPUS_N; i++) {
		frames[i] = malloc((size_t)W * H * 4);
		if (!frames[i])
			return 1;
		/* -f: the others are never encoded (and under callgrind
		 * making them would outweigh the encoding). */
		if (only_frame &&
		    strcmp(only_frame, img_corpus_name((enum img_corpus)i)))
			continue;
		img_corpus((enum img_corpus)i, frames[i], W, W, H);
	}
	printf("%d x %d frames, client format %s, >= %d reps and %.2f s of "
	       "%s per cell, %u encoder thread%s for ours\n",
	       W, H, bpp16 ? "16 bpp 565 LE" : "32 bpp depth 24 LE", min_reps,
	       min_secs, threads > 1 ? "wall-clock time" : "thread CPU time",
	       threads, threads > 1 ? "s" : "");
	printf("%-12s %-9s %9s %9s %6s %11s %11s %6s\n", "encoding", "frame",
	       "ours MP/s", "lvs MP/s", "speed", "ours bytes", "lvs bytes",
	       "size");
	for (size_t ci = 0; ci < NCODECS; ci++) {
		const struct bench_codec *c = &codecs[ci];
		const struct encoder_ops *ops = encoder_find(c->type);
		struct enc_params p = { .pc = &pc,
					.quality = c->quality,
					.fine_quality = -1,
					.subsampling = -1,
					.compress = c->compress };
		double ot = 0, lt = 0, ob = 0, lb = 0;
		int nframes = 0;
		struct encoder *e;
		struct lvs l;
		bool have_lvs;

		if (!selected(c->name, argc, argv, first))
			continue;
		if (!ops) {
			printf("%-12s not built\n", c->name);
			continue;
		}
		e = ops->new_state(ops);
		have_lvs = c->lvs && !no_lvs &&
			   lvs_open(&l, frame, bpp16, &pc) == 0;
		if (c->lvs && !no_lvs && !have_lvs)
			printf("%-12s libvncserver client setup failed\n",
			       c->name);
		for (int i = 0; i < CORPUS_N; i++) {
			struct result o, v = { 0, 0, false };

			if (only_frame &&
			    strcmp(only_frame,
				   img_corpus_name((enum img_corpus)i)))
				continue;
			nframes++;
			memcpy(frame, frames[i], (size_t)W * H * 4);
			o = run_ours(e, ops, &p, frame, &out);
			if (have_lvs)
				v = run_lvs(&l, c);
			ot += o.secs;
			ob += o.bytes;
			lt += v.secs;
			lb += v.bytes;
			printf("%-12s %-9s %9.1f", c->name,
			       img_corpus_name((enum img_corpus)i),
			       W * H / o.secs / 1e6);
			if (v.ok)
				printf(" %9.1f %5.2fx %11.0f %11.0f %5.2fx\n",
				       W * H / v.secs / 1e6, v.secs / o.secs,
				       o.bytes, v.bytes, o.bytes / v.bytes);
			else
				printf(" %9s %6s %11.0f %11s %6s\n", "-", "",
				       o.bytes, "-", "");
		}
		printf("%-12s %-9s %9.1f", c->name, "ALL",
		       nframes * W * H / ot / 1e6);
		if (have_lvs && lt > 0)
			printf(" %9.1f %5.2fx %11.0f %11.0f %5.2fx", 
			       nframes * W * H / lt / 1e6, lt / ot, ob, lb,
			       ob / lb);
		else
			printf(" %9s %6s %11.0f %11s %6s", "-", "", ob, "-",
			       "");
		printf("%s%s\n\n", c->note ? "  " : "", c->note ? c->note : "");
		if (have_lvs)
			lvs_close(&l);
		ops->free_state(e);
	}
	buf_fini(&out);
	for (int i = 0; i < CORPUS_N; i++)
		free(frames[i]);
	free(frame);
	return 0;
}
