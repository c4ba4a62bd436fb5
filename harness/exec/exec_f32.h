/* The fp32 executor: runs a graph over one batch through a kernel table's fp32 functions. */
#ifndef QX_EXEC_F32_H
#define QX_EXEC_F32_H

#include "kernels.h"
#include "model/graph.h"

struct qx_exec_f32;

/* Prepares g for batches of `batch` images: copies g and infers the copy's shapes (batch <= 0
 * keeps the declared ones), packs constant weights with k->f32, allocates one buffer per
 * activation. g itself is only read, so executors of different batch sizes can be built from
 * one graph and run interleaved; after the call g may change or be freed. It does not fuse
 * activations (qx_graph_fuse_activations is the caller's choice, made before). Keeps a pointer
 * to k until qx_exec_f32_free. Conv / Gemm / MatMul weights that are graph inputs rather than
 * constants are packed on every run. */
int qx_exec_f32_create(const struct qx_graph *g, int64_t batch, const struct qx_kernels *k,
                       struct qx_exec_f32 **out, struct qx_error *err);

/* The executor's own copy of the graph, with the shapes of its batch: what tensor indices,
 * dims and element counts of its buffers mean. Valid until qx_exec_f32_free. */
const struct qx_graph *qx_exec_f32_graph(const struct qx_exec_f32 *e);

/* Runs the graph on inputs[i] for graph input i (NCHW fp32, shapes as inferred for the batch;
 * the caller keeps ownership). Every activation stays readable until the next run. */
int qx_exec_f32_run(struct qx_exec_f32 *e, const float *const *inputs, struct qx_error *err);

/* After a run: the buffer of tensor index t (an activation, input or constant), row-major with
 * the tensor's shape in qx_exec_f32_graph(e); NULL for an index out of range. Valid until the
 * next run/free. */
const float *qx_exec_f32_tensor(const struct qx_exec_f32 *e, int t);

/* Splits convolutions across pool's threads from the next run on (NULL: the calling thread
 * alone). The pool is not owned and must outlive the runs. */
struct qx_pool;
void qx_exec_f32_set_pool(struct qx_exec_f32 *e, struct qx_pool *pool);

/* on != 0: Sigmoid nodes run the kernel set's vectorized sigmoid (a polynomial exp, within
 * QX_F32_SIGMOID_REL_TOL of libm's: kernels/kernels_f32.h) instead of qx_node_eval's libm
 * expf. Off by default, so executors whose float values feed int8 (calibration, the int8
 * executor's float nodes, refsim) give every kernel set the same bits; the fp32 model's own
 * run (measure/runner.c) turns it on. */
void qx_exec_f32_set_fast_sigmoid(struct qx_exec_f32 *e, int on);

/* Tells e that its caller reads only the graph outputs after a run, so it may skip writing
 * other activations: a Clip with constant bounds that is a Conv's only reader runs as that
 * Conv's output clamp, writing the Clip's output directly (the same bits, one pass over memory
 * less); the Conv's own output is then not written. Call before the first run; the fp32
 * model's own run (measure/runner.c) does. Not for callers that read activations
 * (calibration, layer errors) or run single nodes. Reshape, Flatten, Squeeze, Unsqueeze and
 * Identity outputs then share their input's buffer instead of copying it (not counted).
 * A HardSigmoid whose only reader multiplies it by the HardSigmoid's own input (hardswish)
 * runs with that Mul slice by slice, in cache (the same bits). A channel shuffle (Concat,
 * Reshape, Transpose, Reshape, as shufflenet's) runs as one copy per plane from the Concat's
 * inputs, straight into the Slices that read it when they take whole planes (the same values).
 * Returns how many Clips (and SiLUs, hardswishes and channel shuffles) it fused. */
int qx_exec_f32_set_outputs_only(struct qx_exec_f32 *e);

/* Writable buffer of tensor t (what qx_exec_f32_tensor returns), for callers that fill
 * activations themselves before running single nodes; NULL for an index out of range. */
float *qx_exec_f32_buffer(struct qx_exec_f32 *e, int t);

/* Runs node `node` alone, reading its inputs' current buffers: the int8 executor runs the
 * nodes a plan leaves in float this way. */
int qx_exec_f32_run_node(struct qx_exec_f32 *e, int node, struct qx_error *err);

void qx_exec_f32_free(struct qx_exec_f32 *e);

#endif
