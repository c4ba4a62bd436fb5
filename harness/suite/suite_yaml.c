#include "suite/suite_yaml.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

struct qx_suite_pos qx_yaml_pos(const yaml_node_t *n)
{
	/* libyaml marks count from 0; people count from 1. */
	struct qx_suite_pos pos = { 0, 0 };
	if (n) {
		pos.line = (int)n->start_mark.line + 1;
		pos.column = (int)n->start_mark.column + 1;
	}
	return pos;
}

int qx_yaml_fail(struct qx_yaml *y, const yaml_node_t *n, int code, const char *fmt, ...)
{
	char msg[sizeof y->err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (!n)
		return qx_fail(y->err, code, "%s: %s", y->path, msg);
	struct qx_suite_pos pos = qx_yaml_pos(n);
	return qx_fail(y->err, code, "%s:%d:%d: %s", y->path, pos.line, pos.column, msg);
}

/* The byte at offset in path, or -1: to recognize the tab behind libyaml's vaguer message. */
static int char_at(const char *path, size_t offset)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	int c = fseek(f, (long)offset, SEEK_SET) == 0 ? fgetc(f) : -1;
	fclose(f);
	return c;
}

static int syntax_error(struct qx_yaml *y, const yaml_parser_t *parser)
{
	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		return qx_fail_nomem(y->err, "parsing the suite");
	case YAML_READER_ERROR:
		if (parser->problem_value != -1)
			return qx_fail(y->err, QX_EINVAL, "%s: byte %zu: %s: #%X (expected UTF-8 text)",
			               y->path, parser->problem_offset, parser->problem,
			               (unsigned)parser->problem_value);
		return qx_fail(y->err, QX_EINVAL, "%s: byte %zu: %s (expected UTF-8 text)", y->path,
		               parser->problem_offset, parser->problem ? parser->problem : "unreadable");
	default:
		break;
	}
	const char *problem = parser->problem ? parser->problem : "unknown error";
	if (char_at(y->path, parser->problem_mark.index) == '\t')
		return qx_fail(y->err, QX_EINVAL, "%s:%zu:%zu: YAML syntax: a tab character (expected "
		               "spaces: YAML indents with spaces, never tabs)", y->path,
		               parser->problem_mark.line + 1, parser->problem_mark.column + 1);
	if (parser->context)
		return qx_fail(y->err, QX_EINVAL, "%s:%zu:%zu: YAML syntax: %s, %s at %zu:%zu "
		               "(expected valid YAML)", y->path, parser->problem_mark.line + 1,
		               parser->problem_mark.column + 1, problem, parser->context,
		               parser->context_mark.line + 1, parser->context_mark.column + 1);
	return qx_fail(y->err, QX_EINVAL, "%s:%zu:%zu: YAML syntax: %s (expected valid YAML)",
	               y->path, parser->problem_mark.line + 1, parser->problem_mark.column + 1,
	               problem);
}

int qx_yaml_load(struct qx_yaml *y, const char *path, struct qx_error *err)
{
	memset(y, 0, sizeof *y);
	y->path = path;
	y->err = err;
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return qx_fail(err, QX_ENOENT, "%s: suite file not found (expected a YAML suite "
			               "file)", path);
		return qx_fail(err, QX_EIO, "%s: cannot open: %s (expected a YAML suite file)", path,
		               strerror(errno));
	}
	if (S_ISDIR(st.st_mode))
		return qx_fail(err, QX_EINVAL, "%s: is a folder (expected a YAML suite file)", path);
	FILE *f = fopen(path, "rb");
	if (!f)
		return qx_fail(err, QX_EIO, "%s: cannot open: %s (expected a YAML suite file)", path,
		               strerror(errno));

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return qx_fail_nomem(err, "parsing the suite");
	}
	yaml_parser_set_input_file(&parser, f);
	int rc = 0;
	if (!yaml_parser_load(&parser, &y->doc)) {
		rc = syntax_error(y, &parser);
	} else {
		y->loaded = true;
		/* A suite is one document: a second one is most likely a mistake worth stating. */
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			rc = syntax_error(y, &parser);
		} else {
			yaml_node_t *root = yaml_document_get_root_node(&next);
			if (root)
				rc = qx_yaml_fail(y, root, QX_EINVAL, "a second YAML document (expected one "
				                  "suite per file)");
			yaml_document_delete(&next);
		}
	}
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc)
		qx_yaml_free(y);
	return rc;
}

