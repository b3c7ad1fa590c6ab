/* SPDX-License-Identifier: MIT */
/*
 * play: `xrfb play [--speed X] [--loop] [--port N] [--listen ADDR] FILE`
 * serves a recording (fbs.c) to VNC viewers through libxrfb, at the pace
 * it was recorded (times --speed), from its start when the first viewer
 * arrives; at the end the last frame stays (or, with --loop, it starts
 * over). Browsers connect to the same port (WebSocket, and the web
 * client from Debian's noVNC when it is installed). `xrfb export FILE --png-at SECONDS OUT.png` writes the frame
 * shown at that time of the recording as a PNG, `--webm OUT.webm` the
 * recording as video (webm.c), a frame every 1000/--fps ms.
 *
 * Exit status: 0, 1 for an unreadable recording or a failure to listen,
 * 2 for a bad command line, 128+N when stopped by signal N.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "fbs.h"
#include "log.h"
#include "options.h"
#include "play.h"
#include "screenshot.h"
#include "webm.h"
#include "xrfb.h"

#define PLAY_MAX_LISTEN 16

struct play {
	struct xrfb_loop *loop;
	struct xrfb_server *server;
	struct fbs_reader reader;
	struct fbs_decoder dec;
	const char *path;
	double speed;
	bool loop_forever;
	bool started, ended;
	uint64_t t0;		/* when the recording's time 0 was shown */
	struct buf block;
	uint32_t block_ms;
	bool have_block;
	struct xrfb_timer *timer;
	bool web;		/* the web client is served */
};

static int usage_error(const char *cmd, const char *what)
{
	fprintf(stderr, "xrfb %s: %s (see xrfb %s --help)\n", cmd, what, cmd);
	return 2;
}

/* Show what the decoder changed. */
static void push(struct play *p)
{
	struct fbs_decoder *d = &p->dec;

	if (d->resized) {
		xrfb_server_resize(p->server, d->width, d->height);
		d->resized = false;
	}
	if (d->dx0 < d->dx1) {
		xrfb_server_update(p->server,
				   d->fb + (size_t)d->dy0 * d->width + d->dx0,
				   (size_t)d->width * 4, d->dx0, d->dy0,
				   d->dx1 - d->dx0, d->dy1 - d->dy0);
		d->dx0 = d->dx1 = 0;
	}
}

/* Read the next block; false at the end (or on an error, logged). */
static bool next_block(struct play *p)
{
	int r = fbs_reader_next(&p->reader, &p->block, &p->block_ms);

	if (r < 0)
		log_error("%s: %s", p->path, strerror(-r));
	p->have_block = r > 0;
	return p->have_block;
}

static bool feed(struct play *p)
{
	if (fbs_decoder_feed(&p->dec, p->block.data, p->block.len) < 0) {
		log_error("%s: %s", p->path, p->dec.error);
		return false;
	}
	return true;
}

static void schedule(struct play *p);

static void on_timer(void *arg)
{
	struct play *p = arg;

	p->timer = NULL;
	if (p->have_block) {
		if (!feed(p)) {
			xrfb_loop_stop(p->loop, 1);
			return;
		}
		push(p);
		next_block(p);
	}
	schedule(p);
}

/* Start over from the first block (--loop). */
static void restart(struct play *p)
{
	fbs_decoder_fini(&p->dec);
	fbs_decoder_init(&p->dec);
	if (fbs_reader_rewind(&p->reader) < 0 || !next_block(p)) {
		p->ended = true;
		return;
	}
	p->t0 = xrfb_now_ms();
}

static void schedule(struct play *p)
{
	uint64_t due, now = xrfb_now_ms();

	if (!p->have_block) {
		if (!p->ended)
			log_info("%s: the end of the recording", p->path);
		if (!p->loop_forever) {
			p->ended = true;
			return;
		}
		restart(p);
		if (p->ended)
			return;
	}
	due = p->t0 + (uint64_t)(p->block_ms / p->speed + 0.5);
	p->timer = xrfb_loop_add_timer(p->loop, due > now ? due - now : 0,
				       on_timer, p);
}

