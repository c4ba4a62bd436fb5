/* The int8 executor's element-wise ops on a squeeze-and-excitation shaped model, against
 * formulas written here (docs/numerics.md) and across every kernel set:
 *     x [B,3,5,5] -> GlobalAveragePool -> p -> Sigmoid -> g [B,3,1,1]
 *     Mul(x, g) -> m          (the gate broadcast over H, W: the larger input first)
 *     HardSwish(m) -> h
 *     Add(g, h) -> a          (the larger input second)
 *     Concat(a, m) -> c [B,6,5,5];  Mul(c, c) -> y (equal shapes)
 * plus the broadcasts the int8 Add / Mul accept and refuse. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "exec/bitexact.h"
#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "ops/q8_ops.h"
#include "plugin/tiny_model.h"
#include "plugin/view.h"
#include "qx/plan.h"
#include "support/onnx_builder.h"
#include "support/tap.h"

#define B 3
#define C 3 /* QX_MAX_CHANNELS: synthetic images have at most that many */
#define HW 5

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

static char tmpdir[] = "/tmp/qx-test-exec-q8-ops-XXXXXX";

/* The model, written as ONNX and read back by the importer (so the nodes are what a real model
 * gives); tensor numbers follow the order below: x, p, g, m, h, a, c, y. */
static int build(struct qx_graph *g, struct qx_error *err)
{
	struct mb b;
	char path[512];
	const int64_t xd[4] = { B, C, HW, HW };
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 4, xd);
	mb_node(&b, "GlobalAveragePool", "gap", "x", "p");
	mb_node(&b, "Sigmoid", "sigmoid", "p", "g");
	mb_node(&b, "Mul", "gate", "x,g", "m");
	mb_node(&b, "HardSwish", "hardswish", "m", "h");
	mb_node(&b, "Add", "add", "g,h", "a");
	mb_attr_int(&b, mb_node(&b, "Concat", "cat", "a,m", "c"), "axis", 1);
	mb_node(&b, "Mul", "square", "c,c", "y");
	mb_output(&b, "y");
	mb_write(&b, "se.onnx", path, sizeof path, 0);
	int rc = qx_graph_load_onnx(path, g, err);
	remove(path);
	return rc;
}

static void set_act(struct qx_quant_plan *p, int t, float scale, int32_t zp)
{
	struct qx_tensor_qparams *q = &p->tensor[t];
	q->dtype = QX_PLAN_UINT8;
	q->axis = -1;
	q->n_channels = 1;
	q->qmin = 0;
	q->qmax = 255;
	q->scales = malloc(sizeof(float));
	q->zero_points = malloc(sizeof(int32_t));
	q->scales[0] = scale;
	q->zero_points[0] = zp;
	q->copied_from = -1;
}

/* Every node static; activations 0..255 over the fp32 run's range (GlobalAveragePool keeps its
 * input's, Sigmoid gets PyTorch's fixed 1/256, 0). */
static void make_plan(const struct qx_graph *g, struct qx_exec_f32 *f, struct qx_quant_plan *p)
{
	p->n_tensors = g->n_tensors;
	p->n_nodes = g->n_nodes;
	p->tensor = calloc((size_t)g->n_tensors, sizeof *p->tensor);
	p->node = calloc((size_t)g->n_nodes, sizeof *p->node);
	for (int n = 0; n < g->n_nodes; n++)
		p->node[n].mode = QX_MODE_STATIC;
	for (int t = 0; t < g->n_tensors; t++) {
		const float *v = qx_exec_f32_tensor(f, t);
		float lo = 0.0f, hi = 0.0f;
		for (int64_t i = 0; i < qx_tensor_numel(&g->tensors[t]); i++)
			lo = fminf(lo, v[i]), hi = fmaxf(hi, v[i]);
		float scale = (hi - lo) / 255.0f;
		set_act(p, t, scale, (int32_t)nearbyintf(-lo / scale));
	}
	int x = qx_graph_find_tensor(g, "x"), pt = qx_graph_find_tensor(g, "p");
	int gt = qx_graph_find_tensor(g, "g");
	free(p->tensor[pt].scales), free(p->tensor[pt].zero_points);
	set_act(p, pt, p->tensor[x].scales[0], p->tensor[x].zero_points[0]);
	free(p->tensor[gt].scales), free(p->tensor[gt].zero_points);
	set_act(p, gt, 1.0f / 256.0f, 0);
}

static void plan_free(struct qx_quant_plan *p)
{
	for (int t = 0; t < p->n_tensors; t++)
		free(p->tensor[t].scales), free(p->tensor[t].zero_points);
	free(p->tensor);
	free(p->node);
}

/* The int8 bytes of tensor t after the run: the output of the last step that writes it. */
static const uint8_t *step_bytes(const struct qx_exec_q8 *q, const char *node_name,
                                 const char *what)
{
	for (int s = 0; s < qx_exec_q8_n_steps(q); s++) {
		int64_t bytes;
		const char *node, *w;
		const void *out = qx_exec_q8_step_output(q, s, &bytes, &node, &w);
		if (node && !strcmp(node, node_name) && !strcmp(w, what))
			return out;
	}
	return NULL;
}

