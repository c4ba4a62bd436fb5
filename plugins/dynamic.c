/* dynamic: PyTorch's dynamic quantization (torch.ao.quantization.quantize_dynamic with
 * default_dynamic_qconfig) of the Linear layers.
 *
 * Every Gemm/MatMul whose weight is a constant runs QX_MODE_DYNAMIC: its weight int8
 * per-tensor symmetric (default_weight_observer: MinMaxObserver qint8 per_tensor_symmetric,
 * scale = max|w| / 127.5, zero point 0), its input quantized at run time to uint8 from each
 * call's min/max over 0..127 (reduce_range, as PyTorch's dynamic Linear) or 0..255. Every other
 * node stays float. Nothing is observed: the plan does not depend on calibration.
 *
 * Options (docs/plugins.md): reduce_range: true | false (default true). */
#include <stdlib.h>

#include "qx/options.h"
#include "qx/plugin.h"

#include "common/weights.h"

struct dynamic_state {
	const struct qx_host *host;
	const struct qx_graph_view *view;
	int reduce_range;
	int32_t *node_modes;            /* n_nodes */
	int32_t n_weights;
	struct qxp_weight *weights;     /* one per distinct weight tensor */
	struct qx_plan_tensor *plan_tensors;
	struct qx_plan_op *plan_ops;
};

static void dynamic_destroy(void *p)
{
	struct dynamic_state *s = p;
	if (!s)
		return;
	for (int32_t i = 0; i < s->n_weights; i++)
		qxp_weight_free(&s->weights[i]);
	free(s->weights);
	free(s->node_modes);
	free(s->plan_tensors);
	free(s->plan_ops);
	free(s);
}

static const struct qx_option_decl dynamic_options[] = {
	{ .key = "reduce_range", .type = QX_OPTION_BOOL, .default_value = "true",
	  .help = "run-time activation range 0..127 (fbgemm's 7 bits) instead of 0..255" },
};

static int dynamic_create(const struct qx_host *host, const struct qx_graph_view *view,
                          const struct qx_option *options, int32_t n_options, void **state)
{
	static const char *const known[] = { "reduce_range", NULL };
	int reduce_range;
	int rc = qx_options_check_keys(host, options, n_options, known);
	if (!rc)
		rc = qx_option_declared_bool(host, dynamic_options, 1, options, n_options,
		                             "reduce_range", &reduce_range);
	if (rc)
		return rc;
	struct dynamic_state *s = calloc(1, sizeof *s);
	if (s) {
		s->node_modes = calloc((size_t)view->n_nodes + 1, sizeof *s->node_modes);
		s->weights = calloc((size_t)view->n_nodes + 1, sizeof *s->weights);
	}
	if (!s || !s->node_modes || !s->weights) {
		dynamic_destroy(s);
		host->error(host, "out of memory for the state of a %d-node model", (int)view->n_nodes);
		return QX_STATUS_NOMEM;
	}
	s->host = host;
	s->view = view;
	s->reduce_range = reduce_range;
	*state = s;
	return QX_STATUS_OK;
}

/* A Linear layer: Gemm or MatMul with a constant weight, and the harness can run it dynamic. */
static int is_linear(const struct qx_view_node *nd)
{
	return (nd->op == QX_VIEW_OP_GEMM || nd->op == QX_VIEW_OP_MATMUL) && nd->weight >= 0 &&
	       (nd->modes & QX_MODE_BIT(QX_MODE_DYNAMIC));
}

static int dynamic_prepare(void *p, const struct qx_graph_view *view, struct qx_prepare *out)
{
	struct dynamic_state *s = p;
	int n_dynamic = 0;
	for (int32_t n = 0; n < view->n_nodes; n++) {
		s->node_modes[n] = QX_MODE_FLOAT;
		if (!is_linear(&view->nodes[n]))
			continue;
		/* a weight shared by several Linear layers gets one entry (per tensor: the same) */
		int shared = 0;
		for (int32_t i = 0; i < s->n_weights && !shared; i++)
			shared = s->weights[i].tensor == view->nodes[n].weight;
		if (!shared) {
			int rc = qxp_weight_qparams(s->host, view, n, 0, &s->weights[s->n_weights]);
			if (rc)
				return rc;
			s->n_weights++;
		}
		s->node_modes[n] = QX_MODE_DYNAMIC;
		n_dynamic++;
	}
	s->host->log(s->host, QX_LOG_INFO, "%d of %d nodes dynamic (Gemm/MatMul with constant "
	             "weights), activations 0..%d at run time", n_dynamic, (int)view->n_nodes,
	             s->reduce_range ? 127 : 255);
	out->n_observe = 0;
	out->observe = NULL;
	out->node_modes = s->node_modes;
	return QX_STATUS_OK;
}

static int dynamic_calibrate(void *p, const struct qx_batch *batch)
{
	(void)p;
	(void)batch;
	return QX_STATUS_OK;    /* dynamic quantization observes nothing */
}

static int dynamic_convert(void *p, struct qx_plan *plan)
{
	struct dynamic_state *s = p;
	const struct qx_graph_view *view = s->view;
	s->plan_tensors = calloc((size_t)s->n_weights + 1, sizeof *s->plan_tensors);
	s->plan_ops = calloc((size_t)view->n_nodes + 1, sizeof *s->plan_ops);
	if (!s->plan_tensors || !s->plan_ops) {
		s->host->error(s->host, "out of memory for a plan of %d nodes", (int)view->n_nodes);
		return QX_STATUS_NOMEM;
	}
	for (int32_t i = 0; i < s->n_weights; i++)
		s->plan_tensors[i] = qxp_weight_plan_entry(&s->weights[i]);
	for (int32_t n = 0; n < view->n_nodes; n++) {
		struct qx_plan_op *op = &s->plan_ops[n];
		op->node = n;
		op->mode = s->node_modes[n];
		if (op->mode == QX_MODE_DYNAMIC) {
			op->dyn_qmin = 0;
			op->dyn_qmax = s->reduce_range ? 127 : 255;
		}
	}
	plan->n_tensors = s->n_weights;
	plan->tensors = s->plan_tensors;
	plan->n_ops = view->n_nodes;
	plan->ops = s->plan_ops;
	return QX_STATUS_OK;
}

static const struct qx_plugin dynamic_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "dynamic",
	.version = "1.0.0",
	.license = "MIT",
	.description = "PyTorch dynamic quantization of Linear layers (int8 per-tensor weights, "
	               "activations quantized at run time)",
	.create = dynamic_create,
	.prepare = dynamic_prepare,
	.calibrate = dynamic_calibrate,
	.convert = dynamic_convert,
	.destroy = dynamic_destroy,
	.option_decls = dynamic_options,
	.n_option_decls = 1,
};

QX_PLUGIN_ENTRY
{
	if (host->abi_major != QX_ABI_MAJOR) {
		host->error(host, "host ABI %u.%u (expected major %d)", host->abi_major,
		            host->abi_minor, QX_ABI_MAJOR);
		return NULL;
	}
	return &dynamic_plugin;
}
