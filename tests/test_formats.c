/* Plan formats of plugin ABI 1.3 (include/qx/plan.h): FP8, integer widths below 8, per-group
 * weight scales, weight-only nodes and codes a plugin rounded itself. Validation names the
 * tensor for each bad case; model size counts the bits stored; the reference simulation's
 * per-group fake quantization matches PyTorch's (tests/fixtures/int4_group_goldens.txt, from
 * tools/int4_group_goldens.py) and hand-worked values; a weight-only plan simulates exactly the
 * fp32 model with its weights quantized-dequantized; codes reach the int8 kernels and the
 * simulation alike; plan.json keeps every new field. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec_f32.h"
#include "exec/exec_q8.h"
#include "plan/plan_file.h"
#include "plan/validate.h"
#include "plugin/tiny_model.h"
#include "support/tap.h"
#include "support/test_plan.h"
#include "verify/refsim.h"
#include "verify/trust.h"

#define BATCH 4

static struct qx_graph graph;

static int contains(const char *s, const char *part)
{
	return s && strstr(s, part) != NULL;
}

static int T(const char *name)
{
	return qx_graph_find_tensor(&graph, name);
}

/* ---- a plan under construction ---- */
struct maker {
	struct qx_plan_tensor t[16];
	struct qx_plan_tensor_ext x[16];
	struct qx_plan_op o[8];
	float scales[16][64];
	int32_t zps[16][64];
	float gscales[16][128];
	int32_t codes[16][640];
	struct qx_plan plan;
};

static int add_t(struct maker *m, const char *name, int dtype, int axis, int n, float scale,
                 int32_t qmin, int32_t qmax)
{
	int e = m->plan.n_tensors++;
	for (int k = 0; k < n; k++) {
		m->scales[e][k] = scale;
		m->zps[e][k] = 0;
	}
	m->t[e] = (struct qx_plan_tensor){ .tensor = T(name), .dtype = dtype, .symmetric = 1,
	                                   .axis = axis, .n_channels = n, .qmin = qmin,
	                                   .qmax = qmax, .scales = m->scales[e],
	                                   .zero_points = m->zps[e] };
	m->plan.tensors = m->t;
	return e;
}

static int add_x(struct maker *m, int entry, int bits, int group_size, int n_group_scales,
                 float gscale)
{
	int e = m->plan.n_tensor_ext++;
	for (int k = 0; k < n_group_scales; k++)
		m->gscales[e][k] = gscale;
	m->x[e] = (struct qx_plan_tensor_ext){ .tensor = m->t[entry].tensor, .bits = bits,
	                                       .group_size = group_size,
	                                       .n_group_scales = n_group_scales,
	                                       .group_scales = n_group_scales ? m->gscales[e] : NULL };
	m->plan.tensor_ext = m->x;
	return e;
}

static void add_op(struct maker *m, int node, int mode)
{
	m->o[m->plan.n_ops++] = (struct qx_plan_op){ .node = node, .mode = mode };
	m->plan.ops = m->o;
}

/* fc (node 3) weight-only: int4, groups of 32 along its 64-long rows (2 per channel). */
static void int4_fc(struct maker *m)
{
	memset(m, 0, sizeof *m);
	add_op(m, 3, QX_MODE_WEIGHT_ONLY);
	int e = add_t(m, "fc.weight", QX_PLAN_INT8, 0, 10, 0.02f, -8, 7);
	add_x(m, e, 4, 32, 20, 0.02f);
}

/* conv1 (node 0) static FP8 e4m3fn: input, weight per channel, output. */
static void fp8_conv(struct maker *m)
{
	memset(m, 0, sizeof *m);
	add_op(m, 0, QX_MODE_STATIC);
	add_t(m, "input", QX_PLAN_FP8_E4M3FN, -1, 1, 0.01f, 0, 0);
	add_t(m, "conv1.weight", QX_PLAN_FP8_E4M3FN, 0, 4, 0.002f, 0, 0);
	add_t(m, "conv1.out", QX_PLAN_FP8_E4M3FN, -1, 1, 0.05f, 0, 0);
}

static void expect_invalid(struct maker *m, const char *what, const char *part)
{
	struct qx_quant_plan out;
	struct qx_error err = { 0 };
	int rc = qx_plan_validate(&graph, &m->plan, NULL, &out, &err);
	ok(rc == QX_EPLUGIN && contains(err.msg, part), "invalid: %s", what);
	diag("%s", err.msg);
	if (!rc)
		qx_quant_plan_free(&out);
}

