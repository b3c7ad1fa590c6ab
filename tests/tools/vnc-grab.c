/* SPDX-License-Identifier: MIT */
/*
 * vnc-grab: the RFB client of the integration tests, built on libvncclient
 * (the decoder real viewers use). It connects with a chosen protocol
 * version, pixel format, encodings and password, decodes updates, compares
 * the decoded framebuffer with a reference image (an `xwd -root` dump) in
 * the client's own pixel format, sends keys and pointer events, and counts
 * what it receives. It can also play a client that stops reading.
 *
 * Two ways to drive it: one-shot options (connect, act, compare, exit), or
 * `--commands -`, where it reads one command per line from stdin and
 * answers each with one line starting with "ok" or "fail" while it keeps
 * processing server messages in between. It owns no test policy: scripts
 * decide what to expect.
 *
 * libvncclient 0.9.14 cannot be told to speak RFB 3.3 or 3.7 and ignores
 * the body of SetColourMapEntries (so a colour-map client desynchronises).
 * Both are handled here: the server's ProtocolVersion is read before
 * libvncclient starts and replaced in its input buffer, and colour-map
 * messages are taken out of the stream at message boundaries.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <linux/tcp.h>

#ifdef HAVE_X11
#include <X11/Xlib.h>
#endif
#include <rfb/rfbclient.h>

#include "image.h"
#include "tool-util.h"

#define GRAB_DEFAULT_TIMEOUT_MS 30000
#define GRAB_STALL_INTERVAL_MS 20
#define GRAB_MAX_COMMANDS 256

enum grab_exit {
	GRAB_OK = 0,
	GRAB_FAIL = 1,		/* mismatch, timeout, expectation not met */
	GRAB_USAGE = 2,
	GRAB_CONN = 3,		/* could not connect, or connection lost */
	GRAB_AUTH = 4,		/* the server refused our security/password */
};

struct grab_format {
	const char *name;
	const char *help;
	rfbPixelFormat pf;
};

/* bpp, depth, big endian, true colour, r/g/b max, r/g/b shift */
static const struct grab_format grab_formats[] = {
	{ "32", "32 bpp depth 24, little endian, 0x00RRGGBB",
	  { 32, 24, 0, 1, 255, 255, 255, 16, 8, 0, 0, 0 } },
	{ "32be", "32 bpp depth 24, big endian, 0x00RRGGBB",
	  { 32, 24, 1, 1, 255, 255, 255, 16, 8, 0, 0, 0 } },
	{ "32rgb", "32 bpp depth 24, little endian, 0x00BBGGRR (noVNC)",
	  { 32, 24, 0, 1, 255, 255, 255, 0, 8, 16, 0, 0 } },
	{ "32hi", "32 bpp depth 24, little endian, 0xRRGGBB00",
	  { 32, 24, 0, 1, 255, 255, 255, 24, 16, 8, 0, 0 } },
	{ "32hi-be", "32 bpp depth 24, big endian, 0xRRGGBB00",
	  { 32, 24, 1, 1, 255, 255, 255, 24, 16, 8, 0, 0 } },
	{ "16", "16 bpp 565, little endian",
	  { 16, 16, 0, 1, 31, 63, 31, 11, 5, 0, 0, 0 } },
	{ "16be", "16 bpp 565, big endian",
	  { 16, 16, 1, 1, 31, 63, 31, 11, 5, 0, 0, 0 } },
	{ "555", "16 bpp depth 15 555, little endian",
	  { 16, 15, 0, 1, 31, 31, 31, 10, 5, 0, 0, 0 } },
	{ "555be", "16 bpp depth 15 555, big endian",
	  { 16, 15, 1, 1, 31, 31, 31, 10, 5, 0, 0, 0 } },
	{ "8tc", "8 bpp true colour BGR233 (libvncclient's 8 bpp format)",
	  { 8, 8, 0, 1, 7, 7, 3, 0, 3, 6, 0, 0 } },
	{ "8rgb332", "8 bpp true colour RGB332 (TigerVNC medium colour)",
	  { 8, 8, 0, 1, 7, 7, 3, 5, 2, 0, 0, 0 } },
	{ "8rgb222", "8 bpp depth 6 true colour (TigerVNC low colour)",
	  { 8, 6, 0, 1, 3, 3, 3, 4, 2, 0, 0, 0 } },
	{ "8rgb111", "8 bpp depth 3 true colour (TigerVNC very low colour)",
	  { 8, 3, 0, 1, 1, 1, 1, 2, 1, 0, 0, 0 } },
	{ "8lo", "8 bpp depth 6, 0x00BBGGRR 2 bits each (noVNC low colour)",
	  { 8, 6, 0, 1, 3, 3, 3, 0, 2, 4, 0, 0 } },
	{ "cmap", "8 bpp colour map (the server picks the colours)",
	  { 8, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 } },
};

struct grab_opts {
	const char *host;
	int port;
	const char *password;
	const char *version;
	const char *encodings;
	const char *security;
	const char *x509_ca;	/* CA file for the X509 VeNCrypt subtypes */
	const char *user;	/* user name for the Plain subtypes */
	rfbPixelFormat pf;
	bool have_pf;
	bool shared;
	bool cursor;
	int quality;
	int compress;
	int timeout_ms;
	bool stall;
	int stall_ms;
	bool info;
	bool verbose;
	bool commands_stdin;
	const char *fail_out;
	int repeater_id;	/* > 0: HOST:PORT is a mode-II repeater */
};

struct grab {
	rfbClient *cl;
	struct grab_opts *o;
	bool closed;
	/* counters */
	unsigned long updates;
	unsigned long changed_updates;
	unsigned long rects;
	unsigned long copyrects;
	unsigned long long pixels;
	unsigned long cmap_msgs;
	unsigned long bells;
	unsigned long cut_texts;
	uint64_t fb_hash;
	/* colour map as sent by the server (16 bits per channel) */
	uint16_t cmap[256][3];
	bool cmap_set[256];
	char *last_cut_text;
	/* what libvncclient last logged, for error reports */
	char last_log[512];
	bool auth_failed;
};

static struct grab *the_grab;

/* ---- small helpers -------------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static void on_log(const char *fmt, ...)
{
	struct grab *g = the_grab;
	char line[512];
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	n = strlen(line);
	while (n && line[n - 1] == '\n')
		line[--n] = '\0';
	if (g) {
		snprintf(g->last_log, sizeof(g->last_log), "%s", line);
		if (strstr(line, "authentication failed") ||
		    strstr(line, "VNC connection failed") ||
		    strstr(line, "authentication scheme"))
			g->auth_failed = true;
		if (!g->o->verbose)
			return;
	}
	fprintf(stderr, "vnc-grab: libvncclient: %s\n", line);
}

static unsigned bits_of(unsigned max)
{
	unsigned n = 0;

	while (max & 1) {
		n++;
		max >>= 1;
	}
	return n;
}

static size_t fb_size(const rfbClient *cl)
{
	return (size_t)cl->width * cl->height * cl->format.bitsPerPixel / 8;
}

/* ---- libvncclient callbacks ----------------------------------------- */

