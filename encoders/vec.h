/* SPDX-License-Identifier: MIT */
/*
 * Four-lane uint32_t vectors (GCC/clang vector extensions) for the few
 * pixel loops compilers do not vectorise at -O2 on their own. Portable:
 * on targets without SIMD the compiler emits scalar code.
 */
#ifndef XRFB_VEC_H
#define XRFB_VEC_H

#include <stdint.h>
#include <string.h>

typedef uint32_t vec_u32 __attribute__((vector_size(16)));
typedef int32_t vec_i32 __attribute__((vector_size(16)));

#define VEC_LANES 4

static inline vec_u32 vec_load(const uint32_t *p)
{
	vec_u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void vec_store(uint32_t *p, vec_u32 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline vec_u32 vec_splat(uint32_t x)
{
	return (vec_u32){ x, x, x, x };
}

static inline long vec_sum(vec_i32 v)
{
	return (long)v[0] + v[1] + v[2] + v[3];
}

#endif
