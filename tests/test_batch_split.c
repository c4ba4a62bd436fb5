/* measure/runner.c's batch split (exec/batch_split.h): the fp32 model runs a batch as slices of
 * QX_RUNNER_SLICE images when every op keeps images apart.
 * - mobilenet_v2 and efficientnet_b0 (convolutions, pools, elementwise ops, Flatten, Gemm) are
 *   split at batch 64 and 8; batch 6 (not a multiple of the slice) and batch 4 (one slice) are
 *   not;
 * - the same graph with a Clip turned into a Softmax over axis 0 (every shape unchanged: only
 *   the op's axis shows the images mix) is refused, over axis 1 it is split; with its Flatten at
 *   axis 0 (images mixed into one row) it is refused;
 * - the runner's logits at batch 8, in two slices, are the bits of one executor run on all 8
 *   images (with the runner's own executor settings).
 * - qx_graph_images_independent_at (a runner's shares of a batch across threads) agrees at
 *   even and uneven shares and refuses a size 0 and the Softmax over axis 0;
 * - densenet121 (Pad on H and W) and shufflenet_v2_x0_5 (Slice over channels) are split; with a
 *   Slice over the batch axis it is not.
 * Inputs: random images in [0, 1) (fixed seed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/batch_split.h"
#include "exec/exec_f32.h"
#include "kernels.h"
#include "measure/runner.h"
#include "model/graph.h"
#include "support/rng.h"
#include "support/tap.h"

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

/* The runner at batch 8 against one executor run on the same 8 images. */
static void same_bits(const char *name, const struct qx_graph *g)
{
	struct qx_dataset ds = { .count = 8, .c = 1, .h = 28, .w = 28, .n_classes = 10,
		                     .source = "test images" };
	struct qx_error err = { 0 };
	uint64_t rng = 7;
	float *x = malloc(8 * 784 * sizeof *x), *got = malloc(80 * sizeof *got);
	for (int i = 0; i < 8 * 784; i++)
		x[i] = (float)tap_rand(&rng) / 4294967296.0f;
	struct qx_runner r;
	struct qx_exec_f32 *e = NULL;
	int rc = qx_runner_init_f32(&r, g, 8, qx_kernels_best(), &ds, &err), inited = !rc;
	if (!rc) {
		struct qx_model_runner m = qx_runner_model(&r);
		rc = m.run(m.ctx, x, 8, got, &err);
	}
	int64_t slice = rc ? 0 : r.slice;
	if (!rc)
		rc = qx_exec_f32_create(g, 8, qx_kernels_best(), &e, &err);
	const float *want = NULL;
	if (!rc) {
		qx_exec_f32_set_fast_sigmoid(e, 1);
		qx_exec_f32_set_outputs_only(e);
		rc = qx_exec_f32_run(e, (const float *const *)&x, &err);
		want = qx_exec_f32_tensor(e, qx_exec_f32_graph(e)->outputs[0]);
	}
	ok(!rc && slice == QX_RUNNER_SLICE && memcmp(got, want, 80 * sizeof *got) == 0,
	   "%s: the runner's batch of 8 in slices of %lld gives one run's bits%s%s", name,
	   (long long)slice, rc ? ": " : "", rc ? err.msg : "");
	if (inited)
		qx_runner_free(&r);
	qx_exec_f32_free(e);
	free(x), free(got);
}

