/* SPDX-License-Identifier: MIT */
/*
 * xpaint: puts known, deterministic content on an X display for the
 * integration tests. The content lives in the root window's background
 * pixmap, kept after we exit (RetainPermanent, as xsetroot does), so it
 * survives exposures and needs no running client.
 *
 * The test pattern is built to make pixel comparisons meaningful at any
 * client precision: ramps through all 256 levels of each channel, random
 * blocks and per-pixel noise, 1-pixel checkers and stripes, and text drawn
 * with the server's core font. The same seed gives the same pixels.
 *
 *   xpaint [-display D] pattern [SEED]
 *   xpaint [-display D] solid RRGGBB
 *   xpaint [-display D] rect X Y W H RRGGBB
 *   xpaint [-display D] scroll DX DY       move the background by DX, DY
 *   xpaint [-display D] animate [FRAMES [DELAY_MS]]   (FRAMES 0: forever)
 *   xpaint [-display D] video X Y W H FRAMES DELAY_MS
 *   xpaint [-display D] film X Y W H FRAMES DELAY_MS
 *       photo-like frames in one area (smooth shades, grain, a moving
 *       disc): every pixel changes from one frame to the next and no
 *       frame is a shifted copy of another; the last frame stays.
 *   xpaint [-display D] pan X Y W H FRAMES DELAY_MS
 *       the film without its per-frame noise: most of each frame is the
 *       last one shifted (CopyRect) and new strips of photo come in.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

struct painter {
	Display *dpy;
	int screen;
	Window root;
	Visual *visual;
	int depth;
	int width, height;
	unsigned long mask[3];
	int shift[3], bits[3];
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

static int painter_open(struct painter *p, const char *display)
{
	int i;

	p->dpy = XOpenDisplay(display);
	if (!p->dpy) {
		fprintf(stderr, "xpaint: cannot open display %s\n",
			display ? display : "(DISPLAY)");
		return -1;
	}
	p->screen = DefaultScreen(p->dpy);
	p->root = RootWindow(p->dpy, p->screen);
	p->visual = DefaultVisual(p->dpy, p->screen);
	p->depth = DefaultDepth(p->dpy, p->screen);
	p->width = DisplayWidth(p->dpy, p->screen);
	p->height = DisplayHeight(p->dpy, p->screen);
	if (p->visual->class != TrueColor && p->visual->class != DirectColor) {
		fprintf(stderr, "xpaint: needs a true colour default visual\n");
		return -1;
	}
	p->mask[0] = p->visual->red_mask;
	p->mask[1] = p->visual->green_mask;
	p->mask[2] = p->visual->blue_mask;
	for (i = 0; i < 3; i++)
		mask_info(p->mask[i], &p->shift[i], &p->bits[i]);
	return 0;
}

/* The visual's pixel for an 8-bit colour: the top bits of each channel. */
static unsigned long pixel_of(const struct painter *p, uint32_t rgb)
{
	unsigned long px = 0;
	int i;

	for (i = 0; i < 3; i++) {
		unsigned long c = (rgb >> (16 - 8 * i)) & 0xff;

		if (p->bits[i] <= 8)
			c >>= 8 - p->bits[i];
		else
			c <<= p->bits[i] - 8;
		px |= c << p->shift[i];
	}
	return px;
}

