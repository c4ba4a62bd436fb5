/* percentile: an example third-party quantization plugin for qx-bench.
 *
 * Activations: uint8 affine, with the range clipped to percentiles of the values seen during
 * calibration (by default the 0.01st and 99.99th), so that a few outliers do not stretch the
 * scale for everything else. The percentiles are taken over a uniform random sample of each
 * tensor's values (reservoir sampling, fixed seed: the same images give the same plan).
 * Weights: int8 symmetric, per output channel (default) or per tensor, from their min/max,
 * exactly as PyTorch's PerChannelMinMaxObserver / MinMaxObserver compute them.
 *
 * Options (all optional, declared in percentile_options so that the host checks them):
 *     percentile: 99.99         upper percentile, in [50, 100]; the lower one is 100 - it
 *     samples: 100000           values kept per tensor, in [100, 10000000]
 *     weights: per-channel      or per-tensor
 *     reduce_range: false       true: activations use 0..127 (for CPUs without VNNI)
 *
 * Built against the installed SDK only (pkg-config --cflags qx); links nothing but libc and
 * libm. Walked through in docs/plugin-authoring.md. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <qx/options.h>
#include <qx/plugin.h>
#include <qx/qparams.h>

/* A uniform sample of at most `cap` values out of all those offered (Vitter's algorithm R). */
struct reservoir {
	float *values;
	int64_t kept;                   /* values[0..kept) are filled */
	int64_t seen;                   /* values offered so far */
};

struct percentile {
	const struct qx_host *host;
	const struct qx_graph_view *view;   /* valid until destroy (plugin.h) */
	/* options */
	double percentile;
	int64_t samples;
	int per_channel;
	int reduce_range;
	/* from prepare */
	int32_t *modes;                 /* per node: enum qx_op_mode */
	int32_t *observe;               /* activation tensors that need qparams */
	int32_t n_observe;
	struct reservoir *res;          /* per observed tensor */
	uint64_t rng;
	/* the plan, owned here until destroy (plan.h) */
	struct qx_plan_tensor *entries;
	struct qx_plan_op *ops;
	float *scales;
	int32_t *zero_points;
};

