/* SPDX-License-Identifier: MIT */
/*
 * Growable byte buffers, refcounted payloads and the allocation wrappers
 * that abort (for small fixed sizes only; sizes a peer controls are
 * allocated with plain malloc and checked).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"

int buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - b->len)
		return -ENOMEM;
	need = b->len + extra;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len) < 0)
		return -ENOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

uint8_t *buf_extend(struct buf *b, size_t len)
{
	uint8_t *p;

	if (buf_reserve(b, len) < 0)
		return NULL;
	p = b->data + b->len;
	b->len += len;
	return p;
}

void buf_consume(struct buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

void buf_fini(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

uint8_t *buf_steal(struct buf *b, size_t *len)
{
	uint8_t *p = b->data;

	*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

struct rcbuf *rcbuf_new(uint8_t *data, size_t len)
{
	struct rcbuf *r = malloc(sizeof(*r));

	if (!r) {
		free(data);
		return NULL;
	}
	r->ref = 1;
	r->len = len;
	r->data = data;
	return r;
}

struct rcbuf *rcbuf_copy(const void *data, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		return NULL;
	memcpy(p, data, len);
	return rcbuf_new(p, len);
}

struct rcbuf *rcbuf_from_buf(struct buf *b)
{
	size_t len;
	uint8_t *p = buf_steal(b, &len);

	return rcbuf_new(p, len);
}

struct rcbuf *rcbuf_ref(struct rcbuf *r)
{
	r->ref++;
	return r;
}

void rcbuf_unref(struct rcbuf *r)
{
	if (r && --r->ref == 0) {
		free(r->data);
		free(r);
	}
}

static void oom(size_t n)
{
	log_error("out of memory allocating %zu bytes", n);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}
