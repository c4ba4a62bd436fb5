/* The graph IR's small services: names, lookups, freeing, and the edits import passes make. */
#include "model/graph_build.h"

#include <stdlib.h>
#include <string.h>

static const char *const op_names[QX_OP_COUNT] = {
	[QX_OP_CONV] = "Conv",
	[QX_OP_GEMM] = "Gemm",
	[QX_OP_MATMUL] = "MatMul",
	[QX_OP_RELU] = "Relu",
	[QX_OP_CLIP] = "Clip",
	[QX_OP_MAXPOOL] = "MaxPool",
	[QX_OP_AVGPOOL] = "AveragePool",
	[QX_OP_GLOBALAVGPOOL] = "GlobalAveragePool",
	[QX_OP_FLATTEN] = "Flatten",
	[QX_OP_RESHAPE] = "Reshape",
	[QX_OP_ADD] = "Add",
	[QX_OP_MUL] = "Mul",
	[QX_OP_CONCAT] = "Concat",
	[QX_OP_SOFTMAX] = "Softmax",
	[QX_OP_BATCHNORM] = "BatchNormalization",
	[QX_OP_IDENTITY] = "Identity",
	[QX_OP_DROPOUT] = "Dropout",
	[QX_OP_SIGMOID] = "Sigmoid",
	[QX_OP_HARDSIGMOID] = "HardSigmoid",
	[QX_OP_HARDSWISH] = "HardSwish",
	[QX_OP_TANH] = "Tanh",
	[QX_OP_LEAKYRELU] = "LeakyRelu",
	[QX_OP_PRELU] = "PRelu",
	[QX_OP_SUB] = "Sub",
	[QX_OP_DIV] = "Div",
	[QX_OP_SQRT] = "Sqrt",
	[QX_OP_POW] = "Pow",
	[QX_OP_ERF] = "Erf",
	[QX_OP_REDUCEMEAN] = "ReduceMean",
	[QX_OP_GLOBALMAXPOOL] = "GlobalMaxPool",
	[QX_OP_TRANSPOSE] = "Transpose",
	[QX_OP_SQUEEZE] = "Squeeze",
	[QX_OP_UNSQUEEZE] = "Unsqueeze",
	[QX_OP_SPLIT] = "Split",
	[QX_OP_SLICE] = "Slice",
	[QX_OP_PAD] = "Pad",
	[QX_OP_RESIZE] = "Resize",
	[QX_OP_CONVTRANSPOSE] = "ConvTranspose",
	[QX_OP_LAYERNORM] = "LayerNormalization",
	[QX_OP_SHAPE] = "Shape",
	[QX_OP_GATHER] = "Gather",
	[QX_OP_CAST] = "Cast",
	[QX_OP_RANGE] = "Range",
	[QX_OP_CONSTANTOFSHAPE] = "ConstantOfShape",
};

const char *qx_op_name(enum qx_op op)
{
	if ((unsigned)op >= QX_OP_COUNT)
		return "?";
	return op_names[op];
}

const char *qx_supported_ops(void)
{
	return "Conv, ConvTranspose, Gemm, MatMul, Relu, Clip, Sigmoid, HardSigmoid, HardSwish, "
	       "Tanh, LeakyRelu, PRelu, Erf, Sqrt, Pow, Add, Sub, Mul, Div, MaxPool, AveragePool, "
	       "GlobalAveragePool, GlobalMaxPool, ReduceMean, Flatten, Reshape, Transpose, Squeeze, "
	       "Unsqueeze, Concat, Split, Slice, Pad, Resize, Softmax, BatchNormalization, "
	       "LayerNormalization, Identity, Dropout, Shape, Gather, Cast, Range, ConstantOfShape, "
	       "Constant";
}

int64_t qx_tensor_numel(const struct qx_tensor *t)
{
	int64_t n = 1;
	for (int i = 0; i < t->ndim; i++)
		n *= t->dims[i];
	return n;
}

int qx_graph_find_tensor(const struct qx_graph *g, const char *name)
{
	for (int i = 0; i < g->n_tensors; i++)
		if (strcmp(g->tensors[i].name, name) == 0)
			return i;
	return -1;
}

int qx_graph_add_tensor(struct qx_graph *g, const char *name, struct qx_error *err)
{
	struct qx_tensor *grown = realloc(g->tensors, (size_t)(g->n_tensors + 1) * sizeof *grown);
	if (!grown)
		return qx_fail_nomem(err, "adding a tensor");
	g->tensors = grown;
	struct qx_tensor *t = &g->tensors[g->n_tensors];
	memset(t, 0, sizeof *t);
	t->producer = -1;
	t->name = strdup(name);
	if (!t->name)
		return qx_fail_nomem(err, "adding a tensor");
	return g->n_tensors++;
}

int qx_graph_readers(const struct qx_graph *g, int t)
{
	int n = 0;
	for (int i = 0; i < g->n_nodes; i++)
		for (int j = 0; j < g->nodes[i].n_in; j++)
			n += g->nodes[i].in[j] == t;
	for (int i = 0; i < g->n_shape_nodes; i++)
		for (int j = 0; j < g->shape_nodes[i].n_in; j++)
			n += g->shape_nodes[i].in[j] == t;
	return n;
}

int qx_graph_is_output(const struct qx_graph *g, int t)
{
	for (int i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == t)
			return 1;
	return 0;
}

void qx_graph_link_producers(struct qx_graph *g)
{
	for (int t = 0; t < g->n_tensors; t++)
		g->tensors[t].producer = -1;
	for (int i = 0; i < g->n_nodes; i++)
		for (int j = 0; j < g->nodes[i].n_out; j++)
			if (g->nodes[i].out[j] >= 0)
				g->tensors[g->nodes[i].out[j]].producer = i;
}

