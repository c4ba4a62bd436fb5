/* fp8: FP8 weights and activations (ABI minor 3), as coreai-opt's seed quantizes: every Conv,
 * Gemm and MatMul the host can run static gets FP8 (e4m3fn or e5m2) on its activation input,
 * its output and its weight; every other node stays float. Scale only (no zero point), chosen
 * so that the largest magnitude maps to the format's largest finite value:
 *   weights:     per output channel, scale = max|w[c]| / fmax;
 *   activations: per tensor, global min/max over every calibration batch,
 *                scale = max(|min|, |max|) / fmax;
 * fmax = 448 (e4m3fn) or 57344 (e5m2). The host rounds x / scale to the nearest FP8 value, ties
 * to even, saturating (include/qx/plan.h). An all-zero tensor or channel gets scale 1 (its
 * values are exactly 0 at any scale). Biases stay fp32.
 *
 * No int8 kernel runs FP8: the harness evaluates the plan on its reference simulation and
 * reports accuracy and size, latency "no kernel".
 *
 * Options (docs/plugins.md): format: e4m3 | e5m2 (default e4m3). */
#include <math.h>
#include <stdlib.h>

#include "qx/options.h"
#include "qx/plugin.h"

static const char *const fp8_formats[] = { "e4m3", "e5m2", NULL };

static const struct qx_option_decl fp8_options[] = {
	{ .key = "format", .type = QX_OPTION_CHOICE, .choices = fp8_formats,
	  .default_value = "e4m3",
	  .help = "e4m3 (float8_e4m3fn, max 448) or e5m2 (float8_e5m2, max 57344)" },
};
#define N_OPTIONS ((int32_t)(sizeof fp8_options / sizeof fp8_options[0]))

struct fp8_state {
	const struct qx_host *host;
	const struct qx_graph_view *view;       /* valid until destroy() */
	int32_t dtype;                  /* QX_PLAN_FP8_E4M3FN or QX_PLAN_FP8_E5M2 */
	float fmax;
	int32_t *node_modes;            /* n_nodes */
	int32_t *observe;               /* activation tensors, each once */
	float *absmax;                  /* per observed tensor, over every batch */
	int32_t n_observe;
	int32_t batches;
	struct qx_plan_tensor *entries;
	struct qx_plan_op *ops;
	float **arrays;                 /* scale arrays, to free */
	int32_t **zeros;
	int32_t n_entries, n_ops, n_arrays;
};

static void fp8_destroy(void *p)
{
	struct fp8_state *s = p;
	if (!s)
		return;
	for (int32_t i = 0; i < s->n_arrays; i++) {
		free(s->arrays[i]);
		free(s->zeros[i]);
	}
	free(s->arrays);
	free(s->zeros);
	free(s->node_modes);
	free(s->observe);
	free(s->absmax);
	free(s->entries);
	free(s->ops);
	free(s);
}

