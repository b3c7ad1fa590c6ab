/* SPDX-License-Identifier: MIT */
/*
 * xdesk: the X side of the desktop tests. Each subcommand does one thing
 * an X application or a user would do, or reads back one piece of X state:
 *
 *   xdesk [-display D] cursor
 *       map a window over the whole screen with a known ARGB cursor
 *       (opaque, half-transparent and invisible pixels), put the pointer
 *       in it and print "ready SIG"; stay until stdin closes
 *   xdesk [-display D] cursor-sig
 *       print "cursor SIG" for the cursor X shows now (XFixes)
 *   xdesk [-display D] bell
 *       ring the bell (XBell)
 *   xdesk [-display D] keys
 *       map a small focused window and print "text HEX UTF8" for every string
 *       key presses produce through the input method (Xutf8LookupString,
 *       so dead keys compose), and "ready" first; stay until stdin closes
 *   xdesk [-display D] mods
 *       print "mods BASE LATCHED LOCKED GROUP" (XkbGetState)
 *   xdesk [-display D] lock caps|num on|off
 *       lock or unlock Caps Lock or Num Lock (XkbLockModifiers)
 *   xdesk [-display D] animate W H
 *       cover the screen, redraw a W x H area at the top left with new
 *       noise 25 times a second (more than a slow link carries), and on
 *       every key press paint the 64x64 square at the bottom right in
 *       the next colour of a fixed list; print "ready" and then "key N
 *       RRGGBB" for each press; stay until stdin closes
 *   xdesk [-display D] pixel X Y
 *       print "pixel RRGGBB" of the root window
 *   xdesk [-display D] wait-pixel X Y RRGGBB TIMEOUT_MS [TOLERANCE]
 *       wait until the root window has that colour there (each channel
 *       within TOLERANCE, default 0); print "pixel RRGGBB after MS"
 *       (exit 1 on timeout)
 *
 * SIG is "WxH+HX+HY:HASH": the size, the hotspot and a hash over every
 * pixel written as "-" when invisible (alpha below 128) or as its RRGGBB
 * colour without premultiplied alpha, the same as rfb-ext prints for a
 * cursor a VNC server sent.
 */
#include <locale.h>
#include <stdbool.h>
#include <time.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <X11/extensions/Xfixes.h>
#include <X11/extensions/Xrender.h>
#include <X11/keysym.h>
#include "tool-util.h"

#define CURSOR_W 24
#define CURSOR_H 20
#define CURSOR_HX 5
#define CURSOR_HY 7

/* The test cursor, straight (not premultiplied) ARGB. */
static uint32_t cursor_pixel(int x, int y)
{
	if (x < 2 || y < 2)
		return 0xff000000u;			/* opaque black */
	if (x >= 18 && y >= 14)
		return 0;				/* transparent */
	if (x >= 12 && y < 8)
		return 0xc080ff40u;			/* 3/4 alpha */
	if (y >= 16)
		return 0x40ff0000u;			/* 1/4: invisible */
	return 0xff000055u | (uint32_t)(x * 10) << 16 | (uint32_t)(y * 12) << 8;
}

static uint32_t premultiply(uint32_t p)
{
	unsigned a = p >> 24;
	unsigned r = ((p >> 16 & 255) * a + 127) / 255;
	unsigned g = ((p >> 8 & 255) * a + 127) / 255;
	unsigned b = ((p & 255) * a + 127) / 255;

	return (uint32_t)a << 24 | r << 16 | g << 8 | b;
}

static uint32_t unpremultiply(uint32_t p)
{
	unsigned a = p >> 24, c[3], i;

	if (a == 0 || a == 255)
		return p;
	for (i = 0; i < 3; i++) {
		unsigned v = p >> (16 - 8 * i) & 255;

		v = (v * 255 + a / 2) / a;
		c[i] = v > 255 ? 255 : v;
	}
	return (uint32_t)a << 24 | c[0] << 16 | c[1] << 8 | c[2];
}

/* @px(x, y) gives straight ARGB. */
static void print_sig(const char *what, int w, int h, int hx, int hy,
		      uint32_t (*px)(void *, int, int), void *arg)
{
	uint64_t sig = TOOL_FNV1A_INIT;
	char s[16];
	int x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			uint32_t p = px(arg, x, y);

			if (p >> 24 >= 128)
				snprintf(s, sizeof(s), "%06x", p & 0xffffff);
			else
				snprintf(s, sizeof(s), "-");
			sig = tool_fnv1a(sig, s, strlen(s));
		}
	printf("%s %dx%d+%d+%d:%016llx\n", what, w, h, hx, hy,
	       (unsigned long long)sig);
	fflush(stdout);
}

