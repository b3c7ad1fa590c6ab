/* SPDX-License-Identifier: MIT */
/*
 * libvncclient as the decoder of encoder round trips. The test process
 * plays a minimal RFB 3.8 server (security None) on one end of a
 * socketpair; libvncclient runs on a thread on the other end, exactly as
 * in a viewer: handshake, SetPixelFormat, SetEncodings, then it decodes
 * each FramebufferUpdate into its framebuffer and answers with an
 * incremental FramebufferUpdateRequest, which tells us the update has
 * been applied. Level changes are asked for with a Bell, whose callback
 * (on the client thread) sends a new SetEncodings.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rfb/rfbclient.h>
#ifdef HAVE_JPEG
#include <turbojpeg.h>
#endif

#include "enc-decoder.h"

#define IO_TIMEOUT_MS 30000
#define LOG_SIZE 4096

struct enc_decoder {
	int fd;				/* the server's end */
	rfbClient *cl;
	pthread_t thread;
	bool thread_started;
	int fb_w, fb_h;
	int quality, compress;		/* from the last SetEncodings */
	int want_quality, want_compress;	/* for the Bell callback */
};

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char log_buf[LOG_SIZE];
static size_t log_len;
static const int tag;

/* Keep the tail of libvncclient's log; TRLE logs every rectangle. */
__attribute__((format(printf, 1, 2)))
static void capture_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	size_t n;

	if (!strncmp(fmt, "Update %d %d %d %d", 18))
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	pthread_mutex_lock(&log_lock);
	if (log_len + n >= LOG_SIZE) {
		size_t keep = LOG_SIZE / 2;

		if (log_len > keep) {
			memmove(log_buf, log_buf + log_len - keep, keep);
			log_len = keep;
		}
		if (n >= LOG_SIZE - log_len)
			n = LOG_SIZE - log_len - 1;
	}
	memcpy(log_buf + log_len, line, n);
	log_len += n;
	log_buf[log_len] = 0;
	pthread_mutex_unlock(&log_lock);
}

static int io_wait(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, IO_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	return r > 0 ? 0 : -1;
}

