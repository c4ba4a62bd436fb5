/* Per-layer error of a quantization plan, for any plugin and without its help (results.json's
 * "layers", `qx-bench explain`, the report's layer chart; docs/results-format.md, "layers").
 *
 * On the check sample (the first check.reference_images images, the ones the trust check uses)
 * the fp32 executor and the int8 executor run side by side, and for every tensor the plan
 * quantizes (activations and graph inputs with uint8 qparams, int8 weights):
 *   - propagated error: the int8 model's dequantized tensor against the fp32 model's, as
 *     PyTorch's numeric suite and ONNX Runtime's qdq_loss_debug compare them: SQNR in dB
 *     (10 log10(sum x^2 / sum (x - x')^2)), cosine similarity, max abs error. It includes what
 *     every layer before this one lost;
 *   - own error: the SQNR of the fp32 tensor fake-quantized with its own qparams against the
 *     fp32 tensor, the error this tensor's quantization alone adds. This is what points at a
 *     culprit: propagated error only grows with depth, own error does not;
 *   - loss against a min/max fit: the own SQNR the tensor would have with qparams fitted to its
 *     range on the sample (PyTorch's min/max observer arithmetic, same dtype, qmin/qmax,
 *     symmetry and granularity), minus its own SQNR. Own SQNR alone does not compare across
 *     tensors: uint8 activations with long tails sit near 26-31 dB on mobilenet_v2 where int8
 *     weights sit near 45 dB, so a weight with a 10x scale (27 dB) ranks below them; its loss
 *     (19 dB) does not;
 *   - the share of values clipped at qmin and at qmax (round(x / s) + z fell outside
 *     [qmin, qmax], so the clamp moved it), and the range the qparams represent,
 *     (qmin - z) * s .. (qmax - z) * s, against the range the fp32 data has on the sample.
 * A weight is constant: its int8 form is its fake quantization (the executor quantizes it once
 * with the same qparams), so its propagated figures are those of its own quantization.
 *
 * A simulated plan (plan/plan.h: FP8, per-group scales, weight-only nodes; no int8 kernel runs
 * it) is measured the same way with the reference simulation (verify/refsim.h) as its
 * quantized model: propagated error compares the simulation's tensor (fake-quantized with the
 * tensor's qparams, as its quantized readers see it) with fp32's. Own error uses the format's
 * own arithmetic: FP8 rounds through plan/fp8.h (a value beyond the format's largest, scaled,
 * saturates: counted clipped on its sign's side beyond half a step past it), per-group weights use their group's scale,
 * the plugin's own codes are what it holds. The min/max fit for FP8 is absmax / the format's
 * largest value per channel, for groups a symmetric fit to each group's absmax over the same
 * qmin/qmax. */
#ifndef QX_INVESTIGATE_LAYER_ERROR_H
#define QX_INVESTIGATE_LAYER_ERROR_H

#include <stdint.h>

#include "data/dataset.h"
#include "kernels.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "util/error.h"

/* Sums over the sample for one tensor. x: the fp32 value, y: the int8 model's (dequantized),
 * x': x fake-quantized with the tensor's own qparams. */
struct qx_layer_stats {
	int64_t compared;          /* values compared with the int8 model (x against y) */
	double sxx, syy, sxy;      /* sum x^2, y^2, x*y over those */
	double see;                /* sum (x - y)^2 */
	double max_abs;            /* max |x - y| */
	int64_t values;            /* values fake-quantized (x against x') */
	double own_sxx, own_see;   /* sum x^2, sum (x - x')^2 over those */
	int64_t clip_lo, clip_hi;  /* values the clamp moved up to qmin / down to qmax */
	double own_clip_see;       /* the part of own_see those clipped values make */
	double ref_see;            /* sum (x - x_ref)^2, x_ref: x quantized with the min/max fit */
	int n_channels;            /* of the qparams: 1 per tensor */
	double *ch_min, *ch_max;   /* the fp32 data's range per channel (owned) */
};

/* Zeroed sums for qparams of n_channels channels; -1 when out of memory. */
int qx_layer_stats_init(struct qx_layer_stats *s, int n_channels);
void qx_layer_stats_free(struct qx_layer_stats *s);

/* Adds n values: x (fp32) against y (the int8 model's). */
void qx_layer_stats_compare(struct qx_layer_stats *s, const float *x, const float *y, int64_t n);

/* Adds n fp32 values x of a tensor quantized with qp (per channel: the channel of x[i] is
 * (i / inner) % qp->n_channels, inner being the product of the dims after the axis) against
 * their fake quantization, counting the clipped ones and the data range per channel. When fq is
 * not NULL it receives the fake-quantized values (what the int8 model holds for a weight). */
void qx_layer_stats_own(struct qx_layer_stats *s, const float *x, int64_t n,
                        const struct qx_tensor_qparams *qp, int64_t inner, float *fq);

/* Adds n values' error under ref (the min/max fit, qx_layer_minmax_qparams) to s->ref_see. */
void qx_layer_stats_ref(struct qx_layer_stats *s, const float *x, int64_t n,
                        const struct qx_tensor_qparams *ref, int64_t inner);

