/* SPDX-License-Identifier: MIT */
/*
 * Which parts of the framebuffer move, for lossy encodings (motion.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "motion.h"

void motion_init(struct motion *m, unsigned delay_ms)
{
	memset(m, 0, sizeof(*m));
	m->delay_ms = delay_ms;
}

void motion_fini(struct motion *m)
{
	free(m->tiles);
	m->tiles = NULL;
	m->cols = m->rows = 0;
}

void motion_reset(struct motion *m)
{
	motion_fini(m);
}

/* The grid for a @width x @height framebuffer; false without memory
 * (then nothing is moving and nothing lossy is refreshed late). */
static bool motion_grid(struct motion *m, int width, int height)
{
	int cols = (width + MOTION_TILE - 1) / MOTION_TILE;
	int rows = (height + MOTION_TILE - 1) / MOTION_TILE;

	if (m->tiles && cols == m->cols && rows == m->rows)
		return true;
	free(m->tiles);
	m->cols = m->rows = 0;
	m->tiles = calloc((size_t)cols * (size_t)rows, sizeof(*m->tiles));
	if (!m->tiles)
		return false;
	m->cols = cols;
	m->rows = rows;
	return true;
}

/* The tiles box @b meets, clipped to the grid: columns [*c0, *c1), rows
 * [*r0, *r1). */
static void tile_span(const struct motion *m, const pixman_box32_t *b,
		      int *c0, int *c1, int *r0, int *r1)
{
	*c0 = b->x1 < 0 ? 0 : b->x1 / MOTION_TILE;
	*r0 = b->y1 < 0 ? 0 : b->y1 / MOTION_TILE;
	*c1 = (b->x2 + MOTION_TILE - 1) / MOTION_TILE;
	*r1 = (b->y2 + MOTION_TILE - 1) / MOTION_TILE;
	if (*c1 > m->cols)
		*c1 = m->cols;
	if (*r1 > m->rows)
		*r1 = m->rows;
}

/* Call @fn(m, tile, arg) for each tile that @reg meets (a tile met by
 * several boxes is called once for each). */
static void each_tile(const struct motion *m, const region_t *reg,
		      void (*fn)(const struct motion *, struct motion_tile *,
				 void *),
		      void *arg)
{
	const pixman_box32_t *b;
	int n;

	b = pixman_region32_rectangles((region_t *)reg, &n);
	for (int i = 0; i < n; i++) {
		int c0, c1, r0, r1;

		tile_span(m, &b[i], &c0, &c1, &r0, &r1);
		for (int r = r0; r < r1; r++)
			for (int c = c0; c < c1; c++)
				fn(m, &m->tiles[(size_t)r * m->cols + c], arg);
	}
}

static void on_tile_changed(const struct motion *m, struct motion_tile *t,
			    void *arg)
{
	uint64_t now_ms = *(const uint64_t *)arg;

	/* One frame's boxes count once. */
	if (t->frames && t->last_ms == now_ms)
		return;
	if (t->frames && now_ms - t->last_ms < m->delay_ms)
		t->frames += t->frames < UINT8_MAX;
	else
		t->frames = 1;
	t->last_ms = now_ms;
}

void motion_damage(struct motion *m, const region_t *changed, int width,
		   int height, uint64_t now_ms)
{
	if (!m->delay_ms || !motion_grid(m, width, height))
		return;
	each_tile(m, changed, on_tile_changed, &now_ms);
}

static bool is_moving(const struct motion *m, const struct motion_tile *t,
		      uint64_t now_ms)
{
	return t->frames >= MOTION_MIN_FRAMES &&
	       now_ms - t->last_ms < m->delay_ms;
}

/* Add tile (@c, @r) .. (@c_end, @r) to @boxes as one box. */
static void add_run(pixman_box32_t *boxes, int *n, int c, int c_end, int r)
{
	boxes[*n].x1 = c * MOTION_TILE;
	boxes[*n].x2 = c_end * MOTION_TILE;
	boxes[*n].y1 = r * MOTION_TILE;
	boxes[*n].y2 = (r + 1) * MOTION_TILE;
	(*n)++;
}

/* The tiles of @area whose test @pick(m, tile, now) holds, as a region
 * in @out, runs of a row joined; false without memory. */
static bool pick_tiles(const struct motion *m, const region_t *area,
		       uint64_t now_ms,
		       bool (*pick)(const struct motion *,
				    const struct motion_tile *, uint64_t),
		       region_t *out)
{
	const pixman_box32_t *ext = pixman_region32_extents((region_t *)area);
	int c0, c1, r0, r1, n = 0;
	pixman_box32_t *boxes;

	tile_span(m, ext, &c0, &c1, &r0, &r1);
	pixman_region32_clear(out);
	if (c1 <= c0 || r1 <= r0)
		return true;
	boxes = malloc((size_t)(c1 - c0) * (size_t)(r1 - r0) *
		       sizeof(*boxes));
	if (!boxes)
		return false;
	for (int r = r0; r < r1; r++) {
		int run = -1;

		for (int c = c0; c < c1; c++) {
			bool p = pick(m, &m->tiles[(size_t)r * m->cols + c],
				      now_ms);

			if (p && run < 0)
				run = c;
			else if (!p && run >= 0) {
				add_run(boxes, &n, run, c, r);
				run = -1;
			}
		}
		if (run >= 0)
			add_run(boxes, &n, run, c1, r);
	}
	pixman_region32_fini(out);
	pixman_region32_init_rects(out, boxes, n);
	free(boxes);
	pixman_region32_intersect(out, out, (region_t *)area);
	return true;
}

void motion_moving(const struct motion *m, const region_t *area,
		   uint64_t now_ms, region_t *out)
{
	if (!m->delay_ms) {
		pixman_region32_copy(out, (region_t *)area);
		return;
	}
	if (!m->tiles || !pick_tiles(m, area, now_ms, is_moving, out))
		pixman_region32_clear(out);
}

static bool is_still(const struct motion *m, const struct motion_tile *t,
		     uint64_t now_ms)
{
	return now_ms - t->last_ms >= m->delay_ms;
}

struct next_due {
	uint64_t now_ms, next_ms;
};

static void on_tile_held(const struct motion *m, struct motion_tile *t, void *arg)
{
	struct next_due *nd = arg;
	uint64_t at = t->last_ms + m->delay_ms;

	if (!is_still(m, t, nd->now_ms) && (!nd->next_ms || at < nd->next_ms))
		nd->next_ms = at;
}

uint64_t motion_still(const struct motion *m, const region_t *held,
		      uint64_t now_ms, region_t *due)
{
	struct next_due nd = { now_ms, 0 };

	/* Without a grid nothing changed since it was lost: all is due. */
	if (!m->tiles || !pick_tiles(m, held, now_ms, is_still, due)) {
		pixman_region32_copy(due, (region_t *)held);
		return 0;
	}
	each_tile(m, held, on_tile_held, &nd);
	return nd.next_ms;
}

void motion_held_copy(region_t *held, const region_t *dst, int dx, int dy)
{
	region_t moved;

	pixman_region32_init(&moved);
	pixman_region32_copy(&moved, held);
	pixman_region32_translate(&moved, dx, dy);
	pixman_region32_intersect(&moved, &moved, (region_t *)dst);
	pixman_region32_subtract(held, held, (region_t *)dst);
	pixman_region32_union(held, held, &moved);
	pixman_region32_fini(&moved);
}

void motion_held_sent(region_t *held, const region_t *exact,
		      const region_t *lossy)
{
	pixman_region32_subtract(held, held, (region_t *)exact);
	pixman_region32_union(held, held, (region_t *)lossy);
}
