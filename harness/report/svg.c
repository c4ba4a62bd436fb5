#include "report/svg.h"

#include <math.h>
#include <string.h>

/* A results.json may hold 0, subnormal, huge, NaN or infinite figures (a corrupt or hand-edited
 * file, a timer that read 0). Scales keep to magnitudes in [SCALE_TINY, SCALE_HUGE], where
 * log10, pow and the span arithmetic stay finite and normal, so that no NaN, no infinite pixel and
 * no out-of-range int reaches the page; values outside are drawn at the axis's end. */
#define SCALE_TINY 1e-280
#define SCALE_HUGE 1e280

/* v with a magnitude below SCALE_TINY read as 0, above SCALE_HUGE as +-SCALE_HUGE; NaN as 0. */
static double tame(double v)
{
	if (isnan(v) || fabs(v) < SCALE_TINY)
		return 0.0;
	return fmax(fmin(v, SCALE_HUGE), -SCALE_HUGE);
}

static double nice_step(double raw)
{
	double mag = pow(10.0, floor(log10(raw)));
	double f = raw / mag;
	double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
	return nice * mag;
}

void qx_scale_linear(struct qx_scale *s, double lo, double hi, int target, double px_lo,
                     double px_hi)
{
	memset(s, 0, sizeof *s);
	if (!isfinite(lo) || !isfinite(hi)) {
		lo = 0.0;
		hi = 1.0;
	}
	lo = tame(lo);
	hi = tame(hi);
	if (hi < lo) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	if (hi - lo < 1e-12 * (fabs(lo) + fabs(hi)) || hi - lo < SCALE_TINY) {
		double pad = lo != 0.0 ? fabs(lo) * 0.05 : 0.5;
		lo -= pad;
		hi += pad;
	}
	if (target < 2)
		target = 2;
	double step = nice_step((hi - lo) / (target - 1));
	lo = floor(lo / step + 1e-9) * step;
	hi = ceil(hi / step - 1e-9) * step;
	while ((hi - lo) / step + 1 > QX_SVG_MAX_TICKS)
		step *= 2.0;
	s->lo = lo;
	s->hi = hi;
	s->step = step;
	s->px_lo = px_lo;
	s->px_hi = px_hi;
	for (double v = lo; v <= hi + step * 1e-6 && s->n_ticks < QX_SVG_MAX_TICKS; v += step)
		s->ticks[s->n_ticks++] = fabs(v) < step * 1e-9 ? 0.0 : v;
}

void qx_scale_log10(struct qx_scale *s, double lo, double hi, double px_lo, double px_hi)
{
	static const double steps125[] = { 1.0, 2.0, 5.0 }, steps1[] = { 1.0 };
	memset(s, 0, sizeof *s);
	s->log = 1;
	s->px_lo = px_lo;
	s->px_hi = px_hi;
	/* Both ends positive and within [SCALE_TINY, SCALE_HUGE]; an empty span gets a decade. */
	lo = isfinite(lo) && lo > 0 ? fmax(tame(lo), SCALE_TINY) : SCALE_TINY;
	hi = isfinite(hi) && hi > 0 ? fmax(tame(hi), SCALE_TINY) : lo * 10;
	if (hi < lo) {
		double t = lo;
		lo = hi;
		hi = t;
	}
	if (hi == lo)
		hi = lo * 10;
	/* Over more than 3 decades, 2 and 5 would crowd the axis: decades only. */
	int wide = log10(hi / lo) > 3.0;
	const double *mantissa = wide ? steps1 : steps125;
	int n_mantissa = wide ? 1 : 3;
	int k = (int)floor(log10(lo));
	double start = pow(10.0, k);
	for (int i = n_mantissa - 1; i >= 0; i--)
		if (mantissa[i] * pow(10.0, k) <= lo * (1 + 1e-9)) {
			start = mantissa[i] * pow(10.0, k);
			break;
		}
	s->lo = start;
	s->hi = start;
	for (int e = k; s->n_ticks < QX_SVG_MAX_TICKS; e++) {
		for (int i = 0; i < n_mantissa && s->n_ticks < QX_SVG_MAX_TICKS; i++) {
			double v = mantissa[i] * pow(10.0, e);
			if (v < start * (1 - 1e-9))
				continue;
			s->ticks[s->n_ticks++] = v;
			s->hi = v;
			if (v >= hi * (1 - 1e-9))
				return;
		}
	}
	s->hi = hi;   /* out of ticks: the data still fits */
}

double qx_scale_px(const struct qx_scale *s, double v)
{
	double t = s->log ? (log10(v) - log10(s->lo)) / (log10(s->hi) - log10(s->lo))
	                  : (v - s->lo) / (s->hi - s->lo);
	/* A value the scale cannot place (NaN, <= 0 on a log axis, beyond the data range the
	 * scale was built for by far) sits at most ten axis lengths out, never at a NaN or infinite
	 * pixel. */
	if (isnan(t))
		t = 0.0;
	t = fmax(fmin(t, 11.0), -10.0);
	return s->px_lo + t * (s->px_hi - s->px_lo);
}

char *qx_scale_label(const struct qx_scale *s, double v, char *buf, size_t size)
{
	if (s->log)
		return qx_fmt_sig(v, 1, buf, size);
	int decimals = 0;
	/* Enough decimals to tell steps apart: 0.25 needs two, 0.5 one, 5 none. */
	for (double st = s->step; decimals < 9 && fabs(st - round(st)) > 1e-9 * s->step; st *= 10)
		decimals++;
	snprintf(buf, size, "%.*f", decimals, v);
	return buf;
}

