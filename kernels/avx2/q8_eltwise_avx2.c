/* AVX2 int8 element-wise kernels and max pooling, 8 (or 32) values at a time; the tails go
 * through the scalar functions, which compute the same formula (kernels_q8.h). The fp32 steps
 * are the scalar ones, in the same order: divps / mulps / addps (never FMA: the build uses
 * -ffp-contract=off), maxps(t, lo) then minps(t, hi), cvtps2dq (round half to even). */
#include "avx2/q8_eltwise_avx2.h"
#include "q8_common.h"

#include <immintrin.h>

/* 8 int32 in [0, 255] -> 8 bytes. */
static inline void store8_u8(uint8_t *dst, __m256i v)
{
	__m128i w = _mm_packus_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
	_mm_storel_epi64((__m128i *)dst, _mm_packus_epi16(w, w));
}

static inline __m256i load8_u8(const uint8_t *src)
{
	return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)src));
}

/* rne(clamp(t, lo, hi)) + zp as 8 bytes */
static inline void requant8(uint8_t *dst, __m256 t, __m256 lo, __m256 hi, __m256i zp)
{
	t = _mm256_min_ps(_mm256_max_ps(t, lo), hi);
	store8_u8(dst, _mm256_add_epi32(_mm256_cvtps_epi32(t), zp));
}

void qx_q8_avx2_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, uint8_t *q)
{
	__m256 s = _mm256_set1_ps(scale);
	__m256 lo = _mm256_set1_ps((float)(qmin - zp)), hi = _mm256_set1_ps((float)(qmax - zp));
	__m256i z = _mm256_set1_epi32(zp);
	size_t i = 0;
	for (; i + 8 <= count; i += 8)
		requant8(q + i, _mm256_div_ps(_mm256_loadu_ps(x + i), s), lo, hi, z);
	qx_q8_scalar_quantize(x + i, count - i, scale, zp, qmin, qmax, q + i);
}

void qx_q8_avx2_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x)
{
	__m256 s = _mm256_set1_ps(scale);
	__m256i z = _mm256_set1_epi32(zp);
	size_t i = 0;
	for (; i + 8 <= count; i += 8) {
		__m256i v = _mm256_sub_epi32(load8_u8(q + i), z);
		_mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_cvtepi32_ps(v), s));
	}
	qx_q8_scalar_dequantize(q + i, count - i, scale, zp, x + i);
}

void qx_q8_avx2_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                           int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y)
{
	__m256 m = _mm256_set1_ps(multiplier);
	__m256 lo = _mm256_set1_ps((float)(y_min - y_zp)), hi = _mm256_set1_ps((float)(y_max - y_zp));
	__m256i xz = _mm256_set1_epi32(x_zp), yz = _mm256_set1_epi32(y_zp);
	size_t i = 0;
	for (; i + 8 <= count; i += 8) {
		__m256i v = _mm256_sub_epi32(load8_u8(x + i), xz);
		requant8(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(v), m), lo, hi, yz);
	}
	qx_q8_scalar_requantize(x + i, count - i, x_zp, multiplier, y_zp, y_min, y_max, y + i);
}

void qx_q8_avx2_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                    float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y)
{
	__m256 am = _mm256_set1_ps(a_mul), bm = _mm256_set1_ps(b_mul);
	__m256 lo = _mm256_set1_ps((float)(y_min - y_zp)), hi = _mm256_set1_ps((float)(y_max - y_zp));
	__m256i az = _mm256_set1_epi32(a_zp), bz = _mm256_set1_epi32(b_zp);
	__m256i yz = _mm256_set1_epi32(y_zp);
	size_t i = 0;
	for (; i + 8 <= count; i += 8) {
		__m256 ta = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(load8_u8(a + i), az)), am);
		__m256 tb = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(load8_u8(b + i), bz)), bm);
		requant8(y + i, _mm256_add_ps(ta, tb), lo, hi, yz);
	}
	qx_q8_scalar_add(a + i, a_zp, a_mul, b + i, b_zp, b_mul, count - i, y_zp, y_min, y_max, y + i);
}

