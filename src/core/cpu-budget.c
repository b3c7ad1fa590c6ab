/* SPDX-License-Identifier: MIT */
/*
 * A CPU budget that yields to demand (cpu-budget.h): the parsers of the
 * kernel's CPU counters, their reading, and the policy that turns two
 * samples into a limit. Knows nothing of clients or of the server; what
 * the limit holds back is server-state.c's and fair.c's.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cpu-budget.h"

/* The fields of /proc/stat's "cpu" line that count (guest time is in
 * user and nice already). */
enum {
	STAT_USER,
	STAT_NICE,
	STAT_SYSTEM,
	STAT_IDLE,
	STAT_IOWAIT,
	STAT_IRQ,
	STAT_SOFTIRQ,
	STAT_STEAL,
	STAT_FIELDS,
};
/* Kernels since 2.6 write at least user, nice, system and idle. */
#define STAT_MIN_FIELDS 4

/* The length of the first line with its newline; 0: not complete yet;
 * -EPROTO: longer than any the kernel writes. */
static ssize_t line_len(const char *p, size_t len)
{
	const char *nl = memchr(p, '\n', len < CPU_BUDGET_LINE_MAX ?
					  len : CPU_BUDGET_LINE_MAX);

	if (nl)
		return nl - p + 1;
	return len < CPU_BUDGET_LINE_MAX ? 0 : -EPROTO;
}

/* A decimal number at *@p before @end; advances *@p. */
static int parse_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (s == end || *s < '0' || *s > '9')
		return -EPROTO;
	for (; s < end && *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -EPROTO;
		v = v * 10 + d;
	}
	*p = s;
	*out = v;
	return 0;
}

ssize_t cpu_budget_parse_stat(const char *p, size_t len, uint64_t *busy,
			      uint64_t *idle)
{
	uint64_t f[STAT_FIELDS] = { 0 }, v;
	ssize_t n = line_len(p, len);
	const char *s = p + 3, *end;
	unsigned i = 0;

	if (n <= 0)
		return n;
	end = p + n - 1;
	if (n < 5 || memcmp(p, "cpu ", 4))
		return -EPROTO;
	while (s < end) {
		if (*s != ' ')
			return -EPROTO;
		while (s < end && *s == ' ')
			s++;
		if (s == end)
			break;
		if (parse_u64(&s, end, &v) < 0)
			return -EPROTO;
		/* later kernels may add fields; they are not ours */
		if (i < STAT_FIELDS)
			f[i] = v;
		i++;
	}
	if (i < STAT_MIN_FIELDS)
		return -EPROTO;
	*idle = f[STAT_IDLE] + f[STAT_IOWAIT];
	*busy = f[STAT_USER] + f[STAT_NICE] + f[STAT_SYSTEM] + f[STAT_IRQ] +
		f[STAT_SOFTIRQ] + f[STAT_STEAL];
	return n;
}

ssize_t cpu_budget_parse_psi(const char *p, size_t len, uint64_t *some_us)
{
	ssize_t n = line_len(p, len);
	const char *s = p + 4, *end;
	bool have_total = false;
	uint64_t total;

	if (n <= 0)
		return n;
	end = p + n - 1;
	if (n < 5 || memcmp(p, "some", 4))
		return -EPROTO;
	/* " key=value" pairs: the averages are decimal fractions, the
	 * total a whole number of microseconds */
	while (s < end) {
		const char *key;

		if (*s++ != ' ')
			return -EPROTO;
		key = s;
		while (s < end && *s >= 'a' && *s <= 'z')
			s++;
		while (s < end && *s >= '0' && *s <= '9')
			s++;
		if (s == key || s == end || *s++ != '=')
			return -EPROTO;
		if (s - key == 6 && !memcmp(key, "total=", 6)) {
			if (have_total || parse_u64(&s, end, &total) < 0)
				return -EPROTO;
			have_total = true;
		} else {
			const char *v = s;

			while (s < end && ((*s >= '0' && *s <= '9') ||
					   *s == '.'))
				s++;
			if (s == v)
				return -EPROTO;
		}
	}
	if (!have_total)
		return -EPROTO;
	*some_us = total;
	return n;
}

