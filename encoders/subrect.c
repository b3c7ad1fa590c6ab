/* SPDX-License-Identifier: MIT */
/*
 * The subrectangle search shared by RRE, CoRRE and Hextile, and the choice
 * of their background colour. Works on pixel values; knows nothing of
 * wire formats.
 */
#include "config.h"

#include "subrect.h"
#include "vec.h"

/* Largest rectangle of colour @c anchored at (x, y), which has it. */
static void grow(const uint32_t *px, int stride, int w, int h, int x, int y,
		 uint32_t c, int *rw, int *rh)
{
	const uint32_t *row = px + (size_t)y * stride;
	int end = x + 1, best_w, best_h;
	long best;

	while (end < w && row[end] == c)
		end++;
	best_w = end - x;
	best_h = 1;
	best = best_w;
	/* Extend downwards, narrowing to the shortest run seen. */
	for (int j = y + 1; j < h; j++) {
		const uint32_t *r = px + (size_t)j * stride;
		int e = x;
		long area;

		while (e < end && r[e] == c)
			e++;
		if (e == x)
			break;
		end = e;
		area = (long)(end - x) * (j - y + 1);
		if (area > best) {
			best = area;
			best_w = end - x;
			best_h = j - y + 1;
		}
	}
	*rw = best_w;
	*rh = best_h;
}

int subrect_find(uint32_t *px, int stride, int w, int h, uint32_t bg,
		 struct subrect *out, int max, long *pos)
{
	int n = 0;
	int y = (int)(*pos / w), x0 = (int)(*pos % w);

	for (; y < h; y++, x0 = 0) {
		uint32_t *row = px + (size_t)y * stride;

		for (int x = x0; x < w; x++) {
			uint32_t c = row[x];
			int rw, rh;

			if (c == bg)
				continue;
			if (n >= max) {
				*pos = (long)y * w + x;
				return n;
			}
			grow(px, stride, w, h, x, y, c, &rw, &rh);
			out[n].colour = c;
			out[n].x = (uint16_t)x;
			out[n].y = (uint16_t)y;
			out[n].w = (uint16_t)rw;
			out[n].h = (uint16_t)rh;
			n++;
			for (int j = y; j < y + rh; j++) {
				uint32_t *r = px + (size_t)j * stride + x;

				for (int i = 0; i < rw; i++)
					r[i] = bg;
			}
			x += rw - 1;
		}
	}
	*pos = (long)w * h;
	return n;
}

uint32_t subrect_background(struct palette *pal, const uint32_t *px,
			    int stride, int w, int h, long *runs)
{
	/* A sample of rows finds the background of anything but tiny
	 * blocks: every 4th row, and about 64 rows of tall blocks. */
	int step = h < 16 ? 1 : h < 256 ? 4 : h / 64;
	long n = 0;

	palette_reset(pal, PALETTE_MAX);
	for (int y = 0; y < h; y += step) {
		const uint32_t *row = px + (size_t)y * stride;
		int i = 0;

		while (i < w) {
			uint32_t v = row[i];
			int j = i + 1;

			while (j < w && row[j] == v)
				j++;
			palette_add(pal, v, (uint32_t)(j - i));
			n++;
			i = j;
		}
	}
	*runs = n * step;
	return pal->size ? pal->colour[palette_most_common(pal)] : 0;
}

long subrect_corners(const uint32_t *px, int stride, int w, int h,
		     uint32_t bg)
{
	long n = 0;

	for (int x = 0; x < w; x++)
		n += (px[x] != bg) & (x == 0 || px[x] != px[x - 1]);
	for (int y = 1; y < h; y++) {
		const uint32_t *r = px + (size_t)y * stride, *u = r - stride;
		vec_u32 vbg = vec_splat(bg);
		vec_i32 acc = { 0, 0, 0, 0 };
		int x = 1;

		n += (r[0] != bg) & (r[0] != u[0]);
		for (; x + VEC_LANES <= w; x += VEC_LANES) {
			vec_u32 c = vec_load(r + x);

			/* Lanes are -1 where all three differ. */
			acc += (c != vbg) & (c != vec_load(r + x - 1)) &
			       (c != vec_load(u + x));
		}
		n -= vec_sum(acc);
		for (; x < w; x++)
			n += (r[x] != bg) & (r[x] != r[x - 1]) &
			     (r[x] != u[x]);
	}
	return n;
}
