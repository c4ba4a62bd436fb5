/* Weight packing for the NEON int8 convolution / Gemm, and the tile loop that runs a pack.
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

struct qx_neon_pack *qx_neon_pack_create(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                                         const int32_t *bias, const float *multiplier,
                                         enum qx_neon_path path)
{
	if (!desc_usable(d))
		return NULL;
	const int64_t cg = d->c / d->groups, ocg = d->oc / d->groups;
	const int64_t nblocks = (ocg + QX_NEON_NR - 1) / QX_NEON_NR;
	const int ntaps = d->kh * d->kw;
	const int64_t k_gather = ((int64_t)ntaps * cg + 7) & ~(int64_t)7;
	const int gather = cg < GATHER_BELOW_CG && k_gather <= QX_NEON_GATHER_MAX;
	const int run_ntaps = gather ? 1 : ntaps;
	const int64_t run_k = gather ? k_gather : cg;
	const int64_t kpad = path == QX_NEON_PATH_SDOT ? (run_k + 3) & ~(int64_t)3 : run_k;
	const size_t wsize = path == QX_NEON_PATH_SDOT ? 1 : sizeof(int16_t);
	size_t block_bytes, wbytes, nvec;
	if (__builtin_mul_overflow((size_t)run_ntaps * QX_NEON_NR * wsize, (size_t)kpad, &block_bytes) ||
	    __builtin_mul_overflow((size_t)d->groups, (size_t)nblocks * QX_NEON_NR, &nvec) ||
	    __builtin_mul_overflow(block_bytes, (size_t)d->groups * (size_t)nblocks, &wbytes) ||
	    wbytes > SIZE_MAX / 2 || nvec > SIZE_MAX / 16)
		return NULL;

	size_t off_taps = align_up(sizeof(struct qx_neon_pack));
	size_t off_zp = off_taps + align_up((size_t)(ntaps + 1) * sizeof(struct qx_neon_tap));
	size_t off_w = off_zp + align_up((size_t)cg + 16);
	size_t off_bias = off_w + align_up(wbytes);
	size_t off_sum = off_bias + align_up(nvec * sizeof(int32_t));
	size_t off_mul = off_sum + align_up(nvec * sizeof(int32_t));
	size_t total = off_mul + align_up(nvec * sizeof(float));
	unsigned char *mem = aligned_alloc(ALIGN, total);
	if (!mem)
		return NULL;
	memset(mem, 0, total);

	struct qx_neon_pack *p = (struct qx_neon_pack *)mem;
	struct qx_neon_tap *taps = (struct qx_neon_tap *)(mem + off_taps);
	uint8_t *zp_row = mem + off_zp;
	unsigned char *wp = mem + off_w;
	int32_t *bias_p = (int32_t *)(mem + off_bias);
	int32_t *sum_p = (int32_t *)(mem + off_sum);
	float *mul_p = (float *)(mem + off_mul);

	p->d = *d;
	p->path = path;
	p->cg = cg;
	p->ocg = ocg;
	p->nblocks = nblocks;
	p->ntaps = ntaps;
	p->dy_max = (d->kh - 1) * d->dh;
	p->dx_max = (d->kw - 1) * d->dw;
	p->block_bytes = block_bytes;
	p->gather = gather;
	p->run_ntaps = run_ntaps;
	p->run_k = run_k;
	p->run_taps = gather ? &taps[ntaps] : taps; /* taps[ntaps] is the gathered row's: zeros */
	for (int ky = 0; ky < d->kh; ky++)
		for (int kx = 0; kx < d->kw; kx++) {
			struct qx_neon_tap *t = &taps[ky * d->kw + kx];
			t->dy = ky * d->dh;
			t->dx = kx * d->dw;
			t->offset = ((int64_t)t->dy * d->w + t->dx) * d->c;
		}
	memset(zp_row, (int)(uint8_t)d->in_zp, (size_t)cg + 16);

	for (int64_t g = 0; g < d->groups; g++)
		for (int64_t b = 0; b < nblocks; b++) {
			unsigned char *blk = wp + (size_t)(g * nblocks + b) * block_bytes;
			size_t v0 = (size_t)(g * nblocks + b) * QX_NEON_NR;
			for (int j = 0; j < QX_NEON_NR; j++) {
				int64_t o = b * QX_NEON_NR + j;
				if (o >= ocg)
					break;
				int64_t oc = g * ocg + o;
				const int8_t *src = w_ohwi + oc * ntaps * cg;
				uint32_t sum = 0;
				for (int t = 0; t < ntaps; t++)
					for (int64_t k = 0; k < cg; k++) {
						int8_t wv = src[t * cg + k];
						sum += (uint32_t)(int32_t)wv;
						size_t rt = gather ? 0 : (size_t)t;
						size_t rk = gather ? (size_t)(t * cg + k) : (size_t)k;
						if (path == QX_NEON_PATH_SDOT)
							((int8_t *)blk)[(rt * (size_t)kpad + (rk & ~(size_t)3)) * QX_NEON_NR +
							                (size_t)j * 4 + (rk & 3)] = wv;
						else
							((int16_t *)blk)[(rt * (size_t)kpad + rk) * QX_NEON_NR + (size_t)j] = wv;
					}
				uint32_t zp_term = path == QX_NEON_PATH_SDOT ? (uint32_t)(128 - d->in_zp)
				                                             : (uint32_t)0 - (uint32_t)d->in_zp;
				uint32_t acc0 = (bias ? (uint32_t)bias[oc] : 0u) + zp_term * sum;
				bias_p[v0 + (size_t)j] = (int32_t)acc0;
				sum_p[v0 + (size_t)j] = (int32_t)sum;
				mul_p[v0 + (size_t)j] = multiplier ? multiplier[oc] : 0.0f;
			}
		}

	p->taps = taps;
	p->zp_row = zp_row;
	p->w = wp;
	p->bias = bias_p;
	p->sum_w = sum_p;
	p->multiplier = mul_p;
	return p;
}

