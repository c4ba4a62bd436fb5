/* The fp32 4x8 GEMM micro-kernel (see f32_scalar.h). */
#include "scalar/f32_scalar.h"

/* Left out of ASan/UBSan instrumentation: per-element checks make this loop, most of the fp32
 * run time, six times slower in the sanitizer build. It reads only what its callers (which are
 * instrumented) packed and sized: a weight panel and an im2col / matmul tile of kc rows. */
__attribute__((no_sanitize("address", "undefined")))
void qx_f32_scalar_tile_4x8(int64_t kc, const float *a, const float *b, int64_t ldb,
                            float acc[QX_F32_MR][QX_F32_NR])
{
	/* One named accumulator row per output row, so that the compiler keeps all four in
	 * registers across the k loop (an indexed 2-D local ends up on the stack). */
	float c0[QX_F32_NR], c1[QX_F32_NR], c2[QX_F32_NR], c3[QX_F32_NR];
	for (int j = 0; j < QX_F32_NR; j++) {
		c0[j] = acc[0][j];
		c1[j] = acc[1][j];
		c2[j] = acc[2][j];
		c3[j] = acc[3][j];
	}
	for (int64_t k = 0; k < kc; k++) {
		const float *ak = a + k * QX_F32_MR;
		const float *bk = b + k * ldb;
		float a0 = ak[0], a1 = ak[1], a2 = ak[2], a3 = ak[3];
#pragma GCC unroll 8
		for (int j = 0; j < QX_F32_NR; j++) {
			c0[j] += a0 * bk[j];
			c1[j] += a1 * bk[j];
			c2[j] += a2 * bk[j];
			c3[j] += a3 * bk[j];
		}
	}
	for (int j = 0; j < QX_F32_NR; j++) {
		acc[0][j] = c0[j];
		acc[1][j] = c1[j];
		acc[2][j] = c2[j];
		acc[3][j] = c3[j];
	}
}
