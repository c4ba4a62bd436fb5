/* onnx-qdq: QDQ qparams onto the float graph (see qdq_map.h and docs/export.md, "Import").
 *
 * Activations are matched by name: the tensor a QuantizeLinear quantizes (its input, with
 * qx-bench export's "_float" suffix taken off) must be a tensor of the float graph. Nodes are
 * matched by name (ONNX Runtime's quantizer and qx-bench export keep them), or else by the
 * tensor they write. A node runs static only when the QDQ model feeds each of its activation
 * inputs through a DequantizeLinear, quantizes its output, and (for Conv / Gemm / MatMul)
 * gives its weight as a DequantizeLinear of int8 values that are this float model's weights
 * quantized with the given scales; otherwise it stays float, with a note saying why. */
#include "qdq_map.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx/plugin.h"

enum { T_UINT8 = ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, T_INT8 = ONNX__TENSOR_PROTO__DATA_TYPE__INT8,
       T_FLOAT = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT };

/* The qparams a QuantizeLinear gives one float-graph activation. */
struct act_q {
	int set, conflict;
	float scale;
	int32_t zp, qmin, qmax;
	const char *q_node;             /* the QuantizeLinear it came from, for messages */
};

struct mapper {
	const struct qdq_model *m;
	const struct qx_graph_view *view;
	struct qdq_map *out;
	int32_t *sorted;                /* view tensor indices sorted by name */
	struct act_q *act;              /* per view tensor */
	unsigned char *range_first;     /* per QDQ node: the first Q of a reduce-range chain */
};

static void note(struct mapper *x, int level, const char *fmt, ...) QX_PRINTF(3, 4);
static void note(struct mapper *x, int level, const char *fmt, ...)
{
	struct qdq_map *o = x->out;
	if (o->n_notes >= QDQ_MAX_NOTES) {
		o->n_notes_dropped++;
		return;
	}
	struct qdq_note *n = &o->notes[o->n_notes++];
	n->level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(n->text, sizeof n->text, fmt, ap);
	va_end(ap);
}

static const struct qx_graph_view *sort_view;
static int by_name(const void *a, const void *b)
{
	return strcmp(sort_view->tensors[*(const int32_t *)a].name,
	              sort_view->tensors[*(const int32_t *)b].name);
}

