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
#include "measure/topology.h"
#include "suite/sweep.h"
#include "util/atomic_write.h"
#include "util/interrupt.h"
#include "util/sha256.h"

#include "qx_git_rev.h"
#include "exec/pool.h"

/* Whether this machine pins threads: what a one-thread pool gets from hwloc. */
static int pinning_works(void)
{
	struct qx_pool *pool;
	if (qx_pool_create(1, 1, &pool, NULL))
		return 0;
	int pinned = qx_pool_pinned(pool);
	qx_pool_free(pool);
	return pinned;
}

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

/* hwloc pads some CPU model strings with spaces. */
static json_t *trimmed(const char *s)
{
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		n--;
	return json_stringn(s, n);
}

/* The CPU's instruction-set flags that matter to the kernel sets, from /proc/cpuinfo ("flags" on
 * x86, "Features" on AArch64), in a fixed order so that two runs on one machine compare equal. */
static json_t *isa_flags_json(void)
{
	static const char *const relevant[] = {
		"sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512dq",
		"avx512cd", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_int8", "asimd", "asimddp",
		"i8mm", "sve",
	};
	json_t *flags = json_array();
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return flags;
	char line[8192];
	char have[8192] = "";
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0) {
			const char *colon = strchr(line, ':');
			if (colon)
				snprintf(have, sizeof have, " %s ", colon + 1);
			break;
		}
	}
	fclose(f);
	for (char *p = have; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
	for (size_t i = 0; i < sizeof relevant / sizeof relevant[0]; i++) {
		char word[64];
		snprintf(word, sizeof word, " %s ", relevant[i]);
		if (strstr(have, word))
			json_array_append_new(flags, json_string(relevant[i]));
	}
	return flags;
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
	struct qx_topology topo;
	if (qx_topology_get(&topo, NULL) == 0) {
		json_object_set_new(m, "cpu_model", trimmed(topo.cpu_model));
		json_object_set_new(m, "topology", qx_topology_json(&topo));
	}
	json_object_set_new(m, "isa_flags", isa_flags_json());
	/* Stable across runs: compare treats a change here as another machine. Each measurement
	 * records the PUs its own pool used. */
	json_object_set_new(m, "pinning", json_pack("{s:b, s:s}", "enabled", pinning_works(), "policy",
	                                            "one thread per core (hwloc)"));
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
		json_t *sweep = qx_sweep_json(p);
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
	json_object_set_new(r->root, "machine", machine_json());
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
