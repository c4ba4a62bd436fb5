/* The reference simulation of a quantization plan: the plan's arithmetic in fp32, with no code
 * shared with the int8 executor or its kernels.
 *
 * Every tensor the plan quantizes goes through quantize-dequantize with its own qparams
 * ("fake quantization", the way PyTorch's observers/FakeQuantize and ONNX Runtime's QDQ
 * reference evaluate a quantized graph); every op then runs in fp32 (fp32 kernels only):
 *   - weights of static and dynamic nodes: int8 per tensor or per channel (a copy of the graph
 *     holds the fake-quantized values; the caller's graph is not touched);
 *   - biases of static nodes: int32 at scale in_scale * w_scale[c];
 *   - a static node: its activation inputs are fake-quantized with their qparams (a tensor a
 *     float node produced keeps its float values for float readers), its fp32 output (fused
 *     Relu/Clip applied) is fake-quantized with the output's qparams;
 *   - a dynamic node: its input is fake-quantized with qparams chosen from the whole batch's
 *     min/max (PyTorch's ChooseQuantizationParams, written again here), output stays float;
 *   - a float node: fp32 on whatever its inputs hold;
 *   - ABI minor 3: FP8 tensors go through fp8(x / s) * s (plan/fp8.h); per-group weights use
 *     their group's scale; a weight-only node runs fp32 on its quantized-dequantized weight;
 *     codes a plugin supplied are dequantized in place of the rounded weights; the bias of a
 *     node with FP8 or per-group weights stays fp32. For plans no kernel runs (simulated,
 *     plan/plan.h) this simulation is the result itself.
 * So the simulation and the int8 executor differ only where rounding does: a value within
 * float error of a rounding boundary may land one step apart (docs/numerics.md, "Trust"). */
#ifndef QX_VERIFY_REFSIM_H
#define QX_VERIFY_REFSIM_H

#include <stdint.h>

#include "kernels.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "util/error.h"

struct qx_refsim;

/* Builds the simulation of plan over g for batches of `batch` (g is only read), running its
 * fp32 ops on k's fp32 kernels (never its int8 ones). plan must outlive the simulation. */
int qx_refsim_create(const struct qx_graph *g, const struct qx_quant_plan *plan, int64_t batch,
                     const struct qx_kernels *k, struct qx_refsim **out, struct qx_error *err);

/* Runs one batch (inputs[i]: graph input i, NCHW fp32). */
int qx_refsim_run(struct qx_refsim *s, const float *const *inputs, struct qx_error *err);

/* Graph output i after a run: fp32 in the output's shape. */
const float *qx_refsim_output(const struct qx_refsim *s, int i);

/* Tensor t after a run (fake-quantized where the plan quantizes it), NCHW / row-major in the
 * shape inferred for the batch; NULL for an index out of range. For per-layer comparisons. */
const float *qx_refsim_tensor(const struct qx_refsim *s, int t);

/* One tensor's int8 values against the simulation of the step that made them, over every batch
 * compared so far. */
struct qx_refsim_local {
	int64_t values;            /* values compared */
	int64_t ties;              /* one step off where the simulation's value lies at a rounding
	                              tie (within 0.05 steps of x.5): rounding explains it */
	int64_t unexplained;       /* every other difference */
	double max_steps;          /* the largest difference, in steps (a dynamic node's float
	                              output: relative to its largest value) */
};

/* The local check, after both qx_exec_q8_run(q) and qx_refsim_run(s) on the same batch: every
 * static node runs again in the simulation on the int8 model's own (dequantized) inputs, and
 * its fake-quantized output is compared with the int8 model's output (a dynamic node: on its
 * float input, its float output within 1e-4 of the largest value); every tensor the int8
 * model quantized from float (a graph input, a float node's output) is compared with the
 * fake quantization of its float values. Differences cannot carry from node to node, so each
 * value may differ only by the one step a rounding tie explains. Adds to acc[t] for every
 * tensor t compared (acc: one entry per graph tensor, zeroed by the caller before the first
 * batch). Overwrites the simulation's buffers: read its outputs first. */
struct qx_exec_q8;
int qx_refsim_check_local(struct qx_refsim *s, const struct qx_exec_q8 *q,
                          struct qx_refsim_local *acc, struct qx_error *err);

void qx_refsim_free(struct qx_refsim *s);

/* x' = fp8(x / scale) * scale, in place (dtype QX_PLAN_FP8_E4M3FN or QX_PLAN_FP8_E5M2:
 * plan/fp8.h's rounding, ties to even, saturating). */
void qx_fake_quantize_fp8(float *x, int64_t count, float scale, int dtype);

/* x' = (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) * scale, in place. */
void qx_fake_quantize(float *x, int64_t count, float scale, int32_t zp, int32_t qmin,
                      int32_t qmax);

#endif
