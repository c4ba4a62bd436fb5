/* Every int8 kernel set against the scalar reference, tolerance 0: conv on random shapes (odd
 * channel counts, 1x1 / 3x3 / 5x5, strides, asymmetric pads, dilation, groups, depthwise,
 * batches), edge values, the dynamic GEMM, every element-wise op and pool, and sub-ranges
 * [begin, end) that must give the same bytes as one whole call and touch nothing else.
 *
 * Uses only the registry (kernels.h), so it builds for any architecture: sets that this build
 * lacks or this CPU cannot run are TAP skips that say why. Fixed-seed PRNG. */
#include "kernels.h"
#include "support/rng.h"
#include "support/tap.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Result lines per set; a skipped set skips this many. */
#define CHECKS_PER_SET 15

static const struct qx_kernels_q8 *REF, *SET;
static const char *set_name;

static uint64_t rng_state;
static uint32_t rnd(void) { return tap_rand(&rng_state); }
static int rnd_in(int lo, int hi) { return tap_rand_in(&rng_state, lo, hi); }
static int pick(const int *v, int n) { return v[rnd() % (uint32_t)n]; }

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		printf("Bail out! out of memory\n");
		exit(1);
	}
	return p;
}

/* ---- convolution ---------------------------------------------------------------------------- */

struct conv_case {
	struct qx_q8_conv_desc d;
	uint8_t *x;
	int8_t *w;
	int32_t *bias; /* may be NULL */
	float *mult;
};

enum fill { FILL_RANDOM, FILL_EXTREME, FILL_TIES, FILL_HUGE_BIAS, FILL_BIG_MULT, FILL_HALF_HUGE };

/* ONNX's floor((in + pads - span) / s) + 1; 0 when the window is wider than the padded input
 * (C's division would truncate -1 / 2 to 0 and give 1) */
static int64_t out_size(int64_t in, int k, int s, int dil, int p0, int p1)
{
	int64_t room = in + p0 + p1 - ((int64_t)(k - 1) * dil + 1);
	return room < 0 ? 0 : room / s + 1;
}

static void case_fill(struct conv_case *t, enum fill fill)
{
	struct qx_q8_conv_desc *d = &t->d;
	int64_t k = (int64_t)d->kh * d->kw * (d->c / d->groups);
	int64_t xs = d->n * d->h * d->w * d->c;
	t->x = xmalloc((size_t)xs);
	t->w = xmalloc((size_t)(d->oc * k));
	t->bias = rnd_in(0, 4) == 0 && fill == FILL_RANDOM ? NULL
	                                                 : xmalloc((size_t)d->oc * sizeof *t->bias);
	t->mult = xmalloc((size_t)d->oc * sizeof *t->mult);
	for (int64_t i = 0; i < xs; i++)
		t->x[i] = fill == FILL_EXTREME ? 255 : (uint8_t)(rnd_in(0, 9) == 0 ? 255 : rnd());
	for (int64_t i = 0; i < d->oc * k; i++) {
		if (fill == FILL_EXTREME)
			t->w[i] = -128;
		else if (fill == FILL_TIES)
			t->w[i] = (int8_t)rnd_in(-2, 2);
		else
			t->w[i] = (int8_t)(rnd_in(0, 9) == 0 ? -128 : (int)(rnd() & 255) - 128);
	}
	for (int64_t o = 0; o < d->oc; o++) {
		if (t->bias)
			t->bias[o] = fill == FILL_HUGE_BIAS || fill == FILL_HALF_HUGE ? (rnd() & 1 ? INT32_MAX - rnd_in(0, 1 << 20)
			                                                 : INT32_MIN + rnd_in(0, 1 << 20))
			                                    : (int32_t)(rnd() % 200001) - 100000;
		switch (fill) {
		case FILL_TIES: /* power-of-two multipliers: many exact .5 ties */
			t->mult[o] = 1.0f / (float)(2 << rnd_in(0, 3));
			break;
		case FILL_HUGE_BIAS: /* 2^-24: wrapped accumulators land inside [-128, 128] */
			t->mult[o] = 1.0f / 16777216.0f;
			break;
		case FILL_EXTREME:
			t->mult[o] = 1.0f / (float)(k * 256);
			break;
		case FILL_BIG_MULT: { /* over 0.5: the SIMD sets keep the float clamp (t may pass
			               * 2^31, where an integer clamp after cvtps2dq would be wrong) */
			static const float big[] = { 0.50000006f, 1.0f, 7.5f, 1e6f, 3e38f, -2.0f };
			t->mult[o] = o == 0 ? big[rnd_in(0, 5)] : rnd_in(0, 1) ? big[rnd_in(0, 5)]
			                                                         : 1.0f / (float)(k * 64);
			break;
		}
		case FILL_HALF_HUGE: /* +-0.5, the largest multiplier of the integer clamp */
			t->mult[o] = rnd_in(0, 3) ? 0.5f : -0.5f;
			break;
		default:
			t->mult[o] = 1.0f / (float)(rnd_in(8, 200) * (k < 4 ? 4 : k));
		}
	}
}

