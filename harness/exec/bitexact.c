#include "exec/bitexact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_q8.h"
#include "util/batch_pass.h"

/* Compares every step of a and b after one run; fills out->where on the first difference. */
static int compare_steps(const struct qx_exec_q8 *a, const struct qx_exec_q8 *b,
                         const char *name_a, const char *name_b, int64_t first_image,
                         struct qx_bitexact *out)
{
	int n = qx_exec_q8_n_steps(a);
	for (int s = 0; s < n; s++) {
		int64_t bytes_a, bytes_b;
		const char *node, *what;
		const uint8_t *pa = qx_exec_q8_step_output(a, s, &bytes_a, &node, &what);
		const uint8_t *pb = qx_exec_q8_step_output(b, s, &bytes_b, &node, &what);
		if (bytes_a == bytes_b && memcmp(pa, pb, (size_t)bytes_a) == 0)
			continue;
		int64_t at = 0;
		while (at < bytes_a && at < bytes_b && pa[at] == pb[at])
			at++;
		snprintf(out->where, sizeof out->where,
		         "%s%s%s(%s): byte %lld of the batch at image %lld: %s gives %d, %s %d",
		         node ? "node '" : "", node ? node : "", node ? "' " : "", what, (long long)at,
		         (long long)first_image, name_b, at < bytes_b ? pb[at] : -1, name_a,
		         at < bytes_a ? pa[at] : -1);
		return 0;
	}
	return 1;
}

int qx_bitexact_check(const struct qx_graph *g, const struct qx_quant_plan *plan,
                      const struct qx_kernels *ref, const struct qx_kernels *other, int64_t batch,
                      const struct qx_dataset *ds, const struct qx_preprocess *pp,
                      int64_t n_images, struct qx_bitexact *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	out->identical = 1;
	if (n_images > ds->count)
		n_images = ds->count;
	struct qx_exec_q8 *a = NULL, *b = NULL;
	int64_t image_floats = (int64_t)ds->c * ds->h * ds->w;
	float *images = calloc((size_t)(batch * image_floats), sizeof(float));
	if (!images)
		return qx_fail_nomem(err, "allocating the bit-exactness batch");
	/* The claim is about the int8 kernels: fp32 kernels may round differently from set to set
	 * (sums in another order), so the nodes a plan leaves in float run on the reference's fp32
	 * kernels in both models, and every int8 step sees the same inputs. */
	struct qx_kernels other_q8 = *other;
	other_q8.f32 = ref->f32;
	int rc = qx_exec_q8_create(g, plan, batch, ref, &a, err);
	if (!rc)
		rc = qx_exec_q8_create(g, plan, batch, &other_q8, &b, err);
	for (int64_t first = 0; !rc && first < n_images && out->identical; first += batch) {
		int64_t n = n_images - first < batch ? n_images - first : batch;
		qx_dataset_preprocess(ds, pp, first, n, images);
		const float *in = images;
		rc = qx_exec_q8_run(a, &in, err);
		if (!rc)
			rc = qx_exec_q8_run(b, &in, err);
		if (!rc) {
			out->identical = compare_steps(a, b, ref->name, other->name, first, out);
			out->images = first + n;
		}
	}
	qx_exec_q8_free(a);
	qx_exec_q8_free(b);
	free(images);
	return rc;
}

/* qx_bitexact_check_sets: batches handed out in order to threads (util/batch_pass.h), each
 * thread with its own reference model and one model per other set. */
struct sets_thread {
	struct qx_exec_q8 *models[1 + QX_BITEXACT_MAX_SETS]; /* [0]: ref, [1 + i]: others[i] */
	/* their kernel tables (an executor keeps a pointer to its table) */
	struct qx_kernels sets[1 + QX_BITEXACT_MAX_SETS];
	float *images;
};

struct sets_job {
	const struct qx_graph *g;
	const struct qx_quant_plan *plan;
	const struct qx_kernels *ref;
	const struct qx_kernels *const *others;
	int n_others;
	int64_t batch, n_images;
	const struct qx_dataset *ds;
	const struct qx_preprocess *pp;
	char (*where)[512];            /* [n_batches * n_others]: "" where identical */
	struct sets_thread t[QX_BITEXACT_MAX_THREADS];
};

