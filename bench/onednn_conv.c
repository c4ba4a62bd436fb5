/* onednn_conv: times oneDNN's int8 convolution on the reference model's conv layers, the same
 * shapes, data types and method as q8_bench, so that tools/bench_summary.py can print
 * qx-bench / oneDNN per layer. A benchmark, not a test; built only where Debian's libdnnl-dev
 * is installed (bench/bench.mk checks for the header).
 *
 *   gcc -std=c11 -O2 -fopenmp bench/onednn_conv.c -ldnnl -o build/onednn_conv
 *   build/onednn_conv [seconds per measurement, default 0.2]
 *
 * What is timed: u8 NHWC source, s8 weights, s32 bias, per-output-channel fp32 scales, u8 NHWC
 * destination (saturation to 0..255 is the ReLU, as in q8_bench where out_min is 0), 3x3, pad 1,
 * stride 1, batch 1 and 64; weights in the layout oneDNN picks (reordered once, outside the
 * timing, as qx-bench packs once). Each shape is timed twice: with a source zero point of 3
 * (what q8_bench uses; the first layer of the real model has one) and of 0 (the ReLU-fed
 * layers of the real model), because oneDNN may take a slower path for a nonzero one.
 *
 * How: one thread (OpenMP limited to 1, so the primitive runs on the calling thread), thread CPU
 * time (CLOCK_THREAD_CPUTIME_ID), best of 5 rounds, as q8_bench does. Rows start with the layer
 * name so tools/bench_summary.py can read them; lines starting with '#' are comments. */
#if !defined(_GNU_SOURCE) && !defined(_POSIX_C_SOURCE)
#define _POSIX_C_SOURCE 200809L /* clock_gettime under -std=c11 */
#endif
#if __has_include(<oneapi/dnnl/dnnl.h>)
#include <oneapi/dnnl/dnnl.h>
#else
#include <dnnl.h> /* older layout: the same C API at the top level */
#endif
#include <omp.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

struct layer {
	int c, oc, hw;
};
static const struct layer layers[] = {
	{ 1, 32, 28 }, { 32, 32, 28 }, { 32, 64, 14 }, { 64, 64, 14 }, { 64, 128, 7 },
};

/* Everything one configured convolution owns. */
struct conv {
	dnnl_primitive_t prim;
	dnnl_memory_t src, wei, bias, dst, zp;
	char impl[128];
};

static void conv_free(struct conv *cv)
{
	if (cv->prim)
		dnnl_primitive_destroy(cv->prim);
	dnnl_memory_t *m[] = { &cv->src, &cv->wei, &cv->bias, &cv->dst, &cv->zp };
	for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
		if (*m[i])
			dnnl_memory_destroy(*m[i]);
}

#define CHECK(call, what)                                                                    \
	do {                                                                                 \
		dnnl_status_t st_ = (call);                                                  \
		if (st_ != dnnl_success) {                                                   \
			snprintf(why, why_size, "%s: oneDNN status %d", what, (int)st_);     \
			goto fail;                                                           \
		}                                                                            \
	} while (0)

static void *mem_data(dnnl_memory_t m)
{
	void *p = NULL;
	dnnl_memory_get_data_handle(m, &p);
	return p;
}

/* Builds the convolution for one layer, batch and source zero point; fills the same data as
 * q8_bench. Returns 0, or -1 with a reason in why. */
