/* The plugin host: loading, ABI checks, isolation (crash, hang, exit, errors), plan validation,
 * the JSON reply round trip and plan.json, on a tiny model the test builds itself.
 *
 * The faulty plugins are in tests/plugins/ (built to $QX_BUILD/tests/plugins/<name>.so); each
 * run must end in one line naming the plugin and the fault, and the good plugin must still
 * produce the same plan afterwards in the same process. */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec_f32.h"
#include "plugin/host.h"
#include "plan/plan_json.h"
#include "plugin/tiny_model.h"
#include "plan/validate.h"
#include "qx/plugin.h"
#include "suite/sweep.h"
#include "qx/qparams.h"
#include "support/tap.h"

#define N_IMAGES 20
#define BATCH 8

static struct qx_graph graph;
static struct qx_dataset images;
static struct qx_preprocess pp = { .scale = 1.0f / 255, .divisor = 255.0f, .n_channels = 1,
                                   .mean = { 0 }, .std = { 1 } };

static char *plugin_path(const char *name)
{
	static char buf[8][1024];
	static int next;
	char *p = buf[next++ % 8];
	snprintf(p, 1024, "%s/tests/plugins/%s.so", tap_build(), name);
	return p;
}

static int run_plugin(const char *name, double timeout, int64_t count,
                      const struct qx_suite_option *opts, int n_opts,
                      struct qx_plugin_result *res, struct qx_error *err)
{
	struct qx_suite_plugin spec = { .label = (char *)name, .path = plugin_path(name),
	                                .options = (struct qx_suite_option *)opts,
	                                .n_options = n_opts, .timeout_s = timeout };
	struct qx_plugin_calib calib = { .images = &images, .pp = &pp, .first = 0, .count = count,
	                                 .batch = BATCH };
	memset(err, 0, sizeof *err);
	return qx_plugin_run(&spec, &graph, &calib, res, err);
}

