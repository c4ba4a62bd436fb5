/* Statistics of latency samples and the tests `qx-bench compare` bases its verdicts on.
 *
 * Every distribution function (normal, binomial, chi-square) comes from GSL; quantiles use GSL's
 * linear interpolation between order statistics, which is numpy's default and R's type 7.
 * stats.c: summaries and speedup; significance.c: Mann-Whitney U and McNemar. */
#ifndef QX_MEASURE_STATS_H
#define QX_MEASURE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* What one measurement's samples look like. Units are the samples' units (cv has none). */
struct qx_summary {
	size_t n;
	double min, max;
	double mean;
	double median;             /* the 0.5 quantile, as below */
	double stddev;             /* sample standard deviation (divides by n - 1); 0 when n == 1 */
	double p90, p99;           /* quantiles: x[i] + d (x[i+1] - x[i]), i + d = (n - 1) q, x sorted */
	double cv;                 /* coefficient of variation, stddev / mean (Google Benchmark's cv) */
};

/* Summarizes n samples (does not keep or change x). QX_EINVAL when n == 0 or a sample is not a
 * finite number (the message gives its index); QX_ENOMEM. */
int qx_stats_summarize(const double *x, size_t n, struct qx_summary *out, struct qx_error *err);

#define QX_SPEEDUP_RESAMPLES 2000
#define QX_SPEEDUP_SEED 20240611UL

/* Speedup of A over B from two sets of times (e.g. interleaved repetitions of A and B, so
 * that slow drift of the machine hits both): ratio = median(B) / median(A), > 1 when A is
 * faster. The 95% interval is a percentile bootstrap of that ratio: QX_SPEEDUP_RESAMPLES
 * resamples, each drawing A and B independently with replacement from GSL's MT19937 seeded
 * with QX_SPEEDUP_SEED, so the same samples always give the same interval; lo and hi are the
 * 2.5% and 97.5% quantiles of the resampled ratios. */
struct qx_speedup {
	double ratio;
	double lo, hi;
	int resamples;
	unsigned long seed;
};

/* QX_EINVAL when a side is empty or a time is not finite and positive; QX_ENOMEM. */
int qx_stats_speedup(const double *a, size_t na, const double *b, size_t nb,
                     struct qx_speedup *out, struct qx_error *err);

/* The median of n values (e.g. one measurement's per-round medians) with a 95% percentile-
 * bootstrap interval: QX_SPEEDUP_RESAMPLES resamples with replacement from MT19937 seeded with
 * seed (the same values always give the same interval). Rounds, not single inferences, are
 * what is resampled when x holds round medians: inferences within a round share the machine's
 * state (another process's time slice, the clock), so they are not independent draws, while
 * interleaved rounds are much closer to it (Kalibera and Jones: resample at the level whose
 * variation dominates). QX_EINVAL when n == 0 or a value is not finite; QX_ENOMEM. */
struct qx_median_ci {
	double median, lo, hi;
};

int qx_stats_median_ci(const double *x, size_t n, unsigned long seed, struct qx_median_ci *out,
                       struct qx_error *err);

/* Median of the ratio median(b) / median(a) with a 95% percentile-bootstrap interval, resampling
 * a and b independently (same generator and seed rule as above). Times must be positive. */
int qx_stats_ratio_ci(const double *a, size_t na, const double *b, size_t nb, unsigned long seed,
                      struct qx_median_ci *out, struct qx_error *err);

/* Mann-Whitney U test (Wilcoxon rank-sum), two-sided, normal approximation with tie and
 * continuity correction, the formula of scipy.stats.mannwhitneyu(a, b, use_continuity=True,
 * alternative="two-sided", method="asymptotic") (Google Benchmark's compare.py calls
 * mannwhitneyu; scipy's default method="auto" switches to the exact distribution when both
 * sides have fewer than 8 samples and no ties, which this function does not):
 *   ranks of the pooled samples, ties get their average rank; R1 = sum of A's ranks;
 *   u = U1 = R1 - na (na + 1) / 2; U = max(U1, na nb - U1);
 *   s = sqrt(na nb / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))), t = sizes of tie groups;
 *   z = (U - na nb / 2 - 0.5) / s;  p = min(1, 2 Q(z)), Q the standard normal tail (GSL).
 * When s == 0 (every sample equal) there is no evidence of a difference: z = 0, p = 1. */
struct qx_mann_whitney {
	double u;                  /* U1: pairs (a_i, b_j) with a_i > b_j, ties counting 1/2 */
	double z;
	double p;
};

/* QX_EINVAL when a side is empty or a sample is not finite; QX_ENOMEM. */
int qx_stats_mann_whitney(const double *a, size_t na, const double *b, size_t nb,
                          struct qx_mann_whitney *out, struct qx_error *err);

/* McNemar's test on paired predictions: b = images right only before (only in OLD), c = images
 * right only after. Below QX_MCNEMAR_EXACT_BELOW discordant images (b + c) it is the exact
 * binomial test, p = min(1, 2 P(X <= min(b, c))), X ~ Binomial(b + c, 1/2) (GSL's
 * gsl_cdf_binomial_P), statistic = min(b, c) (statsmodels' mcnemar(exact=True)); from there on
 * the chi-square test with continuity correction, statistic = (|b - c| - 1)^2 / (b + c) and
 * p = gsl_cdf_chisq_Q(statistic, 1) (statsmodels' mcnemar(exact=False, correction=True)).
 * b + c == 0: statistic 0, p = 1. */
#define QX_MCNEMAR_EXACT_BELOW 25

struct qx_mcnemar {
	int64_t b, c;
	int exact;                 /* 1: binomial test, 0: chi-square */
	double statistic;
	double p;
};

/* QX_EINVAL when b or c is negative or b + c does not fit GSL's unsigned int. */
int qx_stats_mcnemar(int64_t b, int64_t c, struct qx_mcnemar *out, struct qx_error *err);

#endif
