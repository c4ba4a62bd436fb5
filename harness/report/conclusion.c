#include "report/conclusion.h"

#include <math.h>
#include <string.h>

#include "results/results_read.h"

#define MAX_CONFIGS 8

struct config {
	int batch, threads;
};

/* The measurement of a system at (kernels, batch, threads), or NULL. */
static json_t *find(json_t *sys, const char *kernels, int batch, int threads)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(sys, "measurements"), i, m) {
		const char *k = json_string_value(json_object_get(m, "kernels"));
		if (k && !strcmp(k, kernels) && !json_object_get(m, "error") &&
		    json_integer_value(json_object_get(m, "batch")) == batch &&
		    json_integer_value(json_object_get(m, "threads")) == threads)
			return m;
	}
	return NULL;
}

/* fp32's measured (batch, threads) on kernels, batch then threads ascending. */
static int configs(json_t *fp32, const char *kernels, struct config *c)
{
	int n = 0;
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(fp32, "measurements"), i, m) {
		const char *k = json_string_value(json_object_get(m, "kernels"));
		if (!k || strcmp(k, kernels) || json_object_get(m, "error") || n == MAX_CONFIGS)
			continue;
		struct config x = { (int)json_integer_value(json_object_get(m, "batch")),
		                    (int)json_integer_value(json_object_get(m, "threads")) };
		int at = n;
		while (at > 0 && (c[at - 1].batch > x.batch ||
		                  (c[at - 1].batch == x.batch && c[at - 1].threads > x.threads))) {
			c[at] = c[at - 1];
			at--;
		}
		c[at] = x;
		n++;
	}
	return n;
}

static int usable(json_t *p)
{
	const char *v = json_string_value(json_object_get(json_object_get(p, "trust"), "verdict"));
	return !json_object_get(p, "error") && !(v && !strcmp(v, "MISTRUSTED"));
}

static double median_at(json_t *sys, const char *kernels, const struct config *c)
{
	json_t *m = find(sys, kernels, c->batch, c->threads);
	return m ? json_number_value(json_object_get(m, "median")) : NAN;
}

/* Whether p is on the Pareto front of (accuracy up, latency at c down) among fp32 and the
 * usable plugins (every one: a sweep may have up to QX_SUITE_MAX_CONFIGS): no other system is at least as accurate and at least as fast, and better in
 * one of the two. */
static int on_front(json_t *root, json_t *p, const char *kernels, const struct config *c)
{
	double acc = json_number_value(json_object_get(p, "accuracy"));
	double ms = median_at(p, kernels, c);
	if (!isfinite(ms))
		return 0;
	json_t *all = json_object_get(root, "plugins");
	for (int k = -1; k < (int)json_array_size(all); k++) {
		json_t *q = k < 0 ? json_object_get(root, "fp32") : json_array_get(all, (size_t)k);
		if (q == p || !q || (k >= 0 && !usable(q)))
			continue;
		double a = json_number_value(json_object_get(q, "accuracy"));
		double t = median_at(q, kernels, c);
		if (isfinite(t) && a >= acc && t <= ms && (a > acc || t < ms))
			return 0;
	}
	return 1;
}

/* Whether p is on the Pareto front of (accuracy up, model size down) among fp32 and the usable
 * plugins with a size. */
static int on_size_front(json_t *root, json_t *p)
{
	double acc = json_number_value(json_object_get(p, "accuracy"));
	json_t *bytes = json_object_get(p, "model_bytes");
	if (!json_is_integer(bytes))
		return 0;
	json_int_t b = json_integer_value(bytes);
	json_t *fp32 = json_object_get(root, "fp32");
	json_t *all = json_object_get(root, "plugins");
	for (int k = -1; k < (int)json_array_size(all); k++) {
		json_t *q = k < 0 ? fp32 : json_array_get(all, (size_t)k);
		if (q == p || !q || (k >= 0 && !usable(q)) ||
		    !json_is_integer(json_object_get(q, "model_bytes")))
			continue;
		double a = json_number_value(json_object_get(q, "accuracy"));
		json_int_t qb = json_integer_value(json_object_get(q, "model_bytes"));
		if (a >= acc && qb <= b && (a > acc || qb < b))
			return 0;
	}
	return 1;
}

/* Appends ", label" (or "label") to list. */
static void name_in(char *list, size_t size, const char *label)
{
	size_t len = strlen(list);
	snprintf(list + len, size - len, "%s%s", list[0] ? ", " : "", label);
}

#define MAX_LABEL_W 64

