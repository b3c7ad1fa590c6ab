/* SPDX-License-Identifier: MIT */
/*
 * xcolormap: changes what the screen shows without drawing anything, the
 * way XDamage cannot see. On a colour-mapped display (Xvfb depth 8) it
 * allocates one writable colour map cell, paints the root window with it,
 * and then, for each "colour RRGGBB" line on stdin, stores a new colour in
 * that cell: every pixel of the root window changes colour, and no damage
 * is reported. Answers each line with "ok" or "fail ..." after XSync.
 *
 *   xcolormap [-display D] < commands
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

static int store(Display *dpy, Colormap cmap, unsigned long pixel,
		 const char *hex)
{
	XColor c;
	char *end;
	unsigned long v = strtoul(hex, &end, 16);

	if (*end || end - hex != 6)
		return -1;
	c.pixel = pixel;
	c.red = (unsigned short)((v >> 16 & 0xff) * 257);
	c.green = (unsigned short)((v >> 8 & 0xff) * 257);
	c.blue = (unsigned short)((v & 0xff) * 257);
	c.flags = DoRed | DoGreen | DoBlue;
	XStoreColor(dpy, cmap, &c);
	return 0;
}

int main(int argc, char **argv)
{
	const char *display = NULL;
	unsigned long pixel, planes;
	char line[256];
	Display *dpy;
	Colormap cmap;
	Window root;
	int screen;

	if (argc == 3 && (!strcmp(argv[1], "-display") ||
			  !strcmp(argv[1], "--display")))
		display = argv[2];
	else if (argc != 1) {
		fprintf(stderr, "usage: xcolormap [-display D] < commands\n");
		return 2;
	}
	dpy = XOpenDisplay(display);
	if (!dpy) {
		fprintf(stderr, "xcolormap: cannot open display\n");
		return 1;
	}
	screen = DefaultScreen(dpy);
	root = RootWindow(dpy, screen);
	cmap = DefaultColormap(dpy, screen);
	if (!XAllocColorCells(dpy, cmap, False, &planes, 0, &pixel, 1)) {
		fprintf(stderr, "xcolormap: no writable colour map cell (the "
			"default visual must be PseudoColor)\n");
		return 1;
	}
	store(dpy, cmap, pixel, "336699");
	XSetWindowBackground(dpy, root, pixel);
	XClearWindow(dpy, root);
	XSync(dpy, False);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("ok pixel %lu\n", pixel);
	while (fgets(line, sizeof(line), stdin)) {
		char *arg;

		line[strcspn(line, "\r\n")] = '\0';
		arg = strchr(line, ' ');
		if (arg && !strncmp(line, "colour ", 7) &&
		    store(dpy, cmap, pixel, arg + 1) == 0) {
			XSync(dpy, False);
			printf("ok\n");
		} else if (!strcmp(line, "quit")) {
			printf("ok\n");
			break;
		} else {
			printf("fail bad command\n");
		}
	}
	XCloseDisplay(dpy);
	return 0;
}