void qx_q8_avx2_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                    float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y)
{
	__m256 m = _mm256_set1_ps(multiplier);
	__m256 lo = _mm256_set1_ps((float)(y_min - y_zp)), hi = _mm256_set1_ps((float)(y_max - y_zp));
	__m256i az = _mm256_set1_epi32(a_zp), bz = _mm256_set1_epi32(b_zp);
	__m256i yz = _mm256_set1_epi32(y_zp);
	size_t i = 0;
	for (; i + 8 <= count; i += 8) {
		__m256i p = _mm256_mullo_epi32(_mm256_sub_epi32(load8_u8(a + i), az),
		                               _mm256_sub_epi32(load8_u8(b + i), bz));
		requant8(y + i, _mm256_mul_ps(_mm256_cvtepi32_ps(p), m), lo, hi, yz);
	}
	qx_q8_scalar_mul(a + i, a_zp, b + i, b_zp, multiplier, count - i, y_zp, y_min, y_max, y + i);
}

static void maxpool_any(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                        int64_t pix_begin, int64_t pix_end)
{
	int64_t c = d->c, c32 = c & ~(int64_t)31;
	__m256i vmin = _mm256_set1_epi8((char)d->out_min), vmax = _mm256_set1_epi8((char)d->out_max);
	/* the output position, advanced pixel by pixel: three divisions per pixel cost more than
	 * a 2x2 window's loads and maxes */
	int64_t ox = pix_begin % d->ow, oy = pix_begin / d->ow % d->oh;
	int64_t n = pix_begin / (d->ow * d->oh);
	for (int64_t pix = pix_begin; pix < pix_end;
	     pix++, ox = ox + 1 < d->ow ? ox + 1 : (oy = oy + 1 < d->oh ? oy + 1 : (n++, 0), 0)) {
		uint8_t *out = y + pix * c;
		int64_t iy0 = oy * d->sh - d->pt, ix0 = ox * d->sw - d->pl;
		if (d->kh == 2 && d->kw == 2 && iy0 >= 0 && iy0 + d->dh < d->h && ix0 >= 0 &&
		    ix0 + d->dw < d->w) {
			/* a 2x2 window inside the image (the usual pool): four rows of c bytes, no
			 * bounds checks */
			const uint8_t *r0 = x + ((n * d->h + iy0) * d->w + ix0) * c;
			const uint8_t *r1 = r0 + d->dh * d->w * c;
			int64_t dx = d->dw * c;
			for (int64_t c0 = 0; c0 < c32; c0 += 32) {
				__m256i a = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(r0 + c0)),
				                            _mm256_loadu_si256((const __m256i *)(r0 + dx + c0)));
				__m256i b = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(r1 + c0)),
				                            _mm256_loadu_si256((const __m256i *)(r1 + dx + c0)));
				__m256i m = _mm256_max_epu8(_mm256_max_epu8(a, b), vmin);
				_mm256_storeu_si256((__m256i *)(out + c0), _mm256_min_epu8(m, vmax));
			}
			if (c32 == c)
				continue;
		}
		for (int64_t c0 = 0; c0 < c32; c0 += 32) {
			__m256i m = vmin; /* max(0, window) clamped below at out_min is max(out_min, window) */
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				if (iy < 0 || iy >= d->h)
					continue;
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = ox * d->sw - d->pl + (int64_t)kx * d->dw;
					if (ix < 0 || ix >= d->w)
						continue;
					const uint8_t *in = x + ((n * d->h + iy) * d->w + ix) * c + c0;
					m = _mm256_max_epu8(m, _mm256_loadu_si256((const __m256i *)in));
				}
			}
			_mm256_storeu_si256((__m256i *)(out + c0), _mm256_min_epu8(m, vmax));
		}
		if (c32 < c) { /* the last c % 32 channels: the scalar pool on a channel slice */
			for (int64_t ch = c32; ch < c; ch++) {
				uint8_t m = (uint8_t)d->out_min;
				for (int ky = 0; ky < d->kh; ky++) {
					int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
					if (iy < 0 || iy >= d->h)
						continue;
					for (int kx = 0; kx < d->kw; kx++) {
						int64_t ix = ox * d->sw - d->pl + (int64_t)kx * d->dw;
						if (ix < 0 || ix >= d->w)
							continue;
						uint8_t v = x[((n * d->h + iy) * d->w + ix) * c + ch];
						m = v > m ? v : m;
					}
				}
				out[ch] = m < d->out_max ? m : (uint8_t)d->out_max;
			}
		}
	}
}

/* Windows of at most this many taps go through maxpool_taps; larger ones (a GlobalMaxPool)
 * through maxpool_any. */
