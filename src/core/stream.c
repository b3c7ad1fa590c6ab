/* SPDX-License-Identifier: MIT */
/*
 * Non-blocking socket streams. Reads land in an input buffer handed to the
 * owner; writes go through a queue of refcounted payloads flushed with
 * writev, so one encoded update can sit on many clients' queues and a
 * stalled peer never blocks the loop. Errors are reported once, from the
 * loop, never from inside stream_send(), so callers need not expect their
 * objects to vanish mid-call.
 *
 * A stream may carry its bytes in WebSocket frames (stream_set_websocket):
 * then what is read is unframed before the owner sees it, Pings and
 * Closes are answered here, and each payload sent goes out as one frame
 * whose header is queued in front of it (doc/protocol.md, "WebSocket").
 * The owner sees the same byte stream either way.
 *
 * A layer (TLS, see tls.c) may be put over the socket mid-stream: from
 * then on reads and writes go through its recv/send, and input it has
 * buffered is drained here, since epoll cannot see it. WebSocket frames
 * go inside the layer (WSS), never the other way round.
 *
 * A filter (stream_set_filter, RA2's records) sits between the socket,
 * the layer or the WebSocket frames and the owner: what is read is
 * decoded onto the owner's input, and every payload sent is encoded
 * before it is queued (or framed).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "stream.h"
#include "websocket.h"

#define STREAM_READ_CHUNK 65536
#define STREAM_IOV_MAX 64
/* Bytes handed to a layer's send at once (a TLS record's worth). */
#define STREAM_LAYER_CHUNK 16384
/* Input read through a layer in one go before the loop gets a turn. */
#define STREAM_LAYER_READ_MAX (256u << 10)

enum stream_layer_state {
	STREAM_LAYER_NONE,
	STREAM_LAYER_WAIT_FLUSH,	/* clear bytes still queued */
	STREAM_LAYER_HANDSHAKE,
	STREAM_LAYER_UP,
};

struct qent {
	struct rcbuf *buf;
	size_t off;
};

struct stream {
	struct xrfb_loop *loop;
	int fd;
	struct xrfb_watch *watch;
	stream_read_fn on_read;
	stream_error_fn on_error;
	stream_drain_fn on_drain;
	void *arg;

	struct buf in;

	struct qent *q;		/* ring buffer of payloads */
	size_t qhead, qlen, qcap;
	size_t queued;

	/* WebSocket framing (NULL: plain bytes). */
	struct ws_parser *ws;
	enum ws_subproto ws_proto;
	struct buf raw;		/* framed bytes as read */
	bool ws_close_sent;

	/* A filter (NULL: none) and its input not yet decoded. */
	const struct stream_filter_ops *filter;
	void *filter_ctx;
	struct buf fin;

	bool read_paused;
	bool closing;		/* close once drained */
	bool failed;		/* error reported or pending */
	int error;
	struct xrfb_timer *err_timer;

	enum stream_layer_state layer_state;
	const struct stream_layer_ops *layer;
	void *layer_ctx;
	stream_layer_ready_fn on_layer_ready;
	void *layer_ready_arg;
	struct xrfb_timer *drain_timer;	/* layer input epoll cannot see */
	uint64_t *cpu_sink;		/* input CPU time goes here */
};

static void layer_read(struct stream *s);

static void update_events(struct stream *s)
{
	uint32_t ev = 0;

	if (s->failed)
		ev = 0;
	else if (s->layer_state == STREAM_LAYER_HANDSHAKE)
		ev = s->layer->wants_write(s->layer_ctx) ? XRFB_EV_OUT
							 : XRFB_EV_IN;
	else {
		if (!s->read_paused && !s->closing)
			ev |= XRFB_EV_IN;
		if (s->qlen)
			ev |= XRFB_EV_OUT;
	}
	xrfb_watch_set_events(s->watch, ev);
}

