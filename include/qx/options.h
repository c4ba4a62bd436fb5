/* qx plugin SDK: typed option getters for create() (header only).
 *
 * A suite's YAML hands a plugin its options as key/value strings (struct qx_option). These
 * helpers turn them into typed values and reject what does not parse, through the host's error
 * function, with one line naming the option, the value and what was expected, e.g.
 *     option 'bins': '8' is out of range (expected an integer >= 16)
 * Each returns QX_STATUS_OK or QX_STATUS_BAD_OPTION, the status create() then returns. A typical
 * create():
 *
 *     static const char *const known[] = { "bins", "symmetric", NULL };
 *     int64_t bins;
 *     int symmetric;
 *     int rc = qx_options_check_keys(host, options, n_options, known);
 *     if (!rc)
 *             rc = qx_option_int(host, options, n_options, "bins", 2048, 16, 16384, &bins);
 *     if (!rc)
 *             rc = qx_option_bool(host, options, n_options, "symmetric", 0, &symmetric);
 *     if (rc)
 *             return rc;
 *
 * An absent option gets the default the caller passes. Values are parsed in the "C" locale's
 * syntax, without leading or trailing spaces. Nothing is kept: every pointer parameter is read
 * during the call only. Plugins link nothing but libc and libm, so everything is static inline. */
#ifndef QX_SDK_OPTIONS_H
#define QX_SDK_OPTIONS_H

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qx/plugin.h"

/* Flags for qx_option_double(), QX_OPTION_MIN_EXCLUSIVE and QX_OPTION_MAX_EXCLUSIVE, are in
 * qx/plugin.h (struct qx_option_decl uses them too). */

/* Checks that every key is one of known (a NULL-terminated list of names) and that no key is
 * given twice; the message for an unknown key lists the known ones. */
static inline int qx_options_check_keys(const struct qx_host *host,
                                        const struct qx_option *options, int32_t n_options,
                                        const char *const *known)
{
	for (int32_t i = 0; i < n_options; i++) {
		const char *key = options[i].key;
		if (!key || !options[i].value) {
			host->error(host, "option %d: no %s (expected a key with a value)", (int)i,
			            key ? "value" : "key");
			return QX_STATUS_BAD_OPTION;
		}
		int found = 0;
		for (int k = 0; known && known[k] && !found; k++)
			found = strcmp(key, known[k]) == 0;
		if (!found) {
			char list[512];
			size_t len = 0;
			list[0] = '\0';
			for (int k = 0; known && known[k] && len < sizeof list; k++) {
				int w = snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "",
				                 known[k]);
				len += w > 0 ? (size_t)w : 0;
			}
			if (list[0])
				host->error(host, "unknown option '%s' (expected one of: %s)", key, list);
			else
				host->error(host, "unknown option '%s' (expected no options: this plugin "
				            "takes none)", key);
			return QX_STATUS_BAD_OPTION;
		}
		for (int32_t j = 0; j < i; j++)
			if (strcmp(options[j].key, key) == 0) {
				host->error(host, "option '%s' is given twice (expected each option at most "
				            "once)", key);
				return QX_STATUS_BAD_OPTION;
			}
	}
	return QX_STATUS_OK;
}

/* The value given for key, or NULL when the option is absent (the first one when repeated). */
static inline const char *qx_option_value(const struct qx_option *options, int32_t n_options,
                                          const char *key)
{
	for (int32_t i = 0; i < n_options; i++)
		if (options[i].key && options[i].value && strcmp(options[i].key, key) == 0)
			return options[i].value;
	return NULL;
}

/* A boolean: true, True, TRUE, false, False or FALSE (YAML 1.2's spellings). */
static inline int qx_option_bool(const struct qx_host *host, const struct qx_option *options,
                                 int32_t n_options, const char *key, int default_value,
                                 int *out)
{
	const char *v = qx_option_value(options, n_options, key);
	if (!v) {
		*out = default_value;
		return QX_STATUS_OK;
	}
	if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE")) {
		*out = 1;
		return QX_STATUS_OK;
	}
	if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE")) {
		*out = 0;
		return QX_STATUS_OK;
	}
	host->error(host, "option '%s': '%s' is not a boolean (expected true or false)", key, v);
	return QX_STATUS_BAD_OPTION;
}

