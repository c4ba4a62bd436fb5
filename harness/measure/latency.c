#include "measure/latency.h"

#include <stdio.h>
#include <stdlib.h>

#include "measure/noise_summary.h"
#include "measure/stats.h"

int qx_latency_name(const struct qx_latency_spec *spec, char *buf, size_t size,
                    struct qx_error *err)
{
	int n = snprintf(buf, size, "%s/%s/threads:%d/batch:%d", spec->system ? spec->system : "",
	                 spec->kernels ? spec->kernels : "", spec->threads, spec->batch);
	if (n < 0 || (size_t)n >= size)
		return qx_fail(err, QX_EINVAL, "%s: measurement name too long (expected under %zu "
		               "characters)", spec->system ? spec->system : "?", size);
	return 0;
}

static int check_spec(const struct qx_latency_spec *spec, struct qx_error *err)
{
	if (!spec->system || !spec->system[0] || !spec->kernels || !spec->kernels[0])
		return qx_fail(err, QX_EINVAL, "measurement: system or kernels not named (expected "
		               "a plugin label and a kernel set)");
	if (spec->threads < 1 || spec->batch < 1)
		return qx_fail(err, QX_EINVAL, "%s/%s: threads %d, batch %d (expected both >= 1)",
		               spec->system, spec->kernels, spec->threads, spec->batch);
	if (spec->pool && qx_pool_threads(spec->pool) != spec->threads)
		return qx_fail(err, QX_EINVAL, "%s/%s: measured with %d threads but the pool has %d "
		               "(expected the same count)", spec->system, spec->kernels,
		               spec->threads, qx_pool_threads(spec->pool));
	return 0;
}

/* Milliseconds per batch: the unit results.json states. */
static double *to_ms(const double *s, size_t n)
{
	double *ms = malloc((n ? n : 1) * sizeof *ms);
	if (ms)
		for (size_t i = 0; i < n; i++)
			ms[i] = s[i] * 1e3;
	return ms;
}

static json_t *kept_samples(const double *ms, size_t n, size_t max, int *thinned)
{
	json_t *a = json_array();
	size_t keep = n <= max ? n : max;
	*thinned = keep < n;
	/* Evenly spaced over the whole run, so that every part of it is represented. */
	for (size_t i = 0; i < keep; i++)
		json_array_append_new(a, json_real(ms[keep < n ? (size_t)((double)i * (double)n /
		                                                           (double)keep) : i]));
	return a;
}

int qx_latency_round_medians(const struct qx_gbench_result *res, int cpu, double *out)
{
	const double *x = cpu ? res->cpu_samples_s : res->samples_s;
	for (int r = 0; r < res->repetitions; r++) {
		size_t a = res->rep_first_sample[r], b = res->rep_first_sample[r + 1];
		out[r] = 0.0;
		if (b <= a || !x)
			continue;
		double *ms = to_ms(x + a, b - a);
		struct qx_summary s;
		if (!ms)
			return QX_ENOMEM;
		if (qx_stats_summarize(ms, b - a, &s, NULL) == 0)
			out[r] = s.median;
		free(ms);
	}
	return 0;
}

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

