/* SPDX-License-Identifier: MIT */
/*
 * xmotion: windows whose content moves, for the change-detection tests and
 * benchmarks. It reads commands from stdin, one per line, and answers each
 * line with one line, "ok ..." or "fail ...", after XSync: when the answer
 * arrives, the X server has drawn everything. Several commands may share a
 * line, separated by ';': they are drawn back to back, with one XSync at
 * the end, so a change detector sees them as one moment.
 *
 * A window shows a "document": text lines, each with a coloured gutter
 * mark, on a flat background, like a terminal, an editor or a browser. The
 * document can be scrolled vertically and horizontally by any number of
 * pixels, with XCopyArea on the window and the newly exposed strip drawn,
 * as toolkits do. Every drawing also goes to a pixmap that is the window's
 * background, so exposures repaint the same content without a client.
 *
 * Commands (ID is a window number 0-7):
 *   new ID X Y W H SEED [repeat]   create and map a window; with "repeat"
 *                                  every line of the document is the same
 *   vscroll ID DY                  scroll the document by DY pixels
 *                                  (DY > 0: content moves up)
 *   hscroll ID DX                  scroll by DX pixels (DX > 0: moves left)
 *   move ID X Y                    move the window (XMoveWindow)
 *   copy ID SX SY W H DX DY        XCopyArea inside the window
 *   rect ID X Y W H RRGGBB         fill a rectangle of the window
 *   noise ID X Y W H SEED          fill a rectangle with random pixels
 *   raise ID                       raise the window
 *   destroy ID
 *   sleep MS
 *   sync                           nothing but the round trip
 *   quit
 * Windows go away when xmotion exits (stdin closed, or quit).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

#include "tool-util.h"

#define XM_MAX_WINDOWS 8
#define XM_LINE_CHARS 200

struct xm_window {
	bool used;
	Window win;
	Pixmap pm;
	GC gc;
	int w, h;
	uint32_t seed;
	bool repeat;
	long top;		/* document pixel shown at the window's y 0 */
	long left;		/* document pixel shown at the window's x 0 */
};

struct xm {
	Display *dpy;
	int screen;
	Window root;
	Visual *visual;
	int depth;
	XFontStruct *font;
	int line_h;
	int mask_shift[3], mask_bits[3];
	struct xm_window win[XM_MAX_WINDOWS];
};

static void mask_info(unsigned long mask, int *shift, int *bits)
{
	*shift = 0;
	*bits = 0;
	while (mask && !(mask & 1)) {
		mask >>= 1;
		(*shift)++;
	}
	while (mask & 1) {
		mask >>= 1;
		(*bits)++;
	}
}

static unsigned long pixel_of(const struct xm *m, uint32_t rgb)
{
	unsigned long px = 0;

	for (int i = 0; i < 3; i++) {
		unsigned long c = (rgb >> (16 - 8 * i)) & 0xff;

		if (m->mask_bits[i] <= 8)
			c >>= 8 - m->mask_bits[i];
		else
			c <<= m->mask_bits[i] - 8;
		px |= c << m->mask_shift[i];
	}
	return px;
}

static const uint32_t xm_colours[] = { 0xe0e0e0, 0xffff60, 0x60ffff,
				       0xff90ff, 0x90ff90, 0xffa040 };

/* The text of document line @i. */
static void line_text(const struct xm_window *w, long i, char *buf,
		      size_t len)
{
	static const char *const words[] = {
		"alpha", "bravo", "charlie", "delta", "echo", "foxtrot",
		"golf", "hotel", "india", "juliett", "kilo", "lima", "mike",
		"november", "oscar", "papa", "quebec", "romeo", "sierra",
	};
	size_t n = 0;
	uint32_t h;

	if (w->repeat) {
		snprintf(buf, len, "the same line again and again, "
			 "the same line again and again, the same line");
		return;
	}
	n = (size_t)snprintf(buf, len, "%6ld: ", i);
	h = tool_hash2((uint32_t)i, w->seed);
	while (n + 12 < len && n < XM_LINE_CHARS) {
		const char *word = words[h % (sizeof(words) / sizeof(*words))];

		n += (size_t)snprintf(buf + n, len - n, "%s ", word);
		h = tool_hash2(h, (uint32_t)n);
	}
}

