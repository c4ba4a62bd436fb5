/* NEON int8 element-wise kernels: quantize, dequantize, requantize, add, mul. 16 values per step;
 * the last partial step goes through a 16-wide scratch copy so it runs the very same vector
 * operations (one code path for the numerics, no reads or writes past count). */
#include "q8_neon.h"

#include <string.h>

/* 16 bytes minus a zero point, as four int32x4 (exact: -255..255). */
struct s32x16 {
	int32x4_t v[4];
};

static inline struct s32x16 widen_minus_zp(uint8x16_t q, int32_t zp)
{
	int16x8_t z = vdupq_n_s16((int16_t)zp);
	int16x8_t lo = vsubq_s16(vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(q))), z);
	int16x8_t hi = vsubq_s16(vreinterpretq_s16_u16(vmovl_high_u8(q)), z);
	struct s32x16 r = { { vmovl_s16(vget_low_s16(lo)), vmovl_high_s16(lo), vmovl_s16(vget_low_s16(hi)),
	                      vmovl_high_s16(hi) } };
	return r;
}

/* rne(clamp(t, lo, hi)) + zp for 16 fp32 values, narrowed to bytes (lo, hi keep it in 0..255). */
static inline uint8x16_t round_clamp_u8(const float32x4_t t[4], float lo, float hi, int32_t zp)
{
	float32x4_t vlo = vdupq_n_f32(lo), vhi = vdupq_n_f32(hi);
	int32x4_t vzp = vdupq_n_s32(zp), r[4];
	for (int i = 0; i < 4; i++)
		r[i] = vaddq_s32(vcvtnq_s32_f32(vminnmq_f32(vmaxnmq_f32(t[i], vlo), vhi)), vzp);
	return qx_neon_narrow_u8(r[0], r[1], r[2], r[3]);
}

static void quantize16(const float *x, float scale, int32_t zp, float lo, float hi, uint8_t *q)
{
	float32x4_t s = vdupq_n_f32(scale), t[4];
	for (int i = 0; i < 4; i++)
		t[i] = vdivq_f32(vld1q_f32(x + 4 * i), s);
	vst1q_u8(q, round_clamp_u8(t, lo, hi, zp));
}

void qx_q8_neon_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, uint8_t *q)
{
	const float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
	size_t i = 0;
	for (; i + 16 <= count; i += 16)
		quantize16(x + i, scale, zp, lo, hi, q + i);
	if (i < count) {
		float in[16] = { 0 };
		uint8_t out[16];
		memcpy(in, x + i, (count - i) * sizeof *x);
		quantize16(in, scale, zp, lo, hi, out);
		memcpy(q + i, out, count - i);
	}
}

static void dequantize16(const uint8_t *q, float scale, int32_t zp, float *x)
{
	struct s32x16 d = widen_minus_zp(vld1q_u8(q), zp);
	float32x4_t s = vdupq_n_f32(scale);
	for (int i = 0; i < 4; i++)
		vst1q_f32(x + 4 * i, vmulq_f32(vcvtq_f32_s32(d.v[i]), s));
}

void qx_q8_neon_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x)
{
	size_t i = 0;
	for (; i + 16 <= count; i += 16)
		dequantize16(q + i, scale, zp, x + i);
	if (i < count) {
		uint8_t in[16] = { 0 };
		float out[16];
		memcpy(in, q + i, count - i);
		dequantize16(in, scale, zp, out);
		memcpy(x + i, out, (count - i) * sizeof *x);
	}
}

/* kernels_q8.h clamps requantize after rounding; clamping in fp32 to the integer bounds first
 * gives the same result (rounding is monotonic and keeps integers) and cannot overflow. */
static void requantize16(const uint8_t *x, int32_t x_zp, float multiplier, int32_t y_zp, float lo,
                         float hi, uint8_t *y)
{
	struct s32x16 d = widen_minus_zp(vld1q_u8(x), x_zp);
	float32x4_t m = vdupq_n_f32(multiplier), t[4];
	for (int i = 0; i < 4; i++)
		t[i] = vmulq_f32(vcvtq_f32_s32(d.v[i]), m);
	vst1q_u8(y, round_clamp_u8(t, lo, hi, y_zp));
}

