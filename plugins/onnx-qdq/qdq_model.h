/* onnx-qdq: the quantized ONNX model as the plugin reads it (protobuf-c, no host code: a
 * plugin sees only the SDK). Name lookups over the graph: which node writes a tensor, which
 * nodes read it, and the value of a constant (an initializer or a Constant node). */
#ifndef QDQ_MODEL_H
#define QDQ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "onnx/onnx.pb-c.h"

struct qdq_model {
	char path[4096];                /* as resolved, for messages */
	Onnx__ModelProto *proto;
	Onnx__GraphProto *graph;
	/* Sorted name index over every tensor name the graph mentions: producer node (-1 for
	 * initializers and graph inputs), initializer or Constant value (NULL otherwise). */
	size_t n_names;
	struct qdq_name {
		const char *name;
		int32_t producer;
		const Onnx__TensorProto *value;
		int32_t n_readers;
	} *names;
};

/* A constant's values widened: floats (FLOAT) or integers (INT8, UINT8, INT32). */
struct qdq_values {
	int32_t dtype;                  /* ONNX__TENSOR_PROTO__DATA_TYPE__* */
	int32_t ndim;
	int64_t dims[8];
	int64_t numel;
	float *f;                       /* dtype FLOAT */
	int32_t *i;                     /* dtype INT8, UINT8, INT32 */
};

/* Reads and parses path. Fills msg (one line, naming the file and what was expected) and
 * returns -1 when it cannot: missing, unreadable, not ONNX, external data, no graph. */
int qdq_model_load(struct qdq_model *m, const char *path, char *msg, size_t msg_size);
void qdq_model_free(struct qdq_model *m);

const struct qdq_name *qdq_model_find(const struct qdq_model *m, const char *name);
/* The node writing name, or NULL (graph input, initializer, unknown). */
const Onnx__NodeProto *qdq_model_producer(const struct qdq_model *m, const char *name);
/* The constant value of name (initializer or Constant node output), or NULL. */
const Onnx__TensorProto *qdq_model_const(const struct qdq_model *m, const char *name);
/* Node i's input j as a name, or "" when absent. */
const char *qdq_node_input(const Onnx__NodeProto *nd, size_t j);
/* Integer attribute of nd, or dflt. */
int64_t qdq_node_int_attr(const Onnx__NodeProto *nd, const char *name, int64_t dflt);

/* Widens t into v (allocated; qdq_values_free). -1 with msg for types other than FLOAT, INT8,
 * UINT8 and INT32, and for data that does not match the shape. */
int qdq_values_read(const Onnx__TensorProto *t, struct qdq_values *v, char *msg, size_t size);
void qdq_values_free(struct qdq_values *v);
/* A short name for an ONNX data type, e.g. "uint8", "int4 (type 22)". */
const char *qdq_dtype_name(int32_t dtype);

#endif
