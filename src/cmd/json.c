/* SPDX-License-Identifier: MIT */
/*
 * json: the few JSON writing helpers the program needs (RFC 8259): strings
 * escaped and always valid UTF-8, keys with their commas. Reading is in
 * ctl-proto.c, for the one shape the control socket accepts. Allocation
 * failures abort, as for every small fixed-purpose buffer of the program.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

static void put(struct buf *b, const void *p, size_t n)
{
	if (buf_append(b, p, n) < 0) {
		fprintf(stderr, "xrfb: out of memory\n");
		abort();
	}
}

void json_raw(struct buf *b, const char *text)
{
	put(b, text, strlen(text));
}

/* Length of the well-formed UTF-8 character at @p (at most @n bytes),
 * 0 if there is none. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
	size_t k;

	for (k = 1; k <= 4 && k <= n; k++)
		if (utf8_valid(p, k))
			return k;
	return 0;
}

void json_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, len;
	char esc[8];

	if (!s) {
		json_raw(b, "null");
		return;
	}
	len = strlen(s);
	put(b, "\"", 1);
	while (len) {
		if (*p == '"' || *p == '\\') {
			esc[0] = '\\';
			esc[1] = (char)*p;
			put(b, esc, 2);
			p++, len--;
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			put(b, esc, 6);
			p++, len--;
			continue;
		}
		n = utf8_seq(p, len);
		if (!n) {
			put(b, "\xef\xbf\xbd", 3);
			p++, len--;
			continue;
		}
		put(b, p, n);
		p += n, len -= n;
	}
	put(b, "\"", 1);
}

void json_key(struct buf *b, const char *key)
{
	if (b->len && b->data[b->len - 1] != '{' &&
	    b->data[b->len - 1] != '[')
		put(b, ",", 1);
	json_str(b, key);
	put(b, ":", 1);
}

void json_kv_str(struct buf *b, const char *key, const char *value)
{
	json_key(b, key);
	json_str(b, value);
}

void json_kv_int(struct buf *b, const char *key, long long value)
{
	char num[24];

	json_key(b, key);
	snprintf(num, sizeof(num), "%lld", value);
	json_raw(b, num);
}

void json_kv_bool(struct buf *b, const char *key, bool value)
{
	json_key(b, key);
	json_raw(b, value ? "true" : "false");
}
