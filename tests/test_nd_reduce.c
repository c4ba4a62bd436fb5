/* qx_nd_reduce_mean_f32 (kernels/scalar/nd_reduce.c) against naive loops written here: a mean
 * over the trailing axes (its contiguous fast path: [N,C,H,W] over H and W, over everything)
 * must give the bits of the same double sum in memory order; other axis sets (a middle axis,
 * axes with a kept one between them, none) go through its general path. And
 * qx_nd_plane_mean_f32 (global average pooling), which sums eight planes side by side: each
 * plane's float sum in order, for plane counts around multiples of eight. */
#include <stdlib.h>
#include <string.h>

#include "nd_ops.h"
#include "support/rng.h"
#include "support/tap.h"

enum { N = 2, C = 3, H = 5, W = 7, TOTAL = N * C * H * W };

/* Mean over the axes where red[] is set, summing in memory order in double: for each output
 * (kept axes in order), every x whose kept coordinates match it. */
static void naive(const float *x, const int *red, float *y, int64_t *ny)
{
	const int64_t dims[4] = { N, C, H, W };
	int64_t count = 1, out = 1;
	for (int a = 0; a < 4; a++)
		red[a] ? (count *= dims[a]) : (out *= dims[a]);
	for (int64_t o = 0; o < out; o++) {
		double sum = 0.0;
		for (int64_t i = 0; i < TOTAL; i++) {
			int64_t idx[4] = { i / (C * H * W), i / (H * W) % C, i / W % H, i % W }, k = 0;
			for (int a = 0; a < 4; a++)
				if (!red[a])
					k = k * dims[a] + idx[a];
			if (k == o)
				sum += x[i];
		}
		y[o] = (float)(sum / (double)count);
	}
	*ny = out;
}

int main(void)
{
	static const int cases[][4] = { { 0, 0, 1, 1 }, { 1, 1, 1, 1 }, { 0, 0, 0, 1 },
	                                { 0, 1, 0, 0 }, { 0, 1, 0, 1 }, { 0, 0, 0, 0 } };
	const int64_t dims[4] = { N, C, H, W };
	enum { NCASES = sizeof cases / sizeof cases[0] };
	tap_plan(NCASES + 1);
	uint64_t rng = 7;
	float x[TOTAL], y[TOTAL], want[TOTAL];
	for (int i = 0; i < TOTAL; i++) /* values of very different sizes: order changes the sum */
		x[i] = ((float)tap_rand(&rng) / 4294967296.0f - 0.5f) * (i % 5 ? (i % 3 ? 1.0f : 1e-12f) : 1e12f);
	for (int c = 0; c < NCASES; c++) {
		int64_t ny;
		naive(x, cases[c], want, &ny);
		memset(y, 0, sizeof y);
		qx_nd_reduce_mean_f32(4, dims, cases[c], x, y);
		ok(memcmp(y, want, (size_t)ny * sizeof *y) == 0,
		   "mean over axes {%d,%d,%d,%d} of [2,3,5,7]: %lld outputs, the naive sum's bits",
		   cases[c][0], cases[c][1], cases[c][2], cases[c][3], (long long)ny);
	}
	/* magnitudes a float sum rounds differently in another order */
	for (int i = 0; i < TOTAL; i++)
		x[i] = ((float)tap_rand(&rng) / 4294967296.0f - 0.3f) *
		       (i % 3 == 0 ? 1000.0f : i % 3 == 1 ? 1.0f : 0.001f);
	int bad = 0;
	for (int64_t planes = 1; planes <= 17; planes++)
		for (int64_t inner = 0; inner <= 9; inner += 3) {
			float got[17], ref[17];
			qx_nd_plane_mean_f32(planes, inner, x, got);
			for (int64_t p = 0; p < planes; p++) {
				float sum = 0.0f;
				for (int64_t j = 0; j < inner; j++)
					sum += x[p * inner + j];
				ref[p] = inner ? sum / (float)inner : 0.0f;
			}
			bad += memcmp(got, ref, (size_t)planes * sizeof *got) != 0;
		}
	ok(bad == 0, "plane means of 1..17 planes of 0..9 values: each plane's in-order float sum "
	   "(%d shapes differ)", bad);
	return tap_done();
}
