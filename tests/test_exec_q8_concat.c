/* The int8 executor's Concat (harness/exec/exec_q8.c, run_concat) against a formula written
 * here and across every kernel set. Its three ways of writing an input's slice each get inputs
 * with odd channel counts, batch 3 and a 3x5 image (NHWC rows are not a multiple of anything):
 *   cat:  Concat(a [B,5], b [B,3], d [B,1], c [B,70], axis 1) -> y [B,79,3,5]
 *         a, d: requantized whole into scratch, then copied row by row (a row: < 64 bytes);
 *         c: requantized row by row straight into y (70 bytes a row);
 *         b: the same scale, zero point and a range inside y's: copied as it is;
 *         d: the same scale and zero point as y but a wider range (0..255 against y's 0..200):
 *            must still be clamped, not copied;
 *   catH: Concat(a [B,5,3,5], e [B,5,2,5], axis 2) -> z [B,5,5,5]: NHWC rows of 75 and 50 bytes
 *         per image (the direct and the scratch path on another axis);
 *   catS: Concat(b [B,3], a [B,5], axis 1) -> s [B,8,3,5]: short rows with less than 16 bytes
 *         to the end of the output row, copied exactly (in cat, a, b and d are moved 16 bytes
 *         at a time, over the slices of the inputs after them).
 * Expected: byte (n, h, w, c) of the Concat = clamp(rne((q - zp_in) * (s_in / s_out)) + zp_out)
 * over the output's [qmin, qmax] (docs/numerics.md), which for b is q itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exec/exec_q8.h"
#include "kernels.h"
#include "qx/plan.h"
#include "support/onnx_builder.h"
#include "support/tap.h"

#define B 3
#define H 3
#define W 5
#define F32 ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT

static char tmpdir[] = "/tmp/qx-test-exec-q8-concat-XXXXXX";

struct in_spec {
	const char *name;
	int64_t c, h;
	float scale;
	int32_t zp, qmin, qmax;
};

/* The inputs of cat (a, b, d, c) and of catH (a, e), with their qparams; y and z follow. */
static const struct in_spec ins[] = {
	{ "a", 5, H, 0.031f, 7, 0, 255 },
	{ "b", 3, H, 0.02f, 11, 0, 200 },   /* y's own: copied */
	{ "d", 1, H, 0.02f, 11, 0, 255 },   /* y's scale and zp, a wider range: clamped */
	{ "c", 70, H, 0.013f, 130, 0, 255 },
	{ "e", 5, 2, 0.05f, 0, 0, 127 },
};
static const struct in_spec out_y = { "y", 79, H, 0.02f, 11, 0, 200 };
static const struct in_spec out_z = { "z", 5, H + 2, 0.04f, 3, 0, 255 };
static const struct in_spec out_s = { "s", 8, H, 0.025f, 9, 0, 255 };

static int build(struct qx_graph *g, struct qx_error *err)
{
	struct mb b;
	char path[512];
	mb_init(&b, 13);
	for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++) {
		const int64_t d[4] = { B, ins[i].c, ins[i].h, W };
		mb_input(&b, ins[i].name, F32, 4, d);
	}
	mb_attr_int(&b, mb_node(&b, "Concat", "cat", "a,b,d,c", "y"), "axis", 1);
	mb_attr_int(&b, mb_node(&b, "Concat", "catH", "a,e", "z"), "axis", 2);
	mb_attr_int(&b, mb_node(&b, "Concat", "catS", "b,a", "s"), "axis", 1);
	mb_output(&b, "y");
	mb_output(&b, "z");
	mb_output(&b, "s");
	mb_write(&b, "concat.onnx", path, sizeof path, 0);
	int rc = qx_graph_load_onnx(path, g, err);
	remove(path);
	return rc;
}

static void set_act(struct qx_quant_plan *p, int t, const struct in_spec *s)
{
	struct qx_tensor_qparams *q = &p->tensor[t];
	q->dtype = QX_PLAN_UINT8;
	q->axis = -1;
	q->n_channels = 1;
	q->qmin = s->qmin;
	q->qmax = s->qmax;
	q->scales = malloc(sizeof(float));
	q->zero_points = malloc(sizeof(int32_t));
	q->scales[0] = s->scale;
	q->zero_points[0] = s->zp;
	q->copied_from = -1;
}

