/* Plan validation: everything the int8 builder relies on is checked here, so that a wrong plan
 * from a third-party plugin becomes one message instead of a crash or a silently wrong model.
 * Rules are those documented in include/qx/plan.h. */
#include "plan/validate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops/q8_ops.h"
#include "ops/node_caps.h"
#include "plan/fp8.h"

/* What a static or dynamic node needs of a tensor. */
enum role { ROLE_NONE, ROLE_ACT, ROLE_WEIGHT, ROLE_BIAS };

static const char *const role_names[] = { "unused", "activation", "weight", "bias" };

const char *qx_plan_dtype_name(int dtype)
{
	switch (dtype) {
	case QX_PLAN_FLOAT: return "float";
	case QX_PLAN_UINT8: return "uint8";
	case QX_PLAN_INT8: return "int8";
	case QX_PLAN_INT32: return "int32";
	case QX_PLAN_FP8_E4M3FN: return "fp8_e4m3fn";
	case QX_PLAN_FP8_E5M2: return "fp8_e5m2";
	default: return "?";
	}
}

const char *qx_op_mode_name(int mode)
{
	switch (mode) {
	case QX_MODE_FLOAT: return "float";
	case QX_MODE_STATIC: return "static";
	case QX_MODE_DYNAMIC: return "dynamic";
	case QX_MODE_WEIGHT_ONLY: return "weight_only";
	default: return "?";
	}
}

static void dtype_range(int dtype, int64_t *lo, int64_t *hi)
{
	switch (dtype) {
	case QX_PLAN_UINT8: *lo = 0; *hi = 255; break;
	case QX_PLAN_INT8: *lo = -128; *hi = 127; break;
	default: *lo = INT32_MIN; *hi = INT32_MAX; break;
	}
}

struct checker {
	const struct qx_graph *g;
	const struct qx_plan *plan;
	struct qx_quant_plan *out;
	int *entry_of;          /* per tensor: plan entry index, or -1 */
	enum role *role;        /* per tensor */
	int *role_node;         /* per tensor: a node that gave it its role (for messages) */
	int *ext_of;            /* per tensor: tensor_ext entry index, or -1 */
	struct qx_error *err;
};

/* The qparams fields of one plan entry, without reference to a graph: index ranges, dtype,
 * ranges, scales, zero points, axis vs shape. */
