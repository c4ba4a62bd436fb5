/* results.json's plugins[] entries (results_entry.h). */
#include "results/results_entry.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qx/plugin.h"

void qx_results_error_row(struct qx_results *r, const char *label, const char *msg)
{
	json_t *e = json_object();
	json_object_set_new(e, "label", json_string(label));
	json_object_set_new(e, "error", json_string(msg));
	json_array_append_new(r->plugins, e);
}

/* What a row owns whatever its plan: the plugin that made it, its plan file, its calibration. */
static void set_origin(json_t *e, const struct qx_plugin_result *res, const char *plan_path)
{
	json_object_set_new(e, "plugin", json_pack("{s:s, s:s, s:s, s:s, s:s}", "path", res->path,
	                                            "name", res->name, "version", res->version,
	                                            "license", res->license, "description",
	                                            res->description));
	if (res->options_declared) {
		/* typed as declared: booleans and numbers as JSON's, choices and strings as text */
		json_t *used = json_object();
		for (int i = 0; i < res->n_options_used; i++) {
			const struct qx_option_used *u = &res->options_used[i];
			json_t *v = NULL;
			if (u->type == QX_OPTION_BOOL)
				v = json_boolean(u->value[0] == 't' || u->value[0] == 'T');
			else if (u->type == QX_OPTION_INT)
				v = json_integer(strtoll(u->value, NULL, 10));
			else if (u->type == QX_OPTION_NUMBER)
				v = json_real(strtod(u->value, NULL));
			else
				v = json_string(u->value);
			json_object_set_new(used, u->key, v);
		}
		json_object_set_new(e, "options_used", used);
	}
	json_object_set_new(e, "plan", json_string(plan_path));
	json_object_set_new(e, "calibration", json_pack("{s:f, s:I, s:i}", "seconds",
	                                                res->calibrate_s, "images",
	                                                (json_int_t)res->calib_images, "batches",
	                                                res->calib_batches));
}

json_t *qx_results_plan_row(struct qx_results *r, const struct qx_results_row *row)
{
	const struct qx_paired *cmp = row->cmp;
	json_t *e = json_object();
	json_object_set_new(e, "label", json_string(row->res->label));
	set_origin(e, row->res, row->plan_path);
	json_object_set_new(e, "accuracy_kernels", json_string(row->accuracy_kernels));
	json_object_set_new(e, "images", json_integer(row->images));
	json_object_set_new(e, "correct", json_integer(row->correct));
	json_object_set_new(e, "accuracy", json_real(cmp->acc_b));
	json_object_set_new(e, "drop", json_pack("{s:f, s:f, s:f}", "points", cmp->drop, "ci95_low",
	                                         cmp->drop_lo, "ci95_high", cmp->drop_hi));
	json_object_set_new(e, "agreement", json_real(cmp->agree));
	json_object_set_new(e, "model_bytes", json_integer(row->model_bytes));
	json_object_set_new(e, "eval_seconds", json_real(row->eval_seconds));
	json_object_set_new(e, "predictions", qx_json_u8_array(row->predictions, row->images));
	json_object_set_new(e, "measurements", json_array());
	json_array_append_new(r->plugins, e);
	return e;
}

static json_t *real_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

void qx_results_trust(json_t *entry, const struct qx_trust *t, const char *kernels)
{
	json_t *j = json_object();
	json_object_set_new(entry, "trust", j);
	if (!t) {
		json_object_set_new(j, "verdict", json_string("unchecked"));
		json_object_set_new(j, "images", json_integer(0));
		return;
	}
	json_object_set_new(j, "verdict", json_string(t->trusted ? "trusted" : "MISTRUSTED"));
	json_object_set_new(j, "kernels", json_string(kernels));
	json_object_set_new(j, "images", json_integer(t->images));
	json_object_set_new(j, "nodes", json_pack("{s:i, s:I, s:I, s:I}", "tensors", t->tensors,
	                                          "values", (json_int_t)t->values, "ties",
	                                          (json_int_t)t->ties, "unexplained",
	                                          (json_int_t)t->unexplained));
	if (t->worst[0])
		json_object_set_new(j, "worst", json_pack("{s:s, s:f, s:f}", "tensor", t->worst,
		                                          "unexplained_share", t->worst_share,
		                                          "max_steps", t->worst_steps));
	json_object_set_new(j, "bound_unexplained_share", json_real(QX_TRUST_MAX_UNEXPLAINED));
	json_object_set_new(j, "unwritten", json_boolean(t->unwritten));
	json_object_set_new(j, "nonfinite_images", json_integer(t->nonfinite));
	json_object_set_new(j, "logits", json_pack(
		"{s:f, s:s, s:o, s:o, s:o, s:o, s:f}", "step", t->step, "step_source",
		t->step_from_plan ? "output qparams" : "output range / 255", "mean_steps",
		real_or_null(t->diff_mean), "median_steps", real_or_null(t->diff_median), "p99_steps",
		real_or_null(t->diff_p99), "max_steps", real_or_null(t->diff_max), "top1_agreement",
		t->agree));
	if (!t->trusted)
		json_object_set_new(j, "reason", json_string(t->why));
}