static char *on_get_password(rfbClient *cl)
{
	struct grab *g = the_grab;

	return strdup(g->o->password ? g->o->password : "");
}

/* VeNCrypt: a CA for the X509 subtypes, a user for the Plain ones. */
static rfbCredential *on_get_credential(rfbClient *cl, int type)
{
	struct grab *g = the_grab;
	rfbCredential *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (type == rfbCredentialTypeX509) {
		if (!g->o->x509_ca) {
			free(c);
			return NULL;
		}
		c->x509Credential.x509CACertFile = strdup(g->o->x509_ca);
	} else if (type == rfbCredentialTypeUser) {
		c->userCredential.username =
			strdup(g->o->user ? g->o->user : "");
		c->userCredential.password =
			strdup(g->o->password ? g->o->password : "");
	} else {
		free(c);
		return NULL;
	}
	return c;
}

static void on_rect(rfbClient *cl, int x, int y, int w, int h)
{
	struct grab *g = the_grab;

	g->rects++;
	g->pixels += (unsigned long long)w * h;
}

/* Our own CopyRect so it can be counted; overlap-safe via a row buffer. */
static void on_copyrect(rfbClient *cl, int sx, int sy, int w, int h, int dx,
			int dy)
{
	struct grab *g = the_grab;
	size_t bpp = cl->format.bitsPerPixel / 8;
	size_t stride = (size_t)cl->width * bpp, rowlen = (size_t)w * bpp;
	uint8_t *tmp;
	int row;

	g->copyrects++;
	if (w <= 0 || h <= 0 || sx < 0 || sy < 0 || sx + w > cl->width ||
	    sy + h > cl->height)
		return;
	tmp = malloc(rowlen * h);
	if (!tmp)
		return;
	for (row = 0; row < h; row++)
		memcpy(tmp + row * rowlen,
		       cl->frameBuffer + (size_t)(sy + row) * stride + sx * bpp,
		       rowlen);
	for (row = 0; row < h; row++)
		memcpy(cl->frameBuffer + (size_t)(dy + row) * stride + dx * bpp,
		       tmp + row * rowlen, rowlen);
	free(tmp);
}

static void on_finished(rfbClient *cl)
{
	struct grab *g = the_grab;
	uint64_t h = tool_fnv1a(TOOL_FNV1A_INIT, cl->frameBuffer,
				fb_size(cl));

	g->updates++;
	if (h != g->fb_hash)
		g->changed_updates++;
	g->fb_hash = h;
}

static void on_bell(rfbClient *cl)
{
	the_grab->bells++;
}

static void on_cut_text(rfbClient *cl, const char *text, int len)
{
	struct grab *g = the_grab;

	g->cut_texts++;
	free(g->last_cut_text);
	g->last_cut_text = strndup(text, (size_t)len);
}

/* ---- connecting ------------------------------------------------------ */

static int parse_hostport(const char *arg, struct grab_opts *o)
{
	const char *colon;
	char *end, *host;
	long port;

	if (arg[0] == '[') {
		const char *rb = strchr(arg, ']');

		if (!rb || rb[1] != ':')
			return -1;
		host = strndup(arg + 1, (size_t)(rb - arg - 1));
		colon = rb + 1;
	} else {
		colon = strrchr(arg, ':');
		if (!colon)
			return -1;
		host = strndup(arg, (size_t)(colon - arg));
	}
	port = strtol(colon + 1, &end, 10);
	if (*end || port <= 0 || port > 65535) {
		free(host);
		return -1;
	}
	o->host = host[0] ? host : "127.0.0.1";
	o->port = (int)port;
	return 0;
}

