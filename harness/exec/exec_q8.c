/* The int8 executor: lowers (graph, plan) into steps that call one kernel set. */
#include "exec/exec_q8.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_f32.h"
#include "exec/q8_layout.h"
#include "ops/q8_ops.h"
#include "exec/q8_weights.h"
#include "exec/pool.h"

/* Readable bytes past the end of every int8 activation and of the scratch buffer, so that a
 * Concat can move short rows 16 bytes at a time (copy_rows). */
#define U8_SLACK 16

enum step_kind {
	STEP_QUANTIZE,      /* float (NCHW) -> uint8 (physical layout) */
	STEP_DEQUANTIZE,    /* uint8 -> float */
	STEP_CONV,          /* static Conv, Gemm, MatMul (Gemm/MatMul as a 1x1 conv) */
	STEP_DYN_GEMM,      /* dynamic Gemm/MatMul: float in, float out */
	STEP_MAXPOOL,
	STEP_AVGPOOL,       /* AveragePool, GlobalAveragePool */
	STEP_REQUANT,       /* Relu, Clip, Identity, Dropout, Flatten, Reshape (with relayout) */
	STEP_ADD,           /* Add, Mul: the smaller input may broadcast (struct qx_q8_bcast) */
	STEP_MUL,
	STEP_CONCAT,
	STEP_TABLE,         /* Sigmoid, HardSwish: a 256-entry table */
	STEP_FLOAT,         /* a float node through the fp32 executor */
};

static const char *const step_names[] = {
	[STEP_QUANTIZE] = "quantize", [STEP_DEQUANTIZE] = "dequantize", [STEP_CONV] = "conv",
	[STEP_DYN_GEMM] = "dynamic gemm", [STEP_MAXPOOL] = "maxpool", [STEP_AVGPOOL] = "avgpool",
	[STEP_REQUANT] = "requantize", [STEP_ADD] = "add", [STEP_MUL] = "mul",
	[STEP_CONCAT] = "concat", [STEP_TABLE] = "table lookup", [STEP_FLOAT] = "float op",
};

/* Run-time state of one tensor in the int8 model. */
struct q8_tensor {
	uint8_t *u8;               /* int8 form in its physical layout (owned), or NULL */
	struct qx_q8_layout lay;   /* logical shape and physical layout of u8 */
	float scale;               /* per-tensor qparams of the int8 form */
	int32_t zp, qmin, qmax;
	int have_u8, have_f32;     /* which forms exist at this point of the lowering */
};

struct step {
	enum step_kind kind;
	int node;                  /* graph node, -1 for an inserted conversion */
	int in, out;               /* tensor indices */
	void *packed;              /* conv / dynamic gemm weights, kernel-set specific */
	struct qx_q8_conv_desc desc;
	float mult;                /* requantize / avgpool multiplier */
	int count_include_pad;
	int32_t out_min, out_max;
	/* dynamic gemm */
	int64_t m, n, k;
	float *w_scale;            /* [n] weight scales */
	float *bias_f32;           /* [n] or NULL */
	float *scale_buf;          /* [n] x_scale * w_scale, per call */
	int32_t dyn_qmin, dyn_qmax;
	float act_min, act_max;
	/* add, mul: in is the input with the output's shape, in2 the other */
	int in2;
	float mult2;
	struct qx_q8_bcast bc;
	uint8_t *table;            /* table lookup: 256 entries */
	int64_t weight_bytes;      /* conv: its int8 weights, scales and bias (what it rereads) */
	int chunk;                 /* images per pass of the run of steps this one starts, or 0
	                            * (see plan_chunks); chunk_steps: how many steps that run has */
	int chunk_steps;
};

struct qx_exec_q8 {
	const struct qx_graph *g;  /* the f32 executor's copy, with this batch's shapes */
	const struct qx_kernels *k;
	int64_t batch;
	struct qx_exec_f32 *f32;   /* float storage and float nodes */
	struct q8_tensor *t;
	struct step *steps;
	int n_steps, cap_steps;
	struct qx_pool *pool;      /* splits conv, pooling and gemm across threads; NULL: one */
	uint8_t *scratch;          /* relayout / dynamic quantization buffer */
	enum { FAULT_NONE, FAULT_UNWRITTEN, FAULT_OFF_BY_ONE } fault; /* QX_TEST_INT8_FAULT */
	int chunking;              /* runs image-local steps image chunk by chunk (plan_chunks) */
	int chunked_runs;          /* how many runs of steps the last run went chunk by chunk */
	size_t scratch_bytes;
	int64_t model_bytes;
};

/* ---- building ---------------------------------------------------------------------------- */

