/* SPDX-License-Identifier: MIT */
/*
 * desk-grab: a libvncclient viewer for the desktop tests: what
 * libvncclient decodes of cursor shapes (Cursor/XCursor), PointerPos and
 * ExtendedDesktopSize, and QEMU Extended Key Events sent through its own
 * SendExtendedKeyEvent(). libvncclient 0.9.14's SendExtDesktopSize()
 * sends screen fields it never sets, so SetDesktopSize is written here
 * with the screen id the server announced.
 *
 *   desk-grab [--cursor] [--encodings STRING] [--timeout-ms N] HOST:PORT
 *
 * Commands, one per line on stdin, each answered with "ok ..." or
 * "fail ...":
 *   sync                      a full 1x1 request answered
 *   size | wait-size W H
 *   resize W H                SetDesktopSize, one screen
 *   cursor | wait-cursor SIG  WxH+HX+HY:HASH, as xdesk prints it
 *   pos | wait-pos X Y        the last PointerPos
 *   pixel X Y | wait-pixel X Y RRGGBB
 *   xkey CODE down|up [KEYSYM]   QEMU Extended Key Event
 *   pointer X Y MASK
 *   quit
 * Exit: 0 ok, 1 a command failed, 2 usage, 3 connection problem.
 */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rfb/rfbclient.h>
#include "tool-util.h"

struct desk {
	rfbClient *cl;
	int timeout_ms;
	bool closed;
	unsigned long updates;
	bool cursor_seen;
	char cursor_sig[64];
	bool pos_seen;
	int pos_x, pos_y;
};

static struct desk the_desk;

static void quiet_log(const char *fmt, ...)
{
}

static uint32_t pixel_rgb(rfbClient *cl, const uint8_t *p)
{
	const rfbPixelFormat *f = &cl->format;
	unsigned bpp = f->bitsPerPixel / 8, k;
	uint32_t v = 0;

	for (k = bpp; k > 0; k--)
		v = v << 8 | p[k - 1];
	return ((v >> f->redShift & f->redMax) * 255 / f->redMax) << 16 |
	       ((v >> f->greenShift & f->greenMax) * 255 / f->greenMax) << 8 |
	       (v >> f->blueShift & f->blueMax) * 255 / f->blueMax;
}

/* The same signature as xdesk and rfb-ext compute. */
static void on_cursor_shape(rfbClient *cl, int xhot, int yhot, int w, int h,
			    int bpp)
{
	struct desk *d = &the_desk;
	uint64_t sig = TOOL_FNV1A_INIT;
	char s[16];
	int x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++) {
			size_t i = (size_t)y * w + x;

			if (cl->rcMask[i])
				snprintf(s, sizeof(s), "%06x",
					 pixel_rgb(cl, cl->rcSource +
							       i * (size_t)bpp));
			else
				snprintf(s, sizeof(s), "-");
			sig = tool_fnv1a(sig, s, strlen(s));
		}
	snprintf(d->cursor_sig, sizeof(d->cursor_sig), "%dx%d+%d+%d:%016llx",
		 w, h, xhot, yhot, (unsigned long long)sig);
	d->cursor_seen = true;
}

static rfbBool on_cursor_pos(rfbClient *cl, int x, int y)
{
	the_desk.pos_seen = true;
	the_desk.pos_x = x;
	the_desk.pos_y = y;
	return TRUE;
}

static void on_finished(rfbClient *cl)
{
	the_desk.updates++;
}

static int pump_one(struct desk *d, int timeout_ms)
{
	int r;

	if (d->closed)
		return -1;
	if (!d->cl->buffered) {
		struct pollfd p = { .fd = d->cl->sock, .events = POLLIN };

		r = poll(&p, 1, timeout_ms);
		if (r <= 0)
			return 0;
	}
	if (!HandleRFBServerMessage(d->cl)) {
		d->closed = true;
		return -1;
	}
	return 1;
}

static int wait_for(struct desk *d, bool (*done)(struct desk *, void *),
		    void *arg)
{
	uint64_t end = now_ms() + (uint64_t)d->timeout_ms;

	while (!done(d, arg)) {
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (pump_one(d, (int)left) < 0)
			return -ECONNRESET;
	}
	return 0;
}

static bool done_updates(struct desk *d, void *arg)
{
	return d->updates >= *(unsigned long *)arg;
}

static bool done_size(struct desk *d, void *arg)
{
	int *s = arg;

	return d->cl->width == s[0] && d->cl->height == s[1];
}

static bool done_cursor(struct desk *d, void *arg)
{
	return d->cursor_seen && !strcmp(d->cursor_sig, arg);
}

