/* The float32 arithmetic of the torch 1.13 CPU kernels that PyTorch's observers go through,
 * reproduced so that the shipped plugins get PyTorch's quantization parameters bit for bit.
 *
 * Private to plugins/ (header only, every function static inline so that a plugin that uses
 * only part of it builds without unused-function warnings). Measured against torch 1.13.1 as
 * Debian builds it (CPU capability AVX2: 8 floats per vector); tests/test_plugins_golden.c holds
 * the results to PyTorch's. */
#ifndef QX_PLUGINS_TORCH_F32_H
#define QX_PLUGINS_TORCH_F32_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Floats per Vectorized<float> in torch's AVX2 kernels. */
#define QXP_TORCH_VEC 8

/* The smallest and largest of n > 0 floats (torch.aminmax); -1 when one is NaN or infinite,
 * where torch's observers raise and no histogram could hold the range. */
static inline int qxp_finite_minmax(const float *x, int64_t n, float *lo, float *hi)
{
	float a = INFINITY, b = -INFINITY;
	for (int64_t i = 0; i < n; i++) {
		if (!isfinite(x[i]))
			return -1;
		a = x[i] < a ? x[i] : a;
		b = x[i] > b ? x[i] : b;
	}
	*lo = a;
	*hi = b;
	return 0;
}

/* c10's CeilLog2: 1 for x <= 2, else ceil(log2(x)). */
static inline int64_t qxp_ceil_log2(int64_t x)
{
	if (x <= 2)
		return 1;
	int64_t bits = 0;
	for (uint64_t v = (uint64_t)(x - 1); v; v >>= 1)
		bits++;
	return bits;
}

/* torch's multi_row_sum over `size` rows of 4 columns, each element `lanes` floats wide (one
 * Vectorized<float> when lanes is 8, a scalar when 1): a 4-level cascade so that long sums keep
 * their precision. Element (row i, column k) starts at x + (i * 4 + k) * lanes. Writes the 4
 * column sums, each `lanes` wide, to out[k * lanes + lane]. */
static inline void qxp_torch_multi_row_sum(const float *x, int64_t size, int lanes, float *out)
{
	enum { LEVELS = 4, COLS = 4 };
	float acc[LEVELS][COLS][QXP_TORCH_VEC];
	memset(acc, 0, sizeof acc);
	int64_t level_power = qxp_ceil_log2(size) / LEVELS;
	if (level_power < 4)
		level_power = 4;
	const int64_t level_step = (int64_t)1 << level_power;
	const int64_t level_mask = level_step - 1;

	int64_t i = 0;
	while (i + level_step <= size) {
		for (int64_t j = 0; j < level_step; ++j, ++i)
			for (int k = 0; k < COLS; k++)
				for (int l = 0; l < lanes; l++)
					acc[0][k][l] += x[(i * COLS + k) * lanes + l];
		for (int j = 1; j < LEVELS; ++j) {
			for (int k = 0; k < COLS; k++)
				for (int l = 0; l < lanes; l++) {
					acc[j][k][l] += acc[j - 1][k][l];
					acc[j - 1][k][l] = 0.0f;
				}
			if ((i & (level_mask << (j * level_power))) != 0)
				break;
		}
	}
	for (; i < size; ++i)
		for (int k = 0; k < COLS; k++)
			for (int l = 0; l < lanes; l++)
				acc[0][k][l] += x[(i * COLS + k) * lanes + l];
	for (int j = 1; j < LEVELS; ++j)
		for (int k = 0; k < COLS; k++)
			for (int l = 0; l < lanes; l++)
				acc[0][k][l] += acc[j][k][l];
	for (int k = 0; k < COLS; k++)
		for (int l = 0; l < lanes; l++)
			out[k * lanes + l] = acc[0][k][l];
}

/* torch's row_sum: `size` elements `lanes` floats wide, read as rows of 4 (instruction-level
 * parallelism), the leftover elements added to column 0, then the columns folded. */
static inline void qxp_torch_row_sum(const float *x, int64_t size, int lanes, float *out)
{
	float part[4 * QXP_TORCH_VEC];
	int64_t size_ilp = size / 4;
	qxp_torch_multi_row_sum(x, size_ilp, lanes, part);
	for (int64_t i = size_ilp * 4; i < size; i++)
		for (int l = 0; l < lanes; l++)
			part[l] += x[i * lanes + l];
	for (int k = 1; k < 4; k++)
		for (int l = 0; l < lanes; l++)
			part[l] += part[k * lanes + l];
	memcpy(out, part, (size_t)lanes * sizeof *out);
}

