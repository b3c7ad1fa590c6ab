/* SPDX-License-Identifier: MIT */
/*
 * ctl-proto: the parser of control requests. A request is one line of
 * JSON (RFC 8259) holding one object whose values are strings, integers,
 * booleans or null: {"cmd":"screenshot","file":"/tmp/a.png"}. Nothing
 * nested, at most CTL_PROTO_MAX_FIELDS keys, each unique, a line of at
 * most CTL_PROTO_LINE_MAX bytes. Anything else is an error for that line
 * alone; an overlong line is an error for the connection (the caller
 * closes it). All memory is the request's own: no allocation, bounded
 * work per byte.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl-proto.h"
#include "utf8.h"

struct cursor {
	const uint8_t *p, *end;
	struct ctl_proto_request *req;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end &&
	       (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'))
		c->p++;
}

static bool fail(struct cursor *c, const char *why)
{
	if (!c->req->error)
		c->req->error = why;
	return false;
}

static int hex4(const uint8_t *p)
{
	int v = 0, i, d;

	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			d = p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			d = p[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/* Append code point @cp as UTF-8 to @out (room for 4 bytes). */
static size_t put_utf8(uint8_t *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | cp >> 18);
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* A \u escape at c->p (after the backslash and 'u'), surrogate pairs
 * joined; the code point goes to *cp. */
static bool unicode_escape(struct cursor *c, uint32_t *cp)
{
	int hi, lo;

	if (c->end - c->p < 4 || (hi = hex4(c->p)) < 0)
		return fail(c, "bad \\u escape");
	c->p += 4;
	if (hi >= 0xdc00 && hi <= 0xdfff)
		return fail(c, "lone low surrogate");
	if (hi >= 0xd800 && hi <= 0xdbff) {
		if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
		    (lo = hex4(c->p + 2)) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(c, "lone high surrogate");
		c->p += 6;
		*cp = 0x10000 + (((uint32_t)hi - 0xd800) << 10) +
		      ((uint32_t)lo - 0xdc00);
		return true;
	}
	if (hi == 0)
		return fail(c, "NUL in a string");
	*cp = (uint32_t)hi;
	return true;
}

/* A string at c->p (at its opening quote), decoded into @out (room for
 * @size bytes with the NUL); *len is the decoded length. */
static bool string(struct cursor *c, char *out, size_t size, size_t *len)
{
	uint8_t *o = (uint8_t *)out, tmp[4];
	size_t n = 0, k;
	uint32_t cp;
	uint8_t ch;

	if (c->p >= c->end || *c->p != '"')
		return fail(c, "a string was expected");
	c->p++;
	for (;;) {
		if (c->p >= c->end)
			return fail(c, "unterminated string");
		ch = *c->p++;
		if (ch == '"')
			break;
		if (ch < 0x20)
			return fail(c, "control character in a string");
		k = 1;
		tmp[0] = ch;
		if (ch == '\\') {
			if (c->p >= c->end)
				return fail(c, "unterminated string");
			ch = *c->p++;
			switch (ch) {
			case '"': case '\\': case '/':
				tmp[0] = ch;
				break;
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u':
				if (!unicode_escape(c, &cp))
					return false;
				k = put_utf8(tmp, cp);
				break;
			default:
				return fail(c, "bad escape in a string");
			}
		}
		if (n + k >= size)
			return fail(c, "string too long");
		memcpy(o + n, tmp, k);
		n += k;
	}
	o[n] = '\0';
	if (!utf8_valid(o, n))
		return fail(c, "string is not UTF-8");
	*len = n;
	return true;
}

static bool literal(struct cursor *c, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n) != 0)
		return fail(c, "bad value");
	c->p += n;
	return true;
}

