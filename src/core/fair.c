/* SPDX-License-Identifier: MIT */
/*
 * Fairness between viewers. The --max-cpu budget is earned by each
 * viewer at its share of the rate (the scheduler divides the budget by
 * the viewers connected) and spent by the updates built for it alone,
 * so a viewer that asks for more than its share waits and the others do
 * not. Full update requests come from a token bucket per viewer; those
 * beyond it are merged and done when the next token comes, so a viewer
 * that asks for the whole screen after every update gets a few a second
 * instead of all the CPU can encode. Knows nothing of clients or
 * sockets; runs on the loop thread.
 */
#include "config.h"

#include <string.h>

#include "cpu-budget.h"
#include "fair.h"

/* CPU time a share lets accumulate over a quiet spell: the client's
 * first update after one goes out at once, whatever it costs. */
#define FAIR_CPU_BURST_US (250 * 1000)
/* The longest a hold waits before the share is looked at again. */
#define FAIR_CPU_RECHECK_MS 500

void fair_init(struct fair *f, struct xrfb_loop *loop, fair_kick_fn kick,
	       fair_refresh_fn refresh_due, void *arg)
{
	memset(f, 0, sizeof(*f));
	f->loop = loop;
	f->kick = kick;
	f->refresh_due = refresh_due;
	f->arg = arg;
	f->credit_us = FAIR_CPU_BURST_US;
	f->earned_ms = xrfb_now_ms();
	f->tokens = FAIR_REFRESH_BURST;
	f->token_ms = f->earned_ms;
	pixman_region32_init(&f->refresh);
}

void fair_fini(struct fair *f)
{
	xrfb_timer_cancel(f->cpu_timer);
	xrfb_timer_cancel(f->refresh_timer);
	f->cpu_timer = f->refresh_timer = NULL;
	pixman_region32_fini(&f->refresh);
}

/* ---- full refreshes ------------------------------------------------------ */

static void add_tokens(struct fair *f, uint64_t now)
{
	uint64_t n = (now - f->token_ms) / FAIR_REFRESH_MS;

	if (f->tokens + n >= FAIR_REFRESH_BURST) {
		f->tokens = FAIR_REFRESH_BURST;
		f->token_ms = now;
	} else {
		f->tokens += (unsigned)n;
		f->token_ms += n * FAIR_REFRESH_MS;
	}
}

static void on_refresh_timer(void *arg);

static void arm_refresh(struct fair *f, uint64_t now)
{
	if (!f->refresh_timer)
		f->refresh_timer = xrfb_loop_add_timer(
			f->loop, FAIR_REFRESH_MS - (now - f->token_ms),
			on_refresh_timer, f);
}

static void on_refresh_timer(void *arg)
{
	struct fair *f = arg;
	uint64_t now = xrfb_now_ms();
	region_t due;

	f->refresh_timer = NULL;
	add_tokens(f, now);
	if (!f->tokens) {
		arm_refresh(f, now);
		return;
	}
	f->tokens--;
	/* Taken out first: the callback may ask for more. */
	pixman_region32_init(&due);
	pixman_region32_copy(&due, &f->refresh);
	pixman_region32_clear(&f->refresh);
	f->refresh_due(f->arg, &due);
	pixman_region32_fini(&due);
}

bool fair_full_request(struct fair *f, const struct rect *r)
{
	uint64_t now = xrfb_now_ms();

	add_tokens(f, now);
	if (f->tokens && !pixman_region32_not_empty(&f->refresh)) {
		f->tokens--;
		return true;
	}
	pixman_region32_union_rect(&f->refresh, &f->refresh, r->x, r->y,
				   (unsigned)r->w, (unsigned)r->h);
	arm_refresh(f, now);
	return false;
}

/* ---- CPU ----------------------------------------------------------------- */

bool fair_waiting(const struct fair *f)
{
	return f->cpu_timer != NULL;
}

static void on_cpu_timer(void *arg)
{
	struct fair *f = arg;

	f->cpu_timer = NULL;
	f->kick(f->arg);
}

bool fair_held(struct fair *f, uint64_t now, unsigned pct)
{
	uint64_t wait_ms;

	if (!pct)
		return false;
	/* What was saved at a larger share (a budget that yielded to an
	 * idle machine) shrinks with it: at the floor it buys what it
	 * would have there. */
	f->credit_us = cpu_budget_shrink(f->credit_us, pct, f->pct);
	f->pct = pct;
	/* percent of a millisecond is ten microseconds */
	f->credit_us += (int64_t)((now - f->earned_ms) * pct * 10);
	f->earned_ms = now;
	if (f->credit_us > FAIR_CPU_BURST_US)
		f->credit_us = FAIR_CPU_BURST_US;
	if (f->credit_us >= 0)
		return false;
	if (!f->cpu_timer) {
		/* The share may grow meanwhile (a budget that yields to
		 * demand): the scheduler asks again after a while. */
		wait_ms = (uint64_t)(-f->credit_us) / (pct * 10) + 1;
		if (wait_ms > FAIR_CPU_RECHECK_MS)
			wait_ms = FAIR_CPU_RECHECK_MS;
		f->cpu_timer = xrfb_loop_add_timer(f->loop, wait_ms,
						   on_cpu_timer, f);
	}
	return true;
}

void fair_charge(struct fair *f, uint64_t spent_us)
{
	f->credit_us -= (int64_t)spent_us;
	f->charged_ms = xrfb_now_ms();
}

bool fair_active(const struct fair *f, uint64_t now_ms, uint64_t window_ms)
{
	return f->charged_ms && now_ms - f->charged_ms < window_ms;
}
