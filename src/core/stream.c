/* SPDX-License-Identifier: MIT */
/*
 * Non-blocking socket streams. Reads land in an input buffer handed to the
 * owner; writes go through a queue of refcounted payloads flushed with
 * writev, so one encoded update can sit on many clients' queues and a
 * stalled peer never blocks the loop. Errors are reported once, from the
 * loop, never from inside stream_send(), so callers need not expect their
 * objects to vanish mid-call.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"
#include "stream.h"

#define STREAM_READ_CHUNK 65536
#define STREAM_IOV_MAX 64

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

	bool read_paused;
	bool closing;		/* close once drained */
	bool failed;		/* error reported or pending */
	int error;
	struct xrfb_timer *err_timer;
};

static void update_events(struct stream *s)
{
	uint32_t ev = 0;

	if (s->failed)
		ev = 0;
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

static int do_flush(struct stream *s)
{
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
		while (s->qlen && s->q[s->qhead].buf->len == s->q[s->qhead].off) {
			rcbuf_unref(s->q[s->qhead].buf);
			s->qhead = (s->qhead + 1) % s->qcap;
			s->qlen--;
		}
	}
	return 0;
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
	update_events(s);
	if (!s->qlen) {
		if (s->closing) {
			shutdown(s->fd, SHUT_WR);
			fail(s, 0);
			return;
		}
		if (had && s->on_drain)
			s->on_drain(s->arg, s);
	}
}

static void on_io(void *arg, int fd, uint32_t events)
{
	struct stream *s = arg;

	if (events & XRFB_EV_OUT)
		stream_flush(s);
	if (s->failed)
		return;
	if (events & (XRFB_EV_IN | XRFB_EV_HUP | XRFB_EV_ERR)) {
		ssize_t n;

		if (buf_reserve(&s->in, STREAM_READ_CHUNK) < 0) {
			fail(s, -ENOMEM);
			return;
		}
		n = read(fd, s->in.data + s->in.len, STREAM_READ_CHUNK);
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
		s->in.len += (size_t)n;
		s->on_read(s->arg, s);
	}
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
	xrfb_watch_free(s->watch);
	close(s->fd);
	while (s->qlen) {
		rcbuf_unref(s->q[s->qhead].buf);
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
	}
	free(s->q);
	buf_fini(&s->in);
	free(s);
}

void stream_set_drain_fn(struct stream *s, stream_drain_fn fn)
{
	s->on_drain = fn;
}

int stream_send(struct stream *s, struct rcbuf *payload)
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
	if (!s->failed)
		update_events(s);
}

void stream_close_after_flush(struct stream *s)
{
	if (s->failed || s->closing)
		return;
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
