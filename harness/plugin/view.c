/* The plugin's view of the graph; what the int8 executor supports per node comes from
 * harness/ops/node_caps.c.
 *
 * Public op numbers (include/qx/graph.h) are fixed forever; the harness's enum may be
 * reordered, so the mapping is explicit. */
#include "plugin/view.h"

#include <stdlib.h>
#include <string.h>

#include "ops/node_caps.h"

enum qx_view_op qx_view_op_of(enum qx_op op)
{
	switch (op) {
	case QX_OP_CONV: return QX_VIEW_OP_CONV;
	case QX_OP_GEMM: return QX_VIEW_OP_GEMM;
	case QX_OP_MATMUL: return QX_VIEW_OP_MATMUL;
	case QX_OP_RELU: return QX_VIEW_OP_RELU;
	case QX_OP_CLIP: return QX_VIEW_OP_CLIP;
	case QX_OP_MAXPOOL: return QX_VIEW_OP_MAXPOOL;
	case QX_OP_AVGPOOL: return QX_VIEW_OP_AVGPOOL;
	case QX_OP_GLOBALAVGPOOL: return QX_VIEW_OP_GLOBALAVGPOOL;
	case QX_OP_FLATTEN: return QX_VIEW_OP_FLATTEN;
	case QX_OP_RESHAPE: return QX_VIEW_OP_RESHAPE;
	case QX_OP_ADD: return QX_VIEW_OP_ADD;
	case QX_OP_MUL: return QX_VIEW_OP_MUL;
	case QX_OP_CONCAT: return QX_VIEW_OP_CONCAT;
	case QX_OP_SOFTMAX: return QX_VIEW_OP_SOFTMAX;
	case QX_OP_BATCHNORM: return QX_VIEW_OP_BATCHNORM;
	case QX_OP_IDENTITY: return QX_VIEW_OP_IDENTITY;
	case QX_OP_DROPOUT: return QX_VIEW_OP_DROPOUT;
	case QX_OP_SIGMOID: return QX_VIEW_OP_SIGMOID;
	case QX_OP_HARDSIGMOID: return QX_VIEW_OP_HARDSIGMOID;
	case QX_OP_HARDSWISH: return QX_VIEW_OP_HARDSWISH;
	case QX_OP_TANH: return QX_VIEW_OP_TANH;
	case QX_OP_LEAKYRELU: return QX_VIEW_OP_LEAKYRELU;
	case QX_OP_PRELU: return QX_VIEW_OP_PRELU;
	case QX_OP_SUB: return QX_VIEW_OP_SUB;
	case QX_OP_DIV: return QX_VIEW_OP_DIV;
	case QX_OP_SQRT: return QX_VIEW_OP_SQRT;
	case QX_OP_POW: return QX_VIEW_OP_POW;
	case QX_OP_ERF: return QX_VIEW_OP_ERF;
	case QX_OP_REDUCEMEAN: return QX_VIEW_OP_REDUCEMEAN;
	case QX_OP_GLOBALMAXPOOL: return QX_VIEW_OP_GLOBALMAXPOOL;
	case QX_OP_TRANSPOSE: return QX_VIEW_OP_TRANSPOSE;
	case QX_OP_SQUEEZE: return QX_VIEW_OP_SQUEEZE;
	case QX_OP_UNSQUEEZE: return QX_VIEW_OP_UNSQUEEZE;
	case QX_OP_SPLIT: return QX_VIEW_OP_SPLIT;
	case QX_OP_SLICE: return QX_VIEW_OP_SLICE;
	case QX_OP_PAD: return QX_VIEW_OP_PAD;
	case QX_OP_RESIZE: return QX_VIEW_OP_RESIZE;
	case QX_OP_CONVTRANSPOSE: return QX_VIEW_OP_CONVTRANSPOSE;
	case QX_OP_LAYERNORM: return QX_VIEW_OP_LAYERNORM;
	case QX_OP_SHAPE: return QX_VIEW_OP_SHAPE;
	case QX_OP_GATHER: return QX_VIEW_OP_GATHER;
	case QX_OP_CAST: return QX_VIEW_OP_CAST;
	case QX_OP_RANGE: return QX_VIEW_OP_RANGE;
	case QX_OP_CONSTANTOFSHAPE: return QX_VIEW_OP_CONSTANTOFSHAPE;
	case QX_OP_COUNT: break;
	}
	return QX_VIEW_OP_OTHER;
}

