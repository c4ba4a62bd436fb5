/* onnx-qdq: mapping a QDQ model's QuantizeLinear / DequantizeLinear qparams onto the float
 * graph the host gives the plugin (struct qx_graph_view), as a quantization plan. What cannot
 * be mapped is never dropped silently: each such node or tensor gets a note (logged by the
 * plugin), and the node stays float. docs/export.md, "Import", lists the rules. */
#ifndef QDQ_MAP_H
#define QDQ_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "qx/plan.h"
#include "qdq_model.h"

struct qdq_note {
	int32_t level;                  /* enum qx_log_level */
	char text[480];
};

struct qdq_map {
	/* The plan (memory owned here). */
	int32_t n_tensors;
	struct qx_plan_tensor *tensors; /* scales and zero points: one allocation each */
	int32_t n_ops;
	struct qx_plan_op *ops;
	int32_t *node_modes;            /* view->n_nodes */
	/* What happened, for the log: in order, at most QDQ_MAX_NOTES, then a count. */
	int32_t n_notes, n_notes_dropped;
	struct qdq_note *notes;
	int32_t n_static, n_quantize, n_mapped_quantize;
};

#define QDQ_MAX_NOTES 256

/* Builds the plan. 0 on success (possibly with notes); -1 with msg (one line) when the model
 * cannot be mapped at all: no Q/DQ nodes, none of its quantized tensors in the float graph, no
 * node it quantizes that the float graph can run in int8. */
int qdq_map_build(const struct qdq_model *m, const struct qx_graph_view *view,
                  struct qdq_map *out, char *msg, size_t msg_size);
void qdq_map_free(struct qdq_map *map);

#endif