void qx_conclusion_print(json_t *root, const char *kernels, FILE *out)
{
	json_t *fp32 = json_object_get(root, "fp32");
	json_t *plugins = json_object_get(root, "plugins");
	if (!fp32 || json_array_size(plugins) == 0)
		return;
	/* The record is read with the same rules as compare and the report read it. */
	struct qx_error err = { 0 };
	if (qx_results_check(root, "results.json", &err)) {
		fprintf(out, "\nConclusion: not drawn: the results document breaks its schema (a bug "
		        "in qx-bench): %s\n", err.msg);
		return;
	}
	struct config c[MAX_CONFIGS];
	int n_c = configs(fp32, kernels, c);
	size_t i;
	json_t *p;
	/* The label column fits the longest label (a sweep's "base[key=value,...]"), up to a
	 * limit past which the row just runs on. */
	int w = 20, sized = 0;
	json_array_foreach(plugins, i, p) {
		const char *label = json_string_value(json_object_get(p, "label"));
		int len = label ? (int)strlen(label) : 0;
		if (len > w)
			w = len < MAX_LABEL_W ? len : MAX_LABEL_W;
		sized |= usable(p) && json_is_integer(json_object_get(p, "model_bytes"));
	}
	if (json_is_true(json_object_get(root, "quick")))
		fprintf(out, "\nQUICK RUN: not for tracking (fewer images, shorter measurement)");
	/* The front at the first configuration, the one the report's Pareto chart uses too. */
	fprintf(out, "\nconclusion (accuracy on %lld images; speedup: fp32's median / the plugin's, "
	        "on %s)\n", (long long)json_integer_value(json_object_get(fp32, "images")), kernels);
	fprintf(out, "%-*s %7s %-21s %-10s", w, "plugin", "top-1", "drop vs fp32 [95% CI]", "trust");
	for (int k = 0; k < n_c; k++) {
		char head[32];
		snprintf(head, sizeof head, "b%d/t%d", c[k].batch, c[k].threads);
		fprintf(out, " %9s", head);
	}
	/* Columns as wide as their longest word ("no kernel", "no (MISTRUSTED)"). */
	fprintf(out, "%s%s\n", n_c ? "  Pareto front   " : "", sized ? "  size front" : "");
	char front[8192] = "", size_front[8192] = "";
	json_array_foreach(plugins, i, p) {
		const char *label = json_string_value(json_object_get(p, "label"));
		if (!label)
			continue;
		json_t *error = json_object_get(p, "error");
		if (error) {
			fprintf(out, "%-*s failed (its error row above says why)\n", w, label);
			continue;
		}
		json_t *drop = json_object_get(p, "drop");
		char d[64];
		snprintf(d, sizeof d, "%+.2f [%+.2f, %+.2f]",
		         json_number_value(json_object_get(drop, "points")),
		         json_number_value(json_object_get(drop, "ci95_low")),
		         json_number_value(json_object_get(drop, "ci95_high")));
		const char *trust = json_string_value(json_object_get(json_object_get(p, "trust"),
		                                                      "verdict"));
		/* The table's words: "ok" for results.json's "trusted". */
		if (trust && !strcmp(trust, "trusted"))
			trust = "ok";
		fprintf(out, "%-*s %6.2f%% %-21s %-10s", w, label,
		        json_number_value(json_object_get(p, "accuracy")), d, trust ? trust : "-");
		/* A simulated plan (no int8 kernel runs it) has no latency, never a made-up one. */
		int no_kernel = json_object_get(p, "simulated") != NULL;
		for (int k = 0; k < n_c; k++) {
			json_t *m = find(p, kernels, c[k].batch, c[k].threads);
			json_t *ratio = json_object_get(json_object_get(m, "speedup_vs_fp32"), "ratio");
			if (ratio)
				fprintf(out, " %8.2fx", json_number_value(ratio));
			else
				fprintf(out, " %9s", no_kernel ? "no kernel" : "-");
		}
		if (n_c) {
			int yes = usable(p) && !no_kernel && on_front(root, p, kernels, &c[0]);
			fprintf(out, "  %-15s", yes ? "yes" : no_kernel ? "no (no kernel)"
			                        : usable(p) ? "no" : "no (MISTRUSTED)");
			if (yes)
				name_in(front, sizeof front, label);
		}
		if (sized) {
			int yes = usable(p) && on_size_front(root, p);
			fprintf(out, "  %-3s", yes ? "yes" : "no");
			if (yes)
				name_in(size_front, sizeof size_front, label);
		}
		const char *same = json_string_value(json_object_get(p, "same_plan_as"));
		if (same)
			fprintf(out, "  (same plan as %s: measured once)", same);
		fprintf(out, "\n");
	}
	if (sized)
		fprintf(out, "on the Pareto front (top-1 against model size): %s\n",
		        size_front[0] ? size_front : "no plugin (fp32 is as accurate and smaller)");
	if (n_c == 0) {
		fprintf(out, "latency not measured on %s: no speedup and no Pareto front\n", kernels);
		return;
	}
	fprintf(out, "on the Pareto front (top-1 against median latency at batch %d, %d thread%s, "
	        "%s): %s\n", c[0].batch, c[0].threads, c[0].threads == 1 ? "" : "s", kernels,
	        front[0] ? front : "no plugin (fp32 is as accurate and faster)");
}
