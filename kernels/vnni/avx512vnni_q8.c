/* The AVX512-VNNI int8 set: vpdpbusd (u8 x s8 -> s32, four products per lane, no saturation)
 * on zmm, 16 output channels per vector; tiles of 12 pixels x 32 channels, 8 x 48 or 6 x 64
 * (24 accumulators, the weight vectors and one broadcast in the 32 zmm registers).
 *
 * Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512dq -mavx512vnni (Makefile); runs only
 * after qx_kernels_available(QX_KSET_AVX512VNNI). Element-wise ops and max pooling come from
 * AVX2 (every AVX512 CPU has it), average pooling from scalar. */
#include "q8_common.h"
#include "avx2/q8_avx2.h"

#include <immintrin.h>

#define Q8_SET(name) avx512vnni_##name
#define Q8_LANES 16
#define Q8_KGROUP 4
#define Q8_ELEM uint8_t
#define Q8_WELEM int8_t
#define Q8_WIDE 0
#define Q8_COPY_SEG(dst, src, len, end) qx_q8_copy_seg(dst, src, len, end)
#define Q8_COPY_SHORT(dst, src) memcpy(dst, src, 4)
#define Q8_NB_MAX 4
#define Q8_MR(nb) ((nb) == 4 ? 6 : (nb) == 3 ? 8 : 12)
typedef __m512i q8_vec;
typedef __m512 q8_vecf;

static inline __m512i bcast32(const void *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return _mm512_set1_epi32(v);
}

static inline __mmask16 lane_mask(int64_t n)
{
	return (__mmask16)((1u << n) - 1u);
}

#define V_LOADW(p) _mm512_loadu_si512((const void *)(p))
#define V_BCAST(p) bcast32(p)
/* vpdpbusd through asm with the accumulator tied in place: with the intrinsic, GCC 12 copies
 * every accumulator to a scratch register and stores it to the stack on each step. */
static inline __m512i dot(__m512i acc, __m512i a, __m512i w)
{
	__asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(w));
	return acc;
}
#define V_DOT(acc, a, w) dot(acc, a, w)
#define V_LOADI(p) _mm512_loadu_si512((const void *)(p))
#define V_SUBI(a, b) _mm512_sub_epi32(a, b)
#define V_ADDI(a, b) _mm512_add_epi32(a, b)
#define V_MULLO(a, b) _mm512_mullo_epi32(a, b)
#define V_SET1I(v) _mm512_set1_epi32(v)
#define V_LOADF_PART(p, n) _mm512_maskz_loadu_ps(lane_mask(n), p)
#define V_STOREF_PART(p, v, n) _mm512_mask_storeu_ps(p, lane_mask(n), v)
#define V_CVTF(v) _mm512_cvtepi32_ps(v)
#define V_MULF(a, b) _mm512_mul_ps(a, b)
#define V_ADDF(a, b) _mm512_add_ps(a, b)
#define V_SET1F(v) _mm512_set1_ps(v)
#define V_MAXF(t, lo) _mm512_max_ps(t, lo)
#define V_MINF(t, hi) _mm512_min_ps(t, hi)
#define V_CVTI(f) _mm512_cvtps_epi32(f)
#define V_STORE_ROW_U8(p, r0, r1, r2, r3, nb, n) store_row(p, r0, r1, r2, r3, nb, n)

/* Up to 64 int32 in [0, 255] -> bytes: vpackusdw, vpackuswb, one vpermd to undo the 128-bit
 * lane interleaving, one store; cheaper than a vpmovusdb store per vector. */
static inline __attribute__((always_inline)) void store_row(uint8_t *dst, __m512i r0, __m512i r1,
                                                            __m512i r2, __m512i r3, const int nb,
                                                            int64_t n)
{
	if (nb == 1) {
		_mm512_mask_cvtusepi32_storeu_epi8(dst, lane_mask(n), r0);
		return;
	}
	const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
	__m512i b = _mm512_packus_epi16(_mm512_packus_epi32(r0, r1), _mm512_packus_epi32(r2, r3));
	b = _mm512_permutexvar_epi32(order, b);
	if (n == 64)
		_mm512_storeu_si512(dst, b);
	else
		_mm512_mask_storeu_epi8(dst, n >= 64 ? ~(__mmask64)0 : ((__mmask64)1 << n) - 1, b);
}

#define V_LOADU8_I32(p) _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p)))

#include "q8_simd_template.h"

static const struct qx_q8_simd_shape shape = {
	.lanes = 16, .kgroup = 4, .elem_size = 1, .nb_max = 4,
	.mr = { 0, Q8_MR(1), Q8_MR(2), Q8_MR(3), Q8_MR(4) },
};

static int avx512vnni_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                                const int32_t *bias, const float *multiplier, void **packed)
{
	return qx_q8_simd_conv_pack(&shape, d, w_ohwi, bias, multiplier, packed);
}

static int avx512vnni_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk,
                                void **packed)
{
	return qx_q8_simd_gemm_pack(&shape, gd, w_nk, packed);
}

const struct qx_kernels_q8 qx_q8_avx512vnni = {
	.conv_pack = avx512vnni_conv_pack,
	.conv = avx512vnni_conv,
	.gemm_pack = avx512vnni_gemm_pack,
	.gemm_f32out = avx512vnni_gemm_f32out,
	.pack_free = qx_q8_simd_pack_free,
	.quantize = qx_q8_avx2_quantize,
	.dequantize = qx_q8_avx2_dequantize,
	.requantize = qx_q8_avx2_requantize,
	.add = qx_q8_avx2_add,
	.mul = qx_q8_avx2_mul,
	.lookup = qx_q8_scalar_lookup,
	.maxpool = qx_q8_avx2_maxpool,
	.avgpool = qx_q8_scalar_avgpool,
};
