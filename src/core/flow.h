/* SPDX-License-Identifier: MIT */
/*
 * Flow control: Fence (248 / -312), ContinuousUpdates (150 / -313) and a
 * congestion window measured with fence round trips, so a client on a
 * slow link gets fresh updates instead of a socket buffer full of stale
 * ones. struct flow is one client's state; the scheduler asks it whether
 * an update may go and tells it what went.
 */
#ifndef XRFB_FLOW_H
#define XRFB_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"

struct rfb_msg;
struct conn;

#define FLOW_MAX_PINGS 32

struct flow_ping {
	uint32_t seq;
	uint64_t sent_ms;
	uint64_t bytes_at;	/* bytes sent when the ping went out */
};

struct flow {
	struct conn *conn;
	bool want_fence, want_cu;
	bool fence_announced, cu_confirmed;
	bool cu_enabled;
	struct rect cu_area;

	/* A client fence with SyncNext, answered after the next message. */
	bool sync_pending;
	bool sync_arm;		/* set by the fence message itself */
	uint32_t sync_flags;
	uint8_t sync_len;
	uint8_t sync_payload[64];

	/* Congestion window. */
	uint64_t bytes_sent, bytes_acked;
	uint64_t window;
	uint64_t min_rtt, last_cut_ms;
	uint32_t next_seq;
	struct flow_ping pings[FLOW_MAX_PINGS];
	unsigned npings;
};

void flow_init(struct flow *f, struct conn *conn);
/* SetEncodings, in three steps: forget the last list; take @encoding if
 * it is Fence or ContinuousUpdates (true if taken); then confirm them
 * the first time they are listed. */
void flow_encodings_reset(struct flow *f);
bool flow_encoding(struct flow *f, int32_t encoding);
void flow_encodings_done(struct flow *f);
/* Message handlers; they close the client on misuse. */
void flow_on_enable_cu(struct flow *f, const struct rfb_msg *m);
void flow_on_fence(struct flow *f, const struct rfb_msg *m);
/* Called after every client message: answers a SyncNext fence. */
void flow_after_message(struct flow *f);
/* Account an update of @bytes and send a round-trip ping if useful. */
void flow_after_update(struct flow *f, uint64_t bytes);
/* True if the congestion window allows another update. */
bool flow_can_send(const struct flow *f);
/* Continuous updates: whether they are on, and for which area (empty
 * if off or outside the framebuffer). */
bool flow_continuous(const struct flow *f);
struct rect flow_cu_area(const struct flow *f);
/* The framebuffer changed size: clip the continuous-updates area. */
void flow_resized(struct flow *f);

#endif