static int conv_init(struct conv *cv, dnnl_engine_t eng, dnnl_stream_t strm,
                     const struct layer *l, int batch, int src_zp, char *why, size_t why_size)
{
	memset(cv, 0, sizeof *cv);
	dnnl_primitive_attr_t attr = NULL;
	dnnl_primitive_desc_t pd = NULL, rpd = NULL;
	dnnl_primitive_t reorder = NULL;
	dnnl_memory_t wei_user = NULL;
	float *scales = NULL;
	int64_t k = 9 * (int64_t)l->c;

	dnnl_dims_t src_dims = { batch, l->c, l->hw, l->hw };
	dnnl_dims_t wei_dims = { l->oc, l->c, 3, 3 };
	dnnl_dims_t bias_dims = { l->oc };
	dnnl_dims_t dst_dims = { batch, l->oc, l->hw, l->hw };
	dnnl_dims_t strides = { 1, 1 }, pad = { 1, 1 };
	dnnl_memory_desc_t src_md, wei_any, wei_plain, bias_md, dst_md, zp_md;
	CHECK(dnnl_memory_desc_init_by_tag(&src_md, 4, src_dims, dnnl_u8, dnnl_nhwc), "src md");
	CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 4, wei_dims, dnnl_s8, dnnl_format_tag_any),
	      "weights md");
	CHECK(dnnl_memory_desc_init_by_tag(&wei_plain, 4, wei_dims, dnnl_s8, dnnl_oihw),
	      "user weights md");
	CHECK(dnnl_memory_desc_init_by_tag(&bias_md, 1, bias_dims, dnnl_s32, dnnl_x), "bias md");
	CHECK(dnnl_memory_desc_init_by_tag(&dst_md, 4, dst_dims, dnnl_u8, dnnl_nhwc), "dst md");

	dnnl_convolution_desc_t cd;
	CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
	                                         dnnl_convolution_direct, &src_md, &wei_any,
	                                         &bias_md, &dst_md, strides, pad, pad),
	      "convolution desc");
	CHECK(dnnl_primitive_attr_create(&attr), "attr");
	scales = malloc((size_t)l->oc * sizeof *scales);
	if (!scales) {
		snprintf(why, why_size, "out of memory");
		goto fail;
	}
	for (int o = 0; o < l->oc; o++)
		scales[o] = 1.0f / (float)(k * 64); /* q8_bench's multipliers */
	CHECK(dnnl_primitive_attr_set_output_scales(attr, l->oc, 1 << 1, scales), "output scales");
	if (src_zp) {
		const int32_t runtime = DNNL_RUNTIME_S32_VAL;
		CHECK(dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &runtime),
		      "source zero point");
	}
	CHECK(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL), "convolution primitive desc");
	const char *impl = NULL;
	if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) == dnnl_success && impl)
		snprintf(cv->impl, sizeof cv->impl, "%s", impl);

	const dnnl_memory_desc_t *wei_md = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
	CHECK(dnnl_memory_create(&cv->src, &src_md, eng, DNNL_MEMORY_ALLOCATE), "src memory");
	CHECK(dnnl_memory_create(&wei_user, &wei_plain, eng, DNNL_MEMORY_ALLOCATE), "weights memory");
	CHECK(dnnl_memory_create(&cv->wei, wei_md, eng, DNNL_MEMORY_ALLOCATE), "packed weights memory");
	CHECK(dnnl_memory_create(&cv->bias, &bias_md, eng, DNNL_MEMORY_ALLOCATE), "bias memory");
	CHECK(dnnl_memory_create(&cv->dst, &dst_md, eng, DNNL_MEMORY_ALLOCATE), "dst memory");

	/* q8_bench's data: realistic values, outputs in range */
	uint8_t *x = mem_data(cv->src);
	int64_t xs = (int64_t)batch * l->hw * l->hw * l->c;
	for (int64_t i = 0; i < xs; i++)
		x[i] = (uint8_t)(i * 7919 >> 3);
	int8_t *w = mem_data(wei_user);
	for (int64_t i = 0; i < l->oc * k; i++)
		w[i] = (int8_t)(i * 40503 >> 5);
	int32_t *b = mem_data(cv->bias);
	for (int o = 0; o < l->oc; o++)
		b[o] = o * 1009 - 20000;

	/* pack the weights once, outside the timing (the reorder adds any zero-point compensation
	 * the packed layout carries) */
	CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wei_plain, eng, wei_md, eng, NULL),
	      "weights reorder desc");
	CHECK(dnnl_primitive_create(&reorder, rpd), "weights reorder");
	dnnl_exec_arg_t rargs[] = { { DNNL_ARG_FROM, wei_user }, { DNNL_ARG_TO, cv->wei } };
	CHECK(dnnl_primitive_execute(reorder, strm, 2, rargs), "weights reorder run");
	CHECK(dnnl_stream_wait(strm), "stream wait");

	if (src_zp) {
		dnnl_dims_t one = { 1 };
		CHECK(dnnl_memory_desc_init_by_tag(&zp_md, 1, one, dnnl_s32, dnnl_x), "zero point md");
		CHECK(dnnl_memory_create(&cv->zp, &zp_md, eng, DNNL_MEMORY_ALLOCATE), "zero point memory");
		*(int32_t *)mem_data(cv->zp) = src_zp;
	}
	CHECK(dnnl_primitive_create(&cv->prim, pd), "convolution primitive");
	dnnl_primitive_destroy(reorder);
	dnnl_primitive_desc_destroy(rpd);
	dnnl_primitive_desc_destroy(pd);
	dnnl_primitive_attr_destroy(attr);
	dnnl_memory_destroy(wei_user);
	free(scales);
	return 0;
