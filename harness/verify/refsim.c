/* The reference simulation: fake quantization in fp32 (see refsim.h for the rules). */
#include "verify/refsim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "plan/fp8.h"

struct qx_refsim {
	const struct qx_graph *g;   /* the executor's copy (weights and biases fake-quantized, shapes
	                             * for the batch) */
	const struct qx_quant_plan *plan;
	struct qx_exec_f32 *f32;    /* the caller's fp32 kernels */
	char *fq;                   /* per tensor: its buffer holds the fake-quantized values */
	float *saved;               /* a float producer's values while a static reader runs */
	int64_t saved_cap;
};

void qx_fake_quantize(float *x, int64_t count, float scale, int32_t zp, int32_t qmin,
                      int32_t qmax)
{
	for (int64_t i = 0; i < count; i++) {
		float q = nearbyintf(x[i] / scale) + (float)zp;
		if (!(q >= (float)qmin)) /* NaN too: the lowest code, as the int8 side does */
			q = (float)qmin;
		if (q > (float)qmax)
			q = (float)qmax;
		x[i] = (q - (float)zp) * scale;
	}
}

void qx_fake_quantize_fp8(float *x, int64_t count, float scale, int dtype)
{
	for (int64_t i = 0; i < count; i++)
		x[i] = qx_fp8_round(x[i] / scale, dtype) * scale;
}

/* Per-tensor fake quantization of an activation: integer or FP8. */
static void fq_activation(float *x, int64_t count, const struct qx_tensor_qparams *q)
{
	if (qx_qparams_is_fp8(q))
		qx_fake_quantize_fp8(x, count, q->scales[0], q->dtype);
	else
		qx_fake_quantize(x, count, q->scales[0], q->zero_points[0], q->qmin, q->qmax);
}

/* Fake-quantizes constant t of the copy per its qparams: per tensor, per channel along
 * qp->axis, or per group along the rest of the channel's row (plan.h); with the plugin's own
 * codes when it gave them (the value is then the code dequantized, whatever t held). */
void qx_fake_quantize_constant(struct qx_tensor *t, const struct qx_tensor_qparams *qp)
{
	int64_t n = qx_tensor_numel(t);
	int64_t inner = 1, ch = 1;
	if (qp->axis >= 0) {
		for (int d = qp->axis + 1; d < t->ndim; d++)
			inner *= t->dims[d];
		ch = t->dims[qp->axis];
	}
	int fp8 = qx_qparams_is_fp8(qp);
	for (int64_t i = 0; i < n; i++) {
		int64_t c = qp->axis >= 0 ? (i / inner) % ch : 0;
		float scale = qp->scales[c];
		if (qp->group_size > 0) {
			/* position along the channel's row: the other axes in row-major order */
			int64_t r = (i / (inner * ch)) * inner + i % inner;
			scale = qp->group_scales[c * qp->groups + r / qp->group_size];
		}
		int32_t zp = qp->zero_points[c];
		if (qp->codes)
			t->data[i] = fp8 ? qx_fp8_decode((uint8_t)qp->codes[i], qp->dtype) * scale
			                 : (float)((double)(qp->codes[i] - zp) * (double)scale);
		else if (fp8)
			qx_fake_quantize_fp8(&t->data[i], 1, scale, qp->dtype);
		else
			qx_fake_quantize(&t->data[i], 1, scale, zp, qp->qmin, qp->qmax);
	}
}

/* A static linear node's bias as the int8 side adds it: int32 at in_scale * w_scale[c]. */
static void fq_bias(struct qx_tensor *b, float in_scale, const struct qx_tensor_qparams *wq)
{
	int64_t n = qx_tensor_numel(b);
	for (int64_t c = 0; c < n; c++) {
		double s = (double)in_scale * (double)wq->scales[wq->n_channels == 1 ? 0 : c];
		double q = nearbyint((double)b->data[c] / s);
		if (q > 2147483647.0)
			q = 2147483647.0;
		if (!(q >= -2147483648.0))
			q = -2147483648.0;
		b->data[c] = (float)(q * s);
	}
}

static int is_linear(enum qx_op op)
{
	return op == QX_OP_CONV || op == QX_OP_GEMM || op == QX_OP_MATMUL;
}

