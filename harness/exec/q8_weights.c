#include "exec/q8_weights.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int8_t quantize_weight(float w, float scale, int32_t qmin, int32_t qmax)
{
	float q = nearbyintf(w / scale);
	if (!(q >= (float)qmin)) /* also NaN */
		q = (float)qmin;
	if (q > (float)qmax)
		q = (float)qmax;
	return (int8_t)q;
}

static int32_t quantize_bias(float b, double scale)
{
	double q = nearbyint((double)b / scale);
	if (q > INT32_MAX)
		return INT32_MAX;
	if (!(q >= INT32_MIN))
		return INT32_MIN;
	return (int32_t)q;
}

int qx_q8_weights_build(const struct qx_graph *g, int n, const struct qx_tensor_qparams *wq,
                        const struct qx_tensor_qparams *bq, int static_mode, float in_scale, float out_scale, struct qx_q8_weights *w,
                        struct qx_error *err)
{
	memset(w, 0, sizeof *w);
	const struct qx_node *nd = &g->nodes[n];
	const struct qx_tensor *wt = &g->tensors[nd->in[1]];
	/* Element (o, j) of the [n][k] matrix is src[o * o_stride + j * j_stride]; for Conv, j runs
	 * over (kh, kw, c) so that OIHW becomes OHWI. */
	int64_t o_stride, j_stride = 1;
	int trans = 0;
	if (nd->op == QX_OP_CONV) {
		w->n = wt->dims[0];
		w->k = wt->dims[1] * wt->dims[2] * wt->dims[3];
		o_stride = w->k;
	} else if (nd->op == QX_OP_GEMM && nd->attr.gemm.trans_b) {
		w->n = wt->dims[0];
		w->k = wt->dims[1];
		o_stride = w->k;
	} else { /* MatMul or Gemm without transB: [k][n] */
		w->k = wt->dims[0];
		w->n = wt->dims[1];
		o_stride = 1;
		j_stride = w->n;
		trans = 1;
	}
	if (wq->dtype != QX_PLAN_INT8 || (wq->n_channels != 1 && wq->n_channels != w->n))
		return qx_fail(err, QX_EPLUGIN, "%s: node '%s': weight '%s' needs int8 qparams per tensor "
		               "or per output channel (%lld)", g->path, nd->name, wt->name,
		               (long long)w->n);
	w->n_scales = wq->n_channels;
	w->has_bias = nd->n_in > 2 && nd->in[2] >= 0;
	w->w_ohwi = malloc((size_t)(w->n * w->k));
	w->w_scale = malloc(sizeof(float) * (size_t)w->n);
	if (static_mode) {
		w->bias = calloc((size_t)w->n, sizeof(int32_t));
		w->multiplier = malloc(sizeof(float) * (size_t)w->n);
	} else if (w->has_bias) {
		w->bias_f32 = malloc(sizeof(float) * (size_t)w->n);
	}
	if (!w->w_ohwi || !w->w_scale || (static_mode && (!w->bias || !w->multiplier)) ||
	    (!static_mode && w->has_bias && !w->bias_f32)) {
		qx_q8_weights_free(w);
		return qx_fail_nomem(err, "quantizing weights");
	}
	int64_t hw = nd->op == QX_OP_CONV ? wt->dims[2] * wt->dims[3] : 1;
	int64_t cin = nd->op == QX_OP_CONV ? wt->dims[1] : w->k;
	for (int64_t o = 0; o < w->n; o++) {
		float s = wq->scales[wq->n_channels == 1 ? 0 : o];
		w->w_scale[o] = s;
		for (int64_t j = 0; j < w->k; j++) {
			int64_t src;
			if (nd->op == QX_OP_CONV) {
				/* j = (p, c) in OHWI; OIHW source index o*k + c*hw + p */
				int64_t p = j / cin, c = j % cin;
				src = o * o_stride + c * hw + p;
			} else {
				src = trans ? j * j_stride + o : o * o_stride + j;
			}
			/* The plugin's own codes when it rounded the weights itself (ABI minor 3). */
			w->w_ohwi[o * w->k + j] = wq->codes ? (int8_t)wq->codes[src]
			                                    : quantize_weight(wt->data[src], s, wq->qmin,
			                                                      wq->qmax);
		}
	}
	const float *bias = w->has_bias ? g->tensors[nd->in[2]].data : NULL;
	const int32_t *bias_codes = w->has_bias && bq ? bq->codes : NULL;
	for (int64_t o = 0; o < w->n; o++) {
		if (static_mode) {
			if (bias_codes)
				w->bias[o] = bias_codes[o];
			else if (bias)
				w->bias[o] = quantize_bias(bias[o], (double)in_scale * (double)w->w_scale[o]);
			w->multiplier[o] = (in_scale * w->w_scale[o]) / out_scale;
		} else if (bias) {
			w->bias_f32[o] = bias[o];
		}
	}
	/* Bits actually stored: int4 weights count 4 bits each (rounded up to a whole byte). */
	w->bytes = (w->n * w->k * (wq->bits > 0 ? wq->bits : 8) + 7) / 8 +
	           8 * (int64_t)w->n_scales + (w->has_bias ? 4 * w->n : 0);
	return 0;
}

void qx_q8_weights_free(struct qx_q8_weights *w)
{
	free(w->w_ohwi);
	free(w->w_scale);
	free(w->bias);
	free(w->multiplier);
	free(w->bias_f32);
	memset(w, 0, sizeof *w);
}
