/* SPDX-License-Identifier: MIT */
/*
 * Logging: each message goes to the sink in use on the calling thread
 * (a loop's, see xrfb_loop_set_log()): its callback, or one line on
 * stderr, "xrfb[level] file:line: text". Threads without a sink write to
 * stderr up to XRFB_LOG_INFO.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static struct log_sink log_default = { .level = XRFB_LOG_INFO };
static __thread const struct log_sink *log_current;

static const char *const level_names[] = {
	"error", "warn", "info", "debug", "trace",
};

const struct log_sink *log_use(const struct log_sink *sink)
{
	const struct log_sink *old = log_current;

	log_current = sink;
	return old;
}

void log_set_default_level(enum xrfb_log_level level)
{
	log_default.level = level;
}

const struct log_sink *log_in_use(void)
{
	return log_current;
}

static const struct log_sink *sink(void)
{
	return log_current ? log_current : &log_default;
}

int xrfb_log_parse_level(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(*level_names); i++)
		if (strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

void log_write(enum xrfb_log_level level, const char *file, int line,
	       const char *fmt, ...)
{
	const struct log_sink *out = sink();
	char msg[1024];
	const char *base;
	va_list ap;

	if (level > out->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	if (out->fn) {
		out->fn(out->arg, level, base, line, msg);
		return;
	}
	/* Errors read like the program's own one-line errors; the rest are
	 * marked with their level, and with the source line when debugging. */
	if (out->level >= XRFB_LOG_DEBUG)
		fprintf(stderr, "xrfb[%s] %s:%d: %s\n", level_names[level],
			base, line, msg);
	else if (level == XRFB_LOG_ERROR)
		fprintf(stderr, "xrfb: %s\n", msg);
	else if (level == XRFB_LOG_WARN)
		fprintf(stderr, "xrfb: warning: %s\n", msg);
	else
		fprintf(stderr, "xrfb[%s]: %s\n", level_names[level], msg);
}

char *log_escape(char *out, size_t out_size, const char *in, size_t in_len)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (!out_size)
		return out;
	for (size_t i = 0; i < in_len; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\') {
			if (o + 1 >= out_size)
				break;
			out[o++] = (char)ch;
		} else {
			if (o + 4 >= out_size)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
	return out;
}
