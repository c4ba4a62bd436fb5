/* FP8 e4m3fn / e5m2 conversion (see fp8.h). Rounding works on the value: the quantum at x's
 * binade (or the subnormal quantum below the smallest normal) times nearbyint(x / quantum),
 * which rounds ties to even under the default rounding mode and is exact in double. */
#include "plan/fp8.h"

#include <math.h>
#include <stdint.h>

#include "qx/plan.h"

struct fp8_format {
	int mbits;      /* mantissa bits */
	int bias;       /* exponent bias */
	int emin;       /* exponent of the smallest normal: 1 - bias */
	double max;     /* largest finite value */
	int has_inf;    /* e5m2: exponent all ones is inf / NaN; e4m3fn: only S.1111.111 is NaN */
	double top_step;/* max minus the value below it: the quantum of max's binade */
};

static const struct fp8_format E4M3FN = { 3, 7, -6, 448.0, 0, 32.0 };        /* 1.75 * 2^8 */
static const struct fp8_format E5M2 = { 2, 15, -14, 57344.0, 1, 8192.0 };     /* 1.75 * 2^15 */

static const struct fp8_format *format_of(int dtype)
{
	return dtype == QX_PLAN_FP8_E5M2 ? &E5M2 : &E4M3FN;
}

float qx_fp8_max(int dtype)
{
	return (float)format_of(dtype)->max;
}

float qx_fp8_top_step(int dtype)
{
	return (float)format_of(dtype)->top_step;
}

int qx_fp8_code_is_special(uint8_t c, int dtype)
{
	if (dtype == QX_PLAN_FP8_E5M2)
		return (c & 0x7c) == 0x7c;
	return (c & 0x7f) == 0x7f;
}

float qx_fp8_decode(uint8_t c, int dtype)
{
	const struct fp8_format *f = format_of(dtype);
	int sign = c >> 7;
	int e = (c & 0x7f) >> f->mbits;
	int m = c & ((1 << f->mbits) - 1);
	double v;
	if (qx_fp8_code_is_special(c, dtype))
		v = f->has_inf && m == 0 ? INFINITY : NAN;
	else if (e == 0)
		v = ldexp((double)m, f->emin - f->mbits);
	else
		v = ldexp((double)((1 << f->mbits) + m), e - f->bias - f->mbits);
	return (float)(sign ? -v : v);
}

/* |x| rounded to the format's grid, saturated at its largest finite value. */
static double round_magnitude(double a, const struct fp8_format *f)
{
	if (!(a < f->max))
		return f->max;  /* inf and everything at or above the largest finite value */
	int k;
	frexp(a, &k);   /* a = m * 2^k, m in [0.5, 1): the binade's exponent is k - 1 */
	int e = k - 1 < f->emin ? f->emin : k - 1;
	double quantum = ldexp(1.0, e - f->mbits);
	double r = nearbyint(a / quantum) * quantum;
	return r > f->max ? f->max : r;
}

uint8_t qx_fp8_encode(float x, int dtype)
{
	const struct fp8_format *f = format_of(dtype);
	if (isnan(x))
		return 0x7f;
	uint8_t sign = signbit(x) ? 0x80 : 0;
	double r = round_magnitude(fabs((double)x), f);
	if (r == 0.0)
		return sign;
	int k;
	frexp(r, &k);
	int e = k - 1;
	if (e < f->emin) /* subnormal: exponent field 0, mantissa in subnormal quanta */
		return (uint8_t)(sign | (int)(r / ldexp(1.0, f->emin - f->mbits)));
	int m = (int)(r / ldexp(1.0, e - f->mbits)) - (1 << f->mbits);
	return (uint8_t)(sign | ((e + f->bias) << f->mbits) | m);
}

/* The same value as qx_fp8_decode(qx_fp8_encode(x)), computed in float without libm calls: the
 * reference simulation rounds every activation of an FP8 plan through here (10,000 images of
 * the default model is about 10^9 calls), and frexp / ldexp / nearbyint made it 70% of that
 * run. Every step is exact: the quantum is a power of two built from the float's exponent
 * field, a / quantum and r * quantum only move the exponent, and adding and subtracting 1.5 *
 * 2^23 rounds a float below 2^22 to an integer under the default rounding mode, ties to even,
 * as nearbyint does (the build never uses -ffast-math, so the compiler keeps both additions).
 * tests/test_fp8.c compares it with encode-then-decode over a sweep of every binade. */
float qx_fp8_round(float x, int dtype)
{
	const struct fp8_format *f = format_of(dtype);
	if (isnan(x))
		return NAN;
	float a = fabsf(x);
	float r;
	if (!(a < (float)f->max)) {
		r = (float)f->max;
	} else {
		union { float f; uint32_t u; } bits = { .f = a };
		int e = (int)(bits.u >> 23) - 127; /* the binade; float subnormals fall below emin */
		if (e < f->emin)
			e = f->emin;
		union { float f; uint32_t u; } quantum = { .u = (uint32_t)(e - f->mbits + 127) << 23 };
		const float round_shift = 12582912.0f; /* 1.5 * 2^23 */
		float n = (a / quantum.f + round_shift) - round_shift;
		r = n * quantum.f;
		if (r > (float)f->max)
			r = (float)f->max;
	}
	return copysignf(r, x);
}
