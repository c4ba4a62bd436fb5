/* The parts of report.html: page.c writes the document around them (style, header, notes),
 * table.c the results table, charts.h the charts. */
#ifndef QX_REPORT_PAGE_H
#define QX_REPORT_PAGE_H

#include "report/html_out.h"
#include "report/report_data.h"

/* The whole page for r; errors show up as h->failed. */
void qx_report_page(struct qx_html *h, const struct qx_rep *r);

/* The results table: one row per system and kernel set, error rows with their message. */
void qx_report_table(struct qx_html *h, const struct qx_rep *r);

#endif