int qx_refsim_create(const struct qx_graph *g, const struct qx_quant_plan *plan, int64_t batch,
                     const struct qx_kernels *k, struct qx_refsim **out, struct qx_error *err)
{
	*out = NULL;
	if (plan->n_tensors != g->n_tensors || plan->n_nodes != g->n_nodes)
		return qx_fail(err, QX_EINTERNAL, "%s: the plan was made for another graph", g->path);
	struct qx_refsim *s = calloc(1, sizeof *s);
	if (!s)
		return qx_fail_nomem(err, "creating the reference simulation");
	s->plan = plan;
	struct qx_graph fq; /* the copy to fake-quantize; the executor copies it again */
	int rc = qx_graph_clone(g, &fq, err);
	if (rc) {
		free(s);
		return rc;
	}
	/* Each weight once, even when two nodes share it. */
	char *done = calloc((size_t)g->n_tensors + 1, 1);
	s->fq = calloc((size_t)g->n_tensors + 1, 1);
	if (!done || !s->fq) {
		free(done);
		qx_graph_free(&fq);
		qx_refsim_free(s);
		return qx_fail_nomem(err, "creating the reference simulation");
	}
	/* Every constant a static or dynamic node reads with qparams (weights, and any other
	 * constant operand the plan quantizes) holds its fake-quantized values; a static linear
	 * node's bias, which plans need not list, its int32 ones. */
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *nd = &fq.nodes[n];
		if (plan->node[n].mode == QX_MODE_FLOAT)
			continue;
		for (int j = 0; j < nd->n_in; j++) {
			int t = nd->in[j];
			if (t < 0 || done[t] || !fq.tensors[t].is_const ||
			    fq.tensors[t].dtype != QX_DT_F32)
				continue;
			if (plan->tensor[t].dtype != QX_PLAN_FLOAT) {
				done[t] = 1;
				qx_fake_quantize_constant(&fq.tensors[t], &plan->tensor[t]);
			} else if (j == 2 && is_linear(nd->op) && plan->node[n].mode == QX_MODE_STATIC) {
				/* an unlisted bias: int32 as the int8 side adds it; fp32 beside FP8 or
				 * per-group weights, where no single int32 scale exists (plan.h) */
				const struct qx_tensor_qparams *xq = &plan->tensor[nd->in[0]];
				const struct qx_tensor_qparams *wq = &plan->tensor[nd->in[1]];
				done[t] = 1;
				if (xq->dtype != QX_PLAN_FLOAT && wq->dtype != QX_PLAN_FLOAT &&
				    !qx_qparams_is_fp8(xq) && !qx_qparams_is_fp8(wq) && wq->group_size == 0)
					fq_bias(&fq.tensors[t], xq->scales[0], wq);
			}
		}
	}
	free(done);
	rc = qx_exec_f32_create(&fq, batch, k, &s->f32, err);
	qx_graph_free(&fq);
	if (rc) {
		qx_refsim_free(s);
		return rc;
	}
	s->g = qx_exec_f32_graph(s->f32);
	*out = s;
	return 0;
}

/* Room to keep a float producer's values while a static reader sees them fake-quantized. */
static int reserve_saved(struct qx_refsim *s, int64_t count, struct qx_error *err)
{
	if (count <= s->saved_cap)
		return 0;
	float *p = realloc(s->saved, sizeof(float) * (size_t)count);
	if (!p)
		return qx_fail_nomem(err, "running the reference simulation");
	s->saved = p;
	s->saved_cap = count;
	return 0;
}

/* PyTorch's ChooseQuantizationParams for a dynamic node's input (quant_utils.h), written out
 * here again rather than shared with the int8 executor, so that a mistake in one shows. */
