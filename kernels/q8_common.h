/* Helpers shared by the int8 kernel sets (kernels only: nothing outside kernels/ includes this).
 *
 * - qx_q8_requant1 / qx_q8_clampf: the one scalar statement of the requantization in
 *   kernels_q8.h; SIMD sets reproduce it with max_ps(t, lo), min_ps(t, hi), cvtps2dq.
 * - qx_q8_fold_bias: the pack-time zero-point fold every set uses (one piece of code):
 *       acc = sum x * w + (bias - in_zp * sum_k w)  ==  sum (x - in_zp) * w + bias  (mod 2^32)
 *   which is exact as long as padded input positions hold in_zp.
 * - struct qx_q8_im2col: how the SIMD sets gather one output pixel's receptive field into a
 *   contiguous row (an offset table built at pack time, so no division runs per pixel).
 *
 * The functions declared here live in kernels/scalar/q8_common.c (baseline code); the inline
 * ones are compiled with each set's own flags. */
#ifndef QX_KERNELS_Q8_COMMON_H
#define QX_KERNELS_Q8_COMMON_H

#include "kernels_q8.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* max then min with the NaN behaviour of x86 maxps/minps (and NEON fmaxnm/fminnm): a NaN t
 * gives lo. lo <= hi are integers in [-255, 255]. */
static inline float qx_q8_clampf(float t, float lo, float hi)
{
	t = t > lo ? t : lo;
	return t < hi ? t : hi;
}

/* q = rne(clamp((float)acc * mult, lo, hi)) + zp with lo = out_min - zp, hi = out_max - zp.
 * nearbyintf rounds half to even in the default rounding mode, as cvtps2dq does. */
static inline uint8_t qx_q8_requant1(int32_t acc, float mult, float lo, float hi, int32_t zp)
{
	float t = qx_q8_clampf((float)acc * mult, lo, hi);
	return (uint8_t)((int32_t)nearbyintf(t) + zp);
}

/* Whether the kernels_q8.h requantization q = rne(clamp(t, lo, hi)) + zp (t = (float)acc * m,
 * lo = out_min - zp, hi = out_max - zp) may run as q = clamp(rne(t) + zp, out_min, out_max) for
 * these count multipliers, which lets SIMD sets clamp once per packed byte vector
 * (vpackssdw, vpackuswb, vpmaxub, vpminub) instead of a maxps and a minps per float vector.
 * True when every m is finite with |m| <= 0.5: |(float)acc| <= 2^31, so |t| <= 2^30 (no NaN, and
 * cvtps2dq's result rne(t) + zp is exact, never its 0x80000000 overflow value); rne is monotone
 * and leaves the integers lo, hi alone, so rne(clamp(t, lo, hi)) = clamp(rne(t), lo, hi). A
 * larger multiplier (a layer whose output scale is over twice in_scale * w_scale) keeps the
 * float clamp. */
static inline int qx_q8_sat_clamp_exact(const float *m, int64_t count)
{
	for (int64_t i = 0; i < count; i++)
		if (!(fabsf(m[i]) <= 0.5f))
			return 0;
	return 1;
}

/* Wrapping int32 helpers (the hardware's arithmetic, without signed-overflow UB). */
static inline int32_t qx_q8_wrap(uint32_t v)
{
	return (int32_t)v; /* gcc/clang: modulo 2^32 (implementation-defined, documented) */
}

/* Input channels and output channels of one group, taps of the kernel, K = taps * cg. */
static inline int64_t qx_q8_cg(const struct qx_q8_conv_desc *d) { return d->c / d->groups; }
static inline int64_t qx_q8_ocg(const struct qx_q8_conv_desc *d) { return d->oc / d->groups; }
static inline int64_t qx_q8_kdim(const struct qx_q8_conv_desc *d)
{
	return (int64_t)d->kh * d->kw * (d->c / d->groups);
}

/* Whether d is a convolution the kernels accept (positive sizes, groups dividing c and oc,
 * zero points and clamp in range). Packing refuses anything else. */
