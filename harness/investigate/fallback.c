#include "investigate/fallback.h"

#include <stdlib.h>
#include <string.h>

#include "stats/paired.h"

/* Drops are differences of counts over n images, in points: two that are equal may differ in
 * the last bits depending on how they were computed, so the budget has a tolerance far below
 * one image in any real set. */
#define BUDGET_EPS 1e-9

struct search {
	qx_fallback_drop_fn drop_of;
	void *arg;
	double *drop;                   /* [n + 1] cached, NaN-free once known */
	uint8_t *known;
	int evaluations;
};

static int drop_at(struct search *s, int k, double *drop, struct qx_error *err)
{
	if (!s->known[k]) {
		int rc = s->drop_of(s->arg, k, &s->drop[k], err);
		if (rc)
			return rc;
		s->known[k] = 1;
		s->evaluations++;
	}
	*drop = s->drop[k];
	return 0;
}

int qx_fallback_search(int n, double drop0, double max_drop, qx_fallback_drop_fn drop_of,
                       void *arg, struct qx_fallback_choice *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	out->drop = drop0;
	if (drop0 <= max_drop + BUDGET_EPS || n <= 0) {
		out->met = drop0 <= max_drop + BUDGET_EPS;
		return 0;
	}
	struct search s = { .drop_of = drop_of, .arg = arg };
	s.drop = calloc((size_t)n + 1, sizeof *s.drop);
	s.known = calloc((size_t)n + 1, 1);
	if (!s.drop || !s.known) {
		free(s.drop);
		free(s.known);
		return qx_fail_nomem(err, "searching a fallback");
	}
	s.drop[0] = drop0;
	s.known[0] = 1;
	/* Doubling: lo always fails the budget, hi (once found) meets it. */
	int lo = 0, hi = -1, rc = 0;
	double d = drop0;
	for (int k = 1; !rc; k = k * 2 > n ? n : k * 2) {
		rc = drop_at(&s, k, &d, err);
		if (rc)
			break;
		if (d <= max_drop + BUDGET_EPS) {
			hi = k;
			break;
		}
		lo = k;
		if (k == n)
			break;
	}
	while (!rc && hi > 0 && hi - lo > 1) {
		int mid = lo + (hi - lo) / 2;
		rc = drop_at(&s, mid, &d, err);
		if (rc)
			break;
		if (d <= max_drop + BUDGET_EPS)
			hi = mid;
		else
			lo = mid;
	}
	if (!rc) {
		out->met = hi > 0;
		out->k = hi > 0 ? hi : n;
		out->drop = s.drop[out->k];
		out->evaluations = s.evaluations;
	}
	free(s.drop);
	free(s.known);
	return rc;
}

struct select_ctx {
	const struct qx_investigate *env;
	const struct qx_quant_plan *plan;
	const struct qx_sensitivity *s;
	int *order;
	uint8_t *node_float;
	const char *label;
};

static int candidate_drop(void *arg, int k, double *drop, struct qx_error *err)
{
	struct select_ctx *c = arg;
	const struct qx_investigate *env = c->env;
	qx_float_units_mark(&c->s->units, c->order, k, env->g->n_nodes, c->node_float);
	struct qx_quant_plan fp;
	int rc = qx_plan_with_float(env->g, c->plan, c->node_float, &fp, err);
	if (rc)
		return rc;
	char what[512];
	snprintf(what, sizeof what, "%s fallback: %d of %d nodes in float (%s)", c->label, k,
	         c->s->n, env->kernels);
	struct qx_eval_result res;
	rc = env->eval(env->arg, &fp, env->n_images, what, &res, err);
	qx_quant_plan_free(&fp);
	if (rc)
		return rc;
	struct qx_paired cmp;
	qx_paired_compare(env->fp32_pred, res.pred, env->labels, env->n_images, &cmp);
	*drop = cmp.drop;
	qx_eval_result_free(&res);
	return 0;
}

int qx_fallback_select(const struct qx_investigate *env, const struct qx_quant_plan *plan,
                       const struct qx_sensitivity *s, double base_drop, double max_drop,
                       const char *label, struct qx_fallback_choice *choice,
                       struct qx_quant_plan *out_plan, uint8_t *node_float,
                       struct qx_error *err)
{
	memset(out_plan, 0, sizeof *out_plan);
	struct select_ctx c = { .env = env, .plan = plan, .s = s, .node_float = node_float,
	                        .label = label };
	c.order = malloc(sizeof *c.order * ((size_t)s->n + 1));
	if (!c.order)
		return qx_fail_nomem(err, "searching a fallback");
	for (int i = 0; i < s->n; i++)
		c.order[i] = s->nodes[i].unit;
	int rc = qx_fallback_search(s->n, base_drop, max_drop, candidate_drop, &c, choice, err);
	if (!rc) {
		qx_float_units_mark(&s->units, c.order, choice->k, env->g->n_nodes, node_float);
		rc = qx_plan_with_float(env->g, plan, node_float, out_plan, err);
	}
	free(c.order);
	return rc;
}

json_t *qx_fallback_json(const struct qx_fallback_choice *c, double max_drop, const char *from,
                         const struct qx_graph *g, const uint8_t *node_float,
                         int64_t sensitivity_images)
{
	json_t *kept = json_array();
	for (int n = 0; kept && n < g->n_nodes; n++)
		if (node_float[n])
			json_array_append_new(kept, json_string(g->nodes[n].name));
	return json_pack("{s:f, s:s, s:o, s:b, s:i, s:I}", "max_drop", max_drop, "from", from,
	                 "kept_float", kept, "met", c->met, "evaluations", c->evaluations,
	                 "sensitivity_images", (json_int_t)sensitivity_images);
}
