/* SPDX-License-Identifier: MIT */
/*
 * rfb-storm: many short malformed RFB sessions against one server, many
 * at a time, for tests/integration/hostile-sessions.sh. Written from the
 * specification (RFC 6143); the server must offer security type None to
 * the storm's addresses (loopback). Session i is of kind i % 14 (below),
 * except every 500th, which connects and says nothing until the server
 * gives up on it (its handshake timeout). Sessions come from the source
 * addresses 127.0.0.2, 127.0.0.3, ... (--sources K of them, in turn), so
 * that a server's per-address cap on connections waiting to authenticate
 * sees K addresses, none of them the good viewer's 127.0.0.1.
 *
 *   rfb-storm [--sessions N] [--concurrency C] [--sources K]
 *             [--timeout-ms T] [--kind NAME] HOST:PORT
 *
 * --kind runs sessions of that kind only.
 *
 * Kinds (what the session sends; "the handshake" is version 3.8, None,
 * ClientInit, up to the end of ServerInit):
 *   trunc-version    half a ProtocolVersion, then closes
 *   bad-version      "RFB 003.00x\n": the server must close
 *   early-garbage    48 bytes before reading anything: the server closes
 *   bad-sectype      security type 99 (not offered): the server closes
 *   no-clientinit    the security type, then closes before ClientInit
 *   huge-cut         the handshake, a ClientCutText announcing 2 GiB
 *                    with 1,000 bytes of it, then closes
 *   trunc-encodings  the handshake, SetEncodings announcing 65,535
 *                    encodings with 10 of them, then closes
 *   bad-format       the handshake, SetPixelFormat with 13 bits per
 *                    pixel: the server closes
 *   unknown-message  the handshake, message type 0xEE: the server closes
 *   pipelined        the whole viewer's side (up to an update request)
 *                    in one write before reading anything, then reads up
 *                    to the update's header and closes
 *   request-first    an update request and ClientInit where
 *                    ProtocolVersion belongs: the server closes
 *   slow             the handshake and an update request one byte at a
 *                    time, 2 ms apart, reads the update's header, closes
 *   trunc-key        the handshake, half a KeyEvent, then closes
 *   half-close       the handshake, then shuts down its sending side:
 *                    the server must close
 *
 * No session sends a complete KeyEvent or PointerEvent: the storm must not
 * type into the desktop the test watches.
 *
 * Prints one line per kind ("kind NAME sessions N done D server-closed S
 * refused R"; refused: closed before the whole ProtocolVersion came),
 * then "ok sessions N done D server-closed S refused R in MS ms", or
 * "fail ..." if a session made no progress within --timeout-ms (the
 * server hung) or could not connect. Exit: 0 ok, 1 fail, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tool-util.h"

#define STORM_MAX_CONCURRENCY 1024
#define STORM_SILENT_EVERY 500

enum op {
	OP_READ,	/* @n more bytes from the server */
	OP_READ_TYPES,	/* the security types list of 3.7/3.8 */
	OP_READ_INIT,	/* ServerInit, with its name */
	OP_SEND,	/* @d, @n bytes, in one write */
	OP_SEND_SLOW,	/* @d, one byte every @n ms */
	OP_SHUT,	/* shutdown(SHUT_WR) */
	OP_WAIT_CLOSE,	/* until the server closes */
	OP_END,		/* we close */
};

struct step {
	enum op op;
	const uint8_t *d;
	size_t n;
	unsigned ms;	/* OP_SEND_SLOW */
};

#define STEP(o, data) { o, (const uint8_t *)(data), sizeof(data) - 1, 0 }
#define SLOW(data, ms) \
	{ OP_SEND_SLOW, (const uint8_t *)(data), sizeof(data) - 1, ms }
#define READ(n) { OP_READ, NULL, n, 0 }
#define OP(o) { o, NULL, 0, 0 }