int qx_q8_conv_desc_valid(const struct qx_q8_conv_desc *d);

/* folded[o] = bias[o] - in_zp * sum_k w_ohwi[o][k] (wrapping), bias NULL = zeros. */
void qx_q8_fold_bias(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi, const int32_t *bias,
                     int32_t *folded);

/* ---- im2col for the SIMD sets ------------------------------------------------------------
 * A pixel's receptive field for one group is segs segments in OHWI order (the order of the
 * weights): either one segment per kernel row (kw * c contiguous bytes in NHWC; needs
 * groups == 1 and dw == 1 or kw == 1) or one per tap (cg bytes). Each segment starts at a
 * multiple of seg_stride = seg_len rounded up to the set's kgroup, and the weights get zeros
 * in the gaps: then no kgroup of inputs straddles two segment copies, so the microkernel's
 * loads are always forwarded from a single store (a straddling load stalls the pipeline, which
 * dominated a first layer with 3-byte segments). off[pix * segs + s] is the segment's byte
 * offset from its image, or one of: */
#define QX_Q8_SEG_PAD     (-1) /* entirely padding: in_zp bytes */
#define QX_Q8_SEG_PARTIAL (-2) /* a kernel row partly in the left/right padding */
/* Gathered rows may be over-written by up to this many bytes past their end (fast copies): */
#define QX_Q8_COPY_SLACK  64

struct qx_q8_im2col {
	int64_t segs, seg_len;    /* segments per pixel and group, bytes each */
	int64_t seg_stride;       /* seg_len rounded up to kgroup */
	int64_t k;                /* segs * seg_stride: elements of a gathered row */
	int row_segments;         /* 1: a segment is a kernel row; 0: a tap */
	int64_t img_bytes;        /* h * w * c */
	int32_t *off;             /* [oh * ow][segs] */
	/* Row segments can also be copied from padded input rows (pl + w + pr pixels, the pads
	 * in_zp) built once per output row, which removes the partial case: */
	int rowwise;              /* use padded rows (row segments and ow wide enough) */
	int64_t prow_bytes;       /* one padded row + QX_Q8_COPY_SLACK */
	int prow_slots;           /* padded rows cached per call: kh * dh (input row iy lives in
	                           * slot iy % prow_slots, so an output row's kh rows never collide
	                           * and each input row is padded once per output-row sweep) */
	uint8_t *zp_row;          /* max(seg_len, prow_bytes) + QX_Q8_COPY_SLACK bytes of in_zp */
};

/* Builds the table; returns 0, or -1 when out of memory or an image is over 2 GiB. */
int qx_q8_im2col_init(struct qx_q8_im2col *im, const struct qx_q8_conv_desc *d, int kgroup);
void qx_q8_im2col_free(struct qx_q8_im2col *im);

/* Copies len bytes; may copy up to 31 bytes more (from src, into dst's slack) when the source
 * has them before src_end. Segments are copied in increasing order, so the extra bytes are
 * overwritten by the next segment or land in the row's padding, which meets zero weights. */
static inline __attribute__((always_inline)) void qx_q8_copy_seg(uint8_t *dst, const uint8_t *src,
                                                                 int64_t len,
                                                                 const uint8_t *src_end)
{
	if (len <= 4 && src_end - src >= 4) {
		memcpy(dst, src, 4);
	} else if (len <= 8 && src_end - src >= 8) {
		memcpy(dst, src, 8);
	} else if (len <= 16 && src_end - src >= 16) {
		memcpy(dst, src, 16);
	} else if (src_end - src >= ((len + 31) & ~(int64_t)31)) {
		for (int64_t i = 0; i < len; i += 32)
			memcpy(dst + i, src + i, 32);
	} else {
		memcpy(dst, src, (size_t)len);
	}
}

/* Writes the partial kernel-row segment s of pixel pix (oy * ow + ox) of image img: the
 * columns inside the image from x, the others in_zp. Rare (rows narrower than 4 outputs). */