static void on_error_timer(void *arg)
{
	struct stream *s = arg;

	s->err_timer = NULL;
	s->on_error(s->arg, s, s->error);
}

/* Report an error from the loop, not from the caller's stack. */
static void fail(struct stream *s, int err)
{
	if (s->failed)
		return;
	s->failed = true;
	s->error = err;
	update_events(s);
	s->err_timer = xrfb_loop_add_timer(s->loop, 0, on_error_timer, s);
}

/* Drop the queue head if it has been written completely. */
static void pop_done(struct stream *s)
{
	while (s->qlen && s->q[s->qhead].buf->len == s->q[s->qhead].off) {
		rcbuf_unref(s->q[s->qhead].buf);
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
	}
}

/* Through the layer, one chunk at a time: after -EAGAIN the next call
 * offers the same bytes again, as TLS requires. */
static int layer_flush(struct stream *s)
{
	pop_done(s);
	while (s->qlen) {
		struct qent *e = &s->q[s->qhead];
		size_t left = e->buf->len - e->off;
		ssize_t w;

		if (left > STREAM_LAYER_CHUNK)
			left = STREAM_LAYER_CHUNK;
		w = s->layer->send(s->layer_ctx, e->buf->data + e->off, left);
		if (w == -EAGAIN)
			return 0;
		if (w < 0)
			return (int)w;
		e->off += (size_t)w;
		s->queued -= (size_t)w;
		pop_done(s);
	}
	return 0;
}

static int do_flush(struct stream *s)
{
	if (s->layer_state == STREAM_LAYER_UP)
		return layer_flush(s);
	if (s->layer_state == STREAM_LAYER_HANDSHAKE)
		return 0;
	while (s->qlen) {
		struct iovec iov[STREAM_IOV_MAX];
		int n = 0;
		ssize_t w;

		for (size_t i = 0; i < s->qlen && n < STREAM_IOV_MAX; i++) {
			struct qent *e = &s->q[(s->qhead + i) % s->qcap];
			iov[n].iov_base = e->buf->data + e->off;
			iov[n].iov_len = e->buf->len - e->off;
			n++;
		}
		w = writev(s->fd, iov, n);
		if (w < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;
		}
		s->queued -= (size_t)w;
		while (w > 0) {
			struct qent *e = &s->q[s->qhead];
			size_t left = e->buf->len - e->off;
			if ((size_t)w < left) {
				e->off += (size_t)w;
				break;
			}
			w -= (ssize_t)left;
			rcbuf_unref(e->buf);
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
		}
		/* Drop empty payloads at the head, writev skips them. */
		pop_done(s);
	}
	return 0;
}

static void layer_step_handshake(struct stream *s)
{
	int r = s->layer->handshake(s->layer_ctx);

	if (r == -EAGAIN) {
		update_events(s);
		return;
	}
	if (r < 0) {
		fail(s, r);
		return;
	}
	s->layer_state = STREAM_LAYER_UP;
	update_events(s);
	s->on_layer_ready(s->layer_ready_arg);
	/* Input that came with the last handshake flight. */
	if (!s->failed && s->layer->pending(s->layer_ctx))
		layer_read(s);
}

void stream_flush(struct stream *s)
{
	bool had = s->qlen > 0;
	int err;

	if (s->failed)
		return;
	err = do_flush(s);
	if (err < 0) {
		log_debug("stream %d: write: %s", s->fd, strerror(-err));
		fail(s, err);
		return;
	}
	if (!s->qlen && s->layer_state == STREAM_LAYER_WAIT_FLUSH) {
		s->layer_state = STREAM_LAYER_HANDSHAKE;
		layer_step_handshake(s);
		return;
	}
	update_events(s);
	if (!s->qlen) {
		if (s->closing) {
			if (s->layer_state == STREAM_LAYER_UP)
				s->layer->bye(s->layer_ctx);
			shutdown(s->fd, SHUT_WR);
			fail(s, 0);
			return;
		}
		if (had && s->on_drain)
			s->on_drain(s->arg, s);
	}
}

