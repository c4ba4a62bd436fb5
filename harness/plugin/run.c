/* qx_plugin_run: one plugin, in a forked child, under the suite's time limit.
 *
 * The child loads the plugin, runs create -> prepare -> calibrate x N -> convert -> destroy and
 * writes the raw plan as JSON to the pipe; it notes its stage, the plugin's metadata and any
 * error message in a shared block, so that the parent can say what the plugin was doing when
 * it crashed or hung. The parent decodes and validates the plan. */
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exec/exec_f32.h"
#include "plugin/child.h"
#include "plugin/decl.h"
#include "plugin/host.h"
#include "plugin/loader.h"
#include "plan/plan_json.h"
#include "plan/validate.h"
#include "plugin/view.h"
#include "qx/plugin.h"

enum stage { ST_START, ST_LOAD, ST_CREATE, ST_PREPARE, ST_CALIBRATE, ST_CONVERT, ST_DESTROY,
             ST_REPLY };

static const char *const stage_names[] = { "start-up", "load", "create", "prepare", "calibrate",
                                           "convert", "destroy", "reply" };

enum outcome { OUT_NONE, OUT_OK, OUT_FAILED };

/* Written by the child, read by the parent once the child is gone. */
struct shared {
	int stage;
	int batch, n_batches;
	int outcome;
	int code;
	int fault;                      /* enum qx_plugin_fault of a failure */
	int bad_option;                 /* index of the option create() refused, or -1 */
	int bad_option_key;             /* the host refused that option's key (undeclared) */
	int declared;                   /* the plugin declares its options */
	char options_used[4096];        /* declared: qx_option_decls_used()'s lines */
	char error[1024];               /* the child's one-line failure, without the prefix */
	char plugin_error[1024];        /* the last host->error() message */
	int loaded;
	uint32_t abi_major, abi_minor, struct_size;
	char name[128], version[64], license[64], description[256];
};

