/* ONNX backend node tests (Debian's libonnx-testdata) through import + fp32 executor.
 *
 * tests/onnx_conformance.list names the tests expected to pass, one per line, and every other
 * test of the claimed ops as `# skip test_xxx: reason`. Each listed test loads model.onnx,
 * runs every test_data_set_* and compares every output within 1e-4 relative
 * (|a - b| <= 1e-4 * max(1, |b|)): one TAP line per test. A last check holds the list to
 * completeness: each test directory of a claimed op is either listed or skipped.
 *
 * Reshape's shape is a graph input in these tests, while qx-bench takes shapes only as
 * constants (it infers shapes once per batch size). So int64 graph inputs, and the float ones
 * that are Resize's roi / scales or Range's bounds, are baked into the model as initializers,
 * from their input_N.pb, before import; other float inputs stay inputs. */
#include "exec/exec_f32.h"
#include "kernels.h"
#include "model/graph.h"
#include "onnx/onnx.pb-c.h"
#include "support/tap.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NODE_DIR "/usr/share/libonnx-testdata/data/node"
#define TOLERANCE 1e-4

static const char *const claimed[] = {
	"conv", "gemm", "matmul", "relu", "clip", "maxpool", "averagepool", "globalaveragepool",
	"flatten", "reshape", "add", "mul", "concat", "softmax", "batchnorm", "identity", "dropout",
	"sigmoid", "hardsigmoid", "hardswish", "tanh", "leakyrelu", "prelu", "sub", "div", "sqrt",
	"pow", "erf", "reduce_mean", "globalmaxpool", "transpose", "squeeze", "unsqueeze", "split",
	"slice", "constant_pad", "edge_pad", "reflect_pad", "resize", "convtranspose",
	"layer_normalization", "shape", "gather", "cast", "range", "constantofshape",
};

struct entry {
	char name[128];
	char reason[256];  /* empty for an expected pass */
};

struct list {
	struct entry *e;
	int n;
};

static int read_list(const char *path, struct list *l)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[512];
	int cap = 0;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = 0;
		struct entry e = { { 0 }, { 0 } };
		if (strncmp(line, "# skip ", 7) == 0) {
			const char *colon = strchr(line + 7, ':');
			if (!colon)
				continue;
			snprintf(e.name, sizeof e.name, "%.*s", (int)(colon - line - 7), line + 7);
			const char *r = colon + 1;
			while (*r == ' ')
				r++;
			if (!*r)
				continue; /* a skip without a reason does not count as listed */
			snprintf(e.reason, sizeof e.reason, "%.255s", r);
		} else if (line[0] == '#' || line[0] == 0) {
			continue;
		} else {
			snprintf(e.name, sizeof e.name, "%.127s", line);
		}
		if (l->n == cap) {
			cap = cap ? cap * 2 : 64;
			struct entry *grown = realloc(l->e, (size_t)cap * sizeof *grown);
			if (!grown) {
				fclose(f);
				return -1;
			}
			l->e = grown;
		}
		l->e[l->n++] = e;
	}
	fclose(f);
	return 0;
}

static int is_claimed(const char *dir)
{
	for (size_t i = 0; i < sizeof claimed / sizeof claimed[0]; i++) {
		char prefix[64];
		snprintf(prefix, sizeof prefix, "test_%s", claimed[i]);
		if (strncmp(dir, prefix, strlen(prefix)) == 0)
			return 1;
	}
	return 0;
}

static int file_exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Whether a float graph input is an op's parameter that qx-bench takes only as a constant:
 * Resize's roi / scales, Range's bounds. */
static int is_float_parameter(const Onnx__GraphProto *g, const char *name)
{
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		int resize = strcmp(n->op_type, "Resize") == 0, range = strcmp(n->op_type, "Range") == 0;
		for (size_t j = resize ? 1 : 0; (resize || range) && j < n->n_input; j++)
			if (strcmp(n->input[j], name) == 0)
				return 1;
	}
	return 0;
}

/* Writes a copy of dir/model.onnx to out_path with every int64 graph input, and every float
 * one that is_float_parameter, turned into an initializer holding data set 0's value.
 * is_baked[i] marks graph input i. */