static void case_free(struct conv_case *t)
{
	free(t->x), free(t->w), free(t->bias), free(t->mult);
}

/* Random geometry with channels from the brief's lists and images up to max_hw. */
static void random_desc(struct qx_q8_conv_desc *d, int max_hw)
{
	static const int cs[] = { 1, 3, 17, 64, 4, 8, 32 };
	static const int ocs[] = { 1, 10, 33, 128, 16, 32, 64 };
	static const int ks[] = { 1, 3, 5 };
	memset(d, 0, sizeof *d);
	static const int dw_cs[] = { 1, 3, 17, 64, 4, 8, 32, 70, 144, 200 };
	static const int narrow_groups[] = { 3, 4, 8, 16, 32 };
	do {
		/* 0: groups 2, 1: depthwise (multiplier 1 or 2; channels past one vector block and
		 * not a multiple of any vector width too), 2: many narrow groups (1 to 4 channels in
		 * and 1 to 8 out per group), else groups 1 */
		int mode = rnd_in(0, 6);
		d->c = pick(cs, 7);
		d->oc = pick(ocs, 7);
		d->groups = 1;
		if (mode == 0) {
			d->groups = 2;
			d->c *= 2;
			d->oc = (d->oc + 1) / 2 * 2;
		} else if (mode == 1) {
			d->c = pick(dw_cs, 10);
			d->groups = (int)d->c;
			d->oc = d->c * (rnd_in(0, 3) ? 1 : 2);
		} else if (mode == 2) {
			d->groups = pick(narrow_groups, 5);
			d->c = d->groups * rnd_in(1, 4);
			d->oc = d->groups * rnd_in(1, 8);
		}
		d->n = rnd_in(1, 3);
		d->h = rnd_in(1, max_hw);
		d->w = rnd_in(1, max_hw);
		d->kh = pick(ks, 3);
		d->kw = rnd_in(0, 3) ? d->kh : pick(ks, 3);
		d->sh = rnd_in(1, 2);
		d->sw = rnd_in(1, 2);
		d->dh = rnd_in(0, 4) == 0 ? 2 : 1;
		d->dw = rnd_in(0, 4) == 0 ? 2 : 1;
		d->pt = rnd_in(0, 2);
		d->pl = rnd_in(0, 2);
		d->pb = rnd_in(0, 2);
		d->pr = rnd_in(0, 2);
		d->oh = out_size(d->h, d->kh, d->sh, d->dh, d->pt, d->pb);
		d->ow = out_size(d->w, d->kw, d->sw, d->dw, d->pl, d->pr);
		/* keep the scalar reference's work small: the whole test runs in a few seconds */
	} while (d->oh <= 0 || d->ow <= 0 ||
	         d->n * d->oh * d->ow * d->oc * d->kh * d->kw * (d->c / d->groups) > 6000000);
	int zp_mode = rnd_in(0, 3);
	d->in_zp = zp_mode == 0 ? 0 : zp_mode == 1 ? 255 : rnd_in(0, 255);
	d->out_zp = rnd_in(0, 3) == 0 ? 0 : rnd_in(0, 255);
	d->out_min = rnd_in(0, 1) ? d->out_zp : rnd_in(0, 100);
	d->out_max = rnd_in(0, 1) ? 255 : rnd_in(d->out_min, 255);
}

static void describe(const struct qx_q8_conv_desc *d)
{
	diag("  %s: n%lld %lldx%lldx%lld -> %lld, k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d zp %d/%d "
	     "[%d,%d]",
	     set_name, (long long)d->n, (long long)d->h, (long long)d->w, (long long)d->c,
	     (long long)d->oc, d->kh, d->kw, d->sh, d->sw, d->dh, d->dw, d->pt, d->pl, d->pb, d->pr,
	     d->groups, d->in_zp, d->out_zp, d->out_min, d->out_max);
}

/* Runs ref and SET on t: whole range, then three sub-ranges into a fresh buffer, then one
 * sub-range alone (bytes outside it must stay untouched). Returns 0 when all bytes agree. */
