/* SPDX-License-Identifier: MIT */
/*
 * change-bench: the measuring client of bench/change-bench.sh, the same
 * for every server. It connects with libvncclient (as viewers do), offers
 * the encodings it is told, keeps one update request outstanding (after
 * each update libvncclient asks for the next), decodes everything, and
 * reports what it received.
 *
 *   change-bench [--encodings LIST] [--compress N] [--quality N]
 *                [--psnr PREFIX] [--seconds S] HOST:PORT
 *       after the first full update, count for S seconds: updates,
 *       updates that changed pixels (any pixel of their rectangles
 *       different from before), rectangles, CopyRects, bytes.
 *       --compress: libvncclient's CompressLevel (sent only when the
 *       encodings list has zlib or tight). --quality: JPEG allowed, at
 *       this QualityLevel (0-9; sent with tight in the list).
 *       --psnr: a few times in the window, after an update that wrote
 *       at least a quarter of the screen, what it wrote is compared with
 *       the same area of each of PREFIX-0.ppm, PREFIX-1.ppm ... (the X
 *       server's pictures of the frames the workload cycles through, see
 *       xload --dump): psnr_db is the PSNR of the whole update against
 *       the closest frame (what the viewer sees: a frame torn between
 *       two pictures counts as wrong), psnr_tile_db that of each 64x64
 *       tile against the frame closest to it (the encoding's loss
 *       alone, unless a tile itself is torn). Medians of the samples.
 *   change-bench --latency N --region X,Y,W,H [--keysym K] HOST:PORT
 *       N times: send a key press and release, and time until the
 *       pixels of the region change at the client; then let the screen
 *       settle for 150 ms. Prints median, 95th percentile, min and max.
 *
 * Output is one line of key=value pairs, for the script to pick up.
 */
#include <errno.h>
#include <netinet/in.h>
#include <linux/tcp.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <rfb/rfbclient.h>

#include "tool-util.h"	/* after <linux/tcp.h> */

#define BENCH_SETTLE_MS 150
#define BENCH_TIMEOUT_MS 5000
/* rectangles of one update compared one by one; beyond this many, their
 * bounding box */
#define BENCH_MAX_RECTS 256
/* reference pictures for --psnr, and how many samples a window takes */
#define BENCH_MAX_REFS 16
#define BENCH_PSNR_SAMPLES 5
/* the pieces compared each with the frame closest to it */
#define BENCH_TILE 64

struct bench_rect {
	int x, y, w, h;
};

struct bench {
	unsigned long updates, changed, rects, copyrects;
	/* An update has "changed" the screen when any pixel it wrote
	 * differs from what the client showed before: the areas it wrote
	 * are compared with a shadow copy of the framebuffer. */
	uint8_t *shadow;
	int shadow_w, shadow_h;
	struct bench_rect dirty[BENCH_MAX_RECTS];
	int ndirty;
	bool dirty_overflow;
	int bx0, by0, bx1, by1;		/* the bounding box of all of them */
	bool region_changed;
	uint8_t *region_copy;
	int rx, ry, rw, rh;
};

static struct bench the_bench;

/* --psnr: the pictures to compare with (RGB, 3 bytes a pixel) and the
 * samples taken. */
struct psnr {
	uint8_t *ref[BENCH_MAX_REFS];
	int nref, w, h;
	bool on;		/* sampling, within the window */
	double next_ms, every_ms;
	double db[BENCH_PSNR_SAMPLES], tile_db[BENCH_PSNR_SAMPLES];
	int n;
};

static struct psnr the_psnr;

static int load_refs(struct psnr *ps, const char *prefix)
{
	for (int k = 0; k < BENCH_MAX_REFS; k++) {
		char path[4096];
		FILE *f;
		int w, h, max;
		size_t n;

		snprintf(path, sizeof(path), "%s-%d.ppm", prefix, k);
		f = fopen(path, "rb");
		if (!f)
			break;
		if (fscanf(f, "P6 %d %d %d", &w, &h, &max) != 3 ||
		    max != 255 || w <= 0 || h <= 0 || fgetc(f) == EOF ||
		    (ps->nref && (w != ps->w || h != ps->h))) {
			fprintf(stderr, "change-bench: %s: not a picture "
				"like the others\n", path);
			fclose(f);
			return -1;
		}
		n = (size_t)w * h * 3;
		ps->ref[k] = malloc(n);
		if (!ps->ref[k] || fread(ps->ref[k], 1, n, f) != n) {
			fprintf(stderr, "change-bench: %s: short\n", path);
			fclose(f);
			return -1;
		}
		fclose(f);
		ps->w = w;
		ps->h = h;
		ps->nref = k + 1;
	}
	if (!ps->nref) {
		fprintf(stderr, "change-bench: no %s-0.ppm\n", prefix);
		return -1;
	}
	return 0;
}

