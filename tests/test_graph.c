/* ONNX import, shape inference, BatchNormalization folding, activation fusion and the fp32
 * executor, on small models this test builds with the generated protobuf-c API and writes to
 * a mkdtemp() folder. References are computed here with naive loops. */
#include "exec/exec_f32.h"
#include "kernels.h"
#include "model/graph.h"
#include "onnx/onnx.pb-c.h"
#include "support/onnx_builder.h"
#include "support/tap.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/qx-test-graph-XXXXXX";

/* Naive direct convolution, the reference for the kernel. */
static void conv_ref(const float *x, const float *w, const float *bias, float *y, int64_t n,
                     int64_t c, int64_t h, int64_t wd, int64_t oc, int kh, int kw, int sh, int sw,
                     int dh, int dw, int pt, int pl, int64_t oh, int64_t ow, int groups)
{
	int64_t cg = c / groups, ocg = oc / groups;
	for (int64_t b = 0; b < n; b++)
		for (int64_t o = 0; o < oc; o++)
			for (int64_t oy = 0; oy < oh; oy++)
				for (int64_t ox = 0; ox < ow; ox++) {
					double s = bias ? bias[o] : 0;
					int64_t g = o / ocg;
					for (int64_t ic = 0; ic < cg; ic++)
						for (int ky = 0; ky < kh; ky++)
							for (int kx = 0; kx < kw; kx++) {
								int64_t iy = oy * sh - pt + ky * dh, ix = ox * sw - pl + kx * dw;
								if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
									continue;
								s += (double)x[((b * c + g * cg + ic) * h + iy) * wd + ix] *
								     w[((o * cg + ic) * kh + ky) * kw + kx];
							}
					y[((b * oc + o) * oh + oy) * ow + ox] = (float)s;
				}
}

/* ---- tests --------------------------------------------------------------------------- */

/* The conv kernel against the naive reference on odd shapes, groups, strides, dilations and
 * asymmetric pads, computed in uneven row ranges as a thread pool would split it. */
static void test_conv_kernel(void)
{
	static const struct {
		int n, c, h, w, oc, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
	} cases[] = {
		{ 2, 3, 9, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 4, 11, 13, 6, 3, 2, 2, 3, 1, 1, 0, 2, 1, 0, 2 },
		{ 3, 6, 8, 8, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6 },
		{ 1, 70, 6, 5, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },   /* k = 630: two k chunks */
		{ 2, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
		{ 1, 8, 5, 5, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1 },
	};
	const struct qx_kernels_f32 *k = mb_scalar()->f32;
	for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
		struct qx_f32_conv_desc d = { 0 };
		d.n = cases[ci].n;
		d.c = cases[ci].c;
		d.h = cases[ci].h;
		d.w = cases[ci].w;
		d.oc = cases[ci].oc;
		d.kh = cases[ci].kh;
		d.kw = cases[ci].kw;
		d.sh = cases[ci].sh;
		d.sw = cases[ci].sw;
		d.dh = cases[ci].dh;
		d.dw = cases[ci].dw;
		d.pt = cases[ci].pt;
		d.pl = cases[ci].pl;
		d.pb = cases[ci].pb;
		d.pr = cases[ci].pr;
		d.groups = cases[ci].groups;
		d.oh = (d.h + d.pt + d.pb - ((d.kh - 1) * d.dh + 1)) / d.sh + 1;
		d.ow = (d.w + d.pl + d.pr - ((d.kw - 1) * d.dw + 1)) / d.sw + 1;
		d.act_min = -INFINITY;
		d.act_max = INFINITY;
		int64_t nx = d.n * d.c * d.h * d.w, nw = d.oc * (d.c / d.groups) * d.kh * d.kw;
		int64_t ny = d.n * d.oc * d.oh * d.ow;
		float *x = malloc((size_t)nx * 4), *w = malloc((size_t)nw * 4);
		float *b = malloc((size_t)d.oc * 4);
		float *y = malloc((size_t)ny * 4), *ref = malloc((size_t)ny * 4);
		mb_fill(x, nx, -1, 1);
		mb_fill(w, nw, -1, 1);
		mb_fill(b, d.oc, -1, 1);
		conv_ref(x, w, b, ref, d.n, d.c, d.h, d.w, d.oc, d.kh, d.kw, d.sh, d.sw, d.dh, d.dw, d.pt,
		         d.pl, d.oh, d.ow, d.groups);
		void *packed;
		int rc = k->conv_pack(&d, w, b, &packed);
		int64_t rows = d.n * d.oc * d.oh;
		for (int64_t i = 0; i < ny; i++)
			y[i] = NAN;
		/* Uneven pieces: 1 row, then 7, then 3, ... */
		for (int64_t r0 = 0, step = 1; !rc && r0 < rows; r0 += step, step = step * 7 % 10 + 1)
			k->conv(packed, x, y, r0, r0 + step < rows ? r0 + step : rows);
		ok(rc == 0 && mb_max_rel_diff(y, ref, ny) <= 1e-5,
		   "conv kernel %zu (%dx%dx%d -> %d, k %dx%d, s %d,%d, d %d,%d, g %d) matches the naive "
		   "reference in split ranges (max rel diff %.2g)", ci, cases[ci].c, cases[ci].h,
		   cases[ci].w, cases[ci].oc, d.kh, d.kw, d.sh, d.sw, d.dh, d.dw, d.groups,
		   mb_max_rel_diff(y, ref, ny));
		k->pack_free(packed);
		free(x);
		free(w);
		free(b);
		free(y);
		free(ref);
	}
}