static void on_client_ready(void *arg, struct xrfb_client *c)
{
	struct play *p = arg;

	if (p->started)
		return;
	p->started = true;
	p->t0 = xrfb_now_ms();
	schedule(p);
}

static void on_stop_signal(void *arg, int signo)
{
	struct play *p = arg;

	log_info("signal %d received, stopping", signo);
	xrfb_loop_stop(p->loop, 128 + signo);
}

/* Decode up to the ServerInit, for the size to start with. */
static int open_recording(struct play *p)
{
	int r = fbs_reader_open(&p->reader, p->path);

	if (r < 0) {
		fprintf(stderr, "xrfb: %s: %s\n", p->path,
			r == -EPROTO ? "not an FBS 001.001 recording"
				     : strerror(-r));
		return r;
	}
	fbs_decoder_init(&p->dec);
	while (!p->dec.fb) {
		if (!next_block(p) || !feed(p)) {
			fprintf(stderr, "xrfb: %s: no screen in the "
				"recording\n", p->path);
			return -EPROTO;
		}
	}
	next_block(p);
	return 0;
}

static int listen_all(struct play *p, const char **addrs, unsigned n,
		      uint16_t port)
{
	static const char *const loopback[] = { "127.0.0.1", "::1" };
	unsigned i, bound = 0;
	int r;

	if (!n) {
		addrs = (const char **)loopback;
		n = 2;
	}
	for (i = 0; i < n; i++) {
		r = xrfb_server_listen(p->server, addrs[i], port);
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot listen on %s port %u: "
				"%s\n", addrs[i], (unsigned)port, strerror(-r));
			continue;
		}
		port = xrfb_server_port(p->server);
		printf(strchr(addrs[i], ':') ? "xrfb: serving %s on [%s]:%u\n"
					     : "xrfb: serving %s on %s:%u\n",
		       p->path, addrs[i], (unsigned)port);
		if (p->web)
			printf(strchr(addrs[i], ':')
				       ? "xrfb: web client at "
					 "http://[%s]:%u/vnc.html\n"
				       : "xrfb: web client at "
					 "http://%s:%u/vnc.html\n",
			       addrs[i], (unsigned)port);
		bound++;
	}
	fflush(stdout);
	return bound ? 0 : -EADDRNOTAVAIL;
}

