/* The scalar int8 kernels (the reference every other set is held to) against formulas written
 * here independently: direct int64 sums over the ONNX definition, a hand-written
 * round-half-to-even, and hand-computed cases for ties, clamps, ReLU, zero-point padding,
 * groups, -128 weights with 255 activations. */
#include "kernels.h"
#include "support/rng.h"
#include "support/tap.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const struct qx_kernels_q8 *K;

/* ---- an independent statement of the numerics ------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) { return tap_rand(&rng_state); }
static int rnd_in(int lo, int hi) { return tap_rand_in(&rng_state, lo, hi); }

/* Round half to even without the C library's rounding functions. */
static int32_t round_even(float t)
{
	float f = floorf(t);
	float frac = t - f; /* exact for |t| < 2^23 */
	int32_t r = (int32_t)f;
	if (frac > 0.5f || (frac == 0.5f && (r & 1)))
		r++;
	return r;
}

/* int64 -> the int32 the hardware would hold (mod 2^32). */
static int32_t wrap32(int64_t v)
{
	uint32_t u = (uint32_t)((uint64_t)v & 0xffffffffu);
	return u < 0x80000000u ? (int32_t)u : (int32_t)(u - 0x80000000u) - 0x7fffffff - 1;
}

static uint8_t ref_requant(int32_t acc, float mult, int32_t zp, int32_t qmin, int32_t qmax)
{
	float t = (float)acc * mult;
	float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
	if (!(t >= lo))
		t = lo;
	if (t > hi)
		t = hi;
	return (uint8_t)(round_even(t) + zp);
}

static void ref_conv(const struct qx_q8_conv_desc *d, const uint8_t *x, const int8_t *w,
                     const int32_t *bias, const float *mult, uint8_t *y)
{
	int64_t cg = d->c / d->groups, ocg = d->oc / d->groups;
	for (int64_t n = 0; n < d->n; n++)
	for (int64_t oy = 0; oy < d->oh; oy++)
	for (int64_t ox = 0; ox < d->ow; ox++)
	for (int64_t o = 0; o < d->oc; o++) {
		int64_t g = o / ocg, acc = bias ? bias[o] : 0;
		for (int ky = 0; ky < d->kh; ky++)
		for (int kx = 0; kx < d->kw; kx++)
		for (int64_t ci = 0; ci < cg; ci++) {
			int64_t iy = oy * d->sh - d->pt + ky * d->dh, ix = ox * d->sw - d->pl + kx * d->dw;
			int64_t xv = d->in_zp;
			if (iy >= 0 && iy < d->h && ix >= 0 && ix < d->w)
				xv = x[((n * d->h + iy) * d->w + ix) * d->c + g * cg + ci];
			acc += (xv - d->in_zp) * w[((o * d->kh + ky) * d->kw + kx) * cg + ci];
		}
		y[((n * d->oh + oy) * d->ow + ox) * d->oc + o] =
			ref_requant(wrap32(acc), mult[o], d->out_zp, d->out_min, d->out_max);
	}
}

static int64_t out_size(int64_t in, int k, int s, int dil, int p0, int p1)
{
	return (in + p0 + p1 - ((int64_t)(k - 1) * dil + 1)) / s + 1;
}

static void fill_out_dims(struct qx_q8_conv_desc *d)
{
	d->oh = out_size(d->h, d->kh, d->sh, d->dh, d->pt, d->pb);
	d->ow = out_size(d->w, d->kw, d->sw, d->dw, d->pl, d->pr);
}

/* Runs scalar conv on d; returns the number of output bytes that differ from want. */
static int64_t run_conv(const struct qx_q8_conv_desc *d, const uint8_t *x, const int8_t *w,
                        const int32_t *bias, const float *mult, const uint8_t *want)
{
	int64_t total = d->n * d->oh * d->ow, bytes = total * d->oc, bad = 0;
	uint8_t *y = malloc((size_t)bytes + 1);
	void *packed = NULL;
	if (!y || K->conv_pack(d, w, bias, mult, &packed) != 0) {
		free(y);
		return -1;
	}
	memset(y, 0xA5, (size_t)bytes);
	K->conv(packed, x, y, 0, total);
	for (int64_t i = 0; i < bytes; i++)
		if (y[i] != want[i]) {
			if (bad++ < 3)
				diag("  byte %lld: got %d want %d", (long long)i, y[i], want[i]);
		}
	K->pack_free(packed);
	free(y);
	return bad;
}

