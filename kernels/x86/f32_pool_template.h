/* fp32 max and average pooling over NCHW, written once for the x86 SIMD sets: the including
 * file includes its ops header first. Output pixels of one row run across the lanes; each
 * window tap is one (masked) vector load at stride 1, two loads and a shuffle at stride 2, a
 * gather otherwise, with the lane bounds of each window column worked out once per call.
 *
 * Both give the scalar reference's results bit for bit: max is exact and keeps the scalar NaN
 * rule (f32v_max_nan); the average adds the taps in the scalar order (ky, then kx), adding
 * +0.0 for the taps outside the input, which leaves a sum that started at +0.0 unchanged, and
 * divides by the same count. */
#include <math.h>

#include "kernels_f32.h"

/* Along one axis: how many of the k taps of output o's window (stride s, padding pad, dilation
 * dil) fall at input indices in [lo, hi). */
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

/* Window column kx for the output pixels [ox0, ox0 + nl) of a row: where its taps start and
 * which lanes fall inside the input row, the same for every window row. */
struct pool_col {
	int64_t ix0, lo, hi;
	struct f32_lanes2 l2;  /* stride 2 */
};

static inline void pool_col_make(const struct qx_f32_conv_desc *d, int64_t ox0, int64_t nl,
                                 int64_t kx, struct pool_col *c)
{
	int64_t ix0 = ox0 * d->sw - d->pl + kx * d->dw;
	int64_t lo = 0, hi = nl; /* divisions only at the row's ends */
	if (ix0 < 0)
		lo = (-ix0 + d->sw - 1) / d->sw;
	if (ix0 + (nl - 1) * d->sw >= d->w)
		hi = d->w - ix0 <= 0 ? 0 : (d->w - ix0 + d->sw - 1) / d->sw;
	c->ix0 = ix0, c->lo = lo, c->hi = hi;
	if (d->sw == 2)
		c->l2 = f32_lanes2_make(lo, hi);
}

/* The taps of column c in the input row starting at x[row_e]; lanes outside read fill. */
static inline f32v pool_col_load(const struct qx_f32_conv_desc *d, const float *x, int64_t xsize,
                                 int64_t row_e, const struct pool_col *c, f32v fill)
{
	if (d->sw == 1) {
		if (c->lo == 0 && c->hi >= F32_VL)
			return f32v_loadu(x + row_e + c->ix0);
		return f32v_load_lanes(fill, x, xsize, row_e + c->ix0, c->lo, c->hi);
	}
	if (d->sw == 2)
		return f32v_load2(fill, x, xsize, row_e + c->ix0, &c->l2);
	return f32v_gather_lanes(fill, x, xsize, row_e + c->ix0, d->sw, c->lo, c->hi);
}

#define F32_POOL_COLS_MAX 64   /* window columns of a whole output row prepared once per call */

/* Columns of every window of an output row, the same for every row: cols[v * kw + kx] for the
 * v-th vector of the row. Returns 0 when the row needs more than F32_POOL_COLS_MAX. */
static int pool_cols_make(const struct qx_f32_conv_desc *d, struct pool_col *cols)
{
	int64_t nvec = (d->ow + F32_VL - 1) / F32_VL;
	if (nvec * d->kw > F32_POOL_COLS_MAX)
		return 0;
	for (int64_t v = 0; v < nvec; v++) {
		int64_t ox0 = v * F32_VL, nl = d->ow - ox0 < F32_VL ? d->ow - ox0 : F32_VL;
		for (int kx = 0; kx < d->kw; kx++)
			pool_col_make(d, ox0, nl, kx, &cols[v * d->kw + kx]);
	}
	return 1;
}

/* Max or sum over the windows of output pixels [ox0, ox0 + nl) of row oy of plane; cols are
 * their columns, or NULL to work them out here. */
static inline f32v pool_window(const struct qx_f32_conv_desc *d, const float *x, int64_t xsize,
                               int64_t plane, int64_t oy, int64_t ox0, int64_t nl,
                               const struct pool_col *cols, int is_max)
{
	f32v fill = is_max ? f32v_set1(-INFINITY) : f32v_zero(), acc = fill;
	for (int ky = 0; ky < d->kh; ky++) {
		int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
		if (iy < 0 || iy >= d->h)
			continue;
		int64_t row_e = (plane * d->h + iy) * d->w;
		for (int kx = 0; kx < d->kw; kx++) {
			struct pool_col one;
			if (!cols)
				pool_col_make(d, ox0, nl, kx, &one);
			f32v v = pool_col_load(d, x, xsize, row_e, cols ? &cols[kx] : &one, fill);
			acc = is_max ? f32v_max_nan(acc, v) : f32v_add(acc, v);
		}
	}
	return acc;
}

