/* Accuracy-budget fallback: keep the fewest int8 units of a plan in float so that the drop
 * against fp32 on the run's full evaluation set is at most max_drop points.
 *
 * Units go to float in order of measured sensitivity (sensitivity.h, largest gain first): the
 * candidate with k units in float is the first k of that order. qx_fallback_search finds the
 * smallest such k that meets the budget: first k = 1, 2, 4, ... (each candidate evaluated on the
 * full set) until one meets it, then bisection between the last k that failed and the first
 * that met. Bisection assumes that putting one more unit in float does not lose accuracy; where
 * that is false it may return a larger k than a one-by-one walk would, never one that was not
 * measured to meet the budget: the chosen plan is always one evaluated on the full set. With
 * every unit in float and the budget still not met, the result is that all-float candidate
 * with met = 0. */
#ifndef QX_INVESTIGATE_FALLBACK_H
#define QX_INVESTIGATE_FALLBACK_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "investigate/sensitivity.h"

struct qx_fallback_choice {
	int k;                          /* units in float: the first k of the order */
	int met;                        /* drop <= max_drop */
	int evaluations;                /* full-set evaluations made (k = 0 is the plugin's row,
	                                   known already, not counted) */
	double drop;                    /* points against fp32, of the chosen k */
};

/* drop_of(arg, k, &drop, err): the drop of the candidate with the first k units in float,
 * evaluated on the full set. n: the number of units; drop0: the drop with none in float. */
typedef int (*qx_fallback_drop_fn)(void *arg, int k, double *drop, struct qx_error *err);

/* Whether a drop meets the budget (both in points). */
int qx_fallback_met(double drop, double max_drop);

int qx_fallback_search(int n, double drop0, double max_drop, qx_fallback_drop_fn drop_of,
                       void *arg, struct qx_fallback_choice *out, struct qx_error *err);

/* The run's fallback for plan: sensitivity s already measured on plan; base_drop is plan's
 * drop on the full set. *out_plan gets the chosen plan (free with qx_quant_plan_free),
 * node_float (g->n_nodes bytes) its nodes in float. */
int qx_fallback_select(const struct qx_investigate *env, const struct qx_quant_plan *plan,
                       const struct qx_sensitivity *s, double base_drop, double max_drop,
                       const char *label, struct qx_fallback_choice *choice,
                       struct qx_quant_plan *out_plan, uint8_t *node_float,
                       struct qx_error *err);

/* After the conclusion: each fallback row beside the row it came from (top-1, drop, size,
 * median latency at every configuration measured on kernels), read from results.json. */
void qx_fallback_print_summary(json_t *root, const char *kernels, FILE *out);

#endif