static struct step *add_step(struct qx_exec_q8 *e, enum step_kind kind, int node, int in, int out)
{
	if (e->n_steps == e->cap_steps) {
		int cap = e->cap_steps ? 2 * e->cap_steps : 16;
		struct step *s = realloc(e->steps, sizeof *s * (size_t)cap);
		if (!s)
			return NULL;
		e->steps = s;
		e->cap_steps = cap;
	}
	struct step *s = &e->steps[e->n_steps++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->node = node;
	s->in = in;
	s->out = out;
	s->in2 = -1;
	return s;
}

static void need_scratch(struct qx_exec_q8 *e, size_t bytes)
{
	if (bytes > e->scratch_bytes)
		e->scratch_bytes = bytes;
}

static int alloc_u8(struct qx_exec_q8 *e, int t, const struct qx_quant_plan *plan,
                    struct qx_error *err)
{
	struct q8_tensor *qt = &e->t[t];
	if (qt->u8)
		return 0;
	const struct qx_tensor_qparams *qp = &plan->tensor[t];
	if (qp->dtype != QX_PLAN_UINT8 || qp->n_channels != 1)
		return qx_fail(err, QX_EPLUGIN, "%s: tensor '%s' needs per-tensor uint8 qparams for the "
		               "int8 model (the plan gives none)", e->g->path, e->g->tensors[t].name);
	qx_q8_layout_init(&qt->lay, &e->g->tensors[t]);
	qt->u8 = malloc((size_t)qt->lay.numel + U8_SLACK);
	if (!qt->u8)
		return qx_fail_nomem(err, "allocating int8 activations");
	memset(qt->u8 + qt->lay.numel, 0, U8_SLACK);
	qt->scale = qp->scales[0];
	qt->zp = qp->zero_points[0];
	qt->qmin = qp->qmin;
	qt->qmax = qp->qmax;
	e->model_bytes += 8; /* the activation's scale and zero point */
	return 0;
}

/* Makes sure tensor t has an int8 form, inserting a quantize step when it only has a float one. */
static int want_u8(struct qx_exec_q8 *e, int t, const struct qx_quant_plan *plan,
                   struct qx_error *err)
{
	struct q8_tensor *qt = &e->t[t];
	if (qt->have_u8)
		return 0;
	int rc = alloc_u8(e, t, plan, err);
	if (rc)
		return rc;
	if (!add_step(e, STEP_QUANTIZE, -1, t, t))
		return qx_fail_nomem(err, "building the int8 model");
	need_scratch(e, (size_t)qt->lay.numel);
	qt->have_u8 = 1;
	return 0;
}

/* Makes sure tensor t has a float form, inserting a dequantize step when needed. */
static int want_f32(struct qx_exec_q8 *e, int t, struct qx_error *err)
{
	struct q8_tensor *qt = &e->t[t];
	if (qt->have_f32)
		return 0;
	if (!add_step(e, STEP_DEQUANTIZE, -1, t, t))
		return qx_fail_nomem(err, "building the int8 model");
	need_scratch(e, (size_t)qt->lay.numel);
	qt->have_f32 = 1;
	return 0;
}

/* The clamp of an int8 output: the plan's [qmin, qmax], narrowed by a fused Relu/Clip. */
static void output_clamp(const struct q8_tensor *o, float act_min, float act_max, int32_t *lo,
                         int32_t *hi)
{
	*lo = o->qmin;
	*hi = o->qmax;
	if (act_min > -INFINITY) {
		double q = nearbyint((double)act_min / o->scale) + o->zp;
		if (q > *lo)
			*lo = q > o->qmax ? o->qmax : (int32_t)q;
	}
	if (act_max < INFINITY) {
		double q = nearbyint((double)act_max / o->scale) + o->zp;
		if (q < *hi)
			*hi = q < *lo ? *lo : (int32_t)q;
	}
}

/* Rows of a Gemm / MatMul input of k columns: the product of all leading dimensions. */
static int64_t gemm_rows(const struct qx_tensor *x, int64_t k)
{
	return k > 0 ? qx_tensor_numel(x) / k : 0;
}

static int build_conv(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                      struct qx_error *err)
{
	const struct qx_graph *g = e->g;
	const struct qx_node *nd = &g->nodes[n];
	int x = nd->in[0], y = nd->out[0];
	int rc = want_u8(e, x, plan, err);
	if (!rc)
		rc = alloc_u8(e, y, plan, err);
	if (rc)
		return rc;
	const struct q8_tensor *qx = &e->t[x];
	struct q8_tensor *qy = &e->t[y];
	struct qx_q8_weights w;
	rc = qx_q8_weights_build(g, n, &plan->tensor[nd->in[1]],
	                         nd->n_in > 2 && nd->in[2] >= 0 ? &plan->tensor[nd->in[2]] : NULL, 1,
	                         qx->scale, qy->scale, &w, err);
	if (rc)
		return rc;
	struct step *s = add_step(e, STEP_CONV, n, x, y);
	if (!s) {
		qx_q8_weights_free(&w);
		return qx_fail_nomem(err, "building the int8 model");
	}
	struct qx_q8_conv_desc *d = &s->desc;
	d->in_zp = qx->zp;
	d->out_zp = qy->zp;
	/* Every step that writes an int8 tensor clamps to a part of its [qmin, qmax] (quantize,
	 * and each kernel's out_min..out_max from output_clamp), and validation keeps the zero
	 * point inside it: a tensor whose qmax is at most 127 (reduce_range) holds only 0..127,
	 * which the kernels may exploit (AVX2: vpmaddubsw, docs/numerics.md). */
	d->in_u7 = qx->qmin >= 0 && qx->qmax <= 127;
	output_clamp(qy, nd->act_min, nd->act_max, &d->out_min, &d->out_max);
	if (nd->op == QX_OP_CONV) {
		const struct qx_conv_attr *a = &nd->attr.conv;
		const struct qx_tensor *ti = &g->tensors[x], *to = &g->tensors[y];
		d->n = ti->dims[0];
		d->c = ti->dims[1];
		d->h = ti->dims[2];
		d->w = ti->dims[3];
		d->oc = to->dims[1];
		d->oh = to->dims[2];
		d->ow = to->dims[3];
		d->kh = a->kernel[0];
		d->kw = a->kernel[1];
		d->sh = a->stride[0];
		d->sw = a->stride[1];
		d->dh = a->dilation[0];
		d->dw = a->dilation[1];
		d->pt = a->pad[0];
		d->pl = a->pad[1];
		d->pb = a->pad[2];
		d->pr = a->pad[3];
		d->groups = a->group;
	} else {
		/* Gemm / MatMul: [m][k] x [k][n] as a 1x1 convolution over m one-pixel images. A
		 * MatMul's input may have leading dimensions ([N, T, k]): every one of them is a row. */
		d->n = gemm_rows(&g->tensors[x], w.k);
		d->h = d->w = d->oh = d->ow = 1;
		d->c = w.k;
		d->oc = w.n;
		d->kh = d->kw = d->sh = d->sw = d->dh = d->dw = 1;
		d->groups = 1;
	}
	e->model_bytes += w.bytes;
	s->weight_bytes = w.bytes;
	if (e->k->q8->conv_pack(d, w.w_ohwi, w.bias, w.multiplier, &s->packed)) {
		qx_q8_weights_free(&w);
		return qx_fail_nomem(err, "packing int8 weights");
	}
	qx_q8_weights_free(&w);
	qy->have_u8 = 1;
	return 0;
}

static int build_dyn_gemm(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                          struct qx_error *err)
{
	const struct qx_graph *g = e->g;
	const struct qx_node *nd = &g->nodes[n];
	int x = nd->in[0], y = nd->out[0];
	int rc = want_f32(e, x, err);
	if (rc)
		return rc;
	struct qx_q8_weights w;
	rc = qx_q8_weights_build(g, n, &plan->tensor[nd->in[1]], NULL, 0, 0.0f, 0.0f, &w, err);
	if (rc)
		return rc;
	struct step *s = add_step(e, STEP_DYN_GEMM, n, x, y);
	if (!s) {
		qx_q8_weights_free(&w);
		return qx_fail_nomem(err, "building the int8 model");
	}
	s->m = gemm_rows(&g->tensors[x], w.k);
	s->k = w.k;
	s->n = w.n;
	s->dyn_qmin = plan->node[n].dyn_qmin;
	s->dyn_qmax = plan->node[n].dyn_qmax;
	s->act_min = nd->act_min;
	s->act_max = nd->act_max;
	s->w_scale = w.w_scale;
	s->bias_f32 = w.bias_f32;
	w.w_scale = NULL;
	w.bias_f32 = NULL;
	s->scale_buf = malloc(sizeof(float) * (size_t)s->n);
	struct qx_q8_gemm_desc gd = { .n = s->n, .k = s->k };
	rc = !s->scale_buf || e->k->q8->gemm_pack(&gd, w.w_ohwi, &s->packed);
	/* Dynamic: int8 weights and their scales, the bias stays fp32. */
	e->model_bytes += w.bytes;
	qx_q8_weights_free(&w);
	if (rc)
		return qx_fail_nomem(err, "packing int8 weights");
	need_scratch(e, (size_t)(s->m * s->k));
	e->t[y].have_f32 = 1;
	return 0;
}

/* The step of a node with one int8 input and one int8 output (in[0] -> out[0]), its tensors'
 * int8 forms made or planned. */
static int unary_step(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                      enum step_kind kind, struct step **out, struct qx_error *err)
{
	const struct qx_node *nd = &e->g->nodes[n];
	int rc = want_u8(e, nd->in[0], plan, err);
	if (!rc)
		rc = alloc_u8(e, nd->out[0], plan, err);
	if (rc)
		return rc;
	*out = add_step(e, kind, n, nd->in[0], nd->out[0]);
	return *out ? 0 : qx_fail_nomem(err, "building the int8 model");
}

/* Ops whose int8 output is a (re)quantized copy of the input: Relu, Clip, Identity, Dropout,
 * Flatten, Reshape. */
static int build_requant(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                         struct qx_error *err)
{
	const struct qx_node *nd = &e->g->nodes[n];
	int x = nd->in[0], y = nd->out[0];
	struct step *s;
	int rc = unary_step(e, n, plan, STEP_REQUANT, &s, err);
	if (rc)
		return rc;
	const struct q8_tensor *qx = &e->t[x];
	struct q8_tensor *qy = &e->t[y];
	float lo = nd->act_min, hi = nd->act_max;
	if (nd->op == QX_OP_RELU && lo < 0.0f)
		lo = 0.0f;
	output_clamp(qy, lo, hi, &s->out_min, &s->out_max);
	s->mult = qx->scale / qy->scale;
	need_scratch(e, 2 * (size_t)qx->lay.numel);
	qy->have_u8 = 1;
	return 0;
}

static int build_pool(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                      struct qx_error *err)
{
	const struct qx_graph *g = e->g;
	const struct qx_node *nd = &g->nodes[n];
	int x = nd->in[0], y = nd->out[0];
	const struct qx_tensor *ti = &g->tensors[x], *to = &g->tensors[y];
	if (ti->ndim != 4)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: node '%s' (%s): int8 pooling needs a 4-D input",
		               g->path, nd->name, qx_op_name(nd->op));
	int max = qx_q8_op_of(nd->op)->step == QX_Q8_MAXPOOL;
	struct step *s;
	int rc = unary_step(e, n, plan, max ? STEP_MAXPOOL : STEP_AVGPOOL, &s, err);
	if (rc)
		return rc;
	const struct q8_tensor *qx = &e->t[x];
	struct q8_tensor *qy = &e->t[y];
	struct qx_q8_conv_desc *d = &s->desc;
	d->n = ti->dims[0];
	d->c = d->oc = d->groups = (int)ti->dims[1];
	d->h = ti->dims[2];
	d->w = ti->dims[3];
	d->oh = to->dims[2];
	d->ow = to->dims[3];
	d->in_zp = qx->zp;
	d->out_zp = qy->zp;
	output_clamp(qy, nd->act_min, nd->act_max, &d->out_min, &d->out_max);
	if (nd->op == QX_OP_GLOBALAVGPOOL) {
		d->kh = (int)d->h;
		d->kw = (int)d->w;
		d->sh = d->sw = d->dh = d->dw = 1;
	} else {
		const struct qx_pool_attr *a = &nd->attr.pool;
		d->kh = a->kernel[0];
		d->kw = a->kernel[1];
		d->sh = a->stride[0];
		d->sw = a->stride[1];
		d->dh = a->dilation[0] ? a->dilation[0] : 1;
		d->dw = a->dilation[1] ? a->dilation[1] : 1;
		d->pt = a->pad[0];
		d->pl = a->pad[1];
		d->pb = a->pad[2];
		d->pr = a->pad[3];
		s->count_include_pad = a->count_include_pad;
	}
	if (max && (qx->scale != qy->scale || qx->zp != qy->zp))
		return qx_fail(err, QX_EPLUGIN, "%s: node '%s' (MaxPool): int8 max pooling keeps its "
		               "input's qparams, but the plan gives its output others", g->path, nd->name);
	s->mult = qx->scale / qy->scale;
	qy->have_u8 = 1;
	return 0;
}

