/* The graph IR: an ONNX model after import, as the executors and the plugin host see it.
 *
 * Nodes are in topological order. Tensors are referenced by index into graph.tensors.
 * Initializers are constants (is_const, data owned by the graph). Shapes are inferred for one
 * batch size at a time (qx_graph_infer_shapes); auto_pad is resolved into explicit pads then.
 * After load (and qx_graph_fuse_activations) a graph is only read: each executor infers shapes
 * for its batch on its own copy (exec/exec_f32.h), so executors of several batch sizes share it.
 * BatchNormalization that follows a Conv or Gemm is folded into its weights at import; one that
 * cannot be folded stays as QX_OP_BATCHNORM. Nodes whose inputs are all constants are folded into
 * constants at import; shape computations (Shape of an activation and what is computed from it)
 * live in shape_nodes, out of the executors' way, and are evaluated by every
 * qx_graph_infer_shapes (docs/onnx-support.md, "Shape computations"). */
#ifndef QX_MODEL_GRAPH_H
#define QX_MODEL_GRAPH_H

#include <stdint.h>

#include "util/error.h"

#define QX_MAX_DIMS 6
#define QX_MAX_OUTPUTS 8   /* per node: Split into at most this many parts */

enum qx_op {
	QX_OP_CONV,
	QX_OP_GEMM,
	QX_OP_MATMUL,
	QX_OP_RELU,
	QX_OP_CLIP,
	QX_OP_MAXPOOL,
	QX_OP_AVGPOOL,
	QX_OP_GLOBALAVGPOOL,
	QX_OP_FLATTEN,
	QX_OP_RESHAPE,
	QX_OP_ADD,
	QX_OP_MUL,
	QX_OP_CONCAT,
	QX_OP_SOFTMAX,
	QX_OP_BATCHNORM,
	QX_OP_IDENTITY,
	QX_OP_DROPOUT,
	QX_OP_SIGMOID,
	QX_OP_HARDSIGMOID,
	QX_OP_HARDSWISH,
	QX_OP_TANH,
	QX_OP_LEAKYRELU,
	QX_OP_PRELU,
	QX_OP_SUB,
	QX_OP_DIV,
	QX_OP_SQRT,
	QX_OP_POW,
	QX_OP_ERF,
	QX_OP_REDUCEMEAN,
	QX_OP_GLOBALMAXPOOL,
	QX_OP_TRANSPOSE,
	QX_OP_SQUEEZE,
	QX_OP_UNSQUEEZE,
	QX_OP_SPLIT,
	QX_OP_SLICE,
	QX_OP_PAD,
	QX_OP_RESIZE,
	QX_OP_CONVTRANSPOSE,
	QX_OP_LAYERNORM,
	QX_OP_SHAPE,
	QX_OP_GATHER,
	QX_OP_CAST,
	QX_OP_RANGE,
	QX_OP_CONSTANTOFSHAPE,
	QX_OP_COUNT
};

/* ONNX's op_type spelling of op, e.g. "Conv". */
const char *qx_op_name(enum qx_op op);

enum qx_dtype { QX_DT_F32 = 0, QX_DT_I64 = 1 };

struct qx_tensor {
	char *name;
	enum qx_dtype dtype;   /* activations are always F32; I64 only for constants and shape
	                          values (see shape_nodes) */
	int ndim;
	int64_t dims[QX_MAX_DIMS];
	int is_const;          /* an initializer, a folded constant, or a shape value (written by
	                          a shape node at each qx_graph_infer_shapes) */
	float *data;           /* F32 constant data, row-major, NULL for activations */
	int64_t *i64;          /* I64 constant data (Reshape's shape), NULL otherwise */
	int producer;          /* index of the node that writes it, -1 for inputs and constants */
	int64_t decl_dims[QX_MAX_DIMS]; /* graph inputs: the shape the file declares (symbolic = 1) */
};

/* auto_pad as ONNX spells it; resolved into pads[] by shape inference. */
enum qx_auto_pad { QX_PAD_NOTSET, QX_PAD_SAME_UPPER, QX_PAD_SAME_LOWER, QX_PAD_VALID };

struct qx_conv_attr {
	int kernel[2];         /* kh, kw (from the weight's shape when the attribute is absent) */
	int out_pad[2];        /* ConvTranspose: output_padding (h, w) */
	int stride[2];
	int dilation[2];
	int pad[4];            /* top, left, bottom, right after auto_pad is resolved */
	int group;
	enum qx_auto_pad auto_pad;
};

struct qx_pool_attr {
	int kernel[2];
	int stride[2];
	int dilation[2];
	int pad[4];            /* top, left, bottom, right after auto_pad is resolved */
	int ceil_mode;
	int count_include_pad; /* AveragePool only */
	enum qx_auto_pad auto_pad;
};

struct qx_gemm_attr {
	float alpha, beta;
	int trans_a, trans_b;
};

/* Transpose's perm, ReduceMean's axes (n = 0: all axes / identity perm when absent). */
struct qx_axes_attr {
	int n;
	int64_t v[QX_MAX_DIMS];
	int keepdims;          /* ReduceMean */
};

