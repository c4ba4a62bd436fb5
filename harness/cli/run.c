/* One suite run: fp32 baseline, then per plugin: calibrate (isolated), build the int8 model,
 * evaluate on the fastest kernel set, check the other sets bit-identical, report and save. */
#include "cli/run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/conclusion.h"
#include "measure/eval.h"
#include "exec/bitexact.h"
#include "measure/runner.h"
#include "investigate/fallback.h"
#include "investigate/layer_error.h"
#include "investigate/sensitivity.h"
#include "model/graph.h"
#include "plugin/host.h"
#include "qx/plugin.h"
#include "util/progress.h"
#include "measure/topology.h"
#include "measure/measure_run.h"
#include "report/report.h"
#include "results/results.h"
#include "cli/evaluate.h"
#include "results/results_entry.h"
#include "results/results_investigate.h"
#include "results/results_latency.h"
#include "results/results_run.h"
#include "cli/run_checks.h"
#include "stats/paired.h"
#include "suite/sweep.h"
#include "util/interrupt.h"
#include "util/list.h"
#include "util/phase_clock.h"
#include "verify/sim_runner.h"
#include "verify/trust.h"

/* Everything one run holds, freed together by run_free. */
struct run {
	const struct qx_suite *suite;
	const struct qx_run_options *opt;
	struct qx_graph graph;
	struct qx_dataset data;
	struct qx_dataset calib;
	struct qx_eval_result fp32;
	const struct qx_kernels *sets[QX_KSET_COUNT];   /* to run, fastest first */
	int n_sets;
	const struct qx_kernels *scalar;
	struct qx_results results;
	int64_t f32_bytes;
	int failures;
	/* Plugins that produced an int8 model, kept for the latency phase. */
	struct qx_plugin_result *done;
	json_t **done_json;            /* their results.json entries (borrowed, results_entry.h) */
	int n_done;
	/* Configurations whose plan is one of done[]'s: measured once (sweep.h). */
	json_t **same_json;            /* their results.json entries (borrowed) */
	int *same_as;                  /* the index in done[] of the plan's first configuration */
	int n_same;
	int label_w;                   /* the table's label column: as wide as the longest label */
	json_t *fp32_json;             /* results.json's "fp32" (borrowed) */
	json_t **measured_json;        /* the latency phase's models' entries (borrowed) */
	struct qx_phase_clock clock;   /* where the time goes: results.json's "timing" */
};

static void run_free(struct run *r)
{
	qx_graph_free(&r->graph);
	qx_dataset_free(&r->data);
	qx_dataset_free(&r->calib);
	qx_eval_result_free(&r->fp32);
	qx_results_free(&r->results);
	for (int i = 0; i < r->n_done; i++)
		qx_plugin_result_free(&r->done[i]);
	free(r->done);
	free(r->done_json);
	free(r->same_json);
	free(r->same_as);
	free(r->measured_json);
}

/* The kernel sets the suite (or --kernels) asks for, fastest first, among those the CPU has
 * (a set named explicitly that it lacks was refused before the run by qx_run_check_kernels). */
static void choose_sets(struct run *r)
{
	const struct qx_suite *s = r->suite;
	const char *list = r->opt->kernels;
	r->scalar = qx_kernels_get(QX_KSET_SCALAR);
	if (list ? strcmp(list, "auto") == 0 : s->kernels_mode == QX_SUITE_KERNELS_AUTO) {
		r->sets[r->n_sets++] = qx_kernels_best();
		return;
	}
	for (int i = 0; i < QX_KSET_COUNT; i++) {
		enum qx_kset set = qx_kset_speed_order[i];
		int wanted = 0;
		if (list) {
			wanted = qx_list_has(list, qx_kset_name(set)) || qx_list_has(list, "all");
		} else {
			wanted = s->kernels_mode == QX_SUITE_KERNELS_ALL;
			for (int j = 0; j < s->n_kernel_sets; j++)
				wanted |= s->kernel_sets[j] == set;
		}
		if (!wanted)
			continue;
		/* An unavailable set here came from "all": one named explicitly was refused before
		 * the run by qx_run_check_kernels. */
		if (qx_kernels_available(set, NULL))
			r->sets[r->n_sets++] = qx_kernels_get(set);
	}
	if (r->n_sets == 0)
		r->sets[r->n_sets++] = r->scalar;
}

/* Threads for evaluation and the bit-identity check: --jobs, or every CPU we may use. */
static int eval_threads(const struct run *r)
{
	return r->opt->jobs > 0 ? r->opt->jobs : qx_evaluate_default_threads();
}

/* The command line's overrides of the suite, so results.json says what actually ran. */
static void record_options(struct run *r)
{
	const struct qx_run_options *o = r->opt;
	const char *sets[QX_KSET_COUNT];
	for (int i = 0; i < r->n_sets; i++)
		sets[i] = r->sets[i]->name;
	struct qx_results_options ro = {
		.limit = o->limit, .plugins = o->only_plugins, .kernels = o->kernels,
		.threads = o->threads, .n_threads = o->n_threads, .batch = o->batches,
		.n_batch = o->n_batches, .no_measure = o->no_measure, .kernel_sets_run = sets,
		.n_kernel_sets_run = r->n_sets, .sensitivity = o->sensitivity,
		.fallback = o->fallback, .fallback_max_drop = o->fallback_max_drop,
		.quick = o->quick, .eval_threads = eval_threads(r),
	};
	qx_results_options(&r->results, &ro);
}

