/* torch 1.13's HistogramObserver (torch.ao.quantization.observer), reproduced in C float32:
 * the running histogram over a range that grows with each batch (upsampled to a fine grid and
 * downsampled back, _combine_histograms), the L2-error search for the non-saturating range
 * (_non_linear_param_search) and the scale / zero point from it.
 *
 * By default it keeps torch 1.13's quirk that torch.histc is given the range truncated to
 * integers (int(min_val), int(max_val); pytorch/pytorch#83672): values outside the truncated
 * range are dropped while the bins are read as spanning the real range. exact_bounds = 1 gives
 * the float bounds instead (what the algorithm means to do).
 *
 * Private to plugins/: declared here, defined in the .c file of the same name, built into
 * build/plugins/libqxcommon.a (linked into each plugin). */
#ifndef QX_PLUGINS_OBSERVER_HISTOGRAM_H
#define QX_PLUGINS_OBSERVER_HISTOGRAM_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "torch_f32.h"

/* 2 ** bits of the 8-bit quantized dtype: the destination bins of the error search (torch uses
 * 256 whatever the reduce_range). */
#define QXP_HIST_DST_BINS 256

struct qxp_hist_observer {
	int32_t bins;                   /* histogram bins (torch: bins, default 2048) */
	int32_t upsample_rate;          /* torch: upsample_rate, default 128 */
	int exact_bounds;               /* 0: torch 1.13's int() bounds; 1: float bounds */
	float min_val, max_val;         /* the histogram's range; +inf / -inf before any data */
	float *histogram;               /* bins counts (float32, as torch keeps them) */
	float *scratch;                 /* bins floats of work space */
	double *integral;               /* bins doubles of work space */
	float *csum;                    /* bins floats of work space */
	int clipped;                    /* a combination where torch 1.13 raises happened */
};

/* Sets up an empty observer. Returns 0, or -1 when memory cannot be had. */
int qxp_hist_init(struct qxp_hist_observer *o, int32_t bins, int32_t upsample_rate,
                  int exact_bounds);

void qxp_hist_free(struct qxp_hist_observer *o);

/* The bound torch.histc is given for a range end: int(v) in torch 1.13, v itself when exact. */
double qxp_hist_bound(const struct qxp_hist_observer *o, float v);

/* _combine_histograms: adds the old histogram o->histogram (range [o->min_val, o->max_val])
 * into hist (the new batch's histogram over the combined range), via a fine grid of bins *
 * downsample_rate cells in which the old histogram starts at start_idx, each old bin spread
 * evenly over upsample_rate cells. The fine grid is never built: runs of equal cells are added
 * one at a time into the same double accumulator as torch's cumsum, which gives the same sums;
 * empty cells add nothing. */
void qxp_hist_combine(struct qxp_hist_observer *o, float *hist,
                      int64_t downsample_rate, int64_t start_idx);

/* HistogramObserver.forward(x) for n float32 values. Returns 0, or -1 where torch raises (NaN
 * or infinite values). */
int qxp_hist_observe(struct qxp_hist_observer *o, const float *x, int64_t n);

/* _compute_quantization_error(next_start_bin, next_end_bin): the L2 error of quantizing the
 * histogram to 256 levels spread over those bins, with torch's float32 / float64 mix. */
double qxp_hist_error(struct qxp_hist_observer *o, int64_t start_bin, int64_t end_bin);

/* _non_linear_param_search: the range [*new_min, *new_max] that minimises the L2 error, moving
 * the start or the end bin by quantiles of 1e-5 until the error grows. The observer must have
 * seen data. */
void qxp_hist_search(struct qxp_hist_observer *o, float *new_min, float *new_max);

#endif
