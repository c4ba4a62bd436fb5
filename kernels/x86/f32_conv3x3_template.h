/* The "same" 3-wide convolution path of f32_conv_template.h (which includes this file after its
 * strip helpers): stride 1, groups 1, kernel width 3, horizontal dilation 1, one column of zero
 * padding each side (so ow == w), more than one input channel, and an image's padded input in
 * the row-copy buffer. Only where masked loads cost no more than plain ones and never fault on
 * the lanes they leave out (AVX-512).
 *
 * The row-copy path copies each input row three times, shifted by one column each way and with
 * the edge column zeroed, so that every kernel tap reads its pixels at one offset with plain
 * loads. Measured on the default model's layers (f32_bench, skipping the fills), those copies
 * cost 5-8% of the layer. Here each channel is copied once, as it lies in x (its rows are
 * contiguous: one memcpy per channel, with zero rows above and below for the vertical padding),
 * and tap (ic, ky, kx) of output pixel j (numbered row-major over the image) reads the copy at
 * ic * plane + ky * dh * w + kx - 1 + j. For kx = 0 the lanes of output column 0 read the end
 * of the row above, for kx = 2 the lanes of column w - 1 the start of the row below: the micro-
 * tile loads those two kernel columns through lane masks that zero exactly those lanes (six
 * masks for three vectors, made once per strip, which fit the mask registers). A zeroed lane
 * adds w * 0 as the row-copy path's zero column does, so the results are the row-copy path's
 * bits.
 *
 * An image whose channels do not fit the buffer is taken in bands of rows (super-strips of
 * whole strips, as the row-copy path's), each channel's band one contiguous copy: at 56x56 x 64
 * channels a band holds 11 input rows for 8 output rows, where the row-copy path's three
 * copies per row leave room for 4 input rows, so 2 halo rows per output row; at 14x14 x 256 the
 * row-copy path does not fit one strip at all (im2col). */
#if F32_VL == 16 && F32_MASKED_LOAD_ANYWHERE
#define F32_SAME3 1
#else
#define F32_SAME3 0
#endif

#define F32_SAME3_LEAD F32_VL /* floats before the first plane: kx = 0 of pixel 0 reads one */
#define F32_SAME3_GEMV_KC 512 /* k per chunk of a tail strip's gathered taps (16 KiB) */

/* Sets p->same3 (and its offsets, band height s3_rin and super-strip ss_pix) when the
 * convolution fits the path. Returns -1 when out of memory. */
static int same3_plan(struct conv_packed *p)
{
	const struct qx_f32_conv_desc *d = &p->d;
	p->same3 = 0;
	if (!F32_SAME3 || d->groups != 1 || d->sh != 1 || d->sw != 1 || d->kw != 3 || d->dw != 1 ||
	    d->pl != 1 || d->pr != 1 || d->ow != d->w || d->c < 2 || d->kh < 1 || d->oh < 1 ||
	    d->w < 1)
		return 0;
	/* the row-copy path's lane rule: pixels never span images, so at least 7 of 8 lanes busy
	 * over an image (a tail that conv_strip_gemv takes costs little) */
	int64_t tail = p->ohw % F32_SW;
	if (tail <= F32_GEMV_MAX)
		tail = 0;
	if (p->ohw * 8 < (p->ohw - tail + (tail + F32_VL - 1) / F32_VL * F32_VL) * 7)
		return 0;
	int64_t ext = (int64_t)(d->kh - 1) * d->dh + 1, rows = d->pt + d->h + d->pb;
	int64_t rin = (F32_ROWS_BUF - F32_SAME3_LEAD - F32_ROWS_SLACK) / (d->c * d->w);
	if (rin >= rows) {
		rin = rows; /* a whole image per fill */
		p->ss_pix = p->ohw;
	} else {
		/* a run of L pixels starting anywhere in a row spans at most rin - ext + 1 output
		 * rows when L <= (rin - ext) * w + 1 */
		int64_t lmax = rin < ext ? 0 : (rin - ext) * d->w + 1;
		if (p->ohw <= lmax)
			p->ss_pix = p->ohw;
		else if (lmax >= F32_SW)
			p->ss_pix = lmax / F32_SW * F32_SW;
		else
			return 0;
	}
	int64_t plane = rin * d->w;
	p->s3_goff = calloc((size_t)p->k, sizeof *p->s3_goff);
	if (!p->s3_goff)
		return -1;
	for (int64_t k = 0; k < p->k; k++) {
		int64_t ic = k / (3 * d->kh), ky = k % (3 * d->kh) / 3, kx = k % 3;
		p->roff[k] = (int32_t)(ic * plane + ky * d->dh * d->w + kx - 1);
		p->s3_goff[k] = (int32_t)(k % F32_SAME3_GEMV_KC * F32_GEMV_MAX);
	}
	p->s3_plane = plane;
	p->s3_rin = rin;
#if F32_SAME3
	/* the lane masks of a strip depend only on its first pixel's column: made here once, not
	 * lane by lane per strip and panel row (about 0.5% of the default model's time) */
	p->s3_masks = malloc((size_t)d->w * 2 * F32_RV * sizeof *p->s3_masks);
	if (!p->s3_masks)
		return -1;
	for (int64_t c0 = 0; c0 < d->w; c0++) {
		int64_t col = c0;
		for (int r = 0; r < F32_RV; r++) {
			unsigned left = 0, right = 0;
			for (int l = 0; l < F32_VL; l++) {
				left |= (unsigned)(col != 0) << l;
				right |= (unsigned)(col != d->w - 1) << l;
				if (++col == d->w)
					col = 0;
			}
			p->s3_masks[(c0 * 2 + 0) * F32_RV + r] = (f32mask)left;
			p->s3_masks[(c0 * 2 + 1) * F32_RV + r] = (f32mask)right;
		}
	}
#endif
	p->same3 = 1;
	return 0;
}

