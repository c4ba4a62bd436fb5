/* qx-bench history DIR: the runs of one suite in time order, as trend tables of accuracy per
 * plugin and median latency per measurement. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "compare/compare.h"
#include "compare/run_view.h"

static const char usage[] =
	"usage: qx-bench history [--last N] DIR\n"
	"\n"
	"Prints, for every run folder under DIR (results/<suite>/) in time order, the accuracy of\n"
	"each plugin and the median latency of each measurement, one row per run. The machine\n"
	"column tells machines apart (A, B, ...): latency is only comparable within one letter.\n"
	"\n"
	"options:\n"
	"  --last N     only the N most recent runs\n"
	"  -h, --help   this text\n"
	"\n"
	"exit status: 0 printed, 2 bad command line or DIR unreadable, 3 no run found.\n";

struct run {
	char *folder;
	struct qx_run_view view;
	char *machine_key;
	int machine;               /* index into the distinct machines */
};

static int by_time(const void *x, const void *y)
{
	const struct run *a = x, *b = y;
	int c = strcmp(a->view.started, b->view.started);
	if (!c)
		c = strcmp(a->view.run_id, b->view.run_id);
	return c ? c : strcmp(a->folder, b->folder);
}

struct column {
	char *name;                /* system label, or label/kernels/threads:T/batch:B */
	const char *label;         /* borrowed from the first run that has it */
	const char *kernels;
	int threads, batch;
};

struct columns {
	struct column *c;
	int n;
};

static int add_column(struct columns *cols, const char *name, const char *label,
                      const char *kernels, int threads, int batch)
{
	for (int i = 0; i < cols->n; i++)
		if (!strcmp(cols->c[i].name, name))
			return 0;
	struct column *grown = realloc(cols->c, sizeof *grown * (size_t)(cols->n + 1));
	if (!grown)
		return -1;
	cols->c = grown;
	char *copy = strdup(name);
	if (!copy)
		return -1;
	cols->c[cols->n++] = (struct column){ copy, label, kernels, threads, batch };
	return 0;
}

static void free_columns(struct columns *cols)
{
	for (int i = 0; i < cols->n; i++)
		free(cols->c[i].name);
	free(cols->c);
}

/* Accuracy of one system in percent as text: from correct/images, else the stored value. */
static void accuracy_cell(const struct qx_run_view_system *s, char *buf, size_t size)
{
	if (!s)
		snprintf(buf, size, "-");
	else if (s->error)
		snprintf(buf, size, "error");
	else if (s->correct >= 0 && s->images > 0)
		snprintf(buf, size, "%.2f", 100.0 * (double)s->correct / (double)s->images);
	else if (s->accuracy >= 0.0)
		snprintf(buf, size, "%.2f", s->accuracy);
	else
		snprintf(buf, size, "?");
}

/* "A  <cpu model>, <arch>, <n> online CPUs (differs from A in: topology, pinning)" */
static void describe_machine(int m, const struct qx_run_view *v, const struct qx_run_view *first)
{
	if (!v->machine) {
		printf("  %c  (no machine section)\n", 'A' + m);
		return;
	}
	const char *model = json_string_value(json_object_get(v->machine, "cpu_model"));
	const char *arch = json_string_value(json_object_get(v->machine, "arch"));
	json_t *cpus = json_object_get(v->machine, "online_cpus");
	printf("  %c  %s, %s", 'A' + m, model ? model : "CPU model unknown", arch ? arch : "?");
	if (json_is_integer(cpus))
		printf(", %lld online CPUs", (long long)json_integer_value(cpus));
	if (m > 0 && first->machine) {
		const char *sep = " (differs from A in: ";
		for (int k = 0; k < QX_MACHINE_IDENTITY_KEYS; k++) {
			const char *key = qx_machine_identity_keys[k];
			json_t *a = json_object_get(first->machine, key), *b = json_object_get(v->machine,
			                                                                        key);
			if ((a || b) && !(a && b && json_equal(a, b))) {
				printf("%s%s", sep, key);
				sep = ", ";
			}
		}
		if (sep[0] == ',')
			printf(")");
	}
	printf("\n");
}

