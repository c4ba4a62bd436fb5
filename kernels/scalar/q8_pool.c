/* int8 pooling over NHWC, scalar reference (also used by the SIMD sets: pools are a small part
 * of a network's time, and one implementation cannot disagree with itself). */
#include "q8_common.h"


void qx_q8_scalar_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                          int64_t pix_begin, int64_t pix_end)
{
	int64_t c = d->c;
	for (int64_t pix = pix_begin; pix < pix_end; pix++) {
		int64_t ox = pix % d->ow, oy = pix / d->ow % d->oh, n = pix / (d->ow * d->oh);
		uint8_t *out = y + pix * c;
		memset(out, 0, (size_t)c); /* padding never wins: 0 is below every input */
		for (int ky = 0; ky < d->kh; ky++) {
			int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
			if (iy < 0 || iy >= d->h)
				continue;
			for (int kx = 0; kx < d->kw; kx++) {
				int64_t ix = ox * d->sw - d->pl + (int64_t)kx * d->dw;
				if (ix < 0 || ix >= d->w)
					continue;
				const uint8_t *in = x + ((n * d->h + iy) * d->w + ix) * c;
				for (int64_t ch = 0; ch < c; ch++)
					out[ch] = in[ch] > out[ch] ? in[ch] : out[ch];
			}
		}
		for (int64_t ch = 0; ch < c; ch++) {
			uint8_t v = out[ch] < d->out_min ? (uint8_t)d->out_min : out[ch];
			out[ch] = v > d->out_max ? (uint8_t)d->out_max : v;
		}
	}
}

/* Channels go in chunks of SUM_CHUNK so the sums live on the stack. */
#define SUM_CHUNK 256

void qx_q8_scalar_avgpool(const struct qx_q8_conv_desc *d, int count_include_pad,
                          float multiplier, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                          int64_t pix_end)
{
	int64_t c = d->c;
	float lo = (float)(d->out_min - d->out_zp), hi = (float)(d->out_max - d->out_zp);
	uint32_t sum[SUM_CHUNK];
	for (int64_t pix = pix_begin; pix < pix_end; pix++) {
		int64_t ox = pix % d->ow, oy = pix / d->ow % d->oh, n = pix / (d->ow * d->oh);
		for (int64_t c0 = 0; c0 < c; c0 += SUM_CHUNK) {
			int64_t cc = c - c0 < SUM_CHUNK ? c - c0 : SUM_CHUNK, valid = 0;
			memset(sum, 0, sizeof sum);
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				if (iy < 0 || iy >= d->h)
					continue;
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = ox * d->sw - d->pl + (int64_t)kx * d->dw;
					if (ix < 0 || ix >= d->w)
						continue;
					const uint8_t *in = x + ((n * d->h + iy) * d->w + ix) * c + c0;
					for (int64_t ch = 0; ch < cc; ch++)
						sum[ch] += in[ch];
					valid++;
				}
			}
			/* padded positions hold in_zp: they add nothing to sum - cnt * in_zp, only
			 * to cnt */
			int64_t cnt = count_include_pad ? (int64_t)d->kh * d->kw : valid;
			float m = multiplier / (float)cnt;
			uint32_t zp_total = (uint32_t)valid * (uint32_t)d->in_zp;
			for (int64_t ch = 0; ch < cc; ch++)
				y[pix * c + c0 + ch] = qx_q8_requant1(qx_q8_wrap(sum[ch] - zp_total), m,
				                                      lo, hi, d->out_zp);
		}
	}
}
