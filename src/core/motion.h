/* SPDX-License-Identifier: MIT */
/*
 * Lossy only while it moves (doc/protocol.md, "Lossless refresh"). The
 * framebuffer is cut into MOTION_TILE-pixel tiles; each remembers when it
 * last changed and in how many frames in a row, each within the refresh
 * delay of the one before. A tile that changed in MOTION_MIN_FRAMES such
 * frames, the last one less than the delay ago, is moving: encodings that
 * can go lossy may do so there, and nowhere else. A tile still for the
 * delay is due for a lossless refresh wherever a client holds it lossy.
 * One struct motion per server (all clients see the same changes); what
 * each client holds lossy is its own region, kept by the scheduler with
 * motion_held_*().
 */
#ifndef XRFB_MOTION_H
#define XRFB_MOTION_H

#include <stdint.h>

#include "region.h"

#define MOTION_TILE 32
#define MOTION_MIN_FRAMES 3

struct motion_tile {
	uint64_t last_ms;	/* last change (0: never) */
	uint8_t frames;		/* changes in a row, saturating */
};

struct motion {
	unsigned delay_ms;	/* 0: off, lossy wherever a client allows */
	int cols, rows;		/* of the grid; 0 until the first change */
	struct motion_tile *tiles;
};

void motion_init(struct motion *m, unsigned delay_ms);
void motion_fini(struct motion *m);
/* The framebuffer changed size: forget every tile. */
void motion_reset(struct motion *m);
/* Pixels of @changed (inside a @width x @height framebuffer) changed at
 * @now_ms. Does nothing when off. */
void motion_damage(struct motion *m, const region_t *changed, int width,
		   int height, uint64_t now_ms);
/* The part of @area in moving tiles at @now_ms, into @out (all of @area
 * when off). */
void motion_moving(const struct motion *m, const region_t *area,
		   uint64_t now_ms, region_t *out);
/* The part of @held in tiles still for the delay at @now_ms, into @due.
 * Returns when the next of the other tiles of @held can be due, or 0 if
 * none is left. */
uint64_t motion_still(const struct motion *m, const region_t *held,
		      uint64_t now_ms, region_t *due);

/* What one client holds lossy: @held (initialised by the caller). */
/* An update moved @dst from (x - dx, y - dy) at the client (CopyRect):
 * lossy pixels went along, exact ones replaced what was held there. */
void motion_held_copy(region_t *held, const region_t *dst, int dx, int dy);
/* An update sent @exact losslessly and @lossy possibly lossy. */
void motion_held_sent(region_t *held, const region_t *exact,
		      const region_t *lossy);

#endif