#if F32_SAME3
/* f32_tile_r of the row-copy path for this layout: k runs in threes (kernel columns 0, 1, 2 of
 * one row of one channel); columns 0 and 2 are loaded through m[0][r] and m[1][r]. */
F32_INLINE void f32_tile3_r(const int R, int64_t kc, const float *restrict a,
                            const float *restrict b, const int32_t *restrict boff,
                            const f32mask m[2][F32_RV], const struct f32_tile_io *io)
{
	f32v acc[F32_MR][F32_RV];
#pragma GCC unroll 16
	for (int mm = 0; mm < F32_MR; mm++)
#pragma GCC unroll 8
		for (int r = 0; r < R; r++) {
			f32v v = f32v_zero();
			if (io->first)
				v = f32v_set1(io->rowbias[mm]);
			else if (!io->y)
				v = f32v_loadu(io->tile + mm * F32_SW + r * F32_VL);
			else if (mm >= io->mlo && mm < io->mhi)
				v = f32v_loadu(io->y + mm * io->ldy + r * F32_VL);
			acc[mm][r] = v;
		}
	const int pf_out = F32_TILE_PREFETCH && io->y && kc >= 64;
	for (int64_t k0 = 0; k0 < kc; k0 += 3) {
#pragma GCC unroll 3
		for (int kx = 0; kx < 3; kx++) {
			int64_t k = k0 + kx;
			if (F32_TILE_PREFETCH && k < io->npf)
				__builtin_prefetch(io->pf + 64 * k, 0, 1);
			if (pf_out && k < F32_MR * R) {
				int mm = (int)k / R, r = (int)k % R;
				if (mm >= io->mlo && mm < io->mhi)
					__builtin_prefetch(io->y + mm * io->ldy + r * F32_VL, 1, 3);
			}
			const float *ak = a + k * F32_MR, *bk = b + boff[k];
			f32v bv[F32_RV];
#pragma GCC unroll 8
			for (int r = 0; r < R; r++)
				bv[r] = kx == 1 ? f32v_loadu(bk + r * F32_VL)
				                : f32v_load_mask(bk, r * F32_VL, m[kx / 2][r]);
#pragma GCC unroll 16
			for (int mm = 0; mm < F32_MR; mm++) {
				f32v av = f32v_set1(ak[mm]);
#pragma GCC unroll 8
				for (int r = 0; r < R; r++)
					acc[mm][r] = f32v_fmadd(av, bv[r], acc[mm][r]);
			}
		}
	}
	f32v lo = f32v_set1(io->act_min), hi = f32v_set1(io->act_max);
#pragma GCC unroll 16
	for (int mm = 0; mm < F32_MR; mm++)
#pragma GCC unroll 8
		for (int r = 0; r < R; r++) {
			f32v v = io->last ? f32v_clamp(acc[mm][r], lo, hi) : acc[mm][r];
			if (!io->y)
				f32v_storeu(io->tile + mm * F32_SW + r * F32_VL, v);
			else if (mm >= io->mlo && mm < io->mhi)
				f32v_storeu(io->y + mm * io->ldy + r * F32_VL, v);
		}
}

static __attribute__((noinline)) void f32_tile3(int R, int64_t kc, const float *a,
                                                const float *b, const int32_t *boff,
                                                const f32mask m[2][F32_RV],
                                                const struct f32_tile_io *io)
{
	switch (R) {
	case 1:
		f32_tile3_r(1, kc, a, b, boff, m, io);
		break;
	case 2:
		f32_tile3_r(2, kc, a, b, boff, m, io);
		break;
	case 3:
		f32_tile3_r(3, kc, a, b, boff, m, io);
		break;
	default:
		break;
	}
}