void qx_yaml_free(struct qx_yaml *y)
{
	if (y->loaded)
		yaml_document_delete(&y->doc);
	y->loaded = false;
}

yaml_node_t *qx_yaml_root(struct qx_yaml *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

yaml_node_t *qx_yaml_node(struct qx_yaml *y, int index)
{
	return yaml_document_get_node(&y->doc, index);
}

bool qx_yaml_is_null(const yaml_node_t *n)
{
	if (!n || n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = scalar(n);
	return !s[0] || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
	       !strcmp(s, "NULL");
}

/* What a node is, for "got ..." in messages. */
static const char *describe(const yaml_node_t *n, char *buf, size_t cap)
{
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (qx_yaml_is_null(n))
		return "nothing";
	bool quoted = n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
	if (strlen(scalar(n)) > 40)
		snprintf(buf, cap, "'%.37s...'%s", scalar(n), quoted ? " (quoted: a string)" : "");
	else
		snprintf(buf, cap, "'%s'%s", scalar(n), quoted ? " (quoted: a string)" : "");
	return buf;
}

static int wrong_type(struct qx_yaml *y, yaml_node_t *n, const char *what, const char *expected)
{
	char buf[96];
	return qx_yaml_fail(y, n, QX_EINVAL, "%s: got %s (expected %s)", what,
	                    describe(n, buf, sizeof buf), expected);
}

static void list_allowed(char *buf, size_t cap, const char *const *allowed)
{
	buf[0] = '\0';
	for (int i = 0; allowed[i]; i++) {
		size_t len = strlen(buf);
		snprintf(buf + len, cap - len, "%s%s", i ? ", " : "", allowed[i]);
	}
}

int qx_yaml_check_mapping(struct qx_yaml *y, yaml_node_t *n, const char *what,
                          const char *const *allowed)
{
	char keys[512];
	list_allowed(keys, sizeof keys, allowed);
	if (n->type != YAML_MAPPING_NODE) {
		char expected[600];
		snprintf(expected, sizeof expected, "a mapping with keys %s", keys);
		if (!what[0])
			return wrong_type(y, n, "suite", expected);
		return wrong_type(y, n, what, expected);
	}
	const char *in = what[0] ? " in " : "";
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *key = qx_yaml_node(y, p->key);
		if (key->type != YAML_SCALAR_NODE)
			return qx_yaml_fail(y, key, QX_EINVAL, "%s key%s%s (expected one of: %s)",
			                    key->type == YAML_MAPPING_NODE ? "a mapping as" : "a list as",
			                    in, what, keys);
		int known = 0;
		for (int i = 0; allowed[i] && !known; i++)
			known = !strcmp(scalar(key), allowed[i]);
		if (!known)
			return qx_yaml_fail(y, key, QX_EINVAL, "unknown key '%s'%s%s (expected one of: %s)",
			                    scalar(key), in, what, keys);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *earlier = qx_yaml_node(y, q->key);
			if (!strcmp(scalar(earlier), scalar(key))) {
				struct qx_suite_pos first = qx_yaml_pos(earlier);
				return qx_yaml_fail(y, key, QX_EINVAL, "duplicate key '%s'%s%s, first at "
				                    "%d:%d (expected each key once)", scalar(key), in, what,
				                    first.line, first.column);
			}
		}
	}
	return 0;
}

yaml_node_t *qx_yaml_get(struct qx_yaml *y, yaml_node_t *n, const char *key,
                         yaml_node_t **key_node)
{
	if (key_node)
		*key_node = NULL;
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = qx_yaml_node(y, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp(scalar(k), key)) {
			if (key_node)
				*key_node = k;
			return qx_yaml_node(y, p->value);
		}
	}
	return NULL;
}

int qx_yaml_check_list(struct qx_yaml *y, yaml_node_t *n, const char *what, int min_len,
                       int max_len, const char *expected)
{
	char exp[256];
	if (n->type != YAML_SEQUENCE_NODE) {
		snprintf(exp, sizeof exp, "a list of %s", expected);
		return wrong_type(y, n, what, exp);
	}
	long len = n->data.sequence.items.top - n->data.sequence.items.start;
	if (len == 0 && min_len > 0)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: empty list (expected a non-empty list of %s)",
		                    what, expected);
	if (len < min_len)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %ld entries (expected at least %d %s)", what,
		                    len, min_len, expected);
	if (len > max_len)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %ld entries (expected at most %d)", what, len,
		                    max_len);
	return 0;
}