static void test_matmul_kernel(void)
{
	const struct qx_kernels_f32 *k = mb_scalar()->f32;
	int64_t m = 13, n = 75, kk = 300;
	float *a = malloc((size_t)(m * kk) * 4), *b = malloc((size_t)(kk * n) * 4);
	float *bias = malloc((size_t)n * 4), *y = malloc((size_t)(m * n) * 4);
	float *ref = malloc((size_t)(m * n) * 4);
	mb_fill(a, m * kk, -1, 1);
	mb_fill(b, kk * n, -1, 1);
	mb_fill(bias, n, -1, 1);
	/* b used transposed: b(k, j) = b[j * kk + k]; clamp to [-2, 3]. */
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < n; j++) {
			double s = 0;
			for (int64_t t = 0; t < kk; t++)
				s += (double)a[i * kk + t] * b[j * kk + t];
			s += bias[j];
			ref[i * n + j] = (float)(s < -2 ? -2 : s > 3 ? 3 : s);
		}
	k->matmul(m, n, kk, a, kk, 1, b, 1, kk, bias, -2, 3, y, 0, 5);
	k->matmul(m, n, kk, a, kk, 1, b, 1, kk, bias, -2, 3, y, 5, m);
	double d = mb_max_rel_diff(y, ref, m * n);
	ok(d <= 1e-5, "matmul kernel with strided B, bias and clamp, in two row ranges (max rel diff "
	   "%.2g)", d);
	free(a);
	free(b);
	free(bias);
	free(y);
	free(ref);
}

/* Conv -> BatchNormalization -> Relu; when also_bn_input is set the conv's output is a graph
 * output too, which keeps BN as an op. */
static void write_conv_bn(const char *name, int also_bn_input, char *path, size_t len)
{
	struct mb b;
	mb_init(&b, 13);
	int64_t xd[4] = { -1, 3, 10, 9 }, wd[4] = { 8, 3, 3, 3 }, cd[1] = { 8 };
	float w[8 * 27], bias[8], scale[8], shift[8], mean[8], var[8];
	uint64_t saved = mb_rng;
	mb_rng = 42; /* both models get the same parameters */
	mb_fill(w, 8 * 27, -1, 1);
	mb_fill(bias, 8, -1, 1);
	mb_fill(scale, 8, 0.5f, 2.0f);
	mb_fill(shift, 8, -1, 1);
	mb_fill(mean, 8, -0.5f, 0.5f);
	mb_fill(var, 8, 0.1f, 3.0f);
	mb_rng = saved;
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	mb_init_f32(&b, "W", 4, wd, w, 1);
	mb_init_f32(&b, "B", 1, cd, bias, 0);
	mb_init_f32(&b, "scale", 1, cd, scale, 1);
	mb_init_f32(&b, "shift", 1, cd, shift, 1);
	mb_init_f32(&b, "mean", 1, cd, mean, 1);
	mb_init_f32(&b, "var", 1, cd, var, 1);
	Onnx__NodeProto *c = mb_node(&b, "Conv", "conv1", "x,W,B", "c");
	mb_attr_ints(&b, c, "pads", 4, 1, 1, 1, 1);
	/* also_bn_input 2: the variance comes through Identity, as PyTorch's exporter writes
	 * parameters that hold equal values. */
	if (also_bn_input == 2)
		mb_node(&b, "Identity", "var_identity", "var", "var_id");
	Onnx__NodeProto *bn = mb_node(&b, "BatchNormalization", "bn1",
	                              also_bn_input == 2 ? "c,scale,shift,mean,var_id" :
	                                                   "c,scale,shift,mean,var", "n");
	mb_attr_float(&b, bn, "epsilon", 1e-3f);
	mb_node(&b, "Relu", "relu1", "n", "y");
	mb_output(&b, "y");
	if (also_bn_input == 1)
		mb_output(&b, "c");
	mb_write(&b, name, path, len, 0);
}

