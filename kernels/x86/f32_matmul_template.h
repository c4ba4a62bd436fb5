/* fp32 matrix product with strided operands, written once for the x86 SIMD sets: the
 * including file includes its ops header first.
 *
 * For each block of F32_MM_NB columns and chunk of at most F32_MM_KC of k, b is packed on the
 * stack into strips [kc][F32_SW] (columns across the lanes) and, per F32_MR rows of y, a into
 * [kc][F32_MR] (broadcast by the micro-kernel); bias starts the first chunk's accumulators and
 * the clamp ends the last. Any strides work (Gemm's transA / transB, MatMul), the copies absorb
 * them. */
#include "x86/f32_tile_template.h"

#include "kernels_f32.h"

#ifndef F32_MM_KC
#define F32_MM_KC 192          /* k rows per packed tile */
#endif
#ifndef F32_MM_STRIPS
#define F32_MM_STRIPS 3        /* strips of F32_SW columns per packed tile of b */
#endif
#define F32_MM_NB (F32_MM_STRIPS * F32_SW)

/* b rows [k0, k0 + kc), columns [j0, j0 + nb) into strips of bt (kc * F32_SW floats each);
 * columns past nb up to the strip's end are zeros. Rows of b contiguous (MatMul, Gemm): vector
 * copies; columns contiguous (Gemm transB, an FC layer's [n][k] weights): walk each column down
 * and write the strip's column; otherwise element by element. */
static void mm_pack_b(const float *b, int64_t b_rs, int64_t b_cs, int64_t k0, int64_t kc,
                      int64_t j0, int64_t nb, float *bt)
{
	int64_t strips = (nb + F32_SW - 1) / F32_SW;
	for (int64_t s = 0; s < strips; s++) {
		int64_t sn = nb - s * F32_SW < F32_SW ? nb - s * F32_SW : F32_SW;
		float *strip = bt + s * kc * F32_SW;
		if (b_cs == 1) {
			for (int64_t kk = 0; kk < kc; kk++) {
				const float *src = b + (k0 + kk) * b_rs + j0 + s * F32_SW;
				float *dst = strip + kk * F32_SW;
				int64_t j = 0;
				for (; j + F32_VL <= sn; j += F32_VL)
					f32v_storeu(dst + j, f32v_loadu(src + j));
				if (j < sn) {
					f32v_storeu(dst + j, f32v_load_first(src + j, sn - j));
					j += F32_VL;
				}
				for (; j < F32_SW; j += F32_VL)
					f32v_storeu(dst + j, f32v_zero());
			}
		} else if (b_rs == 1) {
			for (int64_t j = 0; j < F32_SW; j++) {
				if (j >= sn) {
					for (int64_t kk = 0; kk < kc; kk++)
						strip[kk * F32_SW + j] = 0.0f;
					continue;
				}
				const float *src = b + k0 + (j0 + s * F32_SW + j) * b_cs;
				for (int64_t kk = 0; kk < kc; kk++)
					strip[kk * F32_SW + j] = src[kk];
			}
		} else {
			for (int64_t kk = 0; kk < kc; kk++) {
				const float *src = b + (k0 + kk) * b_rs + (j0 + s * F32_SW) * b_cs;
				for (int64_t j = 0; j < F32_SW; j++)
					strip[kk * F32_SW + j] = j < sn ? src[j * b_cs] : 0.0f;
			}
		}
	}
}

/* a rows [i0, i0 + mr) (mr <= F32_MR), k in [k0, k0 + kc) into at[kc][F32_MR]; rows past mr
 * are zeros. */
static void mm_pack_a(const float *a, int64_t a_rs, int64_t a_cs, int64_t i0, int64_t mr,
                      int64_t k0, int64_t kc, float *at)
{
	for (int64_t r = 0; r < F32_MR; r++) {
		if (r >= mr) {
			for (int64_t kk = 0; kk < kc; kk++)
				at[kk * F32_MR + r] = 0.0f;
			continue;
		}
		const float *src = a + (i0 + r) * a_rs + k0 * a_cs;
		for (int64_t kk = 0; kk < kc; kk++)
			at[kk * F32_MR + r] = src[kk * a_cs];
	}
}

/* Rows [i0, i0 + mr) of the staging tile to y (out) or, from y, the partial sums of the k
 * chunks before (in); seg says which columns. */
static void mm_stage(int out, float *y, int64_t n, int64_t i0, int64_t mr, float *tile,
                     const struct f32_seg *seg)
{
	for (int64_t r = 0; r < mr; r++) {
		if (out)
			f32_tile_row_out(y, (i0 + r) * n, tile + r * F32_SW, seg, 1);
		else
			f32_tile_row_in(y, (i0 + r) * n, tile + r * F32_SW, seg, 1);
	}
}

/* At most F32_MR rows of y with b's rows contiguous (a classifier on a batch of 1 to 8: Gemm's
 * constant weights, which the executor keeps as [k][n]): b is read in place instead of packed.
 * Packing copied k x F32_MM_NB floats, mostly zeros for a 10-class layer, on every call, which
 * cost the default model's classifier 20 times its FMAs at batch 1. Each output still starts
 * from the bias (or +0), takes one FMA per k in order and the clamp at the end, as in
 * f32_tile_r: the same bits as the packed path. R rows (constant) from row i0. */
