/* A small, correct per-tensor MinMax plugin that the test plugins in this folder are built from:
 * tests/plugins/good.c uses it as is; each faulty plugin defines one FAULT_* hook before
 * including it; PLUGIN_OPTION_DECLS / PLUGIN_N_OPTION_DECLS declare options (ABI minor 2). Built, like any third-party plugin, against include/qx only.
 *
 * Every node the harness can run static runs static; activations get uint8 affine qparams from
 * their running min/max (0..255, or 0..127 with the option reduce_range: true), weights int8
 * symmetric per tensor, as PyTorch's MinMaxObserver computes them (qx/qparams.h). */
#include <stdlib.h>
#include <string.h>

#include "qx/options.h"
#include "qx/plugin.h"
#include "qx/qparams.h"

#ifndef FAULT_ABI_MAJOR
#define FAULT_ABI_MAJOR QX_ABI_MAJOR
#endif
#ifndef FAULT_ABI_MINOR
#define FAULT_ABI_MINOR QX_ABI_MINOR
#endif
#ifndef FAULT_STRUCT_SIZE
#define FAULT_STRUCT_SIZE sizeof(struct qx_plugin)
#endif
#ifndef PLUGIN_NAME
#define PLUGIN_NAME "good"
#endif
/* Hooks: each runs at the start of its callback (with `st` in scope) and may return. */
#ifndef FAULT_PREPARE
#define FAULT_PREPARE
#endif
#ifndef FAULT_CALIBRATE
#define FAULT_CALIBRATE
#endif
/* Runs after the plan is complete, before convert returns. */
#ifndef FAULT_PLAN
#define FAULT_PLAN
#endif

struct minmax {
	const struct qx_host *host;
	const struct qx_graph_view *view;
	int reduce_range;
	int32_t *modes;                 /* per node */
	int32_t *observe;               /* tensors needing activation qparams */
	int32_t n_observe;
	float *min, *max;               /* per observed tensor */
	struct qx_plan_tensor *entries;
	struct qx_plan_op *ops;
	float *scales;
	int32_t *zero_points;
};

static void minmax_destroy(void *state)
{
	struct minmax *st = state;
	if (!st)
		return;
	free(st->modes);
	free(st->observe);
	free(st->min);
	free(st->max);
	free(st->entries);
	free(st->ops);
	free(st->scales);
	free(st->zero_points);
	free(st);
}

