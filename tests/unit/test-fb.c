/* SPDX-License-Identifier: MIT */
/*
 * fb: the framebuffer and its damage refinement. After fb_update() the
 * stored pixels equal the new ones inside the (clipped) rectangle and are
 * untouched outside; the reported region covers every changed pixel and
 * lies inside the 32x32 tiles that really changed. Also moves, resizes
 * and clipping, all against straightforward models written here.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "fb.h"
#include "unit.h"

static uint32_t *px(struct fb *fb, int x, int y)
{
	return &fb->pixels[(size_t)y * fb->stride + (size_t)x];
}

static uint32_t *snapshot(const struct fb *fb)
{
	uint32_t *s = malloc((size_t)fb->width * fb->height * sizeof(*s));

	ck_assert_ptr_nonnull(s);
	for (int y = 0; y < fb->height; y++)
		memcpy(s + (size_t)y * fb->width,
		       fb->pixels + (size_t)y * fb->stride,
		       (size_t)fb->width * sizeof(*s));
	return s;
}

static bool in_region(region_t *r, int x, int y)
{
	return pixman_region32_contains_point(r, x, y, NULL);
}

/* The region as one flag per framebuffer pixel (anything reported
 * outside the framebuffer fails here). */
static bool *region_map(region_t *r, int w, int h)
{
	bool *map = calloc((size_t)w * h, sizeof(bool));
	pixman_box32_t *b;
	int n;

	ck_assert_ptr_nonnull(map);
	b = pixman_region32_rectangles(r, &n);
	for (int i = 0; i < n; i++) {
		ck_assert(b[i].x1 >= 0 && b[i].y1 >= 0 && b[i].x2 <= w &&
			  b[i].y2 <= h);
		for (int y = b[i].y1; y < b[i].y2; y++)
			for (int x = b[i].x1; x < b[i].x2; x++)
				map[(size_t)y * w + x] = true;
	}
	return map;
}

/* Apply one random update (possibly partly or wholly outside) and check
 * pixels and region against the model. */
static void random_update(struct fb *fb, struct unit_rng *rng, int density)
{
	int x = (int)unit_rng_below(rng, (uint32_t)fb->width + 40) - 20;
	int y = (int)unit_rng_below(rng, (uint32_t)fb->height + 40) - 20;
	int w = 1 + (int)unit_rng_below(rng, (uint32_t)fb->width + 20);
	int h = 1 + (int)unit_rng_below(rng, (uint32_t)fb->height + 20);
	size_t stride = ((size_t)w + unit_rng_below(rng, 5)) * 4;
	uint8_t *src = malloc(stride * (size_t)h);
	uint32_t *before = snapshot(fb);
	bool *changed = calloc((size_t)fb->width * fb->height, sizeof(bool));
	bool *reported;
	region_t r;

	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(changed);
	/* Mostly the current content, with a few differing pixels. */
	for (int j = 0; j < h; j++)
		for (int i = 0; i < w; i++) {
			int fx = x + i, fy = y + j;
			uint32_t v = unit_rng_next(rng) & 0xffffff;
			bool inside = fx >= 0 && fy >= 0 && fx < fb->width &&
				      fy < fb->height;

			if (inside && unit_rng_below(rng, 1000) >= (unsigned)density)
				v = *px(fb, fx, fy);
			memcpy(src + (size_t)j * stride + (size_t)i * 4, &v, 4);
		}
	pixman_region32_init(&r);
	fb_update(fb, src, stride, x, y, w, h, &r);
	reported = region_map(&r, fb->width, fb->height);

	for (int fy = 0; fy < fb->height; fy++)
		for (int fx = 0; fx < fb->width; fx++) {
			uint32_t old = before[(size_t)fy * fb->width + fx];
			uint32_t now = *px(fb, fx, fy);
			bool inside = fx >= x && fy >= y && fx < x + w &&
				      fy < y + h;

			if (inside) {
				uint32_t v;

				memcpy(&v, src + (size_t)(fy - y) * stride +
						   (size_t)(fx - x) * 4, 4);
				ck_assert_msg(now == v, "pixel %d,%d not copied",
					      fx, fy);
			} else {
				ck_assert_msg(now == old, "pixel %d,%d outside "
					      "the update changed", fx, fy);
			}
			changed[(size_t)fy * fb->width + fx] = now != old;
			if (now != old)
				ck_assert_msg(reported[(size_t)fy * fb->width +
						       fx],
					      "changed pixel %d,%d not reported",
					      fx, fy);
		}
	/* Every reported pixel lies in a tile with a real change. */
	for (int ty = 0; ty < fb->height; ty += FB_TILE)
		for (int tx = 0; tx < fb->width; tx += FB_TILE) {
			bool any = false, rep = false;

			for (int fy = ty; fy < ty + FB_TILE && fy < fb->height;
			     fy++)
				for (int fx = tx;
				     fx < tx + FB_TILE && fx < fb->width; fx++) {
					any |= changed[(size_t)fy * fb->width +
						       fx];
					rep |= reported[(size_t)fy * fb->width +
							fx];
				}
			ck_assert_msg(any || !rep,
				      "tile %d,%d reported without a change",
				      tx, ty);
		}
	/* And nothing outside the framebuffer or the update. */
	{
		pixman_box32_t *e = pixman_region32_extents(&r);

		if (pixman_region32_not_empty(&r)) {
			ck_assert_int_ge(e->x1, 0 > x ? 0 : x);
			ck_assert_int_ge(e->y1, 0 > y ? 0 : y);
			ck_assert_int_le(e->x2, fb->width < x + w ? fb->width
								  : x + w);
			ck_assert_int_le(e->y2, fb->height < y + h
							? fb->height
							: y + h);
		}
	}
	pixman_region32_fini(&r);
	free(reported);
	free(changed);
	free(before);
	free(src);
}

