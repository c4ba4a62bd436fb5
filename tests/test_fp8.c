/* FP8 rounding (harness/plan/fp8.c) against a decoder written here from the formats' definition
 * (OCP 8-bit floats / ONNX FLOAT8E4M3FN, FLOAT8E5M2) and a brute-force nearest search over all
 * 256 codes, ties to the even code (mantissa lsb 0), saturating at the largest finite value:
 * every code decodes alike, every representable value encodes to its code, every boundary
 * between neighbours (the exact midpoint and the floats on each side of it) rounds the way the
 * brute-force search says, and +-0, subnormals, saturation, +-inf and NaN behave. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "plan/fp8.h"
#include "qx/plan.h"
#include "support/tap.h"

struct fmt {
	const char *name;
	int dtype;
	int ebits, mbits, bias;
	double max;
};

static const struct fmt FORMATS[] = {
	{ "e4m3fn", QX_PLAN_FP8_E4M3FN, 4, 3, 7, 448.0 },
	{ "e5m2", QX_PLAN_FP8_E5M2, 5, 2, 15, 57344.0 },
};

/* The value of code c as the specification tables list it; NaN for NaN codes, +-inf for e5m2's
 * infinities. Written from the bit layout: sign, exponent field, mantissa field. */
static double ref_decode(const struct fmt *f, unsigned c)
{
	unsigned sign = c >> 7, exp = (c >> f->mbits) & ((1u << f->ebits) - 1);
	unsigned man = c & ((1u << f->mbits) - 1);
	unsigned exp_all = (1u << f->ebits) - 1;
	double v;
	if (f->dtype == QX_PLAN_FP8_E5M2 && exp == exp_all)
		v = man ? NAN : INFINITY;
	else if (f->dtype == QX_PLAN_FP8_E4M3FN && exp == exp_all && man == (1u << f->mbits) - 1)
		v = NAN;
	else if (exp == 0)
		v = man * pow(2.0, 1 - f->bias) / (double)(1u << f->mbits);
	else
		v = (1.0 + man / (double)(1u << f->mbits)) * pow(2.0, (int)exp - f->bias);
	return sign ? -v : v;
}

/* The nearest finite code to x by exhaustive search: ties to the code with an even mantissa;
 * beyond the largest finite value, that value (saturation), keeping the sign. */
static unsigned ref_encode(const struct fmt *f, double x)
{
	if (isnan(x))
		return 0x7f;
	unsigned best = 0;
	double best_d = INFINITY;
	for (unsigned c = 0; c < 256; c++) {
		double v = ref_decode(f, c);
		if (!isfinite(v) || (signbit(v) != signbit(x)))
			continue;
		double d = fabs(v - (isinf(x) ? copysign(f->max, x) : x));
		if (fabs(x) > f->max)
			d = fabs(v - copysign(f->max, x));
		if (d < best_d || (d == best_d && (c & 1) == 0 && (best & 1) == 1)) {
			best = c;
			best_d = d;
		}
	}
	return best;
}

/* Whether got and want are the same float (NaN equals NaN; -0 differs from +0). */
static int same_float(float got, float want, float x, const char *name, int shown)
{
	union { float f; uint32_t u; } g = { .f = got }, w = { .f = want };
	if ((isnan(got) && isnan(want)) || g.u == w.u)
		return 1;
	if (shown < 3)
		diag("%s: qx_fp8_round(%.9g) = %.9g, decode(encode()) = %.9g", name, x, got, want);
	return 0;
}

