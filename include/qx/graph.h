/* qx plugin SDK: the read-only view of the model a plugin is given.
 *
 * The host builds one struct qx_graph_view per plugin run from its own graph after import:
 * nodes are in topological order, BatchNormalization is already folded into the preceding
 * Conv/Gemm, and a Relu or Clip that directly followed a Conv/Gemm is folded into that node's
 * act_min/act_max (its output tensor then holds the clamped values). Tensors and nodes are
 * referred to by index: tensor t is tensors[t], node n is nodes[n].
 *
 * Ownership and lifetime: everything reachable from a struct qx_graph_view (the arrays, the
 * names, the constant data) belongs to the host. It is valid from the call to create() until
 * destroy() returns, and never changes meanwhile. A plugin must not write through any of these
 * pointers and must not free them; it may keep the pointers in its state until destroy().
 *
 * ABI: this header is part of the plugin ABI (see plugin.h and docs/plugin-abi.md). Element
 * structs (struct qx_view_tensor, struct qx_view_node) never change size: the host hands out
 * arrays of them, and a plugin indexes those arrays with the element size it was compiled with.
 * New per-tensor or per-node information is added as new parallel arrays appended at the end of
 * struct qx_graph_view in a new minor version. Enum values are never renumbered. */
#ifndef QX_SDK_GRAPH_H
#define QX_SDK_GRAPH_H

#include <stdint.h>

/* Most dimensions of any tensor in a view. */
#define QX_VIEW_MAX_DIMS 6

/* Op types. Stable numbers: new ops are appended; a plugin must treat a value it does not know
 * as "some other op" (leave it float). */
enum qx_view_op {
	QX_VIEW_OP_OTHER = 0,
	QX_VIEW_OP_CONV = 1,            /* 2-D convolution, weight OIHW (in[1]), optional bias in[2] */
	QX_VIEW_OP_GEMM = 2,            /* ONNX Gemm: Y = alpha * A' B' + beta * C */
	QX_VIEW_OP_MATMUL = 3,
	QX_VIEW_OP_RELU = 4,
	QX_VIEW_OP_CLIP = 5,
	QX_VIEW_OP_MAXPOOL = 6,
	QX_VIEW_OP_AVGPOOL = 7,
	QX_VIEW_OP_GLOBALAVGPOOL = 8,
	QX_VIEW_OP_FLATTEN = 9,
	QX_VIEW_OP_RESHAPE = 10,
	QX_VIEW_OP_ADD = 11,
	QX_VIEW_OP_MUL = 12,
	QX_VIEW_OP_CONCAT = 13,
	QX_VIEW_OP_SOFTMAX = 14,
	QX_VIEW_OP_BATCHNORM = 15,      /* one that could not be folded */
	QX_VIEW_OP_IDENTITY = 16,
	QX_VIEW_OP_DROPOUT = 17,
	/* Appended for torchvision models: the host offers these in QX_MODE_FLOAT only for now.
	 * Their int64 tensors (shapes, indices) have is_float = 0. */
	QX_VIEW_OP_SIGMOID = 18,
	QX_VIEW_OP_HARDSIGMOID = 19,            /* max(0, min(1, alpha x + beta)) */
	QX_VIEW_OP_HARDSWISH = 20,              /* x * HardSigmoid(x) with alpha 1/6, beta 1/2 */
	QX_VIEW_OP_TANH = 21,
	QX_VIEW_OP_LEAKYRELU = 22,
	QX_VIEW_OP_PRELU = 23,                  /* in[1]: the slope, broadcast to in[0] */
	QX_VIEW_OP_SUB = 24,                    /* numpy broadcasting, as Add / Mul */
	QX_VIEW_OP_DIV = 25,                    /* numpy broadcasting */
	QX_VIEW_OP_SQRT = 26,
	QX_VIEW_OP_POW = 27,                    /* in[1]: the exponent */
	QX_VIEW_OP_ERF = 28,
	QX_VIEW_OP_REDUCEMEAN = 29,
	QX_VIEW_OP_GLOBALMAXPOOL = 30,
	QX_VIEW_OP_TRANSPOSE = 31,
	QX_VIEW_OP_SQUEEZE = 32,
	QX_VIEW_OP_UNSQUEEZE = 33,
	QX_VIEW_OP_SPLIT = 34,                  /* several outputs along one axis */
	QX_VIEW_OP_SLICE = 35,                  /* in[1..4]: int64 starts, ends, axes, steps */
	QX_VIEW_OP_PAD = 36,                    /* in[1]: int64 pads; constant, reflect or edge */
	QX_VIEW_OP_RESIZE = 37,                 /* nearest or linear */
	QX_VIEW_OP_CONVTRANSPOSE = 38,          /* 2-D, weight [C, M/group, kH, kW] (in[1]) */
	QX_VIEW_OP_LAYERNORM = 39,              /* LayerNormalization over the trailing axes */
	QX_VIEW_OP_SHAPE = 40,                  /* int64 output (normally folded away) */
	QX_VIEW_OP_GATHER = 41,                 /* in[1]: int64 indices (constant) */
	QX_VIEW_OP_CAST = 42,                   /* float <-> int64 */
	QX_VIEW_OP_RANGE = 43,                  /* normally folded away */
	QX_VIEW_OP_CONSTANTOFSHAPE = 44,        /* normally folded away */
};

/* How the harness can run a node: values of struct qx_plan_op.mode (plan.h) and bits of
 * struct qx_view_node.modes. */
