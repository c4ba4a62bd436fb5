/* int8 element-wise kernels, scalar reference: quantize, dequantize, requantize, add, mul,
 * table lookup.
 * Each is the formula of kernels_q8.h, one value at a time. The clamps happen in fp32 before
 * rounding, against integer bounds, so they equal the header's clamp after rounding. */
#include "q8_common.h"

void qx_q8_scalar_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                           int32_t qmax, uint8_t *q)
{
	float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
	for (size_t i = 0; i < count; i++)
		q[i] = (uint8_t)((int32_t)nearbyintf(qx_q8_clampf(x[i] / scale, lo, hi)) + zp);
}

void qx_q8_scalar_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x)
{
	for (size_t i = 0; i < count; i++)
		x[i] = (float)((int32_t)q[i] - zp) * scale;
}

void qx_q8_scalar_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                             int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y)
{
	float lo = (float)(y_min - y_zp), hi = (float)(y_max - y_zp);
	for (size_t i = 0; i < count; i++)
		y[i] = qx_q8_requant1((int32_t)x[i] - x_zp, multiplier, lo, hi, y_zp);
}

void qx_q8_scalar_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                      float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                      uint8_t *y)
{
	float lo = (float)(y_min - y_zp), hi = (float)(y_max - y_zp);
	for (size_t i = 0; i < count; i++) {
		float ta = (float)((int32_t)a[i] - a_zp) * a_mul;
		float tb = (float)((int32_t)b[i] - b_zp) * b_mul;
		float t = qx_q8_clampf(ta + tb, lo, hi);
		y[i] = (uint8_t)((int32_t)nearbyintf(t) + y_zp);
	}
}

void qx_q8_scalar_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                      float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                      uint8_t *y)
{
	float lo = (float)(y_min - y_zp), hi = (float)(y_max - y_zp);
	for (size_t i = 0; i < count; i++)
		y[i] = qx_q8_requant1(((int32_t)a[i] - a_zp) * ((int32_t)b[i] - b_zp), multiplier, lo,
		                      hi, y_zp);
}

/* Every set uses this one: a byte gather is not worth a vector version at these sizes. */
void qx_q8_scalar_lookup(const uint8_t *x, size_t count, const uint8_t *table, uint8_t *y)
{
	for (size_t i = 0; i < count; i++)
		y[i] = table[x[i]];
}
