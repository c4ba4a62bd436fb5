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

void F32_FN(maxpool)(const struct qx_f32_conv_desc *d, const float *x, float *y,
                     int64_t row_begin, int64_t row_end)
{
	int64_t xsize = d->n * d->c * d->h * d->w;
	f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	if (row_begin >= row_end || d->oh <= 0)
		return;
	struct pool_col cols[F32_POOL_COLS_MAX];
	int prepared = pool_cols_make(d, cols);
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
