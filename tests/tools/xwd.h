/* SPDX-License-Identifier: MIT */
/*
 * Reader for the XWD files `xwd -root -silent` writes (X11 XWDFile.h,
 * version 7): ZPixmap images of 8, 16, 24 or 32 bits per pixel, true
 * colour through the visual's masks, anything else through the colour map.
 */
#ifndef TEST_XWD_H
#define TEST_XWD_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* True if @data starts like an XWD version 7 header. */
int xwd_detect(const uint8_t *data, size_t len);
/* Decode an XWD file held in memory into XRGB8888 with the significant
 * bits of the source; NULL (and a reason in @err) on failure. */
struct image *xwd_parse(const uint8_t *data, size_t len, char *err,
			size_t errlen);

#endif
