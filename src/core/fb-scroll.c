/* SPDX-License-Identifier: MIT */
/*
 * Move detection against the framebuffer.
 *
 * The source of a move lies inside the damage (a scrolled viewport is
 * damaged as a whole, a dragged window damages the place it left), so
 * every search is bounded by the damage, plus a small margin for damage
 * that arrived in two parts.
 *
 * 1. Changes: each 16x16 tile of the new rectangles is compared with the
 *    framebuffer once (every fourth row); unchanged tiles take no further
 *    part, except to fill holes in a move.
 * 2. Scrolls: rows of the new pixels (in stripes 128 pixels wide) are
 *    hashed and looked up among the hashes of the old rows around them:
 *    each hit votes for a vertical offset. Columns (in bands 128 rows
 *    high) do the same for horizontal offsets. The busiest stripe goes
 *    first; the others only if it found a move.
 * 3. Other moves (dragged windows), when no scroll explains most of the
 *    change: short runs of changed new pixels are hashed (in groups of
 *    eight rows one above the other), every 32-pixel window of every
 *    fourth row of the old damaged area is hashed with a rolling hash
 *    and looked up among them; each hit votes for an offset.
 * 4. Verification: for the offsets with the most votes, each changed tile
 *    is compared with the old framebuffer at the offset, exactly. The best
 *    offset wins; tiles that failed next to tiles that matched are then
 *    split at the exact rows and columns where the match ends, and
 *    unchanged tiles that equal their source too fill the holes.
 *
 * Hashes only propose; memcmp decides, so a CopyRect is never wrong.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "fb-scroll.h"

#define SCROLL_TILE 16
#define SCROLL_MIN_AREA (64 * 64)	/* smaller changes are not worth it */
#define SCROLL_MARGIN 64	/* search this far around the damage */
#define SCROLL_STRIPE 128	/* row hashes cover this many pixels */
#define SCROLL_MAX_HITS 8	/* old rows one new row may vote for */
#define SCROLL_VOTES 512	/* offset vote slots (power of 2) */
#define SCROLL_CANDIDATES 4
/* Edge refinement adds no slice thinner than this: a thin CopyRect saves
 * little and splits the pixels around it into more rectangles. */
#define SCROLL_MIN_EDGE 4
#define SCROLL_MUL 0x9e3779b1u	/* hash multiplier (odd) */
/* 2D search: features of this many pixels, sampled from changed rows in
 * groups of rows one above the other; old rows are scanned half as far
 * apart as a group is high, so each group meets them twice (some of its
 * runs are flat or repeated and do not count); a feature votes for at
 * most this many places. */
#define SCROLL_RUN 32
#define SCROLL_GROUP 8
#define SCROLL_SCAN_STEP 4
#define SCROLL_MAX_FEATURES 256
#define SCROLL_FEATURE_HITS 8
#define SCROLL_TABLE 1024	/* feature hash table slots (power of 2) */
#define SCROLL_RUN_MUL 0x100000001b3ull

enum tile_state {
	TILE_SAME = 0,		/* unchanged */
	TILE_CHANGED,		/* changed, no move verified */
	TILE_MOVED,		/* changed and equal to the old at the offset */
	TILE_FILL,		/* unchanged, and equal at the offset too */
	TILE_TRIED,		/* unchanged, not equal at the offset (only
				 * while fill_holes() runs) */
};

struct vote {
	int dx, dy;
	unsigned count;
	bool used;
};

struct feature {
	uint64_t hash;
	int x, y;
	unsigned hits;
	bool used;
};

/* One entry of a hash -> position table (rows or columns). */
struct line_hash {
	uint32_t hash;
	int pos;		/* -1: empty slot */
};

struct scan {
	const struct fb *fb;
	const struct fb_src *src;
	unsigned n;
	struct rect box;	/* bounding box of the damage, plus margin */
	uint8_t *tiles;		/* per rectangle, row-major tile states */
	uint8_t *best_tiles;	/* the states for the best offset so far */
	size_t ntiles;
	size_t *tile_off;	/* first tile of each rectangle */
	uint64_t changed;	/* pixels of changed tiles */
	struct vote votes[SCROLL_VOTES];
	/* scratch for line hashes */
	uint32_t *hash_old, *hash_new, *diff;
	bool *flat_old, *flat_new;
	struct line_hash *table;
	size_t table_len;	/* power of 2 */
};

static const uint32_t *src_px(const struct fb_src *s, int x, int y)
{
	return (const uint32_t *)(s->pixels + (size_t)(y - s->r.y) * s->stride) +
	       (x - s->r.x);
}

static const uint32_t *fb_px(const struct fb *fb, int x, int y)
{
	return fb->pixels + (size_t)y * fb->stride + x;
}

static int tiles_x(const struct rect *r)
{
	return (r->w + SCROLL_TILE - 1) / SCROLL_TILE;
}

static int tiles_y(const struct rect *r)
{
	return (r->h + SCROLL_TILE - 1) / SCROLL_TILE;
}

