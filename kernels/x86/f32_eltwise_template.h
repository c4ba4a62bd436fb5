/* fp32 elementwise ops, written once for the x86 SIMD sets: the including file includes its ops
 * header (avx2/f32_avx2_ops.h or avx512vnni/f32_avx512f_ops.h) first.
 *
 * unary: the clamps (Relu, Clip, HardSigmoid, HardSwish) with the same IEEE operations in the
 * same order as qx_nd_unary_f32 (no FMA: the build has -ffp-contract=off), so the results are
 * the scalar ones bit for bit, NaN and -0 included (f32v_clamp keeps qx_f32_clamp's NaN rule).
 *
 * sigmoid: 1 / (1 + exp(-|x|)) or exp(-|x|) / (1 + exp(-|x|)) as the scalar one, with exp from
 * a polynomial instead of libm: exp(t) = 2^n * p(r), n = round(t / ln 2), r = t - n ln 2 (ln 2
 * in two parts, Cody and Waite) in [-ln 2 / 2, ln 2 / 2], p Cephes' degree-7 expf polynomial
 * (relative error below 2 ulp there). t = -|x| >= -87.34 keeps 2^n a normal float; below it
 * exp(t) is subnormal and taken as 0, so the result is off by less than FLT_MIN there. Error
 * bound, tested in tests/test_f32_kernels.c: |y - libm's| <= QX_F32_SIGMOID_REL_TOL * |libm's|
 * + FLT_MIN. silu is x times that sigmoid.
 *
 * binary: Add, Sub, Mul, Div of two same-shape operands, or of one and a value per plane
 * (squeeze-excitation's [N,C,H,W] x [N,C,1,1]): one IEEE operation per value, the scalar bits. */
#include <math.h>
#include <stdint.h>

#include "kernels_f32.h"
#include "nd_ops.h"

#ifndef F32_INLINE
#define F32_INLINE static inline __attribute__((always_inline))
#endif

#define F32_EXP_MIN (-87.3365478515625f) /* ln(FLT_MIN), rounded up: 2^n stays normal */

/* exp(t) for t <= 0 (NaN stays NaN). */
static inline f32v f32v_exp_nonpos(f32v t)
{
	f32v tc = f32v_clamp(t, f32v_set1(F32_EXP_MIN), f32v_zero());
	f32v n = f32v_round(f32v_mul(tc, f32v_set1(1.44269504088896341f)));
	f32v r = f32v_fmadd(n, f32v_set1(-0.693359375f), tc);
	r = f32v_fmadd(n, f32v_set1(2.12194440e-4f), r);
	f32v p = f32v_set1(1.9875691500e-4f);
	p = f32v_fmadd(p, r, f32v_set1(1.3981999507e-3f));
	p = f32v_fmadd(p, r, f32v_set1(8.3334519073e-3f));
	p = f32v_fmadd(p, r, f32v_set1(4.1665795894e-2f));
	p = f32v_fmadd(p, r, f32v_set1(1.6666665459e-1f));
	p = f32v_fmadd(p, r, f32v_set1(5.0000001201e-1f));
	p = f32v_fmadd(f32v_mul(p, r), r, f32v_add(r, f32v_set1(1.0f)));
	return f32v_zero_where_below(f32v_mul_pow2(p, n), t, f32v_set1(F32_EXP_MIN));
}

static inline f32v f32v_sigmoid(f32v v)
{
	f32v e = f32v_exp_nonpos(f32v_neg_abs(v));
	f32v d = f32v_add(f32v_set1(1.0f), e);
	/* the numerator picked first, then one division (the same quotients as dividing both
	 * and picking one: the divider, not the polynomial, bounded SiLU's speed) */
	return f32v_div(f32v_select_neg(v, e, f32v_set1(1.0f)), d);
}

/* One op over x[0, n): whole vectors, then the first lanes of one more. */
#define F32_ELTWISE_LOOP(expr)                                                                \
	do {                                                                                      \
		int64_t i = 0;                                                                        \
		for (; i + F32_VL <= n; i += F32_VL) {                                                \
			f32v v = f32v_loadu(x + i);                                                       \
			f32v_storeu(y + i, (expr));                                                       \
		}                                                                                     \
		if (i < n) {                                                                          \
			f32v v = f32v_load_first(x + i, n - i);                                           \
			f32v_store_first(y + i, (expr), n - i);                                           \
		}                                                                                     \
	} while (0)

