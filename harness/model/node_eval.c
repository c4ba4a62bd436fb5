/* Node-level evaluation for the ops without a kernel table (model/node_eval.h): picks the
 * kernels/nd_ops.h function and its arguments from the node and its tensors' shapes. */
#include "model/graph_build.h"
#include "model/node_eval.h"
#include "nd_ops.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const void *qx_tensor_values(const struct qx_tensor *t)
{
	return t->dtype == QX_DT_I64 ? (const void *)t->i64 : (const void *)t->data;
}

size_t qx_dtype_size(enum qx_dtype dt)
{
	return dt == QX_DT_I64 ? sizeof(int64_t) : sizeof(float);
}

int qx_node_eval_supported(enum qx_op op)
{
	switch (op) {
	case QX_OP_CONV:
	case QX_OP_GEMM:
	case QX_OP_MATMUL:
	case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL:
	case QX_OP_COUNT:
		return 0;
	default:
		return 1;
	}
}

int qx_slice_box(int r, const int64_t *dims, int n, const int64_t *starts, const int64_t *ends,
                 const int64_t *axes, const int64_t *steps, int64_t *start, int64_t *step,
                 int64_t *len, char *why, size_t why_len)
{
	int seen[QX_MAX_DIMS] = { 0 };
	for (int i = 0; i < r; i++) {
		start[i] = 0;
		step[i] = 1;
		len[i] = dims[i];
	}
	for (int k = 0; k < n; k++) {
		int64_t ax = axes ? axes[k] : k;
		if (ax < -r || ax >= r) {
			snprintf(why, why_len, "axis %lld is out of range for rank %d (expected %d..%d)",
			         (long long)ax, r, -r, r - 1);
			return -1;
		}
		if (ax < 0)
			ax += r;
		if (seen[ax]++) {
			snprintf(why, why_len, "axis %lld is given twice (expected distinct axes)",
			         (long long)ax);
			return -1;
		}
		int64_t sp = steps ? steps[k] : 1, d = dims[ax];
		if (sp == 0) {
			snprintf(why, why_len, "step 0 on axis %lld (expected a nonzero step)",
			         (long long)ax);
			return -1;
		}
		/* Clamp first, so that INT64_MAX / INT64_MIN ends never overflow. */
		int64_t s = starts[k] < -d ? -d : (starts[k] > d ? d : starts[k]);
		int64_t e = ends[k] < -d - 1 ? -d - 1 : (ends[k] > d ? d : ends[k]);
		if (s < 0)
			s += d;
		if (e < 0 && ends[k] >= -d)
			e += d;
		int64_t l;
		if (sp > 0) {
			s = s < 0 ? 0 : (s > d ? d : s);
			e = e < 0 ? 0 : (e > d ? d : e);
			l = e > s ? (e - s + sp - 1) / sp : 0;
		} else {
			s = s < 0 ? 0 : (s > d - 1 ? d - 1 : s);
			e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
			l = s > e ? (s - e + (-sp) - 1) / (-sp) : 0;
		}
		start[ax] = l ? s : 0;
		step[ax] = l > 1 ? sp : 1; /* |sp| < d then, so index arithmetic cannot overflow */
		len[ax] = l;
	}
	return 0;
}

/* Optional input j's values, or NULL when the node has fewer inputs or omits it. */
static const void *opt_in(const struct qx_node *n, const void *const *in, int j)
{
	return j < n->n_in ? in[j] : NULL;
}

static const struct qx_tensor *tin(const struct qx_graph *g, const struct qx_node *n, int j)
{
	return j < n->n_in && n->in[j] >= 0 ? &g->tensors[n->in[j]] : NULL;
}

/* outer / len / inner of a shape around one axis. */
static void around_axis(const struct qx_tensor *t, int64_t axis, int64_t *outer, int64_t *len,
                        int64_t *inner)
{
	*outer = *inner = 1;
	*len = t->dims[axis];
	for (int i = 0; i < t->ndim; i++) {
		if (i < axis)
			*outer *= t->dims[i];
		else if (i > axis)
			*inner *= t->dims[i];
	}
}

