#include "exec/q8_layout.h"

void qx_q8_layout_init(struct qx_q8_layout *l, const struct qx_tensor *t)
{
	l->ndim = t->ndim;
	l->numel = 1;
	for (int d = 0; d < t->ndim; d++) {
		l->dims[d] = l->phys[d] = t->dims[d];
		l->numel *= t->dims[d];
	}
	l->nhwc = t->ndim == 4;
	if (l->nhwc) {
		l->phys[1] = t->dims[2];
		l->phys[2] = t->dims[3];
		l->phys[3] = t->dims[1];
	}
}

int qx_q8_layout_needs_transpose(const struct qx_q8_layout *l)
{
	return l->nhwc && l->dims[1] > 1 && l->dims[2] * l->dims[3] > 1;
}

int qx_q8_layout_physical_axis(const struct qx_q8_layout *l, int axis)
{
	if (axis < 0)
		axis += l->ndim;
	if (!l->nhwc)
		return axis;
	static const int nchw_to_nhwc[4] = { 0, 3, 1, 2 };
	return nchw_to_nhwc[axis & 3];
}

/* dst (cols x rows) = the transpose of src (rows x cols), bytes. SSE2 (every x86-64) moves
 * 8x8 blocks through registers: about 3x the byte loop, which the int8 model pays twice per
 * float node between int8 ones (densenet121: every unfolded BatchNormalization). A pure
 * permutation: the bytes are the same on every path. */
#if defined(__SSE2__)
#include <emmintrin.h>

static void transpose_8x8(const uint8_t *s, int64_t ss, uint8_t *d, int64_t ds)
{
	__m128i r[8];
	for (int k = 0; k < 8; k++)
		r[k] = _mm_loadl_epi64((const __m128i *)(const void *)(s + k * ss));
	__m128i a0 = _mm_unpacklo_epi8(r[0], r[1]), a1 = _mm_unpacklo_epi8(r[2], r[3]);
	__m128i a2 = _mm_unpacklo_epi8(r[4], r[5]), a3 = _mm_unpacklo_epi8(r[6], r[7]);
	__m128i b0 = _mm_unpacklo_epi16(a0, a1), b1 = _mm_unpackhi_epi16(a0, a1);
	__m128i b2 = _mm_unpacklo_epi16(a2, a3), b3 = _mm_unpackhi_epi16(a2, a3);
	/* c[k]: columns 2k and 2k + 1 of the block, rows 0..7 each */
	__m128i c[4] = { _mm_unpacklo_epi32(b0, b2), _mm_unpackhi_epi32(b0, b2),
	                 _mm_unpacklo_epi32(b1, b3), _mm_unpackhi_epi32(b1, b3) };
	for (int k = 0; k < 4; k++) {
		_mm_storel_epi64((__m128i *)(void *)(d + 2 * k * ds), c[k]);
		_mm_storel_epi64((__m128i *)(void *)(d + (2 * k + 1) * ds),
		                 _mm_unpackhi_epi64(c[k], c[k]));
	}
}
#endif

static void transpose_u8(const uint8_t *src, int64_t rows, int64_t cols, uint8_t *dst)
{
	int64_t i = 0;
#if defined(__SSE2__)
	for (; i + 8 <= rows; i += 8) {
		int64_t j = 0;
		for (; j + 8 <= cols; j += 8)
			transpose_8x8(src + i * cols + j, cols, dst + j * rows + i, rows);
		for (; j < cols; j++)
			for (int64_t k = i; k < i + 8; k++)
				dst[j * rows + k] = src[k * cols + j];
	}
#endif
	for (; i < rows; i++)
		for (int64_t j = 0; j < cols; j++)
			dst[j * rows + i] = src[i * cols + j];
}

void qx_q8_nchw_to_nhwc(const struct qx_q8_layout *l, const uint8_t *src, uint8_t *dst)
{
	int64_t n = l->dims[0], c = l->dims[1], hw = l->dims[2] * l->dims[3];
	for (int64_t b = 0; b < n; b++)
		transpose_u8(src + b * c * hw, c, hw, dst + b * c * hw);
}

void qx_q8_nhwc_to_nchw(const struct qx_q8_layout *l, const uint8_t *src, uint8_t *dst)
{
	int64_t n = l->dims[0], c = l->dims[1], hw = l->dims[2] * l->dims[3];
	for (int64_t b = 0; b < n; b++)
		transpose_u8(src + b * c * hw, hw, c, dst + b * c * hw);
}
