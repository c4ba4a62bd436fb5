/* How far one measurement can be trusted: the numbers behind the "noise" object of a
 * results.json measurement (docs/measurement.md, "Noise"), made from its samples and what the
 * machine did per round. results/results_latency.c writes them as:
 *
 *   {"rounds": R,
 *    "clock": "wall" | "cpu"   what compare decides on (CPU time when preempted),
 *    "median_ci95": [lo, hi], "cpu_median_ci95": [lo, hi]   ms, bootstrap over round medians,
 *    "ci95_half_width_percent": on that clock, percent of its median,
 *    "wall_over_cpu": median over rounds of wall / CPU time, "preempted": above 1.05,
 *    "nivcsw_per_inference", "load1_max", "busy_mean", "steal_mean" (when known),
 *    "outliers": {"low_severe", "low_mild", "high_mild", "high_severe"}   Tukey's fences
 *                (1.5 and 3 interquartile ranges beyond the quartiles), counts of samples,
 *    "warnings": ["...", ...]   pyperf-style, in words: why the numbers may not hold}
 *
 * Fields that need CPU times are absent without them. */
#ifndef QX_MEASURE_NOISE_SUMMARY_H
#define QX_MEASURE_NOISE_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "measure/noise.h"
#include "util/error.h"

struct qx_noise_input {
	const double *wall_ms;     /* n per-inference wall times */
	const double *cpu_ms;      /* n per-inference CPU times, or NULL */
	size_t n;
	const double *wall_round_ms;   /* rounds medians */
	const double *cpu_round_ms;    /* rounds medians, or NULL */
	size_t rounds;
	const struct qx_noise_round *noise; /* rounds records, or NULL */
	double cv;                 /* of the wall samples */
	double ci_target_percent;  /* the precision the rounds aimed at; 0: none */
};

/* Warnings a summary can hold: one per kind below, and a line each. */
#define QX_NOISE_MAX_WARNINGS 8
#define QX_NOISE_WARNING_LEN 300

/* What the summary says; "has_*" is 0 where the input did not have what a field needs. */
struct qx_noise_summary {
	size_t rounds;
	double median_lo, median_hi;    /* wall clock, ms */
	int has_cpu;                    /* CPU-time round medians were given (and positive) */
	double cpu_lo, cpu_hi;          /* ms */
	double wall_over_cpu;
	int preempted;                  /* wall_over_cpu above QX_PREEMPTED_WALL_OVER_CPU */
	int clock_cpu;                  /* what compare decides on: CPU time (1) or wall time (0) */
	double half_width_percent;      /* on that clock */
	int has_switches;
	double nivcsw_per_inference;
	double load1_max;               /* < 0: unknown */
	int has_busy;
	double busy_mean, steal_mean;
	int64_t outliers[4];            /* low_severe, low_mild, high_mild, high_severe */
	int n_warnings;
	char warnings[QX_NOISE_MAX_WARNINGS][QX_NOISE_WARNING_LEN];
};

/* QX_EINVAL when n or rounds is 0; what the median's interval returns. */
int qx_noise_summarize(const struct qx_noise_input *in, struct qx_noise_summary *out,
                       struct qx_error *err);

#endif
