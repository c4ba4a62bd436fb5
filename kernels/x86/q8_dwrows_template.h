/* The row form of a depthwise convolution (struct qx_q8_dw_rows, q8_common.h says
 * why it works), written once for the vpdpbusd sets and compiled by each as part of
 * q8_conv_template.h, with the set's operations plus:
 *   q8v_join_phases(r0, r1, r2, r3)   bytes 4 i + j = lane i of r<j> (each in [0, 255])
 *   q8v_store_bytes(dst, v, lo, hi)   stores bytes [lo, hi) of v at dst + lo
 *
 * Per output row: the kh input rows it reads, padded with in_zp (a small cache of padded rows
 * keyed by image and row, so each input row is copied about once per call); then per block of
 * blk bytes of the output row, 4 accumulators start at the bias, take 4 dots per tap on one
 * load of input bytes, are requantized as everywhere else (cvtdq2ps, mulps, maxps, minps,
 * cvtps2dq, + zp) and stored. The sums are exact, so the bytes equal scalar's. */

/* Padded input rows cached per call: 2 kh + 1 slots, each refilled with a row the current
 * output rows (one or two) do not use, so there is always one to give. */
struct Q8_FN(dwr_cache) {
	uint8_t *rows;                           /* slots rows of row_bytes */
	int slots, next;                         /* next: where the search for a slot to refill starts */
	int64_t tag[2 * QX_Q8_DW_ROWS_KH_MAX + 1];   /* img * h + iy held by the slot, -1: none */
	int64_t used[2 * QX_Q8_DW_ROWS_KH_MAX + 1];  /* the last output row that read the slot */
	int64_t out_row;                         /* the (first) output row being computed */
};

/* The padded input row iy of image img: in_zp left and right of the c * w bytes, in_zp past. */
static const uint8_t *Q8_FN(dwr_row)(const struct qx_q8_dw_rows *p, struct Q8_FN(dwr_cache) *k,
                                     const uint8_t *x, int64_t img, int64_t iy)
{
	const struct qx_q8_conv_desc *d = &p->d;
	if (iy < 0 || iy >= d->h)
		return p->zp_row;
	int64_t tag = img * d->h + iy;
	for (int s = 0; s < k->slots; s++)
		if (k->tag[s] == tag) {
			k->used[s] = k->out_row;
			return k->rows + s * p->row_bytes;
		}
	int s = k->next;
	while (k->used[s] == k->out_row)
		s = (s + 1) % k->slots;
	k->next = (s + 1) % k->slots;
	uint8_t *row = k->rows + s * p->row_bytes;
	int64_t left = d->pl * d->c, body = d->w * d->c;
	if (d->sw == 1) {
		memset(row, d->in_zp, (size_t)left);
		memcpy(row + left, x + tag * body, (size_t)body);
		memset(row + left + body, d->in_zp, (size_t)(p->row_bytes - left - body));
	} else { /* padded pixel pc goes to half pc % 2, at pc / 2 */
		memset(row, d->in_zp, (size_t)p->row_bytes);
		const uint8_t *src = x + tag * body;
		for (int64_t ix = 0; ix < d->w; ix++) {
			int64_t pc = ix + d->pl;
			memcpy(row + (pc & 1) * p->half + (pc >> 1) * d->c, src + ix * d->c, (size_t)d->c);
		}
	}
	k->tag[s] = tag;
	k->used[s] = k->out_row;
	return row;
}

/* Output bytes [q_lo, q_hi) of nrows (1 or 2) output rows at out and out + out_step; rows[r]
 * [ky]: the padded input row tap row ky of output row r reads; kx_off[kx]: where tap column kx
 * reads in it, from the output byte. Two rows share each weight load
 * and give 8 independent accumulator chains, enough to hide vpdpbusd's latency. */
