/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the test tools and the benchmark programs: a
 * monotonic clock, two hashes, command lines in and line-buffered output
 * for tools driven line by line by the tests, and a TCP connection to the
 * server under test. */
#ifndef XRFB_TOOL_UTIL_H
#define XRFB_TOOL_UTIL_H

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#ifndef _LINUX_TCP_H	/* a tool may need the kernel's struct tcp_info */
#include <netinet/tcp.h>
#endif
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* The monotonic clock: nanoseconds, whole milliseconds, and milliseconds
 * with their fraction (for timings finer than 1 ms). */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static inline uint64_t now_ms(void)
{
	return now_ns() / 1000000;
}

static inline double now_ms_f(void)
{
	return (double)now_ns() / 1e6;
}

/* 64-bit FNV-1a over @n bytes, continuing from @h: TOOL_FNV1A_INIT to
 * start a hash. */
#define TOOL_FNV1A_INIT 1469598103934665603ull

static inline uint64_t tool_fnv1a(uint64_t h, const void *data, size_t n)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* Two 32-bit values mixed into one, for reproducible pseudo-random
 * content. */
static inline uint32_t tool_hash2(uint32_t a, uint32_t b)
{
	uint32_t h = a * 0x9e3779b1u ^ b * 0x85ebca77u;

	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 12;
	return h;
}

/* printf to stdout, flushed at once (the tests read it as it comes). */
static inline void out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* Command lines arriving on a descriptor, a few at a time. */
struct tool_lines {
	char buf[8192];
	size_t have;
};

/* Take the next complete line (without its newline) into @line, which
 * has room for sizeof(struct tool_lines) bytes; false if none is
 * complete yet. */
static inline bool tool_line_take(struct tool_lines *l, char *line)
{
	char *nl = memchr(l->buf, '\n', l->have);
	size_t len;

	if (!nl)
		return false;
	len = (size_t)(nl - l->buf);
	memcpy(line, l->buf, len);
	line[len] = '\0';
	memmove(l->buf, nl + 1, l->have - len - 1);
	l->have -= len + 1;
	return true;
}

/* Read what @fd has; false at its end. A line longer than the buffer is
 * dropped. */
static inline bool tool_lines_read(struct tool_lines *l, int fd)
{
	ssize_t r = read(fd, l->buf + l->have, sizeof(l->buf) - 1 - l->have);

	if (r <= 0)
		return false;
	l->have += (size_t)r;
	if (l->have == sizeof(l->buf) - 1 && !memchr(l->buf, '\n', l->have))
		l->have = 0;
	return true;
}

/* A TCP connection to @host ("" for 127.0.0.1) port @port, with
 * TCP_NODELAY; -1 on failure. */
static inline int tool_connect(const char *host, const char *port)
{
	struct addrinfo hints = { 0 }, *res, *ai;
	int fd = -1, one = 1;

	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host[0] ? host : "127.0.0.1", port, &hints, &res))
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0)
			continue;
		/* TOOL_SOURCE: connect from this IPv4 address (127.0.0.2
		 * is another host to the server, on loopback). */
		if (getenv("TOOL_SOURCE") && ai->ai_family == AF_INET) {
			struct sockaddr_in src = { .sin_family = AF_INET };

			if (inet_pton(AF_INET, getenv("TOOL_SOURCE"),
				      &src.sin_addr) != 1 ||
			    bind(fd, (struct sockaddr *)&src,
				 sizeof(src)) < 0) {
				close(fd);
				fd = -1;
				break;
			}
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* The same for "HOST:PORT", "[V6]:PORT" or ":PORT". */
static inline int tool_connect_to(const char *arg)
{
	char host[256], *colon;

	snprintf(host, sizeof(host), "%s", arg[0] == '[' ? arg + 1 : arg);
	colon = strrchr(host, ':');
	if (!colon)
		return -1;
	*colon = '\0';
	if (colon > host && colon[-1] == ']')
		colon[-1] = '\0';
	return tool_connect(host, colon + 1);
}

#endif
