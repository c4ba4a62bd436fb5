/* Internals shared by the NEON int8 kernel files (kernels/neon/ only; nothing else includes it).
 *
 * Convolution is an implicit GEMM over NHWC: a tile of MR = 4 output pixels times NR = 16 output
 * channels keeps 16 int32x4 accumulators in registers; the "A" row of a pixel is the concatenation,
 * tap by tap, of the input pixel's channels (or a row of in_zp for a padded tap), read in place.
 * Two micro-kernels fill a tile, chosen once at pack time:
 *   mlal  (any AArch64): u8 and s8 widened to int16, vmlal_laneq_s16; weights packed as int16.
 *   sdot  (Armv8.2 dotprod, HWCAP_ASIMDDP): sdot has no u8 x s8 form, so it runs on x - 128
 *         (x ^ 0x80 as int8); sum (x - 128) * w = sum x * w - 128 * sum w, and the pack folds
 *         128 * sum w into the bias.
 * Both give the same int32 sums modulo 2^32, hence bit-identical outputs. A Gemm is the 1x1 case
 * with h = w = 1 and one "image" per row of x. */
#ifndef QX_KERNELS_NEON_Q8_NEON_H
#define QX_KERNELS_NEON_Q8_NEON_H

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels_q8.h"

#define QX_NEON_MR 4
#define QX_NEON_NR 16
#define QX_NEON_GATHER_MAX 1024 /* bytes of a gathered receptive field (4 rows on the stack) */

enum qx_neon_path {
	QX_NEON_PATH_MLAL, /* int16 widening multiply-accumulate, baseline Armv8-A */
	QX_NEON_PATH_SDOT, /* Armv8.2 dotprod on x - 128 */
};

/* One kernel tap: where it reads relative to the window's top-left input position. */
struct qx_neon_tap {
	int32_t dy, dx;   /* input row / column offset */
	int64_t offset;   /* (dy * w + dx) * c, in bytes of the NHWC input */
};

/* What conv_pack and gemm_pack return; one allocation, freed by qx_q8_neon_pack_free. */
struct qx_q8_dw;

struct qx_neon_pack {
	struct qx_q8_conv_desc d;
	struct qx_q8_dw *dw;      /* not NULL: a depthwise convolution (q8_dwconv_neon.c), and nothing
	                             else of this pack is used */
	enum qx_neon_path path;
	int64_t cg, ocg;          /* input / output channels per group */
	int64_t nblocks;          /* NR-wide output-channel blocks per group */
	int ntaps;                /* kh * kw */
	int32_t dy_max, dx_max;   /* reach of the window below / right of its top-left position */
	const struct qx_neon_tap *taps;
	/* What the micro-kernel loops over: the kernel's taps of cg channels, or, when the pack
	 * gathers (few channels per tap: the per-tap overhead would dominate), one "tap" of the
	 * whole receptive field copied into a contiguous row of run_k bytes (K rounded up to 8;
	 * the extra bytes meet zero weights). */
	int gather;
	int run_ntaps;
	int64_t run_k;
	const struct qx_neon_tap *run_taps;
	/* Tiles whose windows lie inside the input may run one "tap" per kernel row instead:
	 * kw adjacent NHWC pixels are kw * c contiguous bytes (groups 1, dw 1), and the packed
	 * weights of a kernel row are contiguous too (for sdot when cg % 4 == 0). */
	int row_fused;
	const struct qx_neon_tap *row_taps; /* kh taps of kw * cg channels */
	size_t block_bytes;       /* packed weights of one block (one group, NR output channels) */
	const uint8_t *zp_row;    /* cg bytes of in_zp (padded taps read it), 16-byte tail slack */
	const void *w;            /* [groups][nblocks] blocks, layout per path (q8_pack_neon.c) */
	const int32_t *bias;      /* [groups][nblocks][NR]: bias with the zero-point terms folded */
	const int32_t *sum_w;     /* [groups][nblocks][NR]: sum of the channel's weights (Gemm) */
	const float *multiplier;  /* [groups][nblocks][NR]; 0 in the padding lanes */
};

/* One tile for a micro-kernel: up to MR output pixels (rows of the implicit GEMM) times one
 * block of NR output channels. Rows past nrows repeat the last valid row's geometry (their
 * loads stay in bounds) and are not stored. */