static void test_bn_fold_conv(void)
{
	char p1[512], p2[512];
	struct qx_graph g1, g2;
	struct qx_error err = { 0 };
	write_conv_bn("bn_folded.onnx", 0, p1, sizeof p1);
	write_conv_bn("bn_kept.onnx", 1, p2, sizeof p2);
	int rc1 = qx_graph_load_onnx(p1, &g1, &err);
	if (rc1)
		diag("%s", err.msg);
	int rc2 = qx_graph_load_onnx(p2, &g2, &err);
	if (rc2)
		diag("%s", err.msg);
	if (!ok(rc1 == 0 && rc2 == 0, "Conv + BatchNormalization models load"))
		return;
	ok(mb_count_op(&g1, QX_OP_BATCHNORM) == 0 && mb_count_op(&g1, QX_OP_CONV) == 1,
	   "BatchNormalization after a Conv with no other reader is folded");
	ok(mb_count_op(&g2, QX_OP_BATCHNORM) == 1, "BatchNormalization is kept when the Conv output is "
	   "also a graph output");
	int64_t n = 3 * 3 * 10 * 9, ny = 3 * 8 * 10 * 9;
	float *x = malloc((size_t)n * 4), *y1 = malloc((size_t)ny * 4), *y2 = malloc((size_t)ny * 4);
	mb_fill(x, n, -2, 2);
	int r1 = mb_run1(&g1, 3, x, 0, y1, ny), r2 = mb_run1(&g2, 3, x, 0, y2, ny);
	ok(r1 == 0 && r2 == 0 && mb_max_rel_diff(y1, y2, ny) <= 1e-5,
	   "folded and unfolded BatchNormalization agree within 1e-5 (max rel diff %.2g)",
	   mb_max_rel_diff(y1, y2, ny));
	char p3[512];
	struct qx_graph g3;
	write_conv_bn("bn_identity_param.onnx", 2, p3, sizeof p3);
	int rc3 = qx_graph_load_onnx(p3, &g3, &err);
	float *y3 = malloc((size_t)ny * 4);
	if (ok(rc3 == 0, "a BatchNormalization parameter given through Identity loads%s%s",
	       rc3 ? ": " : "", rc3 ? err.msg : "")) {
		ok(mb_count_op(&g3, QX_OP_BATCHNORM) == 0 && mb_count_op(&g3, QX_OP_IDENTITY) == 0,
		   "Identity of a constant becomes a constant, and the BatchNormalization folds");
		int r3 = mb_run1(&g3, 3, x, 0, y3, ny);
		ok(r3 == 0 && mb_max_rel_diff(y3, y2, ny) <= 1e-5,
		   "it agrees with the unfolded graph (max rel diff %.2g)", mb_max_rel_diff(y3, y2, ny));
		qx_graph_free(&g3);
	}
	free(y3);
	qx_graph_free(&g1);
	qx_graph_free(&g2);
	free(x);
	free(y1);
	free(y2);
}

/* Gemm(transB) -> BatchNormalization on [N, C]. */
static void write_gemm_bn(const char *name, int keep, char *path, size_t len)
{
	struct mb b;
	mb_init(&b, 13);
	int64_t xd[2] = { -1, 6 }, wd[2] = { 5, 6 }, cd[1] = { 5 };
	float w[30], c[5], scale[5], shift[5], mean[5], var[5];
	uint64_t saved = mb_rng;
	mb_rng = 7;
	mb_fill(w, 30, -1, 1);
	mb_fill(c, 5, -1, 1);
	mb_fill(scale, 5, 0.5f, 2.0f);
	mb_fill(shift, 5, -1, 1);
	mb_fill(mean, 5, -0.5f, 0.5f);
	mb_fill(var, 5, 0.1f, 3.0f);
	mb_rng = saved;
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, xd);
	mb_init_f32(&b, "W", 2, wd, w, 0);
	mb_init_f32(&b, "C", 1, cd, c, 0);
	mb_init_f32(&b, "scale", 1, cd, scale, 0);
	mb_init_f32(&b, "shift", 1, cd, shift, 0);
	mb_init_f32(&b, "mean", 1, cd, mean, 0);
	mb_init_f32(&b, "var", 1, cd, var, 0);
	Onnx__NodeProto *gm = mb_node(&b, "Gemm", "fc", "x,W,C", "g");
	mb_attr_int(&b, gm, "transB", 1);
	mb_attr_float(&b, gm, "beta", 0.5f);
	mb_node(&b, "BatchNormalization", "bn", "g,scale,shift,mean,var", "y");
	mb_output(&b, "y");
	if (keep)
		mb_output(&b, "g");
	mb_write(&b, name, path, len, 0);
}

static void test_bn_fold_gemm(void)
{
	char p1[512], p2[512];
	struct qx_graph g1, g2;
	struct qx_error err = { 0 };
	write_gemm_bn("gemm_bn_folded.onnx", 0, p1, sizeof p1);
	write_gemm_bn("gemm_bn_kept.onnx", 1, p2, sizeof p2);
	int rc = qx_graph_load_onnx(p1, &g1, &err) || qx_graph_load_onnx(p2, &g2, &err);
	if (!ok(rc == 0, "Gemm + BatchNormalization models load"))
		return diag("%s", err.msg);
	ok(mb_count_op(&g1, QX_OP_BATCHNORM) == 0 && mb_count_op(&g2, QX_OP_BATCHNORM) == 1,
	   "BatchNormalization after Gemm folds unless the Gemm output is read elsewhere");
	float x[4 * 6], y1[4 * 5], y2[4 * 5];
	mb_fill(x, 24, -2, 2);
	int r1 = mb_run1(&g1, 4, x, 0, y1, 20), r2 = mb_run1(&g2, 4, x, 0, y2, 20);
	ok(r1 == 0 && r2 == 0 && mb_max_rel_diff(y1, y2, 20) <= 1e-5,
	   "Gemm with beta 0.5 and folded BatchNormalization matches the unfolded graph (max rel "
	   "diff %.2g)", mb_max_rel_diff(y1, y2, 20));
	qx_graph_free(&g1);
	qx_graph_free(&g2);
}

