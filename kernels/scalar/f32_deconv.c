/* 2-D ConvTranspose for float, scalar (kernels/nd_ops.h): each input pixel scatters its
 * weighted kernel into the output; pads crop the full output at the top / left, and the
 * output size (given by the caller) crops or extends (output_padding) it at the bottom / right. */
#include "nd_ops.h"

void qx_nd_deconv_f32(const struct qx_nd_deconv_desc *d, const float *x, const float *w,
                      const float *bias, float *y)
{
	int64_t cg = d->c / d->groups, ocg = d->oc / d->groups;
	int64_t plane = d->oh * d->ow;
	for (int64_t b = 0; b < d->n; b++) {
		float *yb = y + b * d->oc * plane;
		for (int64_t o = 0; o < d->oc; o++)
			for (int64_t j = 0; j < plane; j++)
				yb[o * plane + j] = bias ? bias[o] : 0.0f;
		for (int64_t ci = 0; ci < d->c; ci++) {
			int64_t g = ci / cg;
			const float *xp = x + (b * d->c + ci) * d->h * d->w;
			for (int64_t oo = 0; oo < ocg; oo++) {
				int64_t o = g * ocg + oo;
				const float *wk = w + (ci * ocg + oo) * d->kh * d->kw;
				float *yp = yb + o * plane;
				for (int64_t iy = 0; iy < d->h; iy++)
					for (int ky = 0; ky < d->kh; ky++) {
						int64_t oy = iy * d->sh + (int64_t)ky * d->dh - d->pt;
						if (oy < 0 || oy >= d->oh)
							continue;
						for (int64_t ix = 0; ix < d->w; ix++) {
							float v = xp[iy * d->w + ix];
							for (int kx = 0; kx < d->kw; kx++) {
								int64_t ox = ix * d->sw + (int64_t)kx * d->dw - d->pl;
								if (ox >= 0 && ox < d->ow)
									yp[oy * d->ow + ox] += v * wk[ky * d->kw + kx];
							}
						}
					}
			}
		}
	}
}
