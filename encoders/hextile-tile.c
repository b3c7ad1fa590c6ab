/* SPDX-License-Identifier: MIT */
/*
 * Hextile tiles: choosing background and foreground, finding subrects and
 * falling back to Raw, with the carry-over rules of RFC 6143 §7.7.4 (and
 * doc/protocol.md, "Hextile"): after a Raw tile the background is always
 * specified again, and the foreground is reused only where the spec allows.
 */
#include "config.h"


#include "hextile-tile.h"
#include "subrect.h"
#include "vec.h"

void hextile_tile_start(struct hextile_tile *t)
{
	t->bg_valid = t->fg_valid = false;
}

static int put_raw(struct hextile_tile *t, const uint32_t *px, int n,
		   const struct pixbuf_fmt *pf, uint8_t *dst)
{
	dst[0] = HEXTILE_RAW;
	hextile_tile_invalidate(t);
	return (int)(pixbuf_put_n(dst + 1, px, (size_t)n, pf->kind) - dst);
}

/* Index of the first pixel other than @c (n if none). */
static inline int first_other(const uint32_t *px, int n, uint32_t c)
{
	vec_u32 vc = vec_splat(c);
	int i = 0;

	for (; i + VEC_LANES <= n; i += VEC_LANES) {
		vec_i32 ne = vec_load(px + i) != vc;

		if (ne[0] | ne[1] | ne[2] | ne[3])
			break;
	}
	while (i < n && px[i] == c)
		i++;
	return i;
}

/* Count @c0 and @c1 in the tile; false as soon as a third value shows. */
static inline bool count_two(const uint32_t *px, int n, uint32_t c0,
			     uint32_t c1, long *n0, long *n1)
{
	vec_u32 v0 = vec_splat(c0), v1 = vec_splat(c1);
	vec_i32 a0 = { 0, 0, 0, 0 }, a1 = { 0, 0, 0, 0 };
	int i = 0;

	for (; i + VEC_LANES <= n; i += VEC_LANES) {
		vec_u32 v = vec_load(px + i);
		vec_i32 e0 = v == v0, e1 = v == v1, other = ~(e0 | e1);

		if (other[0] | other[1] | other[2] | other[3])
			return false;
		a0 += e0;
		a1 += e1;
	}
	*n0 = -vec_sum(a0);
	*n1 = -vec_sum(a1);
	for (; i < n; i++) {
		if (px[i] == c0)
			(*n0)++;
		else if (px[i] == c1)
			(*n1)++;
		else
			return false;
	}
	return true;
}

/* Number of colours in the tile, or -1 if more than @max; *@bg gets the
 * most common. Text and UI tiles have a handful of colours, which a
 * linear search counts fastest; the hash table takes over beyond. */
static int count_colours(struct hextile_tile *t, const uint32_t *px, int n,
			 int max, uint32_t *bg)
{
	uint32_t col[8] = { 0 }, cnt[8] = { 0 };
	int k = 0, most = 0, i, idx;

	for (i = 0; i < n;) {
		uint32_t v = px[i];
		int j = i + 1, m = 0;

		while (j < n && px[j] == v)
			j++;
		while (m < k && col[m] != v)
			m++;
		if (m == k) {
			if (k == 8)
				goto hash;
			col[k] = v;
			cnt[k++] = 0;
		}
		cnt[m] += (uint32_t)(j - i);
		i = j;
	}
	if (k > max)
		return -1;
	for (i = 1; i < k; i++)
		if (cnt[i] > cnt[most])
			most = i;
	*bg = col[most];
	return k;
hash:
	palette_reset(&t->pal, max);
	for (i = 0; i < n;) {
		uint32_t v = px[i];
		int j = i + 1;

		while (j < n && px[j] == v)
			j++;
		idx = palette_add(&t->pal, v, (uint32_t)(j - i));
		if (idx < 0)
			return -1;
		if (t->pal.count[idx] > t->pal.count[most])
			most = idx;
		i = j;
	}
	*bg = t->pal.colour[most];
	return t->pal.size;
}

/* Length of the run of equal pixels starting at bit @x of a row whose
 * bit i says "pixel i equals pixel i + 1". */
static inline int run_at(unsigned eq, int x)
{
	return __builtin_ctz(~(eq >> x)) + 1;
}

/*
 * Subrects for a tile (at most 16 x 16): greedy, at each uncovered
 * non-background pixel in raster order the largest rectangle of its colour
 * anchored there. Rows are bit masks (non-background pixels, pixels equal
 * to their right neighbour, covered pixels), so runs and coverage cost a
 * few bit operations. A rectangle may overlap earlier ones of the same
 * colour, which paints the same pixels again and can save subrects.
 * Returns the count, or -1 as soon as more than @max would be needed.
 */
