/* Depthwise convolution straight on NCHW (stride 1; stride 2 on larger images), part of f32_conv_template.h (which includes
 * it after struct conv_packed and f32_dwconv_template.h; the ops header comes first).
 *
 * Why: the zoo's depthwise layers run 3x3 and 5x5 kernels on images of 28x28 down to 2x2
 * (mobilenet_v2: 16 to 336 channels, mobilenet_v3_small: 40 to 200, shufflenet: 24 to 96). The
 * channels-last path (f32_dwconv_template.h) transposes F32_VL planes into a zero-padded buffer
 * and back, which costs more than the FMAs on these images, and computes every tap, though on
 * the smallest most of them read padding (5x5 on 2x2: 84 of every 100 products are zeros).
 *
 * Here, when the convolution keeps the image's size (stride 1, oh == h, ow == w), output pixel
 * q of a plane reads tap (ky, kx) at input pixel q + s, s = (ky dh - pt) w + (kx dw - pl): the
 * same offset for every pixel, whenever that input pixel lies inside the image. So a vector of
 * output pixels takes, per tap, one masked load at offset s (lanes whose input is padding read
 * 0) and one FMA, and is stored to y at x's offset: no copy, no transpose. Two forms:
 * - whole planes per vector, when h * w divides F32_VL (and the channels are a multiple of
 *   P = F32_VL / hw): a vector is F32_VL consecutive floats of x, P planes, running on across
 *   images; one mask per tap; a tap every lane of which reads padding is left out;
 * - vectors per plane otherwise (up to F32_DWT_VECS_MAX of them: 32x32 images): V = ceil(hw /
 *   F32_VL) vectors, one mask per tap and vector, the last one stored partly.
 * Four vectors run side by side (four independent FMA chains).
 *
 * Weights (packed once): with P <= 1 one float per (channel, tap), broadcast; with P > 1 one
 * vector per (group of P channels, tap) holding each lane's channel's weight. Either way the
 * biases follow the taps.
 *
 * Same bits as the channels-last path and conv_depthwise: each lane starts from its bias and
 * adds its taps in (ky, kx) order, one FMA each. The taps left out are those whose every product
 * is 0 * w, which adds nothing to a sum (except where the sum is -0, or the weight is not
 * finite), as conv_depthwise already skips padding rows.
 *
 * Needs masked loads whose left-out lanes may lie outside the buffer (a tap's offset reaches
 * before a plane's start or past its end): f32_conv_template.h includes it only where
 * F32_MASKED_LOAD_ANYWHERE (AVX-512). A range that does not start or end on a whole vector of
 * planes, or a whole plane (a thread pool's cut), runs its ends through conv_depthwise.
 * Stride 2 (output ceil(h / 2) x ceil(w / 2), at least F32_DWT_S2_MIN pixels): each plane is
 * first split by row and column parity into four sub-planes of the output's size (dwt_split);
 * tap (ky, kx) then reads one of them at a fixed offset, and the rest is as above. */
#include <stdint.h>
#include <stdlib.h>

#include "x86/f32_tile_template.h" /* F32_INLINE */

#ifndef F32_DWT_UNROLL
#define F32_DWT_UNROLL 4 /* vectors side by side */
#endif

#ifndef F32_DWT_VECS_MAX
#define F32_DWT_VECS_MAX 64 /* vectors per plane: images up to 1024 pixels (32x32) */
#endif

#define F32_DWT_S2_CHUNKS 4 /* stride 2: input rows up to 4 * 2 * F32_VL wide */

struct dwt_plan {
	int stride2;                           /* stride 2: planes split by parity first */
	int64_t sub;                           /* stride 2: floats per sub-plane (with slack) */
	struct f32_lanes2 split[2][F32_DWT_S2_CHUNKS]; /* stride 2: even, odd columns per chunk */
	int64_t planes;                        /* P: planes per vector (0: vectors per plane) */
	int64_t vecs;                          /* V: vectors per plane (1 when P > 0) */
	int taps;                              /* taps with a lane inside the image */
	int64_t shift[QX_F32_DW_TAPS_MAX];     /* per tap: input offset from the output pixel */
	f32mask *mask;                         /* [taps][V]: the lanes whose input is inside */
	float *w;                              /* P <= 1: [c][taps + 1]; else [c / P][taps + 1][F32_VL] */
};

