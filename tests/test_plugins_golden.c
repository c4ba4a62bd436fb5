/* The four shipped plugins (build/plugins/{dynamic,static-per-tensor,static-per-channel,
 * histogram}.so) against PyTorch 1.13, driven through their vtables with hand-built graph views
 * and a minimal host of this test's own.
 *
 * 1. Golden observers: every case of tests/fixtures/pytorch_golden.json (made by
 *    tools/crosscheck_pytorch.py, schema in docs/pytorch-crosscheck.md) that a plugin can
 *    express is replayed through that plugin: an activation observer's batches become the
 *    calibration batches of a graph input, a weight observer's tensor becomes a node's weight.
 *    Zero points must match exactly, scales to 1e-6 relative (the plugins aim at bit-exact; a
 *    diag line counts the cases that are not). conv1 of the reference model, folded by PyTorch,
 *    is checked the same way when the fixture has it. Without the fixture these checks are
 *    skipped (QX_GOLDEN=FILE points at another copy).
 * 2. Graph walk: which nodes run int8 and which tensors share an observer, on small models
 *    shaped like the reference one (Conv-ReLU, MaxPool, GlobalAveragePool, Flatten, Gemm) and
 *    with Concat / Add, checked against values computed here from the fed data.
 * 3. Options: unknown keys and bad values are refused by create() with QX_STATUS_BAD_OPTION and
 *    one message naming the option and the value; good values are taken.
 * 4. qparams calculators: tests/fixtures/calculator_goldens.txt (tools/calculator_goldens.py)
 *    replayed through static-per-tensor and static-per-channel (see check_calculators). */
#include <dlfcn.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx/plugin.h"
#include "qx/qparams.h"
#include "support/tap.h"

/* ---- a minimal host ------------------------------------------------------------------- */

struct test_host {
	struct qx_host host;
	char msg[1024];                 /* the last error() */
	int n_errors;
	int n_warnings;
};

static void host_error(const struct qx_host *h, const char *fmt, ...)
{
	struct test_host *th = h->host_data;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(th->msg, sizeof th->msg, fmt, ap);
	va_end(ap);
	th->n_errors++;
}

static void host_log(const struct qx_host *h, int level, const char *fmt, ...)
{
	struct test_host *th = h->host_data;
	(void)fmt;
	if (level <= QX_LOG_WARN)
		th->n_warnings++;
}

static void *host_alloc(const struct qx_host *h, size_t n, size_t size)
{
	(void)h;
	return calloc(n, size);
}

static void *host_resize(const struct qx_host *h, void *p, size_t n, size_t size)
{
	(void)h;
	return size && n > SIZE_MAX / size ? NULL : realloc(p, n * size);
}

static void host_release(const struct qx_host *h, void *p)
{
	(void)h;
	free(p);
}

static struct test_host the_host;

static void host_init(void)
{
	memset(&the_host, 0, sizeof the_host);
	the_host.host = (struct qx_host){
		.abi_major = QX_ABI_MAJOR, .abi_minor = QX_ABI_MINOR,
		.struct_size = sizeof(struct qx_host), .error = host_error, .log = host_log,
		.alloc = host_alloc, .resize = host_resize, .release = host_release,
		.host_data = &the_host,
	};
}

static void host_reset(void)
{
	the_host.msg[0] = '\0';
	the_host.n_errors = 0;
	the_host.n_warnings = 0;
}

/* ---- the plugins ------------------------------------------------------------------------ */

enum { DYNAMIC, PER_TENSOR, PER_CHANNEL, HISTOGRAM, N_PLUGINS };
static const char *const plugin_names[N_PLUGINS] = {
	"dynamic", "static-per-tensor", "static-per-channel", "histogram",
};
static void *plugin_dl[N_PLUGINS];
static const struct qx_plugin *plugin_vt[N_PLUGINS];

static int load_plugins(void)
{
	int loaded = 0;
	for (int p = 0; p < N_PLUGINS; p++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/plugins/%s.so", tap_build(), plugin_names[p]);
		plugin_dl[p] = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		qx_plugin_entry_fn entry = NULL;
		if (plugin_dl[p])
			*(void **)&entry = dlsym(plugin_dl[p], QX_PLUGIN_ENTRY_SYMBOL);
		plugin_vt[p] = entry ? entry(&the_host.host) : NULL;
		if (!ok(plugin_vt[p] && plugin_vt[p]->abi_major == QX_ABI_MAJOR &&
		        plugin_vt[p]->struct_size >= sizeof(struct qx_plugin) &&
		        !strcmp(plugin_vt[p]->name, plugin_names[p]),
		        "%s loads: entry point, ABI %d, name", path, QX_ABI_MAJOR))
			diag("%s", plugin_dl[p] ? "no entry point or a bad vtable" : dlerror());
		loaded += plugin_vt[p] != NULL;
	}
	return loaded == N_PLUGINS;
}

/* ---- hand-built graph views ------------------------------------------------------------- */

#define MAX_T 32
#define MAX_N 16

struct view_builder {
	struct qx_graph_view view;
	struct qx_view_tensor tensors[MAX_T];
	struct qx_view_node nodes[MAX_N];
	uint32_t node_flags[MAX_N];
	int32_t idx[8 * MAX_N];
	int32_t inputs[4], outputs[4];
	int n_idx;
};

static void vb_init(struct view_builder *b)
{
	memset(b, 0, sizeof *b);
	b->view.model_path = "test.onnx";
	b->view.tensors = b->tensors;
	b->view.nodes = b->nodes;
	b->view.node_flags = b->node_flags;
	b->view.inputs = b->inputs;
	b->view.outputs = b->outputs;
	b->view.batch = 1;
	b->view.opset = 13;
}

/* A tensor of the given shape; data (numel floats) makes it a constant. */
static int32_t vb_tensor(struct view_builder *b, const char *name, int ndim, const int64_t *dims,
                         const float *data)
{
	int32_t t = b->view.n_tensors++;
	struct qx_view_tensor *vt = &b->tensors[t];
	vt->name = name;
	vt->ndim = ndim;
	vt->numel = 1;
	for (int d = 0; d < ndim; d++) {
		vt->dims[d] = dims[d];
		vt->numel *= dims[d];
	}
	vt->is_const = data != NULL;
	vt->data = data;
	vt->is_float = 1;
	vt->producer = -1;
	return t;
}

static int32_t vb_input(struct view_builder *b, const char *name, int ndim, const int64_t *dims)
{
	int32_t t = vb_tensor(b, name, ndim, dims, NULL);
	b->tensors[t].is_graph_input = 1;
	b->inputs[b->view.n_inputs++] = t;
	return t;
}

static const char *op_type_name(int32_t op)
{
	switch (op) {
	case QX_VIEW_OP_CONV: return "Conv";
	case QX_VIEW_OP_GEMM: return "Gemm";
	case QX_VIEW_OP_MATMUL: return "MatMul";
	case QX_VIEW_OP_RELU: return "Relu";
	case QX_VIEW_OP_MAXPOOL: return "MaxPool";
	case QX_VIEW_OP_GLOBALAVGPOOL: return "GlobalAveragePool";
	case QX_VIEW_OP_FLATTEN: return "Flatten";
	case QX_VIEW_OP_ADD: return "Add";
	case QX_VIEW_OP_CONCAT: return "Concat";
	case QX_VIEW_OP_SOFTMAX: return "Softmax";
	default: return "Other";
	}
}

/* A node reading in[0..n_in) and writing out (a new activation of the given shape). Conv,
 * Gemm and MatMul take in[1] as their weight along weight_axis; their modes follow the
 * harness's rules (static for a constant weight, dynamic too for Gemm/MatMul). */
static int32_t vb_node(struct view_builder *b, const char *name, int32_t op, const int32_t *in,
                       int n_in, const char *out_name, int out_ndim, const int64_t *out_dims,
                       uint32_t modes, int32_t weight_axis)
{
	int32_t out = vb_tensor(b, out_name, out_ndim, out_dims, NULL);
	int32_t n = b->view.n_nodes++;
	struct qx_view_node *nd = &b->nodes[n];
	nd->name = name;
	nd->op = op;
	nd->op_type = op_type_name(op);
	nd->inputs = &b->idx[b->n_idx];
	for (int j = 0; j < n_in; j++)
		b->idx[b->n_idx++] = in[j];
	nd->n_inputs = n_in;
	nd->outputs = &b->idx[b->n_idx];
	b->idx[b->n_idx++] = out;
	nd->n_outputs = 1;
	nd->modes = modes | QX_MODE_BIT(QX_MODE_FLOAT);
	/* as the host publishes it: for these ops, the ABI 1.0 list */
	if ((modes & QX_MODE_BIT(QX_MODE_STATIC)) && qx_view_op_keeps_qparams(op))
		b->node_flags[n] = QX_VIEW_NODE_KEEPS_QPARAMS;
	nd->weight = nd->weight_axis = nd->bias = -1;
	if ((op == QX_VIEW_OP_CONV || op == QX_VIEW_OP_GEMM || op == QX_VIEW_OP_MATMUL) &&
	    n_in >= 2 && b->tensors[in[1]].is_const) {
		nd->weight = in[1];
		nd->weight_axis = weight_axis;
		if (n_in >= 3 && b->tensors[in[2]].is_const)
			nd->bias = in[2];
	}
	nd->act_min = -INFINITY;
	nd->act_max = INFINITY;
	nd->group = op == QX_VIEW_OP_CONV;
	nd->axis = op == QX_VIEW_OP_FLATTEN || op == QX_VIEW_OP_CONCAT;
	b->tensors[out].producer = n;
	return out;
}

