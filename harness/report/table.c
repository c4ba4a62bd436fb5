/* The results table: system x kernel set, accuracy columns once per system (they are the same
 * on every kernel set, which are bit-identical), latency and throughput per kernel set. */
#include <math.h>
#include <string.h>

#include "report/page.h"
#include "report/svg.h"

#define MAX_KSETS 16
#define COLUMNS 10

/* The kernel sets a system has rows for: its kernel_sets[], then any measured on others. */
static int system_ksets(const struct qx_rep_system *s, const char **names)
{
	int n = 0;
	for (int i = 0; i < s->n_ksets && n < MAX_KSETS; i++)
		if (qx_rep_name_index(names, n, s->ksets[i].name) < 0)
			names[n++] = s->ksets[i].name;
	for (int i = 0; i < s->n_meas && n < MAX_KSETS; i++)
		if (qx_rep_name_index(names, n, s->meas[i].kernels) < 0)
			names[n++] = s->meas[i].kernels;
	if (n == 0)
		names[n++] = s->accuracy_kernels ? s->accuracy_kernels : "";
	return n;
}

static const struct qx_rep_kset *find_kset(const struct qx_rep_system *s, const char *name)
{
	for (int i = 0; i < s->n_ksets; i++)
		if (strcmp(s->ksets[i].name, name) == 0)
			return &s->ksets[i];
	return NULL;
}

static void dash(struct qx_html *h)
{
	qx_html_raw(h, "<td class=\"num muted\">\xe2\x80\x93</td>");
}

/* Under an int8 accuracy: whether the reference simulation backs it (docs/numerics.md). A
 * MISTRUSTED figure says so where it is read, with the reason. */
static void trust_mark(struct qx_html *h, const struct qx_rep_system *s)
{
	if (s->is_fp32 || !s->trust)
		return;
	if (strcmp(s->trust, "MISTRUSTED") == 0) {
		qx_html_raw(h, "<br><span class=\"bad\">MISTRUSTED</span>");
		if (s->trust_reason) {
			qx_html_raw(h, "<div class=\"mismatch\">");
			qx_html_text(h, s->trust_reason);
			qx_html_raw(h, "</div>");
		}
	} else if (strcmp(s->trust, "trusted") == 0) {
		qx_html_printf(h, "<br><span class=\"ci ok\" title=\"matches the reference simulation "
		               "of its plan on %lld images\">checked</span>", (long long)s->trust_images);
	} else if (strcmp(s->trust, "simulated") == 0) {
		/* No int8 kernel runs the plan: the figure is the simulation's own (no check). */
		qx_html_raw(h, "<br><span class=\"ci muted\" title=\"");
		qx_html_text(h, s->trust_reason ? s->trust_reason : "simulated");
		qx_html_raw(h, "\">simulated, no kernel</span>");
	} else {
		qx_html_raw(h, "<br><span class=\"ci muted\" title=\"check.reference_images is 0\">"
		            "unchecked</span>");
	}
}

