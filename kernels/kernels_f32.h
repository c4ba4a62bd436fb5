/* fp32 kernels: the part of struct qx_kernels the fp32 executor calls.
 *
 * Layout: NCHW, as ONNX. Weights are packed once per kernel set (conv_pack / gemm_pack) into the
 * layout that set wants. Results need not be bit-identical across sets (fp32 sums in a different
 * order round differently); tests/test_f32_kernels.c holds each set's result to scalar's within
 * (K + 2) * FLT_EPSILON * (sum |w x| + |bias|), K the terms summed (its header says why).
 *
 * Work splitting: run functions take a half-open range of the work so a thread pool can split one
 * call; [0, total) computes everything. Disjoint ranges on one packed object may run concurrently.
 * Run functions never allocate: the conv and matmul kernels keep their tiles and buffers on the
 * stack (up to about 170 KiB per call), so worker threads need ordinary (>= 256 KiB) stacks. */
#ifndef QX_KERNELS_F32_H
#define QX_KERNELS_F32_H

#include <stddef.h>
#include <stdint.h>

#include "nd_ops.h"

struct qx_f32_conv_desc {
	int64_t n, c, h, w;       /* input: batch, channels (all groups), height, width */
	int64_t oc, oh, ow;       /* output channels (all groups), height, width */
	int kh, kw, sh, sw, dh, dw;
	int pt, pl, pb, pr;       /* padding top, left, bottom, right (zeros) */
	int groups;
	float act_min, act_max;   /* fused clamp on the output; -INFINITY / INFINITY for none */
};

struct qx_kernels_f32 {
	/* Packs w: OIHW [oc][c/groups][kh][kw] and bias [oc] (NULL = zeros). Copies what it needs.
	 * Returns 0, or -1 when out of memory. */
	int (*conv_pack)(const struct qx_f32_conv_desc *d, const float *w_oihw, const float *bias,
	                 void **packed);
	/* y: NCHW for the output rows [row_begin, row_end) of n*oc*oh (row = one output image row of
	 * one channel). */
	void (*conv)(const void *packed, const float *x, float *y, int64_t row_begin, int64_t row_end);
	void (*pack_free)(void *packed);

	/* y[i][j] = sum_k a(i, k) * b(k, j) for rows [row_begin, row_end) of y (m x n), where
	 * a(i, k) = a[i * a_rs + k * a_cs] and b(k, j) = b[k * b_rs + j * b_cs]: strides let Gemm's
	 * transA / transB and MatMul run without copies. Then y[i][j] = clamp(y[i][j] + bias[j]) when
	 * bias is not NULL (act_min/act_max always apply). */
	void (*matmul)(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs, int64_t a_cs,
	               const float *b, int64_t b_rs, int64_t b_cs, const float *bias, float act_min,
	               float act_max, float *y, int64_t row_begin, int64_t row_end);

	/* Pooling over NCHW; desc's oc == c, groups == c; act clamp applies. Rows as in conv. */
	void (*maxpool)(const struct qx_f32_conv_desc *d, const float *x, float *y, int64_t row_begin,
	                int64_t row_end);
	void (*avgpool)(const struct qx_f32_conv_desc *d, int count_include_pad, const float *x,
	                float *y, int64_t row_begin, int64_t row_end);

	/* y[i] = op(x[i]) for i < n (y may be x) for the clamp-like ops QX_ND_RELU, QX_ND_CLIP,
	 * QX_ND_HARDSIGMOID and QX_ND_HARDSWISH, alpha / beta as qx_nd_unary_f32 takes them, and
	 * bit-identical to it in every set (the same IEEE operations in the same order). Returns 0,
	 * or -1 (nothing written) for any other op. */
	int (*unary)(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
	             int64_t n);
	/* y[i] = 1 / (1 + exp(-x[i])) for i < n (y may be x). Scalar: qx_nd_unary_f32's (libm expf);
	 * the SIMD sets: a polynomial exp, within QX_F32_SIGMOID_REL_TOL * |scalar| + FLT_MIN of it
	 * (kernels/x86/f32_eltwise_template.h says why). */
	void (*sigmoid)(const float *x, float *y, int64_t n);
	/* y[i] = x[i] * sigmoid(x[i]) (SiLU) for i < n (y may be x): the sigmoid above, then one
	 * multiply, so the same bits as sigmoid followed by a Mul. */
	void (*silu)(const float *x, float *y, int64_t n);
	/* y = a op b over planes x len values for op QX_ND_ADD, SUB, MUL or DIV, bit-identical to
	 * qx_nd_binary_f32 (one IEEE operation per value): an operand holds planes x len values, or
	 * one value per plane when its *_per_plane is set (a [N,C,H,W] tensor with a [N,C,1,1] one:
	 * squeeze-excitation). y may be a or b. Returns 0, or -1 (nothing written) for other ops. */
	int (*binary)(enum qx_nd_binop op, const float *a, int a_per_plane, const float *b,
	              int b_per_plane, float *y, int64_t planes, int64_t len);
	/* Inference BatchNormalization over planes x len values, channel c = plane % ch:
	 * y = (x - mean[c]) / sd[c] * scale[c] + bias[c], those four operations in that order (the
	 * bits of qx_node_eval's), sd = sqrtf(var + epsilon) worked out by the caller. y may be x. */
	void (*batchnorm)(const float *x, float *y, int64_t planes, int64_t len, int64_t ch,
	                  const float *mean, const float *sd, const float *scale, const float *bias);
};

/* The SIMD sets' sigmoid against scalar's: relative, plus FLT_MIN absolute. */
#define QX_F32_SIGMOID_REL_TOL (4.0 * 1.1920928955078125e-7)

#endif
