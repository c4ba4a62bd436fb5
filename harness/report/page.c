/* report.html as a whole: one self-contained page (inline style and SVG, no script, nothing
 * fetched), so it opens the same from a results folder, a mail attachment or a CI artifact. */
#include <math.h>
#include <string.h>

#include "report/charts.h"
#include "report/page.h"

static const char style[] =
	"<style>\n"
	":root{--fg:#1f2937;--muted:#6b7280;--line:#e5e7eb;--bg:#f8fafc;--card:#fff;"
	"--accent:#0072b2;--bad:#b91c1c;--ok:#047857}\n"
	"*{box-sizing:border-box}\n"
	"body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"
	"'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}\n"
	"main{max-width:1240px;margin:0 auto;padding:28px 20px 48px}\n"
	"h1{font-size:24px;margin:0 0 4px;font-weight:650}\n"
	"h2{font-size:18px;margin:32px 0 12px;font-weight:600}\n"
	"h3{font-size:15px;margin:0 0 2px;font-weight:600}\n"
	".subtitle{color:var(--muted);margin:0 0 18px}\n"
	".meta{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:6px 28px;"
	"background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px;"
	"margin:0}\n"
	".meta div{display:flex;gap:10px;min-width:0}\n"
	".meta dt{color:var(--muted);flex:0 0 96px}\n"
	".meta dd{margin:0;overflow-wrap:anywhere}\n"
	".table-wrap{overflow-x:auto;background:var(--card);border:1px solid var(--line);"
	"border-radius:8px}\n"
	"table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}\n"
	"th,td{padding:7px 9px;text-align:left;vertical-align:top;"
	"border-bottom:1px solid var(--line)}\n"
	"thead th{font-weight:600;font-size:12.5px;background:#f1f5f9;vertical-align:bottom;"
	"white-space:nowrap}\n"
	"tbody th{font-weight:600;white-space:nowrap}\n"
	"tr.first>*{border-top:2px solid var(--line)}\n"
	".num{text-align:right;white-space:nowrap}\n"
	".unit,.ci,.plugin-meta{color:var(--muted);font-weight:400;font-size:12px}\n"
	".muted{color:var(--muted)}\n"
	".ok{color:var(--ok)}\n"
	".bad{color:var(--bad);font-weight:600}\n"
	".kset{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}\n"
	"td.ok{white-space:nowrap}\n"
	".mismatch{font-weight:400;font-size:12px;min-width:150px}\n"
	"tr.error-row td{color:var(--bad)}\n"
	"tr.error-row th{white-space:normal;overflow-wrap:anywhere;max-width:220px}\n"
	"tr.error-row{background:#fef2f2}\n"
	".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:7px}\n"
	".chart-card{background:var(--card);border:1px solid var(--line);border-radius:8px;"
	"padding:16px 18px;margin:0 0 18px}\n"
	".chart-card figcaption p{color:var(--muted);margin:0 0 10px}\n"
	"svg.chart,svg.placeholder{display:block;max-width:100%;height:auto;font-size:12px;"
	"font-family:inherit}\n"
	"svg text{fill:var(--fg)}\n"
	"svg .grid{stroke:#eef0f3}\n"
	"svg .axis-line{stroke:#9ca3af}\n"
	"svg .tick,svg .group-sub{fill:var(--muted)}\n"
	"svg .axis-title{font-size:13px;font-weight:600}\n"
	"svg .legend-title{font-weight:600}\n"
	"svg .point{stroke:#fff;stroke-width:1.5}\n"
	"svg .point-label{font-size:11.5px}\n"
	"svg .leader{stroke:#9ca3af;stroke-width:1}\n"
	".front-list{color:var(--muted);font-size:12.5px;margin:6px 0 0}\n"
	"svg .pareto-front,svg .pareto-front-key{fill:none;stroke:#374151;stroke-width:1.5;"
	"stroke-dasharray:5 3}\n"
	"svg .whisker{stroke:#111827;stroke-width:1.4;fill:none}\n"
	"svg .reference{stroke:#374151;stroke-dasharray:4 3}\n"
	"svg .reference-label{fill:var(--muted);font-size:11.5px}\n"
	"svg .bar-value{font-size:11.5px}\n"
	"svg .small{font-size:10.5px}\n"
	"svg .batch-band{fill:none;stroke:#9ca3af}\n"
	"svg .placeholder-box{fill:#f8fafc;stroke:var(--line);stroke-dasharray:4 3}\n"
	"svg .placeholder-text{fill:var(--muted);font-size:14px}\n"
	".notes li{color:var(--muted)}\n"
	".partial{background:#fef2f2;border:1px solid #fecaca;color:var(--bad);border-radius:8px;"
	"padding:10px 14px;margin:0 0 18px;font-weight:600}\n"
	"footer{color:var(--muted);font-size:12px;margin-top:32px;overflow-wrap:anywhere}\n"
	".noise{color:var(--muted);font-size:11.5px;white-space:nowrap}\n"
	".warn{color:#b45309;font-weight:600;cursor:help}\n"
	/* 800 px wide: the table fits without scrolling sideways (headers wrap, cells tighten,
	 * the legend column of the charts scales with the svg). */
	"@media (max-width:1000px){main{padding:16px 8px 32px}"
	"th,td{padding:5px 3px}thead th,tbody th,.num,td.ok,.noise{white-space:normal}"
	"thead th{font-size:11px}table{font-size:12px}.kset{font-size:11px}"
	".unit,.ci,.plugin-meta,.noise{font-size:10.5px}tr.error-row th{max-width:120px}"
	".mismatch{min-width:0}.meta{grid-template-columns:1fr}}\n"
	"</style>\n";