/* Max pooling in two passes: each input row's max over the window columns (kw taps per output
 * vector, once per input row), then each output row's max over the kh rows of those. Per
 * output row that is about kh * sh taps of the first pass and kh cheap loads instead of
 * kh * kw taps (3x3 stride 2: 6 + 3 instead of 9), and the chains of dependent max operations
 * are kw and kh long instead of kh * kw. The same bits as pool_window: max_nan keeps the
 * first of equal values and the last NaN, so the row-wise maxima, combined in row order, pick
 * the value the row-major scan picks (the first largest of the first row holding it; the last
 * NaN of the last row with one). */
#ifndef F32_POOLSEP_FLOATS
#define F32_POOLSEP_FLOATS 4096 /* floats of stack for the first pass's rows */
#endif

/* Output rows of one plane that one fill of the row buffer covers (0: not one). */
static int64_t maxpool_sep_rows(const struct qx_f32_conv_desc *d)
{
	int64_t ld = (d->ow + F32_VL - 1) / F32_VL * F32_VL, cap = F32_POOLSEP_FLOATS / ld;
	int64_t ext = (int64_t)(d->kh - 1) * d->dh + 1;
	return cap < ext ? 0 : (cap - ext) / d->sh + 1;
}

/* Rows [row_begin, row_end) of n * c * oh; cols as pool_cols_make's. */
static void maxpool_sep(const struct qx_f32_conv_desc *d, const float *x, float *y,
                        int64_t row_begin, int64_t row_end, const struct pool_col *cols,
                        int64_t chunk)
{
	_Alignas(64) float hb[F32_POOLSEP_FLOATS];
	const int64_t xsize = d->n * d->c * d->h * d->w;
	const int64_t nvec = (d->ow + F32_VL - 1) / F32_VL, ld = nvec * F32_VL;
	const f32v ninf = f32v_set1(-INFINITY);
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	for (int64_t r = row_begin; r < row_end;) {
		int64_t plane = r / d->oh, a = r % d->oh;
		int64_t b = row_end - plane * d->oh < d->oh ? row_end - plane * d->oh : d->oh;
		if (b - a > chunk)
			b = a + chunk;
		/* the input rows output rows [a, b) read, inside the input */
		int64_t i0 = a * d->sh - d->pt, i1 = (b - 1) * d->sh - d->pt + (int64_t)(d->kh - 1) * d->dh + 1;
		if (i0 < 0)
			i0 = 0;
		if (i1 > d->h)
			i1 = d->h;
		for (int64_t iy = i0; iy < i1; iy++) {
			int64_t row_e = (plane * d->h + iy) * d->w;
			for (int64_t v = 0; v < nvec; v++) {
				f32v m = ninf;
				for (int kx = 0; kx < d->kw; kx++)
					m = f32v_max_nan(m, pool_col_load(d, x, xsize, row_e, &cols[v * d->kw + kx],
					                                  ninf));
				f32v_storeu(hb + (iy - i0) * ld + v * F32_VL, m);
			}
		}
		for (int64_t oy = a; oy < b; oy++) {
			float *out = y + (plane * d->oh + oy) * d->ow;
			for (int64_t v = 0; v < nvec; v++) {
				f32v m = ninf;
				for (int ky = 0; ky < d->kh; ky++) {
					int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
					if (iy >= 0 && iy < d->h)
						m = f32v_max_nan(m, f32v_loadu(hb + (iy - i0) * ld + v * F32_VL));
				}
				int64_t nl = d->ow - v * F32_VL < F32_VL ? d->ow - v * F32_VL : F32_VL;
				f32v_store_first(out + v * F32_VL, f32v_clamp(m, lo, hi), nl);
			}
		}
		r = plane * d->oh + b;
	}
}

