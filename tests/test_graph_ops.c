/* The ops beyond the original CNN set: shape computations folded per batch size, constant
 * folding, broadcasting, pooling's ceil mode, the data-movement ops, old-opset attribute forms,
 * and the refusals, on small models built with tests/support/onnx_builder. References are
 * computed here with naive loops. */
#include "exec/exec_f32.h"
#include "model/graph.h"
#include "support/onnx_builder.h"
#include "support/tap.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

static char tmpdir[] = "/tmp/qx-test-graph-ops-XXXXXX";

static int load(const char *path, struct qx_graph *g)
{
	struct qx_error err = { 0 };
	int rc = qx_graph_load_onnx(path, g, &err);
	if (rc)
		diag("load: %s", err.msg);
	return rc;
}

static int same_dims(const struct qx_tensor *t, int ndim, const int64_t *dims)
{
	if (t->ndim != ndim)
		return 0;
	for (int i = 0; i < ndim; i++)
		if (t->dims[i] != dims[i])
			return 0;
	return 1;
}

static void expect_refusal(const char *path, int code, const char *what, const char *a,
                           const char *b)
{
	struct qx_graph g;
	struct qx_error err = { 0 };
	int rc = qx_graph_load_onnx(path, &g, &err);
	int found = rc == code && strstr(err.msg, path) && strstr(err.msg, a) &&
	            (!b || strstr(err.msg, b));
	if (!ok(found, "refuses %s", what))
		diag("rc %d, message: %s", rc, err.msg);
	if (rc == 0)
		qx_graph_free(&g);
}

/* x [N,4,2,2] -> Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) -> [N,16]: the
 * shape is recomputed for every batch size, the executors see only the Reshape. */
static void test_shape_folding_per_batch(void)
{
	struct mb b;
	char path[512];
	int64_t xd[4] = { -1, 4, 2, 2 }, zero[1] = { 0 }, minus1[1] = { -1 };
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 4, xd);
	mb_init_i64(&b, "zero", 1, zero);
	mb_init_i64(&b, "minus1", 1, minus1);
	mb_node(&b, "Shape", "shape", "x", "s");
	Onnx__NodeProto *ga = mb_node(&b, "Gather", "gather", "s,zero", "n1");
	mb_attr_int(&b, ga, "axis", 0);
	mb_node(&b, "Concat", "cat", "n1,minus1", "target");
	mb_attr_int(&b, b.nodes[b.g.n_node - 1], "axis", 0);
	mb_node(&b, "Reshape", "rs", "x,target", "y");
	mb_output(&b, "y");
	mb_write(&b, "shape_fold.onnx", path, sizeof path, 0);

	struct qx_graph g, c;
	if (!ok(load(path, &g) == 0, "a Reshape with a shape computed from Shape(x) loads"))
		return;
	ok(g.n_nodes == 1 && g.nodes[0].op == QX_OP_RESHAPE && g.n_shape_nodes == 3,
	   "only the Reshape is left to the executors (%d nodes, %d shape nodes)", g.n_nodes,
	   g.n_shape_nodes);
	int64_t want1[2] = { 1, 16 }, want64[2] = { 64, 16 };
	ok(same_dims(&g.tensors[g.outputs[0]], 2, want1), "batch 1 (declared N): output [1,16]");
	float *x = malloc(64 * 16 * sizeof *x), *y = malloc(64 * 16 * sizeof *y);
	mb_fill(x, 64 * 16, -1, 1);
	int good = mb_run1(&g, 64, x, 0, y, 64 * 16) == 0 &&
	           same_dims(mb_last_output(), 2, want64) &&
	           memcmp(x, y, 64 * 16 * sizeof *x) == 0;
	ok(good, "batch 64: the shape is refolded to [64,16] and the values pass through");
	ok(same_dims(&g.tensors[g.outputs[0]], 2, want1),
	   "the executor refolded its own copy: the graph's output is still [1,16]");
	struct qx_error err = { 0 };
	good = qx_graph_clone(&g, &c, &err) == 0;
	if (good) {
		good = c.n_shape_nodes == 3 && mb_run1(&c, 3, x, 0, y, 3 * 16) == 0 &&
		       mb_last_output()->dims[0] == 3 && memcmp(x, y, 3 * 16 * sizeof *x) == 0;
		qx_graph_free(&c);
	}
	ok(good, "a clone keeps its shape nodes and refolds them for batch 3");
	good = mb_run1(&g, 1, x, 0, y, 16) == 0 && same_dims(mb_last_output(), 2, want1);
	ok(good, "back to batch 1 after batch 64");
	free(x);
	free(y);
	qx_graph_free(&g);
}

