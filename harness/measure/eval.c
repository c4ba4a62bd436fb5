#include "measure/eval.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/interrupt.h"

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

/* One evaluation shared by its threads: batches are handed out in order from `next`, so a
 * thread the machine slows down simply takes fewer of them. */
struct eval_job {
	const struct qx_model_runner *m;   /* one per thread */
	const struct qx_dataset *ds;
	const struct qx_preprocess *pp;
	int64_t total, keep_logits;
	struct qx_eval_result *out;
	_Atomic int64_t next;              /* first image of the next batch to take */
	_Atomic int64_t done;              /* images finished, for progress */
	_Atomic int stop;                  /* a thread failed or the run was interrupted */
	void (*progress)(void *arg, int64_t done, int64_t total);
	void *progress_arg;
	pthread_mutex_t lock;              /* guards first_err / err */
	int64_t first_err;                 /* first image of the earliest failed batch, or -1 */
	int err_rc;
	struct qx_error err;
};

struct eval_thread {
	struct eval_job *job;
	int index;                         /* which runner */
	pthread_t tid;
	float *images, *outputs;
};

/* Keeps the failure of the earliest batch, so the message does not depend on thread timing
 * more than it must. */
static void job_fail(struct eval_job *job, int64_t first, int rc, const struct qx_error *err)
{
	pthread_mutex_lock(&job->lock);
	if (job->first_err < 0 || first < job->first_err) {
		job->first_err = first;
		job->err_rc = rc;
		job->err = *err;
	}
	pthread_mutex_unlock(&job->lock);
	atomic_store(&job->stop, 1);
}

static void *eval_thread_main(void *arg)
{
	struct eval_thread *t = arg;
	struct eval_job *job = t->job;
	const struct qx_model_runner *m = &job->m[t->index];
	int nc = job->ds->n_classes;
	while (!atomic_load(&job->stop)) {
		int64_t first = atomic_fetch_add(&job->next, m->batch);
		if (first >= job->total)
			break;
		int64_t n = job->total - first < m->batch ? job->total - first : m->batch;
		struct qx_error err = { 0 };
		if (qx_interrupted()) {
			int rc = qx_fail(&err, QX_EINTERRUPTED, "interrupted during evaluation");
			job_fail(job, first, rc, &err);
			break;
		}
		qx_dataset_preprocess(job->ds, job->pp, first, n, t->images);
		int rc = m->run(m->ctx, t->images, n, t->outputs, &err);
		if (rc) {
			job_fail(job, first, rc, &err);
			break;
		}
		/* Each image's results land at its own index: the same whatever thread ran it. */
		for (int64_t i = 0; i < n; i++) {
			int64_t img = first + i;
			const float *row = t->outputs + i * nc;
			job->out->pred[img] = (uint8_t)qx_argmax(row, nc);
			if (img < job->keep_logits)
				memcpy(job->out->logits + img * nc, row, sizeof(float) * (size_t)nc);
		}
		int64_t done = atomic_fetch_add(&job->done, n) + n;
		/* Progress from the caller's thread only: the callback need not be thread-safe. */
		if (t->index == 0 && job->progress && done < job->total)
			job->progress(job->progress_arg, done, job->total);
	}
	return NULL;
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
	                        .keep_logits = keep_logits, .out = out, .first_err = -1,
	                        .progress = progress, .progress_arg = progress_arg };
	struct eval_thread t[QX_EVAL_MAX_THREADS];
	memset(t, 0, sizeof t);
	int nomem = 0;
	for (int i = 0; i < n_runners; i++) {
		t[i].job = &job;
		t[i].index = i;
		t[i].images = malloc(sizeof(float) * (size_t)(m[i].batch * image_floats));
		t[i].outputs = malloc(sizeof(float) * (size_t)(m[i].batch * nc));
		nomem |= !t[i].images || !t[i].outputs;
	}
	out->pred = malloc((size_t)total ? (size_t)total : 1);
	out->logits = keep_logits ? malloc(sizeof(float) * (size_t)(keep_logits * nc)) : NULL;
	int rc = 0;
	if (nomem || !out->pred || (keep_logits && !out->logits))
		rc = qx_fail_nomem(err, "allocating evaluation buffers");
	out->count = total;
	out->n_classes = nc;
	out->logits_kept = keep_logits;
	pthread_mutex_init(&job.lock, NULL);
	double t0 = now_seconds();
	int started = 1;
	for (int i = 1; !rc && i < n_runners; i++) {
		if (pthread_create(&t[i].tid, NULL, eval_thread_main, &t[i]))
			break; /* fewer threads: the others take its batches */
		started = i + 1;
	}
	if (!rc) {
		eval_thread_main(&t[0]); /* the caller is thread 0 */
		for (int i = 1; i < started; i++)
			pthread_join(t[i].tid, NULL);
		if (job.first_err >= 0) {
			rc = job.err_rc;
			*err = job.err;
		} else if (progress && total > 0) {
			progress(progress_arg, total, total);
		}
	}
	out->seconds = now_seconds() - t0;
	pthread_mutex_destroy(&job.lock);
	for (int i = 0; i < n_runners; i++) {
		free(t[i].images);
		free(t[i].outputs);
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