void qx_svg_x_axis(struct qx_html *h, const struct qx_scale *x, double y0, double y1,
                   const char *title)
{
	char label[32];
	qx_html_raw(h, "<g class=\"axis x-axis\">\n");
	for (int i = 0; i < x->n_ticks; i++) {
		double px = qx_scale_px(x, x->ticks[i]);
		qx_html_printf(h, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		               "y2=\"%.1f\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
		               "text-anchor=\"middle\">%s</text>\n", px, y0, px, y1, px, y1 + 16,
		               qx_scale_label(x, x->ticks[i], label, sizeof label));
	}
	double x0 = qx_scale_px(x, x->lo), x1 = qx_scale_px(x, x->hi);
	qx_html_printf(h, "<line class=\"axis-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	               "y2=\"%.1f\"/>\n", x0, y1, x1, y1);
	qx_html_printf(h, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
	               (x0 + x1) / 2, y1 + 38);
	qx_html_text(h, title);
	qx_html_raw(h, "</text>\n</g>\n");
}

void qx_svg_y_axis(struct qx_html *h, const struct qx_scale *y, double x0, double x1,
                   const char *title)
{
	char label[32];
	qx_html_raw(h, "<g class=\"axis y-axis\">\n");
	for (int i = 0; i < y->n_ticks; i++) {
		double py = qx_scale_px(y, y->ticks[i]);
		qx_html_printf(h, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		               "y2=\"%.1f\"/><text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
		               "text-anchor=\"end\">%s</text>\n", x0, py, x1, py, x0 - 8, py + 4,
		               qx_scale_label(y, y->ticks[i], label, sizeof label));
	}
	double y0 = qx_scale_px(y, y->lo), y1 = qx_scale_px(y, y->hi);
	qx_html_printf(h, "<line class=\"axis-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	               "y2=\"%.1f\"/>\n", x0, y0, x0, y1);
	double cy = (y0 + y1) / 2;
	qx_html_printf(h, "<text class=\"axis-title\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" "
	               "transform=\"rotate(-90 %.1f %.1f)\">", x0 - 52, cy, x0 - 52, cy);
	qx_html_text(h, title);
	qx_html_raw(h, "</text>\n</g>\n");
}

const char *qx_svg_color(int i)
{
	/* fp32 grey, then ten colours told apart also with colour blindness (Okabe-Ito first). */
	static const char *const palette[] = {
		"#6b7280",
		"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#b8a200",
		"#000000", "#7c3aed", "#9f1239",
	};
	int n = (int)(sizeof palette / sizeof palette[0]);
	if (i <= 0)
		return palette[0];
	return palette[1 + (i - 1) % (n - 1)];
}

void qx_svg_marker(struct qx_html *h, int shape, double cx, double cy, double r,
                   const char *color, const char *css_class, const char *tooltip)
{
	/* Every shape as a path, so that one element type carries the class and the tooltip. */
	char d[256];
	switch (shape % 5) {
	case 0:   /* circle: two half arcs */
		snprintf(d, sizeof d, "M%.1f %.1fa%.1f %.1f 0 1 0 %.1f 0a%.1f %.1f 0 1 0 %.1f 0Z",
		         cx - r, cy, r, r, 2 * r, r, r, -2 * r);
		break;
	case 1:   /* square */
		snprintf(d, sizeof d, "M%.1f %.1fh%.1fv%.1fh%.1fZ", cx - r * 0.9, cy - r * 0.9,
		         r * 1.8, r * 1.8, -r * 1.8);
		break;
	case 2:   /* triangle */
		snprintf(d, sizeof d, "M%.1f %.1fL%.1f %.1fL%.1f %.1fZ", cx, cy - r * 1.2,
		         cx + r * 1.1, cy + r * 0.8, cx - r * 1.1, cy + r * 0.8);
		break;
	case 3:   /* diamond */
		snprintf(d, sizeof d, "M%.1f %.1fL%.1f %.1fL%.1f %.1fL%.1f %.1fZ", cx, cy - r * 1.25,
		         cx + r * 1.25, cy, cx, cy + r * 1.25, cx - r * 1.25, cy);
		break;
	default:  /* inverted triangle */
		snprintf(d, sizeof d, "M%.1f %.1fL%.1f %.1fL%.1f %.1fZ", cx, cy + r * 1.2,
		         cx + r * 1.1, cy - r * 0.8, cx - r * 1.1, cy - r * 0.8);
		break;
	}
	qx_html_printf(h, "<path class=\"%s\" d=\"%s\" fill=\"%s\"><title>", css_class, d, color);
	qx_html_text(h, tooltip);
	qx_html_raw(h, "</title></path>\n");
}

void qx_svg_placeholder(struct qx_html *h, const char *id, const char *count_attr,
                        const char *message)
{
	qx_html_printf(h, "<svg id=\"%s\" class=\"chart placeholder\" data-%s=\"0\" "
	               "viewBox=\"0 0 960 90\" width=\"960\" height=\"90\" role=\"img\">"
	               "<rect x=\"0.5\" y=\"0.5\" width=\"959\" height=\"89\" rx=\"6\" "
	               "class=\"placeholder-box\"/><text x=\"480\" y=\"50\" text-anchor=\"middle\" "
	               "class=\"placeholder-text\">", id, count_attr);
	qx_html_text(h, message);
	qx_html_raw(h, "</text></svg>\n");
}
