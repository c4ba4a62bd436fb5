/* `qx-bench plugin-check PLUGIN.so`: a conformance run for plugin authors. Every callback is
 * driven through the same isolated host as a real run (a crash or hang is a failed check, not a
 * crashed checker), on the reference model when it is there and on a tiny built-in model
 * otherwise, with synthetic images: the check is about behaviour, not accuracy. TAP on stdout;
 * exit status 0 iff every check passed. */
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugin/decl.h"
#include "plugin/host.h"
#include "plugin/tiny_model.h"
#include "plan/validate.h"
#include "qx/plugin.h"
#include "util/exit_status.h"

#define CHECK_IMAGES 64
#define CHECK_BATCH 16

struct checker {
	int n, failed;
	struct qx_suite_plugin spec;
	struct qx_graph g;
	struct qx_dataset images;
	struct qx_preprocess pp;
	struct qx_suite_option *opts;   /* --option KEY=VALUE, in order */
	int n_opts;
};

static int check(struct checker *c, int cond, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int check(struct checker *c, int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++c->n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	c->failed += !cond;
	return cond;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void note(const char *fmt, ...)
{
	va_list ap;
	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int usage(void)
{
	fprintf(stderr, "usage: qx-bench plugin-check PLUGIN.so|NAME [--option KEY=VALUE ...] "
	        "[--model MODEL.onnx] [--timeout SECONDS]\n");
	return QX_EXIT_USAGE;
}

/* The reference model: $QX_ROOT/models, ./models, then <executable's folder>/../models. */
static int find_reference_model(char *out, size_t size)
{
	const char *rel = "models/fashion_cnn.onnx";
	const char *root = getenv("QX_ROOT");
	if (root) {
		snprintf(out, size, "%s/%s", root, rel);
		if (access(out, R_OK) == 0)
			return 1;
	}
	snprintf(out, size, "%s", rel);
	if (access(out, R_OK) == 0)
		return 1;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, size, "%s/../%s", exe, rel);
			if (access(out, R_OK) == 0)
				return 1;
		}
	}
	return 0;
}

static int load_model(struct checker *c, const char *model, struct qx_error *err)
{
	char path[PATH_MAX + 64];
	if (!model && find_reference_model(path, sizeof path))
		model = path;
	if (!model) {
		note("model: the built-in tiny model (models/fashion_cnn.onnx not found)");
		return qx_tiny_model_build(&c->g, err);
	}
	note("model: %s", model);
	int rc = qx_graph_load_onnx(model, &c->g, err);
	if (!rc)
		rc = qx_graph_fuse_activations(&c->g, err);
	return rc;
}

static int make_images(struct checker *c, struct qx_error *err)
{
	if (c->g.n_inputs != 1 || c->g.tensors[c->g.inputs[0]].ndim != 4)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: the model's input is not one NCHW image "
		               "tensor (expected [N, C, H, W])", c->g.path);
	const int64_t *d = c->g.tensors[c->g.inputs[0]].dims;
	if (d[1] < 1 || d[1] > QX_MAX_CHANNELS)
		return qx_fail(err, QX_EUNSUPPORTED, "%s: %lld input channels (expected 1..%d)",
		               c->g.path, (long long)d[1], QX_MAX_CHANNELS);
	c->pp = (struct qx_preprocess){ .scale = 1.0f / 255, .divisor = 255.0f, .n_channels = 1,
	                                .mean = { 0 }, .std = { 1 } };
	return qx_synthetic_dataset(CHECK_IMAGES, (int)d[1], (int)d[2], (int)d[3], 10, 2024,
	                            &c->images, err);
}

/* count < 0: create() and destroy() only (the options check of a suite run). */
static int run(struct checker *c, int64_t count, int batch, struct qx_suite_option *opts,
               int n_opts, struct qx_plugin_result *res, struct qx_error *err)
{
	struct qx_suite_plugin spec = c->spec;
	spec.options = opts;
	spec.n_options = n_opts;
	struct qx_plugin_calib calib = { .images = &c->images, .pp = &c->pp, .first = 0,
	                                 .count = count < 0 ? 0 : count, .batch = batch,
	                                 .log_level = QX_LOG_WARN, .options_only = count < 0 };
	memset(err, 0, sizeof *err);
	return qx_plugin_run(&spec, &c->g, &calib, res, err);
}