/* Shapes: strides, pads, ceil_mode, every auto_pad, dilations, and re-inference per batch. */
static void test_shapes(void)
{
	struct mb b;
	mb_init(&b, 13);
	int64_t xd[4] = { -1, 2, 11, 10 }, wd[4] = { 4, 2, 3, 3 };
	float w[72] = { 0 };
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	mb_init_f32(&b, "W", 4, wd, w, 1);
	Onnx__NodeProto *n;
	/* (11+1+2-3)/2+1 = 6, (10+0+1-3)/2+1 = 5 */
	n = mb_node(&b, "Conv", "c_pad_stride", "x,W", "a");
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_ints(&b, n, "pads", 4, 1, 0, 2, 1);
	n = mb_node(&b, "Conv", "c_same_upper", "x,W", "s_up"); /* ceil(11/2)=6, ceil(10/2)=5 */
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_str(&b, n, "auto_pad", "SAME_UPPER");
	n = mb_node(&b, "Conv", "c_same_lower", "x,W", "s_lo");
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_str(&b, n, "auto_pad", "SAME_LOWER");
	n = mb_node(&b, "Conv", "c_valid", "x,W", "v"); /* 9 x 8 */
	mb_attr_str(&b, n, "auto_pad", "VALID");
	n = mb_node(&b, "Conv", "c_dil", "x,W", "dl"); /* 11-5+1 = 7, 10-5+1 = 6 */
	mb_attr_ints(&b, n, "dilations", 2, 2, 2);
	n = mb_node(&b, "MaxPool", "mp_ceil", "x", "mc"); /* ceil((11-3)/2)+1 = 5, ceil(7/2)+1 = 5 */
	mb_attr_ints(&b, n, "kernel_shape", 2, 3, 3);
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_int(&b, n, "ceil_mode", 1);
	n = mb_node(&b, "MaxPool", "mp_floor", "x", "mf"); /* 5 x 4 */
	mb_attr_ints(&b, n, "kernel_shape", 2, 3, 3);
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	n = mb_node(&b, "AveragePool", "ap_ceil_pad", "x", "ac");
	/* Height 11 + 2 pads: ceil((13-2)/2)+1 = 7, but the 7th window would start in the end
	 * padding (6*2 = 12 >= 11+1), so PyTorch's rule gives 6; width: 5+1 = 6, no drop. */
	mb_attr_ints(&b, n, "kernel_shape", 2, 2, 2);
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_ints(&b, n, "pads", 4, 1, 1, 1, 1);
	mb_attr_int(&b, n, "ceil_mode", 1);
	mb_node(&b, "GlobalAveragePool", "gap", "a", "gp");
	mb_node(&b, "Flatten", "fl", "gp", "f");
	for (int i = 0; i < (int)b.g.n_node; i++)
		mb_output(&b, b.nodes[i]->output[0]);
	char path[512];
	mb_write(&b, "shapes.onnx", path, sizeof path, 0);
	struct qx_graph g;
	struct qx_error err = { 0 };
	if (!ok(qx_graph_load_onnx(path, &g, &err) == 0, "shape model loads"))
		return diag("%s", err.msg);
	struct {
		const char *t;
		int64_t d[4];
	} want[] = {
		{ "a", { 1, 4, 6, 5 } },  { "s_up", { 1, 4, 6, 5 } }, { "s_lo", { 1, 4, 6, 5 } },
		{ "v", { 1, 4, 9, 8 } },  { "dl", { 1, 4, 7, 6 } },   { "mc", { 1, 2, 5, 5 } },
		{ "mf", { 1, 2, 5, 4 } }, { "ac", { 1, 2, 6, 6 } },   { "gp", { 1, 4, 1, 1 } },
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct qx_tensor *t = &g.tensors[qx_graph_find_tensor(&g, want[i].t)];
		ok(t->ndim == 4 && !memcmp(t->dims, want[i].d, sizeof want[i].d),
		   "%s: shape [%lld,%lld,%lld,%lld] (want [%lld,%lld,%lld,%lld])", want[i].t,
		   (long long)t->dims[0], (long long)t->dims[1], (long long)t->dims[2],
		   (long long)t->dims[3], (long long)want[i].d[0], (long long)want[i].d[1],
		   (long long)want[i].d[2], (long long)want[i].d[3]);
	}
	/* SAME_UPPER: total pad h = (6-1)*2+3-11 = 2 -> 1/1; w = (5-1)*2+3-10 = 1 -> 0/1.
	 * SAME_LOWER puts the odd one at the start. */
	const struct qx_conv_attr *up = &g.nodes[1].attr.conv, *lo = &g.nodes[2].attr.conv;
	ok(up->pad[0] == 1 && up->pad[2] == 1 && up->pad[1] == 0 && up->pad[3] == 1,
	   "SAME_UPPER pads resolve to t1 l0 b1 r1 (got t%d l%d b%d r%d)", up->pad[0], up->pad[1],
	   up->pad[2], up->pad[3]);
	ok(lo->pad[0] == 1 && lo->pad[2] == 1 && lo->pad[1] == 1 && lo->pad[3] == 0,
	   "SAME_LOWER pads resolve to t1 l1 b1 r0 (got t%d l%d b%d r%d)", lo->pad[0], lo->pad[1],
	   lo->pad[2], lo->pad[3]);
	const struct qx_tensor *f = &g.tensors[qx_graph_find_tensor(&g, "f")];
	ok(f->ndim == 2 && f->dims[0] == 1 && f->dims[1] == 4, "Flatten gives [1,4]");
	int rc = qx_graph_infer_shapes(&g, 7, &err);
	const struct qx_tensor *a = &g.tensors[qx_graph_find_tensor(&g, "a")];
	ok(rc == 0 && a->dims[0] == 7 && g.batch == 7 && f->dims[0] == 7,
	   "re-inferring for batch 7 sets the batch dim everywhere");
	qx_graph_free(&g);
}

