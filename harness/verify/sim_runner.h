/* The reference simulation (verify/refsim.h) as the evaluator's qx_model_runner: how a plan no
 * int8 kernel runs (FP8, per-group scales, weight-only nodes; plan/plan.h "simulated") gets its
 * accuracy. Same contract as exec/runner.h: one image input, one class-score output, a short
 * last batch zero-padded. */
#ifndef QX_VERIFY_SIM_RUNNER_H
#define QX_VERIFY_SIM_RUNNER_H

#include "data/dataset.h"
#include "kernels.h"
#include "measure/eval.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "verify/refsim.h"

struct qx_sim_runner {
	struct qx_refsim *sim;
	int64_t batch;
	int64_t image_floats;     /* c * h * w of the graph input */
	int n_classes;
	float *staging;           /* a full batch, for the short last batch */
};

/* The simulation of plan over g for `batch` images on k's fp32 kernels; plan must outlive it. */
int qx_sim_runner_init(struct qx_sim_runner *r, const struct qx_graph *g,
                       const struct qx_quant_plan *plan, int64_t batch, const struct qx_kernels *k,
                       const struct qx_dataset *ds, struct qx_error *err);
struct qx_model_runner qx_sim_runner_model(struct qx_sim_runner *r);
void qx_sim_runner_free(struct qx_sim_runner *r);

#endif