static void conv_depthwise(const struct conv_packed *p, const float *x, float *y,
                           int64_t row_begin, int64_t row_end);

#ifndef F32_DWT_S2_MIN
/* Output pixels per plane below which stride 2 stays channels-last: with few vectors per plane
 * the split costs more than the transposes it saves (zoo, batch 4: 28x28 -> 14x14 15% faster,
 * 14x14 -> 7x7 about the same, 7x7 -> 4x4 twice as slow). */
#define F32_DWT_S2_MIN 64
#endif

/* Whether d is a stride-2 depthwise this path takes: every output pixel's window starts on an
 * even input row and column, ceil(h / 2) x ceil(w / 2) of them, so that the four parity
 * sub-planes of the input have the output's size. */
static int dwt_fits_s2(const struct qx_f32_conv_desc *d)
{
	int64_t ohw = d->oh * d->ow;
	return d->sh == 2 && d->sw == 2 && d->oh == (d->h + 1) / 2 && d->ow == (d->w + 1) / 2 &&
	       ohw >= F32_DWT_S2_MIN && ohw <= F32_DWT_VECS_MAX * F32_VL &&
	       d->w <= F32_DWT_S2_CHUNKS * 2 * F32_VL;
}

/* Whether depthwise d takes this path. */
static int dwt_fits(const struct qx_f32_conv_desc *d)
{
	int64_t hw = d->h * d->w;
	int whole = hw > 0 && F32_VL % hw == 0 && d->c % (F32_VL / hw) == 0;
	int s1 = d->sh == 1 && d->sw == 1 && d->oh == d->h && d->ow == d->w && hw > 0 &&
	         (whole || hw <= F32_DWT_VECS_MAX * F32_VL);
	return (s1 || dwt_fits_s2(d)) && (int64_t)d->kh * d->kw <= QX_F32_DW_TAPS_MAX;
}

/* Floor of a / 2 for any sign. */
static int64_t dwt_half_floor(int64_t a)
{
	return a >= 0 ? a / 2 : -((1 - a) / 2);
}

/* The plan and packed weights of depthwise d (dwt_fits); NULL when out of memory. */
static struct dwt_plan *dwt_pack(const struct qx_f32_conv_desc *d, const float *w_oihw,
                                 const float *bias)
{
	struct dwt_plan *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	const int64_t hw = d->h * d->w, khw = (int64_t)d->kh * d->kw, ohw = d->oh * d->ow;
	const int s2 = d->sh == 2;
	const int64_t P = !s2 && F32_VL % hw == 0 && d->c % (F32_VL / hw) == 0 ? F32_VL / hw : 0;
	const int64_t V = P ? 1 : (ohw + F32_VL - 1) / F32_VL;
	t->stride2 = s2;
	t->sub = ohw + F32_VL; /* a sub-row's whole-vector store may run past the sub-plane */
	for (int64_t b = 0; b < 2 && s2; b++)
		for (int64_t ch = 0; ch < F32_DWT_S2_CHUNKS; ch++) {
			int64_t nb = (d->w - b + 1) / 2 - ch * F32_VL; /* columns 2 c + b < w left */
			t->split[b][ch] = f32_lanes2_make(0, nb < 0 ? 0 : nb);
		}
	int64_t tap_of[QX_F32_DW_TAPS_MAX]; /* active tap -> kernel tap */
	t->planes = P;
	t->vecs = V;
	t->mask = calloc((size_t)(khw * V), sizeof *t->mask);
	if (!t->mask) {
		free(t);
		return NULL;
	}
	for (int64_t k = 0; k < khw; k++) {
		int64_t dy = k / d->kw * d->dh - d->pt, dx = k % d->kw * d->dw - d->pl;
		uint32_t any = 0;
		for (int64_t j = 0; j < V; j++) {
			uint32_t bits = 0;
			for (int64_t l = 0; l < F32_VL; l++) {
				int64_t q = P ? l % hw : j * F32_VL + l; /* the lane's output pixel */
				int64_t iy = q / d->ow * d->sh + dy, ix = q % d->ow * d->sw + dx;
				if (q < ohw && iy >= 0 && iy < d->h && ix >= 0 && ix < d->w)
					bits |= 1u << l;
			}
			t->mask[t->taps * V + j] = (f32mask)bits;
			any |= bits;
		}
		if (!any)
			continue;
		/* stride 2: input (2 oy + dy, 2 ox + dx) is in sub-plane (dy & 1, dx & 1), at row
		 * oy + floor(dy / 2), column ox + floor(dx / 2) (dwt_split) */
		int64_t fy = dwt_half_floor(dy), fx = dwt_half_floor(dx);
		t->shift[t->taps] = s2 ? ((dy - 2 * fy) * 2 + dx - 2 * fx) * t->sub + fy * d->ow + fx
		                       : dy * d->w + dx;
		tap_of[t->taps++] = k;
	}
	const int64_t row = t->taps + 1; /* per channel (P == 1) or per lane of a group's vectors */
	t->w = calloc((size_t)(P <= 1 ? d->c * row : d->c / P * row * F32_VL), sizeof *t->w);
	if (!t->w) {
		free(t->mask);
		free(t);
		return NULL;
	}
	for (int64_t c = 0; c < d->c; c++)
		for (int64_t l = 0; l < (P <= 1 ? 1 : hw); l++) {
			/* P > 1: channel c is lanes [c % P * hw, + hw) of its group's vectors */
			float *dst = P <= 1 ? t->w + c * row : t->w + (c / P * row) * F32_VL + c % P * hw + l;
			int64_t step = P <= 1 ? 1 : F32_VL;
			for (int64_t j = 0; j < t->taps; j++)
				dst[j * step] = w_oihw[c * khw + tap_of[j]];
			dst[t->taps * step] = bias ? bias[c] : 0.0f;
		}
	return t;
}

