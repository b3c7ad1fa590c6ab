/* SPDX-License-Identifier: MIT */
/*
 * http: request heads fed whole, split at every byte and one byte at a
 * time (the same request each way, the bytes after the head left
 * alone), the malformed and oversized heads it must refuse with the
 * right status, header tokens, request paths (no way out of the web
 * root), content types, and the first-byte classifier (whole, every
 * prefix, malformed).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "http.h"
#include "unit.h"

static const char upgrade_req[] =
	"GET /websockify?token=1 HTTP/1.1\r\n"
	"Host: 127.0.0.1:5900\r\n"
	"Connection: keep-alive, Upgrade\r\n"
	"upgrade:  websocket \r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Sec-WebSocket-Protocol: chat\r\n"
	"Sec-WebSocket-Protocol: Binary, base64\r\n"
	"Origin: http://127.0.0.1:5900\r\n"
	"X-Empty:\r\n"
	"\r\n";

/* Feed @in in pieces: first @cut bytes (if not 0), then @chunk at a
 * time (0: the rest at once). Returns what http_parse() last said and
 * the bytes consumed in *used. */
static ssize_t feed(struct http_parser *p, const char *in, size_t len,
		    size_t cut, size_t chunk, size_t *used)
{
	size_t off = 0;
	ssize_t k = 0;

	http_parser_init(p);
	while (off < len && !p->done) {
		size_t n = chunk ? chunk : len - off;
		char *exact;

		if (cut && off < cut)
			n = cut - off;
		if (n > len - off)
			n = len - off;
		exact = malloc(n);
		memcpy(exact, in + off, n);
		k = http_parse(p, exact, n);
		free(exact);
		if (k < 0)
			break;
		ck_assert_uint_le((size_t)k, n);
		if (!p->done)
			ck_assert_uint_eq((size_t)k, n);
		off += (size_t)k;
	}
	*used = off;
	return k;
}

static void expect_upgrade(const struct http_parser *p)
{
	const struct http_request *r = &p->req;

	ck_assert(p->done);
	ck_assert_str_eq(r->method, "GET");
	ck_assert_str_eq(r->target, "/websockify?token=1");
	ck_assert_int_eq(r->minor, 1);
	ck_assert_uint_eq(r->nheaders, 8);
	ck_assert_str_eq(http_header(r, "host"), "127.0.0.1:5900");
	ck_assert_str_eq(http_header(r, "UPGRADE"), "websocket");
	ck_assert_str_eq(http_header(r, "x-empty"), "");
	ck_assert_ptr_null(http_header(r, "Cookie"));
	ck_assert(http_has_token(r, "Connection", "upgrade"));
	ck_assert(http_has_token(r, "Connection", "keep-alive"));
	ck_assert(!http_has_token(r, "Connection", "close"));
	ck_assert(http_has_token(r, "Sec-WebSocket-Protocol", "binary"));
	ck_assert(http_has_token(r, "Sec-WebSocket-Protocol", "base64"));
	ck_assert(http_has_token(r, "Sec-WebSocket-Protocol", "chat"));
	ck_assert(!http_has_token(r, "Sec-WebSocket-Protocol", "base"));
	ck_assert_uint_eq(http_header_count(r, "sec-websocket-protocol"), 2);
}

START_TEST(test_whole_and_split)
{
	/* the head, then the first bytes of a WebSocket frame */
	char in[sizeof(upgrade_req) + 2];
	size_t len = sizeof(upgrade_req) - 1, used;
	struct http_parser *p = malloc(sizeof(*p));

	memcpy(in, upgrade_req, len);
	memcpy(in + len, "\x82\x80", 2);
	ck_assert_int_eq(feed(p, in, len + 2, 0, 0, &used), (ssize_t)len);
	ck_assert_uint_eq(used, len);
	expect_upgrade(p);
	for (size_t cut = 1; cut < len + 2; cut++) {
		feed(p, in, len + 2, cut, 0, &used);
		ck_assert_uint_eq(used, len);
		expect_upgrade(p);
	}
	feed(p, in, len + 2, 0, 1, &used);
	ck_assert_uint_eq(used, len);
	expect_upgrade(p);
	free(p);
}
END_TEST

