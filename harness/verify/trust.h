/* Whether an int8 result can be trusted: the int8 executor against the reference simulation of
 * the same plan (verify/refsim.h) on the check sample, with poisoned buffers.
 *
 * Three checks, each sound on its own (docs/numerics.md, "Trust: the MISTRUSTED mark"):
 *   1. unwritten memory: the int8 model runs twice on every batch, its buffers poisoned with
 *      two different bytes; outputs that differ read something no step wrote;
 *   2. non-finite logits;
 *   3. every int8 node against the simulation of that node on the int8 model's own inputs
 *      (refsim's local check): a value may differ only by the one step a rounding tie
 *      explains; more than QX_TRUST_MAX_UNEXPLAINED of any tensor's values differing otherwise
 *      is a fault.
 * A result failing any of them is MISTRUSTED. The end-to-end comparison of the logits
 * (agreement, differences in output steps) is reported beside the verdict: rounding ties that
 * the layers after them amplify make it a measure of the model's sensitivity, not a proof. */
#ifndef QX_VERIFY_TRUST_H
#define QX_VERIFY_TRUST_H

#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "model/graph.h"
#include "plan/plan.h"

/* Share of one tensor's values allowed to differ from the simulation of their own step by more
 * than a rounding tie explains (fp32 accumulation error in the simulation can, very rarely, move
 * a value across a boundary outside the tie window). */
#define QX_TRUST_MAX_UNEXPLAINED 1e-4

struct qx_trust {
	int trusted;               /* 1: every check passed */
	char why[512];             /* when not trusted: the first failed check, in words */
	int64_t images;            /* images compared */
	int unwritten;             /* check 1 failed */
	int64_t nonfinite;         /* images with a NaN / inf int8 logit */
	/* check 3, over every tensor and image */
	int tensors;               /* tensors compared */
	int64_t values;            /* values compared */
	int64_t ties;              /* one step apart at a rounding tie */
	int64_t unexplained;       /* any other difference */
	char worst[256];           /* the tensor with the largest unexplained share ("" if none) */
	double worst_share;        /* its unexplained share */
	double worst_steps;        /* its largest difference (steps; relative for a float output) */
	/* the logits, end to end */
	double step;               /* the output quantization step the differences are in: the
	                              output's scale, or (float output) its range over 255 */
	int step_from_plan;        /* 1: step is the plan's output scale */
	double diff_mean;          /* mean |logit difference| in steps over every logit */
	double diff_median;        /* per image max |logit difference| in steps: median, */
	double diff_p99;           /* 99th percentile, */
	double diff_max;           /* and maximum */
	double agree;              /* % of images with the same top-1 as the simulation */
};

/* Checks (g, plan) on the int8 executor with kernel set k against the simulation (fp32 on k's
 * fp32 kernels), over the first n_images of ds in batches of `batch` (short last batch
 * zero-padded, as the evaluation does), on `threads` threads (util/batch_pass.h: each with
 * its own models; out does not depend on the count). Returns 0 with out filled (trusted or
 * not), or an error when a model cannot be built or run (the earliest batch's). */
int qx_trust_check(const struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_kernels *k, int64_t batch, const struct qx_dataset *ds,
                   const struct qx_preprocess *pp, int64_t n_images, int threads,
                   struct qx_trust *out, struct qx_error *err);

#endif
