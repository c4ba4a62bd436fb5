/* fp32 2-D convolution over NCHW, written once for the x86 SIMD sets: the including file
 * includes its ops header (avx2/f32_avx2_ops.h or avx512vnni/f32_avx512f_ops.h) first.
 *
 * Per group, y[oc_g][pixels] = W[oc_g][K] x col[K][pixels] with K = c_g * kh * kw. Weights are
 * packed once into panels of F32_MR output channels, [K][F32_MR] each, so the micro-kernel
 * broadcasts them; output pixels run across the vector lanes, so results are stored straight
 * into NCHW rows. The pixels of a call are numbered across the batch (image * oh * ow + pixel)
 * and cut into strips of F32_SW: a strip may span images, which keeps the lanes full when a
 * feature map is small (7x7 = 49 pixels). Each strip is gathered (im2col) into a stack buffer,
 * K in chunks of at most F32_CONV_KC (one chunk up to 3x3 x 64 channels: partial sums through y
 * cost more than the bigger buffer), then every panel of output channels runs over it. The
 * kernel never allocates (it needs about F32_CONV_KC * (F32_SW + F32_VL) * 4 bytes of stack:
 * 147 KiB for AVX-512, 74 KiB for AVX2) and disjoint ranges may run concurrently. A strip that
 * lies inside one image is stored directly (bias, FMAs and clamp in registers); one that
 * crosses an image or the range's end goes through a staging tile.
 *
 * Stride-1 convolutions of one group whose images fill the lanes take the row-copy path
 * instead (rowcopy_plan below): the input rows are copied once per kernel column, shifted,
 * and the same micro-kernel reads each tap's pixel vectors at a fixed offset into that copy,
 * with no im2col; a single input channel 3x3 (a first layer) has its own loop
 * (conv_rowcopy_k9). Its buffer, F32_ROWS_BUF, takes about 168 KiB of stack, never at the
 * same time as im2col's. With AVX-512, "same"-padded 3-wide kernels over more than one channel
 * take the same-3x3 layout instead (f32_conv3x3_template.h: one copy per input row, the edge
 * columns masked in the micro-tile; in the same buffer).
 *
 * Small output images (at most 64 pixels: squeezenet's and resnet18's last stages) take the
 * direct path of f32_smallconv_template.h instead of all of these when its rule holds
 * (sc_fits): output channels across the lanes, only the taps inside the image. */
#include "x86/f32_tile_template.h"

#include <stdlib.h>
#include <string.h>

#include "kernels_f32.h"

#ifndef F32_CONV_KC
#define F32_CONV_KC 576        /* k rows of the im2col buffer */
#endif
#define F32_CONV_LDB (F32_SW + F32_VL) /* floats per im2col row: a strip's lanes, then slack */
#define F32_CONV_KW_MAX 8      /* widest kernel row with precomputed lane masks */
#define QX_F32_DW_TAPS_MAX 64  /* kh * kw above this: conv_depthwise, tap by tap */
/* Strips of at most this many pixels run conv_strip_gemv, not the micro-tile. */
#if F32_MR == 8
#define F32_GEMV_MAX 8 /* 8 FMAs of 8 lanes beat the tile's 8 of 16 lanes */
#elif F32_MR == 4
#define F32_GEMV_MAX 2 /* 4-lane FMAs beat the tile's 4 of 8 lanes only when few */
#endif
#ifndef F32_CONV_AHEAD
#define F32_CONV_AHEAD 16       /* channels ahead that im2col prefetches */
#endif

/* One k of a group's GEMM depth: kernel tap (ky, kx) of input channel ic. */
struct f32_tap {
	int64_t dy;       /* ky * dh */
	int64_t kx;
	int64_t plane;    /* ic * h * w: the channel's plane within the group's first */
	int64_t off;      /* plane + dy * w + kx * dw: the tap's input, from the window's origin */
};

struct conv_packed {
	struct qx_f32_conv_desc d;
	int64_t cg, ocg, k;     /* channels in / out per group, GEMM depth */
	int64_t blocks;         /* F32_MR-channel panels per group */
	int64_t hw, ohw;
	float *w;               /* [groups][blocks][k][F32_MR], zero rows pad the last panel */
	float *bias;            /* [groups][blocks * F32_MR] */
	struct f32_tap *taps;   /* [k] */
	int depthwise;          /* groups == c == oc: run by conv_depthwise, not im2col + GEMM */
	int pointwise;          /* 1x1, stride 1, no padding: an image's pixels are one run */
	int64_t next_plane_ahead; /* F32_CONV_AHEAD planes, in floats; 0: no prefetch */
	float *dwcl;            /* depthwise of a small image: channels-last weights, or NULL */
	struct dwt_plan *dwt;   /* depthwise of a tiny image, straight on NCHW, or NULL */
	float *pwt;             /* 1x1 of tiny images: bias, then W^T [c][pwt_ld], or NULL */
	int64_t pwt_ld;
	/* The row-copy path (conv_segment_rowcopy), instead of im2col, when rowcopy is set. */
	int rowcopy;
	int64_t rin;            /* input rows per (channel, kernel column) plane of its buffer */
	int64_t ss_pix;         /* output pixels per super-strip: one buffer fill */
	int32_t *roff;          /* [k]: tap k's row in the buffer, from an output pixel's slot */
	/* The same-3x3 layout of the row-copy path (f32_conv3x3_template.h) when same3 is set:
	 * then roff is its offsets. */
	int same3;
	int64_t s3_plane;       /* floats per channel in its buffer: s3_rin rows of w */
	int64_t s3_rin;         /* padded input rows per fill */
	int32_t *s3_goff;       /* [k]: a tail strip's gathered tap k, in its small buffer */
	f32mask *s3_masks;      /* [w][2][F32_RV]: a strip's edge-column masks by its first
	                         * pixel's column (same3_masks) */
	struct f32_sc *sc;      /* small images: the real-taps direct path, or NULL */
};

/* Output pixels [j, j + n) of a strip: one output row of one image. */
struct conv_run {
	int64_t j, n;
	int64_t img;           /* image */
	int64_t iy0, ix0;      /* input coordinates of the first pixel's window origin */
};

#include "x86/f32_dwconv_template.h"
#if F32_MASKED_LOAD_ANYWHERE
#include "x86/f32_dwtiny_template.h"
#endif
#include "x86/f32_pwconv_template.h"
#include "x86/f32_smallconv_template.h"
#define F32_ROWS_SLACK (F32_SW + F32_VL) /* floats past the planes that lanes past a strip read */
#ifndef F32_ROWS_BUF
/* Floats of stack for the row-copy path's buffer: a whole 64-channel 14x14 image for a 3x3
 * kernel (16 rows x 14 x 3 columns x 64), about 168 KiB; 144 KiB, which splits it in three
 * fills, ran 3-5% slower there. */
#define F32_ROWS_BUF (64 * 3 * 16 * 14 + F32_ROWS_SLACK)
#endif
#ifndef F32_ROWCOPY
#define F32_ROWCOPY 1 /* the ops header sets 0 where the row-copy path does not pay */
#endif

/* The row-copy path. A stride-1 convolution reads, for kernel tap (ic, ky, kx), the input
 * rows shifted by kx columns: so the rows that a run of output rows needs are copied once per
 * kernel column, already shifted and zero-padded, ow floats wide, into planes [ic][kx] of rin
 * rows each. Then output pixel j of the run (numbered row-major, as y stores them) reads tap
 * (ic, ky, kx) at plane (ic, kx) + ky * dh * ow + j: one offset per tap, the same for every
 * pixel, so a micro-tile's pixel vectors are plain loads that may span output rows, and its
 * results go straight to y. Against im2col (a copy of every input value per tap, kh * kw of
 * them, made again for every strip) this copies each value kw times and a few halo rows, and
 * leaves no col buffer to stream through the caches.
 *
 * It needs groups 1 and sh == sw == 1, and at least one strip of output pixels (or a whole
 * image) must fit the buffer; and pixels never span images (a plane's rows are one image's),
 * so an image of few pixels would leave most lanes of its last vector idle: those stay with
 * im2col, whose strips run across the batch. */
