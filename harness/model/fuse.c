/* Relu (or a Clip that is one: bounds [0, +inf)) directly after a Conv or Gemm becomes that
 * op's output clamp (act_min/act_max). The producer takes over the activation's output tensor
 * (so graph outputs and later readers are untouched); the pre-activation tensor, now unused,
 * is dropped.
 *
 * A Clip with other bounds (ReLU6) stays a node of its own, as in PyTorch: FX fuses Conv+ReLU
 * but quantizes ReLU6 / hardtanh as a separate op that shares its input's observer, so the
 * conv's output qparams come from the range before the clip (mobilenet_v2: -5.2..5.3, not
 * 0..6). Fusing it would hand the plugins another tensor to observe and part qx-bench's int8
 * results from PyTorch's (docs/model-zoo.md). */
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
	return n->act_min == 0.0f && n->act_max == INFINITY;
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
		p->act_min = 0.0f;
		p->act_max = INFINITY;
		p->out[0] = act->out[0];
		qx_graph_remove_node(g, i);
		i--;
		fused++;
	}
	return fused ? qx_graph_drop_unused(g, err) : 0;
}
