/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the control socket's request parser, fed the way a
 * connection feeds it: the input is consumed line by line. Besides "no
 * crash, no read out of bounds" it checks the contract: the length taken
 * is within the input and ends at a newline, every prefix of a line asks
 * for more, an overlong line is refused, a parsed request holds only
 * NUL-terminated UTF-8 strings inside its own buffer, and parsing the
 * same bytes again gives the same answer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-proto.h"
#include "fuzz-check.h"
#include "utf8.h"

static int parse_copy(const uint8_t *d, size_t len,
		      struct ctl_proto_request *req)
{
	uint8_t *copy = malloc(len ? len : 1);
	int r;

	CHECK(copy);
	memcpy(copy, d, len);
	r = ctl_proto_parse(copy, len, req);
	free(copy);
	return r;
}

static void check_request(const struct ctl_proto_request *req)
{
	const struct ctl_proto_field *f;
	unsigned i;

	if (req->error)
		return;
	CHECK(req->n <= CTL_PROTO_MAX_FIELDS);
	CHECK(req->used <= sizeof(req->strings));
	for (i = 0; i < req->n; i++) {
		f = &req->fields[i];
		CHECK(memchr(f->key, '\0', sizeof(f->key)));
		CHECK(ctl_proto_get(req, f->key) == f);
		if (f->type != CTL_PROTO_STR)
			continue;
		CHECK(f->str >= req->strings &&
		      f->str < req->strings + req->used);
		CHECK(utf8_valid((const uint8_t *)f->str, strlen(f->str)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_proto_request req, again;
	size_t off = 0;
	int r;

	while (off < size) {
		r = parse_copy(data + off, size - off, &req);
		if (r == 0) {
			CHECK(size - off < CTL_PROTO_LINE_MAX);
			CHECK(!memchr(data + off, '\n', size - off));
			break;
		}
		if (r < 0) {
			CHECK(r == -EMSGSIZE);
			CHECK(size - off >= CTL_PROTO_LINE_MAX);
			break;
		}
		CHECK((size_t)r <= size - off);
		CHECK((size_t)r <= CTL_PROTO_LINE_MAX);
		CHECK(data[off + (size_t)r - 1] == '\n');
		CHECK(!memchr(data + off, '\n', (size_t)r - 1));
		check_request(&req);
		/* Every prefix of the line asks for more. */
		if (r > 1)
			CHECK(parse_copy(data + off, (size_t)r - 1, &again) ==
			      0);
		CHECK(parse_copy(data + off, (size_t)r, &again) == r);
		CHECK(!again.error == !req.error);
		CHECK(again.n == req.n);
		off += (size_t)r;
	}
	return 0;
}