static void dynamic_qparams(float lo, float hi, int32_t qmin, int32_t qmax, float *scale,
                            int32_t *zp)
{
	const double smallest = 6.1e-5;
	lo = lo < 0.0f ? lo : 0.0f;
	hi = hi > 0.0f ? hi : 0.0f;
	double sc = ((double)hi - (double)lo) / (double)(qmax - qmin);
	if ((float)sc == 0.0f || isinf(1.0f / (float)sc))
		sc = 0.1;
	if (sc < smallest) {
		double amplify = smallest / (double)(float)sc;
		if (lo == 0.0f)
			hi = (float)(smallest * (qmax - qmin));
		else if (hi == 0.0f)
			lo = (float)(-smallest * (qmax - qmin));
		else {
			lo = (float)(lo * (float)amplify);
			hi = (float)(hi * (float)amplify);
		}
		sc = smallest;
	}
	double from_min = qmin - lo / sc, from_max = qmax - hi / sc;
	double z = fabs((double)qmin) - fabs(lo / sc) < fabs((double)qmax) - fabs(hi / sc)
	                   ? from_min
	                   : from_max;
	*zp = z < qmin ? qmin : z > qmax ? qmax : (int32_t)nearbyint(z);
	*scale = (float)sc;
}

/* Which inputs of node n the int8 side reads as uint8: activations with uint8 qparams. */
static int reads_quantized(const struct qx_refsim *s, int n, int j)
{
	const struct qx_node *nd = &s->g->nodes[n];
	int t = nd->in[j];
	if (t < 0 || s->g->tensors[t].is_const)
		return 0;
	int dt = s->plan->tensor[t].dtype;
	return dt == QX_PLAN_UINT8 || dt == QX_PLAN_INT8 || qx_qparams_is_fp8(&s->plan->tensor[t]);
}

/* Runs static node n; raw, when not NULL, gets its output before fake quantization. */
static int run_static(struct qx_refsim *s, int n, float *raw, struct qx_error *err)
{
	const struct qx_node *nd = &s->g->nodes[n];
	/* Inputs a float node (or the graph input) produced hold float values: the int8 side
	 * quantizes them on the way in, and float readers keep seeing the float values. */
	int64_t need = 0;
	for (int j = 0; j < nd->n_in; j++)
		if (reads_quantized(s, n, j) && !s->fq[nd->in[j]])
			need += qx_tensor_numel(&s->g->tensors[nd->in[j]]);
	int rc = reserve_saved(s, need, err);
	if (rc)
		return rc;
	int64_t at = 0;
	int *changed = malloc(sizeof(int) * (size_t)(nd->n_in + 1));
	if (!changed)
		return qx_fail_nomem(err, "running the reference simulation");
	int n_changed = 0;
	for (int j = 0; j < nd->n_in; j++) {
		int t = nd->in[j];
		if (!reads_quantized(s, n, j) || s->fq[t])
			continue;
		int seen = 0;
		for (int i = 0; i < n_changed; i++)
			seen |= changed[i] == t;
		if (seen)
			continue;
		const struct qx_tensor_qparams *q = &s->plan->tensor[t];
		float *x = qx_exec_f32_buffer(s->f32, t);
		int64_t count = qx_tensor_numel(&s->g->tensors[t]);
		memcpy(s->saved + at, x, sizeof(float) * (size_t)count);
		at += count;
		fq_activation(x, count, q);
		changed[n_changed++] = t;
	}
	rc = qx_exec_f32_run_node(s->f32, n, err);
	at = 0;
	for (int i = 0; i < n_changed; i++) {
		int64_t count = qx_tensor_numel(&s->g->tensors[changed[i]]);
		memcpy(qx_exec_f32_buffer(s->f32, changed[i]), s->saved + at, sizeof(float) * (size_t)count);
		at += count;
	}
	free(changed);
	if (rc)
		return rc;
	int y = nd->out[0];
	const struct qx_tensor_qparams *q = &s->plan->tensor[y];
	if (raw)
		memcpy(raw, qx_exec_f32_buffer(s->f32, y),
		       sizeof(float) * (size_t)qx_tensor_numel(&s->g->tensors[y]));
	if (q->dtype == QX_PLAN_UINT8 || q->dtype == QX_PLAN_INT8 || qx_qparams_is_fp8(q)) {
		fq_activation(qx_exec_f32_buffer(s->f32, y), qx_tensor_numel(&s->g->tensors[y]), q);
		s->fq[y] = 1;
	}
	return 0;
}

