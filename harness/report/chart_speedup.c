/* Speedup over fp32 per kernel set, thread count and batch: grouped bars, one per plugin, with
 * the 95% interval as a whisker when results.json has one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/charts.h"
#include "report/svg.h"

#define MAX_KSETS 16
#define W 1160.0
#define H 410.0
#define X0 76.0
#define X1 1084.0
#define Y0 44.0
#define Y1 318.0

struct group {
	int batch, kset, threads;
};

struct bar {
	const struct qx_rep_system *sys;
	const struct qx_rep_meas *m;
	int group, slot;
	double ratio, lo, hi;
};

static int group_cmp(const struct group *a, const struct group *b)
{
	if (a->batch != b->batch)
		return a->batch < b->batch ? -1 : 1;
	if (a->kset != b->kset)
		return a->kset < b->kset ? -1 : 1;
	return (a->threads > b->threads) - (a->threads < b->threads);
}

static int by_group(const void *a, const void *b)
{
	return group_cmp(a, b);
}

static int find_group(const struct group *g, int n, const struct group *key)
{
	for (int i = 0; i < n; i++)
		if (group_cmp(&g[i], key) == 0)
			return i;
	return -1;
}

static void legend(struct qx_html *h, const struct qx_rep *r, const int *slot_of)
{
	double x = X0;
	qx_html_raw(h, "<g class=\"legend\">\n");
	for (int i = 0; i < r->n_sys; i++) {
		if (slot_of[i] < 0)
			continue;
		qx_html_printf(h, "<rect x=\"%.1f\" y=\"8\" width=\"12\" height=\"12\" rx=\"2\" "
		               "fill=\"%s\"/><text x=\"%.1f\" y=\"18\">", x, qx_svg_color(r->sys[i].color),
		               x + 18);
		qx_html_text(h, r->sys[i].label);
		qx_html_raw(h, "</text>\n");
		x += 36 + 6.6 * (double)strlen(r->sys[i].label);   /* ~6.6 px per 12 px glyph */
	}
	qx_html_raw(h, "</g>\n");
}

/* Kernel set and thread count under each group, the batch under each run of groups. Narrow
 * groups get a smaller font, and below that slanted kernel set names. */
static void group_labels(struct qx_html *h, const struct group *g, int n_groups,
                         const char **ksets, double group_w)
{
	int slant = group_w < 56, small = group_w < 84;
	for (int i = 0; i < n_groups; i++) {
		double cx = X0 + group_w * (i + 0.5);
		if (slant)
			qx_html_printf(h, "<text class=\"group-label small\" x=\"%.1f\" y=\"%.1f\" "
			               "text-anchor=\"end\" transform=\"rotate(-35 %.1f %.1f)\">", cx + 4,
			               Y1 + 14, cx + 4, Y1 + 14);
		else
			qx_html_printf(h, "<text class=\"group-label%s\" x=\"%.1f\" y=\"%.1f\" "
			               "text-anchor=\"middle\">", small ? " small" : "", cx, Y1 + 18);
		qx_html_text(h, ksets[g[i].kset]);
		qx_html_raw(h, "</text>");
		if (!slant)
			qx_html_printf(h, "<text class=\"group-sub%s\" x=\"%.1f\" y=\"%.1f\" "
			               "text-anchor=\"middle\">%d thr%s</text>\n", small ? " small" : "", cx,
			               Y1 + 34, g[i].threads, small ? "" : g[i].threads == 1 ? "ead" : "eads");
		else
			qx_html_printf(h, "<text class=\"group-sub small\" x=\"%.1f\" y=\"%.1f\" "
			               "text-anchor=\"middle\" transform=\"rotate(-35 %.1f %.1f)\">%dt</text>\n",
			               cx, Y1 - 4, cx, Y1 - 4, g[i].threads);
	}
	for (int i = 0; i < n_groups;) {
		int j = i;
		while (j < n_groups && g[j].batch == g[i].batch)
			j++;
		double a = X0 + group_w * i + 6, b = X0 + group_w * j - 6;
		qx_html_printf(h, "<path class=\"batch-band\" d=\"M%.1f %.1fV%.1fH%.1fV%.1f\"/>"
		               "<text class=\"group-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">"
		               "batch %d</text>\n", a, Y1 + 42, Y1 + 48, b, Y1 + 42, (a + b) / 2, Y1 + 64,
		               g[i].batch);
		i = j;
	}
}

