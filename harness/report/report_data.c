#include "report/report_data.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "measure/stats.h"
#include "results/results_read.h"

static void note(struct qx_rep *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(struct qx_rep *r, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	char **grown = realloc(r->notes, sizeof *grown * (size_t)(r->n_notes + 1));
	if (!grown)
		return;   /* a lost note is better than a lost report */
	r->notes = grown;
	if ((r->notes[r->n_notes] = strdup(line)))
		r->n_notes++;
}

/* The path of a part inside the document, for notes ("plugins[2] (x).measurements[0]"). */
static void where_of(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void where_of(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);   /* a cut-short path still says where */
	va_end(ap);
}

static const char *str_or(json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : fallback;
}

/* A number field: NaN when absent; NaN and a note when present but not a number. */
static double num_field(struct qx_rep *r, json_t *obj, const char *key, const char *where)
{
	json_t *j = json_object_get(obj, key);
	if (!j || json_is_null(j))
		return NAN;
	if (!json_is_number(j)) {
		note(r, "%s.%s: not a number: left out", where, key);
		return NAN;
	}
	return json_number_value(j);
}

static int64_t int_field(struct qx_rep *r, json_t *obj, const char *key, const char *where)
{
	json_t *j = json_object_get(obj, key);
	if (!j || json_is_null(j))
		return -1;
	if (!json_is_integer(j) || json_integer_value(j) < 0) {
		note(r, "%s.%s: not a non-negative integer: left out", where, key);
		return -1;
	}
	return (int64_t)json_integer_value(j);
}

/* The median of a samples array, or NaN (with a note when it is malformed). */
static double samples_median(struct qx_rep *r, json_t *samples, const char *where)
{
	size_t n = json_array_size(samples);
	if (!json_is_array(samples) || n == 0)
		return NAN;
	double *x = malloc(n * sizeof *x);
	if (!x)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(samples, i);
		if (!json_is_number(v)) {
			note(r, "%s.samples[%zu]: not a number: samples ignored", where, i);
			free(x);
			return NAN;
		}
		x[i] = json_number_value(v);
	}
	struct qx_summary sum;
	struct qx_error err = { 0 };
	double med = NAN;
	if (qx_stats_summarize(x, n, &sum, &err) == 0)
		med = sum.median;
	else
		note(r, "%s.samples: %s: samples ignored", where, err.msg);
	free(x);
	return med;
}

static int has_meas(const struct qx_rep_system *s, const char *kernels, int threads, int batch)
{
	for (int i = 0; i < s->n_meas; i++)
		if (strcmp(s->meas[i].kernels, kernels) == 0 && s->meas[i].threads == threads &&
		    s->meas[i].batch == batch)
			return 1;
	return 0;
}

/* The noise figures the table shows beside a median (docs/measurement.md, "Noise"); absent
 * ones (older files) stay NaN / -1 / NULL. */
static void read_noise(json_t *j, struct qx_rep_meas *m)
{
	json_t *noise = json_object_get(j, "noise");
	json_t *p99 = json_object_get(j, "p99"), *cv = json_object_get(j, "cv");
	m->p99_ms = json_is_number(p99) ? json_number_value(p99) : NAN;
	m->cv = json_is_number(cv) ? json_number_value(cv) : NAN;
	json_t *ci = json_object_get(noise, "median_ci95");
	m->ci_lo_ms = json_is_number(json_array_get(ci, 0)) ? json_number_value(json_array_get(ci, 0))
	                                                    : NAN;
	m->ci_hi_ms = json_is_number(json_array_get(ci, 1)) ? json_number_value(json_array_get(ci, 1))
	                                                    : NAN;
	json_t *pre = json_object_get(noise, "preempted");
	m->preempted = json_is_boolean(pre) ? json_is_true(pre) : -1;
	json_t *load = json_object_get(noise, "load1_max");
	m->load1 = json_is_number(load) ? json_number_value(load) : NAN;
	json_t *w = json_object_get(noise, "warnings");
	size_t len = 0, i;
	json_t *e;
	json_array_foreach(w, i, e)
		len += json_is_string(e) ? strlen(json_string_value(e)) + 2 : 0;
	if (len) {
		char *all = malloc(len + 1);
		if (all) {
			all[0] = '\0';
			json_array_foreach(w, i, e)
				if (json_is_string(e)) {
					if (all[0])
						strcat(all, "; ");
					strcat(all, json_string_value(e));
				}
		}
		m->warnings = all;
	}
}