static int check_entry(struct checker *c, int e)
{
	const struct qx_plan_tensor *pt = &c->plan->tensors[e];
	const struct qx_graph *g = c->g;
	if (pt->tensor < 0 || pt->tensor >= g->n_tensors)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor entry %d: tensor index %d is out of range (expected 0..%d)", e,
		               pt->tensor, g->n_tensors - 1);
	const struct qx_tensor *t = &g->tensors[pt->tensor];
	if (c->entry_of[pt->tensor] >= 0)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): listed twice, also as entry %d (expected each "
		               "tensor at most once)", t->name, e, c->entry_of[pt->tensor]);
	c->entry_of[pt->tensor] = e;
	int fp8 = pt->dtype == QX_PLAN_FP8_E4M3FN || pt->dtype == QX_PLAN_FP8_E5M2;
	if (pt->dtype != QX_PLAN_UINT8 && pt->dtype != QX_PLAN_INT8 && pt->dtype != QX_PLAN_INT32 &&
	    !fp8)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): dtype %d (expected uint8 (%d), int8 (%d), "
		               "int32 (%d), fp8_e4m3fn (%d) or fp8_e5m2 (%d))", t->name, e, pt->dtype,
		               QX_PLAN_UINT8, QX_PLAN_INT8, QX_PLAN_INT32, QX_PLAN_FP8_E4M3FN,
		               QX_PLAN_FP8_E5M2);
	if (t->dtype != QX_DT_F32)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): is an int64 tensor (expected only float tensors "
		               "to have qparams)", t->name, e);
	int64_t lo, hi;
	dtype_range(pt->dtype, &lo, &hi);
	if (fp8 && (pt->qmin != 0 || pt->qmax != 0))
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): qmin %d, qmax %d in an %s tensor (expected 0 "
		               "and 0: FP8 has no integer range)", t->name, e, pt->qmin, pt->qmax,
		               qx_plan_dtype_name(pt->dtype));
	if (!fp8 && (pt->qmin < lo || pt->qmax > hi || pt->qmin >= pt->qmax))
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): qmin %d, qmax %d (expected %lld <= qmin < qmax "
		               "<= %lld for %s)", t->name, e, pt->qmin, pt->qmax, (long long)lo,
		               (long long)hi, qx_plan_dtype_name(pt->dtype));
	if (pt->axis < -1 || pt->axis >= t->ndim)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): axis %d (expected -1 for per-tensor or 0..%d)",
		               t->name, e, pt->axis, t->ndim - 1);
	int64_t want = pt->axis < 0 ? 1 : t->dims[pt->axis];
	if (pt->n_channels != want)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): n_channels %d (expected %lld: %s)", t->name, e,
		               pt->n_channels, (long long)want,
		               pt->axis < 0 ? "per-tensor" : "the size of the axis");
	if (!pt->scales || !pt->zero_points)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (entry %d): no scales or zero points", t->name, e);
	for (int k = 0; k < pt->n_channels; k++) {
		float s = pt->scales[k];
		if (!isfinite(s) || !(s > 0.0f))
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (entry %d): scale[%d] is %g (expected a finite value > "
			               "0)", t->name, e, k, (double)s);
		int32_t z = pt->zero_points[k];
		if (z < pt->qmin || z > pt->qmax)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (entry %d): zero_point[%d] is %d (expected within "
			               "[qmin, qmax] = [%d, %d])", t->name, e, k, z, pt->qmin, pt->qmax);
		if ((fp8 || (pt->symmetric && pt->dtype != QX_PLAN_UINT8)) && z != 0)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (entry %d): zero_point[%d] is %d in a %s %s "
			               "tensor (expected 0)", t->name, e, k, z, fp8 ? "scale-only" : "symmetric",
			               qx_plan_dtype_name(pt->dtype));
	}
	return 0;
}

/* One struct qx_plan_tensor_ext (ABI minor 3), after its tensor's entry was copied to out:
 * bits, per-group scales and the plugin's own codes. */
