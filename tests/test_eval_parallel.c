/* qx_eval_run_parallel: the same predictions, logits and count as one runner, whatever the
 * thread count and however the batches fall between threads; the earliest failing batch's
 * error; a runner that misbehaves on a shared batch is caught. The real models on 1 and 2
 * threads: tests/eval_jobs.sh. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/eval.h"
#include "support/tap.h"

#define IMAGES 1000
#define CLASSES 10
#define SIDE 4

/* A model whose class scores are a fixed function of the pixels; it fails on a batch holding
 * an image whose first pixel is 255 (the test puts that marker where it wants). */
struct fake {
	int64_t batch;
	int id;
	_Atomic int *calls;      /* per runner id */
};

static int fake_run(void *ctx, const float *images, int64_t n, float *out, struct qx_error *err)
{
	struct fake *f = ctx;
	atomic_fetch_add(&f->calls[f->id], 1);
	if (n < 1 || n > f->batch)
		return qx_fail(err, QX_EINTERNAL, "batch of %lld", (long long)n);
	for (int64_t i = 0; i < n; i++) {
		const float *x = images + i * SIDE * SIDE;
		if (x[0] == 255.0f)
			return qx_fail(err, QX_EIO, "marker in a batch: %g", (double)x[1]);
		for (int c = 0; c < CLASSES; c++) {
			float v = 0;
			for (int p = 0; p < SIDE * SIDE; p++)
				v += x[p] * (float)((p * 7 + c * 13) % 11);
			out[i * CLASSES + c] = v;
		}
	}
	return 0;
}

static void make_dataset(struct qx_dataset *ds, struct qx_preprocess *pp)
{
	memset(ds, 0, sizeof *ds);
	ds->count = IMAGES;
	ds->c = 1;
	ds->h = ds->w = SIDE;
	ds->n_classes = CLASSES;
	ds->pixels = malloc(IMAGES * SIDE * SIDE);
	ds->labels = malloc(IMAGES);
	unsigned s = 12345;
	for (int i = 0; i < IMAGES * SIDE * SIDE; i++) {
		s = s * 1103515245u + 12345u;
		ds->pixels[i] = (uint8_t)((s >> 16) % 255); /* never the 255 marker */
	}
	for (int i = 0; i < IMAGES; i++)
		ds->labels[i] = (uint8_t)(i % CLASSES);
	memset(pp, 0, sizeof *pp);
	pp->scale = 1.0f;
	pp->n_channels = 1;
	pp->std[0] = 1.0f;
}

static int run(struct qx_dataset *ds, struct qx_preprocess *pp, int n, int64_t batch,
               int64_t limit, _Atomic int *calls, struct qx_eval_result *res,
               struct qx_error *err)
{
	struct fake f[QX_EVAL_MAX_THREADS + 1];
	struct qx_model_runner m[QX_EVAL_MAX_THREADS + 1];
	for (int i = 0; i < n; i++) {
		f[i] = (struct fake){ .batch = batch, .id = i, .calls = calls };
		m[i] = (struct qx_model_runner){ .ctx = &f[i], .batch = batch, .run = fake_run };
	}
	return qx_eval_run_parallel(m, n, ds, pp, limit, 300, NULL, NULL, res, err);
}

int main(void)
{
	tap_plan(0);
	struct qx_dataset ds;
	struct qx_preprocess pp;
	make_dataset(&ds, &pp);
	_Atomic int calls[QX_EVAL_MAX_THREADS + 1];
	struct qx_error err = { 0 };

	for (int64_t limit = 0; limit <= 997; limit += 997) {
		struct qx_eval_result one;
		memset(calls, 0, sizeof calls);
		int rc = run(&ds, &pp, 1, 64, limit, calls, &one, &err);
		ok(rc == 0 && one.count == (limit ? limit : IMAGES) && one.logits_kept == 300,
		   "one runner, limit %lld: %lld images", (long long)limit, (long long)one.count);
		int64_t correct = 0;
		for (int64_t i = 0; i < one.count; i++)
			correct += one.pred[i] == ds.labels[i];
		ok(correct == one.correct, "correct counts the predictions equal to the labels (%lld)",
		   (long long)correct);
		for (int n = 2; n <= 4; n++) {
			struct qx_eval_result par;
			memset(calls, 0, sizeof calls);
			rc = run(&ds, &pp, n, 64, limit, calls, &par, &err);
			int total = 0;
			for (int i = 0; i < n; i++)
				total += calls[i];
			ok(rc == 0 && par.count == one.count && par.correct == one.correct &&
			   memcmp(par.pred, one.pred, (size_t)one.count) == 0 &&
			   memcmp(par.logits, one.logits, sizeof(float) * 300 * CLASSES) == 0,
			   "%d runners, limit %lld: the same predictions, logits and count as one", n,
			   (long long)limit);
			ok(total == (int)((one.count + 63) / 64), "%d runners: every batch run once "
			   "(%d calls, runner 0 made %d)", n, total, calls[0]);
			qx_eval_result_free(&par);
		}
		qx_eval_result_free(&one);
	}

	/* Two failing batches: the earlier one's error, whichever thread met it first. */
	ds.pixels[500 * SIDE * SIDE] = 255;
	ds.pixels[500 * SIDE * SIDE + 1] = 1;
	ds.pixels[900 * SIDE * SIDE] = 255;
	ds.pixels[900 * SIDE * SIDE + 1] = 2;
	for (int n = 1; n <= 3; n++) {
		struct qx_eval_result res;
		memset(calls, 0, sizeof calls);
		int rc = run(&ds, &pp, n, 64, 0, calls, &res, &err);
		ok(rc == QX_EIO && strstr(err.msg, "marker in a batch: 1") && !res.pred,
		   "%d runners: the earliest failing batch's error (%s), nothing kept", n, err.msg);
	}

	/* Bad arguments are refused, not run. */
	struct qx_eval_result res;
	int rc = run(&ds, &pp, QX_EVAL_MAX_THREADS + 1, 64, 0, calls, &res, &err);
	ok(rc == QX_EINTERNAL, "more than QX_EVAL_MAX_THREADS runners refused: %s", err.msg);
	qx_dataset_free(&ds);
	return tap_done();
}
