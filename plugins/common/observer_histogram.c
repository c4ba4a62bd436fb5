/* Implementation of observer_histogram.h (declarations and documentation there). */
#include "observer_histogram.h"

int qxp_hist_init(struct qxp_hist_observer *o, int32_t bins, int32_t upsample_rate,
                  int exact_bounds)
{
	memset(o, 0, sizeof *o);
	o->bins = bins;
	o->upsample_rate = upsample_rate;
	o->exact_bounds = exact_bounds;
	o->min_val = INFINITY;
	o->max_val = -INFINITY;
	o->histogram = calloc((size_t)bins, sizeof *o->histogram);
	o->scratch = calloc((size_t)bins, sizeof *o->scratch);
	o->integral = calloc((size_t)bins, sizeof *o->integral);
	o->csum = calloc((size_t)bins, sizeof *o->csum);
	return o->histogram && o->scratch && o->integral && o->csum ? 0 : -1;
}

void qxp_hist_free(struct qxp_hist_observer *o)
{
	free(o->histogram);
	free(o->scratch);
	free(o->integral);
	free(o->csum);
	memset(o, 0, sizeof *o);
}

double qxp_hist_bound(const struct qxp_hist_observer *o, float v)
{
	return o->exact_bounds ? (double)v : trunc((double)v);
}

void qxp_hist_combine(struct qxp_hist_observer *o, float *hist,
                      int64_t downsample_rate, int64_t start_idx)
{
	const int64_t bins = o->bins, up = o->upsample_rate;
	const int64_t fine_len = bins * downsample_rate;
	int64_t old_begin = start_idx, old_end = start_idx + bins * up;
	if (old_end > fine_len) {
		/* torch raises a shape mismatch here; qx-bench drops the cells past the end */
		old_end = fine_len;
		o->clipped = 1;
	}
	double acc = 0.0;
	int64_t done = 0;               /* fine cells [0, done) are in acc */
	for (int64_t k = 0; k < bins; k++) {
		int64_t cell_end = (k + 1) * downsample_rate;
		int64_t p = done > old_begin ? done : old_begin;
		int64_t stop = cell_end < old_end ? cell_end : old_end;
		for (; p < stop; p++)
			acc += (double)o->histogram[(p - old_begin) / up];
		done = cell_end;
		o->integral[k] = acc;
	}
	float shifted = 0.0f;           /* torch stores the shifted integral in float32 */
	for (int64_t k = 0; k < bins; k++) {
		double interpolated = (o->integral[k] - (double)shifted) / (double)up;
		hist[k] = hist[k] + (float)interpolated;
		shifted = (float)o->integral[k];
	}
}

int qxp_hist_observe(struct qxp_hist_observer *o, const float *x, int64_t n)
{
	if (n <= 0)
		return 0;
	float lo, hi;
	if (qxp_finite_minmax(x, n, &lo, &hi))
		return -1;
	int uninitialized = o->min_val == INFINITY && o->max_val == -INFINITY;
	if (uninitialized || o->min_val == o->max_val) {
		o->min_val = lo;
		o->max_val = hi;
		return qxp_torch_histc(x, n, o->bins, qxp_hist_bound(o, lo), qxp_hist_bound(o, hi),
		                       o->histogram);
	}

	float combined_min = lo < o->min_val ? lo : o->min_val;
	float combined_max = hi > o->max_val ? hi : o->max_val;
	/* _adjust_min_max, in float32 like torch's 0-dim tensors */
	float fbins = (float)o->bins;
	float hist_bin_width = (o->max_val - o->min_val) /
	                       (float)((int64_t)o->bins * o->upsample_rate);
	float downsample_f = ceilf((combined_max - combined_min) / (fbins * hist_bin_width));
	if (!(downsample_f >= 1.0f) || downsample_f > 1e12f)
		return -1; /* torch: int(inf) raises, or it runs out of memory */
	int64_t downsample_rate = (int64_t)downsample_f;
	float e = (float)downsample_rate * (fbins * hist_bin_width) - (combined_max - combined_min);
	combined_max = combined_max + e;
	int64_t start_idx = (int64_t)nearbyintf((o->min_val - combined_min) / hist_bin_width);

	float *hist = o->scratch;
	if (qxp_torch_histc(x, n, o->bins, qxp_hist_bound(o, combined_min),
	                    qxp_hist_bound(o, combined_max), hist))
		return -1;
	if (combined_min == o->min_val && combined_max == o->max_val) {
		for (int32_t k = 0; k < o->bins; k++)
			hist[k] += o->histogram[k];
	} else {
		qxp_hist_combine(o, hist, downsample_rate, start_idx);
	}
	o->scratch = o->histogram;
	o->histogram = hist;
	o->min_val = combined_min;
	o->max_val = combined_max;
	return 0;
}

