#include "exec/bitexact.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec/exec_q8.h"

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

/* qx_bitexact_check_sets: batches handed out in order to threads, each with its own reference
 * model and one model per other set. */
struct sets_job {
	const struct qx_graph *g;
	const struct qx_quant_plan *plan;
	const struct qx_kernels *ref;
	const struct qx_kernels *const *others;
	int n_others;
	int64_t batch, n_images, n_batches;
	const struct qx_dataset *ds;
	const struct qx_preprocess *pp;
	char (*where)[512];            /* [n_batches * n_others]: "" where identical */
	_Atomic int64_t next;          /* the next batch to take */
	_Atomic int stop;
	pthread_mutex_t lock;
	int64_t err_batch;             /* the earliest batch that failed to run, or -1 */
	int err_rc;
	struct qx_error err;
};

static void *sets_thread(void *arg)
{
	struct sets_job *job = arg;
	int n = job->n_others;
	struct qx_exec_q8 *models[1 + QX_BITEXACT_MAX_SETS] = { 0 };
	struct qx_kernels other_q8[QX_BITEXACT_MAX_SETS];
	int64_t image_floats = (int64_t)job->ds->c * job->ds->h * job->ds->w;
	float *images = calloc((size_t)(job->batch * image_floats), sizeof(float));
	struct qx_error err = { 0 };
	int rc = images ? 0 : qx_fail_nomem(&err, "allocating the bit-exactness batch");
	int64_t b = -1;
	/* As in qx_bitexact_check, every model runs its float nodes on the same fp32 kernels, here
	 * the first other set's (the fastest in a run's order): the claim is about the int8
	 * kernels, and scalar fp32 made a dynamic plan's check (float convolutions) twice as slow. */
	struct qx_kernels ref_q8 = *job->ref;
	ref_q8.f32 = job->others[0]->f32;
	if (!rc)
		rc = qx_exec_q8_create(job->g, job->plan, job->batch, &ref_q8, &models[0], &err);
	for (int i = 0; !rc && i < n; i++) {
		other_q8[i] = *job->others[i];
		other_q8[i].f32 = ref_q8.f32;
		rc = qx_exec_q8_create(job->g, job->plan, job->batch, &other_q8[i], &models[1 + i],
		                       &err);
	}
	while (!rc && !atomic_load(&job->stop)) {
		b = atomic_fetch_add(&job->next, 1);
		if (b >= job->n_batches)
			break;
		int64_t first = b * job->batch;
		int64_t cnt = job->n_images - first < job->batch ? job->n_images - first : job->batch;
		qx_dataset_preprocess(job->ds, job->pp, first, cnt, images);
		const float *in = images;
		rc = qx_exec_q8_run(models[0], &in, &err);
		for (int i = 0; !rc && i < n; i++) {
			rc = qx_exec_q8_run(models[1 + i], &in, &err);
			struct qx_bitexact one = { 0 };
			if (!rc && !compare_steps(models[0], models[1 + i], job->ref->name,
			                          job->others[i]->name, first, &one))
				memcpy(job->where[b * n + i], one.where, sizeof one.where);
		}
	}
	if (rc) {
		pthread_mutex_lock(&job->lock);
		if (job->err_batch < 0 || (b >= 0 && b < job->err_batch)) {
			job->err_batch = b < 0 ? 0 : b;
			job->err_rc = rc;
			job->err = err;
		}
		pthread_mutex_unlock(&job->lock);
		atomic_store(&job->stop, 1);
	}
	for (int i = 0; i <= n; i++)
		qx_exec_q8_free(models[i]);
	free(images);
	return NULL;
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
	struct sets_job job = { .g = g, .plan = plan, .ref = ref, .others = others,
	                        .n_others = n_others, .batch = batch, .n_images = n_images,
	                        .n_batches = n_batches, .ds = ds, .pp = pp, .err_batch = -1 };
	job.where = calloc((size_t)(n_batches * n_others), sizeof *job.where);
	if (!job.where)
		return qx_fail_nomem(err, "allocating the bit-exactness results");
	pthread_mutex_init(&job.lock, NULL);
	pthread_t tid[QX_BITEXACT_MAX_THREADS];
	int started = 1;
	for (int t = 1; t < threads; t++) {
		if (pthread_create(&tid[t], NULL, sets_thread, &job))
			break; /* fewer threads: the others take its batches */
		started = t + 1;
	}
	sets_thread(&job);
	for (int t = 1; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&job.lock);
	int rc = 0;
	if (job.err_batch >= 0) {
		rc = job.err_rc;
		*err = job.err;
	} else {
		/* Each set's verdict is its first differing batch, as a one-thread check stops there. */
		for (int i = 0; i < n_others; i++)
			for (int64_t b = 0; b < n_batches; b++)
				if (job.where[b * n_others + i][0]) {
					out[i].identical = 0;
					int64_t end = (b + 1) * batch;
					out[i].images = end < n_images ? end : n_images;
					memcpy(out[i].where, job.where[b * n_others + i], sizeof out[i].where);
					break;
				}
	}
	free(job.where);
	return rc;
}