static void dwt_free(struct dwt_plan *t)
{
	if (t) {
		free(t->w);
		free(t->mask);
	}
	free(t);
}

/* Vectors [v0, v1) of x (vector v: floats [v F32_VL, + F32_VL)); BCAST: P == 1. */
F32_INLINE void dwt_vectors(const int BCAST, const struct conv_packed *p, const struct dwt_plan *t,
                            const float *x, float *y, int64_t v0, int64_t v1)
{
	enum { U = F32_DWT_UNROLL };
	const struct qx_f32_conv_desc *d = &p->d;
	const int T = t->taps;
	const int64_t P = t->planes, row = T + 1;
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	int64_t v = v0;
	for (; v < v1; v += U) {
		const int nu = v1 - v < U ? (int)(v1 - v) : U;
		const float *wq[U];
		f32v acc[U];
#pragma GCC unroll 4
		for (int u = 0; u < U; u++) {
			int64_t ch = (v + (u < nu ? u : 0)) * P % d->c; /* the vector's first channel */
			wq[u] = BCAST ? t->w + ch * row : t->w + ch / P * row * F32_VL;
			acc[u] = BCAST ? f32v_set1(wq[u][T]) : f32v_loadu(wq[u] + T * F32_VL);
		}
		const float *xb = x + v * F32_VL;
		if (nu == U) {
			for (int k = 0; k < T; k++) {
				const f32mask m = t->mask[k]; /* V == 1 */
				const int64_t s = t->shift[k];
#pragma GCC unroll 4
				for (int u = 0; u < U; u++)
					acc[u] = f32v_fmadd(f32v_load_mask(xb, u * F32_VL + s, m),
					                    BCAST ? f32v_set1(wq[u][k]) : f32v_loadu(wq[u] + k * F32_VL),
					                    acc[u]);
			}
		} else {
			for (int k = 0; k < T; k++)
				for (int u = 0; u < nu; u++)
					acc[u] = f32v_fmadd(f32v_load_mask(xb, u * F32_VL + t->shift[k], t->mask[k]),
					                    BCAST ? f32v_set1(wq[u][k]) : f32v_loadu(wq[u] + k * F32_VL),
					                    acc[u]);
		}
#pragma GCC unroll 4
		for (int u = 0; u < U; u++)
			if (u < nu)
				f32v_storeu(y + (v + u) * F32_VL, f32v_clamp(acc[u], lo, hi));
	}
}

/* Stride 2: the input plane xp (h x w) as four sub-planes of the output's size (oh x ow), by
 * row and column parity: sub[(a * 2 + b) * t->sub + r * ow + c] = xp[(2 r + a) * w + 2 c + b],
 * each row's columns loaded in chunks with the masks made at pack time, stored as whole
 * vectors (what runs past a sub-row is overwritten by the next one or lands in the slack).
 * Places past the input's last odd row or column are not written (no lane reads them). */
