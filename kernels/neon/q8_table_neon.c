/* The NEON int8 kernel set (AArch64 Advanced SIMD, always present there), and the run-time check
 * for the optional dot product instructions its convolution micro-kernel prefers. */
#include "q8_neon.h"
#include "q8_common.h"

#include <sys/auxv.h>

#if defined(__AARCH64EB__)
#error "the NEON kernels assume little-endian lane order"
#endif

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20) /* Linux arch/arm64 uapi hwcap.h */
#endif

int qx_neon_has_dotprod(void)
{
	return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
}

const struct qx_kernels_q8 qx_q8_neon = {
	.conv_pack = qx_q8_neon_conv_pack,
	.conv = qx_q8_neon_conv,
	.gemm_pack = qx_q8_neon_gemm_pack,
	.gemm_f32out = qx_q8_neon_gemm_f32out,
	.pack_free = qx_q8_neon_pack_free,
	.quantize = qx_q8_neon_quantize,
	.dequantize = qx_q8_neon_dequantize,
	.requantize = qx_q8_neon_requantize,
	.add = qx_q8_neon_add,
	.mul = qx_q8_neon_mul,
	.lookup = qx_q8_scalar_lookup,
	.maxpool = qx_q8_neon_maxpool,
	.avgpool = qx_q8_neon_avgpool,
};