/* torch.sum() of n contiguous float32 values on one thread, as torch 1.13's cascade_sum does it
 * (float accumulators). Not the correctly rounded sum: the order of additions is torch's, so
 * the result is torch's to the last bit. n must stay below torch's parallel grain size (32768)
 * for torch itself to be deterministic; the plugins only sum histograms of at most 16384 bins. */
static inline float qxp_torch_sum_f32(const float *x, int64_t n)
{
	float lanes[QXP_TORCH_VEC];
	float acc = 0.0f;
	if (n >= QXP_TORCH_VEC) {
		int64_t vec_size = n / QXP_TORCH_VEC;
		qxp_torch_row_sum(x, vec_size, QXP_TORCH_VEC, lanes);
		for (int64_t k = vec_size * QXP_TORCH_VEC; k < n; k++)
			acc += x[k];
		for (int l = 0; l < QXP_TORCH_VEC; l++)
			acc += lanes[l];
	} else {
		qxp_torch_row_sum(x, n, 1, lanes);
		acc = lanes[0];
	}
	return 0.0f + acc; /* the output starts at 0 and is accumulated into */
}

/* torch.div(a, b, rounding_mode='floor') for float32 (c10's div_floor_floating). */
static inline float qxp_torch_div_floor(float a, float b)
{
	if (b == 0.0f)
		return a / b;
	float mod = fmodf(a, b);
	float div = (a - mod) / b;
	if (mod != 0.0f && (b < 0.0f) != (mod < 0.0f))
		div -= 1.0f;
	float floordiv;
	if (div != 0.0f) {
		floordiv = floorf(div);
		if (div - floordiv > 0.5f)
			floordiv += 1.0f;
	} else {
		floordiv = copysignf(0.0f, a / b);
	}
	return floordiv;
}

/* The last value of torch.linspace(start, end, steps) in float32. torch's AVX2 kernel writes
 * groups of 8 with a vector base plus lane * step; when steps is a multiple of 16 the last
 * value comes from such a lane (base computed with one fused multiply-add) and can miss end by
 * an ulp, otherwise it is end exactly. Measured on torch 1.13.1. */
static inline float qxp_torch_linspace_last(float start, float end, int64_t steps)
{
	if (steps < 2 || steps % (2 * QXP_TORCH_VEC) != 0)
		return end;
	float step = (end - start) / (float)(steps - 1);
	float lane = (float)(QXP_TORCH_VEC - 1);
	float base = fmaf(-step, lane, end);
	return base + lane * step;
}

/* torch.histc(x, bins, min=lo, max=hi) on float32 input, into hist (bins floats, overwritten):
 * equal bounds are replaced by the data's min and max, still-equal ones widened by 1 each way;
 * values outside [lo, hi] (and NaN) are dropped; each value goes to bin
 * trunc((x - lo) / (hi - lo) * bins) computed in float32, the top edge into the last bin.
 * Returns 0, or -1 where torch raises (bounds not finite). */
static inline int qxp_torch_histc(const float *x, int64_t n, int32_t bins, double lo, double hi,
                                  float *hist)
{
	if (lo == hi && n > 0) {
		float mn = x[0], mx = x[0];
		int nan = 0;
		for (int64_t i = 0; i < n; i++) {
			if (x[i] != x[i])
				nan = 1;
			if (x[i] < mn)
				mn = x[i];
			if (x[i] > mx)
				mx = x[i];
		}
		lo = nan ? NAN : mn;
		hi = nan ? NAN : mx;
	}
	if (lo == hi) {
		lo -= 1.0;
		hi += 1.0;
	}
	if (!isfinite(lo) || !isfinite(hi) || !(lo < hi))
		return -1;
	float left = (float)lo;
	float right = qxp_torch_linspace_last(left, (float)hi, (int64_t)bins + 1);
	float fbins = (float)bins;
	memset(hist, 0, (size_t)bins * sizeof *hist);
	for (int64_t i = 0; i < n; i++) {
		float e = x[i];
		if (!(e >= left && e <= right))
			continue;
		int64_t pos = (int64_t)((e - left) / (right - left) * fbins);
		if (pos >= bins)
			pos = bins - 1;
		hist[pos] += 1.0f;
	}
	return 0;
}

#endif
