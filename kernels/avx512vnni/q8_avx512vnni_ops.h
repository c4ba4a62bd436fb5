/* The AVX512-VNNI int8 set's q8v_* operations for the int8 templates: vpdpbusd (u8 x s8 ->
 * s32, four products per lane, no saturation) on zmm, 16 output channels per vector; tiles of
 * 12 pixels x 32 channels, 8 x 48 or 6 x 64 (24 accumulators, the weight vectors and one
 * broadcast in the 32 zmm registers).
 * Compiled only into kernels/avx512vnni/ (-mavx512f ... -mavx512vnni, Makefile). */
#ifndef QX_KERNELS_AVX512VNNI_Q8_AVX512VNNI_OPS_H
#define QX_KERNELS_AVX512VNNI_Q8_AVX512VNNI_OPS_H

#include "q8_common.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define Q8_FN(name) avx512vnni_##name
#define Q8_LANES 16
#define Q8_KGROUP 4
#define Q8_ELEM uint8_t
#define Q8_WELEM int8_t
#define Q8_WIDE 0
#define Q8_NB_MAX 4
#define Q8_MR(nb) ((nb) == 4 ? 6 : (nb) == 3 ? 8 : 12)

typedef __m512i q8_vec;
typedef __m512 q8_vecf;

#define Q8_OP static inline __attribute__((always_inline))

Q8_OP __mmask16 q8v_lane_mask(int64_t n)
{
	return (__mmask16)((1u << n) - 1u);
}

Q8_OP q8_vec q8v_loadw(const void *p)
{
	return _mm512_loadu_si512(p);
}

/* the 4 bytes at p broadcast to the 16 lanes */
Q8_OP q8_vec q8v_bcast(const void *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return _mm512_set1_epi32(v);
}

/* vpdpbusd through asm with the accumulator tied in place: with the intrinsic, GCC 12 copies
 * every accumulator to a scratch register and stores it to the stack on each step. */
Q8_OP q8_vec q8v_dot(q8_vec acc, q8_vec a, q8_vec w)
{
	__asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
	return acc;
}

Q8_OP q8_vec q8v_loadi(const void *p)
{
	return _mm512_loadu_si512(p);
}

Q8_OP q8_vec q8v_subi(q8_vec a, q8_vec b)
{
	return _mm512_sub_epi32(a, b);
}

Q8_OP q8_vec q8v_addi(q8_vec a, q8_vec b)
{
	return _mm512_add_epi32(a, b);
}

Q8_OP q8_vec q8v_mullo(q8_vec a, q8_vec b)
{
	return _mm512_mullo_epi32(a, b);
}

Q8_OP q8_vec q8v_set1i(int32_t v)
{
	return _mm512_set1_epi32(v);
}

Q8_OP q8_vecf q8v_loadf_part(const float *p, int64_t n)
{
	return _mm512_maskz_loadu_ps(q8v_lane_mask(n), p);
}

Q8_OP void q8v_storef_part(float *p, q8_vecf v, int64_t n)
{
	_mm512_mask_storeu_ps(p, q8v_lane_mask(n), v);
}

Q8_OP q8_vecf q8v_cvtf(q8_vec v)
{
	return _mm512_cvtepi32_ps(v);
}

Q8_OP q8_vecf q8v_mulf(q8_vecf a, q8_vecf b)
{
	return _mm512_mul_ps(a, b);
}

Q8_OP q8_vecf q8v_addf(q8_vecf a, q8_vecf b)
{
	return _mm512_add_ps(a, b);
}

Q8_OP q8_vecf q8v_set1f(float v)
{
	return _mm512_set1_ps(v);
}

/* maxps: a NaN t gives lo */
Q8_OP q8_vecf q8v_maxf(q8_vecf t, q8_vecf lo)
{
	return _mm512_max_ps(t, lo);
}

Q8_OP q8_vecf q8v_minf(q8_vecf t, q8_vecf hi)
{
	return _mm512_min_ps(t, hi);
}

/* cvtps2dq: round half to even under the default MXCSR */
Q8_OP q8_vec q8v_cvti(q8_vecf f)
{
	return _mm512_cvtps_epi32(f);
}

