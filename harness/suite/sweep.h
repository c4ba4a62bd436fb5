/* Sweeps in a run: which configurations share a plan (measured once; results/results_entry.c
 * records each one's "sweep"). The suite loader expands the lists
 * (harness/suite/suite_plugins.c). */
#ifndef QX_SWEEP_H
#define QX_SWEEP_H

#include <stdbool.h>

#include "plan/plan.h"
#include "suite/suite.h"

/* Whether two plans quantize the same graph identically: every tensor's dtype, scheme, range,
 * scales (bit for bit) and zero points, and every node's mode, equal. This is the content of
 * plan.json apart from the plugin's metadata and calibration timing. */
bool qx_plan_same(const struct qx_quant_plan *a, const struct qx_quant_plan *b);

#endif
