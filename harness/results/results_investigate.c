/* results.json's keys from the investigations (results_investigate.h). */
#include "results/results_investigate.h"

#include <math.h>

#include "plan/validate.h"

/* +inf (no error) and NaN are null: JSON has neither. */
static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static json_t *range(double lo, double hi)
{
	return json_pack("[o, o]", num(lo), num(hi));
}

json_t *qx_results_layers_json(const struct qx_layer_report *r, const char *kernels)
{
	json_t *tensors = json_array();
	for (int i = 0; i < r->n; i++) {
		const struct qx_layer_tensor *t = &r->t[i];
		json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:I}", "tensor", t->name,
		                      "node", t->node, "op", t->op, "kind", t->kind, "dtype",
		                      qx_plan_dtype_name(t->dtype), "granularity",
		                      t->group_size > 0   ? "per-group"
		                      : t->n_channels > 1 ? "per-channel"
		                                          : "per-tensor",
		                      "channels", t->n_channels, "values", (json_int_t)t->values);
		if (t->group_size > 0)
			json_object_set_new(j, "group_size", json_integer(t->group_size));
		json_object_set_new(j, "own_sqnr_db", num(t->own_sqnr_db));
		json_object_set_new(j, "minmax_sqnr_db", num(t->minmax_sqnr_db));
		json_object_set_new(j, "loss_db", num(t->loss_db));
		if (t->propagated) {
			json_object_set_new(j, "sqnr_db", num(t->sqnr_db));
			json_object_set_new(j, "cosine", num(t->cosine));
			json_object_set_new(j, "max_abs_error", num(t->max_abs));
		}
		json_object_set_new(j, "clipped_low", json_real(t->clipped_low));
		json_object_set_new(j, "clipped_high", json_real(t->clipped_high));
		json_object_set_new(j, "clip_error_share", json_real(t->clip_error_share));
		json_object_set_new(j, "qparams_range", range(t->q_lo, t->q_hi));
		json_object_set_new(j, "data_range", range(t->d_lo, t->d_hi));
		json_object_set_new(j, "range_ratio", num(t->range_ratio));
		json_array_append_new(tensors, j);
	}
	return json_pack("{s:I, s:s, s:f, s:o}", "images", (json_int_t)r->images, "kernels", kernels,
	                 "seconds", r->seconds, "tensors", tensors);
}

int qx_results_layers(json_t *entry, const struct qx_layer_report *r, const char *kernels,
                      struct qx_error *err)
{
	json_t *j = qx_results_layers_json(r, kernels);
	if (!j)
		return qx_fail_nomem(err, "writing per-layer error");
	json_object_set_new(entry, "layers", j);
	return 0;
}

void qx_results_sensitivity(json_t *entry, const struct qx_sensitivity *s,
                            const struct qx_graph *g)
{
	json_t *nodes = json_array();
	for (int i = 0; nodes && i < s->n; i++) {
		const struct qx_sensitivity_node *sn = &s->nodes[i];
		json_array_append_new(nodes, json_pack(
			"{s:s, s:s, s:f, s:f, s:f, s:f}", "node", g->nodes[sn->node].name, "op",
			qx_op_name(g->nodes[sn->node].op), "accuracy", sn->accuracy, "gain_points",
			sn->gain, "ci95_low", sn->ci_low, "ci95_high", sn->ci_high));
	}
	json_object_set_new(entry, "sensitivity",
	                    json_pack("{s:I, s:s, s:f, s:o}", "images", (json_int_t)s->images,
	                              "kernels", s->kernels, "base_accuracy", s->base_accuracy,
	                              "nodes", nodes));
}

void qx_results_fallback(json_t *entry, const struct qx_fallback_choice *c, double max_drop,
                         const char *from, const struct qx_graph *g, const uint8_t *node_float,
                         int64_t sensitivity_images)
{
	json_t *kept = json_array();
	for (int n = 0; kept && n < g->n_nodes; n++)
		if (node_float[n])
			json_array_append_new(kept, json_string(g->nodes[n].name));
	json_object_set_new(entry, "fallback",
	                    json_pack("{s:f, s:s, s:o, s:b, s:i, s:I}", "max_drop", max_drop, "from",
	                              from, "kept_float", kept, "met", c->met, "evaluations",
	                              c->evaluations, "sensitivity_images",
	                              (json_int_t)sensitivity_images));
}