static int conv_check(const struct conv_case *t, int check_ranges)
{
	const struct qx_q8_conv_desc *d = &t->d;
	int64_t total = d->n * d->oh * d->ow, bytes = total * d->oc;
	uint8_t *want = xmalloc((size_t)bytes), *got = xmalloc((size_t)bytes);
	void *pr = NULL, *ps = NULL;
	int bad = 0;
	if (REF->conv_pack(d, t->w, t->bias, t->mult, &pr) != 0 ||
	    SET->conv_pack(d, t->w, t->bias, t->mult, &ps) != 0) {
		diag("  conv_pack failed");
		bad = 1;
		goto out;
	}
	REF->conv(pr, t->x, want, 0, total);
	memset(got, 0xA5, (size_t)bytes);
	SET->conv(ps, t->x, got, 0, total);
	if (memcmp(want, got, (size_t)bytes) != 0) {
		bad = 1;
		for (int64_t i = 0, shown = 0; i < bytes && shown < 3; i++)
			if (want[i] != got[i])
				diag("  pixel %lld channel %lld: got %d want %d", (long long)(i / d->oc),
				     (long long)(i % d->oc), got[i], want[i]), shown++;
		goto out;
	}
	if (!check_ranges || total < 2)
		goto out;
	int64_t a = rnd() % (uint64_t)total, b = a + rnd() % (uint64_t)(total - a + 1);
	memset(got, 0x5A, (size_t)bytes);
	SET->conv(ps, t->x, got, b, total);
	SET->conv(ps, t->x, got, 0, a);
	SET->conv(ps, t->x, got, a, b);
	if (memcmp(want, got, (size_t)bytes) != 0) {
		diag("  ranges [0,%lld) [%lld,%lld) [%lld,%lld) differ from one call", (long long)a,
		     (long long)a, (long long)b, (long long)b, (long long)total);
		bad = 1;
		goto out;
	}
	memset(got, 0x5A, (size_t)bytes);
	SET->conv(ps, t->x, got, a, b);
	for (int64_t i = 0; i < bytes; i++) {
		int inside = i >= a * d->oc && i < b * d->oc;
		if (inside ? got[i] != want[i] : got[i] != 0x5A) {
			diag("  range [%lld,%lld): byte %lld %s", (long long)a, (long long)b, (long long)i,
			     inside ? "differs" : "written outside the range");
			bad = 1;
			break;
		}
	}
out:
	if (bad)
		describe(d);
	REF->pack_free(pr);
	SET->pack_free(ps);
	free(want), free(got);
	return bad;
}

static void test_conv_random(int rounds)
{
	int failed = 0;
	for (int r = 0; r < rounds; r++) {
		struct conv_case t;
		random_desc(&t.d, r % 4 == 0 ? 28 : 9);
		case_fill(&t, FILL_RANDOM);
		failed += conv_check(&t, 1);
		case_free(&t);
	}
	ok(failed == 0, "%s conv: %d random shapes equal scalar, also by sub-ranges (%d differ)",
	   set_name, rounds, failed);
}

/* The reference model's layers and the first-layer shapes the SIMD sets special-case. */
static void test_conv_model_layers(void)
{
	static const int layers[][4] = { /* c, oc, hw, batch */
		{ 1, 32, 28, 2 }, { 32, 32, 28, 1 }, { 32, 64, 14, 2 }, { 64, 64, 14, 1 },
		{ 64, 128, 7, 3 }, { 128, 10, 1, 3 }, { 3, 16, 17, 1 },
	};
	int failed = 0;
	for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
		struct conv_case t;
		memset(&t.d, 0, sizeof t.d);
		struct qx_q8_conv_desc *d = &t.d;
		d->c = layers[i][0], d->oc = layers[i][1], d->h = d->w = layers[i][2];
		d->n = layers[i][3];
		d->kh = d->kw = d->h == 1 ? 1 : 3;
		d->pt = d->pl = d->pb = d->pr = d->h == 1 ? 0 : 1;
		d->sh = d->sw = d->dh = d->dw = 1, d->groups = 1;
		d->oh = d->h, d->ow = d->w;
		d->in_zp = rnd_in(0, 255), d->out_zp = rnd_in(0, 255);
		d->out_min = d->out_zp, d->out_max = 255;
		case_fill(&t, FILL_RANDOM);
		failed += conv_check(&t, 1);
		case_free(&t);
	}
	ok(failed == 0, "%s conv: the reference model's layers equal scalar", set_name);
}

static void test_conv_edges(void)
{
	struct { enum fill fill; int in_zp, out_zp, out_min, out_max; const char *what; } edges[] = {
		{ FILL_EXTREME, 0, 128, 0, 255, "255 activations x -128 weights" },
		{ FILL_EXTREME, 255, 0, 0, 255, "255 activations x -128 weights, in_zp 255" },
		{ FILL_RANDOM, 255, 255, 0, 255, "zero points 255" },
		{ FILL_RANDOM, 0, 0, 0, 255, "zero points 0" },
		{ FILL_RANDOM, 17, 90, 90, 90, "out_min == out_max" },
		{ FILL_TIES, 100, 128, 0, 255, "exact .5 ties" },
		{ FILL_HUGE_BIAS, 200, 128, 0, 255, "accumulators wrapping at the int32 limits" },
		{ FILL_BIG_MULT, 3, 100, 20, 230, "multipliers over 0.5, t past 2^31" },
		{ FILL_BIG_MULT, 0, 0, 0, 255, "multipliers over 0.5, full range" },
		{ FILL_HALF_HUGE, 200, 128, 0, 255, "multipliers +-0.5, accumulators near 2^31" },
		{ FILL_HALF_HUGE, 9, 40, 41, 77, "multipliers +-0.5, narrow clamp" },
		{ FILL_RANDOM, 9, 40, 41, 77, "narrow clamp" },
	};
	int failed = 0;
	for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
		int bad = 0;
		for (int r = 0; r < 6; r++) {
			struct conv_case t;
			random_desc(&t.d, 10);
			t.d.in_zp = edges[e].in_zp, t.d.out_zp = edges[e].out_zp;
			t.d.out_min = edges[e].out_min, t.d.out_max = edges[e].out_max;
			case_fill(&t, edges[e].fill);
			bad += conv_check(&t, 0);
			case_free(&t);
		}
		if (bad)
			diag("  %s: %s differs", set_name, edges[e].what);
		failed += bad != 0;
	}
	ok(failed == 0, "%s conv: edge values (extremes, zero points 0/255, out_min == out_max, "
	   ".5 ties, int32 wrap, multipliers over and at 0.5, narrow clamps) equal scalar", set_name);
}

