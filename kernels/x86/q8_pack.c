/* Weight packing for the x86 SIMD int8 sets (struct qx_q8_simd_conv in q8_common.h).
 *
 * Plain C, compiled once for the baseline: packing runs once per model, and one packer for
 * every set means the zero-point fold and the panel layout cannot drift apart between sets. */
#include "q8_common.h"

#include <stdlib.h>

static int64_t round_up(int64_t v, int64_t m)
{
	return (v + m - 1) / m * m;
}

/* pack_panels on weights already laid out as [oc][im.k] */
static int pack_spread(struct qx_q8_simd_conv *p, const int8_t *w_ohwi, const int32_t *folded,
                       const float *mult)
{
	const struct qx_q8_simd_shape *s = &p->shape;
	int64_t width = (int64_t)s->nb_max * s->lanes, groups = p->d.groups;
	p->blocks = (p->ocg + width - 1) / width;
	p->block_nb = malloc((size_t)p->blocks * sizeof *p->block_nb);
	p->panel_off = malloc((size_t)p->blocks * sizeof *p->panel_off);
	if (!p->block_nb || !p->panel_off)
		return -1;
	int64_t elems = 0;
	for (int64_t b = 0; b < p->blocks; b++) {
		int64_t rest = p->ocg - b * width;
		p->block_nb[b] = rest >= width ? s->nb_max : (rest + s->lanes - 1) / s->lanes;
		p->panel_off[b] = elems;
		elems += p->kpad * p->block_nb[b] * s->lanes;
	}
	p->group_elems = elems;
	/* 64-byte aligned: a zmm weight load that straddles two cache lines costs two loads */
	size_t wbytes = (size_t)(groups * elems) * (size_t)s->elem_size;
	p->w = aligned_alloc(64, (wbytes + 63) & ~(size_t)63);
	p->bias = calloc((size_t)(groups * p->blocks * width), sizeof *p->bias);
	p->mult = calloc((size_t)(groups * p->blocks * width), sizeof *p->mult);
	if (!p->w || !p->bias || !p->mult)
		return -1;
	for (int64_t g = 0; g < groups; g++) {
		for (int64_t b = 0; b < p->blocks; b++) {
			int64_t oc0 = g * p->ocg + b * width;
			int64_t count = p->ocg - b * width < width ? p->ocg - b * width : width;
			int lanes = (int)p->block_nb[b] * s->lanes;
			const int8_t *src = w_ohwi + oc0 * p->im.k;
			int64_t at = g * elems + p->panel_off[b];
			if (s->elem_size == 1)
				qx_q8_pack_panel_s8(src, p->im.k, p->kpad, count, lanes, s->kgroup,
				                    (int8_t *)p->w + at);
			else
				qx_q8_pack_panel_s16(src, p->im.k, p->kpad, count, lanes, s->kgroup,
				                     (int16_t *)p->w + at);
			int64_t slot = (g * p->blocks + b) * width;
			for (int64_t j = 0; j < count; j++) {
				p->bias[slot + j] = folded[oc0 + j];
				p->mult[slot + j] = mult ? mult[oc0 + j] : 0.0f;
			}
		}
	}
	return 0;
}

/* Fills the block table, panels, bias and multipliers of p from w_ohwi / folded / mult.
 * mult may be NULL (gemm). The panels follow the gathered rows: segment s of output channel o
 * at s * seg_stride, zeros in the gaps. */
static int pack_panels(struct qx_q8_simd_conv *p, const int8_t *w_ohwi, const int32_t *folded,
                       const float *mult)
{
	const struct qx_q8_im2col *im = &p->im;
	int8_t *spread = NULL;
	if (im->seg_stride != im->seg_len) {
		spread = calloc((size_t)(p->d.oc * im->k), 1);
		if (!spread)
			return -1;
		for (int64_t o = 0; o < p->d.oc; o++)
			for (int64_t s = 0; s < im->segs; s++)
				memcpy(spread + o * im->k + s * im->seg_stride,
				       w_ohwi + o * p->k + s * im->seg_len, (size_t)im->seg_len);
		w_ohwi = spread;
	}
	int rc = pack_spread(p, w_ohwi, folded, mult);
	free(spread);
	return rc;
}

/* Sizes the tile buffer; returns whether it fits the stack budget. */
static int size_buffer(struct qx_q8_simd_conv *p)
{
	const struct qx_q8_simd_shape *s = &p->shape;
	p->mr = s->mr[p->block_nb[0]];
	/* zmm sets: output rows that split into tiles well under mr pixels (7 at mr 6: 4 + 3)
	 * spend a tile's weight loads on few pixels; tiles across rows, gathered, are faster
	 * there (64->128 @7x7, AVX512-VNNI: 86% -> 92% of the peak loop, build/q8_bench). The
	 * ymm sets' 7x7 rows measured 2% slower so, and the first-layer rows of one kgroup per
	 * kernel row run without tiles (row_k3): both keep the rows. */
	int64_t tiles = (p->d.ow + p->mr - 1) / p->mr;
	if (p->im.rowwise && s->lanes >= 16 && p->im.seg_stride > s->kgroup &&
	    4 * p->d.ow < 3 * tiles * p->mr)
		p->im.rowwise = 0;
	/* gathered bytes may overrun k by QX_Q8_COPY_SLACK; 16-bit rows are widened 16 at a time */
	size_t byte_row = (size_t)round_up(p->kpad + QX_Q8_COPY_SLACK, 64);
	if (s->elem_size == 1) {
		p->row_bytes = byte_row;
		p->buf_bytes = (size_t)p->mr * p->row_bytes;
	} else {
		p->row_bytes = (size_t)(round_up(p->kpad, 32) + 32) * 2;
		p->buf_bytes = (size_t)p->mr * p->row_bytes + byte_row;
	}
	p->prow_at = p->buf_bytes;
	if (p->im.rowwise) /* the padded input rows' cache after the tile rows */
		p->buf_bytes += (size_t)(p->im.prow_slots * round_up(p->im.prow_bytes, 64));
	return p->buf_bytes <= QX_Q8_STACK_BUF;
}