static void test_validate(void)
{
	struct maker m;
	struct qx_quant_plan out;
	struct qx_error err = { 0 };
	int4_fc(&m);
	int rc = qx_plan_validate(&graph, &m.plan, NULL, &out, &err);
	int w = T("fc.weight");
	ok(rc == 0 && out.simulated && contains(out.simulated_why, "per-group scales") &&
	   contains(out.simulated_why, "weight-only") && out.tensor[w].bits == 4 &&
	   out.tensor[w].groups == 2 && out.tensor[w].group_size == 32,
	   "int4 weight-only per-group plan: valid, simulated (%s), 4 bits, 2 groups per channel",
	   out.simulated_why);
	if (rc)
		diag("%s", err.msg);
	else
		qx_quant_plan_free(&out);
	fp8_conv(&m);
	rc = qx_plan_validate(&graph, &m.plan, NULL, &out, &err);
	ok(rc == 0 && out.simulated && !strcmp(out.simulated_why, "fp8_e4m3fn"),
	   "FP8 static conv plan: valid, simulated (%s)", rc ? err.msg : out.simulated_why);
	if (!rc)
		qx_quant_plan_free(&out);

	int4_fc(&m);
	m.x[0].bits = 9;
	expect_invalid(&m, "bits 9", "tensor 'fc.weight' (tensor_ext entry 0): bits 9 on a int8 tensor");
	int4_fc(&m);
	m.t[0].qmin = -128;
	expect_invalid(&m, "qmin beyond 4 bits", "tensor 'fc.weight' (tensor_ext entry 0): qmin -128, qmax 7 do not fit 4 bits");
	int4_fc(&m);
	m.x[0].n_group_scales = 19;
	expect_invalid(&m, "group scale count", "tensor 'fc.weight' (tensor_ext entry 0): 19 group scales (expected 20");
	int4_fc(&m);
	m.gscales[0][5] = 0.0f;
	expect_invalid(&m, "a zero group scale", "tensor 'fc.weight' (tensor_ext entry 0): group scale 5 (channel 2, group 1) is 0");
	int4_fc(&m);
	m.gscales[0][3] = 0.03f;
	expect_invalid(&m, "channel scale not the groups' largest", "tensor 'fc.weight' (tensor_ext entry 0): scale[1] is 0.0199999996 (expected channel 1's largest group scale, 0.0299999993)");
	int4_fc(&m);
	m.t[0].axis = -1;
	m.t[0].n_channels = 1;
	expect_invalid(&m, "groups on a per-tensor weight", "tensor 'fc.weight' (tensor_ext entry 0): group_size 32 on a per-tensor tensor");
	int4_fc(&m);
	m.x[0].n_codes = 5;
	m.x[0].codes = m.codes[0];
	expect_invalid(&m, "code count", "tensor 'fc.weight' (tensor_ext entry 0): 5 codes for a constant of 640 values");
	int4_fc(&m);
	m.x[0].n_codes = 640;
	m.x[0].codes = m.codes[0];
	m.codes[0][3] = 9;
	expect_invalid(&m, "code out of range", "tensor 'fc.weight' (tensor_ext entry 0): code[3] is 9 (expected within [qmin, qmax])");
	int4_fc(&m);
	m.x[0].tensor = T("fc2.weight");
	expect_invalid(&m, "ext without an entry", "tensor 'fc2.weight' (tensor_ext entry 0): has no entry in the plan's tensors");
	int4_fc(&m);
	add_x(&m, 0, 4, 32, 20, 0.02f);
	expect_invalid(&m, "ext twice", "tensor 'fc.weight' (tensor_ext entry 1): listed twice");
	int4_fc(&m);
	add_t(&m, "flatten.out", QX_PLAN_UINT8, -1, 1, 0.1f, 0, 255);
	expect_invalid(&m, "activation qparams on a weight-only node", "tensor 'flatten.out' (entry 1): has qparams but no static or dynamic node uses it");

	fp8_conv(&m);
	m.t[1].qmin = -128;
	m.t[1].qmax = 127;
	expect_invalid(&m, "FP8 with an integer range", "tensor 'conv1.weight' (entry 1): qmin -128, qmax 127 in an fp8_e4m3fn tensor (expected 0 and 0");
	fp8_conv(&m);
	m.zps[0][0] = 3;
	expect_invalid(&m, "FP8 zero point", "tensor 'input' (entry 0): zero_point[0] is 3 (expected within [qmin, qmax] = [0, 0])");
	fp8_conv(&m);
	add_x(&m, 1, 0, 0, 0, 0.0f);
	m.x[0].n_codes = 36;
	m.x[0].codes = m.codes[0];
	m.codes[0][7] = 0x7f;
	expect_invalid(&m, "an FP8 NaN code", "tensor 'conv1.weight' (tensor_ext entry 0): code[7] is 127 (expected an fp8 bit pattern 0..255, not NaN or inf)");
	fp8_conv(&m);
	add_t(&m, "conv1.bias", QX_PLAN_INT32, 0, 4, 0.01f * 0.002f, INT32_MIN, INT32_MAX);
	expect_invalid(&m, "an int32 bias beside FP8", "tensor 'conv1.bias': bias of node 'conv1' has qparams but the node's input or weight is fp8");
	fp8_conv(&m);
	add_x(&m, 0, 4, 0, 0, 0.0f);
	expect_invalid(&m, "bits on FP8", "tensor 'input' (tensor_ext entry 0): bits 4 on a fp8_e4m3fn tensor");
	fp8_conv(&m);
	m.o[0].mode = 7;
	expect_invalid(&m, "an unknown mode", "node 'conv1' (op entry 0): mode 7 (expected 0 float, 1 static, 2 dynamic or 3 weight_only)");
}