ssize_t cpu_budget_parse_schedstat(const char *p, size_t len,
				   uint64_t *wait_ns)
{
	ssize_t n = line_len(p, len);
	const char *s = p, *end;
	uint64_t v[3];

	if (n <= 0)
		return n;
	end = p + n - 1;
	for (int i = 0; i < 3; i++) {
		if ((i && (s == end || *s++ != ' ')) ||
		    parse_u64(&s, end, &v[i]) < 0)
			return -EPROTO;
	}
	if (s != end)
		return -EPROTO;
	*wait_ns = v[1];
	return n;
}

/* Read the start of a small file into @buf (NUL-terminated); its
 * length, or a negative errno. */
static ssize_t read_head(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, size - 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

uint64_t cpu_budget_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* The run queue waits of every thread of the process, summed (a thread
 * that ended meanwhile is left out). */
static int read_self_wait(uint64_t *wait_us)
{
	char path[64], buf[CPU_BUDGET_LINE_MAX];
	DIR *dir = opendir("/proc/self/task");
	struct dirent *de;
	uint64_t sum = 0, ns;
	ssize_t n;

	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/schedstat",
			 de->d_name);
		n = read_head(path, buf, sizeof(buf));
		if (n == -ENOENT || n == -ESRCH)
			continue;
		if (n <= 0 ||
		    cpu_budget_parse_schedstat(buf, (size_t)n, &ns) <= 0) {
			closedir(dir);
			return -EPROTO;
		}
		sum += ns / 1000;
	}
	closedir(dir);
	*wait_us = sum;
	return 0;
}

void cpu_budget_read(struct cpu_sample *out, uint64_t wall_us,
		     uint64_t self_us)
{
	char buf[CPU_BUDGET_LINE_MAX];
	ssize_t n;

	memset(out, 0, sizeof(*out));
	out->wall_us = wall_us;
	out->self_us = self_us;
	n = read_head("/proc/stat", buf, sizeof(buf));
	out->has_stat = n > 0 && cpu_budget_parse_stat(buf, (size_t)n,
						       &out->busy,
						       &out->idle) > 0;
	/* Without PSI in the kernel the file is missing, or reading it
	 * fails (EOPNOTSUPP): the idle time alone decides. */
	n = read_head("/proc/pressure/cpu", buf, sizeof(buf));
	out->has_stall = n > 0 && cpu_budget_parse_psi(buf, (size_t)n,
						       &out->stall_us) > 0;
	out->has_self_wait = read_self_wait(&out->self_wait_us) == 0;
}

unsigned cpu_budget_limit(const struct cpu_sample *a,
			  const struct cpu_sample *b, unsigned floor,
			  unsigned ncpu)
{
	uint64_t wall, ticks, ceiling = 100 * (uint64_t)(ncpu ? ncpu : 1);
	int64_t used, idle, stall = 0, limit;

	if (!a->has_stat || !b->has_stat || b->wall_us <= a->wall_us ||
	    b->self_us < a->self_us || b->busy < a->busy ||
	    b->idle < a->idle)
		return floor;
	wall = b->wall_us - a->wall_us;
	ticks = (b->busy - a->busy) + (b->idle - a->idle);
	if (!ticks)
		return floor;
	/* all in percent of one core over the window */
	used = (int64_t)((b->self_us - a->self_us) * 100 / wall);
	idle = (int64_t)((b->idle - a->idle) * ceiling / ticks);
	/* Time some task waited is at least one core's worth of demand
	 * nobody met. What the process's own threads waited is no one
	 * else's: a process busy on every core makes them wait for each
	 * other and for what it serves (summed over threads, this takes
	 * off rather more than their share of the "some" time). */
	if (a->has_stall && b->has_stall && b->stall_us >= a->stall_us)
		stall = (int64_t)((b->stall_us - a->stall_us) * 100 / wall);
	if (stall > 100)
		stall = 100;
	if (stall && a->has_self_wait && b->has_self_wait &&
	    b->self_wait_us > a->self_wait_us)
		stall -= (int64_t)((b->self_wait_us - a->self_wait_us) * 100 /
				   wall);
	if (stall < 0)
		stall = 0;
	limit = used + idle - stall - CPU_BUDGET_MARGIN;
	if (limit < (int64_t)floor)
		return floor;
	if ((uint64_t)limit > ceiling)
		return (unsigned)ceiling;
	return (unsigned)limit;
}
