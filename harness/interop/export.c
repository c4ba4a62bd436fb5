/* qx-bench export: a run's plan written as a standard ONNX QDQ model (opset >= 13), and, with
 * --dump, the preprocessed images and qx-bench's own int8 logits for them, so that another
 * runtime (ONNX Runtime: tools/ort_run.mjs, tests/ort_export.sh) can be compared with the int8
 * executor value by value. The mapping is in docs/export.md. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "onnx/onnx.pb-c.h"

#include "data/dataset.h"
#include "exec/exec_q8.h"
#include "kernels.h"
#include "model/graph.h"
#include "nd_ops.h"
#include "plugin/host.h"
#include "plan/plan_file.h"
#include "plan/validate.h"
#include "ops/node_caps.h"
#include "util/exit_status.h"
#include "suite/suite.h"

static const char usage[] =
	"usage: qx-bench export RUN [--plugin LABEL] -o OUT.onnx [--dump N DIR]\n"
	"       qx-bench export PLAN.json MODEL.onnx -o OUT.onnx\n"
	"\n"
	"Writes a plan as a standard ONNX QDQ model (opset 13 or the model's, if higher) that\n"
	"other runtimes (ONNX Runtime) run: QuantizeLinear / DequantizeLinear pairs on every\n"
	"activation the plan quantizes (uint8, per tensor, with a Clip between two pairs where the\n"
	"plan's range is narrower than 0..255, e.g. reduce_range's 0..127), int8 weight\n"
	"initializers with DequantizeLinear (per-channel axis where the plan has one), int32 biases\n"
	"at input_scale * weight_scale; float nodes stay float. Plans with dynamic nodes are not\n"
	"exported (docs/export.md).\n"
	"\n"
	"  RUN                a results folder or its results.json: the plan of --plugin LABEL\n"
	"                     (needed when the run has more than one plugin) and the run's model\n"
	"  -p, --plugin LABEL the plugin row whose plan to export\n"
	"  -o, --output FILE  the ONNX file to write\n"
	"  -d, --dump N DIR   also write the first N evaluation images of the run's suite,\n"
	"                     preprocessed (DIR/images.f32, fp32 NCHW), their labels\n"
	"                     (DIR/labels.u8), qx-bench's int8 logits for them (DIR/logits.f32,\n"
	"                     scalar kernels) and DIR/meta.json (counts and shapes)\n"
	"  -h, --help         this text\n"
	"\n"
	"exit status: 0 written, 2 bad command line or input (one line on stderr naming the file),\n"
	"3 internal error (cannot write).\n";

/* ---- building the protobuf ---- */

struct ob {
	void **mem;                     /* every allocation, freed at the end */
	size_t n_mem, cap_mem;
	Onnx__NodeProto **nodes;
	size_t n_nodes, cap_nodes;
	Onnx__TensorProto **inits;
	size_t n_inits, cap_inits;
	int oom;
};

static void *keep(struct ob *b, void *p)
{
	if (!p) {
		b->oom = 1;
		return NULL;
	}
	if (b->n_mem == b->cap_mem) {
		size_t cap = b->cap_mem ? 2 * b->cap_mem : 256;
		void **m = realloc(b->mem, cap * sizeof *m);
		if (!m) {
			free(p);
			b->oom = 1;
			return NULL;
		}
		b->mem = m;
		b->cap_mem = cap;
	}
	b->mem[b->n_mem++] = p;
	return p;
}

static void *zalloc(struct ob *b, size_t size)
{
	return keep(b, calloc(1, size ? size : 1));
}

static char *fmt(struct ob *b, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(struct ob *b, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	char *s = NULL;
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return keep(b, s);
}

static int push(struct ob *b, void ***arr, size_t *n, size_t *cap, void *item)
{
	if (!item)
		return b->oom = 1, -1;
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		void **a = realloc(*arr, c * sizeof *a);
		if (!a)
			return b->oom = 1, -1;
		*arr = a;
		*cap = c;
	}
	(*arr)[(*n)++] = item;
	return 0;
}

static Onnx__NodeProto *node(struct ob *b, const char *op, const char *name, int n_in,
                             const char *const *in, int n_out, const char *const *out)
{
	Onnx__NodeProto *nd = zalloc(b, sizeof *nd);
	char **ins = zalloc(b, sizeof(char *) * (size_t)(n_in + 1));
	char **outs = zalloc(b, sizeof(char *) * (size_t)(n_out + 1));
	if (!nd || !ins || !outs)
		return NULL;
	onnx__node_proto__init(nd);
	for (int j = 0; j < n_in; j++)
		ins[j] = (char *)in[j];
	for (int j = 0; j < n_out; j++)
		outs[j] = (char *)out[j];
	nd->n_input = (size_t)n_in;
	nd->input = ins;
	nd->n_output = (size_t)n_out;
	nd->output = outs;
	nd->name = (char *)name;
	nd->op_type = (char *)op;
	nd->domain = (char *)"";
	if (push(b, (void ***)&b->nodes, &b->n_nodes, &b->cap_nodes, nd))
		return NULL;
	return nd;
}

