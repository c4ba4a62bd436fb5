/* histogram: PyTorch's fbgemm default static quantization,
 * QConfig(activation=HistogramObserver.with_args(reduce_range=True),
 *         weight=default_per_channel_weight_observer), through FX graph mode.
 *
 * Activations: HistogramObserver (2048 bins, upsample_rate 128) over 0..127, its histograms
 * combined across batches and its range chosen by the L2-error search, as torch 1.13 computes
 * them, bit for bit (common/observer_histogram.h), on the tensors FX observes
 * (common/ptq_static.h). Weights: PerChannelMinMaxObserver qint8 per_channel_symmetric along
 * the node's output-channel axis.
 *
 * Options (docs/plugins.md): bins, upsample_rate, histc_bounds: truncated | exact,
 * weights: per_tensor | per_channel, symmetric,
 * reduce_range, flatten: float | int8. */
#include "qx/options.h"
#include "qx/plugin.h"

#include "common/ptq_static.h"

/* Bounds of the bins option: more than 16384 bins would make torch's own sums multi-threaded
 * (and its results depend on the thread count). */
#define HISTOGRAM_MIN_BINS 16
#define HISTOGRAM_MAX_BINS 16384
#define HISTOGRAM_MAX_UPSAMPLE 65536
/* Each batch that widens the range walks bins * upsample_rate fine cells. */
#define HISTOGRAM_MAX_FINE_CELLS (1 << 24)

static const char *const histogram_bounds[] = { "truncated", "exact", NULL };
static const struct qx_option_decl histogram_options[] = {
	{ .key = "bins", .type = QX_OPTION_INT, .min = HISTOGRAM_MIN_BINS,
	  .max = HISTOGRAM_MAX_BINS, .default_value = "2048",
	  .help = "HistogramObserver bins (bins x upsample_rate <= 2^24)" },
	{ .key = "upsample_rate", .type = QX_OPTION_INT, .min = 1, .max = HISTOGRAM_MAX_UPSAMPLE,
	  .default_value = "128", .help = "fine cells per bin when the range widens" },
	{ .key = "histc_bounds", .type = QX_OPTION_CHOICE, .choices = histogram_bounds,
	  .default_value = "truncated", .help = "torch.histc's float32 bounds (truncated, as "
	  "torch) or exact float64 ones" },
	QXP_COMMON_DECLS("per_channel"),
};
#define N_OPTIONS ((int32_t)(sizeof histogram_options / sizeof histogram_options[0]))

static int histogram_create(const struct qx_host *host, const struct qx_graph_view *view,
                            const struct qx_option *options, int32_t n_options, void **state)
{
	const char *known[N_OPTIONS + 1];
	for (int32_t i = 0; i < N_OPTIONS; i++)
		known[i] = histogram_options[i].key;
	known[N_OPTIONS] = NULL;
	const struct qx_option_decl *d = histogram_options;
	struct qxp_ptq_config cfg = { .act_observer = QXP_ACT_HISTOGRAM, .per_channel_weights = 1 };
	int64_t bins = 2048, upsample_rate = 128;
	int rc = qx_options_check_keys(host, options, n_options, known);
	if (!rc)
		rc = qx_option_declared_int(host, d, N_OPTIONS, options, n_options, "bins", &bins);
	if (!rc)
		rc = qx_option_declared_int(host, d, N_OPTIONS, options, n_options, "upsample_rate",
		                            &upsample_rate);
	if (!rc && bins * upsample_rate > HISTOGRAM_MAX_FINE_CELLS) {
		host->error(host, "option 'upsample_rate': '%lld' with %lld bins makes %lld fine cells "
		            "(expected bins x upsample_rate <= %d)", (long long)upsample_rate,
		            (long long)bins, (long long)(bins * upsample_rate), HISTOGRAM_MAX_FINE_CELLS);
		rc = QX_STATUS_BAD_OPTION;
	}
	if (!rc)
		rc = qx_option_declared_choice(host, d, N_OPTIONS, options, n_options, "histc_bounds",
		                               &cfg.exact_bounds);
	if (!rc)
		rc = qxp_parse_common_options(host, d, N_OPTIONS, options, n_options, &cfg);
	if (rc)
		return rc;
	cfg.bins = (int32_t)bins;
	cfg.upsample_rate = (int32_t)upsample_rate;
	return qxp_ptq_create(host, view, &cfg, state);
}

static const struct qx_plugin histogram_plugin = {
	.abi_major = QX_ABI_MAJOR,
	.abi_minor = QX_ABI_MINOR,
	.struct_size = sizeof(struct qx_plugin),
	.name = "histogram",
	.version = "1.0.0",
	.license = "MIT",
	.description = "PyTorch fbgemm default: HistogramObserver uint8 activations (L2 range "
	               "search), int8 per-channel weights",
	.create = histogram_create,
	.prepare = qxp_ptq_prepare,
	.calibrate = qxp_ptq_calibrate,
	.convert = qxp_ptq_convert,
	.destroy = qxp_ptq_destroy,
	.option_decls = histogram_options,
	.n_option_decls = N_OPTIONS,
};

QX_PLUGIN_ENTRY
{
	return qxp_host_ok(host) ? &histogram_plugin : NULL;
}
