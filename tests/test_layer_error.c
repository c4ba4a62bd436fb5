/* Per-layer error (harness/investigate/layer_error.c): the statistics on vectors worked out by
 * hand (SQNR of a known noise, cosine, max abs error, clipped shares, the clipping's share of
 * the error, the min/max fit, the ranking order), then the whole measurement on the tiny model, where a tensor
 * given a scale 10x too large must rank first with about 20 dB less own SQNR, and the padding
 * of a short last batch must stay out of the sums. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "exec/exec_f32.h"
#include "investigate/layer_error.h"
#include "plugin/tiny_model.h"
#include "results/results_investigate.h"
#include "support/tap.h"
#include "util/batch_pass.h"
#include "support/test_plan.h"

#define BATCH 16
#define IMAGES 40 /* two full batches and a short one of 8 */

static const struct qx_preprocess pp = { .scale = 1.0f / 255.0f, .n_channels = 1,
                                         .mean = { 0.5f }, .std = { 0.25f } };

static int near(double a, double b, double tol)
{
	return fabs(a - b) <= tol;
}

static void check_compare(void)
{
	/* x = +-1 (power 1), y = x + 0.01 * (-+1): noise power 1e-4, SQNR exactly 40 dB. */
	enum { N = 1000 };
	float x[N], y[N], neg[N], dbl[N], orth[N];
	for (int i = 0; i < N; i++) {
		x[i] = i % 2 ? 1.0f : -1.0f;
		y[i] = x[i] + (i % 3 ? 0.01f : -0.01f);
		neg[i] = -x[i];
		dbl[i] = 2.0f * x[i];
		orth[i] = (i / 2) % 2 ? 1.0f : -1.0f; /* orthogonal to x over every 4 values */
	}
	struct qx_layer_stats s;
	qx_layer_stats_init(&s, 1);
	qx_layer_stats_compare(&s, x, y, N);
	double db = qx_sqnr_db(s.sxx, s.see);
	ok(near(db, 40.0, 1e-4), "SQNR of x against x + 1%% noise: 40 dB (got %.6f)", db);
	ok(near(s.max_abs, 0.01, 1e-6), "max abs error 0.01 (got %g)", s.max_abs);
	ok(qx_layer_cosine(&s) > 0.9999 && qx_layer_cosine(&s) < 1.0,
	   "cosine of x and a slightly noisy x: just under 1 (%.8f)", qx_layer_cosine(&s));
	qx_layer_stats_free(&s);

	double cos[3];
	const float *others[3] = { neg, dbl, orth };
	for (int k = 0; k < 3; k++) {
		qx_layer_stats_init(&s, 1);
		qx_layer_stats_compare(&s, x, others[k], N);
		cos[k] = qx_layer_cosine(&s);
		qx_layer_stats_free(&s);
	}
	ok(near(cos[0], -1.0, 1e-12) && near(cos[1], 1.0, 1e-12) && near(cos[2], 0.0, 1e-12),
	   "cosine: -x gives -1 (%g), 2x gives 1 (%g), an orthogonal vector 0 (%g)", cos[0], cos[1],
	   cos[2]);

	qx_layer_stats_init(&s, 1);
	ok(isnan(qx_layer_cosine(&s)), "cosine of nothing compared: NaN (unknown)");
	float zero[4] = { 0 };
	qx_layer_stats_compare(&s, zero, zero, 4);
	ok(qx_layer_cosine(&s) == 1.0 && qx_sqnr_db(s.sxx, s.see) == INFINITY,
	   "two all-zero tensors: cosine 1, SQNR +inf (no error)");
	qx_layer_stats_free(&s);
	ok(qx_sqnr_db(0.0, 1.0) == -300.0 && near(qx_sqnr_db(100.0, 1.0), 20.0, 1e-12),
	   "SQNR: a zero signal with noise floors at -300 dB; 100 / 1 is 20 dB");
}