static void vb_output(struct view_builder *b, int32_t t)
{
	b->tensors[t].is_graph_output = 1;
	b->outputs[b->view.n_outputs++] = t;
}

#define S QX_MODE_BIT(QX_MODE_STATIC)
#define D QX_MODE_BIT(QX_MODE_DYNAMIC)

/* ---- running a plugin ------------------------------------------------------------------- */

#define MAX_BATCHES 8

/* What calibrate() sees: per batch, per tensor index, data (NULL: a default ramp). */
struct feed {
	int n_batches;
	const float *data[MAX_BATCHES][MAX_T];
	int64_t numel[MAX_BATCHES][MAX_T];
};

static const float default_ramp[4] = { -1.0f, 0.0f, 0.5f, 1.0f };

struct run {
	int rc;                         /* status of the stage that failed, or 0 */
	const char *stage;              /* "create", "prepare", "calibrate", "convert" or NULL */
	char msg[1024];
	void *state;
	int p;
	struct qx_prepare prep;
	struct qx_plan plan;            /* valid until run_end() */
};

static int run_start(struct run *r, int p, const struct qx_graph_view *view,
                     const struct qx_option *opts, int n_opts, const struct feed *feed)
{
	const struct qx_plugin *vt = plugin_vt[p];
	memset(r, 0, sizeof *r);
	r->p = p;
	host_reset();
	r->stage = "create";
	r->rc = vt->create(&the_host.host, view, opts, n_opts, &r->state);
	if (r->rc)
		goto failed;
	r->stage = "prepare";
	r->rc = vt->prepare(r->state, view, &r->prep);
	if (r->rc)
		goto failed;
	r->stage = "calibrate";
	for (int b = 0; feed && b < feed->n_batches && r->prep.n_observe > 0; b++) {
		struct qx_observed obs[MAX_T];
		for (int32_t i = 0; i < r->prep.n_observe && i < MAX_T; i++) {
			int32_t t = r->prep.observe[i];
			memset(&obs[i], 0, sizeof obs[i]);
			obs[i].tensor = t;
			obs[i].data = feed->data[b][t] ? feed->data[b][t] : default_ramp;
			obs[i].numel = feed->data[b][t] ? feed->numel[b][t] : 4;
			obs[i].ndim = 1;
			obs[i].dims[0] = obs[i].numel;
		}
		struct qx_batch batch = { .index = b, .n_images = 1, .n_tensors = r->prep.n_observe,
		                          .tensors = obs };
		r->rc = vt->calibrate(r->state, &batch);
		if (r->rc)
			goto failed;
	}
	r->stage = "convert";
	r->rc = vt->convert(r->state, &r->plan);
	if (r->rc)
		goto failed;
	r->stage = NULL;
	return 0;
failed:
	snprintf(r->msg, sizeof r->msg, "%s", the_host.msg);
	if (r->stage && strcmp(r->stage, "create") == 0)
		r->state = NULL;
	return r->rc;
}

static void run_end(struct run *r)
{
	if (r->stage == NULL || strcmp(r->stage, "create") != 0)
		plugin_vt[r->p]->destroy(r->state);
	r->state = NULL;
}

static const struct qx_plan_tensor *plan_entry(const struct run *r, int32_t t)
{
	for (int32_t i = 0; i < r->plan.n_tensors; i++)
		if (r->plan.tensors[i].tensor == t)
			return &r->plan.tensors[i];
	return NULL;
}

static int32_t plan_mode(const struct run *r, int32_t node)
{
	for (int32_t i = 0; i < r->plan.n_ops; i++)
		if (r->plan.ops[i].node == node)
			return r->plan.ops[i].mode;
	return QX_MODE_FLOAT;
}

/* ---- the golden file -------------------------------------------------------------------- */

/* A JSON tensor: an array of numbers, or {"shape": [...], "data": [...]}. malloc'ed floats. */
static float *json_floats(json_t *j, int64_t *numel, int *ndim, int64_t *dims)
{
	json_t *data = json_is_object(j) ? json_object_get(j, "data") : j;
	json_t *shape = json_is_object(j) ? json_object_get(j, "shape") : NULL;
	if (!json_is_array(data))
		return NULL;
	size_t n = json_array_size(data);
	float *x = malloc((n ? n : 1) * sizeof *x);
	if (!x)
		return NULL;
	for (size_t i = 0; i < n; i++)
		x[i] = (float)json_number_value(json_array_get(data, i));
	*numel = (int64_t)n;
	*ndim = 1;
	dims[0] = (int64_t)n;
	if (json_is_array(shape) && json_array_size(shape) <= QX_VIEW_MAX_DIMS) {
		*ndim = (int)json_array_size(shape);
		for (int d = 0; d < *ndim; d++)
			dims[d] = (int64_t)json_integer_value(json_array_get(shape, (size_t)d));
	}
	return x;
}

struct golden_case {
	const char *id, *observer, *note;
	const char *dtype, *qscheme;
	int has_reduce_range, reduce_range, customized, ch_axis, bins, upsample_rate;
	double averaging_constant;
	int quant_min, quant_max;
	int n_batches;
	float *batch[MAX_BATCHES];
	int64_t numel[MAX_BATCHES];
	int ndim;
	int64_t dims[QX_VIEW_MAX_DIMS];
	int n_channels;
	float scale[64];
	int32_t zero_point[64];
};

static void golden_case_free(struct golden_case *c)
{
	for (int b = 0; b < c->n_batches; b++)
		free(c->batch[b]);
}

static const char *json_str(json_t *o, const char *key, const char *dflt)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

static int golden_case_read(json_t *jc, struct golden_case *c)
{
	memset(c, 0, sizeof *c);
	json_t *args = json_object_get(jc, "args");
	c->id = json_str(jc, "id", "?");
	c->observer = json_str(jc, "observer", "?");
	c->note = json_str(jc, "note", "");
	c->dtype = json_str(args, "dtype", "quint8");
	c->qscheme = json_str(args, "qscheme", "per_tensor_affine");
	json_t *rr = json_object_get(args, "reduce_range");
	c->has_reduce_range = rr != NULL;
	c->reduce_range = json_is_true(rr);
	c->customized = json_object_get(args, "quant_min") != NULL;
	c->ch_axis = (int)json_integer_value(json_object_get(args, "ch_axis"));
	json_t *bins = json_object_get(args, "bins"), *up = json_object_get(args, "upsample_rate");
	c->bins = bins ? (int)json_integer_value(bins) : 2048;
	c->upsample_rate = up ? (int)json_integer_value(up) : 128;
	json_t *ac = json_object_get(args, "averaging_constant");
	c->averaging_constant = ac ? json_number_value(ac) : 0.01;
	c->quant_min = (int)json_integer_value(json_object_get(jc, "quant_min"));
	c->quant_max = (int)json_integer_value(json_object_get(jc, "quant_max"));
	json_t *batches = json_object_get(jc, "batches");
	json_t *input = json_object_get(jc, "input");
	size_t nb = batches ? json_array_size(batches) : input ? 1 : 0;
	if (nb < 1 || nb > MAX_BATCHES)
		return -1;
	for (size_t b = 0; b < nb; b++) {
		c->batch[b] = json_floats(batches ? json_array_get(batches, b) : input, &c->numel[b],
		                          &c->ndim, c->dims);
		if (!c->batch[b])
			return -1;
		c->n_batches = (int)b + 1;
	}
	json_t *scale = json_object_get(jc, "scale"), *zp = json_object_get(jc, "zero_point");
	c->n_channels = (int)json_array_size(scale);
	if (c->n_channels < 1 || c->n_channels > 64 || json_array_size(zp) != (size_t)c->n_channels)
		return -1;
	for (int k = 0; k < c->n_channels; k++) {
		c->scale[k] = (float)json_number_value(json_array_get(scale, (size_t)k));
		c->zero_point[k] = (int32_t)json_integer_value(json_array_get(zp, (size_t)k));
	}
	return 0;
}

/* Compares a plan entry with PyTorch's numbers; counts bit-exact scales. */
struct tally {
	int cases, exact, close;
};

