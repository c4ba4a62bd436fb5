/* Sweeps in a run: what each expanded configuration records, and which configurations share a
 * plan (measured once). The suite loader expands the lists (harness/suite/suite_plugins.c). */
#ifndef QX_SWEEP_H
#define QX_SWEEP_H

#include <jansson.h>
#include <stdbool.h>

#include "plan/plan.h"
#include "suite/suite.h"

/* results.json's "sweep" of a swept entry: {"base": label, "values": {key: value}} with
 * integers, numbers and true/false as JSON numbers and booleans, other values as strings;
 * NULL for an entry that is not part of a sweep (or when out of memory). */
json_t *qx_sweep_json(const struct qx_suite_plugin *p);

/* Whether two plans quantize the same graph identically: every tensor's dtype, scheme, range,
 * scales (bit for bit) and zero points, and every node's mode, equal. This is the content of
 * plan.json apart from the plugin's metadata and calibration timing. */
bool qx_plan_same(const struct qx_quant_plan *a, const struct qx_quant_plan *b);

#endif