static void maxpool_rows(const struct qx_f32_conv_desc *d, const float *x, float *y,
                         int64_t row_begin, int64_t row_end)
{
	int64_t xsize = d->n * d->c * d->h * d->w;
	f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	if (row_begin >= row_end || d->oh <= 0)
		return;
	struct pool_col cols[F32_POOL_COLS_MAX];
	int prepared = pool_cols_make(d, cols);
	int64_t chunk = prepared && d->kh > 1 ? maxpool_sep_rows(d) : 0;
	if (chunk > 0) {
		maxpool_sep(d, x, y, row_begin, row_end, cols, chunk);
		return;
	}
	int64_t plane = row_begin / d->oh, oy = row_begin % d->oh; /* row r = plane * oh + oy */
	for (int64_t r = row_begin; r < row_end; r++) {
		for (int64_t ox0 = 0; ox0 < d->ow; ox0 += F32_VL) {
			int64_t nl = d->ow - ox0 < F32_VL ? d->ow - ox0 : F32_VL;
			const struct pool_col *c = prepared ? cols + ox0 / F32_VL * d->kw : NULL;
			f32v m = pool_window(d, x, xsize, plane, oy, ox0, nl, c, 1);
			f32v_store_first(y + r * d->ow + ox0, f32v_clamp(m, lo, hi), nl);
		}
		if (++oy == d->oh) {
			oy = 0;
			plane++;
		}
	}
}

/* Max pooling of small images with the planes across the lanes (as the channels-last depthwise
 * convolution, f32_dwconv_template.h): F32_VL consecutive planes (any image, pools have no
 * weights) are transposed into a buffer padded with -inf, [hp][wp][F32_VL], every window is then
 * kh * kw whole-vector f32v_max_nan in the scalar order (a -inf tap never changes the max, as a
 * skipped one), and the result is transposed back: the same bits as maxpool_rows, whose rows
 * of a 13-wide image filled 13 of 16 lanes and paid a shuffle per stride-2 tap. */
#ifndef F32_POOLCL_FLOATS
#define F32_POOLCL_FLOATS 8192 /* floats per buffer (32 KiB): the padded input, the output */
#endif

/* The padded extent every window fits (ceil mode's last window may reach past the padding). */
static int poolcl_fits(const struct qx_f32_conv_desc *d, int64_t *hp, int64_t *wp)
{
	if (d->oh <= 0 || d->ow <= 0 || d->h <= 0 || d->w <= 0)
		return 0;
	*hp = (d->oh - 1) * d->sh + (int64_t)(d->kh - 1) * d->dh + 1;
	*wp = (d->ow - 1) * d->sw + (int64_t)(d->kw - 1) * d->dw + 1;
	if (*hp < d->h + d->pt)
		*hp = d->h + d->pt;
	if (*wp < d->w + d->pl)
		*wp = d->w + d->pl;
	return *hp * *wp <= F32_POOLCL_FLOATS / F32_VL && d->oh * d->ow <= F32_POOLCL_FLOATS / F32_VL;
}

/* Planes [p0, p0 + np) (np <= F32_VL), every output row. */
static void maxpool_cl_block(const struct qx_f32_conv_desc *d, int64_t hp, int64_t wp,
                             const float *x, float *y, int64_t p0, int64_t np)
{
	_Alignas(64) float in[F32_POOLCL_FLOATS];
	_Alignas(64) float out[F32_POOLCL_FLOATS];
	const int64_t hw = d->h * d->w, ohw = d->oh * d->ow;
	const f32v ninf = f32v_set1(-INFINITY);
	for (int64_t i = 0; i < hp * wp; i++)
		f32v_storeu(in + i * F32_VL, ninf);
	const float *xb = x + p0 * hw;
	int64_t iy = 0, ix = 0;
	for (int64_t q0 = 0; q0 < hw; q0 += F32_VL) {
		int64_t nq = hw - q0 < F32_VL ? hw - q0 : F32_VL;
		f32v r[F32_VL];
		for (int c = 0; c < F32_VL; c++)
			r[c] = c < np ? f32v_load_first(xb + c * hw + q0, nq) : ninf;
		f32v_transpose(r);
		for (int64_t j = 0; j < nq; j++) {
			f32v_storeu(in + ((iy + d->pt) * wp + ix + d->pl) * F32_VL, r[j]);
			if (++ix == d->w)
				ix = 0, iy++;
		}
	}
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	for (int64_t oy = 0; oy < d->oh; oy++)
		for (int64_t ox = 0; ox < d->ow; ox++) {
			const float *win = in + (oy * d->sh * wp + ox * d->sw) * F32_VL;
			f32v m = ninf;
			for (int ky = 0; ky < d->kh; ky++)
				for (int kx = 0; kx < d->kw; kx++)
					m = f32v_max_nan(m, f32v_loadu(win + ((int64_t)ky * d->dh * wp +
					                                      (int64_t)kx * d->dw) * F32_VL));
			f32v_storeu(out + (oy * d->ow + ox) * F32_VL, f32v_clamp(m, lo, hi));
		}
	float *yb = y + p0 * ohw;
	for (int64_t j0 = 0; j0 < ohw; j0 += F32_VL) {
		int64_t n = ohw - j0 < F32_VL ? ohw - j0 : F32_VL;
		f32v r[F32_VL];
		for (int j = 0; j < F32_VL; j++)
			r[j] = j < n ? f32v_loadu(out + (j0 + j) * F32_VL) : ninf;
		f32v_transpose(r);
		for (int64_t c = 0; c < np; c++)
			f32v_store_first(yb + c * ohw + j0, r[c], n);
	}
}

