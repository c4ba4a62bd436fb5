/* Direct convolution of small images that computes only the real taps, part of
 * f32_conv_template.h (included after struct conv_packed; the ops header and
 * f32_tile_template.h come first).
 *
 * Why: on a 3x3 image a same-padded 3x3 kernel reaches outside the image for 32 of its 81
 * (pixel, tap) pairs, on a 2x2 image for 20 of 36. The GEMM paths (im2col, row copy, same-3x3)
 * put output pixels across the lanes and multiply the zeros of the padding like any input:
 * squeezenet's last stages (3x3 and 6x6 images) spent about 40% of their FMAs on them,
 * resnet18's last (2x2) 56%, and a 9-pixel image fills 9 of 16 lanes.
 *
 * How: output channels run across the lanes, output pixels are the micro-kernel's broadcast
 * rows (as the 1x1 path f32_pwconv_template.h does). Every output pixel (oy, ox) reads the
 * kernel rows ky whose input row oy * sh - pt + ky * dh lies inside the image, a range
 * [ky0, ky1), and likewise the kernel columns [kx0, kx1): the pixels of one image that share
 * both ranges form a class (a 3x3 image with padding 1 has 9 classes of one pixel, a 6x6 one
 * 9 classes of 1, 4 or 16 pixels). A micro-tile is P pixels of one class, from any images of
 * the call, times M vectors of output channels; it runs over that class's taps only, each a
 * fixed offset from a pixel's window origin, and over the input channels inside, reading x in
 * place (NCHW: channel ic of a pixel is hw floats after channel ic - 1; a broadcast load does
 * not need them adjacent). Weights are packed once as [tap][c][ocp], ocp = oc rounded up to
 * whole vectors (zeros past oc), so a tap's channel row is M plain vector loads.
 *
 * The sums: output (img, o, oy, ox) = bias[o], then for each of its class's taps in (ky, kx)
 * order, for ic = 0..c-1, one FMA with x * w: the same operations for the same output whatever
 * the tile, the range or the batch, so split calls give the whole call's bits. The taps left
 * out are exact zeros in the reference (a zero times a finite weight, added), so this is the
 * scalar kernel's sum in another order, held to the same tolerance (tests/test_f32_kernels.c).
 * Only a non-finite weight tells the two apart: times a padding zero it makes the reference's
 * output NaN, where this path may give +-inf or a number (the tests' weights are finite).
 *
 * Chunks of images and channels are computed channels last into a stack buffer (direct vector
 * stores from the tile), then transposed F32_VL x F32_VL in registers into y's NCHW planes.
 *
 * Taken (sc_fits) for groups-1 convolutions with outputs of at most F32_SC_MAX_PIX pixels per
 * image: with AVX-512 a plain 1x1 when c >= F32_SC_PW_RATIO * oc and its pixels leave the
 * GEMM's vectors under 90% full (and not f32_pwconv_template.h's); any other when
 * K = c * kh * kw >= F32_SC_MIN_K and the stride is not 1, or the real taps are under
 * F32_SC_REAL_MAX of all, or (AVX-512) K >= F32_SC_LONG_K. The measurements behind each bound
 * are at its definition. */
#include <stdint.h>
#include <stdlib.h>

#ifndef F32_SC_MAX_PIX
#define F32_SC_MAX_PIX 64      /* output pixels per image at most (8x8) */
#endif
#define F32_SC_TAPS_MAX 49     /* kh * kw at most (7x7) */
/* c * kh * kw at least: below it a tile's fixed cost (bias, clamp, stores) outweighs
 * its FMAs (resnet18's 1x1 stride-2 shortcuts, K 8 and 16, ran up to 2x slower here) */
#define F32_SC_MIN_K 64
/* A 1x1 (stride 1, no padding: no taps to skip) only when it narrows the channels at least
 * this much, the GEMM's pixel vectors over the call's images would be under 90% full, and
 * f32_pwconv_template.h's path (fewer pixels than a vector) does not take it. On squeezenet's
 * 3x3 images at batch 4 (36 pixels in 48 lanes) the squeezes (128..256 -> 10..32) ran 10-43%
 * faster here than as that GEMM; the expands (16..32 -> 64..128, more outputs per FMA to
 * store) and 64 -> 16 ran 5-55% slower; with full vectors (16 pixels: mobilenet_v2's 4x4 at
 * batch 1, 144 -> 24) 30% slower. */
