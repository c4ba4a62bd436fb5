/* fp32 2-D convolution, scalar reference: im2col of a tile of output pixels, then the 4x8
 * register-blocked GEMM (f32_gemm.c) of packed weights against it.
 *
 * Per group: y[oc_g][pixels] = W[oc_g][K] x col[K][pixels], K = c_g * kh * kw. Weights are
 * packed per group into blocks of 4 output channels, [K][4] each (zero rows pad the last
 * block). The im2col tile is built on the stack, K in chunks of at most CONV_KC and pixels in
 * strips of 8, so the kernel never allocates and ranges can run concurrently. */
#include "scalar/f32_scalar.h"

#include <stdlib.h>
#include <string.h>

/* The im2col tile: CONV_KC k rows x CONV_NB output pixels, 128 KiB on the stack. 512 keeps a
 * 3x3 conv over 56 channels in one k chunk (no partial sums through y). */
#define CONV_KC 512
#define CONV_NB 64      /* a multiple of QX_F32_NR */

struct conv_packed {
	struct qx_f32_conv_desc d;
	int64_t cg, ocg, k;  /* channels in / out per group, GEMM depth c_g * kh * kw */
	int64_t blocks;      /* 4-channel blocks per group */
	float *w;            /* [groups][blocks][k][4] */
	float *bias;         /* [oc] */
};

int qx_f32_scalar_conv_pack(const struct qx_f32_conv_desc *d, const float *w_oihw,
                            const float *bias,
                     void **packed)
{
	struct conv_packed *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	p->d = *d;
	p->cg = d->c / d->groups;
	p->ocg = d->oc / d->groups;
	p->k = p->cg * d->kh * d->kw;
	p->blocks = (p->ocg + QX_F32_MR - 1) / QX_F32_MR;
	size_t wn = (size_t)(d->groups * p->blocks * p->k * QX_F32_MR);
	p->w = calloc(wn ? wn : 1, sizeof *p->w);
	p->bias = calloc((size_t)(d->oc ? d->oc : 1), sizeof *p->bias);
	if (!p->w || !p->bias) {
		free(p->w);
		free(p->bias);
		free(p);
		return -1;
	}
	for (int64_t g = 0; g < d->groups; g++)
		for (int64_t o = 0; o < p->ocg; o++) {
			const float *src = w_oihw + (g * p->ocg + o) * p->k;
			float *dst = p->w + ((g * p->blocks + o / QX_F32_MR) * p->k) * QX_F32_MR +
			             o % QX_F32_MR;
			for (int64_t k = 0; k < p->k; k++)
				dst[k * QX_F32_MR] = src[k];
		}
	if (bias)
		memcpy(p->bias, bias, (size_t)d->oc * sizeof *bias);
	*packed = p;
	return 0;
}

void qx_f32_scalar_pack_free(void *packed)
{
	struct conv_packed *p = packed;
	if (!p)
		return;
	free(p->w);
	free(p->bias);
	free(p);
}

/* Column j of the im2col tile lives in strip j / 8, lane j % 8: col[strip][kk][8], so that the
 * micro-kernel reads each strip as one contiguous stream. */
static inline float *tile_at(float *col, int64_t kc, int64_t kk, int64_t j)
{
	return col + (j / QX_F32_NR) * kc * QX_F32_NR + kk * QX_F32_NR + j % QX_F32_NR;
}

/* The im2col tile for k in [k0, k0 + kc) and pixels [p0, p0 + np) of the image whose group's
 * first input channel is x_g; columns np up to the strip's end are zeros. Works one output
 * row at a time, so bounds are computed once per run rather than per element. */
static void im2col_tile(const struct qx_f32_conv_desc *d, const float *x_g, int64_t k0,
                        int64_t kc, int64_t p0, int64_t np, float *col)
{
	int64_t khw = (int64_t)d->kh * d->kw;
	int64_t padded = (np + QX_F32_NR - 1) / QX_F32_NR * QX_F32_NR;
	for (int64_t kk = 0; kk < kc; kk++) {
		int64_t k = k0 + kk;
		int64_t ic = k / khw, ky = (k % khw) / d->kw, kx = k % d->kw;
		const float *plane = x_g + ic * d->h * d->w;
		for (int64_t j = 0, p = p0; j < np;) {
			int64_t oy = p / d->ow, ox = p % d->ow;
			int64_t run = d->ow - ox < np - j ? d->ow - ox : np - j;
			int64_t iy = oy * d->sh - d->pt + ky * d->dh;
			int64_t ix0 = ox * d->sw - d->pl + kx * d->dw;
			/* In-bounds columns: t in [lo, hi) has 0 <= ix0 + t * sw < w. */
			int64_t lo = 0, hi = 0;
			if (iy >= 0 && iy < d->h) {
				lo = ix0 >= 0 ? 0 : (-ix0 + d->sw - 1) / d->sw;
				hi = d->w - ix0 <= 0 ? 0 : (d->w - ix0 + d->sw - 1) / d->sw;
				if (hi > run)
					hi = run;
				if (lo > hi)
					lo = hi;
			}
			const float *row = plane + (hi > lo ? iy * d->w : 0);
			/* Piece by piece within one strip, where the tile is contiguous. */
			for (int64_t t = 0; t < run;) {
				int64_t lane = (j + t) % QX_F32_NR;
				int64_t cnt = QX_F32_NR - lane < run - t ? QX_F32_NR - lane : run - t;
				float *dst = tile_at(col, kc, kk, j + t);
				for (int64_t u = 0; u < cnt; u++) {
					int64_t tt = t + u;
					dst[u] = tt >= lo && tt < hi ? row[ix0 + tt * d->sw] : 0.0f;
				}
				t += cnt;
			}
			j += run;
			p += run;
		}
		for (int64_t j = np; j < padded; j++)
			*tile_at(col, kc, kk, j) = 0.0f;
	}
}