/* The tile of rectangle @s at tile column @c, row @r. */
static struct rect tile_rect(const struct fb_src *s, int c, int r)
{
	struct rect t = { s->r.x + c * SCROLL_TILE, s->r.y + r * SCROLL_TILE,
			  SCROLL_TILE, SCROLL_TILE };

	if (t.x + t.w > s->r.x + s->r.w)
		t.w = s->r.x + s->r.w - t.x;
	if (t.y + t.h > s->r.y + s->r.h)
		t.h = s->r.y + s->r.h - t.y;
	return t;
}

/* Equal runs of @n pixels; whole tile rows are compared inline, which
 * beats a call to memcmp() for 64 bytes. */
static inline bool run_equal(const uint32_t *a, const uint32_t *b, int n)
{
#ifdef __SSE2__
	if (n == SCROLL_TILE) {
		const __m128i *p = (const __m128i *)(const void *)a;
		const __m128i *q = (const __m128i *)(const void *)b;
		__m128i e = _mm_and_si128(
			_mm_and_si128(_mm_cmpeq_epi32(_mm_loadu_si128(p),
						      _mm_loadu_si128(q)),
				      _mm_cmpeq_epi32(_mm_loadu_si128(p + 1),
						      _mm_loadu_si128(q + 1))),
			_mm_and_si128(_mm_cmpeq_epi32(_mm_loadu_si128(p + 2),
						      _mm_loadu_si128(q + 2)),
				      _mm_cmpeq_epi32(_mm_loadu_si128(p + 3),
						      _mm_loadu_si128(q + 3))));

		return _mm_movemask_epi8(e) == 0xffff;
	}
#endif
	return memcmp(a, b, (size_t)n * 4) == 0;
}

static bool rows_equal(const struct fb *fb, const struct fb_src *s,
		       const struct rect *t, int dx, int dy)
{
	for (int y = t->y; y < t->y + t->h; y++)
		if (!run_equal(src_px(s, t->x, y), fb_px(fb, t->x - dx, y - dy),
			       t->w))
			return false;
	return true;
}

/* ---- 1. which tiles changed ---------------------------------------------- */

/*
 * Tiles are only sampled, every fourth row: a tile changed in other rows
 * only is taken as unchanged, which can cost a move (its pixels are sent
 * as they are) but never makes one wrong, since every tile that goes into
 * a move is compared in full. The server compares all of it anyway.
 */
static void find_changes(struct scan *sc)
{
	for (unsigned i = 0; i < sc->n; i++) {
		const struct fb_src *s = &sc->src[i];
		int tx = tiles_x(&s->r);
		uint8_t *row = sc->tiles + sc->tile_off[i];

		/* Row by row across a row of tiles, as in verify(). */
		for (int r = 0; r < tiles_y(&s->r); r++, row += tx) {
			struct rect t = tile_rect(s, 0, r);

			memset(row, TILE_SAME, (size_t)tx);
			for (int y = t.y; y < t.y + t.h; y += 4) {
				const uint32_t *p, *q;

				/* and the last row of the tile */
				if (y + 4 >= t.y + t.h)
					y = t.y + t.h - 1;
				p = src_px(s, s->r.x, y);
				q = fb_px(sc->fb, s->r.x, y);
				for (int c = 0; c < tx; c++) {
					int x = c * SCROLL_TILE;
					int w = s->r.w - x < SCROLL_TILE
							? s->r.w - x : SCROLL_TILE;

					if (row[c] == TILE_SAME &&
					    !run_equal(p + x, q + x, w))
						row[c] = TILE_CHANGED;
				}
			}
			for (int c = 0; c < tx; c++)
				if (row[c] == TILE_CHANGED) {
					struct rect tc = tile_rect(s, c, r);

					sc->changed += (uint64_t)tc.w *
						       (unsigned)tc.h;
				}
		}
	}
}

/* ---- votes --------------------------------------------------------------- */

static void vote(struct scan *sc, int dx, int dy, unsigned weight)
{
	unsigned slot = ((unsigned)dx * 73856093u ^ (unsigned)dy * 19349663u) &
			(SCROLL_VOTES - 1);

	if (!dx && !dy)
		return;
	for (unsigned probe = 0; probe < SCROLL_VOTES; probe++) {
		struct vote *v = &sc->votes[(slot + probe) & (SCROLL_VOTES - 1)];

		if (!v->used) {
			*v = (struct vote){ dx, dy, weight, true };
			return;
		}
		if (v->dx == dx && v->dy == dy) {
			v->count += weight;
			return;
		}
	}
}

/* Take the offset with the most votes (at least @min) out of the table. */
static bool best_vote(struct scan *sc, unsigned min, int *dx, int *dy)
{
	struct vote *top = NULL;

	for (int i = 0; i < SCROLL_VOTES; i++)
		if (sc->votes[i].used && sc->votes[i].count >= min &&
		    (!top || sc->votes[i].count > top->count))
			top = &sc->votes[i];
	if (!top)
		return false;
	*dx = top->dx;
	*dy = top->dy;
	top->count = 0;
	return true;
}

/* ---- 2. scrolls: row and column hashes ------------------------------------ */

static inline uint32_t rotl5(uint32_t h)
{
	return h << 5 | h >> 27;
}