/* Copies n bytes, or a little more (4, 8 or 16 bytes: single loads and stores) when the source
 * has them before src_end. The caller writes segments in increasing order and leaves 16 bytes
 * of slack after its buffer, so extra bytes are overwritten later or meet zero weights. */
static inline void copy_segment(uint8_t *dst, const uint8_t *src, int64_t n, const uint8_t *src_end)
{
	if (n <= 4 && src_end - src >= 4)
		memcpy(dst, src, 4);
	else if (n <= 8 && src_end - src >= 8)
		memcpy(dst, src, 8);
	else if (n <= 16 && src_end - src >= 16)
		memcpy(dst, src, 16);
	else
		memcpy(dst, src, (size_t)n);
}

/* Copies the receptive field of each of the tile's rows, for group g (xg: the input with the
 * group's channel offset), into rows of p->run_k bytes of buf. geo holds the rows' geometry;
 * x_end is the end of the input. */
static __attribute__((noinline)) void gather_rows(const struct qx_neon_pack *p, const uint8_t *xg, const uint8_t *x_end,
                        const struct qx_neon_tile *geo, uint8_t *buf)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const int64_t cg = p->cg;
	const uint8_t *zp_end = p->zp_row + cg + 16;
	/* one segment per kernel row when its taps are adjacent channels-last pixels */
	const int row_segments = d->groups == 1 && (d->dw == 1 || d->kw == 1);
	for (int r = 0; r < QX_NEON_MR; r++) {
		uint8_t *dst = buf + r * p->run_k;
		int64_t iy0 = geo->iy0[r], ix0 = geo->ix0[r];
		int inside_x = ix0 >= 0 && ix0 + p->dx_max < d->w;
		if (row_segments && inside_x && iy0 >= 0 && iy0 + p->dy_max < d->h) {
			/* the common case: kh segments of kw * cg bytes, one input row apart */
			const uint8_t *src = xg + geo->row_base[r];
			const int64_t seg = d->kw * cg, step = d->dh * d->w * d->c;
			for (int ky = 0; ky < d->kh; ky++, dst += seg, src += step)
				copy_segment(dst, src, seg, x_end);
			continue;
		}
		for (int ky = 0; ky < d->kh; ky++) {
			int64_t iy = iy0 + (int64_t)ky * d->dh;
			const struct qx_neon_tap *tp = &p->taps[ky * d->kw];
			if (iy < 0 || iy >= d->h) {
				for (int kx = 0; kx < d->kw; kx++, dst += cg)
					copy_segment(dst, p->zp_row, cg, zp_end);
			} else if (row_segments && inside_x) {
				copy_segment(dst, xg + geo->row_base[r] + tp->offset, d->kw * cg, x_end);
				dst += d->kw * cg;
			} else {
				for (int kx = 0; kx < d->kw; kx++, dst += cg) {
					int64_t ix = ix0 + tp[kx].dx;
					if (ix >= 0 && ix < d->w)
						copy_segment(dst, xg + geo->row_base[r] + tp[kx].offset, cg, x_end);
					else
						copy_segment(dst, p->zp_row, cg, zp_end);
				}
			}
		}
	}
}

