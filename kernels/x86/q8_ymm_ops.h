/* The q8v_* vector operations of the 256-bit int8 sets (AVX2 and AVX-VNNI: 8 int32 lanes per
 * ymm), which the int8 templates (q8_conv_template.h, q8_dwconv_template.h) are written with.
 * The two sets differ only in the dot product and in the gathered input's element type, which
 * each set's ops header defines (avx2/q8_avx2_ops.h, avxvnni/q8_avxvnni_ops.h) before or after
 * including this one. Compiled only under -mavx2 (Makefile). */
#ifndef QX_KERNELS_X86_Q8_YMM_OPS_H
#define QX_KERNELS_X86_Q8_YMM_OPS_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

typedef __m256i q8_vec;
typedef __m256 q8_vecf;

#define Q8_OP static inline __attribute__((always_inline))

/* Lanes [0, n) of a ymm of 8 int32 set (for maskload / maskstore). */
Q8_OP __m256i q8v_lane_mask(int64_t n)
{
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
	                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

Q8_OP q8_vec q8v_loadw(const void *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

/* the 4 bytes at p broadcast to the 8 lanes */
Q8_OP q8_vec q8v_bcast(const void *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return _mm256_set1_epi32(v);
}

Q8_OP q8_vec q8v_loadi(const void *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

Q8_OP q8_vec q8v_subi(q8_vec a, q8_vec b)
{
	return _mm256_sub_epi32(a, b);
}

Q8_OP q8_vec q8v_addi(q8_vec a, q8_vec b)
{
	return _mm256_add_epi32(a, b);
}

Q8_OP q8_vec q8v_mullo(q8_vec a, q8_vec b)
{
	return _mm256_mullo_epi32(a, b);
}

Q8_OP q8_vec q8v_set1i(int32_t v)
{
	return _mm256_set1_epi32(v);
}

Q8_OP q8_vecf q8v_loadf_part(const float *p, int64_t n)
{
	return _mm256_maskload_ps(p, q8v_lane_mask(n));
}

Q8_OP void q8v_storef_part(float *p, q8_vecf v, int64_t n)
{
	_mm256_maskstore_ps(p, q8v_lane_mask(n), v);
}

Q8_OP q8_vecf q8v_cvtf(q8_vec v)
{
	return _mm256_cvtepi32_ps(v);
}

Q8_OP q8_vecf q8v_mulf(q8_vecf a, q8_vecf b)
{
	return _mm256_mul_ps(a, b);
}

Q8_OP q8_vecf q8v_addf(q8_vecf a, q8_vecf b)
{
	return _mm256_add_ps(a, b);
}

Q8_OP q8_vecf q8v_set1f(float v)
{
	return _mm256_set1_ps(v);
}

/* maxps: a NaN t gives lo */
Q8_OP q8_vecf q8v_maxf(q8_vecf t, q8_vecf lo)
{
	return _mm256_max_ps(t, lo);
}

Q8_OP q8_vecf q8v_minf(q8_vecf t, q8_vecf hi)
{
	return _mm256_min_ps(t, hi);
}

/* cvtps2dq: round half to even under the default MXCSR */
Q8_OP q8_vec q8v_cvti(q8_vecf f)
{
	return _mm256_cvtps_epi32(f);
}

/* Up to 16 int32 in [0, 255] (r0, r1; a ymm set has nb <= 2, so r2 and r3 are unused) -> n
 * bytes: vpackusdw, vpackuswb (saturating), one vpermd to undo the 128-bit lane interleaving,
 * one store (or a copy). */
Q8_OP void q8v_store_row_u8(uint8_t *dst, q8_vec r0, q8_vec r1, q8_vec r2, q8_vec r3,
                            const int nb, int64_t n)
{
	(void)r2, (void)r3, (void)nb;
	__m256i w = _mm256_packs_epi32(r0, r1);
	__m256i b = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(w, w),
	                                        _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
	__m128i lo = _mm256_castsi256_si128(b);
	if (n == 16) {
		_mm_storeu_si128((__m128i *)dst, lo);
	} else if (n == 8) {
		_mm_storel_epi64((__m128i *)dst, lo);
	} else {
		uint8_t tmp[16];
		_mm_storeu_si128((__m128i *)tmp, lo);
		memcpy(dst, tmp, (size_t)n);
	}
}

/* The integer-clamp requantization (q8_conv_template.h, sat_clamp): up to 16 int32 of any
 * value (r0, r1) -> n bytes clamp(v, lo, hi) (lo, hi: every byte of bmin, bmax). vpackssdw
 * saturates to int16 and vpackuswb to [0, 255], both monotone, so the bytes are
 * clamp(v, 0, 255); vpmaxub / vpminub narrow that to [lo, hi]. */
Q8_OP void q8v_store_row_u8_sat(uint8_t *dst, q8_vec r0, q8_vec r1, q8_vec r2, q8_vec r3,
                                const int nb, int64_t n, q8_vec bmin, q8_vec bmax)
{
	(void)r2, (void)r3, (void)nb;
	__m256i w = _mm256_packs_epi32(r0, r1);
	__m256i b = _mm256_packus_epi16(w, w);
	b = _mm256_min_epu8(_mm256_max_epu8(b, bmin), bmax);
	b = _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
	__m128i lo = _mm256_castsi256_si128(b);
	if (n == 16) {
		_mm_storeu_si128((__m128i *)dst, lo);
	} else if (n == 8) {
		_mm_storel_epi64((__m128i *)dst, lo);
	} else {
		uint8_t tmp[16];
		_mm_storeu_si128((__m128i *)tmp, lo);
		memcpy(dst, tmp, (size_t)n);
	}
}

Q8_OP q8_vec q8v_set1b(int32_t v)
{
	return _mm256_set1_epi8((char)v);
}

/* 8 bytes at p zero-extended to 8 int32 lanes */
Q8_OP q8_vec q8v_loadu8_i32(const void *p)
{
	return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

#endif
