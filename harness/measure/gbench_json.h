/* gbench.json, the run's file in Google Benchmark's own JSON layout (docs/measurement.md):
 * Google Benchmark's "context" and, per configuration, its rounds as the repetitions of one
 * benchmark with the mean/median/stddev/cv aggregates, times in ns, so that Google Benchmark's
 * compare.py reads two runs' files as its own output. */
#ifndef QX_MEASURE_GBENCH_JSON_H
#define QX_MEASURE_GBENCH_JSON_H

#include <jansson.h>

#include "measure/gbench_shim.h"

/* An empty gbench.json: {"benchmarks": []}, a new reference. */
json_t *qx_gbench_json_new(void);

/* Copies the "context" of the Google Benchmark JSON file part into combined when combined has
 * none yet, then removes part. A part that cannot be read is removed and ignored. */
void qx_gbench_json_keep_context(json_t *combined, const char *part);

/* Appends to combined["benchmarks"] one configuration named name: one "iteration" entry per
 * repetition of a (the rounds merged), then its four aggregates. family_index is the number
 * of configurations already in combined. Nothing is added when a has no repetitions. */
void qx_gbench_json_add(json_t *combined, const struct qx_gbench_result *a, const char *name);

#endif