/* Expects loading path to fail with code and a message containing every needle. */
static void expect_refusal(const char *path, int code, const char *what, ...)
{
	struct qx_graph g;
	struct qx_error err = { 0 };
	int rc = qx_graph_load_onnx(path, &g, &err);
	int found = rc == code && strstr(err.msg, path) != NULL;
	va_list ap;
	va_start(ap, what);
	for (const char *needle; (needle = va_arg(ap, const char *));)
		if (!strstr(err.msg, needle)) {
			diag("missing '%s'", needle);
			found = 0;
		}
	va_end(ap);
	if (!ok(found, "refuses %s", what))
		diag("rc %d, message: %s", rc, err.msg);
	if (rc == 0)
		qx_graph_free(&g);
}

static void test_refusals(void)
{
	char path[512];
	int64_t xd[4] = { 1, 2, 5, 5 }, wd[4] = { 2, 2, 3, 3 };
	float w[36] = { 0 };
	struct mb b;

	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	mb_init_f32(&b, "W", 4, wd, w, 1);
	mb_node(&b, "Conv", "conv1", "x,W", "c");
	mb_node(&b, "LpNormalization", "lpn3", "c", "y");
	mb_output(&b, "y");
	mb_write(&b, "bad_op.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "an unsupported op by node name and op",
	               "node 'lpn3' (LpNormalization)", "unsupported op", "supported: Conv, "
	               "ConvTranspose, Gemm", NULL);

	/* A model cut in the middle of its weights. */
	float big[512];
	int64_t bd[1] = { 512 };
	mb_fill(big, 512, -1, 1);
	mb_init(&b, 13);
	int64_t vd[1] = { 512 };
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 1, vd);
	mb_init_f32(&b, "b", 1, bd, big, 1);
	mb_node(&b, "Add", "add", "x,b", "y");
	mb_output(&b, "y");
	mb_write(&b, "truncated.onnx", path, sizeof path, 1000);
	expect_refusal(path, QX_EINVAL, "a truncated file naming the byte count",
	               "not a valid ONNX model (protobuf parse failed at 1000 bytes)", NULL);

	/* int8 weights. */
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	Onnx__TensorProto *t = mb_new_tensor(&b, "Wq", ONNX__TENSOR_PROTO__DATA_TYPE__INT8, 4, wd);
	t->has_raw_data = 1;
	t->raw_data.len = 36;
	t->raw_data.data = arena_alloc(&b.a, 36);
	b.inits[b.g.n_initializer++] = t;
	mb_node(&b, "Conv", "qconv", "x,Wq", "y");
	mb_output(&b, "y");
	mb_write(&b, "int8.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "int8 weights naming the node and dtype",
	               "node 'qconv' (Conv)", "'Wq' has dtype int8", "supported: float", NULL);

	/* A uint8 graph input. */
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__UINT8, 4, xd);
	mb_node(&b, "Relu", "r", "x", "y");
	mb_output(&b, "y");
	mb_write(&b, "uint8_input.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "a uint8 activation", "node 'r' (Relu)", "uint8", NULL);

	/* An attribute the op does not have in our support. */
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	Onnx__NodeProto *n = mb_node(&b, "MaxPool", "pool", "x", "y");
	mb_attr_ints(&b, n, "kernel_shape", 2, 2, 2);
	mb_attr_int(&b, n, "frobnicate", 1);
	mb_output(&b, "y");
	mb_write(&b, "bad_attr.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "an unknown attribute", "node 'pool' (MaxPool)",
	               "unknown attribute 'frobnicate'", "kernel_shape", NULL);

	/* Too old an opset. */
	mb_init(&b, 6);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	mb_node(&b, "Relu", "r", "x", "y");
	mb_output(&b, "y");
	mb_write(&b, "opset6.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "opset 6", "opset 6", "supported: 7 to 17", NULL);

	/* A non-default domain. */
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	n = mb_node(&b, "FusedConv", "fc", "x", "y");
	n->domain = arena_str(&b.a, "com.microsoft");
	mb_output(&b, "y");
	mb_write(&b, "domain.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "an op from another domain", "node 'fc' (FusedConv)",
	               "com.microsoft", NULL);

	/* Weights in an external file. */
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	t = mb_new_tensor(&b, "Wx", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, wd);
	t->has_data_location = 1;
	t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	b.inits[b.g.n_initializer++] = t;
	mb_node(&b, "Conv", "c", "x,Wx", "y");
	mb_output(&b, "y");
	mb_write(&b, "external.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "external data", "'Wx'", "external file", NULL);

	/* Dropout whose mask is a graph output. */
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	mb_node(&b, "Dropout", "drop", "x", "y,mask");
	mb_output(&b, "y");
	mb_output(&b, "mask");
	mb_write(&b, "dropout_mask.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "a Dropout mask that is used", "node 'drop' (Dropout)",
	               "'mask' is used", NULL);

	/* 3-D convolution weights. */
	mb_init(&b, 13);
	int64_t x5[5] = { 1, 2, 4, 4, 4 }, w5[5] = { 2, 2, 3, 3, 3 };
	float w3[108] = { 0 };
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 5, x5);
	mb_init_f32(&b, "W", 5, w5, w3, 1);
	mb_node(&b, "Conv", "conv3d", "x,W", "y");
	mb_output(&b, "y");
	mb_write(&b, "conv3d.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "a 3-D convolution", "node 'conv3d' (Conv)", "2-D", NULL);

	/* A Reshape whose shape is computed at run time. */
	mb_init(&b, 13);
	int64_t sd[1] = { 2 };
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	mb_input(&b, "shape", ONNX__TENSOR_PROTO__DATA_TYPE__INT64, 1, sd);
	mb_node(&b, "Reshape", "rs", "x,shape", "y");
	mb_output(&b, "y");
	mb_write(&b, "reshape_runtime.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EUNSUPPORTED, "a run-time Reshape shape", "node 'rs' (Reshape)",
	               "int64 computed at run time", "constant or computed from shapes", NULL);

	snprintf(path, sizeof path, "%s/does-not-exist.onnx", tmpdir);
	expect_refusal(path, QX_ENOENT, "a missing file", "cannot open", NULL);
}

/* Hostile dims (issue 13): every shape product is checked (util/checked.h), and a tensor's
 * nonzero dims are bounded even when another dim is 0, so no later product can wrap. */
static void test_hostile_dims(void)
{
	char path[512];
	const int64_t big = ((int64_t)1 << 31) - 1, huge = (int64_t)1 << 35;
	struct mb b;

	/* A Reshape target whose product overflows int64 before the -1 is inferred. */
	int64_t xd[4] = { 1, 2, 5, 5 };
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
	int64_t over[3] = { huge, huge, -1 };
	mb_init_i64(&b, "shape", 3, over);
	mb_node(&b, "Reshape", "rs", "x,shape", "y");
	mb_output(&b, "y");
	mb_write(&b, "reshape_overflow.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EINVAL, "a Reshape target whose product overflows",
	               "node 'rs' (Reshape)", "shape[0..1] multiply to more than 68719476736",
	               NULL);

	/* A zero-size input with huge other dims: its element count is 0, its dims are not. */
	int64_t zd[5] = { 1, 0, big, big, big };
	mb_init(&b, 13);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 5, zd);
	Onnx__NodeProto *fl = mb_node(&b, "Flatten", "fl", "x", "y");
	mb_attr_int(&b, fl, "axis", 4);
	mb_output(&b, "y");
	mb_write(&b, "zero_huge_input.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EINVAL, "a zero-size input with huge other dims",
	               "graph input 'x' has more than 68719476736 elements", NULL);

	/* Reshape with allowzero to a zero-size shape with huge other dims. */
	int64_t ed[3] = { 1, 0, 4 };
	mb_init(&b, 14);
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, ed);
	int64_t zero_huge[3] = { 0, huge, huge };
	mb_init_i64(&b, "shape", 3, zero_huge);
	Onnx__NodeProto *rs = mb_node(&b, "Reshape", "rs0", "x,shape", "y");
	mb_attr_int(&b, rs, "allowzero", 1);
	mb_output(&b, "y");
	mb_write(&b, "reshape_allowzero_huge.onnx", path, sizeof path, 0);
	expect_refusal(path, QX_EINVAL, "a Reshape with allowzero to [0, 2^35, 2^35]",
	               "node 'rs0' (Reshape)", "output 'y' would have shape "
	               "[0,34359738368,34359738368], more than 68719476736 elements", NULL);
}

