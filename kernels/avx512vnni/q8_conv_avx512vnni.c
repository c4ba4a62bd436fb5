/* The AVX512-VNNI int8 set: convolution, depthwise convolution and dynamic GEMM from the x86
 * int8 templates with avx512vnni/q8_avx512vnni_ops.h. Runs only after
 * qx_kernels_available(QX_KSET_AVX512VNNI). Element-wise ops and pooling come from AVX2
 * (every AVX512 CPU has it); table lookup from scalar. */
#include "avx512vnni/q8_avx512vnni_ops.h"
#include "avx2/q8_eltwise_avx2.h"
#include "x86/q8_conv_template.h"


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
	.avgpool = qx_q8_avx2_avgpool,
};
