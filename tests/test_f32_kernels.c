/* Every x86 SIMD fp32 kernel table (qx_f32_avx2, qx_f32_avx512) against the scalar reference
 * (qx_f32_scalar): convolutions on random shapes (1x1 / 3x3 / 5x5, strides, asymmetric pads,
 * dilation, groups, depthwise (up to 70 channels: several vectors of channels and a tail;
 * the NCHW path's planes, 1x1 to 28x28, stride 1 and 2, up to 336 channels),
 * pointwise 1x1 convolutions on images up to 30x30, odd channel counts, batch 1-3, K long enough to be chunked, the
 * reference model's layers), matmul with every stride combination (row-major, transposed,
 * padded and every-other-column A and B), with and without bias, pools with ceil-mode-like
 * output sizes and count_include_pad (a quarter of them 2x2 stride 2 windows tiling the input,
 * which the sets run on a path of their own); and sub-ranges [begin, end) that must give the whole
 * call's bits and touch nothing else.
 *
 * Tolerance. conv and matmul sum in another order than scalar and with FMA (one rounding per
 * step instead of two), so they are not bit-identical. Both are recursive sums of K products
 * plus a bias, whose error is at most gamma(K + 1) * sum |terms| (Higham, Accuracy and
 * Stability, 3.1; gamma(n) ~ n * u, u = FLT_EPSILON / 2); two such results differ by at most
 * (K + 1) * FLT_EPSILON * sum |terms|, and the clamp is 1-Lipschitz. We allow
 * (K + 2) * FLT_EPSILON * mag, mag = sum |w x| + |bias| computed by the scalar kernel on
 * absolute values. A relative tolerance on the result itself would fail on cancellations;
 * this one still catches a single dropped or doubled term, about mag / K, while K * K *
 * FLT_EPSILON < 1 (K < 2900: the model's layers have K <= 576, the longest random ones ~2700).
 * Pools are held to the same bits as scalar: max is exact, and the average adds in scalar's
 * order and divides by the same count. So is unary (Relu, Clip, HardSigmoid, HardSwish: the same
 * IEEE operations as scalar's); sigmoid (a polynomial exp against libm's expf) is held to
 * QX_F32_SIGMOID_REL_TOL * |scalar| + FLT_MIN (kernels_f32.h), on every length 0..70 (whole
 * vectors and tails) and on values from -120 to 120 with the edges (+-0, +-inf, NaN, around
 * exp's underflow at -87.3).
 *
 * Builds for every architecture: off x86-64 the tables do not exist and the test skips; a CPU
 * without the set's features is a TAP skip with the reason. Fixed-seed PRNG (QX_SEED overrides). */
#include "kernels_f32.h"
#include "support/rng.h"
#include "support/tap.h"

#include <float.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern const struct qx_kernels_f32 qx_f32_scalar;
#if defined(__x86_64__)
extern const struct qx_kernels_f32 qx_f32_avx2;
extern const struct qx_kernels_f32 qx_f32_avx512;
#endif

#define CHECKS_PER_SET 13

static const struct qx_kernels_f32 *REF, *SET;
static const char *set_name;

/* ---- helpers -------------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void) { return tap_rand(&rng_state); }
static int rnd_in(int lo, int hi) { return tap_rand_in(&rng_state, lo, hi); }
static float rnd_f(void) { return (float)rnd() / 2147483648.0f - 1.0f; } /* [-1, 1) */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

static float *rand_array(int64_t n)
{
	float *a = xmalloc((size_t)n * sizeof *a);
	for (int64_t i = 0; i < n; i++)
		a[i] = rnd_f();
	return a;
}

static float *abs_array(const float *a, int64_t n)
{
	float *b = xmalloc((size_t)n * sizeof *b);
	for (int64_t i = 0; i < n; i++)
		b[i] = fabsf(a[i]);
	return b;
}

static void fill(float *a, int64_t n, float v)
{
	for (int64_t i = 0; i < n; i++)
		a[i] = v;
}

