/* measure/runner.c on a thread pool: a batch split by images across the threads (one executor
 * per thread) gives the bits of one executor run over the whole batch, and the runner keeps to
 * the rows split where cutting the batch would change them.
 * - the tiny model (plugin/tiny_model.h) in fp32 and under a static int8 plan, at batch 8 (even
 *   shares) and 7 (shares of 4 and 3, or 3, 2 and 2): 1, 2 and 3 pinned threads ("none", then
 *   "images") give one run's bits; 3 threads are skipped on a machine with fewer cores;
 * - under a plan whose Gemms are dynamic the runner on 2 threads splits rows and gives one run's
 *   bits, and running the two halves of the batch apart gives other bits (so a split would be
 *   wrong, and this test would see it);
 * - mobilenet_v2 (fp32, batch 16: shares of 8 run as slices of 4) gives one run's bits on 2
 *   threads; with a Clip turned into a Softmax over the batch axis (every shape unchanged, the
 *   images now mixed) it stays on rows, gives one run's bits, and its halves run apart differ.
 * Inputs: pseudo-random images (fixed seeds). */
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "exec/pool.h"
#include "kernels.h"
#include "measure/runner.h"
#include "plugin/tiny_model.h"
#include "support/rng.h"
#include "support/tap.h"
#include "support/test_plan.h"

#define MAX_THREADS 3

static struct qx_pool *pools[MAX_THREADS + 1];

/* One executor run over all n images (fp32 with the runner's own settings), into out. */
static int whole_run(const struct qx_graph *g, const struct qx_quant_plan *plan, int64_t n,
                     const float *x, int n_classes, float *out, struct qx_error *err)
{
	const struct qx_kernels *k = qx_kernels_best();
	int rc;
	if (plan) {
		struct qx_exec_q8 *e = NULL;
		rc = qx_exec_q8_create(g, plan, n, k, &e, err);
		if (!rc)
			rc = qx_exec_q8_run(e, &x, err);
		if (!rc)
			memcpy(out, qx_exec_q8_output(e, 0), sizeof(float) * (size_t)(n * n_classes));
		qx_exec_q8_free(e);
		return rc;
	}
	struct qx_exec_f32 *e = NULL;
	rc = qx_exec_f32_create(g, n, k, &e, err);
	if (!rc) {
		qx_exec_f32_set_fast_sigmoid(e, 1);
		qx_exec_f32_set_outputs_only(e);
		rc = qx_exec_f32_run(e, &x, err);
	}
	if (!rc)
		memcpy(out, qx_exec_f32_tensor(e, qx_exec_f32_graph(e)->outputs[0]),
		       sizeof(float) * (size_t)(n * n_classes));
	if (e)
		qx_exec_f32_free(e);
	return rc;
}

/* The runner on `threads` pinned threads over the batch x of n images: its outputs into out and
 * how it split the batch into *parallel. */
static int runner_run(const struct qx_graph *g, const struct qx_quant_plan *plan,
                      const struct qx_dataset *ds, int64_t n, int threads, const float *x,
                      float *out, enum qx_runner_parallel *parallel, struct qx_error *err)
{
	struct qx_runner r;
	int rc = qx_runner_init_threaded(&r, g, plan, n, qx_kernels_best(), ds, pools[threads], err);
	if (rc)
		return rc;
	struct qx_model_runner m = qx_runner_model(&r);
	rc = m.run(m.ctx, x, n, out, err);
	*parallel = r.parallel;
	qx_runner_free(&r);
	return rc;
}

static float *random_images(int64_t floats, uint64_t seed)
{
	float *x = malloc(sizeof *x * (size_t)floats);
	for (int64_t i = 0; x && i < floats; i++)
		x[i] = (float)tap_rand(&seed) / 4294967296.0f - 0.5f;
	return x;
}

/* Images split on 1..3 threads against one run, for g (fp32 when plan is NULL). */
static void same_bits_on_threads(const char *what, const struct qx_graph *g,
                                 const struct qx_quant_plan *plan, const struct qx_dataset *ds,
                                 int64_t n)
{
	int64_t image = (int64_t)ds->c * ds->h * ds->w;
	float *x = random_images(n * image, 11 + (uint64_t)n);
	float *want = malloc(sizeof(float) * (size_t)(n * ds->n_classes));
	float *got = malloc(sizeof(float) * (size_t)(n * ds->n_classes));
	struct qx_error err = { 0 };
	int rc = whole_run(g, plan, n, x, ds->n_classes, want, &err);
	for (int t = 1; t <= MAX_THREADS; t++) {
		if (!pools[t]) {
			tap_skip(1, "%s batch %lld on %d threads: this machine has fewer cores", what,
			         (long long)n, t);
			continue;
		}
		enum qx_runner_parallel par = QX_RUNNER_ONE_THREAD;
		int r2 = rc ? rc : runner_run(g, plan, ds, n, t, x, got, &par, &err);
		enum qx_runner_parallel expect = t == 1 ? QX_RUNNER_ONE_THREAD : QX_RUNNER_IMAGES;
		ok(!r2 && par == expect &&
		   memcmp(got, want, sizeof(float) * (size_t)(n * ds->n_classes)) == 0,
		   "%s batch %lld on %d thread%s: split \"%s\", one run's bits%s%s", what, (long long)n,
		   t, t == 1 ? "" : "s", qx_runner_parallel_name(par), r2 ? ": " : "",
		   r2 ? err.msg : "");
	}
	free(x), free(want), free(got);
}

