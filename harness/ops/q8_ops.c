/* The int8 op table (see q8_ops.h): one row per op the int8 executor can run. */
#include "ops/q8_ops.h"

#include <math.h>
#include <stddef.h>

/* Sigmoid in fp32: 1 / (1 + e^-x), expf from libm (the table is built once per model, on one
 * machine, so every kernel set reads the same bytes). */
float qx_q8_sigmoid(float x)
{
	return 1.0f / (1.0f + expf(-x));
}

/* HardSwish in fp32 as ONNX and PyTorch define it: x * min(max(x + 3, 0), 6) / 6, the
 * multiply before the division. */
float qx_q8_hardswish(float x)
{
	return x * fminf(fmaxf(x + 3.0f, 0.0f), 6.0f) / 6.0f;
}

static const struct qx_q8_op rows[QX_OP_COUNT] = {
	[QX_OP_CONV] = { QX_Q8_LINEAR, QX_Q8_IN_WEIGHTED, 0, 0, NULL },
	[QX_OP_GEMM] = { QX_Q8_LINEAR, QX_Q8_IN_WEIGHTED, 1, 0, NULL },
	[QX_OP_MATMUL] = { QX_Q8_LINEAR, QX_Q8_IN_WEIGHTED, 1, 0, NULL },
	[QX_OP_MAXPOOL] = { QX_Q8_MAXPOOL, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_AVGPOOL] = { QX_Q8_AVGPOOL, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_GLOBALAVGPOOL] = { QX_Q8_AVGPOOL, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_RELU] = { QX_Q8_COPY, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_CLIP] = { QX_Q8_COPY, QX_Q8_IN_DATA, 0, 1, NULL },       /* bounds: constants */
	[QX_OP_IDENTITY] = { QX_Q8_COPY, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_DROPOUT] = { QX_Q8_COPY, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_FLATTEN] = { QX_Q8_COPY, QX_Q8_IN_ACTS, 0, 1, NULL },
	[QX_OP_RESHAPE] = { QX_Q8_COPY, QX_Q8_IN_DATA, 0, 1, NULL },    /* shape: a constant */
	[QX_OP_ADD] = { QX_Q8_ADD, QX_Q8_IN_BROADCAST2, 0, 0, NULL },
	[QX_OP_MUL] = { QX_Q8_MUL, QX_Q8_IN_BROADCAST2, 0, 0, NULL },
	[QX_OP_CONCAT] = { QX_Q8_CONCAT, QX_Q8_IN_ACTS, 0, 0, NULL },
	[QX_OP_SIGMOID] = { QX_Q8_TABLE, QX_Q8_IN_ACTS, 0, 0, qx_q8_sigmoid },
	[QX_OP_HARDSWISH] = { QX_Q8_TABLE, QX_Q8_IN_ACTS, 0, 0, qx_q8_hardswish },
};

const struct qx_q8_op *qx_q8_op_of(enum qx_op op)
{
	static const struct qx_q8_op none = { QX_Q8_FLOAT_ONLY, QX_Q8_IN_ACTS, 0, 0, NULL };
	return (int)op >= 0 && op < QX_OP_COUNT ? &rows[op] : &none;
}

static int same_dims(const struct qx_tensor *a, const struct qx_tensor *b)
{
	if (a->ndim != b->ndim)
		return 0;
	for (int i = 0; i < a->ndim; i++)
		if (a->dims[i] != b->dims[i])
			return 0;
	return 1;
}

struct qx_q8_bcast qx_q8_broadcast(const struct qx_tensor *a, const struct qx_tensor *b,
                                   const struct qx_tensor *y)
{
	struct qx_q8_bcast r = { 0 };
	if (same_dims(a, b) && same_dims(a, y)) {
		r.kind = QX_Q8_BCAST_SAME;
		return r;
	}
	r.big = same_dims(b, y) && !same_dims(a, y);
	const struct qx_tensor *big = r.big ? b : a, *small = r.big ? a : b;
	if (!same_dims(big, y))
		return r;
	if (qx_tensor_numel(small) == 1) {
		r.kind = QX_Q8_BCAST_SCALAR;
		return r;
	}
	if (big->ndim == 4 && small->ndim == 4 && small->dims[2] == 1 && small->dims[3] == 1 &&
	    (small->dims[0] == 1 || small->dims[0] == big->dims[0]) &&
	    (small->dims[1] == 1 || small->dims[1] == big->dims[1])) {
		r.kind = QX_Q8_BCAST_CHANNEL;
		r.n = big->dims[0];
		r.c = big->dims[1];
		r.hw = big->dims[2] * big->dims[3];
		r.small_n = small->dims[0] != 1;
		r.small_c = small->dims[1] != 1;
	}
	return r;
}

void qx_q8_table_build(float (*fn)(float), float x_scale, int32_t x_zp, float y_scale,
                       int32_t y_zp, int32_t y_min, int32_t y_max,
                       void (*quantize)(const float *x, size_t count, float scale, int32_t zp,
                                        int32_t qmin, int32_t qmax, uint8_t *q),
                       uint8_t table[256])
{
	float f[256];
	for (int q = 0; q < 256; q++)
		f[q] = fn((float)(q - x_zp) * x_scale);
	quantize(f, 256, y_scale, y_zp, y_min, y_max, table);
}
