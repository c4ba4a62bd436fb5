/* fp32 matrix product with strided operands, scalar reference: tiles of b and a are packed on
 * the stack into the layouts the 4x8 micro-kernel reads (f32_gemm.c). */
#include "scalar/f32_scalar.h"

#define KC 256          /* k rows per packed tile */
#define NB 64           /* columns of y per packed tile of b (a multiple of QX_F32_NR) */

void qx_f32_scalar_matmul(int64_t m, int64_t n, int64_t k, const float *a, int64_t a_rs,
                          int64_t a_cs, const float *b, int64_t b_rs, int64_t b_cs,
                          const float *bias, float act_min, float act_max, float *y,
                          int64_t row_begin, int64_t row_end)
{
	float bt[KC * NB], at[KC * QX_F32_MR];
	if (row_end > m)
		row_end = m;
	if (k == 0) {
		for (int64_t i = row_begin; i < row_end; i++)
			for (int64_t j = 0; j < n; j++)
				y[i * n + j] = qx_f32_clamp(bias ? bias[j] : 0.0f, act_min, act_max);
		return;
	}
	int64_t chunks = (k + KC - 1) / KC;
	int64_t kstep = (k + chunks - 1) / chunks;
	for (int64_t j0 = 0; j0 < n; j0 += NB) {
		int64_t nb = n - j0 < NB ? n - j0 : NB;
		int64_t strips = (nb + QX_F32_NR - 1) / QX_F32_NR;
		for (int64_t k0 = 0; k0 < k; k0 += kstep) {
			int64_t kc = k - k0 < kstep ? k - k0 : kstep;
			int last = k0 + kc == k;
			for (int64_t s = 0; s < strips; s++)
				for (int64_t kk = 0; kk < kc; kk++)
					for (int jj = 0; jj < QX_F32_NR; jj++) {
						int64_t j = j0 + s * QX_F32_NR + jj;
						bt[(s * kc + kk) * QX_F32_NR + jj] =
							j < j0 + nb ? b[(k0 + kk) * b_rs + j * b_cs] : 0.0f;
					}
			for (int64_t i0 = row_begin; i0 < row_end; i0 += QX_F32_MR) {
				for (int64_t kk = 0; kk < kc; kk++)
					for (int r = 0; r < QX_F32_MR; r++) {
						int64_t i = i0 + r;
						at[kk * QX_F32_MR + r] =
							i < row_end ? a[i * a_rs + (k0 + kk) * a_cs] : 0.0f;
					}
				for (int64_t s = 0; s < strips; s++) {
					float acc[QX_F32_MR][QX_F32_NR];
					for (int r = 0; r < QX_F32_MR; r++)
						for (int jj = 0; jj < QX_F32_NR; jj++) {
							int64_t i = i0 + r, j = j0 + s * QX_F32_NR + jj;
							int live = i < row_end && j < j0 + nb;
							acc[r][jj] = live && k0 > 0 ? y[i * n + j] : 0.0f;
						}
					qx_f32_scalar_tile_4x8(kc, at, bt + s * kc * QX_F32_NR, QX_F32_NR, acc);
					for (int r = 0; r < QX_F32_MR && i0 + r < row_end; r++)
						for (int jj = 0; jj < QX_F32_NR; jj++) {
							int64_t i = i0 + r, j = j0 + s * QX_F32_NR + jj;
							if (j >= j0 + nb)
								break;
							float v = acc[r][jj];
							if (last) {
								if (bias)
									v += bias[j];
								v = qx_f32_clamp(v, act_min, act_max);
							}
							y[i * n + j] = v;
						}
				}
			}
		}
	}
}