int play_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "speed", required_argument, NULL, 's' },
		{ "loop", no_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "listen", required_argument, NULL, 'L' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addrs[PLAY_MAX_LISTEN];
	unsigned n_addrs = 0;
	struct play p;
	long port = 5900;
	char *end;
	int c, level, status = 1;
	enum xrfb_log_level log_level = XRFB_LOG_INFO;

	memset(&p, 0, sizeof(p));
	p.speed = 1;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			p.speed = strtod(optarg, &end);
			if (*end || !(p.speed >= 0.01 && p.speed <= 1000))
				return usage_error("play", "--speed: 0.01 to "
							   "1000");
			break;
		case 'l':
			p.loop_forever = true;
			break;
		case 'p':
			port = strtol(optarg, &end, 10);
			if (*end || !*optarg || port < 0 || port > 65535)
				return usage_error("play", "--port: 0-65535");
			break;
		case 'L':
			if (n_addrs == PLAY_MAX_LISTEN)
				return usage_error("play", "too many --listen");
			addrs[n_addrs++] = optarg;
			break;
		case 'v':
			level = xrfb_log_parse_level(optarg);
			if (level < 0)
				return usage_error("play", "bad --log-level");
			log_level = (enum xrfb_log_level)level;
			break;
		case 'h':
			printf("Usage: xrfb play [--speed X] [--loop] [--port N] "
			       "[--listen ADDR]... FILE.fbs\n"
			       "Serve a recording to VNC viewers at its pace "
			       "(times X), from the start\n"
			       "when the first viewer connects; --loop starts "
			       "over at the end.\n"
			       "Listens on 127.0.0.1 and ::1, port 5900 by "
			       "default (0: any free port),\n"
			       "for browsers too (WebSocket, and noVNC from "
			       OPTIONS_DEFAULT_WEB " when installed).\n");
			return 0;
		default:
			return usage_error("play", "unknown option");
		}
	}
	if (optind != argc - 1)
		return usage_error("play", "one recording, please");
	p.path = argv[optind];
	log_set_default_level(log_level);
	if (open_recording(&p) < 0)
		goto out;
	p.loop = xrfb_loop_new();
	if (!p.loop ||
	    xrfb_loop_set_log(p.loop, log_level, NULL, NULL) < 0 ||
	    xrfb_loop_on_signal(p.loop, SIGINT, on_stop_signal, &p) < 0 ||
	    xrfb_loop_on_signal(p.loop, SIGTERM, on_stop_signal, &p) < 0 ||
	    xrfb_loop_on_signal(p.loop, SIGHUP, on_stop_signal, &p) < 0)
		goto out;
	p.server = xrfb_server_new(p.loop, p.dec.width, p.dec.height);
	if (!p.server)
		goto out;
	xrfb_server_on_client_ready(p.server, on_client_ready, &p);
	xrfb_server_set_view_only(p.server, true);
	xrfb_server_set_desktop_name(p.server, p.path);
	/* Browsers too, on the same port, as the server does by default. */
	xrfb_server_set_websocket_detect(p.server,
					 OPTIONS_DEFAULT_WEBSOCKET_DETECT);
	if (access(OPTIONS_DEFAULT_WEB "/vnc.html", R_OK) == 0 &&
	    xrfb_server_set_web_root(p.server, OPTIONS_DEFAULT_WEB) == 0)
		p.web = true;
	push(&p);
	if (listen_all(&p, addrs, n_addrs, (uint16_t)port) < 0)
		goto out;
	status = xrfb_loop_run(p.loop);
out:
	if (p.timer)
		xrfb_timer_cancel(p.timer);
	if (p.server)
		xrfb_server_free(p.server);
	if (p.loop)
		xrfb_loop_free(p.loop);
	fbs_decoder_fini(&p.dec);
	fbs_reader_close(&p.reader);
	buf_fini(&p.block);
	return status;
}

/* Every 1000/@fps ms of the recording, the frame shown then, and the
 * last frame at the time of the last block (the end), into a WebM file
 * of the recording's first size. */
static int export_webm(struct fbs_reader *reader, struct fbs_decoder *dec,
		       const char *path, const char *out, unsigned fps)
{
	struct buf block = BUF_INIT;
	struct webm *m = NULL;
	uint64_t step = 1000 / fps, t = 0;
	uint32_t ms = 0, last_ms = 0, *frame = NULL;
	unsigned w = 0, h = 0, frames = 0, y;
	bool more;
	int r = 0, err;

	more = fbs_reader_next(reader, &block, &ms) > 0;
	for (;;) {
		/* Everything shown by time t... */
		while (more && ms <= t) {
			if (fbs_decoder_feed(dec, block.data, block.len) < 0) {
				fprintf(stderr, "xrfb: %s: %s\n", path,
					dec->error);
				r = -EPROTO;
				goto out;
			}
			last_ms = ms;
			more = fbs_reader_next(reader, &block, &ms) > 0;
		}
		/* The last frame at the recording's end, which is the end. */
		if (!more && dec->fb)
			t = last_ms;
		if (!dec->fb) {
			if (!more) {
				fprintf(stderr, "xrfb: %s: no screen in the "
					"recording\n", path);
				r = -EPROTO;
				goto out;
			}
			t += step;
			continue;
		}
		if (!m) {
			w = dec->width;
			h = dec->height;
			frame = xcalloc((size_t)w * h, 4);
			m = webm_open(out, w, h, &err);
			if (!m) {
				fprintf(stderr, "xrfb: cannot write %s: %s\n",
					out, err == -ENOTSUP
						? "built without libvpx"
						: strerror(-err));
				r = err;
				goto out;
			}
		}
		/* ...in the first size: later sizes are cropped or padded. */
		memset(frame, 0, (size_t)w * h * 4);
		for (y = 0; y < h && y < dec->height; y++)
			memcpy(frame + (size_t)y * w,
			       dec->fb + (size_t)y * dec->width,
			       (size_t)(w < dec->width ? w : dec->width) * 4);
		r = webm_frame(m, frame, (size_t)w * 4, t, more ? step : 1);
		if (r < 0) {
			fprintf(stderr, "xrfb: cannot encode %s: %s\n", out,
				strerror(-r));
			goto out;
		}
		frames++;
		if (!more)
			break;
		t += step;
	}
out:
	if (m) {
		err = webm_close(m, t);
		if (!r && err < 0) {
			fprintf(stderr, "xrfb: cannot write %s: %s\n", out,
				strerror(-err));
			r = err;
		}
	}
	if (!r)
		printf("xrfb: %s: %u frames, %llu ms\n", out, frames,
		       (unsigned long long)t);
	free(frame);
	buf_fini(&block);
	return r;
}

