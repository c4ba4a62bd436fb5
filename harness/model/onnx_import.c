/* ONNX file -> graph IR. Parsing is protobuf-c's generated code for Debian's onnx.proto; this
 * file checks what the model asks for against what qx-bench runs, and refuses the rest with
 * one message naming the file, the node, its op and what is supported. */
#include "model/graph_build.h"
#include "nd_ops.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Default-domain opsets the conformance tests cover (Debian's ONNX 1.12 test data). */
#define OPSET_MIN 7
#define OPSET_MAX 17

struct importer {
	const char *path;
	const Onnx__GraphProto *gp;
	struct qx_graph *g;
	int64_t opset;
	/* Per tensor, while importing: its ONNX dtype and, for initializers, its proto. */
	int32_t *dtype;
	const Onnx__TensorProto **proto;
	struct qx_error *err;
};

static const char *node_op(const Onnx__NodeProto *n)
{
	return n->op_type ? n->op_type : "";
}

static int node_fail(struct importer *im, const char *name, const char *op, int code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int node_fail(struct importer *im, const char *name, const char *op, int code,
                     const char *fmt, ...)
{
	char what[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return qx_fail(im->err, code, "%s: node '%s' (%s): %s", im->path, name, op, what);
}

#define NODE_FAIL(code, ...) node_fail(im, name, node_op(np), code, __VA_ARGS__)

/* ---- attributes ------------------------------------------------------------------------ */

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *np, const char *key)
{
	for (size_t i = 0; i < np->n_attribute; i++)
		if (np->attribute[i]->name && strcmp(np->attribute[i]->name, key) == 0)
			return np->attribute[i];
	return NULL;
}

/* Refuses any attribute not in allowed (a NULL-terminated list), and references to function
 * attributes. */
static int check_attrs(struct importer *im, const Onnx__NodeProto *np, const char *name,
                       const char *const *allowed)
{
	for (size_t i = 0; i < np->n_attribute; i++) {
		const Onnx__AttributeProto *a = np->attribute[i];
		const char *an = a->name ? a->name : "";
		int known = 0;
		for (const char *const *k = allowed; *k && !known; k++)
			known = strcmp(*k, an) == 0;
		if (!known) {
			char list[256] = "none";
			size_t len = 0;
			for (const char *const *k = allowed; *k; k++)
				len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
				                        k == allowed ? "" : ", ", *k);
			return NODE_FAIL(QX_EUNSUPPORTED, "unknown attribute '%s' (supported: %s)", an, list);
		}
		if (a->ref_attr_name && *a->ref_attr_name)
			return NODE_FAIL(QX_EUNSUPPORTED, "attribute '%s' refers to a function attribute "
			                 "(expected a value)", an);
	}
	return 0;
}

static int attr_int(struct importer *im, const Onnx__NodeProto *np, const char *name,
                    const char *key, int64_t dflt, int64_t *out)
{
	const Onnx__AttributeProto *a = find_attr(np, key);
	*out = dflt;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT)
		return NODE_FAIL(QX_EINVAL, "attribute '%s' has the wrong type (expected an int)", key);
	*out = a->i;
	return 0;
}

static int attr_float(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      const char *key, float dflt, float *out)
{
	const Onnx__AttributeProto *a = find_attr(np, key);
	*out = dflt;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT)
		return NODE_FAIL(QX_EINVAL, "attribute '%s' has the wrong type (expected a float)", key);
	*out = a->f;
	return 0;
}

/* A list of exactly `want` ints within [lo, hi]; absent leaves out[] untouched, *present = 0. */
static int attr_ints(struct importer *im, const Onnx__NodeProto *np, const char *name,
                     const char *key, size_t want, int64_t lo, int64_t hi, int *out, int *present)
{
	const Onnx__AttributeProto *a = find_attr(np, key);
	if (present)
		*present = a != NULL;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return NODE_FAIL(QX_EINVAL, "attribute '%s' has the wrong type (expected ints)", key);
	if (a->n_ints != want)
		return NODE_FAIL(QX_EUNSUPPORTED, "attribute '%s' has %zu values (supported: %zu, "
		                 "i.e. 2-D only)", key, a->n_ints, want);
	for (size_t i = 0; i < want; i++) {
		if (a->ints[i] < lo || a->ints[i] > hi)
			return NODE_FAIL(QX_EINVAL, "attribute '%s' value %lld is out of range (expected "
			                 "%lld..%lld)", key, (long long)a->ints[i], (long long)lo,
			                 (long long)hi);
		out[i] = (int)a->ints[i];
	}
	return 0;
}

/* A string attribute that must be one of names[0..count); absent gives dflt. */
static int attr_enum(struct importer *im, const Onnx__NodeProto *np, const char *name,
                     const char *key, const char *const *names, int count, int dflt, int *out)
{
	const Onnx__AttributeProto *a = find_attr(np, key);
	*out = dflt;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING)
		return NODE_FAIL(QX_EINVAL, "attribute '%s' has the wrong type (expected a string)", key);
	char list[256];
	size_t len = 0;
	for (int i = 0; i < count; i++) {
		if (a->s.len == strlen(names[i]) && memcmp(a->s.data, names[i], a->s.len) == 0) {
			*out = i;
			return 0;
		}
		len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", i ? ", " : "", names[i]);
	}
	return NODE_FAIL(QX_EUNSUPPORTED, "%s '%.*s' (supported: %s)", key, (int)a->s.len,
	                 (const char *)a->s.data, list);
}

static int attr_auto_pad(struct importer *im, const Onnx__NodeProto *np, const char *name,
                         enum qx_auto_pad *out)
{
	static const char *const names[] = { "NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID" };
	int v, rc = attr_enum(im, np, name, "auto_pad", names, 4, QX_PAD_NOTSET, &v);
	*out = (enum qx_auto_pad)v;
	return rc;
}

/* An ints attribute of at most max values, into v (int64); *n = -1 when absent. */
static int attr_int64s(struct importer *im, const Onnx__NodeProto *np, const char *name,
                       const char *key, size_t max, int64_t *v, int *n)
{
	const Onnx__AttributeProto *a = find_attr(np, key);
	*n = -1;
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
		return NODE_FAIL(QX_EINVAL, "attribute '%s' has the wrong type (expected ints)", key);
	if (a->n_ints > max)
		return NODE_FAIL(QX_EUNSUPPORTED, "attribute '%s' has %zu values (supported: at most "
		                 "%zu)", key, a->n_ints, max);
	for (size_t i = 0; i < a->n_ints; i++)
		v[i] = a->ints[i];
	*n = (int)a->n_ints;
	return 0;
}

static int attr_bool(struct importer *im, const Onnx__NodeProto *np, const char *name,
                     const char *key, int dflt, int *out)
{
	int64_t v;
	int rc = attr_int(im, np, name, key, dflt, &v);
	if (rc)
		return rc;
	if (v != 0 && v != 1)
		return NODE_FAIL(QX_EINVAL, "attribute '%s' is %lld (expected 0 or 1)", key, (long long)v);
	*out = (int)v;
	return 0;
}

/* ---- per-op attribute parsing ---------------------------------------------------------- */

