/* qx-bench compare OLD NEW: what changed between two runs of a suite, and whether it is a
 * regression. Accuracy is deterministic, so any change in which images are right is reported,
 * image by image; latency is noisy, so it takes a threshold and a significance test. */
#include "compare/compare.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compare/run_view.h"
#include "measure/stats.h"
#include "measure/verdict.h"

static const char usage[] =
	"usage: qx-bench compare [options] OLD NEW\n"
	"\n"
	"Compares two runs of a suite (results.json files or run folders): accuracy image by\n"
	"image (McNemar's test), and the latency of each measurement matched by plugin, kernels,\n"
	"threads and batch (Mann-Whitney U test and a bootstrap interval over the rounds'\n"
	"medians; CPU time instead of wall time when the wall time shows preemption).\n"
	"\n"
	"options:\n"
	"  --threshold PCT   a latency change smaller than this is noise (default 5)\n"
	"  --alpha P         significance level of the latency test (default 0.05)\n"
	"  --min-rounds N    fewer measurement rounds than this is inconclusive (default 3)\n"
	"  --force           compare latency even when the machines differ\n"
	"  --json FILE       also write the comparison as JSON to FILE\n"
	"  --ids N           list at most N image ids per change (default 20; JSON has all)\n"
	"  -h, --help        this text\n"
	"\n"
	"A run that did not finish (interrupted, failed, killed) is compared as far as it goes\n"
	"and said to be partial; what it lacks is not a regression.\n"
	"\n"
	"exit status: 0 no regression, 1 regression (accuracy drop, a plugin failing or gone,\n"
	"slower latency), 2 bad command line or unreadable input, 3 could not compare\n"
	"(different machines or suites without --force, nothing in common, a partial run with\n"
	"no regression in what it has, or most latency rows inconclusive).\n"
	"See docs/nightly.md.\n";

struct options {
	double threshold;          /* percent */
	double alpha;
	long min_rounds;
	int force;
	long max_ids;
	const char *json_path;
	const char *old_path, *new_path;
};

struct tally {
	int regressions;
	int compared;              /* comparisons made (systems and measurements) */
	int incomparable;          /* machines or suites differ and --force was not given */
	const char *partial;       /* "OLD" / "NEW" / "OLD and NEW": a run that did not finish */
	int latency_rows, inconclusive;
	int inconclusive_noisy, inconclusive_unshown, inconclusive_data, inconclusive_contended;
	int inconclusive_drift;    /* the change could not be told from the machine's drift */
	json_t *report;
};

