/* q8_bench: times every available int8 kernel set on the reference model's conv layers and
 * compares each with a peak loop of that set's multiply instruction. A benchmark, not a test.
 *
 *   gcc -O2 -Iharness -Ikernels -Itests bench/q8_bench.c build/libqx.a -lm -o build/q8_bench
 *   build/q8_bench [seconds per measurement, default 0.2] [set name ...]
 *
 * One thread, whatever core the OS gives (pin with taskset for stable numbers). Times are the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID: time the hypervisor or other processes take is
 * not counted), best of 5 rounds. Cycles: the core clock is estimated by timing a chain of
 * dependent 3-cycle integer multiplies (x86), which follows boost; bench_clock.h is the only
 * clock (no TSC). "% peak" divides by the set's peak loop measured the same way, so
 * it does not depend on the clock estimate. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#include "kernels.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

/* Core cycles per second: a chain of 1000 dependent imul takes 3000 cycles on every x86 core
 * of the last 15 years, Intel and AMD (a chain of add-immediate would not do: recent Intel cores
 * fold those at rename); best of 5 rounds of about 20 ms. */
static double core_clock(void)
{
#if defined(__x86_64__)
	double best = 0;
	for (int round = 0; round < 5; round++) {
		long iters = 8000, v = 1, one = 1;
		double t0 = now();
		for (long i = 0; i < iters; i++)
			__asm__ volatile(".rept 1000\n\timul %1, %0\n\t.endr" : "+r"(v) : "r"(one));
		double rate = 3000.0 * (double)iters / (now() - t0);
		best = rate > best ? rate : best;
	}
	return best;
#else
	return 0;
#endif
}

/* ---- peak loops: independent multiply-accumulates, no loads --------------------------------- */
#if defined(__x86_64__)
/* 14 zmm accumulators x vpdpbusd: 14 * 64 MAC per iteration (zmm0-15 only: the clobber list
 * of a baseline build cannot name zmm16-31). */
