/* SPDX-License-Identifier: MIT */
/*
 * Fences, continuous updates and congestion control (rfbproto.rst
 * "ClientFence", "EnableContinuousUpdates", doc/protocol.md, "Continuous
 * updates and fences").
 *
 * The window: every update in flight is followed by a fence request that
 * the client answers once it has processed everything before it, so the
 * answer tells how many bytes have arrived and how long the round trip
 * took. Bytes sent but not yet answered may not exceed the window. When
 * round trips grow well beyond the smallest seen (a queue is building up
 * somewhere), the window shrinks; while the window is the limit and round
 * trips stay short, it grows: doubling until the first cut (so a fast link
 * is found quickly from a small start), by steps after that. This keeps
 * latency near the link's own.
 */
#include "config.h"

#include <string.h>

#include "buf.h"
#include "flow.h"
#include "log.h"
#include "rfb-parse.h"
#include "rfb-proto.h"
#include "server-state.h"
#include "conn.h"
#include "stream.h"

#define FENCE_BLOCK_BEFORE 0x1u
#define FENCE_BLOCK_AFTER 0x2u
#define FENCE_SYNC_NEXT 0x4u
#define FENCE_REQUEST 0x80000000u
#define FENCE_SUPPORTED (FENCE_BLOCK_BEFORE | FENCE_BLOCK_AFTER | FENCE_SYNC_NEXT)

#define FLOW_WINDOW_INITIAL (64u << 10)
#define FLOW_WINDOW_MIN (16u << 10)
#define FLOW_WINDOW_MAX (64u << 20)
#define FLOW_WINDOW_STEP (32u << 10)
/* Round trips this much above the minimum mean a queue is building. */
#define FLOW_RTT_SLACK_MS 60

/* Ping payloads: "xrfb" and a sequence number, so a client's own fence
 * answers cannot be mistaken for ours. */
#define FLOW_PING_TAG "xrfb"
#define FLOW_PING_LEN 8

void flow_init(struct flow *f, struct conn *conn)
{
	memset(f, 0, sizeof(*f));
	f->conn = conn;
	f->window = FLOW_WINDOW_INITIAL;
	f->min_rtt = UINT64_MAX;
}

static void send_fence(struct flow *f, uint32_t flags,
		       const uint8_t *payload, uint8_t len)
{
	uint8_t msg[RFB_FENCE_HDR_LEN + RFB_FENCE_PAYLOAD_MAX];

	msg[0] = RFB_MSG_SERVER_FENCE;
	msg[1] = msg[2] = msg[3] = 0;
	put_u32(msg + 4, flags);
	msg[8] = len;
	memcpy(msg + RFB_FENCE_HDR_LEN, payload, len);
	conn_send(f->conn, msg, RFB_FENCE_HDR_LEN + (size_t)len);
}

static void send_ping(struct flow *f)
{
	uint8_t payload[FLOW_PING_LEN];

	if (f->npings == FLOW_MAX_PINGS)
		return;
	memcpy(payload, FLOW_PING_TAG, 4);
	put_u32(payload + 4, f->next_seq);
	f->pings[f->npings++] = (struct flow_ping){
		.seq = f->next_seq++,
		.sent_ms = xrfb_now_ms(),
		.bytes_at = f->bytes_sent,
	};
	/* BlockBefore: answered only after all that came before it. */
	send_fence(f, FENCE_REQUEST | FENCE_BLOCK_BEFORE, payload,
		   FLOW_PING_LEN);
}

static void send_end_of_cu(struct flow *f)
{
	uint8_t msg = RFB_MSG_END_OF_CONTINUOUS_UPDATES;

	conn_send(f->conn, &msg, 1);
}

void flow_encodings_reset(struct flow *f)
{
	f->want_fence = false;
	f->want_cu = false;
}

bool flow_encoding(struct flow *f, int32_t encoding)
{
	if (encoding == RFB_ENC_FENCE)
		f->want_fence = true;
	else if (encoding == RFB_ENC_CONTINUOUS_UPDATES)
		f->want_cu = true;
	else
		return false;
	return true;
}

void flow_encodings_done(struct flow *f)
{
	/* The first fence request announces fence support; it is also the
	 * first round-trip sample. */
	if (f->want_fence && !f->fence_announced) {
		f->fence_announced = true;
		send_ping(f);
	}
	/* EndOfContinuousUpdates confirms continuous updates; without
	 * fences there is no flow control, so they are not offered. */
	if (f->want_cu && f->want_fence && !f->cu_confirmed) {
		f->cu_confirmed = true;
		send_end_of_cu(f);
	}
}

