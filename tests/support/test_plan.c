/* Hand-made quantization plans for executor tests (test_plan.h). */
#include "support/test_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void set_qparams(struct qx_quant_plan *p, int t, int dtype, int n, const float *scales,
                        const int32_t *zps, int32_t qmin, int32_t qmax, int axis)
{
	struct qx_tensor_qparams *q = &p->tensor[t];
	q->dtype = dtype;
	q->symmetric = dtype == QX_PLAN_INT8;
	q->axis = axis;
	q->n_channels = n;
	q->qmin = qmin;
	q->qmax = qmax;
	q->scales = malloc(sizeof(float) * (size_t)n);
	q->zero_points = malloc(sizeof(int32_t) * (size_t)n);
	memcpy(q->scales, scales, sizeof(float) * (size_t)n);
	memcpy(q->zero_points, zps, sizeof(int32_t) * (size_t)n);
	q->copied_from = -1;
}

/* uint8 affine qparams from a float tensor's range, like a MinMax observer. */
static void act_qparams(struct qx_quant_plan *p, int t, const float *x, int64_t n)
{
	float lo = 0.0f, hi = 0.0f;
	for (int64_t i = 0; i < n; i++) {
		lo = fminf(lo, x[i]);
		hi = fmaxf(hi, x[i]);
	}
	float scale = (hi - lo) / 255.0f;
	if (scale <= 0.0f)
		scale = 1e-3f;
	int32_t zp = (int32_t)nearbyintf(-lo / scale);
	set_qparams(p, t, QX_PLAN_UINT8, 1, &scale, &zp, 0, 255, -1);
}

/* int8 symmetric per-output-channel qparams of weight w: output channels along axis 0
 * ([n][rest]: Conv, Gemm with transB) or axis 1 ([k][n]: MatMul, Gemm without transB). */
static void weight_qparams(struct qx_quant_plan *p, int t, const struct qx_tensor *w, int axis)
{
	int64_t n = w->dims[axis], rest = qx_tensor_numel(w) / n;
	float *scales = malloc(sizeof(float) * (size_t)n);
	int32_t *zps = calloc((size_t)n, sizeof(int32_t));
	for (int64_t o = 0; o < n; o++) {
		float m = 0.0f;
		for (int64_t j = 0; j < rest; j++)
			m = fmaxf(m, fabsf(w->data[axis == 0 ? o * rest + j : j * n + o]));
		scales[o] = m > 0.0f ? m / 127.5f : 1.0f;
	}
	set_qparams(p, t, QX_PLAN_INT8, (int)n, scales, zps, -128, 127, axis);
	free(scales);
	free(zps);
}

/* The axis of a linear node's output channels in its weight. */
static int weight_axis(const struct qx_node *nd)
{
	if (nd->op == QX_OP_MATMUL || (nd->op == QX_OP_GEMM && !nd->attr.gemm.trans_b))
		return 1;
	return 0;
}

int test_plan_make(struct qx_graph *g, struct qx_exec_f32 *f, struct qx_quant_plan *p,
                   int dynamic_linear)
{
	const struct qx_graph *fg = qx_exec_f32_graph(f); /* activation sizes at f's batch */
	memset(p, 0, sizeof *p);
	p->n_tensors = g->n_tensors;
	p->n_nodes = g->n_nodes;
	p->tensor = calloc((size_t)g->n_tensors, sizeof *p->tensor);
	p->node = calloc((size_t)g->n_nodes, sizeof *p->node);
	if (!p->tensor || !p->node)
		return -1;
	for (int n = 0; n < g->n_nodes; n++) {
		const struct qx_node *nd = &g->nodes[n];
		int linear = nd->op == QX_OP_CONV || nd->op == QX_OP_GEMM || nd->op == QX_OP_MATMUL;
		if (dynamic_linear) {
			if (nd->op != QX_OP_GEMM && nd->op != QX_OP_MATMUL)
				continue;
			p->node[n].mode = QX_MODE_DYNAMIC;
			p->node[n].dyn_qmin = 0;
			p->node[n].dyn_qmax = 127;
			weight_qparams(p, nd->in[1], &g->tensors[nd->in[1]], weight_axis(nd));
			continue;
		}
		p->node[n].mode = QX_MODE_STATIC;
		for (int j = 0; j < nd->n_in; j++) {
			int t = nd->in[j];
			if (t < 0 || p->tensor[t].dtype)
				continue;
			if (g->tensors[t].is_const) {
				if (linear && j == 1)
					weight_qparams(p, t, &g->tensors[t], weight_axis(nd));
			} else {
				act_qparams(p, t, qx_exec_f32_tensor(f, t), qx_tensor_numel(&fg->tensors[t]));
			}
		}
		int y = nd->out[0];
		if (linear || !nd->n_in) {
			act_qparams(p, y, qx_exec_f32_tensor(f, y), qx_tensor_numel(&fg->tensors[y]));
		} else {
			const struct qx_tensor_qparams *in = &p->tensor[nd->in[0]];
			set_qparams(p, y, in->dtype, 1, in->scales, in->zero_points, in->qmin, in->qmax, -1);
		}
	}
	return 0;
}

void test_plan_free(struct qx_quant_plan *p)
{
	for (int t = 0; t < p->n_tensors; t++) {
		free(p->tensor[t].scales);
		free(p->tensor[t].zero_points);
		free(p->tensor[t].group_scales); /* what a test added (ABI minor 3) */
		free(p->tensor[t].codes);
	}
	free(p->tensor);
	free(p->node);
}

