/* Adapts the fp32 and int8 executors to the evaluator's qx_model_runner: one image input
 * [N, c, h, w], one class-score output [N, classes]; a short last batch is zero-padded. */
#ifndef QX_EXEC_RUNNER_H
#define QX_EXEC_RUNNER_H

#include "measure/eval.h"
#include "exec/exec_f32.h"
#include "exec/exec_q8.h"

struct qx_runner {
	struct qx_exec_f32 *f32;  /* exactly one of f32 and q8 is set */
	struct qx_exec_q8 *q8;
	const struct qx_graph *graph;
	int64_t batch;
	int64_t image_floats;     /* c * h * w of the graph input */
	int n_classes;
	float *staging;           /* a full batch, for the short last batch */
	int64_t slice;            /* fp32: images per executor run (batch, or a divisor of it) */
	float *sliced_out;        /* fp32 in slices: the batch's outputs, [batch][n_classes] */
};

/* Images per run of the fp32 executor when the batch is split (qx_runner_init_f32): on the
 * project's machine mobilenet_v2 ran at 0.185 ms per image in batches of 4, 0.24 in 8 and
 * 0.28 in 64 (CPU time; larger slices no longer keep a layer's activations in L2). */
#define QX_RUNNER_SLICE 4

/* fp32 runner over g for `batch` images with kernel set k. When batch is a multiple of
 * QX_RUNNER_SLICE above it and g keeps images apart (qx_graph_images_independent), each batch
 * runs as batch / QX_RUNNER_SLICE executor runs of that many images: the same bits (every op
 * computes each image alone), with activations small enough to stay in the caches. */
int qx_runner_init_f32(struct qx_runner *r, const struct qx_graph *g, int64_t batch,
                       const struct qx_kernels *k, const struct qx_dataset *ds,
                       struct qx_error *err);
/* int8 runner over g under plan (not kept) for `batch` images with kernel set k. */
int qx_runner_init_q8(struct qx_runner *r, const struct qx_graph *g, const struct qx_quant_plan *plan,
                      int64_t batch, const struct qx_kernels *k, const struct qx_dataset *ds,
                      struct qx_error *err);
struct qx_model_runner qx_runner_model(struct qx_runner *r);
void qx_runner_free(struct qx_runner *r);

/* Checks g's single input [N, c, h, w] and single output [N, n_classes] against the dataset. */
int qx_graph_check_io(const struct qx_graph *g, const struct qx_dataset *ds, struct qx_error *err);

#endif