/* y = x + ConstantOfShape(Shape(x), 1.5): a float shape value the executor reads as a constant,
 * recomputed (and reallocated) for every batch size. */
static void test_float_shape_value(void)
{
	struct mb b;
	char path[512];
	int64_t xd[2] = { -1, 3 }, one[1] = { 1 };
	float v[1] = { 1.5f };
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 2, xd);
	mb_node(&b, "Shape", "shape", "x", "s");
	Onnx__NodeProto *n = mb_node(&b, "ConstantOfShape", "fill", "s", "ones");
	Onnx__AttributeProto *at = mb_attr(&b, n, "value",
	                                   ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
	at->t = mb_new_tensor(&b, "v", F32, 1, one);
	at->t->n_float_data = 1;
	at->t->float_data = v;
	mb_node(&b, "Add", "add", "x,ones", "y");
	mb_output(&b, "y");
	mb_write(&b, "float_shape_value.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "Add of ConstantOfShape(Shape(x)) loads"))
		return;
	float x[15], y[15];
	mb_fill(x, 15, -1, 1);
	int good = g.n_nodes == 1 && g.n_shape_nodes == 2;
	for (int batch = 1; good && batch <= 5; batch += 4) {
		good = mb_run1(&g, batch, x, 0, y, batch * 3) == 0;
		for (int i = 0; good && i < batch * 3; i++)
			good = y[i] == x[i] + 1.5f;
	}
	ok(good, "the float shape value follows the batch (1, then 5)");
	qx_graph_free(&g);
}

/* y = MatMul(x, Transpose(W)) with W a constant: the Transpose folds into a new constant. */
static void test_constant_folding(void)
{
	struct mb b;
	char path[512];
	int64_t xd[3] = { -1, 3, 4 }, wd[2] = { 5, 4 };
	float w[20];
	mb_fill(w, 20, -1, 1);
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 3, xd);
	mb_init_f32(&b, "W", 2, wd, w, 1);
	Onnx__NodeProto *t = mb_node(&b, "Transpose", "wt", "W", "Wt");
	mb_attr_ints(&b, t, "perm", 2, 1, 0);
	mb_node(&b, "MatMul", "mm", "x,Wt", "y");
	mb_output(&b, "y");
	mb_write(&b, "const_fold.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "a Linear on a 3-D input exported without folding loads"))
		return;
	const struct qx_tensor *wt = &g.tensors[g.nodes[0].in[1]];
	int64_t want[2] = { 4, 5 };
	int good = g.n_nodes == 1 && g.nodes[0].op == QX_OP_MATMUL && wt->is_const &&
	           same_dims(wt, 2, want) && g.n_shape_nodes == 0;
	for (int i = 0; good && i < 4; i++)
		for (int j = 0; j < 5; j++)
			good &= wt->data[i * 5 + j] == w[j * 4 + i];
	ok(good, "the Transpose of the weight is folded into a constant [4,5]");
	float x[2 * 12], y[2 * 15], ref[2 * 15];
	mb_fill(x, 24, -1, 1);
	for (int r = 0; r < 6; r++)
		for (int j = 0; j < 5; j++) {
			float s = 0;
			for (int k = 0; k < 4; k++)
				s += x[r * 4 + k] * w[j * 4 + k];
			ref[r * 5 + j] = s;
		}
	ok(mb_run1(&g, 2, x, 0, y, 30) == 0 && mb_max_rel_diff(y, ref, 30) < 1e-6,
	   "and the MatMul matches x W^T");
	qx_graph_free(&g);
}

/* Squeeze-excitation: x * Sigmoid(Conv(GlobalAveragePool(x))), [N,C,1,1] * [N,C,H,W]; SiLU;
 * HardSwish; Sub / Div with a [C,1,1] constant. */
static void test_broadcast_and_activations(void)
{
	struct mb b;
	char path[512];
	int64_t xd[4] = { -1, 3, 4, 5 }, wd[4] = { 3, 3, 1, 1 }, cd[3] = { 3, 1, 1 };
	float w[9], mean[3] = { 0.5f, -0.25f, 0.125f }, sd[3] = { 2.0f, 0.5f, 4.0f };
	mb_fill(w, 9, -1, 1);
	mb_init(&b, 14);
	mb_input(&b, "x", F32, 4, xd);
	mb_init_f32(&b, "W", 4, wd, w, 1);
	mb_init_f32(&b, "mean", 3, cd, mean, 1);
	mb_init_f32(&b, "sd", 3, cd, sd, 1);
	mb_node(&b, "Sub", "sub", "x,mean", "xc");
	mb_node(&b, "Div", "div", "xc,sd", "xn");
	mb_node(&b, "GlobalAveragePool", "gap", "xn", "p");
	mb_node(&b, "Conv", "fc", "p,W", "q");
	mb_node(&b, "Sigmoid", "sig", "q", "gate");
	mb_node(&b, "Mul", "se", "gate,xn", "s");
	mb_node(&b, "Sigmoid", "sig2", "s", "s2");
	mb_node(&b, "Mul", "silu", "s,s2", "t");
	mb_node(&b, "HardSwish", "hs", "t", "y");
	mb_output(&b, "y");
	mb_write(&b, "se.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "squeeze-excitation, SiLU and HardSwish load"))
		return;
	enum { N = 2, C = 3, HW = 20 };
	float x[N * C * HW], y[N * C * HW], ref[N * C * HW];
	mb_fill(x, N * C * HW, -3, 3);
	for (int n = 0; n < N; n++) {
		float xn[C][HW], p[C];
		for (int c = 0; c < C; c++) {
			p[c] = 0;
			for (int i = 0; i < HW; i++) {
				xn[c][i] = (x[(n * C + c) * HW + i] - mean[c]) / sd[c];
				p[c] += xn[c][i];
			}
			p[c] /= HW;
		}
		for (int o = 0; o < C; o++) {
			float q = 0;
			for (int c = 0; c < C; c++)
				q += w[o * C + c] * p[c];
			float gate = 1.0f / (1.0f + expf(-q));
			for (int i = 0; i < HW; i++) {
				float s = gate * xn[o][i];
				float t = s * (1.0f / (1.0f + expf(-s)));
				float h = fminf(fmaxf(t + 3.0f, 0.0f), 6.0f);
				ref[(n * C + o) * HW + i] = t * h / 6.0f;
			}
		}
	}
	double d = mb_run1(&g, N, x, 0, y, N * C * HW) ? 1 : mb_max_rel_diff(y, ref, N * C * HW);
	ok(d < 1e-5, "[N,C,1,1] * [N,C,H,W] and [C,1,1] Sub / Div broadcast as numpy (%.2g)", d);
	qx_graph_free(&g);
}

/* A one-node ceil_mode pooling model: op with kernel k x k, stride 2, on an input of dims. */
static void write_ceil_pool(const char *op, const int64_t *dims, int k, const char *name,
                            char *path, size_t len)
{
	struct mb b;
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 4, dims);
	Onnx__NodeProto *n = mb_node(&b, op, "pool", "x", "y");
	mb_attr_ints(&b, n, "kernel_shape", 2, k, k);
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_int(&b, n, "ceil_mode", 1);
	mb_output(&b, "y");
	mb_write(&b, name, path, len, 0);
}

/* The ops whose ONNX node tests are all skipped (opset 1 / 6 models, int64 outputs):
 * y = HardSigmoid(x) * GlobalMaxPool(x) + Cast<float>(Gather(Shape(x), 1)). */
static void test_ops_without_node_tests(void)
{
	struct mb b;
	char path[512];
	int64_t xd[4] = { -1, 3, 2, 2 }, one[1] = { 1 };
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 4, xd);
	mb_init_i64(&b, "one", 1, one);
	Onnx__NodeProto *n = mb_node(&b, "HardSigmoid", "hsig", "x", "hs");
	mb_attr_float(&b, n, "alpha", 0.5f);
	mb_attr_float(&b, n, "beta", 0.25f);
	mb_node(&b, "GlobalMaxPool", "gmp", "x", "gm");
	mb_node(&b, "Shape", "shape", "x", "s");
	mb_node(&b, "Gather", "channels", "s,one", "ci");
	n = mb_node(&b, "Cast", "tofloat", "ci", "cf");
	mb_attr_int(&b, n, "to", F32);
	mb_node(&b, "Mul", "mul", "hs,gm", "p");
	mb_node(&b, "Add", "add", "p,cf", "y");
	mb_output(&b, "y");
	mb_write(&b, "no_node_tests.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "HardSigmoid, GlobalMaxPool, Shape, Gather and Cast load"))
		return;
	enum { N = 2 };
	float x[N * 12], y[N * 12], ref[N * 12];
	mb_fill(x, N * 12, -4, 4);
	for (int p = 0; p < N * 3; p++) {
		float m = -INFINITY;
		for (int i = 0; i < 4; i++)
			m = fmaxf(m, x[p * 4 + i]);
		for (int i = 0; i < 4; i++)
			ref[p * 4 + i] = fminf(fmaxf(0.5f * x[p * 4 + i] + 0.25f, 0.0f), 1.0f) * m + 3.0f;
	}
	double d = mb_run1(&g, N, x, 0, y, N * 12) ? 1 : mb_max_rel_diff(y, ref, N * 12);
	ok(d < 1e-6 && g.n_nodes == 4 && g.n_shape_nodes == 3, "match the reference, the channel "
	   "count a shape value (%.2g)", d);
	qx_graph_free(&g);
}

/* Pad mode edge (its ONNX node test is on int32 data): [2,3] padded by 1 row above, 2 columns
 * left, 1 column right repeats the border values. */
static void test_edge_pad(void)
{
	struct mb b;
	char path[512];
	int64_t xd[2] = { 2, 3 }, pads[4] = { 1, 2, 0, 1 };
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 2, xd);
	mb_init_i64(&b, "pads", 4, pads);
	Onnx__NodeProto *n = mb_node(&b, "Pad", "pad", "x,pads", "y");
	mb_attr_str(&b, n, "mode", "edge");
	mb_output(&b, "y");
	mb_write(&b, "edge_pad.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "Pad mode edge loads"))
		return;
	float x[6] = { 1, 2, 3, 4, 5, 6 }, y[18];
	float ref[18] = { 1, 1, 1, 2, 3, 3, 1, 1, 1, 2, 3, 3, 4, 4, 4, 5, 6, 6 };
	int64_t want[2] = { 3, 6 };
	ok(mb_run1(&g, 0, x, 0, y, 18) == 0 && same_dims(&g.tensors[g.outputs[0]], 2, want) &&
	   memcmp(y, ref, sizeof ref) == 0, "and repeats the border values");
	qx_graph_free(&g);
}

/* MaxPool kernel 2 stride 2 ceil_mode on a 1x1 map (googlenet on small inputs) gives 1x1, as
 * PyTorch; AveragePool 3x3 -> 2x2 with a last window hanging past the end. */
static void test_ceil_mode(void)
{
	char path[512];
	int64_t xd[4] = { 1, 2, 1, 1 }, ad[4] = { 1, 1, 3, 3 };
	struct qx_graph g;
	write_ceil_pool("MaxPool", xd, 2, "ceil_1x1.onnx", path, sizeof path);
	if (ok(load(path, &g) == 0, "MaxPool k2 s2 ceil_mode on a 1x1 map loads")) {
		int64_t want[4] = { 1, 2, 1, 1 };
		float x[2] = { 0.5f, -2.0f }, y[2];
		ok(same_dims(&g.tensors[g.outputs[0]], 4, want) && mb_run1(&g, 1, x, 0, y, 2) == 0 &&
		   y[0] == 0.5f && y[1] == -2.0f, "and gives the 1x1 input back");
		qx_graph_free(&g);
	}
	write_ceil_pool("AveragePool", ad, 2, "ceil_3x3.onnx", path, sizeof path);
	if (ok(load(path, &g) == 0, "AveragePool k2 s2 ceil_mode on 3x3 loads")) {
		float x[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 }, y[4];
		float ref[4] = { 3, 4.5f, 7.5f, 9 };
		int64_t want[4] = { 1, 1, 2, 2 };
		ok(same_dims(&g.tensors[g.outputs[0]], 4, want) && mb_run1(&g, 1, x, 0, y, 4) == 0 &&
		   mb_max_rel_diff(y, ref, 4) < 1e-7, "2x2, the hanging windows average what they cover");
		qx_graph_free(&g);
	}
	write_ceil_pool("MaxPool", xd, 3, "ceil_too_big.onnx", path, sizeof path);
	expect_refusal(path, QX_EINVAL, "a ceil_mode window that cannot start inside the input",
	               "node 'pool' (MaxPool)", "exceeds the padded height");
}

/* ShuffleNet's channel shuffle and chunk: Split into halves, Slice, Transpose, Unsqueeze,
 * Squeeze, Concat, Pad (reflect) and ReduceMean, against index arithmetic. */
static void test_data_movement(void)
{
	struct mb b;
	char path[512];
	int64_t xd[4] = { -1, 4, 2, 3 };
	int64_t st[1] = { 1 }, en[1] = { 3 }, ax[1] = { 3 }, ax0[1] = { 0 }, pads[8] = { 0, 0, 1, 1,
	                                                                                0, 0, 1, 1 };
	mb_init(&b, 13);
	mb_input(&b, "x", F32, 4, xd);
	mb_init_i64(&b, "st", 1, st);
	mb_init_i64(&b, "en", 1, en);
	mb_init_i64(&b, "ax", 1, ax);
	mb_init_i64(&b, "ax0", 1, ax0);
	mb_init_i64(&b, "pads", 8, pads);
	Onnx__NodeProto *n = mb_node(&b, "Split", "chunk", "x", "a,bb");
	mb_attr_int(&b, n, "axis", 1);
	mb_node(&b, "Slice", "sl", "bb,st,en,ax", "bs");        /* [N,2,2,2] */
	n = mb_node(&b, "Transpose", "tr", "bs", "bt");         /* [N,2,2,2] swapped H, W */
	mb_attr_ints(&b, n, "perm", 4, 0, 1, 3, 2);
	mb_node(&b, "Unsqueeze", "us", "bt,ax0", "bu");         /* [1,N,2,2,2] */
	mb_node(&b, "Squeeze", "sq", "bu,ax0", "bq");           /* [N,2,2,2] */
	n = mb_node(&b, "Pad", "pad", "bq,pads", "bp");         /* [N,2,4,4] */
	mb_attr_str(&b, n, "mode", "reflect");
	n = mb_node(&b, "ReduceMean", "rm", "a", "am");         /* [N,2,1,1] */
	mb_attr_ints(&b, n, "axes", 2, 2, 3);
	n = mb_node(&b, "Mul", "mul", "bp,am", "y");
	mb_output(&b, "y");
	mb_write(&b, "moves.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "Split, Slice, Transpose, (Un)Squeeze, Pad, ReduceMean load"))
		return;
	enum { N = 2 };
	float x[N * 24], y[N * 32], ref[N * 32];
	mb_fill(x, N * 24, -1, 1);
	for (int i = 0; i < N; i++)
		for (int c = 0; c < 2; c++) {
			double m = 0;
			for (int k = 0; k < 6; k++)
				m += x[(i * 4 + c) * 6 + k];
			m /= 6;
			for (int py = 0; py < 4; py++)
				for (int px = 0; px < 4; px++) {
					/* reflect: padded index p reads 1 - p at -1 and 2 * (2 - 1) - s past the end */
					int sy = py - 1, sx = px - 1;
					sy = sy < 0 ? -sy : (sy > 1 ? 2 - sy : sy);
					sx = sx < 0 ? -sx : (sx > 1 ? 2 - sx : sx);
					/* bt[h'][w'] = bs[w'][h'] = x[c + 2][w'][1 + h'] */
					float v = x[((i * 4 + 2 + c) * 2 + sx) * 3 + 1 + sy];
					ref[((i * 2 + c) * 4 + py) * 4 + px] = v * (float)m;
				}
		}
	int64_t want[4] = { N, 2, 4, 4 };
	double d = mb_run1(&g, N, x, 0, y, N * 32) ? 1 : mb_max_rel_diff(y, ref, N * 32);
	ok(same_dims(mb_last_output(), 4, want) && d < 1e-6,
	   "their result matches index arithmetic (%.2g)", d);
	qx_graph_free(&g);
}

/* Opset 9 Slice, opset 10 Pad and opset 11 Squeeze / Unsqueeze / Split take attributes; the
 * importer turns them into constant inputs. */
static void test_old_opset_attributes(void)
{
	struct mb b;
	char path[512];
	int64_t xd[2] = { 2, 6 };
	mb_init(&b, 9);
	mb_input(&b, "x", F32, 2, xd);
	Onnx__NodeProto *n = mb_node(&b, "Slice", "sl", "x", "s");
	mb_attr_ints(&b, n, "starts", 1, 1);
	mb_attr_ints(&b, n, "ends", 1, 5);
	mb_attr_ints(&b, n, "axes", 1, 1);                  /* [2,4] */
	n = mb_node(&b, "Unsqueeze", "us", "s", "u");
	mb_attr_ints(&b, n, "axes", 1, 0);                  /* [1,2,4] */
	n = mb_node(&b, "Split", "sp", "u", "p,q");
	mb_attr_int(&b, n, "axis", 2);
	mb_attr_ints(&b, n, "split", 2, 1, 3);              /* [1,2,1], [1,2,3] */
	n = mb_node(&b, "Squeeze", "sq", "q", "r");
	mb_attr_ints(&b, n, "axes", 1, 0);                  /* [2,3] */
	mb_node(&b, "Identity", "id", "p", "pp");
	mb_output(&b, "r");
	mb_output(&b, "pp");
	mb_write(&b, "old_slice.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (ok(load(path, &g) == 0, "opset 9 Slice / Unsqueeze / Split / Squeeze attributes load")) {
		float x[12], y[6];
		for (int i = 0; i < 12; i++)
			x[i] = (float)i;
		float ref[6] = { 2, 3, 4, 8, 9, 10 };
		int64_t want[2] = { 2, 3 };
		ok(mb_run1(&g, 0, x, 0, y, 6) == 0 && same_dims(&g.tensors[g.outputs[0]], 2, want) &&
		   memcmp(y, ref, sizeof ref) == 0, "and slice / split as the attributes say");
		qx_graph_free(&g);
	}
	mb_init(&b, 10);
	mb_input(&b, "x", F32, 2, xd);
	n = mb_node(&b, "Pad", "pad", "x", "y");
	mb_attr_ints(&b, n, "pads", 4, 0, 1, 1, 0);
	mb_attr_float(&b, n, "value", 7.0f);
	mb_output(&b, "y");
	mb_write(&b, "old_pad.onnx", path, sizeof path, 0);
	if (ok(load(path, &g) == 0, "opset 10 Pad with pads / value attributes loads")) {
		float x[12], y[21];
		mb_fill(x, 12, -1, 1);
		int64_t want[2] = { 3, 7 };
		int good = mb_run1(&g, 0, x, 0, y, 21) == 0 && same_dims(&g.tensors[g.outputs[0]], 2, want);
		for (int r = 0; good && r < 3; r++)
			for (int c = 0; c < 7; c++)
				good &= y[r * 7 + c] == (r < 2 && c > 0 ? x[r * 6 + c - 1] : 7.0f);
		ok(good, "and pads with the constant value");
		qx_graph_free(&g);
	}
}

/* Resize nearest (PyTorch's asymmetric floor) x2, ConvTranspose stride 2 with output_padding,
 * LayerNormalization over the last axis. */
static void test_resize_deconv_layernorm(void)
{
	struct mb b;
	char path[512];
	int64_t xd[4] = { 1, 1, 2, 2 }, sd[1] = { 4 }, wd[4] = { 1, 1, 2, 2 }, gd[1] = { 2 };
	float scales[4] = { 1, 1, 2, 2 }, w[4] = { 1, 2, 3, 4 };
	float gamma[2] = { 2, 1 }, beta[2] = { 0, 1 };
	mb_init(&b, 17);
	mb_input(&b, "x", F32, 4, xd);
	mb_init_f32(&b, "scales", 1, sd, scales, 0);
	mb_init_f32(&b, "W", 4, wd, w, 0);
	mb_init_f32(&b, "gamma", 1, gd, gamma, 0);
	mb_init_f32(&b, "beta", 1, gd, beta, 0);
	Onnx__NodeProto *n = mb_node(&b, "Resize", "up", "x,,scales", "u");
	mb_attr_str(&b, n, "mode", "nearest");
	mb_attr_str(&b, n, "coordinate_transformation_mode", "asymmetric");
	mb_attr_str(&b, n, "nearest_mode", "floor");
	n = mb_node(&b, "ConvTranspose", "dc", "x,W", "d");
	mb_attr_ints(&b, n, "strides", 2, 2, 2);
	mb_attr_ints(&b, n, "output_padding", 2, 1, 1);
	n = mb_node(&b, "LayerNormalization", "ln", "x,gamma,beta", "l");
	mb_attr_float(&b, n, "epsilon", 0.0f);
	mb_output(&b, "u");
	mb_output(&b, "d");
	mb_output(&b, "l");
	mb_write(&b, "resize_deconv_ln.onnx", path, sizeof path, 0);
	struct qx_graph g;
	if (!ok(load(path, &g) == 0, "Resize, ConvTranspose and LayerNormalization load"))
		return;
	struct qx_exec_f32 *e;
	struct qx_error err = { 0 };
	float x[4] = { 1, 2, 3, 4 };
	const float *in[1] = { x };
	if (!ok(qx_exec_f32_create(&g, 1, mb_scalar(), &e, &err) == 0 &&
	        qx_exec_f32_run(e, in, &err) == 0, "and run")) {
		diag("%s", err.msg);
		qx_graph_free(&g);
		return;
	}
	const float *u = qx_exec_f32_tensor(e, g.outputs[0]);
	const float *d = qx_exec_f32_tensor(e, g.outputs[1]);
	const float *l = qx_exec_f32_tensor(e, g.outputs[2]);
	int good = 1;
	for (int i = 0; i < 16; i++)
		good &= u[i] == x[(i / 4 / 2) * 2 + (i % 4) / 2];
	ok(good, "nearest x2 repeats each pixel 2x2");
	/* Stride 2, kernel 2: the 4x4 output tiles x[i][j] * W; output_padding adds a zero row and
	 * column (no bias): 5x5. */
	int64_t want[4] = { 1, 1, 5, 5 };
	good = same_dims(&g.tensors[g.outputs[1]], 4, want);
	for (int r = 0; good && r < 5; r++)
		for (int c = 0; c < 5; c++)
			good &= d[r * 5 + c] == (r < 4 && c < 4 ?
			                         x[(r / 2) * 2 + c / 2] * w[(r % 2) * 2 + c % 2] : 0.0f);
	ok(good, "ConvTranspose stride 2 with output_padding 1 tiles the kernel into 5x5");
	/* Rows (1, 2), (3, 4): normalized to (-1, 1), then * (2, 1) + (0, 1) = (-2, 2). */
	good = 1;
	for (int i = 0; i < 4; i++)
		good &= fabsf(l[i] - (i % 2 ? 2.0f : -2.0f)) < 1e-6f;
	ok(good, "LayerNormalization over the last axis");
	qx_exec_f32_free(e);
	qx_graph_free(&g);
}

/* A refusal case: a model on x [1,2,4,4] whose output is y. */
static void refusal_begin(struct mb *b)
{
	int64_t xd[4] = { 1, 2, 4, 4 };
	mb_init(b, 13);
	mb_input(b, "x", F32, 4, xd);
}

static void refusal_end(struct mb *b, const char *file, int code, const char *what,
                        const char *needle, const char *needle2)
{
	char path[512];
	mb_output(b, "y");
	mb_write(b, file, path, sizeof path, 0);
	expect_refusal(path, code, what, needle, needle2);
}

static void test_refusals(void)
{
	struct mb b;
	int64_t pd[8] = { 0, 0, 1, 1, 0, 0, 1, 1 }, sd[1] = { 4 };
	int64_t wd[4] = { 2, 2, 3, 3 };
	float scales[4] = { 1, 1, 2, 2 }, w[36] = { 0 };

	refusal_begin(&b);
	mb_init_i64(&b, "pads", 8, pd);
	Onnx__NodeProto *n = mb_node(&b, "Pad", "pad1", "x,pads", "y");
	mb_attr_str(&b, n, "mode", "wrap");
	refusal_end(&b, "pad_wrap.onnx", QX_EUNSUPPORTED, "Pad mode wrap",
	            "node 'pad1' (Pad): mode 'wrap'", "supported: constant, reflect, edge");

	refusal_begin(&b);
	mb_init_f32(&b, "scales", 1, sd, scales, 0);
	n = mb_node(&b, "Resize", "up1", "x,,scales", "y");
	mb_attr_str(&b, n, "mode", "cubic");
	refusal_end(&b, "resize_cubic.onnx", QX_EUNSUPPORTED, "cubic Resize",
	            "node 'up1' (Resize): mode 'cubic'", "supported: nearest, linear");

	refusal_begin(&b);
	mb_init_f32(&b, "W", 4, wd, w, 0);
	n = mb_node(&b, "ConvTranspose", "dc1", "x,W", "y");
	mb_attr_ints(&b, n, "output_shape", 2, 8, 8);
	refusal_end(&b, "deconv_output_shape.onnx", QX_EUNSUPPORTED, "ConvTranspose output_shape",
	            "node 'dc1' (ConvTranspose): attribute 'output_shape'", "output_padding");

	refusal_begin(&b);
	n = mb_node(&b, "Cast", "toint", "x", "xi");
	mb_attr_int(&b, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
	mb_node(&b, "Reshape", "rs", "x,xi", "y");
	refusal_end(&b, "runtime_int64.onnx", QX_EUNSUPPORTED, "int64 computed from activations",
	            "node 'toint' (Cast)", "int64 output computed from activations at run time");

	refusal_begin(&b);
	n = mb_node(&b, "Cast", "tohalf", "x", "y");
	mb_attr_int(&b, n, "to", ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16);
	refusal_end(&b, "cast_half.onnx", QX_EUNSUPPORTED, "a Cast to float16",
	            "node 'tohalf' (Cast): cast to float16", "supported: float, int64");

	int64_t idx[1] = { 5 };
	refusal_begin(&b);
	mb_init_i64(&b, "idx", 1, idx);
	n = mb_node(&b, "Gather", "g1", "x,idx", "y");
	mb_attr_int(&b, n, "axis", 1);
	refusal_end(&b, "gather_range.onnx", QX_EINVAL, "a Gather index out of range",
	            "node 'g1' (Gather): index 5 is out of range", "expected -2..1");

	refusal_begin(&b);
	mb_node(&b, "Unsqueeze", "us1", "x", "y");
	refusal_end(&b, "unsqueeze_no_axes.onnx", QX_EINVAL, "an opset 13 Unsqueeze without axes",
	            "node 'us1' (Unsqueeze)", "expected data and axes");

	refusal_begin(&b);
	n = mb_node(&b, "Split", "sp1", "x", "y,c,d");
	mb_attr_int(&b, n, "axis", 2);
	refusal_end(&b, "split_uneven.onnx", QX_EINVAL, "a Split that does not divide the axis",
	            "node 'sp1' (Split): axis 2 of size 4 does not split into 3", NULL);
}

int main(void)
{
	if (!mkdtemp(tmpdir))
		return tap_skip_all("mkdtemp failed");
	mb_dir = tmpdir;
	tap_plan(0);
	test_shape_folding_per_batch();
	test_float_shape_value();
	test_constant_folding();
	test_broadcast_and_activations();
	test_ops_without_node_tests();
	test_edge_pad();
	test_ceil_mode();
	test_data_movement();
	test_old_opset_attributes();
	test_resize_deconv_layernorm();
	test_refusals();
	char cmd[600];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		diag("could not remove %s", tmpdir);
	return tap_done();
}
