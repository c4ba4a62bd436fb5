/* qx-bench explain RUN [--plugin LABEL] [--top N] [--json]: the per-layer error a run recorded
 * (results.json's "layers", investigate/layer_error.h), worst tensors first, with a line naming
 * the worst one and why, and the plugin's sensitivity table when the run measured one
 * (docs/report.md, "qx-bench explain"). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "investigate/layer_error.h"

static const char explain_usage[] =
	"usage: qx-bench explain RUN [--plugin LABEL] [--top N] [--by loss|own] [--json]\n"
	"\n"
	"Where each plugin's quantization error comes from: the per-layer error the run measured\n"
	"(results.json's \"layers\") for every tensor the plan quantizes, worst first.\n"
	"RUN is a run folder or its results.json.\n"
	"\n"
	"Columns: own dB (SQNR of the fp32 tensor quantized with its own qparams: the error this\n"
	"tensor adds), loss dB (how much lower own dB is than with min/max qparams fitted to the\n"
	"data: what the ranking goes by), SQNR dB (the int8 model's tensor against fp32's, or\n"
	"the reference simulation's for a simulated plan (FP8, per-group scales, weight-only),\n"
	"with every earlier layer's error; the tie-break), cosine, max abs err, clipped % (values\n"
	"the clamp moved), the range the qparams represent against the range the data has.\n"
	"A line names the worst tensor and why; the sensitivity table follows when the run has one.\n"
	"\n"
	"  --plugin LABEL   only this plugin\n"
	"  --top N          the N worst tensors per plugin (default 10)\n"
	"  --by loss|own    rank by loss against the min/max fit (default: it compares weights\n"
	"                   with activations, whose own SQNR differ by nature: int8 weights sit\n"
	"                   near 45 dB, uint8 activations near 26), or by own SQNR\n"
	"  --json           the same as JSON on stdout\n"
	"  -h, --help       this text\n"
	"\n"
	"Exit status: 0 shown; 2 bad command line, RUN not a run, or no per-layer error in it\n"
	"(a run from before qx-bench measured it, or with check.reference_images: 0).\n";

/* A number of a tensor entry: NaN when absent, +inf when null (the layers' null is "no error"). */
static double field(const json_t *t, const char *key)
{
	const json_t *v = json_object_get(t, key);
	if (!v)
		return NAN;
	if (json_is_null(v))
		return INFINITY;
	return json_is_number(v) ? json_number_value(v) : NAN;
}

static double range_at(const json_t *t, const char *key, size_t i)
{
	const json_t *v = json_array_get(json_object_get(t, key), i);
	return v && json_is_number(v) ? json_number_value(v) : NAN;
}

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "?";
}

/* --by loss: the tensor losing most against a min/max fit first (qx_layer_cmp puts the lower
 * key first, so the key is -loss); a loss that could not be computed ranks last. */
static int by_loss;

static double rank_key(const json_t *t)
{
	if (!by_loss)
		return field(t, "own_sqnr_db");
	double loss = field(t, "loss_db");
	return isfinite(loss) ? -loss : NAN;
}

static int cmp_entry(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int c = qx_layer_cmp(rank_key(x), field(x, "sqnr_db"), rank_key(y), field(y, "sqnr_db"));
	/* Equal figures keep graph order (qsort is not stable): earlier tensors first. */
	if (!c) {
		double ix = json_number_value(json_object_get(x, "_index"));
		double iy = json_number_value(json_object_get(y, "_index"));
		c = (ix > iy) - (ix < iy);
	}
	return c;
}

/* Why the worst tensor is bad, in words, from its clipping, ranges and loss. */
static void why(const json_t *t, char *buf, size_t size)
{
	double lo = field(t, "clipped_low"), hi = field(t, "clipped_high");
	double share = field(t, "clip_error_share"), ratio = field(t, "range_ratio");
	double loss = field(t, "loss_db");
	/* the levels the format has: a simulated plan's FP8 tensor rounds to float levels */
	const char *dtype = json_string_value(json_object_get(t, "dtype"));
	const char *levels = dtype && !strncmp(dtype, "fp8", 3) ? "FP8" : "int8";
	char lost[96] = "";
	if (isfinite(loss) && loss >= 0.05)
		snprintf(lost, sizeof lost, ", %.1f dB lost against min/max qparams", loss);
	if (lo + hi > 0.0 && share >= 0.5)
		snprintf(buf, size, "%.3g%% of values clipped at %s (%.3g%% at %s), %.0f%% of its error%s: "
		         "range too narrow", 100.0 * fmax(lo, hi), hi >= lo ? "qmax" : "qmin",
		         100.0 * fmin(lo, hi), hi >= lo ? "qmin" : "qmax", 100.0 * share, lost);
	else if (ratio >= 3.0 || (ratio >= 1.5 && isfinite(loss) && loss >= 3.0))
		/* Correct min/max qparams read 1 (asymmetric) to 2 (symmetric); 3 and up, or a wide
		 * range that costs 3 dB against the min/max fit, wastes levels no value uses. */
		snprintf(buf, size, "range %.3gx wider than the data%s: scale too large", ratio, lost);
	else if (isfinite(ratio) && lo + hi > 0.0)
		snprintf(buf, size, "range fits the data (%.3gx) and clipping makes %.0f%% of its error%s: "
		         "the rounding error of the %s levels over that range", ratio,
		         100.0 * (isfinite(share) ? share : 0.0), lost, levels);
	else if (isfinite(ratio))
		snprintf(buf, size, "range fits the data (%.3gx), nothing clipped%s: the rounding error "
		         "of the %s levels over that range", ratio, lost, levels);
	else
		snprintf(buf, size, "no range to compare (the data is all zero)");
}