/* kernel_shape / strides / dilations / pads shared by Conv and the pools. */
static int parse_window(struct importer *im, const Onnx__NodeProto *np, const char *name,
                        int *kernel, int *stride, int *dilation, int *pad, int kernel_required,
                        int *kernel_present)
{
	int rc;
	stride[0] = stride[1] = 1;
	dilation[0] = dilation[1] = 1;
	pad[0] = pad[1] = pad[2] = pad[3] = 0;
	kernel[0] = kernel[1] = 0;
	const Onnx__AttributeProto *ks = find_attr(np, "kernel_shape");
	if (ks && ks->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS && ks->n_ints != 2)
		return NODE_FAIL(QX_EUNSUPPORTED, "%zu-D kernel_shape (supported: 2-D only)", ks->n_ints);
	if ((rc = attr_ints(im, np, name, "kernel_shape", 2, 1, 1 << 16, kernel, kernel_present)))
		return rc;
	if (kernel_required && !*kernel_present)
		return NODE_FAIL(QX_EINVAL, "attribute 'kernel_shape' is missing (expected 2 ints)");
	if ((rc = attr_ints(im, np, name, "strides", 2, 1, 1 << 16, stride, NULL)) ||
	    (rc = attr_ints(im, np, name, "dilations", 2, 1, 1 << 16, dilation, NULL)))
		return rc;
	/* ONNX orders pads as (h_begin, w_begin, h_end, w_end) = top, left, bottom, right. */
	return attr_ints(im, np, name, "pads", 4, 0, 1 << 16, pad, NULL);
}

static int parse_conv(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      struct qx_node *n)
{
	static const char *const allowed[] = { "auto_pad", "dilations", "group", "kernel_shape",
	                                       "pads", "strides", NULL };
	struct qx_conv_attr *c = &n->attr.conv;
	int present, rc;
	int64_t group;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = parse_window(im, np, name, c->kernel, c->stride, c->dilation, c->pad, 0, &present)) ||
	    (rc = attr_auto_pad(im, np, name, &c->auto_pad)) ||
	    (rc = attr_int(im, np, name, "group", 1, &group)))
		return rc;
	if (group < 1 || group > 1 << 20)
		return NODE_FAIL(QX_EINVAL, "group %lld (expected >= 1)", (long long)group);
	c->group = (int)group;
	return 0;
}

static int parse_pool(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      struct qx_node *n)
{
	static const char *const max_allowed[] = { "auto_pad", "ceil_mode", "dilations",
	                                           "kernel_shape", "pads", "storage_order",
	                                           "strides", NULL };
	static const char *const avg_allowed[] = { "auto_pad", "ceil_mode", "count_include_pad",
	                                           "kernel_shape", "pads", "strides", NULL };
	struct qx_pool_attr *p = &n->attr.pool;
	int present, rc, storage_order;
	int is_max = n->op == QX_OP_MAXPOOL;
	if ((rc = check_attrs(im, np, name, is_max ? max_allowed : avg_allowed)) ||
	    (rc = parse_window(im, np, name, p->kernel, p->stride, p->dilation, p->pad, 1, &present)) ||
	    (rc = attr_auto_pad(im, np, name, &p->auto_pad)) ||
	    (rc = attr_bool(im, np, name, "ceil_mode", 0, &p->ceil_mode)) ||
	    (rc = attr_bool(im, np, name, "count_include_pad", 0, &p->count_include_pad)) ||
	    (rc = attr_bool(im, np, name, "storage_order", 0, &storage_order)))
		return rc;
	if (storage_order)
		return NODE_FAIL(QX_EUNSUPPORTED, "storage_order 1 (supported: 0, row-major)");
	return 0;
}

static int parse_gemm(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      struct qx_node *n)
{
	static const char *const allowed[] = { "alpha", "beta", "transA", "transB", NULL };
	struct qx_gemm_attr *a = &n->attr.gemm;
	int rc;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_float(im, np, name, "alpha", 1.0f, &a->alpha)) ||
	    (rc = attr_float(im, np, name, "beta", 1.0f, &a->beta)) ||
	    (rc = attr_bool(im, np, name, "transA", 0, &a->trans_a)) ||
	    (rc = attr_bool(im, np, name, "transB", 0, &a->trans_b)))
		return rc;
	return 0;
}

static int parse_axis(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      struct qx_node *n, int64_t dflt, int required)
{
	static const char *const allowed[] = { "axis", NULL };
	int rc = check_attrs(im, np, name, allowed);
	if (rc)
		return rc;
	if (required && !find_attr(np, "axis"))
		return NODE_FAIL(QX_EINVAL, "attribute 'axis' is missing (expected an int)");
	return attr_int(im, np, name, "axis", dflt, &n->attr.axis);
}

static int parse_batchnorm(struct importer *im, const Onnx__NodeProto *np, const char *name,
                           struct qx_node *n)
{
	static const char *const allowed[] = { "epsilon", "momentum", "spatial", "training_mode",
	                                       NULL };
	int rc, spatial, training;
	float momentum;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_float(im, np, name, "epsilon", 1e-5f, &n->attr.epsilon)) ||
	    (rc = attr_float(im, np, name, "momentum", 0.9f, &momentum)) ||
	    (rc = attr_bool(im, np, name, "spatial", 1, &spatial)) ||
	    (rc = attr_bool(im, np, name, "training_mode", 0, &training)))
		return rc;
	if (!spatial)
		return NODE_FAIL(QX_EUNSUPPORTED, "spatial=0 (supported: spatial=1, per-channel "
		                 "statistics)");
	if (training)
		return NODE_FAIL(QX_EUNSUPPORTED, "training_mode=1 (supported: inference, "
		                 "training_mode=0)");
	if (!(n->attr.epsilon >= 0))
		return NODE_FAIL(QX_EINVAL, "epsilon %g (expected >= 0)", n->attr.epsilon);
	return 0;
}

static int parse_clip(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      struct qx_node *n)
{
	static const char *const old_allowed[] = { "max", "min", NULL };
	static const char *const no_attrs[] = { NULL };
	int rc;
	/* Opset < 11 gives the bounds as attributes; later opsets as optional inputs. */
	if (im->opset < 11) {
		if ((rc = check_attrs(im, np, name, old_allowed)) ||
		    (rc = attr_float(im, np, name, "min", -INFINITY, &n->act_min)) ||
		    (rc = attr_float(im, np, name, "max", INFINITY, &n->act_max)))
			return rc;
		return 0;
	}
	return check_attrs(im, np, name, no_attrs);
}

static int parse_dropout(struct importer *im, const Onnx__NodeProto *np, const char *name)
{
	static const char *const old_allowed[] = { "ratio", NULL };
	static const char *const new_allowed[] = { "seed", NULL };
	/* Inference ignores ratio and seed: Dropout is the identity then. */
	return check_attrs(im, np, name, im->opset < 12 ? old_allowed : new_allowed);
}

static int parse_reshape(struct importer *im, const Onnx__NodeProto *np, const char *name,
                         struct qx_node *n)
{
	static const char *const allowed[] = { "allowzero", NULL };
	int rc = check_attrs(im, np, name, allowed);
	if (rc)
		return rc;
	return attr_bool(im, np, name, "allowzero", 0, &n->attr.allowzero);
}

static int parse_activation(struct importer *im, const Onnx__NodeProto *np, const char *name,
                            struct qx_node *n)
{
	static const char *const hs_allowed[] = { "alpha", "beta", NULL };
	static const char *const lr_allowed[] = { "alpha", NULL };
	int rc;
	if (n->op == QX_OP_HARDSIGMOID) {
		if ((rc = check_attrs(im, np, name, hs_allowed)) ||
		    (rc = attr_float(im, np, name, "alpha", 0.2f, &n->attr.act.alpha)) ||
		    (rc = attr_float(im, np, name, "beta", 0.5f, &n->attr.act.beta)))
			return rc;
		return 0;
	}
	if ((rc = check_attrs(im, np, name, lr_allowed)))
		return rc;
	return attr_float(im, np, name, "alpha", 0.01f, &n->attr.act.alpha);
}