/* Writes "an integer >= min", "an integer <= max" or "an integer from min to max". */
static inline void qx_option_int_range_text(int64_t min, int64_t max, char *buf, size_t size)
{
	if (max == INT64_MAX)
		snprintf(buf, size, "an integer >= %lld", (long long)min);
	else if (min == INT64_MIN)
		snprintf(buf, size, "an integer <= %lld", (long long)max);
	else
		snprintf(buf, size, "an integer from %lld to %lld", (long long)min, (long long)max);
}

/* A decimal integer in [min, max] (an optional sign, then digits). */
static inline int qx_option_int(const struct qx_host *host, const struct qx_option *options,
                                int32_t n_options, const char *key, int64_t default_value,
                                int64_t min, int64_t max, int64_t *out)
{
	const char *v = qx_option_value(options, n_options, key);
	if (!v) {
		*out = default_value;
		return QX_STATUS_OK;
	}
	char want[96];
	qx_option_int_range_text(min, max, want, sizeof want);
	const char *p = v + (*v == '+' || *v == '-');
	int digits = *p != '\0';
	for (; *p; p++)
		digits = digits && *p >= '0' && *p <= '9';
	if (!digits) {
		host->error(host, "option '%s': '%s' is not an integer (expected %s)", key, v, want);
		return QX_STATUS_BAD_OPTION;
	}
	errno = 0;
	long long x = strtoll(v, NULL, 10);
	if (errno == ERANGE || x < min || x > max) {
		host->error(host, "option '%s': '%s' is out of range (expected %s)", key, v, want);
		return QX_STATUS_BAD_OPTION;
	}
	*out = (int64_t)x;
	return QX_STATUS_OK;
}

/* A finite decimal number (e.g. 0.01, 1e-3) in the range [min, max], each bound excluded when
 * flags has QX_OPTION_MIN_EXCLUSIVE / QX_OPTION_MAX_EXCLUSIVE; -INFINITY / INFINITY for none. */
static inline int qx_option_double(const struct qx_host *host, const struct qx_option *options,
                                   int32_t n_options, const char *key, double default_value,
                                   double min, double max, unsigned flags, double *out)
{
	const char *v = qx_option_value(options, n_options, key);
	if (!v) {
		*out = default_value;
		return QX_STATUS_OK;
	}
	char want[128];
	int lo = isfinite(min), hi = isfinite(max);
	const char *lo_op = flags & QX_OPTION_MIN_EXCLUSIVE ? "<" : "<=";
	const char *hi_op = flags & QX_OPTION_MAX_EXCLUSIVE ? "<" : "<=";
	if (lo && hi)
		snprintf(want, sizeof want, "a number with %.17g %s value %s %.17g", min, lo_op, hi_op,
		         max);
	else if (lo)
		snprintf(want, sizeof want, "a number %s %.17g", flags & QX_OPTION_MIN_EXCLUSIVE ?
		         ">" : ">=", min);
	else if (hi)
		snprintf(want, sizeof want, "a number %s %.17g", hi_op, max);
	else
		snprintf(want, sizeof want, "a finite number");
	/* strtod also takes hex, inf and nan, and skips leading spaces: only plain decimals pass */
	int plain = *v != '\0';
	for (const char *p = v; *p; p++)
		plain = plain && strchr("0123456789+-.eE", *p) != NULL;
	char *end = NULL;
	errno = 0;
	double x = plain ? strtod(v, &end) : 0.0;
	if (!plain || !end || *end != '\0' || end == v || !isfinite(x)) {
		host->error(host, "option '%s': '%s' is not a number (expected %s)", key, v, want);
		return QX_STATUS_BAD_OPTION;
	}
	int below = (flags & QX_OPTION_MIN_EXCLUSIVE) ? !(x > min) : !(x >= min);
	int above = (flags & QX_OPTION_MAX_EXCLUSIVE) ? !(x < max) : !(x <= max);
	if (below || above || errno == ERANGE) {
		host->error(host, "option '%s': '%s' is out of range (expected %s)", key, v, want);
		return QX_STATUS_BAD_OPTION;
	}
	*out = x;
	return QX_STATUS_OK;
}

