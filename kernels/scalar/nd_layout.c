/* Data movement for any element size: transpose, strided slice, gather; float pad
 * (kernels/nd_ops.h). */
#include "nd_ops.h"

#include <string.h>

/* Copies the box ydims of x, starting at x + base (in elements) with per-axis strides st (in
 * elements, any sign), into y densely. The innermost axis is copied with memcpy when its
 * stride is 1. */
static void strided_copy(size_t esz, int r, const int64_t *ydims_in, const char *x, int64_t base,
                         const int64_t *st_in, char *y)
{
	int64_t total = 1, idx[QX_ND_MAX_DIMS] = { 0 };
	for (int i = 0; i < r; i++)
		total *= ydims_in[i];
	if (total == 0)
		return;
	if (r == 0) {
		memcpy(y, x + (size_t)base * esz, esz);
		return;
	}
	/* The same box with fewer, longer runs: axes of extent 1 dropped, and an axis folded into
	 * the one inside it when x steps over exactly that axis (a channel shuffle's [N, C, 2, H,
	 * W] copies H * W at a time, not W). */
	int64_t ydims[QX_ND_MAX_DIMS], st[QX_ND_MAX_DIMS];
	int n = 0;
	for (int i = 0; i < r; i++)
		if (ydims_in[i] != 1) {
			ydims[n] = ydims_in[i];
			st[n++] = st_in[i];
		}
	if (n == 0) {
		ydims[0] = 1, st[0] = 1, n = 1;
	}
	while (n >= 2 && st[n - 2] == st[n - 1] * ydims[n - 1]) {
		ydims[n - 2] *= ydims[n - 1];
		st[n - 2] = st[n - 1];
		n--;
	}
	r = n;
	int64_t inner = ydims[r - 1], is = st[r - 1];
	for (int64_t done = 0; done < total; done += inner) {
		int64_t off = base;
		for (int d = 0; d < r - 1; d++)
			off += idx[d] * st[d];
		char *yo = y + (size_t)done * esz;
		if (is == 1)
			memcpy(yo, x + (size_t)off * esz, (size_t)inner * esz);
		else
			for (int64_t j = 0; j < inner; j++)
				memcpy(yo + (size_t)j * esz, x + (size_t)(off + j * is) * esz, esz);
		for (int d = r - 2; d >= 0; d--) {
			if (++idx[d] < ydims[d])
				break;
			idx[d] = 0;
		}
	}
}

static void dense_strides(int r, const int64_t *dims, int64_t *st)
{
	int64_t s = 1;
	for (int i = r - 1; i >= 0; i--) {
		st[i] = s;
		s *= dims[i];
	}
}

void qx_nd_transpose(size_t esz, int r, const int64_t *xdims, const int64_t *perm,
                     const void *x, void *y)
{
	int64_t xs[QX_ND_MAX_DIMS], st[QX_ND_MAX_DIMS], ydims[QX_ND_MAX_DIMS];
	dense_strides(r, xdims, xs);
	for (int i = 0; i < r; i++) {
		ydims[i] = xdims[perm[i]];
		st[i] = xs[perm[i]];
	}
	strided_copy(esz, r, ydims, x, 0, st, y);
}

void qx_nd_slice(size_t esz, int r, const int64_t *xdims, const int64_t *start,
                 const int64_t *step, const int64_t *ydims, const void *x, void *y)
{
	int64_t xs[QX_ND_MAX_DIMS], st[QX_ND_MAX_DIMS], base = 0;
	dense_strides(r, xdims, xs);
	for (int i = 0; i < r; i++) {
		base += start[i] * xs[i];
		st[i] = step[i] * xs[i];
	}
	strided_copy(esz, r, ydims, x, base, st, y);
}

void qx_nd_gather(size_t esz, int64_t outer, int64_t axis_len, int64_t inner,
                  const int64_t *idx, int64_t n_idx, const void *x, void *y)
{
	const char *xc = x;
	char *yc = y;
	size_t row = (size_t)inner * esz;
	for (int64_t o = 0; o < outer; o++)
		for (int64_t k = 0; k < n_idx; k++) {
			int64_t i = idx[k] < 0 ? idx[k] + axis_len : idx[k];
			memcpy(yc + (size_t)(o * n_idx + k) * row, xc + (size_t)(o * axis_len + i) * row,
			       row);
		}
}

/* The input index an output index i of one padded axis reads, or -1 for the constant. */
static int64_t pad_source(enum qx_nd_pad_mode mode, int64_t i, int64_t before, int64_t size)
{
	int64_t s = i - before;
	if (s >= 0 && s < size)
		return s;
	switch (mode) {
	case QX_ND_PAD_CONSTANT:
		return -1;
	case QX_ND_PAD_EDGE:
		return s < 0 ? 0 : size - 1;
	case QX_ND_PAD_REFLECT:
		if (size == 1)
			return 0;
		return s < 0 ? -s : 2 * (size - 1) - s;
	}
	return -1;
}

void qx_nd_pad_f32(enum qx_nd_pad_mode mode, int r, const int64_t *xdims, const int64_t *pads,
                   float value, const float *x, float *y)
{
	if (r == 0) {
		y[0] = x[0];
		return;
	}
	int64_t ydims[QX_ND_MAX_DIMS], xs[QX_ND_MAX_DIMS], rows = 1, idx[QX_ND_MAX_DIMS] = { 0 };
	dense_strides(r, xdims, xs);
	for (int i = 0; i < r; i++)
		ydims[i] = xdims[i] + pads[i] + pads[r + i];
	int last = r - 1;
	for (int i = 0; i < last; i++)
		rows *= ydims[i];
	/* Along the last axis, the outputs [lo, hi) read one contiguous run of the input row:
	 * one memcpy (densenet121's Pads add nothing at all); the padded ends go value by value. */
	int64_t len = ydims[last], before = pads[last], size = xdims[last];
	int64_t lo = before > 0 ? before : 0, hi = before + size < len ? before + size : len;
	if (hi < lo)
		hi = lo;
	for (int64_t row = 0; row < rows; row++) {
		int64_t off = 0;
		int inside = 1;
		for (int d = 0; d < last && inside; d++) {
			int64_t s = pad_source(mode, idx[d], pads[d], xdims[d]);
			inside = s >= 0;
			off += s * xs[d];
		}
		float *yr = y + row * len;
		if (!inside) {
			for (int64_t k = 0; k < len; k++)
				yr[k] = value;
		} else {
			const float *xr = x + off;
			for (int64_t k = 0; k < lo; k++) {
				int64_t s = pad_source(mode, k, before, size);
				yr[k] = s >= 0 ? xr[s] : value;
			}
			if (hi > lo)
				memcpy(yr + lo, xr + (lo - before), sizeof(float) * (size_t)(hi - lo));
			for (int64_t k = hi; k < len; k++) {
				int64_t s = pad_source(mode, k, before, size);
				yr[k] = s >= 0 ? xr[s] : value;
			}
		}
		for (int d = last - 1; d >= 0; d--) {
			if (++idx[d] < ydims[d])
				break;
			idx[d] = 0;
		}
	}
}
