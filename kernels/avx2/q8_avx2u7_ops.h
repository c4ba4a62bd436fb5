/* The AVX2 set's q8v_* operations for inputs the plan proves lie in 0..127 (reduce_range
 * activations, struct qx_q8_conv_desc.in_u7): vpmaddubsw on bytes, like the VNNI sets' layout
 * (gathered inputs stay bytes, weights int8, kgroup 4).
 *
 * Why this is exact only there: vpmaddubsw multiplies u8 x s8 pairs and adds the two products
 * into an int16 with saturation. With activations in 0..127 and weights in -128..127 a pair is
 * at most 2 * 127 * 128 = 32512 in magnitude, below 32767, so it never saturates; vpmaddwd with
 * ones then adds pairs into exact int32 lanes and vpaddd accumulates (mod 2^32 as everywhere).
 * Positions met by a zero weight (K padding, gaps between segments) add 0 whatever byte they
 * hold, and one product alone is at most 255 * 128 = 32640: those never saturate either. With
 * 0..255 activations 255 * -128 * 2 = -65280 would saturate, so avx2/q8_avx2_ops.h (vpmaddwd on
 * 16-bit operands) stays the general form; the choice is made once, at pack time, from the
 * desc (avx2/q8_conv_avx2.c).
 *
 * Per 32 products: vpmaddubsw + vpmaddwd + vpaddd, three uops on two multiply ports, against
 * two vpmovzxbw-fed vpmaddwd + two vpaddd for the 16-bit form, and the inputs are not widened.
 * Tiles: 5 pixels x 16 channels (10 accumulators, 2 weights, 1 broadcast, 1 product, the
 * vector of ones: 15 of the 16 ymm registers) or 12 x 8.
 * Compiled only into kernels/avx2/ (-mavx2 -mfma -mf16c, Makefile). */
#ifndef QX_KERNELS_AVX2_Q8_AVX2U7_OPS_H
#define QX_KERNELS_AVX2_Q8_AVX2U7_OPS_H

#include "q8_common.h"
#include "x86/q8_ymm_ops.h"
#include "x86/q8_ymm8_ops.h"

#define Q8_FN(name) avx2u7_##name
#define Q8_LANES 8
#define Q8_KGROUP 4
#define Q8_ELEM uint8_t
#define Q8_WELEM int8_t
#define Q8_WIDE 0
#define Q8_NB_MAX 2
#define Q8_MR(nb) ((nb) == 2 ? 5 : 12)

/* acc + per lane sum of 4 products a * w: exact when the pair sums fit int16 (see above) */
Q8_OP q8_vec q8v_dot(q8_vec acc, q8_vec a, q8_vec w)
{
	__m256i pairs = _mm256_maddubs_epi16(a, w);
	return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

#endif
