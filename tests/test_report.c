/* report.html from a results.json with known values: the numbers, error rows and chart marks
 * the page must show, escaping of every document string, the "not measured" charts of a
 * --no-measure run, refusals of unreadable files, and the atomic write.
 *
 *   test_report                      the TAP test
 *   test_report --write-fixture DIR  writes DIR/measured/{results.json,report.html},
 *                                    DIR/unmeasured/{...} and DIR/expected.txt (the chart mark
 *                                    counts the fixture must give) for tests/report_page.sh
 *   test_report --count-color PNG RRGGBB
 *                                    prints how many pixels of a screenshot have exactly that
 *                                    colour (tests/report_page.sh: the charts were painted) */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zlib.h>

#include "report/report.h"
#include "report/report_data.h"
#include "report/svg.h"
#include "compare/run_view.h"
#include "results/results.h"
#include "support/tap.h"

/* What the measured fixture must draw, counted by hand from build_fixture below:
 * pareto: batch 1, 1 thread: fp32 {avx2 2.0 ms, scalar 6.0}, dynamic {scalar 3.0, avx2 0.8},
 *   static-per-channel {scalar 2.5 (with its samples), avx2 0.6}: 6 points; front, by
 *   latency: spc/avx2 (91.10%), fp32/avx2 (91.23%): 2.
 * size: fp32, dynamic, static-per-channel, histogram (the error row has none): 4 bars.
 * speedup: dynamic 4 measurements with stored intervals, static-per-channel 4 (one stored with
 *   an interval, three computed from fp32's medians): 8 bars, 5 whiskers.
 * The unmeasured fixture: 0 points, 4 size bars, 0 speedup bars. */
#define PARETO_POINTS 6
#define PARETO_FRONT 2
#define SIZE_BARS 4
#define SPEEDUP_BARS 8
#define SPEEDUP_WHISKERS 5

static json_t *meas(const char *kernels, int threads, int batch, const char *unit, double median)
{
	return json_pack("{s:s, s:i, s:i, s:s, s:f}", "kernels", kernels, "threads", threads,
	                 "batch", batch, "unit", unit, "median", median);
}

/* What measure/noise_summary.c records for a measurement on a busy machine. */
static json_t *noisy(json_t *m)
{
	json_object_set_new(m, "p99", json_real(1.9));
	json_object_set_new(m, "cv", json_real(0.35));
	json_object_set_new(m, "noise", json_pack("{s:[f, f], s:b, s:f, s:[s]}", "median_ci95", 0.79,
	                                          0.81, "preempted", 1, "load1_max", 6.5,
	                                          "warnings", "preempted: wall time is 2.10 x CPU "
	                                          "time"));
	return m;
}

static json_t *with_speedup(json_t *m, double ratio, double lo, double hi)
{
	json_object_set_new(m, "speedup_vs_fp32", lo > 0 ? json_pack("{s:f, s:f, s:f}", "ratio", ratio,
	                                                             "ci95_low", lo, "ci95_high", hi)
	                                                 : json_pack("{s:f}", "ratio", ratio));
	return m;
}

static json_t *kset(const char *name, int identical, int checked, const char *mismatch)
{
	json_t *k = json_pack("{s:s, s:b}", "name", name, "bit_identical", identical);
	if (checked > 0)
		json_object_set_new(k, "checked_images", json_integer(checked));
	if (mismatch)
		json_object_set_new(k, "mismatch", json_string(mismatch));
	return k;
}

static json_t *plugin(const char *label, double acc, double drop, double lo, double hi,
                      double agree, int bytes)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}, s:s, s:s, s:i, s:i, s:f,"
	                 " s:{s:f, s:f, s:f}, s:f, s:i, s:{s:f, s:i, s:i}, s:f, s:[i,i,i]}",
	                 "label", label, "plugin", "path", "/p.so", "name", label, "version", "1.2.3",
	                 "license", "MIT", "description", "a plugin \"quoted\" & <tagged>", "plan",
	                 "/x.plan.json", "accuracy_kernels", "avx2", "images", 10000, "correct",
	                 (int)(acc * 100 + 0.5), "accuracy", acc, "drop", "points", drop, "ci95_low",
	                 lo, "ci95_high", hi, "agreement", agree, "model_bytes", bytes,
	                 "calibration", "seconds", 0.1, "images", 256, "batches", 8, "eval_seconds",
	                 1.5, "predictions", 1, 2, 3);
}

