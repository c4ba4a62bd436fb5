/* plan.json: a validated plan with names, kept next to the results so that a run can be
 * understood (and repeated) without the plugin. Schema "qx-plan/1", described in
 * docs/plugin-abi.md. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "plugin/host.h"
#include "plan/validate.h"

static const char *scheme_name(const struct qx_tensor_qparams *q)
{
	if (q->axis < 0)
		return q->symmetric ? "per_tensor_symmetric" : "per_tensor_affine";
	return q->symmetric ? "per_channel_symmetric" : "per_channel_affine";
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *tensor_json(const struct qx_graph *g, const struct qx_quant_plan *plan, int t)
{
	const struct qx_tensor_qparams *q = &plan->tensor[t];
	const struct qx_tensor *gt = &g->tensors[t];
	json_t *scales = json_array(), *zps = json_array();
	for (int k = 0; k < q->n_channels; k++) {
		json_array_append_new(scales, json_real((double)q->scales[k]));
		json_array_append_new(zps, json_integer(q->zero_points[k]));
	}
	return json_pack("{s:s, s:i, s:o, s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o}",
	                 "name", gt->name, "index", t,
	                 "producer", gt->producer >= 0 ? json_string(g->nodes[gt->producer].name)
	                                               : json_null(),
	                 "dtype", qx_plan_dtype_name(q->dtype), "scheme", scheme_name(q),
	                 "axis", q->axis, "qmin", (int)q->qmin, "qmax", (int)q->qmax,
	                 "scales", scales, "zero_points", zps,
	                 "copied_from", q->copied_from >= 0 ? json_string(g->tensors[q->copied_from].name)
	                                                    : json_null());
}

static json_t *node_json(const struct qx_graph *g, const struct qx_quant_plan *plan, int n)
{
	const struct qx_node_plan *np = &plan->node[n];
	json_t *o = json_pack("{s:s, s:s, s:s}", "name", g->nodes[n].name,
	                      "op", qx_op_name(g->nodes[n].op), "mode", qx_op_mode_name(np->mode));
	if (o && np->mode == QX_MODE_DYNAMIC) {
		json_object_set_new(o, "dyn_qmin", json_integer(np->dyn_qmin));
		json_object_set_new(o, "dyn_qmax", json_integer(np->dyn_qmax));
	}
	return o;
}

int qx_plan_write_json(const struct qx_plugin_result *res, const struct qx_graph *g,
                       const char *path, struct qx_error *err)
{
	const struct qx_quant_plan *plan = &res->plan;
	if (plan->n_tensors != g->n_tensors || plan->n_nodes != g->n_nodes)
		return qx_fail(err, QX_EINTERNAL, "%s: the plan has %d tensors and %d nodes (expected "
		               "the graph's %d and %d)", path, plan->n_tensors, plan->n_nodes,
		               g->n_tensors, g->n_nodes);
	json_t *tensors = json_array(), *nodes = json_array();
	char abi[32];
	snprintf(abi, sizeof abi, "%u.%u", res->abi_major, res->abi_minor);
	json_t *root = json_pack(
		"{s:s, s:{s:o, s:o, s:o, s:o, s:o, s:o, s:s}, s:o, s:{s:I, s:i, s:f}, s:o, s:o}",
		"schema", "qx-plan/1",
		"plugin", "label", str_or_null(res->label), "path", str_or_null(res->path),
		"name", str_or_null(res->name), "version", str_or_null(res->version),
		"license", str_or_null(res->license), "description", str_or_null(res->description),
		"abi", abi,
		"model", str_or_null(g->path),
		"calibration", "images", (json_int_t)res->calib_images, "batches", res->calib_batches,
		"seconds", res->calibrate_s,
		"nodes", nodes, "tensors", tensors);
	int bad = !root;
	for (int n = 0; !bad && n < g->n_nodes; n++) {
		json_t *o = node_json(g, plan, n);
		bad = !o || json_array_append_new(nodes, o);
	}
	for (int t = 0; !bad && t < g->n_tensors; t++) {
		if (plan->tensor[t].dtype == QX_PLAN_FLOAT)
			continue;
		json_t *o = tensor_json(g, plan, t);
		bad = !o || json_array_append_new(tensors, o);
	}
	if (bad) {
		json_decref(root);
		return qx_fail_nomem(err, "building plan.json");
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		int e = errno;
		json_decref(root);
		return qx_fail(err, QX_EIO, "%s: cannot write: %s", path, strerror(e));
	}
	int rc = json_dumpf(root, f, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
	rc |= fputc('\n', f) == EOF;
	rc |= fclose(f);
	json_decref(root);
	if (rc)
		return qx_fail(err, QX_EIO, "%s: writing failed (expected a writable results folder)",
		               path);
	return 0;
}
