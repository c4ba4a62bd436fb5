/* Evaluation: runs a model over a dataset in batches and keeps per-image results, so accuracy,
 * agreement and paired statistics (the drop's confidence interval, McNemar) can be computed. */
#ifndef QX_EVAL_H
#define QX_EVAL_H

#include <stdint.h>

#include "data/dataset.h"
#include "util/batch_pass.h"
#include "util/error.h"

struct qx_eval_result {
	int64_t count;           /* images evaluated */
	int n_classes;
	uint8_t *pred;           /* [count] top-1 class per image (ties: the lowest index, as argmax) */
	float *logits;           /* [logits_kept x n_classes] outputs of the first images, or NULL */
	int64_t logits_kept;
	int64_t correct;         /* images whose pred equals the label */
	double seconds;          /* wall time of the evaluation (preprocessing included) */
};

/* A model as the evaluator sees it: run one batch of preprocessed NCHW images, write
 * [n x n_classes] outputs. Implemented by the fp32 and int8 executors' adapters. */
struct qx_model_runner {
	void *ctx;
	int64_t batch;           /* the batch size the runner was built for (last batch may be short) */
	int (*run)(void *ctx, const float *images, int64_t n, float *out, struct qx_error *err);
};

/* Evaluates the first `limit` images (0 = all) of ds; keeps logits of the first keep_logits
 * images. progress (may be NULL) is called after each batch with images done so far. */
int qx_eval_run(const struct qx_model_runner *m, const struct qx_dataset *ds,
                const struct qx_preprocess *pp, int64_t limit, int64_t keep_logits,
                void (*progress)(void *arg, int64_t done, int64_t total), void *progress_arg,
                struct qx_eval_result *out, struct qx_error *err);

/* The most threads an evaluation runs on (QX_EVAL_MAX_THREADS runners at most). */
#define QX_EVAL_MAX_THREADS QX_BATCH_PASS_MAX_THREADS

/* qx_eval_run on n_runners threads, the caller being the first: m[i] is thread i's own model
 * (each its own executor, all of one batch size). Batches go, in order, to whichever thread
 * is free, and each image's prediction and logits are stored at its index, so the result is
 * the one a single runner gives (a model's output for a batch does not depend on the thread
 * that computes it). progress is called from the caller's thread only. On the first failure
 * the threads stop after their current batch and err is the earliest failed batch's. */
int qx_eval_run_parallel(const struct qx_model_runner *m, int n_runners,
                         const struct qx_dataset *ds, const struct qx_preprocess *pp,
                         int64_t limit, int64_t keep_logits,
                         void (*progress)(void *arg, int64_t done, int64_t total),
                         void *progress_arg, struct qx_eval_result *out, struct qx_error *err);

/* Index of the largest of n values (first one on ties, as torch.argmax on CPU). */
int qx_argmax(const float *v, int n);

void qx_eval_result_free(struct qx_eval_result *r);

#endif
