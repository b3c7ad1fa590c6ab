/* SPDX-License-Identifier: MIT */
/*
 * Password guessing, slowed per source address: after
 * THROTTLE_FREE_FAILURES failed authentications an address is refused for
 * a period that doubles with every further failure. Only real failures
 * count, never connections that merely come and go.
 */
#ifndef XRFB_THROTTLE_H
#define XRFB_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_FREE_FAILURES 5
#define THROTTLE_BASE_MS 10000
#define THROTTLE_MAX_MS (3600u * 1000u)
/* Addresses remembered; the one heard from longest ago makes room. */
#define THROTTLE_SLOTS 256
#define THROTTLE_ADDR_MAX 64

struct throttle_entry {
	char addr[THROTTLE_ADDR_MAX];	/* "" : free */
	unsigned failures;
	uint64_t until_ms;	/* refused before this time */
	uint64_t ban_ms;	/* the next refusal's length */
	uint64_t last_ms;
};

struct throttle {
	uint64_t base_ms;	/* the first refusal's length */
	struct throttle_entry e[THROTTLE_SLOTS];
};

void throttle_init(struct throttle *t);
/* The address part of a peer name ("127.0.0.1:5678", "[::1]:5678"). */
void throttle_addr(const char *peer, char *out, size_t size);
/* Milliseconds @addr is still refused at @now (0: not refused). */
uint64_t throttle_blocked(const struct throttle *t, const char *addr,
			  uint64_t now);
/* A failed authentication from @addr; returns the refusal it starts in
 * milliseconds (0: none yet). */
uint64_t throttle_failed(struct throttle *t, const char *addr, uint64_t now);
/* A successful one: @addr starts afresh. */
void throttle_succeeded(struct throttle *t, const char *addr);

#endif
