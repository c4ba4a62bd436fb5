/* The AVX2 int8 set: convolution and dynamic GEMM with vpmaddwd on 16-bit operands.
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
 * Compiled with -mavx2 -mfma -mf16c; runs only after qx_kernels_available(QX_KSET_AVX2).
 * Max pooling and element-wise ops: kernels/avx2/q8_avx2_elementwise.c; average pooling: scalar. */
#include "avx2/q8_avx2.h"
#include "q8_common.h"

#include <immintrin.h>

#define Q8_SET(name) avx2_##name
#define Q8_LANES 8
#define Q8_KGROUP 2
#define Q8_ELEM int16_t
#define Q8_WELEM int16_t
#define Q8_NB_MAX 2
#define Q8_MR(nb) ((nb) == 2 ? 5 : 12)
typedef __m256i q8_vec;
typedef __m256 q8_vecf;

/* len input bytes -> int16 at dst, 16 at a time where src has the bytes (over-writing dst by
 * up to 15 elements: the row has slack), else one by one. */
static inline __attribute__((always_inline)) void copy_seg16(int16_t *dst, const uint8_t *src,
                                                             int64_t len, const uint8_t *src_end)
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

#define Q8_WIDE 1
#define Q8_COPY_SEG(dst, src, len, end) copy_seg16(dst, src, len, end)
#define Q8_COPY_SHORT(dst, src)                                                                \
	_mm256_storeu_si256((__m256i *)(dst),                                                  \
	                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src))))
#define V_LOADW(p) _mm256_loadu_si256((const __m256i *)(p))
#define V_BCAST(p) qx_q8_ymm_bcast32(p)
#define V_DOT(acc, a, w) _mm256_add_epi32(acc, _mm256_madd_epi16(a, w))
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
	.lanes = 8, .kgroup = 2, .elem_size = 2, .nb_max = 2,
	.mr = { 0, Q8_MR(1), Q8_MR(2), Q8_MR(3), Q8_MR(4) },
};

static int avx2_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                          const int32_t *bias, const float *multiplier, void **packed)
{
	return qx_q8_simd_conv_pack(&shape, d, w_ohwi, bias, multiplier, packed);
}

static int avx2_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk, void **packed)
{
	return qx_q8_simd_gemm_pack(&shape, gd, w_nk, packed);
}

const struct qx_kernels_q8 qx_q8_avx2 = {
	.conv_pack = avx2_conv_pack,
	.conv = avx2_conv,
	.gemm_pack = avx2_gemm_pack,
	.gemm_f32out = avx2_gemm_f32out,
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