static int check_ext(struct checker *c, int e)
{
	const struct qx_plan_tensor_ext *x = &c->plan->tensor_ext[e];
	const struct qx_graph *g = c->g;
	if (x->tensor < 0 || x->tensor >= g->n_tensors)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor_ext entry %d: tensor index %d is out of range (expected 0..%d)",
		               e, x->tensor, g->n_tensors - 1);
	const struct qx_tensor *t = &g->tensors[x->tensor];
	struct qx_tensor_qparams *q = &c->out->tensor[x->tensor];
	if (c->entry_of[x->tensor] < 0)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (tensor_ext entry %d): has no entry in the plan's tensors "
		               "(expected an ext only for a tensor with qparams)", t->name, e);
	if (c->ext_of[x->tensor] >= 0)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (tensor_ext entry %d): listed twice, also as tensor_ext "
		               "entry %d (expected each tensor at most once)", t->name, e,
		               c->ext_of[x->tensor]);
	c->ext_of[x->tensor] = e;
	if (x->reserved != 0)
		return qx_fail(c->err, QX_EPLUGIN, "tensor '%s' (tensor_ext entry %d): reserved is %d "
		               "(expected 0)", t->name, e, x->reserved);
	int integer = q->dtype == QX_PLAN_UINT8 || q->dtype == QX_PLAN_INT8;
	if (x->bits != 0) {
		if (!integer || x->bits < 2 || x->bits > 8)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (tensor_ext entry %d): bits %d on a %s tensor "
			               "(expected 0, or 2..8 on a uint8 or int8 tensor)", t->name, e,
			               x->bits, qx_plan_dtype_name(q->dtype));
		int64_t lo = q->dtype == QX_PLAN_INT8 ? -(1LL << (x->bits - 1)) : 0;
		int64_t hi = q->dtype == QX_PLAN_INT8 ? (1LL << (x->bits - 1)) - 1
		                                      : (1LL << x->bits) - 1;
		if (q->qmin < lo || q->qmax > hi)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (tensor_ext entry %d): qmin %d, qmax %d do not fit %d "
			               "bits (expected %lld <= qmin < qmax <= %lld)", t->name, e, q->qmin,
			               q->qmax, x->bits, (long long)lo, (long long)hi);
		q->bits = x->bits;
	}
	int64_t numel = qx_tensor_numel(t);
	if (x->group_size < 0 || (x->group_size > 0 && (q->axis < 0 || !t->is_const)))
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (tensor_ext entry %d): group_size %d on a %s%s tensor "
		               "(expected 0, or > 0 on a weight quantized per output channel)",
		               t->name, e, x->group_size, t->is_const ? "" : "non-constant ",
		               q->axis < 0 ? "per-tensor" : "per-channel");
	if (x->group_size > 0) {
		int64_t row = numel / q->n_channels;
		int64_t groups = (row + x->group_size - 1) / x->group_size;
		if ((int64_t)x->n_group_scales != groups * q->n_channels || !x->group_scales)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (tensor_ext entry %d): %d group scales%s (expected "
			               "%lld: %d channels x %lld groups of %d along a row of %lld)", t->name,
			               e, x->n_group_scales, x->group_scales ? "" : " and no array",
			               (long long)(groups * q->n_channels), q->n_channels,
			               (long long)groups, x->group_size, (long long)row);
		for (int ch = 0; ch < q->n_channels; ch++) {
			float most = 0.0f;
			for (int64_t k = 0; k < groups; k++) {
				float sc = x->group_scales[ch * groups + k];
				if (!isfinite(sc) || !(sc > 0.0f))
					return qx_fail(c->err, QX_EPLUGIN,
					               "tensor '%s' (tensor_ext entry %d): group scale %lld "
					               "(channel %d, group %lld) is %g (expected a finite value "
					               "> 0)", t->name, e, (long long)(ch * groups + k), ch,
					               (long long)k, (double)sc);
				most = sc > most ? sc : most;
			}
			if (q->scales[ch] != most)
				return qx_fail(c->err, QX_EPLUGIN,
				               "tensor '%s' (tensor_ext entry %d): scale[%d] is %.9g (expected "
				               "channel %d's largest group scale, %.9g)", t->name, e, ch,
				               (double)q->scales[ch], ch, (double)most);
		}
		q->group_size = x->group_size;
		q->groups = groups;
		q->group_scales = malloc(sizeof *q->group_scales * (size_t)x->n_group_scales);
		if (!q->group_scales)
			return qx_fail_nomem(c->err, "copying a plan");
		memcpy(q->group_scales, x->group_scales, sizeof *q->group_scales *
		       (size_t)x->n_group_scales);
	} else if (x->n_group_scales != 0 || x->group_scales) {
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (tensor_ext entry %d): %d group scales with group_size 0 "
		               "(expected none)", t->name, e, x->n_group_scales);
	}
	if (x->n_codes == 0 && !x->codes)
		return 0;
	if (!t->is_const || x->n_codes != numel || !x->codes)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' (tensor_ext entry %d): %lld codes%s for a %s of %lld values "
		               "(expected 0, or one code per value of a constant)", t->name, e,
		               (long long)x->n_codes, x->codes ? "" : " and no array",
		               t->is_const ? "constant" : "non-constant tensor", (long long)numel);
	int fp8 = qx_qparams_is_fp8(q);
	for (int64_t i = 0; i < numel; i++) {
		int32_t v = x->codes[i];
		if (fp8 ? v < 0 || v > 255 || qx_fp8_code_is_special((uint8_t)v, q->dtype)
		        : v < q->qmin || v > q->qmax)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s' (tensor_ext entry %d): code[%lld] is %d (expected %s)",
			               t->name, e, (long long)i, v,
			               fp8 ? "an fp8 bit pattern 0..255, not NaN or inf" : "within [qmin, qmax]");
	}
	q->n_codes = numel;
	q->codes = malloc(sizeof *q->codes * (size_t)numel);
	if (!q->codes)
		return qx_fail_nomem(c->err, "copying a plan");
	memcpy(q->codes, x->codes, sizeof *q->codes * (size_t)numel);
	return 0;
}

