/* history.html: the trend of every measurement and every system's accuracy over the runs of
 * one suite, one small chart each, one line per machine (latency is only comparable on one
 * machine). Self-contained like report.html: inline style and SVG, no script, nothing
 * fetched. Partial runs are hollow points, ad-hoc runs squares, and neither is on a line, so
 * neither passes for a finished nightly. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare/history.h"
#include "report/html_out.h"
#include "report/svg.h"

#define W 460.0
#define H 230.0
#define X0 88.0
#define X1 (W - 14.0)
#define Y0 14.0
#define Y1 (H - 44.0)

static const char style[] =
	"<style>\n"
	"body{margin:0;background:#f8fafc;color:#1f2937;font:14px/1.45 system-ui,-apple-system,"
	"'Segoe UI',Roboto,Arial,sans-serif}\n"
	"main{max-width:1240px;margin:0 auto;padding:24px 16px 40px}\n"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 10px}\n"
	".subtitle,.muted{color:#6b7280}\n"
	".table-wrap{overflow-x:auto;background:#fff;border:1px solid #e5e7eb;border-radius:8px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:5px 9px;text-align:left;border-bottom:1px solid #e5e7eb;white-space:nowrap}\n"
	"thead th{background:#f1f5f9;font-size:12.5px}\n"
	"tr.partial td{color:#b91c1c}\n"
	".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,440px),1fr));"
	"gap:14px}\n"
	"figure.trend{background:#fff;border:1px solid #e5e7eb;border-radius:8px;margin:0;"
	"padding:10px 12px}\n"
	"figure.trend figcaption{font-weight:600;font-size:13px;overflow-wrap:anywhere}\n"
	"svg.chart{display:block;max-width:100%;height:auto;font-size:11px;font-family:inherit}\n"
	"svg text{fill:#1f2937}svg .grid{stroke:#eef0f3}svg .axis-line{stroke:#9ca3af}\n"
	"svg .tick{fill:#6b7280}svg .axis-title{font-size:12px;font-weight:600}\n"
	"svg .trend-line{fill:none;stroke-width:1.6}\n"
	"svg .pt{stroke:#fff;stroke-width:1.2}\n"
	"svg .pt.partial{fill:#fff;stroke-width:2}\n"
	".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 5px 0 12px}\n"
	"footer{color:#6b7280;font-size:12px;margin-top:28px}\n"
	"</style>\n";

static const char *machine_color(int m)
{
	return qx_svg_color(m + 1);
}

static void runs_table(struct qx_html *o, const struct qx_history *h)
{
	qx_html_raw(o, "<h2>Runs</h2><div class=\"table-wrap\"><table id=\"runs\"><thead><tr>"
	            "<th>#</th><th>run</th><th>kind</th><th>machine</th><th>images</th>"
	            "<th>git</th><th>state</th></tr></thead><tbody>\n");
	for (int i = 0; i < h->n_runs; i++) {
		const struct qx_hist_run *r = &h->runs[i];
		qx_html_printf(o, "<tr%s><td>%d</td><td>", r->view.partial ? " class=\"partial\"" : "",
		               r->index);
		qx_html_text(o, r->view.run_id);
		qx_html_raw(o, "</td><td>");
		qx_html_text(o, r->view.tag[0] ? r->view.tag : "-");
		qx_html_printf(o, "</td><td>%c</td><td>", qx_hist_machine_letter(r));
		if (r->images >= 0)
			qx_html_printf(o, "%lld", (long long)r->images);
		qx_html_raw(o, "</td><td>");
		qx_html_text(o, r->git);
		qx_html_raw(o, "</td><td>");
		qx_html_text(o, r->view.partial ? r->view.partial_why : r->state);
		qx_html_raw(o, "</td></tr>\n");
	}
	qx_html_raw(o, "</tbody></table></div>\n<p class=\"muted\">Machines:");
	for (int m = 0; m < h->n_machines; m++) {
		const struct qx_run_view *v = &h->runs[h->machine_run[m]].view;
		const char *model = json_string_value(json_object_get(v->machine, "cpu_model"));
		qx_html_printf(o, "<span class=\"swatch\" style=\"background:%s\"></span>%c ",
		               machine_color(m), 'A' + m);
		qx_html_text(o, model ? model : "(CPU model unknown)");
	}
	qx_html_raw(o, ". Lines join each machine's finished nightly runs. Filled circle: "
	            "nightly run; square: ad-hoc run; hollow: partial run (interrupted, failed or "
	            "unfinished).</p>\n");
}

/* What one chart plots: a system's accuracy, or a measurement's median. */
struct series_src {
	const char *system;        /* accuracy of this label, or NULL */
	const struct qx_hist_meas *meas;   /* else this measurement's median */
};