static int bake_int64_inputs(const char *dir, const char *out_path, char *is_baked, int max_in)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/model.onnx", dir);
	size_t len;
	uint8_t *buf = slurp(p, &len);
	if (!buf)
		return -1;
	Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
	free(buf);
	if (!m || !m->graph)
		return -1;
	Onnx__GraphProto *g = m->graph;
	for (size_t i = 0; i < g->n_input && (int)i < max_in; i++) {
		const Onnx__TypeProto *tp = g->input[i]->type;
		is_baked[i] = 0;
		if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
		    (tp->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
		     !is_float_parameter(g, g->input[i]->name)))
			continue;
		snprintf(p, sizeof p, "%s/test_data_set_0/input_%zu.pb", dir, i);
		uint8_t *tb = slurp(p, &len);
		Onnx__TensorProto *t = tb ? onnx__tensor_proto__unpack(NULL, len, tb) : NULL;
		free(tb);
		if (!t)
			continue;
		free(t->name);
		t->name = strdup(g->input[i]->name);
		Onnx__TensorProto **grown = realloc(g->initializer, (g->n_initializer + 1) * sizeof *grown);
		if (!grown || !t->name) {
			onnx__tensor_proto__free_unpacked(t, NULL);
			continue;
		}
		g->initializer = grown;
		g->initializer[g->n_initializer++] = t;
		is_baked[i] = 1;
	}
	size_t n = onnx__model_proto__get_packed_size(m);
	uint8_t *out = malloc(n ? n : 1);
	int rc = -1;
	if (out) {
		onnx__model_proto__pack(m, out);
		FILE *f = fopen(out_path, "wb");
		if (f) {
			rc = fwrite(out, 1, n, f) == n ? 0 : -1;
			fclose(f);
		}
	}
	free(out);
	onnx__model_proto__free_unpacked(m, NULL);
	return rc;
}

/* Runs one data set; returns 0 when every output matches, else fills why. */
static int run_data_set(struct qx_graph *g, struct qx_exec_f32 *e, const char *set_dir,
                        const char *is_baked, char *why, size_t why_len)
{
	int rc = -1, n_in = g->n_inputs;
	float **inputs = calloc((size_t)n_in + 1, sizeof *inputs);
	struct qx_error err = { 0 };
	char p[1024];
	if (!inputs)
		return -1;
	for (int i = 0, file = 0; i < n_in; i++, file++) {
		while (is_baked[file])
			file++;
		snprintf(p, sizeof p, "%s/input_%d.pb", set_dir, file);
		int ndim;
		int64_t dims[QX_MAX_DIMS];
		if (qx_tensor_proto_load(p, &ndim, dims, &inputs[i], &err)) {
			snprintf(why, why_len, "%s", err.msg);
			goto out;
		}
		const struct qx_tensor *t = &g->tensors[g->inputs[i]];
		int64_t n = 1;
		for (int d = 0; d < ndim; d++)
			n *= dims[d];
		if (n != qx_tensor_numel(t)) {
			snprintf(why, why_len, "%s: %lld values for input '%s' of %lld elements", p,
			         (long long)n, t->name, (long long)qx_tensor_numel(t));
			goto out;
		}
	}
	if (qx_exec_f32_run(e, (const float *const *)inputs, &err)) {
		snprintf(why, why_len, "run: %s", err.msg);
		goto out;
	}
	for (int o = 0; o < g->n_outputs; o++) {
		snprintf(p, sizeof p, "%s/output_%d.pb", set_dir, o);
		int ndim;
		int64_t dims[QX_MAX_DIMS];
		float *want;
		if (qx_tensor_proto_load(p, &ndim, dims, &want, &err)) {
			snprintf(why, why_len, "%s", err.msg);
			goto out;
		}
		const struct qx_tensor *t = &g->tensors[g->outputs[o]];
		int same_shape = ndim == t->ndim;
		for (int d = 0; same_shape && d < ndim; d++)
			same_shape = dims[d] == t->dims[d];
		if (!same_shape) {
			snprintf(why, why_len, "output %d: shape differs (rank %d vs %d)", o, t->ndim, ndim);
			free(want);
			goto out;
		}
		const float *got = qx_exec_f32_tensor(e, g->outputs[o]);
		int64_t n = qx_tensor_numel(t);
		for (int64_t j = 0; j < n; j++) {
			double a = got[j], b = want[j];
			if (isnan(a) && isnan(b))
				continue;
			if (!(fabs(a - b) <= TOLERANCE * fmax(1.0, fabs(b)))) {
				snprintf(why, why_len, "output %d element %lld: got %.9g, want %.9g", o,
				         (long long)j, a, b);
				free(want);
				goto out;
			}
		}
		free(want);
	}
	rc = 0;
out:
	for (int i = 0; i < n_in; i++)
		free(inputs[i]);
	free(inputs);
	return rc;
}

