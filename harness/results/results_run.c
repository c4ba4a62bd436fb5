/* results.json's run-wide keys after the start (results_run.h). */
#include "results/results_run.h"

static json_t *int_array(const int *v, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

void qx_results_options(struct qx_results *r, const struct qx_results_options *o)
{
	json_t *sets = json_array();
	for (int i = 0; i < o->n_kernel_sets_run; i++)
		json_array_append_new(sets, json_string(o->kernel_sets_run[i]));
	json_object_set_new(r->root, "options",
	                    json_pack("{s:I, s:s?, s:s?, s:o, s:o, s:b, s:o, s:b, s:o, s:i}", "limit",
	                              (json_int_t)o->limit, "plugins", o->plugins, "kernels",
	                              o->kernels, "threads", int_array(o->threads, o->n_threads),
	                              "batch", int_array(o->batch, o->n_batch), "no_measure",
	                              o->no_measure, "kernel_sets_run", sets, "sensitivity",
	                              o->sensitivity, "fallback", o->fallback
	                              ? json_real(o->fallback_max_drop) : json_null(),
	                              "eval_threads", o->eval_threads));
	json_object_set_new(r->root, "quick", json_boolean(o->quick));
}

json_t *qx_results_fp32(struct qx_results *r, const struct qx_results_fp32 *in)
{
	json_t *f = json_object();
	json_object_set_new(f, "kernels", json_string(in->kernels));
	json_object_set_new(f, "images", json_integer(in->images));
	json_object_set_new(f, "correct", json_integer(in->correct));
	json_object_set_new(f, "accuracy", json_real(100.0 * (double)in->correct /
	                                             (double)in->images));
	json_object_set_new(f, "model_bytes", json_integer(in->model_bytes));
	json_object_set_new(f, "eval_seconds", json_real(in->eval_seconds));
	json_object_set_new(f, "predictions", qx_json_u8_array(in->predictions, in->images));
	json_object_set_new(f, "measurements", json_array());
	json_object_set_new(r->root, "fp32", f);
	json_object_set_new(r->root, "labels", qx_json_u8_array(in->labels, in->n_labels));
	return f;
}

void qx_results_gbench_json(struct qx_results *r, const char *path)
{
	json_object_set_new(r->root, "gbench_json", json_string(path));
}

void qx_results_timing(struct qx_results *r, const struct qx_phase_clock *c)
{
	json_t *phases = json_object();
	for (int p = 0; p < QX_PHASE_COUNT; p++)
		if (c->wall[p] > 0.0 || c->cpu[p] > 0.0)
			json_object_set_new(phases, qx_phase_key((enum qx_phase)p),
			                    json_pack("{s:f, s:f}", "wall_s", c->wall[p] > 0 ? c->wall[p] : 0.0,
			                              "cpu_s", c->cpu[p] > 0 ? c->cpu[p] : 0.0));
	json_object_set_new(r->root, "timing",
	                    json_pack("{s:f, s:f, s:o}", "wall_s", qx_phase_clock_wall(c), "cpu_s",
	                              qx_phase_clock_cpu(c), "phases", phases));
}
