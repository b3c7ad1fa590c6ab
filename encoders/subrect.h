/* SPDX-License-Identifier: MIT */
/*
 * Splitting a block of pixel values into a background colour plus
 * single-coloured subrectangles, as RRE, CoRRE and Hextile send them.
 */
#ifndef XRFB_SUBRECT_H
#define XRFB_SUBRECT_H

#include <stdint.h>

#include "palette.h"

struct subrect {
	uint32_t colour;
	uint16_t x, y, w, h;
};

/* Cover the pixels of the w x h block @px (rows @stride values apart) that
 * are not @bg with subrectangles, written to @out. Greedy: at the first
 * uncovered pixel in raster order, take the largest rectangle of its
 * colour anchored there. Covered pixels are overwritten with @bg.
 * Starts at raster index *@pos (0 at first) and stops before a subrect
 * that would exceed @max; returns the number written and leaves in *@pos
 * where to continue: w * h once the whole block is covered. */
int subrect_find(uint32_t *px, int stride, int w, int h, uint32_t bg,
		 struct subrect *out, int max, long *pos);

/* A background for the w x h block @px (rows @stride apart): the most
 * common value, counted on every row of small blocks and on a sample of
 * rows of large ones (the first 256 distinct values count; later
 * newcomers are ignored). *@runs gets an estimate of the number of runs
 * of equal values in the block. @pal is scratch. */
uint32_t subrect_background(struct palette *pal, const uint32_t *px,
			    int stride, int w, int h, long *runs);
/* A lower bound on the subrects subrect_find() needs: the pixels other
 * than @bg whose left and upper neighbours (where they exist) differ from
 * them. Each must be the top-left corner of its own subrect. */
long subrect_corners(const uint32_t *px, int stride, int w, int h,
		     uint32_t bg);

#endif
