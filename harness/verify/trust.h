/* Whether an int8 result can be trusted: the int8 executor against the reference simulation of
 * the same plan (verify/refsim.h) on the check sample, with poisoned buffers.
 *
 * Three checks, each sound on its own (docs/numerics.md, "Trust: the MISTRUSTED mark"):
 *   1. unwritten memory: the int8 model runs twice on every batch, its buffers poisoned with
 *      two different bytes (float buffers with NaN); outputs that differ, or are not finite,
 *      read something no step wrote;
 *   2. logits: the mean |int8 - simulation| logit difference, in output quantization steps,
 *      must stay within what rare rounding differences explain (QX_TRUST_MAX_MEAN_STEPS), and
 *      each image's largest difference within QX_TRUST_MAX_STEPS on all but a few images
 *      (QX_TRUST_MAX_OUTLIERS);
 *   3. top-1: an image whose top-1 class differs from the simulation's must be one the
 *      simulation itself calls close (its margin between the two classes within
 *      2 x QX_TRUST_MAX_STEPS steps); a flip on a clear image is unexplained.
 * A result failing any of them is MISTRUSTED. */
#ifndef QX_VERIFY_TRUST_H
#define QX_VERIFY_TRUST_H

#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "model/graph.h"
#include "plugin/host.h"

/* Logit difference (output quantization steps) that rounding explains: each quantized tensor
 * may differ by one step where a value lands on a rounding boundary, and such flips add up
 * through the layers after them. */
#define QX_TRUST_MAX_STEPS 8.0
/* Average logit difference (output steps, over every logit of every image) that rounding
 * explains: a rounding difference is rare (a value must land within float error of a rounding
 * boundary), so the average stays far below one step; a systematic fault moves every value. */
#define QX_TRUST_MAX_MEAN_STEPS 0.5
/* Share of images allowed beyond QX_TRUST_MAX_STEPS, or with an unexplained top-1 flip. */
#define QX_TRUST_MAX_OUTLIERS 0.01

struct qx_trust {
	int trusted;               /* 1: every check passed */
	char why[512];             /* when not trusted: the first failed check, in words */
	int64_t images;            /* images compared */
	int unwritten;             /* check 1 failed */
	int64_t nonfinite;         /* images with a NaN / inf int8 logit */
	double step;               /* the output quantization step the differences are in: the
	                              output's scale, or (float output) its range over 255 */
	int step_from_plan;        /* 1: step is the plan's output scale */
	double diff_median;        /* per image max |logit difference| in steps: median, */
	double diff_p99;           /* 99th percentile, */
	double diff_max;           /* and maximum */
	double diff_mean;          /* mean |logit difference| in steps over every logit */
	int64_t beyond;            /* images whose difference exceeds QX_TRUST_MAX_STEPS */
	double agree;              /* % of images with the same top-1 as the simulation */
	int64_t unexplained;       /* top-1 flips the simulation's margin does not explain */
};

/* Checks (g, plan) on the int8 executor with kernel set k against the simulation (fp32 on k's
 * fp32 kernels), over the first n_images of ds in batches of `batch` (short last batch
 * zero-padded, as the evaluation does). Returns 0 with out filled (trusted or not), or an
 * error when a model cannot be built or run. */
int qx_trust_check(struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_kernels *k, int64_t batch, const struct qx_dataset *ds,
                   const struct qx_preprocess *pp, int64_t n_images, struct qx_trust *out,
                   struct qx_error *err);

#endif
