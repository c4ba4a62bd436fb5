/* The x86 int8 convolution / dynamic GEMM driver, written once and compiled by each SIMD set
 * (kernels/avx2/, kernels/avxvnni/, kernels/avx512vnni/) with that set's vector operations and
 * flags. Same style as the fp32 templates (f32_*_template.h): the set's .c file includes its
 * ops header, then this template.
 *
 * Per call: for each tile of mr output pixels, gather each pixel's receptive field into a row
 * of the tile buffer (im2col, q8_common.h), then for each block of nb vectors of output
 * channels run the register-blocked microkernel (mr x nb accumulators, one weight vector per nb
 * and one broadcast of kgroup inputs per pixel at each step) and requantize in registers.
 * The accumulators start at the folded bias (bias - in_zp * sum w), so padding filled with
 * in_zp and channel/K padding met by zero weights make the sum exact mod 2^32, as in scalar.
 * Requantization: kernels_q8.h's clamp-then-round, or, where the packer proved it gives the
 * same bytes (p->sat_clamp, q8_common.h), round then clamp on the packed bytes.
 *
 * The set's ops header (q8_<set>_ops.h) defines:
 *   Q8_FN(name)           the set's prefix, e.g. avx512vnni_ ## name
 *   Q8_LANES              int32 lanes per vector (16 or 8)
 *   Q8_KGROUP             inputs per lane per dot instruction (4 or 2)
 *   Q8_ELEM               gathered input element (uint8_t, or int16_t for 16-bit sets)
 *   Q8_WELEM              packed weight element (int8_t or int16_t)
 *   Q8_NB_MAX, Q8_MR(nb)  tile shape (must match the set's struct qx_q8_simd_shape)
 *   Q8_WIDE               1 when gathered inputs are 16-bit, else 0
 *   q8_vec, q8_vecf       the integer and float vector types
 * and these always-inline functions:
 *   q8v_copy_short(dst, src)  copy Q8_SHORT_SEG (4, or 16 when wide) bytes into Q8_ELEMs
 *   q8v_copy_seg(dst, src, len, src_end)   copy len input bytes into Q8_ELEMs at dst; may
 *                         over-write dst up to 31 elements and over-read src up to src_end
 *   q8v_loadw(p)          load one weight vector
 *   q8v_bcast(p)          broadcast the 32 bits at p (kgroup inputs) to every lane
 *   q8v_dot(acc, a, w)    acc + per lane sum of kgroup products a * w, exact, mod 2^32
 *   q8v_loadi(p), q8v_subi, q8v_mullo, q8v_set1i, q8v_addi
 *   q8v_loadf_part(p, n), q8v_storef_part(p, v, n)   n <= lanes floats
 *   q8v_cvtf(v) (cvtdq2ps), q8v_mulf, q8v_addf, q8v_set1f, q8v_maxf(t, lo) (maxps: NaN -> lo),
 *   q8v_minf, q8v_cvti(f) (cvtps2dq: round half to even under the default MXCSR)
 *   q8v_store_row_u8(p, r0, r1, r2, r3, nb, n)   store the first n of the nb * lanes int32 in
 *                         r0.. (values already in [0, 255]) as bytes, packing with saturation
 *   q8v_store_row_u8_sat(p, r0, r1, r2, r3, nb, n, bmin, bmax)   the same for int32 of any
 *                         value, stored as clamp(v, lo, hi) with lo, hi every byte of bmin, bmax
 *   q8v_set1b(v)          v in every byte
 *   q8v_loadu8_i32(p)     Q8_LANES bytes at p zero-extended to int32 lanes (depthwise,
 *                         q8_dwconv_template.h) */
#include "q8_common.h"

#include <stdlib.h>
#include <string.h>

#define Q8_INLINE static inline __attribute__((always_inline))

/* A set file may define Q8_CONV_ONLY 1 to instantiate the convolution without the GEMM. */
#ifndef Q8_CONV_ONLY
#define Q8_CONV_ONLY 0
#endif

/* The accumulators are named variables c<row><vector>, not an array: GCC keeps an array of
 * vectors in memory when the loops over it are unrolled only after scalar replacement, which
 * costs a store per multiply. Every statement is guarded by a constant condition on mr / nb, so
 * each instantiation keeps only what it uses. */
#define Q8_ROWS(M, ...) M(0, __VA_ARGS__) M(1, __VA_ARGS__) M(2, __VA_ARGS__) M(3, __VA_ARGS__) \
	M(4, __VA_ARGS__) M(5, __VA_ARGS__) M(6, __VA_ARGS__) M(7, __VA_ARGS__) M(8, __VA_ARGS__)  \
	M(9, __VA_ARGS__) M(10, __VA_ARGS__) M(11, __VA_ARGS__)