/* Copies padded rows [r0, r0 + nr) (padded row r is input row r - pt) of image img's channels
 * into buf: channel ic's band at buf + F32_SAME3_LEAD + ic * s3_plane, zeros for the padding
 * rows; zeros before the first band and after the last, which lanes past the image's pixels
 * read. */
static void same3_fill(const struct conv_packed *p, const float *x, int64_t img, int64_t r0,
                       int64_t nr, float *buf)
{
	const struct qx_f32_conv_desc *d = &p->d;
	const int64_t w = d->w;
	int64_t za = d->pt - r0, zb = d->pt + d->h - r0; /* band rows [za, zb) are the input's */
	za = za < 0 ? 0 : za > nr ? nr : za;
	zb = zb < za ? za : zb > nr ? nr : zb;
	memset(buf, 0, F32_SAME3_LEAD * sizeof *buf);
	float *dst = buf + F32_SAME3_LEAD;
	const float *src = x + img * d->c * p->hw + (r0 + za - d->pt) * w;
	for (int64_t ic = 0; ic < d->c; ic++, dst += p->s3_plane, src += p->hw) {
		memset(dst, 0, (size_t)(za * w) * sizeof *dst);
		memcpy(dst + za * w, src, (size_t)((zb - za) * w) * sizeof *dst);
		memset(dst + zb * w, 0, (size_t)((nr - zb) * w) * sizeof *dst);
	}
	memset(buf + F32_SAME3_LEAD + d->c * p->s3_plane, 0, F32_ROWS_SLACK * sizeof *buf);
}

/* Strip pixels [j, j + np) of one image: m[0][r] the lanes of vector r not in column 0 (kernel
 * column 0 reads column - 1), m[1][r] those not in column w - 1; from same3_plan's table. */
static void same3_masks(const struct conv_packed *p, int64_t j, f32mask m[2][F32_RV])
{
	const f32mask *t = p->s3_masks + j % p->d.w * 2 * F32_RV;
	for (int r = 0; r < F32_RV; r++) {
		m[0][r] = t[r];
		m[1][r] = t[F32_RV + r];
	}
}

/* A strip of at most F32_GEMV_MAX pixels (49 = 48 + 1 at 7x7): conv_strip_gemv over the taps
 * gathered, with the edge columns zeroed, into a small buffer of F32_GEMV_MAX floats per k (in
 * chunks of F32_SAME3_GEMV_KC k, partial sums through y as conv_strip_gemv does). The strip
 * starts at pixel j of its image, whose slot in the buffer is bj. */
static void same3_strip_gemv(const struct conv_packed *p, float *y, const struct conv_strip *st,
                             int64_t ca, int64_t cb, const float *bj, int64_t j)
{
	const int64_t w = p->d.w;
	float tcol[F32_SAME3_GEMV_KC * F32_GEMV_MAX];
	/* the lanes of pixels that kernel columns 0, 1 and 2 read (not column 0; all; not column
	 * w - 1), worked out once: a division per pixel and tap made this gather cost more than
	 * conv_strip_gemv's FMAs. A masked-off lane loads +0, as the tile's masks give. */
	f32mask keep[3] = { 0, 0, 0 };
	int64_t col = j % w;
	for (int q = 0; q < st->np; q++) {
		keep[0] |= (f32mask)((unsigned)(col != 0) << q);
		keep[1] |= (f32mask)(1u << q);
		keep[2] |= (f32mask)((unsigned)(col != w - 1) << q);
		if (++col == w)
			col = 0;
	}
	for (int64_t k0 = 0; k0 < p->k; k0 += F32_SAME3_GEMV_KC) {
		int64_t kc = p->k - k0 < F32_SAME3_GEMV_KC ? p->k - k0 : F32_SAME3_GEMV_KC;
		int kx = (int)(k0 % 3);
		for (int64_t kk = 0; kk < kc; kk++) {
			f32v v = f32v_load_mask(bj, p->roff[k0 + kk], keep[kx]);
			f32v_store_first(tcol + kk * F32_GEMV_MAX, v, F32_GEMV_MAX);
			if (++kx == 3)
				kx = 0;
		}
		conv_strip_gemv(p, y, st, 0, ca, cb, k0, kc, tcol, p->s3_goff);
	}
}

/* conv_strip_panels for this layout: output channels [ca, cb) over one strip at pixel j of
 * its image, whose slot in the buffer is bj. */
