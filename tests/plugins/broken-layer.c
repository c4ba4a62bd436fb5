/* Fault for the investigation tests (explain, sensitivity, fallback): static-per-channel's plan
 * with one node's weight scales multiplied by `factor` (default 10), so that node's weights
 * keep about a tenth of their int8 levels. The plan stays valid: only per-channel weight scales
 * change, and the harness derives the node's int32 bias scale from them.
 *
 * Options: node (required): the node's name as the view spells it, e.g. /conv2/Conv;
 *          factor: a number > 0 (default 10). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qx/options.h"
#include "qx/plugin.h"

#include "../../plugins/common/ptq_static.h"

struct broken {
	struct qxp_ptq *ptq;            /* static-per-channel's state, which owns the plan */
	int32_t node;                   /* the node whose weight is broken */
	double factor;
	struct qx_plan_tensor *tensors; /* a copy of the plan's entries, the weight's one changed */
	float *scales;
};

static void broken_destroy(void *p)
{
	struct broken *b = p;
	if (!b)
		return;
	qxp_ptq_destroy(b->ptq);
	free(b->tensors);
	free(b->scales);
	free(b);
}

static int broken_create(const struct qx_host *host, const struct qx_graph_view *view,
                         const struct qx_option *options, int32_t n_options, void **state)
{
	static const char *const known[] = { "node", "factor", NULL };
	double factor;
	int rc = qx_options_check_keys(host, options, n_options, known);
	if (!rc)
		rc = qx_option_double(host, options, n_options, "factor", 10.0, 0.0, INFINITY,
		                      QX_OPTION_MIN_EXCLUSIVE, &factor);
	if (rc)
		return rc;
	const char *name = qx_option_value(options, n_options, "node");
	int32_t node = -1;
	for (int32_t n = 0; name && n < view->n_nodes && node < 0; n++)
		if (!strcmp(view->nodes[n].name, name))
			node = n;
	if (node < 0 || view->nodes[node].weight < 0) {
		host->error(host, "option 'node': %s%s%s (expected the name of a node with a constant "
		            "weight, e.g. a Conv)", name ? "'" : "not given", name ? name : "",
		            name ? "' is not such a node" : "");
		return QX_STATUS_BAD_OPTION;
	}
	struct broken *b = calloc(1, sizeof *b);
	if (!b) {
		host->error(host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	b->node = node;
	b->factor = factor;
	struct qxp_ptq_config cfg = { .act_observer = QXP_ACT_MINMAX, .per_channel_weights = 1,
	                              .reduce_range = 1 };
	void *ptq = NULL;
	rc = qxp_ptq_create(host, view, &cfg, &ptq);
	if (rc) {
		free(b);
		return rc;
	}
	b->ptq = ptq;
	*state = b;
	return QX_STATUS_OK;
}

static int broken_prepare(void *p, const struct qx_graph_view *view, struct qx_prepare *out)
{
	return qxp_ptq_prepare(((struct broken *)p)->ptq, view, out);
}

static int broken_calibrate(void *p, const struct qx_batch *batch)
{
	return qxp_ptq_calibrate(((struct broken *)p)->ptq, batch);
}

static int broken_convert(void *p, struct qx_plan *plan)
{
	struct broken *b = p;
	int rc = qxp_ptq_convert(b->ptq, plan);
	if (rc)
		return rc;
	int32_t weight = b->ptq->view->nodes[b->node].weight;
	b->tensors = malloc(sizeof *b->tensors * (size_t)(plan->n_tensors + 1));
	if (!b->tensors) {
		b->ptq->host->error(b->ptq->host, "out of memory");
		return QX_STATUS_NOMEM;
	}
	memcpy(b->tensors, plan->tensors, sizeof *b->tensors * (size_t)plan->n_tensors);
	for (int32_t i = 0; i < plan->n_tensors; i++) {
		struct qx_plan_tensor *t = &b->tensors[i];
		if (t->tensor != weight)
			continue;
		b->scales = malloc(sizeof *b->scales * (size_t)t->n_channels);
		if (!b->scales) {
			b->ptq->host->error(b->ptq->host, "out of memory");
			return QX_STATUS_NOMEM;
		}
		for (int32_t c = 0; c < t->n_channels; c++)
			b->scales[c] = (float)(t->scales[c] * b->factor);
		t->scales = b->scales;
	}
	plan->tensors = b->tensors;
	return QX_STATUS_OK;
}

static const struct qx_plugin broken_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "broken-layer",
	.version = "1.0.0",
	.license = "MIT",
	.description = "test fault: static-per-channel with one node's weight scales multiplied "
	               "by a factor",
	.create = broken_create,
	.prepare = broken_prepare,
	.calibrate = broken_calibrate,
	.convert = broken_convert,
	.destroy = broken_destroy,
};

QX_PLUGIN_ENTRY
{
	return qxp_host_ok(host) ? &broken_plugin : NULL;
}
