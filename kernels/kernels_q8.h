/* int8 kernels: the part of struct qx_kernels the int8 executor calls.
 *
 * Numerics (one definition for every kernel set; docs/numerics.md states it for users):
 *   activations  uint8, affine: real = scale * (q - zero_point), zero_point in [0, 255]
 *   weights      int8, symmetric (zero point 0), per output channel or per tensor; -128 allowed
 *   accumulate   int32, modulo 2^32 (what the hardware does; the scalar reference uses uint32_t
 *                arithmetic so that it wraps the same way and UBSan stays quiet)
 *                acc = sum (x - x_zp) * w + bias, padded input positions hold x_zp (contribute 0)
 *   requantize   t = (float)acc * multiplier[oc]          fp32 multiply, no FMA
 *                t = min(max(t, out_min - out_zp), out_max - out_zp)
 *                q = round_half_to_even(t) + out_zp      (cvtps2dq / vcvtnq_s32_f32 / nearbyintf)
 *                max then min with x86 maxps/minps semantics: a NaN t gives out_min (NEON:
 *                fmaxnm/fminnm; C: t > lo ? t : lo, then t < hi ? t : hi; kernels/q8_common.h).
 *   multiplier = in_scale * w_scale[oc] / out_scale, computed once in fp32 by the caller.
 *   A fused ReLU is out_min = out_zp; Clip(a, b) maps to out_min/out_max likewise.
 * Every kernel set gives bit-identical outputs to kernels/scalar for the same inputs.
 *
 * Layout: activations NHWC (channels last) for every set. Weights arrive as OHWI int8
 * ([oc][kh][kw][c_per_group]) and each set packs them once into its own layout.
 *
 * Work splitting: run functions take a half-open range of the work (output pixels or rows), so
 * a thread pool can split one call; [0, total) computes everything. Calls with disjoint ranges
 * on the same packed object may run concurrently. A range writes only its own outputs, but
 * reads any of the input (x is always the whole tensor). Run functions allocate nothing for
 * ordinary layers: they use up to 32 KiB of stack (threads need at least 64 KiB); a layer
 * whose scratch is larger gets it from malloc, and falls back to the scalar code if that fails.
 * Packed objects are read-only after packing. */
#ifndef QX_KERNELS_Q8_H
#define QX_KERNELS_Q8_H

#include <stddef.h>
#include <stdint.h>

/* A 2-D convolution over NHWC uint8 input; a Gemm/Linear is the 1x1 case with h = w = 1. */
struct qx_q8_conv_desc {
	int64_t n, h, w, c;       /* input: batch, height, width, channels (all groups) */
	int64_t oc, oh, ow;       /* output channels (all groups), output height, width */
	int kh, kw;               /* kernel size */
	int sh, sw;               /* strides */
	int dh, dw;               /* dilations */
	int pt, pl, pb, pr;       /* padding: top, left, bottom, right (filled with in_zp) */
	int groups;               /* c and oc are multiples of groups */
	int32_t in_zp;            /* input zero point, 0..255 */
	int32_t out_zp;           /* output zero point, 0..255 */
	int32_t out_min, out_max; /* output clamp, 0 <= out_min <= out_max <= 255 */
	int in_u7;                /* 1: every input byte (and in_zp) is proved to lie in 0..127
	                           * (the input tensor's qmax <= 127: reduce_range activations),
	                           * which lets a set sum u8 x s8 pairs in int16 (AVX2 vpmaddubsw)
	                           * without saturation; 0: inputs may be anything in 0..255. A
	                           * promise, not a check: inputs over 127 then give wrong sums.
	                           * Results never depend on it otherwise. */
};

/* Requantize-free dynamic GEMM (the `dynamic` plugin's Linear): y = (float)acc * scale[j] + bias[j]
 * where acc = sum_k (x[i][k] - x_zp) * w[j][k]; the fp32 multiply and add are separate (no FMA). */
struct qx_q8_gemm_desc {
	int64_t n;                /* output features (rows of w) */
	int64_t k;                /* input features */
};

struct qx_kernels_q8 {
	/* Packs weights for conv. w_ohwi: [oc][kh][kw][c/groups] int8; bias: [oc] int32 or NULL;
	 * multiplier: [oc] fp32 (see above). Copies everything it needs: the caller may free its
	 * arrays when this returns. Returns 0, or -1 when out of memory or d is not a valid
	 * convolution (sizes <= 0, groups not dividing c and oc, zero points or clamp out of
	 * range, in_u7 not 0 or 1 or set with in_zp over 127; SIMD sets: an input image over
	 * 2 GiB) (*packed untouched). */
	int (*conv_pack)(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi, const int32_t *bias,
	                 const float *multiplier, void **packed);
	/* y[n][oh][ow][oc] for the output pixels [pix_begin, pix_end) of n*oh*ow (row-major NHW). */
	void (*conv)(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin, int64_t pix_end);