/* ---- hand-computed cases ------------------------------------------------------------------ */

/* 1x1 conv, one channel in and out, w = 1: y = requant(x - in_zp + bias). */
static uint8_t one_value(int x, int in_zp, int32_t bias, float mult, int out_zp, int lo, int hi)
{
	struct qx_q8_conv_desc d = { .n = 1, .h = 1, .w = 1, .c = 1, .oc = 1, .oh = 1, .ow = 1,
	                             .kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
	                             .groups = 1, .in_zp = in_zp, .out_zp = out_zp,
	                             .out_min = lo, .out_max = hi };
	uint8_t xv = (uint8_t)x, y = 0xEE;
	int8_t w = 1;
	void *p = NULL;
	if (K->conv_pack(&d, &w, &bias, &mult, &p) != 0)
		return 0xEE;
	K->conv(p, &xv, &y, 0, 1);
	K->pack_free(p);
	return y;
}

static void test_hand_cases(void)
{
	/* ties: acc * 0.5 = 0.5, 1.5, 2.5, -0.5, -1.5, -2.5 -> 0, 2, 2, 0, -2, -2 (+ zp 100) */
	int accs[] = { 1, 3, 5, -1, -3, -5 }, want[] = { 100, 102, 102, 100, 98, 98 };
	int ties_ok = 1;
	for (int i = 0; i < 6; i++) {
		uint8_t y = one_value(10 + accs[i], 10, 0, 0.5f, 100, 0, 255);
		if (y != want[i]) {
			ties_ok = 0;
			diag("acc %d: got %d want %d", accs[i], y, want[i]);
		}
	}
	ok(ties_ok, "conv: .5 ties round to even, both signs");
	/* bias and zero point: (200 - 50) + 1000 = 1150, * 0.1f = 115.0000017 -> 115 + 3 */
	ok(one_value(200, 50, 1000, 0.1f, 3, 0, 255) == 118, "conv: zero point and bias");
	/* clamp: 250 * 1 + 0 -> 250 + 20 = 270 > 255 -> out_max; with out_max = 200 -> 200 */
	ok(one_value(250, 0, 0, 1.0f, 20, 0, 255) == 255, "conv: clamp at 255");
	ok(one_value(250, 0, 0, 1.0f, 20, 0, 200) == 200, "conv: clamp at out_max");
	/* fused ReLU: out_min = out_zp, negative value -> out_zp */
	ok(one_value(0, 100, 0, 1.0f, 40, 40, 255) == 40, "conv: fused ReLU clamps negatives to zp");
	ok(one_value(130, 100, 0, 1.0f, 40, 40, 255) == 70, "conv: fused ReLU passes positives");
	ok(one_value(130, 100, 0, 1.0f, 40, 77, 77) == 77, "conv: out_min == out_max");

	/* padding holds in_zp: a 3x3 conv of a 1x1 image with pad 1 sees only its centre tap. */
	{
		struct qx_q8_conv_desc d = { .n = 1, .h = 1, .w = 1, .c = 1, .oc = 1, .oh = 1, .ow = 1,
		                             .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
		                             .pt = 1, .pl = 1, .pb = 1, .pr = 1, .groups = 1,
		                             .in_zp = 7, .out_zp = 0, .out_min = 0, .out_max = 255 };
		int8_t w[9] = { 100, 100, 100, 100, 2, 100, 100, 100, 100 };
		uint8_t x = 17, y = 0;
		int32_t bias = 5;
		float m = 1.0f;
		void *p = NULL;
		int rc = K->conv_pack(&d, w, &bias, &m, &p);
		if (rc == 0) {
			K->conv(p, &x, &y, 0, 1);
			K->pack_free(p);
		}
		ok(rc == 0 && y == (17 - 7) * 2 + 5, "conv: padded taps hold in_zp (got %d, want 25)", y);
	}

	/* depthwise, 2 channels: y[c] = (x[c] - 1) * w[c] with each channel its own group. */
	{
		struct qx_q8_conv_desc d = { .n = 1, .h = 1, .w = 2, .c = 2, .oc = 2, .oh = 1, .ow = 2,
		                             .kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
		                             .groups = 2, .in_zp = 1, .out_zp = 0, .out_min = 0,
		                             .out_max = 255 };
		uint8_t x[4] = { 11, 21, 31, 41 }, y[4] = { 0 };
		int8_t w[2] = { 2, 3 };
		float m[2] = { 1.0f, 1.0f };
		void *p = NULL;
		int rc = K->conv_pack(&d, w, NULL, m, &p);
		if (rc == 0) {
			K->conv(p, x, y, 0, 2);
			K->pack_free(p);
		}
		ok(rc == 0 && y[0] == 20 && y[1] == 60 && y[2] == 60 && y[3] == 120,
		   "conv: depthwise groups use their own channel (%d %d %d %d)", y[0], y[1], y[2], y[3]);
	}

	/* -128 weights with 255 activations: 64 channels, 3x3, no padding: acc = -128 * 255 * 576
	 * = -18800640, * 2^-17 = -143.4375... -> -143, + zp 200 = 57. */
	{
		struct qx_q8_conv_desc d = { .n = 1, .h = 3, .w = 3, .c = 64, .oc = 1, .oh = 1, .ow = 1,
		                             .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
		                             .groups = 1, .in_zp = 0, .out_zp = 200, .out_min = 0,
		                             .out_max = 255 };
		uint8_t x[576];
		int8_t w[576];
		memset(x, 255, sizeof x);
		memset(w, -128, sizeof w);
		uint8_t y = 0;
		float m = 1.0f / 131072.0f;
		void *p = NULL;
		int rc = K->conv_pack(&d, w, NULL, &m, &p);
		if (rc == 0) {
			K->conv(p, x, &y, 0, 1);
			K->pack_free(p);
		}
		ok(rc == 0 && y == 57, "conv: 255 x -128 over K = 576 (got %d, want 57)", y);
	}

	/* accumulator wraps mod 2^32: bias INT32_MAX + 1 * 1 -> INT32_MIN, times 2^-31 = -1 */
	ok(one_value(1, 0, INT32_MAX, 1.0f / 2147483648.0f, 128, 0, 255) == 127,
	   "conv: accumulator wraps mod 2^32");
}