static int same_qparams(const struct qx_plan_tensor *pt, const float *scale,
                        const int32_t *zero_point, int n, struct tally *tally, char *why,
                        size_t why_size)
{
	if (!pt) {
		snprintf(why, why_size, "the plan has no entry for the tensor");
		return 0;
	}
	if (pt->n_channels != n) {
		snprintf(why, why_size, "%d channels (expected %d)", pt->n_channels, n);
		return 0;
	}
	int exact = 1;
	for (int k = 0; k < n; k++) {
		double rel = fabs((double)pt->scales[k] - scale[k]) / fabs((double)scale[k]);
		if (pt->zero_points[k] != zero_point[k] || !(rel <= 1e-6)) {
			snprintf(why, why_size, "channel %d: scale %.9g zero point %d (expected %.9g and "
			         "%d)", k, (double)pt->scales[k], pt->zero_points[k], (double)scale[k],
			         zero_point[k]);
			return 0;
		}
		exact = exact && pt->scales[k] == scale[k];
	}
	tally->cases++;
	tally->exact += exact;
	tally->close += !exact;
	if (!exact)
		diag("  scales within 1e-6 but not bit-exact");
	return 1;
}

/* How a plugin can express a golden case. */
enum role { ROLE_NONE, ROLE_ACTIVATION, ROLE_WEIGHT };

struct mapping {
	enum role role;
	int plugins[N_PLUGINS];         /* which plugins express it */
	struct qx_option opts[6];
	int n_opts;
	char ac_text[64], bins_text[32], up_text[32];
	const char *why_not;
};

static void map_case(const struct golden_case *c, struct mapping *m)
{
	memset(m, 0, sizeof *m);
	int u8 = !strcmp(c->dtype, "quint8"), s8 = !strcmp(c->dtype, "qint8");
	int sym = strstr(c->qscheme, "symmetric") != NULL;
	int per_channel = !strncmp(c->qscheme, "per_channel", 11);
	int reduced = c->quant_max == 127 && c->quant_min == 0;
	const char *rr = reduced ? "true" : "false";
	if (!strcmp(c->observer, "MinMaxObserver") && s8 && sym) {
		if (c->quant_min != -128 || c->quant_max != 127) {
			m->why_not = "weights are always int8 -128..127 (no reduce_range)";
			return;
		}
		m->role = ROLE_WEIGHT;
		m->plugins[DYNAMIC] = m->plugins[PER_TENSOR] = 1;
		return;
	}
	if (!strcmp(c->observer, "PerChannelMinMaxObserver")) {
		if (!s8 || !sym) {
			m->why_not = "per-channel weights are int8 symmetric only";
			return;
		}
		m->role = ROLE_WEIGHT;
		m->plugins[PER_CHANNEL] = m->plugins[HISTOGRAM] = 1;
		return;
	}
	if (!u8 || per_channel || (c->quant_max != 127 && c->quant_max != 255)) {
		m->why_not = "activations are uint8 per tensor over 0..127 or 0..255";
		return;
	}
	if (sym && reduced != c->customized) {
		m->why_not = "symmetric activations: zero point 63 over 0..127 (custom range), 128 "
		             "over 0..255";
		return;
	}
	m->role = ROLE_ACTIVATION;
	m->opts[m->n_opts++] = (struct qx_option){ "reduce_range", rr };
	if (sym)
		m->opts[m->n_opts++] = (struct qx_option){ "symmetric", "true" };
	if (!strcmp(c->observer, "MinMaxObserver")) {
		m->plugins[PER_TENSOR] = m->plugins[PER_CHANNEL] = 1;
	} else if (!strcmp(c->observer, "MovingAverageMinMaxObserver")) {
		m->plugins[PER_TENSOR] = m->plugins[PER_CHANNEL] = 1;
		snprintf(m->ac_text, sizeof m->ac_text, "%.17g", c->averaging_constant);
		m->opts[m->n_opts++] = (struct qx_option){ "qparams", "moving_average" };
		m->opts[m->n_opts++] = (struct qx_option){ "averaging_constant", m->ac_text };
	} else if (!strncmp(c->observer, "HistogramObserver", 17)) {
		m->plugins[HISTOGRAM] = 1;
		snprintf(m->bins_text, sizeof m->bins_text, "%d", c->bins);
		snprintf(m->up_text, sizeof m->up_text, "%d", c->upsample_rate);
		m->opts[m->n_opts++] = (struct qx_option){ "bins", m->bins_text };
		m->opts[m->n_opts++] = (struct qx_option){ "upsample_rate", m->up_text };
		m->opts[m->n_opts++] = (struct qx_option){
			"histc_bounds", strstr(c->observer, "ExactBounds") ? "exact" : "truncated" };
	} else {
		m->role = ROLE_NONE;
		m->why_not = "an observer no shipped plugin uses";
	}
}

/* An activation case: x -> Gemm(W) -> y; x's observer sees the case's batches. */
static void check_activation_case(const struct golden_case *c, const struct mapping *m, int p,
                                  struct tally *tally)
{
	static const float w[4] = { 0.5f, -0.25f, 1.0f, 0.125f };
	struct view_builder b;
	vb_init(&b);
	int64_t xd[2] = { 1, 4 }, wd[2] = { 1, 4 }, yd[2] = { 1, 1 };
	int32_t x = vb_input(&b, "x", 2, xd);
	int32_t in[2] = { x, vb_tensor(&b, "W", 2, wd, w) };
	int32_t y = vb_node(&b, "fc", QX_VIEW_OP_GEMM, in, 2, "y", 2, yd, S | D, 0);
	vb_output(&b, y);
	struct feed feed;
	memset(&feed, 0, sizeof feed);
	feed.n_batches = c->n_batches;
	for (int k = 0; k < c->n_batches; k++) {
		feed.data[k][x] = c->batch[k];
		feed.numel[k][x] = c->numel[k];
	}
	struct run r;
	char why[1200] = "";
	int good = run_start(&r, p, &b.view, m->opts, m->n_opts, &feed) == 0;
	const struct qx_plan_tensor *pt = good ? plan_entry(&r, x) : NULL;
	if (!good)
		snprintf(why, sizeof why, "%s failed: %s", r.stage, r.msg);
	else if (pt && (pt->qmin != c->quant_min || pt->qmax != c->quant_max))
		snprintf(why, sizeof why, "range %d..%d (expected %d..%d)", pt->qmin, pt->qmax,
		         c->quant_min, c->quant_max), good = 0;
	else
		good = same_qparams(pt, c->scale, c->zero_point, 1, tally, why, sizeof why);
	if (!ok(good, "%s %s (%s): %s", plugin_names[p], c->id, c->note, good ? "matches PyTorch" :
	        "differs from PyTorch"))
		diag("  %s", why);
	run_end(&r);
}

/* A weight case: the case's tensor is the weight of a Conv (4-D) or Gemm (else) node. */
static void check_weight(const char *what, const float *data, int ndim, const int64_t *dims,
                         int axis, const float *scale, const int32_t *zero_point, int n, int p,
                         struct tally *tally)
{
	struct view_builder b;
	vb_init(&b);
	int conv = ndim == 4;
	int64_t wd[2] = { 1, dims[0] };
	if (!conv && ndim == 2) {
		wd[0] = dims[0];
		wd[1] = dims[1];
	} else if (!conv) {
		for (int d = 1; d < ndim; d++)
			wd[1] *= dims[d];
	}
	int64_t xd[4] = { 1, conv ? dims[1] : wd[1], 3, 3 }, yd[4] = { 1, conv ? dims[0] : wd[0], 1, 1 };
	int32_t x = vb_input(&b, "x", conv ? 4 : 2, xd);
	int32_t in[2] = { x, vb_tensor(&b, "W", conv ? ndim : 2, conv ? dims : wd, data) };
	int32_t y = vb_node(&b, "layer", conv ? QX_VIEW_OP_CONV : QX_VIEW_OP_GEMM, in, 2, "y",
	                    conv ? 4 : 2, yd, conv ? S : S | D, axis);
	vb_output(&b, y);
	struct feed feed;
	memset(&feed, 0, sizeof feed);
	feed.n_batches = 1;
	struct run r;
	char why[1200] = "";
	int good = run_start(&r, p, &b.view, NULL, 0, &feed) == 0;
	if (!good)
		snprintf(why, sizeof why, "%s failed: %s", r.stage, r.msg);
	else
		good = same_qparams(plan_entry(&r, in[1]), scale, zero_point, n, tally, why, sizeof why);
	if (good && p == DYNAMIC)
		good = plan_mode(&r, 0) == QX_MODE_DYNAMIC && r.plan.ops[0].dyn_qmax == 127;
	if (!ok(good, "%s %s: %s", plugin_names[p], what, good ? "matches PyTorch" :
	        "differs from PyTorch"))
		diag("  %s", why);
	run_end(&r);
}

