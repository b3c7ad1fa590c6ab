/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the test tools: a monotonic clock and
 * line-buffered output for tools driven line by line by the tests. */
#ifndef XRFB_TOOL_UTIL_H
#define XRFB_TOOL_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
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

#endif
