/* 1x1 convolution of images smaller than one vector, part of f32_conv_template.h (which
 * includes it after struct conv_packed; the ops header and f32_tile_template.h come first).
 *
 * Why: the GEMM path puts output pixels across the lanes. At batch 1 a 2x2 image (the last
 * stages of mobilenet_v2, efficientnet_b0, shufflenet) fills 4 of 16 lanes, and its 1x1 layers
 * are the model's widest (336 -> 56, 112 -> 512). Here the roles swap: output channels run
 * across the lanes, pixels are the micro-kernel's broadcast rows, so y^T = x^T W^T with W^T
 * packed once ([c][oc], rows padded to whole strips) and x^T packed per F32_MR pixels of the
 * call's images ([c][F32_MR], a few hundred floats); the [pixels][channels] tile is then
 * written into the NCHW planes.
 * Used when the images of the whole call hold fewer than F32_VL pixels (batch 1's 2x2 images,
 * squeeze-excitation's 1x1 ones in slices of 4): at larger batches the GEMM path's strips span
 * images and fill the lanes. */
#include <stdint.h>
#include <stdlib.h>

#ifndef F32_PW_KC
#define F32_PW_KC 512 /* k rows of x^T packed at a time */
#endif

/* Whether d is a 1x1 convolution this path takes. */
static int pwt_fits(const struct qx_f32_conv_desc *d)
{
	return d->groups == 1 && d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 &&
	       d->pt == 0 && d->pl == 0 && d->pb == 0 && d->pr == 0 && d->n * d->oh * d->ow > 0 &&
	       d->n * d->oh * d->ow < F32_VL;
}

/* W^T as [c][ld] and the bias as [ld], ld = oc rounded up to F32_SW (zeros past oc), in one
 * block: bias first. NULL when out of memory. */
static float *pwt_pack(const struct qx_f32_conv_desc *d, const float *w_oihw, const float *bias,
                       int64_t *ld_out)
{
	int64_t ld = (d->oc + F32_SW - 1) / F32_SW * F32_SW;
	float *w = calloc((size_t)((d->c + 1) * ld), sizeof *w);
	if (!w)
		return NULL;
	for (int64_t o = 0; o < d->oc; o++) {
		w[o] = bias ? bias[o] : 0.0f;
		for (int64_t c = 0; c < d->c; c++)
			w[(1 + c) * ld + o] = w_oihw[o * d->c + c];
	}
	*ld_out = ld;
	return w;
}

/* f32_tile for M <= 4 rows (pixels) of a [kc][F32_MR] packed a: the same sums, in the same
 * order (each lane from its bias, one FMA per k), only without the F32_MR - M rows of zeros
 * that f32_tile would compute for a call of so few pixels (batch 1's 2x2 images: half of its
 * FMAs; squeeze-excitation's 1x1 ones: seven eighths). Staged in io->tile, as f32_tile. */
F32_INLINE void pwt_tile_m(const int M, const int R, int64_t kc, const float *restrict a,
                           const float *restrict b, int64_t ldb, const struct f32_tile_io *io)
{
	f32v acc[4][F32_RV];
#pragma GCC unroll 4
	for (int m = 0; m < M; m++)
#pragma GCC unroll 4
		for (int r = 0; r < R; r++)
			acc[m][r] = io->first ? (io->colbias ? f32v_loadu(io->colbias + r * F32_VL)
			                                     : f32v_zero())
			                      : f32v_loadu(io->tile + m * F32_SW + r * F32_VL);
	for (int64_t k = 0; k < kc; k++) {
		const float *ak = a + k * F32_MR, *bk = b + k * ldb;
		f32v bv[F32_RV];
#pragma GCC unroll 4
		for (int r = 0; r < R; r++)
			bv[r] = f32v_loadu(bk + r * F32_VL);
#pragma GCC unroll 4
		for (int m = 0; m < M; m++) {
			f32v av = f32v_set1(ak[m]);
#pragma GCC unroll 4
			for (int r = 0; r < R; r++)
				acc[m][r] = f32v_fmadd(av, bv[r], acc[m][r]);
		}
	}
	f32v lo = f32v_set1(io->act_min), hi = f32v_set1(io->act_max);
#pragma GCC unroll 4
	for (int m = 0; m < M; m++)
#pragma GCC unroll 4
		for (int r = 0; r < R; r++)
			f32v_storeu(io->tile + m * F32_SW + r * F32_VL,
			            io->last ? f32v_clamp(acc[m][r], lo, hi) : acc[m][r]);
}

