/* Private to kernels/scalar: the fp32 functions the table in f32_table.c collects, and the
 * register-blocked GEMM micro-kernel that conv and matmul share.
 *
 * The micro-kernel is plain C written so that GCC's -O2 vectorizer turns it into SSE2 (a 4 x 8
 * tile in eight 4-wide accumulators; no intrinsics, no -ffast-math). The sum over k runs in
 * order, so results do not depend on blocking except where a caller splits k into chunks. */
#ifndef QX_KERNELS_SCALAR_F32_SCALAR_H
#define QX_KERNELS_SCALAR_F32_SCALAR_H

#include <math.h>
#include <stdint.h>

#include "kernels_f32.h"

#define QX_F32_MR 4   /* rows of the tile: output channels (conv) or rows of y (matmul) */
#define QX_F32_NR 8   /* columns of the tile: output pixels (conv) or columns of y */

/* acc[r][j] += sum over k < kc of a[k][r] * b[k][j], in order of k, with a packed [kc][MR]
 * and b's rows ldb floats apart (b[k][j] = b[k * ldb + j], j < NR). */
void qx_f32_scalar_tile_4x8(int64_t kc, const float *a, const float *b, int64_t ldb,
                            float acc[QX_F32_MR][QX_F32_NR]);

/* min(max(v, lo), hi) in that order (lo > hi gives hi, as numpy.clip), letting NaN through
 * as an unfused graph would. */
static inline float qx_f32_clamp(float v, float lo, float hi)
{
	v = v < lo ? lo : v;
	return v > hi ? hi : v;
}

int qx_f32_scalar_conv_pack(const struct qx_f32_conv_desc *d, const float *w_oihw,
                            const float *bias, void **packed);
void qx_f32_scalar_conv(const void *packed, const float *x, float *y, int64_t row_begin,
                        int64_t row_end);
void qx_f32_scalar_pack_free(void *packed);
void qx_f32_scalar_matmul(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs,
                          int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs,
                          const float *bias, float act_min, float act_max, float *y,
                          int64_t row_begin, int64_t row_end);
void qx_f32_scalar_maxpool(const struct qx_f32_conv_desc *d, const float *x, float *y,
                           int64_t row_begin, int64_t row_end);
void qx_f32_scalar_avgpool(const struct qx_f32_conv_desc *d, int count_include_pad,
                           const float *x, float *y, int64_t row_begin, int64_t row_end);
int qx_f32_scalar_unary(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
                        int64_t n);
void qx_f32_scalar_sigmoid(const float *x, float *y, int64_t n);
void qx_f32_scalar_silu(const float *x, float *y, int64_t n);
void qx_f32_scalar_batchnorm(const float *x, float *y, int64_t planes, int64_t len, int64_t ch,
                             const float *mean, const float *sd, const float *scale,
                             const float *bias);
int qx_f32_scalar_binary(enum qx_nd_binop op, const float *a, int a_per_plane, const float *b,
                         int b_per_plane, float *y, int64_t planes, int64_t len);

#endif