static int give_role(struct checker *c, int t, enum role r, int node)
{
	if (t < 0)
		return 0;
	if (c->role[t] != ROLE_NONE && c->role[t] != r)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s' is used as %s by node '%s' and as %s by node '%s' (expected "
		               "one kind of quantized use)", c->g->tensors[t].name, role_names[c->role[t]],
		               c->g->nodes[c->role_node[t]].name, role_names[r], c->g->nodes[node].name);
	if (c->role[t] == ROLE_NONE) {
		c->role[t] = r;
		c->role_node[t] = node;
	}
	return 0;
}

static int check_ops(struct checker *c, const int32_t *node_modes)
{
	const struct qx_graph *g = c->g;
	const struct qx_plan *p = c->plan;
	struct qx_node_plan *np = c->out->node;
	int *seen = calloc((size_t)g->n_nodes + 1, sizeof *seen);
	if (!seen)
		return qx_fail_nomem(c->err, "validating a plan");
	int rc = 0;
	for (int e = 0; e < p->n_ops && !rc; e++) {
		const struct qx_plan_op *op = &p->ops[e];
		if (op->node < 0 || op->node >= g->n_nodes) {
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "op entry %d: node index %d is out of range (expected 0..%d)", e,
			             op->node, g->n_nodes - 1);
			break;
		}
		const char *name = g->nodes[op->node].name;
		const char *type = qx_op_name(g->nodes[op->node].op);
		struct qx_node_caps caps;
		qx_node_caps(g, op->node, &caps);
		if (seen[op->node]) {
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "node '%s' (op entry %d): listed twice (expected each node at most "
			             "once)", name, e);
		} else if (op->mode < 0 || op->mode > QX_MODE_WEIGHT_ONLY) {
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "node '%s' (op entry %d): mode %d (expected 0 float, 1 static, 2 "
			             "dynamic or 3 weight_only)", name, e, op->mode);
		} else if (!(caps.modes & QX_MODE_BIT(op->mode))) {
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "node '%s' (%s, op entry %d): mode %s is not supported for this node "
			             "(expected %s)", name, type, e, qx_op_mode_name(op->mode),
			             caps.modes & QX_MODE_BIT(QX_MODE_DYNAMIC)
			                     ? "float, static, dynamic or weight_only"
			             : caps.modes & QX_MODE_BIT(QX_MODE_WEIGHT_ONLY)
			                     ? "float, static or weight_only"
			             : caps.modes & QX_MODE_BIT(QX_MODE_STATIC) ? "float or static"
			                                                        : "float");
		} else if (op->mode == QX_MODE_DYNAMIC &&
		           (op->dyn_qmin < 0 || op->dyn_qmax > 255 || op->dyn_qmin >= op->dyn_qmax)) {
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "node '%s' (op entry %d): dynamic range %d..%d (expected 0 <= dyn_qmin "
			             "< dyn_qmax <= 255, e.g. 0..127 with reduce_range)", name, e,
			             op->dyn_qmin, op->dyn_qmax);
		} else if (op->mode != QX_MODE_DYNAMIC && (op->dyn_qmin || op->dyn_qmax)) {
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "node '%s' (op entry %d): dynamic range %d..%d on a %s op (expected "
			             "0..0)", name, e, op->dyn_qmin, op->dyn_qmax, qx_op_mode_name(op->mode));
		} else {
			seen[op->node] = 1;
			np[op->node].mode = op->mode;
			np[op->node].dyn_qmin = op->dyn_qmin;
			np[op->node].dyn_qmax = op->dyn_qmax;
		}
	}
	for (int n = 0; n < g->n_nodes && !rc && node_modes; n++)
		if (np[n].mode != node_modes[n])
			rc = qx_fail(c->err, QX_EPLUGIN,
			             "node '%s': the plan makes it %s but prepare declared %s (expected "
			             "the same mode)", g->nodes[n].name, qx_op_mode_name(np[n].mode),
			             qx_op_mode_name(node_modes[n]));
	free(seen);
	return rc;
}