static int parse_reducemean(struct importer *im, const Onnx__NodeProto *np, const char *name,
                            struct qx_node *n)
{
	static const char *const allowed[] = { "axes", "keepdims", NULL };
	struct qx_axes_attr *a = &n->attr.axes;
	int rc;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_int64s(im, np, name, "axes", QX_MAX_DIMS, a->v, &a->n)) ||
	    (rc = attr_bool(im, np, name, "keepdims", 1, &a->keepdims)))
		return rc;
	if (a->n < 0)
		a->n = 0; /* absent: every axis */
	return 0;
}

static int parse_transpose(struct importer *im, const Onnx__NodeProto *np, const char *name,
                           struct qx_node *n)
{
	static const char *const allowed[] = { "perm", NULL };
	struct qx_axes_attr *a = &n->attr.axes;
	int rc;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_int64s(im, np, name, "perm", QX_MAX_DIMS, a->v, &a->n)))
		return rc;
	if (a->n == 0)
		return NODE_FAIL(QX_EINVAL, "attribute 'perm' is empty (expected one entry per axis)");
	if (a->n < 0)
		a->n = 0; /* absent: reverse */
	return 0;
}

static int parse_pad(struct importer *im, const Onnx__NodeProto *np, const char *name,
                     struct qx_node *n)
{
	static const char *const old_allowed[] = { "mode", "pads", "value", NULL };
	static const char *const new_allowed[] = { "mode", NULL };
	static const char *const modes[] = { "constant", "reflect", "edge" };
	int rc = check_attrs(im, np, name, im->opset < 11 ? old_allowed : new_allowed);
	if (rc)
		return rc;
	return attr_enum(im, np, name, "mode", modes, 3, QX_ND_PAD_CONSTANT, &n->attr.pad_mode);
}

static int parse_resize(struct importer *im, const Onnx__NodeProto *np, const char *name,
                        struct qx_node *n)
{
	static const char *const allowed[] = { "coordinate_transformation_mode", "cubic_coeff_a",
	                                       "exclude_outside", "extrapolation_value", "mode",
	                                       "nearest_mode", NULL };
	static const char *const modes[] = { "nearest", "linear" };
	static const char *const coords[] = { "half_pixel", "pytorch_half_pixel", "align_corners",
	                                      "asymmetric" };
	static const char *const nearest[] = { "round_prefer_floor", "round_prefer_ceil", "floor",
	                                       "ceil" };
	struct qx_resize_attr *a = &n->attr.resize;
	int rc, exclude;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_enum(im, np, name, "mode", modes, 2, 0, &a->linear)) ||
	    (rc = attr_bool(im, np, name, "exclude_outside", 0, &exclude)))
		return rc;
	if (exclude)
		return NODE_FAIL(QX_EUNSUPPORTED, "exclude_outside=1 (supported: 0)");
	if (im->opset < 11) {
		/* Resize-10: no transformation attributes; PyTorch's asymmetric floor semantics. */
		a->coord = QX_ND_COORD_ASYMMETRIC;
		a->nearest = QX_ND_NEAREST_FLOOR;
		return 0;
	}
	if ((rc = attr_enum(im, np, name, "coordinate_transformation_mode", coords, 4,
	                    QX_ND_COORD_HALF_PIXEL, &a->coord)) ||
	    (rc = attr_enum(im, np, name, "nearest_mode", nearest, 4,
	                    QX_ND_NEAREST_ROUND_PREFER_FLOOR, &a->nearest)))
		return rc;
	return 0;
}

static int parse_convtranspose(struct importer *im, const Onnx__NodeProto *np,
                               const char *name, struct qx_node *n)
{
	static const char *const allowed[] = { "auto_pad", "dilations", "group", "kernel_shape",
	                                       "output_padding", "output_shape", "pads", "strides",
	                                       NULL };
	struct qx_conv_attr *c = &n->attr.conv;
	int present, rc;
	int64_t group;
	c->out_pad[0] = c->out_pad[1] = 0;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = parse_window(im, np, name, c->kernel, c->stride, c->dilation, c->pad, 0, &present)) ||
	    (rc = attr_auto_pad(im, np, name, &c->auto_pad)) ||
	    (rc = attr_int(im, np, name, "group", 1, &group)) ||
	    (rc = attr_ints(im, np, name, "output_padding", 2, 0, 1 << 16, c->out_pad, NULL)))
		return rc;
	if (find_attr(np, "output_shape"))
		return NODE_FAIL(QX_EUNSUPPORTED, "attribute 'output_shape' (supported: pads and "
		                 "output_padding, as PyTorch exports)");
	if (group < 1 || group > 1 << 20)
		return NODE_FAIL(QX_EINVAL, "group %lld (expected >= 1)", (long long)group);
	c->group = (int)group;
	return 0;
}

static int parse_layernorm(struct importer *im, const Onnx__NodeProto *np, const char *name,
                           struct qx_node *n)
{
	static const char *const allowed[] = { "axis", "epsilon", "stash_type", NULL };
	int64_t stash;
	int rc;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_int(im, np, name, "axis", -1, &n->attr.norm.axis)) ||
	    (rc = attr_float(im, np, name, "epsilon", 1e-5f, &n->attr.norm.epsilon)) ||
	    (rc = attr_int(im, np, name, "stash_type", 1, &stash)))
		return rc;
	if (stash != 1)
		return NODE_FAIL(QX_EUNSUPPORTED, "stash_type %lld (supported: 1, float statistics)",
		                 (long long)stash);
	if (!(n->attr.norm.epsilon >= 0))
		return NODE_FAIL(QX_EINVAL, "epsilon %g (expected >= 0)", n->attr.norm.epsilon);
	return 0;
}

static int parse_shape(struct importer *im, const Onnx__NodeProto *np, const char *name,
                       struct qx_node *n)
{
	static const char *const allowed[] = { "end", "start", NULL };
	int rc;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_int(im, np, name, "start", 0, &n->attr.shape.start)) ||
	    (rc = attr_int(im, np, name, "end", QX_MAX_DIMS, &n->attr.shape.end)))
		return rc;
	return 0;
}

