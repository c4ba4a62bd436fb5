/* Implementation of weights.h (declarations and documentation there). */
#include "weights.h"

void qxp_weight_free(struct qxp_weight *w)
{
	free(w->scales);
	free(w->zero_points);
	w->scales = NULL;
	w->zero_points = NULL;
}

int qxp_weight_qparams(const struct qx_host *host, const struct qx_graph_view *view,
                       int32_t node, int per_channel, struct qxp_weight *w)
{
	const struct qx_view_node *nd = &view->nodes[node];
	w->tensor = nd->weight;
	w->node = node;
	w->scales = NULL;
	w->zero_points = NULL;
	if (nd->weight < 0 || nd->weight >= view->n_tensors) {
		host->error(host, "node '%s': weight tensor index %d (expected 0..%d)", nd->name,
		            (int)nd->weight, (int)view->n_tensors - 1);
		return QX_STATUS_ERROR;
	}
	const struct qx_view_tensor *t = &view->tensors[nd->weight];
	if (!t->is_const || !t->is_float || !t->data || t->numel < 1 || t->ndim < 1) {
		host->error(host, "node '%s': weight '%s' is not a constant float tensor with data "
		            "(expected the weights of a Conv/Gemm/MatMul)", nd->name, t->name);
		return QX_STATUS_UNSUPPORTED;
	}
	int32_t axis = per_channel ? nd->weight_axis : -1;
	if (per_channel && (axis < 0 || axis >= t->ndim)) {
		host->error(host, "node '%s': weight_axis %d for weight '%s' of %d dimensions "
		            "(expected 0..%d)", nd->name, (int)axis, t->name, (int)t->ndim,
		            (int)t->ndim - 1);
		return QX_STATUS_ERROR;
	}
	int64_t outer = 1, channels = 1, inner = 1;
	for (int32_t d = 0; d < t->ndim; d++) {
		if (axis < 0 || d > axis)
			inner *= t->dims[d];
		else if (d == axis)
			channels = t->dims[d];
		else
			outer *= t->dims[d];
	}
	if (outer * channels * inner != t->numel || channels < 1 || channels > INT32_MAX) {
		host->error(host, "node '%s': weight '%s' has %lld values for its shape (expected the "
		            "product of its dimensions)", nd->name, t->name, (long long)t->numel);
		return QX_STATUS_ERROR;
	}
	w->axis = axis;
	w->n_channels = (int32_t)channels;
	float *mins = malloc((size_t)channels * sizeof *mins);
	float *maxs = malloc((size_t)channels * sizeof *maxs);
	w->scales = malloc((size_t)channels * sizeof *w->scales);
	w->zero_points = malloc((size_t)channels * sizeof *w->zero_points);
	int rc = QX_STATUS_OK;
	if (!mins || !maxs || !w->scales || !w->zero_points) {
		host->error(host, "node '%s': out of memory for the qparams of weight '%s' (%lld "
		            "channels)", nd->name, t->name, (long long)channels);
		rc = QX_STATUS_NOMEM;
	} else {
		for (int64_t c = 0; c < channels; c++) {
			mins[c] = QX_MINMAX_EMPTY_MIN;
			maxs[c] = QX_MINMAX_EMPTY_MAX;
		}
		qx_minmax_update_channels(t->data, outer, channels, inner, mins, maxs);
		struct qx_qscheme qs = { .dtype = QX_PLAN_INT8, .symmetric = 1, .qmin = -128,
		                         .qmax = 127, .customized_qrange = 0 };
		for (int64_t c = 0; c < channels && rc == QX_STATUS_OK; c++)
			if (qx_calculate_qparams(mins[c], maxs[c], &qs, &w->scales[c],
			                         &w->zero_points[c])) {
				host->error(host, "node '%s': weight '%s'%s has values in [%g, %g] (expected "
				            "finite weights)", nd->name, t->name,
				            per_channel ? " (an output channel)" : "", (double)mins[c],
				            (double)maxs[c]);
				rc = QX_STATUS_UNSUPPORTED;
			}
	}
	free(mins);
	free(maxs);
	if (rc)
		qxp_weight_free(w);
	return rc;
}

struct qx_plan_tensor qxp_weight_plan_entry(const struct qxp_weight *w)
{
	struct qx_plan_tensor pt = {
		.tensor = w->tensor, .dtype = QX_PLAN_INT8, .symmetric = 1, .axis = w->axis,
		.n_channels = w->n_channels, .qmin = -128, .qmax = 127, .scales = w->scales,
		.zero_points = w->zero_points,
	};
	return pt;
}
