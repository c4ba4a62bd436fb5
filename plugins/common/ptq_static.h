/* Static post-training quantization the way torch 1.13's FX graph mode does it (prepare_fx,
 * calibrate, convert_fx with the native backend config), shared by the static-per-tensor,
 * static-per-channel and histogram plugins, which differ only in their observers.
 *
 * Which nodes run int8 (QX_MODE_STATIC): every node the harness can run static (node->modes; the
 * harness's int8 op table decides, so a plugin needs no list of ops), which are the ops FX
 * quantizes too:
 *   - Conv, and Gemm/MatMul with a constant weight (nn.Conv2d, nn.Linear; a fused Relu/Clip is
 *     already inside the node, like ConvReLU2d);
 *   - the nodes whose output keeps its input's qparams (the view's node_flags say which:
 *     MaxPool, AveragePool, GlobalAveragePool, Reshape, Identity, Dropout, Relu, Clip, ...;
 *     FX's OUTPUT_SHARE_OBSERVER_WITH_INPUT);
 *   - Add and Mul (their own output observer; one read only by a Relu is FX's fused add_relu /
 *     mul_relu: only the Relu's output is observed), HardSwish (its own output observer),
 *     Sigmoid (FX's fixed qparams: scale 1/256, zero point 0 over 0..255, never observed),
 *     Concat (inputs and output share one observer);
 *   - Flatten only with flatten: int8. torch 1.13 does not quantize nn.Flatten: it dequantizes
 *     before it and observes its output with a new observer, so by default Flatten runs float
 *     and its output gets qparams of its own (torch.flatten, the function, shares instead).
 * Everything else (Softmax, unfolded BatchNorm, unknown ops) stays float: the harness offers it
 * no static mode.
 *
 * Which tensors are observed: every activation that a static node reads or writes. Tensors
 * joined by a sharing op form one class with one observer, which (like FX's shared observer
 * module) is called on each of them, in execution order, once per batch: for MinMax this
 * changes nothing, for the moving average and the histogram it does, as in PyTorch.
 *
 * Activations: uint8 per tensor over 0..127 (reduce_range) or 0..255, affine, or symmetric
 * (zero point 63 over 0..127, as PyTorch gives an observer with quant_min=0, quant_max=127;
 * 128 over 0..255, as a plain quint8 observer). Weights:
 * int8 symmetric over -128..127, per tensor or per output channel (common/weights.h).
 *
 * Private to plugins/: declared here, defined in the .c file of the same name, built into
 * build/plugins/libqxcommon.a (linked into each plugin). */
#ifndef QX_PLUGINS_PTQ_STATIC_H
#define QX_PLUGINS_PTQ_STATIC_H

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qx/graph.h"
#include "qx/options.h"
#include "qx/plan.h"
#include "qx/plugin.h"
#include "qx/qparams.h"

#include "calculators.h"
#include "observer_histogram.h"
#include "weights.h"

/* The activation observer. */
enum qxp_act_observer {
	QXP_ACT_MINMAX = 0,             /* MinMaxObserver: running min / max */
	QXP_ACT_MOVING_AVERAGE = 1,     /* MovingAverageMinMaxObserver */
	QXP_ACT_HISTOGRAM = 2,          /* HistogramObserver */
	QXP_ACT_PERCENTILE = 3,         /* common/calculators.h, on a collecting histogram */
	QXP_ACT_ENTROPY = 4,
	QXP_ACT_MSE = 5,
};

/* Whether the observer keeps calculators.h's collecting histogram. */
int qxp_uses_calib_hist(int act_observer);

struct qxp_ptq_config {
	int act_observer;               /* enum qxp_act_observer */
	float averaging_constant;       /* moving average: 0 < c <= 1 */
	int symmetric;                  /* activations per_tensor_symmetric instead of affine */
	int reduce_range;               /* activations 0..127 instead of 0..255 */
	int per_channel_weights;        /* weights per output channel instead of per tensor */
	int flatten_int8;               /* Flatten runs int8 sharing its input's qparams */
	int32_t bins, upsample_rate;    /* histogram */
	int exact_bounds;               /* histogram: float torch.histc bounds */
	double percentile;              /* percentile: 50 <= p <= 100 */
};