#define F32_SC_PW_RATIO 5
#if F32_VL == 16
#define F32_SC_PW 1
#else
#define F32_SC_PW 0 /* AVX2: the same squeezes ran 4-30% slower here than as a GEMM */
#endif
#ifndef F32_SC_REAL_MAX
/* Stride 1: real taps under this share of all. Measured at batch 4 (squeezenet's 16 -> 64 on
 * 6x6, 79% real): 20% faster here with AVX-512, 20-40% slower with AVX2, whose im2col strips
 * span images and whose 16 registers hold smaller tiles. */
#if F32_VL == 16
#define F32_SC_REAL_MAX 0.8
#else
#define F32_SC_REAL_MAX 0.75
#endif
#endif
#ifndef F32_SC_LONG_K
/* Stride 1 whatever the real share when c * kh * kw is at least this (AVX-512 only): the tiles'
 * fixed costs fade over a long K. Measured at batch 4 on 7x7 images: 64 -> 128 (K 576) 12%
 * faster than the same-3x3 path at 91-95% of the FMA loop, 32 -> 32 (K 288) 25%, 16 -> 16
 * (K 144) the same; 8x8, 64 -> 64: 12% faster. */
#if F32_VL == 16
#define F32_SC_LONG_K 256
#else
#define F32_SC_LONG_K INT64_MAX
#endif
#endif
#define F32_SC_PMAX 12         /* pixels per micro-tile at most (SC_PMAX_OF says per width) */

/* Pixels of one image with the same kernel rows and columns inside the image. */
struct f32_sc_class {
	int ntaps;
	int32_t first, count;          /* pixels pix[first .. first + count) of struct f32_sc */
	int64_t xoff[F32_SC_TAPS_MAX]; /* tap t's input from the pixel's window origin */
	int64_t woff[F32_SC_TAPS_MAX]; /* tap t's weights: (ky * kw + kx) * c * ocp */
};

struct f32_sc {
	int64_t ocp;                   /* oc rounded up to F32_VL */
	float *w;                      /* [kh * kw][c][ocp] */
	float *bias;                   /* [ocp] */
	int nclass;
	struct f32_sc_class *cls;      /* [nclass] */
	int32_t *pix;                  /* [oh * ow]: output pixels (oy * ow + ox), by class */
};

static void sc_free(struct f32_sc *s)
{
	if (!s)
		return;
	free(s->w);
	free(s->bias);
	free(s->cls);
	free(s->pix);
	free(s);
}

/* The kernel rows (or columns) [*k0, *k1) whose input o * s - pad + k * dil lies in [0, n). */
static void sc_range(int64_t o, int s, int pad, int dil, int k, int64_t n, int *k0, int *k1)
{
	*k0 = k;
	*k1 = 0;
	for (int t = 0; t < k; t++) {
		int64_t i = o * s - pad + (int64_t)t * dil;
		if (i >= 0 && i < n) {
			if (t < *k0)
				*k0 = t;
			*k1 = t + 1;
		}
	}
	if (*k1 <= *k0)
		*k0 = *k1 = 0;
}

/* Whether this path takes d: see the header. Stride 1 only where the real taps are under
 * F32_SC_REAL_MAX of all: there the GEMM paths (row copy, same-3x3 at 91-95% of the FMA loop
 * on a 7x7 image, whose taps are 82% real) stay ahead. Their stride-2 gather (im2col) is slower
 * than this path on every stride-2 shape measured (resnet18's 14x14 -> 7x7 to 4x4 -> 2x2). */
