#include "suite/sweep.h"

#include <stdlib.h>
#include <string.h>

bool qx_plan_same(const struct qx_quant_plan *a, const struct qx_quant_plan *b)
{
	if (a->n_tensors != b->n_tensors || a->n_nodes != b->n_nodes)
		return false;
	for (int t = 0; t < a->n_tensors; t++) {
		const struct qx_tensor_qparams *x = &a->tensor[t], *y = &b->tensor[t];
		if (x->dtype != y->dtype)
			return false;
		if (x->dtype == QX_PLAN_FLOAT)
			continue;
		if (x->symmetric != y->symmetric || x->axis != y->axis ||
		    x->n_channels != y->n_channels || x->qmin != y->qmin || x->qmax != y->qmax ||
		    x->copied_from != y->copied_from)
			return false;
		size_t n = (size_t)x->n_channels;
		if (n && (memcmp(x->scales, y->scales, n * sizeof *x->scales) ||
		          memcmp(x->zero_points, y->zero_points, n * sizeof *x->zero_points)))
			return false;
		/* ABI 1.3: bits, per-group scales, the plugin's codes */
		if (x->bits != y->bits || x->group_size != y->group_size || x->groups != y->groups ||
		    x->n_codes != y->n_codes)
			return false;
		size_t ng = (size_t)(x->groups * x->n_channels);
		if ((ng && memcmp(x->group_scales, y->group_scales, ng * sizeof *x->group_scales)) ||
		    (x->n_codes && memcmp(x->codes, y->codes, (size_t)x->n_codes * sizeof *x->codes)))
			return false;
	}
	for (int i = 0; i < a->n_nodes; i++) {
		const struct qx_node_plan *x = &a->node[i], *y = &b->node[i];
		if (x->mode != y->mode)
			return false;
		if (x->mode == QX_MODE_DYNAMIC && (x->dyn_qmin != y->dyn_qmin ||
		                                   x->dyn_qmax != y->dyn_qmax))
			return false;
	}
	return true;
}
