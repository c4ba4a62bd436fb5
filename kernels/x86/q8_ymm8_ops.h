/* The q8v_* input operations of the 256-bit sets whose gathered inputs stay bytes (Q8_WIDE 0,
 * kgroup 4): AVX-VNNI ({vex} vpdpbusd) and the AVX2 set's 0..127 form (vpmaddubsw,
 * avx2/q8_avx2u7_ops.h). Included after x86/q8_ymm_ops.h. Compiled only under -mavx2. */
#ifndef QX_KERNELS_X86_Q8_YMM8_OPS_H
#define QX_KERNELS_X86_Q8_YMM8_OPS_H

#include "q8_common.h"
#include "x86/q8_ymm_ops.h"

/* Q8_LANES * 4 input bytes as they are (the depthwise row form) */
Q8_OP q8_vec q8v_load_bytes(const uint8_t *p)
{
	return q8v_loadw(p);
}

/* bytes 4 i + j = lane i of r<j>, each in [0, 255] (the depthwise row form) */
Q8_OP q8_vec q8v_join_phases(q8_vec r0, q8_vec r1, q8_vec r2, q8_vec r3)
{
	return _mm256_or_si256(_mm256_or_si256(r0, _mm256_slli_epi32(r1, 8)),
	                       _mm256_or_si256(_mm256_slli_epi32(r2, 16), _mm256_slli_epi32(r3, 24)));
}

/* stores bytes [lo, hi) of v at dst + lo (nothing else is touched) */
Q8_OP void q8v_store_bytes(uint8_t *dst, q8_vec v, int64_t lo, int64_t hi)
{
	if (lo == 0 && hi == 32) {
		_mm256_storeu_si256((__m256i *)dst, v);
		return;
	}
	uint8_t t[32];
	_mm256_storeu_si256((__m256i *)t, v);
	memcpy(dst + lo, t + lo, (size_t)(hi - lo));
}

Q8_OP void q8v_copy_seg(uint8_t *dst, const uint8_t *src, int64_t len, const uint8_t *src_end)
{
	qx_q8_copy_seg(dst, src, len, src_end);
}

/* Q8_SHORT_SEG (4) input bytes */
Q8_OP void q8v_copy_short(uint8_t *dst, const uint8_t *src)
{
	memcpy(dst, src, 4);
}

#endif
