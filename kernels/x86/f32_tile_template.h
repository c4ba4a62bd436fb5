/* The fp32 register-blocked micro-kernel that convolution and matmul share, written once over
 * the vector operations of an ops header (avx2/f32_avx2_ops.h, avx512vnni/f32_avx512f_ops.h), which
 * the including file includes first.
 *
 * A micro-tile is F32_MR rows x R vectors (R <= F32_RV) of outputs: rows are output channels
 * (conv) or rows of y (matmul), lanes are output pixels (conv) or columns of y (matmul), so
 * results land in NCHW / row-major y without a transpose. Per k step it loads R vectors of the
 * packed b panel, broadcasts F32_MR packed a values, and issues F32_MR * R FMAs into
 * accumulators that stay in registers for the whole k loop (AVX-512: 8 x 3 = 24 of 32 zmm,
 * AVX2: 4 x 3 = 12 of 16 ymm). */
#ifndef QX_KERNELS_AVX2_F32_TILE_TEMPLATE_H
#define QX_KERNELS_AVX2_F32_TILE_TEMPLATE_H

#include <stddef.h>
#include <stdint.h>

#define F32_SW (F32_VL * F32_RV)   /* lanes of a full micro-tile row (a strip) */
#ifndef F32_TILE_PREFETCH
#define F32_TILE_PREFETCH 1 /* the ops header sets 0 where the tile's prefetches do not pay */
#endif
#define F32_INLINE static inline __attribute__((always_inline))

/* What a micro-tile starts from and where it ends up. */
struct f32_tile_io {
	const float *rowbias;  /* first chunk: row m starts at rowbias[m] (conv bias); or NULL */
	const float *colbias;  /* first chunk: lane j starts at colbias[j] (matmul bias); or NULL */
	float *y;              /* direct: row m, lane j is y[m * ldy + j]; NULL: use tile */
	int64_t ldy;
	float *tile;           /* staging [F32_MR][F32_SW] when y is NULL */
	int first, last;       /* first k chunk (start from the bias) / last (apply the clamp) */
	int mlo, mhi;          /* direct: only rows [mlo, mhi) are read and written */
	float act_min, act_max;
	const char *pf;        /* prefetch pf[64 k] into L2 at steps k < npf (npf 0: none) */
	int64_t npf;
};

/* acc = start; acc[m][r] += sum over k < kc of a[k][m] * b[k][r]; store (clamped when last).
 * a is packed [kc][F32_MR], b [kc][ldb] (only the first R vectors of each row are read); or,
 * when boff is not NULL, row k of b starts at b + boff[k] (conv's row-copy path: the rows are
 * windows of a copied input, one offset per kernel tap, not a dense matrix). */
F32_INLINE void f32_tile_r(const int R, int64_t kc, const float *restrict a,
                           const float *restrict b, int64_t ldb, const int32_t *restrict boff,
                           const struct f32_tile_io *io)
{
	f32v acc[F32_MR][F32_RV];
#pragma GCC unroll 16
	for (int m = 0; m < F32_MR; m++)
#pragma GCC unroll 8
		for (int r = 0; r < R; r++) {
			f32v v = f32v_zero();
			if (io->first) {
				if (io->rowbias)
					v = f32v_set1(io->rowbias[m]);
				else if (io->colbias)
					v = f32v_loadu(io->colbias + r * F32_VL);
			} else if (!io->y) {
				v = f32v_loadu(io->tile + m * F32_SW + r * F32_VL);
			} else if (m >= io->mlo && m < io->mhi) {
				v = f32v_loadu(io->y + m * io->ldy + r * F32_VL);
			}
			acc[m][r] = v;
		}
	/* a short loop has no time to hide the prefetches, only to pay for them */
	const int pf_out = F32_TILE_PREFETCH && io->y && kc >= 64;
	for (int64_t k = 0; k < kc; k++) {
		/* one line per step: spread over the loop, a memory stream costs the FMAs nothing */
		if (F32_TILE_PREFETCH && k < io->npf)
			__builtin_prefetch(io->pf + 64 * k, 0, 1);
		/* the output lines this tile stores at the end, for writing (a large y is not in
		 * the cache: its read for ownership would wait at the stores) */
		if (pf_out && k < F32_MR * R) {
			int m = (int)k / R, r = (int)k % R;
			if (m >= io->mlo && m < io->mhi)
				__builtin_prefetch(io->y + m * io->ldy + r * F32_VL, 1, 3);
		}
		const float *ak = a + k * F32_MR, *bk = boff ? b + boff[k] : b + k * ldb;
		f32v bv[F32_RV];
#pragma GCC unroll 8
		for (int r = 0; r < R; r++)
			bv[r] = f32v_loadu(bk + r * F32_VL);
#pragma GCC unroll 16
		for (int m = 0; m < F32_MR; m++) {
			f32v av = f32v_set1(ak[m]);
#pragma GCC unroll 8
			for (int r = 0; r < R; r++)
				acc[m][r] = f32v_fmadd(av, bv[r], acc[m][r]);
		}
	}
	f32v lo = f32v_set1(io->act_min), hi = f32v_set1(io->act_max);
#pragma GCC unroll 16
	for (int m = 0; m < F32_MR; m++)
#pragma GCC unroll 8
		for (int r = 0; r < R; r++) {
			f32v v = io->last ? f32v_clamp(acc[m][r], lo, hi) : acc[m][r];
			if (!io->y)
				f32v_storeu(io->tile + m * F32_SW + r * F32_VL, v);
			else if (m >= io->mlo && m < io->mhi)
				f32v_storeu(io->y + m * io->ldy + r * F32_VL, v);
		}
}

