/* SPDX-License-Identifier: MIT */
/*
 * A fork-join pool of encoder threads. The loop thread splits a piece of
 * work into numbered tasks, runs them on the pool and on itself, and
 * continues once all are done, so output order is whatever the caller
 * gives it: no stream is ever reordered. Tasks touch only the data they
 * are given (pixels, buffers), never clients, sockets or X.
 */
#ifndef XRFB_WORKER_H
#define XRFB_WORKER_H

#include <stddef.h>

typedef void (*worker_task_fn)(void *arg, size_t index);

/* Start the shared pool with @threads threads in all (the calling thread
 * counts as one; 0 = one per online CPU, 1 = no extra threads). */
int worker_init(unsigned threads);
/* Stop and join the pool's threads. */
void worker_fini(void);
/* Threads that work on a task set, the caller included (>= 1). */
unsigned worker_threads(void);
/* Run fn(arg, 0) .. fn(arg, n - 1), spread over the pool, and return
 * when every task has finished. Calls from a worker run inline. */
void worker_run(size_t n, worker_task_fn fn, void *arg);

#endif
