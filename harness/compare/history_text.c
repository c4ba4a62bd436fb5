/* qx-bench history as text for a terminal: lines stay within about 100 columns however many
 * runs and measurements there are. Runs are listed once (#1, #2, ... with their kind, state,
 * machine and image count); accuracy has one row per run, latency one row per measurement and
 * a column for each of the most recent runs that fit. */
#include <stdio.h>
#include <string.h>

#include "compare/history.h"

#define LINE_WIDTH 100
#define LAT_CELL 9             /* "  0.4995" and a space */

static void describe_machine(FILE *out, const struct qx_history *h, int m)
{
	const struct qx_run_view *v = &h->runs[h->machine_run[m]].view;
	const struct qx_run_view *first = &h->runs[h->machine_run[0]].view;
	if (!v->machine) {
		fprintf(out, "  %c  (no machine section)\n", 'A' + m);
		return;
	}
	const char *model = json_string_value(json_object_get(v->machine, "cpu_model"));
	const char *arch = json_string_value(json_object_get(v->machine, "arch"));
	json_t *cpus = json_object_get(v->machine, "online_cpus");
	fprintf(out, "  %c  %s, %s", 'A' + m, model ? model : "CPU model unknown", arch ? arch : "?");
	if (json_is_integer(cpus))
		fprintf(out, ", %lld online CPUs", (long long)json_integer_value(cpus));
	if (m > 0 && first->machine) {
		const char *sep = " (differs from A in: ";
		for (int k = 0; k < QX_MACHINE_IDENTITY_KEYS; k++) {
			const char *key = qx_machine_identity_keys[k];
			json_t *a = json_object_get(first->machine, key);
			json_t *b = json_object_get(v->machine, key);
			if ((a || b) && !(a && b && json_equal(a, b))) {
				fprintf(out, "%s%s", sep, key);
				sep = ", ";
			}
		}
		if (sep[0] == ',')
			fprintf(out, ")");
	}
	fprintf(out, "\n");
}

static void print_runs(FILE *out, const struct qx_history *h)
{
	int nightly = 0, partial = 0;
	for (int i = 0; i < h->n_runs; i++) {
		nightly += !strcmp(h->runs[i].view.tag, "nightly");
		partial += h->runs[i].view.partial;
	}
	fprintf(out, "history of %s: %d run%s", h->dir, h->n_runs, h->n_runs == 1 ? "" : "s");
	if (h->n_runs < h->n_found)
		fprintf(out, " of %d", h->n_found);
	fprintf(out, " (%d nightly, %d partial)\n\n", nightly, partial);
	fprintf(out, "%3s  %-18s %-8s %-7s %7s  %-14s %s\n", "#", "run", "kind", "machine", "images",
	        "git", "state");
	for (int i = 0; i < h->n_runs; i++) {
		const struct qx_hist_run *r = &h->runs[i];
		char images[24] = "?";
		if (r->images >= 0)
			snprintf(images, sizeof images, "%lld", (long long)r->images);
		fprintf(out, "%3d  %-18.18s %-8s %-7c %7s  %-14.14s %s\n", r->index,
		        r->view.run_id[0] ? r->view.run_id : strrchr(r->folder, '/') + 1,
		        r->view.tag[0] ? r->view.tag : "-", qx_hist_machine_letter(r), images, r->git,
		        r->state);
	}
}

static void print_accuracy(FILE *out, const struct qx_history *h)
{
	if (h->n_systems == 0)
		return;
	int width[64];
	int n = h->n_systems < 64 ? h->n_systems : 64;
	fprintf(out, "\naccuracy (top-1 %% of the images evaluated; runs with other image counts "
	        "are not comparable)\n%3s %7s", "#", "images");
	for (int i = 0; i < n; i++) {
		width[i] = (int)strlen(h->systems[i]);
		if (width[i] < 6)
			width[i] = 6;
		fprintf(out, "  %*s", width[i], h->systems[i]);
	}
	fprintf(out, "\n");
	for (int r = 0; r < h->n_runs; r++) {
		const struct qx_hist_run *run = &h->runs[r];
		char images[24] = "?";
		if (run->images >= 0)
			snprintf(images, sizeof images, "%lld", (long long)run->images);
		fprintf(out, "%3d %7s", run->index, images);
		for (int i = 0; i < n; i++) {
			char cell[32];
			qx_hist_accuracy(run, h->systems[i], cell, sizeof cell);
			fprintf(out, "  %*s", width[i], cell);
		}
		fprintf(out, "\n");
	}
	for (int r = 0; r < h->n_runs; r++)
		for (int i = 0; i < n; i++) {
			const struct qx_run_view_system *s = qx_run_view_system(&h->runs[r].view,
			                                                        h->systems[i]);
			if (s && s->mistrusted) {
				fprintf(out, "(!: MISTRUSTED, the int8 result failed the reference check; "
				        "not a number to compare)\n");
				return;
			}
		}
}

static void print_latency(FILE *out, const struct qx_history *h)
{
	if (h->n_meas == 0)
		return;
	int name_w = 11;
	for (int i = 0; i < h->n_meas; i++)
		if ((int)strlen(h->meas[i].name) > name_w)
			name_w = (int)strlen(h->meas[i].name);
	int fit = (LINE_WIDTH - name_w - 2) / LAT_CELL;
	if (fit < 3)
		fit = 3;
	int first = h->n_runs > fit ? h->n_runs - fit : 0;
	fprintf(out, "\nlatency (median ms per batch)");
	if (first)
		fprintf(out, ", runs #%d to #%d; older runs: --last, --format csv, --html",
		        first + 1, h->n_runs);
	fprintf(out, "\n%-*s", name_w, "measurement");
	for (int r = first; r < h->n_runs; r++) {
		char head[16];
		snprintf(head, sizeof head, "#%d%c", h->runs[r].index,
		         qx_hist_machine_letter(&h->runs[r]));
		fprintf(out, " %*s", LAT_CELL - 1, head);
	}
	fprintf(out, "\n");
	for (int i = 0; i < h->n_meas; i++) {
		fprintf(out, "%-*s", name_w, h->meas[i].name);
		for (int r = first; r < h->n_runs; r++) {
			const struct qx_run_view_measurement *m = qx_hist_cell(&h->runs[r], &h->meas[i]);
			if (m && m->has_median)
				fprintf(out, " %*.4g", LAT_CELL - 1, m->median);
			else
				fprintf(out, " %*s", LAT_CELL - 1, "-");
		}
		fprintf(out, "\n");
	}
	fprintf(out, "(column heads: run # and machine letter; '-': not measured in that run)\n");
}

int qx_history_print_text(const struct qx_history *h, FILE *out)
{
	print_runs(out, h);
	print_accuracy(out, h);
	print_latency(out, h);
	fprintf(out, "\nmachines:\n");
	for (int m = 0; m < h->n_machines; m++)
		describe_machine(out, h, m);
	return ferror(out) ? -1 : 0;
}
