/* The quantization plan as the harness keeps it: validated, dense over the graph it was made
 * for, owned. Plugins hand the host a struct qx_plan (include/qx/plan.h); plan/validate.h checks
 * it against the graph and turns it into a struct qx_quant_plan, which the executors, the
 * verification, the measurement and the results read. This module depends on the graph only:
 * nothing here knows about plugins, suites or executors. */
#ifndef QX_PLAN_PLAN_H
#define QX_PLAN_PLAN_H

#include <stdint.h>

#include "model/graph.h"
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
	/* ABI minor 3 (struct qx_plan_tensor_ext); 0 / NULL when the plan gave none. */
	int bits;                       /* bits stored per value: 8 for UINT8 / INT8 / FP8 unless
	                                   the plan said 2..7, 32 for INT32, 0 for FLOAT */
	int group_size;                 /* > 0: per-group scales along the reduction axis */
	int64_t groups;                 /* groups per channel (group_size > 0), else 0 */
	float *group_scales;            /* n_channels * groups, channel-major, owned */
	int64_t n_codes;                /* > 0: the plugin's own quantized values, one per element */
	int32_t *codes;                 /* n_codes, owned (FP8: bit patterns) */
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
	/* Not 0 when no int8 kernel can run the plan (FP8, per-group scales, weight-only nodes):
	 * it is evaluated on the reference simulation (verify/refsim.h) and has no latency.
	 * simulated_why says which format made it so, e.g. "FP8 e4m3fn weights and activations". */
	int simulated;
	char simulated_why[160];
};

void qx_quant_plan_free(struct qx_quant_plan *plan);

/* Whether qp is one of the FP8 dtypes. */
int qx_qparams_is_fp8(const struct qx_tensor_qparams *qp);

/* The bytes the quantized model stores under plan for graph g, counted from the plan alone: each
 * quantized constant at its bits per value (rounded up to whole bytes per tensor) plus 4 bytes per
 * scale and 4 per zero point (group scales included, FP8: scales only), every other constant
 * at 4 bytes per fp32 value, and 8 bytes of qparams per quantized activation. For simulated
 * plans, where no int8 executor builds the model. */
int64_t qx_plan_model_bytes(const struct qx_graph *g, const struct qx_quant_plan *plan);

#endif
