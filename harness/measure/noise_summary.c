#include "measure/noise_summary.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "measure/stats.h"
#include "measure/verdict.h"

/* Warnings fire from these on (pyperf warns from a 10% standard deviation on). */
#define NOISY_CV 0.10
#define SEVERE_OUTLIERS_SHARE 0.02
#define BUSY_SHARE 0.9
#define STEAL_SHARE 0.02

/* Criterion's outlier classes: beyond 1.5 (mild) or 3 (severe) interquartile ranges from the
 * quartiles. Slow outliers are preempted or interrupted inferences; fast ones are rare. */
static json_t *outliers(const double *x, size_t n, size_t *high_severe)
{
	double *s = malloc(n * sizeof *s);
	size_t c[4] = { 0 };
	if (s) {
		memcpy(s, x, n * sizeof *s);
		gsl_sort(s, 1, n);
		double q1 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.25);
		double q3 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.75);
		double iqr = q3 - q1;
		for (size_t i = 0; i < n; i++) {
			double v = s[i];
			if (v < q1 - 3 * iqr)
				c[0]++;
			else if (v < q1 - 1.5 * iqr)
				c[1]++;
			else if (v > q3 + 3 * iqr)
				c[3]++;
			else if (v > q3 + 1.5 * iqr)
				c[2]++;
		}
		free(s);
	}
	*high_severe = c[3];
	return json_pack("{s:I, s:I, s:I, s:I}", "low_severe", (json_int_t)c[0], "low_mild",
	                 (json_int_t)c[1], "high_mild", (json_int_t)c[2], "high_severe",
	                 (json_int_t)c[3]);
}

static void warn(json_t *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(json_t *w, const char *fmt, ...)
{
	char line[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	json_array_append_new(w, json_string(line));
}

int qx_noise_summary_json(const struct qx_noise_input *in, json_t **out, struct qx_error *err)
{
	*out = NULL;
	if (in->n == 0 || in->rounds == 0)
		return qx_fail(err, QX_EINVAL, "noise summary: %zu samples in %zu rounds (expected "
		               "some)", in->n, in->rounds);
	struct qx_median_ci wall, cpu = { 0 };
	int rc = qx_stats_median_ci(in->wall_round_ms, in->rounds, QX_SPEEDUP_SEED, &wall, err);
	if (!rc && in->cpu_round_ms)
		rc = qx_stats_median_ci(in->cpu_round_ms, in->rounds, QX_SPEEDUP_SEED, &cpu, err);
	if (rc)
		return rc;
	json_t *o = json_object(), *w = json_array();
	json_object_set_new(o, "rounds", json_integer((json_int_t)in->rounds));
	json_object_set_new(o, "median_ci95", json_pack("[f, f]", wall.lo, wall.hi));
	double ratio = -1.0;
	const struct qx_median_ci *decide = &wall;
	if (in->cpu_round_ms && cpu.median > 0) {
		json_object_set_new(o, "cpu_median_ci95", json_pack("[f, f]", cpu.lo, cpu.hi));
		ratio = wall.median / cpu.median;
		json_object_set_new(o, "wall_over_cpu", json_real(ratio));
		json_object_set_new(o, "preempted", json_boolean(ratio > QX_PREEMPTED_WALL_OVER_CPU));
		if (ratio > QX_PREEMPTED_WALL_OVER_CPU)
			decide = &cpu;
	}
	json_object_set_new(o, "clock", json_string(decide == &cpu ? "cpu" : "wall"));
	double half = decide->median > 0 ? 50.0 * (decide->hi - decide->lo) / decide->median : 0.0;
	json_object_set_new(o, "ci95_half_width_percent", json_real(half));

	int64_t switches = 0;
	int known_switches = in->noise != NULL;
	double load = -1, busy = 0, steal = 0;
	size_t n_busy = 0;
	for (size_t r = 0; in->noise && r < in->rounds; r++) {
		const struct qx_noise_round *z = &in->noise[r];
		if (z->nivcsw < 0)
			known_switches = 0;
		else
			switches += z->nivcsw;
		if (z->load1 > load)
			load = z->load1;
		if (z->busy >= 0) {
			busy += z->busy;
			steal += z->steal;
			n_busy++;
		}
	}
	double per_inference = (double)switches / (double)in->n;
	if (known_switches)
		json_object_set_new(o, "nivcsw_per_inference", json_real(per_inference));
	if (load >= 0)
		json_object_set_new(o, "load1_max", json_real(load));
	if (n_busy) {
		busy /= (double)n_busy;
		steal /= (double)n_busy;
		json_object_set_new(o, "busy_mean", json_real(busy));
		json_object_set_new(o, "steal_mean", json_real(steal));
	}
	size_t severe;
	json_object_set_new(o, "outliers", outliers(in->wall_ms, in->n, &severe));

	int cpus = qx_noise_online_cpus();
	if (ratio > QX_PREEMPTED_WALL_OVER_CPU)
		warn(w, "preempted: wall time is %.2f x CPU time, other processes ran during the "
		     "inferences (compare decides on CPU time)", ratio);
	if (in->cv > NOISY_CV)
		warn(w, "unstable: cv %.0f%% (above %.0f%%)", 100 * in->cv, 100 * NOISY_CV);
	if ((double)severe > SEVERE_OUTLIERS_SHARE * (double)in->n)
		warn(w, "%zu of %zu inferences are severe slow outliers", severe, in->n);
	if (load > cpus)
		warn(w, "machine busy: load %.2f on %d CPUs", load, cpus);
	else if (n_busy && busy > BUSY_SHARE)
		warn(w, "machine busy: CPUs %.0f%% in use", 100 * busy);
	if (n_busy && steal > STEAL_SHARE)
		warn(w, "steal %.1f%%: the hypervisor ran other guests on these CPUs", 100 * steal);
	if (known_switches && per_inference > 0.5)
		warn(w, "%.1f involuntary context switches per inference", per_inference);
	if (in->ci_target_percent > 0 && half > in->ci_target_percent)
		warn(w, "imprecise: the median's 95%% interval is +-%.1f%% after %zu rounds (target "
		     "+-%g%%)", half, in->rounds, in->ci_target_percent);
	json_object_set_new(o, "warnings", w);
	*out = o;
	return 0;
}
