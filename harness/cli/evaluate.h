/* A model's accuracy pass, as a suite run makes it: fp32, a plan's int8 model, or a simulated
 * plan's reference simulation, evaluated on several threads, each with its own copy of the
 * model (measure/eval.h, qx_eval_run_parallel). */
#ifndef QX_CLI_EVALUATE_H
#define QX_CLI_EVALUATE_H

#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "measure/eval.h"
#include "model/graph.h"
#include "plan/plan.h"

struct qx_evaluate_spec {
	const struct qx_graph *graph;
	const struct qx_quant_plan *plan;  /* NULL: fp32 */
	const struct qx_kernels *kernels;
	int64_t batch;
	int threads;                       /* 1..QX_EVAL_MAX_THREADS */
	const struct qx_dataset *data;
	const struct qx_preprocess *preprocess;
	int64_t limit;                     /* first images only (0: all) */
	const char *what;                  /* the progress line's label */
	int quiet;                         /* no progress */
};

/* Evaluates; for a plan, *q8_bytes gets the quantized model's size. */
int qx_evaluate(const struct qx_evaluate_spec *s, struct qx_eval_result *res, int64_t *q8_bytes,
                struct qx_error *err);

/* The threads an evaluation uses by default: the CPUs this process may run on (its affinity
 * mask), at most QX_EVAL_MAX_THREADS. */
int qx_evaluate_default_threads(void);

#endif
