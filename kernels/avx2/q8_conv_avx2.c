/* The AVX2 int8 set: convolution, depthwise convolution and dynamic GEMM from the x86 int8
 * templates with avx2/q8_avx2_ops.h (vpmaddwd on 16-bit operands; why, there), and, for inputs
 * the plan proves lie in 0..127 (desc.in_u7), the vpmaddubsw form of avx2/q8_conv_avx2u7.c,
 * chosen once at pack time. Runs only after qx_kernels_available(QX_KSET_AVX2). Pooling and
 * element-wise ops: kernels/avx2/q8_eltwise_avx2.c; table lookup: scalar. */
#include "avx2/q8_avx2_ops.h"
#include "avx2/q8_conv_avx2u7.h"
#include "avx2/q8_eltwise_avx2.h"
#include "x86/q8_conv_template.h"


static const struct qx_q8_simd_shape shape = {
	.lanes = 8, .kgroup = 2, .elem_size = 2, .nb_max = 2,
	.mr = { 0, Q8_MR(1), Q8_MR(2), Q8_MR(3), Q8_MR(4) },
};

/* The packed object's shape says which form packed it, so conv runs the same one. */
static int avx2_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                          const int32_t *bias, const float *multiplier, void **packed)
{
	const struct qx_q8_simd_shape *s = qx_q8_conv_desc_valid(d) && d->in_u7
	                                   ? &qx_q8_avx2u7_shape : &shape;
	return qx_q8_simd_conv_pack(s, d, w_ohwi, bias, multiplier, packed);
}

static void avx2_conv_any(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                          int64_t pix_end)
{
	const struct qx_q8_simd_conv *p = packed;
	if (p->shape.kgroup == qx_q8_avx2u7_shape.kgroup)
		qx_q8_avx2u7_conv(packed, x, y, pix_begin, pix_end);
	else
		avx2_conv(packed, x, y, pix_begin, pix_end);
}

int qx_q8_avx2_conv_uses_maddubs(const void *packed)
{
	const struct qx_q8_simd_conv *p = packed;
	return p->shape.kgroup == qx_q8_avx2u7_shape.kgroup;
}

static int avx2_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk, void **packed)
{
	return qx_q8_simd_gemm_pack(&shape, gd, w_nk, packed);
}

const struct qx_kernels_q8 qx_q8_avx2 = {
	.conv_pack = avx2_conv_pack,
	.conv = avx2_conv_any,
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
	.avgpool = qx_q8_avx2_avgpool,
};
