/* A deep copy of a graph: for checks that must change constants (the reference simulation
 * fake-quantizes weights) without touching the graph the executors run.
 *
 * Owner's rule: every pointer a struct qx_tensor or struct qx_node holds is copied here. A new
 * pointer field in either struct must be added to this file (and to qx_graph_free). */
#include "model/graph.h"

#include <stdlib.h>
#include <string.h>

static int dup_bytes(void **dst, const void *src, size_t bytes)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = malloc(bytes ? bytes : 1);
	if (!*dst)
		return -1;
	memcpy(*dst, src, bytes);
	return 0;
}

static int dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

static int dup_node(struct qx_node *d, const struct qx_node *s)
{
	*d = *s;
	d->name = NULL;
	d->in = NULL;
	return dup_str(&d->name, s->name) ||
	       dup_bytes((void **)&d->in, s->in, sizeof(int) * (size_t)s->n_in);
}

int qx_graph_clone(const struct qx_graph *src, struct qx_graph *dst, struct qx_error *err)
{
	memset(dst, 0, sizeof *dst);
	*dst = *src;
	dst->tensors = NULL;
	dst->nodes = NULL;
	dst->shape_nodes = NULL;
	dst->n_shape_nodes = 0;
	dst->inputs = NULL;
	dst->outputs = NULL;
	dst->path = NULL;
	dst->n_tensors = 0;
	dst->n_nodes = 0;
	int bad = dup_str(&dst->path, src->path) ||
	          dup_bytes((void **)&dst->inputs, src->inputs, sizeof(int) * (size_t)src->n_inputs) ||
	          dup_bytes((void **)&dst->outputs, src->outputs,
	                    sizeof(int) * (size_t)src->n_outputs);
	if (!bad) {
		dst->tensors = calloc((size_t)src->n_tensors + 1, sizeof *dst->tensors);
		dst->nodes = calloc((size_t)src->n_nodes + 1, sizeof *dst->nodes);
		dst->shape_nodes = calloc((size_t)src->n_shape_nodes + 1, sizeof *dst->shape_nodes);
		bad = !dst->tensors || !dst->nodes || !dst->shape_nodes;
	}
	for (int i = 0; !bad && i < src->n_tensors; i++) {
		const struct qx_tensor *s = &src->tensors[i];
		struct qx_tensor *d = &dst->tensors[i];
		*d = *s;
		d->name = NULL;
		d->data = NULL;
		d->i64 = NULL;
		dst->n_tensors = i + 1;
		int64_t n = s->data || s->i64 ? qx_tensor_numel(s) : 0;
		bad = dup_str(&d->name, s->name) ||
		      dup_bytes((void **)&d->data, s->data, sizeof(float) * (size_t)n) ||
		      dup_bytes((void **)&d->i64, s->i64, sizeof(int64_t) * (size_t)n);
	}
	for (int i = 0; !bad && i < src->n_nodes; i++) {
		dst->n_nodes = i + 1;
		bad = dup_node(&dst->nodes[i], &src->nodes[i]);
	}
	for (int i = 0; !bad && i < src->n_shape_nodes; i++) {
		dst->n_shape_nodes = i + 1;
		bad = dup_node(&dst->shape_nodes[i], &src->shape_nodes[i]);
	}
	if (bad) {
		qx_graph_free(dst);
		return qx_fail_nomem(err, "copying the graph");
	}
	return 0;
}
