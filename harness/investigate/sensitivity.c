#include "investigate/sensitivity.h"

#include <stdlib.h>
#include <string.h>

#include "stats/paired.h"

void qx_sensitivity_free(struct qx_sensitivity *s)
{
	qx_float_units_free(&s->units);
	free(s->nodes);
	memset(s, 0, sizeof *s);
}

static int by_gain(const void *a, const void *b)
{
	const struct qx_sensitivity_node *x = a, *y = b;
	if (x->gain != y->gain)
		return x->gain < y->gain ? 1 : -1;
	return (x->unit > y->unit) - (x->unit < y->unit);
}

int qx_sensitivity_measure(const struct qx_investigate *env, const struct qx_quant_plan *plan,
                           int64_t images, const char *label, struct qx_sensitivity *out,
                           struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	const struct qx_graph *g = env->g;
	out->images = images < 1 || images > env->n_images ? env->n_images : images;
	out->kernels = env->kernels;
	int rc = qx_float_units_build(g, plan, &out->units, err);
	if (rc)
		return rc;
	out->n = out->units.n;
	out->nodes = calloc((size_t)out->n + 1, sizeof *out->nodes);
	uint8_t *node_float = malloc((size_t)g->n_nodes + 1);
	if (!out->nodes || !node_float) {
		free(node_float);
		return qx_fail_nomem(err, "measuring sensitivity");
	}
	char what[512];
	snprintf(what, sizeof what, "%s sensitivity: full plan (%s)", label, env->kernels);
	struct qx_eval_result base;
	rc = env->eval(env->arg, plan, out->images, what, &base, err);
	if (rc) {
		free(node_float);
		return rc;
	}
	out->base_accuracy = 100.0 * (double)base.correct / (double)base.count;
	for (int u = 0; u < out->n && !rc; u++) {
		struct qx_sensitivity_node *sn = &out->nodes[u];
		sn->unit = u;
		sn->node = out->units.head[u];
		qx_float_units_mark(&out->units, &u, 1, g->n_nodes, node_float);
		struct qx_quant_plan fp;
		rc = qx_plan_with_float(g, plan, node_float, &fp, err);
		if (rc)
			break;
		snprintf(what, sizeof what, "%s sensitivity: %d/%d %s in float (%s)", label, u + 1,
		         out->n, g->nodes[sn->node].name, env->kernels);
		struct qx_eval_result res;
		rc = env->eval(env->arg, &fp, out->images, what, &res, err);
		qx_quant_plan_free(&fp);
		if (rc)
			break;
		/* A = the full plan, B = this unit in float: drop = acc(A) - acc(B) = -gain. */
		struct qx_paired cmp;
		qx_paired_compare(base.pred, res.pred, env->labels, out->images, &cmp);
		sn->accuracy = cmp.acc_b;
		sn->gain = -cmp.drop;
		sn->ci_low = -cmp.drop_hi;
		sn->ci_high = -cmp.drop_lo;
		qx_eval_result_free(&res);
	}
	qx_eval_result_free(&base);
	free(node_float);
	if (!rc)
		qsort(out->nodes, (size_t)out->n, sizeof *out->nodes, by_gain);
	return rc;
}

void qx_sensitivity_print(const struct qx_sensitivity *s, const struct qx_graph *g,
                          const char *label, int top, FILE *f)
{
	fprintf(f, "\nsensitivity of %s: each int8 node alone in float, top-1 on the first %lld "
	        "images (%s); the full plan: %.2f%%\n", label, (long long)s->images, s->kernels,
	        s->base_accuracy);
	/* The node column as wide as the longest name shown (zoo models' names run long). */
	int w = 4;
	for (int i = 0; i < s->n && i < top; i++) {
		int len = (int)strlen(g->nodes[s->nodes[i].node].name);
		w = len > w ? len : w;
	}
	fprintf(f, "%-4s %-*s %-12s %8s  %s\n", "rank", w, "node", "op", "top-1",
	        "gain (95% CI), points");
	for (int i = 0; i < s->n && i < top; i++) {
		const struct qx_sensitivity_node *sn = &s->nodes[i];
		fprintf(f, "%-4d %-*s %-12s %7.2f%%  %+.2f [%+.2f, %+.2f]\n", i + 1, w,
		        g->nodes[sn->node].name, qx_op_name(g->nodes[sn->node].op), sn->accuracy,
		        sn->gain, sn->ci_low, sn->ci_high);
	}
	if (s->n > top)
		fprintf(f, "     ... %d more in results.json\n", s->n - top);
	fflush(f);
}
