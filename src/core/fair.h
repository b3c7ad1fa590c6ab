/* SPDX-License-Identifier: MIT */
/*
 * Fairness between viewers: what one viewer may cost the others. Each
 * viewer spends its own share of the --max-cpu budget on its updates,
 * and its full (non-incremental) update requests are rate limited,
 * coalesced while they wait. One struct fair per client; the scheduler
 * (sched.c) says what a share is and what was spent, and is called back
 * when a client may go on.
 */
#ifndef XRFB_FAIR_H
#define XRFB_FAIR_H

#include <stdbool.h>
#include <stdint.h>

#include "region.h"
#include "xrfb.h"

/* Full refreshes a viewer gets at once, and then one per interval. */
#define FAIR_REFRESH_BURST 2
#define FAIR_REFRESH_MS 250

/* The client may go on (its hold ended). */
typedef void (*fair_kick_fn)(void *arg);
/* Full refreshes of @area, held back, are due now. */
typedef void (*fair_refresh_fn)(void *arg, const region_t *area);

struct fair {
	struct xrfb_loop *loop;
	fair_kick_fn kick;
	fair_refresh_fn refresh_due;
	void *arg;

	int64_t credit_us;	/* CPU time the client may still spend */
	unsigned pct;		/* the share it was last earned at */
	uint64_t earned_ms;	/* when credit was last earned */
	uint64_t charged_ms;	/* when it last spent (fair_charge) */
	struct xrfb_timer *cpu_timer;	/* ends a hold */
	unsigned tokens;	/* full refreshes it may have now */
	uint64_t token_ms;	/* when tokens were last added */
	region_t refresh;	/* full refreshes waiting for a token */
	struct xrfb_timer *refresh_timer;
};

void fair_init(struct fair *f, struct xrfb_loop *loop, fair_kick_fn kick,
	       fair_refresh_fn refresh_due, void *arg);
void fair_fini(struct fair *f);
/* A full refresh of @r was asked for: true if it may be done now;
 * otherwise it is kept, merged with others, and handed to refresh_due
 * when a token comes. */
bool fair_full_request(struct fair *f, const struct rect *r);
/* With a share of @pct % of a core (0: no budget), true if the client
 * has overspent and must wait; kick is called when it may go on. */
bool fair_held(struct fair *f, uint64_t now_ms, unsigned pct);
/* Charge @spent_us of CPU time to the client's share; the client has
 * been busy until now (fair_active()). */
void fair_charge(struct fair *f, uint64_t spent_us);
/* Whether the client spent anything within @window_ms before @now_ms. */
bool fair_active(const struct fair *f, uint64_t now_ms, uint64_t window_ms);
/* Whether a CPU hold is known to last: the kick comes when it ends. */
bool fair_waiting(const struct fair *f);

#endif
