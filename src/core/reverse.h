/* SPDX-License-Identifier: MIT */
/*
 * Reverse connections: the server connects out to a listening viewer,
 * directly or through an UltraVNC repeater (mode II), once or again and
 * again. The connection then becomes an ordinary client.
 */
#ifndef XRFB_REVERSE_H
#define XRFB_REVERSE_H

#include "xrfb.h"

/* The block a server sends a mode-II repeater first: "ID:<id>" padded
 * with NULs to this size (doc/protocol.md, "Reverse connections and
 * repeaters"). */
#define REVERSE_REPEATER_BLOCK 250
/* Longest repeater ID: "ID:" + ID + at least one NUL fit in the block. */
#define REVERSE_REPEATER_ID_MAX (REVERSE_REPEATER_BLOCK - 4)
/* The first wait before a retry, doubled after each failure. */
#define REVERSE_RETRY_MIN_MS 1000
/* The viewers' listening port by convention. */
#define REVERSE_DEFAULT_PORT 5500

/* Fill @block with the repeater's ID block for @id; -EINVAL if @id is
 * empty, too long or holds a byte that is not printable ASCII. */
int reverse_repeater_block(const char *id,
			   uint8_t block[REVERSE_REPEATER_BLOCK]);

#endif