static void rowcopy_plan(struct conv_packed *p)
{
	const struct qx_f32_conv_desc *d = &p->d;
	p->rowcopy = 0;
	if (!F32_ROWCOPY || d->groups != 1 || p->depthwise || p->pointwise || d->sh != 1 ||
	    d->sw != 1 || d->kw > F32_CONV_KW_MAX || d->c < 1 || d->oh < 1 || d->ow < 1)
		return;
	int64_t ext = (int64_t)(d->kh - 1) * d->dh + 1; /* input rows one output row reads */
	int64_t per_row = d->c * d->kw * d->ow;          /* floats per buffered input row */
	int64_t rin = (F32_ROWS_BUF - F32_ROWS_SLACK) / per_row;
	if (rin < ext)
		return;
	if (rin > d->oh - 1 + ext)
		rin = d->oh - 1 + ext; /* a whole image */
	/* a run of L pixels starting anywhere in a row spans at most rin - ext + 1 output rows
	 * when L <= (rin - ext) * ow + 1 */
	int64_t lmax = (rin - ext) * d->ow + 1;
	if (p->ohw <= lmax || rin == d->oh - 1 + ext)
		p->ss_pix = p->ohw;
	else if (lmax >= F32_SW)
		p->ss_pix = lmax / F32_SW * F32_SW;
	else
		return;
	/* At least 7 of 8 lanes busy over an image, whose last strip has tail pixels; a tail that
	 * conv_strip_gemv takes (7x7 = 48 + 1) costs little. */
	int64_t tail = p->ohw % F32_SW;
#ifdef F32_GEMV_MAX
	if (tail <= F32_GEMV_MAX)
		tail = 0;
#endif
	int64_t lanes = p->ohw - tail + (tail + F32_VL - 1) / F32_VL * F32_VL;
	if (p->ohw * 8 < lanes * 7)
		return;
	int64_t khw = (int64_t)d->kh * d->kw;
	for (int64_t k = 0; k < p->k; k++) {
		int64_t ic = k / khw, ky = k % khw / d->kw, kx = k % d->kw;
		p->roff[k] = (int32_t)(((ic * d->kw + kx) * rin + ky * d->dh) * d->ow);
	}
	p->rin = rin;
	p->rowcopy = 1;
}

static int same3_plan(struct conv_packed *p);

int F32_FN(conv_pack)(const struct qx_f32_conv_desc *d, const float *w_oihw, const float *bias,
                      void **packed)
{
	if (d->groups < 1)
		return -1;
	struct conv_packed *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	p->d = *d;
	p->cg = d->c / d->groups;
	p->ocg = d->oc / d->groups;
	p->k = p->cg * d->kh * d->kw;
	p->blocks = (p->ocg + F32_MR - 1) / F32_MR;
	p->hw = d->h * d->w;
	p->ohw = d->oh * d->ow;
	size_t wn = (size_t)(d->groups * p->blocks * p->k * F32_MR);
	size_t bn = (size_t)(d->groups * p->blocks * F32_MR);
	p->w = calloc(wn ? wn : 1, sizeof *p->w);
	p->bias = calloc(bn ? bn : 1, sizeof *p->bias);
	p->taps = calloc(p->k ? (size_t)p->k : 1, sizeof *p->taps);
	p->roff = calloc(p->k ? (size_t)p->k : 1, sizeof *p->roff);
	if (!p->w || !p->bias || !p->taps || !p->roff) {
		free(p->w);
		free(p->bias);
		free(p->taps);
		free(p->roff);
		free(p);
		return -1;
	}
	for (int64_t g = 0; g < d->groups; g++)
		for (int64_t o = 0; o < p->ocg; o++) {
			const float *src = w_oihw + (g * p->ocg + o) * p->k;
			float *dst = p->w + ((g * p->blocks + o / F32_MR) * p->k) * F32_MR + o % F32_MR;
			for (int64_t k = 0; k < p->k; k++)
				dst[k * F32_MR] = src[k];
			if (bias)
				p->bias[g * p->blocks * F32_MR + o] = bias[g * p->ocg + o];
		}
	int64_t khw = (int64_t)d->kh * d->kw;
	for (int64_t k = 0; k < p->k; k++) {
		int64_t ic = k / khw, ky = k % khw / d->kw, kx = k % d->kw;
		p->taps[k] = (struct f32_tap){ ky * d->dh, kx, ic * p->hw,
		                               ic * p->hw + ky * d->dh * d->w + kx * d->dw };
	}
	p->depthwise = d->groups > 1 && d->groups == d->c && d->oc == d->c &&
	               d->kw <= QX_F32_DW_TAPS_MAX;
#if F32_MASKED_LOAD_ANYWHERE
	if (p->depthwise && dwt_fits(d)) {
		if (!(p->dwt = dwt_pack(d, w_oihw, bias))) {
			F32_FN(pack_free)(p);
			return -1;
		}
	} else
#endif
	if (p->depthwise && dwcl_fits(d) && !(p->dwcl = dwcl_pack(d, w_oihw, bias))) {
		F32_FN(pack_free)(p);
		return -1;
	}
	if (pwt_fits(d) && !(p->pwt = pwt_pack(d, w_oihw, bias, &p->pwt_ld))) {
		F32_FN(pack_free)(p);
		return -1;
	}
	p->pointwise = d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 &&
	               d->pl == 0 && d->pb == 0 && d->pr == 0;
	/* Prefetch only where the batch's input outgrows L2: it is then read by many strips, each
	 * touching every channel, and the channel jumps defeat the hardware prefetcher (batch 64 of
	 * 32 x 28 x 28 ran about 15% faster with it, 14 x 14 the same). */
	if (d->n * d->c * p->hw * (int64_t)sizeof(float) > (256 << 10) && p->cg > F32_CONV_AHEAD)
		p->next_plane_ahead = F32_CONV_AHEAD * p->hw;
	if (sc_fits(d)) {
		if (!(p->sc = sc_pack(d, w_oihw, bias))) {
			F32_FN(pack_free)(p);
			return -1;
		}
		*packed = p;
		return 0;
	}
	rowcopy_plan(p);
	if (same3_plan(p)) {
		F32_FN(pack_free)(p);
		return -1;
	}
	*packed = p;
	return 0;
}

void F32_FN(pack_free)(void *packed)
{
	struct conv_packed *p = packed;
	if (!p)
		return;
	free(p->w);
	free(p->bias);
	free(p->taps);
	free(p->dwcl);
#if F32_MASKED_LOAD_ANYWHERE
	dwt_free(p->dwt);
#endif
	free(p->pwt);
	free(p->roff);
	free(p->s3_goff);
	free(p->s3_masks);
	sc_free(p->sc);
	free(p);
}

/* Splits strip pixels [q0, q0 + np) (numbered across the batch) into runs that stay inside
 * one output row (pointwise: inside one image, whose pixels are its input's, contiguous);
 * returns how many. */
