/* The int8 executor against independent references: a hand-made plan over the tiny model
 * (Conv+Relu, MaxPool, Flatten of an NHWC tensor, two Gemms), checked against fp32, against a
 * naive int8 convolution written here, across every available kernel set, and in dynamic mode;
 * plus PyTorch's ChooseQuantizationParams on known values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "exec/bitexact.h"
#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "exec/pool.h"
#include "plugin/tiny_model.h"
#include "support/tap.h"
#include "support/test_plan.h"

#define BATCH 4

/* Naive int8 convolution of NCHW uint8 input with the plan's weights: the test's own formula. */
static uint8_t naive_conv_output(const struct qx_graph *g, const struct qx_node *nd,
                                 const struct qx_quant_plan *p, const uint8_t *x_nchw, int64_t b,
                                 int64_t oc, int64_t oy, int64_t ox)
{
	const struct qx_tensor *xt = &g->tensors[nd->in[0]], *wt = &g->tensors[nd->in[1]];
	const struct qx_tensor_qparams *qx = &p->tensor[nd->in[0]], *qw = &p->tensor[nd->in[1]];
	const struct qx_tensor_qparams *qy = &p->tensor[nd->out[0]];
	int64_t c = xt->dims[1], h = xt->dims[2], w = xt->dims[3];
	const struct qx_conv_attr *a = &nd->attr.conv;
	float ws = qw->scales[qw->n_channels == 1 ? 0 : oc];
	int64_t acc = 0;
	for (int64_t ic = 0; ic < c; ic++)
		for (int ky = 0; ky < a->kernel[0]; ky++)
			for (int kx = 0; kx < a->kernel[1]; kx++) {
				int64_t iy = oy * a->stride[0] - a->pad[0] + ky;
				int64_t ix = ox * a->stride[1] - a->pad[1] + kx;
				int32_t xv = qx->zero_points[0];
				if (iy >= 0 && iy < h && ix >= 0 && ix < w)
					xv = x_nchw[((b * c + ic) * h + iy) * w + ix];
				float wf = wt->data[((oc * c + ic) * a->kernel[0] + ky) * a->kernel[1] + kx];
				float wq = nearbyintf(wf / ws);
				wq = fminf(fmaxf(wq, -128.0f), 127.0f);
				acc += (int64_t)(xv - qx->zero_points[0]) * (int64_t)wq;
			}
	const float *bias = nd->n_in > 2 ? g->tensors[nd->in[2]].data : NULL;
	if (bias)
		acc += (int64_t)nearbyint((double)bias[oc] / ((double)qx->scales[0] * ws));
	float m = (qx->scales[0] * ws) / qy->scales[0];
	float t = (float)acc * m;
	int32_t lo = qy->zero_points[0]; /* fused Relu */
	t = fminf(fmaxf(t, (float)(lo - qy->zero_points[0])), (float)(qy->qmax - qy->zero_points[0]));
	return (uint8_t)(nearbyintf(t) + qy->zero_points[0]);
}

static float max_abs_diff(const float *a, const float *b, int64_t n, float *range)
{
	float d = 0.0f, lo = b[0], hi = b[0];
	for (int64_t i = 0; i < n; i++) {
		d = fmaxf(d, fabsf(a[i] - b[i]));
		lo = fminf(lo, b[i]);
		hi = fmaxf(hi, b[i]);
	}
	*range = hi - lo;
	return d;
}

static void check_dynamic_qparams(void)
{
	/* Worked by hand from PyTorch's quant_utils::ChooseQuantizationParams:
	 * [-1, 3] on 0..255: scale 4/255; from min 63.75 (error -63.75) beats from max -> 64. */
	float s;
	int32_t zp;
	qx_choose_qparams_dynamic(-1.0f, 3.0f, 0, 255, &s, &zp);
	ok(s == (float)(4.0 / 255.0) && zp == 64, "dynamic qparams [-1,3] 0..255: scale %.9g zp %d", s, zp);
	/* [0, 2] on 0..127 (reduce_range): scale 2/127, zero point 0. */
	qx_choose_qparams_dynamic(0.5f, 2.0f, 0, 127, &s, &zp);
	ok(s == (float)(2.0 / 127.0) && zp == 0, "dynamic qparams [0.5,2] 0..127: min widened to 0");
	/* All zeros: scale 0 becomes 0.1 (PyTorch's fallback), zero point from min = 0. */
	qx_choose_qparams_dynamic(0.0f, 0.0f, 0, 255, &s, &zp);
	ok(s == 0.1f && zp == 0, "dynamic qparams all zeros: scale 0.1, zp 0 (got %g, %d)", s, zp);
	/* A tiny range is cut off at 6.1e-5 and the range amplified. */
	qx_choose_qparams_dynamic(-1e-4f, 1e-4f, 0, 255, &s, &zp);
	ok(s == 6.1e-5f && zp >= 127 && zp <= 128, "dynamic qparams tiny range: scale 6.1e-5 (got %g, zp %d)",
	   s, zp);
}

