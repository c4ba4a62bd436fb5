/* qx-bench compare and history on results.json files written by this test (the shape of
 * harness/results/results.c plus the measurements[] of measure/latency.h): identical runs,
 * a 30% slower measurement, one image's prediction flipped, another CPU, noisy and short
 * measurements, a plugin that fails now, unreadable input, and a history of three runs.
 * qx_compare_main is called directly; --json gives the verdicts to check. */
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "compare/compare.h"
#include "support/tap.h"

#define IMAGES 200

static char tmp[64];

/* What one fixture run looks like; the defaults are a healthy run. */
struct fixture {
	const char *run_id, *started;
	const char *cpu_model;
	int flip_image;            /* >= 0: minmax gets this image wrong (or right, if it was) */
	const char *slow;          /* kernels of minmax's measurement made 30% slower, or NULL */
	double noise;              /* relative spread of the samples (default 0.02) */
	int n_samples;             /* default 20 */
	int n_rounds;              /* repetitions (rounds) with their medians; default 10 */
	int broken_fails;          /* minmax is an error row */
	int mistrusted;            /* minmax's int8 result failed the reference-simulation check */
	int no_fp32;
	const char *plugin_label;  /* default "minmax" */
	double machine;            /* > 0: how slow the whole machine ran: every time that many
	                            * times longer, and every round's reference_ms 0.4 ms times it;
	                            * 0: no reference_ms (an older results.json) */
};

static json_t *samples_json(double base, double spread, int n, double *median)
{
	json_t *a = json_array();
	/* A fixed scatter in [-spread, +spread] around base, the same shape in every run, so a
	 * 30% slower base gives a median exactly 30% higher. */
	for (int i = 0; i < n; i++) {
		double u = (double)((i * 7919) % 21 - 10) / 10.0;
		json_array_append_new(a, json_real(base * (1.0 + spread * u)));
	}
	*median = base;
	return a;
}

/* Rounds whose medians scatter like the samples (the verdict is decided on them), with CPU
 * times equal to the wall times: a machine that did not preempt the measurement. */
static json_t *rounds_json(double base, double spread, int n, double machine)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++) {
		double u = (double)((i * 7919) % 21 - 10) / 10.0, v = base * (1.0 + spread * u);
		json_t *r = json_pack("{s:i, s:f, s:f, s:f}", "iterations", 10, "real_ms", v,
		                      "median", v, "cpu_median", v);
		/* The reference loop scatters by +-2% too, in another order than the times. */
		if (machine > 0)
			json_object_set_new(r, "reference_ms", json_real(0.4 * machine *
			                    (1.0 + 0.02 * (double)((i * 3) % 5 - 2) / 2.0)));
		json_array_append_new(a, r);
	}
	return a;
}

static json_t *measurement(const char *kernels, double base, const struct fixture *f)
{
	double median;
	double spread = f->noise > 0 ? f->noise : 0.02;
	if (f->machine > 0)
		base *= f->machine;
	json_t *s = samples_json(base, spread, f->n_samples ? f->n_samples : 20, &median);
	json_t *r = rounds_json(base, spread, f->n_rounds ? f->n_rounds : 10, f->machine);
	return json_pack("{s:s, s:i, s:i, s:s, s:o, s:f, s:o, s:{s:f, s:b}}", "kernels", kernels,
	                 "threads", 1, "batch", 1, "unit", "ms/batch", "samples", s, "median",
	                 median, "repetitions", r, "noise", "load1_max", 1.5, "preempted", 0);
}

static int label_of(int i)
{
	return i % 10;
}

static json_t *predictions(int wrong_every, int flip)
{
	json_t *a = json_array();
	for (int i = 0; i < IMAGES; i++) {
		int right = i % wrong_every != 0;
		if (i == flip)
			right = !right;
		json_array_append_new(a, json_integer(right ? label_of(i) : (label_of(i) + 1) % 10));
	}
	return a;
}

