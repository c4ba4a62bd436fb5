/* The fp32 executor: one buffer per activation, nodes run in order. Conv, Gemm, MatMul and the
 * window pools go through the kernel table (with whole-range calls a thread pool can split
 * later); Relu is a loop here; every other op runs through qx_node_eval (model/node_eval.h),
 * the same code constant folding uses, so all kernel sets agree on them. */
#include "exec/exec_f32.h"
#include "exec/pool.h"
#include "model/graph_build.h"
#include "model/node_eval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct step {
	struct qx_f32_conv_desc desc; /* Conv, MaxPool, AveragePool */
	void *packed;                 /* Conv with constant weights: packed once, at its first run */
	int const_weights;            /* Conv: weights (and bias) are constants, so packing keeps */
	float *bias;                  /* Gemm fast path: beta * C as one row of n, or NULL */
	float *bt;                    /* Gemm: a constant transB weight as [k][n], or NULL */
	float *sd;                    /* BatchNormalization: sqrtf(var + epsilon) per channel */
	int gemm_fast;                /* alpha == 1 and C absent or one row broadcast */
	float *fused_y;               /* Conv: the buffer of the Clip fused into it; Sigmoid: of the
	                               * Mul that makes it a SiLU (outputs only) */
	int fused_away;               /* Clip, Mul: the node before does it; Reshape and the like:
	                               * its output is its input's buffer (outputs only) */
	int hswish_mul;               /* HardSigmoid: 1 + the Mul by its own input that it runs
	                               * with, in slices (outputs only; fused_y the Mul's output) */
	struct shuffle *shuffle;      /* Transpose: a channel shuffle copied straight from the
	                               * Concat's inputs (outputs only), or NULL */
};

#define QX_SHUFFLE_MAX 8 /* groups of a channel shuffle, Slices reading it */

/* A channel shuffle as shufflenet writes it: Concat of G [N, C, H, W] tensors on the channels,
 * Reshape to [N, G, C, H, W], Transpose (0, 2, 1, 3, 4), Reshape to [N, G C, H, W]; so channel
 * k of the result is channel k / G of input k % G. Run as one copy per plane from the inputs,
 * into the Transpose's output, or, when every reader of the result is a Slice of whole planes,
 * straight into those Slices' outputs: one pass over memory instead of three. */
struct shuffle {
	int groups;                  /* G */
	int64_t n, c, hw;            /* images, channels per input, pixels per plane */
	int in[QX_SHUFFLE_MAX];      /* the Concat's input tensors */
	int out;                     /* the Transpose's output tensor (slices == 0) */
	int slices;
	int slice_out[QX_SHUFFLE_MAX];
	int64_t slice_start[QX_SHUFFLE_MAX], slice_len[QX_SHUFFLE_MAX]; /* channels of the result */
};

struct qx_exec_f32 {
	struct qx_graph *g;           /* &shaped */
	struct qx_graph shaped;       /* this executor's copy of the graph, its shapes inferred for
	                               * its batch: executors of other batch sizes on the same graph
	                               * each have their own, and the caller's graph is only read */
	const struct qx_kernels *k;
	float **buf;                  /* per tensor; owned[t] says whether we allocated it */
	char *owned;
	struct step *steps;           /* per node */
	const void **eval_in;         /* qx_node_eval's input pointers, sized for the widest node */
	struct qx_pool *pool;         /* splits convolutions across threads; NULL: one thread */
	int fast_sigmoid;             /* Sigmoid through k->f32->sigmoid, not libm (set_fast_sigmoid) */
};

struct conv_call {
	const struct qx_exec_f32 *e;
	const void *packed;
	const float *x;
	float *y;
};

static void conv_rows(void *ctx, int64_t begin, int64_t end)
{
	const struct conv_call *c = ctx;
	c->e->k->f32->conv(c->packed, c->x, c->y, begin, end);
}

void qx_exec_f32_set_pool(struct qx_exec_f32 *e, struct qx_pool *pool)
{
	e->pool = pool;
}

void qx_exec_f32_set_fast_sigmoid(struct qx_exec_f32 *e, int on)
{
	e->fast_sigmoid = on;
}

/* Clip's constant bounds as qx_node_eval reads them (inputs when given, else the attributes);
 * 0 when a bound is computed at run time. */
static int clip_bounds(const struct qx_graph *g, const struct qx_node *n, float *lo, float *hi)
{
	*lo = n->act_min;
	*hi = n->act_max;
	for (int j = 1; j < 3 && j < n->n_in; j++) {
		if (n->in[j] < 0)
			continue;
		const struct qx_tensor *t = &g->tensors[n->in[j]];
		if (!t->is_const || !t->data || qx_tensor_numel(t) != 1)
			return 0;
		*(j == 1 ? lo : hi) = t->data[0];
	}
	return 1;
}

static int same_shape(const struct qx_tensor *a, const struct qx_tensor *y);

/* The only node reading tensor t (once), not a graph output; -1 if none or several. */
static int sole_reader(const struct qx_graph *g, int t)
{
	int reader = -1;
	for (int i = 0; i < g->n_nodes; i++)
		for (int j = 0; j < g->nodes[i].n_in; j++)
			if (g->nodes[i].in[j] == t) {
				if (reader >= 0)
					return -1;
				reader = i;
			}
	for (int i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == t)
			return -1;
	return reader;
}

