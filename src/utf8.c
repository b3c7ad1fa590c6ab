/* SPDX-License-Identifier: MIT */
/*
 * UTF-8 validation and the Latin-1 conversions the clipboard needs: the
 * classic RFB cut text and X's STRING target are Latin-1, everything else
 * is UTF-8. Pure functions over bytes.
 */
#include "config.h"

#include <stdlib.h>

#include "utf8.h"

bool utf8_valid(const uint8_t *p, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint32_t cp;
		int n;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf)
			n = 1;
		else if (p[i] >= 0xe0 && p[i] <= 0xef)
			n = 2;
		else if (p[i] >= 0xf0 && p[i] <= 0xf4)
			n = 3;
		else
			return false;
		if (len - i <= (size_t)n)
			return false;
		cp = p[i] & (0x3f >> n);
		for (int k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += (size_t)n + 1;
	}
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
		uint32_t cp;
		int extra;

		if (p[i] < 0x80) {
			out[o++] = p[i++];
			continue;
		}
		if ((p[i] & 0xe0) == 0xc0) {
			cp = p[i] & 0x1f;
			extra = 1;
		} else if ((p[i] & 0xf0) == 0xe0) {
			cp = p[i] & 0x0f;
			extra = 2;
		} else if ((p[i] & 0xf8) == 0xf0) {
			cp = p[i] & 0x07;
			extra = 3;
		} else {
			out[o++] = '?';
			i++;
			continue;
		}
		i++;
		while (extra-- > 0 && i < len && (p[i] & 0xc0) == 0x80)
			cp = cp << 6 | (p[i++] & 0x3f);
		out[o++] = cp < 0x100 ? (uint8_t)cp : '?';
	}
	return o;
}
