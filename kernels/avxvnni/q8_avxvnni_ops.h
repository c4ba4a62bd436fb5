/* The AVX-VNNI int8 set's q8v_* operations for the int8 templates: the VEX-encoded 256-bit
 * vpdpbusd (u8 x s8 -> s32, four products per lane, no saturation), 8 output channels per ymm;
 * tiles of 6 pixels x 16 channels (12 accumulators + 2 weight vectors + 1 broadcast of the 16
 * ymm registers) or 12 x 8. Compiled only into kernels/avxvnni/ (-mavx2 -mfma -mavxvnni). */
#ifndef QX_KERNELS_AVXVNNI_Q8_AVXVNNI_OPS_H
#define QX_KERNELS_AVXVNNI_Q8_AVXVNNI_OPS_H

#include "q8_common.h"
#include "x86/q8_ymm_ops.h"

#define Q8_FN(name) avxvnni_##name
#define Q8_LANES 8
#define Q8_KGROUP 4
#define Q8_ELEM uint8_t
#define Q8_WELEM int8_t
#define Q8_WIDE 0
#define Q8_NB_MAX 2
#define Q8_MR(nb) ((nb) == 2 ? 6 : 12)

/* {vex} vpdpbusd through asm with the accumulator tied in place: with the intrinsic, GCC 12
 * copies every accumulator to a scratch register on each step. */
Q8_OP q8_vec q8v_dot(q8_vec acc, q8_vec a, q8_vec w)
{
	__asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(w));
	return acc;
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