static void test_elementwise_hand(void)
{
	float xs[] = { 0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 1000.0f, -1000.0f, INFINITY, -INFINITY, NAN };
	uint8_t want[] = { 10, 12, 12, 10, 8, 255, 0, 255, 0, 0 }, q[10];
	K->quantize(xs, 10, 1.0f, 10, 0, 255, q);
	ok(memcmp(q, want, 10) == 0, "quantize: ties to even, saturation, inf, NaN -> qmin");
	K->quantize(xs, 10, 1.0f, 10, 5, 11, q);
	uint8_t want2[] = { 10, 11, 11, 10, 8, 11, 5, 11, 5, 5 };
	ok(memcmp(q, want2, 10) == 0, "quantize: [qmin, qmax] clamp");

	uint8_t qv[3] = { 0, 128, 255 };
	float xv[3];
	K->dequantize(qv, 3, 0.5f, 128, xv);
	ok(xv[0] == -64.0f && xv[1] == 0.0f && xv[2] == 63.5f, "dequantize: (q - zp) * scale");

	uint8_t rx[4] = { 11, 13, 15, 250 }, ry[4];
	K->requantize(rx, 4, 10, 0.5f, 100, 0, 255, ry);
	ok(ry[0] == 100 && ry[1] == 102 && ry[2] == 102 && ry[3] == 220,
	   "requantize: ties and offset (%d %d %d %d)", ry[0], ry[1], ry[2], ry[3]);
	K->requantize(rx, 4, 10, 0.5f, 100, 101, 210, ry);
	ok(ry[0] == 101 && ry[3] == 210, "requantize: clamp to [y_min, y_max]");

	uint8_t a[3] = { 10, 20, 255 }, b[3] = { 13, 3, 255 }, y[3];
	/* (10-10)*1 + (13-10)*0.5 = 1.5 -> 2; (20-10) + (3-10)*0.5 = 6.5 -> 6; 245 + 122.5 -> clamp */
	K->add(a, 10, 1.0f, b, 10, 0.5f, 3, 0, 0, 255, y);
	ok(y[0] == 2 && y[1] == 6 && y[2] == 255, "add: ties to even and clamp (%d %d %d)", y[0], y[1],
	   y[2]);
	/* (10-10)*(13-10) = 0 -> 5; (20-10)*(3-10)*0.25 = -17.5 -> -18 + 5 clamped to 0;
	 * 245 * 245 * 0.25 = 15006.25 -> clamp 255 */
	K->mul(a, 10, b, 10, 0.25f, 3, 5, 0, 255, y);
	ok(y[0] == 5 && y[1] == 0 && y[2] == 255, "mul: product, clamp below and above (%d %d %d)",
	   y[0], y[1], y[2]);
	uint8_t a2[2] = { 11, 13 }, b2[2] = { 12, 12 };
	/* 1 * 2 * 1.25 = 2.5 -> 2 (even); 3 * 2 * 1.25 = 7.5 -> 8 (even) */
	K->mul(a2, 10, b2, 10, 1.25f, 2, 0, 0, 255, y);
	ok(y[0] == 2 && y[1] == 8, "mul: ties to even (%d %d)", y[0], y[1]);
	uint8_t table[256];
	for (int i = 0; i < 256; i++)
		table[i] = (uint8_t)(255 - i);
	K->lookup(a, 3, table, y);
	ok(y[0] == 245 && y[1] == 235 && y[2] == 0, "lookup: y = table[x]");
}

