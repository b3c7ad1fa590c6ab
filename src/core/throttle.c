/* SPDX-License-Identifier: MIT */
/*
 * Failed authentications per source address, as TigerVNC's blacklist
 * does it: five are free, then each further one refuses the address for
 * a period that starts at THROTTLE_BASE_MS and doubles, up to
 * THROTTLE_MAX_MS; a success forgets the address. A fixed table: a flood
 * of addresses costs its oldest entries, never memory.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "throttle.h"

void throttle_init(struct throttle *t)
{
	memset(t, 0, sizeof(*t));
	t->base_ms = THROTTLE_BASE_MS;
}

void throttle_addr(const char *peer, char *out, size_t size)
{
	const char *colon = strrchr(peer, ':');
	size_t n = colon ? (size_t)(colon - peer) : strlen(peer);

	if (peer[0] == '[' && colon && colon[-1] == ']') {
		peer++;
		n -= 2;
	}
	if (n >= size)
		n = size - 1;
	memcpy(out, peer, n);
	out[n] = '\0';
}

static struct throttle_entry *find(const struct throttle *t,
				   const char *addr)
{
	for (size_t i = 0; i < THROTTLE_SLOTS; i++)
		if (t->e[i].addr[0] && !strcmp(t->e[i].addr, addr))
			return (struct throttle_entry *)&t->e[i];
	return NULL;
}

uint64_t throttle_blocked(const struct throttle *t, const char *addr,
			  uint64_t now)
{
	const struct throttle_entry *e = find(t, addr);

	return e && e->until_ms > now ? e->until_ms - now : 0;
}

uint64_t throttle_failed(struct throttle *t, const char *addr, uint64_t now)
{
	struct throttle_entry *e = find(t, addr);

	if (!e) {
		e = &t->e[0];
		for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
			if (!t->e[i].addr[0]) {
				e = &t->e[i];
				break;
			}
			if (t->e[i].last_ms < e->last_ms)
				e = &t->e[i];
		}
		memset(e, 0, sizeof(*e));
		snprintf(e->addr, sizeof(e->addr), "%s", addr);
	}
	e->last_ms = now;
	if (++e->failures < THROTTLE_FREE_FAILURES)
		return 0;
	e->ban_ms = e->ban_ms ? e->ban_ms * 2 : t->base_ms;
	if (e->ban_ms > THROTTLE_MAX_MS)
		e->ban_ms = THROTTLE_MAX_MS;
	e->until_ms = now + e->ban_ms;
	return e->ban_ms;
}

void throttle_succeeded(struct throttle *t, const char *addr)
{
	struct throttle_entry *e = find(t, addr);

	if (e)
		memset(e, 0, sizeof(*e));
}
