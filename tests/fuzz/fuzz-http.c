/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the HTTP request parser and the request path check.
 * The first input byte picks where the rest is split in two; the rest is
 * what a client sends. Parsed whole and in two pieces, the verdict (done,
 * bytes consumed, status) must be the same; a request must point into
 * the parser's own head; an error must carry a status and a reason; and
 * a path the check lets through must hold no "." or ".." segment, NUL
 * or backslash. The first-byte classifier, fed every prefix of the
 * input, is undecided or already says what the whole input says.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "http.h"

static struct http_parser whole, pieces;

/* Feed @len bytes of @in, split at @cut. Returns the bytes consumed,
 * or the error. */
static ssize_t run(struct http_parser *p, const char *in, size_t len,
		   size_t cut)
{
	size_t off = 0;

	http_parser_init(p);
	while (off < len && !p->done) {
		size_t n = off < cut ? cut - off : len - off;
		char *exact = malloc(n ? n : 1);
		ssize_t k;

		CHECK(exact);
		memcpy(exact, in + off, n);
		k = http_parse(p, exact, n);
		free(exact);
		if (k < 0) {
			CHECK(p->status >= 400 && p->status < 600);
			CHECK(p->error && *p->error);
			CHECK(!p->done);
			return k;
		}
		CHECK((size_t)k <= n);
		CHECK(p->done || (size_t)k == n);
		off += (size_t)k;
	}
	return (ssize_t)off;
}

static bool in_head(const struct http_parser *p, const char *s)
{
	return s >= p->head && s + strlen(s) <= p->head + p->len;
}

/* The query's "token" (the view token): within bounds, NUL-terminated. */
static void check_query(const char *target)
{
	char out[32];
	int n = http_query_param(target, "token", out, sizeof(out));

	if (n < 0) {
		CHECK(n == -ENOENT || n == -EINVAL || n == -ENAMETOOLONG);
		return;
	}
	CHECK((size_t)n < sizeof(out) && strlen(out) == (size_t)n);
	CHECK(strchr(target, '?') != NULL);
}

static void check_path(const char *target)
{
	char out[HTTP_PATH_MAX];
	int err = http_target_path(target, out, sizeof(out));
	const char *seg;

	check_query(target);
	if (err < 0) {
		CHECK(err == -EINVAL || err == -ENAMETOOLONG);
		return;
	}
	CHECK(out[0] == '/');
	CHECK(!strchr(out, '\\'));
	for (seg = out; seg; seg = strchr(seg + 1, '/')) {
		size_t n = strcspn(seg + 1, "/");

		CHECK(!(n == 1 && seg[1] == '.'));
		CHECK(!(n == 2 && seg[1] == '.' && seg[2] == '.'));
	}
}

static void check_sniff(const uint8_t *d, size_t len, bool tls)
{
	enum http_sniff all = http_sniff(d, len, tls);

	for (size_t n = 0; n < len && n < 8; n++) {
		enum http_sniff k = http_sniff(d, n, tls);

		CHECK(k == HTTP_SNIFF_MORE || k == all);
	}
	CHECK(all != HTTP_SNIFF_MORE || len < 5);
	CHECK(all != HTTP_SNIFF_TLS || tls);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_request *r = &whole.req;
	ssize_t a, b;

	if (size < 1)
		return 0;
	check_sniff(data + 1, size - 1, true);
	check_sniff(data + 1, size - 1, false);
	a = run(&whole, (const char *)data + 1, size - 1, size - 1);
	b = run(&pieces, (const char *)data + 1, size - 1,
		data[0] * (size - 1) / 255);
	CHECK(a == b);
	CHECK(whole.done == pieces.done);
	CHECK(whole.status == pieces.status);
	if (!whole.done)
		return 0;
	CHECK(!strcmp(r->method, "GET") || !strcmp(r->method, "HEAD"));
	CHECK(r->minor == 0 || r->minor == 1);
	CHECK(in_head(&whole, r->target) && r->target[0] == '/');
	CHECK(r->nheaders <= HTTP_HEADERS_MAX);
	for (unsigned i = 0; i < r->nheaders; i++) {
		CHECK(in_head(&whole, r->headers[i].name));
		CHECK(in_head(&whole, r->headers[i].value));
		CHECK(http_header(r, r->headers[i].name));
	}
	CHECK(pieces.req.nheaders == r->nheaders);
	http_has_token(r, "Connection", "upgrade");
	http_has_token(r, "Sec-WebSocket-Protocol", "binary");
	http_content_type(r->target);
	check_path(r->target);
	return 0;
}
