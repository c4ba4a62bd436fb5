/* Which modes the harness's int8 executor can run each node in (owned here, below plan
 * validation, the plugin view and the executors, so that none of them includes another). */
#ifndef QX_OPS_NODE_CAPS_H
#define QX_OPS_NODE_CAPS_H

#include <stdint.h>

#include "model/graph.h"
#include "qx/graph.h"

/* What the harness's int8 executor can do with node n of g, and its weight, the weight's
 * output-channel axis and its bias (-1 when none). Always includes QX_MODE_BIT(QX_MODE_FLOAT). */
struct qx_node_caps {
	uint32_t modes;
	int weight, weight_axis, bias;
};
void qx_node_caps(const struct qx_graph *g, int n, struct qx_node_caps *caps);

/* Nodes whose int8 output keeps its input's qparams (pooling, Relu/Clip, reshapes). */
int qx_op_keeps_qparams(enum qx_op op);

#endif
