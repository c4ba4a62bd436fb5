/* The scalar int8 kernel set: the reference every other set is tested against, bit for bit. */
#include "q8_common.h"

const struct qx_kernels_q8 qx_q8_scalar = {
	.conv_pack = qx_q8_scalar_conv_pack,
	.conv = qx_q8_scalar_conv,
	.gemm_pack = qx_q8_scalar_gemm_pack,
	.gemm_f32out = qx_q8_scalar_gemm_f32out,
	.pack_free = qx_q8_scalar_pack_free,
	.quantize = qx_q8_scalar_quantize,
	.dequantize = qx_q8_scalar_dequantize,
	.requantize = qx_q8_scalar_requantize,
	.add = qx_q8_scalar_add,
	.mul = qx_q8_scalar_mul,
	.lookup = qx_q8_scalar_lookup,
	.maxpool = qx_q8_scalar_maxpool,
	.avgpool = qx_q8_scalar_avgpool,
};