/* ---- model size in bits ---- */
static void test_size(void)
{
	struct maker m;
	struct qx_quant_plan out;
	struct qx_error err = { 0 };
	int4_fc(&m);
	if (qx_plan_validate(&graph, &m.plan, NULL, &out, &err)) {
		ok(0, "size: %s", err.msg);
		return;
	}
	int64_t f32 = qx_graph_f32_bytes(&graph);
	/* fc.weight: 640 values x 4 bits = 320 bytes, 20 group scales (80), 10 zero points (40),
	 * instead of 2560 fp32 bytes; everything else stays fp32 */
	int64_t want = f32 - 2560 + 320 + 80 + 40;
	int64_t got = qx_plan_model_bytes(&graph, &out);
	ok(got == want, "size: int4 per-group fc.weight counts 4 bits a weight + group scales: %lld "
	   "bytes (expected %lld, fp32 %lld)", (long long)got, (long long)want, (long long)f32);
	qx_quant_plan_free(&out);
	fp8_conv(&m);
	if (qx_plan_validate(&graph, &m.plan, NULL, &out, &err)) {
		ok(0, "size: %s", err.msg);
		return;
	}
	/* conv1.weight: 36 bytes + 4 scales (16), no zero points; input and conv1.out: a scale each */
	want = f32 - 144 + 36 + 16 + 4 + 4;
	got = qx_plan_model_bytes(&graph, &out);
	ok(got == want, "size: FP8 conv1.weight 8 bits a weight + scales only: %lld (expected %lld)",
	   (long long)got, (long long)want);
	qx_quant_plan_free(&out);
}