static int eval_binary(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                       void *y, struct qx_error *err)
{
	static const enum qx_nd_binop ops[QX_OP_COUNT] = {
		[QX_OP_ADD] = QX_ND_ADD, [QX_OP_SUB] = QX_ND_SUB, [QX_OP_MUL] = QX_ND_MUL,
		[QX_OP_DIV] = QX_ND_DIV, [QX_OP_POW] = QX_ND_POW, [QX_OP_PRELU] = QX_ND_PRELU,
	};
	const struct qx_tensor *a = tin(g, n, 0), *b = tin(g, n, 1), *t = &g->tensors[n->out[0]];
	int64_t sa[QX_MAX_DIMS], sb[QX_MAX_DIMS];
	qx_nd_bcast_strides(t->ndim, a->ndim, a->dims, sa);
	qx_nd_bcast_strides(t->ndim, b->ndim, b->dims, sb);
	if (t->dtype == QX_DT_F32) {
		qx_nd_binary_f32(ops[n->op], t->ndim, t->dims, in[0], sa, in[1], sb, y);
		return 0;
	}
	if (qx_nd_binary_i64(ops[n->op], t->ndim, t->dims, in[0], sa, in[1], sb, y))
		return qx_fail(err, QX_EINVAL, "%s: node '%s' (%s): int64 division by zero (expected "
		               "nonzero divisors)", g->path, n->name, qx_op_name(n->op));
	return 0;
}

static void eval_batchnorm(const struct qx_graph *g, const struct qx_node *n,
                           const void *const *in, float *y)
{
	const struct qx_tensor *t = tin(g, n, 0);
	const float *x = in[0], *scale = in[1], *b = in[2], *mean = in[3], *var = in[4];
	int64_t ch = t->dims[1], planes = t->dims[0] * ch;
	int64_t inner = planes ? qx_tensor_numel(t) / planes : 0;
	for (int64_t i = 0; i < t->dims[0]; i++)
		for (int64_t c = 0; c < ch; c++) {
			float sd = sqrtf(var[c] + n->attr.epsilon);
			const float *xs = x + (i * ch + c) * inner;
			float *ys = y + (i * ch + c) * inner;
			for (int64_t j = 0; j < inner; j++)
				ys[j] = (xs[j] - mean[c]) / sd * scale[c] + b[c];
		}
}

static void eval_softmax(const struct qx_graph *g, const struct qx_node *n, const float *x,
                         float *y)
{
	const struct qx_tensor *t = &g->tensors[n->out[0]];
	int64_t axis = n->attr.axis, outer = 1, len = 1, inner = 1;
	for (int i = 0; i < t->ndim; i++) {
		if (i < axis)
			outer *= t->dims[i];
		else if (i == axis || g->opset < 13)
			len *= t->dims[i]; /* before opset 13: softmax over everything from axis on */
		else
			inner *= t->dims[i];
	}
	qx_nd_softmax_f32(outer, len, inner, x, y);
}

static void eval_concat(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                        void *y)
{
	const struct qx_tensor *t = &g->tensors[n->out[0]];
	int64_t outer, len, inner;
	around_axis(t, n->attr.axis, &outer, &len, &inner);
	size_t esz = qx_dtype_size(t->dtype);
	char *at = y;
	for (int64_t o = 0; o < outer; o++)
		for (int j = 0; j < n->n_in; j++) {
			size_t bytes = (size_t)(tin(g, n, j)->dims[n->attr.axis] * inner) * esz;
			memcpy(at, (const char *)in[j] + (size_t)o * bytes, bytes);
			at += bytes;
		}
}

static int eval_slice(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                      void *y, struct qx_error *err)
{
	const struct qx_tensor *x = tin(g, n, 0), *t = &g->tensors[n->out[0]];
	const struct qx_tensor *ts = tin(g, n, 1);
	int64_t start[QX_MAX_DIMS], step[QX_MAX_DIMS], len[QX_MAX_DIMS];
	char why[200];
	if (qx_slice_box(x->ndim, x->dims, (int)qx_tensor_numel(ts), in[1], in[2], opt_in(n, in, 3),
	                 opt_in(n, in, 4), start, step, len, why, sizeof why))
		return qx_fail(err, QX_EINVAL, "%s: node '%s' (Slice): %s", g->path, n->name, why);
	qx_nd_slice(qx_dtype_size(t->dtype), x->ndim, x->dims, start, step, len, in[0], y);
	return 0;
}

static void eval_split(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                       void *const *out)
{
	const struct qx_tensor *x = tin(g, n, 0);
	int64_t start[QX_MAX_DIMS] = { 0 }, step[QX_MAX_DIMS];
	for (int i = 0; i < x->ndim; i++)
		step[i] = 1;
	for (int j = 0; j < n->n_out; j++) {
		const struct qx_tensor *t = &g->tensors[n->out[j]];
		qx_nd_slice(qx_dtype_size(t->dtype), x->ndim, x->dims, start, step, t->dims, in[0],
		            out[j]);
		start[n->attr.axis] += t->dims[n->attr.axis];
	}
}