static int contains(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

/* The fault plugins: each message must name the plugin (label and path) and the fault. */
static void test_faults(void)
{
	static const struct {
		const char *name;
		enum qx_plugin_fault kind;
		const char *fault, *fault2;
	} cases[] = {
		{ "newer-major", QX_PLUGIN_LOAD_FAILED, "built for plugin ABI 2.3",
		  "this qx-bench has ABI 1.3" },
		{ "newer-minor", QX_PLUGIN_LOAD_FAILED, "built for plugin ABI 1.4",
		  "expected ABI 1.x with x <= 3" },
		{ "bad-struct-size", QX_PLUGIN_LOAD_FAILED, "struct_size 8", "for ABI 1.3" },
		{ "no-entry", QX_PLUGIN_LOAD_FAILED, "no entry point",
		  "undefined symbol: qx_plugin_entry" },
		{ "zero-scale", QX_PLUGIN_INVALID_PLAN, "invalid plan",
		  "scale[0] is 0 (expected a finite value > 0)" },
		{ "nan-scale", QX_PLUGIN_INVALID_PLAN, "invalid plan",
		  "is nan (expected a finite value > 0)" },
		{ "calib-error", QX_PLUGIN_RETURNED_ERROR, "calibrate (batch 1 of 3) failed",
		  "simulated failure on batch 1" },
		{ "segv", QX_PLUGIN_CRASHED, "crashed with SIGSEGV",
		  "during calibrate (batch 0 of 3)" },
		{ "hang", QX_PLUGIN_HUNG, "hung: no plan after 0.5 s",
		  "during calibrate (batch 0 of 3)" },
		{ "exit3", QX_PLUGIN_EXITED, "exited with status 3", "during prepare" },
		{ "bad-decl", QX_PLUGIN_LOAD_FAILED, "option declaration 'level': its default does "
		  "not pass its own check", "option 'level': '2' is out of range (expected an integer "
		  "from 0 to 1)" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct qx_plugin_result res;
		struct qx_error err;
		int rc = run_plugin(cases[i].name, 0.5, N_IMAGES, NULL, 0, &res, &err);
		char prefix[1200];
		snprintf(prefix, sizeof prefix, "plugin '%s' (%s): ", cases[i].name,
		         plugin_path(cases[i].name));
		ok(rc == QX_EPLUGIN && res.fault == cases[i].kind &&
		   strncmp(err.msg, prefix, strlen(prefix)) == 0 &&
		   contains(err.msg, cases[i].fault) && contains(err.msg, cases[i].fault2) &&
		   !strchr(err.msg, '\n'),
		   "%s: one line naming the plugin and the fault", cases[i].name);
		diag("%s", err.msg);
		qx_plugin_result_free(&res);
	}
}

/* Reference qparams: the fp32 executor's activations over the same images, through
 * qx_calculate_qparams (itself checked against torch in test_qparams). */
static int reference_input_qparams(int tensor, float *scale, int32_t *zp)
{
	struct qx_graph g;
	struct qx_error err = { 0 };
	if (qx_tiny_model_build(&g, &err))
		return -1;
	struct qx_exec_f32 *e;
	if (qx_exec_f32_create(&g, N_IMAGES, qx_kernels_get(QX_KSET_SCALAR), &e, &err)) {
		diag("fp32 executor: %s", err.msg);
		qx_graph_free(&g);
		return -1;
	}
	float *in = malloc(sizeof *in * N_IMAGES * 64);
	qx_dataset_preprocess(&images, &pp, 0, N_IMAGES, in);
	const float *inputs[1] = { in };
	int rc = qx_exec_f32_run(e, inputs, &err);
	if (!rc) {
		float lo = QX_MINMAX_EMPTY_MIN, hi = QX_MINMAX_EMPTY_MAX;
		qx_minmax_update(qx_exec_f32_tensor(e, tensor),
		                 qx_tensor_numel(&qx_exec_f32_graph(e)->tensors[tensor]),
		                 &lo, &hi);
		struct qx_qscheme qs = { .dtype = QX_PLAN_UINT8, .qmin = 0, .qmax = 255 };
		rc = qx_calculate_qparams(lo, hi, &qs, scale, zp);
	}
	free(in);
	qx_exec_f32_free(e);
	qx_graph_free(&g);
	return rc;
}

static int same_plan(const struct qx_quant_plan *a, const struct qx_quant_plan *b)
{
	if (a->n_tensors != b->n_tensors || a->n_nodes != b->n_nodes)
		return 0;
	for (int t = 0; t < a->n_tensors; t++) {
		const struct qx_tensor_qparams *x = &a->tensor[t], *y = &b->tensor[t];
		if (x->dtype != y->dtype || x->n_channels != y->n_channels)
			return 0;
		if (x->dtype != QX_PLAN_FLOAT &&
		    (memcmp(x->scales, y->scales, sizeof *x->scales * (size_t)x->n_channels) ||
		     memcmp(x->zero_points, y->zero_points,
		            sizeof *x->zero_points * (size_t)x->n_channels)))
			return 0;
	}
	for (int n = 0; n < a->n_nodes; n++)
		if (a->node[n].mode != b->node[n].mode)
			return 0;
	return 1;
}

static void check_good_plan(const struct qx_plugin_result *res)
{
	const struct qx_quant_plan *p = &res->plan;
	int in = qx_graph_find_tensor(&graph, "input");
	int conv_out = qx_graph_find_tensor(&graph, "conv1.out");
	int pool_out = qx_graph_find_tensor(&graph, "pool1.out");
	int flat_out = qx_graph_find_tensor(&graph, "flatten.out");
	int w1 = qx_graph_find_tensor(&graph, "conv1.weight");
	int b1 = qx_graph_find_tensor(&graph, "conv1.bias");
	ok(res->name && !strcmp(res->name, "good") && res->version &&
	   !strcmp(res->version, "1.0.0") && res->abi_major == 1 && res->abi_minor == QX_ABI_MINOR,
	   "good: metadata and ABI reach the parent (%s %s, ABI %u.%u)", res->name,
	   res->version, res->abi_major, res->abi_minor);
	ok(res->calib_images == N_IMAGES && res->calib_batches == 3,
	   "good: calibrated on %d images in 3 batches (got %lld in %d)", N_IMAGES,
	   (long long)res->calib_images, res->calib_batches);
	int all_static = 1;
	for (int n = 0; n < p->n_nodes; n++)
		all_static = all_static && p->node[n].mode == QX_MODE_STATIC;
	ok(all_static, "good: every node of the tiny model is static");
	ok(p->tensor[w1].dtype == QX_PLAN_INT8 && p->tensor[w1].zero_points[0] == 0 &&
	   p->tensor[b1].dtype == QX_PLAN_FLOAT,
	   "good: conv weight int8 symmetric, bias left to the harness");
	ok(p->tensor[pool_out].copied_from == conv_out && p->tensor[flat_out].copied_from == pool_out &&
	   p->tensor[flat_out].scales[0] == p->tensor[conv_out].scales[0],
	   "good: MaxPool and Flatten outputs take their inputs' qparams");
	float s_in, s_conv;
	int32_t z_in, z_conv;
	if (reference_input_qparams(in, &s_in, &z_in) || reference_input_qparams(conv_out, &s_conv,
	                                                                          &z_conv)) {
		tap_skip(1, "fp32 executor not usable");
		return;
	}
	ok(p->tensor[in].scales[0] == s_in && p->tensor[in].zero_points[0] == z_in &&
	   p->tensor[conv_out].scales[0] == s_conv && p->tensor[conv_out].zero_points[0] == z_conv,
	   "good: activation qparams equal MinMax over the fp32 activations of all %d images "
	   "(input %.9g/%d, conv1.out %.9g/%d)", N_IMAGES, (double)s_in, (int)z_in, (double)s_conv,
	   (int)z_conv);
}

static void test_runs(void)
{
	struct qx_plugin_result first, again, res;
	struct qx_error err;
	int rc = run_plugin("good", 30, N_IMAGES, NULL, 0, &first, &err);
	if (!ok(rc == 0, "good plugin produces a valid plan")) {
		diag("%s", err.msg);
		tap_skip(6, "no plan");
	} else {
		check_good_plan(&first);
	}
	test_faults();
	rc = run_plugin("good", 30, N_IMAGES, NULL, 0, &again, &err);
	ok(rc == 0 && same_plan(&first.plan, &again.plan),
	   "after every fault, the good plugin still gives the same plan in the same process");

	struct qx_suite_option bogus = { .key = "bogus", .value = "1" };
	rc = run_plugin("good", 30, N_IMAGES, &bogus, 1, &res, &err);
	ok(rc == QX_EPLUGIN && res.fault == QX_PLUGIN_RETURNED_ERROR &&
	   !strcmp(res.stage, "create") && res.bad_option == 0 &&
	   contains(err.msg, "plugin 'good' (") &&
	   contains(err.msg, "create failed: unknown option 'bogus'"),
	   "an unknown option is the plugin's error from create");
	diag("%s", err.msg);
	qx_plugin_result_free(&res);

	struct qx_suite_option rr = { .key = "reduce_range", .value = "true" };
	rc = run_plugin("good", 30, N_IMAGES, &rr, 1, &res, &err);
	int in = qx_graph_find_tensor(&graph, "input");
	ok(rc == 0 && res.plan.tensor[in].qmax == 127, "options reach the plugin (reduce_range: "
	   "qmax %d)", rc ? -1 : res.plan.tensor[in].qmax);
	qx_plugin_result_free(&res);

	rc = run_plugin("good", 30, 0, NULL, 0, &res, &err);
	ok(rc == 0 && res.calib_batches == 0 && res.plan.tensor[in].scales[0] == 1.0f &&
	   res.plan.tensor[in].zero_points[0] == 0,
	   "zero calibration images: no calibrate call, PyTorch's default qparams 1.0 / 0");
	qx_plugin_result_free(&res);

	/* plan.json */
	char dir[] = "/tmp/qx-plugin-host-XXXXXX";
	if (rc == 0 && mkdtemp(dir)) {
		char path[256];
		snprintf(path, sizeof path, "%s/plan.json", dir);
		rc = qx_plan_write_json(&first, &graph, path, &err);
		json_error_t jerr;
		json_t *root = rc ? NULL : json_load_file(path, 0, &jerr);
		json_t *tensors = json_object_get(root, "tensors");
		int found = 0;
		size_t i;
		json_t *t;
		json_array_foreach(tensors, i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));
			int idx = name ? qx_graph_find_tensor(&graph, name) : -1;
			json_t *s = json_array_get(json_object_get(t, "scales"), 0);
			if (idx >= 0 && s &&
			    (float)json_real_value(s) == first.plan.tensor[idx].scales[0] &&
			    json_integer_value(json_array_get(json_object_get(t, "zero_points"), 0)) ==
			    first.plan.tensor[idx].zero_points[0])
				found++;
		}
		/* tensors in graph order: input, conv1.weight, conv1.out, ... */
		const char *prod = json_string_value(json_object_get(json_array_get(tensors, 2),
		                                                     "producer"));
		ok(root && found == (int)json_array_size(tensors) && found == 9 &&
		   json_array_size(json_object_get(root, "nodes")) == 5 && prod &&
		   !strcmp(prod, "conv1"),
		   "plan.json: 9 quantized tensors by name (2 copied) with scales and zero points "
		   "bit-exact, producers by node name, 5 nodes");
		json_decref(root);
		unlink(path);
		rmdir(dir);
	} else {
		ok(0, "plan.json written");
	}
	qx_plugin_result_free(&first);
	qx_plugin_result_free(&again);
}