static void test_pool_hand(void)
{
	/* 2x2 image, 1 channel, 2x2 max pool stride 2, with ReLU at 30 */
	struct qx_q8_conv_desc d = { .n = 1, .h = 2, .w = 2, .c = 1, .oc = 1, .oh = 1, .ow = 1,
	                             .kh = 2, .kw = 2, .sh = 2, .sw = 2, .dh = 1, .dw = 1,
	                             .groups = 1, .out_min = 30, .out_max = 255 };
	uint8_t x[4] = { 3, 9, 27, 5 }, y = 0;
	K->maxpool(&d, x, &y, 0, 1);
	ok(y == 30, "maxpool: result clamped to out_min (got %d)", y);
	d.out_min = 0;
	K->maxpool(&d, x, &y, 0, 1);
	ok(y == 27, "maxpool: max of the window (got %d)", y);
	/* padding never wins: pad 1, window over one real value 3 and padding */
	d.h = d.w = 1;
	d.pt = d.pl = 1;
	x[0] = 3;
	K->maxpool(&d, x, &y, 0, 1);
	ok(y == 3, "maxpool: padding never wins (got %d)", y);

	/* global average: values 10, 11, 12, 14 zp 10 -> (0+1+2+4)/4 = 1.75 * 2 = 3.5 -> 4 (+ 5) */
	struct qx_q8_conv_desc a = { .n = 1, .h = 2, .w = 2, .c = 1, .oc = 1, .oh = 1, .ow = 1,
	                             .kh = 2, .kw = 2, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
	                             .groups = 1, .in_zp = 10, .out_zp = 5, .out_min = 0,
	                             .out_max = 255 };
	uint8_t ax[4] = { 10, 11, 12, 14 };
	K->avgpool(&a, 0, 2.0f, ax, &y, 0, 1);
	ok(y == 9, "avgpool: (sum - cnt * zp) * m / cnt, ties to even (got %d, want 9)", y);
	/* with pad 1 on a 1x1 image, window 2x2: include_pad counts 4, exclude counts 1 */
	a.h = a.w = 1;
	a.pt = a.pl = 1;
	ax[0] = 18;
	K->avgpool(&a, 1, 1.0f, ax, &y, 0, 1);
	ok(y == 7, "avgpool: count_include_pad divides by 4 (got %d, want 7)", y); /* 8/4=2 +5 */
	K->avgpool(&a, 0, 1.0f, ax, &y, 0, 1);
	ok(y == 13, "avgpool: padding excluded divides by 1 (got %d, want 13)", y);
}

/* ---- random shapes against the direct formula --------------------------------------------- */