struct run_ctx {
	const struct qx_suite_plugin *spec;
	const char *path;
	struct qx_graph *g;
	const struct qx_plugin_calib *calib;
	struct shared *sh;              /* in the child */
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- the host's services, as the child provides them ---- */

static void host_error(const struct qx_host *host, const char *fmt, ...)
{
	struct run_ctx *rc = host->host_data;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rc->sh->plugin_error, sizeof rc->sh->plugin_error, fmt, ap);
	va_end(ap);
	/* one line, whatever the plugin wrote */
	for (char *p = rc->sh->plugin_error; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

static void host_log(const struct qx_host *host, int level, const char *fmt, ...)
{
	struct run_ctx *rc = host->host_data;
	if (level > rc->calib->log_level)
		return;
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "qx-bench: plugin '%s': %s: %s\n", rc->spec->label,
	        level >= 0 && level <= QX_LOG_DEBUG ? names[level] : "log", line);
}

static void *host_alloc(const struct qx_host *host, size_t n, size_t size)
{
	(void)host;
	return calloc(n ? n : 1, size ? size : 1);
}

static void *host_resize(const struct qx_host *host, void *p, size_t n, size_t size)
{
	(void)host;
	if (size && n > SIZE_MAX / size)
		return NULL;
	size_t bytes = n * size;
	return realloc(p, bytes ? bytes : 1);
}

static void host_release(const struct qx_host *host, void *p)
{
	(void)host;
	free(p);
}

/* ---- the child ---- */

static int child_fail(struct shared *sh, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Records a failure; its kind follows from the stage and the code (QX_EPLUGIN: the plugin's
 * fault; anything else: the harness's). */
static int child_fail(struct shared *sh, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sh->error, sizeof sh->error, fmt, ap);
	va_end(ap);
	sh->code = code;
	sh->outcome = OUT_FAILED;
	if (code != QX_EPLUGIN)
		sh->fault = QX_PLUGIN_HOST_FAILED;
	else if (sh->stage == ST_LOAD)
		sh->fault = QX_PLUGIN_LOAD_FAILED;
	else if (!sh->fault)
		sh->fault = QX_PLUGIN_INVALID_PLAN;
	return 1;
}

/* A callback returned status s: the plugin's own message, or a note that it gave none. */
static int callback_failed(struct shared *sh, const char *what, int s)
{
	sh->fault = QX_PLUGIN_RETURNED_ERROR;
	if (sh->plugin_error[0])
		return child_fail(sh, QX_EPLUGIN, "%s failed: %s", what, sh->plugin_error);
	return child_fail(sh, QX_EPLUGIN, "%s failed with status %d and no error message "
	                  "(expected host->error() before a failing return)", what, s);
}

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The prepare() result must be usable before anything reads through it. */
static int check_prepare(struct shared *sh, const struct qx_graph *g,
                         const struct qx_graph_view *v, const struct qx_prepare *p)
{
	if (p->n_observe < 0 || (p->n_observe > 0 && !p->observe))
		return child_fail(sh, QX_EPLUGIN, "prepare returned n_observe %d with observe %s "
		                  "(expected n_observe >= 0 and an array when > 0)", p->n_observe,
		                  p->observe ? "set" : "NULL");
	for (int i = 0; i < p->n_observe; i++) {
		int t = p->observe[i];
		if (t < 0 || t >= g->n_tensors)
			return child_fail(sh, QX_EPLUGIN, "prepare: observe[%d] = %d is not a tensor index "
			                  "(expected 0..%d)", i, t, g->n_tensors - 1);
		if (g->tensors[t].is_const || g->tensors[t].dtype != QX_DT_F32)
			return child_fail(sh, QX_EPLUGIN, "prepare: observe[%d] is constant tensor '%s' "
			                  "(expected an activation; constants are in the view)", i,
			                  g->tensors[t].name);
		for (int j = 0; j < i; j++)
			if (p->observe[j] == t)
				return child_fail(sh, QX_EPLUGIN, "prepare: tensor '%s' is observed twice "
				                  "(expected each at most once)", g->tensors[t].name);
	}
	for (int n = 0; p->node_modes && n < g->n_nodes; n++) {
		int m = p->node_modes[n];
		if (m < 0 || m > QX_MODE_WEIGHT_ONLY || !(v->nodes[n].modes & QX_MODE_BIT(m)))
			return child_fail(sh, QX_EPLUGIN, "prepare: node '%s' (%s) gets mode %d, which "
			                  "it does not support (expected one of its modes, mask 0x%x)",
			                  g->nodes[n].name, qx_op_name(g->nodes[n].op), m,
			                  v->nodes[n].modes);
	}
	return 0;
}

/* Runs fp32 on the calibration images, batch by batch, handing each batch to calibrate(). */
static int calibrate_all(struct run_ctx *rc, const struct qx_plugin *vt, void *state,
                         const struct qx_prepare *prep, int64_t *images, int *batches)
{
	struct shared *sh = rc->sh;
	const struct qx_plugin_calib *cal = rc->calib;
	struct qx_graph *g = rc->g;
	const struct qx_dataset *ds = cal->images;
	if (cal->count <= 0 || prep->n_observe == 0)
		return 0;
	if (g->n_inputs != 1)
		return child_fail(sh, QX_EUNSUPPORTED, "%s: the model has %d inputs (expected one "
		                  "image input to calibrate with)", g->path, g->n_inputs);
	if (!ds || cal->first < 0 || cal->first + cal->count > ds->count)
		return child_fail(sh, QX_EINVAL, "calibration images %lld..%lld are not in the "
		                  "calibration set of %lld images", (long long)cal->first,
		                  (long long)(cal->first + cal->count), ds ? (long long)ds->count : 0LL);
	int64_t per_image = (int64_t)ds->c * ds->h * ds->w;
	const struct qx_tensor *in = &g->tensors[g->inputs[0]];
	if (qx_tensor_numel(in) != per_image * cal->batch)
		return child_fail(sh, QX_EINVAL, "%s: input '%s' holds %lld values per batch of %d "
		                  "(expected %lld: images of %dx%dx%d)", g->path, in->name,
		                  (long long)qx_tensor_numel(in), cal->batch,
		                  (long long)(per_image * cal->batch), ds->c, ds->h, ds->w);
	const struct qx_kernels *k = cal->kernels ? cal->kernels : qx_kernels_get(QX_KSET_SCALAR);
	struct qx_exec_f32 *exec = NULL;
	struct qx_error err = { 0 };
	if (qx_exec_f32_create(g, cal->batch, k, &exec, &err))
		return child_fail(sh, err.code, "fp32 executor: %s", err.msg);
	float *input = calloc((size_t)(per_image * cal->batch), sizeof *input);
	struct qx_observed *obs = calloc((size_t)prep->n_observe, sizeof *obs);
	int fail = !input || !obs ? child_fail(sh, QX_ENOMEM, "out of memory for calibration") : 0;
	int64_t done = 0;
	sh->n_batches = (int)((cal->count + cal->batch - 1) / cal->batch);
	for (int b = 0; !fail && done < cal->count; b++) {
		int64_t n = cal->count - done < cal->batch ? cal->count - done : cal->batch;
		sh->stage = ST_CALIBRATE;
		sh->batch = b;
		qx_dataset_preprocess(ds, cal->pp, cal->first + done, n, input);
		if (n < cal->batch) /* the executor's shapes are fixed: pad the short batch */
			memset(input + n * per_image, 0,
			       sizeof *input * (size_t)((cal->batch - n) * per_image));
		const float *inputs[1] = { input };
		if (qx_exec_f32_run(exec, inputs, &err)) {
			fail = child_fail(sh, err.code, "fp32 executor on calibration batch %d: %s", b,
			                  err.msg);
			break;
		}
		for (int i = 0; i < prep->n_observe; i++) {
			const struct qx_tensor *t = &qx_exec_f32_graph(exec)->tensors[prep->observe[i]];
			struct qx_observed *o = &obs[i];
			o->tensor = prep->observe[i];
			o->ndim = t->ndim;
			for (int d = 0; d < t->ndim && d < QX_VIEW_MAX_DIMS; d++)
				o->dims[d] = t->dims[d];
			/* Tensors with a batch axis show only this batch's images. */
			if (t->ndim > 0 && t->dims[0] == cal->batch)
				o->dims[0] = n;
			o->numel = 1;
			for (int d = 0; d < o->ndim; d++)
				o->numel *= o->dims[d];
			o->data = qx_exec_f32_tensor(exec, o->tensor);
		}
		struct qx_batch batch = { .index = b, .n_images = (int32_t)n,
		                          .n_tensors = prep->n_observe, .tensors = obs };
		sh->plugin_error[0] = '\0';
		int s = vt->calibrate(state, &batch);
		if (s) {
			char what[64];
			snprintf(what, sizeof what, "calibrate (batch %d of %d)", b, sh->n_batches);
			fail = callback_failed(sh, what, s);
		}
		done += n;
		*batches = b + 1;
	}
	*images = done;
	free(input);
	free(obs);
	qx_exec_f32_free(exec);
	return fail;
}

/* The option a create() message names as 'key', so the caller can point at its suite line. */
static int named_option(const struct qx_suite_plugin *spec, const char *msg)
{
	for (int i = 0; i < spec->n_options; i++) {
		char quoted[256];
		snprintf(quoted, sizeof quoted, "'%s'", spec->options[i].key);
		if (strstr(msg, quoted))
			return i;
	}
	return -1;
}

static int64_t largest_dim(const struct qx_graph *g)
{
	int64_t m = 1;
	for (int t = 0; t < g->n_tensors; t++)
		for (int d = 0; d < g->tensors[t].ndim; d++)
			if (g->tensors[t].dims[d] > m)
				m = g->tensors[t].dims[d];
	return m;
}

/* The most values any tensor of g holds: the bound on a plan's group scales and codes. */
static int64_t largest_numel(const struct qx_graph *g)
{
	int64_t m = 1;
	for (int t = 0; t < g->n_tensors; t++)
		if (qx_tensor_numel(&g->tensors[t]) > m)
			m = qx_tensor_numel(&g->tensors[t]);
	return m;
}

static int child_body(void *ctx, int fd, void *shared)
{
	struct run_ctx *rc = ctx;
	struct shared *sh = rc->sh = shared;
	struct qx_host host = {
		.abi_major = QX_ABI_MAJOR, .abi_minor = QX_ABI_MINOR, .struct_size = sizeof host,
		.error = host_error, .log = host_log, .alloc = host_alloc, .resize = host_resize,
		.release = host_release, .host_data = rc,
	};
	struct qx_error err = { 0 };
	sh->stage = ST_LOAD;
	sh->bad_option = -1;
	struct qx_plugin_lib lib;
	if (qx_plugin_load(rc->path, &host, &lib, &err)) {
		if (sh->plugin_error[0])
			return child_fail(sh, err.code, "%s: %s", err.msg, sh->plugin_error);
		return child_fail(sh, err.code, "%s", err.msg);
	}
	const struct qx_plugin *vt = &lib.vt;
	sh->loaded = 1;
	sh->abi_major = vt->abi_major;
	sh->abi_minor = vt->abi_minor;
	sh->struct_size = vt->struct_size;
	copy_text(sh->name, sizeof sh->name, vt->name);
	copy_text(sh->version, sizeof sh->version, vt->version);
	copy_text(sh->license, sizeof sh->license, vt->license);
	copy_text(sh->description, sizeof sh->description, vt->description);

	/* The child's own copy of the graph (fork): the view the plugin sees has the shapes of the
	 * calibration batch, and the parent's graph is untouched. */
	struct qx_graph *g = rc->g;
	int batch = rc->calib->batch > 0 ? rc->calib->batch : 1;
	if (qx_graph_infer_shapes(g, batch, &err))
		return child_fail(sh, err.code, "%s", err.msg);
	struct qx_view_store vs;
	if (qx_view_build(g, &vs, &err))
		return child_fail(sh, err.code, "%s", err.msg);
	struct qx_option *opts = calloc((size_t)rc->spec->n_options + 1, sizeof *opts);
	if (!opts)
		return child_fail(sh, QX_ENOMEM, "out of memory for the plugin's options");
	for (int i = 0; i < rc->spec->n_options; i++) {
		opts[i].key = rc->spec->options[i].key;
		opts[i].value = rc->spec->options[i].value;
	}

	sh->stage = ST_CREATE;
	if (vt->n_option_decls > 0) {
		/* Declared options: the host checks them before create(), and records the
		 * options in effect. */
		int bad, bad_key;
		if (qx_option_decls_validate(vt->option_decls, vt->n_option_decls,
		                             rc->spec->options, rc->spec->n_options, &bad, &bad_key,
		                             &err)) {
			free(opts);
			sh->bad_option = bad;
			sh->bad_option_key = bad_key;
			sh->fault = QX_PLUGIN_RETURNED_ERROR;
			return child_fail(sh, QX_EPLUGIN, "%s", err.msg);
		}
		if (qx_option_decls_used(vt->option_decls, vt->n_option_decls, rc->spec->options,
		                         rc->spec->n_options, sh->options_used,
		                         sizeof sh->options_used)) {
			free(opts);
			return child_fail(sh, QX_ENOMEM, "the options in effect exceed %zu bytes",
			                  sizeof sh->options_used);
		}
		sh->declared = 1;
	}
	void *state = NULL;
	int s = vt->create(&host, &vs.view, rc->spec->n_options ? opts : NULL,
	                   rc->spec->n_options, &state);
	if (s) {
		sh->bad_option = s == QX_STATUS_BAD_OPTION ? named_option(rc->spec, sh->plugin_error)
		                                           : -1;
		return callback_failed(sh, "create", s);
	}
	if (rc->calib->options_only) {
		sh->stage = ST_DESTROY;
		vt->destroy(state);
		sh->outcome = OUT_OK;
		return 0;
	}

	double t0 = now_s();
	int fail = 0;
	sh->stage = ST_PREPARE;
	sh->plugin_error[0] = '\0';
	struct qx_prepare prep;
	memset(&prep, 0, sizeof prep);
	s = vt->prepare(state, &vs.view, &prep);
	if (s)
		fail = callback_failed(sh, "prepare", s);
	if (!fail)
		fail = check_prepare(sh, g, &vs.view, &prep);
	int64_t images = 0;
	int batches = 0;
	if (!fail)
		fail = calibrate_all(rc, vt, state, &prep, &images, &batches);
	char *json = NULL;
	size_t len = 0;
	if (!fail) {
		sh->stage = ST_CONVERT;
		sh->plugin_error[0] = '\0';
		struct qx_plan plan;
		memset(&plan, 0, sizeof plan);
		s = vt->convert(state, &plan);
		double secs = now_s() - t0;
		if (s)
			fail = callback_failed(sh, "convert", s);
		else if (qx_plan_check_shape(&plan, largest_dim(g), largest_numel(g), &err))
			fail = child_fail(sh, err.code, "%s", err.msg);
		else if (qx_plan_json_encode(&plan, prep.node_modes, g->n_nodes, images, batches,
		                             secs, &json, &len, &err))
			fail = child_fail(sh, err.code, "%s", err.msg);
	}
	sh->stage = ST_DESTROY;
	vt->destroy(state);
	if (fail) {
		free(json);
		return 1;
	}
	sh->stage = ST_REPLY;
	if (write_all(fd, json, len)) {
		free(json);
		return child_fail(sh, QX_EIO, "writing the plan to the harness failed");
	}
	free(json);
	sh->outcome = OUT_OK;
	/* The library is not closed: the process ends here, and a plugin's destructors could
	 * still crash after a good plan was sent. */
	return 0;
}

/* ---- the parent ---- */

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

static void describe_stage(const struct shared *sh, char *buf, size_t size)
{
	int st = sh->stage >= 0 && sh->stage <= ST_REPLY ? sh->stage : ST_START;
	if (st == ST_CALIBRATE)
		snprintf(buf, size, "calibrate (batch %d of %d)", sh->batch, sh->n_batches);
	else
		snprintf(buf, size, "%s", stage_names[st]);
}

/* The child's "TYPE\tKEY\tVALUE\n" lines into out->options_used. -1: out of memory. */
static int read_options_used(const char *text, struct qx_plugin_result *out)
{
	out->options_declared = 1;
	int n = 0;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	out->options_used = calloc((size_t)n + 1, sizeof *out->options_used);
	if (!out->options_used)
		return -1;
	for (const char *p = text; *p;) {
		const char *t1 = strchr(p, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		const char *nl = t2 ? strchr(t2 + 1, '\n') : NULL;
		if (!nl)
			break;
		struct qx_option_used *u = &out->options_used[out->n_options_used++];
		u->type = atoi(p);
		u->key = strndup(t1 + 1, (size_t)(t2 - t1 - 1));
		u->value = strndup(t2 + 1, (size_t)(nl - t2 - 1));
		if (!u->key || !u->value)
			return -1;
		p = nl + 1;
	}
	return 0;
}

int qx_plugin_run(const struct qx_suite_plugin *spec, struct qx_graph *g,
                  const struct qx_plugin_calib *calib, struct qx_plugin_result *out,
                  struct qx_error *err)
{
	memset(out, 0, sizeof *out);
	out->bad_option = -1;
	const char *label = spec->label ? spec->label : spec->name ? spec->name : "?";
	out->label = strdup(label);
	if (!out->label)
		return qx_fail_nomem(err, "running a plugin");
	int rc = qx_plugin_find(spec, &out->path, err);
	if (rc) {
		out->fault = rc == QX_ENOMEM ? QX_PLUGIN_HOST_FAILED : QX_PLUGIN_NOT_FOUND;
		return rc;
	}

	struct run_ctx ctx = { .spec = spec, .path = out->path, .g = g, .calib = calib };
	struct shared *sh = calloc(1, sizeof *sh);
	if (!sh)
		return qx_fail_nomem(err, "running a plugin");
	struct qx_child_result res;
	rc = qx_child_run(child_body, &ctx, sizeof *sh, spec->timeout_s, sh, &res, err);
	if (rc) {
		free(sh);
		out->fault = QX_PLUGIN_HOST_FAILED;
		return qx_fail_wrap(err, "plugin '%s' (%s)", label, out->path);
	}
	out->total_s = res.seconds;
	if (sh->loaded) {
		out->abi_major = sh->abi_major;
		out->abi_minor = sh->abi_minor;
		out->struct_size = sh->struct_size;
		out->name = dup_or_null(sh->name);
		out->version = dup_or_null(sh->version);
		out->license = dup_or_null(sh->license);
		out->description = dup_or_null(sh->description);
	}
	describe_stage(sh, out->stage, sizeof out->stage);
	if (sh->outcome == OUT_FAILED && sh->stage == ST_CREATE) {
		out->bad_option = sh->bad_option; /* the zeroed block says 0 before the child sets it */
		out->bad_option_key = sh->bad_option_key;
	}
	if (sh->declared && read_options_used(sh->options_used, out)) {
		free(res.data);
		free(sh);
		out->fault = QX_PLUGIN_HOST_FAILED;
		return qx_fail_nomem(err, "the options of a plugin");
	}
	const char *stage = out->stage;
	if (res.end == QX_CHILD_TIMED_OUT)
		out->fault = QX_PLUGIN_HUNG;
	else if (res.end == QX_CHILD_SIGNALED)
		out->fault = QX_PLUGIN_CRASHED;
	else if (sh->outcome == OUT_FAILED)
		out->fault = sh->fault ? sh->fault : QX_PLUGIN_HOST_FAILED;
	else if (sh->outcome != OUT_OK)
		out->fault = QX_PLUGIN_EXITED;
	if (res.end == QX_CHILD_TIMED_OUT)
		rc = qx_fail(err, QX_EPLUGIN, "plugin '%s' (%s): hung: no plan after %g s (the "
		             "suite's timeout) during %s", label, out->path, spec->timeout_s, stage);
	else if (res.end == QX_CHILD_SIGNALED)
		rc = qx_fail(err, QX_EPLUGIN, "plugin '%s' (%s): crashed with %s during %s", label,
		             out->path, qx_signal_name(res.signal), stage);
	else if (sh->outcome == OUT_FAILED)
		rc = qx_fail(err, sh->code ? sh->code : QX_EPLUGIN, "plugin '%s' (%s): %s", label,
		             out->path, sh->error);
	else if (sh->outcome != OUT_OK)
		rc = qx_fail(err, QX_EPLUGIN, "plugin '%s' (%s): exited with status %d during %s "
		             "(expected a plugin never to exit)", label, out->path, res.exit_status,
		             stage);
	if (!rc && calib->options_only) {
		free(res.data);
		free(sh);
		return 0;
	}
	if (!rc) {
		struct qx_plan_buf buf;
		rc = qx_plan_json_decode(res.data, res.len, &buf, err);
		if (!rc && buf.node_modes && buf.n_node_modes != g->n_nodes)
			rc = qx_fail(err, QX_EINTERNAL, "plugin reply: %d node modes (expected %d)",
			             buf.n_node_modes, g->n_nodes);
		if (!rc) {
			out->calibrate_s = buf.calibrate_s;
			out->calib_images = buf.calib_images;
			out->calib_batches = buf.calib_batches;
			rc = qx_plan_validate(g, &buf.plan, buf.node_modes, &out->plan, err);
			if (rc) {
				out->fault = rc == QX_EPLUGIN ? QX_PLUGIN_INVALID_PLAN
				                              : QX_PLUGIN_HOST_FAILED;
				qx_fail_wrap(err, "plugin '%s' (%s): invalid plan", label, out->path);
			}
		} else {
			out->fault = QX_PLUGIN_HOST_FAILED;
			qx_fail_wrap(err, "plugin '%s' (%s)", label, out->path);
		}
		qx_plan_buf_free(&buf);
	}
	free(res.data);
	free(sh);
	return rc;
}

void qx_plugin_result_free(struct qx_plugin_result *res)
{
	free(res->label);
	free(res->path);
	free(res->name);
	free(res->version);
	free(res->license);
	free(res->description);
	for (int i = 0; i < res->n_options_used; i++) {
		free(res->options_used[i].key);
		free(res->options_used[i].value);
	}
	free(res->options_used);
	qx_quant_plan_free(&res->plan);
	memset(res, 0, sizeof *res);
}
