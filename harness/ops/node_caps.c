/* What the int8 executor can run each node in, from the int8 op table (harness/ops/q8_ops.c)
 * and the node's tensors. The plugin view, plan validation, export and the float-plan
 * investigation all ask here, so none of them depends on another. */
#include "ops/node_caps.h"

#include "ops/q8_ops.h"

int qx_op_keeps_qparams(enum qx_op op)
{
	return qx_q8_op_of(op)->keeps_qparams;
}

static int is_activation(const struct qx_graph *g, int t)
{
	return t >= 0 && t < g->n_tensors && !g->tensors[t].is_const &&
	       g->tensors[t].dtype == QX_DT_F32;
}

static int is_const_f32(const struct qx_graph *g, int t, int ndim)
{
	return t >= 0 && t < g->n_tensors && g->tensors[t].is_const &&
	       g->tensors[t].dtype == QX_DT_F32 && g->tensors[t].data &&
	       (ndim < 0 || g->tensors[t].ndim == ndim);
}

/* A constant 1-D bias of n values, or absent; anything else keeps the node in float. */
static int bias_ok(const struct qx_graph *g, const struct qx_node *nd, int64_t n, int *bias)
{
	*bias = -1;
	if (nd->n_in < 3 || nd->in[2] < 0)
		return 1;
	if (!is_const_f32(g, nd->in[2], -1) || qx_tensor_numel(&g->tensors[nd->in[2]]) != n)
		return 0;
	*bias = nd->in[2];
	return 1;
}

static void linear_caps(const struct qx_graph *g, const struct qx_node *nd, struct qx_node_caps *c)
{
	if (nd->n_in < 2 || !is_activation(g, nd->in[0]) || !is_const_f32(g, nd->in[1], -1))
		return;
	const struct qx_tensor *w = &g->tensors[nd->in[1]];
	int axis, bias;
	if (nd->op == QX_OP_CONV) {
		if (w->ndim != 4)
			return;
		axis = 0;
	} else if (nd->op == QX_OP_GEMM) {
		if (w->ndim != 2 || nd->attr.gemm.trans_a || nd->attr.gemm.alpha != 1.0f ||
		    (nd->n_in > 2 && nd->in[2] >= 0 && nd->attr.gemm.beta != 1.0f))
			return;
		axis = nd->attr.gemm.trans_b ? 0 : 1;
	} else {
		if (w->ndim != 2 || nd->n_in != 2)
			return;
		axis = 1;
	}
	if (!bias_ok(g, nd, w->dims[axis], &bias))
		return;
	c->weight = nd->in[1];
	c->weight_axis = axis;
	c->bias = bias;
	c->modes |= QX_MODE_BIT(QX_MODE_STATIC) | QX_MODE_BIT(QX_MODE_WEIGHT_ONLY);
	if (qx_q8_op_of(nd->op)->dynamic)
		c->modes |= QX_MODE_BIT(QX_MODE_DYNAMIC);
}

void qx_node_caps(const struct qx_graph *g, int n, struct qx_node_caps *c)
{
	const struct qx_node *nd = &g->nodes[n];
	c->modes = QX_MODE_BIT(QX_MODE_FLOAT);
	c->weight = c->weight_axis = c->bias = -1;
	const struct qx_q8_op *row = qx_q8_op_of(nd->op);
	if (row->step == QX_Q8_FLOAT_ONLY || nd->n_out < 1 || !is_activation(g, nd->out[0]))
		return;
	int all_act = nd->n_in > 0, const_rest = nd->n_in > 0 && is_activation(g, nd->in[0]);
	for (int j = 0; j < nd->n_in; j++)
		all_act = all_act && is_activation(g, nd->in[j]);
	for (int j = 1; j < nd->n_in; j++)
		const_rest = const_rest && (nd->in[j] < 0 || g->tensors[nd->in[j]].is_const);
	int ok = 0;
	switch (row->inputs) {
	case QX_Q8_IN_WEIGHTED:
		linear_caps(g, nd, c);
		break;
	case QX_Q8_IN_ACTS:
		ok = all_act;
		break;
	case QX_Q8_IN_DATA: /* Clip's bounds live in act_min/act_max, Reshape's shape is known */
		ok = const_rest;
		break;
	case QX_Q8_IN_BROADCAST2:
		ok = nd->n_in == 2 && all_act &&
		     qx_q8_broadcast(&g->tensors[nd->in[0]], &g->tensors[nd->in[1]],
		                     &g->tensors[nd->out[0]]).kind != QX_Q8_BCAST_NONE;
		break;
	}
	if (ok)
		c->modes |= QX_MODE_BIT(QX_MODE_STATIC);
}
