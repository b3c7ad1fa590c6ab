/* SPDX-License-Identifier: MIT */
/*
 * throttle-proxy: a TCP relay that behaves like a slow link, for testing
 * how a VNC server copes with one. It listens on a loopback port the
 * kernel picks (printed as "port N" on stdout), and relays each
 * connection to HOST:PORT. Data towards the client (the viewer) leaves at
 * most RATE bytes per second, after a fixed one-way DELAY; the relay holds
 * at most QUEUE bytes of it, so, as at the bottleneck of a real link,
 * anything more stays in the sender's socket buffers. Data towards the
 * server passes at once.
 *
 *   throttle-proxy [--rate BYTES_PER_S] [--delay-ms MS] [--queue BYTES]
 *                  HOST:PORT
 *
 * On SIGUSR1 and on SIGTERM (then it exits) it prints "stats down BYTES up BYTES" (totals
 * over all connections). Defaults: 125000 B/s (1 Mbit/s), 20 ms, 32 KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tool-util.h"

#define PROXY_MAX_CONN 8
/* Each chunk read from the server is stamped with its arrival time and
 * may leave only DELAY later. */
#define PROXY_MAX_CHUNKS 4096

struct chunk {
	uint64_t due_us;
	size_t len, off;
	uint8_t *data;
};

struct conn {
	int client, server;	/* -1: slot free */
	struct chunk chunks[PROXY_MAX_CHUNKS];
	unsigned head, count;
	size_t queued;		/* bytes in chunks */
	uint8_t up[65536];	/* client -> server, unthrottled */
	size_t up_len;
	bool server_eof;
};

static struct conn conns[PROXY_MAX_CONN];
static uint64_t rate = 125000, delay_us = 20000, queue_max = 32768;
static double tokens;
static uint64_t last_refill_us;
static unsigned long long total_down, total_up;
static volatile sig_atomic_t want_stats, want_exit;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void on_usr1(int sig)
{
	want_stats = 1;
}

static void on_term(int sig)
{
	want_exit = 1;
}

static void print_stats(void)
{
	printf("stats down %llu up %llu\n", total_down, total_up);
	fflush(stdout);
}

