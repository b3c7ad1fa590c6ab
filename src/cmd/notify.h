/* SPDX-License-Identifier: MIT */
/* Readiness and status for a service manager (the sd_notify protocol). */
#ifndef XRFB_NOTIFY_H
#define XRFB_NOTIFY_H

/* Take $NOTIFY_SOCKET out of the environment (children must not talk to
 * our service manager) and remember it. Call once, early. */
void notify_init(void);
/* Send @state ("READY=1\nSTATUS=...") as one datagram to the remembered
 * socket; 0 (also when there is none) or -errno. */
int notify_send(const char *state);

#endif