static void eval_cast(const struct qx_tensor *x, const void *in, const struct qx_tensor *t,
                      void *y)
{
	int64_t total = qx_tensor_numel(t);
	if (x->dtype == t->dtype) {
		memcpy(y, in, (size_t)total * qx_dtype_size(t->dtype));
	} else if (t->dtype == QX_DT_F32) {
		for (int64_t i = 0; i < total; i++)
			((float *)y)[i] = (float)((const int64_t *)in)[i];
	} else {
		/* Truncation toward zero; NaN and values beyond int64 saturate (C leaves them
		 * undefined). */
		for (int64_t i = 0; i < total; i++) {
			float v = ((const float *)in)[i];
			((int64_t *)y)[i] = v != v ? 0 : (v >= 9.2233715e18f ? INT64_MAX :
			                    (v <= -9.2233715e18f ? INT64_MIN : (int64_t)v));
		}
	}
}

static void eval_range(const struct qx_tensor *t, const void *const *in, void *y)
{
	int64_t total = qx_tensor_numel(t);
	if (t->dtype == QX_DT_F32) {
		float s = *(const float *)in[0], d = *(const float *)in[2];
		for (int64_t i = 0; i < total; i++)
			((float *)y)[i] = s + (float)i * d;
	} else {
		/* Unsigned: the values stay between start and limit, but i * delta alone may not. */
		uint64_t s = (uint64_t)*(const int64_t *)in[0], d = (uint64_t)*(const int64_t *)in[2];
		for (int64_t i = 0; i < total; i++)
			((int64_t *)y)[i] = (int64_t)(s + (uint64_t)i * d);
	}
}

static void eval_layernorm(const struct qx_graph *g, const struct qx_node *n,
                           const void *const *in, void *const *out)
{
	const struct qx_tensor *x = tin(g, n, 0);
	int64_t outer = 1, inner = 1;
	for (int i = 0; i < x->ndim; i++) {
		if (i < n->attr.norm.axis)
			outer *= x->dims[i];
		else
			inner *= x->dims[i];
	}
	qx_nd_layernorm_f32(outer, inner, n->attr.norm.epsilon, in[0], in[1], opt_in(n, in, 2), out[0],
	                    n->n_out > 1 ? out[1] : NULL, n->n_out > 2 ? out[2] : NULL);
}

static void eval_deconv(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                        float *y)
{
	const struct qx_tensor *x = tin(g, n, 0), *t = &g->tensors[n->out[0]];
	const struct qx_conv_attr *a = &n->attr.conv;
	struct qx_nd_deconv_desc d = {
		.n = x->dims[0], .c = x->dims[1], .h = x->dims[2], .w = x->dims[3],
		.oc = t->dims[1], .oh = t->dims[2], .ow = t->dims[3],
		.kh = a->kernel[0], .kw = a->kernel[1], .sh = a->stride[0], .sw = a->stride[1],
		.dh = a->dilation[0], .dw = a->dilation[1], .pt = a->pad[0], .pl = a->pad[1],
		.groups = a->group,
	};
	qx_nd_deconv_f32(&d, in[0], in[1], opt_in(n, in, 2), y);
}

/* The elementwise float ops: y = f(x) with the node's alpha / beta. Returns -1 for other ops. */
static int eval_unary(const struct qx_node *n, const float *x, float *y, int64_t total)
{
	static const struct { char is; enum qx_nd_unop op; } unary[QX_OP_COUNT] = {
		[QX_OP_RELU] = { 1, QX_ND_RELU },         [QX_OP_SIGMOID] = { 1, QX_ND_SIGMOID },
		[QX_OP_HARDSIGMOID] = { 1, QX_ND_HARDSIGMOID },
		[QX_OP_HARDSWISH] = { 1, QX_ND_HARDSWISH }, [QX_OP_TANH] = { 1, QX_ND_TANH },
		[QX_OP_LEAKYRELU] = { 1, QX_ND_LEAKYRELU }, [QX_OP_SQRT] = { 1, QX_ND_SQRT },
		[QX_OP_ERF] = { 1, QX_ND_ERF },
	};
	if ((unsigned)n->op >= QX_OP_COUNT || !unary[n->op].is)
		return -1;
	int has_alpha = n->op == QX_OP_HARDSIGMOID || n->op == QX_OP_LEAKYRELU;
	qx_nd_unary_f32(unary[n->op].op, has_alpha ? n->attr.act.alpha : 0.0f,
	                n->op == QX_OP_HARDSIGMOID ? n->attr.act.beta : 0.0f, x, y, total);
	return 0;
}

