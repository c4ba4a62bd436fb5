/* qx-bench history DIR: chooses the runs of one suite and the columns to show (options below),
 * then hands them to one of the writers in history.h. */
#include "compare/history.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare/compare.h"
#include "util/list.h"

static const char usage[] =
	"usage: qx-bench history [options] DIR\n"
	"\n"
	"The runs under DIR (results/<suite>/) in time order: each run's kind, state, machine and\n"
	"image count, the accuracy of each plugin, and the median latency of each measurement.\n"
	"The machine column tells machines apart (A, B, ...): latency is only comparable within\n"
	"one letter. A run that did not finish is marked; its gaps are not failures.\n"
	"\n"
	"options:\n"
	"  --last N           only the N most recent runs (after the filters below)\n"
	"  --nightly          only runs tagged nightly (qx-bench --nightly, tools/qx-nightly),\n"
	"                     never a --quick run\n"
	"  --good             only runs that finished with exit status 0\n"
	"  --plugin LIST      only these systems (labels, comma-separated; fp32 is one)\n"
	"  --kernels LIST     only measurements on these kernel sets\n"
	"  --threads LIST     only measurements at these thread counts\n"
	"  --batch LIST       only measurements at these batch sizes\n"
	"  --format FORMAT    text (default), csv, json, or folders (one run folder a line)\n"
	"  --html FILE        also write FILE: one trend chart per measurement and plugin\n"
	"  -h, --help         this text\n"
	"\n"
	"exit status: 0 printed, 2 bad command line, DIR unreadable or a filter that matches\n"
	"nothing, 3 no run found (after --nightly / --good).\n";

struct options {
	long last;
	int nightly, good;
	const char *plugins, *kernels, *threads, *batches;
	const char *format;
	const char *html;
	const char *dir;
};

/* Whether name is in the comma-separated list (NULL: no filter, everything is). */
static int in_list(const char *list, const char *name)
{
	return !list || qx_list_has(list, name);
}

static int in_int_list(const char *list, int v)
{
	char text[16];
	snprintf(text, sizeof text, "%d", v);
	return in_list(list, text);
}

static int bad_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "qx-bench: history: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (try qx-bench history --help)\n");
	return QX_EXIT_USAGE;
}

/* Returns -1 to go on, else the exit status (0 after --help). */
static int parse_args(int argc, char **argv, struct options *o)
{
	memset(o, 0, sizeof *o);
	o->format = "text";
	static const char *const valued[] = { "--last", "--plugin", "--kernels", "--threads",
	                                      "--batch", "--format", "--html" };
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return QX_EXIT_OK;
		}
		if (!strcmp(a, "--nightly")) {
			o->nightly = 1;
			continue;
		}
		if (!strcmp(a, "--good")) {
			o->good = 1;
			continue;
		}
		if (a[0] != '-') {
			if (o->dir)
				return bad_usage("unexpected argument '%s' (expected one DIR)", a);
			o->dir = a;
			continue;
		}
		int which = -1;
		const char *value = NULL;
		for (int k = 0; k < (int)(sizeof valued / sizeof valued[0]) && which < 0; k++) {
			size_t len = strlen(valued[k]);
			if (!strncmp(a, valued[k], len) && (a[len] == '=' || a[len] == '\0')) {
				which = k;
				value = a[len] == '=' ? a + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
			}
		}
		if (which < 0)
			return bad_usage("unknown option '%s'", a);
		if (!value || !*value)
			return bad_usage("%s needs a value", valued[which]);
		switch (which) {
		case 0: {
			char *end;
			o->last = strtol(value, &end, 10);
			if (*end || o->last < 1)
				return bad_usage("--last '%s': expected an integer >= 1", value);
			break;
		}
		case 1: o->plugins = value; break;
		case 2: o->kernels = value; break;
		case 3: o->threads = value; break;
		case 4: o->batches = value; break;
		case 5:
			if (strcmp(value, "text") && strcmp(value, "csv") && strcmp(value, "json") &&
			    strcmp(value, "folders"))
				return bad_usage("--format '%s': expected text, csv, json or folders", value);
			o->format = value;
			break;
		case 6: o->html = value; break;
		}
	}
	if (!o->dir)
		return bad_usage("%s", "DIR missing (usage: qx-bench history [options] DIR)");
	return -1;
}

