/* The scalar fp32 kernel set: the reference every other set is measured against. */
#include "scalar/f32_scalar.h"

const struct qx_kernels_f32 qx_f32_scalar = {
	.conv_pack = qx_f32_scalar_conv_pack,
	.conv = qx_f32_scalar_conv,
	.pack_free = qx_f32_scalar_pack_free,
	.matmul = qx_f32_scalar_matmul,
	.maxpool = qx_f32_scalar_maxpool,
	.avgpool = qx_f32_scalar_avgpool,
	.unary = qx_f32_scalar_unary,
	.sigmoid = qx_f32_scalar_sigmoid,
	.silu = qx_f32_scalar_silu,
	.binary = qx_f32_scalar_binary,
	.batchnorm = qx_f32_scalar_batchnorm,
};