/*
 * Hash of a row of @n pixels; *flat tells whether all are equal. A
 * rotate-and-xor per pixel in eight independent lanes: weak as hashes go,
 * but a false match only costs a verification, and it runs at a fraction
 * of a nanosecond per pixel (SSE2 where available).
 */
static uint32_t hash_row(const uint32_t *p, int n, bool *flat)
{
	uint32_t h[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, diff = 0, r = 0;
	int i = 0;
#ifdef __SSE2__
	__m128i a = _mm_loadu_si128((const __m128i *)(void *)h);
	__m128i b = _mm_loadu_si128((const __m128i *)(void *)(h + 4));
	__m128i first = _mm_set1_epi32((int)p[0]), d = _mm_setzero_si128();
	uint32_t dd[4];

	for (; i + 8 <= n; i += 8) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)
					    (p + i));
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)
					    (p + i + 4));

		a = _mm_xor_si128(_mm_or_si128(_mm_slli_epi32(a, 5),
					       _mm_srli_epi32(a, 27)), v);
		b = _mm_xor_si128(_mm_or_si128(_mm_slli_epi32(b, 5),
					       _mm_srli_epi32(b, 27)), w);
		d = _mm_or_si128(d, _mm_or_si128(_mm_xor_si128(v, first),
						 _mm_xor_si128(w, first)));
	}
	_mm_storeu_si128((__m128i *)(void *)h, a);
	_mm_storeu_si128((__m128i *)(void *)(h + 4), b);
	_mm_storeu_si128((__m128i *)(void *)dd, d);
	diff = dd[0] | dd[1] | dd[2] | dd[3];
#else
	uint32_t d8[8] = { 0 };

	for (; i + 8 <= n; i += 8)
		for (int l = 0; l < 8; l++) {
			h[l] = rotl5(h[l]) ^ p[i + l];
			d8[l] |= p[i + l] ^ p[0];
		}
	for (int l = 0; l < 8; l++)
		diff |= d8[l];
#endif
	for (; i < n; i++) {
		h[i & 7] = rotl5(h[i & 7]) ^ p[i];
		diff |= p[i] ^ p[0];
	}
	*flat = diff == 0;
	for (int l = 0; l < 8; l++)
		r = (r ^ h[l]) * SCROLL_MUL;
	return r ^ r >> 15;
}

static void table_reset(struct scan *sc, size_t entries)
{
	size_t len = 16;

	while (len < entries * 2)
		len *= 2;
	sc->table_len = len;
	for (size_t i = 0; i < len; i++)
		sc->table[i].pos = -1;
}

static void table_add(struct scan *sc, uint32_t hash, int pos)
{
	size_t slot = (hash * 2654435761u) & (sc->table_len - 1);

	while (sc->table[slot].pos >= 0)
		slot = (slot + 1) & (sc->table_len - 1);
	sc->table[slot] = (struct line_hash){ hash, pos };
}

/* Vote for (@pos - p) * unit for every old line p with @hash. */
static void table_vote(struct scan *sc, uint32_t hash, int pos, bool vertical)
{
	size_t slot = (hash * 2654435761u) & (sc->table_len - 1);
	unsigned hits = 0;

	for (; sc->table[slot].pos >= 0 && hits < SCROLL_MAX_HITS;
	     slot = (slot + 1) & (sc->table_len - 1)) {
		if (sc->table[slot].hash != hash)
			continue;
		hits++;
		if (vertical)
			vote(sc, 0, pos - sc->table[slot].pos, 1);
		else
			vote(sc, pos - sc->table[slot].pos, 0, 1);
	}
}

/* Rows of the stripe [x, x + w) of @s against old rows [y0, y1). */
static void vote_rows(struct scan *sc, const struct fb_src *s, int x, int w,
		      int y0, int y1)
{
	const struct fb *fb = sc->fb;

	table_reset(sc, (size_t)(y1 - y0));
	for (int y = y0; y < y1; y++) {
		sc->hash_old[y - y0] = hash_row(fb_px(fb, x, y), w,
						 &sc->flat_old[y - y0]);
		if (!sc->flat_old[y - y0])
			table_add(sc, sc->hash_old[y - y0], y);
	}
	for (int y = s->r.y; y < s->r.y + s->r.h; y++) {
		bool flat;
		uint32_t h = hash_row(src_px(s, x, y), w, &flat);

		/* Flat rows match everywhere; unchanged rows say nothing. */
		if (flat || (y >= y0 && y < y1 && sc->hash_old[y - y0] == h))
			continue;
		table_vote(sc, h, y, true);
	}
}

/* Hashes of the @w columns of a @h-row block, row by row (the inner loop
 * runs along a row: it vectorises and reads memory in order). */
static void hash_columns(struct scan *sc, const uint32_t *p, size_t stride,
			 int w, int h, uint32_t *hash, bool *flat)
{
	uint32_t *diff = sc->diff;

	for (int x = 0; x < w; x++) {
		hash[x] = 1;
		diff[x] = 0;
	}
	for (int y = 0; y < h; y++) {
		const uint32_t *row = p + (size_t)y * stride;

		for (int x = 0; x < w; x++) {
			hash[x] = rotl5(hash[x]) ^ row[x];
			diff[x] |= row[x] ^ p[x];
		}
	}
	for (int x = 0; x < w; x++) {
		flat[x] = diff[x] == 0;
		hash[x] *= SCROLL_MUL;
		hash[x] ^= hash[x] >> 15;
	}
}