/* The nodes reading tensor t into list (at most max), or -1 when t is a graph output or has
 * more readers; a node reading t twice counts once per read. */
static int readers_of(const struct qx_graph *g, int t, int *list, int max)
{
	int count = 0;
	for (int i = 0; i < g->n_outputs; i++)
		if (g->outputs[i] == t)
			return -1;
	for (int i = 0; i < g->n_nodes; i++)
		for (int j = 0; j < g->nodes[i].n_in; j++)
			if (g->nodes[i].in[j] == t) {
				if (count == max)
					return -1;
				list[count++] = i;
			}
	return count;
}

/* Slice node r of a [N, K, H, W] tensor: whole planes, channels [*start, + *len); 0 if it is
 * not that (other axes cut, a step other than 1, bounds computed at run time). */
static int slice_of_planes(const struct qx_graph *g, const struct qx_node *r, int64_t *start,
                           int64_t *len)
{
	const struct qx_tensor *x = &g->tensors[r->in[0]];
	const int64_t *arg[4] = { NULL, NULL, NULL, NULL }; /* starts, ends, axes, steps */
	if (r->op != QX_OP_SLICE || r->n_in < 3 || x->ndim != 4)
		return 0;
	for (int j = 1; j < r->n_in && j < 5; j++) {
		if (r->in[j] < 0)
			continue;
		const struct qx_tensor *t = &g->tensors[r->in[j]];
		if (!t->is_const || t->dtype != QX_DT_I64 ||
		    qx_tensor_numel(t) != qx_tensor_numel(&g->tensors[r->in[1]]))
			return 0;
		arg[j - 1] = qx_tensor_values(t);
	}
	int64_t st[QX_MAX_DIMS], step[QX_MAX_DIMS], ln[QX_MAX_DIMS];
	char why[200];
	if (!arg[0] || !arg[1] ||
	    qx_slice_box(x->ndim, x->dims, (int)qx_tensor_numel(&g->tensors[r->in[1]]), arg[0],
	                 arg[1], arg[2], arg[3], st, step, ln, why, sizeof why))
		return 0;
	for (int d = 0; d < 4; d++)
		if (step[d] != 1 || (d != 1 && (st[d] != 0 || ln[d] != x->dims[d])))
			return 0;
	*start = st[1];
	*len = ln[1];
	return 1;
}

/* Finds the channel shuffles (struct shuffle) among the Transposes, returns how many; called by
 * qx_exec_f32_set_outputs_only after the Reshapes share their input's buffer, which the chain
 * needs (the first Reshape must read the Concat's buffer in place: the Concat no longer runs). */
static int plan_shuffles(struct qx_exec_f32 *e)
{
	const struct qx_graph *g = e->g;
	int found = 0;
	for (int i = 0; i < g->n_nodes; i++) {
		const struct qx_node *t = &g->nodes[i];
		const struct qx_tensor *x5 = t->n_in == 1 ? &g->tensors[t->in[0]] : NULL;
		if (t->op != QX_OP_TRANSPOSE || !x5 || x5->ndim != 5 || t->attr.axes.n != 5 ||
		    t->attr.axes.v[0] != 0 || t->attr.axes.v[1] != 2 || t->attr.axes.v[2] != 1 ||
		    t->attr.axes.v[3] != 3 || t->attr.axes.v[4] != 4 || x5->producer < 0 ||
		    e->steps[i].shuffle)
			continue;
		int r1 = x5->producer;
		const struct qx_node *R1 = &g->nodes[r1];
		if (R1->op != QX_OP_RESHAPE || !e->steps[r1].fused_away || sole_reader(g, t->in[0]) != i)
			continue;
		const struct qx_tensor *xc = &g->tensors[R1->in[0]];
		int cc = xc->producer;
		if (cc < 0 || sole_reader(g, R1->in[0]) != r1)
			continue;
		const struct qx_node *C = &g->nodes[cc];
		int64_t G = x5->dims[1];
		if (C->op != QX_OP_CONCAT || C->n_in != G || G > QX_SHUFFLE_MAX || xc->ndim != 4 ||
		    (C->attr.axis != 1 && C->attr.axis != -3) || x5->dims[0] != xc->dims[0] ||
		    x5->dims[1] * x5->dims[2] != xc->dims[1] || x5->dims[3] != xc->dims[2] ||
		    x5->dims[4] != xc->dims[3] || xc->dtype != QX_DT_F32)
			continue;
		int ok = 1;
		for (int j = 0; j < G && ok; j++) {
			const struct qx_tensor *a = &g->tensors[C->in[j]];
			ok = !a->is_const && e->buf[C->in[j]] && a->ndim == 4 &&
			     a->dims[1] == x5->dims[2] && a->dims[0] == xc->dims[0] &&
			     a->dims[2] == xc->dims[2] && a->dims[3] == xc->dims[3];
		}
		struct shuffle *sh = ok ? calloc(1, sizeof *sh) : NULL;
		if (!sh)
			continue; /* out of memory: the nodes run as they are */
		sh->groups = (int)G;
		sh->n = xc->dims[0];
		sh->c = x5->dims[2];
		sh->hw = xc->dims[2] * xc->dims[3];
		for (int j = 0; j < G; j++)
			sh->in[j] = C->in[j];
		sh->out = t->out[0];
		/* the readers of the shuffled [N, G C, H, W] (the second Reshape's, read in place) */
		int r2 = sole_reader(g, t->out[0]), rd[QX_SHUFFLE_MAX];
		int nr = r2 >= 0 && g->nodes[r2].op == QX_OP_RESHAPE && e->steps[r2].fused_away &&
		                 g->tensors[g->nodes[r2].out[0]].ndim == 4
		         ? readers_of(g, g->nodes[r2].out[0], rd, QX_SHUFFLE_MAX) : -1;
		int slices = nr > 0;
		for (int j = 0; j < nr && slices; j++)
			slices = g->nodes[rd[j]].in[0] == g->nodes[r2].out[0] && e->owned[g->nodes[rd[j]].out[0]] &&
			         slice_of_planes(g, &g->nodes[rd[j]], &sh->slice_start[j], &sh->slice_len[j]);
		if (slices) {
			sh->slices = nr;
			for (int j = 0; j < nr; j++) {
				sh->slice_out[j] = g->nodes[rd[j]].out[0];
				e->steps[rd[j]].fused_away = 1;
			}
		}
		e->steps[cc].fused_away = 1;
		e->steps[i].shuffle = sh;
		found++;
	}
	return found;
}

