#include "report/html_out.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

void qx_html_raw(struct qx_html *h, const char *markup)
{
	if (fputs(markup, h->f) == EOF)
		h->failed = 1;
}

void qx_html_printf(struct qx_html *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vfprintf(h->f, fmt, ap) < 0)
		h->failed = 1;
	va_end(ap);
}

void qx_html_text(struct qx_html *h, const char *text)
{
	if (!text)
		return;
	for (const char *p = text; *p; p++) {
		const char *esc = NULL;
		switch (*p) {
		case '&': esc = "&amp;"; break;
		case '<': esc = "&lt;"; break;
		case '>': esc = "&gt;"; break;
		case '"': esc = "&quot;"; break;
		case '\'': esc = "&#39;"; break;
		}
		if (esc ? fputs(esc, h->f) == EOF : fputc(*p, h->f) == EOF)
			h->failed = 1;
	}
}

void qx_html_textf(struct qx_html *h, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	qx_html_text(h, buf);
}

char *qx_fmt_sig(double v, int sig, char *buf, size_t size)
{
	if (!isfinite(v)) {
		snprintf(buf, size, "\xe2\x80\x93");
		return buf;
	}
	int decimals = 0;
	if (v != 0.0) {
		int magnitude = (int)floor(log10(fabs(v)));
		decimals = sig - 1 - magnitude;
	}
	if (decimals < 0)
		decimals = 0;
	if (decimals > 9)
		decimals = 9;
	snprintf(buf, size, "%.*f", decimals, v);
	return buf;
}

char *qx_fmt_count(double v, char *buf, size_t size)
{
	if (!isfinite(v)) {
		snprintf(buf, size, "\xe2\x80\x93");
		return buf;
	}
	char digits[64];
	snprintf(digits, sizeof digits, "%.0f", fabs(v));
	size_t n = strlen(digits), o = 0;
	if (v < 0 && o + 1 < size && strcmp(digits, "0") != 0)
		buf[o++] = '-';
	for (size_t i = 0; i < n && o + 2 < size; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = digits[i];
	}
	buf[o] = '\0';
	return buf;
}

char *qx_fmt_label(const char *label, int max, char *buf, size_t size)
{
	int len = (int)strlen(label);
	if (len <= max) {
		snprintf(buf, size, "%s", label);
		return buf;
	}
	int head = (max - 1) * 2 / 5, tail = max - 1 - head;
	snprintf(buf, size, "%.*s\xe2\x80\xa6%s", head, label, label + len - tail);
	return buf;
}

char *qx_fmt_bytes(int64_t bytes, char *buf, size_t size)
{
	char num[32];
	if (bytes < 0)
		snprintf(buf, size, "\xe2\x80\x93");
	else if (bytes < 1024)
		snprintf(buf, size, "%lld B", (long long)bytes);
	else if (bytes < 1024 * 1024)
		snprintf(buf, size, "%s KiB", qx_fmt_sig((double)bytes / 1024.0, 3, num, sizeof num));
	else if (bytes < 1024LL * 1024 * 1024)
		snprintf(buf, size, "%s MiB", qx_fmt_sig((double)bytes / (1024.0 * 1024.0), 3, num,
		                                          sizeof num));
	else
		snprintf(buf, size, "%s GiB", qx_fmt_sig((double)bytes / (1024.0 * 1024.0 * 1024.0), 3,
		                                          num, sizeof num));
	return buf;
}