/* Data first: a suite whose data must be fetched (and model trained on it) says so first. */
static int load(struct run *r, struct qx_error *err)
{
	const struct qx_suite *s = r->suite;
	int rc = qx_suite_load_dataset(s, &r->data, err);
	if (!rc)
		rc = qx_suite_load_calibration(s, &r->calib, err);
	if (!rc)
		rc = qx_suite_check_model(s, err);
	if (!rc)
		rc = qx_graph_load_onnx(s->model, &r->graph, err);
	if (!rc)
		rc = qx_graph_fuse_activations(&r->graph, err);
	if (!rc)
		rc = qx_graph_check_io(&r->graph, &r->data, err);
	if (!rc && r->opt->limit > 0 && r->opt->limit < r->data.count)
		r->data.count = r->opt->limit;
	return rc;
}

/* Evaluates fp32 (plan NULL), the plan's int8 model or its simulation with kernel set k on the
 * first limit images (0: all), on the run's evaluation threads (cli/evaluate.h); for a plan,
 * *q8_bytes gets the quantized model's size. */
static int evaluate(struct run *r, const struct qx_quant_plan *plan, const struct qx_kernels *k,
                    const char *what, int64_t limit, struct qx_eval_result *res,
                    int64_t *q8_bytes, struct qx_error *err)
{
	struct qx_evaluate_spec spec = {
		.graph = &r->graph, .plan = plan, .kernels = k, .batch = r->suite->batch,
		.threads = eval_threads(r),
		.data = &r->data, .preprocess = &r->suite->preprocess, .limit = limit, .what = what,
		.quiet = r->opt->quiet,
	};
	return qx_evaluate(&spec, res, q8_bytes, err);
}

/* results.json, then report.html from it: after every plugin and measurement group. */
static int write_results(struct run *r, struct qx_error *err)
{
	qx_phase_enter(&r->clock, QX_PHASE_WRITING);
	qx_results_timing(&r->results, &r->clock);
	int rc = qx_results_write(&r->results, err);
	struct qx_error page_err = { 0 };
	/* The page is a view of the JSON: failing to draw it must not lose what was measured. */
	if (!rc && qx_report_write(r->results.path, NULL, &page_err))
		fprintf(stderr, "qx-bench: %s\n", page_err.msg);
	qx_phase_leave(&r->clock);
	return rc;
}

static int group_done(void *arg, struct qx_error *err)
{
	return write_results(arg, err);
}

/* A measurement of the latency phase's models[model], into that model's entry. */
static int measured(void *arg, int model, const struct qx_measurement *m, struct qx_error *err)
{
	struct run *r = arg;
	return qx_results_add_measurement(r->measured_json[model], m, err);
}

/* Appends word to buf, single-quoted for the shell when it holds anything but safe characters. */
static void shell_word(char *buf, size_t size, const char *word)
{
	size_t len = strlen(buf);
	if (word[0] && strspn(word, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                      "0123456789_-./=:,+@%") == strlen(word)) {
		snprintf(buf + len, size - len, " %s", word);
		return;
	}
	snprintf(buf + len, size - len, " '");
	for (const char *p = word; *p; p++) {
		len = strlen(buf);
		snprintf(buf + len, size - len, *p == '\'' ? "'\\''" : "%c", *p);
	}
	len = strlen(buf);
	snprintf(buf + len, size - len, "'");
}

/* "qx-bench SUITE [--limit N] [-o DIR] [--fallback B] [--sensitivity]": every option of this
 * run that shapes a measurement (images, where results go, which rows exist); measure_run.c
 * appends the configuration's own. */
static void repro_command(const struct run *r, char *buf, size_t size)
{
	snprintf(buf, size, "qx-bench");
	shell_word(buf, size, r->suite->path);
	if (r->opt->limit > 0) {
		char n[32];
		snprintf(n, sizeof n, "%lld", (long long)r->opt->limit);
		shell_word(buf, size, "--limit");
		shell_word(buf, size, n);
	}
	if (r->opt->results_dir) {
		shell_word(buf, size, "-o");
		shell_word(buf, size, r->opt->results_dir);
	}
	/* A fallback row exists only with its budget; its line selects "<label>+fallback", which
	 * runs the plugin and the fallback search again. */
	if (r->opt->fallback) {
		/* The shortest spelling that reads back as the same double: 0.1, not 0.1000...01. */
		char b[64];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(b, sizeof b, "%.*g", prec, r->opt->fallback_max_drop);
			if (strtod(b, NULL) == r->opt->fallback_max_drop)
				break;
		}
		shell_word(buf, size, "--fallback");
		shell_word(buf, size, b);
	}
	if (r->opt->sensitivity)
		shell_word(buf, size, "--sensitivity");
	if (r->opt->quick)
		shell_word(buf, size, "--quick");
}

/* A configuration whose plan is another's gets that one's measurements (copied). */
static int reuse_measurements(struct run *r, struct qx_error *err)
{
	for (int i = 0; i < r->n_same; i++) {
		json_t *e = r->same_json[i];
		int rc = qx_results_copy_measurements(e, r->done_json[r->same_as[i]], err);
		if (rc)
			return rc;
		printf("%-*s same plan as %s: measured once, its rows above\n", r->label_w,
		       json_string_value(json_object_get(e, "label")), r->done[r->same_as[i]].label);
	}
	return r->n_same ? write_results(r, err) : 0;
}

static int measure_models(struct run *r, struct qx_error *err);

/* The latency phase, when the suite and the command line ask for it. */
static int measure(struct run *r, struct qx_error *err)
{
	if (!r->suite->measure.enabled || r->opt->no_measure)
		return 0;
	qx_phase_enter(&r->clock, QX_PHASE_LATENCY);
	int rc = measure_models(r, err);
	qx_phase_leave(&r->clock);
	return rc;
}

