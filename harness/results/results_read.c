#include "results/results_read.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "results/results.h"

/* ---- the schema check ------------------------------------------------------------------- */

struct check {
	const char *file;
	struct qx_error *err;
	int rc;                    /* the first failure; later checks are skipped */
};

/* What a value is, for messages: a string quoted, else its JSON type. */
static void describe(json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		snprintf(buf, size, "\"%.60s\"", json_string_value(v));
	else if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%g", json_real_value(v));
	else
		snprintf(buf, size, "%s", json_is_integer(v) ? "an integer" : json_is_real(v) ?
		         "a number" : json_is_boolean(v) ? "a boolean" : json_is_null(v) ? "null" :
		         json_is_array(v) ? "an array" : "an object");
}

static int fail(struct check *c, const char *where, json_t *v, const char *expected)
{
	if (c->rc)
		return c->rc;
	char got[80] = "missing";
	if (v)
		describe(v, got, sizeof got);
	c->rc = qx_fail(c->err, QX_EINVAL, "%s: %s: %s (expected %s; "
	                "docs/results-format.md, schemas/results.schema.json)", c->file,
	                where[0] ? where : "(the document)", got, expected);
	return c->rc;
}

/* A JSON path for messages; a cut-short one still says where. */
static void where_of(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void where_of(char *out, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out, size, fmt, ap);
	va_end(ap);
}

/* where.key, or key at the top. */
static void child(char *out, size_t size, const char *where, const char *key)
{
	where_of(out, size, "%s%s%s", where, where[0] ? "." : "", key);
}

enum kind { STRING, INTEGER, COUNT, POSITIVE, NUMBER, BOOLEAN, OBJECT, ARRAY };

static const char *const kind_text[] = {
	[STRING] = "a string", [INTEGER] = "an integer", [COUNT] = "an integer >= 0",
	[POSITIVE] = "an integer >= 1", [NUMBER] = "a number", [BOOLEAN] = "true or false",
	[OBJECT] = "an object", [ARRAY] = "an array",
};

static int is_kind(json_t *v, enum kind k)
{
	switch (k) {
	case STRING: return json_is_string(v);
	case INTEGER: return json_is_integer(v);
	case COUNT: return json_is_integer(v) && json_integer_value(v) >= 0;
	case POSITIVE: return json_is_integer(v) && json_integer_value(v) >= 1;
	case NUMBER: return json_is_number(v);
	case BOOLEAN: return json_is_boolean(v);
	case OBJECT: return json_is_object(v);
	case ARRAY: return json_is_array(v);
	}
	return 0;
}

/* obj.key, which must have kind k when present (or always, when required). Returns the value,
 * NULL when absent or wrong. */
static json_t *field(struct check *c, json_t *obj, const char *where, const char *key,
                     enum kind k, int required)
{
	json_t *v = json_object_get(obj, key);
	if (c->rc || (!v && !required))
		return NULL;
	if (!is_kind(v, k)) {
		char at[512];
		child(at, sizeof at, where, key);
		fail(c, at, v, kind_text[k]);
		return NULL;
	}
	return v;
}

/* obj.key, when present, is one of values (NULL-terminated). */
static void one_of(struct check *c, json_t *obj, const char *where, const char *key,
                   const char *const *values, const char *expected)
{
	json_t *v = field(c, obj, where, key, STRING, 0);
	if (!v)
		return;
	for (int i = 0; values[i]; i++)
		if (!strcmp(json_string_value(v), values[i]))
			return;
	char at[512];
	child(at, sizeof at, where, key);
	fail(c, at, v, expected);
}

/* Every key of obj is listed (the schema's additionalProperties: false). Used where a reader
 * once took a key the schema forbids; elsewhere unknown keys are the schema test's business
 * (tests/results_schema.sh), so that a writer adding a field needs no change here. */