static uint8_t quant(float v, const struct qx_tensor_qparams *q)
{
	float t = v / q->scales[0];
	float lo = (float)(q->qmin - q->zero_points[0]), hi = (float)(q->qmax - q->zero_points[0]);
	t = t > lo ? t : lo;
	t = t < hi ? t : hi;
	return (uint8_t)((int32_t)nearbyintf(t) + q->zero_points[0]);
}

static float deq(uint8_t v, const struct qx_tensor_qparams *q)
{
	return (float)((int32_t)v - q->zero_points[0]) * q->scales[0];
}

static uint8_t requant(float t, const struct qx_tensor_qparams *q)
{
	float lo = (float)(q->qmin - q->zero_points[0]), hi = (float)(q->qmax - q->zero_points[0]);
	t = t > lo ? t : lo;
	t = t < hi ? t : hi;
	return (uint8_t)((int32_t)nearbyintf(t) + q->zero_points[0]);
}

/* The ops' steps against formulas written here, on the int8 bytes the steps read (NHWC). */
static void check_formulas(const struct qx_graph *g, const struct qx_exec_q8 *q,
                           const struct qx_quant_plan *p)
{
#define QP(name) (&p->tensor[qx_graph_find_tensor(g, name)])
	const struct qx_tensor_qparams *qx = QP("x"), *qp = QP("p"), *qg = QP("g"), *qm = QP("m"),
				       *qh = QP("h"), *qa = QP("a");
#undef QP
	const uint8_t *xb = NULL;
	const uint8_t *pb = step_bytes(q, "gap", "avgpool"), *gb = step_bytes(q, "sigmoid", "table lookup");
	const uint8_t *mb = step_bytes(q, "gate", "mul"), *hb = step_bytes(q, "hardswish", "table lookup");
	const uint8_t *ab = step_bytes(q, "add", "add");
	for (int s = 0; s < qx_exec_q8_n_steps(q) && !xb; s++) {
		int64_t bytes;
		const char *node, *w;
		const void *out = qx_exec_q8_step_output(q, s, &bytes, &node, &w);
		if (!node && !strcmp(w, "quantize") && bytes == B * C * HW * HW)
			xb = out;
	}
	if (!ok(xb && pb && gb && mb && hb && ab, "the steps: quantize x, avgpool, sigmoid and "
	        "hardswish table lookups, mul, add"))
		return;
	int bad_g = 0, bad_m = 0, bad_h = 0, bad_a = 0;
	for (int i = 0; i < B * C; i++)
		bad_g += gb[i] != quant(1.0f / (1.0f + expf(-deq(pb[i], qp))), qg);
	float mm = qx->scales[0] * qg->scales[0] / qm->scales[0];
	float ma = qg->scales[0] / qa->scales[0], mh = qh->scales[0] / qa->scales[0];
	for (int n = 0; n < B; n++)
		for (int pix = 0; pix < HW * HW; pix++)
			for (int c = 0; c < C; c++) {
				int i = (n * HW * HW + pix) * C + c, gi = n * C + c;
				int32_t prod = ((int32_t)xb[i] - qx->zero_points[0]) *
				               ((int32_t)gb[gi] - qg->zero_points[0]);
				bad_m += mb[i] != requant((float)prod * mm, qm);
				float v = deq(mb[i], qm);
				bad_h += hb[i] != quant(v * fminf(fmaxf(v + 3.0f, 0.0f), 6.0f) / 6.0f, qh);
				float t = (float)((int32_t)gb[gi] - qg->zero_points[0]) * ma +
				          (float)((int32_t)hb[i] - qh->zero_points[0]) * mh;
				bad_a += ab[i] != requant(t, qa);
			}
	ok(bad_g == 0, "Sigmoid: table[q] = quantize(1 / (1 + expf(-dequantize(q)))) (%d differ)",
	   bad_g);
	ok(bad_m == 0, "Mul with an [N,C,1,1] gate: rne((x - x_zp) * (g - g_zp) * M) (%d differ)",
	   bad_m);
	ok(bad_h == 0, "HardSwish: quantize(v * min(max(v + 3, 0), 6) / 6) (%d differ)", bad_h);
	ok(bad_a == 0, "Add with the gate as its first input, broadcast (%d differ)", bad_a);
}

/* What a plugin sees: every node may run static; only the pool keeps its input's qparams. */
static void check_view(const struct qx_graph *g)
{
	struct qx_view_store vs;
	struct qx_error err = { 0 };
	if (!ok(qx_view_build(g, &vs, &err) == 0, "the plugin's view builds"))
		return;
	int all_static = 1, keeps = 0, keeps_gap = 0;
	for (int n = 0; n < vs.view.n_nodes; n++) {
		all_static &= (vs.view.nodes[n].modes & QX_MODE_BIT(QX_MODE_STATIC)) != 0;
		if (qx_view_node_keeps_qparams(&vs.view, n)) {
			keeps++;
			keeps_gap = !strcmp(vs.view.nodes[n].name, "gap");
		}
	}
	ok(all_static && keeps == 1 && keeps_gap, "view: Sigmoid, HardSwish, broadcast Mul and Add, "
	   "Concat may run static; node_flags mark only GlobalAveragePool as keeping qparams");
	qx_view_free(&vs);
}