int qx_exec_f32_set_outputs_only(struct qx_exec_f32 *e)
{
	const struct qx_graph *g = e->g;
	int fused = 0;
	for (int i = 0; i < g->n_nodes; i++) {
		const struct qx_node *n = &g->nodes[i];
		struct step *s = &e->steps[i];
		/* a Conv without a clamp of its own, not packed yet (the clamp is packed with it) */
		if (n->op != QX_OP_CONV || s->packed || s->fused_y || s->desc.act_min != -INFINITY ||
		    s->desc.act_max != INFINITY)
			continue;
		int r = sole_reader(g, n->out[0]);
		float lo, hi;
		if (r < 0 || g->nodes[r].op != QX_OP_CLIP || g->nodes[r].in[0] != n->out[0] ||
		    !clip_bounds(g, &g->nodes[r], &lo, &hi))
			continue;
		s->desc.act_min = lo;
		s->desc.act_max = hi;
		s->fused_y = e->buf[g->nodes[r].out[0]];
		e->steps[r].fused_away = 1;
		fused++;
	}
	/* x * sigmoid(x) as one pass, with the fast sigmoid only (the same bits as unfused then) */
	for (int i = 0; i < g->n_nodes && e->fast_sigmoid; i++) {
		const struct qx_node *n = &g->nodes[i];
		int r = n->op == QX_OP_SIGMOID ? sole_reader(g, n->out[0]) : -1;
		const struct qx_node *m = r >= 0 ? &g->nodes[r] : NULL;
		if (!m || m->op != QX_OP_MUL || m->n_in != 2 || e->steps[i].fused_y)
			continue;
		int other = m->in[0] == n->out[0] ? m->in[1] : m->in[0];
		if (other != n->in[0])
			continue;
		e->steps[i].fused_y = e->buf[m->out[0]];
		e->steps[r].fused_away = 1;
		fused++;
	}
	/* x * HardSigmoid(x) (hardswish as mobilenet_v3 exports it): both nodes run in turns over
	 * slices of QX_F32_HSWISH_SLICE elements (run_hswish_slices), so x is read from memory once
	 * and the HardSigmoid's output never leaves the cache; the same kernel calls on the same
	 * elements, so the same bits. */
	for (int i = 0; i < g->n_nodes; i++) {
		const struct qx_node *n = &g->nodes[i];
		int r = n->op == QX_OP_HARDSIGMOID && n->n_in == 1 ? sole_reader(g, n->out[0]) : -1;
		const struct qx_node *m = r >= 0 ? &g->nodes[r] : NULL;
		if (!m || m->op != QX_OP_MUL || m->n_in != 2 || e->steps[i].fused_y ||
		    (m->in[0] == n->out[0] ? m->in[1] : m->in[0]) != n->in[0] ||
		    g->tensors[n->in[0]].dtype != QX_DT_F32 ||
		    !same_shape(&g->tensors[n->in[0]], &g->tensors[m->out[0]]))
			continue;
		e->steps[i].fused_y = e->buf[m->out[0]];
		e->steps[i].hswish_mul = 1 + r;
		e->steps[r].fused_away = 1;
		fused++;
	}
	/* Ops that only relabel the shape (shufflenet's channel shuffle reshapes twice per block):
	 * the output is the input's buffer, read in place, not a copy. Safe because an activation
	 * is written only by its producer, which runs before. In node order, so a chain of them
	 * ends on the first buffer. */
	for (int i = 0; i < g->n_nodes; i++) {
		const struct qx_node *n = &g->nodes[i];
		if ((n->op != QX_OP_RESHAPE && n->op != QX_OP_FLATTEN && n->op != QX_OP_SQUEEZE &&
		     n->op != QX_OP_UNSQUEEZE && n->op != QX_OP_IDENTITY) ||
		    n->n_in < 1 || n->n_out != 1 || e->steps[i].fused_away)
			continue;
		int in = n->in[0], out = n->out[0];
		const struct qx_tensor *ti = &g->tensors[in], *to = &g->tensors[out];
		if (ti->is_const || !e->buf[in] || !e->owned[out] ||
		    qx_tensor_numel(ti) != qx_tensor_numel(to))
			continue;
		free(e->buf[out]);
		e->buf[out] = e->buf[in];
		e->owned[out] = 0;
		e->steps[i].fused_away = 1;
	}
	return fused + plan_shuffles(e);
}