/* Squared error summed over every @step-th row of area @a of the
 * picture shown against @ref; adds the values compared to *@count. */
static double sq_error(rfbClient *cl, const uint8_t *ref,
		       const struct bench_rect *a, int step, double *count)
{
	const rfbPixelFormat *f = &cl->format;
	double sum = 0;

	for (int y = a->y; y < a->y + a->h; y += step) {
		const uint32_t *p = (const uint32_t *)(void *)(cl->frameBuffer +
			(size_t)y * cl->width * 4);
		const uint8_t *q = ref + ((size_t)y * cl->width + a->x) * 3;

		for (int x = a->x; x < a->x + a->w; x++, q += 3) {
			uint32_t v = p[x];
			int r = (int)(v >> f->redShift & f->redMax);
			int g = (int)(v >> f->greenShift & f->greenMax);
			int b = (int)(v >> f->blueShift & f->blueMax);

			sum += (double)((r - q[0]) * (r - q[0]) +
					(g - q[1]) * (g - q[1]) +
					(b - q[2]) * (b - q[2]));
		}
		*count += 3.0 * a->w;
	}
	return sum;
}

/* PSNR of a mean squared error per value. */
static double psnr_of(double mse)
{
	return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : INFINITY;
}

/* PSNR of what the last update wrote (@a[0..n), at least a quarter of
 * the screen) against the closest reference as a whole, and of each
 * tile against the reference closest to it: references picked on every
 * fourth row, the error measured on all of them. */
static void psnr_sample(rfbClient *cl, struct psnr *ps,
			const struct bench_rect *a, int n)
{
	double tot[BENCH_MAX_REFS] = { 0 }, area = 0, count = 0, c = 0;
	double frame = 0, tiles = 0;
	int k_frame = 0;

	if (cl->width != ps->w || cl->height != ps->h ||
	    cl->format.bitsPerPixel != 32 || ps->n >= BENCH_PSNR_SAMPLES)
		return;
	for (int i = 0; i < n; i++)
		area += (double)a[i].w * a[i].h;
	if (area * 4 < (double)cl->width * cl->height)
		return;
	for (int i = 0; i < n; i++)
		for (int y = a[i].y; y < a[i].y + a[i].h; y += BENCH_TILE)
			for (int x = a[i].x; x < a[i].x + a[i].w;
			     x += BENCH_TILE) {
				struct bench_rect t = { x, y, BENCH_TILE,
							BENCH_TILE };
				double best = -1;
				int k_best = 0;

				if (t.w > a[i].x + a[i].w - x)
					t.w = a[i].x + a[i].w - x;
				if (t.h > a[i].y + a[i].h - y)
					t.h = a[i].y + a[i].h - y;
				for (int k = 0; k < ps->nref; k++) {
					double e = sq_error(cl, ps->ref[k], &t,
							    4, &c);

					tot[k] += e;
					if (best < 0 || e < best) {
						best = e;
						k_best = k;
					}
				}
				tiles += sq_error(cl, ps->ref[k_best], &t, 1,
						  &count);
			}
	for (int k = 1; k < ps->nref; k++)
		if (tot[k] < tot[k_frame])
			k_frame = k;
	for (int i = 0; i < n; i++)
		frame += sq_error(cl, ps->ref[k_frame], &a[i], 1, &c);
	ps->db[ps->n] = psnr_of(frame / count);
	ps->tile_db[ps->n++] = psnr_of(tiles / count);
	ps->next_ms = now_ms_f() + ps->every_ms;
}

/* Every rectangle of an update, CopyRect destinations included, after
 * libvncclient has drawn it. */