#define PWT_TILE_R(M, R, kc, a, b, ldb, io)                                                 \
	do {                                                                                  \
		if ((R) == 1)                                                                     \
			pwt_tile_m(M, 1, kc, a, b, ldb, io);                                          \
		else if ((R) == 2 || F32_RV < 3)                                                  \
			pwt_tile_m(M, F32_RV < 2 ? 1 : 2, kc, a, b, ldb, io);                         \
		else                                                                              \
			pwt_tile_m(M, F32_RV < 3 ? 1 : 3, kc, a, b, ldb, io);                         \
	} while (0)

/* pwt_tile_m for M = mr (1 to 4) and R = 1 to F32_RV, each instantiated with both constant. */
static __attribute__((noinline)) void pwt_tile(int mr, int R, int64_t kc, const float *a,
                                               const float *b, int64_t ldb,
                                               const struct f32_tile_io *io)
{
	switch (mr) {
	case 1: PWT_TILE_R(1, R, kc, a, b, ldb, io); break;
	case 2: PWT_TILE_R(2, R, kc, a, b, ldb, io); break;
	case 3: PWT_TILE_R(3, R, kc, a, b, ldb, io); break;
	default: PWT_TILE_R(4, R, kc, a, b, ldb, io); break;
	}
}

/* Every output channel of images [img0, img1): their pixels, numbered q = image * hw + pixel,
 * are the micro-kernel's rows (F32_MR at a time, across images: a 1x1 image, as
 * squeeze-excitation's, is one row). */
static void pwt_images(const struct conv_packed *p, const float *x, float *y, int64_t img0,
                       int64_t img1)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t hw = p->hw, ld = p->pwt_ld;
	_Alignas(64) float a[F32_PW_KC * F32_MR];
	_Alignas(64) float tile[F32_MR * F32_SW + F32_VL];
	int64_t off_x[F32_MR], off_y[F32_MR]; /* each row's pixel in x's and y's first plane */
	for (int64_t q0 = img0 * hw; q0 < img1 * hw; q0 += F32_MR) {
		int64_t mr = img1 * hw - q0 < F32_MR ? img1 * hw - q0 : F32_MR;
		for (int64_t m = 0; m < mr; m++) {
			int64_t img = (q0 + m) / hw, pix = (q0 + m) % hw;
			off_x[m] = img * d->c * hw + pix;
			off_y[m] = img * d->oc * hw + pix;
		}
		for (int64_t s = 0; s < ld; s += F32_SW) {
			int64_t cols = d->oc - s < F32_SW ? d->oc - s : F32_SW;
			int R = (int)((cols + F32_VL - 1) / F32_VL);
			for (int64_t k0 = 0; k0 < d->c; k0 += F32_PW_KC) {
				int64_t kc = d->c - k0 < F32_PW_KC ? d->c - k0 : F32_PW_KC;
				if (s == 0 || d->c > F32_PW_KC) /* x^T rows [k0, k0 + kc), pixels as rows */
					for (int64_t k = 0; k < kc; k++)
						for (int64_t m = 0; m < F32_MR; m++)
							a[k * F32_MR + m] = m < mr ? x[off_x[m] + (k0 + k) * hw] : 0.0f;
				struct f32_tile_io io = {
					.colbias = p->pwt + s,
					.tile = tile,
					.first = k0 == 0,
					.last = k0 + kc >= d->c,
					.mlo = 0,
					.mhi = F32_MR,
					.act_min = d->act_min,
					.act_max = d->act_max,
				};
				if (mr <= 4) /* pixels of the last micro-tile rows are never stored */
					pwt_tile((int)mr, R, kc, a, p->pwt + (1 + k0) * ld + s, ld, &io);
				else
					f32_tile(R, kc, a, p->pwt + (1 + k0) * ld + s, ld, &io);
			}
			for (int64_t j = 0; j < cols; j++)
				for (int64_t m = 0; m < mr; m++)
					y[off_y[m] + (s + j) * hw] = tile[m * F32_SW + j];
		}
	}
}