/* Resize; the enums are kernels/nd_ops.h's. */
struct qx_resize_attr {
	int linear;            /* mode: 0 nearest, 1 linear */
	int coord;             /* coordinate_transformation_mode: enum qx_nd_coord */
	int nearest;           /* nearest_mode: enum qx_nd_nearest */
	float scale[QX_MAX_DIMS]; /* per axis, output / input (from scales, or sizes / input) */
};

struct qx_node {
	char *name;            /* ONNX node name, or "<op>_<index>" when the model has none */
	enum qx_op op;
	int n_in;
	int *in;               /* tensor indices; -1 for an omitted optional input */
	int n_out;
	int out[QX_MAX_OUTPUTS]; /* tensor indices, -1 past n_out; out[1] is also Dropout's
	                            optional mask until import drops it */
	union {
		struct qx_conv_attr conv;   /* Conv, ConvTranspose */
		struct qx_pool_attr pool;
		struct qx_gemm_attr gemm;
		struct qx_axes_attr axes;   /* Transpose, ReduceMean */
		struct qx_resize_attr resize;
		int64_t axis;      /* Flatten, Concat, Softmax, Gather, Split */
		float epsilon;     /* BatchNormalization */
		int allowzero;     /* Reshape */
		struct { float alpha, beta; } act; /* HardSigmoid (alpha, beta), LeakyRelu (alpha) */
		struct { int64_t axis; float epsilon; } norm; /* LayerNormalization */
		int pad_mode;      /* Pad: enum qx_nd_pad_mode (kernels/nd_ops.h) */
		enum qx_dtype to;           /* Cast */
		struct { int64_t start, end; } shape; /* Shape's start / end (end clipped to rank) */
		struct { enum qx_dtype dtype; float f; int64_t i; } fill; /* ConstantOfShape */
	} attr;
	/* Fused clamp on the output (a Relu folded in by qx_graph_fuse_activations): -INFINITY /
	 * INFINITY when nothing is fused. A Clip node's own bounds live here too. */
	float act_min, act_max;
};

struct qx_graph {
	int n_tensors;
	struct qx_tensor *tensors;
	int n_nodes;
	struct qx_node *nodes;     /* topological order */
	/* Shape nodes: nodes whose output is known once shapes are (Shape of an activation, and
	 * int64 / float arithmetic on such values and constants), evaluated by
	 * qx_graph_infer_shapes for each batch size instead of by the executors. Their outputs are
	 * constants (is_const) whose values change with the batch. Topological order among
	 * themselves; they read g->tensors like other nodes (a Shape node reads only dims). */
	int n_shape_nodes;
	struct qx_node *shape_nodes;
	int n_inputs;
	int *inputs;               /* non-constant graph inputs */
	int n_outputs;
	int *outputs;
	int64_t opset;             /* default-domain opset the model declares */
	int64_t batch;             /* batch size shapes were last inferred for */
	char *path;                /* the file it came from, for messages */
};

/* Reads an ONNX file. Refuses anything outside the supported ops, dtypes and attributes with a
 * message naming the node, its op and what is supported. Folds constant nodes, moves shape
 * computations into shape_nodes, folds BatchNormalization into a preceding Conv/Gemm. Infers
 * shapes for the model's declared input shapes (a symbolic batch dimension counts as 1). The
 * graph owns all its memory; free it with qx_graph_free. */
int qx_graph_load_onnx(const char *path, struct qx_graph *g, struct qx_error *err);

/* Re-infers every activation's shape and dtype with batch as the first dimension of each graph
 * input (batch <= 0 keeps the declared shapes). Resolves auto_pad. Evaluates the shape nodes
 * for this batch (their output values, constants to everything downstream, are replaced) and,
 * during import, every node whose inputs are all constants. Executors call it on their own
 * copy; after load, call it only on a graph nothing else reads (a copy, a forked child's). */
int qx_graph_infer_shapes(struct qx_graph *g, int64_t batch, struct qx_error *err);

/* Folds a Relu (or a Clip with bounds [0, +inf)) that directly follows a Conv or Gemm (and is
 * that output's only reader) into the producer's act_min / act_max, rewiring the graph; a Clip
 * with other bounds (ReLU6) stays, as PyTorch quantizes it. Used by both executors; the fp32
 * executor does not call it itself, so callers fuse right after loading. The producer takes
 * over the activation's output tensor and the pre-activation tensor is dropped: node and tensor
 * indices taken before the call are stale after it. Idempotent. */
int qx_graph_fuse_activations(struct qx_graph *g, struct qx_error *err);

/* Number of elements of a tensor with its current shape. */
int64_t qx_tensor_numel(const struct qx_tensor *t);

/* Index of the tensor named name, or -1. */
int qx_graph_find_tensor(const struct qx_graph *g, const char *name);

void qx_graph_free(struct qx_graph *g);

/* A deep copy of src into dst (free it with qx_graph_free): every tensor's data, every node.
 * src is only read. */
int qx_graph_clone(const struct qx_graph *src, struct qx_graph *dst, struct qx_error *err);

/* Reads one serialized ONNX TensorProto (the backend tests' input_N.pb / output_N.pb) as F32.
 * *data is malloc'ed and owned by the caller. */
int qx_tensor_proto_load(const char *path, int *ndim, int64_t dims[QX_MAX_DIMS], float **data,
                         struct qx_error *err);

#endif
