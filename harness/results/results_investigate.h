/* results.json's keys from the investigations (investigate/): a row's "layers" (per-layer
 * error), "sensitivity" and a fallback row's "fallback" (docs/results-format.md). */
#ifndef QX_RESULTS_INVESTIGATE_H
#define QX_RESULTS_INVESTIGATE_H

#include <stdint.h>

#include <jansson.h>

#include "investigate/fallback.h"
#include "investigate/layer_error.h"
#include "investigate/sensitivity.h"
#include "model/graph.h"

/* The "layers" object of a report measured on kernels, a new reference (NULL: out of memory). */
json_t *qx_results_layers_json(const struct qx_layer_report *r, const char *kernels);

/* Sets entry's "layers"; QX_ENOMEM. */
int qx_results_layers(json_t *entry, const struct qx_layer_report *r, const char *kernels,
                      struct qx_error *err);

/* Sets entry's "sensitivity": s, its nodes named from g. */
void qx_results_sensitivity(json_t *entry, const struct qx_sensitivity *s,
                            const struct qx_graph *g);

/* Sets a fallback row's "fallback": the choice c under budget max_drop, the row it came from,
 * the nodes kept in float (node_float, g->n_nodes bytes) and the sensitivity pass's images
 * (0: none was needed). */
void qx_results_fallback(json_t *entry, const struct qx_fallback_choice *c, double max_drop,
                         const char *from, const struct qx_graph *g, const uint8_t *node_float,
                         int64_t sensitivity_images);

#endif