static uint32_t test_px(void *arg, int x, int y)
{
	return cursor_pixel(x, y);
}

static uint32_t fixes_px(void *arg, int x, int y)
{
	XFixesCursorImage *img = arg;

	return unpremultiply(
		(uint32_t)img->pixels[(size_t)y * img->width + (size_t)x]);
}

/* Block until stdin is closed (the test ends us). */
static void wait_stdin(Display *dpy)
{
	char buf[256];

	for (;;) {
		struct pollfd p = { .fd = 0, .events = POLLIN };

		XFlush(dpy);
		if (poll(&p, 1, -1) < 0)
			continue;
		if (read(0, buf, sizeof(buf)) <= 0)
			return;
	}
}

/* A black override-redirect window at the top left, @w x @h (0: the
 * whole screen). */
static Window black_window(Display *dpy, unsigned w, unsigned h)
{
	XSetWindowAttributes a;
	int scr = DefaultScreen(dpy);

	memset(&a, 0, sizeof(a));
	a.override_redirect = True;
	a.background_pixel = BlackPixel(dpy, scr);
	a.event_mask = KeyPressMask | KeyReleaseMask | ExposureMask;
	return XCreateWindow(dpy, RootWindow(dpy, scr), 0, 0,
			     w ? w : (unsigned)DisplayWidth(dpy, scr),
			     h ? h : (unsigned)DisplayHeight(dpy, scr), 0,
			     CopyFromParent, InputOutput, CopyFromParent,
			     CWOverrideRedirect | CWBackPixel | CWEventMask,
			     &a);
}

static Window cover_window(Display *dpy)
{
	return black_window(dpy, 0, 0);
}

static int cmd_cursor(Display *dpy)
{
	int scr = DefaultScreen(dpy);
	Window root = RootWindow(dpy, scr), win;
	XRenderPictFormat *fmt;
	uint32_t *data;
	XImage *img;
	Pixmap pm;
	Picture pic;
	Cursor cur;
	GC gc;
	int x, y;

	fmt = XRenderFindStandardFormat(dpy, PictStandardARGB32);
	if (!fmt) {
		fprintf(stderr, "xdesk: no ARGB32 format\n");
		return 1;
	}
	data = malloc(CURSOR_W * CURSOR_H * 4);
	for (y = 0; y < CURSOR_H; y++)
		for (x = 0; x < CURSOR_W; x++)
			data[y * CURSOR_W + x] = premultiply(cursor_pixel(x, y));
	pm = XCreatePixmap(dpy, root, CURSOR_W, CURSOR_H, 32);
	img = XCreateImage(dpy, DefaultVisual(dpy, scr), 32, ZPixmap, 0,
			   (char *)data, CURSOR_W, CURSOR_H, 32, 0);
	gc = XCreateGC(dpy, pm, 0, NULL);
	XPutImage(dpy, pm, gc, img, 0, 0, 0, 0, CURSOR_W, CURSOR_H);
	pic = XRenderCreatePicture(dpy, pm, fmt, 0, NULL);
	cur = XRenderCreateCursor(dpy, pic, CURSOR_HX, CURSOR_HY);
	win = cover_window(dpy);
	XDefineCursor(dpy, win, cur);
	XMapRaised(dpy, win);
	XSync(dpy, False);
	XWarpPointer(dpy, None, root, 0, 0, 0, 0, DisplayWidth(dpy, scr) / 2,
		     DisplayHeight(dpy, scr) / 2);
	XSync(dpy, False);
	print_sig("ready", CURSOR_W, CURSOR_H, CURSOR_HX, CURSOR_HY, test_px,
		  NULL);
	wait_stdin(dpy);
	return 0;
}

/* At most this many connections ask for a refused cursor image. */
#define XDESK_SIG_TRIES 16

/* The image XFixes reports. The SECURITY extension refuses it (Xlib
 * returns NULL, BadAccess is not reported) when the client that created
 * the current cursor is gone, except to a client in that client's slot;
 * new connections take the lowest free slots, so a few more are tried,
 * as xrfb does (src/x11/x11-cursor.c). */