static int conv_runs(const struct conv_packed *p, int64_t q0, int64_t np, struct conv_run *runs)
{
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t img = q0 / p->ohw, pix = q0 % p->ohw;
	if (p->pointwise) {
		int nr = 0;
		for (int64_t j = 0; j < np;) {
			int64_t n = p->ohw - pix < np - j ? p->ohw - pix : np - j;
			runs[nr++] = (struct conv_run){ j, n, img, pix / d->ow, pix % d->ow };
			j += n;
			pix = 0;
			img++;
		}
		return nr;
	}
	int64_t oy = pix / d->ow, ox = pix % d->ow;
	int nr = 0;
	for (int64_t j = 0; j < np;) {
		int64_t n = d->ow - ox < np - j ? d->ow - ox : np - j;
		runs[nr++] = (struct conv_run){ j, n, img, oy * d->sh - d->pt, ox * d->sw - d->pl };
		j += n;
		ox += n;
		if (ox == d->ow) {
			ox = 0;
			if (++oy == d->oh) {
				oy = 0;
				img++;
			}
		}
	}
	return nr;
}

/* A run's lane masks for stride 1: mk[kx][v] are the lanes of vector v whose input column is
 * inside the row for kernel column kx, [lo[kx], hi[kx]) the same as a lane range. */
struct run_masks {
	f32mask mk[F32_CONV_KW_MAX][F32_RV];
	int64_t lo[F32_CONV_KW_MAX], hi[F32_CONV_KW_MAX];
};

/* The hot loop of im2col, stride 1: taps [0, kc) of one run of NV vectors whose window origin
 * is x[base] (base may lie before x: row -1, column -1); rows outside the input are zeros. */
F32_INLINE void im2col_run_masked(const int NV, float *dst, const float *x, int64_t xsize,
                                  int64_t base, const struct f32_tap *t, int64_t kc,
                                  int64_t iy0, int64_t h, int64_t ahead,
                                  const struct run_masks *m)
{
	for (int64_t kk = 0; kk < kc; kk++, dst += F32_CONV_LDB, t++) {
		if ((uint64_t)(iy0 + t->dy) >= (uint64_t)h) {
			for (int v = 0; v < NV; v++)
				f32v_storeu(dst + v * F32_VL, f32v_zero());
			continue;
		}
		int64_t e = base + t->off;
		if (ahead && t->kx == 0 && e + ahead >= 0 && e + ahead + NV * F32_VL <= xsize) {
			/* the same row of a later channel: the channel jumps defeat the prefetcher */
			__builtin_prefetch(x + e + ahead);
			__builtin_prefetch(x + e + ahead + NV * F32_VL - 1);
		}
		if (!F32_MASKED_LOAD_ANYWHERE && (e < 0 || e + NV * F32_VL > xsize)) {
			/* AVX2 at the very start or end of x: only lanes inside may be read */
			for (int v = 0; v < NV; v++)
				f32v_storeu(dst + v * F32_VL,
				            f32v_load_lanes(f32v_zero(), x, xsize, e + v * F32_VL,
				                            m->lo[t->kx] - v * F32_VL,
				                            m->hi[t->kx] - v * F32_VL));
			continue;
		}
		for (int v = 0; v < NV; v++)
			f32v_storeu(dst + v * F32_VL, f32v_load_mask(x, e + v * F32_VL, m->mk[t->kx][v]));
	}
}

/* Any stride and kernel width: taps [0, kc) of one run, bounds worked out per tap. */
static void im2col_run_generic(const struct conv_packed *p, float *dst, const float *x,
                               int64_t img0, const struct conv_run *run, const struct f32_tap *t,
                               int64_t kc)
{
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t xsize = d->n * d->c * p->hw, n = run->n;
	for (int64_t kk = 0; kk < kc; kk++, dst += F32_CONV_LDB, t++) {
		int64_t iy = run->iy0 + t->dy, ix0 = run->ix0 + t->kx * d->dw;
		int64_t row = img0 + t->plane + iy * d->w;
		if (iy < 0 || iy >= d->h) {
			for (int64_t v = 0; v < n; v += F32_VL)
				f32v_storeu(dst + v, f32v_zero());
		} else if (d->sw == 1) {
			int64_t lo = ix0 < 0 ? -ix0 : 0, hi = d->w - ix0 < n ? d->w - ix0 : n;
			for (int64_t v = 0; v < n; v += F32_VL)
				f32v_storeu(dst + v, f32v_load_lanes(f32v_zero(), x, xsize, row + ix0 + v,
				                                     lo - v, hi - v));
		} else {
			int64_t lo = ix0 < 0 ? (-ix0 + d->sw - 1) / d->sw : 0;
			int64_t hi = d->w - ix0 <= 0 ? 0 : (d->w - ix0 + d->sw - 1) / d->sw;
			if (hi > n)
				hi = n;
			for (int64_t v = 0; v < n; v += F32_VL)
				f32v_storeu(dst + v, f32v_gather_lanes(f32v_zero(), x, xsize,
				                                       row + ix0 + v * d->sw, d->sw, lo - v,
				                                       hi - v));
		}
	}
}

#include "x86/f32_im2col_s2_template.h"

/* Fills the im2col buffer of one strip of np pixels for k in [k0, k0 + kc) of group g:
 * col[kk][F32_CONV_LDB], lanes [0, F32_SW) used, the F32_VL after them slack. Runs are written
 * with whole vectors whose lanes past the run are zeros: they land on a later run's lanes of
 * the same row (written after it) or in the slack. Lanes past np up to the last vector are
 * zeroed too, so the micro-kernel never meets garbage. */
static __attribute__((noinline)) void conv_im2col(const struct conv_packed *p, const float *x,
                                                  int64_t g, int64_t k0, int64_t kc, int64_t np,
                                                  const struct conv_run *runs, int nruns,
                                                  float *col)
{
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t xsize = d->n * d->c * p->hw;
	int fast = d->sw == 1 && d->kw <= F32_CONV_KW_MAX;
	for (int r = 0; r < nruns; r++) {
		const struct conv_run *run = &runs[r];
		float *dst = col + run->j;
		int64_t n = run->n, img0 = run->img * d->c * p->hw + g * p->cg * p->hw;
		if (!fast) {
			if (d->sw == 2 && d->kw <= F32_CONV_KW_MAX)
				im2col_run_s2(p, dst, x, img0, run, p->taps + k0, kc);
			else
				im2col_run_generic(p, dst, x, img0, run, p->taps + k0, kc);
			continue;
		}
		/* Stride 1: each kernel column's lane masks hold for every row of the run, so they are
		 * made once; a tap then costs a masked load and a store per vector. */
		struct run_masks m;
		int nv = (int)((n + F32_VL - 1) / F32_VL);
		for (int kx = 0; kx < d->kw; kx++) {
			int64_t ix0 = run->ix0 + (int64_t)kx * d->dw;
			m.lo[kx] = ix0 < 0 ? -ix0 : 0;
			m.hi[kx] = d->w - ix0 < n && !p->pointwise ? d->w - ix0 : n;
			for (int v = 0; v < nv; v++)
				m.mk[kx][v] = f32_lane_range(m.lo[kx] - v * F32_VL, m.hi[kx] - v * F32_VL);
		}
		int64_t base = img0 + run->iy0 * d->w + run->ix0;
		const struct f32_tap *t = p->taps + k0;
		int64_t ahead = p->next_plane_ahead;
		switch (nv) {
		case 1:
			im2col_run_masked(1, dst, x, xsize, base, t, kc, run->iy0, d->h, ahead, &m);
			break;
#if F32_RV >= 2
		case 2:
			im2col_run_masked(2, dst, x, xsize, base, t, kc, run->iy0, d->h, ahead, &m);
			break;
#endif
#if F32_RV >= 3
		case 3:
			im2col_run_masked(3, dst, x, xsize, base, t, kc, run->iy0, d->h, ahead, &m);
			break;
#endif
#if F32_RV >= 4
		case 4:
			im2col_run_masked(4, dst, x, xsize, base, t, kc, run->iy0, d->h, ahead, &m);
			break;
#endif
		default:
			break;
		}
	}
	if (np % F32_VL)
		for (int64_t kk = 0; kk < kc; kk++)
			f32v_storeu(col + kk * F32_CONV_LDB + np, f32v_zero());
}