static inline void qx_q8_partial_row(const struct qx_q8_im2col *im, const struct qx_q8_conv_desc *d,
                                     const uint8_t *x, int64_t img, int64_t pix, int64_t s,
                                     uint8_t *dst)
{
	int64_t oy = pix / d->ow, ox = pix % d->ow;
	int64_t iy = oy * d->sh - d->pt + s * d->dh;
	const uint8_t *row = x + img * im->img_bytes + iy * d->w * d->c;
	for (int kx = 0; kx < d->kw; kx++) {
		int64_t ix = ox * d->sw - d->pl + kx;
		if (ix >= 0 && ix < d->w)
			memcpy(dst + kx * d->c, row + ix * d->c, (size_t)d->c);
		else
			memset(dst + kx * d->c, d->in_zp, (size_t)d->c);
	}
}

/* Copies exactly len bytes with a few overlapping fixed-size moves (inlined, unlike a libc
 * call, which costs more than the copy for the short rows of a first layer). */
static inline __attribute__((always_inline)) void qx_q8_copy_exact(uint8_t *dst, const uint8_t *src,
                                                                   int64_t len)
{
	if (len >= 32) {
		int64_t i = 0;
		for (; i + 32 < len; i += 32)
			memcpy(dst + i, src + i, 32);
		memcpy(dst + len - 32, src + len - 32, 32);
	} else if (len >= 16) {
		memcpy(dst, src, 16);
		memcpy(dst + len - 16, src + len - 16, 16);
	} else if (len >= 8) {
		memcpy(dst, src, 8);
		memcpy(dst + len - 8, src + len - 8, 8);
	} else if (len >= 4) {
		memcpy(dst, src, 4);
		memcpy(dst + len - 4, src + len - 4, 4);
	} else {
		for (int64_t i = 0; i < len; i++)
			dst[i] = src[i];
	}
}

/* Builds padded input row iy (inside the image) of image img in row: pl and pr pixels of in_zp
 * around the row, then in_zp slack, prow_bytes in all; row has room for prow_bytes rounded up
 * to 64. */
static inline __attribute__((always_inline)) void qx_q8_padded_row(const struct qx_q8_im2col *im,
                                                                   const struct qx_q8_conv_desc *d,
                                                                   const uint8_t *x, int64_t img,
                                                                   int64_t iy, uint8_t *row)
{
	uint8_t fill[32];
	memset(fill, d->in_zp, sizeof fill);
	for (int64_t i = 0; i < im->prow_bytes; i += 32)
		memcpy(row + i, fill, 32);
	qx_q8_copy_exact(row + d->pl * d->c, x + img * im->img_bytes + iy * d->w * d->c,
	                 d->w * d->c);
}

/* Packs the weights of output channels [oc0, oc0 + count) of one group (w: that group's first
 * channel, rows of k bytes) into panels for a SIMD dot product: out[q][lane][j] =
 * w[lane][q * kgroup + j] for lane < lanes (zero past count or past k), q < kpad / kgroup. */
void qx_q8_pack_panel_s8(const int8_t *w, int64_t k, int64_t kpad, int64_t count, int lanes,
                         int kgroup, int8_t *out);
void qx_q8_pack_panel_s16(const int8_t *w, int64_t k, int64_t kpad, int64_t count, int lanes,
                          int kgroup, int16_t *out);

/* ---- packed convolution shared by the SIMD sets -------------------------------------------
 * Every x86 set computes a tile of mr output pixels x nb vectors of output channels from a
 * gathered row of K = kh * kw * cg inputs per pixel (im2col above) and a weight panel
 * [kpad / kgroup][nb * lanes][kgroup] (zero past the group's channels and past K, so the
 * padding contributes exactly 0). What differs between sets is this shape: */
struct qx_q8_simd_shape {
	int lanes;     /* int32 lanes per vector: 16 (zmm) or 8 (ymm) */
	int kgroup;    /* inputs per lane per instruction: 4 (vpdpbusd) or 2 (vpmaddwd) */
	int elem_size; /* bytes per packed weight and per gathered input: 1 (u8/s8) or 2 (16-bit) */
	int nb_max;    /* at most 4 vectors of output channels per tile */
	int mr[5];     /* pixels per tile for nb = 1..nb_max (register budget) */
};

