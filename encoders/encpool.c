/* SPDX-License-Identifier: MIT */
/*
 * The ordered pipeline of encpool.h on the worker pool (src/core/worker.c):
 * task 0 consumes items in order, preparing those no thread has claimed
 * and, while it waits for one being prepared elsewhere, preparing ahead;
 * the other tasks claim and prepare items ahead of it. Items are claimed
 * with a compare-and-swap, so each is prepared once. Knows nothing of
 * any encoding.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include "encpool.h"
#include "worker.h"

enum encpool_state {
	ENCPOOL_PENDING,
	ENCPOOL_CLAIMED,
	ENCPOOL_DONE,
};

struct encpool_job {
	const struct encpool_ops *ops;
	void *arg;
	size_t n;
	atomic_uchar *state;		/* enum encpool_state, per item */
	atomic_size_t next;		/* next item a helper looks at */
	pthread_mutex_t lock;
	pthread_cond_t done;		/* an item became ENCPOOL_DONE */
	atomic_bool waiting;		/* the consumer sleeps on done */
	ssize_t ret;			/* task 0's result */
};

unsigned encpool_threads(void)
{
	return worker_threads();
}

bool encpool_split(int w, int h)
{
	return worker_threads() > 1 && (int64_t)w * h >= ENCPOOL_MIN_PIXELS;
}

int encpool_bands(int w, int h, int unit)
{
	unsigned n = worker_threads();
	int units = (h + unit - 1) / unit, per;

	if (units < 2 || !encpool_split(w, h))
		return 0;
	/* A few bands per thread even out unequal costs. */
	per = (units + 4 * (int)n - 1) / (4 * (int)n);
	return per * unit;
}

static bool is_ahead(const struct encpool_job *j, size_t i)
{
	return j->ops->prepare && (!j->ops->ahead || j->ops->ahead(j->arg, i));
}

static bool claim(struct encpool_job *j, size_t i)
{
	unsigned char expect = ENCPOOL_PENDING;

	return atomic_compare_exchange_strong(&j->state[i], &expect,
					      ENCPOOL_CLAIMED);
}

/* The consumer says it waits before it looks at the state, and a
 * preparer looks for a waiter after it set the state (both sequentially
 * consistent): one of them sees the other, so no wake-up is lost, and
 * items nobody waits for cost no lock. */
static void prepare(struct encpool_job *j, size_t i, unsigned thread)
{
	j->ops->prepare(j->arg, i, thread);
	atomic_store(&j->state[i], ENCPOOL_DONE);
	if (atomic_load(&j->waiting)) {
		pthread_mutex_lock(&j->lock);
		pthread_cond_broadcast(&j->done);
		pthread_mutex_unlock(&j->lock);
	}
}

/* Prepare the next item nobody has taken. False when none is left. */
static bool help(struct encpool_job *j, unsigned thread)
{
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);

		if (i >= j->n)
			return false;
		if (is_ahead(j, i) && claim(j, i)) {
			prepare(j, i, thread);
			return true;
		}
	}
}

static void wait_done(struct encpool_job *j, size_t i)
{
	while (atomic_load(&j->state[i]) != ENCPOOL_DONE) {
		if (help(j, 0))
			continue;
		pthread_mutex_lock(&j->lock);
		atomic_store(&j->waiting, true);
		while (atomic_load(&j->state[i]) != ENCPOOL_DONE)
			pthread_cond_wait(&j->done, &j->lock);
		atomic_store(&j->waiting, false);
		pthread_mutex_unlock(&j->lock);
	}
}

static void task(void *arg, size_t t)
{
	struct encpool_job *j = arg;
	size_t i;

	if (t > 0 || !j->ops->consume) {
		while (help(j, (unsigned)t))
			;
		return;
	}
	for (i = 0; i < j->n; i++) {
		int r;

		if (is_ahead(j, i)) {
			if (claim(j, i))
				prepare(j, i, 0);
			wait_done(j, i);
		}
		r = j->ops->consume(j->arg, i);
		if (r < 0) {
			j->ret = r;
			break;
		}
		if (r == ENCPOOL_STOP)
			break;
	}
	if (j->ret >= 0)
		j->ret = (ssize_t)i;
	/* What is left is still prepared: the caller may take it. */
	while (help(j, 0))
		;
}

/* One thread: the same order, without claims. */
static ssize_t run_inline(const struct encpool_ops *ops, void *arg, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int r = 0;

		if (ops->prepare && (!ops->ahead || ops->ahead(arg, i)))
			ops->prepare(arg, i, 0);
		if (ops->consume)
			r = ops->consume(arg, i);
		if (r < 0)
			return r;
		if (r == ENCPOOL_STOP)
			break;
	}
	/* Items after a stop are prepared all the same (the one it stopped
	 * at already is). */
	for (size_t k = i + 1; ops->prepare && k < n; k++)
		if (!ops->ahead || ops->ahead(arg, k))
			ops->prepare(arg, k, 0);
	return ops->consume ? (ssize_t)i : (ssize_t)n;
}

ssize_t encpool_run(const struct encpool_ops *ops, void *arg, size_t n)
{
	unsigned threads = worker_threads();
	struct encpool_job j = { .ops = ops, .arg = arg, .n = n };

	if (threads < 2 || n < 2)
		return run_inline(ops, arg, n);
	j.state = malloc(n * sizeof(*j.state));
	if (!j.state)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		atomic_init(&j.state[i], ENCPOOL_PENDING);
	atomic_init(&j.next, 0);
	atomic_init(&j.waiting, false);
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.done, NULL);
	worker_run(threads, task, &j);
	pthread_cond_destroy(&j.done);
	pthread_mutex_destroy(&j.lock);
	free(j.state);
	return ops->consume ? j.ret : (ssize_t)n;
}
