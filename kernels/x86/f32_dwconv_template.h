/* Depthwise convolution of small images with the channels across the lanes, part of
 * f32_conv_template.h (which includes it after struct conv_packed; the ops header comes first).
 *
 * Why: the zoo's depthwise layers run on 28x28 down to 2x2 images. Computing one channel's
 * plane at a time (conv_depthwise, conv_depthwise_flat) puts output pixels across the lanes,
 * so a 4x4 or 2x2 plane fills a vector poorly and per-plane setup (padding, row copies)
 * costs more than its few FMAs. Here F32_VL channels of one image are moved into a
 * zero-padded channels-last buffer, [hp][wp][F32_VL] (F32_VL x F32_VL blocks transposed in
 * registers: gathers took two thirds of the time), every output pixel is then kh * kw FMAs of
 * whole vectors (weights [tap][channel], packed once), with no edge cases for padding, stride or
 * dilation, and the [oh][ow][F32_VL] result is transposed back into the F32_VL NCHW planes. Used when
 * both buffers fit F32_DWCL_FLOATS (stack; the images the zoo has) and, with AVX-512, the
 * NCHW path (f32_dwtiny_template.h: stride 1, the input's size) does not take the layer;
 * larger images keep the per-plane code. Rows of a range that cover part of a plane (a thread pool's cut) run
 * through conv_depthwise. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "x86/f32_tile_template.h" /* F32_INLINE */

#define F32_DWCL_WRAP_TAPS 25 /* widest kernel (5x5) whose blocks may span two images */
#ifndef F32_DWCL_FLOATS
#define F32_DWCL_FLOATS 16384 /* floats per buffer (64 KiB): the padded input, the output */
#endif

static void conv_depthwise(const struct conv_packed *p, const float *x, float *y,
                           int64_t row_begin, int64_t row_end);

/* Whether F32_VL channels of d's padded input and of its output fit the buffers. Stride 1
 * only up to half of them: on larger images conv_depthwise_flat's per-plane setup is small
 * next to its FMAs; strided layers have no such path (conv_depthwise reads tap by tap). */
static int dwcl_fits(const struct qx_f32_conv_desc *d)
{
	int64_t hp = d->h + d->pt + d->pb, wp = d->w + d->pl + d->pr;
	int64_t cap = F32_DWCL_FLOATS / F32_VL / (d->sh == 1 && d->sw == 1 ? 2 : 1);
	return hp > 0 && wp > 0 && hp * wp <= cap && d->oh * d->ow <= cap;
}

/* [kh * kw + 1][c + F32_VL]: row t the weight of tap t per channel, the last row the biases;
 * F32_VL zeros after each row, so a vector load at any channel stays inside. NULL when out of
 * memory. */
static float *dwcl_pack(const struct qx_f32_conv_desc *d, const float *w_oihw, const float *bias)
{
	int64_t taps = (int64_t)d->kh * d->kw, ld = d->c + F32_VL;
	float *w = calloc((size_t)((taps + 1) * ld), sizeof *w);
	if (!w)
		return NULL;
	for (int64_t c = 0; c < d->c; c++) {
		for (int64_t t = 0; t < taps; t++)
			w[t * ld + c] = w_oihw[c * taps + t];
		w[taps * ld + c] = bias ? bias[c] : 0.0f;
	}
	return w;
}

/* out[oy][ox][F32_VL] = clamp(bias + sum over the taps of in * w) for F32_VL channels of the
 * padded channels-last input in ([hp][wp][F32_VL]); wt: the weights at the block's first
 * channel (tap t at wt[t * ld], the biases after the last tap). With KH, KW constant (3x3,
 * 5x5) the tap weights stay in registers, and U output pixels of a row run side by side: U
 * independent FMA chains instead of one that waits on each FMA's latency. */
F32_INLINE void dwcl_compute(const int KH, const int KW, const int U,
                             const struct qx_f32_conv_desc *d, const float *in, int64_t wp,
                             const float *wt, int64_t ld, float *out)
{
	const f32v bias = f32v_loadu(wt + (int64_t)KH * KW * ld);
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	const int held = U > 1; /* the constant shapes: weights in registers */
	f32v w[25];
	if (held)
#pragma GCC unroll 25
		for (int t = 0; t < KH * KW; t++)
			w[t] = f32v_loadu(wt + t * ld);
	const int64_t px = d->sw * F32_VL; /* next output pixel's window, in floats */
	for (int64_t oy = 0; oy < d->oh; oy++) {
		const float *rowin = in + oy * d->sh * wp * F32_VL;
		float *rowout = out + oy * d->ow * F32_VL;
		int64_t ox = 0;
		for (; U > 1 && ox + U <= d->ow; ox += U) {
			const float *win = rowin + ox * px;
			f32v acc[4];
			/* unrolled, so that acc[] lives in registers (a loop over u kept it on the stack:
			 * a store and a reload around every FMA) */
#pragma GCC unroll 4
			for (int u = 0; u < U; u++)
				acc[u] = bias;
#pragma GCC unroll 5
			for (int ky = 0; ky < KH; ky++)
#pragma GCC unroll 5
				for (int kx = 0; kx < KW; kx++) {
					const float *tap = win + ((int64_t)ky * d->dh * wp + (int64_t)kx * d->dw) * F32_VL;
#pragma GCC unroll 4
					for (int u = 0; u < U; u++)
						acc[u] = f32v_fmadd(f32v_loadu(tap + u * px), w[ky * KW + kx], acc[u]);
				}
#pragma GCC unroll 4
			for (int u = 0; u < U; u++)
				f32v_storeu(rowout + (ox + u) * F32_VL, f32v_clamp(acc[u], lo, hi));
		}
		for (; ox < d->ow; ox++) {
			const float *win = rowin + ox * px;
			f32v acc = bias;
			for (int ky = 0; ky < KH; ky++)
				for (int kx = 0; kx < KW; kx++) {
					const float *tap = win + ((int64_t)ky * d->dh * wp + (int64_t)kx * d->dw) * F32_VL;
					acc = f32v_fmadd(f32v_loadu(tap),
					                 held ? w[ky * KW + kx] : f32v_loadu(wt + (ky * KW + kx) * ld),
					                 acc);
				}
			f32v_storeu(rowout + ox * F32_VL, f32v_clamp(acc, lo, hi));
		}
	}
}