/* Issue 13: executors own their shapes. An fp32 and an int8 executor at batch 1 and others at
 * BATCH, built from one graph and run interleaved, each give per image what the other gives,
 * and the graph keeps the shapes it was loaded with. (When executors re-inferred the graph in
 * place, the one built last set every executor's shapes.) */
static void check_interleaved_batches(struct qx_graph *g, const struct qx_quant_plan *plan,
                                      const float *images, int64_t n_classes)
{
	const struct qx_kernels *scalar = qx_kernels_get(QX_KSET_SCALAR);
	struct qx_error err = { 0 };
	int out = g->outputs[0];
	int64_t loaded[QX_MAX_DIMS];
	memcpy(loaded, g->tensors[out].dims, sizeof loaded);
	struct qx_exec_f32 *fb = NULL, *f1 = NULL;
	struct qx_exec_q8 *qb = NULL, *q1 = NULL;
	int rc = qx_exec_f32_create(g, BATCH, scalar, &fb, &err);
	if (!rc)
		rc = qx_exec_q8_create(g, plan, BATCH, scalar, &qb, &err);
	if (!rc)
		rc = qx_exec_f32_create(g, 1, scalar, &f1, &err);
	if (!rc)
		rc = qx_exec_q8_create(g, plan, 1, scalar, &q1, &err);
	if (!ok(rc == 0, "executors at batch %d and 1 on one graph%s%s", BATCH, rc ? ": " : "",
	        rc ? err.msg : ""))
		goto done;
	ok(fb != NULL && qx_exec_f32_graph(fb)->tensors[out].dims[0] == BATCH &&
	   qx_exec_f32_graph(f1)->tensors[out].dims[0] == 1 &&
	   qx_exec_q8_graph(qb)->tensors[out].dims[0] == BATCH &&
	   qx_exec_q8_graph(q1)->tensors[out].dims[0] == 1 &&
	   memcmp(g->tensors[out].dims, loaded, sizeof loaded) == 0,
	   "each executor has its own output shape (%d and 1); the graph keeps its own",
	   BATCH);
	int f32_same = 1, q8_same = 1;
	const float *in = images;
	rc = qx_exec_f32_run(fb, &in, &err) || qx_exec_q8_run(qb, &in, &err);
	for (int64_t i = 0; !rc && i < BATCH; i++) {
		/* Batch-1 runs between the batch-BATCH ones, which run again each time. */
		const float *one = images + i * 64;
		rc = qx_exec_f32_run(f1, &one, &err) || qx_exec_q8_run(q1, &one, &err) ||
		     qx_exec_f32_run(fb, &in, &err) || qx_exec_q8_run(qb, &in, &err);
		if (rc)
			break;
		size_t row = sizeof(float) * (size_t)n_classes;
		f32_same &= memcmp(qx_exec_f32_tensor(f1, out), qx_exec_f32_tensor(fb, out) +
		                   i * n_classes, row) == 0;
		q8_same &= memcmp(qx_exec_q8_output(q1, 0), qx_exec_q8_output(qb, 0) + i * n_classes,
		                  row) == 0;
	}
	ok(rc == 0 && f32_same, "fp32, batches 1 and %d interleaved: every image's logits agree "
	   "bit for bit%s%s", BATCH, rc ? ": " : "", rc ? err.msg : "");
	ok(rc == 0 && q8_same, "int8, batches 1 and %d interleaved: every image's logits agree "
	   "bit for bit", BATCH);
done:
	qx_exec_f32_free(fb);
	qx_exec_f32_free(f1);
	qx_exec_q8_free(qb);
	qx_exec_q8_free(q1);
}

