/* im2col for horizontal stride 2, part of f32_conv_template.h (included after
 * im2col_run_generic; the ops header comes first).
 *
 * Why: resnet18's downsampling convolutions (3x3 and 1x1, stride 2, at 14x14 -> 7x7 down to
 * 4x4 -> 2x2) ran at a third of the rate of its stride-1 layers, most of it in
 * im2col_run_generic, which works out a strided read's lane masks (f32_lanes2_make) for every
 * tap of every run. They depend only on the kernel column and the vector, so here they are
 * made once per run, F32_CONV_KW_MAX x F32_RV of them, and a tap costs its row check and one
 * f32v_load2 (two masked loads and a shuffle) per vector. The values gathered are the same. */

/* Taps [0, kc) of one run (stride 2, kw <= F32_CONV_KW_MAX), into dst as
 * im2col_run_generic writes them. */
static void im2col_run_s2(const struct conv_packed *p, float *dst, const float *x, int64_t img0,
                          const struct conv_run *run, const struct f32_tap *t, int64_t kc)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t xsize = d->n * d->c * p->hw, n = run->n;
	const int nv = (int)((n + F32_VL - 1) / F32_VL);
	struct f32_lanes2 l2[F32_CONV_KW_MAX][F32_RV];
	for (int kx = 0; kx < d->kw; kx++) {
		int64_t ix0 = run->ix0 + (int64_t)kx * d->dw;
		int64_t lo = ix0 < 0 ? (-ix0 + 1) / 2 : 0;
		int64_t hi = d->w - ix0 <= 0 ? 0 : (d->w - ix0 + 1) / 2;
		if (hi > n)
			hi = n;
		for (int v = 0; v < nv; v++)
			l2[kx][v] = f32_lanes2_make(lo - v * F32_VL, hi - v * F32_VL);
	}
	for (int64_t kk = 0; kk < kc; kk++, dst += F32_CONV_LDB, t++) {
		int64_t iy = run->iy0 + t->dy;
		if (iy < 0 || iy >= d->h) {
			for (int v = 0; v < nv; v++)
				f32v_storeu(dst + v * F32_VL, f32v_zero());
			continue;
		}
		int64_t e = img0 + t->plane + iy * d->w + run->ix0 + t->kx * d->dw;
		for (int v = 0; v < nv; v++)
			f32v_storeu(dst + v * F32_VL, f32v_load2(f32v_zero(), x, xsize, e + 2 * v * F32_VL,
			                                         &l2[t->kx][v]));
	}
}
