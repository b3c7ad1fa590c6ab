/* SPDX-License-Identifier: MIT */
/*
 * png-server: serve a PNG file, headless, from the program's own poll()
 * loop. libxrfb's fd and timeout go into poll() next to a signalfd of
 * the program's own; xrfb_loop_dispatch() then handles whatever is ready
 * without waiting. SIGHUP reloads the file (a new size resizes the
 * desktop); SIGINT and SIGTERM end the program.
 *
 *   png-server FILE.png [PORT]     (default 5900; 0: any free port)
 *
 * It uses only <xrfb.h> and libpng's simplified API.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <png.h>
#include <xrfb.h>

/* Read @path into XRGB8888 pixels (*w x *h); NULL on failure. */
static uint32_t *load_png(const char *path, int *w, int *h)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *rgb = NULL;
	uint32_t *px = NULL;

	if (!png_image_begin_read_from_file(&img, path))
		goto err;
	img.format = PNG_FORMAT_RGB;
	if (img.width > 0xffff || img.height > 0xffff)
		goto err;
	rgb = malloc(PNG_IMAGE_SIZE(img));
	px = malloc((size_t)img.width * img.height * 4);
	if (!rgb || !px || !png_image_finish_read(&img, NULL, rgb, 0, NULL))
		goto err;
	for (size_t i = 0; i < (size_t)img.width * img.height; i++)
		px[i] = (uint32_t)rgb[3 * i] << 16 |
			(uint32_t)rgb[3 * i + 1] << 8 | rgb[3 * i + 2];
	free(rgb);
	*w = (int)img.width;
	*h = (int)img.height;
	return px;
err:
	fprintf(stderr, "png-server: cannot read %s: %s\n", path,
		img.message[0] ? img.message : "too large");
	png_image_free(&img);
	free(rgb);
	free(px);
	return NULL;
}

/* Show the file: resize the desktop if need be, then push all pixels. */
static int show(struct xrfb_server *s, const char *path)
{
	int w, h, err;
	uint32_t *px = load_png(path, &w, &h);

	if (!px)
		return -EINVAL;
	err = xrfb_server_resize(s, (uint16_t)w, (uint16_t)h);
	if (err == 0)
		err = xrfb_server_update(s, px, (size_t)w * 4, 0, 0, w, h);
	free(px);
	if (err == 0)
		printf("png-server: showing %s, %dx%d\n", path, w, h);
	return err;
}

static void on_ready(void *arg, struct xrfb_client *c)
{
	printf("client %u connected from %s\n", xrfb_client_id(c),
	       xrfb_client_peer(c));
}

int main(int argc, char **argv)
{
	struct xrfb_loop *loop = NULL;
	struct xrfb_server *s = NULL;
	sigset_t mask;
	int sfd, err, status = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: png-server FILE.png [PORT]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	loop = xrfb_loop_new();
	if (sfd < 0 || !loop)
		goto out;
	s = xrfb_server_new(loop, 1, 1);
	if (!s || show(s, argv[1]) < 0)
		goto out;
	xrfb_server_set_view_only(s, true);
	xrfb_server_on_client_ready(s, on_ready, NULL);
	err = xrfb_server_listen(s, "127.0.0.1",
				 (uint16_t)(argc > 2 ? atoi(argv[2]) : 5900));
	if (err < 0) {
		fprintf(stderr, "png-server: cannot listen: %s\n",
			strerror(-err));
		goto out;
	}
	printf("png-server: listening on 127.0.0.1:%u\n", xrfb_server_port(s));
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = xrfb_loop_fd(loop), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		/* Ask for the timeout right before sleeping: calls into
		 * the library (show()) may have set a timer. */
		if (poll(fds, 2, xrfb_loop_timeout(loop)) < 0 && errno != EINTR)
			break;
		if (fds[1].revents & POLLIN &&
		    read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo != SIGHUP) {
				status = 0;
				break;
			}
			show(s, argv[1]);	/* on failure the old one stays */
		}
		if (xrfb_loop_dispatch(loop, 0) < 0)
			break;
	}
out:
	xrfb_server_free(s);
	xrfb_loop_free(loop);
	if (sfd >= 0)
		close(sfd);
	return status;
}
