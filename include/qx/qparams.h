/* qx plugin SDK: PyTorch-compatible quantization parameter helpers (header only).
 *
 * Plugins link nothing but libc and libm, so everything here is static inline. The functions
 * reproduce torch 1.13's torch.ao.quantization observers bit for bit in float32:
 *   - qx_qrange()               calculate_qmin_qmax() without a customized range
 *   - qx_minmax_update()        MinMaxObserver.forward's running torch.aminmax
 *   - qx_calculate_qparams()    _ObserverBase._calculate_qparams() for per_tensor_affine,
 *                               per_tensor_symmetric and (one channel at a time)
 *                               per_channel_affine / per_channel_symmetric
 * tests/test_qparams.c holds them to values computed with torch.
 *
 * PyTorch's arithmetic, reproduced here (all tensors are float32; a Python float operand is
 * applied in float32 arithmetic, the way the CPU kernels do it):
 *     min_neg = min(min_val, 0)                max_pos = max(max_val, 0)
 *     symmetric: scale = max(-min_neg, max_pos) / (float)((qmax - qmin) / 2.0)
 *                scale = max(scale, FLT_EPSILON)
 *                zero_point = 0 for qint8; for quint8 128, or (qmin + qmax) / 2 rounded down
 *                when the observer was given a customized quant_min/quant_max
 *     affine:    scale = (max_pos - min_neg) / (float)(qmax - qmin)
 *                scale = max(scale, FLT_EPSILON)
 *                zero_point = qmin - round_half_even(min_neg / scale), clamped to [qmin, qmax]
 *     nothing observed (min = +inf, max = -inf): scale 1, zero point 0 (PyTorch warns).
 * Note: torch refuses reduce_range with symmetric quint8 (NotImplementedError), since the
 * zero point 128 would lie outside 0..127; qx_calculate_qparams() returns an error for it.
 *
 * Every pointer parameter is read (or written) during the call only; nothing is kept. */
#ifndef QX_SDK_QPARAMS_H
#define QX_SDK_QPARAMS_H

#include <float.h>
#include <math.h>
#include <stdint.h>

#include "qx/plan.h"

/* PyTorch's quant_min/quant_max for a dtype: UINT8 0..255 (0..127 with reduce_range), INT8
 * -128..127 (-64..63 with reduce_range), INT32 INT32_MIN..INT32_MAX (reduce_range ignored, as
 * in torch). Returns 0, or -1 for QX_PLAN_FLOAT or an unknown dtype (*qmin, *qmax untouched). */
static inline int qx_qrange(int32_t dtype, int reduce_range, int32_t *qmin, int32_t *qmax)
{
	switch (dtype) {
	case QX_PLAN_UINT8:
		*qmin = 0;
		*qmax = reduce_range ? 127 : 255;
		return 0;
	case QX_PLAN_INT8:
		*qmin = reduce_range ? -64 : -128;
		*qmax = reduce_range ? 63 : 127;
		return 0;
	case QX_PLAN_INT32:
		*qmin = INT32_MIN;
		*qmax = INT32_MAX;
		return 0;
	default:
		return -1;
	}
}

/* Starting values of a running min/max: nothing observed yet (like a fresh MinMaxObserver). */
#define QX_MINMAX_EMPTY_MIN (INFINITY)
#define QX_MINMAX_EMPTY_MAX (-INFINITY)

/* Folds n values into a running *min / *max (initialise them to QX_MINMAX_EMPTY_MIN / _MAX).
 * Like torch.aminmax followed by torch.min/torch.max, a NaN anywhere makes both NaN. n may be
 * 0 (nothing changes). */
static inline void qx_minmax_update(const float *x, int64_t n, float *min, float *max)
{
	float lo = *min, hi = *max;
	int nan = isnan(lo) || isnan(hi);
	for (int64_t i = 0; i < n; i++) {
		float v = x[i];
		if (v != v)
			nan = 1;
		if (v < lo)
			lo = v;
		if (v > hi)
			hi = v;
	}
	if (nan)
		lo = hi = NAN;
	*min = lo;
	*max = hi;
}

/* Folds the values of an n_outer x channels x inner array (row-major; the channel axis in the
 * middle) into per-channel running min[c] / max[c] (each initialised to QX_MINMAX_EMPTY_*), like
 * PerChannelMinMaxObserver with ch_axis = the middle axis. For an OIHW conv weight per output
 * channel: n_outer 1, channels O, inner I*H*W; for NCHW activations per channel: n_outer N,
 * channels C, inner H*W. */
