/* int4-weight-only: weight-only quantization with per-group scales, as GPTQ / AWQ-style int4
 * deployments store weights (ABI minor 3): every node the host offers QX_MODE_WEIGHT_ONLY
 * (Conv, Gemm, MatMul with a constant weight) keeps fp32 activations and arithmetic, and its
 * weight is stored as `bits`-bit signed integers with one scale per group of `group_size`
 * consecutive values along the reduction axis of each output channel (the whole row when the
 * row is shorter). Symmetric, as PyTorch's MinMaxObserver per_channel_symmetric computes it on
 * each group: scale = max|w| / ((qmax - qmin) / 2), qmin = -2^(bits-1), qmax = 2^(bits-1) - 1
 * (int4: max|w| / 7.5 over -8..7), zero point 0. No calibration: weights only.
 *
 * No int8 kernel runs such a plan: the harness evaluates it on its reference simulation and
 * reports accuracy and size (4 bits per weight plus the group scales), latency "no kernel".
 *
 * Options (docs/plugins.md): bits 2..8 (default 4), group_size >= 1 (default 32). */
#include <math.h>
#include <stdlib.h>

#include "qx/options.h"
#include "qx/plugin.h"

static const struct qx_option_decl wo_options[] = {
	{ .key = "bits", .type = QX_OPTION_INT, .min = 2, .max = 8, .default_value = "4",
	  .help = "bits per stored weight (signed, symmetric)" },
	{ .key = "group_size", .type = QX_OPTION_INT, .min = 1, .max = 1 << 20,
	  .default_value = "32",
	  .help = "weights per scale along each output channel's reduction axis" },
};
#define N_OPTIONS ((int32_t)(sizeof wo_options / sizeof wo_options[0]))

struct wo_state {
	const struct qx_host *host;
	const struct qx_graph_view *view;       /* valid until destroy() */
	int32_t bits, group_size;
	int32_t *node_modes;            /* n_nodes */
	struct qx_plan_tensor *entries; /* one per quantized weight */
	struct qx_plan_tensor_ext *exts;
	struct qx_plan_op *ops;
	float **arrays;                 /* every scale array allocated, to free */
	int32_t **ints;
	int32_t n_entries, n_ops, n_arrays;
};

static void wo_destroy(void *p)
{
	struct wo_state *s = p;
	if (!s)
		return;
	for (int32_t i = 0; i < s->n_arrays; i++) {
		free(s->arrays[i]);
		free(s->ints[i]);
	}
	free(s->arrays);
	free(s->ints);
	free(s->node_modes);
	free(s->entries);
	free(s->exts);
	free(s->ops);
	free(s);
}

