/* The tiny model is built directly in the IR (as the importer would leave it after fusion),
 * so that plugin checks need no file and no reference model. */
#include "plugin/tiny_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* xorshift32: fixed sequences, the same everywhere. */
static uint32_t next_rand(uint32_t *s)
{
	uint32_t x = *s;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

static int add_tensor(struct qx_graph *g, const char *name, int ndim, const int64_t *dims,
                      int is_const, uint32_t *seed, float amplitude)
{
	struct qx_tensor *t = &g->tensors[g->n_tensors];
	memset(t, 0, sizeof *t);
	t->name = strdup(name);
	t->dtype = QX_DT_F32;
	t->ndim = ndim;
	memcpy(t->dims, dims, sizeof *dims * (size_t)ndim);
	memcpy(t->decl_dims, dims, sizeof *dims * (size_t)ndim);
	t->is_const = is_const;
	t->producer = -1;
	if (!t->name)
		return -1;
	if (is_const) {
		int64_t n = qx_tensor_numel(t);
		t->data = malloc(sizeof *t->data * (size_t)n);
		if (!t->data)
			return -1;
		for (int64_t i = 0; i < n; i++)
			t->data[i] = amplitude * ((float)(next_rand(seed) % 2001) / 1000.0f - 1.0f);
	}
	return g->n_tensors++;
}

static int add_node(struct qx_graph *g, const char *name, enum qx_op op, int n_in,
                    const int *in, int out)
{
	struct qx_node *n = &g->nodes[g->n_nodes];
	memset(n, 0, sizeof *n);
	n->name = strdup(name);
	n->op = op;
	n->n_in = n_in;
	n->in = malloc(sizeof *n->in * (size_t)n_in);
	if (!n->name || !n->in)
		return -1;
	memcpy(n->in, in, sizeof *in * (size_t)n_in);
	n->n_out = 1;
	n->out[0] = out;
	n->out[1] = -1;
	n->act_min = -INFINITY;
	n->act_max = INFINITY;
	g->tensors[out].producer = g->n_nodes;
	return g->n_nodes++;
}

int qx_tiny_model_build(struct qx_graph *g, struct qx_error *err)
{
	memset(g, 0, sizeof *g);
	g->tensors = calloc(12, sizeof *g->tensors);
	g->nodes = calloc(5, sizeof *g->nodes);
	g->inputs = malloc(sizeof *g->inputs);
	g->outputs = malloc(sizeof *g->outputs);
	g->path = strdup("<tiny model>");
	uint32_t seed = 12345;
	int ok = g->tensors && g->nodes && g->inputs && g->outputs && g->path;
	int x = -1, w1 = -1, b1 = -1, c1 = -1, p1 = -1, f1 = -1, w2 = -1, b2 = -1, h = -1;
	int w3 = -1, b3 = -1, y = -1;
	if (ok) {
		x = add_tensor(g, "input", 4, (int64_t[]){ 1, 1, 8, 8 }, 0, &seed, 0);
		w1 = add_tensor(g, "conv1.weight", 4, (int64_t[]){ 4, 1, 3, 3 }, 1, &seed, 0.5f);
		b1 = add_tensor(g, "conv1.bias", 1, (int64_t[]){ 4 }, 1, &seed, 0.1f);
		c1 = add_tensor(g, "conv1.out", 4, (int64_t[]){ 1, 4, 8, 8 }, 0, &seed, 0);
		p1 = add_tensor(g, "pool1.out", 4, (int64_t[]){ 1, 4, 4, 4 }, 0, &seed, 0);
		f1 = add_tensor(g, "flatten.out", 2, (int64_t[]){ 1, 64 }, 0, &seed, 0);
		w2 = add_tensor(g, "fc.weight", 2, (int64_t[]){ 10, 64 }, 1, &seed, 0.2f);
		b2 = add_tensor(g, "fc.bias", 1, (int64_t[]){ 10 }, 1, &seed, 0.1f);
		h = add_tensor(g, "fc.out", 2, (int64_t[]){ 1, 10 }, 0, &seed, 0);
		w3 = add_tensor(g, "fc2.weight", 2, (int64_t[]){ 10, 10 }, 1, &seed, 0.3f);
		b3 = add_tensor(g, "fc2.bias", 1, (int64_t[]){ 10 }, 1, &seed, 0.1f);
		y = add_tensor(g, "logits", 2, (int64_t[]){ 1, 10 }, 0, &seed, 0);
		ok = x >= 0 && w1 >= 0 && b1 >= 0 && c1 >= 0 && p1 >= 0 && f1 >= 0 && w2 >= 0 &&
		     b2 >= 0 && h >= 0 && w3 >= 0 && b3 >= 0 && y >= 0;
	}
	if (ok) {
		int conv = add_node(g, "conv1", QX_OP_CONV, 3, (int[]){ x, w1, b1 }, c1);
		int pool = add_node(g, "pool1", QX_OP_MAXPOOL, 1, (int[]){ c1 }, p1);
		int flat = add_node(g, "flatten", QX_OP_FLATTEN, 1, (int[]){ p1 }, f1);
		int fc = add_node(g, "fc", QX_OP_GEMM, 3, (int[]){ f1, w2, b2 }, h);
		int fc2 = add_node(g, "fc2", QX_OP_GEMM, 3, (int[]){ h, w3, b3 }, y);
		ok = conv >= 0 && pool >= 0 && flat >= 0 && fc >= 0 && fc2 >= 0;
		if (ok) {
			g->nodes[conv].attr.conv = (struct qx_conv_attr){
				.kernel = { 3, 3 }, .stride = { 1, 1 }, .dilation = { 1, 1 },
				.pad = { 1, 1, 1, 1 }, .group = 1, .auto_pad = QX_PAD_NOTSET };
			g->nodes[conv].act_min = 0.0f; /* a fused Relu */
			g->nodes[pool].attr.pool = (struct qx_pool_attr){
				.kernel = { 2, 2 }, .stride = { 2, 2 }, .dilation = { 1, 1 },
				.auto_pad = QX_PAD_NOTSET };
			g->nodes[flat].attr.axis = 1;
			g->nodes[fc].attr.gemm = (struct qx_gemm_attr){ .alpha = 1.0f, .beta = 1.0f,
			                                                .trans_b = 1 };
			g->nodes[fc].act_min = 0.0f; /* a fused Relu */
			g->nodes[fc2].attr.gemm = g->nodes[fc].attr.gemm;
		}
	}
	if (!ok) {
		qx_graph_free(g);
		return qx_fail_nomem(err, "building the tiny model");
	}
	g->n_inputs = 1;
	g->inputs[0] = x;
	g->n_outputs = 1;
	g->outputs[0] = y;
	g->opset = 13;
	g->batch = 1;
	int rc = qx_graph_infer_shapes(g, 1, err);
	if (rc)
		qx_graph_free(g);
	return rc;
}

int qx_synthetic_dataset(int64_t count, int c, int h, int w, int n_classes, uint32_t seed,
                         struct qx_dataset *ds, struct qx_error *err)
{
	memset(ds, 0, sizeof *ds);
	size_t n = (size_t)count * (size_t)c * (size_t)h * (size_t)w;
	ds->pixels = malloc(n ? n : 1);
	ds->labels = malloc(count ? (size_t)count : 1);
	ds->source = strdup("<synthetic images>");
	if (!ds->pixels || !ds->labels || !ds->source) {
		qx_dataset_free(ds);
		return qx_fail_nomem(err, "making synthetic images");
	}
	uint32_t s = seed ? seed : 1;
	for (size_t i = 0; i < n; i++)
		ds->pixels[i] = (uint8_t)(next_rand(&s) >> 24);
	for (int64_t i = 0; i < count; i++)
		ds->labels[i] = (uint8_t)(next_rand(&s) % (uint32_t)n_classes);
	ds->count = count;
	ds->c = c;
	ds->h = h;
	ds->w = w;
	ds->n_classes = n_classes;
	return 0;
}