/* One activation observer, shared by a class of tensors. */
struct qxp_observer {
	int32_t tensor;                 /* its first tensor in execution order (for messages) */
	int64_t calls;                  /* non-empty tensors it has seen */
	float min_val, max_val;         /* MinMax / moving average */
	struct qxp_hist_observer hist;  /* histogram */
	struct qxp_calib_hist chist;    /* percentile, entropy, mse */
	float scale;
	int32_t zero_point;
	int fixed;                      /* FX's fixed qparams (qxp_fixed_qparams): never observed */
};

struct qxp_ptq {
	const struct qx_host *host;
	const struct qx_graph_view *view;
	struct qxp_ptq_config cfg;
	int32_t *node_modes;            /* n_nodes */
	int32_t *observer_of;           /* n_tensors: observer index, or -1 */
	int32_t n_observers;
	struct qxp_observer *observers;
	int32_t n_members;
	int32_t *members;               /* every tensor with activation qparams, execution order */
	int32_t n_observe;
	int32_t *observe;               /* the members calibrate() sees (all but fused Add outputs) */
	int32_t n_weights;
	struct qxp_weight *weights;
	struct qx_plan_tensor *plan_tensors;
	struct qx_plan_op *plan_ops;
	int warned_clip;
};

void qxp_ptq_destroy(void *p);

int qxp_ptq_create(const struct qx_host *host, const struct qx_graph_view *view,
                   const struct qxp_ptq_config *cfg, void **state);

/* A computed float tensor (graph input or activation): what an observer can see. */
int qxp_is_activation(const struct qx_graph_view *view, int32_t t);

/* Whether node n's int8 output keeps its input's qparams (PyTorch:
 * OUTPUT_SHARE_OBSERVER_WITH_INPUT): the host says so per node, so plugins and the harness never
 * disagree, also about ops added after this plugin was written. */
int qxp_keeps_qparams(const struct qx_graph_view *view, int32_t n);

/* Whether PyTorch's FX flow quantizes a node the harness can run static: all of them but
 * nn.Flatten (see the top of this file). */
int qxp_quantizes(const struct qxp_ptq_config *cfg, const struct qx_view_node *nd);

/* Ops whose output FX quantizes with fixed qparams instead of an observer
 * (default_fixed_qparams_range_0to1_observer: scale 1/256, zero point 0, quint8 0..255,
 * whatever reduce_range says). Of the ops the harness runs in int8, Sigmoid. */
#define QXP_FIXED_SCALE (1.0f / 256.0f)
int qxp_fixed_qparams(int32_t op);

int32_t qxp_find(int32_t *parent, int32_t t);

void qxp_union(int32_t *parent, int32_t a, int32_t b);

/* Checks the index ranges of the view the plugin walks (the host builds it; a wrong one is a
 * host bug, reported rather than followed). */
int qxp_check_view(const struct qx_host *host, const struct qx_graph_view *view);

/* Node modes, and the weight qparams of the weighted static nodes. A weight shared by two nodes
 * gets one entry; if they would need it along different axes the second node stays float. */
int qxp_choose_modes(struct qxp_ptq *s, const struct qx_graph_view *view);

/* Whether tensor t is the output of a static Add or Mul whose only reader is a static Relu: FX
 * fuses the pair (add_relu, mul_relu) and observes only the Relu's output, which the Add's or
 * Mul's output then shares. */
int qxp_fused_add_output(const struct qxp_ptq *s, const struct qx_graph_view *view,
                         int32_t t);

/* The observer classes: every activation a static node reads or writes, joined across sharing
 * ops; observers numbered, and tensors listed, in execution order. */
int qxp_make_observers(struct qxp_ptq *s, const struct qx_graph_view *view);

int qxp_ptq_prepare(void *p, const struct qx_graph_view *view,
                    struct qx_prepare *out);

/* One observer call on n values (torch's observers ignore empty tensors). */
int qxp_observe(struct qxp_ptq *s, struct qxp_observer *o, const float *x, int64_t n);

int qxp_ptq_calibrate(void *p, const struct qx_batch *batch);

/* The scale and zero point of one observer. */
int qxp_observer_qparams(struct qxp_ptq *s, struct qxp_observer *o);

int qxp_ptq_convert(void *p, struct qx_plan *plan);