static int connect_tcp(const struct grab_opts *o)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	char portstr[16];
	int fd = -1, one = 1, err;

	hints.ai_socktype = SOCK_STREAM;
	snprintf(portstr, sizeof(portstr), "%d", o->port);
	err = getaddrinfo(o->host, portstr, &hints, &res);
	if (err) {
		fprintf(stderr, "vnc-grab: %s: %s\n", o->host,
			gai_strerror(err));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0)
			continue;
		if (o->stall) {
			/* a small window, so the server's queue fills fast */
			int sz = 4096;

			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		fprintf(stderr, "vnc-grab: connect to %s:%d: %s\n", o->host,
			o->port, strerror(errno));
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int read_full(int fd, void *buf, size_t n, int timeout_ms)
{
	uint8_t *p = buf;
	uint64_t deadline = now_ms() + (uint64_t)timeout_ms;

	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = (int64_t)(deadline - now_ms());
		ssize_t r;

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		r = read(fd, p, n);
		if (r == 0)
			return -ECONNRESET;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Make libvncclient answer with @version: read the server's version here
 * and put a fake one with the wanted minor number into libvncclient's
 * input buffer. libvncclient then replies with that version and speaks it
 * (3.3: the server picks the security type; 3.7: no SecurityResult after
 * None).
 */
static int force_version(struct grab *g, int fd, const char *version)
{
	rfbClient *cl = g->cl;
	char server[13];
	int minor, ret;

	if (!strcmp(version, "3.3"))
		minor = 3;
	else if (!strcmp(version, "3.7"))
		minor = 7;
	else if (!strcmp(version, "3.8"))
		minor = 8;
	else {
		fprintf(stderr,
			"vnc-grab: --version must be 3.3, 3.7 or 3.8\n");
		return -EINVAL;
	}
	ret = read_full(fd, server, 12, g->o->timeout_ms);
	if (ret) {
		fprintf(stderr, "vnc-grab: reading ProtocolVersion: %s\n",
			strerror(-ret));
		return ret;
	}
	server[12] = '\0';
	if (strncmp(server, "RFB 003.", 8)) {
		fprintf(stderr, "vnc-grab: bad ProtocolVersion from server\n");
		return -EPROTO;
	}
	if (g->o->info)
		out("server-version %.11s\n", server);
	snprintf(cl->buf, RFB_BUF_SIZE, "RFB 003.%03d\n", minor);
	cl->bufoutptr = cl->buf;
	cl->buffered = 12;
	return 0;
}

static void set_security(struct grab *g)
{
	uint32_t types[4];
	int n = 0;
	const char *s = g->o->security;

	if (!s)
		return;
	if (strstr(s, "none"))
		types[n++] = rfbNoAuth;
	if (strstr(s, "vnc"))
		types[n++] = rfbVncAuth;
	if (strstr(s, "vencrypt"))
		types[n++] = rfbVeNCrypt;
	types[n] = 0;
	SetClientAuthSchemes(g->cl, types, n);
}

static int grab_connect(struct grab *g)
{
	struct grab_opts *o = g->o;
	rfbClient *cl;
	int fd;

	cl = rfbGetClient(8, 3, 4);
	if (!cl)
		return GRAB_CONN;
	g->cl = cl;
	if (o->have_pf)
		cl->format = o->pf;
	cl->appData.encodingsString = o->encodings;
	cl->appData.shareDesktop = o->shared;
	cl->appData.useRemoteCursor = o->cursor;
	cl->appData.enableJPEG = o->quality >= 0;
	cl->appData.qualityLevel = o->quality >= 0 ? o->quality : 9;
	cl->appData.compressLevel = o->compress;
	cl->GetPassword = on_get_password;
	cl->GetCredential = on_get_credential;
	cl->GotFrameBufferUpdate = on_rect;
	cl->GotCopyRect = on_copyrect;
	cl->FinishedFrameBufferUpdate = on_finished;
	cl->Bell = on_bell;
	cl->GotXCutText = on_cut_text;
	cl->canHandleNewFBSize = TRUE;
	set_security(g);

	/* A repeater and a Unix socket are reached by libvncclient's own
	 * code, as its viewers do; TCP by ours (for --stall's buffer). */
	if (o->repeater_id > 0) {
		if (!ConnectToRFBRepeater(cl, o->host, o->port, "ID",
					  o->repeater_id)) {
			fprintf(stderr, "vnc-grab: repeater %s:%d: %s\n",
				o->host, o->port, g->last_log);
			return GRAB_CONN;
		}
		fd = cl->sock;
	} else if (o->host[0] == '/') {
		if (!ConnectToRFBServer(cl, o->host, 0)) {
			fprintf(stderr, "vnc-grab: %s: %s\n", o->host,
				g->last_log);
			return GRAB_CONN;
		}
		fd = cl->sock;
	} else {
		fd = connect_tcp(o);
	}
	if (fd < 0)
		return GRAB_CONN;
	cl->sock = fd;
	cl->listenSpecified = TRUE;
	free(cl->serverHost);
	cl->serverHost = strdup(o->host);
	cl->serverPort = o->port;
	if (o->version && force_version(g, fd, o->version))
		return GRAB_CONN;

	/* rfbInitClient frees the client on failure */
	if (!rfbInitClient(cl, NULL, NULL)) {
		g->cl = NULL;
		fprintf(stderr, "vnc-grab: %s: %s\n",
			g->auth_failed ? "security handshake failed" :
					 "connection failed",
			g->last_log[0] ? g->last_log : "(no reason)");
		return g->auth_failed ? GRAB_AUTH : GRAB_CONN;
	}
	if (o->info) {
		rfbPixelFormat *s = &cl->si.format;

		out("connected version %d.%d security %u subtype %u "
		    "size %dx%d name \"%s\"\n",
		    cl->major, cl->minor, cl->authScheme, cl->subAuthScheme,
		    cl->width,
		    cl->height, cl->desktopName ? cl->desktopName : "");
		out("server-format bpp %d depth %d be %d tc %d "
		    "max %d,%d,%d shift %d,%d,%d\n",
		    s->bitsPerPixel, s->depth, s->bigEndian, s->trueColour,
		    s->redMax, s->greenMax, s->blueMax, s->redShift,
		    s->greenShift, s->blueShift);
	}
	return GRAB_OK;
}

/* ---- receiving --------------------------------------------------------- */

/* SetColourMapEntries (RFC 6143 7.6.2), which libvncclient would skip
 * without reading its body. */
static int read_colour_map(struct grab *g)
{
	uint8_t hdr[6], rgb[6];
	unsigned first, n, i;

	if (!ReadFromRFBServer(g->cl, (char *)hdr, sizeof(hdr)))
		return -1;
	first = (unsigned)hdr[2] << 8 | hdr[3];
	n = (unsigned)hdr[4] << 8 | hdr[5];
	for (i = 0; i < n; i++) {
		if (!ReadFromRFBServer(g->cl, (char *)rgb, sizeof(rgb)))
			return -1;
		if (first + i < 256) {
			uint16_t *e = g->cmap[first + i];

			e[0] = (uint16_t)(rgb[0] << 8 | rgb[1]);
			e[1] = (uint16_t)(rgb[2] << 8 | rgb[3]);
			e[2] = (uint16_t)(rgb[4] << 8 | rgb[5]);
			g->cmap_set[first + i] = true;
		}
	}
	if (first + n > 256)
		fprintf(stderr,
			"vnc-grab: colour map entries %u..%u beyond 255\n",
			first, first + n - 1);
	g->cmap_msgs++;
	return 0;
}

/* Handle one server message if one arrives within @timeout_ms: returns 1
 * when one was handled, 0 on timeout, -1 when the connection is gone. */
static int pump_one(struct grab *g, int timeout_ms)
{
	rfbClient *cl = g->cl;
	uint8_t type;

	if (g->closed)
		return -1;
	if (cl->buffered == 0) {
		struct pollfd pfd = { .fd = cl->sock, .events = POLLIN };
		int r = poll(&pfd, 1, timeout_ms);

		if (r < 0 && errno != EINTR)
			goto closed;
		if (r <= 0)
			return 0;
		r = (int)recv(cl->sock, &type, 1, MSG_PEEK);
		if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR))
			goto closed;
		if (r < 0)
			return 0;
	} else {
		type = (uint8_t)*cl->bufoutptr;
	}
	if (type == rfbSetColourMapEntries) {
		if (read_colour_map(g))
			goto closed;
		return 1;
	}
	if (!HandleRFBServerMessage(cl))
		goto closed;
	return 1;
closed:
	g->closed = true;
	return -1;
}

/* Process messages for at most @ms. */
static int pump_for(struct grab *g, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	for (;;) {
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0)
			return 0;
		if (pump_one(g, (int)left) < 0)
			return -1;
	}
}

/* Process messages until @updates framebuffer updates have completed in
 * total, or @ms pass: 0 when reached, -ETIMEDOUT, -ECONNRESET. */
static int pump_until_updates(struct grab *g, unsigned long updates, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;

	while (g->updates < updates) {
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (pump_one(g, (int)left) < 0)
			return -ECONNRESET;
	}
	return 0;
}

/* ---- the decoded framebuffer as an image ------------------------------- */

static uint32_t fb_pixel(const rfbClient *cl, size_t i)
{
	const uint8_t *p;
	unsigned bpp = cl->format.bitsPerPixel / 8, k;
	uint32_t v = 0;

	p = cl->frameBuffer + i * bpp;
	if (cl->format.bigEndian) {
		for (k = 0; k < bpp; k++)
			v = v << 8 | p[k];
	} else {
		for (k = bpp; k > 0; k--)
			v = v << 8 | p[k - 1];
	}
	return v;
}

/*
 * Convert what the client holds to XRGB8888 with the client's precision:
 * a true-colour channel of n bits keeps n significant bits; a colour-map
 * pixel shows the map entry the server sent, compared at BGR233 precision
 * (3, 3, 2 bits), the colour cube RFC 6143 servers emulate. Pixels whose
 * map entry never arrived count in @undefined.
 */
static struct image *fb_image(struct grab *g, long *undefined)
{
	rfbClient *cl = g->cl;
	const rfbPixelFormat *pf = &cl->format;
	struct image *img = image_new(cl->width, cl->height);
	size_t i, n;