static void on_rect(rfbClient *cl, int x, int y, int w, int h)
{
	struct bench *b = &the_bench;

	b->rects++;
	if (x < 0) {
		w += x;
		x = 0;
	}
	if (y < 0) {
		h += y;
		y = 0;
	}
	if (w > cl->width - x)
		w = cl->width - x;
	if (h > cl->height - y)
		h = cl->height - y;
	if (w <= 0 || h <= 0)
		return;
	if (b->ndirty == 0 && !b->dirty_overflow) {
		b->bx0 = x;
		b->by0 = y;
		b->bx1 = x + w;
		b->by1 = y + h;
	} else {
		if (x < b->bx0)
			b->bx0 = x;
		if (y < b->by0)
			b->by0 = y;
		if (x + w > b->bx1)
			b->bx1 = x + w;
		if (y + h > b->by1)
			b->by1 = y + h;
	}
	if (b->ndirty < BENCH_MAX_RECTS)
		b->dirty[b->ndirty++] = (struct bench_rect){ x, y, w, h };
	else
		b->dirty_overflow = true;
}

static void on_copyrect(rfbClient *cl, int sx, int sy, int w, int h, int dx,
			int dy)
{
	size_t bpp = 4, stride = (size_t)cl->width * bpp, len = (size_t)w * bpp;
	uint8_t *tmp;

	/* counted in rects by on_rect, which libvncclient calls for it too */
	the_bench.copyrects++;
	if (w <= 0 || h <= 0 || sx < 0 || sy < 0 || sx + w > cl->width ||
	    sy + h > cl->height || dx < 0 || dy < 0 || dx + w > cl->width ||
	    dy + h > cl->height)
		return;
	tmp = malloc(len * (size_t)h);
	if (!tmp)
		return;
	for (int r = 0; r < h; r++)
		memcpy(tmp + (size_t)r * len, cl->frameBuffer +
		       (size_t)(sy + r) * stride + (size_t)sx * bpp, len);
	for (int r = 0; r < h; r++)
		memcpy(cl->frameBuffer + (size_t)(dy + r) * stride +
		       (size_t)dx * bpp, tmp + (size_t)r * len, len);
	free(tmp);
}

static bool region_differs(rfbClient *cl, struct bench *b, bool save)
{
	size_t stride = (size_t)cl->width * 4, len = (size_t)b->rw * 4;
	bool diff = false;

	for (int r = 0; r < b->rh; r++) {
		const uint8_t *p = cl->frameBuffer +
				   (size_t)(b->ry + r) * stride +
				   (size_t)b->rx * 4;
		uint8_t *q = b->region_copy + (size_t)r * len;

		if (memcmp(p, q, len)) {
			diff = true;
			if (save)
				memcpy(q, p, len);
		}
	}
	return diff;
}

/* Whether the framebuffer differs from the shadow anywhere in the area;
 * the shadow is brought up to date there. */
static bool area_changed(rfbClient *cl, struct bench *b,
			 const struct bench_rect *a)
{
	size_t stride = (size_t)cl->width * 4, len = (size_t)a->w * 4;
	bool diff = false;

	for (int r = 0; r < a->h; r++) {
		size_t off = (size_t)(a->y + r) * stride + (size_t)a->x * 4;

		if (diff || memcmp(cl->frameBuffer + off, b->shadow + off,
				   len)) {
			diff = true;
			memcpy(b->shadow + off, cl->frameBuffer + off, len);
		}
	}
	return diff;
}

static bool update_changed(rfbClient *cl, struct bench *b)
{
	bool diff = false;

	if (!b->shadow || b->shadow_w != cl->width ||
	    b->shadow_h != cl->height) {
		/* the first update, or one after a new desktop size */
		size_t n = (size_t)cl->width * cl->height * 4;

		free(b->shadow);
		b->shadow = malloc(n);
		if (!b->shadow) {
			fprintf(stderr, "change-bench: out of memory\n");
			exit(1);
		}
		memcpy(b->shadow, cl->frameBuffer, n);
		b->shadow_w = cl->width;
		b->shadow_h = cl->height;
		return true;
	}
	if (b->dirty_overflow) {
		struct bench_rect box = { b->bx0, b->by0, b->bx1 - b->bx0,
					  b->by1 - b->by0 };

		return area_changed(cl, b, &box);
	}
	for (int i = 0; i < b->ndirty; i++)
		if (area_changed(cl, b, &b->dirty[i]))
			diff = true;
	return diff;
}