static void same3_strip_panels(const struct conv_packed *p, float *y, const struct conv_strip *st,
                               int64_t ca, int64_t cb, const float *bj, int64_t j, float *tile,
                               struct conv_prefetch *pf)
{
	const struct qx_f32_conv_desc *d = &p->d;
	if (st->np <= F32_GEMV_MAX) {
		same3_strip_gemv(p, y, st, ca, cb, bj, j);
		return;
	}
	f32mask m[2][F32_RV];
	same3_masks(p, j, m);
	for (int64_t blk = ca / F32_MR; blk * F32_MR < cb; blk++) {
		int64_t c0 = blk * F32_MR, mlo = ca - c0, mhi = cb - c0;
		struct f32_tile_io io = {
			.rowbias = p->bias + c0,
			.y = st->direct ? st->y0 + c0 * p->ohw : NULL,
			.ldy = p->ohw,
			.tile = tile,
			.first = 1,
			.last = 1,
			.mlo = mlo > 0 ? (int)mlo : 0,
			.mhi = mhi < F32_MR ? (int)mhi : F32_MR,
			.act_min = d->act_min,
			.act_max = d->act_max,
		};
		if (pf->left > 0) {
			io.pf = pf->next;
			io.npf = pf->slice < pf->left ? pf->slice : pf->left;
			if (io.npf > p->k)
				io.npf = p->k;
			pf->next += 64 * io.npf;
			pf->left -= io.npf;
		}
		f32_tile3(st->R, p->k, p->w + blk * p->k * F32_MR, bj, p->roff, m, &io);
		if (!st->direct)
			for (int mm = io.mlo; mm < io.mhi; mm++)
				f32_tile_row_out(y, (c0 + mm) * p->ohw, tile + mm * F32_SW, st->segs,
				                 st->nseg);
	}
}

/* conv_segment by this path: image by image, super-strips of ss_pix pixels, each one fill,
 * then strips of F32_SW pixels over every panel. Output channels [ca, cb) at pixels [qa, qb)
 * (numbered across the batch). */
static __attribute__((noinline)) void conv_segment_same3(const struct conv_packed *p,
                                                         const float *x, float *y, int64_t ca,
                                                         int64_t cb, int64_t qa, int64_t qb)
{
	const struct qx_f32_conv_desc *d = &p->d;
	_Alignas(64) float buf[F32_ROWS_BUF];
	_Alignas(64) float tile[F32_MR * F32_SW + F32_VL];
	const int64_t w = d->w, ext = (int64_t)(d->kh - 1) * d->dh + 1;
	struct conv_strip st;
	/* In bands, the lanes past a super-strip's last pixel may read band rows that this fill
	 * did not write: zeros, not stale stack. */
	if (p->s3_rin < d->pt + d->h + d->pb)
		memset(buf, 0, sizeof buf);
	struct conv_prefetch pf = { NULL, 0, 0 };
	for (int64_t q = qa; q < qb;) {
		int64_t img = q / p->ohw, pa = q % p->ohw;
		int64_t pb = qb - img * p->ohw < p->ohw ? qb - img * p->ohw : p->ohw;
		if ((img + 1) * p->ohw < qb) {
			/* the next image's input, into L2 while this one computes, a slice per
			 * micro-tile (as conv_segment_rowcopy) */
			int64_t lines = d->c * p->hw * (int64_t)sizeof(float) / 64;
			int64_t tiles = (pb - pa + F32_SW - 1) / F32_SW * ((cb - ca + F32_MR - 1) / F32_MR);
			pf.next = (const char *)(x + (img + 1) * d->c * p->hw);
			pf.left = lines;
			pf.slice = (lines + tiles - 1) / tiles + 1;
		}
		for (int64_t s0 = pa; s0 < pb; s0 += p->ss_pix) {
			int64_t s1 = s0 + p->ss_pix < pb ? s0 + p->ss_pix : pb;
			int64_t oy0 = s0 / w, oy1 = (s1 - 1) / w;
			/* output row oy reads padded rows oy .. oy + ext - 1 */
			same3_fill(p, x, img, oy0, oy1 - oy0 + ext, buf);
			for (int64_t j = s0; j < s1; j += F32_SW) {
				int64_t sn = s1 - j < F32_SW ? s1 - j : F32_SW;
				st.np = (int)sn;
				st.R = (int)((sn + F32_VL - 1) / F32_VL);
				st.direct = sn == st.R * F32_VL;
				st.y0 = y + img * d->oc * p->ohw + j;
				st.nseg = 0;
				if (!st.direct) {
					st.nseg = 1;
					st.segs[0] = (struct f32_seg){ 0, sn, img * d->oc * p->ohw + j };
				}
				same3_strip_panels(p, y, &st, ca, cb, buf + F32_SAME3_LEAD + (j - oy0 * w), j,
				                   tile, &pf);
			}
		}
		q = img * p->ohw + pb;
	}
}
#endif
