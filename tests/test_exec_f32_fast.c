/* The fp32 executor's two settings for a caller that reads only the model's output
 * (exec/exec_f32.h), on zoo models that have what they change, with the best kernel set:
 * - qx_exec_f32_set_outputs_only: every Clip that is a Conv's only reader runs as that Conv's
 *   clamp (mobilenet_v2: ReLU6 after 34 convolutions); the output must be bit-identical to the
 *   plain executor's, at batch 1 and 3;
 * - qx_exec_f32_set_fast_sigmoid: Sigmoid through the kernel set's polynomial exp
 *   (efficientnet_b0: SiLU and squeeze-excitation); the logits must stay within 1e-4 of the
 *   libm run's (relative to the largest logit), and the fused run must actually differ from
 *   nothing but rounding: same argmax on every image.
 * - both (as measure/runner.c sets them): each Sigmoid whose only reader multiplies it by the
 *   Sigmoid's own input runs as one SiLU pass, with the same bits as the fast sigmoid unfused.
 * - a constant transB Gemm weight, transposed once when the executor is made (mobilenet_v3_small's
 *   classifier), gives the bits of the kernel table's matmul on the original layout.
 * - outputs only, mobilenet_v3_small: each HardSigmoid whose only reader multiplies it by the
 *   HardSigmoid's own input (hardswish) runs with that Mul in slices; the output must be
 *   bit-identical to the plain executor's at batch 1 and 3 (batch 3's tensors are not whole
 *   slices, so the last slice is short).
 * - outputs only, shufflenet_v2_x0_5: every Reshape (its channel shuffles) reads its input's
 *   buffer in place instead of copying it, and each channel shuffle (Concat, Reshape,
 *   Transpose, Reshape) is one copy per plane from the Concat's inputs, into the two Slices
 *   that read it where they do; the output must be bit-identical to the plain executor's at
 *   batch 1 and 3.
 * A wrongly fused clamp, a Clip run twice or skipped, a reshape aliased to the wrong buffer, or a sigmoid off by more than a few ulp
 * shows here. Inputs: random images in [0, 1) (fixed seed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_f32.h"
#include "kernels.h"
#include "model/graph.h"
#include "support/rng.h"
#include "support/tap.h"

#define SILUS 31 /* efficientnet_b0's SiLUs */
#define HSWISHES 19 /* mobilenet_v3_small's hardswishes */
#define SHUFFLES 16 /* shufflenet_v2_x0_5's channel shuffles */

enum mode { PLAIN, OUTPUTS_ONLY, FAST_SIGMOID, FAST_FUSED };

static int fused_clips = -1; /* what the last OUTPUTS_ONLY run's executor fused */

/* Runs model g at batch on x with mode; returns the malloc'ed logits ([batch][10]) or NULL. */
static float *run(const struct qx_graph *g, int64_t batch, enum mode mode, const float *x)
{
	struct qx_error err = { 0 };
	struct qx_exec_f32 *e;
	if (qx_exec_f32_create(g, batch, qx_kernels_best(), &e, &err)) {
		diag("create: %s", err.msg);
		return NULL;
	}
	if (mode == OUTPUTS_ONLY)
		fused_clips = qx_exec_f32_set_outputs_only(e);
	if (mode == FAST_SIGMOID || mode == FAST_FUSED)
		qx_exec_f32_set_fast_sigmoid(e, 1);
	if (mode == FAST_FUSED) /* after the fast sigmoid: SiLU (Sigmoid + Mul) fuses then */
		fused_clips = qx_exec_f32_set_outputs_only(e);
	float *y = malloc((size_t)batch * 10 * sizeof *y);
	/* twice: the second run must not depend on what the first left in the buffers */
	for (int r = 0; r < 2 && y; r++)
		if (qx_exec_f32_run(e, &x, &err)) {
			diag("run: %s", err.msg);
			free(y);
			y = NULL;
		}
	if (y)
		memcpy(y, qx_exec_f32_tensor(e, qx_exec_f32_graph(e)->outputs[0]),
		       (size_t)batch * 10 * sizeof *y);
	qx_exec_f32_free(e);
	return y;
}

