/* Builds the read-only struct qx_graph_view (include/qx/graph.h) a plugin sees from the harness
 * graph, and says which modes the int8 executor can run each node in. */
#ifndef QX_PLUGIN_VIEW_H
#define QX_PLUGIN_VIEW_H

#include <stdint.h>

#include "model/graph.h"
#include "ops/node_caps.h"
#include "qx/graph.h"
#include "util/error.h"

/* Owns every array a view points to; the view borrows names and constant data from the graph,
 * which must outlive it and stay unchanged. */
struct qx_view_store {
	struct qx_graph_view view;
	struct qx_view_tensor *tensors;
	struct qx_view_node *nodes;
	int32_t *indices;               /* every node's inputs and outputs, then graph in/outputs */
	uint32_t *node_flags;           /* per node: enum qx_view_node_flag bits */
};

/* The public op number of a harness op. */
enum qx_view_op qx_view_op_of(enum qx_op op);

/* Fills vs from g (with g's current shapes). Free with qx_view_free. */
int qx_view_build(const struct qx_graph *g, struct qx_view_store *vs, struct qx_error *err);
void qx_view_free(struct qx_view_store *vs);

#endif