static int by_time(const void *x, const void *y)
{
	const struct qx_hist_run *a = x, *b = y;
	int c = strcmp(a->view.started, b->view.started);
	if (!c)
		c = strcmp(a->view.run_id, b->view.run_id);
	return c ? c : strcmp(a->folder, b->folder);
}

static void free_run(struct qx_hist_run *r)
{
	free(r->folder);
	free(r->machine_key);
	qx_run_view_free(&r->view);
}

/* Every folder under dir holding a results.json that reads; unreadable ones are named on
 * stderr and skipped, so one damaged run does not hide the others. */
static int load_runs(const char *dir, struct qx_hist_run **out, int *n_out)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "qx-bench: history: cannot read %s: %s (expected results/<suite>/)\n",
		        dir, strerror(errno));
		return -1;
	}
	struct qx_hist_run *runs = NULL;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096], folder[4096];
		struct stat st;
		if (snprintf(folder, sizeof folder, "%s/%s", dir, e->d_name) >= (int)sizeof folder ||
		    snprintf(path, sizeof path, "%s/results.json", folder) >= (int)sizeof path ||
		    stat(path, &st) != 0)
			continue;   /* not a run folder */
		struct qx_hist_run r = { 0 };
		struct qx_error err = { 0 };
		if (qx_run_view_load(path, &r.view, &err)) {
			fprintf(stderr, "qx-bench: history: skipped: %s\n", err.msg);
			continue;
		}
		r.folder = strdup(folder);
		struct qx_hist_run *grown = realloc(runs, sizeof *grown * (size_t)(n + 1));
		if (!r.folder || !grown) {
			free_run(&r);
			runs = grown ? grown : runs;
			for (int i = 0; i < n; i++)
				free_run(&runs[i]);
			free(runs);
			closedir(d);
			fprintf(stderr, "qx-bench: history: out of memory\n");
			return -1;
		}
		runs = grown;
		runs[n++] = r;
	}
	closedir(d);
	if (n > 1)
		qsort(runs, (size_t)n, sizeof *runs, by_time);
	*out = runs;
	*n_out = n;
	return 0;
}

static int good(const struct qx_run_view *v)
{
	json_t *status = json_object_get(v->root, "exit_status");
	if (v->partial)
		return 0;
	/* Files older than exit_status: good when no plugin row is an error. */
	if (json_is_integer(status))
		return json_integer_value(status) == 0;
	for (int i = 0; i < v->n_sys; i++)
		if (v->sys[i].error || v->sys[i].mistrusted)
			return 0;
	return 1;
}

/* Keeps the runs the options ask for (freeing the others), oldest first. */
static void select_runs(struct qx_history *h, const struct options *o)
{
	int kept = 0;
	for (int i = 0; i < h->n_runs; i++) {
		const struct qx_run_view *v = &h->runs[i].view;
		/* A quick run is never a nightly baseline, whatever its tag. */
		if ((o->nightly && (strcmp(v->tag, "nightly") || v->quick)) || (o->good && !good(v))) {
			free_run(&h->runs[i]);
			continue;
		}
		h->runs[kept++] = h->runs[i];
	}
	h->n_runs = kept;
	if (o->last && o->last < h->n_runs) {
		int drop = h->n_runs - (int)o->last;
		for (int i = 0; i < drop; i++)
			free_run(&h->runs[i]);
		memmove(h->runs, h->runs + drop, sizeof *h->runs * (size_t)o->last);
		h->n_runs = (int)o->last;
	}
}