static bool number(struct cursor *c, long long *out)
{
	bool neg = false;
	long long v = 0;
	int digits = 0;

	if (c->p < c->end && *c->p == '-') {
		neg = true;
		c->p++;
	}
	if (c->p < c->end && *c->p == '0' && c->end - c->p > 1 &&
	    c->p[1] >= '0' && c->p[1] <= '9')
		return fail(c, "leading zero in a number");
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
		if (++digits > 18)
			return fail(c, "number too large");
		v = v * 10 + (*c->p++ - '0');
	}
	if (!digits)
		return fail(c, "bad value");
	if (c->p < c->end && (*c->p == '.' || *c->p == 'e' || *c->p == 'E'))
		return fail(c, "numbers must be integers");
	*out = neg ? -v : v;
	return true;
}

static bool value(struct cursor *c, struct ctl_proto_field *f)
{
	struct ctl_proto_request *req = c->req;
	char *out = req->strings + req->used;
	size_t len;

	if (c->p >= c->end)
		return fail(c, "a value was expected");
	switch (*c->p) {
	case '"':
		if (!string(c, out, sizeof(req->strings) - req->used, &len))
			return false;
		f->type = CTL_PROTO_STR;
		f->str = out;
		req->used += len + 1;
		return true;
	case 't':
		f->type = CTL_PROTO_BOOL;
		f->b = true;
		return literal(c, "true");
	case 'f':
		f->type = CTL_PROTO_BOOL;
		return literal(c, "false");
	case 'n':
		f->type = CTL_PROTO_NULL;
		return literal(c, "null");
	case '{':
	case '[':
		return fail(c, "nested values are not accepted");
	default:
		f->type = CTL_PROTO_INT;
		return number(c, &f->num);
	}
}

static bool member(struct cursor *c)
{
	struct ctl_proto_request *req = c->req;
	struct ctl_proto_field *f;
	size_t len;

	if (req->n == CTL_PROTO_MAX_FIELDS)
		return fail(c, "too many keys");
	f = &req->fields[req->n];
	memset(f, 0, sizeof(*f));
	if (!string(c, f->key, sizeof(f->key), &len))
		return fail(c, "bad key");
	if (ctl_proto_get(req, f->key))
		return fail(c, "duplicate key");
	skip_ws(c);
	if (c->p >= c->end || *c->p != ':')
		return fail(c, "':' expected");
	c->p++;
	skip_ws(c);
	if (!value(c, f))
		return false;
	req->n++;
	return true;
}

static bool object(struct cursor *c)
{
	skip_ws(c);
	if (c->p >= c->end || *c->p != '{')
		return fail(c, "a JSON object was expected");
	c->p++;
	skip_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
	} else {
		for (;;) {
			skip_ws(c);
			if (!member(c))
				return false;
			skip_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == '}') {
				c->p++;
				break;
			}
			return fail(c, "',' or '}' expected");
		}
	}
	skip_ws(c);
	if (c->p != c->end)
		return fail(c, "text after the object");
	return true;
}

int ctl_proto_parse(const uint8_t *p, size_t len,
		    struct ctl_proto_request *req)
{
	const uint8_t *nl;
	struct cursor c;
	size_t scan = len < CTL_PROTO_LINE_MAX ? len : CTL_PROTO_LINE_MAX;

	nl = memchr(p, '\n', scan);
	if (!nl)
		return len >= CTL_PROTO_LINE_MAX ? -EMSGSIZE : 0;
	req->n = 0;
	req->used = 0;
	req->error = NULL;
	c.p = p;
	c.end = nl;
	c.req = req;
	if (!object(&c) && !req->error)
		req->error = "bad request";
	return (int)(nl - p + 1);
}

const struct ctl_proto_field *
ctl_proto_get(const struct ctl_proto_request *req, const char *key)
{
	unsigned i;

	for (i = 0; i < req->n; i++)
		if (!strcmp(req->fields[i].key, key))
			return &req->fields[i];
	return NULL;
}

const char *ctl_proto_str(const struct ctl_proto_request *req,
			  const char *key)
{
	const struct ctl_proto_field *f = ctl_proto_get(req, key);

	return f && f->type == CTL_PROTO_STR ? f->str : NULL;
}
