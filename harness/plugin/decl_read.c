/* qx_plugin_read_decls: a plugin's option declarations, read in a child and sent back as JSON. */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/child.h"
#include "plugin/decl.h"
#include "plugin/loader.h"

struct decl_shared {
	char error[1024];
};

static void quiet_error(const struct qx_host *host, const char *fmt, ...)
{
	struct decl_shared *sh = host->host_data;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sh->error, sizeof sh->error, fmt, ap);
	va_end(ap);
}

static void quiet_log(const struct qx_host *host, int level, const char *fmt, ...)
{
	(void)host;
	(void)level;
	(void)fmt;
}

static void *plain_alloc(const struct qx_host *host, size_t n, size_t size)
{
	(void)host;
	return calloc(n ? n : 1, size ? size : 1);
}

static void *plain_resize(const struct qx_host *host, void *p, size_t n, size_t size)
{
	(void)host;
	if (size && n > SIZE_MAX / size)
		return NULL;
	size_t bytes = n * size;
	return realloc(p, bytes ? bytes : 1);
}

static void plain_release(const struct qx_host *host, void *p)
{
	(void)host;
	free(p);
}

static json_t *bound(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static int read_body(void *ctx, int fd, void *shared)
{
	const char *path = ctx;
	struct decl_shared *sh = shared;
	struct qx_host host = {
		.abi_major = QX_ABI_MAJOR, .abi_minor = QX_ABI_MINOR, .struct_size = sizeof host,
		.error = quiet_error, .log = quiet_log, .alloc = plain_alloc, .resize = plain_resize,
		.release = plain_release, .host_data = sh,
	};
	struct qx_plugin_lib lib;
	struct qx_error err = { 0 };
	char plugin_msg[1024];
	if (qx_plugin_load(path, &host, &lib, &err)) {
		snprintf(plugin_msg, sizeof plugin_msg, "%s", sh->error);
		size_t len = (size_t)snprintf(sh->error, sizeof sh->error, "%.900s", err.msg);
		if (plugin_msg[0] && len < sizeof sh->error)
			snprintf(sh->error + len, sizeof sh->error - len, ": %.100s", plugin_msg);
		return 1;
	}
	json_t *arr = json_array();
	for (int32_t i = 0; i < lib.vt.n_option_decls; i++) {
		const struct qx_option_decl *d = &lib.vt.option_decls[i];
		json_t *choices = json_array();
		for (int k = 0; d->type == QX_OPTION_CHOICE && d->choices[k]; k++)
			json_array_append_new(choices, json_string(d->choices[k]));
		json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:o, s:o, s:o, s:s?, s:s}",
		                                     "key", d->key, "type", (int)d->type, "flags",
		                                     (int)d->flags, "min", bound(d->min), "max",
		                                     bound(d->max), "choices", choices, "default",
		                                     d->default_value, "help", d->help));
	}
	char *text = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	int rc = 1;
	if (text) {
		size_t len = strlen(text);
		const char *p = text;
		rc = 0;
		while (len > 0) {
			ssize_t w = write(fd, p, len);
			if (w <= 0) {
				rc = 1;
				break;
			}
			p += w;
			len -= (size_t)w;
		}
	}
	free(text);
	return rc;
}

static char *dup_json(json_t *s)
{
	return json_is_string(s) ? strdup(json_string_value(s)) : NULL;
}

int qx_plugin_read_decls(const char *path, double timeout_s, struct qx_decl_info **out, int *n,
                         struct qx_error *err)
{
	*out = NULL;
	*n = 0;
	struct decl_shared sh;
	memset(&sh, 0, sizeof sh);
	struct qx_child_result res;
	int rc = qx_child_run(read_body, (void *)path, sizeof sh, timeout_s, &sh, &res, err);
	if (rc)
		return rc;
	if (res.end != QX_CHILD_EXITED || res.exit_status != 0) {
		free(res.data);
		if (sh.error[0])
			return qx_fail(err, QX_EPLUGIN, "%s", sh.error);
		return qx_fail(err, QX_EPLUGIN, "loading it to read its options %s",
		               res.end == QX_CHILD_SIGNALED ? "crashed"
		               : res.end == QX_CHILD_TIMED_OUT ? "hung" : "failed");
	}
	json_error_t jerr;
	json_t *arr = json_loadb(res.data ? res.data : "", res.len, 0, &jerr);
	free(res.data);
	if (!json_is_array(arr)) {
		json_decref(arr);
		return qx_fail(err, QX_EINTERNAL, "reading a plugin's declarations: %s", jerr.text);
	}
	size_t count = json_array_size(arr);
	struct qx_decl_info *d = calloc(count + 1, sizeof *d);
	if (!d) {
		json_decref(arr);
		return qx_fail_nomem(err, "reading a plugin's declarations");
	}
	int bad = 0;
	for (size_t i = 0; i < count && !bad; i++) {
		json_t *o = json_array_get(arr, i), *ch = json_object_get(o, "choices");
		json_t *lo = json_object_get(o, "min"), *hi = json_object_get(o, "max");
		struct qx_decl_info *x = &d[i];
		x->key = dup_json(json_object_get(o, "key"));
		x->help = dup_json(json_object_get(o, "help"));
		x->default_value = dup_json(json_object_get(o, "default"));
		x->type = (int)json_integer_value(json_object_get(o, "type"));
		x->flags = (unsigned)json_integer_value(json_object_get(o, "flags"));
		x->min = json_is_number(lo) ? json_number_value(lo) : -INFINITY;
		x->max = json_is_number(hi) ? json_number_value(hi) : INFINITY;
		x->choices = calloc(json_array_size(ch) + 1, sizeof *x->choices);
		bad = !x->key || !x->help || !x->choices;
		for (size_t k = 0; !bad && k < json_array_size(ch); k++)
			bad = !(x->choices[k] = dup_json(json_array_get(ch, k)));
	}
	json_decref(arr);
	if (bad) {
		qx_decl_info_free(d, (int)count);
		return qx_fail_nomem(err, "reading a plugin's declarations");
	}
	*out = d;
	*n = (int)count;
	return 0;
}

void qx_decl_info_free(struct qx_decl_info *d, int n)
{
	for (int i = 0; d && i < n; i++) {
		free(d[i].key);
		free(d[i].help);
		free(d[i].default_value);
		for (int k = 0; d[i].choices && d[i].choices[k]; k++)
			free(d[i].choices[k]);
		free(d[i].choices);
	}
	free(d);
}