static int wo_create(const struct qx_host *host, const struct qx_graph_view *view,
                     const struct qx_option *options, int32_t n_options, void **state)
{
	int64_t bits, group;
	int rc = qx_option_declared_int(host, wo_options, N_OPTIONS, options, n_options, "bits",
	                                &bits);
	if (!rc)
		rc = qx_option_declared_int(host, wo_options, N_OPTIONS, options, n_options,
		                            "group_size", &group);
	if (rc)
		return rc;
	if (host->abi_minor < 3) {
		host->error(host, "this qx-bench has plugin ABI 1.%u (expected 1.3 or later: weight-only "
		            "nodes and per-group scales)", host->abi_minor);
		return QX_STATUS_UNSUPPORTED;
	}
	struct wo_state *s = calloc(1, sizeof *s);
	size_t n = (size_t)view->n_nodes + 1;
	if (s) {
		s->node_modes = calloc(n, sizeof *s->node_modes);
		s->entries = calloc(n, sizeof *s->entries);
		s->exts = calloc(n, sizeof *s->exts);
		s->ops = calloc(n, sizeof *s->ops);
		s->arrays = calloc(2 * n, sizeof *s->arrays);
		s->ints = calloc(2 * n, sizeof *s->ints);
	}
	if (!s || !s->node_modes || !s->entries || !s->exts || !s->ops || !s->arrays || !s->ints) {
		wo_destroy(s);
		host->error(host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	s->host = host;
	s->view = view;
	s->bits = (int32_t)bits;
	s->group_size = (int32_t)group;
	*state = s;
	return QX_STATUS_OK;
}

static int wo_prepare(void *p, const struct qx_graph_view *view, struct qx_prepare *out)
{
	struct wo_state *s = p;
	for (int32_t n = 0; n < view->n_nodes; n++)
		s->node_modes[n] = view->nodes[n].modes & QX_MODE_BIT(QX_MODE_WEIGHT_ONLY)
		                           ? QX_MODE_WEIGHT_ONLY : QX_MODE_FLOAT;
	out->node_modes = s->node_modes;
	return QX_STATUS_OK;
}

static int wo_calibrate(void *p, const struct qx_batch *batch)
{
	(void)p;
	(void)batch;
	return QX_STATUS_OK; /* weights only: prepare observes nothing */
}

/* Per-group scales of weight t along axis (the output channels), channel-major. */
static int weight_entry(struct wo_state *s, const struct qx_graph_view *view, int32_t node)
{
	const struct qx_view_node *nd = &view->nodes[node];
	const struct qx_view_tensor *t = &view->tensors[nd->weight];
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
	int64_t row = t->numel / ch;
	int64_t groups = (row + s->group_size - 1) / s->group_size;
	float *gs = calloc((size_t)(ch * groups), sizeof *gs);
	float *cs = calloc((size_t)ch, sizeof *cs);
	int32_t *zp = calloc((size_t)ch, sizeof *zp);
	s->arrays[s->n_arrays] = gs;
	s->ints[s->n_arrays++] = zp;
	s->arrays[s->n_arrays++] = cs;
	if (!gs || !cs || !zp) {
		s->host->error(s->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	/* max|w| per group: element i is in channel (i / inner) % ch at position r of its row,
	 * the other axes in row-major order (include/qx/plan.h). */
	for (int64_t i = 0; i < t->numel; i++) {
		int64_t c = (i / inner) % ch, r = (i / (inner * ch)) * inner + i % inner;
		float a = fabsf(t->data[i]);
		float *m = &gs[c * groups + r / s->group_size];
		*m = a > *m ? a : *m;
	}
	int32_t qmin = -(1 << (s->bits - 1)), qmax = (1 << (s->bits - 1)) - 1;
	float half_range = (float)(qmax - qmin) / 2.0f;
	for (int64_t c = 0; c < ch; c++) {
		for (int64_t k = 0; k < groups; k++) {
			float *g = &gs[c * groups + k];
			/* an all-zero group: any scale gives zeros; PyTorch's observers use eps there */
			*g = *g > 0.0f ? *g / half_range : 1.1920928955078125e-07f;
			cs[c] = *g > cs[c] ? *g : cs[c];
		}
	}
	struct qx_plan_tensor *e = &s->entries[s->n_entries];
	struct qx_plan_tensor_ext *x = &s->exts[s->n_entries++];
	*e = (struct qx_plan_tensor){ .tensor = nd->weight, .dtype = QX_PLAN_INT8, .symmetric = 1,
	                              .axis = axis, .n_channels = (int32_t)ch, .qmin = qmin,
	                              .qmax = qmax, .scales = cs, .zero_points = zp };
	*x = (struct qx_plan_tensor_ext){ .tensor = nd->weight, .bits = s->bits,
	                                  .group_size = s->group_size,
	                                  .n_group_scales = (int32_t)(ch * groups),
	                                  .group_scales = gs };
	return QX_STATUS_OK;
}

static int wo_convert(void *p, struct qx_plan *plan)
{
	struct wo_state *s = p;
	const struct qx_graph_view *view = s->view;
	for (int32_t n = 0; n < view->n_nodes; n++) {
		if (s->node_modes[n] != QX_MODE_WEIGHT_ONLY)
			continue;
		int rc = weight_entry(s, view, n);
		if (rc)
			return rc;
		s->ops[s->n_ops++] = (struct qx_plan_op){ .node = n, .mode = QX_MODE_WEIGHT_ONLY };
	}
	plan->n_tensors = s->n_entries;
	plan->tensors = s->entries;
	plan->n_ops = s->n_ops;
	plan->ops = s->ops;
	plan->n_tensor_ext = s->n_entries;
	plan->tensor_ext = s->exts;
	return QX_STATUS_OK;
}

static const struct qx_plugin wo_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "int4-weight-only",
	.version = "1.0.0",
	.license = "MIT",
	.description = "Weight-only int4 (2..8 bits) with symmetric per-group scales; float "
	               "activations",
	.create = wo_create,
	.prepare = wo_prepare,
	.calibrate = wo_calibrate,
	.convert = wo_convert,
	.destroy = wo_destroy,
	.option_decls = wo_options,
	.n_option_decls = N_OPTIONS,
};

QX_PLUGIN_ENTRY
{
	if (host->abi_major != QX_ABI_MAJOR) {
		host->error(host, "built for plugin ABI %d.x (this host has %u.%u)", QX_ABI_MAJOR,
		            host->abi_major, host->abi_minor);
		return NULL;
	}
	return &wo_plugin;
}
