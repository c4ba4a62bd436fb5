/* Writing report.html: escaped text, raw markup and the number formats the page uses.
 *
 * Every string that comes from results.json goes through qx_html_text (or qx_html_attr), which
 * escapes & < > " and ', so a plugin label or error message can never become markup. Write
 * errors are remembered (failed) and reported once at the end, not after every call. */
#ifndef QX_REPORT_HTML_OUT_H
#define QX_REPORT_HTML_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct qx_html {
	FILE *f;                   /* borrowed; the caller opens and closes it */
	int failed;                /* a write failed */
};

/* Markup written as is: only for text the report code itself wrote. */
void qx_html_raw(struct qx_html *h, const char *markup);
void qx_html_printf(struct qx_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Text from the document, escaped (NULL writes nothing). Safe inside elements and attributes. */
void qx_html_text(struct qx_html *h, const char *text);
/* printf, then escaped: for labels built from document strings. */
void qx_html_textf(struct qx_html *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Number formats; each writes into buf (size >= 32) and returns it. NaN gives "–". */
/* v with sig significant digits, no exponent: 0.0123, 1.23, 123 (sig 3). */
char *qx_fmt_sig(double v, int sig, char *buf, size_t size);
/* A count with thousands separators: 12,345 (rounded to an integer). */
char *qx_fmt_count(double v, char *buf, size_t size);
/* Bytes in binary units: 812 B, 5.73 KiB, 1.20 MiB. */
char *qx_fmt_bytes(int64_t bytes, char *buf, size_t size);
/* label itself when it has at most max characters (max >= 8), else its start and end around
 * "…" in max characters, so that a sweep's "base[key=value,...]" keeps both ends; for
 * charts with a fixed width (the full label goes in the mark's tooltip). */
char *qx_fmt_label(const char *label, int max, char *buf, size_t size);

#endif
