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
