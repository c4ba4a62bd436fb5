/* The int8 executor: runs a graph under a validated quantization plan through one kernel set.
 *
 * Built once per (plan, kernel set, batch): weights are quantized with the plan's qparams,
 * packed for the set, biases turned into int32 at in_scale * w_scale, requantization
 * multipliers computed (docs/numerics.md). int8 activations are NHWC (4-D) or row-major; float
 * activations stay NCHW. Float <-> int8 conversions happen only where the plan's modes change:
 * a quantize before a static node fed by float, a dequantize where a float or dynamic node (or
 * the model output) reads an int8 tensor. Float nodes run through the fp32 executor. */
#ifndef QX_EXEC_Q8_H
#define QX_EXEC_Q8_H

#include <stdint.h>

#include "kernels.h"
#include "model/graph.h"
#include "plan/plan.h"
#include "util/error.h"

struct qx_exec_q8;

/* Builds the int8 model of g under plan for batches of `batch`, with kernel set k. g must have
 * been through qx_graph_fuse_activations (as the plugin saw it); it is only read (the executor
 * keeps its own copy with this batch's shapes, qx_exec_q8_graph), and plan is not kept. An op or
 * plan the executor cannot run is an error naming the node. */
int qx_exec_q8_create(const struct qx_graph *g, const struct qx_quant_plan *plan, int64_t batch,
                      const struct qx_kernels *k, struct qx_exec_q8 **out, struct qx_error *err);

/* The executor's copy of the graph, with the shapes of its batch (what the tensor indices and
 * element counts of qx_exec_q8_read_int8 / _read_f32 / _output mean). Valid until free. */
const struct qx_graph *qx_exec_q8_graph(const struct qx_exec_q8 *e);

/* Runs one batch: inputs[i] is graph input i, fp32 NCHW (the caller keeps it). */
int qx_exec_q8_run(struct qx_exec_q8 *e, const float *const *inputs, struct qx_error *err);

/* Splits the executor's convolutions and pooling across pool's threads from the next run on
 * (NULL: the calling thread alone). The pool is not owned and must outlive the runs. */
struct qx_pool;
void qx_exec_q8_set_pool(struct qx_exec_q8 *e, struct qx_pool *pool);

/* Image chunks (exec_q8.c, "image chunks"): on one thread (no pool, or a pool of one), runs of
 * convolutions and pools go a few images at a time so that activations stay in the core's
 * cache; same bits either way. images < 0: the executor's choice (the default); 0: off; n > 0:
 * chunks of n images in every run of steps that can (for tests). qx_exec_q8_chunk_runs: how
 * many runs of steps the last qx_exec_q8_run went chunk by chunk. */
void qx_exec_q8_set_chunking(struct qx_exec_q8 *e, int images);
int qx_exec_q8_chunk_runs(const struct qx_exec_q8 *e);

/* After a run: graph output i as fp32 (dequantized when it was int8). */
const float *qx_exec_q8_output(const struct qx_exec_q8 *e, int i);

/* The int8 model as a list of steps (one per op, plus the float <-> int8 conversions). After a
 * run, step s's output: its bytes (uint8 for int8 steps, fp32 for float ones), the node it
 * belongs to (NULL for a conversion the executor inserted) and what it is ("conv", "maxpool",
 * "quantize", ...). Bit-exactness checks between kernel sets compare these step by step, so a
 * mismatch names the first op that differs. */
int qx_exec_q8_n_steps(const struct qx_exec_q8 *e);
const void *qx_exec_q8_step_output(const struct qx_exec_q8 *e, int s, int64_t *bytes,
                                   const char **node_name, const char **what);

/* Model size in bytes under this plan: int8 weights, their scales and zero points (4 bytes
 * each), int32 biases, the qparams of every quantized activation (scale + zero point, 8 bytes)
 * and every constant that stays fp32 (4 bytes per value). */
int64_t qx_exec_q8_model_bytes(const struct qx_exec_q8 *e);

void qx_exec_q8_free(struct qx_exec_q8 *e);

/* For checks: fills every buffer a run writes (int8 activations and scratch with byte, float
 * activations other than the graph inputs with byte repeated, or a NaN for byte 0), so that an
 * element no step
 * writes shows in the next run's outputs (harness/verify/trust.c runs twice, poisoned with two
 * different bytes, and compares). */
void qx_exec_q8_poison(struct qx_exec_q8 *e, uint8_t byte);

/* For checks, after a run: tensor t's int8 form as fp32 values ((q - zero_point) * scale) in
 * logical order (NCHW, row-major), numel floats into out. Returns 0, or -1 when t has no int8
 * form in this model. Reads the buffers only; the order conversion is written out here, apart
 * from the executor's relayout steps. */
int qx_exec_q8_read_int8(const struct qx_exec_q8 *e, int t, float *out);

/* For checks, after a run: tensor t's float form (NCHW), or NULL for an index out of range.
 * Meaningful only where the model has one: graph inputs and outputs of float and dynamic
 * nodes (and tensors dequantized for them). */
const float *qx_exec_q8_read_f32(const struct qx_exec_q8 *e, int t);

/* Test-only faults (QX_TEST_INT8_FAULT in the environment when the executor is built), applied
 * after every int8 convolution on every kernel set alike, so that the bit-exactness check
 * between sets cannot see them and only the reference simulation can:
 *   "unwritten"   the last quarter of each convolution's output pixels (and of each dynamic
 *                 GEMM's output rows) is never written;
 *   "off-by-one"  every convolution output is one quantization step too high.
 * Any other value is refused when the executor is built. Never set outside tests. */
#define QX_TEST_INT8_FAULT_ENV "QX_TEST_INT8_FAULT"

/* fp32 model size: every fp32 constant, 4 bytes per value. */
int64_t qx_graph_f32_bytes(const struct qx_graph *g);

/* PyTorch's quant_utils::ChooseQuantizationParams (preserve_sparsity and power-of-two off), as
 * its dynamic Linear uses for each call's input: [min, max] widened to contain 0, scale in
 * double then stored as float (0.1 when it would be 0 or its reciprocal infinite; at least
 * 6.1e-5), the zero point from the end with the smaller error, nudged into [qmin, qmax]. */
void qx_choose_qparams_dynamic(float min, float max, int32_t qmin, int32_t qmax, float *scale,
                               int32_t *zero_point);

#endif
