#include "results/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "kernels.h"

static int mkdir_p(const char *path)
{
	char buf[4096];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0777) && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0777) && errno != EEXIST ? -1 : 0;
}

static json_t *machine_json(void)
{
	json_t *m = json_object();
	struct utsname u;
	if (uname(&u) == 0) {
		json_object_set_new(m, "kernel", json_sprintf("%s %s", u.sysname, u.release));
		json_object_set_new(m, "arch", json_string(u.machine));
		json_object_set_new(m, "hostname", json_string(u.nodename));
	}
	json_object_set_new(m, "online_cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	json_t *sets = json_array();
	for (int s = 0; s < QX_KSET_COUNT; s++) {
		const char *why = NULL;
		int ok = qx_kernels_available((enum qx_kset)s, &why);
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(qx_kset_name((enum qx_kset)s)));
		json_object_set_new(e, "available", json_boolean(ok));
		if (!ok)
			json_object_set_new(e, "why_not", json_string(why));
		json_array_append_new(sets, e);
	}
	json_object_set_new(m, "kernel_sets", sets);
	return m;
}

int qx_results_begin(struct qx_results *r, const struct qx_suite *s, const char *root_dir,
                     struct qx_error *err)
{
	memset(r, 0, sizeof *r);
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	char stamp[32];
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	char dir[4096];
	for (int attempt = 0;; attempt++) {
		int n = attempt ? snprintf(dir, sizeof dir, "%s/%s/%s-%d", root_dir, s->name, stamp, attempt)
		                : snprintf(dir, sizeof dir, "%s/%s/%s", root_dir, s->name, stamp);
		if (n >= (int)sizeof dir)
			return qx_fail(err, QX_EINVAL, "%s: results folder path too long", root_dir);
		struct stat st;
		if (stat(dir, &st) != 0)
			break;
	}
	if (mkdir_p(dir))
		return qx_fail(err, QX_EIO, "%s: cannot create results folder: %s", dir, strerror(errno));
	r->dir = strdup(dir);
	size_t len = strlen(dir) + sizeof "/results.json";
	r->path = malloc(len);
	if (!r->dir || !r->path) {
		qx_results_free(r);
		return qx_fail_nomem(err, "starting results");
	}
	snprintf(r->path, len, "%s/results.json", dir);

	char iso[32];
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	r->root = json_object();
	r->plugins = json_array();
	json_object_set_new(r->root, "schema_version", json_integer(QX_RESULTS_SCHEMA_VERSION));
	json_object_set_new(r->root, "tool", json_sprintf("qx-bench %s", QX_VERSION));
	json_object_set_new(r->root, "started", json_string(iso));
	json_object_set_new(r->root, "run_id", json_string(strrchr(dir, '/') + 1));
	json_t *suite = json_object();
	json_object_set_new(suite, "name", json_string(s->name));
	json_object_set_new(suite, "path", json_string(s->path));
	json_object_set_new(suite, "model", json_string(s->model));
	json_object_set_new(suite, "batch", json_integer(s->batch));
	json_object_set_new(r->root, "suite", suite);
	json_object_set_new(r->root, "machine", machine_json());
	json_object_set_new(r->root, "plugins", r->plugins);
	return 0;
}

int qx_results_write(struct qx_results *r, struct qx_error *err)
{
	size_t len = strlen(r->path) + 16;
	char *tmp = malloc(len);
	if (!tmp)
		return qx_fail_nomem(err, "writing results");
	snprintf(tmp, len, "%s.tmp", r->path);
	int rc = json_dump_file(r->root, tmp, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
	if (rc == 0 && rename(tmp, r->path) != 0)
		rc = -1;
	if (rc) {
		unlink(tmp);
		free(tmp);
		return qx_fail(err, QX_EIO, "%s: cannot write results: %s", r->path, strerror(errno));
	}
	free(tmp);
	return 0;
}

json_t *qx_json_u8_array(const uint8_t *v, int64_t n)
{
	json_t *a = json_array();
	for (int64_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

void qx_results_free(struct qx_results *r)
{
	if (r->root)
		json_decref(r->root);
	free(r->dir);
	free(r->path);
	memset(r, 0, sizeof *r);
}
