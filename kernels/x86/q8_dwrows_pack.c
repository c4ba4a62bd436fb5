/* Pack-time code of the row form of a depthwise convolution (struct qx_q8_dw_rows in
 * q8_common.h), for the x86 vpdpbusd sets. Baseline C: it runs once per model. */
#include "q8_common.h"

#include <stdlib.h>

#define DW_ROWS_TABLES_MAX (256 << 10) /* bytes of weight tables: beyond, the per-pixel form */

static int64_t gcd(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

void qx_q8_dw_rows_free(struct qx_q8_dw_rows *p)
{
	if (!p)
		return;
	free(p->w);
	free(p->bias);
	free(p->mult);
	free(p->zp_row);
	free(p);
}

struct qx_q8_dw_rows *qx_q8_dw_rows_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                                         const int32_t *bias, const float *multiplier,
                                         int64_t blk)
{
	if (!qx_q8_dw_applies(d) || d->sw > 2 || blk % 4 != 0 ||
	    d->kh > QX_Q8_DW_ROWS_KH_MAX)
		return NULL;
	int64_t c = d->c, taps = (int64_t)d->kh * d->kw, lanes = blk / 4;
	int64_t period = c / gcd(c, blk) * blk;
	if (period > DW_ROWS_TABLES_MAX / 4 / taps)
		return NULL;
	struct qx_q8_dw_rows *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->d = *d;
	p->blk = blk;
	p->period = period;
	int64_t padded = d->w + d->pl + d->pr;
	if (d->sw == 1) {
		p->row_bytes = padded * c + blk;
	} else {
		p->half = (padded + 1) / 2 * c + blk;
		p->row_bytes = 2 * p->half;
	}
	int32_t *folded = malloc((size_t)c * sizeof *folded);
	/* 64-byte aligned: a zmm load never straddles two cache lines */
	p->w = aligned_alloc(64, (size_t)(taps * period * 4));
	p->bias = aligned_alloc(64, (size_t)period * sizeof *p->bias);
	p->mult = aligned_alloc(64, (size_t)period * sizeof *p->mult);
	p->zp_row = malloc((size_t)p->row_bytes);
	if (!folded || !p->w || !p->bias || !p->mult || !p->zp_row) {
		free(folded);
		qx_q8_dw_rows_free(p);
		return NULL;
	}
	qx_q8_fold_bias(d, w_ohwi, bias, folded);
	memset(p->zp_row, d->in_zp, (size_t)p->row_bytes);
	memset(p->w, 0, (size_t)(taps * period * 4));
	for (int64_t b = 0; b < period / blk; b++)
		for (int64_t j = 0; j < 4; j++)
			for (int64_t i = 0; i < lanes; i++) {
				int64_t ch = (b * blk + 4 * i + j) % c;
				p->bias[b * blk + j * lanes + i] = folded[ch];
				p->mult[b * blk + j * lanes + i] = multiplier[ch];
				for (int64_t t = 0; t < taps; t++) /* OHWI with one input channel */
					p->w[(t * period + b * blk) * 4 + j * blk + 4 * i + j] =
						w_ohwi[ch * taps + t];
			}
	free(folded);
	return p;
}
