/* Accuracy against latency: which plugin and kernel set give the most accuracy for a latency. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/charts.h"
#include "report/svg.h"

#define MAX_KSETS 16
#define W 960.0
#define H 440.0
#define X0 80.0
#define X1 690.0
#define Y0 24.0
#define Y1 368.0

struct point {
	const struct qx_rep_system *sys;
	const char *kernels;
	int shape;
	double ms, acc;
	int front;
};

/* Faster first; equal latency: more accurate first, so the front takes the better one. */
static int by_latency(const void *a, const void *b)
{
	const struct point *p = a, *q = b;
	if (p->ms != q->ms)
		return p->ms < q->ms ? -1 : 1;
	return (p->acc < q->acc) - (p->acc > q->acc);
}

/* Label placement: front points carry their name, placed where it covers no mark, no other
 * label and no part of the front line. Text width is estimated from its length (11.5 px font,
 * about 6.4 px per character); each label tries positions around its point, nearest first, and
 * a name that fits nowhere is left to the tooltip and the list under the chart. */
#define CHAR_W 6.4
#define LABEL_H 13.0
#define MARK_R 8.0

struct box {
	double x0, y0, x1, y1;
};

static int boxes_meet(const struct box *a, const struct box *b)
{
	return a->x0 < b->x1 && b->x0 < a->x1 && a->y0 < b->y1 && b->y0 < a->y1;
}

/* The front staircase's segments as thin boxes. */
static int front_boxes(const struct qx_scale *x, const struct qx_scale *y, const struct point *pts,
                       int n, struct box *out)
{
	int k = 0, first = 1;
	double px0 = 0, py0 = 0;
	for (int i = 0; i < n; i++) {
		if (!pts[i].front)
			continue;
		double px = qx_scale_px(x, pts[i].ms), py = qx_scale_px(y, pts[i].acc);
		if (!first) {
			out[k++] = (struct box){ px0, py0 - 1, px + 1, py0 + 1 };           /* across */
			out[k++] = (struct box){ px - 1, fmin(py, py0), px + 1, fmax(py, py0) }; /* up */
		}
		px0 = px;
		py0 = py;
		first = 0;
	}
	if (!first)
		out[k++] = (struct box){ px0, py0 - 1, X1, py0 + 1 };
	return k;
}

static void place_labels(struct qx_html *h, const struct qx_scale *x, const struct qx_scale *y,
                         const struct point *pts, int n)
{
	if (n <= 0) /* nothing to label (and a negative count would size the buffer wrong) */
		return;
	/* Obstacles: every mark, the front's segments, then the labels placed so far. */
	struct box *ob = malloc(sizeof *ob * (size_t)(4 * n + 2)); /* marks, 2 per front step + 1, labels */
	if (!ob) {
		h->failed = 1;
		return;
	}
	int n_ob = 0;
	for (int i = 0; i < n; i++) {
		double px = qx_scale_px(x, pts[i].ms), py = qx_scale_px(y, pts[i].acc);
		ob[n_ob++] = (struct box){ px - MARK_R, py - MARK_R, px + MARK_R, py + MARK_R };
	}
	n_ob += front_boxes(x, y, pts, n, ob + n_ob);
	static const double at[][2] = { /* offset of the text box's nearest corner: dx, dy */
		{ 10, -10 }, { 10, 10 }, { -10, -10 }, { -10, 10 }, { 0, -14 }, { 0, 14 },
		{ 10, -26 }, { 10, 26 }, { -10, -26 }, { -10, 26 }, { 0, -30 }, { 0, 30 },
		{ 24, -42 }, { 24, 42 }, { -24, -42 }, { -24, 42 },
	};
	int dropped = 0;
	for (int i = 0; i < n; i++) {
		if (!pts[i].front)
			continue;
		char text[300];
		snprintf(text, sizeof text, "%s (%s)", pts[i].sys->label, pts[i].kernels);
		double w = CHAR_W * (double)strlen(text), px = qx_scale_px(x, pts[i].ms);
		double py = qx_scale_px(y, pts[i].acc);
		int placed = 0;
		for (size_t c = 0; c < sizeof at / sizeof at[0] && !placed; c++) {
			double dx = at[c][0], dy = at[c][1];
			double bx0 = dx > 0 ? px + dx : dx < 0 ? px + dx - w : px - w / 2;
			double by0 = dy < 0 ? py + dy - LABEL_H : py + dy;
			struct box b = { bx0, by0, bx0 + w, by0 + LABEL_H };
			if (b.x0 < X0 + 2 || b.x1 > X1 - 2 || b.y0 < Y0 || b.y1 > Y1 - 2)
				continue;
			int clear = 1;
			for (int k = 0; k < n_ob && clear; k++)
				clear = !boxes_meet(&b, &ob[k]);
			if (!clear)
				continue;
			ob[n_ob++] = b;
			placed = 1;
			/* Baseline 3 px above the box's bottom; a leader line when the label sits away
			 * from its point. */
			if (fabs(dy) > 14)
				qx_html_printf(h, "<line class=\"leader\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
				               "y2=\"%.1f\"/>\n", px, py + (dy < 0 ? -6 : 6),
				               dx > 0 ? b.x0 : dx < 0 ? b.x1 : px, dy < 0 ? b.y1 : b.y0);
			qx_html_printf(h, "<text class=\"point-label\" x=\"%.1f\" y=\"%.1f\" "
			               "data-box=\"%.1f %.1f %.1f %.1f\">", b.x0, b.y1 - 3, b.x0, b.y0,
			               w, LABEL_H);
			qx_html_text(h, text);
			qx_html_raw(h, "</text>\n");
		}
		dropped += !placed;
	}
	qx_html_printf(h, "<g class=\"labels-dropped\" data-count=\"%d\"/>\n", dropped);
	free(ob);
}

