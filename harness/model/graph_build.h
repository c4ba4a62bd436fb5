/* Private to harness/model: helpers the import passes share to build and rewrite a graph.
 * Nothing outside harness/model includes this; the public IR is model/graph.h. */
#ifndef QX_MODEL_GRAPH_BUILD_H
#define QX_MODEL_GRAPH_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "model/graph.h"
#include "onnx/onnx.pb-c.h"

/* Appends an empty activation tensor named name (copied) and returns its index, or a negative
 * QX_E* code. May move g->tensors: do not hold struct qx_tensor pointers across the call. */
int qx_graph_add_tensor(struct qx_graph *g, const char *name, struct qx_error *err);

/* How many node inputs read tensor t, and whether t is a graph output. */
int qx_graph_readers(const struct qx_graph *g, int t);
int qx_graph_is_output(const struct qx_graph *g, int t);

/* Removes node idx (freeing its name and inputs) and renumbers producers after it. */
void qx_graph_remove_node(struct qx_graph *g, int idx);

/* Recomputes every tensor's producer from the nodes. */
void qx_graph_link_producers(struct qx_graph *g);

/* Drops tensors nothing reads or writes and that are not graph inputs / outputs (constants a
 * fold replaced, outputs import ignored), renumbering tensor indices everywhere. */
int qx_graph_drop_unused(struct qx_graph *g, struct qx_error *err);

/* Sorts nodes topologically (stable: file order where free), or fails naming a node on a
 * cycle or one that reads a tensor nothing produces. */
int qx_graph_sort(struct qx_graph *g, struct qx_error *err);

/* Converts an initializer / Constant value into constant tensor t (F32, or I64 when
 * allow_i64). place names where it came from for messages. */
int qx_tensor_from_proto(const Onnx__TensorProto *tp, int allow_i64, struct qx_tensor *t,
                         const char *file, const char *place, struct qx_error *err);

/* Reads a whole file into a malloc'ed buffer (the caller frees it). */
int qx_read_whole_file(const char *path, uint8_t **buf, size_t *len, struct qx_error *err);

/* ONNX's name of a TensorProto data type, e.g. "uint8", for messages. */
const char *qx_onnx_dtype_name(int32_t data_type);

/* After a first qx_graph_infer_shapes (which evaluates every node whose inputs are all
 * constants, and every Shape): removes the evaluated nodes whose value does not depend on the
 * batch (their outputs stay as constants) and moves the others (Shape of an activation and what
 * is computed from it) into g->shape_nodes, re-evaluated at each qx_graph_infer_shapes. */
int qx_graph_fold_constants(struct qx_graph *g, struct qx_error *err);

/* ONNX Slice on one shape: from n (starts, ends, axes or NULL, steps or NULL) entries, the
 * first index, step and length of every axis of a rank-r tensor of dims. Returns 0, or -1
 * with why set (axis out of range or repeated, step 0). */
int qx_slice_box(int r, const int64_t *dims, int n, const int64_t *starts, const int64_t *ends,
                 const int64_t *axes, const int64_t *steps, int64_t *start, int64_t *step,
                 int64_t *len, char *why, size_t why_len);

/* Folds each BatchNormalization whose input comes from a Conv or Gemm with constant weights
 * (and no other reader) into that Conv / Gemm. Needs inferred shapes. */
int qx_graph_fold_batchnorm(struct qx_graph *g, struct qx_error *err);

/* Human-readable list of the supported op types, for refusal messages. */
const char *qx_supported_ops(void);

#endif
