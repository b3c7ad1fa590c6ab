/* SPDX-License-Identifier: MIT */
/*
 * What the per-client concerns ask of the server: a scheduler run soon
 * (the run itself is server.c's, installed as s->run) and the --max-cpu
 * budget that holds updates back. Knows no client's insides.
 */
#include "config.h"

#include "server-state.h"

static void on_kick(void *arg)
{
	struct xrfb_server *s = arg;

	s->kick = NULL;
	s->run(s);
}

void server_state_kick(struct xrfb_server *s)
{
	if (!s->kick)
		s->kick = xrfb_loop_add_timer(s->loop, 0, on_kick, s);
}

static void on_cpu_timer(void *arg)
{
	struct xrfb_server *s = arg;

	s->cpu_timer = NULL;
	server_state_kick(s);
}

unsigned server_state_cpu_share(const struct xrfb_server *s)
{
	unsigned n = s->nclients_ready + 1;

	if (!s->max_cpu)
		return 0;
	return s->max_cpu / n ? s->max_cpu / n : 1;
}

void server_state_cpu_charge(struct xrfb_server *s)
{
	uint64_t cpu, now, wait_ms, spent;
	unsigned share = server_state_cpu_share(s);

	if (!share)
		return;
	cpu = s->cpu_clock_us();
	now = xrfb_now_ms();
	/* percent of a millisecond is ten microseconds */
	s->cpu_credit_us += (int64_t)((now - s->cpu_wall_ms) * share * 10);
	if (s->cpu_credit_us > SERVER_CPU_BURST_US)
		s->cpu_credit_us = SERVER_CPU_BURST_US;
	/* What clients' own shares paid for is not charged twice. */
	spent = cpu - s->cpu_mark_us;
	spent = spent > s->cpu_clients_us ? spent - s->cpu_clients_us : 0;
	s->cpu_credit_us -= (int64_t)spent;
	s->cpu_clients_us = 0;
	s->cpu_mark_us = cpu;
	s->cpu_wall_ms = now;
	if (s->cpu_credit_us >= 0)
		return;
	/* Until the budget has earned back what was overspent. */
	wait_ms = (uint64_t)(-s->cpu_credit_us) / (share * 10) + 1;
	s->cpu_hold_ms = now + wait_ms;
	xrfb_timer_cancel(s->cpu_timer);
	s->cpu_timer = xrfb_loop_add_timer(s->loop, wait_ms, on_cpu_timer, s);
}

bool server_state_cpu_held(const struct xrfb_server *s, uint64_t now_ms)
{
	return s->max_cpu && now_ms < s->cpu_hold_ms;
}