static int parse_cast(struct importer *im, const Onnx__NodeProto *np, const char *name,
                      struct qx_node *n)
{
	static const char *const allowed[] = { "to", NULL };
	int64_t to;
	int rc;
	if ((rc = check_attrs(im, np, name, allowed)) ||
	    (rc = attr_int(im, np, name, "to", -1, &to)))
		return rc;
	if (to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
		n->attr.to = QX_DT_F32;
	else if (to == ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
		n->attr.to = QX_DT_I64;
	else if (to == -1)
		return NODE_FAIL(QX_EINVAL, "attribute 'to' is missing (expected a dtype)");
	else
		return NODE_FAIL(QX_EUNSUPPORTED, "cast to %s (supported: float, int64)",
		                 qx_onnx_dtype_name((int32_t)to));
	return 0;
}

static int parse_constantofshape(struct importer *im, const Onnx__NodeProto *np,
                                 const char *name, struct qx_node *n)
{
	static const char *const allowed[] = { "value", NULL };
	int rc = check_attrs(im, np, name, allowed);
	if (rc)
		return rc;
	n->attr.fill.dtype = QX_DT_F32;
	n->attr.fill.f = 0.0f;
	n->attr.fill.i = 0;
	const Onnx__AttributeProto *a = find_attr(np, "value");
	if (!a)
		return 0;
	if (a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR || !a->t)
		return NODE_FAIL(QX_EINVAL, "attribute 'value' has the wrong type (expected a tensor)");
	struct qx_tensor v;
	char place[300];
	memset(&v, 0, sizeof v);
	snprintf(place, sizeof place, "node '%s' (ConstantOfShape) value", name);
	if ((rc = qx_tensor_from_proto(a->t, 1, &v, im->path, place, im->err)))
		return rc;
	if (qx_tensor_numel(&v) != 1)
		rc = NODE_FAIL(QX_EINVAL, "value has %lld elements (expected one)",
		               (long long)qx_tensor_numel(&v));
	else if (v.dtype == QX_DT_I64)
		n->attr.fill.i = v.i64[0];
	else
		n->attr.fill.f = v.data[0];
	n->attr.fill.dtype = v.dtype;
	free(v.data);
	free(v.i64);
	return rc;
}

/* ---- ops ------------------------------------------------------------------------------- */

struct op_info {
	const char *onnx;
	enum qx_op op;
	int min_in, max_in;   /* max_in -1: any number (Concat) */
	int max_out;
};

static const struct op_info ops[] = {
	{ "Conv", QX_OP_CONV, 2, 3, 1 },
	{ "Gemm", QX_OP_GEMM, 2, 3, 1 },
	{ "MatMul", QX_OP_MATMUL, 2, 2, 1 },
	{ "Relu", QX_OP_RELU, 1, 1, 1 },
	{ "Clip", QX_OP_CLIP, 1, 3, 1 },
	{ "MaxPool", QX_OP_MAXPOOL, 1, 1, 2 },
	{ "AveragePool", QX_OP_AVGPOOL, 1, 1, 1 },
	{ "GlobalAveragePool", QX_OP_GLOBALAVGPOOL, 1, 1, 1 },
	{ "Flatten", QX_OP_FLATTEN, 1, 1, 1 },
	{ "Reshape", QX_OP_RESHAPE, 2, 2, 1 },
	{ "Add", QX_OP_ADD, 2, 2, 1 },
	{ "Mul", QX_OP_MUL, 2, 2, 1 },
	{ "Concat", QX_OP_CONCAT, 1, -1, 1 },
	{ "Softmax", QX_OP_SOFTMAX, 1, 1, 1 },
	{ "BatchNormalization", QX_OP_BATCHNORM, 5, 5, 5 },
	{ "Identity", QX_OP_IDENTITY, 1, 1, 1 },
	{ "Dropout", QX_OP_DROPOUT, 1, 3, 2 },
	{ "Sigmoid", QX_OP_SIGMOID, 1, 1, 1 },
	{ "HardSigmoid", QX_OP_HARDSIGMOID, 1, 1, 1 },
	{ "HardSwish", QX_OP_HARDSWISH, 1, 1, 1 },
	{ "Tanh", QX_OP_TANH, 1, 1, 1 },
	{ "LeakyRelu", QX_OP_LEAKYRELU, 1, 1, 1 },
	{ "PRelu", QX_OP_PRELU, 2, 2, 1 },
	{ "Sub", QX_OP_SUB, 2, 2, 1 },
	{ "Div", QX_OP_DIV, 2, 2, 1 },
	{ "Sqrt", QX_OP_SQRT, 1, 1, 1 },
	{ "Pow", QX_OP_POW, 2, 2, 1 },
	{ "Erf", QX_OP_ERF, 1, 1, 1 },
	{ "ReduceMean", QX_OP_REDUCEMEAN, 1, 1, 1 },
	{ "GlobalMaxPool", QX_OP_GLOBALMAXPOOL, 1, 1, 1 },
	{ "Transpose", QX_OP_TRANSPOSE, 1, 1, 1 },
	{ "Squeeze", QX_OP_SQUEEZE, 1, 2, 1 },
	{ "Unsqueeze", QX_OP_UNSQUEEZE, 1, 2, 1 },
	{ "Split", QX_OP_SPLIT, 1, 2, QX_MAX_OUTPUTS },
	{ "Slice", QX_OP_SLICE, 1, 5, 1 },
	{ "Pad", QX_OP_PAD, 1, 3, 1 },
	{ "Resize", QX_OP_RESIZE, 1, 4, 1 },
	{ "ConvTranspose", QX_OP_CONVTRANSPOSE, 2, 3, 1 },
	{ "LayerNormalization", QX_OP_LAYERNORM, 2, 3, 3 },
	{ "Shape", QX_OP_SHAPE, 1, 1, 1 },
	{ "Gather", QX_OP_GATHER, 2, 2, 1 },
	{ "Cast", QX_OP_CAST, 1, 1, 1 },
	{ "Range", QX_OP_RANGE, 3, 3, 1 },
	{ "ConstantOfShape", QX_OP_CONSTANTOFSHAPE, 1, 1, 1 },
};

static const struct op_info *find_op(const char *op_type)
{
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(ops[i].onnx, op_type) == 0)
			return &ops[i];
	return NULL;
}

static int parse_attrs(struct importer *im, const Onnx__NodeProto *np, const char *name,
                       struct qx_node *n)
{
	static const char *const none[] = { NULL };
	switch (n->op) {
	case QX_OP_CONV:
		return parse_conv(im, np, name, n);
	case QX_OP_GEMM:
		return parse_gemm(im, np, name, n);
	case QX_OP_CLIP:
		return parse_clip(im, np, name, n);
	case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL:
		return parse_pool(im, np, name, n);
	case QX_OP_FLATTEN:
		return parse_axis(im, np, name, n, 1, 0);
	case QX_OP_CONCAT:
		return parse_axis(im, np, name, n, 0, 1);
	case QX_OP_SOFTMAX:
		/* Opset 13 changed the default axis from 1 (flatten-to-2-D) to -1 (one axis). */
		return parse_axis(im, np, name, n, im->opset < 13 ? 1 : -1, 0);
	case QX_OP_BATCHNORM:
		return parse_batchnorm(im, np, name, n);
	case QX_OP_RESHAPE:
		return parse_reshape(im, np, name, n);
	case QX_OP_DROPOUT:
		return parse_dropout(im, np, name);
	case QX_OP_HARDSIGMOID:
	case QX_OP_LEAKYRELU:
		return parse_activation(im, np, name, n);
	case QX_OP_REDUCEMEAN:
		return parse_reducemean(im, np, name, n);
	case QX_OP_TRANSPOSE:
		return parse_transpose(im, np, name, n);
	case QX_OP_PAD:
		return parse_pad(im, np, name, n);
	case QX_OP_RESIZE:
		return parse_resize(im, np, name, n);
	case QX_OP_CONVTRANSPOSE:
		return parse_convtranspose(im, np, name, n);
	case QX_OP_LAYERNORM:
		return parse_layernorm(im, np, name, n);
	case QX_OP_SHAPE:
		return parse_shape(im, np, name, n);
	case QX_OP_CAST:
		return parse_cast(im, np, name, n);
	case QX_OP_CONSTANTOFSHAPE:
		return parse_constantofshape(im, np, name, n);
	case QX_OP_GATHER:
		return parse_axis(im, np, name, n, 0, 0);
	case QX_OP_SQUEEZE:
	case QX_OP_UNSQUEEZE: {
		static const char *const old_allowed[] = { "axes", NULL };
		return check_attrs(im, np, name, im->opset < 13 ? old_allowed : none);
	}
	case QX_OP_SPLIT: {
		static const char *const old_allowed[] = { "axis", "split", NULL };
		static const char *const new_allowed[] = { "axis", NULL };
		int rc = check_attrs(im, np, name, im->opset < 13 ? old_allowed : new_allowed);
		return rc ? rc : attr_int(im, np, name, "axis", 0, &n->attr.axis);
	}
	case QX_OP_SLICE: {
		static const char *const old_allowed[] = { "axes", "ends", "starts", NULL };
		return check_attrs(im, np, name, im->opset < 10 ? old_allowed : none);
	}
	default:
		return check_attrs(im, np, name, none);
	}
}

/* ---- tensors --------------------------------------------------------------------------- */

static int is_default_domain(const char *d)
{
	return !d || !*d || strcmp(d, "ai.onnx") == 0;
}

/* Adds a tensor, growing the per-tensor side arrays along with it. */
static int add_tensor(struct importer *im, const char *name)
{
	int t = qx_graph_add_tensor(im->g, name, im->err);
	if (t < 0)
		return t;
	int32_t *dt = realloc(im->dtype, (size_t)im->g->n_tensors * sizeof *dt);
	if (dt)
		im->dtype = dt;
	const Onnx__TensorProto **pr = realloc(im->proto, (size_t)im->g->n_tensors * sizeof *pr);
	if (pr)
		im->proto = pr;
	if (!dt || !pr)
		return qx_fail_nomem(im->err, "importing tensors");
	im->dtype[t] = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	im->proto[t] = NULL;
	return t;
}

static int add_initializers(struct importer *im)
{
	for (size_t i = 0; i < im->gp->n_initializer; i++) {
		const Onnx__TensorProto *tp = im->gp->initializer[i];
		if (!tp->name || !*tp->name)
			return qx_fail(im->err, QX_EINVAL, "%s: initializer #%zu has no name (expected a "
			               "tensor name)", im->path, i);
		if (qx_graph_find_tensor(im->g, tp->name) >= 0)
			return qx_fail(im->err, QX_EINVAL, "%s: initializer '%s' is defined twice "
			               "(expected unique names)", im->path, tp->name);
		int t = add_tensor(im, tp->name);
		if (t < 0)
			return t;
		im->dtype[t] = tp->has_data_type ? tp->data_type : 0;
		im->proto[t] = tp;
		im->g->tensors[t].is_const = 1;
		/* Float and int64 are converted now; others only matter if a node reads them, and
		 * the node's check names it then. */
		if (im->dtype[t] == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
		    im->dtype[t] == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
			char place[300];
			snprintf(place, sizeof place, "initializer '%s'", tp->name);
			int rc = qx_tensor_from_proto(tp, 1, &im->g->tensors[t], im->path, place, im->err);
			if (rc)
				return rc;
		}
	}
	if (im->gp->n_sparse_initializer)
		return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph has sparse initializers "
		               "(supported: dense initializers)", im->path);
	return 0;
}