/* Planes [img * c + ch0, + nc) (nc <= F32_VL; past channel c - 1 they are the next image's),
 * every output row. */
static void dwcl_block(const struct conv_packed *p, const float *x, float *y, int64_t img,
                       int64_t ch0, int64_t nc)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t hp = d->h + d->pt + d->pb, wp = d->w + d->pl + d->pr;
	const int64_t ld = d->c + F32_VL, ohw = d->oh * d->ow;
	_Alignas(64) float in[F32_DWCL_FLOATS];
	_Alignas(64) float out[F32_DWCL_FLOATS];
	const float *xb = x + (img * d->c + ch0) * p->hw;
	/* zeros in the padding only (the transpose below writes every pixel inside): whole rows
	 * above and below, the pl and pr columns of the rows between */
	for (int64_t py = 0; py < hp && hp * wp > p->hw; py++) {
		int inside = py >= d->pt && py < d->pt + d->h;
		float *row = in + py * wp * F32_VL;
		for (int64_t px = 0; px < (inside ? d->pl : wp); px++)
			f32v_storeu(row + px * F32_VL, f32v_zero());
		for (int64_t px = d->pl + d->w; inside && px < wp; px++)
			f32v_storeu(row + px * F32_VL, f32v_zero());
	}
	/* F32_VL pixels of every channel at a time, transposed in registers */
	int64_t iy = 0, ix = 0;
	for (int64_t p0 = 0; p0 < p->hw; p0 += F32_VL) {
		int64_t np = p->hw - p0 < F32_VL ? p->hw - p0 : F32_VL;
		f32v r[F32_VL];
		for (int c = 0; c < F32_VL; c++)
			r[c] = c < nc ? f32v_load_first(xb + c * p->hw + p0, np) : f32v_zero();
		f32v_transpose(r);
		for (int64_t j = 0; j < np; j++) {
			f32v_storeu(in + ((iy + d->pt) * wp + ix + d->pl) * F32_VL, r[j]);
			if (++ix == d->w)
				ix = 0, iy++;
		}
	}
	const float *wt = p->dwcl + ch0;
	int64_t wld = ld;
	_Alignas(64) float wrap[(F32_DWCL_WRAP_TAPS + 1) * F32_VL];
	if (ch0 + nc > d->c) {
		/* the block runs on into the next image: lane c is channel (ch0 + c) mod C */
		const int64_t taps = (int64_t)d->kh * d->kw;
		for (int64_t t = 0; t <= taps; t++)
			for (int64_t c = 0; c < F32_VL; c++)
				wrap[t * F32_VL + c] = c < nc ? p->dwcl[t * ld + (ch0 + c) % d->c] : 0.0f;
		wt = wrap;
		wld = F32_VL;
	}
	if (d->kh == 3 && d->kw == 3)
		dwcl_compute(3, 3, 4, d, in, wp, wt, wld, out);
	else if (d->kh == 5 && d->kw == 5)
		dwcl_compute(5, 5, 2, d, in, wp, wt, wld, out);
	else
		dwcl_compute(d->kh, d->kw, 1, d, in, wp, wt, wld, out);
	float *yb = y + (img * d->c + ch0) * ohw;
	for (int64_t j0 = 0; j0 < ohw; j0 += F32_VL) {
		int64_t n = ohw - j0 < F32_VL ? ohw - j0 : F32_VL;
		f32v r[F32_VL];
		for (int j = 0; j < F32_VL; j++)
			r[j] = j < n ? f32v_loadu(out + (j0 + j) * F32_VL) : f32v_zero();
		f32v_transpose(r);
		for (int64_t c = 0; c < nc; c++)
			f32v_store_first(yb + c * ohw + j0, r[c], n);
	}
}

/* Rows [row_begin, row_end) of n * c * oh: whole planes in blocks of up to F32_VL consecutive
 * planes, the rows of a plane the range cuts through by conv_depthwise. */
static void conv_depthwise_cl(const struct conv_packed *p, const float *x, float *y,
                              int64_t row_begin, int64_t row_end)
{
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t r = row_begin;
	while (r < row_end) {
		int64_t plane = r / d->oh, plane_end = (plane + 1) * d->oh;
		if (r % d->oh != 0 || plane_end > row_end) {
			int64_t e = plane_end < row_end ? plane_end : row_end;
			conv_depthwise(p, x, y, r, e);
			r = e;
			continue;
		}
		int64_t img = plane / d->c, ch = plane % d->c;
		int64_t nc = (row_end - r) / d->oh;
		/* a block may run on into the next image's first channels (planes are consecutive
		 * in memory either way): 8 or 24 channels would leave lanes idle in every block
		 * (dwcl_block then gathers the weights per lane, for kernels of up to
		 * F32_DWCL_WRAP_TAPS taps) */
		if (nc > d->c - ch && (int64_t)d->kh * d->kw > F32_DWCL_WRAP_TAPS)
			nc = d->c - ch;
		if (nc > F32_VL)
			nc = F32_VL;
		dwcl_block(p, x, y, img, ch, nc);
		r += nc * d->oh;
	}
}