static void fmt_db(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "inf" : "-inf");
	else
		snprintf(buf, size, "%.1f", v);
}

static void fmt_num(double v, const char *fmt, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, fmt, v);
}

#define NCOL 11

/* The tensors of one plugin, worst first, at most top of them (the caller frees the array). */
static json_t **ranked(const json_t *tensors, size_t *n_out)
{
	size_t n = json_array_size(tensors);
	json_t **v = calloc(n + 1, sizeof *v);
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = json_array_get(tensors, i);
		json_object_set_new(v[i], "_index", json_integer((json_int_t)i));
	}
	qsort(v, n, sizeof *v, cmp_entry);
	*n_out = n;
	return v;
}

static void print_table(json_t **v, size_t n)
{
	static const char *head[NCOL] = { "rank", "node", "tensor", "kind", "own dB", "loss dB",
	                                  "SQNR dB", "cosine", "max abs err", "clipped %",
	                                  "qparams range vs data range" };
	char (*cell)[NCOL][160] = calloc(n + 1, sizeof *cell);
	if (!cell)
		return;
	size_t w[NCOL];
	for (int c = 0; c < NCOL; c++) {
		snprintf(cell[0][c], sizeof cell[0][c], "%s", head[c]);
		w[c] = strlen(head[c]);
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *t = v[i];
		char (*r)[160] = cell[i + 1];
		snprintf(r[0], 160, "%zu", i + 1);
		snprintf(r[1], 160, "%s", str(t, "node"));
		snprintf(r[2], 160, "%s", str(t, "tensor"));
		snprintf(r[3], 160, "%s", str(t, "kind"));
		fmt_db(field(t, "own_sqnr_db"), r[4], 160);
		/* null loss: not comparable (an error-free tensor); absent: an older run. */
		double loss = field(t, "loss_db");
		fmt_num(isinf(loss) ? NAN : loss, "%.1f", r[5], 160);
		fmt_db(field(t, "sqnr_db"), r[6], 160);
		fmt_num(field(t, "cosine"), "%.6f", r[7], 160);
		fmt_num(field(t, "max_abs_error"), "%.3g", r[8], 160);
		fmt_num(100.0 * (field(t, "clipped_low") + field(t, "clipped_high")), "%.3g", r[9], 160);
		snprintf(r[10], 160, "[%.3g, %.3g] vs [%.3g, %.3g]", range_at(t, "qparams_range", 0),
		         range_at(t, "qparams_range", 1), range_at(t, "data_range", 0),
		         range_at(t, "data_range", 1));
		for (int c = 0; c < NCOL; c++)
			w[c] = strlen(r[c]) > w[c] ? strlen(r[c]) : w[c];
	}
	for (size_t i = 0; i <= n; i++) {
		for (int c = 0; c < NCOL; c++) {
			/* Names and words left-aligned, numbers right-aligned. */
			int left = c >= 1 && c <= 3;
			if (c == NCOL - 1)
				printf("%s\n", cell[i][c]);
			else
				printf(left ? "%-*s  " : "%*s  ", (int)w[c], cell[i][c]);
		}
	}
	free(cell);
}

