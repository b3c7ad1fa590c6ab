/* SPDX-License-Identifier: MIT */
/*
 * H.264 (encoding 50): the limits of the pictures the encoder takes, for
 * the scheduler that picks the rectangle (doc/protocol.md, "H.264").
 */
#ifndef XRFB_H264_H
#define XRFB_H264_H

#include <stdbool.h>

/* Largest side and area of one picture (level 5.1: 36,864 macroblocks). */
#define H264_MAX_SIDE 4096
#define H264_MAX_PIXELS (4096 * 2304)
/* Smallest side worth a video stream; smaller rectangles go Raw. */
#define H264_MIN_SIDE 16

/* Whether a @w x @h rectangle can be one H.264 picture (the encoder cuts
 * odd sizes down to even ones and sends the last column or row apart). */
static inline bool h264_fits(int w, int h)
{
	return w >= H264_MIN_SIDE && h >= H264_MIN_SIDE &&
	       w <= H264_MAX_SIDE && h <= H264_MAX_SIDE &&
	       (long)(w & ~1) * (h & ~1) <= H264_MAX_PIXELS;
}

#endif