	*undefined = 0;
	if (!img)
		return NULL;
	n = (size_t)cl->width * cl->height;
	if (pf->trueColour) {
		unsigned rb = bits_of(pf->redMax), gb = bits_of(pf->greenMax);
		unsigned bb = bits_of(pf->blueMax);

		img->bits[0] = (uint8_t)(rb < 8 ? rb : 8);
		img->bits[1] = (uint8_t)(gb < 8 ? gb : 8);
		img->bits[2] = (uint8_t)(bb < 8 ? bb : 8);
		for (i = 0; i < n; i++) {
			uint32_t v = fb_pixel(cl, i);

			img->px[i] =
				(uint32_t)image_expand((v >> pf->redShift) &
						       pf->redMax, rb) << 16 |
				(uint32_t)image_expand((v >> pf->greenShift) &
						       pf->greenMax, gb) << 8 |
				image_expand((v >> pf->blueShift) & pf->blueMax,
					     bb);
		}
	} else {
		img->bits[0] = 3;
		img->bits[1] = 3;
		img->bits[2] = 2;
		for (i = 0; i < n; i++) {
			unsigned idx = fb_pixel(cl, i) & 0xff;

			if (!g->cmap_set[idx]) {
				(*undefined)++;
				/* unlikely to match any reference */
				img->px[i] = 0x00ff00ff ^
					     (uint32_t)(i & 0x10101);
				continue;
			}
			img->px[i] = (uint32_t)(g->cmap[idx][0] >> 8) << 16 |
				     (uint32_t)(g->cmap[idx][1] >> 8) << 8 |
				     (uint32_t)(g->cmap[idx][2] >> 8);
		}
	}
	return img;
}

static int save_fb(struct grab *g, const char *path)
{
	long undefined;
	struct image *img = fb_image(g, &undefined);
	int ret;

	if (!img)
		return -ENOMEM;
	ret = image_write_ppm(img, path);
	image_free(img);
	return ret;
}

/* ---- input ------------------------------------------------------------- */

static int utf8_next(const char **s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)*s;
	int n, i;

	if (!*p)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		n = 1;
	} else if ((p[0] & 0xe0) == 0xc0) {
		*cp = p[0] & 0x1f;
		n = 2;
	} else if ((p[0] & 0xf0) == 0xe0) {
		*cp = p[0] & 0x0f;
		n = 3;
	} else if ((p[0] & 0xf8) == 0xf0) {
		*cp = p[0] & 0x07;
		n = 4;
	} else {
		return -1;
	}
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		*cp = *cp << 6 | (p[i] & 0x3f);
	}
	*s += n;
	return 1;
}

static uint32_t keysym_for(uint32_t cp)
{
	if (cp == '\n' || cp == '\r')
		return 0xff0d;	/* Return */
	if (cp == '\t')
		return 0xff09;	/* Tab */
	if (cp == '\b')
		return 0xff08;	/* BackSpace */
	if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff))
		return cp;
	return 0x01000000 | cp;
}

/* Type @text as a viewer would for a keyboard without a Shift key: each
 * character is its own keysym, pressed and released. */
static int send_text(struct grab *g, const char *text)
{
	uint32_t cp;
	int r;

	while ((r = utf8_next(&text, &cp)) > 0) {
		uint32_t ks = keysym_for(cp);

		if (!SendKeyEvent(g->cl, ks, TRUE) ||
		    !SendKeyEvent(g->cl, ks, FALSE))
			return -ECONNRESET;
	}
	return r < 0 ? -EINVAL : 0;
}

/* A keysym by number (0x61) or, with Xlib, by name (a, Return). */
static int parse_keysym(const char *name, uint32_t *ks)
{
	char *end;

	if (!strncmp(name, "0x", 2)) {
		*ks = (uint32_t)strtoul(name, &end, 16);
		return *end ? -EINVAL : 0;
	}
#ifdef HAVE_X11
	KeySym k = XStringToKeysym(name);

	if (k == NoSymbol)
		return -EINVAL;
	*ks = (uint32_t)k;
	return 0;
#else
	/* without Xlib: a printable Latin-1 character is its own keysym,
	 * and a few names the tests use */
	static const struct {
		const char *name;
		uint32_t ks;
	} names[] = {
		{ "space", 0x20 },	   { "Return", 0xff0d },
		{ "Tab", 0xff09 },	   { "BackSpace", 0xff08 },
		{ "Escape", 0xff1b },	   { "Delete", 0xffff },
		{ "Left", 0xff51 },	   { "Up", 0xff52 },
		{ "Right", 0xff53 },	   { "Down", 0xff54 },
		{ "Shift_L", 0xffe1 },	   { "Control_L", 0xffe3 },
		{ "Alt_L", 0xffe9 },
	};

	if (name[0] && !name[1] && (unsigned char)name[0] >= 0x20) {
		*ks = (unsigned char)name[0];
		return 0;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name)) {
			*ks = names[i].ks;
			return 0;
		}
	return -EINVAL;
#endif
}

/* "Control_L+Shift_L+a": press in order, release in reverse. */
static int send_chord(struct grab *g, const char *spec)
{
	uint32_t keys[8];
	char buf[256], *tok, *save = NULL;
	int n = 0, i;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, "+", &save); tok;
	     tok = strtok_r(NULL, "+", &save)) {
		if (n == 8 || parse_keysym(tok, &keys[n]))
			return -EINVAL;
		n++;
	}
	if (!n)
		return -EINVAL;
	for (i = 0; i < n; i++)
		if (!SendKeyEvent(g->cl, keys[i], TRUE))
			return -ECONNRESET;
	for (i = n - 1; i >= 0; i--)
		if (!SendKeyEvent(g->cl, keys[i], FALSE))
			return -ECONNRESET;
	return 0;
}

static int send_click(struct grab *g, int x, int y, int button)
{
	int mask = 1 << (button - 1);

	if (!SendPointerEvent(g->cl, x, y, 0) ||
	    !SendPointerEvent(g->cl, x, y, mask) ||
	    !SendPointerEvent(g->cl, x, y, 0))
		return -ECONNRESET;
	return 0;
}

/* ---- commands ---------------------------------------------------------- */

static unsigned long long bytes_received(struct grab *g)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(g->cl->sock, IPPROTO_TCP, TCP_INFO, &ti, &len))
		return 0;
	return (unsigned long long)ti.tcpi_bytes_received;
}

static void print_stats(struct grab *g)
{
	out("ok stats updates %lu changed %lu rects %lu copyrect %lu "
	    "pixels %llu bytes %llu cmap %lu bells %lu cuttext %lu\n",
	    g->updates, g->changed_updates, g->rects, g->copyrects, g->pixels,
	    bytes_received(g), g->cmap_msgs, g->bells, g->cut_texts);
}

/* Wait until the decoded framebuffer equals @path; compares after every
 * complete update. */