static int same_plan(const struct qx_quant_plan *a, const struct qx_quant_plan *b)
{
	if (a->n_tensors != b->n_tensors || a->n_nodes != b->n_nodes)
		return 0;
	for (int n = 0; n < a->n_nodes; n++)
		if (memcmp(&a->node[n], &b->node[n], sizeof a->node[n]))
			return 0;
	for (int t = 0; t < a->n_tensors; t++) {
		const struct qx_tensor_qparams *x = &a->tensor[t], *y = &b->tensor[t];
		if (x->dtype != y->dtype || x->axis != y->axis || x->n_channels != y->n_channels ||
		    x->qmin != y->qmin || x->qmax != y->qmax)
			return 0;
		size_t n = (size_t)x->n_channels;
		if (x->dtype != QX_PLAN_FLOAT &&
		    (memcmp(x->scales, y->scales, n * sizeof *x->scales) ||
		     memcmp(x->zero_points, y->zero_points, n * sizeof *x->zero_points)))
			return 0;
	}
	return 1;
}

static void describe_plan(const struct qx_graph *g, const struct qx_quant_plan *p)
{
	int modes[4] = { 0 }, quantized = 0, per_channel = 0;
	for (int n = 0; n < p->n_nodes; n++)
		if (p->node[n].mode >= 0 && p->node[n].mode <= QX_MODE_WEIGHT_ONLY)
			modes[p->node[n].mode]++;
	for (int t = 0; t < p->n_tensors; t++) {
		quantized += p->tensor[t].dtype != QX_PLAN_FLOAT;
		per_channel += p->tensor[t].dtype != QX_PLAN_FLOAT && p->tensor[t].axis >= 0;
	}
	note("plan: %d static, %d dynamic, %d weight-only, %d float nodes of %d; %d tensors "
	     "quantized (%d per channel)%s%s", modes[1], modes[2], modes[3], modes[0], g->n_nodes,
	     quantized, per_channel, p->simulated ? "; simulated: " : "", p->simulated_why);
}

static void check_metadata(struct checker *c, const struct qx_plugin_result *r,
                           const struct qx_error *err)
{
	int loaded = r->name != NULL;
	if (loaded)
		check(c, r->abi_major == QX_ABI_MAJOR && r->abi_minor <= QX_ABI_MINOR,
		      "loads: entry point %s, ABI %u.%u (this host: %d.%d), struct_size %u",
		      QX_PLUGIN_ENTRY_SYMBOL, r->abi_major, r->abi_minor, QX_ABI_MAJOR,
		      QX_ABI_MINOR, r->struct_size);
	else if (!check(c, 0, "loads: entry point %s, ABI %d.x with x <= %d, struct_size",
	                QX_PLUGIN_ENTRY_SYMBOL, QX_ABI_MAJOR, QX_ABI_MINOR))
		note("%s", err->msg);
	check(c, loaded && r->version && r->license && r->description &&
	      !strchr(r->description, '\n'),
	      "metadata: name '%s', version '%s', license '%s', description '%s'",
	      r->name ? r->name : "", r->version ? r->version : "", r->license ? r->license : "",
	      r->description ? r->description : "");
	const char *base = strrchr(r->path ? r->path : "", '/');
	base = base ? base + 1 : r->path ? r->path : "";
	size_t len = strlen(base) > 3 ? strlen(base) - 3 : strlen(base);
	if (loaded)
		check(c, !strncmp(base, r->name, len) && strlen(r->name) == len,
		      "the name '%s' matches the file name %s (a suite's name: finds NAME.so, and "
		      "plan.json and results.json record the name)", r->name, base);
}

static const char *type_name(int type)
{
	static const char *const names[] = { "bool", "int", "number", "choice", "string" };
	return type >= 0 && type <= QX_OPTION_STRING ? names[type] : "?";
}

/* The options to run with: --option's, without key, then key: value (when key is set). *bad
 * is the index of key: value. */
static int with_option(const struct checker *c, const char *key, const char *value,
                       struct qx_suite_option *out, int *bad)
{
	int n = 0;
	for (int i = 0; i < c->n_opts; i++)
		if (!key || strcmp(c->opts[i].key, key))
			out[n++] = c->opts[i];
	*bad = n;
	if (key)
		out[n++] = (struct qx_suite_option){ .key = (char *)key, .value = (char *)value };
	return n;
}

/* The host must refuse key: value before create(), in one line naming the option, with
 * expect in it. */
