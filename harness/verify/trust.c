/* The MISTRUSTED check: the int8 executor against the reference simulation (trust.h). */
#include "verify/trust.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/eval.h"
#include "exec/exec_q8.h"
#include "verify/refsim.h"
#include "util/batch_pass.h"

/* What one check keeps per image. */
struct image_cmp {
	double diff;               /* max |int8 - simulation| logit, absolute */
	double sum;                /* sum of |int8 - simulation| over the logits, absolute */
	int flip;                  /* top-1 classes differ */
};

/* One thread's models and buffers; the per-image comparisons are shared (each image at its own
 * index), the rest is merged after the pass (sums of integers, minima and maxima: the same
 * whatever thread saw which batch). */
struct checker {
	struct qx_exec_q8 *q8;
	struct qx_refsim *sim;
	struct qx_refsim_local *local;  /* per graph tensor */
	float *images, *first, *second;
	struct image_cmp *cmp;          /* shared: [n_images] */
	int nc;
	double lo, hi;             /* simulation's logit range, for a float output's step */
	int unwritten;             /* check 1 failed on a batch this thread ran */
	int64_t nonfinite;
};

/* The whole check, shared by its threads (util/batch_pass.h). */
struct trust_job {
	const struct qx_graph *g;
	const struct qx_quant_plan *plan;
	const struct qx_kernels *k;
	int64_t batch, n_images, image_floats;
	const struct qx_dataset *ds;
	const struct qx_preprocess *pp;
	struct image_cmp *cmp;
	struct checker c[QX_BATCH_PASS_MAX_THREADS];
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

static void compare_batch(struct checker *c, const float *sim, int64_t first, int64_t n)
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
		c->nonfinite += !finite;
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

static int trust_init(void *ctx, int thread, struct qx_error *err)
{
	struct trust_job *job = ctx;
	struct checker *c = &job->c[thread];
	*c = (struct checker){ .nc = job->ds->n_classes, .lo = INFINITY, .hi = -INFINITY,
	                       .cmp = job->cmp };
	int64_t out_floats = job->batch * c->nc;
	c->images = calloc((size_t)(job->batch * job->image_floats), sizeof(float));
	c->first = malloc(sizeof(float) * (size_t)out_floats);
	c->second = malloc(sizeof(float) * (size_t)out_floats);
	c->local = calloc((size_t)job->g->n_tensors + 1, sizeof *c->local);
	if (!c->images || !c->first || !c->second || !c->local)
		return qx_fail_nomem(err, "allocating the trust check");
	int rc = qx_exec_q8_create(job->g, job->plan, job->batch, job->k, &c->q8, err);
	if (!rc)
		rc = qx_refsim_create(job->g, job->plan, job->batch, job->k, &c->sim, err);
	return rc;
}

static int trust_batch(void *ctx, int thread, int64_t b, struct qx_error *err)
{
	struct trust_job *job = ctx;
	struct checker *c = &job->c[thread];
	int64_t n = qx_dataset_preprocess_batch(job->ds, job->pp, b, job->batch, job->n_images,
	                                        c->images);
	int differs = 0;
	int rc = run_poisoned(c, job->batch * c->nc, err, &differs);
	c->unwritten |= differs;
	const float *in = c->images;
	if (!rc)
		rc = qx_refsim_run(c->sim, &in, err);
	if (!rc) {
		compare_batch(c, qx_refsim_output(c->sim, 0), b * job->batch, n);
		rc = qx_refsim_check_local(c->sim, c->q8, c->local, err);
	}
	return rc;
}

/* Frees the thread's models; what it found stays for merge(). */
static void trust_fini(void *ctx, int thread)
{
	struct checker *c = &((struct trust_job *)ctx)->c[thread];
	qx_exec_q8_free(c->q8);
	qx_refsim_free(c->sim);
	free(c->images);
	free(c->first);
	free(c->second);
	c->q8 = NULL;
	c->sim = NULL;
	c->images = c->first = c->second = NULL;
}

/* Thread t's findings into thread 0's (into's local check, range and counts). */
static void merge(struct checker *into, const struct checker *c, int n_tensors)
{
	into->lo = c->lo < into->lo ? c->lo : into->lo;
	into->hi = c->hi > into->hi ? c->hi : into->hi;
	into->unwritten |= c->unwritten;
	into->nonfinite += c->nonfinite;
	for (int t = 0; c->local && t < n_tensors; t++) {
		struct qx_refsim_local *a = &into->local[t];
		const struct qx_refsim_local *l = &c->local[t];
		a->values += l->values;
		a->ties += l->ties;
		a->unexplained += l->unexplained;
		a->max_steps = l->max_steps > a->max_steps ? l->max_steps : a->max_steps;
	}
}

int qx_trust_check(const struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_kernels *k, int64_t batch, const struct qx_dataset *ds,
                   const struct qx_preprocess *pp, int64_t n_images, int threads,
                   struct qx_trust *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (n_images > ds->count)
		n_images = ds->count;
	if (n_images < 0)
		n_images = 0;
	if (threads < 1)
		threads = 1;
	if (threads > QX_BATCH_PASS_MAX_THREADS)
		threads = QX_BATCH_PASS_MAX_THREADS;
	struct trust_job *job = calloc(1, sizeof *job);
	struct image_cmp *cmp = calloc((size_t)n_images + 1, sizeof *cmp);
	if (!job || !cmp) {
		free(job);
		free(cmp);
		return qx_fail_nomem(err, "allocating the trust check");
	}
	*job = (struct trust_job){ .g = g, .plan = plan, .k = k, .batch = batch,
	                           .n_images = n_images,
	                           .image_floats = (int64_t)ds->c * ds->h * ds->w, .ds = ds,
	                           .pp = pp, .cmp = cmp };
	struct qx_batch_pass pass = {
		.what = "the trust check", .n_batches = (n_images + batch - 1) / batch,
		.threads = threads, .ctx = job, .init = trust_init, .run = trust_batch,
		.fini = trust_fini,
	};
	int used = qx_batch_pass_run(&pass, err);
	int rc = used < 0 ? used : 0;
	if (!rc) {
		for (int t = 1; t < used; t++)
			merge(&job->c[0], &job->c[t], g->n_tensors);
		out->images = n_images;
		out->unwritten = job->c[0].unwritten;
		out->nonfinite = job->c[0].nonfinite;
		conclude(&job->c[0], g, plan, out);
	}
	for (int t = 0; t < QX_BATCH_PASS_MAX_THREADS; t++)
		free(job->c[t].local);
	free(job);
	free(cmp);
	return rc;
}
