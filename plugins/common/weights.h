/* Weight qparams as PyTorch's weight observers compute them: int8 symmetric over -128..127,
 * per tensor (default_weight_observer: MinMaxObserver qint8 per_tensor_symmetric, scale =
 * max|w| / 127.5) or per output channel (default_per_channel_weight_observer:
 * PerChannelMinMaxObserver qint8 per_channel_symmetric, ch_axis = the node's weight_axis).
 *
 * Private to plugins/: declared here, defined in the .c file of the same name, built into
 * build/plugins/libqxcommon.a (linked into each plugin). */
#ifndef QX_PLUGINS_WEIGHTS_H
#define QX_PLUGINS_WEIGHTS_H

#include <stdint.h>
#include <stdlib.h>

#include "qx/graph.h"
#include "qx/plan.h"
#include "qx/plugin.h"
#include "qx/qparams.h"

/* The qparams of one weight tensor. */
struct qxp_weight {
	int32_t tensor;                 /* index into view->tensors */
	int32_t node;                   /* the first node that uses it (named in messages) */
	int32_t axis;                   /* -1 per tensor, else the output-channel axis */
	int32_t n_channels;
	float *scales;                  /* n_channels, owned */
	int32_t *zero_points;           /* n_channels, owned */
};

void qxp_weight_free(struct qxp_weight *w);

/* Computes the qparams of node's weight (view->nodes[node].weight), per channel along the
 * node's weight_axis or per tensor. Returns QX_STATUS_OK, or an error status after
 * host->error(). */
int qxp_weight_qparams(const struct qx_host *host, const struct qx_graph_view *view,
                       int32_t node, int per_channel, struct qxp_weight *w);

/* The plan entry for w (pointers into w, which must outlive the plan). */
struct qx_plan_tensor qxp_weight_plan_entry(const struct qxp_weight *w);

#endif