/* The measurements: fp32 and every plugin's int8 model on each kernel set. */
static int measure_models(struct run *r, struct qx_error *err)
{
	const struct qx_suite *s = r->suite;
	const struct qx_run_options *o = r->opt;
	int n_models = 1 + r->n_done; /* fp32 first */
	struct qx_measure_model *models = calloc((size_t)n_models, sizeof *models);
	r->measured_json = calloc((size_t)n_models, sizeof *r->measured_json);
	if (!models || !r->measured_json) {
		free(models);
		return qx_fail_nomem(err, "preparing measurements");
	}
	models[0].label = "fp32";
	r->measured_json[0] = r->fp32_json;
	n_models = 1;
	for (int i = 0; i < r->n_done; i++) {
		if (r->done[i].plan.simulated)
			continue; /* no kernel runs it: no latency (its row says "no kernel") */
		models[n_models].label = r->done[i].label;
		models[n_models].plan = &r->done[i].plan;
		r->measured_json[n_models++] = r->done_json[i];
	}
	char gbench[4200], repro[4300], repro_path[4200];
	snprintf(gbench, sizeof gbench, "%s/gbench.json", r->results.dir);
	repro_command(r, repro, sizeof repro);
	snprintf(repro_path, sizeof repro_path, "%s/repro.txt", r->results.dir);
	FILE *repro_file = fopen(repro_path, "w");
	if (!repro_file) {
		free(models);
		return qx_fail(err, QX_EIO, "%s: cannot write: %s", repro_path, strerror(errno));
	}
	fprintf(repro_file, "# One command per measurement of run %s: each measures that "
	        "configuration alone,\n# with the same suite, images and options.\n",
	        json_string_value(json_object_get(r->results.root, "run_id")));
	struct qx_measure_request req = {
		.suite = s, .graph = &r->graph, .data = &r->data, .models = models,
		.n_models = n_models, .sets = r->sets, .n_sets = r->n_sets,
		.threads = o->n_threads ? o->threads : s->measure.threads,
		.n_threads = o->n_threads ? o->n_threads : s->measure.n_threads,
		.batches = o->n_batches ? o->batches : s->measure.batch,
		.n_batches = o->n_batches ? o->n_batches : s->measure.n_batch,
		.gbench_json_path = gbench, .repro_prefix = repro, .repro_file = repro_file,
		.repro_stdout = o->verbose, .quiet = o->quiet,
		.measured = measured, .group_done = group_done, .arg = r, .label_width = r->label_w,
	};
	qx_results_gbench_json(&r->results, gbench);
	int rc = qx_measure_all(&req, &r->failures, err);
	for (int i = 0; !rc && i < r->n_done; i++)
		if (r->done[i].plan.simulated)
			printf("%-*s %-11s no kernel: no int8 kernel runs %s (simulated; no latency)\n",
			       r->label_w, r->done[i].label, "-", r->done[i].plan.simulated_why);
	if (!rc)
		rc = reuse_measurements(r, err);
	if (fclose(repro_file) != 0 && !rc)
		rc = qx_fail(err, QX_EIO, "%s: cannot write: %s", repro_path, strerror(errno));
	free(models);
	if (!rc && !o->verbose)
		printf("repro    one command per measurement in %s (--verbose prints them here)\n",
		       repro_path);
	return rc;
}

static void print_header(int w)
{
	printf("\n%-*s %-11s %8s %-24s %7s %-10s %11s %6s %8s  %s\n", w, "model", "kernels", "top-1",
	       "drop vs fp32 (95% CI)", "agree", "trust", "size", "x fp32", "calib s",
	       "bit-identical to scalar");
}

/* The run's last line before "results written": its time and each phase's, longest first (a
 * phase under 0.05 s is left out; results.json's "timing" has every one). */
static void print_timing(const struct qx_phase_clock *c)
{
	printf("\ntime     %.1f s wall, %.1f s CPU:", qx_phase_clock_wall(c), qx_phase_clock_cpu(c));
	int done[QX_PHASE_COUNT] = { 0 }, printed = 0;
	for (;;) {
		int best = -1;
		for (int p = 0; p < QX_PHASE_COUNT; p++)
			if (!done[p] && c->wall[p] >= 0.05 && (best < 0 || c->wall[p] > c->wall[best]))
				best = p;
		if (best < 0)
			break;
		done[best] = 1;
		printf("%s %s %.1f s", printed++ ? "," : "", qx_phase_words((enum qx_phase)best),
		       c->wall[best]);
	}
	printf("\n");
}

static int run_fp32(struct run *r, struct qx_error *err)
{
	const struct qx_kernels *k = r->sets[0];
	qx_phase_enter(&r->clock, QX_PHASE_FP32);
	int rc = evaluate(r, NULL, k, "fp32 evaluation", 0, &r->fp32, NULL, err);
	qx_phase_leave(&r->clock);
	if (rc)
		return rc;
	r->f32_bytes = qx_graph_f32_bytes(&r->graph);
	print_header(r->label_w);
	printf("%-*s %-11s %7.2f%% %-24s %7s %-10s %11lld %6.3f %8s  %s\n", r->label_w, "fp32",
	       k->name, 100.0 * (double)r->fp32.correct / (double)r->fp32.count, "-", "-", "-",
	       (long long)r->f32_bytes, 1.0, "-", "-");
	printf("%-*s %lld/%lld images correct, evaluated in %.2f s (%.0f images/s)\n", r->label_w,
	       "", (long long)r->fp32.correct, (long long)r->fp32.count, r->fp32.seconds,
	       (double)r->fp32.count / r->fp32.seconds);
	fflush(stdout);

	struct qx_results_fp32 f = {
		.kernels = k->name, .images = r->fp32.count, .correct = r->fp32.correct,
		.model_bytes = r->f32_bytes, .eval_seconds = r->fp32.seconds,
		.predictions = r->fp32.pred, .labels = r->data.labels, .n_labels = r->data.count,
	};
	r->fp32_json = qx_results_fp32(&r->results, &f);
	return write_results(r, err);
}