static int fp8_create(const struct qx_host *host, const struct qx_graph_view *view,
                      const struct qx_option *options, int32_t n_options, void **state)
{
	int format;
	int rc = qx_option_declared_choice(host, fp8_options, N_OPTIONS, options, n_options,
	                                   "format", &format);
	if (rc)
		return rc;
	if (host->abi_minor < 3) {
		host->error(host, "this qx-bench has plugin ABI 1.%u (expected 1.3 or later: FP8 "
		            "dtypes)", host->abi_minor);
		return QX_STATUS_UNSUPPORTED;
	}
	struct fp8_state *s = calloc(1, sizeof *s);
	size_t nt = (size_t)view->n_tensors + 1, nn = (size_t)view->n_nodes + 1;
	if (s) {
		s->node_modes = calloc(nn, sizeof *s->node_modes);
		s->observe = calloc(nt, sizeof *s->observe);
		s->absmax = calloc(nt, sizeof *s->absmax);
		s->entries = calloc(nt, sizeof *s->entries);
		s->ops = calloc(nn, sizeof *s->ops);
		s->arrays = calloc(nt, sizeof *s->arrays);
		s->zeros = calloc(nt, sizeof *s->zeros);
	}
	if (!s || !s->node_modes || !s->observe || !s->absmax || !s->entries || !s->ops ||
	    !s->arrays || !s->zeros) {
		fp8_destroy(s);
		host->error(host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	s->host = host;
	s->view = view;
	s->dtype = format == 1 ? QX_PLAN_FP8_E5M2 : QX_PLAN_FP8_E4M3FN;
	s->fmax = format == 1 ? 57344.0f : 448.0f;
	*state = s;
	return QX_STATUS_OK;
}

static void observe_once(struct fp8_state *s, int32_t t)
{
	for (int32_t i = 0; i < s->n_observe; i++)
		if (s->observe[i] == t)
			return;
	s->observe[s->n_observe++] = t;
}

/* Conv / Gemm / MatMul with a weight the host can run static: FP8; the rest float. */
static int fp8_prepare(void *p, const struct qx_graph_view *view, struct qx_prepare *out)
{
	struct fp8_state *s = p;
	for (int32_t n = 0; n < view->n_nodes; n++) {
		const struct qx_view_node *nd = &view->nodes[n];
		s->node_modes[n] = QX_MODE_FLOAT;
		if (nd->weight < 0 || !(nd->modes & QX_MODE_BIT(QX_MODE_STATIC)) || nd->n_inputs < 1 ||
		    nd->n_outputs < 1)
			continue;
		s->node_modes[n] = QX_MODE_STATIC;
		observe_once(s, nd->inputs[0]);
		observe_once(s, nd->outputs[0]);
	}
	out->n_observe = s->n_observe;
	out->observe = s->observe;
	out->node_modes = s->node_modes;
	return QX_STATUS_OK;
}

static int fp8_calibrate(void *p, const struct qx_batch *batch)
{
	struct fp8_state *s = p;
	for (int32_t i = 0; i < batch->n_tensors && i < s->n_observe; i++) {
		const struct qx_observed *o = &batch->tensors[i];
		float m = s->absmax[i];
		for (int64_t k = 0; k < o->numel; k++) {
			float a = fabsf(o->data[k]);
			if (!(a <= m)) /* NaN too: a NaN activation is the plan's problem to show */
				m = isnan(a) ? m : a;
		}
		s->absmax[i] = m;
	}
	s->batches++;
	return QX_STATUS_OK;
}

/* A plan entry: scales (n values, absmax / fmax), zero points 0. */
static int add_entry(struct fp8_state *s, int32_t tensor, int32_t axis, int32_t n,
                     const float *absmax)
{
	float *sc = malloc(sizeof *sc * (size_t)n);
	int32_t *zp = calloc((size_t)n, sizeof *zp);
	s->arrays[s->n_arrays] = sc;
	s->zeros[s->n_arrays++] = zp;
	if (!sc || !zp) {
		s->host->error(s->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	for (int32_t c = 0; c < n; c++)
		sc[c] = absmax[c] > 0.0f ? absmax[c] / s->fmax : 1.0f;
	s->entries[s->n_entries++] = (struct qx_plan_tensor){
		.tensor = tensor, .dtype = s->dtype, .symmetric = 1, .axis = axis, .n_channels = n,
		.qmin = 0, .qmax = 0, .scales = sc, .zero_points = zp };
	return QX_STATUS_OK;
}

/* Per-output-channel max|w| of node nd's weight. */
static int weight_entry(struct fp8_state *s, const struct qx_view_node *nd)
{
	const struct qx_view_tensor *t = &s->view->tensors[nd->weight];
	for (int32_t e = 0; e < s->n_entries; e++)
		if (s->entries[e].tensor == nd->weight)
			return QX_STATUS_OK; /* shared by two nodes: once */
	int32_t axis = nd->weight_axis;
	if (!t->data || axis < 0 || axis >= t->ndim) {
		s->host->error(s->host, "node '%s': weight '%s' has no data or weight_axis %d (expected "
		               "a constant fp32 weight with an output-channel axis)", nd->name, t->name,
		               axis);
		return QX_STATUS_UNSUPPORTED;
	}
	int64_t inner = 1, ch = t->dims[axis];
	for (int32_t d = axis + 1; d < t->ndim; d++)
		inner *= t->dims[d];
	float *m = calloc((size_t)ch, sizeof *m);
	if (!m) {
		s->host->error(s->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	for (int64_t i = 0; i < t->numel; i++) {
		float a = fabsf(t->data[i]);
		float *mc = &m[(i / inner) % ch];
		*mc = a > *mc ? a : *mc;
	}
	int rc = add_entry(s, nd->weight, axis, (int32_t)ch, m);
	free(m);
	return rc;
}

static int fp8_convert(void *p, struct qx_plan *plan)
{
	struct fp8_state *s = p;
	if (s->n_observe > 0 && s->batches == 0) {
		s->host->error(s->host, "no calibration batches (expected calibration images: FP8 "
		               "activation scales come from their observed range)");
		return QX_STATUS_ERROR;
	}
	for (int32_t i = 0; i < s->n_observe; i++) {
		int rc = add_entry(s, s->observe[i], -1, 1, &s->absmax[i]);
		if (rc)
			return rc;
	}
	for (int32_t n = 0; n < s->view->n_nodes; n++) {
		if (s->node_modes[n] != QX_MODE_STATIC)
			continue;
		int rc = weight_entry(s, &s->view->nodes[n]);
		if (rc)
			return rc;
		s->ops[s->n_ops++] = (struct qx_plan_op){ .node = n, .mode = QX_MODE_STATIC };
	}
	plan->n_tensors = s->n_entries;
	plan->tensors = s->entries;
	plan->n_ops = s->n_ops;
	plan->ops = s->ops;
	return QX_STATUS_OK;
}

static const struct qx_plugin fp8_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "fp8",
	.version = "1.0.0",
	.license = "MIT",
	.description = "FP8 (e4m3fn or e5m2) weights per channel and activations per tensor, "
	               "scale = absmax / fmax",
	.create = fp8_create,
	.prepare = fp8_prepare,
	.calibrate = fp8_calibrate,
	.convert = fp8_convert,
	.destroy = fp8_destroy,
	.option_decls = fp8_options,
	.n_option_decls = N_OPTIONS,
};

QX_PLUGIN_ENTRY
{
	if (host->abi_major != QX_ABI_MAJOR) {
		host->error(host, "built for plugin ABI %d.x (this host has %u.%u)", QX_ABI_MAJOR,
		            host->abi_major, host->abi_minor);
		return NULL;
	}
	return &fp8_plugin;
}