static Onnx__AttributeProto *attr(struct ob *b, Onnx__NodeProto *nd, const char *name,
                                  Onnx__AttributeProto__AttributeType type)
{
	if (!nd)
		return NULL;
	Onnx__AttributeProto *a = zalloc(b, sizeof *a);
	Onnx__AttributeProto **arr = zalloc(b, sizeof *arr * (nd->n_attribute + 1));
	if (!a || !arr)
		return NULL;
	onnx__attribute_proto__init(a);
	a->name = (char *)name;
	a->has_type = 1;
	a->type = type;
	for (size_t i = 0; i < nd->n_attribute; i++)
		arr[i] = nd->attribute[i];
	arr[nd->n_attribute++] = a;
	nd->attribute = arr;
	return a;
}

static void attr_i(struct ob *b, Onnx__NodeProto *nd, const char *name, int64_t v)
{
	Onnx__AttributeProto *a = attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	if (a) {
		a->has_i = 1;
		a->i = v;
	}
}

static void attr_f(struct ob *b, Onnx__NodeProto *nd, const char *name, float v)
{
	Onnx__AttributeProto *a = attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	if (a) {
		a->has_f = 1;
		a->f = v;
	}
}

static void attr_s(struct ob *b, Onnx__NodeProto *nd, const char *name, const char *v)
{
	Onnx__AttributeProto *a = attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	if (a) {
		a->has_s = 1;
		a->s.len = strlen(v);
		a->s.data = (uint8_t *)v;
	}
}