/* Nodes out of order, a Constant shape, Reshape with 0 and -1, Concat, Mul broadcast,
 * Softmax, all against a hand computation. */
static void test_unsorted_and_data_ops(void)
{
	struct mb b;
	mb_init(&b, 13);
	int64_t xd[3] = { -1, 2, 3 }, sd[1] = { 3 };
	float scale[3] = { 1, 2, -1 };
	mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, xd);
	mb_init_f32(&b, "scale", 1, sd, scale, 0);
	/* Listed backwards: Softmax(Concat(Reshape(x * scale), x')) */
	Onnx__NodeProto *sm = mb_node(&b, "Softmax", "sm", "cat", "y");
	mb_attr_int(&b, sm, "axis", -1);
	Onnx__NodeProto *cat = mb_node(&b, "Concat", "cat", "r,x2", "cat");
	mb_attr_int(&b, cat, "axis", 1);
	Onnx__NodeProto *k = mb_node(&b, "Constant", "shape_const", "", "shape");
	Onnx__AttributeProto *at = mb_attr(&b, k, "value_ints",
	                                   ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	at->n_ints = 2;
	at->ints = arena_alloc(&b.a, 2 * sizeof *at->ints);
	at->ints[0] = 0;
	at->ints[1] = -1;
	mb_node(&b, "Reshape", "rs", "m,shape", "r");
	mb_node(&b, "Mul", "mul", "x,scale", "m");
	int64_t flat[2] = { 0, 6 };
	mb_init_i64(&b, "flat", 2, flat);
	mb_node(&b, "Reshape", "rs2", "x,flat", "x2");
	mb_output(&b, "y");
	char path[512];
	mb_write(&b, "unsorted.onnx", path, sizeof path, 0);
	struct qx_graph g;
	struct qx_error err = { 0 };
	if (!ok(qx_graph_load_onnx(path, &g, &err) == 0, "a model with nodes out of order loads"))
		return diag("%s", err.msg);
	int order_ok = g.n_nodes == 5;
	for (int i = 0; order_ok && i < g.n_nodes; i++)
		for (int j = 0; j < g.nodes[i].n_in; j++)
			if (g.nodes[i].in[j] >= 0 && g.tensors[g.nodes[i].in[j]].producer >= i)
				order_ok = 0;
	ok(order_ok, "nodes are sorted so that each reads only earlier outputs (%d nodes)", g.n_nodes);
	float x[2 * 6], y[2 * 12], want[2 * 12];
	mb_fill(x, 12, -3, 3);
	for (int bi = 0; bi < 2; bi++) {
		float row[12], m = -INFINITY, s = 0;
		for (int i = 0; i < 6; i++) {
			row[i] = x[bi * 6 + i] * scale[i % 3];
			row[6 + i] = x[bi * 6 + i];
		}
		for (int i = 0; i < 12; i++)
			m = fmaxf(m, row[i]);
		for (int i = 0; i < 12; i++)
			s += expf(row[i] - m);
		for (int i = 0; i < 12; i++)
			want[bi * 12 + i] = expf(row[i] - m) / s;
	}
	int rc = mb_run1(&g, 2, x, 0, y, 24);
	const struct qx_tensor *yt = mb_last_output();
	ok(rc == 0 && yt->ndim == 2 && yt->dims[0] == 2 && yt->dims[1] == 12 &&
	   mb_max_rel_diff(y, want, 24) <= 1e-6,
	   "Mul broadcast, Constant-shaped Reshape (0, -1), Concat and Softmax compute the right "
	   "values (max rel diff %.2g)", mb_max_rel_diff(y, want, 24));
	qx_graph_free(&g);
}

