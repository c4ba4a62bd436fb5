/* Sensitivity and fallback (harness/investigate/):
 * - qx_fallback_search on synthetic drops: no evaluation when the plan meets the budget; the
 *   smallest k on monotone drops for every budget, with each k evaluated once and the doubling +
 *   bisection's count of evaluations; a budget met exactly; "not met" with every unit in float;
 *   on random non-monotone drops the chosen k was evaluated and meets the budget; an
 *   evaluator's error stops the search;
 * - units and float plans on the reference model (models/fashion_cnn.onnx) with an all-static
 *   plan: one unit per Conv/Gemm, MaxPool grouped with its producer; every one-unit-float plan
 *   validates, keeps the float node's input/output qparams where an int8 node reads them and
 *   drops its weight's, and runs on the int8 executor; all units in float make the int8
 *   executor's logits equal fp32's bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "investigate/fallback.h"
#include "investigate/float_plan.h"
#include "model/graph.h"
#include "support/rng.h"
#include "support/tap.h"
#include "support/test_plan.h"

struct synth {
	const double *drop;             /* [n + 1] */
	int calls[64];
	int fail_at;                    /* k whose evaluation fails, or -1 */
};

static int synth_drop(void *arg, int k, double *drop, struct qx_error *err)
{
	struct synth *s = arg;
	s->calls[k]++;
	if (k == s->fail_at)
		return qx_fail(err, QX_EIO, "evaluation %d failed", k);
	*drop = s->drop[k];
	return 0;
}

static int max_calls(const struct synth *s, int n)
{
	int m = 0;
	for (int k = 0; k <= n; k++)
		m = s->calls[k] > m ? s->calls[k] : m;
	return m;
}

static void check_search(void)
{
	struct qx_error err = { 0 };
	struct qx_fallback_choice c;
	/* Monotone: one more unit in float never loses accuracy. */
	static const double mono[] = { 2.0, 1.5, 1.0, 0.4, 0.1, 0.05, 0.0 };
	int n = 6;
	struct synth s = { .drop = mono, .fail_at = -1 };
	int rc = qx_fallback_search(n, mono[0], 3.0, synth_drop, &s, &c, &err);
	ok(!rc && c.k == 0 && c.met && c.evaluations == 0 && s.calls[0] + s.calls[1] == 0,
	   "a plan within budget: k 0, met, no evaluation (k %d, %d evaluations)", c.k,
	   c.evaluations);

	memset(&s, 0, sizeof s);
	s.drop = mono;
	s.fail_at = -1;
	rc = qx_fallback_search(n, mono[0], 0.2, synth_drop, &s, &c, &err);
	/* Doubling tries 1, 2, 4 (0.1 <= 0.2), bisection then 3 (0.4 fails): k = 4. */
	ok(!rc && c.k == 4 && c.met && c.evaluations == 4 && s.calls[3] == 1 && s.calls[5] == 0 &&
	   c.drop == 0.1, "budget 0.2: k 4 (drop 0.1) after evaluating 1, 2, 4, 3 (k %d, %d "
	   "evaluations, drop %g)", c.k, c.evaluations, c.drop);

	int all_min = 1, once = 1;
	for (double b = 0.0; b <= 2.0; b += 0.05) {
		memset(&s, 0, sizeof s);
		s.drop = mono;
		s.fail_at = -1;
		if (qx_fallback_search(n, mono[0], b, synth_drop, &s, &c, &err)) {
			all_min = 0;
			break;
		}
		int want = 0;
		while (mono[want] > b + 1e-12)
			want++;
		all_min &= c.k == want && c.met;
		once &= max_calls(&s, n) <= 1 && c.evaluations <= 2 * 3 + 1;
	}
	ok(all_min, "monotone drops: the smallest k that meets every budget from 0 to 2 points");
	ok(once, "each candidate evaluated at most once, at most 2 log2(n) + 1 evaluations");

	/* Exactly on the budget: 0.3 as 0.1 + 0.2 is 0.30000000000000004. */
	static const double edge[] = { 1.0, 0.1 + 0.2, 0.0 };
	memset(&s, 0, sizeof s);
	s.drop = edge;
	s.fail_at = -1;
	rc = qx_fallback_search(2, edge[0], 0.3, synth_drop, &s, &c, &err);
	ok(!rc && c.k == 1 && c.met, "a drop equal to the budget meets it (k %d)", c.k);

	static const double never[] = { 3.0, 2.5, 2.2, 2.1, 2.05 };
	memset(&s, 0, sizeof s);
	s.drop = never;
	s.fail_at = -1;
	rc = qx_fallback_search(4, never[0], 1.0, synth_drop, &s, &c, &err);
	ok(!rc && !c.met && c.k == 4 && c.drop == 2.05 && s.calls[4] == 1 && c.evaluations == 3,
	   "never within budget: not met, every unit in float, drop of that plan (k %d, met %d, "
	   "drop %g, %d evaluations)", c.k, c.met, c.drop, c.evaluations);

	/* Non-monotone drops: whatever bisection returns was evaluated and meets the budget. */
	uint64_t seed = 12345;
	int good = 1;
	for (int trial = 0; trial < 500 && good; trial++) {
		double d[33];
		int m = 1 + (int)(tap_rand(&seed) % 32);
		for (int k = 0; k <= m; k++)
			d[k] = (double)(tap_rand(&seed) % 300) / 100.0;
		double b = (double)(tap_rand(&seed) % 200) / 100.0;
		memset(&s, 0, sizeof s);
		s.drop = d;
		s.fail_at = -1;
		if (qx_fallback_search(m, d[0], b, synth_drop, &s, &c, &err)) {
			good = 0;
			break;
		}
		if (c.met)
			good &= c.drop == d[c.k] && d[c.k] <= b + 1e-9 && (c.k == 0 || s.calls[c.k] == 1);
		else
			good &= c.k == m && s.calls[m] == 1 && d[m] > b;
		good &= max_calls(&s, m) <= 1;
	}
	ok(good, "random non-monotone drops (500): the chosen candidate was evaluated and meets "
	   "the budget, or every unit is in float and it is reported not met");

	memset(&s, 0, sizeof s);
	s.drop = mono;
	s.fail_at = 2;
	rc = qx_fallback_search(n, mono[0], 0.2, synth_drop, &s, &c, &err);
	ok(rc == QX_EIO && strstr(err.msg, "evaluation 2 failed") && s.calls[4] == 0,
	   "an evaluator's error stops the search and is returned (rc %d: %s)", rc, err.msg);
}

