/* The child's reply as JSON (jansson). Compact, with 9 significant digits for reals: enough
 * for every float32 to come back bit for bit. */
#include "plan/plan_json.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define REPLY_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(9))

static json_t *float_json(float v)
{
	if (isnan(v))
		return json_string("nan");
	if (isinf(v))
		return json_string(v > 0 ? "inf" : "-inf");
	return json_real((double)v);
}

static json_t *int_array(const int32_t *v, int n)
{
	json_t *a = json_array();
	for (int i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

static json_t *float_array(const float *v, int n)
{
	json_t *a = json_array();
	for (int i = 0; a && i < n; i++)
		if (json_array_append_new(a, float_json(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int qx_plan_check_shape(const struct qx_plan *plan, int64_t max_channels, int64_t max_values,
                        struct qx_error *err)
{
	if (plan->n_tensor_ext < 0 || (plan->n_tensor_ext > 0 && !plan->tensor_ext))
		return qx_fail(err, QX_EPLUGIN, "invalid plan: n_tensor_ext %d with tensor_ext %s "
		               "(expected n_tensor_ext >= 0 and an array when > 0)", plan->n_tensor_ext,
		               plan->tensor_ext ? "set" : "NULL");
	for (int e = 0; e < plan->n_tensor_ext; e++) {
		const struct qx_plan_tensor_ext *x = &plan->tensor_ext[e];
		if (x->n_group_scales < 0 || x->n_group_scales > max_values ||
		    (x->n_group_scales > 0 && !x->group_scales))
			return qx_fail(err, QX_EPLUGIN, "invalid plan: tensor_ext entry %d: "
			               "n_group_scales %d with group_scales %s (expected 0..%lld and an "
			               "array when > 0)", e, x->n_group_scales,
			               x->group_scales ? "set" : "NULL", (long long)max_values);
		if (x->n_codes < 0 || x->n_codes > max_values || (x->n_codes > 0 && !x->codes))
			return qx_fail(err, QX_EPLUGIN, "invalid plan: tensor_ext entry %d: n_codes %lld "
			               "with codes %s (expected 0..%lld and an array when > 0)", e,
			               (long long)x->n_codes, x->codes ? "set" : "NULL",
			               (long long)max_values);
	}
	if (plan->n_tensors < 0 || (plan->n_tensors > 0 && !plan->tensors))
		return qx_fail(err, QX_EPLUGIN, "invalid plan: n_tensors %d with tensors %s (expected "
		               "n_tensors >= 0 and an array when > 0)", plan->n_tensors,
		               plan->tensors ? "set" : "NULL");
	if (plan->n_ops < 0 || (plan->n_ops > 0 && !plan->ops))
		return qx_fail(err, QX_EPLUGIN, "invalid plan: n_ops %d with ops %s (expected n_ops "
		               ">= 0 and an array when > 0)", plan->n_ops, plan->ops ? "set" : "NULL");
	for (int e = 0; e < plan->n_tensors; e++) {
		const struct qx_plan_tensor *t = &plan->tensors[e];
		if (t->n_channels < 1 || t->n_channels > max_channels)
			return qx_fail(err, QX_EPLUGIN, "invalid plan: tensor entry %d: n_channels %d "
			               "(expected 1..%lld)", e, t->n_channels, (long long)max_channels);
		if (!t->scales || !t->zero_points)
			return qx_fail(err, QX_EPLUGIN, "invalid plan: tensor entry %d: scales or "
			               "zero_points is NULL (expected n_channels values each)", e);
	}
	return 0;
}

int qx_plan_json_encode(const struct qx_plan *plan, const int32_t *node_modes, int n_nodes,
                        int64_t calib_images, int calib_batches, double calibrate_s,
                        char **json, size_t *len, struct qx_error *err)
{
	*json = NULL;
	json_t *tensors = json_array(), *ops = json_array();
	json_t *root = json_pack("{s:o, s:o, s:o, s:{s:I, s:i, s:f}}", "tensors", tensors,
	                         "ops", ops, "node_modes",
	                         node_modes ? int_array(node_modes, n_nodes) : json_null(),
	                         "calibration", "images", (json_int_t)calib_images, "batches",
	                         calib_batches, "seconds", calibrate_s);
	int bad = !root;
	for (int e = 0; !bad && e < plan->n_tensors; e++) {
		const struct qx_plan_tensor *t = &plan->tensors[e];
		json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o}",
		                      "tensor", t->tensor, "dtype", t->dtype, "symmetric", t->symmetric,
		                      "axis", t->axis, "n_channels", t->n_channels, "qmin", t->qmin,
		                      "qmax", t->qmax, "scales", float_array(t->scales, t->n_channels),
		                      "zero_points", int_array(t->zero_points, t->n_channels));
		bad = !o || json_array_append_new(tensors, o);
	}
	json_t *exts = json_array();
	bad = bad || json_object_set_new(root, "tensor_ext", exts);
	for (int e = 0; !bad && e < plan->n_tensor_ext; e++) {
		const struct qx_plan_tensor_ext *x = &plan->tensor_ext[e];
		json_t *o = json_pack("{s:i, s:i, s:i, s:i, s:o, s:o}", "tensor", x->tensor, "bits",
		                      x->bits, "group_size", x->group_size, "reserved", x->reserved,
		                      "group_scales", float_array(x->group_scales, x->n_group_scales),
		                      "codes", int_array(x->codes, (int)x->n_codes));
		bad = !o || json_array_append_new(exts, o);
	}
	for (int e = 0; !bad && e < plan->n_ops; e++) {
		const struct qx_plan_op *op = &plan->ops[e];
		json_t *o = json_pack("{s:i, s:i, s:i, s:i}", "node", op->node, "mode", op->mode,
		                      "dyn_qmin", op->dyn_qmin, "dyn_qmax", op->dyn_qmax);
		bad = !o || json_array_append_new(ops, o);
	}
	if (!bad)
		*json = json_dumps(root, REPLY_FLAGS);
	json_decref(root);
	if (!*json)
		return qx_fail_nomem(err, "encoding the plan as JSON");
	*len = strlen(*json);
	return 0;
}

/* Decoding: every field is required; a wrong reply is an internal error, reported precisely. */
struct decoder {
	struct qx_error *err;
	int rc;
};

static json_t *field(struct decoder *d, json_t *obj, const char *key, json_type type,
                     const char *where)
{
	if (d->rc)
		return NULL;
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || (json_typeof(v) != type && !(type == JSON_REAL && json_is_integer(v)))) {
		d->rc = qx_fail(d->err, QX_EINTERNAL, "plugin reply: %s.%s is %s (expected a %s)",
		                where, key, v ? "of the wrong type" : "missing",
		                type == JSON_ARRAY ? "list" : type == JSON_OBJECT ? "mapping" : "number");
		return NULL;
	}
	return v;
}

static int32_t int_field(struct decoder *d, json_t *obj, const char *key, const char *where)
{
	json_t *v = field(d, obj, key, JSON_INTEGER, where);
	if (!v)
		return 0;
	json_int_t i = json_integer_value(v);
	if (i < INT32_MIN || i > INT32_MAX) {
		d->rc = qx_fail(d->err, QX_EINTERNAL, "plugin reply: %s.%s = %lld (expected an int32)",
		                where, key, (long long)i);
		return 0;
	}
	return (int32_t)i;
}

static float float_value(struct decoder *d, json_t *v, const char *where)
{
	if (json_is_number(v))
		return (float)json_number_value(v);
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "nan") == 0)
		return NAN;
	if (strcmp(s, "inf") == 0)
		return INFINITY;
	if (strcmp(s, "-inf") == 0)
		return -INFINITY;
	if (!d->rc)
		d->rc = qx_fail(d->err, QX_EINTERNAL, "plugin reply: %s holds a non-number "
		                "(expected a number, \"nan\", \"inf\" or \"-inf\")", where);
	return 0.0f;
}

static int decode_tensors(struct decoder *d, json_t *arr, struct qx_plan_buf *b)
{
	size_t n = json_array_size(arr), total = 0;
	for (size_t e = 0; e < n; e++)
		total += json_array_size(json_object_get(json_array_get(arr, e), "scales"));
	b->tensors = calloc(n + 1, sizeof *b->tensors);
	b->scales = calloc(total + 1, sizeof *b->scales);
	b->zero_points = calloc(total + 1, sizeof *b->zero_points);
	if (!b->tensors || !b->scales || !b->zero_points)
		return qx_fail_nomem(d->err, "decoding a plan");
	size_t at = 0;
	for (size_t e = 0; e < n && !d->rc; e++) {
		json_t *o = json_array_get(arr, e);
		struct qx_plan_tensor *t = &b->tensors[e];
		t->tensor = int_field(d, o, "tensor", "tensors[]");
		t->dtype = int_field(d, o, "dtype", "tensors[]");
		t->symmetric = int_field(d, o, "symmetric", "tensors[]");
		t->axis = int_field(d, o, "axis", "tensors[]");
		t->n_channels = int_field(d, o, "n_channels", "tensors[]");
		t->qmin = int_field(d, o, "qmin", "tensors[]");
		t->qmax = int_field(d, o, "qmax", "tensors[]");
		json_t *s = field(d, o, "scales", JSON_ARRAY, "tensors[]");
		json_t *z = field(d, o, "zero_points", JSON_ARRAY, "tensors[]");
		if (d->rc)
			break;
		if (json_array_size(s) != (size_t)t->n_channels ||
		    json_array_size(z) != (size_t)t->n_channels)
			return d->rc = qx_fail(d->err, QX_EINTERNAL, "plugin reply: tensor entry %zu has "
			                       "%zu scales and %zu zero points (expected n_channels = %d)",
			                       e, json_array_size(s), json_array_size(z), t->n_channels);
		t->scales = b->scales + at;
		t->zero_points = b->zero_points + at;
		for (int k = 0; k < t->n_channels; k++) {
			b->scales[at + k] = float_value(d, json_array_get(s, k), "tensors[].scales[]");
			json_t *zk = json_array_get(z, k);
			if (!json_is_integer(zk) || json_integer_value(zk) < INT32_MIN ||
			    json_integer_value(zk) > INT32_MAX)
				return d->rc = qx_fail(d->err, QX_EINTERNAL, "plugin reply: tensor entry "
				                       "%zu zero_points[%d] (expected an int32)", e, k);
			b->zero_points[at + k] = (int32_t)json_integer_value(zk);
		}
		at += (size_t)t->n_channels;
	}
	b->plan.n_tensors = (int32_t)n;
	b->plan.tensors = b->tensors;
	return d->rc;
}

/* The minor-3 tensor_ext list (absent in a reply means none). */
static int decode_exts(struct decoder *d, json_t *arr, struct qx_plan_buf *b)
{
	size_t n = json_array_size(arr), n_scales = 0, n_codes = 0;
	for (size_t e = 0; e < n; e++) {
		json_t *o = json_array_get(arr, e);
		n_scales += json_array_size(json_object_get(o, "group_scales"));
		n_codes += json_array_size(json_object_get(o, "codes"));
	}
	b->exts = calloc(n + 1, sizeof *b->exts);
	b->group_scales = calloc(n_scales + 1, sizeof *b->group_scales);
	b->codes = calloc(n_codes + 1, sizeof *b->codes);
	if (!b->exts || !b->group_scales || !b->codes)
		return d->rc = qx_fail_nomem(d->err, "decoding a plan");
	size_t at_s = 0, at_c = 0;
	for (size_t e = 0; e < n && !d->rc; e++) {
		json_t *o = json_array_get(arr, e);
		struct qx_plan_tensor_ext *x = &b->exts[e];
		x->tensor = int_field(d, o, "tensor", "tensor_ext[]");
		x->bits = int_field(d, o, "bits", "tensor_ext[]");
		x->group_size = int_field(d, o, "group_size", "tensor_ext[]");
		x->reserved = int_field(d, o, "reserved", "tensor_ext[]");
		json_t *s = field(d, o, "group_scales", JSON_ARRAY, "tensor_ext[]");
		json_t *c = field(d, o, "codes", JSON_ARRAY, "tensor_ext[]");
		if (d->rc)
			break;
		x->n_group_scales = (int32_t)json_array_size(s);
		x->group_scales = x->n_group_scales ? b->group_scales + at_s : NULL;
		for (size_t k = 0; k < json_array_size(s); k++)
			b->group_scales[at_s++] = float_value(d, json_array_get(s, k),
			                                      "tensor_ext[].group_scales[]");
		x->n_codes = (int64_t)json_array_size(c);
		x->codes = x->n_codes ? b->codes + at_c : NULL;
		for (size_t k = 0; k < json_array_size(c); k++) {
			json_t *ck = json_array_get(c, k);
			if (!json_is_integer(ck) || json_integer_value(ck) < INT32_MIN ||
			    json_integer_value(ck) > INT32_MAX)
				return d->rc = qx_fail(d->err, QX_EINTERNAL, "plugin reply: tensor_ext entry "
				                       "%zu codes[%zu] (expected an int32)", e, k);
			b->codes[at_c++] = (int32_t)json_integer_value(ck);
		}
	}
	b->plan.n_tensor_ext = (int32_t)n;
	b->plan.tensor_ext = n ? b->exts : NULL;
	return d->rc;
}

int qx_plan_json_decode(const char *json, size_t len, struct qx_plan_buf *b, struct qx_error *err)
{
	memset(b, 0, sizeof *b);
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	if (!root)
		return qx_fail(err, QX_EINTERNAL, "plugin reply: byte offset %d: %s (expected JSON)",
		               jerr.position, jerr.text);
	struct decoder d = { .err = err };
	json_t *tensors = field(&d, root, "tensors", JSON_ARRAY, "reply");
	json_t *ops = field(&d, root, "ops", JSON_ARRAY, "reply");
	json_t *calib = field(&d, root, "calibration", JSON_OBJECT, "reply");
	json_t *modes = json_object_get(root, "node_modes");
	if (!d.rc && modes && !json_is_null(modes) && !json_is_array(modes))
		d.rc = qx_fail(err, QX_EINTERNAL, "plugin reply: node_modes is of the wrong type "
		               "(expected a list or null)");
	if (!d.rc) {
		b->calib_images = (int64_t)json_integer_value(field(&d, calib, "images", JSON_INTEGER,
		                                                    "calibration"));
		b->calib_batches = int_field(&d, calib, "batches", "calibration");
		json_t *s = field(&d, calib, "seconds", JSON_REAL, "calibration");
		b->calibrate_s = s ? json_number_value(s) : 0.0;
	}
	if (!d.rc)
		decode_tensors(&d, tensors, b);
	json_t *exts = json_object_get(root, "tensor_ext");
	if (!d.rc && exts && !json_is_array(exts))
		d.rc = qx_fail(err, QX_EINTERNAL, "plugin reply: tensor_ext is of the wrong type "
		               "(expected a list)");
	if (!d.rc && exts)
		decode_exts(&d, exts, b);
	if (!d.rc) {
		size_t n = json_array_size(ops);
		b->ops = calloc(n + 1, sizeof *b->ops);
		if (!b->ops)
			d.rc = qx_fail_nomem(err, "decoding a plan");
		for (size_t e = 0; e < n && !d.rc; e++) {
			json_t *o = json_array_get(ops, e);
			b->ops[e].node = int_field(&d, o, "node", "ops[]");
			b->ops[e].mode = int_field(&d, o, "mode", "ops[]");
			b->ops[e].dyn_qmin = int_field(&d, o, "dyn_qmin", "ops[]");
			b->ops[e].dyn_qmax = int_field(&d, o, "dyn_qmax", "ops[]");
		}
		b->plan.n_ops = (int32_t)n;
		b->plan.ops = b->ops;
	}
	if (!d.rc && json_is_array(modes)) {
		size_t n = json_array_size(modes);
		b->node_modes = calloc(n + 1, sizeof *b->node_modes);
		if (!b->node_modes)
			d.rc = qx_fail_nomem(err, "decoding a plan");
		for (size_t i = 0; i < n && !d.rc; i++) {
			json_t *m = json_array_get(modes, i);
			if (!json_is_integer(m))
				d.rc = qx_fail(err, QX_EINTERNAL, "plugin reply: node_modes[%zu] is not an "
				               "integer (expected a mode number)", i);
			else
				b->node_modes[i] = (int32_t)json_integer_value(m);
		}
		b->n_node_modes = (int)n;
	}
	json_decref(root);
	return d.rc;
}

void qx_plan_buf_free(struct qx_plan_buf *b)
{
	free(b->tensors);
	free(b->ops);
	free(b->scales);
	free(b->zero_points);
	free(b->exts);
	free(b->group_scales);
	free(b->codes);
	free(b->node_modes);
	memset(b, 0, sizeof *b);
}