static void random_conv_desc(struct qx_q8_conv_desc *d)
{
	memset(d, 0, sizeof *d);
	static const int cs[] = { 1, 2, 3, 4, 5, 8, 16, 17, 32 };
	static const int ks[] = { 1, 2, 3, 5 };
	do {
		d->groups = rnd_in(0, 3) == 0 ? rnd_in(2, 3) : 1;
		d->c = (int64_t)cs[rnd_in(0, 8)] * d->groups;
		d->oc = (int64_t)rnd_in(1, 20) * d->groups;
		if (rnd_in(0, 5) == 0) /* depthwise */
			d->groups = (int)d->c, d->oc = d->c * rnd_in(1, 2);
		d->n = rnd_in(1, 2);
		d->h = rnd_in(1, 9);
		d->w = rnd_in(1, 9);
		d->kh = ks[rnd_in(0, 3)];
		d->kw = ks[rnd_in(0, 3)];
		d->sh = rnd_in(1, 2);
		d->sw = rnd_in(1, 2);
		d->dh = rnd_in(1, 2);
		d->dw = rnd_in(1, 2);
		d->pt = rnd_in(0, 2);
		d->pl = rnd_in(0, 2);
		d->pb = rnd_in(0, 2);
		d->pr = rnd_in(0, 2);
		fill_out_dims(d);
	} while (d->oh <= 0 || d->ow <= 0);
	d->in_zp = rnd_in(0, 3) == 0 ? 0 : rnd_in(0, 255);
	d->out_zp = rnd_in(0, 255);
	d->out_min = rnd_in(0, 2) == 0 ? d->out_zp : rnd_in(0, 40);
	d->out_max = rnd_in(0, 2) == 0 ? 255 : rnd_in(d->out_min, 255);
}

static void test_random_convs(int rounds)
{
	int64_t bad_total = 0;
	int failed_shapes = 0;
	for (int r = 0; r < rounds; r++) {
		struct qx_q8_conv_desc d;
		random_conv_desc(&d);
		int64_t k = (int64_t)d.kh * d.kw * (d.c / d.groups);
		int64_t xs = d.n * d.h * d.w * d.c, ys = d.n * d.oh * d.ow * d.oc;
		uint8_t *x = malloc((size_t)xs), *want = malloc((size_t)ys);
		int8_t *w = malloc((size_t)(d.oc * k));
		int32_t *bias = malloc((size_t)d.oc * sizeof *bias);
		float *mult = malloc((size_t)d.oc * sizeof *mult);
		for (int64_t i = 0; i < xs; i++)
			x[i] = (uint8_t)(rnd_in(0, 7) == 0 ? 255 : rnd());
		for (int64_t i = 0; i < d.oc * k; i++)
			w[i] = (int8_t)(rnd_in(0, 7) == 0 ? -128 : (int)(rnd() & 255) - 128);
		for (int64_t o = 0; o < d.oc; o++) {
			bias[o] = (int32_t)(rnd() % 20001) - 10000;
			/* multipliers that spread the accumulator over the output range */
			mult[o] = 1.0f / (float)(rnd_in(16, 64) * (int)(k < 8 ? 8 : k));
		}
		ref_conv(&d, x, w, bias, mult, want);
		int64_t bad = run_conv(&d, x, w, bias, mult, want);
		if (bad) {
			failed_shapes++;
			bad_total += bad;
			diag("shape n%lld %lldx%lldx%lld -> oc %lld k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d "
			     "zp %d/%d [%d,%d]: %lld bytes differ",
			     (long long)d.n, (long long)d.h, (long long)d.w, (long long)d.c,
			     (long long)d.oc, d.kh, d.kw, d.sh, d.sw, d.dh, d.dw, d.pt, d.pl, d.pb, d.pr,
			     d.groups, d.in_zp, d.out_zp, d.out_min, d.out_max, (long long)bad);
		}
		free(x), free(want), free(w), free(bias), free(mult);
	}
	ok(failed_shapes == 0, "conv: %d random shapes equal the direct formula (%d differ, %lld "
	   "bytes in all)", rounds, failed_shapes, (long long)bad_total);
}

