/* results.json's latency keys: the measurement objects of fp32.measurements[] and
 * plugins[i].measurements[] (measure/latency.h describes one), from the records the latency
 * phase makes (measure/latency.h, measure/measure_run.h). */
#ifndef QX_RESULTS_LATENCY_H
#define QX_RESULTS_LATENCY_H

#include <jansson.h>

#include "measure/latency.h"
#include "measure/measure_run.h"
#include "util/error.h"

/* {"threads": n, "pinned": true|false, "policy": "one thread per core, caller is thread 0",
 *  "pus": [os index per thread]} (pus omitted when unpinned): a measurement's "pool", a new
 * reference. */
json_t *qx_results_pool_json(const struct qx_pool *pool);

/* The measurement object of one record, a new reference (NULL: out of memory). */
json_t *qx_results_latency_object(const struct qx_latency_record *rec);

/* The measurement object of a Google Benchmark result: qx_latency_summarize, then
 * qx_results_latency_object. Errors are qx_latency_summarize's. */
int qx_results_latency_json(const struct qx_latency_spec *spec, const struct qx_gbench_result *res,
                            json_t **out, struct qx_error *err);

/* Appends one measurement of the latency phase to the "measurements" array of entry (the
 * "fp32" object or a plugins[] entry): the record's object with images_per_s, speedup_vs_fp32
 * and test_slowed, or {"kernels", "threads", "batch", "error"} for one that could not run. */
int qx_results_add_measurement(json_t *entry, const struct qx_measurement *m,
                               struct qx_error *err);

/* A plugins[] entry whose plan is another's gets that one's measurements, copied. */
int qx_results_copy_measurements(json_t *to, const json_t *from, struct qx_error *err);

#endif