/* First layers: 3 kernel rows of at most 4 input bytes and up to 32 output channels, which
 * the 8-bit x86 sets run pixel by pixel with the weights in registers (and two pixels per
 * store at 32 channels): widths that are odd or not a multiple of any tile, batch > 1,
 * stride 2, no padding (rows read in place), channel counts below a vector, multipliers on
 * both sides of 0.5 (integer and float clamp), narrow clamps, half of them with inputs
 * declared 0..127 (in_u7). */
static void test_conv_first_layers(void)
{
	static const int shapes[][4] = { /* c, kw, oc, w */
		{ 1, 3, 32, 28 }, { 1, 3, 32, 5 }, { 1, 3, 32, 13 }, { 1, 3, 16, 29 },
		{ 1, 3, 8, 7 },   { 1, 3, 1, 9 },  { 1, 3, 20, 6 },  { 2, 2, 32, 11 },
		{ 4, 1, 32, 9 },  { 1, 3, 24, 4 }, { 1, 1, 32, 31 },
	};
	static const enum fill fills[] = { FILL_RANDOM, FILL_BIG_MULT, FILL_HALF_HUGE, FILL_TIES };
	int failed = 0, cases = 0;
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		for (int v = 0; v < 4; v++, cases++) {
			struct conv_case t;
			struct qx_q8_conv_desc *d = &t.d;
			memset(d, 0, sizeof *d);
			d->c = shapes[i][0], d->kw = shapes[i][1], d->oc = shapes[i][2];
			d->w = shapes[i][3], d->h = rnd_in(3, 12), d->n = rnd_in(1, 3);
			d->kh = 3, d->groups = 1, d->dh = d->dw = 1;
			d->sh = v & 1 ? 2 : 1, d->sw = v >= 2 ? 2 : 1;
			int pad = v == 3 ? 0 : 1;
			d->pt = d->pb = pad, d->pl = d->pr = d->kw > 1 ? pad : 0;
			d->oh = out_size(d->h, d->kh, d->sh, d->dh, d->pt, d->pb);
			d->ow = out_size(d->w, d->kw, d->sw, d->dw, d->pl, d->pr);
			d->in_zp = rnd_in(0, 255), d->out_zp = rnd_in(0, 255);
			d->out_min = rnd_in(0, 1) ? d->out_zp : rnd_in(0, 60);
			d->out_max = rnd_in(0, 1) ? 255 : rnd_in(d->out_min, 255);
			case_fill(&t, fills[(i + (size_t)v) % 4]);
			if (v & 1) { /* inputs in 0..127, declared (AVX2: the vpmaddubsw form) */
				d->in_u7 = 1, d->in_zp &= 127;
				for (int64_t k = 0; k < d->n * d->h * d->w * d->c; k++)
					t.x[k] &= 127;
			}
			failed += conv_check(&t, 1);
			case_free(&t);
		}
	}
	ok(failed == 0, "%s conv: %d first-layer shapes (3 kernel rows of <= 4 bytes) equal scalar, "
	   "also by sub-ranges (%d differ)", set_name, cases, failed);
}

/* Inputs proved to lie in 0..127 (desc.in_u7, reduce_range plans; AVX2 then packs its
 * vpmaddubsw form): random shapes and the worst pairs (127 x -128 twice: 32512, just inside
 * int16) equal scalar, which ignores the flag. in_u7 with in_zp over 127, or not 0/1, does not
 * pack. On AVX2 the packed form follows the flag: a 0..255 desc gets the 16-bit form, and its
 * 255 x -128 pairs (which vpmaddubsw would saturate) equal scalar too. */