static int parse_number(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (!*s || *end || !(v >= lo && v <= hi)) {
		fprintf(stderr, "qx-bench: compare: %s '%s': expected a number from %g to %g\n", opt,
		        s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_count(const char *opt, const char *s, long lo, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (!*s || *end || v < lo) {
		fprintf(stderr, "qx-bench: compare: %s '%s': expected an integer >= %ld\n", opt, s, lo);
		return -1;
	}
	*out = v;
	return 0;
}

/* Returns 0 to go on, 1 after --help, -1 on a usage error (already printed). */
static int parse_args(int argc, char **argv, struct options *o)
{
	*o = (struct options){ .threshold = 5.0, .alpha = 0.05, .min_rounds = 3, .max_ids = 20 };
	const char *paths[2];
	int n_paths = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			fputs(usage, stdout);
			return 1;
		}
		if (!strcmp(a, "--force")) {
			o->force = 1;
			continue;
		}
		if (a[0] != '-' || !strcmp(a, "-")) {
			if (n_paths == 2) {
				fprintf(stderr, "qx-bench: compare: unexpected argument '%s' (expected OLD "
				        "NEW)\n", a);
				return -1;
			}
			paths[n_paths++] = a;
			continue;
		}
		/* --name=value or --name value */
		static const char *const valued[] = { "--threshold", "--alpha", "--min-rounds",
		                                      "--json", "--ids" };
		const char *value = NULL;
		int which = -1;
		for (int k = 0; k < 5 && which < 0; k++) {
			size_t len = strlen(valued[k]);
			if (!strncmp(a, valued[k], len) && (a[len] == '=' || a[len] == '\0')) {
				which = k;
				value = a[len] == '=' ? a + len + 1 : (i + 1 < argc ? argv[++i] : NULL);
			}
		}
		if (which < 0) {
			fprintf(stderr, "qx-bench: compare: unknown option '%s' (try --help)\n", a);
			return -1;
		}
		if (!value) {
			fprintf(stderr, "qx-bench: compare: %s needs a value\n", valued[which]);
			return -1;
		}
		int rc = 0;
		switch (which) {
		case 0: rc = parse_number(valued[which], value, 0.0, 1000.0, &o->threshold); break;
		case 1: rc = parse_number(valued[which], value, 1e-12, 1.0, &o->alpha); break;
		case 2: rc = parse_count(valued[which], value, 2, &o->min_rounds); break;
		case 3: o->json_path = value; break;
		case 4: rc = parse_count(valued[which], value, 0, &o->max_ids); break;
		}
		if (rc)
			return -1;
	}
	if (n_paths != 2) {
		fprintf(stderr, "qx-bench: compare: %s (usage: qx-bench compare [options] OLD NEW)\n",
		        n_paths ? "NEW missing" : "OLD and NEW missing");
		return -1;
	}
	o->old_path = paths[0];
	o->new_path = paths[1];
	return 0;
}

static void add_note(struct tally *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add_note(struct tally *t, const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	json_array_append_new(json_object_get(t->report, "notes"), json_string(line));
}

/* A JSON value as short text for a one-line difference. */
static void short_text(json_t *v, char *buf, size_t size)
{
	if (!v) {
		snprintf(buf, size, "(absent)");
		return;
	}
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS);
	if (!s) {
		snprintf(buf, size, "?");
		return;
	}
	if (strlen(s) >= size && size > 4)
		snprintf(buf, size, "%.*s...", (int)size - 4, s);
	else
		snprintf(buf, size, "%s", s);
	free(s);
}

/* ---- what must match before latency means anything ---- */

static const char *const info_keys[] = { "kernel", "hostname" };

static int same_machine(const struct qx_run_view *ov, const struct qx_run_view *nv, struct tally *t)
{
	json_t *diffs = json_array();
	if (!ov->machine || !nv->machine) {
		json_array_append_new(diffs, json_sprintf("machine section absent in %s",
		                                          !ov->machine ? "OLD" : "NEW"));
	} else {
		for (int k = 0; k < QX_MACHINE_IDENTITY_KEYS; k++) {
			const char *key = qx_machine_identity_keys[k];
			json_t *a = json_object_get(ov->machine, key);
			json_t *b = json_object_get(nv->machine, key);
			if (!a && !b) {
				add_note(t, "machine.%s absent in both runs: not checked", key);
				continue;
			}
			if (a && b && json_equal(a, b))
				continue;
			char ta[80], tb[80];
			short_text(a, ta, sizeof ta);
			short_text(b, tb, sizeof tb);
			json_array_append_new(diffs, json_sprintf("%s: %s -> %s", key, ta, tb));
		}
		for (size_t k = 0; k < sizeof info_keys / sizeof info_keys[0]; k++) {
			json_t *a = json_object_get(ov->machine, info_keys[k]);
			json_t *b = json_object_get(nv->machine, info_keys[k]);
			if ((a || b) && !(a && b && json_equal(a, b))) {
				char ta[80], tb[80];
				short_text(a, ta, sizeof ta);
				short_text(b, tb, sizeof tb);
				add_note(t, "machine.%s changed: %s -> %s (latency compared anyway)",
				         info_keys[k], ta, tb);
			}
		}
	}
	int same = json_array_size(diffs) == 0;
	json_object_set_new(t->report, "machine", json_pack("{s:b, s:o}", "same", same,
	                                                    "differences", diffs));
	if (same) {
		const char *model = json_string_value(json_object_get(nv->machine, "cpu_model"));
		printf("machine: same%s%s%s\n", model ? " (" : "", model ? model : "", model ? ")" : "");
	} else {
		printf("machine: DIFFERENT\n");
		size_t i;
		json_t *d;
		json_array_foreach(diffs, i, d)
			printf("  %s\n", json_string_value(d));
	}
	return same;
}

static int same_suite(const struct qx_run_view *ov, const struct qx_run_view *nv, struct tally *t)
{
	int same = !strcmp(ov->suite, nv->suite) && !strcmp(ov->model, nv->model);
	json_object_set_new(t->report, "suite", json_pack("{s:b, s:s, s:s}", "same", same, "old",
	                                                  ov->suite, "new", nv->suite));
	if (!same)
		printf("suite: DIFFERENT: '%s' (%s) -> '%s' (%s)\n", ov->suite, ov->model, nv->suite,
		       nv->model);
	return same;
}

/* ---- accuracy ---- */

/* Whether both runs evaluated the same images: identical labels, one per image. */
static int same_images(const struct qx_run_view *ov, const struct qx_run_view *nv, struct tally *t)
{
	if (!ov->labels || !nv->labels)
		return 0;
	if (ov->n_labels != nv->n_labels) {
		add_note(t, "the runs evaluated different numbers of images (%lld and %lld): "
		         "accuracy not compared", (long long)ov->n_labels, (long long)nv->n_labels);
		return -1;
	}
	if (memcmp(ov->labels, nv->labels, sizeof *ov->labels * (size_t)ov->n_labels)) {
		add_note(t, "the runs' labels differ (another dataset?): accuracy not compared");
		return -1;
	}
	return 1;
}

static void print_ids(const char *what, json_t *ids, long max)
{
	size_t n = json_array_size(ids);
	if (n == 0)
		return;
	printf("      %s (%zu):", what, n);
	for (size_t i = 0; i < n && (long)i < max; i++)
		printf(" %lld", (long long)json_integer_value(json_array_get(ids, i)));
	if ((long)n > max)
		printf(" ... (+%zu more)", n - (size_t)max);
	printf("\n");
}

static void print_accuracy_line(const char *label, int width, json_t *row)
{
	json_int_t oc = json_integer_value(json_object_get(row, "old_correct"));
	json_int_t nc = json_integer_value(json_object_get(row, "new_correct"));
	json_int_t images = json_integer_value(json_object_get(row, "images"));
	const char *verdict = json_string_value(json_object_get(row, "verdict"));
	printf("  %-*s %7lld -> %-7lld", width, label, (long long)oc, (long long)nc);
	if (images > 0)
		printf(" (%.2f%% -> %.2f%%)", 100.0 * (double)oc / (double)images,
		       100.0 * (double)nc / (double)images);
	printf("  %s", verdict);
	json_t *p = json_object_get(row, "mcnemar_p");
	size_t discordant = json_array_size(json_object_get(row, "now_wrong")) +
	                    json_array_size(json_object_get(row, "now_right"));
	if (json_is_number(p) && discordant)
		printf(" (McNemar p = %.3g)", json_number_value(p));
	const char *no_kernel = json_string_value(json_object_get(row, "no_kernel"));
	if (no_kernel)
		printf("  [simulated, no kernel (%s): no latency]", no_kernel);
	printf("\n");
}

/* Compares one system present in both runs. */
static void compare_system_accuracy(const struct options *opt, const struct qx_run_view *nv,
                                    const struct qx_run_view_system *o,
                                    const struct qx_run_view_system *n, int images_same, int width,
                                    struct tally *t, json_t *rows)
{
	json_t *row = json_pack("{s:s}", "system", o->label);
	if (o->error || n->error) {
		const char *verdict = o->error && n->error ? "fails in both runs"
		                      : n->error ? "FAILS NOW" : "works now";
		json_object_set_new(row, "verdict", json_string(verdict));
		if (n->error && !o->error) {
			json_object_set_new(row, "error", json_string(n->error));
			json_object_set_new(row, "regression", json_true());
			t->regressions++;
		}
		t->compared++;
		printf("  %-*s %s%s%s\n", width, o->label, verdict, n->error ? ": " : "",
		       n->error ? n->error : "");
		json_array_append_new(rows, row);
		return;
	}
	/* A MISTRUSTED figure is not a number to compare: in NEW it is a regression of its own,
	 * in OLD it is no baseline. */
	if (o->mistrusted || n->mistrusted) {
		const char *verdict = n->mistrusted ? "MISTRUSTED in NEW" : "OLD was MISTRUSTED";
		json_object_set_new(row, "verdict", json_string(verdict));
		json_object_set_new(row, "reason", json_string(n->mistrusted ? n->mistrusted
		                                                             : o->mistrusted));
		json_object_set_new(row, "regression", json_boolean(n->mistrusted != NULL));
		t->regressions += n->mistrusted != NULL;
		t->compared++;
		printf("  %-*s %s, accuracy not compared: %s\n", width, o->label, verdict,
		       n->mistrusted ? n->mistrusted : o->mistrusted);
		json_array_append_new(rows, row);
		return;
	}
	int per_image = images_same > 0 && o->pred && n->pred && o->n_pred == nv->n_labels &&
	                n->n_pred == nv->n_labels;
	int64_t oc = o->correct, nc = n->correct, images = nv->n_labels;
	json_t *wrong_now = json_array(), *right_now = json_array();
	int64_t pred_changed = 0;
	if (per_image) {
		oc = nc = 0;
		for (int64_t i = 0; i < images; i++) {
			int a = o->pred[i] == nv->labels[i], b = n->pred[i] == nv->labels[i];
			oc += a;
			nc += b;
			if (a && !b)
				json_array_append_new(wrong_now, json_integer(i));
			if (b && !a)
				json_array_append_new(right_now, json_integer(i));
			pred_changed += o->pred[i] != n->pred[i];
		}
		if (o->correct >= 0 && o->correct != oc)
			add_note(t, "OLD %s: correct says %lld but predictions give %lld: predictions "
			         "used", o->label, (long long)o->correct, (long long)oc);
		if (n->correct >= 0 && n->correct != nc)
			add_note(t, "NEW %s: correct says %lld but predictions give %lld: predictions "
			         "used", n->label, (long long)n->correct, (long long)nc);
	} else {
		images = o->images == n->images ? o->images : -1;
		if (images_same < 0 || oc < 0 || nc < 0 || images < 0) {
			add_note(t, "%s: accuracy not comparable (%s)", o->label, images_same < 0 ?
			         "different images" : "correct counts or image counts missing");
			json_decref(row);
			json_decref(wrong_now);
			json_decref(right_now);
			return;
		}
	}
	t->compared++;
	const char *verdict;
	int regression = 0;
	if (nc < oc) {
		verdict = "DROPPED";
		regression = 1;
	} else if (nc > oc) {
		verdict = "improved";
	} else if (json_array_size(wrong_now)) {
		verdict = "changed (same count, other images)";
	} else if (pred_changed) {
		verdict = "unchanged (some wrong predictions changed class)";
	} else {
		verdict = "unchanged";
	}
	t->regressions += regression;
	json_object_set_new(row, "images", json_integer(images));
	json_object_set_new(row, "old_correct", json_integer(oc));
	json_object_set_new(row, "new_correct", json_integer(nc));
	json_object_set_new(row, "change", json_integer(nc - oc));
	json_object_set_new(row, "verdict", json_string(verdict));
	json_object_set_new(row, "regression", json_boolean(regression));
	if (per_image) {
		struct qx_mcnemar mc;
		qx_stats_mcnemar((int64_t)json_array_size(wrong_now), (int64_t)json_array_size(right_now),
		                 &mc, NULL);
		json_object_set_new(row, "mcnemar_p", json_real(mc.p));
		json_object_set_new(row, "mcnemar_exact", json_boolean(mc.exact));
		json_object_set_new(row, "predictions_changed", json_integer(pred_changed));
	}
	json_object_set_new(row, "now_wrong", wrong_now);
	json_object_set_new(row, "now_right", right_now);
	if (n->simulated) /* no kernel: accuracy from the simulation, no latency to compare */
		json_object_set_new(row, "no_kernel", json_string(n->simulated));
	print_accuracy_line(o->label, width, row);
	print_ids("now wrong", wrong_now, opt->max_ids);
	print_ids("now right", right_now, opt->max_ids);
	json_array_append_new(rows, row);
}

static void compare_accuracy(const struct options *opt, const struct qx_run_view *ov,
                             const struct qx_run_view *nv, struct tally *t)
{
	json_t *rows = json_array();
	json_object_set_new(t->report, "accuracy", rows);
	int images_same = same_images(ov, nv, t);
	int width = 6;
	for (int i = 0; i < ov->n_sys; i++)
		if ((int)strlen(ov->sys[i].label) > width)
			width = (int)strlen(ov->sys[i].label);
	printf("\naccuracy (top-1, correct images%s)\n", images_same > 0 ? "; image ids are "
	       "positions in the evaluated test set, from 0" : "");
	for (int i = 0; i < ov->n_sys; i++) {
		const struct qx_run_view_system *o = &ov->sys[i];
		const struct qx_run_view_system *n = qx_run_view_system(nv, o->label);
		if (!n && t->partial && strstr(t->partial, "NEW")) {
			/* A partial NEW never got there: that is not the system failing. */
			printf("  %-*s not in NEW (NEW did not finish)\n", width, o->label);
			json_array_append_new(rows, json_pack("{s:s, s:s, s:b}", "system", o->label,
			                                      "verdict", "not run (NEW partial)",
			                                      "regression", 0));
			continue;
		}
		if (!n) {
			printf("  %-*s GONE from NEW\n", width, o->label);
			json_array_append_new(rows, json_pack("{s:s, s:s, s:b}", "system", o->label,
			                                      "verdict", "gone", "regression", 1));
			t->regressions++;
			continue;
		}
		compare_system_accuracy(opt, nv, o, n, images_same, width, t, rows);
	}
	for (int i = 0; i < nv->n_sys; i++)
		if (!qx_run_view_system(ov, nv->sys[i].label))
			add_note(t, "%s: new in NEW, nothing to compare with", nv->sys[i].label);
}

/* ---- latency ---- */

static void measurement_name(const char *label, const struct qx_run_view_measurement *m, char *buf,
                             size_t size)
{
	snprintf(buf, size, "%s/%s/threads:%d/batch:%d", label, m->kernels, m->threads, m->batch);
}

/* machine.online_cpus, 0 when absent. */
static int online_cpus(const struct qx_run_view *v)
{
	json_t *c = json_object_get(v->machine, "online_cpus");
	return json_is_integer(c) ? (int)json_integer_value(c) : 0;
}

static void compare_measurement(const struct options *opt, const char *name,
                                const struct qx_run_view_measurement *a,
                                const struct qx_run_view_measurement *b, const int cpus[2],
                                int width, struct tally *t, json_t *rows)
{
	json_t *row = json_pack("{s:s, s:s, s:i, s:i, s:s}", "measurement", name, "kernels",
	                        a->kernels, "threads", a->threads, "batch", a->batch, "unit",
	                        a->unit);
	struct qx_verdict v = { .verdict = "inconclusive", .change = NAN, .p = NAN };
	if (strcmp(a->unit, b->unit)) {
		snprintf(v.why, sizeof v.why, "units differ: %s vs %s", a->unit, b->unit);
	} else if (!a->round_wall || !b->round_wall) {
		snprintf(v.why, sizeof v.why, "no per-round medians in %s (older results.json?)",
		         !a->round_wall ? "OLD" : "NEW");
	} else {
		struct qx_verdict_side so = { a->round_wall, a->round_cpu, a->rounds, a->threads,
		                              a->load1_max, cpus[0], a->round_reference };
		struct qx_verdict_side sn = { b->round_wall, b->round_cpu, b->rounds, b->threads,
		                              b->load1_max, cpus[1], b->round_reference };
		struct qx_verdict_options vo = QX_VERDICT_OPTIONS_DEFAULT;
		vo.threshold_percent = opt->threshold;
		vo.alpha = opt->alpha;
		vo.min_rounds = (size_t)opt->min_rounds;
		qx_verdict_latency(&so, &sn, &vo, &v);
	}
	if (a->has_median)
		json_object_set_new(row, "old_median", json_real(a->median));
	if (b->has_median)
		json_object_set_new(row, "new_median", json_real(b->median));
	json_object_set_new(row, "old_rounds", json_integer((json_int_t)a->rounds));
	json_object_set_new(row, "new_rounds", json_integer((json_int_t)b->rounds));
	json_object_set_new(row, "old_n", json_integer((json_int_t)a->n_samples));
	json_object_set_new(row, "new_n", json_integer((json_int_t)b->n_samples));
	if (a->cv >= 0.0)
		json_object_set_new(row, "old_cv", json_real(a->cv));
	if (b->cv >= 0.0)
		json_object_set_new(row, "new_cv", json_real(b->cv));
	if (isfinite(v.change)) {
		json_object_set_new(row, "clock", json_string(v.clock));
		json_object_set_new(row, "old_estimate", json_real(v.old_est));
		json_object_set_new(row, "new_estimate", json_real(v.new_est));
		json_object_set_new(row, "change_percent", json_real(v.change));
		json_object_set_new(row, "ci95_percent", json_pack("[f, f]", v.lo, v.hi));
		json_object_set_new(row, "p_value", json_real(v.p));
	}
	if (isfinite(v.drift)) {
		json_object_set_new(row, "machine_drift_percent", json_real(v.drift));
		json_object_set_new(row, "machine_drift_ci95_percent",
		                    json_pack("[f, f]", v.drift_lo, v.drift_hi));
	}
	if (isfinite(v.corrected)) {
		json_object_set_new(row, "corrected_change_percent", json_real(v.corrected));
		json_object_set_new(row, "corrected_ci95_percent",
		                    json_pack("[f, f]", v.corrected_lo, v.corrected_hi));
	}
	if (v.old_wall_over_cpu > 0)
		json_object_set_new(row, "old_wall_over_cpu", json_real(v.old_wall_over_cpu));
	if (v.new_wall_over_cpu > 0)
		json_object_set_new(row, "new_wall_over_cpu", json_real(v.new_wall_over_cpu));
	t->regressions += v.regression;
	t->compared++;
	t->latency_rows++;
	if (!strcmp(v.verdict, "inconclusive")) {
		t->inconclusive++;
		if (!isfinite(v.change))
			t->inconclusive_data++;
		else if (strstr(v.why, "not decided: the machine itself"))
			t->inconclusive_drift++;
		else if (strstr(v.why, "not decided"))
			t->inconclusive_contended++;
		else if (strstr(v.why, "too noisy"))
			t->inconclusive_noisy++;
		else
			t->inconclusive_unshown++;
	}
	json_object_set_new(row, "verdict", json_string(v.verdict));
	json_object_set_new(row, "regression", json_boolean(v.regression));
	if (v.why[0])
		json_object_set_new(row, "why", json_string(v.why));
	json_array_append_new(rows, row);

	printf("  %-*s ", width, name);
	if (isfinite(v.change))
		printf("%9.4g -> %-9.4g %-4s %+7.1f%% [%+.1f, %+.1f]  p %-7.2g", v.old_est, v.new_est,
		       v.clock, v.change, v.lo, v.hi, v.p);
	else
		printf("%-63s", "-");
	printf("  %s%s%s%s\n", v.verdict, v.why[0] ? " (" : "", v.why, v.why[0] ? ")" : "");
}

/* One line per run: how busy the machine was while it measured, from the noise summaries. */
static void print_load(const char *which, const struct qx_run_view *v, json_t *report)
{
	double load = -1;
	int preempted = 0, known = 0, total = 0;
	for (int i = 0; i < v->n_sys; i++)
		for (int j = 0; j < v->sys[i].n_m; j++) {
			const struct qx_run_view_measurement *m = &v->sys[i].m[j];
			total++;
			if (m->load1_max > load)
				load = m->load1_max;
			if (m->preempted >= 0) {
				known++;
				preempted += m->preempted;
			}
		}
	json_t *o = json_object();
	if (load >= 0)
		json_object_set_new(o, "load1_max", json_real(load));
	if (known)
		json_object_set_new(o, "preempted", json_integer(preempted));
	json_object_set_new(o, "measurements", json_integer(total));
	json_object_set_new(json_object_get(report, "load"), which, o);
	if (!total)
		return;
	if (load < 0 && !known) {
		printf("  %s: no record of the machine's load (older results.json)\n", which);
		return;
	}
	printf("  %s: load up to %.2f, %d of %d measurements preempted (wall > %.2f x CPU time)\n",
	       which, load, preempted, total, QX_PREEMPTED_WALL_OVER_CPU);
}

/* Every round's reference-loop time of a run, pooled over its measurements; NULL (n 0) when
 * any measurement lacks them (an older results.json) or out of memory (*nomem set). */
static double *pooled_reference(const struct qx_run_view *v, size_t *n, int *nomem)
{
	size_t total = 0;
	*n = 0;
	for (int i = 0; i < v->n_sys; i++)
		for (int j = 0; j < v->sys[i].n_m; j++) {
			const struct qx_run_view_measurement *m = &v->sys[i].m[j];
			if (!m->round_reference)
				return NULL;
			total += m->rounds;
		}
	double *out = total ? malloc(total * sizeof *out) : NULL;
	if (!out) {
		*nomem = total > 0;
		return NULL;
	}
	for (int i = 0; i < v->n_sys; i++)
		for (int j = 0; j < v->sys[i].n_m; j++) {
			const struct qx_run_view_measurement *m = &v->sys[i].m[j];
			memcpy(out + *n, m->round_reference, m->rounds * sizeof *out);
			*n += m->rounds;
		}
	return out;
}

/* Once per comparison: how much slower or faster the machine itself ran in NEW than in OLD,
 * from the reference loop every round timed (measure/reference.h); each row's verdict divides
 * out its own rounds' drift (measure/verdict.h), this says what the whole run saw. */
static void print_machine_speed(const struct options *opt, const struct qx_run_view *ov,
                                const struct qx_run_view *nv, json_t *report)
{
	size_t na, nb;
	int nomem = 0;
	double *a = pooled_reference(ov, &na, &nomem), *b = pooled_reference(nv, &nb, &nomem);
	struct qx_median_ci ci;
	json_t *o = json_object();
	if (a && b && qx_stats_ratio_ci(a, na, b, nb, 20261207UL, &ci, NULL) == 0) {
		double d = 100.0 * (ci.median - 1.0);
		json_object_set_new(o, "known", json_true());
		json_object_set_new(o, "new_vs_old_percent", json_real(d));
		json_object_set_new(o, "ci95_percent", json_pack("[f, f]", 100.0 * (ci.lo - 1.0),
		                                                 100.0 * (ci.hi - 1.0)));
		json_object_set_new(o, "drifted", json_boolean(fabs(d) > opt->threshold / 2));
		printf("  machine speed: NEW's reference loop %+.1f%% [%+.1f, %+.1f] against OLD's "
		       "(%s%s)\n", d, 100.0 * (ci.lo - 1.0), 100.0 * (ci.hi - 1.0),
		       fabs(d) > opt->threshold / 2 ? "the machine itself ran " : "within +-",
		       fabs(d) > opt->threshold / 2
		               ? (d > 0 ? "slower in NEW: rows are decided with it divided out"
		                        : "faster in NEW: rows are decided with it divided out")
		               : "half the threshold");
	} else {
		json_object_set_new(o, "known", json_false());
		printf("  machine speed: no reference-loop times in %s%s: not corrected for\n",
		       !a ? "OLD" : "NEW", nomem ? " (out of memory)" : " (older results.json)");
	}
	json_object_set_new(report, "machine_speed", o);
	free(a);
	free(b);
}

static void compare_latency(const struct options *opt, const struct qx_run_view *ov,
                            const struct qx_run_view *nv, struct tally *t)
{
	json_t *rows = json_array();
	json_object_set_new(t->report, "latency", rows);
	char name[400];
	int width = 10, any = 0;
	const int cpus[2] = { online_cpus(ov), online_cpus(nv) };
	for (int i = 0; i < ov->n_sys; i++)
		for (int j = 0; j < ov->sys[i].n_m; j++) {
			measurement_name(ov->sys[i].label, &ov->sys[i].m[j], name, sizeof name);
			if ((int)strlen(name) > width)
				width = (int)strlen(name);
			any = 1;
		}
	if (!any) {
		add_note(t, "OLD has no latency measurements");
		return;
	}
	int unreached = 0;
	printf("\nlatency (%s: median of the rounds' medians, on wall time, or CPU time when "
	       "preempted; change with its 95%% interval; REGRESSED: slower by more than %g%%, U "
	       "test over rounds p < %g, interval above +%g%%)\n",
	       ov->sys[0].n_m ? ov->sys[0].m[0].unit : "ms/batch", opt->threshold, opt->alpha,
	       opt->threshold / 2);
	json_object_set_new(t->report, "load", json_object());
	print_load("OLD", ov, t->report);
	print_load("NEW", nv, t->report);
	print_machine_speed(opt, ov, nv, t->report);
	for (int i = 0; i < ov->n_sys; i++) {
		const struct qx_run_view_system *o = &ov->sys[i];
		const struct qx_run_view_system *n = qx_run_view_system(nv, o->label);
		for (int j = 0; j < o->n_m; j++) {
			const struct qx_run_view_measurement *a = &o->m[j];
			measurement_name(o->label, a, name, sizeof name);
			if (qx_run_view_measurement(o, a->kernels, a->threads, a->batch) != a) {
				add_note(t, "OLD %s: measured twice: the second is ignored", name);
				continue;
			}
			const struct qx_run_view_measurement *b =
				n ? qx_run_view_measurement(n, a->kernels, a->threads, a->batch) : NULL;
			if (!b) {
				/* A partial NEW never got there: one note for all, not a page of them. */
				if (t->partial && strstr(t->partial, "NEW"))
					unreached++;
				else
					add_note(t, "%s: not measured in NEW", name);
				continue;
			}
			compare_measurement(opt, name, a, b, cpus, width, t, rows);
		}
	}
	if (unreached)
		add_note(t, "%d measurement%s of OLD not in NEW: NEW did not finish", unreached,
		         unreached == 1 ? "" : "s");
	for (int i = 0; i < nv->n_sys; i++) {
		const struct qx_run_view_system *n = &nv->sys[i];
		const struct qx_run_view_system *o = qx_run_view_system(ov, n->label);
		for (int j = 0; j < n->n_m; j++)
			if (!o || !qx_run_view_measurement(o, n->m[j].kernels, n->m[j].threads,
			                               n->m[j].batch)) {
				measurement_name(n->label, &n->m[j], name, sizeof name);
				add_note(t, "%s: new in NEW, nothing to compare with", name);
			}
	}
}

/* ---- the command ---- */

/* Says, before anything else, when a run did not finish, and when a nightly run is compared
 * with an ad-hoc one (another --limit, a subset of plugins: not the same measurement). */
static void note_run_states(const struct qx_run_view *ov, const struct qx_run_view *nv,
                            struct tally *t)
{
	const struct qx_run_view *v[2] = { ov, nv };
	const char *which[2] = { "OLD", "NEW" };
	for (int i = 0; i < 2; i++) {
		json_t *side = json_object_get(t->report, i ? "new" : "old");
		json_object_set_new(side, "state", json_string(v[i]->state));
		json_object_set_new(side, "tag", json_string(v[i]->tag));
		json_object_set_new(side, "quick", json_boolean(v[i]->quick));
		if (v[i]->quick) {
			printf("%s is a QUICK run: not for tracking (--quick: fewer images, shorter "
			       "measurement)\n", which[i]);
			if (!v[!i]->quick)
				add_note(t, "%s is a quick run and %s a full one: accuracy is on fewer images "
				         "and latency from fewer, shorter rounds; compare runs of the same kind",
				         which[i], which[!i]);
			else if (i == 1)
				add_note(t, "OLD and NEW are quick runs: not for tracking");
		}
		if (!v[i]->partial)
			continue;
		printf("%s is a PARTIAL run: %s; what it lacks is not compared\n", which[i],
		       v[i]->partial_why);
		add_note(t, "%s is a partial run: %s", which[i], v[i]->partial_why);
	}
	t->partial = ov->partial && nv->partial ? "OLD and NEW" : ov->partial ? "OLD"
	           : nv->partial ? "NEW" : NULL;
	if (strcmp(ov->tag, nv->tag) && ov->tag[0] && nv->tag[0])
		add_note(t, "OLD is a%s %s run, NEW a%s %s run: an ad-hoc run may use other options "
		         "(--limit, --plugins)", ov->tag[0] == 'a' ? "n" : "", ov->tag,
		         nv->tag[0] == 'a' ? "n" : "", nv->tag);
}

static void copy_view_notes(struct tally *t, const char *which, const struct qx_run_view *v)
{
	for (int i = 0; i < v->n_notes; i++)
		add_note(t, "%s: %s", which, v->notes[i]);
}

static int finish(const struct options *opt, struct tally *t)
{
	json_t *notes = json_object_get(t->report, "notes");
	if (json_array_size(notes)) {
		printf("\nnotes:\n");
		size_t i;
		json_t *n;
		json_array_foreach(notes, i, n)
			printf("  %s\n", json_string_value(n));
	}
	int status;
	const char *result;
	if (t->regressions) {
		status = QX_EXIT_REGRESSION;
		result = "REGRESSION";
	} else if (t->partial) {
		/* What was compared holds, but a partial run is no evidence about the rest. */
		status = QX_EXIT_INCOMPARABLE;
		result = !strcmp(t->partial, "NEW") ? "incomplete: NEW is a partial run, no regression in "
		                                      "what it has"
		       : !strcmp(t->partial, "OLD") ? "incomplete: OLD is a partial run, no regression in "
		                                      "what it has"
		                                    : "incomplete: OLD and NEW are partial runs, no "
		                                      "regression in what they have";
	} else if (t->incomparable || t->compared == 0) {
		status = QX_EXIT_INCOMPARABLE;
		result = t->incomparable ? "could not compare (different machines or suites; "
		                           "--force compares anyway)"
		                         : "could not compare (nothing in common)";
	} else if (2 * t->inconclusive > t->latency_rows) {
		/* Most rows undecided: "no regression" would claim what was not shown. */
		status = QX_EXIT_INCOMPARABLE;
		result = "no regression shown: most latency rows are inconclusive (measure on a "
		         "quieter machine or with more rounds)";
	} else {
		status = QX_EXIT_OK;
		result = "no regression";
	}
	printf("\nresult: %s", result);
	if (t->regressions)
		printf(" (%d finding%s)", t->regressions, t->regressions == 1 ? "" : "s");
	if (t->latency_rows)
		printf("; %d of %d latency rows inconclusive", t->inconclusive, t->latency_rows);
	if (t->inconclusive)
		printf(" (%d contended multi-thread, %d machine drift, %d too noisy, %d change not "
		       "shown, %d without data)", t->inconclusive_contended, t->inconclusive_drift,
		       t->inconclusive_noisy, t->inconclusive_unshown, t->inconclusive_data);
	printf("\n");
	json_object_set_new(t->report, "latency_rows", json_integer(t->latency_rows));
	json_object_set_new(t->report, "inconclusive", json_pack("{s:i, s:i, s:i, s:i, s:i, s:i}",
	                    "total", t->inconclusive, "contended", t->inconclusive_contended,
	                    "machine_drift", t->inconclusive_drift, "too_noisy",
	                    t->inconclusive_noisy, "not_shown", t->inconclusive_unshown,
	                    "no_data", t->inconclusive_data));
	json_object_set_new(t->report, "regressions", json_integer(t->regressions));
	json_object_set_new(t->report, "compared", json_integer(t->compared));
	json_object_set_new(t->report, "result", json_string(result));
	json_object_set_new(t->report, "exit_status", json_integer(status));
	fflush(stdout);
	if (opt->json_path && json_dump_file(t->report, opt->json_path,
	                                     JSON_INDENT(1) | JSON_PRESERVE_ORDER) != 0) {
		fprintf(stderr, "qx-bench: %s: cannot write the comparison JSON (expected a "
		        "writable path)\n", opt->json_path);
		return QX_EXIT_USAGE;
	}
	return status;
}

int qx_compare_main(int argc, char **argv)
{
	struct options opt;
	int rc = parse_args(argc, argv, &opt);
	if (rc)
		return rc > 0 ? QX_EXIT_OK : QX_EXIT_USAGE;
	struct qx_run_view ov, nv;
	struct qx_error err = { 0 };
	if (qx_run_view_load(opt.old_path, &ov, &err)) {
		fprintf(stderr, "qx-bench: %s\n", err.msg);
		return QX_EXIT_USAGE;
	}
	if (qx_run_view_load(opt.new_path, &nv, &err)) {
		fprintf(stderr, "qx-bench: %s\n", err.msg);
		qx_run_view_free(&ov);
		return QX_EXIT_USAGE;
	}
	struct tally t = { .report = json_object() };
	json_object_set_new(t.report, "old", json_pack("{s:s, s:s, s:s}", "path", ov.path,
	                                               "run_id", ov.run_id, "started", ov.started));
	json_object_set_new(t.report, "new", json_pack("{s:s, s:s, s:s}", "path", nv.path,
	                                               "run_id", nv.run_id, "started", nv.started));
	json_object_set_new(t.report, "options", json_pack("{s:f, s:f, s:I, s:b}",
	                    "threshold_percent", opt.threshold, "alpha", opt.alpha,
	                    "min_rounds", (json_int_t)opt.min_rounds, "force", opt.force));
	json_object_set_new(t.report, "notes", json_array());
	printf("old: %s (run %s)\nnew: %s (run %s)\n", ov.path, ov.run_id[0] ? ov.run_id : "?",
	       nv.path, nv.run_id[0] ? nv.run_id : "?");
	note_run_states(&ov, &nv, &t);

	int suite_ok = same_suite(&ov, &nv, &t);
	int machine_ok = same_machine(&ov, &nv, &t);
	if (!suite_ok && !opt.force) {
		t.incomparable = 1;
		printf("different suites: nothing compared (--force compares anyway)\n");
	} else {
		compare_accuracy(&opt, &ov, &nv, &t);
		if (machine_ok || opt.force) {
			if (!machine_ok)
				printf("\nlatency compared across different machines (--force)\n");
			compare_latency(&opt, &ov, &nv, &t);
		} else {
			t.incomparable = 1;
			printf("\nlatency: not compared, the machines differ (--force compares "
			       "anyway)\n");
		}
	}
	copy_view_notes(&t, "OLD", &ov);
	copy_view_notes(&t, "NEW", &nv);
	int status = finish(&opt, &t);
	json_decref(t.report);
	qx_run_view_free(&ov);
	qx_run_view_free(&nv);
	return status;
}