#define MAXPOOL_TAPS 64

/* max(m, every tap's bytes at channel ch), 32 / 16 / 8 channels at once. */
static inline __m256i taps_max32(const uint8_t *x, const int64_t *off, int n, int64_t ch, __m256i m)
{
	for (int t = 0; t < n; t++)
		m = _mm256_max_epu8(m, _mm256_loadu_si256((const __m256i *)(x + off[t] + ch)));
	return m;
}

static inline __m128i taps_max16(const uint8_t *x, const int64_t *off, int n, int64_t ch, __m128i m)
{
	for (int t = 0; t < n; t++)
		m = _mm_max_epu8(m, _mm_loadu_si128((const __m128i *)(x + off[t] + ch)));
	return m;
}

static inline __m128i taps_max8(const uint8_t *x, const int64_t *off, int n, int64_t ch, __m128i m)
{
	for (int t = 0; t < n; t++)
		m = _mm_max_epu8(m, _mm_loadl_epi64((const __m128i *)(x + off[t] + ch)));
	return m;
}

/* Max pooling by the window's taps inside the image, listed once per output pixel (bounds
 * checked once, not once per 32 channels), then every channel in vectors: the last c % 32
 * (or c % 16, c % 8) channels as one vector ending at channel c, which recomputes a few
 * channels already written, to the same values (a max is exact). googlenet's pools have 13,
 * 38, 51, 103 ... channels, which went channel by channel. */
