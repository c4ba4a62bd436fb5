/* Model size per system: how much smaller each plugin's int8 model is than fp32. */
#include <math.h>

#include "report/charts.h"
#include "report/svg.h"

#define W 960.0
#define X0 190.0
#define X1 760.0
#define TOP 16.0
#define ROW 34.0

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
	double div = max >= 1024 * 1024 ? 1024.0 * 1024.0 : max >= 1024 ? 1024.0 : 1.0;
	const char *unit = div > 1024.0 ? "MiB" : div > 1.0 ? "KiB" : "bytes";
	double bottom = TOP + ROW * n + 8;
	double height = bottom + 48;
	struct qx_scale x;
	qx_scale_linear(&x, 0.0, (double)max / div, 6, X0, X1);

	qx_html_printf(h, "<svg id=\"size-chart\" class=\"chart\" data-bars=\"%d\" viewBox=\"0 0 "
	               "%.0f %.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"model "
	               "size per system\">\n", n, W, height, W, height);
	char title[64];
	snprintf(title, sizeof title, "model size (%s)", unit);
	qx_svg_x_axis(h, &x, TOP, bottom, title);
	int row = 0;
	char size[32], ratio[32];
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		if (s->error || s->model_bytes < 0)
			continue;
		double y = TOP + 6 + ROW * row++;
		double len = qx_scale_px(&x, (double)s->model_bytes / div) - X0;
		qx_html_printf(h, "<text class=\"bar-label\" x=\"%.1f\" y=\"%.1f\" "
		               "text-anchor=\"end\">", X0 - 10, y + 15);
		qx_html_text(h, s->label);
		qx_html_printf(h, "</text><rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		               "height=\"22\" rx=\"2\" fill=\"%s\"><title>", X0, y, fmax(len, 1.0),
		               qx_svg_color(s->color));
		qx_fmt_bytes(s->model_bytes, size, sizeof size);
		qx_html_textf(h, "%s: %lld bytes (%s)", s->label, (long long)s->model_bytes, size);
		qx_html_printf(h, "</title></rect><text class=\"bar-value\" x=\"%.1f\" y=\"%.1f\">",
		               X0 + fmax(len, 1.0) + 8, y + 15);
		if (base > 0 && !s->is_fp32)
			qx_html_textf(h, "%s \xc2\xb7 %s\xc3\x97 fp32", size,
			              qx_fmt_sig((double)s->model_bytes / (double)base, 3, ratio,
			                         sizeof ratio));
		else
			qx_html_text(h, size);
		qx_html_raw(h, "</text>\n");
	}
	qx_html_raw(h, "</svg>\n</figure>\n");
}