#define V38 "RFB 003.008\n"
/* ClientInit, shared */
#define CLIENT_INIT "\x01"
/* FramebufferUpdateRequest, 64x64 at the origin */
#define FBUR "\x03\x00\x00\x00\x00\x00\x00\x40\x00\x40"
#define HANDSHAKE READ(12), STEP(OP_SEND, V38), OP(OP_READ_TYPES), \
	STEP(OP_SEND, "\x01"), READ(4), STEP(OP_SEND, CLIENT_INIT), \
	OP(OP_READ_INIT)

static const struct step k_trunc_version[] = {
	READ(12), STEP(OP_SEND, "RFB 003."), OP(OP_END),
};
static const struct step k_bad_version[] = {
	READ(12), STEP(OP_SEND, "RFB 003.00x\n"), OP(OP_WAIT_CLOSE),
};
static const struct step k_early_garbage[] = {
	STEP(OP_SEND, "GET / HTTP/1.0\r\n\xff\xfe\x00\x01garbage garbage "
		      "garbage\r\n\r\n"),
	OP(OP_WAIT_CLOSE),
};
static const struct step k_bad_sectype[] = {
	READ(12), STEP(OP_SEND, V38), OP(OP_READ_TYPES), STEP(OP_SEND, "\x63"),
	OP(OP_WAIT_CLOSE),
};
static const struct step k_no_clientinit[] = {
	READ(12), STEP(OP_SEND, V38), OP(OP_READ_TYPES), STEP(OP_SEND, "\x01"),
	READ(4), OP(OP_END),
};
static uint8_t huge_cut[8 + 1000] = { 6, 0, 0, 0, 0x7f, 0xff, 0xff, 0xf0 };
static const struct step k_huge_cut[] = {
	HANDSHAKE, { OP_SEND, huge_cut, sizeof(huge_cut), 0 }, OP(OP_END),
};
static const struct step k_trunc_encodings[] = {
	HANDSHAKE,
	STEP(OP_SEND, "\x02\x00\xff\xff" "\x00\x00\x00\x00\x00\x00\x00\x01"
		      "\x00\x00\x00\x05\x00\x00\x00\x10\xff\xff\xff\x21"
		      "\xff\xff\xfe\xcc\xc0\xa1\xe5\xce\x00\x00\x00\x07"
		      "\x00\x00\x00\x06\xff\xff\xfe\xc8"),
	OP(OP_END),
};
static const struct step k_bad_format[] = {
	HANDSHAKE,
	STEP(OP_SEND, "\x00\x00\x00\x00" "\x0d\x0d\x00\x01\x00\xff\x00\xff"
		      "\x00\xff\x10\x08\x00\x00\x00\x00"),
	OP(OP_WAIT_CLOSE),
};
static const struct step k_unknown_message[] = {
	HANDSHAKE, STEP(OP_SEND, "\xee\x00\x00\x00\x00\x00\x00\x00"),
	OP(OP_WAIT_CLOSE),
};
static const struct step k_pipelined[] = {
	STEP(OP_SEND, V38 "\x01" CLIENT_INIT
		      "\x02\x00\x00\x01\x00\x00\x00\x00" FBUR),
	READ(12), OP(OP_READ_TYPES), READ(4), OP(OP_READ_INIT), READ(4),
	OP(OP_END),
};
static const struct step k_request_first[] = {
	READ(12), STEP(OP_SEND, FBUR "\x01\x01"), OP(OP_WAIT_CLOSE),
};
static const struct step k_slow[] = {
	READ(12), SLOW(V38, 2), OP(OP_READ_TYPES), STEP(OP_SEND, "\x01"),
	READ(4), STEP(OP_SEND, CLIENT_INIT), OP(OP_READ_INIT), SLOW(FBUR, 2),
	READ(4), OP(OP_END),
};
static const struct step k_trunc_key[] = {
	HANDSHAKE, STEP(OP_SEND, "\x04\x01\x00\x00"), OP(OP_END),
};
static const struct step k_half_close[] = {
	HANDSHAKE, OP(OP_SHUT), OP(OP_WAIT_CLOSE),
};
static const struct step k_silent[] = {
	OP(OP_WAIT_CLOSE),
};