static int connect_server(const char *host, const char *port)
{
	int fd = tool_connect(host, port);

	if (fd >= 0)
		fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void conn_close(struct conn *c)
{
	while (c->count) {
		free(c->chunks[c->head].data);
		c->head = (c->head + 1) % PROXY_MAX_CHUNKS;
		c->count--;
	}
	if (c->client >= 0)
		close(c->client);
	if (c->server >= 0)
		close(c->server);
	memset(c, 0, sizeof(*c));
	c->client = c->server = -1;
}

static void refill(uint64_t now)
{
	tokens += (double)(now - last_refill_us) * (double)rate / 1e6;
	/* a burst of at most 10 ms worth */
	if (tokens > (double)rate / 100 + 1500)
		tokens = (double)rate / 100 + 1500;
	last_refill_us = now;
}

/* Send what is due and allowed; returns microseconds until more can go,
 * or -1 if nothing waits. */
static int64_t drain_down(struct conn *c, uint64_t now)
{
	while (c->count) {
		struct chunk *ch = &c->chunks[c->head];
		size_t n = ch->len - ch->off;
		ssize_t w;

		if (ch->due_us > now)
			return (int64_t)(ch->due_us - now);
		if (tokens < 1)
			return (int64_t)(1e6 / (double)rate * 1500) + 1;
		if ((double)n > tokens)
			n = (size_t)tokens;
		w = send(c->client, ch->data + ch->off, n,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1000;
			return -2;
		}
		tokens -= (double)w;
		total_down += (unsigned long long)w;
		ch->off += (size_t)w;
		c->queued -= (size_t)w;
		if (ch->off == ch->len) {
			free(ch->data);
			c->head = (c->head + 1) % PROXY_MAX_CHUNKS;
			c->count--;
		}
	}
	return -1;
}

static int read_down(struct conn *c, uint64_t now)
{
	uint8_t buf[16384];
	size_t room = queue_max > c->queued ? queue_max - c->queued : 0;
	struct chunk *ch;
	ssize_t r;

	if (room > sizeof(buf))
		room = sizeof(buf);
	if (!room || c->count == PROXY_MAX_CHUNKS)
		return 0;
	r = recv(c->server, buf, room, MSG_DONTWAIT);
	if (r == 0) {
		c->server_eof = true;
		return 0;
	}
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	ch = &c->chunks[(c->head + c->count) % PROXY_MAX_CHUNKS];
	ch->data = malloc((size_t)r);
	if (!ch->data)
		return -1;
	memcpy(ch->data, buf, (size_t)r);
	ch->len = (size_t)r;
	ch->off = 0;
	ch->due_us = now + delay_us;
	c->count++;
	c->queued += (size_t)r;
	return 0;
}

static int relay_up(struct conn *c, bool readable)
{
	ssize_t r;

	if (readable && c->up_len < sizeof(c->up)) {
		r = recv(c->client, c->up + c->up_len,
			 sizeof(c->up) - c->up_len, MSG_DONTWAIT);
		if (r == 0)
			return -1;
		if (r > 0)
			c->up_len += (size_t)r;
		else if (errno != EAGAIN && errno != EINTR)
			return -1;
	}
	if (c->up_len) {
		r = send(c->server, c->up, c->up_len,
			 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		total_up += (unsigned long long)r;
		memmove(c->up, c->up + r, c->up_len - (size_t)r);
		c->up_len -= (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char host[256], *colon, *target = NULL;
	int lfd, one = 1, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rate") && i + 1 < argc)
			rate = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--delay-ms") && i + 1 < argc)
			delay_us = strtoull(argv[++i], NULL, 10) * 1000;
		else if (!strcmp(argv[i], "--queue") && i + 1 < argc)
			queue_max = strtoull(argv[++i], NULL, 10);
		else if (argv[i][0] != '-' && !target)
			target = argv[i];
		else
			target = NULL, i = argc;
	}
	if (!target || !(colon = strrchr(target, ':')) || !rate ||
	    (size_t)(colon - target) >= sizeof(host)) {
		fprintf(stderr, "usage: throttle-proxy [--rate B/s] "
				"[--delay-ms MS] [--queue BYTES] HOST:PORT\n");
		return 2;
	}
	memcpy(host, target, (size_t)(colon - target));
	host[colon - target] = '\0';
	signal(SIGUSR1, on_usr1);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i < PROXY_MAX_CONN; i++)
		conns[i].client = conns[i].server = -1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(lfd, 8) ||
	    getsockname(lfd, (struct sockaddr *)&sin, &len)) {
		perror("throttle-proxy");
		return 1;
	}
	printf("port %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	last_refill_us = now_us();

	for (;;) {
		struct pollfd pfd[1 + 2 * PROXY_MAX_CONN];
		int64_t wait_us = -1;
		uint64_t now = now_us();
		int n = 0, timeout;

		if (want_stats || want_exit) {
			want_stats = 0;
			print_stats();
			if (want_exit)
				return 0;
		}
		refill(now);
		for (i = 0; i < PROXY_MAX_CONN; i++) {
			struct conn *c = &conns[i];
			int64_t w;

			if (c->client < 0)
				continue;
			w = drain_down(c, now);
			if (w == -2 || (c->server_eof && !c->count)) {
				conn_close(c);
				continue;
			}
			if (w >= 0 && (wait_us < 0 || w < wait_us))
				wait_us = w;
		}
		pfd[n++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (i = 0; i < PROXY_MAX_CONN; i++) {
			struct conn *c = &conns[i];

			if (c->client < 0) {
				pfd[n++] = (struct pollfd){ .fd = -1 };
				pfd[n++] = (struct pollfd){ .fd = -1 };
				continue;
			}
			pfd[n++] = (struct pollfd){
				.fd = c->client,
				.events = (short)(c->up_len < sizeof(c->up)
							  ? POLLIN : 0),
			};
			pfd[n++] = (struct pollfd){
				.fd = c->server,
				.events = (short)((c->queued < queue_max &&
						   !c->server_eof ? POLLIN : 0) |
						  (c->up_len ? POLLOUT : 0)),
			};
		}
		timeout = wait_us < 0 ? 1000 : (int)((wait_us + 999) / 1000);
		if (poll(pfd, (nfds_t)n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		now = now_us();
		if (pfd[0].revents & POLLIN) {
			int cfd = accept(lfd, NULL, NULL);

			for (i = 0; cfd >= 0 && i < PROXY_MAX_CONN; i++) {
				if (conns[i].client >= 0)
					continue;
				conns[i].server = connect_server(host,
								 colon + 1);
				if (conns[i].server < 0)
					break;
				setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one,
					   sizeof(one));
				fcntl(cfd, F_SETFL, O_NONBLOCK);
				conns[i].client = cfd;
				cfd = -1;
			}
			if (cfd >= 0)
				close(cfd);
		}
		for (i = 0; i < PROXY_MAX_CONN; i++) {
			struct conn *c = &conns[i];
			struct pollfd *pc = &pfd[1 + 2 * i], *ps = pc + 1;

			if (c->client < 0 || pc->fd < 0)
				continue;
			if (relay_up(c, pc->revents & (POLLIN | POLLHUP |
						       POLLERR)) < 0 ||
			    (ps->revents & POLLIN && read_down(c, now) < 0)) {
				conn_close(c);
				continue;
			}
			if (ps->revents & (POLLHUP | POLLERR) &&
			    !(ps->revents & POLLIN))
				c->server_eof = true;
		}
	}
}