static int node_named(const struct qx_graph *g, const char *name)
{
	for (int n = 0; n < g->n_nodes; n++)
		if (!strcmp(g->nodes[n].name, name))
			return n;
	return -1;
}

#define BATCH 4

static void check_float_plans(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/models/fashion_cnn.onnx", tap_root());
	struct qx_error err = { 0 };
	struct qx_graph g;
	if (qx_graph_load_onnx(path, &g, &err) || qx_graph_fuse_activations(&g, &err) ||
	    qx_graph_infer_shapes(&g, BATCH, &err)) {
		ok(0, "%s: %s", path, err.msg);
		return;
	}
	const struct qx_kernels *scalar = qx_kernels_get(QX_KSET_SCALAR);
	float *x = malloc(sizeof(float) * BATCH * 28 * 28);
	uint64_t seed = 7;
	for (int i = 0; i < BATCH * 28 * 28; i++)
		x[i] = (float)(tap_rand(&seed) % 1000) / 400.0f - 0.8f;
	const float *in = x;
	struct qx_exec_f32 *f = NULL;
	struct qx_quant_plan plan;
	memset(&plan, 0, sizeof plan);
	int rc = qx_exec_f32_create(&g, BATCH, scalar, &f, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, &in, &err);
	if (!rc && test_plan_make(&g, f, &plan, 0))
		rc = qx_fail_nomem(&err, "making the plan");
	if (rc) {
		ok(0, "fp32 run and plan: %s", err.msg);
		qx_exec_f32_free(f);
		free(x);
		qx_graph_free(&g);
		return;
	}
	int out = g.outputs[0];
	int64_t n_out = qx_tensor_numel(&g.tensors[out]);
	float *y32 = malloc(sizeof(float) * (size_t)n_out), *y8 = malloc(sizeof(float) * (size_t)n_out);
	memcpy(y32, qx_exec_f32_tensor(f, out), sizeof(float) * (size_t)n_out);

	struct qx_float_units u;
	rc = qx_float_units_build(&g, &plan, &u, &err);
	int conv2 = node_named(&g, "/conv2/Conv"), pool1 = node_named(&g, "/pool1/MaxPool");
	int convs = 0;
	for (int k = 0; k < u.n && !rc; k++)
		convs += g.nodes[u.head[k]].op == QX_OP_CONV || g.nodes[u.head[k]].op == QX_OP_GEMM;
	ok(!rc && u.n == 6 && convs == 6 && conv2 >= 0 && pool1 >= 0 &&
	   u.unit_of[pool1] == u.unit_of[conv2] && g.tensors[g.nodes[pool1].in[0]].producer == conv2,
	   "fashion_cnn: 6 units, one per Conv/Gemm; /pool1/MaxPool goes with /conv2/Conv (%d units)",
	   u.n);

	uint8_t *nf = malloc((size_t)g.n_nodes);
	int all_valid = 1, runs = 1, dropped = 1, kept = 1;
	for (int k = 0; k < u.n && !rc; k++) {
		qx_float_units_mark(&u, &k, 1, g.n_nodes, nf);
		struct qx_quant_plan fp;
		if (qx_plan_with_float(&g, &plan, nf, &fp, &err)) {
			diag("unit %d: %s", k, err.msg);
			all_valid = 0;
			continue;
		}
		int head = u.head[k];
		const struct qx_node *nd = &g.nodes[head];
		for (int n = 0; n < g.n_nodes; n++)
			all_valid &= fp.node[n].mode == (nf[n] ? QX_MODE_FLOAT : plan.node[n].mode);
		dropped &= fp.tensor[nd->in[1]].dtype == QX_PLAN_FLOAT;
		/* Its input is an int8 node's output (or the graph input, read by nothing int8 now). */
		int src = g.tensors[nd->in[0]].producer;
		if (src >= 0)
			kept &= fp.tensor[nd->in[0]].dtype == QX_PLAN_UINT8;
		else
			kept &= fp.tensor[nd->in[0]].dtype == QX_PLAN_FLOAT;
		struct qx_exec_q8 *e = NULL;
		if (qx_exec_q8_create(&g, &fp, BATCH, scalar, &e, &err) || qx_exec_q8_run(e, &in, &err)) {
			diag("unit %d runs: %s", k, err.msg);
			runs = 0;
		}
		qx_exec_q8_free(e);
		qx_quant_plan_free(&fp);
	}
	ok(all_valid, "each one-unit-float plan validates with exactly that unit in float");
	ok(dropped, "the float node's weight has no qparams any more");
	ok(kept, "the float node's input keeps its qparams where an int8 node writes it");
	ok(runs, "each one-unit-float plan runs on the int8 executor");

	int *order = malloc(sizeof(int) * (size_t)u.n);
	for (int k = 0; k < u.n; k++)
		order[k] = k;
	qx_float_units_mark(&u, order, u.n, g.n_nodes, nf);
	struct qx_quant_plan all;
	int same = 0, none = 1;
	if (!qx_plan_with_float(&g, &plan, nf, &all, &err)) {
		for (int n = 0; n < g.n_nodes; n++)
			none &= all.node[n].mode == QX_MODE_FLOAT;
		for (int t = 0; t < g.n_tensors; t++)
			none &= all.tensor[t].dtype == QX_PLAN_FLOAT;
		struct qx_exec_q8 *e = NULL;
		if (!qx_exec_q8_create(&g, &all, BATCH, scalar, &e, &err) &&
		    !qx_exec_q8_run(e, &in, &err)) {
			memcpy(y8, qx_exec_q8_output(e, 0), sizeof(float) * (size_t)n_out);
			same = memcmp(y8, y32, sizeof(float) * (size_t)n_out) == 0;
		} else {
			diag("all float: %s", err.msg);
		}
		qx_exec_q8_free(e);
		qx_quant_plan_free(&all);
	} else {
		none = 0;
		diag("all float: %s", err.msg);
	}
	ok(none, "every unit in float: every node float, no qparams left");
	ok(same, "every unit in float: the int8 executor's logits equal fp32's bit for bit");

	free(order);
	free(nf);
	free(y32);
	free(y8);
	qx_float_units_free(&u);
	test_plan_free(&plan);
	qx_exec_f32_free(f);
	free(x);
	qx_graph_free(&g);
}

int main(void)
{
	tap_plan(0);
	check_search();
	check_float_plans();
	return tap_done();
}
