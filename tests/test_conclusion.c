/* The run's conclusion (harness/report/conclusion.h) on a results document built by hand, so every
 * expected word is known: the Pareto front of accuracy against latency at the first measured
 * (batch, threads), speedups per configuration, and the rules that a MISTRUSTED plugin is never
 * on the front however good its numbers look, and a failed one is only named. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "report/conclusion.h"
#include "support/tap.h"

/* One measurement on avx2 at batch b, threads t, median ms, speedup (0: none). */
static json_t *meas(int b, int t, double median, double speedup)
{
	json_t *m = json_pack("{s:s, s:i, s:i, s:s, s:f}", "kernels", "avx2", "threads", t, "batch",
	                      b, "unit", "ms/batch", "median", median);
	if (speedup > 0)
		json_object_set_new(m, "speedup_vs_fp32", json_pack("{s:f, s:f, s:f}", "ratio", speedup,
		                                                    "ci95_low", 0.9 * speedup,
		                                                    "ci95_high", 1.1 * speedup));
	return m;
}

static json_t *plugin(const char *label, double acc, const char *verdict, double ms_b1,
                      double ms_b64)
{
	json_t *p = json_pack("{s:s, s:f, s:{s:f, s:f, s:f}, s:{s:s}, s:[o, o]}", "label", label,
	                      "accuracy", acc, "drop", "points", 92.0 - acc, "ci95_low",
	                      91.0 - acc, "ci95_high", 93.0 - acc, "trust", "verdict", verdict,
	                      "measurements", meas(1, 1, ms_b1, 1.0 / ms_b1),
	                      meas(64, 1, ms_b64, 10.0 / ms_b64));
	return p;
}

/* The line of out that starts with label, or NULL. */
static const char *line_of(const char *out, const char *label)
{
	size_t n = strlen(label);
	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, label, n) && p[n] == ' ')
			return p;
	return NULL;
}

static int line_has(const char *out, const char *label, const char *what)
{
	const char *l = line_of(out, label);
	if (!l)
		return 0;
	const char *end = strchr(l, '\n');
	const char *hit = strstr(l, what);
	return hit && (!end || hit < end);
}