static int sc_fits(const struct qx_f32_conv_desc *d)
{
	int pointwise = d->kh == 1 && d->kw == 1 && d->sh == 1 && d->sw == 1 && d->pt == 0 &&
	                d->pl == 0 && d->pb == 0 && d->pr == 0;
	if (d->groups != 1 || d->c < 1 || d->oc < 1 || d->oh < 1 || d->ow < 1 ||
	    d->oh * d->ow > F32_SC_MAX_PIX || d->kh < 1 || d->kw < 1 ||
	    (int64_t)d->kh * d->kw > F32_SC_TAPS_MAX)
		return 0;
	if (pointwise)
		return F32_SC_PW && !pwt_fits(d) && d->c >= F32_SC_PW_RATIO * d->oc &&
		       (double)d->n * d->ow * d->oh <
		               0.9 * (double)((d->n * d->oh * d->ow + F32_VL - 1) / F32_VL * F32_VL);
	if (d->c * d->kh * d->kw < F32_SC_MIN_K)
		return 0;
	if (d->sh != 1 || d->sw != 1)
		return 1;
	int64_t rows = 0, cols = 0;
	for (int64_t o = 0; o < d->oh; o++) {
		int k0, k1;
		sc_range(o, d->sh, d->pt, d->dh, d->kh, d->h, &k0, &k1);
		rows += k1 - k0;
	}
	for (int64_t o = 0; o < d->ow; o++) {
		int k0, k1;
		sc_range(o, d->sw, d->pl, d->dw, d->kw, d->w, &k0, &k1);
		cols += k1 - k0;
	}
	return (double)rows * cols < F32_SC_REAL_MAX * (double)(d->oh * d->kh) * (d->ow * d->kw) ||
	       d->c * d->kh * d->kw >= F32_SC_LONG_K;
}

/* The packed weights and the pixel classes, or NULL when out of memory. */
static struct f32_sc *sc_pack(const struct qx_f32_conv_desc *d, const float *w_oihw,
                              const float *bias)
{
	const int64_t taps = (int64_t)d->kh * d->kw, ohw = d->oh * d->ow;
	struct f32_sc *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->ocp = (d->oc + F32_VL - 1) / F32_VL * F32_VL;
	s->w = calloc((size_t)(taps * d->c * s->ocp), sizeof *s->w);
	s->bias = calloc((size_t)s->ocp, sizeof *s->bias);
	s->cls = calloc((size_t)ohw, sizeof *s->cls);
	s->pix = calloc((size_t)ohw, sizeof *s->pix);
	int32_t *cid = calloc((size_t)ohw, sizeof *cid);
	if (!s->w || !s->bias || !s->cls || !s->pix || !cid) {
		free(cid);
		sc_free(s);
		return NULL;
	}
	for (int64_t o = 0; o < d->oc; o++) {
		s->bias[o] = bias ? bias[o] : 0.0f;
		for (int64_t i = 0; i < d->c; i++)
			for (int64_t t = 0; t < taps; t++)
				s->w[(t * d->c + i) * s->ocp + o] = w_oihw[(o * d->c + i) * taps + t];
	}
	/* classes in order of first appearance; cid[q] = pixel q's class */
	int ranges[F32_SC_MAX_PIX][4];
	for (int64_t q = 0; q < ohw; q++) {
		int r[4];
		sc_range(q / d->ow, d->sh, d->pt, d->dh, d->kh, d->h, &r[0], &r[1]);
		sc_range(q % d->ow, d->sw, d->pl, d->dw, d->kw, d->w, &r[2], &r[3]);
		int c = 0;
		while (c < s->nclass && memcmp(ranges[c], r, sizeof r))
			c++;
		if (c == s->nclass) {
			memcpy(ranges[c], r, sizeof r);
			struct f32_sc_class *cl = &s->cls[s->nclass++];
			for (int ky = r[0]; ky < r[1]; ky++)
				for (int kx = r[2]; kx < r[3]; kx++) {
					cl->xoff[cl->ntaps] = (int64_t)ky * d->dh * d->w + (int64_t)kx * d->dw;
					cl->woff[cl->ntaps++] = ((int64_t)ky * d->kw + kx) * d->c * s->ocp;
				}
		}
		cid[q] = c;
		s->cls[c].count++;
	}
	int32_t next = 0;
	for (int c = 0; c < s->nclass; c++) {
		s->cls[c].first = next;
		next += s->cls[c].count;
		s->cls[c].count = 0;
	}
	for (int64_t q = 0; q < ohw; q++) {
		struct f32_sc_class *cl = &s->cls[cid[q]];
		s->pix[cl->first + cl->count++] = (int32_t)q;
	}
	free(cid);
	return s;
}