/* Draw the part of the document that falls into the window rectangle
 * (@x, @y, @cw, @ch), on both the window and its background pixmap. */
static void draw_area(struct xm *m, struct xm_window *w, int x, int y,
		      int cw, int ch)
{
	XRectangle clip = { (short)x, (short)y, (unsigned short)cw,
			    (unsigned short)ch };
	Drawable d[2] = { w->pm, w->win };
	long first, last;
	char text[XM_LINE_CHARS + 64];

	if (cw <= 0 || ch <= 0)
		return;
	XSetClipRectangles(m->dpy, w->gc, 0, 0, &clip, 1, Unsorted);
	first = (w->top + y) / m->line_h - (w->top + y < 0);
	last = (w->top + y + ch) / m->line_h + 1;
	for (int k = 0; k < 2; k++) {
		XSetForeground(m->dpy, w->gc, pixel_of(m, 0x182030));
		XFillRectangle(m->dpy, d[k], w->gc, x, y, (unsigned)cw,
			       (unsigned)ch);
		for (long i = first; i <= last; i++) {
			int ly = (int)(i * m->line_h - w->top);
			int lx = (int)(4 - w->left);
			uint32_t c = w->repeat ? 0 :
				(uint32_t)((i % 6 + 6) % 6);

			line_text(w, i, text, sizeof(text));
			/* a gutter mark, as editors show line states */
			XSetForeground(m->dpy, w->gc,
				       pixel_of(m, tool_hash2((uint32_t)i, 7) &
						       0xffffff));
			if (!w->repeat)
				XFillRectangle(m->dpy, d[k], w->gc, lx, ly + 2,
					       3, (unsigned)m->line_h - 4);
			XSetForeground(m->dpy, w->gc,
				       pixel_of(m, xm_colours[c]));
			XDrawString(m->dpy, d[k], w->gc, lx + 6,
				    ly + m->font->ascent, text,
				    (int)strlen(text));
		}
	}
	XSetClipMask(m->dpy, w->gc, None);
}

static struct xm_window *get(struct xm *m, const char *id)
{
	int i = id ? atoi(id) : -1;

	if (i < 0 || i >= XM_MAX_WINDOWS || !m->win[i].used)
		return NULL;
	return &m->win[i];
}

static int cmd_new(struct xm *m, char **a, int n)
{
	XSetWindowAttributes attr = { 0 };
	struct xm_window *w;
	int i;

	if (n < 7)
		return -1;
	i = atoi(a[1]);
	if (i < 0 || i >= XM_MAX_WINDOWS || m->win[i].used)
		return -1;
	w = &m->win[i];
	memset(w, 0, sizeof(*w));
	w->used = true;
	w->w = atoi(a[4]);
	w->h = atoi(a[5]);
	w->seed = (uint32_t)strtoul(a[6], NULL, 0);
	w->repeat = n > 7 && !strcmp(a[7], "repeat");
	if (w->w <= 0 || w->h <= 0)
		return -1;
	w->pm = XCreatePixmap(m->dpy, m->root, (unsigned)w->w,
			      (unsigned)w->h, (unsigned)m->depth);
	attr.background_pixmap = w->pm;
	attr.override_redirect = True;	/* placed exactly, never managed */
	attr.event_mask = ExposureMask;
	w->win = XCreateWindow(m->dpy, m->root, atoi(a[2]), atoi(a[3]),
			       (unsigned)w->w, (unsigned)w->h, 0, m->depth,
			       InputOutput, m->visual,
			       CWBackPixmap | CWOverrideRedirect | CWEventMask,
			       &attr);
	w->gc = XCreateGC(m->dpy, w->win, 0, NULL);
	XSetFont(m->dpy, w->gc, m->font->fid);
	XSetGraphicsExposures(m->dpy, w->gc, False);
	/* Fill the pixmap before the window shows it. */
	draw_area(m, w, 0, 0, w->w, w->h);
	XMapRaised(m->dpy, w->win);
	XClearWindow(m->dpy, w->win);
	return 0;
}

