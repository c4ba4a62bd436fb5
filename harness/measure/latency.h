/* One latency measurement: Google Benchmark runs the inference (gbench_shim.h), stats.h
 * summarizes the per-inference times (struct qx_latency_record), and results/results_latency.c
 * writes it as the object in plugins[i].measurements[] (or fp32.measurements[]):
 *
 *   {"kernels": "vnni", "threads": 1, "batch": 1, "unit": "ms/batch",
 *    "n": all timed inferences, "median", "mean", "stddev", "p90", "p99", "cv", "min", "max",
 *    "samples": [ms per inference, in time order; at most max_samples of them],
 *    "samples_thinned": true when samples holds an evenly spaced subset of the n inferences,
 *    "cpu_samples": [the same inferences' CPU time of the calling thread, ms],
 *    "cpu": {"median", "mean", "p99", "cv"} of all n CPU times,
 *    "repetitions": [{"iterations", "real_ms" (Google Benchmark's time per iteration),
 *                     "median" (of that repetition's inferences, ms), "cpu_median",
 *                     "nivcsw", "busy", "steal", "load1" (measure/noise.h; absent when
 *                     unknown)}...],
 *    "noise": what measure/noise_summary.c makes of it (docs/measurement.md),
 *    "warmup_s", "min_time_s", "gbench_name", "gbench_json" (path, when written),
 *    "cpu_scaling": true | false | null (unknown), "warnings": [Google Benchmark's],
 *    "pool": {"threads", "pinned", "policy", "pus"} (when the spec names the pool)}
 *
 * Every time is in milliseconds per batch (one inference processes one batch), the unit named
 * by "unit"; the statistics are computed from all n inferences, before any thinning. */
#ifndef QX_MEASURE_LATENCY_H
#define QX_MEASURE_LATENCY_H

#include <stddef.h>

#include "measure/gbench_shim.h"
#include "measure/noise.h"
#include "measure/noise_summary.h"
#include "measure/stats.h"
#include "exec/pool.h"
#include "util/error.h"

/* Samples kept in results.json when the spec does not say: enough for medians, p99 and
 * Mann-Whitney, small enough that results.json stays readable (~100 KB per measurement). */
#define QX_LATENCY_MAX_SAMPLES 10000

struct qx_latency_spec {
	const char *system;        /* plugin label, or "fp32" */
	const char *kernels;       /* kernel set name, e.g. "vnni" */
	int threads;               /* pool threads during the measurement, >= 1 */
	int batch;                 /* images per inference, >= 1 */
	int (*run_once)(void *ctx);/* one inference of one batch (see gbench_shim.h) */
	void *ctx;
	double warmup_s;           /* >= 0 */
	double min_time_s;         /* per repetition, > 0 */
	int repetitions;           /* >= 1 */
	const char *gbench_json_path; /* Google Benchmark JSON written here, or NULL */
	size_t max_samples;        /* samples kept in the JSON; 0 means QX_LATENCY_MAX_SAMPLES */
	const struct qx_pool *pool;/* the pool run_once uses, or NULL: when set, its threads must
	                            * equal threads, and results.json records it as "pool" */
	const struct qx_noise_round *noise; /* per repetition (round): what the machine did, or
	                            * NULL; only read during qx_latency_summarize */
	double ci_target_percent;  /* the precision the rounds aimed at (for the noise warnings) */
};

/* Per-repetition medians of res's samples in ms: wall time (cpu == 0) or the calling thread's
 * CPU time (cpu != 0) into out[res->repetitions]; a repetition without samples gets 0.
 * QX_ENOMEM. */
int qx_latency_round_medians(const struct qx_gbench_result *res, int cpu, double *out);

/* Google Benchmark's name for a measurement: "<system>/<kernels>/threads:<t>/batch:<b>"
 * (tools/compare.py matches benchmarks by name). Writes at most size bytes; returns 0, or
 * QX_EINVAL when it does not fit. */
int qx_latency_name(const struct qx_latency_spec *spec, char *buf, size_t size,
                    struct qx_error *err);

/* What one measurement found, in ms per batch: the summaries of all n samples, each round's
 * median, and the noise summary. It points into spec and res, which must outlive it. */
struct qx_latency_record {
	const struct qx_latency_spec *spec;
	const struct qx_gbench_result *res;
	char name[512];            /* qx_latency_name */
	size_t max_samples;        /* the spec's, or QX_LATENCY_MAX_SAMPLES */
	double *ms;                /* res->n_samples wall times, in time order */
	double *cpu_ms;            /* the same inferences' CPU times, or NULL when res has none */
	double *wall_round_ms;     /* res->repetitions medians */
	double *cpu_round_ms;      /* res->repetitions medians (of CPU time; unused without it) */
	struct qx_summary wall;
	struct qx_summary cpu;     /* zero without CPU times */
	struct qx_noise_summary noise;
};

/* Checks the spec and measures; *res gets Google Benchmark's result (qx_gbench_result_free).
 * Errors are qx_gbench_measure's, plus QX_EINVAL for threads or batch < 1 or threads other
 * than the pool's. */
int qx_latency_measure(const struct qx_latency_spec *spec, struct qx_gbench_result *res,
                       struct qx_error *err);

/* The record of an existing Google Benchmark result (separate from measuring so it can be
 * tested without timing anything). QX_EINVAL as qx_latency_measure; QX_ENOMEM. */
int qx_latency_summarize(const struct qx_latency_spec *spec, const struct qx_gbench_result *res,
                         struct qx_latency_record *out, struct qx_error *err);
void qx_latency_record_free(struct qx_latency_record *r);

#endif
