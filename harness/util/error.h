/* One error message, carried from where a problem is found up to the line the user reads.
 *
 * Every fallible harness function returns 0 on success or a negative QX_E* code, and on failure
 * fills a caller-provided struct qx_error with one line:
 *     <file>:<place>: <what was wrong> (expected <what>)
 * where <place> is line:column for YAML, a node name for ONNX, a byte offset for binary data.
 * The CLI prints it prefixed with "qx-bench: " and maps the code to an exit status. */
#ifndef QX_UTIL_ERROR_H
#define QX_UTIL_ERROR_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

enum qx_err_code {
	QX_OK = 0,
	QX_EINVAL = -1,       /* bad input: suite, model, dataset, options, command line */
	QX_ENOENT = -2,       /* a file the input names does not exist */
	QX_EUNSUPPORTED = -3, /* valid input that qx-bench does not handle (an op, a dtype) */
	QX_ENOMEM = -4,       /* allocation failed */
	QX_EIO = -5,          /* reading or writing failed */
	QX_EPLUGIN = -6,      /* a plugin failed, crashed, hung or returned an invalid plan */
	QX_EINTERNAL = -7,    /* a bug in qx-bench */
	QX_EINTERRUPTED = -8, /* SIGINT / SIGTERM: stopped between steps, results kept */
};

struct qx_error {
	int code;       /* one of enum qx_err_code; QX_OK when empty */
	char msg[1024]; /* one line, no trailing newline */
};

/* Fills err (when not NULL) with a printf-style message and returns code, so that callers
 * write `return qx_fail(err, QX_EINVAL, "%s:%d:%d: ...", ...);`. */
int qx_fail(struct qx_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (context added on the way up). */
int qx_fail_wrap(struct qx_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Out-of-memory helper with the conventional message. */
int qx_fail_nomem(struct qx_error *err, const char *what);

#ifdef __cplusplus
}
#endif

#endif