int main(void)
{
	tap_plan(10);
	const char *names[2] = { "mobilenet_v2", "efficientnet_b0" };
	for (int m = 0; m < 2; m++) {
		struct qx_graph g;
		if (load(names[m], &g)) {
			tap_skip(m == 0 ? 6 : 3, "%s not loaded", names[m]);
			continue;
		}
		ok(qx_graph_images_independent(&g, QX_RUNNER_SLICE, 64) &&
		   qx_graph_images_independent(&g, QX_RUNNER_SLICE, 8),
		   "%s keeps images apart (slices of %d at batch 64 and 8)", names[m], QX_RUNNER_SLICE);
		ok(!qx_graph_images_independent(&g, 4, 4) && !qx_graph_images_independent(&g, 1, 8),
		   "%s: no split into slices of the batch itself or of one image", names[m]);
		same_bits(names[m], &g);
		if (m == 0) {
			/* the sizes a runner on threads checks: the batch and its shares */
			int64_t shares[3] = { 64, 32, 32 }, uneven[3] = { 7, 3, 4 }, one[1] = { 64 },
			        zero[2] = { 64, 0 };
			ok(qx_graph_images_independent_at(&g, shares, 3) &&
			   qx_graph_images_independent_at(&g, uneven, 3) &&
			   qx_graph_images_independent_at(&g, one, 1) &&
			   !qx_graph_images_independent_at(&g, zero, 2),
			   "%s keeps images apart at shares 32+32 of 64 and 3+4 of 7 and at 64 alone (2 "
			   "and 3 checked too); a size 0 is refused", names[m]);

			int flat = -1, clip = -1;
			for (int i = 0; i < g.n_nodes; i++) {
				if (g.nodes[i].op == QX_OP_FLATTEN)
					flat = i;
				if (g.nodes[i].op == QX_OP_CLIP && clip < 0)
					clip = i;
			}
			if (flat < 0 || clip < 0) {
				tap_skip(2, "no Flatten or Clip in %s", names[m]);
			} else {
				/* a Softmax over axis 0 keeps every shape: only the op's axis tells */
				g.nodes[clip].op = QX_OP_SOFTMAX;
				g.nodes[clip].attr.axis = 0;
				int64_t shares[2] = { 64, 32 };
				ok(!qx_graph_images_independent(&g, QX_RUNNER_SLICE, 64) &&
				   !qx_graph_images_independent_at(&g, shares, 2),
				   "a Softmax across the batch axis (shapes unchanged) is refused");
				g.nodes[clip].attr.axis = 1;
				int axis1 = qx_graph_images_independent(&g, QX_RUNNER_SLICE, 64);
				g.nodes[flat].attr.axis = 0; /* [N, C, 1, 1] -> [1, N * C]: images mixed */
				ok(axis1 && !qx_graph_images_independent(&g, QX_RUNNER_SLICE, 64),
				   "a Softmax over channels is split; a Flatten at axis 0 is refused");
			}
		}
		qx_graph_free(&g);
	}
	/* Pad on H and W only (densenet121's transitions) and Slice over channels
	 * (shufflenet_v2_x0_5's channel split) keep images apart; a Slice over axis 0 does not */
	struct qx_graph d, sh;
	int dl = load("densenet121", &d), sl = load("shufflenet_v2_x0_5", &sh);
	int split = !dl && !sl && qx_graph_images_independent(&d, QX_RUNNER_SLICE, 64) &&
	            qx_graph_images_independent(&sh, QX_RUNNER_SLICE, 64);
	int slice_axis0 = 0; /* its first Slice's axes turned to the batch axis */
	for (int i = 0; !sl && i < sh.n_nodes && !slice_axis0; i++) {
		const struct qx_node *n = &sh.nodes[i];
		if (n->op == QX_OP_SLICE && n->n_in > 3 && n->in[3] >= 0 && sh.tensors[n->in[3]].i64) {
			sh.tensors[n->in[3]].i64[0] = 0;
			slice_axis0 = !qx_graph_images_independent(&sh, QX_RUNNER_SLICE, 64);
		}
	}
	ok(split && slice_axis0, "densenet121 (spatial Pad) and shufflenet_v2_x0_5 (channel "
	   "Slice) are split; a Slice over the batch axis is refused");
	if (!dl)
		qx_graph_free(&d);
	if (!sl)
		qx_graph_free(&sh);
	return tap_done();
}