static int cmd_match(struct grab *g, const char *path, int timeout_ms)
{
	struct image *ref, *img = NULL;
	struct image_diff d;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	unsigned long checked = (unsigned long)-1;
	long undefined = 0;
	int64_t left;
	int ret = GRAB_FAIL, cmp = -1;

	ref = image_load(path);
	if (!ref) {
		out("fail match cannot read %s\n", path);
		return GRAB_USAGE;
	}
	for (;;) {
		if (g->updates != checked && g->updates > 0) {
			checked = g->updates;
			image_free(img);
			img = fb_image(g, &undefined);
			if (!img)
				break;
			cmp = image_compare(img, ref, NULL, 0, &d);
			if (cmp == 0 && !undefined) {
				/* "at": the monotonic clock, for timing */
				out("ok match %s after %lu updates at %llu ms\n",
				    path, g->updates,
				    (unsigned long long)now_ms());
				ret = GRAB_OK;
				goto done;
			}
		}
		left = (int64_t)(end - now_ms());
		if (left <= 0)
			break;
		if (pump_one(g, (int)left) < 0) {
			out("fail match: connection closed (%s)\n",
			    g->last_log[0] ? g->last_log : "no reason");
			ret = GRAB_CONN;
			goto done;
		}
	}
	if (!img) {
		out("fail match: no framebuffer update within %d ms\n",
		    timeout_ms);
	} else if (cmp < 0) {
		out("fail match: size %dx%d, reference %dx%d\n", img->width,
		    img->height, ref->width, ref->height);
	} else {
		fflush(stdout);
		printf("fail match after %lu updates: ", g->updates);
		if (undefined)
			printf("%ld pixels use colour map entries never sent; ",
			       undefined);
		image_diff_print(stdout, &d);
		fflush(stdout);
	}
	if (img && g->o->fail_out) {
		image_write_ppm(img, g->o->fail_out);
		fprintf(stderr, "vnc-grab: decoded image written to %s\n",
			g->o->fail_out);
	}
done:
	image_free(img);
	image_free(ref);
	return ret;
}

/* The colour map must be the BGR233 cube of RFC-era servers: entry i has
 * red (i & 7) * 65535 / 7, green ((i >> 3) & 7) * 65535 / 7, blue
 * ((i >> 6) & 3) * 65535 / 3. */
static int cmd_check_cmap(struct grab *g)
{
	unsigned i;

	for (i = 0; i < 256; i++) {
		unsigned r = (i & 7) * 65535 / 7;
		unsigned gr = ((i >> 3) & 7) * 65535 / 7;
		unsigned b = ((i >> 6) & 3) * 65535 / 3;

		if (!g->cmap_set[i]) {
			out("fail cmap entry %u never sent (%lu messages)\n", i,
			    g->cmap_msgs);
			return GRAB_FAIL;
		}
		if (g->cmap[i][0] != r || g->cmap[i][1] != gr ||
		    g->cmap[i][2] != b) {
			out("fail cmap entry %u is %04x,%04x,%04x, "
			    "BGR233 wants %04x,%04x,%04x\n",
			    i, g->cmap[i][0], g->cmap[i][1], g->cmap[i][2], r,
			    gr, b);
			return GRAB_FAIL;
		}
	}
	out("ok cmap bgr233 (%lu messages)\n", g->cmap_msgs);
	return GRAB_OK;
}

static int cmd_updates(struct grab *g, unsigned long n, int timeout_ms)
{
	unsigned long start = g->changed_updates;
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (g->changed_updates - start < n) {
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0) {
			out("fail updates: %lu of %lu changed updates "
			    "in %d ms\n",
			    g->changed_updates - start, n, timeout_ms);
			return GRAB_FAIL;
		}
		if (pump_one(g, (int)left) < 0) {
			out("fail updates: connection closed\n");
			return GRAB_CONN;
		}
	}
	out("ok updates %lu\n", n);
	return GRAB_OK;
}

static int cmd_expect_cut(struct grab *g, const char *text, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;

	while (!g->last_cut_text || strcmp(g->last_cut_text, text)) {
		int64_t left = (int64_t)(end - now_ms());

		if (left <= 0) {
			out("fail cuttext: last \"%s\"\n",
			    g->last_cut_text ? g->last_cut_text : "(none)");
			return GRAB_FAIL;
		}
		if (pump_one(g, (int)left) < 0) {
			out("fail cuttext: connection closed\n");
			return GRAB_CONN;
		}
	}
	out("ok cuttext\n");
	return GRAB_OK;
}

/* A server handles a client's messages in order, so the answer to a new
 * non-incremental request (which must come promptly: RFC 6143 7.5.3)
 * proves it has processed everything sent before it. */
static int cmd_sync(struct grab *g)
{
	unsigned long want = g->updates + 1;
	int ret;

	if (!SendFramebufferUpdateRequest(g->cl, 0, 0, 1, 1, FALSE)) {
		out("fail sync: connection closed\n");
		return GRAB_CONN;
	}
	ret = pump_until_updates(g, want, g->o->timeout_ms);
	if (ret) {
		out("fail sync: %s\n", ret == -ETIMEDOUT ? "no update" :
							 "connection closed");
		return ret == -ETIMEDOUT ? GRAB_FAIL : GRAB_CONN;
	}
	out("ok sync\n");
	return GRAB_OK;
}

/* The region's bytes in the decoded framebuffer, row after row (the
 * region is clipped to the framebuffer by the caller). */