#define KIND(name, steps) { name, steps, sizeof(steps) / sizeof(steps[0]) }

static const struct kind {
	const char *name;
	const struct step *steps;
	size_t nsteps;
} kinds[] = {
	KIND("trunc-version", k_trunc_version),
	KIND("bad-version", k_bad_version),
	KIND("early-garbage", k_early_garbage),
	KIND("bad-sectype", k_bad_sectype),
	KIND("no-clientinit", k_no_clientinit),
	KIND("huge-cut", k_huge_cut),
	KIND("trunc-encodings", k_trunc_encodings),
	KIND("bad-format", k_bad_format),
	KIND("unknown-message", k_unknown_message),
	KIND("pipelined", k_pipelined),
	KIND("request-first", k_request_first),
	KIND("slow", k_slow),
	KIND("trunc-key", k_trunc_key),
	KIND("half-close", k_half_close),
	KIND("silent", k_silent),
};
#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))
#define KIND_SILENT (NKINDS - 1)

struct count {
	unsigned long sessions, done, server_closed, refused;
};

struct session {
	int fd;			/* -1: free slot */
	unsigned kind;
	size_t step;
	size_t want;		/* bytes still to read for this step */
	size_t sent;		/* bytes of this step sent */
	uint64_t received;	/* bytes from the server in all */
	uint8_t hdr[24];	/* the start of what this step reads */
	size_t hdr_len;
	uint64_t next_ms;	/* OP_SEND_SLOW: when the next byte goes */
	uint64_t progress_ms;	/* last progress */
	int sub;		/* the step's own state */
};

static struct count counts[NKINDS];
static unsigned long timeouts, connect_errors;

static void finish(struct session *s, bool by_server)
{
	struct count *c = &counts[s->kind];

	if (by_server && s->received < 12)
		c->refused++;
	else if (by_server)
		c->server_closed++;
	else
		c->done++;
	close(s->fd);
	s->fd = -1;
}