static void test_conv_u7(int rounds)
{
	int failed = 0, bad_desc = 0, path = 0;
	for (int r = 0; r < rounds; r++) {
		struct conv_case t;
		random_desc(&t.d, r % 4 == 0 ? 20 : 9);
		t.d.in_u7 = 1;
		t.d.in_zp = r % 5 == 0 ? 127 : rnd_in(0, 127);
		case_fill(&t, r % 3 == 0 ? FILL_EXTREME : r % 3 == 1 ? FILL_RANDOM : FILL_HALF_HUGE);
		int64_t xs = t.d.n * t.d.h * t.d.w * t.d.c;
		for (int64_t i = 0; i < xs; i++)
			t.x[i] = r % 3 == 0 ? 127 : t.x[i] & 127;
		failed += conv_check(&t, r % 2);
		case_free(&t);
	}
	struct qx_q8_conv_desc d = {
		.n = 2, .h = 9, .w = 11, .c = 8, .oc = 16, .oh = 9, .ow = 11, .kh = 3, .kw = 3,
		.sh = 1, .sw = 1, .dh = 1, .dw = 1, .pt = 1, .pl = 1, .pb = 1, .pr = 1, .groups = 1,
		.in_zp = 128, .out_zp = 0, .out_min = 0, .out_max = 255, .in_u7 = 1,
	};
	int8_t w[16 * 72] = { 0 };
	float mult[16];
	for (int o = 0; o < 16; o++)
		mult[o] = 0.001f;
	void *pk = NULL;
	bad_desc += SET->conv_pack(&d, w, NULL, mult, &pk) == 0; /* in_zp 128 with in_u7 */
	SET->pack_free(pk), pk = NULL;
	d.in_zp = 5, d.in_u7 = 2;
	bad_desc += SET->conv_pack(&d, w, NULL, mult, &pk) == 0;
	SET->pack_free(pk), pk = NULL;
#if defined(__x86_64__)
	if (strcmp(set_name, "avx2") == 0) {
		for (int u7 = 0; u7 <= 1; u7++) {
			d.in_u7 = u7;
			if (SET->conv_pack(&d, w, NULL, mult, &pk) != 0 ||
			    qx_q8_avx2_conv_uses_maddubs(pk) != u7) {
				diag("  avx2: in_u7 %d did not pack the %s form", u7,
				     u7 ? "vpmaddubsw" : "16-bit");
				path++;
			}
			SET->pack_free(pk), pk = NULL;
		}
		for (int r = 0; r < 4; r++) { /* 0..255: must not be the vpmaddubsw form */
			struct conv_case t;
			random_desc(&t.d, 9);
			case_fill(&t, FILL_EXTREME);
			path += conv_check(&t, 0);
			case_free(&t);
		}
	}
#endif
	if (bad_desc)
		diag("  %s: %d invalid in_u7 descs packed", set_name, bad_desc);
	ok(failed == 0 && bad_desc == 0 && path == 0,
	   "%s conv: %d shapes with inputs proved in 0..127 (in_u7) equal scalar (%d differ); "
	   "invalid in_u7 descs refused; the AVX2 form follows in_u7", set_name, rounds, failed);
}

/* ---- dynamic gemm --------------------------------------------------------------------------- */

static void test_gemm(int rounds)
{
	static const int ks[] = { 1, 3, 17, 64, 100, 128, 300 };
	static const int ns[] = { 1, 10, 33, 128, 16, 7 };
	int failed = 0;
	for (int r = 0; r < rounds; r++) {
		struct qx_q8_gemm_desc gd = { .n = pick(ns, 6), .k = pick(ks, 7) };
		int64_t m = r % 5 == 0 ? 64 : rnd_in(1, 64);
		int extreme = r % 7 == 0;
		int32_t x_zp = r % 3 == 0 ? 0 : r % 3 == 1 ? 255 : rnd_in(0, 255);
		uint8_t *x = xmalloc((size_t)(m * gd.k));
		int8_t *w = xmalloc((size_t)(gd.n * gd.k));
		float *scale = xmalloc((size_t)gd.n * sizeof(float));
		float *bias = xmalloc((size_t)gd.n * sizeof(float));
		float *want = xmalloc((size_t)(m * gd.n) * sizeof(float));
		float *got = xmalloc((size_t)(m * gd.n) * sizeof(float));
		for (int64_t i = 0; i < m * gd.k; i++)
			x[i] = extreme ? 255 : (uint8_t)rnd();
		for (int64_t i = 0; i < gd.n * gd.k; i++)
			w[i] = extreme ? -128 : (int8_t)((int)(rnd() & 255) - 128);
		for (int64_t j = 0; j < gd.n; j++) {
			scale[j] = (float)rnd_in(1, 100000) * 1e-7f;
			bias[j] = (float)rnd_in(-100000, 100000) * 1e-3f;
		}
		const float *b = r & 1 ? bias : NULL;
		void *pr = NULL, *ps = NULL;
		int bad = 0;
		if (REF->gemm_pack(&gd, w, &pr) != 0 || SET->gemm_pack(&gd, w, &ps) != 0) {
			bad = 1;
		} else {
			REF->gemm_f32out(pr, x, x_zp, scale, b, want, 0, m);
			memset(got, 0xA5, (size_t)(m * gd.n) * sizeof(float));
			int64_t a = rnd() % (uint64_t)(m + 1);
			SET->gemm_f32out(ps, x, x_zp, scale, b, got, a, m);
			SET->gemm_f32out(ps, x, x_zp, scale, b, got, 0, a);
			bad = memcmp(want, got, (size_t)(m * gd.n) * sizeof(float)) != 0;
		}
		if (bad)
			diag("  %s gemm m%lld k%lld n%lld x_zp %d bias %s differs", set_name, (long long)m,
			     (long long)gd.k, (long long)gd.n, x_zp, b ? "yes" : "no");
		failed += bad;
		REF->pack_free(pr);
		SET->pack_free(ps);
		free(x), free(w), free(scale), free(bias), free(want), free(got);
	}
	ok(failed == 0, "%s gemm_f32out: %d shapes (m up to 64) equal scalar bit for bit", set_name,
	   rounds);
}