static void make_plan(const struct qx_graph *g, struct qx_quant_plan *p)
{
	p->n_tensors = g->n_tensors;
	p->n_nodes = g->n_nodes;
	p->tensor = calloc((size_t)g->n_tensors, sizeof *p->tensor);
	p->node = calloc((size_t)g->n_nodes, sizeof *p->node);
	for (int n = 0; n < g->n_nodes; n++)
		p->node[n].mode = QX_MODE_STATIC;
	for (size_t i = 0; i < sizeof ins / sizeof ins[0]; i++)
		set_act(p, qx_graph_find_tensor(g, ins[i].name), &ins[i]);
	set_act(p, qx_graph_find_tensor(g, "y"), &out_y);
	set_act(p, qx_graph_find_tensor(g, "z"), &out_z);
	set_act(p, qx_graph_find_tensor(g, "s"), &out_s);
}

static void plan_free(struct qx_quant_plan *p)
{
	for (int t = 0; t < p->n_tensors; t++)
		free(p->tensor[t].scales), free(p->tensor[t].zero_points);
	free(p->tensor);
	free(p->node);
}

/* The bytes a step wrote: the concat node's, or the quantize step of graph input t. */
static const uint8_t *step_bytes(const struct qx_exec_q8 *q, const char *node_name,
                                 const char *what, int64_t want_bytes, int nth)
{
	for (int s = 0; s < qx_exec_q8_n_steps(q); s++) {
		int64_t bytes;
		const char *node, *w;
		const void *out = qx_exec_q8_step_output(q, s, &bytes, &node, &w);
		if ((node_name ? node && !strcmp(node, node_name) : !node) && !strcmp(w, what) &&
		    (want_bytes < 0 || bytes == want_bytes) && nth-- == 0)
			return out;
	}
	return NULL;
}

static uint8_t requant(uint8_t q, const struct in_spec *in, const struct in_spec *out)
{
	float t = (float)((int32_t)q - in->zp) * (in->scale / out->scale);
	float lo = (float)(out->qmin - out->zp), hi = (float)(out->qmax - out->zp);
	t = t > lo ? t : lo;
	t = t < hi ? t : hi;
	return (uint8_t)((int32_t)nearbyintf(t) + out->zp);
}

/* The int8 form of input i of ins[] (NHWC), as its quantize step wrote it: the quantize steps
 * come in the order their readers ask for them, a, b, d, c (cat), then e (catH). */
static const uint8_t *input_bytes(const struct qx_exec_q8 *q, int i)
{
	return step_bytes(q, NULL, "quantize", -1, i);
}

static int check_cat(const struct qx_exec_q8 *q, int *identity_ok)
{
	const uint8_t *y = step_bytes(q, "cat", "concat", -1, 0);
	const uint8_t *src[4];
	for (int i = 0; i < 4; i++)
		src[i] = input_bytes(q, i);
	if (!y || !src[0] || !src[1] || !src[2] || !src[3])
		return -1;
	int bad = 0, bad_b = 0;
	for (int64_t pix = 0; pix < B * H * W; pix++) {
		int64_t oc = 0;
		for (int i = 0; i < 4; i++)
			for (int64_t c = 0; c < ins[i].c; c++, oc++) {
				uint8_t v = src[i][pix * ins[i].c + c];
				uint8_t got = y[pix * out_y.c + oc];
				bad += got != requant(v, &ins[i], &out_y);
				if (i == 1)
					bad_b += got != v;
			}
	}
	*identity_ok = bad_b == 0;
	return bad;
}

static int check_cat_h(const struct qx_exec_q8 *q)
{
	const uint8_t *z = step_bytes(q, "catH", "concat", -1, 0);
	const uint8_t *a = input_bytes(q, 0), *e = input_bytes(q, 4);
	if (!z || !a || !e)
		return -1;
	int bad = 0;
	for (int64_t n = 0; n < B; n++)
		for (int64_t h = 0; h < H + 2; h++)
			for (int64_t w = 0; w < W; w++)
				for (int64_t c = 0; c < 5; c++) {
					uint8_t v = h < H ? a[((n * H + h) * W + w) * 5 + c]
					                  : e[((n * 2 + h - H) * W + w) * 5 + c];
					bad += z[((n * (H + 2) + h) * W + w) * 5 + c] !=
					       requant(v, h < H ? &ins[0] : &ins[4], &out_z);
				}
	return bad;
}

static int check_cat_s(const struct qx_exec_q8 *q)
{
	const uint8_t *sb = step_bytes(q, "catS", "concat", -1, 0);
	const uint8_t *a = input_bytes(q, 0), *b = input_bytes(q, 1);
	if (!sb || !a || !b)
		return -1;
	int bad = 0;
	for (int64_t pix = 0; pix < B * H * W; pix++)
		for (int64_t c = 0; c < 8; c++)
			bad += sb[pix * 8 + c] != (c < 3 ? requant(b[pix * 3 + c], &ins[1], &out_s)
			                                 : requant(a[pix * 5 + c - 3], &ins[0], &out_s));
	return bad;
}