static int run_dynamic(struct qx_refsim *s, int n, struct qx_error *err)
{
	const struct qx_node *nd = &s->g->nodes[n];
	const struct qx_node_plan *np = &s->plan->node[n];
	int t = nd->in[0];
	float *x = qx_exec_f32_buffer(s->f32, t);
	int64_t count = qx_tensor_numel(&s->g->tensors[t]);
	int rc = reserve_saved(s, count, err);
	if (rc)
		return rc;
	float lo = count ? x[0] : 0.0f, hi = lo;
	for (int64_t i = 1; i < count; i++) {
		lo = x[i] < lo ? x[i] : lo;
		hi = x[i] > hi ? x[i] : hi;
	}
	float scale;
	int32_t zp;
	dynamic_qparams(lo, hi, np->dyn_qmin, np->dyn_qmax, &scale, &zp);
	memcpy(s->saved, x, sizeof(float) * (size_t)count);
	qx_fake_quantize(x, count, scale, zp, np->dyn_qmin, np->dyn_qmax);
	rc = qx_exec_f32_run_node(s->f32, n, err);
	memcpy(x, s->saved, sizeof(float) * (size_t)count);
	return rc;
}

int qx_refsim_run(struct qx_refsim *s, const float *const *inputs, struct qx_error *err)
{
	const struct qx_graph *g = s->g;
	memset(s->fq, 0, (size_t)g->n_tensors);
	for (int i = 0; i < g->n_inputs; i++) {
		int t = g->inputs[i];
		memcpy(qx_exec_f32_buffer(s->f32, t), inputs[i],
		       sizeof(float) * (size_t)qx_tensor_numel(&g->tensors[t]));
	}
	for (int n = 0; n < g->n_nodes; n++) {
		int mode = s->plan->node[n].mode, rc;
		if (mode == QX_MODE_STATIC)
			rc = run_static(s, n, NULL, err);
		else if (mode == QX_MODE_DYNAMIC)
			rc = run_dynamic(s, n, err);
		else
			rc = qx_exec_f32_run_node(s->f32, n, err);
		if (rc)
			return rc;
	}
	return 0;
}

const float *qx_refsim_output(const struct qx_refsim *s, int i)
{
	if (i < 0 || i >= s->g->n_outputs)
		return NULL;
	return qx_exec_f32_tensor(s->f32, s->g->outputs[i]);
}

/* Half the width of the window around a rounding tie (x.5, in steps) inside which the
 * simulation's fp32 value may round the other way than the int8 model's exact arithmetic: far
 * more than fp32 accumulation error, far less than a fault's. */
#define TIE_WINDOW 0.05

/* Adds to acc the comparison of int8 values q (dequantized, logical order) with the
 * simulation's values raw before quantization with qp: a code one step off where raw lies
 * within TIE_WINDOW of a tie is a tie; every other difference is unexplained. */
static void compare_values(const float *q, const float *raw, int64_t count,
                           const struct qx_tensor_qparams *qp, struct qx_refsim_local *acc)
{
	double scale = qp->scales[0], zp = qp->zero_points[0];
	for (int64_t i = 0; i < count; i++) {
		double v = (double)raw[i] / scale + zp;
		double code = nearbyint(v);
		if (!(code >= qp->qmin)) /* NaN too */
			code = qp->qmin;
		if (code > qp->qmax)
			code = qp->qmax;
		double got = nearbyint((double)q[i] / scale) + zp;
		double d = fabs(got - code);
		if (d == 0.0)
			continue;
		int tie = d == 1.0 && fabs(v - floor(v) - 0.5) <= TIE_WINDOW && v > qp->qmin - 0.5 &&
		          v < qp->qmax + 0.5;
		if (tie)
			acc->ties++;
		else
			acc->unexplained++;
		if (!(d <= acc->max_steps))
			acc->max_steps = d;
	}
	acc->values += count;
}

/* A dynamic node's float output against the simulation's: its int8 arithmetic is exact and
 * the simulation's fp32 sums differ only by accumulation error, far below 1e-4 of the largest
 * output; a larger difference is unexplained. */