static uint32_t hash2(uint32_t x, uint32_t y, uint32_t seed)
{
	uint32_t h = x * 0x9e3779b1u ^ y * 0x85ebca77u ^ seed * 0xc2b2ae3du;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/* The colour of pixel (x, y) of pattern @seed, before the text. */
static uint32_t pattern_rgb(const struct painter *p, int x, int y,
			    uint32_t seed)
{
	int band = y * 8 / p->height;
	int shifted = x + (int)seed * 37;
	uint32_t ramp = (uint32_t)((shifted * 256 / p->width) & 255);
	uint32_t row = (uint32_t)(y * 4 & 255), tint = seed * 53 & 255;

	switch (band) {
	case 0:
		return ramp << 16 | row << 8 | tint;
	case 1:
		return tint << 16 | ramp << 8 | row;
	case 2:
		return row << 16 | tint << 8 | ramp;
	case 3:
		return ramp << 16 | ramp << 8 | ramp;
	case 4: {
		/* 16x16 blocks of random colours */
		return hash2((uint32_t)x / 16, (uint32_t)y / 16, seed) &
		       0xffffff;
	}
	case 5:
		return hash2((uint32_t)x, (uint32_t)y, seed + 1000) & 0xffffff;
	case 6:
		if (x < p->width / 2)
			return ((x ^ y) & 1) ? 0xffffff : (seed * 0x010203u &
							   0xffffff);
		return (x % 3 == 0) ? 0xff0000 : (x % 3 == 1) ? 0x00ff00 :
								  0x0000ff;
	default:
		return 0x101828 + (seed & 0x3f);
	}
}

static XImage *make_image(struct painter *p, uint32_t seed)
{
	XImage *img;
	int x, y;

	img = XCreateImage(p->dpy, p->visual, (unsigned)p->depth, ZPixmap, 0,
			   NULL, (unsigned)p->width, (unsigned)p->height, 32,
			   0);
	if (!img)
		return NULL;
	img->data = malloc((size_t)img->bytes_per_line * p->height);
	if (!img->data) {
		XDestroyImage(img);
		return NULL;
	}
	for (y = 0; y < p->height; y++)
		for (x = 0; x < p->width; x++)
			XPutPixel(img, x, y,
				  pixel_of(p, pattern_rgb(p, x, y, seed)));
	return img;
}

static void draw_text(struct painter *p, Drawable d, GC gc, uint32_t seed)
{
	static const uint32_t colours[] = { 0xffffff, 0xffff00, 0x00ffff,
					    0xff80ff, 0x80ff80, 0xff8000 };
	XFontStruct *font = XLoadQueryFont(p->dpy, "fixed");
	int y0 = p->height * 7 / 8, line = 14, i;
	char text[160];

	if (font) {
		XSetFont(p->dpy, gc, font->fid);
		line = font->ascent + font->descent + 1;
	}
	for (i = 0; y0 + (i + 1) * line < p->height; i++) {
		snprintf(text, sizeof(text),
			 "xrfb test pattern %u, line %d: The quick brown fox "
			 "jumps over the lazy dog 0123456789 !@#$%%^&*()",
			 seed, i);
		XSetForeground(p->dpy, gc,
			       pixel_of(p, colours[(i + seed) % 6]));
		XDrawString(p->dpy, d, gc, 4 + (int)(seed % 17),
			    y0 + (i + 1) * line, text, (int)strlen(text));
	}
	if (font)
		XFreeFont(p->dpy, font);
}

/* The pixmap a previous run left as root background, if any. */
static Pixmap retained_pixmap(struct painter *p, Atom prop)
{
	Atom type;
	int format;
	unsigned long n, after;
	unsigned char *data = NULL;
	Pixmap pm = None;

	if (XGetWindowProperty(p->dpy, p->root, prop, 0, 1, False, XA_PIXMAP,
			       &type, &format, &n, &after, &data) == Success &&
	    type == XA_PIXMAP && format == 32 && n == 1)
		pm = *(Pixmap *)data;
	if (data)
		XFree(data);
	return pm;
}

/* Make @pm the root background, keep it after we exit, free the one a
 * previous run kept (the xsetroot _XSETROOT_ID convention). */
static void set_background(struct painter *p, Pixmap pm)
{
	Atom prop = XInternAtom(p->dpy, "_XSETROOT_ID", False);
	Pixmap old = retained_pixmap(p, prop);

	XSetWindowBackgroundPixmap(p->dpy, p->root, pm);
	XClearWindow(p->dpy, p->root);
	XChangeProperty(p->dpy, p->root, prop, XA_PIXMAP, 32, PropModeReplace,
			(unsigned char *)&pm, 1);
	if (old != None)
		XKillClient(p->dpy, old);
	XSetCloseDownMode(p->dpy, RetainPermanent);
	XSync(p->dpy, False);
}

static Pixmap new_pattern_pixmap(struct painter *p, uint32_t seed)
{
	Pixmap pm = XCreatePixmap(p->dpy, p->root, (unsigned)p->width,
				  (unsigned)p->height, (unsigned)p->depth);
	GC gc = XCreateGC(p->dpy, pm, 0, NULL);
	XImage *img = make_image(p, seed);

	if (!img) {
		fprintf(stderr, "xpaint: out of memory\n");
		exit(1);
	}
	XPutImage(p->dpy, pm, gc, img, 0, 0, 0, 0, (unsigned)p->width,
		  (unsigned)p->height);
	XDestroyImage(img);
	draw_text(p, pm, gc, seed);
	XFreeGC(p->dpy, gc);
	return pm;
}

static int parse_rgb(const char *s, uint32_t *rgb)
{
	char *end;
	unsigned long v;

	if (*s == '#')
		s++;
	v = strtoul(s, &end, 16);
	if (*end || end - s != 6)
		return -1;
	*rgb = (uint32_t)v;
	return 0;
}

static int cmd_solid(struct painter *p, uint32_t rgb)
{
	Pixmap pm = XCreatePixmap(p->dpy, p->root, 8, 8, (unsigned)p->depth);
	GC gc = XCreateGC(p->dpy, pm, 0, NULL);

	XSetForeground(p->dpy, gc, pixel_of(p, rgb));
	XFillRectangle(p->dpy, pm, gc, 0, 0, 8, 8);
	XFreeGC(p->dpy, gc);
	set_background(p, pm);
	return 0;
}

/* Draw into the retained background so the change survives exposures. */
static int cmd_rect(struct painter *p, int x, int y, int w, int h,
		    uint32_t rgb)
{
	Atom prop = XInternAtom(p->dpy, "_XSETROOT_ID", False);
	Pixmap pm = retained_pixmap(p, prop);
	Window rroot;
	int rx, ry;
	unsigned rw, rh, rb, rd;
	GC gc;

	if (pm == None ||
	    !XGetGeometry(p->dpy, pm, &rroot, &rx, &ry, &rw, &rh, &rb, &rd) ||
	    (int)rw != p->width || (int)rh != p->height) {
		fprintf(stderr, "xpaint: rect needs a full-size background "
				"from 'xpaint pattern'\n");
		return 1;
	}
	gc = XCreateGC(p->dpy, pm, 0, NULL);
	XSetForeground(p->dpy, gc, pixel_of(p, rgb));
	XFillRectangle(p->dpy, pm, gc, x, y, (unsigned)w, (unsigned)h);
	XFreeGC(p->dpy, gc);
	XClearArea(p->dpy, p->root, x, y, (unsigned)w, (unsigned)h, False);
	XSync(p->dpy, False);
	return 0;
}

/* Move the whole background by (@dx, @dy), as a scrolling application
 * would; the strip uncovered keeps its old pixels. */
static int cmd_scroll(struct painter *p, int dx, int dy)
{
	Atom prop = XInternAtom(p->dpy, "_XSETROOT_ID", False);
	Pixmap pm = retained_pixmap(p, prop);
	GC gc;

	if (pm == None) {
		fprintf(stderr, "xpaint: scroll needs a background from "
				"'xpaint pattern'\n");
		return 1;
	}
	gc = XCreateGC(p->dpy, pm, 0, NULL);
	XCopyArea(p->dpy, pm, pm, gc, 0, 0, (unsigned)p->width,
		  (unsigned)p->height, dx, dy);
	XFreeGC(p->dpy, gc);
	XClearWindow(p->dpy, p->root);
	XSync(p->dpy, False);
	return 0;
}

/* Wait until the X server has drawn the frame, then @delay_ms more. */
static void show_frame(struct painter *p, long delay_ms)
{
	XSync(p->dpy, False);
	if (delay_ms > 0) {
		struct timespec ts = { delay_ms / 1000,
				       delay_ms % 1000 * 1000000 };

		nanosleep(&ts, NULL);
	}
}

/* Redraw the whole root window, different every frame. Draws directly
 * on the root window: nothing is retained. */
static int cmd_animate(struct painter *p, long frames, long delay_ms)
{
	GC gc = XCreateGC(p->dpy, p->root, 0, NULL);
	XImage *img;
	long f;

	XSetSubwindowMode(p->dpy, gc, IncludeInferiors);
	img = make_image(p, 0);
	if (!img)
		return 1;
	for (f = 0; frames == 0 || f < frames; f++) {
		int shift = (int)(f * 7 % p->width);

		/* the same image, rotated sideways: every pixel changes */
		XPutImage(p->dpy, p->root, gc, img, shift, 0, 0, 0,
			  (unsigned)(p->width - shift), (unsigned)p->height);
		if (shift)
			XPutImage(p->dpy, p->root, gc, img, 0, 0,
				  p->width - shift, 0, (unsigned)shift,
				  (unsigned)p->height);
		show_frame(p, delay_ms);
	}
	XDestroyImage(img);
	XFreeGC(p->dpy, gc);
	return 0;
}

/* Pixel (x, y) of video frame @k: smooth shades with grain. */
static uint32_t video_rgb(int x, int y, int w, int h, long k)
{
	int cx = (int)(k * 13 % w), cy = (int)(k * 7 % h), r2 = h * h / 16;
	uint32_t grain = hash2((uint32_t)x, (uint32_t)y, (uint32_t)k) & 0x0f0f0f;
	uint32_t r = (uint32_t)(x * 2 + k * 5) & 255;
	uint32_t g = (uint32_t)(y * 3 + k * 3) & 255;
	uint32_t b = (uint32_t)((x + y) + k * 11) & 255;

	if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r2)
		r = 255 - r;
	return ((r << 16 | g << 8 | b) ^ grain) & 0xffffff;
}