/* Appends one measurement to s; malformed ones are left out with a note. -1: out of memory. */
static int read_meas(struct qx_rep *r, struct qx_rep_system *s, json_t *j, const char *kset,
                     const char *where)
{
	if (!json_is_object(j)) {
		note(r, "%s: not an object: left out", where);
		return 0;
	}
	struct qx_rep_meas m = { 0 };
	m.kernels = str_or(j, "kernels", kset ? kset : "");
	int64_t threads = int_field(r, j, "threads", where);
	int64_t batch = int_field(r, j, "batch", where);
	m.threads = threads > 0 && threads < 1 << 20 ? (int)threads : 0;
	m.batch = batch > 0 && batch < 1 << 24 ? (int)batch : 0;
	/* A configuration that could not run (more threads than cores) is recorded with why. */
	const char *failed = str_or(j, "error", NULL);
	if (failed) {
		note(r, "%s: %s, %d threads, batch %d was not measured: %s", where, m.kernels,
		     m.threads, m.batch, failed);
		return 0;
	}
	/* unit is "ms/batch": the results reader refuses any other. */
	double median = num_field(r, j, "median", where);
	if (isnan(median))
		median = samples_median(r, json_object_get(j, "samples"), where);
	if (!(median > 0) || !isfinite(median)) {
		note(r, "%s: no positive median or samples: left out", where);
		return 0;
	}
	m.median_ms = median;
	m.images_per_s = num_field(r, j, "images_per_s", where);
	if (!(m.images_per_s > 0))
		m.images_per_s = m.batch > 0 ? m.batch * 1000.0 / m.median_ms : NAN;
	json_t *sp = json_object_get(j, "speedup_vs_fp32");
	m.speedup_lo = m.speedup_hi = NAN;
	if (sp && !json_is_null(sp)) {
		char sp_where[300];
		where_of(sp_where, sizeof sp_where, "%s.speedup_vs_fp32", where);
		double ratio = num_field(r, sp, "ratio", sp_where);
		if (ratio > 0 && isfinite(ratio)) {
			m.has_speedup = 1;
			m.speedup = ratio;
			double lo = num_field(r, sp, "ci95_low", sp_where);
			double hi = num_field(r, sp, "ci95_high", sp_where);
			if (lo > 0 && hi >= lo && isfinite(hi)) {
				m.speedup_lo = lo;
				m.speedup_hi = hi;
			}
		} else {
			note(r, "%s: no positive ratio: computed from medians instead", sp_where);
		}
	}
	if (has_meas(s, m.kernels, m.threads, m.batch)) {
		note(r, "%s: a second measurement of %s, %d threads, batch %d: left out", where,
		     m.kernels, m.threads, m.batch);
		return 0;
	}
	struct qx_rep_meas *grown = realloc(s->meas, sizeof *grown * (size_t)(s->n_meas + 1));
	if (!grown)
		return -1;
	s->meas = grown;
	read_noise(j, &m);
	s->meas[s->n_meas++] = m;
	return 0;
}

static int read_meas_array(struct qx_rep *r, struct qx_rep_system *s, json_t *arr,
                           const char *kset, const char *where)
{
	if (!arr || json_is_null(arr))
		return 0;
	if (!json_is_array(arr)) {
		note(r, "%s: not an array: left out", where);
		return 0;
	}
	for (size_t i = 0; i < json_array_size(arr); i++) {
		char w[300];
		where_of(w, sizeof w, "%s[%zu]", where, i);
		if (read_meas(r, s, json_array_get(arr, i), kset, w))
			return -1;
	}
	return 0;
}