void qx_neon_run_tiles(const struct qx_neon_pack *p, const uint8_t *x, const struct qx_neon_tile *tmpl,
                       int64_t pix_begin, int64_t pix_end)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const qx_neon_tile_fn fn = p->path == QX_NEON_PATH_SDOT ? qx_neon_tile_sdot_4x16 : qx_neon_tile_mlal_4x16;
	const int64_t ohw = d->oh * d->ow;
	struct qx_neon_tile t = *tmpl;
	/* gathered rows; the bytes past K meet zero weights but are set once, for tidiness */
	uint8_t gathered[QX_NEON_MR * QX_NEON_GATHER_MAX + 16];
	const uint8_t *x_end = x + d->n * d->h * d->w * d->c;
	if (p->gather)
		memset(gathered, 0, (size_t)(QX_NEON_MR * p->run_k + 16));

	for (int64_t p0 = pix_begin; p0 < pix_end; p0 += QX_NEON_MR) {
		struct qx_neon_tile geo; /* the rows as the kernel window sees them */
		t.nrows = pix_end - p0 < QX_NEON_MR ? (int)(pix_end - p0) : QX_NEON_MR;
		t.interior = 1;
		for (int r = 0; r < QX_NEON_MR; r++) {
			int64_t pix = p0 + (r < t.nrows ? r : t.nrows - 1);
			int64_t n = pix / ohw, rem = pix % ohw;
			int64_t iy0 = rem / d->ow * d->sh - d->pt, ix0 = rem % d->ow * d->sw - d->pl;
			t.iy0[r] = geo.iy0[r] = iy0;
			t.ix0[r] = geo.ix0[r] = ix0;
			t.row_base[r] = geo.row_base[r] = ((n * d->h + iy0) * d->w + ix0) * d->c;
			if (iy0 < 0 || iy0 + p->dy_max >= d->h || ix0 < 0 || ix0 + p->dx_max >= d->w)
				t.interior = 0;
		}
		if (p->gather) {
			/* the micro-kernel reads one inside "tap" per row of the buffer */
			t.interior = 1;
			t.x = gathered;
			for (int r = 0; r < QX_NEON_MR; r++)
				t.row_base[r] = r * p->run_k;
		}
		for (int64_t g = 0; g < d->groups; g++) {
			if (p->gather)
				gather_rows(p, x + g * p->cg, x_end, &geo, gathered);
			else
				t.x = x + g * p->cg;
			for (int64_t b = 0; b < p->nblocks; b++) {
				int64_t blk = g * p->nblocks + b, col = g * p->ocg + b * QX_NEON_NR;
				float scale[QX_NEON_NR], bias[QX_NEON_NR];
				t.ncols = p->ocg - b * QX_NEON_NR < QX_NEON_NR ? (int)(p->ocg - b * QX_NEON_NR) : QX_NEON_NR;
				t.w = (const unsigned char *)p->w + (size_t)blk * p->block_bytes;
				t.bias = p->bias + blk * QX_NEON_NR;
				t.sum_w = p->sum_w + blk * QX_NEON_NR;
				t.multiplier = p->multiplier + blk * QX_NEON_NR;
				if (tmpl->y_f32) {
					t.y_f32 = tmpl->y_f32 + p0 * t.y_stride + col;
					/* the caller's per-channel arrays end at the last channel: pad a copy */
					t.scale = tmpl->scale + col;
					t.bias_f32 = tmpl->bias_f32 ? tmpl->bias_f32 + col : NULL;
					if (t.ncols < QX_NEON_NR) {
						memset(scale, 0, sizeof scale);
						memset(bias, 0, sizeof bias);
						memcpy(scale, t.scale, (size_t)t.ncols * sizeof(float));
						if (t.bias_f32)
							memcpy(bias, t.bias_f32, (size_t)t.ncols * sizeof(float));
						t.scale = scale;
						t.bias_f32 = t.bias_f32 ? bias : NULL;
					}
				} else {
					t.y_u8 = tmpl->y_u8 + p0 * t.y_stride + col;
				}
				fn(p, &t);
			}
		}
	}
}