static void check_broadcast_kinds(void)
{
	struct qx_tensor a = { .ndim = 4, .dims = { 2, 8, 5, 5 } }, b = a, y = a;
	ok(qx_q8_broadcast(&a, &b, &y).kind == QX_Q8_BCAST_SAME, "broadcast: equal shapes");
	b.dims[2] = b.dims[3] = 1;
	struct qx_q8_bcast r = qx_q8_broadcast(&b, &a, &y);
	ok(r.kind == QX_Q8_BCAST_CHANNEL && r.big == 1 && r.small_n && r.small_c && r.c == 8 &&
	   r.hw == 25, "broadcast: [N,C,1,1] against [N,C,H,W], either order");
	b.dims[0] = 1, b.dims[1] = 1;
	ok(qx_q8_broadcast(&a, &b, &y).kind == QX_Q8_BCAST_SCALAR, "broadcast: one value");
	b.dims[1] = 8, b.dims[3] = 5;
	ok(qx_q8_broadcast(&a, &b, &y).kind == QX_Q8_BCAST_NONE,
	   "broadcast: [1,C,1,W] is refused (the node stays float)");
	b = a;
	y.dims[1] = 16;
	ok(qx_q8_broadcast(&a, &b, &y).kind == QX_Q8_BCAST_NONE,
	   "broadcast: an output of another shape is refused");
}

int main(void)
{
	tap_plan(0);
	check_broadcast_kinds();
	struct qx_error err = { 0 };
	struct qx_graph g;
	if (!mkdtemp(tmpdir))
		return tap_skip_all("mkdtemp failed");
	mb_dir = tmpdir;
	int rc = build(&g, &err);
	rmdir(tmpdir);
	if (!ok(rc == 0, "the model loads%s%s", rc ? ": " : "", rc ? err.msg : ""))
		return tap_done();
	check_view(&g);
	struct qx_dataset ds;
	if (qx_synthetic_dataset(B, C, HW, HW, 10, 11, &ds, &err)) {
		ok(0, "images: %s", err.msg);
		return tap_done();
	}
	struct qx_preprocess pp = { .scale = 1.0f / 255.0f, .n_channels = 1, .mean = { 0.5f },
		                    .std = { 0.25f } };
	float *images = malloc(sizeof(float) * B * C * HW * HW);
	qx_dataset_preprocess(&ds, &pp, 0, B, images);
	const float *in = images;
	const struct qx_kernels *scalar = qx_kernels_get(QX_KSET_SCALAR);
	struct qx_exec_f32 *f = NULL;
	rc = qx_exec_f32_create(&g, B, scalar, &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	if (!ok(rc == 0, "fp32 run%s%s", rc ? ": " : "", rc ? err.msg : ""))
		return tap_done();
	struct qx_quant_plan plan = { 0 };
	make_plan(&g, f, &plan);
	struct qx_exec_q8 *q = NULL;
	rc = qx_exec_q8_create(&g, &plan, B, scalar, &q, &err);
	if (!rc)
		rc = qx_exec_q8_run(q, &in, &err);
	ok(rc == 0, "static int8 run of Sigmoid, HardSwish, broadcast Mul and Add, Concat%s%s",
	   rc ? ": " : "", rc ? err.msg : "");
	if (!rc) {
		int64_t n = qx_tensor_numel(&g.tensors[g.outputs[0]]);
		const float *yq = qx_exec_q8_output(q, 0), *yf = qx_exec_f32_tensor(f, g.outputs[0]);
		float d = 0.0f, hi = 0.0f;
		for (int64_t i = 0; i < n; i++)
			d = fmaxf(d, fabsf(yq[i] - yf[i])), hi = fmaxf(hi, fabsf(yf[i]));
		ok(d <= 0.05f * hi, "int8 output within 5%% of fp32's largest value (max diff %.4g of "
		   "%.4g)", d, hi);
		check_formulas(&g, q, &plan);
	}
	qx_exec_q8_free(q);
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why;
		if (s == QX_KSET_SCALAR)
			continue;   /* scalar against itself could not fail */
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			tap_skip(1, "kernel set %s: %s", qx_kset_name((enum qx_kset)s), why);
			continue;
		}
		struct qx_bitexact bx;
		rc = qx_bitexact_check(&g, &plan, scalar, qx_kernels_get((enum qx_kset)s), B, &ds, &pp,
		                       B, &bx, &err);
		ok(rc == 0 && bx.identical, "kernel set %s bit-identical to scalar, step by step%s%s",
		   qx_kset_name((enum qx_kset)s), rc ? err.msg : "", rc || bx.identical ? "" : bx.where);
	}
	plan_free(&plan);
	qx_exec_f32_free(f);
	qx_graph_free(&g);
	qx_dataset_free(&ds);
	free(images);
	return tap_done();
}
