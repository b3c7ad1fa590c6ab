/* SPDX-License-Identifier: MIT */
/*
 * How encoders use the encoder threads: one mechanism for all of them.
 * An encoder cuts its work into items 0 .. n - 1 (bands of rows, pieces
 * of a rectangle, runs of a deflate). Items are prepared in any order on
 * all encoder threads, each thread with its own index (for per-thread
 * scratch state), and consumed strictly in order on one thread, which
 * also prepares while it waits. Output written by consume() is therefore
 * the same whatever the number of threads. Also the one place that
 * decides whether a rectangle is worth splitting.
 */
#ifndef XRFB_ENCPOOL_H
#define XRFB_ENCPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Rectangles of at least this many pixels are split across the encoder
 * threads by the encoders that can split them. */
#define ENCPOOL_MIN_PIXELS (256 * 1024)

/* consume() returns this to stop consuming before item i: i and the
 * items after it are still prepared, and the caller takes them from
 * there. */
#define ENCPOOL_STOP 1

struct encpool_ops {
	/* Prepare item @i on the thread with index @thread (0 .. threads
	 * - 1, one item at a time per index). NULL: nothing to prepare. */
	void (*prepare)(void *arg, size_t i, unsigned thread);
	/* Whether item @i is prepared ahead (NULL: all are); consume()
	 * does all of an item that is not. */
	bool (*ahead)(void *arg, size_t i);
	/* Consume item @i, after it was prepared, in order of @i, always on
	 * thread index 0: 0 to go on, ENCPOOL_STOP to leave @i and the rest
	 * unconsumed, -errno to fail. NULL: items are only prepared
	 * (fork-join). */
	int (*consume)(void *arg, size_t i);
};

/* Threads that work on items, the calling one included (>= 1). */
unsigned encpool_threads(void);
/* Whether a w x h rectangle is large enough to split, and there are
 * several threads. */
bool encpool_split(int w, int h);
/* Rows per band (a multiple of @unit) for splitting a w x h rectangle,
 * or 0 if encpool_split() says no or it has a single unit of rows. */
int encpool_bands(int w, int h, int unit);

/* Run items 0 .. n - 1 and return once every item is prepared and the
 * consuming has ended: the number of items consumed (n unless consume()
 * stopped early with ENCPOOL_STOP), or the -errno consume() returned
 * (then whether the rest was prepared is unspecified), or -ENOMEM.
 * With one thread, or one item, all runs on the calling thread. */
ssize_t encpool_run(const struct encpool_ops *ops, void *arg, size_t n);

#endif
