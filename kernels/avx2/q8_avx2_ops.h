/* The AVX2 int8 set's q8v_* operations for the int8 templates: vpmaddwd on 16-bit operands.
 *
 * Why not vpmaddubsw: it adds two u8 x s8 products into a *saturating* int16, and
 * 255 * -128 * 2 = -65280 does not fit, so it is wrong for ordinary inputs (the kernel cannot
 * know the activations' range; calibrated ranges use all 256 values). Splitting weights or
 * activations to avoid the saturation costs a second vpmaddubsw plus a second vpmaddwd per
 * 32 products. Instead the gathered activations are zero-extended to 16 bits (vpmovzxbw, once
 * per pixel, off the multiply ports) and the weights are packed as int16, so each vpmaddwd
 * computes 16 exact products (8 lanes x 2, |sum| <= 65280 in int32) and a vpaddd accumulates:
 * 16 products per multiply-port uop, the same as vpmaddubsw + vpmaddwd(ones) give (32 per 2),
 * exact for every input.
 *
 * Tiles: 5 pixels x 16 channels (10 accumulators, 2 weight vectors, 1 broadcast, 1 product: 14
 * of the 16 ymm registers; at 6 pixels GCC spills an accumulator every step) or 12 x 8.
 * Compiled only into kernels/avx2/ (-mavx2 -mfma -mf16c, Makefile). */
#ifndef QX_KERNELS_AVX2_Q8_AVX2_OPS_H
#define QX_KERNELS_AVX2_Q8_AVX2_OPS_H

#include "x86/q8_ymm_ops.h"

#define Q8_FN(name) avx2_##name
#define Q8_LANES 8
#define Q8_KGROUP 2
#define Q8_ELEM int16_t
#define Q8_WELEM int16_t
#define Q8_WIDE 1
#define Q8_NB_MAX 2
#define Q8_MR(nb) ((nb) == 2 ? 5 : 12)

/* acc + a . w over int16 pairs: 2 exact products per lane (|sum| <= 65280) */
Q8_OP q8_vec q8v_dot(q8_vec acc, q8_vec a, q8_vec w)
{
	return _mm256_add_epi32(acc, _mm256_madd_epi16(a, w));
}

/* len input bytes -> int16 at dst, 16 at a time where src has the bytes (over-writing dst by
 * up to 15 elements: the row has slack), else one by one. */
Q8_OP void q8v_copy_seg(int16_t *dst, const uint8_t *src, int64_t len, const uint8_t *src_end)
{
	if (src_end - src >= ((len + 15) & ~(int64_t)15)) {
		for (int64_t i = 0; i < len; i += 16)
			_mm256_storeu_si256((__m256i *)(dst + i),
			                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src + i))));
	} else {
		for (int64_t i = 0; i < len; i++)
			dst[i] = src[i];
	}
}

/* Q8_SHORT_SEG (16) input bytes -> int16 at dst */
Q8_OP void q8v_copy_short(int16_t *dst, const uint8_t *src)
{
	_mm256_storeu_si256((__m256i *)dst, _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)src)));
}

#endif