static int load_runs(const char *dir, struct run **out, int *n_out)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		fprintf(stderr, "qx-bench: history: cannot read %s (expected results/<suite>/)\n",
		        dir);
		return -1;
	}
	struct run *runs = NULL;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		struct stat st;
		if (snprintf(path, sizeof path, "%s/%s/results.json", dir, e->d_name) >=
		    (int)sizeof path || stat(path, &st) != 0)
			continue;   /* not a run folder */
		struct run r = { 0 };
		struct qx_error err = { 0 };
		if (qx_run_view_load(path, &r.view, &err)) {
			fprintf(stderr, "qx-bench: history: skipped: %s\n", err.msg);
			continue;
		}
		r.folder = strdup(e->d_name);
		struct run *grown = realloc(runs, sizeof *grown * (size_t)(n + 1));
		if (!r.folder || !grown) {
			free(r.folder);
			qx_run_view_free(&r.view);
			free(grown ? grown : runs);
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

static void print_header(int run_width, const char *const *names, int n, int cell)
{
	printf("%-*s  %-7s", run_width, "run", "machine");
	for (int i = 0; i < n; i++)
		printf("  %*s", cell, names[i]);
	printf("\n");
}

int qx_history_main(int argc, char **argv)
{
	long last = 0;
	const char *dir = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			fputs(usage, stdout);
			return QX_COMPARE_OK;
		}
		if (!strcmp(argv[i], "--last") || !strncmp(argv[i], "--last=", 7)) {
			const char *v = argv[i][6] == '=' ? argv[i] + 7 : (i + 1 < argc ? argv[++i] : "");
			char *end;
			last = strtol(v, &end, 10);
			if (!*v || *end || last < 1) {
				fprintf(stderr, "qx-bench: history: --last '%s': expected an integer >= 1\n",
				        v);
				return QX_COMPARE_USAGE;
			}
		} else if (argv[i][0] == '-' || dir) {
			fprintf(stderr, "qx-bench: history: unexpected argument '%s' (usage: qx-bench "
			        "history [--last N] DIR)\n", argv[i]);
			return QX_COMPARE_USAGE;
		} else {
			dir = argv[i];
		}
	}
	if (!dir) {
		fprintf(stderr, "qx-bench: history: DIR missing (usage: qx-bench history [--last N] "
		        "DIR)\n");
		return QX_COMPARE_USAGE;
	}
	struct run *runs;
	int n;
	if (load_runs(dir, &runs, &n))
		return QX_COMPARE_USAGE;
	if (n == 0) {
		fprintf(stderr, "qx-bench: history: %s: no run folder with a results.json (expected "
		        "results/<suite>/<run-id>/results.json)\n", dir);
		free(runs);
		return QX_COMPARE_INCOMPARABLE;
	}
	int first = last && last < n ? n - (int)last : 0;

	/* Distinct machines, lettered in order of appearance. */
	char *machines[26];
	int machine_run[26];       /* a run on each machine, to describe it */
	int n_machines = 0;
	for (int r = first; r < n; r++) {
		runs[r].machine_key = qx_run_view_machine_key(&runs[r].view);
		const char *key = runs[r].machine_key ? runs[r].machine_key : "";
		runs[r].machine = -1;
		for (int m = 0; m < n_machines; m++)
			if (!strcmp(machines[m], key))
				runs[r].machine = m;
		if (runs[r].machine < 0 && n_machines < 26) {
			machines[n_machines] = (char *)key;
			machine_run[n_machines] = r;
			runs[r].machine = n_machines++;
		}
	}

	struct columns systems = { 0 }, meas = { 0 };
	int oom = 0;
	for (int r = first; r < n; r++) {
		const struct qx_run_view *v = &runs[r].view;
		for (int s = 0; s < v->n_sys; s++) {
			oom |= add_column(&systems, v->sys[s].label, v->sys[s].label, NULL, 0, 0);
			for (int k = 0; k < v->sys[s].n_m; k++) {
				const struct qx_run_view_measurement *m = &v->sys[s].m[k];
				char name[400];
				snprintf(name, sizeof name, "%s/%s/threads:%d/batch:%d", v->sys[s].label,
				         m->kernels, m->threads, m->batch);
				oom |= add_column(&meas, name, v->sys[s].label, m->kernels, m->threads,
				                  m->batch);
			}
		}
	}
	int run_width = 3;
	for (int r = first; r < n; r++) {
		const char *id = runs[r].view.run_id[0] ? runs[r].view.run_id : runs[r].folder;
		if ((int)strlen(id) > run_width)
			run_width = (int)strlen(id);
	}

	printf("history of %s: %d run%s%s\n", dir, n - first, n - first == 1 ? "" : "s",
	       first ? " (the most recent)" : "");
	if (systems.n) {
		int cell = 7;
		const char **names = malloc(sizeof *names * (size_t)systems.n);
		for (int i = 0; names && i < systems.n; i++) {
			names[i] = systems.c[i].name;
			if ((int)strlen(names[i]) > cell)
				cell = (int)strlen(names[i]);
		}
		printf("\naccuracy (top-1 %%)\n");
		if (names)
			print_header(run_width, names, systems.n, cell);
		free(names);
		for (int r = first; r < n; r++) {
			const struct qx_run_view *v = &runs[r].view;
			printf("%-*s  %-7c", run_width, v->run_id[0] ? v->run_id : runs[r].folder,
			       runs[r].machine >= 0 ? 'A' + runs[r].machine : '?');
			for (int i = 0; i < systems.n; i++) {
				char text[32];
				accuracy_cell(qx_run_view_system(v, systems.c[i].label), text, sizeof text);
				printf("  %*s", cell, text);
			}
			printf("\n");
		}
	}
	if (meas.n) {
		const char *unit = "ms/batch";
		printf("\nlatency (median %s; columns below)\n", unit);
		printf("%-*s  %-7s", run_width, "run", "machine");
		for (int i = 0; i < meas.n; i++) {
			char head[16];
			snprintf(head, sizeof head, "[%d]", i + 1);
			printf("  %10s", head);
		}
		printf("\n");
		for (int r = first; r < n; r++) {
			const struct qx_run_view *v = &runs[r].view;
			printf("%-*s  %-7c", run_width, v->run_id[0] ? v->run_id : runs[r].folder,
			       runs[r].machine >= 0 ? 'A' + runs[r].machine : '?');
			for (int i = 0; i < meas.n; i++) {
				const struct column *c = &meas.c[i];
				const struct qx_run_view_system *s = qx_run_view_system(v, c->label);
				const struct qx_run_view_measurement *m =
					s ? qx_run_view_measurement(s, c->kernels, c->threads, c->batch) : NULL;
				if (m && m->has_median)
					printf("  %10.4g", m->median);
				else
					printf("  %10s", "-");
			}
			printf("\n");
		}
		for (int i = 0; i < meas.n; i++)
			printf("  [%d] %s\n", i + 1, meas.c[i].name);
	}
	printf("\nmachines:\n");
	for (int m = 0; m < n_machines; m++)
		describe_machine(m, &runs[machine_run[m]].view, &runs[machine_run[0]].view);
	if (oom)
		fprintf(stderr, "qx-bench: history: out of memory: some columns are missing\n");

	free_columns(&systems);
	free_columns(&meas);
	for (int r = 0; r < n; r++) {
		free(runs[r].folder);
		free(runs[r].machine_key);
		qx_run_view_free(&runs[r].view);
	}
	free(runs);
	return QX_COMPARE_OK;
}
