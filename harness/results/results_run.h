/* results.json's run-wide keys that the run flow (cli/run.c) fills after qx_results_begin:
 * "options", "quick", "fp32", "labels" and "gbench_json" (docs/results-format.md). */
#ifndef QX_RESULTS_RUN_H
#define QX_RESULTS_RUN_H

#include <stdint.h>

#include <jansson.h>

#include "results/results.h"
#include "util/phase_clock.h"

/* The command line's overrides of the suite, so results.json says what actually ran. */
struct qx_results_options {
	int64_t limit;                  /* --limit; 0: all images */
	const char *plugins;            /* --plugins, or NULL */
	const char *kernels;            /* --kernels, or NULL */
	const int *threads;             /* --threads */
	int n_threads;
	const int *batch;               /* --batch */
	int n_batch;
	int no_measure;                 /* --no-measure */
	const char *const *kernel_sets_run;  /* the sets the run chose, fastest first */
	int n_kernel_sets_run;
	int sensitivity;                /* --sensitivity */
	int fallback;                   /* --fallback given ... */
	double fallback_max_drop;       /* ... with this budget (points) */
	int quick;                      /* --quick */
	int eval_threads;               /* --jobs, or the CPUs evaluation may use (>= 1) */
};

/* "options", then "quick". */
void qx_results_options(struct qx_results *r, const struct qx_results_options *o);

/* The fp32 baseline on the fastest kernel set, on the run's images. */
struct qx_results_fp32 {
	const char *kernels;
	int64_t images, correct;
	int64_t model_bytes;
	double eval_seconds;
	const uint8_t *predictions;     /* images of them */
	const uint8_t *labels;          /* the dataset's ... */
	int64_t n_labels;               /* ... as many as the run reads (= images) */
};

/* "fp32" (with an empty "measurements" the latency phase fills) and "labels". Returns the
 * "fp32" object, for qx_results_add_measurement (borrowed). */
json_t *qx_results_fp32(struct qx_results *r, const struct qx_results_fp32 *f);

/* "gbench_json": the run's Google Benchmark file. */
void qx_results_gbench_json(struct qx_results *r, const char *path);

/* "timing": the run's wall and CPU seconds so far and each phase's (util/phase_clock.h; only
 * the phases that took time), as of the clock's last update. */
void qx_results_timing(struct qx_results *r, const struct qx_phase_clock *c);

#endif
