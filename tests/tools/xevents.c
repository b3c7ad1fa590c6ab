/* SPDX-License-Identifier: MIT */
/*
 * xevents: an X client that reports the input it receives, so tests can
 * read back what a VNC client's keys and clicks did on the display. It
 * maps an override-redirect window (no window manager needed), takes the
 * keyboard focus and prints one line per event on stdout:
 *
 *   ready WINDOW
 *   key press|release KEYCODE KEYSYM-NAME STATE TEXT-HEX
 *   button press|release BUTTON X Y STATE
 *   motion X Y                      (only with --motion)
 *
 * With --text FILE, the text of every key press (XLookupString, so the
 * modifiers the server set are applied) is appended to FILE as it comes.
 *
 *   xevents [-display D] [--text FILE] [--motion] [--geometry WxH+X+Y]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

static void print_hex(const char *s, int n)
{
	int i;

	if (n == 0)
		fputs("-", stdout);
	for (i = 0; i < n; i++)
		printf("%02x", (unsigned char)s[i]);
}

int main(int argc, char **argv)
{
	const char *display = NULL, *textpath = NULL, *geometry = NULL;
	XSetWindowAttributes attr;
	Display *dpy;
	Window win;
	FILE *text = NULL;
	int i, x = 0, y = 0, motion = 0;
	unsigned w, h;
	long mask;

	for (i = 1; i < argc; i++) {
		if ((!strcmp(argv[i], "-display") ||
		     !strcmp(argv[i], "--display")) && i + 1 < argc)
			display = argv[++i];
		else if (!strcmp(argv[i], "--text") && i + 1 < argc)
			textpath = argv[++i];
		else if (!strcmp(argv[i], "--geometry") && i + 1 < argc)
			geometry = argv[++i];
		else if (!strcmp(argv[i], "--motion"))
			motion = 1;
		else {
			fprintf(stderr, "usage: xevents [-display D] "
					"[--text FILE] [--motion] "
					"[--geometry WxH+X+Y]\n");
			return 2;
		}
	}
	dpy = XOpenDisplay(display);
	if (!dpy) {
		fprintf(stderr, "xevents: cannot open display\n");
		return 1;
	}
	if (textpath) {
		text = fopen(textpath, "a");
		if (!text) {
			perror(textpath);
			return 1;
		}
	}
	w = (unsigned)DisplayWidth(dpy, DefaultScreen(dpy));
	h = (unsigned)DisplayHeight(dpy, DefaultScreen(dpy));
	if (geometry)
		XParseGeometry(geometry, &x, &y, &w, &h);

	mask = KeyPressMask | KeyReleaseMask | ButtonPressMask |
	       ButtonReleaseMask | StructureNotifyMask;
	if (motion)
		mask |= PointerMotionMask;
	attr.override_redirect = True;
	attr.background_pixel = WhitePixel(dpy, DefaultScreen(dpy));
	attr.event_mask = mask;
	win = XCreateWindow(dpy, DefaultRootWindow(dpy), x, y, w, h, 0,
			    CopyFromParent, InputOutput, CopyFromParent,
			    CWOverrideRedirect | CWBackPixel | CWEventMask,
			    &attr);
	XMapRaised(dpy, win);

	for (;;) {
		XEvent ev;
		char buf[64];
		KeySym ks;
		int n;

		XNextEvent(dpy, &ev);
		switch (ev.type) {
		case MapNotify:
			XSetInputFocus(dpy, win, RevertToPointerRoot,
				       CurrentTime);
			XSync(dpy, False);
			printf("ready 0x%lx\n", win);
			break;
		case MappingNotify:
			/* the server binds keysyms to spare keycodes: an X
			 * client must take the new mapping before it reads the
			 * keys that follow (Xlib keeps the old one otherwise) */
			XRefreshKeyboardMapping(&ev.xmapping);
			break;
		case KeyPress:
		case KeyRelease:
			n = XLookupString(&ev.xkey, buf, sizeof(buf), &ks,
					  NULL);
			printf("key %s %u %s 0x%x ",
			       ev.type == KeyPress ? "press" : "release",
			       ev.xkey.keycode,
			       XKeysymToString(ks) ? XKeysymToString(ks) :
						     "NoSymbol",
			       ev.xkey.state);
			print_hex(buf, n);
			putchar('\n');
			if (text && ev.type == KeyPress && n > 0) {
				fwrite(buf, 1, (size_t)n, text);
				fflush(text);
			}
			break;
		case ButtonPress:
		case ButtonRelease:
			printf("button %s %u %d %d 0x%x\n",
			       ev.type == ButtonPress ? "press" : "release",
			       ev.xbutton.button, ev.xbutton.x_root,
			       ev.xbutton.y_root, ev.xbutton.state);
			break;
		case MotionNotify:
			printf("motion %d %d\n", ev.xmotion.x_root,
			       ev.xmotion.y_root);
			break;
		default:
			break;
		}
		fflush(stdout);
	}
}