static void attr_ints(struct ob *b, Onnx__NodeProto *nd, const char *name, int n, const int *v)
{
	Onnx__AttributeProto *a = attr(b, nd, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	int64_t *x = zalloc(b, sizeof *x * (size_t)n);
	if (!a || !x)
		return;
	for (int i = 0; i < n; i++)
		x[i] = v[i];
	a->n_ints = (size_t)n;
	a->ints = x;
}

/* An initializer: data (elem_size bytes each, little-endian as the host is) is copied. */
static void init(struct ob *b, const char *name, int32_t dtype, int ndim, const int64_t *dims,
                 const void *data, size_t elem_size)
{
	Onnx__TensorProto *t = zalloc(b, sizeof *t);
	int64_t *d = zalloc(b, sizeof *d * (size_t)(ndim + 1));
	size_t n = 1;
	for (int i = 0; i < ndim; i++)
		n *= (size_t)dims[i];
	void *copy = zalloc(b, n * elem_size);
	if (!t || !d || !copy)
		return;
	onnx__tensor_proto__init(t);
	if (ndim > 0) /* a scalar has no dims (NULL) */
		memcpy(d, dims, sizeof *d * (size_t)ndim);
	memcpy(copy, data, n * elem_size);
	t->n_dims = (size_t)ndim;
	t->dims = d;
	t->has_data_type = 1;
	t->data_type = dtype;
	t->name = (char *)name;
	t->has_raw_data = 1;
	t->raw_data.len = n * elem_size;
	t->raw_data.data = copy;
	push(b, (void ***)&b->inits, &b->n_inits, &b->cap_inits, t);
}

static const char *scalar_f(struct ob *b, const char *name, float v)
{
	init(b, name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 0, NULL, &v, 4);
	return name;
}

/* ---- the plan ---- */

struct exporter {
	const struct qx_graph *g;
	const struct qx_quant_plan *plan;
	struct ob b;
	const char **name_q;            /* per tensor: the name static readers read (dequantized) */
	char *const_done;               /* per tensor: float initializer written */
	const char *path;               /* the output, for messages */
};

static int is_act(const struct qx_graph *g, int t)
{
	return t >= 0 && !g->tensors[t].is_const;
}

/* Q -> DQ of tensor t (its float value is named src), and when the plan's range is narrower
 * than uint8's, Clip to that range in float (exact: it clips dequantized values at dequantized
 * bounds) and Q -> DQ again, so that a runtime's fused int8 node sees the plan's range. The
 * last output is named dst. */
static void emit_qdq(struct exporter *x, int t, const char *src, const char *dst)
{
	struct ob *b = &x->b;
	const struct qx_tensor_qparams *q = &x->plan->tensor[t];
	const char *tn = x->g->tensors[t].name;
	const char *sc = scalar_f(b, fmt(b, "%s_scale", tn), q->scales[0]);
	uint8_t zp = (uint8_t)q->zero_points[0];
	const char *zn = fmt(b, "%s_zero_point", tn);
	init(b, zn, ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 0, NULL, &zp, 1);
	int narrow = q->qmin > 0 || q->qmax < 255;
	const char *qn = fmt(b, "%s_quantized", tn);
	const char *dn = narrow ? fmt(b, "%s_dequantized", tn) : dst;
	node(b, "QuantizeLinear", fmt(b, "%s_QuantizeLinear", tn), 3, (const char *[]){ src, sc, zn },
	     1, &qn);
	node(b, "DequantizeLinear", fmt(b, "%s_DequantizeLinear", tn), 3,
	     (const char *[]){ qn, sc, zn }, 1, &dn);
	if (!narrow)
		return;
	/* The same float expressions DequantizeLinear evaluates: (float)(q - zp) * scale. */
	const char *lo = scalar_f(b, fmt(b, "%s_range_min", tn),
	                          (float)(q->qmin - q->zero_points[0]) * q->scales[0]);
	const char *hi = scalar_f(b, fmt(b, "%s_range_max", tn),
	                          (float)(q->qmax - q->zero_points[0]) * q->scales[0]);
	const char *cn = fmt(b, "%s_range", tn), *qn2 = fmt(b, "%s_range_quantized", tn);
	node(b, "Clip", fmt(b, "%s_range_Clip", tn), 3, (const char *[]){ dn, lo, hi }, 1, &cn);
	node(b, "QuantizeLinear", fmt(b, "%s_range_QuantizeLinear", tn), 3,
	     (const char *[]){ cn, sc, zn }, 1, &qn2);
	node(b, "DequantizeLinear", fmt(b, "%s_range_DequantizeLinear", tn), 3,
	     (const char *[]){ qn2, sc, zn }, 1, &dst);
}

static const char *float_const(struct exporter *x, int t)
{
	const struct qx_tensor *gt = &x->g->tensors[t];
	if (!x->const_done[t]) {
		x->const_done[t] = 1;
		if (gt->dtype == QX_DT_I64)
			init(&x->b, gt->name, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, gt->ndim, gt->dims,
			     gt->i64, 8);
		else
			init(&x->b, gt->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, gt->ndim, gt->dims,
			     gt->data, 4);
	}
	return gt->name;
}

/* int8 weight (w = clamp(rne(w / s), qmin, qmax), harness/exec/q8_weights.c's arithmetic)
 * and int32 bias (rne(b / (in_scale * w_scale[c])) in double, saturated) of static node n,
 * each with its DequantizeLinear; *w_out / *b_out get the dequantized names. */
static int emit_weights(struct exporter *x, int n, int weight, int axis, int bias,
                        const char **w_out, const char **b_out, struct qx_error *err)
{
	struct ob *b = &x->b;
	const struct qx_graph *g = x->g;
	const struct qx_node *nd = &g->nodes[n];
	const struct qx_tensor *wt = &g->tensors[weight];
	const struct qx_tensor_qparams *wq = &x->plan->tensor[weight];
	int64_t numel = qx_tensor_numel(wt), nch = wt->dims[axis];
	int64_t inner = 1;
	for (int d = axis + 1; d < wt->ndim; d++)
		inner *= wt->dims[d];
	int8_t *wv = zalloc(b, (size_t)numel);
	float *ws = zalloc(b, sizeof(float) * (size_t)nch);
	int8_t *wz = zalloc(b, (size_t)nch);
	if (!wv || !ws || !wz)
		return qx_fail_nomem(err, "exporting the weights");
	for (int64_t c = 0; c < nch; c++)
		ws[c] = wq->scales[wq->n_channels > 1 ? c : 0];
	if (wq->n_channels > 1 && wq->axis != axis)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: weight '%s' of node '%s' is per channel "
		               "along axis %d (expected the output-channel axis %d)", x->path, wt->name,
		               nd->name, wq->axis, axis);
	for (int64_t i = 0; i < numel; i++) {
		float s = ws[(i / inner) % nch];
		float q = nearbyintf(wt->data[i] / s);
		if (!(q >= (float)wq->qmin))
			q = (float)wq->qmin;
		if (q > (float)wq->qmax)
			q = (float)wq->qmax;
		/* the plugin's own codes (ABI 1.3), as the int8 kernels use them */
		wv[i] = wq->codes ? (int8_t)wq->codes[i] : (int8_t)q;
	}
	const char *wn = fmt(b, "%s_quantized", wt->name), *wsn = fmt(b, "%s_scale", wt->name);
	const char *wzn = fmt(b, "%s_zero_point", wt->name);
	const char *wdn = fmt(b, "%s_dequantized", wt->name);
	if (!x->const_done[weight]) { /* a weight two static nodes share is written once */
		x->const_done[weight] = 2;
		int per_ch = wq->n_channels > 1;
		init(b, wn, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, wt->ndim, wt->dims, wv, 1);
		init(b, wsn, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, per_ch, &nch, ws, 4);
		init(b, wzn, ONNX__TENSOR_PROTO__DATA_TYPE__INT8, per_ch, &nch, wz, 1);
		Onnx__NodeProto *dq = node(b, "DequantizeLinear", fmt(b, "%s_DequantizeLinear", wt->name),
		                           3, (const char *[]){ wn, wsn, wzn }, 1, &wdn);
		if (per_ch)
			attr_i(b, dq, "axis", axis);
	}
	*w_out = wdn;
	*b_out = NULL;
	if (bias < 0)
		return 0;
	const struct qx_tensor *bt = &g->tensors[bias];
	int in = nd->in[0];
	float in_scale = x->plan->tensor[in].scales[0];
	int32_t *bv = zalloc(b, sizeof(int32_t) * (size_t)nch);
	float *bs = zalloc(b, sizeof(float) * (size_t)nch);
	int32_t *bz = zalloc(b, sizeof(int32_t) * (size_t)nch);
	if (!bv || !bs || !bz)
		return qx_fail_nomem(err, "exporting a bias");
	for (int64_t c = 0; c < nch; c++) {
		double q = nearbyint((double)bt->data[c] / ((double)in_scale * (double)ws[c]));
		bv[c] = q > INT32_MAX ? INT32_MAX : !(q >= INT32_MIN) ? INT32_MIN : (int32_t)q;
		if (x->plan->tensor[bias].codes) /* the plugin's own int32 codes */
			bv[c] = x->plan->tensor[bias].codes[c];
		bs[c] = in_scale * ws[c];
	}
	const char *bn = fmt(b, "%s_%s_quantized", bt->name, nd->name);
	const char *bsn = fmt(b, "%s_%s_scale", bt->name, nd->name);
	const char *bzn = fmt(b, "%s_%s_zero_point", bt->name, nd->name);
	const char *bdn = fmt(b, "%s_%s_dequantized", bt->name, nd->name);
	init(b, bn, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, &nch, bv, 4);
	init(b, bsn, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, &nch, bs, 4);
	init(b, bzn, ONNX__TENSOR_PROTO__DATA_TYPE__INT32, 1, &nch, bz, 4);
	Onnx__NodeProto *dq = node(b, "DequantizeLinear", fmt(b, "%s_DequantizeLinear", bn), 3,
	                           (const char *[]){ bn, bsn, bzn }, 1, &bdn);
	attr_i(b, dq, "axis", 0);
	*b_out = bdn;
	return 0;
}

