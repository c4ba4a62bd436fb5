/* Pack-time code for depthwise and grouped convolutions, shared by every SIMD set
 * (kernels/q8_common.h). Baseline C: it runs once per model. */
#include "q8_common.h"

#include <stdlib.h>

int qx_q8_dw_applies(const struct qx_q8_conv_desc *d)
{
	return qx_q8_conv_desc_valid(d) && d->groups == d->c && d->oc == d->c &&
	       (int64_t)d->kh * d->kw <= QX_Q8_DW_TAPS_MAX && d->h * d->w * d->c <= INT32_MAX;
}

void qx_q8_dw_free(struct qx_q8_dw *p)
{
	if (!p)
		return;
	free(p->w);
	free(p->bias);
	free(p->mult);
	free(p->zp_row);
	free(p);
}

struct qx_q8_dw *qx_q8_dw_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                               const int32_t *bias, const float *multiplier, int welem)
{
	struct qx_q8_dw *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	int64_t taps = (int64_t)d->kh * d->kw;
	p->d = *d;
	p->welem = welem;
	p->cpad = (d->c + QX_Q8_DW_CBLOCK - 1) / QX_Q8_DW_CBLOCK * QX_Q8_DW_CBLOCK;
	/* 64-byte aligned rows: a weight vector load never straddles two cache lines */
	p->w = aligned_alloc(64, (size_t)(taps * p->cpad * welem));
	p->bias = calloc((size_t)p->cpad, sizeof *p->bias);
	p->mult = calloc((size_t)p->cpad, sizeof *p->mult);
	p->zp_row = malloc((size_t)p->cpad);
	if (!p->w || !p->bias || !p->mult || !p->zp_row) {
		qx_q8_dw_free(p);
		return NULL;
	}
	memset(p->zp_row, d->in_zp, (size_t)p->cpad);
	qx_q8_fold_bias(d, w_ohwi, bias, p->bias);
	memcpy(p->mult, multiplier, (size_t)d->c * sizeof *p->mult);
	for (int64_t t = 0; t < taps; t++)
		for (int64_t c = 0; c < p->cpad; c++) {
			int32_t v = c < d->c ? w_ohwi[c * taps + t] : 0; /* OHWI with one input channel */
			if (welem == 4)
				((int32_t *)p->w)[t * p->cpad + c] = v;
			else
				((int16_t *)p->w)[t * p->cpad + c] = (int16_t)v;
		}
	return p;
}

int qx_q8_merge_groups(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi, int lanes,
                       struct qx_q8_conv_desc *md, int8_t **merged_w)
{
	*md = *d;
	*merged_w = NULL;
	if (d->groups <= 1 || !qx_q8_conv_desc_valid(d))
		return 0;
	int64_t cg = qx_q8_cg(d), ocg = qx_q8_ocg(d), taps = (int64_t)d->kh * d->kw;
	int64_t f = 1;
	for (int64_t div = 2; div <= d->groups && div * ocg <= lanes; div++)
		if (d->groups % div == 0)
			f = div;
	if (f == 1)
		return 0;
	int64_t mcg = f * cg;
	int8_t *w = calloc((size_t)(d->oc * taps * mcg), 1);
	if (!w)
		return -1;
	for (int64_t o = 0; o < d->oc; o++) {
		int64_t slot = o / ocg % f; /* which of the merged groups o belongs to */
		for (int64_t t = 0; t < taps; t++)
			memcpy(w + (o * taps + t) * mcg + slot * cg, w_ohwi + (o * taps + t) * cg,
			       (size_t)cg);
	}
	md->groups = (int)(d->groups / f);
	*merged_w = w;
	return 0;
}