static int tile_subrects(const uint32_t *px, int w, int h, uint32_t bg,
			 struct subrect *out, int max)
{
	unsigned nonbg[HEXTILE_SIZE], eq[HEXTILE_SIZE];
	unsigned covered[HEXTILE_SIZE] = { 0 };
	int n = 0;

	for (int y = 0; y < h; y++) {
		const uint32_t *r = px + y * w;
		unsigned nb = 0, e = 0;

		for (int x = 0; x < w; x++)
			nb |= (unsigned)(r[x] != bg) << x;
		for (int x = 0; x + 1 < w; x++)
			e |= (unsigned)(r[x] == r[x + 1]) << x;
		nonbg[y] = nb;
		eq[y] = e;
	}
	for (int y = 0; y < h; y++) {
		unsigned cand;

		while ((cand = nonbg[y] & ~covered[y])) {
			int x = __builtin_ctz(cand);
			uint32_t c = px[y * w + x];
			int width = run_at(eq[y], x), bw = width, bh = 1;
			int best = width;
			unsigned m;

			for (int j = y + 1; j < h; j++) {
				int rj;

				if (px[j * w + x] != c)
					break;
				rj = run_at(eq[j], x);
				if (rj < width)
					width = rj;
				if (width * (j - y + 1) > best) {
					best = width * (j - y + 1);
					bw = width;
					bh = j - y + 1;
				}
			}
			if (n >= max)
				return -1;
			out[n].colour = c;
			out[n].x = (uint16_t)x;
			out[n].y = (uint16_t)y;
			out[n].w = (uint16_t)bw;
			out[n].h = (uint16_t)bh;
			n++;
			m = ((1u << bw) - 1) << x;
			for (int j = y; j < y + bh; j++)
				covered[j] |= m;
		}
	}
	return n;
}

int hextile_tile_encode(struct hextile_tile *t, const uint32_t *px, int tw,
			int th, const struct pixbuf_fmt *pf, uint8_t *dst)
{
	struct subrect sr[HEXTILE_SIZE * HEXTILE_SIZE];
	int n = tw * th, raw = n * pf->bytes, i, k, budget, len;
	uint32_t c0 = px[0], c1, bg, fg = 0;
	long count0 = 0, count1 = 0;
	int colours = 2;
	bool mono;
	uint8_t mask, *d;

	i = first_other(px, n, c0);
	if (i == n) {
		/* Solid: only the background, if it changed. */
		if (t->bg_valid && t->bg == c0) {
			dst[0] = 0;
			return 1;
		}
		dst[0] = HEXTILE_BG;
		t->bg_valid = true;
		t->bg = c0;
		return (int)(pixbuf_put(dst + 1, c0, pf->kind) - dst);
	}
	c1 = px[i];
	mono = count_two(px, n, c0, c1, &count0, &count1);
	mask = HEXTILE_ANY_SUBRECTS;
	len = 1;
	if (mono) {
		bg = count0 >= count1 ? c0 : c1;
		fg = count0 >= count1 ? c1 : c0;
	} else {
		/* Every colour but the background needs a subrect: count them
		 * only as far as that can still beat Raw. */
		budget = (raw - 2) / (pf->bytes + 2);
		colours = count_colours(t, px, n, budget > 255 ? 256 : budget + 1,
					&bg);
		if (colours < 0)
			return put_raw(t, px, n, pf, dst);
		mask |= HEXTILE_COLOURED;
	}
	if (!t->bg_valid || t->bg != bg) {
		mask |= HEXTILE_BG;
		len += pf->bytes;
	}
	if (mono && (!t->fg_valid || t->fg != fg)) {
		mask |= HEXTILE_FG;
		len += pf->bytes;
	}
	len++;			/* the subrect count */
	budget = (raw - len) / (mono ? 2 : pf->bytes + 2);
	if (budget > 255)
		budget = 255;
	if (budget <= 0 || (!mono && colours - 1 > budget) ||
	    (!mono && subrect_corners(px, tw, tw, th, bg) > budget))
		return put_raw(t, px, n, pf, dst);
	k = tile_subrects(px, tw, th, bg, sr, budget);
	if (k < 0)
		return put_raw(t, px, n, pf, dst);

	d = dst;
	*d++ = mask;
	if (mask & HEXTILE_BG)
		d = pixbuf_put(d, bg, pf->kind);
	if (mask & HEXTILE_FG)
		d = pixbuf_put(d, fg, pf->kind);
	*d++ = (uint8_t)k;
	for (i = 0; i < k; i++) {
		if (!mono)
			d = pixbuf_put(d, sr[i].colour, pf->kind);
		d[0] = (uint8_t)(sr[i].x << 4 | sr[i].y);
		d[1] = (uint8_t)((sr[i].w - 1) << 4 | (sr[i].h - 1));
		d += 2;
	}
	t->bg_valid = true;
	t->bg = bg;
	t->fg_valid = mono;
	t->fg = fg;
	return (int)(d - dst);
}