/* The op's ONNX attributes; QX_EUNSUPPORTED for an op the exporter does not write. */
static int emit_attrs(struct exporter *x, const struct qx_node *nd, Onnx__NodeProto *on,
                      struct qx_error *err)
{
	struct ob *b = &x->b;
	switch (nd->op) {
	case QX_OP_CONV: {
		const struct qx_conv_attr *c = &nd->attr.conv;
		attr_ints(b, on, "kernel_shape", 2, c->kernel);
		attr_ints(b, on, "strides", 2, c->stride);
		attr_ints(b, on, "dilations", 2, c->dilation);
		attr_ints(b, on, "pads", 4, (const int[]){ c->pad[0], c->pad[1], c->pad[2], c->pad[3] });
		attr_i(b, on, "group", c->group);
		return 0;
	}
	case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL: {
		const struct qx_pool_attr *p = &nd->attr.pool;
		attr_ints(b, on, "kernel_shape", 2, p->kernel);
		attr_ints(b, on, "strides", 2, p->stride);
		attr_ints(b, on, "pads", 4, (const int[]){ p->pad[0], p->pad[1], p->pad[2], p->pad[3] });
		attr_i(b, on, "ceil_mode", p->ceil_mode);
		if (nd->op == QX_OP_MAXPOOL)
			attr_ints(b, on, "dilations", 2, p->dilation);
		else if (p->dilation[0] != 1 || p->dilation[1] != 1)
			break;
		else
			attr_i(b, on, "count_include_pad", p->count_include_pad);
		return 0;
	}
	case QX_OP_GEMM:
		attr_f(b, on, "alpha", nd->attr.gemm.alpha);
		attr_f(b, on, "beta", nd->attr.gemm.beta);
		attr_i(b, on, "transA", nd->attr.gemm.trans_a);
		attr_i(b, on, "transB", nd->attr.gemm.trans_b);
		return 0;
	case QX_OP_FLATTEN:
	case QX_OP_CONCAT:
	case QX_OP_SOFTMAX:
		attr_i(b, on, "axis", nd->attr.axis);
		return 0;
	case QX_OP_RESHAPE:
		if (nd->attr.allowzero)
			break;
		return 0;
	case QX_OP_PAD: {
		/* The importer turned Pad < 11's attributes into the pads and value inputs, which is
		 * the form of opset 13 (and 18's optional axes input stays an input). */
		static const char *const modes[] = {
			[QX_ND_PAD_CONSTANT] = "constant", [QX_ND_PAD_REFLECT] = "reflect",
			[QX_ND_PAD_EDGE] = "edge",
		};
		if (nd->attr.pad_mode < 0 || nd->attr.pad_mode > QX_ND_PAD_EDGE)
			break;
		attr_s(b, on, "mode", modes[nd->attr.pad_mode]);
		return 0;
	}
	case QX_OP_HARDSIGMOID:
		attr_f(b, on, "alpha", nd->attr.act.alpha);
		attr_f(b, on, "beta", nd->attr.act.beta);
		return 0;
	case QX_OP_LEAKYRELU:
		attr_f(b, on, "alpha", nd->attr.act.alpha);
		return 0;
	case QX_OP_BATCHNORM:
		attr_f(b, on, "epsilon", nd->attr.epsilon);
		return 0;
	case QX_OP_HARDSWISH: /* opset 14: only in models that declare it */
	case QX_OP_PRELU:
	case QX_OP_MATMUL: case QX_OP_RELU: case QX_OP_CLIP: case QX_OP_GLOBALAVGPOOL:
	case QX_OP_GLOBALMAXPOOL: case QX_OP_ADD: case QX_OP_MUL: case QX_OP_SUB: case QX_OP_DIV:
	case QX_OP_IDENTITY: case QX_OP_SIGMOID: case QX_OP_TANH: case QX_OP_SQRT: case QX_OP_ERF:
		return 0;
	default:
		break;
	}
	return qx_fail(err, QX_EUNSUPPORTED, "%s: node '%s' (%s) is not exported (expected Conv, "
	               "Gemm, MatMul, Relu, Clip, MaxPool, AveragePool, GlobalAveragePool, "
	               "GlobalMaxPool, Flatten, Reshape, Concat, Pad, Softmax, Add, Mul, Sub, Div, "
	               "Identity, Sigmoid, HardSigmoid, HardSwish, LeakyRelu, PRelu, Tanh, Sqrt, "
	               "Erf, BatchNormalization; docs/export.md)", x->g->path,
	               nd->name, qx_op_name(nd->op));
}