Q8_INLINE void Q8_FN(dwr_row_run)(const struct qx_q8_dw_rows *p,
                                  const uint8_t *const (*rows)[QX_Q8_DW_ROWS_KH_MAX],
                                  const int64_t *kx_off, uint8_t *out, int64_t out_step,
                                  int64_t q_lo, int64_t q_hi, const int nrows)
{
	const struct qx_q8_conv_desc *d = &p->d;
	const int64_t blk = p->blk, period = p->period;
	const int kh = d->kh, kw = d->kw;
	const q8_vec zp = q8v_set1i(d->out_zp);
	const q8_vecf lo = q8v_set1f((float)(d->out_min - d->out_zp));
	const q8_vecf hi = q8v_set1f((float)(d->out_max - d->out_zp));
	for (int64_t q0 = q_lo / blk * blk; q0 < q_hi; q0 += blk) {
		const int64_t po = q0 % period;
		const int32_t *bias = p->bias + po;
		q8_vec a0 = q8v_loadi(bias), a1 = q8v_loadi(bias + 1 * Q8_LANES);
		q8_vec a2 = q8v_loadi(bias + 2 * Q8_LANES), a3 = q8v_loadi(bias + 3 * Q8_LANES);
		q8_vec b0 = a0, b1 = a1, b2 = a2, b3 = a3;
		const int8_t *w = p->w + po * 4;
		for (int ky = 0; ky < kh; ky++) {
			const uint8_t *s = rows[0][ky] + q0;
			const uint8_t *t = rows[nrows - 1][ky] + q0;
			for (int kx = 0; kx < kw; kx++, w += period * 4) {
				const int64_t off = kx_off[kx];
				q8_vec w0 = q8v_loadw(w), w1 = q8v_loadw(w + blk);
				q8_vec w2 = q8v_loadw(w + 2 * blk), w3 = q8v_loadw(w + 3 * blk);
				q8_vec v = q8v_loadw(s + off);
				a0 = q8v_dot(a0, v, w0);
				a1 = q8v_dot(a1, v, w1);
				a2 = q8v_dot(a2, v, w2);
				a3 = q8v_dot(a3, v, w3);
				if (nrows == 2) {
					q8_vec u = q8v_loadw(t + off);
					b0 = q8v_dot(b0, u, w0);
					b1 = q8v_dot(b1, u, w1);
					b2 = q8v_dot(b2, u, w2);
					b3 = q8v_dot(b3, u, w3);
				}
			}
		}
		const float *m = p->mult + po;
		const q8_vecf m0 = q8v_loadf_part(m, Q8_LANES), m1 = q8v_loadf_part(m + Q8_LANES, Q8_LANES);
		const q8_vecf m2 = q8v_loadf_part(m + 2 * Q8_LANES, Q8_LANES);
		const q8_vecf m3 = q8v_loadf_part(m + 3 * Q8_LANES, Q8_LANES);
#define Q8_DWR_REQ(acc, mj)                                                                    \
	acc = q8v_addi(q8v_cvti(q8v_minf(q8v_maxf(q8v_mulf(q8v_cvtf(acc), mj), lo), hi)), zp);
		Q8_DWR_REQ(a0, m0) Q8_DWR_REQ(a1, m1) Q8_DWR_REQ(a2, m2) Q8_DWR_REQ(a3, m3)
		int64_t b_lo = q_lo > q0 ? q_lo - q0 : 0, b_hi = q_hi - q0 < blk ? q_hi - q0 : blk;
		q8v_store_bytes(out + q0, q8v_join_phases(a0, a1, a2, a3), b_lo, b_hi);
		if (nrows == 2) {
			Q8_DWR_REQ(b0, m0) Q8_DWR_REQ(b1, m1) Q8_DWR_REQ(b2, m2) Q8_DWR_REQ(b3, m3)
			q8v_store_bytes(out + out_step + q0, q8v_join_phases(b0, b1, b2, b3), b_lo, b_hi);
		}
#undef Q8_DWR_REQ
	}
}

/* Output pixels [begin, end) (numbered across the batch); returns -1 (nothing written) when
 * the row buffer cannot be allocated. */
static int Q8_FN(dw_rows_run)(const struct qx_q8_dw_rows *p, const uint8_t *x, uint8_t *y,
                              int64_t begin, int64_t end)
{
	const struct qx_q8_conv_desc *d = &p->d;
	struct Q8_FN(dwr_cache) k = { .slots = 2 * d->kh + 1, .next = 0 };
	_Alignas(64) uint8_t stack_rows[QX_Q8_STACK_BUF];
	size_t bytes = (size_t)(k.slots * p->row_bytes);
	k.rows = bytes <= sizeof stack_rows ? stack_rows : malloc(bytes);
	if (!k.rows)
		return -1;
	for (int s = 0; s < k.slots; s++)
		k.tag[s] = -1, k.used[s] = -1;
	const uint8_t *rows[2][QX_Q8_DW_ROWS_KH_MAX];
	int64_t kx_off[QX_Q8_DW_TAPS_MAX];
	for (int kx = 0; kx < d->kw; kx++) {
		int64_t pc = (int64_t)kx * d->dw; /* padded pixel of output pixel 0 (times sw) */
		kx_off[kx] = d->sw == 1 ? pc * d->c : (pc & 1) * p->half + (pc >> 1) * d->c;
	}
	const int64_t row_out = d->ow * d->c;
	for (int64_t pix = begin; pix < end;) {
		int64_t img = pix / (d->oh * d->ow), oy = pix / d->ow % d->oh, ox = pix % d->ow;
		int64_t n = d->ow - ox < end - pix ? d->ow - ox : end - pix;
		/* two whole rows of one image together where the range has them */
		int two = ox == 0 && oy + 1 < d->oh && end - pix >= 2 * d->ow;
		k.out_row = pix / d->ow;
		for (int r = 0; r <= two; r++)
			for (int ky = 0; ky < d->kh; ky++)
				rows[r][ky] = Q8_FN(dwr_row)(p, &k, x, img,
				                             (oy + r) * d->sh - d->pt + (int64_t)ky * d->dh);
		uint8_t *out = y + (pix - ox) * d->c;
		if (two)
			Q8_FN(dwr_row_run)(p, rows, kx_off, out, row_out, 0, row_out, 2);
		else
			Q8_FN(dwr_row_run)(p, rows, kx_off, out, 0, ox * d->c, (ox + n) * d->c, 1);
		pix += two ? 2 * d->ow : n;
	}
	if (k.rows != stack_rows)
		free(k.rows);
	return 0;
}