F32_INLINE void mm_rows_r(const int R, int64_t n, int64_t k, const float *a, int64_t a_rs,
                          int64_t a_cs, const float *b, int64_t b_rs, const float *bias,
                          float act_min, float act_max, float *y, int64_t i0)
{
	const f32v lo = f32v_set1(act_min), hi = f32v_set1(act_max);
	for (int64_t j = 0; j < n; j += F32_VL) {
		int64_t nl = n - j < F32_VL ? n - j : F32_VL;
		f32v b0 = !bias ? f32v_zero() : nl == F32_VL ? f32v_loadu(bias + j)
		                                              : f32v_load_first(bias + j, nl);
		f32v acc[F32_MR];
#pragma GCC unroll 16
		for (int r = 0; r < R; r++)
			acc[r] = b0;
		for (int64_t kk = 0; kk < k; kk++) {
			const float *bk = b + kk * b_rs + j;
			f32v bv = nl == F32_VL ? f32v_loadu(bk) : f32v_load_first(bk, nl);
#pragma GCC unroll 16
			for (int r = 0; r < R; r++)
				acc[r] = f32v_fmadd(f32v_set1(a[(i0 + r) * a_rs + kk * a_cs]), bv, acc[r]);
		}
#pragma GCC unroll 16
		for (int r = 0; r < R; r++)
			f32v_store_first(y + (i0 + r) * n + j, f32v_clamp(acc[r], lo, hi), nl);
	}
}

static void mm_rows(int R, int64_t n, int64_t k, const float *a, int64_t a_rs, int64_t a_cs,
                    const float *b, int64_t b_rs, const float *bias, float act_min,
                    float act_max, float *y, int64_t i0)
{
	switch (R) {
#define MM_ROWS_CASE(r)                                                                           \
	case r:                                                                                   \
		mm_rows_r(r, n, k, a, a_rs, a_cs, b, b_rs, bias, act_min, act_max, y, i0);        \
		break;
	MM_ROWS_CASE(1) MM_ROWS_CASE(2) MM_ROWS_CASE(3) MM_ROWS_CASE(4)
#if F32_MR > 4
	MM_ROWS_CASE(5) MM_ROWS_CASE(6) MM_ROWS_CASE(7) MM_ROWS_CASE(8)
#endif
#undef MM_ROWS_CASE
	default:
		break;
	}
}

void F32_FN(matmul)(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs, int64_t a_cs,
                    const float *b, int64_t b_rs, int64_t b_cs, const float *bias, float act_min,
                    float act_max, float *y, int64_t row_begin, int64_t row_end)
{
	_Alignas(64) float bt[F32_MM_STRIPS * F32_MM_KC * F32_SW];
	_Alignas(64) float at[F32_MM_KC * F32_MR];
	_Alignas(64) float cbias[F32_MM_NB];
	_Alignas(64) float tile[F32_MR * F32_SW + F32_VL];
	if (row_end > m)
		row_end = m;
	if (row_begin < 0)
		row_begin = 0;
	if (row_begin >= row_end || n <= 0)
		return;
	if (b_cs == 1 && row_end - row_begin <= F32_MR && F32_MR <= 8) {
		mm_rows((int)(row_end - row_begin), n, k, a, a_rs, a_cs, b, b_rs, bias, act_min,
		        act_max, y, row_begin);
		return;
	}
	int64_t chunks = (k + F32_MM_KC - 1) / F32_MM_KC;
	int64_t kstep = chunks ? (k + chunks - 1) / chunks : 1;
	for (int64_t j0 = 0; j0 < n; j0 += F32_MM_NB) {
		int64_t nb = n - j0 < F32_MM_NB ? n - j0 : F32_MM_NB;
		int64_t strips = (nb + F32_SW - 1) / F32_SW;
		if (bias)
			for (int64_t j = 0; j < strips * F32_SW; j++)
				cbias[j] = j < nb ? bias[j0 + j] : 0.0f;
		/* k == 0 still runs one empty chunk: y = clamp(bias). */
		for (int64_t k0 = 0; k0 < k || k0 == 0; k0 += kstep) {
			int64_t kc = k - k0 < kstep ? k - k0 : kstep;
			mm_pack_b(b, b_rs, b_cs, k0, kc, j0, nb, bt);
			for (int64_t i0 = row_begin; i0 < row_end; i0 += F32_MR) {
				int64_t mr = row_end - i0 < F32_MR ? row_end - i0 : F32_MR;
				mm_pack_a(a, a_rs, a_cs, i0, mr, k0, kc, at);
				for (int64_t s = 0; s < strips; s++) {
					int64_t sn = nb - s * F32_SW < F32_SW ? nb - s * F32_SW : F32_SW;
					int R = (int)((sn + F32_VL - 1) / F32_VL);
					int direct = sn == R * F32_VL;
					struct f32_seg seg = { 0, sn, j0 + s * F32_SW };
					struct f32_tile_io io = {
						.colbias = bias ? cbias + s * F32_SW : NULL,
						.y = direct ? y + i0 * n + j0 + s * F32_SW : NULL,
						.ldy = n,
						.tile = tile,
						.first = k0 == 0,
						.last = k0 + kc >= k,
						.mlo = 0,
						.mhi = (int)mr,
						.act_min = act_min,
						.act_max = act_max,
					};
					if (!direct && !io.first)
						mm_stage(0, y, n, i0, mr, tile, &seg);
					f32_tile(R, kc, at, bt + s * kc * F32_SW, F32_SW, &io);
					if (!direct)
						mm_stage(1, y, n, i0, mr, tile, &seg);
				}
			}
			if (k == 0)
				break;
		}
	}
}
