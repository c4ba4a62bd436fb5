/* Relu / Clip directly after a Conv or Gemm become that op's output clamp (act_min/act_max).
 * The producer takes over the activation's output tensor (so graph outputs and later readers
 * are untouched); the pre-activation tensor, now unused, is dropped. */
#include "model/graph_build.h"

#include <math.h>

static int fusable_activation(const struct qx_node *n)
{
	if (n->op == QX_OP_RELU)
		return 1;
	if (n->op != QX_OP_CLIP)
		return 0;
	for (int j = 1; j < n->n_in; j++)
		if (n->in[j] >= 0)
			return 0; /* bounds computed at run time */
	return 1;
}

int qx_graph_fuse_activations(struct qx_graph *g, struct qx_error *err)
{
	int fused = 0;
	qx_graph_link_producers(g);
	for (int i = 0; i < g->n_nodes; i++) {
		const struct qx_node *act = &g->nodes[i];
		if (!fusable_activation(act))
			continue;
		int x = act->in[0];
		int pi = g->tensors[x].producer;
		if (pi < 0 || qx_graph_readers(g, x) != 1 || qx_graph_is_output(g, x))
			continue;
		struct qx_node *p = &g->nodes[pi];
		if (p->op != QX_OP_CONV && p->op != QX_OP_GEMM)
			continue;
		/* Only into a producer with no clamp yet: two disjoint ranges do not compose into
		 * one min/max pair. */
		if (p->act_min != -INFINITY || p->act_max != INFINITY)
			continue;
		p->act_min = act->op == QX_OP_RELU ? 0.0f : act->act_min;
		p->act_max = act->op == QX_OP_RELU ? INFINITY : act->act_max;
		p->out[0] = act->out[0];
		qx_graph_remove_node(g, i);
		i--;
		fused++;
	}
	return fused ? qx_graph_drop_unused(g, err) : 0;
}