/* The chart's value in run r; 0 when the run has none (not run, failed, not measured). */
static int value_of(const struct qx_hist_run *r, const struct series_src *src, double *v)
{
	if (src->system) {
		const struct qx_run_view_system *s = qx_run_view_system(&r->view, src->system);
		if (!s || s->error)
			return 0;
		if (s->correct >= 0 && s->images > 0)
			*v = 100.0 * (double)s->correct / (double)s->images;
		else if (s->accuracy >= 0.0)
			*v = s->accuracy;
		else
			return 0;
		return 1;
	}
	const struct qx_run_view_measurement *m = qx_hist_cell(r, src->meas);
	if (!m || !m->has_median)
		return 0;
	*v = m->median;
	return 1;
}

static double x_px(const struct qx_history *h, int index)
{
	if (h->n_runs == 1)
		return (X0 + X1) / 2.0;
	/* Inset, so that the first and last points do not sit on the axes. */
	return X0 + 14.0 + (X1 - X0 - 28.0) * (double)(index - 1) / (double)(h->n_runs - 1);
}

static void x_axis(struct qx_html *o, const struct qx_history *h)
{
	int step = h->n_runs <= 12 ? 1 : (h->n_runs + 11) / 12;
	qx_html_printf(o, "<line class=\"axis-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	               "y2=\"%.1f\"/>\n", X0, Y1, X1, Y1);
	for (int i = 1; i <= h->n_runs; i += step)
		qx_html_printf(o, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		               "#%d</text>\n", x_px(h, i), Y1 + 15, i);
	qx_html_printf(o, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
	               "run (oldest first; table above)</text>\n", (X0 + X1) / 2, H - 8);
}