static void legend(struct qx_html *h, const struct qx_rep *r, const char **ksets, int n_ksets,
                   const struct point *pts, int n)
{
	double y = Y0 + 8;
	qx_html_printf(h, "<g class=\"legend\"><text class=\"legend-title\" x=\"%.1f\" y=\"%.1f\">"
	               "system</text>\n", X1 + 40, y);
	/* Room for the systems: what the kernel sets and the front key leave; a long sweep's
	 * last systems are counted, not drawn (the table and tooltips name them). */
	int rows = (int)((H - 16 - (Y0 + 8) - 60 - 20.0 * n_ksets) / 20), n_shown = 0, listed = 0;
	for (int i = 0; i < r->n_sys; i++)
		for (int j = 0; j < n; j++)
			if (pts[j].sys == &r->sys[i]) {
				n_shown++;
				break;
			}
	int unlisted = n_shown > rows ? n_shown - (rows - 1) : 0;
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		int shown = 0;
		for (int j = 0; j < n; j++)
			shown |= pts[j].sys == s;
		if (!shown || (unlisted && listed == rows - 1))
			continue;
		listed++;
		y += 20;
		/* The legend has W - X1 - 58 px: a longer label (a sweep's) is shortened in the middle,
		 * whole in its tooltip. */
		char short_label[128];
		qx_html_printf(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" rx=\"2\" "
		               "fill=\"%s\"/><text x=\"%.1f\" y=\"%.1f\"><title>", X1 + 40, y - 10,
		               qx_svg_color(s->color), X1 + 58, y);
		qx_html_text(h, s->label);
		qx_html_raw(h, "</title>");
		qx_html_text(h, qx_fmt_label(s->label, (int)((W - X1 - 66) / 7.5), short_label,
		                             sizeof short_label));
		qx_html_raw(h, "</text>\n");
	}
	if (unlisted) {
		y += 20;
		qx_html_printf(h, "<text class=\"legend-more\" x=\"%.1f\" y=\"%.1f\">+ %d more (see "
		               "the table)</text>\n", X1 + 40, y, unlisted);
	}
	y += 30;
	qx_html_printf(h, "<text class=\"legend-title\" x=\"%.1f\" y=\"%.1f\">kernel set</text>\n",
	               X1 + 40, y);
	for (int k = 0; k < n_ksets; k++) {
		int shown = 0;
		for (int j = 0; j < n; j++)
			shown |= pts[j].shape == k;
		if (!shown)
			continue;
		y += 20;
		/* Drawn like the marks, but not of class "point": the marks are what is counted. */
		qx_svg_marker(h, k, X1 + 46, y - 4, 5, "#374151", "legend-shape", ksets[k]);
		qx_html_printf(h, "<text x=\"%.1f\" y=\"%.1f\">", X1 + 58, y);
		qx_html_text(h, ksets[k]);
		qx_html_raw(h, "</text>\n");
	}
	y += 30;
	qx_html_printf(h, "<line class=\"pareto-front-key\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	               "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\">Pareto front</text></g>\n",
	               X1 + 38, y - 4, X1 + 54, y - 4, X1 + 58, y);
}

