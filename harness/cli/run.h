/* One suite run: load everything the suite names, evaluate fp32, then each plugin's int8 model. */
#ifndef QX_RUN_H
#define QX_RUN_H

#include <stdint.h>

#include "suite/suite.h"
#include "util/error.h"
#include "util/exit_status.h"

struct qx_run_options {
	int quiet;                 /* no progress on stderr */
	int verbose;               /* plugins' info and debug log lines, and the repro lines, too */
	int nightly;               /* --nightly: results.json's tag is "nightly", not "ad-hoc" */
	int64_t limit;             /* > 0: evaluate on at most this many images (overrides the suite) */
	const char *only_plugins;  /* comma-separated plugin labels to run, or NULL for all */
	int no_measure;            /* skip latency measurement */
	const char *results_dir;   /* overrides the suite's results folder, or NULL */
	const char *kernels;       /* comma-separated kernel sets overriding the suite's, or NULL */
	int threads[16], n_threads;   /* --threads: overrides measure.threads when n_threads > 0 */
	int batches[16], n_batches;   /* --batch: overrides measure.batch when n_batches > 0 */
	int sensitivity;           /* --sensitivity: every plugin's, as the suite's sensitivity: */
	int fallback;              /* --fallback B: every plugin gets fallback: { max_drop: B } */
	double fallback_max_drop;  /* points, >= 0 */
	int jobs;                  /* --jobs: threads for evaluation and the checks (0: every CPU
	                              this process may use, cli/evaluate.h); never for latency */
	int quick;                 /* --quick: a short interactive run, marked "quick" in results
	                              (qx_run_quick_suite says what it shortens) */
};

/* --quick's settings: at most QX_QUICK_IMAGES evaluation images, 1 thread and the suite's
 * smallest batch (unless --threads / --batch say otherwise), QX_QUICK_REPETITIONS rounds of
 * QX_QUICK_MIN_TIME_S seconds, at most QX_QUICK_CHECK_IMAGES images for the bit-exactness and
 * reference checks. Calibration is not shortened: it is part of what a sweep compares. */
#define QX_QUICK_IMAGES 2000
#define QX_QUICK_REPETITIONS 3
#define QX_QUICK_MIN_TIME_S 0.02
#define QX_QUICK_CHECK_IMAGES 128

/* Fills *quick with a shallow copy of suite shortened as above (it borrows suite's strings and
 * arrays: free only suite) and *qopt with opt, its limit lowered to QX_QUICK_IMAGES. */
void qx_run_quick_suite(const struct qx_suite *suite, const struct qx_run_options *opt,
                        struct qx_suite *quick, struct qx_run_options *qopt);

/* The width of the run tables' label column for this suite and these options. */
int qx_run_label_width(const struct qx_suite *s, const struct qx_run_options *opt);

/* Runs one loaded suite. Returns an exit status (enum qx_exit); on QX_EXIT_USAGE or
 * QX_EXIT_INTERNAL err holds the one-line reason. Prints the result table on stdout. */
int qx_run_suite(const struct qx_suite *suite, const struct qx_run_options *opt,
                 struct qx_error *err);

#endif
