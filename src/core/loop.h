/* SPDX-License-Identifier: MIT */
/* Internal extensions of the event loop (the rest is in xrfb.h). */
#ifndef XRFB_LOOP_H
#define XRFB_LOOP_H

#include "xrfb.h"

typedef void (*loop_post_fn)(void *arg);

/* From any thread: run @fn(@arg) on the loop thread soon (eventfd). */
int loop_post(struct xrfb_loop *loop, loop_post_fn fn, void *arg);

#endif