int main(void)
{
	tap_plan(0);
	struct qx_error err = { 0 };
	struct qx_graph g;
	if (!mkdtemp(tmpdir))
		return tap_skip_all("mkdtemp failed");
	mb_dir = tmpdir;
	int rc = build(&g, &err);
	rmdir(tmpdir);
	if (!ok(rc == 0, "the model loads%s%s", rc ? ": " : "", rc ? err.msg : ""))
		return tap_done();
	struct qx_quant_plan plan = { 0 };
	make_plan(&g, &plan);
	/* Inputs over more than each tensor's range, so that clamps act. */
	float *x[5];
	const float *xin[5];
	for (int i = 0; i < 5; i++) {
		int64_t n = (int64_t)B * ins[i].c * ins[i].h * W;
		x[i] = malloc(sizeof(float) * (size_t)n);
		mb_fill(x[i], n, -6.0f * ins[i].scale * 40, 6.0f * ins[i].scale * 60);
		xin[i] = x[i];
	}
	/* the graph's inputs in their order */
	const float *inputs[5];
	for (int i = 0; i < g.n_inputs; i++)
		for (int j = 0; j < 5; j++)
			if (!strcmp(g.tensors[g.inputs[i]].name, ins[j].name))
				inputs[i] = xin[j];
	struct qx_exec_q8 *ref = NULL;
	rc = qx_exec_q8_create(&g, &plan, B, qx_kernels_get(QX_KSET_SCALAR), &ref, &err);
	if (!rc)
		rc = qx_exec_q8_run(ref, inputs, &err);
	if (ok(rc == 0, "static int8 run of the three Concats (scalar)%s%s", rc ? ": " : "",
	       rc ? err.msg : "")) {
		int identity_ok = 0;
		int bad = check_cat(ref, &identity_ok);
		ok(bad == 0, "Concat on channels of 5, 3, 1 and 70: every byte as the formula (%d "
		   "differ)", bad);
		ok(identity_ok, "the input with the output's qparams and a range inside its clamp is "
		   "copied unchanged");
		bad = check_cat_h(ref);
		ok(bad == 0, "Concat on H (rows of 75 and 50 bytes): every byte as the formula (%d "
		   "differ)", bad);
		bad = check_cat_s(ref);
		ok(bad == 0, "Concat of 3 and 5 channels (short rows at the end of the output row): "
		   "every byte as the formula (%d differ)", bad);
	}
	for (int s = 0; s < QX_KSET_COUNT && !rc; s++) {
		const char *why;
		if (s == QX_KSET_SCALAR)
			continue;   /* scalar against itself could not fail */
		if (!qx_kernels_available((enum qx_kset)s, &why)) {
			tap_skip(1, "kernel set %s: %s", qx_kset_name((enum qx_kset)s), why);
			continue;
		}
		struct qx_exec_q8 *q = NULL;
		int r2 = qx_exec_q8_create(&g, &plan, B, qx_kernels_get((enum qx_kset)s), &q, &err);
		if (!r2)
			r2 = qx_exec_q8_run(q, inputs, &err);
		const uint8_t *y0 = step_bytes(ref, "cat", "concat", -1, 0);
		const uint8_t *z0 = step_bytes(ref, "catH", "concat", -1, 0);
		const uint8_t *y1 = r2 ? NULL : step_bytes(q, "cat", "concat", -1, 0);
		const uint8_t *z1 = r2 ? NULL : step_bytes(q, "catH", "concat", -1, 0);
		const uint8_t *s0 = step_bytes(ref, "catS", "concat", -1, 0);
		const uint8_t *s1 = r2 ? NULL : step_bytes(q, "catS", "concat", -1, 0);
		ok(y1 && z1 && s1 && !memcmp(y0, y1, (size_t)(B * out_y.c * H * W)) &&
		   !memcmp(z0, z1, (size_t)(B * out_z.c * (H + 2) * W)) &&
		   !memcmp(s0, s1, (size_t)(B * out_s.c * H * W)),
		   "kernel set %s: the three Concats bit-identical to scalar%s%s",
		   qx_kset_name((enum qx_kset)s), r2 ? ": " : "", r2 ? err.msg : "");
		qx_exec_q8_free(q);
	}
	qx_exec_q8_free(ref);
	for (int i = 0; i < 5; i++)
		free(x[i]);
	plan_free(&plan);
	qx_graph_free(&g);
	return tap_done();
}
