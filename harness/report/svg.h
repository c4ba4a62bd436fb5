/* SVG pieces the report's charts share: scales with readable ticks, axes with grid lines,
 * markers, the palette, and the "not measured" placeholder. Coordinates are SVG user units
 * (pixels at 100% zoom), y growing downwards. */
#ifndef QX_REPORT_SVG_H
#define QX_REPORT_SVG_H

#include "report/html_out.h"

#define QX_SVG_MAX_TICKS 24

/* Maps data values in [lo, hi] to pixels in [px_lo, px_hi] (px_hi < px_lo for a y axis). */
struct qx_scale {
	double lo, hi;
	double px_lo, px_hi;
	int log;                   /* log10 scale (lo > 0) */
	double ticks[QX_SVG_MAX_TICKS];
	int n_ticks;
	double step;               /* linear tick spacing (labels get its decimals); 0 for log */
};

/* A linear scale over at least [lo, hi], widened to whole multiples of a 1, 2, 2.5 or 5 x 10^k
 * step so that there are about target ticks; lo == hi gets a span around the value. */
void qx_scale_linear(struct qx_scale *s, double lo, double hi, int target, double px_lo,
                     double px_hi);
/* A log10 scale over at least [lo, hi] (both > 0), widened to 1, 2 or 5 x 10^k, ticks there. */
void qx_scale_log10(struct qx_scale *s, double lo, double hi, double px_lo, double px_hi);
double qx_scale_px(const struct qx_scale *s, double v);
/* A tick's label, with as many decimals as the step needs. */
char *qx_scale_label(const struct qx_scale *s, double v, char *buf, size_t size);

/* Axes of a plot area [x0, x1] x [y0 (top), y1 (bottom)]: ticks, labels, light grid lines,
 * and the axis title (text, escaped here). */
void qx_svg_x_axis(struct qx_html *h, const struct qx_scale *x, double y0, double y1,
                   const char *title);
void qx_svg_y_axis(struct qx_html *h, const struct qx_scale *y, double x0, double x1,
                   const char *title);

/* Colour of palette index i (0 is fp32's grey); colour-blind safe (Okabe-Ito). */
const char *qx_svg_color(int i);

/* A marker of shape index (circle, square, triangle, diamond, inverted triangle, cycling)
 * centred on (cx, cy), of CSS class css_class ("point" for data marks), with a tooltip (escaped
 * here). */
void qx_svg_marker(struct qx_html *h, int shape, double cx, double cy, double r,
                   const char *color, const char *css_class, const char *tooltip);

/* The chart's svg element when there is nothing to draw: its id, data-<count_attr>="0", and a
 * centred message (escaped here). */
void qx_svg_placeholder(struct qx_html *h, const char *id, const char *count_attr,
                        const char *message);

#endif
