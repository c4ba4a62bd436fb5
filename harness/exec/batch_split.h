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

#endif