static void dwt_split(const struct qx_f32_conv_desc *d, const struct dwt_plan *t,
                      const float *xp, float *sub)
{
	const f32v zero = f32v_zero();
	for (int64_t iy = 0; iy < d->h; iy++) {
		const float *row = xp + iy * d->w;
		for (int64_t b = 0; b < 2; b++) {
			float *dst = sub + ((iy & 1) * 2 + b) * t->sub + (iy >> 1) * d->ow;
			for (int64_t c0 = 0, ch = 0; c0 < d->ow; c0 += F32_VL, ch++)
				f32v_storeu(dst + c0, f32v_load2(zero, row, d->w, 2 * c0 + b, &t->split[b][ch]));
		}
	}
}

/* Planes [pl0, pl1), each V vectors (P == 0), U of them side by side with the plane's weights
 * broadcast once per tap; the last vector of a plane stores its first ohw % F32_VL lanes. */
static void dwt_planes(const struct conv_packed *p, const struct dwt_plan *t, const float *x,
                       float *y, int64_t pl0, int64_t pl1)
{
	enum { U = F32_DWT_UNROLL };
	const struct qx_f32_conv_desc *d = &p->d;
	const int T = t->taps;
	const int64_t V = t->vecs, hw = p->ohw; /* the output's pixels (the input's at stride 1) */
	const f32v lo = f32v_set1(d->act_min), hi = f32v_set1(d->act_max);
	_Alignas(64) float sub[4 * (F32_DWT_VECS_MAX + 1) * F32_VL];
	for (int64_t pl = pl0; pl < pl1; pl++) {
		const float *wq = t->w + pl % d->c * (T + 1);
		const float *xp = x + pl * p->hw;
		float *yp = y + pl * hw;
		if (t->stride2) {
			dwt_split(d, t, xp, sub);
			xp = sub;
		}
		const f32v bias = f32v_set1(wq[T]);
		for (int64_t j0 = 0; j0 < V; j0 += U) {
			const int nu = V - j0 < U ? (int)(V - j0) : U;
			f32v acc[U];
#pragma GCC unroll 4
			for (int u = 0; u < U; u++)
				acc[u] = bias;
			if (nu == U) {
				for (int k = 0; k < T; k++) {
					const f32v w = f32v_set1(wq[k]);
					const f32mask *m = t->mask + k * V + j0;
					const int64_t s = t->shift[k];
#pragma GCC unroll 4
					for (int u = 0; u < U; u++)
						acc[u] = f32v_fmadd(f32v_load_mask(xp, (j0 + u) * F32_VL + s, m[u]), w,
						                    acc[u]);
				}
			} else {
				for (int k = 0; k < T; k++)
					for (int u = 0; u < nu; u++)
						acc[u] = f32v_fmadd(f32v_load_mask(xp, (j0 + u) * F32_VL + t->shift[k],
						                                   t->mask[k * V + j0 + u]),
						                    f32v_set1(wq[k]), acc[u]);
			}
			for (int u = 0; u < nu; u++) {
				int64_t q = (j0 + u) * F32_VL;
				f32v_store_first(yp + q, f32v_clamp(acc[u], lo, hi),
				                 hw - q < F32_VL ? hw - q : F32_VL);
			}
		}
	}
}

/* Rows [row_begin, row_end) of n * c * oh: the whole vectors (or planes) inside, the rows
 * before and after them by conv_depthwise. */
static void conv_depthwise_tiny(const struct conv_packed *p, const float *x, float *y,
                                int64_t row_begin, int64_t row_end)
{
	const struct dwt_plan *t = p->dwt;
	/* output rows per vector (P > 0) or per plane */
	const int64_t rows_v = (t->planes ? t->planes : 1) * p->d.oh;
	int64_t v0 = (row_begin + rows_v - 1) / rows_v, v1 = row_end / rows_v;
	if (v0 >= v1) {
		conv_depthwise(p, x, y, row_begin, row_end);
		return;
	}
	if (row_begin < v0 * rows_v)
		conv_depthwise(p, x, y, row_begin, v0 * rows_v);
	if (t->planes == 0)
		dwt_planes(p, t, x, y, v0, v1);
	else if (t->planes == 1)
		dwt_vectors(1, p, t, x, y, v0, v1);
	else
		dwt_vectors(0, p, t, x, y, v0, v1);
	if (v1 * rows_v < row_end)
		conv_depthwise(p, x, y, v1 * rows_v, row_end);
}
