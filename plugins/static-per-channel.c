/* static-per-channel: PyTorch's static post-training quantization with
 * QConfig(activation=default_observer, weight=default_per_channel_weight_observer), through FX
 * graph mode.
 *
 * Activations: MinMaxObserver quint8 per_tensor_affine over 0..127 (default_observer's
 * quant_min=0, quant_max=127), observed on the graph input and on every static node's output
 * whose qparams are not inherited (common/ptq_static.h). Weights: PerChannelMinMaxObserver qint8
 * per_channel_symmetric along the node's output-channel axis (weight_axis), scale per channel =
 * max|w_c| / 127.5.
 *
 * Options (docs/plugins.md): qparams: global_minmax | moving_average | histogram | percentile |
 * entropy | mse (the activation calculator), averaging_constant, bins, percentile,
 * weights: per_tensor | per_channel, symmetric, reduce_range, flatten: float | int8. */
#include "qx/plugin.h"

#include "common/ptq_static.h"

static const struct qx_option_decl per_channel_options[] = { QXP_MINMAX_DECLS("per_channel") };
#define N_OPTIONS ((int32_t)(sizeof per_channel_options / sizeof per_channel_options[0]))

static int per_channel_create(const struct qx_host *host, const struct qx_graph_view *view,
                             const struct qx_option *options, int32_t n_options, void **state)
{
	struct qxp_ptq_config cfg = { .act_observer = QXP_ACT_MINMAX, .per_channel_weights = 1 };
	int rc = qxp_parse_minmax_options(host, per_channel_options, N_OPTIONS, options,
	                                  n_options, &cfg);
	return rc ? rc : qxp_ptq_create(host, view, &cfg, state);
}

static const struct qx_plugin per_channel_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "static-per-channel",
	.version = "1.0.0",
	.license = "MIT",
	.description = "PyTorch static quantization: MinMax uint8 activations, int8 per-channel "
	               "weights",
	.create = per_channel_create,
	.prepare = qxp_ptq_prepare,
	.calibrate = qxp_ptq_calibrate,
	.convert = qxp_ptq_convert,
	.destroy = qxp_ptq_destroy,
	.option_decls = per_channel_options,
	.n_option_decls = N_OPTIONS,
};

QX_PLUGIN_ENTRY
{
	return qxp_host_ok(host) ? &per_channel_plugin : NULL;
}
