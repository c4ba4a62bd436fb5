/* The scalar set's elementwise entries: qx_nd_unary_f32 itself, the reference the SIMD sets'
 * unary matches bit for bit and their sigmoid is held to. */
#include "scalar/f32_scalar.h"

int qx_f32_scalar_unary(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
                        int64_t n)
{
	switch (op) {
	case QX_ND_RELU:
	case QX_ND_CLIP:
	case QX_ND_HARDSIGMOID:
	case QX_ND_HARDSWISH:
		qx_nd_unary_f32(op, alpha, beta, x, y, n);
		return 0;
	default:
		return -1;
	}
}

void qx_f32_scalar_sigmoid(const float *x, float *y, int64_t n)
{
	qx_nd_unary_f32(QX_ND_SIGMOID, 0.0f, 0.0f, x, y, n);
}

void qx_f32_scalar_silu(const float *x, float *y, int64_t n)
{
	for (int64_t i = 0; i < n; i++) {
		float v = x[i], s;
		qx_nd_unary_f32(QX_ND_SIGMOID, 0.0f, 0.0f, &v, &s, 1);
		y[i] = v * s;
	}
}

int qx_f32_scalar_binary(enum qx_nd_binop op, const float *a, int a_per_plane, const float *b,
                         int b_per_plane, float *y, int64_t planes, int64_t len)
{
	if (op != QX_ND_ADD && op != QX_ND_SUB && op != QX_ND_MUL && op != QX_ND_DIV)
		return -1;
	for (int64_t p = 0; p < planes; p++) {
		const float *ap = a_per_plane ? a + p : a + p * len;
		const float *bp = b_per_plane ? b + p : b + p * len;
		float *yp = y + p * len;
		for (int64_t i = 0; i < len; i++) {
			float u = ap[a_per_plane ? 0 : i], v = bp[b_per_plane ? 0 : i];
			yp[i] = op == QX_ND_ADD ? u + v : op == QX_ND_SUB ? u - v : op == QX_ND_MUL ? u * v : u / v;
		}
	}
	return 0;
}

void qx_f32_scalar_batchnorm(const float *x, float *y, int64_t planes, int64_t len, int64_t ch,
                             const float *mean, const float *sd, const float *scale,
                             const float *bias)
{
	for (int64_t p = 0; p < planes; p++) {
		int64_t c = p % ch;
		for (int64_t j = 0; j < len; j++)
			y[p * len + j] = (x[p * len + j] - mean[c]) / sd[c] * scale[c] + bias[c];
	}
}