/* A triangle wave of @v with period 2 * @half, 0 .. 255. */
static uint32_t tri(long v, int half)
{
	long m = v % (2 * half);

	if (m < 0)
		m += 2 * half;
	return (uint32_t)((m < half ? m : 2 * half - m) * 255 / half);
}

/* Pixel (x, y) of film frame @k: a camera panning over a textured scene
 * (as camera video moves: most of it predictable from the last frame)
 * with a disc crossing it, and a faint noise of its own in each frame
 * (a sensor's: no frame is an exact shift of the last, so the server
 * sees motion, not a move for CopyRect). */
static uint32_t film_rgb(int x, int y, int w, int h, long k, bool noise)
{
	long sx = x + k * 3, sy = y + k;
	int cx = (int)(k * 5 % w), cy = h / 2, r2 = h * h / 25;
	uint32_t tex = (hash2((uint32_t)sx, (uint32_t)sy, 0) & 0x070707) +
		       (noise ? hash2((uint32_t)x, (uint32_t)y,
				      (uint32_t)k + 1) & 0x010101 : 0);
	uint32_t r = tri(sx, 200) * 3 / 4 + tri(sy, 90) / 4;
	uint32_t g = tri(sy, 150) * 3 / 4 + tri(sx + sy, 70) / 4;
	uint32_t b = tri(sx - sy, 240) * 3 / 4 + 32;

	if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r2)
		r = 240, g = 200 - (uint32_t)(y * 100 / h), b = 40;
	return (((r > 247 ? 247 : r) << 16 | (g > 247 ? 247 : g) << 8 |
		 (b > 247 ? 247 : b)) + tex) & 0xffffff;
}