/* One of choices (a NULL-terminated list of words): *out is its index. */
static inline int qx_option_choice(const struct qx_host *host, const struct qx_option *options,
                                   int32_t n_options, const char *key,
                                   const char *const *choices, int default_index, int *out)
{
	const char *v = qx_option_value(options, n_options, key);
	if (!v) {
		*out = default_index;
		return QX_STATUS_OK;
	}
	char list[512];
	size_t len = 0;
	list[0] = '\0';
	for (int k = 0; choices[k]; k++) {
		if (strcmp(v, choices[k]) == 0) {
			*out = k;
			return QX_STATUS_OK;
		}
		if (len < sizeof list) {
			int w = snprintf(list + len, sizeof list - len, "%s%s", k ? ", " : "", choices[k]);
			len += w > 0 ? (size_t)w : 0;
		}
	}
	host->error(host, "option '%s': '%s' is not a known value (expected one of: %s)", key, v,
	            list);
	return QX_STATUS_BAD_OPTION;
}

/* ---- declared options (ABI minor 2: struct qx_option_decl in qx/plugin.h) ----
 *
 * A plugin that declares its options lets the host check them before create(); create() still
 * gets only what the suite wrote and reads each value with its declared default:
 *
 *     static const char *const modes[] = { "fast", "exact", NULL };
 *     static const struct qx_option_decl decls[] = {
 *             { .key = "bins", .type = QX_OPTION_INT, .min = 16, .max = 16384,
 *               .default_value = "2048", .help = "histogram bins" },
 *             { .key = "mode", .type = QX_OPTION_CHOICE, .choices = modes,
 *               .default_value = "fast", .help = "search" },
 *     };
 *     ... .option_decls = decls, .n_option_decls = 2 in the vtable, then in create():
 *     int64_t bins;
 *     int mode;
 *     int rc = qx_option_declared_int(host, decls, 2, options, n_options, "bins", &bins);
 *     if (!rc)
 *             rc = qx_option_declared_choice(host, decls, 2, options, n_options, "mode", &mode);
 *
 * The messages are those of the getters above. */

/* The declaration of key among n declarations, or NULL. */
static inline const struct qx_option_decl *qx_option_decl_find(const struct qx_option_decl *decls,
                                                               int32_t n, const char *key)
{
	for (int32_t i = 0; decls && key && i < n; i++)
		if (decls[i].key && strcmp(decls[i].key, key) == 0)
			return &decls[i];
	return NULL;
}

/* The value of a declared option: the suite's, else the declared default (NULL when neither). */
static inline const char *qx_option_declared(const struct qx_option_decl *decls, int32_t n_decls,
                                             const struct qx_option *options, int32_t n_options,
                                             const char *key)
{
	const char *v = qx_option_value(options, n_options, key);
	const struct qx_option_decl *d = qx_option_decl_find(decls, n_decls, key);
	return v ? v : d ? d->default_value : NULL;
}

/* An INT declaration's bounds as int64 (exclusive bounds moved in by one). */
static inline void qx_option_decl_int_range(const struct qx_option_decl *d, int64_t *min,
                                            int64_t *max)
{
	*min = isfinite(d->min) ? (int64_t)d->min + ((d->flags & QX_OPTION_MIN_EXCLUSIVE) ? 1 : 0)
	                        : INT64_MIN;
	*max = isfinite(d->max) ? (int64_t)d->max - ((d->flags & QX_OPTION_MAX_EXCLUSIVE) ? 1 : 0)
	                        : INT64_MAX;
}

/* Checks value against declaration d with the getters' messages; QX_STATUS_OK or
 * QX_STATUS_BAD_OPTION. The host runs this on every value a suite gives; a plugin need not. */
