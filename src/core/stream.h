/* SPDX-License-Identifier: MIT */
/*
 * A non-blocking byte stream on a socket: input is read into a buffer the
 * owner parses; output is a queue of refcounted payloads written with
 * writev. EPOLLOUT is armed only while the queue is non-empty.
 */
#ifndef XRFB_STREAM_H
#define XRFB_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "websocket.h"
#include "xrfb.h"

struct stream;

/* New bytes are in stream_input(); consume what was parsed. */
typedef void (*stream_read_fn)(void *arg, struct stream *s);
/* The stream failed or the peer closed (@err: 0 for EOF or -errno). Called
 * at most once; the owner then calls stream_free(). */
typedef void (*stream_error_fn)(void *arg, struct stream *s, int err);
/* The output queue drained (optional). */
typedef void (*stream_drain_fn)(void *arg, struct stream *s);

struct stream *stream_new(struct xrfb_loop *loop, int fd, stream_read_fn on_read,
			  stream_error_fn on_error, void *arg);
/* Close the socket and free everything queued. */
void stream_free(struct stream *s);
void stream_set_drain_fn(struct stream *s, stream_drain_fn fn);
/* Add the CPU time the loop thread spends on the stream's input (the
 * handshake of a layer such as TLS, reading, and the owner's parsing of
 * what was read) to *@sink; NULL: not counted. Sending is not counted. */
void stream_set_cpu_sink(struct stream *s, uint64_t *sink);
/* Hand the stream to a new owner (what is queued stays queued). */
void stream_set_owner(struct stream *s, stream_read_fn on_read,
		      stream_error_fn on_error, stream_drain_fn on_drain,
		      void *arg);
/* From now on, carry the bytes in WebSocket frames with @proto; input
 * already read counts as framed. -EALREADY if it was done before. */
int stream_set_websocket(struct stream *s, enum ws_subproto proto);
/* A byte transform between the socket (or WebSocket frames) and the
 * owner, such as RA2's encrypted records. */
struct stream_filter_ops {
	/* Decode what it can of the @len bytes at @d onto @out: bytes
	 * used (the rest waits for more), or -errno (the stream fails). */
	ssize_t (*decode)(void *ctx, const uint8_t *d, size_t len,
			  struct buf *out);
	/* What goes out for @payload (consumed); NULL on failure. */
	struct rcbuf *(*encode)(void *ctx, struct rcbuf *payload);
	void (*free)(void *ctx);
};

/* From now on, pass what is read and sent through @ops. Input already
 * buffered stays as it is: only what is read later is decoded. The
 * stream owns @ctx, also on failure. -EALREADY if it was done before,
 * -EINVAL under a layer (TLS). */
int stream_set_filter(struct stream *s, const struct stream_filter_ops *ops,
		      void *ctx);
/* Give the owner the input that is already buffered (after a hand-over). */
void stream_replay_input(struct stream *s);

/* Queue a payload (consumed, also on failure). */
int stream_send(struct stream *s, struct rcbuf *payload);
/* Queue a copy of @len bytes. */
int stream_send_copy(struct stream *s, const void *data, size_t len);
/* Write as much of the queue as the socket takes now. */
void stream_flush(struct stream *s);
/* Bytes waiting in the output queue. */
size_t stream_queued(const struct stream *s);
/* Stop reading (true) or resume (false). */
void stream_pause_read(struct stream *s, bool pause);
/* Flush what is queued, then close: on_error(0) follows once drained. */
void stream_close_after_flush(struct stream *s);

/* A transport layered over the socket (TLS). Each call works on the
 * socket itself, never blocks, and maps "try again" to -EAGAIN. */
struct stream_layer_ops {
	/* 0 once the layer's handshake is done, -EAGAIN, or -errno. */
	int (*handshake)(void *ctx);
	/* Bytes read (> 0), 0 at an orderly end, -EAGAIN or -errno. */
	ssize_t (*recv)(void *ctx, void *buf, size_t len);
	/* Bytes written (> 0), -EAGAIN or -errno. After -EAGAIN the same
	 * bytes are offered again. */
	ssize_t (*send)(void *ctx, const void *buf, size_t len);
	/* Input the layer has read from the socket but not yet returned:
	 * epoll will not report it, so the stream drains it itself. */
	size_t (*pending)(void *ctx);
	/* After -EAGAIN: whether the layer waits to write (else to read). */
	bool (*wants_write)(void *ctx);
	/* Tell the peer the stream ends (best effort, never blocks). */
	void (*bye)(void *ctx);
	void (*free)(void *ctx);
};

/* The layer's handshake completed. */
typedef void (*stream_layer_ready_fn)(void *arg);

/* Put a layer over the socket once what is queued has gone out as it is,
 * and run its handshake; @on_ready follows, or on_error. The stream owns
 * @ctx from here, also on failure. Send nothing until @on_ready, and the
 * input buffer must be empty: bytes that came in the clear before the
 * layer are never mixed with what comes through it. @on_ready gets
 * @ready_arg. */
int stream_start_layer(struct stream *s, const struct stream_layer_ops *ops,
		       void *ctx, stream_layer_ready_fn on_ready,
		       void *ready_arg);
/* Whether a layer (TLS) carries the stream. */
bool stream_has_layer(const struct stream *s);

/* Unparsed input. */
struct buf *stream_input(struct stream *s);
int stream_fd(const struct stream *s);

#endif