static void check_refused(struct checker *c, const char *key, const char *value,
                          const char *what, const char *expect)
{
	struct qx_suite_option opts[66];
	int bad;
	int n = with_option(c, key, value, opts, &bad);
	struct qx_plugin_result res;
	struct qx_error err;
	int rc = run(c, -1, CHECK_BATCH, opts, n, &res, &err);
	char quoted[300];
	snprintf(quoted, sizeof quoted, "'%s'", key);
	check(c, rc != 0 && res.fault == QX_PLUGIN_RETURNED_ERROR && !strcmp(res.stage, "create") &&
	      res.bad_option == bad && strstr(err.msg, quoted) && strstr(err.msg, expect) &&
	      !strstr(err.msg, "create failed") && !strchr(err.msg, '\n'),
	      "%s: %s (%s) is refused by the host before create(), in one line", key, value,
	      what);
	note("%s", rc ? err.msg : "accepted");
	qx_plugin_result_free(&res);
}

/* Declared options: each is listed, and a bad value of each (and an undeclared key near one) is
 * refused by the host. Returns whether the plugin declares any. */
static int check_declared(struct checker *c, const char *path)
{
	struct qx_decl_info *d = NULL;
	int n = 0;
	struct qx_error err = { 0 };
	if (qx_plugin_read_decls(path, c->spec.timeout_s, &d, &n, &err)) {
		check(c, 0, "its declared options can be read: %s", err.msg);
		return 0;
	}
	if (n == 0) {
		qx_decl_info_free(d, n);
		note("declares no options: it parses its own (ABI 1.2 plugins can declare them: "
		     "docs/plugin-authoring.md, \"Declared options\")");
		return 0;
	}
	note("declares %d option%s:", n, n == 1 ? "" : "s");
	for (int i = 0; i < n; i++) {
		char range[512] = "";
		if (d[i].type == QX_OPTION_CHOICE)
			for (int k = 0; d[i].choices[k]; k++)
				snprintf(range + strlen(range), sizeof range - strlen(range), "%s%s",
				         k ? " | " : " ", d[i].choices[k]);
		else if (d[i].type == QX_OPTION_INT || d[i].type == QX_OPTION_NUMBER)
			snprintf(range, sizeof range, " %s%.17g, %.17g%s",
			         d[i].flags & QX_OPTION_MIN_EXCLUSIVE ? "(" : "[", d[i].min, d[i].max,
			         d[i].flags & QX_OPTION_MAX_EXCLUSIVE ? ")" : "]");
		note("  %s: %s%s, default %s: %s", d[i].key, type_name(d[i].type), range,
		     d[i].default_value ? d[i].default_value : "none", d[i].help);
	}
	char v[64];
	for (int i = 0; i < n; i++) {
		const struct qx_decl_info *x = &d[i];
		switch (x->type) {
		case QX_OPTION_BOOL:
			check_refused(c, x->key, "maybe", "not a boolean", "is not a boolean");
			break;
		case QX_OPTION_INT:
			check_refused(c, x->key, "1.5", "not an integer", "is not an integer");
			if (isfinite(x->max)) {
				snprintf(v, sizeof v, "%.0f", x->max + (x->flags & QX_OPTION_MAX_EXCLUSIVE ?
				                                        0 : 1));
				check_refused(c, x->key, v, "above the range", "is out of range");
			}
			if (isfinite(x->min)) {
				snprintf(v, sizeof v, "%.0f", x->min - (x->flags & QX_OPTION_MIN_EXCLUSIVE ?
				                                        0 : 1));
				check_refused(c, x->key, v, "below the range", "is out of range");
			}
			break;
		case QX_OPTION_NUMBER:
			check_refused(c, x->key, "lots", "not a number", "is not a number");
			if (isfinite(x->max)) {
				snprintf(v, sizeof v, "%.17g", x->flags & QX_OPTION_MAX_EXCLUSIVE ? x->max
				         : x->max + (fabs(x->max) > 1 ? fabs(x->max) : 1));
				check_refused(c, x->key, v, "above the range", "is out of range");
			}
			if (isfinite(x->min)) {
				snprintf(v, sizeof v, "%.17g", x->flags & QX_OPTION_MIN_EXCLUSIVE ? x->min
				         : x->min - (fabs(x->min) > 1 ? fabs(x->min) : 1));
				check_refused(c, x->key, v, "below the range", "is out of range");
			}
			break;
		case QX_OPTION_CHOICE:
			check_refused(c, x->key, "qx_check_no_such_choice", "not one of the choices",
			              "is not a known value");
			break;
		default:
			break;
		}
	}
	/* a near miss of a declared key: the key less its last letter */
	for (int i = 0; i < n; i++) {
		size_t len = strlen(d[i].key);
		char near[256];
		if (len < 4 || len >= sizeof near)
			continue;
		snprintf(near, sizeof near, "%.*s", (int)len - 1, d[i].key);
		int taken = 0;
		for (int k = 0; k < n; k++)
			taken |= !strcmp(d[k].key, near);
		if (taken)
			continue;
		char expect[300], what[300];
		snprintf(expect, sizeof expect, "did you mean '%s'?", d[i].key);
		snprintf(what, sizeof what, "an undeclared key near '%s'", d[i].key);
		check_refused(c, near, "1", what, expect);
		break;
	}
	qx_decl_info_free(d, n);
	return 1;
}

