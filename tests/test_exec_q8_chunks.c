/* The int8 executor's image chunks (exec/exec_q8.c, "image chunks"): runs of convolutions and
 * pools that go a few images at a time give, step by step, the bytes of the same executor run
 * step by step over the whole batch.
 * - the default model (models/fashion_cnn.onnx) at batch 9 under a static plan: its chosen
 *   chunks (at least one run chunked, with a short last chunk) and forced chunks of 1, 2, 4
 *   and 8 images, on every available kernel set, against chunks off; off means no run;
 * - mobilenet_v2 (depthwise, strided, 1x1 convs between Adds) at batch 5, chunks of 2, on the
 *   fastest set;
 * - on a pool of one thread (how the latency runner measures one thread) the chunks still run;
 *   on a pool of two each step splits its pixels instead: no chunk, the same bytes;
 * - a chunk that stops one image short, or one that skips its last step, would leave bytes of
 *   the reference unmatched: the executors are poisoned with different bytes first.
 * Inputs: pseudo-random images (fixed seed). */
#include <stdlib.h>
#include <string.h>

#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "exec/pool.h"
#include "kernels.h"
#include "support/rng.h"
#include "support/tap.h"
#include "support/test_plan.h"

static float *random_images(int64_t count, uint64_t seed)
{
	float *x = malloc(sizeof(float) * (size_t)count);
	for (int64_t i = 0; x && i < count; i++)
		x[i] = (float)tap_rand_in(&seed, 0, 255) / 255.0f * 2.8f - 0.8f;
	return x;
}

/* The first step where a and b differ, or -1. */
static int first_difference(const struct qx_exec_q8 *a, const struct qx_exec_q8 *b)
{
	int n = qx_exec_q8_n_steps(a);
	if (n != qx_exec_q8_n_steps(b))
		return 0;
	for (int s = 0; s < n; s++) {
		int64_t ba, bb;
		const char *node, *what;
		const void *pa = qx_exec_q8_step_output(a, s, &ba, &node, &what);
		const void *pb = qx_exec_q8_step_output(b, s, &bb, &node, &what);
		if (ba != bb || memcmp(pa, pb, (size_t)ba) != 0)
			return s;
	}
	return -1;
}

/* Runs ref (chunks off) and, per chunk size in forced[] (-1: the executor's choice), another
 * executor on x; each must match ref at every step. */
static void check_chunks(const char *what, const struct qx_graph *g,
                         const struct qx_quant_plan *plan, int64_t batch,
                         const struct qx_kernels *k, const float *x, const int *forced,
                         int n_forced)
{
	struct qx_error err = { 0 };
	struct qx_exec_q8 *ref = NULL;
	int rc = qx_exec_q8_create(g, plan, batch, k, &ref, &err);
	if (!rc) {
		qx_exec_q8_set_chunking(ref, 0);
		qx_exec_q8_poison(ref, 0x11);
		rc = qx_exec_q8_run(ref, &x, &err);
	}
	if (!ok(rc == 0 && qx_exec_q8_chunk_runs(ref) == 0, "%s, %s, chunks off: runs, no run "
	        "chunked%s%s", what, k->name, rc ? ": " : "", rc ? err.msg : "")) {
		tap_skip(n_forced, "no reference run");
		qx_exec_q8_free(ref);
		return;
	}
	for (int i = 0; i < n_forced; i++) {
		struct qx_exec_q8 *e = NULL;
		rc = qx_exec_q8_create(g, plan, batch, k, &e, &err);
		if (!rc) {
			if (forced[i] != -1)
				qx_exec_q8_set_chunking(e, forced[i]);
			qx_exec_q8_poison(e, 0xee);
			rc = qx_exec_q8_run(e, &x, &err);
		}
		int runs = e ? qx_exec_q8_chunk_runs(e) : 0;
		int diff = rc ? -2 : first_difference(ref, e);
		char size[32];
		snprintf(size, sizeof size, forced[i] == -1 ? "its own size" : "%d", forced[i]);
		ok(rc == 0 && runs > 0 && diff == -1, "%s, %s, chunks of %s: %d chunked run(s), every "
		   "step's bytes as unchunked%s%s (first differing step %d)", what, k->name, size, runs,
		   rc ? ": " : "", rc ? err.msg : "", diff);
		qx_exec_q8_free(e);
	}
	qx_exec_q8_free(ref);
}

/* The executor's own chunks on a pool of `threads`: chunked (one thread) or not (more), and
 * every step's bytes as ref's (a run with chunks off). */