static const float *in_buf(const struct qx_exec_f32 *e, const struct qx_node *n, int j)
{
	return j < n->n_in && n->in[j] >= 0 ? e->buf[n->in[j]] : NULL;
}

static const struct qx_tensor *in_t(const struct qx_exec_f32 *e, const struct qx_node *n, int j)
{
	return j < n->n_in && n->in[j] >= 0 ? &e->g->tensors[n->in[j]] : NULL;
}

static void window_desc(const struct qx_tensor *x, const struct qx_tensor *y, const int *kernel,
                        const int *stride, const int *dilation, const int *pad,
                        struct qx_f32_conv_desc *d)
{
	memset(d, 0, sizeof *d);
	d->n = x->dims[0];
	d->c = x->dims[1];
	d->h = x->dims[2];
	d->w = x->dims[3];
	d->oc = y->dims[1];
	d->oh = y->dims[2];
	d->ow = y->dims[3];
	d->kh = kernel[0];
	d->kw = kernel[1];
	d->sh = stride[0];
	d->sw = stride[1];
	d->dh = dilation[0];
	d->dw = dilation[1];
	d->pt = pad[0];
	d->pl = pad[1];
	d->pb = pad[2];
	d->pr = pad[3];
	d->groups = 1;
}

/* C broadcasts as one row of n when every dim but the last is 1 (or it is a scalar). */
static int c_is_row(const struct qx_tensor *c, int64_t n)
{
	if (c->ndim == 0)
		return 1;
	for (int i = 0; i < c->ndim - 1; i++)
		if (c->dims[i] != 1)
			return 0;
	return c->dims[c->ndim - 1] == n || c->dims[c->ndim - 1] == 1;
}

static void fill_gemm_bias(const struct qx_node *n, const struct qx_tensor *c, const float *cdata,
                           int64_t cols, float *bias)
{
	int64_t have = c->ndim ? c->dims[c->ndim - 1] : 1;
	for (int64_t j = 0; j < cols; j++)
		bias[j] = n->attr.gemm.beta * cdata[have == 1 ? 0 : j];
}

static int prepare_step(struct qx_exec_f32 *e, int i, struct qx_error *err)
{
	const struct qx_node *n = &e->g->nodes[i];
	struct step *s = &e->steps[i];
	const struct qx_tensor *x = in_t(e, n, 0), *y = &e->g->tensors[n->out[0]];
	switch (n->op) {
	case QX_OP_CONV: {
		const struct qx_conv_attr *a = &n->attr.conv;
		window_desc(x, y, a->kernel, a->stride, a->dilation, a->pad, &s->desc);
		s->desc.groups = a->group;
		s->desc.act_min = n->act_min;
		s->desc.act_max = n->act_max;
		/* Packed at the first run, not here: the int8 executor holds an fp32 executor for the
		 * nodes its plan leaves in float, and should not pack the convolutions it runs in int8. */
		const struct qx_tensor *w = in_t(e, n, 1), *b = in_t(e, n, 2);
		s->const_weights = w->is_const && (!b || b->is_const);
		return 0;
	}
	case QX_OP_BATCHNORM: {
		/* constant statistics on NCHW: the kernel table's batchnorm, sd worked out once as
		 * qx_node_eval does per call */
		int ok = x->ndim >= 2 && n->n_in >= 5;
		for (int j = 1; j < 5 && ok; j++)
			ok = in_t(e, n, j) && in_t(e, n, j)->is_const && in_t(e, n, j)->data &&
			     qx_tensor_numel(in_t(e, n, j)) == x->dims[1];
		if (!ok)
			return 0;
		const float *var = in_t(e, n, 4)->data;
		s->sd = malloc((size_t)(x->dims[1] > 0 ? x->dims[1] : 1) * sizeof *s->sd);
		if (!s->sd)
			return qx_fail_nomem(err, "preparing a BatchNormalization");
		for (int64_t c = 0; c < x->dims[1]; c++)
			s->sd[c] = sqrtf(var[c] + n->attr.epsilon);
		return 0;
	}
	case QX_OP_MAXPOOL:
	case QX_OP_AVGPOOL: {
		const struct qx_pool_attr *a = &n->attr.pool;
		window_desc(x, y, a->kernel, a->stride, a->dilation, a->pad, &s->desc);
		s->desc.groups = (int)s->desc.c;
		s->desc.act_min = n->act_min;
		s->desc.act_max = n->act_max;
		return 0;
	}
	case QX_OP_GEMM: {
		const struct qx_tensor *c = in_t(e, n, 2), *b = in_t(e, n, 1);
		int64_t cols = y->dims[1];
		if (n->attr.gemm.trans_b && b->is_const && b->data && b->ndim == 2) {
			/* an FC layer's [n][k] weights: transposed once, so that matmul's packing copies
			 * whole rows instead of walking each column on every call */
			int64_t bn = b->dims[0], bk = b->dims[1];
			s->bt = malloc((size_t)(bn * bk > 0 ? bn * bk : 1) * sizeof *s->bt);
			if (!s->bt)
				return qx_fail_nomem(err, "preparing a Gemm");
			for (int64_t j = 0; j < bn; j++)
				for (int64_t kk = 0; kk < bk; kk++)
					s->bt[kk * bn + j] = b->data[j * bk + kk];
		}
		s->gemm_fast = n->attr.gemm.alpha == 1.0f && (!c || c_is_row(c, cols));
		if (s->gemm_fast && c) {
			s->bias = malloc((size_t)(cols ? cols : 1) * sizeof *s->bias);
			if (!s->bias)
				return qx_fail_nomem(err, "preparing a Gemm");
			if (c->is_const)
				fill_gemm_bias(n, c, c->data, cols, s->bias);
		}
		return 0;
	}
	default:
		return 0;
	}
}