static bool done_pos(struct desk *d, void *arg)
{
	int *p = arg;

	return d->pos_seen && d->pos_x == p[0] && d->pos_y == p[1];
}

static bool pixel_at(struct desk *d, int x, int y, uint32_t *rgb)
{
	rfbClient *cl = d->cl;

	if (x < 0 || y < 0 || x >= cl->width || y >= cl->height)
		return false;
	*rgb = pixel_rgb(cl, cl->frameBuffer +
				     ((size_t)y * cl->width + x) *
					     (cl->format.bitsPerPixel / 8));
	return true;
}

static bool done_pixel(struct desk *d, void *arg)
{
	int *p = arg;
	uint32_t rgb;

	return pixel_at(d, p[0], p[1], &rgb) && rgb == (uint32_t)p[2];
}

/* SetDesktopSize (rfbproto.rst): U8 251, pad, U16 w, U16 h, U8 n, pad,
 * then n screens of U32 id, U16 x, y, w, h, U32 flags. */
static bool send_resize(struct desk *d, int w, int h)
{
	uint8_t m[24] = { 251 };
	uint32_t id = d->cl->screen.id ? ntohl(d->cl->screen.id) : 1;

	m[2] = (uint8_t)(w >> 8);
	m[3] = (uint8_t)w;
	m[4] = (uint8_t)(h >> 8);
	m[5] = (uint8_t)h;
	m[6] = 1;
	m[8] = (uint8_t)(id >> 24);
	m[9] = (uint8_t)(id >> 16);
	m[10] = (uint8_t)(id >> 8);
	m[11] = (uint8_t)id;
	m[16] = m[2];
	m[17] = m[3];
	m[18] = m[4];
	m[19] = m[5];
	return WriteToRFBServer(d->cl, (char *)m, sizeof(m));
}

static int fail_wait(struct desk *d, const char *what, int r)
{
	out("fail %s: %s\n", what,
	    r == -ETIMEDOUT ? "timed out" : "connection closed");
	return r == -ETIMEDOUT ? 1 : 3;
}