	/* Packs w: [n][k] int8 for the dynamic GEMM. Same ownership rules as conv_pack. */
	int (*gemm_pack)(const struct qx_q8_gemm_desc *d, const int8_t *w_nk, void **packed);
	/* y[m][n] fp32 for rows [row_begin, row_end) of x: [m][k] uint8; scale: [n] fp32
	 * (= x_scale * w_scale[j]); bias: [n] fp32 or NULL. With NULL there is no addition at all
	 * (y = (float)acc * scale[j], not + 0.0f, which would turn -0.0f into +0.0f). */
	void (*gemm_f32out)(const void *packed, const uint8_t *x, int32_t x_zp, const float *scale,
	                    const float *bias, float *y, int64_t row_begin, int64_t row_end);

	/* Frees what conv_pack / gemm_pack returned (NULL is fine). */
	void (*pack_free)(void *packed);

	/* q = clamp(round_half_to_even(x / scale) + zp, qmin, qmax) for count values.
	 * The clamp happens in fp32 before rounding (so +-inf saturate); NaN gives qmin. */
	void (*quantize)(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
	                 int32_t qmax, uint8_t *q);
	/* x = (float)(q - zp) * scale for count values. */
	void (*dequantize)(const uint8_t *q, size_t count, float scale, int32_t zp, float *x);

	/* Requantizes count values from one (scale, zp) to another:
	 * y = clamp(rne((float)(x - x_zp) * multiplier) + y_zp, y_min, y_max), multiplier = xs / ys. */
	void (*requantize)(const uint8_t *x, size_t count, int32_t x_zp, float multiplier, int32_t y_zp,
	                   int32_t y_min, int32_t y_max, uint8_t *y);

	/* y = clamp(rne((float)(a - a_zp) * a_mul + (float)(b - b_zp) * b_mul) + y_zp, y_min, y_max),
	 * a_mul = a_scale / y_scale, b_mul = b_scale / y_scale; two fp32 multiplies then one add. */
	void (*add)(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
	            float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y);

	/* y = clamp(rne((float)((a - a_zp) * (b - b_zp)) * multiplier) + y_zp, y_min, y_max),
	 * multiplier = a_scale * b_scale / y_scale: the int32 product is exact (|p| <= 65025, so
	 * its float is too), then one fp32 multiply. */
	void (*mul)(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp, float multiplier,
	            size_t count, int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y);

	/* y[i] = table[x[i]]: an element-wise function of one input (Sigmoid, HardSwish) as a
	 * 256-entry table the caller computed from the qparams (so every set agrees trivially). */
	void (*lookup)(const uint8_t *x, size_t count, const uint8_t *table, uint8_t *y);

	/* Max pooling over NHWC uint8 (same scale and zero point in and out; padding never wins).
	 * d->oc == d->c and d->groups == d->c; in_zp/out_zp are ignored; the result is clamped to
	 * [out_min, out_max] (a fused ReLU). Output pixels [pix_begin, pix_end). A window with no
	 * input position (all padding) gives out_min. */
	void (*maxpool)(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
	                int64_t pix_begin, int64_t pix_end);
	/* Average pooling: per output value, sum = the window's inputs (padded positions count as
	 * in_zp when count_include_pad, else are skipped), cnt = the number of positions counted,
	 * t = (float)(sum - cnt * in_zp) * (multiplier / (float)cnt), then requantized as above.
	 * multiplier = in_scale / out_scale. GlobalAveragePool is kh = h, kw = w. The sums are
	 * int32 (wrapping); multiplier / (float)cnt is one fp32 division. A window with cnt = 0
	 * (all padding, count_include_pad = 0) is a NaN t: out_min. */
	void (*avgpool)(const struct qx_q8_conv_desc *d, int count_include_pad, float multiplier,
	                const uint8_t *x, uint8_t *y, int64_t pix_begin, int64_t pix_end);
};

#if defined(__x86_64__)
/* Whether the AVX2 set's conv_pack chose its vpmaddubsw form for this packed convolution (it
 * does exactly when desc.in_u7 is 1): for tests and benchmarks that must know which ran. */
int qx_q8_avx2_conv_uses_maddubs(const void *packed);
#endif

#endif
