/* The AVX-512 vector operations the fp32 templates (kernels/x86/f32_*_template.h) are written
 * with: 16 lanes, __mmask16 lane masks. Masked loads and stores never touch (nor fault on) the
 * lanes their mask leaves out, which AVX-512 guarantees on every vendor's CPU.
 *
 * Compiled only into kernels/avx512vnni/f32_*_avx512f.c (-mavx512f ... flags, Makefile). */
#ifndef QX_KERNELS_AVX512VNNI_F32_AVX512F_OPS_H
#define QX_KERNELS_AVX512VNNI_F32_AVX512F_OPS_H

#include <immintrin.h>
#include <stdint.h>

#define F32_FN(name) qx_f32_avx512_##name
#define F32_VL 16     /* lanes per vector */
#define F32_MR 8      /* micro-tile rows: output channels (conv) or rows of y (matmul) */
#define F32_RV 3      /* micro-tile vectors per row: 48 pixels (conv) or columns (matmul) */

typedef __m512 f32v;
typedef __mmask16 f32mask;
#define F32_MASKED_LOAD_ANYWHERE 1 /* masked-off lanes never fault */

static inline f32v f32v_zero(void)
{
	return _mm512_setzero_ps();
}

static inline f32v f32v_set1(float v)
{
	return _mm512_set1_ps(v);
}

static inline f32v f32v_loadu(const float *p)
{
	return _mm512_loadu_ps(p);
}

static inline void f32v_storeu(float *p, f32v v)
{
	_mm512_storeu_ps(p, v);
}

static inline f32v f32v_fmadd(f32v a, f32v b, f32v c)
{
	return _mm512_fmadd_ps(a, b, c);
}

static inline f32v f32v_add(f32v a, f32v b)
{
	return _mm512_add_ps(a, b);
}

static inline f32v f32v_div(f32v a, f32v b)
{
	return _mm512_div_ps(a, b);
}

/* min(max(v, lo), hi) with qx_f32_clamp's NaN rule: maxps / minps return their second operand
 * when either is NaN, so a NaN v passes through as it does in scalar. */
static inline f32v f32v_clamp(f32v v, f32v lo, f32v hi)
{
	return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
}

/* m where m >= v, v where v > m or v is NaN: the scalar maxpool's rule, so a NaN stays once
 * taken and the last NaN wins. */
static inline f32v f32v_max_nan(f32v m, f32v v)
{
	/* vmaxps(v, m) is v > m ? v : m (m when either is NaN), then a NaN v: only the max
	 * depends on m, so a chain of these waits one max and one move per step, not two
	 * compares into mask registers and their or */
	return _mm512_mask_mov_ps(_mm512_max_ps(v, m), _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q), v);
}

/* The 32 floats a then b split into the even ones (a0 a2 .. b14) and the odd ones (a1 a3 .. b15):
 * a 2x2 stride-2 pool's two window columns from two plain loads. */
static inline void f32v_deinterleave(f32v a, f32v b, f32v *even, f32v *odd)
{
	__m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	__m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
	*even = _mm512_permutex2var_ps(a, ie, b);
	*odd = _mm512_permutex2var_ps(a, io, b);
}

/* Lanes [lo, hi) of 0..15 (either bound may lie outside). */
static inline f32mask f32_lane_range(int64_t lo, int64_t hi)
{
	if (lo < 0)
		lo = 0;
	if (hi > F32_VL)
		hi = F32_VL;
	if (hi <= lo)
		return 0;
	return (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
}

/* Lane l in [lo, hi) reads base[e0 + l], the others are fill. base[0, size) is the object;
 * lanes outside [lo, hi) may lie outside it, hence the address is formed without pointer
 * arithmetic past the object. */
static inline f32v f32v_load_lanes(f32v fill, const float *base, int64_t size, int64_t e0,
                                   int64_t lo, int64_t hi)
{
	(void)size;
	const float *p = (const float *)((uintptr_t)base + (uintptr_t)(e0 * (int64_t)sizeof(float)));
	return _mm512_mask_loadu_ps(fill, f32_lane_range(lo, hi), p);
}

/* Lanes [lo, hi) of a stride-2 read (lane l reads base[e0 + 2 l]), made once per window
 * column: the lane mask and the masks of the two 16-float loads it takes. */
struct f32_lanes2 {
	__mmask16 lanes, first, second;
};

static inline struct f32_lanes2 f32_lanes2_make(int64_t lo, int64_t hi)
{
	__mmask16 lanes = f32_lane_range(lo, hi);
	/* lane l of 0..7 -> bit 2l of the first load's mask, 8..15 -> of the second's */
	uint32_t a = lanes & 0xffu, b = (uint32_t)lanes >> 8;
	a = (a | a << 4) & 0x0f0fu, b = (b | b << 4) & 0x0f0fu;
	a = (a | a << 2) & 0x3333u, b = (b | b << 2) & 0x3333u;
	a = (a | a << 1) & 0x5555u, b = (b | b << 1) & 0x5555u;
	return (struct f32_lanes2){ lanes, (__mmask16)a, (__mmask16)b };
}

/* Lane l of m->lanes reads base[e0 + 2 l], the others are fill: the 32 floats around, then
 * the even ones. */
static inline f32v f32v_load2(f32v fill, const float *base, int64_t size, int64_t e0,
                              const struct f32_lanes2 *m)
{
	(void)size;
	const float *p = (const float *)((uintptr_t)base + (uintptr_t)(e0 * (int64_t)sizeof(float)));
	__m512 lo16 = _mm512_maskz_loadu_ps(m->first, p);
	__m512 hi16 = _mm512_maskz_loadu_ps(m->second,
	                                    (const float *)((uintptr_t)p + 16 * sizeof(float)));
	__m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
	return _mm512_mask_mov_ps(fill, m->lanes, _mm512_permutex2var_ps(lo16, even, hi16));
}

/* Lane l in [lo, hi) reads base[e0 + l * stride], the others are fill. */
static inline f32v f32v_gather_lanes(f32v fill, const float *base, int64_t size, int64_t e0,
                                     int64_t stride, int64_t lo, int64_t hi)
{
	if (stride == 2) {
		struct f32_lanes2 m = f32_lanes2_make(lo, hi);
		return f32v_load2(fill, base, size, e0, &m);
	}
	const float *p = (const float *)((uintptr_t)base + (uintptr_t)(e0 * (int64_t)sizeof(float)));
	__m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	                                                   13, 14, 15),
	                                 _mm512_set1_epi32((int32_t)stride));
	return _mm512_mask_i32gather_ps(fill, f32_lane_range(lo, hi), idx, p, 4);
}

