/* SPDX-License-Identifier: MIT */
/*
 * Move detection against the framebuffer.
 *
 * 1. Features: short runs of changed new pixels (32 wide, not flat) are
 *    sampled across the new rectangles and hashed.
 * 2. Candidates: every 32-pixel window of the old framebuffer around the
 *    rectangles is hashed with a rolling hash and looked up among the
 *    features; each hit votes for the offset between the two places.
 * 3. Verification: for the best offsets, each 16x16 tile of new content
 *    is compared with the old framebuffer at the offset, exactly. Tiles
 *    that match (and changed) form the destination of the move.
 * Hashes only propose; memcmp decides, so a CopyRect is never wrong.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fb-scroll.h"

#define SCROLL_RUN 32		/* pixels per feature / window */
#define SCROLL_ROW_STEP 8	/* sample every 8th row for features */
#define SCROLL_MAX_FEATURES 192
#define SCROLL_TABLE 1024	/* feature hash table slots (power of 2) */
#define SCROLL_VOTES 256	/* offset vote slots (power of 2) */
#define SCROLL_SEARCH 768	/* how far from the rectangles to look */
#define SCROLL_TILE 16
#define SCROLL_MIN_AREA (64 * 64)	/* smaller changes are not worth it */
#define SCROLL_CANDIDATES 3
#define SCROLL_MUL 0x100000001b3ull	/* FNV prime as the hash base */

struct feature {
	uint64_t hash;
	int x, y;
	bool used;
};

struct vote {
	int dx, dy;
	unsigned count;
	bool used;
};

static uint64_t run_hash(const uint32_t *p)
{
	uint64_t h = 0;

	for (int i = 0; i < SCROLL_RUN; i++)
		h = h * SCROLL_MUL + p[i];
	return h;
}

static bool run_flat(const uint32_t *p)
{
	for (int i = 1; i < SCROLL_RUN; i++)
		if (p[i] != p[0])
			return false;
	return true;
}

static const uint32_t *src_px(const struct fb_src *s, int x, int y)
{
	return (const uint32_t *)(s->pixels + (size_t)(y - s->r.y) * s->stride) +
	       (x - s->r.x);
}

static const uint32_t *fb_px(const struct fb *fb, int x, int y)
{
	return fb->pixels + (size_t)y * fb->stride + x;
}

static unsigned collect_features(const struct fb *fb, const struct fb_src *src,
				 unsigned n, struct feature *table)
{
	unsigned nf = 0;

	for (unsigned i = 0; i < n && nf < SCROLL_MAX_FEATURES; i++) {
		const struct fb_src *s = &src[i];

		if (s->r.w < SCROLL_RUN)
			continue;
		for (int y = s->r.y + SCROLL_ROW_STEP / 2; y < s->r.y + s->r.h &&
		     nf < SCROLL_MAX_FEATURES; y += SCROLL_ROW_STEP) {
			for (int x = s->r.x; x + SCROLL_RUN <= s->r.x + s->r.w &&
			     nf < SCROLL_MAX_FEATURES; x += SCROLL_RUN) {
				const uint32_t *p = src_px(s, x, y);
				uint64_t h;
				unsigned slot;

				if (run_flat(p) ||
				    memcmp(p, fb_px(fb, x, y), SCROLL_RUN * 4) == 0)
					continue;
				h = run_hash(p);
				slot = (unsigned)(h >> 20) & (SCROLL_TABLE - 1);
				while (table[slot].used && table[slot].hash != h)
					slot = (slot + 1) & (SCROLL_TABLE - 1);
				/* Equal runs elsewhere add nothing new. */
				if (table[slot].used)
					continue;
				table[slot] = (struct feature){ h, x, y, true };
				nf++;
			}
		}
	}
	return nf;
}

static void vote(struct vote *votes, int dx, int dy)
{
	unsigned slot = ((unsigned)dx * 73856093u ^ (unsigned)dy * 19349663u) &
			(SCROLL_VOTES - 1);

	for (unsigned probe = 0; probe < SCROLL_VOTES; probe++) {
		struct vote *v = &votes[(slot + probe) & (SCROLL_VOTES - 1)];

		if (!v->used) {
			*v = (struct vote){ dx, dy, 1, true };
			return;
		}
		if (v->dx == dx && v->dy == dy) {
			v->count++;
			return;
		}
	}
}