double qxp_hist_error(struct qxp_hist_observer *o, int64_t start_bin, int64_t end_bin)
{
	const int64_t bins = o->bins;
	double bin_width = ((double)o->max_val - (double)o->min_val) / (double)bins;
	double dst_bin_width = bin_width * (double)(end_bin - start_bin + 1) / QXP_HIST_DST_BINS;
	if (dst_bin_width == 0.0)
		return 0.0;
	const float bw = (float)bin_width, dbw = (float)dst_bin_width;
	const float half = (float)(dst_bin_width / 2), neg_half = (float)(-dst_bin_width / 2);
	const float top = (float)(QXP_HIST_DST_BINS - 1);
	const float inner = (half * half * half - neg_half * neg_half * neg_half) / 3.0f;
	float *norm = o->scratch;
	for (int64_t i = 0; i < bins; i++) {
		float begin = (float)(i - start_bin) * bw;
		float end = begin + bw;
		float dst_begin = qxp_torch_div_floor(begin, dbw);
		dst_begin = fminf(fmaxf(dst_begin, 0.0f), top);
		float dst_begin_center = (dst_begin + 0.5f) * dbw;
		float dst_end = qxp_torch_div_floor(end, dbw);
		dst_end = fminf(fmaxf(dst_end, 0.0f), top);
		float density = o->histogram[i] / bw;

		float db = begin - dst_begin_center;
		float n = 0.0f + density * ((half * half * half - db * db * db) / 3.0f);
		n += (dst_end - dst_begin - 1.0f) * (density * inner);
		float dst_end_center = dst_end * dbw + half;
		float de = end - dst_end_center;
		n += density * ((de * de * de - neg_half * neg_half * neg_half) / 3.0f);
		norm[i] = n;
	}
	return (double)qxp_torch_sum_f32(norm, bins);
}

void qxp_hist_search(struct qxp_hist_observer *o, float *new_min, float *new_max)
{
	const int64_t bins = o->bins;
	float bin_width = (o->max_val - o->min_val) / (float)bins;
	double total = (double)qxp_torch_sum_f32(o->histogram, bins);
	float *csum = o->csum;
	double run = 0.0;               /* torch's float cumsum accumulates in double */
	for (int64_t i = 0; i < bins; i++) {
		run += (double)o->histogram[i];
		csum[i] = (float)run;
	}
	int64_t start_bin = 0, end_bin = bins - 1;
	const double stepsize = 1e-5;
	double alpha = 0.0, beta = 1.0, norm_min = INFINITY;
	while (alpha < beta) {
		double next_alpha = alpha + stepsize;
		double next_beta = beta - stepsize;
		/* a 0-dim float tensor compared with a Python float compares in float32 */
		float lo_quantile = (float)(next_alpha * total);
		float hi_quantile = (float)(next_beta * total);
		int64_t l = start_bin, r = end_bin;
		while (l < end_bin && csum[l] < lo_quantile)
			l++;
		while (r > start_bin && csum[r] > hi_quantile)
			r--;
		int64_t next_start = start_bin, next_end = end_bin;
		if (l - start_bin > end_bin - r) {
			next_start = l;
			alpha = next_alpha;
		} else {
			next_end = r;
			beta = next_beta;
		}
		if (next_start == start_bin && next_end == end_bin)
			continue;
		double norm = qxp_hist_error(o, next_start, next_end);
		if (norm > norm_min)
			break;
		norm_min = norm;
		start_bin = next_start;
		end_bin = next_end;
	}
	*new_min = o->min_val + bin_width * (float)start_bin;
	*new_max = o->min_val + bin_width * (float)(end_bin + 1);
}
