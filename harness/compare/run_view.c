#include "compare/run_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/stats.h"
#include "results/results_read.h"

static void note(struct qx_run_view *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct qx_run_view *v, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char **grown = realloc(v->notes, sizeof *grown * (size_t)(v->n_notes + 1));
	if (!grown)
		return;   /* a lost note is better than a lost comparison */
	v->notes = grown;
	if ((v->notes[v->n_notes] = strdup(line)))
		v->n_notes++;
}

static const char *string_or(json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : fallback;
}

static int64_t int_or(json_t *obj, const char *key, int64_t fallback)
{
	json_t *j = json_object_get(obj, key);
	return json_is_integer(j) ? (int64_t)json_integer_value(j) : fallback;
}

static double number_or(json_t *obj, const char *key, double fallback)
{
	json_t *j = json_object_get(obj, key);
	return json_is_number(j) ? json_number_value(j) : fallback;
}

/* An array of integers (predictions, labels); NULL with a note when absent or malformed. */
static int32_t *int_array(struct qx_run_view *v, json_t *arr, const char *where, int64_t *n,
                          int *nomem)
{
	*n = 0;
	if (!arr)
		return NULL;
	if (!json_is_array(arr)) {
		note(v, "%s: not an array: ignored", where);
		return NULL;
	}
	size_t len = json_array_size(arr);
	int32_t *out = malloc((len ? len : 1) * sizeof *out);
	if (!out) {
		*nomem = 1;
		return NULL;
	}
	for (size_t i = 0; i < len; i++) {
		json_t *e = json_array_get(arr, i);
		if (!json_is_integer(e)) {
			note(v, "%s[%zu]: not an integer: %s ignored", where, i, where);
			free(out);
			return NULL;
		}
		out[i] = (int32_t)json_integer_value(e);
	}
	*n = (int64_t)len;
	return out;
}

/* Per-round medians (what compare's verdict is decided on, measure/verdict.h) and the noise
 * summary's load and preemption. */
static int read_rounds(struct qx_run_view *v, json_t *jm, const char *where,
                       struct qx_run_view_measurement *m)
{
	json_t *noise = json_object_get(jm, "noise");
	m->load1_max = number_or(noise, "load1_max", -1.0);
	json_t *pre = json_object_get(noise, "preempted");
	m->preempted = json_is_boolean(pre) ? json_is_true(pre) : -1;
	json_t *reps = json_object_get(jm, "repetitions");
	size_t n = json_is_array(reps) ? json_array_size(reps) : 0;
	if (!n) {
		note(v, "%s: no repetitions: no per-round medians, latency not decided", where);
		return 0;
	}
	m->round_wall = malloc(n * sizeof *m->round_wall);
	m->round_cpu = malloc(n * sizeof *m->round_cpu);
	m->round_reference = malloc(n * sizeof *m->round_reference);
	if (!m->round_wall || !m->round_cpu || !m->round_reference)
		return QX_ENOMEM;
	int have_cpu = 1, have_reference = 1;
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(reps, i);
		json_t *w = json_object_get(r, "median"), *c = json_object_get(r, "cpu_median");
		if (!json_is_number(w)) {
			note(v, "%s.repetitions[%zu].median: not a number: rounds ignored", where, i);
			free(m->round_wall);
			free(m->round_cpu);
			free(m->round_reference);
			m->round_wall = m->round_cpu = m->round_reference = NULL;
			return 0;
		}
		m->round_wall[i] = json_number_value(w);
		if (json_is_number(c))
			m->round_cpu[i] = json_number_value(c);
		else
			have_cpu = 0;
		json_t *ref = json_object_get(r, "reference_ms");
		if (json_is_number(ref) && json_number_value(ref) > 0)
			m->round_reference[i] = json_number_value(ref);
		else
			have_reference = 0;   /* older results.json: no drift correction */
	}
	if (!have_reference) {
		free(m->round_reference);
		m->round_reference = NULL;
	}
	if (!have_cpu) {
		free(m->round_cpu);
		m->round_cpu = NULL;
	}
	m->rounds = n;
	return 0;
}