yaml_node_t *qx_yaml_item(struct qx_yaml *y, yaml_node_t *list, int i)
{
	return qx_yaml_node(y, list->data.sequence.items.start[i]);
}

/* Whether s is [+-]digits. */
static bool is_integer_text(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void int_expected(char *buf, size_t cap, const char *kind, int64_t min, int64_t max)
{
	if (max == INT64_MAX)
		snprintf(buf, cap, "%s >= %lld", kind, (long long)min);
	else
		snprintf(buf, cap, "%s in %lld..%lld", kind, (long long)min, (long long)max);
}

int qx_yaml_int(struct qx_yaml *y, yaml_node_t *n, const char *what, int64_t min, int64_t max,
                int64_t *out)
{
	char expected[96];
	int_expected(expected, sizeof expected, "an integer", min, max);
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !is_integer_text(scalar(n)))
		return wrong_type(y, n, what, expected);
	errno = 0;
	long long v = strtoll(scalar(n), NULL, 10);
	if (errno == ERANGE || v < min || v > max)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %s is out of range (expected %s)", what,
		                    scalar(n), expected);
	*out = v;
	return 0;
}

/* Whether s is a decimal number: [+-] digits [. digits] [e [+-] digits], with digits on at
 * least one side of the point. strtod alone would also take "nan", "inf" and hex. */
static bool is_number_text(const char *s)
{
	if (*s == '+' || *s == '-')
		s++;
	int digits = 0;
	while (*s >= '0' && *s <= '9')
		s++, digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

int qx_yaml_number(struct qx_yaml *y, yaml_node_t *n, const char *what, double min,
                   bool min_open, double max, double *out)
{
	char expected[96] = "a number";
	if (min > -HUGE_VAL)
		snprintf(expected, sizeof expected, "a number %s %g", min_open ? ">" : ">=", min);
	if (max < HUGE_VAL) {
		size_t len = strlen(expected);
		snprintf(expected + len, sizeof expected - len, " and <= %g", max);
	}
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE ||
	    !is_number_text(scalar(n)))
		return wrong_type(y, n, what, expected);
	double v = strtod(scalar(n), NULL);
	if (!isfinite(v) || v < min || (min_open && v == min) || v > max)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %s is out of range (expected %s)", what,
		                    scalar(n), expected);
	*out = v;
	return 0;
}

int qx_yaml_float(struct qx_yaml *y, yaml_node_t *n, const char *what, double min,
                  bool min_open, double max, float *out, double *exact)
{
	double v;
	int rc = qx_yaml_number(y, n, what, min, min_open, max, &v);
	if (rc)
		return rc;
	float f = (float)v;
	if (!isfinite(f) || (v != 0 && !isnormal(f)) || (min_open && f <= min) || f < min)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: %s is out of range for a 32-bit float "
		                    "(expected 0 or a magnitude from %g to %g)", what, scalar(n),
		                    (double)FLT_MIN, (double)FLT_MAX);
	*out = f;
	if (exact)
		*exact = v;
	return 0;
}

int qx_yaml_bool(struct qx_yaml *y, yaml_node_t *n, const char *what, bool *out)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (int i = 0; i < 3; i++) {
			if (!strcmp(scalar(n), yes[i])) {
				*out = true;
				return 0;
			}
			if (!strcmp(scalar(n), no[i])) {
				*out = false;
				return 0;
			}
		}
	}
	return wrong_type(y, n, what, "true or false");
}

int qx_yaml_string(struct qx_yaml *y, yaml_node_t *n, const char *what, const char *expected,
                   char **out)
{
	if (n->type != YAML_SCALAR_NODE || qx_yaml_is_null(n) || !scalar(n)[0])
		return wrong_type(y, n, what, expected);
	if (strlen(scalar(n)) != n->data.scalar.length)
		return qx_yaml_fail(y, n, QX_EINVAL, "%s: contains a NUL character (expected %s)",
		                    what, expected);
	*out = strdup(scalar(n));
	if (!*out)
		return qx_fail_nomem(y->err, "parsing the suite");
	return 0;
}