/* Accuracy, drop, agreement, size and size ratio: once per system, spanning its rows. */
static void system_cells(struct qx_html *h, const struct qx_rep *r,
                         const struct qx_rep_system *s, int rows)
{
	char a[32], b[32], c[32];
	const struct qx_rep_system *fp32 = qx_rep_fp32(r);
	qx_html_printf(h, "<td class=\"num\" rowspan=\"%d\"", rows);
	if (s->images > 0 && s->correct >= 0)
		qx_html_printf(h, " title=\"%lld of %lld images\"", (long long)s->correct,
		               (long long)s->images);
	qx_html_printf(h, ">%s%s", qx_fmt_sig(s->accuracy, 4, a, sizeof a),
	               isfinite(s->accuracy) ? "%" : "");
	trust_mark(h, s);
	qx_html_raw(h, "</td>");
	if (s->is_fp32 || !isfinite(s->drop)) {
		qx_html_printf(h, "<td class=\"num muted\" rowspan=\"%d\">\xe2\x80\x93</td>", rows);
	} else {
		qx_html_printf(h, "<td class=\"num\" rowspan=\"%d\">%+.2f", rows, s->drop);
		if (isfinite(s->drop_lo) && isfinite(s->drop_hi))
			qx_html_printf(h, "<br><span class=\"ci\">[%+.2f, %+.2f]</span>", s->drop_lo,
			               s->drop_hi);
		qx_html_raw(h, "</td>");
	}
	if (s->is_fp32 || !isfinite(s->agreement))
		qx_html_printf(h, "<td class=\"num muted\" rowspan=\"%d\">\xe2\x80\x93</td>", rows);
	else
		qx_html_printf(h, "<td class=\"num\" rowspan=\"%d\">%.2f%%</td>", rows, s->agreement);
	/* Size and its ratio to fp32 in one cell: the ratio is what a reader compares. */
	qx_html_printf(h, "<td class=\"num\" rowspan=\"%d\"", rows);
	if (s->model_bytes >= 0)
		qx_html_printf(h, " title=\"%lld bytes\"", (long long)s->model_bytes);
	qx_html_printf(h, ">%s", qx_fmt_bytes(s->model_bytes, b, sizeof b));
	if (fp32 && fp32->model_bytes > 0 && s->model_bytes >= 0)
		qx_html_printf(h, " <span class=\"ci\">%s\xc3\x97</span>",
		               qx_fmt_sig((double)s->model_bytes / (double)fp32->model_bytes, 3, c,
		                          sizeof c));
	qx_html_raw(h, "</td>");
}

static void bit_identical_cell(struct qx_html *h, const struct qx_rep_system *s,
                               const char *kset)
{
	const struct qx_rep_kset *k = find_kset(s, kset);
	if (!s->is_fp32 && s->trust && strcmp(s->trust, "simulated") == 0) {
		qx_html_raw(h, "<td class=\"muted\">n/a: no kernel (simulated)</td>");
	} else if (s->is_fp32 || !k || k->bit_identical < 0) {
		qx_html_raw(h, "<td class=\"muted\">\xe2\x80\x93</td>");
	} else if (k->bit_identical && k->checked_images < 0) {
		qx_html_raw(h, "<td class=\"ok\">reference</td>");
	} else if (k->bit_identical) {
		qx_html_printf(h, "<td class=\"ok\">yes <span class=\"ci\">%lld images</span></td>",
		               (long long)k->checked_images);
	} else {
		qx_html_raw(h, "<td class=\"bad\">NO");
		if (k->mismatch) {
			qx_html_raw(h, "<div class=\"mismatch\">");
			qx_html_text(h, k->mismatch);
			qx_html_raw(h, "</div>");
		}
		qx_html_raw(h, "</td>");
	}
}

/* Under a median: how far it can be trusted. The interval of the median over the rounds (or
 * cv), p99, and a warning sign whose tooltip says what disturbed the measurement. */
static void noise_line(struct qx_html *h, const struct qx_rep_meas *m)
{
	char a[32], b[32], c[32];
	qx_html_raw(h, "<br><span class=\"noise\">");
	if (isfinite(m->ci_lo_ms) && isfinite(m->ci_hi_ms) && m->median_ms > 0) {
		double half = 50.0 * (m->ci_hi_ms - m->ci_lo_ms) / m->median_ms;
		qx_html_printf(h, "<span title=\"95%% interval of the median over the rounds: %s to %s "
		               "ms\">\xc2\xb1%s%%</span> ", qx_fmt_sig(m->ci_lo_ms, 3, a, sizeof a),
		               qx_fmt_sig(m->ci_hi_ms, 3, b, sizeof b),
		               qx_fmt_sig(half < 0.1 ? 0.1 : half, 2, c, sizeof c));
	} else if (isfinite(m->cv)) {
		qx_html_printf(h, "cv %s%% ", qx_fmt_sig(100 * m->cv, 2, a, sizeof a));
	}
	if (isfinite(m->p99_ms))
		qx_html_printf(h, "p99 %s", qx_fmt_sig(m->p99_ms, 3, a, sizeof a));
	if (m->warnings) {
		qx_html_raw(h, " <span class=\"warn\" title=\"");
		qx_html_text(h, m->warnings);
		qx_html_raw(h, "\">\xe2\x9a\xa0</span>");
	}
	qx_html_raw(h, "</span>");
}

