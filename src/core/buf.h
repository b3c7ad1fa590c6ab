/* SPDX-License-Identifier: MIT */
/*
 * Growable byte buffers (struct buf) and refcounted immutable payloads
 * (struct rcbuf) for the send queue. Big-endian put helpers for the wire.
 */
#ifndef XRFB_BUF_H
#define XRFB_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for @extra more bytes; -ENOMEM on failure. */
int buf_reserve(struct buf *b, size_t extra);
/* Append @len bytes; -ENOMEM on failure. */
int buf_append(struct buf *b, const void *data, size_t len);
/* Grow len by @len and return a pointer to the new bytes (NULL: ENOMEM). */
uint8_t *buf_extend(struct buf *b, size_t len);
/* Drop the first @n bytes. */
void buf_consume(struct buf *b, size_t n);
/* Free the storage and reset to empty. */
void buf_fini(struct buf *b);
/* Take the storage out of @b (which becomes empty). */
uint8_t *buf_steal(struct buf *b, size_t *len);

/* Unchecked appends: call buf_reserve() first. */
static inline void buf_put_u8(struct buf *b, uint8_t v)
{
	b->data[b->len++] = v;
}
static inline void buf_put_u16(struct buf *b, uint16_t v)
{
	b->data[b->len++] = v >> 8;
	b->data[b->len++] = v;
}
static inline void buf_put_u32(struct buf *b, uint32_t v)
{
	b->data[b->len++] = v >> 24;
	b->data[b->len++] = v >> 16;
	b->data[b->len++] = v >> 8;
	b->data[b->len++] = v;
}
static inline void buf_put_mem(struct buf *b, const void *p, size_t n)
{
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

static inline uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}
static inline void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}
static inline void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* An immutable, refcounted payload on one or more send queues. */
struct rcbuf {
	int ref;
	size_t len;
	uint8_t *data;
};

/* Wrap malloc'ed @data (taken over) in a payload with one reference. */
struct rcbuf *rcbuf_new(uint8_t *data, size_t len);
/* A payload holding a copy of @data. */
struct rcbuf *rcbuf_copy(const void *data, size_t len);
/* A payload taking over the storage of @b (which becomes empty). */
struct rcbuf *rcbuf_from_buf(struct buf *b);
struct rcbuf *rcbuf_ref(struct rcbuf *r);
void rcbuf_unref(struct rcbuf *r);

/* Allocation that cannot fail: logs and aborts (small fixed sizes only). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