static void meta_item(struct qx_html *h, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	qx_html_raw(h, "<div><dt>");
	qx_html_text(h, key);
	qx_html_raw(h, "</dt><dd>");
	qx_html_text(h, value);
	qx_html_raw(h, "</dd></div>\n");
}

static const char *machine_str(const struct qx_rep *r, const char *key)
{
	return json_string_value(json_object_get(r->machine, key));
}

/* "hostname · CPU model · x86_64 · 2 online CPUs · Linux 6.1" from what the file has. */
static void machine_line(const struct qx_rep *r, char *buf, size_t size)
{
	const char *parts[4] = { machine_str(r, "hostname"), machine_str(r, "cpu_model"),
	                         machine_str(r, "arch"), NULL };
	size_t len = 0;
	buf[0] = '\0';
	for (int i = 0; i < 3; i++)
		if (parts[i] && len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " \xc2\xb7 " : "",
			                        parts[i]);
	json_t *cpus = json_object_get(r->machine, "online_cpus");
	if (json_is_integer(cpus) && len < size)
		len += (size_t)snprintf(buf + len, size - len, "%s%lld online CPU%s",
		                        len ? " \xc2\xb7 " : "", (long long)json_integer_value(cpus),
		                        json_integer_value(cpus) == 1 ? "" : "s");
	const char *kernel = machine_str(r, "kernel");
	if (kernel && len < size)
		snprintf(buf + len, size - len, "%s%s", len ? " \xc2\xb7 " : "", kernel);
}

/* Kernel sets the machine has, and the others with the reason. */
static void kernel_sets_item(struct qx_html *h, const struct qx_rep *r)
{
	json_t *sets = json_object_get(r->machine, "kernel_sets");
	if (!json_is_array(sets) || json_array_size(sets) == 0)
		return;
	qx_html_raw(h, "<div><dt>kernel sets</dt><dd>");
	int first = 1;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < json_array_size(sets); i++) {
			json_t *s = json_array_get(sets, i);
			const char *name = json_string_value(json_object_get(s, "name"));
			int available = json_is_true(json_object_get(s, "available"));
			if (!name || available != (pass == 0))
				continue;
			qx_html_raw(h, first ? "" : ", ");
			first = 0;
			if (available) {
				qx_html_text(h, name);
				continue;
			}
			qx_html_raw(h, "<span class=\"muted\" title=\"");
			qx_html_text(h, json_string_value(json_object_get(s, "why_not")));
			qx_html_raw(h, "\"><s>");
			qx_html_text(h, name);
			qx_html_raw(h, "</s></span>");
		}
	qx_html_raw(h, "</dd></div>\n");
}

/* A run that did not finish must never read as a finished one: say so above everything. The
 * page is rewritten during the run too, so "running" is also what an open run shows. */
static void partial_banner(struct qx_html *h, const struct qx_rep *r)
{
	int marked = json_is_true(json_object_get(r->root, "interrupted"));
	const char *state = json_string_value(json_object_get(r->root, "state"));
	if (!state)
		state = marked ? "interrupted" : "finished";
	if (!strcmp(state, "finished"))
		return;
	const char *by = json_string_value(json_object_get(r->root, "interrupted_by"));
	qx_html_raw(h, "<p class=\"partial\" id=\"partial\">");
	if (!strcmp(state, "interrupted")) {
		qx_html_raw(h, "Interrupted run");
		if (by) {
			qx_html_raw(h, " (");
			qx_html_text(h, by);
			qx_html_raw(h, strcmp(by, "SIGPIPE") ? ")" : ": its output was cut off)");
		}
	} else if (!strcmp(state, "running")) {
		qx_html_raw(h, "Unfinished run (still running, or its process was killed)");
	} else {
		qx_html_raw(h, "Failed run (it stopped on an error)");
	}
	qx_html_raw(h, ": this page shows only the steps finished before it stopped; missing "
	            "plugins and measurements were not run.</p>\n");
}