START_TEST(test_update_random)
{
	static const int sizes[][2] = { { 100, 70 }, { 32, 32 }, { 1, 1 },
					{ 65, 3 },   { 3, 97 } };
	struct unit_rng rng;
	struct fb fb;

	unit_rng_seed(&rng, 31 + (uint64_t)_i);
	ck_assert_int_eq(fb_init(&fb, sizes[_i][0], sizes[_i][1]), 0);
	for (int k = 0; k < 60; k++)
		random_update(&fb, &rng, k % 3 == 0 ? 0 : k % 3 == 1 ? 2 : 500);
	fb_fini(&fb);
	ck_assert_ptr_null(fb.pixels);
}
END_TEST

/* The same pixels again: nothing to report. One pixel: one tile. */
START_TEST(test_update_refines)
{
	struct fb fb;
	uint32_t *img = malloc(200 * 150 * 4);
	region_t r;
	int n;

	ck_assert_int_eq(fb_init(&fb, 200, 150), 0);
	for (int i = 0; i < 200 * 150; i++)
		img[i] = (uint32_t)i * 2654435761u & 0xffffff;
	pixman_region32_init(&r);
	fb_update(&fb, img, 200 * 4, 0, 0, 200, 150, &r);
	ck_assert(pixman_region32_not_empty(&r));
	pixman_region32_clear(&r);

	fb_update(&fb, img, 200 * 4, 0, 0, 200, 150, &r);
	ck_assert(!pixman_region32_not_empty(&r));

	img[77 * 200 + 70] ^= 0x10;	/* tile (64, 64) */
	fb_update(&fb, img, 200 * 4, 0, 0, 200, 150, &r);
	pixman_region32_rectangles(&r, &n);
	ck_assert_int_eq(n, 1);
	ck_assert(in_region(&r, 70, 77));
	ck_assert_int_ge(pixman_region32_extents(&r)->x1, 64);
	ck_assert_int_le(pixman_region32_extents(&r)->x2, 96);
	ck_assert_int_ge(pixman_region32_extents(&r)->y1, 64);
	ck_assert_int_le(pixman_region32_extents(&r)->y2, 96);

	/* The caller's region is added to, not replaced. */
	img[5 * 200 + 199] ^= 1;
	fb_update(&fb, img + 5 * 200 + 150, 200 * 4, 150, 5, 50, 10, &r);
	ck_assert(in_region(&r, 70, 77));
	ck_assert(in_region(&r, 199, 5));
	ck_assert(!in_region(&r, 0, 0));
	pixman_region32_fini(&r);
	fb_fini(&fb);
	free(img);
}
END_TEST

START_TEST(test_update_outside)
{
	struct fb fb;
	uint32_t src[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
			     16 };
	region_t r;

	ck_assert_int_eq(fb_init(&fb, 10, 10), 0);
	pixman_region32_init(&r);
	fb_update(&fb, src, 16, 10, 0, 4, 4, &r);
	fb_update(&fb, src, 16, 0, 10, 4, 4, &r);
	fb_update(&fb, src, 16, -4, 0, 4, 4, &r);
	fb_update(&fb, src, 16, 0, -4, 4, 4, &r);
	fb_update(&fb, src, 16, 0, 0, 0, 4, &r);
	fb_update(&fb, src, 16, 0, 0, 4, -1, &r);
	ck_assert(!pixman_region32_not_empty(&r));
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(fb.pixels[i], 0);
	/* The corner: (-2,-2) 4x4 puts src[2][2] at (0,0). */
	fb_update(&fb, src, 16, -2, -2, 4, 4, &r);
	ck_assert_uint_eq(*px(&fb, 0, 0), 11);
	ck_assert_uint_eq(*px(&fb, 1, 0), 12);
	ck_assert_uint_eq(*px(&fb, 0, 1), 15);
	ck_assert_uint_eq(*px(&fb, 1, 1), 16);
	ck_assert_uint_eq(*px(&fb, 2, 0), 0);
	ck_assert_uint_eq(*px(&fb, 0, 2), 0);
	pixman_region32_fini(&r);
	fb_fini(&fb);
}
END_TEST

