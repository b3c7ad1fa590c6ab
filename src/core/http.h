/* SPDX-License-Identifier: MIT */
/*
 * A strict, bounded parser of HTTP/1.x request heads (RFC 9112), enough
 * for GET and HEAD of static files and the WebSocket opening handshake:
 * bytes in, a parsed request out, no I/O. Also the pure helpers around
 * it: request paths, content types, status texts.
 */
#ifndef XRFB_HTTP_H
#define XRFB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A request head longer than this is refused with 431. */
#define HTTP_HEAD_MAX 8192
/* So are more header lines than this. */
#define HTTP_HEADERS_MAX 64
/* The longest file path a request may name. */
#define HTTP_PATH_MAX 1024

struct http_header {
	const char *name;		/* as sent; compare case-insensitively */
	const char *value;		/* leading and trailing blanks removed */
};

struct http_request {
	const char *method;		/* "GET" or "HEAD" */
	const char *target;		/* origin form: starts with '/' */
	int minor;			/* HTTP/1.minor: 0 or 1 */
	struct http_header headers[HTTP_HEADERS_MAX];
	unsigned nheaders;
};

struct http_parser {
	char head[HTTP_HEAD_MAX + 1];
	size_t len;
	bool done;
	struct http_request req;	/* valid once done; points into head */
	int status;			/* after an error: the status to send */
	const char *error;		/* and why, for the log and the body */
};

/* What a connection's first bytes say it is (doc/protocol.md,
 * "WebSocket"). */
enum http_sniff {
	HTTP_SNIFF_MORE,	/* a prefix of "GET " or "HEAD ": wait */
	HTTP_SNIFF_HTTP,	/* "GET " or "HEAD " */
	HTTP_SNIFF_TLS,		/* a TLS handshake record (0x16) */
	HTTP_SNIFF_OTHER,	/* anything else: RFB on an RFB listener */
};

/* Classify the first @len bytes a client sent. A TLS record is told
 * apart only if @tls (the listener speaks HTTPS); else it is OTHER. The
 * verdict for a longer prefix of the same bytes is the same, except
 * that MORE may become anything. */
enum http_sniff http_sniff(const uint8_t *d, size_t len, bool tls);

void http_parser_init(struct http_parser *p);
/* Feed request bytes. Returns the bytes consumed: all of @in, or up to
 * the end of the head, which sets p->done (what follows belongs to the
 * next request or to the WebSocket). On a bad request returns -EPROTO
 * (-EMSGSIZE when too long) with p->status and p->error set. */
ssize_t http_parse(struct http_parser *p, const char *in, size_t len);

/* The value of the first header @name, or NULL. */
const char *http_header(const struct http_request *r, const char *name);
/* How many header lines are named @name. */
unsigned http_header_count(const struct http_request *r, const char *name);
/* True if @token is in the comma-separated values of any @name header
 * (case-insensitive, as for Connection, Upgrade and subprotocols). */
bool http_has_token(const struct http_request *r, const char *name,
		    const char *token);

/* The file path of a request target: the part before '?' or '#',
 * percent-decoded, into @out. -EINVAL for what may not name a file
 * under the web root: "." or ".." segments, NUL, a backslash, bad
 * escapes; -ENAMETOOLONG past @size. */
int http_target_path(const char *target, char *out, size_t size);
/* The value of parameter @name in @target's query ("/p?a=1&name=v#f"),
 * percent-decoded, into @out: its length (>= 0), -ENOENT if the query
 * has no such parameter, -EINVAL for a bad escape or an encoded NUL,
 * -ENAMETOOLONG past @size (with the NUL). The first one counts. */
int http_query_param(const char *target, const char *name, char *out,
		     size_t size);
/* The Content-Type for a file name, by its extension. */
const char *http_content_type(const char *path);
/* The reason phrase of a status code we send. */
const char *http_reason(int status);

#endif