static int cmd_cursor_sig(Display *dpy)
{
	Display *extra[XDESK_SIG_TRIES];
	XFixesCursorImage *img;
	int ev, err, n = 0, i;

	if (!XFixesQueryExtension(dpy, &ev, &err)) {
		fprintf(stderr, "xdesk: no XFixes\n");
		return 1;
	}
	img = XFixesGetCursorImage(dpy);
	while (!img && n < XDESK_SIG_TRIES) {
		extra[n] = XOpenDisplay(DisplayString(dpy));
		if (!extra[n])
			break;
		img = XFixesGetCursorImage(extra[n++]);
	}
	for (i = 0; i < n; i++)
		XCloseDisplay(extra[i]);
	if (!img)
		return 1;
	print_sig("cursor", img->width, img->height, img->xhot, img->yhot,
		  fixes_px, img);
	XFree(img);
	return 0;
}

static int cmd_keys(Display *dpy)
{
	Window win = black_window(dpy, 64, 64);
	XIM im;
	XIC ic;
	XEvent ev;
	char buf[64];
	KeySym ks;
	Status st;
	int n, i;

	XMapRaised(dpy, win);
	XSync(dpy, False);
	/* the local input method: dead keys and Compose from the locale */
	XSetLocaleModifiers("@im=none");
	im = XOpenIM(dpy, NULL, NULL, NULL);
	if (!im) {
		fprintf(stderr, "xdesk: no input method\n");
		return 1;
	}
	ic = XCreateIC(im, XNInputStyle, XIMPreeditNothing | XIMStatusNothing,
		       XNClientWindow, win, XNFocusWindow, win, NULL);
	if (!ic) {
		fprintf(stderr, "xdesk: no input context\n");
		return 1;
	}
	XSetICFocus(ic);
	XSetInputFocus(dpy, win, RevertToParent, CurrentTime);
	XSync(dpy, False);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = ConnectionNumber(dpy), .events = POLLIN },
		};

		while (XPending(dpy)) {
			XNextEvent(dpy, &ev);
			if (XFilterEvent(&ev, None) || ev.type != KeyPress)
				continue;
			n = Xutf8LookupString(ic, &ev.xkey, buf,
					      sizeof(buf) - 1, &ks, &st);
			if ((st != XLookupChars && st != XLookupBoth) ||
			    n <= 0)
				continue;
			buf[n] = '\0';
			printf("text ");
			for (i = 0; i < n; i++)
				printf("%02x", (unsigned char)buf[i]);
			printf(" %s\n", buf);
			fflush(stdout);
		}
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents && read(0, buf, sizeof(buf)) <= 0)
			return 0;
	}
}

static int cmd_mods(Display *dpy)
{
	XkbStateRec st;

	if (XkbGetState(dpy, XkbUseCoreKbd, &st) != Success)
		return 1;
	printf("mods 0x%02x 0x%02x 0x%02x %u\n", st.base_mods,
	       st.latched_mods, st.locked_mods, st.group);
	return 0;
}

static int cmd_lock(Display *dpy, const char *which, const char *how)
{
	unsigned mask;

	if (!strcmp(which, "caps"))
		mask = LockMask;
	else if (!strcmp(which, "num"))
		mask = XkbKeysymToModifiers(dpy, XK_Num_Lock);
	else
		return 2;
	if (!mask)
		return 1;
	XkbLockModifiers(dpy, XkbUseCoreKbd, mask,
			 !strcmp(how, "on") ? mask : 0);
	XSync(dpy, False);
	return 0;
}

/* Colours of the marker square, in the order key presses show them. */
static const uint32_t marker_colours[] = {
	0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0xff00ff, 0x00ffff,
	0xffffff, 0x804000,
};

static int cmd_animate(Display *dpy, int w, int h)
{
	int scr = DefaultScreen(dpy), sw = DisplayWidth(dpy, scr);
	int sh = DisplayHeight(dpy, scr), presses = 0, x, y;
	Window win = cover_window(dpy);
	GC gc = XCreateGC(dpy, win, 0, NULL);
	uint32_t *px = malloc((size_t)w * h * 4), seed = 12345;
	XImage *img;
	XEvent ev;
	char buf[64];

	if (!px || DefaultDepth(dpy, scr) < 24)
		return 1;
	img = XCreateImage(dpy, DefaultVisual(dpy, scr), DefaultDepth(dpy, scr),
			   ZPixmap, 0, (char *)px, (unsigned)w, (unsigned)h,
			   32, 0);
	XMapRaised(dpy, win);
	XSync(dpy, False);
	XSetInputFocus(dpy, win, RevertToParent, CurrentTime);
	XSetForeground(dpy, gc, 0x000000);
	XFillRectangle(dpy, win, gc, sw - 64, sh - 64, 64, 64);
	XSync(dpy, False);
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = ConnectionNumber(dpy), .events = POLLIN },
		};

		for (y = 0; y < h; y++)
			for (x = 0; x < w; x++) {
				seed = seed * 1103515245u + 12345u;
				px[y * w + x] = seed >> 8 & 0xffffff;
			}
		XPutImage(dpy, win, gc, img, 0, 0, 0, 0, (unsigned)w,
			  (unsigned)h);
		XFlush(dpy);
		while (XPending(dpy)) {
			uint32_t c;

			XNextEvent(dpy, &ev);
			if (ev.type != KeyPress)
				continue;
			c = marker_colours[presses++ % 8];
			XSetForeground(dpy, gc, c);
			XFillRectangle(dpy, win, gc, sw - 64, sh - 64, 64, 64);
			XFlush(dpy);
			printf("key %u %06x\n", ev.xkey.keycode, c);
			fflush(stdout);
		}
		if (poll(p, 2, 40) < 0)
			continue;
		if (p[0].revents && read(0, buf, sizeof(buf)) <= 0)
			return 0;
	}
}

