/* Model size per system: how much smaller each plugin's int8 model is than fp32, and which
 * systems are on the accuracy/size Pareto front. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/charts.h"
#include "report/svg.h"

#define W 960.0
#define X0 190.0
#define X1 760.0
#define TOP 16.0
#define ROW 34.0

/* A system that can be on the accuracy/size front: an accuracy and a size, not MISTRUSTED. */
static int usable(const struct qx_rep_system *s)
{
	return !s->error && s->model_bytes >= 0 && isfinite(s->accuracy) &&
	       !(s->trust && !strcmp(s->trust, "MISTRUSTED"));
}

void qx_chart_size(struct qx_html *h, const struct qx_rep *r)
{
	const struct qx_rep_system *fp32 = qx_rep_fp32(r);
	int64_t base = fp32 ? fp32->model_bytes : -1;
	qx_html_raw(h, "<figure class=\"chart-card\"><figcaption><h3>Model size</h3><p>Bytes of "
	            "weights and parameters the model holds at run time");
	qx_html_raw(h, base > 0 ? ", and the ratio to fp32.</p></figcaption>\n"
	                        : ".</p></figcaption>\n");
	int n = 0;
	int64_t max = 0;
	for (int i = 0; i < r->n_sys; i++)
		if (!r->sys[i].error && r->sys[i].model_bytes >= 0) {
			n++;
			if (r->sys[i].model_bytes > max)
				max = r->sys[i].model_bytes;
		}
	if (n == 0) {
		qx_svg_placeholder(h, "size-chart", "bars", "no model sizes recorded");
		qx_html_raw(h, "</figure>\n");
		return;
	}
	/* The accuracy/size Pareto front: no other trusted system is at least as accurate and at
	 * least as small, and better in one (as the run's conclusion says). */
	int n_front = 0;
	char *front = calloc((size_t)r->n_sys, 1);
	if (!front) {
		h->failed = 1;
		return;
	}
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		if (!usable(s))
			continue;
		front[i] = 1;
		for (int k = 0; k < r->n_sys && front[i]; k++) {
			const struct qx_rep_system *o = &r->sys[k];
			if (k != i && usable(o) && o->accuracy >= s->accuracy &&
			    o->model_bytes <= s->model_bytes &&
			    (o->accuracy > s->accuracy || o->model_bytes < s->model_bytes))
				front[i] = 0;
		}
		n_front += front[i];
	}
	double div = max >= 1024 * 1024 ? 1024.0 * 1024.0 : max >= 1024 ? 1024.0 : 1.0;
	const char *unit = div > 1024.0 ? "MiB" : div > 1.0 ? "KiB" : "bytes";
	double bottom = TOP + ROW * n + 8;
	double height = bottom + 48;
	struct qx_scale x;
	qx_scale_linear(&x, 0.0, (double)max / div, 6, X0, X1);

	qx_html_printf(h, "<svg id=\"size-chart\" class=\"chart\" data-bars=\"%d\" viewBox=\"0 0 "
	               "%.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"model "
	               "size per system\" data-front=\"%d\">\n", n, W, height, W, height, n_front);
	char title[64];
	snprintf(title, sizeof title, "model size (%s)", unit);
	qx_svg_x_axis(h, &x, TOP, bottom, title);
	int row = 0;
	char size[32], ratio[32], short_label[64];
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		if (s->error || s->model_bytes < 0)
			continue;
		double y = TOP + 6 + ROW * row++;
		double len = qx_scale_px(&x, (double)s->model_bytes / div) - X0;
		qx_html_printf(h, "<text class=\"bar-label\" x=\"%.1f\" y=\"%.1f\" "
		               "text-anchor=\"end\"><title>", X0 - 10, y + 15);
		qx_html_text(h, s->label);
		qx_html_raw(h, "</title>");
		/* X0 - 10 px of room, at about 7 px a character (bar labels are wider than 6.4 px). */
		qx_html_text(h, qx_fmt_label(s->label, 24, short_label, sizeof short_label));
		qx_html_printf(h, "</text><rect class=\"bar\"%s x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		               "height=\"22\" rx=\"2\" fill=\"%s\"><title>",
		               front[i] ? " data-front=\"1\"" : "", X0, y, fmax(len, 1.0),
		               qx_svg_color(s->color));
		qx_fmt_bytes(s->model_bytes, size, sizeof size);
		qx_html_textf(h, "%s: %lld bytes (%s)%s", s->label, (long long)s->model_bytes, size,
		              front[i] ? ", on the accuracy/size Pareto front" : "");
		qx_html_printf(h, "</title></rect><text class=\"bar-value\" x=\"%.1f\" y=\"%.1f\">",
		               X0 + fmax(len, 1.0) + 8, y + 15);
		if (base > 0 && !s->is_fp32)
			qx_html_textf(h, "%s \xc2\xb7 %s\xc3\x97 fp32", size,
			              qx_fmt_sig((double)s->model_bytes / (double)base, 3, ratio,
			                         sizeof ratio));
		else
			qx_html_text(h, size);
		if (front[i])
			qx_html_raw(h, " \xc2\xb7 front");
		qx_html_raw(h, "</text>\n");
	}
	qx_html_raw(h, "</svg>\n<p class=\"size-front-list\">On the accuracy/size Pareto front, "
	            "most accurate first: ");
	/* Most accurate first: repeatedly the most accurate not yet named. */
	for (int k = 0; k < n_front; k++) {
		int best = -1;
		for (int i = 0; i < r->n_sys; i++)
			if (front[i] == 1 && (best < 0 || r->sys[i].accuracy > r->sys[best].accuracy))
				best = i;
		front[best] = 2;
		qx_html_raw(h, k ? ", " : "");
		qx_html_text(h, r->sys[best].label);
	}
	qx_html_raw(h, n_front ? ".</p>\n</figure>\n" : "none (no accuracy recorded).</p>\n"
	            "</figure>\n");
	free(front);
}
