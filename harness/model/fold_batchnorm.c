/* BatchNormalization after a Conv or Gemm, folded into that op's weights and bias:
 *     s = scale / sqrt(var + eps)    W'[o] = W[o] * s[o]    b'[o] = (b[o] - mean[o]) * s[o] + B[o]
 * The folded weights are new constant tensors; the originals are dropped later if unused. */
#include "model/graph_build.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int new_const(struct qx_graph *g, const char *base, const char *suffix, int ndim,
                     const int64_t *dims, struct qx_error *err)
{
	char name[512];
	snprintf(name, sizeof name, "%s%s", base, suffix);
	int t = qx_graph_add_tensor(g, name, err);
	if (t < 0)
		return t;
	struct qx_tensor *x = &g->tensors[t];
	x->is_const = 1;
	x->dtype = QX_DT_F32;
	x->ndim = ndim;
	for (int i = 0; i < ndim; i++)
		x->dims[i] = dims[i];
	int64_t n = qx_tensor_numel(x);
	x->data = calloc((size_t)(n ? n : 1), sizeof(float));
	if (!x->data)
		return qx_fail_nomem(err, "folding BatchNormalization");
	return t;
}

static const float *const_data(const struct qx_graph *g, int t)
{
	if (t < 0 || !g->tensors[t].is_const)
		return NULL;
	return g->tensors[t].data;
}

/* Per-channel multiplier s and shift (-mean * s + B), in double for a faithful fold. */
static int bn_coeffs(const struct qx_graph *g, const struct qx_node *bn, int64_t ch, double **s,
                     double **shift)
{
	const float *scale = const_data(g, bn->in[1]), *b = const_data(g, bn->in[2]);
	const float *mean = const_data(g, bn->in[3]), *var = const_data(g, bn->in[4]);
	*s = malloc((size_t)ch * sizeof **s);
	*shift = malloc((size_t)ch * sizeof **shift);
	if (!*s || !*shift) {
		free(*s);
		free(*shift);
		return -1;
	}
	for (int64_t i = 0; i < ch; i++) {
		(*s)[i] = scale[i] / sqrt((double)var[i] + bn->attr.epsilon);
		(*shift)[i] = b[i] - mean[i] * (*s)[i];
	}
	return 0;
}

static int fold_into_conv(struct qx_graph *g, int pi, const struct qx_node *bn, const double *s,
                          const double *shift, struct qx_error *err)
{
	int wi = g->nodes[pi].in[1];
	int bi = g->nodes[pi].n_in > 2 ? g->nodes[pi].in[2] : -1;
	int64_t oc = g->tensors[wi].dims[0];
	int64_t per = qx_tensor_numel(&g->tensors[wi]) / oc;
	int64_t wdims[QX_MAX_DIMS];
	memcpy(wdims, g->tensors[wi].dims, sizeof wdims);
	int nw = new_const(g, g->tensors[wi].name, "_bnfold", g->tensors[wi].ndim, wdims, err);
	if (nw < 0)
		return nw;
	int nb = new_const(g, bn->name, "_bnfold_bias", 1, &oc, err);
	if (nb < 0)
		return nb;
	const float *w = g->tensors[wi].data, *b = const_data(g, bi);
	float *w2 = g->tensors[nw].data, *b2 = g->tensors[nb].data;
	for (int64_t o = 0; o < oc; o++) {
		for (int64_t i = 0; i < per; i++)
			w2[o * per + i] = (float)(w[o * per + i] * s[o]);
		b2[o] = (float)((b ? b[o] : 0.0) * s[o] + shift[o]);
	}
	struct qx_node *p = &g->nodes[pi];
	if (p->n_in < 3) {
		int *grown = realloc(p->in, 3 * sizeof *grown);
		if (!grown)
			return qx_fail_nomem(err, "folding BatchNormalization");
		p->in = grown;
		p->n_in = 3;
	}
	p->in[1] = nw;
	p->in[2] = nb;
	return 0;
}