int qx_exec_f32_create(const struct qx_graph *graph, int64_t batch, const struct qx_kernels *k,
                       struct qx_exec_f32 **out, struct qx_error *err)
{
	*out = NULL;
	struct qx_exec_f32 *e = calloc(1, sizeof *e);
	if (!e)
		return qx_fail_nomem(err, "creating the fp32 executor");
	int rc = qx_graph_clone(graph, &e->shaped, err);
	if (rc) {
		free(e);
		return rc;
	}
	e->g = &e->shaped;
	if ((rc = qx_graph_infer_shapes(e->g, batch, err))) {
		qx_exec_f32_free(e);
		return rc;
	}
	struct qx_graph *g = e->g;
	e->k = k;
	e->buf = calloc((size_t)g->n_tensors + 1, sizeof *e->buf);
	e->owned = calloc((size_t)g->n_tensors + 1, 1);
	e->steps = calloc((size_t)g->n_nodes + 1, sizeof *e->steps);
	int max_in = 1;
	for (int i = 0; i < g->n_nodes; i++)
		max_in = g->nodes[i].n_in > max_in ? g->nodes[i].n_in : max_in;
	e->eval_in = calloc((size_t)max_in, sizeof *e->eval_in);
	if (!e->buf || !e->owned || !e->steps || !e->eval_in) {
		qx_exec_f32_free(e);
		return qx_fail_nomem(err, "creating the fp32 executor");
	}
	for (int t = 0; t < g->n_tensors; t++) {
		const struct qx_tensor *x = &g->tensors[t];
		if (x->is_const) {
			e->buf[t] = x->data; /* NULL for I64 shapes */
			continue;
		}
		int is_input = 0;
		for (int i = 0; i < g->n_inputs; i++)
			is_input |= g->inputs[i] == t;
		if (x->producer < 0 && !is_input)
			continue; /* left behind by fusion: nothing writes it */
		int64_t n = qx_tensor_numel(x);
		e->buf[t] = malloc((size_t)(n ? n : 1) * sizeof(float));
		e->owned[t] = 1;
		if (!e->buf[t]) {
			qx_exec_f32_free(e);
			return qx_fail_nomem(err, "allocating activations");
		}
	}
	for (int i = 0; i < g->n_nodes; i++) {
		if ((rc = prepare_step(e, i, err))) {
			qx_exec_f32_free(e);
			return rc;
		}
	}
	*out = e;
	return 0;
}

/* ---- ops without a kernel -------------------------------------------------------------- */

/* Broadcast a 2-D-broadcastable C into y (m x n) as y = alpha * y + beta * C. */
static void gemm_general_epilogue(const struct qx_node *n, const struct qx_tensor *c,
                                  const float *cdata, int64_t m, int64_t cols, float *y)
{
	int64_t crows = c && c->ndim == 2 ? c->dims[0] : 1;
	int64_t ccols = c && c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < cols; j++) {
			float v = n->attr.gemm.alpha * y[i * cols + j];
			if (c)
				v += n->attr.gemm.beta * cdata[(crows == 1 ? 0 : i) * ccols + (ccols == 1 ? 0 : j)];
			v = v < n->act_min ? n->act_min : v;
			y[i * cols + j] = v > n->act_max ? n->act_max : v;
		}
}