/* ---- simulation: hand-worked values ---- */
static void test_by_hand(void)
{
	/* w [2][4], groups of 2 along the rows, int4 (-8..7), scales chosen by hand */
	float data[8] = { 0.34f, -0.5f, 0.13f, 0.2f, 1.0f, -3.0f, 0.4f, -0.0625f };
	float gs[4] = { 0.1f, 0.05f, 0.25f, 0.125f }, cs[2] = { 0.1f, 0.25f };
	int32_t zp[2] = { 0, 0 };
	struct qx_tensor t = { .ndim = 2, .dims = { 2, 4 }, .is_const = 1, .data = data };
	struct qx_tensor_qparams q = { .dtype = QX_PLAN_INT8, .symmetric = 1, .axis = 0,
	                               .n_channels = 2, .qmin = -8, .qmax = 7, .scales = cs,
	                               .zero_points = zp, .bits = 4, .group_size = 2, .groups = 2,
	                               .group_scales = gs };
	qx_fake_quantize_constant(&t, &q);
	/* 3.4 -> 3, -5, 2.6 -> 3, 4, 4, -12 -> -8 (clamped), 3.2 -> 3, -0.5 -> 0 (tie to even);
	 * with the channel's first group scale everywhere, 0.13 and 0.4 would round otherwise */
	const float want[8] = { 3 * 0.1f, -5 * 0.1f, 3 * 0.05f, 4 * 0.05f, 4 * 0.25f, -8 * 0.25f,
	                        3 * 0.125f, 0.0f };
	int same = 1;
	for (int i = 0; i < 8; i++)
		same &= data[i] == want[i];
	ok(same, "by hand: int4 groups of 2: clamp at -8, tie -0.5 to 0, each group its own scale");
	float x[5] = { 1.1f, 300.0f, 1000.0f, -0.3f, NAN };
	qx_fake_quantize_fp8(x, 5, 1.0f, QX_PLAN_FP8_E4M3FN);
	float y[2] = { 1.1f, -1000.0f };
	qx_fake_quantize_fp8(y, 2, 2.0f, QX_PLAN_FP8_E4M3FN);
	ok(x[0] == 1.125f && x[1] == 288.0f && x[2] == 448.0f && x[3] == -0.3125f && isnan(x[4]) &&
	   y[0] == 1.125f && y[1] == -896.0f,
	   "by hand: e4m3fn scale 1: 1.1 -> 1.125, 300 -> 288, 1000 -> 448, -0.3 -> -0.3125, NaN; "
	   "scale 2: 1.1 -> 1.125, -1000 -> -896");
	int32_t codes[8] = { 1, -2, 3, -4, 5, -6, 7, -8 };
	q.codes = codes;
	q.n_codes = 8;
	qx_fake_quantize_constant(&t, &q);
	ok(data[0] == 0.1f && data[1] == -2 * 0.1f && data[2] == 3 * 0.05f && data[7] == -8 * 0.125f,
	   "by hand: the plugin's codes replace the rounded values (code x its group's scale)");
}

/* ---- simulation against PyTorch's per-group fake quantization ---- */
static float *read_floats(char *line, const char *tag, int64_t n)
{
	if (strncmp(line, tag, strlen(tag)) != 0)
		return NULL;
	float *v = malloc(sizeof *v * (size_t)n);
	char *p = line + strlen(tag), *end;
	for (int64_t i = 0; v && i < n; i++, p = end) {
		v[i] = strtof(p, &end);
		if (end == p) {
			free(v);
			return NULL;
		}
	}
	return v;
}