/* Add and Mul. The input with the output's shape becomes the step's first one (both ops are
 * commutative, in fp32 too), the other is broadcast to it. */
static int build_binary(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                        enum step_kind kind, struct qx_error *err)
{
	const struct qx_graph *g = e->g;
	const struct qx_node *nd = &g->nodes[n];
	int a = nd->in[0], b = nd->in[1], y = nd->out[0];
	struct qx_q8_bcast bc = qx_q8_broadcast(&g->tensors[a], &g->tensors[b], &g->tensors[y]);
	if (bc.kind == QX_Q8_BCAST_NONE)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: node '%s' (%s): the int8 executor cannot "
		               "broadcast these input shapes (expected equal shapes, a single value, or "
		               "[N, C, 1, 1] against [N, C, H, W])", g->path, nd->name,
		               qx_op_name(nd->op));
	if (bc.big) {
		int t = a;
		a = b, b = t;
	}
	int rc = want_u8(e, a, plan, err);
	if (!rc)
		rc = want_u8(e, b, plan, err);
	if (!rc)
		rc = alloc_u8(e, y, plan, err);
	if (rc)
		return rc;
	struct step *s = add_step(e, kind, n, a, y);
	if (!s)
		return qx_fail_nomem(err, "building the int8 model");
	s->in2 = b;
	s->bc = bc;
	struct q8_tensor *qy = &e->t[y];
	if (kind == STEP_MUL) {
		s->mult = e->t[a].scale * e->t[b].scale / qy->scale;
	} else {
		s->mult = e->t[a].scale / qy->scale;
		s->mult2 = e->t[b].scale / qy->scale;
	}
	output_clamp(qy, nd->act_min, nd->act_max, &s->out_min, &s->out_max);
	/* a broadcast single value or channel-less row is spread into scratch first */
	if (bc.kind == QX_Q8_BCAST_SCALAR)
		need_scratch(e, (size_t)qy->lay.numel);
	if (bc.kind == QX_Q8_BCAST_CHANNEL)
		need_scratch(e, (size_t)bc.c);
	qy->have_u8 = 1;
	return 0;
}