/* xorshift64*: a fixed, portable sequence. */
static uint64_t next_random(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void percentile_destroy(void *state)
{
	struct percentile *st = state;
	if (!st)
		return;
	for (int32_t i = 0; st->res && i < st->n_observe; i++)
		free(st->res[i].values);
	free(st->res);
	free(st->modes);
	free(st->observe);
	free(st->entries);
	free(st->ops);
	free(st->scales);
	free(st->zero_points);
	free(st);
}

/* ---- options ---- */

/* Declared options (ABI 1.2): the host checks every suite value against these before create()
 * (type, range, choices; any other key is refused) and records the options in effect in
 * results.json. create() reads them back with their defaults. */
static const char *const weight_modes[] = { "per-channel", "per-tensor", NULL };
static const struct qx_option_decl percentile_options[] = {
	{ .key = "percentile", .type = QX_OPTION_NUMBER, .min = 50.0, .max = 100.0,
	  .default_value = "99.99", .help = "upper percentile kept; the lower one is 100 - it" },
	{ .key = "samples", .type = QX_OPTION_INT, .min = 100, .max = 10000000,
	  .default_value = "100000", .help = "values sampled per tensor" },
	{ .key = "weights", .type = QX_OPTION_CHOICE, .choices = weight_modes,
	  .default_value = "per-channel", .help = "int8 weight scales per output channel or per "
	  "tensor" },
	{ .key = "reduce_range", .type = QX_OPTION_BOOL, .default_value = "false",
	  .help = "activations over 0..127 (for CPUs without VNNI)" },
};
#define N_OPTIONS ((int32_t)(sizeof percentile_options / sizeof percentile_options[0]))

static int percentile_create(const struct qx_host *host, const struct qx_graph_view *view,
                             const struct qx_option *options, int32_t n_options, void **state)
{
	const struct qx_option_decl *d = percentile_options;
	double percentile;
	int64_t samples;
	int weights, reduce_range;
	int rc = qx_option_declared_number(host, d, N_OPTIONS, options, n_options, "percentile",
	                                   &percentile);
	if (!rc)
		rc = qx_option_declared_int(host, d, N_OPTIONS, options, n_options, "samples",
		                            &samples);
	if (!rc)
		rc = qx_option_declared_choice(host, d, N_OPTIONS, options, n_options, "weights",
		                               &weights);
	if (!rc)
		rc = qx_option_declared_bool(host, d, N_OPTIONS, options, n_options, "reduce_range",
		                             &reduce_range);
	if (rc)
		return rc;
	struct percentile *st = calloc(1, sizeof *st);
	if (!st) {
		host->error(host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	st->host = host;
	st->view = view;
	st->percentile = percentile;
	st->samples = samples;
	st->per_channel = weights == 0;
	st->reduce_range = reduce_range;
	st->rng = 0x9E3779B97F4A7C15ULL;
	*state = st;
	return QX_STATUS_OK;
}

/* ---- prepare: every node the harness can run static runs static ---- */

static int percentile_prepare(void *state, const struct qx_graph_view *v, struct qx_prepare *out)
{
	struct percentile *st = state;
	char *need = calloc((size_t)v->n_tensors + 1, 1);
	st->modes = calloc((size_t)v->n_nodes + 1, sizeof *st->modes);
	st->observe = calloc((size_t)v->n_tensors + 1, sizeof *st->observe);
	if (!need || !st->modes || !st->observe) {
		free(need);
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	for (int32_t n = 0; n < v->n_nodes; n++) {
		const struct qx_view_node *nd = &v->nodes[n];
		if (!(nd->modes & QX_MODE_BIT(QX_MODE_STATIC)))
			continue; /* float */
		st->modes[n] = QX_MODE_STATIC;
		for (int32_t j = 0; j < nd->n_inputs; j++)
			if (qx_view_node_act_input(v, n, j))
				need[nd->inputs[j]] = 1;
		need[nd->outputs[0]] = 1;
	}
	/* Pooling, Relu, Flatten and the like keep their input's qparams: the host fills in
	 * their outputs, so they need no observing. */
	for (int32_t n = 0; n < v->n_nodes; n++)
		if (st->modes[n] == QX_MODE_STATIC && qx_view_node_keeps_qparams(v, n))
			need[v->nodes[n].outputs[0]] = 0;
	for (int32_t t = 0; t < v->n_tensors; t++)
		if (need[t])
			st->observe[st->n_observe++] = t;
	free(need);
	st->res = calloc((size_t)st->n_observe + 1, sizeof *st->res);
	if (!st->res) {
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	out->n_observe = st->n_observe;
	out->observe = st->observe;
	out->node_modes = st->modes;
	return QX_STATUS_OK;
}

/* ---- calibrate: sample each observed tensor ---- */

static int offer(struct percentile *st, struct reservoir *r, const float *x, int64_t n)
{
	if (!r->values) {
		r->values = malloc(sizeof *r->values * (size_t)st->samples);
		if (!r->values)
			return -1;
	}
	for (int64_t i = 0; i < n; i++) {
		if (isnan(x[i]))
			continue;
		if (r->kept < st->samples) {
			r->values[r->kept++] = x[i];
		} else {
			uint64_t j = next_random(&st->rng) % (uint64_t)(r->seen + 1);
			if (j < (uint64_t)st->samples)
				r->values[j] = x[i];
		}
		r->seen++;
	}
	return 0;
}

static int percentile_calibrate(void *state, const struct qx_batch *batch)
{
	struct percentile *st = state;
	for (int32_t i = 0; i < batch->n_tensors; i++) {
		if (offer(st, &st->res[i], batch->tensors[i].data, batch->tensors[i].numel)) {
			st->host->error(st->host, "out of memory for %lld samples",
			                (long long)st->samples);
			return QX_STATUS_NOMEM;
		}
	}
	return QX_STATUS_OK;
}

/* ---- convert ---- */

static int compare_floats(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* The range [lo, hi] between the (100 - p)th and the pth percentile of the sample
 * (nearest rank). An empty sample gives the "nothing observed" range. */
static void sample_range(const struct percentile *st, struct reservoir *r, float *lo, float *hi)
{
	if (r->kept == 0) {
		*lo = QX_MINMAX_EMPTY_MIN;
		*hi = QX_MINMAX_EMPTY_MAX;
		return;
	}
	qsort(r->values, (size_t)r->kept, sizeof *r->values, compare_floats);
	double q = st->percentile / 100.0;
	int64_t last = r->kept - 1;
	int64_t i_hi = (int64_t)ceil(q * (double)last);
	int64_t i_lo = (int64_t)floor((1.0 - q) * (double)last);
	*lo = r->values[i_lo < 0 ? 0 : i_lo];
	*hi = r->values[i_hi > last ? last : i_hi];
}

static int weight_channels(const struct percentile *st, const struct qx_view_node *nd)
{
	if (!st->per_channel)
		return 1;
	return (int)st->view->tensors[nd->weight].dims[nd->weight_axis];
}

static int quantize_weight(struct percentile *st, const struct qx_view_node *nd,
                           struct qx_plan_tensor *e, float *scales, int32_t *zps)
{
	const struct qx_view_tensor *w = &st->view->tensors[nd->weight];
	struct qx_qscheme qs = { .dtype = QX_PLAN_INT8, .symmetric = 1 };
	qx_qrange(QX_PLAN_INT8, 0, &qs.qmin, &qs.qmax);
	int n = weight_channels(st, nd);
	float *lo = malloc(sizeof *lo * (size_t)n), *hi = malloc(sizeof *hi * (size_t)n);
	if (!lo || !hi) {
		free(lo);
		free(hi);
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	for (int c = 0; c < n; c++) {
		lo[c] = QX_MINMAX_EMPTY_MIN;
		hi[c] = QX_MINMAX_EMPTY_MAX;
	}
	if (st->per_channel) {
		/* [outer][channels][inner] around the output-channel axis */
		int64_t outer = 1, inner = 1;
		for (int d = 0; d < nd->weight_axis; d++)
			outer *= w->dims[d];
		for (int d = nd->weight_axis + 1; d < w->ndim; d++)
			inner *= w->dims[d];
		qx_minmax_update_channels(w->data, outer, n, inner, lo, hi);
	} else {
		qx_minmax_update(w->data, w->numel, lo, hi);
	}
	int rc = qx_calculate_qparams_channels(lo, hi, n, &qs, scales, zps);
	free(lo);
	free(hi);
	if (rc) {
		st->host->error(st->host, "weight '%s': no qparams (NaN in the weights?)", w->name);
		return QX_STATUS_ERROR;
	}
	*e = (struct qx_plan_tensor){ .tensor = nd->weight, .dtype = QX_PLAN_INT8, .symmetric = 1,
	                              .axis = st->per_channel ? nd->weight_axis : -1,
	                              .n_channels = n, .qmin = qs.qmin, .qmax = qs.qmax,
	                              .scales = scales, .zero_points = zps };
	return QX_STATUS_OK;
}

static int percentile_convert(void *state, struct qx_plan *plan)
{
	struct percentile *st = state;
	const struct qx_graph_view *v = st->view;
	int32_t n_ops = 0, n_weights = 0;
	size_t n_values = (size_t)st->n_observe;
	for (int32_t n = 0; n < v->n_nodes; n++) {
		if (st->modes[n] != QX_MODE_STATIC)
			continue;
		n_ops++;
		if (v->nodes[n].weight >= 0) {
			n_weights++;
			n_values += (size_t)weight_channels(st, &v->nodes[n]);
		}
	}
	st->entries = calloc((size_t)(st->n_observe + n_weights) + 1, sizeof *st->entries);
	st->ops = calloc((size_t)n_ops + 1, sizeof *st->ops);
	st->scales = calloc(n_values + 1, sizeof *st->scales);
	st->zero_points = calloc(n_values + 1, sizeof *st->zero_points);
	if (!st->entries || !st->ops || !st->scales || !st->zero_points) {
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	struct qx_qscheme act = { .dtype = QX_PLAN_UINT8, .symmetric = 0 };
	qx_qrange(QX_PLAN_UINT8, st->reduce_range, &act.qmin, &act.qmax);
	int32_t e = 0;
	size_t at = 0;
	for (int32_t i = 0; i < st->n_observe; i++, e++, at++) {
		float lo, hi;
		sample_range(st, &st->res[i], &lo, &hi);
		if (st->res[i].kept == 0)
			st->host->log(st->host, QX_LOG_WARN, "tensor '%s' saw no calibration data: "
			              "scale 1, zero point 0", v->tensors[st->observe[i]].name);
		if (qx_calculate_qparams(lo, hi, &act, &st->scales[at], &st->zero_points[at])) {
			st->host->error(st->host, "tensor '%s': no qparams for [%g, %g]",
			                v->tensors[st->observe[i]].name, (double)lo, (double)hi);
			return QX_STATUS_ERROR;
		}
		st->entries[e] = (struct qx_plan_tensor){
			.tensor = st->observe[i], .dtype = QX_PLAN_UINT8, .axis = -1, .n_channels = 1,
			.qmin = act.qmin, .qmax = act.qmax, .scales = &st->scales[at],
			.zero_points = &st->zero_points[at] };
	}
	int32_t k = 0;
	for (int32_t n = 0; n < v->n_nodes; n++) {
		if (st->modes[n] != QX_MODE_STATIC)
			continue;
		st->ops[k++] = (struct qx_plan_op){ .node = n, .mode = QX_MODE_STATIC };
		const struct qx_view_node *nd = &v->nodes[n];
		if (nd->weight < 0)
			continue;
		int rc = quantize_weight(st, nd, &st->entries[e], &st->scales[at],
		                         &st->zero_points[at]);
		if (rc)
			return rc;
		at += (size_t)st->entries[e].n_channels;
		e++;
	}
	plan->n_tensors = e;
	plan->tensors = st->entries;
	plan->n_ops = n_ops;
	plan->ops = st->ops;
	return QX_STATUS_OK;
}

static const struct qx_plugin percentile_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "percentile",
	.version = "1.0.0",
	.license = "MIT",
	.description = "Activations clipped to calibration percentiles; per-channel int8 weights",
	.create = percentile_create,
	.prepare = percentile_prepare,
	.calibrate = percentile_calibrate,
	.convert = percentile_convert,
	.destroy = percentile_destroy,
	.option_decls = percentile_options,
	.n_option_decls = N_OPTIONS,
};

QX_PLUGIN_ENTRY
{
	if (host->abi_major != QX_ABI_MAJOR) {
		host->error(host, "built for plugin ABI %d, the host has %u", QX_ABI_MAJOR,
		            host->abi_major);
		return NULL;
	}
	return &percentile_plugin;
}
