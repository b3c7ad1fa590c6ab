/* SPDX-License-Identifier: MIT */
/*
 * What the per-client concerns ask of the server: a scheduler run soon
 * (the run itself is server.c's, installed as s->run) and the --max-cpu
 * budget that holds updates back, fixed or yielding to demand (its
 * limit from cpu-budget.c). Knows no client's insides.
 */
#include "config.h"

#include "log.h"
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
	/* A limit that yields to demand may have changed: the hold is
	 * worked out again, and may go on. */
	if (s->cpu_yield) {
		server_state_cpu_charge(s);
		if (server_state_cpu_held(s, xrfb_now_ms()))
			return;
	}
	server_state_kick(s);
}

/* Whether the budget yields to demand now: it does, and the machine
 * leaves more than the floor (--max-cpu). At the floor it is spent as
 * the fixed budget is, so that a busy machine keeps what it did then. */
static bool yielding(const struct xrfb_server *s)
{
	return s->cpu_yield && s->cpu_limit > s->max_cpu;
}

unsigned server_state_cpu_share(const struct xrfb_server *s)
{
	unsigned n = s->nclients_active + 1, limit = s->max_cpu;

	if (!s->max_cpu)
		return 0;
	if (yielding(s)) {
		/* The shared work is paid from the whole limit
		 * (server_state_cpu_charge): the viewers split all of it,
		 * so what the machine spares is not left half unused. */
		limit = s->cpu_limit;
		n = s->nclients_active ? s->nclients_active : 1;
	}
	return limit / n ? limit / n : 1;
}

/* How long the budget's current limit holds before it is looked at
 * again. */
static uint64_t cpu_window_ms(const struct xrfb_server *s)
{
	return yielding(s) ? SERVER_CPU_WINDOW_ABOVE_MS : SERVER_CPU_WINDOW_MS;
}

void server_state_cpu_look(struct xrfb_server *s, uint64_t now_ms)
{
	struct cpu_sample now;
	unsigned limit;

	if (!s->max_cpu || !s->cpu_yield ||
	    now_ms - s->cpu_sample.wall_us / 1000 < cpu_window_ms(s))
		return;
	s->cpu_read(&now, cpu_budget_mono_us(), s->cpu_clock_us());
	limit = cpu_budget_limit(&s->cpu_sample, &now, s->max_cpu, s->ncpu);
	if (limit != s->cpu_limit)
		log_debug("%s: CPU limit %u %% of a core", __func__, limit);
	/* What was saved up while the machine was idle shrinks with the
	 * limit once others want the CPU (the clients' own savings too,
	 * fair_held()). */
	s->cpu_credit_us = cpu_budget_shrink(s->cpu_credit_us, limit,
					     s->cpu_limit);
	s->cpu_limit = limit;
	s->cpu_sample = now;
}

void server_state_cpu_charge(struct xrfb_server *s)
{
	uint64_t cpu, now, wait_ms, spent;
	unsigned share = server_state_cpu_share(s);

	if (!share)
		return;
	cpu = s->cpu_clock_us();
	now = xrfb_now_ms();
	server_state_cpu_look(s, now);
	if (yielding(s))
		share = s->cpu_limit;
	/* percent of a millisecond is ten microseconds */
	s->cpu_credit_us += (int64_t)((now - s->cpu_wall_ms) * share * 10);
	if (s->cpu_credit_us > SERVER_CPU_BURST_US)
		s->cpu_credit_us = SERVER_CPU_BURST_US;
	/* Input is not update work; what clients' own shares paid for is
	 * not charged twice (while yielding, the whole process is held to
	 * the whole limit). */
	spent = cpu - s->cpu_mark_us;
	spent = spent > s->cpu_input_us ? spent - s->cpu_input_us : 0;
	if (!yielding(s))
		spent = spent > s->cpu_clients_us ? spent - s->cpu_clients_us
						  : 0;
	s->cpu_credit_us -= (int64_t)spent;
	s->cpu_clients_us = 0;
	s->cpu_input_us = 0;
	s->cpu_mark_us = cpu;
	s->cpu_wall_ms = now;
	if (s->cpu_credit_us >= 0) {
		s->cpu_hold_ms = 0;
		return;
	}
	/* Until the budget has earned back what was overspent; a limit
	 * that yields to demand may grow meanwhile: the timer looks
	 * again after a window at the latest. */
	wait_ms = (uint64_t)(-s->cpu_credit_us) / (share * 10) + 1;
	s->cpu_hold_ms = now + wait_ms;
	if (s->cpu_yield && wait_ms > cpu_window_ms(s))
		wait_ms = cpu_window_ms(s);
	xrfb_timer_cancel(s->cpu_timer);
	s->cpu_timer = xrfb_loop_add_timer(s->loop, wait_ms, on_cpu_timer, s);
}

bool server_state_cpu_held(const struct xrfb_server *s, uint64_t now_ms)
{
	return s->max_cpu && now_ms < s->cpu_hold_ms;
}