/* ---- filter ------------------------------------------------------------------ */

/* Where bytes go once read (and unframed): the owner's input, or the
 * filter's. */
static struct buf *plain_dst(struct stream *s)
{
	return s->filter ? &s->fin : &s->in;
}

/* Decode what the filter can of its input; -errno once the stream has
 * failed. */
static int filter_decode(struct stream *s)
{
	size_t off = 0;
	int r = 0;

	if (!s->filter)
		return 0;
	while (off < s->fin.len) {
		ssize_t k = s->filter->decode(s->filter_ctx, s->fin.data + off,
					      s->fin.len - off, &s->in);
		if (k < 0) {
			log_info("stream %d: bad input: %s, closing", s->fd,
				 strerror((int)-k));
			fail(s, (int)k);
			r = (int)k;
			break;
		}
		if (k == 0)
			break;
		off += (size_t)k;
	}
	buf_consume(&s->fin, off);
	return r;
}

int stream_set_filter(struct stream *s, const struct stream_filter_ops *ops,
		      void *ctx)
{
	/* A layer still in its handshake would see the filter's bytes. */
	if (s->filter || (s->layer && s->layer_state != STREAM_LAYER_UP)) {
		ops->free(ctx);
		return s->filter ? -EALREADY : -EINVAL;
	}
	s->filter = ops;
	s->filter_ctx = ctx;
	return 0;
}

/* ---- WebSocket framing ----------------------------------------------------- */

static int enqueue(struct stream *s, struct rcbuf *payload);

/* Queue a frame of @len bytes at @data as it is. */
static int ws_send_frame(struct stream *s, uint8_t opcode, const void *data,
			 size_t len)
{
	uint8_t *f = malloc(WS_HEADER_MAX + len);
	size_t n;

	if (!f)
		return -ENOMEM;
	n = ws_frame_header(f, opcode, len, NULL);
	if (len)
		memcpy(f + n, data, len);
	return enqueue(s, rcbuf_new(f, n + len));
}

/* The last frame of the connection: nothing is queued after it. */
static void ws_send_close(struct stream *s, uint16_t code, const char *why)
{
	uint8_t payload[WS_CONTROL_MAX];

	if (s->ws_close_sent)
		return;
	s->ws_close_sent = true;
	ws_send_frame(s, WS_OP_CLOSE, payload,
		      ws_close_payload(payload, code, why));
}

/* One payload, one frame: the header goes in front of the shared
 * payload, or, on a base64 connection, a text frame of its base64. */
static int ws_send(struct stream *s, struct rcbuf *payload)
{
	uint8_t hdr[WS_HEADER_MAX];
	size_t n, b64len;
	uint8_t *f;

	if (!payload)
		return -ENOMEM;
	if (s->failed || s->closing || !payload->len) {
		rcbuf_unref(payload);
		return s->failed || s->closing ? -EPIPE : 0;
	}
	if (s->ws_proto != WS_PROTO_BASE64) {
		n = ws_frame_header(hdr, WS_OP_BINARY, payload->len, NULL);
		if (enqueue(s, rcbuf_copy(hdr, n)) < 0) {
			rcbuf_unref(payload);
			return -ENOMEM;
		}
		return enqueue(s, payload);
	}
	b64len = BASE64_ENCODE_RAW_LENGTH(payload->len);
	f = malloc(WS_HEADER_MAX + b64len);
	if (!f) {
		rcbuf_unref(payload);
		return -ENOMEM;
	}
	n = ws_frame_header(f, WS_OP_TEXT, b64len, NULL);
	base64_encode_raw((char *)f + n, payload->len, payload->data);
	rcbuf_unref(payload);
	return enqueue(s, rcbuf_new(f, n + b64len));
}

/* Unframe what was read into s->raw, onto s->in; answer control frames.
 * Returns -EPROTO once the connection is over (after a Close, or a
 * client error, which is answered by a Close and logged). */