static Onnx__ValueInfoProto *value_info(struct ob *b, const struct qx_tensor *t, int with_shape)
{
	Onnx__ValueInfoProto *v = zalloc(b, sizeof *v);
	Onnx__TypeProto *tp = zalloc(b, sizeof *tp);
	Onnx__TypeProto__Tensor *tt = zalloc(b, sizeof *tt);
	Onnx__TensorShapeProto *sh = zalloc(b, sizeof *sh);
	Onnx__TensorShapeProto__Dimension **dims = zalloc(b, sizeof *dims * QX_MAX_DIMS);
	if (!v || !tp || !tt || !sh || !dims)
		return NULL;
	onnx__value_info_proto__init(v);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	onnx__tensor_shape_proto__init(sh);
	v->name = t->name;
	v->type = tp;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	tt->has_elem_type = 1;
	tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
	if (!with_shape)
		return v;
	tt->shape = sh;
	for (int d = 0; d < t->ndim; d++) {
		Onnx__TensorShapeProto__Dimension *dm = zalloc(b, sizeof *dm);
		if (!dm)
			return NULL;
		onnx__tensor_shape_proto__dimension__init(dm);
		if (d == 0) {
			dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			dm->dim_param = (char *)"batch";
		} else {
			dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			dm->dim_value = t->dims[d];
		}
		dims[sh->n_dim++] = dm;
	}
	sh->dim = dims;
	return v;
}

