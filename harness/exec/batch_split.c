#include "exec/batch_split.h"

#include <string.h>

/* A constant operand broadcast against activations of rank r: it must not line up with the
 * batch axis (rank below r, or a leading 1). */
static int const_ok(const struct qx_tensor *t, int r)
{
	return t->ndim < r || t->dims[0] == 1;
}

/* Whether node n keeps the images apart, given activations with batch n_img first. */
static int node_ok(const struct qx_graph *g, const struct qx_node *n, int64_t n_img)
{
	const struct qx_tensor *y = &g->tensors[n->out[0]];
	for (int j = 0; j < n->n_out; j++) {
		const struct qx_tensor *t = &g->tensors[n->out[j]];
		if (t->is_const || t->dtype != QX_DT_F32 || t->ndim < 1 || t->dims[0] != n_img)
			return 0;
	}
	int acts = 0;
	for (int j = 0; j < n->n_in; j++) {
		if (n->in[j] < 0)
			continue;
		const struct qx_tensor *t = &g->tensors[n->in[j]];
		if (t->is_const)
			continue;
		if (t->dtype != QX_DT_F32 || t->ndim < 1 || t->dims[0] != n_img)
			return 0;
		acts++;
	}
	if (acts == 0)
		return 0;
	switch (n->op) {
	case QX_OP_CONV: case QX_OP_CONVTRANSPOSE: case QX_OP_RELU: case QX_OP_CLIP:
	case QX_OP_SIGMOID: case QX_OP_HARDSIGMOID: case QX_OP_HARDSWISH: case QX_OP_TANH:
	case QX_OP_LEAKYRELU: case QX_OP_SQRT: case QX_OP_ERF: case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL: case QX_OP_GLOBALAVGPOOL: case QX_OP_GLOBALMAXPOOL:
	case QX_OP_BATCHNORM: case QX_OP_IDENTITY: case QX_OP_DROPOUT: case QX_OP_RESHAPE:
		/* weights, bounds, statistics, shapes: per channel or per image; a Reshape keeps
		 * the first dim (checked above), so each image's values stay in its own block */
		return 1;
	case QX_OP_ADD: case QX_OP_SUB: case QX_OP_MUL: case QX_OP_DIV: case QX_OP_POW:
	case QX_OP_PRELU:
		for (int j = 0; j < n->n_in; j++)
			if (n->in[j] >= 0 && g->tensors[n->in[j]].is_const &&
			    !const_ok(&g->tensors[n->in[j]], y->ndim))
				return 0;
		return 1;
	case QX_OP_PAD: { /* nothing added before or after the batch axis */
		const struct qx_tensor *p = n->n_in > 1 && n->in[1] >= 0 ? &g->tensors[n->in[1]] : NULL;
		return p && p->is_const && p->i64 && p->ndim == 1 && p->dims[0] == 2 * y->ndim &&
		       p->i64[0] == 0 && p->i64[y->ndim] == 0;
	}
	case QX_OP_SLICE: { /* constant axes, none of them the batch axis */
		const struct qx_tensor *ax = n->n_in > 3 && n->in[3] >= 0 ? &g->tensors[n->in[3]] : NULL;
		int r = g->tensors[n->in[0]].ndim;
		if (!ax || !ax->is_const || !ax->i64 || ax->ndim != 1)
			return 0;
		for (int64_t i = 0; i < ax->dims[0]; i++)
			if (ax->i64[i] == 0 || ax->i64[i] == -r)
				return 0;
		return 1;
	}
	case QX_OP_SPLIT:
	case QX_OP_FLATTEN: case QX_OP_CONCAT: case QX_OP_SOFTMAX:
		return n->attr.axis != 0 && n->attr.axis != -(int64_t)y->ndim;
	case QX_OP_TRANSPOSE:
		return n->attr.axes.n > 0 && n->attr.axes.v[0] == 0;
	case QX_OP_REDUCEMEAN: { /* listed axes (none: all of them), not the batch axis */
		int r = g->tensors[n->in[0]].ndim;
		for (int i = 0; i < n->attr.axes.n; i++)
			if (n->attr.axes.v[i] == 0 || n->attr.axes.v[i] == -r)
				return 0;
		return n->attr.axes.n > 0;
	}
	case QX_OP_GEMM: {
		/* A [N, K] (rows = images), B and C constants that do not follow the rows */
		const struct qx_tensor *b = &g->tensors[n->in[1]];
		const struct qx_tensor *c = n->n_in > 2 && n->in[2] >= 0 ? &g->tensors[n->in[2]] : NULL;
		return !n->attr.gemm.trans_a && !g->tensors[n->in[0]].is_const && b->is_const &&
		       (!c || (c->is_const && const_ok(c, 2)));
	}
	case QX_OP_MATMUL: /* activations [N, ..., K] times a constant [K, M] */
		return !g->tensors[n->in[0]].is_const && g->tensors[n->in[1]].is_const &&
		       g->tensors[n->in[1]].ndim == 2;
	default:
		return 0;
	}
}

static int shaped_ok(const struct qx_graph *g, int64_t n_img)
{
	struct qx_graph s;
	struct qx_error err = { 0 };
	if (qx_graph_clone(g, &s, &err))
		return 0;
	int ok = qx_graph_infer_shapes(&s, n_img, &err) == 0 && s.n_nodes > 0;
	for (int i = 0; i < s.n_inputs && ok; i++)
		ok = s.tensors[s.inputs[i]].ndim >= 1 && s.tensors[s.inputs[i]].dims[0] == n_img;
	for (int i = 0; i < s.n_nodes && ok; i++)
		ok = node_ok(&s, &s.nodes[i], n_img);
	qx_graph_free(&s);
	return ok;
}

int qx_graph_images_independent(const struct qx_graph *g, int64_t a, int64_t b)
{
	return a != b && a >= 2 && b >= 2 && shaped_ok(g, a) && shaped_ok(g, b);
}

int qx_graph_images_independent_at(const struct qx_graph *g, const int64_t *sizes, int n)
{
	int64_t distinct_2plus[2] = { 0, 0 };
	int n_2plus = 0;
	for (int i = 0; i < n; i++) {
		int seen = 0;
		for (int j = 0; j < i && !seen; j++)
			seen = sizes[j] == sizes[i];
		if (sizes[i] < 1)
			return 0;
		if (seen)
			continue;
		if (!shaped_ok(g, sizes[i]))
			return 0;
		if (sizes[i] >= 2 && n_2plus < 2)
			distinct_2plus[n_2plus++] = sizes[i];
	}
	/* One size of 2 or more cannot tell a Reshape to that constant batch from one that keeps
	 * the batch: a second size can. */
	for (int64_t extra = 2; n_2plus < 2 && extra <= 3; extra++)
		if (extra != distinct_2plus[0]) {
			if (!shaped_ok(g, extra))
				return 0;
			distinct_2plus[n_2plus++] = extra;
		}
	return 1;
}
