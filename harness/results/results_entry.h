/* results.json's plugins[] entries (docs/results-format.md): an error row, a plan's row (its
 * origin, accuracy and drop), its trust check, its kernel-set checks, a simulated plan's keys,
 * a sweep's values, and the row of a plan identical to an earlier one. cli/run.c decides what
 * happens and fills the structs; these functions turn them into the document's keys. An entry
 * is handed back as a borrowed json_t * for the calls that add to it. */
#ifndef QX_RESULTS_ENTRY_H
#define QX_RESULTS_ENTRY_H

#include <stdint.h>

#include <jansson.h>

#include "plugin/host.h"
#include "results/results.h"
#include "stats/paired.h"
#include "suite/suite.h"
#include "verify/trust.h"

/* {"label", "error"}: a plugin (or its plan) that produced no result. */
void qx_results_error_row(struct qx_results *r, const char *label, const char *msg);

/* A plan's accuracy, on the fastest kernel set, paired against fp32. */
struct qx_results_row {
	const struct qx_plugin_result *res;  /* the plugin, its label, options and calibration */
	const char *plan_path;               /* its plan.json */
	const char *accuracy_kernels;        /* the set that evaluated it */
	int64_t images, correct;
	const struct qx_paired *cmp;         /* against fp32 on the same images */
	int64_t model_bytes;
	double eval_seconds;
	const uint8_t *predictions;          /* images of them */
};

/* Appends the plan's entry: label, plugin, options_used (when the plugin declares its
 * options), plan, calibration, accuracy_kernels, images, correct, accuracy, drop, agreement,
 * model_bytes, eval_seconds, predictions and an empty measurements. Returns it (borrowed). */
json_t *qx_results_plan_row(struct qx_results *r, const struct qx_results_row *row);

/* "trust": t checked on kernels ("trusted" / "MISTRUSTED" with the numbers behind it);
 * t NULL when check.reference_images is 0 ("unchecked"). */
void qx_results_trust(json_t *entry, const struct qx_trust *t, const char *kernels);

/* "trust" of a check that stopped on an error: an empty object, the verdict missing. */
void qx_results_trust_unfinished(json_t *entry);

/* One kernel set checked against scalar. */
struct qx_results_set {
	const char *name;
	int reference;                  /* scalar itself: bit-identical by definition */
	int identical;
	int64_t checked_images;
	const char *mismatch;           /* where, when not identical */
};

/* "kernel_sets": one object per set, in the run's order. */
void qx_results_kernel_sets(json_t *entry, const struct qx_results_set *sets, int n);

/* A plan no int8 kernel runs (plan/plan.h "simulated"): "simulated" (why, and the fp32 set
 * the simulation ran on), "trust" ("simulated": nothing independent to check it against). */
void qx_results_simulated(json_t *entry, const char *why, const char *fp32_kernels);

/* A simulated plan's "kernel_sets": the bit-identical check does not apply to any. */
void qx_results_simulated_sets(json_t *entry, const char *const *names, int n);

/* "sweep" of a swept configuration ({"base", "values"}), nothing for one that is not. */
void qx_results_sweep(json_t *entry, const struct qx_suite_plugin *p);

/* The sweep object itself, or NULL when p is no sweep's (results_suite.c writes it in "suite"
 * too). Values are typed as YAML's plain scalars read: integer, number, boolean or string. */
json_t *qx_results_sweep_json(const struct qx_suite_plugin *p);

/* The entry of configuration p whose plan is the one of an earlier entry `same` (labelled
 * same_label): a copy of it, less its sweep, fallback and options_used, with p's label,
 * origin (res, plan_path), sweep and "same_plan_as". Returns it (borrowed), or NULL when out
 * of memory. */
json_t *qx_results_same_plan_row(struct qx_results *r, const json_t *same, const char *same_label,
                                 const struct qx_suite_plugin *p,
                                 const struct qx_plugin_result *res, const char *plan_path);

#endif