static int export_graph(struct exporter *x, const char *out_path, struct qx_error *err)
{
	const struct qx_graph *g = x->g;
	const struct qx_quant_plan *plan = x->plan;
	struct ob *b = &x->b;
	if (g->n_shape_nodes > 0)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: the model computes shapes from its input "
		               "(%d shape nodes; expected none: docs/export.md)", g->path,
		               g->n_shape_nodes);
	for (int n = 0; n < g->n_nodes; n++)
		if (plan->node[n].mode == QX_MODE_DYNAMIC)
			return qx_fail(err, QX_EUNSUPPORTED, "%s: node '%s' is dynamic in this plan, and "
			               "dynamic nodes are not exported (expected a plan with static and "
			               "float nodes only: docs/export.md)", x->path, g->nodes[n].name);
	x->name_q = calloc((size_t)g->n_tensors, sizeof *x->name_q);
	x->const_done = calloc((size_t)g->n_tensors, 1);
	if (!x->name_q || !x->const_done)
		return qx_fail_nomem(err, "exporting");
	/* A quantized activation written in float (graph input, float node): Q/DQ after it for
	 * its static readers; float readers keep the float value, as in the int8 executor. */
	for (int i = 0; i < g->n_inputs; i++) {
		int t = g->inputs[i];
		if (plan->tensor[t].dtype == QX_PLAN_UINT8) {
			x->name_q[t] = fmt(b, "%s_dq", g->tensors[t].name);
			emit_qdq(x, t, g->tensors[t].name, x->name_q[t]);
		}
	}
	for (int n = 0; n < g->n_nodes && !b->oom; n++) {
		const struct qx_node *nd = &g->nodes[n];
		int st = plan->node[n].mode == QX_MODE_STATIC;
		struct qx_node_caps caps;
		qx_node_caps(g, n, &caps);
		int n_in = nd->n_in;
		/* a Concat may read any number (densenet121's read up to 33) */
		const char **in = zalloc(b, sizeof *in * (size_t)(n_in + 1));
		if (!in)
			return qx_fail_nomem(err, "exporting");
		const char *wq = NULL, *bq = NULL;
		if (st && caps.weight >= 0) {
			int rc = emit_weights(x, n, caps.weight, caps.weight_axis, caps.bias, &wq, &bq, err);
			if (rc)
				return rc;
		}
		for (int j = 0; j < n_in; j++) {
			int t = nd->in[j];
			if (t < 0)
				in[j] = "";
			else if (st && t == caps.weight)
				in[j] = wq;
			else if (st && t == caps.bias)
				in[j] = bq;
			else if (g->tensors[t].is_const)
				in[j] = float_const(x, t);
			else if (st && x->name_q[t])
				in[j] = x->name_q[t];
			else if (st)
				return qx_fail(err, QX_EINTERNAL, "%s: static node '%s' reads '%s', which the "
				               "plan does not quantize", x->path, nd->name, g->tensors[t].name);
			else
				in[j] = g->tensors[t].name;
		}
		int out = nd->out[0];
		int q_out = st || (is_act(g, out) && plan->tensor[out].dtype == QX_PLAN_UINT8);
		/* A static node's output: float value first, the original name after Q/DQ, so every
		 * reader (and the graph output) reads the int8 value, as in the int8 executor. */
		const char *oname = g->tensors[out].name;
		const char *fname = st ? fmt(b, "%s_float", oname) : oname;
		int clamp = (isfinite(nd->act_min) || isfinite(nd->act_max)) &&
		            nd->op != QX_OP_RELU && nd->op != QX_OP_CLIP;
		const char *pre = clamp ? fmt(b, "%s_preact", oname) : fname;
		Onnx__NodeProto *on;
		int computed_bounds = 0; /* Clip bounds that are not constants stay inputs */
		for (int j = 1; nd->op == QX_OP_CLIP && j < n_in; j++)
			computed_bounds |= nd->in[j] >= 0;
		if (nd->op == QX_OP_CLIP && !computed_bounds) {
			const char *lo = isfinite(nd->act_min)
			               ? scalar_f(b, fmt(b, "%s_min", nd->name), nd->act_min) : "";
			const char *hi = isfinite(nd->act_max)
			               ? scalar_f(b, fmt(b, "%s_max", nd->name), nd->act_max) : "";
			on = node(b, "Clip", nd->name, 3, (const char *[]){ in[0], lo, hi }, 1, &pre);
		} else {
			const char *op = nd->op == QX_OP_DROPOUT ? "Identity" : qx_op_name(nd->op);
			if (nd->n_out != 1)
				return qx_fail(err, QX_EUNSUPPORTED, "%s: node '%s' (%s) has %d outputs "
				               "(expected 1)", g->path, nd->name, op, nd->n_out);
			on = node(b, op, nd->name, nd->op == QX_OP_DROPOUT ? 1 : n_in, in, 1, &pre);
			int rc = nd->op == QX_OP_DROPOUT ? 0 : emit_attrs(x, nd, on, err);
			if (rc)
				return rc;
		}
		if (clamp && nd->act_min == 0.0f && isinf(nd->act_max) && nd->act_max > 0)
			node(b, "Relu", fmt(b, "%s_fused_Relu", nd->name), 1, &pre, 1, &fname);
		else if (clamp) {
			const char *lo = isfinite(nd->act_min)
			               ? scalar_f(b, fmt(b, "%s_fused_min", nd->name), nd->act_min) : "";
			const char *hi = isfinite(nd->act_max)
			               ? scalar_f(b, fmt(b, "%s_fused_max", nd->name), nd->act_max) : "";
			node(b, "Clip", fmt(b, "%s_fused_Clip", nd->name), 3,
			     (const char *[]){ pre, lo, hi }, 1, &fname);
		}
		if (st) {
			emit_qdq(x, out, fname, oname);
			x->name_q[out] = oname;
		} else if (q_out) {
			x->name_q[out] = fmt(b, "%s_dq", oname);
			emit_qdq(x, out, oname, x->name_q[out]);
		}
	}
	if (b->oom)
		return qx_fail_nomem(err, "exporting");

	Onnx__GraphProto gp = ONNX__GRAPH_PROTO__INIT;
	Onnx__ModelProto mp = ONNX__MODEL_PROTO__INIT;
	Onnx__OperatorSetIdProto ops = ONNX__OPERATOR_SET_ID_PROTO__INIT;
	Onnx__OperatorSetIdProto *opsp = &ops;
	Onnx__ValueInfoProto **gin = zalloc(b, sizeof *gin * (size_t)(g->n_inputs + 1));
	Onnx__ValueInfoProto **gout = zalloc(b, sizeof *gout * (size_t)(g->n_outputs + 1));
	if (!gin || !gout)
		return qx_fail_nomem(err, "exporting");
	for (int i = 0; i < g->n_inputs; i++)
		gin[i] = value_info(b, &g->tensors[g->inputs[i]], 1);
	for (int i = 0; i < g->n_outputs; i++)
		gout[i] = value_info(b, &g->tensors[g->outputs[i]], 0);
	if (b->oom)
		return qx_fail_nomem(err, "exporting");
	gp.name = (char *)"qx-bench-qdq";
	gp.n_node = b->n_nodes;
	gp.node = b->nodes;
	gp.n_initializer = b->n_inits;
	gp.initializer = b->inits;
	gp.n_input = (size_t)g->n_inputs;
	gp.input = gin;
	gp.n_output = (size_t)g->n_outputs;
	gp.output = gout;
	ops.domain = (char *)"";
	ops.has_version = 1;
	ops.version = g->opset > 13 ? g->opset : 13;
	mp.has_ir_version = 1;
	mp.ir_version = 7;
	mp.n_opset_import = 1;
	mp.opset_import = &opsp;
	mp.producer_name = (char *)"qx-bench";
	mp.producer_version = (char *)QX_VERSION;
	mp.graph = &gp;
	size_t len = onnx__model_proto__get_packed_size(&mp);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return qx_fail_nomem(err, "serializing the ONNX model");
	onnx__model_proto__pack(&mp, buf);
	FILE *f = fopen(out_path, "wb");
	int bad = !f || fwrite(buf, 1, len, f) != len;
	bad |= f && fclose(f);
	free(buf);
	if (bad)
		return qx_fail(err, QX_EIO, "%s: cannot write: %s", out_path, strerror(errno));
	return 0;
}

