/* Typed, position-aware reading of a libyaml document, for the suite loader (internal).
 *
 * Every check fails with one line "<file>:<line>:<column>: <what>: <problem> (expected ...)",
 * 1-based, at the node that is wrong; `what` names the value the way the suite spells it
 * ("batch", "measure.threads[1]", "plugins[0].options"). */
#ifndef QX_SUITE_YAML_H
#define QX_SUITE_YAML_H

#include <stdbool.h>
#include <stdint.h>
#include <yaml.h>

#include "suite/suite.h"
#include "util/error.h"

struct qx_yaml {
	const char *path;               /* the file, for messages; not owned */
	yaml_document_t doc;
	bool loaded;
	struct qx_error *err;           /* where failures go; not owned */
};

/* Parses the one YAML document in path. Errors: QX_ENOENT (no such file), QX_EIO, QX_EINVAL
 * (syntax errors with libyaml's problem and position, more than one document). An empty file
 * loads as a document without a root node. */
int qx_yaml_load(struct qx_yaml *y, const char *path, struct qx_error *err);
void qx_yaml_free(struct qx_yaml *y);

yaml_node_t *qx_yaml_root(struct qx_yaml *y);
yaml_node_t *qx_yaml_node(struct qx_yaml *y, int index);
struct qx_suite_pos qx_yaml_pos(const yaml_node_t *n);

/* "<file>:<line>:<col>: <message>" at node n (the file alone when n is NULL). */
int qx_yaml_fail(struct qx_yaml *y, const yaml_node_t *n, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Whether n is a null (an empty value, "~" or "null", unquoted). */
bool qx_yaml_is_null(const yaml_node_t *n);

/* Checks that n is a mapping whose keys are scalars, each from allowed (NULL-terminated) and
 * each once. what_key is the key that holds the mapping, for messages ("" at the top). */
int qx_yaml_check_mapping(struct qx_yaml *y, yaml_node_t *n, const char *what,
                          const char *const *allowed);

/* The value of key in mapping n, or NULL; *key_node (when not NULL) gets the key's node. */
yaml_node_t *qx_yaml_get(struct qx_yaml *y, yaml_node_t *n, const char *key,
                         yaml_node_t **key_node);

/* Checks that n is a list of min_len..max_len entries; expected describes one. */
int qx_yaml_check_list(struct qx_yaml *y, yaml_node_t *n, const char *what, int min_len,
                       int max_len, const char *expected);
/* The i-th entry of a list checked above. */
yaml_node_t *qx_yaml_item(struct qx_yaml *y, yaml_node_t *list, int i);

/* Scalars. Numbers must be unquoted; an integer is [+-]digits, a number also has a fraction
 * and/or exponent; both must lie within [min, max] (max_open: max itself excluded, min_open:
 * min itself excluded). */
int qx_yaml_int(struct qx_yaml *y, yaml_node_t *n, const char *what, int64_t min, int64_t max,
                int64_t *out);
int qx_yaml_number(struct qx_yaml *y, yaml_node_t *n, const char *what, double min,
                   bool min_open, double max, double *out);
/* A number stored as float: checked as qx_yaml_number does, then checked again as the float it
 * becomes, so that 1e300 (inf in float) or 1e-50 (0 in float: a division by zero for std) or
 * a subnormal (which loses precision and overflows when divided by) is refused, not stored.
 * Every suite value kept as float goes through this. exact (when not NULL) gets the value as
 * read, before rounding to float. */
int qx_yaml_float(struct qx_yaml *y, yaml_node_t *n, const char *what, double min,
                  bool min_open, double max, float *out, double *exact);
int qx_yaml_bool(struct qx_yaml *y, yaml_node_t *n, const char *what, bool *out);
/* A non-empty string scalar, malloc'ed into *out; expected describes it for messages. */
int qx_yaml_string(struct qx_yaml *y, yaml_node_t *n, const char *what, const char *expected,
                   char **out);

#endif