/* ---- element-wise --------------------------------------------------------------------------- */

static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000 };
#define NSIZES (sizeof sizes / sizeof sizes[0])

static float special_float(void)
{
	static const float specials[] = { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.0f, -0.0f,
	                                  1e30f, -1e30f, INFINITY, -INFINITY, NAN, 127.5f,
	                                  -127.5f, 255.5f };
	if (rnd_in(0, 3) == 0)
		return specials[rnd() % 16];
	return (float)((int)(rnd() % 200001) - 100000) * 0.003f;
}

/* out-of-bounds writes show up as a changed guard byte after the output */
#define GUARD 16

static void test_quantize_dequantize(void)
{
	int bad_q = 0, bad_d = 0;
	for (size_t s = 0; s < NSIZES; s++) {
		for (int r = 0; r < 4; r++) {
			size_t n = sizes[s];
			float *x = xmalloc(n * sizeof(float)), *fa = xmalloc((n + GUARD) * sizeof(float));
			float *fb = xmalloc((n + GUARD) * sizeof(float));
			uint8_t *qa = xmalloc(n + GUARD), *qb = xmalloc(n + GUARD);
			for (size_t i = 0; i < n; i++)
				x[i] = special_float();
			float scale = r == 0 ? 1.0f : (float)rnd_in(1, 1000) * 0.01f;
			int32_t zp = r == 1 ? 0 : r == 2 ? 255 : rnd_in(0, 255);
			int32_t qmin = r == 3 ? rnd_in(0, 100) : 0, qmax = r == 3 ? rnd_in(qmin, 255) : 255;
			memset(qa, 7, n + GUARD), memset(qb, 7, n + GUARD);
			REF->quantize(x, n, scale, zp, qmin, qmax, qa);
			SET->quantize(x, n, scale, zp, qmin, qmax, qb);
			bad_q += memcmp(qa, qb, n + GUARD) != 0;
			memset(fa, 7, (n + GUARD) * sizeof(float)), memset(fb, 7, (n + GUARD) * sizeof(float));
			REF->dequantize(qa, n, scale, zp, fa);
			SET->dequantize(qa, n, scale, zp, fb);
			bad_d += memcmp(fa, fb, (n + GUARD) * sizeof(float)) != 0;
			free(x), free(fa), free(fb), free(qa), free(qb);
		}
	}
	ok(bad_q == 0, "%s quantize: sizes 0..1000 with ties, inf, NaN equal scalar (%d differ)",
	   set_name, bad_q);
	ok(bad_d == 0, "%s dequantize: sizes 0..1000 equal scalar (%d differ)", set_name, bad_d);
}

