/* Builds small ONNX models with the generated protobuf-c API for the graph tests, and the
 * helpers those tests share (a seeded generator, one-input runs, relative differences). */
#include "support/onnx_builder.h"

#include "support/tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mb_dir = "/tmp";

/* ---- a tiny arena: every builder allocation, freed at once ------------------------------ */

void *arena_alloc(struct arena *a, size_t size)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->p = realloc(a->p, (size_t)a->cap * sizeof *a->p);
	}
	void *m = calloc(1, size ? size : 1);
	a->p[a->n++] = m;
	return m;
}

char *arena_str(struct arena *a, const char *s)
{
	char *d = arena_alloc(a, strlen(s) + 1);
	strcpy(d, s);
	return d;
}

void arena_free(struct arena *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->p[i]);
	free(a->p);
	memset(a, 0, sizeof *a);
}

/* ---- model builder ------------------------------------------------------------------- */

void mb_init(struct mb *b, int64_t opset)
{
	memset(b, 0, sizeof *b);
	onnx__model_proto__init(&b->m);
	onnx__graph_proto__init(&b->g);
	onnx__operator_set_id_proto__init(&b->opset);
	b->m.has_ir_version = 1;
	b->m.ir_version = 7;
	b->opset.domain = "";
	b->opset.has_version = 1;
	b->opset.version = opset;
	b->opsets[0] = &b->opset;
	b->m.n_opset_import = 1;
	b->m.opset_import = b->opsets;
	b->m.graph = &b->g;
	b->g.name = "test";
	b->g.node = b->nodes;
	b->g.initializer = b->inits;
	b->g.input = b->ins;
	b->g.output = b->outs;
}

/* Splits "a,b,,c" into strings (empty names allowed: omitted optional inputs). */
char **mb_split(struct arena *a, const char *list, size_t *n)
{
	*n = 0;
	if (!list || !*list)
		return NULL;
	char **v = arena_alloc(a, MAX_ITEMS * sizeof *v);
	const char *s = list;
	for (;;) {
		const char *c = strchr(s, ',');
		size_t len = c ? (size_t)(c - s) : strlen(s);
		char *item = arena_alloc(a, len + 1);
		memcpy(item, s, len);
		v[(*n)++] = item;
		if (!c)
			break;
		s = c + 1;
	}
	return v;
}

Onnx__NodeProto *mb_node(struct mb *b, const char *op, const char *name, const char *in,
                         const char *out)
{
	Onnx__NodeProto *n = arena_alloc(&b->a, sizeof *n);
	onnx__node_proto__init(n);
	n->op_type = arena_str(&b->a, op);
	n->name = arena_str(&b->a, name);
	n->input = mb_split(&b->a, in, &n->n_input);
	n->output = mb_split(&b->a, out, &n->n_output);
	n->attribute = arena_alloc(&b->a, MAX_ITEMS * sizeof *n->attribute);
	b->nodes[b->g.n_node++] = n;
	return n;
}

Onnx__AttributeProto *mb_attr(struct mb *b, Onnx__NodeProto *n, const char *key,
                              Onnx__AttributeProto__AttributeType type)
{
	Onnx__AttributeProto *at = arena_alloc(&b->a, sizeof *at);
	onnx__attribute_proto__init(at);
	at->name = arena_str(&b->a, key);
	at->has_type = 1;
	at->type = type;
	n->attribute[n->n_attribute++] = at;
	return at;
}

