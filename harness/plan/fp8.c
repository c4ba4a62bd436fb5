/* FP8 e4m3fn / e5m2 conversion (see fp8.h). Rounding works on the value: the quantum at x's
 * binade (or the subnormal quantum below the smallest normal) times nearbyint(x / quantum),
 * which rounds ties to even under the default rounding mode and is exact in double. */
#include "plan/fp8.h"

#include <math.h>

#include "qx/plan.h"

struct fp8_format {
	int mbits;      /* mantissa bits */
	int bias;       /* exponent bias */
	int emin;       /* exponent of the smallest normal: 1 - bias */
	double max;     /* largest finite value */
	int has_inf;    /* e5m2: exponent all ones is inf / NaN; e4m3fn: only S.1111.111 is NaN */
};

static const struct fp8_format E4M3FN = { 3, 7, -6, 448.0, 0 };
static const struct fp8_format E5M2 = { 2, 15, -14, 57344.0, 1 };

static const struct fp8_format *format_of(int dtype)
{
	return dtype == QX_PLAN_FP8_E5M2 ? &E5M2 : &E4M3FN;
}

float qx_fp8_max(int dtype)
{
	return (float)format_of(dtype)->max;
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

float qx_fp8_round(float x, int dtype)
{
	return qx_fp8_decode(qx_fp8_encode(x, dtype), dtype);
}