static int read_ksets(struct qx_rep *r, struct qx_rep_system *s, json_t *arr, const char *where)
{
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		note(r, "%s.kernel_sets: not an array: left out", where);
		return 0;
	}
	size_t n = json_array_size(arr);
	s->ksets = calloc(n ? n : 1, sizeof *s->ksets);
	if (!s->ksets)
		return -1;
	for (size_t i = 0; i < n; i++) {
		json_t *k = json_array_get(arr, i);
		char w[300];
		where_of(w, sizeof w, "%s.kernel_sets[%zu]", where, i);
		const char *name = str_or(k, "name", NULL);
		if (!name) {
			note(r, "%s: no name: left out", w);
			continue;
		}
		struct qx_rep_kset *ks = &s->ksets[s->n_ksets++];
		ks->name = name;
		json_t *bi = json_object_get(k, "bit_identical");
		ks->bit_identical = json_is_boolean(bi) ? json_is_true(bi) : -1;
		ks->checked_images = int_field(r, k, "checked_images", w);
		ks->mismatch = str_or(k, "mismatch", NULL);
	}
	return 0;
}

/* Fills s from an fp32 or plugin object. -1: out of memory. */
static int read_system(struct qx_rep *r, struct qx_rep_system *s, json_t *j, const char *where)
{
	s->images = int_field(r, j, "images", where);
	s->correct = int_field(r, j, "correct", where);
	s->accuracy = num_field(r, j, "accuracy", where);
	s->agreement = num_field(r, j, "agreement", where);
	s->model_bytes = int_field(r, j, "model_bytes", where);
	s->drop = s->drop_lo = s->drop_hi = NAN;
	json_t *drop = json_object_get(j, "drop");
	if (drop) {
		char w[300];
		where_of(w, sizeof w, "%s.drop", where);
		s->drop = num_field(r, drop, "points", w);
		s->drop_lo = num_field(r, drop, "ci95_low", w);
		s->drop_hi = num_field(r, drop, "ci95_high", w);
	}
	s->accuracy_kernels = str_or(j, s->is_fp32 ? "kernels" : "accuracy_kernels", NULL);
	json_t *trust = json_object_get(j, "trust");
	s->trust = str_or(trust, "verdict", NULL);
	s->trust_reason = str_or(trust, "reason", NULL);
	s->trust_images = -1;
	if (trust) {
		char w[300];
		where_of(w, sizeof w, "%s.trust", where);
		s->trust_images = int_field(r, trust, "images", w);
	}
	json_t *plugin = json_object_get(j, "plugin");
	s->plugin_name = str_or(plugin, "name", NULL);
	s->plugin_version = str_or(plugin, "version", NULL);
	s->description = str_or(plugin, "description", NULL);
	s->same_plan_as = str_or(j, "same_plan_as", NULL);
	char w[300];
	where_of(w, sizeof w, "%s.measurements", where);
	if (read_meas_array(r, s, json_object_get(j, "measurements"), NULL, w))
		return -1;
	return read_ksets(r, s, json_object_get(j, "kernel_sets"), where);
}