static int ws_unframe(struct stream *s)
{
	size_t off = 0;

	while (off < s->raw.len) {
		enum ws_event ev;
		ssize_t k = ws_parse(s->ws, s->raw.data + off, s->raw.len - off,
				     plain_dst(s), &ev);

		if (k < 0) {
			log_info("stream %d: WebSocket: %s, closing", s->fd,
				 s->ws->error);
			ws_send_close(s, s->ws->close_code, s->ws->error);
			break;
		}
		off += (size_t)k;
		if (ev == WS_EV_PING)
			ws_send_frame(s, WS_OP_PONG, s->ws->ctrl,
				      s->ws->ctrl_len);
		else if (ev == WS_EV_CLOSE) {
			/* §5.5.1: echo the code; none becomes 1000. */
			ws_send_close(s, s->ws->close_code == WS_CLOSE_NO_STATUS
						 ? WS_CLOSE_NORMAL
						 : s->ws->close_code,
				      NULL);
			break;
		}
	}
	buf_consume(&s->raw, s->raw.len);
	if (s->ws->failed || s->ws->closed) {
		/* What was unframed before the end is still the owner's;
		 * the close follows the Close frame out. */
		if (filter_decode(s) == 0 && s->in.len)
			s->on_read(s->arg, s);
		if (!s->failed && !s->closing) {
			s->closing = true;
			stream_flush(s);
		}
		return -EPROTO;
	}
	stream_flush(s);
	return 0;
}

/* A stream freed while its peer is still there: tell a WebSocket peer
 * the connection ends (a browser shows a clean close, not 1006), if one
 * write can, and nothing half-sent is in the way. */
static void ws_goodbye(struct stream *s)
{
	uint8_t f[WS_HEADER_MAX + 2];
	size_t n;

	/* Under TLS, a Close written as it is would break the records. */
	if (!s->ws || s->ws_close_sent || s->failed || s->qlen || s->layer)
		return;
	n = ws_frame_header(f, WS_OP_CLOSE, 2, NULL);
	n += ws_close_payload(f + n, WS_CLOSE_NORMAL, NULL);
	if (write(s->fd, f, n) < 0)
		log_debug("stream %d: no Close frame: %s", s->fd,
			  strerror(errno));
}

int stream_set_websocket(struct stream *s, enum ws_subproto proto)
{
	if (s->ws)
		return -EALREADY;
	s->ws = malloc(sizeof(*s->ws));
	if (!s->ws)
		return -ENOMEM;
	ws_parser_init(s->ws, proto == WS_PROTO_BASE64);
	s->ws_proto = proto;
	/* What already arrived after the handshake is framed too. */
	if (s->in.len) {
		struct buf t = s->raw;

		s->raw = s->in;
		s->in = t;
		s->in.len = 0;
	}
	return 0;
}

void stream_replay_input(struct stream *s)
{
	if (s->failed || s->closing)
		return;
	if (s->ws && s->raw.len && ws_unframe(s) < 0)
		return;
	if (filter_decode(s) < 0)
		return;
	if (s->in.len)
		s->on_read(s->arg, s);
}

/* The calling thread's CPU time, for stream_set_cpu_sink(). */
static uint64_t thread_cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* Add what the thread spent since @start (from thread_cpu_us(), or 0
 * when there is no @sink) to @sink. The stream may be gone by now: the
 * sink was read before. */
static void cpu_count(uint64_t *sink, uint64_t start)
{
	if (sink)
		*sink += thread_cpu_us() - start;
}

static uint64_t cpu_start(const uint64_t *sink)
{
	return sink ? thread_cpu_us() : 0;
}

static void on_drain_timer(void *arg)
{
	struct stream *s = arg;
	uint64_t *sink = s->cpu_sink, t0 = cpu_start(sink);

	s->drain_timer = NULL;
	if (!s->failed && !s->read_paused && !s->closing)
		layer_read(s);
	cpu_count(sink, t0);
}

