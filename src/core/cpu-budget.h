/* SPDX-License-Identifier: MIT */
/*
 * A CPU budget that yields to demand: how much CPU the server may spend
 * while no other program wants it. From two samples of the machine's
 * CPU counters (/proc/stat), its CPU pressure (/proc/pressure/cpu) and
 * the process's own CPU time and its threads' waits for a CPU
 * (/proc/self/task/N/schedstat), the limit for the next window is what
 * the process used plus what nobody used, less what others waited for:
 * on an idle machine it grows up to every core, on a loaded one it falls
 * back to the floor (the --max-cpu budget). Parsers and policy are pure;
 * only cpu_budget_read() touches files.
 */
#ifndef XRFB_CPU_BUDGET_H
#define XRFB_CPU_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A line of /proc/stat or /proc/pressure/cpu longer than this is not
 * one the kernel writes. */
#define CPU_BUDGET_LINE_MAX 512
/* Kept free for others, in percent of one core: what the process uses
 * on a loaded machine never creeps up through rounding. */
#define CPU_BUDGET_MARGIN 10

struct cpu_sample {
	uint64_t wall_us;	/* monotonic clock */
	uint64_t self_us;	/* the process's CPU time */
	uint64_t busy, idle;	/* all CPUs, clock ticks (has_stat) */
	uint64_t stall_us;	/* time some task waited for a CPU (has_stall) */
	uint64_t self_wait_us;	/* the process's threads' waits, summed */
	bool has_stat, has_stall, has_self_wait;
};

/* Parse the first line of /proc/stat ("cpu  user nice system idle
 * iowait irq softirq steal ..."): busy and idle (idle + iowait) ticks
 * of all CPUs. Returns the bytes of the line with its newline, 0 when
 * the line is not complete yet, -EPROTO when it is not such a line. */
ssize_t cpu_budget_parse_stat(const char *p, size_t len, uint64_t *busy,
			      uint64_t *idle);
/* Parse the "some" line of /proc/pressure/cpu ("some avg10=.. avg60=..
 * avg300=.. total=US"): the total stall time in microseconds. Returns
 * as cpu_budget_parse_stat(). */
ssize_t cpu_budget_parse_psi(const char *p, size_t len, uint64_t *some_us);
/* Parse a task's schedstat ("RUN_NS WAIT_NS TIMESLICES"): the time it
 * waited on a run queue, in nanoseconds. Returns as
 * cpu_budget_parse_stat(). */
ssize_t cpu_budget_parse_schedstat(const char *p, size_t len,
				   uint64_t *wait_ns);
/* The monotonic clock in microseconds (what wall_us counts). */
uint64_t cpu_budget_mono_us(void);
/* Fill @out from the machine's counters (what cannot be read is marked
 * missing), with the caller's clock and process CPU time. */
void cpu_budget_read(struct cpu_sample *out, uint64_t wall_us,
		     uint64_t self_us);
/* The limit, in percent of one core, for the window after the one from
 * @a to @b on @ncpu CPUs: what the process used, plus the CPU left
 * idle, less the time others waited (some task waited, less what the
 * process's own threads waited) and CPU_BUDGET_MARGIN, within [@floor,
 * 100 * @ncpu]. @floor when the counters are missing or make no
 * sense. */
unsigned cpu_budget_limit(const struct cpu_sample *a,
			  const struct cpu_sample *b, unsigned floor,
			  unsigned ncpu);
/* CPU time saved up (@credit_us) at a share of @from % when the share
 * shrinks to @to %: it buys at the new share what it would have there.
 * A debt, or a share that grows, leaves it as it is. */
static inline int64_t cpu_budget_shrink(int64_t credit_us, unsigned to,
					unsigned from)
{
	return to < from && credit_us > 0 ? credit_us * to / from : credit_us;
}

#endif