/* Qparams fitted to the data range of each channel (ch_min, ch_max) with qp's dtype, qmin, qmax,
 * symmetry and granularity, as PyTorch's min/max observer computes them (include/qx/qparams.h);
 * ref->scales and ref->zero_points must hold qp->n_channels values. A symmetric fit that cannot
 * be made (reduce-range symmetric uint8) falls back to affine. FP8 (ABI minor 3): scale =
 * absmax / the format's largest value per channel (per tensor for activations), zero point 0.
 * ref's group_scales pointer is kept (qx_layer_minmax_group_scales fills it); the plugin's
 * codes are not copied: the fit rounds as the format does. */
void qx_layer_minmax_qparams(const struct qx_tensor_qparams *qp, const double *ch_min,
                             const double *ch_max, struct qx_tensor_qparams *ref);

/* A per-group plan's min/max fit (qp->group_size > 0, after qx_layer_minmax_qparams): each
 * group's scale from the largest magnitude of its n values x (the whole weight), symmetric over
 * qp's qmin/qmax (PyTorch's symmetric observer arithmetic; FP8: absmax / the format's largest
 * value), zero points the symmetric ones. ref->group_scales must hold qp->groups *
 * qp->n_channels values. */
void qx_layer_minmax_group_scales(const struct qx_tensor_qparams *qp, const float *x,
                                  int64_t n, int64_t inner, struct qx_tensor_qparams *ref);

/* 10 log10(signal / noise): +INFINITY when noise is 0 (no error at all), and a -300 dB floor
 * when the signal is 0 but the noise is not. */
double qx_sqnr_db(double signal, double noise);

/* Cosine similarity of x and y over the compared values: 1 when both are all zero, 0 when only
 * one is, NaN when nothing was compared. */
double qx_layer_cosine(const struct qx_layer_stats *s);

/* One quantized tensor's figures. */
struct qx_layer_tensor {
	int tensor;                /* graph tensor index */
	const char *name;          /* borrowed from the graph */
	const char *node;          /* producer (activation) or first reader (weight, input) */
	const char *op;            /* that node's op, e.g. "Conv" */
	const char *kind;          /* "activation", "weight" or "input" */
	int dtype;                 /* enum qx_plan_dtype */
	int n_channels;            /* 1: per tensor */
	int group_size;            /* > 0: per-group scales (ABI minor 3) */
	int64_t values;
	double own_sqnr_db;        /* +INFINITY: no error */
	double minmax_sqnr_db;     /* own SQNR with the min/max fit instead of the plan's qparams */
	double loss_db;            /* minmax_sqnr_db - own_sqnr_db: what the plan's qparams lose
	                              against a min/max fit (negative: they do better, e.g. by
	                              clipping rare outliers); NaN when either is +inf */
	int propagated;            /* 0 when the int8 model holds no int8 form of it */
	double sqnr_db, cosine, max_abs;
	double clipped_low, clipped_high; /* shares of values, 0..1 */
	double clip_error_share;   /* share of the own error's energy the clipped values make
	                              (0..1): tells a range too narrow from one too wide, whose
	                              error is rounding */
	double q_lo, q_hi;         /* the qparams range (per channel: lowest and highest over them) */
	double d_lo, d_hi;         /* the fp32 data's range on the sample */
	double range_ratio;        /* qparams range width over the data's range widened to hold 0
	                              (any affine int8 range holds 0); per channel, the largest
	                              over the channels; NaN when the data is all zero */
};

struct qx_layer_report {
	int64_t images;
	double seconds;            /* wall time of the measurement */
	int n;
	struct qx_layer_tensor *t; /* in graph order: each node's quantized inputs, then output */
};

/* Measures every tensor plan quantizes in (g, plan) with kernel set k over the first n_images
 * of ds (preprocessed with pp, batches of `batch`, the short last one zero-padded and its
 * padding left out of the sums). g must be fused (as the int8 executor needs). The batches
 * run on `threads` threads (util/batch_pass.h), each with its own models; each batch's sums
 * are added up in batch order, so the report does not depend on the thread count. */
int qx_layer_error(const struct qx_graph *g, const struct qx_quant_plan *plan,
                   const struct qx_kernels *k, int64_t batch, const struct qx_dataset *ds,
                   const struct qx_preprocess *pp, int64_t n_images, int threads,
                   struct qx_layer_report *out, struct qx_error *err);
void qx_layer_report_free(struct qx_layer_report *r);

/* The ranking order, worst first: lower own SQNR, then lower propagated SQNR; NaN (unknown)
 * last. < 0 when (own_a, prop_a) ranks before (own_b, prop_b). (explain --by loss ranks by
 * -loss_db with the same function.) */
int qx_layer_cmp(double own_a, double prop_a, double own_b, double prop_b);

/* Sorts r->t worst first (qx_layer_cmp). */
void qx_layer_rank(struct qx_layer_report *r);

#endif
