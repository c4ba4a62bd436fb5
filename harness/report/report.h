/* report.html: a static page made from one results.json (never the other way round).
 *
 * The page is self-contained: inline style and SVG charts, no script, nothing fetched, so it
 * opens offline from the results folder. docs/report.md describes what it shows. */
#ifndef QX_REPORT_H
#define QX_REPORT_H

#include "util/error.h"

/* Reads results_json_path and writes the page to html_path (NULL: report.html in the same
 * folder), atomically: a temporary file in that folder, then rename, so a reader never sees a
 * half-written page and an old page stays when writing fails. Returns 0, or QX_ENOENT /
 * QX_EINVAL / QX_EUNSUPPORTED for a results.json it cannot read (see report_data.h), QX_EIO
 * when the page cannot be written, QX_ENOMEM. Keeps no pointer to its arguments. */
int qx_report_write(const char *results_json_path, const char *html_path, struct qx_error *err);

/* The path qx_report_write writes when html_path is NULL: malloc'd, NULL when out of memory. */
char *qx_report_default_path(const char *results_json_path);

/* `qx-bench report [-o OUT.html] RESULTS.json|RUN-FOLDER`: argv[0] is "report". Prints the
 * page's path on stdout, one line on stderr on failure; returns an exit status (enum qx_exit). */
int qx_report_main(int argc, char **argv);

#endif
