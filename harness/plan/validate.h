/* Checks a plugin's quantization plan against the graph and what the int8 executor supports,
 * and turns it into the harness's dense, owned form. */
#ifndef QX_PLUGIN_VALIDATE_H
#define QX_PLUGIN_VALIDATE_H

#include <stdint.h>

#include "model/graph.h"
#include "plan/plan.h"
#include "qx/plan.h"
#include "util/error.h"

/* Validates plan (the plugin's, as decoded; not kept) for graph g. node_modes (g->n_nodes
 * values, or NULL) are the modes prepare() declared: the plan must match them. On success fills
 * *out (free with qx_quant_plan_free) and returns 0; on failure returns QX_EPLUGIN with one line
 * in err naming the entry, tensor or node, e.g.
 *     tensor 'conv1.weight' (entry 2): scale[3] is nan (expected a finite value > 0)
 * and leaves *out empty. */
int qx_plan_validate(const struct qx_graph *g, const struct qx_plan *plan,
                     const int32_t *node_modes, struct qx_quant_plan *out, struct qx_error *err);

/* "uint8", "int8", "int32", "float", or "?" for a value outside enum qx_plan_dtype. */
const char *qx_plan_dtype_name(int dtype);
/* "float", "static", "dynamic", or "?". */
const char *qx_op_mode_name(int mode);

#endif
