/* results.json: one run's results as a versioned JSON document (jansson), rewritten atomically
 * (temporary file, then rename) after every plugin, so an interrupted run keeps what it measured.
 * docs/results-format.md describes the schema. */
#ifndef QX_RESULTS_H
#define QX_RESULTS_H

#include <jansson.h>

#include "suite/suite.h"
#include "util/error.h"

#define QX_RESULTS_SCHEMA_VERSION 1

struct qx_results {
	json_t *root;              /* the document */
	json_t *plugins;           /* root.plugins, an array */
	char *dir;                 /* results/<suite>/<run-id>, created */
	char *path;                /* <dir>/results.json */
};

/* Creates <root_dir>/<suite name>/<run id>/ (run id: UTC time, e.g. 20261123T061502Z, with a
 * -N suffix when taken) and starts the document with the suite, the tool and the machine.
 * tag is "nightly" or "ad-hoc" (qx-bench --nightly): nightly tracking reads only nightly runs.
 * The document says "state": "running" until qx_results_finish, so a file left behind by a
 * process that was killed outright (SIGKILL, a crash, power) never reads as a finished run. */
int qx_results_begin(struct qx_results *r, const struct qx_suite *s, const char *root_dir,
                     const char *tag, struct qx_error *err);

/* Marks how the run ended, for the last qx_results_write: when sig is not 0, interrupted
 * ("state": "interrupted", "interrupted": true, "interrupted_by": "SIGINT" / "SIGTERM" /
 * "SIGPIPE"); else "finished" for exit status 0 or 1 (everything ran, perhaps with failed
 * rows), "failed" for any other (the run stopped on an error). Records the exit status. */
void qx_results_mark_end(struct qx_results *r, int exit_status, int sig);

/* Writes the document now (atomically). */
int qx_results_write(struct qx_results *r, struct qx_error *err);

/* Helpers to build the document. */
json_t *qx_json_u8_array(const uint8_t *v, int64_t n);

void qx_results_free(struct qx_results *r);

#endif