static void test_random_gemm(int rounds)
{
	int failed = 0;
	for (int r = 0; r < rounds; r++) {
		struct qx_q8_gemm_desc gd = { .n = rnd_in(1, 40), .k = rnd_in(1, 70) };
		int64_t m = rnd_in(1, 9);
		uint8_t *x = malloc((size_t)(m * gd.k));
		int8_t *w = malloc((size_t)(gd.n * gd.k));
		float *scale = malloc((size_t)gd.n * sizeof(float)), *bias = malloc((size_t)gd.n * sizeof(float));
		float *y = malloc((size_t)(m * gd.n) * sizeof(float));
		int32_t x_zp = rnd_in(0, 255);
		for (int64_t i = 0; i < m * gd.k; i++)
			x[i] = (uint8_t)rnd();
		for (int64_t i = 0; i < gd.n * gd.k; i++)
			w[i] = (int8_t)((int)(rnd() & 255) - 128);
		for (int64_t j = 0; j < gd.n; j++) {
			scale[j] = (float)rnd_in(1, 1000) * 1e-4f;
			bias[j] = (float)rnd_in(-1000, 1000) * 0.01f;
		}
		int use_bias = r & 1;
		void *p = NULL;
		if (K->gemm_pack(&gd, w, &p) != 0) {
			failed++;
			goto next;
		}
		K->gemm_f32out(p, x, x_zp, scale, use_bias ? bias : NULL, y, 0, m);
		K->pack_free(p);
		for (int64_t i = 0; i < m; i++)
			for (int64_t j = 0; j < gd.n; j++) {
				int64_t acc = 0;
				for (int64_t kk = 0; kk < gd.k; kk++)
					acc += ((int64_t)x[i * gd.k + kk] - x_zp) * w[j * gd.k + kk];
				float want = (float)wrap32(acc) * scale[j];
				if (use_bias)
					want = want + bias[j];
				if (memcmp(&want, &y[i * gd.n + j], sizeof want) != 0) {
					failed++;
					diag("gemm %lldx%lldx%lld [%lld][%lld]: got %.9g want %.9g",
					     (long long)m, (long long)gd.k, (long long)gd.n, (long long)i,
					     (long long)j, y[i * gd.n + j], want);
					goto next;
				}
			}
next:
		free(x), free(w), free(scale), free(bias), free(y);
	}
	ok(failed == 0, "gemm_f32out: %d random shapes equal the direct formula", rounds);
}

static void test_random_elementwise(void)
{
	enum { N = 1000 };
	float xf[N], xd[N];
	uint8_t q[N], b[N], y[N];
	int bad_q = 0, bad_d = 0, bad_r = 0, bad_a = 0, bad_m = 0;
	for (int i = 0; i < N; i++) {
		xf[i] = (float)((int)(rnd() % 60001) - 30000) * 0.01f;
		q[i] = (uint8_t)rnd();
		b[i] = (uint8_t)rnd();
	}
	float scale = 0.25f, mul = 0.37f;
	int32_t zp = 77;
	K->quantize(xf, N, scale, zp, 3, 250, y);
	for (int i = 0; i < N; i++) {
		int32_t v = round_even(xf[i] / scale) + zp;
		v = v < 3 ? 3 : v > 250 ? 250 : v;
		bad_q += y[i] != v;
	}
	K->dequantize(q, N, scale, zp, xd);
	for (int i = 0; i < N; i++)
		bad_d += xd[i] != (float)(q[i] - zp) * scale;
	K->requantize(q, N, zp, mul, 9, 0, 200, y);
	for (int i = 0; i < N; i++)
		bad_r += y[i] != ref_requant(q[i] - zp, mul, 9, 0, 200);
	K->add(q, zp, 0.6f, b, 128, 0.45f, N, 100, 10, 245, y);
	for (int i = 0; i < N; i++) {
		float t = (float)(q[i] - zp) * 0.6f;
		float u = (float)(b[i] - 128) * 0.45f;
		float s = t + u;
		float lo = -90.0f, hi = 145.0f;
		s = s < lo ? lo : s > hi ? hi : s;
		bad_a += y[i] != round_even(s) + 100;
	}
	K->mul(q, zp, b, 128, 0.0021f, N, 100, 10, 245, y);
	for (int i = 0; i < N; i++) {
		float t = (float)((q[i] - zp) * (b[i] - 128)) * 0.0021f;
		t = t < -90.0f ? -90.0f : t > 145.0f ? 145.0f : t;
		bad_m += y[i] != round_even(t) + 100;
	}
	ok(bad_q == 0, "quantize: 1000 random values (%d differ)", bad_q);
	ok(bad_d == 0, "dequantize: 1000 random values (%d differ)", bad_d);
	ok(bad_r == 0, "requantize: 1000 random values (%d differ)", bad_r);
	ok(bad_a == 0, "add: 1000 random values (%d differ)", bad_a);
	ok(bad_m == 0, "mul: 1000 random values (%d differ)", bad_m);
}

