/* Latency measurement through Google Benchmark (Debian's libbenchmark 1.7.1), from C.
 *
 * qx_gbench_measure registers one benchmark that calls spec->run_once once per iteration, runs
 * it with MinWarmUpTime(warmup_s), MinTime(min_time_s), Repetitions(repetitions) and
 * UseRealTime() (wall-clock time, which is what a user waits for; CPU time would miss the
 * worker threads), and captures, through a reporter of its own:
 *   - Google Benchmark's real time per iteration of every repetition (rep_real_s);
 *   - every single call's time, taken by the shim with clock_gettime(CLOCK_MONOTONIC) around
 *     each run_once (samples_s), and the calling thread's CPU time of that call
 *     (CLOCK_THREAD_CPUTIME_ID, cpu_samples_s): time slices lost to other processes show in
 *     the first only. Google Benchmark keeps no per-iteration samples and its
 *     repetition means hide the tail, so the statistics (median, p99, Mann-Whitney) use these.
 * Google Benchmark first grows the iteration count until one repetition lasts min_time_s and
 * discards those probing runs (and the warm-up); samples_s holds only the calls of the reported
 * repetitions, rep_first_sample[r] .. rep_first_sample[r + 1] being repetition r's.
 *
 * The benchmark runs on the calling thread (Google Benchmark runs thread 0 of a benchmark on
 * its caller), so a caller pinned by qx_pool_create stays pinned while it is measured.
 *
 * Google Benchmark's context warnings (CPU frequency scaling enabled, library built as debug)
 * are printed on stderr as "qx-bench: google-benchmark: ***WARNING*** ..." and returned in
 * warnings. With json_path, Google Benchmark's own JSONReporter writes the measurement there
 * (its schema: "context" + "benchmarks", per-repetition entries and the mean/median/stddev/cv
 * aggregates), so Google Benchmark's tools/compare.py can compare two such files.
 *
 * Google Benchmark is a process-wide singleton: the shim calls benchmark::Initialize once
 * (with flags that neutralize BENCHMARK_* environment variables that would change what is
 * measured or where output goes), and serializes calls with a mutex. */
#ifndef QX_MEASURE_GBENCH_SHIM_H
#define QX_MEASURE_GBENCH_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* util/error.h has no C++ guards of its own: included here, inside the block, its functions
 * get C linkage in the shim too. */
#ifdef __cplusplus
extern "C" {
#endif

#include "util/error.h"

struct qx_gbench_spec {
	const char *name;          /* benchmark name in Google Benchmark's output, not empty,
	                            * e.g. "minmax/vnni/threads:2/batch:1" */
	int (*run_once)(void *ctx);/* one inference of one batch: 0, or a negative QX_E* code
	                            * that stops the measurement (ctx keeps the details) */
	void *ctx;                 /* passed to run_once; only used during the call */
	double warmup_s;           /* untimed warm-up before the first repetition, >= 0 */
	double min_time_s;         /* each repetition runs at least this long, > 0 */
	int repetitions;           /* >= 1 */
	const char *json_path;     /* Google Benchmark JSON written here, or NULL for none */
	int console;               /* also print Google Benchmark's console table on stderr */
	int quiet;                 /* print no context warning on stderr (qx-bench -q); they are
	                            * still returned in the result */
};

struct qx_gbench_result {
	int repetitions;           /* as reported, == spec->repetitions */
	double *rep_real_s;        /* per repetition: real time per iteration, seconds (GB's) */
	int64_t *rep_iterations;   /* per repetition: iterations (the same for every repetition of
	                            * one call; qx-bench calls once per round with repetitions 1,
	                            * so its rounds' counts differ: docs/measurement.md) */
	double *samples_s;         /* per call of run_once in reported repetitions, seconds */
	double *cpu_samples_s;     /* the same calls' CPU time of the calling thread
	                            * (CLOCK_THREAD_CPUTIME_ID), seconds: n_samples of them */
	size_t n_samples;
	size_t *rep_first_sample;  /* repetitions + 1 offsets into samples_s */
	char **warnings;           /* Google Benchmark's context warnings, one per string */
	int n_warnings;
	int cpu_scaling_enabled;   /* 1 enabled, 0 disabled, -1 unknown (Google Benchmark's view) */
};

/* Measures. On success *out owns its arrays (qx_gbench_result_free). On failure *out is empty
 * and err says why:
 *   QX_EINVAL  a spec field out of range (named in the message);
 *   QX_EIO     json_path cannot be written;
 *   run_once's own negative code when it fails ("<name>: inference failed in repetition r");
 *   QX_ENOMEM, or QX_EINTERNAL when Google Benchmark reports something the shim did not
 *   expect (the message quotes it). */
int qx_gbench_measure(const struct qx_gbench_spec *spec, struct qx_gbench_result *out,
                      struct qx_error *err);

void qx_gbench_result_free(struct qx_gbench_result *r);

#ifdef __cplusplus
}
#endif

#endif