int main(void)
{
	tap_plan(0);
	check_dynamic_qparams();

	struct qx_error err = { 0 };
	struct qx_graph g;
	struct qx_dataset ds;
	if (qx_tiny_model_build(&g, &err) || qx_synthetic_dataset(BATCH, 1, 8, 8, 10, 7, &ds, &err)) {
		ok(0, "tiny model and images: %s", err.msg);
		return tap_done();
	}
	const struct qx_kernels *scalar = qx_kernels_get(QX_KSET_SCALAR);
	struct qx_preprocess pp = { .scale = 1.0f / 255.0f, .n_channels = 1, .mean = { 0.5f }, .std = { 0.25f } };
	float *images = malloc(sizeof(float) * BATCH * 64);
	qx_dataset_preprocess(&ds, &pp, 0, BATCH, images);
	const float *in = images;

	struct qx_exec_f32 *f = NULL;
	int rc = qx_exec_f32_create(&g, BATCH, scalar, &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	ok(rc == 0, "fp32 run of the tiny model%s%s", rc ? ": " : "", rc ? err.msg : "");
	int out = g.outputs[0];
	const struct qx_graph *gb = rc ? &g : qx_exec_f32_graph(f); /* shapes at BATCH */
	int64_t n_out = qx_tensor_numel(&gb->tensors[out]);
	float *ref = malloc(sizeof(float) * (size_t)n_out);
	memcpy(ref, qx_exec_f32_tensor(f, out), sizeof(float) * (size_t)n_out);

	/* Static: every op int8. */
	struct qx_quant_plan plan = { 0 };
	test_plan_make(&g, f, &plan, 0);
	struct qx_exec_q8 *q = NULL;
	rc = qx_exec_q8_create(&g, &plan, BATCH, scalar, &q, &err);
	if (!rc)
		rc = qx_exec_q8_run(q, &in, &err);
	ok(rc == 0, "static int8 run%s%s", rc ? ": " : "", rc ? err.msg : "");
	if (!rc) {
		float range, d = max_abs_diff(qx_exec_q8_output(q, 0), ref, n_out, &range);
		ok(d <= 0.08f * range, "static int8 logits within 8%% of the fp32 range (max diff %.4g, range %.4g)",
		   d, range);
		/* Step outputs: the first conv after the input quantize, checked against the naive
		 * formula on the quantized input (NHWC in the executor, NCHW here). */
		int conv_node = -1;
		for (int n = 0; n < g.n_nodes && conv_node < 0; n++)
			if (g.nodes[n].op == QX_OP_CONV)
				conv_node = n;
		const struct qx_node *cn = &g.nodes[conv_node];
		const struct qx_graph *qb = qx_exec_q8_graph(q);
		const struct qx_tensor *xt = &qb->tensors[cn->in[0]], *yt = &qb->tensors[cn->out[0]];
		int64_t bytes;
		const char *node, *what;
		const uint8_t *xq = qx_exec_q8_step_output(q, 0, &bytes, &node, &what);
		const uint8_t *yq = qx_exec_q8_step_output(q, 1, &bytes, &node, &what);
		ok(strcmp(what, "conv") == 0 && node && strcmp(node, cn->name) == 0,
		   "step 1 is the conv '%s' (got %s '%s')", cn->name, what, node ? node : "-");
		int64_t c = xt->dims[1], oc = yt->dims[1], oh = yt->dims[2], ow = yt->dims[3];
		uint8_t *x_nchw = malloc((size_t)qx_tensor_numel(xt));
		for (int64_t i = 0; i < qx_tensor_numel(xt); i++)
			x_nchw[i] = xq[i]; /* c == 1: NHWC and NCHW agree */
		int64_t mismatches = 0;
		for (int64_t b = 0; b < BATCH; b++)
			for (int64_t y = 0; y < oh; y++)
				for (int64_t x = 0; x < ow; x++)
					for (int64_t o = 0; o < oc; o++)
						mismatches += yq[((b * oh + y) * ow + x) * oc + o] !=
						              naive_conv_output(&g, cn, &plan, x_nchw, b, o, y, x);
		ok(c == 1 && mismatches == 0, "int8 conv equals the naive formula (%lld mismatches)",
		   (long long)mismatches);
		free(x_nchw);
	}
	ok(qx_exec_q8_model_bytes(q) > 0 && qx_exec_q8_model_bytes(q) < qx_graph_f32_bytes(&g) / 2,
	   "int8 model size %lld bytes < half of fp32's %lld", (long long)qx_exec_q8_model_bytes(q),
	   (long long)qx_graph_f32_bytes(&g));

	/* Every other available kernel set gives scalar's bytes, step by step (scalar against
	 * itself would be a check that cannot fail). */
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why;
		if (s == QX_KSET_SCALAR)
			continue;
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			tap_skip(1, "kernel set %s: %s", qx_kset_name((enum qx_kset)s), why);
			continue;
		}
		struct qx_bitexact bx;
		rc = qx_bitexact_check(&g, &plan, scalar, qx_kernels_get((enum qx_kset)s), BATCH, &ds,
		                       &pp, BATCH, &bx, &err);
		ok(rc == 0 && bx.identical, "kernel set %s bit-identical to scalar on the tiny model%s%s",
		   qx_kset_name((enum qx_kset)s), rc ? err.msg : "", bx.identical ? "" : bx.where);
	}
	qx_exec_q8_free(q);
	check_interleaved_batches(&g, &plan, images, n_out / BATCH);
	/* reduce_range: the same plan with activations on 0..127, so every conv's input is proved
	 * to lie in 0..127 (AVX2 then runs vpmaddubsw); a step that left a byte over 127 would
	 * let AVX2's pair sums saturate and differ from scalar. */
	for (int t = 0; t < plan.n_tensors; t++) {
		struct qx_tensor_qparams *qp = &plan.tensor[t];
		if (qp->dtype == QX_PLAN_UINT8 && qp->n_channels == 1 && qp->qmax == 255) {
			qp->scales[0] *= 255.0f / 127.0f;
			qp->zero_points[0] = qp->zero_points[0] * 127 / 255;
			qp->qmax = 127;
		}
	}
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why;
		if (s == QX_KSET_SCALAR)
			continue;
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			tap_skip(1, "kernel set %s: %s", qx_kset_name((enum qx_kset)s), why);
			continue;
		}
		struct qx_bitexact bx;
		rc = qx_bitexact_check(&g, &plan, scalar, qx_kernels_get((enum qx_kset)s), BATCH, &ds,
		                       &pp, BATCH, &bx, &err);
		ok(rc == 0 && bx.identical, "reduce_range plan: kernel set %s bit-identical to "
		   "scalar%s%s", qx_kset_name((enum qx_kset)s), rc ? err.msg : "",
		   bx.identical ? "" : bx.where);
	}
	test_plan_free(&plan);

	/* Dynamic: only the Gemms, float in and out. */
	struct qx_quant_plan dyn = { 0 };
	test_plan_make(&g, f, &dyn, 1);
	rc = qx_exec_q8_create(&g, &dyn, BATCH, scalar, &q, &err);
	if (!rc)
		rc = qx_exec_q8_run(q, &in, &err);
	ok(rc == 0, "dynamic int8 run%s%s", rc ? ": " : "", rc ? err.msg : "");
	if (!rc) {
		float range, d = max_abs_diff(qx_exec_q8_output(q, 0), ref, n_out, &range);
		ok(d <= 0.03f * range, "dynamic int8 logits within 3%% of the fp32 range (max diff %.4g)", d);
	}
	/* The float parts of a dynamic plan run on each set's own fp32 kernels, which may round
	 * differently; the check compares the int8 kernels alone and must still say identical. */
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why;
		if (s == QX_KSET_SCALAR)
			continue;
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			tap_skip(1, "kernel set %s: %s", qx_kset_name((enum qx_kset)s), why);
			continue;
		}
		struct qx_bitexact bx;
		rc = qx_bitexact_check(&g, &dyn, scalar, qx_kernels_get((enum qx_kset)s), BATCH, &ds, &pp,
		                       BATCH, &bx, &err);
		ok(rc == 0 && bx.identical, "dynamic plan: kernel set %s bit-identical to scalar%s%s",
		   qx_kset_name((enum qx_kset)s), rc ? err.msg : "", bx.identical ? "" : bx.where);
	}
	/* Split across a pinned 2-thread pool (int8 steps and the float nodes alike), the model
	 * gives the same bytes as on one thread. */
	struct qx_pool *pool = NULL;
	struct qx_error perr = { 0 };
	if (q && qx_pool_create(2, 1, &pool, &perr) == 0) {
		float *one = malloc(sizeof(float) * (size_t)n_out);
		memcpy(one, qx_exec_q8_output(q, 0), sizeof(float) * (size_t)n_out);
		qx_exec_q8_set_pool(q, pool);
		rc = qx_exec_q8_run(q, &in, &err);
		ok(rc == 0 && memcmp(one, qx_exec_q8_output(q, 0), sizeof(float) * (size_t)n_out) == 0,
		   "dynamic plan on a 2-thread pool: the same outputs as on one thread");
		qx_exec_q8_set_pool(q, NULL);
		qx_pool_free(pool);
		free(one);
	} else {
		tap_skip(1, "no 2-thread pool here: %s", perr.msg);
	}
	qx_exec_q8_free(q);
	test_plan_free(&dyn);

	qx_exec_f32_free(f);
	free(ref);
	free(images);
	qx_dataset_free(&ds);
	qx_graph_free(&g);
	return tap_done();
}
