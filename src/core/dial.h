/* SPDX-License-Identifier: MIT */
/*
 * Outgoing TCP connections that never block the loop: the name is
 * resolved on a short-lived thread (literal addresses at once), then each
 * address is tried with a non-blocking connect until one answers.
 */
#ifndef XRFB_DIAL_H
#define XRFB_DIAL_H

#include <stdint.h>

#include "xrfb.h"

struct dial;

/* The outcome: @fd >= 0 is a connected, non-blocking, close-on-exec
 * socket the callee owns (@err 0); or @fd -1 and @err a negative errno
 * (-EHOSTUNREACH for a name that does not resolve). The dial is freed
 * right after this returns: do not cancel it from here. */
typedef void (*dial_done_fn)(void *arg, int fd, int err);

/* Start connecting to @host:@port. NULL only without memory or threads. */
struct dial *dial_start(struct xrfb_loop *loop, const char *host,
			uint16_t port, dial_done_fn fn, void *arg);
/* Give up a dial whose callback has not run; it never will. */
void dial_cancel(struct dial *d);

#endif