static void check_own(void)
{
	/* Range 0 .. 1 in steps of 0.1 (scale 0.1, zero point 0, codes 0..10). */
	float scale = 0.1f;
	int32_t zp = 0;
	struct qx_tensor_qparams qp = { .dtype = QX_PLAN_UINT8, .axis = -1, .n_channels = 1,
	                                .qmin = 0, .qmax = 10, .scales = &scale,
	                                .zero_points = &zp };
	/* -0.5 is clipped at qmin; 1.04 rounds to code 10 (not clipped: within half a step);
	 * 1.06 and 2.0 round past 10 and are clipped at qmax. */
	const float x[6] = { -0.5f, 0.04f, 0.5f, 1.04f, 1.06f, 2.0f };
	const int code[6] = { 0, 0, 5, 10, 10, 10 };
	double sxx = 0.0, see = 0.0, clip = 0.0;
	for (int i = 0; i < 6; i++) {
		double xq = (double)((float)code[i] * scale), d = (double)x[i] - xq;
		sxx += (double)x[i] * x[i];
		see += d * d;
		if (i == 0 || i >= 4)
			clip += d * d;
	}
	struct qx_layer_stats s;
	qx_layer_stats_init(&s, 1);
	float fq[6];
	qx_layer_stats_own(&s, x, 6, &qp, 1, fq);
	ok(s.clip_lo == 1 && s.clip_hi == 2 && s.values == 6,
	   "clipped: 1 of 6 at qmin, 2 at qmax (got %lld, %lld of %lld); half a step over qmax is "
	   "rounding, not clipping", (long long)s.clip_lo, (long long)s.clip_hi,
	   (long long)s.values);
	double own = qx_sqnr_db(s.own_sxx, s.own_see);
	ok(near(own, 10.0 * log10(sxx / see), 1e-9), "own SQNR %.6f dB as worked by hand (%.6f)",
	   own, 10.0 * log10(sxx / see));
	ok(near(s.own_clip_see / s.own_see, clip / see, 1e-9),
	   "clipping makes %.4f of the own error's energy (by hand %.4f)", s.own_clip_see / s.own_see,
	   clip / see);
	ok(fq[0] == 0.0f && fq[2] == 0.5f && fq[5] == 10.0f * scale,
	   "fake-quantized values handed back (%g, %g, %g)", fq[0], fq[2], fq[5]);
	ok(s.ch_min[0] == -0.5 && s.ch_max[0] == 2.0, "data range [-0.5, 2] (got [%g, %g])",
	   s.ch_min[0], s.ch_max[0]);
	qx_layer_stats_free(&s);

	/* Per channel along axis 0 of a [2, 3] weight: channel 1's scale is 10x channel 0's. */
	float scales[2] = { 0.01f, 0.1f };
	int32_t zps[2] = { 0, 0 };
	struct qx_tensor_qparams wq = { .dtype = QX_PLAN_INT8, .symmetric = 1, .axis = 0,
	                                .n_channels = 2, .qmin = -127, .qmax = 127,
	                                .scales = scales, .zero_points = zps };
	const float w[6] = { 0.5f, -0.25f, 0.125f, 0.5f, -0.25f, 0.125f };
	qx_layer_stats_init(&s, 2);
	qx_layer_stats_own(&s, w, 6, &wq, 3, fq);
	/* Channel 0 is exact on its 0.01 grid; channel 1 rounds to 0.5, -0.2 (-0.25 is a tie:
	 * round half to even, -2), 0.1. */
	ok(fq[0] == 0.5f && fq[1] == -0.25f && fq[3] == 0.5f && fq[4] == -0.2f && fq[5] == 0.1f,
	   "per channel: each value quantized with its channel's scale (%g %g %g | %g %g %g)", fq[0],
	   fq[1], fq[2], fq[3], fq[4], fq[5]);
	ok(s.ch_min[0] == -0.25 && s.ch_max[1] == 0.5, "per channel: data range kept per channel");
	qx_layer_stats_free(&s);
}

