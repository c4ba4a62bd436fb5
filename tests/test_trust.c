/* The MISTRUSTED check (harness/verify/): the reference simulation agrees with correct int8
 * models, and catches broken ones the bit-exactness check between kernel sets cannot see,
 * because every set shares the fault: a kernel that leaves part of its output unwritten, one
 * that is a step off, and MatMul over inputs with more than two dimensions (whose row count
 * once came from dims[0] alone). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/dataset.h"
#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "plugin/tiny_model.h"
#include "support/tap.h"
#include "util/batch_pass.h"
#include "support/test_plan.h"
#include "verify/refsim.h"
#include "verify/trust.h"

#define BATCH 16
#define IMAGES 48 /* three batches */

static const struct qx_preprocess pp = { .scale = 1.0f / 255.0f, .n_channels = 1,
                                         .mean = { 0.5f }, .std = { 0.25f } };

/* ---- a MatMul over a 3-D or 4-D input -------------------------------------------------------
 *   input [N,1,8,8] -> (3-D: Reshape [N,8,8]) -> MatMul W[8,6] -> Flatten -> Gemm [10] -> logits */

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static int tensor(struct qx_graph *g, const char *name, int ndim, const int64_t *dims,
                  int is_const, uint32_t *seed, float amplitude)
{
	struct qx_tensor *t = &g->tensors[g->n_tensors];
	memset(t, 0, sizeof *t);
	t->name = strdup(name);
	t->ndim = ndim;
	memcpy(t->dims, dims, sizeof *dims * (size_t)ndim);
	memcpy(t->decl_dims, dims, sizeof *dims * (size_t)ndim);
	t->is_const = is_const;
	t->producer = -1;
	if (is_const) {
		int64_t n = qx_tensor_numel(t);
		t->data = malloc(sizeof(float) * (size_t)n);
		for (int64_t i = 0; i < n; i++)
			t->data[i] = amplitude * ((float)(next_rand(seed) % 2001) / 1000.0f - 1.0f);
	}
	return g->n_tensors++;
}

static int node(struct qx_graph *g, const char *name, enum qx_op op, int n_in, const int *in,
                int out)
{
	struct qx_node *n = &g->nodes[g->n_nodes];
	memset(n, 0, sizeof *n);
	n->name = strdup(name);
	n->op = op;
	n->n_in = n_in;
	n->in = malloc(sizeof(int) * (size_t)n_in);
	memcpy(n->in, in, sizeof(int) * (size_t)n_in);
	n->n_out = 1;
	n->out[0] = out;
	n->out[1] = -1;
	n->act_min = -INFINITY;
	n->act_max = INFINITY;
	g->tensors[out].producer = g->n_nodes;
	return g->n_nodes++;
}

static int matmul_model(struct qx_graph *g, int rank, struct qx_error *err)
{
	memset(g, 0, sizeof *g);
	g->tensors = calloc(12, sizeof *g->tensors);
	g->nodes = calloc(6, sizeof *g->nodes);
	g->inputs = malloc(sizeof(int));
	g->outputs = malloc(sizeof(int));
	g->path = strdup(rank == 3 ? "<3-D MatMul model>" : "<4-D MatMul model>");
	uint32_t seed = 99;
	int x = tensor(g, "input", 4, (int64_t[]){ 1, 1, 8, 8 }, 0, &seed, 0), m_in = x;
	if (rank == 3) {
		int shape = tensor(g, "shape", 1, (int64_t[]){ 3 }, 1, &seed, 0);
		free(g->tensors[shape].data);
		g->tensors[shape].data = NULL;
		g->tensors[shape].dtype = QX_DT_I64;
		g->tensors[shape].i64 = malloc(3 * sizeof(int64_t));
		memcpy(g->tensors[shape].i64, (int64_t[]){ 0, 8, 8 }, 3 * sizeof(int64_t));
		m_in = tensor(g, "rows", 3, (int64_t[]){ 1, 8, 8 }, 0, &seed, 0);
		node(g, "reshape", QX_OP_RESHAPE, 2, (int[]){ x, shape }, m_in);
	}
	int w = tensor(g, "mm.weight", 2, (int64_t[]){ 8, 6 }, 1, &seed, 0.5f);
	int m = tensor(g, "mm.out", rank, rank == 3 ? (int64_t[]){ 1, 8, 6 } : (int64_t[]){ 1, 1, 8, 6 },
	               0, &seed, 0);
	int f = tensor(g, "flat", 2, (int64_t[]){ 1, 48 }, 0, &seed, 0);
	int fw = tensor(g, "fc.weight", 2, (int64_t[]){ 10, 48 }, 1, &seed, 0.3f);
	int fb = tensor(g, "fc.bias", 1, (int64_t[]){ 10 }, 1, &seed, 0.1f);
	int y = tensor(g, "logits", 2, (int64_t[]){ 1, 10 }, 0, &seed, 0);
	node(g, "mm", QX_OP_MATMUL, 2, (int[]){ m_in, w }, m);
	int fl = node(g, "flatten", QX_OP_FLATTEN, 1, (int[]){ m }, f);
	g->nodes[fl].attr.axis = 1;
	int fc = node(g, "fc", QX_OP_GEMM, 3, (int[]){ f, fw, fb }, y);
	g->nodes[fc].attr.gemm = (struct qx_gemm_attr){ .alpha = 1.0f, .beta = 1.0f, .trans_b = 1 };
	g->n_inputs = 1;
	g->inputs[0] = x;
	g->n_outputs = 1;
	g->outputs[0] = y;
	g->opset = 13;
	return qx_graph_infer_shapes(g, 1, err);
}

