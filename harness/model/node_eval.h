/* One node's output computed from its input values, for every op that needs no kernel table
 * (all but Conv, Gemm, MatMul, MaxPool, AveragePool). The fp32 executor runs these ops through
 * it, and shape inference uses it to evaluate shape nodes and fold constants, so that a folded
 * value is exactly what the executor would have computed. */
#ifndef QX_MODEL_NODE_EVAL_H
#define QX_MODEL_NODE_EVAL_H

#include "model/graph.h"

/* Whether qx_node_eval computes op. */
int qx_node_eval_supported(enum qx_op op);

/* Computes node n of g (shapes inferred) into out[j] (n->n_out buffers of each output's
 * numel and dtype, written whole) from in[j] (n->n_in values of each input's dtype; NULL for an
 * omitted optional input). Returns 0, or a QX_E* code with err set (an int64 division by
 * zero, an op qx_node_eval does not compute). Keeps no pointer after it returns. */
int qx_node_eval(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                 void *const *out, struct qx_error *err);

/* A constant tensor's values: i64 for int64, data for float. */
const void *qx_tensor_values(const struct qx_tensor *t);

/* Bytes per element of dtype. */
size_t qx_dtype_size(enum qx_dtype dt);

#endif
