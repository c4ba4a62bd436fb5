/* What the suite loader's files share (internal to harness/suite*.c). */
#ifndef QX_SUITE_PARSE_H
#define QX_SUITE_PARSE_H

#include <stdbool.h>

#include "suite/suite.h"
#include "suite/suite_yaml.h"

/* The out-of-memory failure, with the loader's wording. */
int qx_suite_nomem(struct qx_yaml *y);

/* Names that become folder and file names in results: letters, digits, '.', '_', '-', not
 * starting with '.'. */
bool qx_suite_valid_name(const char *s);

/* A path value, resolved against the suite's folder (absolute paths kept), malloc'ed. */
/* rel against dir (malloc'd; NULL when out of memory); absolute paths are kept, and "." adds
 * no prefix. */
char *qx_suite_join_path(const char *dir, const char *rel);

int qx_suite_get_path(struct qx_yaml *y, const struct qx_suite *s, yaml_node_t *n,
                      const char *what, const char *expected, char **out);

/* plugins: (or the four shipped plugins when absent) into s->plugins. */
int qx_suite_parse_plugins(struct qx_yaml *y, struct qx_suite *s, yaml_node_t *root);

/* Frees what one plugin entry owns and zeroes it (a template or an expanded configuration). */
void qx_suite_plugin_free(struct qx_suite_plugin *p);

#endif
