/* The report's charts, each an inline <figure> holding one <svg> with an id and a count
 * of its marks, which tests/report_page.sh checks in the rendered page:
 *
 *   <svg id="pareto-chart"  data-points="N">  one class="point" per system x kernel set,
 *                                              the front as class="pareto-front"
 *   <svg id="size-chart"    data-bars="N">    one class="bar" per system with a model size
 *   <svg id="speedup-chart" data-bars="N" data-whiskers="W">  one class="bar" per plugin
 *                                              measurement with a speedup, W class="whisker"
 *   <svg id="layers-chart"  data-plugins="N">  one <g class="layer-plugin"> per plugin with
 *                                              per-layer error, a class="bar" per tensor shown
 *
 * A chart with nothing to draw is the same svg with a count of 0 and a message saying why
 * ("not measured" for the latency charts of a --no-measure run). */
#ifndef QX_REPORT_CHARTS_H
#define QX_REPORT_CHARTS_H

#include "report/html_out.h"
#include "report/report_data.h"

/* Top-1 accuracy against median latency at qx_rep_latency_config's batch and threads. */
void qx_chart_pareto(struct qx_html *h, const struct qx_rep *r);
/* Model size of each system, with its ratio to fp32. */
void qx_chart_size(struct qx_html *h, const struct qx_rep *r);
/* Speedup over fp32 per kernel set, thread count and batch, one bar per plugin. */
void qx_chart_speedup(struct qx_html *h, const struct qx_rep *r);
/* Own and propagated SQNR of each plugin's worst quantized tensors (results.json's "layers"). */
void qx_chart_layers(struct qx_html *h, const struct qx_rep *r);

#endif
