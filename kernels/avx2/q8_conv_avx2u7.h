/* The AVX2 set's 0..127 convolution (avx2/q8_conv_avx2u7.c), used by avx2/q8_conv_avx2.c. */
#ifndef QX_KERNELS_AVX2_Q8_CONV_AVX2U7_H
#define QX_KERNELS_AVX2_Q8_CONV_AVX2U7_H

#include "q8_common.h"

/* vpmaddubsw tiles: 8 lanes, kgroup 4, bytes */
extern const struct qx_q8_simd_shape qx_q8_avx2u7_shape;
/* conv on an object qx_q8_simd_conv_pack packed with qx_q8_avx2u7_shape */
void qx_q8_avx2u7_conv(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                       int64_t pix_end);

#endif