static void run_gemm(const struct qx_exec_f32 *e, const struct step *s, const struct qx_node *n,
                     float *y)
{
	const struct qx_gemm_attr *a = &n->attr.gemm;
	const struct qx_tensor *ta = in_t(e, n, 0), *tb = in_t(e, n, 1), *tc = in_t(e, n, 2);
	const float *A = in_buf(e, n, 0), *B = in_buf(e, n, 1), *C = in_buf(e, n, 2);
	int64_t m = a->trans_a ? ta->dims[1] : ta->dims[0];
	int64_t k = a->trans_a ? ta->dims[0] : ta->dims[1];
	int64_t cols = a->trans_b ? tb->dims[0] : tb->dims[1];
	int64_t a_rs = a->trans_a ? 1 : k, a_cs = a->trans_a ? m : 1;
	int64_t b_rs = a->trans_b ? 1 : cols, b_cs = a->trans_b ? k : 1;
	if (s->bt) { /* the same values, [k][n] */
		B = s->bt;
		b_rs = cols;
		b_cs = 1;
	}
	if (s->gemm_fast) {
		if (tc && !tc->is_const)
			fill_gemm_bias(n, tc, C, cols, s->bias);
		e->k->f32->matmul(m, cols, k, A, a_rs, a_cs, B, b_rs, b_cs, tc ? s->bias : NULL,
		                  n->act_min, n->act_max, y, 0, m);
		return;
	}
	e->k->f32->matmul(m, cols, k, A, a_rs, a_cs, B, b_rs, b_cs, NULL, -INFINITY, INFINITY, y, 0, m);
	gemm_general_epilogue(n, tc, C, m, cols, y);
}

/* N-D MatMul: the last two dims multiply, the leading ones broadcast. */
static void run_matmul(const struct qx_exec_f32 *e, const struct qx_node *n, float *y)
{
	const struct qx_tensor *ta = in_t(e, n, 0), *tb = in_t(e, n, 1);
	const struct qx_tensor *ty = &e->g->tensors[n->out[0]];
	const float *A = in_buf(e, n, 0), *B = in_buf(e, n, 1);
	int64_t m = ta->dims[ta->ndim - 2], k = ta->dims[ta->ndim - 1], cols = tb->dims[tb->ndim - 1];
	int r = ty->ndim - 2;
	int64_t sa[QX_MAX_DIMS] = { 0 }, sb[QX_MAX_DIMS] = { 0 }, idx[QX_MAX_DIMS] = { 0 };
	int64_t st = m * k;
	for (int i = ta->ndim - 3; i >= 0; i--) {
		sa[r - (ta->ndim - 2) + i] = ta->dims[i] == 1 ? 0 : st;
		st *= ta->dims[i];
	}
	st = k * cols;
	for (int i = tb->ndim - 3; i >= 0; i--) {
		sb[r - (tb->ndim - 2) + i] = tb->dims[i] == 1 ? 0 : st;
		st *= tb->dims[i];
	}
	int64_t batches = 1;
	for (int i = 0; i < r; i++)
		batches *= ty->dims[i];
	for (int64_t bi = 0; bi < batches; bi++) {
		int64_t oa = 0, ob = 0;
		for (int d = 0; d < r; d++) {
			oa += idx[d] * sa[d];
			ob += idx[d] * sb[d];
		}
		e->k->f32->matmul(m, cols, k, A + oa, k, 1, B + ob, cols, 1, NULL, n->act_min,
		                  n->act_max, y + bi * m * cols, 0, m);
		for (int d = r - 1; d >= 0; d--) {
			if (++idx[d] < ty->dims[d])
				break;
			idx[d] = 0;
		}
	}
}

/* The clamp-like activations through the kernel table's unary (bit-identical to qx_node_eval's
 * loops, vectorized); returns -1 for a node it does not take (then qx_node_eval runs it). */
static int run_unary(const struct qx_exec_f32 *e, const struct qx_node *n, const float *x,
                     float *y, int64_t total)
{
	enum qx_nd_unop op;
	float alpha = 0.0f, beta = 0.0f;
	switch (n->op) {
	case QX_OP_RELU: op = QX_ND_RELU; break;
	case QX_OP_HARDSWISH: op = QX_ND_HARDSWISH; break;
	case QX_OP_HARDSIGMOID:
		op = QX_ND_HARDSIGMOID;
		alpha = n->attr.act.alpha;
		beta = n->attr.act.beta;
		break;
	case QX_OP_CLIP: {
		/* bounds as qx_node_eval reads them: the inputs when given, else the attributes */
		const float *lo = in_buf(e, n, 1), *hi = in_buf(e, n, 2);
		op = QX_ND_CLIP;
		alpha = lo ? *lo : n->act_min;
		beta = hi ? *hi : n->act_max;
		break;
	}
	default:
		return -1;
	}
	return e->k->f32->unary(op, alpha, beta, x, y, total);
}

#ifndef QX_F32_HSWISH_SLICE
#define QX_F32_HSWISH_SLICE 2048 /* floats: x, the HardSigmoid and the product, 24 KiB, in L1 */
#endif

/* A HardSigmoid and the Mul by its own input (qx_exec_f32_set_outputs_only) in turns, slice by
 * slice: the HardSigmoid's output goes to a slice on the stack (only the Mul reads it), the
 * product to the Mul's output. Mul's operands keep the node's order. */
static int run_hswish_slices(const struct qx_exec_f32 *e, const struct qx_node *n,
                             const struct step *s, const float *x, int64_t total)
{
	const struct qx_node *m = &e->g->nodes[s->hswish_mul - 1];
	const int h_first = m->in[0] == n->out[0];
	_Alignas(64) float h[QX_F32_HSWISH_SLICE];
	for (int64_t o = 0; o < total; o += QX_F32_HSWISH_SLICE) {
		int64_t len = total - o < QX_F32_HSWISH_SLICE ? total - o : QX_F32_HSWISH_SLICE;
		if (run_unary(e, n, x + o, h, len))
			return -1;
		if (e->k->f32->binary(QX_ND_MUL, h_first ? h : x + o, 0, h_first ? x + o : h, 0,
		                      s->fused_y + o, 1, len))
			return -1;
	}
	return 0;
}