static int add_inputs(struct importer *im)
{
	struct qx_graph *g = im->g;
	g->inputs = malloc((im->gp->n_input ? im->gp->n_input : 1) * sizeof *g->inputs);
	if (!g->inputs)
		return qx_fail_nomem(im->err, "importing inputs");
	for (size_t i = 0; i < im->gp->n_input; i++) {
		const Onnx__ValueInfoProto *vi = im->gp->input[i];
		const char *iname = vi->name ? vi->name : "";
		int t = qx_graph_find_tensor(g, iname);
		if (t >= 0 && g->tensors[t].is_const)
			continue; /* older exporters list initializers among the inputs */
		if (t >= 0)
			return qx_fail(im->err, QX_EINVAL, "%s: graph input '%s' is listed twice "
			               "(expected unique names)", im->path, iname);
		const Onnx__TypeProto *tp = vi->type;
		if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph input '%s' is not a tensor "
			               "(supported: dense float tensors)", im->path, iname);
		const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
		if (!sp)
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph input '%s' has no declared "
			               "shape (expected a tensor shape)", im->path, iname);
		if (sp->n_dim > QX_MAX_DIMS)
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph input '%s' has %zu dims "
			               "(supported: at most %d)", im->path, iname, sp->n_dim, QX_MAX_DIMS);
		if ((t = add_tensor(im, iname)) < 0)
			return t;
		im->dtype[t] = tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0;
		struct qx_tensor *x = &g->tensors[t];
		x->ndim = (int)sp->n_dim;
		for (int d = 0; d < x->ndim; d++) {
			const Onnx__TensorShapeProto__Dimension *dim = sp->dim[d];
			int64_t v = 1; /* a symbolic dim (batch, usually) reads as 1 until told */
			if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE)
				v = dim->dim_value;
			if (v < 0 || v > INT32_MAX)
				return qx_fail(im->err, QX_EINVAL, "%s: graph input '%s' dim %d is %lld "
				               "(expected 0 to 2^31-1)", im->path, iname, d, (long long)v);
			x->dims[d] = x->decl_dims[d] = v;
		}
		g->inputs[g->n_inputs++] = t;
	}
	return 0;
}

/* Creates the output tensors of every node first, so nodes may read tensors produced by nodes
 * later in the file (sorting comes after). */
static int add_node_outputs(struct importer *im)
{
	for (size_t i = 0; i < im->gp->n_node; i++) {
		const Onnx__NodeProto *np = im->gp->node[i];
		for (size_t j = 0; j < np->n_output; j++) {
			const char *o = np->output[j];
			if (!o || !*o)
				continue;
			if (qx_graph_find_tensor(im->g, o) >= 0)
				return qx_fail(im->err, QX_EINVAL, "%s: tensor '%s' is written twice (by node "
				               "#%zu, op %s; expected one writer per tensor)", im->path, o, i,
				               node_op(np));
			int t = add_tensor(im, o);
			if (t < 0)
				return t;
		}
	}
	return 0;
}

/* ---- Constant nodes -------------------------------------------------------------------- */