/* Read through the layer until it has nothing more, or a bounded amount:
 * then the loop gets a turn and a timer carries on, since epoll will not
 * report bytes the layer already holds. */
static void layer_read(struct stream *s)
{
	size_t got = 0;
	ssize_t n;

	for (;;) {
		struct buf *dst = s->ws ? &s->raw : plain_dst(s);

		if (buf_reserve(dst, STREAM_LAYER_CHUNK) < 0) {
			fail(s, -ENOMEM);
			return;
		}
		n = s->layer->recv(s->layer_ctx, dst->data + dst->len,
				   STREAM_LAYER_CHUNK);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			fail(s, (int)n);
			return;
		}
		dst->len += (size_t)n;
		got += (size_t)n;
		if (got >= STREAM_LAYER_READ_MAX)
			break;
	}
	if (got) {
		if (s->ws && ws_unframe(s) < 0)
			return;
		if (filter_decode(s) < 0)
			return;
		if (s->in.len)
			s->on_read(s->arg, s);
	}
	if (!s->failed && !s->drain_timer && s->layer->pending(s->layer_ctx))
		s->drain_timer = xrfb_loop_add_timer(s->loop, 0,
						     on_drain_timer, s);
}

/* Read what the socket has and hand it on (plain bytes, or WebSocket
 * frames and filters). */
static void plain_read(struct stream *s)
{
	struct buf *dst = s->ws ? &s->raw : plain_dst(s);
	ssize_t n;

	if (buf_reserve(dst, STREAM_READ_CHUNK) < 0) {
		fail(s, -ENOMEM);
		return;
	}
	n = read(s->fd, dst->data + dst->len, STREAM_READ_CHUNK);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		fail(s, -errno);
		return;
	}
	if (n == 0) {
		fail(s, 0);
		return;
	}
	dst->len += (size_t)n;
	if (s->ws && ws_unframe(s) < 0)
		return;
	if (filter_decode(s) < 0)
		return;
	s->on_read(s->arg, s);
}

static void on_io(void *arg, int fd, uint32_t events)
{
	struct stream *s = arg;
	uint64_t *sink = s->cpu_sink, t0;

	(void)fd;
	if (s->layer_state == STREAM_LAYER_HANDSHAKE) {
		t0 = cpu_start(sink);
		layer_step_handshake(s);
		cpu_count(sink, t0);
		return;
	}
	/* (sending is the work of the updates sent: not counted) */
	if (events & XRFB_EV_OUT)
		stream_flush(s);
	if (s->failed)
		return;
	if (!(events & (XRFB_EV_IN | XRFB_EV_HUP | XRFB_EV_ERR)))
		return;
	t0 = cpu_start(sink);
	if (s->layer_state != STREAM_LAYER_UP)
		plain_read(s);
	else if (!s->read_paused && !s->closing)
		layer_read(s);
	cpu_count(sink, t0);
}

struct stream *stream_new(struct xrfb_loop *loop, int fd, stream_read_fn on_read,
			  stream_error_fn on_error, void *arg)
{
	struct stream *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = loop;
	s->fd = fd;
	s->on_read = on_read;
	s->on_error = on_error;
	s->arg = arg;
	s->watch = xrfb_loop_watch_fd(loop, fd, XRFB_EV_IN, on_io, s);
	if (!s->watch) {
		free(s);
		return NULL;
	}
	return s;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	xrfb_timer_cancel(s->err_timer);
	xrfb_timer_cancel(s->drain_timer);
	xrfb_watch_free(s->watch);
	ws_goodbye(s);
	if (s->layer)
		s->layer->free(s->layer_ctx);
	close(s->fd);
	while (s->qlen) {
		rcbuf_unref(s->q[s->qhead].buf);
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
	}
	free(s->q);
	buf_fini(&s->in);
	buf_fini(&s->raw);
	buf_fini(&s->fin);
	if (s->filter)
		s->filter->free(s->filter_ctx);
	free(s->ws);
	free(s);
}

