/* Shape inference: every activation's dims for one batch size, auto_pad resolved into pads. */
#include "model/graph_build.h"
#include "model/node_eval.h"
#include "nd_ops.h"
#include "util/checked.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Activations larger than this are refused rather than risking size overflow downstream. */
#define MAX_ELEMENTS ((int64_t)1 << 36)
/* Inputs of a node evaluated at shape inference (Concat of shape pieces has a handful). */
#define QX_MAX_INPUTS_EVAL 256

struct ctx {
	struct qx_graph *g;
	struct qx_node *n;          /* a node of g: inference completes its attributes */
	struct qx_error *err;
};

static int node_msg(const struct ctx *c, int code, const char *fmt, va_list ap)
{
	char what[768];
	vsnprintf(what, sizeof what, fmt, ap);
	return qx_fail(c->err, code, "%s: node '%s' (%s): %s", c->g->path, c->n->name,
	               qx_op_name(c->n->op), what);
}

/* Shapes that do not fit together: the model is wrong. */
static int shape_fail(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int shape_fail(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = node_msg(c, QX_EINVAL, fmt, ap);
	va_end(ap);
	return rc;
}

/* A valid model asking for more than qx-bench runs (a rank it does not handle). */
static int shape_unsupported(const struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int shape_unsupported(const struct ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = node_msg(c, QX_EUNSUPPORTED, fmt, ap);
	va_end(ap);
	return rc;
}

static const struct qx_tensor *in(const struct ctx *c, int j)
{
	return j < c->n->n_in && c->n->in[j] >= 0 ? &c->g->tensors[c->n->in[j]] : NULL;
}

static struct qx_tensor *out(const struct ctx *c)
{
	return &c->g->tensors[c->n->out[0]];
}

/* The node's attributes, which inference completes (resolved pads, normalized axes). */
static struct qx_node *node(const struct ctx *c)
{
	return c->n;
}

static void dims_str(const struct qx_tensor *t, char *s, size_t cap)
{
	size_t len = (size_t)snprintf(s, cap, "[");
	for (int i = 0; i < t->ndim && len < cap; i++)
		len += (size_t)snprintf(s + len, cap - len, "%s%lld", i ? "," : "", (long long)t->dims[i]);
	if (len < cap)
		snprintf(s + len, cap - len, "]");
}

static void set_shape(struct qx_tensor *t, int ndim, const int64_t *dims)
{
	t->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		t->dims[i] = dims[i];
	t->dtype = QX_DT_F32;
}

static int need_rank(const struct ctx *c, int j, int lo, int hi, const char *what)
{
	const struct qx_tensor *t = in(c, j);
	if (t->ndim < lo || t->ndim > hi) {
		char d[128];
		dims_str(t, d, sizeof d);
		return shape_unsupported(c, "input '%s' has shape %s (supported: %s)", t->name, d, what);
	}
	return 0;
}

/* One spatial axis of a Conv / pool window: resolves auto_pad into *pb / *pe and gives the
 * output size. Ceil mode drops a last window that would start inside the end padding, as
 * PyTorch (which exports the models) does. */
static int window_out(const struct ctx *c, const char *axis, int64_t size, int k, int s, int d,
                      enum qx_auto_pad ap, int ceil_mode, int *pb, int *pe, int64_t *o)
{
	int64_t eff = (int64_t)(k - 1) * d + 1;
	if (ap == QX_PAD_SAME_UPPER || ap == QX_PAD_SAME_LOWER) {
		int64_t outn = (size + s - 1) / s;
		int64_t total = (outn - 1) * s + eff - size;
		if (total < 0)
			total = 0;
		int64_t small = total / 2, big = total - small;
		*pb = (int)(ap == QX_PAD_SAME_UPPER ? small : big);
		*pe = (int)(ap == QX_PAD_SAME_UPPER ? big : small);
		*o = outn;
		return 0;
	}
	if (ap == QX_PAD_VALID)
		*pb = *pe = 0;
	int64_t span = size + *pb + *pe - eff;
	/* floor((span + s - 1) / s) + 1 in ceil mode: a window may hang past the padded end, as
	 * long as it starts inside the input or the left padding (checked below). */
	int64_t num = ceil_mode ? span + s - 1 : span;
	int64_t outn = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
	if (ceil_mode && outn > 0 && (outn - 1) * s >= size + *pb)
		outn--;
	if (outn < 1)
		return shape_fail(c, "window %lld (kernel %d, dilation %d) exceeds the padded %s %lld "
		                  "(expected a window that fits%s)", (long long)eff, k, d, axis,
		                  (long long)(size + *pb + *pe), ceil_mode ? " or starts inside it" : "");
	*o = outn;
	return 0;
}

/* ---- values of int64 inputs ------------------------------------------------------------ */

/* Input j as constant int64 values (an initializer, a Constant, or a shape value). */
static int const_i64(const struct ctx *c, int j, const char *what, const int64_t **v,
                     int64_t *n)
{
	const struct qx_tensor *t = in(c, j);
	if (t->dtype != QX_DT_I64)
		return shape_unsupported(c, "%s '%s' has dtype float (supported: int64)", what, t->name);
	if (!t->is_const || !t->i64)
		return shape_unsupported(c, "%s '%s' is computed at run time (supported: a constant, "
		                         "or a value computed from shapes and constants)", what,
		                         t->name);
	if (t->ndim > 1)
		return shape_fail(c, "%s '%s' has %d dims (expected a 1-D int64 tensor)", what, t->name,
		                  t->ndim);
	*v = t->i64;
	*n = qx_tensor_numel(t);
	return 0;
}

/* Input j as one constant value of either dtype (Range's bounds, Pad's value). */
static int const_scalar(const struct ctx *c, int j, const char *what, double *v)
{
	const struct qx_tensor *t = in(c, j);
	if (!t->is_const || qx_tensor_numel(t) != 1 || (!t->data && !t->i64))
		return shape_unsupported(c, "%s '%s' is not a constant scalar (supported: one "
		                         "constant value)", what, t->name);
	*v = t->dtype == QX_DT_I64 ? (double)t->i64[0] : (double)t->data[0];
	return 0;
}

/* A list of axes, normalized to 0..rank-1 (negative counts from the end), each at most once. */
static int norm_axes(const struct ctx *c, int64_t *axes, int64_t n, int rank)
{
	int seen[QX_MAX_DIMS] = { 0 };
	if (n > rank)
		return shape_fail(c, "%lld axes for rank %d (expected at most one per axis)",
		                  (long long)n, rank);
	for (int64_t i = 0; i < n; i++) {
		if (axes[i] < -rank || axes[i] >= rank)
			return shape_fail(c, "axis %lld is out of range for rank %d (expected %d..%d)",
			                  (long long)axes[i], rank, -rank, rank - 1);
		if (axes[i] < 0)
			axes[i] += rank;
		if (seen[axes[i]]++)
			return shape_fail(c, "axis %lld is given twice (expected distinct axes)",
			                  (long long)axes[i]);
	}
	return 0;
}

/* Conv / ConvTranspose: kernel_shape defaults to the weights' last two dims and must match them. */
static int check_kernel(const struct ctx *c, struct qx_conv_attr *a, const struct qx_tensor *w)
{
	if (a->kernel[0] == 0) {
		a->kernel[0] = (int)w->dims[2];
		a->kernel[1] = (int)w->dims[3];
	}
	if (a->kernel[0] != w->dims[2] || a->kernel[1] != w->dims[3])
		return shape_fail(c, "kernel_shape %dx%d differs from the weights' %lldx%lld (expected "
		                  "equal)", a->kernel[0], a->kernel[1], (long long)w->dims[2],
		                  (long long)w->dims[3]);
	return 0;
}

static int infer_conv(const struct ctx *c)
{
	struct qx_conv_attr *a = &c->n->attr.conv;
	int rc;
	if ((rc = need_rank(c, 0, 4, 4, "4-D NCHW, 2-D convolution only")) ||
	    (rc = need_rank(c, 1, 4, 4, "4-D OIHW weights, 2-D convolution only")))
		return rc;
	const struct qx_tensor *x = in(c, 0), *w = in(c, 1), *b = in(c, 2);
	if ((rc = check_kernel(c, a, w)))
		return rc;
	int64_t w_in;
	if (!qx_mul_ok(w->dims[1], a->group, &w_in) || w_in != x->dims[1] || w->dims[0] % a->group ||
	    w->dims[0] == 0)
		return shape_fail(c, "weights [%lld,%lld,..] do not fit %lld input channels in %d "
		                  "groups (expected O divisible by group and I*group == C)",
		                  (long long)w->dims[0], (long long)w->dims[1], (long long)x->dims[1],
		                  a->group);
	if (b && (b->ndim != 1 || b->dims[0] != w->dims[0]))
		return shape_fail(c, "bias '%s' is not [%lld] (expected one value per output channel)",
		                  b->name, (long long)w->dims[0]);
	int64_t o[4] = { x->dims[0], w->dims[0], 0, 0 };
	if ((rc = window_out(c, "height", x->dims[2], a->kernel[0], a->stride[0], a->dilation[0],
	                     a->auto_pad, 0, &a->pad[0], &a->pad[2], &o[2])) ||
	    (rc = window_out(c, "width", x->dims[3], a->kernel[1], a->stride[1], a->dilation[1],
	                     a->auto_pad, 0, &a->pad[1], &a->pad[3], &o[3])))
		return rc;
	set_shape(out(c), 4, o);
	return 0;
}

static int infer_pool(const struct ctx *c)
{
	struct qx_pool_attr *a = &c->n->attr.pool;
	int rc = need_rank(c, 0, 4, 4, "4-D NCHW, 2-D pooling only");
	if (rc)
		return rc;
	const struct qx_tensor *x = in(c, 0);
	int64_t o[4] = { x->dims[0], x->dims[1], 0, 0 };
	if ((rc = window_out(c, "height", x->dims[2], a->kernel[0], a->stride[0], a->dilation[0],
	                     a->auto_pad, a->ceil_mode, &a->pad[0], &a->pad[2], &o[2])) ||
	    (rc = window_out(c, "width", x->dims[3], a->kernel[1], a->stride[1], a->dilation[1],
	                     a->auto_pad, a->ceil_mode, &a->pad[1], &a->pad[3], &o[3])))
		return rc;
	if (a->pad[0] >= a->kernel[0] * a->dilation[0] || a->pad[2] >= a->kernel[0] * a->dilation[0] ||
	    a->pad[1] >= a->kernel[1] * a->dilation[1] || a->pad[3] >= a->kernel[1] * a->dilation[1])
		return shape_fail(c, "padding as large as the window (expected pads smaller than the "
		                  "kernel)");
	set_shape(out(c), 4, o);
	return 0;
}

static int infer_gemm(const struct ctx *c)
{
	const struct qx_gemm_attr *a = &c->n->attr.gemm;
	int rc;
	if ((rc = need_rank(c, 0, 2, 2, "2-D A")) || (rc = need_rank(c, 1, 2, 2, "2-D B")))
		return rc;
	const struct qx_tensor *ta = in(c, 0), *tb = in(c, 1), *tc = in(c, 2);
	int64_t m = ta->dims[a->trans_a ? 1 : 0], k = ta->dims[a->trans_a ? 0 : 1];
	int64_t kb = tb->dims[a->trans_b ? 1 : 0], n = tb->dims[a->trans_b ? 0 : 1];
	if (k != kb)
		return shape_fail(c, "A is %lldx%lld and B %lldx%lld after transposes (expected equal "
		                  "inner dims)", (long long)m, (long long)k, (long long)kb, (long long)n);
	if (tc) {
		int64_t want[2] = { m, n };
		int okc = tc->ndim <= 2;
		for (int i = 0; okc && i < tc->ndim; i++) {
			int64_t d = tc->dims[tc->ndim - 1 - i], w = want[1 - i];
			okc = d == w || d == 1;
		}
		if (!okc) {
			char d[128];
			dims_str(tc, d, sizeof d);
			return shape_fail(c, "C '%s' has shape %s (expected one that broadcasts to "
			                  "[%lld,%lld])", tc->name, d, (long long)m, (long long)n);
		}
	}
	int64_t o[2] = { m, n };
	set_shape(out(c), 2, o);
	return 0;
}

/* Numpy broadcasting of two shapes into o (rank = the larger). */
static int broadcast(const struct ctx *c, const struct qx_tensor *a, const struct qx_tensor *b,
                     int skip_last, int *ndim, int64_t *o)
{
	int ra = a->ndim - skip_last, rb = b->ndim - skip_last;
	int r = ra > rb ? ra : rb;
	for (int i = 0; i < r; i++) {
		int64_t da = i < ra ? a->dims[ra - 1 - i] : 1;
		int64_t db = i < rb ? b->dims[rb - 1 - i] : 1;
		if (da != db && da != 1 && db != 1) {
			char sa[128], sb[128];
			dims_str(a, sa, sizeof sa);
			dims_str(b, sb, sizeof sb);
			return shape_fail(c, "shapes %s and %s do not broadcast (expected numpy "
			                  "broadcasting)", sa, sb);
		}
		o[r - 1 - i] = da == 1 ? db : da;
	}
	*ndim = r;
	return 0;
}

static int infer_matmul(const struct ctx *c)
{
	int rc;
	if ((rc = need_rank(c, 0, 2, QX_MAX_DIMS, "2-D or more")) ||
	    (rc = need_rank(c, 1, 2, QX_MAX_DIMS, "2-D or more")))
		return rc;
	const struct qx_tensor *a = in(c, 0), *b = in(c, 1);
	int64_t m = a->dims[a->ndim - 2], k = a->dims[a->ndim - 1];
	int64_t kb = b->dims[b->ndim - 2], n = b->dims[b->ndim - 1];
	if (k != kb)
		return shape_fail(c, "A is ..x%lldx%lld and B ..x%lldx%lld (expected equal inner dims)",
		                  (long long)m, (long long)k, (long long)kb, (long long)n);
	int64_t o[QX_MAX_DIMS];
	int r;
	if ((rc = broadcast(c, a, b, 2, &r, o)))
		return rc;
	o[r] = m;
	o[r + 1] = n;
	set_shape(out(c), r + 2, o);
	return 0;
}

static int infer_binary(const struct ctx *c)
{
	int64_t o[QX_MAX_DIMS];
	int r, rc = broadcast(c, in(c, 0), in(c, 1), 0, &r, o);
	if (rc)
		return rc;
	set_shape(out(c), r, o);
	return 0;
}

static int norm_axis(const struct ctx *c, int64_t *axis, int rank, int allow_rank)
{
	int64_t hi = allow_rank ? rank : rank - 1;
	if (*axis < -rank || *axis > hi)
		return shape_fail(c, "axis %lld is out of range for rank %d (expected %d..%lld)",
		                  (long long)*axis, rank, -rank, (long long)hi);
	if (*axis < 0)
		*axis += rank;
	return 0;
}

static int infer_flatten(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	int64_t *axis = &c->n->attr.axis;
	int rc = norm_axis(c, axis, x->ndim, 1);
	if (rc)
		return rc;
	int64_t o[2] = { 1, 1 };
	for (int i = 0; i < x->ndim; i++)
		o[i < *axis ? 0 : 1] *= x->dims[i];
	set_shape(out(c), 2, o);
	return 0;
}

static int infer_reshape(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	int allowzero = c->n->attr.allowzero;
	const int64_t *shape;
	int64_t n;
	int rc = const_i64(c, 1, "shape", &shape, &n);
	if (rc)
		return rc;
	int r = (int)n;
	if (n > QX_MAX_DIMS)
		return shape_unsupported(c, "target shape has %d dims (supported: at most %d)", r,
		                         QX_MAX_DIMS);
	int64_t o[QX_MAX_DIMS], known = 1;
	int infer_at = -1, has_zero = 0;
	for (int i = 0; i < r; i++) {
		int64_t v = shape[i];
		if (v == 0 && !allowzero) {
			if (i >= x->ndim)
				return shape_fail(c, "shape[%d] = 0 copies a dim the %d-D input lacks "
				                  "(expected an existing dim)", i, x->ndim);
			v = x->dims[i];
		} else if (v == -1) {
			if (infer_at >= 0)
				return shape_fail(c, "shape has two -1 entries (expected at most one)");
			infer_at = i;
			continue;
		} else if (v < -1 || v > MAX_ELEMENTS) {
			return shape_fail(c, "shape[%d] = %lld (expected -1 to %lld)", i, (long long)v,
			                  (long long)MAX_ELEMENTS);
		}
		has_zero |= v == 0;
		o[i] = v;
		if (!qx_mul_ok(known, v, &known) || known > MAX_ELEMENTS)
			return shape_fail(c, "shape[0..%d] multiply to more than %lld elements (expected "
			                  "the input's %lld)", i, (long long)MAX_ELEMENTS,
			                  (long long)qx_tensor_numel(x));
	}
	int64_t total = qx_tensor_numel(x);
	if (infer_at >= 0) {
		if (has_zero || known == 0 || total % known)
			return shape_fail(c, "cannot infer the -1 dim: %lld elements into blocks of %lld "
			                  "(expected a divisor)", (long long)total, (long long)known);
		o[infer_at] = total / known;
		known *= o[infer_at];
	}
	if (known != total) {
		char d[128];
		dims_str(x, d, sizeof d);
		return shape_fail(c, "reshapes %s (%lld elements) into %lld elements (expected the same "
		                  "count; is the batch size hard-coded in the shape?)", d,
		                  (long long)total, (long long)known);
	}
	set_shape(out(c), r, o);
	return 0;
}

static int infer_concat(const struct ctx *c)
{
	const struct qx_tensor *x0 = in(c, 0);
	int64_t *axis = &c->n->attr.axis;
	int rc = norm_axis(c, axis, x0->ndim, 0);
	if (rc)
		return rc;
	int64_t o[QX_MAX_DIMS];
	memcpy(o, x0->dims, sizeof o);
	for (int j = 1; j < c->n->n_in; j++) {
		const struct qx_tensor *x = in(c, j);
		int same = x && x->ndim == x0->ndim;
		for (int i = 0; same && i < x0->ndim; i++)
			same = i == *axis || x->dims[i] == x0->dims[i];
		if (!same) {
			char s0[128], s1[128];
			dims_str(x0, s0, sizeof s0);
			if (x)
				dims_str(x, s1, sizeof s1);
			return shape_fail(c, "inputs %s and %s differ off axis %lld (expected equal dims "
			                  "except the axis)", s0, x ? s1 : "(none)", (long long)*axis);
		}
		o[*axis] += x->dims[*axis];
	}
	set_shape(out(c), x0->ndim, o);
	return 0;
}

static int infer_batchnorm(const struct ctx *c)
{
	int rc = need_rank(c, 0, 2, QX_MAX_DIMS, "2-D or more, channels on axis 1");
	if (rc)
		return rc;
	const struct qx_tensor *x = in(c, 0);
	for (int j = 1; j < 5; j++) {
		const struct qx_tensor *p = in(c, j);
		if (p->ndim != 1 || p->dims[0] != x->dims[1])
			return shape_fail(c, "parameter '%s' is not [%lld] (expected one value per "
			                  "channel)", p->name, (long long)x->dims[1]);
	}
	set_shape(out(c), x->ndim, x->dims);
	return 0;
}

/* ---- new ops --------------------------------------------------------------------------- */

static int infer_prelu(const struct ctx *c)
{
	int64_t o[QX_MAX_DIMS];
	int r, rc = broadcast(c, in(c, 0), in(c, 1), 0, &r, o);
	if (rc)
		return rc;
	const struct qx_tensor *x = in(c, 0);
	int same = r == x->ndim;
	for (int i = 0; same && i < r; i++)
		same = o[i] == x->dims[i];
	if (!same)
		return shape_fail(c, "slope '%s' does not broadcast to the input's shape (expected "
		                  "unidirectional broadcasting)", in(c, 1)->name);
	set_shape(out(c), r, o);
	return 0;
}

static int infer_reducemean(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	struct qx_axes_attr *a = &node(c)->attr.axes;
	int rc = norm_axes(c, a->v, a->n, x->ndim);
	if (rc)
		return rc;
	if (a->n == 0) { /* no axes: all of them */
		a->n = x->ndim;
		for (int i = 0; i < x->ndim; i++)
			a->v[i] = i;
	}
	int64_t o[QX_MAX_DIMS];
	int r = 0;
	for (int i = 0; i < x->ndim; i++) {
		int red = 0;
		for (int k = 0; k < a->n; k++)
			red |= a->v[k] == i;
		if (!red)
			o[r++] = x->dims[i];
		else if (a->keepdims)
			o[r++] = 1;
	}
	set_shape(out(c), r, o);
	return 0;
}

static int infer_transpose(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	struct qx_axes_attr *a = &node(c)->attr.axes;
	if (a->n == 0) { /* default: reverse the axes */
		a->n = x->ndim;
		for (int i = 0; i < x->ndim; i++)
			a->v[i] = x->ndim - 1 - i;
	}
	if (a->n != x->ndim)
		return shape_fail(c, "perm has %d entries for a %d-D input (expected one per axis)",
		                  a->n, x->ndim);
	int rc = norm_axes(c, a->v, a->n, x->ndim);
	if (rc)
		return rc;
	int64_t o[QX_MAX_DIMS];
	for (int i = 0; i < x->ndim; i++)
		o[i] = x->dims[a->v[i]];
	set_shape(out(c), x->ndim, o);
	return 0;
}

static int infer_squeeze(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	int64_t axes[QX_MAX_DIMS], n = 0;
	int drop[QX_MAX_DIMS] = { 0 };
	if (in(c, 1)) {
		const int64_t *v;
		int rc = const_i64(c, 1, "axes", &v, &n);
		if (rc)
			return rc;
		if (n > x->ndim)
			return shape_fail(c, "%lld axes for rank %d (expected at most one per axis)",
			                  (long long)n, x->ndim);
		memcpy(axes, v, (size_t)n * sizeof *axes);
		if ((rc = norm_axes(c, axes, n, x->ndim)))
			return rc;
		for (int64_t i = 0; i < n; i++) {
			if (x->dims[axes[i]] != 1)
				return shape_fail(c, "axis %lld has size %lld (expected 1)",
				                  (long long)axes[i], (long long)x->dims[axes[i]]);
			drop[axes[i]] = 1;
		}
	} else {
		for (int i = 0; i < x->ndim; i++)
			drop[i] = x->dims[i] == 1;
	}
	int64_t o[QX_MAX_DIMS];
	int r = 0;
	for (int i = 0; i < x->ndim; i++)
		if (!drop[i])
			o[r++] = x->dims[i];
	set_shape(out(c), r, o);
	return 0;
}

static int infer_unsqueeze(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	const int64_t *v;
	int64_t n, axes[QX_MAX_DIMS];
	int rc = const_i64(c, 1, "axes", &v, &n);
	if (rc)
		return rc;
	int r = x->ndim + (int)n;
	if (n > QX_MAX_DIMS || r > QX_MAX_DIMS)
		return shape_unsupported(c, "output would have %lld dims (supported: at most %d)",
		                         (long long)(x->ndim + n), QX_MAX_DIMS);
	memcpy(axes, v, (size_t)n * sizeof *axes);
	if ((rc = norm_axes(c, axes, n, r)))
		return rc;
	int64_t o[QX_MAX_DIMS];
	int add[QX_MAX_DIMS] = { 0 };
	for (int64_t i = 0; i < n; i++)
		add[axes[i]] = 1;
	for (int i = 0, k = 0; i < r; i++)
		o[i] = add[i] ? 1 : x->dims[k++];
	set_shape(out(c), r, o);
	return 0;
}

static int infer_split(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	int64_t *axis = &node(c)->attr.axis;
	int rc = norm_axis(c, axis, x->ndim, 0);
	if (rc)
		return rc;
	int parts = c->n->n_out;
	int64_t size[QX_MAX_OUTPUTS], d = x->dims[*axis];
	if (in(c, 1)) {
		const int64_t *v;
		int64_t n, sum = 0;
		if ((rc = const_i64(c, 1, "split", &v, &n)))
			return rc;
		if (n != parts)
			return shape_fail(c, "split has %lld sizes for %d outputs (expected one per "
			                  "output)", (long long)n, parts);
		for (int j = 0; j < parts; j++) {
			if (v[j] < 0 || v[j] > d)
				return shape_fail(c, "split size %lld for an axis of %lld (expected 0 to the "
				                  "axis size)", (long long)v[j], (long long)d);
			size[j] = v[j];
			sum += v[j];
		}
		if (sum != d)
			return shape_fail(c, "split sizes add up to %lld, axis %lld has %lld (expected "
			                  "equal)", (long long)sum, (long long)*axis, (long long)d);
	} else {
		if (d % parts)
			return shape_fail(c, "axis %lld of size %lld does not split into %d equal parts "
			                  "(expected a multiple)", (long long)*axis, (long long)d, parts);
		for (int j = 0; j < parts; j++)
			size[j] = d / parts;
	}
	for (int j = 0; j < parts; j++) {
		int64_t o[QX_MAX_DIMS];
		memcpy(o, x->dims, sizeof o);
		o[*axis] = size[j];
		set_shape(&c->g->tensors[c->n->out[j]], x->ndim, o);
	}
	return 0;
}

static int infer_slice(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	const int64_t *v[5] = { NULL };
	int64_t n[5] = { 0 };
	static const char *const what[5] = { "", "starts", "ends", "axes", "steps" };
	/* starts and ends are required inputs: an omitted one (an empty name) would leave no values
	 * for the slice box to read. */
	for (int j = 1; j < 3; j++)
		if (!in(c, j))
			return shape_fail(c, "no %s input (expected inputs data, starts, ends[, axes, "
			                  "steps])", what[j]);
	for (int j = 1; j < 5; j++) {
		if (!in(c, j))
			continue;
		int rc = const_i64(c, j, what[j], &v[j], &n[j]);
		if (rc)
			return rc;
		if (n[j] != n[1])
			return shape_fail(c, "%s has %lld entries and starts %lld (expected equal)",
			                  what[j], (long long)n[j], (long long)n[1]);
	}
	int64_t start[QX_MAX_DIMS], step[QX_MAX_DIMS], len[QX_MAX_DIMS];
	char why[200];
	if (qx_slice_box(x->ndim, x->dims, (int)n[1], v[1], v[2], v[3], v[4], start, step, len, why,
	                 sizeof why))
		return shape_fail(c, "%s", why);
	set_shape(out(c), x->ndim, len);
	return 0;
}

static int infer_pad(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	const int64_t *p;
	int64_t n;
	int rc = const_i64(c, 1, "pads", &p, &n);
	if (rc)
		return rc;
	if (n != 2 * x->ndim)
		return shape_fail(c, "pads has %lld values for a %d-D input (expected %d)",
		                  (long long)n, x->ndim, 2 * x->ndim);
	if (in(c, 2) && qx_tensor_numel(in(c, 2)) != 1)
		return shape_fail(c, "constant_value '%s' is not a scalar (expected one float)",
		                  in(c, 2)->name);
	int64_t o[QX_MAX_DIMS];
	for (int i = 0; i < x->ndim; i++) {
		if (p[i] < 0 || p[x->ndim + i] < 0)
			return shape_unsupported(c, "negative pads on axis %d (supported: pads >= 0)", i);
		if (p[i] > MAX_ELEMENTS || p[x->ndim + i] > MAX_ELEMENTS)
			return shape_fail(c, "pads on axis %d exceed %lld (expected a smaller padding)", i,
			                  (long long)MAX_ELEMENTS);
		if (c->n->attr.pad_mode == QX_ND_PAD_REFLECT &&
		    (p[i] >= x->dims[i] || p[x->ndim + i] >= x->dims[i]))
			return shape_fail(c, "reflect pads of %lld / %lld on axis %d of size %lld "
			                  "(expected pads smaller than the axis)", (long long)p[i],
			                  (long long)p[x->ndim + i], i, (long long)x->dims[i]);
		if (c->n->attr.pad_mode == QX_ND_PAD_EDGE && x->dims[i] == 0 &&
		    (p[i] || p[x->ndim + i]))
			return shape_fail(c, "edge pads on the empty axis %d (expected a nonempty axis)", i);
		o[i] = x->dims[i] + p[i] + p[x->ndim + i];
	}
	set_shape(out(c), x->ndim, o);
	return 0;
}

static int infer_resize(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	struct qx_resize_attr *a = &node(c)->attr.resize;
	int r = x->ndim;
	int64_t o[QX_MAX_DIMS];
	const struct qx_tensor *ts = in(c, 2), *tz = in(c, 3);
	if (ts && qx_tensor_numel(ts) == 0)
		ts = NULL; /* opset 11+: an empty scales when sizes is given */
	if (!!ts == !!tz)
		return shape_fail(c, "expected exactly one of scales and sizes");
	if (ts) {
		if (!ts->is_const || ts->dtype != QX_DT_F32 || !ts->data)
			return shape_unsupported(c, "scales '%s' is not a float constant (supported: "
			                         "constant scales)", ts->name);
		if (qx_tensor_numel(ts) != r)
			return shape_fail(c, "scales has %lld values for a %d-D input (expected %d)",
			                  (long long)qx_tensor_numel(ts), r, r);
		for (int i = 0; i < r; i++) {
			if (!(ts->data[i] > 0.0f) || ts->data[i] > 1e6f)
				return shape_fail(c, "scale %g on axis %d (expected > 0)", ts->data[i], i);
			a->scale[i] = ts->data[i];
			o[i] = (int64_t)floor((double)x->dims[i] * ts->data[i]);
		}
	} else {
		const int64_t *v;
		int64_t n;
		int rc = const_i64(c, 3, "sizes", &v, &n);
		if (rc)
			return rc;
		if (n != r)
			return shape_fail(c, "sizes has %lld values for a %d-D input (expected %d)",
			                  (long long)n, r, r);
		for (int i = 0; i < r; i++) {
			if (v[i] < 1 || v[i] > MAX_ELEMENTS)
				return shape_fail(c, "size %lld on axis %d (expected >= 1)", (long long)v[i], i);
			o[i] = v[i];
			a->scale[i] = x->dims[i] ? (float)((double)v[i] / (double)x->dims[i]) : 1.0f;
		}
	}
	for (int i = 0; i < r; i++) {
		if (o[i] < 1 && x->dims[i] > 0)
			return shape_fail(c, "axis %d would become empty (expected a larger scale)", i);
		if (a->linear && i < r - 2 && (o[i] != x->dims[i] || a->scale[i] != 1.0f))
			return shape_unsupported(c, "linear resize of axis %d (supported: linear over the "
			                         "last two axes)", i);
	}
	set_shape(out(c), r, o);
	return 0;
}

static int infer_convtranspose(const struct ctx *c)
{
	struct qx_conv_attr *a = &node(c)->attr.conv;
	int rc;
	if ((rc = need_rank(c, 0, 4, 4, "4-D NCHW, 2-D transposed convolution only")) ||
	    (rc = need_rank(c, 1, 4, 4, "4-D weights [C, M/group, kH, kW], 2-D only")))
		return rc;
	const struct qx_tensor *x = in(c, 0), *w = in(c, 1), *b = in(c, 2);
	if ((rc = check_kernel(c, a, w)))
		return rc;
	if (w->dims[0] != x->dims[1] || x->dims[1] % a->group || w->dims[1] == 0)
		return shape_fail(c, "weights [%lld,%lld,..] do not fit %lld input channels in %d "
		                  "groups (expected [C, M/group, kH, kW] with C divisible by group)",
		                  (long long)w->dims[0], (long long)w->dims[1], (long long)x->dims[1],
		                  a->group);
	int64_t oc;
	if (!qx_mul_ok(w->dims[1], a->group, &oc) || oc > MAX_ELEMENTS)
		return shape_fail(c, "%lld x %d groups output channels (expected at most %lld)",
		                  (long long)w->dims[1], a->group, (long long)MAX_ELEMENTS);
	if (b && (b->ndim != 1 || b->dims[0] != oc))
		return shape_fail(c, "bias '%s' is not [%lld] (expected one value per output channel)",
		                  b->name, (long long)oc);
	int64_t o[4] = { x->dims[0], oc, 0, 0 };
	for (int i = 0; i < 2; i++) {
		int64_t full = a->stride[i] * (x->dims[2 + i] - 1) + a->out_pad[i] +
		               (int64_t)(a->kernel[i] - 1) * a->dilation[i] + 1;
		if (a->auto_pad == QX_PAD_SAME_UPPER || a->auto_pad == QX_PAD_SAME_LOWER) {
			int64_t total = full - x->dims[2 + i] * a->stride[i];
			if (total < 0)
				total = 0;
			int64_t small = total / 2, big = total - small;
			/* ONNX: SAME_UPPER puts the odd padding at the end, SAME_LOWER at the start. */
			a->pad[i] = (int)(a->auto_pad == QX_PAD_SAME_UPPER ? small : big);
			a->pad[2 + i] = (int)(a->auto_pad == QX_PAD_SAME_UPPER ? big : small);
		} else if (a->auto_pad == QX_PAD_VALID) {
			a->pad[i] = a->pad[2 + i] = 0;
		}
		o[2 + i] = full - a->pad[i] - a->pad[2 + i];
		if (a->out_pad[i] >= a->stride[i] && a->out_pad[i] >= a->dilation[i])
			return shape_fail(c, "output_padding %d (expected less than the stride or the "
			                  "dilation)", a->out_pad[i]);
		if (o[2 + i] < 1)
			return shape_fail(c, "pads leave no output (expected smaller pads)");
	}
	set_shape(out(c), 4, o);
	return 0;
}

static int infer_layernorm(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	int64_t *axis = &node(c)->attr.norm.axis;
	int rc = norm_axis(c, axis, x->ndim, 0);
	if (rc)
		return rc;
	int64_t inner = 1;
	for (int i = (int)*axis; i < x->ndim; i++)
		inner *= x->dims[i];
	for (int j = 1; j < 3; j++)
		if (in(c, j) && qx_tensor_numel(in(c, j)) != inner)
			return shape_unsupported(c, "%s '%s' has %lld values (supported: the normalized "
			                         "shape, %lld values)", j == 1 ? "scale" : "bias",
			                         in(c, j)->name, (long long)qx_tensor_numel(in(c, j)),
			                         (long long)inner);
	set_shape(out(c), x->ndim, x->dims);
	int64_t o[QX_MAX_DIMS];
	for (int i = 0; i < x->ndim; i++)
		o[i] = i < *axis ? x->dims[i] : 1;
	for (int j = 1; j < c->n->n_out; j++)
		set_shape(&c->g->tensors[c->n->out[j]], x->ndim, o);
	return 0;
}

static int infer_shape_op(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	struct qx_node *n = node(c);
	/* Opset 15's start / end: clamped to [0, rank] after adding rank to negatives. */
	int64_t r = x->ndim, s = n->attr.shape.start, e = n->attr.shape.end;
	s = s < 0 ? s + r : s;
	e = e < 0 ? e + r : e;
	s = s < 0 ? 0 : (s > r ? r : s);
	e = e < 0 ? 0 : (e > r ? r : e);
	n->attr.shape.start = s;
	n->attr.shape.end = e; /* stays in range for later batches: the rank does not change */
	int64_t o[1] = { e > s ? e - s : 0 };
	set_shape(out(c), 1, o);
	return 0;
}

static int infer_gather(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0), *ix = in(c, 1);
	int64_t *axis = &node(c)->attr.axis;
	int rc = norm_axis(c, axis, x->ndim, 0);
	if (rc)
		return rc;
	if (ix->dtype != QX_DT_I64 || !ix->is_const || !ix->i64)
		return shape_unsupported(c, "indices '%s' are not int64 constants (supported: constant "
		                         "int64 indices)", ix->name);
	int r = x->ndim - 1 + ix->ndim;
	if (r > QX_MAX_DIMS)
		return shape_unsupported(c, "output would have %d dims (supported: at most %d)", r,
		                         QX_MAX_DIMS);
	int64_t len = x->dims[*axis], n = qx_tensor_numel(ix);
	for (int64_t i = 0; i < n; i++)
		if (ix->i64[i] < -len || ix->i64[i] >= len)
			return shape_fail(c, "index %lld is out of range for axis %lld of size %lld "
			                  "(expected %lld..%lld)", (long long)ix->i64[i], (long long)*axis,
			                  (long long)len, (long long)-len, (long long)(len - 1));
	int64_t o[QX_MAX_DIMS];
	int k = 0;
	for (int i = 0; i < *axis; i++)
		o[k++] = x->dims[i];
	for (int i = 0; i < ix->ndim; i++)
		o[k++] = ix->dims[i];
	for (int i = (int)*axis + 1; i < x->ndim; i++)
		o[k++] = x->dims[i];
	set_shape(out(c), r, o);
	return 0;
}

static int infer_range(const struct ctx *c)
{
	double v[3];
	static const char *const what[3] = { "start", "limit", "delta" };
	for (int j = 0; j < 3; j++) {
		int rc = const_scalar(c, j, what[j], &v[j]);
		if (rc)
			return rc;
		if (in(c, j)->dtype != in(c, 0)->dtype)
			return shape_fail(c, "%s '%s' has another dtype than start (expected one dtype)",
			                  what[j], in(c, j)->name);
	}
	if (v[2] == 0.0)
		return shape_fail(c, "delta is 0 (expected a nonzero step)");
	double cnt = ceil((v[1] - v[0]) / v[2]);
	if (!(cnt <= (double)MAX_ELEMENTS))
		return shape_fail(c, "%g elements (expected at most %lld)", cnt, (long long)MAX_ELEMENTS);
	int64_t o[1] = { cnt > 0 ? (int64_t)cnt : 0 };
	set_shape(out(c), 1, o);
	return 0;
}

static int infer_constantofshape(const struct ctx *c)
{
	const int64_t *v;
	int64_t n;
	int rc = const_i64(c, 0, "shape", &v, &n);
	if (rc)
		return rc;
	if (n > QX_MAX_DIMS)
		return shape_unsupported(c, "shape has %lld dims (supported: at most %d)", (long long)n,
		                         QX_MAX_DIMS);
	for (int64_t i = 0; i < n; i++)
		if (v[i] < 0 || v[i] > MAX_ELEMENTS)
			return shape_fail(c, "shape[%lld] = %lld (expected 0 to %lld)", (long long)i,
			                  (long long)v[i], (long long)MAX_ELEMENTS);
	set_shape(out(c), (int)n, v);
	return 0;
}

/* ---- dtypes ---------------------------------------------------------------------------- */

/* Input slots that hold int64 indices / shapes rather than data. */
static int is_index_slot(enum qx_op op, int j)
{
	switch (op) {
	case QX_OP_RESHAPE:
	case QX_OP_SQUEEZE:
	case QX_OP_UNSQUEEZE:
	case QX_OP_SPLIT:
	case QX_OP_PAD:
	case QX_OP_GATHER:
		return j == 1;
	case QX_OP_SLICE:
		return j >= 1;
	case QX_OP_RESIZE:
		return j == 3;
	case QX_OP_CONSTANTOFSHAPE:
		return j == 0;
	default:
		return 0;
	}
}

/* Ops that move or combine values of either dtype (the output has the first input's). */
static int is_any_dtype(enum qx_op op)
{
	switch (op) {
	case QX_OP_ADD:
	case QX_OP_SUB:
	case QX_OP_MUL:
	case QX_OP_DIV:
	case QX_OP_CONCAT:
	case QX_OP_IDENTITY:
	case QX_OP_DROPOUT:
	case QX_OP_FLATTEN:
	case QX_OP_RESHAPE:
	case QX_OP_TRANSPOSE:
	case QX_OP_SQUEEZE:
	case QX_OP_UNSQUEEZE:
	case QX_OP_SPLIT:
	case QX_OP_SLICE:
	case QX_OP_GATHER:
		return 1;
	default:
		return 0;
	}
}

/* Checks the inputs' dtypes and gives the output's. */
static int check_dtypes(const struct ctx *c, enum qx_dtype *dt)
{
	enum qx_op op = c->n->op;
	const struct qx_tensor *x = in(c, 0);
	*dt = QX_DT_F32;
	switch (op) {
	case QX_OP_SHAPE:
		*dt = QX_DT_I64;
		return 0;
	case QX_OP_CAST:
		*dt = c->n->attr.to;
		return 0;
	case QX_OP_CONSTANTOFSHAPE:
		*dt = c->n->attr.fill.dtype;
		return 0;
	case QX_OP_RANGE:
		*dt = x->dtype;
		return 0;
	default:
		break;
	}
	int any = is_any_dtype(op);
	for (int j = 0; j < c->n->n_in; j++) {
		const struct qx_tensor *t = in(c, j);
		if (!t || is_index_slot(op, j))
			continue;
		/* Binary ops and Concat take one dtype; the others float, except data moved as is. */
		enum qx_dtype want = any ? x->dtype : QX_DT_F32;
		if (any && j > 0 && op != QX_OP_ADD && op != QX_OP_SUB && op != QX_OP_MUL &&
		    op != QX_OP_DIV && op != QX_OP_CONCAT)
			continue;
		if (t->dtype != want)
			return shape_unsupported(c, "input '%s' has dtype %s (supported: %s)", t->name,
			                         t->dtype == QX_DT_I64 ? "int64" : "float",
			                         want == QX_DT_F32 ? "float" : "int64, as the first input");
	}
	*dt = any ? x->dtype : QX_DT_F32;
	return 0;
}

static int infer_shape(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	switch (c->n->op) {
	case QX_OP_CONV:
		return infer_conv(c);
	case QX_OP_CONVTRANSPOSE:
		return infer_convtranspose(c);
	case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL:
		return infer_pool(c);
	case QX_OP_GEMM:
		return infer_gemm(c);
	case QX_OP_MATMUL:
		return infer_matmul(c);
	case QX_OP_ADD:
	case QX_OP_SUB:
	case QX_OP_MUL:
	case QX_OP_DIV:
	case QX_OP_POW:
		return infer_binary(c);
	case QX_OP_PRELU:
		return infer_prelu(c);
	case QX_OP_FLATTEN:
		return infer_flatten(c);
	case QX_OP_RESHAPE:
		return infer_reshape(c);
	case QX_OP_CONCAT:
		return infer_concat(c);
	case QX_OP_BATCHNORM:
		return infer_batchnorm(c);
	case QX_OP_GLOBALAVGPOOL:
	case QX_OP_GLOBALMAXPOOL: {
		int rc = need_rank(c, 0, 3, QX_MAX_DIMS, "3-D or more, NC + spatial dims");
		if (rc)
			return rc;
		int64_t o[QX_MAX_DIMS];
		for (int i = 0; i < x->ndim; i++)
			o[i] = i < 2 ? x->dims[i] : 1;
		set_shape(out(c), x->ndim, o);
		return 0;
	}
	case QX_OP_SOFTMAX: {
		int rc = norm_axis(c, &node(c)->attr.axis, x->ndim, 0);
		if (rc)
			return rc;
		set_shape(out(c), x->ndim, x->dims);
		return 0;
	}
	case QX_OP_CLIP:
		for (int j = 1; j < c->n->n_in; j++)
			if (in(c, j) && qx_tensor_numel(in(c, j)) != 1)
				return shape_fail(c, "bound '%s' is not a scalar (expected one float)",
				                  in(c, j)->name);
		set_shape(out(c), x->ndim, x->dims);
		return 0;
	case QX_OP_REDUCEMEAN:
		return infer_reducemean(c);
	case QX_OP_TRANSPOSE:
		return infer_transpose(c);
	case QX_OP_SQUEEZE:
		return infer_squeeze(c);
	case QX_OP_UNSQUEEZE:
		return infer_unsqueeze(c);
	case QX_OP_SPLIT:
		return infer_split(c);
	case QX_OP_SLICE:
		return infer_slice(c);
	case QX_OP_PAD:
		return infer_pad(c);
	case QX_OP_RESIZE:
		return infer_resize(c);
	case QX_OP_LAYERNORM:
		return infer_layernorm(c);
	case QX_OP_SHAPE:
		return infer_shape_op(c);
	case QX_OP_GATHER:
		return infer_gather(c);
	case QX_OP_RANGE:
		return infer_range(c);
	case QX_OP_CONSTANTOFSHAPE:
		return infer_constantofshape(c);
	default: /* Relu, Identity, Dropout, Cast, the unary float ops */
		set_shape(out(c), x->ndim, x->dims);
		return 0;
	}
}

/* Whether the node's value is known at shape inference: a Shape (it reads only dims), or an op
 * qx_node_eval computes whose inputs are all constants. */
static int evaluable(const struct qx_graph *g, const struct qx_node *n)
{
	if (n->op == QX_OP_SHAPE)
		return 1;
	if (!qx_node_eval_supported(n->op))
		return 0;
	for (int j = 0; j < n->n_in; j++)
		if (n->in[j] >= 0 && !g->tensors[n->in[j]].is_const)
			return 0;
	return 1;
}

/* Computes an evaluable node's outputs into their tensors, which become constants. */
static int evaluate(const struct ctx *c)
{
	struct qx_graph *g = c->g;
	const struct qx_node *n = c->n;
	const void *inv[QX_MAX_INPUTS_EVAL];
	void *outv[QX_MAX_OUTPUTS] = { NULL };
	if (n->n_in > QX_MAX_INPUTS_EVAL)
		return shape_unsupported(c, "%d constant inputs (supported: at most %d)", n->n_in,
		                         QX_MAX_INPUTS_EVAL);
	for (int j = 0; j < n->n_in; j++)
		inv[j] = n->in[j] >= 0 ? qx_tensor_values(&g->tensors[n->in[j]]) : NULL;
	int rc = 0;
	for (int j = 0; j < n->n_out && !rc; j++) {
		const struct qx_tensor *t = &g->tensors[n->out[j]];
		int64_t cnt = qx_tensor_numel(t);
		outv[j] = malloc((size_t)(cnt ? cnt : 1) * qx_dtype_size(t->dtype));
		if (!outv[j])
			rc = qx_fail_nomem(c->err, "folding constants");
	}
	if (!rc)
		rc = qx_node_eval(g, n, inv, outv, c->err);
	for (int j = 0; j < n->n_out; j++) {
		struct qx_tensor *t = &g->tensors[n->out[j]];
		if (rc) {
			free(outv[j]);
			continue;
		}
		free(t->data);
		free(t->i64);
		t->data = t->dtype == QX_DT_F32 ? outv[j] : NULL;
		t->i64 = t->dtype == QX_DT_I64 ? outv[j] : NULL;
		t->is_const = 1;
	}
	return rc;
}

static int infer_node(const struct ctx *c)
{
	enum qx_dtype dt;
	int rc = check_dtypes(c, &dt);
	if (rc || (rc = infer_shape(c)))
		return rc;
	for (int j = 0; j < c->n->n_out; j++)
		c->g->tensors[c->n->out[j]].dtype = dt;
	for (int j = 0; j < c->n->n_out; j++) {
		const struct qx_tensor *o = &c->g->tensors[c->n->out[j]];
		int bad;
		if (!qx_dims_within(o->ndim, o->dims, MAX_ELEMENTS, NULL, &bad)) {
			char d[128];
			dims_str(o, d, sizeof d);
			if (bad >= 0)
				return shape_fail(c, "output '%s' would have shape %s, dim %d negative "
				                  "(expected dims >= 0)", o->name, d, bad);
			return shape_fail(c, "output '%s' would have shape %s, more than %lld elements "
			                  "(expected a smaller model or batch)", o->name, d,
			                  (long long)MAX_ELEMENTS);
		}
	}
	if (evaluable(c->g, c->n))
		return evaluate(c);
	if (dt == QX_DT_I64)
		return shape_unsupported(c, "int64 output computed from activations at run time "
		                         "(supported: int64 values computed from shapes and constants)");
	return 0;
}

/* Evaluates the shape nodes from *next on whose inputs are ready. */
static int run_shape_nodes(struct qx_graph *g, char *ready, int *next, struct qx_error *err)
{
	while (*next < g->n_shape_nodes) {
		struct qx_node *n = &g->shape_nodes[*next];
		for (int j = 0; j < n->n_in; j++)
			if (n->in[j] >= 0 && !ready[n->in[j]])
				return 0;
		struct ctx c = { g, n, err };
		int rc = infer_node(&c);
		if (rc)
			return rc;
		for (int j = 0; j < n->n_out; j++)
			ready[n->out[j]] = 1;
		(*next)++;
	}
	return 0;
}

int qx_graph_infer_shapes(struct qx_graph *g, int64_t batch, struct qx_error *err)
{
	for (int i = 0; i < g->n_inputs; i++) {
		struct qx_tensor *t = &g->tensors[g->inputs[i]];
		memcpy(t->dims, t->decl_dims, sizeof t->dims);
		if (batch > 0 && t->ndim > 0)
			t->dims[0] = batch;
		int bad;
		if (!qx_dims_within(t->ndim, t->dims, MAX_ELEMENTS, NULL, &bad)) {
			if (bad >= 0)
				return qx_fail(err, QX_EINVAL, "%s: graph input '%s' has dim %d = %lld "
				               "(expected dims >= 0)", g->path, t->name, bad,
				               (long long)t->dims[bad]);
			return qx_fail(err, QX_EINVAL, "%s: graph input '%s' has more than %lld "
			               "elements (expected a smaller input or batch)", g->path, t->name,
			               (long long)MAX_ELEMENTS);
		}
	}
	/* A tensor is ready once its shape is known: inputs and constants at once, node outputs
	 * when their node is inferred. Shape nodes run as soon as what they read is ready. */
	char *ready = malloc((size_t)g->n_tensors + 1);
	if (!ready)
		return qx_fail_nomem(err, "inferring shapes");
	memset(ready, 1, (size_t)g->n_tensors + 1);
	for (int k = 0; k < 2; k++) {
		const struct qx_node *nodes = k ? g->shape_nodes : g->nodes;
		for (int i = 0; i < (k ? g->n_shape_nodes : g->n_nodes); i++)
			for (int j = 0; j < nodes[i].n_out; j++)
				ready[nodes[i].out[j]] = 0;
	}
	int next = 0, rc = 0;
	for (int i = 0; i < g->n_nodes && !rc; i++) {
		struct ctx c = { g, &g->nodes[i], err };
		if ((rc = run_shape_nodes(g, ready, &next, err)) || (rc = infer_node(&c)))
			break;
		for (int j = 0; j < g->nodes[i].n_out; j++)
			ready[g->nodes[i].out[j]] = 1;
	}
	if (!rc)
		rc = run_shape_nodes(g, ready, &next, err);
	if (!rc && next < g->n_shape_nodes)
		rc = qx_fail(err, QX_EINTERNAL, "%s: shape node '%s' (%s) reads a tensor nothing "
		             "computes", g->path, g->shape_nodes[next].name,
		             qx_op_name(g->shape_nodes[next].op));
	free(ready);
	if (rc)
		return rc;
	g->batch = batch > 0 ? batch : (g->n_inputs && g->tensors[g->inputs[0]].ndim ?
	                                 g->tensors[g->inputs[0]].dims[0] : 1);
	return 0;
}