/* 2x2 windows at stride 2 that tile the input exactly (h == 2 oh, w == 2 ow, no padding or
 * dilation: the default model's pools, VGG's and most others'). Then output row R of n * c * oh
 * reads input rows 2R and 2R + 1 of the whole tensor, whatever its plane, so a run of output
 * rows reads one contiguous run of input: the horizontal pass takes max_nan(x[2i], x[2i + 1])
 * over it with two plain loads and a deinterleave per vector of results, into a buffer of two
 * rows per output row, and the vertical pass takes each pair of those rows. The same bits as
 * maxpool_sep (row-wise maxima first, combined in row order; its -inf start never changes a
 * max_nan), at full vectors where maxpool_sep used 14 of 16 lanes at 28x28 and maxpool_cl_block
 * transposed 14x14 planes twice. */
#ifndef F32_POOL2_FLOATS
#define F32_POOL2_FLOATS 2048 /* floats of stack for the horizontal pass's rows (8 KiB) */
#endif

static int maxpool_2x2_exact(const struct qx_f32_conv_desc *d)
{
	return d->kh == 2 && d->kw == 2 && d->sh == 2 && d->sw == 2 && d->dh == 1 && d->dw == 1 &&
	       d->pt == 0 && d->pl == 0 && d->pb == 0 && d->pr == 0 && d->h == 2 * d->oh &&
	       d->w == 2 * d->ow && d->ow > 0 && 2 * d->ow <= F32_POOL2_FLOATS;
}

static void maxpool_2x2(const struct qx_f32_conv_desc *d, const float *x, float *y,
                        int64_t row_begin, int64_t row_end)
{
	_Alignas(64) float hb[F32_POOL2_FLOATS];
	const int64_t ow = d->ow, chunk = F32_POOL2_FLOATS / (2 * ow);
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	for (int64_t r0 = row_begin; r0 < row_end; r0 += chunk) {
		int64_t nr = row_end - r0 < chunk ? row_end - r0 : chunk;
		/* horizontal: hb[i] = max_nan(xr[2 i], xr[2 i + 1]) for the 2 nr rows' 2 nr ow pairs */
		const float *xr = x + 2 * r0 * d->w;
		int64_t nh = 2 * nr * ow, i = 0;
		for (; i + F32_VL <= nh; i += F32_VL) {
			f32v even, odd;
			f32v_deinterleave(f32v_loadu(xr + 2 * i), f32v_loadu(xr + 2 * i + F32_VL), &even,
			                  &odd);
			f32v_storeu(hb + i, f32v_max_nan(even, odd));
		}
		if (i < nh) {
			int64_t n2 = 2 * (nh - i);
			f32v even, odd;
			f32v a = f32v_load_first(xr + 2 * i, n2 < F32_VL ? n2 : F32_VL);
			f32v b = n2 > F32_VL ? f32v_load_first(xr + 2 * i + F32_VL, n2 - F32_VL) : f32v_zero();
			f32v_deinterleave(a, b, &even, &odd);
			f32v_store_first(hb + i, f32v_max_nan(even, odd), nh - i);
		}
		/* vertical: output row r0 + k is max_nan(row 2k, row 2k + 1) of hb, then the clamp */
		for (int64_t k = 0; k < nr; k++) {
			const float *h0 = hb + 2 * k * ow, *h1 = h0 + ow;
			float *out = y + (r0 + k) * ow;
			int64_t ox = 0;
			for (; ox + F32_VL <= ow; ox += F32_VL)
				f32v_storeu(out + ox, f32v_clamp(f32v_max_nan(f32v_loadu(h0 + ox),
				                                              f32v_loadu(h1 + ox)), lo, hi));
			if (ox < ow) {
				f32v m = f32v_max_nan(f32v_load_first(h0 + ox, ow - ox),
				                      f32v_load_first(h1 + ox, ow - ox));
				f32v_store_first(out + ox, f32v_clamp(m, lo, hi), ow - ox);
			}
		}
	}
}

