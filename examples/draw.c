/* SPDX-License-Identifier: MIT */
/*
 * draw: a libxrfb server that draws its own pixels. A gradient that moves
 * fills the screen; the pointer of any viewer is drawn as a square (white,
 * or red, green or blue while button 1, 2 or 3 is down) and the last key
 * pressed as 16 squares along the top spelling its keysym in binary.
 * Every event is printed on stdout too. Clipboard text from a viewer is
 * printed and answered with the same text in upper case. Space pauses
 * and resumes the animation.
 *
 *   draw [PORT]      (default 5900; 0: any free port, printed)
 *
 * It uses only <xrfb.h> and runs the library's own loop.
 */
#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xrfb.h>

#define W 320
#define H 240
#define FRAME_MS 40
#define KEY_SPACE 0x20

struct app {
	struct xrfb_loop *loop;
	struct xrfb_server *server;
	uint32_t px[W * H];
	unsigned frame;
	bool paused;
	int x, y;		/* last pointer position, -1: none yet */
	uint32_t buttons;
	uint32_t keysym;	/* last key pressed */
	struct xrfb_timer *timer;	/* the next frame */
};

static void fill(uint32_t *px, int x0, int y0, int w, int h, uint32_t c)
{
	for (int y = y0; y < y0 + h; y++)
		for (int x = x0; x < x0 + w; x++)
			if (x >= 0 && x < W && y >= 0 && y < H)
				px[y * W + x] = c;
}

/* The whole picture from the state; the server sends only what changed. */
static void draw(struct app *a)
{
	static const uint32_t button_colour[] = { 0xffffff, 0xff0000,
						  0x00ff00, 0x0000ff };
	unsigned t = a->frame;

	for (int y = 0; y < H; y++)
		for (int x = 0; x < W; x++)
			a->px[y * W + x] = ((x + t) & 255) << 16 |
					   ((y + 2 * t) & 255) << 8 |
					   ((x + y) / 4 & 255);
	for (int i = 0; i < 16; i++)
		fill(a->px, 4 + 10 * i, 4, 8, 8,
		     a->keysym >> (15 - i) & 1 ? 0xffffff : 0x000000);
	if (a->x >= 0) {
		unsigned b = a->buttons & 1 ? 1 : a->buttons & 2 ? 2
			   : a->buttons & 4 ? 3 : 0;

		fill(a->px, a->x - 3, a->y - 3, 6, 6, button_colour[b]);
	}
	if (xrfb_server_update(a->server, a->px, W * 4, 0, 0, W, H) < 0)
		fprintf(stderr, "draw: cannot update the framebuffer\n");
}

static void on_frame(void *arg)
{
	struct app *a = arg;

	if (!a->paused) {
		a->frame++;
		draw(a);
	}
	a->timer = xrfb_loop_add_timer(a->loop, FRAME_MS, on_frame, a);
}

static void on_ready(void *arg, struct xrfb_client *c)
{
	printf("client %u connected from %s\n", xrfb_client_id(c),
	       xrfb_client_peer(c));
}

static void on_gone(void *arg, struct xrfb_client *c)
{
	printf("client %u gone\n", xrfb_client_id(c));
}

static void on_key(void *arg, struct xrfb_client *c, bool down,
		   uint32_t keysym)
{
	struct app *a = arg;

	printf("client %u: key %s 0x%04x\n", xrfb_client_id(c),
	       down ? "down" : "up", (unsigned)keysym);
	if (!down)
		return;
	a->keysym = keysym;
	if (keysym == KEY_SPACE) {
		a->paused = !a->paused;
		if (a->paused)
			printf("paused at frame %u\n", a->frame);
		else
			printf("resumed\n");
	}
	draw(a);
}

static void on_pointer(void *arg, struct xrfb_client *c, uint16_t x,
		       uint16_t y, uint32_t buttons)
{
	struct app *a = arg;

	printf("client %u: pointer %u,%u buttons 0x%x\n", xrfb_client_id(c),
	       x, y, (unsigned)buttons);
	a->x = x;
	a->y = y;
	a->buttons = buttons;
	draw(a);
}

/* The text a viewer copied comes back in upper case. */
static void on_cut_text(void *arg, struct xrfb_client *c, const char *text,
			size_t len)
{
	struct app *a = arg;
	char *up = malloc(len + 1);

	printf("client %u: clipboard \"%s\"\n", xrfb_client_id(c), text);
	if (!up)
		return;
	for (size_t i = 0; i < len; i++)
		up[i] = (char)toupper((unsigned char)text[i]);
	up[len] = '\0';
	if (xrfb_server_send_cut_text(a->server, up, len) < 0)
		fprintf(stderr, "draw: cannot set the clipboard\n");
	free(up);
}

static void on_signal(void *arg, int signo)
{
	struct app *a = arg;

	xrfb_loop_stop(a->loop, 0);
}

int main(int argc, char **argv)
{
	static struct app a = { .x = -1, .y = -1 };
	unsigned port = argc > 1 ? (unsigned)atoi(argv[1]) : 5900;
	int err, status = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	a.loop = xrfb_loop_new();
	if (!a.loop)
		return 1;
	xrfb_loop_on_signal(a.loop, SIGINT, on_signal, &a);
	xrfb_loop_on_signal(a.loop, SIGTERM, on_signal, &a);
	a.server = xrfb_server_new(a.loop, W, H);
	if (!a.server)
		goto out;
	xrfb_server_set_desktop_name(a.server, "draw");
	xrfb_server_on_client_ready(a.server, on_ready, &a);
	xrfb_server_on_client_gone(a.server, on_gone, &a);
	xrfb_server_on_key(a.server, on_key, &a);
	xrfb_server_on_pointer(a.server, on_pointer, &a);
	xrfb_server_on_cut_text(a.server, on_cut_text, &a);
	err = xrfb_server_listen(a.server, "127.0.0.1", (uint16_t)port);
	if (err < 0) {
		fprintf(stderr, "draw: cannot listen: %s\n", strerror(-err));
		goto out;
	}
	printf("draw: listening on 127.0.0.1:%u\n", xrfb_server_port(a.server));
	draw(&a);
	a.timer = xrfb_loop_add_timer(a.loop, FRAME_MS, on_frame, &a);
	status = xrfb_loop_run(a.loop) < 0;
	xrfb_timer_cancel(a.timer);
out:
	xrfb_server_free(a.server);
	xrfb_loop_free(a.loop);
	return status;
}