/* Sigmoid, HardSwish: the op's table, built now from the input's and output's qparams. */
static int build_table(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                       struct qx_error *err)
{
	const struct qx_node *nd = &e->g->nodes[n];
	int x = nd->in[0], y = nd->out[0];
	struct step *s;
	int rc = unary_step(e, n, plan, STEP_TABLE, &s, err);
	if (rc)
		return rc;
	if (!(s->table = malloc(256)))
		return qx_fail_nomem(err, "building the int8 model");
	const struct q8_tensor *qx = &e->t[x];
	struct q8_tensor *qy = &e->t[y];
	output_clamp(qy, nd->act_min, nd->act_max, &s->out_min, &s->out_max);
	qx_q8_table_build(qx_q8_op_of(nd->op)->fn, qx->scale, qx->zp, qy->scale, qy->zp, s->out_min,
	                  s->out_max, e->k->q8->quantize, s->table);
	e->model_bytes += 256;
	qy->have_u8 = 1;
	return 0;
}

static int build_concat(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                        struct qx_error *err)
{
	const struct qx_node *nd = &e->g->nodes[n];
	int y = nd->out[0];
	int rc = 0;
	for (int i = 0; i < nd->n_in && !rc; i++)
		rc = want_u8(e, nd->in[i], plan, err);
	if (!rc)
		rc = alloc_u8(e, y, plan, err);
	if (rc)
		return rc;
	struct step *s = add_step(e, STEP_CONCAT, n, nd->in[0], y);
	if (!s)
		return qx_fail_nomem(err, "building the int8 model");
	for (int i = 0; i < nd->n_in; i++) /* an input requantized whole before its rows go */
		need_scratch(e, (size_t)e->t[nd->in[i]].lay.numel + U8_SLACK);
	output_clamp(&e->t[y], nd->act_min, nd->act_max, &s->out_min, &s->out_max);
	e->t[y].have_u8 = 1;
	return 0;
}

static int build_float(struct qx_exec_q8 *e, int n, struct qx_error *err)
{
	const struct qx_node *nd = &e->g->nodes[n];
	for (int i = 0; i < nd->n_in; i++) {
		int t = nd->in[i];
		if (t >= 0 && !e->g->tensors[t].is_const) {
			int rc = want_f32(e, t, err);
			if (rc)
				return rc;
		}
	}
	if (!add_step(e, STEP_FLOAT, n, nd->n_in ? nd->in[0] : -1, nd->out[0]))
		return qx_fail_nomem(err, "building the int8 model");
	for (int j = 0; j < nd->n_out; j++)
		e->t[nd->out[j]].have_f32 = 1;
	/* Constants of float nodes stay fp32 in the quantized model. */
	for (int i = 0; i < nd->n_in; i++) {
		int t = nd->in[i];
		if (t >= 0 && e->g->tensors[t].is_const && e->g->tensors[t].dtype == QX_DT_F32)
			e->model_bytes += 4 * qx_tensor_numel(&e->g->tensors[t]);
	}
	return 0;
}

static int build_node(struct qx_exec_q8 *e, int n, const struct qx_quant_plan *plan,
                      struct qx_error *err)
{
	const struct qx_node *nd = &e->g->nodes[n];
	int mode = plan->node[n].mode;
	if (mode == QX_MODE_FLOAT)
		return build_float(e, n, err);
	const struct qx_q8_op *row = qx_q8_op_of(nd->op); /* the int8 op table */
	if (mode == QX_MODE_DYNAMIC) {
		if (row->dynamic)
			return build_dyn_gemm(e, n, plan, err);
	} else {
		switch (row->step) {
		case QX_Q8_LINEAR: return build_conv(e, n, plan, err);
		case QX_Q8_MAXPOOL:
		case QX_Q8_AVGPOOL: return build_pool(e, n, plan, err);
		case QX_Q8_COPY: return build_requant(e, n, plan, err);
		case QX_Q8_ADD: return build_binary(e, n, plan, STEP_ADD, err);
		case QX_Q8_MUL: return build_binary(e, n, plan, STEP_MUL, err);
		case QX_Q8_CONCAT: return build_concat(e, n, plan, err);
		case QX_Q8_TABLE: return build_table(e, n, plan, err);
		case QX_Q8_FLOAT_ONLY: break;
		}
	}
	return qx_fail(err, QX_EUNSUPPORTED, "%s: node '%s' (%s): the int8 executor cannot run it in "
	               "%s mode (the plan asked for it)", e->g->path, nd->name, qx_op_name(nd->op),
	               mode == QX_MODE_STATIC ? "static" : "dynamic");
}

/* ---- image chunks ------------------------------------------------------------------------
 * At batch 64 the default model's 28x28x32 activations are 1.6 MB each, more than a core's L2
 * cache (1 MB on Zen 4): each step would read its input back from L3, where the step before
 * left it. Consecutive steps that compute each image from that image alone (convolution and
 * pooling) run instead a few images at a time through all of them, so that a chunk's output is
 * still in L2 when the next step reads it. Each step runs the same kernel over the same output
 * pixels (an image range is a pixel range, as in the split across threads), so the bits are
 * the same. A chunk rereads each convolution's weights, so only steps with small weights join
 * a run; and only where the whole batch would not fit. What it saved on the default model at
 * batch 64: docs/measurement.md. */
#define CHUNK_BYTES (256 * 1024)        /* a chunk's largest step input + output */
#define CHUNK_WEIGHT_BYTES (128 * 1024) /* a convolution's weights, at most, to join a run */