void F32_FN(maxpool)(const struct qx_f32_conv_desc *d, const float *x, float *y,
                     int64_t row_begin, int64_t row_end)
{
	int64_t hp, wp;
	if (maxpool_2x2_exact(d)) {
		maxpool_2x2(d, x, y, row_begin, row_end);
		return;
	}
	if (row_begin >= row_end || !poolcl_fits(d, &hp, &wp)) {
		maxpool_rows(d, x, y, row_begin, row_end);
		return;
	}
	int64_t r = row_begin;
	while (r < row_end) {
		int64_t plane = r / d->oh, plane_end = (plane + 1) * d->oh;
		if (r % d->oh != 0 || plane_end > row_end) { /* part of a plane: row by row */
			int64_t e = plane_end < row_end ? plane_end : row_end;
			maxpool_rows(d, x, y, r, e);
			r = e;
			continue;
		}
		int64_t np = (row_end - r) / d->oh;
		if (np > F32_VL)
			np = F32_VL;
		maxpool_cl_block(d, hp, wp, x, y, plane, np);
		r += np * d->oh;
	}
}

#define F32_POOL_OW_MAX 1024   /* widest output row whose column counts are kept */

/* Window counts follow the scalar reference (PyTorch): with count_include_pad the window is
 * clipped to the padded input, without it to the input itself. A window's count is the product
 * of its row and column counts; the column counts are the same for every row, so they are
 * worked out once per call when the row is not too wide. */
void F32_FN(avgpool)(const struct qx_f32_conv_desc *d, int count_include_pad, const float *x,
                     float *y, int64_t row_begin, int64_t row_end)
{
	int64_t xsize = d->n * d->c * d->h * d->w;
	f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	int64_t ylo = count_include_pad ? -d->pt : 0, yhi = count_include_pad ? d->h + d->pb : d->h;
	int64_t xlo = count_include_pad ? -d->pl : 0, xhi = count_include_pad ? d->w + d->pr : d->w;
	if (row_begin >= row_end || d->oh <= 0)
		return;
	struct pool_col cols[F32_POOL_COLS_MAX];
	int prepared = pool_cols_make(d, cols);
	float cx_kept[F32_POOL_OW_MAX + F32_VL];
	int keep = d->ow <= F32_POOL_OW_MAX;
	if (keep)
		for (int64_t ox = 0; ox < d->ow; ox++)
			cx_kept[ox] = (float)pool_taps(ox, d->sw, d->pl, d->dw, d->kw, xlo, xhi);
	int64_t plane = row_begin / d->oh, oy = row_begin % d->oh; /* row r = plane * oh + oy */
	for (int64_t r = row_begin; r < row_end; r++) {
		float cy = (float)pool_taps(oy, d->sh, d->pt, d->dh, d->kh, ylo, yhi);
		for (int64_t ox0 = 0; ox0 < d->ow; ox0 += F32_VL) {
			int64_t nl = d->ow - ox0 < F32_VL ? d->ow - ox0 : F32_VL;
			const struct pool_col *c = prepared ? cols + ox0 / F32_VL * d->kw : NULL;
			f32v sum = pool_window(d, x, xsize, plane, oy, ox0, nl, c, 0);
			/* counts are small integers, exact in float, as scalar's (float)count; a count of
			 * 0 means no tap inside, so the sum is 0: divide it by 1 */
			float count[F32_VL];
			for (int64_t l = 0; l < F32_VL; l++) {
				if (l >= nl) {
					count[l] = 1.0f;
					continue;
				}
				float cx = keep ? cx_kept[ox0 + l] :
				                  (float)pool_taps(ox0 + l, d->sw, d->pl, d->dw, d->kw, xlo,
				                                   xhi);
				count[l] = cy * cx != 0.0f ? cy * cx : 1.0f;
			}
			f32v v = f32v_div(sum, f32v_loadu(count));
			f32v_store_first(y + r * d->ow + ox0, f32v_clamp(v, lo, hi), nl);
		}
		if (++oy == d->oh) {
			oy = 0;
			plane++;
		}
	}
}