static int minmax_create(const struct qx_host *host, const struct qx_graph_view *view,
                         const struct qx_option *options, int32_t n_options, void **state)
{
	struct minmax *st = calloc(1, sizeof *st);
	if (!st) {
		host->error(host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	st->host = host;
	st->view = view;
	for (int32_t i = 0; i < n_options; i++) {
		const char *k = options[i].key, *v = options[i].value;
#ifdef PLUGIN_OPTION_DECLS
		/* the other declared options are accepted and not used: the host checked them */
		if (strcmp(k, "reduce_range") != 0 &&
		    qx_option_decl_find(PLUGIN_OPTION_DECLS, PLUGIN_N_OPTION_DECLS, k))
			continue;
#endif
		if (strcmp(k, "reduce_range") == 0 && (!strcmp(v, "true") || !strcmp(v, "false"))) {
			st->reduce_range = strcmp(v, "true") == 0;
		} else {
			host->error(host, strcmp(k, "reduce_range") == 0
			            ? "option 'reduce_range': '%s' (expected true or false)"
			            : "unknown option '%s' (expected reduce_range)",
			            strcmp(k, "reduce_range") == 0 ? v : k);
			free(st);
			return QX_STATUS_BAD_OPTION;
		}
	}
	*state = st;
	return QX_STATUS_OK;
}

static int minmax_prepare(void *state, const struct qx_graph_view *v, struct qx_prepare *out)
{
	struct minmax *st = state;
	FAULT_PREPARE
	st->modes = calloc((size_t)v->n_nodes + 1, sizeof *st->modes);
	char *need = calloc((size_t)v->n_tensors + 1, 1);
	st->observe = calloc((size_t)v->n_tensors + 1, sizeof *st->observe);
	if (!st->modes || !need || !st->observe) {
		free(need);
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	for (int32_t n = 0; n < v->n_nodes; n++) {
		const struct qx_view_node *nd = &v->nodes[n];
		if (!(nd->modes & QX_MODE_BIT(QX_MODE_STATIC)))
			continue;
		st->modes[n] = QX_MODE_STATIC;
		for (int32_t j = 0; j < nd->n_inputs; j++)
			if (qx_view_node_act_input(v, n, j))
				need[nd->inputs[j]] = 1;
		need[nd->outputs[0]] = 1;
	}
	for (int32_t n = 0; n < v->n_nodes; n++)
		if (st->modes[n] == QX_MODE_STATIC && qx_view_node_keeps_qparams(v, n))
			need[v->nodes[n].outputs[0]] = 0; /* the host copies the input's */
	for (int32_t t = 0; t < v->n_tensors; t++)
		if (need[t])
			st->observe[st->n_observe++] = t;
	free(need);
	st->min = malloc(sizeof *st->min * ((size_t)st->n_observe + 1));
	st->max = malloc(sizeof *st->max * ((size_t)st->n_observe + 1));
	if (!st->min || !st->max) {
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	for (int32_t i = 0; i < st->n_observe; i++) {
		st->min[i] = QX_MINMAX_EMPTY_MIN;
		st->max[i] = QX_MINMAX_EMPTY_MAX;
	}
	out->n_observe = st->n_observe;
	out->observe = st->observe;
	out->node_modes = st->modes;
	return QX_STATUS_OK;
}

static int minmax_calibrate(void *state, const struct qx_batch *batch)
{
	struct minmax *st = state;
	FAULT_CALIBRATE
	for (int32_t i = 0; i < batch->n_tensors; i++)
		qx_minmax_update(batch->tensors[i].data, batch->tensors[i].numel, &st->min[i],
		                 &st->max[i]);
	return QX_STATUS_OK;
}

static int minmax_convert(void *state, struct qx_plan *plan)
{
	struct minmax *st = state;
	const struct qx_graph_view *v = st->view;
	int32_t n_weights = 0, n_ops = 0;
	for (int32_t n = 0; n < v->n_nodes; n++)
		if (st->modes[n] == QX_MODE_STATIC) {
			n_ops++;
			n_weights += v->nodes[n].weight >= 0;
		}
	size_t n_entries = (size_t)st->n_observe + (size_t)n_weights;
	st->entries = calloc(n_entries + 1, sizeof *st->entries);
	st->ops = calloc((size_t)n_ops + 1, sizeof *st->ops);
	st->scales = calloc(n_entries + 1, sizeof *st->scales);
	st->zero_points = calloc(n_entries + 1, sizeof *st->zero_points);
	if (!st->entries || !st->ops || !st->scales || !st->zero_points) {
		st->host->error(st->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	struct qx_qscheme act = { .dtype = QX_PLAN_UINT8, .symmetric = 0 };
	qx_qrange(QX_PLAN_UINT8, st->reduce_range, &act.qmin, &act.qmax);
	struct qx_qscheme wt = { .dtype = QX_PLAN_INT8, .symmetric = 1 };
	qx_qrange(QX_PLAN_INT8, 0, &wt.qmin, &wt.qmax);
	size_t e = 0;
	for (int32_t i = 0; i < st->n_observe; i++, e++) {
		struct qx_plan_tensor *pt = &st->entries[e];
		if (qx_calculate_qparams(st->min[i], st->max[i], &act, &st->scales[e],
		                         &st->zero_points[e])) {
			st->host->error(st->host, "tensor '%s': no qparams for range [%g, %g]",
			                v->tensors[st->observe[i]].name, (double)st->min[i],
			                (double)st->max[i]);
			return QX_STATUS_ERROR;
		}
		*pt = (struct qx_plan_tensor){ .tensor = st->observe[i], .dtype = act.dtype,
		                               .axis = -1, .n_channels = 1, .qmin = act.qmin,
		                               .qmax = act.qmax, .scales = &st->scales[e],
		                               .zero_points = &st->zero_points[e] };
	}
	int32_t k = 0;
	for (int32_t n = 0; n < v->n_nodes; n++) {
		if (st->modes[n] != QX_MODE_STATIC)
			continue;
		st->ops[k++] = (struct qx_plan_op){ .node = n, .mode = QX_MODE_STATIC };
		int32_t w = v->nodes[n].weight;
		if (w < 0)
			continue;
		float lo = QX_MINMAX_EMPTY_MIN, hi = QX_MINMAX_EMPTY_MAX;
		qx_minmax_update(v->tensors[w].data, v->tensors[w].numel, &lo, &hi);
		if (qx_calculate_qparams(lo, hi, &wt, &st->scales[e], &st->zero_points[e])) {
			st->host->error(st->host, "weight '%s': no qparams", v->tensors[w].name);
			return QX_STATUS_ERROR;
		}
		st->entries[e] = (struct qx_plan_tensor){ .tensor = w, .dtype = wt.dtype,
		                                          .symmetric = 1, .axis = -1, .n_channels = 1,
		                                          .qmin = wt.qmin, .qmax = wt.qmax,
		                                          .scales = &st->scales[e],
		                                          .zero_points = &st->zero_points[e] };
		e++;
	}
	plan->n_tensors = (int32_t)e;
	plan->tensors = st->entries;
	plan->n_ops = n_ops;
	plan->ops = st->ops;
	FAULT_PLAN
	return QX_STATUS_OK;
}

static const struct qx_plugin minmax_plugin = {
	.abi_major = FAULT_ABI_MAJOR,
	.abi_minor = FAULT_ABI_MINOR,
	.struct_size = FAULT_STRUCT_SIZE,
	.name = PLUGIN_NAME,
	.version = "1.0.0",
	.license = "MIT",
	.description = "Per-tensor MinMax test plugin",
	.create = minmax_create,
	.prepare = minmax_prepare,
	.calibrate = minmax_calibrate,
	.convert = minmax_convert,
	.destroy = minmax_destroy,
#ifdef PLUGIN_OPTION_DECLS
	.option_decls = PLUGIN_OPTION_DECLS,
	.n_option_decls = PLUGIN_N_OPTION_DECLS,
#endif
};

#ifndef FAULT_NO_ENTRY
QX_PLUGIN_ENTRY
{
	(void)host;
	return &minmax_plugin;
}
#endif
