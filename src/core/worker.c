/* SPDX-License-Identifier: MIT */
/*
 * Encoder thread pools: worker_run() publishes a task set to the pool
 * in use on the calling thread, every thread (the caller too) takes task
 * numbers from a shared counter, and the caller waits until all are done.
 * One task set at a time per pool; a pool is idle, blocked on a condition
 * variable, between sets. Each server owns a pool and puts it in use
 * while it encodes.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "worker.h"

#define WORKER_MAX_THREADS 64

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;	/* a new task set, or stop */
	pthread_cond_t done;	/* a task set finished */
	pthread_t threads[WORKER_MAX_THREADS];
	unsigned nthreads;	/* extra threads started */
	bool stop;

	/* The current task set. */
	worker_task_fn fn;
	void *arg;
	size_t n, next, finished;
	unsigned long generation;
};

static __thread bool in_worker;
/* The pool worker_run() uses on this thread (NULL: run inline). */
static __thread struct worker_pool *current;
/* The pool of worker_init(), for programs with one pool. */
static struct worker_pool *default_pool;

/* Take and run tasks of the current set until none is left. Called and
 * returns with the lock held. */
static void run_tasks(struct worker_pool *pool)
{
	while (pool->fn && pool->next < pool->n) {
		size_t i = pool->next++;
		worker_task_fn fn = pool->fn;
		void *arg = pool->arg;

		pthread_mutex_unlock(&pool->lock);
		fn(arg, i);
		pthread_mutex_lock(&pool->lock);
		if (++pool->finished == pool->n)
			pthread_cond_broadcast(&pool->done);
	}
}

static void *worker_main(void *arg)
{
	struct worker_pool *pool = arg;
	unsigned long seen = 0;

	in_worker = true;
	pthread_mutex_lock(&pool->lock);
	while (!pool->stop) {
		if (pool->generation == seen || !pool->fn) {
			pthread_cond_wait(&pool->work, &pool->lock);
			continue;
		}
		seen = pool->generation;
		run_tasks(pool);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct worker_pool *worker_pool_new(unsigned threads)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct worker_pool *pool = calloc(1, sizeof(*pool));
	sigset_t all, old;

	if (!pool)
		return NULL;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->done, NULL);
	if (!threads)
		threads = cpus > 0 ? (unsigned)cpus : 1;
	if (threads > WORKER_MAX_THREADS)
		threads = WORKER_MAX_THREADS;
	/* Encoder threads take no signals: a signal the loop handles later
	 * (SIGCHLD, say) must stay pending for its signalfd, not be
	 * delivered to a thread that has it unblocked and lost there. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (pool->nthreads + 1 < threads) {
		int err = pthread_create(&pool->threads[pool->nthreads], NULL,
					 worker_main, pool);
		if (err) {
			log_warn("cannot start an encoder thread: %s",
				 strerror(err));
			break;
		}
		pool->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	log_debug("%s: %u encoder threads", __func__, pool->nthreads + 1);
	return pool;
}

void worker_pool_free(struct worker_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (unsigned i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	if (current == pool)
		current = NULL;
	pthread_cond_destroy(&pool->done);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool);
}

struct worker_pool *worker_use(struct worker_pool *pool)
{
	struct worker_pool *old = current;

	current = pool;
	return old;
}

int worker_init(unsigned threads)
{
	worker_fini();
	default_pool = worker_pool_new(threads);
	if (!default_pool)
		return -ENOMEM;
	worker_use(default_pool);
	return 0;
}

void worker_fini(void)
{
	worker_pool_free(default_pool);
	default_pool = NULL;
}

unsigned worker_threads(void)
{
	return current ? current->nthreads + 1 : 1;
}

void worker_run(size_t n, worker_task_fn fn, void *arg)
{
	struct worker_pool *pool = current;

	if (!n)
		return;
	/* Nested sets, single tasks and a pool without threads run here. */
	if (in_worker || n == 1 || !pool || !pool->nthreads) {
		for (size_t i = 0; i < n; i++)
			fn(arg, i);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	pool->fn = fn;
	pool->arg = arg;
	pool->n = n;
	pool->next = 0;
	pool->finished = 0;
	pool->generation++;
	pthread_cond_broadcast(&pool->work);
	in_worker = true;
	run_tasks(pool);
	in_worker = false;
	while (pool->finished < pool->n)
		pthread_cond_wait(&pool->done, &pool->lock);
	pool->fn = NULL;
	pthread_mutex_unlock(&pool->lock);
}