/* The min/max fit: PyTorch's MinMaxObserver arithmetic (include/qx/qparams.h). */
static void check_minmax_fit(void)
{
	float s0 = 1.0f, s1[2] = { 1.0f, 1.0f };
	int32_t z0 = 0, z1[2] = { 0, 0 };
	struct qx_tensor_qparams act = { .dtype = QX_PLAN_UINT8, .axis = -1, .n_channels = 1,
	                                 .qmin = 0, .qmax = 255, .scales = &s0, .zero_points = &z0 };
	float fs;
	int32_t fz;
	struct qx_tensor_qparams fit = { .scales = &fs, .zero_points = &fz };
	double lo = -1.0, hi = 3.0;
	qx_layer_minmax_qparams(&act, &lo, &hi, &fit);
	ok(fs == 4.0f / 255.0f && fz == 64 && fit.qmin == 0 && fit.qmax == 255,
	   "min/max fit, uint8 affine over [-1, 3]: scale 4/255, zero point 64 (got %g, %d)", fs, fz);
	struct qx_tensor_qparams w = { .dtype = QX_PLAN_INT8, .symmetric = 1, .axis = 0,
	                               .n_channels = 2, .qmin = -128, .qmax = 127, .scales = s1,
	                               .zero_points = z1 };
	float ws[2];
	int32_t wz[2];
	struct qx_tensor_qparams wfit = { .scales = ws, .zero_points = wz };
	double wlo[2] = { -0.5, -2.55 }, whi[2] = { 1.275, 0.1 };
	qx_layer_minmax_qparams(&w, wlo, whi, &wfit);
	ok(ws[0] == 1.275f / 127.5f && ws[1] == 2.55f / 127.5f && wz[0] == 0 && wz[1] == 0 &&
	   wfit.n_channels == 2, "min/max fit, int8 symmetric per channel: max |x| / 127.5 per "
	   "channel (got %g, %g)", ws[0], ws[1]);
}

static void check_order(void)
{
	ok(qx_layer_cmp(10.0, 30.0, 20.0, 5.0) < 0, "ranking: lower own SQNR first");
	ok(qx_layer_cmp(10.0, 5.0, 10.0, 30.0) < 0, "ranking: equal own SQNR, lower propagated first");
	ok(qx_layer_cmp(NAN, 0.0, 50.0, 50.0) > 0 && qx_layer_cmp(INFINITY, 0.0, 50.0, 0.0) > 0,
	   "ranking: unknown and error-free (inf) last");
}

static const struct qx_layer_tensor *find(const struct qx_layer_report *r, int t)
{
	for (int i = 0; i < r->n; i++)
		if (r->t[i].tensor == t)
			return &r->t[i];
	return NULL;
}

/* Two doubles with the same bits, NaN included. */
static int same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

/* Whether two reports hold the same rows, every figure to the bit. */
static int same_report(const struct qx_layer_report *a, const struct qx_layer_report *b)
{
	if (a->n != b->n || a->images != b->images)
		return 0;
	for (int i = 0; i < a->n; i++) {
		const struct qx_layer_tensor *x = &a->t[i], *y = &b->t[i];
		if (x->tensor != y->tensor || x->values != y->values ||
		    x->propagated != y->propagated || !same_bits(x->own_sqnr_db, y->own_sqnr_db) ||
		    !same_bits(x->minmax_sqnr_db, y->minmax_sqnr_db) ||
		    !same_bits(x->loss_db, y->loss_db) || !same_bits(x->sqnr_db, y->sqnr_db) ||
		    !same_bits(x->cosine, y->cosine) || !same_bits(x->max_abs, y->max_abs) ||
		    !same_bits(x->clipped_low, y->clipped_low) ||
		    !same_bits(x->clipped_high, y->clipped_high) ||
		    !same_bits(x->clip_error_share, y->clip_error_share) ||
		    !same_bits(x->q_lo, y->q_lo) || !same_bits(x->q_hi, y->q_hi) ||
		    !same_bits(x->d_lo, y->d_lo) || !same_bits(x->d_hi, y->d_hi) ||
		    !same_bits(x->range_ratio, y->range_ratio))
			return 0;
	}
	return 1;
}

/* Measures (g, plan) on one thread; 0 on success. Each call also measures it on 2 and 3
 * threads (3 batches: one each on 3) and checks every figure is the one thread's. */
static int measure(struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_dataset *ds, struct qx_layer_report *r)
{
	struct qx_error err = { 0 };
	int rc = qx_layer_error(g, plan, qx_kernels_best(), BATCH, ds, &pp, IMAGES, 1, r, &err);
	if (rc) {
		diag("qx_layer_error: %s", err.msg);
		return rc;
	}
	for (int threads = 2; threads <= 3; threads++) {
		struct qx_layer_report m;
		int mrc = qx_layer_error(g, plan, qx_kernels_best(), BATCH, ds, &pp, IMAGES, threads,
		                         &m, &err);
		ok(mrc == 0 && same_report(r, &m), "%d threads: every figure of %d rows is the one "
		   "thread's%s%s", threads, r->n, mrc ? ": " : "", mrc ? err.msg : "");
		if (!mrc)
			qx_layer_report_free(&m);
	}
	return 0;
}