static void only_keys(struct check *c, json_t *obj, const char *where,
                      const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		int found = 0;
		for (int i = 0; allowed[i] && !found; i++)
			found = !strcmp(key, allowed[i]);
		if (!found && !c->rc) {
			char at[512];
			child(at, sizeof at, where, key);
			fail(c, at, v, "no such key: the schema does not have it");
		}
	}
}

/* An array whose items all have kind k. */
static void array_of(struct check *c, json_t *obj, const char *where, const char *key,
                     enum kind k)
{
	json_t *arr = field(c, obj, where, key, ARRAY, 0);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		if (is_kind(v, k) || c->rc)
			continue;
		char at[512];
		where_of(at, sizeof at, "%s%s%s[%zu]", where, where[0] ? "." : "", key, i);
		fail(c, at, v, kind_text[k]);
	}
}

static const char *const speedup_keys[] = { "ratio", "ci95_low", "ci95_high", "method", NULL };
static const char *const kernel_check_keys[] = {
	"name", "bit_identical", "checked_images", "mismatch", "not_applicable", NULL,
};
static const char *const simulated_keys[] = { "reason", "fp32_kernels", "latency", NULL };

static void check_measurement(struct check *c, json_t *m, const char *where)
{
	if (!json_is_object(m)) {
		fail(c, where, m, "a measurement object");
		return;
	}
	field(c, m, where, "kernels", STRING, 1);
	field(c, m, where, "threads", POSITIVE, 1);
	field(c, m, where, "batch", POSITIVE, 1);
	if (json_object_get(m, "error")) {   /* a configuration that could not run */
		field(c, m, where, "error", STRING, 1);
		return;
	}
	static const char *const ms_batch[] = { "ms/batch", NULL };
	field(c, m, where, "unit", STRING, 1);
	one_of(c, m, where, "unit", ms_batch, "\"ms/batch\", the only unit results.json has");
	field(c, m, where, "median", NUMBER, 1);
	field(c, m, where, "p99", NUMBER, 0);
	field(c, m, where, "cv", NUMBER, 0);
	field(c, m, where, "images_per_s", NUMBER, 0);
	array_of(c, m, where, "samples", NUMBER);
	char at[512];
	json_t *noise = field(c, m, where, "noise", OBJECT, 0);
	child(at, sizeof at, where, "noise");
	field(c, noise, at, "load1_max", NUMBER, 0);
	field(c, noise, at, "preempted", BOOLEAN, 0);
	array_of(c, noise, at, "median_ci95", NUMBER);
	array_of(c, noise, at, "warnings", STRING);
	json_t *reps = field(c, m, where, "repetitions", ARRAY, 0);
	size_t i;
	json_t *r;
	json_array_foreach(reps, i, r) {
		where_of(at, sizeof at, "%s.repetitions[%zu]", where, i);
		if (!json_is_object(r)) {
			fail(c, at, r, "an object");
			break;
		}
		field(c, r, at, "median", NUMBER, 1);
		field(c, r, at, "cpu_median", NUMBER, 0);
		field(c, r, at, "reference_ms", NUMBER, 0);
	}
	json_t *sp = field(c, m, where, "speedup_vs_fp32", OBJECT, 0);
	if (sp) {
		child(at, sizeof at, where, "speedup_vs_fp32");
		only_keys(c, sp, at, speedup_keys);
		field(c, sp, at, "ratio", NUMBER, 1);
		field(c, sp, at, "ci95_low", NUMBER, 1);
		field(c, sp, at, "ci95_high", NUMBER, 1);
	}
}

static void check_measurements(struct check *c, json_t *sys, const char *where)
{
	json_t *arr = field(c, sys, where, "measurements", ARRAY, 0);
	size_t i;
	json_t *m;
	json_array_foreach(arr, i, m) {
		char at[512];
		where_of(at, sizeof at, "%s.measurements[%zu]", where, i);
		check_measurement(c, m, at);
	}
}

