/* SPDX-License-Identifier: MIT */
/*
 * Logging with a level, the source position and rate limiting, to the
 * calling thread's sink (a loop's callback, or stderr).
 * Peer-supplied text goes through log_escape() so it cannot forge lines.
 */
#ifndef XRFB_LOG_H
#define XRFB_LOG_H

#include <stddef.h>

#include "xrfb.h"

/* Where messages go: a level and a callback (NULL: stderr). */
struct log_sink {
	enum xrfb_log_level level;
	xrfb_log_fn fn;
	void *arg;
};

/* Send the calling thread's messages to @sink (NULL: stderr at the
 * default level); returns the sink used before. */
const struct log_sink *log_use(const struct log_sink *sink);
/* For the program: the level of messages written while no sink is in
 * use (before its loop exists); XRFB_LOG_INFO unless set. */
void log_set_default_level(enum xrfb_log_level level);
/* The calling thread's sink (NULL: none set). */
const struct log_sink *log_in_use(void);

void log_write(enum xrfb_log_level level, const char *file, int line,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Copy @in to @out, replacing control and non-printable bytes with \xNN
 * and cutting at @out_size; returns @out. */
char *log_escape(char *out, size_t out_size, const char *in, size_t in_len);

#define log_error(...) log_write(XRFB_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)
#define log_warn(...) log_write(XRFB_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define log_info(...) log_write(XRFB_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define log_debug(...) log_write(XRFB_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#ifdef XRFB_DEBUG
#define log_trace(...) log_write(XRFB_LOG_TRACE, __FILE__, __LINE__, __VA_ARGS__)
#else
#define log_trace(...) ((void)0)
#endif

/* Log at most once per @secs seconds from this call site. */
#define log_ratelimited(level, secs, ...)                                   \
	do {                                                                \
		static uint64_t log_rl_last_;                               \
		uint64_t log_rl_now_ = xrfb_now_ms();                       \
		if (!log_rl_last_ || log_rl_now_ - log_rl_last_ >=          \
					     (uint64_t)(secs) * 1000) {     \
			log_rl_last_ = log_rl_now_;                         \
			log_write(level, __FILE__, __LINE__, __VA_ARGS__);  \
		}                                                           \
	} while (0)

#endif