static json_t *build_fixture(int measured)
{
	json_t *root = json_pack(
		"{s:i, s:s, s:s, s:s, s:{s:s, s:s, s:s, s:i},"
		" s:{s:s, s:s, s:s, s:i, s:s, s:[{s:s, s:b}, {s:s, s:b}, {s:s, s:b, s:s}]}}",
		"schema_version", QX_RESULTS_SCHEMA_VERSION, "tool", "qx-bench 0.1.0", "started",
		"2026-11-23T06:24:15Z", "run_id", "20261123T062415Z", "suite", "name",
		"fashion-mnist", "path", "suites/fashion-mnist.yaml", "model",
		"models/fashion_cnn.onnx", "batch", 64, "machine", "kernel", "Linux 6.1.0", "arch",
		"x86_64", "hostname", "benchbox", "online_cpus", 2, "cpu_model",
		"Test CPU @ 3.00GHz", "kernel_sets", "name", "scalar", "available", 1, "name", "avx2",
		"available", 1, "name", "neon", "available", 0, "why_not", "not an AArch64 CPU");

	json_t *fp32 = json_pack("{s:s, s:i, s:i, s:f, s:i, s:f, s:[i,i,i]}", "kernels", "avx2",
	                         "images", 10000, "correct", 9123, "accuracy", 91.23, "model_bytes",
	                         1000000, "eval_seconds", 4.0, "predictions", 1, 2, 3);
	json_t *plugins = json_array();
	json_t *dyn = plugin("dynamic", 90.87, 0.36, 0.20, 0.52, 98.5, 260000);
	json_object_set_new(dyn, "kernel_sets", json_pack("[o, o]", kset("scalar", 1, 0, NULL),
	                                                  kset("avx2", 1, 512, NULL)));
	json_t *spc = plugin("static-per-channel", 91.10, 0.13, -0.01, 0.27, 99.1, 255000);
	json_object_set_new(spc, "kernel_sets", json_pack("[o, o]", kset("scalar", 1, 0, NULL),
	                                                  kset("avx2", 1, 512, NULL)));
	json_t *hist = plugin("histogram", 88.0, 3.23, 2.9, 3.56, 93.0, 255000);
	json_object_set_new(hist, "kernel_sets", json_pack("[o, o]", kset("scalar", 1, 0, NULL),
	                                                   kset("avx2", 0, 512,
	                                                        "node conv1 logit 3: 12 vs 13")));
	if (measured) {
		json_object_set_new(fp32, "measurements", json_pack(
			"[o, o, o, o]", meas("avx2", 1, 1, "ms/batch", 2.0),
			meas("avx2", 2, 1, "ms/batch", 1.2), meas("avx2", 1, 64, "ms/batch", 80.0),
			meas("scalar", 1, 1, "ms/batch", 6.0)));
		json_t *d64 = with_speedup(meas("avx2", 1, 64, "ms/batch", 20.0), 4.0, 3.8, 4.2);
		json_object_set_new(d64, "images_per_s", json_real(3210.0));
		json_object_set_new(dyn, "measurements", json_pack(
			"[o, o, o, o]",
			with_speedup(meas("scalar", 1, 1, "ms/batch", 3.0), 2.0, 1.9, 2.1),
			noisy(with_speedup(meas("avx2", 1, 1, "ms/batch", 0.8), 2.5, 2.4, 2.6)),
			with_speedup(meas("avx2", 2, 1, "ms/batch", 0.5), 2.4, 2.2, 2.6), d64));
		/* Samples beside the median, and speedups to compute from fp32's medians. */
		json_t *with_samples = json_pack("{s:s, s:i, s:i, s:s, s:f, s:[f, f, f]}", "kernels",
		                                 "scalar", "threads", 1, "batch", 1, "unit",
		                                 "ms/batch", "median", 2.5, "samples", 2.4, 2.6, 2.5);
		json_object_set_new(spc, "measurements", json_pack(
			"[o, o, o, o]", with_samples,
			with_speedup(meas("avx2", 1, 1, "ms/batch", 0.6), 3.3, 3.1, 3.5),
			meas("avx2", 2, 1, "ms/batch", 0.45),
			meas("avx2", 1, 64, "ms/batch", 15.0)));
		/* A configuration that could not run: left out, with a note. (A unit other than
		 * ms/batch is refused with the whole file: check_odd_document.) */
		json_object_set_new(hist, "measurements", json_pack(
			"[{s:s, s:i, s:i, s:s}]", "kernels",
			"avx2", "threads", 8, "batch", 1, "error", "8 threads but 2 cores"));
	}
	json_array_append_new(plugins, dyn);
	json_array_append_new(plugins, spc);
	json_array_append_new(plugins, json_pack("{s:s, s:s}", "label",
	                                         "broken<script>alert(1)</script>", "error",
	                                         "plugin 'broken': crashed (signal 11) & <b>lost</b>"));
	json_array_append_new(plugins, hist);
	json_object_set_new(root, "fp32", fp32);
	json_object_set_new(root, "labels", json_pack("[i,i,i]", 1, 2, 4));
	json_object_set_new(root, "plugins", plugins);
	return root;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *end, const char *needle)
{
	int n = 0;
	size_t len = strlen(needle);
	for (const char *p = hay; (p = strstr(p, needle)) && (!end || p < end); p += len)
		n++;
	return n;
}

