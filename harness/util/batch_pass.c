/* Batches handed out in order to threads (batch_pass.h). */
#include "util/batch_pass.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "util/interrupt.h"

struct pass_state {
	const struct qx_batch_pass *p;
	int stride;                /* test-only static schedule: the thread count; 0: dynamic */
	_Atomic int64_t next;      /* the next batch to take */
	_Atomic int stop;          /* a batch failed or the run was interrupted */
	pthread_mutex_t lock;      /* guards the fields below */
	int failed;
	int64_t err_batch;         /* the earliest failed batch; -1 for an init failure */
	int err_rc;
	struct qx_error err;
};

struct pass_thread {
	struct pass_state *s;
	int index;
	pthread_t tid;
};

/* Keeps the failure of the earliest batch. */
static void fail(struct pass_state *s, int64_t b, int rc, const struct qx_error *err)
{
	pthread_mutex_lock(&s->lock);
	if (!s->failed || b < s->err_batch) {
		s->failed = 1;
		s->err_batch = b;
		s->err_rc = rc;
		s->err = *err;
	}
	pthread_mutex_unlock(&s->lock);
	atomic_store(&s->stop, 1);
}

static void *pass_thread_main(void *arg)
{
	struct pass_thread *t = arg;
	struct pass_state *s = t->s;
	const struct qx_batch_pass *p = s->p;
	struct qx_error err = { 0 };
	int rc = p->init ? p->init(p->ctx, t->index, &err) : 0;
	if (rc)
		fail(s, -1, rc, &err);
	for (int64_t k = 0; !rc && !atomic_load(&s->stop); k++) {
		int64_t b = s->stride ? t->index + k * s->stride : atomic_fetch_add(&s->next, 1);
		if (b >= p->n_batches)
			break;
		if (qx_interrupted()) {
			rc = qx_fail(&err, QX_EINTERRUPTED, "interrupted during %s",
			             p->what ? p->what : "a pass over the images");
			fail(s, b, rc, &err);
			break;
		}
		rc = p->run(p->ctx, t->index, b, &err);
		if (rc)
			fail(s, b, rc, &err);
	}
	if (p->fini)
		p->fini(p->ctx, t->index);
	return NULL;
}

int qx_batch_pass_run(const struct qx_batch_pass *p, struct qx_error *err)
{
	if (p->threads < 1 || p->threads > QX_BATCH_PASS_MAX_THREADS || !p->run)
		return qx_fail(err, QX_EINTERNAL, "%s on %d threads (expected 1..%d)",
		               p->what ? p->what : "a pass", p->threads, QX_BATCH_PASS_MAX_THREADS);
	int threads = p->threads;
	if (threads > p->n_batches)
		threads = p->n_batches > 0 ? (int)p->n_batches : 1;
	const char *fixed = getenv(QX_TEST_BATCH_PASS_STATIC_ENV);
	struct pass_state s = { .p = p, .stride = fixed && fixed[0] == '1' ? threads : 0 };
	pthread_mutex_init(&s.lock, NULL);
	struct pass_thread t[QX_BATCH_PASS_MAX_THREADS];
	int started = 1;
	for (int i = 0; i < threads; i++)
		t[i] = (struct pass_thread){ .s = &s, .index = i };
	for (int i = 1; i < threads; i++) {
		if (pthread_create(&t[i].tid, NULL, pass_thread_main, &t[i]))
			break; /* fewer threads: the others take its batches */
		started = i + 1;
	}
	pass_thread_main(&t[0]); /* the caller is thread 0 */
	for (int i = 1; i < started; i++)
		pthread_join(t[i].tid, NULL);
	pthread_mutex_destroy(&s.lock);
	if (s.failed) {
		*err = s.err;
		return s.err_rc;
	}
	return started;
}