/* Splits strip pixels [q, q + n) into segments of one image each; returns how many. */
static int conv_strip_segs(const struct conv_packed *p, int64_t q, int64_t n, struct f32_seg *seg)
{
	int64_t img = q / p->ohw, pix = q % p->ohw;
	int ns = 0;
	for (int64_t lane = 0; lane < n;) {
		int64_t len = p->ohw - pix;
		if (len > n - lane)
			len = n - lane;
		seg[ns++] = (struct f32_seg){ lane, len, img * p->d.oc * p->ohw + pix };
		lane += len;
		pix = 0;
		img++;
	}
	return ns;
}

/* Where a strip's outputs go: straight into y when its pixels are whole vectors inside one
 * image, else through the staging tile and per-image segments. */
struct conv_strip {
	int np;                /* pixels */
	int R;                 /* vectors */
	int direct;
	float *y0;             /* direct: y at channel 0 of the strip's first pixel */
	int nseg;
	struct f32_seg segs[F32_SW];
};

/* f32_tile with row k of b at b + boff[k] (the row-copy path). */
static __attribute__((noinline)) void f32_tile_off(int R, int64_t kc, const float *a,
                                                   const float *b, const int32_t *boff,
                                                   const struct f32_tile_io *io)
{
	switch (R) {
	case 1:
		f32_tile_r(1, kc, a, b, 0, boff, io);
		break;
#if F32_RV >= 2
	case 2:
		f32_tile_r(2, kc, a, b, 0, boff, io);
		break;
#endif
#if F32_RV >= 3
	case 3:
		f32_tile_r(3, kc, a, b, 0, boff, io);
		break;
#endif
#if F32_RV >= 4
	case 4:
		f32_tile_r(4, kc, a, b, 0, boff, io);
		break;
#endif
	default:
		break;
	}
}

/* A strip of a few pixels (an image's last ones: 49 = 48 + 1 at 7x7, 196 = 192 + 4 at 14x14)
 * would cost the micro-tile a whole vector per panel row, F32_MR vector FMAs per k for up to
 * F32_VL pixels. Turned around, the panel's F32_MR channels lie across the lanes of one
 * narrower vector (the packed weights [k][F32_MR] are already that) and each pixel's value is
 * broadcast: one FMA per pixel and k. Each output still gets the micro-tile's arithmetic (start
 * from the bias or the partial sum, one FMA per k in order, the clamp at the end), so its bits
 * do not depend on which of the two computed it. */
#if F32_MR == 8
typedef __m256 f32r;
#define f32r_loadu _mm256_loadu_ps
#define f32r_storeu _mm256_storeu_ps
#define f32r_set1 _mm256_set1_ps
#define f32r_fmadd _mm256_fmadd_ps
#define f32r_clamp(v, lo, hi) _mm256_min_ps(hi, _mm256_max_ps(lo, v))
#elif F32_MR == 4
typedef __m128 f32r;
#define f32r_loadu _mm_loadu_ps
#define f32r_storeu _mm_storeu_ps
#define f32r_set1 _mm_set1_ps
#define f32r_fmadd _mm_fmadd_ps
#define f32r_clamp(v, lo, hi) _mm_min_ps(hi, _mm_max_ps(lo, v))
#endif

#ifdef F32_GEMV_MAX
/* acc[b * NP + j] += panel b's weights x pixel j, for PB panels ws floats apart: PB * NP
 * independent FMA chains (one pixel of one panel would wait out the FMA latency at every k). */
F32_INLINE void strip_gemv_n(const int NP, const int PB, int64_t kc, const float *restrict w,
                             int64_t ws, const float *restrict col,
                             const int32_t *restrict boff, f32r *acc)
{
	for (int64_t k = 0; k < kc; k++) {
		const float *b = boff ? col + boff[k] : col + k * F32_CONV_LDB;
#pragma GCC unroll 8
		for (int pb = 0; pb < PB; pb++) {
			f32r wv = f32r_loadu(w + pb * ws + k * F32_MR);
#pragma GCC unroll 8
			for (int j = 0; j < NP; j++)
				acc[pb * NP + j] = f32r_fmadd(wv, f32r_set1(b[j]), acc[pb * NP + j]);
		}
	}
}

/* Panels that strip_gemv_n runs together for np pixels: at least 8 chains. */
static int gemv_panels(int np)
{
	return np >= 8 ? 1 : np >= 4 ? 2 : np >= 2 ? 4 : 8;
}

/* Output channels [glo, ghi) of group g over the strip's np <= F32_GEMV_MAX pixels, k in
 * [k0, k0 + kc) (col and boff as conv_strip_panels'). */
static __attribute__((noinline)) void conv_strip_gemv(const struct conv_packed *p, float *y,
                                                      const struct conv_strip *st, int64_t g,
                                                      int64_t glo, int64_t ghi, int64_t k0,
                                                      int64_t kc, const float *col,
                                                      const int32_t *boff)
{
	const int np = st->np;
	const int first = k0 == 0, last = k0 + kc >= p->k;
	const int64_t ws = p->k * F32_MR; /* floats from one panel's weights to the next's */
	int64_t off[F32_GEMV_MAX];        /* pixel j's output at channel 0 */
	for (int j = 0; j < np; j++) {
		if (st->direct) {
			off[j] = st->y0 - y + j;
			continue;
		}
		for (int s = 0; s < st->nseg; s++)
			if (j >= st->segs[s].lane && j < st->segs[s].lane + st->segs[s].n)
				off[j] = st->segs[s].off + j - st->segs[s].lane;
	}
	const f32r lo = f32r_set1(p->d.act_min), hi = f32r_set1(p->d.act_max);
	const int pbmax = gemv_panels(np);
	int64_t blk = glo / F32_MR, bend = (ghi + F32_MR - 1) / F32_MR;
	while (blk < bend) {
		int nb = bend - blk < pbmax ? (int)(bend - blk) : pbmax;
		f32r acc[8 * F32_GEMV_MAX];
		float t[F32_MR];
		for (int b = 0; b < nb; b++) {
			int64_t c0 = g * p->ocg + (blk + b) * F32_MR;
			int64_t mlo = glo - (blk + b) * F32_MR, mhi = ghi - (blk + b) * F32_MR;
			for (int j = 0; j < np; j++) {
				if (first) {
					acc[b * np + j] = f32r_loadu(p->bias + (g * p->blocks + blk + b) * F32_MR);
					continue;
				}
				for (int m = 0; m < F32_MR; m++)
					t[m] = m >= mlo && m < mhi ? y[off[j] + (c0 + m) * p->ohw] : 0.0f;
				acc[b * np + j] = f32r_loadu(t);
			}
		}
		const float *w = p->w + ((g * p->blocks + blk) * p->k + k0) * F32_MR;
		const int32_t *bo = boff ? boff + k0 : NULL;
		f32r *acc_b = acc;
		if (nb == pbmax) {
			switch (np) {
#define GEMV_CASE(n, pb) case n: strip_gemv_n(n, pb, kc, w, ws, col, bo, acc_b); break;
			GEMV_CASE(1, 8) GEMV_CASE(2, 4) GEMV_CASE(3, 4)
#if F32_GEMV_MAX > 2
			GEMV_CASE(4, 2) GEMV_CASE(5, 2) GEMV_CASE(6, 2) GEMV_CASE(7, 2) GEMV_CASE(8, 1)
#endif
			default:
				break;
			}
		} else {
			for (int b = 0; b < nb; b++, w += ws, acc_b += np)
				switch (np) {
				GEMV_CASE(1, 1) GEMV_CASE(2, 1) GEMV_CASE(3, 1)
#if F32_GEMV_MAX > 2
				GEMV_CASE(4, 1) GEMV_CASE(5, 1) GEMV_CASE(6, 1) GEMV_CASE(7, 1)
				GEMV_CASE(8, 1)
#endif
#undef GEMV_CASE
				default:
					break;
				}
		}
		for (int b = 0; b < nb; b++) {
			int64_t c0 = g * p->ocg + (blk + b) * F32_MR;
			int64_t mlo = glo - (blk + b) * F32_MR, mhi = ghi - (blk + b) * F32_MR;
			if (mlo < 0)
				mlo = 0;
			if (mhi > F32_MR)
				mhi = F32_MR;
			for (int j = 0; j < np; j++) {
				f32r v = acc[b * np + j];
				f32r_storeu(t, last ? f32r_clamp(v, lo, hi) : v);
				for (int64_t m = mlo; m < mhi; m++)
					y[off[j] + (c0 + m) * p->ohw] = t[m];
			}
		}
		blk += nb;
	}
}
#endif