/* Bytes per image a step reads and writes when it can run image by image, else 0. */
static int64_t image_local_bytes(const struct qx_exec_q8 *e, const struct step *s)
{
	switch (s->kind) {
	case STEP_CONV: /* a Gemm / MatMul too when it has one row per image */
		if (s->weight_bytes > CHUNK_WEIGHT_BYTES)
			return 0;
		break;
	case STEP_MAXPOOL:
	case STEP_AVGPOOL: break;
	default: return 0;
	}
	if (s->desc.n != e->batch || e->batch < 2)
		return 0;
	return (e->t[s->in].lay.numel + e->t[s->out].lay.numel) / e->batch;
}

/* Marks each run of at least two image-local steps with its chunk: forced images per chunk
 * (e->chunking > 0, tests), or what fits CHUNK_BYTES where the whole batch does not (< 0). */
static void plan_chunks(struct qx_exec_q8 *e)
{
	for (int i = 0; i < e->n_steps; i++)
		e->steps[i].chunk = e->steps[i].chunk_steps = 0;
	for (int i = 0; i < e->n_steps && e->chunking;) {
		int64_t per_image = 0;
		int j = i;
		for (; j < e->n_steps; j++) {
			int64_t b = image_local_bytes(e, &e->steps[j]);
			if (!b)
				break;
			per_image = b > per_image ? b : per_image;
		}
		int64_t chunk = e->chunking > 0 ? e->chunking
		                : per_image * e->batch > CHUNK_BYTES ? CHUNK_BYTES / per_image : 0;
		if (j - i >= 2 && chunk > 0 && chunk < e->batch) {
			e->steps[i].chunk = (int)(chunk > 1 ? chunk : 1);
			e->steps[i].chunk_steps = j - i;
		}
		i = j > i ? j : i + 1;
	}
}

void qx_exec_q8_set_chunking(struct qx_exec_q8 *e, int images)
{
	e->chunking = images;
	plan_chunks(e);
}

int qx_exec_q8_chunk_runs(const struct qx_exec_q8 *e)
{
	return e->chunked_runs;
}

int qx_exec_q8_create(const struct qx_graph *graph, const struct qx_quant_plan *plan,
                      int64_t batch, const struct qx_kernels *k, struct qx_exec_q8 **out,
                      struct qx_error *err)
{
	*out = NULL;
	if (plan->n_tensors != graph->n_tensors || plan->n_nodes != graph->n_nodes)
		return qx_fail(err, QX_EINTERNAL, "%s: the plan was made for another graph",
		               graph->path);
	if (plan->simulated)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: the plan uses %s: no int8 kernel runs it "
		               "(expected it evaluated on the reference simulation)", graph->path,
		               plan->simulated_why);
	struct qx_exec_q8 *e = calloc(1, sizeof *e);
	if (!e)
		return qx_fail_nomem(err, "creating the int8 executor");
	e->k = k;
	e->batch = batch;
	const char *fault = getenv(QX_TEST_INT8_FAULT_ENV);
	if (fault && *fault) {
		if (strcmp(fault, "unwritten") == 0)
			e->fault = FAULT_UNWRITTEN;
		else if (strcmp(fault, "off-by-one") == 0)
			e->fault = FAULT_OFF_BY_ONE;
		else {
			free(e);
			return qx_fail(err, QX_EINVAL, "%s='%s' (expected unwritten or off-by-one)",
			               QX_TEST_INT8_FAULT_ENV, fault);
		}
	}
	int rc = qx_exec_f32_create(graph, batch, k, &e->f32, err);
	if (rc) {
		free(e);
		return rc;
	}
	const struct qx_graph *g = e->g = qx_exec_f32_graph(e->f32);
	e->t = calloc((size_t)g->n_tensors, sizeof *e->t);
	if (!e->t) {
		qx_exec_q8_free(e);
		return qx_fail_nomem(err, "creating the int8 executor");
	}
	for (int i = 0; i < g->n_inputs; i++)
		e->t[g->inputs[i]].have_f32 = 1;
	for (int t = 0; t < g->n_tensors; t++)
		qx_q8_layout_init(&e->t[t].lay, &g->tensors[t]);
	for (int n = 0; n < g->n_nodes && !rc; n++)
		rc = build_node(e, n, plan, err);
	for (int i = 0; i < g->n_outputs && !rc; i++)
		rc = want_f32(e, g->outputs[i], err);
	e->chunking = -1;
	if (!rc)
		plan_chunks(e);
	if (!rc && e->scratch_bytes) {
		e->scratch = calloc(1, e->scratch_bytes); /* its slack is read (copy_rows) */
		if (!e->scratch)
			rc = qx_fail_nomem(err, "allocating int8 scratch");
	}
	if (rc) {
		qx_exec_q8_free(e);
		return rc;
	}
	*out = e;
	return 0;
}

/* ---- running ----------------------------------------------------------------------------- */

static void run_quantize(struct qx_exec_q8 *e, const struct step *s)
{
	struct q8_tensor *qt = &e->t[s->in];
	const float *x = qx_exec_f32_buffer(e->f32, s->in);
	size_t count = (size_t)qt->lay.numel;
	if (!qt->lay.nhwc || !qx_q8_layout_needs_transpose(&qt->lay)) {
		e->k->q8->quantize(x, count, qt->scale, qt->zp, qt->qmin, qt->qmax, qt->u8);
		return;
	}
	e->k->q8->quantize(x, count, qt->scale, qt->zp, qt->qmin, qt->qmax, e->scratch);
	qx_q8_nchw_to_nhwc(&qt->lay, e->scratch, qt->u8);
}

static void run_dequantize(struct qx_exec_q8 *e, const struct step *s)
{
	struct q8_tensor *qt = &e->t[s->in];
	float *x = qx_exec_f32_buffer(e->f32, s->in);
	const uint8_t *src = qt->u8;
	if (qt->lay.nhwc && qx_q8_layout_needs_transpose(&qt->lay)) {
		qx_q8_nhwc_to_nchw(&qt->lay, qt->u8, e->scratch);
		src = e->scratch;
	}
	e->k->q8->dequantize(src, (size_t)qt->lay.numel, qt->scale, qt->zp, x);
}

