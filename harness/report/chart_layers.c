/* Per-layer error: for each plugin with results.json's "layers", its worst quantized tensors
 * (ranked as `qx-bench explain` ranks them: own SQNR, then propagated), a bar of own SQNR and a
 * mark of propagated SQNR each. Only the worst few per plugin, so the page stays small on a
 * model of hundreds of tensors; explain lists them all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "investigate/layer_error.h"
#include "report/charts.h"
#include "report/svg.h"

#define W 960.0
#define X0 330.0
#define X1 900.0
#define TOP 16.0
#define HEAD 24.0
#define ROW 20.0
#define WORST 8

static double num(const json_t *t, const char *key)
{
	const json_t *v = json_object_get(t, key);
	if (!v)
		return NAN;
	/* In "layers" a null SQNR is an error of 0: infinitely good. */
	return json_is_null(v) ? INFINITY : json_is_number(v) ? json_number_value(v) : NAN;
}

static int cmp(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	return qx_layer_cmp(num(x, "own_sqnr_db"), num(x, "sqnr_db"), num(y, "own_sqnr_db"),
	                    num(y, "sqnr_db"));
}

struct panel {
	const char *label;
	int color;
	size_t total, shown;
	json_t *worst[WORST];
};

/* The WORST worst tensors of one plugin's layers (the sort keeps pointers only). */
static int pick(const json_t *tensors, struct panel *p)
{
	size_t n = json_array_size(tensors);
	json_t **v = calloc(n + 1, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(tensors, i);
	/* qsort is not stable, but equal figures draw the same bar: the order between them does
	 * not show. */
	qsort(v, n, sizeof *v, cmp);
	p->total = n;
	p->shown = n < WORST ? n : WORST;
	for (size_t i = 0; i < p->shown; i++)
		p->worst[i] = v[i];
	free(v);
	return 0;
}

/* The row label: node and tensor, the start cut when long (names end in what tells them apart). */
static void row_label(const json_t *t, char *buf, size_t size)
{
	char full[512];
	const char *node = json_string_value(json_object_get(t, "node"));
	const char *tensor = json_string_value(json_object_get(t, "tensor"));
	snprintf(full, sizeof full, "%s \xc2\xb7 %s", node ? node : "?", tensor ? tensor : "?");
	size_t len = strlen(full), max = 48;
	if (len > max)
		snprintf(buf, size, "\xe2\x80\xa6%s", full + len - (max - 1));
	else
		snprintf(buf, size, "%s", full);
}

void qx_chart_layers(struct qx_html *h, const struct qx_rep *r)
{
	qx_html_raw(h, "<figure class=\"chart-card\"><figcaption><h3>Per-layer error</h3><p>The "
	            "worst quantized tensors of each plugin on the check images: bar, own SQNR (the "
	            "fp32 tensor quantized with its own qparams: the error it adds; what the ranking "
	            "goes by); dot, SQNR of the int8 model's tensor against fp32's (with every earlier "
	            "layer's error). Higher is better. <code>qx-bench explain</code> lists every "
	            "tensor and why the worst is bad.</p></figcaption>\n");
	json_t *plugins = json_object_get(r->root, "plugins");
	size_t n_plugins = json_array_size(plugins);
	struct panel *pn = calloc(n_plugins + 1, sizeof *pn);
	int n = 0;
	double lo = 0.0, hi = 10.0;
	size_t i;
	json_t *p;
	json_array_foreach(pn ? plugins : NULL, i, p) {
		const json_t *tensors = json_object_get(json_object_get(p, "layers"), "tensors");
		const char *label = json_string_value(json_object_get(p, "label"));
		if (!label || !json_is_array(tensors) || !json_array_size(tensors))
			continue;
		if (pick(tensors, &pn[n]))
			break;
		pn[n].label = label;
		pn[n].color = qx_rep_color_of(label);
		for (int s = 0; s < r->n_sys; s++)
			if (!r->sys[s].is_fp32 && r->sys[s].label && !strcmp(r->sys[s].label, label))
				pn[n].color = r->sys[s].color;
		for (size_t k = 0; k < pn[n].shown; k++) {
			double own = num(pn[n].worst[k], "own_sqnr_db");
			double prop = num(pn[n].worst[k], "sqnr_db");
			if (isfinite(own)) {
				lo = fmin(lo, own);
				hi = fmax(hi, own);
			}
			if (isfinite(prop)) {
				lo = fmin(lo, prop);
				hi = fmax(hi, prop);
			}
		}
		n++;
	}
	if (n == 0) {
		qx_svg_placeholder(h, "layers-chart", "plugins", "per-layer error not measured "
		                   "(check.reference_images: 0, or a run from before it was)");
		qx_html_raw(h, "</figure>\n");
		free(pn);
		return;
	}
	double height = TOP;
	for (int k = 0; k < n; k++)
		height += HEAD + ROW * (double)pn[k].shown;
	double bottom = height + 4;
	height = bottom + 48;
	struct qx_scale x;
	qx_scale_linear(&x, lo, hi, 8, X0, X1);
	qx_html_printf(h, "<svg id=\"layers-chart\" class=\"chart\" data-plugins=\"%d\" viewBox=\"0 0 "
	               "%.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"per-layer "
	               "SQNR of the worst tensors per plugin\">\n", n, W, height, W, height);
	qx_svg_x_axis(h, &x, TOP, bottom, "SQNR (dB): bar own, dot propagated");
	double y = TOP, zero = qx_scale_px(&x, fmax(x.lo, 0.0));
	char label[600], a[32], b[32];
	for (int k = 0; k < n; k++) {
		const struct panel *q = &pn[k];
		qx_html_printf(h, "<g class=\"layer-plugin\" data-tensors=\"%zu\"><text "
		               "class=\"bar-label\" x=\"10\" y=\"%.1f\" font-weight=\"600\">", q->total,
		               y + 16);
		qx_html_textf(h, "%s: the %zu worst of %zu tensors", q->label, q->shown, q->total);
		qx_html_raw(h, "</text>\n");
		y += HEAD;
		for (size_t t = 0; t < q->shown; t++, y += ROW) {
			const json_t *e = q->worst[t];
			double own = num(e, "own_sqnr_db"), prop = num(e, "sqnr_db");
			row_label(e, label, sizeof label);
			qx_html_printf(h, "<text class=\"bar-label\" x=\"%.1f\" y=\"%.1f\" "
			               "text-anchor=\"end\">", X0 - 8, y + 14);
			qx_html_text(h, label);
			/* An error-free tensor (inf) draws to the axis's end. */
			double end = qx_scale_px(&x, isfinite(own) ? own : x.hi);
			double x_lo = fmin(end, zero), w = fmax(fabs(end - zero), 1.0);
			qx_fmt_sig(own, 3, a, sizeof a);
			qx_fmt_sig(prop, 3, b, sizeof b);
			qx_html_printf(h, "</text><rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
			               "height=\"14\" rx=\"2\" fill=\"%s\"><title>", x_lo, y + 3, w,
			               qx_svg_color(q->color));
			qx_html_textf(h, "%s %s: own SQNR %s dB, propagated %s dB", q->label,
			              json_string_value(json_object_get(e, "tensor")),
			              isfinite(own) ? a : "inf", isfinite(prop) ? b : isnan(prop) ? "-" : "inf");
			qx_html_raw(h, "</title></rect>\n");
			if (!isnan(prop))
				qx_svg_marker(h, 0, qx_scale_px(&x, isfinite(prop) ? prop : x.hi), y + 10, 4.0,
				              "#1f2937", "layer-mark", "propagated SQNR");
		}
	}
	qx_html_raw(h, "</svg>\n</figure>\n");
	free(pn);
}