static inline int qx_option_decl_check(const struct qx_host *host, const struct qx_option_decl *d,
                                       const char *value)
{
	struct qx_option one = { d->key, value };
	int b, c;
	int64_t i, lo, hi;
	double x;
	switch (d->type) {
	case QX_OPTION_BOOL:
		return qx_option_bool(host, &one, 1, d->key, 0, &b);
	case QX_OPTION_INT:
		qx_option_decl_int_range(d, &lo, &hi);
		return qx_option_int(host, &one, 1, d->key, 0, lo, hi, &i);
	case QX_OPTION_NUMBER:
		return qx_option_double(host, &one, 1, d->key, 0, d->min, d->max, d->flags, &x);
	case QX_OPTION_CHOICE:
		return qx_option_choice(host, &one, 1, d->key, d->choices, 0, &c);
	case QX_OPTION_STRING:
		return QX_STATUS_OK;
	default:
		host->error(host, "option '%s': declared with type %d (expected an enum "
		            "qx_option_type)", d->key, (int)d->type);
		return QX_STATUS_ERROR;
	}
}

/* The declared option key of type type, and its value (the suite's or the default). */
static inline int qx_option_declared_lookup(const struct qx_host *host,
                                            const struct qx_option_decl *decls, int32_t n_decls,
                                            const struct qx_option *options, int32_t n_options,
                                            const char *key, int32_t type,
                                            const struct qx_option_decl **d, struct qx_option *one)
{
	*d = qx_option_decl_find(decls, n_decls, key);
	if (!*d || (*d)->type != type) {
		host->error(host, "option '%s' is not declared with type %d (a bug in the plugin: "
		            "expected a declaration of that key and type)", key, (int)type);
		return QX_STATUS_ERROR;
	}
	one->key = key;
	one->value = qx_option_declared(decls, n_decls, options, n_options, key);
	if (!one->value) {
		host->error(host, "option '%s' is required (expected a value: it has no default)",
		            key);
		return QX_STATUS_BAD_OPTION;
	}
	return QX_STATUS_OK;
}

static inline int qx_option_declared_bool(const struct qx_host *host,
                                          const struct qx_option_decl *decls, int32_t n_decls,
                                          const struct qx_option *options, int32_t n_options,
                                          const char *key, int *out)
{
	const struct qx_option_decl *d;
	struct qx_option one;
	int rc = qx_option_declared_lookup(host, decls, n_decls, options, n_options, key,
	                                   QX_OPTION_BOOL, &d, &one);
	return rc ? rc : qx_option_bool(host, &one, 1, key, 0, out);
}

static inline int qx_option_declared_int(const struct qx_host *host,
                                         const struct qx_option_decl *decls, int32_t n_decls,
                                         const struct qx_option *options, int32_t n_options,
                                         const char *key, int64_t *out)
{
	const struct qx_option_decl *d;
	struct qx_option one;
	int64_t lo, hi;
	int rc = qx_option_declared_lookup(host, decls, n_decls, options, n_options, key,
	                                   QX_OPTION_INT, &d, &one);
	if (rc)
		return rc;
	qx_option_decl_int_range(d, &lo, &hi);
	return qx_option_int(host, &one, 1, key, 0, lo, hi, out);
}

static inline int qx_option_declared_number(const struct qx_host *host,
                                            const struct qx_option_decl *decls, int32_t n_decls,
                                            const struct qx_option *options, int32_t n_options,
                                            const char *key, double *out)
{
	const struct qx_option_decl *d;
	struct qx_option one;
	int rc = qx_option_declared_lookup(host, decls, n_decls, options, n_options, key,
	                                   QX_OPTION_NUMBER, &d, &one);
	return rc ? rc : qx_option_double(host, &one, 1, key, 0, d->min, d->max, d->flags, out);
}

/* *out is the index of the value in the declaration's choices. */
static inline int qx_option_declared_choice(const struct qx_host *host,
                                            const struct qx_option_decl *decls, int32_t n_decls,
                                            const struct qx_option *options, int32_t n_options,
                                            const char *key, int *out)
{
	const struct qx_option_decl *d;
	struct qx_option one;
	int rc = qx_option_declared_lookup(host, decls, n_decls, options, n_options, key,
	                                   QX_OPTION_CHOICE, &d, &one);
	return rc ? rc : qx_option_choice(host, &one, 1, key, d->choices, 0, out);
}

#endif