static void run_requant(struct qx_exec_q8 *e, const struct step *s)
{
	const struct q8_tensor *qx = &e->t[s->in];
	struct q8_tensor *qy = &e->t[s->out];
	size_t count = (size_t)qx->lay.numel;
	/* Reshapes see values in logical (NCHW) order; only relayout when a layout changes it. */
	const uint8_t *src = qx->u8;
	int in_t = qx->lay.nhwc && qx_q8_layout_needs_transpose(&qx->lay);
	int out_t = qy->lay.nhwc && qx_q8_layout_needs_transpose(&qy->lay);
	int same_layout = qx->lay.nhwc == qy->lay.nhwc && qx->lay.ndim == qy->lay.ndim;
	if (!same_layout && (in_t || out_t)) {
		uint8_t *logical = e->scratch;
		if (in_t)
			qx_q8_nhwc_to_nchw(&qx->lay, qx->u8, logical);
		else
			memcpy(logical, qx->u8, count);
		uint8_t *requant = e->scratch + count;
		e->k->q8->requantize(logical, count, qx->zp, s->mult, qy->zp, s->out_min, s->out_max,
		                     out_t ? requant : qy->u8);
		if (out_t)
			qx_q8_nchw_to_nhwc(&qy->lay, requant, qy->u8);
		return;
	}
	e->k->q8->requantize(src, count, qx->zp, s->mult, qy->zp, s->out_min, s->out_max, qy->u8);
}