/* The text of the <svg id="id" ...> element, "" when absent: malloc'd. */
static char *svg_of(const char *html, const char *id)
{
	char key[64];
	snprintf(key, sizeof key, "<svg id=\"%s\"", id);
	const char *start = strstr(html, key);
	const char *end = start ? strstr(start, "</svg>") : NULL;
	size_t n = end ? (size_t)(end - start) : 0;
	char *out = malloc(n + 1);
	if (out) {
		memcpy(out, start ? start : "", n);
		out[n] = '\0';
	}
	return out;
}

static int has(const char *html, const char *needle)
{
	return strstr(html, needle) != NULL;
}

static int write_json(json_t *root, const char *dir, char *path, size_t size)
{
	if (mkdir(dir, 0777) && errno != EEXIST)
		return -1;
	snprintf(path, size, "%s/results.json", dir);
	return json_dump_file(root, path, JSON_INDENT(1));
}

/* Writes both fixtures and their pages under dir; 0 on success. */
/* Seven systems whose points crowd one corner of the Pareto chart, every one on the front:
 * the labels must find room or be left to the list under the chart, never overlap. */
static json_t *crowded_fixture(void)
{
	static const char *const labels[] = { "dynamic", "static-per-tensor", "static-per-channel",
	                                      "histogram", "percentile-99.99", "mse" };
	json_t *plugins = json_array();
	for (int i = 0; i < 6; i++)
		json_array_append_new(plugins, json_pack(
			"{s:s, s:f, s:[o]}", "label", labels[i], "accuracy", 90.0 - 0.05 * (i + 1),
			"measurements", meas("avx2", 1, 1, "ms/batch", 1.0 - 0.01 * (i + 1))));
	return json_pack("{s:i, s:s, s:{s:s}, s:{s:f, s:[o]}, s:o}", "schema_version", 1, "run_id",
	                 "20261207T000000Z", "suite", "name", "crowded", "fp32", "accuracy", 90.1,
	                 "measurements", meas("avx2", 1, 1, "ms/batch", 1.0), "plugins", plugins);
}

static int write_fixtures(const char *dir)
{
	char sub[4096], path[4200];
	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "test_report: %s: cannot create: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int measured = 1; measured >= 0; measured--) {
		snprintf(sub, sizeof sub, "%s/%s", dir, measured ? "measured" : "unmeasured");
		json_t *root = build_fixture(measured);
		int rc = write_json(root, sub, path, sizeof path);
		json_decref(root);
		struct qx_error err = { 0 };
		if (rc) {
			fprintf(stderr, "test_report: %s: cannot write results.json\n", sub);
			return -1;
		}
		if (qx_report_write(path, NULL, &err)) {
			fprintf(stderr, "test_report: %s\n", err.msg);
			return -1;
		}
	}
	snprintf(sub, sizeof sub, "%s/crowded", dir);
	json_t *crowded = crowded_fixture();
	int crowded_rc = write_json(crowded, sub, path, sizeof path);
	json_decref(crowded);
	if (crowded_rc || qx_report_write(path, NULL, NULL))
		return -1;
	snprintf(path, sizeof path, "%s/expected.txt", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "pareto_points=%d\npareto_front=%d\nsize_bars=%d\nspeedup_bars=%d\n"
	        "speedup_whiskers=%d\n", PARETO_POINTS, PARETO_FRONT, SIZE_BARS, SPEEDUP_BARS,
	        SPEEDUP_WHISKERS);
	/* The colours the plugins' bars are painted in (a hash of each label). */
	struct qx_rep rep;
	snprintf(path, sizeof path, "%s/measured/results.json", dir);
	if (qx_rep_load(path, &rep, NULL) == 0) {
		fprintf(f, "colors=");
		for (int i = 0; i < rep.n_sys; i++)
			if (!rep.sys[i].is_fp32 && !rep.sys[i].error)
				fprintf(f, "%s ", qx_svg_color(rep.sys[i].color) + 1);
		fprintf(f, "\n");
		qx_rep_free(&rep);
	}
	return fclose(f) ? -1 : 0;
}

