/* int8 convolution, scalar reference: direct convolution over NHWC, no scratch memory.
 *
 * Weights are packed per group into blocks of BW output channels ([tap][ci][BW] int16, zeros
 * past the group's channels) so that the innermost loop is a fixed-length loop over BW
 * channels the compiler turns into SIMD multiplies on any target. The zero point is folded at
 * pack time (q8_common.h); a tap that falls in the padding adds in_zp * (that tap's weight sum)
 * instead of reading memory, which is the same as reading in_zp there. All sums wrap mod 2^32. */
#include "q8_common.h"

#include <stdlib.h>

struct q8_scalar_conv {
	struct qx_q8_conv_desc d;
	int64_t cg, ocg, taps;
	int bw;          /* output channels per block: 16, 8, 4 or 1 */
	int64_t blocks;  /* blocks per group */
	int16_t *w;      /* [g][block][tap][cg][bw] */
	int32_t *bias;   /* [g][block][bw] folded bias */
	int32_t *tapsum; /* [g][block][tap][bw] sum over ci of w: what a padded tap adds per in_zp */
	float *mult;     /* [oc] */
};

static int block_width(int64_t ocg)
{
	return ocg >= 16 ? 16 : ocg >= 8 ? 8 : ocg >= 4 ? 4 : 1;
}

int qx_q8_scalar_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                           const int32_t *bias, const float *multiplier, void **packed)
{
	if (!qx_q8_conv_desc_valid(d))
		return -1;
	struct q8_scalar_conv *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	p->d = *d;
	p->cg = qx_q8_cg(d);
	p->ocg = qx_q8_ocg(d);
	p->taps = (int64_t)d->kh * d->kw;
	p->bw = block_width(p->ocg);
	p->blocks = (p->ocg + p->bw - 1) / p->bw;
	int64_t nblk = d->groups * p->blocks, k = p->taps * p->cg;
	p->w = calloc((size_t)(nblk * k * p->bw), sizeof *p->w);
	p->bias = calloc((size_t)(nblk * p->bw), sizeof *p->bias);
	p->tapsum = calloc((size_t)(nblk * p->taps * p->bw), sizeof *p->tapsum);
	p->mult = malloc((size_t)d->oc * sizeof *p->mult);
	int32_t *folded = malloc((size_t)d->oc * sizeof *folded);
	if (!p->w || !p->bias || !p->tapsum || !p->mult || !folded) {
		free(folded);
		qx_q8_scalar_pack_free(p);
		return -1;
	}
	qx_q8_fold_bias(d, w_ohwi, bias, folded);
	memcpy(p->mult, multiplier, (size_t)d->oc * sizeof *p->mult);
	for (int64_t g = 0; g < d->groups; g++) {
		for (int64_t b = 0; b < p->blocks; b++) {
			int64_t blk = g * p->blocks + b;
			for (int j = 0; j < p->bw; j++) {
				int64_t o = b * p->bw + j;
				if (o >= p->ocg)
					break;
				const int8_t *src = w_ohwi + (g * p->ocg + o) * k;
				p->bias[blk * p->bw + j] = folded[g * p->ocg + o];
				for (int64_t t = 0; t < p->taps; t++) {
					uint32_t sum = 0;
					for (int64_t ci = 0; ci < p->cg; ci++) {
						int8_t v = src[t * p->cg + ci];
						p->w[((blk * p->taps + t) * p->cg + ci) * p->bw + j] = v;
						sum += (uint32_t)(int32_t)v;
					}
					p->tapsum[(blk * p->taps + t) * p->bw + j] = qx_q8_wrap(sum);
				}
			}
		}
	}
	free(folded);
	*packed = p;
	return 0;
}

/* acc[j] += sum_ci x[ci] * w[ci][j]; BW is a constant after inlining, so this vectorizes. */
static inline __attribute__((always_inline)) void dot_block(uint32_t *restrict acc,
                                                            const uint8_t *restrict x,
                                                            const int16_t *restrict w,
                                                            int64_t cg, int bw)
{
	for (int64_t ci = 0; ci < cg; ci++, w += bw) {
		int16_t xv = x[ci];
		for (int j = 0; j < bw; j++)
			acc[j] += (uint32_t)(int32_t)(int16_t)(xv * w[j]); /* |u8 * s8| < 2^15 */
	}
}