/* One 4-channel x 8-pixel block of the output: starts from the bias (first k chunk) or the
 * partial sums in y, adds this chunk, writes back the live part, clamped after the last chunk. */
static void conv_block(const struct conv_packed *p, const float *a, const float *b, int64_t kc,
                       int first, int last, const float *bias_g, float *y_g, int64_t npix,
                       int64_t blk, int64_t ca, int64_t cb, int64_t px0, int64_t px_end)
{
	float acc[QX_F32_MR][QX_F32_NR];
	for (int r = 0; r < QX_F32_MR; r++) {
		int64_t o = blk * QX_F32_MR + r;
		for (int j = 0; j < QX_F32_NR; j++) {
			int live = o < p->ocg && px0 + j < px_end;
			acc[r][j] = !live ? 0.0f : first ? bias_g[o] : y_g[o * npix + px0 + j];
		}
	}
	qx_f32_scalar_tile_4x8(kc, a, b, QX_F32_NR, acc);
	int nj = px_end - px0 < QX_F32_NR ? (int)(px_end - px0) : QX_F32_NR;
	for (int r = 0; r < QX_F32_MR; r++) {
		int64_t o = blk * QX_F32_MR + r;
		if (o < ca || o >= cb)
			continue;
		float *dst = y_g + o * npix + px0;
		if (last)
			for (int j = 0; j < nj; j++)
				dst[j] = qx_f32_clamp(acc[r][j], p->d.act_min, p->d.act_max);
		else
			for (int j = 0; j < nj; j++)
				dst[j] = acc[r][j];
	}
}

/* Output channels [ca, cb) of group g (group-relative), pixels [pa, pb), of image n. */
static void conv_group_segment(const struct conv_packed *p, const float *x, float *y, int64_t n,
                               int64_t g, int64_t ca, int64_t cb, int64_t pa, int64_t pb)
{
	const struct qx_f32_conv_desc *d = &p->d;
	float col[CONV_KC * CONV_NB];
	int64_t npix = d->oh * d->ow;
	const float *x_g = x + (n * d->c + g * p->cg) * d->h * d->w;
	float *y_g = y + (n * d->oc + g * p->ocg) * npix;
	const float *bias_g = p->bias + g * p->ocg;
	/* Equal k chunks, each at most CONV_KC. */
	int64_t chunks = (p->k + CONV_KC - 1) / CONV_KC;
	int64_t kstep = (p->k + chunks - 1) / chunks;
	for (int64_t p0 = pa; p0 < pb; p0 += CONV_NB) {
		int64_t np = pb - p0 < CONV_NB ? pb - p0 : CONV_NB;
		int64_t strips = (np + QX_F32_NR - 1) / QX_F32_NR;
		for (int64_t k0 = 0; k0 < p->k; k0 += kstep) {
			int64_t kc = p->k - k0 < kstep ? p->k - k0 : kstep;
			im2col_tile(d, x_g, k0, kc, p0, np, col);
			/* Strip outer: its kc x 8 floats stay in L1 while the weight panels stream. */
			for (int64_t s = 0; s < strips; s++)
				for (int64_t blk = ca / QX_F32_MR; blk * QX_F32_MR < cb; blk++)
					conv_block(p, p->w + ((g * p->blocks + blk) * p->k + k0) * QX_F32_MR,
					           col + s * kc * QX_F32_NR, kc, k0 == 0, k0 + kc == p->k,
					           bias_g, y_g, npix, blk, ca, cb, p0 + s * QX_F32_NR, p0 + np);
		}
	}
}

/* Channels [ca, cb) (all groups numbering), pixels [pa, pb) of image n. */
static void conv_segment(const struct conv_packed *p, const float *x, float *y, int64_t n,
                         int64_t ca, int64_t cb, int64_t pa, int64_t pb)
{
	for (int64_t g = ca / p->ocg; g < p->d.groups && g * p->ocg < cb; g++) {
		int64_t lo = ca > g * p->ocg ? ca - g * p->ocg : 0;
		int64_t hi = cb < (g + 1) * p->ocg ? cb - g * p->ocg : p->ocg;
		conv_group_segment(p, x, y, n, g, lo, hi, pa, pb);
	}
}

void qx_f32_scalar_conv(const void *packed, const float *x, float *y, int64_t row_begin,
                        int64_t row_end)
{
	const struct conv_packed *p = packed;
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t rows_img = d->oc * d->oh;
	if (rows_img == 0 || d->ow == 0)
		return;
	for (int64_t n = row_begin / rows_img; n * rows_img < row_end && n < d->n; n++) {
		int64_t lb = row_begin > n * rows_img ? row_begin - n * rows_img : 0;
		int64_t le = row_end < (n + 1) * rows_img ? row_end - n * rows_img : rows_img;
		int64_t c0 = lb / d->oh, y0 = lb % d->oh;
		int64_t c1 = (le - 1) / d->oh, y1 = (le - 1) % d->oh + 1;
		if (c0 == c1) {
			conv_segment(p, x, y, n, c0, c0 + 1, y0 * d->ow, y1 * d->ow);
			continue;
		}
		/* A partial first channel, whole channels, a partial last channel. */
		if (y0 > 0) {
			conv_segment(p, x, y, n, c0, c0 + 1, y0 * d->ow, d->oh * d->ow);
			c0++;
		}
		if (y1 < d->oh) {
			conv_segment(p, x, y, n, c1, c1 + 1, 0, y1 * d->ow);
			c1--;
		}
		if (c0 <= c1)
			conv_segment(p, x, y, n, c0, c1 + 1, 0, d->oh * d->ow);
	}
}
