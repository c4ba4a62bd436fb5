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
 *   - a float node: fp32 on whatever its inputs hold.
 * So the simulation and the int8 executor differ only where rounding does: a value within
 * float error of a rounding boundary may land one step apart (docs/numerics.md, "Trust"). */
#ifndef QX_VERIFY_REFSIM_H
#define QX_VERIFY_REFSIM_H

#include <stdint.h>

#include "kernels.h"
#include "model/graph.h"
#include "plugin/host.h"
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

void qx_refsim_free(struct qx_refsim *s);

/* x' = (clamp(round_half_even(x / scale) + zp, qmin, qmax) - zp) * scale, in place. */
void qx_fake_quantize(float *x, int64_t count, float scale, int32_t zp, int32_t qmin,
                      int32_t qmax);

#endif