static void on_finished(rfbClient *cl)
{
	struct bench *b = &the_bench;

	b->updates++;
	if (update_changed(cl, b))
		b->changed++;
	if (the_psnr.on && now_ms_f() >= the_psnr.next_ms) {
		struct bench_rect box = { b->bx0, b->by0, b->bx1 - b->bx0,
					  b->by1 - b->by0 };

		if (b->dirty_overflow)
			psnr_sample(cl, &the_psnr, &box, 1);
		else
			psnr_sample(cl, &the_psnr, b->dirty, b->ndirty);
	}
	b->ndirty = 0;
	b->dirty_overflow = false;
	if (b->region_copy && region_differs(cl, b, false))
		b->region_changed = true;
}

static unsigned long long bytes_received(rfbClient *cl)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(cl->sock, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return (unsigned long long)ti.tcpi_bytes_received;
}

/* Handle messages for up to @ms; false when the connection is gone. */
static bool pump(rfbClient *cl, double ms)
{
	double end = now_ms_f() + ms;

	for (;;) {
		double left = end - now_ms_f();
		int r;

		if (left <= 0)
			return true;
		r = WaitForMessage(cl, (unsigned)(left * 1000));
		if (r < 0)
			return false;
		if (r > 0 && !HandleRFBServerMessage(cl))
			return false;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int run_latency(rfbClient *cl, struct bench *b, int n,
		       uint32_t keysym)
{
	double *t = calloc((size_t)n, sizeof(*t));
	int done = 0, lost = 0;

	b->region_copy = malloc((size_t)b->rw * b->rh * 4);
	if (!t || !b->region_copy)
		return 1;
	/* the pointer over the window, so it has the keyboard focus */
	SendPointerEvent(cl, b->rx + b->rw / 2, b->ry + b->rh / 2, 0);
	if (!pump(cl, 300))
		return 1;
	region_differs(cl, b, true);
	while (done < n) {
		double t0, end;

		b->region_changed = false;
		t0 = now_ms_f();
		SendKeyEvent(cl, keysym, TRUE);
		SendKeyEvent(cl, keysym, FALSE);
		end = t0 + BENCH_TIMEOUT_MS;
		while (!b->region_changed && now_ms_f() < end) {
			int r = WaitForMessage(cl, 1000);

			if (r < 0 || (r > 0 && !HandleRFBServerMessage(cl)))
				return 1;
		}
		if (b->region_changed)
			t[done] = now_ms_f() - t0;
		else
			lost++;
		done++;
		if (!pump(cl, BENCH_SETTLE_MS))
			return 1;
		region_differs(cl, b, true);
	}
	n -= lost;
	if (n <= 0) {
		printf("latency_n=0 lost=%d\n", lost);
		return 1;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("latency_n=%d lost=%d median_ms=%.2f p95_ms=%.2f min_ms=%.2f "
	       "max_ms=%.2f\n", n, lost, t[n / 2],
	       t[(size_t)((n - 1) * 95 / 100)], t[0], t[n - 1]);
	free(t);
	return 0;
}

static int run_watch(rfbClient *cl, struct bench *b, double seconds)
{
	unsigned long u0 = b->updates, c0 = b->changed, r0 = b->rects;
	unsigned long cr0 = b->copyrects;
	unsigned long long by0 = bytes_received(cl), by1;
	double t0 = now_ms_f(), dt;
	struct psnr *ps = &the_psnr;

	ps->every_ms = seconds * 1000 / (BENCH_PSNR_SAMPLES + 1);
	ps->next_ms = t0 + ps->every_ms;
	ps->on = ps->nref > 0;
	if (!pump(cl, seconds * 1000))
		return 1;
	ps->on = false;
	dt = (now_ms_f() - t0) / 1000;
	by1 = bytes_received(cl);
	printf("seconds=%.2f updates=%lu changed=%lu rects=%lu copyrects=%lu "
	       "bytes=%llu updates_per_s=%.1f changed_per_s=%.1f "
	       "bytes_per_s=%.0f", dt, b->updates - u0, b->changed - c0,
	       b->rects - r0, b->copyrects - cr0, by1 - by0,
	       (double)(b->updates - u0) / dt, (double)(b->changed - c0) / dt,
	       (double)(by1 - by0) / dt);
	if (ps->n) {
		qsort(ps->db, (size_t)ps->n, sizeof(ps->db[0]), cmp_double);
		qsort(ps->tile_db, (size_t)ps->n, sizeof(ps->tile_db[0]),
		      cmp_double);
		printf(" psnr_n=%d psnr_db=%.2f psnr_tile_db=%.2f", ps->n,
		       ps->db[ps->n / 2], ps->tile_db[ps->n / 2]);
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct bench *b = &the_bench;
	const char *encodings = "copyrect zrle hextile raw", *addr = NULL;
	double seconds = 10, first_end;
	int latency = 0, compress = -1, quality = -1, i, ret;
	const char *psnr = NULL;
	uint32_t keysym = 'a';
	char host[256];
	int port;
	rfbClient *cl;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--encodings") && i + 1 < argc)
			encodings = argv[++i];
		else if (!strcmp(argv[i], "--compress") && i + 1 < argc)
			compress = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--quality") && i + 1 < argc)
			quality = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--psnr") && i + 1 < argc)
			psnr = argv[++i];
		else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
			seconds = atof(argv[++i]);
		else if (!strcmp(argv[i], "--latency") && i + 1 < argc)
			latency = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--keysym") && i + 1 < argc)
			keysym = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--region") && i + 1 < argc) {
			if (sscanf(argv[++i], "%d,%d,%d,%d", &b->rx, &b->ry,
				   &b->rw, &b->rh) != 4)
				return 2;
		} else if (argv[i][0] != '-' && !addr)
			addr = argv[i];
		else {
			fprintf(stderr, "usage: change-bench [--encodings L] "
				"[--compress N] [--quality N] [--psnr PREFIX] "
				"[--seconds S | --latency N --region X,Y,W,H "
				"[--keysym K]] HOST:PORT\n");
			return 2;
		}
	}
	if (!addr || sscanf(addr, "%255[^:]:%d", host, &port) != 2)
		return 2;
	if (psnr && load_refs(&the_psnr, psnr) < 0)
		return 2;

	cl = rfbGetClient(8, 3, 4);
	cl->appData.encodingsString = encodings;
	cl->appData.shareDesktop = TRUE;
	cl->appData.useRemoteCursor = FALSE;
	/* libvncclient's own compression level (3) unless told; it is sent
	 * only when the encodings list has zlib or tight */
	if (compress >= 0)
		cl->appData.compressLevel = compress;
	cl->appData.enableJPEG = quality >= 0;
	if (quality >= 0)
		cl->appData.qualityLevel = quality;
	cl->GotFrameBufferUpdate = on_rect;
	cl->GotCopyRect = on_copyrect;
	cl->FinishedFrameBufferUpdate = on_finished;
	cl->serverHost = strdup(host);
	cl->serverPort = port;
	if (!rfbInitClient(cl, NULL, NULL)) {
		fprintf(stderr, "change-bench: cannot connect to %s\n", addr);
		return 3;
	}
	/* everything starts from a complete first update */
	first_end = now_ms_f() + BENCH_TIMEOUT_MS;
	while (b->updates == 0) {
		if (now_ms_f() >= first_end) {
			fprintf(stderr, "change-bench: no framebuffer update "
				"from %s within %d ms\n", addr,
				BENCH_TIMEOUT_MS);
			rfbClientCleanup(cl);
			return 4;
		}
		if (!pump(cl, 100)) {
			fprintf(stderr, "change-bench: connection lost\n");
			return 3;
		}
	}
	if (b->rw > 0 && (b->rx < 0 || b->ry < 0 || b->rx + b->rw > cl->width ||
			  b->ry + b->rh > cl->height))
		return 2;
	if (latency > 0)
		ret = run_latency(cl, b, latency, keysym);
	else
		ret = run_watch(cl, b, seconds);
	fflush(stdout);
	rfbClientCleanup(cl);
	return ret;
}