static int load(const char *name, struct qx_graph *g)
{
	char path[1024];
	struct qx_error err = { 0 };
	snprintf(path, sizeof path, "%s/models/zoo/%s.onnx", tap_root(), name);
	if (qx_graph_load_onnx(path, g, &err) || qx_graph_fuse_activations(g, &err)) {
		diag("%s: %s", path, err.msg);
		return -1;
	}
	return 0;
}

static int argmax(const float *v)
{
	int best = 0;
	for (int i = 1; i < 10; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

int main(void)
{
	tap_plan(12);
	uint64_t rng = 20261207;
	float x[3 * 28 * 28];
	for (int i = 0; i < 3 * 28 * 28; i++)
		x[i] = (float)tap_rand(&rng) / 4294967296.0f;

	struct qx_graph g;
	if (load("mobilenet_v2", &g)) {
		tap_skip(2, "mobilenet_v2 not loaded");
	} else {
		for (int64_t batch = 1; batch <= 3; batch += 2) {
			float *a = run(&g, batch, PLAIN, x), *b = run(&g, batch, OUTPUTS_ONLY, x);
			int same = a && b && memcmp(a, b, (size_t)batch * 10 * sizeof *a) == 0;
			/* each of its 35 Clips (ReLU6) is a Conv's only reader */
			ok(same && fused_clips == 35, "mobilenet_v2 batch %lld: %d Clips fused into their "
			   "Conv (35 expected) give the same bits", (long long)batch, fused_clips);
			if (a && b && !same)
				diag("logit 0: %.9g fused, %.9g plain", b[0], a[0]);
			free(a), free(b);
		}
		qx_graph_free(&g);
	}

	if (load("efficientnet_b0", &g)) {
		tap_skip(2, "efficientnet_b0 not loaded");
	} else {
		float *a = run(&g, 3, PLAIN, x), *b = run(&g, 3, FAST_SIGMOID, x);
		double worst = 0.0, big = 0.0;
		int same_class = a && b;
		for (int i = 0; a && b && i < 30; i++) {
			worst = fmax(worst, fabs((double)a[i] - b[i]));
			big = fmax(big, fabs((double)a[i]));
		}
		for (int i = 0; a && b && i < 3; i++)
			same_class &= argmax(a + i * 10) == argmax(b + i * 10);
		ok(a && b && worst <= 1e-4 * big, "efficientnet_b0: fast sigmoid's logits within 1e-4 of "
		   "libm's (max |diff| %.3g, largest logit %.3g)", worst, big);
		ok(same_class, "efficientnet_b0: fast sigmoid gives the same class on all 3 images");
		/* its 41 Sigmoids: 31 are SiLUs (x * sigmoid(x)), 10 squeeze-excitation gates */
		float *c = run(&g, 3, FAST_FUSED, x);
		ok(b && c && memcmp(b, c, 30 * sizeof *b) == 0 && fused_clips == SILUS,
		   "efficientnet_b0: %d SiLUs fused (%d expected) give the fast sigmoid's bits",
		   fused_clips, SILUS);
		free(a), free(b), free(c);
		qx_graph_free(&g);
	}
	if (load("shufflenet_v2_x0_5", &g)) {
		tap_skip(2, "shufflenet_v2_x0_5 not loaded");
	} else {
		for (int64_t batch = 1; batch <= 3; batch += 2) {
			float *a = run(&g, batch, PLAIN, x), *b = run(&g, batch, OUTPUTS_ONLY, x);
			int same = a && b && memcmp(a, b, (size_t)batch * 10 * sizeof *a) == 0;
			if (a && b && !same)
				diag("logit 0: %.9g fused, %.9g plain", b[0], a[0]);
			/* the Reshapes that share their input's buffer, in a fresh executor */
			struct qx_error err = { 0 };
			struct qx_exec_f32 *e = NULL;
			int reshapes = 0, aliased = 0;
			if (!qx_exec_f32_create(&g, batch, qx_kernels_best(), &e, &err)) {
				qx_exec_f32_set_outputs_only(e);
				const struct qx_graph *eg = qx_exec_f32_graph(e);
				for (int i = 0; i < eg->n_nodes; i++) {
					const struct qx_node *n = &eg->nodes[i];
					if (n->op != QX_OP_RESHAPE || eg->tensors[n->in[0]].is_const)
						continue;
					reshapes++;
					aliased += qx_exec_f32_tensor(e, n->out[0]) ==
					           qx_exec_f32_tensor(e, n->in[0]);
				}
			}
			qx_exec_f32_free(e);
			ok(same && reshapes > 0 && aliased == reshapes,
			   "shufflenet_v2_x0_5 batch %lld: %d of %d Reshapes read in place give the same "
			   "bits", (long long)batch, aliased, reshapes);
			/* the same run: its channel shuffles, each copied once from the Concat's inputs
			 * (13 into the two Slices that read it, 3 into the Transpose's output) */
			ok(same && fused_clips == SHUFFLES, "shufflenet_v2_x0_5 batch %lld: %d channel "
			   "shuffles (%d expected) copied from the Concat's inputs give the same bits",
			   (long long)batch, fused_clips, SHUFFLES);
			free(a), free(b);
		}
		qx_graph_free(&g);
	}
	if (load("mobilenet_v3_small", &g)) {
		tap_skip(2, "mobilenet_v3_small not loaded");
	} else {
		for (int64_t batch = 1; batch <= 3; batch += 2) {
			float *a = run(&g, batch, PLAIN, x), *b = run(&g, batch, OUTPUTS_ONLY, x);
			int same = a && b && memcmp(a, b, (size_t)batch * 10 * sizeof *a) == 0;
			/* its hardswishes: HardSigmoid then Mul by the HardSigmoid's input */
			ok(same && fused_clips == HSWISHES, "mobilenet_v3_small batch %lld: %d hardswishes "
			   "(%d expected) run in slices give the same bits", (long long)batch, fused_clips,
			   HSWISHES);
			if (a && b && !same)
				diag("logit 0: %.9g fused, %.9g plain", b[0], a[0]);
			free(a), free(b);
		}
		qx_graph_free(&g);
	}
	/* A constant transB Gemm weight is transposed once at creation: the classifier's output
	 * must be the bits of the kernel table's matmul on the original [n][k] layout. */
	if (load("mobilenet_v3_small", &g)) {
		tap_skip(1, "mobilenet_v3_small not loaded");
	} else {
		struct qx_error err = { 0 };
		struct qx_exec_f32 *e = NULL;
		int checked = 0, same = 1;
		if (!qx_exec_f32_create(&g, 3, qx_kernels_best(), &e, &err) &&
		    !qx_exec_f32_run(e, (const float *const[]){ x }, &err)) {
			const struct qx_graph *eg = qx_exec_f32_graph(e);
			for (int i = 0; i < eg->n_nodes; i++) {
				const struct qx_node *n = &eg->nodes[i];
				if (n->op != QX_OP_GEMM || !n->attr.gemm.trans_b || n->attr.gemm.alpha != 1.0f ||
				    n->n_in < 3 || n->attr.gemm.beta != 1.0f)
					continue;
				const struct qx_tensor *a = &eg->tensors[n->in[0]], *b = &eg->tensors[n->in[1]];
				int64_t m = a->dims[0], k = a->dims[1], cols = b->dims[0];
				float *want = malloc((size_t)(m * cols) * sizeof *want);
				qx_kernels_best()->f32->matmul(m, cols, k, qx_exec_f32_tensor(e, n->in[0]), k, 1,
				                               b->data, 1, k, eg->tensors[n->in[2]].data,
				                               n->act_min, n->act_max, want, 0, m);
				same &= memcmp(want, qx_exec_f32_tensor(e, n->out[0]),
				               (size_t)(m * cols) * sizeof *want) == 0;
				checked++;
				free(want);
			}
		} else {
			diag("mobilenet_v3_small: %s", err.msg);
		}
		ok(checked == 2 && same, "mobilenet_v3_small: %d transB Gemms (2 expected) on weights "
		   "transposed once give matmul's bits on the original layout", checked);
		qx_exec_f32_free(e);
		qx_graph_free(&g);
	}
	return tap_done();
}