static int import_constant(struct importer *im, const Onnx__NodeProto *np, const char *name)
{
	static const char *const allowed[] = { "value", "value_float", "value_floats", "value_int",
	                                       "value_ints", NULL };
	int rc = check_attrs(im, np, name, allowed);
	if (rc)
		return rc;
	if (np->n_attribute != 1)
		return NODE_FAIL(QX_EINVAL, "has %zu attributes (expected exactly one value)",
		                 np->n_attribute);
	if (np->n_output != 1 || !np->output[0] || !*np->output[0] || np->n_input != 0)
		return NODE_FAIL(QX_EINVAL, "expected no inputs and one output");
	int t = qx_graph_find_tensor(im->g, np->output[0]);
	struct qx_tensor *x = &im->g->tensors[t];
	const Onnx__AttributeProto *a = np->attribute[0];
	x->is_const = 1;
	switch (a->type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
		if (!a->t)
			return NODE_FAIL(QX_EINVAL, "attribute 'value' holds no tensor (expected one)");
		char place[300];
		snprintf(place, sizeof place, "node '%s' (Constant)", name);
		int32_t dt = a->t->has_data_type ? a->t->data_type : 0;
		im->dtype[t] = dt;
		im->proto[t] = a->t;
		if (dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
		    dt != ONNX__TENSOR_PROTO__DATA_TYPE__INT64)
			return 0; /* refused by the node that reads it, if any */
		return qx_tensor_from_proto(a->t, 1, x, im->path, place, im->err);
	}
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: {
		int scalar = a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
		size_t n = scalar ? 1 : a->n_floats;
		x->data = malloc((n ? n : 1) * sizeof(float));
		if (!x->data)
			return qx_fail_nomem(im->err, "importing a constant");
		if (scalar)
			x->data[0] = a->f;
		else if (n)
			memcpy(x->data, a->floats, n * sizeof(float));
		x->dtype = QX_DT_F32;
		x->ndim = scalar ? 0 : 1;
		x->dims[0] = (int64_t)n;
		im->dtype[t] = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
		return 0;
	}
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: {
		int scalar = a->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
		size_t n = scalar ? 1 : a->n_ints;
		x->i64 = malloc((n ? n : 1) * sizeof(int64_t));
		if (!x->i64)
			return qx_fail_nomem(im->err, "importing a constant");
		if (scalar)
			x->i64[0] = a->i;
		else if (n)
			memcpy(x->i64, a->ints, n * sizeof(int64_t));
		x->dtype = QX_DT_I64;
		x->ndim = scalar ? 0 : 1;
		x->dims[0] = (int64_t)n;
		im->dtype[t] = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
		return 0;
	}
	default:
		return NODE_FAIL(QX_EINVAL, "attribute '%s' has the wrong type (expected a tensor, "
		                 "float(s) or int(s))", a->name);
	}
}

/* ---- nodes ----------------------------------------------------------------------------- */

/* Dropout's training_mode input: must be a constant false (inference). */
static int check_training_mode(struct importer *im, const Onnx__NodeProto *np, const char *name,
                               int t)
{
	const Onnx__TensorProto *tp = im->proto[t];
	if (!tp)
		return NODE_FAIL(QX_EUNSUPPORTED, "training_mode is not a constant (supported: a "
		                 "constant false, inference)");
	int value = 0;
	if (tp->has_raw_data)
		for (size_t i = 0; i < tp->raw_data.len; i++)
			value |= tp->raw_data.data[i] != 0;
	for (size_t i = 0; i < tp->n_int32_data; i++)
		value |= tp->int32_data[i] != 0;
	if (value)
		return NODE_FAIL(QX_EUNSUPPORTED, "training_mode is true (supported: false, "
		                 "inference)");
	return 0;
}

/* Inputs the node has room for when old opsets give them as attributes. */
#define MAX_ATTR_INPUTS 5

/* A new constant tensor named "<node>/<key>" as input slot j of n (int64 values v[0..count),
 * or one float when v is NULL). */
static int add_attr_input(struct importer *im, const char *name, struct qx_node *n, int j,
                          const char *key, const int64_t *v, int count, float f)
{
	char tname[600];
	snprintf(tname, sizeof tname, "%s/%s", name, key);
	if (qx_graph_find_tensor(im->g, tname) >= 0)
		return qx_fail(im->err, QX_EINVAL, "%s: node '%s' (%s): tensor '%s' already exists "
		               "(expected a free name for attribute '%s')", im->path, name,
		               qx_op_name(n->op), tname, key);
	int t = add_tensor(im, tname);
	if (t < 0)
		return t;
	struct qx_tensor *x = &im->g->tensors[t];
	x->is_const = 1;
	x->ndim = v ? 1 : 0;
	x->dims[0] = count;
	if (v) {
		x->dtype = QX_DT_I64;
		im->dtype[t] = ONNX__TENSOR_PROTO__DATA_TYPE__INT64;
		x->i64 = malloc((size_t)(count ? count : 1) * sizeof *x->i64);
		if (x->i64 && count)
			memcpy(x->i64, v, (size_t)count * sizeof *v);
	} else {
		x->data = malloc(sizeof *x->data);
		if (x->data)
			x->data[0] = f;
	}
	if (!x->i64 && !x->data)
		return qx_fail_nomem(im->err, "importing a node");
	for (int k = n->n_in; k < j; k++)
		n->in[k] = -1;
	n->in[j] = t;
	if (n->n_in < j + 1)
		n->n_in = j + 1;
	return 0;
}

/* An ints attribute (key) that newer opsets take as input slot j. */
static int int_attr_input(struct importer *im, const Onnx__NodeProto *np, const char *name,
                          struct qx_node *n, const char *key, int j, int required)
{
	int64_t v[2 * QX_MAX_DIMS];
	int count, rc = attr_int64s(im, np, name, key, 2 * QX_MAX_DIMS, v, &count);
	if (rc)
		return rc;
	if (count < 0)
		return required ? NODE_FAIL(QX_EINVAL, "attribute '%s' is missing (expected ints)", key)
		                : 0;
	return add_attr_input(im, name, n, j, key, v, count, 0.0f);
}

/* Old opsets' attributes that later became inputs turn into constant inputs, so that shape
 * inference and the executors see one form: Slice < 10 (starts, ends, axes), Pad < 11 (pads,
 * value), Squeeze / Unsqueeze / Split < 13 (axes, split); Resize-10's scales moves to slot 2. */
static int attrs_to_inputs(struct importer *im, const Onnx__NodeProto *np, const char *name,
                           struct qx_node *n)
{
	int rc = 0;
	switch (n->op) {
	case QX_OP_SLICE:
		if (im->opset >= 10)
			return n->n_in < 3 ? NODE_FAIL(QX_EINVAL, "has %d inputs (expected 3 to 5)",
			                               n->n_in) : 0;
		if (n->n_in != 1)
			return NODE_FAIL(QX_EINVAL, "has %d inputs (expected 1 before opset 10)", n->n_in);
		if ((rc = int_attr_input(im, np, name, n, "starts", 1, 1)) ||
		    (rc = int_attr_input(im, np, name, n, "ends", 2, 1)) ||
		    (rc = int_attr_input(im, np, name, n, "axes", 3, 0)))
			return rc;
		return 0;
	case QX_OP_PAD:
		if (im->opset >= 11)
			return n->n_in < 2 ? NODE_FAIL(QX_EINVAL, "has %d inputs (expected 2 or 3)",
			                               n->n_in) : 0;
		if (n->n_in != 1)
			return NODE_FAIL(QX_EINVAL, "has %d inputs (expected 1 before opset 11)", n->n_in);
		float value;
		if ((rc = int_attr_input(im, np, name, n, "pads", 1, 1)) ||
		    (rc = attr_float(im, np, name, "value", 0.0f, &value)))
			return rc;
		return add_attr_input(im, name, n, 2, "value", NULL, 0, value);
	case QX_OP_SQUEEZE:
	case QX_OP_UNSQUEEZE:
	case QX_OP_SPLIT:
		if (im->opset >= 13)
			return n->op == QX_OP_UNSQUEEZE && n->n_in < 2 ?
			       NODE_FAIL(QX_EINVAL, "has 1 input (expected data and axes)") : 0;
		if (n->n_in != 1)
			return NODE_FAIL(QX_EINVAL, "has %d inputs (expected 1 before opset 13)", n->n_in);
		return int_attr_input(im, np, name, n, n->op == QX_OP_SPLIT ? "split" : "axes", 1,
		                      n->op == QX_OP_UNSQUEEZE);
	case QX_OP_RESIZE:
		if (im->opset < 11) {
			if (n->n_in != 2)
				return NODE_FAIL(QX_EINVAL, "has %d inputs (expected X and scales)", n->n_in);
			n->in[2] = n->in[1];
			n->in[1] = -1;
			n->n_in = 3;
		} else if (n->n_in < 2) {
			return NODE_FAIL(QX_EINVAL, "has %d input (expected X, roi, scales / sizes)",
			                 n->n_in);
		}
		return 0;
	default:
		return 0;
	}
}