int qx_node_eval(const struct qx_graph *g, const struct qx_node *n, const void *const *in,
                 void *const *out, struct qx_error *err)
{
	const struct qx_tensor *x = tin(g, n, 0), *t = &g->tensors[n->out[0]];
	void *y = out[0];
	int64_t total = qx_tensor_numel(t);
	if (eval_unary(n, in[0], y, total) == 0)
		return 0;
	switch (n->op) {
	case QX_OP_CLIP: {
		float lo = n->act_min, hi = n->act_max;
		if (opt_in(n, in, 1))
			lo = *(const float *)in[1];
		if (opt_in(n, in, 2))
			hi = *(const float *)in[2];
		qx_nd_unary_f32(QX_ND_CLIP, lo, hi, in[0], y, total);
		return 0;
	}
	case QX_OP_ADD:
	case QX_OP_SUB:
	case QX_OP_MUL:
	case QX_OP_DIV:
	case QX_OP_POW:
	case QX_OP_PRELU:
		return eval_binary(g, n, in, y, err);
	case QX_OP_CONCAT:
		eval_concat(g, n, in, y);
		return 0;
	case QX_OP_SOFTMAX:
		eval_softmax(g, n, in[0], y);
		return 0;
	case QX_OP_BATCHNORM:
		eval_batchnorm(g, n, in, y);
		return 0;
	case QX_OP_GLOBALAVGPOOL:
	case QX_OP_GLOBALMAXPOOL: {
		int64_t planes = x->dims[0] * x->dims[1];
		int64_t inner = planes ? qx_tensor_numel(x) / planes : 0;
		if (n->op == QX_OP_GLOBALMAXPOOL)
			qx_nd_plane_max_f32(planes, inner, in[0], y);
		else
			qx_nd_plane_mean_f32(planes, inner, in[0], y);
		return 0;
	}
	case QX_OP_REDUCEMEAN: {
		int reduce[QX_MAX_DIMS] = { 0 };
		for (int i = 0; i < n->attr.axes.n; i++)
			reduce[n->attr.axes.v[i]] = 1;
		qx_nd_reduce_mean_f32(x->ndim, x->dims, reduce, in[0], y);
		return 0;
	}
	case QX_OP_FLATTEN:
	case QX_OP_RESHAPE:
	case QX_OP_IDENTITY:
	case QX_OP_DROPOUT:
	case QX_OP_SQUEEZE:
	case QX_OP_UNSQUEEZE:
		if (total && y != in[0])
			memmove(y, in[0], (size_t)total * qx_dtype_size(t->dtype));
		return 0;
	case QX_OP_TRANSPOSE:
		qx_nd_transpose(qx_dtype_size(t->dtype), x->ndim, x->dims, n->attr.axes.v, in[0], y);
		return 0;
	case QX_OP_SLICE:
		return eval_slice(g, n, in, y, err);
	case QX_OP_SPLIT:
		eval_split(g, n, in, out);
		return 0;
	case QX_OP_GATHER: {
		const struct qx_tensor *idx = tin(g, n, 1);
		int64_t outer, len, inner;
		around_axis(x, n->attr.axis, &outer, &len, &inner);
		qx_nd_gather(qx_dtype_size(t->dtype), outer, len, inner, in[1], qx_tensor_numel(idx),
		             in[0], y);
		return 0;
	}
	case QX_OP_PAD: {
		int64_t pads[2 * QX_MAX_DIMS];
		memcpy(pads, in[1], 2 * (size_t)x->ndim * sizeof *pads);
		float value = opt_in(n, in, 2) ? *(const float *)in[2] : 0.0f;
		qx_nd_pad_f32((enum qx_nd_pad_mode)n->attr.pad_mode, x->ndim, x->dims, pads, value,
		              in[0], y);
		return 0;
	}
	case QX_OP_RESIZE: {
		const struct qx_resize_attr *a = &n->attr.resize;
		qx_nd_resize_f32(a->linear, (enum qx_nd_coord)a->coord, (enum qx_nd_nearest)a->nearest,
		                 x->ndim, x->dims, t->dims, a->scale, in[0], y);
		return 0;
	}
	case QX_OP_CONVTRANSPOSE:
		eval_deconv(g, n, in, y);
		return 0;
	case QX_OP_LAYERNORM:
		eval_layernorm(g, n, in, out);
		return 0;
	case QX_OP_SHAPE:
		for (int64_t i = 0; i < total; i++)
			((int64_t *)y)[i] = x->dims[n->attr.shape.start + i];
		return 0;
	case QX_OP_CAST:
		eval_cast(x, in[0], t, y);
		return 0;
	case QX_OP_RANGE:
		eval_range(t, in, y);
		return 0;
	case QX_OP_CONSTANTOFSHAPE:
		for (int64_t i = 0; i < total; i++) {
			if (t->dtype == QX_DT_I64)
				((int64_t *)y)[i] = n->attr.fill.i;
			else
				((float *)y)[i] = n->attr.fill.f;
		}
		return 0;
	default:
		return qx_fail(err, QX_EINTERNAL, "%s: node '%s' (%s): no generic implementation",
		               g->path, n->name, qx_op_name(n->op));
	}
}