/* Memory that the micro-tiles prefetch a slice of each, spread over their k loops: the row-copy
 * path's next image. */
struct conv_prefetch {
	const char *next;   /* the next line to prefetch */
	int64_t left;       /* lines left */
	int64_t slice;      /* lines per micro-tile */
};

/* Output channels [glo, ghi) of group g (group-relative) over one strip, for k in
 * [k0, k0 + kc), whose im2col rows are in col; or, when boff is not NULL, whose row k is at
 * col + boff[k] (the row-copy path). */
static void conv_strip_panels(const struct conv_packed *p, float *y, const struct conv_strip *st,
                              int64_t g, int64_t glo, int64_t ghi, int64_t k0, int64_t kc,
                              const float *col, const int32_t *boff, float *tile,
                              struct conv_prefetch *pf)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const float *w_g = p->w + g * p->blocks * p->k * F32_MR;
#ifdef F32_GEMV_MAX
	if (st->np <= F32_GEMV_MAX) {
		conv_strip_gemv(p, y, st, g, glo, ghi, k0, kc, col, boff);
		return;
	}
#endif
	for (int64_t blk = glo / F32_MR; blk * F32_MR < ghi; blk++) {
		int64_t c0 = g * p->ocg + blk * F32_MR; /* channel of the panel's row 0 */
		int64_t mlo = glo - blk * F32_MR, mhi = ghi - blk * F32_MR;
		struct f32_tile_io io = {
			.rowbias = p->bias + (g * p->blocks + blk) * F32_MR,
			.y = st->direct ? st->y0 + c0 * p->ohw : NULL,
			.ldy = p->ohw,
			.tile = tile,
			.first = k0 == 0,
			.last = k0 + kc >= p->k,
			.mlo = mlo > 0 ? (int)mlo : 0,
			.mhi = mhi < F32_MR ? (int)mhi : F32_MR,
			.act_min = d->act_min,
			.act_max = d->act_max,
		};
		if (pf && pf->left > 0) {
			io.pf = pf->next;
			io.npf = pf->slice < pf->left ? pf->slice : pf->left;
			if (io.npf > kc)
				io.npf = kc;
			pf->next += 64 * io.npf;
			pf->left -= io.npf;
		}
		if (!st->direct && !io.first)
			for (int m = io.mlo; m < io.mhi; m++)
				f32_tile_row_in(y, (c0 + m) * p->ohw, tile + m * F32_SW, st->segs,
				                st->nseg);
		if (boff)
			f32_tile_off(st->R, kc, w_g + (blk * p->k + k0) * F32_MR, col, boff + k0, &io);
		else
			f32_tile(st->R, kc, w_g + (blk * p->k + k0) * F32_MR, col, F32_CONV_LDB, &io);
		if (!st->direct)
			for (int m = io.mlo; m < io.mhi; m++)
				f32_tile_row_out(y, (c0 + m) * p->ohw, tile + m * F32_SW, st->segs,
				                 st->nseg);
	}
}

/* Output channels [ca, cb) (numbered over all groups) at pixels [qa, qb) (numbered across the
 * batch), by im2col + GEMM. */
static void conv_segment_im2col(const struct conv_packed *p, const float *x, float *y,
                                int64_t ca, int64_t cb, int64_t qa, int64_t qb)
{
	const struct qx_f32_conv_desc *d = &p->d;
	_Alignas(64) float col[F32_CONV_KC * F32_CONV_LDB];
	_Alignas(64) float tile[F32_MR * F32_SW + F32_VL];
	struct conv_run runs[F32_SW];
	struct conv_strip st;
	int64_t chunks = (p->k + F32_CONV_KC - 1) / F32_CONV_KC;
	int64_t kstep = chunks ? (p->k + chunks - 1) / chunks : 1;
	for (int64_t q = qa; q < qb; q += F32_SW) {
		int64_t sn = qb - q < F32_SW ? qb - q : F32_SW;
		int nruns = conv_runs(p, q, sn, runs);
		int64_t img = q / p->ohw, pix = q % p->ohw;
		st.np = (int)sn;
		st.R = (int)((sn + F32_VL - 1) / F32_VL);
		st.direct = sn == st.R * F32_VL && pix + sn <= p->ohw;
		st.y0 = y + img * d->oc * p->ohw + pix;
		st.nseg = st.direct ? 0 : conv_strip_segs(p, q, sn, st.segs);
		for (int64_t g = ca / p->ocg; g < d->groups && g * p->ocg < cb; g++) {
			int64_t glo = ca > g * p->ocg ? ca - g * p->ocg : 0;
			int64_t ghi = cb < (g + 1) * p->ocg ? cb - g * p->ocg : p->ocg;
			/* k == 0 still runs one empty chunk: y = clamp(bias) */
			for (int64_t k0 = 0; k0 < p->k || k0 == 0; k0 += kstep) {
				int64_t kc = p->k - k0 < kstep ? p->k - k0 : kstep;
				conv_im2col(p, x, g, k0, kc, sn, runs, nruns, col);
				conv_strip_panels(p, y, &st, g, glo, ghi, k0, kc, col, NULL, tile, NULL);
				if (p->k == 0)
					break;
			}
		}
	}
}

/* rowcopy_fill's plane when ow == w (a "same" convolution): rows of the plane and of the input
 * are then equally long, so the input rows that exist are one run of floats, shifted by e,
 * copied with whole vectors, unmasked but at the ends of x (28-float rows one by one need a
 * masked load per vector); then the columns outside [lo, hi), which got the neighbouring
 * row's end, are zeroed. Input rows iy0 + r, r < nrin; zeros outside the input, and F32_SW
 * after. */
static void rowcopy_fill_flat(const struct conv_packed *p, const float *x, int64_t chan,
                              int64_t iy0, int64_t nrin, int64_t e, int64_t lo, int64_t hi,
                              float *plane)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t w = d->w, xsize = d->n * d->c * p->hw;
	int64_t ra = iy0 < 0 ? -iy0 : 0, rb = d->h - iy0 < nrin ? d->h - iy0 : nrin;
	if (rb < ra)
		rb = ra;
	for (int64_t j = 0; j < ra * w; j += F32_VL)
		f32v_storeu(plane + j, f32v_zero());
	int64_t src = chan + (iy0 + ra) * w + e, n = (rb - ra) * w;
	float *dst = plane + ra * w;
	for (int64_t j = 0; j < n; j += F32_VL) {
		int64_t at = src + j;
		if (at >= 0 && at + F32_VL <= xsize)
			f32v_storeu(dst + j, f32v_loadu(x + at));
		else
			f32v_storeu(dst + j, f32v_load_lanes(f32v_zero(), x, xsize, at, -at, xsize - at));
	}
	for (int64_t j = rb * w; j < nrin * w; j += F32_VL)
		f32v_storeu(plane + j, f32v_zero());
	/* the columns outside [lo, hi): a masked store each while they fit a vector */
	int64_t nl = lo < w ? lo : w, h0 = hi > nl ? hi : nl;
	for (int64_t r = ra; r < rb; r++) {
		float *row = plane + r * w;
		for (int64_t ox = 0; ox < nl; ox += F32_VL)
			f32v_store_first(row + ox, f32v_zero(), nl - ox < F32_VL ? nl - ox : F32_VL);
		for (int64_t ox = h0; ox < w; ox += F32_VL)
			f32v_store_first(row + ox, f32v_zero(), w - ox < F32_VL ? w - ox : F32_VL);
	}
	for (int64_t j = 0; j < F32_SW; j += F32_VL)
		f32v_storeu(plane + nrin * w + j, f32v_zero());
}

