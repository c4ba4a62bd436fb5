/* Pack-time helpers shared by every int8 kernel set (see kernels/q8_common.h). Baseline C. */
#include "q8_common.h"

#include <stdlib.h>

int qx_q8_conv_desc_valid(const struct qx_q8_conv_desc *d)
{
	if (d->n < 0 || d->h <= 0 || d->w <= 0 || d->c <= 0 || d->oc <= 0 || d->oh <= 0 || d->ow <= 0)
		return 0;
	if (d->kh <= 0 || d->kw <= 0 || d->sh <= 0 || d->sw <= 0 || d->dh <= 0 || d->dw <= 0)
		return 0;
	if (d->pt < 0 || d->pl < 0 || d->pb < 0 || d->pr < 0 || d->groups <= 0)
		return 0;
	if (d->c % d->groups || d->oc % d->groups)
		return 0;
	if (d->in_zp < 0 || d->in_zp > 255 || d->out_zp < 0 || d->out_zp > 255)
		return 0;
	if (d->out_min < 0 || d->out_min > d->out_max || d->out_max > 255)
		return 0;
	if (d->in_u7 != 0 && (d->in_u7 != 1 || d->in_zp > 127))
		return 0;
	return 1;
}

void qx_q8_fold_bias(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi, const int32_t *bias,
                     int32_t *folded)
{
	int64_t k = qx_q8_kdim(d);
	for (int64_t o = 0; o < d->oc; o++) {
		uint32_t sum = 0;
		for (int64_t i = 0; i < k; i++)
			sum += (uint32_t)(int32_t)w_ohwi[o * k + i];
		uint32_t b = bias ? (uint32_t)bias[o] : 0;
		folded[o] = qx_q8_wrap(b - (uint32_t)d->in_zp * sum);
	}
}

int qx_q8_im2col_init(struct qx_q8_im2col *im, const struct qx_q8_conv_desc *d, int kgroup)
{
	memset(im, 0, sizeof *im);
	int64_t cg = qx_q8_cg(d);
	im->img_bytes = d->h * d->w * d->c;
	if (im->img_bytes > INT32_MAX)
		return -1;
	im->row_segments = d->groups == 1 && (d->dw == 1 || d->kw == 1);
	im->segs = im->row_segments ? d->kh : (int64_t)d->kh * d->kw;
	im->seg_len = im->row_segments ? d->kw * d->c : cg;
	im->seg_stride = (im->seg_len + kgroup - 1) / kgroup * kgroup;
	im->k = im->segs * im->seg_stride;
	/* padded rows pay off when an output row fills a few tiles */
	im->rowwise = im->row_segments && d->ow >= 4;
	im->prow_bytes = (d->pl + d->w + d->pr) * d->c + QX_Q8_COPY_SLACK;
	im->prow_slots = d->kh * d->dh;
	if (im->prow_slots > 64)
		im->rowwise = 0;
	int64_t zp_bytes = (im->seg_len > im->prow_bytes ? im->seg_len : im->prow_bytes) +
	                   QX_Q8_COPY_SLACK;
	im->off = malloc((size_t)(d->oh * d->ow * im->segs) * sizeof *im->off);
	im->zp_row = malloc((size_t)zp_bytes);
	if (!im->off || !im->zp_row) {
		qx_q8_im2col_free(im);
		return -1;
	}
	memset(im->zp_row, d->in_zp, (size_t)zp_bytes);
	int32_t *off = im->off;
	for (int64_t oy = 0; oy < d->oh; oy++) {
		for (int64_t ox = 0; ox < d->ow; ox++) {
			int64_t iy0 = oy * d->sh - d->pt, ix0 = ox * d->sw - d->pl;
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = iy0 + (int64_t)ky * d->dh;
				int row_in = iy >= 0 && iy < d->h;
				if (im->row_segments) {
					int64_t ix_last = ix0 + (int64_t)(d->kw - 1) * d->dw;
					if (!row_in)
						*off++ = QX_Q8_SEG_PAD;
					else if (ix0 >= 0 && ix_last < d->w)
						*off++ = (int32_t)((iy * d->w + ix0) * d->c);
					else
						*off++ = QX_Q8_SEG_PARTIAL;
					continue;
				}
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = ix0 + (int64_t)kx * d->dw;
					if (row_in && ix >= 0 && ix < d->w)
						*off++ = (int32_t)((iy * d->w + ix) * d->c);
					else
						*off++ = QX_Q8_SEG_PAD;
				}
			}
		}
	}
	return 0;
}

void qx_q8_im2col_free(struct qx_q8_im2col *im)
{
	free(im->off);
	free(im->zp_row);
	im->off = NULL;
	im->zp_row = NULL;
}

void qx_q8_pack_panel_s8(const int8_t *w, int64_t k, int64_t kpad, int64_t count, int lanes,
                         int kgroup, int8_t *out)
{
	for (int64_t q = 0; q < kpad / kgroup; q++)
		for (int lane = 0; lane < lanes; lane++)
			for (int j = 0; j < kgroup; j++) {
				int64_t kk = q * kgroup + j;
				*out++ = lane < count && kk < k ? w[lane * k + kk] : 0;
			}
}

void qx_q8_pack_panel_s16(const int8_t *w, int64_t k, int64_t kpad, int64_t count, int lanes,
                          int kgroup, int16_t *out)
{
	for (int64_t q = 0; q < kpad / kgroup; q++)
		for (int lane = 0; lane < lanes; lane++)
			for (int j = 0; j < kgroup; j++) {
				int64_t kk = q * kgroup + j;
				*out++ = lane < count && kk < k ? w[lane * k + kk] : 0;
			}
}