static void run_test(const char *name, const char *tmp)
{
	char dir[512], model[700], why[1200] = "";
	char is_baked[64] = { 0 };
	snprintf(dir, sizeof dir, "%s/%s", NODE_DIR, name);
	snprintf(model, sizeof model, "%s/%s.onnx", tmp, name);
	if (bake_int64_inputs(dir, model, is_baked, (int)sizeof is_baked)) {
		ok(0, "%s: cannot read model.onnx", name);
		return;
	}
	struct qx_graph g;
	struct qx_error err = { 0 };
	struct qx_exec_f32 *e = NULL;
	int pass = 0, sets = 0;
	if (qx_graph_load_onnx(model, &g, &err)) {
		snprintf(why, sizeof why, "load: %s", err.msg);
		goto done;
	}
	if (qx_exec_f32_create(&g, 0, qx_kernels_get(QX_KSET_SCALAR), &e, &err)) {
		snprintf(why, sizeof why, "create: %s", err.msg);
		qx_graph_free(&g);
		goto done;
	}
	pass = 1;
	for (int s = 0;; s++) {
		char set_dir[700];
		snprintf(set_dir, sizeof set_dir, "%s/test_data_set_%d", dir, s);
		if (!file_exists(set_dir))
			break;
		sets++;
		if (run_data_set(&g, e, set_dir, is_baked, why, sizeof why)) {
			pass = 0;
			break;
		}
	}
	if (sets == 0) {
		pass = 0;
		snprintf(why, sizeof why, "no test_data_set_*");
	}
	qx_exec_f32_free(e);
	qx_graph_free(&g);
done:
	if (!ok(pass, "%s", name))
		diag("%s: %s", name, why);
	unlink(model);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every claimed test directory must appear in the list, as a pass or a reasoned skip. */
static void check_complete(const struct list *l)
{
	DIR *d = opendir(NODE_DIR);
	if (!d) {
		ok(0, "list is complete (cannot open %s)", NODE_DIR);
		return;
	}
	char *names[1024];
	int n = 0, missing = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 1024)
		if (is_claimed(de->d_name))
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof *names, cmp_str);
	for (int i = 0; i < n; i++) {
		int found = 0;
		for (int j = 0; j < l->n && !found; j++)
			found = strcmp(l->e[j].name, names[i]) == 0;
		if (!found) {
			diag("%s is neither listed nor skipped with a reason", names[i]);
			missing++;
		}
		free(names[i]);
	}
	ok(missing == 0 && n > 0, "list covers all %d test directories of the claimed ops (%d missing)",
	   n, missing);
}

int main(void)
{
	if (!file_exists(NODE_DIR))
		return tap_skip_all("%s is missing (Debian package libonnx-testdata)", NODE_DIR);
	char list_path[1024];
	snprintf(list_path, sizeof list_path, "%s/tests/onnx_conformance.list", tap_root());
	struct list l = { 0 };
	if (read_list(list_path, &l)) {
		tap_plan(1);
		ok(0, "read %s", list_path);
		return tap_done();
	}
	char tmp[] = "/tmp/qx-onnx-conformance-XXXXXX";
	if (!mkdtemp(tmp)) {
		tap_plan(1);
		ok(0, "mkdtemp");
		return tap_done();
	}
	tap_plan(l.n + 1);
	int listed = 0, skipped = 0;
	for (int i = 0; i < l.n; i++) {
		if (l.e[i].reason[0]) {
			tap_skip(1, "%s: %s", l.e[i].name, l.e[i].reason);
			skipped++;
			continue;
		}
		listed++;
		run_test(l.e[i].name, tmp);
	}
	check_complete(&l);
	diag("%d tests listed to pass, %d skipped with a reason", listed, skipped);
	rmdir(tmp);
	free(l.e);
	return tap_done();
}