static void describe_runs(struct qx_history *h)
{
	char *keys[QX_HIST_MAX_MACHINES];
	for (int i = 0; i < h->n_runs; i++) {
		struct qx_hist_run *r = &h->runs[i];
		r->index = i + 1;
		r->machine_key = qx_run_view_machine_key(&r->view);
		const char *key = r->machine_key ? r->machine_key : "";
		r->machine = -1;
		for (int m = 0; m < h->n_machines && r->machine < 0; m++)
			if (!strcmp(keys[m], key))
				r->machine = m;
		if (r->machine < 0 && h->n_machines < QX_HIST_MAX_MACHINES) {
			keys[h->n_machines] = (char *)key;
			h->machine_run[h->n_machines] = i;
			r->machine = h->n_machines++;
		}
		const char *git = json_string_value(json_object_get(json_object_get(r->view.root,
		                                                                    "build"),
		                                                    "git_revision"));
		r->git = git ? git : "";
		r->images = -1;
		for (int s = 0; s < r->view.n_sys && r->images < 0; s++)
			if (r->view.sys[s].images > 0)
				r->images = r->view.sys[s].images;
		if (r->images < 0 && r->view.labels)
			r->images = r->view.n_labels;
		/* Short, for a table column; compare and the JSON give the long form. */
		const char *by = json_string_value(json_object_get(r->view.root, "interrupted_by"));
		json_t *exit_status = json_object_get(r->view.root, "exit_status");
		if (!r->view.partial)
			snprintf(r->state, sizeof r->state, "%s", r->view.state);
		else if (by)
			snprintf(r->state, sizeof r->state, "PARTIAL: %s (%s)", r->view.state, by);
		else if (json_is_integer(exit_status))
			snprintf(r->state, sizeof r->state, "PARTIAL: %s (exit %lld)", r->view.state,
			         (long long)json_integer_value(exit_status));
		else
			snprintf(r->state, sizeof r->state, "PARTIAL: %s", r->view.state);
	}
}

static int add_system(struct qx_history *h, const char *label)
{
	for (int i = 0; i < h->n_systems; i++)
		if (!strcmp(h->systems[i], label))
			return 0;
	const char **grown = realloc(h->systems, sizeof *grown * (size_t)(h->n_systems + 1));
	if (!grown)
		return -1;
	h->systems = grown;
	h->systems[h->n_systems++] = label;
	return 0;
}

static int add_meas(struct qx_history *h, const char *label,
                    const struct qx_run_view_measurement *m)
{
	char name[400];
	snprintf(name, sizeof name, "%s/%s/threads:%d/batch:%d", label, m->kernels, m->threads,
	         m->batch);
	for (int i = 0; i < h->n_meas; i++)
		if (!strcmp(h->meas[i].name, name))
			return 0;
	struct qx_hist_meas *grown = realloc(h->meas, sizeof *grown * (size_t)(h->n_meas + 1));
	if (!grown)
		return -1;
	h->meas = grown;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	h->meas[h->n_meas++] = (struct qx_hist_meas){ copy, label, m->kernels, m->threads,
	                                              m->batch };
	return 0;
}

/* The columns: systems and measurements of the runs shown, first seen first, filtered. */
static int choose_columns(struct qx_history *h, const struct options *o)
{
	int oom = 0;
	for (int r = 0; r < h->n_runs; r++) {
		const struct qx_run_view *v = &h->runs[r].view;
		for (int s = 0; s < v->n_sys; s++) {
			const struct qx_run_view_system *sys = &v->sys[s];
			if (!in_list(o->plugins, sys->label))
				continue;
			oom |= add_system(h, sys->label);
			for (int k = 0; k < sys->n_m; k++) {
				const struct qx_run_view_measurement *m = &sys->m[k];
				if (in_list(o->kernels, m->kernels) && in_int_list(o->threads, m->threads) &&
				    in_int_list(o->batches, m->batch))
					oom |= add_meas(h, sys->label, m);
			}
		}
	}
	return oom ? -1 : 0;
}