static int correct_of(json_t *pred)
{
	int c = 0;
	for (int i = 0; i < IMAGES; i++)
		c += json_integer_value(json_array_get(pred, (size_t)i)) == label_of(i);
	return c;
}

/* Writes <tmp>/<name>/results.json; returns its folder. */
static const char *write_run(const char *name, const struct fixture *f)
{
	static char dirs[16][128];
	static int next;
	char *dir = dirs[next++ % 16];
	snprintf(dir, 128, "%s/%s", tmp, name);
	mkdir(dir, 0777);

	json_t *labels = json_array();
	for (int i = 0; i < IMAGES; i++)
		json_array_append_new(labels, json_integer(label_of(i)));
	json_t *topology = json_pack("{s:s, s:i, s:i, s:i, s:i, s:[]}", "cpu_model", f->cpu_model,
	                             "packages", 1, "numa_nodes", 1, "cores", 2, "pus", 2, "caches");
	json_t *machine = json_pack("{s:s, s:[s,s], s:o, s:{s:b}, s:s, s:s, s:i, s:s}",
	                            "cpu_model", f->cpu_model, "isa_flags", "avx2", "fma",
	                            "topology", topology, "pinning", "enabled", 1, "kernel",
	                            "Linux 6.1", "arch", "x86_64", "online_cpus", 2, "hostname",
	                            "ci");
	json_t *root = json_pack("{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:i}, s:o, s:o}",
	                         "schema_version", 1, "tool", "qx-bench 0.1.0", "started",
	                         f->started, "run_id", f->run_id, "suite", "name", "test-suite",
	                         "model", "models/m.onnx", "batch", 1, "machine", machine,
	                         "labels", labels);
	if (!f->no_fp32) {
		json_t *pred = predictions(17, -1);
		int c = correct_of(pred);
		json_object_set_new(root, "fp32", json_pack("{s:s, s:i, s:i, s:f, s:o, s:[o]}",
		                    "kernels", "avx2", "images", IMAGES, "correct", c, "accuracy",
		                    100.0 * c / IMAGES, "predictions", pred, "measurements",
		                    measurement("avx2", 2.0, f)));
	}
	json_t *plugins = json_array();
	const char *label = f->plugin_label ? f->plugin_label : "minmax";
	if (f->broken_fails) {
		json_array_append_new(plugins, json_pack("{s:s, s:s}", "label", label, "error",
		                                         "plugin crashed (signal 11)"));
	} else {
		json_t *pred = predictions(13, f->flip_image);
		int c = correct_of(pred);
		int slow_avx2 = f->slow && !strcmp(f->slow, "avx2");
		int slow_vnni = f->slow && !strcmp(f->slow, "vnni");
		json_array_append_new(plugins, json_pack("{s:s, s:i, s:i, s:f, s:o, s:[o,o]}",
		                      "label", label, "images", IMAGES, "correct", c, "accuracy",
		                      100.0 * c / IMAGES, "predictions", pred, "measurements",
		                      measurement("avx2", slow_avx2 ? 1.3 : 1.0, f),
		                      measurement("vnni", slow_vnni ? 0.65 : 0.5, f)));
		json_object_set_new(json_array_get(plugins, 0), "trust",
		                    f->mistrusted ? json_pack("{s:s, s:i, s:s}", "verdict", "MISTRUSTED",
		                                              "images", 64, "reason", "fixture: off by one")
		                                  : json_pack("{s:s, s:i}", "verdict", "trusted",
		                                              "images", 64));
	}
	json_object_set_new(root, "plugins", plugins);
	char path[192];
	snprintf(path, sizeof path, "%s/results.json", dir);
	json_dump_file(root, path, JSON_INDENT(1));
	json_decref(root);
	return dir;
}

static struct fixture healthy(const char *run_id, const char *started)
{
	return (struct fixture){ .run_id = run_id, .started = started, .cpu_model = "AMD EPYC 9004",
	                         .flip_image = -1 };
}