static void check_runs(struct checker *c)
{
	struct qx_plugin_result first, again, res;
	struct qx_error err;
	int rc = run(c, CHECK_IMAGES, CHECK_BATCH, c->opts, c->n_opts, &first, &err);
	check_metadata(c, &first, &err);
	if (first.fault == QX_PLUGIN_LOAD_FAILED || first.fault == QX_PLUGIN_NOT_FOUND) {
		/* the reason is noted once above: every other check would fail the same way */
		note("the other checks need a plugin that loads: not run");
		qx_plugin_result_free(&first);
		return;
	}
	char with[256] = "no options";
	if (c->n_opts)
		snprintf(with, sizeof with, "%d option%s (--option)", c->n_opts,
		         c->n_opts == 1 ? "" : "s");
	if (!check(c, rc == 0, "full run with %s: create, prepare, calibrate x %d (%d images, "
	           "batches of %d), convert, destroy; the plan is valid", with,
	           CHECK_IMAGES / CHECK_BATCH, CHECK_IMAGES, CHECK_BATCH))
		note("%s", err.msg);
	else
		describe_plan(&c->g, &first.plan);
	if (rc == 0)
		note("calibration took %.3f s (child process %.3f s)", first.calibrate_s,
		     first.total_s);
	for (int i = 0; rc == 0 && i < first.n_options_used; i++)
		note("option in effect: %s: %s", first.options_used[i].key,
		     first.options_used[i].value);
	if (rc && c->n_opts && first.fault == QX_PLUGIN_RETURNED_ERROR &&
	    !strcmp(first.stage, "create")) {
		note("the --option values are refused: the other checks need options it takes");
		qx_plugin_result_free(&first);
		return;
	}

	rc = run(c, CHECK_IMAGES, CHECK_BATCH, c->opts, c->n_opts, &again, &err);
	check(c, rc == 0 && first.plan.n_tensors && same_plan(&first.plan, &again.plan),
	      "a second run gives the same plan, bit for bit");
	if (rc)
		note("%s", err.msg);
	qx_plugin_result_free(&again);

	rc = run(c, 5, 2, c->opts, c->n_opts, &res, &err);
	check(c, rc == 0 && (res.calib_batches == 3 || res.calib_batches == 0),
	      "5 images in batches of 2 (the last batch smaller): a valid plan (%d calibrate "
	      "calls)", res.calib_batches);
	if (rc)
		note("%s", err.msg);
	qx_plugin_result_free(&res);

	rc = run(c, 0, CHECK_BATCH, c->opts, c->n_opts, &res, &err);
	int clean = rc == 0 || res.fault == QX_PLUGIN_RETURNED_ERROR;
	check(c, clean, "zero calibration batches: %s",
	      rc == 0 ? "a valid plan" : clean ? "a clean error" : "neither a plan nor a clean error");
	if (rc)
		note("%s", err.msg);
	qx_plugin_result_free(&res);

	int declared = first.path && check_declared(c, first.path);
	struct qx_suite_option opts[66];
	int bad;
	int n = with_option(c, "qx_check_unknown_option", "1", opts, &bad);
	rc = run(c, -1, CHECK_BATCH, opts, n, &res, &err);
	if (declared)
		check(c, rc != 0 && res.fault == QX_PLUGIN_RETURNED_ERROR &&
		      strcmp(res.stage, "create") == 0 && res.bad_option == bad &&
		      strstr(err.msg, "unknown option 'qx_check_unknown_option'") &&
		      !strstr(err.msg, "create failed"),
		      "an undeclared option is refused by the host before create(), listing the "
		      "declared ones");
	else
		check(c, rc != 0 && res.fault == QX_PLUGIN_RETURNED_ERROR &&
		      strcmp(res.stage, "create") == 0 && strstr(err.msg, "create failed: ") &&
		      !strstr(err.msg, "no error message"),
		      "an unknown option is rejected by create with an error message");
	note("%s", rc ? err.msg : "the unknown option was accepted");
	qx_plugin_result_free(&res);

	if (first.plan.n_tensors) {
		char dir[] = "/tmp/qx-plugin-check-XXXXXX";
		char path[sizeof dir + 16];
		int written = 0;
		if (mkdtemp(dir)) {
			snprintf(path, sizeof path, "%s/plan.json", dir);
			written = qx_plan_write_json(&first, &c->g, path, &err) == 0;
			json_error_t jerr;
			json_t *root = written ? json_load_file(path, 0, &jerr) : NULL;
			written = root && json_is_array(json_object_get(root, "tensors"));
			json_decref(root);
			unlink(path);
			rmdir(dir);
		}
		check(c, written, "plan.json is written and reads back as JSON");
	} else {
		check(c, 0, "plan.json is written (no plan to write)");
	}
	qx_plugin_result_free(&first);
}

