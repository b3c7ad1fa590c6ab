/* SPDX-License-Identifier: MIT */
/*
 * xload: X workloads for bench/change-bench.sh.
 *
 *   xload [-display D] video FPS [SECONDS] [--dump PREFIX]
 *       full-screen frames at FPS (paced to the clock, not after each
 *       frame): smooth colour fields with texture and moving shapes,
 *       every pixel different from the frame before, and no frame a
 *       shifted copy of another (nothing for move detection to find).
 *       The frames repeat in a cycle of XLOAD_FRAMES. --dump: before
 *       the video starts, each frame is shown once, read back from the
 *       X server and written as PREFIX-K.ppm (K from 0), the pictures a
 *       viewer's frames are compared with.
 *   xload [-display D] flip X Y W H
 *       a window that fills itself with the next colour on every key
 *       press: the far end of a key-to-pixels latency measurement.
 *
 * Needs a 24-bit TrueColor screen with 32-bit pixels (Xvfb's default).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "tool-util.h"

#define XLOAD_FRAMES 8

static uint32_t tri(int v)
{
	v &= 511;
	return (uint32_t)(v < 256 ? v : 511 - v);
}

static void fill_frame(uint32_t *px, int w, int h, int k)
{
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			uint32_t n = tool_hash2((uint32_t)(x * 7 + y * 13 * w),
						(uint32_t)k) & 0x0f0f0f;
			uint32_t r = tri(x / 3 + k * 37 + y / 7);
			uint32_t g = tri(y / 2 + k * 53);
			uint32_t b = tri((x + y) / 4 + k * 71);
			int cx = (k * 97) % w, cy = (k * 61) % h;

			if ((x - cx) * (x - cx) + (y - cy) * (y - cy) <
			    (h / 6) * (h / 6))
				r = 255 - r;
			px[(size_t)y * w + x] = ((r << 16 | g << 8 | b) ^ n) &
						0xffffff;
		}
}

/* Write the root window's picture as a binary PPM. */
static int dump_root(Display *dpy, Window root, int w, int h,
		     const char *path)
{
	XImage *im = XGetImage(dpy, root, 0, 0, (unsigned)w, (unsigned)h,
			       AllPlanes, ZPixmap);
	FILE *f;
	int ok;

	if (!im)
		return -1;
	f = fopen(path, "wb");
	if (!f) {
		XDestroyImage(im);
		return -1;
	}
	fprintf(f, "P6\n%d %d\n255\n", w, h);
	for (int y = 0; y < h; y++)
		for (int x = 0; x < w; x++) {
			unsigned long p = XGetPixel(im, x, y);

			putc((int)(p >> 16 & 0xff), f);
			putc((int)(p >> 8 & 0xff), f);
			putc((int)(p & 0xff), f);
		}
	ok = !ferror(f);
	XDestroyImage(im);
	return fclose(f) == 0 && ok ? 0 : -1;
}

static int video(Display *dpy, double fps, double seconds, const char *dump)
{
	int scr = DefaultScreen(dpy), w = DisplayWidth(dpy, scr);
	int h = DisplayHeight(dpy, scr);
	Window root = RootWindow(dpy, scr);
	GC gc = XCreateGC(dpy, root, 0, NULL);
	XImage *img[XLOAD_FRAMES];
	struct timespec next;
	long period = (long)(1e9 / fps), frames;

	if (DefaultDepth(dpy, scr) != 24) {
		fprintf(stderr, "xload: needs depth 24\n");
		return 1;
	}
	XSetSubwindowMode(dpy, gc, IncludeInferiors);
	for (int k = 0; k < XLOAD_FRAMES; k++) {
		char *data = malloc((size_t)w * h * 4);

		if (!data)
			return 1;
		img[k] = XCreateImage(dpy, DefaultVisual(dpy, scr), 24, ZPixmap,
				      0, data, (unsigned)w, (unsigned)h, 32, 0);
		if (!img[k] || img[k]->bits_per_pixel != 32)
			return 1;
		fill_frame((uint32_t *)(void *)data, w, h, k);
	}
	for (int k = 0; dump && k < XLOAD_FRAMES; k++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s-%d.ppm", dump, k);
		XPutImage(dpy, root, gc, img[k], 0, 0, 0, 0, (unsigned)w,
			  (unsigned)h);
		if (dump_root(dpy, root, w, h, path) < 0) {
			fprintf(stderr, "xload: cannot write %s\n", path);
			return 1;
		}
	}
	printf("ready\n");
	fflush(stdout);
	frames = seconds > 0 ? (long)(seconds * fps) : -1;
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (long f = 0; frames < 0 || f < frames; f++) {
		XPutImage(dpy, root, gc, img[f % XLOAD_FRAMES], 0, 0, 0, 0,
			  (unsigned)w, (unsigned)h);
		XSync(dpy, False);
		next.tv_nsec += period;
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
	return 0;
}

static int flip(Display *dpy, int x, int y, int w, int h)
{
	static const unsigned long colours[] = { 0xff0000, 0x00ff00,
						 0x0000ff, 0xffff00 };
	int scr = DefaultScreen(dpy);
	XSetWindowAttributes attr = { 0 };
	Window win;
	GC gc;
	unsigned n = 0;

	attr.override_redirect = True;
	attr.background_pixel = 0x202020;
	attr.event_mask = KeyPressMask | ExposureMask;
	win = XCreateWindow(dpy, RootWindow(dpy, scr), x, y, (unsigned)w,
			    (unsigned)h, 0, CopyFromParent, InputOutput,
			    CopyFromParent,
			    CWOverrideRedirect | CWBackPixel | CWEventMask,
			    &attr);
	gc = XCreateGC(dpy, win, 0, NULL);
	XMapRaised(dpy, win);
	XSync(dpy, False);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		XEvent ev;

		XNextEvent(dpy, &ev);
		if (ev.type != KeyPress)
			continue;
		XSetForeground(dpy, gc, colours[n++ % 4]);
		XFillRectangle(dpy, win, gc, 0, 0, (unsigned)w, (unsigned)h);
		XFlush(dpy);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *display = NULL;
	Display *dpy;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-display")) {
		display = argv[2];
		i = 3;
	}
	dpy = XOpenDisplay(display);
	if (!dpy) {
		fprintf(stderr, "xload: cannot open display\n");
		return 1;
	}
	if (i + 1 < argc && !strcmp(argv[i], "video")) {
		const char *dump = NULL;
		double seconds = 0;

		for (int k = i + 2; k < argc; k++) {
			if (!strcmp(argv[k], "--dump") && k + 1 < argc)
				dump = argv[++k];
			else
				seconds = atof(argv[k]);
		}
		return video(dpy, atof(argv[i + 1]), seconds, dump);
	}
	if (i < argc && !strcmp(argv[i], "flip") && i + 4 < argc)
		return flip(dpy, atoi(argv[i + 1]), atoi(argv[i + 2]),
			    atoi(argv[i + 3]), atoi(argv[i + 4]));
	fprintf(stderr, "usage: xload [-display D] video FPS [SECONDS] "
		"[--dump PREFIX] | flip X Y W H\n");
	return 2;
}