/* A filter that matches nothing is a typo far more often than a question: say so. */
static int check_filters(const struct qx_history *h, const struct options *o)
{
	if (o->plugins && h->n_systems == 0) {
		fprintf(stderr, "qx-bench: history: --plugin '%s': no such system in the runs "
		        "shown (expected labels such as fp32", o->plugins);
		for (int r = 0; r < h->n_runs && r < 1; r++)
			for (int s = 0; s < h->runs[r].view.n_sys; s++)
				if (strcmp(h->runs[r].view.sys[s].label, "fp32"))
					fprintf(stderr, ", %s", h->runs[r].view.sys[s].label);
		fprintf(stderr, ")\n");
		return -1;
	}
	if ((o->kernels || o->threads || o->batches) && h->n_meas == 0) {
		fprintf(stderr, "qx-bench: history: no measurement matches%s%s%s%s%s%s in the runs "
		        "shown (qx-bench history without them lists the measurements)\n",
		        o->kernels ? " --kernels " : "", o->kernels ? o->kernels : "",
		        o->threads ? " --threads " : "", o->threads ? o->threads : "",
		        o->batches ? " --batch " : "", o->batches ? o->batches : "");
		return -1;
	}
	return 0;
}

const struct qx_run_view_measurement *qx_hist_cell(const struct qx_hist_run *r,
                                                   const struct qx_hist_meas *m)
{
	const struct qx_run_view_system *s = qx_run_view_system(&r->view, m->label);
	return s ? qx_run_view_measurement(s, m->kernels, m->threads, m->batch) : NULL;
}

char qx_hist_machine_letter(const struct qx_hist_run *r)
{
	return r->machine >= 0 ? (char)('A' + r->machine) : '?';
}

void qx_hist_accuracy(const struct qx_hist_run *r, const char *label, char *buf, size_t size)
{
	const struct qx_run_view_system *s = qx_run_view_system(&r->view, label);
	if (!s)
		snprintf(buf, size, "-");
	else if (s->error)
		snprintf(buf, size, "error");
	else if (s->correct >= 0 && s->images > 0)
		snprintf(buf, size, "%.2f%s", 100.0 * (double)s->correct / (double)s->images,
		         s->mistrusted ? "!" : "");
	else if (s->accuracy >= 0.0)
		snprintf(buf, size, "%.2f%s", s->accuracy, s->mistrusted ? "!" : "");
	else
		snprintf(buf, size, "?");
}

static void free_history(struct qx_history *h)
{
	for (int i = 0; i < h->n_runs; i++)
		free_run(&h->runs[i]);
	free(h->runs);
	for (int i = 0; i < h->n_meas; i++)
		free(h->meas[i].name);
	free(h->meas);
	free(h->systems);
}

int qx_history_main(int argc, char **argv)
{
	struct options o;
	int status = parse_args(argc, argv, &o);
	if (status >= 0)
		return status;
	struct qx_history h = { .dir = o.dir };
	if (load_runs(o.dir, &h.runs, &h.n_runs))
		return QX_EXIT_USAGE;
	h.n_found = h.n_runs;
	select_runs(&h, &o);
	if (h.n_runs == 0) {
		fprintf(stderr, "qx-bench: history: %s: no %srun folder with a results.json%s "
		        "(expected results/<suite>/<run-id>/results.json)\n", o.dir,
		        o.nightly ? "nightly " : "", o.good ? " that finished with exit status 0" : "");
		free_history(&h);
		return QX_EXIT_INCOMPARABLE;
	}
	describe_runs(&h);
	if (choose_columns(&h, &o)) {
		fprintf(stderr, "qx-bench: history: out of memory\n");
		free_history(&h);
		return QX_EXIT_USAGE;
	}
	if (check_filters(&h, &o)) {
		free_history(&h);
		return QX_EXIT_USAGE;
	}
	int rc = !strcmp(o.format, "csv") ? qx_history_print_csv(&h, stdout)
	       : !strcmp(o.format, "json") ? qx_history_print_json(&h, stdout)
	       : !strcmp(o.format, "folders") ? qx_history_print_folders(&h, stdout)
	                                      : qx_history_print_text(&h, stdout);
	status = QX_EXIT_OK;
	if (rc || fflush(stdout)) {
		fprintf(stderr, "qx-bench: history: cannot write the history on stdout\n");
		status = QX_EXIT_USAGE;
	}
	struct qx_error err = { 0 };
	if (status == QX_EXIT_OK && o.html && qx_history_write_html(&h, o.html, &err)) {
		fprintf(stderr, "qx-bench: history: %s\n", err.msg);
		status = QX_EXIT_USAGE;
	}
	free_history(&h);
	return status;
}
