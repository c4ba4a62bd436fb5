/* The baseline int8 micro-kernel: 4 output pixels x 16 output channels, any AArch64 CPU.
 * u8 activations and s8 weights widen to int16 (exact: 255 and -128 fit), then vmlal multiplies
 * into int32 lanes, wrapping modulo 2^32 like the scalar reference. Weights come packed as int16
 * [tap][k][16], so one input channel costs 2 loads and 16 vmlal for 4 x 16 products. */
#include "q8_neon.h"

/* Input channel lane L of every row times the 16 weights of that channel. */
#define MLAL_LANE(L)                                                             \
	do {                                                                     \
		int16x8_t b0 = vld1q_s16(w), b1 = vld1q_s16(w + 8);              \
		w += 16;                                                         \
		c00 = vmlal_laneq_s16(c00, vget_low_s16(b0), x0, L);             \
		c01 = vmlal_high_laneq_s16(c01, b0, x0, L);                      \
		c02 = vmlal_laneq_s16(c02, vget_low_s16(b1), x0, L);             \
		c03 = vmlal_high_laneq_s16(c03, b1, x0, L);                      \
		c10 = vmlal_laneq_s16(c10, vget_low_s16(b0), x1, L);             \
		c11 = vmlal_high_laneq_s16(c11, b0, x1, L);                      \
		c12 = vmlal_laneq_s16(c12, vget_low_s16(b1), x1, L);             \
		c13 = vmlal_high_laneq_s16(c13, b1, x1, L);                      \
		c20 = vmlal_laneq_s16(c20, vget_low_s16(b0), x2, L);             \
		c21 = vmlal_high_laneq_s16(c21, b0, x2, L);                      \
		c22 = vmlal_laneq_s16(c22, vget_low_s16(b1), x2, L);             \
		c23 = vmlal_high_laneq_s16(c23, b1, x2, L);                      \
		c30 = vmlal_laneq_s16(c30, vget_low_s16(b0), x3, L);             \
		c31 = vmlal_high_laneq_s16(c31, b0, x3, L);                      \
		c32 = vmlal_laneq_s16(c32, vget_low_s16(b1), x3, L);             \
		c33 = vmlal_high_laneq_s16(c33, b1, x3, L);                      \
	} while (0)

static inline int16x8_t widen_u8(const uint8_t *p)
{
	return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p)));
}

void qx_neon_tile_mlal_4x16(const struct qx_neon_pack *p, const struct qx_neon_tile *t)
{
	int32x4_t c00 = vld1q_s32(t->bias), c01 = vld1q_s32(t->bias + 4);
	int32x4_t c02 = vld1q_s32(t->bias + 8), c03 = vld1q_s32(t->bias + 12);
	int32x4_t c10 = c00, c11 = c01, c12 = c02, c13 = c03;
	int32x4_t c20 = c00, c21 = c01, c22 = c02, c23 = c03;
	int32x4_t c30 = c00, c31 = c01, c32 = c02, c33 = c03;
	const int16_t *w = t->w;
	const int64_t cg = t->k;
	const struct qx_neon_row r0 = qx_neon_tile_row(t, 0), r1 = qx_neon_tile_row(t, 1);
	const struct qx_neon_row r2 = qx_neon_tile_row(t, 2), r3 = qx_neon_tile_row(t, 3);
	const int interior = t->interior;
	const uint64_t h = (uint64_t)p->d.h, wd = (uint64_t)p->d.w;
	const uint8_t *zp = p->zp_row;

	for (int tap = 0; tap < t->ntaps; tap++) {
		const struct qx_neon_tap *tp = &t->taps[tap];
		const uint8_t *a0 = qx_neon_row_tap(r0, tp, interior, h, wd, zp);
		const uint8_t *a1 = qx_neon_row_tap(r1, tp, interior, h, wd, zp);
		const uint8_t *a2 = qx_neon_row_tap(r2, tp, interior, h, wd, zp);
		const uint8_t *a3 = qx_neon_row_tap(r3, tp, interior, h, wd, zp);
		int64_t k = 0;
		for (; k + 8 <= cg; k += 8) {
			int16x8_t x0 = widen_u8(a0 + k), x1 = widen_u8(a1 + k);
			int16x8_t x2 = widen_u8(a2 + k), x3 = widen_u8(a3 + k);
			MLAL_LANE(0);
			MLAL_LANE(1);
			MLAL_LANE(2);
			MLAL_LANE(3);
			MLAL_LANE(4);
			MLAL_LANE(5);
			MLAL_LANE(6);
			MLAL_LANE(7);
		}
		for (; k < cg; k++) {
			int16x8_t b0 = vld1q_s16(w), b1 = vld1q_s16(w + 8);
			int16_t v0 = a0[k], v1 = a1[k], v2 = a2[k], v3 = a3[k];
			w += 16;
			c00 = vmlal_n_s16(c00, vget_low_s16(b0), v0);
			c01 = vmlal_high_n_s16(c01, b0, v0);
			c02 = vmlal_n_s16(c02, vget_low_s16(b1), v0);
			c03 = vmlal_high_n_s16(c03, b1, v0);
			c10 = vmlal_n_s16(c10, vget_low_s16(b0), v1);
			c11 = vmlal_high_n_s16(c11, b0, v1);
			c12 = vmlal_n_s16(c12, vget_low_s16(b1), v1);
			c13 = vmlal_high_n_s16(c13, b1, v1);
			c20 = vmlal_n_s16(c20, vget_low_s16(b0), v2);
			c21 = vmlal_high_n_s16(c21, b0, v2);
			c22 = vmlal_n_s16(c22, vget_low_s16(b1), v2);
			c23 = vmlal_high_n_s16(c23, b1, v2);
			c30 = vmlal_n_s16(c30, vget_low_s16(b0), v3);
			c31 = vmlal_high_n_s16(c31, b0, v3);
			c32 = vmlal_n_s16(c32, vget_low_s16(b1), v3);
			c33 = vmlal_high_n_s16(c33, b1, v3);
		}
	}

	qx_neon_store_row(t, 0, c00, c01, c02, c03);
	if (t->nrows > 1)
		qx_neon_store_row(t, 1, c10, c11, c12, c13);
	if (t->nrows > 2)
		qx_neon_store_row(t, 2, c20, c21, c22, c23);
	if (t->nrows > 3)
		qx_neon_store_row(t, 3, c30, c31, c32, c33);
}