static void test_goldens(void)
{
	char path[1200];
	snprintf(path, sizeof path, "%s/tests/fixtures/int4_group_goldens.txt", tap_root());
	FILE *f = fopen(path, "r");
	if (!f) {
		ok(0, "%s: cannot open", path);
		return;
	}
	static char line[1 << 16], wl[1 << 16], sl[1 << 16], fl[1 << 16];
	int cases = 0;
	while (fgets(line, sizeof line, f)) {
		char name[64];
		int bits, group, axis, ndim;
		int64_t d[4] = { 1, 1, 1, 1 };
		if (sscanf(line, "case %63s bits %d group_size %d axis %d ndim %d dims %lld %lld %lld %lld",
		           name, &bits, &group, &axis, &ndim, (long long *)&d[0], (long long *)&d[1],
		           (long long *)&d[2], (long long *)&d[3]) < 6)
			continue;
		if (!fgets(wl, sizeof wl, f) || !fgets(sl, sizeof sl, f) || !fgets(fl, sizeof fl, f))
			break;
		int64_t numel = 1;
		for (int k = 0; k < ndim; k++)
			numel *= d[k];
		int64_t ch = d[axis], row = numel / ch, groups = (row + group - 1) / group;
		float *w = read_floats(wl, "w ", numel), *gs = read_floats(sl, "scales ", ch * groups);
		float *want = read_floats(fl, "fq ", numel), *orig = read_floats(wl, "w ", numel);
		float *cs = calloc((size_t)ch, sizeof *cs);
		int32_t *zp = calloc((size_t)ch, sizeof *zp);
		int good = w && gs && want && cs && zp && orig;
		/* the scales: max|w| / ((qmax - qmin) / 2) per group, as the plugin computes them */
		int32_t qmin = -(1 << (bits - 1)), qmax = (1 << (bits - 1)) - 1;
		int64_t inner = 1;
		for (int k = axis + 1; k < ndim; k++)
			inner *= d[k];
		float *mine = calloc((size_t)(ch * groups), sizeof *mine);
		for (int64_t i = 0; good && mine && i < numel; i++) {
			int64_t c = (i / inner) % ch, r = (i / (inner * ch)) * inner + i % inner;
			float *m = &mine[c * groups + r / group];
			*m = fabsf(w[i]) > *m ? fabsf(w[i]) : *m;
		}
		int same_scales = mine != NULL;
		for (int64_t k = 0; good && mine && k < ch * groups; k++) {
			mine[k] = mine[k] > 0 ? mine[k] / ((float)(qmax - qmin) / 2.0f) : 1.1920928955078125e-07f;
			same_scales &= mine[k] == gs[k];
			cs[k / groups] = gs[k] > cs[k / groups] ? gs[k] : cs[k / groups];
		}
		/* torch multiplies by 1 / scale where the host divides (docs/numerics.md): the two
		 * may round a value lying at a tie (x / s within 1e-5 of k + 0.5, as every group's
		 * largest magnitude is under max|w| / ((qmax - qmin) / 2)) one step apart. Every
		 * other value must be equal. */
		int same = 0, ties = 0;
		int64_t first = -1;
		if (good) {
			struct qx_tensor t = { .ndim = ndim, .is_const = 1, .data = w };
			memcpy(t.dims, d, sizeof d);
			struct qx_tensor_qparams q = { .dtype = QX_PLAN_INT8, .symmetric = 1,
			                               .axis = axis, .n_channels = (int)ch, .qmin = qmin,
			                               .qmax = qmax, .scales = cs, .zero_points = zp,
			                               .bits = bits, .group_size = group,
			                               .groups = groups, .group_scales = gs };
			qx_fake_quantize_constant(&t, &q);
			same = 1;
			for (int64_t i = 0; i < numel; i++) {
				if (w[i] == want[i])
					continue;
				int64_t c = (i / inner) % ch, r = (i / (inner * ch)) * inner + i % inner;
				float s = gs[c * groups + r / group];
				double v = (double)orig[i] / (double)s;
				int tie = fabs(fabs(v - floor(v)) - 0.5) < 1e-5 &&
				          fabs((double)w[i] - (double)want[i]) <= (double)s * 1.0001;
				ties += tie;
				if (!tie && first < 0) {
					first = i;
					same = 0;
				}
			}
		}
		ok(good && same_scales && same, "golden %s (%d bits, groups of %d, axis %d): scales "
		   "and every value as torch.fake_quantize_per_channel_affine on the groups (%d "
		   "rounding ties one step apart)", name, bits, group, axis, ties);
		if (first >= 0)
			diag("value %lld: %.9g (torch %.9g)", (long long)first, (double)w[first],
			     (double)want[first]);
		free(w);
		free(gs);
		free(want);
		free(orig);
		free(cs);
		free(zp);
		free(mine);
		cases++;
	}
	fclose(f);
	ok(cases == 5, "%d golden cases read from %s", cases, path);
}