static double peak_avx512vnni(long iters)
{
	__asm__ volatile(
		"vpternlogd $0xff, %%zmm14, %%zmm14, %%zmm14\n\t"
		"vpternlogd $0xff, %%zmm15, %%zmm15, %%zmm15\n\t"
		"1:\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm0\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm1\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm2\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm3\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm4\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm5\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm6\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm7\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm8\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm9\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm10\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm11\n\t"
		"vpdpbusd %%zmm14, %%zmm15, %%zmm12\n\tvpdpbusd %%zmm14, %%zmm15, %%zmm13\n\t"
		"dec %0\n\tjnz 1b\n\t"
		"vzeroupper"
		: "+r"(iters)
		:
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
	return 14.0 * 64.0;
}

/* 12 ymm accumulators x {vex} vpdpbusd: 12 * 32 MAC per iteration. */
static double peak_avxvnni(long iters)
{
	__asm__ volatile(
		"vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n\t"
		"vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
		"1:\n\t"
		"%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm0\n\t%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm1\n\t"
		"%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm2\n\t%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm3\n\t"
		"%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm4\n\t%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm5\n\t"
		"%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm6\n\t%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm7\n\t"
		"%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm8\n\t%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm9\n\t"
		"%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm10\n\t%{vex%} vpdpbusd %%ymm14, %%ymm15, %%ymm11\n\t"
		"dec %0\n\tjnz 1b\n\t"
		"vzeroupper"
		: "+r"(iters)
		:
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm14", "xmm15", "cc");
	return 12.0 * 32.0;
}

/* The classic AVX2 int8 step, 32 MAC each: vpmaddubsw, vpmaddwd(ones), vpaddd; 6 chains. */
static double peak_avx2_maddubsw(long iters)
{
	__asm__ volatile(
		"vpcmpeqd %%ymm13, %%ymm13, %%ymm13\n\t"
		"vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n\t"
		"vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
		"1:\n\t"
		"vpmaddubsw %%ymm13, %%ymm14, %%ymm6\n\tvpmaddubsw %%ymm13, %%ymm14, %%ymm7\n\t"
		"vpmaddubsw %%ymm13, %%ymm14, %%ymm8\n\tvpmaddubsw %%ymm13, %%ymm14, %%ymm9\n\t"
		"vpmaddubsw %%ymm13, %%ymm14, %%ymm10\n\tvpmaddubsw %%ymm13, %%ymm14, %%ymm11\n\t"
		"vpmaddwd %%ymm15, %%ymm6, %%ymm6\n\tvpmaddwd %%ymm15, %%ymm7, %%ymm7\n\t"
		"vpmaddwd %%ymm15, %%ymm8, %%ymm8\n\tvpmaddwd %%ymm15, %%ymm9, %%ymm9\n\t"
		"vpmaddwd %%ymm15, %%ymm10, %%ymm10\n\tvpmaddwd %%ymm15, %%ymm11, %%ymm11\n\t"
		"vpaddd %%ymm6, %%ymm0, %%ymm0\n\tvpaddd %%ymm7, %%ymm1, %%ymm1\n\t"
		"vpaddd %%ymm8, %%ymm2, %%ymm2\n\tvpaddd %%ymm9, %%ymm3, %%ymm3\n\t"
		"vpaddd %%ymm10, %%ymm4, %%ymm4\n\tvpaddd %%ymm11, %%ymm5, %%ymm5\n\t"
		"dec %0\n\tjnz 1b\n\t"
		"vzeroupper"
		: "+r"(iters)
		:
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm13", "xmm14", "xmm15", "cc");
	return 6.0 * 32.0;
}

/* What the AVX2 set runs, 16 MAC each: vpmaddwd on 16-bit operands, vpaddd; 12 chains. */
static double peak_avx2_maddwd(long iters)
{
	__asm__ volatile(
		"vpcmpeqd %%ymm14, %%ymm14, %%ymm14\n\t"
		"vpcmpeqd %%ymm15, %%ymm15, %%ymm15\n\t"
		"1:\n\t"
		"vpmaddwd %%ymm14, %%ymm15, %%ymm12\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm13\n\t"
		"vpaddd %%ymm12, %%ymm0, %%ymm0\n\tvpaddd %%ymm13, %%ymm1, %%ymm1\n\t"
		"vpmaddwd %%ymm14, %%ymm15, %%ymm12\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm13\n\t"
		"vpaddd %%ymm12, %%ymm2, %%ymm2\n\tvpaddd %%ymm13, %%ymm3, %%ymm3\n\t"
		"vpmaddwd %%ymm14, %%ymm15, %%ymm12\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm13\n\t"
		"vpaddd %%ymm12, %%ymm4, %%ymm4\n\tvpaddd %%ymm13, %%ymm5, %%ymm5\n\t"
		"vpmaddwd %%ymm14, %%ymm15, %%ymm12\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm13\n\t"
		"vpaddd %%ymm12, %%ymm6, %%ymm6\n\tvpaddd %%ymm13, %%ymm7, %%ymm7\n\t"
		"vpmaddwd %%ymm14, %%ymm15, %%ymm12\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm13\n\t"
		"vpaddd %%ymm12, %%ymm8, %%ymm8\n\tvpaddd %%ymm13, %%ymm9, %%ymm9\n\t"
		"vpmaddwd %%ymm14, %%ymm15, %%ymm12\n\tvpmaddwd %%ymm14, %%ymm15, %%ymm13\n\t"
		"vpaddd %%ymm12, %%ymm10, %%ymm10\n\tvpaddd %%ymm13, %%ymm11, %%ymm11\n\t"
		"dec %0\n\tjnz 1b\n\t"
		"vzeroupper"
		: "+r"(iters)
		:
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "cc");
	return 12.0 * 16.0;
}
#endif

/* MAC per second of a peak loop (*rate_out). */
static void measure_peak(double (*loop)(long), double *rate_out)
{
	long iters = 1000;
	loop(iters); /* warm up: wake the vector units */
	for (;;) { /* size one round to about 20 ms */
		double t0 = now();
		loop(iters);
		if (now() - t0 > 0.02)
			break;
		iters *= 2;
	}
	double best_rate = 0;
	for (int round = 0; round < 5; round++) { /* the best of 5 rounds, as for the layers */
		double t0 = now();
		double mac = loop(iters) * (double)iters;
		double t = now() - t0;
		if (mac / t > best_rate)
			best_rate = mac / t;
	}
	*rate_out = best_rate;
}

/* ---- the reference model's layers ----------------------------------------------------------- */

struct layer {
	int c, oc, hw;
};
static const struct layer layers[] = {
	{ 1, 32, 28 }, { 32, 32, 28 }, { 32, 64, 14 }, { 64, 64, 14 }, { 64, 128, 7 },
};

struct result {
	double seconds; /* per call */
	double mac;     /* per call */
	int maddubs;    /* AVX2 packed its vpmaddubsw form (x86) */
};

/* MobileNetV2 / ResNeXt shapes: depthwise 3x3 (stride 1 and 2), 1x1 expand and project,
 * grouped 3x3 with 4 channels per group, depthwise with channel multiplier 2. */
struct mobile_layer {
	const char *name;
	int c, oc, hw, k, stride, groups;
};
static const struct mobile_layer mobile_layers[] = {
	{ "dw3x3/1 c144 @28", 144, 144, 28, 3, 1, 144 },
	{ "dw3x3/2 c144 @56", 144, 144, 56, 3, 2, 144 },
	{ "dw3x3/1 c576 @14", 576, 576, 14, 3, 1, 576 },
	{ "dw3x3/1 c40x2 @28", 40, 80, 28, 3, 1, 40 },
	{ "g32 3x3/1 c128 @28", 128, 128, 28, 3, 1, 32 },
	{ "1x1 24->144 @56", 24, 144, 56, 1, 1, 1 },
	{ "1x1 144->24 @56", 144, 24, 56, 1, 1, 1 },
	{ "1x1 96->576 @14", 96, 576, 14, 1, 1, 1 },
	{ "1x1 320->1280 @7", 320, 1280, 7, 1, 1, 1 },
};

static struct result time_desc(const struct qx_kernels_q8 *q, struct qx_q8_conv_desc d,
                               double budget);

/* in_u7: activations 0..127, as a reduce_range plan gives (desc.in_u7; inputs masked to 7 bits) */
static struct result time_layer(const struct qx_kernels_q8 *q, const struct layer *l, int batch,
                                double budget, int in_u7)
{
	struct qx_q8_conv_desc d = {
		.n = batch, .h = l->hw, .w = l->hw, .c = l->c, .oc = l->oc, .oh = l->hw, .ow = l->hw,
		.kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .pt = 1, .pl = 1, .pb = 1,
		.pr = 1, .groups = 1, .in_zp = 3, .out_zp = 0, .out_min = 0, .out_max = 255,
		.in_u7 = in_u7,
	};
	return time_desc(q, d, budget);
}

static struct result time_mobile(const struct qx_kernels_q8 *q, const struct mobile_layer *l,
                                 int batch, double budget)
{
	int pad = l->k / 2, ohw = (l->hw + 2 * pad - l->k) / l->stride + 1;
	struct qx_q8_conv_desc d = {
		.n = batch, .h = l->hw, .w = l->hw, .c = l->c, .oc = l->oc, .oh = ohw, .ow = ohw,
		.kh = l->k, .kw = l->k, .sh = l->stride, .sw = l->stride, .dh = 1, .dw = 1,
		.pt = pad, .pl = pad, .pb = pad, .pr = pad, .groups = l->groups, .in_zp = 3,
		.out_zp = 0, .out_min = 0, .out_max = 255,
	};
	return time_desc(q, d, budget);
}

static struct result time_desc(const struct qx_kernels_q8 *q, struct qx_q8_conv_desc d,
                               double budget)
{
	int64_t k = (int64_t)d.kh * d.kw * (d.c / d.groups), xs = d.n * d.h * d.w * d.c;
	int64_t pix = d.n * d.oh * d.ow;
	uint8_t *x = malloc((size_t)xs), *y = malloc((size_t)(pix * d.oc));
	int8_t *w = malloc((size_t)(d.oc * k));
	int32_t *bias = malloc((size_t)d.oc * sizeof *bias);
	float *mult = malloc((size_t)d.oc * sizeof *mult);
	struct result r = { 0, (double)pix * (double)d.oc * (double)k, 0 };
	void *packed = NULL;
	if (!x || !y || !w || !bias || !mult)
		goto out;
	/* realistic data: the multipliers put the outputs in range (no denormals, no NaN) */
	for (int64_t i = 0; i < xs; i++)
		x[i] = (uint8_t)(i * 7919 >> 3) & (d.in_u7 ? 127 : 255);
	for (int64_t i = 0; i < d.oc * k; i++)
		w[i] = (int8_t)(i * 40503 >> 5);
	for (int64_t o = 0; o < d.oc; o++) {
		bias[o] = (int32_t)(o * 1009) - 20000;
		mult[o] = 1.0f / (float)(k * 64);
	}
	if (q->conv_pack(&d, w, bias, mult, &packed) != 0)
		goto out;
#if defined(__x86_64__)
	r.maddubs = q == qx_kernels_get(QX_KSET_AVX2)->q8 && qx_q8_avx2_conv_uses_maddubs(packed);
#endif
	q->conv(packed, x, y, 0, pix); /* warm up */
	/* reps per round: about budget / 5 of time, so that reading the clock (a system call for
	 * the thread CPU clock) stays out of the measurement */
	long reps = 1;
	for (;;) {
		double t0 = now();
		for (long i = 0; i < reps; i++)
			q->conv(packed, x, y, 0, pix);
		double t = now() - t0;
		if (t >= budget / 20 || reps > (1L << 30))
			break;
		reps *= 2;
	}
	reps = reps * 4 < 2 ? 2 : reps * 4;
	/* the best of 5 rounds: the machine may be shared, and interference only adds time */
	r.seconds = 1e30;
	for (int round = 0; round < 5; round++) {
		double t0 = now();
		for (long i = 0; i < reps; i++)
			q->conv(packed, x, y, 0, pix);
		double t = (now() - t0) / (double)reps;
		if (t < r.seconds)
			r.seconds = t;
	}
out:
	q->pack_free(packed);
	free(x), free(y), free(w), free(bias), free(mult);
	return r;
}

/* One row per reference layer and batch 1, 64: time, GMAC/s, MAC/cycle, % of the peak loop.
 * in_u7: activations 0..127 (the rows say "0..127" and which form the AVX2 set packed). */
static void layer_table(const struct qx_kernels_q8 *q, double budget, double rate,
                        double peak_rate, int in_u7)
{
	printf("%-22s %5s %12s %9s %10s %7s\n", "layer (3x3, pad 1)", "batch", "us/call",
	       "GMAC/s", "MAC/cycle", "% peak");
	for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
		for (int b = 0; b < 2; b++) {
			int batch = b ? 64 : 1;
			struct result r = time_layer(q, &layers[i], batch, budget, in_u7);
			if (r.seconds <= 0) {
				printf("%d->%d @%dx%d: pack failed\n", layers[i].c, layers[i].oc,
				       layers[i].hw, layers[i].hw);
				continue;
			}
			double mac_s = r.mac / r.seconds, mac_cycle = mac_s / rate;
			char name[40];
			snprintf(name, sizeof name, "%d->%d @%dx%d%s", layers[i].c, layers[i].oc,
			         layers[i].hw, layers[i].hw, in_u7 ? " 0..127" : "");
			printf("%-22s %5d %12.1f %9.2f %10.2f", name, batch, r.seconds * 1e6,
			       mac_s * 1e-9, mac_cycle);
			if (peak_rate > 0)
				printf(" %6.1f%%", 100.0 * mac_s / peak_rate);
			if (in_u7)
				printf("  %s", r.maddubs ? "vpmaddubsw" : "16-bit form (in_u7 ignored)");
			printf("\n");
		}
	}
}

static int wanted(int argc, char **argv, const char *name)
{
	if (argc <= 2)
		return 1;
	for (int i = 2; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	double budget = argc > 1 ? atof(argv[1]) : 0.2;
	if (budget <= 0)
		budget = 0.2;
	double rate = core_clock();
	if (rate > 0)
		printf("# q8_bench: one thread, thread CPU time, best of 5; core clock %.2f GHz "
		       "(dependent imul)\n", rate * 1e-9);
	else /* MAC/cycle columns print nan rather than a number from a guessed clock */
		printf("# q8_bench: one thread, thread CPU time, best of 5; no core clock estimate "
		       "on this CPU (MAC/cycle: nan)\n");
	if (!(rate > 0))
		rate = NAN;
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why = NULL;
		const struct qx_kernels *ks = qx_kernels_get((enum qx_kset)s);
		if (!wanted(argc, argv, qx_kset_name((enum qx_kset)s)))
			continue;
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			printf("\n## %s: skipped (%s)\n", qx_kset_name((enum qx_kset)s), why);
			continue;
		}
		double peak_rate = 0;
		const char *peak_what = "none";
#if defined(__x86_64__)
		if (s == QX_KSET_AVX512VNNI) {
			measure_peak(peak_avx512vnni, &peak_rate);
			peak_what = "zmm vpdpbusd";
		} else if (s == QX_KSET_AVXVNNI) {
			measure_peak(peak_avxvnni, &peak_rate);
			peak_what = "ymm {vex} vpdpbusd";
		} else if (s == QX_KSET_AVX2) {
			double r2 = 0;
			measure_peak(peak_avx2_maddwd, &r2);
			measure_peak(peak_avx2_maddubsw, &peak_rate);
			peak_what = "ymm vpmaddubsw + vpmaddwd(ones) + vpaddd";
			printf("\n# avx2: vpmaddwd + vpaddd (16-bit, what the set runs on 0..255 "
			       "activations) peaks at %.1f MAC/cycle, %.1f GMAC/s\n", r2 / rate,
			       r2 * 1e-9);
		}
#endif
		printf("\n## %s (%s)\n", ks->name, ks->isa);
		if (peak_rate > 0)
			printf("# peak loop (%s): %.1f MAC/cycle, %.1f GMAC/s\n", peak_what,
			       peak_rate / rate, peak_rate * 1e-9);
		layer_table(ks->q8, budget, rate, peak_rate, 0);
		if (s == QX_KSET_AVX2) {
			/* reduce_range plans: the same layers in the vpmaddubsw form, beside the
			 * general one (row names end in 0..127, which tools/bench_summary.py's
			 * layer rows do not match) */
			printf("# activations 0..127 (reduce_range plans, desc.in_u7): vpmaddubsw\n");
			layer_table(ks->q8, budget, rate, peak_rate, 1);
		}
		printf("%-22s %5s %12s %9s\n", "mobile layer", "batch", "us/call", "GMAC/s");
		for (size_t i = 0; i < sizeof mobile_layers / sizeof mobile_layers[0]; i++) {
			for (int b = 0; b < 2; b++) {
				int batch = b ? 64 : 1;
				struct result r = time_mobile(ks->q8, &mobile_layers[i], batch, budget);
				if (r.seconds <= 0) {
					printf("%s: pack failed\n", mobile_layers[i].name);
					continue;
				}
				printf("%-22s %5d %12.1f %9.2f\n", mobile_layers[i].name, batch,
				       r.seconds * 1e6, r.mac / r.seconds * 1e-9);
			}
		}
	}
	return 0;
}
