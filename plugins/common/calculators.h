/* Histogram-based qparams calculators for activations: percentile, entropy (KL divergence, the
 * TensorRT method) and MSE search, on one collecting histogram per observer class.
 *
 * The collecting histogram follows onnxruntime's HistogramCollector.collect_value /
 * merge_histogram (onnxruntime/python/tools/quantization/calibrate.py): a histogram of the
 * values over a range symmetric about zero, [-T, T] with T = max |x| seen so far, bins counted
 * over all calibration batches. When a batch goes past T, whole bins of the old width are added
 * on both sides (so old bins keep their place exactly, no resampling) and the batch is binned
 * over the new range. qx-bench differs from ORT in one point: ORT lets the bin count grow without
 * bound; here, when it would pass 2 x bins, neighbouring bins are merged by a power of two (after
 * padding both sides so that merged bins stay aligned on zero), which keeps memory and the
 * search's cost bounded and is exact (counts are only added, never split).
 *
 * Bin of a value x over [-T, T] with B bins: floor((x + T) * B / (2T)), in double, clamped to
 * [0, B - 1] (np.histogram puts the maximum into the last bin too); bin edges are
 * -T + k * (2T / B). While T is 0 (only zeros seen) every value is 0 and lies in bin B / 2, the
 * bin np.histogram gives 0 over a degenerate range. tools/calculator_goldens.py implements the
 * same definitions independently (numpy) and checks its binning against np.histogram.
 *
 * Private to plugins/: declared here, defined in the .c file of the same name, built into
 * build/plugins/libqxcommon.a (linked into each plugin). */
#ifndef QX_PLUGINS_CALCULATORS_H
#define QX_PLUGINS_CALCULATORS_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qx/qparams.h"

#include "torch_f32.h"

struct qxp_calib_hist {
	int32_t base_bins;              /* the bins option: the histogram keeps base..2 x base bins */
	int32_t n;                      /* current bin count (even) */
	double T;                       /* range [-T, T]; 0 while only zeros were seen */
	float min_val, max_val;         /* the values' own range (+inf / -inf before any data) */
	int64_t *counts;                /* 2 x base_bins + 2 slots */
	int64_t *scratch;               /* same size: the next histogram while merging */
	double *work;                   /* 2 x base_bins + 2 doubles for the searches */
};

int qxp_calib_hist_init(struct qxp_calib_hist *h, int32_t bins);

void qxp_calib_hist_free(struct qxp_calib_hist *h);

/* Lower edge of bin k (k = n gives T). */
double qxp_calib_edge(const struct qxp_calib_hist *h, int64_t k);

/* Adds n values into counts[0..B) over [-T, T] (T > 0). */
void qxp_calib_bin(int64_t *counts, int32_t B, double T, const float *x, int64_t n);

/* One batch of n values. Returns 0, or -1 for NaN or infinite values (the range would be
 * infinite: no histogram can hold it) or a batch more than 1e15 bins past the current range
 * (the same bound as observer_histogram.h's, which fails where torch would run out of memory). */
int qxp_calib_hist_observe(struct qxp_calib_hist *h, const float *x, int64_t n);

/* The range [lo, hi] clamped to what the values spanned, as ORT clamps its thresholds. */
void qxp_calib_clamp(const struct qxp_calib_hist *h, double lo, double hi,
                     float *out_lo, float *out_hi);

/* Percentile. symmetric = 0: the range from the (100 - p)th to the p-th percentile of the
 * values (each tail clipped by (100 - p) %, as examples/percentile does): lower bound the lower
 * edge of the bin where the cumulative count reaches (100 - p) % of the total, upper bound the
 * upper edge of the bin where it reaches p %. symmetric = 1: [-a, a] with a the upper edge of
 * the bin of |x| (the histogram folded about zero) where the cumulative count reaches p %, as
 * ORT's and TensorRT's percentile calibrators take |x|. Then clamped to the values' range. */
void qxp_calib_percentile(const struct qxp_calib_hist *h, double p, int symmetric,
                          float *lo, float *hi);

/* ORT's smooth_distribution (quant_utils.py): eps to each empty bin, the same mass taken
 * evenly from the others. Returns 0, or -1 when the distribution is empty or a bin would go
 * non-positive (ORT asserts there; here that candidate is skipped). */
int qxp_calib_smooth(double *v, int64_t len);

/* Entropy: TensorRT's KL-divergence calibration as ORT's HistogramCalibrater.
 * get_entropy_threshold walks it. For i = levels/2 .. n/2 bins on each side of zero, the
 * candidate range is [edge(n/2 - i), edge(n/2 + i)]; the reference distribution p is the 2i
 * bins inside with the counts outside added to its first and last bin; q quantizes the 2i
 * bins (without the outliers) into `levels` bins of 2i / levels merged bins each (the last one
 * takes the rest) and spreads each back evenly over the bins where p is non-zero; both are
 * smoothed and the candidate with the smallest KL(p || q) (scipy.stats.entropy: both
 * normalized) wins, the first on ties. Then clamped to the values' range. levels is the
 * number of quantized values (qmax - qmin + 1). ORT's own code keeps q in an int64 array
 * (truncating each spread count) and spreads over zero bins of p as well; this follows
 * TensorRT's description and MXNet's reference (q real, zero where p is zero). */
void qxp_calib_entropy(struct qxp_calib_hist *h, int32_t levels, float *lo,
                       float *hi);

/* MSE search, on the grid of the histogram's own edges (as TensorRT's pytorch-quantization
 * HistogramCalibrator's "mse" method does on its |x| histogram): for k = 1 .. n/2 the candidate
 * range is [-edge_k, edge_k] with edge_k = edge(n/2 + k), clamped to the values' range; its
 * scale and zero point come from qx_calculate_qparams (so symmetric and reduce_range apply);
 * its error is sum over bins of count x (c - dequant(quant(c)))^2 with c the bin's centre,
 * rounding half to even and clamping to [qmin, qmax]. The smallest error wins, the first on
 * ties. */
void qxp_calib_mse(struct qxp_calib_hist *h, const struct qx_qscheme *qs, float *lo,
                   float *hi);

#endif