#define Q8_DECL_ROW(i, init) q8_vec c##i##0 = init, c##i##1 = init, c##i##2 = init, c##i##3 = init;
#define Q8_INIT_ROW(i, v0, v1, v2, v3)                                                         \
	if ((i) < mr) {                                                                        \
		c##i##0 = v0, c##i##1 = v1, c##i##2 = v2, c##i##3 = v3;                        \
	}
#define Q8_STEP_ROW(i, unused)                                                                 \
	if ((i) < mr) {                                                                        \
		q8_vec av = q8v_bcast(a + (i) * stride);                                         \
		if (0 < nb) c##i##0 = q8v_dot(c##i##0, av, w0);                                  \
		if (1 < nb) c##i##1 = q8v_dot(c##i##1, av, w1);                                  \
		if (2 < nb) c##i##2 = q8v_dot(c##i##2, av, w2);                                  \
		if (3 < nb) c##i##3 = q8v_dot(c##i##3, av, w3);                                  \
	}
/* acc(i, j) += sum over kq steps of a[i][kgroup inputs] . w[j] */
#define Q8_KLOOP(a_rows, w_panel, kq)                                                          \
	do {                                                                                   \
		const Q8_ELEM *a = (a_rows);                                                   \
		const Q8_WELEM *wp = (w_panel);                                                \
		for (int64_t q = 0; q < (kq); q++) {                                           \
			q8_vec w0 = q8v_loadw(wp), w1 = w0, w2 = w0, w3 = w0;                    \
			if (1 < nb) w1 = q8v_loadw(wp + 1 * Q8_LANES * Q8_KGROUP);               \
			if (2 < nb) w2 = q8v_loadw(wp + 2 * Q8_LANES * Q8_KGROUP);               \
			if (3 < nb) w3 = q8v_loadw(wp + 3 * Q8_LANES * Q8_KGROUP);               \
			Q8_ROWS(Q8_STEP_ROW, 0)                                                \
			a += Q8_KGROUP;                                                        \
			wp += nb * Q8_LANES * Q8_KGROUP;                                       \
		}                                                                              \
	} while (0)

