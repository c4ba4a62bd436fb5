/* NEON int8 pooling over NHWC: 16 channels per vector, output pixels [pix_begin, pix_end).
 * Channel tails go through 16-byte scratch copies so they run the same vector operations. */
#include "q8_neon.h"

#include <string.h>

/* The window of output pixel pix: image n, top-left input position (iy0, ix0). */
struct window {
	int64_t n, iy0, ix0;
};

static struct window window_of(const struct qx_q8_conv_desc *d, int64_t pix)
{
	int64_t ohw = d->oh * d->ow, rem = pix % ohw;
	struct window wd = { pix / ohw, rem / d->ow * d->sh - d->pt, rem % d->ow * d->sw - d->pl };
	return wd;
}

static int inside(const struct qx_q8_conv_desc *d, int64_t iy, int64_t ix)
{
	return iy >= 0 && iy < d->h && ix >= 0 && ix < d->w;
}

/* 16 channels (n of them real) from p; the rest of the vector is zero. */
static inline uint8x16_t load_channels(const uint8_t *p, int64_t n)
{
	if (n >= 16)
		return vld1q_u8(p);
	uint8_t tmp[16] = { 0 };
	memcpy(tmp, p, (size_t)n);
	return vld1q_u8(tmp);
}

static inline void store_channels(uint8_t *p, uint8x16_t v, int64_t n)
{
	if (n >= 16) {
		vst1q_u8(p, v);
		return;
	}
	uint8_t tmp[16];
	vst1q_u8(tmp, v);
	memcpy(p, tmp, (size_t)n);
}

/* Padding never wins: only taps inside the input take part; the running maximum starts at 0,
 * the least uint8, so a window with no input at all gives out_min after the clamp. */
void qx_q8_neon_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                        int64_t pix_begin, int64_t pix_end)
{
	const int64_t c = d->c;
	const uint8x16_t lo = vdupq_n_u8((uint8_t)d->out_min), hi = vdupq_n_u8((uint8_t)d->out_max);
	for (int64_t pix = pix_begin; pix < pix_end; pix++) {
		struct window wd = window_of(d, pix);
		const uint8_t *img = x + wd.n * d->h * d->w * c;
		for (int64_t c0 = 0; c0 < c; c0 += 16) {
			uint8x16_t m = vdupq_n_u8(0);
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = wd.iy0 + (int64_t)ky * d->dh;
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = wd.ix0 + (int64_t)kx * d->dw;
					if (inside(d, iy, ix))
						m = vmaxq_u8(m, load_channels(img + (iy * d->w + ix) * c + c0, c - c0));
				}
			}
			m = vminq_u8(vmaxq_u8(m, lo), hi);
			store_channels(y + pix * c + c0, m, c - c0);
		}
	}
}

/* Sums 16 channels over the inside taps of a window: uint16 partial sums (at most 257 taps of
 * 255 fit), widened into uint32 every 256 taps. */
static void window_sum16(const struct qx_q8_conv_desc *d, const uint8_t *img, struct window wd,
                         int64_t c0, uint32x4_t sum[4])
{
	const int64_t c = d->c;
	uint16x8_t part_lo = vdupq_n_u16(0), part_hi = vdupq_n_u16(0);
	int pending = 0;
	for (int i = 0; i < 4; i++)
		sum[i] = vdupq_n_u32(0);
	for (int ky = 0; ky < d->kh; ky++) {
		int64_t iy = wd.iy0 + (int64_t)ky * d->dh;
		for (int kx = 0; kx < d->kw; kx++) {
			int64_t ix = wd.ix0 + (int64_t)kx * d->dw;
			if (!inside(d, iy, ix))
				continue;
			uint8x16_t v = load_channels(img + (iy * d->w + ix) * c + c0, c - c0);
			part_lo = vaddw_u8(part_lo, vget_low_u8(v));
			part_hi = vaddw_high_u8(part_hi, v);
			if (++pending == 256) {
				sum[0] = vaddw_u16(sum[0], vget_low_u16(part_lo));
				sum[1] = vaddw_high_u16(sum[1], part_lo);
				sum[2] = vaddw_u16(sum[2], vget_low_u16(part_hi));
				sum[3] = vaddw_high_u16(sum[3], part_hi);
				part_lo = part_hi = vdupq_n_u16(0);
				pending = 0;
			}
		}
	}
	sum[0] = vaddw_u16(sum[0], vget_low_u16(part_lo));
	sum[1] = vaddw_high_u16(sum[1], part_lo);
	sum[2] = vaddw_u16(sum[2], vget_low_u16(part_hi));
	sum[3] = vaddw_high_u16(sum[3], part_hi);
}

/* The window's taps inside the input; with count_include_pad every tap of the window counts
 * (kh * kw, as the scalar reference), padded ones holding in_zp. */
static int64_t window_inside(const struct qx_q8_conv_desc *d, struct window wd)
{
	int64_t in = 0;
	for (int ky = 0; ky < d->kh; ky++) {
		int64_t iy = wd.iy0 + (int64_t)ky * d->dh;
		for (int kx = 0; kx < d->kw; kx++)
			in += inside(d, iy, wd.ix0 + (int64_t)kx * d->dw);
	}
	return in;
}

/* t = (float)(sum - cnt * in_zp) * (multiplier / (float)cnt), padded positions adding in_zp to
 * sum when counted, so the numerator is the inside sum minus inside count times in_zp. A window
 * with nothing counted gives 0 * inf = NaN, which the clamp turns into out_min (as scalar). */
void qx_q8_neon_avgpool(const struct qx_q8_conv_desc *d, int count_include_pad, float multiplier,
                        const uint8_t *x, uint8_t *y, int64_t pix_begin, int64_t pix_end)
{
	const int64_t c = d->c;
	const float32x4_t lo = vdupq_n_f32((float)(d->out_min - d->out_zp));
	const float32x4_t hi = vdupq_n_f32((float)(d->out_max - d->out_zp));
	const int32x4_t zp = vdupq_n_s32(d->out_zp);
	for (int64_t pix = pix_begin; pix < pix_end; pix++) {
		struct window wd = window_of(d, pix);
		const uint8_t *img = x + wd.n * d->h * d->w * c;
		int64_t n_inside = window_inside(d, wd);
		int64_t cnt = count_include_pad ? (int64_t)d->kh * d->kw : n_inside;
		const float32x4_t m = vdupq_n_f32(multiplier / (float)cnt);
		const int32x4_t zp_sum = vdupq_n_s32((int32_t)((uint32_t)n_inside * (uint32_t)d->in_zp));
		for (int64_t c0 = 0; c0 < c; c0 += 16) {
			uint32x4_t sum[4];
			window_sum16(d, img, wd, c0, sum);
			int32x4_t q[4];
			for (int i = 0; i < 4; i++)
				q[i] = qx_neon_requant_s32(vsubq_s32(vreinterpretq_s32_u32(sum[i]), zp_sum), m, lo,
				                           hi, zp);
			store_channels(y + pix * c + c0, qx_neon_narrow_u8(q[0], q[1], q[2], q[3]), c - c0);
		}
	}
}
