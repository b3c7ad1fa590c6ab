/* SPDX-License-Identifier: MIT */
/*
 * Flow control: Fence (248 / -312), ContinuousUpdates (150 / -313) and a
 * congestion window measured with fence round trips, so a client on a
 * slow link gets fresh updates instead of a socket buffer full of stale
 * ones. Per-client state lives in struct flow inside the client.
 */
#ifndef XRFB_FLOW_H
#define XRFB_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"

struct xrfb_client;
struct rfb_msg;

#define FLOW_MAX_PINGS 32

struct flow_ping {
	uint32_t seq;
	uint64_t sent_ms;
	uint64_t bytes_at;	/* bytes sent when the ping went out */
};

struct flow {
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

void flow_init(struct flow *f);
/* After SetEncodings: confirm Fence / ContinuousUpdates the first time. */
void flow_set_encodings(struct xrfb_client *c, bool fence, bool cu);
/* Message handlers; they close the client on misuse. */
void flow_on_enable_cu(struct xrfb_client *c, const struct rfb_msg *m);
void flow_on_fence(struct xrfb_client *c, const struct rfb_msg *m);
/* Called after every client message: answers a SyncNext fence. */
void flow_after_message(struct xrfb_client *c);
/* Account an update of @bytes and send a round-trip ping if useful. */
void flow_after_update(struct xrfb_client *c, uint64_t bytes);
/* True if the congestion window allows another update. */
bool flow_can_send(const struct xrfb_client *c);

#endif