/* Both drawables, the same operation. */
static void copy_both(struct xm *m, struct xm_window *w, int sx, int sy,
		      int cw, int ch, int dx, int dy)
{
	XCopyArea(m->dpy, w->pm, w->pm, w->gc, sx, sy, (unsigned)cw,
		  (unsigned)ch, dx, dy);
	XCopyArea(m->dpy, w->win, w->win, w->gc, sx, sy, (unsigned)cw,
		  (unsigned)ch, dx, dy);
}

static int cmd_vscroll(struct xm *m, struct xm_window *w, int dy)
{
	int keep = w->h - abs(dy);

	w->top += dy;
	if (keep <= 0) {
		draw_area(m, w, 0, 0, w->w, w->h);
		return 0;
	}
	if (dy > 0) {
		copy_both(m, w, 0, dy, w->w, keep, 0, 0);
		draw_area(m, w, 0, keep, w->w, dy);
	} else if (dy < 0) {
		copy_both(m, w, 0, 0, w->w, keep, 0, -dy);
		draw_area(m, w, 0, 0, w->w, -dy);
	}
	return 0;
}

static int cmd_hscroll(struct xm *m, struct xm_window *w, int dx)
{
	int keep = w->w - abs(dx);

	w->left += dx;
	if (keep <= 0) {
		draw_area(m, w, 0, 0, w->w, w->h);
		return 0;
	}
	if (dx > 0) {
		copy_both(m, w, dx, 0, keep, w->h, 0, 0);
		draw_area(m, w, keep, 0, dx, w->h);
	} else if (dx < 0) {
		copy_both(m, w, 0, 0, keep, w->h, -dx, 0);
		draw_area(m, w, 0, 0, -dx, w->h);
	}
	return 0;
}

static int parse_rgb(const char *s, uint32_t *rgb)
{
	char *end;
	unsigned long v = strtoul(s, &end, 16);

	if (*end || end - s != 6)
		return -1;
	*rgb = (uint32_t)v;
	return 0;
}

static void fill_noise(struct xm *m, struct xm_window *w, int x, int y,
		       int cw, int ch, uint32_t seed)
{
	XImage *img;

	img = XCreateImage(m->dpy, m->visual, (unsigned)m->depth, ZPixmap, 0,
			   NULL, (unsigned)cw, (unsigned)ch, 32, 0);
	if (!img)
		return;
	img->data = malloc((size_t)img->bytes_per_line * (size_t)ch);
	if (!img->data) {
		XDestroyImage(img);
		return;
	}
	for (int j = 0; j < ch; j++)
		for (int i = 0; i < cw; i++)
			XPutPixel(img, i, j,
				  pixel_of(m, tool_hash2((uint32_t)(j * cw + i),
							 seed) & 0xffffff));
	XPutImage(m->dpy, w->pm, w->gc, img, 0, 0, x, y, (unsigned)cw,
		  (unsigned)ch);
	XPutImage(m->dpy, w->win, w->gc, img, 0, 0, x, y, (unsigned)cw,
		  (unsigned)ch);
	XDestroyImage(img);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };

	nanosleep(&ts, NULL);
}

