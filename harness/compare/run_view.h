/* The view of one results.json that `qx-bench compare` and `qx-bench history` work on.
 *
 * The file is opened and checked against the schema by the one results reader
 * (results/results_read.h), which refuses what the schema refuses. A part the schema lets a
 * partial run lack (predictions, samples, the machine description) is not an error but a
 * note, so that results from interrupted runs can still be compared as far as they go.
 *
 * Shape read (docs/nightly.md lists it):
 *   schema_version, run_id, started, tag, state, interrupted, interrupted_by, exit_status,
 *   suite {name, model}, machine {...}, labels [...],
 *   fp32 {images, correct, accuracy, predictions [...], measurements [...]},
 *   plugins [{label, error | images, correct, accuracy, predictions, measurements, trust}],
 *   measurement {kernels, threads, batch, unit, samples [...], median, cv,
 *                repetitions [{median, cpu_median, reference_ms}], noise {load1_max, preempted}}. */
#ifndef QX_COMPARE_RUN_VIEW_H
#define QX_COMPARE_RUN_VIEW_H

#include <stdint.h>

#include <jansson.h>

#include "util/error.h"

struct qx_run_view_measurement {
	const char *kernels;       /* "" when absent */
	int threads, batch;        /* 0 when absent */
	const char *unit;          /* "ms/batch", the only unit the schema has */
	double *samples;           /* owned; NULL when the file has none */
	size_t n_samples;
	double median;             /* of the samples, else the stored median */
	int has_median;
	double cv;                 /* of the samples, else the stored cv, else -1 */
	double *round_wall;        /* owned: repetitions[].median (ms), one per round; NULL when
	                            * the file has none */
	double *round_cpu;         /* owned: repetitions[].cpu_median, NULL when any is missing */
	double *round_reference;   /* owned: repetitions[].reference_ms (the reference loop, the
	                            * machine's speed: measure/reference.h), NULL when any is missing */
	size_t rounds;
	double load1_max;          /* noise.load1_max, -1 when absent */
	int preempted;             /* noise.preempted: 1, 0, or -1 when absent */
};

struct qx_run_view_system {
	const char *label;         /* "fp32" for the baseline, else the plugin's label */
	const char *error;         /* the plugin's error row, or NULL */
	const char *mistrusted;    /* trust.reason of a MISTRUSTED int8 result, else NULL */
	const char *simulated;     /* simulated.reason: no int8 kernel runs the plan (its
	                              accuracy is the reference simulation's, no latency); NULL */
	int64_t images;            /* -1 when unknown */
	int64_t correct;           /* -1 when unknown */
	double accuracy;           /* percent; < 0 when unknown */
	int32_t *pred;             /* owned; NULL when the file has no predictions */
	int64_t n_pred;
	struct qx_run_view_measurement *m;
	int n_m;
};

struct qx_run_view {
	char *path;                /* the results.json read */
	json_t *root;              /* the document; the strings below point into it */
	int64_t schema_version;
	const char *run_id;        /* "" when absent */
	const char *started;       /* ISO 8601 UTC, "" when absent */
	const char *suite;         /* suite.name, "" when absent */
	const char *model;         /* suite.model, "" when absent */
	const char *tag;           /* "nightly" or "ad-hoc"; "" in files older than the tag */
	const char *state;         /* "finished", "interrupted", "failed" or "running" (the writer
	                            * died); files older than the field: "interrupted" when marked
	                            * so, else "finished" */
	int partial;               /* state is not "finished": the run did not complete */
	int quick;                 /* "quick": true (qx-bench --quick): fewer images, shorter
	                            * measurement; not for tracking */
	char partial_why[160];     /* e.g. "interrupted by SIGPIPE"; "" when complete */
	json_t *machine;           /* borrowed; NULL when absent */
	int32_t *labels;           /* owned; NULL when absent */
	int64_t n_labels;
	struct qx_run_view_system *sys;/* fp32 first (when present), then plugins in file order */
	int n_sys;
	char **notes;              /* what was skipped or could not be used, one line each */
	int n_notes;
};

/* The machine fields that must be equal for latency to be comparable: CPU model, ISA flags,
 * hwloc topology, thread pinning, architecture and online CPU count. */
#define QX_MACHINE_IDENTITY_KEYS 6
extern const char *const qx_machine_identity_keys[QX_MACHINE_IDENTITY_KEYS];

/* Those fields of v's machine as one compact JSON text with sorted keys (absent ones left out),
 * to tell machines apart; malloc'd, NULL when v has no machine section or memory runs out. */
char *qx_run_view_machine_key(const struct qx_run_view *v);

/* Reads path (a results.json, or a run folder holding one) with qx_results_open: QX_ENOENT
 * when there is no such file, QX_EINVAL when it is not a results document or breaks the schema
 * (the message says where: line:column for bad JSON, the JSON path otherwise), QX_EUNSUPPORTED
 * for a newer schema_version, QX_ENOMEM. */
int qx_run_view_load(const char *path, struct qx_run_view *v, struct qx_error *err);

/* The system with this label, or NULL. */
const struct qx_run_view_system *qx_run_view_system(const struct qx_run_view *v, const char *label);

/* The first measurement of s with these kernels, threads and batch, or NULL. */
const struct qx_run_view_measurement *qx_run_view_measurement(const struct qx_run_view_system *s,
                                                      const char *kernels, int threads,
                                                      int batch);

void qx_run_view_free(struct qx_run_view *v);

#endif