static int import_node(struct importer *im, const Onnx__NodeProto *np, const char *name)
{
	struct qx_graph *g = im->g;
	if (!is_default_domain(np->domain))
		return NODE_FAIL(QX_EUNSUPPORTED, "op from domain '%s' (supported: the default ONNX "
		                 "domain)", np->domain);
	const struct op_info *info = find_op(node_op(np));
	if (!info)
		return NODE_FAIL(QX_EUNSUPPORTED, "unsupported op (supported: %s)", qx_supported_ops());
	int n_in = (int)np->n_input;
	while (n_in > 0 && (!np->input[n_in - 1] || !*np->input[n_in - 1]))
		n_in--; /* trailing omitted optional inputs */
	if (n_in < info->min_in || (info->max_in >= 0 && n_in > info->max_in))
		return NODE_FAIL(QX_EINVAL, "has %d inputs (expected %d to %d)", n_in, info->min_in,
		                 info->max_in >= 0 ? info->max_in : 1 << 20);
	int n_out = 0;
	for (size_t j = 0; j < np->n_output; j++)
		if (np->output[j] && *np->output[j])
			n_out = (int)j + 1;
	if (n_out < 1 || !np->output[0] || !*np->output[0] || n_out > info->max_out)
		return NODE_FAIL(QX_EINVAL, "has %zu outputs (expected 1 to %d, the first named)",
		                 np->n_output, info->max_out);
	if (info->op == QX_OP_MAXPOOL && n_out > 1)
		return NODE_FAIL(QX_EUNSUPPORTED, "Indices output (supported: the values output only)");

	struct qx_node *n = &g->nodes[g->n_nodes];
	memset(n, 0, sizeof *n);
	n->op = info->op;
	n->act_min = -INFINITY;
	n->act_max = INFINITY;
	for (int j = 0; j < QX_MAX_OUTPUTS; j++)
		n->out[j] = -1;
	int rc = parse_attrs(im, np, name, n);
	if (rc)
		return rc;
	/* Room for the inputs old opsets give as attributes (attrs_to_inputs). */
	n->in = malloc((size_t)(n_in > MAX_ATTR_INPUTS ? n_in : MAX_ATTR_INPUTS) * sizeof *n->in);
	if (!n->in)
		return qx_fail_nomem(im->err, "importing a node");
	n->n_in = n_in;
	n->name = strdup(name);
	g->n_nodes++; /* from here on qx_graph_free releases what n holds */
	if (!n->name)
		return qx_fail_nomem(im->err, "importing a node");
	for (int j = 0; j < n_in; j++) {
		const char *in = np->input[j];
		if (!in || !*in) {
			if (j < info->min_in)
				return NODE_FAIL(QX_EINVAL, "required input #%d is empty (expected a tensor "
				                 "name)", j);
			n->in[j] = -1;
			continue;
		}
		int t = qx_graph_find_tensor(g, in);
		if (t < 0)
			return NODE_FAIL(QX_EINVAL, "input '%s' is not produced by any node, input or "
			                 "initializer (expected a known tensor)", in);
		n->in[j] = t;
		/* Files hold float and int64 (shapes, indices) constants and float inputs; the dtypes
		 * of computed tensors are checked by shape inference, op by op. */
		int32_t dt = im->dtype[t];
		int is_const = g->tensors[t].is_const;
		if (n->op == QX_OP_DROPOUT && j == 2) {
			if (dt != ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
				return NODE_FAIL(QX_EUNSUPPORTED, "input '%s' has dtype %s (supported: bool "
				                 "training_mode)", in, qx_onnx_dtype_name(dt));
			if ((rc = check_training_mode(im, np, name, t)))
				return rc;
		} else if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 && !is_const) {
			return NODE_FAIL(QX_EUNSUPPORTED, "input '%s' is int64 computed at run time "
			                 "(supported: int64 as a constant or computed from shapes)", in);
		} else if (dt != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
		           dt != ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
			return NODE_FAIL(QX_EUNSUPPORTED, "input '%s' has dtype %s (supported: float%s)",
			                 in, qx_onnx_dtype_name(dt),
			                 is_const ? ", or int64 for shapes and indices" : "");
		}
	}
	if (n->op == QX_OP_DROPOUT)
		n->n_in = 1; /* ratio and training_mode only matter when training */
	/* Split and LayerNormalization compute all their outputs; other ops the first, and
	 * Dropout's mask (or BatchNormalization's second output) stays in out[1] until
	 * check_unread_outputs has made sure nothing reads it. */
	int all_out = n->op == QX_OP_SPLIT || n->op == QX_OP_LAYERNORM;
	n->n_out = all_out ? n_out : 1;
	for (int j = 0; j < (all_out ? n_out : (n_out > 1 ? 2 : 1)); j++) {
		n->out[j] = np->output[j] && *np->output[j] ? qx_graph_find_tensor(g, np->output[j]) : -1;
		if (n->out[j] < 0 && all_out)
			return NODE_FAIL(QX_EUNSUPPORTED, "output #%d is unnamed (supported: named outputs "
			                 "up to the last)", j);
	}
	return attrs_to_inputs(im, np, name, n);
}

/* Extra outputs we do not compute (Dropout's mask, BatchNormalization's training statistics)
 * are fine only when nothing reads them. */
static int check_unread_outputs(struct importer *im)
{
	struct qx_graph *g = im->g;
	for (int i = 0; i < g->n_nodes; i++) {
		struct qx_node *n = &g->nodes[i];
		if (n->out[1] < 0 || n->n_out > 1)
			continue; /* Split and LayerNormalization compute every output */
		int t = n->out[1];
		if (qx_graph_readers(g, t) || qx_graph_is_output(g, t))
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: node '%s' (%s): output '%s' is used "
			               "(supported: %s)", im->path, n->name, qx_op_name(n->op),
			               g->tensors[t].name,
			               n->op == QX_OP_DROPOUT ? "inference, where the mask is unused" :
			               "inference, with the first output only");
		n->out[1] = -1;
	}
	/* BatchNormalization's outputs beyond the third were not kept in out[]: check them too. */
	for (size_t i = 0; i < im->gp->n_node; i++) {
		const Onnx__NodeProto *np = im->gp->node[i];
		if (strcmp(node_op(np), "BatchNormalization") != 0)
			continue;
		for (size_t j = 1; j < np->n_output; j++) {
			int t = np->output[j] && *np->output[j] ? qx_graph_find_tensor(g, np->output[j]) : -1;
			if (t >= 0 && (qx_graph_readers(g, t) || qx_graph_is_output(g, t))) {
				char fallback[64];
				snprintf(fallback, sizeof fallback, "BatchNormalization_%zu", i);
				return qx_fail(im->err, QX_EUNSUPPORTED, "%s: node '%s' (BatchNormalization): "
				               "output '%s' is used (supported: inference, with the first output "
				               "only)", im->path, np->name && *np->name ? np->name : fallback,
				               np->output[j]);
			}
		}
	}
	return 0;
}