static void check_golden(void)
{
	char path[4096];
	const char *override = getenv("QX_GOLDEN");
	if (override)
		snprintf(path, sizeof path, "%s", override);
	else
		snprintf(path, sizeof path, "%s/tests/fixtures/pytorch_golden.json", tap_root());
	json_error_t jerr;
	json_t *root = json_load_file(path, 0, &jerr);
	if (!root) {
		tap_skip(1, "golden values: %s: %s (run tools/crosscheck_pytorch.py)", path, jerr.text);
		return;
	}
	diag("golden values: %s (torch %s)", path, json_str(root, "torch_version", "?"));
	json_t *cases = json_object_get(root, "observers");
	struct tally tally = { 0 };
	int unusable = 0;
	for (size_t i = 0; i < json_array_size(cases); i++) {
		struct golden_case c;
		if (golden_case_read(json_array_get(cases, i), &c)) {
			ok(0, "golden case %zu reads (id, args, input or batches, scale, zero_point)", i);
			golden_case_free(&c);
			continue;
		}
		struct mapping m;
		map_case(&c, &m);
		if (m.role == ROLE_NONE) {
			tap_skip(1, "%s (%s): %s", c.id, c.note, m.why_not);
			unusable++;
		}
		for (int p = 0; p < N_PLUGINS && m.role != ROLE_NONE; p++) {
			if (!m.plugins[p])
				continue;
			if (m.role == ROLE_ACTIVATION) {
				check_activation_case(&c, &m, p, &tally);
			} else {
				char what[256];
				snprintf(what, sizeof what, "%s (%s)", c.id, c.note);
				int axis = strncmp(c.qscheme, "per_channel", 11) ? 0 : c.ch_axis;
				check_weight(what, c.batch[0], c.ndim, c.dims, axis, c.scale, c.zero_point,
				             c.n_channels, p, &tally);
			}
		}
		golden_case_free(&c);
	}
	/* conv1 of the reference model after PyTorch's BN fold, per configuration */
	json_t *folded = json_object_get(root, "conv1_folded");
	json_t *first = json_object_get(root, "first_layer");
	static const int conv1_plugins[3] = { PER_TENSOR, PER_CHANNEL, HISTOGRAM };
	for (int k = 0; k < 3 && json_is_object(folded) && json_is_object(first); k++) {
		json_t *cfg = json_object_get(first, plugin_names[conv1_plugins[k]]);
		json_t *w = json_is_object(cfg) ? json_object_get(cfg, "conv1_weight") : NULL;
		int64_t numel, dims[QX_VIEW_MAX_DIMS];
		int ndim;
		float *data = json_floats(json_object_get(folded, "weight"), &numel, &ndim, dims);
		json_t *js = json_object_get(w, "scale"), *jz = json_object_get(w, "zero_point");
		int n = (int)json_array_size(js);
		if (!data || !w || n < 1 || n > 64 || ndim != 4) {
			ok(0, "first_layer.%s.conv1_weight and conv1_folded read",
			   plugin_names[conv1_plugins[k]]);
			free(data);
			continue;
		}
		float scale[64];
		int32_t zp[64];
		for (int c = 0; c < n; c++) {
			scale[c] = (float)json_number_value(json_array_get(js, (size_t)c));
			zp[c] = (int32_t)json_integer_value(json_array_get(jz, (size_t)c));
		}
		check_weight("conv1 of the reference model (BN folded by PyTorch)", data, ndim, dims,
		             0, scale, zp, n, conv1_plugins[k], &tally);
		free(data);
	}
	diag("golden: %d comparisons, %d bit-exact, %d within 1e-6 only; %d cases no plugin "
	     "expresses", tally.cases, tally.exact, tally.close, unusable);
	json_decref(root);
}

/* ---- the graph walk --------------------------------------------------------------------- */

/* x -> Conv+Relu -> c1 -> MaxPool -> p1 -> Conv+Relu -> c2 -> GlobalAveragePool -> g
 *   -> Flatten -> f -> Gemm -> y -> Softmax -> prob, like the reference model. */
struct chain {
	struct view_builder b;
	int32_t x, c1, p1, c2, g, f, y, prob, w1, w2, w3;
	float w1d[2 * 1 * 3 * 3], w2d[2 * 2 * 3 * 3], w3d[3 * 2];
};

static void chain_build(struct chain *c)
{
	struct view_builder *b = &c->b;
	vb_init(b);
	for (int i = 0; i < 18; i++)
		c->w1d[i % 18] = (float)(i - 8) / 16.0f;
	for (int i = 0; i < 36; i++)
		c->w2d[i] = (float)((i * 7) % 13 - 6) / 32.0f;
	for (int i = 0; i < 6; i++)
		c->w3d[i] = (float)(i - 2) * 0.375f;
	int64_t xd[4] = { 2, 1, 4, 4 }, w1[4] = { 2, 1, 3, 3 }, w2[4] = { 2, 2, 3, 3 },
		w3[2] = { 3, 2 }, c1d[4] = { 2, 2, 4, 4 }, p1d[4] = { 2, 2, 2, 2 },
		gd[4] = { 2, 2, 1, 1 }, fd[2] = { 2, 2 }, yd[2] = { 2, 3 };
	c->x = vb_input(b, "x", 4, xd);
	c->w1 = vb_tensor(b, "W1", 4, w1, c->w1d);
	c->w2 = vb_tensor(b, "W2", 4, w2, c->w2d);
	c->w3 = vb_tensor(b, "W3", 2, w3, c->w3d);
	int32_t in[2] = { c->x, c->w1 };
	c->c1 = vb_node(b, "conv1", QX_VIEW_OP_CONV, in, 2, "c1", 4, c1d, S, 0);
	b->nodes[0].act_min = 0.0f;
	in[0] = c->c1;
	c->p1 = vb_node(b, "pool1", QX_VIEW_OP_MAXPOOL, in, 1, "p1", 4, p1d, S, -1);
	in[0] = c->p1;
	in[1] = c->w2;
	c->c2 = vb_node(b, "conv2", QX_VIEW_OP_CONV, in, 2, "c2", 4, p1d, S, 0);
	b->nodes[2].act_min = 0.0f;
	in[0] = c->c2;
	c->g = vb_node(b, "gap", QX_VIEW_OP_GLOBALAVGPOOL, in, 1, "g", 4, gd, S, -1);
	in[0] = c->g;
	c->f = vb_node(b, "flatten", QX_VIEW_OP_FLATTEN, in, 1, "f", 2, fd, S, -1);
	in[0] = c->f;
	in[1] = c->w3;
	c->y = vb_node(b, "fc", QX_VIEW_OP_GEMM, in, 2, "y", 2, yd, S | D, 0);
	in[0] = c->y;
	c->prob = vb_node(b, "softmax", QX_VIEW_OP_SOFTMAX, in, 1, "prob", 2, yd, 0, -1);
	vb_output(b, c->prob);
}

/* Two batches of distinct data for every activation of the chain. */
struct chain_data {
	float v[2][MAX_T][8];
};

static void chain_feed(const struct chain *c, struct chain_data *cd, struct feed *feed)
{
	memset(feed, 0, sizeof *feed);
	feed->n_batches = 2;
	for (int k = 0; k < 2; k++)
		for (int32_t t = 0; t < c->b.view.n_tensors; t++) {
			for (int i = 0; i < 8; i++) /* ranges differ per tensor and batch */
				cd->v[k][t][i] = (float)((i * 5 + t * 3 + k) % 8) * (0.25f + 0.125f * t) -
				                 (t == c->x || t == c->y ? 1.0f + k : 0.0f);
			feed->data[k][t] = cd->v[k][t];
			feed->numel[k][t] = 8;
		}
}

static int same_entry(const struct qx_plan_tensor *a, const struct qx_plan_tensor *b)
{
	return a && b && a->n_channels == 1 && b->n_channels == 1 &&
	       a->scales[0] == b->scales[0] && a->zero_points[0] == b->zero_points[0];
}

/* MovingAverageMinMaxObserver over a sequence of calls, the qparams from its range. */
static void moving_average_qparams(const float *const *calls, int n_calls, int64_t numel, float c,
                                   float *scale, int32_t *zp)
{
	float lo = INFINITY, hi = -INFINITY;
	for (int k = 0; k < n_calls; k++) {
		float mn = calls[k][0], mx = calls[k][0];
		for (int64_t i = 1; i < numel; i++) {
			mn = fminf(mn, calls[k][i]);
			mx = fmaxf(mx, calls[k][i]);
		}
		if (k == 0) {
			lo = mn;
			hi = mx;
		} else {
			lo = lo + c * (mn - lo);
			hi = hi + c * (mx - hi);
		}
	}
	struct qx_qscheme qs = { QX_PLAN_UINT8, 0, 0, 127, 1 };
	*scale = 0.0f;
	*zp = -1;
	qx_calculate_qparams(lo, hi, &qs, scale, zp);
}