void qx_results_trust_unfinished(json_t *entry)
{
	json_object_set_new(entry, "trust", json_object());
}

void qx_results_kernel_sets(json_t *entry, const struct qx_results_set *sets, int n)
{
	json_t *a = json_array();
	json_object_set_new(entry, "kernel_sets", a);
	for (int i = 0; i < n; i++) {
		const struct qx_results_set *s = &sets[i];
		json_t *js = json_object();
		json_object_set_new(js, "name", json_string(s->name));
		if (s->reference) {
			json_object_set_new(js, "bit_identical", json_true());
		} else {
			json_object_set_new(js, "bit_identical", json_boolean(s->identical));
			json_object_set_new(js, "checked_images", json_integer(s->checked_images));
			if (!s->identical)
				json_object_set_new(js, "mismatch", json_string(s->mismatch));
		}
		json_array_append_new(a, js);
	}
}

void qx_results_simulated(json_t *entry, const char *why, const char *fp32_kernels)
{
	json_object_set_new(entry, "simulated", json_pack("{s:s, s:s, s:s}", "reason", why,
	                                                  "fp32_kernels", fp32_kernels, "latency",
	                                                  "no kernel"));
	json_object_set_new(entry, "trust", json_pack(
		"{s:s, s:i, s:s++}", "verdict", "simulated", "images", 0, "reason",
		"no int8 kernel runs this plan (", why, "): its accuracy comes "
		"from the reference simulation itself, so there is no independent result to check"));
}

void qx_results_simulated_sets(json_t *entry, const char *const *names, int n)
{
	json_t *sets = json_array();
	json_object_set_new(entry, "kernel_sets", sets);
	for (int i = 0; i < n; i++)
		json_array_append_new(sets, json_pack("{s:s, s:n, s:s}", "name", names[i],
		                                      "bit_identical", "not_applicable",
		                                      "simulated: no int8 kernel runs this plan"));
}

/* The scalar's JSON value: integer, number, boolean or string, as YAML's plain scalars read. */
static json_t *value_json(const char *v)
{
	if (!strcmp(v, "true") || !strcmp(v, "false"))
		return json_boolean(!strcmp(v, "true"));
	char *end;
	errno = 0;
	long long i = strtoll(v, &end, 10);
	if (end != v && !*end && !errno)
		return json_integer(i);
	/* Decimal numbers only: strtod would also take "nan", "inf" and hex. */
	if (strspn(v, "0123456789+-.eE") == strlen(v) && strpbrk(v, "0123456789")) {
		double d = strtod(v, &end);
		if (end != v && !*end)
			return json_real(d);
	}
	return json_string(v);
}

json_t *qx_results_sweep_json(const struct qx_suite_plugin *p)
{
	if (!p->sweep_base)
		return NULL;
	json_t *values = json_object();
	json_t *o = json_pack("{s:s, s:o}", "base", p->sweep_base, "values", values);
	if (!o)
		return NULL;
	for (int i = 0; i < p->n_sweep; i++)
		json_object_set_new(values, p->sweep[i].key, value_json(p->sweep[i].value));
	return o;
}

void qx_results_sweep(json_t *entry, const struct qx_suite_plugin *p)
{
	json_t *sweep = qx_results_sweep_json(p);
	if (sweep)
		json_object_set_new(entry, "sweep", sweep);
}

json_t *qx_results_same_plan_row(struct qx_results *r, const json_t *same, const char *same_label,
                                 const struct qx_suite_plugin *p,
                                 const struct qx_plugin_result *res, const char *plan_path)
{
	json_t *e = json_deep_copy(same);
	if (!e)
		return NULL;
	json_object_del(e, "sweep");
	json_object_del(e, "fallback"); /* the twin of a fallback row is no fallback itself */
	json_object_del(e, "options_used"); /* its own, from set_origin, when its plugin declares */
	json_object_set_new(e, "label", json_string(p->label));
	set_origin(e, res, plan_path);
	qx_results_sweep(e, p);
	json_object_set_new(e, "same_plan_as", json_string(same_label));
	json_array_append_new(r->plugins, e);
	return e;
}