enum qx_op_mode {
	QX_MODE_FLOAT = 0,              /* fp32, as in the original model */
	QX_MODE_STATIC = 1,             /* int8 with qparams fixed by the plan (calibrated) */
	QX_MODE_DYNAMIC = 2,            /* int8 weights; activations quantized at run time from
	                                   each call's min/max; float in, float out */
	QX_MODE_WEIGHT_ONLY = 3,        /* ABI minor 3: fp32 arithmetic on a weight quantized and
	                                   dequantized with the plan's qparams (any dtype the plan
	                                   allows for weights: int2..int8, FP8, per group); float in,
	                                   float out. Offered for every node with a weight; no int8
	                                   kernel runs it, so the harness evaluates such a plan on its
	                                   reference simulation (docs/numerics.md, "Simulated") */
};

#define QX_MODE_BIT(mode) (1u << (mode))

/* Bits of struct qx_graph_view.node_flags (ABI minor 1): what the harness's int8 executor does
 * with a node, so that a plugin needs no list of ops of its own. Stable numbers. */
enum qx_view_node_flag {
	/* Run static, the node's int8 output has its (first) input's qparams: the plan leaves the
	 * output out (the host copies the input's) or repeats them unchanged. MaxPool, pools,
	 * Relu, Clip, reshapes, ... whatever the harness adds later. */
	QX_VIEW_NODE_KEEPS_QPARAMS = 1u << 0,
};

/* One tensor: a graph input, an activation, or a constant (initializer).
 * Frozen layout (see the ABI note at the top). */
struct qx_view_tensor {
	const char *name;               /* the ONNX name, unique in the graph, never NULL */
	int32_t ndim;                   /* 0..QX_VIEW_MAX_DIMS */
	int32_t is_const;               /* 1: an initializer (weights, bias, shapes); 0: computed */
	int64_t dims[QX_VIEW_MAX_DIMS]; /* shape, row-major; for activations and graph inputs the
	                                   shape for one calibration batch (dims[0] = the
	                                   calibration batch size for tensors with a batch axis) */
	int64_t numel;                  /* product of dims (1 for ndim 0) */
	const float *data;              /* is_const and fp32: numel values, row-major;
	                                   NULL for activations and for int64 constants */
	int32_t is_float;               /* 1: fp32 (every activation); 0: int64 (Reshape's shape) */
	int32_t producer;               /* index of the node writing it; -1 for graph inputs and
	                                   constants */
	int32_t is_graph_input;         /* 1: fed by the dataset (a non-constant graph input) */
	int32_t is_graph_output;        /* 1: one of the model's outputs (the logits) */
};

/* One node. Frozen layout (see the ABI note at the top). */
struct qx_view_node {
	const char *name;               /* ONNX node name, or "<op>_<index>" when the model has
	                                   none; unique, never NULL */
	const char *op_type;            /* ONNX spelling, e.g. "Conv", never NULL */
	int32_t op;                     /* enum qx_view_op */
	int32_t n_inputs;
	const int32_t *inputs;          /* n_inputs tensor indices; -1 for an omitted optional
	                                   input */
	int32_t n_outputs;
	const int32_t *outputs;         /* n_outputs tensor indices (Dropout's mask is outputs[1]) */
	uint32_t modes;                 /* which modes the harness can run this node in: a set of
	                                   QX_MODE_BIT(QX_MODE_*); always has QX_MODE_FLOAT */
	int32_t weight;                 /* Conv, and Gemm/MatMul whose B is a constant: the weight
	                                   tensor's index; -1 otherwise */
	int32_t weight_axis;            /* the output-channel axis of the weight as stored: the axis
	                                   a per-channel weight plan must use (0 for Conv OIHW and
	                                   Gemm with transB=1, i.e. [n][k]; 1 for MatMul and Gemm
	                                   with transB=0, i.e. [k][n]); -1 when weight is -1 */
	int32_t bias;                   /* Conv in[2] / Gemm C when present and constant; else -1 */
	float act_min, act_max;         /* clamp fused into the output (Relu: 0, +INFINITY;
	                                   Clip: its bounds); -INFINITY, +INFINITY when none */
	int32_t group;                  /* Conv: groups (1 for ordinary conv); 0 for other ops */
	int32_t axis;                   /* Flatten, Concat, Softmax: the axis attribute; else 0 */
};

/* The model. Frozen fields never move; new fields are appended in later minor versions (a
 * plugin compiled against an older minor simply does not know them; host minor >= plugin minor
 * is guaranteed, so every field a plugin knows is present). */
struct qx_graph_view {
	const char *model_path;         /* the ONNX file the graph came from (for messages) */
	int32_t n_tensors;
	const struct qx_view_tensor *tensors;   /* n_tensors */
	int32_t n_nodes;
	const struct qx_view_node *nodes;       /* n_nodes, topological order */
	int32_t n_inputs;
	const int32_t *inputs;          /* tensor indices of the non-constant graph inputs */
	int32_t n_outputs;
	const int32_t *outputs;         /* tensor indices of the graph outputs */
	int64_t batch;                  /* the calibration batch size the shapes are inferred for */
	int64_t opset;                  /* default-domain ONNX opset the model declares */
	/* ---- ABI minor 1 ---- */
	const uint32_t *node_flags;     /* n_nodes: bits of enum qx_view_node_flag, per node */
};

#endif
