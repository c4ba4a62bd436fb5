/* The AVX2 + FMA vector operations the fp32 templates (f32_*_template.h) are written with:
 * 8 lanes. AVX2 has no fault-free masked access on every vendor (AMD documents vmaskmovps
 * faults on masked-off lanes as implementation dependent), so partial loads use vmaskmovps
 * only when the whole vector lies inside the object, and partial stores go through a stack
 * copy: both happen only at the edges of rows and tiles.
 *
 * Compiled only into kernels/avx2/f32_*_avx2.c (-mavx2 -mfma -mf16c, Makefile). */
#ifndef QX_KERNELS_AVX2_F32_AVX2_OPS_H
#define QX_KERNELS_AVX2_F32_AVX2_OPS_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define F32_FN(name) qx_f32_avx2_##name
#define F32_VL 8      /* lanes per vector */
#define F32_MR 4      /* micro-tile rows: output channels (conv) or rows of y (matmul) */
#define F32_RV 3      /* micro-tile vectors per row: 24 pixels (conv) or columns (matmul) */
/* conv's row-copy path (f32_conv_template.h) measured slower than im2col here (Zen 4, 28x28
 * and 7x7 at batch 64): the 4 x 3 tile has too few FMAs per load of its scattered rows. */
#define F32_ROWCOPY 0
/* the micro-tile's output prefetch slowed the 4 x 3 tile (1 -> 32 @28x28: 39% -> 31% of the
 * FMA loop) */
#define F32_TILE_PREFETCH 0

typedef __m256 f32v;
typedef __m256i f32mask;   /* all-ones lanes */
#define F32_MASKED_LOAD_ANYWHERE 0 /* f32v_load_mask needs the whole vector inside */

static inline f32v f32v_zero(void)
{
	return _mm256_setzero_ps();
}

static inline f32v f32v_set1(float v)
{
	return _mm256_set1_ps(v);
}

static inline f32v f32v_loadu(const float *p)
{
	return _mm256_loadu_ps(p);
}

static inline void f32v_storeu(float *p, f32v v)
{
	_mm256_storeu_ps(p, v);
}

static inline f32v f32v_fmadd(f32v a, f32v b, f32v c)
{
	return _mm256_fmadd_ps(a, b, c);
}

static inline f32v f32v_add(f32v a, f32v b)
{
	return _mm256_add_ps(a, b);
}

static inline f32v f32v_div(f32v a, f32v b)
{
	return _mm256_div_ps(a, b);
}

/* min(max(v, lo), hi) with qx_f32_clamp's NaN rule: maxps / minps return their second operand
 * when either is NaN, so a NaN v passes through as it does in scalar. */
static inline f32v f32v_clamp(f32v v, f32v lo, f32v hi)
{
	return _mm256_min_ps(hi, _mm256_max_ps(lo, v));
}

/* m where m >= v, v where v > m or v is NaN: the scalar maxpool's rule. */
static inline f32v f32v_max_nan(f32v m, f32v v)
{
	/* vmaxps(v, m) is v > m ? v : m (m when either is NaN), then a NaN v: only the max
	 * depends on m (a shorter chain than compare, or, blend) */
	return _mm256_blendv_ps(_mm256_max_ps(v, m), v, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
}

/* All-ones in lanes [lo, hi) of 0..7 (either bound may lie outside). */
static inline f32mask f32_lane_range(int64_t lo, int64_t hi)
{
	if (lo < -1)
		lo = -1;
	if (hi > F32_VL + 1)
		hi = F32_VL + 1;
	__m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
	return _mm256_and_si256(_mm256_cmpgt_epi32(lane, _mm256_set1_epi32((int32_t)lo - 1)),
	                        _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)hi), lane));
}

/* Lane l in [lo, hi) reads base[e0 + l], the others are fill. base[0, size) is the object;
 * only lanes in [lo, hi) need lie inside it. */
static inline f32v f32v_load_lanes(f32v fill, const float *base, int64_t size, int64_t e0,
                                   int64_t lo, int64_t hi)
{
	if (e0 >= 0 && e0 + F32_VL <= size) {
		__m256i m = f32_lane_range(lo, hi);
		return _mm256_blendv_ps(fill, _mm256_maskload_ps(base + e0, m), _mm256_castsi256_ps(m));
	}
	float t[F32_VL];
	_mm256_storeu_ps(t, fill);
	for (int64_t l = lo < 0 ? 0 : lo; l < hi && l < F32_VL; l++)
		t[l] = base[e0 + l];
	return _mm256_loadu_ps(t);
}

/* Lanes [lo, hi) of a stride-2 read (lane l reads base[e0 + 2 l]), made once per window
 * column. */
struct f32_lanes2 {
	__m256 lanes;
	int64_t lo, hi;
};

static inline struct f32_lanes2 f32_lanes2_make(int64_t lo, int64_t hi)
{
	return (struct f32_lanes2){ _mm256_castsi256_ps(f32_lane_range(lo, hi)), lo, hi };
}

/* Lane l of m's lanes reads base[e0 + 2 l], the others are fill: the 16 floats around when they
 * lie inside the object, then the even ones; otherwise lane by lane. */