static void latency_cells(struct qx_html *h, const struct qx_rep *r,
                          const struct qx_rep_system *s, const char *kset, int batch,
                          int threads, int largest)
{
	char a[32], b[32];
	const struct qx_rep_meas *m = batch >= 0 ? qx_rep_find(s, kset, threads, batch) : NULL;
	double ratio, lo, hi;
	int no_kernel = !s->is_fp32 && s->trust && strcmp(s->trust, "simulated") == 0;
	if (!m && no_kernel) {
		qx_html_raw(h, "<td class=\"muted\" title=\"no int8 kernel runs this plan: it was "
		            "evaluated on the reference simulation\">no kernel</td>");
		dash(h);
	} else if (!m) {
		dash(h);
		dash(h);
	} else {
		qx_html_printf(h, "<td class=\"num\">%s", qx_fmt_sig(m->median_ms, 3, a, sizeof a));
		noise_line(h, m);
		qx_html_raw(h, "</td>");
		if (s->is_fp32 || qx_rep_speedup(r, m, &ratio, &lo, &hi)) {
			dash(h);
		} else {
			qx_html_printf(h, "<td class=\"num\">%s\xc3\x97", qx_fmt_sig(ratio, 3, a, sizeof a));
			if (isfinite(lo))
				qx_html_printf(h, "<br><span class=\"ci\">[%s, %s]</span>",
				               qx_fmt_sig(lo, 3, a, sizeof a), qx_fmt_sig(hi, 3, b, sizeof b));
			qx_html_raw(h, "</td>");
		}
	}
	/* Throughput: the best thread count at the largest batch. */
	const struct qx_rep_meas *best = NULL;
	for (int i = 0; i < s->n_meas; i++) {
		const struct qx_rep_meas *t = &s->meas[i];
		if (strcmp(t->kernels, kset) == 0 && t->batch == largest && isfinite(t->images_per_s) &&
		    (!best || t->images_per_s > best->images_per_s))
			best = t;
	}
	if (!best)
		dash(h);
	else
		qx_html_printf(h, "<td class=\"num\">%s<br><span class=\"ci\">%d thr</span></td>",
		               qx_fmt_count(best->images_per_s, a, sizeof a), best->threads);
}

/* A label, with a line-break opportunity before a sweep's "[" and after each "," in it, so that
 * long configuration labels wrap instead of widening the table. */
static void label_text(struct qx_html *h, const char *label)
{
	char piece[256];
	for (const char *p = label; *p;) {
		size_t n = strcspn(p, "[,");
		size_t take = n + (p[n] == ',');
		if (take >= sizeof piece)
			take = sizeof piece - 1;
		if (take) {
			memcpy(piece, p, take);
			piece[take] = '\0';
			qx_html_text(h, piece);
		}
		p += take;
		if (*p == '[') {
			qx_html_raw(h, "<wbr>[");
			p++;
		} else if (*p) {
			qx_html_raw(h, "<wbr>");
		}
	}
}

