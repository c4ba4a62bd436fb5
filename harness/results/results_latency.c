/* The measurement objects of results.json (results_latency.h). */
#include "results/results_latency.h"

#include <stdlib.h>

#include "exec/pool.h"

/* At most max of the n samples, evenly spaced over the whole run so that every part of it is
 * represented; *thinned says whether some were left out. */
static json_t *kept_samples(const double *ms, size_t n, size_t max, int *thinned)
{
	json_t *a = json_array();
	size_t keep = n <= max ? n : max;
	*thinned = keep < n;
	for (size_t i = 0; i < keep; i++)
		json_array_append_new(a, json_real(ms[keep < n ? (size_t)((double)i * (double)n /
		                                                           (double)keep) : i]));
	return a;
}

/* What the machine did in one round; a field the round does not know is absent. */
static void add_noise_fields(json_t *rep, const struct qx_noise_round *z)
{
	if (z->nivcsw >= 0)
		json_object_set_new(rep, "nivcsw", json_integer(z->nivcsw));
	if (z->busy >= 0)
		json_object_set_new(rep, "busy", json_real(z->busy));
	if (z->steal >= 0)
		json_object_set_new(rep, "steal", json_real(z->steal));
	if (z->load1 >= 0)
		json_object_set_new(rep, "load1", json_real(z->load1));
	if (z->reference_ms > 0)
		json_object_set_new(rep, "reference_ms", json_real(z->reference_ms));
}

/* The "noise" object (measure/noise_summary.h). */
static json_t *noise_json(const struct qx_noise_summary *n)
{
	json_t *o = json_object(), *w = json_array();
	json_object_set_new(o, "rounds", json_integer((json_int_t)n->rounds));
	json_object_set_new(o, "median_ci95", json_pack("[f, f]", n->median_lo, n->median_hi));
	if (n->has_cpu) {
		json_object_set_new(o, "cpu_median_ci95", json_pack("[f, f]", n->cpu_lo, n->cpu_hi));
		json_object_set_new(o, "wall_over_cpu", json_real(n->wall_over_cpu));
		json_object_set_new(o, "preempted", json_boolean(n->preempted));
	}
	json_object_set_new(o, "clock", json_string(n->clock_cpu ? "cpu" : "wall"));
	json_object_set_new(o, "ci95_half_width_percent", json_real(n->half_width_percent));
	if (n->has_switches)
		json_object_set_new(o, "nivcsw_per_inference", json_real(n->nivcsw_per_inference));
	if (n->load1_max >= 0)
		json_object_set_new(o, "load1_max", json_real(n->load1_max));
	if (n->has_busy) {
		json_object_set_new(o, "busy_mean", json_real(n->busy_mean));
		json_object_set_new(o, "steal_mean", json_real(n->steal_mean));
	}
	json_object_set_new(o, "outliers", json_pack("{s:I, s:I, s:I, s:I}", "low_severe",
	                                              (json_int_t)n->outliers[0], "low_mild",
	                                              (json_int_t)n->outliers[1], "high_mild",
	                                              (json_int_t)n->outliers[2], "high_severe",
	                                              (json_int_t)n->outliers[3]));
	for (int i = 0; i < n->n_warnings; i++)
		json_array_append_new(w, json_string(n->warnings[i]));
	json_object_set_new(o, "warnings", w);
	return o;
}

json_t *qx_results_pool_json(const struct qx_pool *pool)
{
	json_t *o = json_object();
	int threads = qx_pool_threads(pool), pinned = qx_pool_pinned(pool);
	json_object_set_new(o, "threads", json_integer(threads));
	json_object_set_new(o, "pinned", json_boolean(pinned));
	json_object_set_new(o, "policy", json_string("one thread per core, caller is thread 0"));
	if (pinned) {
		int *pu = malloc(sizeof *pu * (size_t)threads);
		json_t *pus = json_array();
		int n = pu ? qx_pool_describe(pool, pu, threads) : 0;
		for (int i = 0; i < n; i++)
			json_array_append_new(pus, json_integer(pu[i]));
		free(pu);
		json_object_set_new(o, "pus", pus);
	}
	return o;
}