/* An error row: on stdout, on stderr, and in results.json (written now, so it is kept even when
 * it is the run's last step). Returns what writing the results returned. */
static int plugin_error(struct run *r, const char *label, const char *msg,
                        struct qx_error *fatal)
{
	fprintf(stderr, "qx-bench: %s\n", msg);
	printf("%-*s %-11s error: %s\n", r->label_w, label, "-", msg);
	fflush(stdout);
	qx_results_error_row(&r->results, label, msg);
	r->failures++;
	return write_results(r, fatal);
}

/* The plugin's int8 result against the reference simulation of its plan, on the fastest set
 * (the one accuracy came from): results.json's "trust", and the verdict for the table. A
 * MISTRUSTED result counts as a failure of the run. */
static int check_trust(struct run *r, const struct qx_plugin_result *res, json_t *entry,
                       const char **verdict, struct qx_error *err)
{
	if (r->suite->reference_images == 0) {
		*verdict = "unchecked";
		qx_results_trust(entry, NULL, NULL);
		return 0;
	}
	struct qx_trust t;
	qx_phase_enter(&r->clock, QX_PHASE_TRUST);
	int rc = qx_trust_check(&r->graph, &res->plan, r->sets[0], r->suite->batch, &r->data,
	                        &r->suite->preprocess, r->suite->reference_images, eval_threads(r),
	                        &t, err);
	qx_phase_leave(&r->clock);
	if (rc) {
		qx_results_trust_unfinished(entry);
		return rc;
	}
	*verdict = t.trusted ? "ok" : "MISTRUSTED";
	qx_results_trust(entry, &t, r->sets[0]->name);
	if (!t.trusted) {
		fprintf(stderr, "qx-bench: plugin '%s': MISTRUSTED: its int8 result on %s disagrees with "
		        "the reference simulation of its plan: %s\n", res->label, r->sets[0]->name, t.why);
		r->failures++;
	}
	return 0;
}

/* A simulated plan's kernel-set rows: the bit-identical check does not apply. */
static void simulated_sets(struct run *r, const struct qx_plugin_result *res,
                           const struct qx_paired *cmp, int64_t bytes, json_t *entry)
{
	const char *names[QX_KSET_COUNT];
	for (int i = 0; i < r->n_sets; i++)
		names[i] = r->sets[i]->name;
	qx_results_simulated_sets(entry, names, r->n_sets);
	char drop[64], ident[300];
	snprintf(drop, sizeof drop, "%+.2f [%+.2f, %+.2f]", cmp->drop, cmp->drop_lo, cmp->drop_hi);
	snprintf(ident, sizeof ident, "n/a: no kernel (%s), simulated on fp32 %s",
	         res->plan.simulated_why, r->sets[0]->name);
	printf("%-*s %-11s %7.2f%% %-24s %6.2f%% %-10s %11lld %6.3f %8.2f  %s\n", r->label_w,
	       res->label, "simulated", cmp->acc_b, drop, cmp->agree, "simulated", (long long)bytes,
	       (double)bytes / (double)r->f32_bytes, res->calibrate_s, ident);
	fflush(stdout);
}

/* Checks each kernel set other than scalar against scalar; one row per set. */
static int check_sets(struct run *r, const struct qx_plugin_result *res,
                      const struct qx_paired *cmp, int64_t q8_bytes, json_t *entry,
                      const char *trust, struct qx_error *err)
{
	/* Every set against one scalar pass, on the evaluation threads. */
	const struct qx_kernels *others[QX_KSET_COUNT];
	struct qx_bitexact checked[QX_KSET_COUNT];
	int n_others = 0;
	for (int i = 0; i < r->n_sets; i++)
		if (r->sets[i] != r->scalar)
			others[n_others++] = r->sets[i];
	qx_phase_enter(&r->clock, QX_PHASE_BIT_IDENTITY);
	int rc = qx_bitexact_check_sets(&r->graph, &res->plan, r->scalar, others, n_others,
	                                r->suite->batch, &r->data, &r->suite->preprocess,
	                                r->suite->bitexact_images, eval_threads(r), checked, err);
	qx_phase_leave(&r->clock);
	if (rc) {
		qx_results_kernel_sets(entry, NULL, 0); /* no set was checked */
		return rc;
	}
	struct qx_results_set rows[QX_KSET_COUNT];
	struct qx_bitexact bx[QX_KSET_COUNT];
	for (int i = 0, o = 0; i < r->n_sets; i++) {
		const struct qx_kernels *k = r->sets[i];
		char ident[600];
		rows[i] = (struct qx_results_set){ .name = k->name };
		if (k == r->scalar) {
			snprintf(ident, sizeof ident, "reference");
			rows[i].reference = 1;
		} else {
			bx[i] = checked[o++];
			rows[i].identical = bx[i].identical;
			rows[i].checked_images = bx[i].images;
			if (bx[i].identical) {
				snprintf(ident, sizeof ident, "yes (%lld images)", (long long)bx[i].images);
			} else {
				snprintf(ident, sizeof ident, "NO: %s", bx[i].where);
				rows[i].mismatch = bx[i].where;
				fprintf(stderr, "qx-bench: plugin '%s': kernel set %s is not bit-identical to "
				        "scalar: %s\n", res->label, k->name, bx[i].where);
				r->failures++;
			}
		}
		const char *label = i == 0 ? res->label : "";
		if (i == 0) {
			char drop[64];
			snprintf(drop, sizeof drop, "%+.2f [%+.2f, %+.2f]", cmp->drop, cmp->drop_lo,
			         cmp->drop_hi);
			printf("%-*s %-11s %7.2f%% %-24s %6.2f%% %-10s %11lld %6.3f %8.2f  %s\n",
			       r->label_w, label, k->name, cmp->acc_b, drop, cmp->agree, trust, (long long)q8_bytes,
			       (double)q8_bytes / (double)r->f32_bytes, res->calibrate_s, ident);
		} else {
			printf("%-*s %-11s %8s %-24s %7s %-10s %11s %6s %8s  %s\n", r->label_w, label,
			       k->name, "=", "", "", "", "", "", "", ident);
		}
		fflush(stdout);
	}
	qx_results_kernel_sets(entry, rows, r->n_sets);
	return 0;
}