void flow_on_enable_cu(struct flow *f, const struct rfb_msg *m)
{
	struct rect r = { m->continuous.x, m->continuous.y, m->continuous.w,
			  m->continuous.h };

	if (!f->cu_confirmed) {
		conn_close(f->conn, "EnableContinuousUpdates before it "
				       "was confirmed");
		return;
	}
	if (!m->continuous.enable) {
		/* Always answered, even if already off (doc/protocol.md,
		 * "Continuous updates and fences"). */
		f->cu_enabled = false;
		send_end_of_cu(f);
		return;
	}
	if (!fb_clip(&f->conn->server->fb, &r))
		r = (struct rect){ 0, 0, 0, 0 };
	f->cu_area = r;
	f->cu_enabled = true;
	log_debug("client %u: continuous updates on for %dx%d+%d+%d",
		  f->conn->id, r.w, r.h, r.x, r.y);
	server_state_kick(f->conn->server);
}

static void on_pong(struct flow *f, const uint8_t *payload)
{
	uint32_t seq = get_u32(payload + 4);
	uint64_t now = xrfb_now_ms(), rtt;
	unsigned i;

	for (i = 0; i < f->npings && f->pings[i].seq != seq; i++)
		;
	if (i == f->npings)
		return;
	rtt = now - f->pings[i].sent_ms;
	f->bytes_acked = f->pings[i].bytes_at;
	/* Answers come in order: older pings are answered too. */
	memmove(f->pings, f->pings + i + 1,
		(f->npings - i - 1) * sizeof(*f->pings));
	f->npings -= i + 1;

	if (rtt < f->min_rtt)
		f->min_rtt = rtt;
	if (rtt > f->min_rtt + FLOW_RTT_SLACK_MS) {
		/* At most one cut per round trip. */
		if (now - f->last_cut_ms > rtt) {
			f->window = f->window * 2 / 3;
			if (f->window < FLOW_WINDOW_MIN)
				f->window = FLOW_WINDOW_MIN;
			f->last_cut_ms = now;
			log_debug("client %u: rtt %llu ms (min %llu), window "
				  "%llu KiB", f->conn->id,
				  (unsigned long long)rtt,
				  (unsigned long long)f->min_rtt,
				  (unsigned long long)(f->window >> 10));
		}
	} else if (f->bytes_sent - f->bytes_acked + FLOW_WINDOW_STEP >=
		   f->window && f->window < FLOW_WINDOW_MAX) {
		f->window += f->last_cut_ms ? FLOW_WINDOW_STEP : f->window;
		if (f->window > FLOW_WINDOW_MAX)
			f->window = FLOW_WINDOW_MAX;
	}
	server_state_kick(f->conn->server);
}

void flow_on_fence(struct flow *f, const struct rfb_msg *m)
{
	uint32_t flags = m->fence.flags;

	if (!f->fence_announced) {
		conn_close(f->conn, "fence before fences were announced");
		return;
	}
	if (!(flags & FENCE_REQUEST)) {
		if (m->fence.len == FLOW_PING_LEN &&
		    memcmp(m->fence.payload, FLOW_PING_TAG, 4) == 0)
			on_pong(f, m->fence.payload);
		return;
	}
	/* A SyncNext request before this one had its next message (this
	 * one) handled: answer it first, so that every request is answered
	 * and in the order they came. */
	if (f->sync_pending && !f->sync_arm) {
		f->sync_pending = false;
		send_fence(f, f->sync_flags, f->sync_payload, f->sync_len);
	}
	/* Messages are handled strictly in order, so BlockBefore and
	 * BlockAfter hold already; SyncNext waits for one more message. */
	flags &= FENCE_SUPPORTED;
	if (flags & FENCE_SYNC_NEXT) {
		f->sync_pending = true;
		f->sync_arm = true;
		f->sync_flags = flags;
		f->sync_len = m->fence.len;
		memcpy(f->sync_payload, m->fence.payload, m->fence.len);
		return;
	}
	send_fence(f, flags, m->fence.payload, m->fence.len);
}

void flow_after_message(struct flow *f)
{
	if (!f->sync_pending || f->conn->closed)
		return;
	if (f->sync_arm) {
		f->sync_arm = false;
		return;
	}
	f->sync_pending = false;
	send_fence(f, f->sync_flags, f->sync_payload, f->sync_len);
}

void flow_after_update(struct flow *f, uint64_t bytes)
{

	f->bytes_sent += bytes;
	if (f->want_fence && f->fence_announced)
		send_ping(f);
}

bool flow_can_send(const struct flow *f)
{

	if (!f->want_fence || !f->fence_announced)
		return true;
	if (f->npings == FLOW_MAX_PINGS)
		return false;
	return f->bytes_sent - f->bytes_acked < f->window;
}

bool flow_continuous(const struct flow *f)
{
	return f->cu_enabled;
}

struct rect flow_cu_area(const struct flow *f)
{
	return f->cu_enabled ? f->cu_area : (struct rect){ 0, 0, 0, 0 };
}

void flow_resized(struct flow *f)
{
	if (f->cu_enabled && !fb_clip(&f->conn->server->fb, &f->cu_area))
		f->cu_area = (struct rect){ 0, 0, 0, 0 };
}