static void system_rows(struct qx_html *h, const struct qx_rep *r, const struct qx_rep_system *s,
                        int batch, int threads, int largest)
{
	if (s->error) {
		qx_html_raw(h, "<tr class=\"error-row\"><th scope=\"row\">");
		qx_html_text(h, s->label);
		qx_html_printf(h, "</th><td colspan=\"%d\"><strong>error:</strong> ", COLUMNS - 1);
		qx_html_text(h, s->error);
		qx_html_raw(h, "</td></tr>\n");
		return;
	}
	const char *names[MAX_KSETS];
	int n = system_ksets(s, names);
	for (int i = 0; i < n; i++) {
		qx_html_printf(h, "<tr class=\"%s%s\">", s->is_fp32 ? "fp32-row" : "plugin-row",
		               i == 0 ? " first" : "");
		if (i == 0) {
			qx_html_printf(h, "<th scope=\"row\" rowspan=\"%d\"><span class=\"swatch\" "
			               "style=\"background:%s\"></span>", n, qx_svg_color(s->color));
			label_text(h, s->label);
			if (s->plugin_name || s->description) {
				qx_html_raw(h, "<div class=\"plugin-meta\" title=\"");
				qx_html_text(h, s->description);
				qx_html_raw(h, "\">");
				qx_html_text(h, s->plugin_name);
				if (s->plugin_version) {
					qx_html_raw(h, " ");
					qx_html_text(h, s->plugin_version);
				}
				qx_html_raw(h, "</div>");
			}
			if (s->same_plan_as) {
				qx_html_raw(h, "<div class=\"plugin-meta same-plan\">same plan as ");
				qx_html_text(h, s->same_plan_as);
				qx_html_raw(h, ": accuracy and latency measured once</div>");
			}
			qx_html_raw(h, "</th>");
		}
		qx_html_raw(h, "<td class=\"kset\">");
		qx_html_text(h, names[i][0] ? names[i] : "\xe2\x80\x93");
		qx_html_raw(h, "</td>");
		if (i == 0)
			system_cells(h, r, s, n);
		bit_identical_cell(h, s, names[i]);
		latency_cells(h, r, s, names[i], batch, threads, largest);
		qx_html_raw(h, "</tr>\n");
	}
}

void qx_report_table(struct qx_html *h, const struct qx_rep *r)
{
	int batch = -1, threads = -1;
	int measured = qx_rep_latency_config(r, &batch, &threads) == 0;
	int largest = qx_rep_largest_batch(r);
	qx_html_raw(h, "<section><h2>Results</h2>\n<div class=\"table-wrap\">"
	            "<table id=\"results-table\">\n<thead><tr><th scope=\"col\">system</th>"
	            "<th scope=\"col\">kernels</th>"
	            "<th scope=\"col\" class=\"num\">top-1</th>"
	            "<th scope=\"col\" class=\"num\">drop vs fp32<br><span class=\"unit\">points "
	            "[95% CI]</span></th>"
	            "<th scope=\"col\" class=\"num\">agreement<br><span class=\"unit\">with fp32"
	            "</span></th>"
	            "<th scope=\"col\" class=\"num\">size<br><span class=\"unit\">\xc3\x97 fp32"
	            "</span></th>"
	            "<th scope=\"col\">bit-identical<br><span class=\"unit\">to scalar</span></th>");
	if (measured)
		qx_html_printf(h, "<th scope=\"col\" class=\"num\">latency<br><span class=\"unit\">"
		               "median, ms<br>batch %d, %d thr</span></th>"
		               "<th scope=\"col\" class=\"num\">speedup<br><span class=\"unit\">vs fp32<br>"
		               "[95%% CI]</span></th>"
		               "<th scope=\"col\" class=\"num\">throughput<br><span class=\"unit\">"
		               "images/s<br>batch %d</span></th>", batch, threads, largest);
	else
		qx_html_raw(h, "<th scope=\"col\" class=\"num\">latency</th><th scope=\"col\" "
		            "class=\"num\">speedup</th><th scope=\"col\" class=\"num\">throughput</th>");
	qx_html_raw(h, "</tr></thead>\n<tbody>\n");
	for (int i = 0; i < r->n_sys; i++)
		system_rows(h, r, &r->sys[i], measured ? batch : -1, threads, largest);
	qx_html_raw(h, "</tbody></table></div>\n");
	if (!measured)
		qx_html_raw(h, "<p class=\"muted\">Latency not measured in this run (--no-measure, or "
		            "interrupted before measuring).</p>\n");
	qx_html_raw(h, "</section>\n");
}