/* Same bits, or both NaN. */
static int same(float a, float b)
{
	return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

/* Clamp bounds: none, ReLU, a narrow band, and lo > hi (everything becomes hi, as numpy.clip). */
static void rand_act(float *lo, float *hi)
{
	switch (rnd() % 4) {
	case 0:
		*lo = -INFINITY, *hi = INFINITY;
		break;
	case 1:
		*lo = 0.0f, *hi = INFINITY;
		break;
	case 2:
		*lo = -0.5f, *hi = 0.5f;
		break;
	default:
		*lo = 0.3f, *hi = -0.3f;
		break;
	}
}

/* A random split of [0, total) into up to 4 pieces, run in reverse order. */
static int split(int64_t total, int64_t cuts[5])
{
	int n = rnd_in(1, 4);
	cuts[0] = 0;
	cuts[n] = total;
	for (int i = 1; i < n; i++)
		cuts[i] = total ? (int64_t)(rnd() % (uint32_t)(total + 1)) : 0;
	for (int i = 1; i < n; i++) /* insertion sort of the inner cuts */
		for (int j = i; j > 1 && cuts[j] < cuts[j - 1]; j--) {
			int64_t t = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = t;
		}
	return n;
}

/* Failure tallies of one check, with the first failure described. */
struct tally {
	int cases, bad;
	char first[300];
};

static void tally_fail(struct tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tally_fail(struct tally *t, const char *fmt, ...)
{
	if (t->bad++ == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->first, sizeof t->first, fmt, ap);
		va_end(ap);
	}
}

static void tally_report(const struct tally *t, const char *what)
{
	ok(t->bad == 0 && t->cases > 0, "%s %s: %d cases", set_name, what, t->cases);
	if (t->bad)
		diag("%d of %d failed; first: %s", t->bad, t->cases, t->first);
}

/* ---- convolution ---------------------------------------------------------------------------- */

static int64_t out_size(int64_t in, int k, int s, int dil, int p0, int p1)
{
	return (in + p0 + p1 - ((int64_t)(k - 1) * dil + 1)) / s + 1;
}

static void conv_desc_str(const struct qx_f32_conv_desc *d, char *buf, size_t n)
{
	snprintf(buf, n,
	         "n%lld c%lld %lldx%lld -> oc%lld %lldx%lld k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d"
	         " act[%g,%g]",
	         (long long)d->n, (long long)d->c, (long long)d->h, (long long)d->w, (long long)d->oc,
	         (long long)d->oh, (long long)d->ow, d->kh, d->kw, d->sh, d->sw, d->dh, d->dw, d->pt,
	         d->pl, d->pb, d->pr, d->groups, d->act_min, d->act_max);
}

/* A random convolution; kind picks the family. */
static void rand_conv(struct qx_f32_conv_desc *d, int kind)
{
	static const int ks[] = { 1, 3, 5, 3, 9 }; /* 9: wider than the precomputed-mask path */
	memset(d, 0, sizeof *d);
	d->n = rnd_in(1, 3);
	int64_t cg, ocg;
	switch (kind) {
	case 0: /* plain, odd channel counts */
		d->groups = 1, cg = rnd_in(1, 9), ocg = rnd_in(1, 21);
		break;
	case 1: /* depthwise (channel multiplier 1 or 2) */
		d->groups = rnd_in(1, 12), cg = 1, ocg = rnd_in(1, 2);
		break;
	case 4: /* depthwise with more channels than a vector holds (channels-last blocks, tails) */
	case 5: /* (pointwise: set below) */
		d->groups = rnd_in(13, 70), cg = 1, ocg = 1;
		break;
	case 2: /* grouped */
		d->groups = rnd_in(2, 3), cg = rnd_in(1, 5), ocg = rnd_in(1, 11);
		break;
	default: /* long K: chunked sums */
		d->groups = 1, cg = rnd_in(30, 110), ocg = rnd_in(1, 40);
		break;
	}
	d->c = cg * d->groups;
	d->oc = ocg * d->groups;
	d->kh = ks[rnd() % 4];
	d->kw = rnd() % 4 ? d->kh : ks[rnd() % 5];
	d->sh = rnd() % 2 ? 1 : rnd_in(2, 3);
	d->sw = rnd() % 2 ? d->sh : rnd_in(1, 3);
	d->dh = rnd() % 4 ? 1 : 2;
	d->dw = rnd() % 4 ? d->dh : rnd_in(1, 2);
	int eh = (d->kh - 1) * d->dh + 1, ew = (d->kw - 1) * d->dw + 1;
	d->pt = rnd_in(0, eh / 2 + 1), d->pb = rnd_in(0, eh / 2 + 1);
	d->pl = rnd_in(0, ew / 2 + 1), d->pr = rnd_in(0, ew / 2 + 1);
	int64_t hmin = eh - d->pt - d->pb, wmin = ew - d->pl - d->pr;
	d->h = (hmin > 1 ? hmin : 1) + rnd_in(0, kind == 3 ? 9 : 20);
	d->w = (wmin > 1 ? wmin : 1) + rnd_in(0, kind == 3 ? 9 : 33);
	d->oh = out_size(d->h, d->kh, d->sh, d->dh, d->pt, d->pb);
	d->ow = out_size(d->w, d->kw, d->sw, d->dw, d->pl, d->pr);
	if (kind == 5) { /* pointwise: 1x1, stride 1, no padding */
		/* half under one vector of pixels (output channels across the lanes), some of those
		 * with more channels than that path packs at once (F32_PW_KC = 512) */
		int tiny = rnd() % 2, deep = tiny && rnd() % 4 == 0;
		d->groups = 1, d->c = deep ? rnd_in(500, 700) : rnd_in(1, 40), d->oc = rnd_in(1, 40);
		d->kh = d->kw = d->sh = d->sw = d->dh = d->dw = 1;
		d->pt = d->pb = d->pl = d->pr = 0;
		d->h = tiny ? rnd_in(1, 3) : rnd_in(1, 30), d->w = tiny ? rnd_in(1, 3) : rnd_in(1, 30);
		d->oh = d->h, d->ow = d->w;
	}
	rand_act(&d->act_min, &d->act_max);
}

/* The reference model's layer i (3x3, pad 1, stride 1) at batch n. */
static void model_conv(struct qx_f32_conv_desc *d, int i, int64_t n)
{
	static const int64_t shape[5][3] = { { 1, 32, 28 }, { 32, 32, 28 }, { 32, 64, 14 },
	                                     { 64, 64, 14 }, { 64, 128, 7 } };
	memset(d, 0, sizeof *d);
	*d = (struct qx_f32_conv_desc){ .n = n, .c = shape[i][0], .h = shape[i][2], .w = shape[i][2],
	                                .oc = shape[i][1], .oh = shape[i][2], .ow = shape[i][2],
	                                .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
	                                .pt = 1, .pl = 1, .pb = 1, .pr = 1, .groups = 1,
	                                .act_min = 0.0f, .act_max = INFINITY };
}

/* Shapes for the x86 row-copy path (stride 1, groups 1: f32_conv_template.h's rowcopy_plan)
 * and its edges: one input channel 3x3 (its K == 9 kernel), "same" padding (the flat fill) and
 * other paddings (ow != w: the row-by-row fill), odd widths, output channels not a multiple of
 * the panel, images split into several buffer fills (32 channels at 40x40), 5x5 and dilation,
 * a 1x3 kernel; and stride-2 shapes, which stay with im2col (its stride-2 gather: resnet18's
 * downsampling shapes, a 1x1, dilation with uneven padding, a row wider than two vectors of
 * outputs). AVX-512's "same" 3-wide path
 * (f32_conv3x3_template.h: kernel width 3, one column of padding each side, more than one
 * channel, one buffer fill per image) takes most of these, and the rows after the first line
 * of its own: images one and two columns wide (every lane at an edge column), a strip that
 * ends part-way through a vector (12 x 19 = 4 x 48 + 36), a 5x3 kernel with vertical dilation
 * and uneven vertical padding, a 7x7 image (49 = 48 + a tail pixel, with K over the tail's
 * 512-tap chunks); images whose channels do not fit one fill, taken in bands of rows (32 x
 * 40x40, 64 x 30x56, a 5x3 kernel with dilation 2 over 24 x 40x60, and 256 x 14x14, where the
 * row-copy path would not fit one strip). Every row is
 * { c, oc, h, w, kh, kw, dh, dw, pt, pl, pb, pr, sh }. */
static const int ROWCOPY_SHAPES[][13] = {
	{ 1, 13, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 1, 32, 9, 31, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 5, 11, 17, 23, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 7, 9, 20, 20, 3, 3, 1, 1, 0, 0, 0, 0, 1 },
	{ 3, 17, 12, 21, 3, 3, 1, 1, 0, 2, 2, 0, 1 },  { 32, 20, 40, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 4, 17, 19, 19, 5, 5, 1, 1, 2, 2, 2, 2, 1 },  { 6, 10, 15, 18, 3, 3, 2, 2, 2, 2, 2, 2, 1 },
	{ 9, 8, 11, 33, 1, 3, 1, 1, 0, 1, 0, 1, 1 },   { 3, 12, 16, 16, 3, 3, 1, 1, 0, 1, 1, 0, 1 },
	{ 8, 12, 21, 21, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
	{ 4, 9, 47, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1 },    { 3, 10, 30, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 6, 19, 12, 19, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 5, 13, 14, 16, 5, 3, 2, 1, 3, 1, 1, 1, 1 },
	{ 70, 11, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1 },   { 64, 10, 30, 56, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 24, 7, 40, 60, 5, 3, 2, 1, 4, 1, 4, 1, 1 },  { 256, 9, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	/* AVX-512 takes the 7x7 above to the small-image path (its K is long): a 10x10 image has a
	 * tail of 4 pixels (2 x 48 + 4), with K over 512 as well */
	{ 70, 11, 10, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	/* stride 2 (im2col_run_s2): resnet18's downsampling shapes, a 1x1, dilation with uneven
	 * padding and a row wider than two vectors of outputs */
	{ 8, 16, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 2 },  { 32, 64, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
	{ 16, 32, 7, 7, 1, 1, 1, 1, 0, 0, 0, 0, 2 },   { 5, 9, 13, 37, 3, 3, 2, 2, 2, 0, 2, 3, 2 },
	{ 3, 10, 9, 75, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
};

/* Shapes for the small-image direct path (f32_smallconv_template.h: output channels across the
 * lanes, only the taps inside the image): output images 1x1 to 8x8, stride 1 and 2 and (2, 1),
 * batch 1 to 5 (a class's pixels in tiles of up to 12, across images), odd and non-vector
 * channel counts, 130 output channels (9 vectors of 16: tiles 8 + 1 wide), squeezenet's and
 * resnet18's small layers, 5x5 and 7x7 kernels and a 1x3, dilation with uneven padding, and a
 * padding so wide that some output pixels have no tap inside the image (bias alone), and 1x1s
 * from 256, 161 and 128 channels down to 10..32 on 3x3 to 6x6 images. Some of
 * them stay on the GEMM paths in one set or both (AVX2 takes fewer, its rule is stricter):
 * either way they must agree with scalar. Every row is
 * { n, c, oc, h, w, kh, kw, dh, dw, pt, pl, pb, pr, sh, sw }. */
static const int SMALL_SHAPES[][15] = {
	{ 4, 32, 128, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, { 4, 24, 96, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	{ 3, 16, 64, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },  { 4, 64, 64, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	{ 4, 32, 64, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2 },  { 2, 16, 32, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2 },
	{ 3, 9, 17, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },   { 2, 13, 21, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2 },
	{ 2, 7, 33, 5, 5, 5, 5, 1, 1, 2, 2, 2, 2, 1, 1 },   { 1, 3, 19, 3, 3, 7, 7, 1, 1, 3, 3, 3, 3, 1, 1 },
	{ 2, 8, 20, 1, 1, 3, 3, 1, 1, 3, 3, 3, 3, 1, 1 },   { 3, 11, 40, 6, 5, 3, 3, 2, 2, 2, 1, 0, 2, 1, 1 },
	{ 1, 32, 130, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 }, { 2, 30, 24, 4, 4, 1, 3, 1, 1, 0, 1, 0, 1, 1, 1 },
	{ 2, 24, 16, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1 },  { 5, 16, 48, 6, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	{ 2, 8, 16, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },   { 5, 19, 7, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },
	{ 1, 64, 64, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1 },  { 3, 17, 33, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1, 2, 2 },
	/* 1x1s that narrow the channels (squeezenet's squeezes), beside the 1x1 path's few pixels */
	{ 4, 256, 32, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1 }, { 2, 161, 10, 6, 6, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1 },
	{ 1, 128, 24, 5, 5, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1 }, { 1, 256, 10, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1, 1 },
};

/* Runs one conv case: whole call vs scalar (tolerance), split calls vs whole (bits), and one
 * sub-range that must leave the rest of y alone. */
/* Depthwise shapes for the x86 NCHW path (f32_dwtiny_template.h: stride 1, the output the
 * input's size) and its edges: whole planes per vector (h * w dividing the lanes, channels a
 * multiple of the planes per vector: 2x2 and 4x4 as in the zoo, 1x1 and 2x4 planes, dilation,
 * asymmetric padding, a 1x1 kernel, a 7x7 kernel, a vector count that leaves a tail after the
 * four side by side); vectors per plane (7x7, 14x14, 28x28 as in the zoo, 3x3 and 5x7 planes,
 * 2x2 planes of a channel count the first form refuses); and a plane too large for the path
 * (the other paths run it); stride 2 where the output is ceil(h / 2) x ceil(w / 2) (28x28
 * and 14x14 as in the zoo, odd sizes, dilation, padding only after, a 5x5 kernel, rows split in
 * several chunks) and outputs the path refuses (7x7 -> 4x4: too few pixels; 70x70: more than it
 * holds; 130 wide: rows wider than it splits). Columns: c, h, w, kh, kw, dh, dw, pt, pl, pb, pr,
 * stride. */
static const int DWTINY_SHAPES[][12] = {
	{ 200, 2, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1 },  { 336, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 88, 4, 4, 5, 5, 1, 1, 2, 2, 2, 2, 1 },  { 48, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 32, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 24, 2, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 16, 4, 2, 3, 3, 2, 2, 2, 2, 2, 2, 1 },  { 12, 2, 2, 3, 3, 1, 1, 0, 2, 2, 0, 1 },
	{ 8, 4, 4, 1, 1, 1, 1, 0, 0, 0, 0, 1 },  { 36, 2, 2, 5, 5, 1, 1, 2, 2, 2, 2, 1 },
	{ 8, 4, 4, 7, 7, 1, 1, 3, 3, 3, 3, 1 },  { 20, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 6, 2, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 96, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 48, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 16, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 1 },
	{ 10, 3, 3, 5, 5, 1, 1, 2, 2, 2, 2, 1 },  { 5, 5, 7, 3, 3, 2, 1, 2, 1, 2, 1, 1 },
	{ 4, 33, 33, 3, 3, 1, 1, 1, 1, 1, 1, 1 },  { 48, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
	{ 8, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 2 },  { 24, 14, 14, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
	{ 5, 17, 15, 3, 3, 1, 1, 1, 1, 1, 1, 2 },  { 6, 20, 20, 3, 3, 2, 2, 2, 2, 2, 2, 2 },
	{ 7, 16, 16, 3, 3, 1, 1, 0, 0, 1, 1, 2 },  { 4, 18, 18, 5, 5, 1, 1, 2, 2, 2, 2, 2 },
	{ 96, 7, 7, 3, 3, 1, 1, 1, 1, 1, 1, 2 },  { 3, 70, 8, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
	{ 2, 8, 80, 3, 3, 1, 1, 1, 1, 1, 1, 2 },  { 1, 70, 70, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
	{ 1, 6, 130, 3, 3, 1, 1, 1, 1, 1, 1, 2 },
};

static void conv_case(const struct qx_f32_conv_desc *d, struct tally *acc, struct tally *ranges)
{
	char what[200];
	conv_desc_str(d, what, sizeof what);
	int64_t k = d->c / d->groups * d->kh * d->kw;
	int64_t xn = d->n * d->c * d->h * d->w, wn = d->oc * k, yn = d->n * d->oc * d->oh * d->ow;
	int64_t rows = d->n * d->oc * d->oh;
	float *x = rand_array(xn), *w = rand_array(wn), *b = rand_array(d->oc);
	float *ax = abs_array(x, xn), *aw = abs_array(w, wn), *ab = abs_array(b, d->oc);
	int with_bias = rnd() % 4 != 0;
	float *ref = xmalloc((size_t)yn * sizeof *ref), *mag = xmalloc((size_t)yn * sizeof *mag);
	float *got = xmalloc((size_t)yn * sizeof *got), *part = xmalloc((size_t)yn * sizeof *part);
	void *pr = NULL, *pm = NULL, *ps = NULL;
	struct qx_f32_conv_desc dm = *d;
	dm.act_min = -INFINITY, dm.act_max = INFINITY;
	if (REF->conv_pack(d, w, with_bias ? b : NULL, &pr) ||
	    REF->conv_pack(&dm, aw, with_bias ? ab : NULL, &pm) ||
	    SET->conv_pack(d, w, with_bias ? b : NULL, &ps)) {
		printf("Bail out! conv_pack failed (%s)\n", what);
		exit(1);
	}
	REF->conv(pr, x, ref, 0, rows);
	REF->conv(pm, ax, mag, 0, rows);
	fill(got, yn, NAN);
	SET->conv(ps, x, got, 0, rows);
	acc->cases++;
	for (int64_t i = 0; i < yn; i++) {
		double tol = (double)(k + 2) * FLT_EPSILON * mag[i];
		if (!(fabs((double)got[i] - ref[i]) <= tol) && !same(got[i], ref[i])) {
			tally_fail(acc, "%s: y[%lld] = %.9g, scalar %.9g (tolerance %.3g)%s", what,
			           (long long)i, got[i], ref[i], tol, with_bias ? "" : " no bias");
			break;
		}
	}
	/* the whole range in pieces, run last piece first */
	int64_t cuts[5];
	int np = split(rows, cuts);
	fill(part, yn, NAN);
	for (int i = np - 1; i >= 0; i--)
		SET->conv(ps, x, part, cuts[i], cuts[i + 1]);
	ranges->cases++;
	int bad = 0;
	for (int64_t i = 0; i < yn && !bad; i++)
		if (!same(part[i], got[i])) {
			tally_fail(ranges, "%s: %d pieces: y[%lld] = %.9g, whole call %.9g", what, np,
			           (long long)i, part[i], got[i]);
			bad = 1;
		}
	/* sub-ranges alone: the rows outside keep their sentinel. A random one, then output channel
	 * 1 of the last image and the first row of channel 2: a whole channel and a partial one,
	 * neither starting a panel of channels (a kernel that wrote its whole panel fails). */
	for (int t = 0; t < 2 && !bad; t++) {
		int64_t r0 = rows ? (int64_t)(rnd() % (uint32_t)rows) : 0;
		int64_t r1 = r0 + (int64_t)(rnd() % (uint32_t)(rows - r0 + 1));
		if (t == 1) {
			if (d->oc < 3)
				break;
			r0 = ((d->n - 1) * d->oc + 1) * d->oh;
			r1 = r0 + d->oh + 1;
		}
		fill(part, yn, 1234.5f);
		SET->conv(ps, x, part, r0, r1);
		for (int64_t i = 0; i < yn && !bad; i++) {
			int64_t row = i / d->ow;
			float want = row >= r0 && row < r1 ? got[i] : 1234.5f;
			if (!same(part[i], want)) {
				tally_fail(ranges, "%s: rows [%lld, %lld): y[%lld] = %.9g, want %.9g",
				           what, (long long)r0, (long long)r1, (long long)i, part[i],
				           want);
				bad = 1;
			}
		}
	}
	REF->pack_free(pr);
	REF->pack_free(pm);
	SET->pack_free(ps);
	free(x), free(w), free(b), free(ax), free(aw), free(ab);
	free(ref), free(mag), free(got), free(part);
}

/* A fixed shape from one of the tables below: its output size, a random activation clamp, then
 * conv_case. */
static void fixed_case(struct qx_f32_conv_desc *d, struct tally *acc, struct tally *ranges)
{
	d->oh = out_size(d->h, d->kh, d->sh, d->dh, d->pt, d->pb);
	d->ow = out_size(d->w, d->kw, d->sw, d->dw, d->pl, d->pr);
	rand_act(&d->act_min, &d->act_max);
	conv_case(d, acc, ranges);
}

static void test_conv(int cases)
{
	struct tally acc = { 0 }, ranges = { 0 };
	for (int i = 0; i < cases; i++) {
		struct qx_f32_conv_desc d;
		rand_conv(&d, i % 6);
		conv_case(&d, &acc, &ranges);
	}
	for (int i = 0; i < 5; i++) {
		struct qx_f32_conv_desc d;
		model_conv(&d, i, tap_sanitized() ? 1 : 1 + i % 3);
		conv_case(&d, &acc, &ranges);
	}
	for (size_t i = 0; i < sizeof ROWCOPY_SHAPES / sizeof ROWCOPY_SHAPES[0]; i++) {
		const int *r = ROWCOPY_SHAPES[i];
		struct qx_f32_conv_desc d = { .n = 1 + (int64_t)(i % 3), .c = r[0], .oc = r[1],
		                              .h = r[2], .w = r[3], .kh = r[4], .kw = r[5],
		                              .dh = r[6], .dw = r[7], .pt = r[8], .pl = r[9],
		                              .pb = r[10], .pr = r[11], .sh = r[12], .sw = r[12],
		                              .groups = 1 };
		fixed_case(&d, &acc, &ranges);
	}
	for (size_t i = 0; i < sizeof SMALL_SHAPES / sizeof SMALL_SHAPES[0]; i++) {
		const int *r = SMALL_SHAPES[i];
		struct qx_f32_conv_desc d = { .n = r[0], .c = r[1], .oc = r[2], .h = r[3], .w = r[4],
		                              .kh = r[5], .kw = r[6], .dh = r[7], .dw = r[8],
		                              .pt = r[9], .pl = r[10], .pb = r[11], .pr = r[12],
		                              .sh = r[13], .sw = r[14], .groups = 1 };
		fixed_case(&d, &acc, &ranges);
	}
	for (size_t i = 0; i < sizeof DWTINY_SHAPES / sizeof DWTINY_SHAPES[0]; i++) {
		const int *r = DWTINY_SHAPES[i];
		struct qx_f32_conv_desc d = { .n = 1 + (int64_t)(i % 3), .c = r[0], .oc = r[0],
		                              .groups = r[0], .h = r[1], .w = r[2], .kh = r[3],
		                              .kw = r[4], .dh = r[5], .dw = r[6], .pt = r[7],
		                              .pl = r[8], .pb = r[9], .pr = r[10], .sh = r[11],
		                              .sw = r[11] };
		fixed_case(&d, &acc, &ranges);
	}
	tally_report(&acc, "conv vs scalar within (K + 2) * eps * sum|w x|");
	tally_report(&ranges, "conv sub-ranges give the whole call's bits, nothing else written");
}

/* ---- matmul --------------------------------------------------------------------------------- */

static void test_matmul(int cases)
{
	struct tally acc = { 0 }, ranges = { 0 };
	for (int t = 0; t < cases; t++) {
		int64_t m = rnd_in(1, 40), n = rnd_in(1, 75), k = rnd() % 8 ? rnd_in(1, 450) : 0;
		if (t % 5 == 0)
			m = rnd_in(1, 3); /* one image */
		/* layouts: 0 row-major, 1 transposed, 2 every other column of a row-major matrix
		 * (neither stride 1); leading dimensions padded by pad */
		int ta = rnd() % 3, tb = rnd() % 3, pad = rnd() % 3 == 0 ? rnd_in(1, 5) : 0;
		int64_t kk1 = k ? k : 1;
		int64_t a_rs = ta == 1 ? 1 : ta == 2 ? 2 * k + pad : k + pad;
		int64_t a_cs = ta == 1 ? m + pad : ta == 2 ? 2 : 1;
		int64_t b_rs = tb == 1 ? 1 : tb == 2 ? 2 * n + pad : n + pad;
		int64_t b_cs = tb == 1 ? k + pad : tb == 2 ? 2 : 1;
		int64_t an = ta == 1 ? kk1 * (m + pad) : m * (2 * k + pad);
		int64_t bn = tb == 1 ? n * (k + pad) : kk1 * (2 * n + pad);
		int with_bias = rnd() % 3 != 0;
		float lo, hi;
		rand_act(&lo, &hi);
		char what[200];
		static const char *const layout[] = { "", "T", "/2" };
		snprintf(what, sizeof what, "m%lld n%lld k%lld a%s b%s pad%d %s act[%g,%g]", (long long)m,
		         (long long)n, (long long)k, layout[ta], layout[tb], pad,
		         with_bias ? "bias" : "no bias", lo, hi);
		float *a = rand_array(an), *b = rand_array(bn), *bias = rand_array(n);
		float *aa = abs_array(a, an), *ab = abs_array(b, bn), *abias = abs_array(bias, n);
		size_t yb = (size_t)(m * n) * sizeof(float);
		float *ref = xmalloc(yb), *mag = xmalloc(yb), *got = xmalloc(yb), *part = xmalloc(yb);
		const float *bb = with_bias ? bias : NULL, *abb = with_bias ? abias : NULL;
		REF->matmul(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, bb, lo, hi, ref, 0, m);
		REF->matmul(m, n, k, aa, a_rs, a_cs, ab, b_rs, b_cs, abb, -INFINITY, INFINITY, mag, 0, m);
		fill(got, m * n, NAN);
		SET->matmul(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, bb, lo, hi, got, 0, m);
		acc.cases++;
		for (int64_t i = 0; i < m * n; i++) {
			double tol = (double)(k + 2) * FLT_EPSILON * mag[i];
			if (!(fabs((double)got[i] - ref[i]) <= tol) && !same(got[i], ref[i])) {
				tally_fail(&acc, "%s: y[%lld] = %.9g, scalar %.9g (tolerance %.3g)", what,
				           (long long)i, got[i], ref[i], tol);
				break;
			}
		}
		int64_t cuts[5];
		int np = split(m, cuts);
		fill(part, m * n, NAN);
		for (int i = np - 1; i >= 0; i--)
			SET->matmul(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, bb, lo, hi, part, cuts[i],
			            cuts[i + 1]);
		int64_t r0 = (int64_t)(rnd() % (uint32_t)m);
		int64_t r1 = r0 + (int64_t)(rnd() % (uint32_t)(m - r0 + 1));
		float *one = xmalloc(yb);
		fill(one, m * n, 1234.5f);
		SET->matmul(m, n, k, a, a_rs, a_cs, b, b_rs, b_cs, bb, lo, hi, one, r0, r1);
		ranges.cases++;
		for (int64_t i = 0; i < m * n; i++) {
			int64_t row = i / n;
			float want = row >= r0 && row < r1 ? got[i] : 1234.5f;
			if (!same(part[i], got[i]) || !same(one[i], want)) {
				tally_fail(&ranges,
				           "%s: pieces %d, rows [%lld, %lld): y[%lld] = %.9g / %.9g,"
				           " want %.9g / %.9g",
				           what, np, (long long)r0, (long long)r1, (long long)i, part[i],
				           one[i], got[i], want);
				break;
			}
		}
		free(a), free(b), free(bias), free(aa), free(ab), free(abias);
		free(ref), free(mag), free(got), free(part), free(one);
	}
	tally_report(&acc, "matmul (every stride layout, bias, clamps) vs scalar within"
	                   " (K + 2) * eps * sum|a b|");
	tally_report(&ranges, "matmul row sub-ranges give the whole call's bits, nothing else written");
}

/* ---- pools ---------------------------------------------------------------------------------- */

/* A random pool; output sizes as PyTorch's ceil_mode when ceil (the last window must start
 * inside the input or its left padding). */
static void rand_pool(struct qx_f32_conv_desc *d)
{
	memset(d, 0, sizeof *d);
	d->n = rnd_in(1, 3);
	d->c = d->oc = d->groups = rnd_in(1, 5);
	if (rnd() % 4 == 0) { /* 2x2 stride 2 tiling the input exactly: its own path in the sets */
		d->kh = d->kw = d->sh = d->sw = 2;
		d->dh = d->dw = 1;
		d->oh = rnd_in(1, 20);
		/* ow > 1024 leaves that path (its row buffer), 7 and 14 are the default model's */
		d->ow = rnd() % 8 == 0 ? rnd_in(1000, 1100) : rnd() % 3 == 0 ? 7 * rnd_in(1, 2) :
		                                                                rnd_in(1, 40);
		d->h = 2 * d->oh, d->w = 2 * d->ow;
		rand_act(&d->act_min, &d->act_max);
		return;
	}
	d->kh = rnd_in(1, 4), d->kw = rnd() % 3 ? d->kh : rnd_in(1, 4);
	d->sh = rnd_in(1, 3), d->sw = rnd() % 3 ? d->sh : rnd_in(1, 3);
	d->dh = rnd() % 4 ? 1 : 2, d->dw = rnd() % 4 ? d->dh : rnd_in(1, 2);
	int eh = (d->kh - 1) * d->dh + 1, ew = (d->kw - 1) * d->dw + 1;
	d->pt = rnd_in(0, (d->kh - 1) / 2 + 1), d->pb = rnd_in(0, (d->kh - 1) / 2 + 1);
	d->pl = rnd_in(0, (d->kw - 1) / 2 + 1), d->pr = rnd_in(0, (d->kw - 1) / 2 + 1);
	int64_t hmin = eh - d->pt - d->pb, wmin = ew - d->pl - d->pr;
	d->h = (hmin > 1 ? hmin : 1) + rnd_in(0, 20);
	d->w = (wmin > 1 ? wmin : 1) + rnd_in(0, 40);
	if (rnd() % 8 == 0) { /* rows too wide for the per-call column tables */
		d->n = 1, d->h = (hmin > 1 ? hmin : 1) + rnd_in(0, 2);
		d->w = rnd() % 2 ? rnd_in(300, 400) : rnd_in(2100, 2300);
	}
	int ceil = rnd() % 2;
	int64_t sh = d->h + d->pt + d->pb - eh, sw = d->w + d->pl + d->pr - ew;
	d->oh = (ceil ? (sh + d->sh - 1) / d->sh : sh / d->sh) + 1;
	d->ow = (ceil ? (sw + d->sw - 1) / d->sw : sw / d->sw) + 1;
	if (ceil && (d->oh - 1) * d->sh >= d->h + d->pt)
		d->oh--;
	if (ceil && (d->ow - 1) * d->sw >= d->w + d->pl)
		d->ow--;
	rand_act(&d->act_min, &d->act_max);
}

static void test_pools(int cases)
{
	struct tally acc[2] = { { 0 }, { 0 } }, ranges = { 0 };
	for (int t = 0; t < cases; t++) {
		struct qx_f32_conv_desc d;
		rand_pool(&d);
		int avg = t % 2, cip = rnd() % 2;
		char what[240];
		conv_desc_str(&d, what, sizeof what);
		if (avg)
			strcat(what, cip ? " count_include_pad" : " exclude pad");
		int64_t xn = d.n * d.c * d.h * d.w, yn = d.n * d.c * d.oh * d.ow, rows = d.n * d.c * d.oh;
		float *x = rand_array(xn);
		if (rnd() % 4 == 0) /* NaNs propagate as in scalar */
			for (int i = 0; i < 3; i++)
				x[rnd() % (uint32_t)xn] = NAN;
		else if (rnd() % 3 == 0) /* ties of +0 and -0: the first in the window wins */
			for (int64_t i = 0; i < xn; i++)
				x[i] = rnd() % 3 == 0 ? -1.0f : rnd() % 2 ? 0.0f : -0.0f;
		float *ref = xmalloc((size_t)yn * sizeof *ref), *got = xmalloc((size_t)yn * sizeof *got);
		float *one = xmalloc((size_t)yn * sizeof *one);
		if (avg) {
			REF->avgpool(&d, cip, x, ref, 0, rows);
			SET->avgpool(&d, cip, x, got, 0, rows);
		} else {
			REF->maxpool(&d, x, ref, 0, rows);
			SET->maxpool(&d, x, got, 0, rows);
		}
		acc[avg].cases++;
		for (int64_t i = 0; i < yn; i++)
			if (!same(got[i], ref[i])) {
				tally_fail(&acc[avg], "%s: y[%lld] = %.9g, scalar %.9g", what, (long long)i,
				           got[i], ref[i]);
				break;
			}
		int64_t r0 = (int64_t)(rnd() % (uint32_t)rows);
		int64_t r1 = r0 + (int64_t)(rnd() % (uint32_t)(rows - r0 + 1));
		fill(one, yn, 1234.5f);
		if (avg)
			SET->avgpool(&d, cip, x, one, r0, r1);
		else
			SET->maxpool(&d, x, one, r0, r1);
		ranges.cases++;
		for (int64_t i = 0; i < yn; i++) {
			int64_t row = i / d.ow;
			float want = row >= r0 && row < r1 ? ref[i] : 1234.5f;
			if (!same(one[i], want)) {
				tally_fail(&ranges, "%s: rows [%lld, %lld): y[%lld] = %.9g, want %.9g", what,
				           (long long)r0, (long long)r1, (long long)i, one[i], want);
				break;
			}
		}
		free(x), free(ref), free(got), free(one);
	}
	tally_report(&acc[0], "maxpool bit-identical to scalar (NaN included)");
	tally_report(&acc[1], "avgpool bit-identical to scalar (count_include_pad both ways)");
	tally_report(&ranges, "pool sub-ranges give the same bits, nothing else written");
}

/* ---- elementwise ---------------------------------------------------------------------------- */

/* n values: random in [-scale, scale), and specials at random places. */
static float *rand_eltwise_input(int64_t n, float scale)
{
	static const float special[] = { 0.0f, -0.0f, INFINITY, -INFINITY, NAN, -3.0f, 3.0f,
		                             -87.3f, -87.4f, 87.4f, -103.0f, -104.0f, 1e-30f, -1e-30f,
		                             FLT_MIN, -FLT_MIN, 1e-40f, -1e-40f, 0.5f, -0.5f };
	float *x = rand_array(n);
	for (int64_t i = 0; i < n; i++) {
		x[i] *= scale;
		if (rnd() % 5 == 0)
			x[i] = special[rnd() % (sizeof special / sizeof special[0])];
	}
	return x;
}

/* Writes must stop at n: the guard past the end keeps its value. */
static int guard_kept(const float *y, int64_t n)
{
	for (int64_t i = n; i < n + 20; i++)
		if (!same(y[i], 1234.5f))
			return 0;
	return 1;
}

static void test_unary(void)
{
	static const enum qx_nd_unop ops[] = { QX_ND_RELU, QX_ND_CLIP, QX_ND_HARDSIGMOID,
		                                   QX_ND_HARDSWISH };
	static const char *names[] = { "Relu", "Clip", "HardSigmoid", "HardSwish" };
	struct tally acc = { 0 }, refuse = { 0 };
	for (int64_t n = 0; n <= 70; n++)
		for (int o = 0; o < 4; o++) {
			float lo, hi, alpha = 0.0f, beta = 0.0f;
			if (ops[o] == QX_ND_CLIP) {
				rand_act(&lo, &hi);
				alpha = lo, beta = hi;
				if (n % 3 == 0) /* ReLU6 */
					alpha = 0.0f, beta = 6.0f;
			} else if (ops[o] == QX_ND_HARDSIGMOID) {
				alpha = n % 2 ? 0.2f : 1.0f / 6.0f, beta = 0.5f;
			}
			float *x = rand_eltwise_input(n, 8.0f);
			float *ref = xmalloc((size_t)(n + 20) * sizeof *ref);
			float *got = xmalloc((size_t)(n + 20) * sizeof *got);
			fill(ref, n + 20, 1234.5f);
			fill(got, n + 20, 1234.5f);
			acc.cases++;
			if (REF->unary(ops[o], alpha, beta, x, ref, n) != 0 ||
			    SET->unary(ops[o], alpha, beta, x, got, n) != 0) {
				tally_fail(&acc, "%s n=%lld: refused", names[o], (long long)n);
			} else {
				for (int64_t i = 0; i < n; i++)
					if (!same(got[i], ref[i])) {
						tally_fail(&acc, "%s n=%lld (%g, %g): y[%lld] = %.9g for x %.9g, "
						           "scalar %.9g", names[o], (long long)n, alpha, beta,
						           (long long)i, got[i], x[i], ref[i]);
						break;
					}
				if (!guard_kept(got, n))
					tally_fail(&acc, "%s n=%lld: wrote past the end", names[o], (long long)n);
			}
			/* in place, as the executor may call it */
			memcpy(got, x, (size_t)n * sizeof *x);
			SET->unary(ops[o], alpha, beta, got, got, n);
			for (int64_t i = 0; i < n; i++)
				if (!same(got[i], ref[i])) {
					tally_fail(&acc, "%s n=%lld in place: y[%lld] = %.9g, scalar %.9g",
					           names[o], (long long)n, (long long)i, got[i], ref[i]);
					break;
				}
			free(x), free(ref), free(got);
		}
	/* ops it does not take: -1, nothing written */
	float x[3] = { 1.0f, 2.0f, 3.0f }, y[3] = { 7.0f, 7.0f, 7.0f };
	refuse.cases++;
	if (SET->unary(QX_ND_TANH, 0.0f, 0.0f, x, y, 3) != -1 ||
	    SET->unary(QX_ND_SIGMOID, 0.0f, 0.0f, x, y, 3) != -1 || y[0] != 7.0f || y[2] != 7.0f)
		tally_fail(&refuse, "Tanh / Sigmoid not refused, or written");
	tally_report(&acc, "unary (Relu, Clip, HardSigmoid, HardSwish) bit-identical to scalar, "
	             "lengths 0..70, in place");
	tally_report(&refuse, "unary refuses the ops it does not take");
}

static void test_sigmoid(void)
{
	struct tally acc = { 0 };
	double worst = 0.0;
	for (int64_t n = 0; n <= 300; n++) {
		int64_t len = n <= 70 ? n : 1000; /* every tail, then long random runs */
		float *x = rand_eltwise_input(len, n % 2 ? 12.0f : 120.0f);
		float *ref = xmalloc((size_t)(len + 20) * sizeof *ref);
		float *got = xmalloc((size_t)(len + 20) * sizeof *got);
		fill(got, len + 20, 1234.5f);
		REF->sigmoid(x, ref, len);
		SET->sigmoid(x, got, len);
		acc.cases++;
		for (int64_t i = 0; i < len; i++) {
			double err = fabs((double)got[i] - (double)ref[i]);
			double tol = QX_F32_SIGMOID_REL_TOL * fabs((double)ref[i]) + FLT_MIN;
			/* +-inf: exactly 1 and 0, as libm's */
			if (isnan(ref[i]) != isnan(got[i]) || err > tol || (isinf(x[i]) && !same(got[i], ref[i]))) {
				tally_fail(&acc, "n=%lld: sigmoid(%.9g) = %.9g, scalar %.9g (tolerance %.3g)",
				           (long long)len, x[i], got[i], ref[i], tol);
				break;
			}
			if (fabs(ref[i]) >= FLT_MIN && err / fabs((double)ref[i]) > worst)
				worst = err / fabs((double)ref[i]);
		}
		if (!guard_kept(got, len))
			tally_fail(&acc, "n=%lld: wrote past the end", (long long)len);
		free(x), free(ref), free(got);
	}
	tally_report(&acc, "sigmoid within QX_F32_SIGMOID_REL_TOL of scalar's libm expf, lengths "
	             "0..70 and 1000, specials");
	diag("%s sigmoid: worst relative error %.3g (%.2f FLT_EPSILON)", set_name, worst,
	     worst / FLT_EPSILON);
}

/* silu: x * sigmoid(x), the set's sigmoid then one multiply: the same bits as the set's own
 * sigmoid followed by a multiply, and within the sigmoid's tolerance (times |x|) of scalar. */
static void test_silu(void)
{
	struct tally acc = { 0 };
	for (int64_t n = 0; n <= 100; n++) {
		int64_t len = n <= 70 ? n : 777;
		float *x = rand_eltwise_input(len, n % 2 ? 10.0f : 100.0f);
		float *ref = xmalloc((size_t)(len + 20) * sizeof *ref);
		float *sig = xmalloc((size_t)(len + 20) * sizeof *sig);
		float *got = xmalloc((size_t)(len + 20) * sizeof *got);
		fill(got, len + 20, 1234.5f);
		REF->silu(x, ref, len);
		SET->sigmoid(x, sig, len);
		SET->silu(x, got, len);
		acc.cases++;
		for (int64_t i = 0; i < len; i++) {
			float want = x[i] * sig[i];
			double tol = (QX_F32_SIGMOID_REL_TOL + FLT_EPSILON) * fabs((double)ref[i]) +
			             FLT_MIN * fabs((double)x[i]);
			if (!same(got[i], want) || isnan(ref[i]) != isnan(got[i]) ||
			    fabs((double)got[i] - ref[i]) > tol) {
				tally_fail(&acc, "n=%lld: silu(%.9g) = %.9g, sigmoid * x %.9g, scalar %.9g",
				           (long long)len, x[i], got[i], want, ref[i]);
				break;
			}
		}
		if (!guard_kept(got, len))
			tally_fail(&acc, "n=%lld: wrote past the end", (long long)len);
		free(x), free(ref), free(sig), free(got);
	}
	tally_report(&acc, "silu = the set's sigmoid times x (bits), near scalar's");
}

/* binary: same-shape and per-plane operands (either side), every op, bit-identical to scalar;
 * refuses Pow / PRelu. */
static void test_binary(void)
{
	static const enum qx_nd_binop ops[] = { QX_ND_ADD, QX_ND_SUB, QX_ND_MUL, QX_ND_DIV };
	struct tally acc = { 0 };
	for (int t = 0; t < 300; t++) {
		enum qx_nd_binop op = ops[t % 4];
		int a1 = t / 4 % 3 == 1, b1 = t / 4 % 3 == 2; /* neither, a per plane, b per plane */
		int64_t planes = rnd_in(1, 9), len = t < 80 ? t % 40 : rnd_in(1, 200);
		int64_t full = planes * len;
		float *a = rand_eltwise_input(a1 ? planes : full, 4.0f);
		float *b = rand_eltwise_input(b1 ? planes : full, 4.0f);
		float *ref = xmalloc((size_t)(full + 20) * sizeof *ref);
		float *got = xmalloc((size_t)(full + 20) * sizeof *got);
		fill(got, full + 20, 1234.5f);
		acc.cases++;
		if (REF->binary(op, a, a1, b, b1, ref, planes, len) ||
		    SET->binary(op, a, a1, b, b1, got, planes, len)) {
			tally_fail(&acc, "op %d refused", (int)op);
		} else {
			for (int64_t i = 0; i < full; i++)
				if (!same(got[i], ref[i])) {
					tally_fail(&acc, "op %d planes %lld len %lld a1 %d b1 %d: y[%lld] = %.9g, "
					           "scalar %.9g", (int)op, (long long)planes, (long long)len, a1,
					           b1, (long long)i, got[i], ref[i]);
					break;
				}
			if (!guard_kept(got, full))
				tally_fail(&acc, "op %d: wrote past the end", (int)op);
		}
		free(a), free(b), free(ref), free(got);
	}
	float x[2] = { 1.0f, 2.0f }, y[2] = { 7.0f, 7.0f };
	acc.cases++;
	if (SET->binary(QX_ND_POW, x, 0, x, 0, y, 1, 2) != -1 ||
	    SET->binary(QX_ND_PRELU, x, 0, x, 0, y, 1, 2) != -1 || y[0] != 7.0f)
		tally_fail(&acc, "Pow / PRelu not refused, or written");
	tally_report(&acc, "binary (Add, Sub, Mul, Div; same shape or per plane) bit-identical to "
	             "scalar");
}

/* batchnorm: (x - mean) / sd * scale + bias per channel, bit-identical to scalar. */
static void test_batchnorm(void)
{
	struct tally acc = { 0 };
	for (int t = 0; t < 200; t++) {
		int64_t ch = rnd_in(1, 20), planes = ch * rnd_in(1, 3), len = t < 60 ? t : rnd_in(1, 300);
		float *x = rand_eltwise_input(planes * len, 5.0f), *m = rand_array(ch), *sd = rand_array(ch);
		float *g = rand_array(ch), *b = rand_array(ch);
		for (int64_t c = 0; c < ch; c++)
			sd[c] = fabsf(sd[c]) + 0.01f;
		float *ref = xmalloc((size_t)(planes * len + 20) * sizeof *ref);
		float *got = xmalloc((size_t)(planes * len + 20) * sizeof *got);
		fill(got, planes * len + 20, 1234.5f);
		REF->batchnorm(x, ref, planes, len, ch, m, sd, g, b);
		SET->batchnorm(x, got, planes, len, ch, m, sd, g, b);
		acc.cases++;
		for (int64_t i = 0; i < planes * len; i++)
			if (!same(got[i], ref[i])) {
				tally_fail(&acc, "ch %lld planes %lld len %lld: y[%lld] = %.9g, scalar %.9g",
				           (long long)ch, (long long)planes, (long long)len, (long long)i,
				           got[i], ref[i]);
				break;
			}
		if (!guard_kept(got, planes * len))
			tally_fail(&acc, "len %lld: wrote past the end", (long long)len);
		free(x), free(m), free(sd), free(g), free(b), free(ref), free(got);
	}
	tally_report(&acc, "batchnorm bit-identical to scalar");
}

/* ---- driver --------------------------------------------------------------------------------- */

struct set {
	const char *name;
	const struct qx_kernels_f32 *k;
	const char *lacks; /* NULL when this CPU runs it */
};

int main(void)
{
	struct set sets[2];
	int nsets = 0;
#if defined(__x86_64__)
	__builtin_cpu_init();
	sets[nsets++] = (struct set){ "avx2", &qx_f32_avx2,
	                              __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ?
	                                      NULL :
	                                      "CPU lacks AVX2/FMA" };
	/* the avx512 files are compiled with F, BW, VL, DQ and VNNI allowed (Makefile) */
	int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	             __builtin_cpu_supports("avx512vnni");
	sets[nsets++] = (struct set){ "avx512", &qx_f32_avx512,
	                              has512 ? NULL : "CPU lacks AVX-512 (F/BW/VL/DQ/VNNI)" };
#endif
	if (nsets == 0)
		return tap_skip_all("no x86 SIMD fp32 kernel sets on this architecture");
	const char *seed = getenv("QX_SEED");
	uint64_t s0 = seed ? strtoull(seed, NULL, 0) : 0x9e3779b97f4a7c15ull;
	int quick = tap_sanitized();
	tap_plan(nsets * CHECKS_PER_SET);
	diag("seed 0x%llx%s", (unsigned long long)s0, quick ? " (sanitized build: fewer cases)" : "");
	REF = &qx_f32_scalar;
	for (int i = 0; i < nsets; i++) {
		if (sets[i].lacks) {
			tap_skip(CHECKS_PER_SET, "%s: %s", sets[i].name, sets[i].lacks);
			continue;
		}
		SET = sets[i].k;
		set_name = sets[i].name;
		rng_state = s0;
		test_conv(quick ? 100 : 400);
		test_matmul(quick ? 100 : 300);
		test_pools(quick ? 200 : 600);
		test_unary();
		test_sigmoid();
		test_silu();
		test_binary();
		test_batchnorm();
	}
	return tap_done();
}