static void run_dyn_gemm(struct qx_exec_q8 *e, struct step *s)
{
	const float *x = qx_exec_f32_buffer(e->f32, s->in);
	float *y = qx_exec_f32_buffer(e->f32, s->out);
	size_t count = (size_t)(s->m * s->k);
	float lo = count ? x[0] : 0.0f, hi = lo;
	for (size_t i = 1; i < count; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	float scale;
	int32_t zp;
	qx_choose_qparams_dynamic(lo, hi, s->dyn_qmin, s->dyn_qmax, &scale, &zp);
	e->k->q8->quantize(x, count, scale, zp, s->dyn_qmin, s->dyn_qmax, e->scratch);
	for (int64_t j = 0; j < s->n; j++)
		s->scale_buf[j] = scale * s->w_scale[j];
	int64_t rows = s->m;
	if (e->fault == FAULT_UNWRITTEN)
		rows -= (rows + 3) / 4;
	e->k->q8->gemm_f32out(s->packed, e->scratch, zp, s->scale_buf, s->bias_f32, y, 0, rows);
	if (s->act_min > -INFINITY || s->act_max < INFINITY)
		for (int64_t i = 0; i < rows * s->n; i++)
			y[i] = fminf(fmaxf(y[i], s->act_min), s->act_max);
}

/* Copies rows of len bytes, packed in src, to dst at a row stride; room: the bytes from dst to
 * the end of its row. Rows of at most 16 bytes (densenet121's 5-channel Concat inputs) go as
 * one fixed 16-byte move each where the row has the room: the bytes past len belong to later
 * inputs of the Concat, which are written after, and src has U8_SLACK readable bytes past its
 * end (int8 activations and scratch are allocated so). */
static void copy_rows(const uint8_t *src, int64_t rows, int64_t len, uint8_t *dst, int64_t stride,
                      int64_t room)
{
	if (len <= 16 && room >= 16) {
		for (int64_t r = 0; r < rows; r++)
			memcpy(dst + r * stride, src + r * len, 16);
		return;
	}
	for (int64_t r = 0; r < rows; r++)
		memcpy(dst + r * stride, src + r * len, (size_t)len);
}

/* Whether requantizing qx into qy's qparams and [lo, hi] gives back every byte unchanged: the
 * same scale (multiplier exactly 1, so t = x - zp exactly, and rne(t) + zp = x) and zero point,
 * and qx's whole range [qmin, qmax] inside the clamp (every step keeps its output in it). */
static int requant_is_identity(const struct q8_tensor *qx, const struct q8_tensor *qy, int32_t lo,
                               int32_t hi)
{
	return qx->scale == qy->scale && qx->zp == qy->zp && qx->qmin >= lo && qx->qmax <= hi;
}

/* Below this many bytes per row, one requantize call per row (per pixel, for a channel
 * Concat in NHWC: densenet121's 5-channel inputs) costs more in calls and scalar tails than
 * requantizing the whole input at once into scratch and copying its rows. */
#define CONCAT_ROW_DIRECT 64

static void run_concat(struct qx_exec_q8 *e, const struct step *s)
{
	const struct qx_node *nd = &e->g->nodes[s->node];
	struct q8_tensor *qy = &e->t[s->out];
	int axis = qx_q8_layout_physical_axis(&qy->lay, (int)nd->attr.axis);
	int64_t outer = 1, out_inner = 1;
	for (int d = 0; d < axis; d++)
		outer *= qy->lay.phys[d];
	for (int d = axis; d < qy->lay.ndim; d++)
		out_inner *= qy->lay.phys[d];
	int64_t offset = 0;
	for (int i = 0; i < nd->n_in; i++) {
		const struct q8_tensor *qx = &e->t[nd->in[i]];
		int64_t inner = outer ? qx->lay.numel / outer : 0;
		float mult = qx->scale / qy->scale;
		uint8_t *dst = qy->u8 + offset;
		if (requant_is_identity(qx, qy, s->out_min, s->out_max)) {
			copy_rows(qx->u8, outer, inner, dst, out_inner, out_inner - offset);
		} else if (outer > 1 && inner < CONCAT_ROW_DIRECT) {
			e->k->q8->requantize(qx->u8, (size_t)qx->lay.numel, qx->zp, mult, qy->zp,
			                     s->out_min, s->out_max, e->scratch);
			copy_rows(e->scratch, outer, inner, dst, out_inner, out_inner - offset);
		} else {
			for (int64_t o = 0; o < outer; o++)
				e->k->q8->requantize(qx->u8 + o * inner, (size_t)inner, qx->zp, mult, qy->zp,
				                     s->out_min, s->out_max, dst + o * out_inner);
		}
		offset += inner;
	}
}

/* add or mul of count values of a (the step's first input) and b into y */
static void binary_call(struct qx_exec_q8 *e, const struct step *s, const uint8_t *a,
                        const uint8_t *b, size_t count, uint8_t *y)
{
	const struct q8_tensor *qa = &e->t[s->in], *qb = &e->t[s->in2], *qy = &e->t[s->out];
	if (s->kind == STEP_MUL)
		e->k->q8->mul(a, qa->zp, b, qb->zp, s->mult, count, qy->zp, s->out_min, s->out_max, y);
	else
		e->k->q8->add(a, qa->zp, s->mult, b, qb->zp, s->mult2, count, qy->zp, s->out_min,
		              s->out_max, y);
}

static void run_binary(struct qx_exec_q8 *e, const struct step *s)
{
	const uint8_t *a = e->t[s->in].u8, *b = e->t[s->in2].u8;
	uint8_t *y = e->t[s->out].u8;
	size_t count = (size_t)e->t[s->out].lay.numel;
	const struct qx_q8_bcast *bc = &s->bc;
	switch (bc->kind) {
	case QX_Q8_BCAST_SCALAR:
		memset(e->scratch, b[0], count);
		binary_call(e, s, a, e->scratch, count, y);
		break;
	case QX_Q8_BCAST_CHANNEL: /* NHWC: each pixel's C values meet the image's row of b */
		for (int64_t n = 0; n < bc->n; n++) {
			const uint8_t *row = b + (bc->small_n ? n : 0) * (bc->small_c ? bc->c : 1);
			if (!bc->small_c) {
				memset(e->scratch, row[0], (size_t)bc->c);
				row = e->scratch;
			}
			for (int64_t p = n * bc->hw; p < (n + 1) * bc->hw; p++)
				binary_call(e, s, a + p * bc->c, row, (size_t)bc->c, y + p * bc->c);
		}
		break;
	default:
		binary_call(e, s, a, b, count, y);
		break;
	}
}

/* One step's kernel over a range of its output pixels, as the thread pool calls it. */
struct range_call {
	struct qx_exec_q8 *e;
	struct step *s;
};

static void conv_range(void *ctx, int64_t begin, int64_t end)
{
	struct range_call *c = ctx;
	c->e->k->q8->conv(c->s->packed, c->e->t[c->s->in].u8, c->e->t[c->s->out].u8, begin, end);
}

static void maxpool_range(void *ctx, int64_t begin, int64_t end)
{
	struct range_call *c = ctx;
	c->e->k->q8->maxpool(&c->s->desc, c->e->t[c->s->in].u8, c->e->t[c->s->out].u8, begin, end);
}

static void avgpool_range(void *ctx, int64_t begin, int64_t end)
{
	struct range_call *c = ctx;
	c->e->k->q8->avgpool(&c->s->desc, c->s->count_include_pad, c->s->mult,
	                     c->e->t[c->s->in].u8, c->e->t[c->s->out].u8, begin, end);
}

/* Runs fn over [0, total), split across the pool's threads when there is one. */
static void split(struct qx_exec_q8 *e, struct step *s, int64_t total, qx_pool_fn fn)
{
	struct range_call c = { e, s };
	if (e->pool)
		qx_pool_run(e->pool, total, fn, &c);
	else
		fn(&c, 0, total);
}

static int run_step(struct qx_exec_q8 *e, struct step *s, struct qx_error *err)
{
	const struct qx_kernels_q8 *q8 = e->k->q8;
	struct q8_tensor *t = e->t;
	int64_t pixels = s->desc.n * s->desc.oh * s->desc.ow;
	switch (s->kind) {
	case STEP_QUANTIZE: run_quantize(e, s); break;
	case STEP_DEQUANTIZE: run_dequantize(e, s); break;
	case STEP_CONV:
		if (e->fault == FAULT_UNWRITTEN)
			pixels -= (pixels + 3) / 4;
		split(e, s, pixels, conv_range);
		if (e->fault == FAULT_OFF_BY_ONE) {
			struct q8_tensor *y = &t[s->out];
			for (int64_t i = 0; i < y->lay.numel; i++)
				y->u8[i] += y->u8[i] < y->qmax; /* stays in [qmin, qmax] (in_u7) */
		}
		break;
	case STEP_DYN_GEMM: run_dyn_gemm(e, s); break;
	case STEP_MAXPOOL: split(e, s, pixels, maxpool_range); break;
	case STEP_AVGPOOL: split(e, s, pixels, avgpool_range); break;
	case STEP_REQUANT: run_requant(e, s); break;
	case STEP_ADD:
	case STEP_MUL: run_binary(e, s); break;
	case STEP_TABLE:
		q8->lookup(t[s->in].u8, (size_t)t[s->in].lay.numel, s->table, t[s->out].u8);
		break;
	case STEP_CONCAT: run_concat(e, s); break;
	case STEP_FLOAT: return qx_exec_f32_run_node(e->f32, s->node, err);
	}
	return 0;
}

/* The run of steps that steps[first] starts (plan_chunks), chunk of images by chunk. */
static void run_chunked(struct qx_exec_q8 *e, int first)
{
	const struct step *head = &e->steps[first];
	for (int64_t a = 0; a < e->batch; a += head->chunk) {
		int64_t b = a + head->chunk < e->batch ? a + head->chunk : e->batch;
		for (int i = first; i < first + head->chunk_steps; i++) {
			struct step *s = &e->steps[i];
			int64_t per_image = s->desc.oh * s->desc.ow;
			struct range_call c = { e, s };
			qx_pool_fn fn = s->kind == STEP_CONV      ? conv_range
			                : s->kind == STEP_MAXPOOL ? maxpool_range : avgpool_range;
			fn(&c, a * per_image, b * per_image);
		}
	}
}

int qx_exec_q8_run(struct qx_exec_q8 *e, const float *const *inputs, struct qx_error *err)
{
	for (int i = 0; i < e->g->n_inputs; i++) {
		int t = e->g->inputs[i];
		memcpy(qx_exec_f32_buffer(e->f32, t), inputs[i],
		       sizeof(float) * (size_t)qx_tensor_numel(&e->g->tensors[t]));
	}
	e->chunked_runs = 0;
	for (int s = 0; s < e->n_steps; s++) {
		/* chunks on one thread only (a pool of one calls straight through, as the latency
		 * runner's one-thread measurement does): a pool of more splits each step's pixels
		 * instead. The test faults act on whole steps. */
		const struct step *st = &e->steps[s];
		if (st->chunk && (!e->pool || qx_pool_threads(e->pool) == 1) && e->fault == FAULT_NONE) {
			run_chunked(e, s);
			e->chunked_runs++;
			s += st->chunk_steps - 1;
			continue;
		}
		int rc = run_step(e, &e->steps[s], err);
		if (rc)
			return rc;
	}
	return 0;
}

const float *qx_exec_q8_output(const struct qx_exec_q8 *e, int i)
{
	if (i < 0 || i >= e->g->n_outputs)
		return NULL;
	return qx_exec_f32_buffer(e->f32, e->g->outputs[i]);
}

void qx_exec_q8_set_pool(struct qx_exec_q8 *e, struct qx_pool *pool)
{
	e->pool = pool;
	qx_exec_f32_set_pool(e->f32, pool); /* the nodes the plan leaves in float too */
}

int qx_exec_q8_n_steps(const struct qx_exec_q8 *e)
{
	return e->n_steps;
}

const void *qx_exec_q8_step_output(const struct qx_exec_q8 *e, int s, int64_t *bytes,
                                   const char **node_name, const char **what)
{
	const struct step *st = &e->steps[s];
	*node_name = st->node >= 0 ? e->g->nodes[st->node].name : NULL;
	*what = step_names[st->kind];
	int out = st->out;
	if (st->kind == STEP_DEQUANTIZE || st->kind == STEP_DYN_GEMM || st->kind == STEP_FLOAT) {
		*bytes = (int64_t)sizeof(float) * qx_tensor_numel(&e->g->tensors[out]);
		return qx_exec_f32_buffer(e->f32, out);
	}
	*bytes = e->t[out].lay.numel;
	return e->t[out].u8;
}

int qx_exec_q8_read_int8(const struct qx_exec_q8 *e, int t, float *out)
{
	if (t < 0 || t >= e->g->n_tensors || !e->t[t].u8)
		return -1;
	const struct q8_tensor *qt = &e->t[t];
	const struct qx_q8_layout *l = &qt->lay;
	if (!l->nhwc) {
		for (int64_t i = 0; i < l->numel; i++)
			out[i] = (float)((int32_t)qt->u8[i] - qt->zp) * qt->scale;
		return 0;
	}
	int64_t n = l->dims[0], c = l->dims[1], h = l->dims[2], w = l->dims[3];
	for (int64_t b = 0; b < n; b++)
		for (int64_t y = 0; y < h; y++)
			for (int64_t x = 0; x < w; x++)
				for (int64_t ch = 0; ch < c; ch++) {
					uint8_t q = qt->u8[((b * h + y) * w + x) * c + ch];
					out[((b * c + ch) * h + y) * w + x] = (float)((int32_t)q - qt->zp) * qt->scale;
				}
	return 0;
}

const float *qx_exec_q8_read_f32(const struct qx_exec_q8 *e, int t)
{
	return qx_exec_f32_tensor(e->f32, t);
}

void qx_exec_q8_poison(struct qx_exec_q8 *e, uint8_t byte)
{
	const struct qx_graph *g = e->g;
	for (int t = 0; t < g->n_tensors; t++) {
		if (g->tensors[t].is_const)
			continue;
		if (e->t[t].u8)
			memset(e->t[t].u8, byte, (size_t)e->t[t].lay.numel);
		int input = 0;
		for (int i = 0; i < g->n_inputs; i++)
			input |= g->inputs[i] == t;
		float *f = input || g->tensors[t].dtype != QX_DT_F32 ? NULL : qx_exec_f32_buffer(e->f32, t);
		/* Byte 0 poisons floats with NaN (0xffffffff), any other byte with its own pattern,
		 * so that two runs poisoned differently also differ in their float buffers. */
		if (f)
			memset(f, byte ? byte : 0xff, sizeof(float) * (size_t)qx_tensor_numel(&g->tensors[t]));
	}
	if (e->scratch)
		memset(e->scratch, byte, e->scratch_bytes);
}

int64_t qx_exec_q8_model_bytes(const struct qx_exec_q8 *e)
{
	return e->model_bytes;
}

int64_t qx_graph_f32_bytes(const struct qx_graph *g)
{
	int64_t bytes = 0;
	for (int t = 0; t < g->n_tensors; t++)
		if (g->tensors[t].is_const && g->tensors[t].dtype == QX_DT_F32)
			bytes += 4 * qx_tensor_numel(&g->tensors[t]);
	return bytes;
}

void qx_exec_q8_free(struct qx_exec_q8 *e)
{
	if (!e)
		return;
	for (int s = 0; s < e->n_steps; s++) {
		struct step *st = &e->steps[s];
		if (st->packed)
			e->k->q8->pack_free(st->packed);
		free(st->w_scale);
		free(st->bias_f32);
		free(st->scale_buf);
		free(st->table);
	}
	free(e->steps);
	if (e->t)
		for (int t = 0; t < e->g->n_tensors; t++)
			free(e->t[t].u8);
	free(e->t);
	free(e->scratch);
	if (e->f32)
		qx_exec_f32_free(e->f32);
	free(e);
}

/* ---- dynamic qparams --------------------------------------------------------------------- */

void qx_choose_qparams_dynamic(float min, float max, int32_t qmin, int32_t qmax, float *scale_out,
                               int32_t *zero_point)
{
	const float small_scale = 6.1e-5f;
	min = fminf(min, 0.0f);
	max = fmaxf(max, 0.0f);
	double scale = ((double)max - min) / (qmax - qmin);
	if ((float)scale == 0.0f || isinf(1.0f / (float)scale))
		scale = 0.1;
	if (scale < small_scale) {
		float org = (float)scale;
		scale = small_scale;
		if (min == 0.0f) {
			max = small_scale * (float)(qmax - qmin);
		} else if (max == 0.0f) {
			min = -small_scale * (float)(qmax - qmin);
		} else {
			float amplifier = small_scale / org;
			min *= amplifier;
			max *= amplifier;
		}
	}
	double zp_from_min = qmin - min / scale;
	double zp_from_max = qmax - max / scale;
	double err_min = fabs((double)qmin) - fabs(min / scale);
	double err_max = fabs((double)qmax) - fabs(max / scale);
	double zp = err_min < err_max ? zp_from_min : zp_from_max;
	int32_t nudged;
	if (zp < qmin)
		nudged = qmin;
	else if (zp > qmax)
		nudged = qmax;
	else
		nudged = (int32_t)nearbyint(zp);
	*scale_out = (float)scale;
	*zero_point = nudged;
}

const struct qx_graph *qx_exec_q8_graph(const struct qx_exec_q8 *e)
{
	return e->g;
}