static void chart(struct qx_html *o, const struct qx_history *h, int id, const char *title,
                  const char *y_title, const struct series_src *src)
{
	double lo = INFINITY, hi = -INFINITY, v;
	int points = 0;
	for (int i = 0; i < h->n_runs; i++)
		if (value_of(&h->runs[i], src, &v)) {
			lo = fmin(lo, v);
			hi = fmax(hi, v);
			points++;
		}
	qx_html_printf(o, "<figure class=\"trend\" id=\"trend-%d\"><figcaption>", id);
	qx_html_text(o, title);
	qx_html_raw(o, "</figcaption>\n");
	if (points == 0) {
		qx_html_raw(o, "<p class=\"muted\">no value in the runs shown</p></figure>\n");
		return;
	}
	struct qx_scale y;
	qx_scale_linear(&y, lo, hi, 5, Y1, Y0);
	qx_html_printf(o, "<svg class=\"chart trend-chart\" data-points=\"%d\" viewBox=\"0 0 %.0f "
	               "%.0f\" width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-label=\"", points, W,
	               H, W, H);
	qx_html_text(o, title);
	qx_html_raw(o, "\">\n");
	qx_svg_y_axis(o, &y, X0, X1, y_title);
	x_axis(o, h);
	/* One line per machine through its finished nightly (or untagged, older) runs: partial
	 * and ad-hoc runs (another --limit, a subset) stand alone beside it. */
	for (int m = 0; m < h->n_machines; m++) {
		int n = 0;
		for (int i = 0; i < h->n_runs; i++) {
			const struct qx_hist_run *r = &h->runs[i];
			if (r->machine != m || r->view.partial || !strcmp(r->view.tag, "ad-hoc") ||
			    !value_of(r, src, &v))
				continue;
			if (n++ == 0)
				qx_html_printf(o, "<polyline class=\"trend-line\" stroke=\"%s\" points=\"",
				               machine_color(m));
			qx_html_printf(o, "%s%.1f,%.1f", n > 1 ? " " : "", x_px(h, r->index),
			               qx_scale_px(&y, v));
		}
		if (n)
			qx_html_raw(o, "\"/>\n");
	}
	for (int i = 0; i < h->n_runs; i++) {
		const struct qx_hist_run *r = &h->runs[i];
		if (!value_of(r, src, &v))
			continue;
		double cx = x_px(h, r->index), cy = qx_scale_px(&y, v);
		const char *color = r->machine >= 0 ? machine_color(r->machine) : "#6b7280";
		int adhoc = strcmp(r->view.tag, "nightly") != 0;
		const char *cls = r->view.partial ? "pt partial" : "pt";
		if (adhoc)
			qx_html_printf(o, "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"8\" "
			               "height=\"8\" fill=\"%s\" style=\"stroke:%s\"><title>", cls,
			               cx - 4, cy - 4, color, r->view.partial ? color : "#fff");
		else
			qx_html_printf(o, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" "
			               "fill=\"%s\" style=\"stroke:%s\"><title>", cls, cx, cy, color,
			               r->view.partial ? color : "#fff");
		qx_html_textf(o, "#%d %s, machine %c, %s%s: %.4g %s", r->index, r->view.run_id,
		              qx_hist_machine_letter(r), r->view.tag[0] ? r->view.tag : "untagged",
		              r->view.partial ? " PARTIAL" : "", v, src->system ? "%" : "ms");
		if (src->system && r->images >= 0)
			qx_html_textf(o, " of %lld images", (long long)r->images);
		qx_html_raw(o, adhoc ? "</title></rect>\n" : "</title></circle>\n");
	}
	qx_html_raw(o, "</svg></figure>\n");
}

int qx_history_write_html(const struct qx_history *h, const char *path, struct qx_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return qx_fail(err, QX_EIO, "%s: cannot write: %s (expected a writable path for "
		               "--html)", path, strerror(errno));
	struct qx_html o = { .f = f };
	qx_html_raw(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	            "style-src 'unsafe-inline'; img-src data:\">\n<title>qx-bench history: ");
	qx_html_text(&o, h->dir);
	qx_html_raw(&o, "</title>\n");
	qx_html_raw(&o, style);
	qx_html_raw(&o, "</head>\n<body>\n<main>\n<h1>qx-bench history</h1><p class=\"subtitle\">");
	qx_html_text(&o, h->dir);
	qx_html_printf(&o, ": %d run%s, one chart per measurement and per system's accuracy; one "
	               "line per machine.</p>\n", h->n_runs, h->n_runs == 1 ? "" : "s");
	runs_table(&o, h);
	int id = 0;
	qx_html_raw(&o, "<h2>Accuracy</h2>\n<div class=\"grid\" id=\"accuracy-charts\">\n");
	for (int s = 0; s < h->n_systems; s++) {
		struct series_src src = { .system = h->systems[s] };
		char title[300];
		snprintf(title, sizeof title, "%s: top-1 accuracy", h->systems[s]);
		chart(&o, h, id++, title, "top-1 (%)", &src);
	}
	qx_html_raw(&o, "</div>\n<h2>Latency</h2>\n<div class=\"grid\" id=\"latency-charts\">\n");
	for (int m = 0; m < h->n_meas; m++) {
		struct series_src src = { .meas = &h->meas[m] };
		chart(&o, h, id++, h->meas[m].name, "median (ms per batch)", &src);
	}
	if (h->n_meas == 0)
		qx_html_raw(&o, "<p class=\"muted\">No latency measurement in the runs shown.</p>\n");
	qx_html_raw(&o, "</div>\n<footer>Written by <code>qx-bench history --html</code> from the "
	            "results.json files listed above.</footer>\n</main>\n</body>\n</html>\n");
	int bad = o.failed || ferror(f);
	if (fclose(f) != 0 || bad)
		return qx_fail(err, QX_EIO, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}
