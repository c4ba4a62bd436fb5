/* Sensitivity: how much top-1 accuracy each int8 unit of a plan costs (float_plan.h says what
 * a unit is). For each unit in turn the plan is rebuilt with that unit in float and evaluated
 * on the first N images; the unit's gain is that accuracy minus the full plan's on the same N
 * images, with the paired 95% interval of stats/paired.h (same images, so the interval is that
 * of the per-image difference, much narrower than two independent accuracies' would be). */
#ifndef QX_INVESTIGATE_SENSITIVITY_H
#define QX_INVESTIGATE_SENSITIVITY_H

#include <stdint.h>
#include <stdio.h>

#include "measure/eval.h"
#include "investigate/float_plan.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "util/error.h"

/* Default sensitivity images (suite sensitivity.images / fallback.images, clamped to the
 * evaluation set). The paired interval's half width is about 1.96 * sqrt(flips) / N * 100
 * points for a unit whose float version changes `flips` predictions: on 1000 images +-0.4 for 4
 * flips, +-1.1 for 30. Enough to rank the units that cost a point or more, at N evaluations of
 * 1000 images; the fallback validates on the full set, so a noisy order costs evaluations, not
 * correctness. */
#define QX_SENSITIVITY_IMAGES 1000

/* What an investigation needs of the run: the graph, the evaluation set and fp32's answers,
 * and an evaluator (the run's: fastest kernel set, progress on stderr). */
struct qx_investigate {
	const struct qx_graph *g;
	const uint8_t *labels;          /* [n_images] */
	const uint8_t *fp32_pred;       /* [n_images] fp32's top-1 */
	int64_t n_images;               /* the run's evaluation set */
	const char *kernels;            /* the kernel set eval runs (for results.json) */
	/* Evaluates plan's int8 model on the first limit images (1..n_images); what names the
	 * step for progress lines. */
	int (*eval)(void *arg, const struct qx_quant_plan *plan, int64_t limit, const char *what,
	            struct qx_eval_result *res, struct qx_error *err);
	void *arg;
};

struct qx_sensitivity_node {
	int node;                       /* the unit's head node */
	int unit;
	double accuracy;                /* percent, with this unit in float */
	double gain;                    /* accuracy - base_accuracy, points */
	double ci_low, ci_high;         /* 95% interval of gain */
};

struct qx_sensitivity {
	int64_t images;
	const char *kernels;
	double base_accuracy;           /* the full plan on the same images */
	struct qx_float_units units;
	int n;                          /* = units.n */
	struct qx_sensitivity_node *nodes;  /* sorted by gain, largest first (ties: graph order) */
};

/* Measures every unit of plan on the first `images` images (clamped to env->n_images). label
 * names the plugin in progress lines. Free *out with qx_sensitivity_free (also on error). */
int qx_sensitivity_measure(const struct qx_investigate *env, const struct qx_quant_plan *plan,
                           int64_t images, const char *label, struct qx_sensitivity *out,
                           struct qx_error *err);
void qx_sensitivity_free(struct qx_sensitivity *s);

/* The table of the run's output: the `top` most sensitive units. */
void qx_sensitivity_print(const struct qx_sensitivity *s, const struct qx_graph *g,
                          const char *label, int top, FILE *f);

#endif