static void region_copy(const rfbClient *cl, int x, int y, int w, int h,
			uint8_t *out)
{
	size_t bpp = cl->format.bitsPerPixel / 8;
	size_t stride = (size_t)cl->width * bpp, row = (size_t)w * bpp;

	for (int r = 0; r < h; r++)
		memcpy(out + (size_t)r * row,
		       cl->frameBuffer + (size_t)(y + r) * stride +
			       (size_t)x * bpp,
		       row);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Typing latency as a user sees it: @n times, press and release @keysym
 * and time until the pixels of the region change in the decoded
 * framebuffer, then let the screen settle for 150 ms. Every press must
 * change the region within the timeout.
 */
static int cmd_latency(struct grab *g, int n, int x, int y, int w, int h,
		       uint32_t keysym)
{
	rfbClient *cl = g->cl;
	size_t len;
	uint8_t *before, *now;
	double *t;
	int lost = 0, ret = GRAB_OK;

	if (x < 0 || y < 0 || w <= 0 || h <= 0 || x >= cl->width ||
	    y >= cl->height || n <= 0) {
		out("fail latency: bad region or count\n");
		return GRAB_USAGE;
	}
	if (x + w > cl->width)
		w = cl->width - x;
	if (y + h > cl->height)
		h = cl->height - y;
	len = (size_t)w * h * (cl->format.bitsPerPixel / 8);
	before = malloc(len);
	now = malloc(len);
	t = calloc((size_t)n, sizeof(*t));
	if (!before || !now || !t) {
		out("fail latency: out of memory\n");
		ret = GRAB_FAIL;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		double t0 = now_ms_f(), end = t0 + g->o->timeout_ms;
		bool changed = false;

		region_copy(cl, x, y, w, h, before);
		if (!SendKeyEvent(cl, keysym, TRUE) ||
		    !SendKeyEvent(cl, keysym, FALSE))
			goto closed;
		while (!changed && now_ms_f() < end) {
			if (pump_one(g, (int)(end - now_ms_f()) + 1) < 0)
				goto closed;
			region_copy(cl, x, y, w, h, now);
			changed = memcmp(before, now, len) != 0;
		}
		if (changed)
			t[i - lost] = now_ms_f() - t0;
		else
			lost++;
		if (pump_for(g, 150) < 0)
			goto closed;
	}
	if (lost) {
		out("fail latency: %d of %d key presses changed nothing "
		    "within %d ms\n", lost, n, g->o->timeout_ms);
		ret = GRAB_FAIL;
		goto out;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	out("ok latency n %d median_ms %.2f p95_ms %.2f max_ms %.2f\n", n,
	    t[n / 2], t[(n - 1) * 95 / 100], t[n - 1]);
	goto out;
closed:
	out("fail latency: connection closed\n");
	ret = GRAB_CONN;
out:
	free(before);
	free(now);
	free(t);
	return ret;
}

static int parse_int(const char *s, int *v)
{
	char *end;
	long l;

	if (!s)
		return -EINVAL;
	errno = 0;
	l = strtol(s, &end, 0);
	if (*end || errno || l < INT_MIN || l > INT_MAX)
		return -EINVAL;
	*v = (int)l;
	return 0;
}

/*
 * One command line. Commands:
 *   match FILE [TIMEOUT_MS]     wait until the framebuffer equals FILE
 *   updates N [TIMEOUT_MS]      wait for N updates that changed pixels
 *   latency N X,Y,W,H [KEYSYM]  N times: a key press and release (default
 *                               "a"), timed until the region's pixels
 *                               change (median, 95th percentile, max)
 *   check-cmap                  the colour map is BGR233
 *   type TEXT                   type TEXT (rest of the line)
 *   key CHORD                   e.g. Return, Control_L+c, 0xff0d
 *   click X Y [BUTTON]          move, press, release
 *   pointer X Y MASK            one PointerEvent
 *   cut TEXT                    ClientCutText
 *   expect-cut TEXT [TIMEOUT]   wait for ServerCutText
 *   refresh                     non-incremental update request
 *   sync                        a round trip: on a display that is not
 *                               changing, everything sent before has been
 *                               processed by the server
 *   sleep MS                    keep processing messages for MS
 *   save FILE                   write the framebuffer as PPM
 *   size                        print the framebuffer size
 *   stats                       print counters
 *   quit
 */
static int run_command(struct grab *g, char *line)
{
	char *cmd, *arg, *save = NULL, rest[4096];
	const char *sp;
	int a = 0, b = 0, c = 0, ret;

	while (*line == ' ')
		line++;
	/* the rest of the line, verbatim, before strtok_r cuts it up */
	sp = strchr(line, ' ');
	snprintf(rest, sizeof(rest), "%s", sp ? sp + 1 : "");
	cmd = strtok_r(line, " ", &save);
	if (!cmd)
		return GRAB_OK;
	arg = strtok_r(NULL, " ", &save);

	if (!strcmp(cmd, "match")) {
		char *t = strtok_r(NULL, " ", &save);

		if (!arg || (t && parse_int(t, &a)))
			goto usage;
		return cmd_match(g, arg, t ? a : g->o->timeout_ms);
	}
	if (!strcmp(cmd, "updates")) {
		char *t = strtok_r(NULL, " ", &save);

		if (parse_int(arg, &b) || b < 0 || (t && parse_int(t, &a)))
			goto usage;
		return cmd_updates(g, (unsigned long)b,
				   t ? a : g->o->timeout_ms);
	}
	if (!strcmp(cmd, "latency")) {
		char *r = strtok_r(NULL, " ", &save);
		char *k = strtok_r(NULL, " ", &save);
		uint32_t ks = 'a';
		int rw, rh;

		if (parse_int(arg, &c) || !r ||
		    sscanf(r, "%d,%d,%d,%d", &a, &b, &rw, &rh) != 4 ||
		    (k && parse_keysym(k, &ks)))
			goto usage;
		return cmd_latency(g, c, a, b, rw, rh, ks);
	}
	if (!strcmp(cmd, "check-cmap"))
		return cmd_check_cmap(g);
	if (!strcmp(cmd, "type")) {
		ret = send_text(g, rest);
		goto sent;
	}
	if (!strcmp(cmd, "key")) {
		if (!arg)
			goto usage;
		ret = send_chord(g, arg);
		goto sent;
	}
	if (!strcmp(cmd, "click") || !strcmp(cmd, "pointer")) {
		char *ys = strtok_r(NULL, " ", &save);
		char *bs = strtok_r(NULL, " ", &save);

		if (parse_int(arg, &a) || parse_int(ys, &b))
			goto usage;
		c = 1;
		if (bs && parse_int(bs, &c))
			goto usage;
		if (!strcmp(cmd, "click"))
			ret = send_click(g, a, b, c);
		else
			ret = SendPointerEvent(g->cl, a, b, bs ? c : 0) ?
				      0 : -ECONNRESET;
		goto sent;
	}
	if (!strcmp(cmd, "cut")) {
		ret = SendClientCutText(g->cl, rest, (int)strlen(rest)) ?
			      0 : -ECONNRESET;
		goto sent;
	}
	if (!strcmp(cmd, "expect-cut")) {
		return cmd_expect_cut(g, rest, g->o->timeout_ms);
	}
	if (!strcmp(cmd, "refresh")) {
		ret = SendFramebufferUpdateRequest(g->cl, 0, 0, g->cl->width,
						   g->cl->height, FALSE) ?
			      0 : -ECONNRESET;
		goto sent;
	}
	if (!strcmp(cmd, "sync"))
		return cmd_sync(g);
	if (!strcmp(cmd, "sleep")) {
		if (parse_int(arg, &a) || a < 0)
			goto usage;
		if (pump_for(g, a) < 0) {
			out("fail sleep: connection closed\n");
			return GRAB_CONN;
		}
		out("ok sleep\n");
		return GRAB_OK;
	}
	if (!strcmp(cmd, "save")) {
		if (!arg)
			goto usage;
		ret = save_fb(g, arg);
		if (ret) {
			out("fail save %s: %s\n", arg, strerror(-ret));
			return GRAB_FAIL;
		}
		out("ok save %s\n", arg);
		return GRAB_OK;
	}
	if (!strcmp(cmd, "size")) {
		out("ok size %dx%d\n", g->cl->width, g->cl->height);
		return GRAB_OK;
	}
	if (!strcmp(cmd, "stats")) {
		print_stats(g);
		return GRAB_OK;
	}
	if (!strcmp(cmd, "quit")) {
		out("ok quit\n");
		return -1;
	}
usage:
	out("fail usage: %s\n", cmd);
	return GRAB_USAGE;
sent:
	if (ret == -ECONNRESET) {
		out("fail %s: connection closed\n", cmd);
		return GRAB_CONN;
	}
	if (ret) {
		out("fail %s: bad argument\n", cmd);
		return GRAB_USAGE;
	}
	out("ok %s\n", cmd);
	return GRAB_OK;
}

/* Read commands from stdin while processing server messages. */
static int run_stdin(struct grab *g)
{
	struct tool_lines in = { .have = 0 };
	char line[sizeof(in.buf)];
	int status = GRAB_OK;

	for (;;) {
		struct pollfd pfd[2] = {
			{ .fd = 0, .events = POLLIN },
			{ .fd = g->cl->sock, .events = POLLIN },
		};

		while (tool_line_take(&in, line)) {
			int r = run_command(g, line);

			if (r < 0)
				return status;
			if (r != GRAB_OK)
				status = r;
		}
		if (g->cl->buffered) {
			if (pump_one(g, 0) < 0)
				return GRAB_CONN;
			continue;
		}
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return GRAB_CONN;
		}
		if (pfd[1].revents) {
			if (pump_one(g, 0) < 0) {
				fprintf(stderr,
					"vnc-grab: connection closed\n");
				return GRAB_CONN;
			}
		}
		if (pfd[0].revents && !tool_lines_read(&in, 0))
			return status;
	}
}

/* Ask for full updates over and over and never read the answers. */
static int run_stall(struct grab *g)
{
	uint64_t end = now_ms() + (uint64_t)g->o->stall_ms;
	unsigned long sent = 0;
	rfbClient *cl = g->cl;
	int fl = fcntl(cl->sock, F_GETFL);

	fcntl(cl->sock, F_SETFL, fl | O_NONBLOCK);
	out("ok stalling\n");
	while (g->o->stall_ms <= 0 || now_ms() < end) {
		uint8_t req[10] = { rfbFramebufferUpdateRequest, 0, 0, 0, 0, 0,
				    (uint8_t)(cl->width >> 8),
				    (uint8_t)cl->width,
				    (uint8_t)(cl->height >> 8),
				    (uint8_t)cl->height };
		ssize_t r = send(cl->sock, req, sizeof(req), MSG_NOSIGNAL);

		if (r < 0 && errno != EAGAIN && errno != EINTR) {
			out("ok stall: server closed the connection after "
			    "%lu requests\n", sent);
			return GRAB_OK;
		}
		if (r == (ssize_t)sizeof(req))
			sent++;
		else if (r > 0) {
			/* partial write of a request: finish it blocking */
			fcntl(cl->sock, F_SETFL, fl);
			if (send(cl->sock, req + r, sizeof(req) - (size_t)r,
				 MSG_NOSIGNAL) < 0)
				return GRAB_OK;
			fcntl(cl->sock, F_SETFL, fl | O_NONBLOCK);
			sent++;
		}
		usleep(GRAB_STALL_INTERVAL_MS * 1000);
	}
	out("ok stall done after %lu requests\n", sent);
	return GRAB_OK;
}

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
"usage: vnc-grab [options] HOST:PORT | /PATH/OF/UNIX/SOCKET\n"
"  --repeater-id N                       HOST:PORT is an UltraVNC repeater:\n"
"                                        reach the server with ID N there\n"
"  --password P | --password-file FILE   VNC authentication password\n"
"  --security none|vnc|vencrypt,...       security types to accept\n"
"  --x509-ca FILE  --user NAME           VeNCrypt X509 CA, Plain user\n"
"  --version 3.3|3.7|3.8                 protocol version to answer with\n"
"  --format NAME|BPP:DEPTH:BE:RMAX,GMAX,BMAX:RSHIFT,GSHIFT,BSHIFT\n"
"  --encodings \"raw copyrect ...\"        libvncclient encodings string\n"
"  --quality N --compress N              Tight JPEG quality (enables JPEG)\n"
"  --cursor                              request cursor shape updates\n"
"  --shared | --exclusive                ClientInit shared flag\n"
"  --timeout-ms N                        bound of every wait (30000)\n"
"  --info                                print version, security, formats\n"
"one-shot actions, in this order after the first update:\n"
"  --type TEXT  --key CHORD  --click X,Y[,BUTTON]  (repeatable, in order)\n"
"  --compare FILE (alias --compare-xwd)  wait until the image equals FILE\n"
"  --until-match                         (accepted; --compare always waits)\n"
"  --expect-updates N                    wait for N updates changing pixels\n"
"  --wait-ms N                           keep processing for N ms\n"
"  --out FILE                            write the framebuffer as PPM\n"
"  --count-rects                         print counters at the end\n"
"  --fail-out FILE                       on mismatch, write the image here\n"
"other modes:\n"
"  --commands -     read commands from stdin (see run_command in source)\n"
"  --stall [--stall-ms N]  request updates but never read\n"
"  --verbose        show libvncclient's log\n"
"exit: 0 ok, 1 mismatch/timeout, 2 usage, 3 connection, 4 security\n"
"formats:\n");
	for (i = 0; i < sizeof(grab_formats) / sizeof(grab_formats[0]); i++)
		fprintf(f, "  %-8s %s\n", grab_formats[i].name,
			grab_formats[i].help);
}