/* Roles from the op modes: which tensors must, may or must not have qparams. */
static int assign_roles(struct checker *c)
{
	const struct qx_graph *g = c->g;
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *nd = &g->nodes[n];
		int mode = c->out->node[n].mode;
		if (mode == QX_MODE_FLOAT)
			continue;
		struct qx_node_caps caps;
		qx_node_caps(g, n, &caps);
		int rc = give_role(c, caps.weight, ROLE_WEIGHT, n);
		if (rc)
			return rc;
		if (mode == QX_MODE_DYNAMIC || mode == QX_MODE_WEIGHT_ONLY)
			continue; /* float in, float out, float bias */
		rc = give_role(c, caps.bias, ROLE_BIAS, n);
		int n_act = qx_q8_op_of(nd->op)->inputs == QX_Q8_IN_DATA ? 1 : nd->n_in;
		for (int j = 0; j < n_act && !rc; j++)
			if (nd->in[j] != caps.weight && nd->in[j] != caps.bias)
				rc = give_role(c, nd->in[j], ROLE_ACT, n);
		if (!rc)
			rc = give_role(c, nd->out[0], ROLE_ACT, n);
		if (rc)
			return rc;
	}
	return 0;
}

static int copy_entry(struct checker *c, int t, const struct qx_plan_tensor *pt)
{
	struct qx_tensor_qparams *q = &c->out->tensor[t];
	q->dtype = pt->dtype;
	q->symmetric = pt->symmetric != 0;
	q->axis = pt->axis;
	q->n_channels = pt->n_channels;
	q->qmin = pt->qmin;
	q->qmax = pt->qmax;
	q->bits = pt->dtype == QX_PLAN_INT32 ? 32 : 8;
	q->scales = malloc(sizeof *q->scales * (size_t)pt->n_channels);
	q->zero_points = malloc(sizeof *q->zero_points * (size_t)pt->n_channels);
	if (!q->scales || !q->zero_points)
		return qx_fail_nomem(c->err, "copying a plan");
	memcpy(q->scales, pt->scales, sizeof *q->scales * (size_t)pt->n_channels);
	memcpy(q->zero_points, pt->zero_points, sizeof *q->zero_points * (size_t)pt->n_channels);
	return 0;
}

static int same_qparams(const struct qx_tensor_qparams *a, const struct qx_tensor_qparams *b)
{
	return a->dtype == b->dtype && a->axis == b->axis && a->n_channels == b->n_channels &&
	       a->qmin == b->qmin && a->qmax == b->qmax && a->bits == b->bits &&
	       memcmp(a->scales, b->scales, sizeof *a->scales * (size_t)a->n_channels) == 0 &&
	       memcmp(a->zero_points, b->zero_points,
	              sizeof *a->zero_points * (size_t)a->n_channels) == 0;
}

static int copy_qparams(struct checker *c, int dst, int src)
{
	struct qx_tensor_qparams *q = &c->out->tensor[dst];
	const struct qx_tensor_qparams *s = &c->out->tensor[src];
	*q = *s;
	q->scales = malloc(sizeof *q->scales * (size_t)s->n_channels);
	q->zero_points = malloc(sizeof *q->zero_points * (size_t)s->n_channels);
	if (!q->scales || !q->zero_points)
		return qx_fail_nomem(c->err, "copying a plan");
	memcpy(q->scales, s->scales, sizeof *q->scales * (size_t)s->n_channels);
	memcpy(q->zero_points, s->zero_points, sizeof *q->zero_points * (size_t)s->n_channels);
	q->copied_from = src;
	q->group_scales = NULL; /* activations: never groups or codes */
	q->codes = NULL;
	q->group_size = 0;
	q->groups = q->n_codes = 0;
	return 0;
}

