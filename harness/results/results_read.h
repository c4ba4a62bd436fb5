/* The one reader of results.json: `qx-bench compare`, `qx-bench history` and the report all open
 * a results document here, so that they accept and refuse the same files.
 *
 * Strict where schemas/results.schema.json is strict: every part a reader uses must have the
 * schema's type and fixed values (schema_version 1 .. QX_RESULTS_SCHEMA_VERSION, a measurement's
 * unit "ms/batch", a kernel-set check without measurements, ...); a file that breaks that is
 * refused with one message naming the file and the JSON path ("plugins[2].measurements[0].unit")
 * and what was expected. Parts the schema lets a partial run lack (an interrupted or --no-measure
 * run, a plugin that failed) may be absent: the views (compare/run_view.h, report/report_data.h)
 * say what they could not show. The writers' side is checked by tests/results_schema.sh, which
 * validates a real run's results.json against the schema. */
#ifndef QX_RESULTS_READ_H
#define QX_RESULTS_READ_H

#include <stdint.h>

#include <jansson.h>

#include "util/error.h"

struct qx_results_file {
	char *path;                /* the results.json read (a run folder's, when given one) */
	json_t *root;              /* the document, checked as above */
	int64_t schema_version;
};

/* Reads path: a results.json, or a run folder holding one. QX_ENOENT when there is no such
 * file, QX_EINVAL when it is not JSON (path:line:column), not a results document or breaks the
 * schema (path: JSON path: what was expected), QX_EUNSUPPORTED for a newer schema_version,
 * QX_ENOMEM. On failure f is left empty. */
int qx_results_open(const char *path, struct qx_results_file *f, struct qx_error *err);

void qx_results_close(struct qx_results_file *f);

/* The schema check qx_results_open makes, on a document in memory (the run's own, before the
 * conclusion reads it); file names it in the message. 0, or QX_EINVAL with err set. */
int qx_results_check(json_t *root, const char *file, struct qx_error *err);

#endif
