/* Weight packing for the NEON int8 convolution / Gemm (one allocation per pack).
 *
 * Packed weights, per group and per block of NR = 16 output channels (channels past the group's
 * end are zero, so they add nothing and are never stored), over the taps and channels the
 * micro-kernel runs (run_ntaps x run_k: the kernel's taps x cg, or 1 x K rounded up to 8 when
 * the pack gathers, K = taps * cg in OHWI order):
 *   mlal  [tap][k][16]            int16: one vector pair per input channel k
 *   sdot  [tap][k/4][16][4]       int8:  16 output channels x 4 consecutive k, what sdot eats;
 *                                 k is rounded up to a multiple of 4 with zero weights
 * Bias folding (all modulo 2^32; the loops sum raw x over every tap, padded taps reading in_zp):
 *   acc = bias + sum (x - in_zp) * w = bias - in_zp * sum_w + sum x * w                  (mlal)
 *                                    = bias + (128 - in_zp) * sum_w + sum (x - 128) * w  (sdot) */
#include "q8_neon.h"
#include "q8_common.h"

#include <stdlib.h>
#include <string.h>

#define ALIGN 64

/* Gathering pays when a tap has few channels: the micro-kernels' per-tap work (4 row pointers,
 * a partial step) would cost more than copying the receptive field once per tile. */
#define GATHER_BELOW_CG 16

static size_t align_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

/* What the scalar set accepts (q8_common.c), and sizes these loops index without overflow. */
static int desc_usable(const struct qx_q8_conv_desc *d)
{
	return qx_q8_conv_desc_valid(d) && d->h < INT32_MAX && d->w < INT32_MAX && d->kh < 65536 &&
	       d->kw < 65536;
}

/* The pack's shape, decided before anything is allocated. */
struct layout {
	int64_t cg, ocg, nblocks, kpad;
	int ntaps, gather, run_ntaps, row_fused;
	int64_t run_k;
	size_t wsize, block_bytes;
	size_t off_taps, off_zp, off_w, off_bias, off_sum, off_mul, total;
};

/* Returns 0, or -1 when a size overflows. */
static int plan_layout(const struct qx_q8_conv_desc *d, enum qx_neon_path path, struct layout *l)
{
	l->cg = d->c / d->groups;
	l->ocg = d->oc / d->groups;
	l->nblocks = (l->ocg + QX_NEON_NR - 1) / QX_NEON_NR;
	l->ntaps = d->kh * d->kw;
	int64_t k_gather = ((int64_t)l->ntaps * l->cg + 7) & ~(int64_t)7;
	l->gather = l->cg < GATHER_BELOW_CG && k_gather <= QX_NEON_GATHER_MAX;
	l->run_ntaps = l->gather ? 1 : l->ntaps;
	l->run_k = l->gather ? k_gather : l->cg;
	l->kpad = path == QX_NEON_PATH_SDOT ? (l->run_k + 3) & ~(int64_t)3 : l->run_k;
	l->row_fused = !l->gather && d->kw > 1 && d->groups == 1 && d->dw == 1 &&
	               (path != QX_NEON_PATH_SDOT || l->cg % 4 == 0);
	l->wsize = path == QX_NEON_PATH_SDOT ? 1 : sizeof(int16_t);

	size_t wbytes, nvec;
	if (__builtin_mul_overflow((size_t)l->run_ntaps * QX_NEON_NR * l->wsize, (size_t)l->kpad,
	                           &l->block_bytes) ||
	    __builtin_mul_overflow((size_t)d->groups, (size_t)l->nblocks * QX_NEON_NR, &nvec) ||
	    __builtin_mul_overflow(l->block_bytes, (size_t)d->groups * (size_t)l->nblocks, &wbytes) ||
	    wbytes > SIZE_MAX / 2 || nvec > SIZE_MAX / 16)
		return -1;
	/* taps: the kernel's, then the gathered row's single tap, then one per kernel row */
	l->off_taps = align_up(sizeof(struct qx_neon_pack));
	l->off_zp = l->off_taps + align_up((size_t)(l->ntaps + 1 + d->kh) * sizeof(struct qx_neon_tap));
	l->off_w = l->off_zp + align_up((size_t)l->cg + 16);
	l->off_bias = l->off_w + align_up(wbytes);
	l->off_sum = l->off_bias + align_up(nvec * sizeof(int32_t));
	l->off_mul = l->off_sum + align_up(nvec * sizeof(int32_t));
	l->total = l->off_mul + align_up(nvec * sizeof(float));
	return 0;
}