/* One micro-tile: P pixels (window origins x + xo[p]) of class cl times M vectors of output
 * channels from w and bias (already at the first channel), clamped into out + orow[p]. */
F32_INLINE void sc_tile(const int P, const int M, const struct f32_sc_class *cl, const float *x,
                        const int64_t *xo, const float *w, const float *bias, int64_t c,
                        int64_t hw, int64_t ocp, f32v lo, f32v hi, float *out,
                        const int64_t *orow)
{
	f32v acc[F32_SC_PMAX][8];
#pragma GCC unroll 12
	for (int m = 0; m < M; m++) {
		f32v b = f32v_loadu(bias + m * F32_VL);
#pragma GCC unroll 12
		for (int p = 0; p < P; p++)
			acc[p][m] = b;
	}
	for (int t = 0; t < cl->ntaps; t++) {
		const float *wt = w + cl->woff[t];
		const float *xp[F32_SC_PMAX];
#pragma GCC unroll 12
		for (int p = 0; p < P; p++)
			xp[p] = x + (xo[p] + cl->xoff[t]); /* inside x: a real tap */
		for (int64_t i = 0, xi = 0; i < c; i++, xi += hw, wt += ocp) {
			f32v wv[8];
#pragma GCC unroll 12
			for (int m = 0; m < M; m++)
				wv[m] = f32v_loadu(wt + m * F32_VL);
#pragma GCC unroll 12
			for (int p = 0; p < P; p++) {
				f32v xv = f32v_set1(xp[p][xi]);
#pragma GCC unroll 12
				for (int m = 0; m < M; m++)
					acc[p][m] = f32v_fmadd(xv, wv[m], acc[p][m]);
			}
		}
	}
#pragma GCC unroll 12
	for (int p = 0; p < P; p++)
#pragma GCC unroll 12
		for (int m = 0; m < M; m++)
			f32v_storeu(out + orow[p] + m * F32_VL, f32v_clamp(acc[p][m], lo, hi));
}

/* The widest tile of M vectors that fits the registers (accumulators, M weights, one
 * broadcast). */
#if F32_VL == 16
#define SC_PMAX_OF(M) ((M) <= 2 ? 12 : (M) <= 3 ? 8 : (M) <= 4 ? 6 : (M) <= 6 ? 4 : 3)
#else
#define SC_PMAX_OF(M) ((M) <= 1 ? 12 : (M) <= 2 ? 6 : (M) <= 3 ? 3 : (M) <= 4 ? 2 : 1)
#endif

#define SC_CASE(PP, MM)                                                                         \
	case PP:                                                                                \
		if ((PP) <= SC_PMAX_OF(MM))                                                     \
			sc_tile((PP) <= SC_PMAX_OF(MM) ? (PP) : 1, MM, cl, x, xo, w, bias, c, hw, ocp, \
			        lo, hi, out, orow);                                             \
		break;
#define SC_M(MM)                                                                                \
	static __attribute__((noinline)) void sc_tile_m##MM(int P, const struct f32_sc_class *cl,   \
	                                                    const float *x, const int64_t *xo,     \
	                                                    const float *w, const float *bias,     \
	                                                    int64_t c, int64_t hw, int64_t ocp,    \
	                                                    f32v lo, f32v hi, float *out,          \
	                                                    const int64_t *orow)                   \
	{                                                                                       \
		switch (P) {                                                                    \
			SC_CASE(1, MM) SC_CASE(2, MM) SC_CASE(3, MM) SC_CASE(4, MM)             \
			SC_CASE(5, MM) SC_CASE(6, MM) SC_CASE(7, MM) SC_CASE(8, MM)             \
			SC_CASE(9, MM) SC_CASE(10, MM) SC_CASE(11, MM) SC_CASE(12, MM)          \
		default:                                                                        \
			break;                                                                  \
		}                                                                               \
	}
