/* SPDX-License-Identifier: MIT */
/*
 * Colour tables for encoders: the out-of-line parts of palette.h (most
 * common colour, sorting). Knows nothing of pixel formats or encodings.
 */
#include "config.h"

#include <stdlib.h>

#include "palette.h"

int palette_most_common(const struct palette *p)
{
	int best = 0;

	for (int i = 1; i < p->size; i++)
		if (p->count[i] > p->count[best])
			best = i;
	return best;
}

void palette_sort_by_count(struct palette *p)
{
	uint32_t colour[PALETTE_MAX], count[PALETTE_MAX];
	int n = p->size;

	/* Insertion sort: n <= 256 and usually tiny. */
	for (int i = 0; i < n; i++) {
		int j = i;

		while (j > 0 && count[j - 1] < p->count[i]) {
			count[j] = count[j - 1];
			colour[j] = colour[j - 1];
			j--;
		}
		count[j] = p->count[i];
		colour[j] = p->colour[i];
	}
	palette_reset(p, p->max);
	for (int i = 0; i < n; i++)
		palette_add(p, colour[i], count[i]);
}