static void check_format(const struct fmt *f)
{
	/* every code decodes as the reference says */
	int bad = 0;
	for (unsigned c = 0; c < 256; c++) {
		double r = ref_decode(f, c), v = qx_fp8_decode((uint8_t)c, f->dtype);
		if (!(isnan(r) ? isnan(v) : (v == r && signbit(v) == signbit(r)))) {
			if (bad++ < 3)
				diag("%s: code 0x%02x decodes to %g (expected %g)", f->name, c, v, r);
		}
	}
	ok(!bad, "%s: all 256 codes decode as the bit layout says", f->name);

	/* every finite value encodes to its own code (both zeros included) */
	bad = 0;
	for (unsigned c = 0; c < 256; c++) {
		double r = ref_decode(f, c);
		if (!isfinite(r))
			continue;
		unsigned got = qx_fp8_encode((float)r, f->dtype);
		if (got != c && bad++ < 3)
			diag("%s: %g encodes to 0x%02x (expected 0x%02x)", f->name, r, got, c);
	}
	ok(!bad, "%s: every finite value encodes to its own code, -0 to 0x80", f->name);

	/* every boundary between neighbouring positive values, and its mirror: the midpoint (a
	 * tie, to the even code) and the floats just below and above it */
	bad = 0;
	int ties = 0;
	for (unsigned c = 0; c < 0x7f; c++) {
		double lo = ref_decode(f, c), hi = ref_decode(f, c + 1);
		if (!isfinite(lo) || !isfinite(hi))
			continue;
		float mid = (float)((lo + hi) / 2.0); /* exact in float: few mantissa bits */
		float probes[3] = { nextafterf(mid, -INFINITY), mid, nextafterf(mid, INFINITY) };
		for (int k = 0; k < 3; k++)
			for (int s = 0; s < 2; s++) {
				float x = s ? -probes[k] : probes[k];
				unsigned want = ref_encode(f, x), got = qx_fp8_encode(x, f->dtype);
				ties += k == 1 && !s;
				if (want != got && bad++ < 3)
					diag("%s: %.9g encodes to 0x%02x (expected 0x%02x)", f->name, x, got,
					     want);
			}
	}
	ok(!bad, "%s: %d boundaries between neighbours, each side and the tie, both signs",
	   f->name, ties);

	/* qx_fp8_round, computed on the float's bits, against encode-then-decode: a stride through
	 * every float bit pattern (both signs, every binade, float subnormals, inf, NaN) and the
	 * 4,096 floats around each code's value */
	bad = 0;
	long swept = 0;
	for (uint64_t u = 0; u <= 0xffffffffu; u += 4093) {
		union { uint32_t u; float f; } in = { .u = (uint32_t)u };
		bad += !same_float(qx_fp8_round(in.f, f->dtype),
		                   qx_fp8_decode(qx_fp8_encode(in.f, f->dtype), f->dtype), in.f,
		                   f->name, bad);
		swept++;
	}
	for (unsigned c = 0; c < 0x100; c++) {
		union { uint32_t u; float f; } v = { .f = (float)ref_decode(f, c) };
		if (!isfinite(v.f))
			continue;
		for (int d = -2048; d < 2048; d++) {
			union { uint32_t u; float f; } in = { .u = v.u + (uint32_t)d };
			bad += !same_float(qx_fp8_round(in.f, f->dtype),
			                   qx_fp8_decode(qx_fp8_encode(in.f, f->dtype), f->dtype), in.f,
			                   f->name, bad);
			swept++;
		}
	}
	ok(!bad, "%s: qx_fp8_round equals decode(encode(x)) on %ld floats", f->name, swept);

	/* ties go to the even mantissa: 1 + half a step at 1.0 rounds down, at 1 + step up */
	double step = 1.0 / (1u << f->mbits);
	ok(qx_fp8_round((float)(1.0 + step / 2), f->dtype) == 1.0f &&
	   qx_fp8_round((float)(1.0 + 1.5 * step), f->dtype) == (float)(1.0 + 2 * step),
	   "%s: ties to even (1 + step/2 -> 1, 1 + 1.5 step -> 1 + 2 step)", f->name);

	/* subnormals: the smallest, half of it (a tie to 0), and 3/4 of it (up) */
	double sub = pow(2.0, 1 - f->bias - f->mbits);
	ok(qx_fp8_round((float)sub, f->dtype) == (float)sub &&
	   qx_fp8_round((float)(sub / 2), f->dtype) == 0.0f &&
	   qx_fp8_round((float)(0.75 * sub), f->dtype) == (float)sub &&
	   qx_fp8_encode((float)sub, f->dtype) == 0x01,
	   "%s: smallest subnormal %g is code 0x01; half of it ties to 0, 3/4 rounds up", f->name,
	   sub);

	/* zeros keep their sign */
	ok(qx_fp8_encode(0.0f, f->dtype) == 0x00 && qx_fp8_encode(-0.0f, f->dtype) == 0x80 &&
	   signbit(qx_fp8_round(-0.0f, f->dtype)) && signbit(qx_fp8_round((float)(-sub / 4), f->dtype)),
	   "%s: +0 -> 0x00, -0 -> 0x80, a tiny negative rounds to -0", f->name);

	/* saturation: beyond max, huge, +-inf */
	float mx = (float)f->max;
	ok(qx_fp8_round(mx * 1.03f, f->dtype) == mx && qx_fp8_round(mx * 4.0f, f->dtype) == mx &&
	   qx_fp8_round(INFINITY, f->dtype) == mx && qx_fp8_round(-INFINITY, f->dtype) == -mx &&
	   qx_fp8_round(-3e38f, f->dtype) == -mx && qx_fp8_max(f->dtype) == mx,
	   "%s: saturates at +-%g (above max, +-inf, -3e38)", f->name, f->max);

	/* NaN stays NaN */
	ok(isnan(qx_fp8_round(NAN, f->dtype)) && qx_fp8_encode(NAN, f->dtype) == 0x7f &&
	   qx_fp8_code_is_special(0x7f, f->dtype) && !qx_fp8_code_is_special(0x7e, f->dtype) ==
	   (f->dtype == QX_PLAN_FP8_E4M3FN),
	   "%s: NaN in, NaN out (code 0x7f); 0x7e is %s", f->name,
	   f->dtype == QX_PLAN_FP8_E4M3FN ? "448's neighbour 416" : "a NaN too");
}

int main(void)
{
	tap_plan(0);
	for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
		check_format(&FORMATS[i]);
	/* a few values worked by hand */
	ok(qx_fp8_top_step(QX_PLAN_FP8_E4M3FN) == 448.0f - qx_fp8_decode(0x7d, QX_PLAN_FP8_E4M3FN) &&
	   qx_fp8_top_step(QX_PLAN_FP8_E5M2) == 57344.0f - qx_fp8_decode(0x7a, QX_PLAN_FP8_E5M2),
	   "top step: e4m3fn 448 - 416, e5m2 57344 - 49152");
	ok(qx_fp8_round(1.1f, QX_PLAN_FP8_E4M3FN) == 1.125f &&
	   qx_fp8_round(300.0f, QX_PLAN_FP8_E4M3FN) == 288.0f &&
	   qx_fp8_round(464.0f, QX_PLAN_FP8_E4M3FN) == 448.0f &&
	   qx_fp8_round(1.1f, QX_PLAN_FP8_E5M2) == 1.0f &&
	   qx_fp8_round(0.3f, QX_PLAN_FP8_E5M2) == 0.3125f,
	   "by hand: e4m3fn 1.1 -> 1.125, 300 -> 288, 464 -> 448; e5m2 1.1 -> 1, 0.3 -> 0.3125");
	return tap_done();
}
