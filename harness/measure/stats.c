#include "measure/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

static int check_finite(const double *x, size_t n, const char *what, struct qx_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return qx_fail(err, QX_EINVAL, "%s[%zu]: sample is %g (expected a finite number)",
			               what, i, x[i]);
	return 0;
}

int qx_stats_summarize(const double *x, size_t n, struct qx_summary *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return qx_fail(err, QX_EINVAL, "samples: none (expected at least one)");
	int rc = check_finite(x, n, "samples", err);
	if (rc)
		return rc;
	double *s = malloc(n * sizeof *s);
	if (!s)
		return qx_fail_nomem(err, "summarizing samples");
	memcpy(s, x, n * sizeof *s);
	gsl_sort(s, 1, n);
	out->n = n;
	out->min = s[0];
	out->max = s[n - 1];
	out->mean = gsl_stats_mean(s, 1, n);
	out->median = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.5);
	out->p90 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.90);
	out->p99 = gsl_stats_quantile_from_sorted_data(s, 1, n, 0.99);
	out->stddev = n > 1 ? gsl_stats_sd_m(s, 1, n, out->mean) : 0.0;
	out->cv = out->mean != 0.0 ? out->stddev / out->mean : 0.0;
	free(s);
	return 0;
}

static int check_times(const double *x, size_t n, const char *what, struct qx_error *err)
{
	if (n == 0)
		return qx_fail(err, QX_EINVAL, "%s: no times (expected at least one)", what);
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]) || x[i] <= 0.0)
			return qx_fail(err, QX_EINVAL, "%s[%zu]: time is %g (expected a positive "
			               "finite number)", what, i, x[i]);
	return 0;
}

/* Median of n draws with replacement from x; buf has room for n. */
static double resampled_median(gsl_rng *rng, const double *x, size_t n, double *buf)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = x[gsl_rng_uniform_int(rng, n)];
	return gsl_stats_median(buf, 1, n);
}

int qx_stats_speedup(const double *a, size_t na, const double *b, size_t nb,
                     struct qx_speedup *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = check_times(a, na, "A", err);
	if (!rc)
		rc = check_times(b, nb, "B", err);
	if (rc)
		return rc;
	double *buf = malloc((na > nb ? na : nb) * sizeof *buf);
	double *ratios = malloc(QX_SPEEDUP_RESAMPLES * sizeof *ratios);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!buf || !ratios || !rng) {
		free(buf);
		free(ratios);
		if (rng)
			gsl_rng_free(rng);
		return qx_fail_nomem(err, "bootstrapping a speedup");
	}
	memcpy(buf, a, na * sizeof *buf);
	double med_a = gsl_stats_median(buf, 1, na);
	memcpy(buf, b, nb * sizeof *buf);
	double med_b = gsl_stats_median(buf, 1, nb);
	out->ratio = med_b / med_a;

	gsl_rng_set(rng, QX_SPEEDUP_SEED);
	for (int r = 0; r < QX_SPEEDUP_RESAMPLES; r++) {
		double ma = resampled_median(rng, a, na, buf);
		double mb = resampled_median(rng, b, nb, buf);
		ratios[r] = mb / ma;
	}
	gsl_sort(ratios, 1, QX_SPEEDUP_RESAMPLES);
	out->lo = gsl_stats_quantile_from_sorted_data(ratios, 1, QX_SPEEDUP_RESAMPLES, 0.025);
	out->hi = gsl_stats_quantile_from_sorted_data(ratios, 1, QX_SPEEDUP_RESAMPLES, 0.975);
	out->resamples = QX_SPEEDUP_RESAMPLES;
	out->seed = QX_SPEEDUP_SEED;
	free(buf);
	free(ratios);
	gsl_rng_free(rng);
	return 0;
}

/* Shared by both bootstraps: ratio of resampled medians, or one resampled median when a is
 * NULL. */
static int bootstrap(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
                     struct qx_median_ci *out, struct qx_error *err)
{
	double *buf = malloc((na > nb ? na : nb) * sizeof *buf);
	double *stat = malloc(QX_SPEEDUP_RESAMPLES * sizeof *stat);
	gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
	if (!buf || !stat || !rng) {
		free(buf);
		free(stat);
		if (rng)
			gsl_rng_free(rng);
		return qx_fail_nomem(err, "bootstrapping a median");
	}
	memcpy(buf, b, nb * sizeof *buf);
	double mb = gsl_stats_median(buf, 1, nb), ma = 1.0;
	if (a) {
		memcpy(buf, a, na * sizeof *buf);
		ma = gsl_stats_median(buf, 1, na);
	}
	out->median = mb / ma;
	gsl_rng_set(rng, seed);
	for (int r = 0; r < QX_SPEEDUP_RESAMPLES; r++) {
		double ra = a ? resampled_median(rng, a, na, buf) : 1.0;
		stat[r] = resampled_median(rng, b, nb, buf) / ra;
	}
	gsl_sort(stat, 1, QX_SPEEDUP_RESAMPLES);
	out->lo = gsl_stats_quantile_from_sorted_data(stat, 1, QX_SPEEDUP_RESAMPLES, 0.025);
	out->hi = gsl_stats_quantile_from_sorted_data(stat, 1, QX_SPEEDUP_RESAMPLES, 0.975);
	free(buf);
	free(stat);
	gsl_rng_free(rng);
	return 0;
}

int qx_stats_median_ci(const double *x, size_t n, unsigned long seed, struct qx_median_ci *out,
                       struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return qx_fail(err, QX_EINVAL, "median interval: no values (expected at least one)");
	int rc = check_finite(x, n, "values", err);
	return rc ? rc : bootstrap(NULL, 0, x, n, seed, out, err);
}

int qx_stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
                      struct qx_median_ci *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	int rc = check_times(a, na, "A", err);
	if (!rc)
		rc = check_times(b, nb, "B", err);
	return rc ? rc : bootstrap(a, na, b, nb, seed, out, err);
}