/* Gemm: y = alpha * op(A) op(B) + beta * C; the BN channel is y's column j. */
static int fold_into_gemm(struct qx_graph *g, int pi, const struct qx_node *bn, const double *s,
                          const double *shift, struct qx_error *err)
{
	struct qx_gemm_attr a = g->nodes[pi].attr.gemm;
	int bi = g->nodes[pi].in[1];
	int ci = g->nodes[pi].n_in > 2 ? g->nodes[pi].in[2] : -1;
	const struct qx_tensor *y = &g->tensors[g->nodes[pi].out[0]];
	int64_t m = y->dims[0], n = y->dims[1];
	int64_t bdims[2] = { g->tensors[bi].dims[0], g->tensors[bi].dims[1] };
	int nbw = new_const(g, g->tensors[bi].name, "_bnfold", 2, bdims, err);
	if (nbw < 0)
		return nbw;
	/* A C that varies along rows keeps its full [m, n] shape; otherwise it becomes [n]. */
	int full = 0;
	int64_t cdims[2] = { m, n };
	if (ci >= 0) {
		const struct qx_tensor *c = &g->tensors[ci];
		full = c->ndim == 2 && c->dims[0] == m && m != 1;
	}
	int nc = full ? new_const(g, bn->name, "_bnfold_bias", 2, cdims, err) :
	                new_const(g, bn->name, "_bnfold_bias", 1, &n, err);
	if (nc < 0)
		return nc;
	const float *bw = g->tensors[bi].data;
	float *bw2 = g->tensors[nbw].data;
	int64_t k = a.trans_b ? bdims[1] : bdims[0];
	for (int64_t kk = 0; kk < k; kk++)
		for (int64_t j = 0; j < n; j++) {
			int64_t at = a.trans_b ? j * k + kk : kk * n + j;
			bw2[at] = (float)(bw[at] * s[j]);
		}
	const struct qx_tensor *c = ci >= 0 ? &g->tensors[ci] : NULL;
	float *c2 = g->tensors[nc].data;
	int64_t rows = full ? m : 1;
	for (int64_t i = 0; i < rows; i++)
		for (int64_t j = 0; j < n; j++) {
			double cv = 0;
			if (c) {
				/* Broadcast index into C's own shape. */
				int64_t ci_row = c->ndim == 2 && c->dims[0] != 1 ? i : 0;
				int64_t ccols = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
				int64_t ci_col = ccols != 1 ? j : 0;
				cv = c->data[ci_row * ccols + ci_col];
			}
			c2[i * n + j] = (float)(a.beta * cv * s[j] + shift[j]);
		}
	struct qx_node *p = &g->nodes[pi];
	if (p->n_in < 3) {
		int *grown = realloc(p->in, 3 * sizeof *grown);
		if (!grown)
			return qx_fail_nomem(err, "folding BatchNormalization");
		p->in = grown;
		p->n_in = 3;
	}
	p->in[1] = nbw;
	p->in[2] = nc;
	p->attr.gemm.beta = 1.0f;
	return 0;
}

static int foldable(const struct qx_graph *g, const struct qx_node *bn)
{
	int x = bn->in[0];
	int pi = g->tensors[x].producer;
	if (pi < 0 || qx_graph_readers(g, x) != 1 || qx_graph_is_output(g, x))
		return -1;
	const struct qx_node *p = &g->nodes[pi];
	for (int j = 1; j < 5; j++)
		if (!const_data(g, bn->in[j]))
			return -1;
	if (p->op == QX_OP_CONV) {
		if (!const_data(g, p->in[1]) || (p->n_in > 2 && p->in[2] >= 0 && !const_data(g, p->in[2])))
			return -1;
		return pi;
	}
	if (p->op == QX_OP_GEMM) {
		if (!const_data(g, p->in[1]) || (p->n_in > 2 && p->in[2] >= 0 && !const_data(g, p->in[2])))
			return -1;
		if (g->tensors[x].ndim != 2)
			return -1;
		return pi;
	}
	return -1;
}

int qx_graph_fold_batchnorm(struct qx_graph *g, struct qx_error *err)
{
	for (int i = 0; i < g->n_nodes; i++) {
		if (g->nodes[i].op != QX_OP_BATCHNORM)
			continue;
		int pi = foldable(g, &g->nodes[i]);
		if (pi < 0)
			continue;
		struct qx_node bn = g->nodes[i];
		int64_t ch = g->tensors[bn.in[0]].dims[1];
		double *s, *shift;
		if (bn_coeffs(g, &bn, ch, &s, &shift))
			return qx_fail_nomem(err, "folding BatchNormalization");
		int rc = g->nodes[pi].op == QX_OP_CONV ? fold_into_conv(g, pi, &bn, s, shift, err) :
		                                         fold_into_gemm(g, pi, &bn, s, shift, err);
		free(s);
		free(shift);
		if (rc)
			return rc;
		g->nodes[pi].out[0] = bn.out[0];
		qx_graph_remove_node(g, i);
		i--;
	}
	return 0;
}