struct qx_neon_tile {
	const uint8_t *x;             /* input with the group's channel offset applied */
	int64_t row_base[QX_NEON_MR]; /* offset of the window's top-left position (may be virtual) */
	int64_t iy0[QX_NEON_MR];      /* window's top-left input row / column (may be negative) */
	int64_t ix0[QX_NEON_MR];
	int interior;                 /* every tap of every row is inside the input */
	const struct qx_neon_tap *taps; /* what the micro-kernel runs: ntaps taps of k channels */
	int ntaps;
	int64_t k;
	int nrows;                    /* valid rows, 1..MR */
	int ncols;                    /* valid output channels in the block, 1..NR */
	const void *w;                /* the block's packed weights */
	const int32_t *bias;          /* NR initial accumulators */
	/* epilogue: u8 requantization (conv) when y_f32 is NULL, else fp32 (Gemm) */
	uint8_t *y_u8;                /* row 0's first output; rows are y_stride apart */
	float *y_f32;
	int64_t y_stride;
	const float *multiplier;      /* NR, conv */
	float lo, hi;                 /* conv: out_min - out_zp, out_max - out_zp */
	int32_t out_zp;               /* conv */
	const int32_t *sum_w;         /* NR, Gemm: acc += sum_w * zp_fix */
	int32_t zp_fix;               /* Gemm: -x_zp */
	const float *scale;           /* NR, Gemm */
	const float *bias_f32;        /* NR or NULL, Gemm */
};

void qx_neon_tile_mlal_4x16(const struct qx_neon_pack *p, const struct qx_neon_tile *t);
void qx_neon_tile_sdot_4x16(const struct qx_neon_pack *p, const struct qx_neon_tile *t);

/* The set's entry points (kernels_q8.h states each contract). */
int qx_q8_neon_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                         const int32_t *bias, const float *multiplier, void **packed);
void qx_q8_neon_conv(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                     int64_t pix_end);
int qx_q8_neon_gemm_pack(const struct qx_q8_gemm_desc *d, const int8_t *w_nk, void **packed);
void qx_q8_neon_gemm_f32out(const void *packed, const uint8_t *x, int32_t x_zp, const float *scale,
                            const float *bias, float *y, int64_t row_begin, int64_t row_end);
void qx_q8_neon_pack_free(void *packed);
void qx_q8_neon_quantize(const float *x, size_t count, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, uint8_t *q);
void qx_q8_neon_dequantize(const uint8_t *q, size_t count, float scale, int32_t zp, float *x);
void qx_q8_neon_requantize(const uint8_t *x, size_t count, int32_t x_zp, float multiplier,
                           int32_t y_zp, int32_t y_min, int32_t y_max, uint8_t *y);
void qx_q8_neon_add(const uint8_t *a, int32_t a_zp, float a_mul, const uint8_t *b, int32_t b_zp,
                    float b_mul, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y);
void qx_q8_neon_mul(const uint8_t *a, int32_t a_zp, const uint8_t *b, int32_t b_zp,
                    float multiplier, size_t count, int32_t y_zp, int32_t y_min, int32_t y_max,
                    uint8_t *y);
void qx_q8_neon_maxpool(const struct qx_q8_conv_desc *d, const uint8_t *x, uint8_t *y,
                        int64_t pix_begin, int64_t pix_end);
void qx_q8_neon_avgpool(const struct qx_q8_conv_desc *d, int count_include_pad, float multiplier,
                        const uint8_t *x, uint8_t *y, int64_t pix_begin, int64_t pix_end);

/* Depthwise convolution (kernels/q8_common.h packs it, welem 2) over output pixels
 * [begin, end). */
void qx_neon_dw_run(const struct qx_q8_dw *p, const uint8_t *x, uint8_t *y, int64_t begin,
                    int64_t end);

/* Whether this CPU (and OS) has the Armv8.2 dot product instructions. */
int qx_neon_has_dotprod(void);

/* Packs weights [oc][kh][kw][cg] for d on the given path; in_zp is folded into the bias.
 * Returns NULL when out of memory. */
struct qx_neon_pack *qx_neon_pack_create(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                                         const int32_t *bias, const float *multiplier,
                                         enum qx_neon_path path);

/* Runs tiles for output pixels [pix_begin, pix_end) of p with the given epilogue template
 * (t's epilogue fields; the per-tile fields are filled here). */
void qx_neon_run_tiles(const struct qx_neon_pack *p, const uint8_t *x,
                       const struct qx_neon_tile *tmpl, int64_t pix_begin, int64_t pix_end);

/* Requantization as kernels_q8.h states it, on 4 lanes:
 * q = rne(clamp((float)acc * m, lo, hi)) + zp, where lo = out_min - zp and hi = out_max - zp.
 * fmaxf/fminf semantics (a NaN yields the bound), so the result lies in [out_min, out_max]. */
static inline int32x4_t qx_neon_requant_s32(int32x4_t acc, float32x4_t m, float32x4_t lo,
                                            float32x4_t hi, int32x4_t zp)
{
	float32x4_t t = vmulq_f32(vcvtq_f32_s32(acc), m);
	t = vminnmq_f32(vmaxnmq_f32(t, lo), hi);
	return vaddq_s32(vcvtnq_s32_f32(t), zp);
}