int qx_latency_json(const struct qx_latency_spec *spec, const struct qx_gbench_result *res,
                    json_t **out, struct qx_error *err)
{
	*out = NULL;
	int rc = check_spec(spec, err);
	if (rc)
		return rc;
	char name[512];
	rc = qx_latency_name(spec, name, sizeof name, err);
	if (rc)
		return rc;
	double *ms = to_ms(res->samples_s, res->n_samples);
	if (!ms)
		return qx_fail_nomem(err, "recording latency");
	struct qx_summary sum;
	rc = qx_stats_summarize(ms, res->n_samples, &sum, err);
	if (rc) {
		free(ms);
		return qx_fail_wrap(err, "%s", name);
	}
	double *cpu_ms = res->cpu_samples_s ? to_ms(res->cpu_samples_s, res->n_samples) : NULL;
	size_t nr = (size_t)res->repetitions;
	double *wall_rm = malloc(sizeof(double) * (nr ? nr : 1));
	double *cpu_rm = malloc(sizeof(double) * (nr ? nr : 1));
	struct qx_summary cpu_sum = { 0 };
	if ((res->cpu_samples_s && !cpu_ms) || !wall_rm || !cpu_rm ||
	    qx_latency_round_medians(res, 0, wall_rm) ||
	    (cpu_ms && qx_latency_round_medians(res, 1, cpu_rm)) ||
	    (cpu_ms && qx_stats_summarize(cpu_ms, res->n_samples, &cpu_sum, NULL))) {
		free(ms);
		free(cpu_ms);
		free(wall_rm);
		free(cpu_rm);
		return qx_fail_nomem(err, "recording latency");
	}
	json_t *reps = json_array();
	for (int r = 0; r < res->repetitions; r++) {
		json_t *rep = json_pack("{s:I, s:f, s:f}", "iterations",
		                        (json_int_t)res->rep_iterations[r], "real_ms",
		                        res->rep_real_s[r] * 1e3, "median", wall_rm[r]);
		if (cpu_ms)
			json_object_set_new(rep, "cpu_median", json_real(cpu_rm[r]));
		if (spec->noise)
			add_noise_fields(rep, &spec->noise[r]);
		json_array_append_new(reps, rep);
	}
	struct qx_noise_input ni = {
		.wall_ms = ms, .cpu_ms = cpu_ms, .n = res->n_samples, .wall_round_ms = wall_rm,
		.cpu_round_ms = cpu_ms ? cpu_rm : NULL, .rounds = nr, .noise = spec->noise,
		.cv = sum.cv, .ci_target_percent = spec->ci_target_percent,
	};
	json_t *noise = NULL;
	rc = qx_noise_summary_json(&ni, &noise, err);
	free(wall_rm);
	free(cpu_rm);
	if (rc) {
		json_decref(reps);
		free(ms);
		free(cpu_ms);
		return rc;
	}
	json_t *warnings = json_array();
	for (int i = 0; i < res->n_warnings; i++)
		json_array_append_new(warnings, json_string(res->warnings[i]));
	int thinned;
	size_t max = spec->max_samples ? spec->max_samples : QX_LATENCY_MAX_SAMPLES;
	json_t *m = json_object();
	json_object_set_new(m, "kernels", json_string(spec->kernels));
	json_object_set_new(m, "threads", json_integer(spec->threads));
	json_object_set_new(m, "batch", json_integer(spec->batch));
	json_object_set_new(m, "unit", json_string("ms/batch"));
	json_object_set_new(m, "n", json_integer((json_int_t)sum.n));
	json_object_set_new(m, "median", json_real(sum.median));
	json_object_set_new(m, "mean", json_real(sum.mean));
	json_object_set_new(m, "stddev", json_real(sum.stddev));
	json_object_set_new(m, "p90", json_real(sum.p90));
	json_object_set_new(m, "p99", json_real(sum.p99));
	json_object_set_new(m, "cv", json_real(sum.cv));
	json_object_set_new(m, "min", json_real(sum.min));
	json_object_set_new(m, "max", json_real(sum.max));
	json_object_set_new(m, "samples", kept_samples(ms, res->n_samples, max, &thinned));
	json_object_set_new(m, "samples_thinned", json_boolean(thinned));
	if (cpu_ms) {
		json_object_set_new(m, "cpu_samples", kept_samples(cpu_ms, res->n_samples, max,
		                                                   &thinned));
		json_object_set_new(m, "cpu", json_pack("{s:f, s:f, s:f, s:f}", "median",
		                                        cpu_sum.median, "mean", cpu_sum.mean, "p99",
		                                        cpu_sum.p99, "cv", cpu_sum.cv));
	}
	json_object_set_new(m, "repetitions", reps);
	json_object_set_new(m, "noise", noise);
	json_object_set_new(m, "warmup_s", json_real(spec->warmup_s));
	json_object_set_new(m, "min_time_s", json_real(spec->min_time_s));
	json_object_set_new(m, "gbench_name", json_string(name));
	if (spec->gbench_json_path)
		json_object_set_new(m, "gbench_json", json_string(spec->gbench_json_path));
	json_object_set_new(m, "cpu_scaling", res->cpu_scaling_enabled < 0 ? json_null()
	                                      : json_boolean(res->cpu_scaling_enabled));
	json_object_set_new(m, "warnings", warnings);
	if (spec->pool)
		json_object_set_new(m, "pool", qx_pool_json(spec->pool));
	free(ms);
	free(cpu_ms);
	*out = m;
	return 0;
}

int qx_latency_measure(const struct qx_latency_spec *spec, json_t **out, struct qx_error *err)
{
	*out = NULL;
	int rc = check_spec(spec, err);
	if (rc)
		return rc;
	char name[512];
	rc = qx_latency_name(spec, name, sizeof name, err);
	if (rc)
		return rc;
	struct qx_gbench_spec g = {
		.name = name,
		.run_once = spec->run_once,
		.ctx = spec->ctx,
		.warmup_s = spec->warmup_s,
		.min_time_s = spec->min_time_s,
		.repetitions = spec->repetitions,
		.json_path = spec->gbench_json_path,
	};
	struct qx_gbench_result res;
	rc = qx_gbench_measure(&g, &res, err);
	if (rc)
		return rc;
	rc = qx_latency_json(spec, &res, out, err);
	qx_gbench_result_free(&res);
	return rc;
}