/* requantize row i: r<j> = rne(clamp(c<i><j> * m<j>)) + zp, then store the row's count bytes */
#define Q8_REQ_ONE(i, j)                                                                       \
	if ((j) < nb) {                                                                        \
		q8_vecf t = q8v_mulf(q8v_cvtf(c##i##j), m##j);                                     \
		t = q8v_minf(q8v_maxf(t, lo), hi);                                                 \
		r##j = q8v_addi(q8v_cvti(t), zp);                                                  \
	}
/* the same with the clamp after the rounding, on the packed bytes (p->sat_clamp) */
#define Q8_REQ_ONE_SAT(i, j)                                                                   \
	if ((j) < nb)                                                                          \
		r##j = q8v_addi(q8v_cvti(q8v_mulf(q8v_cvtf(c##i##j), m##j)), zp);
#define Q8_REQ_ROW(i, unused)                                                                  \
	if ((i) < mr) {                                                                        \
		q8_vec r0 = zp, r1 = zp, r2 = zp, r3 = zp;                                     \
		if (sat) {                                                                     \
			Q8_REQ_ONE_SAT(i, 0) Q8_REQ_ONE_SAT(i, 1)                              \
			Q8_REQ_ONE_SAT(i, 2) Q8_REQ_ONE_SAT(i, 3)                              \
			q8v_store_row_u8_sat(y + (i) * ys, r0, r1, r2, r3, nb, count, bmin, bmax); \
		} else {                                                                       \
			Q8_REQ_ONE(i, 0) Q8_REQ_ONE(i, 1) Q8_REQ_ONE(i, 2) Q8_REQ_ONE(i, 3)    \
			q8v_store_row_u8(y + (i) * ys, r0, r1, r2, r3, nb, count);               \
		}                                                                              \
	}

/* valid lanes of vector j of a block with count channels */
Q8_INLINE int64_t Q8_FN(lanes_of)(int64_t count, int j)
{
	int64_t n = count - (int64_t)j * Q8_LANES;
	return n > Q8_LANES ? Q8_LANES : n;
}

/* One conv tile: mr pixels x nb vectors of channels, requantized into y (row stride ys),
 * count valid channels. The inputs are the rows of buf, or, when src is not NULL (8-bit sets,
 * kernel-row segments), read in place: segment s of pixel i at src[s] + at + i * step in the
 * padded input rows (up to 3 bytes read past a segment meet zero weights). */
Q8_INLINE void Q8_FN(conv_tile)(const struct qx_q8_simd_conv *p, const Q8_ELEM *buf,
                                 const uint8_t *const *src, int64_t at, int64_t step,
                                 const Q8_WELEM *w, const int32_t *bias, const float *mult,
                                 uint8_t *y, int64_t ys, int64_t count, const int mr, const int nb)
{
	q8_vec b0 = q8v_loadi(bias), b1 = b0, b2 = b0, b3 = b0;
	if (1 < nb) b1 = q8v_loadi(bias + 1 * Q8_LANES);
	if (2 < nb) b2 = q8v_loadi(bias + 2 * Q8_LANES);
	if (3 < nb) b3 = q8v_loadi(bias + 3 * Q8_LANES);
	Q8_ROWS(Q8_DECL_ROW, b0)
	Q8_ROWS(Q8_INIT_ROW, b0, b1, b2, b3)
#if !Q8_WIDE
	if (src) {
		const size_t stride = (size_t)step;
		const int64_t kq = p->im.seg_stride / Q8_KGROUP;
		for (int64_t seg = 0; seg < p->im.segs; seg++)
			Q8_KLOOP(src[seg] + at, w + seg * kq * nb * Q8_LANES * Q8_KGROUP, kq);
	} else
#else
	(void)src, (void)at, (void)step;
#endif
	{
		const size_t stride = p->row_bytes / sizeof(Q8_ELEM);
		Q8_KLOOP(buf, w, p->kpad / Q8_KGROUP);
	}
	const struct qx_q8_conv_desc *d = &p->d;
	q8_vec zp = q8v_set1i(d->out_zp);
	q8_vecf lo = q8v_set1f((float)(d->out_min - d->out_zp));
	q8_vecf hi = q8v_set1f((float)(d->out_max - d->out_zp));
	const int sat = p->sat_clamp;
	q8_vec bmin = q8v_set1b(d->out_min), bmax = q8v_set1b(d->out_max);
	q8_vecf m0 = q8v_loadf_part(mult, Q8_LANES), m1 = m0, m2 = m0, m3 = m0;
	if (1 < nb) m1 = q8v_loadf_part(mult + 1 * Q8_LANES, Q8_LANES);
	if (2 < nb) m2 = q8v_loadf_part(mult + 2 * Q8_LANES, Q8_LANES);
	if (3 < nb) m3 = q8v_loadf_part(mult + 3 * Q8_LANES, Q8_LANES);
	Q8_ROWS(Q8_REQ_ROW, 0)
}

/* y = (float)(c<i><j> - x_zp * rowsum) * scale (+ bias), n floats */
#define Q8_GEMM_ONE(i, j)                                                                      \
	if ((i) < mr && (j) < nb) {                                                            \
		q8_vecf t = q8v_mulf(q8v_cvtf(q8v_subi(c##i##j, corr##j)), s##j);                   \
		if (bias)                                                                      \
			t = q8v_addf(t, f##j);                                                   \
		q8v_storef_part(y + (i) * ys + (j) * Q8_LANES, t, n##j);                         \
	}
#define Q8_GEMM_ROW(i, unused)                                                                 \
	Q8_GEMM_ONE(i, 0) Q8_GEMM_ONE(i, 1) Q8_GEMM_ONE(i, 2) Q8_GEMM_ONE(i, 3)
#define Q8_GEMM_VEC(j)                                                                         \
	q8_vec corr##j = q8v_set1i(0);                                                           \
	q8_vecf s##j = q8v_set1f(0.0f), f##j = s##j;                                             \
	int64_t n##j = Q8_FN(lanes_of)(count, j);                                             \
	if ((j) < nb) {                                                                        \
		corr##j = q8v_mullo(zp, q8v_loadi(rowsum + (j) * Q8_LANES));                       \
		s##j = q8v_loadf_part(scale + (j) * Q8_LANES, n##j);                             \
		if (bias)                                                                      \
			f##j = q8v_loadf_part(bias + (j) * Q8_LANES, n##j);                      \
	}

/* One gemm tile: y = (float)(acc - x_zp * rowsum) * scale (+ bias), fp32 out. */
Q8_INLINE void Q8_FN(gemm_tile)(const struct qx_q8_simd_conv *p, const Q8_ELEM *buf,
                                 const Q8_WELEM *w, const int32_t *rowsum, int32_t x_zp,
                                 const float *scale, const float *bias, float *y, int64_t ys,
                                 int64_t count, const int mr, const int nb)
{
	const size_t stride = p->row_bytes / sizeof(Q8_ELEM);
	Q8_ROWS(Q8_DECL_ROW, q8v_set1i(0))
	Q8_KLOOP(buf, w, p->kpad / Q8_KGROUP);
	q8_vec zp = q8v_set1i(x_zp);
	Q8_GEMM_VEC(0)
	Q8_GEMM_VEC(1)
	Q8_GEMM_VEC(2)
	Q8_GEMM_VEC(3)
	Q8_ROWS(Q8_GEMM_ROW, 0)
}

/* Instantiates fn for every (mr, nb) the set uses; mr and nb become constants. */
#define Q8_CASE(fn, nb, mr, ...)                                                               \
	case (nb) * 16 + (mr):                                                                 \
		if ((nb) <= Q8_NB_MAX && (mr) <= Q8_MR(nb))                                    \
			fn(__VA_ARGS__, mr, nb);                                               \
		break;
#define Q8_CASES_NB(fn, nb, ...)                                                               \
	Q8_CASE(fn, nb, 1, __VA_ARGS__) Q8_CASE(fn, nb, 2, __VA_ARGS__)                        \
	Q8_CASE(fn, nb, 3, __VA_ARGS__) Q8_CASE(fn, nb, 4, __VA_ARGS__)                        \
	Q8_CASE(fn, nb, 5, __VA_ARGS__) Q8_CASE(fn, nb, 6, __VA_ARGS__)                        \
	Q8_CASE(fn, nb, 7, __VA_ARGS__) Q8_CASE(fn, nb, 8, __VA_ARGS__)                        \
	Q8_CASE(fn, nb, 9, __VA_ARGS__) Q8_CASE(fn, nb, 10, __VA_ARGS__)                       \
	Q8_CASE(fn, nb, 11, __VA_ARGS__) Q8_CASE(fn, nb, 12, __VA_ARGS__)
#define Q8_DISPATCH(fn, mr, nb, ...)                                                           \
	switch ((nb) * 16 + (mr)) {                                                            \
		Q8_CASES_NB(fn, 1, __VA_ARGS__) Q8_CASES_NB(fn, 2, __VA_ARGS__)                \
		Q8_CASES_NB(fn, 3, __VA_ARGS__) Q8_CASES_NB(fn, 4, __VA_ARGS__)                \
	default:                                                                               \
		break;                                                                         \
	}

static void Q8_FN(conv_tile_any)(const struct qx_q8_simd_conv *p, const Q8_ELEM *buf,
                                  const uint8_t *const *src, int64_t at, int64_t step,
                                  const Q8_WELEM *w, const int32_t *bias, const float *mult,
                                  uint8_t *y, int64_t ys, int64_t count, int mr, int nb)
{
	Q8_DISPATCH(Q8_FN(conv_tile), mr, nb, p, buf, src, at, step, w, bias, mult, y, ys, count)
}

#if !Q8_CONV_ONLY
static void Q8_FN(gemm_tile_any)(const struct qx_q8_simd_conv *p, const Q8_ELEM *buf,
                                  const Q8_WELEM *w, const int32_t *rowsum, int32_t x_zp,
                                  const float *scale, const float *bias, float *y, int64_t ys,
                                  int64_t count, int mr, int nb)
{
	Q8_DISPATCH(Q8_FN(gemm_tile), mr, nb, p, buf, w, rowsum, x_zp, scale, bias, y, ys, count)
}
#endif

/* Where the 16-bit sets build partial segments as bytes before widening them. */
Q8_INLINE uint8_t *Q8_FN(scratch)(const struct qx_q8_simd_conv *p, void *buf)
{
	return (uint8_t *)buf + (size_t)p->mr * p->row_bytes;
}

/* Gathers mr pixels starting at (img, pin) for group g into the tile buffer. */
static void Q8_FN(gather)(const struct qx_q8_simd_conv *p, const uint8_t *x,
                           const uint8_t *x_end, int64_t img, int64_t pin, int64_t g, int mr,
                           void *buf)
{
	const struct qx_q8_im2col *im = &p->im;
	const uint8_t *zp_end = im->zp_row + im->seg_len + QX_Q8_COPY_SLACK;
	int64_t hw = p->d.oh * p->d.ow;
	for (int i = 0; i < mr; i++) {
		Q8_ELEM *row = (Q8_ELEM *)((uint8_t *)buf + i * p->row_bytes);
		const int32_t *off = im->off + pin * im->segs;
		const uint8_t *base = x + img * im->img_bytes + g * p->cg;
		for (int64_t s = 0; s < im->segs; s++) {
			Q8_ELEM *dst = row + s * im->seg_stride;
			if (off[s] >= 0) {
				q8v_copy_seg(dst, base + off[s], im->seg_len, x_end);
			} else if (off[s] == QX_Q8_SEG_PAD) {
				q8v_copy_seg(dst, im->zp_row, im->seg_len, zp_end);
			} else {
#if Q8_WIDE
				uint8_t *tmp = Q8_FN(scratch)(p, buf);
				qx_q8_partial_row(im, &p->d, x, img, pin, s, tmp);
				q8v_copy_seg(dst, tmp, im->seg_len, tmp + im->seg_len + QX_Q8_COPY_SLACK);
#else
				qx_q8_partial_row(im, &p->d, x, img, pin, s, dst);
#endif
			}
		}
		if (++pin == hw)
			pin = 0, img++;
	}
}

/* Runs the output-channel blocks of group g on the gathered tile (or in place, see
 * conv_tile). */
Q8_INLINE void Q8_FN(conv_blocks)(const struct qx_q8_simd_conv *p, const void *buf,
                                   const uint8_t *const *src, int64_t at, int64_t step,
                                   uint8_t *y, int64_t pix, int64_t g, int mr)
{
	const struct qx_q8_conv_desc *d = &p->d;
	int64_t width = (int64_t)Q8_NB_MAX * Q8_LANES;
	const Q8_WELEM *w = (const Q8_WELEM *)p->w + g * p->group_elems;
	for (int64_t b = 0; b < p->blocks; b++) {
		int64_t slot = (g * p->blocks + b) * width;
		int64_t count = p->ocg - b * width < width ? p->ocg - b * width : width;
		Q8_FN(conv_tile_any)(p, buf, src, at, step, w + p->panel_off[b], p->bias + slot,
		                      p->mult + slot,
		                      y + pix * d->oc + g * p->ocg + b * width, d->oc, count, mr,
		                      (int)p->block_nb[b]);
	}
}

/* Copies mr pixels' kh segments from padded rows (which have QX_Q8_COPY_SLACK bytes past every
 * segment, so no bounds checks): short != 0 means seg_len <= Q8_SHORT_SEG, one fixed-size move. */
#if Q8_WIDE
#define Q8_SHORT_SEG 16
#else
#define Q8_SHORT_SEG 4
#endif
Q8_INLINE void Q8_FN(gather_rows)(uint8_t *buf, size_t row_bytes, const uint8_t *const *src,
                                   const int kh, int64_t seg_stride, int64_t at, int64_t step,
                                   int64_t seg_len, int mr, const int short_seg)
{
	for (int i = 0; i < mr; i++, at += step) {
		Q8_ELEM *row = (Q8_ELEM *)(buf + i * row_bytes);
		for (int s = 0; s < kh; s++) {
			if (short_seg)
				q8v_copy_short(row + s * seg_stride, src[s] + at);
			else
				q8v_copy_seg(row + s * seg_stride, src[s] + at, seg_len,
				            src[s] + at + seg_len + QX_Q8_COPY_SLACK);
		}
	}
}

/* A first layer's row: 3 kernel rows of at most kgroup bytes each (1 channel 3x3, 2 channels
 * 2x3, ...) and blocks of at most 2 vectors of output channels, so a pixel is 3 dot steps per
 * vector and the requantization costs as much as the dots. Instead of tiles (a call, a dispatch and bias,
 * multiplier and weight loads per tile of 9 to 12 pixels), the weights, bias and multipliers
 * stay in registers for the whole output row, pixel after pixel; the out-of-order core overlaps
 * the pixels' dependency chains. Same sums and the same requantization as conv_tile. */
Q8_INLINE void Q8_FN(row_k3)(const struct qx_q8_simd_conv *p, const uint8_t *const *src,
                              int64_t at, int64_t step, uint8_t *y, int64_t n, int64_t b,
                              const int nb, const int sat)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const int64_t width = (int64_t)Q8_NB_MAX * Q8_LANES; /* channels per block */
	const Q8_WELEM *w = (const Q8_WELEM *)p->w + p->panel_off[b];
	const int32_t *bias = p->bias + b * width;
	const float *mult = p->mult + b * width;
	y += b * width;
	const int64_t vs = Q8_LANES * Q8_KGROUP, qs = nb * vs; /* a vector, a k step */
	const uint8_t *s0 = src[0], *s1 = src[1], *s2 = src[2];
	q8_vec w00 = q8v_loadw(w), w10 = q8v_loadw(w + qs), w20 = q8v_loadw(w + 2 * qs);
	q8_vec w01 = w00, w11 = w10, w21 = w20, b0 = q8v_loadi(bias), b1 = b0;
	q8_vecf m0 = q8v_loadf_part(mult, Q8_LANES), m1 = m0;
	if (nb > 1) {
		w01 = q8v_loadw(w + vs), w11 = q8v_loadw(w + qs + vs), w21 = q8v_loadw(w + 2 * qs + vs);
		b1 = q8v_loadi(bias + Q8_LANES);
		m1 = q8v_loadf_part(mult + Q8_LANES, Q8_LANES);
	}
	const q8_vec zp = q8v_set1i(d->out_zp);
	const q8_vecf lo = q8v_set1f((float)(d->out_min - d->out_zp));
	const q8_vecf hi = q8v_set1f((float)(d->out_max - d->out_zp));
	const q8_vec bmin = q8v_set1b(d->out_min), bmax = q8v_set1b(d->out_max);
	const int64_t count = p->ocg - b * width < width ? p->ocg - b * width : width, ys = d->oc;
	int64_t i = 0;
	/* zmm, 32 channels: two pixels' 64 bytes are adjacent, so they share one pack, clamp and
	 * store (as a 4-vector row) */
	if (Q8_NB_MAX >= 4 && nb == 2 && count == 2 * Q8_LANES && ys == count) {
		for (; i + 2 <= n; i += 2, at += 2 * step, y += 2 * ys) {
			q8_vec a0 = q8v_bcast(s0 + at), a1 = q8v_bcast(s1 + at);
			q8_vec a2 = q8v_bcast(s2 + at), e0 = q8v_bcast(s0 + at + step);
			q8_vec e1 = q8v_bcast(s1 + at + step), e2 = q8v_bcast(s2 + at + step);
			q8_vec c0 = q8v_dot(q8v_dot(q8v_dot(b0, a0, w00), a1, w10), a2, w20);
			q8_vec c1 = q8v_dot(q8v_dot(q8v_dot(b1, a0, w01), a1, w11), a2, w21);
			q8_vec c2 = q8v_dot(q8v_dot(q8v_dot(b0, e0, w00), e1, w10), e2, w20);
			q8_vec c3 = q8v_dot(q8v_dot(q8v_dot(b1, e0, w01), e1, w11), e2, w21);
			q8_vecf t0 = q8v_mulf(q8v_cvtf(c0), m0), t1 = q8v_mulf(q8v_cvtf(c1), m1);
			q8_vecf t2 = q8v_mulf(q8v_cvtf(c2), m0), t3 = q8v_mulf(q8v_cvtf(c3), m1);
			if (sat) {
				q8v_store_row_u8_sat(y, q8v_addi(q8v_cvti(t0), zp), q8v_addi(q8v_cvti(t1), zp),
				                     q8v_addi(q8v_cvti(t2), zp), q8v_addi(q8v_cvti(t3), zp), 4,
				                     4 * Q8_LANES, bmin, bmax);
			} else {
				t0 = q8v_minf(q8v_maxf(t0, lo), hi), t1 = q8v_minf(q8v_maxf(t1, lo), hi);
				t2 = q8v_minf(q8v_maxf(t2, lo), hi), t3 = q8v_minf(q8v_maxf(t3, lo), hi);
				q8v_store_row_u8(y, q8v_addi(q8v_cvti(t0), zp), q8v_addi(q8v_cvti(t1), zp),
				                 q8v_addi(q8v_cvti(t2), zp), q8v_addi(q8v_cvti(t3), zp), 4,
				                 4 * Q8_LANES);
			}
		}
	}
	for (; i < n; i++, at += step, y += ys) {
		q8_vec a0 = q8v_bcast(s0 + at), a1 = q8v_bcast(s1 + at), a2 = q8v_bcast(s2 + at);
		q8_vec c0 = q8v_dot(q8v_dot(q8v_dot(b0, a0, w00), a1, w10), a2, w20), c1 = c0;
		if (nb > 1)
			c1 = q8v_dot(q8v_dot(q8v_dot(b1, a0, w01), a1, w11), a2, w21);
		q8_vecf t0 = q8v_mulf(q8v_cvtf(c0), m0), t1 = q8v_mulf(q8v_cvtf(c1), m1);
		if (sat) {
			q8_vec r0 = q8v_addi(q8v_cvti(t0), zp), r1 = q8v_addi(q8v_cvti(t1), zp);
			q8v_store_row_u8_sat(y, r0, r1, zp, zp, nb, count, bmin, bmax);
		} else {
			q8_vec r0 = q8v_addi(q8v_cvti(q8v_minf(q8v_maxf(t0, lo), hi)), zp);
			q8_vec r1 = q8v_addi(q8v_cvti(q8v_minf(q8v_maxf(t1, lo), hi)), zp);
			q8v_store_row_u8(y, r0, nb > 1 ? r1 : zp, zp, zp, nb, count);
		}
	}
}

static void Q8_FN(row_k3_any)(const struct qx_q8_simd_conv *p, const uint8_t *const *src,
                               int64_t at, int64_t step, uint8_t *y, int64_t n)
{
	if (p->blocks == 1) { /* b = 0 as a constant: the usual case, kept as fast as before */
		if (p->block_nb[0] == 1)
			p->sat_clamp ? Q8_FN(row_k3)(p, src, at, step, y, n, 0, 1, 1)
			             : Q8_FN(row_k3)(p, src, at, step, y, n, 0, 1, 0);
		else
			p->sat_clamp ? Q8_FN(row_k3)(p, src, at, step, y, n, 0, 2, 1)
			             : Q8_FN(row_k3)(p, src, at, step, y, n, 0, 2, 0);
		return;
	}
	for (int64_t b = 0; b < p->blocks; b++) {
		if (p->block_nb[b] == 1)
			p->sat_clamp ? Q8_FN(row_k3)(p, src, at, step, y, n, b, 1, 1)
			             : Q8_FN(row_k3)(p, src, at, step, y, n, b, 1, 0);
		else
			p->sat_clamp ? Q8_FN(row_k3)(p, src, at, step, y, n, b, 2, 1)
			             : Q8_FN(row_k3)(p, src, at, step, y, n, b, 2, 0);
	}
}

/* Whether conv_run_rowwise runs p's rows with row_k3: 8-bit sets, 3 kernel rows of one kgroup,
 * one group, blocks of at most 2 vectors (any number of them on the ymm sets, whose blocks are
 * 2 vectors; one on zmm). */
static int Q8_FN(row_k3_applies)(const struct qx_q8_simd_conv *p)
{
	return !Q8_WIDE && p->d.kh == 3 && p->d.groups == 1 && p->im.segs == 3 &&
	       p->im.seg_stride == Q8_KGROUP && p->kpad == 3 * Q8_KGROUP && p->block_nb[0] <= 2;
}

/* Kernel-row segments, one output row at a time: the kh input rows are padded once, then each
 * pixel's segment is a plain copy at ox * sw * c (groups == 1 here). The fields of p are read
 * into locals first: the byte stores of the copies may alias anything, so the compiler would
 * otherwise reload them after every copy. */
static void Q8_FN(conv_run_rowwise)(const struct qx_q8_simd_conv *p, const uint8_t *x,
                                     uint8_t *y, int64_t begin, int64_t end, uint8_t *buf)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const struct qx_q8_im2col *im = &p->im;
	const int64_t ow = d->ow, hw = d->oh * ow, step = d->sw * d->c;
	const int64_t seg_len = im->seg_len, seg_stride = im->seg_stride;
	const int64_t prow = (im->prow_bytes + 63) & ~(int64_t)63;
	const size_t row_bytes = p->row_bytes;
	const int kh = d->kh, mr_max = p->mr, slots = im->prow_slots;
	/* 8-bit sets read rows without left/right padding straight from x (exact segment reads) */
	const int in_place = !Q8_WIDE && d->pl == 0 && d->pr == 0 && seg_stride == seg_len;
	const int k3 = Q8_FN(row_k3_applies)(p);
	const uint8_t *src[64];
	int64_t slot_key[64]; /* img * h + iy of the row each slot holds, -1: none */
	for (int s = 0; s < slots; s++)
		slot_key[s] = -1;
	/* the position of pix, advanced one output row at a time (no division per row) */
	int64_t img = begin / hw, oy = begin % hw / ow, ox = begin % ow;
	for (int64_t pix = begin; pix < end; ox = 0, oy = oy + 1 == d->oh ? (img++, 0) : oy + 1) {
		int64_t row_end = pix + (ow - ox) < end ? pix + (ow - ox) : end;
		for (int s = 0; s < kh; s++) {
			int64_t iy = oy * d->sh - d->pt + s * d->dh;
			if (iy < 0 || iy >= d->h) {
				src[s] = im->zp_row;
				continue;
			}
			if (in_place) { /* no padding across: the tile reads x itself */
				src[s] = x + img * im->img_bytes + iy * d->w * d->c;
				continue;
			}
			int slot = (int)(iy % slots);
			uint8_t *row = buf + p->prow_at + slot * prow;
			if (slot_key[slot] != img * d->h + iy) {
				qx_q8_padded_row(im, d, x, img, iy, row);
				slot_key[slot] = img * d->h + iy;
			}
			src[s] = row;
		}
		if (k3) {
			Q8_FN(row_k3_any)(p, src, ox * step, step, y + pix * d->oc, row_end - pix);
			pix = row_end;
			continue;
		}
		/* balanced: a row of 28 at mr_max 12 is 10 + 9 + 9, not 12 + 12 + 4 (the first
		 * rem tiles get one pixel more) */
		int64_t tiles = (row_end - pix + mr_max - 1) / mr_max;
		int64_t small = (row_end - pix) / tiles, rem = (row_end - pix) % tiles;
		for (int64_t t = 0; pix < row_end; t++) {
			int mr = (int)(small + (t < rem));
			int64_t at = ox * step;
			if (!Q8_WIDE) {
				/* 8-bit sets read the padded rows in place: no gather at all */
				Q8_FN(conv_blocks)(p, buf, src, at, step, y, pix, 0, mr);
				pix += mr;
				ox += mr;
				continue;
			}
			if (seg_len <= Q8_SHORT_SEG && kh == 3)
				Q8_FN(gather_rows)(buf, row_bytes, src, 3, seg_stride, at, step, seg_len,
				                    mr, 1);
			else if (seg_len <= Q8_SHORT_SEG)
				Q8_FN(gather_rows)(buf, row_bytes, src, kh, seg_stride, at, step, seg_len,
				                    mr, 1);
			else
				Q8_FN(gather_rows)(buf, row_bytes, src, kh, seg_stride, at, step, seg_len,
				                    mr, 0);
			Q8_FN(conv_blocks)(p, buf, NULL, 0, 0, y, pix, 0, mr);
			pix += mr;
			ox += mr;
		}
	}
}

/* A pointwise convolution is a GEMM: x[pixel][c] . w[oc][c]. The 8-bit sets read the rows in
 * place when c is a multiple of kgroup (a row's last kgroup then ends inside it); the 16-bit
 * set and other widths gather, through the generic path below. */
static void Q8_FN(conv_run_pointwise)(const struct qx_q8_simd_conv *p, const uint8_t *x,
                                       uint8_t *y, int64_t begin, int64_t end, void *buf)
{
	const uint8_t *src[1] = { x };
	const int64_t c = p->d.c;
	int64_t tiles = (end - begin + p->mr - 1) / p->mr;
	for (int64_t pix = begin; pix < end; tiles--) {
		int mr = (int)((end - pix + tiles - 1) / tiles); /* balanced tiles */
		Q8_FN(conv_blocks)(p, buf, src, pix * c, c, y, pix, 0, mr);
		pix += mr;
	}
}

static void Q8_FN(conv_run)(const struct qx_q8_simd_conv *p, const uint8_t *x, uint8_t *y,
                             int64_t begin, int64_t end, void *buf)
{
	const struct qx_q8_conv_desc *d = &p->d;
	if (!Q8_WIDE && p->pointwise && p->im.seg_stride == p->im.seg_len) {
		Q8_FN(conv_run_pointwise)(p, x, y, begin, end, buf);
		return;
	}
	if (p->im.rowwise && d->kh <= 64) {
		Q8_FN(conv_run_rowwise)(p, x, y, begin, end, buf);
		return;
	}
	const uint8_t *x_end = x + d->n * p->im.img_bytes;
	int64_t hw = d->oh * d->ow;
	int64_t tiles = (end - begin + p->mr - 1) / p->mr;
	for (int64_t pix = begin; pix < end; tiles--) {
		int mr = (int)((end - pix + tiles - 1) / tiles); /* balanced tiles */
		for (int64_t g = 0; g < d->groups; g++) {
			Q8_FN(gather)(p, x, x_end, pix / hw, pix % hw, g, mr, buf);
			Q8_FN(conv_blocks)(p, buf, NULL, 0, 0, y, pix, g, mr);
		}
		pix += mr;
	}
}

#if !Q8_CONV_ONLY
static void Q8_FN(gemm_run)(const struct qx_q8_simd_conv *p, const uint8_t *x, int32_t x_zp,
                             const float *scale, const float *bias, float *y, int64_t begin,
                             int64_t end, void *buf)
{
	const uint8_t *x_end = x + end * p->k;
	int64_t width = (int64_t)Q8_NB_MAX * Q8_LANES;
	for (int64_t row = begin; row < end; row += p->mr) {
		int mr = end - row < p->mr ? (int)(end - row) : p->mr;
		Q8_FN(gather)(p, x, x_end, row, 0, 0, mr, buf);
		for (int64_t b = 0; b < p->blocks; b++) {
			int64_t count = p->ocg - b * width < width ? p->ocg - b * width : width;
			Q8_FN(gemm_tile_any)(p, buf, (const Q8_WELEM *)p->w + p->panel_off[b],
			                      p->bias + b * width, x_zp, scale + b * width,
			                      bias ? bias + b * width : NULL, y + row * p->ocg + b * width,
			                      p->ocg, count, mr, (int)p->block_nb[b]);
		}
	}
}
#endif

#include "x86/q8_dwconv_template.h"
#include "x86/q8_dwrows_template.h"

static void Q8_FN(conv)(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                         int64_t pix_end)
{
	const struct qx_q8_simd_conv *p = packed;
	if (p->dw_rows && Q8_FN(dw_rows_run)(p->dw_rows, x, y, pix_begin, pix_end) == 0)
		return;
	if (p->dw) {
		Q8_FN(dw_run)(p->dw, x, y, pix_begin, pix_end);
		return;
	}
	_Alignas(64) uint8_t stack_buf[QX_Q8_STACK_BUF];
	void *buf = p->buf_bytes <= sizeof stack_buf ? stack_buf : malloc(p->buf_bytes);
	if (!buf) {
		qx_q8_scalar_conv(p->fallback, x, y, pix_begin, pix_end);
		return;
	}
	memset(buf, 0, p->buf_bytes); /* row padding meets zero weights; keep it defined anyway */
	Q8_FN(conv_run)(p, x, y, pix_begin, pix_end, buf);
	if (buf != stack_buf)
		free(buf);
}

#if !Q8_CONV_ONLY
static void Q8_FN(gemm_f32out)(const void *packed, const uint8_t *x, int32_t x_zp,
                                const float *scale, const float *bias, float *y,
                                int64_t row_begin, int64_t row_end)
{
	const struct qx_q8_simd_conv *p = packed;
	_Alignas(64) uint8_t stack_buf[QX_Q8_STACK_BUF];
	void *buf = p->buf_bytes <= sizeof stack_buf ? stack_buf : malloc(p->buf_bytes);
	if (!buf) {
		qx_q8_scalar_gemm_f32out(p->fallback, x, x_zp, scale, bias, y, row_begin, row_end);
		return;
	}
	memset(buf, 0, p->buf_bytes);
	Q8_FN(gemm_run)(p, x, x_zp, scale, bias, y, row_begin, row_end, buf);
	if (buf != stack_buf)
		free(buf);
}
#endif