/* A weight for the int8 kernels: int8, every zero point 0, per tensor or per output channel. */
static int check_weight(struct checker *c, int t)
{
	const struct qx_tensor_qparams *q = &c->out->tensor[t];
	const char *name = c->g->tensors[t].name;
	int node = c->role_node[t];
	struct qx_node_caps caps;
	qx_node_caps(c->g, node, &caps);
	if (q->dtype == QX_PLAN_FLOAT)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': weight of %s node '%s' has no qparams (expected int8 "
		               "symmetric)", name, qx_op_mode_name(c->out->node[node].mode),
		               c->g->nodes[node].name);
	int weight_only = c->out->node[node].mode == QX_MODE_WEIGHT_ONLY;
	if (q->dtype != QX_PLAN_INT8 && !qx_qparams_is_fp8(q) &&
	    !(weight_only && q->dtype == QX_PLAN_UINT8))
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': weight of node '%s' is %s (expected int8 or fp8%s)", name,
		               c->g->nodes[node].name, qx_plan_dtype_name(q->dtype),
		               weight_only ? ", or uint8 for a weight_only node" : "");
	if (q->axis != -1 && q->axis != caps.weight_axis)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': weight of node '%s' is per-channel along axis %d (expected "
		               "-1 per-tensor, or the output-channel axis %d)", name,
		               c->g->nodes[node].name, q->axis, caps.weight_axis);
	if (q->group_size > 0 && q->axis != caps.weight_axis)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': per-group weight of node '%s' has axis %d (expected the "
		               "output-channel axis %d: groups run along the reduction axis)", name,
		               c->g->nodes[node].name, q->axis, caps.weight_axis);
	for (int k = 0; k < q->n_channels && (!weight_only || q->group_size > 0); k++)
		if (q->zero_points[k] != 0)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s': weight zero_point[%d] is %d (expected 0: %s)", name,
			               k, q->zero_points[k], q->group_size > 0
			               ? "per-group weights are symmetric"
			               : "the int8 kernels take symmetric weights");
	return 0;
}

static int check_activation(struct checker *c, int t)
{
	const struct qx_tensor_qparams *q = &c->out->tensor[t];
	const char *name = c->g->tensors[t].name;
	const char *node = c->g->nodes[c->role_node[t]].name;
	if (q->dtype == QX_PLAN_FLOAT)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': activation of static node '%s' has no qparams (expected "
		               "uint8 per-tensor qparams)", name, node);
	if ((q->dtype != QX_PLAN_UINT8 && !qx_qparams_is_fp8(q)) || q->axis != -1)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': activation of static node '%s' is %s%s (expected uint8 "
		               "or fp8, per-tensor)", name, node, qx_plan_dtype_name(q->dtype),
		               q->axis != -1 ? " per-channel" : "");
	if (q->n_codes > 0)
		return qx_fail(c->err, QX_EPLUGIN,
		               "tensor '%s': activation of static node '%s' has codes (expected codes "
		               "only for constants: activations are rounded as they run)", name, node);
	return 0;
}

/* A static node's bias, when the plan lists it: int32, zero point 0, scale in * w. */
static int check_bias(struct checker *c, int t)
{
	const struct qx_tensor_qparams *q = &c->out->tensor[t];
	if (q->dtype == QX_PLAN_FLOAT)
		return 0; /* the harness derives it */
	int node = c->role_node[t];
	const struct qx_node *nd = &c->g->nodes[node];
	struct qx_node_caps caps;
	qx_node_caps(c->g, node, &caps);
	const struct qx_tensor_qparams *in = &c->out->tensor[nd->in[0]];
	const struct qx_tensor_qparams *w = &c->out->tensor[caps.weight];
	const char *name = c->g->tensors[t].name;
	if (qx_qparams_is_fp8(in) || qx_qparams_is_fp8(w) || w->group_size > 0)
		return qx_fail(c->err, QX_EPLUGIN, "tensor '%s': bias of node '%s' has qparams but "
		               "the node's %s (expected no entry: such a bias stays fp32)", name,
		               nd->name, w->group_size > 0 ? "weight has per-group scales"
		                                           : "input or weight is fp8");
	if (q->dtype != QX_PLAN_INT32)
		return qx_fail(c->err, QX_EPLUGIN, "tensor '%s': bias of node '%s' is %s (expected "
		               "int32, or no entry)", name, nd->name, qx_plan_dtype_name(q->dtype));
	int want_axis = w->axis < 0 ? -1 : 0;
	if (q->axis != want_axis || q->n_channels != w->n_channels)
		return qx_fail(c->err, QX_EPLUGIN, "tensor '%s': bias of node '%s' has axis %d with "
		               "%d channels (expected axis %d with %d, like the weight)", name,
		               nd->name, q->axis, q->n_channels, want_axis, w->n_channels);
	for (int k = 0; k < q->n_channels; k++) {
		double want = (double)in->scales[0] * (double)w->scales[k];
		if (q->zero_points[k] != 0 || fabs((double)q->scales[k] - want) > 1e-6 * want)
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s': bias scale[%d] %.9g, zero point %d (expected "
			               "input_scale * weight_scale = %.9g, zero point 0)", name, k,
			               (double)q->scales[k], q->zero_points[k], want);
	}
	return 0;
}