static void check_pool(const struct qx_graph *g, const struct qx_quant_plan *plan, int64_t batch,
                       const float *x, int threads)
{
	const struct qx_kernels *k = qx_kernels_best();
	struct qx_error err = { 0 };
	struct qx_exec_q8 *ref = NULL, *e = NULL;
	struct qx_pool *pool = NULL;
	if (qx_pool_create(threads, 0, &pool, &err)) {
		tap_skip(1, "a pool of %d threads: %s", threads, err.msg);
		return;
	}
	int rc = qx_exec_q8_create(g, plan, batch, k, &ref, &err);
	if (!rc)
		rc = qx_exec_q8_create(g, plan, batch, k, &e, &err);
	if (!rc) {
		qx_exec_q8_set_chunking(ref, 0);
		qx_exec_q8_poison(ref, 0x11);
		qx_exec_q8_poison(e, 0xee);
		qx_exec_q8_set_pool(e, pool);
		rc = qx_exec_q8_run(ref, &x, &err) || qx_exec_q8_run(e, &x, &err);
	}
	int runs = rc ? -1 : qx_exec_q8_chunk_runs(e), diff = rc ? -2 : first_difference(ref, e);
	ok(rc == 0 && (threads == 1 ? runs > 0 : runs == 0) && diff == -1, "default model b%lld, "
	   "%s, a pool of %d thread(s): %d chunked run(s) (expected %s), every step's bytes as "
	   "unchunked%s%s (first differing step %d)", (long long)batch, k->name, threads, runs,
	   threads == 1 ? "some" : "none", rc ? ": " : "", rc ? err.msg : "", diff);
	qx_exec_q8_free(e);
	qx_exec_q8_free(ref);
	if (pool)
		qx_pool_free(pool);
}

/* Loads models/NAME.onnx and a static plan from one fp32 run of x. */
static int load(const char *name, int64_t batch, const float *x, struct qx_graph *g,
                struct qx_quant_plan *plan)
{
	char path[1024];
	struct qx_error err = { 0 };
	snprintf(path, sizeof path, "%s/models/%s.onnx", tap_root(), name);
	struct qx_exec_f32 *f = NULL;
	int rc = qx_graph_load_onnx(path, g, &err);
	if (!rc)
		rc = qx_graph_fuse_activations(g, &err);
	if (!rc)
		rc = qx_exec_f32_create(g, batch, qx_kernels_get(QX_KSET_SCALAR), &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &x, &err);
	if (!rc)
		rc = test_plan_make(g, f, plan, 0);
	if (rc)
		diag("%s: %s", path, err.msg);
	if (f)
		qx_exec_f32_free(f);
	return rc;
}

int main(void)
{
	tap_plan(2 * QX_KSET_COUNT * 6 + 2 + 2);
	/* batch 9: the default model's largest step pair reads and writes 50 KB per image, so
	 * the executor's own chunks are 5 images, then 4 */
	const int64_t batch = 9;
	float *x = random_images(batch * 28 * 28, 14);
	struct qx_graph g;
	struct qx_quant_plan plan = { 0 };
	const int forced[] = { -1, 1, 2, 4, 8 };
	if (load("fashion_cnn", batch, x, &g, &plan)) {
		tap_skip(2 * QX_KSET_COUNT * 6 + 2, "default model not loaded");
	} else {
		for (int s = 0; s < QX_KSET_COUNT; s++) {
			const char *why;
			if (!qx_kernels_available((enum qx_kset)s, &why)) {
				tap_skip(2 * 6, "kernel set %s: %s", qx_kset_name((enum qx_kset)s), why);
				continue;
			}
			const struct qx_kernels *k = qx_kernels_get((enum qx_kset)s);
			check_chunks("default model b9", &g, &plan, batch, k, x, forced, 5);
			/* batch 64, the measured one: its own chunks only (scalar is slow) */
			float *x64 = random_images(64 * 28 * 28, 15);
			if (s == QX_KSET_SCALAR)
				tap_skip(6, "scalar at batch 64: covered at batch 9");
			else
				check_chunks("default model b64", &g, &plan, 64, k, x64, forced, 5);
			free(x64);
		}
		check_pool(&g, &plan, batch, x, 1);
		check_pool(&g, &plan, batch, x, 2);
		test_plan_free(&plan);
		qx_graph_free(&g);
	}
	free(x);
	const int64_t mb = 5;
	x = random_images(mb * 28 * 28, 16);
	struct qx_quant_plan mplan = { 0 };
	const int two[] = { 2 };
	if (load("zoo/mobilenet_v2", mb, x, &g, &mplan)) {
		tap_skip(2, "mobilenet_v2 not loaded");
	} else {
		check_chunks("mobilenet_v2 b5", &g, &mplan, mb, qx_kernels_best(), x, two, 1);
		test_plan_free(&mplan);
		qx_graph_free(&g);
	}
	free(x);
	return tap_done();
}
