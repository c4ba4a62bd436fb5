/* plan.json, schema "qx-plan/1" (docs/plugin-abi.md, "plan.json"): the one owner of the format.
 * The run writes each plugin's validated plan with it; `qx-bench export` reads it back. */
#ifndef QX_PLAN_PLAN_FILE_H
#define QX_PLAN_PLAN_FILE_H

#include <stdint.h>

#include "model/graph.h"
#include "plan/plan.h"
#include "util/error.h"

/* Where a plan came from: the plugin's metadata and its calibration, as plan.json records it.
 * Strings may be NULL (written as null). */
struct qx_plan_origin {
	const char *label, *path, *name, *version, *license, *description;
	unsigned abi_major, abi_minor;
	int64_t calib_images;
	int calib_batches;
	double calibrate_s;
};

/* Writes plan.json: the origin, every node's mode by node name, every quantized tensor with its
 * name, producing node and qparams (ABI minor 3: bits, group scales, the plugin's codes), and
 * "simulated" (why no kernel runs it, or null). Overwrites path. */
int qx_plan_file_write(const struct qx_plan_origin *o, const struct qx_graph *g,
                       const struct qx_quant_plan *plan, const char *path, struct qx_error *err);

/* Reads plan.json back for graph g and validates it as a plugin's plan (plan/validate.h).
 * Errors name the file and the entry, e.g. "PATH: tensors[3]: 'x' is not a tensor of MODEL
 * (a plan for another model?) (expected a qx-plan/1 plan.json, docs/plugin-abi.md)". Free *out
 * with qx_quant_plan_free. */
int qx_plan_file_read(const char *path, const struct qx_graph *g, struct qx_quant_plan *out,
                      struct qx_error *err);

#endif