static inline void qx_minmax_update_channels(const float *x, int64_t n_outer, int64_t channels,
                                             int64_t inner, float *min, float *max)
{
	for (int64_t o = 0; o < n_outer; o++)
		for (int64_t c = 0; c < channels; c++)
			qx_minmax_update(x + (o * channels + c) * inner, inner, &min[c], &max[c]);
}

/* How qx_calculate_qparams() computes: the observer's dtype and qscheme, as in PyTorch. */
struct qx_qscheme {
	int32_t dtype;                  /* QX_PLAN_UINT8, QX_PLAN_INT8 or QX_PLAN_INT32 */
	int symmetric;                  /* per_*_symmetric (1) or per_*_affine (0) */
	int32_t qmin, qmax;             /* from qx_qrange() or a customized range */
	int customized_qrange;          /* 1: qmin/qmax were given explicitly (quant_min/quant_max
	                                   arguments); affects the symmetric quint8 zero point */
};

/* Scale and zero point for values observed in [min_val, max_val] (one tensor, or one channel),
 * exactly as PyTorch computes them. Returns 0, or -1 when the input cannot give qparams:
 * NaN bounds, min_val > max_val (torch asserts), qmin >= qmax, an unknown dtype, or a symmetric
 * zero point outside [qmin, qmax] (reduce-range symmetric quint8, which torch refuses). On -1, *scale and *zero_point are
 * untouched. min_val = +inf with max_val = -inf (nothing observed) gives 1.0 and 0. */
static inline int qx_calculate_qparams(float min_val, float max_val, const struct qx_qscheme *qs,
                                       float *scale, int32_t *zero_point)
{
	if (isnan(min_val) || isnan(max_val) || qs->qmin >= qs->qmax)
		return -1;
	if (qs->dtype != QX_PLAN_UINT8 && qs->dtype != QX_PLAN_INT8 && qs->dtype != QX_PLAN_INT32)
		return -1;
	if (min_val == INFINITY && max_val == -INFINITY) {
		*scale = 1.0f;
		*zero_point = 0;
		return 0;
	}
	if (!(min_val <= max_val))
		return -1;

	float min_neg = min_val < 0.0f ? min_val : 0.0f;
	float max_pos = max_val > 0.0f ? max_val : 0.0f;
	/* (qmax - qmin) as a Python float: exact in double for every int32 range; PyTorch then
	 * applies it to the float32 tensor as a float32. */
	double range = (double)qs->qmax - (double)qs->qmin;
	float s;
	int64_t zp;
	if (qs->symmetric) {
		float m = -min_neg > max_pos ? -min_neg : max_pos;
		s = m / (float)(range / 2.0);
		if (!(s >= FLT_EPSILON))
			s = FLT_EPSILON;
		if (qs->dtype == QX_PLAN_UINT8)
			zp = qs->customized_qrange ? (int64_t)floor(((double)qs->qmin + qs->qmax) / 2.0)
			                           : 128;
		else
			zp = 0;
		if (zp < qs->qmin || zp > qs->qmax)
			return -1; /* reduce-range symmetric quint8: 128 is outside 0..127 */
	} else {
		s = (max_pos - min_neg) / (float)range;
		if (!(s >= FLT_EPSILON))
			s = FLT_EPSILON;
		/* torch.round on float32 rounds half to even: nearbyintf in the default mode. */
		float r = nearbyintf(min_neg / s);
		if (!isfinite(s) || !isfinite(r))
			return -1;
		zp = (int64_t)qs->qmin - (int64_t)r;
		if (zp < qs->qmin)
			zp = qs->qmin;
		if (zp > qs->qmax)
			zp = qs->qmax;
	}
	if (!isfinite(s))
		return -1;
	*scale = s;
	*zero_point = (int32_t)zp;
	return 0;
}

/* Per-channel qparams: qx_calculate_qparams() for each of n channels. Returns 0, or -1 if any
 * channel fails (outputs then partly written). Note PyTorch's per-channel "nothing observed"
 * case returns a single scale 1 / zero point 0 for the whole tensor; here each channel that
 * saw nothing gets 1 and 0. */
static inline int qx_calculate_qparams_channels(const float *min_val, const float *max_val,
                                                int64_t n, const struct qx_qscheme *qs,
                                                float *scales, int32_t *zero_points)
{
	for (int64_t c = 0; c < n; c++)
		if (qx_calculate_qparams(min_val[c], max_val[c], qs, &scales[c], &zero_points[c]))
			return -1;
	return 0;
}

#endif
