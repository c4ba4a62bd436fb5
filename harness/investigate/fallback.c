#include "investigate/fallback.h"

#include <stdlib.h>
#include <string.h>

#include "stats/paired.h"

/* Drops are differences of counts over n images, in points: two that are equal may differ in
 * the last bits depending on how they were computed, so the budget has a tolerance far below
 * one image in any real set. */
#define BUDGET_EPS 1e-9

int qx_fallback_met(double drop, double max_drop)
{
	return drop <= max_drop + BUDGET_EPS;
}

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
	if (qx_fallback_met(drop0, max_drop) || n <= 0) {
		out->met = qx_fallback_met(drop0, max_drop);
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
		if (qx_fallback_met(d, max_drop)) {
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
		if (qx_fallback_met(d, max_drop))
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

static json_t *entry_labelled(json_t *plugins, const char *label)
{
	size_t i;
	json_t *p;
	json_array_foreach(plugins, i, p) {
		const char *l = json_string_value(json_object_get(p, "label"));
		if (l && !strcmp(l, label) && !json_object_get(p, "error"))
			return p;
	}
	return NULL;
}

static double median_ms(json_t *entry, const char *kernels, json_int_t batch, json_int_t threads)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(entry, "measurements"), i, m) {
		const char *k = json_string_value(json_object_get(m, "kernels"));
		if (k && !strcmp(k, kernels) && !json_object_get(m, "error") &&
		    json_integer_value(json_object_get(m, "batch")) == batch &&
		    json_integer_value(json_object_get(m, "threads")) == threads)
			return json_number_value(json_object_get(m, "median"));
	}
	return -1;
}

static double percent_more(double now, double was)
{
	return was > 0 ? 100.0 * (now - was) / was : 0;
}

void qx_fallback_print_summary(json_t *root, const char *kernels, FILE *out)
{
	json_t *plugins = json_object_get(root, "plugins");
	size_t i;
	json_t *fb;
	json_array_foreach(plugins, i, fb) {
		json_t *info = json_object_get(fb, "fallback");
		const char *from_label = json_string_value(json_object_get(info, "from"));
		json_t *from = from_label ? entry_labelled(plugins, from_label) : NULL;
		if (!from)
			continue;
		const char *label = json_string_value(json_object_get(fb, "label"));
		double b = json_number_value(json_object_get(info, "max_drop"));
		int met = json_is_true(json_object_get(info, "met"));
		fprintf(out, "\nfallback %s (budget %.2f points: %s; %zu node%s in float) against %s:\n",
		        label, b, met ? "met" : "NOT met",
		        json_array_size(json_object_get(info, "kept_float")),
		        json_array_size(json_object_get(info, "kept_float")) == 1 ? "" : "s",
		        from_label);
		/* Columns as wide as the labels, so that each number sits under its row's name. */
		int w = (int)strlen(label) > 12 ? (int)strlen(label) : 12;
		int w0 = (int)strlen(from_label) > 12 ? (int)strlen(from_label) : 12;
		fprintf(out, "  %-26s %*s %*s %9s\n", "", w, label, w0, from_label, "change");
		double a1 = json_number_value(json_object_get(fb, "accuracy"));
		double a0 = json_number_value(json_object_get(from, "accuracy"));
		fprintf(out, "  %-26s %*.2f%% %*.2f%% %+9.2f\n", "top-1", w - 1, a1, w0 - 1, a0,
		        a1 - a0);
		double d1 = json_number_value(json_object_get(json_object_get(fb, "drop"), "points"));
		double d0 = json_number_value(json_object_get(json_object_get(from, "drop"), "points"));
		fprintf(out, "  %-26s %*.2f %*.2f %+9.2f\n", "drop vs fp32, points", w, d1, w0, d0,
		        d1 - d0);
		json_int_t s1 = json_integer_value(json_object_get(fb, "model_bytes"));
		json_int_t s0 = json_integer_value(json_object_get(from, "model_bytes"));
		fprintf(out, "  %-26s %*lld %*lld %+8.1f%%\n", "size, bytes", w, (long long)s1, w0,
		        (long long)s0, percent_more((double)s1, (double)s0));
		size_t j;
		json_t *m;
		json_array_foreach(json_object_get(fb, "measurements"), j, m) {
			const char *k = json_string_value(json_object_get(m, "kernels"));
			if (!k || strcmp(k, kernels) || json_object_get(m, "error"))
				continue;
			json_int_t bt = json_integer_value(json_object_get(m, "batch"));
			json_int_t th = json_integer_value(json_object_get(m, "threads"));
			double t1 = json_number_value(json_object_get(m, "median"));
			double t0 = median_ms(from, kernels, bt, th);
			char what[64];
			snprintf(what, sizeof what, "median ms, b%lld/t%lld %s", (long long)bt,
			         (long long)th, kernels);
			if (t0 > 0)
				fprintf(out, "  %-26s %*.4f %*.4f %+8.1f%%\n", what, w, t1, w0, t0,
				        percent_more(t1, t0));
		}
	}
	fflush(out);
}
