#include "investigate/float_plan.h"

#include <stdlib.h>
#include <string.h>

#include "ops/q8_ops.h"
#include "plan/validate.h"
#include "ops/node_caps.h"

void qx_float_units_free(struct qx_float_units *u)
{
	free(u->head);
	free(u->unit_of);
	memset(u, 0, sizeof *u);
}

int qx_float_units_build(const struct qx_graph *g, const struct qx_quant_plan *plan,
                         struct qx_float_units *u, struct qx_error *err)
{
	memset(u, 0, sizeof *u);
	u->head = malloc(sizeof *u->head * ((size_t)g->n_nodes + 1));
	u->unit_of = malloc(sizeof *u->unit_of * ((size_t)g->n_nodes + 1));
	if (!u->head || !u->unit_of) {
		qx_float_units_free(u);
		return qx_fail_nomem(err, "grouping the plan's nodes");
	}
	/* Nodes are in topological order, so a follower's producer already has its unit. */
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *nd = &g->nodes[n];
		int mode = plan->node[n].mode;
		u->unit_of[n] = -1;
		if (mode == QX_MODE_FLOAT)
			continue;
		if (mode == QX_MODE_STATIC && qx_op_keeps_qparams(nd->op) && nd->n_in > 0 &&
		    nd->in[0] >= 0) {
			int p = g->tensors[nd->in[0]].producer;
			if (p >= 0 && u->unit_of[p] >= 0) {
				u->unit_of[n] = u->unit_of[p];
				continue;
			}
		}
		u->head[u->n] = n;
		u->unit_of[n] = u->n++;
	}
	return 0;
}

void qx_float_units_mark(const struct qx_float_units *u, const int *order, int k, int n_nodes,
                         uint8_t *node_float)
{
	memset(node_float, 0, (size_t)n_nodes);
	for (int n = 0; n < n_nodes; n++)
		for (int i = 0; i < k && u->unit_of[n] >= 0; i++)
			if (u->unit_of[n] == order[i])
				node_float[n] = 1;
}

/* The tensors an int8 node uses under the new modes: the roles of plan/validate.c
 * (assign_roles): a static or dynamic node's weight; a static node's bias, activation inputs
 * and output. Qparams on any other tensor would be refused as unused, so they are dropped. */
static void mark_used(const struct qx_graph *g, const int *mode, uint8_t *used)
{
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *nd = &g->nodes[n];
		if (mode[n] == QX_MODE_FLOAT)
			continue;
		struct qx_node_caps caps;
		qx_node_caps(g, n, &caps);
		if (caps.weight >= 0)
			used[caps.weight] = 1;
		if (mode[n] != QX_MODE_STATIC)
			continue;
		if (caps.bias >= 0)
			used[caps.bias] = 1;
		int n_act = qx_q8_op_of(nd->op)->inputs == QX_Q8_IN_DATA ? 1 : nd->n_in;
		for (int j = 0; j < n_act; j++)
			if (nd->in[j] >= 0)
				used[nd->in[j]] = 1;
		used[nd->out[0]] = 1;
	}
}

int qx_plan_with_float(const struct qx_graph *g, const struct qx_quant_plan *plan,
                       const uint8_t *node_float, struct qx_quant_plan *out,
                       struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	int *mode = malloc(sizeof *mode * ((size_t)g->n_nodes + 1));
	uint8_t *used = calloc((size_t)g->n_tensors + 1, 1);
	struct qx_plan_op *ops = calloc((size_t)g->n_nodes + 1, sizeof *ops);
	struct qx_plan_tensor *tensors = calloc((size_t)g->n_tensors + 1, sizeof *tensors);
	struct qx_plan_tensor_ext *exts = calloc((size_t)g->n_tensors + 1, sizeof *exts);
	int rc = 0;
	if (!mode || !used || !ops || !tensors || !exts) {
		rc = qx_fail_nomem(err, "building a plan with float nodes");
		goto done;
	}
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node_plan *np = &plan->node[n];
		mode[n] = node_float[n] ? QX_MODE_FLOAT : np->mode;
		ops[n].node = n;
		ops[n].mode = mode[n];
		if (mode[n] == QX_MODE_DYNAMIC) {
			ops[n].dyn_qmin = np->dyn_qmin;
			ops[n].dyn_qmax = np->dyn_qmax;
		}
	}
	mark_used(g, mode, used);
	int n_tensors = 0, n_exts = 0;
	for (int t = 0; t < g->n_tensors; t++) {
		const struct qx_tensor_qparams *q = &plan->tensor[t];
		if (!used[t] || q->dtype == QX_PLAN_FLOAT)
			continue;
		/* Qparams the host copied from a keeps-qparams node's input are listed too: when
		 * that node goes float and an int8 node still reads its output, nothing would copy
		 * them again. Where it stays static, validation checks they equal the input's. */
		tensors[n_tensors++] = (struct qx_plan_tensor){
			.tensor = t, .dtype = q->dtype, .symmetric = q->symmetric, .axis = q->axis,
			.n_channels = q->n_channels, .qmin = q->qmin, .qmax = q->qmax,
			.scales = q->scales, .zero_points = q->zero_points,
		};
		/* ABI 1.3's bits, groups and codes travel with their tensor */
		if (exts && ((q->bits != 8 && q->bits != 32) || q->group_size > 0 || q->codes))
			exts[n_exts++] = (struct qx_plan_tensor_ext){
				.tensor = t, .bits = q->bits != 8 && q->bits != 32 ? q->bits : 0,
				.group_size = q->group_size,
				.n_group_scales = (int32_t)(q->group_size > 0 ? q->groups * q->n_channels : 0),
				.group_scales = q->group_scales, .n_codes = q->n_codes, .codes = q->codes,
			};
	}
	struct qx_plan raw = { .n_tensors = n_tensors, .tensors = tensors, .n_ops = g->n_nodes,
	                       .ops = ops, .n_tensor_ext = n_exts, .tensor_ext = exts };
	rc = qx_plan_validate(g, &raw, NULL, out, err);
	if (rc && rc != QX_ENOMEM)
	{
		qx_fail_wrap(err, "a plan with float nodes derived from a valid plan is invalid "
		             "(a qx-bench bug)");
		rc = QX_EINTERNAL;
	}
	/* copied_from is the host's note of where qparams came from: keep the plugin's. */
	for (int t = 0; !rc && t < g->n_tensors; t++)
		if (out->tensor[t].dtype != QX_PLAN_FLOAT)
			out->tensor[t].copied_from = plan->tensor[t].copied_from;
done:
	free(mode);
	free(used);
	free(ops);
	free(tensors);
	free(exts);
	return rc;
}
