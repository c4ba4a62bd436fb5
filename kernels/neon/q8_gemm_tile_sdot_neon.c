/* The dot-product int8 micro-kernel: 4 output pixels x 16 output channels, Armv8.2 dotprod
 * (compiled for it here; run only when HWCAP_ASIMDDP says the CPU has it).
 * sdot multiplies s8 by s8, so activations enter as x - 128 (x ^ 0x80 read as int8, exact); the
 * pack folded 128 * sum w into the bias. Weights come packed [tap][k/4][16][4]: one sdot by lane
 * takes 4 input channels of one row into 4 output channels. */
#include "q8_neon.h"

/* GCC's first scheduling pass hoists all 16 weight loads of a step above the sdots, which needs
 * more than 32 vector registers and spills accumulators inside the loop; without it the loop
 * runs from registers only (checked in the disassembly of GCC 12). */
#define SDOT_TARGET                                                                    \
	__attribute__((target("arch=armv8.2-a+dotprod"),                               \
	               optimize("no-schedule-insns", "fp-contract=off")))

/* Four input channels (lane L of every row's x) into the 16 output channels. Each weight vector
 * meets the 4 rows right after its load, which keeps 16 accumulators, 4 inputs and a few weight
 * vectors within the 32 registers. */
#define SDOT_COLUMN(L, J)                                                      \
	do {                                                                   \
		int8x16_t b = vld1q_s8(w + 16 * J);                            \
		c0##J = vdotq_laneq_s32(c0##J, b, x0, L);                      \
		c1##J = vdotq_laneq_s32(c1##J, b, x1, L);                      \
		c2##J = vdotq_laneq_s32(c2##J, b, x2, L);                      \
		c3##J = vdotq_laneq_s32(c3##J, b, x3, L);                      \
	} while (0)
#define SDOT_LANE(L)                                                           \
	do {                                                                   \
		SDOT_COLUMN(L, 0);                                             \
		SDOT_COLUMN(L, 1);                                             \
		SDOT_COLUMN(L, 2);                                             \
		SDOT_COLUMN(L, 3);                                             \
		w += 64;                                                       \
	} while (0)

/* 16 activations as int8 x - 128. */
static inline int8x16_t load16_centered(const uint8_t *p)
{
	return vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80)));
}

/* 4 activations (n of them real, 1..4) as int8 x - 128 in lane 0; the missing ones meet zero
 * weights. Never reads past p[n - 1]. */
static inline int8x16_t load4_centered(const uint8_t *p, int64_t n)
{
	uint32_t v = 0x80808080u;
	if (n >= 4) {
		memcpy(&v, p, 4);
	} else {
		for (int64_t i = 0; i < n; i++)
			v = (v & ~(0xffu << (8 * i))) | (uint32_t)p[i] << (8 * i);
	}
	return vreinterpretq_s8_u8(veorq_u8(vreinterpretq_u8_u32(vdupq_n_u32(v)), vdupq_n_u8(0x80)));
}

SDOT_TARGET void qx_neon_tile_sdot_4x16(const struct qx_neon_pack *p, const struct qx_neon_tile *t)
{
	int32x4_t c00 = vld1q_s32(t->bias), c01 = vld1q_s32(t->bias + 4);
	int32x4_t c02 = vld1q_s32(t->bias + 8), c03 = vld1q_s32(t->bias + 12);
	int32x4_t c10 = c00, c11 = c01, c12 = c02, c13 = c03;
	int32x4_t c20 = c00, c21 = c01, c22 = c02, c23 = c03;
	int32x4_t c30 = c00, c31 = c01, c32 = c02, c33 = c03;
	const int8_t *w = t->w;
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
		for (; k + 16 <= cg; k += 16) {
			int8x16_t x0 = load16_centered(a0 + k), x1 = load16_centered(a1 + k);
			int8x16_t x2 = load16_centered(a2 + k), x3 = load16_centered(a3 + k);
			SDOT_LANE(0);
			SDOT_LANE(1);
			SDOT_LANE(2);
			SDOT_LANE(3);
		}
		for (; k < cg; k += 4) {
			int8x16_t x0 = load4_centered(a0 + k, cg - k), x1 = load4_centered(a1 + k, cg - k);
			int8x16_t x2 = load4_centered(a2 + k, cg - k), x3 = load4_centered(a3 + k, cg - k);
			SDOT_LANE(0);
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