/* Runs a main with stdout captured into out (NUL-terminated, cut at size). */
static int capture(int (*main_fn)(int, char **), int argc, char **argv, char *out, size_t size)
{
	char path[128];
	snprintf(path, sizeof path, "%s/stdout.txt", tmp);
	fflush(stdout);
	int saved = dup(1);
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	dup2(fd, 1);
	close(fd);
	int rc = main_fn(argc, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(out, 1, size - 1, f) : 0;
	out[n] = '\0';
	if (f)
		fclose(f);
	return rc;
}

static char text[65536];

/* qx-bench compare [extra] OLD NEW --json <tmp>/report.json; returns the exit status and
 * loads the report into *report (NULL when none). */
static int compare(const char *old, const char *new, const char *extra, json_t **report)
{
	char json_path[128];
	snprintf(json_path, sizeof json_path, "%s/report.json", tmp);
	unlink(json_path);
	char *argv[8];
	int argc = 0;
	argv[argc++] = "compare";
	if (extra)
		argv[argc++] = (char *)extra;
	argv[argc++] = "--json";
	argv[argc++] = json_path;
	argv[argc++] = (char *)old;
	argv[argc++] = (char *)new;
	argv[argc] = NULL;
	int rc = capture(qx_compare_main, argc, argv, text, sizeof text);
	*report = json_load_file(json_path, 0, NULL);
	return rc;
}

/* The latency row named name in the report, or NULL. */
static json_t *latency_row(json_t *report, const char *name)
{
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(report, "latency"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "measurement")), name))
			return row;
	return NULL;
}

static json_t *accuracy_row(json_t *report, const char *system)
{
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(report, "accuracy"), i, row)
		if (!strcmp(json_string_value(json_object_get(row, "system")), system))
			return row;
	return NULL;
}

static const char *verdict(json_t *row)
{
	const char *v = json_string_value(json_object_get(row, "verdict"));
	return v ? v : "(none)";
}

static int all_latency(json_t *report, const char *want)
{
	size_t i;
	json_t *row;
	int all = json_array_size(json_object_get(report, "latency")) > 0;
	json_array_foreach(json_object_get(report, "latency"), i, row)
		all &= !strcmp(verdict(row), want);
	return all;
}