static void check_chain(void)
{
	struct chain c;
	struct chain_data cd;
	struct feed feed;
	chain_build(&c);
	chain_feed(&c, &cd, &feed);
	static const int32_t want_default[7] = { 1, 1, 1, 1, 0, 1, 0 };
	static const int32_t want_int8[7] = { 1, 1, 1, 1, 1, 1, 0 };
	for (int p = PER_TENSOR; p <= HISTOGRAM; p++) {
		for (int flatten_int8 = 0; flatten_int8 < 2; flatten_int8++) {
			struct qx_option opt = { "flatten", flatten_int8 ? "int8" : "float" };
			struct run r;
			int rc = run_start(&r, p, &c.b.view, &opt, 1, &feed);
			const int32_t *want = flatten_int8 ? want_int8 : want_default;
			int modes_ok = rc == 0 && r.prep.node_modes;
			for (int n = 0; n < 7 && modes_ok; n++)
				modes_ok = r.prep.node_modes[n] == want[n] && plan_mode(&r, n) == want[n];
			if (!ok(modes_ok, "%s flatten=%s: Conv, MaxPool, GlobalAveragePool, Gemm int8; "
			        "Flatten %s; Softmax float", plugin_names[p], opt.value, opt.value))
				diag("  %s", rc ? r.msg : "modes differ");
			int32_t want_obs[7] = { c.x, c.c1, c.p1, c.c2, c.g, c.f, c.y };
			int obs_ok = rc == 0 && r.prep.n_observe == 7;
			for (int i = 0; i < 7 && obs_ok; i++)
				obs_ok = r.prep.observe[i] == want_obs[i];
			ok(obs_ok, "%s flatten=%s: observes x, c1, p1, c2, g, f, y in execution order",
			   plugin_names[p], opt.value);
			const struct qx_plan_tensor *e[MAX_T] = { 0 };
			for (int32_t t = 0; rc == 0 && t < c.b.view.n_tensors; t++)
				e[t] = plan_entry(&r, t);
			int share_ok = rc == 0 && same_entry(e[c.p1], e[c.c1]) &&
			               same_entry(e[c.g], e[c.c2]) && !same_entry(e[c.c1], e[c.c2]) &&
			               same_entry(e[c.f], e[c.c2]) == flatten_int8 && e[c.y] && e[c.x] &&
			               !e[c.prob];
			ok(share_ok, "%s flatten=%s: the pools keep their input's qparams, Flatten %s; "
			   "fc's output has its own, Softmax's none", plugin_names[p], opt.value,
			   flatten_int8 ? "too" : "gets its own observer (torch 1.13's nn.Flatten)");
			int weights_ok = rc == 0 && e[c.w1] && e[c.w2] && e[c.w3] &&
			                 e[c.w1]->n_channels == (p == PER_TENSOR ? 1 : 2) &&
			                 e[c.w3]->n_channels == (p == PER_TENSOR ? 1 : 3) &&
			                 e[c.w3]->dtype == QX_PLAN_INT8 && e[c.w3]->zero_points[0] == 0;
			ok(weights_ok, "%s flatten=%s: int8 symmetric weights, %s", plugin_names[p],
			   opt.value, p == PER_TENSOR ? "per tensor" : "per output channel");
			run_end(&r);
		}
	}

	/* weights: overrides the plugin's own granularity (a sweep can set them side by side):
	 * static-per-tensor with per_channel weights has static-per-channel's weight entries */
	for (int p = PER_TENSOR; p <= PER_CHANNEL; p++) {
		struct qx_option wo = { "weights", p == PER_TENSOR ? "per_channel" : "per_tensor" };
		struct run rw, ro;
		int rc_w = run_start(&rw, p, &c.b.view, &wo, 1, &feed);
		const struct qx_plan_tensor *ew = rc_w ? NULL : plan_entry(&rw, c.w3);
		int want = p == PER_TENSOR ? 3 : 1;
		int same = 0;
		int rc_o = run_start(&ro, p == PER_TENSOR ? PER_CHANNEL : PER_TENSOR, &c.b.view, NULL, 0,
		                     &feed);
		const struct qx_plan_tensor *eo = rc_o ? NULL : plan_entry(&ro, c.w3);
		if (ew && eo && ew->n_channels == want && eo->n_channels == want) {
			same = 1;
			for (int ch = 0; ch < want; ch++)
				same = same && ew->scales[ch] == eo->scales[ch];
		}
		ok(same, "%s weights=%s: fc's weight has %d scale%s, bit-identical to %s's",
		   plugin_names[p], wo.value, want, want == 1 ? "" : "s",
		   plugin_names[p == PER_TENSOR ? PER_CHANNEL : PER_TENSOR]);
		run_end(&rw);
		run_end(&ro);
	}

	/* a shared observer is called on each of its tensors in turn, as FX's is */
	struct qx_option ma[2] = { { "qparams", "moving_average" }, { "averaging_constant", "0.25" } };
	struct run r;
	int rc = run_start(&r, PER_TENSOR, &c.b.view, ma, 2, &feed);
	const float *calls[4] = { cd.v[0][c.c1], cd.v[0][c.p1], cd.v[1][c.c1], cd.v[1][c.p1] };
	float scale;
	int32_t zp;
	moving_average_qparams(calls, 4, 8, 0.25f, &scale, &zp);
	const struct qx_plan_tensor *e = rc ? NULL : plan_entry(&r, c.c1);
	if (!ok(e && e->scales[0] == scale && e->zero_points[0] == zp,
	        "moving average: the c1/p1 observer averages c1, p1, c1, p1 (scale %.9g, zero point "
	        "%d)", (double)scale, zp))
		diag("  got %s %.9g %d", rc ? r.msg : "", e ? (double)e->scales[0] : 0.0,
		     e ? e->zero_points[0] : -1);
	run_end(&r);

	/* no calibration: a clean error from the static plugins, a plan from dynamic */
	rc = run_start(&r, HISTOGRAM, &c.b.view, NULL, 0, NULL);
	ok(rc == QX_STATUS_ERROR && !strcmp(r.stage, "convert") && strstr(r.msg, "'x'") &&
	   strstr(r.msg, "expected"), "no calibration batch: convert fails naming the tensor "
	   "(%s)", r.msg);
	run_end(&r);

	for (int reduce = 0; reduce < 2; reduce++) {
		struct qx_option opt = { "reduce_range", reduce ? "true" : "false" };
		rc = run_start(&r, DYNAMIC, &c.b.view, &opt, 1, NULL);
		int good = rc == 0 && r.prep.n_observe == 0 && r.plan.n_tensors == 1 &&
		           r.plan.tensors[0].tensor == c.w3 && r.plan.tensors[0].axis == -1;
		for (int n = 0; n < 7 && good; n++)
			good = plan_mode(&r, n) == (n == 5 ? QX_MODE_DYNAMIC : QX_MODE_FLOAT);
		for (int i = 0; i < r.plan.n_ops && good; i++)
			if (r.plan.ops[i].mode == QX_MODE_DYNAMIC)
				good = r.plan.ops[i].dyn_qmin == 0 &&
				       r.plan.ops[i].dyn_qmax == (reduce ? 127 : 255);
		float w_scale = 1.125f / 127.5f; /* max |W3| / 127.5, as float32 */
		good = good && r.plan.tensors[0].scales[0] == w_scale;
		if (!ok(good, "dynamic reduce_range=%s: only fc is dynamic (activations 0..%d), its "
		        "weight per tensor max|w|/127.5, nothing observed", opt.value,
		        reduce ? 127 : 255))
			diag("  %s", rc ? r.msg : "plan differs");
		run_end(&r);
	}
}

/* x -> Conv a, x -> Conv b, Concat(a, b) -> cat -> Relu -> r, Add(r, r) -> s: Concat's inputs
 * and output and the Relu share one observer, Add's output has its own. */
static void check_concat_add(void)
{
	static const float wa[4] = { 1.0f, -0.5f, 0.25f, 2.0f }, wb[4] = { -3.0f, 0.5f, 0.75f, 1.0f };
	struct view_builder b;
	vb_init(&b);
	int64_t xd[4] = { 1, 1, 2, 2 }, wd[4] = { 1, 1, 2, 2 }, od[4] = { 1, 1, 1, 1 },
		catd[4] = { 1, 2, 1, 1 };
	int32_t x = vb_input(&b, "x", 4, xd);
	int32_t in[2] = { x, vb_tensor(&b, "Wa", 4, wd, wa) };
	int32_t a = vb_node(&b, "conv_a", QX_VIEW_OP_CONV, in, 2, "a", 4, od, S, 0);
	in[1] = vb_tensor(&b, "Wb", 4, wd, wb);
	int32_t bb = vb_node(&b, "conv_b", QX_VIEW_OP_CONV, in, 2, "b", 4, od, S, 0);
	in[0] = a;
	in[1] = bb;
	int32_t cat = vb_node(&b, "cat", QX_VIEW_OP_CONCAT, in, 2, "cat", 4, catd, S, -1);
	in[0] = cat;
	int32_t r_t = vb_node(&b, "relu", QX_VIEW_OP_RELU, in, 1, "r", 4, catd, S, -1);
	in[0] = in[1] = r_t;
	int32_t s = vb_node(&b, "add", QX_VIEW_OP_ADD, in, 2, "s", 4, catd, S, -1);
	vb_output(&b, s);
	static const float xv[4] = { -1, 0, 1, 2 }, av[3] = { -4.0f, 0.5f, 1.0f },
		bv[3] = { 0.25f, 3.0f, 6.5f }, catv[6] = { -4.0f, 0.5f, 1.0f, 0.25f, 3.0f, 6.5f },
		rv[6] = { 0, 0.5f, 1.0f, 0.25f, 3.0f, 6.5f }, sv[6] = { 0, 1, 2, 0.5f, 6, 13 };
	struct feed feed;
	memset(&feed, 0, sizeof feed);
	feed.n_batches = 1;
	const float *vals[6] = { xv, av, bv, catv, rv, sv };
	int32_t ts[6] = { x, a, bb, cat, r_t, s };
	int64_t ns[6] = { 4, 3, 3, 6, 6, 6 };
	for (int i = 0; i < 6; i++) {
		feed.data[0][ts[i]] = vals[i];
		feed.numel[0][ts[i]] = ns[i];
	}
	struct run r;
	int rc = run_start(&r, PER_TENSOR, &b.view, NULL, 0, &feed);
	const struct qx_plan_tensor *ea = rc ? NULL : plan_entry(&r, a);
	float scale = 0;
	int32_t zp = -1;
	struct qx_qscheme qs = { QX_PLAN_UINT8, 0, 0, 127, 1 };
	qx_calculate_qparams(-4.0f, 6.5f, &qs, &scale, &zp);
	int good = ea && ea->scales[0] == scale && ea->zero_points[0] == zp;
	for (int i = 2; i <= 4 && good; i++)
		good = same_entry(plan_entry(&r, ts[i]), ea);
	ok(good, "Concat: a, b, cat and the Relu after it share one observer over [-4, 6.5]");
	const struct qx_plan_tensor *es = rc ? NULL : plan_entry(&r, s);
	qx_calculate_qparams(0.0f, 13.0f, &qs, &scale, &zp);
	ok(es && es->scales[0] == scale && es->zero_points[0] == zp && plan_mode(&r, 4) == 1,
	   "Add: static, its output observed on its own over [0, 13]");
	if (rc)
		diag("  %s failed: %s", r.stage, r.msg);
	run_end(&r);
}

