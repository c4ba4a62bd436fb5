/* Where an int8 activation's bytes go: NHWC for 4-D tensors (what vpdpbusd and sdot want),
 * row-major for every other rank. Float activations stay NCHW, as in ONNX. */
#ifndef QX_EXEC_Q8_LAYOUT_H
#define QX_EXEC_Q8_LAYOUT_H

#include <stdint.h>

#include "model/graph.h"

struct qx_q8_layout {
	int ndim;
	int64_t dims[QX_MAX_DIMS];  /* logical (ONNX) shape */
	int64_t phys[QX_MAX_DIMS];  /* shape in memory order: N, H, W, C when nhwc */
	int64_t numel;
	int nhwc;                   /* 4-D: stored channels-last */
};

void qx_q8_layout_init(struct qx_q8_layout *l, const struct qx_tensor *t);

/* Whether NHWC and NCHW orders differ for this shape (both C > 1 and H * W > 1). */
int qx_q8_layout_needs_transpose(const struct qx_q8_layout *l);

/* The memory-order axis of logical axis (negative counts from the end). */
int qx_q8_layout_physical_axis(const struct qx_q8_layout *l, int axis);

void qx_q8_nchw_to_nhwc(const struct qx_q8_layout *l, const uint8_t *src, uint8_t *dst);
void qx_q8_nhwc_to_nchw(const struct qx_q8_layout *l, const uint8_t *src, uint8_t *dst);

#endif