/* ---- checks -------------------------------------------------------------------------------- */

/* fp32 over the first batch, then a plan from its ranges. */
static int plan_for(struct qx_graph *g, const struct qx_dataset *ds, int dynamic,
                    struct qx_quant_plan *plan, struct qx_error *err)
{
	float *images = malloc(sizeof(float) * BATCH * 64);
	qx_dataset_preprocess(ds, &pp, 0, BATCH, images);
	const float *in = images;
	struct qx_exec_f32 *f = NULL;
	int rc = qx_exec_f32_create(g, BATCH, qx_kernels_get(QX_KSET_SCALAR), &f, err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, err);
	memset(plan, 0, sizeof *plan);
	if (!rc && test_plan_make(g, f, plan, dynamic))
		rc = qx_fail_nomem(err, "making the plan");
	qx_exec_f32_free(f);
	free(images);
	return rc;
}

/* Every figure of two checks equal (the thread count must not change one bit). */
static int same_trust(const struct qx_trust *a, const struct qx_trust *b)
{
	return a->trusted == b->trusted && !strcmp(a->why, b->why) && a->images == b->images &&
	       a->unwritten == b->unwritten && a->nonfinite == b->nonfinite &&
	       a->tensors == b->tensors && a->values == b->values && a->ties == b->ties &&
	       a->unexplained == b->unexplained && !strcmp(a->worst, b->worst) &&
	       a->worst_share == b->worst_share && a->worst_steps == b->worst_steps &&
	       a->step == b->step && a->step_from_plan == b->step_from_plan &&
	       a->diff_mean == b->diff_mean && a->diff_median == b->diff_median &&
	       a->diff_p99 == b->diff_p99 && a->diff_max == b->diff_max && a->agree == b->agree;
}

static void check_verdicts(struct qx_graph *g, const struct qx_dataset *ds, int dynamic,
                           const char *what)
{
	struct qx_error err = { 0 };
	struct qx_quant_plan plan;
	if (plan_for(g, ds, dynamic, &plan, &err)) {
		ok(0, "%s: plan: %s", what, err.msg);
		return;
	}
	const struct qx_kernels *best = qx_kernels_best();
	struct qx_trust t;
	int rc = qx_trust_check(g, &plan, best, BATCH, ds, &pp, IMAGES, 1, &t, &err);
	ok(rc == 0 && t.trusted && t.images == IMAGES,
	   "%s on %s: trusted (%lld images, max diff %.2f steps, agreement %.1f%%)%s%s", what,
	   best->name, (long long)t.images, t.diff_max, t.agree, rc ? err.msg : "",
	   t.trusted ? "" : t.why);
	ok(rc == 0 && t.diff_max <= 2.0, "%s: int8 within 2 output steps of the simulation "
	   "(max %.3g, mean %.3g)", what, t.diff_max, t.diff_mean);
	ok(rc == 0 && t.tensors > 0 && t.values > 0 && t.unexplained == 0,
	   "%s: every int8 node matches the simulation of its own step (%d tensors, %lld values, "
	   "%lld ties, %lld unexplained)", what, t.tensors, (long long)t.values, (long long)t.ties,
	   (long long)t.unexplained);
	/* The batches on 2 and 3 threads (3 batches: the last thread takes one): every figure the
	 * same as on one. */
	for (int threads = 2; threads <= 3; threads++) {
		struct qx_trust tt;
		rc = qx_trust_check(g, &plan, best, BATCH, ds, &pp, IMAGES, threads, &tt, &err);
		ok(rc == 0 && same_trust(&t, &tt), "%s: %d threads give every figure of one "
		   "(unexplained %lld vs %lld, mean diff %.17g vs %.17g)%s", what, threads,
		   (long long)tt.unexplained, (long long)t.unexplained, tt.diff_mean, t.diff_mean,
		   rc ? err.msg : "");
	}

	/* Each fault on one thread and on two: a fault in the batches of thread 1 is not lost. */
	for (int threads = 1; threads <= 2; threads++) {
		setenv(QX_TEST_INT8_FAULT_ENV, "unwritten", 1);
		rc = qx_trust_check(g, &plan, best, BATCH, ds, &pp, IMAGES, threads, &t, &err);
		ok(rc == 0 && !t.trusted && t.unwritten, "%s, %d thread(s): a kernel leaving outputs "
		   "unwritten is MISTRUSTED (%s)", what, threads, rc ? err.msg : t.why);
		if (!dynamic) {
			/* Dynamic nodes are not convolutions of the int8 model: nothing to shift there. */
			setenv(QX_TEST_INT8_FAULT_ENV, "off-by-one", 1);
			rc = qx_trust_check(g, &plan, best, BATCH, ds, &pp, IMAGES, threads, &t, &err);
			ok(rc == 0 && !t.trusted && !t.unwritten && t.worst_share > 0.5,
			   "%s, %d thread(s): a requantization one step off is MISTRUSTED (%s)", what,
			   threads, rc ? err.msg : t.why);
		}
		unsetenv(QX_TEST_INT8_FAULT_ENV);
	}
	unsetenv(QX_TEST_INT8_FAULT_ENV);
	test_plan_free(&plan);
}

