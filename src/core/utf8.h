/* SPDX-License-Identifier: MIT */
/* UTF-8 checks and conversions to and from Latin-1 (clipboard text). */
#ifndef XRFB_UTF8_H
#define XRFB_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if @p holds well-formed UTF-8 (no overlong forms, surrogates, or
 * code points beyond U+10FFFF). */
bool utf8_valid(const uint8_t *p, size_t len);
/* Latin-1 to UTF-8 in a new NUL-terminated buffer; NULL on ENOMEM. */
char *latin1_to_utf8(const uint8_t *in, size_t len, size_t *out_len);
/* UTF-8 to Latin-1 into @out (room for @len bytes): one '?' for each
 * character beyond U+00FF and for each byte that starts no well-formed
 * character. Returns the bytes written. */
size_t utf8_to_latin1(const char *in, size_t len, uint8_t *out);

#endif
