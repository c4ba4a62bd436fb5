/* The quantization plan as the harness keeps it: validated, dense over the graph it was made
 * for, owned. Plugins hand the host a struct qx_plan (include/qx/plan.h); plan/validate.h checks
 * it against the graph and turns it into a struct qx_quant_plan, which the executors, the
 * verification, the measurement and the results read. This module depends on the graph only:
 * nothing here knows about plugins, suites or executors. */
#ifndef QX_PLAN_PLAN_H
#define QX_PLAN_PLAN_H

#include <stdint.h>

#include "qx/plan.h"

/* Qparams of one graph tensor in a harness-owned plan. dtype QX_PLAN_FLOAT: not quantized. */
struct qx_tensor_qparams {
	int dtype;                      /* enum qx_plan_dtype */
	int symmetric;                  /* as the plugin said (INT8 weights: every zero point 0) */
	int axis;                       /* -1 per tensor, else the per-channel axis */
	int n_channels;                 /* 1 per tensor, else dims[axis] */
	int32_t qmin, qmax;
	float *scales;                  /* n_channels, owned */
	int32_t *zero_points;           /* n_channels, owned */
	int copied_from;                /* -1, or the tensor whose qparams the host copied here
	                                   (output of a node that keeps its input's qparams, when
	                                   the plan omitted it) */
};

/* How one graph node runs. */
struct qx_node_plan {
	int mode;                       /* enum qx_op_mode */
	int32_t dyn_qmin, dyn_qmax;     /* QX_MODE_DYNAMIC: run-time activation range (uint8) */
};

/* A validated plan, dense over the graph it was made for: tensor[t] for every graph tensor t,
 * node[n] for every node n. Everything owned; free with qx_quant_plan_free. */
struct qx_quant_plan {
	int n_tensors;
	struct qx_tensor_qparams *tensor;
	int n_nodes;
	struct qx_node_plan *node;
};

void qx_quant_plan_free(struct qx_quant_plan *plan);

#endif