int main(void)
{
	tap_plan(0);
	snprintf(tmp, sizeof tmp, "/tmp/qx-test-compare-XXXXXX");
	if (!mkdtemp(tmp))
		return tap_skip_all("cannot create a temporary folder");
	json_t *r;

	struct fixture base = healthy("20261120T020000Z", "2026-11-20T02:00:00Z");
	const char *old = write_run("20261120T020000Z", &base);
	struct fixture same = healthy("20261121T020000Z", "2026-11-21T02:00:00Z");
	const char *twin = write_run("20261121T020000Z", &same);

	/* Identical samples and predictions. */
	int rc = compare(old, twin, NULL, &r);
	ok(rc == QX_EXIT_OK, "identical runs: exit 0 (got %d)", rc);
	ok(r && json_array_size(json_object_get(r, "latency")) == 3 && all_latency(r, "unchanged"),
	   "all three measurements unchanged");
	ok(!strcmp(verdict(accuracy_row(r, "fp32")), "unchanged") &&
	   !strcmp(verdict(accuracy_row(r, "minmax")), "unchanged"), "accuracy unchanged");
	ok(json_is_true(json_object_get(json_object_get(r, "machine"), "same")), "same machine");
	ok(strstr(text, "result: no regression") != NULL, "text says no regression");
	json_decref(r);

	/* One measurement 30% slower. */
	struct fixture slow = healthy("20261122T020000Z", "2026-11-22T02:00:00Z");
	slow.slow = "vnni";
	const char *slower = write_run("20261122T020000Z", &slow);
	rc = compare(old, slower, NULL, &r);
	ok(rc == QX_EXIT_REGRESSION, "30%% slower: exit 1 (got %d)", rc);
	json_t *row = latency_row(r, "minmax/vnni/threads:1/batch:1");
	ok(row && !strcmp(verdict(row), "REGRESSED"), "minmax/vnni regressed (%s)", verdict(row));
	ok(row && json_real_value(json_object_get(row, "change_percent")) > 29.9 &&
	   json_real_value(json_object_get(row, "change_percent")) < 30.1 &&
	   json_real_value(json_object_get(row, "p_value")) < 1e-3 &&
	   !strcmp(json_string_value(json_object_get(row, "clock")), "cpu"),
	   "change +30%% (one thread: on CPU time), U test over rounds p %.3g",
	   json_real_value(json_object_get(row, "p_value")));
	ok(!strcmp(verdict(latency_row(r, "minmax/avx2/threads:1/batch:1")), "unchanged") &&
	   !strcmp(verdict(latency_row(r, "fp32/avx2/threads:1/batch:1")), "unchanged"),
	   "the other measurements unchanged");
	ok(strstr(text, "REGRESSED") && strstr(text, "result: REGRESSION"), "text names it");
	json_decref(r);

	/* The whole machine 50% slower in NEW, its reference loop with it (measure/verdict.h):
	 * nothing is REGRESSED, every row says why; a real 30% slowdown on that machine still is
	 * (1.95 / 1.5); without reference times in OLD, today's verdict. */
	struct fixture ref_old = healthy("20261123T020000Z", "2026-11-23T02:00:00Z");
	ref_old.machine = 1.0;
	const char *steady = write_run("20261123T020000Z", &ref_old);
	struct fixture busy = healthy("20261124T020000Z", "2026-11-24T02:00:00Z");
	busy.machine = 1.5;
	const char *busy_run = write_run("20261124T020000Z", &busy);
	rc = compare(steady, busy_run, NULL, &r);
	json_t *speed = json_object_get(r, "machine_speed");
	ok(rc != QX_EXIT_REGRESSION && all_latency(r, "inconclusive") &&
	   json_integer_value(json_object_get(json_object_get(r, "inconclusive"),
	                                      "machine_drift")) == 3,
	   "machine 50%% slower, reference loop too: no REGRESSED, 3 rows inconclusive for the "
	   "machine's drift (exit %d)", rc);
	ok(json_is_true(json_object_get(speed, "known")) &&
	   fabs(json_real_value(json_object_get(speed, "new_vs_old_percent")) - 50) < 2 &&
	   json_is_true(json_object_get(speed, "drifted")) &&
	   strstr(text, "machine speed: NEW's reference loop +5") &&
	   strstr(text, "the machine itself ran 50% slower in NEW"),
	   "machine speed in the header and the JSON (%+.1f%%)",
	   json_real_value(json_object_get(speed, "new_vs_old_percent")));
	row = latency_row(r, "minmax/vnni/threads:1/batch:1");
	ok(row && fabs(json_real_value(json_object_get(row, "machine_drift_percent")) - 50) < 3 &&
	   fabs(json_real_value(json_object_get(row, "corrected_change_percent"))) < 3,
	   "row JSON: machine drift +50%%, corrected change about 0");
	json_decref(r);
	busy.slow = "vnni";
	busy.run_id = "20261125T020000Z";
	busy.started = "2026-11-25T02:00:00Z";
	rc = compare(steady, write_run("20261125T020000Z", &busy), NULL, &r);
	row = latency_row(r, "minmax/vnni/threads:1/batch:1");
	ok(rc == QX_EXIT_REGRESSION && row && !strcmp(verdict(row), "REGRESSED") &&
	   fabs(json_real_value(json_object_get(row, "corrected_change_percent")) - 30) < 3,
	   "30%% slower on a machine 50%% slower: REGRESSED, divided out +%.1f%% (exit %d)",
	   json_real_value(json_object_get(row, "corrected_change_percent")), rc);
	json_decref(r);
	rc = compare(old, busy_run, NULL, &r);
	ok(rc == QX_EXIT_REGRESSION && all_latency(r, "REGRESSED") &&
	   json_is_false(json_object_get(json_object_get(r, "machine_speed"), "known")) &&
	   strstr(text, "no reference-loop times in OLD"),
	   "OLD without reference times: today's verdict, and the header says so (exit %d)", rc);
	json_decref(r);

	/* The same change, the other way round, is an improvement; a higher threshold hides it. */
	rc = compare(slower, old, NULL, &r);
	ok(rc == QX_EXIT_OK && !strcmp(verdict(latency_row(r, "minmax/vnni/threads:1/batch:1")),
	   "improved"), "30%% faster: improved, exit 0");
	json_decref(r);
	rc = compare(old, slower, "--threshold=40", &r);
	ok(rc == QX_EXIT_OK && all_latency(r, "unchanged"), "--threshold 40: within the "
	   "threshold, unchanged (exit %d)", rc);
	json_decref(r);

	/* One image's prediction flipped: image 42 (right before, 42 % 13 != 0) is now wrong. */
	struct fixture flip = healthy("20261123T020000Z", "2026-11-23T02:00:00Z");
	flip.flip_image = 42;
	const char *flipped = write_run("20261123T020000Z", &flip);
	rc = compare(old, flipped, NULL, &r);
	ok(rc == QX_EXIT_REGRESSION, "one image now wrong: exit 1 (got %d)", rc);
	row = accuracy_row(r, "minmax");
	json_t *wrong = json_object_get(row, "now_wrong");
	ok(!strcmp(verdict(row), "DROPPED") && json_array_size(wrong) == 1 &&
	   json_integer_value(json_array_get(wrong, 0)) == 42, "minmax dropped, image 42 named");
	ok(json_integer_value(json_object_get(row, "change")) == -1 &&
	   json_real_value(json_object_get(row, "mcnemar_p")) == 1.0,
	   "change -1, McNemar p 1 (one discordant image)");
	ok(strstr(text, "now wrong (1): 42") != NULL, "text lists image 42");
	ok(all_latency(r, "unchanged"), "latency unchanged");
	json_decref(r);
	rc = compare(flipped, old, NULL, &r);
	row = accuracy_row(r, "minmax");
	ok(rc == QX_EXIT_OK && !strcmp(verdict(row), "improved") &&
	   json_integer_value(json_array_get(json_object_get(row, "now_right"), 0)) == 42,
	   "the other way round: improved, image 42 now right, exit 0");
	json_decref(r);

	/* Another CPU: latency is not compared. */
	struct fixture other = healthy("20261124T020000Z", "2026-11-24T02:00:00Z");
	other.cpu_model = "Intel Xeon 8480";
	const char *elsewhere = write_run("20261124T020000Z", &other);
	rc = compare(old, elsewhere, NULL, &r);
	ok(rc == QX_EXIT_INCOMPARABLE, "different cpu_model: exit 3 (got %d)", rc);
	ok(json_array_size(json_object_get(r, "latency")) == 0 &&
	   json_is_false(json_object_get(json_object_get(r, "machine"), "same")) &&
	   strstr(text, "cpu_model: \"AMD EPYC 9004\" -> \"Intel Xeon 8480\""),
	   "no latency rows; the difference is named");
	json_decref(r);
	rc = compare(old, elsewhere, "--force", &r);
	ok(rc == QX_EXIT_OK && all_latency(r, "unchanged"), "--force compares anyway: exit 0");
	json_decref(r);

	/* Noisy or short measurements are inconclusive, even 30% slower, and say why. */
	struct fixture noisy = healthy("20261125T020000Z", "2026-11-25T02:00:00Z");
	noisy.noise = 0.6;
	noisy.slow = "vnni";
	const char *noisy_dir = write_run("20261125T020000Z", &noisy);
	rc = compare(old, noisy_dir, NULL, &r);
	row = latency_row(r, "minmax/vnni/threads:1/batch:1");
	ok(!strcmp(verdict(row), "inconclusive") &&
	   strstr(json_string_value(json_object_get(row, "why")), "not shown"),
	   "rounds scattered by +-60%%: +30%% is inconclusive, not shown: %s",
	   json_string_value(json_object_get(row, "why")));
	row = latency_row(r, "fp32/avx2/threads:1/batch:1");
	ok(!strcmp(verdict(row), "inconclusive") &&
	   strstr(json_string_value(json_object_get(row, "why")), "95% interval"),
	   "an unshifted run with a wide interval is inconclusive, not unchanged: %s",
	   json_string_value(json_object_get(row, "why")));
	ok(rc == QX_EXIT_INCOMPARABLE &&
	   json_integer_value(json_object_get(json_object_get(r, "inconclusive"), "total")) == 3 &&
	   strstr(text, "result: no regression shown: most latency rows are inconclusive") &&
	   strstr(text, "3 of 3 latency rows inconclusive"),
	   "all rows inconclusive: exit 3 (got %d), the result line says so and counts them", rc);
	json_decref(r);
	struct fixture few = healthy("20261126T020000Z", "2026-11-26T02:00:00Z");
	few.n_samples = 3;
	few.n_rounds = 2;
	few.slow = "vnni";
	const char *few_dir = write_run("20261126T020000Z", &few);
	rc = compare(old, few_dir, NULL, &r);
	row = latency_row(r, "minmax/vnni/threads:1/batch:1");
	ok(rc == QX_EXIT_INCOMPARABLE && !strcmp(verdict(row), "inconclusive") &&
	   strstr(json_string_value(json_object_get(row, "why")), "too few rounds"),
	   "2 rounds: inconclusive, exit 3 (got %d)", rc);
	json_decref(r);

	/* A plugin that fails now is a regression; nothing in common is exit 3. */
	struct fixture broken = healthy("20261127T020000Z", "2026-11-27T02:00:00Z");
	broken.broken_fails = 1;
	const char *broken_dir = write_run("20261127T020000Z", &broken);
	rc = compare(old, broken_dir, NULL, &r);
	ok(rc == QX_EXIT_REGRESSION && !strcmp(verdict(accuracy_row(r, "minmax")), "FAILS NOW"),
	   "plugin failing now: exit 1");
	json_decref(r);
	/* A MISTRUSTED figure in NEW is a regression and is not compared; in OLD it is no
	 * baseline. */
	struct fixture untrusted = healthy("20261127T030000Z", "2026-11-27T03:00:00Z");
	untrusted.mistrusted = 1;
	const char *untrusted_dir = write_run("20261127T030000Z", &untrusted);
	rc = compare(old, untrusted_dir, NULL, &r);
	ok(rc == QX_EXIT_REGRESSION &&
	   !strcmp(verdict(accuracy_row(r, "minmax")), "MISTRUSTED in NEW") &&
	   strstr(text, "fixture: off by one"), "MISTRUSTED in NEW: exit 1, the reason printed");
	json_decref(r);
	rc = compare(untrusted_dir, old, NULL, &r);
	ok(rc == QX_EXIT_OK && !strcmp(verdict(accuracy_row(r, "minmax")), "OLD was MISTRUSTED"),
	   "MISTRUSTED in OLD: no baseline, exit 0 (got %d)", rc);
	json_decref(r);
	struct fixture a_only = healthy("x1", "2026-11-28T02:00:00Z");
	a_only.no_fp32 = 1;
	struct fixture b_only = a_only;
	b_only.plugin_label = "percentile";
	const char *a_dir = write_run("only-a", &a_only);
	const char *b_dir = write_run("only-b", &b_only);
	rc = compare(a_dir, b_dir, NULL, &r);
	ok(rc == QX_EXIT_REGRESSION, "minmax gone from NEW: exit 1 (got %d)", rc);
	json_decref(r);

	/* Unreadable input and bad command lines: exit 2. */
	char bad[160];
	snprintf(bad, sizeof bad, "%s/bad.json", tmp);
	FILE *f = fopen(bad, "w");
	fputs("{\"schema_version\": 1,\n  \"plugins\": [}\n", f);
	fclose(f);
	rc = compare(old, bad, NULL, &r);
	ok(rc == QX_EXIT_USAGE && r == NULL, "broken JSON: exit 2");
	char missing[160];
	snprintf(missing, sizeof missing, "%s/nothing-here", tmp);
	rc = compare(old, missing, NULL, &r);
	ok(rc == QX_EXIT_USAGE, "missing NEW: exit 2");
	char *only_one[] = { "compare", (char *)old, NULL };
	ok(capture(qx_compare_main, 2, only_one, text, sizeof text) == QX_EXIT_USAGE,
	   "one path: exit 2");
	char *bad_opt[] = { "compare", "--threshold", "lots", (char *)old, (char *)twin, NULL };
	ok(capture(qx_compare_main, 5, bad_opt, text, sizeof text) == QX_EXIT_USAGE,
	   "--threshold lots: exit 2");
	char *help[] = { "compare", "--help", NULL };
	ok(capture(qx_compare_main, 2, help, text, sizeof text) == QX_EXIT_OK &&
	   strstr(text, "exit status"), "--help: exit 0, documents the exit status");

	/* A results.json file (not its folder) works too, and so does one without samples or
	 * predictions, compared by what it has. */
	char file[192];
	snprintf(file, sizeof file, "%s/results.json", twin);
	rc = compare(old, file, NULL, &r);
	ok(rc == QX_EXIT_OK, "a results.json path works like its folder");
	json_decref(r);

	/* History: every run folder under tmp, in time order. */
	char *hist[] = { "history", tmp, NULL };
	rc = capture(qx_history_main, 2, hist, text, sizeof text);
	const char *p1 = strstr(text, "20261120T020000Z"), *p2 = strstr(text, "20261122T020000Z");
	const char *p3 = strstr(text, "20261124T020000Z");
	ok(rc == QX_EXIT_OK && p1 && p2 && p3 && p1 < p2 && p2 < p3,
	   "history: exit 0, runs in time order");
	ok(strstr(text, "minmax/vnni/threads:1/batch:1") && strstr(text, "0.4995") &&
	   strstr(text, "error") && strstr(text, "B  Intel Xeon 8480, x86_64, 2 online CPUs "
	   "(differs from A in: cpu_model, topology)"), "history shows medians, the error row and "
	   "which machine differs how");
	/* The text shows the most recent runs that fit in 100 columns; CSV has every run. The slow
	 * run's median: 0.65 ms times the scatter's median factor 1 - 0.02 * 0.05. */
	char *csv[] = { "history", "--format", "csv", "--plugin", "minmax", "--kernels", "vnni", tmp,
	                NULL };
	rc = capture(qx_history_main, 8, csv, text, sizeof text);
	ok(rc == QX_EXIT_OK && strstr(text, ",minmax,latency_median,vnni,1,1,,,0.64935,") &&
	   !strstr(text, ",fp32,") && !strstr(text, ",avx2,"),
	   "history --format csv --plugin --kernels: every run's median (0.64935 for the slow run), "
	   "only what the filters name");
	char *last[] = { "history", "--last", "2", tmp, NULL };
	rc = capture(qx_history_main, 4, last, text, sizeof text);
	ok(rc == QX_EXIT_OK && strstr(text, "2 runs") && !strstr(text, "20261120T020000Z"),
	   "--last 2: only the two most recent");
	char empty[128];
	snprintf(empty, sizeof empty, "%s/empty", tmp);
	mkdir(empty, 0777);
	char *none[] = { "history", empty, NULL };
	ok(capture(qx_history_main, 2, none, text, sizeof text) == QX_EXIT_INCOMPARABLE,
	   "history of a folder without runs: exit 3");

	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		diag("could not remove %s", tmp);
	return tap_done();
}