static void check_graph(void)
{
	struct qx_error err = { 0 };
	struct qx_dataset ds;
	struct qx_graph g;
	if (qx_synthetic_dataset(IMAGES, 1, 8, 8, 10, 7, &ds, &err) ||
	    qx_tiny_model_build(&g, &err)) {
		ok(0, "tiny model and images: %s", err.msg);
		return;
	}
	/* A plan from the ranges of the first batch (min/max observers). */
	float *images = malloc(sizeof(float) * BATCH * 64);
	qx_dataset_preprocess(&ds, &pp, 0, BATCH, images);
	const float *in = images;
	struct qx_exec_f32 *f = NULL;
	struct qx_quant_plan plan;
	memset(&plan, 0, sizeof plan);
	int rc = qx_exec_f32_create(&g, BATCH, qx_kernels_get(QX_KSET_SCALAR), &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	if (!rc)
		rc = test_plan_make(&g, f, &plan, 0);
	qx_exec_f32_free(f);
	free(images);
	/* The tensors broken below: the first Gemm's weight and output, the Conv's output. */
	int weight = -1, act = -1, conv = -1, input = g.inputs[0];
	for (int n = 0; n < g.n_nodes; n++) {
		if (g.nodes[n].op == QX_OP_GEMM && weight < 0) {
			weight = g.nodes[n].in[1];
			act = g.nodes[n].out[0];
		}
		if (g.nodes[n].op == QX_OP_CONV)
			conv = g.nodes[n].out[0];
	}
	struct qx_layer_report good = { 0 }, bad = { 0 }, bad_act = { 0 };
	if (rc || weight < 0 || act < 0 || conv < 0 || measure(&g, &plan, &ds, &good)) {
		ok(0, "tiny model: plan and measurement (%s)", err.msg);
		goto out;
	}
	ok(good.images == IMAGES && good.n >= 6,
	   "correct plan: %d quantized tensors measured on %lld images", good.n,
	   (long long)good.images);
	const struct qx_layer_tensor *x = find(&good, input);
	ok(x && !strcmp(x->kind, "input") && x->values == (int64_t)IMAGES * 64,
	   "the model input: kind input, %lld values (40 images of 64: the last batch's padding is "
	   "left out)", x ? (long long)x->values : -1LL);
	/* The int8 model quantizes the input exactly as fake quantization does (up to rounding
	 * ties): propagated and own error agree. */
	ok(x && x->propagated && near(x->sqnr_db, x->own_sqnr_db, 0.5),
	   "the input's propagated SQNR (%.2f dB) is its own (%.2f dB)", x ? x->sqnr_db : NAN,
	   x ? x->own_sqnr_db : NAN);
	const struct qx_layer_tensor *w0 = find(&good, weight);
	const struct qx_tensor *wt = &g.tensors[weight];
	float lo = INFINITY, hi = -INFINITY;
	for (int64_t i = 0; i < qx_tensor_numel(wt); i++) {
		lo = fminf(lo, wt->data[i]);
		hi = fmaxf(hi, wt->data[i]);
	}
	ok(w0 && !strcmp(w0->kind, "weight") && w0->n_channels > 1 && w0->d_lo == lo &&
	   w0->d_hi == hi && w0->range_ratio >= 1.0 && w0->range_ratio <= 2.01,
	   "the Gemm weight: per channel, data range [%g, %g] as in the graph, symmetric min/max "
	   "range ratio 1..2 (%.3g)", lo, hi, w0 ? w0->range_ratio : NAN);
	/* The test plan's weights are min/max per channel over the same data: nothing lost. */
	ok(w0 && fabs(w0->loss_db) < 0.01, "the Gemm weight loses nothing against the min/max fit "
	   "(%.4f dB)", w0 ? w0->loss_db : NAN);
	double before = w0 ? w0->own_sqnr_db : NAN;
	qx_layer_rank(&good);
	ok(good.t[0].tensor != weight, "correct plan: the Gemm weight does not rank first");

	/* The weight's scales 10x: its own SQNR drops by about 20 dB and it ranks first. */
	for (int c = 0; c < plan.tensor[weight].n_channels; c++)
		plan.tensor[weight].scales[c] *= 10.0f;
	if (measure(&g, &plan, &ds, &bad)) {
		ok(0, "weight scale 10x: measurement");
		goto out;
	}
	const struct qx_layer_tensor *w1 = find(&bad, weight);
	double drop = w1 ? before - w1->own_sqnr_db : NAN;
	ok(w1 && drop > 14.0 && drop < 26.0 && w1->range_ratio > 9.0 &&
	   fabs(w1->loss_db - drop) < 0.01,
	   "weight scale 10x: own SQNR %.1f -> %.1f dB (%.1f dB less, the loss against the min/max "
	   "fit: %.1f dB), range ratio %.3g", before, w1 ? w1->own_sqnr_db : NAN, drop,
	   w1 ? w1->loss_db : NAN, w1 ? w1->range_ratio : NAN);
	qx_layer_rank(&bad);
	ok(bad.t[0].tensor == weight, "weight scale 10x: it ranks first (first: %s, %.1f dB)",
	   bad.t[0].name, bad.t[0].own_sqnr_db);
	for (int c = 0; c < plan.tensor[weight].n_channels; c++)
		plan.tensor[weight].scales[c] /= 10.0f;

	/* The Conv output's scale 10x instead (and so MaxPool's and Flatten's, which keep their
	 * input's qparams): those activations rank first, nothing clipped. Less than 20 dB is lost
	 * here: after the Relu most values are small, and once they round to 0 their error stops
	 * growing with the scale (measured: 13.4 dB). */
	char *changed = calloc((size_t)g.n_tensors, 1);
	changed[conv] = 1;
	for (int n = 0; n < g.n_nodes; n++) {
		const struct qx_node *nd = &g.nodes[n];
		if ((nd->op == QX_OP_MAXPOOL || nd->op == QX_OP_FLATTEN) && changed[nd->in[0]])
			changed[nd->out[0]] = 1;
	}
	for (int t = 0; t < g.n_tensors; t++)
		if (changed[t])
			plan.tensor[t].scales[0] *= 10.0f;
	if (measure(&g, &plan, &ds, &bad_act)) {
		ok(0, "activation scale 10x: measurement");
		free(changed);
		goto out;
	}
	const struct qx_layer_tensor *c1 = find(&bad_act, conv), *c0 = find(&good, conv);
	ok(c0 && c1 && c0->own_sqnr_db - c1->own_sqnr_db > 10.0 && c1->clipped_high == 0.0,
	   "activation scale 10x: %s's own SQNR %.1f -> %.1f dB, nothing clipped",
	   g.tensors[conv].name, c0 ? c0->own_sqnr_db : NAN, c1 ? c1->own_sqnr_db : NAN);
	qx_layer_rank(&bad_act);
	ok(changed[bad_act.t[0].tensor], "activation scale 10x: it (or a copy of its qparams) ranks "
	   "first: %s (%.1f dB)", bad_act.t[0].name, bad_act.t[0].own_sqnr_db);
	for (int t = 0; t < g.n_tensors; t++)
		if (changed[t])
			plan.tensor[t].scales[0] /= 10.0f;
	free(changed);

	/* And a range too narrow: the scale a tenth, most of the error is clipping. */
	struct qx_layer_report narrow = { 0 };
	plan.tensor[act].scales[0] /= 10.0f;
	if (!measure(&g, &plan, &ds, &narrow)) {
		const struct qx_layer_tensor *a = find(&narrow, act);
		ok(a && a->clipped_high > 0.05 && a->clip_error_share > 0.9 && a->range_ratio < 0.2 &&
		   a->loss_db > 10.0,
		   "activation scale a tenth: %.1f%% clipped at qmax, %.0f%% of its error, range ratio "
		   "%.2g, %.1f dB lost against the min/max fit", a ? 100.0 * a->clipped_high : NAN,
		   a ? 100.0 * a->clip_error_share : NAN, a ? a->range_ratio : NAN,
		   a ? a->loss_db : NAN);
		json_t *j = qx_results_layers_json(&narrow, "test");
		ok(j && json_array_size(json_object_get(j, "tensors")) == (size_t)narrow.n &&
		   json_integer_value(json_object_get(j, "images")) == IMAGES,
		   "results.json's layers: one entry per tensor, the image count");
		json_decref(j);
	} else {
		ok(0, "activation scale a tenth: measurement");
	}
	plan.tensor[act].scales[0] *= 10.0f;
	qx_layer_report_free(&narrow);
out:
	qx_layer_report_free(&good);
	qx_layer_report_free(&bad);
	qx_layer_report_free(&bad_act);
	test_plan_free(&plan);
	qx_graph_free(&g);
	qx_dataset_free(&ds);
}

/* ---- simulated formats (ABI minor 3) ------------------------------------------------------- */

/* Own error of an FP8 e4m3fn vector and of a per-group int4 weight, against the values worked
 * out by hand here from the formats' definitions (not through plan/fp8.h). */
static void check_simulated_own(void)
{
	/* e4m3fn at scale 2: x / 2 = 1, 1.1, -3.3, 500, -0.01, -600, 460. In [1, 2) the step is
	 * 1/8: 1.1 -> 1.125; in [2, 4) 1/4: -3.3 -> -3.25; beyond 448 it saturates (500 at the top,
	 * -600 at the bottom: clipped, being more than half a step of 32 past 448; 460 is not, it
	 * rounds to 448); -0.01 is subnormal, steps of 2^-9: -5.12 steps -> -5. */
	float scale = 2.0f;
	int32_t zp = 0;
	struct qx_tensor_qparams fq8 = { .dtype = QX_PLAN_FP8_E4M3FN, .symmetric = 1, .axis = -1,
	                                 .n_channels = 1, .scales = &scale, .zero_points = &zp };
	const float x[7] = { 2.0f, 2.2f, -6.6f, 1000.0f, -0.02f, -1200.0f, 920.0f };
	const double want[7] = { 2.0, 2.25, -6.5, 896.0, -5.0 / 512.0 * 2.0, -896.0, 896.0 };
	double sxx = 0.0, see = 0.0, clip = 0.0;
	for (int i = 0; i < 7; i++) {
		double d = (double)x[i] - want[i];
		sxx += (double)x[i] * x[i];
		see += d * d;
		if (i == 3 || i == 5)
			clip += d * d;
	}
	struct qx_layer_stats s;
	float fq[8];
	qx_layer_stats_init(&s, 1);
	qx_layer_stats_own(&s, x, 7, &fq8, 1, fq);
	int same = 1;
	for (int i = 0; i < 7; i++)
		same &= (double)fq[i] == want[i];
	ok(same, "FP8 e4m3fn: fake-quantized as worked by hand (%g %g %g %g %g %g %g)", fq[0],
	   fq[1], fq[2], fq[3], fq[4], fq[5], fq[6]);
	double own = qx_sqnr_db(s.own_sxx, s.own_see);
	ok(near(own, 10.0 * log10(sxx / see), 1e-9) && s.clip_lo == 1 && s.clip_hi == 1 &&
	   near(s.own_clip_see / s.own_see, clip / see, 1e-9),
	   "FP8 e4m3fn: own SQNR %.6f dB (by hand %.6f), saturation clipped once at each side "
	   "(%lld, %lld), half a step past 448 is rounding", own, 10.0 * log10(sxx / see), (long long)s.clip_lo,
	   (long long)s.clip_hi);
	qx_layer_stats_free(&s);

	/* int4 (-8..7) per group: a [2, 4] weight, 2 channels along axis 0, groups of 2, scales
	 * 0.1, 0.01 | 1, 0.5. Channel 0: 0.33 -> 3, -0.04 -> 0 | 0.037 -> 4, 0.1 -> 10, clipped
	 * to 7. Channel 1: -9 -> clipped to -8, 2.5 -> 2 (tie to even) | 1.3 -> 3 (2.6),
	 * -0.2 -> 0. */
	float ch_scales[2] = { 0.1f, 1.0f }, groups[4] = { 0.1f, 0.01f, 1.0f, 0.5f };
	int32_t zps[2] = { 0, 0 };
	struct qx_tensor_qparams g4 = { .dtype = QX_PLAN_INT8, .symmetric = 1, .axis = 0,
	                                .n_channels = 2, .qmin = -8, .qmax = 7, .bits = 4,
	                                .scales = ch_scales, .zero_points = zps, .group_size = 2,
	                                .groups = 2, .group_scales = groups };
	const float w[8] = { 0.33f, -0.04f, 0.037f, 0.1f, -9.0f, 2.5f, 1.3f, -0.2f };
	const int code[8] = { 3, 0, 4, 7, -8, 2, 3, 0 };
	sxx = see = clip = 0.0;
	same = 1;
	qx_layer_stats_init(&s, 2);
	qx_layer_stats_own(&s, w, 8, &g4, 4, fq);
	for (int i = 0; i < 8; i++) {
		float q = (float)code[i] * groups[i / 2];
		double d = (double)w[i] - (double)q;
		same &= fq[i] == q;
		sxx += (double)w[i] * w[i];
		see += d * d;
		if (i == 3 || i == 4)
			clip += d * d;
	}
	own = qx_sqnr_db(s.own_sxx, s.own_see);
	ok(same && near(own, 10.0 * log10(sxx / see), 1e-9) && s.clip_lo == 1 && s.clip_hi == 1 &&
	   near(s.own_clip_see / s.own_see, clip / see, 1e-9),
	   "int4 per group: each value at its group's scale, own SQNR %.6f dB (by hand %.6f), "
	   "clipped once at each side (%lld, %lld)", own, 10.0 * log10(sxx / see),
	   (long long)s.clip_lo, (long long)s.clip_hi);
	qx_layer_stats_free(&s);
}

/* The index of the tensor that loses most against its min/max fit (explain's order). */
static int worst_by_loss(const struct qx_layer_report *r)
{
	int best = -1;
	for (int i = 0; i < r->n; i++)
		if (isfinite(r->t[i].loss_db) && (best < 0 || r->t[i].loss_db > r->t[best].loss_db))
			best = i;
	return best < 0 ? -1 : r->t[best].tensor;
}

/* The tiny model under an FP8 e4m3fn plan (simulated: measured on the reference simulation):
 * weights absmax / 448 per channel, activations absmax / 448 over the images;
 * then one weight's scales 10x too large must rank first by loss. */
static void check_simulated_graph(void)
{
	struct qx_error err = { 0 };
	struct qx_dataset ds;
	struct qx_graph g;
	if (qx_synthetic_dataset(IMAGES, 1, 8, 8, 10, 7, &ds, &err) ||
	    qx_tiny_model_build(&g, &err)) {
		ok(0, "tiny model and images: %s", err.msg);
		return;
	}
	float *images = malloc(sizeof(float) * BATCH * 64);
	qx_dataset_preprocess(&ds, &pp, 0, BATCH, images);
	const float *in = images;
	struct qx_exec_f32 *f = NULL;
	struct qx_quant_plan plan;
	memset(&plan, 0, sizeof plan);
	int rc = qx_exec_f32_create(&g, BATCH, qx_kernels_get(QX_KSET_SCALAR), &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	if (!rc)
		rc = test_plan_make(&g, f, &plan, 0);
	/* Every activation's absmax over all the images (the short last batch's padding left
	 * out), for activation scales that lose nothing against the fit either: FP8's relative
	 * precision hardly depends on the scale, so a first-batch range that saturates a later
	 * image would lose as much as the weight broken below. */
	double *absmax_act = calloc((size_t)g.n_tensors, sizeof(double));
	for (int64_t first = 0; !rc && first < IMAGES; first += BATCH) {
		int64_t m = IMAGES - first < BATCH ? IMAGES - first : BATCH;
		memset(images, 0, sizeof(float) * BATCH * 64);
		qx_dataset_preprocess(&ds, &pp, first, m, images);
		rc = qx_exec_f32_run(f, &in, &err);
		const struct qx_graph *fg = qx_exec_f32_graph(f);
		for (int t = 0; !rc && t < g.n_tensors; t++) {
			const struct qx_tensor *tt = &fg->tensors[t];
			if (tt->is_const || tt->ndim < 1 || tt->dims[0] != BATCH)
				continue;
			const float *v = qx_exec_f32_tensor(f, t);
			for (int64_t i = 0; v && i < qx_tensor_numel(tt) / BATCH * m; i++)
				absmax_act[t] = fmax(absmax_act[t], fabs(v[i]));
		}
	}
	qx_exec_f32_free(f);
	free(images);
	int weight = -1;
	for (int n = 0; n < g.n_nodes && weight < 0; n++)
		if (g.nodes[n].op == QX_OP_GEMM)
			weight = g.nodes[n].in[1];
	for (int t = 0; !rc && t < plan.n_tensors; t++) {
		struct qx_tensor_qparams *q = &plan.tensor[t];
		if (q->dtype == QX_PLAN_INT32) {
			q->dtype = QX_PLAN_FLOAT; /* biases stay fp32 beside FP8 (plan.h) */
			continue;
		}
		if (q->dtype != QX_PLAN_UINT8 && q->dtype != QX_PLAN_INT8)
			continue;
		const struct qx_tensor *tt = &g.tensors[t];
		for (int c = 0; c < q->n_channels; c++) {
			double absmax = 0.0;
			if (tt->is_const) {
				int64_t inner = 1;
				for (int d = q->axis + 1; q->axis >= 0 && d < tt->ndim; d++)
					inner *= tt->dims[d];
				for (int64_t i = 0; i < qx_tensor_numel(tt); i++)
					if (q->n_channels == 1 || (i / inner) % q->n_channels == c)
						absmax = fmax(absmax, fabs(tt->data[i]));
			} else {
				absmax = absmax_act[t];
			}
			q->scales[c] = absmax > 0.0 ? (float)(absmax / 448.0) : 1.0f;
			q->zero_points[c] = 0;
		}
		q->dtype = QX_PLAN_FP8_E4M3FN;
		q->symmetric = 1;
		q->qmin = q->qmax = 0;
	}
	free(absmax_act);
	plan.simulated = 1;
	snprintf(plan.simulated_why, sizeof plan.simulated_why, "fp8_e4m3fn");
	struct qx_layer_report good = { 0 }, bad = { 0 };
	if (rc || weight < 0 || measure(&g, &plan, &ds, &good)) {
		ok(0, "FP8 plan on the tiny model: measurement (%s)", err.msg);
		goto out;
	}
	const struct qx_layer_tensor *w0 = find(&good, weight);
	int acts = 0, compared = 1;
	for (int i = 0; i < good.n; i++) {
		acts += !strcmp(good.t[i].kind, "activation") && good.t[i].propagated &&
		        isfinite(good.t[i].sqnr_db); /* the simulation does differ from fp32 */
		compared &= good.t[i].dtype == QX_PLAN_FP8_E4M3FN && isfinite(good.t[i].own_sqnr_db);
	}
	ok(good.images == IMAGES && good.n >= 6 && compared && acts >= 3,
	   "FP8 plan: %d FP8 tensors measured on %lld images, %d activations compared with the "
	   "simulation", good.n, (long long)good.images, acts);
	ok(w0 && fabs(w0->loss_db) < 0.01 && w0->clipped_high == 0.0 && w0->clipped_low == 0.0,
	   "FP8 plan: the Gemm weight at absmax / 448 loses nothing against the fit (%.4f dB), "
	   "nothing saturates", w0 ? w0->loss_db : NAN);
	ok(worst_by_loss(&good) != weight, "FP8 plan: the Gemm weight is not worst by loss");
	for (int c = 0; c < plan.tensor[weight].n_channels; c++)
		plan.tensor[weight].scales[c] *= 10.0f;
	if (measure(&g, &plan, &ds, &bad)) {
		ok(0, "FP8 weight scale 10x: measurement");
		goto out;
	}
	const struct qx_layer_tensor *w1 = find(&bad, weight);
	int worst = worst_by_loss(&bad);
	/* FP8 keeps its relative precision over 15 octaves: a 10x scale loses only where small
	 * weights fall into the subnormals (measured: 0.66 dB), far less than int8's 20 dB, but
	 * it is the one loss in the plan. */
	ok(worst == weight && w1 && w1->loss_db > 0.3,
	   "FP8 weight scale 10x: it ranks first by loss (first: %s; its loss %.2f dB, own SQNR "
	   "%.1f -> %.1f dB)", worst >= 0 ? g.tensors[worst].name : "-", w1 ? w1->loss_db : NAN,
	   w0 ? w0->own_sqnr_db : NAN, w1 ? w1->own_sqnr_db : NAN);
out:
	qx_layer_report_free(&good);
	qx_layer_report_free(&bad);
	test_plan_free(&plan);
	qx_graph_free(&g);
	qx_dataset_free(&ds);
}

int main(void)
{
	tap_plan(0);
	/* Each thread takes its share of the batches, so the thread-count checks below see a
	 * merge across threads (util/batch_pass.h). */
	setenv(QX_TEST_BATCH_PASS_STATIC_ENV, "1", 1);
	check_compare();
	check_own();
	check_minmax_fit();
	check_order();
	check_graph();
	check_simulated_own();
	check_simulated_graph();
	return tap_done();
}