static int read_measurement(struct qx_run_view *v, json_t *jm, const char *where,
                            const char *kernels_default, struct qx_run_view_measurement *m)
{
	memset(m, 0, sizeof *m);
	m->kernels = string_or(jm, "kernels", kernels_default ? kernels_default : "");
	m->threads = (int)int_or(jm, "threads", 0);
	m->batch = (int)int_or(jm, "batch", 0);
	m->unit = string_or(jm, "unit", "ms/batch");
	m->cv = number_or(jm, "cv", -1.0);
	double stored = number_or(jm, "median", -1.0);
	if (!m->kernels[0] || m->threads < 1 || m->batch < 1)
		note(v, "%s: kernels, threads or batch missing: it matches only the same gap in the "
		     "other run", where);
	json_t *samples = json_object_get(jm, "samples");
	size_t len = json_is_array(samples) ? json_array_size(samples) : 0;
	if (len) {
		m->samples = malloc(len * sizeof *m->samples);
		if (!m->samples)
			return QX_ENOMEM;
		for (size_t i = 0; i < len; i++) {
			json_t *e = json_array_get(samples, i);
			if (!json_is_number(e)) {
				note(v, "%s.samples[%zu]: not a number: samples ignored", where, i);
				free(m->samples);
				m->samples = NULL;
				len = 0;
				break;
			}
			m->samples[i] = json_number_value(e);
		}
		m->n_samples = len;
	} else {
		note(v, "%s: no samples: median only, no significance test", where);
	}
	int rc = read_rounds(v, jm, where, m);
	if (rc)
		return rc;
	struct qx_summary s;
	if (m->samples && qx_stats_summarize(m->samples, m->n_samples, &s, NULL) == 0) {
		m->median = s.median;
		m->cv = s.cv;
		m->has_median = 1;
	} else if (stored >= 0.0) {
		m->median = stored;
		m->has_median = 1;
	}
	return 0;
}

static int append_measurements(struct qx_run_view *v, struct qx_run_view_system *s, json_t *arr,
                               const char *where, const char *kernels_default)
{
	if (!json_is_array(arr))
		return 0;
	size_t n = json_array_size(arr);
	struct qx_run_view_measurement *grown = realloc(s->m, sizeof *grown * (s->n_m + n + 1));
	if (!grown)
		return QX_ENOMEM;
	s->m = grown;
	for (size_t i = 0; i < n; i++) {
		char at[256];
		snprintf(at, sizeof at, "%s.measurements[%zu]", where, i);
		json_t *jm = json_array_get(arr, i);
		if (!json_is_object(jm)) {
			note(v, "%s: not an object: skipped", at);
			continue;
		}
		int rc = read_measurement(v, jm, at, kernels_default, &s->m[s->n_m]);
		if (rc)
			return rc;
		s->n_m++;
	}
	return 0;
}

static int read_system(struct qx_run_view *v, json_t *js, const char *label, const char *where,
                       struct qx_run_view_system *s)
{
	memset(s, 0, sizeof *s);
	s->label = label;
	s->error = json_string_value(json_object_get(js, "error"));
	json_t *trust = json_object_get(js, "trust");
	const char *verdict = json_string_value(json_object_get(trust, "verdict"));
	if (verdict && strcmp(verdict, "MISTRUSTED") == 0) {
		s->mistrusted = json_string_value(json_object_get(trust, "reason"));
		if (!s->mistrusted)
			s->mistrusted = "MISTRUSTED (no reason recorded)";
	}
	s->simulated = json_string_value(json_object_get(json_object_get(js, "simulated"), "reason"));
	s->images = int_or(js, "images", -1);
	s->correct = int_or(js, "correct", -1);
	s->accuracy = number_or(js, "accuracy", -1.0);
	int nomem = 0;
	char at[256];
	snprintf(at, sizeof at, "%s.predictions", where);
	s->pred = int_array(v, json_object_get(js, "predictions"), at, &s->n_pred, &nomem);
	if (nomem)
		return QX_ENOMEM;
	if (!s->pred && !s->error)
		note(v, "%s: no predictions: accuracy compared by count only, no image ids", where);
	return append_measurements(v, s, json_object_get(js, "measurements"), where, NULL);
}

static int read_systems(struct qx_run_view *v)
{
	json_t *fp32 = json_object_get(v->root, "fp32");
	json_t *plugins = json_object_get(v->root, "plugins");
	size_t n = (fp32 ? 1 : 0) + json_array_size(plugins);
	v->sys = calloc(n ? n : 1, sizeof *v->sys);
	if (!v->sys)
		return QX_ENOMEM;
	if (json_is_object(fp32)) {
		int rc = read_system(v, fp32, "fp32", "fp32", &v->sys[v->n_sys]);
		v->n_sys++;
		if (rc)
			return rc;
	} else {
		note(v, "no fp32 section: baseline not compared");
	}
	if (plugins && !json_is_array(plugins))
		note(v, "plugins: not an array: no plugin compared");
	size_t i;
	json_t *p;
	json_array_foreach(plugins, i, p) {
		char at[64];
		snprintf(at, sizeof at, "plugins[%zu]", i);
		const char *label = json_string_value(json_object_get(p, "label"));
		if (!json_is_object(p) || !label || !label[0]) {
			note(v, "%s: no label: skipped", at);
			continue;
		}
		if (qx_run_view_system(v, label)) {
			note(v, "%s: label '%s' appears twice: the second one is skipped", at, label);
			continue;
		}
		char where[320];
		snprintf(where, sizeof where, "%s (%s)", at, label);
		int rc = read_system(v, p, label, where, &v->sys[v->n_sys]);
		v->n_sys++;
		if (rc)
			return rc;
	}
	return 0;
}