static void check_measured(const char *html)
{
	/* Header. */
	ok(has(html, "<h1>qx-bench report: fashion-mnist</h1>"), "header names the suite");
	ok(has(html, "models/fashion_cnn.onnx") && has(html, "20261123T062415Z") &&
	   has(html, "2026-11-23T06:24:15Z") && has(html, "Test CPU @ 3.00GHz") &&
	   has(html, "2 online CPUs"), "header: model, run id, time, machine");
	ok(has(html, "<s>neon</s>") && has(html, "title=\"not an AArch64 CPU\""),
	   "unavailable kernel set struck through, with the reason");

	/* Table: accuracy columns once per plugin. */
	ok(has(html, ">91.23%<") && has(html, ">90.87%<") && has(html, ">88.00%<"),
	   "top-1 of fp32 and plugins");
	ok(has(html, "+0.36<br><span class=\"ci\">[+0.20, +0.52]</span>") &&
	   has(html, "+0.13<br><span class=\"ci\">[-0.01, +0.27]</span>"), "drop with its 95%% CI");
	ok(has(html, ">98.50%<"), "agreement with fp32");
	ok(has(html, ">977 KiB <span class=\"ci\">1.00\xc3\x97<") &&
	   has(html, ">254 KiB <span class=\"ci\">0.260\xc3\x97<") &&
	   has(html, ">249 KiB <span class=\"ci\">0.255\xc3\x97<"),
	   "sizes (1,000,000, 260,000 and 255,000 bytes) and ratios to fp32");
	ok(has(html, "yes <span class=\"ci\">512 images</span>") && has(html, ">reference<") &&
	   has(html, "NO<div class=\"mismatch\">node conv1 logit 3: 12 vs 13<"),
	   "bit-identical: yes, reference, NO");
	ok(has(html, "median, ms<br>batch 1, 1 thr"), "latency column at batch 1, 1 thread");
	ok(has(html, "<td class=\"num\">0.800<br><span class=\"noise\">") &&
	   has(html, "<td class=\"num\">2.00<br><span class=\"noise\">"),
	   "latency medians in ms (dynamic avx2 0.8, fp32 avx2 2.0), each with its noise line");
	ok(has(html, "<td class=\"num\">0.600<br>"), "static-per-channel avx2: 0.6 ms/batch");
	ok(has(html, "0.800<br><span class=\"noise\"><span title=\"95% interval of the median over "
	       "the rounds: 0.790 to 0.810 ms\">\xc2\xb1" "1.3%</span> p99 1.90 <span class=\"warn\" "
	       "title=\"preempted: wall time is 2.10 x CPU time\">"),
	   "noise under the median: the interval over rounds, p99, and a warning saying why");
	ok(has(html, "<dt>measured</dt><dd>load up to 6.50 on 2 CPUs; 1 of 12 measurements preempted "
	       "by other processes, 1 with noise warnings"), "header: the machine's load while measuring");
	ok(has(html, "<td class=\"num\">2.50<br>"), "static-per-channel scalar: 2.5 ms/batch");
	ok(has(html, "2.50\xc3\x97<br><span class=\"ci\">[2.40, 2.60]</span>"),
	   "stored speedup with its interval");
	ok(has(html, "<td class=\"num\">2.40\xc3\x97</td>"),
	   "speedup computed from medians without interval (6.0 / 2.5)");
	ok(has(html, "3,210<br><span class=\"ci\">1 thr</span>") &&
	   has(html, "4,267<br><span class=\"ci\">1 thr</span>") && has(html, "images/s<br>batch 64"),
	   "throughput at the largest batch: stored 3,210, computed 64 / 15 ms");

	/* Error row, escaped. */
	ok(has(html, "<tr class=\"error-row\"><th scope=\"row\">broken&lt;script&gt;alert(1)&lt;/"
	           "script&gt;</th>"), "error row with the escaped label");
	ok(has(html, "crashed (signal 11) &amp; &lt;b&gt;lost&lt;/b&gt;"),
	   "error message escaped");
	ok(!has(html, "<script") && !has(html, "<b>lost"), "no document string becomes markup");
	ok(has(html, "title=\"a plugin &quot;quoted&quot; &amp; &lt;tagged&gt;\""),
	   "attribute text escaped");
	ok(!has(html, "http://") && !has(html, "https://") && !has(html, "src=") &&
	   !has(html, "<link"), "nothing fetched: no URL, src or link");

	/* Charts. */
	char *pareto = svg_of(html, "pareto-chart");
	char *size = svg_of(html, "size-chart");
	char *speedup = svg_of(html, "speedup-chart");
	char want[128];
	snprintf(want, sizeof want, "data-points=\"%d\" data-front=\"%d\"", PARETO_POINTS,
	         PARETO_FRONT);
	ok(has(pareto, want) && count(pareto, NULL, "class=\"point\"") == PARETO_POINTS,
	   "pareto chart: %d points (got %d marks)", PARETO_POINTS,
	   count(pareto, NULL, "class=\"point\""));
	ok(count(pareto, NULL, "(on the Pareto front)") == PARETO_FRONT &&
	   has(pareto, "static-per-channel, avx2: 91.10% top-1, 0.600 ms per batch (on the Pareto "
	       "front)") && has(pareto, "fp32, avx2: 91.23% top-1, 2.00 ms per batch (on the"),
	   "pareto front: static-per-channel/avx2 and fp32/avx2");
	ok(has(pareto, "class=\"pareto-front\" d=\"M") && has(pareto, "log scale") &&
	   has(pareto, "top-1 accuracy (%)"), "front line drawn, axes titled with units");
	snprintf(want, sizeof want, "data-bars=\"%d\"", SIZE_BARS);
	ok(has(size, want) && count(size, NULL, "class=\"bar\"") == SIZE_BARS &&
	   has(size, "model size (KiB)") && has(size, "254 KiB \xc2\xb7 0.260\xc3\x97 fp32"),
	   "size chart: %d bars, KiB axis, ratio labels", SIZE_BARS);
	snprintf(want, sizeof want, "data-bars=\"%d\" data-whiskers=\"%d\"", SPEEDUP_BARS,
	         SPEEDUP_WHISKERS);
	ok(has(speedup, want) && count(speedup, NULL, "class=\"bar\"") == SPEEDUP_BARS &&
	   count(speedup, NULL, "class=\"whisker\"") == SPEEDUP_WHISKERS,
	   "speedup chart: %d bars, %d whiskers", SPEEDUP_BARS, SPEEDUP_WHISKERS);
	ok(has(speedup, "static-per-channel, avx2, 1 thread, batch 64: 5.33\xc3\x97 fp32&#39;s speed "
	       "(ratio of medians") && has(speedup, "batch 64</text>") &&
	   has(speedup, "2 threads</text>"), "speedup computed per thread count and batch (80 / 15)");

	ok(has(html, "plugins[3] (histogram).measurements[0]: avx2, 8 threads, batch 1 was not "
	       "measured: 8 threads but 2 cores"), "failed measurement listed in the notes");
	free(pareto);
	free(size);
	free(speedup);
}