static int check_tensors(struct checker *c)
{
	const struct qx_graph *g = c->g;
	for (int e = 0; e < c->plan->n_tensors; e++) {
		int rc = check_entry(c, e);
		if (!rc)
			rc = copy_entry(c, c->plan->tensors[e].tensor, &c->plan->tensors[e]);
		if (rc)
			return rc;
	}
	if (c->plan->n_tensor_ext < 0 || (c->plan->n_tensor_ext > 0 && !c->plan->tensor_ext))
		return qx_fail(c->err, QX_EPLUGIN, "plan has %d tensor_ext entries, array %s (expected "
		               "a count >= 0 and an array when > 0)", c->plan->n_tensor_ext,
		               c->plan->tensor_ext ? "set" : "NULL");
	for (int e = 0; e < c->plan->n_tensor_ext; e++) {
		int rc = check_ext(c, e);
		if (rc)
			return rc;
	}
	int rc = assign_roles(c);
	if (rc)
		return rc;
	/* Outputs of static nodes that keep their input's qparams, in topological order so that
	 * chains (MaxPool -> Flatten) propagate. */
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *nd = &g->nodes[n];
		if (c->out->node[n].mode != QX_MODE_STATIC || !qx_op_keeps_qparams(nd->op))
			continue;
		int in = nd->in[0], out = nd->out[0];
		if ((rc = check_activation(c, in)))
			return rc;
		if (c->out->tensor[out].dtype == QX_PLAN_FLOAT) {
			if ((rc = copy_qparams(c, out, in)))
				return rc;
		} else if (!same_qparams(&c->out->tensor[out], &c->out->tensor[in])) {
			return qx_fail(c->err, QX_EPLUGIN,
			               "tensor '%s': output of %s node '%s' has qparams different from its "
			               "input '%s' (expected the input's qparams, or no entry)",
			               g->tensors[out].name, qx_op_name(nd->op), nd->name,
			               g->tensors[in].name);
		}
	}
	for (int t = 0; t < g->n_tensors && !rc; t++) {
		switch (c->role[t]) {
		case ROLE_ACT:
			rc = check_activation(c, t);
			if (!rc && c->out->tensor[t].group_size > 0)
				rc = qx_fail(c->err, QX_EPLUGIN, "tensor '%s': activation of node '%s' has "
				             "group_size %d (expected groups only on weights)",
				             g->tensors[t].name, g->nodes[c->role_node[t]].name,
				             c->out->tensor[t].group_size);
			break;
		case ROLE_WEIGHT: rc = check_weight(c, t); break;
		case ROLE_BIAS: break; /* after every activation and weight is known good */
		case ROLE_NONE:
			if (c->out->tensor[t].dtype != QX_PLAN_FLOAT)
				rc = qx_fail(c->err, QX_EPLUGIN,
				             "tensor '%s' (entry %d): has qparams but no static or dynamic "
				             "node uses it (expected qparams only on tensors of quantized "
				             "nodes)", g->tensors[t].name, c->entry_of[t]);
			break;
		}
	}
	for (int t = 0; t < g->n_tensors && !rc; t++)
		if (c->role[t] == ROLE_BIAS)
			rc = check_bias(c, t);
	return rc;
}

