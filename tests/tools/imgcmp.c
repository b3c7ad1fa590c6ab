/* SPDX-License-Identifier: MIT */
/*
 * imgcmp: compares two images (xwd dumps or binary PPM, in any mix) for the
 * integration tests and prints where they differ. By default every channel
 * must be equal at the precision both images carry; --bits lowers that
 * precision (a viewer showing an 8-bit colour format), --tolerance allows a
 * per-channel difference, --min-psnr accepts lossy copies (JPEG) whose
 * PSNR reaches a floor instead of matching exactly.
 *
 *   imgcmp [--bits R,G,B] [--tolerance N] [--min-psnr DB] [--quiet] A B
 *   exit: 0 match, 1 differ, 2 error
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image.h"

int main(int argc, char **argv)
{
	const char *pa = NULL, *pb = NULL;
	struct image *a, *b;
	struct image_diff d;
	uint8_t bits[3] = { 8, 8, 8 };
	unsigned br, bg, bb;
	double min_psnr = -1;
	int i, tolerance = 0, quiet = 0, r, ret;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--bits") && i + 1 < argc) {
			if (sscanf(argv[++i], "%u,%u,%u", &br, &bg, &bb) != 3 ||
			    !br || !bg || !bb || br > 8 || bg > 8 || bb > 8) {
				fprintf(stderr,
					"imgcmp: --bits R,G,B (1..8)\n");
				return 2;
			}
			bits[0] = (uint8_t)br;
			bits[1] = (uint8_t)bg;
			bits[2] = (uint8_t)bb;
		} else if (!strcmp(argv[i], "--tolerance") && i + 1 < argc) {
			tolerance = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--min-psnr") && i + 1 < argc) {
			min_psnr = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--quiet")) {
			quiet = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "imgcmp: unknown option %s\n", argv[i]);
			return 2;
		} else if (!pa) {
			pa = argv[i];
		} else if (!pb) {
			pb = argv[i];
		} else {
			pa = NULL;
			break;
		}
	}
	if (!pa || !pb) {
		fprintf(stderr, "usage: imgcmp [--bits R,G,B] [--tolerance N] "
				"[--min-psnr DB] [--quiet] A B\n");
		return 2;
	}
	a = image_load(pa);
	b = a ? image_load(pb) : NULL;
	if (!a || !b) {
		image_free(a);
		return 2;
	}
	r = image_compare(a, b, bits, tolerance, &d);
	if (r < 0) {
		printf("size differs: %s is %dx%d, %s is %dx%d\n", pa, a->width,
		       a->height, pb, b->width, b->height);
		ret = 1;
	} else if (min_psnr >= 0) {
		ret = d.psnr >= min_psnr ? 0 : 1;
		if (!quiet || ret)
			printf("PSNR %.2f dB (floor %.2f), "
			       "max channel delta %d, "
			       "%ld pixels beyond exact\n",
			       d.psnr, min_psnr, d.max_delta, d.count);
	} else {
		ret = r ? 1 : 0;
		if (!quiet || ret)
			image_diff_print(stdout, &d);
	}
	image_free(a);
	image_free(b);
	return ret;
}
