/* Checks that two kernel sets give bit-identical int8 models: both run the same images, and
 * every step's output (each op, each conversion) is compared byte for byte. Nodes a plan leaves
 * in float run on ref's fp32 kernels in both models: fp32 kernels are not bit-identical across
 * sets (docs/numerics.md), the int8 ones are, and this isolates them. */
#ifndef QX_EXEC_BITEXACT_H
#define QX_EXEC_BITEXACT_H

#include <stddef.h>
#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "util/batch_pass.h"

struct qx_bitexact {
	int identical;             /* 1: every byte of every step matched */
	int64_t images;            /* images compared */
	char where[512];           /* when not identical: the first op that differs, e.g.
	                              "node 'conv2' (conv): byte 517 of the batch at image 64:
	                              avx2 gives 131, scalar 130" */
};

/* Runs the int8 model of (g, plan) with kernel sets ref and other on the first n_images of ds
 * (batches of `batch`) and compares. Returns 0 with out filled (identical or not), or an
 * error when a model cannot be built or run. */
int qx_bitexact_check(const struct qx_graph *g, const struct qx_quant_plan *plan,
                      const struct qx_kernels *ref, const struct qx_kernels *other, int64_t batch,
                      const struct qx_dataset *ds, const struct qx_preprocess *pp,
                      int64_t n_images, struct qx_bitexact *out, struct qx_error *err);

/* The most sets and threads qx_bitexact_check_sets takes. */
#define QX_BITEXACT_MAX_SETS 8
#define QX_BITEXACT_MAX_THREADS QX_BATCH_PASS_MAX_THREADS

/* qx_bitexact_check of every set in others[0..n_others) against ref at once: ref runs each batch
 * once and every other set is compared with it, so checking k sets costs one reference pass,
 * not k. Batches go to `threads` threads (each with its own models), and out[i] is exactly what
 * qx_bitexact_check(ref, others[i]) gives: the first differing batch's step and the images up
 * to the end of that batch, or identical on all n_images (nodes the plan leaves in float run on
 * others[0]'s fp32 kernels in every model, ref's included). Returns an error (the earliest
 * batch's) when a model cannot be built or run. */
int qx_bitexact_check_sets(const struct qx_graph *g, const struct qx_quant_plan *plan,
                           const struct qx_kernels *ref, const struct qx_kernels *const *others,
                           int n_others, int64_t batch, const struct qx_dataset *ds,
                           const struct qx_preprocess *pp, int64_t n_images, int threads,
                           struct qx_bitexact *out, struct qx_error *err);

#endif
