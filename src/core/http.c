/* SPDX-License-Identifier: MIT */
/*
 * HTTP request heads, parsed strictly: a request line in origin form,
 * header fields as RFC 9112 §5 writes them (no folding, no blank before
 * the colon), CRLF line ends, no body, and bounded in bytes and in lines.
 * Whatever does not fit is refused with a status to send back, never
 * guessed at. Bytes come in any pieces; the head is kept and parsed once
 * complete, and the parsed request points into it.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include "http.h"

/* A TLS record of type handshake (RFC 8446 §5.1): every TLS client's
 * first byte, and never the first byte of RFB ("RFB ") or of HTTP. */
#define HTTP_TLS_HANDSHAKE 0x16

/* How a request that this server answers starts. */
static const char *const sniff_starts[] = { "GET ", "HEAD " };

enum http_sniff http_sniff(const uint8_t *d, size_t len, bool tls)
{
	bool maybe = false;

	if (!len)
		return HTTP_SNIFF_MORE;
	if (d[0] == HTTP_TLS_HANDSHAKE)
		return tls ? HTTP_SNIFF_TLS : HTTP_SNIFF_OTHER;
	for (size_t i = 0; i < sizeof(sniff_starts) / sizeof(*sniff_starts);
	     i++) {
		size_t n = strlen(sniff_starts[i]);

		if (memcmp(d, sniff_starts[i], len < n ? len : n) != 0)
			continue;
		if (len >= n)
			return HTTP_SNIFF_HTTP;
		maybe = true;	/* "G", "GE", "GET": wait for more */
	}
	return maybe ? HTTP_SNIFF_MORE : HTTP_SNIFF_OTHER;
}

void http_parser_init(struct http_parser *p)
{
	p->len = 0;
	p->done = false;
	p->status = 0;
	p->error = NULL;
	memset(&p->req, 0, sizeof(p->req));
}

static ssize_t bad(struct http_parser *p, int status, const char *why)
{
	p->status = status;
	p->error = why;
	return status == 431 ? -EMSGSIZE : -EPROTO;
}

