/* qx plugin SDK: the quantization plan a plugin returns from convert().
 *
 * A plan is plain data: for each tensor the plugin wants quantized, its integer type and
 * quantization parameters (qparams); for each node, how the harness runs it (float, static int8,
 * dynamic int8). The harness validates the plan against the graph before it builds anything
 * (a wrong plan is one error message naming the plugin, never a crash) and saves it as
 * plan.json next to the results.
 *
 * Quantization, for a value x of a tensor with scale s and zero point z (per channel: the
 * channel's s and z):      q = clamp(round_half_even(x / s) + z, qmin, qmax)
 *                          x' = (q - z) * s
 *
 * What the harness's int8 kernels accept (anything else is rejected by validation with a
 * message saying what was expected):
 *  - activations (graph inputs and outputs of nodes, and non-weight inputs of static nodes):
 *    QX_PLAN_UINT8, per tensor (axis -1), any zero point in [qmin, qmax], e.g. qmin 0,
 *    qmax 127 with reduce_range or 0..255 without;
 *  - weights (struct qx_view_node.weight of a static or dynamic node): QX_PLAN_INT8, symmetric
 *    (every zero point 0), per tensor (axis -1) or per output channel (axis = the node's
 *    weight_axis, n_channels = that dimension), qmin >= -128, qmax <= 127;
 *  - biases: never needed in a plan: the harness quantizes a static node's bias to int32 at
 *    scale input_scale * weight_scale[c], zero point 0. A plan may still list the bias as
 *    QX_PLAN_INT32 with exactly those scales (relative difference <= 1e-6) and zero point 0;
 *  - ops: see struct qx_view_node.modes for which node can run in which mode. A static node
 *    needs qparams on its activation inputs, its output and its weight; a dynamic node needs
 *    qparams on its weight only (its input and output stay float); a float node needs none.
 *    Nodes that keep their input's qparams in int8 (struct qx_graph_view.node_flags has
 *    QX_VIEW_NODE_KEEPS_QPARAMS: MaxPool, AveragePool, GlobalAveragePool, Relu, Clip, Flatten,
 *    Reshape, Identity, Dropout, ...) give their output the input's qparams: the plan may omit
 *    the output's entry (the host copies the input's) or repeat it unchanged.
 *  - every tensor at most once; qparams only on tensors some static or dynamic node uses.
 *
 * ABI minor 3 adds formats no int8 kernel runs; the harness evaluates a plan that uses any of
 * them on its reference simulation (fp32 with each quantized tensor quantized-dequantized), so
 * its accuracy, drop and size are reported and its latency is "no kernel":
 *  - FP8 (QX_PLAN_FP8_E4M3FN, QX_PLAN_FP8_E5M2) for weights (per tensor or per output channel)
 *    and activations of static nodes (per tensor), scale only;
 *  - per-group weight scales (struct qx_plan_tensor_ext.group_size);
 *  - QX_MODE_WEIGHT_ONLY nodes: the weight has qparams (INT8 or UINT8 of any bits, or FP8; per
 *    tensor, per output channel or per group), activations and bias stay float.
 * Integer widths below 8 (struct qx_plan_tensor_ext.bits) on static and dynamic nodes run on the
 * int8 kernels as they are (the codes fit int8) and are smaller in the reported size; codes the
 * plugin rounded itself (struct qx_plan_tensor_ext.codes) are used by the kernels and the
 * simulation alike. Whether a plan is simulated is recorded in plan.json and results.json.
 *
 * Ownership and lifetime: the plugin fills a struct qx_plan the host passes to convert(); every
 * pointer in it points to memory the plugin owns (allocate it as you like, e.g. in the plugin
 * state). The host copies the plan before it calls destroy(); the memory must stay valid and
 * unchanged from convert() returning until destroy() is called.
 *
 * ABI: struct qx_plan_tensor and struct qx_plan_op never change size (the host reads arrays of
 * them with the element size below). struct qx_plan may grow by appending fields in a later
 * minor; the host zeroes the whole struct before convert(), so fields an older plugin does not
 * know read as 0, and 0 always means "absent / the old behaviour". */
#ifndef QX_SDK_PLAN_H
#define QX_SDK_PLAN_H

#include <stdint.h>

#include "qx/graph.h"

