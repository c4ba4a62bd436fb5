/* The helpers suite.c and suite_plugins.c share (suite_parse.h): both depend on this file,
 * neither on the other's internals, so the suite loader's files form no cycle. */
#include "suite/suite_parse.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qx_suite_nomem(struct qx_yaml *y)
{
	return qx_fail_nomem(y->err, "loading the suite");
}

bool qx_suite_valid_name(const char *s)
{
	if (!s[0] || s[0] == '.')
		return false;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

/* rel against dir; absolute paths are kept, and "." adds no prefix. */
char *qx_suite_join_path(const char *dir, const char *rel)
{
	if (rel[0] == '/' || !strcmp(dir, "."))
		return strdup(rel);
	size_t len = strlen(dir) + strlen(rel) + 2;
	char *out = malloc(len);
	if (out)
		snprintf(out, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
	return out;
}

int qx_suite_get_path(struct qx_yaml *y, const struct qx_suite *s, yaml_node_t *n,
                      const char *what, const char *expected, char **out)
{
	char *raw;
	int rc = qx_yaml_string(y, n, what, expected, &raw);
	if (rc)
		return rc;
	*out = qx_suite_join_path(s->dir, raw);
	free(raw);
	return *out ? 0 : qx_suite_nomem(y);
}