/* Lanes of m read base[e0 + l], the others are 0; only they need lie inside the object. */
static inline f32v f32v_load_mask(const float *base, int64_t e0, f32mask m)
{
	const float *p = (const float *)((uintptr_t)base + (uintptr_t)(e0 * (int64_t)sizeof(float)));
	return _mm512_maskz_loadu_ps(m, p);
}

/* The first n (<= 16) lanes of p, the others 0; p[n..15] are not read. */
static inline f32v f32v_load_first(const float *p, int64_t n)
{
	return _mm512_maskz_loadu_ps(f32_lane_range(0, n), p);
}

/* Stores the first n (<= 16) lanes of v at p; p[n..15] are not written. */
static inline void f32v_store_first(float *p, f32v v, int64_t n)
{
	_mm512_mask_storeu_ps(p, f32_lane_range(0, n), v);
}

/* ---- for the elementwise template (f32_eltwise_template.h) ---- */

static inline f32v f32v_mul(f32v a, f32v b)
{
	return _mm512_mul_ps(a, b);
}

static inline f32v f32v_sub(f32v a, f32v b)
{
	return _mm512_sub_ps(a, b);
}

/* Nearest integer (ties to even), as a float. */
static inline f32v f32v_round(f32v v)
{
	return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
}

/* p * 2^n for integral n in [-126, 127]: the exponent field built from n. */
static inline f32v f32v_mul_pow2(f32v p, f32v n)
{
	__m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)),
	                              23);
	return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

/* -|v| (the sign bit set; NaN stays NaN). */
static inline f32v f32v_neg_abs(f32v v)
{
	return _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(v),
	                                           _mm512_set1_epi32((int32_t)0x80000000u)));
}

/* a where v < 0, b elsewhere (NaN: b). */
static inline f32v f32v_select_neg(f32v v, f32v a, f32v b)
{
	return _mm512_mask_mov_ps(b, _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ), a);
}

/* 0 where t < lim, v elsewhere (t NaN: v). */
static inline f32v f32v_zero_where_below(f32v v, f32v t, f32v lim)
{
	return _mm512_maskz_mov_ps(~_mm512_cmp_ps_mask(t, lim, _CMP_LT_OQ), v);
}

/* ---- for the channels-last depthwise convolution (f32_dwconv_template.h) ---- */

/* Lane l < n (n <= 16) reads base[l * stride], the others are 0 and read nothing
 * (stride * 15 must fit an int32). */
static inline f32v f32v_gather_first(const float *base, int64_t stride, int64_t n)
{
	__m512i idx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	                                                   13, 14, 15),
	                                 _mm512_set1_epi32((int32_t)stride));
	return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), f32_lane_range(0, n), idx, base, 4);
}

/* r[i] lane j <- r[j] lane i: a 16 x 16 transpose in registers (within 128-bit lanes, pairs of
 * floats, then 128-bit blocks twice). */
static inline __attribute__((always_inline)) void f32v_transpose(f32v r[16])
{
	__m512 t[16];
	for (int i = 0; i < 16; i += 2) {
		t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
		t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
	}
	for (int i = 0; i < 16; i += 4) {
		r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
		r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xee);
		r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
		r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xee);
	}
	for (int i = 0; i < 4; i++) {
		t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
		t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xdd);
		t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
		t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xdd);
	}
	for (int i = 0; i < 8; i++) {
		r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
		r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
	}
}

#endif