/* A depthwise convolution seen as one row of (pixel, channel) bytes: in NHWC, output byte
 * q = ox * c + ch of a row reads, for tap (ky, kx), byte q + kx * dw * c of input row
 * oy - pt + ky * dh padded with pl and pr pixels of in_zp. So a vector load of blk bytes at any
 * q covers blk (pixel, channel) pairs whatever c is, and the lanes stay full when c is small
 * (c = 16 fills a zmm with 4 pixels) or not a multiple of the vector. A dot instruction sums
 * kgroup products per int32 lane (vpdpbusd: 4 bytes, vpmaddwd: 2 int16): with a weight vector
 * whose lane i holds w in element j only (phase j), lane i of the sum is element kgroup i + j's
 * product alone, so kgroup dots with the kgroup phases of the weights give the blk exact
 * products of a tap in kgroup accumulators, and the requantized bytes recombine in the input's
 * byte order. The weight a byte meets depends only on its channel, q mod c, so the pattern
 * repeats every period = lcm(c, blk) bytes: blocks start at multiples of blk of the row and
 * read the tables at q mod period. A horizontal stride of 2 is the same with the padded input
 * row split into its even and its odd pixels: tap kx of output pixel ox reads pixel
 * ox + (kx * dw) / 2 of the half of parity kx * dw. */
#define QX_Q8_DW_ROWS_KH_MAX 8 /* taller kernels run the per-pixel form */

struct qx_q8_dw_rows {
	struct qx_q8_conv_desc d;
	int64_t blk;               /* output bytes per block: lanes * kgroup (64 zmm, 32 or 16 ymm) */
	int64_t period;            /* lcm(c, blk) */
	void *w;                   /* [kh * kw][period / blk][kgroup phases][blk] elements of welem
	                              bytes: element kgroup i + j of phase j = w of channel
	                              (b * blk + kgroup i + j) mod c, others 0 */
	int32_t *bias;             /* [period / blk][kgroup phases][lanes] folded bias */
	float *mult;               /* [period / blk][kgroup phases][lanes] multipliers, the same */
	int64_t row_bytes;         /* a padded input row: (w + pl + pr) * c + blk bytes of slack;
	                              stride 2: its even pixels, then its odd ones, half each */
	int64_t half;              /* stride 2: bytes from the even pixels to the odd ones */
	uint8_t *zp_row;           /* row_bytes of in_zp: an input row above or below the image */
};

/* The row form of d for vectors of lanes int32 lanes, kgroup (4 or 2) elements of welem (1 or
 * 2) bytes each, or NULL when it does not apply (horizontal stride over 2, kh over
 * QX_Q8_DW_ROWS_KH_MAX, tables over 256 KiB) or memory runs out; the caller keeps the
 * per-pixel form then. */
struct qx_q8_dw_rows *qx_q8_dw_rows_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                                         const int32_t *bias, const float *multiplier,
                                         int lanes, int kgroup, int welem);
void qx_q8_dw_rows_free(struct qx_q8_dw_rows *p);

