/* Constant folding after the first shape inference. qx_graph_infer_shapes evaluates every node
 * whose inputs are all constants, and every Shape, turning their outputs into constants. Here
 * those nodes leave the executors' list: the ones whose value cannot change with the batch are
 * dropped (a Transpose of a weight, an Identity of a shared parameter, a Reshape's constant
 * shape arithmetic), and the ones downstream of a Shape of an activation move into
 * g->shape_nodes, which every later qx_graph_infer_shapes evaluates again for its batch. */
#include "model/graph_build.h"

#include <stdlib.h>
#include <string.h>

int qx_graph_fold_constants(struct qx_graph *g, struct qx_error *err)
{
	char *batch_dep = calloc((size_t)g->n_tensors + 1, 1);
	struct qx_node *moved = realloc(g->shape_nodes, ((size_t)g->n_shape_nodes +
	                                                 (size_t)g->n_nodes + 1) * sizeof *moved);
	if (!batch_dep || !moved) {
		free(batch_dep);
		if (moved)
			g->shape_nodes = moved;
		return qx_fail_nomem(err, "folding constants");
	}
	g->shape_nodes = moved;
	for (int k = 0; k < g->n_shape_nodes; k++)
		for (int j = 0; j < g->shape_nodes[k].n_out; j++)
			batch_dep[g->shape_nodes[k].out[j]] = 1;
	int kept = 0;
	for (int i = 0; i < g->n_nodes; i++) {
		struct qx_node *n = &g->nodes[i];
		if (!g->tensors[n->out[0]].is_const) {
			g->nodes[kept++] = *n;
			continue;
		}
		int dep = n->op == QX_OP_SHAPE && !g->tensors[n->in[0]].is_const;
		for (int j = 0; j < n->n_in; j++)
			dep |= n->in[j] >= 0 && batch_dep[n->in[j]];
		if (dep) {
			for (int j = 0; j < n->n_out; j++)
				batch_dep[n->out[j]] = 1;
			g->shape_nodes[g->n_shape_nodes++] = *n;
		} else {
			free(n->name);
			free(n->in);
		}
	}
	g->n_nodes = kept;
	free(batch_dep);
	qx_graph_link_producers(g);
	return 0;
}