/* The integer type of a quantized tensor. Stable numbers. */
enum qx_plan_dtype {
	QX_PLAN_FLOAT = 0,              /* not quantized (not a valid entry in plan tensors) */
	QX_PLAN_UINT8 = 1,              /* range 0..255 (PyTorch quint8) */
	QX_PLAN_INT8 = 2,               /* range -128..127 (PyTorch qint8) */
	QX_PLAN_INT32 = 3,              /* range INT32_MIN..INT32_MAX (PyTorch qint32), bias only */
	/* ABI minor 3: 8-bit floats, scale only (every zero point 0, qmin = qmax = 0, symmetric):
	 *     x' = fp8(x / s) * s
	 * fp8() rounds to the nearest representable value, ties to even mantissa, saturating: a
	 * value beyond the largest finite one (and +-inf) becomes +-that value; NaN stays NaN.
	 * No int8 kernel runs them: a plan with one is simulated (docs/numerics.md). */
	QX_PLAN_FP8_E4M3FN = 4,         /* 1 sign, 4 exponent (bias 7), 3 mantissa bits; no
	                                   infinities, largest 448, smallest subnormal 2^-9 (ONNX
	                                   FLOAT8E4M3FN, torch.float8_e4m3fn) */
	QX_PLAN_FP8_E5M2 = 5,           /* 1 sign, 5 exponent (bias 15), 2 mantissa bits; largest
	                                   finite 57344, smallest subnormal 2^-16 (ONNX FLOAT8E5M2) */
};

/* Qparams of one tensor. Frozen layout. */
struct qx_plan_tensor {
	int32_t tensor;                 /* index into struct qx_graph_view.tensors */
	int32_t dtype;                  /* enum qx_plan_dtype: UINT8, INT8 or INT32 */
	int32_t symmetric;              /* 1: the plugin chose symmetric qparams (PyTorch's
	                                   per_*_symmetric); recorded in plan.json, and for INT8 the
	                                   host checks every zero point is 0 */
	int32_t axis;                   /* -1: per tensor (n_channels must be 1);
	                                   >= 0: per channel along this axis of the tensor's shape */
	int32_t n_channels;             /* 1 per tensor; dims[axis] per channel */
	int32_t qmin, qmax;             /* the range quantized values are clamped to, within the
	                                   dtype's range, qmin < qmax */
	const float *scales;            /* n_channels values, each finite and > 0 */
	const int32_t *zero_points;     /* n_channels values, each in [qmin, qmax] */
};

/* How one node runs. Frozen layout. */
struct qx_plan_op {
	int32_t node;                   /* index into struct qx_graph_view.nodes */
	int32_t mode;                   /* enum qx_op_mode; must be one of the node's modes */
	/* QX_MODE_DYNAMIC only (0 otherwise): the range the activation is quantized to at run time,
	 * as uint8 affine from each call's min/max, like PyTorch's dynamic Linear (qmin 0, qmax 127
	 * with reduce_range, 0..255 without). */
	int32_t dyn_qmin, dyn_qmax;
};

/* ABI minor 3: what a plan says about a tensor beyond struct qx_plan_tensor (whose layout is
 * frozen). Each refers to a tensor that also has an entry in struct qx_plan.tensors; every field
 * at 0 means the minor-2 behaviour. Frozen layout. */
struct qx_plan_tensor_ext {
	int32_t tensor;                 /* index into struct qx_graph_view.tensors; the tensor has an
	                                   entry in plan tensors; each tensor at most one ext */
	int32_t bits;                   /* 0: the dtype's width. 2..8: integer codes of this many
	                                   bits (UINT8 or INT8 entries only): qmin and qmax lie within
	                                   0..2^bits-1 (UINT8) or -2^(bits-1)..2^(bits-1)-1 (INT8), and
	                                   the model size counts bits per value (e.g. int4: 4) */
	int32_t group_size;             /* 0: the entry's scales as they are. > 0 (weights only):
	                                   per-group scales along the reduction axis: the entry is
	                                   per channel along the node's weight_axis (symmetric, every
	                                   zero point 0), and each channel's values, taken in
	                                   row-major order over the other axes (Conv OIHW: I, kh, kw;
	                                   Gemm [N][K]: K; MatMul [K][N]: K), form groups of group_size
	                                   consecutive values (the last may be shorter) with a scale
	                                   each. No int8 kernel runs this: the plan is simulated */
	int32_t n_group_scales;         /* group_size > 0: n_channels * ceil(row / group_size),
	                                   where row = the tensor's size / n_channels; else 0 */
	const float *group_scales;      /* n_group_scales values, channel-major (channel c's groups
	                                   at c * groups_per_channel ...), each finite and > 0; the
	                                   entry's scales[c] must equal channel c's largest group
	                                   scale (what a per-channel reader sees). NULL when 0 */
	int32_t reserved;               /* 0 */
	int64_t n_codes;                /* 0: the host rounds the fp32 values itself. Otherwise the
	                                   tensor's element count: the plugin rounded them (AdaRound,
	                                   GPTQ, bias correction, ...) and codes holds the results */
	const int32_t *codes;           /* n_codes quantized values in the tensor's row-major order:
	                                   integers in [qmin, qmax] (INT8 / UINT8 with any bits; INT32
	                                   for a bias), or FP8 bit patterns 0..255 that are not NaN
	                                   (e4m3fn: not 0x7f / 0xff; e5m2: exponent not all ones).
	                                   Constants only (weights and biases); the host dequantizes
	                                   them with the entry's (or the group's) scale and zero point
	                                   instead of rounding the fp32 values. NULL when 0 */
};