static int cmd_video(struct painter *p, int x0, int y0, int w, int h,
		     long frames, long delay_ms, bool film, bool noise)
{
	GC gc = XCreateGC(p->dpy, p->root, 0, NULL);
	XImage *img;
	char *data;
	long k;

	if (w <= 0 || h <= 0)
		return 2;
	data = malloc((size_t)w * (size_t)h * 4);
	if (!data)
		return 1;
	img = XCreateImage(p->dpy, p->visual, (unsigned)p->depth, ZPixmap, 0,
			   data, (unsigned)w, (unsigned)h, 32, 0);
	if (!img) {
		free(data);
		return 1;
	}
	XSetSubwindowMode(p->dpy, gc, IncludeInferiors);
	for (k = 0; k < frames; k++) {
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				XPutPixel(img, x, y,
					  pixel_of(p, film ?
						  film_rgb(x, y, w, h, k,
							   noise) :
						  video_rgb(x, y, w, h, k)));
		XPutImage(p->dpy, p->root, gc, img, 0, 0, x0, y0,
			  (unsigned)w, (unsigned)h);
		show_frame(p, delay_ms);
	}
	XDestroyImage(img);
	XFreeGC(p->dpy, gc);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xpaint [-display D] pattern [SEED]\n"
		"       xpaint [-display D] solid RRGGBB\n"
		"       xpaint [-display D] rect X Y W H RRGGBB\n"
		"       xpaint [-display D] scroll DX DY\n"
		"       xpaint [-display D] animate [FRAMES [DELAY_MS]]\n"
		"       xpaint [-display D] video X Y W H FRAMES DELAY_MS\n"
		"       xpaint [-display D] film X Y W H FRAMES DELAY_MS\n"
		"       xpaint [-display D] pan X Y W H FRAMES DELAY_MS\n");
}