struct qx_q8_simd_conv {
	struct qx_q8_simd_shape shape;
	struct qx_q8_dw *dw;       /* not NULL: a depthwise convolution, run by dw_run instead */
	struct qx_q8_dw_rows *dw_rows; /* not NULL: run by dw_rows_run (q8_dwrows_template.h) */
	struct qx_q8_conv_desc d;  /* the gemm is a 1x1 conv of k channels, in_zp = 0, no bias */
	int is_gemm;
	struct qx_q8_im2col im;
	int pointwise;             /* 1x1, stride 1, no padding, one group: the input is the GEMM's
	                              A matrix as it lies (one row of c bytes per pixel), so tiles
	                              span output rows and images (no per-row tail tiles) */
	int64_t cg, ocg, k;        /* k: kh * kw * cg, the weights per output channel */
	int64_t kpad;              /* im.k (segments at seg_stride) rounded up to kgroup */
	int64_t blocks;            /* output-channel blocks per group */
	int64_t *block_nb;         /* [blocks] vectors in each block (all nb_max but the last) */
	int64_t *panel_off;        /* [blocks] offset of each block's panel in a group, elements */
	int64_t group_elems;       /* panel elements per group */
	int mr;                    /* pixels per tile: shape.mr[block_nb[0]] */
	size_t row_bytes;          /* one gathered row in the tile buffer (with slack) */
	size_t buf_bytes;          /* the tile buffer: mr rows (+ one byte row for 16-bit sets) */
	size_t prow_at;            /* where the kh padded rows start in it (im.rowwise) */
	void *w;                   /* panels: [g][block] */
	int32_t *bias;             /* [g][block][nb_max * lanes] folded bias; gemm: row sums of w */
	float *mult;               /* [g][block][nb_max * lanes], zero padded; unused by gemm */
	int sat_clamp;             /* 1: requantize as clamp(rne(acc * m) + out_zp, out_min,
	                              out_max) in integers (qx_q8_sat_clamp_exact) */
	void *fallback;            /* scalar-packed copy, used when buf_bytes cannot be allocated */
};

/* The tile buffer lives on the stack up to this size, else on the heap. */
#define QX_Q8_STACK_BUF 32768

/* The x86 SIMD sets' weight packer (kernels/x86/q8_pack.c, baseline code). */
int qx_q8_simd_conv_pack(const struct qx_q8_simd_shape *shape, const struct qx_q8_conv_desc *d,
                         const int8_t *w_ohwi, const int32_t *bias, const float *multiplier,
                         void **packed);
int qx_q8_simd_gemm_pack(const struct qx_q8_simd_shape *shape, const struct qx_q8_gemm_desc *gd,
                         const int8_t *w_nk, void **packed);
void qx_q8_simd_pack_free(void *packed);

/* ---- depthwise and grouped convolution (every SIMD set) ---------------------------------
 * A depthwise convolution with channel multiplier 1 (groups == c == oc) has one input channel
 * per output channel, so it vectorizes across channels: each output pixel is, per block of
 * channels, sum over taps of x[tap][c] * w[tap][c], one vector multiply-accumulate per tap and
 * vector, no gather. Packed once here: */
#define QX_Q8_DW_CBLOCK 64   /* channels are padded to a multiple of this (the widest block) */
#define QX_Q8_DW_TAPS_MAX 64 /* kh * kw above this runs the grouped path instead */

struct qx_q8_dw {
	struct qx_q8_conv_desc d;
	int64_t cpad;             /* c rounded up to QX_Q8_DW_CBLOCK */
	int welem;                /* bytes per packed weight: 4 (x86: int32) or 2 (NEON: int16) */
	void *w;                  /* [kh * kw][cpad] weights, sign-extended, zero past c */
	int32_t *bias;            /* [cpad] folded bias (bias - in_zp * sum w), zero past c */
	float *mult;              /* [cpad] multipliers, zero past c */
	uint8_t *zp_row;          /* cpad bytes of in_zp: what a padded tap reads */
};

/* Whether d is a depthwise convolution the depthwise kernels take. */
int qx_q8_dw_applies(const struct qx_q8_conv_desc *d);
/* Packs it (copies everything); returns NULL when out of memory. */
struct qx_q8_dw *qx_q8_dw_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                               const int32_t *bias, const float *multiplier, int welem);
void qx_q8_dw_free(struct qx_q8_dw *p);

/* The run loop every set's depthwise kernel shares: an output pixel's position, advanced one
 * pixel at a time (no division per pixel). */
struct qx_q8_dw_cursor {
	int64_t img, oy, ox;
};

static inline struct qx_q8_dw_cursor qx_q8_dw_cursor_at(const struct qx_q8_conv_desc *d,
                                                        int64_t pix)
{
	int64_t hw = d->oh * d->ow;
	struct qx_q8_dw_cursor cur = { pix / hw, pix % hw / d->ow, pix % d->ow };
	return cur;
}