/* How the run ended: a partial run must never read as a finished one. */
static void read_state(struct qx_run_view *v)
{
	v->tag = string_or(v->root, "tag", "");
	v->quick = json_is_true(json_object_get(v->root, "quick"));
	int marked = json_is_true(json_object_get(v->root, "interrupted"));
	v->state = string_or(v->root, "state", marked ? "interrupted" : "finished");
	v->partial = strcmp(v->state, "finished") != 0;
	if (!v->partial)
		return;
	const char *by = string_or(v->root, "interrupted_by", NULL);
	json_t *status = json_object_get(v->root, "exit_status");
	if (!strcmp(v->state, "interrupted"))
		snprintf(v->partial_why, sizeof v->partial_why, "interrupted%s%s%s", by ? " by " : "",
		         by ? by : "", by && !strcmp(by, "SIGPIPE") ? " (its stdout was closed)" : "");
	else if (!strcmp(v->state, "running"))
		snprintf(v->partial_why, sizeof v->partial_why, "never finished (the process was "
		         "killed or crashed, or is still running)");
	else if (json_is_integer(status))
		snprintf(v->partial_why, sizeof v->partial_why, "failed (exit status %lld)",
		         (long long)json_integer_value(status));
	else
		snprintf(v->partial_why, sizeof v->partial_why, "%s", v->state);
}

int qx_run_view_load(const char *path, struct qx_run_view *v, struct qx_error *err)
{
	memset(v, 0, sizeof *v);
	struct qx_results_file f;
	int rc = qx_results_open(path, &f, err);
	if (rc)
		return rc;
	v->path = f.path;          /* the view takes both over */
	v->root = f.root;
	v->schema_version = f.schema_version;
	v->run_id = string_or(v->root, "run_id", "");
	v->started = string_or(v->root, "started", "");
	read_state(v);
	json_t *suite = json_object_get(v->root, "suite");
	v->suite = string_or(suite, "name", "");
	v->model = string_or(suite, "model", "");
	v->machine = json_object_get(v->root, "machine");
	if (!json_is_object(v->machine)) {
		v->machine = NULL;
		note(v, "no machine section: machine identity cannot be checked");
	}
	int nomem = 0;
	v->labels = int_array(v, json_object_get(v->root, "labels"), "labels", &v->n_labels,
	                      &nomem);
	if (!v->labels && !nomem)
		note(v, "no labels: correctness per image unknown, accuracy compared by count only");
	rc = nomem ? QX_ENOMEM : read_systems(v);
	if (rc) {
		qx_run_view_free(v);
		return qx_fail_nomem(err, "reading results");
	}
	return 0;
}

const char *const qx_machine_identity_keys[QX_MACHINE_IDENTITY_KEYS] = {
	"cpu_model", "isa_flags", "topology", "pinning", "arch", "online_cpus",
};

char *qx_run_view_machine_key(const struct qx_run_view *v)
{
	if (!v->machine)
		return NULL;
	json_t *id = json_object();
	for (int k = 0; k < QX_MACHINE_IDENTITY_KEYS; k++) {
		json_t *val = json_object_get(v->machine, qx_machine_identity_keys[k]);
		if (val)
			json_object_set(id, qx_machine_identity_keys[k], val);
	}
	char *key = json_dumps(id, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(id);
	return key;
}

const struct qx_run_view_system *qx_run_view_system(const struct qx_run_view *v, const char *label)
{
	for (int i = 0; i < v->n_sys; i++)
		if (v->sys[i].label && !strcmp(v->sys[i].label, label))
			return &v->sys[i];
	return NULL;
}

const struct qx_run_view_measurement *qx_run_view_measurement(const struct qx_run_view_system *s,
                                                      const char *kernels, int threads,
                                                      int batch)
{
	for (int i = 0; i < s->n_m; i++)
		if (!strcmp(s->m[i].kernels, kernels) && s->m[i].threads == threads &&
		    s->m[i].batch == batch)
			return &s->m[i];
	return NULL;
}

void qx_run_view_free(struct qx_run_view *v)
{
	for (int i = 0; i < v->n_sys; i++) {
		free(v->sys[i].pred);
		for (int j = 0; j < v->sys[i].n_m; j++) {
			free(v->sys[i].m[j].samples);
			free(v->sys[i].m[j].round_wall);
			free(v->sys[i].m[j].round_cpu);
			free(v->sys[i].m[j].round_reference);
		}
		free(v->sys[i].m);
	}
	free(v->sys);
	free(v->labels);
	for (int i = 0; i < v->n_notes; i++)
		free(v->notes[i]);
	free(v->notes);
	if (v->root)
		json_decref(v->root);
	free(v->path);
	memset(v, 0, sizeof *v);
}