/* Fills the row-copy buffer for output rows [oy0, oy0 + nrin - ext] of image img: plane
 * (ic, kx) row r is input row oy0 - pt + r of channel ic shifted by kx * dw - pl columns, ow
 * floats, zeros outside the input. Whole vectors are stored, so a row's last one runs into
 * the next row (written after it); the F32_SW floats after a plane's last row are zeroed so
 * that the lanes a strip computes past its pixels read zeros, not stale stack. */
static void rowcopy_fill(const struct conv_packed *p, const float *x, int64_t img, int64_t oy0,
                         int64_t nrin, float *buf)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t ow = d->ow, xsize = d->n * d->c * p->hw;
	for (int64_t ic = 0; ic < d->c; ic++) {
		const int64_t chan = (img * d->c + ic) * p->hw;
		for (int kx = 0; kx < d->kw; kx++) {
			float *plane = buf + (ic * d->kw + kx) * p->rin * ow;
			int64_t e = (int64_t)kx * d->dw - d->pl; /* input column of output column 0 */
			int64_t lo = e < 0 ? -e : 0, hi = d->w - e < ow ? d->w - e : ow;
			if (ow == d->w) {
				rowcopy_fill_flat(p, x, chan, oy0 - d->pt, nrin, e, lo, hi, plane);
				continue;
			}
			for (int64_t r = 0; r < nrin; r++) {
				int64_t iy = oy0 - d->pt + r;
				float *dst = plane + r * ow;
				if (iy < 0 || iy >= d->h || hi <= lo) {
					for (int64_t ox = 0; ox < ow; ox += F32_VL)
						f32v_storeu(dst + ox, f32v_zero());
					continue;
				}
				int64_t row = chan + iy * d->w + e;
				for (int64_t ox = 0; ox < ow; ox += F32_VL)
					f32v_storeu(dst + ox, f32v_load_lanes(f32v_zero(), x, xsize, row + ox,
					                                      lo - ox, hi - ox));
			}
			for (int64_t j = 0; j < F32_SW; j += F32_VL)
				f32v_storeu(plane + nrin * ow + j, f32v_zero());
		}
	}
}

/* K == 9 (one input channel, 3x3: a network's first layer): the micro-tile would spend more
 * on starting and storing its accumulators than on its 9 steps. Here the 9 tap vectors of 16
 * (8) pixels are loaded once and kept in registers while every panel of output channels runs
 * over them: F32_MR accumulators at a time, so that F32_MR independent chains of 9 FMAs hide
 * the FMA latency (one channel at a time left the core waiting on one chain: about 76% of the
 * FMA loop at batch 64), then a store per channel and vector. Each output is still bias + 9
 * FMAs in tap order. Pixels [q, q + np) of image img, channels [ca, cb); b is the buffer at
 * the strip's first pixel. */
static void conv_rowcopy_k9(const struct conv_packed *p, float *y, int64_t img, int64_t q,
                            int64_t np, int64_t ca, int64_t cb, const float *b)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	float *y0 = y + img * d->oc * p->ohw + q;
	for (int64_t j = 0; j < np; j += F32_VL) {
		f32v t[9];
#pragma GCC unroll 9
		for (int k = 0; k < 9; k++)
			t[k] = f32v_loadu(b + p->roff[k] + j);
		int64_t n = np - j < F32_VL ? np - j : F32_VL;
		for (int64_t c0 = ca / F32_MR * F32_MR; c0 < cb; c0 += F32_MR) {
			const float *w = p->w + c0 * 9, *bias = p->bias + c0;
			f32v acc[F32_MR];
#pragma GCC unroll 16
			for (int m = 0; m < F32_MR; m++)
				acc[m] = f32v_set1(bias[m]);
#pragma GCC unroll 9
			for (int k = 0; k < 9; k++)
#pragma GCC unroll 16
				for (int m = 0; m < F32_MR; m++)
					acc[m] = f32v_fmadd(f32v_set1(w[k * F32_MR + m]), t[k], acc[m]);
			int64_t mlo = ca - c0 > 0 ? ca - c0 : 0, mhi = cb - c0 < F32_MR ? cb - c0 : F32_MR;
#pragma GCC unroll 16
			for (int m = 0; m < F32_MR; m++) {
				if (m < mlo || m >= mhi)
					continue;
				f32v v = f32v_clamp(acc[m], lo, hi);
				if (n == F32_VL)
					f32v_storeu(y0 + (c0 + m) * p->ohw + j, v);
				else
					f32v_store_first(y0 + (c0 + m) * p->ohw + j, v, n);
			}
		}
	}
}

/* conv_segment by the row-copy path (rowcopy_plan): image by image, super-strips of ss_pix
 * pixels, each one buffer fill, then strips of F32_SW pixels over every panel. */
static __attribute__((noinline)) void conv_segment_rowcopy(const struct conv_packed *p,
                                                           const float *x, float *y, int64_t ca,
                                                           int64_t cb, int64_t qa, int64_t qb)
{
	const struct qx_f32_conv_desc *d = &p->d;
	_Alignas(64) float buf[F32_ROWS_BUF];
	_Alignas(64) float tile[F32_MR * F32_SW + F32_VL];
	const int64_t ow = d->ow, ext = (int64_t)(d->kh - 1) * d->dh + 1;
	const int k9 = p->k == 9;
	struct conv_strip st;
	struct conv_prefetch pf = { NULL, 0, 0 };
	for (int64_t q = qa; q < qb;) {
		int64_t img = q / p->ohw, pa = q % p->ohw;
		int64_t pb = qb - img * p->ohw < p->ohw ? qb - img * p->ohw : p->ohw;
		for (int64_t s0 = pa; s0 < pb; s0 += p->ss_pix) {
			int64_t s1 = s0 + p->ss_pix < pb ? s0 + p->ss_pix : pb;
			int64_t oy0 = s0 / ow, oy1 = (s1 - 1) / ow;
			if (s0 == pa && (img + 1) * p->ohw < qb && !k9) {
				/* The next image's input, into L2 while this one computes, a slice per
				 * micro-tile: its fills read every channel a few rows at a time, which the
				 * hardware prefetcher does not follow, and a burst of prefetches at the
				 * image's start would stall like the misses it saves. */
				int64_t lines = d->c * p->hw * (int64_t)sizeof(float) / 64;
				int64_t tiles = (pb - pa + F32_SW - 1) / F32_SW * ((cb - ca + F32_MR - 1) / F32_MR);
				pf.next = (const char *)(x + (img + 1) * d->c * p->hw);
				pf.left = lines;
				pf.slice = (lines + tiles - 1) / tiles + 1;
			}
			rowcopy_fill(p, x, img, oy0, oy1 - oy0 + ext, buf);
			const float *b0 = buf - oy0 * ow; /* pixel j's slot: b0 + j */
			if (k9) {
				/* K = 9: the next image's input is a few lines, fetched at once */
				if (s0 == pa && (img + 1) * p->ohw < qb)
					for (int64_t f = 0; f < d->c * p->hw; f += 64 / (int64_t)sizeof(float))
						__builtin_prefetch(x + (img + 1) * d->c * p->hw + f, 0, 1);
				conv_rowcopy_k9(p, y, img, s0, s1 - s0, ca, cb, b0 + s0);
				continue;
			}
			for (int64_t j = s0; j < s1; j += F32_SW) {
				int64_t sn = s1 - j < F32_SW ? s1 - j : F32_SW;
				st.np = (int)sn;
				st.R = (int)((sn + F32_VL - 1) / F32_VL);
				st.direct = sn == st.R * F32_VL;
				st.y0 = y + img * d->oc * p->ohw + j;
				st.nseg = 0;
				if (!st.direct) {
					st.nseg = 1;
					st.segs[0] = (struct f32_seg){ 0, sn, img * d->oc * p->ohw + j };
				}
				conv_strip_panels(p, y, &st, 0, ca, cb, 0, p->k, b0 + j, p->roff, tile, &pf);
			}
		}
		q = img * p->ohw + pb;
	}
}

