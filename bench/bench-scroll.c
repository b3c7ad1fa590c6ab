/* SPDX-License-Identifier: MIT */
/*
 * bench-scroll: the cost and the yield of move detection on the synthetic
 * desktops of tests/unit/scroll-scenes.c. For each kind of scene it runs
 * fb_scroll_detect() over a number of seeds and prints the time per call
 * (median and worst, CPU time of this thread), the share of the truly
 * moved changed pixels it found, and how many rectangles (CopyRects) the
 * moved region takes.
 *
 *   bench-scroll [-n SEEDS] [-r REPEATS] [SCENE]...
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fb-scroll.h"
#include "scroll-scenes.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void bench_kind(enum scene_kind kind, unsigned seeds, unsigned reps)
{
	double *t = calloc((size_t)seeds * reps, sizeof(*t));
	unsigned long long ideal = 0, got = 0;
	unsigned found = 0, nt = 0;
	unsigned long nrects = 0;
	const char *name = "";

	if (!t)
		exit(1);
	for (unsigned seed = 1; seed <= seeds; seed++) {
		struct scene sc;
		struct fb fb;
		struct fb_src src[SCENE_MAX_DAMAGE];
		region_t dst;
		pixman_box32_t *b;
		int dx = 0, dy = 0, n;
		bool ok = false;

		scene_make(&sc, kind, seed);
		name = sc.name;
		if (fb_init(&fb, sc.w, sc.h) < 0)
			exit(1);
		memcpy(fb.pixels, sc.old, (size_t)sc.w * sc.h * 4);
		for (unsigned i = 0; i < sc.ndamage; i++) {
			src[i].r = sc.damage[i];
			src[i].stride = (size_t)sc.w * 4;
			src[i].pixels = (const uint8_t *)(sc.cur +
				(size_t)sc.damage[i].y * sc.w + sc.damage[i].x);
		}
		pixman_region32_init(&dst);
		for (unsigned r = 0; r < reps; r++) {
			double t0;

			pixman_region32_clear(&dst);
			t0 = now_us();
			ok = fb_scroll_detect(&fb, src, sc.ndamage, &dx, &dy,
					      &dst);
			t[nt++] = now_us() - t0;
		}
		found += ok;
		b = pixman_region32_rectangles(&dst, &n);
		nrects += (unsigned long)n;
		for (int i = 0; i < n; i++)
			for (int y = b[i].y1; y < b[i].y2; y++)
				for (int x = b[i].x1; x < b[i].x2; x++)
					got += sc.cur[(size_t)y * sc.w + x] !=
					       sc.old[(size_t)y * sc.w + x];
		if (sc.has_move)
			for (int y = sc.moved.y; y < sc.moved.y + sc.moved.h;
			     y++)
				for (int x = sc.moved.x;
				     x < sc.moved.x + sc.moved.w; x++) {
					int sx = x - sc.dx, sy = y - sc.dy;
					uint32_t v;

					if (x < 0 || y < 0 || x >= sc.w ||
					    y >= sc.h || sx < 0 || sy < 0 ||
					    sx >= sc.w || sy >= sc.h)
						continue;
					v = sc.cur[(size_t)y * sc.w + x];
					ideal += v != sc.old[(size_t)y * sc.w +
							     x] &&
						 v == sc.old[(size_t)sy * sc.w +
							     sx];
				}
		pixman_region32_fini(&dst);
		fb_fini(&fb);
		scene_free(&sc);
	}
	qsort(t, nt, sizeof(*t), cmp_double);
	printf("%-14s found %3u/%-3u  coverage %6.1f%%  rects %5.1f  "
	       "median %8.1f us  max %8.1f us\n", name, found, seeds,
	       ideal ? 100.0 * (double)got / (double)ideal : 0.0,
	       found ? (double)nrects / found : 0.0, t[nt / 2], t[nt - 1]);
	free(t);
}

int main(int argc, char **argv)
{
	static const char *const names[SCENE_KINDS] = {
		"terminal", "terminal-big", "editor", "browser", "hscroll",
		"drag", "drag-far", "repeat", "moved-changed", "two-moves",
		"video",
	};
	unsigned seeds = 20, reps = 5;
	bool any = false;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			seeds = (unsigned)atoi(argv[++i]);
		else if (!strcmp(argv[i], "-r") && i + 1 < argc)
			reps = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bench-scroll [-n SEEDS] "
				"[-r REPEATS] [SCENE]...\n");
			return 2;
		}
	}
	if (!seeds || !reps)
		return 2;
	for (; i < argc; i++)
		for (int k = 0; k < SCENE_KINDS; k++)
			if (!strcmp(argv[i], names[k])) {
				bench_kind((enum scene_kind)k, seeds, reps);
				any = true;
			}
	if (!any)
		for (int k = 0; k < SCENE_KINDS; k++)
			bench_kind((enum scene_kind)k, seeds, reps);
	return 0;
}
