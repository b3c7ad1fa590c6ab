/* SPDX-License-Identifier: MIT */
/*
 * rfb-hostile: an RFB 3.8 client that behaves as a hostile or broken
 * viewer would, written from the specification (RFC 6143, rfbproto.rst),
 * for the tests and the benchmark of what one viewer may cost the others.
 * Each mode does one thing and prints one line starting with "ok" or
 * "fail"; modes that hold a connection open then wait for stdin to close.
 *
 *   rfb-hostile [--rcvbuf N] [--timeout-ms N] HOST:PORT MODE [ARG]...
 *
 *   sectype T            choose security type T (not offered): print the
 *                        reason the server sends ("ok reason TEXT")
 *   fences               two SyncNext fence requests back to back, then
 *                        an update request: print the answers' payloads
 *                        in the order they came ("ok fences AB")
 *   pointer-flood N X Y  N pointer motion events in one write, the last
 *                        at X,Y, then a round trip ("ok pointer N")
 *   clip-requests N [MAX]  announce the Extended Clipboard (text up to
 *                        MAX bytes, default 1 MiB), send N requests for
 *                        text in one write, then stop reading
 *                        ("ok requests N")
 *   clip-provide N MB TEXT  N provide messages, each holding TEXT and
 *                        then MB MiB of zeros in the same zlib stream,
 *                        then a round trip ("ok provided N of B bytes")
 *   stall [ext]          ask for an update (and with "ext" announce the
 *                        Extended Clipboard), then stop reading
 *                        ("ok stalled")
 *   full-refresh S       for S seconds, ask for a full non-incremental
 *                        update in ZRLE after every update
 *                        ("ok full-updates N in S s")
 *
 * --rcvbuf sets the socket's receive buffer before connecting (a small
 * one makes a client that does not read fill the server's queue fast).
 * Exit: 0 ok, 1 a check failed, 2 usage, 3 connection problem.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "tool-util.h"

#define HOSTILE_TIMEOUT_MS 30000

#define ENC_RAW 0
#define ENC_ZRLE 16
#define ENC_FENCE -312
#define ENC_EXT_CLIP ((int32_t)0xC0A1E5CE)

#define CLIP_TEXT 0x00000001u
#define CLIP_CAPS 0x01000000u
#define CLIP_REQUEST 0x02000000u
#define CLIP_PEEK 0x04000000u
#define CLIP_NOTIFY 0x08000000u
#define CLIP_PROVIDE 0x10000000u

#define FENCE_SYNC_NEXT 0x4u
#define FENCE_REQUEST 0x80000000u

struct hostile {
	int fd;
	int timeout_ms;
	int width, height;
	/* fence answers to our own requests, in arrival order */
	char fences[64];
	size_t nfences;
	unsigned long updates;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static int send_all(struct hostile *h, const void *data, size_t n)
{
	const uint8_t *p = data;

	while (n) {
		ssize_t r = send(h->fd, p, n, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_all(struct hostile *h, void *data, size_t n)
{
	uint8_t *p = data;
	uint64_t end = now_ms() + (uint64_t)h->timeout_ms;

	while (n) {
		struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
		int64_t left = (int64_t)(end - now_ms());
		ssize_t r;

		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return -1;
		r = recv(h->fd, p, n, MSG_DONTWAIT);
		if (r == 0)
			return -1;
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int skip(struct hostile *h, size_t n)
{
	uint8_t buf[65536];

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		if (read_all(h, buf, k))
			return -1;
		n -= k;
	}
	return 0;
}

static int connect_to(struct hostile *h, const char *addr, int rcvbuf)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	char host[256];
	const char *colon = strrchr(addr, ':');
	int one = 1;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return -1;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host[0] ? host : "127.0.0.1", colon + 1, &hints, &res))
		return -1;
	h->fd = -1;
	for (ai = res; ai; ai = ai->ai_next) {
		h->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (h->fd < 0)
			continue;
		/* before connect(), so that the window is small from the
		 * start */
		if (rcvbuf > 0)
			setsockopt(h->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				   sizeof(rcvbuf));
		setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(h->fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(h->fd);
		h->fd = -1;
	}
	freeaddrinfo(res);
	return h->fd < 0 ? -1 : 0;
}

/* RFB 3.8 up to the security type list; the types go into @types. */
static int start_handshake(struct hostile *h, uint8_t *types, uint8_t *n)
{
	uint8_t v[12];

	if (read_all(h, v, 12) || send_all(h, "RFB 003.008\n", 12) ||
	    read_all(h, n, 1) || *n == 0 || read_all(h, types, *n))
		return -1;
	return 0;
}

static int send_encodings(struct hostile *h, const int32_t *encs, int n)
{
	uint8_t msg[4 + 4 * 16];

	msg[0] = 2;
	msg[1] = 0;
	put16(msg + 2, (uint16_t)n);
	for (int i = 0; i < n; i++)
		put32(msg + 4 + 4 * i, (uint32_t)encs[i]);
	return send_all(h, msg, 4 + 4 * (size_t)n);
}

static int send_request(struct hostile *h, bool incremental, int x, int y,
			int w, int hh)
{
	uint8_t m[10] = { 3, incremental };

	put16(m + 2, (uint16_t)x);
	put16(m + 4, (uint16_t)y);
	put16(m + 6, (uint16_t)w);
	put16(m + 8, (uint16_t)hh);
	return send_all(h, m, sizeof(m));
}

/* Security None, ClientInit (shared), 32 bpp true colour, @encs. */
static int handshake(struct hostile *h, const int32_t *encs, int nencs)
{
	uint8_t types[255], n, res[4], init[24], pf[20] = { 0 };
	bool none = false;

	if (start_handshake(h, types, &n))
		return -1;
	for (int i = 0; i < n; i++)
		none |= types[i] == 1;
	if (!none || send_all(h, "\1", 1) || read_all(h, res, 4) ||
	    be32(res) != 0 || send_all(h, "\1", 1) || read_all(h, init, 24))
		return -1;
	h->width = be16(init);
	h->height = be16(init + 2);
	if (skip(h, be32(init + 20)))
		return -1;
	/* 32 bpp, depth 24, little endian, true colour */
	pf[4] = 32;
	pf[5] = 24;
	pf[7] = 1;
	put16(pf + 8, 255);
	put16(pf + 10, 255);
	put16(pf + 12, 255);
	pf[14] = 16;
	pf[15] = 8;
	if (send_all(h, pf, 20))
		return -1;
	return send_encodings(h, encs, nencs);
}

/* One server message; updates are read and counted, their pixels
 * dropped (Raw and ZRLE are all this client asks for). */
static int read_message(struct hostile *h)
{
	uint8_t type, hdr[16];

	if (read_all(h, &type, 1))
		return -1;
	switch (type) {
	case 0: {
		unsigned nrects;

		if (read_all(h, hdr, 3))
			return -1;
		nrects = be16(hdr + 1);
		for (unsigned i = 0; i < nrects; i++) {
			uint8_t r[12];
			int32_t enc;
			size_t w, hh;

			if (read_all(h, r, 12))
				return -1;
			w = be16(r + 4);
			hh = be16(r + 6);
			enc = (int32_t)be32(r + 8);
			if (enc == ENC_RAW) {
				if (skip(h, w * hh * 4))
					return -1;
			} else if (enc == ENC_ZRLE) {
				if (read_all(h, hdr, 4) || skip(h, be32(hdr)))
					return -1;
			} else if (enc == -224) {	/* LastRect */
				break;
			} else if (enc != -223) {	/* DesktopSize */
				fprintf(stderr, "unexpected encoding %d\n",
					enc);
				return -1;
			}
		}
		h->updates++;
		return 0;
	}
	case 2:		/* Bell */
		return 0;
	case 3: {	/* ServerCutText, classic or extended */
		int32_t len;

		if (read_all(h, hdr, 7))
			return -1;
		len = (int32_t)be32(hdr + 3);
		return skip(h, len < 0 ? (size_t)-(int64_t)len : (size_t)len);
	}
	case 150:	/* EndOfContinuousUpdates */
		return 0;
	case 248: {	/* ServerFence */
		uint8_t payload[64];
		uint32_t flags;

		if (read_all(h, hdr, 8) || hdr[7] > 64 ||
		    read_all(h, payload, hdr[7]))
			return -1;
		flags = be32(hdr + 3);
		if (flags & FENCE_REQUEST) {
			/* answer the server's own fences as a viewer does */
			uint8_t msg[9 + 64] = { 248 };

			put32(msg + 4, flags & ~FENCE_REQUEST);
			msg[8] = hdr[7];
			memcpy(msg + 9, payload, hdr[7]);
			return send_all(h, msg, 9 + (size_t)hdr[7]);
		}
		if (hdr[7] == 1 && h->nfences < sizeof(h->fences) - 1)
			h->fences[h->nfences++] = (char)payload[0];
		return 0;
	}
	default:
		fprintf(stderr, "unexpected message type %u\n", type);
		return -1;
	}
}

/* Send a 1x1 non-incremental request and read until its update: the
 * server has then processed everything sent before it. */
static int round_trip(struct hostile *h)
{
	unsigned long before = h->updates;

	if (send_request(h, false, 0, 0, 1, 1))
		return -1;
	while (h->updates == before)
		if (read_message(h))
			return -1;
	return 0;
}

/* Hold the connection without reading until stdin closes. */
static void hold(void)
{
	char buf[256];

	while (read(0, buf, sizeof(buf)) > 0)
		;
}

static int mode_sectype(struct hostile *h, int type)
{
	uint8_t types[255], n, res[4], len[4];
	char reason[256] = "";
	uint8_t t = (uint8_t)type;

	if (start_handshake(h, types, &n)) {
		out("fail no security types\n");
		return 3;
	}
	if (send_all(h, &t, 1) || read_all(h, res, 4)) {
		out("fail closed without a security result\n");
		return 1;
	}
	if (be32(res) != 1) {
		out("fail security result %u\n", be32(res));
		return 1;
	}
	if (read_all(h, len, 4) || be32(len) >= sizeof(reason) ||
	    read_all(h, reason, be32(len))) {
		out("fail no failure reason\n");
		return 1;
	}
	out("ok reason %s\n", reason);
	return 0;
}

static int mode_fences(struct hostile *h)
{
	static const int32_t encs[] = { ENC_RAW, ENC_FENCE };
	uint8_t msg[2 * 10];

	if (handshake(h, encs, 2) || round_trip(h))
		return 3;
	/* two SyncNext requests with payloads "A" and "B", one write */
	for (int i = 0; i < 2; i++) {
		uint8_t *m = msg + 10 * i;

		memset(m, 0, 10);
		m[0] = 248;
		put32(m + 4, FENCE_REQUEST | FENCE_SYNC_NEXT);
		m[8] = 1;
		m[9] = (uint8_t)('A' + i);
	}
	if (send_all(h, msg, sizeof(msg)) || round_trip(h))
		return 3;
	/* the answer to B follows the message after it: one more */
	if (round_trip(h))
		return 3;
	h->fences[h->nfences] = '\0';
	if (strcmp(h->fences, "AB")) {
		out("fail fences answered: \"%s\"\n", h->fences);
		return 1;
	}
	out("ok fences %s\n", h->fences);
	return 0;
}

static int mode_pointer_flood(struct hostile *h, long n, int x, int y)
{
	static const int32_t encs[] = { ENC_RAW };
	uint8_t *msg = malloc((size_t)n * 6);

	if (!msg || handshake(h, encs, 1) || round_trip(h))
		return 3;
	for (long i = 0; i < n; i++) {
		uint8_t *m = msg + 6 * i;
		bool last = i == n - 1;

		m[0] = 5;
		m[1] = 0;
		put16(m + 2, (uint16_t)(last ? x : 1 + i % 400));
		put16(m + 4, (uint16_t)(last ? y : 1 + i / 400 % 300));
	}
	if (send_all(h, msg, (size_t)n * 6) || round_trip(h))
		return 3;
	free(msg);
	out("ok pointer %ld\n", n);
	return 0;
}

static int send_ext_clip(struct hostile *h, uint32_t flags,
			 const uint8_t *payload, size_t len)
{
	uint8_t hdr[12] = { 6 };

	put32(hdr + 4, (uint32_t)-(int32_t)(4 + len));
	put32(hdr + 8, flags);
	if (send_all(h, hdr, sizeof(hdr)))
		return -1;
	return len ? send_all(h, payload, len) : 0;
}

static int mode_clip_requests(struct hostile *h, long n, uint32_t max)
{
	static const int32_t encs[] = { ENC_RAW, ENC_EXT_CLIP };
	uint8_t size[4], *burst = calloc((size_t)n, 12);

	if (!burst || handshake(h, encs, 2))
		return 3;
	put32(size, max);
	if (send_ext_clip(h, CLIP_CAPS | CLIP_TEXT | CLIP_REQUEST |
				     CLIP_PEEK | CLIP_NOTIFY | CLIP_PROVIDE,
			  size, 4))
		return 3;
	for (long i = 0; i < n; i++) {
		uint8_t *m = burst + 12 * i;

		m[0] = 6;
		put32(m + 4, (uint32_t)-4);
		put32(m + 8, CLIP_REQUEST | CLIP_TEXT);
	}
	if (send_all(h, burst, 12 * (size_t)n))
		return 3;
	free(burst);
	out("ok requests %ld\n", n);
	hold();
	return 0;
}

static int mode_clip_provide(struct hostile *h, long n, long mb,
			     const char *text)
{
	static const int32_t encs[] = { ENC_RAW, ENC_EXT_CLIP };
	size_t tlen = strlen(text) + 1, plen = 4 + tlen + ((size_t)mb << 20);
	uint8_t *plain = calloc(1, plen), *z;
	uLongf zlen = compressBound(plen);

	z = malloc(zlen);
	if (!plain || !z)
		return 3;
	put32(plain, (uint32_t)tlen);
	memcpy(plain + 4, text, tlen);
	if (compress2(z, &zlen, plain, plen, 9) != Z_OK)
		return 3;
	if (handshake(h, encs, 2) || round_trip(h))
		return 3;
	for (long i = 0; i < n; i++)
		if (send_ext_clip(h, CLIP_PROVIDE | CLIP_TEXT, z, zlen))
			return 3;
	if (round_trip(h))
		return 3;
	out("ok provided %ld of %lu bytes\n", n, (unsigned long)zlen);
	free(plain);
	free(z);
	return 0;
}

static int mode_stall(struct hostile *h, bool ext)
{
	static const int32_t encs[] = { ENC_RAW, ENC_EXT_CLIP };

	if (handshake(h, encs, ext ? 2 : 1) ||
	    send_request(h, false, 0, 0, h->width, h->height))
		return 3;
	out("ok stalled\n");
	hold();
	return 0;
}

static int mode_full_refresh(struct hostile *h, int seconds)
{
	static const int32_t encs[] = { ENC_ZRLE };
	uint64_t end;
	unsigned long before;

	if (handshake(h, encs, 1))
		return 3;
	end = now_ms() + (uint64_t)seconds * 1000;
	before = h->updates;
	while (now_ms() < end) {
		unsigned long n = h->updates;

		if (send_request(h, false, 0, 0, h->width, h->height))
			return 3;
		while (h->updates == n)
			if (read_message(h))
				return 3;
	}
	out("ok full-updates %lu in %d s\n", h->updates - before, seconds);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: rfb-hostile [--rcvbuf N] [--timeout-ms N] "
			"HOST:PORT MODE [ARG]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct hostile h = { .fd = -1, .timeout_ms = HOSTILE_TIMEOUT_MS };
	const char *mode;
	int rcvbuf = 0, i = 1, r;

	for (; i + 1 < argc && !strncmp(argv[i], "--", 2); i += 2) {
		if (!strcmp(argv[i], "--rcvbuf"))
			rcvbuf = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--timeout-ms"))
			h.timeout_ms = atoi(argv[i + 1]);
		else
			return usage();
	}
	if (argc - i < 2)
		return usage();
	mode = argv[i + 1];
	if (connect_to(&h, argv[i], rcvbuf)) {
		out("fail cannot connect to %s\n", argv[i]);
		return 3;
	}
	argv += i + 2;
	argc -= i + 2;
	if (!strcmp(mode, "sectype") && argc == 1)
		r = mode_sectype(&h, atoi(argv[0]));
	else if (!strcmp(mode, "fences") && argc == 0)
		r = mode_fences(&h);
	else if (!strcmp(mode, "pointer-flood") && argc == 3)
		r = mode_pointer_flood(&h, atol(argv[0]), atoi(argv[1]),
				       atoi(argv[2]));
	else if (!strcmp(mode, "clip-requests") && (argc == 1 || argc == 2))
		r = mode_clip_requests(&h, atol(argv[0]),
				       argc == 2 ? (uint32_t)strtoul(argv[1],
								     NULL, 0)
						 : 0x100000u);
	else if (!strcmp(mode, "clip-provide") && argc == 3)
		r = mode_clip_provide(&h, atol(argv[0]), atol(argv[1]),
				      argv[2]);
	else if (!strcmp(mode, "stall") && argc <= 1)
		r = mode_stall(&h, argc == 1 && !strcmp(argv[0], "ext"));
	else if (!strcmp(mode, "full-refresh") && argc == 1)
		r = mode_full_refresh(&h, atoi(argv[0]));
	else
		return usage();
	if (r == 3)
		out("fail connection lost or refused in %s\n", mode);
	close(h.fd);
	return r;
}
