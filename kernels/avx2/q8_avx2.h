/* AVX2 int8 element-wise kernels and pools, shared by the AVX2, AVX-VNNI and AVX512-VNNI sets
 * (all of those CPUs have AVX2). Call only where qx_kernels_available() allows AVX2. */
#ifndef QX_KERNELS_Q8_AVX2_H
#define QX_KERNELS_Q8_AVX2_H

#include "kernels_q8.h"

#if defined(__AVX2__)
#include <immintrin.h>
#include <string.h>

/* Lanes [0, n) of a ymm of 8 int32 set (for maskload / maskstore). */
static inline __m256i qx_q8_ymm_lane_mask(int64_t n)
{
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
	                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Up to 16 int32 in [0, 255] (r0, r1) -> n bytes: vpackusdw, vpackuswb (saturating, as the
 * header says), one vpermd to undo the 128-bit lane interleaving, one store (or a copy). */
static inline __attribute__((always_inline)) void qx_q8_ymm_store_row(uint8_t *dst, __m256i r0,
                                                                      __m256i r1, int64_t n)
{
	__m256i w = _mm256_packus_epi32(r0, r1);
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

/* 8 bytes at p zero-extended to 8 int32 lanes */
static inline __m256i qx_q8_ymm_load_u8_epi32(const void *p)
{
	return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
}

/* 4 bytes at p broadcast to the 8 lanes */
static inline __m256i qx_q8_ymm_bcast32(const void *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return _mm256_set1_epi32(v);
}
#endif

void qx_q8_avx2_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, uint8_t *q);
void qx_q8_avx2_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x);
void qx_q8_avx2_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                           int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y);
void qx_q8_avx2_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                    float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y);
void qx_q8_avx2_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                    float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y);
void qx_q8_avx2_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                        int64_t pix_begin, int64_t pix_end);

#endif