/* One calibration batch: tensor ts[i] holds vals[i] (numel values each). */
static void feed_one_batch(struct feed *feed, int n, const int32_t *ts, const float *const *vals,
                           int64_t numel)
{
	memset(feed, 0, sizeof *feed);
	feed->n_batches = 1;
	for (int i = 0; i < n; i++) {
		feed->data[0][ts[i]] = vals[i];
		feed->numel[0][ts[i]] = numel;
	}
}

/* x -> Conv a, x -> Conv b, Add(a, b) -> s -> Relu -> r: FX fuses the pair (add_relu) and
 * observes only r; s is not observed and takes r's qparams. */
static void check_add_relu(void)
{
	static const float wa[4] = { 1.0f, -0.5f, 0.25f, 2.0f }, wb[4] = { -3.0f, 0.5f, 0.75f, 1.0f };
	struct view_builder b;
	vb_init(&b);
	int64_t xd[4] = { 1, 1, 2, 2 }, wd[4] = { 1, 1, 2, 2 }, od[4] = { 1, 1, 1, 1 };
	int32_t x = vb_input(&b, "x", 4, xd);
	int32_t in[2] = { x, vb_tensor(&b, "Wa", 4, wd, wa) };
	int32_t a = vb_node(&b, "conv_a", QX_VIEW_OP_CONV, in, 2, "a", 4, od, S, 0);
	in[1] = vb_tensor(&b, "Wb", 4, wd, wb);
	int32_t bb = vb_node(&b, "conv_b", QX_VIEW_OP_CONV, in, 2, "b", 4, od, S, 0);
	in[0] = a;
	in[1] = bb;
	int32_t s = vb_node(&b, "add", QX_VIEW_OP_ADD, in, 2, "s", 4, od, S, -1);
	in[0] = s;
	int32_t r_t = vb_node(&b, "relu", QX_VIEW_OP_RELU, in, 1, "r", 4, od, S, -1);
	vb_output(&b, r_t);
	static const float xv[2] = { -1, 2 }, av[2] = { -2, 1 }, bv[2] = { 3, -1 },
		sv[2] = { -5.0f, 2.5f }, rv[2] = { 0.0f, 2.5f };
	struct feed feed;
	feed_one_batch(&feed, 5, (const int32_t[]){ x, a, bb, s, r_t },
	               (const float *const[]){ xv, av, bv, sv, rv }, 2);
	struct run r;
	int rc = run_start(&r, PER_TENSOR, &b.view, NULL, 0, &feed);
	int observed_s = 0;
	for (int32_t i = 0; rc == 0 && i < r.prep.n_observe; i++)
		observed_s |= r.prep.observe[i] == s;
	float scale = 0;
	int32_t zp = -1;
	struct qx_qscheme qs = { QX_PLAN_UINT8, 0, 0, 127, 1 };
	qx_calculate_qparams(0.0f, 2.5f, &qs, &scale, &zp);
	const struct qx_plan_tensor *es = rc ? NULL : plan_entry(&r, s);
	ok(rc == 0 && r.prep.n_observe == 4 && !observed_s && es && es->scales[0] == scale &&
	   es->zero_points[0] == zp && same_entry(es, plan_entry(&r, r_t)),
	   "Add read only by a Relu (FX's add_relu): only the Relu's output is observed, the Add's "
	   "output shares its qparams (range [0, 2.5])");
	if (rc)
		diag("  %s failed: %s", r.stage, r.msg);
	run_end(&r);
}

/* ---- qparams calculators ---------------------------------------------------------------- */

/* tests/fixtures/calculator_goldens.txt (tools/calculator_goldens.py: torch's observers for
 * global_minmax, moving_average and histogram; an independent numpy implementation of the
 * definitions for percentile, entropy and mse) on seeded synthetic batches regenerated here
 * bit for bit: the generator uses only exact or correctly rounded double operations, as the
 * tool's does. Each line runs static-per-tensor and static-per-channel (same activation code,
 * two option parsers' users) with that calculator on a graph input fed the batches. Zero points
 * must be equal and scales within 1e-6 relative, this file's standard; a different search
 * result (another bin) moves a scale by far more than that, and a diag line counts the scales
 * that are not bit-exact. */

#define CALC_BATCHES 4
#define CALC_BATCH 4096

struct calc_rng {
	uint64_t s;
};

static uint64_t calc_next(struct calc_rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545F4914F6CDD1DULL;
}

static double calc_uniform(struct calc_rng *r)
{
	return (double)(calc_next(r) >> 40) / 16777216.0;
}

static double calc_gauss(struct calc_rng *r)
{
	double acc = 0.0;
	for (int k = 0; k < 12; k++)
		acc += calc_uniform(r);
	return acc - 6.0;
}

/* The tool's make_batches(): gauss, heavy (heavy tails and +-40.. outliers), relu, zeros; batch
 * b widened by (1 + b) so that the histograms must grow. Returns 0, or -1 for an unknown name. */
static int calc_make_batches(const char *dist, float *x)
{
	static const char *const names[] = { "gauss", "heavy", "relu", "zeros" };
	int which = -1;
	for (int d = 0; d < 4; d++)
		if (!strcmp(dist, names[d]))
			which = d;
	if (which < 0)
		return -1;
	struct calc_rng r = { (uint64_t)which + 1 };
	for (int b = 0; b < CALC_BATCHES; b++) {
		double w = 1.0 + b;
		for (int i = 0; i < CALC_BATCH; i++) {
			double v = 0.0;
			if (which == 0) {
				v = calc_gauss(&r) * w * 0.75 + 0.25;
			} else if (which == 1) {
				double g = calc_gauss(&r);
				double u = calc_uniform(&r);
				v = g * 0.5 / sqrt(u + 0.002) * w;
				if (i % 1000 == 999)
					v = (40.0 + 10.0 * b) * ((i / 1000) % 2 ? 1.0 : -1.0);
			} else if (which == 2) {
				double g = calc_gauss(&r);
				v = (g > 0.0 ? g : 0.0) * 2.0 * w;
			}
			x[b * CALC_BATCH + i] = (float)v;
		}
	}
	return 0;
}