/* The sensitivity table, the top most costly nodes, its node column as wide as the names shown. */
static void print_sensitivity(const json_t *s, size_t top)
{
	if (!json_is_object(s)) {
		printf("sensitivity: not measured (run with --sensitivity)\n");
		return;
	}
	const json_t *nodes = json_object_get(s, "nodes");
	size_t total = json_array_size(nodes), shown = total < top ? total : top;
	printf("sensitivity on %lld images (accuracy with each node alone left in float; all "
	       "quantized: %.2f%%), the %zu most costly of %zu first:\n",
	       (long long)json_integer_value(json_object_get(s, "images")),
	       json_number_value(json_object_get(s, "base_accuracy")), shown, total);
	int w = 4;
	for (size_t i = 0; i < shown; i++) {
		int len = (int)strlen(str(json_array_get(nodes, i), "node"));
		w = len > w ? len : w;
	}
	printf("%4s  %-*s  %-12s  %9s  %12s  %s\n", "rank", w, "node", "op", "accuracy",
	       "gain points", "95% CI");
	for (size_t i = 0; i < shown; i++) {
		const json_t *nd = json_array_get(nodes, i);
		printf("%4zu  %-*s  %-12s  %8.2f%%  %+12.2f  [%+.2f, %+.2f]\n", i + 1, w,
		       str(nd, "node"), str(nd, "op"), json_number_value(json_object_get(nd, "accuracy")),
		       json_number_value(json_object_get(nd, "gain_points")),
		       json_number_value(json_object_get(nd, "ci95_low")),
		       json_number_value(json_object_get(nd, "ci95_high")));
	}
	if (shown < total)
		printf("      ... %zu more (--top N, or --json)\n", total - shown);
}

/* RUN as a results.json path (owned). */
static char *results_path(const char *run)
{
	struct stat st;
	size_t len = strlen(run) + sizeof "/results.json";
	char *p = malloc(len);
	if (!p)
		return NULL;
	if (stat(run, &st) == 0 && S_ISDIR(st.st_mode)) {
		size_t n = strlen(run);
		while (n > 1 && run[n - 1] == '/')
			n--; /* "RUN/" names the same folder: no "//" in messages */
		snprintf(p, len, "%.*s/results.json", (int)n, run);
	}
	else
		snprintf(p, len, "%s", run);
	return p;
}

/* The JSON answer for one plugin: its top tensors with their rank, the worst and why. */
static json_t *plugin_json(const json_t *p, json_t **v, size_t n, size_t top)
{
	const json_t *layers = json_object_get(p, "layers");
	json_t *tensors = json_array();
	for (size_t i = 0; i < n && i < top; i++) {
		json_t *t = json_deep_copy(v[i]);
		json_object_del(t, "_index");
		json_object_set_new(t, "rank", json_integer((json_int_t)i + 1));
		json_array_append_new(tensors, t);
	}
	json_t *o = json_pack("{s:s, s:O, s:O, s:I, s:s, s:o}", "label", str(p, "label"), "images",
	                      json_object_get(layers, "images"), "kernels",
	                      json_object_get(layers, "kernels"), "quantized_tensors",
	                      (json_int_t)n, "ranked_by", by_loss ? "loss" : "own", "tensors",
	                      tensors);
	if (n) {
		char buf[512];
		why(v[0], buf, sizeof buf);
		json_object_set_new(o, "worst", json_pack("{s:s, s:s, s:s, s:s}", "tensor",
		                                          str(v[0], "tensor"), "node", str(v[0], "node"),
		                                          "kind", str(v[0], "kind"), "why", buf));
	}
	const json_t *s = json_object_get(p, "sensitivity");
	json_object_set_new(o, "sensitivity", json_is_object(s) ? json_deep_copy(s) : json_null());
	return o;
}

static void plugin_text(const json_t *p, json_t **v, size_t n, size_t top)
{
	const json_t *layers = json_object_get(p, "layers");
	size_t shown = n < top ? n : top;
	long long images = (long long)json_integer_value(json_object_get(layers, "images"));
	printf("plugin %s: %zu quantized tensor%s, ", str(p, "label"), n, n == 1 ? "" : "s");
	if (images && json_is_object(json_object_get(p, "simulated")))
		printf("error on %lld images (reference simulation on fp32 %s: no int8 kernel runs "
		       "the plan); ", images, str(layers, "kernels"));
	else if (images)
		printf("error on %lld images (int8 on %s); ", images, str(layers, "kernels"));
	else
		printf("weights only (no image needed); ");
	const char *by = by_loss ? "by loss against a min/max fit" : "by own SQNR";
	if (shown < n)
		printf("the %zu worst first, %s\n", shown, by);
	else if (n == 1)
		printf("it is\n");
	else
		printf("all of them, worst first, %s\n", by);
	print_table(v, shown);
	if (n) {
		char buf[512], own[32];
		why(v[0], buf, sizeof buf);
		fmt_db(field(v[0], "own_sqnr_db"), own, sizeof own);
		printf("worst: %s %s of %s (own SQNR %s dB): %s\n", str(v[0], "kind"),
		       str(v[0], "tensor"), str(v[0], "node"), own, buf);
	}
	print_sensitivity(json_object_get(p, "sensitivity"), top);
}