int F32_FN(unary)(enum qx_nd_unop op, float alpha, float beta, const float *x, float *y,
                  int64_t n)
{
	const f32v zero = f32v_zero(), one = f32v_set1(1.0f), three = f32v_set1(3.0f);
	const f32v six = f32v_set1(6.0f), inf = f32v_set1(INFINITY);
	const f32v a = f32v_set1(alpha), b = f32v_set1(beta);
	switch (op) {
	case QX_ND_RELU: F32_ELTWISE_LOOP(f32v_clamp(v, zero, inf)); return 0;
	case QX_ND_CLIP: F32_ELTWISE_LOOP(f32v_clamp(v, a, b)); return 0;
	case QX_ND_HARDSIGMOID:
		F32_ELTWISE_LOOP(f32v_clamp(f32v_add(f32v_mul(a, v), b), zero, one));
		return 0;
	case QX_ND_HARDSWISH:
		F32_ELTWISE_LOOP(f32v_div(f32v_mul(v, f32v_clamp(f32v_add(v, three), zero, six)), six));
		return 0;
	default:
		return -1;
	}
}

void F32_FN(sigmoid)(const float *x, float *y, int64_t n)
{
	F32_ELTWISE_LOOP(f32v_sigmoid(v));
}

void F32_FN(silu)(const float *x, float *y, int64_t n)
{
	F32_ELTWISE_LOOP(f32v_mul(v, f32v_sigmoid(v)));
}

static inline f32v f32v_binop(enum qx_nd_binop op, f32v u, f32v v)
{
	switch (op) {
	case QX_ND_ADD: return f32v_add(u, v);
	case QX_ND_SUB: return f32v_sub(u, v);
	case QX_ND_MUL: return f32v_mul(u, v);
	default: return f32v_div(u, v);
	}
}

/* One op over one plane of len values: u and v either a vector per position or one value. */
F32_INLINE void binary_plane(enum qx_nd_binop op, const float *a, int a1, const float *b, int b1,
                             float *y, int64_t len)
{
	/* the one value of a per-plane operand (a full one may be empty: len 0) */
	const f32v as = a1 ? f32v_set1(a[0]) : f32v_zero(), bs = b1 ? f32v_set1(b[0]) : f32v_zero();
	int64_t i = 0;
	for (; i + F32_VL <= len; i += F32_VL)
		f32v_storeu(y + i, f32v_binop(op, a1 ? as : f32v_loadu(a + i), b1 ? bs : f32v_loadu(b + i)));
	if (i < len)
		f32v_store_first(y + i, f32v_binop(op, a1 ? as : f32v_load_first(a + i, len - i),
		                                   b1 ? bs : f32v_load_first(b + i, len - i)),
		                 len - i);
}

int F32_FN(binary)(enum qx_nd_binop op, const float *a, int a_per_plane, const float *b,
                   int b_per_plane, float *y, int64_t planes, int64_t len)
{
	if (op != QX_ND_ADD && op != QX_ND_SUB && op != QX_ND_MUL && op != QX_ND_DIV)
		return -1;
	if (!a_per_plane && !b_per_plane) {
		/* same shapes: one run over all the values (planes of 2x2 or 4x4 filled a quarter
		 * of a vector each, and paid the per-plane setup) */
		len *= planes;
		planes = len ? 1 : 0;
	}
	for (int64_t p = 0; p < planes; p++) {
		const float *ap = a_per_plane ? a + p : a + p * len;
		const float *bp = b_per_plane ? b + p : b + p * len;
		/* the op a switch constant in each copy, the broadcast known: the compiler specializes */
		switch (op) {
		case QX_ND_ADD: binary_plane(QX_ND_ADD, ap, a_per_plane, bp, b_per_plane, y + p * len, len); break;
		case QX_ND_SUB: binary_plane(QX_ND_SUB, ap, a_per_plane, bp, b_per_plane, y + p * len, len); break;
		case QX_ND_MUL: binary_plane(QX_ND_MUL, ap, a_per_plane, bp, b_per_plane, y + p * len, len); break;
		default: binary_plane(QX_ND_DIV, ap, a_per_plane, bp, b_per_plane, y + p * len, len); break;
		}
	}
	return 0;
}

void F32_FN(batchnorm)(const float *x, float *y, int64_t planes, int64_t len, int64_t ch,
                       const float *mean, const float *sd, const float *scale, const float *bias)
{
	for (int64_t p = 0; p < planes; p++) {
		int64_t c = p % ch;
		const f32v m = f32v_set1(mean[c]), s = f32v_set1(sd[c]);
		const f32v g = f32v_set1(scale[c]), b = f32v_set1(bias[c]);
		const float *xp = x + p * len;
		float *yp = y + p * len;
		int64_t j = 0;
		for (; j + F32_VL <= len; j += F32_VL)
			f32v_storeu(yp + j, f32v_add(f32v_mul(f32v_div(f32v_sub(f32v_loadu(xp + j), m), s), g), b));
		if (j < len)
			f32v_store_first(yp + j, f32v_add(f32v_mul(f32v_div(f32v_sub(f32v_load_first(xp + j, len - j), m), s), g), b),
			                 len - j);
	}
}

#undef F32_ELTWISE_LOOP