static void test_find(void)
{
	char dir[1100];
	snprintf(dir, sizeof dir, "/nonexistent:%s/tests/plugins", tap_build());
	setenv("QX_PLUGIN_PATH", dir, 1);
	struct qx_suite_plugin spec = { .label = "g", .name = "good", .timeout_s = 5 };
	char *path = NULL;
	struct qx_error err = { 0 };
	int rc = qx_plugin_find(&spec, &path, &err);
	ok(rc == 0 && path && !strcmp(path, plugin_path("good")),
	   "found by name through QX_PLUGIN_PATH (%s)", path ? path : err.msg);
	free(path);
	spec.name = "no-such-plugin";
	rc = qx_plugin_find(&spec, &path, &err);
	ok(rc == QX_ENOENT && contains(err.msg, "plugin 'g': no no-such-plugin.so in /nonexistent, ") &&
	   contains(err.msg, "/plugins"), "a missing plugin lists where it was looked for");
	diag("%s", err.msg);
	spec.name = "../good";
	rc = qx_plugin_find(&spec, &path, &err);
	ok(rc == QX_EINVAL, "a name with a path in it is refused");
	unsetenv("QX_PLUGIN_PATH");
}

/* ---- validation of hand-made plans ---- */

struct plan_maker {
	struct qx_plan_tensor t[16];
	struct qx_plan_op op[8];
	float s[16][16];
	int32_t z[16][16];
	struct qx_plan plan;
};