/* ---- RUN: results.json -> plan path, model, suite ---- */

struct run_ref {
	char *plan, *model, *suite;
};

static char *results_json(const char *run)
{
	struct stat st;
	char *p = NULL;
	if (stat(run, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t n = strlen(run);
		while (n > 1 && run[n - 1] == '/')
			n--;
		if (asprintf(&p, "%.*s/results.json", (int)n, run) < 0)
			p = NULL;
	} else {
		p = strdup(run);
	}
	return p;
}

static int read_run(const char *run, const char *label, struct run_ref *r, struct qx_error *err)
{
	char *rp = results_json(run);
	if (!rp)
		return qx_fail_nomem(err, "reading the run");
	json_error_t je;
	json_t *root = json_load_file(rp, 0, &je);
	int rc = 0;
	if (!root) {
		rc = qx_fail(err, QX_EINVAL, "%s: %s (expected a run folder or its results.json)",
		             rp, je.text);
		free(rp);
		return rc;
	}
	const json_t *suite = json_object_get(root, "suite"), *plugins = json_object_get(root, "plugins");
	const char *model = json_string_value(json_object_get(suite, "model"));
	const char *spath = json_string_value(json_object_get(suite, "path"));
	const json_t *pick = NULL;
	char labels[1024] = "";
	size_t ll = 0;
	for (size_t i = 0; i < json_array_size(plugins); i++) {
		const json_t *p = json_array_get(plugins, i);
		const char *l = json_string_value(json_object_get(p, "label"));
		if (!l || !json_string_value(json_object_get(p, "plan")))
			continue;
		if (ll < sizeof labels)
			ll += (size_t)snprintf(labels + ll, sizeof labels - ll, "%s%s", ll ? ", " : "", l);
		if (label ? !strcmp(l, label) : !pick)
			pick = p;
		else if (!label)
			pick = (const json_t *)1; /* more than one: LABEL is needed */
	}
	if (!model || !spath)
		rc = qx_fail(err, QX_EINVAL, "%s: no suite.model or suite.path (expected a qx-bench "
		             "results.json)", rp);
	else if (!pick)
		rc = qx_fail(err, QX_EINVAL, "%s: no plugin row '%s' with a plan (expected one of: %s)",
		             rp, label ? label : "", labels[0] ? labels : "none");
	else if (pick == (const json_t *)1)
		rc = qx_fail(err, QX_EINVAL, "%s: the run has several plans (expected --plugin LABEL, "
		             "one of: %s)", rp, labels);
	if (!rc) {
		r->plan = strdup(json_string_value(json_object_get(pick, "plan")));
		r->model = strdup(model);
		r->suite = strdup(spath);
		if (!r->plan || !r->model || !r->suite)
			rc = qx_fail_nomem(err, "reading the run");
	}
	json_decref(root);
	free(rp);
	return rc;
}

/* ---- --dump ---- */

static int write_file(const char *dir, const char *name, const void *data, size_t len,
                      struct qx_error *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	int bad = !f || fwrite(data, 1, len, f) != len;
	bad |= f && fclose(f);
	if (bad)
		return qx_fail(err, QX_EIO, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

static int dump(struct qx_graph *g, const struct qx_quant_plan *plan, const char *suite_path,
                int64_t n, const char *dir, struct qx_error *err)
{
	struct qx_suite suite;
	struct qx_dataset ds = { 0 };
	int rc = qx_suite_load(suite_path, &suite, err);
	if (rc)
		return rc;
	if (!(rc = qx_suite_load_dataset(&suite, &ds, err)) && g->n_inputs != 1)
		rc = qx_fail(err, QX_EUNSUPPORTED, "%s: %d graph inputs (expected 1 for --dump)",
		             g->path, g->n_inputs);
	if (rc) {
		qx_suite_free(&suite);
		qx_dataset_free(&ds);
		return rc;
	}
	if (n > ds.count)
		n = ds.count;
	int64_t img = (int64_t)ds.c * ds.h * ds.w;
	float *images = malloc(sizeof(float) * (size_t)(n * img) + 1);
	struct qx_exec_q8 *e = NULL;
	int64_t n_cls = 0;
	float *logits = NULL;
	if (!images)
		rc = qx_fail_nomem(err, "--dump images");
	if (!rc) {
		qx_dataset_preprocess(&ds, &suite.preprocess, 0, n, images);
		rc = qx_exec_q8_create(g, plan, 1, qx_kernels_get(QX_KSET_SCALAR), &e, err);
	}
	if (!rc) {
		const struct qx_graph *one = qx_exec_q8_graph(e); /* its shapes at batch 1 */
		n_cls = qx_tensor_numel(&one->tensors[one->outputs[0]]);
		logits = malloc(sizeof(float) * (size_t)(n * n_cls) + 1);
		if (!logits)
			rc = qx_fail_nomem(err, "--dump logits");
	}
	for (int64_t i = 0; !rc && i < n; i++) {
		const float *in = images + i * img;
		rc = qx_exec_q8_run(e, &in, err);
		if (!rc)
			memcpy(logits + i * n_cls, qx_exec_q8_output(e, 0), sizeof(float) * (size_t)n_cls);
	}
	if (!rc && mkdir(dir, 0777) && errno != EEXIST)
		rc = qx_fail(err, QX_EIO, "%s: cannot create: %s", dir, strerror(errno));
	if (!rc)
		rc = write_file(dir, "images.f32", images, sizeof(float) * (size_t)(n * img), err);
	if (!rc)
		rc = write_file(dir, "logits.f32", logits, sizeof(float) * (size_t)(n * n_cls), err);
	if (!rc)
		rc = write_file(dir, "labels.u8", ds.labels, (size_t)n, err);
	if (!rc) {
		char meta[512];
		int len = snprintf(meta, sizeof meta, "{\"count\": %lld, \"shape\": [%d, %d, %d], "
		                   "\"classes\": %lld, \"input\": \"%s\", \"output\": \"%s\"}\n",
		                   (long long)n, ds.c, ds.h, ds.w, (long long)n_cls,
		                   g->tensors[g->inputs[0]].name, g->tensors[g->outputs[0]].name);
		rc = write_file(dir, "meta.json", meta, (size_t)len, err);
	}
	qx_exec_q8_free(e);
	free(images);
	free(logits);
	qx_dataset_free(&ds);
	qx_suite_free(&suite);
	return rc;
}

int qx_export_main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "plugin", required_argument, NULL, 'p' },
		{ "output", required_argument, NULL, 'o' },
		{ "dump", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *label = NULL, *out = NULL, *dump_dir = NULL;
	int64_t dump_n = 0;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "p:o:d:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': label = optarg; break;
		case 'o': out = optarg; break;
		case 'd': {
			char *end;
			long long v = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v <= 0 || optind >= argc) {
				fprintf(stderr, "qx-bench export: --dump '%s': expected a positive image "
				        "count and a folder (--dump N DIR)\n", optarg);
				return QX_EXIT_USAGE;
			}
			dump_n = v;
			dump_dir = argv[optind++];
			break;
		}
		case 'h': fputs(usage, stdout); return QX_EXIT_OK;
		default:
			fprintf(stderr, "qx-bench export: try 'qx-bench export --help'\n");
			return QX_EXIT_USAGE;
		}
	}
	int n_pos = argc - optind;
	if (!out || n_pos < 1 || n_pos > 2) {
		fprintf(stderr, "qx-bench export: expected RUN [--plugin LABEL] -o OUT.onnx or "
		        "PLAN.json MODEL.onnx -o OUT.onnx\n");
		return QX_EXIT_USAGE;
	}
	if (n_pos == 2 && (label || dump_dir)) {
		fprintf(stderr, "qx-bench export: --plugin and --dump need a RUN (expected "
		        "qx-bench export RUN --plugin LABEL -o OUT.onnx)\n");
		return QX_EXIT_USAGE;
	}
	struct run_ref r = { 0 };
	struct qx_error err = { 0 };
	struct qx_graph g = { 0 };
	struct qx_quant_plan plan = { 0 };
	struct exporter x = { 0 };
	int rc = 0;
	if (n_pos == 2) {
		r.plan = strdup(argv[optind]);
		r.model = strdup(argv[optind + 1]);
		if (!r.plan || !r.model)
			rc = qx_fail_nomem(&err, "export");
	} else {
		rc = read_run(argv[optind], label, &r, &err);
	}
	if (!rc)
		rc = qx_graph_load_onnx(r.model, &g, &err);
	if (!rc)
		rc = qx_graph_fuse_activations(&g, &err);
	if (!rc)
		rc = qx_plan_file_read(r.plan, &g, &plan, &err);
	if (!rc && plan.simulated)
		rc = qx_fail(&err, QX_EUNSUPPORTED, "%s: the plan uses %s, which only the reference "
		             "simulation runs (expected an int8 plan: QDQ of FP8 needs ONNX opset 19 "
		             "(FLOAT8E4M3FN / FLOAT8E5M2), per-group scales need opset 21 (block_size), "
		             "and this exporter writes opset 13 uint8/int8 QDQ)", r.plan,
		             plan.simulated_why);
	if (!rc) {
		x.g = &g;
		x.plan = &plan;
		x.path = r.plan;
		rc = export_graph(&x, out, &err);
	}
	if (!rc && dump_dir)
		rc = dump(&g, &plan, r.suite, dump_n, dump_dir, &err);
	if (rc)
		fprintf(stderr, "qx-bench export: %s\n", err.msg);
	for (size_t i = 0; i < x.b.n_mem; i++)
		free(x.b.mem[i]);
	free(x.b.mem);
	free(x.b.nodes);
	free(x.b.inits);
	free(x.name_q);
	free(x.const_done);
	qx_quant_plan_free(&plan);
	qx_graph_free(&g);
	free(r.plan);
	free(r.model);
	free(r.suite);
	return rc ? qx_exit_status(rc) : QX_EXIT_OK;
}
