#include "results/results.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "results/results_entry.h"
#include "results/results_machine.h"
#include "util/atomic_write.h"
#include "util/interrupt.h"
#include "util/sha256.h"

#include "qx_git_rev.h"

/* {"path", "sha256"} of a file the run read; the digest is null when it cannot be read. */
static json_t *file_json(const char *path)
{
	char hex[65];
	json_t *f = json_object();
	json_object_set_new(f, "path", json_string(path));
	json_object_set_new(f, "sha256", qx_sha256_file(path, hex, NULL) ? json_null() : json_string(hex));
	return f;
}

static json_t *source_json(const struct qx_suite_source *src)
{
	json_t *files = json_array();
	if (src->images)
		json_array_append_new(files, file_json(src->images));
	if (src->labels)
		json_array_append_new(files, file_json(src->labels));
	for (int i = 0; i < src->n_files; i++)
		json_array_append_new(files, file_json(src->files[i]));
	return files;
}

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

int qx_results_begin(struct qx_results *r, const struct qx_suite *s, const char *root_dir,
                     const char *tag, struct qx_error *err)
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
	json_object_set_new(r->root, "tag", json_string(tag));
	json_object_set_new(r->root, "state", json_string("running"));
	json_t *suite = json_object();
	json_object_set_new(suite, "name", json_string(s->name));
	json_object_set_new(suite, "path", json_string(s->path));
	json_object_set_new(suite, "model", json_string(s->model));
	json_object_set_new(suite, "batch", json_integer(s->batch));
	json_object_set_new(suite, "model_file", file_json(s->model));
	json_object_set_new(suite, "dataset_files", source_json(&s->dataset.src));
	json_object_set_new(suite, "calibration_files", source_json(&s->calibration.src));
	json_object_set_new(suite, "calibration_count", json_integer(s->calibration.count));
	json_object_set_new(suite, "calibration_first", json_integer(s->calibration.first));
	json_t *plugins = json_array();
	for (int i = 0; i < s->n_plugins; i++) {
		const struct qx_suite_plugin *p = &s->plugins[i];
		json_t *opts = json_object();
		for (int j = 0; j < p->n_options; j++)
			json_object_set_new(opts, p->options[j].key, json_string(p->options[j].value));
		json_t *e = json_pack("{s:s, s:s?, s:s?, s:o, s:f, s:I, s:I}", "label", p->label, "name",
		                      p->name, "path", p->path, "options", opts, "timeout_s",
		                      p->timeout_s, "calibration_count", (json_int_t)p->calib_count,
		                      "calibration_first", (json_int_t)p->calib_first);
		json_t *sweep = qx_results_sweep_json(p);
		if (e && sweep)
			json_object_set_new(e, "sweep", sweep);
		if (e && p->sensitivity)
			json_object_set_new(e, "sensitivity", json_pack("{s:I}", "images",
			                                                (json_int_t)p->sensitivity_images));
		if (e && p->fallback)
			json_object_set_new(e, "fallback", json_pack("{s:f, s:I}", "max_drop",
			                                             p->fallback_max_drop, "images",
			                                             (json_int_t)p->fallback_images));
		json_array_append_new(plugins, e);
	}
	json_object_set_new(suite, "plugins", plugins);
	const struct qx_suite_measure *ms = &s->measure;
	json_t *threads = json_array(), *batches = json_array();
	for (int i = 0; i < ms->n_threads; i++)
		json_array_append_new(threads, json_integer(ms->threads[i]));
	for (int i = 0; i < ms->n_batch; i++)
		json_array_append_new(batches, json_integer(ms->batch[i]));
	json_object_set_new(suite, "measure", json_pack("{s:b, s:o, s:o, s:i, s:f, s:f, s:i, s:f}",
	                                                "enabled", ms->enabled, "threads", threads,
	                                                "batch", batches, "repetitions",
	                                                ms->repetitions, "warmup_s", ms->warmup_s,
	                                                "min_time_s", ms->min_time_s,
	                                                "max_repetitions", ms->max_repetitions ?
	                                                ms->max_repetitions : 2 * ms->repetitions,
	                                                "ci_target_percent", ms->ci_target_percent));
	json_object_set_new(suite, "bitexact_images", json_integer(s->bitexact_images));
	json_object_set_new(suite, "reference_images", json_integer(s->reference_images));
	json_object_set_new(r->root, "suite", suite);
	json_object_set_new(r->root, "build", json_pack("{s:s, s:s}", "compiler", "gcc " __VERSION__,
	                                                 "git_revision", QX_GIT_REV));
	json_object_set_new(r->root, "machine", qx_results_machine_json());
	json_object_set_new(r->root, "plugins", r->plugins);
	return 0;
}

static int fill_results(FILE *f, void *root)
{
	return json_dumpf(root, f, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
}

int qx_results_write(struct qx_results *r, struct qx_error *err)
{
	return qx_atomic_write(r->path, "results", fill_results, r->root, err);
}

void qx_results_mark_end(struct qx_results *r, int exit_status, int sig)
{
	json_object_set_new(r->root, "state", json_string(sig ? "interrupted" : exit_status <= 1
	                                                  ? "finished" : "failed"));
	if (sig) {
		json_object_set_new(r->root, "interrupted", json_true());
		json_object_set_new(r->root, "interrupted_by", json_string(qx_interrupt_signal_name(sig)));
	}
	json_object_set_new(r->root, "exit_status", json_integer(exit_status));
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
