/* The x86 depthwise convolution (channel multiplier 1), written once and compiled by each SIMD
 * set as part of q8_conv_template.h (which includes it), with the same operations, among them:
 *   q8v_loadu8_i32(p)   load Q8_LANES bytes at p, zero-extended to int32 lanes
 *
 * Per output pixel: the kh * kw tap addresses (the input pixel, or the in_zp row for a padded
 * tap), then per block of up to Q8_NB_MAX vectors of channels one q8v_dot per tap and vector on
 * zero-extended inputs and sign-extended int32 weights (vpdpbusd on (x,0,0,0) . (w,s,s,s) and
 * vpmaddwd on (x,0) . (w,s) both give exactly x * w per lane), then the same requantization as
 * the convolution tiles. The bias starts the sum already folded (bias - in_zp * sum w), so
 * padded taps reading in_zp contribute exactly 0, as in scalar. */

/* One block of nb vectors of channels at c0 for one pixel (tap t reads src[t] + at); count
 * channels are stored. */
Q8_INLINE void Q8_FN(dw_block)(const struct qx_q8_dw *p, const uint8_t *const *src, int64_t at,
                                int taps, int64_t c0, uint8_t *y, int64_t count, const int nb)
{
	const int32_t *w = (const int32_t *)p->w + c0;
	const int64_t cpad = p->cpad;
	q8_vec a0 = q8v_loadi(p->bias + c0), a1 = a0, a2 = a0, a3 = a0;
	if (1 < nb) a1 = q8v_loadi(p->bias + c0 + 1 * Q8_LANES);
	if (2 < nb) a2 = q8v_loadi(p->bias + c0 + 2 * Q8_LANES);
	if (3 < nb) a3 = q8v_loadi(p->bias + c0 + 3 * Q8_LANES);
	for (int t = 0; t < taps; t++, w += cpad) {
		const uint8_t *s = src[t] + at;
		a0 = q8v_dot(a0, q8v_loadu8_i32(s), q8v_loadi(w));
		if (1 < nb) a1 = q8v_dot(a1, q8v_loadu8_i32(s + 1 * Q8_LANES), q8v_loadi(w + 1 * Q8_LANES));
		if (2 < nb) a2 = q8v_dot(a2, q8v_loadu8_i32(s + 2 * Q8_LANES), q8v_loadi(w + 2 * Q8_LANES));
		if (3 < nb) a3 = q8v_dot(a3, q8v_loadu8_i32(s + 3 * Q8_LANES), q8v_loadi(w + 3 * Q8_LANES));
	}
	const struct qx_q8_conv_desc *d = &p->d;
	q8_vec zp = q8v_set1i(d->out_zp);
	q8_vecf lo = q8v_set1f((float)(d->out_min - d->out_zp));
	q8_vecf hi = q8v_set1f((float)(d->out_max - d->out_zp));
	q8_vec r0 = zp, r1 = zp, r2 = zp, r3 = zp;
#define Q8_DW_REQ(j)                                                                           \
	if ((j) < nb) {                                                                        \
		q8_vecf t = q8v_mulf(q8v_cvtf(a##j), q8v_loadf_part(p->mult + c0 + (j) * Q8_LANES,    \
		                                              Q8_LANES));                      \
		r##j = q8v_addi(q8v_cvti(q8v_minf(q8v_maxf(t, lo), hi)), zp);                          \
	}
	Q8_DW_REQ(0) Q8_DW_REQ(1) Q8_DW_REQ(2) Q8_DW_REQ(3)
#undef Q8_DW_REQ
	q8v_store_row_u8(y, r0, r1, r2, r3, nb, count);
}

static void Q8_FN(dw_run)(const struct qx_q8_dw *p, const uint8_t *x, uint8_t *y,
                           int64_t begin, int64_t end)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const int64_t c = d->c, width = (int64_t)Q8_NB_MAX * Q8_LANES;
	const int taps = d->kh * d->kw;
	const uint8_t *x_end = x + d->n * d->h * d->w * c;
	const uint8_t *src[QX_Q8_DW_TAPS_MAX], *tail_src[QX_Q8_DW_TAPS_MAX];
	_Alignas(64) uint8_t tail[QX_Q8_DW_TAPS_MAX][Q8_NB_MAX * Q8_LANES];
	const int64_t full = c / width * width, rest = c - full;
	const int tail_nb = (int)((rest + Q8_LANES - 1) / Q8_LANES);
	if (rest)
		memset(tail, 0, sizeof tail); /* lanes past c: defined, and never stored */
	struct qx_q8_dw_cursor cur = qx_q8_dw_cursor_at(d, begin);
	for (int64_t pix = begin; pix < end; pix++) {
		qx_q8_dw_taps(p, x, &cur, src);
		uint8_t *out = y + pix * c;
		for (int64_t c0 = 0; c0 < full; c0 += width)
			Q8_FN(dw_block)(p, src, c0, taps, c0, out + c0, width, Q8_NB_MAX);
		if (!rest)
			continue;
		qx_q8_dw_tail(p, src, full, tail_nb * Q8_LANES, x_end, &tail[0][0], tail_src);
		if (tail_nb == 1)
			Q8_FN(dw_block)(p, tail_src, 0, taps, full, out + full, rest, 1);
		else if (tail_nb == 2 || Q8_NB_MAX == 2)
			Q8_FN(dw_block)(p, tail_src, 0, taps, full, out + full, rest, 2);
		else if (tail_nb == 3)
			Q8_FN(dw_block)(p, tail_src, 0, taps, full, out + full, rest, 3);
		else
			Q8_FN(dw_block)(p, tail_src, 0, taps, full, out + full, rest, 4);
	}
}