/* One command; 0 ok, -1 bad command, 1 quit. */
static int run_one(struct xm *m, char *line)
{
	char *a[12], *save = NULL, *t;
	struct xm_window *w;
	int n = 0;
	uint32_t rgb;

	for (t = strtok_r(line, " \t", &save); t && n < 12;
	     t = strtok_r(NULL, " \t", &save))
		a[n++] = t;
	if (!n)
		return 0;
	if (!strcmp(a[0], "new"))
		return cmd_new(m, a, n);
	if (!strcmp(a[0], "sync"))
		return 0;
	if (!strcmp(a[0], "quit"))
		return 1;
	if (!strcmp(a[0], "sleep") && n == 2) {
		XFlush(m->dpy);
		sleep_ms(atol(a[1]));
		return 0;
	}
	w = get(m, n > 1 ? a[1] : NULL);
	if (!w)
		return -1;
	if (!strcmp(a[0], "vscroll") && n == 3)
		return cmd_vscroll(m, w, atoi(a[2]));
	if (!strcmp(a[0], "hscroll") && n == 3)
		return cmd_hscroll(m, w, atoi(a[2]));
	if (!strcmp(a[0], "move") && n == 4) {
		XMoveWindow(m->dpy, w->win, atoi(a[2]), atoi(a[3]));
		return 0;
	}
	if (!strcmp(a[0], "raise") && n == 2) {
		XRaiseWindow(m->dpy, w->win);
		return 0;
	}
	if (!strcmp(a[0], "copy") && n == 8) {
		copy_both(m, w, atoi(a[2]), atoi(a[3]), atoi(a[4]),
			  atoi(a[5]), atoi(a[6]), atoi(a[7]));
		return 0;
	}
	if (!strcmp(a[0], "rect") && n == 7 && !parse_rgb(a[6], &rgb)) {
		XSetForeground(m->dpy, w->gc, pixel_of(m, rgb));
		XFillRectangle(m->dpy, w->pm, w->gc, atoi(a[2]), atoi(a[3]),
			       (unsigned)atoi(a[4]), (unsigned)atoi(a[5]));
		XFillRectangle(m->dpy, w->win, w->gc, atoi(a[2]), atoi(a[3]),
			       (unsigned)atoi(a[4]), (unsigned)atoi(a[5]));
		return 0;
	}
	if (!strcmp(a[0], "noise") && n == 7) {
		fill_noise(m, w, atoi(a[2]), atoi(a[3]), atoi(a[4]),
			   atoi(a[5]), (uint32_t)strtoul(a[6], NULL, 0));
		return 0;
	}
	if (!strcmp(a[0], "destroy") && n == 2) {
		XDestroyWindow(m->dpy, w->win);
		XFreePixmap(m->dpy, w->pm);
		XFreeGC(m->dpy, w->gc);
		w->used = false;
		return 0;
	}
	return -1;
}

int main(int argc, char **argv)
{
	static struct xm m;
	const char *display = NULL;
	char line[4096];

	if (argc == 3 && (!strcmp(argv[1], "-display") ||
			  !strcmp(argv[1], "--display")))
		display = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: xmotion [-display D] < commands\n");
		return 2;
	}
	m.dpy = XOpenDisplay(display);
	if (!m.dpy) {
		fprintf(stderr, "xmotion: cannot open display\n");
		return 1;
	}
	m.screen = DefaultScreen(m.dpy);
	m.root = RootWindow(m.dpy, m.screen);
	m.visual = DefaultVisual(m.dpy, m.screen);
	m.depth = DefaultDepth(m.dpy, m.screen);
	if (m.visual->class != TrueColor) {
		fprintf(stderr, "xmotion: needs a TrueColor visual\n");
		return 1;
	}
	mask_info(m.visual->red_mask, &m.mask_shift[0], &m.mask_bits[0]);
	mask_info(m.visual->green_mask, &m.mask_shift[1], &m.mask_bits[1]);
	mask_info(m.visual->blue_mask, &m.mask_shift[2], &m.mask_bits[2]);
	m.font = XLoadQueryFont(m.dpy, "fixed");
	if (!m.font) {
		fprintf(stderr, "xmotion: no font \"fixed\"\n");
		return 1;
	}
	m.line_h = m.font->ascent + m.font->descent + 2;
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (fgets(line, sizeof(line), stdin)) {
		char *cmd, *save = NULL;
		int r = 0, done = 0;

		line[strcspn(line, "\r\n")] = '\0';
		for (cmd = strtok_r(line, ";", &save); cmd && r == 0;
		     cmd = strtok_r(NULL, ";", &save)) {
			r = run_one(&m, cmd);
			if (r == 1)
				done = 1;
		}
		XSync(m.dpy, False);
		/* Exposures are repainted by the server (background pixmaps);
		 * nothing to do with the events. */
		while (XPending(m.dpy)) {
			XEvent ev;

			XNextEvent(m.dpy, &ev);
		}
		if (r < 0)
			printf("fail bad command\n");
		else
			printf("ok\n");
		if (done)
			break;
	}
	XCloseDisplay(m.dpy);
	return 0;
}