void qx_graph_remove_node(struct qx_graph *g, int idx)
{
	free(g->nodes[idx].name);
	free(g->nodes[idx].in);
	memmove(&g->nodes[idx], &g->nodes[idx + 1], (size_t)(g->n_nodes - idx - 1) * sizeof *g->nodes);
	g->n_nodes--;
	qx_graph_link_producers(g);
}

/* Kahn's algorithm, always taking the ready node that came first in the file, so a file that
 * is already sorted keeps its order. */
int qx_graph_sort(struct qx_graph *g, struct qx_error *err)
{
	int n = g->n_nodes;
	if (n == 0)
		return 0;
	char *ready = calloc((size_t)g->n_tensors, 1);
	char *done = calloc((size_t)n, 1);
	struct qx_node *sorted = malloc((size_t)n * sizeof *sorted);
	if (!ready || !done || !sorted) {
		free(ready);
		free(done);
		free(sorted);
		return qx_fail_nomem(err, "sorting nodes");
	}
	for (int t = 0; t < g->n_tensors; t++)
		ready[t] = g->tensors[t].producer < 0;
	int placed = 0;
	while (placed < n) {
		int pick = -1;
		for (int i = 0; i < n && pick < 0; i++) {
			if (done[i])
				continue;
			int ok = 1;
			for (int j = 0; j < g->nodes[i].n_in && ok; j++)
				ok = g->nodes[i].in[j] < 0 || ready[g->nodes[i].in[j]];
			if (ok)
				pick = i;
		}
		if (pick < 0)
			break;
		done[pick] = 1;
		sorted[placed++] = g->nodes[pick];
		for (int j = 0; j < g->nodes[pick].n_out; j++)
			if (g->nodes[pick].out[j] >= 0)
				ready[g->nodes[pick].out[j]] = 1;
	}
	int rc = 0;
	if (placed < n) {
		int stuck = 0;
		while (done[stuck])
			stuck++;
		rc = qx_fail(err, QX_EINVAL,
		             "%s: node '%s' (%s): its inputs are never computed (a cycle in the graph?) "
		             "(expected an acyclic graph)",
		             g->path, g->nodes[stuck].name, qx_op_name(g->nodes[stuck].op));
	} else {
		memcpy(g->nodes, sorted, (size_t)n * sizeof *sorted);
		qx_graph_link_producers(g);
	}
	free(ready);
	free(done);
	free(sorted);
	return rc;
}

void qx_graph_free(struct qx_graph *g)
{
	if (!g)
		return;
	for (int i = 0; i < g->n_tensors; i++) {
		free(g->tensors[i].name);
		free(g->tensors[i].data);
		free(g->tensors[i].i64);
	}
	for (int i = 0; i < g->n_nodes; i++) {
		free(g->nodes[i].name);
		free(g->nodes[i].in);
	}
	for (int i = 0; i < g->n_shape_nodes; i++) {
		free(g->shape_nodes[i].name);
		free(g->shape_nodes[i].in);
	}
	free(g->tensors);
	free(g->nodes);
	free(g->shape_nodes);
	free(g->inputs);
	free(g->outputs);
	free(g->path);
	memset(g, 0, sizeof *g);
}

int qx_graph_drop_unused(struct qx_graph *g, struct qx_error *err)
{
	char *used = calloc((size_t)g->n_tensors + 1, 1);
	int *remap = malloc(((size_t)g->n_tensors + 1) * sizeof *remap);
	if (!used || !remap) {
		free(used);
		free(remap);
		return qx_fail_nomem(err, "dropping unused tensors");
	}
	for (int k = 0; k < 2; k++) {
		const struct qx_node *nodes = k ? g->shape_nodes : g->nodes;
		for (int i = 0; i < (k ? g->n_shape_nodes : g->n_nodes); i++) {
			for (int j = 0; j < nodes[i].n_in; j++)
				if (nodes[i].in[j] >= 0)
					used[nodes[i].in[j]] = 1;
			for (int j = 0; j < nodes[i].n_out; j++)
				if (nodes[i].out[j] >= 0)
					used[nodes[i].out[j]] = 1;
		}
	}
	for (int i = 0; i < g->n_inputs; i++)
		used[g->inputs[i]] = 1;
	for (int i = 0; i < g->n_outputs; i++)
		used[g->outputs[i]] = 1;
	int kept = 0;
	for (int t = 0; t < g->n_tensors; t++) {
		if (used[t]) {
			remap[t] = kept;
			g->tensors[kept++] = g->tensors[t];
		} else {
			remap[t] = -1;
			free(g->tensors[t].name);
			free(g->tensors[t].data);
			free(g->tensors[t].i64);
		}
	}
	g->n_tensors = kept;
	for (int k = 0; k < 2; k++) {
		struct qx_node *nodes = k ? g->shape_nodes : g->nodes;
		for (int i = 0; i < (k ? g->n_shape_nodes : g->n_nodes); i++) {
			for (int j = 0; j < nodes[i].n_in; j++)
				if (nodes[i].in[j] >= 0)
					nodes[i].in[j] = remap[nodes[i].in[j]];
			for (int j = 0; j < QX_MAX_OUTPUTS; j++)
				if (nodes[i].out[j] >= 0)
					nodes[i].out[j] = remap[nodes[i].out[j]];
		}
	}
	for (int i = 0; i < g->n_inputs; i++)
		g->inputs[i] = remap[g->inputs[i]];
	for (int i = 0; i < g->n_outputs; i++)
		g->outputs[i] = remap[g->outputs[i]];
	free(used);
	free(remap);
	qx_graph_link_producers(g);
	return 0;
}
