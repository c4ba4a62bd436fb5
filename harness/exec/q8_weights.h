/* Quantized weights of one Conv / Gemm / MatMul node under a plan, before any kernel set packs
 * them: int8 in OHWI ([n][k]) order, int32 bias and requantization multipliers (static) or an
 * fp32 bias (dynamic). The arithmetic here is the project's one definition (docs/numerics.md),
 * shared by every kernel set. */
#ifndef QX_EXEC_Q8_WEIGHTS_H
#define QX_EXEC_Q8_WEIGHTS_H

#include <stdint.h>

#include "model/graph.h"
#include "plan/plan.h"

struct qx_q8_weights {
	int64_t n;                 /* output channels (Conv OC, Gemm N) */
	int64_t k;                 /* weights per output channel: kh * kw * c / groups, or K */
	int8_t *w_ohwi;            /* [n][k], Conv in OHWI order */
	float *w_scale;            /* [n] weight scale per output channel (per-tensor repeated) */
	int n_scales;              /* 1 (per tensor) or n (per channel), as the plan gave them */
	int has_bias;
	int32_t *bias;             /* static: [n] int32 at in_scale * w_scale[c]; else NULL */
	float *multiplier;         /* static: [n] in_scale * w_scale[c] / out_scale; else NULL */
	float *bias_f32;           /* dynamic: [n] fp32 bias or NULL */
	int64_t bytes;             /* model bytes: int8 weights, scales and zero points, int32 bias */
};

/* Quantizes node n's weight with wq (int8 symmetric, validated): w_q = clamp(rne(w / s), qmin,
 * qmax), or takes wq->codes when the plugin gave them; bq (the bias's qparams, or NULL) likewise
 * gives the int32 bias codes when it has any. static_mode: also the int32 bias, rne(b / (in_scale * w_scale)) saturated, and the
 * fp32 multipliers (in_scale * w_scale) / out_scale. Free with qx_q8_weights_free. */
int qx_q8_weights_build(const struct qx_graph *g, int n, const struct qx_tensor_qparams *wq,
                        const struct qx_tensor_qparams *bq, int static_mode, float in_scale, float out_scale, struct qx_q8_weights *w,
                        struct qx_error *err);
void qx_q8_weights_free(struct qx_q8_weights *w);

#endif