/* A channel shuffle (struct shuffle): channel k of image n of the result is channel k / G of
 * input k % G; each plane goes to the Transpose's output, or to the Slice that takes it. */
static void run_shuffle(const struct qx_exec_f32 *e, const struct shuffle *sh)
{
	const int64_t G = sh->groups, K = G * sh->c;
	const size_t bytes = (size_t)sh->hw * sizeof(float);
	for (int64_t n = 0; n < sh->n; n++)
		for (int64_t k = 0; k < K; k++) {
			const float *src = e->buf[sh->in[k % G]] + (n * sh->c + k / G) * sh->hw;
			float *dst = NULL;
			if (!sh->slices)
				dst = e->buf[sh->out] + (n * K + k) * sh->hw;
			for (int j = 0; j < sh->slices; j++)
				if (k >= sh->slice_start[j] && k < sh->slice_start[j] + sh->slice_len[j])
					memcpy(e->buf[sh->slice_out[j]] +
					               (n * sh->slice_len[j] + k - sh->slice_start[j]) * sh->hw,
					       src, bytes);
			if (dst)
				memcpy(dst, src, bytes);
		}
}

/* Whether a (a [N,C,1,1] tensor) holds one value per plane of y ([N,C,H,W]). */
static int per_plane(const struct qx_tensor *a, const struct qx_tensor *y)
{
	return a->ndim == 4 && y->ndim == 4 && a->dims[0] == y->dims[0] &&
	       a->dims[1] == y->dims[1] && a->dims[2] == 1 && a->dims[3] == 1;
}

static int same_shape(const struct qx_tensor *a, const struct qx_tensor *y)
{
	if (a->ndim != y->ndim)
		return 0;
	for (int i = 0; i < a->ndim; i++)
		if (a->dims[i] != y->dims[i])
			return 0;
	return 1;
}

/* Add / Sub / Mul / Div through the kernel table's binary when the operands have y's shape or
 * one value per plane of it (bit-identical to qx_node_eval); -1 for other broadcasts. */
static int run_binary(const struct qx_exec_f32 *e, const struct qx_node *n, float *y)
{
	static const enum qx_nd_binop ops[QX_OP_COUNT] = {
		[QX_OP_ADD] = QX_ND_ADD, [QX_OP_SUB] = QX_ND_SUB, [QX_OP_MUL] = QX_ND_MUL,
		[QX_OP_DIV] = QX_ND_DIV,
	};
	const struct qx_tensor *ta = in_t(e, n, 0), *tb = in_t(e, n, 1);
	const struct qx_tensor *ty = &e->g->tensors[n->out[0]];
	const float *a = in_buf(e, n, 0), *b = in_buf(e, n, 1);
	if (n->n_in != 2 || !ta || !tb || !a || !b || ta->dtype != QX_DT_F32 ||
	    tb->dtype != QX_DT_F32)
		return -1;
	int a1 = !same_shape(ta, ty), b1 = !same_shape(tb, ty);
	if ((a1 && !per_plane(ta, ty)) || (b1 && !per_plane(tb, ty)))
		return -1;
	int64_t planes = ty->ndim == 4 ? ty->dims[0] * ty->dims[1] : 1;
	int64_t len = planes ? qx_tensor_numel(ty) / (planes ? planes : 1) : 0;
	if (!a1 && !b1) {
		planes = 1;
		len = qx_tensor_numel(ty);
	}
	return e->k->f32->binary(ops[n->op], a, a1, b, b1, y, planes, len);
}

/* Every op without a kernel: qx_node_eval on the node's buffers (constants: their values). */
static int run_generic(struct qx_exec_f32 *e, const struct qx_node *n, struct qx_error *err)
{
	void *outv[QX_MAX_OUTPUTS];
	for (int j = 0; j < n->n_in; j++) {
		const struct qx_tensor *t = in_t(e, n, j);
		e->eval_in[j] = !t ? NULL : (t->is_const ? qx_tensor_values(t) : e->buf[n->in[j]]);
	}
	for (int j = 0; j < n->n_out; j++)
		outv[j] = e->buf[n->out[j]];
	return qx_node_eval(e->g, n, e->eval_in, outv, err);
}

