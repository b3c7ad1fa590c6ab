/* SPDX-License-Identifier: MIT */
/*
 * Images for the test tools: XRGB8888 pixels plus the number of significant
 * bits of each channel, read from `xwd` dumps and binary PPM files, and
 * compared at the precision both sides actually carry.
 */
#ifndef TEST_IMAGE_H
#define TEST_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct image {
	int width;
	int height;
	uint32_t *px;		/* width * height, 0x00RRGGBB */
	/* Significant bits of red, green, blue (8 for a depth 24 source,
	 * 5/6/5 for a 565 one); values are expanded by bit replication. */
	uint8_t bits[3];
};

/* A black @width x @height image with 8 significant bits per channel. */
struct image *image_new(int width, int height);
/* Free an image (NULL is fine). */
void image_free(struct image *img);
/* Read an xwd dump or a binary PPM (P6, maxval 255) from @path ("-" for
 * stdin). On failure prints why to stderr and returns NULL. */
struct image *image_load(const char *path);
/* Parse a binary PPM held in memory; NULL (and @err set) on failure. */
struct image *image_from_ppm(const uint8_t *data, size_t len, char *err,
			     size_t errlen);
/* Write @img as a binary PPM; 0 or -errno. */
int image_write_ppm(const struct image *img, const char *path);

/* Expand an @bits wide channel value to 8 bits by bit replication. */
uint8_t image_expand(unsigned v, unsigned bits);

struct image_diff {
	long count;		/* pixels that differ */
	int first_x[8], first_y[8];
	uint32_t first_a[8], first_b[8];
	int nfirst;
	int bbox_x0, bbox_y0, bbox_x1, bbox_y1;	/* of the differences */
	double psnr;		/* over 8-bit channels, INFINITY if equal */
	int max_delta;		/* largest per-channel difference */
};

/* Compare @a and @b: a channel matches when its top min(a.bits, b.bits,
 * @bits_limit) bits are equal, or when it differs by at most @tolerance
 * (in 8-bit units). @bits_limit NULL means no limit. Sizes must match:
 * returns -1 (with a message in @d untouched) if they do not. */
int image_compare(const struct image *a, const struct image *b,
		  const uint8_t *bits_limit, int tolerance,
		  struct image_diff *d);
/* Print a one-line summary of @d and the first differing pixels. */
void image_diff_print(FILE *f, const struct image_diff *d);

#endif
