/* Whether a graph treats the images of a batch separately, so that running it on slices of
 * the batch gives the same bits as one run on the whole batch (measure/runner.c runs the fp32
 * model in slices of a few images this way: their activations stay in the caches). */
#ifndef QX_EXEC_BATCH_SPLIT_H
#define QX_EXEC_BATCH_SPLIT_H

#include <stdint.h>

#include "model/graph.h"

/* 1 when every node of g is one that keeps images apart (an allowlist: convolutions, pools,
 * elementwise ops, BatchNormalization, Gemm / MatMul on rows, and Flatten, Concat, Softmax,
 * Transpose, Reshape, Pad, Slice, Split, ReduceMean that leave axis 0 alone) and every activation has the batch as its
 * first dimension, checked on two copies of g shaped for batches a and b (a != b, both >= 2),
 * so that a Reshape to [a, ...] cannot pass by coincidence; 0 otherwise or when shapes cannot
 * be inferred. g itself is only read. */
int qx_graph_images_independent(const struct qx_graph *g, int64_t a, int64_t b);

/* The same check at every batch size of sizes[0..n) (each >= 1; repeats are checked once), and
 * at 2 and 3 as well when the list has fewer than two different sizes of 2 or more: 1 when g
 * keeps images apart at each, so that runs over any of these sizes cut from one batch give the
 * bits of one run over it. For a runner that cuts a batch into shares of different sizes
 * (measure/runner.c: one per thread, the batch itself among the sizes). */
int qx_graph_images_independent_at(const struct qx_graph *g, const int64_t *sizes, int n);

#endif
