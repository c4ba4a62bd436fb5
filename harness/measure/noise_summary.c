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
 * quartiles. Slow outliers are preempted or interrupted inferences; fast ones are rare.
 * c: low_severe, low_mild, high_mild, high_severe. */
static void outliers(const double *x, size_t n, int64_t c[4])
{
	double *s = malloc(n * sizeof *s);
	c[0] = c[1] = c[2] = c[3] = 0;
	if (!s)
		return;
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

static void warn(struct qx_noise_summary *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void warn(struct qx_noise_summary *o, const char *fmt, ...)
{
	if (o->n_warnings == QX_NOISE_MAX_WARNINGS)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(o->warnings[o->n_warnings++], QX_NOISE_WARNING_LEN, fmt, ap);
	va_end(ap);
}

int qx_noise_summarize(const struct qx_noise_input *in, struct qx_noise_summary *o,
                       struct qx_error *err)
{
	memset(o, 0, sizeof *o);
	if (in->n == 0 || in->rounds == 0)
		return qx_fail(err, QX_EINVAL, "noise summary: %zu samples in %zu rounds (expected "
		               "some)", in->n, in->rounds);
	struct qx_median_ci wall, cpu = { 0 };
	int rc = qx_stats_median_ci(in->wall_round_ms, in->rounds, QX_SPEEDUP_SEED, &wall, err);
	if (!rc && in->cpu_round_ms)
		rc = qx_stats_median_ci(in->cpu_round_ms, in->rounds, QX_SPEEDUP_SEED, &cpu, err);
	if (rc)
		return rc;
	o->rounds = in->rounds;
	o->median_lo = wall.lo;
	o->median_hi = wall.hi;
	double ratio = -1.0;
	const struct qx_median_ci *decide = &wall;
	if (in->cpu_round_ms && cpu.median > 0) {
		o->has_cpu = 1;
		o->cpu_lo = cpu.lo;
		o->cpu_hi = cpu.hi;
		ratio = wall.median / cpu.median;
		o->wall_over_cpu = ratio;
		o->preempted = ratio > QX_PREEMPTED_WALL_OVER_CPU;
		if (ratio > QX_PREEMPTED_WALL_OVER_CPU)
			decide = &cpu;
	}
	o->clock_cpu = decide == &cpu;
	double half = decide->median > 0 ? 50.0 * (decide->hi - decide->lo) / decide->median : 0.0;
	o->half_width_percent = half;

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
	o->has_switches = known_switches;
	o->nivcsw_per_inference = per_inference;
	o->load1_max = load;
	if (n_busy) {
		busy /= (double)n_busy;
		steal /= (double)n_busy;
		o->has_busy = 1;
		o->busy_mean = busy;
		o->steal_mean = steal;
	}
	outliers(in->wall_ms, in->n, o->outliers);
	int64_t severe = o->outliers[3];

	int cpus = qx_noise_online_cpus();
	if (ratio > QX_PREEMPTED_WALL_OVER_CPU)
		warn(o, "preempted: wall time is %.2f x CPU time, other processes ran during the "
		     "inferences (compare decides on CPU time)", ratio);
	if (in->cv > NOISY_CV)
		warn(o, "unstable: cv %.0f%% (above %.0f%%)", 100 * in->cv, 100 * NOISY_CV);
	if ((double)severe > SEVERE_OUTLIERS_SHARE * (double)in->n)
		warn(o, "%zu of %zu inferences are severe slow outliers", (size_t)severe, in->n);
	if (load > cpus)
		warn(o, "machine busy: load %.2f on %d CPUs", load, cpus);
	else if (n_busy && busy > BUSY_SHARE)
		warn(o, "machine busy: CPUs %.0f%% in use", 100 * busy);
	if (n_busy && steal > STEAL_SHARE)
		warn(o, "steal %.1f%%: the hypervisor ran other guests on these CPUs", 100 * steal);
	if (known_switches && per_inference > 0.5)
		warn(o, "%.1f involuntary context switches per inference", per_inference);
	if (in->ci_target_percent > 0 && half > in->ci_target_percent)
		warn(o, "imprecise: the median's 95%% interval is +-%.1f%% after %zu rounds (target "
		     "+-%g%%)", half, in->rounds, in->ci_target_percent);
	return 0;
}