static void add_t(struct plan_maker *m, const char *name, int dtype, int axis, int n, float scale,
                  int zp, int qmin, int qmax)
{
	int e = m->plan.n_tensors++;
	for (int k = 0; k < n; k++) {
		m->s[e][k] = scale * (float)(k + 1);
		m->z[e][k] = zp;
	}
	m->t[e] = (struct qx_plan_tensor){ .tensor = qx_graph_find_tensor(&graph, name),
	                                   .dtype = dtype, .symmetric = dtype != QX_PLAN_UINT8,
	                                   .axis = axis, .n_channels = n, .qmin = qmin,
	                                   .qmax = qmax, .scales = m->s[e], .zero_points = m->z[e] };
	m->plan.tensors = m->t;
}

static void add_op(struct plan_maker *m, int node, int mode, int lo, int hi)
{
	m->op[m->plan.n_ops++] = (struct qx_plan_op){ node, mode, lo, hi };
	m->plan.ops = m->op;
}

/* A valid all-static plan of the tiny model: conv per-channel weights, the Gemms per-tensor.
 * Entries: 0 input, 1 conv1.weight, 2 conv1.out, 3 fc.weight, 4 fc.out, 5 fc2.weight,
 * 6 logits. Nodes: 0 conv1, 1 pool1, 2 flatten, 3 fc, 4 fc2. */
static void valid_plan(struct plan_maker *m)
{
	memset(m, 0, sizeof *m);
	for (int n = 0; n < 5; n++)
		add_op(m, n, QX_MODE_STATIC, 0, 0);
	add_t(m, "input", QX_PLAN_UINT8, -1, 1, 1.0f / 255, 0, 0, 255);
	add_t(m, "conv1.weight", QX_PLAN_INT8, 0, 4, 0.004f, 0, -128, 127);
	add_t(m, "conv1.out", QX_PLAN_UINT8, -1, 1, 0.02f, 0, 0, 255);
	add_t(m, "fc.weight", QX_PLAN_INT8, -1, 1, 0.002f, 0, -127, 127);
	add_t(m, "fc.out", QX_PLAN_UINT8, -1, 1, 0.05f, 0, 0, 255);
	add_t(m, "fc2.weight", QX_PLAN_INT8, -1, 1, 0.003f, 0, -128, 127);
	add_t(m, "logits", QX_PLAN_UINT8, -1, 1, 0.1f, 128, 0, 255);
}

