/* SPDX-License-Identifier: MIT */
/*
 * Fork-join pools of encoder threads. The loop thread splits a piece of
 * work into numbered tasks, runs them on the pool and on itself, and
 * continues once all are done, so output order is whatever the caller
 * gives it: no stream is ever reordered. Tasks touch only the data they
 * are given (pixels, buffers), never clients, sockets or X.
 */
#ifndef XRFB_WORKER_H
#define XRFB_WORKER_H

#include <stddef.h>

typedef void (*worker_task_fn)(void *arg, size_t index);

struct worker_pool;

/* Start a pool with @threads threads in all (the thread that runs task
 * sets counts as one; 0 = one per online CPU, 1 = no extra threads). */
struct worker_pool *worker_pool_new(unsigned threads);
/* Stop and join the pool's threads and free it. */
void worker_pool_free(struct worker_pool *pool);
/* Make @pool (NULL: none, tasks run inline) the one worker_run() uses on
 * the calling thread; returns the one used before. */
struct worker_pool *worker_use(struct worker_pool *pool);
/* For tests and benchmarks: a pool of @threads for the calling thread
 * (replacing the one of an earlier call), and its end. */
int worker_init(unsigned threads);
void worker_fini(void);
/* Threads that work on a task set in the pool in use, the caller
 * included (>= 1). */
unsigned worker_threads(void);
/* Run fn(arg, 0) .. fn(arg, n - 1), spread over the pool in use, and return
 * when every task has finished. Calls from a worker run inline. */
void worker_run(size_t n, worker_task_fn fn, void *arg);

#endif