/* Per-layer error of res's plan on kernel set k, on the trust check's images, into entry's
 * "layers" (nothing when check.reference_images is 0: it turns every check off). */
static int layer_error(struct run *r, const struct qx_plugin_result *res,
                       const struct qx_kernels *k, json_t *entry, struct qx_error *err)
{
	if (r->suite->reference_images <= 0)
		return 0;
	struct qx_layer_report rep;
	qx_phase_enter(&r->clock, QX_PHASE_LAYER_ERROR);
	int rc = qx_layer_error(&r->graph, &res->plan, k, r->suite->batch, &r->data,
	                        &r->suite->preprocess, r->suite->reference_images, eval_threads(r),
	                        &rep, err);
	qx_phase_leave(&r->clock);
	if (rc)
		return rc;
	rc = qx_results_layers(entry, &rep, k->name, err);
	qx_layer_report_free(&rep);
	return rc;
}

/* One int8 plan's row, for a plugin's plan and for a fallback plan alike: plan.json, accuracy
 * on the fastest set with its paired drop against fp32, the trust check, every kernel set
 * against scalar, the results.json entry (*entry, NULL when the plan could not run and became an
 * error row), and the plan kept for the latency phase. Takes *res over (freed or kept). */
static int plan_row(struct run *r, struct qx_plugin_result *res, json_t **entry,
                    struct qx_error *fatal)
{
	*entry = NULL;
	char plan_path[4200];
	snprintf(plan_path, sizeof plan_path, "%s/%s.plan.json", r->results.dir, res->label);
	int rc = qx_plan_write_json(res, &r->graph, plan_path, fatal);
	if (rc) {
		qx_plugin_result_free(res);
		return rc;
	}

	/* Accuracy once, on the fastest set: every set is bit-identical (checked below). */
	const struct qx_kernels *k = r->sets[0];
	struct qx_eval_result acc;
	struct qx_error perr = { 0 };
	char what[300];
	int sim = res->plan.simulated;
	snprintf(what, sizeof what, sim ? "%s simulated evaluation (fp32 on %s)"
	                                : "%s int8 evaluation (%s)", res->label, k->name);
	int64_t q8_bytes = 0;
	qx_phase_enter(&r->clock, QX_PHASE_EVALUATION);
	rc = evaluate(r, &res->plan, k, what, 0, &acc, &q8_bytes, &perr);
	qx_phase_leave(&r->clock);
	if (rc) {
		if (rc == QX_ENOMEM || rc == QX_EINTERNAL || rc == QX_EIO || rc == QX_EINTERRUPTED) {
			*fatal = perr;
			qx_plugin_result_free(res);
			return rc;
		}
		char msg[1200], label[300];
		snprintf(msg, sizeof msg, "plugin '%s': its plan cannot run: %s", res->label, perr.msg);
		snprintf(label, sizeof label, "%s", res->label);
		qx_plugin_result_free(res);
		return plugin_error(r, label, msg, fatal);
	}
	struct qx_paired cmp;
	qx_paired_compare(r->fp32.pred, acc.pred, r->data.labels, acc.count, &cmp);

	struct qx_results_row row = {
		.res = res, .plan_path = plan_path, .accuracy_kernels = k->name, .images = acc.count,
		.correct = acc.correct, .cmp = &cmp, .model_bytes = q8_bytes,
		.eval_seconds = acc.seconds, .predictions = acc.pred,
	};
	json_t *e = qx_results_plan_row(&r->results, &row);
	const char *trust = "-";
	if (sim) {
		/* No kernel: accuracy and size from the simulation, no trust check, no latency. */
		qx_results_simulated(e, res->plan.simulated_why, k->name);
		trust = "simulated";
		/* Per-layer error against the simulation, on the trust check's images
		 * (investigate/layer_error.h). */
		rc = layer_error(r, res, k, e, fatal);
		if (!rc)
			simulated_sets(r, res, &cmp, q8_bytes, e);
	} else {
		rc = check_trust(r, res, e, &trust, fatal);
		/* Per-layer error on the trust check's images (investigate/layer_error.h). */
		if (!rc)
			rc = layer_error(r, res, r->sets[0], e, fatal);
		if (!rc)
			rc = check_sets(r, res, &cmp, q8_bytes, e, trust, fatal);
	}
	qx_eval_result_free(&acc);
	r->done[r->n_done] = *res;
	r->done_json[r->n_done++] = e;
	memset(res, 0, sizeof *res);
	*entry = e;
	if (!rc)
		rc = write_results(r, fatal);
	return rc;
}

/* The investigation's evaluator: the run's fastest kernel set, its batch, progress lines. */
static int investigate_eval(void *arg, const struct qx_quant_plan *plan, int64_t limit,
                            const char *what, struct qx_eval_result *res, struct qx_error *err)
{
	struct run *r = arg;
	int64_t bytes;
	return evaluate(r, plan, r->sets[0], what, limit, res, &bytes, err);
}

