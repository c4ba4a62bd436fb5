/* The int8 op table: everything the harness knows about running each op in int8, in one place.
 *
 * For every harness op (enum qx_op), one row says
 *   - which inputs a static node needs (from which harness/plugin/view.c derives the modes a
 *     plugin may ask for, and validation which tensors need activation qparams),
 *   - whether dynamic mode exists (Gemm, MatMul),
 *   - whether the int8 output keeps its input's qparams (published to plugins per node in
 *     struct qx_graph_view.node_flags, and enforced by validation),
 *   - which step of the int8 executor runs it (harness/exec/exec_q8.c), and for table ops the
 *     float function the 256-entry table samples (docs/numerics.md).
 * Adding an int8 op means adding its row here; a new step kind only when no existing one fits.
 * Ops without a row run in float only. */
#ifndef QX_OPS_Q8_OPS_H
#define QX_OPS_Q8_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "model/graph.h"

/* How the int8 executor runs a node. */
enum qx_q8_step_kind {
	QX_Q8_FLOAT_ONLY = 0,   /* no int8 form */
	QX_Q8_LINEAR,           /* Conv, Gemm, MatMul: packed int8 weights, int32 bias */
	QX_Q8_MAXPOOL,
	QX_Q8_AVGPOOL,          /* AveragePool, GlobalAveragePool */
	QX_Q8_COPY,             /* a (re)quantized copy, relayout where a reshape needs it */
	QX_Q8_ADD,              /* two activations, one may broadcast (qx_q8_broadcast) */
	QX_Q8_MUL,              /* likewise */
	QX_Q8_CONCAT,           /* each input requantized into the output */
	QX_Q8_TABLE,            /* uint8 -> uint8 through a 256-entry table of fn */
};

/* Which inputs a static node reads as int8 activations. */
enum qx_q8_inputs {
	QX_Q8_IN_ACTS = 0,      /* every input is an activation */
	QX_Q8_IN_DATA,          /* input 0 is an activation, the others constants (shape, bounds) */
	QX_Q8_IN_WEIGHTED,      /* input 0 an activation, then a constant weight and bias */
	QX_Q8_IN_BROADCAST2,    /* two activations, the smaller broadcast (qx_q8_broadcast) */
};

struct qx_q8_op {
	enum qx_q8_step_kind step;
	enum qx_q8_inputs inputs;
	int dynamic;            /* also QX_MODE_DYNAMIC (weighted ops with 2-D weights) */
	int keeps_qparams;      /* the output has its input's qparams */
	float (*fn)(float);     /* QX_Q8_TABLE: the op in fp32 (docs/numerics.md gives each) */
};

/* The row of op (a row of zeros, QX_Q8_FLOAT_ONLY, for ops without one). Never NULL. */
const struct qx_q8_op *qx_q8_op_of(enum qx_op op);

/* The element-wise broadcasts the int8 Add and Mul run (logical shapes; int8 4-D tensors are
 * NHWC, so a [N or 1, C or 1, 1, 1] operand is one row of C values per image). */
enum qx_q8_bcast_kind {
	QX_Q8_BCAST_NONE = 0,   /* not supported: the node stays float */
	QX_Q8_BCAST_SAME,       /* equal shapes */
	QX_Q8_BCAST_SCALAR,     /* the small operand has one value */
	QX_Q8_BCAST_CHANNEL,    /* big [N, C, H, W], small [N or 1, C or 1, 1, 1] (SE gates) */
};
struct qx_q8_bcast {
	enum qx_q8_bcast_kind kind;
	int big;                /* which input (0 or 1) has the output's shape */
	int64_t n, hw, c;       /* CHANNEL: the big operand's batch, pixels per image, channels */
	int small_n, small_c;   /* CHANNEL: whether the small operand has its own batch / channels */
};

/* How y = a op b broadcasts (a, b: the inputs, y: the output); kind NONE when not supported. */
struct qx_q8_bcast qx_q8_broadcast(const struct qx_tensor *a, const struct qx_tensor *b,
                                   const struct qx_tensor *y);

/* The table of a QX_Q8_TABLE op: table[q] = the output quantization of fn(x) for
 * x = (float)(q - x_zp) * x_scale, i.e. clamp(rne(fn(x) / y_scale) + y_zp, y_min, y_max),
 * computed with quantize, the kernel sets' bit-identical quantization (docs/numerics.md). */
void qx_q8_table_build(float (*fn)(float), float x_scale, int32_t x_zp, float y_scale,
                       int32_t y_zp, int32_t y_min, int32_t y_max,
                       void (*quantize)(const float *x, size_t count, float scale, int32_t zp,
                                        int32_t qmin, int32_t qmax, uint8_t *q),
                       uint8_t table[256]);

/* The float functions of the table ops, exactly as the tables sample them. */
float qx_q8_sigmoid(float x);
float qx_q8_hardswish(float x);

#endif
