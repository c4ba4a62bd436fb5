/* The AVX2 + FMA fp32 kernel set. Runs only where qx_kernels_available() allows its set. */
#include "avx2/f32_avx2_ops.h"
#include "x86/f32_decls_template.h"

const struct qx_kernels_f32 qx_f32_avx2 = {
	.conv_pack = F32_FN(conv_pack),
	.conv = F32_FN(conv),
	.pack_free = F32_FN(pack_free),
	.matmul = F32_FN(matmul),
	.maxpool = F32_FN(maxpool),
	.avgpool = F32_FN(avgpool),
	.unary = F32_FN(unary),
	.sigmoid = F32_FN(sigmoid),
	.silu = F32_FN(silu),
	.binary = F32_FN(binary),
	.batchnorm = F32_FN(batchnorm),
};