int export_main(int argc, char **argv)
{
	struct fbs_reader reader = { 0 };
	struct fbs_decoder dec;
	struct buf block = BUF_INIT;
	const char *path = NULL, *out = NULL, *webm = NULL;
	double at = -1;
	long fps = 10;
	uint32_t ms;
	char *end;
	int i, r, status = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--png-at") && i + 2 < argc) {
			at = strtod(argv[++i], &end);
			if (*end || !(at >= 0))
				return usage_error("export", "--png-at SECONDS");
			out = argv[++i];
		} else if (!strcmp(argv[i], "--webm") && i + 1 < argc) {
			webm = argv[++i];
		} else if (!strcmp(argv[i], "--fps") && i + 1 < argc) {
			fps = strtol(argv[++i], &end, 10);
			if (*end || fps < 1 || fps > 60)
				return usage_error("export", "--fps: 1 to 60");
		} else if (!strcmp(argv[i], "--help")) {
			printf("Usage: xrfb export FILE.fbs --png-at SECONDS "
			       "OUT.png\n"
			       "       xrfb export FILE.fbs --webm OUT.webm "
			       "[--fps N]\n"
			       "Write the frame shown SECONDS into the "
			       "recording as a PNG, or the\n"
			       "recording as VP8 video in WebM (N frames a "
			       "second, default 10).\n");
			return 0;
		} else if (argv[i][0] == '-' || path) {
			return usage_error("export", "bad argument");
		} else {
			path = argv[i];
		}
	}
	if (!path || !out == !webm)
		return usage_error("export", "FILE.fbs --png-at SECONDS OUT.png "
					     "| --webm OUT.webm");
	r = fbs_reader_open(&reader, path);
	if (r < 0) {
		fprintf(stderr, "xrfb: %s: %s\n", path,
			r == -EPROTO ? "not an FBS 001.001 recording"
				     : strerror(-r));
		return 1;
	}
	fbs_decoder_init(&dec);
	if (webm) {
		status = export_webm(&reader, &dec, path, webm,
				     (unsigned)fps) < 0;
		goto out;
	}
	while ((r = fbs_reader_next(&reader, &block, &ms)) > 0 &&
	       ms <= at * 1000) {
		if (fbs_decoder_feed(&dec, block.data, block.len) < 0) {
			fprintf(stderr, "xrfb: %s: %s\n", path, dec.error);
			goto out;
		}
	}
	if (r < 0) {
		fprintf(stderr, "xrfb: %s: %s\n", path, strerror(-r));
		goto out;
	}
	if (!dec.fb) {
		fprintf(stderr, "xrfb: %s: no screen in the recording\n",
			path);
		goto out;
	}
	r = screenshot_write_png(out, dec.fb, (size_t)dec.width * 4,
				 dec.width, dec.height);
	if (r < 0) {
		fprintf(stderr, "xrfb: cannot write %s: %s\n", out,
			strerror(-r));
		goto out;
	}
	status = 0;
out:
	fbs_decoder_fini(&dec);
	fbs_reader_close(&reader);
	buf_fini(&block);
	return status;
}