static void check_calculators(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/fixtures/calculator_goldens.txt", tap_root());
	FILE *f = fopen(path, "r");
	if (!ok(f != NULL, "calculator goldens: %s opens", path))
		return;
	float *data = malloc((size_t)CALC_BATCHES * CALC_BATCH * sizeof *data);
	struct view_builder b;
	vb_init(&b);
	int64_t xd[2] = { CALC_BATCH, 1 }, yd[2] = { CALC_BATCH, 1 };
	static const float w[1] = { 1.0f };
	int32_t in[2] = { vb_input(&b, "x", 2, xd), -1 };
	in[1] = vb_tensor(&b, "W", 2, (int64_t[]){ 1, 1 }, w);
	int32_t x = in[0];
	vb_output(&b, vb_node(&b, "fc", QX_VIEW_OP_GEMM, in, 2, "y", 2, yd, S | D, 0));
	char line[512], loaded[16] = "";
	int lines = 0, bad = 0, exact = 0, runs = 0;
	int seen[6] = { 0 };
	static const char *const calcs[6] = { "global_minmax", "moving_average", "histogram",
	                                      "percentile", "entropy", "mse" };
	while (data && fgets(line, sizeof line, f)) {
		char dist[16], calc[32], opt[64];
		int sym, rr, zp;
		float scale;
		if (line[0] == '#' || line[0] == '\n')
			continue;
		lines++;
		if (sscanf(line, "%15s %31s %d %d %63s %g %d", dist, calc, &sym, &rr, opt, &scale,
		           &zp) != 7 || (strcmp(loaded, dist) && calc_make_batches(dist, data))) {
			ok(0, "calculator goldens: line '%s' reads", line);
			bad++;
			continue;
		}
		snprintf(loaded, sizeof loaded, "%s", dist);
		for (int c = 0; c < 6; c++)
			seen[c] |= !strcmp(calc, calcs[c]);
		struct qx_option opts[4] = { { "qparams", calc },
		                             { "symmetric", sym ? "true" : "false" },
		                             { "reduce_range", rr ? "true" : "false" } };
		int n_opts = 3;
		char *eq = strchr(opt, '=');
		if (eq) {
			*eq = '\0';
			opts[n_opts++] = (struct qx_option){ opt, eq + 1 };
		}
		struct feed feed;
		memset(&feed, 0, sizeof feed);
		feed.n_batches = CALC_BATCHES;
		for (int bi = 0; bi < CALC_BATCHES; bi++) {
			feed.data[bi][x] = data + (size_t)bi * CALC_BATCH;
			feed.numel[bi][x] = CALC_BATCH;
		}
		static const int plugins[2] = { PER_TENSOR, PER_CHANNEL };
		for (int k = 0; k < 2; k++) {
			struct run r;
			int rc = run_start(&r, plugins[k], &b.view, opts, n_opts, &feed);
			const struct qx_plan_tensor *pt = rc ? NULL : plan_entry(&r, x);
			int valid = pt && pt->n_channels == 1 && isfinite(pt->scales[0]) &&
			            pt->scales[0] > 0.0f && pt->zero_points[0] >= pt->qmin &&
			            pt->zero_points[0] <= pt->qmax && pt->qmax == (rr ? 127 : 255);
			double rel = pt ? fabs((double)pt->scales[0] - scale) / scale : INFINITY;
			int good = valid && pt->zero_points[0] == zp && rel <= 1e-6;
			runs++;
			exact += good && pt->scales[0] == scale;
			if (!good) {
				bad++;
				ok(0, "%s: %s %s symmetric %d reduce_range %d %s%s%s: scale %.9g zero point "
				   "%d (expected %.9g and %d, a valid plan)", plugin_names[plugins[k]], dist,
				   calc, sym, rr, opt, eq ? "=" : "", eq ? eq + 1 : "",
				   pt ? (double)pt->scales[0] : 0.0,
				   pt ? pt->zero_points[0] : -1, (double)scale, zp);
				if (rc)
					diag("  %s failed: %s", r.stage, r.msg);
			}
			run_end(&r);
		}
	}
	/* qparams: histogram is the histogram plugin's activation observer: same plan entry on
	 * the widening heavy-tailed batches */
	if (data && !calc_make_batches("heavy", data)) {
		struct feed feed;
		memset(&feed, 0, sizeof feed);
		feed.n_batches = CALC_BATCHES;
		for (int bi = 0; bi < CALC_BATCHES; bi++) {
			feed.data[bi][x] = data + (size_t)bi * CALC_BATCH;
			feed.numel[bi][x] = CALC_BATCH;
		}
		struct qx_option hopt[1] = { { "qparams", "histogram" } };
		struct run rh, rc_;
		int rc1 = run_start(&rh, HISTOGRAM, &b.view, NULL, 0, &feed);
		int rc2 = rc1 ? -1 : run_start(&rc_, PER_CHANNEL, &b.view, hopt, 1, &feed);
		const struct qx_plan_tensor *a = rc1 ? NULL : plan_entry(&rh, x);
		const struct qx_plan_tensor *c = rc2 ? NULL : plan_entry(&rc_, x);
		ok(a && c && same_entry(a, c) && a->scales[0] == c->scales[0],
		   "static-per-channel with qparams: histogram: the histogram plugin's activation "
		   "qparams (scale %.9g)", a ? (double)a->scales[0] : 0.0);
		if (!rc1)
			run_end(&rh);
		if (!rc2)
			run_end(&rc_);
	}
	fclose(f);
	free(data);
	int all_seen = 1;
	for (int c = 0; c < 6; c++)
		all_seen &= seen[c];
	ok(lines >= 48 && all_seen && bad == 0, "calculator goldens: %d lines, all six calculators, "
	   "%d plugin runs match (scale within 1e-6, zero point equal, valid plan)", lines, runs);
	diag("calculator goldens: %d of %d scales bit-exact", exact, runs);
}

/* ---- options ---------------------------------------------------------------------------- */

struct option_case {
	int plugin;
	const char *key, *value;
	const char *key2, *value2;      /* a second option, or NULL */
	int good;
};

static const struct option_case option_cases[] = {
	{ DYNAMIC, "reduce_range", "false", NULL, NULL, 1 },
	{ DYNAMIC, "reduce_range", "yes", NULL, NULL, 0 },
	{ DYNAMIC, "symmetric", "true", NULL, NULL, 0 },
	{ DYNAMIC, "bins", "2048", NULL, NULL, 0 },
	{ PER_TENSOR, "qparams", "moving_average", "averaging_constant", "1", 1 },
	{ PER_TENSOR, "qparams", "moving_average", "averaging_constant", "1e-3", 1 },
	{ PER_TENSOR, "qparams", "global_minmax", NULL, NULL, 1 },
	{ PER_TENSOR, "qparams", "percentile", NULL, NULL, 1 },
	{ PER_TENSOR, "qparams", "kl", NULL, NULL, 0 },
	{ PER_TENSOR, "qparams", "histogram", "bins", "16", 1 },
	{ PER_TENSOR, "qparams", "percentile", "percentile", "99.9", 1 },
	{ PER_TENSOR, "qparams", "percentile", "percentile", "100", 1 },
	{ PER_TENSOR, "qparams", "percentile", "percentile", "101", 0 },
	{ PER_TENSOR, "qparams", "percentile", "percentile", "49", 0 },
	{ PER_TENSOR, "qparams", "percentile", "percentile", "99%", 0 },
	{ PER_TENSOR, "qparams", "entropy", "bins", "3", 0 },
	{ PER_TENSOR, "qparams", "entropy", "bins", "16", 0 },
	{ PER_TENSOR, "qparams", "mse", "bins", "2047", 0 },
	{ PER_TENSOR, "qparams", "mse", "bins", "16386", 0 },
	{ PER_TENSOR, "qparams", "global_minmax", "percentile", "99.9", 0 },
	{ PER_TENSOR, "qparams", "moving_average", "bins", "2048", 0 },
	{ PER_TENSOR, "qparams", "entropy", "averaging_constant", "0.1", 0 },
	{ PER_TENSOR, "percentile", "99.9", NULL, NULL, 0 },
	{ PER_CHANNEL, "qparams", "entropy", "bins", "512", 1 },
	{ PER_CHANNEL, "qparams", "mse", "percentile", "99", 0 },
	{ PER_CHANNEL, "qparams", "histogram", "bins", "3", 0 },
	{ HISTOGRAM, "percentile", "99.9", NULL, NULL, 0 },
	{ PER_TENSOR, "qparams", "moving_average", "averaging_constant", "0", 0 },
	{ PER_TENSOR, "qparams", "moving_average", "averaging_constant", "1.5", 0 },
	{ PER_TENSOR, "qparams", "moving_average", "averaging_constant", "nan", 0 },
	{ PER_TENSOR, "qparams", "moving_average", "averaging_constant", "0.1x", 0 },
	{ PER_TENSOR, "averaging_constant", "0.1", NULL, NULL, 0 },
	{ PER_TENSOR, "symmetric", "true", "reduce_range", "false", 1 },
	{ PER_TENSOR, "symmetric", "1", NULL, NULL, 0 },
	{ PER_TENSOR, "flatten", "int8", NULL, NULL, 1 },
	{ PER_TENSOR, "weights", "per_channel", NULL, NULL, 1 },
	{ PER_CHANNEL, "weights", "per_tensor", NULL, NULL, 1 },
	{ HISTOGRAM, "weights", "per_tensor", NULL, NULL, 1 },
	{ PER_TENSOR, "weights", "per_group", NULL, NULL, 0 },
	{ DYNAMIC, "weights", "per_channel", NULL, NULL, 0 },
	{ PER_TENSOR, "flatten", "uint8", NULL, NULL, 0 },
	{ PER_TENSOR, "bins", "2048", NULL, NULL, 0 },
	{ PER_CHANNEL, "reduce_range", "False", NULL, NULL, 1 },
	{ PER_CHANNEL, "reduce_range", "", NULL, NULL, 0 },
	{ PER_CHANNEL, "qparams", "moving_average", NULL, NULL, 1 },
	{ PER_CHANNEL, "upsample_rate", "128", NULL, NULL, 0 },
	{ HISTOGRAM, "bins", "16", "upsample_rate", "1", 1 },
	{ HISTOGRAM, "bins", "16384", NULL, NULL, 1 },
	{ HISTOGRAM, "bins", "16384", "upsample_rate", "1024", 1 },
	{ HISTOGRAM, "bins", "16384", "upsample_rate", "1025", 0 },
	{ HISTOGRAM, "bins", "15", NULL, NULL, 0 },
	{ HISTOGRAM, "bins", "2048.0", NULL, NULL, 0 },
	{ HISTOGRAM, "bins", "99999999999999999999", NULL, NULL, 0 },
	{ HISTOGRAM, "bins", " 2048", NULL, NULL, 0 },
	{ HISTOGRAM, "upsample_rate", "0", NULL, NULL, 0 },
	{ HISTOGRAM, "upsample_rate", "-4", NULL, NULL, 0 },
	{ HISTOGRAM, "histc_bounds", "exact", NULL, NULL, 1 },
	{ HISTOGRAM, "histc_bounds", "int", NULL, NULL, 0 },
	{ HISTOGRAM, "qparams", "moving_average", NULL, NULL, 0 },
	{ HISTOGRAM, "averaging_constant", "0.5", NULL, NULL, 0 },
	{ HISTOGRAM, "bins", "2048", "bins", "1024", 0 },
};