int main(int argc, char **argv)
{
	struct painter p;
	const char *display = NULL;
	int i = 1, ret = 0;
	uint32_t rgb;

	if (argc > 2 && (!strcmp(argv[1], "-display") ||
			 !strcmp(argv[1], "--display"))) {
		display = argv[2];
		i = 3;
	}
	if (i >= argc) {
		usage();
		return 2;
	}
	if (painter_open(&p, display))
		return 1;

	if (!strcmp(argv[i], "pattern")) {
		uint32_t seed = i + 1 < argc ? (uint32_t)atoi(argv[i + 1]) : 1;

		set_background(&p, new_pattern_pixmap(&p, seed));
	} else if (!strcmp(argv[i], "solid") && i + 1 < argc &&
		   !parse_rgb(argv[i + 1], &rgb)) {
		ret = cmd_solid(&p, rgb);
	} else if (!strcmp(argv[i], "rect") && i + 5 < argc &&
		   !parse_rgb(argv[i + 5], &rgb)) {
		ret = cmd_rect(&p, atoi(argv[i + 1]), atoi(argv[i + 2]),
			       atoi(argv[i + 3]), atoi(argv[i + 4]), rgb);
	} else if (!strcmp(argv[i], "scroll") && i + 2 < argc) {
		ret = cmd_scroll(&p, atoi(argv[i + 1]), atoi(argv[i + 2]));
	} else if (!strcmp(argv[i], "animate")) {
		long frames = i + 1 < argc ? atol(argv[i + 1]) : 0;
		long delay = i + 2 < argc ? atol(argv[i + 2]) : 0;

		ret = cmd_animate(&p, frames, delay);
	} else if ((!strcmp(argv[i], "video") || !strcmp(argv[i], "film") ||
		    !strcmp(argv[i], "pan")) && i + 6 < argc) {
		ret = cmd_video(&p, atoi(argv[i + 1]), atoi(argv[i + 2]),
				atoi(argv[i + 3]), atoi(argv[i + 4]),
				atol(argv[i + 5]), atol(argv[i + 6]),
				argv[i][0] != 'v', argv[i][0] == 'f');
	} else {
		usage();
		ret = 2;
	}
	XCloseDisplay(p.dpy);
	return ret;
}
