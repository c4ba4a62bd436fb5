/* The AVX2 int8 element-wise kernels, max and average pooling (q8_eltwise_avx2.c), which the AVX2,
 * AVX-VNNI and AVX512-VNNI sets share (all of those CPUs have AVX2). Call only where
 * qx_kernels_available() allows AVX2. */
#ifndef QX_KERNELS_AVX2_Q8_ELTWISE_AVX2_H
#define QX_KERNELS_AVX2_Q8_ELTWISE_AVX2_H

#include "kernels_q8.h"

void qx_q8_avx2_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, uint8_t *q);
void qx_q8_avx2_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x);
void qx_q8_avx2_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                           int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y);
void qx_q8_avx2_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                    float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y);
void qx_q8_avx2_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                    float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y);
void qx_q8_avx2_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                        int64_t pix_begin, int64_t pix_end);
void qx_q8_avx2_avgpool(const struct qx_q8_conv_desc *d, int count_include_pad, float multiplier,
                        const uint8_t *x, uint8_t *y, int64_t pix_begin, int64_t pix_end);

#endif
