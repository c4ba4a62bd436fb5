/* The size of a quantized model counted from its plan (plan.h, qx_plan_model_bytes): for plans
 * no int8 executor builds, so that int4 counts 4 bits per weight and per-group scales count. */
#include "plan/plan.h"

int64_t qx_plan_model_bytes(const struct qx_graph *g, const struct qx_quant_plan *plan)
{
	int64_t bytes = 0;
	for (int t = 0; t < g->n_tensors; t++) {
		const struct qx_tensor *tt = &g->tensors[t];
		const struct qx_tensor_qparams *q = &plan->tensor[t];
		if (tt->dtype != QX_DT_F32)
			continue;
		int fp8 = qx_qparams_is_fp8(q);
		int64_t n_scales = q->group_size > 0 ? q->groups * q->n_channels : q->n_channels;
		int64_t qparams = 4 * n_scales + (fp8 ? 0 : 4 * (int64_t)q->n_channels);
		if (!tt->is_const) {
			if (q->dtype != QX_PLAN_FLOAT)
				bytes += qparams;
			continue;
		}
		if (q->dtype == QX_PLAN_FLOAT) { /* stays fp32, as qx_graph_f32_bytes counts it */
			bytes += 4 * qx_tensor_numel(tt);
			continue;
		}
		bytes += (qx_tensor_numel(tt) * q->bits + 7) / 8 + qparams;
	}
	return bytes;
}