START_TEST(test_minimal)
{
	static const char req[] = "HEAD / HTTP/1.0\r\n\r\n";
	struct http_parser *p = malloc(sizeof(*p));
	size_t used;

	ck_assert_int_eq(feed(p, req, sizeof(req) - 1, 0, 0, &used),
			 (ssize_t)sizeof(req) - 1);
	ck_assert(p->done);
	ck_assert_str_eq(p->req.method, "HEAD");
	ck_assert_str_eq(p->req.target, "/");
	ck_assert_int_eq(p->req.minor, 0);
	ck_assert_uint_eq(p->req.nheaders, 0);
	/* once done, nothing more is taken */
	ck_assert_int_eq(http_parse(p, "GET", 3), 0);
	free(p);
}
END_TEST

struct bad_case {
	const char *in;
	int status;
};

static const struct bad_case bad_cases[] = {
	{ "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 405 },
	{ "get / HTTP/1.1\r\nHost: a\r\n\r\n", 405 },
	{ "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505 },
	{ "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 505 },
	{ "GET / FTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET /\r\n\r\n", 400 },
	{ "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nNo colon\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\nHost: a\n\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n", 400 },
	{ "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 400 },
	{ "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
	  400 },
	{ "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct http_parser *p = malloc(sizeof(*p));
	size_t used;

	for (size_t chunk = 0; chunk < 3; chunk++) {
		ssize_t k = feed(p, c->in, strlen(c->in), 0, chunk, &used);

		ck_assert_msg(k == -EPROTO, "%s: %zd", c->in, k);
		ck_assert_msg(p->status == c->status, "%s: %d", c->in,
			      p->status);
		ck_assert_ptr_nonnull(p->error);
		ck_assert(!p->done);
		/* and it stays refused */
		ck_assert_int_eq(http_parse(p, "\r\n", 2), -EPROTO);
	}
	free(p);
}
END_TEST

START_TEST(test_nul)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n";
	struct http_parser *p = malloc(sizeof(*p));
	size_t used;

	ck_assert_int_eq(feed(p, req, sizeof(req) - 1, 0, 0, &used), -EPROTO);
	ck_assert_int_eq(p->status, 400);
	free(p);
}
END_TEST

START_TEST(test_too_long)
{
	struct http_parser *p = malloc(sizeof(*p));
	size_t len = HTTP_HEAD_MAX + 100, used;
	char *in = malloc(len);
	int off;

	/* one endless header */
	off = sprintf(in, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(in + off, 'x', len - (size_t)off);
	ck_assert_int_eq(feed(p, in, len, 0, 0, &used), -EMSGSIZE);
	ck_assert_int_eq(p->status, 431);
	ck_assert_int_eq(feed(p, in, len, 0, 1000, &used), -EMSGSIZE);

	/* a head of exactly the limit is fine */
	off = sprintf(in, "GET / HTTP/1.1\r\nHost: a\r\nX: ");
	memset(in + off, 'x', HTTP_HEAD_MAX - (size_t)off - 4);
	memcpy(in + HTTP_HEAD_MAX - 4, "\r\n\r\n", 4);
	ck_assert_int_eq(feed(p, in, HTTP_HEAD_MAX, 0, 0, &used),
			 HTTP_HEAD_MAX);
	ck_assert(p->done);

	/* too many lines */
	off = sprintf(in, "GET / HTTP/1.1\r\n");
	for (int i = 0; i <= HTTP_HEADERS_MAX; i++)
		off += sprintf(in + off, "H%d: v\r\n", i);
	off += sprintf(in + off, "\r\n");
	ck_assert_int_eq(feed(p, in, (size_t)off, 0, 0, &used), -EMSGSIZE);
	ck_assert_int_eq(p->status, 431);
	free(in);
	free(p);
}
END_TEST

struct path_case {
	const char *target;
	int err;
	const char *path;
};

static const struct path_case path_cases[] = {
	{ "/", 0, "/" },
	{ "/vnc.html", 0, "/vnc.html" },
	{ "/app/ui.js?v=1#x", 0, "/app/ui.js" },
	{ "/a%20b.html", 0, "/a b.html" },
	{ "/%41pp/..x/x..", 0, "/App/..x/x.." },
	{ "/a//b/", 0, "/a//b/" },
	{ "/..", -EINVAL, NULL },
	{ "/../etc/passwd", -EINVAL, NULL },
	{ "/app/../../x", -EINVAL, NULL },
	{ "/app/.", -EINVAL, NULL },
	{ "/./x", -EINVAL, NULL },
	{ "/%2e%2e/x", -EINVAL, NULL },
	{ "/.%2E/x", -EINVAL, NULL },
	{ "/..?x", -EINVAL, NULL },
	{ "/a%2f..%2fb", -EINVAL, NULL },
	{ "/a%00b", -EINVAL, NULL },
	{ "/a%zzb", -EINVAL, NULL },
	{ "/a%4", -EINVAL, NULL },
	{ "/a%", -EINVAL, NULL },
	{ "/a\\..\\b", -EINVAL, NULL },
	{ "/a%5c..", -EINVAL, NULL },
	{ "x", -EINVAL, NULL },
};

START_TEST(test_path)
{
	const struct path_case *c = &path_cases[_i];
	char out[HTTP_PATH_MAX];
	int err = http_target_path(c->target, out, sizeof(out));

	ck_assert_msg(err == c->err, "%s: %d", c->target, err);
	if (c->path)
		ck_assert_str_eq(out, c->path);
}
END_TEST

START_TEST(test_path_too_long)
{
	char out[8];

	ck_assert_int_eq(http_target_path("/1234567", out, sizeof(out)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(http_target_path("/123456", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "/123456");
}
END_TEST

struct query_case {
	const char *target, *name;
	int ret;		/* length, or -errno */
	const char *value;
};

static const struct query_case query_cases[] = {
	{ "/websockify?token=abc", "token", 3, "abc" },
	{ "/websockify?a=1&token=abc&b=2", "token", 3, "abc" },
	{ "/websockify?token=abc&token=def", "token", 3, "abc" },
	{ "/websockify?token=", "token", 0, "" },
	{ "/websockify?token=a%2Db+c#frag", "token", 5, "a-b c" },
	{ "/websockify?token=abc#x&token=y", "token", 3, "abc" },
	{ "/websockify?&&token=z&", "token", 1, "z" },
	{ "/websockify?xtoken=abc", "token", -ENOENT, NULL },
	{ "/websockify?tokenx=abc", "token", -ENOENT, NULL },
	{ "/websockify?token", "token", -ENOENT, NULL },
	{ "/websockify#?token=abc", "token", -ENOENT, NULL },
	{ "/websockify?a=1#token=abc", "token", -ENOENT, NULL },
	{ "/websockify", "token", -ENOENT, NULL },
	{ "/websockify?token=%zz", "token", -EINVAL, NULL },
	{ "/websockify?token=%4", "token", -EINVAL, NULL },
	{ "/websockify?token=%", "token", -EINVAL, NULL },
	{ "/websockify?token=a%00b", "token", -EINVAL, NULL },
};

START_TEST(test_query)
{
	const struct query_case *c = &query_cases[_i];
	char out[16];
	int ret = http_query_param(c->target, c->name, out, sizeof(out));

	ck_assert_msg(ret == c->ret, "%s: %d", c->target, ret);
	if (c->value)
		ck_assert_str_eq(out, c->value);
}
END_TEST

START_TEST(test_query_too_long)
{
	char out[4];

	ck_assert_int_eq(http_query_param("/?t=abcd", "t", out, sizeof(out)),
			 -ENAMETOOLONG);
	ck_assert_int_eq(http_query_param("/?t=abc", "t", out, sizeof(out)),
			 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(http_query_param("/?t=", "t", out, 0),
			 -ENAMETOOLONG);
}
END_TEST

START_TEST(test_content_type)
{
	ck_assert_str_eq(http_content_type("/vnc.html"),
			 "text/html; charset=utf-8");
	ck_assert_str_eq(http_content_type("/core/rfb.JS"),
			 "text/javascript; charset=utf-8");
	ck_assert_str_eq(http_content_type("/app/styles/base.css"),
			 "text/css; charset=utf-8");
	ck_assert_str_eq(http_content_type("/app/images/icons/x.svg"),
			 "image/svg+xml");
	ck_assert_str_eq(http_content_type("/app/sounds/bell.oga"),
			 "audio/ogg");
	ck_assert_str_eq(http_content_type("/VERSION"),
			 "application/octet-stream");
	ck_assert_str_eq(http_content_type("/a.b/c"),
			 "application/octet-stream");
	ck_assert_str_eq(http_reason(404), "Not Found");
	ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
}
END_TEST

/* First bytes, the verdict once they are all in, with and without TLS. */
static const struct {
	const char *in;
	size_t len;
	enum http_sniff tls, plain;
} sniff_cases[] = {
	{ "GET / HTTP/1.1\r\n", 16, HTTP_SNIFF_HTTP, HTTP_SNIFF_HTTP },
	{ "HEAD /vnc.html HTTP/1.1", 23, HTTP_SNIFF_HTTP, HTTP_SNIFF_HTTP },
	{ "GET ", 4, HTTP_SNIFF_HTTP, HTTP_SNIFF_HTTP },
	/* a TLS ClientHello's record header, and a bare 0x16 */
	{ "\x16\x03\x01\x02\x00\x01", 6, HTTP_SNIFF_TLS, HTTP_SNIFF_OTHER },
	{ "\x16", 1, HTTP_SNIFF_TLS, HTTP_SNIFF_OTHER },
	/* 0x16 and garbage: TLS by its first byte; the handshake fails */
	{ "\x16GET / HTTP/1.1", 16, HTTP_SNIFF_TLS, HTTP_SNIFF_OTHER },
	{ "RFB 003.008\n", 12, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	/* malformed: not quite a method this server answers */
	{ "GETX", 4, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	{ "get / HTTP/1.1", 14, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	{ "HEAD\t/", 6, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	{ "POST / HTTP/1.1", 15, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	{ "G\0T ", 4, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	{ "\0", 1, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	{ "\x80\x01\x03", 3, HTTP_SNIFF_OTHER, HTTP_SNIFF_OTHER },
	/* still undecided */
	{ "HEA", 3, HTTP_SNIFF_MORE, HTTP_SNIFF_MORE },
	{ "", 0, HTTP_SNIFF_MORE, HTTP_SNIFF_MORE },
};

/* Whole, and every prefix (the bytes as they may arrive, split at every
 * byte): a prefix is undecided or already has the final verdict. */
START_TEST(test_sniff)
{
	const uint8_t *in = (const uint8_t *)sniff_cases[_i].in;
	size_t len = sniff_cases[_i].len;

	ck_assert_int_eq(http_sniff(in, len, true), sniff_cases[_i].tls);
	ck_assert_int_eq(http_sniff(in, len, false), sniff_cases[_i].plain);
	for (size_t cut = 0; cut < len; cut++) {
		enum http_sniff t = http_sniff(in, cut, true);
		enum http_sniff p = http_sniff(in, cut, false);

		ck_assert(t == HTTP_SNIFF_MORE || t == sniff_cases[_i].tls);
		ck_assert(p == HTTP_SNIFF_MORE || p == sniff_cases[_i].plain);
		if (cut == 0)
			ck_assert(t == HTTP_SNIFF_MORE &&
				  p == HTTP_SNIFF_MORE);
	}
}
END_TEST

static Suite *http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = unit_tcase(s, "parse");

	tcase_add_test(tc, test_whole_and_split);
	tcase_add_test(tc, test_minimal);
	tcase_add_loop_test(tc, test_bad, 0,
			    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_too_long);
	tcase_add_loop_test(tc, test_sniff, 0,
			    sizeof(sniff_cases) / sizeof(sniff_cases[0]));
	tc = unit_tcase(s, "paths and types");
	tcase_add_loop_test(tc, test_path, 0,
			    sizeof(path_cases) / sizeof(path_cases[0]));
	tcase_add_test(tc, test_path_too_long);
	tcase_add_loop_test(tc, test_query, 0,
			    sizeof(query_cases) / sizeof(query_cases[0]));
	tcase_add_test(tc, test_query_too_long);
	tcase_add_test(tc, test_content_type);
	return s;
}

UNIT_MAIN(http_suite)