/* Columns of the band [y, y + h) of @s against old columns [x0, x1). */
static void vote_columns(struct scan *sc, const struct fb_src *s, int y,
			 int h, int x0, int x1)
{
	const struct fb *fb = sc->fb;

	table_reset(sc, (size_t)(x1 - x0));
	hash_columns(sc, fb_px(fb, x0, y), fb->stride, x1 - x0, h,
		     sc->hash_old, sc->flat_old);
	for (int x = x0; x < x1; x++)
		if (!sc->flat_old[x - x0])
			table_add(sc, sc->hash_old[x - x0], x);
	hash_columns(sc, src_px(s, s->r.x, y), s->stride / 4, s->r.w, h,
		     sc->hash_new, sc->flat_new);
	for (int x = s->r.x; x < s->r.x + s->r.w; x++) {
		uint32_t hc = sc->hash_new[x - s->r.x];

		if (sc->flat_new[x - s->r.x] ||
		    (x >= x0 && x < x1 && sc->hash_old[x - x0] == hc))
			continue;
		table_vote(sc, hc, x, false);
	}
}

/* Changed tiles in the stripe [o, o + part) of rectangle @i (columns of
 * tiles for a vertical stripe, rows of tiles for a horizontal band). */
static unsigned stripe_changes(const struct scan *sc, unsigned i,
			       bool vertical, int o, int part)
{
	const struct fb_src *s = &sc->src[i];
	const uint8_t *tiles = sc->tiles + sc->tile_off[i];
	int tx = tiles_x(&s->r), ty = tiles_y(&s->r);
	int a = o / SCROLL_TILE, b = (o + part - 1) / SCROLL_TILE;
	int c0 = vertical ? a : 0, c1 = vertical ? b : tx - 1;
	int r0 = vertical ? 0 : a, r1 = vertical ? ty - 1 : b;
	unsigned n = 0;

	for (int r = r0; r <= r1; r++)
		for (int c = c0; c <= c1; c++)
			n += tiles[r * tx + c] != TILE_SAME;
	return n;
}

/*
 * Vote for scroll offsets, stripe by stripe. In the first round only the
 * stripe of each rectangle with the most changed tiles votes: one is
 * enough to find a scroll, and if it finds none, there is probably none.
 * The second round adds the other stripes (for the rest of a scroll, or
 * other scrolls beside it).
 */
static void vote_scrolls(struct scan *sc, bool vertical, bool first)
{
	for (unsigned i = 0; i < sc->n; i++) {
		const struct fb_src *s = &sc->src[i];
		int len = vertical ? s->r.w : s->r.h;
		int span = vertical ? s->r.h : s->r.w;
		/* The source of a scroll lies in the damaged viewport; the
		 * margin covers a copy reported apart from its new strip. */
		int reach = SCROLL_MARGIN, best_o = -1;
		unsigned best_n = 0;

		if (span < 2 || len < 8)
			continue;
		for (int pass = 0; pass < 2; pass++)
		for (int o = 0, part; o < len; o += part) {
			unsigned changes;

			part = len - o > SCROLL_STRIPE ? SCROLL_STRIPE
						       : len - o;
			/* A narrow last stripe joins the one before. */
			if (len - o - part < SCROLL_STRIPE / 4)
				part = len - o;
			changes = stripe_changes(sc, i, vertical, o, part);
			if (pass == 0) {
				/* find the busiest stripe */
				if (changes > best_n) {
					best_n = changes;
					best_o = o;
				}
				continue;
			}
			if (!changes || (first ? o != best_o : o == best_o))
				continue;
			if (vertical) {
				int y0 = s->r.y - reach, y1 = s->r.y + s->r.h +
							      reach;

				if (y0 < sc->box.y)
					y0 = sc->box.y;
				if (y1 > sc->box.y + sc->box.h)
					y1 = sc->box.y + sc->box.h;
				vote_rows(sc, s, s->r.x + o, part, y0, y1);
			} else {
				int x0 = s->r.x - reach, x1 = s->r.x + s->r.w +
							      reach;

				if (x0 < sc->box.x)
					x0 = sc->box.x;
				if (x1 > sc->box.x + sc->box.w)
					x1 = sc->box.x + sc->box.w;
				vote_columns(sc, s, s->r.y + o, part, x0, x1);
			}
		}
	}
}

/* ---- 3. other moves: features and a rolling hash -------------------------- */

static uint64_t run_hash(const uint32_t *p)
{
	uint64_t h = 0;

	for (int i = 0; i < SCROLL_RUN; i++)
		h = h * SCROLL_RUN_MUL + p[i];
	return h;
}

