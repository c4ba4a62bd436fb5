/* N-D tensor ops without a kernel table: elementwise math, data movement, reductions, resize,
 * transposed convolution. Plain C, shared by every kernel set (so every set gives the same
 * answer for them) and by import-time constant folding.
 *
 * Tensors are dense row-major; shapes are (rank, dims) pairs with rank <= QX_ND_MAX_DIMS.
 * Data-movement functions take an element size, so the same code moves float and int64 values.
 * Nothing here allocates more than a few dims on the stack; no function keeps a pointer after it
 * returns. */
#ifndef QX_ND_OPS_H
#define QX_ND_OPS_H

#include <stddef.h>
#include <stdint.h>

#define QX_ND_MAX_DIMS 6

/* ---- elementwise ---------------------------------------------------------------------- */

enum qx_nd_unop {
	QX_ND_RELU,
	QX_ND_SIGMOID,      /* 1 / (1 + exp(-x)) */
	QX_ND_HARDSIGMOID,  /* max(0, min(1, alpha * x + beta)) */
	QX_ND_HARDSWISH,    /* x * max(0, min(1, x / 6 + 1 / 2)) */
	QX_ND_TANH,
	QX_ND_LEAKYRELU,    /* x < 0 ? alpha * x : x */
	QX_ND_SQRT,
	QX_ND_ERF,
	QX_ND_CLIP,         /* min(max(x, alpha), beta) */
};

/* y[i] = op(x[i]) for n values; alpha / beta as the op says (ignored otherwise). x may be y. */
void qx_nd_unary_f32(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
                     int64_t n);

enum qx_nd_binop { QX_ND_ADD, QX_ND_SUB, QX_ND_MUL, QX_ND_DIV, QX_ND_POW, QX_ND_PRELU };

/* Strides of a tensor of shape (ndim, dims) in the index space of a broadcast result of rank r
 * (numpy rules: dims align at the end; a dim of 1 gets stride 0). strides has r entries. */
void qx_nd_bcast_strides(int r, int ndim, const int64_t *dims, int64_t *strides);

/* y = a op b over the broadcast shape (r, ydims); sa / sb from qx_nd_bcast_strides. PRelu is
 * a < 0 ? a * b : a. */
void qx_nd_binary_f32(enum qx_nd_binop op, int r, const int64_t *ydims, const float *a,
                      const int64_t *sa, const float *b, const int64_t *sb, float *y);

/* The same for int64 (ADD, SUB, MUL, DIV truncating toward zero as ONNX). Returns 0, or -1 for
 * a division by zero or an op int64 does not have (POW, PRELU). */
int qx_nd_binary_i64(enum qx_nd_binop op, int r, const int64_t *ydims, const int64_t *a,
                     const int64_t *sa, const int64_t *b, const int64_t *sb, int64_t *y);

/* ---- data movement (any element size) ---------------------------------------------------- */

/* y = x with its axes permuted: y.dims[i] = x.dims[perm[i]]. */
void qx_nd_transpose(size_t esz, int r, const int64_t *xdims, const int64_t *perm,
                     const void *x, void *y);

/* y[i0..] = x[start[0] + i0 * step[0], ...] for the box ydims (steps may be negative; the
 * caller clamps start / ydims so every read is inside x). Split is a slice with step 1. */
void qx_nd_slice(size_t esz, int r, const int64_t *xdims, const int64_t *start,
                 const int64_t *step, const int64_t *ydims, const void *x, void *y);

/* Gather along one axis: x viewed as [outer, axis_len, inner], idx holds n_idx indices in
 * [-axis_len, axis_len) (negative counts from the end); y is [outer, n_idx, inner]. */
void qx_nd_gather(size_t esz, int64_t outer, int64_t axis_len, int64_t inner,
                  const int64_t *idx, int64_t n_idx, const void *x, void *y);

enum qx_nd_pad_mode { QX_ND_PAD_CONSTANT, QX_ND_PAD_REFLECT, QX_ND_PAD_EDGE };

/* Pads x by pads[i] before and pads[r + i] after axis i (all >= 0; reflect needs pads below
 * the axis' size): ONNX's Pad for float. */
void qx_nd_pad_f32(enum qx_nd_pad_mode mode, int r, const int64_t *xdims, const int64_t *pads,
                   float value, const float *x, float *y);

/* ---- reductions and normalization ------------------------------------------------------- */

/* y = mean of x over the axes where reduce[i] is set (ydims: x's with those axes set to 1).
 * Sums in double. */
void qx_nd_reduce_mean_f32(int r, const int64_t *xdims, const int *reduce, const float *x,
                           float *y);

/* y[p] = max over plane p of x viewed as [planes, inner]; NaN propagates. */
void qx_nd_plane_max_f32(int64_t planes, int64_t inner, const float *x, float *y);

/* y[p] = mean of plane p of x viewed as [planes, inner]. */
void qx_nd_plane_mean_f32(int64_t planes, int64_t inner, const float *x, float *y);

/* LayerNormalization over x viewed as [outer, inner]: y = (x - mean) / sqrt(var + eps) *
 * scale + bias, scale / bias ([inner]) broadcast over rows (bias may be NULL). mean / inv_std
 * ([outer]) are written when not NULL. Statistics in double. */
void qx_nd_layernorm_f32(int64_t outer, int64_t inner, float epsilon, const float *x,
                         const float *scale, const float *bias, float *y, float *mean,
                         float *inv_std);

/* Softmax over x viewed as [outer, len, inner], along len. */
void qx_nd_softmax_f32(int64_t outer, int64_t len, int64_t inner, const float *x, float *y);

/* ---- resize ---------------------------------------------------------------------------- */

enum qx_nd_coord {
	QX_ND_COORD_HALF_PIXEL, QX_ND_COORD_PYTORCH_HALF_PIXEL, QX_ND_COORD_ALIGN_CORNERS,
	QX_ND_COORD_ASYMMETRIC
};
enum qx_nd_nearest {
	QX_ND_NEAREST_ROUND_PREFER_FLOOR, QX_ND_NEAREST_ROUND_PREFER_CEIL, QX_ND_NEAREST_FLOOR,
	QX_ND_NEAREST_CEIL
};

/* Resize with nearest (any axes) or, when linear is set, linear interpolation (over every axis
 * whose size changes: at most the last two, the caller checks). scale[i] = output / input as
 * ONNX gives it (used by half_pixel / asymmetric). */
void qx_nd_resize_f32(int linear, enum qx_nd_coord coord, enum qx_nd_nearest nearest, int r,
                      const int64_t *xdims, const int64_t *ydims, const float *scale,
                      const float *x, float *y);

/* ---- transposed convolution -------------------------------------------------------------- */

struct qx_nd_deconv_desc {
	int64_t n, c, h, w;       /* input */
	int64_t oc, oh, ow;       /* output (all groups) */
	int kh, kw, sh, sw, dh, dw;
	int pt, pl;               /* padding removed at the top / left of the full output */
	int groups;
};

/* 2-D ConvTranspose: w is [c][oc / groups][kh][kw], bias [oc] or NULL; y is NCHW. */
void qx_nd_deconv_f32(const struct qx_nd_deconv_desc *d, const float *x, const float *w,
                      const float *bias, float *y);

#endif
