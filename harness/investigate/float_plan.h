/* Plans with some nodes put back in float: what sensitivity (quantize all but one node) and
 * fallback (keep the most sensitive nodes in float) build from a plugin's validated plan.
 *
 * A "unit" is what goes to float together: one node the plan runs int8 (static or dynamic)
 * that computes new values, plus the static nodes right after it that only keep their input's
 * qparams (MaxPool, Relu, Flatten, Reshape, ...; plugin/view.h qx_op_keeps_qparams) and read
 * its output, directly or through such a chain. Those followers round nothing of their own, so
 * their error is their producer's; moving them with it means that with every unit in float the
 * whole model is float. A keeps-qparams node whose producer is not int8 in the plan (a graph
 * input, a float node) heads a unit of its own. */
#ifndef QX_INVESTIGATE_FLOAT_PLAN_H
#define QX_INVESTIGATE_FLOAT_PLAN_H

#include <stdint.h>

#include "model/graph.h"
#include "plan/plan.h"
#include "util/error.h"

struct qx_float_units {
	int n;                          /* units */
	int *head;                      /* [n] the unit's first node (the one it is named after) */
	int *unit_of;                   /* [graph nodes] the node's unit, -1 for float nodes */
};

/* The units of plan, in topological order of their heads. Free with qx_float_units_free. */
int qx_float_units_build(const struct qx_graph *g, const struct qx_quant_plan *plan,
                         struct qx_float_units *u, struct qx_error *err);
void qx_float_units_free(struct qx_float_units *u);

/* *out = plan with every node n for which node_float[n] is set in float; qparams that no
 * int8 node uses any more are dropped, everything else kept as it was, and the result goes
 * through the same validation as a plugin's plan (plan/validate.h), so that it is a plan the
 * int8 executor, the trust check and plan.json take like any other. The harness quantizes and
 * dequantizes at the borders, as it does for any float node of a plan. */
int qx_plan_with_float(const struct qx_graph *g, const struct qx_quant_plan *plan,
                       const uint8_t *node_float, struct qx_quant_plan *out,
                       struct qx_error *err);

/* node_float[n] = 1 for every node of units order[0..k-1] (node_float has g->n_nodes bytes,
 * zeroed first). */
void qx_float_units_mark(const struct qx_float_units *u, const int *order, int k, int n_nodes,
                         uint8_t *node_float);

#endif