static void test_random_pools(int rounds)
{
	int bad_max = 0, bad_avg = 0;
	for (int r = 0; r < rounds; r++) {
		struct qx_q8_conv_desc d;
		memset(&d, 0, sizeof d);
		do {
			d.n = rnd_in(1, 2), d.h = rnd_in(1, 8), d.w = rnd_in(1, 8), d.c = rnd_in(1, 20);
			d.kh = rnd_in(1, 3), d.kw = rnd_in(1, 3), d.sh = rnd_in(1, 2), d.sw = rnd_in(1, 2);
			d.dh = 1, d.dw = 1;
			d.pt = rnd_in(0, d.kh - 1), d.pl = rnd_in(0, d.kw - 1);
			d.pb = rnd_in(0, d.kh - 1), d.pr = rnd_in(0, d.kw - 1);
			fill_out_dims(&d);
		} while (d.oh <= 0 || d.ow <= 0);
		d.oc = d.groups = (int)d.c;
		d.in_zp = rnd_in(0, 255), d.out_zp = rnd_in(0, 255);
		d.out_min = rnd_in(0, 50), d.out_max = rnd_in(200, 255);
		int64_t xs = d.n * d.h * d.w * d.c, ys = d.n * d.oh * d.ow * d.c;
		uint8_t *x = malloc((size_t)xs), *y = malloc((size_t)ys);
		for (int64_t i = 0; i < xs; i++)
			x[i] = (uint8_t)rnd();
		int include_pad = r & 1;
		float m = (float)rnd_in(50, 200) * 0.01f;
		for (int pass = 0; pass < 2; pass++) {
			if (pass == 0)
				K->maxpool(&d, x, y, 0, d.n * d.oh * d.ow);
			else
				K->avgpool(&d, include_pad, m, x, y, 0, d.n * d.oh * d.ow);
			for (int64_t n = 0; n < d.n; n++)
			for (int64_t oy = 0; oy < d.oh; oy++)
			for (int64_t ox = 0; ox < d.ow; ox++)
			for (int64_t ch = 0; ch < d.c; ch++) {
				int64_t mx = 0, sum = 0, cnt = 0;
				for (int ky = 0; ky < d.kh; ky++)
				for (int kx = 0; kx < d.kw; kx++) {
					int64_t iy = oy * d.sh - d.pt + ky, ix = ox * d.sw - d.pl + kx;
					if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w) {
						if (include_pad)
							sum += d.in_zp, cnt++;
						continue;
					}
					int v = x[((n * d.h + iy) * d.w + ix) * d.c + ch];
					mx = v > mx ? v : mx;
					sum += v, cnt++;
				}
				uint8_t got = y[((n * d.oh + oy) * d.ow + ox) * d.c + ch];
				if (pass == 0) {
					mx = mx < d.out_min ? d.out_min : mx > d.out_max ? d.out_max : mx;
					bad_max += got != mx;
				} else {
					uint8_t want = ref_requant((int32_t)(sum - cnt * d.in_zp),
					                           m / (float)cnt, d.out_zp, d.out_min, d.out_max);
					bad_avg += got != want;
				}
			}
		}
		free(x), free(y);
	}
	ok(bad_max == 0, "maxpool: %d random shapes (%d values differ)", rounds, bad_max);
	ok(bad_avg == 0, "avgpool: %d random shapes (%d values differ)", rounds, bad_avg);
}

int main(void)
{
	tap_plan(0);
	const struct qx_kernels *ks = qx_kernels_get(QX_KSET_SCALAR);
	if (!ok(ks && ks->q8, "the scalar set is registered"))
		return tap_done();
	K = ks->q8;
	test_hand_cases();
	test_elementwise_hand();
	test_pool_hand();
	test_random_convs(tap_sanitized() ? 60 : 300);
	test_random_gemm(100);
	test_random_elementwise();
	test_random_pools(100);
	return tap_done();
}
