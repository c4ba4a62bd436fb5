/* The AVX-VNNI int8 set: the VEX-encoded 256-bit vpdpbusd (u8 x s8 -> s32, four products per
 * lane, no saturation), 8 output channels per ymm; tiles of 6 pixels x 16 channels (12
 * accumulators + 2 weight vectors + 1 broadcast of the 16 ymm registers) or 12 x 8.
 * Compiled with -mavx2 -mfma -mavxvnni; runs only after qx_kernels_available(QX_KSET_AVXVNNI).
 * Element-wise ops and max pooling come from AVX2, average pooling from scalar. */
#include "avx2/q8_avx2.h"
#include "q8_common.h"

#include <immintrin.h>

#define Q8_SET(name) avxvnni_##name
#define Q8_LANES 8
#define Q8_KGROUP 4
#define Q8_ELEM uint8_t
#define Q8_WELEM int8_t
#define Q8_WIDE 0
#define Q8_COPY_SEG(dst, src, len, end) qx_q8_copy_seg(dst, src, len, end)
#define Q8_COPY_SHORT(dst, src) memcpy(dst, src, 4)
#define Q8_NB_MAX 2
#define Q8_MR(nb) ((nb) == 2 ? 6 : 12)
typedef __m256i q8_vec;
typedef __m256 q8_vecf;

#define V_LOADW(p) _mm256_loadu_si256((const __m256i *)(p))
#define V_BCAST(p) qx_q8_ymm_bcast32(p)
/* {vex} vpdpbusd through asm with the accumulator tied in place: with the intrinsic, GCC 12
 * copies every accumulator to a scratch register on each step. */
static inline __m256i dot(__m256i acc, __m256i a, __m256i w)
{
	__asm__("%{vex%} vpdpbusd %2, %1, %0" : "+x"(acc) : "x"(a), "x"(w));
	return acc;
}
#define V_DOT(acc, a, w) dot(acc, a, w)
#define V_LOADI(p) _mm256_loadu_si256((const __m256i *)(p))
#define V_SUBI(a, b) _mm256_sub_epi32(a, b)
#define V_ADDI(a, b) _mm256_add_epi32(a, b)
#define V_MULLO(a, b) _mm256_mullo_epi32(a, b)
#define V_SET1I(v) _mm256_set1_epi32(v)
#define V_LOADF_PART(p, n) _mm256_maskload_ps(p, qx_q8_ymm_lane_mask(n))
#define V_STOREF_PART(p, v, n) _mm256_maskstore_ps(p, qx_q8_ymm_lane_mask(n), v)
#define V_CVTF(v) _mm256_cvtepi32_ps(v)
#define V_MULF(a, b) _mm256_mul_ps(a, b)
#define V_ADDF(a, b) _mm256_add_ps(a, b)
#define V_SET1F(v) _mm256_set1_ps(v)
#define V_MAXF(t, lo) _mm256_max_ps(t, lo)
#define V_MINF(t, hi) _mm256_min_ps(t, hi)
#define V_CVTI(f) _mm256_cvtps_epi32(f)
#define V_STORE_ROW_U8(p, r0, r1, r2, r3, nb, n)                                               \
	((void)(r2), (void)(r3), qx_q8_ymm_store_row(p, r0, r1, n))

#define V_LOADU8_I32(p) qx_q8_ymm_load_u8_epi32(p)

#include "q8_simd_template.h"

static const struct qx_q8_simd_shape shape = {
	.lanes = 8, .kgroup = 4, .elem_size = 1, .nb_max = 2,
	.mr = { 0, Q8_MR(1), Q8_MR(2), Q8_MR(3), Q8_MR(4) },
};

static int avxvnni_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                             const int32_t *bias, const float *multiplier, void **packed)
{
	return qx_q8_simd_conv_pack(&shape, d, w_ohwi, bias, multiplier, packed);
}

static int avxvnni_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk, void **packed)
{
	return qx_q8_simd_gemm_pack(&shape, gd, w_nk, packed);
}

const struct qx_kernels_q8 qx_q8_avxvnni = {
	.conv_pack = avxvnni_conv_pack,
	.conv = avxvnni_conv,
	.gemm_pack = avxvnni_gemm_pack,
	.gemm_f32out = avxvnni_gemm_f32out,
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