void stream_set_owner(struct stream *s, stream_read_fn on_read,
		      stream_error_fn on_error, stream_drain_fn on_drain,
		      void *arg)
{
	s->on_read = on_read;
	s->on_error = on_error;
	s->on_drain = on_drain;
	s->arg = arg;
}

void stream_set_cpu_sink(struct stream *s, uint64_t *sink)
{
	s->cpu_sink = sink;
}

void stream_set_drain_fn(struct stream *s, stream_drain_fn fn)
{
	s->on_drain = fn;
}

/* Put @payload on the queue as it is (consumed, also on failure). */
static int enqueue(struct stream *s, struct rcbuf *payload)
{
	if (!payload)
		return -ENOMEM;
	if (s->failed || s->closing) {
		rcbuf_unref(payload);
		return -EPIPE;
	}
	if (s->qlen == s->qcap) {
		size_t cap = s->qcap ? s->qcap * 2 : 16;
		struct qent *q = malloc(cap * sizeof(*q));

		if (!q) {
			rcbuf_unref(payload);
			return -ENOMEM;
		}
		for (size_t i = 0; i < s->qlen; i++)
			q[i] = s->q[(s->qhead + i) % s->qcap];
		free(s->q);
		s->q = q;
		s->qcap = cap;
		s->qhead = 0;
	}
	s->q[(s->qhead + s->qlen) % s->qcap] = (struct qent){ payload, 0 };
	s->qlen++;
	s->queued += payload->len;
	return 0;
}

int stream_send(struct stream *s, struct rcbuf *payload)
{
	if (s->filter && payload) {
		if (s->failed || s->closing) {
			rcbuf_unref(payload);
			return -EPIPE;
		}
		payload = s->filter->encode(s->filter_ctx, payload);
		if (!payload)
			return -ENOMEM;
	}
	if (s->ws)
		return ws_send(s, payload);
	return enqueue(s, payload);
}

int stream_send_copy(struct stream *s, const void *data, size_t len)
{
	return stream_send(s, rcbuf_copy(data, len));
}

size_t stream_queued(const struct stream *s)
{
	return s->queued;
}

void stream_pause_read(struct stream *s, bool pause)
{
	if (s->read_paused == pause)
		return;
	s->read_paused = pause;
	if (s->failed)
		return;
	update_events(s);
	if (!pause && s->layer_state == STREAM_LAYER_UP && !s->drain_timer &&
	    s->layer->pending(s->layer_ctx))
		s->drain_timer = xrfb_loop_add_timer(s->loop, 0,
						     on_drain_timer, s);
}

int stream_start_layer(struct stream *s, const struct stream_layer_ops *ops,
		       void *ctx, stream_layer_ready_fn on_ready,
		       void *ready_arg)
{
	/* Not under WebSocket framing: that would need TLS inside frames. */
	if (s->layer || s->ws || s->failed || s->closing || s->in.len) {
		ops->free(ctx);
		return s->in.len ? -EPROTO : -EINVAL;
	}
	s->layer = ops;
	s->layer_ctx = ctx;
	s->on_layer_ready = on_ready;
	s->layer_ready_arg = ready_arg;
	s->layer_state = STREAM_LAYER_WAIT_FLUSH;
	stream_flush(s);
	return 0;
}

bool stream_has_layer(const struct stream *s)
{
	return s->layer != NULL;
}

void stream_close_after_flush(struct stream *s)
{
	if (s->failed || s->closing)
		return;
	if (s->ws)
		ws_send_close(s, WS_CLOSE_NORMAL, NULL);
	s->closing = true;
	stream_flush(s);
}

struct buf *stream_input(struct stream *s)
{
	return &s->in;
}

int stream_fd(const struct stream *s)
{
	return s->fd;
}
