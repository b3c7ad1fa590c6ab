/* SPDX-License-Identifier: MIT */
/*
 * fb-scroll: move detection on synthetic desktops (scroll-scenes.c).
 * Whatever it reports must be right pixel for pixel: every destination
 * pixel equals the old framebuffer at the offset, and lies inside the new
 * rectangles. And it must find the moves that are there: for each kind of
 * scene, the changed pixels it covers are compared with those the true
 * move covers, over many seeds.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "fb-scroll.h"
#include "scroll-scenes.h"
#include "unit.h"

#define SEEDS 12

struct outcome {
	bool found;
	int dx, dy;
	uint64_t ideal;		/* changed pixels the true move covers */
	uint64_t got;		/* changed pixels the reported move covers */
	uint64_t unchanged;	/* reported pixels that did not change */
};

static uint32_t at(const uint32_t *p, int w, int x, int y)
{
	return p[(size_t)y * w + x];
}

static void run_scene(struct scene *sc, struct outcome *out)
{
	struct fb fb;
	struct fb_src src[SCENE_MAX_DAMAGE];
	region_t dst, damage;
	pixman_box32_t *b;
	int n;

	memset(out, 0, sizeof(*out));
	ck_assert_int_eq(fb_init(&fb, sc->w, sc->h), 0);
	memcpy(fb.pixels, sc->old, (size_t)sc->w * sc->h * 4);
	pixman_region32_init(&dst);
	pixman_region32_init(&damage);
	for (unsigned i = 0; i < sc->ndamage; i++) {
		src[i].r = sc->damage[i];
		src[i].stride = (size_t)sc->w * 4;
		src[i].pixels = (const uint8_t *)(sc->cur +
			(size_t)src[i].r.y * sc->w + src[i].r.x);
		pixman_region32_union_rect(&damage, &damage, src[i].r.x,
					   src[i].r.y, (unsigned)src[i].r.w,
					   (unsigned)src[i].r.h);
	}
	out->found = fb_scroll_detect(&fb, src, sc->ndamage, &out->dx,
				      &out->dy, &dst);
	/* The framebuffer is only read. */
	ck_assert(memcmp(fb.pixels, sc->old, (size_t)sc->w * sc->h * 4) == 0);
	if (!out->found)
		ck_assert(!pixman_region32_not_empty(&dst));

	b = pixman_region32_rectangles(&dst, &n);
	for (int i = 0; i < n; i++) {
		ck_assert_msg(pixman_region32_contains_rectangle(&damage,
				&b[i]) == PIXMAN_REGION_IN,
			      "%s: destination outside the new pixels",
			      sc->name);
		for (int y = b[i].y1; y < b[i].y2; y++)
			for (int x = b[i].x1; x < b[i].x2; x++) {
				int sx = x - out->dx, sy = y - out->dy;
				uint32_t v = at(sc->cur, sc->w, x, y);

				ck_assert_msg(sx >= 0 && sy >= 0 &&
					      sx < sc->w && sy < sc->h,
					      "%s: source outside", sc->name);
				ck_assert_msg(v == at(sc->old, sc->w, sx, sy),
					      "%s: wrong move by %d,%d at "
					      "%d,%d", sc->name, out->dx,
					      out->dy, x, y);
				if (v != at(sc->old, sc->w, x, y))
					out->got++;
				else
					out->unchanged++;
			}
	}
	if (sc->has_move) {
		const struct rect *m = &sc->moved;

		for (int y = m->y; y < m->y + m->h; y++)
			for (int x = m->x; x < m->x + m->w; x++) {
				int sx = x - sc->dx, sy = y - sc->dy;
				uint32_t v;

				if (x < 0 || y < 0 || x >= sc->w ||
				    y >= sc->h || sx < 0 || sy < 0 ||
				    sx >= sc->w || sy >= sc->h)
					continue;
				v = at(sc->cur, sc->w, x, y);

				if (v != at(sc->old, sc->w, x, y) &&
				    v == at(sc->old, sc->w, sx, sy))
					out->ideal++;
			}
	}
	pixman_region32_fini(&damage);
	pixman_region32_fini(&dst);
	fb_fini(&fb);
}

/* Per kind: the share of the true move's changed pixels that must be
 * found, summed over all seeds (in percent). */
static const unsigned min_coverage[SCENE_KINDS] = {
	[SCENE_TERMINAL] = 98,
	[SCENE_TERMINAL_BIG] = 98,
	[SCENE_EDITOR] = 98,
	[SCENE_BROWSER] = 98,
	[SCENE_HSCROLL] = 98,
	[SCENE_DRAG] = 98,
	[SCENE_DRAG_FAR] = 98,
	[SCENE_REPEAT] = 95,
	[SCENE_MOVED_CHANGED] = 95,
	[SCENE_TWO_MOVES] = 95,
	[SCENE_VIDEO] = 0,
};

START_TEST(test_scene)
{
	enum scene_kind kind = (enum scene_kind)_i;
	uint64_t ideal = 0, got = 0, unchanged = 0;
	unsigned found = 0;
	const char *name = "";

	for (uint32_t seed = 1; seed <= SEEDS; seed++) {
		struct scene sc;
		struct outcome o;

		scene_make(&sc, kind, seed);
		name = sc.name;
		run_scene(&sc, &o);
		found += o.found;
		ideal += o.ideal;
		got += o.got;
		unchanged += o.unchanged;
		scene_free(&sc);
	}
	printf("fb-scroll %-14s found %2u/%u, covers %llu of %llu changed "
	       "pixels (%.1f%%), %llu unchanged\n", name, found, SEEDS,
	       (unsigned long long)got, (unsigned long long)ideal,
	       ideal ? 100.0 * (double)got / (double)ideal : 0.0,
	       (unsigned long long)unchanged);
	if (kind == SCENE_VIDEO) {
		ck_assert_uint_eq(found, 0);
	} else {
		ck_assert_msg(got * 100 >= ideal * min_coverage[kind],
			      "%s: covers %llu of %llu changed pixels, want "
			      "%u%%", name, (unsigned long long)got,
			      (unsigned long long)ideal, min_coverage[kind]);
	}
}
END_TEST

/* Nothing changed, or too little: no move, whatever the content. */
START_TEST(test_no_change)
{
	struct scene sc;
	struct fb fb;
	struct fb_src src;
	region_t dst;
	int dx, dy;

	scene_make(&sc, SCENE_DRAG, 3);
	ck_assert_int_eq(fb_init(&fb, sc.w, sc.h), 0);
	memcpy(fb.pixels, sc.old, (size_t)sc.w * sc.h * 4);
	pixman_region32_init(&dst);
	src.r = (struct rect){ 0, 0, sc.w, sc.h };
	src.stride = (size_t)sc.w * 4;
	src.pixels = (const uint8_t *)sc.old;
	ck_assert(!fb_scroll_detect(&fb, &src, 1, &dx, &dy, &dst));
	ck_assert(!pixman_region32_not_empty(&dst));
	pixman_region32_fini(&dst);
	fb_fini(&fb);
	scene_free(&sc);
}
END_TEST

static Suite *fb_scroll_suite(void)
{
	Suite *s = suite_create("fb-scroll");
	TCase *tc = unit_tcase(s, "scenes");

	tcase_add_loop_test(tc, test_scene, 0, SCENE_KINDS);
	tcase_add_test(tc, test_no_change);
	return s;
}

UNIT_MAIN(fb_scroll_suite)
