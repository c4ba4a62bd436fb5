/* The tile loop of the NEON int8 convolution / Gemm: cuts output pixels [begin, end) into tiles
 * of MR pixels, works out where each pixel's window lies, gathers the receptive fields when the
 * pack asks for it, and hands each (tile, group, block of NR output channels) to the pack's
 * micro-kernel with the epilogue the caller chose. */
#include "q8_neon.h"

#include <string.h>

/* Copies n bytes, or a little more (4, 8 or 16 bytes: single loads and stores) when the source
 * has them before src_end. The caller writes segments in increasing order and leaves 16 bytes
 * of slack after its buffer, so extra bytes are overwritten later or meet zero weights. */
static inline void copy_segment(uint8_t *dst, const uint8_t *src, int64_t n,
                                const uint8_t *src_end)
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
static __attribute__((noinline)) void gather_rows(const struct qx_neon_pack *p, const uint8_t *xg,
                                                  const uint8_t *x_end,
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
				copy_segment(dst, xg + (geo->row_base[r] + tp->offset), d->kw * cg, x_end);
				dst += d->kw * cg;
			} else {
				for (int kx = 0; kx < d->kw; kx++, dst += cg) {
					int64_t ix = ix0 + tp[kx].dx;
					if (ix >= 0 && ix < d->w)
						copy_segment(dst, xg + (geo->row_base[r] + tp[kx].offset), cg,
						             x_end);
					else
						copy_segment(dst, p->zp_row, cg, zp_end);
				}
			}
		}
	}
}

/* Rows of the tile of pixels [p0, p0 + MR) cut at pix_end: their windows' geometry, in t and in
 * geo (which keeps it when t is pointed at gathered rows), and whether all of it is inside. */
static void tile_rows(const struct qx_neon_pack *p, int64_t p0, int64_t pix_end,
                      struct qx_neon_tile *t, struct qx_neon_tile *geo)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const int64_t ohw = d->oh * d->ow;
	t->nrows = pix_end - p0 < QX_NEON_MR ? (int)(pix_end - p0) : QX_NEON_MR;
	t->interior = 1;
	for (int r = 0; r < QX_NEON_MR; r++) {
		int64_t pix = p0 + (r < t->nrows ? r : t->nrows - 1);
		int64_t n = pix / ohw, rem = pix % ohw;
		int64_t iy0 = rem / d->ow * d->sh - d->pt, ix0 = rem % d->ow * d->sw - d->pl;
		t->iy0[r] = geo->iy0[r] = iy0;
		t->ix0[r] = geo->ix0[r] = ix0;
		t->row_base[r] = geo->row_base[r] = ((n * d->h + iy0) * d->w + ix0) * d->c;
		if (iy0 < 0 || iy0 + p->dy_max >= d->h || ix0 < 0 || ix0 + p->dx_max >= d->w)
			t->interior = 0;
	}
	t->taps = p->run_taps;
	t->ntaps = p->run_ntaps;
	t->k = p->run_k;
	if (!p->gather && t->interior && p->row_fused) {
		t->taps = p->row_taps;
		t->ntaps = d->kh;
		t->k = d->kw * p->cg;
	}
}

/* Points t at block b of group g (weights, bias, outputs) and runs the micro-kernel on it. */
static void run_block(const struct qx_neon_pack *p, const struct qx_neon_tile *tmpl,
                      struct qx_neon_tile *t, int64_t p0, int64_t g, int64_t b)
{
	const int64_t blk = g * p->nblocks + b, col = g * p->ocg + b * QX_NEON_NR;
	const int64_t left = p->ocg - b * QX_NEON_NR;
	float scale[QX_NEON_NR] = { 0 }, bias[QX_NEON_NR] = { 0 };
	t->ncols = left < QX_NEON_NR ? (int)left : QX_NEON_NR;
	t->w = (const unsigned char *)p->w + (size_t)blk * p->block_bytes;
	t->bias = p->bias + blk * QX_NEON_NR;
	t->sum_w = p->sum_w + blk * QX_NEON_NR;
	t->multiplier = p->multiplier + blk * QX_NEON_NR;
	if (!tmpl->y_f32) {
		t->y_u8 = tmpl->y_u8 + p0 * t->y_stride + col;
	} else {
		t->y_f32 = tmpl->y_f32 + p0 * t->y_stride + col;
		t->scale = tmpl->scale + col;
		t->bias_f32 = tmpl->bias_f32 ? tmpl->bias_f32 + col : NULL;
		if (t->ncols < QX_NEON_NR) {
			/* the caller's per-channel arrays end at the last channel: pad a copy */
			memcpy(scale, t->scale, (size_t)t->ncols * sizeof(float));
			t->scale = scale;
			if (t->bias_f32) {
				memcpy(bias, t->bias_f32, (size_t)t->ncols * sizeof(float));
				t->bias_f32 = bias;
			}
		}
	}
	if (p->path == QX_NEON_PATH_SDOT)
		qx_neon_tile_sdot_4x16(p, t);
	else
		qx_neon_tile_mlal_4x16(p, t);
}

void qx_neon_run_tiles(const struct qx_neon_pack *p, const uint8_t *x,
                       const struct qx_neon_tile *tmpl, int64_t pix_begin, int64_t pix_end)
{
	if (pix_end <= pix_begin)
		return;
	const struct qx_q8_conv_desc *d = &p->d;
	/* the input's end as far as this call knows: the image of its last pixel (a Gemm's pack
	 * says n = 1 but runs one image per row) */
	const uint8_t *x_end = x + ((pix_end - 1) / (d->oh * d->ow) + 1) * d->h * d->w * d->c;
	/* gathered rows; the bytes past K meet zero weights but are set once, for tidiness */
	uint8_t gathered[QX_NEON_MR * QX_NEON_GATHER_MAX + 16];
	if (p->gather)
		memset(gathered, 0, (size_t)(QX_NEON_MR * p->run_k + 16));

	struct qx_neon_tile t = *tmpl, geo;
	for (int64_t p0 = pix_begin; p0 < pix_end; p0 += QX_NEON_MR) {
		tile_rows(p, p0, pix_end, &t, &geo);
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
			for (int64_t b = 0; b < p->nblocks; b++)
				run_block(p, tmpl, &t, p0, g, b);
		}
	}
}