int qx_explain_main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "plugin", required_argument, NULL, 'p' },
		{ "top", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "by", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *only = NULL;
	long top = 10;
	int as_json = 0, c;
	optind = 1;
	by_loss = 1;
	while ((c = getopt_long(argc, argv, "p:t:jb:h", longs, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'p': only = optarg; break;
		case 't':
			errno = 0;
			top = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || top < 1) {
				fprintf(stderr, "qx-bench explain: --top: expected a whole number >= 1, got "
				        "'%s'\n", optarg);
				return 2;
			}
			break;
		case 'j': as_json = 1; break;
		case 'b':
			if (strcmp(optarg, "own") && strcmp(optarg, "loss")) {
				fprintf(stderr, "qx-bench explain: --by: expected own or loss, got '%s'\n",
				        optarg);
				return 2;
			}
			by_loss = !strcmp(optarg, "loss");
			break;
		case 'h': fputs(explain_usage, stdout); return 0;
		default:
			fprintf(stderr, "qx-bench explain: bad option (usage: qx-bench explain RUN "
			        "[--plugin LABEL] [--top N] [--by own|loss] [--json])\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "qx-bench explain: expected one RUN (a run folder or its results.json), "
		        "got %d (usage: qx-bench explain RUN [--plugin LABEL] [--top N] [--by own|loss] "
		        "[--json])\n",
		        argc - optind);
		return 2;
	}
	char *path = results_path(argv[optind]);
	if (!path) {
		fprintf(stderr, "qx-bench explain: out of memory\n");
		return 3;
	}
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		if (access(path, R_OK) != 0)
			fprintf(stderr, "qx-bench explain: %s: %s (expected a run folder or its "
			        "results.json)\n", path, strerror(errno));
		else
			fprintf(stderr, "qx-bench explain: %s:%d:%d: not JSON: %s\n", path, je.line,
			        je.column, je.text);
		free(path);
		return 2;
	}
	json_t *plugins = json_object_get(root, "plugins");
	int rc = 0;
	if (!json_is_array(plugins)) {
		fprintf(stderr, "qx-bench explain: %s: not a qx-bench results.json (expected a "
		        "\"plugins\" array)\n", path);
		rc = 2;
	}
	/* Which plugins to show, and whether any has layers. */
	size_t i, with_layers = 0, matched = 0;
	json_t *p;
	if (!rc) {
		json_array_foreach(plugins, i, p) {
			if (only && strcmp(str(p, "label"), only))
				continue;
			matched++;
			with_layers += json_is_array(json_object_get(json_object_get(p, "layers"), "tensors"));
		}
		if (only && !matched) {
			fprintf(stderr, "qx-bench explain: %s: no plugin labelled '%s' (it has:", path, only);
			json_array_foreach(plugins, i, p)
				fprintf(stderr, " %s", str(p, "label"));
			fprintf(stderr, ")\n");
			rc = 2;
		} else if (!with_layers) {
			fprintf(stderr, "qx-bench explain: %s: no per-layer error in it (expected \"layers\" "
			        "in a plugin's entry: the run is older than qx-bench's per-layer error, or "
			        "ran with check.reference_images: 0)\n", path);
			rc = 2;
		}
	}
	json_t *out = as_json ? json_pack("{s:s, s:[]}", "run", path, "plugins") : NULL;
	int first = 1;
	json_array_foreach(rc ? NULL : plugins, i, p) {
		if (only && strcmp(str(p, "label"), only))
			continue;
		const json_t *tensors = json_object_get(json_object_get(p, "layers"), "tensors");
		if (!as_json && !first)
			printf("\n");
		first = 0;
		if (!json_is_array(tensors)) {
			const char *e = json_string_value(json_object_get(p, "error"));
			if (as_json)
				json_array_append_new(json_object_get(out, "plugins"),
				                      json_pack("{s:s, s:n}", "label", str(p, "label"),
				                                "tensors"));
			else if (e)
				printf("plugin %s: no per-layer error recorded (it failed: %s)\n",
				       str(p, "label"), e);
			else
				printf("plugin %s: no per-layer error recorded\n", str(p, "label"));
			continue;
		}
		size_t n = 0;
		json_t **v = ranked(tensors, &n);
		if (!v) {
			fprintf(stderr, "qx-bench explain: out of memory\n");
			rc = 3;
			break;
		}
		if (as_json)
			json_array_append_new(json_object_get(out, "plugins"),
			                      plugin_json(p, v, n, (size_t)top));
		else
			plugin_text(p, v, n, (size_t)top);
		free(v);
	}
	if (out && !rc) {
		char *s = json_dumps(out, JSON_INDENT(2) | JSON_REAL_PRECISION(9));
		if (s)
			printf("%s\n", s);
		free(s);
	}
	json_decref(out);
	json_decref(root);
	free(path);
	return rc;
}