/* ---- a whole weight-only plan: the simulation is fp32 on quantized-dequantized weights ---- */
static void test_weight_only_model(void)
{
	struct maker m;
	struct qx_quant_plan plan;
	struct qx_error err = { 0 };
	int4_fc(&m);
	/* realistic scales: max|w| of each group / 7.5 */
	const struct qx_tensor *fw = &graph.tensors[T("fc.weight")];
	for (int c = 0; c < 10; c++) {
		m.scales[0][c] = 0.0f;
		for (int g = 0; g < 2; g++) {
			float mx = 0.0f;
			for (int k = 0; k < 32; k++)
				mx = fmaxf(mx, fabsf(fw->data[c * 64 + g * 32 + k]));
			m.gscales[0][c * 2 + g] = mx / 7.5f;
			m.scales[0][c] = fmaxf(m.scales[0][c], mx / 7.5f);
		}
	}
	int rc = qx_plan_validate(&graph, &m.plan, NULL, &plan, &err);
	struct qx_graph ref;
	memset(&ref, 0, sizeof ref);
	if (!rc)
		rc = qx_graph_clone(&graph, &ref, &err);
	if (!rc) {
		/* fc.weight by hand: row-major [10][64], group = column / 32 */
		struct qx_tensor *w = &ref.tensors[T("fc.weight")];
		for (int i = 0; i < 640; i++) {
			float s = m.gscales[0][(i / 64) * 2 + (i % 64) / 32];
			float q = nearbyintf(w->data[i] / s);
			w->data[i] = fminf(fmaxf(q, -8.0f), 7.0f) * s;
		}
	}
	struct qx_refsim *sim = NULL;
	struct qx_exec_f32 *f = NULL;
	const struct qx_kernels *k = qx_kernels_get(QX_KSET_SCALAR);
	if (!rc)
		rc = qx_refsim_create(&graph, &plan, BATCH, k, &sim, &err);
	if (!rc)
		rc = qx_exec_f32_create(&ref, BATCH, k, &f, &err);
	float in[BATCH * 64];
	for (int i = 0; i < BATCH * 64; i++)
		in[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
	const float *inputs[1] = { in };
	if (!rc)
		rc = qx_refsim_run(sim, inputs, &err);
	if (!rc)
		rc = qx_exec_f32_run(f, inputs, &err);
	int same = !rc;
	for (int i = 0; !rc && i < BATCH * 10; i++)
		same &= qx_refsim_output(sim, 0)[i] == qx_exec_f32_tensor(f, ref.outputs[0])[i];
	int moved = 0;
	for (int i = 0; !rc && i < 640; i++)
		moved += ref.tensors[T("fc.weight")].data[i] != graph.tensors[T("fc.weight")].data[i];
	ok(same && moved > 0, "weight-only int4 plan: the simulation's logits equal fp32 on the "
	   "hand-quantized weights, bit for bit (%d of 640 weights moved)%s%s", moved,
	   rc ? ": " : "", rc ? err.msg : "");
	struct qx_exec_q8 *q = NULL;
	rc = rc ? rc : qx_exec_q8_create(&graph, &plan, BATCH, k, &q, &err);
	ok(rc == QX_EUNSUPPORTED && contains(err.msg, "no int8 kernel runs it"),
	   "the int8 executor refuses a simulated plan: %s", err.msg);
	qx_exec_q8_free(q);
	qx_refsim_free(sim);
	qx_exec_f32_free(f);
	qx_graph_free(&ref);
	qx_quant_plan_free(&plan);
}

/* ---- codes a plugin rounded itself, on the int8 kernels ---- */
static void test_codes_int8(void)
{
	struct qx_exec_f32 *f = NULL;
	struct qx_error err = { 0 };
	const struct qx_kernels *k = qx_kernels_get(QX_KSET_SCALAR);
	struct qx_quant_plan plan;
	int rc = qx_exec_f32_create(&graph, BATCH, k, &f, &err);
	float in[BATCH * 64];
	for (int i = 0; i < BATCH * 64; i++)
		in[i] = (float)((i * 53) % 97) / 48.0f - 1.0f;
	const float *inputs[1] = { in };
	if (!rc)
		rc = qx_exec_f32_run(f, inputs, &err);
	if (!rc && test_plan_make(&graph, f, &plan, 0))
		rc = QX_ENOMEM;
	if (rc) {
		ok(0, "codes: %s", err.msg);
		qx_exec_f32_free(f);
		return;
	}
	/* AdaRound-style: conv1's weight rounded up everywhere instead of to nearest */
	int w = T("conv1.weight");
	struct qx_tensor_qparams *wq = &plan.tensor[w];
	const struct qx_tensor *wt = &graph.tensors[w];
	wq->n_codes = qx_tensor_numel(wt);
	wq->codes = malloc(sizeof *wq->codes * (size_t)wq->n_codes);
	for (int64_t i = 0; i < wq->n_codes; i++) {
		float s = wq->scales[wq->axis < 0 ? 0 : i / 9];
		wq->codes[i] = (int32_t)fminf(ceilf(wt->data[i] / s), (float)wq->qmax);
	}
	struct qx_exec_q8 *q = NULL;
	struct qx_refsim *sim = NULL;
	rc = qx_exec_q8_create(&graph, &plan, BATCH, k, &q, &err);
	if (!rc)
		rc = qx_refsim_create(&graph, &plan, BATCH, k, &sim, &err);
	if (!rc)
		rc = qx_exec_q8_run(q, inputs, &err);
	if (!rc)
		rc = qx_refsim_run(sim, inputs, &err);
	struct qx_refsim_local *acc = calloc((size_t)graph.n_tensors, sizeof *acc);
	if (!rc)
		rc = qx_refsim_check_local(sim, q, acc, &err);
	int64_t unexplained = 0, values = 0;
	for (int t = 0; t < graph.n_tensors && acc; t++) {
		unexplained += acc[t].unexplained;
		values += acc[t].values;
	}
	ok(!rc && values > 0 && unexplained == 0, "codes on the int8 kernels: every int8 node agrees "
	   "with the simulation using the same codes (%lld values, %lld unexplained)%s%s",
	   (long long)values, (long long)unexplained, rc ? ": " : "", rc ? err.msg : "");
	/* without the codes the conv's output differs: the codes were used */
	struct qx_exec_q8 *q0 = NULL;
	int32_t *codes = wq->codes;
	wq->codes = NULL;
	int differs = 0;
	if (!rc && !qx_exec_q8_create(&graph, &plan, BATCH, k, &q0, &err) &&
	    !qx_exec_q8_run(q0, inputs, &err)) {
		int c = T("conv1.out");
		int64_t nc = qx_tensor_numel(&graph.tensors[c]);
		float *a = malloc(sizeof *a * (size_t)nc), *b = malloc(sizeof *b * (size_t)nc);
		if (a && b && !qx_exec_q8_read_int8(q, c, a) && !qx_exec_q8_read_int8(q0, c, b))
			for (int64_t i = 0; i < nc; i++)
				differs += a[i] != b[i];
		free(a);
		free(b);
	}
	wq->codes = codes;
	ok(differs > 0, "codes on the int8 kernels: %d conv1 outputs differ from the host's own "
	   "rounding", differs);
	free(acc);
	qx_exec_q8_free(q);
	qx_exec_q8_free(q0);
	qx_refsim_free(sim);
	qx_exec_f32_free(f);
	test_plan_free(&plan);
}

/* ---- plan.json keeps bits, groups, codes and the simulated mark ---- */
static void test_plan_file(void)
{
	struct maker m;
	struct qx_quant_plan a, b;
	struct qx_error err = { 0 };
	int4_fc(&m);
	m.x[0].n_codes = 640;
	m.x[0].codes = m.codes[0];
	for (int i = 0; i < 640; i++)
		m.codes[0][i] = i % 16 - 8;
	char dir[] = "/tmp/qx-formats-XXXXXX", path[64];
	if (!mkdtemp(dir) || qx_plan_validate(&graph, &m.plan, NULL, &a, &err)) {
		ok(0, "plan.json: %s", err.msg);
		return;
	}
	snprintf(path, sizeof path, "%s/plan.json", dir);
	struct qx_plan_origin o = { .label = "int4", .name = "int4", .abi_major = 1, .abi_minor = 3 };
	int rc = qx_plan_file_write(&o, &graph, &a, path, &err);
	if (!rc)
		rc = qx_plan_file_read(path, &graph, &b, &err);
	int w = T("fc.weight");
	ok(!rc && b.simulated && b.tensor[w].bits == 4 && b.tensor[w].group_size == 32 &&
	   b.tensor[w].n_codes == 640 && b.tensor[w].codes[17] == 17 % 16 - 8 &&
	   memcmp(b.tensor[w].group_scales, a.tensor[w].group_scales, 20 * sizeof(float)) == 0 &&
	   b.node[3].mode == QX_MODE_WEIGHT_ONLY,
	   "plan.json: written and read back with bits, group scales, codes, weight_only mode%s%s",
	   rc ? ": " : "", rc ? err.msg : "");
	if (!rc)
		qx_quant_plan_free(&b);
	qx_quant_plan_free(&a);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	tap_plan(0);
	struct qx_error err = { 0 };
	if (qx_tiny_model_build(&graph, &err)) {
		ok(0, "tiny model: %s", err.msg);
		return tap_done();
	}
	/* the simulation runs batches of BATCH */
	for (int t = 0; t < graph.n_tensors; t++)
		if (!graph.tensors[t].is_const)
			graph.tensors[t].dims[0] = BATCH;
	test_validate();
	test_size();
	test_by_hand();
	test_goldens();
	test_weight_only_model();
	test_codes_int8();
	test_plan_file();
	qx_graph_free(&graph);
	return tap_done();
}
