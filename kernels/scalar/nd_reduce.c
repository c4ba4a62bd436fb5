/* Float reductions and normalizations (kernels/nd_ops.h): ReduceMean, global max / average
 * pooling, LayerNormalization, Softmax. */
#include "nd_ops.h"

#include <math.h>

/* Advances a multi-index over the axes in list (n of them) within dims; 0 when it wraps. */
static int next_index(int n, const int *list, const int64_t *dims, int64_t *idx)
{
	for (int k = n - 1; k >= 0; k--) {
		if (++idx[list[k]] < dims[list[k]])
			return 1;
		idx[list[k]] = 0;
	}
	return 0;
}

void qx_nd_reduce_mean_f32(int r, const int64_t *xdims, const int *reduce, const float *x,
                           float *y)
{
	/* For each output, a double sum over the reduced box (reduced axes in memory order). */
	int kept[QX_ND_MAX_DIMS], red[QX_ND_MAX_DIMS], nk = 0, nr = 0;
	int64_t xs[QX_ND_MAX_DIMS], st = 1, count = 1, ny = 1;
	for (int i = r - 1; i >= 0; i--) {
		xs[i] = st;
		st *= xdims[i];
	}
	for (int i = 0; i < r; i++) {
		if (reduce[i]) {
			red[nr++] = i;
			count *= xdims[i];
		} else {
			kept[nk++] = i;
			ny *= xdims[i];
		}
	}
	int trailing = 1; /* the reduced axes are the last nr: each box is one contiguous run */
	for (int i = 0; i < nr; i++)
		trailing &= red[i] == r - nr + i;
	if (trailing && count) {
		/* the same sums in the same order as below, without the per-value index arithmetic
		 * (a [N,C,H,W] mean over H and W: shufflenet's head) */
		for (int64_t o = 0; o < ny; o++) {
			double sum = 0.0;
			for (int64_t j = 0; j < count; j++)
				sum += x[o * count + j];
			y[o] = (float)(sum / (double)count);
		}
		return;
	}
	int64_t idx[QX_ND_MAX_DIMS] = { 0 };
	for (int64_t o = 0; o < ny; o++) {
		double sum = 0.0;
		for (int i = 0; i < nr; i++)
			idx[red[i]] = 0;
		if (count)
			do {
				int64_t off = 0;
				for (int d = 0; d < r; d++)
					off += idx[d] * xs[d];
				sum += x[off];
			} while (next_index(nr, red, xdims, idx));
		y[o] = count ? (float)(sum / (double)count) : NAN;
		next_index(nk, kept, xdims, idx);
	}
}

void qx_nd_plane_max_f32(int64_t planes, int64_t inner, const float *x, float *y)
{
	for (int64_t p = 0; p < planes; p++) {
		float m = -INFINITY;
		for (int64_t j = 0; j < inner; j++) {
			float v = x[p * inner + j];
			if (v > m || v != v)
				m = v;
		}
		y[p] = m;
	}
}

void qx_nd_plane_mean_f32(int64_t planes, int64_t inner, const float *x, float *y)
{
	int64_t p = 0;
	/* eight planes side by side: each its own sum, in its own order (the same bits as one
	 * plane at a time), but eight independent chains of adds instead of one that waits out
	 * each add's latency (global average pooling: the squeeze-excitation blocks) */
	for (; p + 8 <= planes; p += 8) {
		/* named sums, not an array: GCC kept an array on the stack, a store and a reload
		 * around every add */
		float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f, s4 = 0.0f, s5 = 0.0f, s6 = 0.0f,
		      s7 = 0.0f;
		const float *xp = x + p * inner;
		for (int64_t j = 0; j < inner; j++) {
			s0 += xp[j];
			s1 += xp[inner + j];
			s2 += xp[2 * inner + j];
			s3 += xp[3 * inner + j];
			s4 += xp[4 * inner + j];
			s5 += xp[5 * inner + j];
			s6 += xp[6 * inner + j];
			s7 += xp[7 * inner + j];
		}
		const float sums[8] = { s0, s1, s2, s3, s4, s5, s6, s7 };
		for (int q = 0; q < 8; q++)
			y[p + q] = inner ? sums[q] / (float)inner : 0.0f;
	}
	for (; p < planes; p++) {
		float sum = 0.0f;
		for (int64_t j = 0; j < inner; j++)
			sum += x[p * inner + j];
		y[p] = inner ? sum / (float)inner : 0.0f;
	}
}

void qx_nd_layernorm_f32(int64_t outer, int64_t inner, float epsilon, const float *x,
                         const float *scale, const float *bias, float *y, float *mean,
                         float *inv_std)
{
	for (int64_t o = 0; o < outer; o++) {
		const float *xr = x + o * inner;
		float *yr = y + o * inner;
		double s = 0.0, s2 = 0.0;
		for (int64_t j = 0; j < inner; j++)
			s += xr[j];
		double m = inner ? s / (double)inner : 0.0;
		for (int64_t j = 0; j < inner; j++)
			s2 += (xr[j] - m) * (xr[j] - m);
		double var = inner ? s2 / (double)inner : 0.0;
		double is = 1.0 / sqrt(var + epsilon);
		for (int64_t j = 0; j < inner; j++) {
			float v = (float)((xr[j] - m) * is) * scale[j];
			yr[j] = bias ? v + bias[j] : v;
		}
		if (mean)
			mean[o] = (float)m;
		if (inv_std)
			inv_std[o] = (float)is;
	}
}

void qx_nd_softmax_f32(int64_t outer, int64_t len, int64_t inner, const float *x, float *y)
{
	for (int64_t o = 0; o < outer; o++)
		for (int64_t in = 0; in < inner; in++) {
			const float *xs = x + o * len * inner + in;
			float *ys = y + o * len * inner + in;
			float m = -INFINITY;
			for (int64_t i = 0; i < len; i++)
				m = xs[i * inner] > m ? xs[i * inner] : m;
			float sum = 0.0f;
			for (int64_t i = 0; i < len; i++) {
				ys[i * inner] = expf(xs[i * inner] - m);
				sum += ys[i * inner];
			}
			for (int64_t i = 0; i < len; i++)
				ys[i * inner] /= sum;
		}
}
