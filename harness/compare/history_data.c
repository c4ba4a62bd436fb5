/* qx-bench history for programs: CSV (one row per run and value), JSON (one object per run)
 * and the bare list of run folders (for scripts such as tools/qx-nightly). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "compare/history.h"

/* A CSV field: quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void csv_field(FILE *out, const char *s, int last)
{
	if (strpbrk(s, ",\"\r\n")) {
		fputc('"', out);
		for (const char *p = s; *p; p++) {
			if (*p == '"')
				fputc('"', out);
			fputc(*p, out);
		}
		fputc('"', out);
	} else {
		fputs(s, out);
	}
	fputc(last ? '\n' : ',', out);
}

static void csv_run_fields(FILE *out, const struct qx_hist_run *r)
{
	char text[32];
	csv_field(out, r->view.run_id, 0);
	csv_field(out, r->view.started, 0);
	csv_field(out, r->view.tag, 0);
	csv_field(out, r->view.state, 0);
	snprintf(text, sizeof text, "%c", qx_hist_machine_letter(r));
	csv_field(out, text, 0);
	csv_field(out, r->git, 0);
}

int qx_history_print_csv(const struct qx_history *h, FILE *out)
{
	fprintf(out, "run_id,started,tag,state,machine,git_revision,system,metric,kernels,threads,"
	        "batch,images,correct,value,unit,cv,samples\n");
	for (int i = 0; i < h->n_runs; i++) {
		const struct qx_hist_run *r = &h->runs[i];
		for (int s = 0; s < h->n_systems; s++) {
			const struct qx_run_view_system *sys = qx_run_view_system(&r->view, h->systems[s]);
			if (!sys)
				continue;
			char value[32];
			qx_hist_accuracy(r, sys->label, value, sizeof value);
			/* The value stays a number; the metric says the figure is not to be trusted. */
			size_t len = strlen(value);
			if (len && value[len - 1] == '!')
				value[len - 1] = '\0';
			csv_run_fields(out, r);
			csv_field(out, sys->label, 0);
			fprintf(out, "%s,,,,", sys->mistrusted ? "accuracy_mistrusted" : "accuracy");
			if (sys->images >= 0)
				fprintf(out, "%lld", (long long)sys->images);
			fputc(',', out);
			if (sys->correct >= 0)
				fprintf(out, "%lld", (long long)sys->correct);
			fprintf(out, ",%s,%%,,\n", value);
		}
		for (int m = 0; m < h->n_meas; m++) {
			const struct qx_run_view_measurement *c = qx_hist_cell(r, &h->meas[m]);
			if (!c || !c->has_median)
				continue;
			csv_run_fields(out, r);
			csv_field(out, h->meas[m].label, 0);
			fprintf(out, "latency_median,");
			csv_field(out, c->kernels, 0);
			fprintf(out, "%d,%d,,,%.6g,", c->threads, c->batch, c->median);
			csv_field(out, c->unit, 0);
			if (c->cv >= 0.0)
				fprintf(out, "%.4g", c->cv);
			fprintf(out, ",%zu\n", c->n_samples);
		}
	}
	return ferror(out) ? -1 : 0;
}

static json_t *machine_json(const struct qx_history *h, int m)
{
	const struct qx_run_view *v = &h->runs[h->machine_run[m]].view;
	char letter[2] = { (char)('A' + m), '\0' };
	json_t *j = json_pack("{s:s}", "letter", letter);
	const char *keys[] = { "cpu_model", "arch", "online_cpus", "hostname" };
	for (size_t k = 0; v->machine && k < sizeof keys / sizeof keys[0]; k++) {
		json_t *val = json_object_get(v->machine, keys[k]);
		if (val)
			json_object_set(j, keys[k], val);
	}
	return j;
}

static json_t *run_json(const struct qx_history *h, const struct qx_hist_run *r)
{
	char letter[2] = { qx_hist_machine_letter(r), '\0' };
	json_t *j = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "index", r->index,
	                      "run_id", r->view.run_id, "folder", r->folder, "started",
	                      r->view.started, "tag", r->view.tag, "state", r->view.state,
	                      "partial", r->view.partial, "machine", letter, "git_revision", r->git);
	if (r->view.partial)
		json_object_set_new(j, "partial_why", json_string(r->view.partial_why));
	json_object_set_new(j, "quick", json_boolean(r->view.quick));
	json_object_set_new(j, "images", r->images >= 0 ? json_integer(r->images) : json_null());
	json_t *acc = json_array();
	for (int s = 0; s < h->n_systems; s++) {
		const struct qx_run_view_system *sys = qx_run_view_system(&r->view, h->systems[s]);
		if (!sys)
			continue;
		json_t *a = json_pack("{s:s}", "system", sys->label);
		if (sys->error)
			json_object_set_new(a, "error", json_string(sys->error));
		if (sys->mistrusted)
			json_object_set_new(a, "mistrusted", json_string(sys->mistrusted));
		if (sys->images >= 0)
			json_object_set_new(a, "images", json_integer(sys->images));
		if (sys->correct >= 0)
			json_object_set_new(a, "correct", json_integer(sys->correct));
		if (sys->correct >= 0 && sys->images > 0)
			json_object_set_new(a, "accuracy", json_real(100.0 * (double)sys->correct /
			                                             (double)sys->images));
		else if (sys->accuracy >= 0.0)
			json_object_set_new(a, "accuracy", json_real(sys->accuracy));
		json_array_append_new(acc, a);
	}
	json_object_set_new(j, "accuracy", acc);
	json_t *lat = json_array();
	for (int m = 0; m < h->n_meas; m++) {
		const struct qx_run_view_measurement *c = qx_hist_cell(r, &h->meas[m]);
		if (!c || !c->has_median)
			continue;
		json_t *l = json_pack("{s:s, s:s, s:s, s:i, s:i, s:f, s:s, s:I}", "measurement",
		                      h->meas[m].name, "system", h->meas[m].label, "kernels",
		                      c->kernels, "threads", c->threads, "batch", c->batch, "median",
		                      c->median, "unit", c->unit, "samples", (json_int_t)c->n_samples);
		if (c->cv >= 0.0 && isfinite(c->cv))
			json_object_set_new(l, "cv", json_real(c->cv));
		json_array_append_new(lat, l);
	}
	json_object_set_new(j, "latency", lat);
	return j;
}

int qx_history_print_json(const struct qx_history *h, FILE *out)
{
	json_t *doc = json_pack("{s:s, s:i}", "dir", h->dir, "runs_found", h->n_found);
	json_t *runs = json_array(), *machines = json_array();
	for (int i = 0; i < h->n_runs; i++)
		json_array_append_new(runs, run_json(h, &h->runs[i]));
	for (int m = 0; m < h->n_machines; m++)
		json_array_append_new(machines, machine_json(h, m));
	json_object_set_new(doc, "runs", runs);
	json_object_set_new(doc, "machines", machines);
	int rc = json_dumpf(doc, out, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(doc);
	return rc || ferror(out) ? -1 : 0;
}

int qx_history_print_folders(const struct qx_history *h, FILE *out)
{
	for (int i = 0; i < h->n_runs; i++)
		fprintf(out, "%s\n", h->runs[i].folder);
	return ferror(out) ? -1 : 0;
}
