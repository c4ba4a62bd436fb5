/* fp32 max and average pooling over NCHW, scalar reference. Row r of the output is row
 * r % oh of plane r / oh (plane = image * channels + channel). */
#include "scalar/f32_scalar.h"

#include <math.h>

void qx_f32_scalar_maxpool(const struct qx_f32_conv_desc *d, const float *x, float *y,
                           int64_t row_begin, int64_t row_end)
{
	for (int64_t r = row_begin; r < row_end; r++) {
		int64_t oy = r % d->oh, plane = r / d->oh; /* plane = n * c + channel */
		const float *xp = x + plane * d->h * d->w;
		float *yr = y + r * d->ow;
		for (int64_t ox = 0; ox < d->ow; ox++) {
			float m = -INFINITY;
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				if (iy < 0 || iy >= d->h)
					continue;
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = ox * d->sw - d->pl + (int64_t)kx * d->dw;
					if (ix >= 0 && ix < d->w) {
						float v = xp[iy * d->w + ix];
						/* NaN propagates, as with ONNX Runtime and PyTorch */
						if (v > m || v != v)
							m = v;
					}
				}
			}
			yr[ox] = qx_f32_clamp(m, d->act_min, d->act_max);
		}
	}
}

/* Window counts follow PyTorch: with count_include_pad the window is clipped to the padded
 * input, without it to the input itself. */
void qx_f32_scalar_avgpool(const struct qx_f32_conv_desc *d, int count_include_pad,
                           const float *x, float *y, int64_t row_begin, int64_t row_end)
{
	for (int64_t r = row_begin; r < row_end; r++) {
		int64_t oy = r % d->oh, plane = r / d->oh;
		const float *xp = x + plane * d->h * d->w;
		float *yr = y + r * d->ow;
		for (int64_t ox = 0; ox < d->ow; ox++) {
			float sum = 0.0f;
			int64_t valid = 0, padded = 0;
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				int in_pad_y = iy >= -d->pt && iy < d->h + d->pb;
				for (int kx = 0; kx < d->kw; kx++) {
					int64_t ix = ox * d->sw - d->pl + (int64_t)kx * d->dw;
					padded += in_pad_y && ix >= -d->pl && ix < d->w + d->pr;
					if (iy >= 0 && iy < d->h && ix >= 0 && ix < d->w) {
						sum += xp[iy * d->w + ix];
						valid++;
					}
				}
			}
			int64_t count = count_include_pad ? padded : valid;
			float v = count ? sum / (float)count : 0.0f;
			yr[ox] = qx_f32_clamp(v, d->act_min, d->act_max);
		}
	}
}
