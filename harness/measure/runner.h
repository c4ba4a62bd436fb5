/* Adapts the fp32 and int8 executors to the evaluator's qx_model_runner: one image input
 * [N, c, h, w], one class-score output [N, classes]; a short last batch is zero-padded.
 *
 * A runner may split its batch two ways, both only where the result is the same bits as one
 * executor run over the whole batch:
 *  - into slices of a few images run one after the other (fp32: QX_RUNNER_SLICE), so that each
 *    layer's activations stay in the caches;
 *  - across a thread pool's threads by images (QX_RUNNER_IMAGES): thread i runs the whole model
 *    on its own share of the batch with its own executor, one pool hand-over per batch instead
 *    of one per op (exec/pool.h). Where that cannot apply the executor splits each op's rows
 *    across the pool instead (QX_RUNNER_ROWS).
 * Both need a graph that keeps images apart (exec/batch_split.h) and, for int8, a plan whose
 * qparams do not depend on the batch: a QX_MODE_DYNAMIC node picks its input's qparams from the
 * min / max of the whole batch it is given (qx_choose_qparams_dynamic), so a slice would get
 * other qparams and other bits. */
#ifndef QX_EXEC_RUNNER_H
#define QX_EXEC_RUNNER_H

#include "measure/eval.h"
#include "exec/exec_f32.h"
#include "exec/exec_q8.h"

struct qx_pool;

/* How a runner uses its threads (recorded with each measurement as results.json's
 * "parallel": qx_runner_parallel_name). */
enum qx_runner_parallel {
	QX_RUNNER_ONE_THREAD = 0, /* "none": no pool, or a pool of one thread */
	QX_RUNNER_ROWS,           /* "rows": every op splits its rows across the pool */
	QX_RUNNER_IMAGES,         /* "images": each thread runs the whole model on its images */
};

/* One executor and the images of the batch it runs. */
struct qx_runner_part {
	struct qx_exec_f32 *f32;  /* exactly one of f32 and q8 is set */
	struct qx_exec_q8 *q8;
	int64_t first, count;     /* images [first, first + count) of the batch */
	int64_t slice;            /* images per executor run: count, or a divisor of it */
	int rc;                   /* the last run's result, and its error */
	struct qx_error err;
};

struct qx_runner {
	struct qx_exec_f32 *f32;  /* part 0's executor: exactly one of f32 and q8 is set */
	struct qx_exec_q8 *q8;
	const struct qx_graph *graph;
	int64_t batch;
	int64_t image_floats;     /* c * h * w of the graph input */
	int n_classes;
	float *staging;           /* a full batch, for the short last batch */
	int64_t slice;            /* part 0's images per executor run */
	struct qx_runner_part *parts; /* one per thread with QX_RUNNER_IMAGES, else one */
	int n_parts;
	struct qx_pool *pool;     /* not owned; NULL for one thread */
	enum qx_runner_parallel parallel;
	float *batch_out;         /* the batch's outputs, [batch][n_classes] */
	const float *run_input;   /* during a run: the batch the parts read */
};

/* Images per run of the fp32 executor when the batch is split (qx_runner_init_f32): on the
 * project's machine mobilenet_v2 ran at 0.185 ms per image in batches of 4, 0.24 in 8 and
 * 0.28 in 64 (CPU time; larger slices no longer keep a layer's activations in L2). */
#define QX_RUNNER_SLICE 4
/* int8 runs each executor's images whole. Slices of 8 images (int8 activations are 4x smaller
 * than fp32's) changed the CPU time of a batch of 64 by -16 to -18% on mobilenet_v3_small, -11
 * to 0% on shufflenet_v2_x0_5, -5 to -2% on squeezenet1_1 and mobilenet_v2, -4 to +1% on
 * efficientnet_b0 and 0 to +6% on googlenet, resnet18 and densenet121 (two interleaved runs
 * each, thread CPU time, one thread, avx512vnni, static-per-channel, 2-core EPYC at load 6;
 * slices of 16 no better): no one slice pays on the zoo, and a per-model rule was not found. */

/* fp32 runner over g for `batch` images with kernel set k, on the calling thread. When batch
 * is a multiple of QX_RUNNER_SLICE above it and g keeps images apart
 * (qx_graph_images_independent), each batch runs as batch / QX_RUNNER_SLICE executor runs of
 * that many images: the same bits (every op computes each image alone), with activations small
 * enough to stay in the caches. */
int qx_runner_init_f32(struct qx_runner *r, const struct qx_graph *g, int64_t batch,
                       const struct qx_kernels *k, const struct qx_dataset *ds,
                       struct qx_error *err);
/* int8 runner over g under plan (not kept) for `batch` images with kernel set k, on the
 * calling thread, in one executor run per batch. */
int qx_runner_init_q8(struct qx_runner *r, const struct qx_graph *g, const struct qx_quant_plan *plan,
                      int64_t batch, const struct qx_kernels *k, const struct qx_dataset *ds,
                      struct qx_error *err);

/* The runner of g (plan NULL: fp32, as qx_runner_init_f32; else int8 under plan, not kept) on
 * pool's threads (not owned, must outlive the runner; NULL or one thread: as the two above).
 * With T > 1 threads it splits by images (QX_RUNNER_IMAGES) when batch >= T, g keeps images
 * apart at the shares' sizes and the batch's (qx_graph_images_independent_at) and no node of
 * plan is QX_MODE_DYNAMIC: thread i gets images [i*q + min(i, r), ...) with q = batch / T,
 * r = batch % T (the pool's own split: the first r threads one image more), and its own
 * executor built for its share, fp32 shares cut further into slices as above. Otherwise
 * (batch 1 or below T, a dynamic plan, a graph that mixes images) one executor for the batch
 * splits each op's rows across the pool (QX_RUNNER_ROWS). Each share's executor has its own
 * activations and packed weights: T times one executor's memory. */
int qx_runner_init_threaded(struct qx_runner *r, const struct qx_graph *g,
                            const struct qx_quant_plan *plan, int64_t batch,
                            const struct qx_kernels *k, const struct qx_dataset *ds,
                            struct qx_pool *pool, struct qx_error *err);

/* "none", "rows" or "images". */
const char *qx_runner_parallel_name(enum qx_runner_parallel p);

/* Whether no node of plan picks its qparams at run time from the batch (QX_MODE_DYNAMIC):
 * only then may the batch be cut without changing the bits. */
int qx_plan_batch_independent(const struct qx_quant_plan *plan);

struct qx_model_runner qx_runner_model(struct qx_runner *r);
void qx_runner_free(struct qx_runner *r);

/* Checks g's single input [N, c, h, w] and single output [N, n_classes] against the dataset. */
int qx_graph_check_io(const struct qx_graph *g, const struct qx_dataset *ds, struct qx_error *err);

#endif