START_TEST(test_copy)
{
	struct unit_rng rng;
	struct fb fb;

	unit_rng_seed(&rng, 41);
	ck_assert_int_eq(fb_init(&fb, 50, 40), 0);
	for (int k = 0; k < 150; k++) {
		int w = 1 + (int)unit_rng_below(&rng, 50);
		int h = 1 + (int)unit_rng_below(&rng, 40);
		int sx = (int)unit_rng_below(&rng, (uint32_t)(51 - w));
		int sy = (int)unit_rng_below(&rng, (uint32_t)(41 - h));
		int dx = (int)unit_rng_below(&rng, (uint32_t)(51 - w));
		int dy = (int)unit_rng_below(&rng, (uint32_t)(41 - h));
		uint32_t *before, *block;

		for (int i = 0; i < 50 * 40; i++)
			fb.pixels[i] = unit_rng_next(&rng);
		before = snapshot(&fb);
		block = malloc((size_t)w * h * 4);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				block[y * w + x] =
					before[(sy + y) * 50 + sx + x];
		fb_copy(&fb, sx, sy, dx, dy, w, h);
		for (int y = 0; y < 40; y++)
			for (int x = 0; x < 50; x++) {
				bool in = x >= dx && y >= dy && x < dx + w &&
					  y < dy + h;
				uint32_t want = in ? block[(y - dy) * w + x - dx]
						   : before[y * 50 + x];

				ck_assert_msg(*px(&fb, x, y) == want,
					      "move %dx%d %d,%d->%d,%d: pixel "
					      "%d,%d", w, h, sx, sy, dx, dy, x,
					      y);
			}
		free(block);
		free(before);
	}
	fb_fini(&fb);
}
END_TEST

START_TEST(test_resize)
{
	struct fb fb;

	ck_assert_int_eq(fb_init(&fb, 20, 10), 0);
	for (int i = 0; i < 200; i++)
		fb.pixels[i] = (uint32_t)i + 1;
	ck_assert_int_eq(fb_resize(&fb, 30, 5), 0);
	ck_assert_int_eq(fb.width, 30);
	ck_assert_int_eq(fb.height, 5);
	ck_assert_uint_ge(fb.stride, 30);
	for (int y = 0; y < 5; y++)
		for (int x = 0; x < 30; x++)
			ck_assert_uint_eq(*px(&fb, x, y),
					  x < 20 ? (uint32_t)(y * 20 + x) + 1 : 0);
	ck_assert_int_eq(fb_resize(&fb, 7, 12), 0);
	for (int y = 0; y < 12; y++)
		for (int x = 0; x < 7; x++)
			ck_assert_uint_eq(*px(&fb, x, y),
					  y < 5 ? (uint32_t)(y * 20 + x) + 1 : 0);
	fb_fini(&fb);
}
END_TEST

struct clip_case {
	struct rect in, out;
	int visible;
};

static const struct clip_case clips[] = {
	{ { 0, 0, 10, 10 }, { 0, 0, 10, 10 }, 1 },
	{ { -5, -5, 10, 10 }, { 0, 0, 5, 5 }, 1 },
	{ { 5, 5, 100, 100 }, { 5, 5, 5, 5 }, 1 },
	{ { 9, 9, 1, 1 }, { 9, 9, 1, 1 }, 1 },
	{ { 10, 0, 1, 1 }, { 0 }, 0 },
	{ { 0, 10, 1, 1 }, { 0 }, 0 },
	{ { -1, 0, 1, 5 }, { 0 }, 0 },
	{ { 3, 3, 0, 4 }, { 0 }, 0 },
	{ { 3, 3, 4, -2 }, { 0 }, 0 },
	{ { -100, -100, 300, 300 }, { 0, 0, 10, 10 }, 1 },
	{ { 65535, 65535, 65535, 65535 }, { 0 }, 0 },
};
#define NCLIPS ((int)(sizeof(clips) / sizeof(clips[0])))

START_TEST(test_clip)
{
	const struct clip_case *c = &clips[_i];
	struct fb fb;
	struct rect r = c->in;
	int vis;

	ck_assert_int_eq(fb_init(&fb, 10, 10), 0);
	vis = fb_clip(&fb, &r);
	ck_assert_int_eq(vis != 0, c->visible);
	if (c->visible) {
		ck_assert_int_eq(r.x, c->out.x);
		ck_assert_int_eq(r.y, c->out.y);
		ck_assert_int_eq(r.w, c->out.w);
		ck_assert_int_eq(r.h, c->out.h);
	}
	fb_fini(&fb);
}
END_TEST

static Suite *fb_suite(void)
{
	Suite *s = suite_create("fb");
	TCase *tc;

	tc = unit_tcase(s, "update");
	tcase_add_loop_test(tc, test_update_random, 0, 5);
	tcase_add_test(tc, test_update_refines);
	tcase_add_test(tc, test_update_outside);

	tc = unit_tcase(s, "geometry");
	tcase_add_test(tc, test_copy);
	tcase_add_test(tc, test_resize);
	tcase_add_loop_test(tc, test_clip, 0, NCLIPS);
	return s;
}

UNIT_MAIN(fb_suite)