/* A model the runner must not split by images: on 2 threads it uses rows and gives one run's
 * bits, and its two halves run apart differ from that run (so a split would be seen). */
static void stays_on_rows(const char *what, const struct qx_graph *g,
                          const struct qx_quant_plan *plan, const struct qx_dataset *ds,
                          int64_t n)
{
	int64_t image = (int64_t)ds->c * ds->h * ds->w;
	float *x = random_images(n * image, 5);
	size_t out_bytes = sizeof(float) * (size_t)(n * ds->n_classes);
	float *want = malloc(out_bytes), *got = malloc(out_bytes), *halves = malloc(out_bytes);
	struct qx_error err = { 0 };
	int rc = whole_run(g, plan, n, x, ds->n_classes, want, &err);
	if (!pools[2]) {
		tap_skip(2, "%s on 2 threads: this machine has one core", what);
	} else {
		enum qx_runner_parallel par = QX_RUNNER_IMAGES;
		int r2 = rc ? rc : runner_run(g, plan, ds, n, 2, x, got, &par, &err);
		ok(!r2 && par == QX_RUNNER_ROWS && memcmp(got, want, out_bytes) == 0,
		   "%s batch %lld on 2 threads: split \"%s\" (expected rows), one run's bits%s%s", what,
		   (long long)n, qx_runner_parallel_name(par), r2 ? ": " : "", r2 ? err.msg : "");
	}
	int64_t half = n / 2;
	if (!rc)
		rc = whole_run(g, plan, half, x, ds->n_classes, halves, &err);
	if (!rc)
		rc = whole_run(g, plan, n - half, x + half * image, ds->n_classes,
		               halves + half * ds->n_classes, &err);
	if (pools[2])
		ok(!rc && memcmp(halves, want, out_bytes) != 0,
		   "%s: its two halves run apart give other bits than one run%s%s", what,
		   rc ? ": " : "", rc ? err.msg : "");
	free(x), free(want), free(got), free(halves);
}

static void tiny_model_tests(void)
{
	struct qx_error err = { 0 };
	struct qx_graph g;
	struct qx_dataset ds;
	if (qx_tiny_model_build(&g, &err) || qx_synthetic_dataset(8, 1, 8, 8, 10, 3, &ds, &err)) {
		ok(0, "tiny model: %s", err.msg);
		return;
	}
	/* Plans from the ranges of one fp32 run over 8 random images. */
	float *x = random_images(8 * 64, 1);
	const float *in = x;
	struct qx_exec_f32 *f = NULL;
	struct qx_quant_plan stat = { 0 }, dyn = { 0 };
	int rc = qx_exec_f32_create(&g, 8, qx_kernels_best(), &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	if (!rc)
		rc = test_plan_make(&g, f, &stat, 0) || test_plan_make(&g, f, &dyn, 1);
	ok(!rc && qx_plan_batch_independent(&stat) && !qx_plan_batch_independent(&dyn) &&
	   qx_plan_batch_independent(NULL),
	   "tiny model: a static plan keeps images apart, one with dynamic Gemms does not, fp32 "
	   "does%s%s", rc ? ": " : "", rc ? err.msg : "");
	if (!rc) {
		for (int64_t n = 7; n <= 8; n++) {
			same_bits_on_threads("tiny fp32", &g, NULL, &ds, n);
			same_bits_on_threads("tiny int8 static", &g, &stat, &ds, n);
		}
		stays_on_rows("tiny int8 dynamic Gemms", &g, &dyn, &ds, 8);
	}
	test_plan_free(&stat);
	test_plan_free(&dyn);
	if (f)
		qx_exec_f32_free(f);
	free(x);
	qx_dataset_free(&ds);
	qx_graph_free(&g);
}

static void mobilenet_tests(void)
{
	char path[1024];
	struct qx_error err = { 0 };
	struct qx_graph g;
	snprintf(path, sizeof path, "%s/models/zoo/mobilenet_v2.onnx", tap_root());
	if (qx_graph_load_onnx(path, &g, &err) || qx_graph_fuse_activations(&g, &err)) {
		diag("%s: %s", path, err.msg);
		tap_skip(5, "mobilenet_v2 not loaded");
		return;
	}
	struct qx_dataset ds = { .count = 16, .c = 1, .h = 28, .w = 28, .n_classes = 10,
		                     .source = "test images" };
	/* batch 16 on 2 threads: two shares of 8, each run as two slices of 4 */
	same_bits_on_threads("mobilenet_v2 fp32", &g, NULL, &ds, 16);
	int clip = -1;
	for (int i = 0; i < g.n_nodes && clip < 0; i++)
		if (g.nodes[i].op == QX_OP_CLIP)
			clip = i;
	if (clip < 0) {
		tap_skip(2, "no Clip in mobilenet_v2");
	} else {
		g.nodes[clip].op = QX_OP_SOFTMAX; /* over the batch: every shape stays the same */
		g.nodes[clip].attr.axis = 0;
		stays_on_rows("mobilenet_v2 with a Softmax over the batch", &g, NULL, &ds, 8);
	}
	qx_graph_free(&g);
}

int main(void)
{
	tap_plan(0);
	for (int t = 1; t <= MAX_THREADS; t++) {
		struct qx_error err = { 0 };
		if (qx_pool_create(t, 1, &pools[t], &err) && t == 1)
			ok(0, "a pinned pool of one thread: %s", err.msg);
	}
	tiny_model_tests();
	mobilenet_tests();
	for (int t = MAX_THREADS; t >= 1; t--)
		qx_pool_free(pools[t]);
	return tap_done();
}