static void compare_floats(const float *q, const float *r, int64_t count,
                           struct qx_refsim_local *acc)
{
	double big = 0.0;
	for (int64_t i = 0; i < count; i++)
		big = fabs((double)r[i]) > big ? fabs((double)r[i]) : big;
	double tol = 1e-4 * big;
	for (int64_t i = 0; i < count; i++) {
		double d = fabs((double)q[i] - (double)r[i]);
		if (!(d <= tol))
			acc->unexplained++;
		double rel = big > 0.0 ? d / big : d;
		if (!(rel <= acc->max_steps))
			acc->max_steps = rel;
	}
	acc->values += count;
}

static int is_quantized(const struct qx_tensor_qparams *q)
{
	return (q->dtype == QX_PLAN_UINT8 || q->dtype == QX_PLAN_INT8) && q->n_channels == 1;
}

int qx_refsim_check_local(struct qx_refsim *s, const struct qx_exec_q8 *q,
                          struct qx_refsim_local *acc, struct qx_error *err)
{
	const struct qx_graph *g = s->g;
	char *seen = calloc((size_t)g->n_tensors + 1, 1);
	int64_t most = 1;
	for (int t = 0; t < g->n_tensors; t++)
		if (!g->tensors[t].is_const && qx_tensor_numel(&g->tensors[t]) > most)
			most = qx_tensor_numel(&g->tensors[t]);
	float *tmp = malloc(sizeof(float) * (size_t)most);
	float *raw = malloc(sizeof(float) * (size_t)most);
	int rc = !seen || !tmp || !raw ? qx_fail_nomem(err, "checking int8 nodes") : 0;
	for (int n = 0; !rc && n < g->n_nodes; n++) {
		const struct qx_node *nd = &g->nodes[n];
		if (s->plan->node[n].mode == QX_MODE_DYNAMIC) {
			/* Its float input as the int8 model has it; its output in relative terms. */
			int x = nd->in[0], y = nd->out[0];
			memcpy(qx_exec_f32_buffer(s->f32, x), qx_exec_q8_read_f32(q, x),
			       sizeof(float) * (size_t)qx_tensor_numel(&g->tensors[x]));
			rc = run_dynamic(s, n, err);
			if (!rc)
				compare_floats(qx_exec_q8_read_f32(q, y), qx_exec_f32_tensor(s->f32, y),
				               qx_tensor_numel(&g->tensors[y]), &acc[y]);
			continue;
		}
		if (s->plan->node[n].mode != QX_MODE_STATIC)
			continue;
		/* The node's inputs as the int8 model has them; a tensor it quantized from float is
		 * first checked against the fake quantization of its float values. */
		for (int j = 0; j < nd->n_in; j++) {
			int t = nd->in[j];
			if (!reads_quantized(s, n, j) || seen[t])
				continue;
			seen[t] = 1;
			float *buf = qx_exec_f32_buffer(s->f32, t);
			int64_t count = qx_tensor_numel(&g->tensors[t]);
			int producer = g->tensors[t].producer;
			const struct qx_tensor_qparams *qp = &s->plan->tensor[t];
			if ((producer < 0 || s->plan->node[producer].mode != QX_MODE_STATIC) &&
			    is_quantized(qp) && qx_exec_q8_read_int8(q, t, tmp) == 0)
				compare_values(tmp, qx_exec_q8_read_f32(q, t), count, qp, &acc[t]);
			if (qx_exec_q8_read_int8(q, t, buf) == 0)
				s->fq[t] = 1;
		}
		rc = run_static(s, n, raw, err);
		int y = nd->out[0];
		const struct qx_tensor_qparams *qp = &s->plan->tensor[y];
		if (!rc && is_quantized(qp) && qx_exec_q8_read_int8(q, y, tmp) == 0)
			compare_values(tmp, raw, qx_tensor_numel(&g->tensors[y]), qp, &acc[y]);
	}
	free(seen);
	free(tmp);
	free(raw);
	return rc;
}

const float *qx_refsim_tensor(const struct qx_refsim *s, int t)
{
	return qx_exec_f32_tensor(s->f32, t);
}

void qx_refsim_free(struct qx_refsim *s)
{
	if (!s)
		return;
	if (s->f32)
		qx_exec_f32_free(s->f32);
	free(s->fq);
	free(s->saved);
	free(s);
}
