/* SPDX-License-Identifier: MIT */
/* What the fuzz targets share: the entry point and CHECK(), an assertion
 * that stays in builds with NDEBUG and says which check failed. */
#ifndef XRFB_FUZZ_CHECK_H
#define XRFB_FUZZ_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                         \
	do {                                                                \
		if (!(cond)) {                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n",        \
				__FILE__, __LINE__, #cond);                 \
			abort();                                            \
		}                                                           \
	} while (0)

#endif