static void scan_old(const struct fb *fb, const struct rect *area,
		     const struct feature *table, struct vote *votes)
{
	uint64_t pow = 1;

	for (int i = 0; i < SCROLL_RUN - 1; i++)
		pow *= SCROLL_MUL;
	for (int y = area->y; y < area->y + area->h; y++) {
		const uint32_t *row = fb_px(fb, 0, y);
		uint64_t h;

		if (area->w < SCROLL_RUN)
			return;
		h = run_hash(row + area->x);
		for (int x = area->x;; x++) {
			unsigned slot = (unsigned)(h >> 20) & (SCROLL_TABLE - 1);

			while (table[slot].used) {
				if (table[slot].hash == h &&
				    (table[slot].x != x || table[slot].y != y))
					vote(votes, table[slot].x - x,
					     table[slot].y - y);
				slot = (slot + 1) & (SCROLL_TABLE - 1);
			}
			if (x + SCROLL_RUN >= area->x + area->w)
				break;
			h = (h - row[x] * pow) * SCROLL_MUL + row[x + SCROLL_RUN];
		}
	}
}

/* Tiles of the new content equal to the old framebuffer at (-dx, -dy). */
static uint64_t verify(const struct fb *fb, const struct fb_src *src,
		       unsigned n, int dx, int dy, region_t *dst)
{
	uint64_t area = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct fb_src *s = &src[i];

		for (int ty = s->r.y; ty < s->r.y + s->r.h; ty += SCROLL_TILE) {
			int th = s->r.y + s->r.h - ty < SCROLL_TILE
					 ? s->r.y + s->r.h - ty : SCROLL_TILE;

			if (ty - dy < 0 || ty - dy + th > fb->height)
				continue;
			for (int tx = s->r.x; tx < s->r.x + s->r.w;
			     tx += SCROLL_TILE) {
				int tw = s->r.x + s->r.w - tx < SCROLL_TILE
						 ? s->r.x + s->r.w - tx
						 : SCROLL_TILE;
				bool same = true, moved = true;

				if (tx - dx < 0 || tx - dx + tw > fb->width)
					continue;
				for (int y = ty; y < ty + th && moved; y++) {
					const uint32_t *p = src_px(s, tx, y);

					moved = memcmp(p, fb_px(fb, tx - dx, y - dy),
						       (size_t)tw * 4) == 0;
					if (same)
						same = memcmp(p, fb_px(fb, tx, y),
							      (size_t)tw * 4) == 0;
				}
				if (!moved || same)
					continue;
				pixman_region32_union_rect(dst, dst, tx, ty,
							   (unsigned)tw,
							   (unsigned)th);
				area += (uint64_t)tw * (unsigned)th;
			}
		}
	}
	return area;
}

bool fb_scroll_detect(const struct fb *fb, const struct fb_src *src,
		      unsigned n, int *dx, int *dy, region_t *dst)
{
	struct feature *table;
	struct vote *votes;
	struct rect area;
	uint64_t total = 0, best_area = 0;
	int x1, y1, x2, y2;
	bool found = false;

	if (!n)
		return false;
	x1 = src[0].r.x;
	y1 = src[0].r.y;
	x2 = x1 + src[0].r.w;
	y2 = y1 + src[0].r.h;
	for (unsigned i = 0; i < n; i++) {
		total += (uint64_t)src[i].r.w * (unsigned)src[i].r.h;
		if (src[i].r.x < x1)
			x1 = src[i].r.x;
		if (src[i].r.y < y1)
			y1 = src[i].r.y;
		if (src[i].r.x + src[i].r.w > x2)
			x2 = src[i].r.x + src[i].r.w;
		if (src[i].r.y + src[i].r.h > y2)
			y2 = src[i].r.y + src[i].r.h;
	}
	if (total < SCROLL_MIN_AREA)
		return false;

	table = calloc(SCROLL_TABLE, sizeof(*table));
	votes = calloc(SCROLL_VOTES, sizeof(*votes));
	if (!table || !votes)
		goto out;
	if (collect_features(fb, src, n, table) < 2)
		goto out;
	area = (struct rect){ x1 - SCROLL_SEARCH, y1 - SCROLL_SEARCH,
			      x2 - x1 + 2 * SCROLL_SEARCH,
			      y2 - y1 + 2 * SCROLL_SEARCH };
	if (!fb_clip(fb, &area))
		goto out;
	scan_old(fb, &area, table, votes);

	/* Verify the few offsets with the most votes; keep the best. */
	for (int k = 0; k < SCROLL_CANDIDATES; k++) {
		struct vote *top = NULL;
		region_t tiles;
		uint64_t got;

		for (int i = 0; i < SCROLL_VOTES; i++)
			if (votes[i].used && votes[i].count >= 2 &&
			    (!top || votes[i].count > top->count))
				top = &votes[i];
		if (!top)
			break;
		top->used = false;
		pixman_region32_init(&tiles);
		got = verify(fb, src, n, top->dx, top->dy, &tiles);
		if (got > best_area && got >= 2 * SCROLL_TILE * SCROLL_TILE) {
			best_area = got;
			*dx = top->dx;
			*dy = top->dy;
			pixman_region32_copy(dst, &tiles);
			found = true;
		}
		pixman_region32_fini(&tiles);
	}
out:
	free(table);
	free(votes);
	return found;
}