static void expect_invalid(struct plan_maker *m, const char *what, const char *part)
{
	struct qx_quant_plan out;
	struct qx_error err = { 0 };
	int rc = qx_plan_validate(&graph, &m->plan, NULL, &out, &err);
	ok(rc == QX_EPLUGIN && contains(err.msg, part), "invalid plan: %s", what);
	diag("%s", err.msg);
	if (!rc)
		qx_quant_plan_free(&out);
}

static void test_validate(void)
{
	struct plan_maker m;
	struct qx_quant_plan out;
	struct qx_error err = { 0 };
	valid_plan(&m);
	int rc = qx_plan_validate(&graph, &m.plan, NULL, &out, &err);
	int fw = qx_graph_find_tensor(&graph, "flatten.out");
	ok(rc == 0 && out.tensor[fw].copied_from >= 0 && out.tensor[fw].scales[0] == 0.02f,
	   "a valid hand-made plan passes; Flatten's output gets conv1.out's qparams");
	if (rc)
		diag("%s", err.msg);
	else
		qx_quant_plan_free(&out);

	valid_plan(&m);
	m.t[0].tensor = 99;
	expect_invalid(&m, "tensor index out of range", "tensor entry 0: tensor index 99 is out of range (expected 0..11)");
	valid_plan(&m);
	m.t[1].axis = 0;
	m.t[1].n_channels = 1;
	expect_invalid(&m, "channel count vs axis", "'conv1.weight' (entry 1): n_channels 1 (expected 4: the size of the axis)");
	valid_plan(&m);
	m.t[1].axis = 1;
	expect_invalid(&m, "channel count vs shape", "'conv1.weight' (entry 1): n_channels 4 (expected 1: the size of the axis)");
	valid_plan(&m);
	m.t[1].axis = 2;
	m.t[1].n_channels = 3;
	expect_invalid(&m, "per-channel weight on the wrong axis", "'conv1.weight': weight of node 'conv1' is per-channel along axis 2 (expected -1 per-tensor, or the output-channel axis 0)");
	valid_plan(&m);
	m.s[2][0] = -0.5f;
	expect_invalid(&m, "negative scale", "'conv1.out' (entry 2): scale[0] is -0.5");
	valid_plan(&m);
	m.s[1][2] = INFINITY;
	expect_invalid(&m, "infinite scale", "scale[2] is inf");
	valid_plan(&m);
	m.z[0][0] = 300;
	expect_invalid(&m, "zero point out of [qmin, qmax]", "zero_point[0] is 300 (expected within [qmin, qmax] = [0, 255])");
	valid_plan(&m);
	m.t[0].qmax = 256;
	expect_invalid(&m, "qmax outside uint8", "qmin 0, qmax 256 (expected 0 <= qmin < qmax <= 255 for uint8)");
	valid_plan(&m);
	m.t[3].symmetric = 0;
	m.z[3][0] = 3;
	expect_invalid(&m, "weight with a zero point", "weight zero_point[0] is 3 (expected 0");
	valid_plan(&m);
	m.t[0].dtype = QX_PLAN_INT8;
	m.t[0].qmin = -128;
	m.t[0].qmax = 127;
	m.t[0].symmetric = 0;
	expect_invalid(&m, "int8 activation", "activation of static node 'conv1' is int8 (expected uint8 or fp8, per-tensor)");
	valid_plan(&m);
	m.plan.n_tensors = 6; /* drop logits */
	expect_invalid(&m, "static output without qparams", "'logits': activation of static node 'fc2' has no qparams");
	valid_plan(&m);
	add_t(&m, "pool1.out", QX_PLAN_UINT8, -1, 1, 0.5f, 0, 0, 255);
	expect_invalid(&m, "MaxPool output with other qparams", "output of MaxPool node 'pool1' has qparams different from its input 'conv1.out'");
	valid_plan(&m);
	m.op[0].mode = QX_MODE_DYNAMIC;
	expect_invalid(&m, "dynamic Conv", "node 'conv1' (Conv, op entry 0): mode dynamic is not supported for this node (expected float, static or weight_only)");
	valid_plan(&m);
	m.op[3] = (struct qx_plan_op){ 3, QX_MODE_DYNAMIC, 0, 300 };
	expect_invalid(&m, "dynamic range outside uint8", "dynamic range 0..300");
	valid_plan(&m);
	m.op[1].node = 0;
	expect_invalid(&m, "a node listed twice", "node 'conv1' (op entry 1): listed twice");
	valid_plan(&m);
	m.t[4].tensor = m.t[2].tensor;
	expect_invalid(&m, "a tensor listed twice", "'conv1.out' (entry 4): listed twice, also as entry 2");
	valid_plan(&m);
	m.plan.n_ops = 3; /* fc and fc2 float: their weights are then unused */
	expect_invalid(&m, "qparams on a tensor no quantized node uses", "'fc.weight' (entry 3): has qparams but no static or dynamic node uses it");
	valid_plan(&m);
	m.t[0].dtype = 7;
	expect_invalid(&m, "unknown dtype", "dtype 7 (expected uint8 (1), int8 (2), int32 (3), fp8_e4m3fn (4) or fp8_e5m2 (5))");

	/* Bias: optional, but when listed it must be in_scale * w_scale[c], zero point 0. */
	valid_plan(&m);
	add_t(&m, "conv1.bias", QX_PLAN_INT32, 0, 4, 0.0f, 0, INT32_MIN, INT32_MAX);
	for (int k = 0; k < 4; k++)
		m.s[7][k] = m.s[0][0] * m.s[1][k];
	rc = qx_plan_validate(&graph, &m.plan, NULL, &out, &err);
	ok(rc == 0, "an int32 bias at input_scale * weight_scale is accepted");
	if (!rc)
		qx_quant_plan_free(&out);
	m.s[7][2] *= 1.01f;
	expect_invalid(&m, "bias at another scale", "bias scale[2]");

	/* A dynamic fc before a static fc2: fc's input needs no qparams of its own (it is
	 * conv1.out's copy through pool1/flatten), fc.out is fc2's input. */
	valid_plan(&m);
	m.op[3] = (struct qx_plan_op){ 3, QX_MODE_DYNAMIC, 0, 127 };
	rc = qx_plan_validate(&graph, &m.plan, NULL, &out, &err);
	ok(rc == 0 && out.node[3].mode == QX_MODE_DYNAMIC && out.node[3].dyn_qmax == 127 &&
	   out.node[4].mode == QX_MODE_STATIC,
	   "a dynamic Gemm followed by a static one is accepted");
	if (rc)
		diag("%s", err.msg);
	else
		qx_quant_plan_free(&out);
	/* Both Gemms dynamic: weights only, no activation qparams after flatten. */
	valid_plan(&m);
	m.op[3] = (struct qx_plan_op){ 3, QX_MODE_DYNAMIC, 0, 127 };
	m.op[4] = (struct qx_plan_op){ 4, QX_MODE_DYNAMIC, 0, 255 };
	m.t[4] = m.t[5]; /* fc2.weight; drop fc.out and logits */
	m.plan.n_tensors = 5;
	rc = qx_plan_validate(&graph, &m.plan, NULL, &out, &err);
	ok(rc == 0 && out.node[3].mode == QX_MODE_DYNAMIC && out.node[4].dyn_qmax == 255 &&
	   out.tensor[qx_graph_find_tensor(&graph, "fc2.weight")].dtype == QX_PLAN_INT8,
	   "two dynamic Gemms with int8 weights and no activation qparams are accepted");
	if (rc)
		diag("%s", err.msg);
	else
		qx_quant_plan_free(&out);

	/* prepare's declared modes must match the plan's. */
	valid_plan(&m);
	int32_t modes[5] = { QX_MODE_STATIC, QX_MODE_STATIC, QX_MODE_STATIC, QX_MODE_DYNAMIC,
	                     QX_MODE_STATIC };
	rc = qx_plan_validate(&graph, &m.plan, modes, &out, &err);
	ok(rc == QX_EPLUGIN && contains(err.msg, "node 'fc': the plan makes it static but prepare "
	                                         "declared dynamic"),
	   "the plan must keep the modes prepare declared");
	if (!rc)
		qx_quant_plan_free(&out);
}

