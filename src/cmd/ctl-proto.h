/* SPDX-License-Identifier: MIT */
/* The control socket's requests: one flat JSON object per line. */
#ifndef XRFB_CTL_PROTO_H
#define XRFB_CTL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest request line, its newline included. */
#define CTL_PROTO_LINE_MAX 4096
#define CTL_PROTO_MAX_FIELDS 8
#define CTL_PROTO_KEY_MAX 32

enum ctl_proto_type {
	CTL_PROTO_NULL,
	CTL_PROTO_BOOL,
	CTL_PROTO_INT,
	CTL_PROTO_STR,
};

struct ctl_proto_field {
	char key[CTL_PROTO_KEY_MAX];
	enum ctl_proto_type type;
	bool b;
	long long num;
	const char *str;	/* NUL-terminated UTF-8, in the request */
};

struct ctl_proto_request {
	unsigned n;
	struct ctl_proto_field fields[CTL_PROTO_MAX_FIELDS];
	const char *error;	/* set when the line is not a request */
	char strings[CTL_PROTO_LINE_MAX];
	size_t used;
};

/* Parse the line at the start of @p: returns the bytes it takes, its
 * newline included, with @req filled or req->error set when the line is
 * no valid request (a flat object of string, integer, boolean and null
 * values, unique keys); 0 when no whole line is there yet; -EMSGSIZE
 * when the line is longer than CTL_PROTO_LINE_MAX. */
int ctl_proto_parse(const uint8_t *p, size_t len,
		    struct ctl_proto_request *req);
/* The field @key, or NULL. */
const struct ctl_proto_field *
ctl_proto_get(const struct ctl_proto_request *req, const char *key);
/* The string value of @key, or NULL if absent or not a string. */
const char *ctl_proto_str(const struct ctl_proto_request *req,
			  const char *key);

#endif