/* fp32 or a plugin's result (not its error row). */
static void check_system(struct check *c, json_t *s, const char *where, int is_fp32)
{
	field(c, s, where, "images", COUNT, 0);
	field(c, s, where, "correct", COUNT, 0);
	field(c, s, where, "model_bytes", COUNT, 0);
	field(c, s, where, "accuracy", NUMBER, 0);
	field(c, s, where, is_fp32 ? "kernels" : "accuracy_kernels", STRING, 0);
	array_of(c, s, where, "predictions", INTEGER);
	check_measurements(c, s, where);
	if (is_fp32)
		return;
	char at[512];
	field(c, s, where, "agreement", NUMBER, 0);
	field(c, s, where, "same_plan_as", STRING, 0);
	json_t *drop = field(c, s, where, "drop", OBJECT, 0);
	child(at, sizeof at, where, "drop");
	field(c, drop, at, "points", NUMBER, drop != NULL);
	field(c, drop, at, "ci95_low", NUMBER, 0);
	field(c, drop, at, "ci95_high", NUMBER, 0);
	json_t *trust = field(c, s, where, "trust", OBJECT, 0);
	child(at, sizeof at, where, "trust");
	static const char *const verdicts[] = { "trusted", "MISTRUSTED", "unchecked", "simulated",
		                                    NULL };
	field(c, trust, at, "verdict", STRING, trust != NULL);
	one_of(c, trust, at, "verdict", verdicts, "\"trusted\", \"MISTRUSTED\", \"unchecked\" or "
	       "\"simulated\"");
	field(c, trust, at, "reason", STRING, 0);
	field(c, trust, at, "images", COUNT, 0);
	json_t *plugin = field(c, s, where, "plugin", OBJECT, 0);
	child(at, sizeof at, where, "plugin");
	field(c, plugin, at, "name", STRING, 0);
	field(c, plugin, at, "version", STRING, 0);
	field(c, plugin, at, "description", STRING, 0);
	json_t *sim = field(c, s, where, "simulated", OBJECT, 0);
	if (sim) {
		static const char *const no_kernel[] = { "no kernel", NULL };
		child(at, sizeof at, where, "simulated");
		only_keys(c, sim, at, simulated_keys);
		field(c, sim, at, "reason", STRING, 1);
		field(c, sim, at, "fp32_kernels", STRING, 1);
		field(c, sim, at, "latency", STRING, 1);
		one_of(c, sim, at, "latency", no_kernel, "\"no kernel\"");
	}
	json_t *sets = field(c, s, where, "kernel_sets", ARRAY, 0);
	size_t i;
	json_t *k;
	json_array_foreach(sets, i, k) {
		where_of(at, sizeof at, "%s.kernel_sets[%zu]", where, i);
		if (!json_is_object(k)) {
			fail(c, at, k, "a bit-exactness check object");
			break;
		}
		only_keys(c, k, at, kernel_check_keys);
		field(c, k, at, "name", STRING, 1);
		/* a simulated plan (ABI 1.3): no kernel ran it, bit_identical is null */
		if (field(c, k, at, "not_applicable", STRING, 0)) {
			json_t *bi = json_object_get(k, "bit_identical");
			if (!json_is_null(bi)) {
				char bat[600];
				child(bat, sizeof bat, at, "bit_identical");
				fail(c, bat, bi, "null beside not_applicable");
			}
			continue;
		}
		field(c, k, at, "bit_identical", BOOLEAN, 0);
		field(c, k, at, "checked_images", COUNT, 0);
		field(c, k, at, "mismatch", STRING, 0);
	}
}

