/* The functions each x86 fp32 set defines from the f32_*_template.h files, named with the
 * including ops header's F32_FN prefix (qx_f32_avx2_..., qx_f32_avx512_...). No include guard:
 * a translation unit includes one ops header, then this. */
#include <stdint.h>

#include "kernels_f32.h"

int F32_FN(conv_pack)(const struct qx_f32_conv_desc *d, const float *w_oihw, const float *bias,
                      void **packed);
void F32_FN(conv)(const void *packed, const float *x, float *y, int64_t row_begin, int64_t row_end);
void F32_FN(pack_free)(void *packed);
void F32_FN(matmul)(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs, int64_t a_cs,
                    const float *b, int64_t b_rs, int64_t b_cs, const float *bias, float act_min,
                    float act_max, float *y, int64_t row_begin, int64_t row_end);
void F32_FN(maxpool)(const struct qx_f32_conv_desc *d, const float *x, float *y,
                     int64_t row_begin, int64_t row_end);
void F32_FN(avgpool)(const struct qx_f32_conv_desc *d, int count_include_pad, const float *x,
                     float *y, int64_t row_begin, int64_t row_end);
int F32_FN(unary)(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
                  int64_t n);
void F32_FN(sigmoid)(const float *x, float *y, int64_t n);
void F32_FN(silu)(const float *x, float *y, int64_t n);
int F32_FN(binary)(enum qx_nd_binop op, const float *a, int a_per_plane, const float *b,
                   int b_per_plane, float *y, int64_t planes, int64_t len);
void F32_FN(batchnorm)(const float *x, float *y, int64_t planes, int64_t len, int64_t ch,
                       const float *mean, const float *sd, const float *scale, const float *bias);
