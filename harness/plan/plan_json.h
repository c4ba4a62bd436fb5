/* The plan as JSON: the child's reply over the pipe (the plugin's raw plan, not yet validated,
 * so it may hold NaN, out-of-range indices and the like) and plan.json (a validated plan). */
#ifndef QX_PLUGIN_PLAN_JSON_H
#define QX_PLUGIN_PLAN_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "qx/plan.h"
#include "util/error.h"

/* A decoded reply: the raw plan with owned arrays, prepare's node modes, calibration stats. */
struct qx_plan_buf {
	struct qx_plan plan;            /* points into the arrays below */
	struct qx_plan_tensor *tensors;
	struct qx_plan_op *ops;
	float *scales;                  /* every entry's scales back to back */
	int32_t *zero_points;
	struct qx_plan_tensor_ext *exts;        /* ABI minor 3 */
	float *group_scales;            /* every ext's group scales back to back */
	int32_t *codes;                 /* every ext's codes back to back */
	int32_t *node_modes;            /* n_node_modes values from prepare(), or NULL */
	int n_node_modes;
	int64_t calib_images;
	int calib_batches;
	double calibrate_s;
};

/* Encodes a reply into *json (malloc'ed, NUL-terminated, *len bytes without the NUL). Floats
 * that JSON cannot hold (NaN, infinities) are written as the strings "nan", "inf", "-inf" so
 * validation can name them. Reads n_channels values from each entry's arrays: the caller has
 * checked the pointers and counts (qx_plan_check_shape). */
int qx_plan_json_encode(const struct qx_plan *plan, const int32_t *node_modes, int n_nodes,
                        int64_t calib_images, int calib_batches, double calibrate_s,
                        char **json, size_t *len, struct qx_error *err);

/* Decodes a reply; every field is required and type-checked. Errors say
 * "plugin reply: <what> (expected <what>)". Free *out with qx_plan_buf_free (also on error). */
int qx_plan_json_decode(const char *json, size_t len, struct qx_plan_buf *out,
                        struct qx_error *err);
void qx_plan_buf_free(struct qx_plan_buf *b);

/* Checks what the child must know before it may read the plugin's plan memory: counts >= 0,
 * non-NULL arrays, 1 <= n_channels <= max_channels; for each tensor_ext, 0 <= counts <=
 * max_values with an array for each non-zero count. Messages say "invalid plan: ...". */
int qx_plan_check_shape(const struct qx_plan *plan, int64_t max_channels, int64_t max_values,
                        struct qx_error *err);

#endif