static bool run_flat(const uint32_t *p)
{
	for (int i = 1; i < SCROLL_RUN; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

/*
 * Sample runs of changed new pixels, spread over all the damage, in
 * groups of SCROLL_GROUP runs one above the other: whatever the vertical
 * offset, two runs of each group land on old rows that scan_old() looks
 * at, so it need only look at every SCROLL_SCAN_STEP-th row.
 */
static unsigned collect_features(struct scan *sc, struct feature *table)
{
	uint64_t places = 0;
	unsigned nf = 0;
	int step = 2 * SCROLL_GROUP;

	for (unsigned i = 0; i < sc->n; i++)
		places += (uint64_t)(sc->src[i].r.h / step + 1) *
			  (uint64_t)(sc->src[i].r.w / SCROLL_RUN);
	/* Many places are flat or unchanged: aim at a few times more. */
	while (places > 4 * SCROLL_MAX_FEATURES / SCROLL_GROUP && step < 1024) {
		step *= 2;
		places /= 2;
	}
	for (unsigned i = 0; i < sc->n && nf < SCROLL_MAX_FEATURES; i++) {
		const struct fb_src *s = &sc->src[i];

		if (s->r.w < SCROLL_RUN)
			continue;
		for (int y0 = s->r.y + (step / 2 - SCROLL_GROUP / 2) % s->r.h;
		     y0 < s->r.y + s->r.h && nf < SCROLL_MAX_FEATURES;
		     y0 += step) {
			for (int x = s->r.x; x + SCROLL_RUN <= s->r.x + s->r.w &&
			     nf < SCROLL_MAX_FEATURES; x += SCROLL_RUN) {
				for (int y = y0; y < y0 + SCROLL_GROUP &&
				     y < s->r.y + s->r.h; y++) {
					const uint32_t *p = src_px(s, x, y);
					uint64_t h;
					unsigned slot;

					if (run_flat(p) ||
					    memcmp(p, fb_px(sc->fb, x, y),
						   SCROLL_RUN * 4) == 0)
						continue;
					h = run_hash(p);
					slot = (unsigned)(h >> 20) &
					       (SCROLL_TABLE - 1);
					while (table[slot].used &&
					       table[slot].hash != h)
						slot = (slot + 1) &
						       (SCROLL_TABLE - 1);
					/* Equal runs add nothing new. */
					if (table[slot].used)
						continue;
					table[slot] = (struct feature){
						h, x, y, 0, true };
					if (++nf == SCROLL_MAX_FEATURES)
						break;
				}
			}
		}
	}
	return nf;
}

static void scan_old(struct scan *sc, struct feature *table)
{
	const struct rect *area = &sc->box;
	uint64_t pow = 1;
	int y = area->y;

	if (area->w < SCROLL_RUN)
		return;
	for (int i = 0; i < SCROLL_RUN - 1; i++)
		pow *= SCROLL_RUN_MUL;
	for (; y < area->y + area->h; y += SCROLL_SCAN_STEP) {
		const uint32_t *row = fb_px(sc->fb, 0, y);
		uint64_t h = run_hash(row + area->x);

		for (int x = area->x;; x++) {
			unsigned slot = (unsigned)(h >> 20) & (SCROLL_TABLE - 1);

			while (table[slot].used) {
				struct feature *f = &table[slot];

				/* A run found in many places says little:
				 * past a few hits it votes no more. */
				if (f->hash == h && f->hits < SCROLL_FEATURE_HITS &&
				    (f->x != x || f->y != y)) {
					f->hits++;
					vote(sc, f->x - x, f->y - y, 1);
				}
				slot = (slot + 1) & (SCROLL_TABLE - 1);
			}
			if (x + SCROLL_RUN >= area->x + area->w)
				break;
			h = (h - row[x] * pow) * SCROLL_RUN_MUL +
			    row[x + SCROLL_RUN];
		}
	}
}

static void vote_moves(struct scan *sc)
{
	struct feature *table = calloc(SCROLL_TABLE, sizeof(*table));

	if (!table)
		return;
	if (collect_features(sc, table) >= 2)
		scan_old(sc, table);
	free(table);
}

/* ---- 4. verification -------------------------------------------------------- */

static bool source_inside(const struct fb *fb, const struct rect *t, int dx,
			  int dy)
{
	return t->x - dx >= 0 && t->y - dy >= 0 &&
	       t->x - dx + t->w <= fb->width && t->y - dy + t->h <= fb->height;
}

/* Mark the changed tiles equal to the old framebuffer at (-dx, -dy) as
 * moved (and all others as merely changed); returns their area. */
static uint64_t verify(struct scan *sc, int dx, int dy)
{
	uint64_t area = 0;

	for (unsigned i = 0; i < sc->n; i++) {
		const struct fb_src *s = &sc->src[i];
		int tx = tiles_x(&s->r);
		uint8_t *row = sc->tiles + sc->tile_off[i];

		/* A row of tiles at a time, pixel row by pixel row across
		 * all its tiles: memory is read in order, which the caches
		 * prefer to 16 short reads far apart per tile. */
		for (int r = 0; r < tiles_y(&s->r); r++, row += tx) {
			struct rect t = tile_rect(s, 0, r);
			int live = 0;

			for (int c = 0; c < tx; c++) {
				struct rect tc = tile_rect(s, c, r);

				if (row[c] == TILE_SAME)
					continue;
				row[c] = source_inside(sc->fb, &tc, dx, dy)
						 ? TILE_MOVED : TILE_CHANGED;
				live += row[c] == TILE_MOVED;
			}
			for (int y = t.y; y < t.y + t.h && live; y++) {
				const uint32_t *p = src_px(s, s->r.x, y);

				for (int c = 0; c < tx; c++) {
					int x = c * SCROLL_TILE;
					int w = s->r.w - x < SCROLL_TILE
							? s->r.w - x : SCROLL_TILE;

					/* only moved tiles have their source
					 * inside the framebuffer */
					if (row[c] != TILE_MOVED ||
					    run_equal(p + x,
						      fb_px(sc->fb,
							    s->r.x + x - dx,
							    y - dy),
						      w))
						continue;
					row[c] = TILE_CHANGED;
					live--;
				}
			}
			for (int c = 0; c < tx; c++)
				if (row[c] == TILE_MOVED) {
					struct rect tc = tile_rect(s, c, r);

					area += (uint64_t)tc.w * (unsigned)tc.h;
				}
		}
	}
	return area;
}

static bool tile_is(const struct scan *sc, unsigned i, int c, int r,
		    enum tile_state st)
{
	const struct fb_src *s = &sc->src[i];

	if (c < 0 || r < 0 || c >= tiles_x(&s->r) || r >= tiles_y(&s->r))
		return false;
	return sc->tiles[sc->tile_off[i] + (size_t)r * tiles_x(&s->r) + c] ==
	       st;
}

enum edge { EDGE_TOP, EDGE_BOTTOM, EDGE_LEFT, EDGE_RIGHT };

/*
 * How many rows (from the top or bottom) or columns (from the left or
 * right) of a tile equal the old pixels at the offset, all the way
 * across: where a moved block ends inside a tile.
 */
static int edge_run(const struct fb *fb, const struct fb_src *s,
		    const struct rect *t, int dx, int dy, enum edge e)
{
	struct rect src = { t->x - dx, t->y - dy, t->w, t->h };
	int n = 0;

	/* The source must reach the edge and run across the tile. */
	if (!fb_clip(fb, &src))
		return 0;
	switch (e) {
	case EDGE_TOP:
	case EDGE_BOTTOM:
		if (src.w != t->w ||
		    (e == EDGE_TOP ? src.y != t->y - dy
				   : src.y + src.h != t->y - dy + t->h))
			return 0;
		for (; n < src.h; n++) {
			int y = e == EDGE_TOP ? src.y + n
					      : src.y + src.h - 1 - n;

			if (!run_equal(src_px(s, t->x, y + dy),
				       fb_px(fb, src.x, y), t->w))
				break;
		}
		return n;
	case EDGE_LEFT:
	case EDGE_RIGHT:
	default:
		if (src.h != t->h ||
		    (e == EDGE_LEFT ? src.x != t->x - dx
				    : src.x + src.w != t->x - dx + t->w))
			return 0;
		n = src.w;
		for (int y = 0; y < t->h && n > 0; y++) {
			const uint32_t *p = src_px(s, t->x, t->y + y);
			const uint32_t *q = fb_px(fb, t->x - dx, t->y + y - dy);
			int k = 0;

			if (e == EDGE_LEFT)
				while (k < n && p[k] == q[k])
					k++;
			else
				while (k < n &&
				       p[t->w - 1 - k] == q[t->w - 1 - k])
					k++;
			n = k;
		}
		return n;
	}
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return x < y ? -1 : x > y;
}

/*
 * Failed tiles next to moved ones: the moved block ends inside them.
 * Along each row of tiles, the failed tiles below (or above) moved ones
 * count the rows at their top (or bottom) that match. One depth serves
 * the whole row of tiles, the median of the counts: tiles that match at
 * least that deep add that many rows, as one rectangle per run of them,
 * so the edge of the block (and of the pixels sent beside it) stays
 * straight, not cut into steps; tiles that matched deeper by chance
 * (blank rows of new text) lose little. Columns of tiles likewise for
 * blocks that end left or right.
 */
static void refine_edges(struct scan *sc, unsigned i, int dx, int dy,
			 enum edge e, region_t *dst)
{
	const struct fb_src *s = &sc->src[i];
	bool rows = e == EDGE_TOP || e == EDGE_BOTTOM;
	int lines = rows ? tiles_y(&s->r) : tiles_x(&s->r);
	int along = rows ? tiles_x(&s->r) : tiles_y(&s->r);
	int nc = e == EDGE_LEFT ? -1 : e == EDGE_RIGHT ? 1 : 0;
	int nr = e == EDGE_TOP ? -1 : e == EDGE_BOTTOM ? 1 : 0;
	int *v = malloc(2 * (size_t)along * sizeof(*v)), *sorted = v + along;

	if (!v)
		return;
	for (int l = 0; l < lines; l++) {
		int n = 0, depth, start = -1;
		bool refined = false;

		for (int k = 0; k < along; k++) {
			int c = rows ? k : l, r = rows ? l : k;

			v[k] = 0;
			if (tile_is(sc, i, c, r, TILE_CHANGED) &&
			    tile_is(sc, i, c + nc, r + nr, TILE_MOVED)) {
				struct rect t = tile_rect(s, c, r);

				v[k] = edge_run(sc->fb, s, &t, dx, dy, e);
				if (v[k] < SCROLL_MIN_EDGE)
					v[k] = 0;
				else
					sorted[n++] = v[k];
			} else if (tile_is(sc, i, c, r, TILE_FILL)) {
				/* Already in whole: it neither ends nor
				 * narrows a run. */
				v[k] = -1;
			}
		}
		if (!n)
			continue;
		qsort(sorted, (size_t)n, sizeof(*sorted), cmp_int);
		depth = sorted[(n - 1) / 2];
		for (int k = 0; k <= along; k++) {
			struct rect a, t;

			if (k < along && (v[k] >= depth || v[k] < 0)) {
				if (start < 0)
					start = k;
				refined |= v[k] >= depth;
				continue;
			}
			if (start < 0 || !refined) {
				start = -1;
				continue;
			}
			/* the run of tiles [start, k) */
			a = tile_rect(s, rows ? start : l, rows ? l : start);
			t = tile_rect(s, rows ? k - 1 : l, rows ? l : k - 1);
			if (rows)
				a.w = t.x + t.w - a.x;
			else
				a.h = t.y + t.h - a.y;
			if (e == EDGE_BOTTOM)
				a.y += a.h - depth;
			if (e == EDGE_RIGHT)
				a.x += a.w - depth;
			if (rows)
				a.h = depth;
			else
				a.w = depth;
			pixman_region32_union_rect(dst, dst, a.x, a.y,
						   (unsigned)a.w,
						   (unsigned)a.h);
			start = -1;
			refined = false;
		}
	}
	free(v);
}

/*
 * Unchanged tiles that equal their source too (blank space between moved
 * lines) and touch the moved block, directly or through each other, join
 * it: fewer, larger CopyRects. Islands of them elsewhere (blank space in
 * new content) stay out, or they would scatter small CopyRects around.
 */
static void fill_holes(struct scan *sc, unsigned i, int dx, int dy)
{
	const struct fb_src *s = &sc->src[i];
	int tx = tiles_x(&s->r), ty = tiles_y(&s->r);
	uint8_t *tiles = sc->tiles + sc->tile_off[i];
	int *stack = malloc((size_t)tx * ty * sizeof(*stack));
	int n = 0;

	if (!stack)
		return;
	for (int k = 0; k < tx * ty; k++)
		if (tiles[k] == TILE_MOVED)
			stack[n++] = k;
	while (n > 0) {
		int k = stack[--n], c = k % tx, r = k / tx;
		static const int dc[4] = { -1, 1, 0, 0 }, dr[4] = { 0, 0, -1, 1 };

		for (int d = 0; d < 4; d++) {
			int c2 = c + dc[d], r2 = r + dr[d], k2 = r2 * tx + c2;
			struct rect t;

			if (c2 < 0 || r2 < 0 || c2 >= tx || r2 >= ty ||
			    tiles[k2] != TILE_SAME)
				continue;
			t = tile_rect(s, c2, r2);
			if (!source_inside(sc->fb, &t, dx, dy) ||
			    !rows_equal(sc->fb, s, &t, dx, dy)) {
				/* compared once, not again from its
				 * other neighbours */
				tiles[k2] = TILE_TRIED;
				continue;
			}
			tiles[k2] = TILE_FILL;
			stack[n++] = k2;
		}
	}
	for (int k = 0; k < tx * ty; k++)
		if (tiles[k] == TILE_TRIED)
			tiles[k] = TILE_SAME;
	free(stack);
}

/* The destination region of the verified offset, with refined edges. */
static void collect(struct scan *sc, int dx, int dy, region_t *dst)
{
	for (unsigned i = 0; i < sc->n; i++) {
		const struct fb_src *s = &sc->src[i];

		fill_holes(sc, i, dx, dy);
		for (int r = 0; r < tiles_y(&s->r); r++)
			for (int c = 0; c < tiles_x(&s->r); c++) {
				struct rect t = tile_rect(s, c, r);

				if (tile_is(sc, i, c, r, TILE_MOVED) ||
				    tile_is(sc, i, c, r, TILE_FILL))
					pixman_region32_union_rect(dst, dst,
						t.x, t.y, (unsigned)t.w,
						(unsigned)t.h);
			}
		for (enum edge e = EDGE_TOP; e <= EDGE_RIGHT; e++)
			refine_edges(sc, i, dx, dy, e, dst);
	}
}

/* Verify the best candidates in the vote table; keep the best, and its
 * tile states in sc->best_tiles. */
static void try_candidates(struct scan *sc, uint64_t *best, int *bdx,
			   int *bdy)
{
	for (int k = 0; k < SCROLL_CANDIDATES; k++) {
		uint64_t got;
		int dx, dy;

		/* A move that explains half of the change or more wins:
		 * another could only beat it on tiles that match both. */
		if (*best * 2 >= sc->changed)
			break;
		if (!best_vote(sc, 2, &dx, &dy))
			break;
		if (dx == *bdx && dy == *bdy)
			continue;
		got = verify(sc, dx, dy);
		if (got > *best) {
			*best = got;
			*bdx = dx;
			*bdy = dy;
			memcpy(sc->best_tiles, sc->tiles, sc->ntiles);
		}
	}
}

static int scan_init(struct scan *sc, const struct fb *fb,
		     const struct fb_src *src, unsigned n)
{
	int x1 = src[0].r.x, y1 = src[0].r.y;
	int x2 = x1 + src[0].r.w, y2 = y1 + src[0].r.h;
	size_t ntiles = 0, lines;

	memset(sc, 0, sizeof(*sc));
	sc->fb = fb;
	sc->src = src;
	sc->n = n;
	sc->tile_off = malloc(n * sizeof(*sc->tile_off));
	if (!sc->tile_off)
		return -1;
	for (unsigned i = 0; i < n; i++) {
		if (src[i].r.x < x1)
			x1 = src[i].r.x;
		if (src[i].r.y < y1)
			y1 = src[i].r.y;
		if (src[i].r.x + src[i].r.w > x2)
			x2 = src[i].r.x + src[i].r.w;
		if (src[i].r.y + src[i].r.h > y2)
			y2 = src[i].r.y + src[i].r.h;
		sc->tile_off[i] = ntiles;
		ntiles += (size_t)tiles_x(&src[i].r) * tiles_y(&src[i].r);
	}
	sc->box = (struct rect){ x1 - SCROLL_MARGIN, y1 - SCROLL_MARGIN,
				 x2 - x1 + 2 * SCROLL_MARGIN,
				 y2 - y1 + 2 * SCROLL_MARGIN };
	fb_clip(fb, &sc->box);
	lines = (size_t)(fb->width > fb->height ? fb->width : fb->height);
	sc->ntiles = ntiles;
	sc->tiles = malloc(ntiles ? ntiles : 1);
	sc->best_tiles = malloc(ntiles ? ntiles : 1);
	sc->hash_old = malloc(lines * sizeof(*sc->hash_old));
	sc->hash_new = malloc(lines * sizeof(*sc->hash_new));
	sc->diff = malloc(lines * sizeof(*sc->diff));
	sc->flat_new = malloc(lines * sizeof(*sc->flat_new));
	sc->flat_old = malloc(lines * sizeof(*sc->flat_old));
	sc->table = malloc(lines * 4 * sizeof(*sc->table) + 16 *
			   sizeof(*sc->table));
	if (!sc->tiles || !sc->best_tiles || !sc->hash_old || !sc->hash_new || !sc->diff ||
	    !sc->flat_old || !sc->flat_new || !sc->table)
		return -1;
	return 0;
}

static void scan_fini(struct scan *sc)
{
	free(sc->tile_off);
	free(sc->tiles);
	free(sc->best_tiles);
	free(sc->hash_old);
	free(sc->hash_new);
	free(sc->diff);
	free(sc->flat_new);
	free(sc->flat_old);
	free(sc->table);
}

bool fb_scroll_detect(const struct fb *fb, const struct fb_src *src,
		      unsigned n, int *dx, int *dy, region_t *dst)
{
	struct scan sc;
	uint64_t total = 0, best = 0;
	int bdx = 0, bdy = 0;
	bool found = false;

	if (!n)
		return false;
	for (unsigned i = 0; i < n; i++)
		total += (uint64_t)src[i].r.w * (unsigned)src[i].r.h;
	if (total < SCROLL_MIN_AREA)
		return false;
	if (scan_init(&sc, fb, src, n) < 0)
		goto out;
	find_changes(&sc);
	if (sc.changed < SCROLL_MIN_AREA / 4)
		goto out;

	/* Vertical scrolls first, the most common; horizontal ones when
	 * they explain less than half the change; a dragged window when
	 * neither explains a quarter. Each direction asks its busiest
	 * stripes first and the others only if that found a move. */
	for (int dir = 0; dir < 2 && best * 2 < sc.changed; dir++) {
		uint64_t before = best;

		memset(sc.votes, 0, sizeof(sc.votes));
		vote_scrolls(&sc, dir == 0, true);
		try_candidates(&sc, &best, &bdx, &bdy);
		if (best > before && best * 2 < sc.changed) {
			memset(sc.votes, 0, sizeof(sc.votes));
			vote_scrolls(&sc, dir == 0, false);
			try_candidates(&sc, &best, &bdx, &bdy);
		}
	}
	if (best * 4 < sc.changed) {
		memset(sc.votes, 0, sizeof(sc.votes));
		vote_moves(&sc);
		try_candidates(&sc, &best, &bdx, &bdy);
	}
	if (best < 2 * SCROLL_TILE * SCROLL_TILE)
		goto out;
	memcpy(sc.tiles, sc.best_tiles, sc.ntiles);
	collect(&sc, bdx, bdy, dst);
	*dx = bdx;
	*dy = bdy;
	found = true;
out:
	scan_fini(&sc);
	return found;
}