static void check_unmeasured(const char *html)
{
	char *pareto = svg_of(html, "pareto-chart");
	char *size = svg_of(html, "size-chart");
	char *speedup = svg_of(html, "speedup-chart");
	ok(has(pareto, "data-points=\"0\"") && has(pareto, "not measured") &&
	   !has(pareto, "class=\"point\""), "--no-measure: pareto chart says not measured");
	ok(has(speedup, "data-bars=\"0\"") && has(speedup, "not measured"),
	   "--no-measure: speedup chart says not measured");
	char want[64];
	snprintf(want, sizeof want, "data-bars=\"%d\"", SIZE_BARS);
	ok(has(size, want), "--no-measure: size chart still drawn");
	ok(has(html, "Latency not measured in this run") && has(html, ">91.23%<"),
	   "--no-measure: table keeps accuracy, says latency not measured");
	free(pareto);
	free(size);
	free(speedup);
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* Files in dir other than results.json and report.html (left-over temporaries). */
static int stray_files(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "results.json") != 0 &&
		    strcmp(e->d_name, "report.html") != 0 && strstr(e->d_name, ".json") == NULL)
			n++;
	if (d)
		closedir(d);
	return n;
}

static void check_errors(const char *dir)
{
	char path[4200], html[4200];
	struct qx_error err = { 0 };
	snprintf(path, sizeof path, "%s/missing.json", dir);
	int rc = qx_report_write(path, NULL, &err);
	ok(rc == QX_ENOENT && has(err.msg, "missing.json: No such file"), "missing file: %s",
	   err.msg);

	snprintf(path, sizeof path, "%s/bad.json", dir);
	write_text(path, "{\"schema_version\": 1,\n  \"plugins\": [}\n");
	rc = qx_report_write(path, NULL, &err);
	ok(rc == QX_EINVAL && has(err.msg, "bad.json:2:") && has(err.msg, "expected a results.json"),
	   "bad JSON gives line and column: %s", err.msg);

	snprintf(path, sizeof path, "%s/other.json", dir);
	write_text(path, "{\"name\": \"not results\"}");
	rc = qx_report_write(path, NULL, &err);
	ok(rc == QX_EINVAL && has(err.msg, "no integer schema_version"), "not a results document: %s",
	   err.msg);

	snprintf(path, sizeof path, "%s/newer.json", dir);
	write_text(path, "{\"schema_version\": 99}");
	rc = qx_report_write(path, NULL, &err);
	ok(rc == QX_EUNSUPPORTED && has(err.msg, "schema_version 99"), "newer schema: %s",
	   err.msg);

	/* Atomic: an existing page is replaced whole, and a failed write keeps it. */
	char sub[4096];
	snprintf(sub, sizeof sub, "%s/atomic", dir);
	json_t *root = build_fixture(1);
	write_json(root, sub, path, sizeof path);
	json_decref(root);
	snprintf(html, sizeof html, "%s/report.html", sub);
	write_text(html, "old page");
	rc = qx_report_write(path, NULL, &err);
	char *text = read_all(html);
	ok(rc == 0 && text && has(text, "<!DOCTYPE html>") && !has(text, "old page") &&
	   stray_files(sub) == 0, "report.html replaced, no temporary left");
	free(text);
	struct stat st, st_json;
	int stat_rc = stat(html, &st) | stat(path, &st_json);
	ok(stat_rc == 0 && (st.st_mode & 0777) == (st_json.st_mode & 0777),
	   "report.html has results.json's permissions (%o), not mkstemp's 600",
	   (unsigned)(st.st_mode & 0777));
	snprintf(html, sizeof html, "%s/no-such-folder/report.html", sub);
	rc = qx_report_write(path, html, &err);
	ok(rc == QX_EIO && has(err.msg, "no-such-folder/report.html"),
	   "unwritable destination: %s", err.msg);

	/* The subcommand: a run folder stands for its results.json. */
	char *argv_ok[] = { "report", sub, NULL };
	char *argv_none[] = { "report", NULL };
	char *argv_bad[] = { "report", "--bogus", sub, NULL };
	fflush(stdout);
	ok(qx_report_main(2, argv_ok) == 0, "qx-bench report RUN-FOLDER exits 0");
	ok(qx_report_main(1, argv_none) == 2 && qx_report_main(3, argv_bad) == 2,
	   "no argument or an unknown option exits 2");
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Pixels of an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium's screenshots are) equal
 * to rgb; -1 (with a message) for any other PNG. */
static long count_color(const char *path, unsigned rgb)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "test_report: %s: cannot open\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *png = malloc((size_t)size);
	unsigned char *idat = malloc((size_t)size);
	size_t n_idat = 0;
	long result = -1;
	unsigned char *raw = NULL;
	if (!png || !idat || fread(png, 1, (size_t)size, f) != (size_t)size || size < 8 + 25 ||
	    memcmp(png, "\x89PNG\r\n\x1a\n", 8) != 0)
		goto out;
	uint32_t w = 0, h = 0;
	int channels = 0;
	for (long off = 8; off + 12 <= size;) {
		uint32_t len = be32(png + off);
		const unsigned char *type = png + off + 4, *data = png + off + 8;
		if ((long)len > size - off - 12)
			goto out;
		if (memcmp(type, "IHDR", 4) == 0) {
			w = be32(data);
			h = be32(data + 4);
			channels = data[9] == 6 ? 4 : data[9] == 2 ? 3 : 0;
			if (data[8] != 8 || channels == 0 || data[12] != 0) {
				fprintf(stderr, "test_report: %s: not an 8-bit RGB(A) non-interlaced PNG\n",
				        path);
				goto out;
			}
		} else if (memcmp(type, "IDAT", 4) == 0) {
			memcpy(idat + n_idat, data, len);
			n_idat += len;
		}
		off += 12 + (long)len;
	}
	size_t stride = (size_t)w * (size_t)channels;
	uLongf raw_len = (uLongf)((stride + 1) * h);
	raw = malloc(raw_len ? raw_len : 1);
	if (!channels || !raw || uncompress(raw, &raw_len, idat, n_idat) != Z_OK ||
	    raw_len != (stride + 1) * h)
		goto out;
	/* Undo the per-row filters in place; the previous row is already unfiltered. */
	result = 0;
	for (uint32_t y = 0; y < h; y++) {
		unsigned char *row = raw + y * (stride + 1) + 1;
		const unsigned char *up = y ? row - (stride + 1) : NULL;
		int filter = row[-1];
		for (size_t i = 0; i < stride; i++) {
			int a = i >= (size_t)channels ? row[i - (size_t)channels] : 0;
			int b = up ? up[i] : 0;
			int c = up && i >= (size_t)channels ? up[i - (size_t)channels] : 0;
			int add = filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2
			        : filter == 4 ? paeth(a, b, c) : 0;
			row[i] = (unsigned char)(row[i] + add);
		}
		for (uint32_t x = 0; x < w; x++) {
			const unsigned char *px = row + (size_t)x * (size_t)channels;
			if (((unsigned)px[0] << 16 | (unsigned)px[1] << 8 | px[2]) == rgb)
				result++;
		}
	}
out:
	if (result < 0)
		fprintf(stderr, "test_report: %s: cannot decode the PNG\n", path);
	fclose(f);
	free(png);
	free(idat);
	free(raw);
	return result;
}

