/* How far one measurement can be trusted: the "noise" object of a results.json measurement
 * (docs/measurement.md, "Noise"), made from its samples and what the machine did per round.
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

#include <jansson.h>

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

/* *out: a new reference. QX_EINVAL when n or rounds is 0; QX_ENOMEM. */
int qx_noise_summary_json(const struct qx_noise_input *in, json_t **out, struct qx_error *err);

#endif