static int sets_init(void *ctx, int thread, struct qx_error *err)
{
	struct sets_job *job = ctx;
	struct sets_thread *t = &job->t[thread];
	int64_t image_floats = (int64_t)job->ds->c * job->ds->h * job->ds->w;
	t->images = calloc((size_t)(job->batch * image_floats), sizeof(float));
	if (!t->images)
		return qx_fail_nomem(err, "allocating the bit-exactness batch");
	/* As in qx_bitexact_check, every model runs its float nodes on the same fp32 kernels, here
	 * the first other set's (the fastest in a run's order): the claim is about the int8
	 * kernels, and scalar fp32 made a dynamic plan's check (float convolutions) twice as slow. */
	t->sets[0] = *job->ref;
	t->sets[0].f32 = job->others[0]->f32;
	for (int i = 0; i < job->n_others; i++) {
		t->sets[1 + i] = *job->others[i];
		t->sets[1 + i].f32 = t->sets[0].f32;
	}
	int rc = 0;
	for (int i = 0; !rc && i <= job->n_others; i++)
		rc = qx_exec_q8_create(job->g, job->plan, job->batch, &t->sets[i], &t->models[i], err);
	return rc;
}

static int sets_batch(void *ctx, int thread, int64_t b, struct qx_error *err)
{
	struct sets_job *job = ctx;
	struct sets_thread *t = &job->t[thread];
	int n = job->n_others;
	int64_t first = b * job->batch;
	int64_t cnt = job->n_images - first < job->batch ? job->n_images - first : job->batch;
	qx_dataset_preprocess(job->ds, job->pp, first, cnt, t->images);
	const float *in = t->images;
	int rc = qx_exec_q8_run(t->models[0], &in, err);
	for (int i = 0; !rc && i < n; i++) {
		rc = qx_exec_q8_run(t->models[1 + i], &in, err);
		struct qx_bitexact one = { 0 };
		if (!rc && !compare_steps(t->models[0], t->models[1 + i], job->ref->name,
		                          job->others[i]->name, first, &one))
			memcpy(job->where[b * n + i], one.where, sizeof one.where);
	}
	return rc;
}

static void sets_fini(void *ctx, int thread)
{
	struct sets_job *job = ctx;
	struct sets_thread *t = &job->t[thread];
	for (int i = 0; i <= job->n_others; i++)
		qx_exec_q8_free(t->models[i]);
	free(t->images);
	memset(t, 0, sizeof *t);
}

int qx_bitexact_check_sets(const struct qx_graph *g, const struct qx_quant_plan *plan,
                           const struct qx_kernels *ref, const struct qx_kernels *const *others,
                           int n_others, int64_t batch, const struct qx_dataset *ds,
                           const struct qx_preprocess *pp, int64_t n_images, int threads,
                           struct qx_bitexact *out, struct qx_error *err)
{
	if (n_others < 0 || n_others > QX_BITEXACT_MAX_SETS || batch < 1)
		return qx_fail(err, QX_EINTERNAL, "bit-exactness check of %d sets at batch %lld",
		               n_others, (long long)batch);
	if (n_images > ds->count)
		n_images = ds->count;
	if (n_images < 0)
		n_images = 0;
	int64_t n_batches = (n_images + batch - 1) / batch;
	for (int i = 0; i < n_others; i++) {
		memset(&out[i], 0, sizeof out[i]);
		out[i].identical = 1;
		out[i].images = n_images;
	}
	if (n_others == 0 || n_batches == 0)
		return 0;
	if (threads < 1)
		threads = 1;
	if (threads > n_batches)
		threads = (int)n_batches;
	if (threads > QX_BITEXACT_MAX_THREADS)
		threads = QX_BITEXACT_MAX_THREADS;
	struct sets_job *job = calloc(1, sizeof *job);
	if (!job)
		return qx_fail_nomem(err, "allocating the bit-exactness check");
	*job = (struct sets_job){ .g = g, .plan = plan, .ref = ref, .others = others,
	                          .n_others = n_others, .batch = batch, .n_images = n_images,
	                          .ds = ds, .pp = pp };
	job->where = calloc((size_t)(n_batches * n_others), sizeof *job->where);
	if (!job->where) {
		free(job);
		return qx_fail_nomem(err, "allocating the bit-exactness results");
	}
	struct qx_batch_pass pass = {
		.what = "the bit-identity check", .n_batches = n_batches, .threads = threads,
		.ctx = job, .init = sets_init, .run = sets_batch, .fini = sets_fini,
	};
	int rc = qx_batch_pass_run(&pass, err);
	rc = rc < 0 ? rc : 0;
	if (!rc) {
		/* Each set's verdict is its first differing batch, as a one-thread check stops there. */
		for (int i = 0; i < n_others; i++)
			for (int64_t b = 0; b < n_batches; b++)
				if (job->where[b * n_others + i][0]) {
					out[i].identical = 0;
					int64_t end = (b + 1) * batch;
					out[i].images = end < n_images ? end : n_images;
					memcpy(out[i].where, job->where[b * n_others + i], sizeof out[i].where);
					break;
				}
	}
	free(job->where);
	free(job);
	return rc;
}