/* RFC 9110 §5.6.2 tchar. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field values: visible ASCII, blanks, and obs-text. */
static bool is_vchar(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Parse the request line at @line (NUL-terminated, no CRLF). */
static ssize_t parse_request_line(struct http_parser *p, char *line)
{
	struct http_request *r = &p->req;
	char *sp1, *sp2, *t;

	for (t = line; is_tchar((unsigned char)*t); t++)
		;
	if (t == line || *t != ' ')
		return bad(p, 400, "malformed request line");
	sp1 = t;
	*sp1 = '\0';
	r->method = line;
	r->target = sp1 + 1;
	for (t = sp1 + 1; *t > 0x20 && *t < 0x7f; t++)
		;
	if (*t != ' ' || t == sp1 + 1)
		return bad(p, 400, "malformed request line");
	sp2 = t;
	*sp2 = '\0';
	if (strncmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
	    (sp2[8] != '0' && sp2[8] != '1') || sp2[9])
		return bad(p, strncmp(sp2 + 1, "HTTP/", 5) == 0 ? 505 : 400,
			   "not HTTP/1.0 or HTTP/1.1");
	r->minor = sp2[8] - '0';
	if (strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
		return bad(p, 405, "only GET and HEAD are served");
	if (r->target[0] != '/')
		return bad(p, 400, "request target is not a path");
	return 0;
}

static ssize_t parse_header_line(struct http_parser *p, char *line)
{
	struct http_request *r = &p->req;
	char *colon, *v, *end;

	if (is_blank(line[0]))
		return bad(p, 400, "folded header line");
	for (colon = line; is_tchar((unsigned char)*colon); colon++)
		;
	if (colon == line || *colon != ':')
		return bad(p, 400, "malformed header line");
	*colon = '\0';
	for (v = colon + 1; is_blank(*v); v++)
		;
	for (end = v; *end; end++)
		if (!is_vchar((unsigned char)*end))
			return bad(p, 400, "control character in a header");
	while (end > v && is_blank(end[-1]))
		end--;
	*end = '\0';
	if (r->nheaders == HTTP_HEADERS_MAX)
		return bad(p, 431, "too many header lines");
	r->headers[r->nheaders].name = line;
	r->headers[r->nheaders].value = v;
	r->nheaders++;
	return 0;
}

/* The head is complete in p->head[0..p->len): split it into lines. */
static ssize_t parse_head(struct http_parser *p)
{
	struct http_request *r = &p->req;
	char *line = p->head, *eol;
	const char *cl;
	ssize_t err;

	p->head[p->len] = '\0';
	eol = strstr(line, "\r\n");
	*eol = '\0';
	err = parse_request_line(p, line);
	for (line = eol + 2; err == 0 && *line != '\r'; line = eol + 2) {
		eol = strstr(line, "\r\n");
		*eol = '\0';
		err = parse_header_line(p, line);
	}
	if (err < 0)
		return err;
	/* RFC 9112 §3.2: a 1.1 request names its host, exactly once. */
	if (http_header_count(r, "Host") > 1 ||
	    (r->minor == 1 && !http_header(r, "Host")))
		return bad(p, 400, "no Host, or more than one");
	/* A body could only be skipped, and GET has no use for one. */
	cl = http_header(r, "Content-Length");
	if (http_header(r, "Transfer-Encoding") ||
	    (cl && strcmp(cl, "0") != 0) ||
	    http_header_count(r, "Content-Length") > 1)
		return bad(p, 400, "a request body is not accepted");
	return 0;
}

ssize_t http_parse(struct http_parser *p, const char *in, size_t len)
{
	size_t off = 0;
	ssize_t err;

	if (p->error)
		return p->status == 431 ? -EMSGSIZE : -EPROTO;
	if (p->done)
		return 0;
	while (off < len) {
		char c = in[off++];

		if (c == '\0')
			return bad(p, 400, "NUL in the request");
		if (c == '\n' && (p->len == 0 || p->head[p->len - 1] != '\r'))
			return bad(p, 400, "line ends in LF without CR");
		if (p->len > 0 && p->head[p->len - 1] == '\r' && c != '\n')
			return bad(p, 400, "CR without LF");
		if (p->len == HTTP_HEAD_MAX)
			return bad(p, 431, "request head too long");
		p->head[p->len++] = c;
		if (c != '\n')
			continue;
		if (p->len == 2)
			return bad(p, 400, "empty request line");
		if (p->len >= 4 && memcmp(p->head + p->len - 4, "\r\n\r\n", 4) == 0) {
			err = parse_head(p);
			if (err < 0)
				return err;
			p->done = true;
			break;
		}
	}
	return (ssize_t)off;
}

const char *http_header(const struct http_request *r, const char *name)
{
	for (unsigned i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

unsigned http_header_count(const struct http_request *r, const char *name)
{
	unsigned n = 0;

	for (unsigned i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			n++;
	return n;
}

/* True if the comma-separated list @v holds @token. */
static bool list_has(const char *v, const char *token)
{
	size_t tn = strlen(token);

	while (*v) {
		const char *end;
		size_t n;

		while (*v == ',' || is_blank(*v))
			v++;
		end = v + strcspn(v, ",");
		n = (size_t)(end - v);
		while (n && is_blank(v[n - 1]))
			n--;
		if (n == tn && strncasecmp(v, token, n) == 0)
			return true;
		v = end;
	}
	return false;
}

bool http_has_token(const struct http_request *r, const char *name,
		    const char *token)
{
	for (unsigned i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0 &&
		    list_has(r->headers[i].value, token))
			return true;
	return false;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int http_target_path(const char *target, char *out, size_t size)
{
	size_t n = 0, seg = 0;

	if (target[0] != '/')
		return -EINVAL;
	for (const char *t = target;; t++) {
		char c = *t;

		if (c == '%') {
			int hi = hex_value(t[1]), lo = hi < 0 ? -1 : hex_value(t[2]);

			if (lo < 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			/* An encoded '/' would hide a segment from the
			 * check below; no file name needs one. */
			if (c == '\0' || c == '/')
				return -EINVAL;
			t += 2;
		} else if (c == '\0' || c == '?' || c == '#') {
			c = '\0';
		}
		if (c == '\\')
			return -EINVAL;
		if (c == '/' || c == '\0') {
			/* The segment out[seg..n) ends: no "." or "..". */
			size_t sl = n - seg;

			if ((sl == 1 && out[seg] == '.') ||
			    (sl == 2 && out[seg] == '.' && out[seg + 1] == '.'))
				return -EINVAL;
			seg = n + 1;
		}
		if (n >= size)
			return -ENAMETOOLONG;
		out[n++] = c;
		if (c == '\0')
			return 0;
	}
}

int http_query_param(const char *target, const char *name, char *out,
		     size_t size)
{
	size_t nlen = strlen(name);
	const char *p = strchr(target, '?');

	if (!p || (strchr(target, '#') && strchr(target, '#') < p))
		return -ENOENT;
	for (p++; *p && *p != '#'; p += strcspn(p, "&#"), p += *p == '&') {
		size_t n = 0;

		if (strncmp(p, name, nlen) != 0 || p[nlen] != '=')
			continue;
		for (p += nlen + 1; *p && *p != '&' && *p != '#'; p++) {
			char c = *p;

			if (c == '%') {
				int hi = hex_value(p[1]);
				int lo = hi < 0 ? -1 : hex_value(p[2]);

				if (lo < 0 || (hi | lo) == 0)
					return -EINVAL;
				c = (char)(hi << 4 | lo);
				p += 2;
			} else if (c == '+') {
				c = ' ';
			}
			if (n + 1 >= size)
				return -ENAMETOOLONG;
			out[n++] = c;
		}
		if (!size)
			return -ENAMETOOLONG;
		out[n] = '\0';
		return (int)n;
	}
	return -ENOENT;
}

static const struct {
	const char *ext, *type;
} content_types[] = {
	{ "html", "text/html; charset=utf-8" },
	{ "htm", "text/html; charset=utf-8" },
	{ "js", "text/javascript; charset=utf-8" },
	{ "mjs", "text/javascript; charset=utf-8" },
	{ "css", "text/css; charset=utf-8" },
	{ "json", "application/json" },
	{ "txt", "text/plain; charset=utf-8" },
	{ "svg", "image/svg+xml" },
	{ "png", "image/png" },
	{ "jpg", "image/jpeg" },
	{ "jpeg", "image/jpeg" },
	{ "gif", "image/gif" },
	{ "ico", "image/x-icon" },
	{ "webp", "image/webp" },
	{ "woff", "font/woff" },
	{ "woff2", "font/woff2" },
	{ "ttf", "font/ttf" },
	{ "wasm", "application/wasm" },
	{ "oga", "audio/ogg" },
	{ "ogg", "audio/ogg" },
	{ "mp3", "audio/mpeg" },
	{ "xwd", "image/x-xwindowdump" },
	{ "webmanifest", "application/manifest+json" },
};

const char *http_content_type(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *dot = strrchr(slash ? slash : path, '.');

	if (dot)
		for (size_t i = 0;
		     i < sizeof(content_types) / sizeof(content_types[0]); i++)
			if (strcasecmp(dot + 1, content_types[i].ext) == 0)
				return content_types[i].type;
	return "application/octet-stream";
}

const char *http_reason(int status)
{
	switch (status) {
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 426:
		return "Upgrade Required";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}
