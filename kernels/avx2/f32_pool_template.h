/* fp32 max and average pooling over NCHW, written once for the x86 SIMD sets: the including
 * file includes its ISA header first. Output pixels of one row run across the lanes; each
 * window tap is one (masked) vector load, or a gather when the stride is not 1.
 *
 * Both give the scalar reference's results bit for bit: max is exact and keeps the scalar NaN
 * rule (f32v_max_nan); the average adds the taps in the scalar order (ky, then kx), adding
 * +0.0 for the taps outside the input, which leaves a sum that started at +0.0 unchanged, and
 * divides by the same count. */
#include <math.h>

#include "kernels_f32.h"

/* Taps of window row ky / column kx of output pixel ox, or row oy, that fall in [lo, hi). */
static inline int64_t pool_taps(int64_t o, int64_t s, int64_t pad, int64_t dil, int64_t k,
                                int64_t lo, int64_t hi)
{
	int64_t count = 0;
	for (int64_t t = 0; t < k; t++) {
		int64_t i = o * s - pad + t * dil;
		count += i >= lo && i < hi;
	}
	return count;
}

/* One tap of the window for output pixels [ox0, ox0 + nl) of row iy: lanes whose input column
 * lies outside the row read fill. Divisions only at the row's ends. */
static inline f32v pool_tap(const struct qx_f32_conv_desc *d, const float *x, int64_t xsize,
                            int64_t row_e, int64_t ox0, int64_t nl, int64_t kx, f32v fill)
{
	int64_t ix0 = ox0 * d->sw - d->pl + kx * d->dw;
	int64_t lo = 0, hi = nl;
	if (ix0 < 0)
		lo = (-ix0 + d->sw - 1) / d->sw;
	if (ix0 + (nl - 1) * d->sw >= d->w)
		hi = d->w - ix0 <= 0 ? 0 : (d->w - ix0 + d->sw - 1) / d->sw;
	if (d->sw == 1) {
		if (lo == 0 && hi >= F32_VL)
			return f32v_loadu(x + row_e + ix0);
		return f32v_load_lanes(fill, x, xsize, row_e + ix0, lo, hi);
	}
	return f32v_gather_lanes(fill, x, xsize, row_e + ix0, d->sw, lo, hi);
}

void F32_FN(maxpool)(const struct qx_f32_conv_desc *d, const float *x, float *y,
                     int64_t row_begin, int64_t row_end)
{
	int64_t xsize = d->n * d->c * d->h * d->w;
	f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max), ninf = f32v_set1(-INFINITY);
	for (int64_t r = row_begin; r < row_end; r++) {
		int64_t oy = r % d->oh, plane = r / d->oh;
		for (int64_t ox0 = 0; ox0 < d->ow; ox0 += F32_VL) {
			int64_t nl = d->ow - ox0 < F32_VL ? d->ow - ox0 : F32_VL;
			f32v m = ninf;
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				if (iy < 0 || iy >= d->h)
					continue;
				int64_t row_e = (plane * d->h + iy) * d->w;
				for (int kx = 0; kx < d->kw; kx++)
					m = f32v_max_nan(m, pool_tap(d, x, xsize, row_e, ox0, nl, kx, ninf));
			}
			f32v_store_first(y + r * d->ow + ox0, f32v_clamp(m, lo, hi), nl);
		}
	}
}

/* Window counts follow the scalar reference (PyTorch): with count_include_pad the window is
 * clipped to the padded input, without it to the input itself. */
void F32_FN(avgpool)(const struct qx_f32_conv_desc *d, int count_include_pad, const float *x,
                     float *y, int64_t row_begin, int64_t row_end)
{
	int64_t xsize = d->n * d->c * d->h * d->w;
	f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	int64_t ylo = count_include_pad ? -d->pt : 0, yhi = count_include_pad ? d->h + d->pb : d->h;
	int64_t xlo = count_include_pad ? -d->pl : 0, xhi = count_include_pad ? d->w + d->pr : d->w;
	for (int64_t r = row_begin; r < row_end; r++) {
		int64_t oy = r % d->oh, plane = r / d->oh;
		int64_t cy = pool_taps(oy, d->sh, d->pt, d->dh, d->kh, ylo, yhi);
		for (int64_t ox0 = 0; ox0 < d->ow; ox0 += F32_VL) {
			int64_t nl = d->ow - ox0 < F32_VL ? d->ow - ox0 : F32_VL;
			f32v sum = f32v_zero();
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				if (iy < 0 || iy >= d->h)
					continue;
				int64_t row_e = (plane * d->h + iy) * d->w;
				for (int kx = 0; kx < d->kw; kx++)
					sum = f32v_add(sum, pool_tap(d, x, xsize, row_e, ox0, nl, kx, f32v_zero()));
			}
			/* count 0 only where no tap is inside, so the sum is 0: divide it by 1 */
			float count[F32_VL];
			for (int64_t l = 0; l < F32_VL; l++) {
				int64_t c = l < nl ? cy * pool_taps(ox0 + l, d->sw, d->pl, d->dw, d->kw, xlo, xhi) : 1;
				count[l] = c ? (float)c : 1.0f;
			}
			f32v v = f32v_div(sum, f32v_loadu(count));
			f32v_store_first(y + r * d->ow + ox0, f32v_clamp(v, lo, hi), nl);
		}
	}
}