int qx_plugin_check_main(int argc, char **argv)
{
	const char *target = NULL, *model = NULL;
	double timeout = 60;
	int n_opts = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--model") && i + 1 < argc)
			model = argv[++i];
		else if (!strcmp(argv[i], "--option") && i + 1 < argc)
			n_opts++, i++;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atof(argv[++i]);
		else if (argv[i][0] == '-' || target)
			return usage();
		else
			target = argv[i];
	}
	if (!target || !(timeout > 0))
		return usage();
	if (n_opts > 64) {
		fprintf(stderr, "qx-bench plugin-check: %d --option (expected at most 64)\n", n_opts);
		return QX_EXIT_USAGE;
	}
	struct checker c;
	memset(&c, 0, sizeof c);
	struct qx_suite_option given[64];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--option") || i + 1 >= argc)
			continue;
		char *arg = argv[++i], *eq = strchr(arg, '=');
		if (!eq || eq == arg) {
			fprintf(stderr, "qx-bench plugin-check: --option '%s' (expected KEY=VALUE, e.g. "
			        "--option bins=1024)\n", arg);
			return QX_EXIT_USAGE;
		}
		*eq = '\0';
		for (int k = 0; k < c.n_opts; k++)
			if (!strcmp(given[k].key, arg)) {
				fprintf(stderr, "qx-bench plugin-check: --option %s is given twice (expected "
				        "each key once)\n", arg);
				return QX_EXIT_USAGE;
			}
		given[c.n_opts++] = (struct qx_suite_option){ .key = arg, .value = eq + 1 };
	}
	c.opts = given;
	/* A path (has a '/' or ends in .so) is loaded as is; a bare name is looked up like a
	 * suite's `name:`. */
	char label[256];
	const char *base = strrchr(target, '/');
	snprintf(label, sizeof label, "%s", base ? base + 1 : target);
	size_t len = strlen(label);
	int is_path = base || (len > 3 && !strcmp(label + len - 3, ".so"));
	if (len > 3 && !strcmp(label + len - 3, ".so"))
		label[len - 3] = '\0';
	c.spec.label = label;
	c.spec.path = is_path ? (char *)target : NULL;
	c.spec.name = is_path ? NULL : (char *)target;
	c.spec.timeout_s = timeout;

	printf("TAP version 13\n# qx-bench plugin-check %s (plugin ABI %d.%d)\n", target,
	       QX_ABI_MAJOR, QX_ABI_MINOR);
	struct qx_error err = { 0 };
	if (load_model(&c, model, &err) || make_images(&c, &err)) {
		check(&c, 0, "reference model and images: %s", err.msg);
	} else {
		check_runs(&c);
	}
	printf("1..%d\n", c.n);
	if (c.failed)
		printf("# %d of %d checks failed\n", c.failed, c.n);
	qx_graph_free(&c.g);
	qx_dataset_free(&c.images);
	return c.failed ? QX_EXIT_FAILURES : QX_EXIT_OK;
}
