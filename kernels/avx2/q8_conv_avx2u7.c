/* The AVX2 set's convolution for inputs proved to lie in 0..127 (desc.in_u7): the x86 int8
 * templates with avx2/q8_avx2u7_ops.h (vpmaddubsw; why it is exact there, in that header).
 * avx2/q8_conv_avx2.c packs with this shape and calls qx_q8_avx2u7_conv when the desc allows
 * it; nothing else uses these. */
#define Q8_CONV_ONLY 1 /* no dynamic GEMM in this form: the GEMM has no input range */
#include "avx2/q8_avx2u7_ops.h"
#include "avx2/q8_conv_avx2u7.h"
#include "x86/q8_conv_template.h"

const struct qx_q8_simd_shape qx_q8_avx2u7_shape = {
	.lanes = 8, .kgroup = 4, .elem_size = 1, .nb_max = 2,
	.mr = { 0, Q8_MR(1), Q8_MR(2), Q8_MR(3), Q8_MR(4) },
};

void qx_q8_avx2u7_conv(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                       int64_t pix_end)
{
	avx2u7_conv(packed, x, y, pix_begin, pix_end);
}
