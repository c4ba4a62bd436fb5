/* Implementation of torch_f32.h (declarations and documentation there). */
#include "torch_f32.h"

int qxp_finite_minmax(const float *x, int64_t n, float *lo, float *hi)
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

int64_t qxp_ceil_log2(int64_t x)
{
	if (x <= 2)
		return 1;
	int64_t bits = 0;
	for (uint64_t v = (uint64_t)(x - 1); v; v >>= 1)
		bits++;
	return bits;
}

void qxp_torch_multi_row_sum(const float *x, int64_t size, int lanes, float *out)
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

void qxp_torch_row_sum(const float *x, int64_t size, int lanes, float *out)
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

float qxp_torch_sum_f32(const float *x, int64_t n)
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

float qxp_torch_div_floor(float a, float b)
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

float qxp_torch_linspace_last(float start, float end, int64_t steps)
{
	if (steps < 2 || steps % (2 * QXP_TORCH_VEC) != 0)
		return end;
	float step = (end - start) / (float)(steps - 1);
	float lane = (float)(QXP_TORCH_VEC - 1);
	float base = fmaf(-step, lane, end);
	return base + lane * step;
}

int qxp_torch_histc(const float *x, int64_t n, int32_t bins, double lo, double hi,
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