int main(void)
{
	tap_plan(0);
	json_t *root = json_object();
	json_object_set_new(root, "fp32", json_pack("{s:s, s:i, s:f, s:[o, o]}", "label", "fp32",
	                                            "images", 10000, "accuracy", 92.0, "measurements",
	                                            meas(64, 1, 10.0, 0), meas(1, 1, 1.0, 0)));
	json_t *plugins = json_array();
	/* fast and accurate, but its int8 result failed the reference check */
	json_array_append_new(plugins, plugin("liar", 92.5, "MISTRUSTED", 0.1, 1.0));
	/* on the front: the fastest trusted one */
	json_array_append_new(plugins, plugin("quick", 91.0, "trusted", 0.25, 2.5));
	/* on the front: more accurate than quick, slower */
	json_array_append_new(plugins, plugin("careful", 91.8, "trusted", 0.5, 5.0));
	/* dominated by careful: less accurate and slower */
	json_array_append_new(plugins, plugin("slow", 91.5, "trusted", 0.8, 8.0));
	json_array_append_new(plugins, json_pack("{s:s, s:s}", "label", "broken", "error",
	                                         "crashed with SIGSEGV"));
	json_object_set_new(root, "plugins", plugins);

	char *out = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&out, &size);
	qx_conclusion_print(root, "avx2", f);
	fclose(f);
	for (const char *l = out; *l;) {
		const char *end = strchr(l, '\n');
		int n = end ? (int)(end - l) : (int)strlen(l);
		diag("%.*s", n, l);
		l += n + (end != NULL);
	}

	ok(strstr(out, "conclusion (accuracy on 10000 images") != NULL, "the header names the images");
	ok(strstr(out, "b1/t1") && strstr(out, "b64/t1") && strstr(out, "b1/t1") < strstr(out, "b64/t1"),
	   "one speedup column per measured configuration, batch 1 first");
	ok(line_has(out, "quick", " 4.00x") && line_has(out, "quick", " 4.00x "),
	   "quick's speedups are fp32's stored ratios (4.00x at both)");
	ok(line_has(out, "liar", "no (MISTRUSTED)"), "a MISTRUSTED plugin is never on the front");
	ok(line_has(out, "quick", "yes") && line_has(out, "careful", "yes"),
	   "the fastest and the most accurate trusted plugins are on the front");
	ok(line_has(out, "slow", "  no"), "a dominated plugin is not on the front");
	ok(line_has(out, "broken", "failed"), "a failed plugin is named as failed");
	ok(strstr(out, "on the Pareto front (top-1 against median latency at batch 1, 1 thread, "
	              "avx2): quick, careful\n") != NULL, "the summary line lists exactly the front");
	ok(line_has(out, "careful", "+0.20 [-0.80, +1.20]") && line_has(out, "careful", " ok "),
	   "drop with its interval, trust in the table's words");
	free(out);

	/* Without measurements: accuracy only, and it says so. */
	json_object_set_new(json_object_get(root, "fp32"), "measurements", json_array());
	out = NULL;
	f = open_memstream(&out, &size);
	qx_conclusion_print(root, "avx2", f);
	fclose(f);
	ok(strstr(out, "latency not measured on avx2: no speedup and no Pareto front") != NULL,
	   "no measurement: no speedup, no front, said in words");
	free(out);
	json_decref(root);

	/* A sweep: long labels get a column wide enough, the size front is named, a configuration
	 * measured once says so, and a quick run says first that it is not for tracking. */
	root = json_object();
	json_object_set_new(root, "quick", json_true());
	json_object_set_new(root, "fp32", json_pack("{s:s, s:i, s:f, s:I, s:[o]}", "label", "fp32",
	                                            "images", 2000, "accuracy", 92.0, "model_bytes",
	                                            (json_int_t)4000, "measurements",
	                                            meas(1, 1, 1.0, 0)));
	plugins = json_array();
	static const char *const labels[] = { "static-per-tensor[qparams=global_minmax,count=64]",
	                                      "static-per-tensor[qparams=moving_average,count=256]",
	                                      "static-per-channel[qparams=moving_average,count=256]",
	                                      "again" };
	static const double acc[] = { 91.0, 91.5, 91.8, 91.5 };
	static const int bytes[] = { 1000, 1000, 1100, 1000 };
	for (int i = 0; i < 4; i++) {
		json_t *p = plugin(labels[i], acc[i], "trusted", 0.25, 2.5);
		json_object_set_new(p, "model_bytes", json_integer(bytes[i]));
		json_array_append_new(plugins, p);
	}
	json_object_set_new(json_array_get(plugins, 3), "same_plan_as", json_string(labels[1]));
	json_object_set_new(root, "plugins", plugins);
	out = NULL;
	f = open_memstream(&out, &size);
	qx_conclusion_print(root, "avx2", f);
	fclose(f);
	for (const char *l = out; *l;) {
		const char *end = strchr(l, '\n');
		int n = end ? (int)(end - l) : (int)strlen(l);
		diag("%.*s", n, l);
		l += n + (end != NULL);
	}
	ok(strstr(out, "QUICK RUN: not for tracking") && strstr(out, "QUICK RUN") < strstr(out,
	   "conclusion ("), "a quick run says so before the table");
	const char *l0 = line_of(out, labels[0]), *l2 = line_of(out, labels[2]);
	ok(l0 && l2 && strstr(l0, "91.00%") - l0 == strstr(l2, "91.80%") - l2,
	   "long labels: the accuracy column stays aligned");
	ok(strstr(out, "on the Pareto front (top-1 against model size): static-per-tensor"
	              "[qparams=moving_average,count=256], static-per-channel[qparams=moving_average,"
	              "count=256], again\n") != NULL,
	   "the size front: the most accurate of the smallest, and the more accurate larger one");
	ok(line_has(out, labels[0], "  no "), "a dominated configuration is on no front");
	ok(line_has(out, "again", "(same plan as static-per-tensor[qparams=moving_average,"
	                          "count=256]: measured once)"), "a shared plan is named");
	free(out);

	/* A record that breaks the schema (results/results_read.c) gives no conclusion, and says
	 * where it breaks. */
	json_object_set_new(json_array_get(json_object_get(json_object_get(root, "fp32"),
	                                                   "measurements"), 0),
	                    "unit", json_string("s"));
	f = open_memstream(&out, &size);
	qx_conclusion_print(root, "avx2", f);
	fclose(f);
	ok(strstr(out, "Conclusion: not drawn") && strstr(out, "fp32.measurements[0].unit: \"s\"") &&
	   !strstr(out, "Pareto"), "a record that breaks the schema: no conclusion, the place named");
	free(out);
	json_decref(root);
	return tap_done();
}