/* Four int32x4 results in [0, 255] to 16 bytes (saturating narrows are exact there). */
static inline uint8x16_t qx_neon_narrow_u8(int32x4_t a, int32x4_t b, int32x4_t c, int32x4_t d)
{
	int16x8_t lo = vcombine_s16(vqmovn_s32(a), vqmovn_s32(b));
	int16x8_t hi = vcombine_s16(vqmovn_s32(c), vqmovn_s32(d));
	return vcombine_u8(vqmovun_s16(lo), vqmovun_s16(hi));
}

/* The shared epilogue for row r of a tile: 16 accumulators to the row's outputs. Inlined into
 * each micro-kernel, so accumulators go from registers to memory once (requantization fused). */
static inline __attribute__((always_inline)) void
qx_neon_store_row(const struct qx_neon_tile *t, int r, int32x4_t a0, int32x4_t a1, int32x4_t a2,
                  int32x4_t a3)
{
	if (t->y_f32) {
		int32x4_t fix = vdupq_n_s32(t->zp_fix);
		a0 = vmlaq_s32(a0, vld1q_s32(t->sum_w), fix);
		a1 = vmlaq_s32(a1, vld1q_s32(t->sum_w + 4), fix);
		a2 = vmlaq_s32(a2, vld1q_s32(t->sum_w + 8), fix);
		a3 = vmlaq_s32(a3, vld1q_s32(t->sum_w + 12), fix);
		float v[QX_NEON_NR];
		vst1q_f32(v, vmulq_f32(vcvtq_f32_s32(a0), vld1q_f32(t->scale)));
		vst1q_f32(v + 4, vmulq_f32(vcvtq_f32_s32(a1), vld1q_f32(t->scale + 4)));
		vst1q_f32(v + 8, vmulq_f32(vcvtq_f32_s32(a2), vld1q_f32(t->scale + 8)));
		vst1q_f32(v + 12, vmulq_f32(vcvtq_f32_s32(a3), vld1q_f32(t->scale + 12)));
		float *dst = t->y_f32 + r * t->y_stride;
		if (t->bias_f32)
			for (int j = 0; j < QX_NEON_NR; j += 4)
				vst1q_f32(v + j, vaddq_f32(vld1q_f32(v + j), vld1q_f32(t->bias_f32 + j)));
		memcpy(dst, v, (size_t)t->ncols * sizeof *dst);
		return;
	}
	float32x4_t lo = vdupq_n_f32(t->lo), hi = vdupq_n_f32(t->hi);
	int32x4_t zp = vdupq_n_s32(t->out_zp);
	const float *m = t->multiplier;
	uint8x16_t q = qx_neon_narrow_u8(qx_neon_requant_s32(a0, vld1q_f32(m), lo, hi, zp),
	                                 qx_neon_requant_s32(a1, vld1q_f32(m + 4), lo, hi, zp),
	                                 qx_neon_requant_s32(a2, vld1q_f32(m + 8), lo, hi, zp),
	                                 qx_neon_requant_s32(a3, vld1q_f32(m + 12), lo, hi, zp));
	uint8_t *dst = t->y_u8 + r * t->y_stride;
	if (t->ncols == QX_NEON_NR) {
		vst1q_u8(dst, q);
	} else {
		uint8_t out[QX_NEON_NR];
		vst1q_u8(out, q);
		memcpy(dst, out, (size_t)t->ncols);
	}
}

/* Where a row of a tile reads a tap: the input pixel's channels, or the in_zp row when the
 * tap falls in the padding. The micro-kernels copy the row's geometry into locals first. */
struct qx_neon_row {
	uintptr_t base;  /* t->x + row_base, as an integer: it may point outside the input */
	int64_t iy0, ix0;
};

static inline const uint8_t *qx_neon_row_tap(struct qx_neon_row row, const struct qx_neon_tap *tap,
                                             int interior, uint64_t h, uint64_t w,
                                             const uint8_t *zp_row)
{
	const uint8_t *in = (const uint8_t *)(row.base + (uintptr_t)tap->offset);
	if (interior)
		return in;
	uint64_t iy = (uint64_t)(row.iy0 + tap->dy), ix = (uint64_t)(row.ix0 + tap->dx);
	return iy < h && ix < w ? in : zp_row;
}

static inline struct qx_neon_row qx_neon_tile_row(const struct qx_neon_tile *t, int r)
{
	struct qx_neon_row row = { (uintptr_t)t->x + (uintptr_t)t->row_base[r], t->iy0[r],
		                   t->ix0[r] };
	return row;
}

#endif