static char *dup_text(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The fallback row's result: the plugin's metadata (the plan still came from it) with plan. */
static int fallback_result(const struct qx_plugin_result *from, struct qx_quant_plan *plan,
                           struct qx_plugin_result *out, struct qx_error *err)
{
	*out = *from;
	out->plan = *plan;
	memset(plan, 0, sizeof *plan);
	char label[300];
	snprintf(label, sizeof label, "%s+fallback", from->label);
	out->label = strdup(label);
	out->path = dup_text(from->path);
	out->name = dup_text(from->name);
	out->version = dup_text(from->version);
	out->license = dup_text(from->license);
	out->description = dup_text(from->description);
	out->options_used = NULL;
	out->n_options_used = 0;
	if (from->n_options_used) {
		out->options_used = calloc((size_t)from->n_options_used, sizeof *out->options_used);
		if (!out->options_used)
			return qx_fail_nomem(err, "preparing the fallback row");
		for (int i = 0; i < from->n_options_used; i++) {
			struct qx_option_used *u = &out->options_used[out->n_options_used++];
			u->type = from->options_used[i].type;
			u->key = strdup(from->options_used[i].key);
			u->value = strdup(from->options_used[i].value);
			if (!u->key || !u->value)
				return qx_fail_nomem(err, "preparing the fallback row");
		}
	}
	if (!out->label || (from->path && !out->path) || (from->name && !out->name) ||
	    (from->version && !out->version) || (from->license && !out->license) ||
	    (from->description && !out->description))
		return qx_fail_nomem(err, "preparing the fallback row");
	return 0;
}

/* The fallback's line under its row: what it kept in float and whether the budget was met. */
static void print_fallback(const struct run *r, const struct qx_fallback_choice *c,
                           const uint8_t *node_float, int units, double max_drop)
{
	char names[1024] = "";
	int kept = 0;
	for (int n = 0; n < r->graph.n_nodes; n++) {
		if (!node_float[n])
			continue;
		size_t len = strlen(names);
		if (len < sizeof names - 1)
			snprintf(names + len, sizeof names - len, "%s%s", kept ? ", " : "",
			         r->graph.nodes[n].name);
		kept++;
	}
	if (c->met)
		printf("%-*s fallback: %d node%s in float%s%s: drop %+.2f <= %.2f points on %lld "
		       "images (%d evaluation%s)\n", r->label_w, "", kept, kept == 1 ? "" : "s",
		       kept ? ": " : "", names, c->drop, max_drop, (long long)r->data.count, c->evaluations,
		       c->evaluations == 1 ? "" : "s");
	else
		printf("%-*s fallback: budget not met with all %d nodes in float: drop %+.2f > %.2f "
		       "points on %lld images (%d evaluations)\n", r->label_w, "", units ? kept : 0,
		       c->drop, max_drop, (long long)r->data.count, c->evaluations);
	fflush(stdout);
}

/* --sensitivity / --fallback and the suite entry's sensitivity: / fallback:, after the plugin's
 * row (done[d], its results.json entry e): the sensitivity table, then the fallback row. */
static int investigate_steps(struct run *r, const struct qx_suite_plugin *p, int d, json_t *e,
                             struct qx_error *fatal)
{
	int want_sens = r->opt->sensitivity || p->sensitivity;
	int fallback = r->opt->fallback || p->fallback;
	double max_drop = r->opt->fallback ? r->opt->fallback_max_drop : p->fallback_max_drop;
	double base_drop = json_number_value(json_object_get(json_object_get(e, "drop"), "points"));
	/* A plan that meets the budget as it is needs no sensitivity pass for its fallback. */
	int measure_sens = want_sens || !qx_fallback_met(base_drop, max_drop);
	int64_t images = p->sensitivity_images ? p->sensitivity_images
	                 : p->fallback_images ? p->fallback_images : QX_SENSITIVITY_IMAGES;
	struct qx_investigate env = {
		.g = &r->graph, .labels = r->data.labels, .fp32_pred = r->fp32.pred,
		.n_images = r->data.count, .kernels = r->sets[0]->name, .eval = investigate_eval,
		.arg = r,
	};
	struct qx_error ierr = { 0 };
	struct qx_sensitivity sens;
	memset(&sens, 0, sizeof sens);
	struct qx_quant_plan chosen = { 0 };
	struct qx_plugin_result fb;
	memset(&fb, 0, sizeof fb);
	struct qx_fallback_choice choice = { 0 };
	uint8_t *node_float = calloc((size_t)r->graph.n_nodes + 1, 1);
	int rc = node_float ? 0 : qx_fail_nomem(&ierr, "measuring sensitivity");
	if (!rc && measure_sens)
		rc = qx_sensitivity_measure(&env, &r->done[d].plan, images, p->label, &sens, &ierr);
	if (!rc && measure_sens) {
		qx_results_sensitivity(e, &sens, &r->graph);
		qx_sensitivity_print(&sens, &r->graph, p->label, 10, stdout);
		if (fallback)
			print_header(r->label_w);
	}
	if (!rc && fallback && measure_sens)
		rc = qx_fallback_select(&env, &r->done[d].plan, &sens, base_drop, max_drop, p->label,
		                        &choice, &chosen, node_float, &ierr);
	else if (!rc && fallback) /* met already: the plugin's plan, nothing in float */
		rc = qx_plan_with_float(&r->graph, &r->done[d].plan, node_float, &chosen, &ierr);
	if (!rc && fallback && !measure_sens) {
		choice.met = 1;
		choice.drop = base_drop;
	}
	if (!rc && fallback)
		rc = fallback_result(&r->done[d], &chosen, &fb, &ierr);
	qx_quant_plan_free(&chosen);
	if (rc) {
		free(node_float);
		qx_sensitivity_free(&sens);
		qx_plugin_result_free(&fb);
		if (rc == QX_ENOMEM || rc == QX_EIO || rc == QX_EINTERNAL || rc == QX_EINTERRUPTED) {
			*fatal = ierr;
			return rc;
		}
		/* A plan of this plugin that cannot run: the fallback row it would have made says
		 * so; a sensitivity pass alone has no row of its own, and the plugin's row stands. */
		char msg[1200], label[300];
		snprintf(msg, sizeof msg, "plugin '%s': %s failed: %s", p->label,
		         fallback ? "fallback" : "sensitivity", ierr.msg);
		if (fallback) {
			snprintf(label, sizeof label, "%s+fallback", p->label);
			return plugin_error(r, label, msg, fatal);
		}
		fprintf(stderr, "qx-bench: %s\n", msg);
		r->failures++;
		return 0;
	}
	rc = write_results(r, fatal);
	json_t *fe = NULL;
	int units = sens.n;
	if (!rc && fallback)
		rc = plan_row(r, &fb, &fe, fatal);
	if (!rc && fe) {
		qx_results_fallback(fe, &choice, max_drop, p->label, &r->graph, node_float,
		                    measure_sens ? sens.images : 0);
		print_fallback(r, &choice, node_float, units, max_drop);
		rc = write_results(r, fatal);
	}
	free(node_float);
	qx_sensitivity_free(&sens);
	return rc;
}

/* Sensitivity and fallback for plugin p's row e (done[d]), when asked for. Their evaluations
 * count to the investigation's time; a fallback row's own evaluation and checks to theirs. */
static int investigate(struct run *r, const struct qx_suite_plugin *p, int d, json_t *e,
                       struct qx_error *fatal)
{
	if (!r->opt->sensitivity && !p->sensitivity && !r->opt->fallback && !p->fallback)
		return 0;
	qx_phase_enter(&r->clock, QX_PHASE_INVESTIGATION);
	int rc = investigate_steps(r, p, d, e, fatal);
	qx_phase_leave(&r->clock);
	return rc;
}

/* A plan identical to an earlier configuration's (sweep.h) is not evaluated or measured
 * again: its row copies that one's accuracy, checks and (after the latency phase)
 * measurements, with its own label, plan file, calibration and sweep values, and
 * "same_plan_as". Returns -1 when it did so, 0 for a new plan, or an error code. */
static int same_plan(struct run *r, const struct qx_suite_plugin *p,
                     const struct qx_plugin_result *res, struct qx_error *fatal)
{
	int j = 0;
	while (j < r->n_done && !qx_plan_same(&r->done[j].plan, &res->plan))
		j++;
	if (j == r->n_done)
		return 0;
	char plan_path[4200];
	snprintf(plan_path, sizeof plan_path, "%s/%s.plan.json", r->results.dir, p->label);
	int wrc = qx_plan_write_json(res, &r->graph, plan_path, fatal);
	if (wrc)
		return wrc;
	json_t *e = qx_results_same_plan_row(&r->results, r->done_json[j], r->done[j].label, p, res,
	                                     plan_path);
	if (!e)
		return qx_fail_nomem(fatal, "copying a result");
	r->same_json[r->n_same] = e;
	r->same_as[r->n_same++] = j;
	printf("%-*s same plan as %s: accuracy, checks and latency are its (measured once)\n",
	       r->label_w, p->label, r->done[j].label);
	fflush(stdout);
	int rc = write_results(r, fatal);
	return rc ? rc : -1;
}

static int run_plugin(struct run *r, const struct qx_suite_plugin *p, struct qx_error *fatal)
{
	struct qx_plugin_calib calib = {
		.images = &r->calib,
		.pp = &r->suite->preprocess,
		.first = p->calib_first - r->suite->calibration.span_first,
		.count = p->calib_count,
		.batch = r->suite->calibration.batch,
		.kernels = NULL,
		.log_level = r->opt->verbose ? QX_LOG_DEBUG : QX_LOG_WARN,
	};
	struct qx_plugin_result res;
	struct qx_error perr = { 0 };
	qx_phase_enter(&r->clock, QX_PHASE_CALIBRATION);
	int prc = qx_plugin_run(p, &r->graph, &calib, &res, &perr);
	qx_phase_leave(&r->clock);
	if (prc == QX_EINTERRUPTED || prc == QX_ENOMEM) {
		*fatal = perr;
		qx_plugin_result_free(&res);
		return prc;
	}
	if (prc) {
		qx_plugin_result_free(&res);
		return plugin_error(r, p->label, perr.msg, fatal);
	}
	int rc = same_plan(r, p, &res, fatal);
	if (rc) {
		qx_plugin_result_free(&res);
		return rc < 0 ? 0 : rc;
	}
	json_t *e;
	int d = r->n_done;
	rc = plan_row(r, &res, &e, fatal);
	if (e && p->sweep_base) {
		qx_results_sweep(e, p);
		if (!rc)
			rc = write_results(r, fatal);
	}
	if (!rc && e)
		rc = investigate(r, p, d, e, fatal);
	return rc;
}

/* The tables' label column: the longest label a row can have (a selected plugin's, with
 * "+fallback" when it may get a fallback row), at least 20 wide and at most 64 (a longer label
 * pushes its own row out of line, not every row). */
int qx_run_label_width(const struct qx_suite *s, const struct qx_run_options *opt)
{
	size_t w = 20;
	for (int i = 0; i < s->n_plugins; i++) {
		const struct qx_suite_plugin *p = &s->plugins[i];
		if (!qx_run_plugin_selected(opt, p->label))
			continue;
		size_t len = strlen(p->label) + (p->fallback || opt->fallback ? strlen("+fallback") : 0);
		w = len > w ? len : w;
	}
	return w > 64 ? 64 : (int)w;
}

void qx_run_quick_suite(const struct qx_suite *suite, const struct qx_run_options *opt,
                        struct qx_suite *quick, struct qx_run_options *qopt)
{
	*quick = *suite;
	*qopt = *opt;
	if (!qopt->limit || qopt->limit > QX_QUICK_IMAGES)
		qopt->limit = QX_QUICK_IMAGES;
	struct qx_suite_measure *m = &quick->measure;
	m->threads[0] = 1;
	m->n_threads = 1;
	int smallest = m->batch[0];
	for (int i = 1; i < m->n_batch; i++)
		if (m->batch[i] < smallest)
			smallest = m->batch[i];
	m->batch[0] = smallest;
	m->n_batch = 1;
	m->repetitions = QX_QUICK_REPETITIONS;
	m->max_repetitions = QX_QUICK_REPETITIONS;
	m->ci_target_percent = 0;
	m->min_time_s = fmin(m->min_time_s, QX_QUICK_MIN_TIME_S);
	m->warmup_s = fmin(m->warmup_s, QX_QUICK_MIN_TIME_S);
	if (quick->bitexact_images > QX_QUICK_CHECK_IMAGES)
		quick->bitexact_images = QX_QUICK_CHECK_IMAGES;
	if (quick->reference_images > QX_QUICK_CHECK_IMAGES)
		quick->reference_images = QX_QUICK_CHECK_IMAGES;
}

int qx_run_suite(const struct qx_suite *s, const struct qx_run_options *opt, struct qx_error *err)
{
	struct qx_suite quick;
	struct qx_run_options qopt;
	if (opt->quick) {
		qx_run_quick_suite(s, opt, &quick, &qopt);
		s = &quick;
		opt = &qopt;
	}
	int rc = qx_run_check_plugins(s, opt, err);
	if (!rc)
		rc = qx_run_check_kernels(s, opt, err);
	if (!rc)
		rc = qx_run_check_threads(s, opt, err);
	if (rc)
		return qx_exit_status(rc);
	/* Before the first line on stdout: `| head` may close the pipe at any point. */
	qx_interrupt_install();
	struct run r;
	memset(&r, 0, sizeof r);
	r.suite = s;
	r.opt = opt;
	r.label_w = qx_run_label_width(s, opt);
	qx_phase_clock_start(&r.clock);
	qx_phase_enter(&r.clock, QX_PHASE_LOAD);
	rc = load(&r, err);
	qx_phase_leave(&r.clock);
	if (!rc)
		rc = qx_run_check_plugin_options(s, opt, &r.graph, err);
	if (rc) {
		run_free(&r);
		return qx_exit_status(rc);
	}
	choose_sets(&r);
	rc = qx_results_begin(&r.results, s, opt->results_dir ? opt->results_dir : s->results_dir,
	                      opt->nightly ? "nightly" : "ad-hoc", err);
	if (rc) {
		run_free(&r);
		return qx_exit_status(rc);
	}
	record_options(&r);
	if (opt->quick)
		printf("QUICK RUN: not for tracking (at most %d images, %d rounds, %lld check "
		       "images)\n", QX_QUICK_IMAGES, QX_QUICK_REPETITIONS,
		       (long long)s->reference_images);
	printf("suite    %s (%s)\n", s->name, s->path);
	printf("model    %s: %d nodes, opset %lld\n", s->model, r.graph.n_nodes,
	       (long long)r.graph.opset);
	printf("dataset  %s: %lld images %dx%dx%d, %d classes\n", r.data.source,
	       (long long)r.data.count, r.data.c, r.data.h, r.data.w, r.data.n_classes);
	printf("calib    %s: %lld images from %lld, batches of %d\n", r.calib.source,
	       (long long)r.calib.count, (long long)s->calibration.span_first, s->calibration.batch);
	printf("results  %s\n", r.results.dir);

	/* Each plugin may add a fallback row. */
	r.done = calloc(2 * (size_t)s->n_plugins, sizeof *r.done);
	r.done_json = calloc(2 * (size_t)s->n_plugins, sizeof *r.done_json);
	r.same_json = calloc((size_t)s->n_plugins, sizeof *r.same_json);
	r.same_as = calloc((size_t)s->n_plugins, sizeof *r.same_as);
	if (!r.done || !r.done_json || !r.same_json || !r.same_as) {
		run_free(&r);
		return qx_exit_status(qx_fail_nomem(err, "starting the run"));
	}
	rc = run_fp32(&r, err);
	for (int i = 0; !rc && i < s->n_plugins; i++) {
		if (qx_interrupted())
			rc = qx_fail(err, QX_EINTERRUPTED, "interrupted");
		else if (qx_run_plugin_selected(opt, s->plugins[i].label))
			rc = run_plugin(&r, &s->plugins[i], err);
	}
	if (!rc)
		rc = measure(&r, err);
	if (!rc && qx_interrupted())
		rc = qx_fail(err, QX_EINTERRUPTED, "interrupted");
	if (!rc) {
		qx_conclusion_print(r.results.root, r.sets[0]->name, stdout);
		qx_fallback_print_summary(r.results.root, r.sets[0]->name, stdout);
		qx_phase_clock_update(&r.clock);
		print_timing(&r.clock);
	}
	int status = rc ? qx_exit_status(rc) : r.failures ? QX_EXIT_FAILURES : QX_EXIT_OK;
	/* The last write says how the run ended, so that no reader takes a partial document for a
	 * finished one: the last complete step is already in results.json. */
	int sig = rc == QX_EINTERRUPTED ? qx_interrupted() : 0;
	struct qx_error werr = { 0 };
	qx_results_mark_end(&r.results, status, sig);
	int wrc = write_results(&r, &werr);
	if (rc == QX_EINTERRUPTED) {
		if (wrc == 0)
			snprintf(err->msg, sizeof err->msg, "%s: partial results in %s",
			         sig ? qx_interrupt_reason(sig) : "interrupted", r.results.path);
		else
			*err = werr;
	} else if (!rc && wrc) {
		*err = werr;
		status = QX_EXIT_INTERNAL;
	} else if (!rc) {
		printf("\nresults written to %s\n", r.results.path);
	}
	run_free(&r);
	return status;
}