/* Up to 64 int32 in [0, 255] -> bytes: vpackusdw, vpackuswb, one vpermd to undo the 128-bit
 * lane interleaving, one store; cheaper than a vpmovusdb store per vector. */
Q8_OP void q8v_store_row_u8(uint8_t *dst, q8_vec r0, q8_vec r1, q8_vec r2, q8_vec r3,
                            const int nb, int64_t n)
{
	if (nb == 1) {
		_mm512_mask_cvtusepi32_storeu_epi8(dst, q8v_lane_mask(n), r0);
		return;
	}
	const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	__m512i b = _mm512_packus_epi16(_mm512_packus_epi32(r0, r1), _mm512_packus_epi32(r2, r3));
	b = _mm512_permutexvar_epi32(order, b);
	if (n == 64)
		_mm512_storeu_si512(dst, b);
	else if (n == 32)
		_mm256_storeu_si256((__m256i *)dst, _mm512_castsi512_si256(b));
	else
		_mm512_mask_storeu_epi8(dst, n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1, b);
}

/* The integer-clamp requantization (q8_conv_template.h, sat_clamp): up to 64 int32 of any
 * value -> n bytes clamp(v, lo, hi) (lo, hi: every byte of bmin, bmax). vpackssdw saturates to
 * int16 and vpackuswb to [0, 255], both monotone, so the bytes are clamp(v, 0, 255); then
 * vpmaxub / vpminub narrow that to [lo, hi] once per 64 outputs instead of a maxps and a minps
 * per 16. (vpackusdw would not do: its 16-bit result read as signed by vpackuswb turns 40000
 * into 0.) */
Q8_OP void q8v_store_row_u8_sat(uint8_t *dst, q8_vec r0, q8_vec r1, q8_vec r2, q8_vec r3,
                                const int nb, int64_t n, q8_vec bmin, q8_vec bmax)
{
	if (nb == 1) {
		r0 = _mm512_min_epi32(_mm512_max_epi32(r0, _mm512_cvtepu8_epi32(_mm512_castsi512_si128(bmin))),
		                      _mm512_cvtepu8_epi32(_mm512_castsi512_si128(bmax)));
		_mm512_mask_cvtepi32_storeu_epi8(dst, q8v_lane_mask(n), r0);
		return;
	}
	const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	__m512i b = _mm512_packus_epi16(_mm512_packs_epi32(r0, r1), _mm512_packs_epi32(r2, r3));
	b = _mm512_min_epu8(_mm512_max_epu8(b, bmin), bmax);
	b = _mm512_permutexvar_epi32(order, b);
	if (n == 64)
		_mm512_storeu_si512(dst, b);
	else if (n == 32)
		_mm256_storeu_si256((__m256i *)dst, _mm512_castsi512_si256(b));
	else
		_mm512_mask_storeu_epi8(dst, n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1, b);
}

Q8_OP q8_vec q8v_set1b(int32_t v)
{
	return _mm512_set1_epi8((char)v);
}

/* 16 bytes at p zero-extended to 16 int32 lanes */
Q8_OP q8_vec q8v_loadu8_i32(const void *p)
{
	return _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p));
}

/* Q8_LANES * 4 input bytes as they are (the depthwise row form) */
Q8_OP q8_vec q8v_load_bytes(const uint8_t *p)
{
	return q8v_loadw(p);
}

/* bytes 4 i + j = lane i of r<j>, each in [0, 255] (the depthwise row form) */
Q8_OP q8_vec q8v_join_phases(q8_vec r0, q8_vec r1, q8_vec r2, q8_vec r3)
{
	return _mm512_or_si512(_mm512_or_si512(r0, _mm512_slli_epi32(r1, 8)),
	                       _mm512_or_si512(_mm512_slli_epi32(r2, 16), _mm512_slli_epi32(r3, 24)));
}

/* stores bytes [lo, hi) of v at dst + lo (masked: nothing else is touched) */
Q8_OP void q8v_store_bytes(uint8_t *dst, q8_vec v, int64_t lo, int64_t hi)
{
	if (lo == 0 && hi == 64) {
		_mm512_storeu_si512(dst, v);
		return;
	}
	__mmask64 m = (hi >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << hi) - 1) & ~(((__mmask64)1 << lo) - 1);
	_mm512_mask_storeu_epi8(dst, m, v);
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