static int is_listed(const int *list, int n, int t)
{
	for (int i = 0; i < n; i++)
		if (list[i] == t)
			return 1;
	return 0;
}

int qx_view_build(const struct qx_graph *g, struct qx_view_store *vs, struct qx_error *err)
{
	memset(vs, 0, sizeof *vs);
	size_t n_idx = (size_t)g->n_inputs + (size_t)g->n_outputs;
	for (int i = 0; i < g->n_nodes; i++)
		n_idx += (size_t)g->nodes[i].n_in + (size_t)g->nodes[i].n_out;
	vs->tensors = calloc((size_t)g->n_tensors + 1, sizeof *vs->tensors);
	vs->nodes = calloc((size_t)g->n_nodes + 1, sizeof *vs->nodes);
	vs->indices = calloc(n_idx + 1, sizeof *vs->indices);
	vs->node_flags = calloc((size_t)g->n_nodes + 1, sizeof *vs->node_flags);
	if (!vs->tensors || !vs->nodes || !vs->indices || !vs->node_flags) {
		qx_view_free(vs);
		return qx_fail_nomem(err, "building the plugin's graph view");
	}
	for (int t = 0; t < g->n_tensors; t++) {
		const struct qx_tensor *src = &g->tensors[t];
		struct qx_view_tensor *dst = &vs->tensors[t];
		dst->name = src->name;
		dst->ndim = src->ndim;
		dst->is_const = src->is_const;
		for (int d = 0; d < src->ndim && d < QX_VIEW_MAX_DIMS; d++)
			dst->dims[d] = src->dims[d];
		dst->numel = qx_tensor_numel(src);
		dst->is_float = src->dtype == QX_DT_F32;
		dst->data = src->is_const && dst->is_float ? src->data : NULL;
		dst->producer = src->producer;
		dst->is_graph_input = !src->is_const && is_listed(g->inputs, g->n_inputs, t);
		dst->is_graph_output = is_listed(g->outputs, g->n_outputs, t);
	}
	int32_t *idx = vs->indices;
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *src = &g->nodes[n];
		struct qx_view_node *dst = &vs->nodes[n];
		struct qx_node_caps caps;
		qx_node_caps(g, n, &caps);
		dst->name = src->name;
		dst->op_type = qx_op_name(src->op);
		dst->op = qx_view_op_of(src->op);
		dst->n_inputs = src->n_in;
		dst->inputs = idx;
		for (int j = 0; j < src->n_in; j++)
			*idx++ = src->in[j];
		dst->n_outputs = src->n_out;
		dst->outputs = idx;
		for (int j = 0; j < src->n_out; j++)
			*idx++ = src->out[j];
		dst->modes = caps.modes;
		if ((caps.modes & QX_MODE_BIT(QX_MODE_STATIC)) && qx_op_keeps_qparams(src->op))
			vs->node_flags[n] |= QX_VIEW_NODE_KEEPS_QPARAMS;
		dst->weight = caps.weight;
		dst->weight_axis = caps.weight_axis;
		dst->bias = caps.bias;
		dst->act_min = src->act_min;
		dst->act_max = src->act_max;
		dst->group = src->op == QX_OP_CONV ? src->attr.conv.group : 0;
		dst->axis = (src->op == QX_OP_FLATTEN || src->op == QX_OP_CONCAT ||
		             src->op == QX_OP_SOFTMAX) ? (int32_t)src->attr.axis : 0;
	}
	struct qx_graph_view *v = &vs->view;
	v->model_path = g->path ? g->path : "";
	v->n_tensors = g->n_tensors;
	v->tensors = vs->tensors;
	v->n_nodes = g->n_nodes;
	v->nodes = vs->nodes;
	v->n_inputs = g->n_inputs;
	v->inputs = idx;
	for (int i = 0; i < g->n_inputs; i++)
		*idx++ = g->inputs[i];
	v->n_outputs = g->n_outputs;
	v->outputs = idx;
	for (int i = 0; i < g->n_outputs; i++)
		*idx++ = g->outputs[i];
	v->batch = g->batch;
	v->opset = g->opset;
	v->node_flags = vs->node_flags;
	return 0;
}

void qx_view_free(struct qx_view_store *vs)
{
	free(vs->tensors);
	free(vs->nodes);
	free(vs->indices);
	free(vs->node_flags);
	memset(vs, 0, sizeof *vs);
}