static int storm_connect(const struct sockaddr_in *to, unsigned source)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);

	if (fd < 0)
		return -1;
	from.sin_addr.s_addr = htonl(0x7f000002u + source);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0 ||
	    (connect(fd, (const struct sockaddr *)to, sizeof(*to)) < 0 &&
	     errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Enter step @s->step: set up what it waits for. */
static void enter(struct session *s)
{
	const struct step *st = &kinds[s->kind].steps[s->step];

	s->sent = 0;
	s->hdr_len = 0;
	s->sub = 0;
	s->want = st->op == OP_READ ? st->n :
		  st->op == OP_READ_TYPES ? 1 :
		  st->op == OP_READ_INIT ? 24 : 0;
}

/* Read what the server sent; false when the session ended. */
static bool on_readable(struct session *s)
{
	const struct step *st = &kinds[s->kind].steps[s->step];
	uint8_t buf[16384];
	bool reading = st->op != OP_WAIT_CLOSE;
	size_t max = sizeof(buf);
	ssize_t n;

	if (reading && s->want < max)
		max = s->want;	/* not a byte of the next step's */
	if (!max)
		return true;
	n = recv(s->fd, buf, max, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		finish(s, true);
		return false;
	}
	if (n < 0)
		return true;
	s->received += (uint64_t)n;
	s->progress_ms = now_ms();
	if (!reading)
		return true;	/* dropped until the server closes */
	for (ssize_t i = 0; i < n && s->hdr_len < sizeof(s->hdr); i++)
		s->hdr[s->hdr_len++] = buf[i];
	s->want -= (size_t)n;
	if (s->want)
		return true;
	if (st->op == OP_READ_TYPES && s->sub == 0) {
		s->sub = 1;
		s->want = s->hdr[0];	/* 0: a refusal, its reason follows */
		if (!s->want)
			s->want = 1;
	} else if (st->op == OP_READ_INIT && s->sub == 0) {
		s->sub = 1;
		s->want = (size_t)s->hdr[20] << 24 | (size_t)s->hdr[21] << 16 |
			  (size_t)s->hdr[22] << 8 | s->hdr[23];
	}
	return true;
}

/* Run the session's steps as far as they go; false when it ended. */
static bool advance(struct session *s)
{
	const struct kind *k = &kinds[s->kind];

	while (s->step < k->nsteps) {
		const struct step *st = &k->steps[s->step];
		ssize_t n;

		switch (st->op) {
		case OP_READ:
		case OP_READ_TYPES:
		case OP_READ_INIT:
			if (s->want)
				return true;
			break;
		case OP_SEND:
			n = send(s->fd, st->d + s->sent, st->n - s->sent,
				 MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return true;
			if (n < 0) {
				finish(s, true);
				return false;
			}
			s->sent += (size_t)n;
			if (s->sent < st->n)
				return true;
			break;
		case OP_SEND_SLOW:
			if (s->sent == st->n)
				break;
			if (now_ms() < s->next_ms)
				return true;
			n = send(s->fd, st->d + s->sent, 1, MSG_NOSIGNAL);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return true;
			if (n < 0) {
				finish(s, true);
				return false;
			}
			s->sent++;
			s->next_ms = now_ms() + st->ms;
			s->progress_ms = now_ms();
			continue;
		case OP_SHUT:
			shutdown(s->fd, SHUT_WR);
			break;
		case OP_WAIT_CLOSE:
			return true;
		case OP_END:
			finish(s, false);
			return false;
		}
		s->step++;
		s->progress_ms = now_ms();
		if (s->step < k->nsteps)
			enter(s);
	}
	finish(s, false);
	return false;
}

/* Whether the server's bytes are read now: in the steps that wait for
 * them; in the others they stay queued for the next such step. */
static bool wants_read(const struct session *s)
{
	enum op op = kinds[s->kind].steps[s->step].op;

	return op == OP_READ || op == OP_READ_TYPES || op == OP_READ_INIT ||
	       op == OP_WAIT_CLOSE;
}

static bool wants_write(const struct session *s)
{
	const struct step *st = &kinds[s->kind].steps[s->step];

	return st->op == OP_SEND ||
	       (st->op == OP_SEND_SLOW && now_ms() >= s->next_ms);
}

static void usage(void)
{
	fprintf(stderr, "usage: rfb-storm [--sessions N] [--concurrency C] "
			"[--sources K] [--timeout-ms T] [--kind NAME] "
			"HOST:PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static struct session ss[STORM_MAX_CONCURRENCY];
	static struct pollfd pfd[STORM_MAX_CONCURRENCY];
	unsigned long nsessions = 10000, started = 0, active = 0;
	unsigned conc = 64, sources = 8, timeout_ms = 20000;
	struct sockaddr_in to = { .sin_family = AF_INET };
	const char *addr = NULL, *only = NULL;
	int only_kind = -1;
	struct count total = { 0 };
	uint64_t t0;
	char *colon;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sessions") && i + 1 < argc)
			nsessions = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--concurrency") && i + 1 < argc)
			conc = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--sources") && i + 1 < argc)
			sources = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--timeout-ms") && i + 1 < argc)
			timeout_ms = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--kind") && i + 1 < argc)
			only = argv[++i];
		else if (argv[i][0] != '-' && !addr)
			addr = argv[i];
		else
			usage();
	}
	if (!addr || !conc || conc > STORM_MAX_CONCURRENCY || !sources ||
	    sources > 250)
		usage();
	for (size_t k = 0; only && k < NKINDS; k++)
		if (!strcmp(kinds[k].name, only))
			only_kind = (int)k;
	if (only && only_kind < 0)
		usage();
	colon = strrchr(addr, ':');
	if (!colon)
		usage();
	*colon = '\0';
	if (inet_pton(AF_INET, addr, &to.sin_addr) != 1)
		usage();
	to.sin_port = htons((uint16_t)atoi(colon + 1));
	for (size_t j = 8; j < sizeof(huge_cut); j++)
		huge_cut[j] = (uint8_t)('a' + j % 26);

	for (unsigned j = 0; j < conc; j++)
		ss[j].fd = -1;
	t0 = now_ms();
	while (started < nsessions || active) {
		unsigned np = 0;
		uint64_t now = now_ms();
		int wait = 50;

		for (unsigned j = 0; j < conc; j++) {
			struct session *s = &ss[j];

			if (s->fd < 0 && started < nsessions) {
				unsigned long n = started++;

				memset(s, 0, sizeof(*s));
				s->kind = n % STORM_SILENT_EVERY ==
						  STORM_SILENT_EVERY - 1 ?
					  KIND_SILENT : n % (NKINDS - 1);
				if (only_kind >= 0)
					s->kind = (unsigned)only_kind;
				counts[s->kind].sessions++;
				s->fd = storm_connect(&to, n % sources);
				if (s->fd < 0) {
					connect_errors++;
					continue;
				}
				s->progress_ms = now;
				active++;
				enter(s);
				if (!advance(s)) {
					active--;
					continue;
				}
			}
			if (s->fd < 0)
				continue;
			if (now > s->progress_ms &&
			    now - s->progress_ms > timeout_ms) {
				fprintf(stderr, "rfb-storm: %s session stuck "
						"at step %zu\n",
					kinds[s->kind].name, s->step);
				timeouts++;
				close(s->fd);
				s->fd = -1;
				active--;
				continue;
			}
			if (kinds[s->kind].steps[s->step].op == OP_SEND_SLOW &&
			    s->next_ms > now && s->next_ms - now < (uint64_t)wait)
				wait = (int)(s->next_ms - now);
			pfd[np].fd = s->fd;
			pfd[np].events = (wants_read(s) ? POLLIN : 0) |
					 (wants_write(s) ? POLLOUT : 0);
			pfd[np].revents = 0;
			np++;
		}
		if (!np)
			continue;
		if (poll(pfd, np, wait) < 0 && errno != EINTR) {
			perror("rfb-storm: poll");
			return 1;
		}
		/* pfd[] follows ss[] in order, skipping free slots */
		np = 0;
		for (unsigned j = 0; j < conc; j++) {
			struct session *s = &ss[j];
			short ev;

			if (s->fd < 0 || pfd[np].fd != s->fd)
				continue;
			ev = pfd[np++].revents;
			if ((ev & (POLLIN | POLLHUP | POLLERR)) &&
			    wants_read(s) && !on_readable(s)) {
				active--;
				continue;
			}
			if ((ev & (POLLHUP | POLLERR)) && !wants_read(s) &&
			    !wants_write(s)) {
				finish(s, true);
				active--;
				continue;
			}
			if (!advance(s))
				active--;
		}
	}

	for (size_t k = 0; k < NKINDS; k++) {
		struct count *c = &counts[k];

		printf("kind %s sessions %lu done %lu server-closed %lu "
		       "refused %lu\n", kinds[k].name, c->sessions, c->done,
		       c->server_closed, c->refused);
		total.sessions += c->sessions;
		total.done += c->done;
		total.server_closed += c->server_closed;
		total.refused += c->refused;
	}
	printf("%s sessions %lu done %lu server-closed %lu refused %lu "
	       "stuck %lu connect-errors %lu in %llu ms\n",
	       timeouts || connect_errors ? "fail" : "ok", total.sessions,
	       total.done, total.server_closed, total.refused, timeouts,
	       connect_errors, (unsigned long long)(now_ms() - t0));
	return timeouts || connect_errors ? 1 : 0;
}