void mb_attr_int(struct mb *b, Onnx__NodeProto *n, const char *key, int64_t v)
{
	Onnx__AttributeProto *at = mb_attr(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	at->has_i = 1;
	at->i = v;
}

void mb_attr_float(struct mb *b, Onnx__NodeProto *n, const char *key, float v)
{
	Onnx__AttributeProto *at = mb_attr(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	at->has_f = 1;
	at->f = v;
}

void mb_attr_ints(struct mb *b, Onnx__NodeProto *n, const char *key, int count, ...)
{
	Onnx__AttributeProto *at = mb_attr(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	at->ints = arena_alloc(&b->a, (size_t)count * sizeof *at->ints);
	va_list ap;
	va_start(ap, count);
	for (int i = 0; i < count; i++)
		at->ints[i] = va_arg(ap, int);
	va_end(ap);
	at->n_ints = (size_t)count;
}

void mb_attr_str(struct mb *b, Onnx__NodeProto *n, const char *key, const char *v)
{
	Onnx__AttributeProto *at = mb_attr(b, n, key, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	at->has_s = 1;
	at->s.len = strlen(v);
	at->s.data = (uint8_t *)arena_str(&b->a, v);
}

Onnx__TensorProto *mb_new_tensor(struct mb *b, const char *name, int32_t dtype, int ndim,
                                 const int64_t *dims)
{
	Onnx__TensorProto *t = arena_alloc(&b->a, sizeof *t);
	onnx__tensor_proto__init(t);
	t->name = arena_str(&b->a, name);
	t->has_data_type = 1;
	t->data_type = dtype;
	t->n_dims = (size_t)ndim;
	t->dims = arena_alloc(&b->a, (size_t)(ndim ? ndim : 1) * sizeof *t->dims);
	memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
	return t;
}

int64_t mb_count(int ndim, const int64_t *dims)
{
	int64_t n = 1;
	for (int i = 0; i < ndim; i++)
		n *= dims[i];
	return n;
}

/* A float initializer; data copied (raw_data form when raw, float_data otherwise). */
void mb_init_f32(struct mb *b, const char *name, int ndim, const int64_t *dims,
                 const float *data, int raw)
{
	Onnx__TensorProto *t = mb_new_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, ndim, dims);
	size_t n = (size_t)mb_count(ndim, dims);
	float *copy = arena_alloc(&b->a, n * sizeof *copy);
	memcpy(copy, data, n * sizeof *copy);
	if (raw) {
		t->has_raw_data = 1;
		t->raw_data.len = n * sizeof *copy;
		t->raw_data.data = (uint8_t *)copy;
	} else {
		t->n_float_data = n;
		t->float_data = copy;
	}
	b->inits[b->g.n_initializer++] = t;
}

void mb_init_i64(struct mb *b, const char *name, int n, const int64_t *vals)
{
	int64_t dims[1] = { n };
	Onnx__TensorProto *t = mb_new_tensor(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, dims);
	t->n_int64_data = (size_t)n;
	t->int64_data = arena_alloc(&b->a, (size_t)n * sizeof *t->int64_data);
	memcpy(t->int64_data, vals, (size_t)n * sizeof *vals);
	b->inits[b->g.n_initializer++] = t;
}

Onnx__ValueInfoProto *mb_value_info(struct mb *b, const char *name, int32_t dtype, int ndim,
                                    const int64_t *dims)
{
	Onnx__ValueInfoProto *v = arena_alloc(&b->a, sizeof *v);
	onnx__value_info_proto__init(v);
	v->name = arena_str(&b->a, name);
	Onnx__TypeProto *tp = arena_alloc(&b->a, sizeof *tp);
	onnx__type_proto__init(tp);
	Onnx__TypeProto__Tensor *tt = arena_alloc(&b->a, sizeof *tt);
	onnx__type_proto__tensor__init(tt);
	tt->has_elem_type = 1;
	tt->elem_type = dtype;
	if (dims) {
		Onnx__TensorShapeProto *sp = arena_alloc(&b->a, sizeof *sp);
		onnx__tensor_shape_proto__init(sp);
		sp->n_dim = (size_t)ndim;
		sp->dim = arena_alloc(&b->a, (size_t)(ndim ? ndim : 1) * sizeof *sp->dim);
		for (int i = 0; i < ndim; i++) {
			Onnx__TensorShapeProto__Dimension *d = arena_alloc(&b->a, sizeof *d);
			onnx__tensor_shape_proto__dimension__init(d);
			if (dims[i] < 0) {
				d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
				d->dim_param = arena_str(&b->a, "N");
			} else {
				d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
				d->dim_value = dims[i];
			}
			sp->dim[i] = d;
		}
		tt->shape = sp;
	}
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	v->type = tp;
	return v;
}

/* A graph input; a negative dim is symbolic ("N"). */
void mb_input(struct mb *b, const char *name, int32_t dtype, int ndim, const int64_t *dims)
{
	b->ins[b->g.n_input++] = mb_value_info(b, name, dtype, ndim, dims);
}

void mb_output(struct mb *b, const char *name)
{
	b->outs[b->g.n_output++] = mb_value_info(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0,
	                                         NULL);
}

/* Writes the model to tmpdir/name (path out) and frees the builder; keep_bytes > 0 truncates. */
void mb_write(struct mb *b, const char *name, char *path, size_t path_len, size_t keep_bytes)
{
	snprintf(path, path_len, "%s/%s", mb_dir, name);
	size_t n = onnx__model_proto__get_packed_size(&b->m);
	uint8_t *buf = malloc(n);
	onnx__model_proto__pack(&b->m, buf);
	FILE *f = fopen(path, "wb");
	fwrite(buf, 1, keep_bytes && keep_bytes < n ? keep_bytes : n, f);
	fclose(f);
	/* tools/fuzz-seeds sets QX_MB_SEED_DIR to keep every model the graph tests build as a seed
	 * for the ONNX fuzz target (tests/fuzz/corpus/fuzz_onnx). */
	const char *seeds = getenv("QX_MB_SEED_DIR");
	if (seeds) {
		char seed[4096];
		snprintf(seed, sizeof seed, "%s/%s", seeds, name);
		FILE *sf = fopen(seed, "wb");
		if (sf) {
			fwrite(buf, 1, keep_bytes && keep_bytes < n ? keep_bytes : n, sf);
			fclose(sf);
		}
	}
	free(buf);
	arena_free(&b->a);
}

/* ---- helpers ------------------------------------------------------------------------- */

uint64_t mb_rng = 0x9e3779b97f4a7c15ull;

float mb_frand(void)
{
	mb_rng = mb_rng * 6364136223846793005ull + 1442695040888963407ull;
	return (float)((mb_rng >> 40) & 0xffffff) / (float)0x1000000 * 2.0f - 1.0f;
}

void mb_fill(float *p, int64_t n, float lo, float hi)
{
	for (int64_t i = 0; i < n; i++)
		p[i] = lo + (mb_frand() + 1.0f) * 0.5f * (hi - lo);
}

int mb_count_op(const struct qx_graph *g, enum qx_op op)
{
	int n = 0;
	for (int i = 0; i < g->n_nodes; i++)
		n += g->nodes[i].op == op;
	return n;
}

const struct qx_kernels *mb_scalar(void)
{
	return qx_kernels_get(QX_KSET_SCALAR);
}

static struct qx_tensor last_output; /* its ndim and dims only */

const struct qx_tensor *mb_last_output(void)
{
	return &last_output;
}

/* Runs a one-input graph for `batch` and copies output o (n floats) into y; 0 on success. */
int mb_run1(const struct qx_graph *g, int64_t batch, const float *x, int o, float *y, int64_t n)
{
	memset(&last_output, 0, sizeof last_output);
	struct qx_exec_f32 *e;
	struct qx_error err = { 0 };
	if (qx_exec_f32_create(g, batch, mb_scalar(), &e, &err)) {
		diag("create: %s", err.msg);
		return -1;
	}
	const float *in[1] = { x };
	int rc = qx_exec_f32_run(e, in, &err);
	if (rc)
		diag("run: %s", err.msg);
	else
		memcpy(y, qx_exec_f32_tensor(e, g->outputs[o]), (size_t)n * sizeof *y);
	const struct qx_tensor *t = &qx_exec_f32_graph(e)->tensors[g->outputs[o]];
	last_output.ndim = t->ndim;
	memcpy(last_output.dims, t->dims, sizeof t->dims);
	qx_exec_f32_free(e);
	return rc;
}

double mb_max_rel_diff(const float *a, const float *b, int64_t n)
{
	double worst = 0;
	for (int64_t i = 0; i < n; i++) {
		double d = fabs((double)a[i] - b[i]) / fmax(1.0, fabs((double)b[i]));
		if (!(d <= worst))
			worst = d;
	}
	return worst;
}

