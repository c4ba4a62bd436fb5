/* The tests' pseudo-random numbers: xorshift64, so that a seed gives the same cases on every
 * machine and architecture (the NEON build runs the same test under qemu). Header-only; each
 * test keeps its own state and seeds it. */
#ifndef QX_TEST_RNG_H
#define QX_TEST_RNG_H

#include <stdint.h>

static inline uint32_t tap_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 16);
}

/* A value in [lo, hi]. */
static inline int tap_rand_in(uint64_t *state, int lo, int hi)
{
	return lo + (int)(tap_rand(state) % (uint32_t)(hi - lo + 1));
}

#endif