SC_M(1)
SC_M(2)
SC_M(3)
SC_M(4)
SC_M(6)
SC_M(8)

/* Vectors of output channels per tile for a class of n pixels in the call, v vectors left:
 * at least 8 accumulators where there are (each FMA waits 4 cycles, two issue per cycle). */
static int sc_vectors(int64_t n, int64_t v)
{
	static const int widths[] = { 8, 6, 4, 3, 2, 1 }; /* AVX2: up to 4 (16 ymm) */
	if (n > 6 && F32_VL == 16)
		n = 6; /* 6 x 4 over 12 x 2: 10 loads per 24 FMAs, not 14 (1-2% faster on 6x6, 7x7) */
	for (int i = F32_VL == 16 ? 0 : 2; i < 6; i++)
		if (SC_PMAX_OF(widths[i]) >= n && widths[i] <= v)
			return widths[i];
	return 1;
}

static void sc_tile_any(int P, int M, const struct f32_sc_class *cl, const float *x,
                        const int64_t *xo, const float *w, const float *bias, int64_t c,
                        int64_t hw, int64_t ocp, f32v lo, f32v hi, float *out,
                        const int64_t *orow)
{
	switch (M) {
	case 1:
		sc_tile_m1(P, cl, x, xo, w, bias, c, hw, ocp, lo, hi, out, orow);
		break;
	case 2:
		sc_tile_m2(P, cl, x, xo, w, bias, c, hw, ocp, lo, hi, out, orow);
		break;
	case 3:
		sc_tile_m3(P, cl, x, xo, w, bias, c, hw, ocp, lo, hi, out, orow);
		break;
	case 4:
		sc_tile_m4(P, cl, x, xo, w, bias, c, hw, ocp, lo, hi, out, orow);
		break;
	case 6:
		sc_tile_m6(P, cl, x, xo, w, bias, c, hw, ocp, lo, hi, out, orow);
		break;
	default:
		sc_tile_m8(P, cl, x, xo, w, bias, c, hw, ocp, lo, hi, out, orow);
		break;
	}
}

#ifndef F32_SC_BUF
#define F32_SC_BUF 16384 /* floats of stack for a chunk's outputs, channels last (64 KiB) */
#endif

/* Pixels [qlo, qhi) (numbered across the batch, within images [i0, ...)) times output
 * channels [o_lo, o_hi), channels last into buf: pixel q's row is (q - i0 * ohw) * ld. */
static void sc_chunk(const struct f32_sc *s, const struct qx_f32_conv_desc *d, const float *x,
                     float *buf, int64_t ld, int64_t i0, int64_t o_lo, int64_t o_hi,
                     int64_t qlo, int64_t qhi)
{
	const int64_t ohw = d->oh * d->ow, hw = d->h * d->w, c = d->c;
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	int64_t xo[F32_SC_PMAX], orow[F32_SC_PMAX];
	int64_t img_a = qlo / ohw, img_b = (qhi - 1) / ohw;
	const int64_t vectors = (o_hi - o_lo + F32_VL - 1) / F32_VL;
	for (int k = 0; k < s->nclass; k++) {
		const struct f32_sc_class *cl = &s->cls[k];
		/* this chunk's pixels of the class */
		int64_t n = 0;
		for (int64_t img = img_a; img <= img_b; img++)
			for (int32_t i = 0; i < cl->count; i++) {
				int64_t q = img * ohw + s->pix[cl->first + i];
				n += q >= qlo && q < qhi;
			}
		int64_t img = img_a;
		int32_t i = 0;
		for (int64_t done = 0; done < n;) {
			/* the next tile's pixels, in (image, class) order */
			int64_t want = n - done;
			int P = 0, pmax = SC_PMAX_OF(sc_vectors(want, vectors));
			while (P < pmax && P < want) {
				int64_t pix = s->pix[cl->first + i], q = img * ohw + pix;
				if (q >= qlo && q < qhi) {
					int64_t oy = pix / d->ow, ox = pix % d->ow;
					xo[P] = img * c * hw + (oy * d->sh - d->pt) * d->w + ox * d->sw - d->pl;
					orow[P] = (q - i0 * ohw) * ld;
					P++;
				}
				if (++i == cl->count) {
					i = 0;
					img++;
				}
			}
			done += P;
			for (int64_t o0 = o_lo; o0 < o_hi;) {
				int M = sc_vectors(P, (o_hi - o0 + F32_VL - 1) / F32_VL);
				sc_tile_any(P, M, cl, x, xo, s->w + o0, s->bias + o0, c, hw, s->ocp, lo, hi,
				            buf + (o0 - o_lo), orow);
				o0 += M * F32_VL;
			}
		}
	}
}