fail:
	if (reorder)
		dnnl_primitive_destroy(reorder);
	if (rpd)
		dnnl_primitive_desc_destroy(rpd);
	if (pd)
		dnnl_primitive_desc_destroy(pd);
	if (attr)
		dnnl_primitive_attr_destroy(attr);
	if (wei_user)
		dnnl_memory_destroy(wei_user);
	free(scales);
	conv_free(cv);
	memset(cv, 0, sizeof *cv);
	return -1;
}

static int conv_run(const struct conv *cv, dnnl_stream_t strm)
{
	dnnl_exec_arg_t args[] = {
		{ DNNL_ARG_SRC, cv->src }, { DNNL_ARG_WEIGHTS, cv->wei }, { DNNL_ARG_BIAS, cv->bias },
		{ DNNL_ARG_DST, cv->dst }, { DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC, cv->zp },
	};
	if (dnnl_primitive_execute(cv->prim, strm, cv->zp ? 5 : 4, args) != dnnl_success)
		return -1;
	return dnnl_stream_wait(strm) == dnnl_success ? 0 : -1;
}

/* Seconds per call: rounds of about budget / 5, the best of 5 (q8_bench's method). */
static double time_conv(const struct conv *cv, dnnl_stream_t strm, double budget)
{
	if (conv_run(cv, strm)) /* warm up */
		return -1;
	long reps = 1;
	for (;;) {
		double t0 = now();
		for (long i = 0; i < reps; i++)
			conv_run(cv, strm);
		if (now() - t0 >= budget / 20 || reps > (1L << 30))
			break;
		reps *= 2;
	}
	reps = reps * 4 < 2 ? 2 : reps * 4;
	double best = 1e30;
	for (int round = 0; round < 5; round++) {
		double t0 = now();
		for (long i = 0; i < reps; i++)
			conv_run(cv, strm);
		double t = (now() - t0) / (double)reps;
		if (t < best)
			best = t;
	}
	return best;
}

static const char *isa_name(dnnl_cpu_isa_t isa)
{
	switch (isa) {
	case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx";
	case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16";
	case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni";
	case dnnl_cpu_isa_avx512_core: return "avx512_core";
	case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni";
	case dnnl_cpu_isa_avx2: return "avx2";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	double budget = argc > 1 ? atof(argv[1]) : 0.2;
	if (!(budget > 0)) {
		fprintf(stderr, "usage: %s [seconds per measurement > 0]\n", argv[0]);
		return 2;
	}
	omp_set_num_threads(1);
	const dnnl_version_t *v = dnnl_version();
	dnnl_engine_t eng = NULL;
	dnnl_stream_t strm = NULL;
	if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success ||
	    dnnl_stream_create(&strm, eng, dnnl_stream_default_flags) != dnnl_success) {
		fprintf(stderr, "onednn_conv: cannot create a CPU engine and stream\n");
		return 1;
	}
	printf("# onednn_conv: oneDNN %d.%d.%d, max ISA %s, one thread, thread CPU time, best of 5\n",
	       v->major, v->minor, v->patch, isa_name(dnnl_get_effective_cpu_isa()));
	printf("%-22s %5s %6s %12s %9s  %s\n", "layer (3x3, pad 1)", "batch", "src_zp", "us/call",
	       "GMAC/s", "implementation");
	int failures = 0;
	for (size_t i = 0; i < sizeof layers / sizeof layers[0]; i++) {
		const struct layer *l = &layers[i];
		char name[32];
		snprintf(name, sizeof name, "%d->%d @%dx%d", l->c, l->oc, l->hw, l->hw);
		for (int bi = 0; bi < 2; bi++) {
			int batch = bi ? 64 : 1;
			static const int zps[] = { 3, 0 };
			for (int z = 0; z < 2; z++) {
				struct conv cv;
				char why[160] = "";
				if (conv_init(&cv, eng, strm, l, batch, zps[z], why, sizeof why)) {
					printf("# %s batch %d src_zp %d: not run (%s)\n", name, batch, zps[z],
					       why);
					failures++;
					continue;
				}
				double t = time_conv(&cv, strm, budget);
				double mac = (double)batch * l->hw * l->hw * l->oc * 9.0 * l->c;
				if (t > 0) {
					printf("%-22s %5d %6d %12.1f %9.2f  %s\n", name, batch, zps[z],
					       t * 1e6, mac / t * 1e-9, cv.impl);
				} else {
					printf("# %s batch %d src_zp %d: execution failed\n", name, batch,
					       zps[z]);
					failures++;
				}
				fflush(stdout);
				conv_free(&cv);
			}
		}
	}
	dnnl_stream_destroy(strm);
	dnnl_engine_destroy(eng);
	return failures ? 1 : 0;
}