/* The float graph's tensor named name, or -1. */
static int32_t view_tensor(const struct mapper *x, const char *name)
{
	int32_t lo = 0, hi = x->view->n_tensors - 1;
	while (lo <= hi) {
		int32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->view->tensors[x->sorted[mid]].name, name);
		if (!c)
			return x->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* The float-graph tensor a QDQ tensor name stands for: the name itself, qx-bench export's
 * "<name>_float" (a static node's value before its Q/DQ), or ONNX Runtime's
 * "<name>_QuantizeLinear_Input" (a graph output's value before its Q/DQ). -1: none. */
static int32_t resolve_name(const struct mapper *x, const char *name)
{
	static const char *const suffixes[] = { "_float", "_QuantizeLinear_Input" };
	int32_t t = view_tensor(x, name);
	size_t len = strlen(name);
	for (size_t k = 0; t < 0 && k < sizeof suffixes / sizeof suffixes[0]; k++) {
		size_t sl = strlen(suffixes[k]);
		if (len > sl && len < 4096 && strcmp(name + len - sl, suffixes[k]) == 0) {
			char base[4096];
			memcpy(base, name, len - sl);
			base[len - sl] = '\0';
			t = view_tensor(x, base);
		}
	}
	return t;
}

static int is_op(const Onnx__NodeProto *nd, const char *op)
{
	return nd && nd->op_type && strcmp(nd->op_type, op) == 0 &&
	       (!nd->domain || !*nd->domain || strcmp(nd->domain, "ai.onnx") == 0);
}

static const char *node_name(const Onnx__NodeProto *nd)
{
	return nd->name && *nd->name ? nd->name : (nd->n_output ? nd->output[0] : "?");
}

/* The scalar float value of constant name; 0 when it is not one. */
static int scalar_float(const struct qdq_model *m, const char *name, float *v)
{
	const Onnx__TensorProto *t = qdq_model_const(m, name);
	struct qdq_values vals;
	char msg[256];
	if (!t || qdq_values_read(t, &vals, msg, sizeof msg))
		return 0;
	int ok = vals.dtype == T_FLOAT && vals.numel == 1;
	if (ok)
		*v = vals.f[0];
	qdq_values_free(&vals);
	return ok;
}

/* The scale and zero point of a Q or DQ node: per tensor only (activations). 0 with why. */
static int node_qparams(const struct mapper *x, const Onnx__NodeProto *q, float *scale,
                        int32_t *zp, int32_t *zp_type, char *why, size_t size)
{
	const char *sn = qdq_node_input(q, 1), *zn = qdq_node_input(q, 2);
	const Onnx__TensorProto *st = qdq_model_const(x->m, sn);
	const Onnx__TensorProto *zt = *zn ? qdq_model_const(x->m, zn) : NULL;
	if (!st || (*zn && !zt)) {
		snprintf(why, size, "its scale or zero point is not a constant");
		return 0;
	}
	struct qdq_values sv, zv = { 0 };
	char msg[192];
	if (qdq_values_read(st, &sv, msg, sizeof msg)) {
		snprintf(why, size, "scale %s", msg);
		return 0;
	}
	int ok = 0;
	*zp_type = zt ? zt->data_type : T_UINT8; /* ONNX: no zero point means uint8 0 */
	if (sv.dtype != T_FLOAT)
		snprintf(why, size, "its scale is %s (expected float)", qdq_dtype_name(sv.dtype));
	else if (sv.numel != 1)
		snprintf(why, size, "it has %lld scales (the int8 kernels take one per activation "
		         "tensor)", (long long)sv.numel);
	else if (*zp_type != T_UINT8 && *zp_type != T_INT8)
		snprintf(why, size, "its type is %s (expected uint8)", qdq_dtype_name(*zp_type));
	else if (zt && qdq_values_read(zt, &zv, msg, sizeof msg))
		snprintf(why, size, "zero point %s", msg);
	else if (zt && zv.numel != 1)
		snprintf(why, size, "it has %lld zero points (expected 1)", (long long)zv.numel);
	else if (!(isfinite(sv.f[0]) && sv.f[0] > 0))
		snprintf(why, size, "its scale %g is not finite and > 0", (double)sv.f[0]);
	else {
		*scale = sv.f[0];
		*zp = zt ? zv.i[0] : 0;
		ok = 1;
	}
	qdq_values_free(&sv);
	qdq_values_free(&zv);
	return ok;
}

/* Same scale and zero point inputs (by value) on two Q/DQ nodes. */
static int same_qparams(const struct mapper *x, const Onnx__NodeProto *a, const Onnx__NodeProto *b)
{
	float sa, sb;
	int32_t za, zb, ta, tb;
	char why[256];
	return node_qparams(x, a, &sa, &za, &ta, why, sizeof why) &&
	       node_qparams(x, b, &sb, &zb, &tb, why, sizeof why) && sa == sb && za == zb && ta == tb;
}

/* Q2(Clip(DQ1(Q1(x)), lo, hi)) with Q1 and Q2 alike: the range a narrower [qmin, qmax] takes in
 * QDQ (qx-bench export writes it for reduce_range). Returns Q1 and the bounds, or NULL. */
static const Onnx__NodeProto *range_chain(const struct mapper *x, const Onnx__NodeProto *q2,
                                          float *lo, float *hi)
{
	const Onnx__NodeProto *clip = qdq_model_producer(x->m, qdq_node_input(q2, 0));
	if (!is_op(clip, "Clip") || clip->n_input < 3)
		return NULL;
	const Onnx__NodeProto *dq = qdq_model_producer(x->m, qdq_node_input(clip, 0));
	if (!is_op(dq, "DequantizeLinear"))
		return NULL;
	const Onnx__NodeProto *q1 = qdq_model_producer(x->m, qdq_node_input(dq, 0));
	if (!is_op(q1, "QuantizeLinear") || !same_qparams(x, q1, q2) || !same_qparams(x, q1, dq))
		return NULL;
	if (!scalar_float(x->m, qdq_node_input(clip, 1), lo) ||
	    !scalar_float(x->m, qdq_node_input(clip, 2), hi))
		return NULL;
	return q1;
}

static int32_t node_index(const struct qdq_model *m, const Onnx__NodeProto *nd)
{
	for (size_t i = 0; i < m->graph->n_node; i++)
		if (m->graph->node[i] == nd)
			return (int32_t)i;
	return -1;
}

/* Pass over every QuantizeLinear: the activation qparams by float-graph tensor. */
static void map_activations(struct mapper *x)
{
	const Onnx__GraphProto *g = x->m->graph;
	for (size_t i = 0; i < g->n_node; i++) {
		float lo, hi;
		const Onnx__NodeProto *q1 = is_op(g->node[i], "QuantizeLinear")
		                          ? range_chain(x, g->node[i], &lo, &hi) : NULL;
		int32_t k = q1 ? node_index(x->m, q1) : -1;
		if (k >= 0)
			x->range_first[k] = 1;
	}
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *q = g->node[i];
		if (!is_op(q, "QuantizeLinear") || x->range_first[i])
			continue;
		x->out->n_quantize++;
		float lo = 0, hi = 0;
		const Onnx__NodeProto *q1 = range_chain(x, q, &lo, &hi);
		const char *src = qdq_node_input(q1 ? q1 : q, 0);
		if (qdq_model_const(x->m, src))
			continue; /* a weight quantized in the graph: handled with its node */
		int32_t t = resolve_name(x, src);
		if (t < 0) {
			note(x, QX_LOG_WARN, "QuantizeLinear '%s' quantizes '%s', which the float model "
			     "does not have (after BatchNorm folding and Relu/Clip fusion: see qx-bench "
			     "graph): not mapped", node_name(q), src);
			continue;
		}
		float s;
		int32_t zp, zt;
		char why[256];
		if (!node_qparams(x, q, &s, &zp, &zt, why, sizeof why)) {
			note(x, QX_LOG_WARN, "QuantizeLinear '%s' of '%s': %s: not mapped", node_name(q),
			     src, why);
			continue;
		}
		if (zt != T_UINT8) {
			note(x, QX_LOG_WARN, "QuantizeLinear '%s' quantizes '%s' to int8 (the int8 "
			     "kernels take uint8 activations): not mapped, its readers stay float",
			     node_name(q), src);
			continue;
		}
		int32_t qmin = 0, qmax = 255;
		if (q1) {
			double a = nearbyint((double)lo / s) + zp, b = nearbyint((double)hi / s) + zp;
			qmin = a < 0 ? 0 : a > 255 ? 255 : (int32_t)a;
			qmax = b < 0 ? 0 : b > 255 ? 255 : (int32_t)b;
			if ((float)(qmin - zp) * s != lo || (float)(qmax - zp) * s != hi)
				note(x, QX_LOG_INFO, "Clip '%s' bounds [%g, %g] are not on the grid of "
				     "'%s' (scale %g, zero point %d): range taken as %d..%d",
				     node_name(qdq_model_producer(x->m, qdq_node_input(q, 0))), (double)lo,
				     (double)hi, src, (double)s, (int)zp, (int)qmin, (int)qmax);
			if (qmin >= qmax || zp < qmin || zp > qmax) {
				note(x, QX_LOG_WARN, "'%s': the Clip range %d..%d is empty or misses the "
				     "zero point %d: not mapped", src, (int)qmin, (int)qmax, (int)zp);
				continue;
			}
		}
		x->out->n_mapped_quantize++;
		struct act_q *a = &x->act[t];
		if (a->set && (a->scale != s || a->zp != zp || a->qmin != qmin || a->qmax != qmax)) {
			if (!a->conflict)
				note(x, QX_LOG_WARN, "'%s' is quantized twice with different qparams "
				     "(QuantizeLinear '%s' and '%s'): not mapped, its readers stay float",
				     x->view->tensors[t].name, a->q_node, node_name(q));
			a->conflict = 1;
			continue;
		}
		*a = (struct act_q){ 1, a->conflict, s, zp, qmin, qmax, node_name(q) };
	}
}

/* The QDQ node standing for view node n: the same name and op, or else the same op writing
 * n's output (directly, as "<output>_float", or through one Relu / Clip). */
static const Onnx__NodeProto *counterpart(const struct mapper *x, int32_t n)
{
	const struct qx_view_node *vn = &x->view->nodes[n];
	const Onnx__GraphProto *g = x->m->graph;
	for (size_t i = 0; i < g->n_node; i++)
		if (g->node[i]->name && strcmp(g->node[i]->name, vn->name) == 0)
			return is_op(g->node[i], vn->op_type) ? g->node[i] : NULL;
	int32_t out = vn->n_outputs ? vn->outputs[0] : -1;
	for (size_t i = 0; i < g->n_node && out >= 0; i++) {
		const Onnx__NodeProto *nd = g->node[i];
		if (!is_op(nd, vn->op_type) || !nd->n_output)
			continue;
		if (resolve_name(x, nd->output[0]) == out)
			return nd;
		const struct qdq_name *e = qdq_model_find(x->m, nd->output[0]);
		if (!e || e->n_readers != 1)
			continue;
		for (size_t k = 0; k < g->n_node; k++) {
			const Onnx__NodeProto *r = g->node[k];
			if ((is_op(r, "Relu") || is_op(r, "Clip")) && r->n_output &&
			    strcmp(qdq_node_input(r, 0), nd->output[0]) == 0 &&
			    resolve_name(x, r->output[0]) == out)
				return nd;
		}
	}
	return NULL;
}

static float round_div(float w, float s)
{
	float q = nearbyintf(w / s);
	return q < -128 ? -128 : q > 127 ? 127 : q;
}

/* The weight of view node n from counterpart c. 1: plan entry in *pt (scales, zero points
 * appended to the map's storage); 0 with why. */
static int map_weight(struct mapper *x, int32_t n, const Onnx__NodeProto *c,
                      struct qx_plan_tensor *pt, char *why, size_t size)
{
	const struct qx_view_node *vn = &x->view->nodes[n];
	const struct qx_view_tensor *wt = &x->view->tensors[vn->weight];
	int32_t k = -1;
	for (int32_t j = 0; j < vn->n_inputs; j++)
		if (vn->inputs[j] == vn->weight)
			k = j;
	const Onnx__NodeProto *dq = qdq_model_producer(x->m, qdq_node_input(c, (size_t)k));
	if (!is_op(dq, "DequantizeLinear")) {
		snprintf(why, size, "its weight is float in the QDQ model");
		return 0;
	}
	const char *src = qdq_node_input(dq, 0);
	const Onnx__TensorProto *qt = qdq_model_const(x->m, src);
	const Onnx__NodeProto *wq = qt ? NULL : qdq_model_producer(x->m, src);
	if (!qt && is_op(wq, "QuantizeLinear")) /* float initializer quantized in the graph */
		qt = qdq_model_const(x->m, qdq_node_input(wq, 0));
	const Onnx__TensorProto *st = qdq_model_const(x->m, qdq_node_input(dq, 1));
	const char *zn = qdq_node_input(dq, 2);
	const Onnx__TensorProto *zt = *zn ? qdq_model_const(x->m, zn) : NULL;
	if (!qt || !st || (*zn && !zt)) {
		snprintf(why, size, "its weight's DequantizeLinear '%s' reads values that are not "
		         "constants", node_name(dq));
		return 0;
	}
	struct qdq_values q = { 0 }, s = { 0 }, z = { 0 };
	char msg[256];
	int ok = 0;
	if (qdq_values_read(qt, &q, msg, sizeof msg) || qdq_values_read(st, &s, msg, sizeof msg) ||
	    (zt && qdq_values_read(zt, &z, msg, sizeof msg))) {
		snprintf(why, size, "its weight: %s", msg);
		goto done;
	}
	int32_t wtype = wq ? (zt ? zt->data_type : T_UINT8) : q.dtype;
	int64_t axis = qdq_node_int_attr(dq, "axis", 1);
	int32_t nd = q.ndim;
	if (axis < 0)
		axis += nd;
	int per_channel = s.numel > 1;
	if (wtype == T_UINT8) {
		snprintf(why, size, "its weight is uint8 (the int8 kernels take int8 weights with zero "
		         "point 0)");
		goto done;
	}
	if (wtype != T_INT8 || (q.dtype != T_INT8 && q.dtype != T_FLOAT) || s.dtype != T_FLOAT) {
		snprintf(why, size, "its weight is %s (expected int8 with float scales)",
		         qdq_dtype_name(wtype));
		goto done;
	}
	for (int64_t i = 0; zt && i < z.numel; i++)
		if (z.i[i] != 0) {
			snprintf(why, size, "its weight's zero point %d is not 0 (the int8 kernels take "
			         "symmetric weights)", (int)z.i[i]);
			goto done;
		}
	int same_shape = nd == wt->ndim;
	for (int32_t d = 0; same_shape && d < nd; d++)
		same_shape = q.dims[d] == wt->dims[d];
	if (!same_shape) {
		snprintf(why, size, "its weight '%s' has another shape than the float model's '%s' "
		         "(a different export?)", src, wt->name);
		goto done;
	}
	if (per_channel && (axis != vn->weight_axis || axis < 0 || axis >= nd ||
	                    s.numel != q.dims[axis])) {
		snprintf(why, size, "its weight has %lld scales along axis %lld (expected one per "
		         "output channel, axis %d)", (long long)s.numel, (long long)axis,
		         (int)vn->weight_axis);
		goto done;
	}
	for (int64_t i = 0; i < s.numel; i++)
		if (!(isfinite(s.f[i]) && s.f[i] > 0)) {
			snprintf(why, size, "its weight scale %g is not finite and > 0", (double)s.f[i]);
			goto done;
		}
	/* Are these the float model's weights? The harness quantizes the float weights with the
	 * plan's scales (fp32 division, round half to even, clamp): compare with the QDQ ints. */
	int64_t inner = 1;
	for (int32_t d = per_channel ? (int32_t)axis + 1 : nd; d < nd; d++)
		inner *= q.dims[d];
	int64_t ndiff = 0;
	int maxdiff = 0;
	for (int64_t i = 0; i < q.numel; i++) {
		int64_t ch = per_channel ? (i / inner) % s.numel : 0;
		float mine = round_div(wt->data[i], s.f[ch]);
		float theirs = q.dtype == T_FLOAT ? round_div(q.f[i], s.f[ch]) : (float)q.i[i];
		int d = (int)fabsf(mine - theirs);
		ndiff += d != 0;
		maxdiff = d > maxdiff ? d : maxdiff;
	}
	/* Another network, another export or an unfolded BatchNorm moves weights by many steps;
	 * a BatchNorm fold computed in another precision moves a few by one. */
	if (maxdiff > 1 || ndiff * 20 > q.numel) {
		snprintf(why, size, "its int8 weights are not the float model's: %lld of %lld differ "
		         "from '%s' quantized with the QDQ scales, by up to %d steps (a different "
		         "export, or BatchNorm folded differently)", (long long)ndiff,
		         (long long)q.numel, wt->name, maxdiff);
		goto done;
	}
	if (ndiff)
		note(x, QX_LOG_WARN, "node '%s': %lld of %lld int8 weights of the QDQ model differ by "
		     "one step from '%s' quantized with its scales (a BatchNorm fold rounded "
		     "differently?): the run quantizes the float model's weights", vn->name,
		     (long long)ndiff, (long long)q.numel, wt->name);
	float *sc = malloc(sizeof *sc * (size_t)s.numel);
	int32_t *zp = calloc((size_t)s.numel, sizeof *zp);
	if (!sc || !zp) {
		free(sc);
		free(zp);
		snprintf(why, size, "out of memory");
		goto done;
	}
	memcpy(sc, s.f, sizeof *sc * (size_t)s.numel);
	*pt = (struct qx_plan_tensor){ .tensor = vn->weight, .dtype = QX_PLAN_INT8, .symmetric = 1,
	                               .axis = per_channel ? (int32_t)axis : -1,
	                               .n_channels = (int32_t)s.numel, .qmin = -128, .qmax = 127,
	                               .scales = sc, .zero_points = zp };
	ok = 1;
done:
	qdq_values_free(&q);
	qdq_values_free(&s);
	qdq_values_free(&z);
	return ok;
}

/* Adds the activation qparams of view tensor t to the plan, once. 0 when out of memory. */
static int add_act(struct mapper *x, int32_t t)
{
	struct qdq_map *o = x->out;
	for (int32_t i = 0; i < o->n_tensors; i++)
		if (o->tensors[i].tensor == t)
			return 1;
	const struct act_q *a = &x->act[t];
	float *sc = malloc(sizeof *sc);
	int32_t *zp = malloc(sizeof *zp);
	if (!sc || !zp) {
		free(sc);
		free(zp);
		return 0;
	}
	*sc = a->scale;
	*zp = a->zp;
	o->tensors[o->n_tensors++] = (struct qx_plan_tensor){
		.tensor = t, .dtype = QX_PLAN_UINT8, .symmetric = 0, .axis = -1, .n_channels = 1,
		.qmin = a->qmin, .qmax = a->qmax, .scales = sc, .zero_points = zp };
	return 1;
}

static int act_usable(const struct mapper *x, int32_t t)
{
	return t >= 0 && x->act[t].set && !x->act[t].conflict;
}

/* Whether the QDQ node c reads input j through a DequantizeLinear. */
static int reads_dequantized(const struct mapper *x, const Onnx__NodeProto *c, size_t j)
{
	return is_op(qdq_model_producer(x->m, qdq_node_input(c, j)), "DequantizeLinear");
}

/* View node n: static (1, its qparams added to the plan), float (0, with a note), -1 out of
 * memory. */
static int map_node(struct mapper *x, int32_t n)
{
	const struct qx_view_node *vn = &x->view->nodes[n];
	const Onnx__NodeProto *c = counterpart(x, n);
	int32_t out = vn->n_outputs ? vn->outputs[0] : -1;
	int any_dq = 0;
	for (size_t j = 0; c && j < c->n_input; j++)
		any_dq |= reads_dequantized(x, c, j);
	/* The QDQ model runs the node in int8 when it dequantizes its inputs and quantizes its
	 * output: failing to map that is a warning; a node it leaves float stays float quietly. */
	int qdq_int8 = any_dq && out >= 0 && (x->act[out].set || x->act[out].conflict);
	int level = qdq_int8 ? QX_LOG_WARN : QX_LOG_INFO;
	if (!c) {
		note(x, QX_LOG_INFO, "node '%s' (%s) is not in the QDQ model: stays float", vn->name,
		     vn->op_type);
		return 0;
	}
	if (!(vn->modes & QX_MODE_BIT(QX_MODE_STATIC))) {
		if (qdq_int8)
			note(x, QX_LOG_WARN, "node '%s' (%s) is quantized in the QDQ model, but qx-bench "
			     "has no int8 mode for it: stays float", vn->name, vn->op_type);
		return 0;
	}
	char why[512] = "";
	int32_t first_act = -1;
	for (int32_t j = 0; j < vn->n_inputs && !why[0]; j++) {
		if (!qx_view_node_act_input(x->view, n, j))
			continue;
		int32_t t = vn->inputs[j];
		if (first_act < 0)
			first_act = t;
		if (!reads_dequantized(x, c, (size_t)j) || !act_usable(x, t))
			snprintf(why, sizeof why, "its input '%s' is not quantized (uint8) in the QDQ "
			         "model", x->view->tensors[t].name);
	}
	if (!why[0] && !act_usable(x, out))
		snprintf(why, sizeof why, "its output '%s' is not quantized (uint8) in the QDQ model",
		         out >= 0 ? x->view->tensors[out].name : "?");
	if (!why[0] && qx_view_node_keeps_qparams(x->view, n) && first_act >= 0) {
		const struct act_q *a = &x->act[first_act], *b = &x->act[out];
		if (a->scale != b->scale || a->zp != b->zp || a->qmin != b->qmin || a->qmax != b->qmax) {
			level = QX_LOG_INFO; /* no runtime can keep them either: float, as in QDQ */
			snprintf(why, sizeof why, "in int8 it keeps its input's qparams, and the QDQ "
			         "model gives its output others (scale %g zero point %d, input scale %g "
			         "zero point %d)", (double)b->scale, (int)b->zp, (double)a->scale,
			         (int)a->zp);
		}
	}
	struct qx_plan_tensor wt = { .tensor = -1 };
	if (!why[0] && vn->weight >= 0 && !map_weight(x, n, c, &wt, why, sizeof why))
		level = QX_LOG_WARN;
	if (why[0]) {
		note(x, level, "node '%s' (%s) stays float: %s", vn->name, vn->op_type, why);
		return 0;
	}
	for (int32_t j = 0; j < vn->n_inputs; j++)
		if (qx_view_node_act_input(x->view, n, j) && !add_act(x, vn->inputs[j]))
			return -1;
	if (!add_act(x, out))
		return -1;
	if (wt.tensor >= 0)
		x->out->tensors[x->out->n_tensors++] = wt;
	return 1;
}

int qdq_map_build(const struct qdq_model *m, const struct qx_graph_view *view,
                  struct qdq_map *out, char *msg, size_t size)
{
	memset(out, 0, sizeof *out);
	struct mapper x = { .m = m, .view = view, .out = out };
	int32_t nt = view->n_tensors, nn = view->n_nodes;
	x.sorted = malloc(sizeof *x.sorted * (size_t)(nt ? nt : 1));
	x.act = calloc((size_t)(nt ? nt : 1), sizeof *x.act);
	x.range_first = calloc(m->graph->n_node + 1, 1);
	out->notes = calloc(QDQ_MAX_NOTES, sizeof *out->notes);
	/* Each tensor at most once; a node's weight is added with it. */
	out->tensors = calloc((size_t)nt + 1, sizeof *out->tensors);
	out->ops = calloc((size_t)nn + 1, sizeof *out->ops);
	out->node_modes = calloc((size_t)nn + 1, sizeof *out->node_modes);
	int rc = -1;
	if (!x.sorted || !x.act || !x.range_first || !out->notes || !out->tensors || !out->ops ||
	    !out->node_modes) {
		snprintf(msg, size, "out of memory mapping '%s'", m->path);
		goto done;
	}
	for (int32_t t = 0; t < nt; t++)
		x.sorted[t] = t;
	sort_view = view;
	qsort(x.sorted, (size_t)nt, sizeof *x.sorted, by_name);

	map_activations(&x);
	if (out->n_quantize == 0) {
		snprintf(msg, size, "'%s' has no QuantizeLinear node (expected a QDQ model: "
		         "QuantizeLinear / DequantizeLinear pairs around the quantized nodes)", m->path);
		goto done;
	}
	if (out->n_mapped_quantize == 0) {
		snprintf(msg, size, "none of the %d QuantizeLinear nodes of '%s' quantizes a uint8 "
		         "tensor of the float model '%s' (%s): a QDQ model of another network?",
		         (int)out->n_quantize, m->path, view->model_path,
		         out->n_notes ? out->notes[0].text : "no activation quantized");
		goto done;
	}
	const char *first_why = NULL;
	for (int32_t n = 0; n < nn; n++) {
		int32_t before = out->n_notes;
		int s = map_node(&x, n);
		if (s < 0) {
			snprintf(msg, size, "out of memory mapping '%s'", m->path);
			goto done;
		}
		if (!s && !first_why && out->n_notes > before &&
		    view->nodes[n].modes & QX_MODE_BIT(QX_MODE_STATIC))
			first_why = out->notes[before].text;
		out->node_modes[n] = s ? QX_MODE_STATIC : QX_MODE_FLOAT;
		if (s) {
			out->ops[out->n_ops++] = (struct qx_plan_op){ .node = n, .mode = QX_MODE_STATIC };
			out->n_static++;
		}
	}
	if (out->n_static == 0) {
		snprintf(msg, size, "'%s' maps no node of the float model '%s' to int8 (%s)", m->path,
		         view->model_path, first_why ? first_why : "no node can run static");
		goto done;
	}
	rc = 0;
done:
	free(x.sorted);
	free(x.act);
	free(x.range_first);
	if (rc)
		qdq_map_free(out);
	return rc;
}

void qdq_map_free(struct qdq_map *map)
{
	for (int32_t i = 0; map->tensors && i < map->n_tensors; i++) {
		free((void *)map->tensors[i].scales);
		free((void *)map->tensors[i].zero_points);
	}
	free(map->tensors);
	free(map->ops);
	free(map->node_modes);
	free(map->notes);
	memset(map, 0, sizeof *map);
}