/* Softmax before opset 13 flattens from axis on; from 13 it is one axis. */
static void test_softmax_opsets(void)
{
	float x[2 * 3 * 4];
	mb_fill(x, 24, -2, 2);
	for (int v = 0; v < 2; v++) {
		int64_t opset = v ? 13 : 11;
		struct mb b;
		mb_init(&b, opset);
		int64_t xd[3] = { 2, 3, 4 };
		mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 3, xd);
		Onnx__NodeProto *n = mb_node(&b, "Softmax", "sm", "x", "y");
		mb_attr_int(&b, n, "axis", 1);
		mb_output(&b, "y");
		char path[512], name[64];
		snprintf(name, sizeof name, "softmax%lld.onnx", (long long)opset);
		mb_write(&b, name, path, sizeof path, 0);
		float want[24], y[24];
		for (int i = 0; i < 2; i++) {
			if (!v) { /* one softmax over the 12 values of each batch item */
				float s = 0;
				for (int j = 0; j < 12; j++)
					s += expf(x[i * 12 + j]);
				for (int j = 0; j < 12; j++)
					want[i * 12 + j] = expf(x[i * 12 + j]) / s;
			} else { /* over axis 1 (3 values) for each of the 4 trailing positions */
				for (int k = 0; k < 4; k++) {
					float s = 0;
					for (int j = 0; j < 3; j++)
						s += expf(x[i * 12 + j * 4 + k]);
					for (int j = 0; j < 3; j++)
						want[i * 12 + j * 4 + k] = expf(x[i * 12 + j * 4 + k]) / s;
				}
			}
		}
		struct qx_graph g;
		struct qx_error err = { 0 };
		int rc = qx_graph_load_onnx(path, &g, &err);
		if (rc)
			diag("%s", err.msg);
		rc = rc ? rc : mb_run1(&g, 0, x, 0, y, 24);
		ok(rc == 0 && mb_max_rel_diff(y, want, 24) <= 1e-6, "Softmax axis=1 at opset %lld uses %s "
		   "semantics", (long long)opset, v ? "single-axis" : "flatten-to-2-D");
		if (!rc)
			qx_graph_free(&g);
	}
}

/* Conv -> Clip(0, +inf) from constant inputs (opset 13): a Relu, fused into act_min/max with
 * the same results as unfused. Conv -> Clip(-0.5, 0.75) from attributes (opset 10): a ReLU6-like
 * clip stays a node (PyTorch quantizes it apart from the conv), with the same results. */
static void test_fusion(void)
{
	for (int v = 0; v < 2; v++) {
		struct mb b;
		mb_init(&b, v ? 13 : 10);
		int64_t xd[4] = { 1, 2, 6, 6 }, wd[4] = { 3, 2, 3, 3 }, md[1] = { 1 };
		float w[54], lo = v ? 0.0f : -0.5f, hi = v ? INFINITY : 0.75f;
		mb_fill(w, 54, -1, 1);
		mb_input(&b, "x", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 4, xd);
		mb_init_f32(&b, "W", 4, wd, w, 1);
		mb_node(&b, "Conv", "conv", "x,W", "c");
		if (v) {
			mb_init_f32(&b, "lo", 0, md, &lo, 0);
			mb_init_f32(&b, "hi", 0, md, &hi, 0);
			mb_node(&b, "Clip", "clip", "c,lo,hi", "y");
		} else {
			Onnx__NodeProto *n = mb_node(&b, "Clip", "clip", "c", "y");
			mb_attr_float(&b, n, "min", lo);
			mb_attr_float(&b, n, "max", hi);
		}
		mb_output(&b, "y");
		char path[512];
		mb_write(&b, v ? "clip13.onnx" : "clip10.onnx", path, sizeof path, 0);
		struct qx_graph g;
		struct qx_error err = { 0 };
		int loaded = qx_graph_load_onnx(path, &g, &err) == 0;
		if (!ok(loaded, "Conv + Clip (opset %d) loads", v ? 13 : 10)) {
			diag("%s", err.msg);
			continue;
		}
		float x[72], y1[48], y2[48];
		mb_fill(x, 72, -2, 2);
		int r1 = mb_run1(&g, 0, x, 0, y1, 48);
		qx_graph_fuse_activations(&g, &err);
		int fused = g.n_nodes == 1 && g.nodes[0].act_min == lo && g.nodes[0].act_max == hi;
		int kept = g.n_nodes == 2 && g.nodes[1].op == QX_OP_CLIP && g.nodes[0].act_min == -INFINITY;
		int r2 = mb_run1(&g, 0, x, 0, y2, 48);
		int clamped = 1;
		for (int i = 0; i < 48; i++)
			clamped &= y2[i] >= lo && y2[i] <= hi;
		ok((v ? fused : kept) && r1 == 0 && r2 == 0 && !memcmp(y1, y2, sizeof y1) && clamped,
		   "Clip(%g, %g) %s %s with identical output", lo, hi,
		   v ? "from constant inputs" : "from attributes",
		   v ? "fuses into the Conv" : "stays a node of its own");
		qx_graph_free(&g);
	}
}