static int check_document(struct check *c, json_t *root)
{
	static const char *const tags[] = { "nightly", "ad-hoc", NULL };
	static const char *const states[] = { "running", "finished", "interrupted", "failed", NULL };
	field(c, root, "", "tool", STRING, 0);
	field(c, root, "", "run_id", STRING, 0);
	field(c, root, "", "started", STRING, 0);
	one_of(c, root, "", "tag", tags, "\"nightly\" or \"ad-hoc\"");
	one_of(c, root, "", "state", states, "\"running\", \"finished\", \"interrupted\" or "
	       "\"failed\"");
	field(c, root, "", "interrupted_by", STRING, 0);
	field(c, root, "", "quick", BOOLEAN, 0);
	field(c, root, "", "interrupted", BOOLEAN, 0);
	field(c, root, "", "exit_status", INTEGER, 0);
	field(c, root, "", "machine", OBJECT, 0);
	array_of(c, root, "", "labels", INTEGER);
	json_t *suite = field(c, root, "", "suite", OBJECT, 0);
	field(c, suite, "suite", "name", STRING, 0);
	field(c, suite, "suite", "path", STRING, 0);
	field(c, suite, "suite", "model", STRING, 0);
	field(c, suite, "suite", "batch", POSITIVE, 0);
	json_t *fp32 = field(c, root, "", "fp32", OBJECT, 0);
	if (fp32)
		check_system(c, fp32, "fp32", 1);
	json_t *plugins = field(c, root, "", "plugins", ARRAY, 0);
	size_t i;
	json_t *p;
	json_array_foreach(plugins, i, p) {
		char at[64];
		where_of(at, sizeof at, "plugins[%zu]", i);
		if (!json_is_object(p)) {
			fail(c, at, p, "a plugin result object");
			break;
		}
		field(c, p, at, "label", STRING, 1);
		if (json_object_get(p, "error"))
			field(c, p, at, "error", STRING, 1);
		else
			check_system(c, p, at, 0);
	}
	return c->rc;
}

int qx_results_check(json_t *root, const char *file, struct qx_error *err)
{
	struct check c = { file, err, 0 };
	return check_document(&c, root);
}

/* ---- opening ------------------------------------------------------------------------------ */

int qx_results_open(const char *path, struct qx_results_file *f, struct qx_error *err)
{
	memset(f, 0, sizeof *f);
	struct stat st;
	if (stat(path, &st) != 0)
		return qx_fail(err, QX_ENOENT, "%s: %s (expected a results.json or a run folder "
		               "holding one)", path, strerror(errno));
	size_t len = strlen(path) + sizeof "/results.json";
	f->path = malloc(len);
	if (!f->path)
		return qx_fail_nomem(err, "reading results");
	snprintf(f->path, len, S_ISDIR(st.st_mode) ? "%s/results.json" : "%s", path);
	int rc = 0;
	json_error_t jerr;
	if (stat(f->path, &st) != 0) {
		rc = qx_fail(err, QX_ENOENT, "%s: %s (expected the run folder to hold results.json)",
		             f->path, strerror(errno));
	} else if (!(f->root = json_load_file(f->path, 0, &jerr))) {
		rc = qx_fail(err, QX_EINVAL, "%s:%d:%d: %s (expected a results.json document)",
		             f->path, jerr.line, jerr.column, jerr.text);
	} else if (!json_is_object(f->root) ||
	           !json_is_integer(json_object_get(f->root, "schema_version"))) {
		rc = qx_fail(err, QX_EINVAL, "%s: no integer schema_version (expected a qx-bench "
		             "results.json)", f->path);
	} else {
		f->schema_version = (int64_t)json_integer_value(json_object_get(f->root,
		                                                                "schema_version"));
		if (f->schema_version < 1 || f->schema_version > QX_RESULTS_SCHEMA_VERSION)
			rc = qx_fail(err, f->schema_version > QX_RESULTS_SCHEMA_VERSION ?
			             QX_EUNSUPPORTED : QX_EINVAL, "%s: schema_version %lld (expected 1 to "
			             "%d: written by another qx-bench)", f->path,
			             (long long)f->schema_version, QX_RESULTS_SCHEMA_VERSION);
	}
	if (!rc)
		rc = qx_results_check(f->root, f->path, err);
	if (rc)
		qx_results_close(f);
	return rc;
}

void qx_results_close(struct qx_results_file *f)
{
	if (f->root)
		json_decref(f->root);
	free(f->path);
	memset(f, 0, sizeof *f);
}