#include "x86/f32_conv3x3_template.h"

/* Output channels [ca, cb) (numbered over all groups) at pixels [qa, qb) (numbered across the
 * batch). */
static void conv_segment(const struct conv_packed *p, const float *x, float *y, int64_t ca,
                         int64_t cb, int64_t qa, int64_t qb)
{
	if (p->sc) {
		sc_segment(p->sc, &p->d, x, y, ca, cb, qa, qb);
		return;
	}
#if F32_SAME3
	if (p->same3) {
		conv_segment_same3(p, x, y, ca, cb, qa, qb);
		return;
	}
#endif
	if (p->rowcopy)
		conv_segment_rowcopy(p, x, y, ca, cb, qa, qb);
	else
		conv_segment_im2col(p, x, y, ca, cb, qa, qb);
}

/* Rows [lb, le) of image n's oc * oh output rows: a partial first channel, whole channels, a
 * partial last channel. */
static void conv_image_part(const struct conv_packed *p, const float *x, float *y, int64_t n,
                            int64_t lb, int64_t le)
{
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t base = n * p->ohw;
	int64_t c0 = lb / d->oh, y0 = lb % d->oh;
	int64_t c1 = (le - 1) / d->oh, y1 = (le - 1) % d->oh + 1;
	if (c0 == c1) {
		conv_segment(p, x, y, c0, c0 + 1, base + y0 * d->ow, base + y1 * d->ow);
		return;
	}
	if (y0 > 0) {
		conv_segment(p, x, y, c0, c0 + 1, base + y0 * d->ow, base + p->ohw);
		c0++;
	}
	if (y1 < d->oh) {
		conv_segment(p, x, y, c1, c1 + 1, base, base + y1 * d->ow);
		c1--;
	}
	if (c0 <= c1)
		conv_segment(p, x, y, c0, c1 + 1, base, base + p->ohw);
}

/* A depthwise convolution (one input channel per output channel) has nothing to share between
 * channels, so im2col + a panel of F32_MR channels would compute one useful channel in F32_MR.
 * Instead each output row is computed directly from its channel's input plane: output pixels
 * across the lanes, one broadcast weight and one FMA per tap and vector; taps in the zero
 * padding are skipped (rows) or read as zero lanes (columns). Rows [row_begin, row_end) of
 * n * c * oh, as conv. */
static void conv_depthwise(const struct conv_packed *p, const float *x, float *y,
                           int64_t row_begin, int64_t row_end)
{
	/* kw <= QX_F32_DW_TAPS_MAX: conv_pack sends wider kernels to im2col + GEMM */
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t taps = (int64_t)d->kh * d->kw, sw = d->sw;
	const f32v zero = f32v_zero(), lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	for (int64_t r = row_begin; r < row_end; r++) {
		int64_t oy = r % d->oh, plane = r / d->oh, ch = plane % d->c;
		const float *in = x + plane * p->hw;
		const float *w = p->w + ch * taps * F32_MR; /* panel of one channel: lane 0 of F32_MR */
		float *out = y + r * d->ow;
		const f32v bias = f32v_set1(p->bias[ch * F32_MR]);
		for (int64_t ox = 0; ox < d->ow; ox += F32_VL) {
			int64_t n = d->ow - ox < F32_VL ? d->ow - ox : F32_VL;
			/* per kernel column: the lanes l with 0 <= e0 + l * sw < w and l < n (the same
			 * for every kernel row, so worked out once) */
			int64_t e0[QX_F32_DW_TAPS_MAX], l0[QX_F32_DW_TAPS_MAX], l1[QX_F32_DW_TAPS_MAX];
			for (int kx = 0; kx < d->kw; kx++) {
				e0[kx] = ox * sw - d->pl + (int64_t)kx * d->dw;
				l0[kx] = e0[kx] >= 0 ? 0 : (-e0[kx] + sw - 1) / sw;
				l1[kx] = d->w - e0[kx] > 0 ? (d->w - e0[kx] + sw - 1) / sw : 0;
				if (l1[kx] > n)
					l1[kx] = n;
			}
			f32v acc = bias;
			for (int ky = 0; ky < d->kh; ky++) {
				int64_t iy = oy * d->sh - d->pt + (int64_t)ky * d->dh;
				if (iy < 0 || iy >= d->h)
					continue;
				const float *row = in + iy * d->w;
				for (int kx = 0; kx < d->kw; kx++) {
					f32v v;
					if (sw == 1 && l0[kx] == 0 && l1[kx] == F32_VL)
						v = f32v_loadu(row + e0[kx]);
					else if (sw == 1)
						v = f32v_load_lanes(zero, row, d->w, e0[kx], l0[kx], l1[kx]);
					else
						v = f32v_gather_lanes(zero, row, d->w, e0[kx], sw, l0[kx], l1[kx]);
					acc = f32v_fmadd(v, f32v_set1(w[(ky * d->kw + kx) * F32_MR]), acc);
				}
			}
			f32v_store_first(out + ox, f32v_clamp(acc, lo, hi), n);
		}
	}
}

#ifndef F32_DW_BUF
#define F32_DW_BUF 16384 /* floats of stack for conv_depthwise_flat's planes and output rows */
#endif

/* Output rows that fit F32_DW_BUF in conv_depthwise_flat (at least 1), or 0 when not one does
 * (a very wide image): conv_depthwise runs it. */
static int64_t depthwise_flat_rows(const struct qx_f32_conv_desc *d)
{
	int64_t sh = d->sh, sw = d->sw, ext = (int64_t)(d->kh - 1) * d->dh / sh + 1;
	int64_t wh = (d->w + d->pl + d->pr + sw - 1) / sw;
	int64_t per_row = sh * sw * wh + wh, fixed = sh * sw * (ext * wh + F32_VL) + 2 * F32_VL;
	int64_t rows = (F32_DW_BUF - fixed) / per_row;
	return rows < 1 ? 0 : rows < d->oh ? rows : d->oh;
}

/* conv_depthwise for an image narrow enough: the zero-padded input rows that output rows
 * [oy0, oy1) of one channel read are split into sh * sw sub-planes by row and column parity
 * (plain copies when the stride is 1), wh = ceil((w + pl + pr) / sw) floats wide, so that tap
 * (ky, kx) of output pixel (oy, ox) reads sub-plane (ky dh % sh, kx dw % sw) at row
 * oy + ky dh / sh, column ox + kx dw / sw: with the pixels numbered j = oy * wh + ox, one fixed
 * offset per tap. Then whole vectors run over j (the wh - ow columns past each row are computed
 * and dropped), with no edge cases, whatever ow is: a 7-wide image fills a 16-lane vector. */
