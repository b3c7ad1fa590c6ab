/* SPDX-License-Identifier: MIT */
/*
 * Small colour tables for encoders: up to 256 distinct pixel values (in
 * whatever representation the caller uses, typically client pixel values
 * as uint32_t) with an occurrence count each, found through an
 * open-addressing hash. Used for palettes (ZRLE/TRLE, Tight), background
 * choice (RRE, Hextile) and colour counting.
 *
 * Usage:
 *	struct palette pal;
 *	palette_reset(&pal, 16);		// at most 16 colours
 *	if (palette_add(&pal, v, 1) < 0)	// -1: a 17th colour was seen
 *		...too many...
 *	idx = palette_find(&pal, v);		// index in pal.colour[] or -1
 *
 * Indices are assigned in order of first insertion and never change until
 * the next reset (palette_sort_by_count() renumbers on purpose). All
 * functions in this header are inline so they can sit in per-pixel loops;
 * a struct palette must start zeroed (calloc or = { 0 }).
 */
#ifndef XRFB_PALETTE_H
#define XRFB_PALETTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define PALETTE_MAX 256
#define PALETTE_HASH_BITS 9	/* 512 slots: load factor <= 1/2 */
#define PALETTE_HASH_SIZE (1u << PALETTE_HASH_BITS)

struct palette {
	int size;			/* distinct colours held */
	int max;			/* capacity asked for, <= PALETTE_MAX */
	uint32_t gen;			/* slots of other generations are empty */
	uint32_t colour[PALETTE_MAX];	/* by index */
	uint32_t count[PALETTE_MAX];	/* occurrences, by index */
	uint32_t slot[PALETTE_HASH_SIZE];	/* gen << 16 | index */
};

/* Empty @p and set its capacity (1..PALETTE_MAX). Cheap: a new
 * generation empties every slot at once. A zeroed struct is valid. */
static inline void palette_reset(struct palette *p, int max)
{
	p->size = 0;
	p->max = max > PALETTE_MAX ? PALETTE_MAX : max;
	p->gen = (p->gen + 1) & 0xffff;
	if (!p->gen) {
		memset(p->slot, 0, sizeof(p->slot));
		p->gen = 1;
	}
}

static inline unsigned palette_hash(uint32_t v)
{
	return (v * 0x9e3779b1u) >> (32 - PALETTE_HASH_BITS);
}

/* Index of @v, or -1 if absent. */
static inline int palette_find(const struct palette *p, uint32_t v)
{
	unsigned h = palette_hash(v);

	for (;;) {
		uint32_t s = p->slot[h];

		if (s >> 16 != p->gen)
			return -1;
		if (p->colour[s & 0xffff] == v)
			return (int)(s & 0xffff);
		h = (h + 1) & (PALETTE_HASH_SIZE - 1);
	}
}

/* Count @n more occurrences of @v, adding it if new. Returns its index, or
 * -1 if it is new and the palette already holds max colours (the palette
 * is left unchanged then). */
static inline int palette_add(struct palette *p, uint32_t v, uint32_t n)
{
	unsigned h = palette_hash(v);

	for (;;) {
		uint32_t s = p->slot[h];

		if (s >> 16 != p->gen)
			break;
		if (p->colour[s & 0xffff] == v) {
			p->count[s & 0xffff] += n;
			return (int)(s & 0xffff);
		}
		h = (h + 1) & (PALETTE_HASH_SIZE - 1);
	}
	if (p->size >= p->max)
		return -1;
	p->colour[p->size] = v;
	p->count[p->size] = n;
	p->slot[h] = p->gen << 16 | (uint32_t)p->size;
	return p->size++;
}

/* Is every colour of @sub also in @p? */
static inline bool palette_is_subset(const struct palette *sub,
				     const struct palette *p)
{
	if (sub->size > p->size)
		return false;
	for (int i = 0; i < sub->size; i++)
		if (palette_find(p, sub->colour[i]) < 0)
			return false;
	return true;
}


/* Index of the colour with the highest count (0 for an empty palette). */
int palette_most_common(const struct palette *p);

/* Renumber by decreasing count (stable for equal counts). */
void palette_sort_by_count(struct palette *p);

#endif