static void check_options(void)
{
	struct view_builder b;
	vb_init(&b);
	int64_t xd[2] = { 1, 4 }, yd[2] = { 1, 1 };
	static const float w[4] = { 1, 2, 3, 4 };
	int32_t in[2] = { vb_input(&b, "x", 2, xd), -1 };
	in[1] = vb_tensor(&b, "W", 2, (int64_t[]){ 1, 4 }, w);
	vb_output(&b, vb_node(&b, "fc", QX_VIEW_OP_GEMM, in, 2, "y", 2, yd, S | D, 0));
	for (size_t i = 0; i < sizeof option_cases / sizeof option_cases[0]; i++) {
		const struct option_case *oc = &option_cases[i];
		struct qx_option opts[2] = { { oc->key, oc->value }, { oc->key2, oc->value2 } };
		int n = oc->key2 ? 2 : 1;
		host_reset();
		void *state = NULL;
		int rc = plugin_vt[oc->plugin]->create(&the_host.host, &b.view, opts, n, &state);
		if (rc == 0)
			plugin_vt[oc->plugin]->destroy(state);
		char shown[160];
		snprintf(shown, sizeof shown, "%s: %s '%s'%s%s%s%s", plugin_names[oc->plugin], oc->key,
		         oc->value, oc->key2 ? ", " : "", oc->key2 ? oc->key2 : "",
		         oc->key2 ? " " : "", oc->value2 ? oc->value2 : "");
		if (oc->good) {
			if (!ok(rc == 0 && the_host.n_errors == 0, "%s is accepted", shown))
				diag("  %s", the_host.msg);
			continue;
		}
		/* the message names the option (the second one when that is the bad one) */
		const struct qx_option *bad = &opts[n - 1];
		if (strstr(the_host.msg, opts[0].key) && !strstr(the_host.msg, bad->key))
			bad = &opts[0];
		char key_q[64], value_q[64];
		snprintf(key_q, sizeof key_q, "'%s'", bad->key);
		snprintf(value_q, sizeof value_q, "'%s'", bad->value);
		int named = strstr(the_host.msg, key_q) && strstr(the_host.msg, "expected") &&
		            !strchr(the_host.msg, '\n');
		int unknown = strstr(the_host.msg, "unknown option") != NULL;
		int twice = strstr(the_host.msg, "twice") != NULL;
		if (!ok(rc == QX_STATUS_BAD_OPTION && the_host.n_errors >= 1 && named &&
		        (unknown || twice || strstr(the_host.msg, value_q)),
		        "%s is refused: %s", shown, the_host.msg))
			diag("  status %d", rc);
	}
}

/* x -> Conv c; Sigmoid(c) -> g; HardSwish(c) -> h; Mul(h, g) -> m; Mul(c, c) -> q -> Relu -> r.
 * FX (torch 1.13, onednn / native backend config): Sigmoid's output has fixed qparams (1/256,
 * zero point 0, 0..255, whatever reduce_range says) and no observer; HardSwish and Mul outputs
 * have their own observers; a Mul read only by a Relu is mul_relu (only r observed). */
static void check_se_ops(void)
{
	static const float w[4] = { 1.0f, -0.5f, 0.25f, 2.0f };
	struct view_builder b;
	vb_init(&b);
	int64_t xd[4] = { 1, 1, 2, 2 }, wd[4] = { 1, 1, 2, 2 }, od[4] = { 1, 1, 1, 1 };
	int32_t x = vb_input(&b, "x", 4, xd);
	int32_t in[2] = { x, vb_tensor(&b, "W", 4, wd, w) };
	int32_t c = vb_node(&b, "conv", QX_VIEW_OP_CONV, in, 2, "c", 4, od, S, 0);
	in[0] = c;
	int32_t g = vb_node(&b, "sigmoid", QX_VIEW_OP_SIGMOID, in, 1, "g", 4, od, S, -1);
	int32_t h = vb_node(&b, "hardswish", QX_VIEW_OP_HARDSWISH, in, 1, "h", 4, od, S, -1);
	in[0] = h;
	in[1] = g;
	int32_t m = vb_node(&b, "mul", QX_VIEW_OP_MUL, in, 2, "m", 4, od, S, -1);
	in[0] = in[1] = c;
	int32_t q = vb_node(&b, "square", QX_VIEW_OP_MUL, in, 2, "q", 4, od, S, -1);
	in[0] = q;
	int32_t r_t = vb_node(&b, "relu", QX_VIEW_OP_RELU, in, 1, "r", 4, od, S, -1);
	vb_output(&b, m);
	vb_output(&b, r_t);
	static const float xv[2] = { -1, 2 }, cv[2] = { -4, 2 }, hv[2] = { -0.375f, 3.0f },
		mv[2] = { -0.25f, 2.5f }, rv[2] = { 0.0f, 16.0f };
	struct feed feed;
	feed_one_batch(&feed, 5, (const int32_t[]){ x, c, h, m, r_t },
	               (const float *const[]){ xv, cv, hv, mv, rv }, 2);
	struct run r;
	int rc = run_start(&r, PER_TENSOR, &b.view, NULL, 0, &feed);
	int observed_gq = 0;
	for (int32_t i = 0; rc == 0 && i < r.prep.n_observe; i++)
		observed_gq |= r.prep.observe[i] == g || r.prep.observe[i] == q;
	int all_static = rc == 0;
	for (int32_t n = 0; n < b.view.n_nodes && all_static; n++)
		all_static = plan_mode(&r, n) == QX_MODE_STATIC;
	ok(all_static && r.prep.n_observe == 5 && !observed_gq,
	   "Sigmoid, HardSwish, Mul: static; Sigmoid's output and a Mul fused with its Relu are "
	   "not observed");
	const struct qx_plan_tensor *eg = rc ? NULL : plan_entry(&r, g);
	ok(eg && eg->scales[0] == 1.0f / 256.0f && eg->zero_points[0] == 0 && eg->qmin == 0 &&
	   eg->qmax == 255, "Sigmoid: FX's fixed qparams, scale 1/256, zero point 0 over 0..255 "
	   "(also with reduce_range)");
	float scale = 0;
	int32_t zp = -1;
	struct qx_qscheme qs = { QX_PLAN_UINT8, 0, 0, 127, 1 };
	qx_calculate_qparams(-0.375f, 3.0f, &qs, &scale, &zp);
	const struct qx_plan_tensor *eh = rc ? NULL : plan_entry(&r, h);
	int good_h = eh && eh->scales[0] == scale && eh->zero_points[0] == zp;
	qx_calculate_qparams(-0.25f, 2.5f, &qs, &scale, &zp);
	const struct qx_plan_tensor *em = rc ? NULL : plan_entry(&r, m);
	int good_m = em && em->scales[0] == scale && em->zero_points[0] == zp;
	ok(good_h && good_m, "HardSwish and Mul: their outputs observed on their own");
	qx_calculate_qparams(0.0f, 16.0f, &qs, &scale, &zp);
	const struct qx_plan_tensor *eq = rc ? NULL : plan_entry(&r, q);
	ok(eq && eq->scales[0] == scale && eq->zero_points[0] == zp &&
	   same_entry(eq, plan_entry(&r, r_t)),
	   "Mul read only by a Relu (FX's mul_relu): shares the Relu's qparams (range [0, 16])");
	if (rc)
		diag("  %s failed: %s", r.stage, r.msg);
	run_end(&r);
}

int main(void)
{
	tap_plan(0);
	host_init();
	if (!load_plugins()) {
		diag("build the plugins first: make %s/plugins/histogram.so ...", tap_build());
		return tap_done();
	}
	check_golden();
	check_chain();
	check_concat_add();
	check_add_relu();
	check_se_ops();
	check_calculators();
	check_options();
	for (int p = 0; p < N_PLUGINS; p++)
		if (plugin_dl[p])
			dlclose(plugin_dl[p]);
	return tap_done();
}