static void conv_depthwise_flat(const struct conv_packed *p, const float *x, float *y,
                                int64_t plane, int64_t oy0, int64_t oy1, int64_t chunk)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t sh = d->sh, sw = d->sw, taps = (int64_t)d->kh * d->kw;
	const int64_t wh = (d->w + d->pl + d->pr + sw - 1) / sw;
	const int64_t ext = (int64_t)(d->kh - 1) * d->dh / sh + 1;
	const int64_t ch = plane % d->c;
	const float *in = x + plane * p->hw;
	const float *w = p->w + ch * taps * F32_MR; /* panel of one channel: lane 0 of F32_MR */
	const f32v bias = f32v_set1(p->bias[ch * F32_MR]);
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	float buf[F32_DW_BUF];
	for (int64_t c0 = oy0; c0 < oy1; c0 += chunk) {
		int64_t c1 = c0 + chunk < oy1 ? c0 + chunk : oy1, rows = c1 - c0;
		int64_t hh = rows + ext, sub = hh * wh + F32_VL; /* floats per sub-plane, with slack */
		float *planes = buf, *outs = buf + sh * sw * sub;
		memset(planes, 0, (size_t)(sh * sw * sub) * sizeof *planes);
		/* padded row pr = c0 * sh + r * sh + a is input row pr - pt */
		for (int64_t a = 0; a < sh; a++)
			for (int64_t r = 0; r < hh; r++) {
				int64_t iy = (c0 + r) * sh + a - d->pt;
				if (iy < 0 || iy >= d->h)
					continue;
				const float *src = in + iy * d->w;
				if (sw == 1) {
					memcpy(planes + a * sub + r * wh + d->pl, src, (size_t)d->w * sizeof *src);
					continue;
				}
				for (int64_t ix = 0; ix < d->w; ix++) {
					int64_t pc = ix + d->pl;
					planes[(a * sw + pc % sw) * sub + r * wh + pc / sw] = src[ix];
				}
			}
		int64_t off[QX_F32_DW_TAPS_MAX];
		for (int ky = 0; ky < d->kh; ky++)
			for (int kx = 0; kx < d->kw; kx++) {
				int64_t dy = (int64_t)ky * d->dh, dx = (int64_t)kx * d->dw;
				off[ky * d->kw + kx] = (dy % sh * sw + dx % sw) * sub + dy / sh * wh + dx / sw;
			}
		int64_t count = (rows - 1) * wh + d->ow, j = 0;
		/* four vectors side by side: four independent FMA chains, the tap weights broadcast
		 * once for all four (one chain waited out each FMA's latency) */
		f32v wv[QX_F32_DW_TAPS_MAX];
		for (int64_t t = 0; t < taps; t++)
			wv[t] = f32v_set1(w[t * F32_MR]);
		for (; j + 4 * F32_VL <= count; j += 4 * F32_VL) {
			f32v a0 = bias, a1 = bias, a2 = bias, a3 = bias;
			for (int64_t t = 0; t < taps; t++) {
				const float *q = planes + off[t] + j;
				a0 = f32v_fmadd(f32v_loadu(q), wv[t], a0);
				a1 = f32v_fmadd(f32v_loadu(q + F32_VL), wv[t], a1);
				a2 = f32v_fmadd(f32v_loadu(q + 2 * F32_VL), wv[t], a2);
				a3 = f32v_fmadd(f32v_loadu(q + 3 * F32_VL), wv[t], a3);
			}
			f32v_storeu(outs + j, f32v_clamp(a0, lo, hi));
			f32v_storeu(outs + j + F32_VL, f32v_clamp(a1, lo, hi));
			f32v_storeu(outs + j + 2 * F32_VL, f32v_clamp(a2, lo, hi));
			f32v_storeu(outs + j + 3 * F32_VL, f32v_clamp(a3, lo, hi));
		}
		for (; j < count; j += F32_VL) {
			f32v acc = bias;
			for (int64_t t = 0; t < taps; t++)
				acc = f32v_fmadd(f32v_loadu(planes + off[t] + j), f32v_set1(w[t * F32_MR]), acc);
			f32v_storeu(outs + j, f32v_clamp(acc, lo, hi));
		}
		for (int64_t r = 0; r < rows; r++)
			memcpy(y + (plane * d->oh + c0 + r) * d->ow, outs + r * wh,
			       (size_t)d->ow * sizeof *outs);
	}
}

/* Rows [row_begin, row_end) of n * c * oh: whole runs of one channel's rows at a time. With
 * AVX-512, a stride-1 depthwise whose output keeps the input's size runs on NCHW directly
 * (f32_dwtiny_template.h); small images otherwise channels-last (f32_dwconv_template.h); the
 * rest plane by plane (conv_depthwise_flat, conv_depthwise). */
static void conv_depthwise_rows(const struct conv_packed *p, const float *x, float *y,
                                int64_t row_begin, int64_t row_end)
{
	const struct qx_f32_conv_desc *d = &p->d;
#if F32_MASKED_LOAD_ANYWHERE
	if (p->dwt) {
		conv_depthwise_tiny(p, x, y, row_begin, row_end);
		return;
	}
#endif
	if (p->dwcl) {
		conv_depthwise_cl(p, x, y, row_begin, row_end);
		return;
	}
	/* Horizontal stride 2 would split each row by column parity element by element, which
	 * costs more than the tap-by-tap form saves: stride 1 only. */
	int64_t chunk = (int64_t)d->kh * d->kw <= QX_F32_DW_TAPS_MAX && d->sw == 1
	                        ? depthwise_flat_rows(d) : 0;
	if (chunk == 0) {
		conv_depthwise(p, x, y, row_begin, row_end);
		return;
	}
	while (row_begin < row_end) {
		int64_t plane = row_begin / d->oh, oy0 = row_begin % d->oh;
		int64_t oy1 = row_end - plane * d->oh < d->oh ? row_end - plane * d->oh : d->oh;
		conv_depthwise_flat(p, x, y, plane, oy0, oy1, chunk);
		row_begin = plane * d->oh + oy1;
	}
}

void F32_FN(conv)(const void *packed, const float *x, float *y, int64_t row_begin, int64_t row_end)
{
	const struct conv_packed *p = packed;
	const struct qx_f32_conv_desc *d = &p->d;
	int64_t rows_img = d->oc * d->oh;
	if (rows_img <= 0 || d->ow <= 0)
		return;
	if (row_end > d->n * rows_img)
		row_end = d->n * rows_img;
	if (row_begin < 0)
		row_begin = 0;
	if (p->depthwise) {
		conv_depthwise_rows(p, x, y, row_begin, row_end);
		return;
	}
	while (row_begin < row_end) {
		int64_t n = row_begin / rows_img, lb = row_begin - n * rows_img;
		if (lb == 0 && row_end - row_begin >= rows_img && p->pwt) {
			/* whole tiny images of a 1x1: output channels across the lanes */
			int64_t imgs = (row_end - row_begin) / rows_img;
			pwt_images(p, x, y, n, n + imgs);
			row_begin += imgs * rows_img;
			continue;
		}
		if (lb == 0 && row_end - row_begin >= rows_img) {
			/* Whole images: every channel, their pixels as one range across the batch. */
			int64_t imgs = (row_end - row_begin) / rows_img;
			conv_segment(p, x, y, 0, d->oc, n * p->ohw, (n + imgs) * p->ohw);
			row_begin += imgs * rows_img;
			continue;
		}
		int64_t le = row_end - n * rows_img < rows_img ? row_end - n * rows_img : rows_img;
		conv_image_part(p, x, y, n, lb, le);
		row_begin = n * rows_img + le;
	}
}