static int run_command(struct desk *d, char *line)
{
	char *argv[8], *save = NULL, *t;
	int argc = 0, a[3], r;
	unsigned long ul;
	uint32_t rgb;

	for (t = strtok_r(line, " ", &save); t && argc < 8;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	if (!argc)
		return 0;
	if (!strcmp(argv[0], "sync")) {
		ul = d->updates + 1;
		if (!SendFramebufferUpdateRequest(d->cl, 0, 0, 1, 1, FALSE))
			return fail_wait(d, "sync", -ECONNRESET);
		if ((r = wait_for(d, done_updates, &ul)))
			return fail_wait(d, "sync", r);
		out("ok sync\n");
		return 0;
	}
	if (!strcmp(argv[0], "size")) {
		out("ok size %dx%d\n", d->cl->width, d->cl->height);
		return 0;
	}
	if (!strcmp(argv[0], "wait-size") && argc == 3) {
		a[0] = atoi(argv[1]);
		a[1] = atoi(argv[2]);
		if ((r = wait_for(d, done_size, a))) {
			out("fail wait-size: %dx%d\n", d->cl->width,
			    d->cl->height);
			return r == -ETIMEDOUT ? 1 : 3;
		}
		out("ok size %dx%d\n", d->cl->width, d->cl->height);
		return 0;
	}
	if (!strcmp(argv[0], "resize") && argc == 3) {
		if (!send_resize(d, atoi(argv[1]), atoi(argv[2])))
			return fail_wait(d, "resize", -ECONNRESET);
		out("ok resize\n");
		return 0;
	}
	if (!strcmp(argv[0], "cursor") ||
	    (!strcmp(argv[0], "wait-cursor") && argc == 2)) {
		if (argv[0][0] == 'w' &&
		    (r = wait_for(d, done_cursor, argv[1]))) {
			out("fail wait-cursor: cursor is %s\n",
			    d->cursor_seen ? d->cursor_sig : "none");
			return r == -ETIMEDOUT ? 1 : 3;
		}
		if (!d->cursor_seen) {
			out("fail cursor: none received\n");
			return 1;
		}
		out("ok cursor %s\n", d->cursor_sig);
		return 0;
	}
	if (!strcmp(argv[0], "pos") ||
	    (!strcmp(argv[0], "wait-pos") && argc == 3)) {
		if (argv[0][0] == 'w') {
			a[0] = atoi(argv[1]);
			a[1] = atoi(argv[2]);
			if ((r = wait_for(d, done_pos, a))) {
				out("fail wait-pos: at %d %d\n", d->pos_x,
				    d->pos_y);
				return r == -ETIMEDOUT ? 1 : 3;
			}
		}
		out("ok pos %d %d\n", d->pos_x, d->pos_y);
		return 0;
	}
	if ((!strcmp(argv[0], "pixel") && argc == 3) ||
	    (!strcmp(argv[0], "wait-pixel") && argc == 4)) {
		a[0] = atoi(argv[1]);
		a[1] = atoi(argv[2]);
		if (argc == 4) {
			a[2] = (int)strtoul(argv[3], NULL, 16);
			if ((r = wait_for(d, done_pixel, a))) {
				if (pixel_at(d, a[0], a[1], &rgb))
					out("fail wait-pixel: %06x\n", rgb);
				else
					out("fail wait-pixel: outside\n");
				return r == -ETIMEDOUT ? 1 : 3;
			}
		}
		if (!pixel_at(d, a[0], a[1], &rgb)) {
			out("fail pixel: outside %dx%d\n", d->cl->width,
			    d->cl->height);
			return 1;
		}
		out("ok pixel %06x\n", rgb);
		return 0;
	}
	if (!strcmp(argv[0], "xkey") && argc >= 3) {
		if (!SendExtendedKeyEvent(d->cl,
					  argc > 3 ? (uint32_t)strtoul(argv[3],
								       NULL, 0)
						   : 0,
					  (uint32_t)strtoul(argv[1], NULL, 0),
					  !strcmp(argv[2], "down"))) {
			out("fail xkey: not confirmed by the server, or "
			    "connection closed\n");
			return 1;
		}
		out("ok xkey\n");
		return 0;
	}
	if (!strcmp(argv[0], "pointer") && argc == 4) {
		if (!SendPointerEvent(d->cl, atoi(argv[1]), atoi(argv[2]),
				      (int)strtoul(argv[3], NULL, 0)))
			return fail_wait(d, "pointer", -ECONNRESET);
		out("ok pointer\n");
		return 0;
	}
	if (!strcmp(argv[0], "quit")) {
		out("ok quit\n");
		return -1;
	}
	out("fail usage: %s\n", argv[0]);
	return 2;
}

static int run(struct desk *d)
{
	struct tool_lines in = { .have = 0 };
	char line[sizeof(in.buf)];
	int status = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = d->cl->sock, .events = POLLIN },
		};

		while (tool_line_take(&in, line)) {
			int r = run_command(d, line);

			if (r < 0)
				return status;
			if (r == 3)
				return 3;
			if (r)
				status = 1;
		}
		if (d->cl->buffered) {
			if (pump_one(d, 0) < 0)
				return 3;
			continue;
		}
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 3;
		}
		if (p[1].revents && pump_one(d, 0) < 0)
			return 3;
		if (p[0].revents && !tool_lines_read(&in, 0))
			return status;
	}
}

int main(int argc, char **argv)
{
	struct desk *d = &the_desk;
	const char *addr = NULL, *encodings = "raw";
	bool cursor = false;
	char *host, *colon;
	rfbClient *cl;
	unsigned long one = 1;
	int i;

	d->timeout_ms = 30000;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--cursor"))
			cursor = true;
		else if (!strcmp(argv[i], "--encodings") && i + 1 < argc)
			encodings = argv[++i];
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			d->timeout_ms = atoi(argv[++i]);
		else if (argv[i][0] != '-' && !addr)
			addr = argv[i];
		else
			addr = NULL, i = argc;
	}
	if (!addr || !(colon = strrchr(addr, ':'))) {
		fprintf(stderr, "usage: desk-grab [--cursor] [--encodings S] "
				"[--timeout-ms N] HOST:PORT\n");
		return 2;
	}
	host = strndup(addr, (size_t)(colon - addr));
	rfbClientLog = quiet_log;
	rfbClientErr = quiet_log;
	cl = rfbGetClient(8, 3, 4);
	d->cl = cl;
	cl->appData.encodingsString = encodings;
	cl->appData.useRemoteCursor = cursor;
	cl->canHandleNewFBSize = TRUE;
	cl->GotCursorShape = on_cursor_shape;
	cl->HandleCursorPos = on_cursor_pos;
	cl->FinishedFrameBufferUpdate = on_finished;
	free(cl->serverHost);
	cl->serverHost = host;
	cl->serverPort = atoi(colon + 1);
	if (!rfbInitClient(cl, NULL, NULL)) {
		fprintf(stderr, "desk-grab: cannot connect to %s\n", addr);
		return 3;
	}
	if (wait_for(d, done_updates, &one)) {
		out("fail no first update\n");
		return 3;
	}
	out("ok connected %dx%d\n", cl->width, cl->height);
	return run(d);
}
