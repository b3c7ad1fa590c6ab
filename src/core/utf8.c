/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 validation and the Latin-1 conversions the clipboard needs: the
 * classic RFB cut text and X's STRING target are Latin-1, everything else
 * is UTF-8. Pure functions over bytes.
 */
#include "config.h"

#include <stdlib.h>

#include "utf8.h"

/* The code point that starts at @p[*i], or -1 where no well-formed
 * UTF-8 starts (overlong forms, surrogates, code points beyond U+10FFFF,
 * a sequence cut short); *i moves past it, or by one byte. */
static int32_t utf8_next(const uint8_t *p, size_t len, size_t *i)
{
	uint8_t b = p[*i];
	uint32_t cp;
	int n;

	if (b < 0x80) {
		(*i)++;
		return b;
	}
	if (b >= 0xc2 && b <= 0xdf)
		n = 1;
	else if (b >= 0xe0 && b <= 0xef)
		n = 2;
	else if (b >= 0xf0 && b <= 0xf4)
		n = 3;
	else
		goto bad;
	if (len - *i <= (size_t)n)
		goto bad;
	cp = b & (0x3f >> n);
	for (int k = 1; k <= n; k++) {
		if ((p[*i + (size_t)k] & 0xc0) != 0x80)
			goto bad;
		cp = cp << 6 | (p[*i + (size_t)k] & 0x3f);
	}
	if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		goto bad;
	*i += (size_t)n + 1;
	return (int32_t)cp;
bad:
	(*i)++;
	return -1;
}

bool utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len)
		if (utf8_next(p, len, &i) < 0)
			return false;
	return true;
}

char *latin1_to_utf8(const uint8_t *in, size_t len, size_t *out_len)
{
	char *out = malloc(2 * len + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (in[i] < 0x80) {
			out[o++] = (char)in[i];
		} else {
			out[o++] = (char)(0xc0 | in[i] >> 6);
			out[o++] = (char)(0x80 | (in[i] & 0x3f));
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

size_t utf8_to_latin1(const char *in, size_t len, uint8_t *out)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t i = 0, o = 0;

	while (i < len) {
		int32_t cp = utf8_next(p, len, &i);

		out[o++] = cp >= 0 && cp < 0x100 ? (uint8_t)cp : '?';
	}
	return o;
}