/* Declared options (ABI minor 2): the host checks types, ranges and keys before create() and
 * records the options in effect; create() reads them with their declared defaults through
 * qx_option_declared_*() and keeps the checks that involve more than one option. */
extern const char *const qxp_flatten_modes[];
/* weight granularity, so that a sweep can put per-tensor beside per-channel */
extern const char *const qxp_granularity[];
extern const char *const qxp_observers[];

/* The options every static plugin takes: weights (default the plugin's own), symmetric,
 * reduce_range, flatten. */
#define QXP_COMMON_DECLS(weights_default) \
	{ .key = "weights", .type = QX_OPTION_CHOICE, .choices = qxp_granularity, \
	  .default_value = weights_default, .help = "int8 weight scales per tensor or per " \
	  "output channel" }, \
	{ .key = "symmetric", .type = QX_OPTION_BOOL, .default_value = "false", \
	  .help = "symmetric activations (zero point 128) instead of affine" }, \
	{ .key = "reduce_range", .type = QX_OPTION_BOOL, .default_value = "true", \
	  .help = "activations over 0..127 (fbgemm's 7 bits) instead of 0..255" }, \
	{ .key = "flatten", .type = QX_OPTION_CHOICE, .choices = qxp_flatten_modes, \
	  .default_value = "float", .help = "whether Flatten runs in float or int8" }

/* Bounds of the bins option. The histogram calculator keeps the histogram plugin's bounds
 * (past 16384 torch's own sums go multi-threaded); the collecting histogram of percentile,
 * entropy and mse needs an even count (bins on both sides of zero) and at least 256 (entropy
 * searches from 128 bins on each side, the levels of 0..255), and stops at 16384 because the
 * MSE search costs (bins)^2 per observer. */
#define QXP_HIST_MIN_BINS 16
#define QXP_CALIB_MIN_BINS 256
#define QXP_MAX_BINS 16384

/* The options of the MinMax plugins (static-per-tensor, static-per-channel). bins is declared
 * with the widest range; create() narrows it for the calculators that need more. */
#define QXP_MINMAX_DECLS(weights_default) \
	{ .key = "qparams", .type = QX_OPTION_CHOICE, .choices = qxp_observers, \
	  .default_value = "global_minmax", .help = "the activation calculator" }, \
	{ .key = "averaging_constant", .type = QX_OPTION_NUMBER, .min = 0.0, .max = 1.0, \
	  .flags = QX_OPTION_MIN_EXCLUSIVE, .default_value = "0.01", \
	  .help = "qparams: moving_average only: weight of each batch's min/max" }, \
	{ .key = "bins", .type = QX_OPTION_INT, .min = QXP_HIST_MIN_BINS, .max = QXP_MAX_BINS, \
	  .default_value = "2048", .help = "qparams: histogram (16..16384), percentile, entropy, " \
	  "mse (even, 256..16384) only: histogram bins" }, \
	{ .key = "percentile", .type = QX_OPTION_NUMBER, .min = 50.0, .max = 100.0, \
	  .default_value = "99.99", .help = "qparams: percentile only: the percentile of |x| " \
	  "kept" }, \
	QXP_COMMON_DECLS(weights_default)

/* Reads the common options (declared with QXP_COMMON_DECLS) into cfg. */
int qxp_parse_common_options(const struct qx_host *host,
                             const struct qx_option_decl *decls, int32_t n_decls,
                             const struct qx_option *options, int32_t n_options,
                             struct qxp_ptq_config *cfg);

/* The options of the MinMax plugins (declared with QXP_MINMAX_DECLS): qparams picks the
 * activation calculator (enum qxp_act_observer, in its order); each of its own options
 * (averaging_constant, bins, percentile) is refused with the other calculators, so that a
 * sweep never carries an option that silently does nothing. The key check stays for a host
 * that did not check (the declarations make it redundant under a minor-2 host). */
int qxp_parse_minmax_options(const struct qx_host *host,
                             const struct qx_option_decl *decls, int32_t n_decls,
                             const struct qx_option *options, int32_t n_options,
                             struct qxp_ptq_config *cfg);

/* The entry point's check, shared by the static plugins. */
int qxp_host_ok(const struct qx_host *host);

#endif