/* A document that breaks the schema is refused whole, by the report and by compare alike (one
 * reader, results/results_read.c), with the file and the JSON path of the first odd part. */
static void check_odd_document(const char *dir)
{
	static const struct {
		const char *at, *key, *value; /* a JSON value, set at path `at` (dots) under `key` */
		const char *says;
	} odd[] = {
		{ "", "schema_version", "0", "schema_version 0 (expected 1 to" },
		{ "fp32", "accuracy", "\"ninety\"", "fp32.accuracy: \"ninety\" (expected a number" },
		{ "fp32", "model_bytes", "-5", "fp32.model_bytes: -5 (expected an integer >= 0" },
		{ "plugins.0.measurements.0", "unit", "\"seconds per batch\"",
		  "plugins[0].measurements[0].unit: \"seconds per batch\" (expected \"ms/batch\"" },
		{ "plugins.0.measurements.0", "threads", "\"one\"",
		  "plugins[0].measurements[0].threads: \"one\" (expected an integer >= 1" },
		{ "plugins.0.measurements.0.speedup_vs_fp32", "ratio", "\"fast\"",
		  "plugins[0].measurements[0].speedup_vs_fp32.ratio: \"fast\"" },
		{ "plugins.0.kernel_sets.0", "measurements", "[]",
		  "plugins[0].kernel_sets[0].measurements: an array (expected no such key" },
		{ "plugins.1", "label", "3", "plugins[1].label: 3 (expected a string" },
		{ "", "tag", "\"weekly\"", "tag: \"weekly\" (expected \"nightly\" or \"ad-hoc\"" },
	};
	for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
		json_t *root = build_fixture(1), *at = root;
		char walk[128];
		snprintf(walk, sizeof walk, "%s", odd[i].at);
		for (char *save, *t = strtok_r(walk, ".", &save); t && at; t = strtok_r(NULL, ".", &save))
			at = json_is_array(at) ? json_array_get(at, (size_t)atoi(t)) : json_object_get(at, t);
		json_t *v = json_loads(odd[i].value, JSON_DECODE_ANY, NULL);
		char sub[4096], path[4200];
		snprintf(sub, sizeof sub, "%s/odd%zu", dir, i);
		int rc = !at || !v || json_object_set_new(at, odd[i].key, v) ||
		         write_json(root, sub, path, sizeof path);
		json_decref(root);
		struct qx_error rerr = { 0 }, cerr = { 0 };
		struct qx_rep rep;
		struct qx_run_view view;
		int r1 = rc ? -1 : qx_rep_load(path, &rep, &rerr);
		int r2 = rc ? -1 : qx_run_view_load(path, &view, &cerr);
		if (r1 == 0)
			qx_rep_free(&rep);
		if (r2 == 0)
			qx_run_view_free(&view);
		ok(r1 == QX_EINVAL && r2 == QX_EINVAL && has(rerr.msg, path) &&
		   has(rerr.msg, odd[i].says) && strcmp(rerr.msg, cerr.msg) == 0,
		   "odd %s.%s refused by report and compare alike: %s", odd[i].at, odd[i].key,
		   rerr.msg);
	}

	/* Odd but valid: a label that is markup, an empty error message. */
	char sub[4096], path[4200];
	snprintf(sub, sizeof sub, "%s/odd", dir);
	json_t *root = json_pack(
		"{s:i, s:s, s:[{s:s, s:f, s:[{s:s, s:i, s:i, s:s, s:f}]}, {s:s, s:s}]}",
		"schema_version", 1, "run_id", "odd", "plugins", "label", "a<b>&\"c\"", "accuracy",
		50.0, "measurements", "kernels", "avx2", "threads", 1, "batch", 1, "unit", "ms/batch",
		"median", 0.5, "label", "late", "error", "");
	int rc = write_json(root, sub, path, sizeof path);
	json_decref(root);
	struct qx_error err = { 0 };
	ok(rc == 0 && qx_report_write(path, NULL, &err) == 0, "odd but valid document: report "
	   "written %s", err.msg);
	snprintf(path, sizeof path, "%s/report.html", sub);
	char *html = read_all(path);
	char *pareto = html ? svg_of(html, "pareto-chart") : NULL;
	ok(pareto && has(pareto, "data-points=\"1\"") &&
	   has(pareto, "a&lt;b&gt;&amp;&quot;c&quot;, avx2: 50.00% top-1, 0.500 ms") &&
	   !has(html, "a<b>"), "the label is escaped text");
	ok(html && has(html, "<strong>error:</strong> </td>"), "an empty error message is still "
	   "an error row");
	free(pareto);
	free(html);
}