static int read_document(struct qx_rep *r, struct qx_error *err)
{
	json_t *root = r->root;
	r->tool = str_or(root, "tool", "");
	r->started = str_or(root, "started", "");
	r->run_id = str_or(root, "run_id", "");
	r->quick = json_is_true(json_object_get(root, "quick"));
	json_t *suite = json_object_get(root, "suite");
	r->suite_name = str_or(suite, "name", "");
	r->suite_path = str_or(suite, "path", "");
	r->model = str_or(suite, "model", "");
	r->suite_batch = int_field(r, suite, "batch", "suite");
	r->machine = json_object_get(root, "machine");
	if (r->machine && !json_is_object(r->machine)) {
		note(r, "machine: not an object: left out");
		r->machine = NULL;
	}

	json_t *fp32 = json_object_get(root, "fp32");
	json_t *plugins = json_object_get(root, "plugins");
	if (plugins && !json_is_array(plugins)) {
		note(r, "plugins: not an array: left out");
		plugins = NULL;
	}
	size_t n_plugins = json_array_size(plugins);
	r->sys = calloc(n_plugins + 1, sizeof *r->sys);
	if (!r->sys)
		return qx_fail_nomem(err, "reading results for the report");
	if (json_is_object(fp32)) {
		struct qx_rep_system *s = &r->sys[r->n_sys++];
		s->label = "fp32";
		s->is_fp32 = 1;
		s->color = 0;
		r->has_fp32 = 1;
		if (read_system(r, s, fp32, "fp32"))
			return qx_fail_nomem(err, "reading results for the report");
	} else if (fp32) {
		note(r, "fp32: not an object: left out");
	}
	for (size_t i = 0; i < n_plugins; i++) {
		json_t *p = json_array_get(plugins, i);
		char where[300];
		const char *label = str_or(p, "label", NULL);
		if (label)
			where_of(where, sizeof where, "plugins[%zu] (%s)", i, label);
		else
			where_of(where, sizeof where, "plugins[%zu]", i);
		if (!json_is_object(p) || !label) {
			note(r, "%s: not a plugin result (expected an object with a label): left out",
			     where);
			continue;
		}
		struct qx_rep_system *s = &r->sys[r->n_sys++];
		s->label = label;
		s->error = str_or(p, "error", NULL);
		if (s->error) {
			s->accuracy = s->agreement = s->drop = s->drop_lo = s->drop_hi = NAN;
			s->images = s->correct = s->model_bytes = -1;
			continue;
		}
		if (read_system(r, s, p, where))
			return qx_fail_nomem(err, "reading results for the report");
	}
	return 0;
}

int qx_rep_color_of(const char *label)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *c = (const unsigned char *)label; *c; c++)
		h = (h ^ *c) * 16777619u;
	return 1 + (int)(h % QX_REP_COLORS);
}

static int by_label(const void *a, const void *b)
{
	return strcmp((*(const struct qx_rep_system *const *)a)->label,
	              (*(const struct qx_rep_system *const *)b)->label);
}

/* fp32 grey; each plugin its label's colour, the next free one on a collision (labels in
 * alphabetical order, so the suite's order does not matter). */
static void assign_colors(struct qx_rep *r)
{
	struct qx_rep_system *by[64];
	int n = 0, used[QX_REP_COLORS + 1] = { 0 };
	for (int i = 0; i < r->n_sys && n < 64; i++)
		if (!r->sys[i].is_fp32)
			by[n++] = &r->sys[i];
	qsort(by, (size_t)n, sizeof by[0], by_label);
	for (int i = 0; i < n; i++) {
		int c = qx_rep_color_of(by[i]->label);
		for (int k = 0; k < QX_REP_COLORS && used[c]; k++)
			c = c % QX_REP_COLORS + 1;
		used[c] = 1;
		by[i]->color = c;
	}
}

void qx_rep_clean_path(const char *path, char *out, size_t size)
{
	/* Segments kept so far, as offsets into out; ".." pops one unless there is none. */
	size_t starts[256];
	int depth = 0, absolute = path[0] == '/';
	size_t len = 0;
	if (size == 0)
		return;
	out[0] = '\0';
	if (absolute && size > 1) {
		out[len++] = '/';
		out[len] = '\0';
	}
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *e = p;
		while (*e && *e != '/')
			e++;
		size_t n = (size_t)(e - p);
		if (n == 0)
			break;
		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.' && depth > 0 &&
		           strcmp(out + starts[depth - 1], "..") != 0) {
			len = starts[--depth];
			if (len > (size_t)absolute)
				len--;                       /* the '/' before it */
			out[len] = '\0';
		} else if (len + n + 2 < size && depth < 256) {
			if (len > (size_t)absolute)
				out[len++] = '/';
			starts[depth++] = len;
			memcpy(out + len, p, n);
			len += n;
			out[len] = '\0';
		}
		p = e;
	}
	if (len == 0 && size > 1) {
		out[0] = '.';
		out[1] = '\0';
	}
}