/* buf's rows (sc_chunk) into y's NCHW planes, channels [ca, cb) of [o_lo, o_lo + ld) only:
 * F32_VL pixels by F32_VL channels at a time, transposed in registers. */
static void sc_store(const struct qx_f32_conv_desc *d, const float *buf, int64_t ld, int64_t i0,
                     int64_t o_lo, int64_t ca, int64_t cb, int64_t qlo, int64_t qhi, float *y)
{
	const int64_t ohw = d->oh * d->ow;
	for (int64_t img = qlo / ohw; img * ohw < qhi; img++) {
		int64_t pa = qlo - img * ohw > 0 ? qlo - img * ohw : 0;
		int64_t pb = qhi - img * ohw < ohw ? qhi - img * ohw : ohw;
		const float *rows = buf + (img - i0) * ohw * ld;
		for (int64_t ob = o_lo; ob < cb; ob += F32_VL) {
			int64_t ja = ca > ob ? ca - ob : 0, jb = cb - ob < F32_VL ? cb - ob : F32_VL;
			for (int64_t p0 = pa; p0 < pb; p0 += F32_VL) {
				int64_t np = pb - p0 < F32_VL ? pb - p0 : F32_VL;
				f32v r[F32_VL];
				for (int64_t k = 0; k < F32_VL; k++)
					r[k] = k < np ? f32v_loadu(rows + (p0 + k) * ld + (ob - o_lo)) :
					                f32v_zero();
				f32v_transpose(r);
				float *yo = y + (img * d->oc + ob) * ohw + p0;
				for (int64_t j = ja; j < jb; j++)
					f32v_store_first(yo + j * ohw, r[j], np);
			}
		}
	}
}

/* Output channels [ca, cb) at pixels [qa, qb) (numbered across the batch): in chunks of
 * channels and images whose outputs fit F32_SC_BUF, each computed channels last, then stored
 * into y's planes. */
static void sc_segment(const struct f32_sc *s, const struct qx_f32_conv_desc *d, const float *x,
                       float *y, int64_t ca, int64_t cb, int64_t qa, int64_t qb)
{
	const int64_t ohw = d->oh * d->ow;
	_Alignas(64) float buf[F32_SC_BUF];
	/* F32_SC_MAX_PIX * F32_VL <= F32_SC_BUF: one image and one vector of channels fit */
	int64_t oc_a = ca / F32_VL * F32_VL;
	int64_t ocw = (cb - oc_a + F32_VL - 1) / F32_VL * F32_VL;
	if (ocw * ohw > F32_SC_BUF)
		ocw = F32_SC_BUF / ohw / F32_VL * F32_VL;
	for (int64_t o_lo = oc_a; o_lo < cb; o_lo += ocw) {
		int64_t o_hi = o_lo + ocw < cb ? o_lo + ocw : cb;
		int64_t ld = (o_hi - o_lo + F32_VL - 1) / F32_VL * F32_VL;
		int64_t ni = F32_SC_BUF / (ohw * ld);
		for (int64_t i0 = qa / ohw; i0 * ohw < qb; i0 += ni) {
			int64_t qlo = qa > i0 * ohw ? qa : i0 * ohw;
			int64_t qhi = qb < (i0 + ni) * ohw ? qb : (i0 + ni) * ohw;
			sc_chunk(s, d, x, buf, ld, i0, o_lo, o_hi, qlo, qhi);
			sc_store(d, buf, ld, i0, o_lo, ca > o_lo ? ca : o_lo, o_hi, qlo, qhi, y);
		}
	}
}