/* The micro-tile for R = 1 .. F32_RV vectors, each instantiated with R constant. Out of line:
 * a call per micro-tile is noise next to its k loop, and the callers' own registers then do
 * not crowd the accumulators. */
static __attribute__((noinline)) void f32_tile(int R, int64_t kc, const float *a,
                                               const float *b, int64_t ldb,
                                               const struct f32_tile_io *io)
{
	switch (R) {
	case 1:
		f32_tile_r(1, kc, a, b, ldb, NULL, io);
		break;
#if F32_RV >= 2
	case 2:
		f32_tile_r(2, kc, a, b, ldb, NULL, io);
		break;
#endif
#if F32_RV >= 3
	case 3:
		f32_tile_r(3, kc, a, b, ldb, NULL, io);
		break;
#endif
#if F32_RV >= 4
	case 4:
		f32_tile_r(4, kc, a, b, ldb, NULL, io);
		break;
#endif
#if F32_RV >= 5
#error "f32_tile: F32_RV above 4 needs more cases"
#endif
	default:
		break;
	}
}

/* A run of lanes of one micro-tile row that lands contiguously in y: lanes [lane, lane + n)
 * go to y[off + row offset ...]. */
struct f32_seg {
	int64_t lane, n, off;
};

/* tile row -> y for each segment (n floats each, vectors and a partial tail). */
static void f32_tile_row_out(float *y, int64_t row_off, const float *tile_row,
                             const struct f32_seg *seg, int nseg)
{
	for (int s = 0; s < nseg; s++) {
		float *dst = y + seg[s].off + row_off;
		const float *src = tile_row + seg[s].lane;
		int64_t j = 0;
		for (; j + F32_VL <= seg[s].n; j += F32_VL)
			f32v_storeu(dst + j, f32v_loadu(src + j));
		if (j < seg[s].n)
			f32v_store_first(dst + j, f32v_loadu(src + j), seg[s].n - j);
	}
}

/* y -> tile row (partial sums of an earlier k chunk); lanes outside the segments are 0. */
static void f32_tile_row_in(const float *y, int64_t row_off, float *tile_row,
                            const struct f32_seg *seg, int nseg)
{
	for (int j = 0; j < F32_SW; j += F32_VL)
		f32v_storeu(tile_row + j, f32v_zero());
	for (int s = 0; s < nseg; s++) {
		const float *src = y + seg[s].off + row_off;
		float *dst = tile_row + seg[s].lane;
		int64_t j = 0;
		for (; j + F32_VL <= seg[s].n; j += F32_VL)
			f32v_storeu(dst + j, f32v_loadu(src + j));
		if (j < seg[s].n)
			f32v_storeu(dst + j, f32v_load_first(src + j, seg[s].n - j));
	}
}

#endif