/* How busy the machine was while latency was measured (each measurement's noise summary). */
static void load_item(struct qx_html *h, const struct qx_rep *r, char *buf, size_t size)
{
	double load = -1;
	int total = 0, preempted = 0, warned = 0;
	for (int i = 0; i < r->n_sys; i++)
		for (int j = 0; j < r->sys[i].n_meas; j++) {
			const struct qx_rep_meas *m = &r->sys[i].meas[j];
			total++;
			if (isfinite(m->load1) && m->load1 > load)
				load = m->load1;
			preempted += m->preempted == 1;
			warned += m->warnings != NULL;
		}
	if (!total || load < 0)
		return;
	json_t *cpus = json_object_get(r->machine, "online_cpus");
	snprintf(buf, size, "load up to %.2f on %lld CPUs; %d of %d measurements preempted by "
	         "other processes, %d with noise warnings (\xe2\x9a\xa0 in the table)", load,
	         (long long)json_integer_value(cpus), preempted, total, warned);
	meta_item(h, "measured", buf);
}

static void header(struct qx_html *h, const struct qx_rep *r)
{
	qx_html_raw(h, "<header><h1>qx-bench report: ");
	qx_html_text(h, r->suite_name[0] ? r->suite_name : "(unnamed suite)");
	qx_html_raw(h, "</h1><p class=\"subtitle\">Post-training int8 quantization: accuracy, "
	            "size and latency of each plugin's model against the fp32 baseline.</p>\n"
	            "<dl class=\"meta\">\n");
	char suite[4096], model[4096];
	qx_rep_clean_path(r->suite_path, suite, sizeof suite);
	qx_rep_clean_path(r->model, model, sizeof model);
	meta_item(h, "suite", r->suite_path[0] ? suite : r->suite_name);
	meta_item(h, "model", r->model[0] ? model : "");
	char buf[1024];
	const struct qx_rep_system *fp32 = qx_rep_fp32(r);
	if (fp32 && fp32->images >= 0) {
		char n[32];
		snprintf(buf, sizeof buf, "%s images", qx_fmt_count((double)fp32->images, n, sizeof n));
		if (r->suite_batch > 0)
			snprintf(buf + strlen(buf), sizeof buf - strlen(buf), ", batches of %lld",
			         (long long)r->suite_batch);
		meta_item(h, "evaluated", buf);
	}
	machine_line(r, buf, sizeof buf);
	meta_item(h, "machine", buf);
	kernel_sets_item(h, r);
	load_item(h, r, buf, sizeof buf);
	meta_item(h, "run", r->run_id);
	meta_item(h, "run kind", json_string_value(json_object_get(r->root, "tag")));
	meta_item(h, "started", r->started);
	meta_item(h, "tool", r->tool);
	qx_html_raw(h, "</dl></header>\n");
}

static void notes(struct qx_html *h, const struct qx_rep *r)
{
	if (r->n_notes == 0)
		return;
	qx_html_raw(h, "<section class=\"notes\"><h2>Notes</h2><p>Parts of results.json the "
	            "report could not use:</p><ul>\n");
	for (int i = 0; i < r->n_notes; i++) {
		qx_html_raw(h, "<li>");
		qx_html_text(h, r->notes[i]);
		qx_html_raw(h, "</li>\n");
	}
	qx_html_raw(h, "</ul></section>\n");
}

void qx_report_page(struct qx_html *h, const struct qx_rep *r)
{
	qx_html_raw(h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	            "style-src 'unsafe-inline'; img-src data:\">\n"
	            "<meta name=\"generator\" content=\"");
	qx_html_text(h, r->tool[0] ? r->tool : "qx-bench");
	qx_html_raw(h, "\">\n<title>qx-bench: ");
	qx_html_text(h, r->suite_name);
	if (r->run_id[0]) {
		qx_html_raw(h, " \xc2\xb7 ");
		qx_html_text(h, r->run_id);
	}
	qx_html_raw(h, "</title>\n");
	qx_html_raw(h, style);
	qx_html_raw(h, "</head>\n<body>\n<main>\n");
	header(h, r);
	partial_banner(h, r);
	if (r->quick)
		qx_html_raw(h, "<p class=\"partial\" id=\"quick\">Quick run (<code>--quick</code>): "
		            "fewer images, one short measurement configuration and fewer checked images; "
		            "for exploring, not for tracking.</p>\n");
	qx_report_table(h, r);
	qx_html_raw(h, "<section><h2>Charts</h2>\n");
	qx_chart_pareto(h, r);
	qx_chart_size(h, r);
	qx_chart_speedup(h, r);
	qx_chart_layers(h, r);
	qx_html_raw(h, "</section>\n");
	notes(h, r);
	char clean[4096];
	qx_rep_clean_path(r->path, clean, sizeof clean);
	qx_html_raw(h, "<footer>Generated from ");
	qx_html_text(h, clean);
	qx_html_raw(h, " by qx-bench; results.json is the record, this page is rebuilt from it "
	            "(<code>qx-bench report RESULTS.json</code>).</footer>\n</main>\n</body>\n"
	            "</html>\n");
}