/* Whether any kernel set can run the plan; if not, why (qx_quant_plan.simulated_why). */
static void mark_simulated(const struct qx_graph *g, struct qx_quant_plan *p)
{
	int fp8 = -1, group = 0, weight_only = 0;
	for (int t = 0; t < g->n_tensors; t++) {
		if (qx_qparams_is_fp8(&p->tensor[t]) && fp8 < 0)
			fp8 = p->tensor[t].dtype;
		group |= p->tensor[t].group_size > 0;
	}
	for (int n = 0; n < g->n_nodes; n++)
		weight_only |= p->node[n].mode == QX_MODE_WEIGHT_ONLY;
	p->simulated = fp8 >= 0 || group || weight_only;
	if (!p->simulated)
		return;
	snprintf(p->simulated_why, sizeof p->simulated_why, "%s%s%s%s%s",
	         fp8 >= 0 ? qx_plan_dtype_name(fp8) : "", fp8 >= 0 && (group || weight_only) ? ", " : "",
	         group ? "per-group scales" : "", group && weight_only ? ", " : "",
	         weight_only ? "weight-only nodes" : "");
}

int qx_qparams_is_fp8(const struct qx_tensor_qparams *qp)
{
	return qp->dtype == QX_PLAN_FP8_E4M3FN || qp->dtype == QX_PLAN_FP8_E5M2;
}

int qx_plan_validate(const struct qx_graph *g, const struct qx_plan *plan,
                     const int32_t *node_modes, struct qx_quant_plan *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (plan->n_tensors < 0 || plan->n_ops < 0 || (plan->n_tensors && !plan->tensors) ||
	    (plan->n_ops && !plan->ops))
		return qx_fail(err, QX_EPLUGIN, "plan has %d tensor and %d op entries, arrays %s and "
		               "%s (expected counts >= 0 and an array for each non-zero count)",
		               plan->n_tensors, plan->n_ops, plan->tensors ? "set" : "NULL",
		               plan->ops ? "set" : "NULL");
	struct checker c = { .g = g, .plan = plan, .out = out, .err = err };
	out->n_tensors = g->n_tensors;
	out->n_nodes = g->n_nodes;
	out->tensor = calloc((size_t)g->n_tensors + 1, sizeof *out->tensor);
	out->node = calloc((size_t)g->n_nodes + 1, sizeof *out->node);
	c.entry_of = malloc(((size_t)g->n_tensors + 1) * sizeof *c.entry_of);
	c.role = calloc((size_t)g->n_tensors + 1, sizeof *c.role);
	c.role_node = calloc((size_t)g->n_tensors + 1, sizeof *c.role_node);
	c.ext_of = malloc(((size_t)g->n_tensors + 1) * sizeof *c.ext_of);
	int rc;
	if (!out->tensor || !out->node || !c.entry_of || !c.role || !c.role_node || !c.ext_of) {
		rc = qx_fail_nomem(err, "validating a plan");
	} else {
		for (int t = 0; t < g->n_tensors; t++) {
			c.entry_of[t] = c.ext_of[t] = -1;
			out->tensor[t].axis = -1;
			out->tensor[t].copied_from = -1;
		}
		rc = check_ops(&c, node_modes);
		if (!rc)
			rc = check_tensors(&c);
		if (!rc)
			mark_simulated(g, out);
	}
	free(c.entry_of);
	free(c.ext_of);
	free(c.role);
	free(c.role_node);
	if (rc)
		qx_quant_plan_free(out);
	return rc;
}

void qx_quant_plan_free(struct qx_quant_plan *plan)
{
	for (int t = 0; t < plan->n_tensors && plan->tensor; t++) {
		free(plan->tensor[t].scales);
		free(plan->tensor[t].zero_points);
		free(plan->tensor[t].group_scales);
		free(plan->tensor[t].codes);
	}
	free(plan->tensor);
	free(plan->node);
	memset(plan, 0, sizeof *plan);
}
