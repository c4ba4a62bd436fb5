/* Shape inference: every activation's dims for one batch size, auto_pad resolved into pads. */
#include "model/graph_build.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Activations larger than this are refused rather than risking size overflow downstream. */
#define MAX_ELEMENTS ((int64_t)1 << 36)

struct ctx {
	struct qx_graph *g;
	const struct qx_node *n;
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
	if (span < 0)
		return shape_fail(c, "window %lld (kernel %d, dilation %d) exceeds the padded %s %lld "
		                  "(expected a window that fits)", (long long)eff, k, d, axis,
		                  (long long)(size + *pb + *pe));
	int64_t outn = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
	if (ceil_mode && (outn - 1) * s >= size + *pb)
		outn--;
	*o = outn;
	return 0;
}

static int infer_conv(const struct ctx *c)
{
	struct qx_conv_attr *a = &((struct qx_node *)c->n)->attr.conv;
	int rc;
	if ((rc = need_rank(c, 0, 4, 4, "4-D NCHW, 2-D convolution only")) ||
	    (rc = need_rank(c, 1, 4, 4, "4-D OIHW weights, 2-D convolution only")))
		return rc;
	const struct qx_tensor *x = in(c, 0), *w = in(c, 1), *b = in(c, 2);
	if (a->kernel[0] == 0) {
		a->kernel[0] = (int)w->dims[2];
		a->kernel[1] = (int)w->dims[3];
	}
	if (a->kernel[0] != w->dims[2] || a->kernel[1] != w->dims[3])
		return shape_fail(c, "kernel_shape %dx%d differs from the weights' %lldx%lld (expected "
		                  "equal)", a->kernel[0], a->kernel[1], (long long)w->dims[2],
		                  (long long)w->dims[3]);
	if (w->dims[1] * a->group != x->dims[1] || w->dims[0] % a->group || w->dims[0] == 0)
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
	struct qx_pool_attr *a = &((struct qx_node *)c->n)->attr.pool;
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
	int64_t *axis = &((struct qx_node *)c->n)->attr.axis;
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
	const struct qx_tensor *x = in(c, 0), *s = in(c, 1);
	int allowzero = c->n->attr.allowzero;
	int r = (int)s->dims[0];
	if (r > QX_MAX_DIMS)
		return shape_unsupported(c, "target shape has %d dims (supported: at most %d)", r,
		                         QX_MAX_DIMS);
	int64_t o[QX_MAX_DIMS], known = 1;
	int infer_at = -1, has_zero = 0;
	for (int i = 0; i < r; i++) {
		int64_t v = s->i64[i];
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
		known *= v;
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
	int64_t *axis = &((struct qx_node *)c->n)->attr.axis;
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

static int infer_node(const struct ctx *c)
{
	const struct qx_tensor *x = in(c, 0);
	switch (c->n->op) {
	case QX_OP_CONV:
		return infer_conv(c);
	case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL:
		return infer_pool(c);
	case QX_OP_GEMM:
		return infer_gemm(c);
	case QX_OP_MATMUL:
		return infer_matmul(c);
	case QX_OP_ADD:
	case QX_OP_MUL:
		return infer_binary(c);
	case QX_OP_FLATTEN:
		return infer_flatten(c);
	case QX_OP_RESHAPE:
		return infer_reshape(c);
	case QX_OP_CONCAT:
		return infer_concat(c);
	case QX_OP_BATCHNORM:
		return infer_batchnorm(c);
	case QX_OP_GLOBALAVGPOOL: {
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
		int rc = norm_axis(c, &((struct qx_node *)c->n)->attr.axis, x->ndim, 0);
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
	default: /* Relu, Identity, Dropout */
		set_shape(out(c), x->ndim, x->dims);
		return 0;
	}
}

int qx_graph_infer_shapes(struct qx_graph *g, int64_t batch, struct qx_error *err)
{
	for (int i = 0; i < g->n_inputs; i++) {
		struct qx_tensor *t = &g->tensors[g->inputs[i]];
		memcpy(t->dims, t->decl_dims, sizeof t->dims);
		if (batch > 0 && t->ndim > 0)
			t->dims[0] = batch;
		int64_t n = 1;
		for (int d = 0; d < t->ndim; d++) {
			if (t->dims[d] > 0 && n > MAX_ELEMENTS / t->dims[d])
				return qx_fail(err, QX_EINVAL, "%s: graph input '%s' has more than %lld "
				               "elements (expected a smaller input or batch)", g->path, t->name,
				               (long long)MAX_ELEMENTS);
			n *= t->dims[d];
		}
	}
	for (int i = 0; i < g->n_nodes; i++) {
		struct ctx c = { g, &g->nodes[i], err };
		int rc = infer_node(&c);
		if (rc)
			return rc;
		int64_t n = 1;
		const struct qx_tensor *o = out(&c);
		for (int d = 0; d < o->ndim; d++) {
			if (o->dims[d] > 0 && n > MAX_ELEMENTS / o->dims[d])
				return shape_fail(&c, "output has more than %lld elements (expected a "
				                  "smaller model or batch)", (long long)MAX_ELEMENTS);
			n *= o->dims[d];
		}
	}
	g->batch = batch > 0 ? batch : (g->n_inputs && g->tensors[g->inputs[0]].ndim ?
	                                 g->tensors[g->inputs[0]].dims[0] : 1);
	return 0;
}
