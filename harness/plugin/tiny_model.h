/* A small model and synthetic images for checking plugins without the reference model:
 *     x [N,1,8,8] -> Conv 4x1x3x3 pad 1 (+ fused Relu) -> MaxPool 2x2 -> Flatten
 *       -> Gemm 10x64 (+ fused Relu) -> Gemm 10x10
 * with fixed pseudo-random weights. Used by `qx-bench plugin-check` and the plugin-host tests. */
#ifndef QX_PLUGIN_TINY_MODEL_H
#define QX_PLUGIN_TINY_MODEL_H

#include <stdint.h>

#include "data/dataset.h"
#include "model/graph.h"
#include "util/error.h"

/* Builds the model into *g (free with qx_graph_free), shapes inferred for batch 1. */
int qx_tiny_model_build(struct qx_graph *g, struct qx_error *err);

/* count images of c x h x w with pseudo-random pixels (seeded by seed) and labels
 * 0..n_classes-1; free with qx_dataset_free. */
int qx_synthetic_dataset(int64_t count, int c, int h, int w, int n_classes, uint32_t seed,
                         struct qx_dataset *ds, struct qx_error *err);

#endif
