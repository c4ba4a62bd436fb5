/* f32_bench: times the fp32 convolution of every available kernel set (scalar, avx2, avx512)
 * on the reference model's conv layers (3x3, pad 1, stride 1: 1->32 @28x28, 32->32 @28x28,
 * 32->64 @14x14, 64->64 @14x14, 64->128 @7x7) at batch 1 and 64, and reports GFLOP/s and the
 * share of the machine's FMA peak; then the model's other fp32 ops (its two max pools and the
 * classifier Gemm) at batch 64 against scalar. A benchmark, not a test.
 *
 *   gcc -O2 -Iharness -Ikernels -Itests bench/f32_bench.c build/libqx.a \
 *       $(pkg-config --libs yaml-0.1 hwloc libprotobuf-c zlib jansson gsl benchmark) \
 *       -lstdc++ -lm -ldl -lpthread -o build/f32_bench
 *   build/f32_bench [seconds per measurement, default 0.15] [set name ...]
 *
 * One thread, whatever core the OS gives (pin with taskset for steadier numbers). Times are
 * the thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so time the OS gives a neighbour on the
 * shared cores is not counted, and each number is the best of 3 rounds, so a neighbour's burst
 * (caches, frequency) costs a round, not the row.
 *
 * The peak. Zen 5 issues two 512-bit FMAs per cycle: 32 fp32 multiply-adds (64 FLOP) per
 * cycle. The clock is not the TSC's nominal rate (boost, and in a VM the TSC is virtual), so
 * it is measured: a chain of dependent 64-bit adds runs one add per cycle on every x86 core of
 * the last decade, so adds per second = core cycles per second under load. % peak divides by
 * 32 MAC x that clock. A loop of independent FMAs (no loads) is timed too, as a check that the
 * core does reach 32 MAC/cycle on zmm (16 on ymm, the AVX2 set's ceiling), printed as GFLOP/s
 * and FLOP/cycle; "% loop" is a layer's GFLOP/s over the loop of its set's width (zmm for
 * avx512, ymm for avx2): the clock estimate cancels out of it. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#include "kernels_f32.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

extern const struct qx_kernels_f32 qx_f32_scalar;
#if defined(__x86_64__)
extern const struct qx_kernels_f32 qx_f32_avx2;
extern const struct qx_kernels_f32 qx_f32_avx512;
#endif

#define PEAK_MAC_PER_CYCLE 32.0 /* Zen 5: 2 x 512-bit FMA per cycle */

#include "bench_clock.h"

/* ---- the clock and the FMA peak ------------------------------------------------------------- */
#if defined(__x86_64__)
/* 16 dependent adds per iteration: 16 cycles, whatever the core's width. */
static double add_chain(long iters)
{
	uint64_t v = 0;
	__asm__ volatile(
		"1:\n\t"
		"add $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\t"
		"add $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\t"
		"add $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\t"
		"add $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\tadd $1, %1\n\t"
		"dec %0\n\tjnz 1b"
		: "+r"(iters), "+r"(v)
		:
		: "cc");
	return 16.0;
}