int qx_rep_load(const char *path, struct qx_rep *r, struct qx_error *err)
{
	memset(r, 0, sizeof *r);
	r->path = path;
	struct qx_results_file f;
	int rc = qx_results_open(path, &f, err);
	if (rc)
		return rc;
	r->root = f.root;          /* the report takes the document over */
	f.root = NULL;
	qx_results_close(&f);
	rc = read_document(r, err);
	if (!rc)
		assign_colors(r);
	if (rc)
		qx_rep_free(r);
	return rc;
}

const struct qx_rep_system *qx_rep_fp32(const struct qx_rep *r)
{
	return r->has_fp32 ? &r->sys[0] : NULL;
}

const struct qx_rep_meas *qx_rep_find(const struct qx_rep_system *s, const char *kernels,
                                      int threads, int batch)
{
	for (int i = 0; i < s->n_meas; i++) {
		const struct qx_rep_meas *m = &s->meas[i];
		if ((!kernels || strcmp(m->kernels, kernels) == 0) && m->threads == threads &&
		    m->batch == batch)
			return m;
	}
	return NULL;
}

int qx_rep_speedup(const struct qx_rep *r, const struct qx_rep_meas *m, double *ratio,
                   double *lo, double *hi)
{
	*lo = *hi = NAN;
	if (m->has_speedup) {
		*ratio = m->speedup;
		*lo = m->speedup_lo;
		*hi = m->speedup_hi;
		return 0;
	}
	const struct qx_rep_system *f = qx_rep_fp32(r);
	if (!f)
		return -1;
	const struct qx_rep_meas *base = qx_rep_find(f, m->kernels, m->threads, m->batch);
	if (!base && f->accuracy_kernels)
		base = qx_rep_find(f, f->accuracy_kernels, m->threads, m->batch);
	if (!base)
		return -1;
	*ratio = base->median_ms / m->median_ms;
	return 0;
}

void qx_rep_free(struct qx_rep *r)
{
	for (int i = 0; i < r->n_sys; i++) {
		free(r->sys[i].ksets);
		for (int j = 0; j < r->sys[i].n_meas; j++)
			free((char *)r->sys[i].meas[j].warnings);
		free(r->sys[i].meas);
	}
	free(r->sys);
	for (int i = 0; i < r->n_notes; i++)
		free(r->notes[i]);
	free(r->notes);
	if (r->root)
		json_decref(r->root);
	memset(r, 0, sizeof *r);
}

int qx_rep_latency_config(const struct qx_rep *r, int *batch, int *threads)
{
	int found = 0, b = 0;
	for (int i = 0; i < r->n_sys; i++)
		for (int j = 0; j < r->sys[i].n_meas; j++)
			if (!found++ || r->sys[i].meas[j].batch < b)
				b = r->sys[i].meas[j].batch;
	if (!found)
		return -1;
	int t = -1;
	for (int i = 0; i < r->n_sys; i++)
		for (int j = 0; j < r->sys[i].n_meas; j++) {
			const struct qx_rep_meas *m = &r->sys[i].meas[j];
			if (m->batch == b && t != 1 && (t < 0 || m->threads == 1 || m->threads < t))
				t = m->threads;
		}
	*batch = b;
	*threads = t;
	return 0;
}

int qx_rep_largest_batch(const struct qx_rep *r)
{
	int b = 0;
	for (int i = 0; i < r->n_sys; i++)
		for (int j = 0; j < r->sys[i].n_meas; j++)
			if (r->sys[i].meas[j].batch > b)
				b = r->sys[i].meas[j].batch;
	return b;
}

int qx_rep_name_index(const char *const *names, int n, const char *name)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static void add_name(const char **names, int *n, int max, const char *name)
{
	if (*n < max && qx_rep_name_index(names, *n, name) < 0)
		names[(*n)++] = name;
}

int qx_rep_kernel_names(const struct qx_rep *r, const char **names, int max)
{
	int n = 0;
	for (int i = 0; i < r->n_sys; i++) {
		const struct qx_rep_system *s = &r->sys[i];
		for (int j = 0; j < s->n_ksets; j++)
			add_name(names, &n, max, s->ksets[j].name);
		for (int j = 0; j < s->n_meas; j++)
			add_name(names, &n, max, s->meas[j].kernels);
	}
	return n;
}
