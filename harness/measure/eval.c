#include "measure/eval.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/batch_pass.h"

int qx_argmax(const float *v, int n)
{
	int best = 0;
	for (int i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

static double now_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One evaluation shared by its threads (util/batch_pass.h hands out the batches). */
struct eval_job {
	const struct qx_model_runner *m;   /* one per thread */
	const struct qx_dataset *ds;
	const struct qx_preprocess *pp;
	int64_t total, keep_logits, batch;
	struct qx_eval_result *out;
	float *images[QX_EVAL_MAX_THREADS], *outputs[QX_EVAL_MAX_THREADS];
	_Atomic int64_t done;              /* images finished, for progress */
	void (*progress)(void *arg, int64_t done, int64_t total);
	void *progress_arg;
};

static int eval_batch(void *ctx, int thread, int64_t b, struct qx_error *err)
{
	struct eval_job *job = ctx;
	const struct qx_model_runner *m = &job->m[thread];
	int nc = job->ds->n_classes;
	int64_t first = b * job->batch;
	int64_t n = job->total - first < job->batch ? job->total - first : job->batch;
	qx_dataset_preprocess(job->ds, job->pp, first, n, job->images[thread]);
	int rc = m->run(m->ctx, job->images[thread], n, job->outputs[thread], err);
	if (rc)
		return rc;
	/* Each image's results land at its own index: the same whatever thread ran it. */
	for (int64_t i = 0; i < n; i++) {
		int64_t img = first + i;
		const float *row = job->outputs[thread] + i * nc;
		job->out->pred[img] = (uint8_t)qx_argmax(row, nc);
		if (img < job->keep_logits)
			memcpy(job->out->logits + img * nc, row, sizeof(float) * (size_t)nc);
	}
	int64_t done = atomic_fetch_add(&job->done, n) + n;
	/* Progress from the caller's thread only: the callback need not be thread-safe. */
	if (thread == 0 && job->progress && done < job->total)
		job->progress(job->progress_arg, done, job->total);
	return 0;
}

int qx_eval_run(const struct qx_model_runner *m, const struct qx_dataset *ds,
                const struct qx_preprocess *pp, int64_t limit, int64_t keep_logits,
                void (*progress)(void *arg, int64_t done, int64_t total), void *progress_arg,
                struct qx_eval_result *out, struct qx_error *err)
{
	return qx_eval_run_parallel(m, 1, ds, pp, limit, keep_logits, progress, progress_arg, out,
	                            err);
}

int qx_eval_run_parallel(const struct qx_model_runner *m, int n_runners,
                         const struct qx_dataset *ds, const struct qx_preprocess *pp,
                         int64_t limit, int64_t keep_logits,
                         void (*progress)(void *arg, int64_t done, int64_t total),
                         void *progress_arg, struct qx_eval_result *out, struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	if (n_runners < 1 || n_runners > QX_EVAL_MAX_THREADS)
		return qx_fail(err, QX_EINTERNAL, "evaluation with %d runners (1..%d)", n_runners,
		               QX_EVAL_MAX_THREADS);
	for (int i = 1; i < n_runners; i++)
		if (m[i].batch != m[0].batch)
			return qx_fail(err, QX_EINTERNAL, "evaluation runners of batch %lld and %lld",
			               (long long)m[0].batch, (long long)m[i].batch);
	int64_t total = (limit > 0 && limit < ds->count) ? limit : ds->count;
	int nc = ds->n_classes;
	int64_t image_floats = (int64_t)ds->c * ds->h * ds->w;
	if (keep_logits > total)
		keep_logits = total;
	struct eval_job job = { .m = m, .ds = ds, .pp = pp, .total = total,
	                        .keep_logits = keep_logits, .batch = m[0].batch, .out = out,
	                        .progress = progress, .progress_arg = progress_arg };
	int nomem = 0;
	for (int i = 0; i < n_runners; i++) {
		job.images[i] = malloc(sizeof(float) * (size_t)(m[i].batch * image_floats));
		job.outputs[i] = malloc(sizeof(float) * (size_t)(m[i].batch * nc));
		nomem |= !job.images[i] || !job.outputs[i];
	}
	out->pred = malloc((size_t)total ? (size_t)total : 1);
	out->logits = keep_logits ? malloc(sizeof(float) * (size_t)(keep_logits * nc)) : NULL;
	int rc = 0;
	if (nomem || !out->pred || (keep_logits && !out->logits))
		rc = qx_fail_nomem(err, "allocating evaluation buffers");
	out->count = total;
	out->n_classes = nc;
	out->logits_kept = keep_logits;
	double t0 = now_seconds();
	if (!rc) {
		struct qx_batch_pass pass = {
			.what = "evaluation", .n_batches = (total + job.batch - 1) / job.batch,
			.threads = n_runners, .ctx = &job, .run = eval_batch,
		};
		rc = qx_batch_pass_run(&pass, err);
		rc = rc < 0 ? rc : 0;
		if (!rc && progress && total > 0)
			progress(progress_arg, total, total);
	}
	out->seconds = now_seconds() - t0;
	for (int i = 0; i < n_runners; i++) {
		free(job.images[i]);
		free(job.outputs[i]);
	}
	if (!rc)
		for (int64_t img = 0; img < total; img++)
			out->correct += out->pred[img] == ds->labels[img];
	if (rc)
		qx_eval_result_free(out);
	return rc;
}

void qx_eval_result_free(struct qx_eval_result *r)
{
	free(r->pred);
	free(r->logits);
	memset(r, 0, sizeof *r);
}