static void test_json(void)
{
	struct plan_maker m;
	valid_plan(&m);
	m.s[1][1] = NAN;
	m.s[1][2] = -INFINITY;
	m.s[2][0] = 1.17549435e-38f; /* smallest normal: 9 digits must bring it back */
	m.s[0][0] = 0.1f;
	int32_t modes[5] = { 1, 1, 1, 1, 1 };
	char *json = NULL;
	size_t len = 0;
	struct qx_error err = { 0 };
	struct qx_plan_buf b;
	int rc = qx_plan_json_encode(&m.plan, modes, 5, 20, 3, 0.25, &json, &len, &err);
	rc = rc ? rc : qx_plan_json_decode(json, len, &b, &err);
	int same = rc == 0 && b.plan.n_tensors == m.plan.n_tensors && b.plan.n_ops == 5 &&
	           b.n_node_modes == 5 && b.calib_images == 20 && b.calib_batches == 3 &&
	           b.calibrate_s == 0.25;
	for (int e = 0; same && e < m.plan.n_tensors; e++) {
		const struct qx_plan_tensor *x = &m.plan.tensors[e], *y = &b.plan.tensors[e];
		same = x->tensor == y->tensor && x->dtype == y->dtype && x->axis == y->axis &&
		       x->n_channels == y->n_channels && x->qmin == y->qmin && x->qmax == y->qmax &&
		       x->symmetric == y->symmetric;
		for (int k = 0; same && k < x->n_channels; k++)
			same = (isnan(x->scales[k]) ? isnan(y->scales[k])
			                            : memcmp(&x->scales[k], &y->scales[k], 4) == 0) &&
			       x->zero_points[k] == y->zero_points[k];
	}
	ok(same, "reply JSON round trip: every field, floats bit-exact, NaN and -inf kept");
	if (rc)
		diag("%s", err.msg);
	qx_plan_buf_free(&b);
	free(json);
	rc = qx_plan_json_decode("{\"tensors\": 3}", 14, &b, &err);
	ok(rc == QX_EINTERNAL && contains(err.msg, "plugin reply: reply.tensors is of the wrong type"),
	   "a malformed reply is an error, not a crash");
	qx_plan_buf_free(&b);
}