static inline f32v f32v_load2(f32v fill, const float *base, int64_t size, int64_t e0,
                              const struct f32_lanes2 *m)
{
	if (e0 >= 0 && e0 + 2 * F32_VL <= size) {
		__m256 a = _mm256_loadu_ps(base + e0), b = _mm256_loadu_ps(base + e0 + F32_VL);
		/* a0 a2 b0 b2 | a4 a6 b4 b6 -> a0 a2 a4 a6 b0 b2 b4 b6 */
		__m256 even = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
		__m256d quads = _mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0));
		even = _mm256_castpd_ps(quads);
		return _mm256_blendv_ps(fill, even, m->lanes);
	}
	float t[F32_VL];
	_mm256_storeu_ps(t, fill);
	for (int64_t l = m->lo < 0 ? 0 : m->lo; l < m->hi && l < F32_VL; l++)
		t[l] = base[e0 + 2 * l];
	return _mm256_loadu_ps(t);
}

/* The 16 floats a then b split into the even ones (a0 a2 .. b6) and the odd ones (a1 a3 .. b7):
 * a 2x2 stride-2 pool's two window columns from two plain loads. */
static inline void f32v_deinterleave(f32v a, f32v b, f32v *even, f32v *odd)
{
	/* a0 a2 b0 b2 | a4 a6 b4 b6 -> a0 a2 a4 a6 b0 b2 b4 b6, and the same for the odd ones */
	__m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
	__m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
	*even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
	*odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* Lane l in [lo, hi) reads base[e0 + l * stride], the others are fill (stride 2 as f32v_load2,
 * others lane by lane: only strided convolutions and pools get here). */
static inline f32v f32v_gather_lanes(f32v fill, const float *base, int64_t size, int64_t e0,
                                     int64_t stride, int64_t lo, int64_t hi)
{
	if (stride == 2) {
		struct f32_lanes2 m = f32_lanes2_make(lo, hi);
		return f32v_load2(fill, base, size, e0, &m);
	}
	float t[F32_VL];
	_mm256_storeu_ps(t, fill);
	for (int64_t l = lo < 0 ? 0 : lo; l < hi && l < F32_VL; l++)
		t[l] = base[e0 + l * stride];
	return _mm256_loadu_ps(t);
}

/* Lanes of m read base[e0 + l], the others are 0; base[e0 .. e0 + 7] must all lie inside
 * the object. */
static inline f32v f32v_load_mask(const float *base, int64_t e0, f32mask m)
{
	return _mm256_maskload_ps(base + e0, m);
}

/* The first n (<= 8) lanes of p, the others 0; p[n..7] are not read. */
static inline f32v f32v_load_first(const float *p, int64_t n)
{
	if (n >= F32_VL)
		return _mm256_loadu_ps(p);
	float t[F32_VL] = { 0 };
	memcpy(t, p, (size_t)n * sizeof *p);
	return _mm256_loadu_ps(t);
}

/* Stores the first n (<= 8) lanes of v at p; p[n..7] are not written. */
static inline void f32v_store_first(float *p, f32v v, int64_t n)
{
	if (n >= F32_VL) {
		_mm256_storeu_ps(p, v);
		return;
	}
	float t[F32_VL];
	_mm256_storeu_ps(t, v);
	memcpy(p, t, (size_t)n * sizeof *p);
}

/* ---- for the elementwise template (f32_eltwise_template.h) ---- */

static inline f32v f32v_mul(f32v a, f32v b)
{
	return _mm256_mul_ps(a, b);
}

static inline f32v f32v_sub(f32v a, f32v b)
{
	return _mm256_sub_ps(a, b);
}

/* Nearest integer (ties to even), as a float. */
static inline f32v f32v_round(f32v v)
{
	return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* p * 2^n for integral n in [-126, 127]: the exponent field built from n. */
static inline f32v f32v_mul_pow2(f32v p, f32v n)
{
	__m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)),
	                              23);
	return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

/* -|v| (the sign bit set; NaN stays NaN). */
static inline f32v f32v_neg_abs(f32v v)
{
	return _mm256_or_ps(v, _mm256_set1_ps(-0.0f));
}

/* a where v < 0, b elsewhere (NaN: b). */
static inline f32v f32v_select_neg(f32v v, f32v a, f32v b)
{
	return _mm256_blendv_ps(b, a, _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ));
}

/* 0 where t < lim, v elsewhere (t NaN: v). */
static inline f32v f32v_zero_where_below(f32v v, f32v t, f32v lim)
{
	return _mm256_andnot_ps(_mm256_cmp_ps(t, lim, _CMP_LT_OQ), v);
}

/* ---- for the channels-last depthwise convolution (f32_dwconv_template.h) ---- */

/* Lane l < n (n <= 8) reads base[l * stride], the others are 0 and read nothing
 * (stride * 7 must fit an int32). */
static inline f32v f32v_gather_first(const float *base, int64_t stride, int64_t n)
{
	__m256i idx = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
	                                 _mm256_set1_epi32((int32_t)stride));
	return _mm256_mask_i32gather_ps(_mm256_setzero_ps(), base, idx,
	                                _mm256_castsi256_ps(f32_lane_range(0, n)), 4);
}

/* r[i] lane j <- r[j] lane i: an 8 x 8 transpose in registers. */
static inline __attribute__((always_inline)) void f32v_transpose(f32v r[8])
{
	__m256 t[8], u[8];
	for (int i = 0; i < 8; i += 2) {
		t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
	}
	for (int i = 0; i < 8; i += 4) {
		u[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
		u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
		u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
		u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
	}
	for (int i = 0; i < 4; i++) {
		r[i] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x20);
		r[i + 4] = _mm256_permute2f128_ps(u[i], u[i + 4], 0x31);
	}
}

#endif