static int parse_format(const char *s, rfbPixelFormat *pf)
{
	unsigned bpp, depth, be, rm, gm, bm, rs, gs, bs;
	size_t i;

	for (i = 0; i < sizeof(grab_formats) / sizeof(grab_formats[0]); i++) {
		if (!strcmp(s, grab_formats[i].name)) {
			*pf = grab_formats[i].pf;
			return 0;
		}
	}
	if (sscanf(s, "%u:%u:%u:%u,%u,%u:%u,%u,%u", &bpp, &depth, &be, &rm,
		   &gm, &bm, &rs, &gs, &bs) != 9)
		return -EINVAL;
	if ((bpp != 8 && bpp != 16 && bpp != 32) || rm > 65535 || gm > 65535 ||
	    bm > 65535 || rs > 31 || gs > 31 || bs > 31 || depth > 32)
		return -EINVAL;
	memset(pf, 0, sizeof(*pf));
	pf->bitsPerPixel = (uint8_t)bpp;
	pf->depth = (uint8_t)depth;
	pf->bigEndian = (uint8_t)!!be;
	pf->trueColour = 1;
	pf->redMax = (uint16_t)rm;
	pf->greenMax = (uint16_t)gm;
	pf->blueMax = (uint16_t)bm;
	pf->redShift = (uint8_t)rs;
	pf->greenShift = (uint8_t)gs;
	pf->blueShift = (uint8_t)bs;
	return 0;
}

static char *read_password_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];

	if (!f || !fgets(line, sizeof(line), f)) {
		if (f)
			fclose(f);
		return NULL;
	}
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	return strdup(line);
}

__attribute__((format(printf, 3, 4)))
static int add_cmd(char **cmds, int *n, const char *fmt, ...)
{
	va_list ap;
	char buf[4096];

	if (*n >= GRAB_MAX_COMMANDS)
		return -1;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cmds[(*n)++] = strdup(buf);
	return 0;
}

static void on_alarm(int sig)
{
	static const char msg[] = "vnc-grab: hard timeout, giving up\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0) {
		/* nothing more to do */
	}
	_exit(GRAB_FAIL);
}

/*
 * Parse the command line into @o and, for the one-shot options, a list
 * of commands (what --commands would read). Returns 0 to go on, -1 after
 * --help, or an exit status.
 */