/* A bar from base (0, or 1 on a log scale) to the speedup, its whisker and its value. */
static void draw_bar(struct qx_html *h, const struct bar *b, const struct qx_scale *y,
                     double base, double x, double bar_w, const char *kset)
{
	char v[32], lo[32], hi[32];
	double end = qx_scale_px(y, b->ratio), start = qx_scale_px(y, base);
	int up = end <= start;
	double top = fmin(end, start);
	qx_html_printf(h, "<rect class=\"bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
	               "height=\"%.1f\" fill=\"%s\"><title>", x, top, bar_w,
	               fmax(fabs(start - end), 0.5), qx_svg_color(b->sys->color));
	qx_html_textf(h, "%s, %s, %d thread%s, batch %d: %s\xc3\x97 fp32's speed", b->sys->label,
	              kset, b->m->threads, b->m->threads == 1 ? "" : "s", b->m->batch,
	              qx_fmt_sig(b->ratio, 3, v, sizeof v));
	if (isfinite(b->lo))
		qx_html_textf(h, " (95%% CI %s to %s)", qx_fmt_sig(b->lo, 3, lo, sizeof lo),
		              qx_fmt_sig(b->hi, 3, hi, sizeof hi));
	else
		qx_html_raw(h, " (ratio of medians, no interval recorded)");
	qx_html_raw(h, "</title></rect>\n");
	double cx = x + bar_w / 2, label_y = end;
	if (isfinite(b->lo)) {
		double py_lo = qx_scale_px(y, b->lo), py_hi = qx_scale_px(y, b->hi);
		double cap = fmin(bar_w * 0.3, 6);
		qx_html_printf(h, "<path class=\"whisker\" d=\"M%.1f %.1fV%.1fM%.1f %.1fH%.1fM%.1f "
		               "%.1fH%.1f\"/>\n", cx, py_lo, py_hi, cx - cap, py_lo, cx + cap,
		               cx - cap, py_hi, cx + cap);
		label_y = up ? fmin(label_y, py_hi) : fmax(label_y, py_lo);
	}
	if (bar_w >= 24)
		qx_html_printf(h, "<text class=\"bar-value\" x=\"%.1f\" y=\"%.1f\" "
		               "text-anchor=\"middle\">%s\xc3\x97</text>\n", cx,
		               up ? label_y - 5 : label_y + 14, v);
}