static int read_full(int fd, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n) {
		ssize_t r;

		if (io_wait(fd, POLLIN) < 0)
			return -1;
		r = read(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t r;

		if (io_wait(fd, POLLOUT) < 0)
			return -1;
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Read client messages until one of type @want has been read. */
static int read_until(struct enc_decoder *d, int want)
{
	for (;;) {
		uint8_t t, b[20];

		if (read_full(d->fd, &t, 1) < 0)
			return -1;
		switch (t) {
		case 0:		/* SetPixelFormat */
			if (read_full(d->fd, b, 19) < 0)
				return -1;
			break;
		case 2: {	/* SetEncodings */
			int n;

			if (read_full(d->fd, b, 3) < 0)
				return -1;
			n = b[1] << 8 | b[2];
			d->quality = d->compress = -1;
			for (int i = 0; i < n; i++) {
				int32_t e;

				if (read_full(d->fd, b, 4) < 0)
					return -1;
				e = (int32_t)be32(b);
				if (e >= -32 && e <= -23)
					d->quality = e + 32;
				if (e >= -256 && e <= -247)
					d->compress = e + 256;
			}
			break;
		}
		case 3:		/* FramebufferUpdateRequest */
			if (read_full(d->fd, b, 9) < 0)
				return -1;
			break;
		case 4:
			if (read_full(d->fd, b, 7) < 0)
				return -1;
			break;
		case 5:
			if (read_full(d->fd, b, 5) < 0)
				return -1;
			break;
		default:
			return -1;
		}
		if (t == want)
			return 0;
	}
}

static void on_bell(rfbClient *cl)
{
	struct enc_decoder *d = rfbClientGetClientData(cl, (void *)&tag);

	cl->appData.qualityLevel = d->want_quality;
	cl->appData.compressLevel = d->want_compress;
	SetFormatAndEncodings(cl);
}

static void *client_main(void *arg)
{
	struct enc_decoder *d = arg;
	rfbClient *cl = d->cl;

	if (!InitialiseRFBConnection(cl))
		goto out;
	cl->width = cl->si.framebufferWidth;
	cl->height = cl->si.framebufferHeight;
	if (!cl->MallocFrameBuffer(cl) || !SetFormatAndEncodings(cl) ||
	    !SendFramebufferUpdateRequest(cl, 0, 0, cl->width, cl->height,
					  FALSE))
		goto out;
	while (HandleRFBServerMessage(cl))
		;
out:
	/* Wake the server side up if it is waiting for us. */
	shutdown(cl->sock, SHUT_RDWR);
	return NULL;
}

static int serve_handshake(struct enc_decoder *d)
{
	static const char name[] = "xrfb-enc-test";
	uint8_t b[64];

	if (write_full(d->fd, "RFB 003.008\n", 12) < 0 ||
	    read_full(d->fd, b, 12) < 0 || memcmp(b, "RFB 003.008\n", 12))
		return -1;
	b[0] = 1;
	b[1] = 1;		/* one security type: None */
	if (write_full(d->fd, b, 2) < 0 || read_full(d->fd, b, 1) < 0 ||
	    b[0] != 1)
		return -1;
	memset(b, 0, 4);	/* SecurityResult OK */
	if (write_full(d->fd, b, 4) < 0 || read_full(d->fd, b, 1) < 0)
		return -1;
	/* ServerInit: size, our natural format (32/24 LE r16 g8 b0). */
	memset(b, 0, sizeof(b));
	b[0] = (uint8_t)(d->fb_w >> 8);
	b[1] = (uint8_t)d->fb_w;
	b[2] = (uint8_t)(d->fb_h >> 8);
	b[3] = (uint8_t)d->fb_h;
	b[4] = 32;
	b[5] = 24;
	b[6] = 0;
	b[7] = 1;
	b[9] = b[11] = b[13] = 255;
	b[14] = 16;
	b[15] = 8;
	b[16] = 0;
	b[23] = sizeof(name) - 1;
	memcpy(b + 24, name, sizeof(name) - 1);
	return write_full(d->fd, b, 24 + sizeof(name) - 1);
}

static void lvc_close(struct enc_decoder *d);

static struct enc_decoder *lvc_open(const struct pixfmt *pf, int fb_w,
				    int fb_h, const char *encodings,
				    int quality, int compress)
{
	struct enc_decoder *d = calloc(1, sizeof(*d));
	int sv[2];

	if (!d)
		return NULL;
	d->fd = -1;
	d->fb_w = fb_w;
	d->fb_h = fb_h;
	rfbClientLog = rfbClientErr = capture_log;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		goto err;
	d->fd = sv[0];
	d->cl = rfbGetClient(8, 3, 4);
	if (!d->cl) {
		close(sv[1]);
		goto err;
	}
	d->cl->sock = sv[1];
	d->cl->serverPort = 5900;	/* anything but -1 (vncrec) */
	d->cl->format.bitsPerPixel = pf->bpp;
	d->cl->format.depth = pf->depth;
	d->cl->format.bigEndian = pf->big_endian;
	d->cl->format.trueColour = pf->true_colour;
	d->cl->format.redMax = pf->red_max;
	d->cl->format.greenMax = pf->green_max;
	d->cl->format.blueMax = pf->blue_max;
	d->cl->format.redShift = pf->red_shift;
	d->cl->format.greenShift = pf->green_shift;
	d->cl->format.blueShift = pf->blue_shift;
	d->cl->appData.encodingsString = encodings;
	d->cl->appData.qualityLevel = quality;
	d->cl->appData.compressLevel = compress;
	/* Only Tight looks at it: with it, libvncclient sends the
	 * QualityLevel that turns Tight's JPEG on. */
	d->cl->appData.enableJPEG = quality >= 0;
	d->cl->appData.useRemoteCursor = FALSE;
	d->cl->Bell = on_bell;
	rfbClientSetClientData(d->cl, (void *)&tag, d);
	if (pthread_create(&d->thread, NULL, client_main, d))
		goto err;
	d->thread_started = true;
	/* The first FramebufferUpdateRequest ends the client's setup. */
	if (serve_handshake(d) < 0 || read_until(d, 3) < 0)
		goto err;
	return d;
err:
	lvc_close(d);
	return NULL;
}

static int lvc_update(struct enc_decoder *d, const uint8_t *data, size_t len,
		      int nrects)
{
	uint8_t hdr[4] = { 0, 0, (uint8_t)(nrects >> 8), (uint8_t)nrects };

	if (write_full(d->fd, hdr, 4) < 0 || write_full(d->fd, data, len) < 0)
		return -1;
	/* libvncclient asks for the next update once it applied this one. */
	return read_until(d, 3);
}

static int lvc_set_levels(struct enc_decoder *d, int quality, int compress)
{
	uint8_t bell = 2;

	d->want_quality = quality;
	d->want_compress = compress;
	if (write_full(d->fd, &bell, 1) < 0)
		return -1;
	return read_until(d, 2);
}

static void lvc_levels(struct enc_decoder *d, int *quality, int *compress)
{
	*quality = d->quality;
	*compress = d->compress;
}

static const uint8_t *lvc_fb(struct enc_decoder *d)
{
	return d->cl->frameBuffer;
}

static const char *lvc_log(struct enc_decoder *d)
{
	return log_buf;
}

static void lvc_close(struct enc_decoder *d)
{
	if (!d)
		return;
	if (d->fd >= 0) {
		shutdown(d->fd, SHUT_RDWR);
		close(d->fd);
	}
	if (d->thread_started)
		pthread_join(d->thread, NULL);
	if (d->cl) {
		free(d->cl->frameBuffer);	/* not freed by cleanup */
		d->cl->frameBuffer = NULL;
#ifdef HAVE_JPEG
		/* Nor is the JPEG decompressor Tight's JPEG made. */
		if (d->cl->tjhnd)
			tjDestroy(d->cl->tjhnd);
		d->cl->tjhnd = NULL;
#endif
		rfbClientCleanup(d->cl);
	}
	free(d);
}

const struct enc_decoder_ops enc_decoder_libvncclient = {
	.name = "libvncclient",
	.open = lvc_open,
	.update = lvc_update,
	.set_levels = lvc_set_levels,
	.levels = lvc_levels,
	.fb = lvc_fb,
	.log = lvc_log,
	.close = lvc_close,
};
