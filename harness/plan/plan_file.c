/* plan.json, schema "qx-plan/1": writer and reader (plan_file.h). Scales are written with 9
 * significant digits, enough to read every float32 back exactly. */
#include "plan/plan_file.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan/validate.h"

static const char *scheme_name(const struct qx_tensor_qparams *q)
{
	if (q->group_size > 0)
		return "per_group_symmetric";
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
	json_t *o = json_pack("{s:s, s:i, s:o, s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:o}",
	                 "name", gt->name, "index", t,
	                 "producer", gt->producer >= 0 ? json_string(g->nodes[gt->producer].name)
	                                               : json_null(),
	                 "dtype", qx_plan_dtype_name(q->dtype), "scheme", scheme_name(q),
	                 "axis", q->axis, "qmin", (int)q->qmin, "qmax", (int)q->qmax,
	                 "scales", scales, "zero_points", zps,
	                 "copied_from", q->copied_from >= 0 ? json_string(g->tensors[q->copied_from].name)
	                                                    : json_null());
	/* ABI minor 3: written only where they differ from the minor-2 meaning. */
	if (o && q->bits != 8 && q->bits != 32)
		json_object_set_new(o, "bits", json_integer(q->bits));
	if (o && q->group_size > 0) {
		json_t *gs = json_array();
		for (int64_t k = 0; k < q->groups * q->n_channels; k++)
			json_array_append_new(gs, json_real((double)q->group_scales[k]));
		json_object_set_new(o, "group_size", json_integer(q->group_size));
		json_object_set_new(o, "group_scales", gs);
	}
	if (o && q->codes) {
		json_t *cs = json_array();
		for (int64_t k = 0; k < q->n_codes; k++)
			json_array_append_new(cs, json_integer(q->codes[k]));
		json_object_set_new(o, "codes", cs);
	}
	return o;
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

int qx_plan_file_write(const struct qx_plan_origin *res, const struct qx_graph *g,
                       const struct qx_quant_plan *plan, const char *path, struct qx_error *err)
{
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
	int bad = !root || json_object_set_new(root, "simulated", plan->simulated
	                                                  ? json_string(plan->simulated_why)
	                                                  : json_null());
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

/* ---- reading ---- */

static int plan_fail(struct qx_error *err, const char *path, const char *what);

/* A tensor entry's minor-3 fields (bits, group_size + group_scales, codes) into *x. */
static int read_ext(const json_t *e, int t, struct qx_plan_tensor_ext *x, const char *path,
                    size_t i, struct qx_error *err)
{
	const json_t *bits = json_object_get(e, "bits"), *gsz = json_object_get(e, "group_size");
	const json_t *gs = json_object_get(e, "group_scales"), *codes = json_object_get(e, "codes");
	char what[256];
	if ((bits && !json_is_integer(bits)) || (gsz && !json_is_integer(gsz)) ||
	    (gs && !json_is_array(gs)) || (codes && !json_is_array(codes)) || (!gsz != !gs)) {
		snprintf(what, sizeof what, "tensors[%zu]: bits, group_size, group_scales or codes "
		         "of the wrong type (group_size and group_scales go together)", i);
		return plan_fail(err, path, what);
	}
	x->tensor = t;
	x->bits = bits ? (int32_t)json_integer_value(bits) : 0;
	x->group_size = gsz ? (int32_t)json_integer_value(gsz) : 0;
	size_t ng = gs ? json_array_size(gs) : 0, nc = codes ? json_array_size(codes) : 0;
	float *g = ng ? malloc(sizeof *g * ng) : NULL;
	int32_t *c = nc ? malloc(sizeof *c * nc) : NULL;
	x->group_scales = g;
	x->codes = c;
	if ((ng && !g) || (nc && !c))
		return qx_fail_nomem(err, "reading plan.json");
	for (size_t k = 0; k < ng; k++)
		g[k] = (float)json_number_value(json_array_get(gs, k));
	for (size_t k = 0; k < nc; k++)
		c[k] = (int32_t)json_integer_value(json_array_get(codes, k));
	x->n_group_scales = (int32_t)ng;
	x->n_codes = (int64_t)nc;
	return 0;
}

static int dtype_of(const char *name)
{
	for (int d = QX_PLAN_UINT8; d <= QX_PLAN_FP8_E5M2; d++)
		if (!strcmp(name, qx_plan_dtype_name(d)))
			return d;
	return -1;
}

static int mode_of(const char *name)
{
	for (int m = QX_MODE_FLOAT; m <= QX_MODE_WEIGHT_ONLY; m++)
		if (!strcmp(name, qx_op_mode_name(m)))
			return m;
	return -1;
}

static int plan_fail(struct qx_error *err, const char *path, const char *what)
{
	return qx_fail(err, QX_EINVAL, "%s: %s (expected a qx-plan/1 plan.json, "
	               "docs/plugin-abi.md)", path, what);
}

int qx_plan_file_read(const char *path, const struct qx_graph *g, struct qx_quant_plan *out,
                     struct qx_error *err)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root)
		return qx_fail(err, errno == ENOENT ? QX_ENOENT : QX_EINVAL, "%s:%d:%d: %s (expected "
		               "a qx-plan/1 plan.json)", path, je.line, je.column, je.text);
	int rc = 0;
	const json_t *tensors = json_object_get(root, "tensors"), *nodes = json_object_get(root, "nodes");
	const char *schema = json_string_value(json_object_get(root, "schema"));
	if (!schema || strcmp(schema, "qx-plan/1") || !json_is_array(tensors) || !json_is_array(nodes)) {
		json_decref(root);
		return plan_fail(err, path, "no schema \"qx-plan/1\" with tensors and nodes arrays");
	}
	size_t nt = json_array_size(tensors), nn = json_array_size(nodes), nsc = 0;
	for (size_t i = 0; i < nt; i++)
		nsc += json_array_size(json_object_get(json_array_get(tensors, i), "scales"));
	struct qx_plan_tensor *pt = calloc(nt + 1, sizeof *pt);
	struct qx_plan_op *po = calloc(nn + 1, sizeof *po);
	float *sc = calloc(nsc + 1, sizeof *sc);
	int32_t *zp = calloc(nsc + 1, sizeof *zp);
	struct qx_plan_tensor_ext *px = calloc(nt + 1, sizeof *px);
	if (!pt || !po || !sc || !zp || !px)
		rc = qx_fail_nomem(err, "reading plan.json");
	size_t nx = 0;
	size_t k = 0, ne = 0, no = 0;
	char what[512];
	for (size_t i = 0; !rc && i < nt; i++) {
		const json_t *e = json_array_get(tensors, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *dt = json_string_value(json_object_get(e, "dtype"));
		const char *scheme = json_string_value(json_object_get(e, "scheme"));
		const json_t *s = json_object_get(e, "scales"), *z = json_object_get(e, "zero_points");
		int t = name ? qx_graph_find_tensor(g, name) : -1;
		if (!name || !dt || !scheme || !json_is_array(s) || !json_is_array(z) ||
		    json_array_size(s) != json_array_size(z) || !json_array_size(s)) {
			snprintf(what, sizeof what, "tensors[%zu]: name, dtype, scheme, scales and "
			         "zero_points missing or of the wrong type", i);
			rc = plan_fail(err, path, what);
			break;
		}
		if (t < 0) {
			snprintf(what, sizeof what, "tensors[%zu]: '%s' is not a tensor of %s (a plan for "
			         "another model?)", i, name, g->path);
			rc = plan_fail(err, path, what);
			break;
		}
		if (!json_is_null(json_object_get(e, "copied_from")))
			continue; /* the host copies those again */
		struct qx_plan_tensor *p = &pt[ne++];
		p->tensor = t;
		p->dtype = dtype_of(dt);
		p->symmetric = strstr(scheme, "symmetric") != NULL;
		p->axis = (int32_t)json_integer_value(json_object_get(e, "axis"));
		p->qmin = (int32_t)json_integer_value(json_object_get(e, "qmin"));
		p->qmax = (int32_t)json_integer_value(json_object_get(e, "qmax"));
		p->n_channels = (int32_t)json_array_size(s);
		p->scales = sc + k;
		p->zero_points = zp + k;
		for (size_t c = 0; c < json_array_size(s); c++, k++) {
			sc[k] = (float)json_number_value(json_array_get(s, c));
			zp[k] = (int32_t)json_integer_value(json_array_get(z, c));
		}
		rc = read_ext(e, t, &px[nx], path, i, err);
		if (!rc && (px[nx].bits || px[nx].group_size || px[nx].codes))
			nx++;
	}
	for (size_t i = 0; !rc && i < nn; i++) {
		const json_t *e = json_array_get(nodes, i);
		const char *name = json_string_value(json_object_get(e, "name"));
		const char *mode = json_string_value(json_object_get(e, "mode"));
		int n = -1;
		for (int j = 0; name && j < g->n_nodes && n < 0; j++)
			if (!strcmp(g->nodes[j].name, name))
				n = j;
		if (!name || !mode || n < 0) {
			snprintf(what, sizeof what, "nodes[%zu]: '%s' is not a node of %s", i,
			         name ? name : "(no name)", g->path);
			rc = plan_fail(err, path, what);
			break;
		}
		int m = mode_of(mode);
		if (m == QX_MODE_FLOAT)
			continue;
		po[no].node = n;
		po[no].mode = m;
		po[no].dyn_qmin = (int32_t)json_integer_value(json_object_get(e, "dyn_qmin"));
		po[no].dyn_qmax = (int32_t)json_integer_value(json_object_get(e, "dyn_qmax"));
		no++;
	}
	if (!rc) {
		struct qx_plan plan = { (int32_t)ne, pt, (int32_t)no, po, (int32_t)nx, px };
		struct qx_error verr = { 0 };
		if (qx_plan_validate(g, &plan, NULL, out, &verr))
			rc = qx_fail(err, QX_EINVAL, "%s: %s (expected a plan valid for %s)", path,
			             verr.msg, g->path);
	}
	free(pt);
	free(po);
	free(sc);
	free(zp);
	for (size_t i = 0; px && i <= nx && i < nt; i++) {
		free((void *)px[i].group_scales);
		free((void *)px[i].codes);
	}
	free(px);
	json_decref(root);
	return rc;
}
