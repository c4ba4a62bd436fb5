#include "plugin/decl.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qx/options.h"

/* A qx_host whose error() writes into a buffer: the getters of qx/options.h report through it. */
struct msg_host {
	struct qx_host host;
	char msg[1024];
};

static void msg_error(const struct qx_host *host, const char *fmt, ...)
{
	struct msg_host *m = host->host_data;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->msg, sizeof m->msg, fmt, ap);
	va_end(ap);
}

static void msg_log(const struct qx_host *host, int level, const char *fmt, ...)
{
	(void)host;
	(void)level;
	(void)fmt;
}

static void msg_host_init(struct msg_host *m)
{
	memset(m, 0, sizeof *m);
	m->host.abi_major = QX_ABI_MAJOR;
	m->host.abi_minor = QX_ABI_MINOR;
	m->host.struct_size = sizeof m->host;
	m->host.error = msg_error;
	m->host.log = msg_log;
	m->host.host_data = m;
}

static int check_one(const struct qx_option_decl *d, int32_t i, struct qx_error *err)
{
	if (!d->key || !*d->key)
		return qx_fail(err, QX_EPLUGIN, "option declaration %d has no key (expected a "
		               "non-empty name)", (int)i);
	if (!d->help || !*d->help || strchr(d->help, '\n'))
		return qx_fail(err, QX_EPLUGIN, "option declaration '%s' has %s help (expected one "
		               "line)", d->key, !d->help || !*d->help ? "no" : "multi-line");
	if (d->type < QX_OPTION_BOOL || d->type > QX_OPTION_STRING)
		return qx_fail(err, QX_EPLUGIN, "option declaration '%s' has type %d (expected an "
		               "enum qx_option_type, 0 to 4)", d->key, (int)d->type);
	if (d->type == QX_OPTION_CHOICE && (!d->choices || !d->choices[0]))
		return qx_fail(err, QX_EPLUGIN, "option declaration '%s' is a choice with no choices "
		               "(expected a NULL-terminated list of words)", d->key);
	if (d->type == QX_OPTION_INT || d->type == QX_OPTION_NUMBER) {
		if (isnan(d->min) || isnan(d->max) || d->min > d->max)
			return qx_fail(err, QX_EPLUGIN, "option declaration '%s' has range [%g, %g] "
			               "(expected min <= max, -INFINITY / INFINITY for none)", d->key,
			               d->min, d->max);
		const double lim = 9007199254740992.0; /* 2^53 */
		if (d->type == QX_OPTION_INT &&
		    ((isfinite(d->min) && (d->min != floor(d->min) || fabs(d->min) > lim)) ||
		     (isfinite(d->max) && (d->max != floor(d->max) || fabs(d->max) > lim))))
			return qx_fail(err, QX_EPLUGIN, "option declaration '%s' has integer range [%g, "
			               "%g] (expected whole bounds within +-2^53)", d->key, d->min, d->max);
	}
	if (d->default_value) {
		struct msg_host m;
		msg_host_init(&m);
		if (qx_option_decl_check(&m.host, d, d->default_value))
			return qx_fail(err, QX_EPLUGIN, "option declaration '%s': its default does not "
			               "pass its own check: %s", d->key, m.msg);
	}
	return 0;
}

int qx_option_decls_check(const struct qx_option_decl *decls, int32_t n, struct qx_error *err)
{
	if (n < 0 || (n > 0 && !decls))
		return qx_fail(err, QX_EPLUGIN, "n_option_decls is %d with option_decls %s (expected "
		               "n_option_decls >= 0 and an array when > 0)", (int)n,
		               decls ? "set" : "NULL");
	for (int32_t i = 0; i < n; i++) {
		int rc = check_one(&decls[i], i, err);
		if (rc)
			return rc;
		for (int32_t j = 0; j < i; j++)
			if (!strcmp(decls[j].key, decls[i].key))
				return qx_fail(err, QX_EPLUGIN, "option '%s' is declared twice (expected "
				               "each key once)", decls[i].key);
	}
	return 0;
}

/* Levenshtein distance, capped: names are short. */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return (size_t)-1;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

/* The declared key nearest to key: within a third of its length in edits, or one that key
 * begins (a cut-short name like averaging_const). NULL when none is near. */
static const char *near_key(const struct qx_option_decl *decls, int32_t n, const char *key)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, len = strlen(key);
	for (int32_t i = 0; i < n; i++) {
		size_t d = distance(key, decls[i].key);
		if (len >= 4 && !strncmp(decls[i].key, key, len))
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = decls[i].key;
		}
	}
	return best && best_d <= (len + 2) / 3 ? best : NULL;
}

int qx_option_decls_validate(const struct qx_option_decl *decls, int32_t n,
                             const struct qx_suite_option *opts, int n_opts, int *bad,
                             int *bad_key, struct qx_error *err)
{
	*bad = -1;
	*bad_key = 0;
	for (int i = 0; i < n_opts; i++) {
		const char *key = opts[i].key, *value = opts[i].value;
		const struct qx_option_decl *d = qx_option_decl_find(decls, n, key);
		if (!d) {
			char list[1024] = "";
			for (int32_t k = 0; k < n; k++)
				snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				         k ? ", " : "", decls[k].key);
			const char *near = near_key(decls, n, key);
			*bad = i;
			*bad_key = 1;
			if (!n)
				return qx_fail(err, QX_EINVAL, "unknown option '%s' (expected no options: "
				               "this plugin declares none)", key);
			if (near)
				return qx_fail(err, QX_EINVAL, "unknown option '%s' (did you mean '%s'? the "
				               "plugin declares: %s)", key, near, list);
			return qx_fail(err, QX_EINVAL, "unknown option '%s' (expected one of: %s)", key,
			               list);
		}
		struct msg_host m;
		msg_host_init(&m);
		if (qx_option_decl_check(&m.host, d, value ? value : "")) {
			*bad = i;
			return qx_fail(err, QX_EINVAL, "%s", m.msg);
		}
	}
	return 0;
}

int qx_option_decls_used(const struct qx_option_decl *decls, int32_t n,
                         const struct qx_suite_option *opts, int n_opts, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (int32_t k = 0; k < n; k++) {
		const char *v = decls[k].default_value;
		for (int i = 0; i < n_opts; i++)
			if (opts[i].key && !strcmp(opts[i].key, decls[k].key))
				v = opts[i].value;
		if (!v)
			continue;
		int w = snprintf(buf + len, size - len, "%d\t%s\t%s\n", (int)decls[k].type,
		                 decls[k].key, v);
		if (w < 0 || (size_t)w >= size - len)
			return -1;
		/* one record a line: a tab or newline inside a string value becomes a space */
		for (char *c = buf + len + w - 1 - strlen(v); c < buf + len + w - 1; c++)
			if (*c == '\t' || *c == '\n' || *c == '\r')
				*c = ' ';
		len += (size_t)w;
	}
	return 0;
}