static void init_taps(const struct qx_q8_conv_desc *d, int ntaps, struct qx_neon_tap *taps)
{
	for (int ky = 0; ky < d->kh; ky++) {
		for (int kx = 0; kx < d->kw; kx++) {
			struct qx_neon_tap *t = &taps[ky * d->kw + kx];
			t->dy = ky * d->dh;
			t->dx = kx * d->dw;
			t->offset = ((int64_t)t->dy * d->w + t->dx) * d->c;
		}
		struct qx_neon_tap *row = &taps[ntaps + 1 + ky]; /* taps[ntaps] stays zero */
		row->dy = ky * d->dh;
		row->offset = (int64_t)row->dy * d->w * d->c;
	}
}

/* Packs output channel oc (lane j of its block blk) and returns the sum of its weights. */
static uint32_t pack_channel(const struct layout *l, enum qx_neon_path path, const int8_t *w_oc,
                             int j, unsigned char *blk)
{
	uint32_t sum = 0;
	for (int t = 0; t < l->ntaps; t++) {
		for (int64_t k = 0; k < l->cg; k++) {
			int8_t wv = w_oc[t * l->cg + k];
			size_t rt = l->gather ? 0 : (size_t)t;
			size_t rk = l->gather ? (size_t)(t * l->cg + k) : (size_t)k;
			size_t row = rt * (size_t)l->kpad;
			sum += (uint32_t)(int32_t)wv;
			if (path == QX_NEON_PATH_SDOT)
				((int8_t *)blk)[(row + (rk & ~(size_t)3)) * QX_NEON_NR + (size_t)j * 4 +
				                (rk & 3)] = wv;
			else
				((int16_t *)blk)[(row + rk) * QX_NEON_NR + (size_t)j] = wv;
		}
	}
	return sum;
}

struct qx_neon_pack *qx_neon_pack_create(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                                         const int32_t *bias, const float *multiplier,
                                         enum qx_neon_path path)
{
	struct layout l;
	if (!desc_usable(d) || plan_layout(d, path, &l) != 0)
		return NULL;
	unsigned char *mem = aligned_alloc(ALIGN, l.total);
	if (!mem)
		return NULL;
	memset(mem, 0, l.total);

	struct qx_neon_pack *p = (struct qx_neon_pack *)mem;
	struct qx_neon_tap *taps = (struct qx_neon_tap *)(mem + l.off_taps);
	uint8_t *zp_row = mem + l.off_zp;
	unsigned char *wp = mem + l.off_w;
	int32_t *bias_p = (int32_t *)(mem + l.off_bias);
	int32_t *sum_p = (int32_t *)(mem + l.off_sum);
	float *mul_p = (float *)(mem + l.off_mul);

	*p = (struct qx_neon_pack){
		.d = *d,
		.path = path,
		.cg = l.cg,
		.ocg = l.ocg,
		.nblocks = l.nblocks,
		.ntaps = l.ntaps,
		.dy_max = (d->kh - 1) * d->dh,
		.dx_max = (d->kw - 1) * d->dw,
		.taps = taps,
		.gather = l.gather,
		.run_ntaps = l.run_ntaps,
		.run_k = l.run_k,
		.run_taps = l.gather ? &taps[l.ntaps] : taps,
		.row_fused = l.row_fused,
		.row_taps = &taps[l.ntaps + 1],
		.block_bytes = l.block_bytes,
		.zp_row = zp_row,
		.w = wp,
		.bias = bias_p,
		.sum_w = sum_p,
		.multiplier = mul_p,
	};
	init_taps(d, l.ntaps, taps);
	memset(zp_row, (int)(uint8_t)d->in_zp, (size_t)l.cg + 16);

	const uint32_t zp_term = path == QX_NEON_PATH_SDOT ? (uint32_t)(128 - d->in_zp)
	                                                   : (uint32_t)0 - (uint32_t)d->in_zp;
	for (int64_t g = 0; g < d->groups; g++) {
		for (int64_t b = 0; b < l.nblocks; b++) {
			size_t blk = (size_t)(g * l.nblocks + b);
			for (int j = 0; j < QX_NEON_NR && b * QX_NEON_NR + j < l.ocg; j++) {
				int64_t oc = g * l.ocg + b * QX_NEON_NR + j;
				size_t v = blk * QX_NEON_NR + (size_t)j;
				uint32_t sum = pack_channel(&l, path, w_ohwi + oc * l.ntaps * l.cg, j,
				                            wp + blk * l.block_bytes);
				bias_p[v] = (int32_t)((bias ? (uint32_t)bias[oc] : 0u) + zp_term * sum);
				sum_p[v] = (int32_t)sum;
				mul_p[v] = multiplier ? multiplier[oc] : 0.0f;
			}
		}
	}
	return p;
}