static int run_node(struct qx_exec_f32 *e, int i, struct qx_error *err)
{
	const struct qx_node *n = &e->g->nodes[i];
	struct step *s = &e->steps[i];
	const struct qx_tensor *ty = &e->g->tensors[n->out[0]];
	const float *x = in_buf(e, n, 0);
	float *y = s->fused_y ? s->fused_y : e->buf[n->out[0]];
	int64_t total = qx_tensor_numel(ty);
	if (s->fused_away)
		return 0;
	const struct qx_f32_conv_desc *d = &s->desc;
	switch (n->op) {
	case QX_OP_CONV:
		if (s->const_weights && !s->packed &&
		    e->k->f32->conv_pack(d, in_buf(e, n, 1), in_buf(e, n, 2), &s->packed))
			return qx_fail_nomem(err, "packing convolution weights");
		if (s->packed) {
			struct conv_call c = { e, s->packed, x, y };
			if (e->pool)
				qx_pool_run(e->pool, d->n * d->oc * d->oh, conv_rows, &c);
			else
				conv_rows(&c, 0, d->n * d->oc * d->oh);
		} else {
			void *packed;
			if (e->k->f32->conv_pack(d, in_buf(e, n, 1), in_buf(e, n, 2), &packed))
				return qx_fail_nomem(err, "packing convolution weights");
			e->k->f32->conv(packed, x, y, 0, d->n * d->oc * d->oh);
			e->k->f32->pack_free(packed);
		}
		return 0;
	case QX_OP_MAXPOOL:
		e->k->f32->maxpool(d, x, y, 0, d->n * d->c * d->oh);
		return 0;
	case QX_OP_AVGPOOL:
		e->k->f32->avgpool(d, n->attr.pool.count_include_pad, x, y, 0, d->n * d->c * d->oh);
		return 0;
	case QX_OP_GEMM:
		run_gemm(e, s, n, y);
		return 0;
	case QX_OP_MATMUL:
		run_matmul(e, n, y);
		return 0;
	case QX_OP_HARDSIGMOID:
		if (s->hswish_mul && run_hswish_slices(e, n, s, x, total) == 0)
			return 0;
		if (s->hswish_mul)
			return qx_fail(err, QX_EINTERNAL, "%s: node %s: HardSigmoid and Mul in slices "
			               "failed", e->g->path, n->name);
		/* fall through */
	case QX_OP_RELU:
	case QX_OP_CLIP:
	case QX_OP_HARDSWISH:
		if (run_unary(e, n, x, y, total) == 0)
			return 0;
		return run_generic(e, n, err);
	case QX_OP_BATCHNORM:
		if (!s->sd)
			return run_generic(e, n, err);
		{
			const struct qx_tensor *tx = in_t(e, n, 0);
			int64_t ch = tx->dims[1], planes = tx->dims[0] * ch;
			e->k->f32->batchnorm(x, y, planes, planes ? total / planes : 0, ch, in_buf(e, n, 3),
			                     s->sd, in_buf(e, n, 1), in_buf(e, n, 2));
		}
		return 0;
	case QX_OP_SIGMOID:
		if (!e->fast_sigmoid)
			return run_generic(e, n, err);
		if (s->fused_y)
			e->k->f32->silu(x, y, total);
		else
			e->k->f32->sigmoid(x, y, total);
		return 0;
	case QX_OP_TRANSPOSE:
		if (!s->shuffle)
			return run_generic(e, n, err);
		run_shuffle(e, s->shuffle);
		return 0;
	case QX_OP_ADD:
	case QX_OP_SUB:
	case QX_OP_MUL:
	case QX_OP_DIV:
		if (run_binary(e, n, y) == 0)
			return 0;
		return run_generic(e, n, err);
	default:
		return run_generic(e, n, err);
	}
}

int qx_exec_f32_run(struct qx_exec_f32 *e, const float *const *inputs, struct qx_error *err)
{
	struct qx_graph *g = e->g;
	for (int i = 0; i < g->n_inputs; i++) {
		int t = g->inputs[i];
		int64_t n = qx_tensor_numel(&g->tensors[t]);
		if (n)
			memcpy(e->buf[t], inputs[i], (size_t)n * sizeof(float));
	}
	for (int i = 0; i < g->n_nodes; i++) {
		int rc = run_node(e, i, err);
		if (rc)
			return rc;
	}
	return 0;
}

const float *qx_exec_f32_tensor(const struct qx_exec_f32 *e, int t)
{
	if (!e || t < 0 || t >= e->g->n_tensors)
		return NULL;
	return e->buf[t];
}

void qx_exec_f32_free(struct qx_exec_f32 *e)
{
	if (!e)
		return;
	if (e->steps)
		for (int i = 0; i < e->g->n_nodes; i++) {
			if (e->steps[i].packed)
				e->k->f32->pack_free(e->steps[i].packed);
			free(e->steps[i].bias);
			free(e->steps[i].bt);
			free(e->steps[i].sd);
			free(e->steps[i].shuffle);
		}
	if (e->buf && e->owned)
		for (int t = 0; t < e->g->n_tensors; t++)
			if (e->owned[t])
				free(e->buf[t]);
	free(e->buf);
	free(e->owned);
	free(e->steps);
	free(e->eval_in);
	qx_graph_free(&e->shaped);
	free(e);
}

const struct qx_graph *qx_exec_f32_graph(const struct qx_exec_f32 *e)
{
	return e->g;
}

/* ---- single nodes, for the int8 executor's float parts ---------------------------------- */

float *qx_exec_f32_buffer(struct qx_exec_f32 *e, int t)
{
	if (!e || t < 0 || t >= e->g->n_tensors)
		return NULL;
	return (float *)e->buf[t];
}

int qx_exec_f32_run_node(struct qx_exec_f32 *e, int node, struct qx_error *err)
{
	if (node < 0 || node >= e->g->n_nodes)
		return qx_fail(err, QX_EINTERNAL, "%s: no node %d", e->g->path, node);
	return run_node(e, node, err);
}
