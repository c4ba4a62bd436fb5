#include "exec/q8_layout.h"

void qx_q8_layout_init(struct qx_q8_layout *l, const struct qx_tensor *t)
{
	l->ndim = t->ndim;
	l->numel = 1;
	for (int d = 0; d < t->ndim; d++) {
		l->dims[d] = l->phys[d] = t->dims[d];
		l->numel *= t->dims[d];
	}
	l->nhwc = t->ndim == 4;
	if (l->nhwc) {
		l->phys[1] = t->dims[2];
		l->phys[2] = t->dims[3];
		l->phys[3] = t->dims[1];
	}
}

int qx_q8_layout_needs_transpose(const struct qx_q8_layout *l)
{
	return l->nhwc && l->dims[1] > 1 && l->dims[2] * l->dims[3] > 1;
}

int qx_q8_layout_physical_axis(const struct qx_q8_layout *l, int axis)
{
	if (axis < 0)
		axis += l->ndim;
	if (!l->nhwc)
		return axis;
	static const int nchw_to_nhwc[4] = { 0, 3, 1, 2 };
	return nchw_to_nhwc[axis & 3];
}

void qx_q8_nchw_to_nhwc(const struct qx_q8_layout *l, const uint8_t *src, uint8_t *dst)
{
	int64_t n = l->dims[0], c = l->dims[1], hw = l->dims[2] * l->dims[3];
	for (int64_t b = 0; b < n; b++)
		for (int64_t ch = 0; ch < c; ch++)
			for (int64_t p = 0; p < hw; p++)
				dst[(b * hw + p) * c + ch] = src[(b * c + ch) * hw + p];
}

void qx_q8_nhwc_to_nchw(const struct qx_q8_layout *l, const uint8_t *src, uint8_t *dst)
{
	int64_t n = l->dims[0], c = l->dims[1], hw = l->dims[2] * l->dims[3];
	for (int64_t b = 0; b < n; b++)
		for (int64_t ch = 0; ch < c; ch++)
			for (int64_t p = 0; p < hw; p++)
				dst[(b * c + ch) * hw + p] = src[(b * hw + p) * c + ch];
}
