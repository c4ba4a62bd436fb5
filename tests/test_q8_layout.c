/* harness/exec/q8_layout.c: the NCHW <-> NHWC byte relayouts of int8 activations against the
 * index formula written here, on shapes around the 8x8 blocks of the SSE2 path (channels and
 * pixels of 1, 7, 8, 9, 16, 17, 49, 100; batch 1 and 3), and as each other's inverse. */
#include <stdlib.h>
#include <string.h>

#include "exec/q8_layout.h"
#include "support/tap.h"

static int check(int64_t n, int64_t c, int64_t h, int64_t w)
{
	struct qx_tensor t = { .ndim = 4, .dims = { n, c, h, w } };
	struct qx_q8_layout l;
	qx_q8_layout_init(&l, &t);
	size_t count = (size_t)(n * c * h * w);
	uint8_t *src = malloc(count), *nhwc = malloc(count), *back = malloc(count);
	for (size_t i = 0; i < count; i++)
		src[i] = (uint8_t)(i * 131u + (i >> 8) * 7u);
	qx_q8_nchw_to_nhwc(&l, src, nhwc);
	qx_q8_nhwc_to_nchw(&l, nhwc, back);
	int bad = 0;
	int64_t hw = h * w;
	for (int64_t b = 0; b < n; b++)
		for (int64_t ch = 0; ch < c; ch++)
			for (int64_t p = 0; p < hw; p++)
				bad += nhwc[(b * hw + p) * c + ch] != src[(b * c + ch) * hw + p];
	bad += memcmp(back, src, count) != 0;
	free(src);
	free(nhwc);
	free(back);
	return bad;
}

int main(void)
{
	tap_plan(0);
	static const int64_t sizes[] = { 1, 7, 8, 9, 16, 17, 49, 100 };
	const int n_sizes = (int)(sizeof sizes / sizeof sizes[0]);
	for (int64_t n = 1; n <= 3; n += 2) {
		int bad = 0, shapes = 0;
		for (int i = 0; i < n_sizes; i++)
			for (int j = 0; j < n_sizes; j++) {
				/* pixels as h x w: 49 = 7x7, 100 = 10x10, others as 1 x p */
				int64_t p = sizes[j], h = p == 49 ? 7 : p == 100 ? 10 : 1, w = p / h;
				bad += check(n, sizes[i], h, w) != 0;
				shapes++;
			}
		ok(bad == 0, "batch %lld: NCHW -> NHWC by the index formula and back, on %d shapes of "
		   "1..100 channels and pixels (%d wrong)", (long long)n, shapes, bad);
	}
	return tap_done();
}