/* The whole plan. Nodes not listed in ops run in float. */
struct qx_plan {
	int32_t n_tensors;
	const struct qx_plan_tensor *tensors;   /* n_tensors entries, any order */
	int32_t n_ops;
	const struct qx_plan_op *ops;           /* n_ops entries, any order, each node at most once */

	/* ---- minor 3 (the host zeroes the struct: a plugin of an older minor leaves them 0) ---- */
	int32_t n_tensor_ext;
	const struct qx_plan_tensor_ext *tensor_ext;    /* n_tensor_ext entries, any order, or NULL
	                                                   when 0 */
};

/* Whether node n of view, run static, gives its output its input's qparams (the plan then
 * leaves the output out, or repeats the input's qparams): the host's own answer, for every op it
 * runs in int8, present ones and future ones (ABI minor 1). */
static inline int qx_view_node_keeps_qparams(const struct qx_graph_view *view, int32_t n)
{
	return n >= 0 && n < view->n_nodes && view->node_flags &&
	       (view->node_flags[n] & QX_VIEW_NODE_KEEPS_QPARAMS) != 0;
}

/* The ABI 1.0 list of the ops above, frozen: ops the host learns later are not in it. Kept for
 * plugins written against minor 0; use qx_view_node_keeps_qparams instead. */
static inline int qx_view_op_keeps_qparams(int32_t op)
{
	switch (op) {
	case QX_VIEW_OP_MAXPOOL:
	case QX_VIEW_OP_AVGPOOL:
	case QX_VIEW_OP_GLOBALAVGPOOL:
	case QX_VIEW_OP_RELU:
	case QX_VIEW_OP_CLIP:
	case QX_VIEW_OP_FLATTEN:
	case QX_VIEW_OP_RESHAPE:
	case QX_VIEW_OP_IDENTITY:
	case QX_VIEW_OP_DROPOUT:
		return 1;
	default:
		return 0;
	}
}

/* Whether input j of node n of view is an activation that needs uint8 qparams when the node runs
 * static: present, and not a constant (weights, biases, shapes, bounds are constants; the host
 * offers static mode only to nodes whose other inputs are activations). Holds for every op. */
static inline int qx_view_node_act_input(const struct qx_graph_view *view, int32_t n, int32_t j)
{
	if (n < 0 || n >= view->n_nodes)
		return 0;
	const struct qx_view_node *nd = &view->nodes[n];
	if (j < 0 || j >= nd->n_inputs || nd->inputs[j] < 0 || nd->inputs[j] >= view->n_tensors)
		return 0;
	return !view->tensors[nd->inputs[j]].is_const;
}

/* The same for the ops of ABI 1.0 from the node alone: not its weight or bias, not an omitted
 * input, and for Reshape and Clip only the data input (their other inputs are constant shapes
 * and bounds). Kept for plugins written against minor 0; qx_view_node_act_input covers every
 * op. */
static inline int qx_view_static_act_input(const struct qx_view_node *nd, int32_t j)
{
	if (j < 0 || j >= nd->n_inputs || nd->inputs[j] < 0)
		return 0;
	if ((nd->op == QX_VIEW_OP_RESHAPE || nd->op == QX_VIEW_OP_CLIP) && j > 0)
		return 0;
	return nd->inputs[j] != nd->weight && nd->inputs[j] != nd->bias;
}

#endif
