/* NEON depthwise convolution (channel multiplier 1; kernels/q8_common.h packs it with int16
 * weights): per output pixel, the kh * kw tap addresses (the input pixel or the in_zp row),
 * then per 16 channels one vmlal_s16 pair per tap and half on the zero-extended inputs
 * (x <= 255 is exact as int16; x * w fits int32), and the set's shared requantization. The
 * folded bias starts the sum, so padded taps reading in_zp contribute exactly 0, as in scalar. */
#include "q8_neon.h"
#include "q8_common.h"

#include <string.h>

/* 16 channels at c0 of one pixel (tap t reads src[t] + at); count channels stored. */
static inline __attribute__((always_inline)) void dw_block16(const struct qx_q8_dw *p,
                                                             const uint8_t *const *src, int64_t at,
                                                             int taps, int64_t c0, uint8_t *y,
                                                             int64_t count)
{
	const int16_t *w = (const int16_t *)p->w + c0;
	int32x4_t a0 = vld1q_s32(p->bias + c0), a1 = vld1q_s32(p->bias + c0 + 4);
	int32x4_t a2 = vld1q_s32(p->bias + c0 + 8), a3 = vld1q_s32(p->bias + c0 + 12);
	for (int t = 0; t < taps; t++, w += p->cpad) {
		uint8x16_t xb = vld1q_u8(src[t] + at);
		int16x8_t x0 = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(xb)));
		int16x8_t x1 = vreinterpretq_s16_u16(vmovl_high_u8(xb));
		int16x8_t w0 = vld1q_s16(w), w1 = vld1q_s16(w + 8);
		a0 = vmlal_s16(a0, vget_low_s16(x0), vget_low_s16(w0));
		a1 = vmlal_high_s16(a1, x0, w0);
		a2 = vmlal_s16(a2, vget_low_s16(x1), vget_low_s16(w1));
		a3 = vmlal_high_s16(a3, x1, w1);
	}
	const struct qx_q8_conv_desc *d = &p->d;
	float32x4_t lo = vdupq_n_f32((float)(d->out_min - d->out_zp));
	float32x4_t hi = vdupq_n_f32((float)(d->out_max - d->out_zp));
	int32x4_t zp = vdupq_n_s32(d->out_zp);
	const float *m = p->mult + c0;
	uint8x16_t q = qx_neon_narrow_u8(qx_neon_requant_s32(a0, vld1q_f32(m), lo, hi, zp),
	                                 qx_neon_requant_s32(a1, vld1q_f32(m + 4), lo, hi, zp),
	                                 qx_neon_requant_s32(a2, vld1q_f32(m + 8), lo, hi, zp),
	                                 qx_neon_requant_s32(a3, vld1q_f32(m + 12), lo, hi, zp));
	if (count == 16) {
		vst1q_u8(y, q);
	} else {
		uint8_t out[16];
		vst1q_u8(out, q);
		memcpy(y, out, (size_t)count);
	}
}

void qx_neon_dw_run(const struct qx_q8_dw *p, const uint8_t *x, uint8_t *y, int64_t begin,
                    int64_t end)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const int64_t c = d->c, full = c / 16 * 16, rest = c - full;
	const int taps = d->kh * d->kw;
	const uint8_t *x_end = x + d->n * d->h * d->w * c;
	const uint8_t *src[QX_Q8_DW_TAPS_MAX], *tail_src[QX_Q8_DW_TAPS_MAX];
	uint8_t tail[QX_Q8_DW_TAPS_MAX][16];
	if (rest)
		memset(tail, 0, sizeof tail); /* lanes past c: defined, and never stored */
	struct qx_q8_dw_cursor cur = qx_q8_dw_cursor_at(d, begin);
	for (int64_t pix = begin; pix < end; pix++) {
		qx_q8_dw_taps(p, x, &cur, src);
		uint8_t *out = y + pix * c;
		for (int64_t c0 = 0; c0 < full; c0 += 16)
			dw_block16(p, src, c0, taps, c0, out + c0, 16);
		if (rest) {
			qx_q8_dw_tail(p, src, full, 16, x_end, &tail[0][0], tail_src);
			dw_block16(p, tail_src, 0, taps, full, out + full, rest);
		}
	}
}