/* src[t] = where tap t of the cursor's pixel reads its c channels: the input pixel, or the in_zp
 * row for a tap in the padding. Then moves the cursor to the next pixel. */
static inline void qx_q8_dw_taps(const struct qx_q8_dw *p, const uint8_t *x,
                                 struct qx_q8_dw_cursor *cur, const uint8_t **src)
{
	const struct qx_q8_conv_desc *d = &p->d;
	int t = 0;
	for (int ky = 0; ky < d->kh; ky++) {
		int64_t iy = cur->oy * d->sh - d->pt + (int64_t)ky * d->dh;
		const uint8_t *row = x + (cur->img * d->h + iy) * d->w * d->c;
		for (int kx = 0; kx < d->kw; kx++, t++) {
			int64_t ix = cur->ox * d->sw - d->pl + (int64_t)kx * d->dw;
			src[t] = iy >= 0 && iy < d->h && ix >= 0 && ix < d->w ? row + ix * d->c
			                                                       : p->zp_row;
		}
	}
	if (++cur->ox == d->ow) {
		cur->ox = 0;
		if (++cur->oy == d->oh)
			cur->oy = 0, cur->img++;
	}
}

/* The last, partial block of channels [full, c) reads span bytes from each tap: past c, inside
 * the next pixel, except at the end of the input (x_end), where a tap reads a copy in its row of
 * tail (rows of span bytes, zeroed by the caller) instead. tail_src[t]: where tap t reads. */
static inline void qx_q8_dw_tail(const struct qx_q8_dw *p, const uint8_t *const *src,
                                 int64_t full, int64_t span, const uint8_t *x_end, uint8_t *tail,
                                 const uint8_t **tail_src)
{
	int taps = p->d.kh * p->d.kw;
	for (int t = 0; t < taps; t++) {
		tail_src[t] = src[t] + full;
		if (src[t] != p->zp_row && src[t] + full + span > x_end)
			tail_src[t] = memcpy(tail + t * span, src[t] + full, (size_t)(p->d.c - full));
	}
}

/* A grouped convolution with fewer output channels per group than a vector has lanes wastes
 * most of every vector (and gathers tiny segments per group). Merging f adjacent groups into one
 * with block-diagonal weights (zero where an output channel meets another group's inputs) gives
 * a convolution with groups / f groups and the same sums exactly (the zeros add 0 mod 2^32).
 * f is the largest divisor of groups with f * ocg <= lanes. Returns 0 and *merged_w = NULL when
 * nothing merges (*md = *d), 0 with a malloc'ed [oc][kh][kw][f * cg] array otherwise, -1 when
 * out of memory. */
int qx_q8_merge_groups(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi, int lanes,
                       struct qx_q8_conv_desc *md, int8_t **merged_w);

/* ---- the scalar set's functions, which SIMD sets reuse for shapes they do not cover ------- */
extern const struct qx_kernels_q8 qx_q8_scalar;
int qx_q8_scalar_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                           const int32_t *bias, const float *multiplier, void **packed);
void qx_q8_scalar_conv(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                       int64_t pix_end);
void qx_q8_scalar_pack_free(void *packed);
int qx_q8_scalar_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk, void **packed);
void qx_q8_scalar_gemm_f32out(const void *packed, const uint8_t *x, int32_t x_zp,
                              const float *scale, const float *bias, float *y, int64_t row_begin,
                              int64_t row_end);
void qx_q8_scalar_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                           int32_t qmax, uint8_t *q);
void qx_q8_scalar_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x);
void qx_q8_scalar_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                             int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y);
void qx_q8_scalar_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                      float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                      uint8_t *y);

void qx_q8_scalar_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                      float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                      uint8_t *y);
void qx_q8_scalar_lookup(const uint8_t *x, size_t count, const uint8_t *table, uint8_t *y);

void qx_q8_scalar_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                          int64_t pix_begin, int64_t pix_end);
void qx_q8_scalar_avgpool(const struct qx_q8_conv_desc *d, int count_include_pad,
                          float multiplier, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                          int64_t pix_end);

#endif