void qx_chart_pareto(struct qx_html *h, const struct qx_rep *r)
{
	int batch, threads;
	qx_html_raw(h, "<figure class=\"chart-card\"><figcaption><h3>Accuracy vs latency</h3>");
	if (qx_rep_latency_config(r, &batch, &threads)) {
		qx_html_raw(h, "<p>Top-1 accuracy against median latency per plugin and kernel set."
		            "</p></figcaption>\n");
		qx_svg_placeholder(h, "pareto-chart", "points", "not measured: this run has no latency "
		                   "measurements (--no-measure, or interrupted before measuring)");
		qx_html_raw(h, "</figure>\n");
		return;
	}
	qx_html_printf(h, "<p>Top-1 accuracy against median latency at batch %d, %d thread%s; one "
	               "point per system and kernel set. Points on the line are not beaten on both "
	               "accuracy and latency by any other.</p></figcaption>\n", batch, threads,
	               threads == 1 ? "" : "s");

	const char *ksets[MAX_KSETS];
	int n_ksets = qx_rep_kernel_names(r, ksets, MAX_KSETS);
	int max = 0;
	for (int i = 0; i < r->n_sys; i++)
		max += r->sys[i].n_meas;
	struct point *pts = calloc((size_t)(max ? max : 1), sizeof *pts);
	if (!pts) {
		h->failed = 1;
		return;
	}
	int n = 0;
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		if (s->error || !isfinite(s->accuracy))
			continue;
		for (int j = 0; j < s->n_meas; j++) {
			const struct qx_rep_meas *m = &s->meas[j];
			if (m->batch != batch || m->threads != threads)
				continue;
			int shape = qx_rep_name_index(ksets, n_ksets, m->kernels);
			pts[n++] = (struct point){ s, m->kernels, shape < 0 ? 0 : shape, m->median_ms,
			                           s->accuracy, 0 };
		}
	}
	if (n == 0) {
		qx_svg_placeholder(h, "pareto-chart", "points", "no system has both an accuracy and a "
		                   "latency at this batch and thread count");
		qx_html_raw(h, "</figure>\n");
		free(pts);
		return;
	}
	qsort(pts, (size_t)n, sizeof *pts, by_latency);
	double best = -INFINITY, lo_ms = pts[0].ms, hi_ms = pts[n - 1].ms;
	double lo_acc = INFINITY, hi_acc = -INFINITY;
	int n_front = 0;
	for (int i = 0; i < n; i++) {
		if (pts[i].acc > best) {
			pts[i].front = 1;
			best = pts[i].acc;
			n_front++;
		}
		lo_acc = fmin(lo_acc, pts[i].acc);
		hi_acc = fmax(hi_acc, pts[i].acc);
	}

	struct qx_scale x, y;
	int log_x = hi_ms / lo_ms >= 10.0;
	if (log_x)
		qx_scale_log10(&x, lo_ms, hi_ms, X0, X1);
	else
		qx_scale_linear(&x, 0.0, hi_ms * 1.05, 7, X0, X1);
	/* At least 1 point of accuracy shown, so that tiny differences do not look huge. */
	double mid = (lo_acc + hi_acc) / 2, half = fmax((hi_acc - lo_acc) / 2 * 1.15, 0.5);
	qx_scale_linear(&y, fmax(mid - half, 0.0), fmin(mid + half, 100.0), 6, Y1, Y0);

	qx_html_printf(h, "<svg id=\"pareto-chart\" class=\"chart\" data-points=\"%d\" "
	               "data-front=\"%d\" viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" height=\"%.0f\" "
	               "role=\"img\" aria-label=\"top-1 accuracy against latency\">\n", n, n_front,
	               W, H, W, H);
	qx_svg_x_axis(h, &x, Y0, Y1, log_x ? "median latency (ms per batch, log scale)"
	                                   : "median latency (ms per batch)");
	qx_svg_y_axis(h, &y, X0, X1, "top-1 accuracy (%)");

	/* The front as a staircase: the best accuracy reachable within a latency budget. */
	qx_html_raw(h, "<path class=\"pareto-front\" d=\"");
	int first = 1;
	double prev_y = 0;
	for (int i = 0; i < n; i++) {
		if (!pts[i].front)
			continue;
		double px = qx_scale_px(&x, pts[i].ms), py = qx_scale_px(&y, pts[i].acc);
		if (first)
			qx_html_printf(h, "M%.1f %.1f", px, py);
		else
			qx_html_printf(h, " L%.1f %.1f L%.1f %.1f", px, prev_y, px, py);
		prev_y = py;
		first = 0;
	}
	qx_html_printf(h, " L%.1f %.1f\"/>\n", X1, prev_y);

	char ms[32], acc[32];
	for (int i = 0; i < n; i++) {
		const struct point *p = &pts[i];
		char tip[512];
		snprintf(tip, sizeof tip, "%s, %s: %s%% top-1, %s ms per batch%s", p->sys->label,
		         p->kernels, qx_fmt_sig(p->acc, 4, acc, sizeof acc),
		         qx_fmt_sig(p->ms, 3, ms, sizeof ms), p->front ? " (on the Pareto front)" : "");
		qx_svg_marker(h, p->shape, qx_scale_px(&x, p->ms), qx_scale_px(&y, p->acc), 6,
		              qx_svg_color(p->sys->color), "point", tip);
	}
	place_labels(h, &x, &y, pts, n);
	legend(h, r, ksets, n_ksets, pts, n);
	qx_html_raw(h, "</svg>\n<p class=\"front-list\">On the Pareto front, fastest first: ");
	for (int i = 0, k = 0; i < n; i++) {
		if (!pts[i].front)
			continue;
		qx_html_raw(h, k++ ? ", " : "");
		qx_html_textf(h, "%s (%s)", pts[i].sys->label, pts[i].kernels);
	}
	qx_html_raw(h, ".</p>\n</figure>\n");
	free(pts);
}
