/* NEON int8 convolution and dynamic Gemm entry points: pack once (the micro-kernel path is
 * chosen here, from the CPU), then run tiles of output pixels / rows. */
#include "q8_neon.h"
#include "q8_common.h"

#include <stdlib.h>

static enum qx_neon_path best_path(void)
{
	return qx_neon_has_dotprod() ? QX_NEON_PATH_SDOT : QX_NEON_PATH_MLAL;
}

int qx_q8_neon_conv_pack(const struct qx_q8_conv_desc *d, const int8_t *w_ohwi,
                         const int32_t *bias, const float *multiplier, void **packed)
{
	if (qx_q8_dw_applies(d)) {
		struct qx_neon_pack *p = calloc(1, sizeof *p);
		if (p)
			p->dw = qx_q8_dw_pack(d, w_ohwi, bias, multiplier, 2);
		if (!p || !p->dw) {
			free(p);
			return -1;
		}
		p->d = *d;
		*packed = p;
		return 0;
	}
	/* narrow groups: merged into NR-wide ones (q8_common.h) */
	struct qx_q8_conv_desc md;
	int8_t *merged_w = NULL;
	if (qx_q8_merge_groups(d, w_ohwi, QX_NEON_NR, &md, &merged_w) != 0)
		return -1;
	struct qx_neon_pack *p = qx_neon_pack_create(&md, merged_w ? merged_w : w_ohwi, bias,
	                                             multiplier, best_path());
	free(merged_w);
	if (!p)
		return -1;
	*packed = p;
	return 0;
}

void qx_q8_neon_conv(const void *packed, const uint8_t *x, uint8_t *y, int64_t pix_begin,
                     int64_t pix_end)
{
	const struct qx_neon_pack *p = packed;
	if (p->dw) {
		qx_neon_dw_run(p->dw, x, y, pix_begin, pix_end);
		return;
	}
	const struct qx_q8_conv_desc *d = &p->d;
	struct qx_neon_tile tmpl = {
		.y_u8 = y,
		.y_stride = d->oc,
		.lo = (float)(d->out_min - d->out_zp),
		.hi = (float)(d->out_max - d->out_zp),
		.out_zp = d->out_zp,
	};
	qx_neon_run_tiles(p, x, &tmpl, pix_begin, pix_end);
}

/* A Gemm is a 1x1 convolution over "images" of one pixel: x[m][k] is NHWC with h = w = 1. */
int qx_q8_neon_gemm_pack(const struct qx_q8_gemm_desc *gd, const int8_t *w_nk, void **packed)
{
	struct qx_q8_conv_desc d = {
		.n = 1, .h = 1, .w = 1, .c = gd->k, .oc = gd->n, .oh = 1, .ow = 1,
		.kh = 1, .kw = 1, .sh = 1, .sw = 1, .dh = 1, .dw = 1, .groups = 1,
		.in_zp = 0, .out_zp = 0, .out_min = 0, .out_max = 255,
	};
	struct qx_neon_pack *p = qx_neon_pack_create(&d, w_nk, NULL, NULL, best_path());
	if (!p)
		return -1;
	*packed = p;
	return 0;
}

void qx_q8_neon_gemm_f32out(const void *packed, const uint8_t *x, int32_t x_zp, const float *scale,
                            const float *bias, float *y, int64_t row_begin, int64_t row_end)
{
	const struct qx_neon_pack *p = packed;
	struct qx_neon_tile tmpl = {
		.y_f32 = y,
		.y_stride = p->d.oc,
		.zp_fix = (int32_t)(0u - (uint32_t)x_zp), /* the pack folded in_zp = 0 */
		.scale = scale,
		.bias_f32 = bias,
	};
	qx_neon_run_tiles(p, x, &tmpl, row_begin, row_end);
}

void qx_q8_neon_pack_free(void *packed)
{
	if (packed)
		qx_q8_dw_free(((struct qx_neon_pack *)packed)->dw);
	free(packed);
}
