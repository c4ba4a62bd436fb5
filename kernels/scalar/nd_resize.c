/* ONNX Resize for float: nearest over any axes, linear over at most two (kernels/nd_ops.h). */
#include "nd_ops.h"

#include <math.h>

/* The input coordinate output index i of one axis maps to. The resized length is in_len * scale
 * as a real number (ONNX's reference), which is the output size when sizes were given. */
static double source_coord(enum qx_nd_coord coord, int64_t i, int64_t in_len, float scale)
{
	double out_len = (double)in_len * scale;
	switch (coord) {
	case QX_ND_COORD_HALF_PIXEL:
		return ((double)i + 0.5) / scale - 0.5;
	case QX_ND_COORD_PYTORCH_HALF_PIXEL:
		return out_len > 1 ? ((double)i + 0.5) / scale - 0.5 : 0.0;
	case QX_ND_COORD_ALIGN_CORNERS:
		return out_len > 1 ? (double)i * (double)(in_len - 1) / (out_len - 1) : 0.0;
	case QX_ND_COORD_ASYMMETRIC:
		return (double)i / scale;
	}
	return 0.0;
}

static int64_t nearest_index(enum qx_nd_nearest mode, double x, int64_t len)
{
	double f = floor(x);
	int64_t k;
	switch (mode) {
	case QX_ND_NEAREST_ROUND_PREFER_FLOOR:
		k = (int64_t)(x - f == 0.5 ? f : floor(x + 0.5));
		break;
	case QX_ND_NEAREST_ROUND_PREFER_CEIL:
		k = (int64_t)ceil(x - f == 0.5 ? x : floor(x + 0.5));
		break;
	case QX_ND_NEAREST_FLOOR:
		k = (int64_t)f;
		break;
	default:
		k = (int64_t)ceil(x);
		break;
	}
	return k < 0 ? 0 : (k >= len ? len - 1 : k);
}

void qx_nd_resize_f32(int linear, enum qx_nd_coord coord, enum qx_nd_nearest nearest, int r,
                      const int64_t *xdims, const int64_t *ydims, const float *scale,
                      const float *x, float *y)
{
	int64_t xs[QX_ND_MAX_DIMS], st = 1, total = 1, idx[QX_ND_MAX_DIMS] = { 0 };
	int lin[2], n_lin = 0;
	for (int i = r - 1; i >= 0; i--) {
		xs[i] = st;
		st *= xdims[i];
	}
	for (int i = 0; i < r; i++) {
		total *= ydims[i];
		if (linear && (ydims[i] != xdims[i] || scale[i] != 1.0f) && n_lin < 2)
			lin[n_lin++] = i;
	}
	for (int64_t k = 0; k < total; k++) {
		int64_t base = 0;
		int64_t lo[2] = { 0, 0 }, hi[2] = { 0, 0 };
		double w[2] = { 0.0, 0.0 };
		int li = 0;
		for (int d = 0; d < r; d++) {
			double c = source_coord(coord, idx[d], xdims[d], scale[d]);
			if (li < n_lin && lin[li] == d) {
				if (c < 0.0)
					c = 0.0;
				int64_t i0 = (int64_t)floor(c);
				if (i0 > xdims[d] - 1)
					i0 = xdims[d] - 1;
				int64_t i1 = i0 + 1 < xdims[d] ? i0 + 1 : xdims[d] - 1;
				w[li] = c - (double)i0;
				if (w[li] > 1.0)
					w[li] = 1.0;
				lo[li] = i0 * xs[d];
				hi[li] = i1 * xs[d];
				li++;
			} else if (linear) {
				base += idx[d] * xs[d];
			} else {
				base += nearest_index(nearest, c, xdims[d]) * xs[d];
			}
		}
		if (n_lin == 0) {
			y[k] = x[base];
		} else if (n_lin == 1) {
			y[k] = (float)((1.0 - w[0]) * x[base + lo[0]] + w[0] * x[base + hi[0]]);
		} else {
			double top = (1.0 - w[1]) * x[base + lo[0] + lo[1]] + w[1] * x[base + lo[0] + hi[1]];
			double bot = (1.0 - w[1]) * x[base + hi[0] + lo[1]] + w[1] * x[base + hi[0] + hi[1]];
			y[k] = (float)((1.0 - w[0]) * top + w[0] * bot);
		}
		for (int d = r - 1; d >= 0; d--) {
			if (++idx[d] < ydims[d])
				break;
			idx[d] = 0;
		}
	}
}