/* The simulation's own arithmetic, on values worked by hand. */
static void check_fake_quantize(void)
{
	float x[] = { -1.0f, 0.0f, 0.24f, 0.25f, 0.26f, 0.75f, 100.0f, NAN };
	qx_fake_quantize(x, 8, 0.5f, 2, 0, 5); /* codes 0..5, zero point 2: values -1 .. 1.5 */
	const float want[] = { -1.0f, 0.0f, 0.0f, 0.0f /* 0.5: ties to even */, 0.5f, 1.0f, 1.5f, -1.0f };
	ok(memcmp(x, want, sizeof want) == 0, "fake quantization: round half to even, clamp, NaN to "
	   "qmin (%g %g %g %g %g %g %g %g)", x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
}

int main(void)
{
	tap_plan(0);
	/* Each thread takes its share of the batches, so the thread-count checks below see a
	 * merge across threads (util/batch_pass.h). */
	setenv(QX_TEST_BATCH_PASS_STATIC_ENV, "1", 1);
	check_fake_quantize();
	struct qx_error err = { 0 };
	struct qx_dataset ds;
	if (qx_synthetic_dataset(IMAGES, 1, 8, 8, 10, 11, &ds, &err)) {
		ok(0, "synthetic images: %s", err.msg);
		return tap_done();
	}
	struct qx_graph g;
	if (qx_tiny_model_build(&g, &err) == 0) {
		check_verdicts(&g, &ds, 0, "tiny model, static");
		check_verdicts(&g, &ds, 1, "tiny model, dynamic");
		qx_graph_free(&g);
	} else {
		ok(0, "tiny model: %s", err.msg);
	}
	for (int rank = 3; rank <= 4; rank++) {
		char what[64];
		if (matmul_model(&g, rank, &err)) {
			ok(0, "%d-D MatMul model: %s", rank, err.msg);
			continue;
		}
		snprintf(what, sizeof what, "MatMul on a %d-D input, static", rank);
		check_verdicts(&g, &ds, 0, what);
		snprintf(what, sizeof what, "MatMul on a %d-D input, dynamic", rank);
		check_verdicts(&g, &ds, 1, what);
		qx_graph_free(&g);
	}

	/* A misspelt fault is refused, not ignored. */
	setenv(QX_TEST_INT8_FAULT_ENV, "sometimes", 1);
	struct qx_quant_plan plan;
	if (qx_tiny_model_build(&g, &err) == 0 && plan_for(&g, &ds, 0, &plan, &err) == 0) {
		struct qx_exec_q8 *q = NULL;
		int rc = qx_exec_q8_create(&g, &plan, BATCH, qx_kernels_get(QX_KSET_SCALAR), &q, &err);
		ok(rc != 0 && strstr(err.msg, "QX_TEST_INT8_FAULT"), "an unknown test fault is an error "
		   "(%s)", err.msg);
		qx_exec_q8_free(q);
		test_plan_free(&plan);
		qx_graph_free(&g);
	}
	unsetenv(QX_TEST_INT8_FAULT_ENV);
	qx_dataset_free(&ds);
	return tap_done();
}
