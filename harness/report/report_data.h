/* What report.html shows, read from one results.json (docs/results-format.md, docs/report.md).
 *
 * The file is opened and checked against the schema by the one results reader
 * (results/results_read.h, shared with compare and history): a part of the wrong type or value
 * refuses the file, naming its JSON path. The report is made after every results.json write, so
 * it copes with what the schema lets a run lack: interrupted runs, --no-measure runs (no
 * measurements). A missing optional part is shown as "–" or "not measured"; what cannot be
 * shown (a configuration that could not run, a second measurement of one configuration) is
 * listed in notes, which the page shows.
 *
 * Measurements are read from plugins[i].measurements[] and fp32.measurements[], in ms/batch
 * (the only unit results.json has). */
#ifndef QX_REPORT_DATA_H
#define QX_REPORT_DATA_H

#include <stdint.h>

#include <jansson.h>

#include "util/error.h"

struct qx_rep_meas {
	const char *kernels;       /* "" when absent */
	int threads, batch;        /* 0 when absent */
	double median_ms;          /* median time of one inference of one batch */
	double images_per_s;       /* as stored, else batch / median */
	int has_speedup;           /* speedup_vs_fp32 was in the file */
	double speedup;            /* its ratio (> 1: faster than fp32) */
	double speedup_lo, speedup_hi; /* its 95% interval; NaN when the file has none */
	double p99_ms, cv;         /* NaN when absent */
	double ci_lo_ms, ci_hi_ms; /* noise.median_ci95 (wall), NaN when absent */
	int preempted;             /* noise.preempted: 1, 0, -1 when absent */
	double load1;              /* noise.load1_max, NaN when absent */
	const char *warnings;      /* noise.warnings joined by "; " (owned), NULL when none */
};

struct qx_rep_kset {
	const char *name;
	int bit_identical;         /* 1, 0, or -1 when not recorded */
	int64_t checked_images;    /* -1 when not recorded */
	const char *mismatch;      /* where the logits differ, or NULL */
};

struct qx_rep_system {
	const char *label;         /* "fp32" for the baseline, else the plugin's label */
	int is_fp32;
	const char *error;         /* the plugin's error row, or NULL */
	const char *plugin_name, *plugin_version, *description; /* NULL when absent */
	const char *accuracy_kernels; /* the set accuracy was computed on, or NULL */
	int64_t images, correct;   /* -1 when absent */
	double accuracy;           /* top-1 percent; NaN when absent */
	double drop, drop_lo, drop_hi; /* fp32 minus this, percentage points; NaN when absent */
	double agreement;          /* percent of images predicted as fp32 does; NaN when absent */
	int64_t model_bytes;       /* -1 when absent */
	const char *trust;         /* trust.verdict: "trusted", "MISTRUSTED", "unchecked",
	                              "simulated" (no kernel runs the plan: no latency); NULL
	                              when absent (fp32, or a document from before the check) */
	const char *trust_reason;  /* trust.reason, or NULL */
	int64_t trust_images;      /* trust.images, -1 when absent */
	struct qx_rep_kset *ksets; /* in file order (fastest first) */
	int n_ksets;
	struct qx_rep_meas *meas;
	int n_meas;
	const char *same_plan_as;  /* the configuration whose plan this one shares (its accuracy
	                              and measurements are that one's), or NULL */
	int color;                 /* palette index: fp32 0; a plugin's from a hash of its label
	                              (qx_rep_color_of), so it keeps its colour from run to run */
};

struct qx_rep {
	json_t *root;              /* the document; every string below points into it */
	const char *path;          /* the results.json read (borrowed from the caller) */
	const char *tool, *started, *run_id; /* "" when absent */
	const char *suite_name, *suite_path, *model; /* "" when absent */
	int64_t suite_batch;       /* -1 when absent */
	json_t *machine;           /* borrowed from root; NULL when absent */
	struct qx_rep_system *sys; /* fp32 first when present, then plugins in file order */
	int n_sys;
	int has_fp32;
	int quick;                 /* "quick": true (qx-bench --quick) */
	char **notes;              /* what was left out, one line each */
	int n_notes;
};

/* Reads path. QX_ENOENT (no such file), QX_EINVAL (not JSON: path:line:column; not a results
 * document), QX_EUNSUPPORTED (newer schema_version), QX_ENOMEM. On failure r is left empty. */
int qx_rep_load(const char *path, struct qx_rep *r, struct qx_error *err);

/* The fp32 baseline, or NULL. */
const struct qx_rep_system *qx_rep_fp32(const struct qx_rep *r);

/* The first measurement of s with these kernels (NULL: any), threads and batch, or NULL. */
const struct qx_rep_meas *qx_rep_find(const struct qx_rep_system *s, const char *kernels,
                                      int threads, int batch);

/* Speedup of m (of system s) over fp32: the stored speedup_vs_fp32 when present (with its
 * interval), else median(fp32) / median(m) for fp32's measurement at the same threads and batch
 * (same kernels when fp32 has them, else fp32's own kernel set), without an interval.
 * Returns 0 and fills ratio/lo/hi (lo, hi NaN without interval), or -1 when there is no
 * fp32 measurement to compare with. */
int qx_rep_speedup(const struct qx_rep *r, const struct qx_rep_meas *m, double *ratio,
                   double *lo, double *hi);

/* The configuration latency is compared at, the same for every chart and the table: the
 * smallest batch measured, and 1 thread when measured at that batch, else the fewest threads.
 * Returns 0, or -1 when nothing was measured. */
int qx_rep_latency_config(const struct qx_rep *r, int *batch, int *threads);

/* The largest batch measured, or 0 when nothing was. */
int qx_rep_largest_batch(const struct qx_rep *r);

/* The kernel set names of all systems (kernel_sets[], then measurements), first seen first;
 * at most max, returns how many. The strings point into r. */
int qx_rep_kernel_names(const struct qx_rep *r, const char **names, int max);

/* Index of name in names[0..n), or -1. */
int qx_rep_name_index(const char *const *names, int n, const char *name);

/* The palette index (1.. QX_REP_COLORS) a plugin label hashes to (FNV-1a); labels that collide
 * in one run take the next free index, in label order, so the result does not depend on where
 * a plugin stands in the suite. */
#define QX_REP_COLORS 10
int qx_rep_color_of(const char *label);

/* path with "." segments and "dir/.." pairs removed, lexically (no file system access):
 * "suites/../results/x" becomes "results/x". Writes at most size bytes. */
void qx_rep_clean_path(const char *path, char *out, size_t size);

void qx_rep_free(struct qx_rep *r);

#endif
