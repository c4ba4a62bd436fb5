/* The latency phase of a run: every (model, kernel set) the run evaluated is timed at each of
 * the suite's batch sizes and thread counts. Within one (batch, threads) group the
 * configurations are measured interleaved: repetition r of every configuration runs, in an
 * order shuffled with a fixed seed, before repetition r + 1 of any, so slow drift of the machine
 * hits fp32 and every int8 model alike and their ratios share the noise. */
#ifndef QX_MEASURE_RUN_H
#define QX_MEASURE_RUN_H

#include <stdio.h>

#include "data/dataset.h"
#include "kernels.h"
#include "measure/latency.h"
#include "measure/stats.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "suite/suite.h"

/* One model to time: fp32 (plan NULL) or a plugin's int8 model. */
struct qx_measure_model {
	const char *label;                  /* "fp32" or the plugin's label */
	const struct qx_quant_plan *plan;   /* NULL for fp32 */
};

/* One measurement of one model, as measured() gets it (results/results_latency.c records it). */
struct qx_measurement {
	const char *kernels;
	int threads;
	int64_t batch;
	const char *error;                       /* set: it could not run, and why */
	const struct qx_latency_record *latency; /* set otherwise */
	const struct qx_speedup *speedup;        /* against fp32 on the same set, or NULL */
	int test_slowed;                         /* QX_TEST_SLOW_MEASUREMENT made each inference run twice */
	const char *parallel;                    /* how the threads shared the batch: "none", "rows"
	                                            or "images" (measure/runner.h); NULL with error */
};

struct qx_measure_request {
	const struct qx_suite *suite;
	struct qx_graph *graph;
	const struct qx_dataset *data;      /* the images timed (the first batch of them) */
	const struct qx_measure_model *models;
	int n_models;
	const struct qx_kernels *const *sets;
	int n_sets;
	const int *threads, *batches;       /* the suite's lists, or the command line's */
	int n_threads, n_batches;
	const char *gbench_json_path;       /* Google Benchmark JSON of every measurement */
	const char *repro_prefix;           /* "qx-bench <suite> <options>" for the repro lines */
	FILE *repro_file;                   /* the repro lines go here (NULL: nowhere) ... */
	int repro_stdout;                   /* ... and on stdout too when set (--verbose) */
	int quiet;
	int label_width;                    /* the rows' label column (0: 20 characters) */
	/* Called with each measurement of models[model], once its group is done. */
	int (*measured)(void *arg, int model, const struct qx_measurement *m, struct qx_error *err);
	/* Called after each (batch, threads) group, so results can be saved as they come. */
	int (*group_done)(void *arg, struct qx_error *err);
	void *arg;
};

/* Measures everything, prints one row per measurement on stdout and one repro line (the
 * command that measures that configuration alone) where repro_file / repro_stdout say, and
 * hands each measurement (latency.h's record and, for int8 models, the speedup against fp32 on
 * the same kernel set, threads and batch) to measured(). A configuration that cannot run (more
 * threads than cores) is a measurement with an error and counts in *failures. Returns 0 or an error that stops the run. */
int qx_measure_all(const struct qx_measure_request *req, int *failures, struct qx_error *err);

#endif