void qx_chart_speedup(struct qx_html *h, const struct qx_rep *r)
{
	qx_html_raw(h, "<figure class=\"chart-card\"><figcaption><h3>Speedup over fp32</h3><p>Median "
	            "fp32 latency divided by the plugin's, per kernel set, thread count and batch "
	            "(above 1: faster than fp32). Whiskers: 95% bootstrap interval, when recorded."
	            "</p></figcaption>\n");
	const char *ksets[MAX_KSETS];
	int n_ksets = qx_rep_kernel_names(r, ksets, MAX_KSETS);
	int n_meas = 0;
	for (int i = 0; i < r->n_sys; i++)
		n_meas += r->sys[i].n_meas;
	if (n_meas == 0) {
		qx_svg_placeholder(h, "speedup-chart", "bars", "not measured: this run has no latency "
		                   "measurements (--no-measure, or interrupted before measuring)");
		qx_html_raw(h, "</figure>\n");
		return;
	}
	struct group *g = calloc((size_t)n_meas, sizeof *g);
	struct bar *bars = calloc((size_t)n_meas, sizeof *bars);
	int *slot_of = malloc(sizeof *slot_of * (size_t)r->n_sys);
	if (!g || !bars || !slot_of) {
		h->failed = 1;
		goto out;
	}
	int n_groups = 0, n_bars = 0, n_slots = 0, n_whiskers = 0;
	double top = 1.0, bottom = 1.0;
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		slot_of[i] = -1;
		if (s->is_fp32 || s->error)
			continue;
		for (int j = 0; j < s->n_meas; j++) {
			struct bar b = { s, &s->meas[j], 0, 0, 0, 0, 0 };
			int k = qx_rep_name_index(ksets, n_ksets, b.m->kernels);
			if (k < 0 || qx_rep_speedup(r, b.m, &b.ratio, &b.lo, &b.hi))
				continue;
			if (slot_of[i] < 0)
				slot_of[i] = n_slots++;
			struct group key = { b.m->batch, k, b.m->threads };
			if (find_group(g, n_groups, &key) < 0)
				g[n_groups++] = key;
			b.slot = slot_of[i];
			top = fmax(top, isfinite(b.hi) ? fmax(b.hi, b.ratio) : b.ratio);
			bottom = fmin(bottom, isfinite(b.lo) ? fmin(b.lo, b.ratio) : b.ratio);
			n_whiskers += isfinite(b.lo);
			bars[n_bars++] = b;
		}
	}
	if (n_bars == 0) {
		qx_svg_placeholder(h, "speedup-chart", "bars", "no speedup to show: fp32 was not "
		                   "measured at the plugins' kernel sets, threads and batches");
		goto out;
	}
	qsort(g, (size_t)n_groups, sizeof *g, by_group);
	for (int i = 0; i < n_bars; i++) {
		struct group key = { bars[i].m->batch, qx_rep_name_index(ksets, n_ksets,
		                                                         bars[i].m->kernels),
		                     bars[i].m->threads };
		bars[i].group = find_group(g, n_groups, &key);
	}

	/* Speedups spanning more than a factor of 8 (0.5x to 40x, say) would flatten the small
	 * ones on a linear axis: a log axis then, with bars growing from 1x (fp32) up when faster
	 * and down when slower. */
	struct qx_scale y;
	int log_y = top / bottom > 8.0;
	double base = log_y ? 1.0 : 0.0;
	if (log_y)
		qx_scale_log10(&y, bottom, top, Y1, Y0);
	else
		qx_scale_linear(&y, 0.0, top * 1.08, 6, Y1, Y0);
	qx_html_printf(h, "<svg id=\"speedup-chart\" class=\"chart\" data-bars=\"%d\" "
	               "data-whiskers=\"%d\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" "
	               "height=\"%.0f\" role=\"img\" aria-label=\"speedup over fp32\">\n", n_bars,
	               n_whiskers, W, H, W, H);
	legend(h, r, slot_of);
	qx_svg_y_axis(h, &y, X0, X1, log_y ? "speedup over fp32 (\xc3\x97, log scale)"
	                                   : "speedup over fp32 (\xc3\x97)");
	double one = qx_scale_px(&y, 1.0);
	qx_html_printf(h, "<line class=\"reference\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
	               "<text class=\"reference-label\" x=\"%.1f\" y=\"%.1f\">fp32 = 1\xc3\x97"
	               "</text>\n", X0, one, X1, one, X1 + 6, one + 4);
	double group_w = (X1 - X0) / n_groups;
	double bar_w = fmin(44.0, group_w * 0.8 / n_slots);
	for (int i = 0; i < n_bars; i++) {
		double x = X0 + group_w * (bars[i].group + 0.5) + bar_w * (bars[i].slot - n_slots / 2.0);
		draw_bar(h, &bars[i], &y, base, x, bar_w, ksets[g[bars[i].group].kset]);
	}
	qx_html_printf(h, "<line class=\"axis-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	               "y2=\"%.1f\"/>\n", X0, Y1, X1, Y1);
	group_labels(h, g, n_groups, ksets, group_w);
	qx_html_raw(h, "</svg>\n");
out:
	qx_html_raw(h, "</figure>\n");
	free(g);
	free(bars);
	free(slot_of);
}