/* 12 independent zmm FMA chains (latency 4, 2 per cycle needs 8): 12 * 16 MAC per iteration. */
static double fma_zmm(long iters)
{
	__asm__ volatile(
		"vpxord %%zmm0, %%zmm0, %%zmm0\n\tvmovaps %%zmm0, %%zmm1\n\t"
		"vmovaps %%zmm0, %%zmm2\n\tvmovaps %%zmm0, %%zmm3\n\tvmovaps %%zmm0, %%zmm4\n\t"
		"vmovaps %%zmm0, %%zmm5\n\tvmovaps %%zmm0, %%zmm6\n\tvmovaps %%zmm0, %%zmm7\n\t"
		"vmovaps %%zmm0, %%zmm8\n\tvmovaps %%zmm0, %%zmm9\n\tvmovaps %%zmm0, %%zmm10\n\t"
		"vmovaps %%zmm0, %%zmm11\n\tvmovaps %%zmm0, %%zmm14\n\tvmovaps %%zmm0, %%zmm15\n\t"
		"1:\n\t"
		"vfmadd231ps %%zmm14, %%zmm15, %%zmm0\n\tvfmadd231ps %%zmm14, %%zmm15, %%zmm1\n\t"
		"vfmadd231ps %%zmm14, %%zmm15, %%zmm2\n\tvfmadd231ps %%zmm14, %%zmm15, %%zmm3\n\t"
		"vfmadd231ps %%zmm14, %%zmm15, %%zmm4\n\tvfmadd231ps %%zmm14, %%zmm15, %%zmm5\n\t"
		"vfmadd231ps %%zmm14, %%zmm15, %%zmm6\n\tvfmadd231ps %%zmm14, %%zmm15, %%zmm7\n\t"
		"vfmadd231ps %%zmm14, %%zmm15, %%zmm8\n\tvfmadd231ps %%zmm14, %%zmm15, %%zmm9\n\t"
		"vfmadd231ps %%zmm14, %%zmm15, %%zmm10\n\tvfmadd231ps %%zmm14, %%zmm15, %%zmm11\n\t"
		"dec %0\n\tjnz 1b\n\t"
		"vzeroupper"
		: "+r"(iters)
		:
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm14", "xmm15", "cc");
	return 12.0 * 16.0;
}

/* The same on ymm: 12 * 8 MAC per iteration. */
static double fma_ymm(long iters)
{
	__asm__ volatile(
		"vxorps %%ymm0, %%ymm0, %%ymm0\n\tvmovaps %%ymm0, %%ymm1\n\t"
		"vmovaps %%ymm0, %%ymm2\n\tvmovaps %%ymm0, %%ymm3\n\tvmovaps %%ymm0, %%ymm4\n\t"
		"vmovaps %%ymm0, %%ymm5\n\tvmovaps %%ymm0, %%ymm6\n\tvmovaps %%ymm0, %%ymm7\n\t"
		"vmovaps %%ymm0, %%ymm8\n\tvmovaps %%ymm0, %%ymm9\n\tvmovaps %%ymm0, %%ymm10\n\t"
		"vmovaps %%ymm0, %%ymm11\n\tvmovaps %%ymm0, %%ymm14\n\tvmovaps %%ymm0, %%ymm15\n\t"
		"1:\n\t"
		"vfmadd231ps %%ymm14, %%ymm15, %%ymm0\n\tvfmadd231ps %%ymm14, %%ymm15, %%ymm1\n\t"
		"vfmadd231ps %%ymm14, %%ymm15, %%ymm2\n\tvfmadd231ps %%ymm14, %%ymm15, %%ymm3\n\t"
		"vfmadd231ps %%ymm14, %%ymm15, %%ymm4\n\tvfmadd231ps %%ymm14, %%ymm15, %%ymm5\n\t"
		"vfmadd231ps %%ymm14, %%ymm15, %%ymm6\n\tvfmadd231ps %%ymm14, %%ymm15, %%ymm7\n\t"
		"vfmadd231ps %%ymm14, %%ymm15, %%ymm8\n\tvfmadd231ps %%ymm14, %%ymm15, %%ymm9\n\t"
		"vfmadd231ps %%ymm14, %%ymm15, %%ymm10\n\tvfmadd231ps %%ymm14, %%ymm15, %%ymm11\n\t"
		"dec %0\n\tjnz 1b\n\t"
		"vzeroupper"
		: "+r"(iters)
		:
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm14", "xmm15", "cc");
	return 12.0 * 8.0;
}

/* Units (cycles or MAC) per second of a loop: rounds of about 20 ms, the best of 5. */
static double loop_rate(double (*loop)(long))
{
	long iters = 1000;
	loop(iters); /* warm up: wake the vector units, let the clock settle */
	for (;;) {
		double t0 = now();
		loop(iters);
		if (now() - t0 > 0.02)
			break;
		iters *= 2;
	}
	double best = 0;
	for (int round = 0; round < 5; round++) {
		double t0 = now();
		double units = loop(iters) * (double)iters;
		double rate = units / (now() - t0);
		if (rate > best)
			best = rate;
	}
	return best;
}
#endif

/* ---- the layers ----------------------------------------------------------------------------- */

struct layer {
	int64_t c, oc, hw;
};

static const struct layer layers[] = {
	{ 1, 32, 28 }, { 32, 32, 28 }, { 32, 64, 14 }, { 64, 64, 14 }, { 64, 128, 7 },
};

struct set {
	const char *name;
	const struct qx_kernels_f32 *k;
	int runs;
};

/* Seconds per call of set on the layer at batch n: the best of 3 rounds of about secs / 3. */
static double time_conv(const struct qx_kernels_f32 *k, const struct qx_f32_conv_desc *d,
                        const float *x, const float *w, const float *b, float *y, double secs)
{
	void *packed = NULL;
	if (k->conv_pack(d, w, b, &packed)) {
		fprintf(stderr, "f32_bench: conv_pack: out of memory\n");
		exit(1);
	}
	int64_t rows = d->n * d->oc * d->oh;
	k->conv(packed, x, y, 0, rows); /* warm up caches and pages */
	double t0 = now();
	long calls = 1;
	k->conv(packed, x, y, 0, rows);
	double one = now() - t0;
	calls = one > 0 ? (long)(secs / 3 / one) : 1000;
	if (calls < 1)
		calls = 1;
	double best = INFINITY;
	for (int round = 0; round < 3; round++) {
		t0 = now();
		for (long i = 0; i < calls; i++)
			k->conv(packed, x, y, 0, rows);
		double t = (now() - t0) / (double)calls;
		if (t < best)
			best = t;
	}
	k->pack_free(packed);
	return best;
}

/* The model's other fp32 ops at batch 64: the two max pools and the classifier Gemm. */
enum other_op { OP_POOL1, OP_POOL2, OP_FC, OP_COUNT };

static void run_other(const struct qx_kernels_f32 *k, enum other_op op, const float *x,
                      const float *w, const float *b, float *y)
{
	if (op == OP_FC) {
		k->matmul(64, 10, 128, x, 128, 1, w, 1, 128, b, -INFINITY, INFINITY, y, 0, 64);
		return;
	}
	int64_t c = op == OP_POOL1 ? 32 : 64, hw = op == OP_POOL1 ? 28 : 14;
	struct qx_f32_conv_desc d = {
		.n = 64, .c = c, .h = hw, .w = hw, .oc = c, .oh = hw / 2, .ow = hw / 2, .kh = 2,
		.kw = 2, .sh = 2, .sw = 2, .dh = 1, .dw = 1, .groups = (int)c,
		.act_min = -INFINITY, .act_max = INFINITY,
	};
	k->maxpool(&d, x, y, 0, d.n * d.c * d.oh);
}

/* Seconds per call of an other op: the best of 3 rounds of about secs / 3. */
static double time_other(const struct qx_kernels_f32 *k, enum other_op op, const float *x,
                         const float *w, const float *b, float *y, double secs)
{
	run_other(k, op, x, w, b, y);
	double t0 = now();
	run_other(k, op, x, w, b, y);
	double one = now() - t0;
	long calls = one > 0 ? (long)(secs / 3 / one) : 1000;
	if (calls < 1)
		calls = 1;
	double best = INFINITY;
	for (int round = 0; round < 3; round++) {
		t0 = now();
		for (long i = 0; i < calls; i++)
			run_other(k, op, x, w, b, y);
		double t = (now() - t0) / (double)calls;
		if (t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 0.15;
	if (!(secs > 0)) {
		fprintf(stderr, "usage: %s [seconds per measurement > 0] [set ...]\n", argv[0]);
		return 2;
	}
	struct set sets[3];
	int nsets = 0;
	sets[nsets++] = (struct set){ "scalar", &qx_f32_scalar, 1 };
	double ghz = 0;
	double loop_mac_s[3] = { 0, 0, 0 }; /* per set: its FMA peak loop, MAC/s (0: none) */
#if defined(__x86_64__)
	__builtin_cpu_init();
	sets[nsets++] = (struct set){ "avx2", &qx_f32_avx2,
	                              __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") };
	int has512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
	             __builtin_cpu_supports("avx512vnni");
	sets[nsets++] = (struct set){ "avx512", &qx_f32_avx512, has512 };
	ghz = loop_rate(add_chain) / 1e9;
	printf("clock: %.2f GHz (dependent add chain, one add per cycle)\n", ghz);
	/* The FMA peak loops: what the core reaches with FMAs alone, no loads (the "% loop"
	 * column divides by the loop of the set's width; make bench's fp32 peak target). */
	if (sets[1].runs) {
		loop_mac_s[1] = loop_rate(fma_ymm);
		printf("FMA peak loop, ymm: %.1f GFLOP/s, %.1f FLOP/cycle (%.1f MAC/cycle; AVX2 "
		       "ceiling 16)\n", 2 * loop_mac_s[1] / 1e9, 2 * loop_mac_s[1] / (ghz * 1e9),
		       loop_mac_s[1] / (ghz * 1e9));
	}
	if (has512) {
		loop_mac_s[2] = loop_rate(fma_zmm);
		printf("FMA peak loop, zmm: %.1f GFLOP/s, %.1f FLOP/cycle (%.1f MAC/cycle; peak used "
		       "for %% peak: %.0f)\n", 2 * loop_mac_s[2] / 1e9, 2 * loop_mac_s[2] / (ghz * 1e9),
		       loop_mac_s[2] / (ghz * 1e9), PEAK_MAC_PER_CYCLE);
	}
#endif
	if (argc > 2)
		for (int s = 0; s < nsets; s++) {
			int named = 0;
			for (int a = 2; a < argc; a++)
				named |= strcmp(argv[a], sets[s].name) == 0;
			sets[s].runs &= named;
		}
	printf("\n%-18s %5s %-7s %10s %9s %9s %8s %8s\n", "layer", "batch", "set", "ms/call",
	       "GFLOP/s", "MAC/cyc", "% peak", "% loop");
	for (size_t l = 0; l < sizeof layers / sizeof layers[0]; l++)
		for (int bi = 0; bi < 2; bi++) {
			const struct layer *L = &layers[l];
			int64_t n = bi ? 64 : 1;
			struct qx_f32_conv_desc d = {
				.n = n, .c = L->c, .h = L->hw, .w = L->hw, .oc = L->oc, .oh = L->hw,
				.ow = L->hw, .kh = 3, .kw = 3, .sh = 1, .sw = 1, .dh = 1, .dw = 1,
				.pt = 1, .pl = 1, .pb = 1, .pr = 1, .groups = 1,
				.act_min = 0.0f, .act_max = INFINITY,
			};
			size_t xn = (size_t)(n * L->c * L->hw * L->hw);
			size_t yn = (size_t)(n * L->oc * L->hw * L->hw);
			size_t wn = (size_t)(L->oc * L->c * 9);
			float *x = malloc(xn * sizeof *x), *y = malloc(yn * sizeof *y);
			float *w = malloc(wn * sizeof *w), *b = malloc((size_t)L->oc * sizeof *b);
			if (!x || !y || !w || !b) {
				fprintf(stderr, "f32_bench: out of memory\n");
				return 1;
			}
			for (size_t i = 0; i < xn; i++)
				x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
			for (size_t i = 0; i < wn; i++)
				w[i] = (float)((i * 104729) % 1000) / 5000.0f - 0.1f;
			for (int64_t i = 0; i < L->oc; i++)
				b[i] = 0.01f * (float)i;
			double mac = (double)n * (double)(L->oc * L->c * 9 * L->hw * L->hw);
			char name[32];
			snprintf(name, sizeof name, "%lld->%lld @%lldx%lld", (long long)L->c,
			         (long long)L->oc, (long long)L->hw, (long long)L->hw);
			for (int s = 0; s < nsets; s++) {
				if (!sets[s].runs)
					continue;
				double t = time_conv(sets[s].k, &d, x, w, b, y, secs);
				double per_cycle = ghz > 0 ? mac / t / (ghz * 1e9) : 0;
				char of_loop[16] = "-";
				if (loop_mac_s[s] > 0)
					snprintf(of_loop, sizeof of_loop, "%.1f%%",
					         100 * mac / t / loop_mac_s[s]);
				printf("%-18s %5lld %-7s %10.4f %9.1f %9.2f %7.1f%% %8s\n", name,
				       (long long)n, sets[s].name, t * 1e3, 2 * mac / t / 1e9, per_cycle,
				       100 * per_cycle / PEAK_MAC_PER_CYCLE, of_loop);
				fflush(stdout);
			}
			free(x), free(y), free(w), free(b);
		}

	static const char *const other_names[OP_COUNT] = { "maxpool 2x2/2 32@28", "maxpool 2x2/2 64@14",
	                                                   "gemm 64x128 . 128x10" };
	size_t big = (size_t)64 * 32 * 28 * 28;
	float *x = malloc(big * sizeof *x), *y = malloc(big * sizeof *y), *w = malloc(1280 * sizeof *w);
	float *b = malloc(10 * sizeof *b);
	if (!x || !y || !w || !b) {
		fprintf(stderr, "f32_bench: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < big; i++)
		x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
	for (size_t i = 0; i < 1280; i++)
		w[i] = (float)((i * 104729) % 1000) / 5000.0f - 0.1f;
	for (int i = 0; i < 10; i++)
		b[i] = 0.01f * (float)i;
	printf("\n%-24s %5s %-7s %10s %9s\n", "other op", "batch", "set", "ms/call", "x scalar");
	for (int op = 0; op < OP_COUNT; op++) {
		double t_scalar = 0;
		for (int s = 0; s < nsets; s++) {
			if (!sets[s].runs && s != 0)
				continue;
			double t = time_other(sets[s].k, (enum other_op)op, x, w, b, y, secs / 2);
			if (s == 0)
				t_scalar = t;
			if (!sets[s].runs)
				continue;
			printf("%-24s %5d %-7s %10.4f %9.1f\n", other_names[op], 64, sets[s].name, t * 1e3,
			       t_scalar / t);
		}
	}
	free(x), free(y), free(w), free(b);
	return 0;
}