static int parse_args(int argc, char **argv, struct grab_opts *o,
		      char **cmds, int *ncmds)
{
	const char *compare = NULL, *outfile = NULL;
	int i, wait_ms = 0, expect_updates = -1;
	bool count = false;

	o->shared = true;
	o->quality = -1;
	o->compress = 1;
	o->timeout_ms = GRAB_DEFAULT_TIMEOUT_MS;
	o->encodings = "tight zrle ultra copyrect hextile zlib corre rre raw";

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

#define NEEDARG()                                                          \
	do {                                                               \
		if (!v) {                                                  \
			fprintf(stderr, "vnc-grab: %s needs a value\n", a); \
			return GRAB_USAGE;                                 \
		}                                                          \
		i++;                                                       \
	} while (0)
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return -1;
		} else if (!strcmp(a, "--password")) {
			NEEDARG();
			o->password = v;
		} else if (!strcmp(a, "--password-file")) {
			NEEDARG();
			o->password = read_password_file(v);
			if (!o->password) {
				fprintf(stderr,
					"vnc-grab: cannot read %s\n", v);
				return GRAB_USAGE;
			}
		} else if (!strcmp(a, "--x509-ca")) {
			NEEDARG();
			o->x509_ca = v;
		} else if (!strcmp(a, "--user")) {
			NEEDARG();
			o->user = v;
		} else if (!strcmp(a, "--security")) {
			NEEDARG();
			o->security = v;
		} else if (!strcmp(a, "--version")) {
			NEEDARG();
			o->version = v;
		} else if (!strcmp(a, "--format")) {
			NEEDARG();
			if (parse_format(v, &o->pf)) {
				fprintf(stderr, "vnc-grab: bad format %s\n", v);
				return GRAB_USAGE;
			}
			o->have_pf = true;
		} else if (!strcmp(a, "--encodings")) {
			NEEDARG();
			o->encodings = v;
		} else if (!strcmp(a, "--quality")) {
			NEEDARG();
			o->quality = atoi(v);
		} else if (!strcmp(a, "--compress")) {
			NEEDARG();
			o->compress = atoi(v);
		} else if (!strcmp(a, "--cursor")) {
			o->cursor = true;
		} else if (!strcmp(a, "--shared")) {
			o->shared = true;
		} else if (!strcmp(a, "--exclusive")) {
			o->shared = false;
		} else if (!strcmp(a, "--timeout-ms")) {
			NEEDARG();
			o->timeout_ms = atoi(v);
		} else if (!strcmp(a, "--info")) {
			o->info = true;
		} else if (!strcmp(a, "--verbose")) {
			o->verbose = true;
		} else if (!strcmp(a, "--type")) {
			NEEDARG();
			add_cmd(cmds, ncmds, "type %s", v);
		} else if (!strcmp(a, "--key")) {
			NEEDARG();
			add_cmd(cmds, ncmds, "key %s", v);
		} else if (!strcmp(a, "--click")) {
			int x, y, b = 1;

			NEEDARG();
			if (sscanf(v, "%d,%d,%d", &x, &y, &b) < 2) {
				fprintf(stderr, "vnc-grab: --click X,Y[,B]\n");
				return GRAB_USAGE;
			}
			add_cmd(cmds, ncmds, "click %d %d %d", x, y, b);
		} else if (!strcmp(a, "--compare") ||
			   !strcmp(a, "--compare-xwd")) {
			NEEDARG();
			compare = v;
		} else if (!strcmp(a, "--until-match")) {
			/* --compare always waits for a match, bounded */
		} else if (!strcmp(a, "--expect-updates")) {
			NEEDARG();
			expect_updates = atoi(v);
		} else if (!strcmp(a, "--wait-ms")) {
			NEEDARG();
			wait_ms = atoi(v);
		} else if (!strcmp(a, "--out")) {
			NEEDARG();
			outfile = v;
		} else if (!strcmp(a, "--fail-out")) {
			NEEDARG();
			o->fail_out = v;
		} else if (!strcmp(a, "--count-rects")) {
			count = true;
		} else if (!strcmp(a, "--commands")) {
			NEEDARG();
			if (strcmp(v, "-")) {
				fprintf(stderr,
					"vnc-grab: only --commands -\n");
				return GRAB_USAGE;
			}
			o->commands_stdin = true;
		} else if (!strcmp(a, "--repeater-id")) {
			NEEDARG();
			o->repeater_id = atoi(v);
		} else if (!strcmp(a, "--stall")) {
			o->stall = true;
		} else if (!strcmp(a, "--stall-ms")) {
			NEEDARG();
			o->stall_ms = atoi(v);
		} else if (a[0] == '-') {
			fprintf(stderr, "vnc-grab: unknown option %s\n", a);
			usage(stderr);
			return GRAB_USAGE;
		} else if (!o->host && a[0] == '/') {
			o->host = a;
		} else if (!o->host) {
			if (parse_hostport(a, o)) {
				fprintf(stderr,
					"vnc-grab: bad address %s\n", a);
				return GRAB_USAGE;
			}
		} else {
			fprintf(stderr, "vnc-grab: extra argument %s\n", a);
			return GRAB_USAGE;
		}
#undef NEEDARG
	}
	if (!o->host) {
		usage(stderr);
		return GRAB_USAGE;
	}
	if (expect_updates >= 0)
		add_cmd(cmds, ncmds, "updates %d", expect_updates);
	if (compare)
		add_cmd(cmds, ncmds, "match %s", compare);
	if (wait_ms > 0)
		add_cmd(cmds, ncmds, "sleep %d", wait_ms);
	if (outfile)
		add_cmd(cmds, ncmds, "save %s", outfile);
	if (count)
		add_cmd(cmds, ncmds, "stats");
	return 0;
}

int main(int argc, char **argv)
{
	static struct grab_opts o;
	static struct grab g;
	char *cmds[GRAB_MAX_COMMANDS];
	int ncmds = 0, i, status;

	status = parse_args(argc, argv, &o, cmds, &ncmds);
	if (status)
		return status < 0 ? GRAB_OK : status;

	signal(SIGPIPE, SIG_IGN);
	rfbClientLog = on_log;
	rfbClientErr = on_log;
	g.o = &o;
	the_grab = &g;

	/* A safety net for a server that stalls inside a message: every
	 * wait is bounded by timeout_ms, this bounds the whole run. */
	if (!o.commands_stdin && !o.stall)
		alarm((unsigned)(o.timeout_ms / 1000) * (unsigned)(ncmds + 2) +
		      10);
	signal(SIGALRM, on_alarm);

	status = grab_connect(&g);
	if (status != GRAB_OK)
		return status;
	if (o.stall)
		return run_stall(&g);

	/* everything starts from a complete first update */
	if (pump_until_updates(&g, 1, o.timeout_ms)) {
		fprintf(stderr, "vnc-grab: no framebuffer update (%s)\n",
			g.closed ? "connection closed" : "timeout");
		if (g.closed && g.last_log[0])
			fprintf(stderr, "vnc-grab: %s\n", g.last_log);
		return g.closed ? GRAB_CONN : GRAB_FAIL;
	}
	if (o.commands_stdin) {
		out("ok connected %dx%d\n", g.cl->width, g.cl->height);
		status = run_stdin(&g);
	} else {
		for (i = 0; i < ncmds; i++) {
			int r = run_command(&g, cmds[i]);

			if (r < 0)
				break;
			if (r != GRAB_OK) {
				status = r;
				break;
			}
		}
	}
	for (i = 0; i < ncmds; i++)
		free(cmds[i]);
	if (g.cl)
		rfbClientCleanup(g.cl);
	free(g.last_cut_text);
	return status;
}