/* The value options_used records for key, or NULL. */
static const char *used(const struct qx_plugin_result *res, const char *key)
{
	for (int i = 0; i < res->n_options_used; i++)
		if (!strcmp(res->options_used[i].key, key))
			return res->options_used[i].value;
	return NULL;
}

/* Declared options (ABI minor 2): the host checks keys and values before create(), records the
 * options in effect with their defaults; a plugin of minor 1 still loads and parses its own. */
static void test_declared(void)
{
	struct qx_plugin_result res, good;
	struct qx_error err;
	int rc = run_plugin("declared", 10, N_IMAGES, NULL, 0, &res, &err);
	ok(rc == 0 && res.abi_minor == QX_ABI_MINOR && res.options_declared && res.n_options_used == 4 &&
	   !strcmp(used(&res, "reduce_range"), "false") && !strcmp(used(&res, "alpha"), "0.5") &&
	   !strcmp(used(&res, "count"), "3") && !strcmp(used(&res, "mode"), "fast") &&
	   !used(&res, "tag") && res.options_used[1].type == QX_OPTION_NUMBER,
	   "declared, no options: runs; options_used holds the 4 defaults, not the option without "
	   "one (%d used)", res.n_options_used);
	if (rc)
		diag("%s", err.msg);
	qx_plugin_result_free(&res);

	struct qx_suite_option given[] = { { .key = "alpha", .value = "0.25" },
	                                   { .key = "tag", .value = "x y" },
	                                   { .key = "reduce_range", .value = "true" } };
	rc = run_plugin("declared", 10, N_IMAGES, given, 3, &res, &err);
	ok(rc == 0 && res.n_options_used == 5 && !strcmp(used(&res, "alpha"), "0.25") &&
	   !strcmp(used(&res, "tag"), "x y") && !strcmp(used(&res, "reduce_range"), "true") &&
	   !strcmp(used(&res, "count"), "3"),
	   "declared, 3 options given: options_used holds them and the other defaults, in "
	   "declaration order");
	if (rc)
		diag("%s", err.msg);
	qx_plugin_result_free(&res);

	static const struct {
		const char *key, *value;
		int bad_key;
		const char *msg;
	} bad[] = {
		{ "alpha", "lots", 0, "option 'alpha': 'lots' is not a number (expected a number with "
		  "0 < value <= 1)" },
		{ "alpha", "0", 0, "option 'alpha': '0' is out of range (expected a number with 0 < "
		  "value <= 1)" },
		{ "count", "11", 0, "option 'count': '11' is out of range (expected an integer from 1 "
		  "to 10)" },
		{ "count", "2.5", 0, "option 'count': '2.5' is not an integer" },
		{ "mode", "slow", 0, "option 'mode': 'slow' is not a known value (expected one of: "
		  "fast, exact)" },
		{ "reduce_range", "yes", 0, "option 'reduce_range': 'yes' is not a boolean" },
		{ "alph", "0.5", 1, "unknown option 'alph' (did you mean 'alpha'? the plugin "
		  "declares: reduce_range, alpha, count, mode, tag)" },
		{ "zzz", "1", 1, "unknown option 'zzz' (expected one of: reduce_range, alpha, count, "
		  "mode, tag)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct qx_suite_option o[] = { { .key = "count", .value = "4" },
		                               { .key = (char *)bad[i].key,
		                                 .value = (char *)bad[i].value } };
		rc = run_plugin("declared", 10, N_IMAGES, o, 2, &res, &err);
		ok(rc == QX_EPLUGIN && res.fault == QX_PLUGIN_RETURNED_ERROR &&
		   !strcmp(res.stage, "create") && res.bad_option == 1 &&
		   res.bad_option_key == bad[i].bad_key && contains(err.msg, bad[i].msg) &&
		   !contains(err.msg, "create failed") && !strchr(err.msg, '\n'),
		   "declared, %s: '%s': the host refuses the %s before create(), one line", bad[i].key,
		   bad[i].value, bad[i].bad_key ? "key" : "value");
		diag("%s", err.msg);
		qx_plugin_result_free(&res);
	}

	/* The previous minor: loads, runs, parses its own options. */
	rc = run_plugin("good", 10, N_IMAGES, NULL, 0, &good, &err);
	int rc1 = run_plugin("minor1", 10, N_IMAGES, NULL, 0, &res, &err);
	int same = rc == 0 && rc1 == 0 && good.plan.n_tensors == res.plan.n_tensors;
	for (int t = 0; same && t < good.plan.n_tensors; t++)
		same = good.plan.tensor[t].dtype == res.plan.tensor[t].dtype &&
		       (good.plan.tensor[t].dtype == QX_PLAN_FLOAT ||
		        (good.plan.tensor[t].scales[0] == res.plan.tensor[t].scales[0] &&
		         good.plan.tensor[t].zero_points[0] == res.plan.tensor[t].zero_points[0]));
	ok(same && res.abi_minor == 1 &&
	   res.struct_size == offsetof(struct qx_plugin, option_decls) && !res.options_declared &&
	   res.n_options_used == 0,
	   "minor1 (ABI 1.1, struct_size %u): loads and gives good's plan; no options_used",
	   res.struct_size);
	if (rc1)
		diag("%s", err.msg);
	qx_plugin_result_free(&res);
	/* ABI 1.2, the minor before the plan formats: loads, same plan, not simulated. */
	int rc2 = run_plugin("minor2", 10, N_IMAGES, NULL, 0, &res, &err);
	int same2 = rc == 0 && rc2 == 0 && qx_plan_same(&good.plan, &res.plan);
	ok(same2 && res.abi_minor == 2 && res.struct_size == sizeof(struct qx_plugin) &&
	   !res.plan.simulated,
	   "minor2 (ABI 1.2, struct_size %u): loads and gives good's plan, not simulated",
	   res.struct_size);
	if (rc2)
		diag("%s", err.msg);
	qx_plugin_result_free(&res);
	qx_plugin_result_free(&good);
	struct qx_suite_option unknown = { .key = "zzz", .value = "1" };
	rc = run_plugin("minor1", 10, N_IMAGES, &unknown, 1, &res, &err);
	ok(rc == QX_EPLUGIN && contains(err.msg, "create failed: unknown option 'zzz' (expected "
	   "reduce_range)") && res.bad_option == 0 && res.bad_option_key == 0,
	   "minor1: an unknown option is the plugin's own create() error, as before");
	diag("%s", err.msg);
	qx_plugin_result_free(&res);
}

int main(void)
{
	tap_plan(0);
	struct qx_error err = { 0 };
	if (qx_tiny_model_build(&graph, &err) ||
	    qx_synthetic_dataset(N_IMAGES, 1, 8, 8, 10, 7, &images, &err)) {
		ok(0, "tiny model: %s", err.msg);
		return tap_done();
	}
	char good[1100];
	snprintf(good, sizeof good, "%s", plugin_path("good"));
	if (access(good, R_OK) != 0) {
		ok(0, "test plugins are built (%s missing: make tests)", good);
		return tap_done();
	}
	test_validate();
	test_json();
	test_find();
	test_runs();
	test_declared();
	qx_graph_free(&graph);
	qx_dataset_free(&images);
	return tap_done();
}