void qx_q8_neon_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                           int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y)
{
	const float lo = (float)(y_min - y_zp), hi = (float)(y_max - y_zp);
	size_t i = 0;
	for (; i + 16 <= count; i += 16)
		requantize16(x + i, x_zp, multiplier, y_zp, lo, hi, y + i);
	if (i < count) {
		uint8_t in[16] = { 0 }, out[16];
		memcpy(in, x + i, count - i);
		requantize16(in, x_zp, multiplier, y_zp, lo, hi, out);
		memcpy(y + i, out, count - i);
	}
}

/* add: a_mul, b_mul; mul: a_mul is the one multiplier */
struct add_params {
	int32_t a_zp, b_zp, y_zp;
	float a_mul, b_mul, lo, hi;
};

/* Two fp32 multiplies, then one add: never fused (vmulq/vaddq, built with -ffp-contract=off). */
static void add16(const uint8_t *a, const uint8_t *b, const struct add_params *ap, uint8_t *y)
{
	struct s32x16 da = widen_minus_zp(vld1q_u8(a), ap->a_zp);
	struct s32x16 db = widen_minus_zp(vld1q_u8(b), ap->b_zp);
	float32x4_t ma = vdupq_n_f32(ap->a_mul), mb = vdupq_n_f32(ap->b_mul), t[4];
	for (int i = 0; i < 4; i++)
		t[i] = vaddq_f32(vmulq_f32(vcvtq_f32_s32(da.v[i]), ma),
		                 vmulq_f32(vcvtq_f32_s32(db.v[i]), mb));
	vst1q_u8(y, round_clamp_u8(t, ap->lo, ap->hi, ap->y_zp));
}

typedef void binary16_fn(const uint8_t *a, const uint8_t *b, const struct add_params *ap,
                         uint8_t *y);

/* op16 over count values, the last partial step through 16-wide scratch copies. */
static void binary_run(binary16_fn *op16, const uint8_t *a, const uint8_t *b, size_t count,
                       const struct add_params *ap, uint8_t *y)
{
	size_t i = 0;
	for (; i + 16 <= count; i += 16)
		op16(a + i, b + i, ap, y + i);
	if (i < count) {
		uint8_t in_a[16] = { 0 }, in_b[16] = { 0 }, out[16];
		memcpy(in_a, a + i, count - i);
		memcpy(in_b, b + i, count - i);
		op16(in_a, in_b, ap, out);
		memcpy(y + i, out, count - i);
	}
}

void qx_q8_neon_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                    float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y)
{
	const struct add_params ap = { a_zp, b_zp, y_zp, a_mul, b_mul, (float)(y_min - y_zp),
		                       (float)(y_max - y_zp) };
	binary_run(add16, a, b, count, &ap, y);
}

/* The exact int32 product of the differences, then one fp32 multiply. */
static void mul16(const uint8_t *a, const uint8_t *b, const struct add_params *ap, uint8_t *y)
{
	struct s32x16 da = widen_minus_zp(vld1q_u8(a), ap->a_zp);
	struct s32x16 db = widen_minus_zp(vld1q_u8(b), ap->b_zp);
	float32x4_t m = vdupq_n_f32(ap->a_mul), t[4];
	for (int i = 0; i < 4; i++)
		t[i] = vmulq_f32(vcvtq_f32_s32(vmulq_s32(da.v[i], db.v[i])), m);
	vst1q_u8(y, round_clamp_u8(t, ap->lo, ap->hi, ap->y_zp));
}

void qx_q8_neon_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                    float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y)
{
	const struct add_params ap = { a_zp, b_zp, y_zp, multiplier, 0.0f, (float)(y_min - y_zp),
		                       (float)(y_max - y_zp) };
	binary_run(mul16, a, b, count, &ap, y);
}
