/* SPDX-License-Identifier: MIT */
/*
 * imgfind: finds where an image appears, pixel for pixel, inside a larger
 * one, for the integration tests of viewers whose window holds more than
 * the remote desktop (menus, borders, an offset the test does not know).
 * Channels compare at the precision both images carry, as imgcmp does.
 * With --at X,Y it compares at that place only and prints the differences
 * the way imgcmp does, to explain a failed search; --crop also writes that
 * part of HAYSTACK as a PPM file (for imgcmp --min-psnr, say).
 *
 *   imgfind [--at X,Y [--crop OUT.ppm]] NEEDLE HAYSTACK
 *   prints "found at X,Y"; exit: 0 found (equal), 1 not, 2 error
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

static uint32_t channel_mask(const struct image *a, const struct image *b)
{
	uint32_t mask = 0;
	int c;

	for (c = 0; c < 3; c++) {
		unsigned bits = a->bits[c] < b->bits[c] ? a->bits[c] :
							  b->bits[c];

		mask |= (uint32_t)((0xff << (8 - bits)) & 0xff) << (16 - 8 * c);
	}
	return mask;
}

static int equal_at(const struct image *n, const struct image *h, int x0,
		    int y0, uint32_t mask)
{
	int x, y;

	for (y = 0; y < n->height; y++) {
		const uint32_t *a = n->px + (size_t)y * n->width;
		const uint32_t *b = h->px + (size_t)(y0 + y) * h->width + x0;

		for (x = 0; x < n->width; x++)
			if ((a[x] ^ b[x]) & mask)
				return 0;
	}
	return 1;
}

/* The @n-sized part of @h at @x, @y as an image of its own. */
static struct image *crop(const struct image *h, int x, int y, int w,
			  int hgt)
{
	struct image *c = image_new(w, hgt);
	int row;

	if (!c)
		return NULL;
	memcpy(c->bits, h->bits, sizeof(c->bits));
	for (row = 0; row < hgt; row++)
		memcpy(c->px + (size_t)row * w,
		       h->px + (size_t)(y + row) * h->width + x,
		       (size_t)w * sizeof(uint32_t));
	return c;
}

static int compare_at(const struct image *n, const struct image *h, int x,
		      int y, const char *out)
{
	struct image_diff d;
	struct image *c;
	int r;

	if (x < 0 || y < 0 || x + n->width > h->width ||
	    y + n->height > h->height) {
		printf("a %dx%d image at %d,%d does not fit in %dx%d\n",
		       n->width, n->height, x, y, h->width, h->height);
		return 1;
	}
	c = crop(h, x, y, n->width, n->height);
	if (!c)
		return 2;
	if (out && image_write_ppm(c, out) < 0) {
		fprintf(stderr, "imgfind: cannot write %s\n", out);
		image_free(c);
		return 2;
	}
	r = image_compare(c, n, NULL, 0, &d);
	printf("at %d,%d: ", x, y);
	image_diff_print(stdout, &d);
	image_free(c);
	return r ? 1 : 0;
}

static int search(const struct image *n, const struct image *h)
{
	uint32_t mask = channel_mask(n, h);
	uint32_t tl = n->px[0], br = n->px[(size_t)n->width * n->height - 1];
	int x, y;

	for (y = 0; y + n->height <= h->height; y++) {
		for (x = 0; x + n->width <= h->width; x++) {
			const uint32_t *p = h->px + (size_t)y * h->width + x;
			const uint32_t *q = p + (size_t)(n->height - 1) *
							h->width +
					    n->width - 1;

			if (((*p ^ tl) & mask) || ((*q ^ br) & mask))
				continue;
			if (equal_at(n, h, x, y, mask)) {
				printf("found at %d,%d\n", x, y);
				return 0;
			}
		}
	}
	printf("the %dx%d image is nowhere in the %dx%d one\n", n->width,
	       n->height, h->width, h->height);
	return 1;
}

int main(int argc, char **argv)
{
	struct image *n = NULL, *h = NULL;
	const char *out = NULL;
	int at = 0, x = 0, y = 0, i = 1, ret;

	for (; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--at") &&
		    sscanf(argv[i + 1], "%d,%d", &x, &y) == 2) {
			at = 1;
		} else if (!strcmp(argv[i], "--crop")) {
			out = argv[i + 1];
		} else {
			fprintf(stderr, "imgfind: bad option %s\n", argv[i]);
			return 2;
		}
	}
	if (argc - i != 2 || (out && !at)) {
		fprintf(stderr, "usage: imgfind [--at X,Y [--crop OUT.ppm]] "
				"NEEDLE HAYSTACK\n");
		return 2;
	}
	n = image_load(argv[i]);
	h = n ? image_load(argv[i + 1]) : NULL;
	if (!n || !h) {
		image_free(n);
		return 2;
	}
	ret = at ? compare_at(n, h, x, y, out) : search(n, h);
	image_free(n);
	image_free(h);
	return ret;
}