static void test_requantize_add(void)
{
	int bad_r = 0, bad_a = 0, bad_m = 0, bad_l = 0;
	for (size_t s = 0; s < NSIZES; s++) {
		for (int r = 0; r < 4; r++) {
			size_t n = sizes[s];
			uint8_t *a = xmalloc(n), *b = xmalloc(n);
			uint8_t *ya = xmalloc(n + GUARD), *yb = xmalloc(n + GUARD);
			for (size_t i = 0; i < n; i++)
				a[i] = (uint8_t)rnd(), b[i] = (uint8_t)(r == 0 ? 255 : rnd());
			/* r == 1: power-of-two multipliers make .5 ties */
			float m1 = r == 1 ? 0.5f : (float)rnd_in(1, 3000) * 0.001f;
			float m2 = r == 1 ? 0.25f : (float)rnd_in(1, 3000) * 0.001f;
			int32_t zx = r == 2 ? 255 : rnd_in(0, 255), zy = r == 2 ? 0 : rnd_in(0, 255);
			int32_t lo = r == 3 ? 60 : 0, hi = r == 3 ? 60 : 255;
			memset(ya, 7, n + GUARD), memset(yb, 7, n + GUARD);
			REF->requantize(a, n, zx, m1, zy, lo, hi, ya);
			SET->requantize(a, n, zx, m1, zy, lo, hi, yb);
			bad_r += memcmp(ya, yb, n + GUARD) != 0;
			memset(ya, 7, n + GUARD), memset(yb, 7, n + GUARD);
			REF->add(a, zx, m1, b, zy, m2, n, 128, lo, hi, ya);
			SET->add(a, zx, m1, b, zy, m2, n, 128, lo, hi, yb);
			bad_a += memcmp(ya, yb, n + GUARD) != 0;
			/* mul: r == 1 gives exact ties (2^-k), r == 0 the extreme product 255 * 255 */
			float mm = r == 1 ? 0.0625f : (float)rnd_in(1, 3000) * 1e-5f;
			memset(ya, 7, n + GUARD), memset(yb, 7, n + GUARD);
			REF->mul(a, r == 0 ? 0 : zx, b, zy, mm, n, 128, lo, hi, ya);
			SET->mul(a, r == 0 ? 0 : zx, b, zy, mm, n, 128, lo, hi, yb);
			bad_m += memcmp(ya, yb, n + GUARD) != 0;
			uint8_t table[256];
			for (int i = 0; i < 256; i++)
				table[i] = (uint8_t)rnd();
			memset(ya, 7, n + GUARD), memset(yb, 7, n + GUARD);
			REF->lookup(a, n, table, ya);
			SET->lookup(a, n, table, yb);
			bad_l += memcmp(ya, yb, n + GUARD) != 0;
			free(a), free(b), free(ya), free(yb);
		}
	}
	ok(bad_r == 0, "%s requantize: sizes 0..1000 equal scalar (%d differ)", set_name, bad_r);
	ok(bad_a == 0, "%s add: sizes 0..1000 equal scalar (%d differ)", set_name, bad_a);
	ok(bad_m == 0, "%s mul: sizes 0..1000 with ties and 255 * 255 equal scalar (%d differ)",
	   set_name, bad_m);
	ok(bad_l == 0, "%s lookup: sizes 0..1000 equal scalar (%d differ)", set_name, bad_l);
}

/* ---- pools ---------------------------------------------------------------------------------- */