static void remove_tree(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("could not remove %s", dir);
}

/* The colour of each label in a document listing the plugins in this order. */
static int colors_in_order(const char *dir, const char *const *labels, int n, int *colors)
{
	json_t *plugins = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(plugins, json_pack("{s:s, s:f}", "label", labels[i], "accuracy",
		                                         90.0));
	json_t *root = json_pack("{s:i, s:o}", "schema_version", 1, "plugins", plugins);
	char path[512];
	struct qx_rep rep;
	if (write_json(root, dir, path, sizeof path) || qx_rep_load(path, &rep, NULL)) {
		json_decref(root);
		return -1;
	}
	json_decref(root);
	for (int i = 0; i < n; i++)
		for (int j = 0; j < rep.n_sys; j++)
			if (!strcmp(rep.sys[j].label, labels[i]))
				colors[i] = rep.sys[j].color;
	qx_rep_free(&rep);
	return 0;
}

static void test_colors_and_paths(const char *tmp)
{
	const char *fwd[] = { "dynamic", "static-per-tensor", "static-per-channel", "histogram",
	                      "mine" };
	const char *rev[] = { "mine", "histogram", "static-per-channel", "static-per-tensor",
	                      "dynamic" };
	int a[5] = { 0 }, b[5] = { 0 };
	char dir[512];
	snprintf(dir, sizeof dir, "%s/colors", tmp);
	mkdir(dir, 0777);
	int rc = colors_in_order(dir, fwd, 5, a) | colors_in_order(dir, rev, 5, b);
	int same = !rc, distinct = !rc;
	for (int i = 0; i < 5; i++) {
		same &= a[i] == b[4 - i] && a[i] >= 1;
		for (int j = 0; j < i; j++)
			distinct &= a[i] != a[j];
	}
	ok(same && distinct, "a plugin keeps its colour whatever its place in the suite, and five "
	   "plugins get five colours (%d %d %d %d %d)", a[0], a[1], a[2], a[3], a[4]);
	const char *three[] = { "histogram", "dynamic", "mine" };
	int c[3] = { 0 };
	ok(colors_in_order(dir, three, 3, c) == 0 && c[0] == a[3] && c[1] == a[0] && c[2] == a[4],
	   "and the same colour when other plugins are left out of the run");
	char out[256];
	static const char *const cases[][2] = {
		{ "suites/../results/fashion-mnist/x/results.json", "results/fashion-mnist/x/results.json" },
		{ "/work/./qx/suites/../results/r.json", "/work/qx/results/r.json" },
		{ "../results/r.json", "../results/r.json" },
		{ "a/..", "." },
		{ "a//b/", "a/b" },
	};
	int all = 1;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		qx_rep_clean_path(cases[i][0], out, sizeof out);
		if (strcmp(out, cases[i][1])) {
			diag("clean_path(%s) = %s (expected %s)", cases[i][0], out, cases[i][1]);
			all = 0;
		}
	}
	ok(all, "paths shown without '.' and 'dir/..' (suites/../results/x -> results/x)");
}