json_t *qx_results_latency_object(const struct qx_latency_record *rec)
{
	const struct qx_latency_spec *spec = rec->spec;
	const struct qx_gbench_result *res = rec->res;
	json_t *reps = json_array();
	for (int r = 0; r < res->repetitions; r++) {
		json_t *rep = json_pack("{s:I, s:f, s:f}", "iterations",
		                        (json_int_t)res->rep_iterations[r], "real_ms",
		                        res->rep_real_s[r] * 1e3, "median", rec->wall_round_ms[r]);
		if (rec->cpu_ms)
			json_object_set_new(rep, "cpu_median", json_real(rec->cpu_round_ms[r]));
		if (spec->noise)
			add_noise_fields(rep, &spec->noise[r]);
		json_array_append_new(reps, rep);
	}
	json_t *warnings = json_array();
	for (int i = 0; i < res->n_warnings; i++)
		json_array_append_new(warnings, json_string(res->warnings[i]));
	const struct qx_summary *sum = &rec->wall;
	int thinned;
	json_t *m = json_object();
	json_object_set_new(m, "kernels", json_string(spec->kernels));
	json_object_set_new(m, "threads", json_integer(spec->threads));
	json_object_set_new(m, "batch", json_integer(spec->batch));
	json_object_set_new(m, "unit", json_string("ms/batch"));
	json_object_set_new(m, "n", json_integer((json_int_t)sum->n));
	json_object_set_new(m, "median", json_real(sum->median));
	json_object_set_new(m, "mean", json_real(sum->mean));
	json_object_set_new(m, "stddev", json_real(sum->stddev));
	json_object_set_new(m, "p90", json_real(sum->p90));
	json_object_set_new(m, "p99", json_real(sum->p99));
	json_object_set_new(m, "cv", json_real(sum->cv));
	json_object_set_new(m, "min", json_real(sum->min));
	json_object_set_new(m, "max", json_real(sum->max));
	json_object_set_new(m, "samples", kept_samples(rec->ms, res->n_samples, rec->max_samples,
	                                               &thinned));
	json_object_set_new(m, "samples_thinned", json_boolean(thinned));
	if (rec->cpu_ms) {
		json_object_set_new(m, "cpu_samples", kept_samples(rec->cpu_ms, res->n_samples,
		                                                   rec->max_samples, &thinned));
		json_object_set_new(m, "cpu", json_pack("{s:f, s:f, s:f, s:f}", "median",
		                                        rec->cpu.median, "mean", rec->cpu.mean, "p99",
		                                        rec->cpu.p99, "cv", rec->cpu.cv));
	}
	json_object_set_new(m, "repetitions", reps);
	json_object_set_new(m, "noise", noise_json(&rec->noise));
	json_object_set_new(m, "warmup_s", json_real(spec->warmup_s));
	json_object_set_new(m, "min_time_s", json_real(spec->min_time_s));
	json_object_set_new(m, "gbench_name", json_string(rec->name));
	if (spec->gbench_json_path)
		json_object_set_new(m, "gbench_json", json_string(spec->gbench_json_path));
	json_object_set_new(m, "cpu_scaling", res->cpu_scaling_enabled < 0 ? json_null()
	                                      : json_boolean(res->cpu_scaling_enabled));
	json_object_set_new(m, "warnings", warnings);
	if (spec->pool)
		json_object_set_new(m, "pool", qx_results_pool_json(spec->pool));
	return m;
}

int qx_results_latency_json(const struct qx_latency_spec *spec, const struct qx_gbench_result *res,
                            json_t **out, struct qx_error *err)
{
	*out = NULL;
	struct qx_latency_record rec;
	int rc = qx_latency_summarize(spec, res, &rec, err);
	if (rc)
		return rc;
	*out = qx_results_latency_object(&rec);
	qx_latency_record_free(&rec);
	return *out ? 0 : qx_fail_nomem(err, "recording latency");
}

int qx_results_add_measurement(json_t *entry, const struct qx_measurement *m,
                               struct qx_error *err)
{
	json_t *o;
	if (m->error) {
		o = json_pack("{s:s, s:i, s:I, s:s}", "kernels", m->kernels, "threads", m->threads,
		              "batch", (json_int_t)m->batch, "error", m->error);
	} else {
		o = qx_results_latency_object(m->latency);
		if (o)
			json_object_set_new(o, "images_per_s", json_real((double)m->batch * 1e3 /
			                                                 m->latency->wall.median));
		if (o && m->speedup)
			json_object_set_new(o, "speedup_vs_fp32",
			                    json_pack("{s:f, s:f, s:f, s:s}", "ratio", m->speedup->ratio,
			                              "ci95_low", m->speedup->lo, "ci95_high",
			                              m->speedup->hi, "method",
			                              "median ratio, percentile bootstrap"));
		if (o && m->parallel)
			json_object_set_new(o, "parallel", json_string(m->parallel));
		if (o && m->test_slowed)
			json_object_set_new(o, "test_slowed", json_true());
	}
	if (!o || json_array_append_new(json_object_get(entry, "measurements"), o))
		return qx_fail_nomem(err, "recording a measurement");
	return 0;
}

int qx_results_copy_measurements(json_t *to, const json_t *from, struct qx_error *err)
{
	json_t *m = json_deep_copy(json_object_get(from, "measurements"));
	if (!m || json_object_set_new(to, "measurements", m))
		return qx_fail_nomem(err, "copying measurements");
	return 0;
}