static void test_pools(int rounds)
{
	/* below 8, 8..15, 16..31, 32 and above, with and without a tail (googlenet: 13, 38); 56:
	 * AVX2 avgpool's 32-channel block then 8-channel ones; 128: the default model's GAP */
	static const int cs[] = { 1, 3, 8, 13, 15, 16, 17, 32, 38, 56, 64, 100, 128 };
	int bad_max = 0, bad_avg = 0;
	for (int r = 0; r < rounds; r++) {
		struct qx_q8_conv_desc d;
		memset(&d, 0, sizeof d);
		int global = r % 4 == 0;
		do {
			d.n = rnd_in(1, 3), d.h = rnd_in(1, 14), d.w = rnd_in(1, 14);
			d.c = pick(cs, (int)(sizeof cs / sizeof cs[0]));
			/* every third window 2x2 (the usual pool, which AVX2 special-cases) */
			int two = r % 3 == 1;
			d.kh = global ? (int)d.h : two ? 2 : rnd_in(1, 3);
			d.kw = global ? (int)d.w : two ? 2 : rnd_in(1, 3);
			d.sh = rnd_in(1, 2), d.sw = rnd_in(1, 2), d.dh = 1;
			d.dw = !global && rnd_in(0, 3) == 0 ? 2 : 1;
			if (!global) {
				d.pt = rnd_in(0, d.kh - 1), d.pl = rnd_in(0, d.kw - 1);
				d.pb = rnd_in(0, d.kh - 1), d.pr = rnd_in(0, d.kw - 1);
				d.dh = rnd_in(0, 3) == 0 ? 2 : 1;
			}
			d.oh = out_size(d.h, d.kh, d.sh, d.dh, d.pt, d.pb);
			d.ow = out_size(d.w, d.kw, d.sw, d.dw, d.pl, d.pr);
		} while (d.oh <= 0 || d.ow <= 0);
		d.oc = d.groups = (int)d.c;
		d.in_zp = r % 3 == 0 ? 255 : rnd_in(0, 255), d.out_zp = rnd_in(0, 255);
		d.out_min = r % 5 == 0 ? 80 : rnd_in(0, 50);
		d.out_max = r % 5 == 0 ? 80 : rnd_in(d.out_min, 255);
		int64_t total = d.n * d.oh * d.ow, xs = d.n * d.h * d.w * d.c, ys = total * d.c;
		uint8_t *x = xmalloc((size_t)xs), *ya = xmalloc((size_t)ys), *yb = xmalloc((size_t)ys);
		for (int64_t i = 0; i < xs; i++)
			x[i] = (uint8_t)rnd();
		int64_t a = rnd() % (uint64_t)(total + 1);
		REF->maxpool(&d, x, ya, 0, total);
		memset(yb, 0xA5, (size_t)ys);
		SET->maxpool(&d, x, yb, a, total);
		SET->maxpool(&d, x, yb, 0, a);
		bad_max += memcmp(ya, yb, (size_t)ys) != 0;
		int include_pad = r & 1;
		float m = r % 6 == 0 ? 1.0f : (float)rnd_in(10, 300) * 0.01f;
		REF->avgpool(&d, include_pad, m, x, ya, 0, total);
		memset(yb, 0xA5, (size_t)ys);
		SET->avgpool(&d, include_pad, m, x, yb, a, total);
		SET->avgpool(&d, include_pad, m, x, yb, 0, a);
		bad_avg += memcmp(ya, yb, (size_t)ys) != 0;
		free(x), free(ya), free(yb);
	}
	/* 2x2 windows whose rows lie inside the image (the AVX2 row path): the reference model's
	 * pools, and odd channel counts and widths, batch 3, split at a random pixel */
	static const int rows2x2[][4] = { /* c, h, w, stride */
		{ 32, 28, 28, 2 }, { 64, 14, 14, 2 }, { 38, 9, 15, 2 }, { 100, 5, 6, 1 }, { 33, 4, 9, 1 },
	};
	for (size_t i = 0; i < sizeof rows2x2 / sizeof rows2x2[0]; i++) {
		struct qx_q8_conv_desc d;
		memset(&d, 0, sizeof d);
		d.n = 3, d.c = d.oc = d.groups = rows2x2[i][0], d.h = rows2x2[i][1];
		d.w = rows2x2[i][2], d.kh = d.kw = 2, d.sh = d.sw = rows2x2[i][3], d.dh = d.dw = 1;
		d.oh = out_size(d.h, 2, d.sh, 1, 0, 0), d.ow = out_size(d.w, 2, d.sw, 1, 0, 0);
		d.out_min = rnd_in(0, 50), d.out_max = rnd_in(d.out_min, 255);
		int64_t total = d.n * d.oh * d.ow, xs = d.n * d.h * d.w * d.c, ys = total * d.c;
		uint8_t *x = xmalloc((size_t)xs), *ya = xmalloc((size_t)ys), *yb = xmalloc((size_t)ys);
		for (int64_t j = 0; j < xs; j++)
			x[j] = (uint8_t)rnd();
		int64_t a = rnd() % (uint64_t)(total + 1);
		REF->maxpool(&d, x, ya, 0, total);
		memset(yb, 0xA5, (size_t)ys);
		SET->maxpool(&d, x, yb, a, total);
		SET->maxpool(&d, x, yb, 0, a);
		bad_max += memcmp(ya, yb, (size_t)ys) != 0;
		free(x), free(ya), free(yb);
	}
	ok(bad_max == 0, "%s maxpool: %d shapes and %d 2x2 pools over whole rows equal scalar (%d "
	   "differ)", set_name, rounds, (int)(sizeof rows2x2 / sizeof rows2x2[0]), bad_max);
	ok(bad_avg == 0, "%s avgpool: %d shapes (global, padded, include_pad) equal scalar (%d differ)",
	   set_name, rounds, bad_avg);
}

/* ---- driver --------------------------------------------------------------------------------- */

static int table_complete(const struct qx_kernels_q8 *q)
{
	return q->conv_pack && q->conv && q->gemm_pack && q->gemm_f32out && q->pack_free &&
	       q->quantize && q->dequantize && q->requantize && q->add && q->mul && q->lookup && q->maxpool &&
	       q->avgpool;
}

int main(void)
{
	tap_plan(0);
	const struct qx_kernels *ref = qx_kernels_get(QX_KSET_SCALAR);
	if (!ok(ref && ref->q8 && table_complete(ref->q8), "the scalar set is registered and complete"))
		return tap_done();
	REF = ref->q8;
	int small = tap_sanitized();
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		if (s == QX_KSET_SCALAR)
			continue;
		const char *why = NULL;
		const struct qx_kernels *ks = qx_kernels_get((enum qx_kset)s);
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			tap_skip(CHECKS_PER_SET, "%s: %s", qx_kset_name((enum qx_kset)s),
			         why ? why : "unavailable");
			continue;
		}
		set_name = ks->name;
		SET = ks->q8;
		rng_state = 0x243f6a8885a308d3ull; /* every set sees the same cases */
		if (!ok(SET && table_complete(SET), "%s: the int8 table is complete", set_name)) {
			tap_skip(CHECKS_PER_SET - 1, "%s: incomplete table", set_name);
			continue;
		}
		test_conv_random(small ? 40 : 150);
		test_conv_model_layers();
		test_conv_edges();
		test_conv_first_layers();
		test_conv_u7(small ? 30 : 90);
		test_gemm(small ? 20 : 60);
		test_quantize_dequantize();
		test_requantize_add();
		test_pools(small ? 30 : 100);
	}
	return tap_done();
}