static inline __attribute__((always_inline)) void conv_pixel(const struct q8_scalar_conv *p,
                                                             const uint8_t *x, uint8_t *y,
                                                             int64_t pix, int bw)
{
	const struct qx_q8_conv_desc *d = &p->d;
	int64_t ox = pix % d->ow, oy = pix / d->ow % d->oh, n = pix / (d->ow * d->oh);
	int64_t iy0 = oy * d->sh - d->pt, ix0 = ox * d->sw - d->pl;
	float lo = (float)(d->out_min - d->out_zp), hi = (float)(d->out_max - d->out_zp);
	uint32_t zp = (uint32_t)d->in_zp;
	for (int64_t g = 0; g < d->groups; g++) {
		const uint8_t *xg = x + n * d->h * d->w * d->c + g * p->cg;
		for (int64_t b = 0; b < p->blocks; b++) {
			int64_t blk = g * p->blocks + b;
			const int16_t *w = p->w + blk * p->taps * p->cg * bw;
			const int32_t *tapsum = p->tapsum + blk * p->taps * bw;
			uint32_t acc[16];
			for (int j = 0; j < bw; j++)
				acc[j] = (uint32_t)p->bias[blk * bw + j];
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = iy0 + (int64_t)ky * d->dh;
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = ix0 + (int64_t)kx * d->dw, t = ky * d->kw + kx;
					if (iy >= 0 && iy < d->h && ix >= 0 && ix < d->w) {
						dot_block(acc, xg + (iy * d->w + ix) * d->c,
						          w + t * p->cg * bw, p->cg, bw);
					} else {
						for (int j = 0; j < bw; j++)
							acc[j] += zp * (uint32_t)tapsum[t * bw + j];
					}
				}
			}
			int64_t o0 = g * p->ocg + b * bw;
			int64_t count = p->ocg - b * bw < bw ? p->ocg - b * bw : bw;
			for (int64_t j = 0; j < count; j++)
				y[o0 + j] = qx_q8_requant1(qx_q8_wrap(acc[j]), p->mult[o0 + j], lo, hi,
				                           d->out_zp);
		}
	}
}

void qx_q8_scalar_conv(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                       int64_t pix_end)
{
	const struct q8_scalar_conv *p = packed;
	for (int64_t pix = pix_begin; pix < pix_end; pix++) {
		uint8_t *out = y + pix * p->d.oc;
		switch (p->bw) {
		case 16: conv_pixel(p, x, out, pix, 16); break;
		case 8: conv_pixel(p, x, out, pix, 8); break;
		case 4: conv_pixel(p, x, out, pix, 4); break;
		default: conv_pixel(p, x, out, pix, 1); break;
		}
	}
}

/* The dynamic GEMM is a 1x1 convolution packed with in_zp = 0 and no bias, whose tap sums are
 * the row sums of w: the run-time zero point is then folded as acc -= x_zp * rowsum. */
int qx_q8_scalar_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk, void **packed)
{
	if (gd->n <= 0 || gd->k <= 0)
		return -1;
	struct qx_q8_conv_desc d = {
		.n = 1, .h = 1, .w = 1, .c = gd->k, .oc = gd->n, .oh = 1, .ow = 1, .kh = 1, .kw = 1,
		.sh = 1, .sw = 1, .dh = 1, .dw = 1, .groups = 1, .out_max = 255,
	};
	float *ones = malloc((size_t)gd->n * sizeof *ones);
	if (!ones)
		return -1;
	for (int64_t j = 0; j < gd->n; j++)
		ones[j] = 1.0f;
	int rc = qx_q8_scalar_conv_pack(&d, w_nk, NULL, ones, packed);
	free(ones);
	return rc;
}

static inline __attribute__((always_inline)) void gemm_row(const struct q8_scalar_conv *p,
                                                           const uint8_t *x, uint32_t x_zp,
                                                           const float *scale, const float *bias,
                                                           float *y, int bw)
{
	for (int64_t b = 0; b < p->blocks; b++) {
		uint32_t acc[16] = { 0 };
		dot_block(acc, x, p->w + b * p->cg * bw, p->cg, bw);
		int64_t count = p->ocg - b * bw < bw ? p->ocg - b * bw : bw;
		for (int64_t j = 0; j < count; j++) {
			int64_t o = b * bw + j;
			float t = (float)qx_q8_wrap(acc[j] - x_zp * (uint32_t)p->tapsum[b * bw + j]) * scale[o];
			y[o] = bias ? t + bias[o] : t;
		}
	}
}

void qx_q8_scalar_gemm_f32out(const void *packed, const uint8_t *x, int32_t x_zp,
                              const float *scale, const float *bias, float *y, int64_t row_begin,
                              int64_t row_end)
{
	const struct q8_scalar_conv *p = packed;
	int64_t k = p->cg, n = p->ocg;
	for (int64_t i = row_begin; i < row_end; i++) {
		const uint8_t *xi = x + i * k;
		float *yi = y + i * n;
		switch (p->bw) {
		case 16: gemm_row(p, xi, (uint32_t)x_zp, scale, bias, yi, 16); break;
		case 8: gemm_row(p, xi, (uint32_t)x_zp, scale, bias, yi, 8); break;
		case 4: gemm_row(p, xi, (uint32_t)x_zp, scale, bias, yi, 4); break;
		default: gemm_row(p, xi, (uint32_t)x_zp, scale, bias, yi, 1); break;
		}
	}
}

void qx_q8_scalar_pack_free(void *packed)
{
	if (!packed)
		return;
	struct q8_scalar_conv *p = packed;
	free(p->w);
	free(p->bias);
	free(p->tapsum);
	free(p->mult);
	free(p);
}