static int root_pixel(Display *dpy, int x, int y, uint32_t *rgb)
{
	XImage *img = XGetImage(dpy, DefaultRootWindow(dpy), x, y, 1, 1,
				AllPlanes, ZPixmap);

	if (!img)
		return -1;
	*rgb = (uint32_t)XGetPixel(img, 0, 0) & 0xffffff;
	XDestroyImage(img);
	return 0;
}

static bool near(uint32_t a, uint32_t b, int tolerance)
{
	for (int shift = 0; shift < 24; shift += 8) {
		int d = (int)(a >> shift & 255) - (int)(b >> shift & 255);

		if (d > tolerance || d < -tolerance)
			return false;
	}
	return true;
}

static int cmd_wait_pixel(Display *dpy, int x, int y, uint32_t want,
			  int timeout_ms, int tolerance)
{
	uint64_t start = now_ms();
	uint32_t rgb = 0;

	for (;;) {
		if (root_pixel(dpy, x, y, &rgb) == 0 &&
		    near(rgb, want, tolerance)) {
			printf("pixel %06x after %llu\n", rgb,
			       (unsigned long long)(now_ms() - start));
			return 0;
		}
		if (now_ms() - start > (uint64_t)timeout_ms) {
			printf("pixel %06x, not %06x, after %d ms\n", rgb, want,
			       timeout_ms);
			return 1;
		}
		usleep(10000);
	}
}

int main(int argc, char **argv)
{
	const char *display = NULL;
	Display *dpy;
	int i = 1;

	setlocale(LC_ALL, "C.UTF-8");
	if (argc > 2 && (!strcmp(argv[1], "-display") ||
			 !strcmp(argv[1], "--display"))) {
		display = argv[2];
		i = 3;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: xdesk [-display D] cursor|cursor-sig|"
				"bell|keys|mods|lock caps|num on|off|"
				"animate W H|pixel X Y|"
				"wait-pixel X Y RRGGBB MS\n");
		return 2;
	}
	dpy = XOpenDisplay(display);
	if (!dpy) {
		fprintf(stderr, "xdesk: cannot open display\n");
		return 1;
	}
	if (!strcmp(argv[i], "cursor"))
		return cmd_cursor(dpy);
	if (!strcmp(argv[i], "cursor-sig"))
		return cmd_cursor_sig(dpy);
	if (!strcmp(argv[i], "bell")) {
		XBell(dpy, 0);
		XSync(dpy, False);
		return 0;
	}
	if (!strcmp(argv[i], "keys"))
		return cmd_keys(dpy);
	if (!strcmp(argv[i], "mods"))
		return cmd_mods(dpy);
	if (!strcmp(argv[i], "lock") && i + 2 < argc)
		return cmd_lock(dpy, argv[i + 1], argv[i + 2]);
	if (!strcmp(argv[i], "animate") && i + 2 < argc)
		return cmd_animate(dpy, atoi(argv[i + 1]), atoi(argv[i + 2]));
	if (!strcmp(argv[i], "pixel") && i + 2 < argc) {
		uint32_t rgb;

		if (root_pixel(dpy, atoi(argv[i + 1]), atoi(argv[i + 2]), &rgb))
			return 1;
		printf("pixel %06x\n", rgb);
		return 0;
	}
	if (!strcmp(argv[i], "wait-pixel") && i + 4 < argc)
		return cmd_wait_pixel(dpy, atoi(argv[i + 1]), atoi(argv[i + 2]),
				      (uint32_t)strtoul(argv[i + 3], NULL, 16),
				      atoi(argv[i + 4]),
				      i + 5 < argc ? atoi(argv[i + 5]) : 0);
	fprintf(stderr, "xdesk: unknown command %s\n", argv[i]);
	return 2;
}