void qx_q8_avx2_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                        int64_t pix_begin, int64_t pix_end)
{
	if ((int64_t)d->kh * d->kw > MAXPOOL_TAPS) {
		maxpool_any(d, x, y, pix_begin, pix_end);
		return;
	}
	int64_t c = d->c;
	__m256i vmin = _mm256_set1_epi8((char)d->out_min), vmax = _mm256_set1_epi8((char)d->out_max);
	__m128i hmin = _mm256_castsi256_si128(vmin), hmax = _mm256_castsi256_si128(vmax);
	int64_t off[MAXPOOL_TAPS];
	/* every window of a row inside the image horizontally (no left padding, the last one
	 * ends inside): such rows go pointer by pointer */
	const int row2x2 = d->kh == 2 && d->kw == 2 && c >= 32 && d->pl == 0 &&
	                   (d->ow - 1) * d->sw + d->dw < d->w;
	int64_t ox = pix_begin % d->ow, oy = pix_begin / d->ow % d->oh;
	int64_t n = pix_begin / (d->ow * d->oh);
	for (int64_t pix = pix_begin; pix < pix_end;
	     pix++, ox = ox + 1 < d->ow ? ox + 1 : (oy = oy + 1 < d->oh ? oy + 1 : (n++, 0), 0)) {
		uint8_t *out = y + pix * c;
		int64_t iy0 = oy * d->sh - d->pt, ix0 = ox * d->sw - d->pl;
		if (row2x2 && ox == 0 && pix + d->ow <= pix_end && iy0 >= 0 && iy0 + d->dh < d->h) {
			/* a whole output row of 2x2 windows inside the image: pointers step by sw * c */
			const uint8_t *r0 = x + (n * d->h + iy0) * d->w * c, *r1 = r0 + d->dh * d->w * c;
			int64_t dx = d->dw * c, step = d->sw * c;
			for (int64_t i = 0; i < d->ow; i++, r0 += step, r1 += step, out += c)
				for (int64_t ch = 0; ch < c; ch += 32) {
					int64_t at = ch + 32 <= c ? ch : c - 32;
					__m256i a = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(r0 + at)),
					                            _mm256_loadu_si256((const __m256i *)(r0 + dx + at)));
					__m256i b = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(r1 + at)),
					                            _mm256_loadu_si256((const __m256i *)(r1 + dx + at)));
					__m256i m = _mm256_max_epu8(_mm256_max_epu8(a, b), vmin);
					_mm256_storeu_si256((__m256i *)(out + at), _mm256_min_epu8(m, vmax));
				}
			pix += d->ow - 1;
			ox = d->ow - 1;
			continue;
		}
		if (d->kh == 2 && d->kw == 2 && c >= 32 && iy0 >= 0 && iy0 + d->dh < d->h &&
		    ix0 >= 0 && ix0 + d->dw < d->w) {
			/* a 2x2 window inside the image (the usual pool): four rows of c bytes, no
			 * tap list (the reference model's pools: 32 and 64 channels) */
			const uint8_t *r0 = x + ((n * d->h + iy0) * d->w + ix0) * c;
			const uint8_t *r1 = r0 + d->dh * d->w * c;
			int64_t dx = d->dw * c;
			for (int64_t ch = 0; ch < c; ch += 32) {
				int64_t at = ch + 32 <= c ? ch : c - 32;
				__m256i a = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(r0 + at)),
				                            _mm256_loadu_si256((const __m256i *)(r0 + dx + at)));
				__m256i b = _mm256_max_epu8(_mm256_loadu_si256((const __m256i *)(r1 + at)),
				                            _mm256_loadu_si256((const __m256i *)(r1 + dx + at)));
				__m256i m = _mm256_max_epu8(_mm256_max_epu8(a, b), vmin);
				_mm256_storeu_si256((__m256i *)(out + at), _mm256_min_epu8(m, vmax));
			}
			continue;
		}
		int taps = 0;
		for (int ky = 0; ky < d->kh; ky++) {
			int64_t iy = iy0 + (int64_t)ky * d->dh;
			if (iy < 0 || iy >= d->h)
				continue;
			for (int kx = 0; kx < d->kw; kx++) {
				int64_t ix = ix0 + (int64_t)kx * d->dw;
				if (ix >= 0 && ix < d->w)
					off[taps++] = ((n * d->h + iy) * d->w + ix) * c;
			}
		}
		/* no tap (a window all in the padding): out_min, clamped by out_max, as scalar */
		if (c >= 32) {
			int64_t ch = 0;
			for (; ch + 32 <= c; ch += 32)
				_mm256_storeu_si256((__m256i *)(out + ch),
				                    _mm256_min_epu8(taps_max32(x, off, taps, ch, vmin), vmax));
			if (ch < c)
				_mm256_storeu_si256((__m256i *)(out + c - 32),
				                    _mm256_min_epu8(taps_max32(x, off, taps, c - 32, vmin), vmax));
		} else if (c >= 16) {
			_mm_storeu_si128((__m128i *)out, _mm_min_epu8(taps_max16(x, off, taps, 0, hmin), hmax));
			_mm_storeu_si128((__m128i *)(out + c - 16),
			                 _mm_min_epu8(taps_max16(x, off, taps, c - 16, hmin), hmax));
		} else if (c >= 8) {
			_mm_storel_epi64((__m128i *)out, _mm_min_epu8(taps_max8(x, off, taps, 0, hmin), hmax));
			_mm_storel_epi64((__m128i *)(out + c - 8),
			                 _mm_min_epu8(taps_max8(x, off, taps, c - 8, hmin), hmax));
		} else {
			for (int64_t ch = 0; ch < c; ch++) {
				uint8_t m = (uint8_t)d->out_min;
				for (int t = 0; t < taps; t++)
					m = x[off[t] + ch] > m ? x[off[t] + ch] : m;
				out[ch] = m < d->out_max ? m : (uint8_t)d->out_max;
			}
		}
	}
}

/* Average pooling, 8 channels at a time: int32 sums (wrapping, like the scalar uint32 ones),
 * then the scalar formula per lane: t = (float)(sum - valid * in_zp) * (multiplier / cnt),
 * maxps(t, lo), minps(t, hi) (a NaN t, cnt = 0, gives lo), cvtps2dq, + out_zp. The last
 * c % 8 channels go through the scalar per-value requantization. */
/* An average pool's 8 output bytes from their int32 window sums (avgpool's formula). */
static inline void avg_store8(uint8_t *dst, __m256i sum, __m256i zp_total, __m256 m, __m256 lo,
                              __m256 hi, __m256i zp)
{
	__m256 t = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sum, zp_total)), m);
	t = _mm256_min_ps(_mm256_max_ps(t, lo), hi);
	store8_u8(dst, _mm256_add_epi32(_mm256_cvtps_epi32(t), zp));
}

