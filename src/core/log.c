/* SPDX-License-Identifier: MIT */
/*
 * Logging: one line per message on stderr, "xrfb[level] file:line: text".
 * Owns the global log level and nothing else.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

static enum xrfb_log_level log_level = XRFB_LOG_INFO;

static const char *const level_names[] = {
	"error", "warn", "info", "debug", "trace",
};

void xrfb_log_set_level(enum xrfb_log_level level)
{
	log_level = level;
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
	char msg[1024];
	const char *base;
	va_list ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	base = strrchr(file, '/');
	base = base ? base + 1 : file;
	/* Errors read like the program's own one-line errors; the rest are
	 * marked with their level, and with the source line when debugging. */
	if (log_level >= XRFB_LOG_DEBUG)
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