/* Whether the page holds a number the browser cannot draw: "nan" or "inf" as printf writes them
 * (the page's prose has neither as a word). */
static int has_non_finite(const char *html)
{
	static const char *const bad[] = { "nan", "NaN", "\"inf", "\"-inf", " inf", "-inf\"" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (strstr(html, bad[i]))
			return 1;
	return 0;
}

/* Medians of 0, subnormal and huge size (issue 13): the charts' log and linear scales must
 * still produce finite pixels and ticks, and the page no NaN. */
static void check_extreme_values(const char *dir)
{
	static const double medians[] = { 5e-324, 1e-310, 0.0, 1e308 };
	for (size_t i = 0; i < sizeof medians / sizeof medians[0]; i++) {
		char sub[4096], path[4200];
		snprintf(sub, sizeof sub, "%s/extreme%zu", dir, i);
		json_t *root = build_fixture(1);
		json_t *m = json_array_get(json_object_get(json_object_get(root, "fp32"),
		                                           "measurements"), 0);
		json_object_set_new(m, "median", json_real(medians[i]));
		json_t *d = json_array_get(json_object_get(json_array_get(json_object_get(root,
		                                           "plugins"), 0), "measurements"), 1);
		json_object_set_new(d, "median", json_real(medians[i]));
		int rc = write_json(root, sub, path, sizeof path);
		json_decref(root);
		struct qx_error err = { 0 };
		rc = rc || qx_report_write(path, NULL, &err);
		snprintf(path, sizeof path, "%s/report.html", sub);
		char *html = rc ? NULL : read_all(path);
		if (!ok(html && !has_non_finite(html), "a median of %g: report written, no NaN or "
		        "infinity on the page", medians[i]) && html) {
			for (const char *p = html; (p = strstr(p, "nan")) != NULL; p++)
				diag("...%.60s", p > html + 30 ? p - 30 : html);
		}
		free(html);
	}
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--write-fixture") == 0)
		return write_fixtures(argv[2]) ? 1 : 0;
	if (argc == 4 && strcmp(argv[1], "--count-color") == 0) {
		long n = count_color(argv[2], (unsigned)strtoul(argv[3], NULL, 16));
		if (n >= 0)
			printf("%ld\n", n);
		return n < 0;
	}
	if (argc != 1) {
		fprintf(stderr, "usage: test_report [--write-fixture DIR | --count-color PNG RRGGBB]\n");
		return 2;
	}
	char dir[] = "/tmp/qx-report-XXXXXX";
	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot create a temporary folder\n");
		return 0;
	}
	tap_plan(0);
	ok(write_fixtures(dir) == 0, "fixtures and their pages written");
	test_colors_and_paths(dir);
	char path[4200];
	snprintf(path, sizeof path, "%s/measured/report.html", dir);
	char *html = read_all(path);
	ok(html != NULL, "measured report.html readable");
	if (html)
		check_measured(html);
	free(html);
	snprintf(path, sizeof path, "%s/unmeasured/report.html", dir);
	html = read_all(path);
	ok(html != NULL, "unmeasured report.html readable");
	if (html)
		check_unmeasured(html);
	free(html);
	check_errors(dir);
	check_odd_document(dir);
	check_extreme_values(dir);
	remove_tree(dir);
	return tap_done();
}