int qx_q8_simd_conv_pack(const struct qx_q8_simd_shape *shape, const struct qx_q8_conv_desc *d,
                         const int8_t *w_ohwi, const int32_t *bias, const float *multiplier,
                         void **packed)
{
	if (!qx_q8_conv_desc_valid(d))
		return -1;
	struct qx_q8_simd_conv *p = calloc(1, sizeof *p);
	if (p && qx_q8_dw_applies(d)) {
		p->shape = *shape;
		p->d = *d;
		p->dw = qx_q8_dw_pack(d, w_ohwi, bias, multiplier, 4);
		if (!p->dw) {
			qx_q8_simd_pack_free(p);
			return -1;
		}
		/* where the row form does not apply (or memory runs out) the per-pixel form runs */
		p->dw_rows = qx_q8_dw_rows_pack(d, w_ohwi, bias, multiplier, shape->lanes,
		                                shape->kgroup, shape->elem_size);
		*packed = p;
		return 0;
	}
	/* narrow groups: merged into vector-wide ones (the scalar fallback keeps the original) */
	const struct qx_q8_conv_desc *orig = d;
	const int8_t *orig_w = w_ohwi;
	struct qx_q8_conv_desc md;
	int8_t *merged_w = NULL;
	if (p && qx_q8_merge_groups(d, w_ohwi, shape->lanes, &md, &merged_w) != 0)
		goto fail_nomerge;
	if (merged_w)
		d = &md, w_ohwi = merged_w;
	int32_t *folded = malloc((size_t)d->oc * sizeof *folded);
	if (!p || !folded)
		goto fail;
	p->shape = *shape;
	p->d = *d;
	p->cg = qx_q8_cg(d);
	p->ocg = qx_q8_ocg(d);
	p->k = qx_q8_kdim(d);
	qx_q8_fold_bias(d, w_ohwi, bias, folded);
	if (qx_q8_im2col_init(&p->im, d, shape->kgroup) != 0)
		goto fail;
	p->pointwise = d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 &&
	               d->pl == 0 && d->pb == 0 && d->pr == 0 && d->groups == 1;
	if (p->pointwise)
		p->im.rowwise = 0;
	p->kpad = round_up(p->im.k, shape->kgroup);
	if (pack_panels(p, w_ohwi, folded, multiplier) != 0)
		goto fail;
	p->sat_clamp = qx_q8_sat_clamp_exact(multiplier, d->oc);
	/* A tile buffer over the stack budget comes from malloc at run time; should that fail,
	 * the run falls back to this scalar copy (conv cannot report errors). */
	if (!size_buffer(p) &&
	    qx_q8_scalar_conv_pack(orig, orig_w, bias, multiplier, &p->fallback) != 0)
		goto fail;
	free(folded);
	free(merged_w);
	*packed = p;
	return 0;
fail:
	free(folded);
	free(merged_w);
fail_nomerge:
	qx_q8_simd_pack_free(p);
	return -1;
}

int qx_q8_simd_gemm_pack(const struct qx_q8_simd_shape *shape, const struct qx_q8_gemm_desc *gd,
                         const int8_t *w_nk, void **packed)
{
	if (gd->n <= 0 || gd->k <= 0)
		return -1;
	struct qx_q8_simd_conv *p = calloc(1, sizeof *p);
	int32_t *rowsum = malloc((size_t)gd->n * sizeof *rowsum);
	if (!p || !rowsum)
		goto fail;
	p->shape = *shape;
	p->is_gemm = 1;
	p->d = (struct qx_q8_conv_desc){
		.n = 1, .h = 1, .w = 1, .c = gd->k, .oc = gd->n, .oh = 1, .ow = 1, .kh = 1, .kw = 1,
		.sh = 1, .sw = 1, .dh = 1, .dw = 1, .groups = 1, .out_max = 255,
	};
	p->cg = p->k = gd->k;
	p->ocg = gd->n;
	/* the zero point arrives at run time: keep the row sums, fold x_zp * rowsum per call */
	struct qx_q8_conv_desc unit_zp = p->d;
	unit_zp.in_zp = 1; /* folds to -rowsum */
	qx_q8_fold_bias(&unit_zp, w_nk, NULL, rowsum);
	for (int64_t j = 0; j < gd->n; j++)
		rowsum[j] = qx_q8_wrap(0u - (uint32_t)rowsum[j]);
	if (qx_q8_im2col_init(&p->im, &p->d, shape->kgroup) != 0)
		goto fail;
	p->kpad = round_up(p->im.k, shape->kgroup);
	if (pack_panels(p, w_nk, rowsum, NULL) != 0)
		goto fail;
	if (!size_buffer(p) && qx_q8_scalar_gemm_pack(gd, w_nk, &p->fallback) != 0)
		goto fail;
	free(rowsum);
	*packed = p;
	return 0;
fail:
	free(rowsum);
	qx_q8_simd_pack_free(p);
	return -1;
}

void qx_q8_simd_pack_free(void *packed)
{
	struct qx_q8_simd_conv *p = packed;
	if (!p)
		return;
	qx_q8_dw_free(p->dw);
	qx_q8_dw_rows_free(p->dw_rows);
	qx_q8_im2col_free(&p->im);
	qx_q8_scalar_pack_free(p->fallback);
	free(p->block_nb);
	free(p->panel_off);
	free(p->w);
	free(p->bias);
	free(p->mult);
	free(p);
}