/* Gemm with C of shape [M, 1] (broadcast along columns), alpha and transA. */
static void test_gemm_column_bias(void)
{
	struct mb b;
	mb_init(&b, 13);
	int64_t ad[2] = { 4, 3 }, bd[2] = { 4, 5 }, cd[2] = { 3, 1 };
	float bw[20], c[3];
	mb_fill(bw, 20, -1, 1);
	mb_fill(c, 3, -1, 1);
	mb_input(&b, "a", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, 2, ad);
	mb_init_f32(&b, "B", 2, bd, bw, 0);
	mb_init_f32(&b, "C", 2, cd, c, 0);
	Onnx__NodeProto *n = mb_node(&b, "Gemm", "g", "a,B,C", "y");
	mb_attr_int(&b, n, "transA", 1);
	mb_attr_float(&b, n, "alpha", 0.25f);
	mb_attr_float(&b, n, "beta", 2.0f);
	mb_output(&b, "y");
	char path[512];
	mb_write(&b, "gemm_col.onnx", path, sizeof path, 0);
	struct qx_graph g;
	struct qx_error err = { 0 };
	if (!ok(qx_graph_load_onnx(path, &g, &err) == 0, "Gemm with [M,1] C loads"))
		return diag("%s", err.msg);
	float a[12], y[15], want[15];
	mb_fill(a, 12, -1, 1);
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 5; j++) {
			float s = 0;
			for (int k = 0; k < 4; k++)
				s += a[k * 3 + i] * bw[k * 5 + j];
			want[i * 5 + j] = 0.25f * s + 2.0f * c[i];
		}
	int rc = mb_run1(&g, 0, a, 0, y, 15);
	ok(rc == 0 && mb_max_rel_diff(y, want, 15) <= 1e-6, "Gemm transA, alpha, beta and a column C "
	   "(max rel diff %.2g)", mb_max_rel_diff(y, want, 15));
	qx_graph_free(&g);
}

/* Corrupted files: flipped bytes and every truncation of a small model. Each load either works
 * or fails with a message naming the file; none may crash or leak (the sanitizer build checks
 * memory). */
static void test_corrupt_files(void)
{
	char path[512], bad[600];
	write_conv_bn("corrupt_base.onnx", 0, path, sizeof path);
	FILE *f = fopen(path, "rb");
	uint8_t buf[8192];
	size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
	if (f)
		fclose(f);
	snprintf(bad, sizeof bad, "%s/corrupt.onnx", tmpdir);
	int tries = 0, loaded = 0, refused_well = 0;
	for (int i = 0; i < 600 && n > 0; i++) {
		uint8_t m[8192];
		size_t len = n;
		memcpy(m, buf, n);
		if (i < 200) { /* truncations spread over the file */
			len = (size_t)i * n / 200;
		} else { /* 1 to 4 random bytes replaced */
			int flips = 1 + i % 4;
			for (int k = 0; k < flips; k++) {
				mb_rng = mb_rng * 6364136223846793005ull + 1442695040888963407ull;
				m[(mb_rng >> 33) % n] = (uint8_t)(mb_rng >> 17);
			}
		}
		FILE *o = fopen(bad, "wb");
		fwrite(m, 1, len, o);
		fclose(o);
		struct qx_graph g;
		struct qx_error err = { 0 };
		tries++;
		int rc = qx_graph_load_onnx(bad, &g, &err);
		if (rc == 0) {
			loaded++;
			if (qx_graph_infer_shapes(&g, 3, &err) == 0)
				qx_graph_fuse_activations(&g, &err);
			qx_graph_free(&g);
		} else if (rc < 0 && strstr(err.msg, bad) == err.msg) {
			refused_well++;
		} else {
			diag("variant %d: rc %d, message: %s", i, rc, err.msg);
		}
	}
	ok(tries == 600 && loaded + refused_well == tries, "%d corrupted variants: %d load, %d are "
	   "refused with a message naming the file", tries, loaded, refused_well);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return tap_skip_all("mkdtemp failed");
	mb_dir = tmpdir;
	tap_plan(0);
	test_conv_kernel();
	test_matmul_kernel();
	test_bn_fold_conv();
	test_bn_fold_gemm();
	test_shapes();
	test_refusals();
	test_hostile_dims();
	test_unsorted_and_data_ops();
	test_softmax_opsets();
	test_fusion();
	test_gemm_column_bias();
	test_corrupt_files();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return tap_done();
}
