/* The float32 arithmetic of the torch 1.13 CPU kernels that PyTorch's observers go through,
 * reproduced so that the shipped plugins get PyTorch's quantization parameters bit for bit.
 *
 * Private to plugins/: declared here, defined in torch_f32.c, built into
 * build/plugins/libqxcommon.a with the plugins' flags (-ffp-contract=off). Measured against
 * torch 1.13.1 as Debian builds it (CPU capability AVX2: 8 floats per vector);
 * tests/test_plugins_golden.c holds the results to PyTorch's. */
#ifndef QX_PLUGINS_TORCH_F32_H
#define QX_PLUGINS_TORCH_F32_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Floats per Vectorized<float> in torch's AVX2 kernels. */
#define QXP_TORCH_VEC 8

/* The smallest and largest of n > 0 floats (torch.aminmax); -1 when one is NaN or infinite,
 * where torch's observers raise and no histogram could hold the range. */
int qxp_finite_minmax(const float *x, int64_t n, float *lo, float *hi);

/* c10's CeilLog2: 1 for x <= 2, else ceil(log2(x)). */
int64_t qxp_ceil_log2(int64_t x);

/* torch's multi_row_sum over `size` rows of 4 columns, each element `lanes` floats wide (one
 * Vectorized<float> when lanes is 8, a scalar when 1): a 4-level cascade so that long sums keep
 * their precision. Element (row i, column k) starts at x + (i * 4 + k) * lanes. Writes the 4
 * column sums, each `lanes` wide, to out[k * lanes + lane]. */
void qxp_torch_multi_row_sum(const float *x, int64_t size, int lanes, float *out);

/* torch's row_sum: `size` elements `lanes` floats wide, read as rows of 4 (instruction-level
 * parallelism), the leftover elements added to column 0, then the columns folded. */
void qxp_torch_row_sum(const float *x, int64_t size, int lanes, float *out);

/* torch.sum() of n contiguous float32 values on one thread, as torch 1.13's cascade_sum does it
 * (float accumulators). Not the correctly rounded sum: the order of additions is torch's, so
 * the result is torch's to the last bit. n must stay below torch's parallel grain size (32768)
 * for torch itself to be deterministic; the plugins only sum histograms of at most 16384 bins. */
float qxp_torch_sum_f32(const float *x, int64_t n);

/* torch.div(a, b, rounding_mode='floor') for float32 (c10's div_floor_floating). */
float qxp_torch_div_floor(float a, float b);

/* The last value of torch.linspace(start, end, steps) in float32. torch's AVX2 kernel writes
 * groups of 8 with a vector base plus lane * step; when steps is a multiple of 16 the last
 * value comes from such a lane (base computed with one fused multiply-add) and can miss end by
 * an ulp, otherwise it is end exactly. Measured on torch 1.13.1. */
float qxp_torch_linspace_last(float start, float end, int64_t steps);

/* torch.histc(x, bins, min=lo, max=hi) on float32 input, into hist (bins floats, overwritten):
 * equal bounds are replaced by the data's min and max, still-equal ones widened by 1 each way;
 * values outside [lo, hi] (and NaN) are dropped; each value goes to bin
 * trunc((x - lo) / (hi - lo) * bins) computed in float32, the top edge into the last bin.
 * Returns 0, or -1 where torch raises (bounds not finite). */
int qxp_torch_histc(const float *x, int64_t n, int32_t bins, double lo, double hi,
                    float *hist);

#endif