/* Clip bounds given as constants become attributes. */
static int resolve_constant_inputs(struct importer *im)
{
	struct qx_graph *g = im->g;
	for (int i = 0; i < g->n_nodes; i++) {
		struct qx_node *n = &g->nodes[i];
		if (n->op == QX_OP_CLIP) {
			for (int j = 1; j < n->n_in; j++) {
				int t = n->in[j];
				if (t < 0 || !g->tensors[t].is_const)
					continue;
				if (qx_tensor_numel(&g->tensors[t]) != 1 || !g->tensors[t].data)
					return qx_fail(im->err, QX_EINVAL, "%s: node '%s' (Clip): bound '%s' is "
					               "not a scalar (expected one float)", im->path, n->name,
					               g->tensors[t].name);
				if (j == 1)
					n->act_min = g->tensors[t].data[0];
				else
					n->act_max = g->tensors[t].data[0];
				n->in[j] = -1;
			}
		}
	}
	return 0;
}

static int add_outputs(struct importer *im)
{
	struct qx_graph *g = im->g;
	g->outputs = malloc((im->gp->n_output ? im->gp->n_output : 1) * sizeof *g->outputs);
	if (!g->outputs)
		return qx_fail_nomem(im->err, "importing outputs");
	for (size_t i = 0; i < im->gp->n_output; i++) {
		const char *o = im->gp->output[i]->name ? im->gp->output[i]->name : "";
		int t = qx_graph_find_tensor(g, o);
		if (t < 0)
			return qx_fail(im->err, QX_EINVAL, "%s: graph output '%s' is never computed "
			               "(expected a node output)", im->path, o);
		g->outputs[g->n_outputs++] = t;
	}
	if (g->n_outputs == 0)
		return qx_fail(im->err, QX_EINVAL, "%s: graph has no outputs (expected at least one)",
		               im->path);
	return 0;
}

/* Every tensor a node reads must be an input, a constant or another node's output. */
static int check_defined(struct importer *im)
{
	struct qx_graph *g = im->g;
	qx_graph_link_producers(g);
	for (int t = 0; t < g->n_tensors; t++) {
		struct qx_tensor *x = &g->tensors[t];
		if (x->is_const || x->producer >= 0)
			continue;
		int is_input = 0;
		for (int i = 0; i < g->n_inputs; i++)
			is_input |= g->inputs[i] == t;
		if (!is_input && (qx_graph_readers(g, t) || qx_graph_is_output(g, t)))
			return qx_fail(im->err, QX_EINVAL, "%s: tensor '%s' is read but never computed "
			               "(expected a graph input, initializer or node output)", im->path,
			               x->name);
	}
	return 0;
}

static int read_opset(struct importer *im, const Onnx__ModelProto *m)
{
	im->opset = -1;
	for (size_t i = 0; i < m->n_opset_import; i++)
		if (is_default_domain(m->opset_import[i]->domain) && m->opset_import[i]->has_version)
			im->opset = m->opset_import[i]->version;
	if (im->opset < 0)
		return qx_fail(im->err, QX_EINVAL, "%s: the model declares no default-domain opset "
		               "(expected an opset_import for ai.onnx)", im->path);
	if (im->opset < OPSET_MIN || im->opset > OPSET_MAX)
		return qx_fail(im->err, QX_EUNSUPPORTED, "%s: opset %lld (supported: %d to %d)",
		               im->path, (long long)im->opset, OPSET_MIN, OPSET_MAX);
	return 0;
}

static int import_graph(struct importer *im)
{
	int rc;
	struct qx_graph *g = im->g;
	if ((rc = add_initializers(im)) || (rc = add_inputs(im)) || (rc = add_node_outputs(im)))
		return rc;
	g->nodes = calloc(im->gp->n_node ? im->gp->n_node : 1, sizeof *g->nodes);
	if (!g->nodes)
		return qx_fail_nomem(im->err, "importing nodes");
	/* Constants first: a node's input dtype check needs them, wherever they sit in the file. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < im->gp->n_node; i++) {
			const Onnx__NodeProto *np = im->gp->node[i];
			int is_constant = strcmp(node_op(np), "Constant") == 0 &&
			                  is_default_domain(np->domain);
			if (is_constant != (pass == 0))
				continue;
			char fallback[96];
			const char *name = np->name;
			if (!name || !*name) {
				snprintf(fallback, sizeof fallback, "%s_%zu", node_op(np), i);
				name = fallback;
			}
			rc = is_constant ? import_constant(im, np, name) : import_node(im, np, name);
			if (rc)
				return rc;
		}
	}
	if ((rc = add_outputs(im)) || (rc = check_unread_outputs(im)) ||
	    (rc = resolve_constant_inputs(im)) || (rc = check_defined(im)) ||
	    (rc = qx_graph_sort(g, im->err)))
		return rc;
	/* Inputs a node reads were checked with that node; this catches the unread ones. */
	for (int i = 0; i < g->n_inputs; i++) {
		int t = g->inputs[i];
		if (im->dtype[t] != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph input '%s' has dtype %s "
			               "(supported: float)", im->path, g->tensors[t].name,
			               qx_onnx_dtype_name(im->dtype[t]));
	}
	for (int i = 0; i < g->n_outputs; i++) {
		int t = g->outputs[i];
		if (im->dtype[t] != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph output '%s' has dtype %s "
			               "(supported: float)", im->path, g->tensors[t].name,
			               qx_onnx_dtype_name(im->dtype[t]));
	}
	/* The first inference evaluates constant nodes and Shapes; folding then takes them out of
	 * the executors' way (batch-dependent ones become shape nodes). */
	if ((rc = qx_graph_infer_shapes(g, 0, im->err)) || (rc = qx_graph_fold_constants(g, im->err)) ||
	    (rc = qx_graph_infer_shapes(g, 0, im->err)) || (rc = qx_graph_fold_batchnorm(g, im->err)) ||
	    (rc = qx_graph_drop_unused(g, im->err)) || (rc = qx_graph_infer_shapes(g, 0, im->err)))
		return rc;
	for (int i = 0; i < g->n_outputs; i++) {
		const struct qx_tensor *t = &g->tensors[g->outputs[i]];
		if (t->dtype != QX_DT_F32)
			return qx_fail(im->err, QX_EUNSUPPORTED, "%s: graph output '%s' has dtype int64 "
			               "(supported: float)", im->path, t->name);
	}
	return 0;
}

int qx_graph_load_onnx(const char *path, struct qx_graph *g, struct qx_error *err)
{
	memset(g, 0, sizeof *g);
	uint8_t *buf;
	size_t len;
	int rc = qx_read_whole_file(path, &buf, &len, err);
	if (rc)
		return rc;
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m)
		return qx_fail(err, QX_EINVAL, "%s: not a valid ONNX model (protobuf parse failed at %zu "
		               "bytes)", path, len);
	struct importer im = { .path = path, .gp = m->graph, .g = g, .err = err };
	if (!m->graph || (!m->graph->n_node && !m->graph->n_output))
		rc = qx_fail(err, QX_EINVAL, "%s: not a valid ONNX model (no graph; %zu bytes read)",
		             path, len);
	else
		rc = read_opset(&im, m);
	if (!rc) {
		g->opset = im.opset;
		g->path = strdup(path);
		rc = g->path ? import_graph(&im) : qx_fail_nomem(err, "importing a model");
	}
	free(im.dtype);
	free(im.proto);
	onnx__model_proto__free_unpacked(m, NULL);
	if (rc)
		qx_graph_free(g);
	return rc;
}
