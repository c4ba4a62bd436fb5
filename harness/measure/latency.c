#include "measure/latency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


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

int qx_latency_summarize(const struct qx_latency_spec *spec, const struct qx_gbench_result *res,
                         struct qx_latency_record *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	out->spec = spec;
	out->res = res;
	out->max_samples = spec->max_samples ? spec->max_samples : QX_LATENCY_MAX_SAMPLES;
	int rc = check_spec(spec, err);
	if (!rc)
		rc = qx_latency_name(spec, out->name, sizeof out->name, err);
	if (rc)
		return rc;
	out->ms = to_ms(res->samples_s, res->n_samples);
	if (!out->ms)
		return qx_fail_nomem(err, "recording latency");
	rc = qx_stats_summarize(out->ms, res->n_samples, &out->wall, err);
	if (rc) {
		qx_latency_record_free(out);
		return qx_fail_wrap(err, "%s", out->name);
	}
	size_t nr = (size_t)res->repetitions;
	out->cpu_ms = res->cpu_samples_s ? to_ms(res->cpu_samples_s, res->n_samples) : NULL;
	out->wall_round_ms = malloc(sizeof(double) * (nr ? nr : 1));
	out->cpu_round_ms = malloc(sizeof(double) * (nr ? nr : 1));
	if ((res->cpu_samples_s && !out->cpu_ms) || !out->wall_round_ms || !out->cpu_round_ms ||
	    qx_latency_round_medians(res, 0, out->wall_round_ms) ||
	    (out->cpu_ms && qx_latency_round_medians(res, 1, out->cpu_round_ms)) ||
	    (out->cpu_ms && qx_stats_summarize(out->cpu_ms, res->n_samples, &out->cpu, NULL))) {
		qx_latency_record_free(out);
		return qx_fail_nomem(err, "recording latency");
	}
	struct qx_noise_input ni = {
		.wall_ms = out->ms, .cpu_ms = out->cpu_ms, .n = res->n_samples,
		.wall_round_ms = out->wall_round_ms,
		.cpu_round_ms = out->cpu_ms ? out->cpu_round_ms : NULL, .rounds = nr,
		.noise = spec->noise, .cv = out->wall.cv, .ci_target_percent = spec->ci_target_percent,
	};
	rc = qx_noise_summarize(&ni, &out->noise, err);
	if (rc)
		qx_latency_record_free(out);
	return rc;
}

void qx_latency_record_free(struct qx_latency_record *r)
{
	free(r->ms);
	free(r->cpu_ms);
	free(r->wall_round_ms);
	free(r->cpu_round_ms);
	r->ms = r->cpu_ms = r->wall_round_ms = r->cpu_round_ms = NULL;
}

int qx_latency_measure(const struct qx_latency_spec *spec, struct qx_gbench_result *res,
                       struct qx_error *err)
{
	memset(res, 0, sizeof *res);
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
	return qx_gbench_measure(&g, res, err);
}