void qx_q8_avx2_avgpool(const struct qx_q8_conv_desc *d, int count_include_pad, float multiplier,
                        const uint8_t *x, uint8_t *y, int64_t pix_begin, int64_t pix_end)
{
	int64_t c = d->c, c8 = c & ~(int64_t)7, c32 = c & ~(int64_t)31;
	float lo = (float)(d->out_min - d->out_zp), hi = (float)(d->out_max - d->out_zp);
	__m256 vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
	__m256i vzp = _mm256_set1_epi32(d->out_zp);
	int64_t ox = pix_begin % d->ow, oy = pix_begin / d->ow % d->oh;
	int64_t n = pix_begin / (d->ow * d->oh);
	for (int64_t pix = pix_begin; pix < pix_end;
	     pix++, ox = ox + 1 < d->ow ? ox + 1 : (oy = oy + 1 < d->oh ? oy + 1 : (n++, 0), 0)) {
		/* the window's rows and columns inside the image */
		int64_t iy0 = oy * d->sh - d->pt, ix0 = ox * d->sw - d->pl;
		int ky0 = 0, ky1 = d->kh, kx0 = 0, kx1 = d->kw;
		while (ky0 < ky1 && iy0 + (int64_t)ky0 * d->dh < 0)
			ky0++;
		while (ky1 > ky0 && iy0 + (int64_t)(ky1 - 1) * d->dh >= d->h)
			ky1--;
		while (kx0 < kx1 && ix0 + (int64_t)kx0 * d->dw < 0)
			kx0++;
		while (kx1 > kx0 && ix0 + (int64_t)(kx1 - 1) * d->dw >= d->w)
			kx1--;
		int64_t valid = (int64_t)(ky1 - ky0) * (kx1 - kx0);
		int64_t cnt = count_include_pad ? (int64_t)d->kh * d->kw : valid;
		float m = multiplier / (float)cnt;
		uint32_t zp_total = (uint32_t)valid * (uint32_t)d->in_zp;
		__m256 vm = _mm256_set1_ps(m);
		__m256i vzt = _mm256_set1_epi32((int32_t)zp_total);
		const uint8_t *img = x + n * d->h * d->w * c;
		uint8_t *out = y + pix * c;
		/* 32 channels at a time in four independent sums: one sum's chain of adds over a
		 * GlobalAveragePool's 49 positions was the loop's whole cost (integer sums: any
		 * order gives the same bits) */
		int64_t c0 = 0;
		for (; c0 < c32; c0 += 32) {
			__m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
			for (int ky = ky0; ky < ky1; ky++) {
				const uint8_t *row = img + ((iy0 + (int64_t)ky * d->dh) * d->w + ix0) * c + c0;
				for (int kx = kx0; kx < kx1; kx++) {
					const uint8_t *p = row + (int64_t)kx * d->dw * c;
					s0 = _mm256_add_epi32(s0, load8_u8(p));
					s1 = _mm256_add_epi32(s1, load8_u8(p + 8));
					s2 = _mm256_add_epi32(s2, load8_u8(p + 16));
					s3 = _mm256_add_epi32(s3, load8_u8(p + 24));
				}
			}
			avg_store8(out + c0, s0, vzt, vm, vlo, vhi, vzp);
			avg_store8(out + c0 + 8, s1, vzt, vm, vlo, vhi, vzp);
			avg_store8(out + c0 + 16, s2, vzt, vm, vlo, vhi, vzp);
			avg_store8(out + c0 + 24, s3, vzt, vm, vlo, vhi, vzp);
		}
		for (; c0 < c8; c0 += 8) {
			__m256i sum = _mm256_setzero_si256();
			for (int ky = ky0; ky < ky1; ky++) {
				const uint8_t *row = img + ((iy0 + (int64_t)ky * d->dh) * d->w + ix0) * c + c0;
				for (int kx = kx0; kx < kx1; kx++)
					sum = _mm256_add_epi32(sum, load8_u8(row + (int64_t)kx * d->dw * c));
			}
			avg_store8(out + c0, sum, vzt, vm, vlo, vhi, vzp);
		}
		for (int64_t ch = c8; ch < c; ch++) {
			uint32_t sum = 0;
			for (int ky = ky0; ky < ky1; ky++) {
				const uint8_t *row = img + ((iy0 + (int64_t)ky * d->dh) * d->w + ix0) * c + ch;
				for (int kx = kx0; kx < kx1; kx++)
					sum += row[(int64_t)kx * d->dw * c];
			}
			out[ch] = qx_q8_requant1(qx_q8_wrap(sum - zp_total), m, lo, hi, d->out_zp);
		}
	}
}
