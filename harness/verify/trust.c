/* The MISTRUSTED check: the int8 executor against the reference simulation (trust.h). */
#include "verify/trust.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/eval.h"
#include "exec/exec_q8.h"
#include "verify/refsim.h"

/* What one check keeps per image. */
struct image_cmp {
	double diff;               /* max |int8 - simulation| logit, absolute */
	double sum;                /* sum of |int8 - simulation| over the logits, absolute */
	int flip;                  /* top-1 classes differ */
};

struct checker {
	struct qx_exec_q8 *q8;
	struct qx_refsim *sim;
	struct qx_refsim_local *local;  /* per graph tensor */
	float *images, *first, *second;
	struct image_cmp *cmp;
	int nc;
	double lo, hi;             /* simulation's logit range, for a float output's step */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Runs the int8 model twice, poisoned differently; 1 when the outputs differ. */
static int run_poisoned(struct checker *c, int64_t floats, struct qx_error *err, int *differs)
{
	const float *in = c->images;
	qx_exec_q8_poison(c->q8, 0x00);
	int rc = qx_exec_q8_run(c->q8, &in, err);
	if (rc)
		return rc;
	memcpy(c->first, qx_exec_q8_output(c->q8, 0), sizeof(float) * (size_t)floats);
	qx_exec_q8_poison(c->q8, 0xa5);
	rc = qx_exec_q8_run(c->q8, &in, err);
	if (rc)
		return rc;
	memcpy(c->second, qx_exec_q8_output(c->q8, 0), sizeof(float) * (size_t)floats);
	*differs = memcmp(c->first, c->second, sizeof(float) * (size_t)floats) != 0;
	return 0;
}

static void compare_batch(struct checker *c, const float *sim, int64_t first, int64_t n,
                          struct qx_trust *out)
{
	for (int64_t i = 0; i < n; i++) {
		const float *q = c->first + i * c->nc, *r = sim + i * c->nc;
		struct image_cmp *m = &c->cmp[first + i];
		int finite = 1;
		m->diff = m->sum = 0.0;
		for (int j = 0; j < c->nc; j++) {
			finite &= isfinite(q[j]);
			double d = fabs((double)q[j] - (double)r[j]);
			m->diff = d > m->diff || isnan(d) ? d : m->diff;
			m->sum += d;
			c->lo = r[j] < c->lo ? r[j] : c->lo;
			c->hi = r[j] > c->hi ? r[j] : c->hi;
		}
		out->nonfinite += !finite;
		int tq = qx_argmax(q, c->nc), tr = qx_argmax(r, c->nc);
		m->flip = tq != tr;
	}
}

/* The local check's totals and its worst tensor. */
static void sum_local(const struct checker *c, const struct qx_graph *g, struct qx_trust *out)
{
	for (int t = 0; t < g->n_tensors; t++) {
		const struct qx_refsim_local *l = &c->local[t];
		if (!l->values)
			continue;
		out->tensors++;
		out->values += l->values;
		out->ties += l->ties;
		out->unexplained += l->unexplained;
		double share = (double)l->unexplained / (double)l->values;
		if (l->unexplained && share > out->worst_share) {
			out->worst_share = share;
			out->worst_steps = l->max_steps;
			snprintf(out->worst, sizeof out->worst, "%s", g->tensors[t].name);
		}
	}
}

/* Turns the comparisons into the figures and the verdict. */
static void conclude(struct checker *c, const struct qx_graph *g, const struct qx_quant_plan *plan,
                     struct qx_trust *out)
{
	int64_t n = out->images;
	const struct qx_tensor_qparams *oq = &plan->tensor[g->outputs[0]];
	out->step_from_plan = oq->dtype == QX_PLAN_UINT8 && oq->n_channels == 1;
	out->step = out->step_from_plan ? oq->scales[0] : (c->hi - c->lo) / 255.0;
	if (!(out->step > 0.0))
		out->step = 1.0;
	double *d = malloc(sizeof(double) * (size_t)(n ? n : 1));
	int64_t flips = 0;
	double sum = 0.0;
	for (int64_t i = 0; i < n; i++) {
		const struct image_cmp *m = &c->cmp[i];
		sum += m->sum;
		double steps = m->diff / out->step;
		if (d)
			d[i] = isnan(steps) ? INFINITY : steps;
		flips += m->flip;
	}
	if (d && n) {
		qsort(d, (size_t)n, sizeof *d, cmp_double);
		out->diff_median = d[n / 2];
		out->diff_p99 = d[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
		out->diff_max = d[n - 1];
	}
	free(d);
	out->agree = n ? 100.0 * (double)(n - flips) / (double)n : 100.0;
	out->diff_mean = n ? sum / ((double)n * c->nc) / out->step : 0.0;
	sum_local(c, g, out);

	out->trusted = 0;
	if (out->unwritten)
		snprintf(out->why, sizeof out->why, "the int8 outputs depend on memory no step wrote "
		         "(two runs with differently poisoned buffers disagree)");
	else if (out->nonfinite)
		snprintf(out->why, sizeof out->why, "%lld of %lld images have non-finite int8 logits",
		         (long long)out->nonfinite, (long long)n);
	else if (out->worst_share > QX_TRUST_MAX_UNEXPLAINED)
		snprintf(out->why, sizeof out->why, "tensor '%s': %.3g%% of its int8 values differ from "
		         "the reference simulation of their own step by more than a rounding tie "
		         "explains (largest difference %.3g)", out->worst, 100.0 * out->worst_share,
		         out->worst_steps);
	else
		out->trusted = 1;
}

int qx_trust_check(const struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_kernels *k, int64_t batch, const struct qx_dataset *ds,
                   const struct qx_preprocess *pp, int64_t n_images, struct qx_trust *out,
                   struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (n_images > ds->count)
		n_images = ds->count;
	if (n_images < 0)
		n_images = 0;
	struct checker c = { .nc = ds->n_classes, .lo = INFINITY, .hi = -INFINITY };
	int64_t image_floats = (int64_t)ds->c * ds->h * ds->w;
	int64_t out_floats = batch * c.nc;
	c.images = calloc((size_t)(batch * image_floats), sizeof(float));
	c.first = malloc(sizeof(float) * (size_t)out_floats);
	c.second = malloc(sizeof(float) * (size_t)out_floats);
	c.cmp = calloc((size_t)n_images + 1, sizeof *c.cmp);
	c.local = calloc((size_t)g->n_tensors + 1, sizeof *c.local);
	int rc = 0;
	if (!c.images || !c.first || !c.second || !c.cmp || !c.local)
		rc = qx_fail_nomem(err, "allocating the trust check");
	if (!rc)
		rc = qx_exec_q8_create(g, plan, batch, k, &c.q8, err);
	if (!rc)
		rc = qx_refsim_create(g, plan, batch, k, &c.sim, err);
	for (int64_t first = 0; !rc && first < n_images; first += batch) {
		int64_t n = n_images - first < batch ? n_images - first : batch;
		qx_dataset_preprocess(ds, pp, first, n, c.images);
		memset(c.images + n * image_floats, 0, sizeof(float) * (size_t)((batch - n) * image_floats));
		int differs = 0;
		rc = run_poisoned(&c, out_floats, err, &differs);
		out->unwritten |= differs;
		const float *in = c.images;
		if (!rc)
			rc = qx_refsim_run(c.sim, &in, err);
		if (!rc) {
			compare_batch(&c, qx_refsim_output(c.sim, 0), first, n, out);
			out->images = first + n;
			rc = qx_refsim_check_local(c.sim, c.q8, c.local, err);
		}
	}
	if (!rc)
		conclude(&c, g, plan, out);
	qx_exec_q8_free(c.q8);
	qx_refsim_free(c.sim);
	free(c.images);
	free(c.first);
	free(c.second);
	free(c.cmp);
	free(c.local);
	return rc;
}
